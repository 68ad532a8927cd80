"""module_utils/kube_proxy_plan.py: what the kube_proxy role plans for a master, a node and the seed, and the inputs
it refuses, with the role's defaults (default_inputs reads defaults/main.yml)."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.plans import kube_proxy_check, kube_proxy_plan
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory, KubeClusterError
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import KubeProxyError
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy_plan import check, default_inputs, plan

ADDRESSES = {"m1": "192.0.2.11", "m2": "192.0.2.12"}
INVENTORY = Inventory(groups={"masters": ["m1", "m2"], "nodes": ["n1"]},
                      master_hosts={host: {"name": host, "address": address} for host, address in ADDRESSES.items()})


def test_a_master_names_its_own_apiserver_and_the_table_s_kube_proxy_client() -> None:
    made = plan(default_inputs("m2", "/inv"), INVENTORY)
    assert made.apiserver == "https://127.0.0.1:6443"
    assert made.kubeconfigs == [{"file": "kube-proxy.conf", "cert": "kube-proxy", "user": "system:kube-proxy"}]
    assert made.paths["kube_proxy_kubeconfig"] == "/etc/kubernetes/kube-proxy.conf"
    assert made.settings["hostname_override"] == "m2"
    assert made.settings["images"]["kube-proxy"] == (f"{made.wanted['kube-proxy']['repository']}:"
                                                     f"{made.wanted['kube-proxy']['tag']}")
    assert [(image_plan["components"], image_plan["source"]) for image_plan in made.plans] == [
        (["kube-proxy"], "registry")]
    assert made.ports == [10249, 10256]
    assert made.sysctls["net.ipv4.conf.all.route_localnet"] == "1"  # iptables mode, the default
    assert made.workload["privileged"] is False and made.workload["capabilities"] == ["NET_ADMIN", "NET_RAW"]
    assert [master["host"] for master in made.masters] == ["m1", "m2"]
    assert made.health_endpoints == [{"component": "kube-proxy", "url": "http://127.0.0.1:10256/livez",
                                      "container": "curtain-kube-proxy"}]


def test_a_static_pod_s_health_is_looked_at_in_the_kubelet_s_containerd() -> None:
    made = plan(default_inputs("m1", "/inv", deployment="static_pod", kubelet_container="my-kubelet"), INVENTORY)
    assert made.health_endpoints == [{"component": "kube-proxy", "url": "http://127.0.0.1:10256/livez",
                                      "pod_container": "kube-proxy", "kubelet_container": "my-kubelet"}]


def test_a_node_names_the_first_master_and_its_own_node_name() -> None:
    made = plan(default_inputs("n1", "/inv", node_name="worker-1.example"), INVENTORY)
    assert made.apiserver == "https://192.0.2.11:6443"
    assert made.settings["hostname_override"] == "worker-1.example"


def test_the_mode_goes_over_the_settings_and_ipvs_needs_no_route_localnet() -> None:
    made = plan(default_inputs("m1", "/inv", mode="ipvs", settings={"proxy_mode": "iptables"}), INVENTORY)
    assert made.settings["proxy_mode"] == "ipvs"
    assert "net.ipv4.conf.all.route_localnet" not in made.sysctls


def test_the_host_s_directories_lock_and_kernel_parameters_are_one_layout() -> None:
    made = plan(default_inputs("m1", "/inv"), INVENTORY)
    assert made.host_layout == {
        "directories": [{"path": "/etc/kubernetes", "mode": "0755"}, {"path": "/var/lib/kube-proxy", "mode": "0700"}],
        "files": [{"dest": "/run/xtables.lock", "content": "", "mode": "0600"}],
        "sysctl": {"file": "/etc/sysctl.d/90-curtain-kube-proxy.conf", "values": made.sysctls}}


def test_a_configuration_beside_the_kubeconfig_keeps_the_kubeconfig_directory_s_mode() -> None:
    inputs = default_inputs("m1", "/inv", settings={"kube_proxy_config_file": "/etc/kubernetes/kube-proxy.yaml"})
    made = plan(inputs, INVENTORY)
    assert made.host_layout["directories"] == [{"path": "/etc/kubernetes", "mode": "0755"}]


def test_the_seed_plans_no_kubeconfig() -> None:
    made = plan(default_inputs("m1", "/inv", reference="seed"), INVENTORY)
    assert made.apiserver == "" and made.kubeconfigs == [] and made.sysctls == {} and made.host_layout is None


@pytest.mark.parametrize(("host", "changes", "message"), [
    ("n1", {"deployment": "static_pod"}, "static_pod needs the curtain kubelet"),
    ("m1", {"deployment": "daemonset"}, "kube_proxy_deployment: 'daemonset' is not one of container, static_pod"),
    ("m1", {"settings": {"proxy_mod": "ipvs"}}, "kube_proxy_settings"),
])
def test_inputs_no_plan_can_be_made_from_are_refused_by_name(host: str, changes: dict, message: str) -> None:
    with pytest.raises(KubeProxyError, match=message):
        plan(default_inputs(host, "/inv", **changes), INVENTORY)


def test_a_node_without_masters_is_refused_before_anything_changes() -> None:
    with pytest.raises(KubeClusterError, match="the inventory group 'masters' is empty"):
        plan(default_inputs("n1", "/inv"), Inventory(groups={"nodes": ["n1"]}, master_hosts={}))


def test_the_filter_names_what_the_role_forgot_to_pass_and_needs_only_the_masters_of_the_inventory() -> None:
    inputs = {name: value for name, value in vars(default_inputs("m1", "/inv")).items() if name != "mode"}
    inventory = {"groups": INVENTORY.groups, "master_hosts": INVENTORY.master_hosts}
    with pytest.raises(AnsibleFilterError, match=r"kube_proxy_plan: inputs: missing \['mode'\]"):
        kube_proxy_plan(inputs, inventory)
    assert kube_proxy_plan({**inputs, "mode": ""}, inventory)["apiserver"] == "https://127.0.0.1:6443"


# --- what the host holds ------------------------------------------------------------------------------------------

CONTAINER = "curtain-kube-proxy"
POD_CONTAINER = "c" * 64


def survey(state: str | None = "running", version: str = "v1.37.2", owner: dict | None = None) -> dict:
    """host_survey's result as the role asks it (tasks/preflight.yml): port 10256 held by `owner` when given."""
    pod_labels = {"io.kubernetes.container.name": "kube-proxy", "io.kubernetes.pod.namespace": "kube-system"}
    containers = [{"id": POD_CONTAINER, "names": ["k8s_kube-proxy_kube-proxy-n1"], "state": "running",
                   "labels": pod_labels}]
    if state:
        containers.append({"id": "d" * 64, "names": [CONTAINER], "state": state,
                           "labels": {"io.curtain.kubernetes-version": version}})
    held = {"port": 10256, "listening": True, "message": "port 10256 is in use by kube-proxy (pid 5)",
            "container_id": None, "in_pod": False, **(owner or {})}
    return {"containers": containers, "ports": [{"port": 10249, "listening": False}, *([held] if owner else [])]}


@pytest.mark.parametrize(("state", "owner"), [
    ("running", {}),  # the kube-proxy container holds its own port
    (None, {"in_pod": True, "container_id": "e" * 64}),  # a static pod of the curtain kubelet, in its containerd
    (None, {"container_id": POD_CONTAINER}),  # the seed's kubelet's pod, in Docker
])
def test_curtain_s_own_kube_proxy_may_hold_its_ports(state: str | None, owner: dict) -> None:
    assert check(plan(default_inputs("n1", "/inv"), INVENTORY), survey(state, owner=owner), CONTAINER, "n1") == []


def test_a_port_another_process_holds_is_refused() -> None:
    made = plan(default_inputs("n1", "/inv"), INVENTORY)
    (problem,) = check(made, survey("exited", owner={"container_id": "f" * 64}), CONTAINER, "n1")
    assert problem.startswith("port 10256 is in use by kube-proxy (pid 5), and curtain's kube-proxy is not running "
                              "on n1")


def test_one_minor_version_forward_is_an_upgrade_a_skip_is_refused() -> None:
    made = plan(default_inputs("n1", "/inv"), INVENTORY)
    assert check(made, survey(version="v1.36.3"), CONTAINER, "n1") == []
    (problem,) = kube_proxy_check(asdict(made), survey(version="v1.35.0"), CONTAINER, "n1")
    assert "skips 1.36: upgrade one minor version at a time" in problem


def test_without_the_cluster_ca_a_run_is_refused_and_check_mode_goes_on() -> None:
    made = plan(default_inputs("n1", "/inv"), INVENTORY)
    (problem,) = kube_proxy_check(asdict(made), survey(), CONTAINER, "n1", False, "/inv/artifacts/pki")
    assert problem.startswith("/inv/artifacts/pki (kube_proxy_pki_controller_dir) lacks the cluster CA")
    assert check(made, survey(), CONTAINER, "n1", ca_present=False, check_mode=True) == []
    seed = plan(default_inputs("m1", "/inv", reference="seed"), INVENTORY)  # no certificate to sign
    assert check(seed, survey(version=""), CONTAINER, "m1", ca_present=False) == []

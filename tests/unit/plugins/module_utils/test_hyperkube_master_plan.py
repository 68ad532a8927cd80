"""The hyperkube_master role's planner: one call decides what the role's steps apply, for a master and for a node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.plans import hyperkube_master_check, hyperkube_master_plan
from ansible_collections.curtain.kube.plugins.module_utils.hyperkube_master_plan import (
    MasterLook,
    MasterPlanError,
    check,
    default_inputs,
    look,
    plan,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory, KubeClusterError

ROOT = Path(__file__).resolve().parents[4]
ADDRESSES = {"m1": "192.0.2.11", "m2": "192.0.2.12", "n1": "192.0.2.21"}


def inventory(host: str, masters: tuple[str, ...] = ("m1", "m2"), nodes: tuple[str, ...] = ("n1",)) -> Inventory:
    def settings(hosts: tuple[str, ...]) -> dict[str, dict[str, str]]:
        return {name: {"name": name, "address": ADDRESSES[name]} for name in hosts}

    return Inventory(groups={"masters": list(masters), "nodes": list(nodes), "etcd": list(masters)},
                     master_hosts=settings(masters), own=settings((host,))[host], etcd_hosts=settings(masters))


def test_a_master_runs_the_control_plane_with_its_certificates_files_and_ports() -> None:
    made = plan(default_inputs("m2", "/inv"), inventory("m2"))
    assert made.control_plane is True
    assert made.components == ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "coredns"]
    assert made.self == {"host": "m2", "name": "m2", "address": "192.0.2.12", "hostnames": ["m2"]}
    assert [master["host"] for master in made.masters] == ["m1", "m2"]
    # The local member first, over loopback, then the others, over TLS on the profile's port.
    assert made.settings_in["etcd_servers"] == ["https://127.0.0.1:2379", "https://192.0.2.11:2379"]
    assert made.settings["advertise_address"] == "192.0.2.12" and made.settings["pki_dir"] == "/etc/kubernetes/pki"
    names = [cert["name"] for cert in made.certs]
    assert names[:2] == ["apiserver", "apiserver-kubelet-client"] and "kubelet-client" in names
    assert made.certs[0]["cert"] == "/inv/artifacts/pki/kubernetes/m2/apiserver.crt"
    assert {"path": "/etc/kubernetes/pki/etcd", "mode": "0700"} in made.pki_files["directories"]
    assert "/etc/curtain/containerd/config.toml" in made.runtime_files
    assert made.ports == [6443, 10257, 10259, 10250, 10248]  # the component table's order
    assert made.control_plane_node == {"name": "m2", "taint": True}
    assert [(endpoint["component"], endpoint["url"]) for endpoint in made.health_endpoints] == [
        ("kubelet", "http://127.0.0.1:10248/healthz"), ("kube-apiserver", "https://127.0.0.1:6443/readyz"),
        ("kube-controller-manager", "https://127.0.0.1:10257/healthz"),
        ("kube-scheduler", "https://127.0.0.1:10259/healthz")]
    assert made.health_endpoints[0]["container"] == "curtain-kubelet"
    # The kubelet's image is built from the release's binaries on the controller; the others are pulled.
    assert [(image_plan["components"], image_plan["source"]) for image_plan in made.plans] == [
        (["kube-apiserver"], "registry"), (["kube-controller-manager"], "registry"), (["kube-scheduler"], "registry"),
        (["kubelet"], "release"), (["coredns"], "registry")]


def test_a_node_runs_the_kubelet_alone_with_its_own_certificates() -> None:
    made = plan(default_inputs("n1", "/inv"), inventory("n1"))
    assert made.control_plane is False
    assert made.components == ["kubelet", "coredns"]
    assert made.self["address"] == "192.0.2.21" and [master["host"] for master in made.masters] == ["m1", "m2"]
    assert [cert["name"] for cert in made.certs] == ["kubelet-client", "kubelet-server"]
    assert made.pki_files["directories"] == [{"path": "/etc/kubernetes/pki", "mode": "0700"}]
    assert made.ports == [10250, 10248]
    assert made.control_plane_node is None
    assert made.health_endpoints == [{"component": "kubelet", "container": "curtain-kubelet",
                                      "url": "http://127.0.0.1:10248/healthz"}]  # a node's kubelet alone


def test_the_seed_plans_no_certificates_and_its_insecure_port() -> None:
    made = plan(default_inputs("m1", "/inv", profile="seed"), inventory("m1", masters=("m1",), nodes=()))
    assert made.certs == [] and made.pki_files == {} and made.runtime_files == {}
    assert made.components == ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet"]
    assert made.settings_in["etcd_servers"] == ["http://127.0.0.1:4001"]
    assert made.ports == [8080, 10252, 10251, 10250, 10248]
    assert made.control_plane_node is None  # no Node labels through the seed's apiserver


def test_the_pods_resolvers_go_next_to_the_kubelet_configuration() -> None:
    made = plan(replace(default_inputs("m1", "/inv"), pod_nameservers=["192.0.2.53"]), inventory("m1"))
    assert made.settings_in["resolv_conf"] == "/var/lib/kubelet/resolv.conf"
    assert "resolv_conf" not in plan(default_inputs("m1", "/inv"), inventory("m1")).settings_in


def test_an_offline_bundle_without_its_manifest_is_refused_by_name() -> None:
    inputs = replace(default_inputs("m1", "/inv"), image_source="directory", image_directory="/bundle",
                     image_manifest={})
    with pytest.raises(ValueError, match=r"hyperkube_master_images directory /bundle: manifest\.json is missing"):
        plan(inputs, inventory("m1"))


@pytest.mark.parametrize(("host", "inputs", "message"), [
    ("m1", {"profile": "hyperkube"}, "hyperkube_master_profile: 'hyperkube' is not one of modern, seed"),
    ("n1", {"profile": "seed"}, "n1 is in 'nodes' (hyperkube_master_node_group), but the seed profile runs masters"),
])
def test_inputs_no_plan_can_be_made_from_are_refused_by_name(host: str, inputs: dict, message: str) -> None:
    with pytest.raises(MasterPlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(default_inputs(host, "/inv", **inputs), inventory(host))


def test_a_master_that_is_also_a_node_needs_the_taint_off() -> None:
    with pytest.raises(KubeClusterError, match="hyperkube_master_control_plane_taint"):
        plan(default_inputs("m1", "/inv"), inventory("m1", nodes=("m1", "n1")))
    made = plan(default_inputs("m1", "/inv", control_plane_taint=False), inventory("m1", nodes=("m1",)))
    assert made.control_plane and made.control_plane_node == {"name": "m1", "taint": False}


def test_the_filter_names_what_the_role_forgot_to_pass() -> None:
    inputs = {name: value for name, value in vars(default_inputs("m1", "/inv")).items() if name != "extra_sans"}
    with pytest.raises(AnsibleFilterError, match=r"inputs: missing \['extra_sans'\]"):
        hyperkube_master_plan(inputs, vars(inventory("m1")))
    made = hyperkube_master_plan({**inputs, "extra_sans": ["api.example"]}, vars(inventory("m1")))
    assert "DNS:api.example" in made["certs"][0]["subject_alt_names"]


def test_the_filter_takes_ansibles_own_containers(tmp_path: Path) -> None:
    """As the role calls it: Ansible hands a filter lazy templated containers, which the planner's dataclasses copy."""
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"inputs": vars(default_inputs("n1", "/inv")), "inventory": vars(inventory("n1"))}))
    playbook = tmp_path / "plan.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"ansible.builtin.set_fact": {"made": "{{ inputs | curtain.kube.hyperkube_master_plan(inventory) }}"}},
        {"ansible.builtin.debug": {"msg": "certs: {{ made.certs | map(attribute='name') | join(',') }}"}}]}]))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    ran = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"@{variables}",
                          "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "certs: kubelet-client,kubelet-server" in ran.stdout, ran.stdout


# --- what the host holds ------------------------------------------------------------------------------------------

KUBELET = "curtain-kubelet"
UPSTREAM = "nameserver 192.0.2.53\n"
# A master's pods' images by the role's defaults: every planned image but the kubelet's.
POD_IMAGES = ["registry.k8s.io/kube-apiserver:v1.37.2", "registry.k8s.io/kube-controller-manager:v1.37.2",
              "registry.k8s.io/kube-scheduler:v1.37.2", "registry.k8s.io/coredns/coredns:v1.14.6"]


def survey(state: str | None = "running", version: str = "v1.37.2", held: tuple[int, ...] = (), cgroup: int = 2,
           resolv_conf: str | None = UPSTREAM, runtime: list[str] | None = None) -> dict:
    """host_survey's result as the role asks it (tasks/preflight.yml); `runtime`: what containerd lists (as
    `ctr images list --quiet` names them), None where it did not answer."""
    containers = [{"id": "1", "names": ["curtain-etcd"], "state": "running", "labels": {}}]
    if state:
        containers.append({"id": "2", "names": [KUBELET], "state": state,
                           "labels": {"io.curtain.managed-by": "curtain", "io.curtain.kubernetes-version": version}})
    return {"containers": containers, "cgroup": {"version": cgroup, "controllers": []},
            "ports": [{"port": port, "listening": port in held, "message": f"port {port} is in use by kubelet (pid 9)"}
                      for port in (10250, 6443)],
            "paths": {"/etc/resolv.conf": {"exists": True, "text": resolv_conf} if resolv_conf is not None
                      else {"exists": False}},
            "execs": {KUBELET: {"rc": 0, "stdout": "".join(f"{image}\n" for image in runtime), "stderr": ""}
                      if runtime is not None else None}}


def checked(tmp_path: Path, found: MasterLook, host: str = "m1", **changes: object) -> dict[str, list[str]]:
    (tmp_path / "etcd").mkdir(exist_ok=True)
    for name in ("ca.crt", "ca.key"):
        (tmp_path / "etcd" / name).write_text(name)
    inputs = default_inputs(host, "/inv", etcd_pki_controller_dir=str(tmp_path / "etcd"), **changes)
    return check(plan(inputs, inventory(host)), inputs, found)


def test_the_look_finds_the_kubelet_container_by_name_with_its_version_label() -> None:
    assert look(survey(held=(6443,), cgroup=1, resolv_conf="nameserver 127.0.0.53\n"), KUBELET) == MasterLook(
        kubelet_running=True, running_version="v1.37.2", held_ports=["port 6443 is in use by kubelet (pid 9)"],
        cgroup_version=1, resolv_conf="nameserver 127.0.0.53\n")
    assert look(survey(state=None, resolv_conf=None), KUBELET) == MasterLook(
        kubelet_running=False, running_version="", held_ports=[], cgroup_version=2, resolv_conf=None)
    assert look(survey(state="exited"), KUBELET).kubelet_running is False


def test_a_converged_host_and_an_empty_one_are_not_refused(tmp_path: Path) -> None:
    converged = survey(held=(10250, 6443), runtime=POD_IMAGES)
    assert checked(tmp_path, look(converged, KUBELET)) == {"problems": [], "warnings": [], "runtime_missing": []}
    assert checked(tmp_path, look(survey(state=None), KUBELET)) == {"problems": [], "warnings": [],
                                                                    "runtime_missing": POD_IMAGES}


def test_the_pods_images_are_copied_into_containerd_where_it_lacks_them_or_cannot_say() -> None:
    """The survey lists what the kubelet's containerd holds; the copy runs for what it lacks, and for all where
    containerd did not answer (container_runtime.images_to_copy compares the names as containerd gives them)."""
    inputs = default_inputs("m1", "/inv")
    made = plan(inputs, inventory("m1"))
    assert made.runtime_images == POD_IMAGES
    assert made.survey["execs"] == [{"container": KUBELET, "argv": ["ctr", "--address",
                                                                     "/run/curtain/containerd/containerd.sock", "-n",
                                                                     "k8s.io", "images", "list", "--quiet"]}]
    assert made.survey["images"] == [planned["image"] for planned in made.plans]  # the Engine's, the kubelet's too
    assert made.survey["text_files"] == ["/etc/resolv.conf"] and made.survey["ports"] == made.ports
    held = POD_IMAGES[1:]
    assert check(made, inputs, look(survey(runtime=held), KUBELET), check_mode=True)["runtime_missing"] == \
        POD_IMAGES[:1]
    assert check(made, inputs, look(survey(runtime=None), KUBELET), check_mode=True)["runtime_missing"] == POD_IMAGES
    failed = {**survey(), "execs": {KUBELET: {"rc": 1, "stdout": "", "stderr": "connection refused"}}}
    assert look(failed, KUBELET).runtime_images is None
    node = plan(replace(inputs, host="n1"), inventory("n1"))  # a node's pods: CoreDNS may run there
    assert node.runtime_images == [image for image in POD_IMAGES if "coredns" in image]
    seed = plan(replace(inputs, profile="seed", reference="seed"), inventory("m1"))
    assert (seed.runtime_images, seed.survey["execs"]) == ([], [])


def test_a_port_is_refused_only_while_the_curtain_kubelet_does_not_run(tmp_path: Path) -> None:
    (problem,) = checked(tmp_path, look(survey(state="exited", held=(6443,)), KUBELET))["problems"]
    assert problem.startswith("port 6443 is in use by kubelet (pid 9), and the curtain kubelet is not running on m1")


def test_one_minor_version_forward_is_an_upgrade_a_skip_or_a_downgrade_is_refused(tmp_path: Path) -> None:
    assert checked(tmp_path, look(survey(version="v1.36.3"), KUBELET))["problems"] == []
    (skip,) = checked(tmp_path, look(survey(version="v1.35.0"), KUBELET))["problems"]
    assert "skips 1.36: upgrade one minor version at a time" in skip
    (downgrade,) = checked(tmp_path, look(survey(version="v1.38.0"), KUBELET))["problems"]
    assert "downgrading from v1.38.0 to v1.37.2 is not supported" in downgrade


def test_cgroup_v1_is_refused_unless_accepted_and_then_warned_about(tmp_path: Path) -> None:
    found = look(survey(cgroup=1), KUBELET)
    result = checked(tmp_path, found)
    assert len(result["problems"]) == 1 and "refuses (failCgroupV1)" in result["problems"][0]
    accepted = checked(tmp_path, found, settings={"fail_cgroup_v1": False})
    assert accepted["problems"] == [] and "m1 runs cgroup v1" in accepted["warnings"][0]
    seed = look(survey(cgroup=1, version="v1.1.8"), KUBELET)  # the seed's kubelet predates failCgroupV1
    assert checked(tmp_path, seed, profile="seed") == {"problems": [], "warnings": [], "runtime_missing": []}


def test_loopback_resolvers_are_refused_unless_the_pods_get_others(tmp_path: Path) -> None:
    found = look(survey(resolv_conf="nameserver 127.0.0.53\noptions edns0\n"), KUBELET)
    (problem,) = checked(tmp_path, found)["problems"]
    assert "names only loopback resolvers (127.0.0.53)" in problem
    assert checked(tmp_path, found, pod_nameservers=["192.0.2.53"])["problems"] == []
    assert checked(tmp_path, found, settings={"resolv_conf": "/etc/my-resolv.conf"})["problems"] == []


def test_a_master_needs_the_etcd_ca_on_the_controller_a_node_does_not(tmp_path: Path) -> None:
    inputs = default_inputs("m1", "/inv", etcd_pki_controller_dir=str(tmp_path / "none"))
    (problem,) = check(plan(inputs, inventory("m1")), inputs, look(survey(), KUBELET))["problems"]
    assert "lacks the etcd CA (ca.crt and ca.key): run the etcd role first" in problem
    # A check run: the etcd role would make it in the same run.
    assert check(plan(inputs, inventory("m1")), inputs, look(survey(), KUBELET), check_mode=True)["problems"] == []
    node = replace(inputs, host="n1")
    assert check(plan(node, inventory("n1")), node, look(survey(), KUBELET))["problems"] == []


def test_a_relative_admin_kubeconfig_is_refused_before_anything_changes() -> None:
    """The admin kubeconfig is written on the controller once the control plane is up: a relative path, which that
    write refuses, must stop the run in preflight instead."""
    inputs = default_inputs("m1", "/inv", admin_kubeconfig="artifacts/admin.conf")
    (problem,) = check(plan(inputs, inventory("m1")), inputs, look(survey(), KUBELET), check_mode=True)["problems"]
    assert problem.startswith("hyperkube_master_admin_kubeconfig: 'artifacts/admin.conf' is a relative path")
    assert default_inputs("m1", "/inv").admin_kubeconfig == "/inv/artifacts/admin.conf"  # the default is absolute
    assert check(plan(inputs, inventory("m1")), replace(inputs, admin_kubeconfig="/srv/admin.conf"),
                 look(survey(), KUBELET), check_mode=True)["problems"] == []


def test_the_check_filter_takes_the_role_s_mappings(tmp_path: Path) -> None:
    inputs = default_inputs("m1", "/inv", etcd_pki_controller_dir=str(tmp_path / "none"))
    made = hyperkube_master_plan(vars(inputs), vars(inventory("m1")))
    result = hyperkube_master_check(made, vars(inputs), survey(state=None, held=(6443,)))
    assert [problem.split(",")[0].split(";")[0] for problem in result["problems"]] == [
        "port 6443 is in use by kubelet (pid 9)", f"{tmp_path}/none (hyperkube_master_etcd_pki_controller_dir) lacks "
                                                  "the etcd CA (ca.crt and ca.key): run the etcd role first"]

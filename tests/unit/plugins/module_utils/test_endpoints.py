"""Health endpoints per component (the roles wait for them, site.yml's summary looks at them) and the summary."""

from __future__ import annotations

import pytest
from ansible_collections.curtain.kube.plugins.filter.site import site_listed_nodes
from ansible_collections.curtain.kube.plugins.module_utils import endpoints, site_summary
from ansible_collections.curtain.kube.plugins.module_utils.site_summary import node_rows, rows, summary


def test_etcd_with_and_without_tls() -> None:
    assert endpoints.etcd(4001, False, "/pki") == [
        {"component": "etcd", "url": "http://127.0.0.1:4001/health", "container": "curtain-etcd"}]
    [tls] = endpoints.etcd(2379, True, "/etc/curtain/pki/etcd")
    assert tls["url"] == "https://127.0.0.1:2379/health"
    assert (tls["ca_file"], tls["cert_file"], tls["key_file"]) == (
        "/etc/curtain/pki/etcd/ca.crt", "/etc/curtain/pki/etcd/client.crt", "/etc/curtain/pki/etcd/client.key")


def test_modern_control_plane_in_start_order_over_tls() -> None:
    found = endpoints.control_plane("modern", {"secure_port": 8443, "pki_dir": "/pki"})
    assert [item["component"] for item in found] == [
        "kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    assert [item["url"] for item in found] == [
        "http://127.0.0.1:10248/healthz", "https://127.0.0.1:8443/readyz",
        "https://127.0.0.1:10257/healthz", "https://127.0.0.1:10259/healthz"]
    assert found[1]["cert_file"] == "/pki/admin.crt" and found[2]["validate_certs"] is False
    # The static pods run in the containerd of the kubelet's container, not as Docker containers: their logs are
    # asked of crictl there.
    assert found[0]["container"] == "curtain-kubelet"
    for item in found[1:]:
        assert item["pod_container"] == item["component"] and item["kubelet_container"] == "curtain-kubelet", item
        assert "docker_pod_container" not in item and "container" not in item


def test_the_kubelet_is_asked_on_the_healthz_port_its_configuration_sets() -> None:
    """hyperkube_master_settings.kubelet_healthz_port goes into the KubeletConfiguration: the wait asks there."""
    assert endpoints.control_plane("modern", {"kubelet_healthz_port": 10333})[0]["url"] == (
        "http://127.0.0.1:10333/healthz")


def test_modern_control_plane_names_the_kubelet_container_given() -> None:
    found = endpoints.control_plane("modern", {}, "my-kubelet")
    assert [item.get("container") or item["kubelet_container"] for item in found] == ["my-kubelet"] * 4


def test_seed_control_plane_on_the_insecure_ports() -> None:
    found = endpoints.control_plane("seed", {}, "my-kubelet")
    assert [(item["component"], item["url"]) for item in found] == [
        ("kubelet", "http://127.0.0.1:10248/healthz"), ("apiserver", "http://127.0.0.1:8080/healthz"),
        ("controller-manager", "http://127.0.0.1:10252/healthz"), ("scheduler", "http://127.0.0.1:10251/healthz")]
    assert found[0]["container"] == "my-kubelet"


@pytest.mark.parametrize(("deployment", "where"), [
    ("container", {"container": "curtain-kube-proxy"}),
    # a static pod of the modern kubelet: in containerd, in the kubelet's container
    ("static_pod", {"pod_container": "kube-proxy", "kubelet_container": "curtain-kubelet"})])
def test_kube_proxy(deployment: str, where: dict) -> None:
    assert endpoints.kube_proxy("modern", {}, deployment) == [
        {"component": "kube-proxy", "url": "http://127.0.0.1:10256/livez", **where}]


def test_kube_proxy_names_the_containers_given() -> None:
    assert endpoints.kube_proxy("modern", {}, "container", container="my-proxy")[0]["container"] == "my-proxy"
    [pod] = endpoints.kube_proxy("modern", {}, "static_pod", kubelet_container="my-kubelet")
    assert (pod["pod_container"], pod["kubelet_container"]) == ("kube-proxy", "my-kubelet")


def test_seed_kube_proxy_pod_is_a_docker_container() -> None:
    # the seed's kubelet runs its pods as Docker containers, found by the names the kubelet gives them
    [pod] = endpoints.kube_proxy("seed", {}, "static_pod")
    assert pod["docker_pod_container"] == "kube-proxy"
    assert "pod_container" not in pod and "kubelet_container" not in pod


# health_wait's results (keep_going), per host.
LOOKS = {
    "a": {"failed": True, "healthy": False, "endpoints": [
        {"component": "etcd", "url": "https://127.0.0.1:2379/health", "healthy": True, "detail": '{"health":"true"}'},
        {"component": "kube-proxy", "url": "http://127.0.0.1:10256/livez", "healthy": False,
         "detail": "[Errno 111] Connection refused\nmore"}]},
    "b": {"healthy": False, "endpoints": [
        {"component": "etcd", "url": "https://127.0.0.1:2379/health", "healthy": False, "detail": "refused",
         "skipped_in_check_mode": True}]},
    "d": {"failed": True, "msg": "Unsupported parameters for (curtain.kube.health_wait) module: x"},
}


def test_rows_say_healthy_unhealthy_or_not_running_in_check_mode() -> None:
    assert [(row["host"], row["component"], row["health"]) for row in rows(LOOKS)] == [
        ("a", "etcd", "healthy"), ("a", "kube-proxy", "UNHEALTHY: [Errno 111] Connection refused"),
        ("b", "etcd", "not running (check mode)"),
        ("d", "?", "UNHEALTHY: Unsupported parameters for (curtain.kube.health_wait) module: x")]


def test_summary_names_unfinished_and_unhealthy_hosts() -> None:
    lines = summary(LOOKS, all_hosts=["a", "b", "c", "d"], profile="modern", etcd_image="e:1",
                    admin_kubeconfig="/x/admin.conf", first_master="a", seconds=125.4)
    assert lines[0] == "curtain: Kubernetes v1.37.2 (profile modern), etcd image e:1"
    assert lines[2].split() == ["HOST", "COMPONENT", "ENDPOINT", "HEALTH"]
    assert "DID NOT FINISH (failed or unreachable, see above; a re-run continues them): c" in lines
    assert "UNHEALTHY components on: a, d" in lines
    assert "Every host finished and every component is healthy." not in lines
    assert lines[-3:] == ["Admin kubeconfig: /x/admin.conf",
                          "Try: kubectl --kubeconfig /x/admin.conf get nodes", "Run time: 2 min 5 s"]
    assert not any(line.startswith("NAME") for line in lines)  # no nodes given: no node table


def _node(name: str, ready: str | None, version: str = "v1.37.2") -> dict:
    conditions = [{"type": "MemoryPressure", "status": "False"}]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready})
    return {"metadata": {"name": name}, "status": {"conditions": conditions, "nodeInfo": {"kubeletVersion": version}}}


def test_node_rows_as_kubectl_prints_them() -> None:
    nodes = [_node("m2", "False"), _node("m1", "True"), _node("m3", None, "v1.36.3"), _node("m4", "Unknown"), {}]
    assert node_rows(nodes) == [
        {"name": "?", "status": "NotReady", "version": "?"},
        {"name": "m1", "status": "Ready", "version": "v1.37.2"},
        {"name": "m2", "status": "NotReady", "version": "v1.37.2"},
        {"name": "m3", "status": "NotReady", "version": "v1.36.3"},
        {"name": "m4", "status": "NotReady", "version": "v1.37.2"},
    ]


def test_summary_lists_the_nodes_and_the_kubectl_given() -> None:
    healthy = {"a": {"healthy": True, "endpoints": [
        {"component": "etcd", "url": "https://127.0.0.1:2379/health", "healthy": True, "detail": "ok"}]}}
    lines = summary(healthy, all_hosts=["a"], profile="modern", etcd_image="e:1", admin_kubeconfig="/x/admin.conf",
                    first_master="a", seconds=42, nodes=[_node("node-b", "False"), _node("node-a", "True")],
                    kubectl="/work/bin/kubectl")
    start = lines.index("Every host finished and every component is healthy.")
    assert [line.split() for line in lines[start + 1:start + 6]] == [
        [], ["NAME", "STATUS", "VERSION"], ["node-a", "Ready", "v1.37.2"], ["node-b", "NotReady", "v1.37.2"], []]
    assert lines[-3:] == ["Admin kubeconfig: /x/admin.conf",
                          "Try: /work/bin/kubectl --kubeconfig /x/admin.conf get nodes", "Run time: 42 s"]


def test_summary_says_when_no_node_registered_yet() -> None:
    lines = summary({}, all_hosts=[], profile="modern", etcd_image="e:1", admin_kubeconfig="/x", seconds=1, nodes=[])
    assert "(no node yet)" in lines


def test_summary_of_a_healthy_seed_cluster() -> None:
    lines = summary({"m": {"healthy": True, "endpoints": [
        {"component": "apiserver", "url": "http://127.0.0.1:8080/healthz", "healthy": True, "detail": "ok"}]}},
                    all_hosts=["m"], profile="seed", etcd_image="e:1", admin_kubeconfig="/x", first_master="m",
                    seconds=9)
    assert "Every host finished and every component is healthy." in lines
    assert not any(line.startswith("Admin kubeconfig") for line in lines)  # the seed has no credentials
    assert lines[-2:] == ["Try: ssh m kubectl -s http://127.0.0.1:8080 get --raw=/healthz", "Run time: 9 s"]


def test_a_one_host_site_s_endpoints_are_its_roles_plans() -> None:
    """What the bench's floor and the default scenario's tests wait on: each role's planner's health endpoints, with
    the roles' defaults and the settings given, in the site's start order."""
    found = site_summary.one_host_endpoints("h1", "192.0.2.5", {"secure_port": 16443})
    assert [(entry["component"], entry["url"]) for entry in found] == [
        ("etcd", "https://127.0.0.1:2379/health"), ("kubelet", "http://127.0.0.1:10248/healthz"),
        ("kube-apiserver", "https://127.0.0.1:16443/readyz"),
        ("kube-controller-manager", "https://127.0.0.1:10257/healthz"),
        ("kube-scheduler", "https://127.0.0.1:10259/healthz"), ("kube-proxy", "http://127.0.0.1:10256/livez")]
    assert found[0]["cert_file"] == "/etc/curtain/pki/etcd/client.crt"



NODE = {"metadata": {"name": "m1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
LATER = {"metadata": {"name": "n1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}


@pytest.mark.parametrize(("dns_ready", "cluster_steps", "expected"), [
    ({"changed": False, "nodes": [NODE, LATER]}, [{"nodes": [NODE]}], [NODE, LATER]),  # the wait, after every play
    # CoreDNS was Available already (its wait left out): the nodes' play's cluster step, listed after the masters'.
    ({"skipped": True, "changed": False}, [{"changed": False, "nodes": [NODE, LATER]}, {"nodes": [NODE]}],
     [NODE, LATER]),
    (None, [None, {"nodes": [NODE]}], [NODE]),  # no nodes' play: the masters'
    ({"skipped": True}, [{"skipped": True}, {"failed": True, "nodes": [NODE]}], None),  # nothing listed them
    (None, [], None),  # the seed: no cluster step
])
def test_the_summary_prints_the_nodes_this_run_last_listed(dns_ready, cluster_steps, expected) -> None:
    assert site_summary.listed_nodes(dns_ready, cluster_steps) == expected


def test_the_filter_reads_the_registered_results_of_the_hosts_it_is_given() -> None:
    hostvars = {"m1": {"__hyperkube_master_dns_ready": {"skipped": True},
                       "__hyperkube_master_cluster": {"nodes": [NODE]}},
                "n1": {"__hyperkube_master_cluster": {"nodes": [NODE, LATER]}}, "n2": {}}
    assert site_listed_nodes(hostvars, "m1", ["n2", "n1", "m1"]) == [NODE, LATER]
    assert site_listed_nodes(hostvars, "m1", ["m1"]) == [NODE]
    assert site_listed_nodes(hostvars, "absent", ["gone"]) is None  # a host outside the inventory

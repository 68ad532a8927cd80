"""The filters a node's run uses beyond its plan (its apiserver, its pod network, CoreDNS): the same data as the
module_utils they wrap, and every refusal as an AnsibleFilterError naming the variable."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter import container_runtime, kube_cluster, kube_pki, pod_network
from ansible_collections.curtain.kube.plugins.module_utils import cluster_dns
from ansible_collections.curtain.kube.plugins.module_utils import kube_pki as pki

FILTERS: dict[str, Any] = {
    **container_runtime.FilterModule().filters(), **kube_cluster.FilterModule().filters(),
    **kube_pki.FilterModule().filters(), **pod_network.FilterModule().filters(),
}
NODES = [{"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
          "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}},
         {"metadata": {"name": "n2"}, "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]},
          "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.2"}]}}]


def test_the_pod_network_filters_are_registered() -> None:
    assert set(pod_network.FilterModule().filters()) == {
        "kube_own_pod_subnet", "kube_node_routes", "kube_loopback_only_resolvers", "kube_cluster_objects"}
    assert set(kube_cluster.FilterModule().filters()) == {"kube_apiserver_url"}
    assert "kube_kubeconfig_clients" in kube_pki.FilterModule().filters()
    assert "kube_pod_logs" in container_runtime.FilterModule().filters()


def test_the_node_s_pod_network_filters() -> None:
    assert FILTERS["kube_own_pod_subnet"](NODES, "n2") == "10.244.1.0/24"
    assert FILTERS["kube_own_pod_subnet"](NODES, "n3") is None
    assert FILTERS["kube_node_routes"](NODES, "n2") == [{"subnet": "10.244.0.0/24", "via": "10.0.0.1", "node": "n1"}]
    assert FILTERS["kube_loopback_only_resolvers"]("nameserver 127.0.0.53\n") == ["127.0.0.53"]


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("kube_cluster_objects", ("registry.k8s.io/coredns/coredns:v1.14.6", ["10.96.0.10"], "cluster.local", 0),
     "hyperkube_master_dns_replicas: 0"),
    ("kube_cluster_objects", ("", ["10.96.0.10"]), "hyperkube_master_images.coredns"),
    ("kube_apiserver_url", ("n1", [], 6443), "the masters group is empty"),
])
def test_refusals_are_filter_errors_naming_the_variable(name: str, args: tuple[Any, ...], expected: str) -> None:
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS[name](*args)
    assert expected in str(raised.value), str(raised.value)


def test_the_cluster_filters_give_the_module_utils_answers() -> None:
    masters = [{"host": "m1", "name": "m1", "address": "10.0.0.1", "hostnames": ["m1"]}]
    assert FILTERS["kube_apiserver_url"]("n1", masters, 6443) == "https://10.0.0.1:6443"
    assert FILTERS["kube_cluster_objects"](cluster_dns.DEFAULT_IMAGE, ["10.96.0.10"]) == cluster_dns.cluster_objects(
        cluster_dns.DEFAULT_IMAGE, ["10.96.0.10"])
    assert FILTERS["kube_cluster_objects"]("", ["10.96.0.10"], dns=False) == [pki.apiserver_kubelet_binding()]

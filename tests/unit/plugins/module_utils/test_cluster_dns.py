"""The cluster DNS: CoreDNS's objects as kubeadm deploys them, the Service at the kubelets' clusterDNS address, and
settings no cluster DNS can be deployed with refused naming the setting."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.cluster_dns import (
    DEFAULT_IMAGE,
    ClusterDnsError,
    cluster_objects,
    coredns_objects,
    corefile,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import kubelet_configuration

IMAGE = "registry.k8s.io/coredns/coredns:v1.14.6"


def by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["kind"]: item for item in objects}


def test_the_objects_come_in_the_order_they_apply() -> None:
    objects = coredns_objects(IMAGE, ["10.96.0.10"])
    assert [item["kind"] for item in objects] == [
        "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Service"]
    # Namespaced objects live in kube-system, under kubeadm's names.
    assert [(item["metadata"]["name"], item["metadata"].get("namespace")) for item in objects] == [
        ("coredns", "kube-system"), ("system:coredns", None), ("system:coredns", None), ("coredns", "kube-system"),
        ("coredns", "kube-system"), ("kube-dns", "kube-system")]


def test_the_default_image_is_kubeadm_s_pin() -> None:
    assert DEFAULT_IMAGE == "registry.k8s.io/coredns/coredns:v1.14.6"


def test_the_service_takes_the_first_cluster_dns_address_every_kubelet_names() -> None:
    service = by_kind(coredns_objects(IMAGE, ["10.96.0.10", "fd00:10:96::a"]))["Service"]
    assert service["spec"]["clusterIP"] == "10.96.0.10"
    assert [(port["name"], port["port"], port["protocol"]) for port in service["spec"]["ports"]] == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    assert service["spec"]["selector"] == {"k8s-app": "kube-dns"}
    # A single address given as a string, as cluster_dns may be written.
    assert by_kind(coredns_objects(IMAGE, "10.32.0.10"))["Service"]["spec"]["clusterIP"] == "10.32.0.10"
    # The default clusterDNS of the kubelets is the Service's address.
    kubelet_dns = kubelet_configuration({})["clusterDNS"]
    assert by_kind(coredns_objects(IMAGE, kubelet_dns))["Service"]["spec"]["clusterIP"] == kubelet_dns[0]


def test_the_corefile_serves_the_cluster_domain_and_forwards_the_rest_to_the_node_s_resolvers() -> None:
    objects = by_kind(coredns_objects(IMAGE, ["10.96.0.10"], cluster_domain="example.internal"))
    text = objects["ConfigMap"]["data"]["Corefile"]
    assert text == corefile("example.internal")
    assert "    kubernetes example.internal in-addr.arpa ip6.arpa {\n" in text
    assert "disable success example.internal" in text and "disable denial example.internal" in text
    assert "    forward . /etc/resolv.conf {\n" in text
    assert "    loop\n" in text  # CoreDNS stops rather than forward its own queries to itself
    assert "cluster.local" not in text
    assert "kubernetes cluster.local in-addr.arpa" in by_kind(coredns_objects(IMAGE, ["10.96.0.10"]))[
        "ConfigMap"]["data"]["Corefile"]
    # The pods take the node's resolvers (the kubelet's resolvConf), not the cluster DNS itself.
    assert objects["Deployment"]["spec"]["template"]["spec"]["dnsPolicy"] == "Default"


def test_the_deployment_runs_on_the_tainted_masters_too_with_the_image_and_replicas_given() -> None:
    deployment = by_kind(coredns_objects("reg:5000/curtain/coredns@sha256:" + "a" * 64, ["10.96.0.10"],
                                         replicas=3))["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 3
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in pod["tolerations"]
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in pod["tolerations"]
    (container,) = pod["containers"]
    assert container["image"] == "reg:5000/curtain/coredns@sha256:" + "a" * 64
    assert pod["serviceAccountName"] == "coredns" and pod["priorityClassName"] == "system-cluster-critical"
    assert container["securityContext"]["capabilities"] == {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}
    assert deployment["spec"]["selector"]["matchLabels"] == deployment["spec"]["template"]["metadata"]["labels"]
    assert by_kind(coredns_objects(IMAGE, ["10.96.0.10"]))["Deployment"]["spec"]["replicas"] == 2  # kubeadm's


def test_coredns_may_read_what_its_kubernetes_plugin_watches_and_nothing_more() -> None:
    objects = by_kind(coredns_objects(IMAGE, ["10.96.0.10"]))
    rules = objects["ClusterRole"]["rules"]
    assert {verb for rule in rules for verb in rule["verbs"]} == {"list", "watch"}
    assert objects["ClusterRoleBinding"]["subjects"] == [
        {"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}]
    assert objects["ClusterRoleBinding"]["roleRef"]["name"] == objects["ClusterRole"]["metadata"]["name"]


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("", ["10.96.0.10"]), {}, "hyperkube_master_images.coredns: '' is not an image reference"),
        (("registry.k8s.io/coredns coredns", ["10.96.0.10"]), {},
         "hyperkube_master_images.coredns: 'registry.k8s.io/coredns coredns' is not an image reference"),
        ((None, ["10.96.0.10"]), {}, "hyperkube_master_images.coredns: None is not an image reference"),
        ((IMAGE, ["kube-dns"]), {}, "cluster_dns: ['kube-dns'] does not start with an IP address"),
        ((IMAGE, []), {}, "cluster_dns: [] does not start with an IP address"),
        ((IMAGE, "10.96.0.0/12"), {}, "cluster_dns: '10.96.0.0/12' does not start with an IP address"),
        ((IMAGE, ["10.96.0.10"]), {"replicas": 0}, "hyperkube_master_dns_replicas: 0 is not a count of 1 or more"),
        ((IMAGE, ["10.96.0.10"]), {"replicas": -1}, "hyperkube_master_dns_replicas: -1 is not a count"),
        ((IMAGE, ["10.96.0.10"]), {"replicas": "2"}, "hyperkube_master_dns_replicas: '2' is not a count"),
        ((IMAGE, ["10.96.0.10"]), {"replicas": True}, "hyperkube_master_dns_replicas: True is not a count"),
    ],
)
def test_settings_no_cluster_dns_can_be_deployed_with_are_refused_naming_the_setting(
        args: tuple[Any, ...], kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(ClusterDnsError) as raised:
        coredns_objects(*args, **kwargs)
    assert str(raised.value).startswith(expected), str(raised.value)


def test_the_cluster_objects_are_the_kubelet_api_binding_then_coredns_unless_the_dns_is_off() -> None:
    objects = cluster_objects(IMAGE, ["10.96.0.10"])
    assert [(item["kind"], item["metadata"]["name"]) for item in objects[:2]] == [
        ("ClusterRoleBinding", "curtain:apiserver-kubelet-client"), ("ServiceAccount", "coredns")]
    assert objects[1:] == coredns_objects(IMAGE, ["10.96.0.10"])
    assert [item["kind"] for item in cluster_objects(IMAGE, ["10.96.0.10"], dns=False)] == ["ClusterRoleBinding"]

"""The masters model, the apiserver's etcd endpoints, each kubelet host's role and the apiserver it talks to."""

from __future__ import annotations

import re

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import (
    KubeClusterError,
    apiserver_url,
    etcd_servers,
    kubelet_role,
    master_settings,
    masters,
    node_name_problem,
)

SETTINGS = {"a": {"address": "10.0.0.1"}, "b": {"address": "10.0.0.2", "name": "node-b"}}


def test_masters_in_inventory_order_with_names() -> None:
    assert masters(["a", "b"], SETTINGS) == [
        {"host": "a", "name": "a", "address": "10.0.0.1", "hostnames": ["a"]},
        {"host": "b", "name": "node-b", "address": "10.0.0.2", "hostnames": ["b", "node-b"]},
    ]


@pytest.mark.parametrize(
    "hosts,settings,fragment",
    [
        ([], {}, "group 'masters' is empty"),
        (["a"], {"a": {}}, "a: no address"),
        (["a", "b"], {"a": {"address": "10.0.0.1"}, "b": {"address": "10.0.0.1"}}, "share the address 10.0.0.1"),
        (["a", "b"], {"a": {"address": "1.1.1.1", "name": "x"}, "b": {"address": "1.1.1.2", "name": "x"}},
         "share the name x"),
    ],
)
def test_masters_rejects(hosts: list, settings: dict, fragment: str) -> None:
    with pytest.raises(KubeClusterError, match=fragment):
        masters(hosts, settings)


# --- node names: the Node authorizer compares them with the kubelet certificate's system:node:<name> ----------------
@pytest.mark.parametrize("name", ["a", "master-1", "node-1.example.org", "10-0-0-1", "0", "a" * 253,
                                  ".".join(["b" * 63] * 4)[:253].rstrip(".")])
def test_valid_node_names(name: str) -> None:
    assert node_name_problem(name) is None
    assert masters(["h"], {"h": {"address": "10.0.0.1", "name": name}})[0]["name"] == name


@pytest.mark.parametrize(
    "name,problem",
    [
        ("Master-1", "has capital letters"),
        ("MASTER_1", "has capital letters"),  # the first problem found
        ("master_1", "has underscores"),
        ("-master", "is not a DNS subdomain"),
        ("master-", "is not a DNS subdomain"),
        ("master..1", "is not a DNS subdomain"),
        ("master 1", "is not a DNS subdomain"),
        ("", "is not a DNS subdomain"),
        ("a" * 254, "is longer than 253 characters"),
    ],
)
def test_node_name_problems(name: str, problem: str) -> None:
    assert node_name_problem(name) == problem


@pytest.mark.parametrize(
    "host,settings,expected",
    [
        # kube_node_name given: the message names it
        ("m1", {"name": "Node-B"}, "m1: node name 'Node-B' has capital letters; kube_node_name must be a lower-case "
                                   "DNS subdomain (a-z, 0-9, '-' and '.'), as the Node authorizer compares it with "
                                   "the kubelet certificate's system:node:<name>"),
        ("m1", {"name": "node_b"}, "m1: node name 'node_b' has underscores; kube_node_name must be"),
        # none given: the inventory name is the node name, and the message says how to give another
        ("Master1", {}, "Master1: node name 'Master1' has capital letters; the inventory name (set kube_node_name "
                        "for Master1) must be a lower-case DNS subdomain"),
        ("master_1", {}, "master_1: node name 'master_1' has underscores; the inventory name (set kube_node_name "
                         "for master_1) must be"),
    ],
)
def test_masters_refuse_node_names_kubernetes_refuses(host: str, settings: dict, expected: str) -> None:
    with pytest.raises(KubeClusterError, match=f"^{re.escape(expected)}"):
        masters(["ok", host], {"ok": {"address": "10.0.0.9"}, host: {"address": "10.0.0.1", **settings}})


def test_an_inventory_name_kubernetes_refuses_is_fine_with_a_kube_node_name() -> None:
    assert masters(["Master_1"], {"Master_1": {"address": "10.0.0.1", "name": "master-1"}}) == [
        {"host": "Master_1", "name": "master-1", "address": "10.0.0.1", "hostnames": ["Master_1", "master-1"]}]


def test_etcd_servers_prefer_the_local_member_over_loopback() -> None:
    addresses = {"e1": "10.0.0.1", "e2": "10.0.0.2", "e3": "fd00::3"}
    assert etcd_servers("e1", ["e1"], addresses, "http", 4001) == ["http://127.0.0.1:4001"]
    assert etcd_servers("e2", ["e1", "e2", "e3"], addresses, "https", 2379) == [
        "https://127.0.0.1:2379", "https://10.0.0.1:2379", "https://[fd00::3]:2379"]
    assert etcd_servers("m", ["e1"], addresses, "https", 2379) == ["https://10.0.0.1:2379"]


@pytest.mark.parametrize("args,fragment", [(("m", [], {}, "https", 2379), "etcd group is empty"),
                                           (("m", ["e1"], {}, "https", 2379), "e1: no etcd address"),
                                           (("m", ["e1"], {"e1": "1.1.1.1"}, "tcp", 1), "http or https")])
def test_etcd_servers_rejects(args: tuple, fragment: str) -> None:
    with pytest.raises(KubeClusterError, match=fragment):
        etcd_servers(*args)


def test_a_modern_master_serves_the_kubelet_api_on_the_address_its_certificate_names() -> None:
    master = masters(["b"], SETTINGS)[0]
    settings = master_settings(master, tls=True, wanted_images={}, etcd_hosts=["b"], etcd_settings=SETTINGS,
                               etcd_scheme="https", etcd_port=2379)
    assert (settings["node_ip"], settings["advertise_address"], settings["hostname_override"]) == (
        "10.0.0.2", "10.0.0.2", "node-b")
    assert settings["kubelet_tls_cert_file"] == "/etc/kubernetes/pki/kubelet-server.crt"
    # The user's setting wins (None turns --node-ip off), and the seed's kubelet gets none of them.
    assert master_settings(master, tls=True, wanted_images={}, etcd_hosts=["b"], etcd_settings=SETTINGS,
                           etcd_scheme="https", etcd_port=2379, user={"node_ip": None})["node_ip"] is None
    assert "node_ip" not in master_settings(master, tls=False, wanted_images={}, etcd_hosts=["b"],
                                            etcd_settings=SETTINGS, etcd_scheme="http", etcd_port=4001)


def test_a_master_s_settings_name_the_components_images_but_not_the_cluster_dns_s() -> None:
    master = masters(["b"], SETTINGS)[0]
    wanted = {"kube-apiserver": {"repository": "registry.k8s.io/kube-apiserver", "tag": "v1.37.2"},
              "kubelet": {"repository": "curtain/kubelet", "tag": "v1.37.2"},
              "coredns": {"repository": "registry.k8s.io/coredns/coredns", "tag": "v1.14.6"}}
    settings = master_settings(master, tls=True, wanted_images=wanted, etcd_hosts=["b"], etcd_settings=SETTINGS,
                               etcd_scheme="https", etcd_port=2379)
    # CoreDNS is an add-on applied through the apiserver (cluster_dns.py), not a component the settings know.
    assert settings["images"] == {"kube-apiserver": "registry.k8s.io/kube-apiserver:v1.37.2",
                                  "kubelet": "curtain/kubelet:v1.37.2"}


# --- which kubelet a host runs: the control plane's or one alone ----------------------------------------------------
GROUPS = {"masters": ["m1", "both"], "nodes": ["n1", "both"], "etcd": ["e1"]}


@pytest.mark.parametrize(
    ("host", "groups", "taint", "expected"),
    [
        ("m1", GROUPS, True, "master"),
        ("n1", GROUPS, True, "node"),
        ("n1", GROUPS, False, "node"),
        # A master in nodes too takes workloads: it stays a master (kubespray's rule), untainted.
        ("both", GROUPS, False, "master"),
        ("m1", {"masters": ["m1"]}, True, "master"),  # no nodes group at all
        ("n1", {"masters": None, "nodes": ["n1"]}, True, "node"),
    ],
)
def test_kubelet_role(host: str, groups: dict, taint: bool, expected: str) -> None:
    assert kubelet_role(host, groups, control_plane_taint=taint) == expected


def test_kubelet_role_reads_the_groups_the_inventory_names() -> None:
    groups = {"control": ["c1"], "workers": ["w1"], "masters": ["w1"], "nodes": ["c1"]}
    assert kubelet_role("c1", groups, "control", "workers") == "master"
    assert kubelet_role("w1", groups, "control", "workers") == "node"


def test_a_master_in_nodes_with_the_control_plane_taint_is_refused_naming_both_ways_out() -> None:
    with pytest.raises(KubeClusterError) as raised:
        kubelet_role("both", GROUPS, control_plane_taint=True)
    message = str(raised.value)
    assert message.startswith("both is in both 'masters' and 'nodes', but hyperkube_master_control_plane_taint is true")
    assert "set hyperkube_master_control_plane_taint: false for it" in message
    assert "take it out of 'nodes'" in message


def test_a_host_in_neither_group_is_refused_naming_the_group_variables() -> None:
    with pytest.raises(KubeClusterError, match=r"^e1 is in neither 'masters' \(hyperkube_master_group\) nor 'nodes' "
                                               r"\(hyperkube_master_node_group\)"):
        kubelet_role("e1", GROUPS)
    with pytest.raises(KubeClusterError, match=r"^x is in neither 'cp'"):
        kubelet_role("x", {}, "cp", "workers")


# --- the apiserver a kubelet or kube-proxy talks to -----------------------------------------------------------------
MASTER_MODEL = [{"host": "m1", "name": "m1", "address": "10.0.0.1", "hostnames": ["m1"]},
                {"host": "m2", "name": "m2", "address": "10.0.0.2", "hostnames": ["m2"]}]


@pytest.mark.parametrize(
    ("host", "model", "port", "expected"),
    [
        # A master talks to its own apiserver over loopback, the second master too (not the first's address).
        ("m1", MASTER_MODEL, 6443, "https://127.0.0.1:6443"),
        ("m2", MASTER_MODEL, 8443, "https://127.0.0.1:8443"),
        # A node talks to the first master's advertise address.
        ("n1", MASTER_MODEL, 6443, "https://10.0.0.1:6443"),
        ("n1", [{"host": "m6", "name": "m6", "address": "fd00::1", "hostnames": ["m6"]}], 6443,
         "https://[fd00::1]:6443"),
    ],
)
def test_apiserver_url(host: str, model: list, port: int, expected: str) -> None:
    assert apiserver_url(host, model, port) == expected


def test_apiserver_url_needs_a_master() -> None:
    with pytest.raises(KubeClusterError, match="the masters group is empty"):
        apiserver_url("n1", [], 6443)

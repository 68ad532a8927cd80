"""The masters model and the apiserver's etcd endpoints."""

from __future__ import annotations

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import KubeClusterError, etcd_servers, masters

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

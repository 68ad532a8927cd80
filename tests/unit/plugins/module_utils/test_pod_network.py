"""The host-gw pod network: routes to the other Nodes' podCIDRs, the changes that make a host's routes exactly those,
the masquerade rule, the pods' resolvers, and the node subnets the controller-manager cuts from pod_cidr."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import (
    MASQUERADE_COMMENT,
    ROUTE_PROTOCOL,
    PodNetworkError,
    loopback_only_resolvers,
    masquerade_rule,
    node_routes,
    node_subnet_count,
    node_subnet_problems,
    nodes_without_pod_subnet,
    own_pod_subnet,
    pod_addresses_per_node,
    resolv_conf_text,
    restore_script,
    route_changes,
)


def node(name: str, pod_cidrs: list[str] | None = None, addresses: dict[str, str] | list[tuple[str, str]] = (),
         legacy_pod_cidr: str | None = None) -> dict[str, Any]:
    """A Node as the apiserver returns it: spec.podCIDR(s), status.addresses [{type, address}]."""
    spec: dict[str, Any] = {}
    if pod_cidrs:
        spec["podCIDRs"] = pod_cidrs
        spec["podCIDR"] = pod_cidrs[0]
    if legacy_pod_cidr:
        spec["podCIDR"] = legacy_pod_cidr
    pairs = addresses.items() if isinstance(addresses, dict) else addresses
    return {"metadata": {"name": name}, "spec": spec,
            "status": {"addresses": [{"type": kind, "address": address} for kind, address in pairs]}}


# --- routes to the other nodes' pods ---------------------------------------------------------------------------------
def test_node_routes_lead_to_every_other_node_s_pods_through_its_internal_ip_sorted_by_name() -> None:
    nodes = [
        node("n3", ["10.244.2.0/24"], {"InternalIP": "10.0.0.3"}),
        node("n1", ["10.244.0.0/24"], {"InternalIP": "10.0.0.1"}),
        node("n2", ["10.244.1.0/24"], [("Hostname", "n2"), ("ExternalIP", "192.0.2.2"), ("InternalIP", "10.0.0.2")]),
    ]
    assert node_routes(nodes, "n1") == [
        {"subnet": "10.244.1.0/24", "via": "10.0.0.2", "node": "n2"},
        {"subnet": "10.244.2.0/24", "via": "10.0.0.3", "node": "n3"},
    ]
    # Each host skips its own Node: its pods are on its bridge.
    assert [route["node"] for route in node_routes(nodes, "n3")] == ["n1", "n2"]


def test_node_routes_skip_nodes_without_a_pod_cidr_or_an_internal_ip_until_they_have_them() -> None:
    nodes = [
        node("n1", ["10.244.0.0/24"], {"InternalIP": "10.0.0.1"}),
        node("no-cidr", None, {"InternalIP": "10.0.0.2"}),  # the controller-manager has not given it one yet
        node("no-address", ["10.244.2.0/24"], {"Hostname": "no-address"}),
        {"metadata": {"name": "bare"}},  # neither spec nor status yet
        node("old", None, {"InternalIP": "10.0.0.4"}, legacy_pod_cidr="10.244.3.0/24"),  # podCIDR alone
    ]
    assert node_routes(nodes, "n1") == [{"subnet": "10.244.3.0/24", "via": "10.0.0.4", "node": "old"}]


def test_node_routes_take_the_internal_ip_of_each_pod_cidr_s_family() -> None:
    dual = node("n2", ["10.244.1.0/24", "fd00:10:244:1::/64"],
                [("InternalIP", "fd00::2"), ("InternalIP", "10.0.0.2")])
    assert node_routes([dual], "n1") == [
        {"subnet": "10.244.1.0/24", "via": "10.0.0.2", "node": "n2"},
        {"subnet": "fd00:10:244:1::/64", "via": "fd00::2", "node": "n2"},
    ]
    # An IPv6 podCIDR on a Node with an IPv4 address only has no gateway of its family: no route.
    only_v4 = node("n2", ["fd00:10:244:1::/64"], {"InternalIP": "10.0.0.2"})
    assert node_routes([only_v4], "n1") == []


def test_own_pod_subnet_is_this_node_s_pod_cidr_or_none_while_it_has_none() -> None:
    nodes = [node("n1", ["10.244.0.0/24"], {"InternalIP": "10.0.0.1"}), node("n2", None, {"InternalIP": "10.0.0.2"})]
    assert own_pod_subnet(nodes, "n1") == "10.244.0.0/24"
    assert own_pod_subnet(nodes, "n2") is None
    assert own_pod_subnet(nodes, "n3") is None  # no Node yet
    assert own_pod_subnet([], "n1") is None
    assert nodes_without_pod_subnet(nodes, ["n1", "n2", "n3"]) == ["n2", "n3"]
    assert nodes_without_pod_subnet(nodes, ["n1"]) == []


# --- what to change on the host ------------------------------------------------------------------------------------
WANTED = [{"subnet": "10.244.1.0/24", "via": "10.0.0.2", "node": "n2"},
          {"subnet": "10.244.2.0/24", "via": "10.0.0.3", "node": "n3"}]


@pytest.mark.parametrize(
    ("current", "wanted", "expected"),
    [
        # `ip -j route show proto 213` entries: dst and gateway.
        ([{"dst": "10.244.1.0/24", "gateway": "10.0.0.2"}, {"dst": "10.244.2.0/24", "gateway": "10.0.0.3"}], WANTED,
         {"replace": [], "delete": []}),
        ([], WANTED, {"replace": [{"subnet": "10.244.1.0/24", "via": "10.0.0.2"},
                                  {"subnet": "10.244.2.0/24", "via": "10.0.0.3"}], "delete": []}),
        # The node behind 10.244.2.0/24 changed address: the route is replaced, not added twice.
        ([{"dst": "10.244.1.0/24", "gateway": "10.0.0.2"}, {"dst": "10.244.2.0/24", "gateway": "10.0.0.9"}], WANTED,
         {"replace": [{"subnet": "10.244.2.0/24", "via": "10.0.0.3"}], "delete": []}),
        # A node that left the cluster: its route goes.
        ([{"dst": "10.244.1.0/24", "gateway": "10.0.0.2"}, {"dst": "10.244.2.0/24", "gateway": "10.0.0.3"},
          {"dst": "10.244.7.0/24", "gateway": "10.0.0.7"}], WANTED,
         {"replace": [], "delete": ["10.244.7.0/24"]}),
        ([{"dst": "10.244.1.0/24", "gateway": "10.0.0.2"}, {"dst": "10.244.5.0/24", "gateway": "10.0.0.5"}], [],
         {"replace": [], "delete": ["10.244.1.0/24", "10.244.5.0/24"]}),
        # `ip` prints a /32 (and a /128) route as the bare address: the same route as the wanted /32.
        ([{"dst": "10.244.9.1", "gateway": "10.0.0.2"}], [{"subnet": "10.244.9.1/32", "via": "10.0.0.2"}],
         {"replace": [], "delete": []}),
        ([{"dst": "fd00:10:244::1", "gateway": "fd00::2"}], [{"subnet": "fd00:10:244::1/128", "via": "fd00::2"}],
         {"replace": [], "delete": []}),
        ([{"dst": "10.244.9.1", "gateway": "10.0.0.2"}], [], {"replace": [], "delete": ["10.244.9.1/32"]}),
    ],
)
def test_route_changes_make_the_host_s_routes_exactly_the_wanted_ones(
        current: list[dict[str, str]], wanted: list[dict[str, str]], expected: dict[str, list]) -> None:
    assert route_changes(current, wanted) == expected


def test_the_routes_carry_a_protocol_number_of_their_own() -> None:
    # Not one iproute2 names (kernel 2, boot 3, static 4, ...) nor a routing daemon's (zebra 11, bird 12, calico 80).
    assert ROUTE_PROTOCOL == 213


def test_the_masquerade_rule_covers_pod_traffic_leaving_the_pod_network_only() -> None:
    assert masquerade_rule("10.244.0.0/16") == [
        "-s", "10.244.0.0/16", "!", "-d", "10.244.0.0/16", "-m", "comment", "--comment", MASQUERADE_COMMENT,
        "-j", "MASQUERADE"]
    # Host bits are allowed, as Go's ParseCIDR allows them; the rule names the network.
    assert masquerade_rule("10.244.3.7/16")[1] == "10.244.0.0/16"
    with pytest.raises(PodNetworkError, match=r"^pod_cidr: 'pods' is not a CIDR"):
        masquerade_rule("pods")


# --- the script that restores both after a boot ------------------------------------------------------------------
# Records its name and arguments, separated by the unit separator (\\037), one line per call.
RECORDING_BINARY = """#!/bin/sh
{ printf '%s' "$(basename "$0")"; for word in "$@"; do printf '\\037%s' "$word"; done; echo; } >>"$RECORD"
case " $* " in *" -C "*) exit "$CHECK_EXIT";; esac
"""


def run_restore_script(tmp_path: Path, script: str, rule_present: bool) -> list[list[str]]:
    """Run the script under sh with `ip` and `iptables` that record their arguments (`iptables -C` finds the rule
    when rule_present); the commands it ran."""
    bin_dir, record = tmp_path / "bin", tmp_path / "record"
    bin_dir.mkdir(exist_ok=True)
    for name in ("ip", "iptables", "ip6tables"):
        (bin_dir / name).write_text(RECORDING_BINARY)
        (bin_dir / name).chmod(0o755)
    record.write_text("")
    (tmp_path / "restore.sh").write_text(script)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORD": str(record), "CHECK_EXIT": "0" if rule_present else "1"}
    subprocess.run(["sh", "-e", str(tmp_path / "restore.sh")], env=env, check=True)
    return [line.split("\037") for line in record.read_text().splitlines()]


def test_the_restore_script_puts_back_each_route_and_the_rule_once(tmp_path: Path) -> None:
    routes = [{"subnet": "10.244.1.0/24", "via": "10.0.0.2"}, {"subnet": "10.244.2.0/24", "via": "10.0.0.3"}]
    script = restore_script(routes, "10.244.0.0/16")
    rule = masquerade_rule("10.244.0.0/16")
    assert run_restore_script(tmp_path, script, rule_present=False) == [
        ["ip", "route", "replace", "10.244.1.0/24", "via", "10.0.0.2", "proto", "213"],
        ["ip", "route", "replace", "10.244.2.0/24", "via", "10.0.0.3", "proto", "213"],
        ["iptables", "-t", "nat", "-C", "POSTROUTING", *rule],
        ["iptables", "-t", "nat", "-A", "POSTROUTING", *rule],
    ]
    # Where the rule is there already (the kubelet container restarted, the host did not), it is not added again.
    assert run_restore_script(tmp_path, script, rule_present=True)[-1] == ["iptables", "-t", "nat", "-C",
                                                                           "POSTROUTING", *rule]


def test_the_restore_script_of_an_ipv6_pod_network_uses_ip6tables(tmp_path: Path) -> None:
    script = restore_script([{"subnet": "fd00:10:244:1::/64", "via": "fd00::2"}], "fd00:10:244::/56")
    commands = run_restore_script(tmp_path, script, rule_present=False)
    assert [command[0] for command in commands] == ["ip", "ip6tables", "ip6tables"]


@pytest.mark.parametrize("route", [{"subnet": "10.244.1.0/24", "via": "10.0.0.2; reboot"},
                                   {"subnet": "10.244.1.0/24; reboot", "via": "10.0.0.2"}])
def test_the_restore_script_takes_only_addresses(route: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        restore_script([route], "10.244.0.0/16")


# --- the pods' resolvers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("resolv_conf", "expected"),
    [
        # Docker's embedded DNS, as in a container: only loopback, which a pod cannot reach.
        ("nameserver 127.0.0.11\noptions ndots:0\n", ["127.0.0.11"]),
        ("# systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.org\n", ["127.0.0.53"]),
        ("nameserver ::1\n  nameserver 127.0.0.1\n", ["::1", "127.0.0.1"]),
        # One resolver a pod reaches is enough.
        ("nameserver 127.0.0.11\nnameserver 10.0.0.53\n", []),
        ("nameserver 192.0.2.53\n", []),
        ("nameserver fe80::1%eth0\n", []),
        # No nameserver at all (the resolver's default is loopback, but nothing says so here).
        ("search example.org\n", []),
        ("", []),
        # A line the resolver would not read as an address: not said to be loopback.
        ("nameserver 127.0.0.11\nnameserver dns.example\n", []),
    ],
)
def test_loopback_only_resolvers(resolv_conf: str, expected: list[str]) -> None:
    assert loopback_only_resolvers(resolv_conf) == expected


def test_resolv_conf_text_names_each_resolver_in_order() -> None:
    assert resolv_conf_text(["192.0.2.53", "fd00::53"]) == "nameserver 192.0.2.53\nnameserver fd00::53\n"
    assert resolv_conf_text([]) == ""


@pytest.mark.parametrize("server", ["dns.example", "192.0.2.53/32", "", "1.2.3"])
def test_resolv_conf_text_refuses_a_resolver_that_is_no_address_naming_the_variable(server: str) -> None:
    with pytest.raises(PodNetworkError, match=rf"^hyperkube_master_pod_nameservers: '{server}' is not an IP address"):
        resolv_conf_text(["192.0.2.53", server])


# --- node subnets --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pod_cidr", "mask", "expected"),
    [
        ("10.244.0.0/16", 24, 253),  # 256 less the network, the bridge's and the broadcast address
        ("10.244.0.0/16", 25, 125),
        ("10.244.0.0/16", 26, 61),
        ("fd00:10:244::/56", 120, 254),  # IPv6 has no broadcast address
        ("fd00:10:244::/56", 64, 2 ** 64 - 2),
    ],
)
def test_pod_addresses_per_node(pod_cidr: str, mask: int, expected: int) -> None:
    assert pod_addresses_per_node(pod_cidr, mask) == expected


@pytest.mark.parametrize(
    ("pod_cidr", "mask", "expected"),
    [
        ("10.244.0.0/16", 24, 256),
        ("10.244.0.0/23", 24, 2),
        ("10.244.0.0/24", 24, 1),
        ("10.244.0.0/24", 20, 1),  # a mask shorter than pod_cidr's: no subnet to cut, the problems say so
        ("fd00:10:244::/56", 64, 256),
    ],
)
def test_node_subnet_count(pod_cidr: str, mask: int, expected: int) -> None:
    assert node_subnet_count(pod_cidr, mask) == expected


@pytest.mark.parametrize(
    ("pod_cidr", "mask", "max_pods"),
    [
        ("10.244.0.0/16", 24, 110),
        ("10.244.0.0/16", 24, 253),
        ("10.244.0.0/16", 16, 110),  # one subnet, the whole range
        ("10.244.0.0/16", 25, 110),
        ("10.244.0.0/16", 26, 61),
        ("10.0.0.0/8", 24, 110),
        ("fd00:10:244::/56", 64, 110),
        ("fd00:10:244::/48", 64, 110),
    ],
)
def test_node_subnets_that_work(pod_cidr: str, mask: int, max_pods: int) -> None:
    assert node_subnet_problems(pod_cidr, mask, max_pods) == []


@pytest.mark.parametrize(
    ("pod_cidr", "mask", "max_pods", "expected"),
    [
        ("10.244.0.0/16", 26, 110, "node_cidr_mask_size: a /26 leaves 61 pod addresses per node, fewer than "
                                   "max_pods (110); use a shorter mask, or lower max_pods"),
        ("10.244.0.0/16", 24, 254, "node_cidr_mask_size: a /24 leaves 253 pod addresses per node, fewer than "
                                   "max_pods (254)"),
        ("10.244.0.0/16", 15, 110, "node_cidr_mask_size: /15 must be between pod_cidr's /16 and /30"),
        # The controller-manager cuts at most 16 bits more than pod_cidr's prefix.
        ("10.0.0.0/8", 25, 110, "node_cidr_mask_size: /25 must be between pod_cidr's /8 and /24"),
        ("10.244.0.0/16", 31, 0, "node_cidr_mask_size: /31 must be between pod_cidr's /16 and /30"),
        ("fd00:10:244::/56", 73, 110, "node_cidr_mask_size: /73 must be between pod_cidr's /56 and /72"),
    ],
)
def test_node_subnets_that_cannot_work_name_node_cidr_mask_size(pod_cidr: str, mask: int, max_pods: int,
                                                               expected: str) -> None:
    (problem,) = node_subnet_problems(pod_cidr, mask, max_pods)
    assert problem.startswith(expected), problem


def test_node_subnets_of_a_pod_cidr_that_is_no_cidr_name_pod_cidr() -> None:
    with pytest.raises(PodNetworkError, match=r"^pod_cidr: 'pods' is not a CIDR"):
        node_subnet_problems("pods", 24, 110)
    with pytest.raises(PodNetworkError, match=r"^pod_cidr: '10\.244\.0\.0/33' is not a CIDR"):
        node_subnet_count("10.244.0.0/33", 24)

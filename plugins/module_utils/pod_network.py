# Copyright: curtain contributors
# Apache License 2.0
"""The pod network across hosts, host-gw style: each node's pods live on its bridge in the podCIDR the
controller-manager gave its Node, and every other kubelet host reaches them by a route through that node's address.

Why host-gw and not an overlay or a CNI project (docs/hyperkube_master.md says more): the reference plugins (bridge,
host-local, loopback, portmap) are all a node needs when the hosts share a layer-2 network, which is what the seed's
hosts did; there is no encapsulation to tune and nothing more to build. A route is a plain kernel route that survives
a restart of Docker Engine and of every container. Hosts on different subnets need an overlay: use a CNI project then.
A host's boot loses the routes and the rule: the module writes them as a script too (RESTORE_SCRIPT, restore_script),
which the node container's entrypoint runs at each start, before the kubelet (roles/artifacts/files/node-image).

The routes carry their own protocol number (ROUTE_PROTOCOL, `ip route ... proto 213`), so that the role finds and
removes its own routes and never another's. Traffic from pods to anywhere outside the cluster's pod range leaves
through one masquerade rule (MASQUERADE_COMMENT); traffic between pods keeps its addresses, as Kubernetes' network
model asks.

Standard library only.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

# A protocol number of our own for the routes (iproute2's rt_protos leaves 5-251 unnamed apart from a few
# routing daemons': bird 12, zebra 11, calico uses 80): `ip route show proto 213` lists exactly curtain's.
ROUTE_PROTOCOL = 213
MASQUERADE_COMMENT = "curtain: pod traffic leaving the pod network"
# In /etc/kubernetes, which the kubelet container mounts at the same place (container_runtime.KUBELET_VOLUMES).
RESTORE_SCRIPT = "/etc/kubernetes/pod-network.sh"


class PodNetworkError(ValueError):
    """A pod network the inventory cannot have; the message names the variable."""


def _network(value: Any, variable: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise PodNetworkError(f"{variable}: {value!r} is not a CIDR") from None


def pod_addresses_per_node(pod_cidr: str, node_cidr_mask_size: int) -> int:
    """Addresses host-local can give pods in one node's subnet: all but the network address, the bridge's (the
    pods' gateway) and, for IPv4, the broadcast address."""
    network = _network(pod_cidr, "pod_cidr")
    size = 2 ** (network.max_prefixlen - node_cidr_mask_size)
    return size - (3 if network.version == 4 else 2)


def node_subnet_count(pod_cidr: str, node_cidr_mask_size: int) -> int:
    """How many node subnets the controller-manager can cut from pod_cidr."""
    return 2 ** max(0, node_cidr_mask_size - _network(pod_cidr, "pod_cidr").prefixlen)


def node_subnet_problems(pod_cidr: str, node_cidr_mask_size: int, max_pods: int) -> list[str]:
    """Why the node subnets (node_cidr_mask_size of pod_cidr) cannot work: not inside pod_cidr, or too small for
    max_pods pods, each message naming the setting."""
    network = _network(pod_cidr, "pod_cidr")
    # The controller-manager's bounds (pkg/controller/nodeipam/ipam/cidrset): the node subnets lie inside pod_cidr,
    # at most 16 bits longer.
    if not network.prefixlen <= node_cidr_mask_size <= min(network.prefixlen + 16, network.max_prefixlen - 2):
        return [f"node_cidr_mask_size: /{node_cidr_mask_size} must be between pod_cidr's /{network.prefixlen} and "
                f"/{min(network.prefixlen + 16, network.max_prefixlen - 2)}: each node takes a subnet of pod_cidr, "
                "and the controller-manager cuts at most 16 bits more"]
    usable = pod_addresses_per_node(pod_cidr, node_cidr_mask_size)
    if usable < max_pods:
        return [f"node_cidr_mask_size: a /{node_cidr_mask_size} leaves {usable} pod addresses per node, fewer than "
                f"max_pods ({max_pods}); use a shorter mask, or lower max_pods"]
    return []


def node_routes(nodes: Sequence[Mapping[str, Any]], own_name: str) -> list[dict[str, str]]:
    """The routes a host needs to every other Node's pods ([{subnet, via, node}], by node name): each Node's
    spec.podCIDRs through its InternalIP of the same family. Nodes the controller-manager has not yet given a
    podCIDR, or without an InternalIP, get none yet (the next run adds them)."""
    routes = []
    for node in sorted(nodes, key=lambda item: item["metadata"]["name"]):
        name = node["metadata"]["name"]
        if name == own_name:
            continue
        spec = node.get("spec") or {}
        subnets = spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
        addresses = [entry["address"] for entry in (node.get("status") or {}).get("addresses") or []
                     if entry.get("type") == "InternalIP"]
        for subnet in subnets:
            version = ipaddress.ip_network(subnet).version
            via = [address for address in addresses if ipaddress.ip_address(address).version == version]
            if via:
                routes.append({"subnet": subnet, "via": via[0], "node": name})
    return routes


def own_pod_subnet(nodes: Sequence[Mapping[str, Any]], own_name: str) -> str | None:
    """This node's podCIDR, or None while the controller-manager has not given it one."""
    for node in nodes:
        if node["metadata"]["name"] == own_name:
            return (node.get("spec") or {}).get("podCIDR") or None
    return None


def nodes_without_pod_subnet(nodes: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[str]:
    """Those of `names` whose Node is not listed yet or has no podCIDR yet: what a play waits for."""
    return [name for name in names if own_pod_subnet(nodes, name) is None]


def route_changes(current: Sequence[Mapping[str, Any]], wanted: Sequence[Mapping[str, str]]) -> dict[str, list]:
    """What to change so that curtain's routes (current: `ip -j route show proto 213` entries) are exactly `wanted`:
    {'replace': [{subnet, via}], 'delete': [subnet]}. A route is replaced when its gateway differs."""
    have = {_canonical(entry["dst"]): entry.get("gateway") for entry in current}
    want = {_canonical(route["subnet"]): route["via"] for route in wanted}
    return {
        "replace": [{"subnet": subnet, "via": via} for subnet, via in sorted(want.items()) if have.get(subnet) != via],
        "delete": sorted(subnet for subnet in have if subnet not in want),
    }


def _canonical(subnet: str) -> str:
    # `ip` prints a /32 route as a bare address.
    return str(ipaddress.ip_network(subnet if "/" in subnet else f"{subnet}/{32 if ':' not in subnet else 128}"))


def loopback_only_resolvers(resolv_conf: str) -> list[str]:
    """The nameservers of a resolv.conf text when every one is a loopback address (which a pod cannot reach: its
    loopback is its own), else []."""
    servers = [line.split()[1] for line in resolv_conf.splitlines()
               if line.strip().startswith("nameserver") and len(line.split()) > 1]
    try:
        loopback = [server for server in servers if ipaddress.ip_address(server.split("%")[0]).is_loopback]
    except ValueError:
        return []
    return servers if servers and len(loopback) == len(servers) else []


def resolv_conf_text(nameservers: Sequence[str]) -> str:
    """A resolv.conf of the given resolvers, for the kubelet's resolvConf."""
    for server in nameservers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise PodNetworkError(f"hyperkube_master_pod_nameservers: {server!r} is not an IP address") from None
    return "".join(f"nameserver {server}\n" for server in nameservers)


def restore_script(routes: Sequence[Mapping[str, str]], pod_cidr: str) -> str:
    """The shell script that puts the routes and the masquerade rule back on a host that lost them (a boot), and
    changes nothing on a host that has them: `ip route replace`, and the rule appended only when `iptables -C` does
    not find it."""
    iptables = "ip6tables" if _network(pod_cidr, "pod_cidr").version == 6 else "iptables"
    rule = shlex.join(masquerade_rule(pod_cidr))
    lines = [
        "# Written by curtain.kube.pod_network; the node container's entrypoint runs it before the kubelet starts.",
        *(shlex.join(["ip", "route", "replace", _canonical(route["subnet"]),
                      "via", str(ipaddress.ip_address(route["via"])), "proto", str(ROUTE_PROTOCOL)])
          for route in routes),
        f"{iptables} -t nat -C POSTROUTING {rule} 2>/dev/null || {iptables} -t nat -A POSTROUTING {rule}",
    ]
    return "\n".join(lines) + "\n"


def masquerade_rule(pod_cidr: str) -> list[str]:
    """The nat POSTROUTING rule (iptables arguments after the chain) for pod traffic leaving the pod network."""
    network = str(_network(pod_cidr, "pod_cidr"))
    return ["-s", network, "!", "-d", network, "-m", "comment", "--comment", MASQUERADE_COMMENT, "-j", "MASQUERADE"]

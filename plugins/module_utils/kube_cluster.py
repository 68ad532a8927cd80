# Copyright: curtain contributors
# Apache License 2.0
"""Who is who in the Kubernetes part of the inventory: masters, their node names and addresses, and the etcd
endpoints an apiserver talks to. Built from the inventory before anything changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.cluster_dns import NAME as DNS_COMPONENT


@dataclass(frozen=True)
class Inventory:
    """What the roles' planners need of the inventory: the groups, and {host: {name, address}} of the masters, of
    this host and of the etcd members (inventory.host_settings). kube_proxy's planner reads the masters alone, etcd's
    the etcd members alone."""

    groups: Mapping[str, Sequence[str]]
    master_hosts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    own: Mapping[str, str] = field(default_factory=dict)
    etcd_hosts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def masters(self, group: str) -> list[dict[str, Any]]:
        """The masters model (masters()) of the hosts of `group`, in inventory order."""
        return masters(list(self.groups.get(group) or []), dict(self.master_hosts), group)


class KubeClusterError(ValueError):
    """An inventory no control plane can be built from; the message names the group or variable."""


_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def node_name_problem(name: str) -> str | None:
    """Why `name` cannot be a Node's name (a DNS-1123 subdomain of at most 253 characters), or None."""
    if len(name) > 253:
        return "is longer than 253 characters"
    if name != name.lower():
        return "has capital letters"
    if "_" in name:
        return "has underscores"
    if not _DNS_SUBDOMAIN.match(name):
        return "is not a DNS subdomain"
    return None


def masters(hosts: list[str], host_settings: dict[str, dict[str, Any]], group: str = "masters") -> list[dict[str, Any]]:
    """[{host, name, address, hostnames}] in inventory order; names and addresses must be unique."""
    if not hosts:
        raise KubeClusterError(f"the inventory group '{group}' is empty: at least one master is needed")
    model = []
    for host in hosts:
        settings = host_settings.get(host) or {}
        address = str(settings.get("address") or "")
        if not address:
            raise KubeClusterError(f"{host}: no address (set kube_advertise_address, or gather facts)")
        name = str(settings.get("name") or host)
        problem = node_name_problem(name)
        if problem:
            where = "kube_node_name" if settings.get("name") else f"the inventory name (set kube_node_name for {host})"
            raise KubeClusterError(f"{host}: node name {name!r} {problem}; {where} must be a lower-case DNS "
                                   "subdomain (a-z, 0-9, '-' and '.'), as the Node authorizer compares it with "
                                   "the kubelet certificate's system:node:<name>")
        model.append({"host": host, "name": name, "address": address, "hostnames": sorted({host, name})})
    for key in ("name", "address"):
        seen = [master[key] for master in model]
        repeated = sorted({value for value in seen if seen.count(value) > 1})
        if repeated:
            raise KubeClusterError(f"masters share the {key} {', '.join(repeated)}: each needs its own")
    return model


def kubelet_role(host: str, groups: Mapping[str, Any], master_group: str = "masters",
                 node_group: str = "nodes", control_plane_taint: bool = True) -> str:
    """"master" (the control plane and its kubelet) or "node" (a kubelet alone) for `host`, from its groups.

    A host in both groups is a master that also takes workloads (kubespray's rule), which the control-plane taint
    forbids: with the taint on, that host is refused, naming both ways out."""
    masters = list(groups.get(master_group) or [])
    nodes = list(groups.get(node_group) or [])
    if host in masters and host in nodes and control_plane_taint:
        raise KubeClusterError(
            f"{host} is in both '{master_group}' and '{node_group}', but hyperkube_master_control_plane_taint is "
            "true, so no workload could run on it: set hyperkube_master_control_plane_taint: false for it (a master "
            f"that takes workloads, as on a one-host site), or take it out of '{node_group}'")
    if host in masters:
        return "master"
    if host in nodes:
        return "node"
    raise KubeClusterError(f"{host} is in neither '{master_group}' (hyperkube_master_group) nor '{node_group}' "
                           "(hyperkube_master_node_group)")


def apiserver_url(host: str, masters: list[dict[str, Any]], secure_port: int) -> str:
    """The apiserver a kubelet or kube-proxy on `host` talks to: its own over loopback when it is a master (no hop,
    and it works before the other masters are up), else the first master's advertise address."""
    if not masters:
        raise KubeClusterError("the masters group is empty: a kubelet and kube-proxy need an apiserver")
    own = [master for master in masters if master["host"] == host]
    address = "127.0.0.1" if own else str(masters[0]["address"])
    if ":" in address:
        address = f"[{address}]"
    return f"https://{address}:{secure_port}"


def etcd_servers(host: str, etcd_hosts: list[str], addresses: dict[str, str], scheme: str, port: int) -> list[str]:
    """--etcd-servers for the apiserver on `host`: its own member over loopback first when it is one (the seed's
    http://127.0.0.1:4001 on a single host), then every other member."""
    if not etcd_hosts:
        raise KubeClusterError("the etcd group is empty: the apiserver needs etcd")
    if scheme not in ("http", "https"):
        raise KubeClusterError(f"etcd scheme must be http or https, got {scheme!r}")
    servers = [f"{scheme}://127.0.0.1:{port}"] if host in etcd_hosts else []
    for member in etcd_hosts:
        if member != host:
            address = addresses.get(member)
            if not address:
                raise KubeClusterError(f"{member}: no etcd address (set etcd_advertise_address, or gather facts)")
            servers.append(f"{scheme}://{f'[{address}]' if ':' in address else address}:{port}")
    return servers


def settings_over(computed: dict[str, Any], user: Mapping[str, Any] | None) -> dict[str, Any]:
    """The user's settings over what the inventory decided; mappings (images, extra_flags) merge one level deep."""
    merged = dict(computed)
    for key, value in (user or {}).items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def master_settings(
    master: dict[str, Any],
    *,
    tls: bool,
    wanted_images: dict[str, dict[str, str]],
    etcd_hosts: list[str],
    etcd_settings: dict[str, dict[str, Any]],
    etcd_scheme: str,
    etcd_port: int,
    pki_dir: str = "/etc/kubernetes/pki",
    user: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The kube settings (kube_manifests.py) for one master: what the inventory decides, then the user's
    settings over it (mappings such as images and extra_flags are merged one level deep)."""
    etcd_addresses = {host: str(values.get("address") or "") for host, values in etcd_settings.items()}
    computed: dict[str, Any] = {
        # The cluster DNS's image is the add-on's (cluster_dns.py), not a component's setting.
        "images": {component: f"{image['repository']}:{image['tag']}" for component, image in wanted_images.items()
                   if component != DNS_COMPONENT},
        "etcd_servers": etcd_servers(master["host"], etcd_hosts, etcd_addresses, etcd_scheme, etcd_port),
    }
    if tls:
        # The node name is what the kubelet's client certificate says (system:node:<name>). The node IP is the
        # address its serving certificate names: the apiserver reaches kubelets by InternalIP and verifies them
        # against the cluster CA, so on a host with several addresses the kubelet must not pick another one.
        computed.update({
            "advertise_address": master["address"],
            "hostname_override": master["name"],
            "node_ip": master["address"],
            "kubelet_tls_cert_file": f"{pki_dir}/kubelet-server.crt",
            "kubelet_tls_key_file": f"{pki_dir}/kubelet-server.key",
        })
    return settings_over(computed, user)

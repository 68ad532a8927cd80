# Copyright: curtain contributors
# Apache License 2.0
"""How kube-proxy runs on one host, decided from the inventory before anything changes.

Step three of the seed was `docker run -d --net=host --privileged hyperkube proxy --master=http://127.0.0.1:8080
--v=2`. curtain runs the same program one of two ways (kube_proxy_deployment):

container
    A Docker container of its own, as the seed did: it runs on any host with Docker, also on a node without a
    kubelet, and restarts by Docker's restart policy. Kubernetes does not know it as a pod.
static_pod
    A static pod of the curtain kubelet (kube-proxy.yaml in the manifest directory), as kubeadm-era clusters ran it
    before the DaemonSet: the kubelet restarts it and reports it as a mirror pod. It needs the kubelet, which curtain
    runs on the masters only.

Both are rendered from one description (`workload`): image, command, volumes, privileges. Where the apiserver is:
on a master, its own apiserver over loopback; elsewhere the first master's advertise address. The seed's apiserver
listens on 127.0.0.1:8080 only, so kube-proxy of the seed profile runs on masters only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import XTABLES_LOCK
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import (
    apiserver_url as cluster_apiserver_url,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import settings_over
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import PortNeed
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import port_needs as component_port_needs
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import (
    KubeManifestError,
    kube_proxy_flags,
    resolve_settings,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import get_profile

DEPLOYMENTS = ("container", "static_pod")
PRIVILEGES = ("privileged", "capabilities")
MANIFEST = "kube-proxy.yaml"
POD_NAME = "kube-proxy"
# What iptables-mode kube-proxy needs without --privileged: change rules and conntrack, open raw sockets.
DEFAULT_CAPABILITIES = ("NET_ADMIN", "NET_RAW")


class KubeProxyError(ValueError):
    """Inputs no kube-proxy can be run from; the message names the variable."""


def apiserver_url(host: str, masters: Sequence[Mapping[str, Any]], profile_name: str,
                  settings: Mapping[str, Any]) -> str:
    """The apiserver kube-proxy's kubeconfig names (kube_cluster.apiserver_url, at the settings' secure port)."""
    if not masters:
        raise KubeProxyError("kube_proxy_master_group: the masters group is empty; kube-proxy needs an apiserver")
    return cluster_apiserver_url(host, list(masters), resolve_settings(profile_name, settings)["secure_port"])


def user_settings(settings: Mapping[str, Any] | None, mode: str | None) -> dict[str, Any]:
    """kube_proxy_settings with kube_proxy_mode over its proxy_mode (an empty mode leaves the settings' own)."""
    return {**dict(settings or {}), **({"proxy_mode": mode} if mode else {})}


def proxy_settings(
    host: str,
    masters: Sequence[Mapping[str, Any]],
    *,
    profile_name: str,
    node_name: str,
    image: str,
    deployment: str,
    user: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The kube settings (kube_manifests.py) for kube-proxy on `host`.

    The user's settings (kube_proxy_settings) go over what the inventory decides; every key is checked by
    resolve_settings, so a typo or a wrong type is refused before anything changes."""
    if deployment not in DEPLOYMENTS:
        raise KubeProxyError(f"kube_proxy_deployment: {deployment!r} is not one of {', '.join(DEPLOYMENTS)}")
    profile = get_profile(profile_name)
    is_master = any(master["host"] == host for master in masters)
    if deployment == "static_pod" and not is_master:
        raise KubeProxyError(
            f"kube_proxy_deployment: static_pod needs the curtain kubelet, which runs on the masters only, and "
            f"{host} is not in the masters group: use kube_proxy_deployment=container on nodes"
        )
    if not profile.features.kube_proxy_config_file and not is_master:
        raise KubeProxyError(
            f"{host} is not a master, and kube-proxy of {profile.label} can only reach the apiserver's insecure "
            "port on 127.0.0.1: run it on the masters, or use the modern profile"
        )
    settings: dict[str, Any] = {"images": {"kube-proxy": image}}
    if profile.features.tls:
        settings["hostname_override"] = node_name
    settings = settings_over(settings, user)
    try:
        resolve_settings(profile_name, settings)
    except KubeManifestError as error:
        raise KubeProxyError(f"kube_proxy_settings: {error}") from None
    return settings


def _volumes(profile_name: str, resolved: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not get_profile(profile_name).features.kube_proxy_config_file:
        return []  # the seed's proxy ran with no mounts at all
    return [
        {"name": "config", "host_path": resolved["kube_proxy_config_file"].rsplit("/", 1)[0],
         "mount_path": resolved["kube_proxy_config_file"].rsplit("/", 1)[0], "read_only": True, "type": "Directory"},
        {"name": "kubeconfig", "host_path": resolved["kube_proxy_kubeconfig"],
         "mount_path": resolved["kube_proxy_kubeconfig"], "read_only": True, "type": "File"},
        # The lock iptables takes, shared with every other iptables user on the host.
        {"name": "xtables-lock", "host_path": XTABLES_LOCK, "mount_path": XTABLES_LOCK,
         "read_only": False, "type": "FileOrCreate"},
        # Modules kube-proxy may load (nf_conntrack, nftables); read-only.
        {"name": "lib-modules", "host_path": "/lib/modules", "mount_path": "/lib/modules", "read_only": True,
         "type": ""},
    ]


def workload(
    profile_name: str,
    settings: Mapping[str, Any],
    *,
    privilege: str,
    capabilities: Sequence[str],
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """{name, image, command, volumes, privileged, capabilities}: kube-proxy, whichever way it runs."""
    if privilege not in PRIVILEGES:
        raise KubeProxyError(f"kube_proxy_privilege: {privilege!r} is not one of {', '.join(PRIVILEGES)}")
    if privilege == "capabilities" and not capabilities:
        raise KubeProxyError("kube_proxy_capabilities: empty; kube-proxy needs at least NET_ADMIN to program rules")
    profile = get_profile(profile_name)
    try:
        resolved = resolve_settings(profile_name, settings)
        flags = kube_proxy_flags(profile_name, settings, warnings)
    except KubeManifestError as error:
        raise KubeProxyError(f"kube_proxy_settings: {error}") from None
    return {
        "name": POD_NAME,
        "image": resolved["images"]["kube-proxy"],
        "command": [*profile.images["kube-proxy"].command, *flags],
        "volumes": _volumes(profile_name, resolved),
        "privileged": privilege == "privileged",
        "capabilities": [] if privilege == "privileged" else sorted({str(cap).upper() for cap in capabilities}),
    }


def container_volumes(spec: Mapping[str, Any]) -> list[str]:
    """docker_container's volumes: host:container[:ro]."""
    return [
        f"{volume['host_path']}:{volume['mount_path']}:{'ro' if volume['read_only'] else 'rw'}"
        for volume in spec["volumes"]
    ]


def static_pod(spec: Mapping[str, Any], config_hash: str = "") -> dict[str, Any]:
    """The v1 Pod for the manifest directory, in kube-system with the control plane's priority class.

    The kubelet restarts a static pod only when its manifest changes, not when a file it mounts does: the hash of
    the configuration and credentials goes into an annotation, so a new KubeProxyConfiguration restarts it."""
    security: dict[str, Any] = {"privileged": True} if spec["privileged"] else {
        "capabilities": {"add": list(spec["capabilities"])}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": POD_NAME,
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-proxy", "app.kubernetes.io/managed-by": "curtain"},
            **({"annotations": {"io.curtain.config-hash": config_hash}} if config_hash else {}),
        },
        "spec": {
            "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "containers": [{
                "name": POD_NAME,
                "image": spec["image"],
                "imagePullPolicy": "IfNotPresent",
                "command": list(spec["command"]),
                "securityContext": security,
                "volumeMounts": [
                    {"name": volume["name"], "mountPath": volume["mount_path"], "readOnly": volume["read_only"]}
                    for volume in spec["volumes"]
                ],
            }],
            "volumes": [
                {"name": volume["name"], "hostPath": {"path": volume["host_path"], "type": volume["type"]}}
                for volume in spec["volumes"]
            ],
        },
    }


def health_url(profile_name: str, settings: Mapping[str, Any]) -> str:
    """kube-proxy's health on this host: modern /livez on healthzBindAddress (a wildcard means loopback), seed
    127.0.0.1:<healthz port>/healthz. /livez says whether kube-proxy runs and syncs its rules; /healthz also answers
    503 while the host has no Node object (a host without a kubelet), since load balancers ask it."""
    profile = get_profile(profile_name)
    resolved = resolve_settings(profile_name, settings)
    if not profile.features.kube_proxy_config_file:
        return f"http://127.0.0.1:{profile.ports.kube_proxy_healthz}/healthz"
    host, _, port = str(resolved["kube_proxy_healthz_bind_address"]).rpartition(":")
    host = host.strip("[]")
    address = ipaddress.ip_address(host)
    if address.is_unspecified:
        host = "::1" if address.version == 6 else "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/livez"


# What kube-proxy writes at start when a value differs, a failed write being fatal (cmd/kube-proxy/app: the
# conntrack timeouts of KubeProxyConfiguration's defaults, 24 h and 1 h; route_localnet for localhost NodePorts in
# iptables mode). The conntrack table size is left alone (conntrack.maxPerCore: 0, kube_manifests.py).
_CONNTRACK_SYSCTLS = {
    "net.netfilter.nf_conntrack_tcp_timeout_established": "86400",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait": "3600",
}


def sysctls(profile_name: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """{sysctl: value} that kube-proxy would set at start; the role sets them on the host first, so that kube-proxy
    finds them right even where /proc/sys is read-only to it (the capabilities mode). None for the seed's."""
    if not get_profile(profile_name).features.kube_proxy_config_file:
        return {}
    values = dict(_CONNTRACK_SYSCTLS)
    if (resolve_settings(profile_name, settings)["proxy_mode"] or "iptables") == "iptables":
        values["net.ipv4.conf.all.route_localnet"] = "1"
    return values


def port_needs(profile_name: str, settings: Mapping[str, Any]) -> list[PortNeed]:
    """The TCP ports kube-proxy listens on here, and the kube_proxy_settings key that moves each (the component
    table's listens). The seed's kube-proxy has no configuration file: its healthz port is the profile's."""
    profile = get_profile(profile_name)
    resolved = resolve_settings(profile_name, settings) if profile.features.kube_proxy_config_file else {}
    return component_port_needs(["kube-proxy"], profile.ports, resolved, "kube_proxy_settings")


def ports(profile_name: str, settings: Mapping[str, Any]) -> list[int]:
    """The TCP ports kube-proxy listens on here."""
    return sorted({need.port for need in port_needs(profile_name, settings)})

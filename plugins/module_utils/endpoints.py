# Copyright: curtain contributors
# Apache License 2.0
"""Where each component answers for its health on its own host, and how to ask it.

One list per component set, used by the roles' health steps (which wait for them) and by site.yml's summary (which
looks once): {component, url, ca_file, cert_file, key_file, validate_certs, container | docker_pod_container |
pod_container and kubelet_container}.
Everything is asked over loopback on the host itself, so no address from the inventory is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.kube_components import BY_NAME, CONTROL_PLANE, Component
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import resolve_settings
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import get_profile
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import health_url as kube_proxy_health_url


def etcd(client_port: int, tls: bool, pki_dir: str, container: str = "curtain-etcd") -> list[dict[str, Any]]:
    """etcd's /health over loopback, with the member's client certificate when it serves TLS."""
    if not tls:
        return [{"component": "etcd", "url": f"http://127.0.0.1:{client_port}/health", "container": container}]
    return [{
        "component": "etcd",
        "url": f"https://127.0.0.1:{client_port}/health",
        "ca_file": f"{pki_dir}/ca.crt",
        "cert_file": f"{pki_dir}/client.crt",
        "key_file": f"{pki_dir}/client.key",
        "container": container,
    }]


def control_plane(profile_reference: str, settings: Mapping[str, Any] | None,
                  kubelet_container: str = "curtain-kubelet") -> list[dict[str, Any]]:
    """The kubelet, then the static pods in start order. Modern: the apiserver's /readyz with the admin
    certificate, controller-manager and scheduler over HTTPS with their self-signed certificates (nothing to
    verify them against). Seed: plain HTTP, as 1.1 served it."""
    profile = get_profile(profile_reference)
    resolved = resolve_settings(profile_reference, settings or {})
    # Modern: the port the KubeletConfiguration sets (hyperkube_master_settings.kubelet_healthz_port); the seed's
    # kubelet takes no such setting.
    healthz_port = resolved.get("kubelet_healthz_port") or profile.ports.kubelet_healthz
    kubelet = {"component": "kubelet", "container": kubelet_container,
               "url": f"http://127.0.0.1:{healthz_port}/healthz"}
    pki = resolved["pki_dir"]

    def health_port(row: Component) -> int:  # the apiserver's from the settings, the others' from the profile
        if row.health_port is None:
            return int(resolved["insecure_port"] if profile.features.insecure_port else resolved["secure_port"])
        return int(getattr(profile.ports, row.health_port))

    def endpoint(row: Component) -> dict[str, Any]:
        port = health_port(row)
        if profile.features.insecure_port:  # the seed: everything on the insecure ports, pods as Docker containers
            name = row.hyperkube_subcommand
            return {"component": name, "docker_pod_container": name, "url": f"http://127.0.0.1:{port}/healthz"}
        # The static pods run in containerd, inside the kubelet's container.
        where = {"component": row.name, "pod_container": row.name, "kubelet_container": kubelet_container}
        if row.health_port is None:
            return {**where, "url": f"https://127.0.0.1:{port}/readyz",
                    "ca_file": f"{pki}/ca.crt", "cert_file": f"{pki}/admin.crt", "key_file": f"{pki}/admin.key"}
        return {**where, "validate_certs": False, "url": f"https://127.0.0.1:{port}/healthz"}

    return [kubelet] + [endpoint(BY_NAME[name]) for name in CONTROL_PLANE]


def kube_proxy(profile_reference: str, settings: Mapping[str, Any] | None, deployment: str = "container",
               container: str = "curtain-kube-proxy",
               kubelet_container: str = "curtain-kubelet") -> list[dict[str, Any]]:
    if deployment == "container":
        where = {"container": container}
    elif get_profile(profile_reference).features.insecure_port:  # the seed's kubelet: pods are Docker containers
        where = {"docker_pod_container": "kube-proxy"}
    else:
        where = {"pod_container": "kube-proxy", "kubelet_container": kubelet_container}
    return [{"component": "kube-proxy", "url": kube_proxy_health_url(profile_reference, settings or {}), **where}]

# Copyright: curtain contributors
# Apache License 2.0
"""Filters that expose the structured-file builders (module_utils/kube_manifests.py) to YAML.

'modern' | kube_control_plane_pods(settings)   -> {filename: Pod} for the static pod directory
'modern' | kube_settings(settings)             -> the settings with every default and derived path filled in
cluster_name | kube_kubeconfig(server, ca_file, client_cert_file, client_key_file, user, embed=false,
                               ca_pem=none, client_cert_pem=none, client_key_pem=none) -> a v1 Config
'modern' | kube_master_config_files(settings, control_plane) -> [{content, dest, mode, validate}]: the master
    role's files for one curtain.kube.kube_file run (its own files, the KubeletConfiguration, the static pods)
clients | kube_kubeconfig_files(cluster_name, server, kubeconfig_dir, controller_dir, host_dir)
    -> [{content, dest, mode, validate}]: kubeconfigs carrying the certificates read from the controller
settings | kube_kubelet_configuration(profile='modern')  -> KubeletConfiguration
'seed' | kube_kubelet_flags(settings)          -> ["--containerized", ...]
settings | kube_proxy_configuration(profile='modern')    -> KubeProxyConfiguration
'seed' | kube_proxy_flags(settings)            -> ["--master=http://127.0.0.1:8080", "--v=2"]

Every error of the settings or the flags is reported at once, as the filter's error; deprecated flags only warn.
Wherever a profile is taken, a profile reference may be given: 'modern', 'modern@v1.36.3' (a pinned version: its
images, flag set and features), 'seed'.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible.utils.display import Display
from ansible_collections.curtain.kube.plugins.module_utils import kube_manifests
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)

display = Display()


def _warn(warnings: list[str]) -> None:
    for warning in dict.fromkeys(warnings):  # once each, in order
        display.warning(warning)


@_filter_errors
def kube_control_plane_pods(profile: str, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    warnings: list[str] = []
    pods = kube_manifests.control_plane_pods(profile, settings, warnings)
    _warn(warnings)
    return pods


@_filter_errors
def kube_settings(profile: str, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return kube_manifests.resolve_settings(profile, settings)


@_filter_errors
def kube_kubeconfig(
    cluster_name: str,
    server: str,
    ca_file: str | None = None,
    client_cert_file: str | None = None,
    client_key_file: str | None = None,
    user: str = "kubernetes-admin",
    embed: bool = False,
    ca_pem: str | None = None,
    client_cert_pem: str | None = None,
    client_key_pem: str | None = None,
) -> dict[str, Any]:
    return kube_manifests.kubeconfig(
        cluster_name, server, ca_file, client_cert_file, client_key_file, user,
        embed=embed, ca_pem=ca_pem, client_cert_pem=client_cert_pem, client_key_pem=client_key_pem,
    )


@_filter_errors
def kube_master_config_files(profile: str, settings: Mapping[str, Any] | None = None,
                             control_plane: bool = True) -> list[dict[str, Any]]:
    warnings: list[str] = []
    files = kube_manifests.master_config_files(profile, settings, bool(control_plane), warnings)
    _warn(warnings)
    return files


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise kube_manifests.KubeManifestError([f"kubeconfig: cannot read {path}: {error.strerror}"]) from None


@_filter_errors
def kube_kubeconfig_files(clients: list[dict[str, str]], cluster_name: str, server: str, kubeconfig_dir: str,
                          controller_dir: str, host_dir: str) -> list[dict[str, Any]]:
    """The certificates are the controller's files: the CA's in controller_dir, each client's in host_dir."""
    pems = {client["cert"]: (_read(Path(host_dir, f"{client['cert']}.crt")),
                             _read(Path(host_dir, f"{client['cert']}.key"))) for client in clients}
    return kube_manifests.kubeconfig_files(clients, cluster_name, server, kubeconfig_dir,
                                           _read(Path(controller_dir, "ca.crt")), pems)


@_filter_errors
def kube_kubelet_configuration(settings: Mapping[str, Any] | None = None, profile: str = "modern") -> dict[str, Any]:
    return kube_manifests.kubelet_configuration(settings, profile)


@_filter_errors
def kube_kubelet_flags(profile: str, settings: Mapping[str, Any] | None = None) -> list[str]:
    warnings: list[str] = []
    flags = kube_manifests.kubelet_flags(profile, settings, warnings)
    _warn(warnings)
    return flags


@_filter_errors
def kube_proxy_configuration(settings: Mapping[str, Any] | None = None, profile: str = "modern") -> dict[str, Any]:
    return kube_manifests.kube_proxy_configuration(settings, profile)


@_filter_errors
def kube_proxy_flags(profile: str, settings: Mapping[str, Any] | None = None) -> list[str]:
    warnings: list[str] = []
    flags = kube_manifests.kube_proxy_flags(profile, settings, warnings)
    _warn(warnings)
    return flags


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_control_plane_pods": kube_control_plane_pods,
            "kube_settings": kube_settings,
            "kube_kubeconfig": kube_kubeconfig,
            "kube_master_config_files": kube_master_config_files,
            "kube_kubeconfig_files": kube_kubeconfig_files,
            "kube_kubelet_configuration": kube_kubelet_configuration,
            "kube_kubelet_flags": kube_kubelet_flags,
            "kube_proxy_configuration": kube_proxy_configuration,
            "kube_proxy_flags": kube_proxy_flags,
        }

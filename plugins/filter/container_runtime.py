# Copyright: curtain contributors
# Apache License 2.0
"""Filters over the kubelet's container runtime (module_utils/container_runtime.py).

privilege | kube_kubelet_container(capabilities, dropped, cgroup_root)  -> docker_container options
pod_subnet | kube_cni_config                     -> {path: data}: the node's pod network (CNI), from its podCIDR
profile | kube_kubelet_host_layout(settings, runtime_files, nameservers, control_plane)
                                                 -> {directories, files, sysctl} of a kubelet host, for host_files
crictl_pods_json | kube_pod_logs                 -> {directories, link_patterns} of those pods' logs
static_pods | kube_pod_host_paths                -> the host paths the kubelet container mounts for them
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils import container_runtime
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)


def cni_config(pod_subnet: str) -> dict[str, dict[str, Any]]:
    """{path: data} of the node's CNI configuration for its pod subnet."""
    return {container_runtime.CNI_CONF_FILE: container_runtime.cni_config(pod_subnet)}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_kubelet_container": _filter_errors(container_runtime.kubelet_container),
            "kube_cni_config": _filter_errors(cni_config),
            "kube_kubelet_host_layout": _filter_errors(container_runtime.kubelet_host_layout),
            "kube_pod_logs": _filter_errors(container_runtime.pod_logs),
            "kube_pod_host_paths": _filter_errors(container_runtime.pod_host_paths),
        }

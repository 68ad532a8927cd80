# Copyright: curtain contributors
# Apache License 2.0
"""Filters over the kubelet's container runtime (module_utils/container_runtime.py).

privilege | kube_kubelet_container(capabilities, dropped, cgroup_root)  -> docker_container options
crictl_pods_json | kube_pod_logs                 -> {directories, link_patterns} of those pods' logs
static_pods | kube_pod_host_paths                -> the host paths the kubelet container mounts for them
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils import container_runtime
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_kubelet_container": _filter_errors(container_runtime.kubelet_container),
            "kube_pod_logs": _filter_errors(container_runtime.pod_logs),
            "kube_pod_host_paths": _filter_errors(container_runtime.pod_host_paths),
        }

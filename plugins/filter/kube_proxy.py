# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/kube_proxy.py: how kube-proxy runs on a host (module_utils/kube_proxy_plan.py decides
its settings, workload, ports, sysctls and kubeconfig; the kube_proxy_plan filter is in plans.py).

workload | kube_proxy_container_volumes                          -> ["host:container:ro", ...]
workload | kube_proxy_static_pod                                -> the v1 Pod for the manifest directory
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import (
    container_volumes,
    static_pod,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_proxy_container_volumes": _filter_errors(container_volumes),
            "kube_proxy_static_pod": _filter_errors(static_pod),
        }

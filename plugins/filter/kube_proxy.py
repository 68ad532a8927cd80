# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/kube_proxy.py: how kube-proxy runs on a host.

host | kube_proxy_settings(masters, profile_name=, node_name=, image=, deployment=, user=) -> kube settings
host | kube_proxy_apiserver_url(masters, profile, settings)       -> https://<apiserver>:<port>
profile | kube_proxy_workload(settings, privilege=, capabilities=) -> {name, image, command, volumes, ...}
workload | kube_proxy_container_volumes                          -> ["host:container:ro", ...]
workload | kube_proxy_static_pod                                -> the v1 Pod for the manifest directory
profile | kube_proxy_ports(settings)                             -> [10249, 10256]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.utils.display import Display
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import (
    apiserver_url,
    container_volumes,
    ports,
    proxy_settings,
    static_pod,
    sysctls,
    workload,
)

display = Display()


def kube_proxy_workload(profile: str, settings: Mapping[str, Any], privilege: str,
                        capabilities: Sequence[str]) -> dict[str, Any]:
    """The workload, with the flag checks' warnings (a deprecated flag or proxy mode) shown once each."""
    warnings: list[str] = []
    spec = workload(profile, settings, privilege=privilege, capabilities=capabilities, warnings=warnings)
    for warning in dict.fromkeys(warnings):
        display.warning(warning)
    return spec


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_proxy_settings": _filter_errors(proxy_settings),
            "kube_proxy_apiserver_url": _filter_errors(apiserver_url),
            "kube_proxy_workload": _filter_errors(kube_proxy_workload),
            "kube_proxy_container_volumes": _filter_errors(container_volumes),
            "kube_proxy_static_pod": _filter_errors(static_pod),
            "kube_proxy_ports": _filter_errors(ports),
            "kube_proxy_sysctls": _filter_errors(sysctls),
        }

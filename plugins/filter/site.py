# Copyright: curtain contributors
# Apache License 2.0
"""Filters for the health looks of the roles and site.yml (module_utils/endpoints.py, site_summary.py).

profile | etcd_health_endpoints(client_port=, tls=, pki_dir=)                -> [{component, url, ...}]
profile | control_plane_health_endpoints(settings, kubelet_container)        -> [{component, url, ...}]
profile | kube_proxy_health_endpoints(settings, deployment, container)       -> [{component, url, ...}]
looks | site_summary(all_hosts=, profile=, ...)                             -> one multi-line string
inventory_dir | role_defaults                                                -> the roles' defaults (role_defaults.py)
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils import endpoints
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import role_defaults
from ansible_collections.curtain.kube.plugins.module_utils.site_summary import summary


def site_summary(looks: dict, **kwargs: Any) -> str:
    """One string, not a list: the YAML result format prints it as a block, where it would fold list items."""
    return "\n".join(summary(looks, **kwargs))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "etcd_health_endpoints": _filter_errors(endpoints.etcd_of_profile),
            "control_plane_health_endpoints": _filter_errors(endpoints.control_plane),
            "kube_proxy_health_endpoints": _filter_errors(endpoints.kube_proxy),
            "site_summary": _filter_errors(site_summary),
            "role_defaults": _filter_errors(role_defaults),
        }

# Copyright: curtain contributors
# Apache License 2.0
"""Filters for site.yml's summary (module_utils/site_summary.py; the endpoints it looks at are the roles' plans').

looks | site_summary(all_hosts=, profile=, ...)                             -> one multi-line string
dns_ready | site_listed_nodes(cluster_steps)                                 -> the Nodes this run last listed, or None
inventory_dir | role_defaults                                                -> the roles' defaults (role_defaults.py)
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import role_defaults
from ansible_collections.curtain.kube.plugins.module_utils.site_summary import listed_nodes, summary


def site_summary(looks: dict, **kwargs: Any) -> str:
    """One string, not a list: the YAML result format prints it as a block, where it would fold list items."""
    return "\n".join(summary(looks, **kwargs))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "site_summary": _filter_errors(site_summary),
            "role_defaults": _filter_errors(role_defaults),
            "site_listed_nodes": _filter_errors(listed_nodes),
        }

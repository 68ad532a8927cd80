# Copyright: curtain contributors
# Apache License 2.0
"""Filters for site.yml's summary (module_utils/site_summary.py; the endpoints it looks at are the roles' plans').

looks | site_summary(all_hosts=, profile=, ...)                             -> one multi-line string
hostvars | site_listed_nodes(first_master, hosts)                            -> the Nodes this run last listed, or None
inventory_dir | role_defaults                                                -> the roles' defaults (role_defaults.py)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import role_defaults
from ansible_collections.curtain.kube.plugins.module_utils.site_summary import listed_nodes, summary


def site_listed_nodes(hostvars: Mapping[str, Mapping[str, Any]], first_master: str,
                      hosts: Sequence[str]) -> list[dict[str, Any]] | None:
    """The Nodes as this run last listed them (site_summary.listed_nodes): the first master's wait for the cluster
    DNS, else the cluster step of the first of `hosts` (the nodes' play's hosts first) that ran it."""
    def registered(host: str, name: str) -> Any:
        return hostvars[host].get(name) if host in hostvars else None

    return listed_nodes(registered(first_master, "__hyperkube_master_dns_ready"),
                        [registered(host, "__hyperkube_master_cluster") for host in hosts])


def site_summary(looks: dict, **kwargs: Any) -> str:
    """One string, not a list: the YAML result format prints it as a block, where it would fold list items."""
    return "\n".join(summary(looks, **kwargs))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "site_summary": _filter_errors(site_summary),
            "role_defaults": _filter_errors(role_defaults),
            "site_listed_nodes": _filter_errors(site_listed_nodes),
        }

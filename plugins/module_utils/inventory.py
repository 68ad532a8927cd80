"""Reading per-host settings out of the inventory for the cluster models.

Roles cannot see other hosts' role defaults, only their inventory variables and gathered facts, so the
per-host values a cluster model needs (name, address) are resolved here with one documented precedence.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any


class InventoryError(ValueError):
    pass


def _is_ip(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def advertise_address(host: str, host_vars: Mapping[str, Any], address_var: str) -> str:
    """The address a host advertises to its peers.

    Precedence: the role's address variable set in the inventory; the default IPv4 address from gathered
    facts; `ansible_host` when it is an IP address. Anything else is ambiguous, so it is an error.
    """
    explicit = host_vars.get(address_var)
    if explicit not in (None, ""):
        return str(explicit)
    facts = host_vars.get("ansible_facts") or {}
    fact_address = (facts.get("default_ipv4") or {}).get("address")
    if fact_address:
        return str(fact_address)
    ansible_host = host_vars.get("ansible_host")
    if ansible_host and _is_ip(ansible_host):
        return str(ansible_host)
    raise InventoryError(
        f"{address_var} is not set for host {host} and no address could be found for it: set {address_var} in "
        "the inventory, or gather facts (default_ipv4) for that host, or give it an IP address as ansible_host"
    )


def host_settings(
    hosts: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]], *, name_var: str, address_var: str
) -> dict[str, dict[str, str]]:
    """{host: {"name": ..., "address": ...}} for the hosts of a group, names defaulting to the host name."""
    if not hosts:
        raise InventoryError("the group is empty: add at least one host to it in the inventory")
    settings = {}
    for host in hosts:
        host_vars = hostvars[host]
        settings[host] = {
            "name": str(host_vars.get(name_var) or host),
            "address": advertise_address(host, host_vars, address_var),
        }
    return settings

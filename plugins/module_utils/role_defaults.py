# Copyright: curtain contributors
# Apache License 2.0
"""The roles' defaults that playbooks composing several roles read: preflight.yml, reset.yml and site.yml's summary.

A play that does not run a role cannot see its defaults, so they are read here from where the roles keep them,
roles/*/defaults/main.yml and the profiles in roles/*/vars/main.yml: written once, read by Ansible and by this.
Controller side only (no module imports it): it reads the collection's roles beside it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# The roles whose inputs preflight checks against their meta/argument_specs.yml, and whose defaults this reads.
SPEC_ROLES = ("etcd", "hyperkube_master", "kube_proxy")
# This file sits in <collection>/plugins/module_utils; the roles in <collection>/roles, installed or checked out.
ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
INVENTORY_DIR = "{{ inventory_dir }}"


def _role_file(role: str, name: str) -> dict[str, Any]:
    return yaml.safe_load((ROLES_DIR / role / name).read_text(encoding="utf-8")) or {}


def _plain_defaults() -> dict[str, Any]:
    """Every role default that is a value, or a path under the inventory's directory ("{{ inventory_dir }}/..").
    A default that follows the profile is Jinja over the role's vars; its values are the tables below."""
    defaults: dict[str, Any] = {}
    for role in SPEC_ROLES:
        for name, value in _role_file(role, "defaults/main.yml").items():
            if not (isinstance(value, str) and "{{" in value.replace(INVENTORY_DIR, "")):
                defaults[name] = value
    return defaults


DEFAULTS: Mapping[str, Any] = _plain_defaults()
_ETCD_PROFILES = _role_file("etcd", "vars/main.yml")["_etcd_profiles"]
_MASTER_VARS = _role_file("hyperkube_master", "vars/main.yml")
ETCD_PORTS: Mapping[str, Mapping[str, int]] = {
    profile: {"client_port": values["client_port"], "peer_port": values["peer_port"]}
    for profile, values in _ETCD_PROFILES.items()}
ETCD_TLS: Mapping[str, bool] = {profile: values["tls"] for profile, values in _ETCD_PROFILES.items()}
ETCD_ENABLE_V2: Mapping[str, bool] = {profile: values["enable_v2"] for profile, values in _ETCD_PROFILES.items()}
HYPERKUBE_PROFILES: Mapping[str, Mapping[str, Any]] = _MASTER_VARS["_hyperkube_master_profiles"]
HYPERKUBE_ETCD_PORTS: Mapping[str, int] = {profile: values["etcd_port"]
                                           for profile, values in HYPERKUBE_PROFILES.items()}


def with_inventory_dir(value: Any, inventory_dir: str) -> Any:
    """A default with the inventory's directory filled in, as Ansible renders it."""
    return value.replace(INVENTORY_DIR, inventory_dir) if isinstance(value, str) else value


def role_defaults(inventory_dir: str) -> dict[str, Any]:
    """DEFAULTS with the inventory's directory filled in, as plain data for a playbook (copies: a caller may
    change them)."""
    return {name: with_inventory_dir(value, inventory_dir) if isinstance(value, str) else
            (list(value) if isinstance(value, list) else dict(value) if isinstance(value, Mapping) else value)
            for name, value in DEFAULTS.items()}


@functools.lru_cache(maxsize=1)
def argument_specs() -> dict[str, dict[str, Any]]:
    """{role: {option: spec}} from each role's meta/argument_specs.yml, every entry point's options together.

    Read rather than copied: the argument specs are the one declaration of every role input, and preflight checks
    the inventory against them.
    """
    specs: dict[str, dict[str, Any]] = {}
    for role in SPEC_ROLES:
        options: dict[str, Any] = {}
        for entry in (_role_file(role, "meta/argument_specs.yml").get("argument_specs") or {}).values():
            options.update((entry or {}).get("options") or {})
        specs[role] = options
    return specs

"""The one copy of the roles' defaults that preflight.yml, reset.yml and site.yml's summary read."""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import (
    DEFAULTS,
    ETCD_PORTS,
    ETCD_TLS,
    HYPERKUBE_ETCD_PORTS,
    role_defaults,
)

ROOT = Path(__file__).resolve().parents[4]


def _yaml(path: str) -> dict:
    return yaml.safe_load((ROOT / path).read_text())


def test_defaults_equal_the_roles() -> None:
    defaults = {**_yaml("roles/etcd/defaults/main.yml"), **_yaml("roles/hyperkube_master/defaults/main.yml"),
                **_yaml("roles/kube_proxy/defaults/main.yml")}
    for name, value in DEFAULTS.items():
        expected = defaults[name]
        if isinstance(value, str) and "{inventory_dir}" in value:
            assert expected == value.replace("{inventory_dir}", "{{ inventory_dir }}"), name
        else:
            assert value == expected, name


def test_profile_values_equal_the_roles_vars() -> None:
    etcd_profiles = _yaml("roles/etcd/vars/main.yml")["_etcd_profiles"]
    assert {name: {"client_port": p["client_port"], "peer_port": p["peer_port"]}
            for name, p in etcd_profiles.items()} == ETCD_PORTS
    assert {name: p["tls"] for name, p in etcd_profiles.items()} == ETCD_TLS
    master_profiles = _yaml("roles/hyperkube_master/vars/main.yml")["_hyperkube_master_profiles"]
    assert {name: p["etcd_port"] for name, p in master_profiles.items()} == HYPERKUBE_ETCD_PORTS


def test_role_defaults_fills_in_the_inventory_dir_and_copies() -> None:
    found = role_defaults("/inv")
    assert found["hyperkube_master_pki_controller_dir"] == "/inv/artifacts/pki/kubernetes"
    found["kube_proxy_capabilities"].append("SYS_ADMIN")
    assert DEFAULTS["kube_proxy_capabilities"] == ["NET_ADMIN", "NET_RAW"]

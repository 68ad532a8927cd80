"""role_defaults reads the roles' defaults and profiles from the roles themselves, for the playbooks that compose
several roles (preflight.yml, reset.yml, site.yml's summary)."""

from __future__ import annotations

from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import (
    DEFAULTS,
    ETCD_PORTS,
    ETCD_TLS,
    HYPERKUBE_ETCD_PORTS,
    role_defaults,
)


def test_the_defaults_are_the_roles_values() -> None:
    assert DEFAULTS["etcd_profile"] == "modern" and DEFAULTS["etcd_data_dir"] == "/var/lib/curtain/etcd"
    assert DEFAULTS["hyperkube_master_dns"] is True
    assert DEFAULTS["kube_proxy_capabilities"] == ["NET_ADMIN", "NET_RAW"]


def test_a_default_that_follows_the_profile_comes_from_the_profile_tables() -> None:
    """etcd_client_port's default is Jinja over the role's profiles: not a value, so it is left out of DEFAULTS and
    the profiles give it, as the seed's post has it (4001 for clients, TLS off)."""
    assert "etcd_client_port" not in DEFAULTS and "hyperkube_master_etcd_port" not in DEFAULTS
    assert ETCD_PORTS == {"modern": {"client_port": 2379, "peer_port": 2380},
                          "seed": {"client_port": 4001, "peer_port": 2380}}
    assert ETCD_TLS == {"modern": True, "seed": False}
    assert HYPERKUBE_ETCD_PORTS == {"modern": 2379, "seed": 4001}


def test_role_defaults_fills_in_the_inventory_dir_and_copies() -> None:
    found = role_defaults("/inv")
    assert found["hyperkube_master_pki_controller_dir"] == "/inv/artifacts/pki/kubernetes"
    assert found["etcd_pki_controller_dir"] == "/inv/artifacts/pki/etcd"
    found["kube_proxy_capabilities"].append("SYS_ADMIN")
    assert DEFAULTS["kube_proxy_capabilities"] == ["NET_ADMIN", "NET_RAW"]

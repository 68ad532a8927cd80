# Copyright: curtain contributors
# Apache License 2.0
"""The roles' defaults that playbooks composing several roles read: preflight.yml, reset.yml and site.yml's summary.

A play that does not run a role cannot see its defaults, so they are repeated here, once;
tests/unit/plugins/module_utils/test_role_defaults.py keeps them equal to roles/*/defaults and vars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# roles/*/defaults/main.yml; "{inventory_dir}" stands for the inventory's directory.
DEFAULTS: Mapping[str, Any] = {
    "etcd_group": "etcd",
    "etcd_profile": "modern",
    "etcd_cluster_token": "curtain-etcd",
    "etcd_data_dir": "/var/lib/curtain/etcd",
    "etcd_pki_dir": "/etc/curtain/pki/etcd",
    "etcd_backup_dir": "/var/lib/curtain/backups/etcd",
    "hyperkube_master_profile": "modern",
    "hyperkube_master_settings": {},
    "hyperkube_master_pki_controller_dir": "{inventory_dir}/artifacts/pki/kubernetes",
    "kube_proxy_profile": "modern",
    "kube_proxy_mode": "",
    "kube_proxy_settings": {},
    "kube_proxy_deployment": "container",
    "kube_proxy_privilege": "capabilities",
    "kube_proxy_capabilities": ["NET_ADMIN", "NET_RAW"],
}
# roles/etcd/vars/main.yml _etcd_profiles
ETCD_PORTS: Mapping[str, Mapping[str, int]] = {
    "modern": {"client_port": 2379, "peer_port": 2380},
    "seed": {"client_port": 4001, "peer_port": 2380},
}
ETCD_TLS: Mapping[str, bool] = {"modern": True, "seed": False}
# roles/hyperkube_master/vars/main.yml _hyperkube_master_profiles[].etcd_port
HYPERKUBE_ETCD_PORTS: Mapping[str, int] = {"modern": 2379, "seed": 4001}


def role_defaults(inventory_dir: str) -> dict[str, Any]:
    """DEFAULTS with the inventory's directory filled in, as plain data for a playbook."""
    return {name: value.format(inventory_dir=inventory_dir) if isinstance(value, str) else
            (list(value) if isinstance(value, list) else dict(value) if isinstance(value, Mapping) else value)
            for name, value in DEFAULTS.items()}

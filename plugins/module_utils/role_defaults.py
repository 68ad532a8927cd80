# Copyright: curtain contributors
# Apache License 2.0
"""The roles' defaults that playbooks composing several roles read: preflight.yml, reset.yml and site.yml's summary.

A play that does not run a role cannot see its defaults, so they are repeated here, once;
tests/unit/plugins/module_utils/test_role_defaults.py keeps them equal to roles/*/defaults and vars.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# roles/*/defaults/main.yml; "{inventory_dir}" stands for the inventory's directory.
DEFAULTS: Mapping[str, Any] = {
    "etcd_group": "etcd",
    "etcd_profile": "modern",
    "etcd_cluster_token": "curtain-etcd",
    "etcd_image_source": "local",
    "etcd_version": "",
    "etcd_image": "",
    "etcd_image_digest": "",
    "etcd_image_tarball": "",
    "etcd_image_directory": "",
    "etcd_data_dir": "/var/lib/curtain/etcd",
    "etcd_pki_dir": "/etc/curtain/pki/etcd",
    "etcd_backup_dir": "/var/lib/curtain/backups/etcd",
    "hyperkube_master_profile": "modern",
    "hyperkube_master_version": "",
    "hyperkube_master_image_source": "registry",
    "hyperkube_master_image_directory": "",
    "hyperkube_master_images": {},
    "hyperkube_master_settings": {},
    "hyperkube_master_dns": True,
    "hyperkube_master_privilege": "privileged",
    "hyperkube_master_capabilities": ["ALL"],
    "hyperkube_master_capabilities_drop": [],
    "hyperkube_master_pki_controller_dir": "{inventory_dir}/artifacts/pki/kubernetes",
    "kube_proxy_profile": "modern",
    "kube_proxy_version": "",
    "kube_proxy_mode": "",
    "kube_proxy_image_source": "registry",
    "kube_proxy_image_directory": "",
    "kube_proxy_images": {},
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
# roles/hyperkube_master/vars/main.yml _hyperkube_master_components
HYPERKUBE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")
# The roles whose inputs preflight checks against their meta/argument_specs.yml.
SPEC_ROLES = ("etcd", "hyperkube_master", "kube_proxy")
# This file sits in <collection>/plugins/module_utils; the roles in <collection>/roles, installed or checked out.
ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"


def role_defaults(inventory_dir: str) -> dict[str, Any]:
    """DEFAULTS with the inventory's directory filled in, as plain data for a playbook."""
    return {name: value.format(inventory_dir=inventory_dir) if isinstance(value, str) else
            (list(value) if isinstance(value, list) else dict(value) if isinstance(value, Mapping) else value)
            for name, value in DEFAULTS.items()}


@functools.lru_cache(maxsize=1)
def argument_specs() -> dict[str, dict[str, Any]]:
    """{role: {option: spec}} from each role's meta/argument_specs.yml, every entry point's options together.

    Read rather than copied: the argument specs are the one declaration of every role input (scripts/
    check_argument_specs.py keeps them equal to the defaults), and preflight checks the inventory against them.
    """
    import yaml  # Ansible's own dependency; imported here so the constants above need nothing

    specs: dict[str, dict[str, Any]] = {}
    for role in SPEC_ROLES:
        data = yaml.safe_load((ROLES_DIR / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
        options: dict[str, Any] = {}
        for entry in (data.get("argument_specs") or {}).values():
            options.update((entry or {}).get("options") or {})
        specs[role] = options
    return specs

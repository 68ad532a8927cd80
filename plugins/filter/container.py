"""Filters over container state: config hashes and flags to keep, see module_utils/container_spec.py."""

from ansible_collections.curtain.kube.plugins.module_utils.container_spec import (
    config_hash,
    current_command,
    current_config_hash,
    is_running,
    keep_flags,
)


class FilterModule:
    def filters(self):
        return {
            "container_config_hash": config_hash,
            "container_current_hash": current_config_hash,
            "container_is_running": is_running,
            "container_command": current_command,
            "container_keep_flags": keep_flags,
        }

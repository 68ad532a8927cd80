"""Filters over container state: config hashes and flags to keep, see module_utils/container_spec.py; and the
checksums of the files a container reads (module_utils/host_files.planned_checksums), an input of its hash."""

from ansible_collections.curtain.kube.plugins.module_utils.container_spec import (
    config_hash,
    current_command,
    current_config_hash,
    is_current,
    is_running,
    keep_flags,
)
from ansible_collections.curtain.kube.plugins.module_utils.host_files import planned_checksums


class FilterModule:
    def filters(self):
        return {
            "container_config_hash": config_hash,
            "container_current_hash": current_config_hash,
            "container_is_running": is_running,
            "container_is_current": is_current,
            "container_command": current_command,
            "container_keep_flags": keep_flags,
            "host_files_checksums": planned_checksums,
        }

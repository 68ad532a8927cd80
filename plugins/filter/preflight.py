# Copyright: curtain contributors
# Apache License 2.0
"""The filter over module_utils/preflight.py that playbooks/preflight.yml's survey takes its arguments from.

host | preflight_request(hostvars, groups, group_names)       -> {ports, paths, json_files}: host_survey's arguments

group_names maps etcd, masters and nodes to the inventory group names (etcd_group, hyperkube_master_group, nodes).
The evaluation after the survey is the curtain.kube.preflight action's (plugins/action/preflight.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.preflight import Groups, HostInputs, survey_request


def preflight_request(host: str, hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                      group_names: Mapping[str, str] | None = None) -> dict[str, list[Any]]:
    grouped = Groups.of({str(name): [str(member) for member in members] for name, members in groups.items()},
                        group_names)
    return survey_request(str(host), HostInputs.of(str(host), hostvars[host]), grouped)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"preflight_request": _filter_errors(preflight_request)}

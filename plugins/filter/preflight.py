# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/preflight.py for playbooks/preflight.yml.

host | preflight_request(hostvars, groups, group_names)       -> {ports, paths, json_files}: host_survey's arguments
hosts | preflight_controller_files(hostvars, groups, group_names) -> [controller paths of the cluster CA to read]
hosts | preflight_checks(hostvars, groups, group_names, active=, survey_var=, controller_reads=)
                                                              -> [{host, check, status, detail}]
checks | preflight_table                                      -> [aligned lines], failures first
checks | preflight_report(**meta)                             -> the JSON report (version 1)
checks | preflight_summary                                    -> one line naming the failed checks, "" when none

group_names maps etcd, masters and nodes to the inventory group names (etcd_group, hyperkube_master_group, nodes).
controller_reads are the results of ansible.builtin.slurp over preflight_controller_files (failed ones: absent).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import certificate_fingerprint
from ansible_collections.curtain.kube.plugins.module_utils.preflight import (
    Groups,
    HostInputs,
    checks_from,
    controller_ca_paths,
    evaluate,
    report,
    summary,
    survey_request,
    table,
)


def _groups(groups: Mapping[str, Sequence[str]], group_names: Mapping[str, str] | None) -> Groups:
    return Groups.of({str(name): [str(host) for host in hosts] for name, hosts in groups.items()}, group_names)


def preflight_request(host: str, hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                      group_names: Mapping[str, str] | None = None) -> dict[str, list[Any]]:
    return survey_request(str(host), HostInputs.of(str(host), hostvars[host]), _groups(groups, group_names))


def preflight_controller_files(hosts: Sequence[str], hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                               group_names: Mapping[str, str] | None = None) -> list[str]:
    listed = [str(host) for host in hosts]
    inputs = {host: HostInputs.of(host, hostvars[host]) for host in listed}
    return controller_ca_paths(listed, inputs, _groups(groups, group_names))


def _controller_cas(reads: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for read in reads or []:
        path = str(read.get("item") or read.get("source") or "")
        content = read.get("content")
        found[path] = certificate_fingerprint(base64.b64decode(str(content))) if content else None
    return {path: fingerprint for path, fingerprint in found.items() if fingerprint is not None}


def preflight_checks(hosts: Sequence[str], hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                     group_names: Mapping[str, str] | None = None, *, active: Sequence[str] = (),
                     survey_var: str = "__preflight_survey",
                     controller_reads: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, str]]:
    listed = [str(host) for host in hosts]
    grouped = _groups(groups, group_names)
    known = {host: hostvars[host] for host in dict.fromkeys([*grouped.all_hosts, *listed]) if host in hostvars}
    surveys = {host: known[host].get(survey_var) if host in known else None for host in listed}
    checks = evaluate(hosts=listed, hostvars=known, groups=grouped, surveys=surveys,
                      active=[str(host) for host in active], controller_cas=_controller_cas(controller_reads))
    return [check.to_dict() for check in checks]


def preflight_table(checks: Sequence[Mapping[str, Any]]) -> list[str]:
    return table(checks_from(checks))


def preflight_report(checks: Sequence[Mapping[str, Any]], **meta: Any) -> dict[str, Any]:
    return report(checks_from(checks), **meta)


def preflight_summary(checks: Sequence[Mapping[str, Any]]) -> str:
    return summary(checks_from(checks))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "preflight_request": _filter_errors(preflight_request),
            "preflight_controller_files": _filter_errors(preflight_controller_files),
            "preflight_checks": _filter_errors(preflight_checks),
            "preflight_table": _filter_errors(preflight_table),
            "preflight_report": _filter_errors(preflight_report),
            "preflight_summary": _filter_errors(preflight_summary),
        }

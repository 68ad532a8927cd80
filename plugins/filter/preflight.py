# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/preflight.py for playbooks/preflight.yml.

host | preflight_request(hostvars, groups, group_names)       -> {ports, paths, json_files}: host_survey's arguments
hosts | preflight_controller_files(hostvars, groups, group_names) -> [controller paths to read: the cluster CA,
                                                                 the offline bundles' manifest.json]
hosts | preflight_image_files(hostvars, groups, group_names, controller_reads=)
                                                              -> [{path, checksum}]: controller files to stat
hosts | preflight_checks(hostvars, groups, group_names, active=, survey_var=, controller_reads=, file_stats=)
                                                              -> [{host, check, status, detail}]
checks | preflight_table                                      -> [aligned lines], failures first
checks | preflight_report(**meta)                             -> the JSON report (version 1)
checks | preflight_summary                                    -> one line naming the failed checks, "" when none

group_names maps etcd, masters and nodes to the inventory group names (etcd_group, hyperkube_master_group, nodes).
controller_reads are the results of ansible.builtin.slurp over preflight_controller_files (failed ones: absent);
file_stats the results of ansible.builtin.stat over preflight_image_files. The role variables are checked against
the roles' argument specs (role_defaults.argument_specs).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import certificate_fingerprint
from ansible_collections.curtain.kube.plugins.module_utils.preflight import (
    MANIFEST_NAME,
    Groups,
    HostInputs,
    bundle_manifest_paths,
    checks_from,
    controller_ca_paths,
    evaluate,
    image_files,
    report,
    summary,
    survey_request,
    table,
)
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import argument_specs


def _groups(groups: Mapping[str, Sequence[str]], group_names: Mapping[str, str] | None) -> Groups:
    return Groups.of({str(name): [str(host) for host in hosts] for name, hosts in groups.items()}, group_names)


def preflight_request(host: str, hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                      group_names: Mapping[str, str] | None = None) -> dict[str, list[Any]]:
    return survey_request(str(host), HostInputs.of(str(host), hostvars[host]), _groups(groups, group_names))


def preflight_controller_files(hosts: Sequence[str], hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                               group_names: Mapping[str, str] | None = None) -> list[str]:
    listed = [str(host) for host in hosts]
    inputs = {host: HostInputs.of(host, hostvars[host]) for host in listed}
    grouped = _groups(groups, group_names)
    return [*controller_ca_paths(listed, inputs, grouped), *bundle_manifest_paths(listed, inputs, grouped)]


def _read_contents(reads: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    found = {}
    for read in reads or []:
        content = read.get("content")
        if content:
            found[str(read.get("item") or read.get("source") or "")] = base64.b64decode(str(content))
    return found


def _controller_cas(reads: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    found = {path: certificate_fingerprint(content) for path, content in _read_contents(reads).items()
             if not path.endswith(f"/{MANIFEST_NAME}")}
    return {path: fingerprint for path, fingerprint in found.items() if fingerprint is not None}


def _manifests(reads: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """{bundle directory: parsed manifest.json, or None when it is not JSON}; unread ones are absent."""
    found: dict[str, Any] = {}
    for path, content in _read_contents(reads).items():
        if path.endswith(f"/{MANIFEST_NAME}"):
            try:
                found[path[:-len(MANIFEST_NAME) - 1]] = json.loads(content)
            except ValueError:
                found[path[:-len(MANIFEST_NAME) - 1]] = None
    return found


def _file_sums(stats: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """{path: sha256 ("" when not asked), or None when the file does not exist} from stat results."""
    found: dict[str, str | None] = {}
    for result in stats or []:
        item = result.get("item") or {}
        stat = result.get("stat") or {}
        found[str(item.get("path"))] = (str(stat.get("checksum") or "") if stat.get("exists") else None)
    return found


def preflight_image_files(hosts: Sequence[str], hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                          group_names: Mapping[str, str] | None = None, *,
                          controller_reads: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    listed = [str(host) for host in hosts]
    inputs = {host: HostInputs.of(host, hostvars[host]) for host in listed}
    return image_files(listed, inputs, _groups(groups, group_names), _manifests(controller_reads))


def preflight_checks(hosts: Sequence[str], hostvars: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
                     group_names: Mapping[str, str] | None = None, *, active: Sequence[str] = (),
                     survey_var: str = "__preflight_survey",
                     controller_reads: Sequence[Mapping[str, Any]] = (),
                     file_stats: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, str]]:
    listed = [str(host) for host in hosts]
    grouped = _groups(groups, group_names)
    known = {host: hostvars[host] for host in dict.fromkeys([*grouped.all_hosts, *listed]) if host in hostvars}
    surveys = {host: known[host].get(survey_var) if host in known else None for host in listed}
    checks = evaluate(hosts=listed, hostvars=known, groups=grouped, surveys=surveys,
                      active=[str(host) for host in active], controller_cas=_controller_cas(controller_reads),
                      specs=argument_specs(), manifests=_manifests(controller_reads),
                      controller_files=_file_sums(file_stats))
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
            "preflight_image_files": _filter_errors(preflight_image_files),
            "preflight_checks": _filter_errors(preflight_checks),
            "preflight_table": _filter_errors(preflight_table),
            "preflight_report": _filter_errors(preflight_report),
            "preflight_summary": _filter_errors(preflight_summary),
        }

# Copyright: curtain contributors
# Apache License 2.0
"""curtain.kube.preflight (documented in plugins/modules/preflight.py): the preflight play's evaluation, on the
controller, in one task and without a module run: it reads the cluster CAs and the offline bundles' manifests
there, takes the sha256 of the files the images come from, evaluates every check (module_utils/preflight.py), writes
the JSON report, shows the table and fails naming the failed checks.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.curtain.kube.plugins.module_utils.kube_file import write_temp
from ansible_collections.curtain.kube.plugins.module_utils.preflight import (
    Groups,
    HostInputs,
    bundle_manifest_paths,
    bundle_manifests,
    controller_ca_paths,
    controller_cas,
    evaluate,
    image_files,
    report,
    summary,
    table,
)
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import argument_specs

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "group_names": {"type": "dict", "default": {}},
    "report_file": {"type": "path", "required": True},
    "survey_var": {"type": "str", "default": "__preflight_survey"},
}
REPORT_DIRECTORY_MODE = 0o755
REPORT_MODE = 0o644


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        task_vars = task_vars or {}
        hostvars = task_vars["hostvars"]
        hosts = [str(host) for host in task_vars["ansible_play_hosts_all"]]
        groups = Groups.of({str(name): [str(member) for member in members]
                            for name, members in task_vars["groups"].items()}, args["group_names"])
        inputs = {host: HostInputs.of(host, hostvars[host]) for host in hosts}
        contents = {path: content for path in [*controller_ca_paths(hosts, inputs, groups),
                                               *bundle_manifest_paths(hosts, inputs, groups)]
                    if (content := _read(path)) is not None}
        manifests = bundle_manifests(contents)
        file_sums = {entry["path"]: _sha256(entry["path"], entry["checksum"])
                     for entry in image_files(hosts, inputs, groups, manifests)}
        known = {host: hostvars[host] for host in dict.fromkeys([*groups.all_hosts, *hosts]) if host in hostvars}
        checks = evaluate(hosts=hosts, hostvars=known, groups=groups,
                          surveys={host: known[host].get(args["survey_var"]) if host in known else None
                                   for host in hosts},
                          active=[str(host) for host in task_vars["ansible_play_hosts"]],
                          controller_cas=controller_cas(contents), specs=argument_specs(), manifests=manifests,
                          controller_files=file_sums)
        # The report is the record of a read-only run: written in check mode too. It is this run's output (it carries
        # the time), not state a re-run converges, so it never counts as a change.
        _write(args["report_file"], report(checks, play_hosts=hosts, limit=task_vars.get("ansible_limit"),
                                           check_mode=bool(self._task.check_mode)))
        # One string of aligned lines: the yaml result format (ansible.cfg) prints it as a block, line by line.
        lines = "\n".join(table(checks))
        failed = summary(checks)
        if failed:
            result.update(failed=True, msg=f"{failed} (report: {args['report_file']})", table=lines)
        else:
            result.update(msg=lines, _ansible_verbose_always=True)
        result["changed"] = False
        return result


def _read(path: str) -> bytes | None:
    """A file's bytes on the controller; None when it is absent or unreadable (an absent CA is a finding, a new
    cluster; an absent manifest is reported by the images check)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _sha256(path: str, wanted: bool) -> str | None:
    """The file's sha256, "" when only its existence is asked for, None when it is absent."""
    if not os.path.exists(path):
        return None
    if not wanted or not os.path.isfile(path):
        return ""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write(path: str, data: dict[str, Any]) -> None:
    """The report as JSON, written whole (kube_file's temporary file, renamed over it), mode 0644, its directory
    made."""
    os.makedirs(os.path.dirname(path) or ".", mode=REPORT_DIRECTORY_MODE, exist_ok=True)
    temporary = write_temp(path, json.dumps(data, indent=4, sort_keys=True) + "\n")
    try:
        os.chmod(temporary, REPORT_MODE)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise

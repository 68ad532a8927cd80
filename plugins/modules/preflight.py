#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight
short_description: Evaluate the preflight checks on the controller, write the report, and fail on a failed check
description:
  - The evaluation of playbooks/preflight.yml, after each host's M(curtain.kube.host_survey). In one task on the
    controller, without a module run, it reads the cluster CAs and the offline bundles' C(manifest.json) there, takes
    the sha256 of the files the images come from, and evaluates every check of every host of the play and of the
    inventory (plugins/module_utils/preflight.py; docs/preflight.md lists them).
  - It writes the JSON report to O(report_file) (its directory made when missing), shows the table of the checks,
    failures first, and fails naming the failed checks. The report is written in check mode too, and never counts
    as a change.
  - The hosts are the play's (C(ansible_play_hosts_all)); a host missing from C(ansible_play_hosts) failed or was
    unreachable. Each host's survey is the variable O(survey_var) in its hostvars. Run it once (C(run_once)).
version_added: 0.2.0
author: curtain contributors
options:
  group_names:
    description: The inventory group names the roles take, by their use (V(etcd), V(masters), V(nodes)).
    type: dict
    default: {}
  report_file:
    description: Where the JSON report goes on the controller.
    type: path
    required: true
  survey_var:
    description: The hostvar holding each host's M(curtain.kube.host_survey) result.
    type: str
    default: __preflight_survey
attributes:
  check_mode:
    support: full
    details: The same evaluation; the report is written, and records that the run was a check.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller only.
"""

EXAMPLES = r"""
- name: Evaluate, report, and stop on a failed check
  curtain.kube.preflight:
    group_names: {etcd: etcd, masters: masters, nodes: nodes}
    report_file: "{{ inventory_dir }}/artifacts/preflight.json"
  run_once: true
"""

RETURN = r"""
msg:
  description: The table of the checks (one string of aligned lines), or on a failure the line naming the failed
    checks and the report's path.
  returned: always
  type: str
table:
  description: The table of the checks, on a failure.
  returned: failed
  type: str
"""

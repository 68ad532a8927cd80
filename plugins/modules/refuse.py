#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: refuse
short_description: Fail naming what refuses a run, or warn about what does not
description:
  - A role's preflight verdict in one task. The problems its check found on the host fail the task, every one
    named in its message; with none, the warnings show as the task's warnings. Nothing changes.
  - An action on the controller; no module runs on the host.
version_added: 0.1.0
author: curtain contributors
options:
  problems:
    description: What refuses the run, each a sentence naming the variable or the host's state to change.
    type: list
    elements: str
    default: []
  warnings:
    description: What the run goes on despite, shown when there is no problem.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Preflight | Refuse what the host holds, warn about the rest
  curtain.kube.refuse:
    problems: "{{ _hyperkube_master_check.problems }}"
    warnings: "{{ _hyperkube_master_check.warnings }}"
"""

RETURN = r"""
msg:
  description: The problems, joined, when there are any.
  returned: failed
  type: str
problems:
  description: The problems, when there are any.
  returned: failed
  type: list
  elements: str
"""

"""Kill the whole ansible-playbook run as soon as the controller sees its first change: a run aborted right after
that step.

For the fault tests only. The test starts ansible-playbook in a session of its own and enables this callback;
on the first changed result (a task, or one item of a loop) it writes the task's name to
CURTAIN_ABORT_RECORD and sends SIGKILL to the run's process group: the controller, its workers and their
connections die together, as when an operator's terminal or the controller itself goes away. Callbacks run in
the controller's main process, which reads results while the worker goes on, so a loop's next items may be done
by the time the kill lands; a task after the change never starts. A run that makes no change finishes normally
and writes nothing, which is how the test knows the chain of aborted runs is done.
"""

from __future__ import annotations

import json
import os
import signal

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: abort_after_change
type: aggregate
short_description: kill the run right after its first change (fault tests only)
description: Writes the changed task's name to CURTAIN_ABORT_RECORD, then kills the run's process group.
options: {}
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "abort_after_change"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._failures: list[str] = []

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        if not ignore_errors:
            self._failures.append(result.task_name)

    def v2_runner_item_on_ok(self, result) -> None:
        if result._result.get("changed"):
            self._abort(result, result._result.get("_ansible_item_label", result._result.get("item")))

    def v2_runner_on_ok(self, result) -> None:
        # A loop's summary result repeats its items' changes, which the item callback already caught.
        if result._result.get("changed") and "results" not in result._result:
            self._abort(result, None)

    def _abort(self, result, item) -> None:
        record = {"task": result.task_name, "host": result._host.get_name(), "item": str(item) if item else None,
                  "failures_before": self._failures}
        with open(os.environ["CURTAIN_ABORT_RECORD"], "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.killpg(os.getpgid(0), signal.SIGKILL)

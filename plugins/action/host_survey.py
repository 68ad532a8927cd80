# Copyright: curtain contributors
# Apache License 2.0
"""Controller half of curtain.kube.host_survey (documented in plugins/modules/host_survey.py): run the module and
record the controller's clock just before and after, so that the host's clock (taken inside that window) can be
compared with the controller's with a known uncertainty (half the window).
"""

from __future__ import annotations

import time
from typing import Any

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        before = time.time()
        result.update(self._execute_module(module_name="curtain.kube.host_survey", module_args=self._task.args,
                                           task_vars=task_vars))
        after = time.time()
        result.update(controller_time_before=before, controller_time_after=after, changed=False)
        return result

# Copyright: curtain contributors
# Apache License 2.0
"""Controller half of curtain.kube.host_survey (documented in plugins/modules/host_survey.py): run the module and
record the controller's clock just before and after, so that the host's clock (taken inside that window) can be
compared with the controller's with a known uncertainty (half the window). `request` gives the options in one mapping.
Given `earlier` (a survey of the same host made in this run, after which nothing the caller looks at changed) that
asked all this one asks, it answers from that without contacting the host (module_utils/host_survey.earlier_answer).
"""

from __future__ import annotations

import time
from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import REQUEST_OPTIONS, earlier_answer


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = self._task.args
        # `request` carries the options in one mapping (a planner's survey request); options given beside it win.
        request = {**(args.get("request") or {}),
                   **{key: value for key, value in args.items() if key not in ("earlier", "request")}}
        answer = earlier_answer(request, args.get("earlier"))
        if answer is not None:
            result.update(answer, changed=False)
            return result
        before = time.time()
        result.update(self._execute_module(module_name="curtain.kube.host_survey", module_args=request,
                                           task_vars=task_vars))
        after = time.time()
        result.update(controller_time_before=before, controller_time_after=after, changed=False, reused=False,
                      request={option: request.get(option) or [] for option in REQUEST_OPTIONS})
        return result

# Copyright: curtain contributors
# Apache License 2.0
"""curtain.kube.refuse (documented in plugins/modules/refuse.py): a role's preflight verdict in one task, on the
controller and without a module run: fail naming every problem, else pass on the warnings as the task's own.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "problems": {"type": "list", "elements": "str", "default": []},
    "warnings": {"type": "list", "elements": "str", "default": []},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result["changed"] = False
        if args["problems"]:
            result.update(failed=True, msg=" ".join(args["problems"]), problems=args["problems"])
        elif args["warnings"]:
            result["warnings"] = list(args["warnings"])
        return result

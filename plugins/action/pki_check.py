# Copyright: curtain contributors
# Apache License 2.0
"""curtain.kube.pki_check (documented in plugins/modules/pki_check.py): an action that runs only here, on the
controller, where the certificates are: no module is sent anywhere. The decision is module_utils/pki_check.py's.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.curtain.kube.plugins.module_utils.pki_check import pending

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "certificates": {"type": "list", "elements": "dict", "required": True},
    "renew": {"type": "bool", "default": False},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        for entry in args["certificates"]:
            missing = [field for field in ("name", "common_name", "key", "cert", "signer_cert") if not entry.get(field)]
            if missing:
                result.update(failed=True, msg=f"pki_check: {entry.get('name', entry)} lacks {', '.join(missing)}")
                return result
        problems = pending(args["certificates"], args["renew"])
        result.update(changed=False, pending=[entry["name"] for entry in args["certificates"]
                                              if entry["name"] in problems], problems=problems)
        return result

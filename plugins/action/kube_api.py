# Copyright: curtain contributors
# Apache License 2.0
"""curtain.kube.kube_api (documented in plugins/modules/kube_api.py): the play's steps through the apiserver, run in
Ansible's own process on the controller (module_utils/kube_api.run_steps), where a module delegated to localhost
started another Python, loaded Ansible's module code and the Kubernetes client there, each time.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

try:
    from ansible_collections.curtain.kube.plugins.module_utils.kube_api import ARGUMENT_SPEC, run_steps
except ImportError as error:  # the Kubernetes client is not in Ansible's Python
    MISSING_CLIENT: ImportError | None = error
else:
    MISSING_CLIENT = None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if MISSING_CLIENT is not None:
            raise AnsibleActionFail(f"kube_api needs the Kubernetes Python client (kubernetes) in Ansible's Python: "
                                    f"{MISSING_CLIENT}")
        _, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result.update(run_steps(params, dry_run=bool(self._task.check_mode)))
        return result

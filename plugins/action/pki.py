# Copyright: curtain contributors
# Apache License 2.0
"""curtain.kube.pki (documented in plugins/modules/pki.py): an action that looks at the CAs and certificates on the
controller (module_utils/pki_check.py) and has community.crypto make what is pending (module_utils/pki_make.py), in
one task. The task runs delegated to localhost, where the files are: community.crypto's modules run there.
"""

from __future__ import annotations

import os
from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.curtain.kube.plugins.module_utils.pki_check import look
from ansible_collections.curtain.kube.plugins.module_utils.pki_make import CERTIFICATE, SIGNING_REQUEST, Step, steps

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "authorities": {"type": "list", "elements": "dict", "default": []},
    "certificates": {"type": "list", "elements": "dict", "default": []},
    "directory": {"type": "path"},
    "renew": {"type": "bool", "default": False},
    "authority_days": {"type": "int", "default": 3650},
    "certificate_days": {"type": "int", "default": 365},
}
CERTIFICATE_FIELDS = ("name", "common_name", "usages", "key", "cert", "signer_cert", "signer_key")
AUTHORITY_FIELDS = ("name", "key")
KEY_TYPES = ("EC", "RSA")
DIRECTORY_MODE = 0o700


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        wrong = [_lacks(entry, CERTIFICATE_FIELDS) for entry in args["certificates"]]
        wrong += [_lacks(entry, AUTHORITY_FIELDS + (("common_name",) if entry.get("cert") else ()))
                  or (None if entry.get("key_type") in KEY_TYPES else f"{entry['name']}: key_type is not EC or RSA")
                  for entry in args["authorities"]]
        if any(wrong):
            result.update(failed=True, msg="pki: " + "; ".join(filter(None, wrong)))
            return result
        check_mode = bool(self._task.check_mode)
        changed = self._make_directory(args["directory"], check_mode)
        authority_problems, problems = look(args["authorities"], args["certificates"], args["renew"])
        result.update(problems=problems, authority_problems=authority_problems,
                      pending=[entry["name"] for entry in args["certificates"] if entry["name"] in problems],
                      authorities_pending=[entry["name"] for entry in args["authorities"]
                                           if entry["name"] in authority_problems])
        made, left = [], []
        # Files a step would write in check mode, or that do not exist: what reads them cannot run.
        unwritten: set[str] = set()
        for item in steps(args["authorities"], args["certificates"], authority_problems, problems,
                          authority_days=args["authority_days"], certificate_days=args["certificate_days"],
                          renew=args["renew"]):
            outcome = self._make(item, check_mode, unwritten, task_vars or {})
            if "failed" in outcome:
                result.update(failed=True, changed=changed or bool(made), made=made, msg=outcome["failed"])
                return result
            if outcome["changed"]:
                made.append(item[0].name)
            if outcome["incomplete"]:
                left.append(item[0].name)
        result.update(changed=changed or bool(made), made=made, incomplete=left)
        return result

    def _make_directory(self, directory: str | None, check_mode: bool) -> bool:
        if not directory or os.path.isdir(directory):
            return False
        if not check_mode:
            os.makedirs(directory, mode=DIRECTORY_MODE)
            os.chmod(directory, DIRECTORY_MODE)  # makedirs' mode is masked by the umask
        return True

    def _make(self, item: list[Step], check_mode: bool, unwritten: set[str],
              task_vars: dict[str, Any]) -> dict[str, Any]:
        """Runs one item's steps in order: {changed, incomplete} or {failed: why}."""
        changed, request = False, None
        for number, step in enumerate(item):
            # In check mode community.crypto cannot read a file not there yet, nor write into a directory not made.
            if check_mode and (any(path in unwritten or not os.path.exists(path) for path in step.needs)
                               or not all(os.path.isdir(os.path.dirname(path) or ".") for path in step.makes)):
                unwritten.update(path for later in item[number:] for path in later.makes)
                return {"changed": True, "incomplete": True}
            args = {**step.args, "csr_content": request} if step.module == CERTIFICATE else step.args
            outcome = self._execute_module(module_name=step.module, module_args=args, task_vars=task_vars)
            if outcome.get("failed"):
                return {"failed": f"pki: {step.module} for {step.name}: {outcome.get('msg', outcome)}"}
            if step.module == SIGNING_REQUEST:
                request = outcome["csr"]  # made in memory: no change
            elif outcome.get("changed"):
                changed = True
                if check_mode:
                    unwritten.update(step.makes)
        return {"changed": changed, "incomplete": False}


def _lacks(entry: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    missing = [field for field in fields if not entry.get(field)]
    return f"{entry.get('name', entry)} lacks {', '.join(missing)}" if missing else None

# Copyright: curtain contributors
# Apache License 2.0
"""curtain.kube.pki_check (documented in plugins/modules/pki_check.py): an action that runs only here, on the
controller, where the certificates are: no module is sent anywhere. The decision is module_utils/pki_check.py's.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.curtain.kube.plugins.module_utils.pki_check import look

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "authorities": {"type": "list", "elements": "dict", "default": []},
    "certificates": {"type": "list", "elements": "dict", "default": []},
    "renew": {"type": "bool", "default": False},
}
CERTIFICATE_FIELDS = ("name", "common_name", "key", "cert", "signer_cert")
AUTHORITY_FIELDS = ("name", "key")
KEY_TYPES = ("EC", "RSA")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        wrong = [_lacks(entry, CERTIFICATE_FIELDS) for entry in args["certificates"]]
        wrong += [_lacks(entry, AUTHORITY_FIELDS + (("common_name",) if entry.get("cert") else ()))
                  or (None if entry.get("key_type") in KEY_TYPES else f"{entry['name']}: key_type is not EC or RSA")
                  for entry in args["authorities"]]
        if any(wrong):
            result.update(failed=True, msg="pki_check: " + "; ".join(filter(None, wrong)))
            return result
        authority_problems, problems = look(args["authorities"], args["certificates"], args["renew"])
        result.update(changed=False, problems=problems, authority_problems=authority_problems,
                      pending=[entry["name"] for entry in args["certificates"] if entry["name"] in problems],
                      authorities_pending=[entry["name"] for entry in args["authorities"]
                                           if entry["name"] in authority_problems])
        return result


def _lacks(entry: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    missing = [field for field in fields if not entry.get(field)]
    return f"{entry.get('name', entry)} lacks {', '.join(missing)}" if missing else None

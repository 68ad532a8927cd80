# Copyright: curtain contributors
# Apache License 2.0
"""Controller half of curtain.kube.host_files (documented in plugins/modules/host_files.py): check the options, read
every source and validate and render every document, secret or shown, here (as curtain.kube.kube_file does), then
run the module once on the host with the texts. A missing source, a document that fails validation, a relative or
repeated path or a bad mode fails the task before the host is contacted.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.curtain.kube.plugins.action.kube_file import prepare
from ansible_collections.curtain.kube.plugins.module_utils.host_files import (
    ARGUMENT_SPEC,
    check_destinations,
    read_source,
    sysctl_file,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_file import KubeFileError


def prepare_documents(documents: list[dict[str, Any]], errors: list[str]) -> list[dict[str, Any]]:
    """Each document validated and rendered (kube_file's prepare); its validation errors added to `errors`."""
    prepared = []
    for document in documents:
        entry, document_errors, _ = prepare(document)
        prepared.append(entry)
        errors += [f"{document['dest']}: {error}" for error in document_errors]
    return prepared


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        errors: list[str] = []
        secret = [{"dest": entry["dest"], "mode": entry["mode"], "content": entry["text"]}
                  for entry in prepare_documents(args["documents"], errors)]
        shown_files = [{key: entry[key] for key in ("dest", "mode", "content", "text")}
                       for entry in prepare_documents(args["shown_documents"], errors)]
        if errors:  # every error of every document, and nothing written
            raise AnsibleActionFail(f"host_files: {len(errors)} error(s); nothing was written:\n" + "\n".join(errors))
        try:
            sysctl_files = [sysctl_file(args["sysctl"])] if args["sysctl"] else []  # checks the names too
            check_destinations([*args["files"], *secret, *shown_files, *sysctl_files], args["directories"])
            files = [{"dest": entry["dest"], "mode": entry["mode"],
                      "content": entry["content"] if entry["content"] is not None else read_source(entry["src"])}
                     for entry in args["files"]] + secret
        except KubeFileError as error:  # a bad source or destination, or a bad mode
            raise AnsibleActionFail(f"host_files: {error}; nothing was written") from error
        module_args = {"directories": args["directories"], "files": files, "shown_files": shown_files,
                       "sysctl": args["sysctl"]}
        result.update(self._execute_module(module_name="curtain.kube.host_files", module_args=module_args,
                                           task_vars=task_vars))
        return result

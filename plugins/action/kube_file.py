# Copyright: curtain contributors
# Apache License 2.0
"""Controller half of curtain.kube.kube_file (documented in plugins/modules/kube_file.py), split like ansible-core's
template/copy: validate the object and render its text here, then run the module on the host to compare the parsed
content and write atomically. An object that fails validation fails the task before the host is contacted.
"""

from __future__ import annotations

from typing import Any

import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.curtain.kube.plugins.module_utils.kube_file import (
    ARGUMENT_RULES,
    ARGUMENT_SPEC,
    KubeFileError,
    canonical,
    file_format,
    octal_mode,
    render_json,
    requested_files,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import DEFAULT_PROFILE, KubeProfileError
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import kubernetes_version as version_of
from ansible_collections.curtain.kube.plugins.module_utils.kube_schema import (
    KubeSchemaError,
    schema_source,
    validate,
)


def kubernetes_version(requested: str | None) -> str:
    """A profile reference (seed, modern, modern@v1.36.3) stands for its version; None for the default profile's.
    A bare version is used as given."""
    return version_of(requested or DEFAULT_PROFILE)


def render_yaml(content: Any) -> str:
    # Sorted keys and block style, no line folding: the same data always gives the same bytes.
    return yaml.safe_dump(content, sort_keys=True, default_flow_style=False, allow_unicode=True, width=2**16)


def render(content: Any, fmt: str) -> str:
    return render_json(content) if fmt == "json" else render_yaml(content)


def prepare(item: dict[str, Any]) -> tuple[dict[str, Any], list[str], str | None]:
    """One file's options with its content in canonical form, its format and its rendered text; its validation
    errors and what it was validated against. Also how curtain.kube.host_files takes its documents."""
    dest = item["dest"]
    try:
        fmt = file_format(dest, item["format"])
        octal_mode(item["mode"])  # refuse a bad mode before anything else happens
        content = canonical(item["content"])
    except KubeFileError as error:
        raise AnsibleActionFail(f"kube_file {dest}: {error}") from error
    source = None
    errors: list[str] = []
    if item["validate"] != "none":
        try:
            version = kubernetes_version(item["kubernetes_version"])
        except KubeProfileError as error:
            raise AnsibleActionFail(f"kube_file {dest}: kubernetes_version: {error}") from error
        try:
            errors = validate(item["validate"], content, version)
            source = schema_source(item["validate"], version)
        except KubeSchemaError as error:
            raise AnsibleActionFail(f"kube_file {dest}: cannot validate: {error}") from error
    return {**item, "content": content, "format": fmt, "text": render(content, fmt)}, errors, source


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, **ARGUMENT_RULES)
        rendered = []
        errors: list[str] = []
        validations = []
        for item in requested_files(args):
            prepared, item_errors, source = prepare(item)
            rendered.append(prepared)
            errors.extend(item_errors if args["files"] is None else [f"{item['dest']}: {e}" for e in item_errors])
            validations.append(source)
        if args["files"] is None:
            if validations[0]:
                result["validation"] = validations[0]
            if errors:  # every error of the file, nothing written
                return {**result, "failed": True, "changed": False, "dest": args["dest"], "validation_errors": errors,
                        "msg": f"kube_file {args['dest']}: {len(errors)} error(s) against {validations[0]}; "
                               "nothing was written:\n" + "\n".join(errors)}
            module_args = rendered[0]
        else:
            if errors:  # every error of every file, and none of them written
                return {**result, "failed": True, "changed": False, "validation_errors": errors,
                        "msg": f"kube_file: {len(errors)} error(s); nothing was written:\n" + "\n".join(errors)}
            module_args = {"files": rendered}
        result.update(
            self._execute_module(module_name="curtain.kube.kube_file", module_args=module_args, task_vars=task_vars)
        )
        return result

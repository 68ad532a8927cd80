# Copyright: curtain contributors
# Apache License 2.0
"""Structured files (manifests, kubeconfigs, component configuration) written as data: shared by the kube_file
action plugin (controller: validate, render) and the kube_file module (host: compare parsed, write atomically).

Why the text is rendered on the controller: hosts may lack PyYAML, and the file must be byte-for-byte the same
whichever host writes it. So the action renders JSON (json.dumps, indent 2, sorted keys) or YAML (PyYAML's
safe_dump, sorted keys, block style; PyYAML is a dependency of ansible-core, so the controller always has it) and
passes both the text and the data. The module decides "changed" by comparing PARSED content: the current file is
parsed as JSON (which is also YAML), else with PyYAML when the host has it; only a YAML file that is not JSON, on a
host without PyYAML, falls back to comparing the text with the rendered text (and is rewritten if it differs, which
is then reported truthfully as a change). Key order, indentation and quoting never cause a change.

Standard library only on the host side (PyYAML is imported only if present).
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FORMATS = ("yaml", "json")
VALIDATIONS = ("none", "pod", "kubelet_configuration", "kube_proxy_configuration", "kubeconfig")
DEFAULT_MODE = "0600"
_OCTAL_MODE = re.compile(r"^0?[0-7]{3,4}$")

# One file's options, shared by the action plugin (which validates them first) and the module.
FILE_OPTIONS: dict[str, dict[str, Any]] = {
    "content": {"type": "dict", "required": True},
    "dest": {"type": "path", "required": True},
    "format": {"type": "str", "choices": list(FORMATS)},
    "mode": {"type": "raw", "default": DEFAULT_MODE},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "validate": {"type": "str", "choices": list(VALIDATIONS), "default": "none"},
    "kubernetes_version": {"type": "str"},
}
# A task gives one file (content, dest and the rest) or several (files: a list of the same options) for one module
# run; kubernetes_version given beside files is the default of each file's.
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    **{name: {**spec, "required": False} for name, spec in FILE_OPTIONS.items()},
    "files": {"type": "list", "elements": "dict", "options": FILE_OPTIONS},
}
ARGUMENT_RULES: dict[str, Any] = {
    "mutually_exclusive": [("content", "files"), ("dest", "files")],
    "required_one_of": [("content", "files")],
    "required_together": [("content", "dest")],
}
# What the action adds for the module: the text it rendered, for each file.
_RENDERED = {"text": {"type": "str"}}
MODULE_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    **ARGUMENT_SPEC,
    **_RENDERED,
    "files": {**ARGUMENT_SPEC["files"], "options": {**FILE_OPTIONS, **_RENDERED}},
}


def requested_files(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each file a task asks for, with its own options: the files list, or the one file of the task's options."""
    if params.get("files") is None:
        return [{name: params.get(name) for name in (*FILE_OPTIONS, "text")}]
    default_version = params.get("kubernetes_version")
    return [{**item, "kubernetes_version": item.get("kubernetes_version") or default_version}
            for item in params["files"]]


class KubeFileError(ValueError):
    """A file that cannot be written as asked."""


def canonical(content: Any) -> Any:
    """Plain JSON data (dicts, lists, strings, numbers, booleans, None); refuses what JSON cannot carry."""
    try:
        return json.loads(json.dumps(content, sort_keys=True))
    except (TypeError, ValueError) as error:
        raise KubeFileError(f"content is not JSON-serialisable data: {error}") from error


def file_format(dest: str, requested: str | None) -> str:
    """The format asked for, or json for a *.json dest and yaml otherwise."""
    if requested:
        if requested not in FORMATS:
            raise KubeFileError(f"format {requested!r} is not one of {', '.join(FORMATS)}")
        return requested
    return "json" if dest.lower().endswith(".json") else "yaml"


def render_json(content: Any) -> str:
    return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def octal_mode(mode: Any) -> str:
    """'0600' for '0600', '600' or the integer 0o600 (YAML's 0600 arrives as 384); refuses symbolic modes."""
    if isinstance(mode, int) and not isinstance(mode, bool):
        if not 0 <= mode <= 0o7777:
            raise KubeFileError(f"mode {mode!r} is out of range")
        return f"{mode:04o}"
    if isinstance(mode, str) and _OCTAL_MODE.match(mode):
        return f"{int(mode, 8):04o}"
    raise KubeFileError(f"mode {mode!r} is not an octal mode such as '0600' (quote it in YAML)")


def parse_text(text: str) -> tuple[bool, Any]:
    """(True, data) if the text parses as JSON, or as YAML where PyYAML is importable; else (False, None)."""
    try:
        return True, json.loads(text)
    except ValueError:
        pass
    try:
        import yaml  # optional on hosts
    except ImportError:
        return False, None
    try:
        return True, yaml.safe_load(text)
    except yaml.YAMLError:
        return False, None


@dataclass(frozen=True)
class ContentPlan:
    """What the module found and will do about the content (attributes are handled apart)."""

    exists: bool
    changed: bool
    reason: str  # created | content differs | unparseable | unchanged | equal content, other formatting
    before: str


def plan_content(current_text: str | None, desired: Any, desired_text: str) -> ContentPlan:
    if current_text is None:
        return ContentPlan(False, True, "created", "")
    if current_text == desired_text:
        return ContentPlan(True, False, "unchanged", current_text)
    parsed, current = parse_text(current_text)
    if not parsed:
        return ContentPlan(True, True, "unparseable", current_text)
    if current != desired:
        return ContentPlan(True, True, "content differs", current_text)
    return ContentPlan(True, False, "equal content, other formatting", current_text)


def read_current(dest: str) -> str | None:
    """The file's text, or None if there is no file; refuses directories and non-regular files."""
    try:
        info = os.stat(dest)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise KubeFileError(f"{dest} exists and is not a regular file")
    with open(dest, encoding="utf-8", errors="surrogateescape") as handle:
        return handle.read()


def current_mode(dest: str) -> str | None:
    try:
        return f"{stat.S_IMODE(os.stat(dest).st_mode):04o}"
    except FileNotFoundError:
        return None


def write_temp(dest: str, text: str) -> str:
    """The text in a new 0600 temporary file next to dest (same directory, so the final rename is atomic)."""
    directory = os.path.dirname(dest) or "."
    if not os.path.isdir(directory):
        raise KubeFileError(f"the directory of {dest} does not exist")
    handle, path = tempfile.mkstemp(prefix=f".{os.path.basename(dest)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        os.unlink(path)
        raise
    return path


def write_atomically(module: Any, dest: str, text: str) -> None:
    """Replace dest with text the way a reader never sees half a file or a key readable by others: a 0600
    temporary file in dest's directory, renamed over dest by the module's atomic_move."""
    temporary = write_temp(dest, text)
    umask = os.umask(0o077)  # atomic_move gives a new file 0666 & ~umask: keep it 0600 until the caller's chmod
    try:
        module.atomic_move(temporary, dest, unsafe_writes=False)
    finally:
        os.umask(umask)
        if os.path.exists(temporary):
            os.unlink(temporary)


def diff_header(dest: str, mode: str | None) -> str:
    return f"{dest} (mode {mode})" if mode else dest


def summary(plan: ContentPlan, attributes_changed: bool) -> Mapping[str, Any]:
    return {
        "content_changed": plan.changed,
        "attributes_changed": attributes_changed,
        "reason": plan.reason,
    }

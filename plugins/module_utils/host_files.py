# Copyright: curtain contributors
# Apache License 2.0
"""Several directories and text files put on a host in one module run: shared by the host_files action plugin
(controller: read the sources) and the host_files module (host: make the directories, compare, write atomically, set
the modes).

Why one run for many files: ansible.builtin.copy or file in a loop costs one or two module runs per item on the host,
and a master has two dozen certificates and keys and a dozen directories; one run makes, compares and writes them all.

Standard library only on the host side.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Mapping
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.kube_file import (
    DEFAULT_MODE,
    FILE_OPTIONS,
    KubeFileError,
    octal_mode,
)

DIRECTORIES_SPEC: dict[str, Any] = {
    "type": "list",
    "elements": "dict",
    "default": [],
    "options": {
        "path": {"type": "path", "required": True},
        "mode": {"type": "raw", "default": "0755"},
    },
}
SYSCTL_SPEC: dict[str, Any] = {
    "type": "dict",
    "options": {
        "file": {"type": "path", "required": True},
        "values": {"type": "dict", "required": True},
    },
}
# A structured file's options: kube_file's, less owner and group.
DOCUMENT_OPTIONS: dict[str, dict[str, Any]] = {
    name: spec for name, spec in FILE_OPTIONS.items() if name not in ("owner", "group")
}
# The options a task gives, checked by the action plugin before it reads anything.
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "directories": DIRECTORIES_SPEC,
    "sysctl": SYSCTL_SPEC,
    "files": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "src": {"type": "path"},
            "content": {"type": "str", "no_log": True},
            "dest": {"type": "path", "required": True},
            "mode": {"type": "raw", "default": DEFAULT_MODE},
        },
        "mutually_exclusive": [("src", "content")],
        "required_one_of": [("src", "content")],
    },
    # Structured files (kube_file's options, less owner and group): validated and rendered on the controller, then
    # written as the files are. Their content is no_log: a kubeconfig carries its client key.
    "documents": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {**DOCUMENT_OPTIONS, "content": {**FILE_OPTIONS["content"], "no_log": True}},
    },
    # Structured files that carry no secret (a component's configuration, a static pod's manifest): validated and
    # rendered as documents are, then compared as parsed data and shown as text in --diff, as kube_file does.
    "shown_documents": {"type": "list", "elements": "dict", "default": [], "options": DOCUMENT_OPTIONS},
}


def _module_files(**content: dict[str, Any]) -> dict[str, Any]:
    """A list option of the module: files, each with its destination, mode and what it is to hold."""
    options = {"dest": {"type": "path", "required": True}, "mode": {"type": "raw", "default": DEFAULT_MODE}}
    return {"type": "list", "elements": "dict", "default": [], "options": {**options, **content}}


# What the module gets: each file's text in place of its source. The text is no_log, so a key never shows in the
# module's invocation (printed at -vvv) or anywhere else in its result. The shown documents come apart, with their
# data (to compare parsed) beside the text rendered on the controller, not no_log: their text is what --diff shows.
MODULE_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "directories": DIRECTORIES_SPEC,
    "sysctl": SYSCTL_SPEC,
    "files": _module_files(content={"type": "str", "required": True, "no_log": True}),
    "shown_files": _module_files(content={"type": "dict", "required": True}, text={"type": "str", "required": True}),
}


class HostFilesError(KubeFileError):
    """A file that cannot be put on the host as asked."""


def checksum(data: bytes) -> str:
    """SHA-1, as ansible.builtin.copy reports it: hashes computed by earlier releases with copy stay equal."""
    return hashlib.sha1(data).hexdigest()  # a change marker, as copy's, not a security measure


def planned_checksums(files: list[Mapping[str, Any]]) -> list[str]:
    """The checksum host_files reports for each file entry ({src} or {content}) once written, known on the controller
    before anything is copied: what a container's configuration hash takes, so that it is the same whether or not
    the copy ran in this play (ansible-playbook --tags run)."""
    return [checksum((entry["content"] if entry.get("content") is not None else read_source(entry["src"]))
                     .encode("utf-8")) for entry in files]


def read_source(src: str) -> str:
    """A controller file's text. Only text files (PEM, configuration) are carried: the module gets strings."""
    try:
        with open(src, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise HostFilesError(f"{src} does not exist on the controller") from None
    except IsADirectoryError:
        raise HostFilesError(f"{src} is a directory, not a file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HostFilesError(f"{src} is not UTF-8 text; host_files carries text files only") from None


def check_destinations(files: list[dict[str, Any]], directories: list[dict[str, Any]] = ()) -> None:
    """Refuse, before anything is written, a relative or repeated path and a bad mode."""
    seen: set[str] = set()
    for entry in [*({"dest": d["path"], "mode": d["mode"]} for d in directories), *files]:
        dest = entry["dest"]
        if not os.path.isabs(dest):
            raise HostFilesError(f"{dest} is not an absolute path")
        if os.path.normpath(dest) in seen:
            raise HostFilesError(f"{dest} is given twice")
        seen.add(os.path.normpath(dest))
        octal_mode(entry["mode"])


PROC_SYS = "/proc/sys"
_SYSCTL_NAME = re.compile(r"^[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$")


def sysctl_file(sysctl: dict[str, Any]) -> dict[str, str]:
    """The sysctl option's file in /etc/sysctl.d, as a file entry ({dest, content, mode}): it keeps the kernel
    parameters across reboots, one `name = value` line each. Refuses a name that is not a parameter's."""
    for name in sysctl["values"]:
        if not _SYSCTL_NAME.match(name):
            raise HostFilesError(f"{name!r} is not a kernel parameter name such as net.ipv4.ip_forward")
    content = "".join(f"{name} = {value}\n" for name, value in sysctl["values"].items())
    return {"dest": sysctl["file"], "content": content, "mode": "0644"}


def sysctl_path(name: str, proc_sys: str = PROC_SYS) -> str:
    return os.path.join(proc_sys, *name.split("."))


def same_sysctl_value(current: str, wanted: Any) -> bool:
    """As sysctl compares them: the kernel separates a list's fields with tabs (net.ipv4.tcp_rmem)."""
    return current.split() == str(wanted).split()


def _existing(path: str, is_kind: Any, kind: str) -> os.stat_result | None:
    """os.stat of what is at path, None if nothing is; refuses anything there that is not of the kind asked."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    if not is_kind(info.st_mode):
        raise HostFilesError(f"{path} exists and is not a {kind}")
    return info


def current_directory(path: str) -> str | None:
    """The mode of the directory at path, None if there is none; refuses anything else there."""
    info = _existing(path, stat.S_ISDIR, "directory")
    return None if info is None else f"{stat.S_IMODE(info.st_mode):04o}"


def current_file(dest: str) -> tuple[str | None, str | None]:
    """The checksum and mode of the file at dest, (None, None) if there is none; refuses a non-regular file."""
    info = _existing(dest, stat.S_ISREG, "regular file")
    if info is None:
        return None, None
    with open(dest, "rb") as handle:
        return checksum(handle.read()), f"{stat.S_IMODE(info.st_mode):04o}"


def description(digest: str | None, mode: str | None) -> str:
    """What --diff shows of a file: its checksum and mode, never its content (keys go through here too)."""
    return f"sha1 {digest}, mode {mode}\n" if digest else ""

# Copyright: curtain contributors
# Apache License 2.0
"""Several controller files put on a host in one module run: shared by the host_files action plugin (controller:
read the sources) and the host_files module (host: compare, write atomically, set the mode).

Why one run for many files: ansible.builtin.copy in a loop costs two module runs per file on the host (a stat, then
copy or file), and a master has two dozen certificates and keys; one run compares and writes them all.

Standard library only on the host side.
"""

from __future__ import annotations

import hashlib
import os
import stat
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.kube_file import (
    DEFAULT_MODE,
    KubeFileError,
    current_mode,
    octal_mode,
)

# The options a task gives, checked by the action plugin before it reads anything.
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "src": {"type": "path", "required": True},
            "dest": {"type": "path", "required": True},
            "mode": {"type": "raw", "default": DEFAULT_MODE},
        },
    },
}
# What the module gets: each file's text in place of its source. The text is no_log, so a key never shows in the
# module's invocation (printed at -vvv) or anywhere else in its result.
MODULE_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "dest": {"type": "path", "required": True},
            "mode": {"type": "raw", "default": DEFAULT_MODE},
            "content": {"type": "str", "required": True, "no_log": True},
        },
    },
}


class HostFilesError(KubeFileError):
    """A file that cannot be put on the host as asked."""


def checksum(data: bytes) -> str:
    """SHA-1, as ansible.builtin.copy reports it: hashes computed by earlier releases with copy stay equal."""
    return hashlib.sha1(data).hexdigest()  # a change marker, as copy's, not a security measure


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


def check_destinations(files: list[dict[str, Any]]) -> None:
    """Refuse, before anything is written, a relative or repeated destination and a bad mode."""
    seen: set[str] = set()
    for entry in files:
        dest = entry["dest"]
        if not os.path.isabs(dest):
            raise HostFilesError(f"dest {dest} is not an absolute path")
        if dest in seen:
            raise HostFilesError(f"dest {dest} is given twice")
        seen.add(dest)
        octal_mode(entry["mode"])


def current_file(dest: str) -> tuple[str | None, str | None]:
    """The checksum and mode of the file at dest, (None, None) if there is none; refuses a non-regular file."""
    try:
        info = os.stat(dest)
    except FileNotFoundError:
        return None, None
    if not stat.S_ISREG(info.st_mode):
        raise HostFilesError(f"{dest} exists and is not a regular file")
    with open(dest, "rb") as handle:
        return checksum(handle.read()), current_mode(dest)


def description(digest: str | None, mode: str | None) -> str:
    """What --diff shows of a file: its checksum and mode, never its content (keys go through here too)."""
    return f"sha1 {digest}, mode {mode}\n" if digest else ""

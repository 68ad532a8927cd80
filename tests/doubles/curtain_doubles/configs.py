"""YAML or JSON files a flag names, and configuration objects of a known group and kind, read as the components do.

Only what the doubles must refuse is checked: the file parses as YAML or JSON, and an object's apiVersion and kind
are the ones expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from curtain_doubles.pemfiles import FileProblem, one_line, read_bytes


@dataclass(frozen=True)
class ConfigKind:
    kind: str
    group: str
    versions: tuple[str, ...]  # empty: any version of the group (kinds the doubles only parse)


def load_document(path: str) -> Any:
    """A YAML or JSON file as data (JSON is YAML); FileProblem when it cannot be read or parsed."""
    data = read_bytes(path)
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise FileProblem(f"error converting YAML to JSON: yaml: {one_line(error)}") from None


def load_object(path: str, expected: ConfigKind) -> dict[str, Any]:
    document = load_document(path)
    if not isinstance(document, Mapping):
        raise FileProblem(f"Object 'Kind' is missing in '{path}'")
    api_version, kind = str(document.get("apiVersion") or ""), str(document.get("kind") or "")
    if not kind:
        raise FileProblem(f"Object 'Kind' is missing in '{path}'")
    group, _, version = api_version.rpartition("/")
    if kind != expected.kind or group != expected.group or (expected.versions and version not in expected.versions):
        wanted = ", ".join(f"{expected.group}/{v}" for v in expected.versions) or f"{expected.group}/*"
        raise FileProblem(
            f'no kind "{kind}" is registered for version "{api_version}" (expected kind "{expected.kind}" in {wanted})'
        )
    return dict(document)

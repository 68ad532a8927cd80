#!/usr/bin/env python3
"""Writes plugins/module_utils/kube_flagsets_modern.py, the flags of the modern profile's pinned versions, from the
`--help` of the binaries scripts/build_components.py built.

    scripts/generate_flagsets.py           regenerate the file (needs every pinned version built)
    scripts/generate_flagsets.py --check   exit 1 if the file differs from what the binaries print now

What `--help` gives, per flag line (cobra/pflag through component-base's cliflag, unwrapped when stdout is not a
terminal): `  -v, --name type   description`, the type left out for bool flags; continuation lines of a description
are indented and start with no dash. A deprecated flag ends its description with `(DEPRECATED: text)`, or (in
kube-scheduler's "Deprecated flags" section) starts it with `DEPRECATED: text`. The reference
pages on kubernetes.io are generated from the same output, so they stay a cross-check.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import build_components  # scripts/build_components.py: the pinned versions and where their binaries are

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "collections"))  # the checkout is the collection curtain.kube
# The component table is standard library only: it imports nothing this script writes.
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import NAMES as COMPONENTS

OUTPUT = ROOT / "plugins/module_utils/kube_flagsets_modern.py"
_FLAG_LINE = re.compile(
    r"^\s{2,}(?:-(?P<short>[A-Za-z0-9]), )?--(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)"
    r"(?: (?P<type>[^\s]+))?(?:\s{2,}(?P<description>.*))?$"
)
# Two forms: kube's cliflag appends "(DEPRECATED: text)"; kube-scheduler's "Deprecated flags" section starts the
# description with "DEPRECATED: text", followed by the flag's default.
_DEPRECATED = re.compile(r"\(DEPRECATED: (?P<text>.*)\)\s*$", re.DOTALL)
_DEPRECATED_FIRST = re.compile(r"^DEPRECATED: (?P<text>.*?)(?:\s*\(default [^()]*\))?\s*$", re.DOTALL)


def parse_help(text: str) -> list[tuple[str, str, str | None, str | None]]:
    """(name, type, deprecation text or None, shorthand or None) for each flag line of `--help`, sorted by name."""
    flags: dict[str, list] = {}
    current: list | None = None
    for line in text.splitlines():
        match = _FLAG_LINE.match(line)
        if match:
            current = [match["name"], match["type"] or "bool", match["description"] or "", match["short"]]
            if match["name"] in flags:
                raise SystemExit(f"generate_flagsets: --{match['name']} printed twice")
            flags[match["name"]] = current
        elif current is not None and line.startswith(" " * 8) and line.strip():
            current[2] += "\n" + line.strip()
        elif not line.strip() or line.endswith(":"):
            current = None  # a blank line or the next section's heading ends a description
    rows = []
    for name, kind, description, short in flags.values():
        deprecated = _DEPRECATED.search(description) or _DEPRECATED_FIRST.match(description)
        rows.append((name, kind, " ".join(deprecated["text"].split()) if deprecated else None, short))
    return sorted(rows)


def binary_dir(version: str) -> Path:
    path = next(recipe.directory() for recipe in build_components.recipes() if recipe.key == f"kubernetes-{version}")
    if not (path / build_components.STAMP).exists():
        raise SystemExit(f"generate_flagsets: kubernetes {version} is not built; run scripts/build_components.py")
    return path


def render(versions: tuple[str, ...]) -> str:
    lines = [
        "# Copyright: curtain contributors",
        "# Apache License 2.0",
        '"""The flags of the modern profile\'s pinned Kubernetes versions: GENERATED, do not edit.',
        "",
        "Written by scripts/generate_flagsets.py from the `--help` of each binary, built from the release's Go module",
        "k8s.io/kubernetes by scripts/build_components.py; kube_flagsets.py turns the rows into FlagSpecs.",
        "Each row: (name, type as --help prints it, deprecation text or None, shorthand or None).",
        '"""',
        "",
        "SOURCES = {",
    ]
    lines += [
        f'    "{line_of(version)}": "the --help of the {version} binaries built from the Go module '
        f'k8s.io/kubernetes@{version}",'
        for version in versions
    ]
    lines += ["}", "", "FLAGS = {"]
    for version in versions:
        directory = binary_dir(version)
        lines.append(f'    "{line_of(version)}": {{')
        for component in COMPONENTS:
            result = subprocess.run([str(directory / component), "--help"], capture_output=True, text=True)
            rows = parse_help(result.stdout + result.stderr)
            if len(rows) < 20:
                raise SystemExit(f"generate_flagsets: {component} {version} --help printed only {len(rows)} flags")
            lines.append(f'        "{component}": (')
            lines += [f"            {row!r}," for row in rows]
            lines.append("        ),")
        lines.append("    },")
    lines += ["}", ""]
    return "\n".join(lines)


def line_of(version: str) -> str:
    return ".".join(version.lstrip("v").split(".")[:2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render(build_components.pinned_kubernetes_versions())
    if args.check:
        if OUTPUT.read_text() != text:
            print(f"generate_flagsets: {OUTPUT.relative_to(ROOT)} differs from the binaries' --help; regenerate it")
            return 1
        print(f"generate_flagsets: {OUTPUT.relative_to(ROOT)} matches the binaries")
        return 0
    OUTPUT.write_text(text)
    print(f"generate_flagsets: wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fail when a role's meta/argument_specs.yml and defaults/main.yml do not declare the same variables.

Every input of a role is defaulted in defaults/main.yml and documented in meta/argument_specs.yml; the two
drift apart silently unless something compares them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[1] / "roles"


def compare(role: Path) -> list[str]:
    defaults = yaml.safe_load((role / "defaults/main.yml").read_text()) or {}
    entry_points = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    # An entry point (tasks_from) documents the inputs only it uses; together they cover every default.
    specs = {name: spec for entry in entry_points.values() for name, spec in entry.get("options", {}).items()}
    problems = [
        f"{role.name}: {name} is in defaults/main.yml but not in meta/argument_specs.yml"
        for name in defaults.keys() - specs.keys()
    ]
    problems += [
        f"{role.name}: {name} is in meta/argument_specs.yml but not in defaults/main.yml"
        for name in specs.keys() - defaults.keys()
    ]
    prefix = role.name + "_"
    problems += [
        f"{role.name}: {name} does not carry the role prefix {prefix}"
        for name in defaults
        if not name.startswith(prefix)
    ]
    return sorted(problems)


def main() -> int:
    roles = sorted(path for path in ROLES.iterdir() if (path / "defaults/main.yml").exists())
    problems = [problem for role in roles for problem in compare(role)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"argument specs: {len(roles)} roles checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write the `default:` of every role option in meta/argument_specs.yml from the role's defaults/main.yml.

    python3 scripts/argument_specs.py            write the defaults into meta/argument_specs.yml
    python3 scripts/argument_specs.py --check    exit 1 when a spec's defaults are not current, or when a role's
                                                 argument specs and defaults/main.yml do not declare the same
                                                 variables (each with the role prefix)

defaults/main.yml is the one place a role's defaults are written: Ansible takes the values from there, and the
argument specs only show them (ansible-doc, docs/variables.md). A default that follows the profile
(`{{ _etcd_profiles[etcd_profile].client_port }}`) is shown as the default profile's value, rendered with the
role's vars/main.yml; one naming the inventory's directory is shown as written.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from jinja2.nativetypes import NativeEnvironment

ROLES = Path(__file__).resolve().parents[1] / "roles"
COMMAND = "python3 scripts/argument_specs.py"
# An option's key and its default inside meta/argument_specs.yml: options sit 6 spaces in, their fields 8.
OPTION = re.compile(r"^ {6}(?P<name>[a-z0-9_]+):\s*$")
DEFAULT = re.compile(r"^ {8}default:")


def _yaml(path: Path) -> dict[str, Any]:
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def shown_defaults(role: Path) -> dict[str, Any]:
    """defaults/main.yml with the profile's values rendered; `{{ inventory_dir }}` stays as written."""
    defaults = _yaml(role / "defaults/main.yml")
    context = {**_yaml(role / "vars/main.yml"), **defaults}
    environment = NativeEnvironment()
    return {name: environment.from_string(value).render(context)
            if isinstance(value, str) and "{{" in value and "inventory_dir" not in value else value
            for name, value in defaults.items()}


def flow(value: Any) -> str:
    """One line of YAML: strings double-quoted when YAML needs quotes, lists and mappings in flow style."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf).removesuffix("\n...\n").strip()
    return json.dumps(value) if text.startswith("'") else text


def written(role: Path) -> str:
    """The role's meta/argument_specs.yml with each option's `default:` line set from defaults/main.yml."""
    defaults = shown_defaults(role)
    lines = (role / "meta/argument_specs.yml").read_text().splitlines(keepends=True)
    out: list[str] = []
    option = None
    for line in lines:
        match = OPTION.match(line)
        if match:
            option = match["name"]
        elif option in defaults and DEFAULT.match(line):
            line = f"        default: {flow(defaults[option])}\n"
        out.append(line)
    return "".join(out)


def declaration_problems(role: Path) -> list[str]:
    defaults = _yaml(role / "defaults/main.yml")
    entry_points = _yaml(role / "meta/argument_specs.yml")["argument_specs"]
    # An entry point (tasks_from) documents the inputs only it uses; together they cover every default.
    specs = {name: spec for entry in entry_points.values() for name, spec in entry.get("options", {}).items()}
    problems = [f"{role.name}: {name} is in defaults/main.yml but not in meta/argument_specs.yml"
                for name in defaults.keys() - specs.keys()]
    problems += [f"{role.name}: {name} is in meta/argument_specs.yml but not in defaults/main.yml"
                 for name in specs.keys() - defaults.keys()]
    problems += [f"{role.name}: {name} has no default: in meta/argument_specs.yml"
                 for name, spec in specs.items() if name in defaults and "default" not in spec]
    prefix = role.name + "_"
    problems += [f"{role.name}: {name} does not carry the role prefix {prefix}" for name in defaults
                 if not name.startswith(prefix)]
    return sorted(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when something is not current")
    args = parser.parse_args(argv)
    roles = sorted(path for path in ROLES.iterdir() if (path / "meta/argument_specs.yml").exists())
    problems = [problem for role in roles for problem in declaration_problems(role)]
    for role in roles:
        spec_file = role / "meta/argument_specs.yml"
        text = written(role)
        if text == spec_file.read_text():
            continue
        if args.check:
            problems.append(f"{role.name}: the defaults in meta/argument_specs.yml are not defaults/main.yml's: "
                            f"run `{COMMAND}`")
        else:
            spec_file.write_text(text)
            print(f"wrote {spec_file.relative_to(ROLES.parent)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"argument specs: {len(roles)} roles checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

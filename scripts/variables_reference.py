#!/usr/bin/env python3
"""Write docs/variables.md, the reference of every role variable, from the roles' meta/argument_specs.yml.

    python3 scripts/variables_reference.py            write docs/variables.md
    python3 scripts/variables_reference.py --check    exit 1, with a unified diff, when it is not current

Per role (sorted by name), per entry point (`main` first, then the others in spec order), one table row per
option in spec order: name, type (with its elements), default (the spec's, else defaults/main.yml's; Jinja shown
verbatim), whether it is required, its choices, and its description. Roles without meta/argument_specs.yml are
skipped. Ansible's description markup (C(), O(), V(), E(), P(), M(), I(), B(), U(), L()) becomes Markdown.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ROLES_DIR = ROOT / "roles"
OUTPUT = ROOT / "docs" / "variables.md"
COMMAND = "python3 scripts/variables_reference.py"
# Helper roles that other roles include with values they compute; not meant to be used on their own.
INTERNAL_ROLES = frozenset({"artifacts"})
COLUMNS = ("option", "type", "default", "required", "choices", "description")


@dataclass(frozen=True)
class Row:
    option: str
    type: str
    default: str
    required: str
    choices: str
    description: str


@dataclass(frozen=True)
class EntryPoint:
    name: str
    short_description: str
    description: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Role:
    name: str
    internal: bool
    entry_points: tuple[EntryPoint, ...]


# --- Markdown ------------------------------------------------------------------------------------------------------
def code(text: str) -> str:
    """`text` as a code span, fenced with more backticks than it contains in a row."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table_cell(text: str) -> str:
    """One line, with the pipes escaped: GitHub ends a cell at `|` even inside a code span."""
    return " ".join(text.split()).replace("|", "\\|")


_MARKUP = re.compile(r"\b([COVIBUMEP])\(([^()]*)\)|\bL\(([^(),]*),\s*([^()]*)\)")


def _plain_text(text: str) -> str:
    """Text outside code spans: `<` would open an HTML tag."""
    return text.replace("<", "&lt;")


def markdown_text(text: str) -> str:
    """Ansible's documentation markup as Markdown; everything else kept, `<` escaped."""
    parts = []
    position = 0
    for match in _MARKUP.finditer(text):
        parts.append(_plain_text(text[position:match.start()]))
        kind, value = match.group(1), match.group(2)
        if kind is None:  # L(text, url)
            parts.append(f"[{_plain_text(match.group(3))}]({match.group(4).strip()})")
        elif kind in "COVMEP":
            parts.append(code(value))
        elif kind == "I":
            parts.append(f"*{_plain_text(value)}*")
        elif kind == "B":
            parts.append(f"**{_plain_text(value)}**")
        else:  # U(url)
            parts.append(f"<{value}>")
        position = match.end()
    parts.append(_plain_text(text[position:]))
    return "".join(parts)


def description_text(description: str | Sequence[str] | None) -> str:
    if description is None:
        return ""
    paragraphs = [description] if isinstance(description, str) else [str(item) for item in description]
    return " ".join(markdown_text(" ".join(paragraph.split())) for paragraph in paragraphs if paragraph.strip())


def value_text(value: Any) -> str:
    """A default as a code span: strings verbatim (Jinja included), everything else in YAML's flow style."""
    if isinstance(value, str):
        return code(value) if value else code('""')
    if value is None:
        return code("null")
    if isinstance(value, bool):
        return code("true" if value else "false")
    return code(json.dumps(value, sort_keys=False) if isinstance(value, (list, dict)) else str(value))


def type_text(option: Mapping[str, Any]) -> str:
    kind = str(option.get("type", "str"))  # Ansible's default type
    elements = option.get("elements")
    return f"{kind} of {elements}" if elements else kind


# --- reading the roles ---------------------------------------------------------------------------------------------
def _rows(options: Mapping[str, Any], defaults: Mapping[str, Any], prefix: str = "") -> Iterator[Row]:
    for name, option in options.items():
        option = option or {}
        if "default" in option:
            default = value_text(option["default"])
        elif not prefix and name in defaults:
            default = value_text(defaults[name])
        else:
            default = ""
        choices = option.get("choices") or []
        yield Row(
            option=code(prefix + name),
            type=type_text(option),
            default=default,
            required="yes" if option.get("required") else "no",
            choices=", ".join(value_text(choice) for choice in choices),
            description=description_text(option.get("description")),
        )
        if option.get("options"):  # suboptions of a dict or a list of dicts
            yield from _rows(option["options"], {}, f"{prefix}{name}.")


def read_role(role_dir: Path) -> Role | None:
    """The role's entry points, or None without meta/argument_specs.yml."""
    spec_file = role_dir / "meta" / "argument_specs.yml"
    if not spec_file.is_file():
        return None
    specs = (yaml.safe_load(spec_file.read_text()) or {}).get("argument_specs") or {}
    defaults_file = role_dir / "defaults" / "main.yml"
    defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.is_file() else {}
    names = sorted(specs, key=lambda name: (name != "main",))  # stable: main first, then spec order
    entry_points = tuple(
        EntryPoint(
            name=name,
            short_description=str((specs[name] or {}).get("short_description") or ""),
            description=description_text((specs[name] or {}).get("description")),
            rows=tuple(_rows((specs[name] or {}).get("options") or {}, defaults)),
        )
        for name in names
    )
    return Role(name=role_dir.name, internal=role_dir.name in INTERNAL_ROLES, entry_points=entry_points)


def read_roles(roles_dir: Path) -> list[Role]:
    roles = (read_role(path) for path in sorted(roles_dir.iterdir(), key=lambda path: path.name) if path.is_dir())
    return [role for role in roles if role is not None]


# --- rendering -----------------------------------------------------------------------------------------------------
def render_table(rows: Sequence[Row]) -> list[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = (row.option, row.type, row.default, row.required, row.choices, row.description)
        lines.append("| " + " | ".join(table_cell(cell) for cell in cells) + " |")
    return lines


def render_role(role: Role) -> list[str]:
    title = f"## {role.name} (internal)" if role.internal else f"## {role.name}"
    lines = [title, ""]
    if role.internal:
        lines += ["An internal helper: the other roles include it with values they compute. Not meant to be used "
                  "on its own.", ""]
    for entry in role.entry_points:
        how = f"`curtain.kube.{role.name}`"
        if entry.name != "main":
            how += f" with `tasks_from: {entry.name}.yml`"
        lines += [f"### {role.name}: {entry.name}", ""]
        if entry.short_description:
            lines += [markdown_text(entry.short_description.rstrip(".")) + ".", ""]
        lines += [f"Used as {how}.", ""]
        if entry.description:
            lines += [entry.description, ""]
        lines += [*render_table(entry.rows), ""] if entry.rows else ["No options.", ""]
    return lines


def render(roles: Sequence[Role]) -> str:
    lines = [
        "# Role variables",
        "",
        f"Generated by `{COMMAND}` from each role's `meta/argument_specs.yml` (a default the spec does not give is "
        "taken from `defaults/main.yml`). Do not edit this file: change the specs and run the command again; "
        f"`make lint` runs `{COMMAND} --check`.",
        "",
        "Defaults are shown verbatim: a Jinja expression is evaluated when the role runs.",
        "",
    ]
    for role in roles:
        lines += render_role(role)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- command line --------------------------------------------------------------------------------------------------
def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def check(expected: str, output: Path) -> list[str]:
    """Problems with `output` (empty when it holds exactly `expected`): a message, then a unified diff."""
    current = output.read_text() if output.is_file() else ""
    if current == expected:
        return []
    state = "is out of date" if output.is_file() else "does not exist"
    shown = _shown(output)
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{shown} (current)",
        tofile=f"{shown} (generated)",
    )
    return [f"{shown} {state}: run `{COMMAND}` and commit the result.\n", *diff]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the file is not current")
    parser.add_argument("--roles", type=Path, default=ROLES_DIR, help="roles directory (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="Markdown file (default: %(default)s)")
    args = parser.parse_args(argv)
    roles = read_roles(args.roles)
    text = render(roles)
    if args.check:
        problems = check(text, args.output)
        sys.stderr.writelines(problems)
        if problems:
            return 1
        print(f"variables reference: {_shown(args.output)} is current ({len(roles)} roles)")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"variables reference: wrote {_shown(args.output)} ({len(roles)} roles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

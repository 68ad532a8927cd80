"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse as YAML: ansible-doc and the collection's docs read
them, and ansible-lint only warns when they do not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[4] / "plugins"
SOURCES = sorted((PLUGINS / "modules").glob("*.py"))


def documentation(path: Path) -> dict[str, str]:
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
                    found[target.id] = node.value.value
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[path.stem for path in SOURCES])
def test_the_module_documentation_parses(path: Path) -> None:
    texts = documentation(path)
    assert set(texts) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, path
    for name, text in texts.items():
        parsed = yaml.safe_load(text)
        assert parsed is not None, (path, name)
    assert yaml.safe_load(texts["DOCUMENTATION"])["module"] == path.stem

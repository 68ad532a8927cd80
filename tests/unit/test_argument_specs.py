"""scripts/argument_specs.py: the spec defaults it writes from a small fake role's defaults/main.yml, and --check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.scripts import load_script

argument_specs = load_script("argument_specs")

SPECS = """\
---
argument_specs:
  main:
    short_description: A demo role
    options:
      demo_profile:
        type: str
        default: modern
        description: The profile.
      demo_port:
        type: int
        default: 1
        description: From the profile.
      demo_dir:
        type: path
        default: ""
        description: Under the inventory.
      demo_caps:
        type: list
        elements: str
        default: []
        description: Capabilities.
"""


@pytest.fixture
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    role = tmp_path / "demo"
    for directory in ("meta", "defaults", "vars"):
        (role / directory).mkdir(parents=True)
    (role / "meta/argument_specs.yml").write_text(SPECS)
    (role / "defaults/main.yml").write_text(
        "---\ndemo_profile: modern\ndemo_port: \"{{ _demo_profiles[demo_profile].port }}\"\n"
        "demo_dir: \"{{ inventory_dir }}/artifacts\"\ndemo_caps: [NET_ADMIN, NET_RAW]\n")
    (role / "vars/main.yml").write_text("---\n_demo_profiles:\n  modern: {port: 2379}\n  seed: {port: 4001}\n")
    monkeypatch.setattr(argument_specs, "ROLES", tmp_path)
    return tmp_path


def test_the_defaults_are_written_from_defaults_main_yml(roles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert argument_specs.main(["--check"]) == 1
    assert "demo: the defaults in meta/argument_specs.yml are not defaults/main.yml's" in capsys.readouterr().err
    assert argument_specs.main([]) == 0
    options = yaml.safe_load((roles / "demo/meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert {name: option["default"] for name, option in options.items()} == {
        "demo_profile": "modern", "demo_port": 2379, "demo_dir": "{{ inventory_dir }}/artifacts",
        "demo_caps": ["NET_ADMIN", "NET_RAW"]}
    assert options["demo_caps"]["description"] == "Capabilities."
    assert argument_specs.main(["--check"]) == 0


def test_a_variable_declared_in_one_place_only_is_a_problem(roles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (roles / "demo/defaults/main.yml").open("a") as handle:
        handle.write("other_name: 1\n")
    assert argument_specs.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "demo: other_name is in defaults/main.yml but not in meta/argument_specs.yml" in err
    assert "demo: other_name does not carry the role prefix demo_" in err

"""kube_file (host side), run in-process with the module harness of conftest.py: writes, compares parsed content,
applies the mode, check mode writes nothing, diffs, and the atomic write through a temporary file in the same
directory."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.action.kube_file import render
from ansible_collections.curtain.kube.plugins.modules import kube_file

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "kube-scheduler", "namespace": "kube-system"},
    "spec": {
        "hostNetwork": True,
        "containers": [{"name": "kube-scheduler", "image": "registry.k8s.io/kube-scheduler:v1.37.2",
                        "command": ["kube-scheduler", "--leader-elect=true"]}],
    },
}


def args_for(dest: Path, content: dict[str, Any] = POD, fmt: str = "yaml", **extra: Any) -> dict[str, Any]:
    return {"content": content, "dest": str(dest), "format": fmt, "text": render(content, fmt), **extra}


def mode_of(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_write_then_unchanged(tmp_path: Path, module_runner) -> None:
    dest = tmp_path / "kube-scheduler.yaml"
    result = module_runner(kube_file.main, args_for(dest))
    assert not result.failed, result.result
    assert result.result["changed"] is True and result.result["reason"] == "created"
    assert yaml.safe_load(dest.read_text()) == POD
    assert dest.read_text() == render(POD, "yaml")
    assert mode_of(dest) == "0600" and result.result["mode"] == "0600"
    assert result.result["diff"]["before"] == "" and result.result["diff"]["after"] == dest.read_text()

    again = module_runner(kube_file.main, args_for(dest))
    assert again.result["changed"] is False and again.result["reason"] == "unchanged"
    assert again.result["diff"]["before"] == again.result["diff"]["after"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("fmt", "existing"),
    [
        ("yaml", lambda: yaml.safe_dump(POD, sort_keys=False, indent=4)),  # other order, other indentation
        ("yaml", lambda: json.dumps(POD)),  # the same data as one line of JSON (JSON is YAML)
        ("json", lambda: json.dumps(dict(reversed(list(POD.items()))), indent=8)),
    ],
)
def test_reordered_but_equal_content_is_no_change(tmp_path: Path, module_runner, fmt: str, existing: Any) -> None:
    dest = tmp_path / f"pod.{fmt}"
    text = existing()
    dest.write_text(text)
    dest.chmod(0o600)
    before = dest.stat().st_mtime_ns
    result = module_runner(kube_file.main, args_for(dest, fmt=fmt))
    assert not result.failed, result.result
    assert result.result["changed"] is False
    assert result.result["reason"] == "equal content, other formatting"
    assert dest.read_text() == text and dest.stat().st_mtime_ns == before


def test_changed_content_is_rewritten_with_a_diff(tmp_path: Path, module_runner) -> None:
    dest = tmp_path / "pod.yaml"
    module_runner(kube_file.main, args_for(dest))
    old_text = dest.read_text()
    newer = json.loads(json.dumps(POD))
    newer["spec"]["containers"][0]["command"].append("--profiling=false")
    result = module_runner(kube_file.main, args_for(dest, newer))
    assert result.result["changed"] is True and result.result["reason"] == "content differs"
    assert result.result["content_changed"] is True and result.result["attributes_changed"] is False
    assert result.result["diff"]["before"] == old_text
    assert result.result["diff"]["after"] == render(newer, "yaml") == dest.read_text()


def test_a_mode_change_alone_is_a_change(tmp_path: Path, module_runner) -> None:
    dest = tmp_path / "pod.yaml"
    dest.write_text(render(POD, "yaml"))
    dest.chmod(0o644)
    result = module_runner(kube_file.main, args_for(dest))
    assert result.result["changed"] is True
    assert result.result["content_changed"] is False and result.result["attributes_changed"] is True
    assert mode_of(dest) == "0600"
    diff = result.result["diff"]
    assert diff["before_header"] == f"{dest} (mode 0644)" and diff["after_header"] == f"{dest} (mode 0600)"
    assert diff["before"] == diff["after"]
    assert module_runner(kube_file.main, args_for(dest)).result["changed"] is False


@pytest.mark.parametrize("mode", ["0644", "644", 0o644])
def test_mode_forms(tmp_path: Path, module_runner, mode: Any) -> None:
    dest = tmp_path / "config.yaml"
    result = module_runner(kube_file.main, args_for(dest, mode=mode))
    assert not result.failed, result.result
    assert mode_of(dest) == "0644" and result.result["mode"] == "0644"


def test_check_mode_reports_and_writes_nothing(tmp_path: Path, module_runner) -> None:
    dest = tmp_path / "pod.yaml"
    created = module_runner(kube_file.main, args_for(dest), check_mode=True)
    assert created.result["changed"] is True and created.result["reason"] == "created"
    assert created.result["diff"]["after"] == render(POD, "yaml")
    assert not dest.exists() and leftovers(tmp_path) == []

    dest.write_text("apiVersion: v1\nkind: Pod\n")
    dest.chmod(0o644)
    changed = module_runner(kube_file.main, args_for(dest), check_mode=True)
    assert changed.result["changed"] is True
    assert changed.result["content_changed"] is True and changed.result["attributes_changed"] is True
    assert changed.result["diff"]["before"] == "apiVersion: v1\nkind: Pod\n"
    assert dest.read_text() == "apiVersion: v1\nkind: Pod\n" and mode_of(dest) == "0644"


def test_check_mode_of_an_unchanged_file(tmp_path: Path, module_runner) -> None:
    dest = tmp_path / "pod.yaml"
    module_runner(kube_file.main, args_for(dest))
    assert module_runner(kube_file.main, args_for(dest), check_mode=True).result["changed"] is False


def test_the_write_is_atomic_through_the_same_directory(tmp_path: Path, module_runner,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "admin.conf"
    dest.write_text("old: content\n")
    seen: list[tuple[str, str, bool]] = []
    real_move = AnsibleModule.atomic_move

    def spy(self: AnsibleModule, src: str, target: str, *args: Any, **kwargs: Any) -> None:
        seen.append((os.path.dirname(src), mode_of(Path(src)), Path(target).read_text() == "old: content\n"))
        real_move(self, src, target, *args, **kwargs)

    monkeypatch.setattr(AnsibleModule, "atomic_move", spy)
    result = module_runner(kube_file.main, args_for(dest, {"apiVersion": "v1", "kind": "Config"}))
    assert not result.failed, result.result
    # the new text was complete in a private temporary file next to dest while dest still held the old text
    assert seen == [(str(tmp_path), "0600", True)]
    assert yaml.safe_load(dest.read_text()) == {"apiVersion": "v1", "kind": "Config"}
    assert leftovers(tmp_path) == []


def test_a_new_file_is_never_more_open_than_0600(tmp_path: Path, module_runner,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "admin.conf"
    modes: list[str] = []
    real_move = AnsibleModule.atomic_move

    def spy(self: AnsibleModule, src: str, target: str, *args: Any, **kwargs: Any) -> None:
        real_move(self, src, target, *args, **kwargs)
        modes.append(mode_of(Path(target)))  # before the requested mode is applied

    monkeypatch.setattr(AnsibleModule, "atomic_move", spy)
    old_umask = os.umask(0o022)
    try:
        module_runner(kube_file.main, args_for(dest, mode="0640"))
    finally:
        os.umask(old_umask)
    assert modes == ["0600"] and mode_of(dest) == "0640"


def test_no_diff_when_diff_mode_is_off(tmp_path: Path, module_runner, monkeypatch: pytest.MonkeyPatch) -> None:
    class WithoutDiff(AnsibleModule):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._diff = False  # the task keyword diff: false

    monkeypatch.setattr(kube_file, "AnsibleModule", WithoutDiff)
    result = module_runner(kube_file.main, args_for(tmp_path / "admin.conf"))
    assert result.result["changed"] is True and "diff" not in result.result


def test_yaml_that_is_not_json_on_a_host_without_pyyaml(tmp_path: Path, module_runner,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # the host has no PyYAML
    dest = tmp_path / "pod.yaml"
    dest.write_text(render(POD, "yaml"))
    dest.chmod(0o600)
    assert module_runner(kube_file.main, args_for(dest)).result["reason"] == "unchanged"  # same text
    dest.write_text(yaml.safe_dump(POD, indent=4))
    result = module_runner(kube_file.main, args_for(dest))
    assert result.result["changed"] is True and result.result["reason"] == "unparseable"
    assert dest.read_text() == render(POD, "yaml")


def test_json_without_text_is_rendered_by_the_module(tmp_path: Path, module_runner) -> None:
    dest = tmp_path / "master.json"
    result = module_runner(kube_file.main, {"content": POD, "dest": str(dest)})
    assert not result.failed, result.result
    assert result.result["format"] == "json" and json.loads(dest.read_text()) == POD
    assert dest.read_text() == json.dumps(POD, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"format": "yaml"}, "format yaml needs the text rendered by the kube_file action"),
        ({"mode": "u=rw"}, "mode 'u=rw' is not an octal mode"),
        ({"mode": "0999"}, "mode '0999' is not an octal mode"),
    ],
)
def test_refusals(tmp_path: Path, module_runner, args: dict[str, Any], expected: str) -> None:
    result = module_runner(kube_file.main, {"content": POD, "dest": str(tmp_path / "pod.yaml"), **args})
    assert result.failed and expected in result.result["msg"]
    assert not (tmp_path / "pod.yaml").exists()


def test_dest_must_be_a_file_in_an_existing_directory(tmp_path: Path, module_runner) -> None:
    (tmp_path / "manifests").mkdir()
    result = module_runner(kube_file.main, args_for(tmp_path / "manifests"))
    assert result.failed and "is not a regular file" in result.result["msg"]
    missing = module_runner(kube_file.main, args_for(tmp_path / "missing" / "pod.yaml"))
    assert missing.failed and "does not exist" in missing.result["msg"]
    # In check mode the directory may be one an earlier task only said it would create.
    checked = module_runner(kube_file.main, args_for(tmp_path / "missing" / "pod.yaml"), check_mode=True)
    assert not checked.failed and checked.result["changed"] is True
    assert not (tmp_path / "missing").exists()


def test_owner_and_group_by_name(tmp_path: Path, module_runner) -> None:
    import grp
    import pwd

    dest = tmp_path / "pod.yaml"
    owner = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    module_runner(kube_file.main, args_for(dest))
    result = module_runner(kube_file.main, args_for(dest, owner=owner, group=group))
    assert result.result["changed"] is False

"""host_files: the module (in-process, conftest.py's harness) compares, writes atomically and sets modes, check mode
writes nothing; the action refuses bad input before the host is touched; and a real ansible-playbook run at -vvv
with --diff shows no file content anywhere, where ansible.builtin.copy would."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.curtain.kube.plugins.action.host_files import ActionModule
from ansible_collections.curtain.kube.plugins.module_utils.host_files import checksum
from ansible_collections.curtain.kube.plugins.modules import host_files

ROOT = Path(__file__).resolve().parents[4]
# Not a real key: its base64 body must not appear in any output.
KEY = ("-----BEGIN EC PRIVATE KEY-----\nTUFSS0VSLW5vdC1hLWtleS1idXQtc2VjcmV0LWFsbC10aGUtc2FtZQ==\n"
       "-----END EC PRIVATE KEY-----\n")
KEY_BODY = KEY.splitlines()[1]
CERT = "-----BEGIN CERTIFICATE-----\nY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"


def mode_of(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def module_files(directory: Path, **modes: str) -> list[dict[str, Any]]:
    return [{"dest": str(directory / "ca.crt"), "mode": modes.get("cert", "0644"), "content": CERT},
            {"dest": str(directory / "server.key"), "mode": modes.get("key", "0600"), "content": KEY}]


def test_writes_every_file_then_finds_nothing_to_do(tmp_path: Path, module_runner: Any) -> None:
    first = module_runner(host_files.main, {"files": module_files(tmp_path)})
    assert not first.failed, first.result
    assert first.result["changed"] is True
    assert [entry["state"] for entry in first.result["files"]] == ["created", "created"]
    assert (tmp_path / "ca.crt").read_text() == CERT and (tmp_path / "server.key").read_text() == KEY
    assert mode_of(tmp_path / "ca.crt") == "0644" and mode_of(tmp_path / "server.key") == "0600"
    assert [entry["checksum"] for entry in first.result["files"]] == [checksum(CERT.encode()), checksum(KEY.encode())]

    again = module_runner(host_files.main, {"files": module_files(tmp_path)})
    assert again.result["changed"] is False
    assert [entry["state"] for entry in again.result["files"]] == ["unchanged", "unchanged"]
    assert sorted(os.listdir(tmp_path)) == ["ca.crt", "server.key"]  # no temporary file left


def test_other_content_or_mode_is_a_change_of_that_file_only(tmp_path: Path, module_runner: Any) -> None:
    module_runner(host_files.main, {"files": module_files(tmp_path)})
    (tmp_path / "ca.crt").write_text("other\n")
    (tmp_path / "server.key").chmod(0o644)
    result = module_runner(host_files.main, {"files": module_files(tmp_path)}).result
    assert result["changed"] is True
    assert [(entry["state"], entry["mode_changed"]) for entry in result["files"]] == [
        ("changed", False), ("unchanged", True)]
    assert (tmp_path / "ca.crt").read_text() == CERT and mode_of(tmp_path / "server.key") == "0600"


def test_check_mode_reports_and_writes_nothing(tmp_path: Path, module_runner: Any) -> None:
    module_runner(host_files.main, {"files": module_files(tmp_path)[:1]})
    (tmp_path / "ca.crt").write_text("other\n")
    result = module_runner(host_files.main, {"files": module_files(tmp_path)}, check_mode=True).result
    assert result["changed"] is True
    assert [entry["state"] for entry in result["files"]] == ["changed", "created"]
    assert (tmp_path / "ca.crt").read_text() == "other\n" and not (tmp_path / "server.key").exists()


def test_the_diff_shows_checksums_and_modes_never_content(tmp_path: Path, module_runner: Any) -> None:
    module_runner(host_files.main, {"files": module_files(tmp_path)})
    result = module_runner(host_files.main, {"files": module_files(tmp_path, key="0640")}).result
    key_diff = result["diff"][1]
    before, after = key_diff["before"], key_diff["after"]
    assert before == f"sha1 {checksum(KEY.encode())}, mode 0600\n"
    assert after == f"sha1 {checksum(KEY.encode())}, mode 0640\n"
    assert KEY_BODY not in json.dumps(result)


@pytest.mark.parametrize(("files", "message"), [
    ([{"dest": "relative/ca.crt", "mode": "0644", "content": CERT}], "dest relative/ca.crt is not an absolute path"),
    ([{"dest": "/x/ca.crt", "mode": "0644", "content": CERT}] * 2, "dest /x/ca.crt is given twice"),
    ([{"dest": "/x/ca.crt", "mode": "u+rw", "content": CERT}], "u+rw"),
])
def test_bad_destinations_and_modes_fail_before_anything_is_written(tmp_path: Path, module_runner: Any,
                                                                   files: list[dict[str, Any]], message: str) -> None:
    result = module_runner(host_files.main, {"files": files})
    assert result.failed and message in result.result["msg"]


def test_a_missing_directory_or_a_directory_in_the_way_fails_and_writes_nothing(tmp_path: Path,
                                                                                module_runner: Any) -> None:
    files = [*module_files(tmp_path), {"dest": str(tmp_path / "missing/client.key"), "mode": "0600", "content": KEY}]
    result = module_runner(host_files.main, {"files": files})
    assert result.failed and "the directory of" in result.result["msg"]
    assert os.listdir(tmp_path) == []  # the files before it were not written either
    (tmp_path / "ca.crt").mkdir()
    result = module_runner(host_files.main, {"files": module_files(tmp_path)})
    assert result.failed and "is not a regular file" in result.result["msg"]


def run_action(args: dict[str, Any], module_runner: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def execute(module_name: str, module_args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        assert module_name == "curtain.kube.host_files"
        sent.append(module_args)
        return module_runner(host_files.main, module_args).result

    task = mock.MagicMock(args=args, async_val=0, check_mode=False, action="curtain.kube.host_files")
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None)
    action._execute_module = execute  # type: ignore[method-assign]
    return action.run(task_vars={}), sent


def test_the_action_reads_the_sources_and_runs_the_module_once(tmp_path: Path, module_runner: Any) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "dest").mkdir()
    (tmp_path / "src/ca.crt").write_text(CERT)
    (tmp_path / "src/server.key").write_text(KEY)
    result, sent = run_action({"files": [
        {"src": str(tmp_path / "src/ca.crt"), "dest": str(tmp_path / "dest/ca.crt"), "mode": "0644"},
        {"src": str(tmp_path / "src/server.key"), "dest": str(tmp_path / "dest/server.key")}]}, module_runner)
    assert result["changed"] is True and len(sent) == 1
    assert (tmp_path / "dest/server.key").read_text() == KEY and mode_of(tmp_path / "dest/server.key") == "0600"


@pytest.mark.parametrize(("prepare", "message"), [
    (lambda src: None, "does not exist on the controller"),
    (lambda src: src.mkdir(), "is a directory, not a file"),
    (lambda src: src.write_bytes(b"\xff\xfe binary"), "is not UTF-8 text"),
])
def test_the_action_refuses_a_bad_source_before_the_host_is_contacted(tmp_path: Path, module_runner: Any,
                                                                       prepare: Any, message: str) -> None:
    src = tmp_path / "ca.crt"
    prepare(src)
    with pytest.raises(AnsibleActionFail, match=message):
        run_action({"files": [{"src": str(src), "dest": str(tmp_path / "out.crt")}]}, module_runner)
    assert not (tmp_path / "out.crt").exists()


def test_a_real_run_at_vvv_with_diff_shows_no_content(tmp_path: Path) -> None:
    """Ansible's own no_log masking, which the in-process harness does not run: the key's text is not printed in
    the module's invocation (shown at -vvv), its result or its diff."""
    (tmp_path / "server.key").write_text(KEY)
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"curtain.kube.host_files": {"files": [
            {"src": str(tmp_path / "server.key"), "dest": str(tmp_path / "on-host.key")}]}}]}]))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "default"}
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-vvv", "--diff", "-i", "localhost,",
               "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)]
    runs = [subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
        assert KEY_BODY not in run.stdout + run.stderr
    assert (tmp_path / "on-host.key").read_text() == KEY
    assert "changed=1" in runs[0].stdout and "changed=0" in runs[1].stdout

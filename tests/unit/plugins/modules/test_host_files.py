"""host_files: the module (in-process, conftest.py's harness) compares, writes atomically and sets modes, check mode
writes nothing; the action refuses bad input before the host is touched; and a real ansible-playbook run at -vvv
with --diff shows no secret file's content anywhere, where ansible.builtin.copy would (only the shown documents')."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible_collections.curtain.kube.plugins.action.host_files import ActionModule
from ansible_collections.curtain.kube.plugins.action.kube_file import render
from ansible_collections.curtain.kube.plugins.module_utils.host_files import (
    HostFilesError,
    checksum,
    planned_checksums,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import kubeconfig
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
    ([{"dest": "relative/ca.crt", "mode": "0644", "content": CERT}], "relative/ca.crt is not an absolute path"),
    ([{"dest": "/x/ca.crt", "mode": "0644", "content": CERT}] * 2, "/x/ca.crt is given twice"),
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


def test_directories_are_made_with_their_modes_before_the_files_in_them(tmp_path: Path, module_runner: Any) -> None:
    pki = tmp_path / "etc/kubernetes/pki"
    args = {"directories": [{"path": str(tmp_path / "etc/kubernetes"), "mode": "0755"},
                            {"path": str(pki), "mode": "0700"}],
            "files": module_files(pki)}
    checked = module_runner(host_files.main, args, check_mode=True)
    assert checked.result["changed"] is True and not (tmp_path / "etc").exists()
    assert [entry["state"] for entry in checked.result["directories"]] == ["created", "created"]

    first = module_runner(host_files.main, args)
    assert not first.failed, first.result
    assert [entry["state"] for entry in first.result["directories"]] == ["created", "created"]
    assert mode_of(tmp_path / "etc/kubernetes") == "0755" and mode_of(pki) == "0700"  # whatever the umask
    assert (pki / "ca.crt").read_text() == CERT

    pki.chmod(0o755)
    again = module_runner(host_files.main, args)
    assert again.result["changed"] is True and mode_of(pki) == "0700"
    assert [(entry["state"], entry["mode_changed"]) for entry in again.result["directories"]] == [
        ("unchanged", False), ("unchanged", True)]
    assert module_runner(host_files.main, args).result["changed"] is False


def test_a_file_where_a_directory_is_asked_fails_before_anything_changes(tmp_path: Path,
                                                                           module_runner: Any) -> None:
    (tmp_path / "manifests").write_text("a file\n")
    args = {"directories": [{"path": str(tmp_path / "new"), "mode": "0700"},
                            {"path": str(tmp_path / "manifests"), "mode": "0700"}]}
    result = module_runner(host_files.main, args)
    assert result.failed and "manifests exists and is not a directory" in result.result["msg"]
    assert not (tmp_path / "new").exists()


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


def test_the_planned_checksums_are_those_the_module_reports(tmp_path: Path, module_runner: Any) -> None:
    """What a container's hash takes (planned_checksums, on the controller, without the copy running) must be what
    host_files reports once it wrote the files: a run with the copy and one without it hash alike."""
    (tmp_path / "ca.crt").write_text(CERT)
    (tmp_path / "server.key").write_text(KEY)
    files = [{"src": str(tmp_path / "ca.crt"), "dest": str(tmp_path / "dest-ca.crt")},
             {"src": str(tmp_path / "server.key"), "dest": str(tmp_path / "dest-server.key")},
             {"content": "version = 3\n", "dest": str(tmp_path / "config.toml")}]
    result, _ = run_action({"files": files}, module_runner)
    assert [entry["checksum"] for entry in result["files"]] == planned_checksums(files)
    assert len(set(planned_checksums(files))) == 3
    with pytest.raises(HostFilesError, match="does not exist on the controller"):
        planned_checksums([{"src": str(tmp_path / "missing.crt"), "dest": "/x"}])


def test_the_action_takes_inline_content_beside_sources(tmp_path: Path, module_runner: Any) -> None:
    (tmp_path / "ca.crt").write_text(CERT)
    result, sent = run_action({
        "directories": [{"path": str(tmp_path / "etc/containerd"), "mode": "0755"}],
        "files": [{"src": str(tmp_path / "ca.crt"), "dest": str(tmp_path / "etc/ca.crt"), "mode": "0644"},
                  {"content": "version = 3\n", "dest": str(tmp_path / "etc/containerd/config.toml"),
                   "mode": "0644"}]}, module_runner)
    assert result["changed"] is True and len(sent) == 1
    assert (tmp_path / "etc/containerd/config.toml").read_text() == "version = 3\n"
    assert mode_of(tmp_path / "etc/containerd/config.toml") == "0644"


def test_the_action_validates_and_renders_documents_and_writes_them_with_the_files(tmp_path: Path,
                                                                                   module_runner: Any) -> None:
    """A kubeconfig carrying its key goes in the same run as the certificates: rendered as kube_file renders it (the
    same bytes, so a file kube_file wrote is left alone), its text never in the diff."""
    config = kubeconfig("kubernetes", "https://10.0.0.5:6443", None, None, None, "system:kube-proxy", embed=True,
                        ca_pem=CERT, client_cert_pem=CERT, client_key_pem=KEY)
    documents = [{"content": config, "dest": str(tmp_path / "etc/proxy.conf"), "validate": "kubeconfig"}]
    args = {"directories": [{"path": str(tmp_path / "etc"), "mode": "0755"}], "documents": documents,
            "files": [{"content": CERT, "dest": str(tmp_path / "etc/ca.crt"), "mode": "0644"}]}
    result, sent = run_action(args, module_runner)
    assert result["changed"] is True and len(sent) == 1
    written = (tmp_path / "etc/proxy.conf").read_text()
    assert written == render(config, "yaml") and yaml.safe_load(written) == config
    assert mode_of(tmp_path / "etc/proxy.conf") == "0600"
    assert [entry["dest"] for entry in result["files"]] == [str(tmp_path / "etc/ca.crt"), documents[0]["dest"]]
    again, _ = run_action(args, module_runner)
    assert again["changed"] is False


def test_the_action_refuses_every_invalid_document_before_anything_is_written(tmp_path: Path,
                                                                             module_runner: Any) -> None:
    config = kubeconfig("kubernetes", "https://10.0.0.5:6443", None, None, None, "admin", embed=True,
                        ca_pem=CERT, client_cert_pem=CERT, client_key_pem=KEY)
    broken = {**config, "clusters": "not a list"}
    args = {"files": [{"content": CERT, "dest": str(tmp_path / "ca.crt")}],
            "documents": [{"content": broken, "dest": str(tmp_path / "a.conf"), "validate": "kubeconfig"},
                          {"content": broken, "dest": str(tmp_path / "b.conf"), "validate": "kubeconfig"}]}
    with pytest.raises(AnsibleActionFail, match="4 error\\(s\\); nothing was written") as failed:
        run_action(args, module_runner)
    assert str(tmp_path / "a.conf") in str(failed.value) and str(tmp_path / "b.conf") in str(failed.value)
    assert list(tmp_path.iterdir()) == []


# A document with no secret, as kube-proxy's configuration is.
PROXY_CONFIGURATION = {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
                       "mode": "iptables", "clusterCIDR": "10.244.0.0/16"}


def test_shown_documents_are_compared_as_data_and_their_text_is_the_diff(tmp_path: Path, module_runner: Any) -> None:
    """What kube_file does for a file a user reads, in host_files' one run: validated and rendered on the
    controller, compared as parsed data on the host (other formatting of equal data is left alone), its text in
    --diff."""
    dest = tmp_path / "etc/config.conf"
    shown = [{"content": PROXY_CONFIGURATION, "dest": str(dest), "validate": "kube_proxy_configuration"}]
    args = {"directories": [{"path": str(tmp_path / "etc"), "mode": "0755"}],
            "files": [{"content": CERT, "dest": str(tmp_path / "etc/ca.crt"), "mode": "0644"}],
            "shown_documents": shown}
    first, sent = run_action(args, module_runner)
    assert first["changed"] is True and len(sent) == 1
    text = render(PROXY_CONFIGURATION, "yaml")
    assert dest.read_text() == text and mode_of(dest) == "0600"
    assert [(entry["dest"], entry["state"]) for entry in first["files"]] == [
        (str(tmp_path / "etc/ca.crt"), "created"), (str(dest), "created")]
    assert first["diff"][1] == {"before_header": str(dest), "after_header": f"{dest} (mode 0600)",
                                "before": "", "after": text}
    assert run_action(args, module_runner)[0]["changed"] is False

    # Equal data in other formatting (JSON, another key order) is left as it is, and its checksum is its own.
    other_formatting = json.dumps(dict(reversed(PROXY_CONFIGURATION.items()))) + "\n"
    dest.write_text(other_formatting)
    kept, _ = run_action(args, module_runner)
    assert kept["changed"] is False and dest.read_text() == other_formatting
    assert kept["files"][1]["checksum"] == checksum(other_formatting.encode())
    # A file with bytes that are not UTF-8 (here in a comment) does not parse: it is rewritten, as a change.
    not_utf8 = b"# \xff\xfe\n" + render(PROXY_CONFIGURATION, "yaml").encode()
    dest.write_bytes(not_utf8)
    rewritten, _ = run_action(args, module_runner)
    assert rewritten["changed"] is True and dest.read_text() == render(PROXY_CONFIGURATION, "yaml")
    dest.write_text(other_formatting)

    # Other data: a change, shown as the texts before and after; check mode writes nothing.
    changed = [{**shown[0], "content": {**PROXY_CONFIGURATION, "mode": "ipvs"}}]
    module_args = {**sent[0], "shown_files": [{**sent[0]["shown_files"][0], "content": changed[0]["content"],
                                               "text": render(changed[0]["content"], "yaml")}]}
    checked = module_runner(host_files.main, module_args, check_mode=True).result
    assert checked["changed"] is True and checked["files"][1]["state"] == "changed"
    assert checked["diff"][1]["before"] == other_formatting
    assert checked["diff"][1]["after"] == render(changed[0]["content"], "yaml")
    assert dest.read_text() == other_formatting
    dest.chmod(0o644)
    rewritten, _ = run_action({**args, "shown_documents": changed}, module_runner)
    assert [(entry["state"], entry["mode_changed"]) for entry in rewritten["files"]] == [
        ("unchanged", False), ("changed", True)]
    assert yaml.safe_load(dest.read_text())["mode"] == "ipvs" and mode_of(dest) == "0600"


def test_shown_documents_are_refused_with_the_rest_before_anything_is_written(tmp_path: Path,
                                                                             module_runner: Any) -> None:
    invalid = {"content": {**PROXY_CONFIGURATION, "mode": 7}, "dest": str(tmp_path / "proxy.conf"),
               "validate": "kube_proxy_configuration"}
    with pytest.raises(AnsibleActionFail, match="nothing was written") as failed:
        run_action({"files": [{"content": CERT, "dest": str(tmp_path / "ca.crt")}], "shown_documents": [invalid]},
                   module_runner)
    assert str(tmp_path / "proxy.conf") in str(failed.value)
    twice = {"content": PROXY_CONFIGURATION, "dest": str(tmp_path / "ca.crt")}
    with pytest.raises(AnsibleActionFail, match="is given twice"):
        run_action({"files": [{"content": CERT, "dest": str(tmp_path / "ca.crt")}], "shown_documents": [twice]},
                   module_runner)
    assert list(tmp_path.iterdir()) == []


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
    config = kubeconfig("kubernetes", "https://10.0.0.5:6443", None, None, None, "admin", embed=True,
                        ca_pem=CERT, client_cert_pem=CERT, client_key_pem=KEY)
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"curtain.kube.host_files": {
            "files": [{"src": str(tmp_path / "server.key"), "dest": str(tmp_path / "on-host.key")}],
            "documents": [{"content": config, "dest": str(tmp_path / "admin.conf"), "validate": "kubeconfig"}],
            "shown_documents": [{"content": PROXY_CONFIGURATION, "dest": str(tmp_path / "proxy.conf")}]}}]}]))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "default"}
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-vvv", "--diff", "-i", "localhost,",
               "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)]
    runs = [subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
        assert KEY_BODY not in run.stdout + run.stderr
    assert (tmp_path / "on-host.key").read_text() == KEY
    assert yaml.safe_load((tmp_path / "admin.conf").read_text()) == config
    key_data = base64.b64encode(KEY.encode()).decode()  # how the kubeconfig carries the key
    assert key_data in (tmp_path / "admin.conf").read_text()
    assert not [run for run in runs if key_data in run.stdout + run.stderr]
    # What is not secret shows: the shown document's text is the first run's diff.
    assert "+clusterCIDR: 10.244.0.0/16" in runs[0].stdout
    assert "changed=1" in runs[0].stdout and "changed=0" in runs[1].stdout


def test_kernel_parameters_are_set_where_they_differ_and_kept_in_their_file(tmp_path: Path, module_runner: Any,
                                                                             monkeypatch: Any) -> None:
    """/proc/sys stands in a directory here: the module reads and writes its files, as sysctl -w does."""
    from ansible_collections.curtain.kube.plugins.module_utils import host_files as utils

    proc = tmp_path / "proc/sys"
    (proc / "vm").mkdir(parents=True)
    (proc / "net/ipv4").mkdir(parents=True)
    (proc / "vm/overcommit_memory").write_text("0\n")
    (proc / "net/ipv4/tcp_rmem").write_text("4096\t131072\t6291456\n")
    monkeypatch.setattr(host_files, "sysctl_path", lambda name: utils.sysctl_path(name, str(proc)))
    (tmp_path / "sysctl.d").mkdir()
    args = {"sysctl": {"file": str(tmp_path / "sysctl.d/90-curtain-kubelet.conf"),
                       "values": {"vm.overcommit_memory": "1", "net.ipv4.tcp_rmem": "4096 131072 6291456"}}}

    checked = module_runner(host_files.main, args, check_mode=True).result
    assert checked["changed"] is True and (proc / "vm/overcommit_memory").read_text() == "0\n"
    assert [(entry["name"], entry["changed"]) for entry in checked["sysctl"]] == [
        ("vm.overcommit_memory", True), ("net.ipv4.tcp_rmem", False)]  # the kernel's tabs are the same list

    first = module_runner(host_files.main, args).result
    assert first["changed"] is True and (proc / "vm/overcommit_memory").read_text() == "1"
    assert (tmp_path / "sysctl.d/90-curtain-kubelet.conf").read_text() == (
        "vm.overcommit_memory = 1\nnet.ipv4.tcp_rmem = 4096 131072 6291456\n")
    assert mode_of(tmp_path / "sysctl.d/90-curtain-kubelet.conf") == "0644"
    assert module_runner(host_files.main, args).result["changed"] is False

    (proc / "vm/overcommit_memory").write_text("0\n")  # set back by hand: set again, the file was right
    again = module_runner(host_files.main, args).result
    assert again["changed"] is True and [entry["state"] for entry in again["files"]] == ["unchanged"]


def test_a_missing_kernel_parameter_or_a_bad_name_fails_before_anything_is_written(
        tmp_path: Path, module_runner: Any, monkeypatch: Any) -> None:
    from ansible_collections.curtain.kube.plugins.module_utils import host_files as utils

    monkeypatch.setattr(host_files, "sysctl_path", lambda name: utils.sysctl_path(name, str(tmp_path / "proc")))
    args = {"sysctl": {"file": str(tmp_path / "90-curtain.conf"), "values": {"net.ipv4.ip_forward": "1"}}}
    result = module_runner(host_files.main, args)
    assert result.failed and "the kernel has no parameter net.ipv4.ip_forward" in result.result["msg"]
    bad = {"sysctl": {"file": str(tmp_path / "90-curtain.conf"), "values": {"../../etc/passwd": "1"}}}
    result = module_runner(host_files.main, bad)
    assert result.failed and "is not a kernel parameter name" in result.result["msg"]
    assert not (tmp_path / "90-curtain.conf").exists()  # neither wrote the file

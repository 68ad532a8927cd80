"""playbooks/preflight.yml for real, on this machine, against inventory/local, in check mode.

A foreign process (python's http.server) on 2379, the etcd client port of the local inventory, must fail the run,
be named in the table and in the JSON report, and nothing may change on the host. Without it the port check is ok
(other checks may fail on this machine, e.g. cgroup v1: only the port rows are asserted). The second run goes
through a playbook that imports preflight.yml the way site.yml does, followed by a sentinel play: when preflight
fails, the sentinel never runs. Skipped when no Docker Engine answers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.docker_engine import requires_docker_engine

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = ROOT / "playbooks" / "preflight.yml"
ETCD_CLIENT_PORT = 2379  # inventory/local: the etcd profile modern's client port
SENTINEL = "curtain-preflight-sentinel-play-ran"
# What the local run would create if it were not read-only.
WATCHED_PATHS = ("/etc/kubernetes", "/var/lib/curtain", "/etc/curtain", "/var/lib/kubelet", "/var/lib/kube-proxy")


pytestmark = requires_docker_engine


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _fingerprint() -> dict[str, Any]:
    """curtain's containers and the directories a real run would create or change."""
    containers = subprocess.run(
        ["docker", "ps", "-a", "--no-trunc", "--filter", "label=io.curtain.managed-by=curtain", "--format",
         "{{.ID}} {{.Names}} {{.State}}"], capture_output=True, text=True, check=True).stdout.split("\n")
    paths = {}
    for path in WATCHED_PATHS:
        root = Path(path)
        paths[path] = sorted(str(item) for item in root.rglob("*")) if root.exists() else None
    return {"containers": sorted(line for line in containers if line), "paths": paths}


def _run(playbook: Path, report: Path, *extra_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["ansible-playbook", "-i", "inventory/local", str(playbook), "--check",
         "-e", f"preflight_report_file={report}", *(arg for var in extra_vars for arg in ("-e", var))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def _rows(report: Path, check: str) -> list[dict[str, str]]:
    return [row for row in json.loads(report.read_text())["checks"] if row["check"] == check]


def _table_lines(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line and ("FAIL" in line or " ok " in line)]


@pytest.fixture
def foreign_listener() -> Iterator[subprocess.Popen[bytes]]:
    """python -m http.server on the etcd client port, as another program holding it would."""
    if not _port_free(ETCD_CLIENT_PORT):
        pytest.skip(f"port {ETCD_CLIENT_PORT} is already in use on this machine")
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(ETCD_CLIENT_PORT), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while _port_free(ETCD_CLIENT_PORT):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("http.server did not start listening on the etcd client port")
            time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_foreign_process_on_the_etcd_port_fails_the_run_and_nothing_changes(foreign_listener, tmp_path):
    report = tmp_path / "artifacts" / "preflight.json"
    before = _fingerprint()

    result = _run(PLAYBOOK, report)

    assert _fingerprint() == before
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    lines = _table_lines(output, f"port {ETCD_CLIENT_PORT} ")
    assert lines and "FAIL" in lines[0] and "python" in lines[0], output
    assert f"pid {foreign_listener.pid}" in lines[0]
    assert "etcd_client_port" in lines[0]
    assert f"localhost port {ETCD_CLIENT_PORT}" in output  # the one-line summary names the failed check
    (row,) = _rows(report, f"port {ETCD_CLIENT_PORT}")
    assert row["status"] == "fail"
    assert "python" in row["detail"] and "etcd_client_port" in row["detail"]
    data = json.loads(report.read_text())
    assert data["version"] == 1 and data["check_mode"] is True and data["ok"] is False
    assert data["counts"]["fail"] >= 1


def test_without_it_the_port_is_ok_and_a_failure_stops_an_importing_playbook(tmp_path):
    if not _port_free(ETCD_CLIENT_PORT):
        pytest.skip(f"port {ETCD_CLIENT_PORT} is in use on this machine")
    importing = tmp_path / "site.yml"
    importing.write_text(
        f"---\n- name: Preflight\n  ansible.builtin.import_playbook: {PLAYBOOK}\n"
        "- name: Sentinel\n  hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - name: Sentinel\n      ansible.builtin.debug:\n        msg: {SENTINEL}\n")
    report = tmp_path / "preflight.json"
    before = _fingerprint()

    result = _run(importing, report)

    assert _fingerprint() == before
    output = result.stdout + result.stderr
    for port in (ETCD_CLIENT_PORT, ETCD_CLIENT_PORT + 1):
        (row,) = _rows(report, f"port {port}")
        assert row["status"] == "ok", row
    data = json.loads(report.read_text())
    if data["counts"]["fail"]:
        assert result.returncode != 0
        assert SENTINEL not in output, "a play after a failed preflight ran"
    else:
        assert result.returncode == 0, output
        assert SENTINEL in output


def test_etcd_data_of_another_cluster_fails_the_run_naming_it_and_nothing_changes(tmp_path):
    """A data directory left by another cluster (its marker names another token) is refused before anything
    changes, with the directory, both tokens and what to do."""
    data_dir = tmp_path / "etcd"
    (data_dir / "data" / "member" / "snap").mkdir(parents=True)
    (data_dir / "cluster.json").write_text(json.dumps({"cluster_token": "someone-elses-cluster"}))
    leftover = sorted((str(path), path.stat().st_mtime_ns) for path in data_dir.rglob("*"))
    report = tmp_path / "preflight.json"
    before = _fingerprint()

    result = _run(PLAYBOOK, report, f"etcd_data_dir={data_dir}")

    assert _fingerprint() == before
    assert sorted((str(path), path.stat().st_mtime_ns) for path in data_dir.rglob("*")) == leftover
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    (row,) = _rows(report, "etcd data")
    assert row["status"] == "fail", row
    for words in (str(data_dir), "etcd_data_dir", "'someone-elses-cluster'", "etcd_cluster_token=", "Nothing"):
        assert words in row["detail"], (words, row["detail"])

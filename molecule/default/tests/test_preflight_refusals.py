"""Two faults on the converged site that preflight must refuse for real (not in check mode), before anything
changes: a port a component needs held by a foreign process, and etcd data left by another cluster. Each run stops
in preflight naming the port and the process, or the directory and both cluster tokens; the host's fingerprint and
etcd's key count are the same after it; once the fault is gone, a run completes the site and it is healthy.

Runs after test_kube_proxy.py and before test_security.py (file order), and leaves the site converged and healthy."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from conftest import etcd_key_count, etcd_put_keys, run_playbook
from site_host import ETCD_URL, HOST, fingerprint, host, unhealthy_after

KEYS = 20
# etcd's keys are counted under the test's prefix and the cluster's Deployments: the apiserver writes leases and
# events all the time.
KUBE_PROXY_HEALTHZ = 10256  # the modern profile's kube_proxy_healthz_bind_address
OTHER_CLUSTER_DIR = "/var/lib/someone-elses-etcd"
SCENARIO = Path(__file__).resolve().parents[1]
FOREIGN_PID_FILE = "/run/foreign-listener.pid"


def etcd_keys() -> tuple[int, int]:
    return (etcd_key_count(host(), ETCD_URL, "/faults/port/"),
            etcd_key_count(host(), ETCD_URL, "/registry/deployments/"))


def refused_run(report: Path, **extra_vars: str) -> tuple[str, dict]:
    """site.yml (the scenario's converge) for real, which must fail: its output and preflight's JSON report."""
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "converge.yml"),
               "-e", json.dumps({"preflight_report_file": str(report), **extra_vars})]
    proc = subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert proc.returncode != 0, proc.stdout[-3000:]
    return proc.stdout + proc.stderr, json.loads(report.read_text())


def failed_checks(report: dict) -> dict[str, str]:
    return {check["check"]: check["detail"] for check in report["checks"] if check["status"] == "fail"}


def run_after_the_fault_is_gone() -> dict:
    stats = run_playbook("converge.yml")[HOST]
    assert stats["failures"] == 0, stats
    assert unhealthy_after(120) == []
    return stats


def listening(port: int) -> bool:
    return host().run("python3 -c %s %s", "import socket, sys; socket.create_connection(('127.0.0.1', "
                      "int(sys.argv[1])), 1)", str(port)).rc == 0


def test_a_port_held_by_a_foreign_process_is_named_and_nothing_changes(tmp_path) -> None:
    etcd_put_keys(host(), ETCD_URL, "/faults/port", KEYS)
    keys_before = etcd_keys()
    # kube-proxy stopped (as after a crash), and another program took its health port meanwhile.
    host().check_output("docker stop curtain-kube-proxy")
    subprocess.run(["docker", "exec", "-d", HOST, "sh", "-c", f"echo $$ > {FOREIGN_PID_FILE}; "
                    f"exec python3 -m http.server {KUBE_PROXY_HEALTHZ} >/dev/null 2>&1"], check=True)
    deadline = time.monotonic() + 15
    while not listening(KUBE_PROXY_HEALTHZ):
        assert time.monotonic() < deadline, "the foreign listener did not start"
        time.sleep(0.2)
    pid = host().check_output("cat %s", FOREIGN_PID_FILE)
    before = fingerprint()
    try:
        output, report = refused_run(tmp_path / "preflight.json")

        assert fingerprint() == before
        assert etcd_keys() == keys_before
        detail = failed_checks(report).get(f"port {KUBE_PROXY_HEALTHZ}", "")
        assert f"(pid {pid})" in detail and "python" in detail, report["checks"]
        assert "kube_proxy_settings.kube_proxy_healthz_bind_address" in detail
        assert list(failed_checks(report)) == [f"port {KUBE_PROXY_HEALTHZ}"], failed_checks(report)
        assert detail[:80] in output and "PLAY [Etcd]" not in output
    finally:
        host().run("kill %s", pid)

    assert run_after_the_fault_is_gone()["changed"] >= 1  # kube-proxy started again
    assert etcd_keys() == keys_before


def test_etcd_data_left_by_another_cluster_is_refused_and_nothing_changes(tmp_path) -> None:
    keys_before = etcd_keys()
    host().check_output(
        "mkdir -p %s/data/member/snap && head -c 4096 /dev/urandom > %s/data/member/snap/db && "
        "echo '{\"cluster_token\": \"someone-elses-cluster\"}' > %s/cluster.json",
        OTHER_CLUSTER_DIR, OTHER_CLUSTER_DIR, OTHER_CLUSTER_DIR)
    leftover = host().check_output("find %s -printf '%%p %%m %%s %%T@\\n' | sort", OTHER_CLUSTER_DIR)
    before = fingerprint()
    try:
        output, report = refused_run(tmp_path / "preflight.json", etcd_data_dir=OTHER_CLUSTER_DIR)

        assert fingerprint() == before
        assert host().check_output("find %s -printf '%%p %%m %%s %%T@\\n' | sort", OTHER_CLUSTER_DIR) == leftover
        assert etcd_keys() == keys_before
        detail = failed_checks(report).get("etcd data", "")
        for words in (OTHER_CLUSTER_DIR, "'someone-elses-cluster'", "etcd_cluster_token='curtain-etcd'",
                      "Nothing was changed"):
            assert words in detail, report["checks"]
        assert detail[:80] in output and "PLAY [Etcd]" not in output
    finally:
        host().check_output("rm -rf %s", OTHER_CLUSTER_DIR)

    assert run_after_the_fault_is_gone()["changed"] == 0
    assert etcd_keys() == keys_before

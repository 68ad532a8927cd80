"""The whole site on one host, seen through its interfaces: every component healthy, the summary it printed, check
mode quiet after the converge, and the roles included from a user's own playbook (docs/examples/own_playbook.yml)."""

from __future__ import annotations

import json
import shutil
import subprocess

from conftest import PROJECT, run_playbook, run_playbook_document, task_results
from site_host import HOST, INVENTORY_DIR, host

ADMIN_KUBECONFIG = INVENTORY_DIR / "artifacts/admin.conf"
SUMMARY_TASK = "Summary | Print the endpoints, their health, the versions and what to try"


def test_every_component_runs_from_curtains_containers() -> None:
    running = host().check_output("docker ps --format '{{.Names}}'").split()
    for name in ("curtain-etcd", "curtain-kubelet", "curtain-kube-proxy"):
        assert name in running
    static_pods = host().check_output(
        "docker ps --filter label=io.kubernetes.pod.namespace=kube-system "
        "--format '{{.Label \"io.kubernetes.container.name\"}}'").split()
    assert sorted(static_pods) == ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]


def test_the_apiserver_answers_the_admin_kubeconfig_from_the_controller() -> None:
    assert ADMIN_KUBECONFIG.stat().st_mode & 0o777 == 0o600
    if not shutil.which("kubectl"):
        return  # the summary test below checks the same endpoint through the host
    out = subprocess.run(["kubectl", "--kubeconfig", str(ADMIN_KUBECONFIG), "get", "--raw", "/readyz?verbose"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    assert "readyz check passed" in out


def test_check_mode_after_converge_changes_nothing_and_prints_a_summary_of_healthy_components() -> None:
    """One run does both: check mode must report no change, and its summary looks at the live components."""
    document = run_playbook_document("converge.yml", check=True)
    for name, stats in document["stats"].items():
        assert stats["changed"] == 0, name
    text = task_results(document, SUMMARY_TASK)[HOST]["msg"]
    lines = text.splitlines()
    assert lines[0].startswith("curtain: Kubernetes v1.37.2 (profile modern), etcd image ")
    for component in ("etcd", "kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
        assert any(line.split()[1:2] == [component] and line.endswith("healthy") for line in lines), component
    assert "https://127.0.0.1:2379/health" in text and "http://127.0.0.1:10256/healthz" in text
    assert "Every host finished and every component is healthy." in lines
    assert f"Admin kubeconfig: {ADMIN_KUBECONFIG}" in lines
    assert f"Try: kubectl --kubeconfig {ADMIN_KUBECONFIG} get --raw='/readyz?verbose'" in lines
    assert any(line.startswith("Run time: ") for line in lines)


def test_the_example_playbook_includes_the_roles_with_their_documented_variables() -> None:
    stats = run_playbook(PROJECT / "docs/examples/own_playbook.yml")
    assert stats[HOST]["failures"] == 0 and stats[HOST]["changed"] == 0


def test_preflight_report_says_every_check_passed_or_warned() -> None:
    report = json.loads((INVENTORY_DIR / "artifacts/preflight.json").read_text())
    statuses = {check["status"] for check in report["checks"]}
    assert "fail" not in statuses, [check for check in report["checks"] if check["status"] == "fail"]

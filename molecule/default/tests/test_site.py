"""The whole site on one host, seen through its interfaces: every component healthy, the summary it printed, check
mode quiet after the converge, and the roles included from a user's own playbook (docs/examples/own_playbook.yml)."""

from __future__ import annotations

import json

from conftest import PROJECT, run_playbook, run_playbook_document, task_results
from kube import CONTROL_PLANE, Kubectl, last_exits, mirror_pods, pod_containers, restart_counts
from site_host import HOST, INVENTORY_DIR, RESTARTS_FILE, host

ADMIN_KUBECONFIG = INVENTORY_DIR / "artifacts/admin.conf"
SUMMARY_TASK = "Summary | Print the endpoints, their health, the versions and what to try"


def test_every_component_runs_from_curtains_containers() -> None:
    running = host().check_output("docker ps --format '{{.Names}}'").split()
    for name in ("curtain-etcd", "curtain-kubelet", "curtain-kube-proxy"):
        assert name in running
    for component in CONTROL_PLANE:
        assert len(pod_containers(host(), component)) == 1, component


def test_the_apiserver_answers_the_admin_kubeconfig_from_the_controller() -> None:
    assert ADMIN_KUBECONFIG.stat().st_mode & 0o777 == 0o600
    out = Kubectl(ADMIN_KUBECONFIG).run("get", "--raw", "/readyz?verbose").stdout
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
    assert "https://127.0.0.1:2379/health" in text and "http://127.0.0.1:10256/livez" in text
    assert "Every host finished and every component is healthy." in lines
    assert f"Admin kubeconfig: {ADMIN_KUBECONFIG}" in lines
    assert any(line.startswith("Try: ") and line.endswith(f"kubectl --kubeconfig {ADMIN_KUBECONFIG} get nodes")
               for line in lines)
    assert any(line.split()[:2] == [HOST, "Ready"] for line in lines), "the summary's node list"
    assert any(line.startswith("Run time: ") for line in lines)


def test_the_example_playbook_includes_the_roles_with_their_documented_variables() -> None:
    stats = run_playbook(PROJECT / "docs/examples/own_playbook.yml")
    assert stats[HOST]["failures"] == 0 and stats[HOST]["changed"] == 0


def test_preflight_report_says_every_check_passed_or_warned() -> None:
    report = json.loads((INVENTORY_DIR / "artifacts/preflight.json").read_text())
    statuses = {check["status"] for check in report["checks"]}
    assert "fail" not in statuses, [check for check in report["checks"] if check["status"] == "fail"]


def test_the_control_plane_did_not_restart_during_verify() -> None:
    """The last test of the scenario (file order): the restart counts test_docker_restart.py recorded once the
    Docker Engine restart had settled are the same after the kube-proxy moves and the site's re-runs."""
    recorded = json.loads(RESTARTS_FILE.read_text())
    pods = mirror_pods(Kubectl(ADMIN_KUBECONFIG), HOST)
    assert restart_counts(pods) == recorded, last_exits(pods)

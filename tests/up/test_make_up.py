"""`make up` on this machine, as a new user runs it: set-up, then the whole site from inventory/local with the
locally built artifacts, the summary naming the nodes and the exact command to use the cluster, a cluster that
command reaches, and a second `make up` that changes nothing. The site is reset afterwards (playbooks/reset.yml),
so the machine is left as it was found, the reset itself checked.

Run by `make test-up` (part of `make test`), as root on a machine where `make up` may bind the Kubernetes ports."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KUBECONFIG = ROOT / "inventory/local/artifacts/admin.conf"
KUBECTL = ROOT / ".venv/bin/kubectl"


def make_up() -> str:
    proc = subprocess.run(["make", "up"], cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def recap(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("localhost ") and "changed=" in line)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


@pytest.fixture(scope="module")
def up():
    first = make_up()
    yield first
    # etcd's data goes too (after the reset's backup): the next fresh clone makes new CAs, and on the old data the
    # cluster would keep objects of this one (CoreDNS's pods trusting this CA, which that apiserver does not use).
    reset = subprocess.run(["ansible-playbook", "playbooks/reset.yml", "-e", "reset_confirm=yes",
                            "-e", "reset_remove_etcd_data=true",
                            *(["-e", "@.local/host.yml"] if (ROOT / ".local/host.yml").exists() else [])],
                           cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert reset.returncode == 0, reset.stdout[-4000:]
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "label=io.curtain.managed-by=curtain"],
                          capture_output=True, text=True, check=True).stdout
    assert left == "", "reset left curtain's containers"
    assert not Path("/var/lib/curtain/etcd").exists(), "reset left etcd's data"
    assert not pods_left(), "reset left pods of the kubelet running"
    # kube-proxy's rules went with its --cleanup, the kubelet's own chains with the reset; Docker's stay.
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout
    assert "KUBE-" not in rules, [line for line in rules.splitlines() if "KUBE-" in line][:10]


def pods_left() -> list[str]:
    """The processes left in the cgroups of make up's kubelet (no cgroup root: /kubepods) and of its containerd's
    shims, found through cgroup v1's pids hierarchy or the v2 tree. Test hosts' pods have cgroups of their own."""
    base = Path("/sys/fs/cgroup/pids") if Path("/sys/fs/cgroup/pids").is_dir() else Path("/sys/fs/cgroup")
    procs = []
    for top in ("kubepods", "curtain-containerd-shims"):
        for listing in (base / top).rglob("cgroup.procs") if (base / top).is_dir() else []:
            procs += listing.read_text().split()
    return procs


def test_the_summary_lists_the_node_and_the_exact_command(up: str) -> None:
    lines = up.splitlines()
    assert any(re.match(r"^\s*localhost\s+Ready\s+v1\.37\.2\s*$", line) for line in lines), up[-3000:]
    assert f"    Try: {KUBECTL} --kubeconfig {ADMIN_KUBECONFIG} get nodes" in lines or any(
        line.strip() == f"Try: {KUBECTL} --kubeconfig {ADMIN_KUBECONFIG} get nodes" for line in lines)


def test_the_command_the_summary_gives_reaches_the_cluster(up: str) -> None:
    command = next(line.strip()[len("Try: "):] for line in up.splitlines() if line.strip().startswith("Try: "))
    nodes = subprocess.run([*shlex.split(command), "-o", "json"], capture_output=True, text=True, check=True)
    [node] = json.loads(nodes.stdout)["items"]
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert ready == "True" and node["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.2"
    version = subprocess.run([str(KUBECTL), "--kubeconfig", str(ADMIN_KUBECONFIG), "version", "-o", "json"],
                             capture_output=True, text=True, check=True)
    assert json.loads(version.stdout)["serverVersion"]["gitVersion"] == "v1.37.2"
    # kube-proxy's rules are in place for the kubernetes Service (iptables, the profile's default mode).
    rules = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True, check=True).stdout
    assert "KUBE-SERVICES" in rules and "default/kubernetes:https" in rules
    pods = json.loads(subprocess.run([str(KUBECTL), "--kubeconfig", str(ADMIN_KUBECONFIG), "get", "pods", "-n",
                                      "kube-system", "-o", "json"], capture_output=True, text=True, check=True).stdout)
    running = {pod["metadata"]["name"] for pod in pods["items"] if pod["status"]["phase"] == "Running"}
    assert {f"{component}-localhost" for component in
            ("kube-apiserver", "kube-controller-manager", "kube-scheduler")} <= running


def changed_tasks(output: str) -> list[str]:
    """The tasks the run reports a change for, by their banners ("TASK [name] ***"), with what they printed."""
    changed, task, lines = [], "", []
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task, lines = line[len("TASK ["):].split("]", 1)[0], []
        else:
            lines.append(line)
        if line.startswith("changed:"):
            changed.append(f"{task}: {' / '.join(lines)[-1500:]}")
    return changed


def test_a_second_make_up_changes_nothing(up: str) -> None:
    output = make_up()
    again = recap(output)
    assert again["failed"] == 0 and again["changed"] == 0, (again, changed_tasks(output))

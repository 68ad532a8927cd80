"""playbooks/reset.yml after a full install (curtain-reset-1) and a half-finished one (curtain-reset-2: kubelet
removed by hand, its pods running on in containerd's cgroups): it refuses without confirmation, changes nothing in
check mode, removes curtain's containers, pods, rules and files and nothing of anyone else's, changes nothing when
run again, keeps etcd's data unless asked, and when asked keeps it while the backup fails and removes it once a
backup exists.

The tests run in file order; each one starts from where the one before left the hosts."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
import testinfra
from conftest import PROJECT, changed_tasks, run_playbook, run_playbook_document

FULL, HALF = "curtain-reset-1", "curtain-reset-2"
HOSTS = (FULL, HALF)
RESET = PROJECT / "playbooks/reset.yml"
CONFIRM = {"reset_confirm": "yes"}
ETCD_DATA = "/var/lib/curtain/etcd"
BACKUPS = "/var/lib/curtain/backups/etcd"
CURTAINS_FILES = [
    "/etc/kubernetes/pki", "/etc/kubernetes/admin.conf", "/etc/kubernetes/controller-manager.conf",
    "/etc/kubernetes/scheduler.conf", "/etc/kubernetes/kubelet.conf", "/etc/kubernetes/kube-proxy.conf",
    "/etc/kubernetes/audit-policy.yaml", "/etc/kubernetes/authentication-config.yaml", "/etc/kubernetes/pod-network.sh",
    "/var/lib/kubelet", "/var/lib/kube-proxy", "/var/log/kubernetes", "/etc/curtain", "/var/lib/curtain/containerd",
    "/run/curtain",
    "/etc/cni/net.d/10-curtain.conflist", "/var/lib/cni/networks/curtain", "/etc/sysctl.d/90-curtain-kubelet.conf",
]
# The processes of the kubelet, its runtime and its pods (the pods run in the host's PID namespace of the test host).
POD_PROCESSES = {"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "http-echo", "pause",
                 "curtain-shim"}
RUNTIME_PROCESSES = {"kubelet", "curtain-containerd"}
# Everything a test looks at on a host, in one call. `fingerprint` is what the host looks like: its containers,
# curtain's directories (etcd's own files left out: etcd writes them as it runs) and its iptables rules.
STATE = r"""
import json, os, subprocess, sys, time

def out(*command):
    return subprocess.run(command, capture_output=True, text=True).stdout

def names(*filters):
    return out("docker", "ps", "-a", "--format", "{{.Names}}", *[f"--filter={f}" for f in filters]).split()

def pty_opens():
    leader, follower = os.openpty()
    os.close(leader)
    os.close(follower)
    return True

# The names of the running programs (argv[0]: comm is cut at 15 characters); the test host's Docker Engine runs a
# containerd and shims of its own, so curtain's (by their configuration and namespace) are told apart.
def processes():
    names = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = open(f"/proc/{pid}/cmdline").read().replace("\0", " ")
        except OSError:
            continue
        name = os.path.basename(command.split(" ")[0])
        if not name:
            continue  # a kernel thread
        if name == "containerd":
            name = "curtain-containerd" if "/etc/curtain/containerd/" in command else "dockers-containerd"
        elif name.startswith("containerd-shim"):
            name = "curtain-shim" if " k8s.io " in command else "dockers-shim"
        names.add(name)
    return sorted(names)

def exits(component):
    return out("docker", "events", "--since", since, "--until", str(int(time.time())),
               "--filter", f"label=io.curtain.component={component}", "--filter", "event=die",
               "--format", "{{.Actor.Attributes.exitCode}}").split() if since else []

since, backups, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
roots = ["/etc/kubernetes", "/etc/curtain", "/var/lib/kubelet", "/var/lib/kube-proxy", "/var/lib/curtain",
         "/var/log/kubernetes"]
find = out("find", *roots, "-path", "/var/lib/curtain/etcd/data", "-prune", "-o", "-print")
print(json.dumps({
    "ours": names("label=io.curtain.managed-by=curtain"),
    "running": names("status=running"),
    "processes": processes(),
    "images": out("docker", "images", "--digests", "--format", "{{.Repository}}@{{.Digest}}").split(),
    "exists": [path for path in paths if os.path.lexists(path)],
    "listdir": {d: sorted(os.listdir(d)) for d in ("/etc/kubernetes", "/etc/kubernetes/manifests", backups)
                if os.path.isdir(d)},
    "mounts": open("/proc/self/mountinfo").read(),
    "input_rules": out("iptables", "-S", "INPUT"),
    "postrouting": out("iptables", "-t", "nat", "-S", "POSTROUTING"),
    "routes": [(route["dst"], route.get("protocol", "")) for route in json.loads(out("ip", "-j", "route", "show"))],
    "links": [link["ifname"] for link in json.loads(out("ip", "-j", "link", "show"))],
    "foreign_chain": subprocess.run(["iptables", "-S", "FOREIGN"], capture_output=True).returncode == 0,
    "chains": sorted({line.split()[1] for table in ("filter", "nat", "mangle")
                      for line in out("iptables", "-t", table, "-S").splitlines() if line.startswith("-N ")}),
    "pty": pty_opens(),
    "precious": open("/srv/precious/keep").read() if os.path.exists("/srv/precious/keep") else None,
    "exits": {component: exits(component) for component in ("kube-proxy-cleanup", "runtime-cleanup")},
    "fingerprint": "\n".join([
        out("docker", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.State}}"),
        "\n".join(sorted(find.splitlines())), out("iptables", "-S"), out("iptables", "-t", "nat", "-S")]),
}))
"""
# The pod network's masquerade rule (module_utils/pod_network.py), and someone else's route and rule
# (side_effect.yml).
POD_MASQUERADE = "curtain: pod traffic leaving the pod network"
FOREIGN_MASQUERADE = "someone else\\'s masquerade"  # as iptables -S prints the comment: the quote escaped
FOREIGN_ROUTE = "198.51.100.0/24"
BEFORE_RESET: dict[str, str] = {}
AFTER_RESET: dict[str, dict] = {}


@cache
def node(name: str):
    # The test hosts are containers (molecule/shared/create.yml): docker exec is much quicker than a run of Ansible.
    return testinfra.get_host(f"docker://{name}")


def state(name: str, since: int | None = None) -> dict:
    args = [str(since or ""), BACKUPS, *CURTAINS_FILES, "/etc/kubernetes", f"{ETCD_DATA}/data/member", ETCD_DATA]
    result = node(name).run("python3 -c %s" + " %s" * len(args), STATE, *args)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def states(since: int | None = None) -> dict[str, dict]:
    with ThreadPoolExecutor(len(HOSTS)) as pool:
        return dict(zip(HOSTS, pool.map(lambda name: state(name, since), HOSTS), strict=True))


def fingerprints_of(found: dict[str, dict]) -> dict[str, str]:
    return {name: host["fingerprint"] for name, host in found.items()}


def fingerprints() -> dict[str, str]:
    return fingerprints_of(states())


def reset_failing(extra_vars: dict) -> str:
    """A reset that must fail, with no terminal to answer a prompt; returns its output."""
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(RESET),
               "--extra-vars", json.dumps(extra_vars)]
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    assert proc.returncode != 0, proc.stdout[-4000:]
    return proc.stdout + proc.stderr


def changed(stats: dict) -> dict[str, int]:
    return {name: stats[name]["changed"] for name in HOSTS}


def settled_states(timeout: float = 180, interval: float = 10) -> dict[str, dict]:
    """The hosts' states once two looks `interval` apart see the same fingerprints: a cluster just converged still
    changes on its own for a while (kube-proxy rewrites its rules as CoreDNS's endpoints come up), and the tests
    after this one compare against what is taken here."""
    deadline = time.monotonic() + timeout
    found = states()
    while True:
        time.sleep(interval)
        again = states()
        if fingerprints_of(again) == fingerprints_of(found):
            return again
        assert time.monotonic() < deadline, f"the hosts did not settle within {timeout} s"
        found = again


def test_the_hosts_hold_curtains_things_and_someone_elses() -> None:
    found = settled_states()
    BEFORE_RESET.update(fingerprints_of(found))
    full, half = found[FULL], found[HALF]
    assert {"curtain-etcd", "curtain-kubelet", "curtain-kube-proxy"} <= set(full["ours"])
    assert "foreign" in full["running"]
    assert set(full["processes"]) >= POD_PROCESSES | RUNTIME_PROCESSES
    # The half-finished master: no kubelet, no containerd, but its control plane and kube-proxy's static pod run on.
    assert "curtain-kubelet" not in half["ours"]
    assert not RUNTIME_PROCESSES & set(half["processes"])
    assert set(half["processes"]) >= POD_PROCESSES - {"http-echo"}
    assert "/var/lib/kubelet/pods/foreign/volumes/data" in full["mounts"]
    for host in (full, half):
        assert {"KUBE-SERVICES", "KUBE-FIREWALL", "FOREIGN"} <= set(host["chains"])
        # The pod network: each host routes the other's pods (curtain's protocol, 213), masquerades what leaves the
        # pods, and has its bridge; someone else's route and masquerade rule sit next to them.
        assert [dst for dst, protocol in host["routes"] if protocol == "213"], host["routes"]
        assert POD_MASQUERADE in host["postrouting"], host["postrouting"]
        assert FOREIGN_MASQUERADE in host["postrouting"], host["postrouting"]
        assert FOREIGN_ROUTE in [dst for dst, _ in host["routes"]], host["routes"]
    assert "curtain0" in full["links"]


def test_without_confirmation_it_refuses_and_changes_nothing() -> None:
    output = reset_failing({})
    assert "Not confirmed, so nothing was changed" in output
    assert fingerprints() == BEFORE_RESET


def test_check_mode_tells_what_would_go_and_changes_nothing() -> None:
    stats = run_playbook(RESET, check=True)
    assert all(count > 0 for count in changed(stats).values()), stats
    found = states()
    assert fingerprints_of(found) == BEFORE_RESET
    assert set(found[HALF]["processes"]) >= POD_PROCESSES - {"http-echo"}  # the pods the kubelet left run on
    # What the reset must take away is there to take: on both hosts, whole and half-finished.
    for name, host in found.items():
        assert [path for path in CURTAINS_FILES if path not in host["exists"]] == [], name


def test_reset_removes_curtains_containers_pods_and_files() -> None:
    started = int(time.time()) - 1
    stats = run_playbook(RESET, CONFIRM)
    assert all(count > 0 for count in changed(stats).values()), stats
    AFTER_RESET.update(states(since=started))
    for name, after in AFTER_RESET.items():
        assert after["ours"] == [], name
        assert not (POD_PROCESSES | RUNTIME_PROCESSES) & set(after["processes"]), (name, after["processes"])
        assert [path for path in CURTAINS_FILES if path in after["exists"]] == [], name
        # kube-proxy's own cleanup ran once, in a throwaway container, and took its rules with it; the kubelet's
        # chains went too.
        assert after["exits"]["kube-proxy-cleanup"] == ["0"], name
        assert not [chain for chain in after["chains"] if chain.startswith("KUBE-")], (name, after["chains"])
    # The kubelet's containerd was started alone on the half-finished master only, to remove the pods it left.
    assert AFTER_RESET[HALF]["exits"]["runtime-cleanup"] == ["0"]
    assert AFTER_RESET[FULL]["exits"]["runtime-cleanup"] == []
    assert "/etc/kubernetes" not in AFTER_RESET[HALF]["exists"]
    assert AFTER_RESET[FULL]["listdir"]["/etc/kubernetes"] == ["manifests"]
    assert AFTER_RESET[FULL]["listdir"]["/etc/kubernetes/manifests"] == ["foreign-pod.yaml"]


def test_etcd_data_and_images_stay() -> None:
    assert f"{ETCD_DATA}/data/member" in AFTER_RESET[FULL]["exists"]
    assert any("/curtain/kube-proxy@sha256:" in image for image in AFTER_RESET[HALF]["images"])
    assert any("/curtain/kubelet@sha256:" in image for image in AFTER_RESET[HALF]["images"])


def test_someone_elses_things_stay() -> None:
    full = AFTER_RESET[FULL]
    assert "foreign" in full["running"]
    # Unmounted, never removed through: the data below the mount is whole.
    assert full["precious"] == "keep me\n"
    assert "/var/lib/kubelet" not in full["mounts"]
    for name, after in AFTER_RESET.items():
        assert "-s 203.0.113.7/32" in after["input_rules"] and "-j FOREIGN" in after["input_rules"], name
        assert after["foreign_chain"], name
        # curtain's routes, masquerade rule and bridge went; someone else's route and rule stay.
        assert not [route for route in after["routes"] if route[1] == "213"], (name, after["routes"])
        assert POD_MASQUERADE not in after["postrouting"], (name, after["postrouting"])
        assert FOREIGN_MASQUERADE in after["postrouting"], (name, after["postrouting"])
        assert FOREIGN_ROUTE in [dst for dst, _ in after["routes"]] and "curtain0" not in after["links"], name
        # The test host's volume at /var/lib/curtain (molecule/shared/create.yml) is a disk mounted there: it stays.
        assert " /var/lib/curtain " in after["mounts"], name


@pytest.mark.parametrize("name", HOSTS)
def test_a_new_pty_opens(name: str) -> None:
    assert AFTER_RESET[name]["pty"]


def test_reset_again_changes_nothing() -> None:
    assert changed_tasks(run_playbook_document(RESET, CONFIRM)) == {}
    assert changed_tasks(run_playbook_document(RESET, check=True)) == {}


def test_etcd_data_stays_when_its_backup_fails() -> None:
    # etcd is gone since the first reset: no member can take a snapshot.
    output = reset_failing({**CONFIRM, "reset_remove_etcd_data": True})
    assert "etcd's data stays in /var/lib/curtain/etcd" in output and "the backup failed" in output, output[-3000:]
    assert f"{ETCD_DATA}/data/member" in state(FULL)["exists"]


def test_etcd_data_goes_after_a_backup() -> None:
    run_playbook("etcd.yml")
    stats = run_playbook(RESET, {**CONFIRM, "reset_remove_etcd_data": True})
    assert changed(stats)[FULL] > 0
    after = state(FULL)
    assert ETCD_DATA not in after["exists"] and after["ours"] == []
    snapshots = after["listdir"][BACKUPS]
    assert [s for s in snapshots if s.endswith(".db")] and [s for s in snapshots if s.endswith(".db.json")]
    controller = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent / "artifacts/backups/etcd"
    assert list(controller.glob("*.db"))

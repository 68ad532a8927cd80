"""The host's Docker Engine restarted under the converged site: every component comes back by its restart policy,
with no Ansible run, no etcd key is lost, the control plane restarts only what etcd's outage forces, and a run
afterwards has nothing to change.

Runs after test_cluster.py recorded the control plane's restart counts and before test_site.py compares them
(file order): it records them again once the site has settled, and leaves the site converged and healthy."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import UTC, datetime

from conftest import etcd_key_count, etcd_put_keys, record_figures, run_playbook
from kube import Kubectl, last_exits, mirror_pods, restart_counts, wait_for
from site_host import ETCD_URL, HOST, INVENTORY_DIR, RESTARTS_FILE, host, unhealthy_after

KEYS = 100
# The controller-manager's and the scheduler's leader election: a leader that cannot renew its Lease within this
# many seconds (kube-controller-manager/kube-scheduler --leader-elect-renew-deadline, default 10 s) gives the lease
# up and exits, and the kubelet starts it again. That is how they are meant to ride out an etcd outage this long.
RENEW_DEADLINE_SECONDS = 10
LEADERS = ("kube-controller-manager", "kube-scheduler")
ETCD_HEALTH = r"""
import ssl, sys, urllib.request
pki = "/etc/curtain/pki/etcd"
context = ssl.create_default_context(cafile=pki + "/ca.crt")
context.load_cert_chain(pki + "/client.crt", pki + "/client.key")
try:
    healthy = b'"true"' in urllib.request.urlopen(sys.argv[1] + "/health", context=context, timeout=1).read()
except Exception:
    healthy = False
print("up" if healthy else "down")
"""


class EtcdOutage(threading.Thread):
    """Asks etcd for its health from the host, about five times a second: how long it was away."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.down_at: float | None = None
        self.up_again_at: float | None = None

    def run(self) -> None:
        while not self.stop.is_set():
            state = subprocess.run(["docker", "exec", HOST, "python3", "-c", ETCD_HEALTH, ETCD_URL],
                                   capture_output=True, text=True).stdout.strip()
            now = time.monotonic()
            if state != "up" and self.down_at is None:
                self.down_at = now
            elif state == "up" and self.down_at is not None and self.up_again_at is None:
                self.up_again_at = now
            time.sleep(0.2)

    def seconds(self) -> float:
        assert self.down_at is not None and self.up_again_at is not None, "etcd was never seen away and back"
        return self.up_again_at - self.down_at


def leases_renewed_since(kubectl: Kubectl, since: datetime) -> bool:
    for name in LEADERS:
        lease = kubectl.json("get", "lease", "-n", "kube-system", name)["spec"]
        renewed = datetime.fromisoformat(lease["renewTime"].replace("Z", "+00:00"))
        if renewed <= since:
            return False
    return True


def dockerd_command() -> list[str]:
    """The test host's dockerd command line, to start it again exactly as the host's init did."""
    pid = host().check_output("pidof dockerd")
    return host().check_output("tr '\\0' '\\n' < /proc/%s/cmdline", pid).splitlines()


def test_components_come_back_by_restart_policy_after_a_docker_engine_restart_and_keep_their_keys() -> None:
    etcd_put_keys(host(), ETCD_URL, "/faults/docker-restart", KEYS)
    # The apiserver writes to etcd all the time (leases, events), so the whole count moves: the test's own keys and
    # the cluster's objects (its Deployment, under /registry) are what must stay.
    objects_before = etcd_key_count(host(), ETCD_URL, "/registry/deployments/")
    command = dockerd_command()
    started_before = host().check_output("docker inspect --format '{{.State.StartedAt}}' curtain-etcd")
    kubectl = Kubectl(INVENTORY_DIR / "artifacts/admin.conf")
    restarts_before = restart_counts(mirror_pods(kubectl, HOST))
    outage = EtcdOutage()
    outage.start()

    # SIGTERM, as `systemctl restart docker` does: dockerd stops its containers, then exits.
    host().check_output("kill -TERM $(pidof dockerd)")
    deadline = time.monotonic() + 60
    while host().run("pidof dockerd").rc == 0:
        assert time.monotonic() < deadline, "dockerd did not stop within 60 s"
        time.sleep(1)
    assert host().run("docker info").rc != 0
    subprocess.run(["docker", "exec", "-d", HOST, "sh", "-c",
                    " ".join(command) + " >>/var/log/curtain/dockerd.log 2>&1"], check=True)

    assert unhealthy_after(180) == []
    wait_for(lambda: outage.up_again_at, 60, "etcd seen healthy again")
    outage.stop.set()
    outage.join()
    back = datetime.now(UTC)
    assert host().check_output("docker inspect --format '{{.State.StartedAt}}' curtain-etcd") != started_before
    # Once both leaders renewed their Lease after etcd came back, no restart the outage caused is still to come.
    wait_for(lambda: leases_renewed_since(kubectl, back), 90, "the controller-manager and scheduler leading again")
    pods = mirror_pods(kubectl, HOST)
    restarts_after = restart_counts(pods)
    record_figures("docker_restart", {"etcd_outage_seconds": outage.seconds()})
    # The apiserver rides the outage out; a leader restarts (once) only if etcd was away past its renew deadline.
    assert restarts_after["kube-apiserver"] == restarts_before["kube-apiserver"], last_exits(pods)
    for name in LEADERS:
        assert restarts_after[name] - restarts_before[name] in (
            (0, 1) if outage.seconds() > RENEW_DEADLINE_SECONDS else (0,)), (name, outage.seconds(), last_exits(pods))
    # test_site.py's last test compares with these: nothing after this test may restart the control plane.
    RESTARTS_FILE.write_text(json.dumps(restarts_after))
    assert etcd_key_count(host(), ETCD_URL, "/faults/docker-restart/") == KEYS
    assert etcd_key_count(host(), ETCD_URL, "/registry/deployments/") == objects_before >= 1


def test_a_run_after_the_docker_engine_restart_changes_nothing() -> None:
    stats = run_playbook("converge.yml")
    assert stats[HOST]["failures"] == 0 and stats[HOST]["changed"] == 0, stats

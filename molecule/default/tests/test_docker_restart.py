"""The host's Docker Engine restarted under the converged site: every component comes back by its restart policy,
with no Ansible run, no etcd key is lost, and a run afterwards has nothing to change.

Runs before test_site.py (file order) and leaves the site converged and healthy."""

from __future__ import annotations

import subprocess
import time

from conftest import etcd_key_count, etcd_put_keys, run_playbook
from site_host import ETCD_URL, HOST, host, unhealthy_after

KEYS = 100


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
    assert host().check_output("docker inspect --format '{{.State.StartedAt}}' curtain-etcd") != started_before
    assert etcd_key_count(host(), ETCD_URL, "/faults/docker-restart/") == KEYS
    assert etcd_key_count(host(), ETCD_URL, "/registry/deployments/") == objects_before >= 1


def test_a_run_after_the_docker_engine_restart_changes_nothing() -> None:
    stats = run_playbook("converge.yml")
    assert stats[HOST]["failures"] == 0 and stats[HOST]["changed"] == 0, stats

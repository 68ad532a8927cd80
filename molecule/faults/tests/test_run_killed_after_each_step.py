"""Runs of the etcd role killed right after each step, then run again: the member ends healthy, no key is lost and
a last run changes nothing.

Each run is killed by the abort_after_change callback (tests/support/callback_plugins) as soon as it has made one
change, so run n stops right after the n-th task that changes something (within a loop, a few items later at most);
the next run starts from exactly what that kill left behind. Tasks that change nothing leave the same state as the
change before them, so a kill after every changing task reaches the states an aborted run can leave between tasks.
The chain ends with the first run that has nothing left to change: that run also proves the role idempotent from
there.

The first test makes the scenario's first install; the second needs the member it leaves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import PROJECT, b64, etcd_call, etcd_json, etcd_key_count, etcd_put_keys

HOST = "curtain-faults-1"
CONVERGE = PROJECT / "molecule/faults/converge.yml"  # the etcd role on the scenario's host
DATA_DIR = "/var/lib/curtain/etcd"
PKI_DIR = "/etc/curtain/pki/etcd"
CONTROLLER_PKI_DIR = Path(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent")).parent / "artifacts/pki/etcd"
CALLBACKS = PROJECT / "tests/support/callback_plugins"
MOST_RUNS = 60  # far more steps than the role has: more runs means an aborted run left something to redo forever
KEYS = 100


# The etcd role's one run for a member's files: its certificates and keys, data directory and cluster marker.
FILES_STEP = "Config | Put the certificates and keys, make the data directory and mark its cluster"

def run_until_first_change() -> dict | None:
    """Run the converge playbook until its first change and kill it there; the record of the killed step, or None
    when the run finished without changing anything."""
    with tempfile.TemporaryDirectory() as scratch:
        record = Path(scratch) / "aborted.json"
        env = dict(os.environ, ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="abort_after_change",
                   CURTAIN_ABORT_RECORD=str(record))
        command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(CONVERGE)]
        # A session of its own: the callback kills the run's whole process group, and only that.
        proc = subprocess.run(command, env=env, capture_output=True, text=True, start_new_session=True, check=False)
        if proc.returncode == -signal.SIGKILL:
            return json.loads(record.read_text())
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        assert not record.exists()
        return None


def abort_after_each_change() -> list[dict]:
    aborted = []
    for _ in range(MOST_RUNS):
        record = run_until_first_change()
        if record is None:
            return aborted
        assert record["failures_before"] == [], f"a run failed before its first change: {record}"
        aborted.append(record)
    pytest.fail(f"{MOST_RUNS} runs in a row each found something to change: {aborted[-5:]}")


def client_url(host) -> str:
    facts = host.ansible("setup", "gather_subset=network")["ansible_facts"]
    return f"https://{facts['ansible_default_ipv4']['address']}:2379"


def member_ids(host) -> list[str]:
    members = etcd_json(host, client_url(host), "/v3/cluster/member/list", {})["members"]
    return sorted(member["ID"] for member in members)


def steps(aborted: list[dict]) -> list[str]:
    return [record["task"] for record in aborted]


def test_an_install_killed_after_each_step_completes_when_run_again(host):
    """From nothing on the host or the controller: no container, data, certificates or image."""
    host.check_output("docker rm -f curtain-etcd >/dev/null 2>&1; rm -rf %s %s; "
                      "docker image ls -q | xargs -r docker rmi -f >/dev/null", DATA_DIR, PKI_DIR)
    subprocess.run(["rm", "-rf", str(CONTROLLER_PKI_DIR)], check=True)

    aborted = abort_after_each_change()

    done = steps(aborted)
    for step in ("PKI | Make the CA on the controller", "Image | Pull the pinned image from the registry",
                 FILES_STEP):
        assert step in done, f"no run was killed after {step!r}: {done}"
    # Every step is done once: no kill leaves something that a later run has to do again.
    changed_steps = [(record["task"], record["item"]) for record in aborted]
    assert len(changed_steps) == len(set(changed_steps)), changed_steps
    assert json.loads(etcd_call(host, client_url(host), "/health").stdout)["health"] == "true"
    assert host.file(DATA_DIR).mode == 0o700


def test_a_certificate_renewal_killed_after_each_step_keeps_every_key_and_the_member(host):
    """The member holds data; its certificates are made anew on the controller, copied and the member restarted."""
    url = client_url(host)
    etcd_put_keys(host, url, "/faults/key", KEYS)
    keys_before, members_before = etcd_key_count(host, url), member_ids(host)
    assert keys_before >= KEYS
    started_before = host.check_output("docker inspect --format '{{.State.StartedAt}}' curtain-etcd")
    for kind in ("server", "peer", "client"):
        for suffix in ("key", "crt"):
            (CONTROLLER_PKI_DIR / f"{HOST}-{kind}.{suffix}").unlink()

    aborted = abort_after_each_change()

    assert FILES_STEP in steps(aborted), steps(aborted)
    assert host.check_output("docker inspect --format '{{.State.StartedAt}}' curtain-etcd") != started_before
    assert etcd_key_count(host, url) == keys_before
    assert member_ids(host) == members_before
    value = etcd_json(host, url, "/v3/kv/range", {"key": b64(f"/faults/key/{KEYS - 1:03}")})["kvs"][0]["value"]
    assert value == b64(str(KEYS - 1))

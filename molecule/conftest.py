"""Helpers for every scenario's testinfra checks (pytest loads this conftest for all of molecule/)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from functools import cache
from pathlib import Path

import pytest
import testinfra


def run_playbook_document(playbook: str | Path, extra_vars: dict | None = None, check: bool = False,
                          limit: str | None = None, tags: str | None = None) -> dict:
    """Run a playbook against the scenario's hosts and return Ansible's JSON document (plays, tasks, results and
    stats); fail with its output.

    A relative path is taken from the scenario directory, so `converge.yml` is the scenario's own converge.
    `tags` is ansible-playbook's --tags (the roles' phases).
    """
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(scenario / playbook)]
    if extra_vars:
        command += ["--extra-vars", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if limit:
        command += ["--limit", limit]
    if tags:
        command += ["--tags", tags]
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]
    # Other enabled callbacks (task timings) print around the JSON document.
    start = proc.stdout.index("\n{") + 1 if not proc.stdout.startswith("{") else 0
    document, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
    return document


def run_playbook(playbook: str | Path, extra_vars: dict | None = None, check: bool = False,
                 limit: str | None = None) -> dict:
    """Run a playbook (see run_playbook_document) and return Ansible's stats per host."""
    return run_playbook_document(playbook, extra_vars, check, limit)["stats"]


def run_playbook_refused(playbook: str | Path, extra_vars: dict | None = None) -> str:
    """Run a playbook that must fail; return its output (for the message) and fail the test if it succeeded."""
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(scenario / playbook)]
    if extra_vars:
        command += ["--extra-vars", json.dumps(extra_vars)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    assert proc.returncode != 0, f"{playbook} {extra_vars} succeeded:\n{proc.stdout[-3000:]}"
    return proc.stdout + proc.stderr


def task_results(document: dict, task_name: str) -> dict:
    """{host: result} of the task with this name (the last one, when it ran in several plays)."""
    found: dict = {}
    for play in document["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == task_name:
                found = task["hosts"]
    return found


def task_names(document: dict) -> list[str]:
    """The names of the tasks a run_playbook_document ran (or skipped), in order, without their role's prefix
    ("curtain.kube.etcd : Members | ..." -> "Members | ...")."""
    return [task["task"]["name"].split(" : ", 1)[-1] for play in document["plays"] for task in play["tasks"]]


def changed_tasks(document: dict) -> dict[str, list[str]]:
    """{host: [the tasks that changed it, each with the loop items that did]} of a run_playbook_document: what a
    failed no-change check shows."""
    found: dict[str, list[str]] = {}
    for play in document["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("changed"):
                    items = [str(item.get("_ansible_item_label", item.get("item")))
                             for item in result.get("results") or [] if item.get("changed")]
                    found.setdefault(host, []).append(" ".join([task["task"]["name"], *items]))
    return found


def run_check_mode(playbook: str = "converge.yml") -> dict:
    """Run a scenario playbook in check mode and return Ansible's stats."""
    return run_playbook(playbook, check=True)


PROJECT = Path(__file__).resolve().parents[1]
# Figures the scenarios measure (recovery and upgrade times), kept after the test hosts are gone; docs quote them.
FIGURES_DIR = PROJECT / ".local/figures"


def record_figures(name: str, figures: dict) -> None:
    """Merge `figures` into FIGURES_DIR/<name>.json."""
    path = FIGURES_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept.update({key: round(value, 1) if isinstance(value, float) else value for key, value in figures.items()})
    path.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def check_mode_stats() -> dict:
    return run_check_mode()


ETCD_CLIENT = r"""
import ssl, sys, urllib.request
url, path, body, cert = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "cert"
pki = "/etc/curtain/pki/etcd"
context = ssl.create_default_context(cafile=pki + "/ca.crt")
if cert:
    context.load_cert_chain(pki + "/client.crt", pki + "/client.key")
request = urllib.request.Request(url + path, data=body.encode() if body else None)
try:
    print(urllib.request.urlopen(request, context=context, timeout=10).read().decode())
except Exception as error:
    print(f"refused: {error}")
    sys.exit(3)
"""


def etcd_call(host, url: str, path: str, body: dict | None = None, cert: bool = True):
    """Call etcd's v3 JSON API from the test host itself, outside the etcd container."""
    payload = json.dumps(body) if body is not None else ""
    return host.run("python3 -c %s %s %s %s %s", ETCD_CLIENT, url, path, payload, "cert" if cert else "nocert")


@cache
def node(name: str):
    """The scenario's test host of that name."""
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


@cache
def etcd_client_url(name: str) -> str:
    """The modern profile's client URL of the etcd member on that test host."""
    return f"https://{node(name).check_output('hostname -i').split()[0]}:2379"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def etcd_json(host, url: str, path: str, body: dict | None = None) -> dict:
    """etcd_call that must succeed; its JSON answer."""
    result = etcd_call(host, url, path, body)
    assert result.rc == 0, result.stdout
    return json.loads(result.stdout)


def etcd_key_count(host, url: str, prefix: str | None = None, serializable: bool = False) -> int:
    """How many keys the whole key space holds (from "\\0" to the range end "\\0"), or those under `prefix`.
    serializable: as the member at `url` holds them itself (else as the cluster's quorum agrees)."""
    if prefix:
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        body = {"key": b64(prefix), "range_end": b64(end), "count_only": True}
    else:
        body = {"key": b64("\0"), "range_end": b64("\0"), "count_only": True}
    body["serializable"] = serializable
    return int(etcd_json(host, url, "/v3/kv/range", body).get("count", 0))


def etcd_put_keys(host, url: str, prefix: str, count: int) -> None:
    """Write `count` keys under `prefix` in one transaction."""
    reply = etcd_json(host, url, "/v3/kv/txn", {"success": [
        {"request_put": {"key": b64(f"{prefix}/{n:03}"), "value": b64(str(n))}} for n in range(count)]})
    assert reply.get("succeeded", True), reply

"""Three members at 3.5.1 upgraded by playbooks/etcd_upgrade.yml to the modern default while a writer on this
machine keeps writing: no acknowledged write lost, one member down at a time, every member through every step of
the path to the new release, the cluster version bumped, a snapshot first, and a second run changes nothing. Bad
input is refused before anything changes. The tests run in file order."""

from __future__ import annotations

import base64
import json
import os
import ssl
import threading
import time
import urllib.request
from functools import cache
from pathlib import Path

import pytest
from conftest import PROJECT, b64, etcd_client_url, node, record_figures, run_playbook, run_playbook_refused

NAMES = [f"curtain-etcd-upgrade-{i}" for i in (1, 2, 3)]
UPGRADE = PROJECT / "playbooks/etcd_upgrade.yml"
PATH = ["3.5.36", "3.6.17", "3.7.4"]  # module_utils/etcd_release.py: the newest 3.5, then each next minor's newest
TARGET = PATH[-1]
ARTIFACTS = Path(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent")).parent / "artifacts"
PREFIX = "/upgrade-writer/"
WRITER_LIMIT_SECONDS = 900  # the writer stops by itself if the test never tells it to


@cache
def tls() -> ssl.SSLContext:
    """This machine talks to the members as a client would: with a client certificate the role made."""
    pki = ARTIFACTS / "pki/etcd"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / f"{NAMES[0]}-client.crt"), str(pki / f"{NAMES[0]}-client.key"))
    return context


def call(name: str, path: str, body: dict | None = None, timeout: float = 5) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(etcd_client_url(name) + path, data=data)
    with urllib.request.urlopen(request, context=tls(), timeout=timeout) as answer:
        return json.loads(answer.read())


def containers() -> dict[str, str]:
    return {name: node(name).check_output("docker inspect -f '{{.Id}}' curtain-etcd") for name in NAMES}


def step_images() -> dict:
    """Each step's image by digest, as the test registry holds it (the Makefile exports the digests)."""
    digests = {version: os.environ[f"CURTAIN_TEST_ETCD_DIGEST_{version.replace('.', '_')}"] for version in PATH}
    return {"etcd_upgrade_images": {version: {"digest": digest} for version, digest in digests.items()}}


class Writer(threading.Thread):
    """Writes key after key, each to the members in turn until one acknowledges it, as a client with every endpoint
    would; records which writes were acknowledged and which no member took."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.acknowledged: list[str] = []
        self.failed: list[str] = []

    def run(self) -> None:
        deadline = time.monotonic() + WRITER_LIMIT_SECONDS
        number = 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            key = f"{PREFIX}{number:06d}"
            for offset in range(len(NAMES)):
                try:
                    call(NAMES[(number + offset) % len(NAMES)], "/v3/kv/put",
                         {"key": b64(key), "value": b64(str(number))}, timeout=2)
                except (OSError, ValueError):
                    continue
                self.acknowledged.append(key)
                break
            else:
                self.failed.append(key)
            number += 1
            time.sleep(0.02)


class Watcher(threading.Thread):
    """Asks every member for its version four times a second: when each was down, and which releases it ran."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.most_down_at_once = 0
        self.releases: dict[str, list[str]] = {name: [] for name in NAMES}
        self.down_seconds: dict[str, float] = dict.fromkeys(NAMES, 0.0)
        self.first_down: float | None = None  # wall-clock time

    def run(self) -> None:
        deadline = time.monotonic() + WRITER_LIMIT_SECONDS
        last = time.monotonic()
        while not self.stop.is_set() and time.monotonic() < deadline:
            down = []
            for name in NAMES:
                try:
                    release = call(name, "/version", timeout=1)["etcdserver"]
                except (OSError, ValueError, KeyError):
                    down.append(name)
                    continue
                if not self.releases[name] or self.releases[name][-1] != release:
                    self.releases[name].append(release)
            now = time.monotonic()
            if down and self.first_down is None:
                self.first_down = time.time()
            for name in down:
                self.down_seconds[name] += now - last
            last = now
            self.most_down_at_once = max(self.most_down_at_once, len(down))
            time.sleep(0.25)


def member_keys(name: str) -> set[str]:
    """The writer's keys this member itself holds (a serializable read: its own copy, not the leader's)."""
    answer = call(name, "/v3/kv/range", {"key": b64(PREFIX), "range_end": b64(PREFIX[:-1] + "0"),
                                         "keys_only": True, "serializable": True}, timeout=30)
    return {base64.b64decode(item["key"]).decode() for item in answer.get("kvs", [])}


def test_the_cluster_runs_the_release_earlier_curtain_versions_ran() -> None:
    for name in NAMES:
        assert call(name, "/version") == {"etcdserver": "3.5.1", "etcdcluster": "3.5.0"}, name


@pytest.mark.parametrize(("extra_vars", "message"), [
    # The role alone takes one step; the default release is three away.
    ({"etcd_version": ""}, f"reaching {TARGET} takes {' -> '.join(PATH)}, one rolling upgrade each. Run "
                           f"playbooks/etcd_upgrade.yml -e etcd_upgrade_version={TARGET}"),
    ({"etcd_version": "3.5.2"}, "etcd_version: 3.5.2 is not a release curtain pins"),
    ({"etcd_enable_v2": True, "etcd_upgrade_version": TARGET}, "etcd_enable_v2: etcd 3.6.17 has no v2 API"),
    ({"etcd_upgrade_version": "3.8.0"}, "etcd_upgrade_version: 3.8.0 is not a release curtain pins"),
    ({"etcd_upgrade_version": TARGET}, "etcd_upgrade_images needs the digest of each release on the path "
                                       f"{' -> '.join(PATH)}"),
])
def test_bad_input_is_refused_before_anything_changes(extra_vars: dict, message: str) -> None:
    before = containers()
    playbook = UPGRADE if "etcd_upgrade_version" in extra_vars else "converge.yml"
    output = run_playbook_refused(playbook, extra_vars)
    assert message in " ".join(output.split()), output[-3000:]
    assert containers() == before
    assert not (ARTIFACTS / "backups/etcd").exists()


@pytest.fixture(scope="module")
def upgraded() -> dict:
    for name in NAMES:  # looked up once, before the threads share them
        etcd_client_url(name)
    tls()
    writer, watcher = Writer(), Watcher()
    watcher.start()
    writer.start()
    time.sleep(2)  # some writes before the first member goes down
    began = time.time()
    started = time.monotonic()
    stats = run_playbook(UPGRADE, {"etcd_upgrade_version": TARGET, **step_images()})
    seconds = time.monotonic() - started
    time.sleep(2)
    writer.stop.set()
    watcher.stop.set()
    writer.join()
    watcher.join()
    figures = {"writes_attempted": len(writer.acknowledged) + len(writer.failed),
               "writes_failed": len(writer.failed), "upgrade_seconds": seconds,
               **{f"down_seconds_{name}": value for name, value in watcher.down_seconds.items()}}
    return {"stats": stats, "writer": writer, "watcher": watcher, "began": began, "figures": figures}


def test_no_acknowledged_write_was_lost(upgraded: dict) -> None:
    writer = upgraded["writer"]
    assert len(writer.acknowledged) > 100, "the writer hardly wrote: it proves nothing"
    lost = {name: sorted(set(writer.acknowledged) - member_keys(name)) for name in NAMES}
    upgraded["figures"]["writes_lost"] = max(len(keys) for keys in lost.values())
    record_figures("etcd_upgrade", upgraded["figures"])
    assert not any(lost.values()), {name: keys[:5] for name, keys in lost.items()}


def test_every_member_went_through_every_step_one_member_at_a_time(upgraded: dict) -> None:
    watcher = upgraded["watcher"]
    assert watcher.releases == {name: ["3.5.1", *PATH] for name in NAMES}
    assert watcher.most_down_at_once == 1


def test_every_member_runs_the_new_release_and_the_cluster_version_moved_up(upgraded: dict) -> None:
    for name in NAMES:
        # etcd 3.6 and later also report the version of the storage format, which follows the cluster's.
        assert call(name, "/version") == {"etcdserver": TARGET, "etcdcluster": "3.7.0", "storage": "3.7.0"}, name
        assert call(name, "/health")["health"] == "true", name


def test_a_snapshot_was_taken_before_the_first_member_went_down(upgraded: dict) -> None:
    records = sorted((ARTIFACTS / "backups/etcd").glob("*.db.json"))
    assert len(records) == 1, records
    record = json.loads(records[0].read_text())
    assert record["status"]["totalKey"] > 0
    # Copied to this machine once taken and checked: before the watcher first saw a member down.
    snapshot = records[0].with_suffix("")
    assert upgraded["began"] <= snapshot.stat().st_mtime <= upgraded["watcher"].first_down


def test_a_second_run_changes_nothing(upgraded: dict) -> None:
    before = containers()
    stats = run_playbook(UPGRADE, {"etcd_upgrade_version": TARGET, **step_images()})
    assert {name: stats[name]["changed"] for name in NAMES} == dict.fromkeys(NAMES, 0)
    assert containers() == before
    assert len(list((ARTIFACTS / "backups/etcd").glob("*.db"))) == 1, "a run with nothing to upgrade took a snapshot"


def test_a_downgrade_is_refused_before_anything_changes(upgraded: dict) -> None:
    before = containers()
    output = run_playbook_refused(UPGRADE, {"etcd_upgrade_version": "3.6.17", **step_images()})
    assert "etcd_upgrade_version: 3.6.17 is older than the 3.7.4 a member runs: a downgrade is refused" in " ".join(
        output.split()), output[-3000:]
    assert containers() == before

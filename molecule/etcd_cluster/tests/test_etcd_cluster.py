"""A three-member etcd cluster: healthy after a member was killed and wiped, then backed up, destroyed and
restored, then a member replaced. The tests run in file order and each leaves the cluster healthy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import PROJECT, b64, etcd_call, etcd_client_url, node, run_playbook

NAMES = [f"curtain-etcd-cluster-{i}" for i in (1, 2, 3)]
PREFIX = "/side-effect/"
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))


def call(name: str, path: str, body: dict | None = None) -> dict:
    """etcd's JSON API on member `name`, from its own host; no body means a GET."""
    result = etcd_call(node(name), etcd_client_url(name), path, body)
    assert result.rc == 0, f"{name} {path}: {result.stdout}"
    return json.loads(result.stdout)


def members(via: str = NAMES[0]) -> dict[str, dict]:
    return {member.get("name", ""): member for member in call(via, "/v3/cluster/member/list", {})["members"]}


def key_count(via: str = NAMES[0]) -> int:
    return int(call(via, "/v3/kv/range", {"key": b64(PREFIX), "range_end": b64(PREFIX[:-1] + "0"),
                                          "count_only": True}).get("count", 0))


def assert_three_healthy_voters() -> None:
    current = members()
    assert sorted(current) == NAMES, current
    assert not [name for name, member in current.items() if member.get("isLearner")]
    for name in NAMES:
        assert call(name, "/health")["health"] == "true", name


def test_the_wiped_member_was_healed_with_a_new_id_and_no_key_lost() -> None:
    before = json.loads((EPHEMERAL / "side_effect.json").read_text())
    assert before["keys"] >= 100
    assert_three_healthy_voters()
    assert members()[NAMES[2]]["ID"] != before["member_3_id"], "member 3 came back under its old ID"
    assert key_count() == key_count(NAMES[2]) == before["keys"]


def test_key_written_through_member_1_is_read_on_member_3() -> None:
    call(NAMES[0], "/v3/kv/put", {"key": b64(PREFIX + "written-on-1"), "value": b64("curtain")})
    got = call(NAMES[2], "/v3/kv/range", {"key": b64(PREFIX + "written-on-1"), "serializable": False})
    assert got["kvs"][0]["value"] == b64("curtain")


def test_each_member_runs_as_the_role_says_and_refuses_a_client_without_a_certificate() -> None:
    for name in NAMES:
        container = json.loads(node(name).check_output("docker inspect curtain-etcd"))[0]
        assert container["State"]["Running"], name
        assert container["HostConfig"]["NetworkMode"] == "host"
        assert container["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
        assert container["Config"]["Labels"]["io.curtain.managed-by"] == "curtain"
        assert not container["HostConfig"]["Privileged"]
        assert all(not mount["Source"].startswith("/dev") for mount in container["Mounts"])
        refused = etcd_call(node(name), etcd_client_url(name), "/v3/kv/range", {"key": b64(PREFIX)}, cert=False)
        assert refused.rc == 3 and "refused" in refused.stdout, f"{name}: {refused.stdout}"


def test_member_3_runs_the_image_loaded_from_the_tarball() -> None:
    container = json.loads(node(NAMES[2]).check_output("docker inspect curtain-etcd"))[0]
    assert container["Config"]["Image"] == "curtain/etcd:3.7.4"  # the modern default the tarball holds
    tarballs = node(NAMES[2]).check_output("ls /var/lib/curtain/images").split()
    assert len(tarballs) == 1 and tarballs[0].endswith(".tar.gz")
    assert node(NAMES[2]).file(f"/var/lib/curtain/images/{tarballs[0]}").mode == 0o600
    # The others pulled it by digest from the registry.
    container = json.loads(node(NAMES[0]).check_output("docker inspect curtain-etcd"))[0]
    assert "@sha256:" in container["Config"]["Image"]


def test_check_mode_reports_no_change_on_the_healed_cluster() -> None:
    for name, stats in run_playbook("converge.yml", check=True).items():
        assert stats["changed"] == 0 and stats["failures"] == 0, f"{name}: {stats}"


@pytest.fixture(scope="module")
def backups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("backups")


def test_backup_keeps_the_newest_checked_snapshots(backups: Path) -> None:
    keys = key_count()
    for _ in range(3):
        run_playbook(PROJECT / "playbooks/etcd_backup.yml",
                     {"etcd_backup_controller_dir": str(backups), "etcd_backup_keep": 2})
    snapshots = sorted(backups.glob("*.db"))
    assert len(snapshots) == 2, sorted(backups.iterdir())
    record = json.loads(Path(f"{snapshots[-1]}.json").read_text())
    assert record["status"]["totalKey"] >= keys  # our keys, and in 3.5 etcd's own too (3.7 counts ours alone)
    assert record["member"] == NAMES[0]
    on_host = node(NAMES[0]).check_output("ls /var/lib/curtain/backups/etcd").split()
    assert sorted(on_host) == sorted(path.name for path in backups.iterdir())


def test_restore_after_every_member_lost_its_data_brings_every_key_back(backups: Path) -> None:
    keys = key_count()
    snapshot = sorted(backups.glob("*.db"))[-1]
    for name in NAMES:
        node(name).run_expect([0], "docker rm -f curtain-etcd && rm -rf /var/lib/curtain/etcd/data")

    run_playbook(PROJECT / "playbooks/etcd_restore.yml", {"etcd_restore_snapshot": str(snapshot)})

    assert_three_healthy_voters()
    assert key_count() == key_count(NAMES[1]) == key_count(NAMES[2]) == keys
    marker = json.loads(node(NAMES[1]).check_output("cat /var/lib/curtain/etcd/cluster.json"))
    assert marker["cluster_token"] == "curtain-etcd"
    assert marker["initial_cluster_token"].startswith("curtain-etcd-restored-")
    # The restored cluster is what the role expects: converging again changes nothing.
    for name, stats in run_playbook("converge.yml").items():
        assert stats["changed"] == 0, f"{name}: converge after restore changed something: {stats}"


def test_restore_refuses_a_damaged_snapshot_and_changes_nothing(backups: Path) -> None:
    snapshot = sorted(backups.glob("*.db"))[-1]
    damaged = backups / "damaged" / snapshot.name
    damaged.parent.mkdir()
    damaged.write_bytes(snapshot.read_bytes()[:-10] + b"0123456789")
    Path(f"{damaged}.json").write_text(Path(f"{snapshot}.json").read_text())
    ids = {name: member["ID"] for name, member in members().items()}

    with pytest.raises(AssertionError, match="the file is damaged"):
        run_playbook(PROJECT / "playbooks/etcd_restore.yml", {"etcd_restore_snapshot": str(damaged)})
    assert {name: member["ID"] for name, member in members().items()} == ids


def test_replace_a_dead_member() -> None:
    keys = key_count()
    old_id = members()[NAMES[1]]["ID"]
    node(NAMES[1]).run_expect([0], "docker rm -f curtain-etcd")

    run_playbook(PROJECT / "playbooks/etcd_replace_member.yml", {"etcd_replace_member": NAMES[1]})

    assert_three_healthy_voters()
    assert members()[NAMES[1]]["ID"] != old_id
    assert key_count(NAMES[1]) == keys
    assert node(NAMES[1]).run("ls -d /var/lib/curtain/etcd/data.replaced-*").rc == 0

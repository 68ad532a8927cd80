"""etcd_member, etcd_member_info and etcd_wait, run in-process against real etcd members (see conftest.py).

Every change is tested three ways: check mode reports it and makes none, the real run makes it, and a second
run reports no change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import (
    join_initial_cluster,
    plan_member,
)
from ansible_collections.curtain.kube.plugins.modules import etcd_member, etcd_member_info, etcd_wait


def member_lines(client) -> list[str]:
    return sorted(f"{m.name or '(unstarted)'} {','.join(m.peer_urls)}{' learner' if m.is_learner else ''}"
                  for m in client.member_list())


def test_add_start_promote_remove(etcd_launcher, module_runner) -> None:
    first, second = etcd_launcher.cluster(2)
    assert plan_member(first, has_data=False, cluster=None).action == "bootstrap"
    etcd_launcher.start(first, [first])
    client = etcd_launcher.client([first.client_url])
    endpoints = {"endpoints": [first.client_url]}
    member_args = {**endpoints, "name": second.name, "peer_urls": [second.peer_url]}
    alone = member_lines(client)

    # present: check mode reports the add and writes nothing
    result = module_runner(etcd_member.main, member_args, check_mode=True)
    assert not result.failed, result.result
    assert result.result["changed"] is True
    assert result.result["actions"] == [f"add learner with peer URLs {second.peer_url}"]
    assert f"(new) (unstarted) {second.peer_url} learner" in result.result["diff"]["after"]
    assert result.result["diff"]["after"] != result.result["diff"]["before"]
    assert member_lines(client) == alone

    # present: adds the learner
    result = module_runner(etcd_member.main, member_args)
    assert not result.failed, result.result
    assert result.result["changed"] is True
    added = result.result["member"]
    assert added["is_learner"] is True and added["started"] is False and added["id"] != "0"
    assert f"{added['hex_id']} (unstarted) {second.peer_url} learner" in result.result["diff"]["after"]
    assert member_lines(client) == sorted([*alone, f"(unstarted) {second.peer_url} learner"])

    # present again: nothing to do (the unstarted member is found by its peer URL)
    result = module_runner(etcd_member.main, member_args)
    assert result.result["changed"] is False
    assert result.result["member"]["id"] == added["id"]
    assert result.result["diff"]["before"] == result.result["diff"]["after"]

    # The plan for the new member, from the live list, is to start it into the existing cluster.
    live = client.member_list()
    plan = plan_member(second, has_data=False, cluster=live)
    assert (plan.action, plan.initial_cluster_state, plan.needs_promote) == ("resume_join", "existing", True)
    etcd_launcher.start(
        second, [first, second], state="existing", initial_cluster_value=join_initial_cluster(second, live), wait=False
    )
    waited = module_runner(
        etcd_wait.main, {"endpoint": second.client_url, "name": second.name, "allow_learner": True, "timeout": 15}
    )
    assert not waited.failed, waited.result
    assert waited.result["changed"] is False and waited.result["member"]["is_learner"] is True

    # A learner is not what etcd_wait waits for unless allowed; in check mode it says so instead of failing.
    skipped = module_runner(etcd_wait.main, {"endpoint": second.client_url, "name": second.name}, check_mode=True)
    assert not skipped.failed and skipped.result["skipped_in_check_mode"] is True
    assert "still a learner" in skipped.result["msg"]

    # A learner refuses member listing (gRPC Unavailable): the client moves on to the next endpoint, so the
    # learner's own URL may come first, as the role passes it when promoting.
    learner_first = etcd_launcher.client([second.client_url, first.client_url])
    assert len(learner_first.member_list()) == 2

    # promoted: check mode, real (retrying while the learner catches up), again
    promote_args = {**member_args, "endpoints": [second.client_url, first.client_url], "state": "promoted",
                    "timeout": 20}
    result = module_runner(etcd_member.main, promote_args, check_mode=True)
    assert result.result["changed"] is True and result.result["actions"][0].startswith("promote")
    assert any(line.endswith("learner") for line in member_lines(client))
    result = module_runner(etcd_member.main, promote_args)
    assert not result.failed, result.result
    assert result.result["changed"] is True and result.result["member"]["is_learner"] is False
    assert member_lines(client) == sorted([*alone, f"{second.name} {second.peer_url}"])
    assert module_runner(etcd_member.main, promote_args).result["changed"] is False

    waited = module_runner(
        etcd_wait.main, {"endpoint": second.client_url, "member_id": added["hex_id"], "name": second.name}
    )
    assert not waited.failed, waited.result
    assert waited.result["member"]["name"] == second.name

    info = module_runner(etcd_member_info.main, {"endpoints": [first.client_url, second.client_url]}, check_mode=True)
    assert info.result["changed"] is False and info.result["available"] is True
    assert sorted(m["name"] for m in info.result["members"]) == sorted([first.name, second.name])
    assert all(state["healthy"] for state in info.result["health"].values())
    assert info.result["leader"] in {m["id"] for m in info.result["members"]}

    # absent: check mode, real, again
    absent_args = {**endpoints, "name": second.name, "state": "absent"}
    result = module_runner(etcd_member.main, absent_args, check_mode=True)
    assert result.result["changed"] is True and len(client.member_list()) == 2
    result = module_runner(etcd_member.main, absent_args)
    assert not result.failed, result.result
    assert result.result["changed"] is True and result.result["member"] == {}
    assert member_lines(client) == alone
    assert module_runner(etcd_member.main, absent_args).result["changed"] is False


def test_replace_a_member_whose_data_was_lost(etcd_launcher, module_runner) -> None:
    processes = etcd_launcher.start_cluster(3)
    lost = processes[2]
    client = etcd_launcher.client([p.member.client_url for p in processes[:2]])
    lost.etcd.stop()
    shutil.rmtree(lost.etcd.data_dir)

    plan = plan_member(lost.member, has_data=False, cluster=client.member_list())
    assert plan.action == "replace" and plan.remove_id and plan.needs_add
    args = {
        "endpoints": [p.member.client_url for p in processes[:2]],
        "name": lost.member.name,
        "peer_urls": [lost.member.peer_url],
        "remove_id": plan.remove_id,
    }
    result = module_runner(etcd_member.main, args)
    assert not result.failed, result.result
    assert [action.split()[0] for action in result.result["actions"]] == ["remove", "add"]
    assert result.result["member"]["id"] != plan.remove_id
    assert module_runner(etcd_member.main, args).result["changed"] is False

    live = client.member_list()
    etcd_launcher.start(
        lost.member,
        [p.member for p in processes],
        state="existing",
        initial_cluster_value=join_initial_cluster(lost.member, live),
    )
    result = module_runner(etcd_member.main, {**args, "state": "promoted", "timeout": 20})
    assert not result.failed, result.result
    assert sorted((m.name, m.is_learner) for m in client.member_list()) == [("m1", False), ("m2", False), ("m3", False)]


def test_tls_check_mode_and_info(tls_single, module_runner) -> None:
    launcher, member = tls_single
    endpoint = member.member.client_url
    tls = launcher.tls_params()
    before = launcher.client([endpoint]).member_list()
    args = {"endpoints": [endpoint], **tls, "name": "newcomer", "peer_urls": ["https://127.0.0.5:2380"]}
    result = module_runner(etcd_member.main, args, check_mode=True)
    assert not result.failed, result.result
    assert result.result["changed"] is True
    assert launcher.client([endpoint]).member_list() == before

    info = module_runner(etcd_member_info.main, {"endpoints": [endpoint], **tls})
    assert info.result["available"] is True and info.result["health"][endpoint]["healthy"] is True

    without_cert = module_runner(etcd_member_info.main, {"endpoints": [endpoint], "ca_file": tls["ca_file"]})
    assert not without_cert.failed
    assert without_cert.result["available"] is False
    assert "client certificate" in without_cert.result["errors"][endpoint]


def test_unreachable_cluster(silent_member, module_runner) -> None:
    member = silent_member
    info = module_runner(etcd_member_info.main, {"endpoints": [member.client_url], "timeout": 1})
    assert not info.failed and info.result["changed"] is False and info.result["available"] is False
    assert "refused" in info.result["errors"][member.client_url].lower()

    result = module_runner(etcd_member.main, {"endpoints": [member.client_url], "name": "x", "peer_urls": ["http://127.0.0.9:1"]})
    assert result.failed and result.result["changed"] is False
    assert member.client_url in result.result["msg"]


@pytest.fixture
def fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `docker` first on PATH that records its arguments and prints 25 log lines on stderr."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "docker-calls"
    script = bin_dir / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {calls}\n'
        'i=1; while [ $i -le 25 ]; do echo "etcd log line $i" >&2; i=$((i+1)); done\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


def test_wait_failure_names_member_endpoint_and_shows_logs(silent_member, module_runner, fake_docker) -> None:
    member = silent_member
    result = module_runner(
        etcd_wait.main, {"endpoint": member.client_url, "name": "m1", "container": "etcd-m1", "timeout": 1}
    )
    assert result.failed
    message = result.result["msg"]
    assert message.startswith(f"etcd member m1 at {member.client_url} not ready after 1s: ")
    assert "refused" in message.lower()
    assert fake_docker.read_text().split() == ["logs", "--tail", "20", "etcd-m1"]
    assert result.result["container_logs"] == [f"etcd log line {i}" for i in range(6, 26)]
    assert "last 20 lines of docker logs etcd-m1:\netcd log line 6\n" in message
    assert message.endswith("etcd log line 25")
    assert not result.result.get("changed")


def test_wait_in_check_mode_does_not_fail_for_a_missing_member(silent_member, module_runner) -> None:
    member = silent_member
    result = module_runner(etcd_wait.main, {"endpoint": member.client_url, "timeout": 30}, check_mode=True)
    assert not result.failed
    assert result.result["skipped_in_check_mode"] is True and result.result["changed"] is False
    assert member.client_url in result.result["msg"]


def test_wait_for_the_cluster_version_of_a_release(tls_single, module_runner) -> None:
    launcher, member = tls_single
    endpoint = member.member.client_url
    args = {"endpoint": endpoint, **launcher.tls_params()}
    # A new cluster decides its version some seconds after it starts: the wait covers that too.
    reached = module_runner(etcd_wait.main, {**args, "cluster_release": "3.5.36", "timeout": 15})
    assert not reached.failed, reached.result
    assert reached.result["healthy"] is True
    answer = launcher.client([endpoint]).version(endpoint)
    major, minor, _ = (int(part) for part in answer["etcdserver"].split("."))
    assert answer["etcdcluster"] == f"{major}.{minor}.0"
    release = f"{major}.{minor}.{_}"
    assert not module_runner(etcd_wait.main, {**args, "cluster_release": release, "timeout": 2}).failed

    # A minor no member runs yet: the cluster version (and the storage's, which 3.6 and later report) stays behind.
    ahead = f"{major}.{minor + 1}.0"
    behind = [f"the cluster version is {major}.{minor}.0"]
    if "storage" in answer:
        behind.append(f"the storage version is {answer['storage']}")
    reason = f"{' and '.join(behind)}, not yet {major}.{minor + 1} "
    looked = module_runner(etcd_wait.main, {**args, "cluster_release": ahead, "timeout": 30}, check_mode=True)
    assert not looked.failed
    assert looked.result["skipped_in_check_mode"] is True and reason in looked.result["msg"]
    waited = module_runner(etcd_wait.main, {**args, "cluster_release": ahead, "timeout": 2})
    assert waited.failed
    assert waited.result["msg"] == (f"etcd member (unnamed) at {endpoint} not ready after 2s: {reason}"
                                    f"(etcd raises it some seconds after every member runs {major}.{minor + 1})")

    refused = module_runner(etcd_wait.main, {**args, "cluster_release": "3.x"})
    assert refused.failed and refused.result["msg"].startswith("cluster_release: '3.x' is not an etcd version")

"""EtcdClient against real etcd processes (see conftest.py), plus its few pure helpers."""

from __future__ import annotations

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.etcd_api import (
    EtcdApiError,
    EtcdClient,
    EtcdLearnerNotReady,
    cluster_info,
    prefix_range_end,
    promote_when_ready,
)
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import PINNED


@pytest.mark.parametrize(
    "prefix,expected",
    [(b"", b"\0"), (b"a", b"b"), (b"/registry/", b"/registry0"), (b"a\xff", b"b"), (b"\xff\xff", b"\0")],
)
def test_prefix_range_end(prefix: bytes, expected: bytes) -> None:
    assert prefix_range_end(prefix) == expected


def test_missing_tls_file_is_an_api_error(tmp_path) -> None:
    with pytest.raises(EtcdApiError, match="cannot load the etcd TLS files"):
        EtcdClient(["https://127.0.0.1:1"], cert_file=str(tmp_path / "missing.crt"), key_file=str(tmp_path / "k"))


def test_promote_when_ready_retries_until_in_sync() -> None:
    class Learner:
        calls = 0

        def member_promote(self, member_id: str) -> None:
            self.calls += 1
            if self.calls < 3:
                raise EtcdLearnerNotReady("not yet", endpoint="http://e")

    learner = Learner()
    naps: list[float] = []
    promote_when_ready(learner, "10", timeout=10, sleep=naps.append)  # type: ignore[arg-type]
    assert learner.calls == 3
    assert naps == [1.0, 1.0]


def test_promote_when_ready_gives_up_after_timeout() -> None:
    class NeverReady:
        def member_promote(self, member_id: str) -> None:
            raise EtcdLearnerNotReady("can only promote a learner member which is in sync with leader")

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    expected = r"could not promote learner a \(not in sync with the leader\) within 3s \(4 attempts\)"
    with pytest.raises(EtcdLearnerNotReady, match=expected):
        promote_when_ready(NeverReady(), "10", timeout=3, sleep=sleep, clock=lambda: now[0])  # type: ignore[arg-type]


# --- TLS, client certificate authentication ----------------------------------------------------------------


def test_tls_client_without_certificate_is_refused(tls_single) -> None:
    launcher, member = tls_single
    endpoint = member.member.client_url
    client = launcher.client([endpoint], with_cert=False)
    with pytest.raises(EtcdApiError) as raised:
        client.member_list()
    message = str(raised.value)
    assert endpoint in message
    assert "requires a client certificate" in message
    healthy, reason = client.health(endpoint)
    assert not healthy and "requires a client certificate" in reason


def test_tls_server_signed_by_another_ca_is_refused(tls_single, tls_files) -> None:
    _, member = tls_single
    endpoint = member.member.client_url
    client = EtcdClient(
        [endpoint], ca_file=tls_files.other_ca, cert_file=tls_files.client_cert, key_file=tls_files.client_key
    )
    with pytest.raises(EtcdApiError, match="CERTIFICATE_VERIFY_FAILED"):
        client.get("anything")


def test_tls_put_get_count(tls_single) -> None:
    launcher, member = tls_single
    client = launcher.client([member.member.client_url])
    assert client.get("/curtain/unit/missing") is None
    for index in range(3):
        client.put(f"/curtain/unit/count/{index}", f"value {index} ✓")
    client.put("/curtain/unit/countless", "not under the prefix")
    client.put("/curtain/unit/empty", "")
    assert client.get("/curtain/unit/count/1") == "value 1 ✓"
    assert client.get("/curtain/unit/empty") == ""
    assert client.count("/curtain/unit/count/") == 3
    assert client.count("/curtain/unit/") == 5
    assert client.count("") >= 5


def test_tls_member_list_health_status(tls_single) -> None:
    launcher, member = tls_single
    endpoint = member.member.client_url
    client = launcher.client([endpoint])
    (listed,) = client.member_list()
    assert listed.name == member.member.name
    assert listed.peer_urls == [member.member.peer_url]
    assert listed.client_urls == [endpoint]
    assert not listed.is_learner and listed.started
    assert listed.hex_id == format(int(listed.id), "x")
    assert client.health(endpoint) == (True, "")
    status = client.status(endpoint)
    assert status["version"] in PINNED  # make unit runs the modern default's build
    assert status["leader"] == listed.id == status["header"]["member_id"]


def test_etcd_refusals_are_raised_not_failed_over(tls_single) -> None:
    launcher, member = tls_single
    client = launcher.client([member.member.client_url])
    with pytest.raises(EtcdApiError, match="member not found") as raised:
        client.member_remove("12345")
    assert raised.value.endpoint == member.member.client_url
    with pytest.raises(EtcdApiError, match="can only promote a learner member") as raised:
        client.member_promote(client.member_list()[0].id)
    assert not isinstance(raised.value, EtcdLearnerNotReady)


# --- plain HTTP, failover ---------------------------------------------------------------------------------------


def test_nothing_listening_names_every_endpoint(silent_cluster) -> None:
    members = silent_cluster
    client = EtcdClient([m.client_url for m in members], timeout=1.0)
    with pytest.raises(EtcdApiError) as raised:
        client.member_list()
    message = str(raised.value)
    assert all(m.client_url in message for m in members)
    assert "refused" in message.lower()
    info = cluster_info(client)
    assert info["available"] is False
    assert set(info["errors"]) == {m.client_url for m in members}
    assert all(not state["healthy"] for state in info["health"].values())


def test_three_members_fail_over_to_a_live_endpoint(etcd_launcher) -> None:
    processes = etcd_launcher.start_cluster(3)
    endpoints = [p.member.client_url for p in processes]
    client = etcd_launcher.client(endpoints)
    assert sorted(m.name for m in client.member_list()) == ["m1", "m2", "m3"]
    client.put("/curtain/unit/replicated", "yes")

    processes[0].etcd.stop()
    # The first endpoint is dead: every call goes on to the next one.
    assert client.get("/curtain/unit/replicated") == "yes"
    assert len(client.member_list()) == 3
    info = cluster_info(client)
    assert info["available"] is True
    assert info["health"][endpoints[0]]["healthy"] is False and info["errors"][endpoints[0]]
    assert info["health"][endpoints[1]] == {"healthy": True, "error": ""}
    assert info["leader"] in {m["id"] for m in info["members"]}
    # Versions come from the members that answer, and all run the same build.
    assert set(info["versions"]) == set(endpoints[1:]) and len(set(info["versions"].values())) == 1
    assert set(info["versions"].values()) <= set(PINNED)

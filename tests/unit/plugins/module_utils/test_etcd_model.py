"""The etcd cluster model and the filters over it: pure functions, tables of cases, no etcd needed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.etcd import FilterModule
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import (
    ClusterMember,
    EtcdMember,
    EtcdModelError,
    build_cluster,
    cluster_size_warnings,
    etcd_args,
    first_healthy_host,
    initial_cluster,
    join_initial_cluster,
    member_line,
    normalize_member_id,
    plan_member,
    plan_member_changes,
    replacement,
    snapshots_to_prune,
)

PORTS = {"scheme": "https", "client_port": 2379, "peer_port": 2380}
TLS = {
    "ca": "/etc/etcd/pki/ca.crt",
    "server_cert": "/etc/etcd/pki/server.crt",
    "server_key": "/etc/etcd/pki/server.key",
    "peer_cert": "/etc/etcd/pki/peer.crt",
    "peer_key": "/etc/etcd/pki/peer.key",
}


def three_members(scheme: str = "https") -> list[EtcdMember]:
    settings = {f"node{i}": {"address": f"10.0.0.{i}"} for i in (1, 2, 3)}
    return build_cluster(list(settings), settings, scheme=scheme, client_port=2379, peer_port=2380)


# --- build_cluster ------------------------------------------------------------------------------------------


def test_build_cluster_keeps_order_and_builds_urls() -> None:
    settings = {
        "c": {"address": "10.0.0.3"},
        "a": {"address": "fd00::1", "name": "etcd-a"},
        "b": {"address": "etcd-b.example.org"},
    }
    members = build_cluster(["c", "a", "b"], settings, **PORTS)
    assert members == [
        EtcdMember("c", "10.0.0.3", "https://10.0.0.3:2380", "https://10.0.0.3:2379"),
        EtcdMember("etcd-a", "fd00::1", "https://[fd00::1]:2380", "https://[fd00::1]:2379"),
        EtcdMember("b", "etcd-b.example.org", "https://etcd-b.example.org:2380", "https://etcd-b.example.org:2379"),
    ]


def test_build_cluster_plain_http() -> None:
    (member,) = build_cluster(["h"], {"h": {"address": "127.0.0.1"}}, scheme="http", client_port=4001, peer_port=7001)
    assert (member.client_url, member.peer_url) == ("http://127.0.0.1:4001", "http://127.0.0.1:7001")


H1 = {"h1": {"address": "10.0.0.1"}}  # one valid host, for the cases about the other arguments


def named(name: str) -> dict[str, dict[str, str]]:
    return {"h1": {"address": "10.0.0.1", "name": name}}


BAD_CLUSTERS: list[tuple[str, list[Any], dict[str, Any], dict[str, Any], list[str]]] = [
    # id, hosts, host_settings, keyword overrides, fragments the message must contain
    ("empty group", [], {}, {}, ["etcd_group", "empty"]),
    ("no settings", ["h1"], {}, {}, ["'h1'", "etcd_advertise_address", "required"]),
    ("missing address", ["h1"], {"h1": {"name": "n1"}}, {}, ["'h1'", "etcd_advertise_address", "required"]),
    ("empty address", ["h1"], {"h1": {"address": " "}}, {}, ["'h1'", "etcd_advertise_address", "required"]),
    ("bad address", ["h1"], {"h1": {"address": "10.0.0.256"}}, {}, ["'h1'", "etcd_advertise_address", "10.0.0.256"]),
    ("address with port", ["h1"], {"h1": {"address": "10.0.0.1:2379"}}, {}, ["'h1'", "etcd_advertise_address"]),
    ("bracketed ipv6", ["h1"], {"h1": {"address": "[fd00::1]"}}, {}, ["'h1'", "etcd_advertise_address", "brackets"]),
    ("unspecified address", ["h1"], {"h1": {"address": "0.0.0.0"}}, {}, ["'h1'", "etcd_advertise_address", "reach"]),
    ("address not a string", ["h1"], {"h1": {"address": 10}}, {}, ["'h1'", "etcd_advertise_address", "string"]),
    ("name with capitals", ["h1"], named("Node1"), {}, ["'h1'", "etcd_member_name", "'Node1'"]),
    ("name with underscore", ["h_1"], {"h_1": {"address": "10.0.0.1"}}, {}, ["'h_1'", "etcd_member_name", "'h_1'"]),
    ("name too long", ["h1"], named("n" * 64), {}, ["'h1'", "etcd_member_name", "63"]),
    ("name ends with dash", ["h1"], named("n-"), {}, ["'h1'", "etcd_member_name"]),
    (
        "duplicate names",
        ["h1", "h2"],
        {"h1": {"address": "10.0.0.1", "name": "n"}, "h2": {"address": "10.0.0.2", "name": "n"}},
        {},
        ["'h1'", "'h2'", "etcd_member_name", "'n'"],
    ),
    (
        "duplicate addresses",
        ["h1", "h2"],
        {"h1": {"address": "10.0.0.1"}, "h2": {"address": "10.0.0.1"}},
        {},
        ["'h1'", "'h2'", "etcd_advertise_address", "etcd_client_port=2379"],
    ),
    (
        "duplicate ipv6 spelled differently",
        ["h1", "h2"],
        {"h1": {"address": "fd00::1"}, "h2": {"address": "fd00:0::1"}},
        {},
        ["'h1'", "'h2'", "etcd_advertise_address"],
    ),
    (
        "duplicate names by case",
        ["h1", "h2"],
        {"h1": {"address": "ETCD.example.org"}, "h2": {"address": "etcd.example.org"}},
        {},
        ["'h1'", "'h2'", "etcd_advertise_address"],
    ),
    ("host listed twice", ["h1", "h1"], H1, {}, ["'h1'", "twice"]),
    ("bad scheme", ["h1"], H1, {"scheme": "ftp"}, ["etcd_tls", "'ftp'"]),
    ("port string", ["h1"], H1, {"client_port": "abc"}, ["etcd_client_port must be an integer port, got 'abc'"]),
    ("port numeric string", ["h1"], H1, {"peer_port": "2380"}, ["etcd_peer_port", "'2380'"]),
    ("port bool", ["h1"], H1, {"client_port": True}, ["etcd_client_port", "True"]),
    ("port zero", ["h1"], H1, {"peer_port": 0}, ["etcd_peer_port", "65535", "0"]),
    ("port too big", ["h1"], H1, {"client_port": 70000}, ["etcd_client_port", "70000"]),
    ("same ports", ["h1"], H1, {"client_port": 2380}, ["etcd_client_port", "etcd_peer_port", "differ"]),
]


@pytest.mark.parametrize(
    "hosts,settings,overrides,fragments", [case[1:] for case in BAD_CLUSTERS], ids=[case[0] for case in BAD_CLUSTERS]
)
def test_build_cluster_rejects(hosts: list[Any], settings: dict, overrides: dict, fragments: list[str]) -> None:
    with pytest.raises(EtcdModelError) as raised:
        build_cluster(hosts, settings, **{**PORTS, **overrides})
    for fragment in fragments:
        assert fragment in str(raised.value)


@pytest.mark.parametrize(
    "address",
    ["10.0.0.1", "fd00::1", "::1", "etcd1", "etcd-1.example.org", "a.b-c.d", "localhost", "node1.example.org."],
)
def test_build_cluster_accepts_addresses(address: str) -> None:
    (member,) = build_cluster(["h"], {"h": {"address": address}}, **PORTS)
    assert member.address == address


@pytest.mark.parametrize(
    "size,expected", [(0, 1), (1, 0), (2, 1), (3, 0), (4, 1), (5, 0), (6, 1), (7, 0), (8, 2), (9, 1)]
)
def test_cluster_size_warnings(size: int, expected: int) -> None:
    warnings = cluster_size_warnings(size)
    assert len(warnings) == expected
    assert all(str(size) in warning for warning in warnings)


# --- initial cluster and command line -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "members,expected",
    [
        (three_members()[:1], "node1=https://10.0.0.1:2380"),
        (three_members(), "node1=https://10.0.0.1:2380,node2=https://10.0.0.2:2380,node3=https://10.0.0.3:2380"),
        (three_members("http")[1:], "node2=http://10.0.0.2:2380,node3=http://10.0.0.3:2380"),
        (
            build_cluster(["h"], {"h": {"address": "fd00::9", "name": "v6"}}, **PORTS),
            "v6=https://[fd00::9]:2380",
        ),
    ],
)
def test_initial_cluster(members: list[EtcdMember], expected: str) -> None:
    assert initial_cluster(members) == expected


BASE_FLAGS = [
    "--advertise-client-urls={scheme}://10.0.0.2:2379",
    "--data-dir=/var/lib/etcd",
    "--initial-advertise-peer-urls={scheme}://10.0.0.2:2380",
    "--initial-cluster=node1={scheme}://10.0.0.1:2380,node2={scheme}://10.0.0.2:2380,node3={scheme}://10.0.0.3:2380",
    "--initial-cluster-state=new",
    "--initial-cluster-token=tok",
    "--listen-client-urls={scheme}://10.0.0.2:2379,{scheme}://127.0.0.1:2379",
    "--listen-peer-urls={scheme}://10.0.0.2:2380",
    "--name=node2",
]
TLS_FLAGS = [
    "--cert-file=/etc/etcd/pki/server.crt",
    "--client-cert-auth=true",
    "--key-file=/etc/etcd/pki/server.key",
    "--peer-cert-file=/etc/etcd/pki/peer.crt",
    "--peer-client-cert-auth=true",
    "--peer-key-file=/etc/etcd/pki/peer.key",
    "--peer-trusted-ca-file=/etc/etcd/pki/ca.crt",
    "--trusted-ca-file=/etc/etcd/pki/ca.crt",
]


@pytest.mark.parametrize(
    "scheme,tls,enable_v2,extra,added",
    [
        ("http", None, False, {}, []),
        ("https", TLS, False, {}, TLS_FLAGS),
        ("http", None, True, {}, ["--enable-v2=true"]),
        (
            "https",
            TLS,
            True,
            {"heartbeat-interval": 250, "auto-compaction-mode": "periodic", "experimental-initial-corrupt-check": True},
            [*TLS_FLAGS, "--enable-v2=true", "--heartbeat-interval=250", "--auto-compaction-mode=periodic",
             "--experimental-initial-corrupt-check=true"],
        ),
    ],
    ids=["plain", "tls", "v2", "tls-v2-extra"],
)
def test_etcd_args(scheme: str, tls: dict | None, enable_v2: bool, extra: dict, added: list[str]) -> None:
    members = three_members(scheme)
    args = etcd_args(
        members[1], members=members, state="new", cluster_token="tok", data_dir="/var/lib/etcd",
        tls=tls, enable_v2=enable_v2, extra=extra,
    )
    expected_flags = sorted([flag.format(scheme=scheme) for flag in BASE_FLAGS] + added, key=lambda f: f.split("=")[0])
    assert args == ["etcd", *expected_flags]


def test_etcd_args_loopback_member_listens_once_and_joiner_uses_given_initial_cluster() -> None:
    (member,) = build_cluster(["h"], {"h": {"address": "127.0.0.1"}}, scheme="http", client_port=4001, peer_port=7001)
    args = etcd_args(
        member, members=[member], state="existing", cluster_token="t", data_dir="/d", tls=None, enable_v2=False,
        extra={}, initial_cluster_value="a=http://10.9.9.9:7001,h=http://127.0.0.1:7001",
    )
    assert "--listen-client-urls=http://127.0.0.1:4001" in args
    assert "--initial-cluster=a=http://10.9.9.9:7001,h=http://127.0.0.1:7001" in args
    assert "--initial-cluster-state=existing" in args


def test_etcd_args_dns_member_binds_every_interface() -> None:
    # etcd refuses to bind to a DNS name ("expected IP in URL for binding").
    (member,) = build_cluster(["h"], {"h": {"address": "etcd1.example.org"}}, **PORTS)
    args = etcd_args(member, members=[member], state="new", cluster_token="t", data_dir="/d", tls=TLS,
                     enable_v2=False, extra={})
    assert "--listen-client-urls=https://0.0.0.0:2379" in args
    assert "--listen-peer-urls=https://0.0.0.0:2380" in args
    assert "--advertise-client-urls=https://etcd1.example.org:2379" in args


@pytest.mark.parametrize(
    "overrides,fragments",
    [
        ({"extra": {"initial-cluster-state": "new"}}, ["etcd_extra_flags", "'initial-cluster-state'", "managed"]),
        ({"extra": {"cert-file": "/x"}}, ["etcd_extra_flags", "'cert-file'", "managed"]),
        ({"extra": {"--quota-backend-bytes": 1}}, ["etcd_extra_flags", "'--quota-backend-bytes'", "without leading"]),
        ({"extra": {"quota-backend-bytes": None}}, ["etcd_extra_flags", "'quota-backend-bytes'"]),
        ({"state": "joining"}, ["'new' or 'existing'", "'joining'"]),
        ({"data_dir": "var/lib/etcd"}, ["absolute", "'var/lib/etcd'"]),
        ({"cluster_token": ""}, ["token"]),
        ({"tls": None}, ["https", "TLS"]),
        ({"tls": {"ca": "/ca"}}, ["server_cert", "peer_key"]),
        ({"members": three_members()[:1]}, ["'node2'", "not one of"]),
    ],
)
def test_etcd_args_rejects(overrides: dict[str, Any], fragments: list[str]) -> None:
    members = three_members()
    kwargs = {"members": members, "state": "new", "cluster_token": "t", "data_dir": "/d", "tls": TLS,
              "enable_v2": False, "extra": {}, **overrides}
    with pytest.raises(EtcdModelError) as raised:
        etcd_args(members[1], **kwargs)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_etcd_args_refuses_tls_files_with_http_urls() -> None:
    members = three_members("http")
    with pytest.raises(EtcdModelError, match="https scheme when etcd_tls is on"):
        etcd_args(members[0], members=members, state="new", cluster_token="t", data_dir="/d", tls=TLS,
                  enable_v2=False, extra={})


# --- member planning ----------------------------------------------------------------------------------------

NODE2 = three_members()[1]
NODE1_LIVE = ClusterMember("111", "node1", ["https://10.0.0.1:2380"], ["https://10.0.0.1:2379"])
NODE3_LIVE = ClusterMember("333", "node3", ["https://10.0.0.3:2380"], ["https://10.0.0.3:2379"])
NODE2_STARTED = ClusterMember("222", "node2", ["https://10.0.0.2:2380"], ["https://10.0.0.2:2379"])
NODE2_LEARNER = ClusterMember("222", "node2", ["https://10.0.0.2:2380"], ["https://10.0.0.2:2379"], is_learner=True)
NODE2_UNSTARTED = ClusterMember("222", "", ["https://10.0.0.2:2380"], [], is_learner=True)
NODE2_UNSTARTED_VOTER = ClusterMember("222", "", ["HTTPS://10.0.0.2:2380/"], [])
OTHERS = [NODE1_LIVE, NODE3_LIVE]

# id, has_data, cluster, action, state, remove_id, needs_add, needs_promote, move_data_aside
PLANS = [
    ("nobody answers, no data", False, None, "bootstrap", "new", None, False, False, False),
    ("nobody answers, data", True, None, "start", "existing", None, False, False, False),
    ("registered and started, data", True, [*OTHERS, NODE2_STARTED], "run", "existing", None, False, False, False),
    ("learner, data", True, [*OTHERS, NODE2_LEARNER], "promote", "existing", None, False, True, False),
    ("unstarted learner by peer URL", False, [*OTHERS, NODE2_UNSTARTED], "resume_join", "existing", None,
     False, True, False),
    ("unstarted voter by peer URL", False, [*OTHERS, NODE2_UNSTARTED_VOTER], "resume_join", "existing", None,
     False, False, False),
    ("unstarted, yet data", True, [*OTHERS, NODE2_UNSTARTED], "replace", "existing", "222", True, True, True),
    ("started, data lost", False, [*OTHERS, NODE2_STARTED], "replace", "existing", "222", True, True, False),
    ("learner, data lost", False, [*OTHERS, NODE2_LEARNER], "replace", "existing", "222", True, True, False),
    ("not registered, data", True, OTHERS, "stale_data", "existing", None, True, True, True),
    ("not registered, no data", False, OTHERS, "join", "existing", None, True, True, False),
    ("empty member list", False, [], "join", "existing", None, True, True, False),
]


@pytest.mark.parametrize(
    "has_data,cluster,action,state,remove_id,needs_add,needs_promote,move_aside",
    [case[1:] for case in PLANS],
    ids=[case[0] for case in PLANS],
)
def test_plan_member(
    has_data: bool,
    cluster: list[ClusterMember] | None,
    action: str,
    state: str,
    remove_id: str | None,
    needs_add: bool,
    needs_promote: bool,
    move_aside: bool,
) -> None:
    plan = plan_member(NODE2, has_data=has_data, cluster=cluster)
    assert (plan.action, plan.initial_cluster_state, plan.remove_id) == (action, state, remove_id)
    assert (plan.needs_add, plan.needs_promote, plan.move_data_aside) == (needs_add, needs_promote, move_aside)
    assert "node2" in plan.reason


@pytest.mark.parametrize(
    "cluster,fragments",
    [
        (
            [ClusterMember("222", "node2", ["https://10.0.0.9:2380"], [])],
            ["'node2'", "https://10.0.0.9:2380", "registration (de)"],  # 222 in hex
        ),
        ([ClusterMember("999", "intruder", ["https://10.0.0.2:2380"], [])], ["'intruder'", "share a peer URL"]),
    ],
    ids=["name with other peer URL", "peer URL owned by another name"],
)
def test_plan_member_refuses_conflicting_registrations(cluster: list[ClusterMember], fragments: list[str]) -> None:
    with pytest.raises(EtcdModelError) as raised:
        plan_member(NODE2, has_data=True, cluster=cluster)
    for fragment in fragments:
        assert fragment in str(raised.value)


@pytest.mark.parametrize(
    "cluster,expected",
    [
        (OTHERS, "node1=https://10.0.0.1:2380,node3=https://10.0.0.3:2380,node2=https://10.0.0.2:2380"),
        (
            [NODE1_LIVE, NODE2_UNSTARTED, NODE3_LIVE],
            "node1=https://10.0.0.1:2380,node3=https://10.0.0.3:2380,node2=https://10.0.0.2:2380",
        ),
        ([NODE1_LIVE, NODE2_STARTED], "node1=https://10.0.0.1:2380,node2=https://10.0.0.2:2380"),
        (
            [ClusterMember("1", "multi", ["https://10.0.0.1:2380", "https://10.1.0.1:2380"], [])],
            "multi=https://10.0.0.1:2380,multi=https://10.1.0.1:2380,node2=https://10.0.0.2:2380",
        ),
        ([], "node2=https://10.0.0.2:2380"),
    ],
    ids=["others", "own unstarted registration", "own old registration", "several peer urls", "alone"],
)
def test_join_initial_cluster(cluster: list[ClusterMember], expected: str) -> None:
    assert join_initial_cluster(NODE2, cluster) == expected


# --- membership changes (etcd_member) ----------------------------------------------------------------------

NEW_PEER = ["https://10.0.0.2:2380"]

# id, cluster, state, name, peer_urls, learner, remove_id, expected change actions, expected after lines
CHANGES = [
    ("present adds learner", OTHERS, "present", "node2", NEW_PEER, True, None, ["add"],
     ["(new) (unstarted) https://10.0.0.2:2380 learner"]),
    ("present adds voter", OTHERS, "present", "node2", NEW_PEER, False, None, ["add"],
     ["(new) (unstarted) https://10.0.0.2:2380"]),
    ("present finds unstarted by peer URL", [*OTHERS, NODE2_UNSTARTED], "present", "node2", NEW_PEER, True, None, [],
     ["de (unstarted) https://10.0.0.2:2380 learner"]),
    ("present finds started by name", [*OTHERS, NODE2_STARTED], "present", "node2", NEW_PEER, True, None, [],
     ["de node2 https://10.0.0.2:2380"]),
    ("promoted promotes learner", [*OTHERS, NODE2_LEARNER], "promoted", "node2", NEW_PEER, True, None, ["promote"],
     ["de node2 https://10.0.0.2:2380"]),
    ("promoted adds learner then promotes", OTHERS, "promoted", "node2", NEW_PEER, False, None, ["add", "promote"],
     ["(new) (unstarted) https://10.0.0.2:2380"]),
    ("promoted is idempotent", [*OTHERS, NODE2_STARTED], "promoted", "node2", NEW_PEER, True, None, [],
     ["de node2 https://10.0.0.2:2380"]),
    ("absent by name", [*OTHERS, NODE2_STARTED], "absent", "node2", [], True, None, ["remove"], []),
    ("absent by peer URL", [*OTHERS, NODE2_UNSTARTED], "absent", None, NEW_PEER, True, None, ["remove"], []),
    ("absent by id in hex", [*OTHERS, NODE2_STARTED], "absent", None, [], True, "de", ["remove"], []),
    ("absent is idempotent", OTHERS, "absent", "node2", NEW_PEER, True, "222", [], []),
    ("replace removes old id then adds", [*OTHERS, NODE2_STARTED], "present", "node2", NEW_PEER, True, "222",
     ["remove", "add"], ["(new) (unstarted) https://10.0.0.2:2380 learner"]),
    ("replace done: old id gone", [*OTHERS, NODE2_UNSTARTED], "present", "node2", NEW_PEER, True, "222000", [],
     ["de (unstarted) https://10.0.0.2:2380 learner"]),
]


@pytest.mark.parametrize(
    "cluster,state,name,peer_urls,learner,remove_id,actions,node2_lines",
    [case[1:] for case in CHANGES],
    ids=[case[0] for case in CHANGES],
)
def test_plan_member_changes(
    cluster: list[ClusterMember],
    state: str,
    name: str | None,
    peer_urls: list[str],
    learner: bool,
    remove_id: str | None,
    actions: list[str],
    node2_lines: list[str],
) -> None:
    before = [member_line(member) for member in cluster]
    plan = plan_member_changes(
        cluster, name=name, peer_urls=peer_urls, state=state, learner=learner, remove_id=remove_id
    )
    assert [change.action for change in plan.changes] == actions
    assert plan.changed == bool(actions)
    others_after = [line for line in plan.diff()["after"].splitlines() if "10.0.0.2" not in line]
    assert others_after == ["14d node3 https://10.0.0.3:2380", "6f node1 https://10.0.0.1:2380"]
    assert [line for line in plan.diff()["after"].splitlines() if "10.0.0.2" in line] == node2_lines
    assert (plan.diff()["before"] != plan.diff()["after"]) == plan.changed
    # Planning never alters the live list it was given.
    assert [member_line(member) for member in cluster] == before


def test_plan_member_changes_result_uses_the_id_etcd_assigned() -> None:
    plan = plan_member_changes(OTHERS, name="node2", peer_urls=NEW_PEER, state="present", learner=True, remove_id=None)
    added = ClusterMember("4096", "", NEW_PEER, [], is_learner=True)
    result = plan.result(added)
    assert result["changed"] is True
    assert result["member"]["id"] == "4096" and result["member"]["hex_id"] == "1000"
    assert result["actions"] == ["add learner with peer URLs https://10.0.0.2:2380"]
    assert sorted(member["id"] for member in result["members"]) == ["111", "333", "4096"]


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"state": "present", "name": "node2", "peer_urls": [], "remove_id": None}, "peer_urls are required"),
        ({"state": "absent", "name": None, "peer_urls": [], "remove_id": None}, "name, peer_urls or remove_id"),
        ({"state": "gone", "name": "node2", "peer_urls": NEW_PEER, "remove_id": None}, "'gone'"),
        ({"state": "absent", "name": None, "peer_urls": [], "remove_id": "xyz-1"}, "'xyz-1'"),
    ],
)
def test_plan_member_changes_rejects(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(EtcdModelError, match=fragment):
        plan_member_changes(OTHERS, learner=True, **kwargs)


@pytest.mark.parametrize(
    "given,expected",
    [("8e9e05c52164694d", "10276657743932975437"), ("0x10", "16"), ("10276657743932975437", "10276657743932975437"),
     (16, "16")],
)
def test_normalize_member_id(given: Any, expected: str) -> None:
    assert normalize_member_id(given) == expected


@pytest.mark.parametrize("given", ["", "0", "zz", True, str(2**64)])
def test_normalize_member_id_rejects(given: Any) -> None:
    with pytest.raises(EtcdModelError, match="invalid etcd member ID"):
        normalize_member_id(given)


# --- filters ------------------------------------------------------------------------------------------------

FILTERS = FilterModule().filters()


def test_filters_chain_from_inventory_to_plan() -> None:
    settings = {"h1": {"address": "10.0.0.1"}, "h2": {"address": "10.0.0.2", "name": "second"}}
    members = [asdict(member) for member in build_cluster(["h1", "h2"], settings, scheme="http", client_port=2379,
                                                          peer_port=2380)]
    assert members[1] == {"name": "second", "address": "10.0.0.2", "peer_url": "http://10.0.0.2:2380",
                          "client_url": "http://10.0.0.2:2379"}
    assert FILTERS["etcd_initial_cluster"](members) == "h1=http://10.0.0.1:2380,second=http://10.0.0.2:2380"
    args = FILTERS["etcd_args"](members[0], members, "new", "tok", "/var/lib/etcd")
    assert "--name=h1" in args and args[0] == "etcd"
    live = [ClusterMember("1", "h1", ["http://10.0.0.1:2380"], ["http://10.0.0.1:2379"]).to_dict()]
    assert FILTERS["etcd_member_plan"](members[1], False, live)["action"] == "join"
    assert FILTERS["etcd_member_plan"](members[0], False, None)["action"] == "bootstrap"
    assert FILTERS["etcd_join_initial_cluster"](members[1], live) == "h1=http://10.0.0.1:2380,second=http://10.0.0.2:2380"


def test_join_filter_accepts_what_etcd_member_returns_in_check_mode() -> None:
    plan = plan_member_changes(
        [NODE1_LIVE], name="node2", peer_urls=NEW_PEER, state="promoted", learner=True, remove_id=None
    )
    result = plan.result()  # check mode: nothing added, the new member keeps the placeholder ID
    assert result["actions"] == [f"add learner with peer URLs {NEW_PEER[0]}", "promote the member added above"]
    member = {"name": "node2", "address": "10.0.0.2", "peer_url": NEW_PEER[0], "client_url": "https://10.0.0.2:2379"}
    joined = FILTERS["etcd_join_initial_cluster"](member, result["members"])
    assert joined == "node1=https://10.0.0.1:2380,node2=https://10.0.0.2:2380"


@pytest.mark.parametrize(
    "name,args,fragment",
    [
        ("etcd_member_plan", ({"name": "h"}, False, None), "'address'"),
        ("etcd_member_plan", ({"name": "h", "address": "a", "peer_url": "p", "client_url": "c"}, "false", None),
         "boolean"),
        ("etcd_snapshots_to_prune", (["a.db"], "2"), "etcd_backup_keep"),
        ("etcd_replacement", ([], {}, ""), "etcd_replace_member"),
    ],
)
def test_filters_raise_filter_errors(name: str, args: tuple, fragment: str) -> None:
    with pytest.raises(AnsibleFilterError, match=fragment):
        FILTERS[name](*args)


# --- operations: backup source, retention, replacement ----------------------------------------------------

HEALTHY = {"healthy": True, "error": ""}
DOWN = {"healthy": False, "error": "connection refused"}


def health_of(*states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"https://10.0.0.{i}:2379": state for i, state in enumerate(states, start=1)}


@pytest.mark.parametrize(
    "health,expected",
    [
        (health_of(HEALTHY, HEALTHY, HEALTHY), "node1"),
        (health_of(DOWN, HEALTHY, HEALTHY), "node2"),
        (health_of(DOWN, DOWN, HEALTHY), "node3"),
        ({"https://10.0.0.3:2379": HEALTHY}, "node3"),
    ],
)
def test_first_healthy_host(health: dict, expected: str) -> None:
    assert first_healthy_host(["node1", "node2", "node3"], three_members(), health) == expected


def test_first_healthy_host_names_every_error_when_none_is_healthy() -> None:
    with pytest.raises(EtcdModelError, match="node1: connection refused; node2: connection refused; node3: no answer"):
        first_healthy_host(["node1", "node2", "node3"], three_members(), health_of(DOWN, DOWN))


def test_first_healthy_host_needs_one_member_per_host() -> None:
    with pytest.raises(EtcdModelError, match="one member per host"):
        first_healthy_host(["node1"], three_members(), health_of(HEALTHY))


SNAPSHOTS = [f"/b/curtain-etcd-2026112{day}T000000Z.db" for day in (3, 5, 1, 4, 2)]


@pytest.mark.parametrize(
    "keep,expected",
    [
        (1, [f"/b/curtain-etcd-2026112{day}T000000Z.db" for day in (4, 3, 2, 1)]),
        (3, ["/b/curtain-etcd-20261122T000000Z.db", "/b/curtain-etcd-20261121T000000Z.db"]),
        (5, []),
        (9, []),
    ],
)
def test_snapshots_to_prune_keeps_the_newest(keep: int, expected: list[str]) -> None:
    assert snapshots_to_prune(SNAPSHOTS, keep) == expected


@pytest.mark.parametrize("keep", [0, -1, True, "2", None])
def test_snapshots_to_prune_rejects_a_bad_keep(keep: Any) -> None:
    with pytest.raises(EtcdModelError, match="etcd_backup_keep"):
        snapshots_to_prune(SNAPSHOTS, keep)


CLUSTER = [NODE1_LIVE, NODE2_STARTED, NODE3_LIVE]


@pytest.mark.parametrize(
    "cluster,health,name,remove_id",
    [
        (CLUSTER, health_of(HEALTHY, DOWN, HEALTHY), "node2", "222"),  # the usual case: a dead member
        (CLUSTER, health_of(HEALTHY, HEALTHY, HEALTHY), "node2", "222"),  # a healthy one may move hosts
        ([NODE1_LIVE, NODE3_LIVE], health_of(HEALTHY, DOWN, HEALTHY), "node2", None),  # already removed
        ([NODE1_LIVE, NODE2_LEARNER], health_of(DOWN, DOWN), "node2", "222"),  # a learner has no vote
    ],
)
def test_replacement(cluster: list[ClusterMember], health: dict, name: str, remove_id: str | None) -> None:
    assert replacement(cluster, health, name)["remove_id"] == remove_id


def test_replacement_refuses_to_lose_quorum() -> None:
    # node2 is healthy but node3 is down: without node2, one healthy voter of two is no majority.
    with pytest.raises(EtcdModelError, match="1 healthy of 2 voting members"):
        replacement(CLUSTER, health_of(HEALTHY, HEALTHY, DOWN), "node2")


def test_replacement_needs_a_name() -> None:
    with pytest.raises(EtcdModelError, match="etcd_replace_member"):
        replacement(CLUSTER, {}, "")

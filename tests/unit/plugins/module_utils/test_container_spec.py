import pytest
from ansible_collections.curtain.kube.plugins.module_utils.container_spec import (
    config_hash,
    current_command,
    current_config_hash,
    is_running,
    keep_flags,
)

RUNNING = {
    "exists": True,
    "container": {
        "Path": "etcd",
        "Args": ["--data-dir=/d", "--initial-cluster-state=new", "--initial-cluster=a=http://a:2380"],
        "Config": {"Labels": {"io.curtain.config-hash": "abc"}},
        "State": {"Running": True},
    },
}


def test_hash_ignores_key_order_and_sees_values():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


@pytest.mark.parametrize(
    "info,expected_hash,expected_running",
    [
        ({"exists": False}, None, False),
        (RUNNING, "abc", True),
        ({"exists": True, "container": {"Config": {"Labels": None}, "State": {"Running": False}}}, None, False),
    ],
)
def test_reading_container_info(info, expected_hash, expected_running):
    assert current_config_hash(info) == expected_hash
    assert is_running(info) is expected_running


def test_current_command_joins_path_and_args():
    assert current_command(RUNNING)[:2] == ["etcd", "--data-dir=/d"]
    assert current_command({"exists": False}) == []


def test_keep_flags_takes_first_start_flags_from_the_running_container():
    desired = ["etcd", "--data-dir=/d", "--initial-cluster-state=existing", "--initial-cluster=a=http://a:2380,b=http://b:2380"]
    kept = keep_flags(desired, current_command(RUNNING), ["--initial-cluster"])
    assert kept == ["etcd", "--data-dir=/d", "--initial-cluster-state=new", "--initial-cluster=a=http://a:2380"]


def test_keep_flags_without_a_current_container_changes_nothing():
    desired = ["etcd", "--initial-cluster-state=new"]
    assert keep_flags(desired, [], ["--initial-cluster"]) == desired


def test_keep_flags_replaces_only_the_flags_it_is_given():
    desired = ["etcd", "--initial-cluster-token=t", "--initial-cluster=a=x", "--name=a"]
    kept = keep_flags(desired, ["--initial-cluster=a=y,b=z"], ["--initial-cluster"])
    assert kept == ["etcd", "--initial-cluster-token=t", "--initial-cluster=a=y,b=z", "--name=a"]

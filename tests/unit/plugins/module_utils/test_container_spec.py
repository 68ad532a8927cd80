import copy

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.container_spec import (
    config_hash,
    current_command,
    current_config_hash,
    is_current,
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


# A survey (curtain.kube.host_survey's) of a host whose kubelet container runs as planned.
IMAGE_ID = "sha256:" + "1" * 64
CURRENT = {
    "images": {"curtain/kubelet:v1.37.2": {"present": True, "id": IMAGE_ID}},
    "inspected": {"curtain-kubelet": {"Image": IMAGE_ID, "State": {"Running": True},
                                      "Config": {"Labels": {"io.curtain.config-hash": "abc"}},
                                      "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}}}},
}


def _changed(path: tuple[str, ...], value: object) -> dict:
    survey = copy.deepcopy(CURRENT)
    target = survey
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return survey


def test_a_container_running_as_planned_from_the_engine_s_image_is_current():
    assert is_current(CURRENT, "curtain-kubelet", "abc", "curtain/kubelet:v1.37.2")
    assert is_current(CURRENT, "curtain-kubelet", "abc", "curtain/kubelet:v1.37.2", "unless-stopped")


@pytest.mark.parametrize(("survey", "restart_policy"), [
    (_changed(("inspected", "curtain-kubelet"), None), None),  # no such container
    (_changed(("inspected", "curtain-kubelet", "State", "Running"), False), None),  # stopped
    (_changed(("inspected", "curtain-kubelet", "Config", "Labels"), {"io.curtain.config-hash": "old"}), None),
    (_changed(("inspected", "curtain-kubelet", "Image"), "sha256:" + "2" * 64), None),  # another build of the name
    (_changed(("images", "curtain/kubelet:v1.37.2"), {"present": False, "id": None}), None),  # the image is gone
    (_changed(("inspected",), {}), None),  # not inspected
    (CURRENT, "always"),  # restarting by another policy (docker update)
])
def test_anything_else_is_not_current(survey: dict, restart_policy: str | None):
    assert not is_current(survey, "curtain-kubelet", "abc", "curtain/kubelet:v1.37.2", restart_policy)


def test_another_image_name_is_not_current():
    assert not is_current(CURRENT, "curtain-kubelet", "abc", "curtain/kubelet:v1.36.3")

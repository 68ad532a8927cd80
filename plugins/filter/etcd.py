# Copyright: curtain contributors
# Apache License 2.0
"""Filters that expose the etcd cluster model (module_utils/etcd_model.py) to the etcd role's YAML.

etcd_initial_cluster(members) -> "n1=https://10.0.0.1:2380,..."
etcd_join_initial_cluster(member, cluster_members) -> --initial-cluster for a member joining the live cluster
etcd_args(member, members, state, cluster_token, data_dir, tls, enable_v2, extra, initial_cluster_value) -> [str]
etcd_member_plan(member, has_data, cluster_members or none) -> {action, initial_cluster_state, remove_id, ...}
etcd_healthy_host(hosts, members, health) -> the first host whose member is healthy (the backup source)
etcd_snapshots_to_prune(paths, keep) -> the snapshot paths beyond the newest `keep`
etcd_replacement(cluster_members, health, name) -> {remove_id, reason}, or an error when quorum would be lost
etcd_release_plan(version, profile, enable_v2, running, image) -> {version, image, path, warnings} (etcd_release.py;
  the etcd role's own plan is module_utils/etcd_plan.py, playbooks/offline_bundle.yml names the default image)
etcd_upgrade_plan(target, running, enable_v2) -> {from, current, path}: oldest and newest running, releases in turn
  (`running`: the release each member's look found, "" where none)
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import (
    ClusterMember,
    EtcdMember,
    EtcdModelError,
    etcd_args,
    first_healthy_host,
    initial_cluster,
    join_initial_cluster,
    plan_member,
    replacement,
    snapshots_to_prune,
)
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import parse as parse_version
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import (
    release_plan,
    upgrade_path,
)
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)


def _member(data: Any) -> EtcdMember:
    if isinstance(data, EtcdMember):
        return data
    if not isinstance(data, dict):
        raise EtcdModelError(f"an etcd member must be a mapping from etcd_cluster, got {data!r}")
    try:
        return EtcdMember(
            name=str(data["name"]),
            address=str(data["address"]),
            peer_url=str(data["peer_url"]),
            client_url=str(data["client_url"]),
        )
    except KeyError as error:
        missing = error.args[0]
        raise EtcdModelError(f"an etcd member mapping lacks {missing!r}: use the output of etcd_cluster") from None


def _members(data: Any) -> list[EtcdMember]:
    if not isinstance(data, list):
        raise EtcdModelError(f"etcd members must be a list from etcd_cluster, got {data!r}")
    return [_member(item) for item in data]


def _cluster(data: Any) -> list[ClusterMember]:
    if not isinstance(data, list):
        raise EtcdModelError(f"cluster members must be a list (etcd_member_info's members), got {data!r}")
    return [ClusterMember.from_dict(item) for item in data]


@_filter_errors
def etcd_initial_cluster(members: list[dict[str, str]]) -> str:
    return initial_cluster(_members(members))


@_filter_errors
def etcd_join_initial_cluster(member: dict[str, str], cluster_members: list[dict[str, Any]]) -> str:
    return join_initial_cluster(_member(member), _cluster(cluster_members))


@_filter_errors
def etcd_args_filter(
    member: dict[str, str],
    members: list[dict[str, str]],
    state: str,
    cluster_token: str,
    data_dir: str,
    tls: dict[str, str] | None = None,
    enable_v2: bool = False,
    extra: dict[str, Any] | None = None,
    initial_cluster_value: str | None = None,
) -> list[str]:
    return etcd_args(
        _member(member),
        members=_members(members),
        state=state,
        cluster_token=cluster_token,
        data_dir=data_dir,
        tls=dict(tls) if tls else None,
        enable_v2=bool(enable_v2),
        extra=dict(extra or {}),
        initial_cluster_value=initial_cluster_value or None,
    )


@_filter_errors
def etcd_member_plan(
    member: dict[str, str], has_data: bool, cluster_members: list[dict[str, Any]] | None
) -> dict[str, Any]:
    # A string "false" would be truthy: insist on a real boolean (the look's `has_data`).
    if not isinstance(has_data, bool):
        raise EtcdModelError(f"etcd_member_plan: has_data must be a boolean, got {has_data!r}")
    cluster = None if cluster_members is None else _cluster(cluster_members)
    return plan_member(_member(member), has_data=has_data, cluster=cluster).to_dict()


@_filter_errors
def etcd_healthy_host(hosts: list[str], members: list[dict[str, str]], health: dict[str, dict[str, Any]]) -> str:
    return first_healthy_host(list(hosts), _members(members), dict(health))


@_filter_errors
def etcd_snapshots_to_prune(paths: list[str], keep: int) -> list[str]:
    return snapshots_to_prune(list(paths), keep)


@_filter_errors
def etcd_replacement(cluster_members: list[dict[str, Any]], health: dict[str, dict[str, Any]], name: str) -> dict:
    return replacement(_cluster(cluster_members), dict(health), name)


def _running_versions(running: list[Any] | None) -> list[str]:
    """The releases the members run: each member's look (module_utils/etcd_plan.look), "" where it is unknown."""
    return [str(release) for release in running or [] if release]


@_filter_errors
def etcd_release_plan(
    version: str, profile: str, enable_v2: bool = False, running: list[Any] | None = None, image: str = ""
) -> dict[str, Any]:
    """The release the role runs and its image (`image` when set, else curtain/etcd:<version>)."""
    plan = release_plan(str(version or ""), str(profile), bool(enable_v2), _running_versions(running))
    return {**plan, "image": str(image)} if image else plan


@_filter_errors
def etcd_upgrade_plan(target: str, running: list[Any], enable_v2: bool = False) -> dict[str, Any]:
    """What playbooks/etcd_upgrade.yml does: {from, current, path}: the oldest and the newest release the members
    run (they differ while an interrupted upgrade is resumed), and the releases to run in turn."""
    running = _running_versions(running)
    path = upgrade_path(running, str(target), bool(enable_v2), variable="etcd_upgrade_version")
    ordered = sorted(running, key=lambda version: parse_version(version, "running etcd version"))
    return {"from": ordered[0] if ordered else "", "current": ordered[-1] if ordered else "", "path": path}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "etcd_initial_cluster": etcd_initial_cluster,
            "etcd_join_initial_cluster": etcd_join_initial_cluster,
            "etcd_args": etcd_args_filter,
            "etcd_member_plan": etcd_member_plan,
            "etcd_healthy_host": etcd_healthy_host,
            "etcd_snapshots_to_prune": etcd_snapshots_to_prune,
            "etcd_replacement": etcd_replacement,
            "etcd_release_plan": etcd_release_plan,
            "etcd_upgrade_plan": etcd_upgrade_plan,
        }

"""Decisions about the containers the roles run, made before any container is touched.

The roles label every container with a hash of its desired configuration. Comparing that label with the
desired hash tells, without starting anything, which members need a (rolling) restart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

CONFIG_HASH_LABEL = "io.curtain.config-hash"


def config_hash(spec: Mapping[str, Any]) -> str:
    """A stable short hash of a container specification (key order does not matter)."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def current_config_hash(container_info: Mapping[str, Any]) -> str | None:
    """The hash label of a container as returned by community.docker.docker_container_info."""
    if not container_info.get("exists"):
        return None
    labels = (container_info.get("container") or {}).get("Config", {}).get("Labels") or {}
    return labels.get(CONFIG_HASH_LABEL)


def is_running(container_info: Mapping[str, Any]) -> bool:
    container = container_info.get("container") or {}
    return bool(container_info.get("exists") and container.get("State", {}).get("Running"))


def is_current(survey: Mapping[str, Any], name: str, wanted_hash: str, image: str,
               restart_policy: str | None = None) -> bool:
    """Whether the container `name`, as curtain.kube.host_survey saw it (`survey` inspected it and looked at
    `image`), runs with the configuration whose hash is `wanted_hash` and from the image the Engine now has under
    `image`'s name (and with `restart_policy`, where the hash does not hold it): then
    community.docker.docker_container has nothing to do, and the role skips it. A container that is missing, stopped,
    labelled with another hash, made from another build of the image or restarting by another policy is not
    current. The survey must be newer than any change to the image (the roles ask only where their images were all
    there)."""
    container = (survey.get("inspected") or {}).get(name) or {}
    found = (survey.get("images") or {}).get(image) or {}
    labels = (container.get("Config") or {}).get("Labels") or {}
    policy = (((container.get("HostConfig") or {}).get("RestartPolicy")) or {}).get("Name")
    return bool(container and found.get("present") and (container.get("State") or {}).get("Running")
                and labels.get(CONFIG_HASH_LABEL) == wanted_hash and container.get("Image") == found.get("id")
                and (restart_policy is None or policy == restart_policy))


def current_command(container_info: Mapping[str, Any]) -> list[str]:
    """The command (entrypoint arguments included) a container was started with."""
    container = container_info.get("container") or {}
    if not container_info.get("exists"):
        return []
    return [container.get("Path", ""), *(container.get("Args") or [])]


def keep_flags(desired: Sequence[str], current: Sequence[str], prefixes: Sequence[str]) -> list[str]:
    """`desired` with each `--flag=` starting with one of `prefixes` taken from `current` instead.

    Flags that only matter on first start (etcd's --initial-*) must not restart a running member
    just because the cluster around it changed since.
    """

    def chosen(args: Sequence[str]) -> dict[str, str]:
        return {arg.split("=", 1)[0]: arg for arg in args if arg.startswith(tuple(prefixes))}

    kept = chosen(current)
    others = [arg for arg in desired if arg.split("=", 1)[0] not in kept]
    if not others:
        return sorted(kept.values())
    return [others[0], *sorted(others[1:] + list(kept.values()))]

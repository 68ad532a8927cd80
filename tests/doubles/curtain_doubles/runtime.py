"""The kubelet double's container runtime: Docker Engine's API through the Docker SDK.

Containers are named and labelled as the dockershim-era kubelet did (io.kubernetes.* labels and the name
`k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`), plus io.curtain.double=true and the node name, so that a
kubelet double manages only the containers of its own node and every container a double made can be found and
removed by label.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from curtain_doubles.pods import ContainerPlan, Mount, PodPlan

DOUBLE_LABEL = "io.curtain.double"
NODE_LABEL = "io.curtain.double.node"
MANIFEST_LABEL = "io.curtain.double.manifest"
POD_NAME_LABEL = "io.kubernetes.pod.name"
POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
POD_UID_LABEL = "io.kubernetes.pod.uid"
CONTAINER_NAME_LABEL = "io.kubernetes.container.name"
RESTART_COUNT_LABEL = "annotation.io.kubernetes.container.restartCount"
DOCKER_TYPE_LABEL = "io.kubernetes.docker.type"
GRACE_LABEL = "annotation.io.kubernetes.pod.terminationGracePeriod"  # read back when the manifest is gone


class RuntimeProblem(Exception):
    """Docker refused or failed an operation; the message is what the kubelet logs (ErrImagePull, ...)."""


@dataclass(frozen=True)
class Observed:
    """A container of this node as Docker lists it."""

    id: str
    name: str
    pod_uid: str
    pod_name: str
    container: str
    attempt: int
    state: str  # created, running, exited, dead, ...
    grace_seconds: int


def container_name(pod: PodPlan, container: ContainerPlan, attempt: int) -> str:
    return f"k8s_{container.name}_{pod.name}_{pod.namespace}_{pod.uid}_{attempt}"


def labels(pod: PodPlan, container: ContainerPlan, node: str, attempt: int) -> dict[str, str]:
    return {
        DOUBLE_LABEL: "true",
        NODE_LABEL: node,
        MANIFEST_LABEL: pod.manifest,
        POD_NAME_LABEL: pod.name,
        POD_NAMESPACE_LABEL: pod.namespace,
        POD_UID_LABEL: pod.uid,
        CONTAINER_NAME_LABEL: container.name,
        DOCKER_TYPE_LABEL: "container",
        RESTART_COUNT_LABEL: str(attempt),
        GRACE_LABEL: str(pod.grace_seconds),
    }


def _bind(mount: Mount) -> str:
    """Docker's `source:target:options`; a missing host directory is created, as Docker (and dockershim) did."""
    options = ["ro" if mount.read_only else "rw", *([mount.propagation] if mount.propagation else [])]
    return f"{mount.source}:{mount.target}:{','.join(options)}"


def create_arguments(pod: PodPlan, container: ContainerPlan, node: str, attempt: int) -> dict[str, Any]:
    """The Docker SDK's containers.create() arguments for one container of a pod."""
    binds = [_bind(mount) for mount in container.mounts]
    arguments: dict[str, Any] = {
        "image": container.image,
        "name": container_name(pod, container, attempt),
        "labels": labels(pod, container, node, attempt),
        "entrypoint": list(container.command) if container.command else None,
        "command": list(container.args) if container.args else None,
        "environment": list(container.env),
        "working_dir": container.working_dir,
        "volumes": binds,
        "network_mode": "host" if pod.host_network else None,
        "hostname": None if pod.host_network else pod.name[:63],
        "pid_mode": "host" if pod.host_pid else None,
        "ipc_mode": "host" if pod.host_ipc else None,
        "ports": dict(container.ports) or None,
        "privileged": container.privileged,
        "cap_add": list(container.cap_add) or None,
        "cap_drop": list(container.cap_drop) or None,
        "user": container.user,
        "read_only": container.read_only_root,
        "tty": container.tty,
        "stdin_open": container.stdin,
    }
    return {key: value for key, value in arguments.items() if value is not None}


def _epoch(timestamp: str) -> float:
    """Docker's RFC 3339 time with nanoseconds, as seconds since the epoch (0 when unset)."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?", timestamp)
    if not match or timestamp.startswith("0001"):
        return 0.0
    whole = datetime.datetime.fromisoformat(match.group(1)).replace(tzinfo=datetime.UTC).timestamp()
    return whole + float(match.group(2) or 0)


def _observed(summary: Mapping[str, Any]) -> Observed:
    container_labels = summary.get("Labels") or {}
    names = summary.get("Names") or ["/?"]
    return Observed(
        id=str(summary["Id"]),
        name=str(names[0]).lstrip("/"),
        pod_uid=container_labels.get(POD_UID_LABEL, ""),
        pod_name=container_labels.get(POD_NAME_LABEL, ""),
        container=container_labels.get(CONTAINER_NAME_LABEL, ""),
        attempt=int(container_labels.get(RESTART_COUNT_LABEL, "0") or 0),
        state=str(summary.get("State", "")),
        grace_seconds=int(container_labels.get(GRACE_LABEL, "30") or 30),
    )


class DockerRuntime:
    def __init__(self, base_url: str, node: str) -> None:
        self.base_url = base_url
        self.node = node
        self._client: docker.DockerClient | None = None

    @property
    def client(self) -> docker.DockerClient:
        """Connected on first use: the SDK asks the daemon for its API version, which fails while it is down."""
        if self._client is None:
            try:
                self._client = docker.DockerClient(base_url=self.base_url, version="auto", timeout=120)
            except (DockerException, OSError) as error:
                raise RuntimeProblem(f"Cannot connect to the Docker daemon at {self.base_url}: {error}") from None
        return self._client

    def ping(self) -> None:
        try:
            self.client.ping()
        except (DockerException, OSError) as error:
            raise RuntimeProblem(f"Cannot connect to the Docker daemon at {self.base_url}: {error}") from None

    def observed(self) -> list[Observed]:
        # Pod containers only: the doubles' images carry io.curtain.double=true themselves, so a kubelet double's
        # own container may have the first two labels as well.
        filters = {"label": [f"{DOUBLE_LABEL}=true", f"{NODE_LABEL}={self.node}", f"{DOCKER_TYPE_LABEL}=container"]}
        return [_observed(summary) for summary in self.client.api.containers(all=True, filters=filters)]

    def exit_state(self, container_id: str) -> tuple[int, float]:
        """The exit code of a stopped container and when it finished (seconds since the epoch)."""
        state = self.client.api.inspect_container(container_id)["State"]
        return int(state.get("ExitCode", 0)), _epoch(str(state.get("FinishedAt", "")))

    def ensure_image(self, image: str, policy: str) -> None:
        present = self._present(image)
        if policy == "Never" and not present:
            raise RuntimeProblem(
                f'ErrImageNeverPull: Container image "{image}" is not present with pull policy of Never'
            )
        if policy == "Always" or not present:
            try:
                self.client.images.pull(image)
            except (APIError, DockerException) as error:
                raise RuntimeProblem(f'ErrImagePull: failed to pull image "{image}": {error}') from None

    def _present(self, image: str) -> bool:
        try:
            self.client.images.get(image)
            return True
        except ImageNotFound:
            return False

    def start(self, pod: PodPlan, container: ContainerPlan, attempt: int) -> str:
        for volume in pod.volumes:
            self.client.volumes.create(name=volume, labels={DOUBLE_LABEL: "true", NODE_LABEL: self.node,
                                                             POD_UID_LABEL: pod.uid})
        try:
            created = self.client.containers.create(**create_arguments(pod, container, self.node, attempt))
            created.start()
        except (APIError, DockerException) as error:
            raise RuntimeProblem(f"CreateContainerError: {error}") from None
        return str(created.id)

    def start_existing(self, container_id: str) -> None:
        self.client.api.start(container_id)

    def remove(self, container_id: str, grace_seconds: int) -> None:
        """Stops (SIGTERM, then SIGKILL after the grace period) and removes a container; gone already is fine."""
        try:
            self.client.api.stop(container_id, timeout=grace_seconds)
        except NotFound:
            return
        except APIError:
            pass  # not running; remove it all the same
        with contextlib.suppress(NotFound):
            self.client.api.remove_container(container_id, force=True)

    def remove_volumes(self, pod_uid: str) -> None:
        for volume in self.client.volumes.list(filters={"label": [f"{POD_UID_LABEL}={pod_uid}",
                                                                  f"{NODE_LABEL}={self.node}"]}):
            with contextlib.suppress(NotFound):
                volume.remove(force=True)

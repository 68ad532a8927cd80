"""Static pod manifests: read, validated as v1 Pods, defaulted as the kubelet does, and planned as containers.

A manifest is one file (YAML or JSON) in the static pod directory; files whose names start with "." are ignored,
as the kubelet ignores them. Validation is the official v1 Pod schema (podschema) plus the checks of the API
server's pod validation that the schema cannot express and that matter here (names, images, volume references).
Pods that use what the double cannot run (see UNSUPPORTED) are refused with a log line saying so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from curtain_doubles import podschema
from curtain_doubles.pemfiles import one_line

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SUPPORTED_VOLUMES = ("hostPath", "emptyDir")
_FIELD_REFS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName")
RESTART_POLICIES = ("Always", "OnFailure", "Never")


class ManifestError(Exception):
    """The manifest is not a pod the kubelet would run; the message says why."""


@dataclass(frozen=True)
class Mount:
    source: str  # a host path, or the Docker volume name of an emptyDir
    target: str
    read_only: bool
    propagation: str = ""  # rslave / rshared for HostToContainer / Bidirectional
    volume: bool = False  # True for an emptyDir (a Docker named volume)


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    image: str
    pull_policy: str
    command: tuple[str, ...] | None
    args: tuple[str, ...] | None
    env: tuple[str, ...]
    working_dir: str | None
    mounts: tuple[Mount, ...]
    ports: Mapping[str, tuple[str, int]]
    privileged: bool
    cap_add: tuple[str, ...]
    cap_drop: tuple[str, ...]
    user: str | None
    read_only_root: bool
    tty: bool
    stdin: bool


@dataclass(frozen=True)
class PodPlan:
    name: str  # <metadata.name>-<node name>, the static pod's name
    namespace: str
    uid: str
    manifest: str
    host_network: bool
    host_pid: bool
    host_ipc: bool
    restart_policy: str
    grace_seconds: int
    containers: tuple[ContainerPlan, ...]
    volumes: tuple[str, ...] = field(default=())  # Docker volume names of its emptyDirs


def manifest_files(path: str) -> list[Path]:
    """The manifest files under the static pod path (a directory, or a single file as 1.1 allowed)."""
    source = Path(path)
    if source.is_file():
        return [source]
    if not source.is_dir():
        return []
    return sorted(entry for entry in source.iterdir() if entry.is_file() and not entry.name.startswith("."))


def parse(data: bytes) -> dict[str, Any]:
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise ManifestError(f"could not decode the manifest: yaml: {one_line(error)}") from None
    if not isinstance(document, dict):
        raise ManifestError("could not decode the manifest: it is not an object")
    if document.get("apiVersion") != "v1" or document.get("kind") != "Pod":
        raise ManifestError(
            f"the manifest is not a v1 Pod (apiVersion {document.get('apiVersion')!r}, kind {document.get('kind')!r})"
        )
    return document


def _problems(pod: Mapping[str, Any]) -> list[str]:
    """The API server's pod validation, the parts the schema cannot say."""
    metadata, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    problems = []
    name = str(metadata.get("name") or "")
    if not name or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        problems.append(f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 subdomain is required")
    namespace = str(metadata.get("namespace") or "default")
    if not _DNS_LABEL.match(namespace):
        problems.append(f"metadata.namespace: Invalid value: {namespace!r}")
    if spec.get("restartPolicy", "Always") not in RESTART_POLICIES:
        problems.append(f"spec.restartPolicy: Unsupported value: {spec.get('restartPolicy')!r}")
    volumes = [str(volume.get("name")) for volume in spec.get("volumes") or []]
    if len(set(volumes)) != len(volumes):
        problems.append("spec.volumes: Duplicate value: a volume name is used twice")
    containers = spec.get("containers") or []
    if not containers:
        problems.append("spec.containers: Required value")
    names = [str(container.get("name") or "") for container in containers]
    if len(set(names)) != len(names):
        problems.append("spec.containers: Duplicate value: a container name is used twice")
    for index, container in enumerate(containers):
        problems.extend(_container_problems(f"spec.containers[{index}]", container, set(volumes)))
    return problems


def _container_problems(where: str, container: Mapping[str, Any], volumes: set[str]) -> list[str]:
    problems = []
    name = str(container.get("name") or "")
    if not _DNS_LABEL.match(name) or len(name) > 63:
        problems.append(f"{where}.name: Invalid value: {name!r}: a lowercase RFC 1123 label is required")
    if not str(container.get("image") or "").strip():
        problems.append(f"{where}.image: Required value")
    for index, mount in enumerate(container.get("volumeMounts") or []):
        if mount.get("name") not in volumes:
            problems.append(f"{where}.volumeMounts[{index}].name: Not found: {mount.get('name')!r}")
        if not mount.get("mountPath"):
            problems.append(f"{where}.volumeMounts[{index}].mountPath: Required value")
    return problems


def _unsupported(pod: Mapping[str, Any]) -> list[str]:
    """What a valid pod asks for that the double cannot do; such a pod is refused rather than run half right."""
    spec = pod.get("spec") or {}
    reasons = [f"spec.{key}" for key in ("initContainers", "ephemeralContainers") if spec.get(key)]
    for volume in spec.get("volumes") or []:
        kinds = [key for key in volume if key != "name"]
        if not any(kind in _SUPPORTED_VOLUMES for kind in kinds):
            reasons.append(f"volume {volume.get('name')!r} of type {', '.join(kinds) or '?'} (only hostPath, emptyDir)")
    empty_dirs = {volume.get("name") for volume in spec.get("volumes") or [] if "emptyDir" in volume}
    for container in spec.get("containers") or []:
        mounts = container.get("volumeMounts") or []
        if any(mount.get("subPath") and mount.get("name") in empty_dirs for mount in mounts):
            reasons.append(f"container {container.get('name')!r}: subPath in an emptyDir volume")
        if container.get("envFrom"):
            reasons.append(f"container {container.get('name')!r}: envFrom")
        for variable in container.get("env") or []:
            source = variable.get("valueFrom")
            if source and (source.get("fieldRef") or {}).get("fieldPath") not in _FIELD_REFS:
                reasons.append(f"container {container.get('name')!r}: env {variable.get('name')!r} valueFrom {source}")
    return reasons


def validate(pod: dict[str, Any], schema_version: str) -> None:
    """ManifestError when the pod is invalid (schema, then API validation) or asks for what the double cannot do."""
    reason = podschema.validate_pod(pod, schema_version)
    if reason:
        raise ManifestError(f"invalid pod (v1 Pod schema of Kubernetes {schema_version}): {reason}")
    problems = _problems(pod)
    if problems:
        raise ManifestError("invalid pod: " + "; ".join(problems))
    unsupported = _unsupported(pod)
    if unsupported:
        raise ManifestError("not supported by the kubelet contract double: " + "; ".join(unsupported))


def static_uid(pod: Mapping[str, Any], node: str, source: str) -> str:
    """The kubelet's UID for a static pod without one: a hash of the pod, the node and the file it came from."""
    given = (pod.get("metadata") or {}).get("uid")
    if given:
        return str(given)
    digest = hashlib.md5(json.dumps(pod, sort_keys=True).encode(), usedforsecurity=False)
    digest.update(f"host:{node}file:{source}".encode())
    return digest.hexdigest()


def expand(text: str, variables: Mapping[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined variables are replaced, `$$` is a literal `$`, the rest stays."""
    result, index = [], 0
    while index < len(text):
        if text.startswith("$$", index):
            result.append("$")
            index += 2
        elif text.startswith("$(", index) and ")" in text[index:]:
            end = text.index(")", index)
            name = text[index + 2 : end]
            result.append(variables.get(name, text[index : end + 1]))
            index = end + 1
        else:
            result.append(text[index])
            index += 1
    return "".join(result)


def pull_policy(container: Mapping[str, Any]) -> str:
    if container.get("imagePullPolicy"):
        return str(container["imagePullPolicy"])
    image = str(container["image"])
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return "Always" if "@" not in image and tag in ("", "latest") else "IfNotPresent"


# --- planning the containers -------------------------------------------------------------------------------------


def volume_name(volume: str, pod_name: str, namespace: str, uid: str) -> str:
    """The Docker volume that holds an emptyDir, named like the pod's containers."""
    return f"k8s_{volume}_{pod_name}_{namespace}_{uid}"


def _mounts(container: Mapping[str, Any], volumes: Mapping[str, Mapping[str, Any]], volume_names: Mapping[str, str]
            ) -> tuple[Mount, ...]:
    propagation = {"HostToContainer": "rslave", "Bidirectional": "rshared"}
    mounts = []
    for mount in container.get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        read_only = bool(mount.get("readOnly"))
        mode = propagation.get(str(mount.get("mountPropagation") or ""), "")
        if "hostPath" in volume:
            source = str(volume["hostPath"]["path"]).rstrip("/") or "/"
            if mount.get("subPath"):
                source = f"{source.rstrip('/')}/{mount['subPath']}"
            mounts.append(Mount(source, str(mount["mountPath"]), read_only, mode))
        else:
            mounts.append(Mount(volume_names[mount["name"]], str(mount["mountPath"]), read_only, mode, volume=True))
    return tuple(mounts)


def _environment(container: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, str]:
    environment: dict[str, str] = {}
    for variable in container.get("env") or []:
        reference = ((variable.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        value = fields[reference] if reference else expand(str(variable.get("value", "")), environment)
        environment[str(variable["name"])] = value
    return environment


def _ports(container: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    return {
        f"{port['containerPort']}/{str(port.get('protocol', 'TCP')).lower()}": (str(port.get("hostIP", "")),
                                                                                 int(port["hostPort"]))
        for port in container.get("ports") or []
        if port.get("hostPort")
    }


def _user(container_security: Mapping[str, Any], pod_security: Mapping[str, Any]) -> str | None:
    uid = container_security.get("runAsUser", pod_security.get("runAsUser"))
    gid = container_security.get("runAsGroup", pod_security.get("runAsGroup"))
    if uid is None:
        return None
    return f"{uid}:{gid}" if gid is not None else str(uid)


def _container(container: Mapping[str, Any], pod_spec: Mapping[str, Any], fields: Mapping[str, str],
               volumes: Mapping[str, Mapping[str, Any]], volume_names: Mapping[str, str]) -> ContainerPlan:
    environment = _environment(container, fields)
    security = container.get("securityContext") or {}
    capabilities = security.get("capabilities") or {}
    command, args = container.get("command"), container.get("args")
    return ContainerPlan(
        name=str(container["name"]),
        image=str(container["image"]),
        pull_policy=pull_policy(container),
        command=tuple(expand(str(part), environment) for part in command) if command else None,
        args=tuple(expand(str(part), environment) for part in args) if args else None,
        env=tuple(f"{name}={value}" for name, value in environment.items()),
        working_dir=container.get("workingDir") or None,
        mounts=_mounts(container, volumes, volume_names),
        ports={} if pod_spec.get("hostNetwork") else _ports(container),
        privileged=bool(security.get("privileged")),
        cap_add=tuple(str(cap) for cap in capabilities.get("add") or ()),
        cap_drop=tuple(str(cap) for cap in capabilities.get("drop") or ()),
        user=_user(security, pod_spec.get("securityContext") or {}),
        read_only_root=bool(security.get("readOnlyRootFilesystem")),
        tty=bool(container.get("tty")),
        stdin=bool(container.get("stdin")),
    )


def plan(pod: Mapping[str, Any], node: str, source: str) -> PodPlan:
    """The containers of a validated static pod, named and defaulted as the kubelet does."""
    metadata, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    name = f"{metadata['name']}-{node}"
    namespace = str(metadata.get("namespace") or "default")
    uid = static_uid(pod, node, source)
    volumes = {str(volume["name"]): volume for volume in spec.get("volumes") or []}
    volume_names = {key: volume_name(key, name, namespace, uid) for key, volume in volumes.items()
                    if "emptyDir" in volume}
    fields = {"metadata.name": name, "metadata.namespace": namespace, "metadata.uid": uid, "spec.nodeName": node}
    containers = tuple(_container(c, spec, fields, volumes, volume_names) for c in spec.get("containers") or [])
    grace = spec.get("terminationGracePeriodSeconds")
    return PodPlan(
        name=name,
        namespace=namespace,
        uid=uid,
        manifest=source,
        host_network=bool(spec.get("hostNetwork")),
        host_pid=bool(spec.get("hostPID")),
        host_ipc=bool(spec.get("hostIPC")),
        restart_policy=str(spec.get("restartPolicy") or "Always"),
        grace_seconds=30 if grace is None else int(grace),
        containers=containers,
        volumes=tuple(volume_names.values()),
    )


def load(path: str, data: bytes, node: str, schema_version: str) -> PodPlan:
    """A manifest file's pod, checked and planned; ManifestError when the kubelet would not run it."""
    pod = parse(data)
    validate(pod, schema_version)
    return plan(pod, node, path)

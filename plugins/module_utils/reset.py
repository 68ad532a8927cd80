# Copyright: curtain contributors
# Apache License 2.0
"""What playbooks/reset.yml removes from a host, and what it keeps: decided before anything changes.

The reset removes only what curtain made (docs/reset.md):
- containers labelled io.curtain.managed-by=curtain (etcd, the kubelet, kube-proxy, one-shot tool containers);
- modern: every pod of curtain's kubelet, which runs in the containerd of the kubelet's container (the playbook
  removes them through crictl before the container goes; when the container is gone already, its pods run on, and
  the playbook starts that containerd alone in a throwaway container to remove them), and that containerd's data
  and configuration;
- the containers of the static pods that curtain's manifests define (the kubelet leaves its pods running when it
  stops), found by the kubelet's labels io.kubernetes.pod.namespace and io.kubernetes.pod.name=<pod>-<node>, and
  the emptyDir volumes the kubelet made for them;
- curtain's files, at the paths the inventory's settings give (the same resolution the roles use), and the
  directories that are empty once they are gone;
- etcd's data only when asked, and only after a backup (the playbook takes it through the etcd role).

A manifest is curtain's when its Pod carries app.kubernetes.io/managed-by=curtain (every modern pod and kube-proxy's
static pod), or when it is the seed profile's master.json with the pod k8s-master, which curtain writes exactly as
the seed's hyperkube image shipped it, without labels. Any other file in the manifest directory is someone else's:
it stays, and so do the containers of its pod.

Two steps, because YAML manifests are parsed where PyYAML is sure to be (the controller), while the files are read
where they are (the host):
    look(paths)                       on the host: directory listings, mount points, host name, manifest files
    plan(paths, look, containers)     on the controller: every decision, as plain data for the playbook

Standard library only for `look` (it runs on the host); `plan` uses PyYAML when it can import it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import posixpath
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import (
    CNI_CONF_FILE,
    CNI_NETWORK_STATE_DIR,
    CONTAINERD_ROOT,
    CONTAINERD_STATE,
    RUNTIME_CONFIG_DIR,
    RUNTIME_TASKS_DIR,
    SHIM_SOCKETS,
    SYSCTL_FILES,
    docker_pod_key,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import flagset
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import (
    SEED_MANIFEST,
    SEED_POD_NAME,
    KubeManifestError,
    resolve_settings,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import KubeProfileError, get_profile
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import POD_NAME as KUBE_PROXY_POD
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import (
    RESTORE_SCRIPT as POD_NETWORK_RESTORE_SCRIPT,
)

MANAGED_BY_LABEL = "io.curtain.managed-by"
COMPONENT_LABEL = "io.curtain.component"
CURTAIN = "curtain"
MANIFEST_LABEL = "app.kubernetes.io/managed-by"
POD_NAME_LABEL = "io.kubernetes.pod.name"
POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
CONTAINER_NAME_LABEL = "io.kubernetes.container.name"
# The kubelet container's root directory, mounted from the host (module_utils/container_runtime.py).
KUBELET_ROOT_DIR = "/var/lib/kubelet"
# Settings that name files; every other setting is left out, so a typo elsewhere cannot stop a reset.
PATH_SETTINGS = (
    "pki_dir",
    "kubeconfig_dir",
    "manifest_dir",
    "authentication_config_file",
    "audit_log_path",
    "audit_policy_file",
    "kubelet_config_file",
    "kubelet_kubeconfig",
    "kube_proxy_config_file",
    "kube_proxy_kubeconfig",
)
# Directories whose names say they belong to curtain or Kubernetes: emptied ones below and at them are removed.
OWNED_NAMES = frozenset({CURTAIN, "kubernetes"})
# Never removed, whatever a setting says: the reset refuses to take a system directory with it.
NEVER_REMOVED = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/etc/ssl", "/etc/ssl/certs", "/etc/ssl/private", "/etc/sysctl.d", "/home",
    "/lib",
    "/lib64", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr",
    "/usr/local", "/var", "/var/lib", "/var/lib/docker", "/var/log", "/var/run", "/var/tmp",
})
MANIFEST_MAX_BYTES = 1024 * 1024  # larger files are no manifests of ours and are not read
# The order containers go in: first whatever restarts others (the kubelet), etcd last, once nothing uses it.
_ORDER = {"kubelet": 0, "kube-proxy": 1, "pod": 2, "etcd": 4}
_OTHER_ORDER = 3
_MOUNT_ESCAPE = re.compile(r"\\([0-7]{3})")


class ResetError(ValueError):
    """Inputs the reset cannot work from; the message names the variable."""


# --- where curtain's files are ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResetPaths:
    """Every path a reset looks at, from the inventory's settings, resolved as the roles resolve them."""

    whole_dirs: tuple[str, ...]  # curtain's own directories, removed with everything in them
    files: tuple[str, ...]  # curtain's files in directories that may hold other files
    manifest_dirs: tuple[str, ...]  # the static pod directories: only curtain's manifests go
    audit_log: str | None  # the apiserver's audit log; its rotated copies go with it
    etcd_data_dir: str  # only when asked, after a backup
    etcd_backup_dir: str  # stays

    def removable_when_empty(self) -> list[str]:
        """Directories removed when nothing but curtain's files was in them (deepest first)."""
        bases = {posixpath.dirname(path) for path in (*self.files, *self.whole_dirs, self.etcd_data_dir)}
        bases.update(self.manifest_dirs)
        if self.audit_log:
            bases.add(posixpath.dirname(self.audit_log))
        candidates = set()
        for base in bases:
            candidates.add(base)
            parent = posixpath.dirname(base)
            while parent != "/" and OWNED_NAMES.intersection(parent.split("/")):
                candidates.add(parent)
                parent = posixpath.dirname(parent)
        return _deepest_first(path for path in candidates if is_removable(path))

    def directories(self) -> list[str]:
        """What the host-side look lists (names only): every directory curtain's paths are in, and the tasks that
        curtain's containerd runs."""
        wanted = set(self.removable_when_empty()) | set(self.manifest_dirs) | {RUNTIME_TASKS_DIR}
        wanted.update(posixpath.dirname(path) for path in (*self.files, *self.whole_dirs, self.etcd_data_dir))
        if self.audit_log:
            wanted.add(posixpath.dirname(self.audit_log))
        return sorted(wanted)


def _normal(path: str) -> str:
    return posixpath.normpath(str(path)) if path else ""


def _deepest_first(paths: Iterable[str]) -> list[str]:
    return sorted(set(paths), key=lambda path: (-path.count("/"), path))


def is_removable(path: str) -> bool:
    """Whether a directory may be removed at all: absolute, two levels deep at least, not a system directory."""
    path = _normal(path)
    return path.startswith("/") and path.count("/") >= 2 and path not in NEVER_REMOVED


def _resolve_paths(settings: Mapping[str, Any] | None, variable: str) -> dict[str, Any]:
    if not isinstance(settings, (Mapping, type(None))):
        raise ResetError(f"{variable} must be a mapping, got {settings!r}")
    given = {key: value for key, value in (settings or {}).items() if key in PATH_SETTINGS}
    try:
        # The modern column names every file curtain may write; the seed writes a subset of them.
        return resolve_settings("modern", given)
    except (KubeManifestError, KubeProfileError) as error:
        raise ResetError(f"{variable}: {error}") from None


def reset_paths(
    kube_settings: Mapping[str, Any] | None,
    proxy_settings: Mapping[str, Any] | None,
    *,
    etcd_data_dir: str,
    etcd_pki_dir: str,
    etcd_backup_dir: str,
) -> ResetPaths:
    """The paths of hyperkube_master_settings, kube_proxy_settings and the etcd role's directories."""
    resolved = [
        _resolve_paths(kube_settings, "hyperkube_master_settings"),
        _resolve_paths(proxy_settings, "kube_proxy_settings"),
    ]
    for name, value in (("etcd_data_dir", etcd_data_dir), ("etcd_pki_dir", etcd_pki_dir),
                        ("etcd_backup_dir", etcd_backup_dir)):
        if not str(value or "").startswith("/"):
            raise ResetError(f"{name} must be an absolute path, got {value!r}")
    files: list[str] = []
    for settings in resolved:
        files.extend(settings["paths"]["kubeconfig"].values())
        files.extend(settings[key] for key in ("kubelet_kubeconfig", "kube_proxy_kubeconfig", "audit_policy_file",
                                               "authentication_config_file", "kubelet_config_file",
                                               "kube_proxy_config_file"))
    # The kubelet's containerd: its images, snapshots and state, its configuration, the addresses the pod network
    # gave out; the kernel parameter files the roles wrote (the values stay set until the next boot); the script that
    # restores the pod network's routes at a boot (the pod_network module removes it too, with the routes).
    files += [CNI_CONF_FILE, *SYSCTL_FILES, POD_NETWORK_RESTORE_SCRIPT]
    whole_dirs = [resolved[0]["pki_dir"], KUBELET_ROOT_DIR, etcd_pki_dir, CONTAINERD_ROOT, CONTAINERD_STATE,
                  SHIM_SOCKETS, RUNTIME_CONFIG_DIR, CNI_NETWORK_STATE_DIR]
    whole = {_normal(path) for path in whole_dirs}
    return ResetPaths(
        whole_dirs=tuple(dict.fromkeys(_normal(path) for path in whole_dirs)),
        # A file inside a directory that goes whole needs no step of its own.
        files=tuple(sorted({_normal(path) for path in files if path
                            and not any(_normal(path).startswith(directory + "/") for directory in whole)})),
        manifest_dirs=tuple(sorted({_normal(settings["manifest_dir"]) for settings in resolved})),
        audit_log=_normal(resolved[0]["audit_log_path"]) or None,
        etcd_data_dir=_normal(etcd_data_dir),
        etcd_backup_dir=_normal(etcd_backup_dir),
    )


# --- the host side: reading only --------------------------------------------------------------------------------
def unescape_mount_point(field: str) -> str:
    """/proc/self/mountinfo writes space, tab, newline and backslash as octal escapes (\\040 ...)."""
    return _MOUNT_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[str]:
    """The mount points in the text of /proc/self/mountinfo (the fifth field of each line)."""
    points = []
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            points.append(unescape_mount_point(fields[4]))
    return points


def _at_or_below(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def look(paths: ResetPaths, *, mountinfo: str = "/proc/self/mountinfo") -> dict[str, Any]:
    """What the host holds at curtain's paths: listings (names only) of the directories that exist, the mount points
    at or below them, the host name, and the manifest files (base64, up to MANIFEST_MAX_BYTES each)."""
    entries: dict[str, list[str]] = {}
    for directory in paths.directories():
        if os.path.isdir(directory):
            try:
                entries[directory] = sorted(os.listdir(directory))
            except OSError as error:
                raise ResetError(f"cannot list {directory}: {error}") from None
    manifests: dict[str, str] = {}
    for directory in paths.manifest_dirs:
        for name in entries.get(directory, []):
            path = posixpath.join(directory, name)
            if name.startswith(".") or not os.path.isfile(path) or os.path.getsize(path) > MANIFEST_MAX_BYTES:
                continue
            with open(path, "rb") as handle:
                manifests[path] = base64.b64encode(handle.read()).decode("ascii")
    try:
        with open(mountinfo, encoding="utf-8", errors="surrogateescape") as handle:
            mount_points = parse_mountinfo(handle.read())
    except OSError:
        mount_points = []
    watched = [*paths.whole_dirs, paths.etcd_data_dir, *paths.removable_when_empty()]
    return {
        "entries": entries,
        "mounts": sorted({point for point in mount_points if any(_at_or_below(point, d) for d in watched)}),
        "hostname": socket.gethostname(),
        "manifests": manifests,
    }


# --- manifests and pods ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Manifest:
    path: str
    ours: bool
    why: str
    pod: str | None = None
    namespace: str = "default"
    image: str = ""  # the first container's
    host_paths: tuple[str, ...] = ()


def _image_and_host_paths(pod: Mapping[str, Any]) -> dict[str, Any]:
    """{image, host_paths} of a Pod: its first container's image, and its hostPath volumes' paths."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), Mapping) else {}
    containers = [item for item in spec.get("containers") or [] if isinstance(item, Mapping)]
    host_paths = [item["hostPath"] for item in spec.get("volumes") or []
                  if isinstance(item, Mapping) and isinstance(item.get("hostPath"), Mapping)]
    return {"image": str(containers[0].get("image") or "") if containers else "",
            "host_paths": tuple(str(host_path.get("path") or "") for host_path in host_paths)}


def _parse(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml  # the controller always has it: ansible-core requires PyYAML
    except ImportError:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def read_manifest(path: str, data: bytes) -> Manifest:
    """Whose a file of the static pod directory is, and which pod it defines."""
    name = posixpath.basename(path)
    if name.startswith("."):
        return Manifest(path, False, "a hidden file, which the kubelet does not read")
    pod = _parse(data)
    if not isinstance(pod, Mapping) or pod.get("kind") != "Pod" or not isinstance(pod.get("metadata"), Mapping):
        return Manifest(path, False, "not a Pod manifest: not curtain's")
    metadata = pod["metadata"]
    pod_name = str(metadata.get("name") or "")
    namespace = str(metadata.get("namespace") or "default")
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), Mapping) else {}
    if not pod_name:
        return Manifest(path, False, "a Pod without a name: not curtain's")
    if labels.get(MANIFEST_LABEL) == CURTAIN:
        return Manifest(path, True, f"pod {pod_name} labelled {MANIFEST_LABEL}={CURTAIN}", pod_name, namespace,
                        **_image_and_host_paths(pod))
    if name == SEED_MANIFEST and pod_name == SEED_POD_NAME:
        return Manifest(path, True, f"the seed profile's pod {SEED_POD_NAME} in {SEED_MANIFEST}", pod_name, namespace)
    return Manifest(path, False, f"pod {pod_name} without the label {MANIFEST_LABEL}={CURTAIN}: not curtain's",
                    pod_name, namespace)


def read_manifests(encoded: Mapping[str, str]) -> list[Manifest]:
    manifests = []
    for path, content in sorted(encoded.items()):
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            manifests.append(Manifest(path, False, "unreadable: not curtain's"))
            continue
        manifests.append(read_manifest(path, data))
    return manifests


def node_names(*candidates: str | None, containers: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """The names the kubelet may have run its pods under, lower-cased as the kubelet does: the inventory's node
    name, a hostname_override setting, the host name, and any --hostname-override of curtain's containers."""
    names = [str(candidate) for candidate in candidates if candidate]
    for container in containers:
        command = str(container.get("Command") or "")
        names.extend(word.split("=", 1)[1] for word in command.split() if word.startswith("--hostname-override="))
    return list(dict.fromkeys(name.strip().lower() for name in names if name.strip()))


def default_hostname_override(profile: str) -> str | None:
    """The kubelet's --hostname-override when the settings give none: the seed's 127.0.0.1, none for modern."""
    try:
        return resolve_settings(profile, {})["hostname_override"]
    except (KubeManifestError, KubeProfileError) as error:
        raise ResetError(f"hyperkube_master_profile: {error}") from None


def our_pods(manifests: Sequence[Manifest], nodes: Sequence[str]) -> dict[tuple[str, str], str]:
    """{(namespace, pod name as the kubelet labels it): manifest path} for curtain's manifests."""
    return {
        (manifest.namespace, f"{manifest.pod}-{node}"): manifest.path
        for manifest in manifests if manifest.ours and manifest.pod
        for node in nodes
    }


# --- containers -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ContainerRemoval:
    id: str
    name: str
    kind: str  # the io.curtain.component label, or "pod"
    why: str


def _labels(container: Mapping[str, Any]) -> Mapping[str, str]:
    labels = container.get("Labels")
    return labels if isinstance(labels, Mapping) else {}


def image_of(container: Mapping[str, Any]) -> str:
    """The image a container runs, by ID (its name may have moved to another image since)."""
    return str(container.get("ImageID") or container.get("Image"))


def container_name(container: Mapping[str, Any]) -> str:
    names = container.get("Names") or []
    return str(names[0]).lstrip("/") if names else str(container.get("Id", ""))[:12]


def is_curtains(container: Mapping[str, Any]) -> bool:
    return _labels(container).get(MANAGED_BY_LABEL) == CURTAIN


def classify_containers(
    containers: Sequence[Mapping[str, Any]],
    pods: Mapping[tuple[str, str], str],
) -> tuple[list[ContainerRemoval], list[dict[str, str]]]:
    """(containers to remove, in order; containers kept, with why), from docker_host_info's list of every container:
    curtain's by their label, and the containers of curtain's pods by the kubelet's labels."""
    removals: list[ContainerRemoval] = []
    kept: list[dict[str, str]] = []
    others: list[str] = []
    for container in containers:
        labels = _labels(container)
        key = docker_pod_key(labels)
        if is_curtains(container):
            removals.append(ContainerRemoval(container["Id"], container_name(container),
                                             labels.get(COMPONENT_LABEL) or "unknown",
                                             f"labelled {MANAGED_BY_LABEL}={CURTAIN}"))
        elif key in pods:
            removals.append(ContainerRemoval(container["Id"], container_name(container), "pod",
                                             f"a container of pod {key[1]} from {pods[key]}"))
        elif key[1]:
            kept.append({"what": f"container {container_name(container)}",
                         "why": f"pod {key[1]} ({key[0]}) is not from a manifest of curtain's"})
        else:
            others.append(container_name(container))
    if others:
        kept.append({"what": f"containers {', '.join(sorted(others))}", "why": "not curtain's"})
    order = sorted(removals, key=lambda removal: (_ORDER.get(removal.kind, _OTHER_ORDER), removal.name))
    return order, kept


def kubelet_volumes(containers: Sequence[Mapping[str, Any]], removed_ids: Iterable[str]) -> list[str]:
    """The Docker volumes the kubelet made for the removed pod containers (emptyDir: k8s_<volume>_<pod>_<ns>_<uid>)."""
    removed = set(removed_ids)
    volumes = set()
    for container in containers:
        if container["Id"] not in removed:
            continue
        labels = _labels(container)
        marker = f"_{labels.get(POD_NAME_LABEL, '')}_{labels.get(POD_NAMESPACE_LABEL, '')}_"
        for mount in container.get("Mounts") or []:
            name = str(mount.get("Name") or "")
            if mount.get("Type") == "volume" and name.startswith("k8s_") and marker in name:
                volumes.add(name)
    return sorted(volumes)


def cleanup_flag(profile: str) -> str:
    """kube-proxy's flag that removes its own rules and exits: --cleanup, or 1.1's --cleanup-iptables."""
    try:
        flags = flagset("kube-proxy", get_profile(profile).version)
    except (KubeProfileError, ValueError) as error:
        raise ResetError(f"kube_proxy_profile: {error}") from None
    return "--cleanup" if flags.lookup("cleanup") else "--cleanup-iptables"


# What kube-proxy's cleanup mounts of what kube-proxy had: the lock every iptables user shares (rw), and the kernel
# modules.
_CLEANUP_MOUNTS = {"/run/xtables.lock": "rw", "/lib/modules": "ro"}


def kube_proxy_cleanup(
    containers: Sequence[Mapping[str, Any]],
    removals: Sequence[ContainerRemoval],
    *,
    profile: str,
    privilege: str,
    capabilities: Sequence[str],
    manifests: Sequence[Manifest] = (),
) -> dict[str, Any] | None:
    """One run of kube-proxy's cleanup in a throwaway container, when curtain's kube-proxy ran here: as a container,
    as a static pod in Docker (the seed's kubelet), or as a static pod in the modern kubelet's containerd, which
    Docker does not see (then curtain's manifest says which image and mounts it had). It removes kube-proxy's own
    rules only; nothing else of iptables is touched by a reset."""
    removed = {removal.id for removal in removals}
    sources = [
        container for container in containers
        if container["Id"] in removed and (_labels(container).get(COMPONENT_LABEL) == "kube-proxy"
                                           or _labels(container).get(CONTAINER_NAME_LABEL) == "kube-proxy")
    ]
    pods = [manifest for manifest in manifests if manifest.ours and manifest.pod == KUBE_PROXY_POD and manifest.image]
    if sources:
        source = sorted(sources, key=lambda container: str(container.get("State")) != "running")[0]
        name, image = container_name(source), image_of(source)
        # Only paths the source had mounted (so they exist: Docker would make a directory of a missing path).
        binds = [f"{mount['Source']}:{mount['Destination']}:{'rw' if mount.get('RW') else 'ro'}"
                 for mount in source.get("Mounts") or []
                 if mount.get("Type") == "bind" and mount.get("Destination") in _CLEANUP_MOUNTS]
    elif pods:
        name, image = pods[0].path, pods[0].image
        binds = [f"{path}:{path}:{mode}" for path, mode in _CLEANUP_MOUNTS.items() if path in pods[0].host_paths]
    else:
        return None
    try:
        command = list(get_profile(profile).images["kube-proxy"].command)
    except KubeProfileError as error:
        raise ResetError(f"kube_proxy_profile: {error}") from None
    return {
        "source": name,
        "image": image,
        "entrypoint": command,
        "command": [cleanup_flag(profile)],
        "privileged": privilege == "privileged",
        "capabilities": [] if privilege == "privileged" else sorted({str(cap).upper() for cap in capabilities}),
        "volumes": sorted(binds),
    }


RUNTIME_CLEANUP_NAME = "curtain-runtime-cleanup"


def _is_seed(profile: str) -> bool:
    try:
        return get_profile(profile).name == "seed"
    except KubeProfileError as error:
        raise ResetError(f"hyperkube_master_profile: {error}") from None


def runtime_pods(
    containers: Sequence[Mapping[str, Any]], entries: Mapping[str, Sequence[str]], *, profile: str, image: str
) -> dict[str, Any] | None:
    """Where the reset finds the pods of curtain's kubelet, in the containerd beside it (modern only):
    {container, start}. `container` is the kubelet's own container while it runs; when it does not run but
    containerd's tasks are still there (the pods outlive the container: they and their shims live in cgroups of
    their own), it is a throwaway container that `start` describes, of the kubelet's image, running that containerd
    alone (roles/artifacts/files/node-image/entrypoint, CURTAIN_RUNTIME_ONLY), which finds them again by its state.
    None when neither is there. `image` is the kubelet image's name, for when no kubelet container is left to take
    it from."""
    if _is_seed(profile):
        return None  # the seed's kubelet ran its pods in Docker: the plan's containers
    kubelets = [container for container in containers
                if is_curtains(container) and _labels(container).get(COMPONENT_LABEL) == "kubelet"]
    running = [container for container in kubelets if container.get("State") == "running"]
    if running:
        return {"container": container_name(running[0]), "start": None}
    if not entries.get(RUNTIME_TASKS_DIR):
        return None
    # A kubelet container that does not run goes first: its restart policy would start a second containerd on the
    # same state.
    return {"container": RUNTIME_CLEANUP_NAME,
            "start": {"image": image_of(kubelets[0]) if kubelets else image,
                      "tasks": len(entries[RUNTIME_TASKS_DIR]),
                      "remove_first": [container_name(container) for container in kubelets]}}


# --- files ------------------------------------------------------------------------------------------------------
def _rotated_audit_logs(audit_log: str, names: Sequence[str]) -> list[str]:
    """The audit log and the copies the apiserver's rotation made (audit-<time>.log, gzipped ones too)."""
    directory, base = posixpath.split(audit_log)
    stem, extension = posixpath.splitext(base)
    rotated = re.compile(re.escape(stem) + r"-.+" + re.escape(extension) + r"(\.gz)?$")
    return [posixpath.join(directory, name) for name in names if name == base or rotated.match(name)]


def plan_files(
    paths: ResetPaths,
    entries: Mapping[str, Sequence[str]],
    mounts: Sequence[str],
    manifests: Sequence[Manifest],
    *,
    remove_etcd_data: bool,
) -> dict[str, Any]:
    """{unmount, remove, rmdir, etcd_data, kept}: what goes, in order, and what stays with why."""

    def exists(path: str) -> bool:
        return path in entries or posixpath.basename(path) in entries.get(posixpath.dirname(path), ())

    kept: list[dict[str, str]] = []
    remove: list[str] = [manifest.path for manifest in manifests if manifest.ours]
    kept.extend({"what": manifest.path, "why": manifest.why} for manifest in manifests if not manifest.ours)
    remove.extend(path for path in paths.files if exists(path))
    if paths.audit_log:
        remove.extend(_rotated_audit_logs(paths.audit_log, entries.get(posixpath.dirname(paths.audit_log), ())))
    unmount: list[str] = []
    for directory in paths.whole_dirs:
        if not exists(directory):
            continue
        if not is_removable(directory):
            kept.append({"what": directory, "why": "a system directory: the reset never removes it"})
        elif directory in mounts:
            kept.append({"what": directory, "why": "a mount point: unmount it and remove it yourself"})
        else:
            unmount.extend(point for point in mounts if _at_or_below(point, directory) and point != directory)
            remove.append(directory)

    etcd = paths.etcd_data_dir
    etcd_data = {"path": etcd, "present": exists(etcd), "requested": remove_etcd_data, "remove": False, "why": ""}
    if etcd_data["present"]:
        if not remove_etcd_data:
            etcd_data["why"] = "etcd's data stays unless reset_remove_etcd_data=true (then after a backup)"
        elif not is_removable(etcd):
            etcd_data["why"] = "etcd_data_dir is a system directory: the reset never removes it"
        elif any(_at_or_below(point, etcd) for point in mounts):
            etcd_data["why"] = "something is mounted at or below it: unmount it first"
        else:
            etcd_data.update(remove=True, why="asked for with reset_remove_etcd_data=true; removed after a backup")
        if not etcd_data["remove"]:
            kept.append({"what": etcd, "why": etcd_data["why"]})

    # Predict which directories are empty once the above is gone; what keeps one is reported. When etcd's data goes,
    # the backup is written below etcd_backup_dir first, so the directories above it stay.
    gone = set(remove) | ({etcd} if etcd_data["remove"] else set())
    staying = [paths.etcd_backup_dir] if etcd_data["remove"] else []
    candidates = [directory for directory in paths.removable_when_empty() if directory in entries]
    empty: dict[str, bool] = {}
    for directory in candidates:  # deepest first, so every child directory is decided before its parent
        if directory in mounts:  # a disk mounted there: rmdir would fail, and check mode would call it a change
            empty[directory] = False
            kept.append({"what": directory, "why": "a mount point: it stays"})
            continue
        children = [posixpath.join(directory, name) for name in entries[directory]]
        blockers = [child for child in children if child not in gone and not empty.get(child, False)]
        blockers += [path for path in staying if path.startswith(directory + "/") and path not in blockers]
        empty[directory] = not blockers
        # A child directory that is itself a candidate has reported what keeps it.
        kept.extend({"what": child, "why": _why_kept(child, paths)} for child in blockers if child not in empty)
    rmdir = [directory for directory in candidates if empty[directory]]
    return {
        "unmount": _deepest_first(unmount),
        "remove": list(dict.fromkeys(remove)),
        "rmdir": rmdir,
        "etcd_data": etcd_data,
        "kept": _unique(kept),
    }


def _unique(kept: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The first reason given for each path (a foreign manifest says more than the directory it keeps)."""
    seen: dict[str, dict[str, str]] = {}
    for entry in kept:
        seen.setdefault(entry["what"], dict(entry))
    return list(seen.values())


def _why_kept(path: str, paths: ResetPaths) -> str:
    if _at_or_below(paths.etcd_backup_dir, path):
        return "etcd backups stay"
    if posixpath.basename(path) == "images":
        return "image tarballs stay: offline installs need them"
    return "not curtain's"


# --- the whole plan ----------------------------------------------------------------------------------------------
def plan(
    paths: ResetPaths,
    looked: Mapping[str, Any],
    containers: Sequence[Mapping[str, Any]],
    *,
    inventory_node_names: Sequence[str],
    kube_profile: str,
    kube_settings: Mapping[str, Any] | None,
    kubelet_image: str = "",
    proxy_profile: str,
    proxy_privilege: str,
    proxy_capabilities: Sequence[str],
    remove_etcd_data: bool,
) -> dict[str, Any]:
    """Everything a reset does on one host, in order, and what it keeps; `changes` says whether there is anything."""
    manifests = read_manifests(looked.get("manifests") or {})
    overrides = [(kube_settings or {}).get("hostname_override")]
    nodes = node_names(*inventory_node_names, *[value for value in overrides if isinstance(value, str)],
                       default_hostname_override(kube_profile), looked.get("hostname"),
                       containers=[container for container in containers if is_curtains(container)])
    removals, kept_containers = classify_containers(containers, our_pods(manifests, nodes))
    files = plan_files(paths, looked.get("entries") or {}, looked.get("mounts") or [], manifests,
                       remove_etcd_data=remove_etcd_data)
    cleanup = kube_proxy_cleanup(containers, removals, profile=proxy_profile, privilege=proxy_privilege,
                                 capabilities=proxy_capabilities, manifests=manifests)
    runtime = runtime_pods(containers, looked.get("entries") or {}, profile=kube_profile, image=kubelet_image)
    result = {
        "runtime_pods": runtime,
        # The chains a modern kubelet makes at start, where curtain's ran (its container, or its pods, are here).
        "kubelet_chains": runtime is not None or (
            not _is_seed(kube_profile) and any(removal.kind == "kubelet" for removal in removals)),
        "containers": [asdict(removal) for removal in removals],
        "volumes": kubelet_volumes(containers, [removal.id for removal in removals]),
        "kube_proxy_cleanup": cleanup,
        **files,
        "kept": kept_containers + files["kept"],
        "node_names": nodes,
        "manifests": [asdict(manifest) for manifest in manifests],
    }
    result["changes"] = bool(result["containers"] or (runtime or {}).get("start") or result["volumes"]
                             or files["unmount"] or files["remove"] or files["rmdir"] or files["etcd_data"]["remove"])
    return result

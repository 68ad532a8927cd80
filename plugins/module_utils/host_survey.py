# Copyright: curtain contributors
# Apache License 2.0
"""What a host looks like before curtain touches it: Docker, kernel, cgroups, swap, port owners, containers, files.

Read-only. The parsers take the text of /proc, /sys and the docker CLI as strings (pure, unit-tested); `survey`
does the reading. Decisions about what the findings mean are made on the controller (module_utils/preflight.py).
The docker CLI is used, not an SDK: the CLI is what a Docker host is sure to have.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.procnet import port_owners

# Kernel modules the components depend on: bridge netfilter and conntrack (kube-proxy), overlay (Docker's overlay2),
# ip_tables / nf_tables (iptables and nftables proxy modes).
MODULES_OF_INTEREST = ("br_netfilter", "overlay", "nf_conntrack", "ip_tables", "nf_tables")
SYSCTLS = {
    "net.ipv4.ip_forward": "sys/net/ipv4/ip_forward",
    "net.bridge.bridge-nf-call-iptables": "sys/net/bridge/bridge-nf-call-iptables",
}
# Files are hashed up to this size (certificates, markers); anything bigger is described but not read.
MAX_HASHED_BYTES = 1024 * 1024
# JSON files (etcd's cluster marker) are returned parsed up to this size.
MAX_JSON_BYTES = 64 * 1024  # and the most of a text file returned whole
MAX_ENTRIES = 200
# The most docker commands the survey runs at once (its inspects, then its execs).
MAX_PARALLEL_COMMANDS = 8
_CONTAINER_ID = re.compile(r"(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$")
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----")

DockerRunner = Callable[[Sequence[str]], tuple[int, str, str]]


# --- parsers (pure) ------------------------------------------------------------------------------------------------
def parse_proc_modules(text: str | None) -> list[str] | None:
    """Names of the loaded modules in /proc/modules; None when the file is absent (a kernel without modules)."""
    if text is None:
        return None
    return [line.split()[0] for line in text.splitlines() if line.strip()]


def parse_filesystems(text: str | None) -> list[str]:
    """Filesystem types of /proc/filesystems ("nodev\toverlay" -> "overlay")."""
    return [line.split()[-1] for line in (text or "").splitlines() if line.strip()]


def parse_builtin_modules(text: str | None) -> list[str]:
    """Module names of /lib/modules/<release>/modules.builtin ("kernel/net/bridge/br_netfilter.ko")."""
    names = []
    for line in (text or "").splitlines():
        base = line.strip().rsplit("/", 1)[-1]
        if base.endswith(".ko"):
            names.append(base[:-3].replace("-", "_"))
    return names


def parse_swaps(text: str | None) -> list[dict[str, Any]]:
    """Active swap areas of /proc/swaps: [{filename, type, size_kb, used_kb}]."""
    areas = []
    for line in (text or "").splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 4 and fields[2].isdigit() and fields[3].isdigit():
            areas.append({"filename": fields[0], "type": fields[1], "size_kb": int(fields[2]),
                          "used_kb": int(fields[3])})
    return areas


def parse_proc_cgroups(text: str | None) -> list[str]:
    """Enabled cgroup v1 controllers of /proc/cgroups (the fourth column is `enabled`)."""
    controllers = []
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) >= 4 and not line.startswith("#") and fields[3] == "1":
            controllers.append(fields[0])
    return controllers


def cgroup_summary(v2_controllers: str | None, proc_cgroups: str | None) -> dict[str, Any]:
    """{version, controllers}: cgroup v2 when /sys/fs/cgroup/cgroup.controllers exists (a unified hierarchy), v1
    otherwise (including hybrid setups, where the controllers still sit in v1 hierarchies)."""
    if v2_controllers is not None:
        return {"version": 2, "controllers": sorted(v2_controllers.split())}
    return {"version": 1, "controllers": sorted(parse_proc_cgroups(proc_cgroups))}


def container_id_from_cgroup(text: str | None) -> str | None:
    """The Docker container ID in /proc/<pid>/cgroup, or None for a process outside containers.

    cgroup v1 with cgroupfs: `4:memory:/docker/<id>`; systemd driver: `.../docker-<id>.scope`; v2: `0::/...<id>`;
    a kubelet's pod: `/kubepods/burstable/pod<uid>/<id>`. Nested (Docker in Docker): the innermost ID wins.
    """
    found = None
    for line in (text or "").splitlines():
        path = line.split(":", 2)[-1].strip()
        for segment in path.split("/"):
            match = _CONTAINER_ID.search(segment)
            if match:
                found = match.group(1)
    return found


def _version_of(data: dict[str, Any] | None) -> str | None:
    if not isinstance(data, dict):
        return None
    if data.get("Version"):
        return str(data["Version"])
    for component in data.get("Components") or []:
        if isinstance(component, dict) and component.get("Name") == "Engine" and component.get("Version"):
            return str(component["Version"])
    return None


def parse_docker_version(rc: int, stdout: str, stderr: str) -> dict[str, Any]:
    """`docker version --format '{{json .}}'` -> {present, client_version, server_version, error}.

    Without a daemon the CLI still prints the client part (Server: null) and exits 1 with the reason on stderr.
    """
    try:
        data = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    server = _version_of(data.get("Server"))
    error = None
    if rc != 0 or server is None:
        error = " ".join(stderr.split()) or f"docker version exited with {rc} and named no server"
    return {"present": True, "client_version": _version_of(data.get("Client")), "server_version": server,
            "error": error}


def parse_labels(text: str | None) -> dict[str, str]:
    """`docker ps` prints labels as "a=1,b=2". A value with a comma is kept whole (a part without "=" belongs to the
    value before it)."""
    labels: dict[str, str] = {}
    last = None
    for part in (text or "").split(","):
        if "=" in part:
            key, _, value = part.partition("=")
            labels[key] = value
            last = key
        elif last is not None:
            labels[last] += "," + part
    return labels


def parse_docker_ps(stdout: str) -> list[dict[str, Any]]:
    """`docker ps -a --no-trunc --format '{{json .}}'` (a JSON object a line) -> [{id, names, state, image, labels}]."""
    containers = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        containers.append({
            "id": str(item.get("ID") or ""),
            "names": [name for name in str(item.get("Names") or "").split(",") if name],
            "state": str(item.get("State") or ""),
            "image": str(item.get("Image") or ""),
            "labels": parse_labels(item.get("Labels")),
        })
    return containers


def named_container(survey: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The survey's container of that name ({id, names, state, image, labels}); {} when the host has none."""
    return next((found for found in survey.get("containers") or [] if name in (found.get("names") or [])), None) or {}


# The label curtain's Kubernetes containers carry: the version they run (the upgrade check reads it).
KUBERNETES_VERSION_LABEL = "io.curtain.kubernetes-version"


def running_kubernetes_version(container: Mapping[str, Any]) -> str:
    """The version a curtain container runs, from its label; "" without the container or the label."""
    return str((container.get("labels") or {}).get(KUBERNETES_VERSION_LABEL) or "")


def certificate_fingerprint(data: bytes | str | None) -> str | None:
    """SHA-256 of the DER of the first PEM certificate in `data` (what `openssl x509 -fingerprint -sha256` shows),
    or None when there is none. Comparing certificates this way ignores whitespace and trailing text."""
    if data is None:
        return None
    text = data.decode("ascii", errors="replace") if isinstance(data, bytes) else data
    match = _PEM_CERTIFICATE.search(text)
    if not match:
        return None
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
    except ValueError:
        return None
    return hashlib.sha256(der).hexdigest()


# --- reading (I/O) -------------------------------------------------------------------------------------------------
def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _type_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def describe_path(path: str, *, read_json: bool = False, read_text: bool = False) -> dict[str, Any]:
    """{exists, type, mode, size, link, sha256, certificate_sha256, entries, json, text}: what is at `path`, following
    links.

    Files up to MAX_HASHED_BYTES are hashed; directories are listed (names, sorted, up to MAX_ENTRIES)."""
    result: dict[str, Any] = {"exists": False}
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return result
    except OSError as error:
        return {"exists": None, "error": f"{path}: {error.strerror}"}
    result.update(exists=True, type=_type_of(info.st_mode), mode=f"{stat.S_IMODE(info.st_mode):04o}",
                  size=info.st_size, link=os.path.islink(path))
    try:
        if result["type"] == "directory":
            names = sorted(os.listdir(path))
            result["entries"] = names[:MAX_ENTRIES]
            result["entries_truncated"] = len(names) > MAX_ENTRIES
        elif result["type"] == "file" and info.st_size <= MAX_HASHED_BYTES:
            with open(path, "rb") as handle:
                content = handle.read(MAX_HASHED_BYTES + 1)
            result["sha256"] = hashlib.sha256(content).hexdigest()
            result["certificate_sha256"] = certificate_fingerprint(content)
            if read_json:
                result.update(_json_of(content))
            if read_text:
                result.update(_text_of(content))
    except OSError as error:
        result["error"] = f"{path}: {error.strerror}"
    return result


def _json_of(content: bytes) -> dict[str, Any]:
    if len(content) > MAX_JSON_BYTES:
        return {"json_error": f"larger than {MAX_JSON_BYTES} bytes"}
    try:
        return {"json": json.loads(content.decode("utf-8"))}
    except ValueError as error:
        return {"json_error": f"not JSON: {error}"}


def _text_of(content: bytes) -> dict[str, Any]:
    if len(content) > MAX_JSON_BYTES:
        return {"text_error": f"larger than {MAX_JSON_BYTES} bytes"}
    return {"text": content.decode("utf-8", errors="replace")}


def port_report(ports: Sequence[int], proc: str = "/proc") -> list[dict[str, Any]]:
    """port_owners, plus the Docker container of each owner (from its cgroup)."""
    report = []
    for owner in port_owners(list(ports), proc):
        entry = dict(asdict(owner), message=owner.describe(), container_id=None, in_pod=False)
        if owner.pid:
            cgroup = read_text(os.path.join(proc, str(owner.pid), "cgroup"))
            entry["container_id"] = container_id_from_cgroup(cgroup)
            # A container of a kubelet's pod (containerd's, not Docker's): its cgroup is under kubepods.
            entry["in_pod"] = "/kubepods" in (cgroup or "")
        report.append(entry)
    return report


def docker_report(docker: DockerRunner | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(docker facts, containers) from the docker CLI; docker None means there is no CLI."""
    if docker is None:
        return {"present": False, "client_version": None, "server_version": None,
                "error": "the docker command is not on PATH"}, []
    facts = parse_docker_version(*docker(["version", "--format", "{{json .}}"]))
    if facts["server_version"] is None:
        return facts, []
    rc, out, err = docker(["ps", "-a", "--no-trunc", "--format", "{{json .}}"])
    if rc != 0:
        facts["error"] = f"docker ps failed: {' '.join(err.split())}"
        return facts, []
    return facts, parse_docker_ps(out)


def run_each(docker: DockerRunner | None, commands: Sequence[Sequence[str]]) -> list[tuple[int, str, str]]:
    """Each docker command's (rc, stdout, stderr), in order, run side by side: each mostly waits on the Engine, and
    the survey's inspects and execs do not depend on one another. Without a CLI, each fails."""
    if docker is None:
        return [(1, "", "")] * len(commands)
    if len(commands) < 2:
        return [docker(list(command)) for command in commands]
    with ThreadPoolExecutor(max_workers=min(len(commands), MAX_PARALLEL_COMMANDS)) as pool:
        return list(pool.map(lambda command: docker(list(command)), commands))


def image_report(docker: DockerRunner | None, refs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{ref: {present, id, described}} for each image reference, from `docker image inspect`: `described` is the
    Engine's description (as community.docker.docker_image_info returns it: Id, RepoTags, RepoDigests,
    Config.Labels, ...), which says whether the image is the one a plan wants (artifacts.image_is_current); absent
    without an Engine."""
    report: dict[str, dict[str, Any]] = {}
    answers = run_each(docker, [["image", "inspect", ref] for ref in refs])
    for ref, (rc, out, _) in zip(refs, answers, strict=True):
        try:
            described = json.loads(out) if rc == 0 else []
        except ValueError:
            described = []
        found = described[0] if described and isinstance(described[0], dict) else None
        report[ref] = {"present": found is not None, "id": found.get("Id") if found else None, "described": found}
    return report


def inspect_report(docker: DockerRunner | None, names: Sequence[str]) -> dict[str, dict[str, Any] | None]:
    """{name: `docker container inspect` (the Engine API's description, as community.docker.docker_container_info
    returns it), or None where there is no such container}; None for each without an Engine."""
    report: dict[str, dict[str, Any] | None] = {}
    answers = run_each(docker, [["container", "inspect", name] for name in names])
    for name, (rc, out, _) in zip(names, answers, strict=True):
        try:
            described = json.loads(out) if rc == 0 else []
        except ValueError:
            described = []
        report[name] = described[0] if described and isinstance(described[0], dict) else None
    return report


def exec_report(docker: DockerRunner | None, execs: Sequence[Mapping[str, Any]],
                inspected: Mapping[str, Mapping[str, Any] | None], containers: Sequence[Mapping[str, Any]],
                ) -> dict[str, dict[str, Any] | None]:
    """{container: {rc, stdout, stderr} of `docker exec <container> <argv>`, or None where the container is not
    running}: what a running container says of itself (etcd's release), read only. Whether it runs is the inspect's
    State.Running where the container was inspected, else its state in `docker ps -a`."""
    report: dict[str, dict[str, Any] | None] = {}
    running = []
    for wanted in execs:
        name = wanted["container"]
        if name in inspected:
            up = bool(((inspected[name] or {}).get("State") or {}).get("Running"))
        else:
            up = named_container({"containers": containers}, name).get("state") == "running"
        report[name] = None
        if docker is not None and up:
            running.append(wanted)
    answers = run_each(docker, [["exec", wanted["container"], *wanted["argv"]] for wanted in running])
    for wanted, (rc, out, err) in zip(running, answers, strict=True):
        report[wanted["container"]] = {"rc": rc, "stdout": out, "stderr": err}
    return report


def kernel_report(proc: str = "/proc", lib_modules: str = "/lib/modules") -> dict[str, Any]:
    release = (read_text(os.path.join(proc, "sys/kernel/osrelease")) or "").strip()
    loaded = parse_proc_modules(read_text(os.path.join(proc, "modules")))
    builtin = parse_builtin_modules(read_text(os.path.join(lib_modules, release, "modules.builtin")))
    return {
        "release": release,
        "module_support": loaded is not None,
        "modules": sorted(name for name in (loaded or []) if name in MODULES_OF_INTEREST),
        "builtin": sorted(name for name in builtin if name in MODULES_OF_INTEREST),
        "filesystems": sorted(name for name in parse_filesystems(read_text(os.path.join(proc, "filesystems")))
                              if name in ("overlay",)),
    }


def sysctl_report(proc: str = "/proc") -> dict[str, str | None]:
    """Each sysctl of SYSCTLS: its value, or None where the key does not exist (e.g. no br_netfilter)."""
    values = {}
    for name, relative in SYSCTLS.items():
        text = read_text(os.path.join(proc, relative))
        values[name] = text.strip() if text is not None else None
    return values


def survey(
    *,
    ports: Sequence[int],
    paths: Sequence[str],
    json_files: Sequence[str] = (),
    text_files: Sequence[str] = (),
    images: Sequence[str] = (),
    inspect: Sequence[str] = (),
    execs: Sequence[Mapping[str, Any]] = (),
    docker: DockerRunner | None,
    proc: str = "/proc",
    sys_fs: str = "/sys",
    lib_modules: str = "/lib/modules",
) -> dict[str, Any]:
    """Everything preflight asks of one host, read in one go. Changes nothing."""
    docker_facts, containers = docker_report(docker)
    described: dict[str, Any] = {}
    for path in [*paths, *json_files, *text_files]:
        described[path] = describe_path(path, read_json=path in json_files, read_text=path in text_files)
    swap = parse_swaps(read_text(os.path.join(proc, "swaps")))
    engine = docker if docker_facts["server_version"] else None
    found_images = image_report(engine, images)
    inspected = inspect_report(engine, inspect)
    return {
        "docker": docker_facts,
        "containers": containers,
        "kernel": kernel_report(proc, lib_modules),
        "cgroup": cgroup_summary(read_text(os.path.join(sys_fs, "fs/cgroup/cgroup.controllers")),
                                 read_text(os.path.join(proc, "cgroups"))),
        "sysctls": sysctl_report(proc),
        "swap": {"active": bool(swap), "areas": swap},
        "ports": port_report(ports, proc),
        "paths": described,
        "images": found_images,
        "inspected": inspected,
        "execs": exec_report(engine, execs, inspected, containers),
    }


# The options of a survey that name what to look at, as curtain.kube.host_survey takes them.
REQUEST_OPTIONS = ("ports", "paths", "json_files", "text_files", "images", "inspect", "execs")


def earlier_answer(request: Mapping[str, Any], earlier: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What an earlier survey of the same host (its registered result, whose `request` the action recorded) says for
    `request`, or None when it was not made (skipped, failed, unreachable) or did not ask all that `request` asks.
    Of the parts that answer what was asked (ports, paths, images, inspected, execs), only `request`'s are kept: a
    check reading them sees what a survey of its own would show. Whether the host may have changed since is the
    caller's to know."""
    if not isinstance(earlier, Mapping) or any(earlier.get(flag) for flag in ("skipped", "failed", "unreachable")):
        return None
    asked = earlier.get("request")
    if not isinstance(asked, Mapping):
        return None
    wanted = {option: list(request.get(option) or []) for option in REQUEST_OPTIONS}
    wanted["ports"] = [int(port) for port in wanted["ports"]]
    for option, items in wanted.items():
        had = asked.get(option) or []
        if any(item not in had for item in items):
            return None
    paths = {*wanted["paths"], *wanted["json_files"], *wanted["text_files"]}
    execs = {str(entry["container"]) for entry in wanted["execs"]}
    answer = dict(earlier)
    answer.update(
        ports=[entry for entry in earlier.get("ports") or [] if int(entry.get("port", -1)) in wanted["ports"]],
        paths={path: found for path, found in (earlier.get("paths") or {}).items() if path in paths},
        images={ref: found for ref, found in (earlier.get("images") or {}).items() if ref in wanted["images"]},
        inspected={name: found for name, found in (earlier.get("inspected") or {}).items()
                   if name in wanted["inspect"]},
        execs={name: found for name, found in (earlier.get("execs") or {}).items() if name in execs},
        reused=True,
        request=wanted,  # what this answer holds, should it be handed on in turn
    )
    return answer

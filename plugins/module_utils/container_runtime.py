# Copyright: curtain contributors
# Apache License 2.0
"""The kubelet's container runtime: containerd 2.x in the kubelet's container, and the pod network's CNI config.

Why containerd and not cri-dockerd (docs/hyperkube_master.md says more): since 1.24 a kubelet needs a CRI runtime;
containerd is what kubeadm, kubespray and kind run, its CRI plugin is what Kubernetes' own CI tests (containerd
RELEASES.md lists 2.3 for Kubernetes 1.36+), and it can clamp the pods' OOM score to what the process may set
(`restrict_oom_score_adj`). cri-dockerd breaks `kubectl exec` with 1.36+ kubelets (Mirantis/cri-dockerd#560, #569).

containerd runs next to the kubelet in the node container, with its own paths, so that it never meets the host's
own containerd (Docker Engine's, at /run/containerd and /var/lib/containerd, on most hosts):

    root     /var/lib/curtain/containerd     (a host directory: the snapshotter cannot work on the container's overlay)
    state    /run/curtain/containerd
    socket   unix:///run/curtain/containerd/containerd.sock (the kubelet's containerRuntimeEndpoint)
    config   /etc/curtain/containerd/config.toml

The config file is TOML; it is built here as data and written by a small serializer of the subset it uses (tables,
strings, booleans, integers, lists of strings), since the standard library only reads TOML.

Standard library only.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.pod_network import resolv_conf_text

CONTAINERD_ROOT = "/var/lib/curtain/containerd"
CONTAINERD_STATE = "/run/curtain/containerd"
CONTAINERD_SOCKET = f"{CONTAINERD_STATE}/containerd.sock"
SHIM_SOCKETS = "/run/curtain/containerd-shims"  # the container's /run/containerd
# One directory per container whose task containerd runs (a pod's sandbox or container), while it runs.
RUNTIME_TASKS_DIR = f"{CONTAINERD_STATE}/io.containerd.runtime.v2.task/k8s.io"
CONTAINERD_ENDPOINT = f"unix://{CONTAINERD_SOCKET}"
RUNTIME_CONFIG_DIR = "/etc/curtain/containerd"
CONTAINERD_CONFIG = f"{RUNTIME_CONFIG_DIR}/config.toml"
CONTAINERD_REGISTRY_HOSTS_DIR = f"{RUNTIME_CONFIG_DIR}/certs.d"
CNI_BIN_DIR = "/opt/cni/bin"
CNI_CONF_DIR = "/etc/cni/net.d"
CNI_CONF_FILE = f"{CNI_CONF_DIR}/10-curtain.conflist"
# The mode curtain.kube.pod_network writes it with: it holds no credentials (docs/security.md, CIS 1.1.9).
CNI_CONF_MODE = "0644"
CNI_NETWORK = "curtain"
CNI_NETWORK_STATE_DIR = f"/var/lib/cni/networks/{CNI_NETWORK}"  # host-local's address leases
# The kernel parameters the roles set for the kubelet and kube-proxy, kept for the next boot.
KUBELET_SYSCTL_FILE = "/etc/sysctl.d/90-curtain-kubelet.conf"
KUBE_PROXY_SYSCTL_FILE = "/etc/sysctl.d/90-curtain-kube-proxy.conf"
SYSCTL_FILES = (KUBELET_SYSCTL_FILE, KUBE_PROXY_SYSCTL_FILE)
# iptables' lock, shared by every process that changes the host's rules (the kubelet's, kube-proxy's).
XTABLES_LOCK = "/run/xtables.lock"
CNI_BRIDGE = "curtain0"  # not cni0, which other CNI configurations (flannel's) name their bridge
# containerd's own default (DefaultSandboxImage in containerd 2.3's internal/cri/config/config.go).
DEFAULT_SANDBOX_IMAGE = "registry.k8s.io/pause:3.10.2"

_IMAGES = "io.containerd.cri.v1.images"
_RUNTIME = "io.containerd.cri.v1.runtime"


class ContainerRuntimeError(ValueError):
    """Settings the runtime cannot run with; the message names the setting."""


# The cgroup containerd puts the pods' shims in (under the kubelet's cgroup root when there is one). Outside the
# kubelet container's own cgroup, the shims, and so the pods, live on when that container stops or restarts (a
# Docker Engine restart, a new kubelet configuration): containerd finds them again through its state directory.
SHIM_CGROUP = "curtain-containerd-shims"


def shim_cgroup(cgroup_root: str | None) -> str:
    return f"{(cgroup_root or '').rstrip('/')}/{SHIM_CGROUP}"


def containerd_config(
    sandbox_image: str = DEFAULT_SANDBOX_IMAGE,
    restrict_oom_score_adj: bool = False,
    insecure_registries: tuple[str, ...] | list[str] = (),
    cgroup_root: str | None = None,
) -> dict[str, Any]:
    """containerd's config (version 3) for a kubelet with the cgroupfs driver.

    restrict_oom_score_adj: clamp the OOM scores the kubelet asks for (the sandbox's -998, a Guaranteed pod's
    -997) to containerd's own. Only for hosts where containerd may not lower scores (no CAP_SYS_RESOURCE, as in
    this project's test hosts); a real host leaves it off so that the kubelet's OOM ordering holds.
    insecure_registries: only decides whether registry host files are read (registry_hosts_files writes them).
    """
    if not isinstance(sandbox_image, str) or not sandbox_image or " " in sandbox_image:
        raise ContainerRuntimeError(f"sandbox_image: {sandbox_image!r} is not an image reference")
    images: dict[str, Any] = {"snapshotter": "overlayfs", "pinned_images": {"sandbox": sandbox_image}}
    if insecure_registries:
        images["registry"] = {"config_path": CONTAINERD_REGISTRY_HOSTS_DIR}
    return {
        "version": 3,
        "root": CONTAINERD_ROOT,
        "state": CONTAINERD_STATE,
        "grpc": {"address": CONTAINERD_SOCKET},
        "ttrpc": {"address": f"{CONTAINERD_SOCKET}.ttrpc"},
        "plugins": {
            _IMAGES: images,
            _RUNTIME: {
                "restrict_oom_score_adj": bool(restrict_oom_score_adj),
                "containerd": {
                    "default_runtime_name": "runc",
                    "runtimes": {
                        # cgroupfs, as the kubelet's cgroupDriver: the kubelet asks the runtime which driver it
                        # uses (KubeletCgroupDriverFromCRI, GA in 1.34), and there is no systemd in the container.
                        "runc": {"runtime_type": "io.containerd.runc.v2",
                                 "options": {"SystemdCgroup": False, "ShimCgroup": shim_cgroup(cgroup_root)}},
                    },
                },
                "cni": {"bin_dirs": [CNI_BIN_DIR], "conf_dir": CNI_CONF_DIR},
            },
        },
    }


def registry_hosts_files(insecure_registries: tuple[str, ...] | list[str]) -> dict[str, str]:
    """containerd's hosts.toml for each registry reached over plain HTTP: {path: text}."""
    files = {}
    for registry in insecure_registries:
        if not isinstance(registry, str) or "/" in registry or not registry:
            raise ContainerRuntimeError(f"insecure_registries: {registry!r} is not host[:port]")
        files[f"{CONTAINERD_REGISTRY_HOSTS_DIR}/{registry}/hosts.toml"] = to_toml(
            {"server": f"http://{registry}", "host": {f"http://{registry}": {"capabilities": ["pull", "resolve"]}}}
        )
    return files


def cni_config(pod_subnet: str) -> dict[str, Any]:
    """The node's pod network: a bridge (curtain0) with host-local addresses from this node's pod subnet (its Node's
    podCIDR), hostPort through portmap, and the loopback every pod needs. No masquerade here: traffic to other
    nodes' pods keeps its address, and one rule masquerades what leaves the pod network (pod_network.py)."""
    try:
        subnet = ipaddress.ip_network(pod_subnet)
    except ValueError:
        raise ContainerRuntimeError(f"pod_subnet: {pod_subnet!r} is not a CIDR") from None
    default_route = "0.0.0.0/0" if subnet.version == 4 else "::/0"
    return {
        "cniVersion": "1.0.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": CNI_BRIDGE,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": str(subnet)}]],
                         "routes": [{"dst": default_route}]},
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "loopback"},
        ],
    }


def runtime_files(
    sandbox_image: str,
    restrict_oom_score_adj: bool,
    insecure_registries: list[str] | tuple[str, ...],
    cgroup_root: str | None,
) -> dict[str, str]:
    """{path: text} of every file containerd reads at start: its config and the registry hosts reached over plain
    HTTP. The pod network's file (cni_config) comes once the Node has its podCIDR; containerd watches for it."""
    return {
        CONTAINERD_CONFIG: to_toml(containerd_config(sandbox_image, restrict_oom_score_adj, insecure_registries,
                                                     cgroup_root)),
        **registry_hosts_files(insecure_registries),
    }


# --- TOML -----------------------------------------------------------------------------------------------------------
def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else "'" + key + "'"


def _toml_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string for the characters used here
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item, where) for item in value) + "]"
    raise ContainerRuntimeError(f"{where}: a {type(value).__name__} cannot be written as TOML here")


def to_toml(data: Mapping[str, Any]) -> str:
    """TOML for nested mappings of the scalar kinds above: plain keys first, then each sub-table."""
    lines: list[str] = []

    def table(path: list[str], mapping: Mapping[str, Any]) -> None:
        scalars = {key: value for key, value in mapping.items() if not isinstance(value, Mapping)}
        tables = {key: value for key, value in mapping.items() if isinstance(value, Mapping)}
        if path and scalars:
            lines.append("")
            lines.append("[" + ".".join(_toml_key(part) for part in path) + "]")
        for key, value in scalars.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value, '.'.join([*path, key]))}")
        for key, value in tables.items():
            table([*path, key], value)

    table([], data)
    return "\n".join(lines).lstrip("\n") + "\n"


# --- the kubelet's container -----------------------------------------------------------------------------------------
PRIVILEGES = ("privileged", "capabilities")
# Without --privileged, Docker confines a container in ways a kubelet and runc cannot work in: its seccomp and
# AppArmor profiles refuse the mounts and namespaces runc makes. The capabilities mode lifts those two and grants
# the listed capabilities. /proc/sys stays read-only there (Docker's API has no switch for it that community.docker
# passes), so the role sets the kernel parameters below on the host before the kubelet starts.
UNCONFINED = ("seccomp=unconfined", "apparmor=unconfined")
# What the kubelet sets at start unless they are already so, a failed write being fatal
# (pkg/kubelet/cm/container_manager_linux.go setupKernelTunables, with protectKernelDefaults false).
KUBELET_KERNEL_PARAMETERS = {
    "vm.overcommit_memory": "1",
    "vm.panic_on_oom": "0",
    "kernel.panic": "10",
    "kernel.panic_on_oops": "1",
    "kernel.keys.root_maxkeys": "1000000",
    "kernel.keys.root_maxbytes": "25000000",
}
# What the kubelet container shares with the host (modern profile), and why:
KUBELET_VOLUMES = (
    "/etc/kubernetes:/etc/kubernetes:ro",  # KubeletConfiguration is in /var/lib/kubelet; these are manifests, PKI
    "/etc/curtain/containerd:/etc/curtain/containerd:ro",  # containerd's config and registry hosts
    f"{CNI_CONF_DIR}:{CNI_CONF_DIR}:ro",  # the pod network
    # Pods' volumes are mounted under here by the kubelet; rshared so that they reach the host as on a real node.
    "/var/lib/kubelet:/var/lib/kubelet:rshared",
    # containerd's images and snapshots: on the host's disk (its overlay snapshotter cannot work on the container's
    # own overlay root), and kept when the container is recreated.
    f"{CONTAINERD_ROOT}:{CONTAINERD_ROOT}:rw",
    # The running pods' state, and their shims' sockets, which containerd 2.x keeps under /run/containerd/s whatever
    # its state directory: on the host, so that a restarted container's containerd finds its pods again (a socket in
    # the container's own filesystem is not reachable from the next start of it, and the pods would be cleaned up).
    f"{CONTAINERD_STATE}:{CONTAINERD_STATE}:rw",
    f"{SHIM_SOCKETS}:/run/containerd:rw",
    "/run/netns:/run/netns:rshared",  # the pods' network namespaces, which containerd bind-mounts here
    "/var/lib/cni:/var/lib/cni:rw",  # the addresses host-local gave out
    "/var/log/pods:/var/log/pods:rw",  # container logs: kubectl logs reads them through the kubelet
    "/var/log/containers:/var/log/containers:rw",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",  # the kubelet makes the pods' cgroups
    "/lib/modules:/lib/modules:ro",  # modules the runtime or CNI plugins may load (overlay, bridge)
)
# The host directories those volumes need, with the modes their users keep them at (containerd makes its root 0700);
# /var/lib/kubelet is the role's own, made with the other kubelet files.
KUBELET_HOST_DIRECTORIES = {
    RUNTIME_CONFIG_DIR: "0755", CNI_CONF_DIR: "0755", CONTAINERD_ROOT: "0700", CONTAINERD_STATE: "0755",
    SHIM_SOCKETS: "0700", "/run/netns": "0755", "/var/lib/cni": "0755", "/var/log/pods": "0755",
    "/var/log/containers": "0755",
}


def kubelet_host_layout(profile: str, settings: Mapping[str, Any], runtime: Mapping[str, str],
                        nameservers: Sequence[str], control_plane: bool) -> dict[str, list[dict[str, str]]]:
    """The directories, plain files and kernel parameters of a kubelet host, for one curtain.kube.host_files run:
    {directories: [{path, mode}], files: [{dest, content, mode}], sysctl: {file, values} or None}. `settings` are
    the resolved kube settings, `runtime` containerd's files (runtime_files; none for the seed), `nameservers` the
    pods' resolvers (none: the kubelet gives pods the host's). The manifests, kubeconfigs and the
    KubeletConfiguration go in them afterwards. The modern kubelet's kernel parameters are set on the host before it
    starts (it exits where it cannot set them itself: a read-only /proc/sys), and the iptables lock is a file the
    kubelet and kube-proxy containers mount, so it must exist first (a missing one would be made a directory)."""
    directories = {posixpath.dirname(settings["manifest_dir"]): "0755", settings["manifest_dir"]: "0700",
                   "/var/lib/kubelet": "0700"}
    if control_plane:
        # the seed's settings name no audit log: the default's directory, unused there
        audit_log = settings.get("audit_log_path") or "/var/log/kubernetes/audit/audit.log"
        directories[posixpath.dirname(audit_log)] = "0700"
    files = []
    if profile != "seed":
        directories.update(KUBELET_HOST_DIRECTORIES)
        directories.update({posixpath.dirname(path): "0755" for path in runtime})
        files = [{"dest": path, "content": text, "mode": "0644"} for path, text in runtime.items()]
        if nameservers:  # the kubelet reads it whenever it makes a pod's resolv.conf: nothing restarts for it
            files.append({"dest": settings["resolv_conf"], "content": resolv_conf_text(nameservers), "mode": "0644"})
        files.append({"dest": XTABLES_LOCK, "content": "", "mode": "0600"})
    return {"directories": [{"path": path, "mode": mode} for path, mode in directories.items()], "files": files,
            "sysctl": {"file": KUBELET_SYSCTL_FILE, "values": dict(KUBELET_KERNEL_PARAMETERS)}
            if profile != "seed" else None}


def kube_proxy_host_layout(resolved: Mapping[str, Any], kernel_parameters: Mapping[str, str]) -> dict[str, Any]:
    """kube-proxy's directories, the iptables lock and its kernel parameters, for one curtain.kube.host_files run (the
    shape kubelet_host_layout gives). `resolved` are kube-proxy's settings with every default filled in. One
    directory may hold both the kubeconfig and the configuration: it keeps the kubeconfig directory's mode
    (/etc/kubernetes, shared with the kubelet). What kube-proxy writes at start when it differs (conntrack timeouts;
    route_localnet in iptables mode), a failed write being fatal to it, is set here and kept in /etc/sysctl.d:
    kube-proxy finds it right whatever its privileges. An existing lock is left as it is (iptables keeps it empty)."""
    directories = {posixpath.dirname(resolved["kube_proxy_kubeconfig"]): "0755"}
    directories.setdefault(posixpath.dirname(resolved["kube_proxy_config_file"]), "0700")
    return {"directories": [{"path": path, "mode": mode} for path, mode in directories.items()],
            "files": [{"dest": XTABLES_LOCK, "content": "", "mode": "0600"}],
            "sysctl": {"file": KUBE_PROXY_SYSCTL_FILE, "values": dict(kernel_parameters)}
            if kernel_parameters else None}


# The seed's kubelet container: the guide's mounts, less /dev (mount_dev puts it back: it broke new ptys on the
# host). The 1.1 kubelet drives the host's Docker Engine through its socket in /var/run, and with --containerized
# mounts pods' volumes in the host's mount namespace through /rootfs/proc/1/ns/mnt. /var/lib/docker is writable,
# not read-only as in the guide: the 1.1 kubelet writes the ndots option into each pod's resolv.conf there, and with
# :ro no pod off the host network started ("open /var/lib/docker/containers/<id>/resolv.conf: read-only file
# system"). /etc/kubernetes carries the manifests curtain writes, over the image's own master.json.
SEED_KUBELET_VOLUMES = (
    "/:/rootfs:ro",
    "/etc/kubernetes:/etc/kubernetes:ro",
    "/sys:/sys:ro",
    "/var/lib/docker:/var/lib/docker:rw",
    "/var/lib/kubelet:/var/lib/kubelet:rw",
    "/var/run:/var/run:rw",
)


# A pod's hostPath volume is a path as the kubelet sees it: in its container. So the kubelet container mounts every
# host path curtain's static pods use, at the same place (pod_host_paths), and these for kube-proxy as a static pod:
# its configuration, and the lock iptables takes (a file, which must exist before Docker mounts it).
KUBE_PROXY_POD_HOST_PATHS = ("/var/lib/kube-proxy", XTABLES_LOCK)


def pod_host_paths(pods: Mapping[str, Any]) -> list[str]:
    """The hostPath paths of the static pods ({file name: Pod}), and kube-proxy's, less those under a path the
    kubelet container mounts anyway."""
    paths = {volume["hostPath"]["path"] for pod in pods.values() for volume in pod["spec"].get("volumes") or []
             if "hostPath" in volume}
    paths.update(KUBE_PROXY_POD_HOST_PATHS)
    mounted = [volume.split(":")[1] for volume in KUBELET_VOLUMES]
    return sorted(path for path in paths
                  if not any(path == base or path.startswith(base.rstrip("/") + "/") for base in mounted))


def kubelet_container(
    privilege: str,
    capabilities: list[str] | tuple[str, ...] = (),
    dropped_capabilities: list[str] | tuple[str, ...] = (),
    cgroup_root: str | None = None,
    profile: str = "modern",
    mount_dev: bool = False,
    host_paths: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """How the kubelet container runs (community.docker.docker_container's options).

    modern: host network, PID and cgroup namespaces, as the kubelet of a real node has them; /dev/kmsg (the
    kubelet's OOM watcher reads it, and the kubelet exits without it); privileged, or the capabilities listed with
    the confinement lifted. seed: the guide's mounts, host network and PID namespace, privileged or capabilities.
    The host's /dev is mounted only with mount_dev: the seed did, and it broke new ptys on the host. host_paths
    (pod_host_paths) are mounted at the same place, for the static pods' hostPath volumes."""
    if privilege not in PRIVILEGES:
        raise ContainerRuntimeError(f"hyperkube_master_privilege: {privilege!r} is not one of {', '.join(PRIVILEGES)}")
    if privilege == "capabilities" and not capabilities:
        raise ContainerRuntimeError(
            "hyperkube_master_capabilities: empty; a kubelet and its runtime need at least SYS_ADMIN, NET_ADMIN "
            "and the capabilities its pods get (use [ALL], less what the host lacks)"
        )
    dev = ["/dev:/dev"] if mount_dev else []
    if profile == "seed":
        return {
            "network_mode": "host",
            "pid_mode": "host",
            "cgroupns_mode": None,
            "privileged": privilege == "privileged",
            "capabilities": list(capabilities) if privilege == "capabilities" else [],
            "cap_drop": list(dropped_capabilities) if privilege == "capabilities" else [],
            "security_opts": [],
            "devices": [],
            "volumes": [*SEED_KUBELET_VOLUMES, *dev],
            "env": {},
        }
    container: dict[str, Any] = {
        "network_mode": "host",
        "pid_mode": "host",
        "cgroupns_mode": "host",
        "privileged": privilege == "privileged",
        "capabilities": list(capabilities) if privilege == "capabilities" else [],
        "cap_drop": list(dropped_capabilities) if privilege == "capabilities" else [],
        "security_opts": list(UNCONFINED) if privilege == "capabilities" else [],
        "devices": [] if privilege == "privileged" or mount_dev else ["/dev/kmsg:/dev/kmsg:r"],
        "volumes": [*KUBELET_VOLUMES, *(f"{path}:{path}:rw" for path in host_paths), *dev],
        # The cgroups the entrypoint makes before containerd and the kubelet start (they must exist).
        "env": {"CURTAIN_CGROUPS": " ".join(path for path in (cgroup_root, shim_cgroup(cgroup_root)) if path)},
    }
    return container


# --- pods the seed's kubelet runs in Docker ------------------------------------------------------------------------
def docker_pod_key(labels: Mapping[str, Any]) -> tuple[str, str]:
    """(namespace, pod name) of a pod's Docker container, from the kubelet's labels: the seed's 1.1 kubelet sets only
    io.kubernetes.pod.name, as <namespace>/<name>; later kubelets set io.kubernetes.pod.namespace apart."""
    name = str(labels.get("io.kubernetes.pod.name") or "")
    namespace = labels.get("io.kubernetes.pod.namespace")
    if namespace is None and "/" in name:
        namespace, name = name.split("/", 1)
    return str(namespace or ""), name


# --- images in the runtime ------------------------------------------------------------------------------------------
def normalized_image(reference: str) -> str:
    """An image reference as containerd names it: Docker Hub's implicit registry and library/ made explicit
    (curtain/pause:1.0 -> docker.io/curtain/pause:1.0, busybox:1 -> docker.io/library/busybox:1)."""
    first, _, rest = reference.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return reference
    if not rest:
        return f"docker.io/library/{reference}"
    return f"docker.io/{reference}"


# What containerd in the kubelet's container holds: the survey asks it before the run (so that a re-run whose
# containerd has every image copies none), curtain.kube.runtime_images before it copies.
RUNTIME_IMAGE_LIST = ("ctr", "--address", CONTAINERD_SOCKET, "-n", "k8s.io", "images", "list", "--quiet")


def images_to_copy(wanted: list[str] | tuple[str, ...], present: list[str] | tuple[str, ...]) -> list[str]:
    """The wanted images (as Docker names them) that containerd's image list (`ctr images list -q`) lacks."""
    have = {normalized_image(name) for name in present}
    return [image for image in dict.fromkeys(wanted) if normalized_image(image) not in have]


def pod_logs(crictl_pods: str | Mapping[str, Any]) -> dict[str, list[str]]:
    """Where the kubelet keeps the logs of the pods `crictl pods --output json` lists: {directories:
    [/var/log/pods/<namespace>_<name>_<uid>], link_patterns: [<name>_<namespace>_*.log, the kubelet's links in
    /var/log/containers]}."""
    data = json.loads(crictl_pods) if isinstance(crictl_pods, str) else crictl_pods
    directories, patterns = [], []
    for pod in (data or {}).get("items") or []:
        meta = pod.get("metadata") or {}
        name, namespace, uid = meta.get("name"), meta.get("namespace"), meta.get("uid")
        if not (name and namespace and uid) or "/" in f"{name}{namespace}{uid}":
            continue
        directories.append(f"/var/log/pods/{namespace}_{name}_{uid}")
        patterns.append(f"{name}_{namespace}_*.log")
    return {"directories": sorted(set(directories)), "link_patterns": sorted(set(patterns))}

# Copyright: curtain contributors
# Apache License 2.0
"""Preflight: whether the hosts and the inventory are fit for curtain, decided before anything changes.

Pure evaluation (no I/O). Inputs are the inventory (hostvars, groups), the roles' argument specs, what the
curtain.kube.preflight action read on the controller (the cluster CA, the offline bundles' manifest.json, the sha256
of the files images come from) and, per host in the play, the result of the host_survey module. The checks of the
inputs are the ones the roles make when they start, moved forward, so that an input a later role would refuse stops
the run before the first one changes anything. Every finding is a Check(host, check, status, detail) with status
ok, warn or fail; `detail` names the variable, port or process concerned and what is wrong. The action
(plugins/action/preflight.py) prints `table()` and writes `report()`; docs/preflight.md lists the checks and
thresholds.

The playbook does not load the roles, so it cannot see their defaults: they come from role_defaults.py.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.curtain.kube.plugins.module_utils import etcd_plan as etcd_planner
from ansible_collections.curtain.kube.plugins.module_utils import hyperkube_master_plan as master_planner
from ansible_collections.curtain.kube.plugins.module_utils import kube_proxy_plan as proxy_planner
from ansible_collections.curtain.kube.plugins.module_utils.artifacts import MANIFEST_NAME, ArtifactError
from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import docker_pod_key
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import (
    EtcdModelError,
    build_cluster,
    cluster_size_warnings,
)
from ansible_collections.curtain.kube.plugins.module_utils.etcd_plan import EtcdPlanError
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import EtcdReleaseError
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import certificate_fingerprint
from ansible_collections.curtain.kube.plugins.module_utils.inventory import InventoryError, advertise_address
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import (
    KubeClusterError,
    kubelet_role,
    node_name_problem,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import (
    CONTROL_PLANE,
    PortNeed,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_flags import check_flags
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import KubeFlagsetError, component_name
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import (
    SEED_MANIFEST,
    SEED_POD_NAME,
    SETTINGS,
    KubeManifestError,
    resolve_settings,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    KubeProfileError,
    check_features,
    get_profile,
    make_reference,
    version_tuple,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import (
    KubeProxyError,
    proxy_settings,
    user_settings,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import port_needs as proxy_port_needs
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import node_subnet_count
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import (
    DEFAULTS,
    ETCD_PORTS,
    ETCD_TLS,
    HYPERKUBE_ETCD_PORTS,
    HYPERKUBE_PROFILES,
    with_inventory_dir,
)

OK, WARN, FAIL = "ok", "warn", "fail"
STATUSES = (FAIL, WARN, OK)  # worst first: the table's order
INVENTORY = "(inventory)"  # the host column of checks about the inventory as a whole

# Docker Engine 20.10 is the first release with cgroup v2 support (a kubelet on a cgroup v2 host needs it), and the
# oldest this project is tested on (Debian 12's docker.io); older Engines are out of upstream support.
MIN_DOCKER_VERSION = (20, 10)
# etcd warns when a peer's clock differs by more than 1 s ("the clock difference against peer ... is too high
# [> 1s]", rafthttp's prober), and leases, logs and certificates are read against each host's own clock.
CLOCK_SKEW_WARN_SECONDS = 1.0
# Certificates are valid from the moment the controller signs them (community.crypto's not_before default, +0s), and
# the roles use them within seconds: a host further behind than this rejects them as not yet valid.
CLOCK_SKEW_FAIL_SECONDS = 30.0
# Docker's default bridge network (docker0, bip); Pod or Service ranges over it shadow containers on that bridge.
DOCKER_BRIDGE = ipaddress.ip_network("172.17.0.0/16")
# cgroup controllers the kubelet needs to account and limit Pods.
KUBELET_CONTROLLERS = ("cpu", "memory", "pids")

# What other Kubernetes installers leave behind and curtain never writes: kubeadm's etcd static pod and data
# directory, its kubelet flags file and super-admin kubeconfig (kubeadm 1.29+).
KUBEADM_FILES: Mapping[str, str] = {
    "/etc/kubernetes/manifests/etcd.yaml": "kubeadm's etcd static pod",
    "/var/lib/etcd/member": "kubeadm's etcd data",
    "/var/lib/kubelet/kubeadm-flags.env": "kubeadm's kubelet flags",
    "/etc/kubernetes/super-admin.conf": "kubeadm's super-admin kubeconfig",
}
# Static pod manifests curtain writes (modern: kubeadm's file names; seed: the hyperkube master.json; kube-proxy).
OUR_MANIFESTS = (*(f"{name}.yaml" for name in CONTROL_PLANE), SEED_MANIFEST, "kube-proxy.yaml")
# Pod names of those static pods (the kubelet appends "-<node name>").
OUR_PODS = (*CONTROL_PLANE, SEED_POD_NAME, "kube-proxy")
MANAGED_BY_LABELS = ("io.curtain.managed-by", "app.kubernetes.io/managed-by")
# Whose inputs a host needs: the role's variables are checked on the hosts that run it (Groups.runs).
# The hyperkube_master role runs wherever a kubelet does: the control plane and its kubelet on masters, the kubelet
# alone on nodes.
ROLE_COMPONENTS: Mapping[str, str] = {"etcd": "etcd", "hyperkube_master": "kubelet", "kube_proxy": "kube-proxy"}
# Integer inputs that mean a count or a duration: the argument specs say int, and zero or less makes no sense
# (etcd_backup_keep 0 would delete every snapshot, a wait of 0 s fails every health check).
AT_LEAST_ONE = ("etcd_cert_days", "etcd_wait_timeout", "etcd_backup_keep", "hyperkube_master_ca_days",
                "hyperkube_master_cert_days", "hyperkube_master_wait_timeout", "kube_proxy_cert_days",
                "kube_proxy_wait_timeout")


class PreflightError(ValueError):
    """Inputs preflight itself cannot work with (not findings about the hosts); the message says which."""


@dataclass(frozen=True)
class Check:
    host: str
    check: str
    status: str
    detail: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise PreflightError(f"check status must be one of {', '.join(STATUSES)}, got {self.status!r}")

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


# --- inputs --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Groups:
    """The inventory groups the roles run on, and the group names (etcd_group, hyperkube_master_group, nodes)."""

    etcd: tuple[str, ...] = ()
    masters: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=lambda: {"etcd": "etcd", "masters": "masters", "nodes": "nodes"})

    @classmethod
    def of(cls, groups: Mapping[str, Sequence[str]], names: Mapping[str, str] | None = None) -> Groups:
        chosen = {"etcd": "etcd", "masters": "masters", "nodes": "nodes", **dict(names or {})}
        return cls(etcd=tuple(groups.get(chosen["etcd"]) or ()), masters=tuple(groups.get(chosen["masters"]) or ()),
                   nodes=tuple(groups.get(chosen["nodes"]) or ()), names=chosen)

    def runs(self, host: str) -> list[str]:
        """What curtain runs on `host`: etcd, control plane, and on masters and nodes the kubelet and kube-proxy."""
        return ([component for component, group in (("etcd", self.etcd), ("control plane", self.masters))
                 if host in group]
                + (["kubelet", "kube-proxy"] if host in self.kubelet_hosts else []))

    @property
    def kubelet_hosts(self) -> list[str]:
        """The hosts that run a kubelet and register as Nodes: the masters, then the nodes."""
        return list(dict.fromkeys([*self.masters, *self.nodes]))

    @property
    def all_hosts(self) -> list[str]:
        return list(dict.fromkeys([*self.etcd, *self.masters, *self.nodes]))


@dataclass(frozen=True)
class HostInputs:
    """The role variables of one host that preflight reads, with the roles' defaults where unset."""

    host: str
    etcd_profile: Any
    etcd_client_port: Any
    etcd_peer_port: Any
    etcd_cluster_token: Any
    etcd_data_dir: Any
    etcd_image_source: Any
    etcd_version: Any
    etcd_image: Any
    etcd_image_digest: Any
    etcd_image_tarball: Any
    etcd_image_directory: Any
    etcd_release_url: Any
    etcd_release_sha256: Any
    etcd_container_name: Any
    hyperkube_master_profile: Any
    hyperkube_master_version: Any
    hyperkube_master_image_source: Any
    hyperkube_master_image_directory: Any
    hyperkube_master_images: Any
    hyperkube_master_settings: Any
    hyperkube_master_dns: Any
    hyperkube_master_etcd_port: Any
    hyperkube_master_pki_controller_dir: Any
    hyperkube_master_kubelet_container_name: Any
    kube_proxy_profile: Any
    kube_proxy_version: Any
    kube_proxy_image_source: Any
    kube_proxy_image_directory: Any
    kube_proxy_images: Any
    kube_proxy_mode: Any
    kube_proxy_settings: Any
    kube_proxy_deployment: Any
    kube_proxy_container_name: Any
    kube_node_name: Any
    architecture: Any  # from facts: the release image source downloads for it

    @classmethod
    def of(cls, host: str, host_vars: Mapping[str, Any]) -> HostInputs:
        def value(name: str) -> Any:
            given = host_vars.get(name)
            if given is None:
                given = DEFAULTS.get(name)
            return _plain(given)

        etcd_profile = value("etcd_profile")
        etcd_ports = ETCD_PORTS.get(str(etcd_profile), {})
        master_profile = value("hyperkube_master_profile")
        master_etcd_port = host_vars.get("hyperkube_master_etcd_port")
        if master_etcd_port is None:
            master_etcd_port = HYPERKUBE_ETCD_PORTS.get(_profile_name(master_profile) or "")
        pki_dir = host_vars.get("hyperkube_master_pki_controller_dir")
        if pki_dir is None:
            pki_dir = with_inventory_dir(DEFAULTS["hyperkube_master_pki_controller_dir"],
                                         host_vars.get("inventory_dir") or ".")
        return cls(
            host=host,
            etcd_profile=etcd_profile,
            etcd_client_port=_plain(_first(host_vars.get("etcd_client_port"), etcd_ports.get("client_port"))),
            etcd_peer_port=_plain(_first(host_vars.get("etcd_peer_port"), etcd_ports.get("peer_port"))),
            etcd_cluster_token=value("etcd_cluster_token"),
            etcd_data_dir=value("etcd_data_dir"),
            etcd_image_source=value("etcd_image_source"),
            etcd_version=value("etcd_version"),
            etcd_image=value("etcd_image"),
            etcd_image_digest=value("etcd_image_digest"),
            etcd_image_tarball=value("etcd_image_tarball"),
            etcd_image_directory=value("etcd_image_directory"),
            etcd_release_url=value("etcd_release_url"),
            etcd_release_sha256=value("etcd_release_sha256"),
            etcd_container_name=value("etcd_container_name"),
            hyperkube_master_profile=master_profile,
            hyperkube_master_version=value("hyperkube_master_version"),
            hyperkube_master_image_source=value("hyperkube_master_image_source"),
            hyperkube_master_image_directory=value("hyperkube_master_image_directory"),
            hyperkube_master_images=value("hyperkube_master_images"),
            hyperkube_master_settings=value("hyperkube_master_settings"),
            hyperkube_master_dns=value("hyperkube_master_dns"),
            hyperkube_master_etcd_port=_plain(master_etcd_port),
            hyperkube_master_pki_controller_dir=_plain(pki_dir),
            hyperkube_master_kubelet_container_name=value("hyperkube_master_kubelet_container_name"),
            kube_proxy_profile=value("kube_proxy_profile"),
            kube_proxy_version=value("kube_proxy_version"),
            kube_proxy_image_source=value("kube_proxy_image_source"),
            kube_proxy_image_directory=value("kube_proxy_image_directory"),
            kube_proxy_images=value("kube_proxy_images"),
            kube_proxy_mode=value("kube_proxy_mode"),
            kube_proxy_settings=value("kube_proxy_settings"),
            kube_proxy_deployment=value("kube_proxy_deployment"),
            kube_proxy_container_name=value("kube_proxy_container_name"),
            kube_node_name=_plain(host_vars.get("kube_node_name") or host),
            architecture=_plain((host_vars.get("ansible_facts") or {}).get("architecture")
                                or host_vars.get("ansible_architecture")),
        )

    @property
    def master_reference(self) -> str:
        """The control plane's profile reference, as the role builds it: "modern" or "modern@v1.36.3"."""
        return make_reference(self.hyperkube_master_profile, self.hyperkube_master_version)

    @property
    def proxy_reference(self) -> str:
        return make_reference(self.kube_proxy_profile, self.kube_proxy_version)

    def master_settings(self) -> dict[str, Any] | None:
        """hyperkube_master_settings resolved against hyperkube_master_profile; None when they do not resolve."""
        try:
            return resolve_settings(self.master_reference, _mapping(self.hyperkube_master_settings))
        except (KubeManifestError, KubeProfileError, TypeError):
            return None

    def master_setting(self, key: str, default: Any = None) -> Any:
        """One setting: resolved when hyperkube_master_settings resolve, as given otherwise (so that one wrong setting
        is reported once, by the master settings check, and does not make the cgroup or swap check fail too)."""
        resolved = self.master_settings()
        if resolved is not None:
            return resolved.get(key, default)
        given = self.hyperkube_master_settings
        return given.get(key, default) if isinstance(given, Mapping) else default

    def proxy_user_settings(self) -> dict[str, Any]:
        return user_settings(_mapping(self.kube_proxy_settings), self.kube_proxy_mode)


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _plain(value: Any) -> Any:
    """Ansible's tagged str/int/dict as plain Python (they serialise the same, but compare and hash as plain)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def _mapping(value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping, got {value!r}")
    return dict(value)


def _profile_name(reference: Any) -> str | None:
    try:
        return get_profile(str(reference)).name
    except KubeProfileError:
        return None


def _port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        port = int(str(value))
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


# --- what each host needs ------------------------------------------------------------------------------------------
def etcd_ports(inputs: HostInputs) -> list[PortNeed]:
    needs = []
    for role, variable in (("etcd client", "etcd_client_port"), ("etcd peer", "etcd_peer_port")):
        port = _port(getattr(inputs, variable))
        if port is not None:
            needs.append(PortNeed(port, role, variable))
    return needs


def master_ports(inputs: HostInputs, control_plane: bool = True) -> list[PortNeed]:
    """The hyperkube_master role's ports (the component table's listens, as its planner takes them): a master's
    control plane and kubelet, a node's kubelet alone."""
    try:
        profile = get_profile(inputs.master_reference)
    except KubeProfileError:
        return []
    resolved = inputs.master_settings() or resolve_settings(profile.reference, {})
    return master_planner.port_needs(profile.ports, resolved, control_plane)


def proxy_ports(inputs: HostInputs) -> list[PortNeed]:
    """kube-proxy's ports, as the kube_proxy role's planner takes them (kube_proxy.port_needs)."""
    try:
        return proxy_port_needs(inputs.proxy_reference, inputs.proxy_user_settings())
    except (KubeProfileError, KubeManifestError, TypeError):
        return []


def port_needs(host: str, inputs: HostInputs, groups: Groups) -> list[PortNeed]:
    runs = groups.runs(host)
    return ((etcd_ports(inputs) if "etcd" in runs else [])
            + (master_ports(inputs, "control plane" in runs) if "kubelet" in runs else [])
            + (proxy_ports(inputs) if "kube-proxy" in runs else []))


def _etcd_paths(inputs: HostInputs) -> tuple[str, str]:
    data_dir = str(inputs.etcd_data_dir).rstrip("/")
    return f"{data_dir}/data/member", f"{data_dir}/cluster.json"


def _master_paths(inputs: HostInputs) -> tuple[str, str]:
    resolved = inputs.master_settings() or {}
    pki_dir = str(resolved.get("pki_dir") or "/etc/kubernetes/pki").rstrip("/")
    manifest_dir = str(resolved.get("manifest_dir") or "/etc/kubernetes/manifests").rstrip("/")
    return f"{pki_dir}/ca.crt", manifest_dir


def survey_request(host: str, inputs: HostInputs, groups: Groups) -> dict[str, list[Any]]:
    """The host_survey arguments for `host`: what preflight's checks read (ports, paths, json_files), and all that
    the roles' looks ask (their planners' survey requests), so that site.yml can hand this survey to them
    (etcd_host_survey, hyperkube_master_host_survey, kube_proxy_host_survey) and they do not survey the host
    again."""
    runs = groups.runs(host)
    paths = list(KUBEADM_FILES)
    json_files = []
    if "etcd" in runs:
        data, marker = _etcd_paths(inputs)
        paths.append(data)
        json_files.append(marker)
    if "control plane" in runs:
        paths.extend(_master_paths(inputs))
    request: dict[str, list[Any]] = {
        "ports": sorted({need.port for need in port_needs(host, inputs, groups)}),
        "paths": list(dict.fromkeys(paths)), "json_files": json_files, "text_files": [], "images": [], "inspect": [],
        "execs": [],
    }
    for role_request in _role_survey_requests(inputs, runs):
        for option, items in role_request.items():
            for item in items:
                if item not in request[option]:
                    request[option].append(item)
    return request


def _role_survey_requests(inputs: HostInputs, runs: Sequence[str]) -> list[dict[str, list[Any]]]:
    """What the roles' looks on the host ask, by their planners; a role whose inputs no plan can be made from is left
    out (the checks report those inputs; the role surveys for itself)."""
    requests = []
    if "etcd" in runs and str(inputs.etcd_profile) in ETCD_PORTS:
        try:
            planner_inputs = _etcd_planner_inputs(inputs, {})
            release, _ = etcd_planner.image_plans(planner_inputs)
            requests.append(etcd_planner.survey_request(planner_inputs,
                                                        etcd_planner.image_ref(planner_inputs, release)))
        except (EtcdPlanError, EtcdReleaseError, ArtifactError, KubeProfileError, TypeError, ValueError):
            pass
    profile = _profile_name(inputs.hyperkube_master_profile)
    if "kubelet" in runs and profile is not None:
        control_plane = "control plane" in runs
        try:
            planner_inputs = _master_planner_inputs(inputs, profile, {})
            _, planned = master_planner.image_plans(
                planner_inputs, master_planner.image_components(planner_inputs, control_plane))
            requests.append(master_planner.survey_request(
                [need.port for need in master_ports(inputs, control_plane)], planned,
                master_planner.runtime_images(planned, bool(HYPERKUBE_PROFILES[profile]["tls"])),
                planner_inputs.kubelet_container))
        except (ArtifactError, KubeProfileError, TypeError, ValueError):
            pass
    if "kube-proxy" in runs:
        try:
            paths = resolve_settings(inputs.proxy_reference, inputs.proxy_user_settings())
            requests.append(proxy_planner.survey_request(
                [need.port for need in proxy_ports(inputs)], proxy_planner.static_pod_manifest(paths),
                _proxy_plans(inputs, {}), str(inputs.kube_proxy_container_name)))
        except (ArtifactError, KubeManifestError, KubeProfileError, KeyError, TypeError, ValueError):
            pass
    return requests


def controller_ca_paths(hosts: Iterable[str], inputs: Mapping[str, HostInputs], groups: Groups) -> list[str]:
    """The cluster CA certificates on the controller that the masters' ca.crt are compared with."""
    return list(dict.fromkeys(f"{str(inputs[host].hyperkube_master_pki_controller_dir).rstrip('/')}/ca.crt"
                              for host in hosts if host in groups.masters and host in inputs))


def bundle_manifest_paths(hosts: Iterable[str], inputs: Mapping[str, HostInputs], groups: Groups) -> list[str]:
    """The manifest.json of every offline bundle the hosts install from, read on the controller."""
    return list(dict.fromkeys(f"{directory.rstrip('/')}/{MANIFEST_NAME}" for host in hosts if host in inputs
                              for directory in bundle_directories(inputs[host], groups)))


def controller_cas(contents: Mapping[str, bytes]) -> dict[str, str]:
    """{controller path: certificate sha256} of the CAs read on the controller (controller_ca_paths); a file that
    holds no certificate is left out, as an absent one."""
    found = {path: certificate_fingerprint(content) for path, content in contents.items()
             if not path.endswith(f"/{MANIFEST_NAME}")}
    return {path: fingerprint for path, fingerprint in found.items() if fingerprint is not None}


def bundle_manifests(contents: Mapping[str, bytes]) -> dict[str, Any]:
    """{bundle directory: parsed manifest.json, or None when it is not JSON} of the manifests read on the controller
    (bundle_manifest_paths); unread ones are absent."""
    found: dict[str, Any] = {}
    for path, content in contents.items():
        if path.endswith(f"/{MANIFEST_NAME}"):
            try:
                found[path[:-len(MANIFEST_NAME) - 1]] = json.loads(content)
            except ValueError:
                found[path[:-len(MANIFEST_NAME) - 1]] = None
    return found


def image_files(hosts: Iterable[str], inputs: Mapping[str, HostInputs], groups: Groups,
                manifests: Mapping[str, Any]) -> list[dict[str, Any]]:
    """[{path, checksum}]: the controller files the hosts' images come from, to stat (with a sha256 where the
    bundle records one)."""
    found: dict[str, bool] = {}
    for host in hosts:
        if host in inputs:
            for _, path, sha256 in image_sources(inputs[host], groups, manifests).files:
                found[path] = found.get(path, False) or bool(sha256)
    return [{"path": path, "checksum": checksum} for path, checksum in found.items()]


# --- host checks ---------------------------------------------------------------------------------------------------
def _version(text: str | None) -> tuple[int, ...] | None:
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", str(text or ""))
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def docker_check(host: str, survey: Mapping[str, Any]) -> Check:
    docker = survey.get("docker") or {}
    minimum = ".".join(map(str, MIN_DOCKER_VERSION))
    if not docker.get("present"):
        return Check(host, "docker", FAIL, f"the docker CLI is not on {host}'s PATH; every component runs as a Docker "
                                           f"container: install Docker Engine {minimum} or newer")
    server = docker.get("server_version")
    if not server:
        return Check(host, "docker", FAIL, f"Docker Engine does not answer ({docker.get('error')}): start dockerd, "
                                           "or run the playbook as a user allowed to use it (become)")
    parsed = _version(server)
    if parsed is None or parsed[:2] < MIN_DOCKER_VERSION:
        return Check(host, "docker", FAIL, f"Docker Engine {server} is older than {minimum}, the oldest curtain "
                                           "supports (cgroup v2 support): upgrade Docker Engine")
    return Check(host, "docker", OK, f"Docker Engine {server} (client {docker.get('client_version')})")


def kernel_check(host: str, survey: Mapping[str, Any]) -> Check:
    kernel = survey.get("kernel") or {}
    if not kernel.get("module_support"):
        how = "a kernel without loadable modules (features are built in)"
    else:
        loaded = sorted({*kernel.get("modules", []), *kernel.get("builtin", [])})
        how = f"modules loaded or built in: {', '.join(loaded) or 'none of interest'}"
    return Check(host, "kernel", OK, f"Linux {kernel.get('release') or '?'}, {how}")


def _kubelet_fails_on_cgroup_v1(inputs: HostInputs) -> bool:
    return str(inputs.master_setting("fail_cgroup_v1", True)).lower() != "false"


def cgroup_check(host: str, survey: Mapping[str, Any], inputs: HostInputs, groups: Groups) -> Check:
    cgroup = survey.get("cgroup") or {}
    controllers = list(cgroup.get("controllers") or [])
    is_master = host in groups.kubelet_hosts
    missing = [name for name in KUBELET_CONTROLLERS if name not in controllers]
    if cgroup.get("version") == 1:
        profile = _profile_name(inputs.hyperkube_master_profile)
        if is_master and profile == "modern" and _kubelet_fails_on_cgroup_v1(inputs):
            return Check(host, "cgroup", FAIL, (
                "cgroup v1: the kubelet of Kubernetes 1.35 and newer refuses to start on it (failCgroupV1, "
                "KEP-5573); boot the host with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or accept the "
                "deprecated mode with hyperkube_master_settings.fail_cgroup_v1: false"))
        return Check(host, "cgroup", WARN, (
            "cgroup v1: deprecated by Kubernetes (kubelets 1.35+ refuse it unless fail_cgroup_v1 is false) and by "
            "systemd; move the host to cgroup v2"
            + (f"; missing controllers: {', '.join(missing)}" if missing else "")))
    if is_master and missing:
        return Check(host, "cgroup", WARN, f"cgroup v2 without the {', '.join(missing)} controller(s): the kubelet "
                                           "cannot account or limit Pods with them; enable them for the root cgroup")
    return Check(host, "cgroup", OK, f"cgroup v{cgroup.get('version', '?')}, controllers {', '.join(controllers)}")


def swap_check(host: str, survey: Mapping[str, Any], inputs: HostInputs, groups: Groups) -> Check:
    swap = survey.get("swap") or {}
    if not swap.get("active"):
        return Check(host, "swap", OK, "no swap")
    areas = ", ".join(f"{area['filename']} ({area['size_kb'] // 1024} MiB)" for area in swap.get("areas", []))
    if host not in groups.kubelet_hosts:
        return Check(host, "swap", OK, f"swap is on ({areas}); no kubelet runs here")
    if _profile_name(inputs.hyperkube_master_profile) == "modern" and inputs.master_setting("fail_swap_on", True):
        return Check(host, "swap", FAIL, (
            f"swap is on ({areas}) and the kubelet refuses to start with swap (failSwapOn, "
            "hyperkube_master_settings.fail_swap_on, is true): run swapoff -a and remove the swap from /etc/fstab, "
            "or set hyperkube_master_settings.fail_swap_on: false"))
    return Check(host, "swap", WARN, (f"swap is on ({areas}); the kubelet runs with it (hyperkube_master_settings."
                                      "fail_swap_on is false, or the seed's kubelet) but memory limits are soft"))


def network_checks(host: str, survey: Mapping[str, Any], groups: Groups) -> list[Check]:
    """ip_forward, br_netfilter and overlay: warnings, since Docker or kube-proxy often fix them at start."""
    sysctls = survey.get("sysctls") or {}
    kernel = survey.get("kernel") or {}
    checks = []
    forwards = sysctls.get("net.ipv4.ip_forward")
    routes = "kube-proxy" in groups.runs(host)
    if forwards != "1" and routes:
        checks.append(Check(host, "ip_forward", WARN, (
            f"net.ipv4.ip_forward is {forwards if forwards is not None else 'missing'}: traffic to Services and Pods "
            "is not forwarded; set it to 1 (Docker does when it manages iptables)")))
    else:
        checks.append(Check(host, "ip_forward", OK, f"net.ipv4.ip_forward is {forwards}"))
    bridge = sysctls.get("net.bridge.bridge-nf-call-iptables")
    if routes and bridge is None:
        checks.append(Check(host, "br_netfilter", WARN, (
            "br_netfilter is not loaded (no net.bridge.bridge-nf-call-iptables): kube-proxy's rules do not see "
            "traffic between containers on a bridge; modprobe br_netfilter and list it in /etc/modules-load.d")))
    elif routes and bridge != "1":
        checks.append(Check(host, "br_netfilter", WARN, (
            f"net.bridge.bridge-nf-call-iptables is {bridge}: kube-proxy's rules do not see bridged traffic; set it "
            "to 1")))
    else:
        said = bridge if bridge is not None else "missing (not needed here)"
        checks.append(Check(host, "br_netfilter", OK, f"net.bridge.bridge-nf-call-iptables is {said}"))
    has_overlay = "overlay" in (kernel.get("filesystems") or []) or "overlay" in (kernel.get("modules") or [])
    checks.append(Check(host, "overlay", OK, "the overlay filesystem is available") if has_overlay else Check(
        host, "overlay", WARN, "the overlay filesystem is not available: Docker's default storage driver overlay2 "
                               "needs it; modprobe overlay"))
    return checks


def _container_label(container: Mapping[str, Any]) -> str:
    names = container.get("names") or []
    return f"{names[0] if names else '?'} ({str(container.get('id', ''))[:12]})"


def is_ours(container: Mapping[str, Any], containers: Sequence[Mapping[str, Any]]) -> bool:
    """A container curtain made (labelled io.curtain.managed-by=curtain), or a static pod of ours: labelled
    app.kubernetes.io/managed-by=curtain, or a pod with one of our pod names (in kube-system; the seed's master pod
    in default) on a host that runs curtain's kubelet (a kubeadm cluster's pods have the same names, but another
    kubelet)."""
    labels = container.get("labels") or {}
    if any(labels.get(label) == "curtain" for label in MANAGED_BY_LABELS):
        return True
    namespace, pod = docker_pod_key(labels)
    if namespace not in ("kube-system", "default") or not any(
            pod == name or pod.startswith(f"{name}-") for name in OUR_PODS):
        return False
    return _runs_our_kubelet(containers)


def _runs_our_kubelet(containers: Sequence[Mapping[str, Any]]) -> bool:
    return any((item.get("labels") or {}).get("io.curtain.managed-by") == "curtain"
               and (item.get("labels") or {}).get("io.curtain.component") == "kubelet" for item in containers)


def _what_it_is(container: Mapping[str, Any]) -> str:
    labels = container.get("labels") or {}
    return str(labels.get("io.curtain.component") or labels.get("io.kubernetes.container.name")
               or (container.get("names") or ["a container"])[0])


def port_checks(host: str, needs: Sequence[PortNeed], survey: Mapping[str, Any]) -> list[Check]:
    """Each needed port: free, or held by one of our containers (ok); anything else holding it fails."""
    checks = []
    by_port: dict[int, list[PortNeed]] = {}
    for need in needs:
        by_port.setdefault(need.port, []).append(need)
    owners = {int(entry["port"]): entry for entry in survey.get("ports") or []}
    containers = list(survey.get("containers") or [])
    for port, wanted in by_port.items():
        name = f"port {port}"
        if len({need.component for need in wanted}) > 1:
            users = " and ".join(f"{need.component} ({need.where()})" for need in wanted)
            checks.append(Check(host, name, FAIL, f"port {port} is needed by both {users}: move one of them"))
            continue
        need = wanted[0]
        owner = owners.get(port)
        if owner is None:
            checks.append(Check(host, name, WARN, f"port {port} ({need.component}) was not surveyed"))
            continue
        if not owner.get("listening"):
            checks.append(Check(host, name, OK, f"port {port} ({need.component}, {need.where()}) is free"))
            continue
        container_id = owner.get("container_id")
        container = next((item for item in containers if container_id and str(item.get("id", "")).startswith(
            container_id)), None)
        if container is not None and is_ours(container, containers):
            checks.append(Check(host, name, OK, f"port {port} ({need.component}) is held by curtain's "
                                                f"{_what_it_is(container)}, container {_container_label(container)}"))
            continue
        if container is None and owner.get("in_pod") and _runs_our_kubelet(containers):
            checks.append(Check(host, name, OK, f"port {port} ({need.component}) is held by {owner.get('process')}, "
                                                "in a pod of curtain's kubelet"))
            continue
        if owner.get("pid"):
            who = f"{owner.get('process')} (pid {owner['pid']})"
            if container is not None:
                who += f" in container {_container_label(container)}, which curtain did not create"
            elif container_id:
                who += f" in container {container_id[:12]}"
        else:
            who = "a process this user cannot see (run the preflight as root, become: true, to name it)"
        remedy = (f"stop that process, or set {need.variable} to another port" if need.variable
                  else "stop that process; the profile fixes this port")
        checks.append(Check(host, name, FAIL, f"port {port} is in use by {who}; {need.component} needs it: {remedy}"))
    return checks


def clock_check(host: str, survey: Mapping[str, Any]) -> Check:
    """The host's clock against the controller's, taken around the survey: skew = host time - midpoint, known to
    within half the window. Thresholds apply to the part of the skew that is certain."""
    try:
        host_time = float(survey["time"])
        before, after = float(survey["controller_time_before"]), float(survey["controller_time_after"])
    except (KeyError, TypeError, ValueError):
        return Check(host, "clock", WARN, "the host's clock was not read (host_survey ran without its action plugin)")
    skew = host_time - (before + after) / 2
    uncertainty = max(0.0, (after - before) / 2)
    certain = max(0.0, abs(skew) - uncertainty)
    direction = "ahead of" if skew > 0 else "behind"
    said = f"{abs(skew):.1f} s {direction} the controller (±{uncertainty:.1f} s)"
    if certain > CLOCK_SKEW_FAIL_SECONDS:
        return Check(host, "clock", FAIL, (f"the clock is {said}, more than {CLOCK_SKEW_FAIL_SECONDS:.0f} s: "
                                           "certificates signed now are not yet valid there; synchronise it (NTP)"))
    if certain > CLOCK_SKEW_WARN_SECONDS:
        return Check(host, "clock", WARN, (f"the clock is {said}, more than {CLOCK_SKEW_WARN_SECONDS:.0f} s: etcd "
                                           "warns about peer clock differences above 1 s; synchronise it (NTP)"))
    return Check(host, "clock", OK, f"the clock is within {abs(skew) + uncertainty:.1f} s of the controller's")


def _path(survey: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    return (survey.get("paths") or {}).get(path) or {}


def etcd_data_check(host: str, survey: Mapping[str, Any], inputs: HostInputs) -> Check:
    data, marker_path = _etcd_paths(inputs)
    data_dir = str(inputs.etcd_data_dir).rstrip("/")
    marker = _path(survey, marker_path)
    has_data = bool(_path(survey, data).get("exists"))
    token = str(inputs.etcd_cluster_token)
    nothing = "Nothing was changed. Move that directory away (or replace it from a snapshot with " \
              "playbooks/etcd_restore.yml) before running again"
    if marker.get("exists"):
        content = marker.get("json")
        if not isinstance(content, Mapping) or "cluster_token" not in content:
            return Check(host, "etcd data", FAIL, (
                f"{marker_path} (etcd_data_dir) is not curtain's cluster marker "
                f"({marker.get('json_error') or marker.get('error') or 'no cluster_token'}). {nothing}"))
        if str(content["cluster_token"]) != token:
            return Check(host, "etcd data", FAIL, (
                f"{data_dir} (etcd_data_dir) holds etcd data of cluster token {content['cluster_token']!r}, not of "
                f"etcd_cluster_token={token!r}. {nothing}"))
        return Check(host, "etcd data", OK, f"{data_dir} belongs to etcd_cluster_token={token!r}")
    if has_data:
        return Check(host, "etcd data", FAIL, (
            f"{data} (etcd_data_dir) holds etcd data without curtain's marker {marker_path}: a cluster curtain did "
            f"not create. {nothing}"))
    return Check(host, "etcd data", OK, f"no etcd data in {data_dir} (etcd_data_dir) yet")


def cluster_ca_check(host: str, survey: Mapping[str, Any], inputs: HostInputs,
                     controller_cas: Mapping[str, str | None]) -> Check:
    """The host's cluster CA against the controller's (hyperkube_master_pki_controller_dir/ca.crt)."""
    host_ca, _ = _master_paths(inputs)
    controller_ca = f"{str(inputs.hyperkube_master_pki_controller_dir).rstrip('/')}/ca.crt"
    on_host = _path(survey, host_ca)
    ours = controller_cas.get(controller_ca)
    if not on_host.get("exists"):
        return Check(host, "cluster CA", OK, f"no {host_ca} on the host yet")
    theirs = on_host.get("certificate_sha256")
    if ours is None:
        return Check(host, "cluster CA", WARN, (
            f"{host_ca} exists on the host but the controller has no {controller_ca} "
            "(hyperkube_master_pki_controller_dir): the role would make a new CA and replace it. If the host belongs "
            "to another cluster, stop here; otherwise restore the CA into that directory"))
    if theirs != ours:
        return Check(host, "cluster CA", FAIL, (
            f"{host_ca} is not the CA in {controller_ca} (hyperkube_master_pki_controller_dir): sha256 "
            f"{theirs[:16] if theirs else '(not a certificate)'} on the host, {ours[:16]} on the controller; the host "
            "belongs to another cluster. Nothing was changed. Move /etc/kubernetes away, or point "
            "hyperkube_master_pki_controller_dir at that cluster's CA"))
    return Check(host, "cluster CA", OK, f"{host_ca} is the CA in {controller_ca}")


def leftover_checks(host: str, survey: Mapping[str, Any], inputs: HostInputs, groups: Groups) -> list[Check]:
    checks = []
    found = [f"{path} ({what})" for path, what in KUBEADM_FILES.items() if _path(survey, path).get("exists")]
    if found:
        checks.append(Check(host, "other installers", FAIL, (
            f"{'; '.join(found)}: files curtain never writes, left by another cluster. Nothing was changed. Run "
            "`kubeadm reset` on the host, or move them away")))
    else:
        checks.append(Check(host, "other installers", OK, "no kubeadm files"))
    if host in groups.masters:
        _, manifest_dir = _master_paths(inputs)
        entries = _path(survey, manifest_dir).get("entries") or []
        foreign = [name for name in entries if name not in OUR_MANIFESTS and f"{manifest_dir}/{name}" not in
                   KUBEADM_FILES]
        if foreign:
            checks.append(Check(host, "manifest dir", WARN, (
                f"{manifest_dir} (hyperkube_master_settings.manifest_dir) holds {', '.join(foreign)}, which curtain "
                "does not write: the kubelet will run those static pods too")))
    return checks


def host_checks(host: str, inputs: HostInputs, groups: Groups, survey: Mapping[str, Any],
                controller_cas: Mapping[str, str | None]) -> list[Check]:
    """Every check of one surveyed host."""
    runs = groups.runs(host)
    checks = [docker_check(host, survey), kernel_check(host, survey), cgroup_check(host, survey, inputs, groups),
              swap_check(host, survey, inputs, groups), *network_checks(host, survey, groups),
              clock_check(host, survey)]
    checks += port_checks(host, port_needs(host, inputs, groups), survey)
    if "etcd" in runs:
        checks.append(etcd_data_check(host, survey, inputs))
    if "control plane" in runs:
        checks.append(cluster_ca_check(host, survey, inputs, controller_cas))
    checks += leftover_checks(host, survey, inputs, groups)
    return checks


# --- profiles and settings (per host, from the inventory) ----------------------------------------------------------
def profile_checks(host: str, inputs: HostInputs, groups: Groups) -> list[Check]:
    runs = groups.runs(host)
    checks = []
    names: dict[str, str | None] = {}
    if inputs.etcd_profile not in ETCD_PORTS:
        checks.append(Check(host, "profiles", FAIL, f"etcd_profile {inputs.etcd_profile!r} is not one of "
                                                    f"{', '.join(ETCD_PORTS)}"))
    names["etcd_profile"] = str(inputs.etcd_profile) if inputs.etcd_profile in ETCD_PORTS else None
    for variable, version_variable in (("hyperkube_master_profile", "hyperkube_master_version"),
                                       ("kube_proxy_profile", "kube_proxy_version")):
        reference = getattr(inputs, variable)
        try:
            names[variable] = get_profile(str(reference)).name
        except KubeProfileError as error:
            names[variable] = None
            checks.append(Check(host, "profiles", FAIL, f"{variable}: {error}"))
            continue
        version = getattr(inputs, version_variable)
        if version:
            try:
                get_profile(make_reference(reference, version))
            except KubeProfileError as error:
                checks.append(Check(host, "profiles", FAIL, f"{version_variable} {version!r}: {error}"))
    known = {variable: name for variable, name in names.items() if name}
    if len(set(known.values())) > 1:
        said = ", ".join(f"{variable}={getattr(inputs, variable)}" for variable in known)
        checks.append(Check(host, "profiles", FAIL, (
            f"{said} disagree: etcd, the control plane and kube-proxy must use one profile (the seed's apiserver "
            "speaks plain HTTP to etcd on 4001, modern's TLS on 2379)")))
    elif not checks:
        checks.append(_version_skew_check(host, inputs) or Check(
            host, "profiles", OK, f"every role uses profile {next(iter(known.values()))}"))
    if "kubelet" in runs and _resolves(inputs.master_reference):
        checks.append(_master_settings_check(host, inputs))
    if "kube-proxy" in runs:
        checks.extend(_proxy_checks(host, inputs, groups))
    if "etcd" in runs:
        bad = [f"{variable}={getattr(inputs, variable)!r}" for variable in ("etcd_client_port", "etcd_peer_port")
               if _port(getattr(inputs, variable)) is None]
        if bad:
            checks.append(Check(host, "etcd settings", FAIL, f"{', '.join(bad)}: not a TCP port (1-65535)"))
    return checks


def _resolves(reference: str) -> bool:
    """Whether a profile reference names a profile; when not, the profiles check says why, and the checks that
    need the profile stay silent (one wrong input, one message)."""
    try:
        get_profile(reference)
    except KubeProfileError:
        return False
    return True


def _version_skew_check(host: str, inputs: HostInputs) -> Check | None:
    """kube-proxy may be older than the apiserver (version skew policy), never newer."""
    try:
        master = get_profile(inputs.master_reference).version
        proxy = get_profile(inputs.proxy_reference).version
    except KubeProfileError:
        return None
    if master == proxy:
        return None
    said = (f"hyperkube_master_profile={inputs.master_reference} ({master}), "
            f"kube_proxy_profile={inputs.proxy_reference} ({proxy})")
    if version_tuple(proxy) > version_tuple(master):
        return Check(host, "profiles", FAIL, f"{said}: kube-proxy must not be newer than the apiserver (version skew "
                                             "policy); upgrade the control plane first")
    return Check(host, "profiles", WARN, f"{said}: kube-proxy is older than the apiserver, fine during an upgrade")


def extra_flag_errors(variable: str, reference: str, settings: Any) -> list[str]:
    """`settings.extra_flags` checked against the release's flag sets, as the builders check the command lines
    later: a flag the release does not have (removed ones say when and what replaced them), a value that does not
    fit. Only the user's flags: the ones the builders add are checked by their own tests."""
    extra = settings.get("extra_flags") if isinstance(settings, Mapping) else None
    if not isinstance(extra, Mapping):
        return []  # absent, or reported by resolve_settings
    try:
        get_profile(reference)
    except KubeProfileError:
        return []  # reported by the profiles check
    errors = []
    for component, flags in extra.items():
        try:
            canonical = component_name(component)
        except KubeFlagsetError:
            continue  # reported by resolve_settings
        if isinstance(flags, Mapping):
            errors += [f"{variable}.extra_flags.{component}: {error}"
                       for error in check_flags(canonical, reference, dict(flags)).errors]
    return errors


def _master_settings_check(host: str, inputs: HostInputs) -> Check:
    errors = []
    try:
        resolve_settings(inputs.master_reference, _mapping(inputs.hyperkube_master_settings))
    except KubeManifestError as error:
        errors += [f"hyperkube_master_settings: {message}" for message in error.errors]
    except (KubeProfileError, TypeError) as error:
        errors.append(f"hyperkube_master_settings: {error}")
    errors += extra_flag_errors("hyperkube_master_settings", inputs.master_reference,
                                inputs.hyperkube_master_settings)
    if errors:
        return Check(host, "master settings", FAIL, "; ".join(errors))
    return Check(host, "master settings", OK, f"hyperkube_master_settings resolve for {inputs.master_reference}")


def _proxy_checks(host: str, inputs: HostInputs, groups: Groups) -> list[Check]:
    checks = []
    mode = inputs.kube_proxy_mode or None
    try:
        profile = get_profile(inputs.proxy_reference)
    except KubeProfileError:
        return []  # reported by the profiles check
    if mode is not None:
        errors = check_features(profile.reference, {"proxy_mode": mode})
        if errors:
            checks.append(Check(host, "kube-proxy mode", FAIL, f"kube_proxy_mode: {'; '.join(errors)}"))
        elif mode in profile.features.deprecated_proxy_modes:
            current = [name for name in profile.features.proxy_modes
                       if name not in profile.features.deprecated_proxy_modes]
            checks.append(Check(host, "kube-proxy mode", WARN, (
                f"kube_proxy_mode={mode} is deprecated in {profile.label}; choose one of {', '.join(current)}")))
        else:
            checks.append(Check(host, "kube-proxy mode", OK, f"kube_proxy_mode={mode} is available in {profile.label}"))
    flags = extra_flag_errors("kube_proxy_settings", profile.reference, inputs.kube_proxy_settings)
    try:
        proxy_settings(host, [{"host": master} for master in groups.masters], profile_name=profile.reference,
                       node_name=str(inputs.kube_node_name), image=profile.images["kube-proxy"].reference,
                       deployment=str(inputs.kube_proxy_deployment), user=inputs.proxy_user_settings())
    except (KubeProxyError, KubeManifestError, TypeError) as error:
        checks.append(Check(host, "kube-proxy settings", FAIL, "; ".join([" ".join(str(error).split("\n")), *flags])))
    else:
        checks.append(Check(host, "kube-proxy settings", FAIL, "; ".join(flags)) if flags else Check(
            host, "kube-proxy settings", OK,
            f"kube_proxy_settings resolve; kube_proxy_deployment={inputs.kube_proxy_deployment}"))
    return checks


# --- role variables against the roles' argument specs --------------------------------------------------------------
def _validation_spec(option: Mapping[str, Any]) -> dict[str, Any]:
    """What of an option's declaration the value is checked against: its type, element type and choices."""
    return {key: _plain(option[key]) for key in ("type", "elements", "choices") if key in option}


def variable_checks(host: str, host_vars: Mapping[str, Any], groups: Groups,
                    specs: Mapping[str, Mapping[str, Any]]) -> list[Check]:
    """Every role variable the inventory (or -e) sets for `host`, checked against the argument spec of a role that
    runs there, as the role would check it when it starts (after earlier roles changed the hosts). `specs` is
    {role: {option: spec}} (role_defaults.argument_specs)."""
    runs = groups.runs(host)
    problems: list[str] = []
    checked = 0
    for role, component in ROLE_COMPONENTS.items():
        options = specs.get(role) or {}
        if component not in runs or not options:
            continue
        given = {name: _plain(host_vars.get(name)) for name in options if host_vars.get(name) is not None}
        if not given:
            continue
        checked += len(given)
        result = ArgumentSpecValidator({name: _validation_spec(options[name]) for name in given}).validate(given)
        problems += [" ".join(str(message).split()) for message in result.error_messages]
        for name in AT_LEAST_ONE:
            value = result.validated_parameters.get(name)
            if name in given and isinstance(value, int) and not isinstance(value, bool) and value < 1:
                problems.append(f"{name} is {value}: it counts days, seconds or snapshots, so it must be 1 or more")
        if role == "hyperkube_master":
            problems += [problem for problem in [master_planner.admin_kubeconfig_problem(
                given.get("hyperkube_master_admin_kubeconfig"))] if problem]
    if problems:
        return [Check(host, "variables", FAIL, "; ".join(problems))]
    return [Check(host, "variables", OK, f"{checked} role variable(s) set for {host} fit the roles' argument specs")]


# --- images: where they come from, decided on the controller -------------------------------------------------------
@dataclass(frozen=True)
class ImageSources:
    """One host's image plans (artifacts.plan_images, as the roles make them) and the problems found making them."""

    plans: tuple[tuple[str, Mapping[str, Any]], ...] = ()  # (variable naming the source, plan)
    files: tuple[tuple[str, str, str], ...] = ()  # (variable, controller path, sha256 or "" for existence only)
    problems: tuple[str, ...] = ()


def _etcd_planner_inputs(inputs: HostInputs, manifests: Mapping[str, Any]) -> etcd_planner.EtcdInputs:
    """The etcd planner's inputs for the host: the role's defaults with the inventory's values preflight reads."""
    directory = str(inputs.etcd_image_directory or "")
    ports = {name: int(port) for name in ("client_port", "peer_port")
             if (port := _port(getattr(inputs, f"etcd_{name}"))) is not None}
    return etcd_planner.default_inputs(
        inputs.host, profile=str(inputs.etcd_profile), version=str(inputs.etcd_version or ""),
        image=str(inputs.etcd_image or ""), image_source=str(inputs.etcd_image_source),
        image_digest=str(inputs.etcd_image_digest or ""), image_tarball=str(inputs.etcd_image_tarball or ""),
        image_directory=directory, image_manifest=manifests.get(directory.rstrip("/")) or {},
        release_url=str(inputs.etcd_release_url), release_sha256=str(inputs.etcd_release_sha256 or ""),
        machine=str(inputs.architecture or ""), data_dir=str(inputs.etcd_data_dir),
        container=str(inputs.etcd_container_name), **ports)


def _etcd_plans(inputs: HostInputs, manifests: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The etcd role's image plans for the host, by its planner (module_utils/etcd_plan.py)."""
    if str(inputs.etcd_profile) not in ETCD_PORTS:
        return []  # reported by the profiles check
    return etcd_planner.image_plans(_etcd_planner_inputs(inputs, manifests))[1]


def _master_planner_inputs(inputs: HostInputs, profile: str,
                           manifests: Mapping[str, Any]) -> master_planner.MasterInputs:
    """The hyperkube_master planner's inputs for the host: the role's defaults with the inventory's values preflight
    reads."""
    directory = str(inputs.hyperkube_master_image_directory or "")
    return master_planner.default_inputs(
        inputs.host, profile=profile, reference=inputs.master_reference, images=_mapping_or_empty(
            inputs.hyperkube_master_images), image_source=str(inputs.hyperkube_master_image_source),
        image_directory=directory, image_manifest=manifests.get(directory.rstrip("/")) or {},
        architecture=str(inputs.architecture or ""), dns=boolean(inputs.hyperkube_master_dns, strict=False),
        kubelet_container=str(inputs.hyperkube_master_kubelet_container_name))


def _master_plans(inputs: HostInputs, control_plane: bool, manifests: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The hyperkube_master role's image plans for the host, by its planner (module_utils/hyperkube_master_plan.py):
    the control plane's, or a node's kubelet alone, and CoreDNS's while the cluster DNS is on."""
    profile = _profile_name(inputs.hyperkube_master_profile)
    if profile is None:
        return []  # reported by the profiles check
    planner_inputs = _master_planner_inputs(inputs, profile, manifests)
    return master_planner.image_plans(planner_inputs,
                                      master_planner.image_components(planner_inputs, control_plane))[1]


def _proxy_plans(inputs: HostInputs, manifests: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The kube_proxy role's image plan for the host, by its planner (module_utils/kube_proxy_plan.py)."""
    directory = str(inputs.kube_proxy_image_directory or "")
    planner_inputs = proxy_planner.default_inputs(
        inputs.host, reference=inputs.proxy_reference, images=_mapping_or_empty(inputs.kube_proxy_images),
        image_source=str(inputs.kube_proxy_image_source), image_directory=directory,
        image_manifest=manifests.get(directory.rstrip("/")) or {})
    return proxy_planner.image_plans(planner_inputs)[1]


def image_sources(inputs: HostInputs, groups: Groups, manifests: Mapping[str, Any]) -> ImageSources:
    """Where each role running on the host takes its images from, as each role's planner decides it. `manifests`
    maps a bundle directory to its parsed manifest.json (None when it could not be read)."""
    runs = groups.runs(inputs.host)
    # (the variable naming the source, the one naming its bundle directory, that directory, the planner's call)
    roles: list[tuple[str, str, str, Callable[[], list[Mapping[str, Any]]]]] = []
    if "etcd" in runs:
        roles.append(("etcd_image_source", "etcd_image_directory", str(inputs.etcd_image_directory or ""),
                      lambda: _etcd_plans(inputs, manifests)))
    if "kubelet" in runs:
        roles.append(("hyperkube_master_images", "hyperkube_master_image_directory",
                      str(inputs.hyperkube_master_image_directory or ""),
                      lambda: _master_plans(inputs, "control plane" in runs, manifests)))
    if "kube-proxy" in runs:
        roles.append(("kube_proxy_images", "kube_proxy_image_directory", str(inputs.kube_proxy_image_directory or ""),
                      lambda: _proxy_plans(inputs, manifests)))
    plans: list[tuple[str, Mapping[str, Any]]] = []
    files: list[tuple[str, str, str]] = []
    problems: list[str] = []
    if "etcd" in runs and inputs.etcd_image_source == "tarball" and inputs.etcd_image_tarball:
        files.append(("etcd_image_tarball", str(inputs.etcd_image_tarball), ""))
    for variable, directory_variable, directory, planned in roles:
        try:
            made = planned()
        except KubeProfileError:
            continue  # reported by the profiles check
        except (ArtifactError, EtcdPlanError, EtcdReleaseError) as error:
            problems.append(str(error))
            continue
        for plan in made:
            # A bundle's files are named by the variable that points at the bundle.
            bundled = directory and str(plan.get("tarball") or "").startswith(f"{directory.rstrip('/')}/")
            plans.append((directory_variable if bundled else variable, plan))
    for variable, plan in plans:
        if plan.get("tarball"):
            files.append((variable, str(plan["tarball"]), str(plan["tarball_sha256"])))
        files += [(variable, str(binary["path"]), str(binary["sha256"]))
                  for binary in plan.get("binaries") or [] if binary.get("path")]
    return ImageSources(plans=tuple(plans), files=tuple(dict.fromkeys(files)), problems=tuple(problems))


def bundle_directories(inputs: HostInputs, groups: Groups) -> list[str]:
    """The offline bundle directories whose manifest.json the image check needs, read on the controller."""
    runs = groups.runs(inputs.host)
    found = []
    if "etcd" in runs and inputs.etcd_image_source == "directory" and inputs.etcd_image_directory:
        found.append(str(inputs.etcd_image_directory))
    if "kubelet" in runs and inputs.hyperkube_master_image_directory:
        found.append(str(inputs.hyperkube_master_image_directory))
    if "kube-proxy" in runs and inputs.kube_proxy_image_directory:
        found.append(str(inputs.kube_proxy_image_directory))
    return found


def image_check(host: str, sources: ImageSources, controller_files: Mapping[str, str | None]) -> Check:
    """The plans' problems, then each controller file: present, and with the sha256 the bundle records.
    `controller_files` maps a path to its sha256 (None: absent)."""
    problems = list(sources.problems)
    for variable, path, sha256 in sources.files:
        if path not in controller_files:
            problems.append(f"{variable}: {path} was not looked at on the controller")
        elif controller_files[path] is None:
            problems.append(f"{variable}: {path} does not exist on the controller")
        elif sha256 and controller_files[path] != sha256:
            problems.append(f"{variable}: {path} has sha256 {controller_files[path]}, the bundle's {MANIFEST_NAME} "
                            f"says {sha256}: the file is damaged or not the one bundled")
    if problems:
        return Check(host, "images", FAIL, "; ".join(problems) + ". Nothing was installed")
    said = ", ".join(f"{plan['image']} ({plan['source']})" for _, plan in sources.plans)
    return Check(host, "images", OK, (f"{said}; " if said else "") + f"{len(sources.files)} controller file(s) checked")


# --- the inventory as a whole --------------------------------------------------------------------------------------
def group_size_checks(groups: Groups) -> list[Check]:
    checks = []
    etcd_name, masters_name = groups.names["etcd"], groups.names["masters"]
    size = len(groups.etcd)
    if size == 0:
        checks.append(Check(INVENTORY, "etcd members", FAIL, (
            f"the inventory group '{etcd_name}' (etcd_group) is empty: add 1, 3 or 5 hosts to it")))
    else:
        advice = cluster_size_warnings(size)
        checks.append(Check(INVENTORY, "etcd members", WARN if advice else OK, (
            f"'{etcd_name}' (etcd_group) has {size} member(s): " + ("; ".join(advice) if advice else
                                                                     f"tolerates {(size - 1) // 2} failure(s)"))))
    if not groups.masters:
        checks.append(Check(INVENTORY, "masters", FAIL, (
            f"the inventory group '{masters_name}' (hyperkube_master_group) is empty: at least one master is needed")))
    else:
        checks.append(Check(INVENTORY, "masters", OK, f"'{masters_name}' has {len(groups.masters)} master(s)"))
    return checks


def host_addresses(hosts: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]], variable: str,
                   play_hosts: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """({host: address}, problems) with inventory.advertise_address's precedence; every problem names `variable`."""
    addresses, problems = {}, []
    for host in hosts:
        try:
            address = advertise_address(host, hostvars.get(host) or {}, variable)
        except InventoryError as error:
            outside = "" if host in play_hosts else (
                f" ({host} is outside this run's --limit, so no facts are gathered for it: set {variable} or an IP "
                "ansible_host in the inventory)")
            problems.append(f"{error}{outside}")
            continue
        try:
            ipaddress.ip_address(address)
        except ValueError:
            problems.append(f"{variable} of {host} is {address!r}, not an IP address")
            continue
        addresses[host] = address
    seen: dict[str, list[str]] = {}
    for host, address in addresses.items():
        seen.setdefault(address, []).append(host)
    problems += [f"{' and '.join(hosts)} share the address {address} ({variable}): each needs its own"
                 for address, hosts in seen.items() if len(hosts) > 1]
    return addresses, problems


def address_checks(groups: Groups, hostvars: Mapping[str, Mapping[str, Any]],
                   play_hosts: Sequence[str]) -> tuple[list[Check], dict[str, str]]:
    checks = []
    everyone: dict[str, str] = {}
    nodes = tuple(host for host in groups.nodes if host not in groups.masters)
    for label, hosts, variable in (("etcd addresses", groups.etcd, "etcd_advertise_address"),
                                   ("master addresses", groups.masters, "kube_advertise_address"),
                                   ("node addresses", nodes, "kube_advertise_address")):
        if not hosts:
            continue
        addresses, problems = host_addresses(hosts, hostvars, variable, play_hosts)
        everyone.update({f"{host} ({variable})": address for host, address in addresses.items()})
        if problems:
            checks.append(Check(INVENTORY, label, FAIL, "; ".join(problems)))
        else:
            checks.append(Check(INVENTORY, label, OK, ", ".join(f"{host} {address}"
                                                                for host, address in addresses.items())))
    return checks, everyone


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None


def cidr_checks(groups: Groups, inputs: Mapping[str, HostInputs], addresses: Mapping[str, str]) -> list[Check]:
    """service_cidr and pod_cidr (hyperkube_master_settings; the profile's defaults otherwise): valid, the same on
    every master, not overlapping each other or any host address, and not over Docker's default bridge."""
    masters = [host for host in groups.masters if host in inputs]
    if not masters:
        return []
    chosen: dict[str, dict[str, Any]] = {"service_cidr": {}, "pod_cidr": {}, "node_cidr_mask_size": {}}
    for host in masters:
        settings = inputs[host].hyperkube_master_settings
        settings = settings if isinstance(settings, Mapping) else {}
        profile = _profile_name(inputs[host].hyperkube_master_profile) or "modern"
        for key in chosen:
            value = settings.get(key)
            if value is None:
                value = getattr(SETTINGS[key], profile)
            chosen[key][host] = None if value is False else value
    checks = []
    networks = {}
    for key, values in chosen.items():
        variable = f"hyperkube_master_settings.{key}"
        distinct = sorted({str(value) for value in values.values()})
        if len(distinct) > 1:
            said = ", ".join(f"{host} {value}" for host, value in values.items())
            checks.append(Check(INVENTORY, key, FAIL, f"{variable} differs between masters ({said}): set it once, "
                                                      "for the whole masters group"))
            continue
        value = next(iter(values.values()))
        if value is None:
            continue
        if key == "node_cidr_mask_size":
            continue  # its fit with pod_cidr and max_pods is the settings' own check; the host count is below
        network = _network(value)
        if network is None:
            checks.append(Check(INVENTORY, key, FAIL, f"{variable} {value!r} is not a CIDR such as 10.96.0.0/12"))
            continue
        networks[key] = (variable, network, str(value))
    for key, (variable, network, written) in networks.items():
        problems, warnings = [], []
        for other_key, (other_variable, other, other_written) in networks.items():
            if other_key != key and key == "service_cidr" and network.version == other.version and \
                    network.overlaps(other):
                problems.append(f"overlaps {other_variable} {other_written}: Service and Pod addresses must not mix")
        inside = [f"{address} of {who}" for who, address in addresses.items()
                  if ipaddress.ip_address(address) in network]
        if inside:
            problems.append(f"contains {', '.join(inside)}: traffic to that host would be taken for a "
                            f"{'Service' if key == 'service_cidr' else 'Pod'}")
        if network.version == 4 and network.overlaps(DOCKER_BRIDGE):
            warnings.append(f"overlaps Docker's default bridge {DOCKER_BRIDGE}: containers on docker0 cannot reach "
                            "those addresses; choose another range or move Docker's bridge (bip)")
        if problems:
            checks.append(Check(INVENTORY, key, FAIL, f"{variable} {written}: {'; '.join(problems + warnings)}"))
        elif warnings:
            checks.append(Check(INVENTORY, key, WARN, f"{variable} {written}: {'; '.join(warnings)}"))
        else:
            checks.append(Check(INVENTORY, key, OK, f"{variable} {written}"))
    mask, pods = next(iter(chosen["node_cidr_mask_size"].values()), None), networks.get("pod_cidr")
    if pods and mask is None:  # the controller-manager's default, as resolve_settings fills it in
        mask = 24 if pods[1].version == 4 else 64
    if pods and isinstance(mask, int) and not isinstance(mask, bool) and mask >= pods[1].prefixlen:
        subnets = node_subnet_count(pods[2], mask)
        hosts = groups.kubelet_hosts
        if subnets < len(hosts):
            checks.append(Check(INVENTORY, "node subnets", FAIL, (
                f"hyperkube_master_settings.pod_cidr {pods[2]} holds {subnets} node subnet(s) of /{mask} "
                f"(node_cidr_mask_size), fewer than the {len(hosts)} hosts that run a kubelet: widen pod_cidr or "
                "lengthen node_cidr_mask_size")))
        else:
            checks.append(Check(INVENTORY, "node subnets", OK, (
                f"{subnets} node subnet(s) of /{mask} for {len(hosts)} kubelet host(s)")))
    proxy_pods = {host: (_mapping_or_empty(inputs[host].kube_proxy_settings)).get("pod_cidr")
                  for host in groups.all_hosts if host in inputs and host in [*groups.masters, *groups.nodes]}
    master_pods = next(iter(chosen["pod_cidr"].values()), None)
    differing = sorted({str(value) for value in proxy_pods.values() if value and str(value) != str(master_pods)})
    if differing:
        checks.append(Check(INVENTORY, "pod_cidr", WARN, (
            f"kube_proxy_settings.pod_cidr {', '.join(differing)} differs from hyperkube_master_settings.pod_cidr "
            f"{master_pods}: kube-proxy's clusterCIDR should be the range the controller-manager allocates")))
    return checks


def _mapping_or_empty(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def etcd_port_agreement(groups: Groups, inputs: Mapping[str, HostInputs]) -> list[Check]:
    """The apiservers' etcd port (hyperkube_master_etcd_port) is the port the etcd members serve (etcd_client_port)."""
    served = {_port(inputs[host].etcd_client_port) for host in groups.etcd if host in inputs}
    served.discard(None)
    # None: no port without a known profile (reported by the profiles check).
    wrong = [f"{host} {inputs[host].hyperkube_master_etcd_port}" for host in groups.masters
             if host in inputs and served and inputs[host].hyperkube_master_etcd_port is not None
             and _port(inputs[host].hyperkube_master_etcd_port) not in served]
    if len(served) > 1:
        return [Check(INVENTORY, "etcd port", FAIL, (
            f"etcd_client_port differs between members ({', '.join(map(str, sorted(served)))}): set it once")
        )]
    if wrong:
        return [Check(INVENTORY, "etcd port", FAIL, (
            f"hyperkube_master_etcd_port ({', '.join(wrong)}) is not etcd_client_port {next(iter(served))}: the "
            "apiservers would not reach etcd; set both to the same port"))]
    return []


def etcd_cluster_check(groups: Groups, hostvars: Mapping[str, Mapping[str, Any]], inputs: Mapping[str, HostInputs],
                       addresses: Mapping[str, str]) -> list[Check]:
    """The etcd role's cluster model (etcd_model.build_cluster) from the inventory: member names (etcd_member_name,
    the inventory name otherwise) valid and distinct, the client and peer ports apart. Addresses are the address
    check's."""
    members = [host for host in groups.etcd if host in inputs and f"{host} (etcd_advertise_address)" in addresses]
    if not members:
        return []
    first = inputs[members[0]]
    client, peer = _port(first.etcd_client_port), _port(first.etcd_peer_port)
    if client is None or peer is None:
        return []  # reported by the etcd settings check
    tls = (hostvars.get(members[0]) or {}).get("etcd_tls")
    tls = ETCD_TLS.get(str(first.etcd_profile), True) if tls is None else boolean(tls, strict=False)
    settings = {host: {"name": _plain((hostvars.get(host) or {}).get("etcd_member_name") or host),
                       "address": addresses[f"{host} (etcd_advertise_address)"]} for host in members}
    try:
        cluster = build_cluster(members, settings, scheme="https" if tls else "http", client_port=client,
                                peer_port=peer)
    except EtcdModelError as error:
        return [Check(INVENTORY, "etcd cluster", FAIL, str(error))]
    return [Check(INVENTORY, "etcd cluster", OK, ", ".join(f"{member.name} {member.peer_url}" for member in cluster))]


def kubelet_group_check(groups: Groups, hostvars: Mapping[str, Mapping[str, Any]]) -> Check | None:
    """A host in both masters and nodes is a master that takes workloads, which the control-plane taint forbids
    (kube_cluster.kubelet_role says how out)."""
    problems = []
    for host in groups.kubelet_hosts:
        taint = (hostvars.get(host) or {}).get("hyperkube_master_control_plane_taint", True)
        try:
            kubelet_role(host, {groups.names["masters"]: groups.masters, groups.names["nodes"]: groups.nodes},
                         groups.names["masters"], groups.names["nodes"], str(taint).lower() not in ("false", "no", "0"))
        except KubeClusterError as error:
            problems.append(str(error))
    if problems:
        return Check(INVENTORY, "kubelet groups", FAIL, "; ".join(problems))
    return None


def node_name_check(groups: Groups, hostvars: Mapping[str, Mapping[str, Any]]) -> Check | None:
    """Each kubelet host's node name (kube_node_name, else the inventory name) as the Node authorizer needs it:
    lower-case DNS subdomains, since it compares the name with the kubelet certificate's system:node:<name>."""
    if not groups.kubelet_hosts:
        return None
    problems = []
    for host in groups.kubelet_hosts:
        given = (hostvars.get(host) or {}).get("kube_node_name")
        name = str(given or host)
        problem = node_name_problem(name)
        if problem:
            where = "kube_node_name" if given else "the inventory name (set kube_node_name)"
            problems.append(f"{host}: node name {name!r} {problem}; {where} must be a lower-case DNS subdomain")
    if problems:
        return Check(INVENTORY, "node names", FAIL, "; ".join(problems))
    return Check(INVENTORY, "node names", OK, "every kubelet host's node name is a lower-case DNS subdomain")


def inventory_checks(groups: Groups, hostvars: Mapping[str, Mapping[str, Any]], inputs: Mapping[str, HostInputs],
                     play_hosts: Sequence[str]) -> list[Check]:
    checks = group_size_checks(groups)
    checks += [check for check in (kubelet_group_check(groups, hostvars), node_name_check(groups, hostvars)) if check]
    addresses, everyone = address_checks(groups, hostvars, play_hosts)
    checks += addresses
    checks += etcd_cluster_check(groups, hostvars, inputs, everyone)
    checks += cidr_checks(groups, inputs, everyone)
    checks += etcd_port_agreement(groups, inputs)
    outside = [host for host in groups.all_hosts if host not in play_hosts]
    checks.append(Check(INVENTORY, "scope", OK, (
        f"{len(groups.all_hosts) - len(outside)} of {len(groups.all_hosts)} host(s) in this run"
        + (f"; outside it (--limit): {', '.join(outside)}" if outside else ""))))
    return checks


# --- everything ----------------------------------------------------------------------------------------------------
def reachability_check(host: str, survey: Mapping[str, Any] | None, active: bool) -> Check | None:
    """None when the host was surveyed; a failure saying why not otherwise."""
    if survey and survey.get("unreachable"):
        return Check(host, "reachable", FAIL, f"unreachable: {' '.join(str(survey.get('msg', '')).split())}")
    if not survey or survey.get("failed") or survey.get("skipped") or "docker" not in survey:
        why = (survey or {}).get("msg") or ("the host failed before the survey (see the error above)" if not active
                                            else "no survey result")
        return Check(host, "reachable", FAIL, f"not surveyed: {' '.join(str(why).split())}")
    return None


def evaluate(
    *,
    hosts: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    groups: Groups,
    surveys: Mapping[str, Mapping[str, Any] | None],
    active: Sequence[str],
    controller_cas: Mapping[str, str | None],
    specs: Mapping[str, Mapping[str, Any]] | None = None,
    manifests: Mapping[str, Any] | None = None,
    controller_files: Mapping[str, str | None] | None = None,
) -> list[Check]:
    """Every check: per host of the play (`hosts`, ansible_play_hosts_all), then the inventory.

    `active` is ansible_play_hosts (hosts that have not failed), `surveys` the host_survey result per host,
    `controller_cas` {controller path: certificate sha256 or None when absent}, `specs` the roles' argument specs
    ({role: {option: spec}}; no variable check without them), `manifests` {bundle directory: parsed manifest.json
    or None}, `controller_files` {controller path: sha256 or None when absent} of the files the images come from."""
    inputs = {host: HostInputs.of(host, hostvars.get(host) or {}) for host in groups.all_hosts if host in hostvars}
    checks: list[Check] = []
    for host in hosts:
        host_inputs = inputs.get(host) or HostInputs.of(host, hostvars.get(host) or {})
        if specs:
            checks += variable_checks(host, hostvars.get(host) or {}, groups, specs)
        checks += profile_checks(host, host_inputs, groups)
        if groups.runs(host):
            checks.append(image_check(host, image_sources(host_inputs, groups, manifests or {}),
                                      controller_files or {}))
        unreachable = reachability_check(host, surveys.get(host), host in active)
        if unreachable is not None:
            checks.append(unreachable)
            continue
        checks += host_checks(host, host_inputs, groups, surveys[host] or {}, controller_cas)
    checks += inventory_checks(groups, hostvars, inputs, hosts)
    return checks


# --- output --------------------------------------------------------------------------------------------------------
_MARK = {FAIL: "FAIL", WARN: "WARN", OK: "ok"}


def _ordered(checks: Iterable[Check]) -> list[Check]:
    """Failures first, then warnings, then the rest; the evaluation order within each."""
    listed = list(checks)
    return sorted(listed, key=lambda check: STATUSES.index(check.status))


def counts(checks: Iterable[Check]) -> dict[str, int]:
    listed = list(checks)
    return {status: sum(1 for check in listed if check.status == status) for status in (OK, WARN, FAIL)}


def table(checks: Iterable[Check]) -> list[str]:
    """Aligned lines: HOST CHECK STATUS DETAIL, failures first, then a count."""
    listed = _ordered(checks)
    rows = [("HOST", "CHECK", "STATUS", "DETAIL")] + [
        (check.host, check.check, _MARK[check.status], check.detail) for check in listed]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join([*(row[column].ljust(widths[column]) for column in range(3)), row[3]]).rstrip()
             for row in rows]
    total = counts(listed)
    lines.append(f"{total[FAIL]} failed, {total[WARN]} warning(s), {total[OK]} ok")
    return lines


def summary(checks: Iterable[Check]) -> str:
    """One line naming the failed checks; empty when none failed."""
    failed = [check for check in checks if check.status == FAIL]
    if not failed:
        return ""
    names = ", ".join(f"{check.host} {check.check}" for check in failed)
    return f"preflight failed ({len(failed)}): {names}. Nothing was changed; the table says why"


def report(checks: Iterable[Check], *, generated: float | None = None, **meta: Any) -> dict[str, Any]:
    """The JSON report: {version: 1, generated (UTC, ISO 8601), hosts, counts, checks, **meta}."""
    listed = list(checks)
    moment = time.gmtime(time.time() if generated is None else generated)
    return {
        "version": 1,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", moment),
        "hosts": list(dict.fromkeys(check.host for check in listed)),
        "counts": counts(listed),
        "ok": not any(check.status == FAIL for check in listed),
        **meta,
        "checks": [check.to_dict() for check in _ordered(listed)],
    }

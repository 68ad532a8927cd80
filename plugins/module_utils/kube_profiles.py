# Copyright: curtain contributors
# Apache License 2.0
"""The two Kubernetes profiles curtain provisions, as data, the versions each pins, and the upgrade rule.

A profile is one Kubernetes release line and everything that follows from it: the images, the default ports, the
features the release has, and (in kube_flagsets.py) the exact flags each component accepts. A profile pins one or more
patch releases (oldest first); everything version-dependent is recorded per pinned version. The roles take a profile
reference and never branch on versions themselves:

    "modern"            the profile's default version (v1.37.2)
    "modern@v1.36.3"    a pinned version of the profile; any other version is refused, naming the pinned ones
    "seed", "seed@v1.1.8"

seed (Kubernetes v1.1.8)
    The topology of the "Kubernetes on Docker" guide the project grew from, exactly as it ran: one hyperkube image
    (gcr.io/google_containers/hyperkube) for every component, the kubelet started with `--config=<manifest dir>`
    and `--api-servers=http://localhost:8080`, apiserver, controller-manager and scheduler as static pods talking
    over the insecure port 127.0.0.1:8080, etcd on :4001, kube-proxy in userspace or iptables mode. For study and
    for old clusters. v1.1.8 is the newest 1.1 patch release found (its hyperkube image was requested in
    kubernetes/kubernetes#21968); the v1.1 Docker guide itself still pinned hyperkube:v1.0.1, and the flags used
    here exist in both. One pinned version: the seed has no upgrade path.
modern (Kubernetes v1.36.3 and v1.37.2; v1.37.2 is the default)
    The same topology done the way a current release requires: one image per component from registry.k8s.io,
    TLS on every port, kubeconfigs for every client, a KubeletConfiguration file whose staticPodPath holds the
    control-plane manifests, kube-proxy in iptables or nftables mode (ipvs is still accepted, deprecated since
    1.35). There is no upstream kubelet image. v1.37.2 is the newest release the Go module proxy serves
    (2026-12-01), v1.36.3 the newest 1.36 patch it lists: the versions the project builds and tests
    (scripts/build_components.py). The line pins two versions so that a cluster can be upgraded from one to the
    next (upgrade_step). Ports and proxy modes are the same in both (the binaries' --help prints the same
    defaults).

The upgrade rule (upgrade_step): from one pinned version to a newer pinned version of the same profile, at most one
minor version at a time, never down. This is Kubernetes' version skew policy
(https://kubernetes.io/releases/version-skew-policy/): "the newest and oldest kube-apiserver instances must be within
one minor version", and kube-controller-manager and kube-scheduler may be one minor version older than the API
server, never newer; a rolling upgrade that skips a minor version breaks both. A downgrade is not an upgrade: going
back means restoring the etcd backup taken before it.

Sources: flag sets and their sources are described in kube_flagsets.py. Image names are registry.k8s.io's
(kubernetes/kubernetes CHANGELOG "Container Images" tables). No tarball hash and no image digest is recorded for the
modern versions: the stored CHANGELOG-1.36.md and CHANGELOG-1.37.md reach neither v1.36.3 nor v1.37.2, and a
made-up hash would be worse than none. Pin digests (and the kubelet's sha256) in the inventory once the artifacts
have been fetched and checked.

Standard library only, like kube_flagsets.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.kube_components import WITH_IMAGE
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import (
    COMPONENTS,
    HYPERKUBE_SUBCOMMANDS,
    MODERN_PREVIOUS_VERSION,
    MODERN_VERSION,
    SEED_VERSION,
)

DEFAULT_PROFILE = "modern"
REFERENCE_SEPARATOR = "@"  # "modern@v1.36.3"
UPGRADE = "upgrade"
NO_CHANGE = "none"


class KubeProfileError(ValueError):
    """An unknown profile or version was asked for, or an upgrade the rule refuses; the message says what to use."""


@dataclass(frozen=True)
class Image:
    """A container image reference. `digest` stays empty unless a citable source gave it."""

    repository: str
    tag: str
    digest: str = ""
    command: tuple[str, ...] = ()  # what to run in it for this component

    @property
    def reference(self) -> str:
        """repository:tag, or repository@digest when the digest is known (the digest is what gets pulled)."""
        return f"{self.repository}@{self.digest}" if self.digest else f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class Artifact:
    """A release tarball with its published hash (for binaries that have no upstream image)."""

    url: str
    sha512: str
    source: str


@dataclass(frozen=True)
class Ports:
    """Default ports, from the flag defaults of the profile's reference pages. None where the release has none."""

    apiserver_secure: int
    apiserver_insecure: int | None
    kubelet: int
    kubelet_healthz: int
    kubelet_read_only: int
    controller_manager: int  # secure in modern, the insecure --port in 1.1
    scheduler: int  # secure in modern, the insecure --port in 1.1
    kube_proxy_healthz: int
    kube_proxy_metrics: int | None


@dataclass(frozen=True)
class Features:
    """What the release can do, as far as curtain's topology cares."""

    insecure_port: bool  # the apiserver serves unauthenticated HTTP (127.0.0.1:8080)
    tls: bool  # components can serve and verify TLS (server certificates, client certificates)
    kubeconfig: bool  # components take a kubeconfig file for the API server address and credentials
    kubelet_config_file: bool  # kubelet --config is a KubeletConfiguration file
    kube_proxy_config_file: bool  # kube-proxy --config is a KubeProxyConfiguration file
    proxy_modes: tuple[str, ...]  # kube-proxy --proxy-mode values on Linux
    deprecated_proxy_modes: tuple[str, ...]  # accepted, but deprecated
    static_pod_manifest_flag: str  # how the kubelet is told where the static pod manifests are


@dataclass(frozen=True)
class KubeProfile:
    name: str
    version: str
    release_line: str
    images: Mapping[str, Image]  # component -> image; the kubelet of modern has none
    artifacts: Mapping[str, Artifact]
    ports: Ports
    features: Features
    sources: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    versions: tuple[str, ...] = field(default=())  # every version the profile pins, oldest first

    @property
    def label(self) -> str:
        """How messages name the profile: "Kubernetes v1.37.2 (profile modern)"."""
        return f"Kubernetes {self.version} (profile {self.name})"

    @property
    def reference(self) -> str:
        """The reference that names exactly this version of the profile: "modern@v1.37.2"."""
        return f"{self.name}{REFERENCE_SEPARATOR}{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, strings, numbers), as a filter hands it to YAML."""
        data = asdict(self)
        for component, image in self.images.items():
            data["images"][component]["reference"] = image.reference
        data["label"] = self.label
        data["reference"] = self.reference
        data["default_version"] = PROFILES[self.name].version
        return plain_data(data)


def plain_data(value: Any) -> Any:
    """Plain dicts and lists, copied: from tuples, mappings of any kind, and Ansible's lazy containers."""
    if isinstance(value, Mapping):
        return {str(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    return value


_HYPERKUBE = "gcr.io/google_containers/hyperkube"

SEED = KubeProfile(
    name="seed",
    version=SEED_VERSION,
    release_line="1.1",
    images={
        component: Image(
            repository=_HYPERKUBE,
            tag=SEED_VERSION,
            command=("/hyperkube", HYPERKUBE_SUBCOMMANDS[component]),
        )
        for component in COMPONENTS
    },
    artifacts={},
    ports=Ports(
        apiserver_secure=6443,  # --secure-port=6443
        apiserver_insecure=8080,  # --insecure-port=8080 on --insecure-bind-address=127.0.0.1
        kubelet=10250,  # --port=10250
        kubelet_healthz=10248,  # --healthz-port=10248
        kubelet_read_only=10255,  # --read-only-port=10255
        controller_manager=10252,  # --port=10252 (HTTP, no TLS)
        scheduler=10251,  # --port=10251 (HTTP, no TLS)
        kube_proxy_healthz=10249,  # --healthz-port=10249
        kube_proxy_metrics=None,  # no separate metrics port in 1.1
    ),
    features=Features(
        insecure_port=True,
        tls=True,  # --tls-cert-file/--client-ca-file exist in 1.1, the seed just did not use them
        kubeconfig=True,  # kubelet, controller-manager, scheduler and proxy all take --kubeconfig in 1.1
        kubelet_config_file=False,
        kube_proxy_config_file=False,
        proxy_modes=("iptables", "userspace"),  # 1.1 kube-proxy --proxy-mode: 'userspace' or 'iptables'
        deprecated_proxy_modes=(),
        static_pod_manifest_flag="--config",  # 1.1 kubelet: "Path to the config file or directory of files"
    ),
    sources=(
        "kubernetes/website v1.1/docs/admin/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,"
        "kube-proxy}.md @ de1dd5d26d2e9049619e63987bd5eafda6476cad (flags, defaults, ports, proxy modes)",
        "kubernetes/website v1.1/docs/getting-started-guides/docker.md (the topology, hyperkube subcommands)",
        "kubernetes/kubernetes#21968 (hyperkube v1.1.8 image)",
        "k8s.io/kubernetes@v1.1.8, built here from the Go module proxy (scripts/build_components.py, with the edits "
        "in scripts/seed_hyperkube.py): the binary and image the tests run",
    ),
    notes=(
        "No image digest: none could be read from a citable source.",
        "The v1.1 Docker guide ran hyperkube:v1.0.1; v1.1.8 is the newest patch found of the release it documents.",
    ),
    versions=(SEED_VERSION,),
)

_REGISTRY = "registry.k8s.io"
_MODERN_VERSIONS = (MODERN_PREVIOUS_VERSION, MODERN_VERSION)
_BUILT_FROM = "k8s.io/kubernetes@{version}, built here from the Go module proxy (scripts/build_components.py)"

# The same in both modern versions: both binaries' --help print the same defaults.
_MODERN_PORTS = Ports(
    apiserver_secure=6443,  # --secure-port=6443
    apiserver_insecure=None,
    kubelet=10250,  # --port=10250
    kubelet_healthz=10248,  # --healthz-port=10248
    kubelet_read_only=10255,  # the default of --read-only-port, a deprecated flag; unauthenticated, leave it off
    controller_manager=10257,  # --secure-port=10257
    scheduler=10259,  # --secure-port=10259
    kube_proxy_healthz=10256,  # --healthz-bind-address=0.0.0.0:10256
    kube_proxy_metrics=10249,  # --metrics-bind-address=127.0.0.1:10249
)
_MODERN_FEATURES = Features(
    insecure_port=False,
    tls=True,
    kubeconfig=True,
    kubelet_config_file=True,
    kube_proxy_config_file=True,
    # v1.36 and v1.37 --proxy-mode: "on Linux this can be 'iptables' (default), 'ipvs', or 'nftables'". nftables was
    # alpha behind the NFTablesProxyMode gate in 1.29-1.30, beta (on by default) in 1.31-1.32 and GA since 1.33
    # (kubernetes/website feature-gates/NFTablesProxyMode.md), so neither version needs a gate for it.
    proxy_modes=("iptables", "ipvs", "nftables"),
    # "kube-proxy's 'ipvs' mode is deprecated since v1.35" (CHANGELOG-1.37.md, kubernetes/kubernetes#139067).
    deprecated_proxy_modes=("ipvs",),
    static_pod_manifest_flag="staticPodPath",  # a KubeletConfiguration field; --pod-manifest-path is deprecated
)


def _modern(version: str, line: str, notes: tuple[str, ...]) -> KubeProfile:
    return KubeProfile(
        name="modern",
        version=version,
        release_line=line,
        images={
            component: Image(repository=f"{_REGISTRY}/{component}", tag=version, command=(component,))
            for component in WITH_IMAGE
        },
        # No tarball is recorded: no stored source gives the published sha512 of these releases' tarballs.
        artifacts={},
        ports=_MODERN_PORTS,
        features=_MODERN_FEATURES,
        sources=(
            _BUILT_FROM.format(version=version) + ": flags (--help), ports and proxy modes (flag defaults)",
            "kubernetes/kubernetes CHANGELOG/CHANGELOG-1.37.md (v1.37.0-alpha.1): image names on registry.k8s.io",
            "kubernetes/website content/en/docs/reference/command-line-tools-reference/feature-gates/"
            "NFTablesProxyMode.md",
        ),
        notes=(
            "No image digest or tarball hash: no stored source records them for this release.",
            *notes,
        ),
        versions=_MODERN_VERSIONS,
    )


MODERN_PREVIOUS = _modern(
    MODERN_PREVIOUS_VERSION,
    "1.36",
    notes=(
        "The newest 1.36 patch the Go module proxy lists (v1.36.0 is not among them).",
        "The older pinned version of the modern line: the version an upgrade to v1.37.2 starts from.",
    ),
)

MODERN = _modern(MODERN_VERSION, "1.37", notes=("The newest release the Go module proxy serves.",))

# Profile name -> its default version's profile (what a plain name means).
PROFILES: Mapping[str, KubeProfile] = MappingProxyType({profile.name: profile for profile in (SEED, MODERN)})
# Profile name -> {pinned version: profile}, oldest first.
PINNED: Mapping[str, Mapping[str, KubeProfile]] = MappingProxyType(
    {
        "seed": MappingProxyType({SEED_VERSION: SEED}),
        "modern": MappingProxyType({profile.version: profile for profile in (MODERN_PREVIOUS, MODERN)}),
    }
)

# Why a feature is missing, per profile: the text after "has no ...".
_MISSING: Mapping[str, Mapping[str, str]] = {
    "seed": {
        "kubelet_config_file": (
            "KubeletConfiguration file: it arrived in 1.10 (kubelet --config=<file>); in 1.1 kubelet --config is the "
            "static pod manifest directory"
        ),
        "kube_proxy_config_file": "KubeProxyConfiguration file: kube-proxy 1.1 takes its settings as flags only",
    },
    "modern": {
        "insecure_port": "insecure port: removed in 1.20; use the secure port with a client certificate",
    },
}

BOOLEAN_FEATURES = ("insecure_port", "tls", "kubeconfig", "kubelet_config_file", "kube_proxy_config_file")
REQUESTABLE = (*BOOLEAN_FEATURES, "proxy_mode")


# --- references ----------------------------------------------------------------------------------------------------
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


def _known_profile(name: str) -> str:
    if name not in PROFILES:
        raise KubeProfileError(f"unknown Kubernetes profile {name!r}; known profiles: {', '.join(sorted(PROFILES))}")
    return name


def version_tuple(version: str) -> tuple[int, int, int]:
    """(1, 36, 3) for "v1.36.3" or "1.36.3"; KubeProfileError for anything else."""
    match = _VERSION.match(str(version).strip())
    if not match:
        raise KubeProfileError(f"{version!r} is not a Kubernetes version such as {MODERN_VERSION}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def canonical_version(version: str) -> str:
    """"v1.36.3" for "v1.36.3" or "1.36.3"."""
    return "v{}.{}.{}".format(*version_tuple(version))


def make_reference(profile: Any, version: Any) -> str:
    """"modern" without a version, "modern@v1.36.3" with one: what a role's profile and version variables name."""
    return f"{profile}{REFERENCE_SEPARATOR}{version}" if version else str(profile)


def parse_reference(reference: str) -> tuple[str, str | None]:
    """(profile name, version or None) of "modern", "modern@v1.36.3"; the version is canonical ("v" prefixed).

    The profile must be known; the version must look like a version (whether it is pinned is get_profile's check).
    """
    if not isinstance(reference, str):
        raise KubeProfileError(f"a Kubernetes profile reference must be a string such as 'modern', got {reference!r}")
    name, separator, version = reference.strip().partition(REFERENCE_SEPARATOR)
    _known_profile(name)
    if not separator:
        return name, None
    if not version:
        raise KubeProfileError(
            f"profile reference {reference!r} names no version; use {name!r} or {name}{REFERENCE_SEPARATOR}<version> "
            f"with one of: {', '.join(pinned_versions(name))}"
        )
    try:
        return name, canonical_version(version)
    except KubeProfileError:
        raise KubeProfileError(
            f"profile reference {reference!r}: {version!r} is not a Kubernetes version; pinned versions of profile "
            f"{name}: {', '.join(pinned_versions(name))}"
        ) from None


def pinned_versions(profile_name: str) -> tuple[str, ...]:
    """The versions a profile pins, oldest first ("modern" -> ("v1.36.3", "v1.37.2"))."""
    return tuple(PINNED[_known_profile(str(profile_name))])


def _not_pinned(name: str, version: str) -> str:
    return f"Kubernetes {version} is not pinned in profile {name}; pinned versions: {', '.join(pinned_versions(name))}"


def get_profile(reference: str) -> KubeProfile:
    """The profile of a reference: "modern" (its default version) or "modern@v1.36.3" (a pinned version)."""
    name, version = parse_reference(reference)
    if version is None:
        return PROFILES[name]
    try:
        return PINNED[name][version]
    except KeyError:
        raise KubeProfileError(_not_pinned(name, version)) from None


def is_reference(value: object) -> bool:
    """Whether `value` reads as a profile reference ("modern", "seed@v1.1.8") rather than a bare version."""
    return isinstance(value, str) and value.strip().partition(REFERENCE_SEPARATOR)[0] in PROFILES


def kubernetes_version(reference_or_version: str) -> str:
    """The Kubernetes version a profile reference stands for; a bare version is returned as given."""
    if is_reference(reference_or_version):
        return get_profile(reference_or_version).version
    return str(reference_or_version)


def profile_of_version(version: str) -> KubeProfile:
    """The pinned profile version that is exactly `version` ("v1.36.3" -> modern@v1.36.3)."""
    wanted = canonical_version(version)
    for pinned in PINNED.values():
        if wanted in pinned:
            return pinned[wanted]
    known = ", ".join(profile.reference for pinned in PINNED.values() for profile in pinned.values())
    raise KubeProfileError(f"Kubernetes {wanted} is pinned in no profile; pinned: {known}")


# --- the upgrade rule ----------------------------------------------------------------------------------------------
def _line(version: tuple[int, int, int]) -> str:
    return f"v{version[0]}.{version[1]}"


def upgrade_step(profile_name: str, current_version: str, target_version: str) -> str:
    """"none" when the cluster already runs the target, "upgrade" when it may move there now; else KubeProfileError.

    The rule: both versions pinned in the profile, the target not older than the current version, at most one minor
    version forward (1.36 -> 1.37, never 1.35 -> 1.37). A current version one minor release or more below the target
    gets the skip message even when it is not pinned, because that is what has to change first.
    """
    if not isinstance(profile_name, str) or REFERENCE_SEPARATOR in profile_name:
        raise KubeProfileError(
            f"upgrade_step takes a profile name such as 'modern', not {profile_name!r}: the versions are its arguments"
        )
    name = _known_profile(profile_name.strip())
    pinned = pinned_versions(name)
    if len(pinned) < 2:
        raise KubeProfileError(
            f"profile {name} pins only {pinned[0]} and has no upgrade path; curtain upgrades only within a profile "
            f"that pins several versions ({', '.join(n for n in PINNED if len(PINNED[n]) > 1)})"
        )
    current, target = canonical_version(current_version), canonical_version(target_version)
    if target not in pinned:
        raise KubeProfileError(f"cannot upgrade to {target}: {_not_pinned(name, target)}")
    if current == target:
        return NO_CHANGE
    now, then = version_tuple(current), version_tuple(target)
    if now > then:
        raise KubeProfileError(
            f"downgrading from {current} to {target} is not supported: Kubernetes upgrades go forward only "
            "(to go back, restore the etcd backup taken before the upgrade)"
        )
    if now[0] != then[0]:
        raise KubeProfileError(f"upgrading from {current} to {target} crosses a major version; curtain does not")
    if then[1] - now[1] > 1:
        skipped = [f"{now[0]}.{minor}" for minor in range(now[1] + 1, then[1])]
        steps = " -> ".join(_line((now[0], minor, 0)) for minor in range(now[1], then[1] + 1))
        raise KubeProfileError(
            f"upgrading from {current} to {target} skips {' and '.join(skipped)}: upgrade one minor version at a "
            f"time ({steps})"
        )
    if current not in pinned:
        raise KubeProfileError(
            f"cannot upgrade from {current}: {_not_pinned(name, current)} (curtain upgrades only from a version it "
            "pins, so that it knows that version's flags and files)"
        )
    return UPGRADE


def step_problem(profile_name: str, running_version: str, target_version: str) -> str | None:
    """Why a container running `running_version` may not move to `target_version` (upgrade_step's message); None
    when nothing runs, it runs the target, or the step is an upgrade curtain takes."""
    if not running_version or running_version == target_version:
        return None
    try:
        upgrade_step(profile_name, running_version, target_version)
    except KubeProfileError as error:
        return str(error)
    return None


# --- features ------------------------------------------------------------------------------------------------------
def check_features(profile_reference: str, requested: Mapping[str, Any]) -> list[str]:
    """Errors for each requested feature the profile's release does not have (empty when all is well).

    `requested` maps feature names to what the play wants: the booleans in BOOLEAN_FEATURES (True = needed) and
    `proxy_mode` (a kube-proxy mode, or None). Asking for a feature to be off is never an error here.
    """
    profile = get_profile(profile_reference)
    if not isinstance(requested, Mapping):
        raise KubeProfileError(f"requested features must be a mapping, got {requested!r}")
    errors: list[str] = []
    for key in sorted(requested):
        value = requested[key]
        if key not in REQUESTABLE:
            errors.append(f"unknown feature {key!r}; known features: {', '.join(REQUESTABLE)}")
        elif value is None:
            continue  # not asked for
        elif key == "proxy_mode":
            if value not in profile.features.proxy_modes:
                errors.append(
                    f"proxy mode {value!r} is not available in {profile.label}; "
                    f"choose one of: {', '.join(sorted(profile.features.proxy_modes))}"
                )
        elif not isinstance(value, bool):
            errors.append(f"feature {key!r} must be true or false, got {value!r}")
        elif value and not getattr(profile.features, key):
            reason = _MISSING.get(profile.name, {}).get(key, key.replace("_", " "))
            errors.append(f"{profile.label} has no {reason}")
    return errors

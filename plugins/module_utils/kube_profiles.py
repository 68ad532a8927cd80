# Copyright: curtain contributors
# Apache License 2.0
"""The two Kubernetes profiles curtain provisions, as data, and the check of what a play asks of them.

A profile is one Kubernetes release and everything that follows from it: the images, the default ports, the
features the release has, and (in kube_flagsets.py) the exact flags each component accepts. The roles take a
profile name and never branch on versions themselves.

seed (Kubernetes v1.1.8)
    The topology of the "Kubernetes on Docker" guide the project grew from, exactly as it ran: one hyperkube image
    (gcr.io/google_containers/hyperkube) for every component, the kubelet started with `--config=<manifest dir>`
    and `--api-servers=http://localhost:8080`, apiserver, controller-manager and scheduler as static pods talking
    over the insecure port 127.0.0.1:8080, etcd on :4001, kube-proxy in userspace or iptables mode. For study and
    for old clusters. v1.1.8 is the newest 1.1 patch release found (its hyperkube image was requested in
    kubernetes/kubernetes#21968); the v1.1 Docker guide itself still pinned hyperkube:v1.0.1, and the flags used
    here exist in both.
modern (Kubernetes v1.36.0, the default)
    The same topology done the way a current release requires: one image per component from registry.k8s.io,
    TLS on every port, kubeconfigs for every client, a KubeletConfiguration file whose staticPodPath holds the
    control-plane manifests, kube-proxy in iptables or nftables mode (ipvs is still accepted, deprecated since
    1.35). There is no upstream kubelet image:
    the kubelet comes from the node binaries tarball, recorded here with its published sha512.

Sources: flag sets and their sources are described in kube_flagsets.py. Versions, images and tarball hashes come
from kubernetes/kubernetes CHANGELOG/CHANGELOG-1.36.md (v1.36.0 section) and, for 1.1, from the 1.1 reference pages
(kubernetes/website v1.1/docs/admin/*.md); default ports are the flag defaults printed in those references.
No image digest is recorded: none could be read from a source that can be cited, and a made-up digest would be
worse than none. Pin digests in the inventory once the images have been pulled and inspected.

Standard library only, like kube_flagsets.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

try:
    from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import (
        COMPONENTS,
        HYPERKUBE_SUBCOMMANDS,
        MODERN_VERSION,
        SEED_VERSION,
    )
except ImportError:  # copied next to kube_flagsets.py into a contract double's image
    from kube_flagsets import (  # type: ignore[no-redef]
        COMPONENTS,
        HYPERKUBE_SUBCOMMANDS,
        MODERN_VERSION,
        SEED_VERSION,
    )

DEFAULT_PROFILE = "modern"


class KubeProfileError(ValueError):
    """An unknown profile was asked for; the message lists the known ones."""


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

    @property
    def label(self) -> str:
        """How messages name the profile: "Kubernetes v1.36.0 (profile modern)"."""
        return f"Kubernetes {self.version} (profile {self.name})"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, strings, numbers), as a filter hands it to YAML."""
        data = asdict(self)
        for component, image in self.images.items():
            data["images"][component]["reference"] = image.reference
        data["label"] = self.label
        return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
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
    ),
    notes=(
        "No image digest: none could be read from a citable source.",
        "The v1.1 Docker guide ran hyperkube:v1.0.1; v1.1.8 is the newest patch found of the release it documents.",
    ),
)

_REGISTRY = "registry.k8s.io"
_CHANGELOG_1_36 = "kubernetes/kubernetes CHANGELOG/CHANGELOG-1.36.md, section v1.36.0"

MODERN = KubeProfile(
    name="modern",
    version=MODERN_VERSION,
    release_line="1.36",
    images={
        component: Image(repository=f"{_REGISTRY}/{component}", tag=MODERN_VERSION, command=(component,))
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")
    },
    artifacts={
        # The kubelet binary; upstream publishes no kubelet image.
        "kubernetes-node-linux-amd64": Artifact(
            url=f"https://dl.k8s.io/{MODERN_VERSION}/kubernetes-node-linux-amd64.tar.gz",
            sha512=(
                "8bba5bd0cb77997ad965739caff3c8839fd16f284cf28a0e46c44538ce0b6fd8"
                "3c5f3c608dd86c4831c3de9306bbfd02ce26bbe9a426754b6253efa1d5cc030f"
            ),
            source=_CHANGELOG_1_36,
        ),
        "kubernetes-server-linux-amd64": Artifact(
            url=f"https://dl.k8s.io/{MODERN_VERSION}/kubernetes-server-linux-amd64.tar.gz",
            sha512=(
                "1c64da92575451c2c7ff97c79b772e603995f8e76da1371a6b0746aaa27b65dc"
                "e81c4d734cbb50f40e71486a8e08df36f14e12974f97d4d29e41f23a172a6a25"
            ),
            source=_CHANGELOG_1_36,
        ),
    },
    ports=Ports(
        apiserver_secure=6443,  # --secure-port=6443
        apiserver_insecure=None,
        kubelet=10250,  # --port=10250
        kubelet_healthz=10248,  # --healthz-port=10248
        kubelet_read_only=10255,  # the default of --read-only-port, a deprecated flag; unauthenticated, leave it off
        controller_manager=10257,  # --secure-port=10257
        scheduler=10259,  # --secure-port=10259
        kube_proxy_healthz=10256,  # --healthz-bind-address=0.0.0.0:10256
        kube_proxy_metrics=10249,  # --metrics-bind-address=127.0.0.1:10249
    ),
    features=Features(
        insecure_port=False,
        tls=True,
        kubeconfig=True,
        kubelet_config_file=True,
        kube_proxy_config_file=True,
        # v1.36 --proxy-mode: "on Linux this can be 'iptables' (default), 'ipvs', or 'nftables'". nftables was alpha
        # behind the NFTablesProxyMode gate in 1.29-1.30, beta (on by default) in 1.31-1.32 and GA since 1.33
        # (kubernetes/website feature-gates/NFTablesProxyMode.md), so v1.36 needs no gate for it.
        proxy_modes=("iptables", "ipvs", "nftables"),
        # "kube-proxy's 'ipvs' mode is deprecated since v1.35" (CHANGELOG-1.37.md, kubernetes/kubernetes#139067).
        deprecated_proxy_modes=("ipvs",),
        static_pod_manifest_flag="staticPodPath",  # a KubeletConfiguration field; --pod-manifest-path is deprecated
    ),
    sources=(
        "kubernetes/website content/en/docs/reference/command-line-tools-reference/*.md generated for v1.36 "
        "(victord-ef/website @ d63ca76b714904beb0d22f92aafc246d1363965f): flags, defaults, ports, proxy modes",
        _CHANGELOG_1_36 + ": version, image names, tarball sha512",
        "kubernetes/website content/en/docs/reference/command-line-tools-reference/feature-gates/NFTablesProxyMode.md",
    ),
    notes=(
        "No image digest: CHANGELOG-1.36.md lists image names and architectures, not digests.",
        "The 1.36 reference docs were read, not run; the pinned patch follows the newest stored CHANGELOG.",
    ),
)

PROFILES: Mapping[str, KubeProfile] = MappingProxyType({profile.name: profile for profile in (SEED, MODERN)})

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


def get_profile(name: str) -> KubeProfile:
    try:
        return PROFILES[str(name)]
    except KeyError:
        raise KubeProfileError(
            f"unknown Kubernetes profile {name!r}; known profiles: {', '.join(sorted(PROFILES))}"
        ) from None


def check_features(profile_name: str, requested: Mapping[str, Any]) -> list[str]:
    """Errors for each requested feature the profile's release does not have (empty when all is well).

    `requested` maps feature names to what the play wants: the booleans in BOOLEAN_FEATURES (True = needed) and
    `proxy_mode` (a kube-proxy mode, or None). Asking for a feature to be off is never an error here.
    """
    profile = get_profile(profile_name)
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

# Copyright: curtain contributors
# Apache License 2.0
"""The node image (curtain/kubelet) from the official release downloads: what to fetch, and where each file goes.

Upstream publishes no image of the kubelet, so curtain builds one: the kubelet and its container runtime
(containerd, runc, the CNI plugins, crictl), as kind's node image has them, on a Debian base with the userspace
they call (roles/artifacts/files/node-image/). The `release` image source builds it on each host from the files
each project publishes, checked against the sha256 file published beside each one (or a sha256 the inventory pins):

kubelet      https://dl.k8s.io/release/<version>/bin/linux/<arch>/kubelet             kubelet.sha256
containerd   github.com/containerd/containerd/releases/download/<v>/containerd-<v>-linux-<arch>.tar.gz  .sha256sum
runc         github.com/opencontainers/runc/releases/download/<v>/runc.<arch>          runc.sha256sum
CNI plugins  github.com/containernetworking/plugins/releases/download/<v>/cni-plugins-linux-<arch>-<v>.tgz  .sha256
crictl       github.com/kubernetes-sigs/cri-tools/releases/download/<v>/crictl-<v>-linux-<arch>.tar.gz  .sha256

The same versions are what scripts/build_components.py builds from their Go modules on machines that reach no
download site. A mirror with the same paths (Artifactory, a local HTTP server) takes the two base URLs' place.

Standard library only: scripts/build_components.py loads this file by path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CONTAINERD_VERSION = "v2.3.7"  # the 2.3 LTS line; containerd's RELEASES.md supports Kubernetes 1.36+ with 2.3
RUNC_VERSION = "v1.4.4"
CNI_PLUGINS_VERSION = "v1.10.0"
CRI_TOOLS_VERSION = "v1.37.0"

# What the node image takes from the containerd release, and the CNI plugins its pod network uses (containerd's CNI
# config: bridge, host-local, portmap, loopback).
CONTAINERD_BINARIES = ("containerd", "containerd-shim-runc-v2", "ctr")
CNI_PLUGINS = ("bridge", "loopback", "host-local", "portmap")

DEFAULT_URLS = {"kubernetes": "https://dl.k8s.io/release", "github": "https://github.com"}
DEFAULT_BASE = "debian:bookworm-slim"
# Debian's machine names of the architectures the projects publish binaries for.
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ReleaseError(ValueError):
    """Settings that cannot name a download; the message names the variable."""


@dataclass(frozen=True)
class Download:
    """One published file: fetched to <download dir>/<key>/<file name>, an archive unpacked beside it."""

    name: str  # what it is: kubelet, containerd, runc, cni-plugins, crictl
    url: str
    checksum: str  # as get_url takes it: sha256:<hex> (pinned), or sha256:<URL of the published sum file>
    archive: bool

    @property
    def key(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def file(self) -> str:
        return f"{self.key}/{self.url.rsplit('/', 1)[1]}"


@dataclass(frozen=True)
class ContextFile:
    """A file of the build context, taken from a download: the file itself, or a member of the unpacked archive."""

    source: str  # relative to the download dir
    dest: str  # relative to the build context: bin/<name>, cni/<name>


def architecture(where: str, machine: Any) -> str:
    if not machine:
        raise ReleaseError(f"{where}: the release source needs the host's architecture (machine; the roles pass "
                           "ansible_facts.architecture: gather facts first)")
    arch = ARCHITECTURES.get(str(machine))
    if not arch:
        raise ReleaseError(f"{where}: the release source has no binaries for the host's architecture {machine!r} "
                           f"(it knows {', '.join(sorted(set(ARCHITECTURES.values())))})")
    return arch


def _base_url(where: str, urls: dict[str, Any], name: str) -> str:
    url = str(urls.get(name) or DEFAULT_URLS[name]).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ReleaseError(f"{where}.release_urls.{name}: {url!r} is not an http(s) URL")
    return url


def _checksum(where: str, name: str, pinned: dict[str, Any], published: str) -> str:
    value = pinned.get(name)
    if value is None:
        return f"sha256:{published}"
    text = str(value).lower().removeprefix("sha256:")
    if not _SHA256.match(text):
        raise ReleaseError(f"{where}.sha256.{name}: must be 64 hex digits, got {value!r}")
    return f"sha256:{text}"


def downloads(
    where: str, kubernetes_version: str, machine: Any, urls: dict[str, Any] | None, pinned: dict[str, Any] | None
) -> tuple[tuple[Download, ...], tuple[ContextFile, ...]]:
    """The downloads of one node image and the build-context files taken from them.

    `urls`: {kubernetes, github} base URLs (a mirror's); `pinned`: {download name: sha256} to pin in place of the
    published sum files."""
    urls, pinned = dict(urls or {}), dict(pinned or {})
    unknown = sorted(set(urls) - set(DEFAULT_URLS))
    if unknown:
        raise ReleaseError(f"{where}.release_urls: {', '.join(unknown)} is not one of {', '.join(DEFAULT_URLS)}")
    arch = architecture(where, machine)
    kubernetes, github = _base_url(where, urls, "kubernetes"), _base_url(where, urls, "github")
    containerd = CONTAINERD_VERSION.lstrip("v")
    table = (
        # name, URL, archive, the published sum file: its URL, or a suffix to the file's own URL
        ("kubelet", f"{kubernetes}/{kubernetes_version}/bin/linux/{arch}/kubelet", False, ".sha256"),
        ("containerd", f"{github}/containerd/containerd/releases/download/{CONTAINERD_VERSION}/"
                       f"containerd-{containerd}-linux-{arch}.tar.gz", True, ".sha256sum"),
        ("runc", f"{github}/opencontainers/runc/releases/download/{RUNC_VERSION}/runc.{arch}", False,
         f"{github}/opencontainers/runc/releases/download/{RUNC_VERSION}/runc.sha256sum"),
        ("cni-plugins", f"{github}/containernetworking/plugins/releases/download/{CNI_PLUGINS_VERSION}/"
                        f"cni-plugins-linux-{arch}-{CNI_PLUGINS_VERSION}.tgz", True, ".sha256"),
        ("crictl", f"{github}/kubernetes-sigs/cri-tools/releases/download/{CRI_TOOLS_VERSION}/"
                   f"crictl-{CRI_TOOLS_VERSION}-linux-{arch}.tar.gz", True, ".sha256"),
    )
    unknown = sorted(set(pinned) - {name for name, *_ in table})
    if unknown:
        raise ReleaseError(f"{where}.sha256: {', '.join(unknown)} is not one of the downloads: "
                           f"{', '.join(name for name, *_ in table)}")
    fetched = {
        name: Download(name=name, url=url, archive=archive,
                       checksum=_checksum(where, name, pinned, url + sums if sums.startswith(".") else sums))
        for name, url, archive, sums in table
    }

    def member(name: str, path: str, dest: str) -> ContextFile:
        return ContextFile(source=f"{fetched[name].key}/unpacked/{path}", dest=dest)

    files = (
        ContextFile(source=fetched["kubelet"].file, dest="bin/kubelet"),
        *(member("containerd", f"bin/{binary}", f"bin/{binary}") for binary in CONTAINERD_BINARIES),
        ContextFile(source=fetched["runc"].file, dest="bin/runc"),
        member("crictl", "crictl", "bin/crictl"),
        *(member("cni-plugins", plugin, f"cni/{plugin}") for plugin in CNI_PLUGINS),
    )
    return tuple(fetched.values()), files

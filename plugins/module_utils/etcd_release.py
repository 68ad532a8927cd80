# Copyright: curtain contributors
# Apache License 2.0
"""The etcd releases curtain runs, which one each profile defaults to, and which changes of version are allowed.

Pinned is the newest patch of each minor the Go module proxy serves (go.etcd.io/etcd/server/v3, etcdctl/v3,
etcdutl/v3); scripts/build_components.py builds them from those modules and scripts/images makes curtain/etcd:<v>.

- modern: the minor Kubernetes' own installer runs. kubeadm v1.37.2 pins `DefaultEtcdVersion = "3.7.0-0"`
  (cmd/kubeadm/app/constants/constants.go; v1.36.3 pins "3.6.8-0"), so the default is the newest 3.7 patch.
- seed: the seed's Kubernetes 1.1 apiserver speaks only etcd's v2 API, which etcd serves up to 3.5 with
  --enable-v2 (3.6 removed the flag and the v2 API: etcd's CHANGELOG-3.6). So the seed runs the newest 3.5 patch,
  not 3.5.0-3.5.2, which etcd's README advises against in production (a data inconsistency fixed in 3.5.3).

Changes of version follow etcd's upgrade policy (etcd.io/docs/v3.6/upgrades/upgrading-etcd): a patch upgrade, or
one minor at a time from that minor's newest patch; a downgrade only through etcd's own downgrade procedure, which
curtain does not drive. The role takes one step at a time; playbooks/etcd_upgrade.yml walks a longer path.

Standard library only: scripts/build_components.py loads this file by path.
"""

from __future__ import annotations

import re

PINNED = ("3.5.36", "3.6.17", "3.7.4")
# The release earlier curtain versions ran by default. A cluster of it is still managed as it runs (with a warning)
# and upgraded by playbooks/etcd_upgrade.yml; it is never a default, nor the end of an upgrade.
EARLIER_DEFAULTS = ("3.5.1",)
EARLIER_WARNING = (
    "etcd {version} is a release etcd advises against in production (3.5.0 to 3.5.2 can serve inconsistent data "
    "under load, fixed in 3.5.3: etcd's README). Upgrade it: ansible-playbook playbooks/etcd_upgrade.yml "
    "-e etcd_upgrade_version={target}")

# The oldest patch of the previous minor each minor's upgrade guide allows to upgrade from. The newest pinned patch
# of each minor is above it, and upgrade_path always passes through that patch.
#   3.5 -> 3.6: "make sure that all of your 3.5 members are updated to 3.5.32 or later" (etcd.io/docs/latest/
#               upgrades/upgrade_3_6; the guide raised it from 3.5.20 as 3.5 patches fixed upgrade blockers)
#   3.6 -> 3.7: "make sure that all of your 3.6 members are updated to 3.6.11 or later" (.../v3.7/upgrades/upgrade_3_7)
UPGRADE_MINIMUM = {(3, 6): "3.5.32", (3, 7): "3.6.11"}
# The last minor with the v2 API (--enable-v2).
LAST_MINOR_WITH_V2 = (3, 5)

# kubeadm's DefaultEtcdVersion for the Kubernetes versions the modern profile pins (kube_flagsets).
KUBEADM_ETCD = {"v1.36.3": "3.6.8-0", "v1.37.2": "3.7.0-0"}
MODERN_KUBERNETES = "v1.37.2"  # kube_flagsets.MODERN_VERSION; test_etcd_release keeps the two equal
SEED_VERSION = "3.5.36"
REPOSITORY = "curtain/etcd"

# The `release` image source: etcd's own release downloads, each archive checked against the SHA256SUMS file the
# release publishes beside it, and its binaries built into curtain/etcd:<version> on the host
# (roles/artifacts/files/etcd-image). A mirror with GitHub's paths takes the base URL's place.
RELEASE_BASE_URL = "https://github.com"
BINARIES = ("etcd", "etcdctl", "etcdutl")

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
# `etcd --version`'s first line, the same from 3.5 to 3.7: "etcd Version: 3.7.4".
_BINARY_VERSION = re.compile(r"^etcd Version: (\S+)$", re.MULTILINE)


class EtcdReleaseError(ValueError):
    """A version or change of version curtain refuses; the message names the variable and what to do."""


def parse(version: str, variable: str = "etcd_version") -> tuple[int, int, int]:
    match = _VERSION.match(str(version).strip())
    if not match:
        raise EtcdReleaseError(f"{variable}: {version!r} is not an etcd version like {PINNED[-1]}")
    return tuple(int(part) for part in match.groups())  # type: ignore[return-value]


def _text(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


def release_download(version: str, arch: str, base_url: str = RELEASE_BASE_URL) -> dict[str, str]:
    """Where a release's archive for a Debian architecture (amd64, arm64) is: {url, sums (the SHA256SUMS URL),
    directory (the one directory inside the archive, holding the binaries)}."""
    version = _text(parse(version))
    release = f"{base_url.rstrip('/')}/etcd-io/etcd/releases/download/v{version}"
    directory = f"etcd-v{version}-linux-{arch}"
    return {"url": f"{release}/{directory}.tar.gz", "sums": f"{release}/SHA256SUMS", "directory": directory}


def binary_version(output: str) -> str:
    """The release in `etcd --version`'s output; "" when it names none."""
    match = _BINARY_VERSION.search(str(output or ""))
    return match.group(1) if match else ""


def newest_patch(minor: tuple[int, int]) -> str | None:
    """The pinned release of a minor (3, 7) -> "3.7.4"."""
    return next((pinned for pinned in PINNED if parse(pinned)[:2] == minor), None)


def for_kubernetes(kubernetes_version: str) -> str:
    """The pinned release of the minor kubeadm runs with a Kubernetes version."""
    if kubernetes_version not in KUBEADM_ETCD:
        raise EtcdReleaseError(f"no kubeadm etcd version is recorded for Kubernetes {kubernetes_version}")
    kubeadm = parse(KUBEADM_ETCD[kubernetes_version].split("-")[0])
    release = newest_patch(kubeadm[:2])
    if release is None:
        raise EtcdReleaseError(f"kubeadm's etcd {_text(kubeadm)} is of a minor curtain pins no release of")
    return release


DEFAULTS = {"modern": for_kubernetes(MODERN_KUBERNETES), "seed": SEED_VERSION}


def check_pinned(version: str, earlier: bool = False, variable: str = "etcd_version") -> str:
    """The version, normalised ("v3.7.4" -> "3.7.4"), if curtain builds and tests it (or, with `earlier`, ran it)."""
    text = _text(parse(version, variable))
    if text not in PINNED and not (earlier and text in EARLIER_DEFAULTS):
        raise EtcdReleaseError(
            f"{variable}: {version} is not a release curtain pins; choose one of {', '.join(PINNED)} "
            "(the newest patch of each minor, built and tested here)")
    return text


def check_enable_v2(version: str, enable_v2: bool) -> None:
    if enable_v2 and parse(version)[:2] > LAST_MINOR_WITH_V2:
        raise EtcdReleaseError(
            f"etcd_enable_v2: etcd {version} has no v2 API (3.6 removed --enable-v2); the seed profile's "
            f"Kubernetes 1.1 needs it, so it runs etcd {SEED_VERSION}. Set etcd_version to a 3.5 release, or "
            "etcd_enable_v2 to false")


def upgrade_path(
    running: list[str], target: str, enable_v2: bool = False, variable: str = "etcd_version"
) -> list[str]:
    """The releases to run in turn, one rolling restart each, to move a cluster from `running` to `target`.

    `running` are the members' versions (a half-done upgrade leaves several); the path starts from the oldest.
    [] when every member already runs the target.
    """
    goal = parse(check_pinned(target, earlier=True, variable=variable))
    versions = sorted(parse(version, "running etcd version") for version in running)
    if not versions or all(version == goal for version in versions):
        return []
    if _text(goal) in EARLIER_DEFAULTS:
        raise EtcdReleaseError(f"{variable}: {target} is kept only to manage clusters that run it; the members "
                               f"run {', '.join(sorted(set(running)))}, so choose one of {', '.join(PINNED)}")
    newest, oldest = versions[-1], versions[0]
    if newest > goal:
        raise EtcdReleaseError(
            f"{variable}: {target} is older than the {_text(newest)} a member runs: a downgrade is refused. etcd "
            "downgrades only one minor at a time through `etcdctl downgrade` (etcd.io/docs/v3.6/downgrades), which "
            f"curtain does not drive; keep {variable} at the running release or restore a snapshot of it")
    if oldest[0] != goal[0]:
        raise EtcdReleaseError(f"{variable}: {target} is another major version than the running {_text(oldest)}")
    path: list[str] = []
    for minor in range(oldest[1], goal[1] + 1):
        pinned = newest_patch((goal[0], minor))
        if pinned is None:
            raise EtcdReleaseError(
                f"{variable}: moving from {_text(oldest)} to {target} passes through {goal[0]}.{minor}, "
                "of which curtain pins no release")
        step = goal if minor == goal[1] else parse(pinned)
        if step <= oldest:
            continue
        before = parse(path[-1]) if path else oldest
        minimum = UPGRADE_MINIMUM.get(step[:2])
        if before[:2] != step[:2] and minimum and before < parse(minimum):
            raise EtcdReleaseError(f"etcd {_text(step)} needs every member on {minimum} or later first, "
                                   f"and {_text(before)} is older")
        check_enable_v2(_text(step), enable_v2)
        path.append(_text(step))
    return path


def release_plan(
    version: str, profile: str, enable_v2: bool = False, running: list[str] | None = None, repository: str = REPOSITORY
) -> dict:
    """What the etcd role runs: {version, image, path, warnings}; an error (raised before anything changes) otherwise.

    `version` "" means the profile's default. `path` is the upgrade from the running members' versions: the role
    takes one step (a rolling restart); a longer path is refused, naming the playbook that walks it.
    """
    if profile not in DEFAULTS:
        raise EtcdReleaseError(f"etcd_profile: {profile!r} is not one of {', '.join(DEFAULTS)}")
    chosen = check_pinned(version, earlier=True) if str(version).strip() else DEFAULTS[profile]
    check_enable_v2(chosen, enable_v2)
    path = upgrade_path(list(running or []), chosen)
    if len(path) > 1:
        raise EtcdReleaseError(
            f"etcd_version: the members run {', '.join(sorted(set(running or [])))}; reaching {chosen} takes "
            f"{' -> '.join(path)}, one rolling upgrade each. Run playbooks/etcd_upgrade.yml "
            f"-e etcd_upgrade_version={chosen}, which walks that path with a snapshot first; nothing was changed")
    warnings = [EARLIER_WARNING.format(version=chosen, target=DEFAULTS[profile])] if chosen in EARLIER_DEFAULTS else []
    return {"version": chosen, "image": f"{repository}:{chosen}", "path": path, "warnings": warnings}

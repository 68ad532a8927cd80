"""docs/versions.md against the data it quotes: every cell of the Kubernetes table is rebuilt here from
kube_profiles.py and the etcd role's defaults, and the controller table from preflight's Docker minimum, the pins
and ranges in requirements.txt/requirements.yml/galaxy.yml/meta/runtime.yml, and the packages installed in .venv."""

from __future__ import annotations

import json
import re
from importlib import metadata, util
from pathlib import Path

import pytest
import yaml
from ansible_collections.curtain.kube.plugins.module_utils import etcd_release, node_release
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    PINNED,
    PROFILES,
    KubeProfile,
    upgrade_step,
    version_tuple,
)
from ansible_collections.curtain.kube.plugins.module_utils.preflight import MIN_DOCKER_VERSION

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "versions.md"
COMPONENT_ROWS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")


def _tables(text: str) -> list[dict[str, list[str]]]:
    """Each Markdown table as {first cell: the other cells}, header row included."""
    tables: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if re.fullmatch(r"\|(---\|)+", line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if current is None:
            current = {}
            tables.append(current)
        current[cells[0]] = cells[1:]
    return tables


@pytest.fixture(scope="module")
def tables() -> list[dict[str, list[str]]]:
    return _tables(DOC.read_text())


def _columns() -> list[KubeProfile]:
    return [profile for pinned in PINNED.values() for profile in pinned.values()]


def _image_cell(profile: KubeProfile, component: str) -> str:
    image = profile.images.get(component)
    if image is None:  # no upstream image: curtain/<component>:<version>, of the release's binary
        (built_from,) = [source.split(",")[0] for source in profile.sources if source.startswith("k8s.io/kubernetes@")]
        assert built_from == f"k8s.io/kubernetes@{profile.version}"
        return (f"`curtain/{component}:{profile.version}`, the {component} of the release (dl.k8s.io, or built "
                f"from `{built_from}`)")
    if image.command[0] == "/hyperkube":
        return f"`{image.reference}` (`{' '.join(image.command)}`)"
    return f"`{image.reference}`"


def _expected_kubernetes_table() -> dict[str, list[str]]:
    etcd_profiles = yaml.safe_load((ROOT / "roles" / "etcd" / "vars" / "main.yml").read_text())["_etcd_profiles"]
    rows: dict[str, list[str]] = {"Kubernetes": [], "etcd": [], "etcd client / peer port": [],
                                  "kube-apiserver port": [], "kube-controller-manager port": [],
                                  "kube-scheduler port": [], "kubelet ports": [], "kube-proxy ports": [],
                                  "kube-proxy modes": [], "upgrade to": [], "kubelet runtime": []}
    rows.update({f"{component} image": [] for component in COMPONENT_ROWS})
    for profile in _columns():
        ports, features = profile.ports, profile.features
        etcd = etcd_profiles[profile.name]
        secure = features.tls and not features.insecure_port
        rows["Kubernetes"].append(profile.version)
        # curtain's own kubelet image carries containerd (node_release's versions); hyperkube 1.1 drives Docker.
        rows["kubelet runtime"].append(
            f"containerd {node_release.CONTAINERD_VERSION}, runc {node_release.RUNC_VERSION}, CNI plugins "
            f"{node_release.CNI_PLUGINS_VERSION}, crictl {node_release.CRI_TOOLS_VERSION}, in the kubelet image"
            if profile.images.get("kubelet") is None else "the host's Docker Engine")
        for component in COMPONENT_ROWS:
            rows[f"{component} image"].append(_image_cell(profile, component))
        rows["etcd"].append(
            f"`curtain/etcd:{etcd_release.DEFAULTS[profile.name]}`, "
            + ("TLS" if etcd["tls"] else "plain HTTP")
            + (", v2 API on" if etcd["enable_v2"] else ", v3 API only")
        )
        rows["etcd client / peer port"].append(f"{etcd['client_port']} / {etcd['peer_port']}")
        scheme = "HTTPS" if secure else "HTTP"
        apiserver = ports.apiserver_insecure if features.insecure_port else ports.apiserver_secure
        rows["kube-apiserver port"].append(f"{apiserver} ({scheme})")
        rows["kube-controller-manager port"].append(f"{ports.controller_manager} ({scheme})")
        rows["kube-scheduler port"].append(f"{ports.scheduler} ({scheme})")
        # The modern KubeletConfiguration turns the read-only port off (readOnlyPort: 0).
        read_only = "" if features.kubelet_config_file else f", read-only {ports.kubelet_read_only}"
        rows["kubelet ports"].append(f"{ports.kubelet}, healthz {ports.kubelet_healthz}{read_only}")
        metrics = f", metrics {ports.kube_proxy_metrics}" if ports.kube_proxy_metrics else ""
        rows["kube-proxy ports"].append(f"healthz {ports.kube_proxy_healthz}{metrics}")
        rows["kube-proxy modes"].append(", ".join(
            f"{mode} (deprecated)" if mode in features.deprecated_proxy_modes else mode
            for mode in features.proxy_modes
        ))
        newer = [version for version in profile.versions if version_tuple(version) > version_tuple(profile.version)]
        step = newer[0] if newer and upgrade_step(profile.name, profile.version, newer[0]) == "upgrade" else "none"
        rows["upgrade to"].append(step)
    return rows


def test_kubernetes_table_matches_the_profiles(tables: list[dict[str, list[str]]]) -> None:
    table = tables[0]
    default = PROFILES["modern"]
    header = [f"`{profile.reference}`" + (" (default)" if profile == default else "") for profile in _columns()]
    assert table[""] == header
    expected = _expected_kubernetes_table()
    assert sorted(set(table) - {""}) == sorted(expected)
    for row, cells in expected.items():
        assert table[row] == cells, row


def _controller(tables: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    (table,) = [table for table in tables if "what" in table]
    return table


def _pinned(package: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in requirements.txt")


def test_docker_minimum_is_preflights(tables: list[dict[str, list[str]]]) -> None:
    version, where = _controller(tables)["Docker Engine (every host)"]
    assert version == f"{'.'.join(map(str, MIN_DOCKER_VERSION))} or newer"
    assert "`MIN_DOCKER_VERSION`" in where


def test_ansible_pins_and_ranges(tables: list[dict[str, list[str]]]) -> None:
    table = _controller(tables)
    ansible = _pinned("ansible")
    assert table["`ansible` package"][0] == ansible
    # ansible accepts a range of ansible-core: the one the page names is pinned too, or a fresh venv takes the newest.
    assert table["ansible-core"][0] == _pinned("ansible-core")
    requires = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    assert f'`requires_ansible: "{requires}"`' in table["ansible-core"][1]
    ranges = {entry["name"]: entry["version"]
              for entry in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]}
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"]
    for name, wanted in ranges.items():
        assert f"bundled by `ansible` {ansible}" in table[name][1]
        assert f"`{wanted}`" in table[name][1], name
        assert ("`galaxy.yml`" in table[name][1]) == (galaxy.get(name) == wanted), name


def _installed_collection(name: str) -> str | None:
    namespace, collection = name.split(".")
    spec = util.find_spec(f"ansible_collections.{namespace}")
    for location in (spec.submodule_search_locations if spec else []):
        manifest = Path(location) / collection / "MANIFEST.json"
        if manifest.is_file():
            return json.loads(manifest.read_text())["collection_info"]["version"]
    return None


def test_installed_versions(tables: list[dict[str, list[str]]]) -> None:
    """What the pinned `ansible` package installed into this environment is what the page says."""
    table = _controller(tables)
    try:
        installed_ansible = metadata.version("ansible")
    except metadata.PackageNotFoundError:
        pytest.skip("the ansible package is not installed here (run the tests in .venv)")
    assert installed_ansible == table["`ansible` package"][0]
    assert metadata.version("ansible-core") == table["ansible-core"][0]
    requires_python = metadata.metadata("ansible-core")["Requires-Python"]
    assert requires_python == ">=" + table["Python (controller)"][0].removesuffix(" or newer")
    for name in ("community.docker", "community.crypto", "ansible.posix"):
        assert _installed_collection(name) == table[name][0], name

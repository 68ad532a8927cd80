"""scripts/topology.py: the SVG it draws is well-formed, names every component with its modern port, is the one
committed as docs/topology.svg, and --check catches a stale or missing file."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import MODERN

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "topology.py"
SVG = "{http://www.w3.org/2000/svg}"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("topology", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


topology = _load_script()


@pytest.fixture(scope="module")
def drawn() -> str:
    return topology.render(topology.facts())


def _texts(svg: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(svg).iter(f"{SVG}text")]


def test_svg_parses_and_has_a_title(drawn: str) -> None:
    root = ElementTree.fromstring(drawn)  # raises on malformed XML
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == f"curtain topology, profile modern (Kubernetes {MODERN.version})"


@pytest.mark.parametrize("name", [
    "controller", "masters", "etcd", "nodes",
    "curtain-etcd", "curtain-kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
    "curtain-kube-proxy", "/etc/kubernetes/manifests/",
])
def test_names_each_component(drawn: str, name: str) -> None:
    assert any(name in text for text in _texts(drawn)), name


def test_ports_are_the_modern_profiles(drawn: str) -> None:
    text = "\n".join(_texts(drawn))
    ports = MODERN.ports
    for shown in (
        f"0.0.0.0:{ports.apiserver_secure} (TLS)",
        f"127.0.0.1:{ports.controller_manager} (TLS)",
        f"127.0.0.1:{ports.scheduler} (TLS)",
        f"kubelet API :{ports.kubelet} (TLS), healthz 127.0.0.1:{ports.kubelet_healthz}",
        f"healthz 0.0.0.0:{ports.kube_proxy_healthz}",
        f"metrics 127.0.0.1:{ports.kube_proxy_metrics}",
        "clients :2379 (TLS)",
        "peers :2380 (TLS)",
    ):
        assert shown in text, shown


def test_the_three_arrows_of_the_topology(drawn: str) -> None:
    """kubelet reads the manifests, apiserver -> etcd, kube-proxy -> apiserver (on nodes and on masters)."""
    labels = _texts(drawn)
    assert "reads every 20s" in labels
    assert "https :2379" in labels
    assert f"https :{MODERN.ports.apiserver_secure}" in labels
    assert f"https 127.0.0.1:{MODERN.ports.apiserver_secure}" in labels
    polylines = list(ElementTree.fromstring(drawn).iter(f"{SVG}polyline"))
    assert len(polylines) == 8
    assert all(line.get("marker-end") == "url(#head)" for line in polylines)


def test_rendering_is_deterministic(drawn: str) -> None:
    assert topology.render(topology.facts()) == drawn


def test_committed_svg_is_current(drawn: str) -> None:
    assert (ROOT / "docs" / "topology.svg").read_text() == drawn, "run `python3 scripts/topology.py`"


def test_check_catches_a_stale_or_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "topology.svg"
    args = ["--output", str(output)]
    assert topology.main([*args, "--check"]) == 1
    assert "does not exist: run `python3 scripts/topology.py`" in capsys.readouterr().err

    assert topology.main(args) == 0
    assert topology.main([*args, "--check"]) == 0
    capsys.readouterr()

    output.write_text(output.read_text().replace(":6443", ":8443"))
    assert topology.main([*args, "--check"]) == 1
    assert "is out of date: run `python3 scripts/topology.py`" in capsys.readouterr().err
    assert ":8443" in output.read_text()  # --check never writes

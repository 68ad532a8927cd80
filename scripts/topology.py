#!/usr/bin/env python3
"""Write docs/topology.svg, the README's picture of what runs where, from the description below.

    python3 scripts/topology.py            write docs/topology.svg
    python3 scripts/topology.py --check    exit 1, with a message, when it is not current

The picture is the modern profile with the roles' defaults. Names, images and ports are not typed in here: they
are read from plugins/module_utils (kube_profiles.MODERN, kube_manifests.resolve_settings) and from the roles'
defaults/main.yml and vars/main.yml, so a changed default makes the picture stale and `--check` says so. The
layout is the `diagram()` description: boxes (a host group, a container, a static pod, a file) and arrows (who
reads or connects to whom), at fixed coordinates, rendered as plain SVG text: the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "topology.svg"
COMMAND = "python3 scripts/topology.py"
sys.path.insert(0, str(ROOT / "collections"))  # the checkout is the collection curtain.kube

from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import release_plan
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import resolve_settings
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import MODERN

WIDTH, HEIGHT = 1240, 560
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
LINE_HEIGHT = 16


@dataclass(frozen=True)
class Box:
    kind: str  # a CSS class: controller, group, container, pod, file
    x: int
    y: int
    width: int
    height: int
    title: str
    lines: tuple[str, ...] = ()
    centered: bool = False


@dataclass(frozen=True)
class Arrow:
    points: tuple[tuple[int, int], ...]  # a polyline; the head is at the last point
    label: tuple[str, ...]
    label_at: tuple[int, int]  # where the label's first line starts (its left end)
    dashed: bool = False


# --- what the picture says, read from the code --------------------------------------------------------------------
def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def facts(root: Path = ROOT) -> dict[str, Any]:
    """Every name, image and port the picture shows, from the profile data and the roles' defaults."""
    roles = root / "roles"
    etcd_defaults = _yaml(roles / "etcd" / "defaults" / "main.yml")
    etcd_modern = _yaml(roles / "etcd" / "vars" / "main.yml")["_etcd_profiles"]["modern"]
    master_defaults = _yaml(roles / "hyperkube_master" / "defaults" / "main.yml")
    proxy_defaults = _yaml(roles / "kube_proxy" / "defaults" / "main.yml")
    settings = resolve_settings(MODERN.name, {})
    ports = MODERN.ports
    return {
        "version": MODERN.version,
        "etcd_container": etcd_defaults["etcd_container_name"],
        "etcd_image": etcd_defaults["etcd_image"] or release_plan(etcd_defaults["etcd_version"], "modern")["image"],
        "etcd_client_port": etcd_modern["client_port"],
        "etcd_peer_port": etcd_modern["peer_port"],
        "etcd_data_dir": etcd_defaults["etcd_data_dir"],
        "kubelet_container": master_defaults["hyperkube_master_kubelet_container_name"],
        "kubelet_privileges": (
            f"capabilities {', '.join(master_defaults['hyperkube_master_capabilities'])}, not --privileged"
            if master_defaults["hyperkube_master_privilege"] == "capabilities" else "--privileged"
        ),
        "kubelet_dev": "the host's /dev" if master_defaults["hyperkube_master_mount_dev"] else "no /dev",
        "kubelet_port": ports.kubelet,
        "kubelet_healthz": f"{settings['kubelet_healthz_bind_address']}:{settings['kubelet_healthz_port']}",
        "manifest_dir": settings["manifest_dir"],
        "file_check_frequency": settings["file_check_frequency"],
        "apiserver_port": ports.apiserver_secure,
        "apiserver_bind": settings["bind_address"],
        "controller_manager_port": ports.controller_manager,
        "scheduler_port": ports.scheduler,
        "proxy_container": proxy_defaults["kube_proxy_container_name"],
        "proxy_capabilities": ", ".join(proxy_defaults["kube_proxy_capabilities"]),
        "proxy_healthz": settings["kube_proxy_healthz_bind_address"],
        "proxy_metrics": settings["kube_proxy_metrics_bind_address"],
    }


# --- the layout ---------------------------------------------------------------------------------------------------
def diagram(f: dict[str, Any]) -> tuple[list[Box], list[Arrow]]:
    """The boxes and arrows. Three columns: the controller, the masters group, the etcd and nodes groups."""
    boxes = [
        Box("controller", 20, 70, 210, 170, "controller", (
            "ansible-playbook site.yml:",
            "preflight, etcd,",
            "hyperkube_master, kube_proxy",
            "",
            "inventory/<x>/artifacts/:",
            "CAs, certificates, admin.conf",
        )),
        # masters: the kubelet container, the manifest directory it reads, the pods it runs, and kube-proxy
        Box("group", 290, 50, 600, 440, "masters   (roles hyperkube_master, kube_proxy)"),
        Box("container", 310, 85, 560, 72, f"{f['kubelet_container']}   (container: the kubelet)", (
            f"host network and PID; {f['kubelet_privileges']}; {f['kubelet_dev']}",
            f"kubelet API :{f['kubelet_port']} (TLS), healthz {f['kubelet_healthz']}",
        )),
        Box("file", 310, 190, 560, 34, f"{f['manifest_dir']}/", centered=True),
        Box("pod", 310, 270, 180, 72, "kube-scheduler", ("static pod", f"127.0.0.1:{f['scheduler_port']} (TLS)"),
            centered=True),
        Box("pod", 500, 270, 180, 72, "kube-controller-manager",
            ("static pod", f"127.0.0.1:{f['controller_manager_port']} (TLS)"), centered=True),
        Box("pod", 690, 270, 180, 72, "kube-apiserver",
            ("static pod", f"{f['apiserver_bind']}:{f['apiserver_port']} (TLS)"), centered=True),
        Box("container", 310, 400, 560, 72, f"{f['proxy_container']}   (container: kube-proxy)", (
            f"host network; {f['proxy_capabilities']}",
            f"healthz {f['proxy_healthz']}, metrics {f['proxy_metrics']}",
        )),
        # etcd
        Box("group", 1000, 50, 220, 190, "etcd   (role etcd)"),
        Box("container", 1012, 85, 196, 140, f"{f['etcd_container']}", (
            f"{f['etcd_image']}",
            "host network",
            f"clients :{f['etcd_client_port']} (TLS)",
            f"peers :{f['etcd_peer_port']} (TLS)",
            "data in the host directory",
            f"{f['etcd_data_dir']}",
        )),
        # nodes
        Box("group", 1000, 300, 220, 190, "nodes   (role kube_proxy)"),
        Box("container", 1012, 335, 196, 140, f"{f['proxy_container']}", (
            "kube-proxy",
            "host network",
            f"{f['proxy_capabilities']}",
            f"healthz {f['proxy_healthz']}",
            f"metrics {f['proxy_metrics']}",
        )),
    ]
    arrows = [
        Arrow(((230, 155), (288, 155)), ("Ansible",), (238, 147)),
        Arrow(((590, 157), (590, 188)), (f"reads every {f['file_check_frequency']}",), (600, 177)),
        # one dashed arrow per static pod, from the manifest directory
        Arrow(((590, 224), (590, 255), (400, 255), (400, 268)), ("runs each manifest as a static pod",), (600, 248),
              dashed=True),
        Arrow(((590, 255), (590, 268)), (), (0, 0), dashed=True),
        Arrow(((590, 255), (780, 255), (780, 268)), (), (0, 0), dashed=True),
        Arrow(((870, 285), (905, 285), (905, 150), (1010, 150)),
              (f"https :{f['etcd_client_port']}", "client cert"), (911, 200)),
        Arrow(((1010, 420), (918, 420), (918, 320), (872, 320)), (f"https :{f['apiserver_port']}",), (924, 436)),
        Arrow(((780, 398), (780, 344)), (f"https 127.0.0.1:{f['apiserver_port']}",), (790, 376)),
    ]
    return boxes, arrows


# --- SVG ----------------------------------------------------------------------------------------------------------
STYLE = f"""\
text {{ font-family: {FONT}; font-size: 12px; fill: #1a202c; }}
.heading {{ font-size: 16px; font-weight: bold; }}
.title {{ font-weight: bold; }}
.note {{ font-size: 11px; fill: #4a5568; }}
.label {{ font-size: 11px; fill: #2d3748; }}
rect.controller {{ fill: #f3f0ff; stroke: #6b46c1; stroke-width: 1.5; }}
rect.group {{ fill: #f7fafc; stroke: #718096; stroke-width: 1.5; stroke-dasharray: 6 4; }}
rect.container {{ fill: #ebf4ff; stroke: #2b6cb0; stroke-width: 1.5; }}
rect.pod {{ fill: #f0fff4; stroke: #2f855a; stroke-width: 1.5; }}
rect.file {{ fill: #fffff0; stroke: #b7791f; stroke-width: 1.5; }}
polyline {{ fill: none; stroke: #2d3748; stroke-width: 1.5; }}
polyline.dashed {{ stroke-dasharray: 4 3; }}
"""


def _text(x: int, y: int, text: str, css: str = "", anchor: str = "") -> str:
    attributes = f' class="{css}"' if css else ""
    attributes += f' text-anchor="{anchor}"' if anchor else ""
    return f'<text x="{x}" y="{y}"{attributes}>{escape(text)}</text>'


def render_box(box: Box) -> list[str]:
    out = [f'<rect class="{box.kind}" x="{box.x}" y="{box.y}" width="{box.width}" height="{box.height}" rx="6"/>']
    x, anchor = (box.x + box.width // 2, "middle") if box.centered else (box.x + 10, "")
    baseline = box.y + 22 if box.lines or box.kind == "group" else box.y + box.height // 2 + 4
    out.append(_text(x, baseline, box.title, "title", anchor))
    for index, line in enumerate(box.lines, start=1):
        if line:
            out.append(_text(x, baseline + index * LINE_HEIGHT, line, "", anchor))
    return out


def render_arrow(arrow: Arrow) -> list[str]:
    points = " ".join(f"{x},{y}" for x, y in arrow.points)
    dashed = ' class="dashed"' if arrow.dashed else ""
    out = [f'<polyline{dashed} points="{points}" marker-end="url(#head)"/>']
    x, y = arrow.label_at
    out += [_text(x, y + index * 13, line, "label") for index, line in enumerate(arrow.label)]
    return out


def render(f: dict[str, Any]) -> str:
    boxes, arrows = diagram(f)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- Generated by `{COMMAND}` from the profile data and the roles' defaults; do not edit. -->",
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">',
        f"<title>curtain topology, profile modern (Kubernetes {escape(f['version'])})</title>",
        "<style>",
        STYLE.rstrip("\n"),
        "</style>",
        "<defs>",
        '<marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">',
        '<path d="M0,0 L10,5 L0,10 z" fill="#2d3748"/>',
        "</marker>",
        "</defs>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        _text(20, 30, f"curtain, profile modern (Kubernetes {f['version']}), the roles' defaults", "heading"),
    ]
    for box in boxes:
        lines += render_box(box)
    for arrow in arrows:
        lines += render_arrow(arrow)
    lines += [
        _text(20, HEIGHT - 40, "Arrows: who reads or connects to whom. A host may be in several groups: "
              "inventory/local puts this machine in all three.", "note"),
        _text(20, HEIGHT - 24, "Ansible reaches hosts over SSH (inventory/example) or locally (inventory/local). "
              "The containers curtain starts carry the label io.curtain.managed-by=curtain.", "note"),
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


# --- command line -------------------------------------------------------------------------------------------------
def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def check(expected: str, output: Path) -> str:
    """Why `output` is not `expected` (empty when it is)."""
    if not output.is_file():
        return f"{_shown(output)} does not exist: run `{COMMAND}` and commit the result.\n"
    if output.read_text() != expected:
        return f"{_shown(output)} is out of date: run `{COMMAND}` and commit the result.\n"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the file is not current")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="SVG file (default: %(default)s)")
    args = parser.parse_args(argv)
    text = render(facts())
    if args.check:
        problem = check(text, args.output)
        if problem:
            sys.stderr.write(problem)
            return 1
        print(f"topology: {_shown(args.output)} is current")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"topology: wrote {_shown(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

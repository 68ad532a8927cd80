#!/usr/bin/env python3
"""Time the etcd role: one and three members converged cold, and a no-op re-run, on Molecule test hosts.

Run through `make bench` (which prepares the machine and exports the registry digest). It creates the test hosts
of the etcd_cluster scenario once, then for each cluster size runs the etcd role alone (the fault suite's converge
playbook: site.yml now also needs masters, which bench/site_bench.py measures) against an inventory of the first N
hosts: cold (the member, its data, certificates and the image removed first, so the
image is pulled again) and no-op (nothing to change), several times each. The figures go into docs/benchmarks.md
between the etcd markers. These are measurements, not tests: nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOSTS = [f"curtain-etcd-cluster-{i}" for i in (1, 2, 3)]
DOC = ROOT / "docs/benchmarks.md"
START, END = "<!-- etcd bench: start -->", "<!-- etcd bench: end -->"
PLAYBOOK = ROOT / "molecule/faults/converge.yml"  # the etcd role on the hosts of the etcd group, facts gathered


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def molecule(action: str) -> None:
    run(["molecule", action, "-s", "etcd_cluster"], cwd=ROOT)


def write_inventory(directory: Path, size: int) -> Path:
    registry = os.environ.get("CURTAIN_TEST_REGISTRY", "172.17.0.1:5000")
    inventory = {
        "all": {
            "vars": {"ansible_connection": "community.docker.docker", "ansible_user": "root"},
            "children": {"etcd": {"hosts": {name: {} for name in HOSTS[:size]}}},
        },
    }
    group_vars = {
        "etcd_image_source": "registry",
        "etcd_image": f"{registry}/curtain/etcd",
        "etcd_image_digest": os.environ["CURTAIN_TEST_ETCD_DIGEST"],
    }
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    (directory / "group_vars/etcd.json").write_text(json.dumps(group_vars))
    path = directory / "hosts.json"
    path.write_text(json.dumps(inventory))
    return path


def make_cold(directory: Path, size: int) -> None:
    """Remove everything the role made, on the hosts and on the controller, the image included."""
    for name in HOSTS[:size]:
        run(["docker", "exec", name, "sh", "-c",
             "docker rm -f curtain-etcd >/dev/null 2>&1; rm -rf /var/lib/curtain /etc/curtain; "
             "docker image prune -af >/dev/null"])
    shutil.rmtree(directory / "artifacts", ignore_errors=True)


def converge(inventory: Path) -> tuple[float, int]:
    """Seconds for one run of the etcd role, and the number of tasks it reported changed."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    started = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(PLAYBOOK)],
                          env=env, text=True, capture_output=True, check=False, cwd=ROOT)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{PLAYBOOK.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    start = proc.stdout.index("{")
    stats = json.JSONDecoder().raw_decode(proc.stdout[start:])[0]["stats"]
    return elapsed, sum(host["changed"] for host in stats.values())


def summary(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} | {min(times):.1f} | {max(times):.1f}"


def measure(runs: int) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="curtain-bench-") as tmp:
        for size in (1, 3):
            directory = Path(tmp) / f"members-{size}"
            inventory = write_inventory(directory, size)
            cold, noop = [], []
            for _ in range(runs):
                make_cold(directory, size)
                elapsed, _changed = converge(inventory)
                cold.append(elapsed)
                elapsed, changed = converge(inventory)
                if changed:
                    sys.exit(f"the no-op run with {size} members changed {changed} tasks")
                noop.append(elapsed)
            make_cold(directory, size)
            rows.append(f"| {size} member{'s' if size > 1 else ''}, cold | {summary(cold)} | {runs} |")
            rows.append(f"| {size} member{'s' if size > 1 else ''}, no-op | {summary(noop)} | {runs} |")
            print("\n".join(rows[-2:]), flush=True)
    return rows


def write_doc(rows: list[str], runs: int) -> None:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    block = "\n".join([
        START,
        f"Measured {time.strftime('%Y-%m-%d')} by `make bench` (bench/etcd.py), {runs} runs each, on "
        f"{os.cpu_count()} cores ({cpu.group(1) if cpu else 'unknown CPU'}). Seconds of wall time for "
        "one `ansible-playbook` run of the etcd role alone (`molecule/faults/converge.yml`: facts, then the role) "
        "against test-host containers over the Docker connection. Cold "
        "means no container, data, certificates or image: the image is pulled from the local registry by digest "
        "and the CA and member certificates are made.",
        "",
        "| run | median s | min s | max s | runs |",
        "|---|---|---|---|---|",
        *rows,
        END,
    ])
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n## etcd role\n\n" + START + "\n" + END + "\n"
    DOC.write_text(re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    molecule("create")
    try:
        rows = measure(args.runs)
    finally:
        molecule("destroy")
    write_doc(rows, args.runs)
    print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

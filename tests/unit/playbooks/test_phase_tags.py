"""The phases (docs/operations.md, "Phases"): each step of a role carries one phase's tag, and ansible-playbook's own
task list of site.yml under --tags holds that phase's tasks, preflight's (always) and nothing of another phase."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PHASES = ("preflight", "artifacts", "config", "run", "health")
ROLES = ("etcd", "hyperkube_master", "kube_proxy")
INCLUDES = ("ansible.builtin.include_role", "ansible.builtin.include_tasks")


def steps(role: str) -> list[dict[str, Any]]:
    return yaml.safe_load((ROOT / "roles" / role / "tasks" / "main.yml").read_text())


@pytest.mark.parametrize("role", ROLES)
def test_each_step_of_a_role_carries_one_phase(role: str) -> None:
    for step in steps(role):
        tags = set(step.get("tags", []))
        assert len(tags & set(PHASES)) == 1, f"{role}: {step['name']!r} has tags {sorted(tags)}"
        if "preflight" in tags:
            assert "always" in tags, f"{role}: {step['name']!r}: the other phases need preflight's decisions"
        include = next((step[key] for key in INCLUDES if key in step), None)
        if include is not None:  # an include's own tags do not reach the tasks it includes: `apply` carries them
            assert set(include["apply"]["tags"]) == tags, f"{role}: {step['name']!r}"


def listed_tasks(*arguments: str) -> dict[str, set[str]]:
    """{task: its tags} as ansible-playbook --list-tasks shows site.yml's (imports expanded, includes not)."""
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(ROOT / "inventory" / "local"),
               str(ROOT / "site.yml"), "--list-tasks", *arguments]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = {}
    for line in run.stdout.splitlines():
        match = re.match(r"^ {6}(?P<task>.+?)\tTAGS: \[(?P<tags>.*)\]$", line)
        if match:
            found[match["task"]] = {tag.strip() for tag in match["tags"].split(",") if tag.strip()}
    return found


def test_every_task_of_the_site_has_a_phase_or_runs_always() -> None:
    untagged = [task for task, tags in listed_tasks().items() if not tags & {*PHASES, "always"}]
    assert untagged == []


@pytest.mark.parametrize(("phase", "expected"), [
    ("config", ["curtain.kube.hyperkube_master : Config | Create the directories, put the certificates, keys, "
                "kubeconfigs, configuration and runtime files, set the kernel parameters",
                "curtain.kube.etcd : Config | Put the certificates and keys, make the data directory and mark its "
                "cluster"]),
    ("run", ["curtain.kube.hyperkube_master : Kubelet | Run the kubelet container",
             "curtain.kube.kube_proxy : Run | Run the kube-proxy container, or remove it where kube-proxy runs as a "
             "static pod"]),
    ("health", ["curtain.kube.hyperkube_master : Health | Wait for each component"]),
])
def test_a_phase_lists_its_own_tasks_and_preflight_s_only(phase: str, expected: list[str]) -> None:
    tasks = listed_tasks("--tags", phase)
    assert set(expected) <= set(tasks), sorted(tasks)
    assert "curtain.kube.hyperkube_master : Preflight | Look at the host and the kubelet container" in tasks
    strangers = {task: tags for task, tags in tasks.items() if phase not in tags and "always" not in tags}
    assert strangers == {}

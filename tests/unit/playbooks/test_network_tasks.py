"""roles/hyperkube_master/tasks/network.yml's pod network file, for real with ansible-playbook, in check mode on this
machine: the tasks that take this node's podCIDR from the Node list and write the CNI configuration from it (with the
routes, in curtain.kube.pod_network's one run).

A node the controller-manager has not given a podCIDR yet (a fresh cluster in check mode, or a Node not registered
yet) must get the role's message, not a failure, and no CNI file; a node with one gets its CNI file. The tasks run as
the role has them, taken from the task file by name, with the facts the earlier tasks would have set and the role's
variable that takes this node's podCIDR from them. Check mode: nothing is written on this machine (the module only
reads its routes and nat rules).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
NETWORK = ROOT / "roles" / "hyperkube_master" / "tasks" / "network.yml"
TASKS = ("Network | Write the pod network's configuration, route to the other nodes' pods and masquerade what leaves "
         "the pod network",)
# The role variable the tasks read this node's podCIDR from, as the role defines it.
POD_SUBNET = "_hyperkube_master_pod_subnet"
ROLE_VARS = ROOT / "roles" / "hyperkube_master" / "vars" / "main.yml"


def _role_tasks() -> list[dict[str, Any]]:
    tasks = {task["name"]: task for task in yaml.safe_load(NETWORK.read_text())}
    missing = [name for name in TASKS if name not in tasks]
    assert not missing, f"{NETWORK}: no task named {missing}"
    return [tasks[name] for name in TASKS]


def _run(tmp_path: Path, nodes: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    play = [{"name": "The pod network's file", "hosts": "localhost", "gather_facts": False,
             "vars": {"__hyperkube_master_cluster": {"nodes": nodes}, "__hyperkube_master_self": {"name": "n1"},
                      "__hyperkube_master_settings": {"pod_cidr": "10.244.0.0/16"},
                      POD_SUBNET: yaml.safe_load(ROLE_VARS.read_text())[POD_SUBNET]},
             "tasks": _role_tasks()}]
    playbook = tmp_path / "network.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
         f"ansible_python_interpreter={sys.executable}", str(playbook), "--check", "-v"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def _task_output(output: str, name: str) -> str:
    """The lines ansible-playbook prints for one task, up to the next task."""
    start = output.index(f"TASK [{name}]")
    end = output.find("TASK [", start + 1)
    return output[start:end if end != -1 else len(output)]


@pytest.mark.parametrize("nodes", [
    [],  # no Node yet (check mode on a fresh cluster)
    [{"metadata": {"name": "n1"}, "spec": {}}],  # registered, no podCIDR yet
    [{"metadata": {"name": "n2"}, "spec": {"podCIDR": "10.244.1.0/24"}}],  # another node's only
])
def test_a_node_without_a_pod_cidr_yet_is_told_so_and_nothing_fails(tmp_path: Path, nodes: list) -> None:
    run = _run(tmp_path, nodes)
    assert run.returncode == 0, run.stdout + run.stderr
    output = _task_output(run.stdout, TASKS[0])
    assert "cni_config: false" in output
    assert "this node has no Node or no podCIDR yet" in output
    assert "changed: [localhost]" in output  # what a run would do once the node has one


def test_a_node_with_its_pod_cidr_gets_its_cni_file(tmp_path: Path) -> None:
    run = _run(tmp_path, [{"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.3.0/24"}}])
    assert run.returncode == 0, run.stdout + run.stderr
    output = _task_output(run.stdout, TASKS[0])
    assert "cni_config: true" in output
    assert "no podCIDR yet" not in output

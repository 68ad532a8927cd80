"""The hyperkube_master role's planner: one call decides what the role's steps apply, for a master and for a node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.plans import hyperkube_master_plan
from ansible_collections.curtain.kube.plugins.module_utils.hyperkube_master_plan import (
    MasterPlanError,
    default_inputs,
    plan,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory, KubeClusterError

ROOT = Path(__file__).resolve().parents[4]
ADDRESSES = {"m1": "192.0.2.11", "m2": "192.0.2.12", "n1": "192.0.2.21"}


def inventory(host: str, masters: tuple[str, ...] = ("m1", "m2"), nodes: tuple[str, ...] = ("n1",)) -> Inventory:
    def settings(hosts: tuple[str, ...]) -> dict[str, dict[str, str]]:
        return {name: {"name": name, "address": ADDRESSES[name]} for name in hosts}

    return Inventory(groups={"masters": list(masters), "nodes": list(nodes), "etcd": list(masters)},
                     master_hosts=settings(masters), own=settings((host,))[host], etcd_hosts=settings(masters))


def test_a_master_runs_the_control_plane_with_its_certificates_files_and_ports() -> None:
    made = plan(default_inputs("m2", "/inv"), inventory("m2"))
    assert made.control_plane is True
    assert made.components == ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "coredns"]
    assert made.self == {"host": "m2", "name": "m2", "address": "192.0.2.12", "hostnames": ["m2"]}
    assert [master["host"] for master in made.masters] == ["m1", "m2"]
    # The local member first, over loopback, then the others, over TLS on the profile's port.
    assert made.settings_in["etcd_servers"] == ["https://127.0.0.1:2379", "https://192.0.2.11:2379"]
    assert made.settings["advertise_address"] == "192.0.2.12" and made.settings["pki_dir"] == "/etc/kubernetes/pki"
    names = [cert["name"] for cert in made.certs]
    assert names[:2] == ["apiserver", "apiserver-kubelet-client"] and "kubelet-client" in names
    assert made.certs[0]["cert"] == "/inv/artifacts/pki/kubernetes/m2/apiserver.crt"
    assert {"path": "/etc/kubernetes/pki/etcd", "mode": "0700"} in made.pki_files["directories"]
    assert "/etc/curtain/containerd/config.toml" in made.runtime_files
    assert made.ports == [10250, 10248, 10257, 10259, 6443]
    assert made.control_plane_node == {"name": "m2", "taint": True}
    # The kubelet's image is built from the release's binaries on the controller; the others are pulled.
    assert [(image_plan["components"], image_plan["source"]) for image_plan in made.plans] == [
        (["kube-apiserver"], "registry"), (["kube-controller-manager"], "registry"), (["kube-scheduler"], "registry"),
        (["kubelet"], "release"), (["coredns"], "registry")]


def test_a_node_runs_the_kubelet_alone_with_its_own_certificates() -> None:
    made = plan(default_inputs("n1", "/inv"), inventory("n1"))
    assert made.control_plane is False
    assert made.components == ["kubelet", "coredns"]
    assert made.self["address"] == "192.0.2.21" and [master["host"] for master in made.masters] == ["m1", "m2"]
    assert [cert["name"] for cert in made.certs] == ["kubelet-client", "kubelet-server"]
    assert made.pki_files["directories"] == [{"path": "/etc/kubernetes/pki", "mode": "0700"}]
    assert made.ports == [10250, 10248]
    assert made.control_plane_node is None


def test_the_seed_plans_no_certificates_and_its_insecure_port() -> None:
    made = plan(default_inputs("m1", "/inv", profile="seed"), inventory("m1", masters=("m1",), nodes=()))
    assert made.certs == [] and made.pki_files == {} and made.runtime_files == {}
    assert made.components == ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet"]
    assert made.settings_in["etcd_servers"] == ["http://127.0.0.1:4001"]
    assert made.ports == [10250, 10248, 10252, 10251, 8080]
    assert made.control_plane_node is None  # no Node labels through the seed's apiserver


def test_the_pods_resolvers_go_next_to_the_kubelet_configuration() -> None:
    made = plan(replace(default_inputs("m1", "/inv"), pod_nameservers=["192.0.2.53"]), inventory("m1"))
    assert made.settings_in["resolv_conf"] == "/var/lib/kubelet/resolv.conf"
    assert "resolv_conf" not in plan(default_inputs("m1", "/inv"), inventory("m1")).settings_in


def test_an_offline_bundle_without_its_manifest_is_refused_by_name() -> None:
    inputs = replace(default_inputs("m1", "/inv"), image_source="directory", image_directory="/bundle",
                     image_manifest={})
    with pytest.raises(ValueError, match=r"hyperkube_master_images directory /bundle: manifest\.json is missing"):
        plan(inputs, inventory("m1"))


@pytest.mark.parametrize(("host", "inputs", "message"), [
    ("m1", {"profile": "hyperkube"}, "hyperkube_master_profile: 'hyperkube' is not one of modern, seed"),
    ("n1", {"profile": "seed"}, "n1 is in 'nodes' (hyperkube_master_node_group), but the seed profile runs masters"),
])
def test_inputs_no_plan_can_be_made_from_are_refused_by_name(host: str, inputs: dict, message: str) -> None:
    with pytest.raises(MasterPlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(default_inputs(host, "/inv", **inputs), inventory(host))


def test_a_master_that_is_also_a_node_needs_the_taint_off() -> None:
    with pytest.raises(KubeClusterError, match="hyperkube_master_control_plane_taint"):
        plan(default_inputs("m1", "/inv"), inventory("m1", nodes=("m1", "n1")))
    made = plan(default_inputs("m1", "/inv", control_plane_taint=False), inventory("m1", nodes=("m1",)))
    assert made.control_plane and made.control_plane_node == {"name": "m1", "taint": False}


def test_the_filter_names_what_the_role_forgot_to_pass() -> None:
    inputs = {name: value for name, value in vars(default_inputs("m1", "/inv")).items() if name != "extra_sans"}
    with pytest.raises(AnsibleFilterError, match=r"inputs: missing \['extra_sans'\]"):
        hyperkube_master_plan(inputs, vars(inventory("m1")))
    made = hyperkube_master_plan({**inputs, "extra_sans": ["api.example"]}, vars(inventory("m1")))
    assert "DNS:api.example" in made["certs"][0]["subject_alt_names"]


def test_the_filter_takes_ansibles_own_containers(tmp_path: Path) -> None:
    """As the role calls it: Ansible hands a filter lazy templated containers, which the planner's dataclasses copy."""
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"inputs": vars(default_inputs("n1", "/inv")), "inventory": vars(inventory("n1"))}))
    playbook = tmp_path / "plan.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"ansible.builtin.set_fact": {"made": "{{ inputs | curtain.kube.hyperkube_master_plan(inventory) }}"}},
        {"ansible.builtin.debug": {"msg": "certs: {{ made.certs | map(attribute='name') | join(',') }}"}}]}]))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    ran = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"@{variables}",
                          "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "certs: kubelet-client,kubelet-server" in ran.stdout, ran.stdout

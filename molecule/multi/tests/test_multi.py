"""The whole site on four hosts reached over SSH: etcd's three members, the master, and three nodes with their kubelets
and kube-proxies talking to the master across the network; pods reaching each other across hosts by their own
addresses, a Service answering on every host, the cluster DNS; the run that lost a node half-way, the converge that
healed it, and the node made new and added again with --limit."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml
from conftest import PROJECT, etcd_call, etcd_key_count, run_playbook, run_playbook_document, task_results
from kube import Kubectl, node_ready, wait_for
from multi_cluster import ADMIN_KUBECONFIG, HOSTS, INVENTORY, MASTER, NODES, node

NODE = NODES[-1]
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
ROUTE_PROTOCOL = "213"  # curtain's own (module_utils/pod_network.py)
SUMMARY_TASK = "Summary | Print the endpoints, their health, the versions and what to try"
GET = r"""
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
"""


def inventory_hosts() -> dict:
    return yaml.safe_load(INVENTORY.read_text())["all"]["hosts"]


def address(name: str) -> str:
    return inventory_hosts()[name]["ansible_host"]


def test_every_host_is_reached_over_ssh_at_an_ip_address() -> None:
    hosts = inventory_hosts()
    for name in HOSTS:
        assert hosts[name]["ansible_connection"] == "ssh", name
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", hosts[name]["ansible_host"]), name
        assert node(name).check_output("hostname") == name


def test_etcd_has_three_healthy_voting_members() -> None:
    listing = etcd_call(node(MASTER), "https://127.0.0.1:2379", "/v3/cluster/member/list", {})
    members = json.loads(listing.stdout)["members"]
    assert len(members) == 3 and not any(member.get("isLearner") for member in members)
    for name in HOSTS[:3]:
        health = etcd_call(node(name), "https://127.0.0.1:2379", "/health")
        assert json.loads(health.stdout)["health"] == "true", name


def test_the_apiserver_answers_the_admin_kubeconfig_at_the_masters_address() -> None:
    config = yaml.safe_load(ADMIN_KUBECONFIG.read_text())
    assert config["clusters"][0]["cluster"]["server"] == f"https://{address(MASTER)}:6443"
    kubectl = Kubectl(ADMIN_KUBECONFIG)
    assert kubectl.run("get", "--raw", "/readyz").stdout == "ok"
    master = wait_for(lambda: node_ready(kubectl, MASTER), 120, f"node {MASTER} Ready")
    assert master["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.2"


def test_every_kubelet_host_is_a_ready_node_at_the_pinned_version_and_only_the_master_is_tainted() -> None:
    kubectl = Kubectl(ADMIN_KUBECONFIG)
    for name in HOSTS:
        found = wait_for(lambda name=name: node_ready(kubectl, name), 180, f"node {name} Ready")
        assert found["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.2", name
        assert {"type": "InternalIP", "address": address(name)} in found["status"]["addresses"], name
        taints = [{key: taint[key] for key in ("key", "effect")} for taint in found["spec"].get("taints") or []]
        labels = found["metadata"]["labels"]
        if name == MASTER:
            assert CONTROL_PLANE_TAINT in taints and labels["node-role.kubernetes.io/control-plane"] == ""
        else:
            assert CONTROL_PLANE_TAINT not in taints and "node-role.kubernetes.io/control-plane" not in labels, name


def test_each_node_has_its_own_pod_subnet_its_bridge_configuration_and_routes_to_every_other() -> None:
    nodes = {item["metadata"]["name"]: item for item in Kubectl(ADMIN_KUBECONFIG).json("get", "nodes")["items"]}
    subnets = {name: nodes[name]["spec"]["podCIDR"] for name in HOSTS}
    assert len(set(subnets.values())) == len(HOSTS) and all(subnet.startswith("10.244.") for subnet in subnets.values())
    for name in HOSTS:
        network = json.loads(node(name).file("/etc/cni/net.d/10-curtain.conflist").content_string)
        assert network["plugins"][0]["ipam"]["ranges"] == [[{"subnet": subnets[name]}]], name
        routes = json.loads(node(name).check_output("ip -j route show proto %s", ROUTE_PROTOCOL))
        assert sorted((route["dst"], route["gateway"]) for route in routes) == sorted(
            (subnets[other], address(other)) for other in HOSTS if other != name), name


def test_the_nodes_kubelet_and_kube_proxy_reach_the_master_across_the_network() -> None:
    host = node(NODE)
    for conf in ("kube-proxy.conf", "kubelet.conf"):
        assert f"server: https://{address(MASTER)}:6443" in host.file(f"/etc/kubernetes/{conf}").content_string
    assert host.check_output("python3 -c %s %s", GET, "http://127.0.0.1:10256/healthz") == "200"
    names = sorted(host.check_output("docker ps --format '{{.Names}}'").split())
    assert names == ["curtain-kube-proxy", "curtain-kubelet"]  # a node runs no etcd and no control plane
    # A node holds the cluster CA's certificate and its kubelet's own files; no CA key, no service-account key.
    assert sorted(host.check_output("ls /etc/kubernetes/pki").split()) == [
        "ca.crt", "kubelet-client.crt", "kubelet-client.key", "kubelet-server.crt", "kubelet-server.key"]


def test_the_node_pulled_kube_proxy_by_its_tag_alone() -> None:
    """The node's inventory names kube-proxy's repository and no digest (molecule.yml): the tag was pulled, and it is
    the image the registry holds under that tag."""
    repository = f"{os.environ['CURTAIN_TEST_REGISTRY']}/curtain/kube-proxy"
    assert node(NODE).ansible.get_variables()["kube_proxy_images"] == {"kube-proxy": {"repository": repository}}
    image = json.loads(node(NODE).check_output("docker image inspect %s", f"{repository}:v1.37.2"))[0]
    assert image["RepoDigests"] == [f"{repository}@{os.environ['CURTAIN_TEST_DIGEST_KUBE_PROXY']}"]
    container = json.loads(node(NODE).check_output("docker inspect curtain-kube-proxy"))[0]
    assert container["Config"]["Image"] == f"{repository}:v1.37.2"


def test_the_run_that_lost_the_node_finished_the_others_and_said_so() -> None:
    log = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "interrupted-run.log").read_text()
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)  # Molecule forces colours on the playbooks it starts
    recap = dict(re.findall(r"^(curtain-multi-\d)\s+:\s+(.*)$", log, re.MULTILINE))
    assert "unreachable=1" in recap[NODE]
    for name in HOSTS[:3]:
        assert "failed=0" in recap[name] and "unreachable=0" in recap[name], recap[name]
    assert re.search(r"DID NOT FINISH .*: curtain-multi-4", log)


def test_the_converge_after_it_healed_the_node() -> None:
    info = json.loads(node(NODE).check_output("docker inspect curtain-kube-proxy"))[0]
    assert info["State"]["Running"]


def test_no_etcd_key_was_lost_through_the_lost_node_and_the_heal() -> None:
    """The side effect wrote keys and counted them before the node went away; every member holds as many now."""
    before = json.loads((Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "etcd-keys-before.json").read_text())
    assert before["count"] >= 100
    for name in HOSTS[:3]:
        assert etcd_key_count(node(name), "https://127.0.0.1:2379", f"{before['prefix']}/") == before["count"], name


def test_a_node_added_with_limit_comes_up_without_touching_the_others() -> None:
    """The node is made new (reset, limited to it), then site.yml --limit brings it up alone: no facts or changes
    of the other hosts needed; run again, nothing changes, and the summary looks at what the node's roles planned:
    its kubelet and its kube-proxy, both healthy."""
    others = {name: node(name).check_output("docker ps -q --no-trunc | sort") for name in HOSTS[:3]}
    run_playbook(PROJECT / "playbooks/reset.yml", {"reset_confirm": "yes"}, limit=NODE)
    assert node(NODE).check_output("docker ps -aq --filter label=io.curtain.managed-by=curtain") == ""
    stats = run_playbook("converge.yml", limit=NODE)
    assert set(stats) == {NODE} and stats[NODE]["changed"] > 0 and stats[NODE]["failures"] == 0
    assert node(NODE).check_output("python3 -c %s %s", GET, "http://127.0.0.1:10256/livez") == "200"
    again = run_playbook_document("converge.yml", limit=NODE)
    assert again["stats"][NODE]["changed"] == 0
    summary = [line.split() for line in task_results(again, SUMMARY_TASK)[NODE]["msg"].splitlines()]
    for component in ("kubelet", "kube-proxy"):
        assert any(words[:2] == [NODE, component] and words[-1] == "healthy" for words in summary), (component, summary)
    assert {name: node(name).check_output("docker ps -q --no-trunc | sort") for name in HOSTS[:3]} == others

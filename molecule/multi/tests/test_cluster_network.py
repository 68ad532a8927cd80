"""The pod network and the cluster DNS across the four hosts, as workloads see them: a pod on every node (an http-echo
DaemonSet, which the master's taint keeps off the master) reaches the pod on every other node by its pod IP, and is
seen there by its own address (no NAT between pods); the DaemonSet's Service answers on every host through kube-proxy;
a pod resolves the Service's name and kubernetes.default through CoreDNS; and a node whose pod network goes away is
NotReady until it is back.

Runs before test_multi.py (file order), whose last test makes a node new again."""

from __future__ import annotations

import json
import re
from itertools import permutations

from kube import Kubectl, http_get_from, wait_for
from multi_cluster import ECHO, HOSTS, MASTER, NODES, node

pytest_plugins = ["multi_fixtures"]  # kubectl, pods

CNI_FILE = "/etc/cni/net.d/10-curtain.conflist"


def test_the_daemonset_runs_on_every_node_and_not_on_the_tainted_master(kubectl: Kubectl, pods: dict) -> None:
    everywhere = kubectl.json("get", "pods", "-n", "default", "-l", f"app={ECHO}")["items"]
    assert MASTER not in {pod["spec"]["nodeName"] for pod in everywhere}
    subnets = {item["metadata"]["name"]: item["spec"]["podCIDR"] for item in kubectl.json("get", "nodes")["items"]}
    for name, pod in pods.items():  # each pod's address comes from its own node's subnet
        assert pod["status"]["podIP"].rsplit(".", 1)[0] == subnets[name].rsplit(".", 1)[0], (name, pod["status"])


def test_a_pod_on_one_node_reaches_the_pod_on_every_other_by_its_pod_ip_without_nat(kubectl: Kubectl,
                                                                                      pods: dict) -> None:
    for source, target in permutations(pods, 2):
        pod, peer = pods[source], pods[target]
        answer = kubectl.run("exec", "-n", "default", pod["metadata"]["name"], "--",
                             "/http-echo", "get", f"http://{peer['status']['podIP']}:8080/").stdout
        assert f"host {peer['metadata']['name']}" in answer, (source, target, answer)
        # The peer saw the caller's own pod address: pod-to-pod traffic is not masqueraded.
        assert re.search(rf"^from {re.escape(pod['status']['podIP'])}:\d+$", answer, re.MULTILINE), answer


def test_the_service_answers_on_every_host(kubectl: Kubectl, pods: dict) -> None:
    cluster_ip = kubectl.json("get", "service", ECHO, "-n", "default")["spec"]["clusterIP"]
    for name in HOSTS:
        # Several answers, so that kube-proxy's random choice reaches pods on other hosts too.
        answered = {re.search(r"^host (\S+)$", text, re.MULTILINE).group(1)
                    for text in (wait_for(lambda name=name: http_get_from(node(name), f"http://{cluster_ip}/"), 60,
                                          f"{ECHO} answering on {name}") for _ in range(12))}
        assert answered <= {pod["metadata"]["name"] for pod in pods.values()} and answered, (name, answered)


def test_a_pod_resolves_the_service_and_kubernetes_default_through_coredns(kubectl: Kubectl, pods: dict) -> None:
    deployment = kubectl.json("get", "deployment", "coredns", "-n", "kube-system")
    assert deployment["status"].get("availableReplicas") == 2
    dns = kubectl.json("get", "service", "kube-dns", "-n", "kube-system")["spec"]["clusterIP"]
    assert dns == "10.96.0.10"  # the clusterDNS every kubelet's configuration names
    service_ip = kubectl.json("get", "service", ECHO, "-n", "default")["spec"]["clusterIP"]
    api_ip = kubectl.json("get", "service", "kubernetes", "-n", "default")["spec"]["clusterIP"]
    for pod in pods.values():
        def resolve(name: str, pod: dict = pod) -> list[str]:
            return kubectl.run("exec", "-n", "default", pod["metadata"]["name"], "--",
                               "/http-echo", "resolve", name).stdout.split()
        assert resolve(f"{ECHO}.default.svc.cluster.local") == [service_ip]
        assert resolve(ECHO) == [service_ip]  # the pod's search domains
        assert resolve("kubernetes.default") == [api_ip]


def test_a_node_is_ready_only_while_its_pod_network_is(kubectl: Kubectl, pods: dict) -> None:
    """The runtime reports its network not ready without the CNI configuration, and the kubelet says so."""
    name = NODES[-1]
    host = node(name)
    saved = host.file(CNI_FILE).content_string

    def ready_condition() -> dict:
        item = kubectl.json("get", "node", name)
        return next(c for c in item["status"]["conditions"] if c["type"] == "Ready")

    # containerd reloads on a rename or a write in the directory (it skips a bare create): mv away, cp back.
    host.check_output("mv %s /root/curtain-cni-config.saved", CNI_FILE)
    try:
        down = wait_for(lambda: (c := ready_condition())["status"] == "False" and c, 120, f"{name} NotReady")
        assert "network" in down["message"].lower(), down
    finally:
        host.check_output("cp /root/curtain-cni-config.saved %s && rm /root/curtain-cni-config.saved", CNI_FILE)
    assert host.file(CNI_FILE).content_string == saved
    wait_for(lambda: ready_condition()["status"] == "True", 120, f"{name} Ready again")
    assert json.loads(saved)["plugins"][0]["type"] == "bridge"

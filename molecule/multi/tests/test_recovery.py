"""Faults under the running cluster, with no converge after any of them: the apiserver's process killed (the kubelet
restarts it), Docker Engine restarted on a node (its pods run on, the node stays Ready), one of the three etcd
members stopped while the API takes writes (none fails, none is lost), and the master's host restarted (everything
comes back by itself: etcd, the control plane, the routes to the other nodes' pods, kube-proxy's rules).

Each test records how long the cluster took to come back (conftest.record_figures: .local/figures/recovery.json);
docs/operations.md quotes the figures. Runs after test_multi.py (file order), once its last test has made the last
node new again; the echo DaemonSet is test_cluster_network.py's, applied again here so that this file stands alone.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime

from conftest import etcd_call, etcd_key_count, record_figures
from kube import (
    Kubectl,
    by_node,
    http_get_from,
    mirror_pods,
    node_ready,
    ready_pods,
    restart_counts,
    wait_for,
)
from multi_cluster import ECHO, HOSTS, MASTER, NODES, node

pytest_plugins = ["multi_fixtures"]  # kubectl, pods

ETCD_PREFIX = "/registry/configmaps/default/fault-"
WRITES = 50


def record(figure: str, value: float) -> None:
    record_figures("recovery", {figure: value})


def address_of_test_host(name: str) -> str:
    """The test host's address on the scenario network, as Docker gave it."""
    return subprocess.run(["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                           name], capture_output=True, text=True, check=True).stdout.strip()


def api_ready(kubectl: Kubectl) -> bool:
    return kubectl.run("get", "--raw", "/readyz", "--request-timeout=2s", check=False, timeout=10).stdout == "ok"


def lease_renewed_since(kubectl: Kubectl, name: str, since: datetime) -> bool:
    """The kubelet of `name` renewed its Lease after `since`: it is back and talking to the apiserver."""
    lease = kubectl.run("get", "lease", name, "-n", "kube-node-lease", "-o", "json", check=False, timeout=10)
    if lease.returncode != 0:
        return False
    renewed = json.loads(lease.stdout)["spec"]["renewTime"]
    return datetime.fromisoformat(renewed.replace("Z", "+00:00")) > since


def answers_by_pod_ip(host, pods: dict[str, dict]) -> dict[str, bool]:
    """Whether each pod (by node) answers on its own address from `host`: through the routes of the pod network."""
    return {name: f"host {pod['metadata']['name']}" in http_get_from(host, f"http://{pod['status']['podIP']}:8080/")
            for name, pod in pods.items()}


def test_the_kubelet_restarts_a_killed_apiserver_and_the_api_is_back(kubectl: Kubectl, pods: dict) -> None:
    restarts = restart_counts(mirror_pods(kubectl, MASTER))["kube-apiserver"]
    killed = node(MASTER).run("pkill -KILL -x kube-apiserver")
    assert killed.rc == 0, killed.stderr
    start = time.monotonic()
    wait_for(lambda: not api_ready(kubectl), 30, "the API to go away", interval=0.2)
    wait_for(lambda: api_ready(kubectl), 180, "the API back", interval=0.5)
    record("apiserver_killed_api_back_s", time.monotonic() - start)
    wait_for(lambda: restart_counts(mirror_pods(kubectl, MASTER))["kube-apiserver"] == restarts + 1, 60,
             "the apiserver's mirror pod counting one restart")


def test_a_node_whose_docker_engine_restarts_keeps_its_pods_and_is_ready_again(kubectl: Kubectl,
                                                                             pods: dict) -> None:
    name = NODES[-1]
    host = node(name)
    pod_before = pods[name]
    dockerd = host.check_output("pidof dockerd")
    command = host.file(f"/proc/{dockerd}/cmdline").content_string.rstrip("\0").split("\0")
    host.check_output("kill -TERM %s", dockerd)
    wait_for(lambda: host.run("pidof dockerd").rc != 0, 60, f"dockerd on {name} to stop")
    stopped = datetime.now(UTC)
    # The test host's init started dockerd; start it again the same way (its log appended to the same file).
    subprocess.run(["docker", "exec", "-d", name, "sh", "-c",
                    'exec "$@" >>/var/log/curtain/dockerd.log 2>&1', "dockerd", *command], check=True)
    start = time.monotonic()
    wait_for(lambda: lease_renewed_since(kubectl, name, stopped), 180, f"{name}'s kubelet back", interval=0.5)
    record("docker_restart_kubelet_back_s", time.monotonic() - start)
    wait_for(lambda: node_ready(kubectl, name), 120, f"{name} Ready")
    # The same pod runs on (its containerd shim outlived the node container), ready, and answers across hosts.
    pod_after = wait_for(lambda: by_node(ready_pods(kubectl, ECHO)).get(name), 120, f"the {ECHO} pod on {name} Ready")
    assert pod_after["metadata"]["uid"] == pod_before["metadata"]["uid"]
    assert wait_for(lambda: answers_by_pod_ip(node(MASTER), {name: pod_after})[name], 60,
                    f"the {ECHO} pod on {name} answering the master")


def test_writes_keep_working_without_one_of_three_etcd_members_and_no_key_is_lost(kubectl: Kubectl) -> None:
    stopped, others = NODES[1], (MASTER, NODES[0])
    node(stopped).check_output("docker stop curtain-etcd")
    try:
        start = time.monotonic()
        for n in range(WRITES):
            kubectl.run("create", "configmap", f"fault-{n:02}", "-n", "default", f"--from-literal=n={n}")
        record("etcd_member_down_writes_per_s", WRITES / (time.monotonic() - start))
        for name in others:
            assert etcd_key_count(node(name), "https://127.0.0.1:2379", ETCD_PREFIX, serializable=True) == WRITES
    finally:
        node(stopped).check_output("docker start curtain-etcd")
    start = time.monotonic()
    wait_for(lambda: etcd_call(node(stopped), "https://127.0.0.1:2379", "/health").rc == 0
             and etcd_key_count(node(stopped), "https://127.0.0.1:2379", ETCD_PREFIX, serializable=True) == WRITES,
             120, f"the member on {stopped} holding all {WRITES} keys", interval=0.5)
    record("etcd_member_back_caught_up_s", time.monotonic() - start)
    for name in (MASTER, *NODES[:2]):
        health = etcd_call(node(name), "https://127.0.0.1:2379", "/health")
        assert json.loads(health.stdout)["health"] == "true", name
    kubectl.run("delete", "configmap", "-n", "default", *(f"fault-{n:02}" for n in range(WRITES)))


def test_a_restarted_master_host_comes_back_without_a_converge(kubectl: Kubectl, pods: dict) -> None:
    host = node(MASTER)
    routes_before = json.loads(host.check_output("ip -j route show proto 213"))
    assert len(routes_before) == len(NODES), routes_before
    address_before = address_of_test_host(MASTER)
    restarted, start = datetime.now(UTC), time.monotonic()
    # As a host's shutdown: the test host's init stops its Docker Engine, which stops its containers.
    subprocess.run(["docker", "restart", "--time", "60", MASTER], check=True, capture_output=True)
    assert address_of_test_host(MASTER) == address_before, \
        "Docker gave the restarted test host another address (a real host keeps its own)"
    wait_for(lambda: api_ready(kubectl), 300, "the API back after the master's restart", interval=1)
    wait_for(lambda: lease_renewed_since(kubectl, MASTER, restarted) and node_ready(kubectl, MASTER), 180,
             f"{MASTER} Ready with its kubelet back")
    record("master_host_restart_api_and_node_back_s", time.monotonic() - start)

    host = node(MASTER)
    for name in HOSTS[:3]:
        health = wait_for(lambda name=name: etcd_call(node(name), "https://127.0.0.1:2379", "/health"), 120,
                          f"etcd on {name} healthy")
        assert json.loads(health.stdout)["health"] == "true", name
    # The routes to the other nodes' pods came back with the node container (its entrypoint's restore script).
    assert json.loads(host.check_output("ip -j route show proto 213")) == routes_before
    assert "curtain: pod traffic leaving the pod network" in host.check_output("iptables -t nat -S POSTROUTING")
    assert wait_for(lambda: all(answers_by_pod_ip(host, pods).values()) or None, 60,
                    "every node's pod answering the master by pod IP")
    cluster_ip = kubectl.json("get", "service", ECHO, "-n", "default")["spec"]["clusterIP"]
    assert "hello from echo" in wait_for(lambda: http_get_from(host, f"http://{cluster_ip}/"), 120,
                                         f"the {ECHO} Service answering on {MASTER} (kube-proxy's rules back)")

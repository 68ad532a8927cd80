"""playbooks/upgrade.yml from v1.36.3 to v1.37.2 on two masters that are nodes too: checked everywhere first, one
master at a time, each drained before it moves and uncordoned after, etcd untouched, the new version seen through
each apiserver's /version; a workload with a PodDisruptionBudget answers every request of a loop that runs on a host
throughout; again changes nothing; a downgrade and an unpinned version are refused before anything changes."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import testinfra
from conftest import PROJECT, record_figures, run_playbook, run_playbook_refused
from kube import Kubectl, node_ready, ready_pods, wait_for, workload

FIRST, SECOND = "curtain-upgrade-1", "curtain-upgrade-2"
REGISTRY = os.environ.get("CURTAIN_TEST_REGISTRY", "172.17.0.1:5000")
UPGRADE = PROJECT / "playbooks/upgrade.yml"
ADMIN_KUBECONFIG = Path(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent")).parent / "artifacts/admin.conf"
STEADY = "steady"
# The request loop, on a test host: GET the URL every 0.1 s (2 s timeout each) until the stop file appears (or 20
# minutes pass), counting answers and failures; the counts go to the result file every 50 requests and at the end.
REQUEST_LOOP = r"""
import json, os, sys, time, urllib.request
url, result, stop = sys.argv[1:4]
counts = {"ok": 0, "failed": 0, "failures": [], "started": time.time(), "done": False}
def save():
    counts["ended"] = time.time()
    with open(result + ".new", "w") as handle:
        json.dump(counts, handle)
    os.replace(result + ".new", result)
while not os.path.exists(stop) and time.time() - counts["started"] < 1200:
    try:
        urllib.request.urlopen(url, timeout=2).read()
        counts["ok"] += 1
    except Exception as error:
        counts["failed"] += 1
        counts["failures"] = (counts["failures"] + [f"{time.time():.1f} {error}"])[-10:]
    if (counts["ok"] + counts["failed"]) % 50 == 0:
        save()
    time.sleep(0.1)
counts["done"] = True
save()
"""
LOOP_RESULT, LOOP_STOP = "/root/curtain-request-loop.json", "/root/curtain-request-loop.stop"
VERSION = r"""
import json, ssl, sys, urllib.request
pki = "/etc/kubernetes/pki"
context = ssl.create_default_context(cafile=pki + "/ca.crt")
context.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
print(json.load(urllib.request.urlopen("https://127.0.0.1:6443/version", context=context, timeout=10))["gitVersion"])
"""


def node(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def apiserver_version(name: str) -> str:
    return node(name).check_output("python3 -c %s", VERSION)


def started(name: str, container: str) -> str:
    """When a curtain container started (Docker's StartedAt), or a static pod's container was created (in the
    kubelet's containerd: nanoseconds since the epoch, zero-padded so that the strings compare as the times do)."""
    host = node(name)
    if container.startswith("curtain-"):
        return json.loads(host.check_output("docker inspect %s", container))[0]["State"]["StartedAt"]
    listed = json.loads(host.check_output("docker exec curtain-kubelet crictl ps --output json --name %s",
                                          f"^{container}$"))["containers"]
    assert len(listed) == 1, listed
    return f"{int(listed[0]['createdAt']):030d}"


def newer_images() -> dict:
    def image(name: str) -> dict:
        variable = "CURTAIN_TEST_DIGEST_" + name.upper().replace("-", "_")
        return {"repository": f"{REGISTRY}/curtain/{name}", "digest": os.environ[variable]}

    return {
        "upgrade_kubernetes_version": "v1.37.2",
        # Extra vars replace the inventory's whole mapping: CoreDNS's entry (the same image) goes along.
        "hyperkube_master_images": {name: image(name) for name in
                                    ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
                                     "coredns")},
        "kube_proxy_images": {"kube-proxy": image("kube-proxy")},
    }


def steady_workload() -> list[dict]:
    """Two replicas of http-echo and a budget that keeps one of them available. preStop waits while kube-proxy
    takes the terminating pod out of the Service, as a workload that drains gracefully does."""
    deployment, service = workload(STEADY, os.environ["CURTAIN_TEST_DIGEST_HTTP_ECHO"], replicas=2)
    deployment["spec"]["template"]["spec"]["containers"][0]["lifecycle"] = {"preStop": {"sleep": {"seconds": 5}}}
    budget = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
              "metadata": {"name": STEADY, "namespace": "default"},
              "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": STEADY}}}}
    return [deployment, service, budget]


def loop_result() -> dict | None:
    shown = node(SECOND).run("cat %s", LOOP_RESULT)
    return json.loads(shown.stdout) if shown.rc == 0 else None


@pytest.fixture(scope="module")
def upgraded() -> dict:
    kubectl = Kubectl(ADMIN_KUBECONFIG, "v1.36.3")
    kubectl.apply(*steady_workload())
    steady_before = wait_for(lambda: len(pods := ready_pods(kubectl, STEADY)) == 2 and pods, 180,
                             f"two Ready {STEADY} pods")
    cluster_ip = kubectl.json("get", "service", STEADY, "-n", "default")["spec"]["clusterIP"]
    before = {
        "versions": {name: apiserver_version(name) for name in (FIRST, SECOND)},
        "etcd": started(FIRST, "curtain-etcd"),
        "steady_pods": {pod["metadata"]["uid"] for pod in steady_before},
    }
    # The loop runs on the second master, through its kube-proxy's rules, while both hosts move.
    node(SECOND).check_output("rm -f %s %s", LOOP_RESULT, LOOP_STOP)
    subprocess.run(["docker", "exec", "-d", SECOND, "python3", "-c", REQUEST_LOOP, f"http://{cluster_ip}/",
                    LOOP_RESULT, LOOP_STOP], check=True)
    wait_for(lambda: (result := loop_result()) and result["ok"] > 0, 60, "the request loop's first answers")
    start = time.monotonic()
    run_playbook(UPGRADE, newer_images())
    before["upgrade_s"] = time.monotonic() - start
    node(SECOND).check_output("touch %s", LOOP_STOP)
    before["loop"] = wait_for(lambda: (result := loop_result()) and result["done"] and result, 30,
                              "the request loop to stop")
    loop = before["loop"]
    record_figures("upgrade", {"upgrade_s": before["upgrade_s"], "loop_s": loop["ended"] - loop["started"],
                               "requests": loop["ok"] + loop["failed"], "failed_requests": loop["failed"]})
    return before


def test_the_cluster_started_at_the_older_version(upgraded: dict) -> None:
    assert upgraded["versions"] == {FIRST: "v1.36.3", SECOND: "v1.36.3"}


def test_both_apiservers_answer_with_the_new_version(upgraded: dict) -> None:
    assert apiserver_version(FIRST) == apiserver_version(SECOND) == "v1.37.2"


def test_kube_proxy_and_kubelet_run_the_new_version(upgraded: dict) -> None:
    for name in (FIRST, SECOND):
        for container in ("curtain-kubelet", "curtain-kube-proxy"):
            info = json.loads(node(name).check_output("docker inspect %s", container))[0]
            assert info["Config"]["Labels"]["io.curtain.kubernetes-version"] == "v1.37.2", (name, container)
            assert info["Config"]["Image"].endswith(":v1.37.2"), (name, container)


def test_kubectl_of_the_new_version_sees_both_nodes_ready_on_the_new_kubelet(upgraded: dict) -> None:
    kubectl = Kubectl(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent / "artifacts/admin.conf", "v1.37.2")
    assert kubectl.json("version")["serverVersion"]["gitVersion"] == "v1.37.2"
    for name in (FIRST, SECOND):
        node_object = wait_for(lambda name=name: node_ready(kubectl, name), 120, f"node {name} Ready")
        assert node_object["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.2", name


def test_the_workload_with_a_budget_answered_every_request_throughout(upgraded: dict) -> None:
    loop = upgraded["loop"]
    assert loop["failed"] == 0, loop["failures"]
    assert loop["ok"] >= 100, loop  # ten a second for as long as the upgrade ran
    assert loop["ended"] - loop["started"] >= upgraded["upgrade_s"]


def test_each_node_was_drained_and_takes_pods_again(upgraded: dict) -> None:
    kubectl = Kubectl(ADMIN_KUBECONFIG, "v1.37.2")
    # Both of the workload's pods were evicted (by the two drains) and replaced.
    pods = kubectl.json("get", "pods", "-n", "default", "-l", f"app={STEADY}")["items"]
    assert not {pod["metadata"]["uid"] for pod in pods} & upgraded["steady_pods"]
    assert len(ready_pods(kubectl, STEADY)) >= 1
    for name in (FIRST, SECOND):
        assert not kubectl.json("get", "node", name)["spec"].get("unschedulable"), name


def test_etcd_kept_running_throughout(upgraded: dict) -> None:
    assert started(FIRST, "curtain-etcd") == upgraded["etcd"]


def test_the_masters_moved_one_at_a_time(upgraded: dict) -> None:
    """The second master's new apiserver started after the first's new apiserver was up."""
    assert started(FIRST, "kube-apiserver") < started(SECOND, "kube-apiserver")


def test_a_second_run_changes_nothing(upgraded: dict) -> None:
    for name, stats in run_playbook(UPGRADE, newer_images()).items():
        assert stats["changed"] == 0, name


@pytest.mark.parametrize(("target", "message"), [
    ("v1.36.3", "downgrading from v1.37.2 to v1.36.3 is not supported"),
    ("v1.37.0", "is not pinned in profile modern"),
])
def test_a_downgrade_or_an_unpinned_version_is_refused_before_anything_changes(
        upgraded: dict, target: str, message: str) -> None:
    apiservers = {name: started(name, "kube-apiserver") for name in (FIRST, SECOND)}
    output = run_playbook_refused(UPGRADE, {**newer_images(), "upgrade_kubernetes_version": target})
    assert message in output
    assert {name: started(name, "kube-apiserver") for name in (FIRST, SECOND)} == apiservers

"""playbooks/upgrade.yml from v1.36.3 to v1.37.2 on two masters: checked everywhere first, one master at a time,
etcd untouched, the new version seen through each apiserver's /version; again changes nothing; a downgrade and an
unpinned version are refused before anything changes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import testinfra
from conftest import PROJECT, run_playbook, run_playbook_refused
from kube import Kubectl, node_ready, wait_for

FIRST, SECOND = "curtain-upgrade-1", "curtain-upgrade-2"
REGISTRY = os.environ.get("CURTAIN_TEST_REGISTRY", "172.17.0.1:5000")
UPGRADE = PROJECT / "playbooks/upgrade.yml"
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


@pytest.fixture(scope="module")
def upgraded() -> dict:
    before = {
        "versions": {name: apiserver_version(name) for name in (FIRST, SECOND)},
        "etcd": started(FIRST, "curtain-etcd"),
    }
    run_playbook(UPGRADE, newer_images())
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

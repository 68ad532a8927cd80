"""module_utils/kube_api.py and the kube_api module against a real kube-apiserver (tests/support/kube_apiserver.py):
the masters' label and taint, the cluster's objects applied server-side, the podCIDR wait, what each reports as a
change, and check mode (the apiserver's dry run: nothing kept)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from ansible_collections.curtain.kube.plugins.action.kube_api import ActionModule as KubeApiAction
from ansible_collections.curtain.kube.plugins.module_utils import kube_api as kube_api_utils
from ansible_collections.curtain.kube.plugins.module_utils import kube_manifests
from ansible_collections.curtain.kube.plugins.module_utils.cluster_dns import cluster_objects
from ansible_collections.curtain.kube.plugins.module_utils.kube_api import (
    CONTROL_PLANE_ROLE,
    CONTROL_PLANE_TAINT,
    KubeApiError,
    apply_objects,
    connect,
    node_role_patch,
    owned_values,
    set_node_roles,
    unavailable,
    wait_for_pod_subnets,
    wait_until_available,
)
from ansible_collections.curtain.kube.plugins.modules import kube_api
from support.etcd_processes import free_port

OTHER_TAINT = {"key": "example.com/dedicated", "value": "gpu", "effect": "NoExecute"}
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.0"


# --- the patch, decided without an apiserver -------------------------------------------------------------------


def _node(labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "m1", "resourceVersion": "7", "labels": labels or {}},
            "spec": {"taints": taints} if taints is not None else {}}


def test_a_bare_node_gets_the_label_and_the_taint_under_its_resource_version() -> None:
    assert node_role_patch(_node(taints=[OTHER_TAINT]), taint=True) == {
        "metadata": {"labels": {CONTROL_PLANE_ROLE: ""}, "resourceVersion": "7"},
        "spec": {"taints": [OTHER_TAINT, CONTROL_PLANE_TAINT]}}


def test_a_labelled_tainted_master_needs_nothing() -> None:
    assert node_role_patch(_node({CONTROL_PLANE_ROLE: ""}, [CONTROL_PLANE_TAINT]), taint=True) is None
    assert node_role_patch(_node({CONTROL_PLANE_ROLE: ""}, []), taint=False) is None


def test_lifting_the_taint_keeps_the_other_taints() -> None:
    patch = node_role_patch(_node({CONTROL_PLANE_ROLE: ""}, [CONTROL_PLANE_TAINT, OTHER_TAINT]), taint=False)
    assert patch == {"metadata": {"resourceVersion": "7"}, "spec": {"taints": [OTHER_TAINT]}}


def test_a_label_with_a_value_is_set_to_kubeadms_empty_one() -> None:
    patch = node_role_patch(_node({CONTROL_PLANE_ROLE: "yes"}, [CONTROL_PLANE_TAINT]), taint=True)
    assert patch == {"metadata": {"labels": {CONTROL_PLANE_ROLE: ""}, "resourceVersion": "7"}}


def test_owned_values_follow_fields_map_keys_list_keys_set_members_and_indexes() -> None:
    obj = {"spec": {"replicas": 2, "paused": False,
                    "containers": [{"name": "a", "image": "a:1", "args": ["-x"]}, {"name": "b", "image": "b:1"}],
                    "finalizers": ["one"], "ports": [80, 443]}}
    fields = {"f:spec": {".": {}, "f:replicas": {}, "f:containers": {'k:{"name":"b"}': {"f:image": {}}},
                         "f:finalizers": {'v:"one"': {}, 'v:"two"': {}}, "f:ports": {"i:1": {}, "i:5": {}}}}
    assert owned_values(obj, fields) == {"f:spec": {
        "f:replicas": 2, "f:containers": {'k:{"name":"b"}': {"f:image": "b:1"}},
        "f:finalizers": {'v:"one"': True, 'v:"two"': False}, "f:ports": {"i:1": 443, "i:5": None}}}
    # What the manager does not own (paused, container a) may change without changing what it owns.
    obj["spec"]["paused"] = True
    obj["spec"]["containers"][0]["image"] = "a:2"
    assert owned_values(obj, fields)["f:spec"]["f:containers"] == {'k:{"name":"b"}': {"f:image": "b:1"}}


# --- against the apiserver -------------------------------------------------------------------------------------


@pytest.fixture
def client(kube_apiserver) -> Any:
    return connect(str(kube_apiserver.kubeconfig))


def _register(client: Any, name: str, **spec: Any) -> None:
    nodes = client.resources.get(api_version="v1", kind="Node")
    nodes.create(body={"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": spec})


def _read(client: Any, name: str) -> dict[str, Any]:
    return client.resources.get(api_version="v1", kind="Node").get(name=name).to_dict()


def _role(node: dict[str, Any]) -> tuple[str | None, bool, bool]:
    """(the control-plane label's value, whether the control-plane taint is on, whether OTHER_TAINT is); the
    apiserver adds a not-ready taint of its own to a new Node (TaintNodesByCondition), which stays out of this."""
    taints = node["spec"].get("taints") or []
    return (node["metadata"].get("labels", {}).get(CONTROL_PLANE_ROLE), CONTROL_PLANE_TAINT in taints,
            OTHER_TAINT in taints)


def test_a_master_is_labelled_and_tainted_once_and_a_dry_run_keeps_nothing(client) -> None:
    _register(client, "label-1", taints=[OTHER_TAINT])
    assert set_node_roles(client, [{"name": "label-1", "taint": True}], dry_run=True) == [
        {"name": "label-1", "changed": True}]
    assert _role(_read(client, "label-1")) == (None, False, True)

    assert set_node_roles(client, [{"name": "label-1", "taint": True}], dry_run=False) == [
        {"name": "label-1", "changed": True}]
    assert _role(_read(client, "label-1")) == ("", True, True)
    assert set_node_roles(client, [{"name": "label-1", "taint": True}], dry_run=False) == [
        {"name": "label-1", "changed": False}]

    assert set_node_roles(client, [{"name": "label-1", "taint": False}], dry_run=False)[0]["changed"] is True
    assert _role(_read(client, "label-1")) == ("", False, True)


class _WrittenAfterFirstRead:
    """The Node resource, where another writer (the kubelet) changes the Node right after the first read."""

    def __init__(self, nodes: Any) -> None:
        self.nodes = nodes
        self.reads = 0

    def get(self, **kwargs: Any) -> Any:
        node = self.nodes.get(**kwargs)
        self.reads += 1
        if self.reads == 1:
            self.nodes.patch(name=kwargs["name"], body={"metadata": {"labels": {"example.com/kubelet": "wrote"}}},
                             content_type="application/merge-patch+json")
        return node

    def patch(self, **kwargs: Any) -> Any:
        return self.nodes.patch(**kwargs)


def test_a_node_written_between_read_and_patch_is_read_again_and_nothing_is_lost(client, monkeypatch) -> None:
    _register(client, "conflict-1")
    racing = _WrittenAfterFirstRead(client.resources.get(api_version="v1", kind="Node"))
    monkeypatch.setattr(kube_api_utils, "_nodes", lambda _client: racing)
    assert set_node_roles(client, [{"name": "conflict-1", "taint": True}], dry_run=False) == [
        {"name": "conflict-1", "changed": True}]
    assert racing.reads == 2  # the first patch carried the stale resourceVersion and was refused
    node = _read(client, "conflict-1")
    assert _role(node)[:2] == ("", True) and node["metadata"]["labels"]["example.com/kubelet"] == "wrote"


def test_a_node_not_registered_is_an_error_but_a_change_in_a_dry_run(client) -> None:
    with pytest.raises(KubeApiError, match="Node absent-1 is not registered"):
        set_node_roles(client, [{"name": "absent-1", "taint": True}], dry_run=False)
    assert set_node_roles(client, [{"name": "absent-1", "taint": True}], dry_run=True) == [
        {"name": "absent-1", "changed": True}]


def test_a_node_the_kubelet_registers_meanwhile_is_waited_for(client) -> None:
    later = threading.Timer(1.0, _register, (client, "late-1"))
    later.start()
    try:
        assert set_node_roles(client, [{"name": "late-1", "taint": True}], dry_run=False, timeout=30) == [
            {"name": "late-1", "changed": True}]
    finally:
        later.cancel()
    assert _role(_read(client, "late-1")) == ("", True, False)


def _objects(replicas: int) -> list[dict[str, Any]]:
    return cluster_objects(COREDNS_IMAGE, "10.96.0.10", "cluster.local", replicas)


def _deployment(client: Any) -> dict[str, Any]:
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
    return deployments.get(name="coredns", namespace="kube-system").to_dict()


def test_objects_are_applied_once_and_another_writer_is_not_a_change(client) -> None:
    first = apply_objects(client, _objects(2), dry_run=False)
    assert [entry["kind"] for entry in first] == [obj["kind"] for obj in _objects(2)]
    assert all(entry["changed"] for entry in first)
    assert not any(entry["changed"] for entry in apply_objects(client, _objects(2), dry_run=False))

    # A controller writing the Deployment (its annotations, its status) between two runs is not our change: the
    # comparison of whole objects that kubernetes.core makes would report one.
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
    deployments.patch(name="coredns", namespace="kube-system", content_type="application/merge-patch+json",
                      body={"metadata": {"annotations": {"deployment.kubernetes.io/revision": "1"}}},
                      field_manager="kube-controller-manager")
    assert not any(entry["changed"] for entry in apply_objects(client, _objects(2), dry_run=False))

    dry = apply_objects(client, _objects(3), dry_run=True)
    assert [entry["name"] for entry in dry if entry["changed"]] == ["coredns"]
    assert _deployment(client)["spec"]["replicas"] == 2
    applied = apply_objects(client, _objects(3), dry_run=False)
    assert [(entry["kind"], entry["name"]) for entry in applied if entry["changed"]] == [("Deployment", "coredns")]
    assert _deployment(client)["spec"]["replicas"] == 3


def test_a_field_another_manager_took_is_taken_back(client) -> None:
    apply_objects(client, _objects(2), dry_run=False)
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
    deployments.patch(name="coredns", namespace="kube-system", content_type="application/merge-patch+json",
                      body={"spec": {"replicas": 5}}, field_manager="someone-else")
    assert [entry["name"] for entry in apply_objects(client, _objects(2), dry_run=False) if entry["changed"]] == [
        "coredns"]
    assert _deployment(client)["spec"]["replicas"] == 2


def _give_pod_cidr(client: Any, name: str, subnet: str) -> None:
    client.resources.get(api_version="v1", kind="Node").patch(
        name=name, body={"spec": {"podCIDR": subnet, "podCIDRs": [subnet]}},
        content_type="application/merge-patch+json")


def test_the_wait_ends_when_every_node_has_its_pod_cidr(client) -> None:
    _register(client, "cidr-1", podCIDR="10.244.1.0/24", podCIDRs=["10.244.1.0/24"])
    _register(client, "cidr-2")
    later = threading.Timer(1.0, _give_pod_cidr, (client, "cidr-2", "10.244.2.0/24"))
    later.start()
    try:
        nodes = wait_for_pod_subnets(client, ["cidr-1", "cidr-2"], timeout=30)
    finally:
        later.cancel()
    subnets = {node["metadata"]["name"]: node["spec"].get("podCIDR") for node in nodes}
    assert subnets["cidr-1"] == "10.244.1.0/24" and subnets["cidr-2"] == "10.244.2.0/24"


def test_the_wait_names_the_nodes_without_one_and_check_mode_does_not_wait(client) -> None:
    _register(client, "cidr-none")
    started = time.monotonic()
    listed = wait_for_pod_subnets(client, ["cidr-none", "never-registered"], timeout=60, wait=False)
    assert time.monotonic() - started < 30  # it looked once: a wait would have run out after 60 s
    assert "cidr-none" in {node["metadata"]["name"] for node in listed}
    with pytest.raises(KubeApiError, match="no podCIDR yet: cidr-none, never-registered"):
        wait_for_pod_subnets(client, ["cidr-none", "never-registered"], timeout=0)


def _made_deployment(client: Any, name: str) -> Any:
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
    labels = {"app": name}
    deployments.create(namespace="default", body={
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": COREDNS_IMAGE}]}}}})
    return deployments


def _set_available(deployments: Any, name: str, status: str) -> None:
    """What the controller-manager would write (the unit apiserver runs none): the Available condition."""
    deployments.status.patch(
        name=name, namespace="default", content_type="application/merge-patch+json",
        body={"status": {"conditions": [{"type": "Available", "status": status, "reason": "MinimumReplicasAvailable"
                                         if status == "True" else "MinimumReplicasUnavailable",
                                         "message": "Deployment does not have minimum availability."}]}})


def test_the_deployment_wait_ends_when_it_is_available_and_names_what_is_not(client) -> None:
    deployments = _made_deployment(client, "wait-dns")
    with pytest.raises(KubeApiError, match=r"not Available: default/wait-dns \(no Available condition yet\); "
                                           r"default/never-made \(not found\)"):
        wait_until_available(client, [{"namespace": "default", "name": "wait-dns"},
                                      {"namespace": "default", "name": "never-made"}], timeout=0)
    _set_available(deployments, "wait-dns", "False")
    with pytest.raises(KubeApiError, match=r"wait-dns \(Deployment does not have minimum availability\.\)"):
        wait_until_available(client, [{"namespace": "default", "name": "wait-dns"}], timeout=0)
    later = threading.Timer(1.0, _set_available, (deployments, "wait-dns", "True"))
    later.start()
    try:
        wait_until_available(client, [{"namespace": "default", "name": "wait-dns"}], timeout=30)
    finally:
        later.cancel()
    assert unavailable(deployments.get(name="wait-dns", namespace="default").to_dict()) is None


# --- the module ------------------------------------------------------------------------------------------------


def test_the_module_labels_applies_and_waits_in_one_run_and_reports_a_rerun_unchanged(
        kube_apiserver, client, module_runner) -> None:
    _register(client, "module-1", podCIDR="10.244.9.0/24", podCIDRs=["10.244.9.0/24"])
    binding = cluster_objects("", "10.96.0.10", dns=False)
    binding[0]["metadata"]["name"] = "curtain:unit-module"
    args = {"kubeconfig": str(kube_apiserver.kubeconfig), "control_plane_nodes": [{"name": "module-1", "taint": True}],
            "objects": binding, "pod_subnet_nodes": ["module-1"], "timeout": 10}

    checked = module_runner(kube_api.main, args, check_mode=True)
    assert not checked.failed and checked.result["changed"] is True, checked.result
    assert _role(_read(client, "module-1")) == (None, False, False)

    first = module_runner(kube_api.main, args)
    assert not first.failed and first.result["changed"] is True, first.result
    assert _role(_read(client, "module-1")) == ("", True, False)
    assert "module-1" in {node["metadata"]["name"] for node in first.result["nodes"]}

    again = module_runner(kube_api.main, args)
    assert again.result["changed"] is False, again.result
    assert module_runner(kube_api.main, args, check_mode=True).result["changed"] is False


def test_the_module_waits_for_a_deployment_and_lists_the_nodes_after_it(kube_apiserver, client,
                                                                         module_runner) -> None:
    _register(client, "listed-1")
    _set_available(_made_deployment(client, "module-dns"), "module-dns", "True")
    args = {"kubeconfig": str(kube_apiserver.kubeconfig), "list_nodes": True, "timeout": 10,
            "available_deployments": [{"namespace": "default", "name": "module-dns"}]}
    waited = module_runner(kube_api.main, args)
    assert not waited.failed and waited.result["changed"] is False, waited.result
    assert "listed-1" in {node["metadata"]["name"] for node in waited.result["nodes"]}
    args["available_deployments"] = [{"namespace": "default", "name": "missing-dns"}]
    args["timeout"] = 0
    failed = module_runner(kube_api.main, args)
    assert failed.failed and failed.result["msg"] == (
        "after 0 s, these Deployments are not Available: default/missing-dns (not found)"), failed.result
    assert not module_runner(kube_api.main, args, check_mode=True).failed  # check mode does not wait


def test_a_look_at_deployments_says_which_are_available_without_waiting(kube_apiserver, client) -> None:
    """The cluster step's look at CoreDNS: site.yml leaves its wait out where it was Available already."""
    deployments = _made_deployment(client, "look-dns")
    looked = [{"namespace": "default", "name": "look-dns"}, {"namespace": "default", "name": "never-made"}]
    args = {"kubeconfig": str(kube_apiserver.kubeconfig), "look_deployments": looked, "timeout": 0}
    first = _action_run(args)  # a wait with timeout 0 would have failed on these: a look does not wait
    assert not first.get("failed"), first
    assert first["deployments"] == [{**looked[0], "available": False}, {**looked[1], "available": False}]
    _set_available(deployments, "look-dns", "True")
    assert _action_run(args, check_mode=True)["deployments"][0]["available"] is True  # a look, in check mode too


def test_an_apiserver_that_does_not_answer_fails_a_run_and_is_a_change_in_check_mode(
        tmp_path: Path, tls_files, module_runner) -> None:
    kubeconfig = tmp_path / "nobody.conf"
    kubeconfig.write_text(yaml.safe_dump(kube_manifests.kubeconfig(
        "nobody", f"https://127.0.0.1:{free_port()}", tls_files.ca, tls_files.client_cert, tls_files.client_key,
        "curtain-unit-client")))
    args = {"kubeconfig": str(kubeconfig), "control_plane_nodes": [{"name": "m1", "taint": True}]}
    failed = module_runner(kube_api.main, args)
    assert failed.failed and "cannot reach the apiserver" in failed.result["msg"], failed.result
    checked = module_runner(kube_api.main, args, check_mode=True)
    assert not checked.failed and checked.result["changed"] is True, checked.result


# --- the action: the same steps in Ansible's own process -------------------------------------------------------------


def _action_run(args: dict[str, Any], check_mode: bool = False) -> dict[str, Any]:
    task = mock.MagicMock(args=args, async_val=0, check_mode=check_mode, action="curtain.kube.kube_api")
    action = KubeApiAction(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None)
    action._execute_module = mock.Mock(side_effect=AssertionError("no module runs"))  # type: ignore[method-assign]
    return action.run(task_vars={})


def test_the_action_runs_the_steps_in_ansible_s_process(kube_apiserver, client) -> None:
    _register(client, "action-1", podCIDR="10.244.8.0/24", podCIDRs=["10.244.8.0/24"])
    args = {"kubeconfig": str(kube_apiserver.kubeconfig), "control_plane_nodes": [{"name": "action-1", "taint": True}],
            "pod_subnet_nodes": ["action-1"], "timeout": 10}
    checked = _action_run(args, check_mode=True)
    assert not checked.get("failed") and checked["changed"] is True, checked
    assert _role(_read(client, "action-1")) == (None, False, False)  # a dry run
    first = _action_run(args)
    assert not first.get("failed") and first["changed"] is True, first
    assert _role(_read(client, "action-1")) == ("", True, False)
    assert _action_run(args)["changed"] is False
    timed_out = _action_run({**args, "pod_subnet_nodes": ["action-absent"], "timeout": 0})
    assert timed_out["failed"] is True and "action-absent" in timed_out["msg"], timed_out

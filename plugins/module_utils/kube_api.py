# Copyright: curtain contributors
# Apache License 2.0
"""The controller's steps through the apiserver, all in one process with one client (curtain.kube.kube_api): the
masters' Node role (kubeadm's label and taint), the cluster's objects applied server-side, the wait until every
node of the play has its podCIDR, and the wait until Deployments are Available (CoreDNS, at the end of a site run)
with the Nodes listed after it (the site's summary). Each step through kubernetes.core was a module run of its own,
each loading the Kubernetes client again (about 2 s each on a no-op run).

The Kubernetes Python client does the talking (`kubernetes.dynamic`); this module decides what to send and whether
anything changed. Every function takes the client, so the tests run them against a real apiserver.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.pod_network import nodes_without_pod_subnet
from kubernetes import config, dynamic
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError
from urllib3.exceptions import HTTPError

CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"
# kubeadm's taint on a control-plane Node: no value, NoSchedule.
CONTROL_PLANE_TAINT = {"key": CONTROL_PLANE_ROLE, "effect": "NoSchedule"}
FIELD_MANAGER = "curtain"
POLL_SECONDS = 2.0
CONFLICT_RETRIES = 5


class KubeApiError(RuntimeError):
    """A step the apiserver refused or a wait that ran out; the message names the object."""


def _is_control_plane_taint(taint: Mapping[str, Any]) -> bool:
    return taint.get("key") == CONTROL_PLANE_ROLE and taint.get("effect") == CONTROL_PLANE_TAINT["effect"]


def node_role_patch(node: Mapping[str, Any], taint: bool) -> dict[str, Any] | None:
    """The JSON merge patch that labels `node` as the control plane and puts kubeadm's taint on it (`taint`) or
    lifts it, or None when the Node is so already. Other labels and taints stay. The patch carries the Node's
    resourceVersion: a merge patch replaces the whole taint list, so a Node changed since it was read is refused
    (409) rather than losing a taint another writer added."""
    metadata = node.get("metadata") or {}
    taints = list((node.get("spec") or {}).get("taints") or [])
    has_taint = any(_is_control_plane_taint(entry) for entry in taints)
    patch: dict[str, Any] = {}
    if (metadata.get("labels") or {}).get(CONTROL_PLANE_ROLE) != "":
        patch["metadata"] = {"labels": {CONTROL_PLANE_ROLE: ""}}
    if taint and not has_taint:
        patch["spec"] = {"taints": [*taints, dict(CONTROL_PLANE_TAINT)]}
    elif not taint and has_taint:
        patch["spec"] = {"taints": [entry for entry in taints if not _is_control_plane_taint(entry)]}
    if not patch:
        return None
    patch.setdefault("metadata", {})["resourceVersion"] = metadata.get("resourceVersion")
    return patch


def _nodes(client: Any) -> Any:
    return client.resources.get(api_version="v1", kind="Node")


def _set_node_role(resource: Any, name: str, taint: bool, dry_run: bool, timeout: float) -> bool:
    """Whether `name` needed the patch, which it got. The kubelet registers its Node after its health endpoint
    answers, retrying with a backoff of its own until the apiserver takes it: a Node not registered yet is waited for
    up to `timeout` seconds. The kubelet writes its Node often while it turns Ready, so a patch refused for a Node
    changed since it was read (409) is made again from a fresh read, a few times."""
    attempts = 0
    deadline = time.monotonic() + timeout
    while True:
        attempts += 1
        try:
            node = resource.get(name=name).to_dict()
        except NotFoundError as error:
            if dry_run:
                return True
            if time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
                continue
            raise KubeApiError(f"Node {name} is not registered after {timeout:g} s: its kubelet has not reached the "
                               "apiserver") from error
        patch = node_role_patch(node, taint)
        if patch is None:
            return False
        try:
            resource.patch(name=name, body=patch, content_type="application/merge-patch+json",
                           dry_run="All" if dry_run else None)
            return True
        except ConflictError:
            if attempts >= CONFLICT_RETRIES:
                raise


def set_node_roles(client: Any, wanted: Sequence[Mapping[str, Any]], *, dry_run: bool,
                   timeout: float = 0) -> list[dict[str, Any]]:
    """Each of `wanted` ({name, taint}) labelled as the control plane and tainted or not: [{name, changed}]. With
    `dry_run`, the apiserver validates the patch and keeps nothing. A Node that is not registered after `timeout`
    seconds is an error, except in a dry run, where it reports the change a run would make (nothing is waited for)."""
    resource = _nodes(client)
    return [{"name": entry["name"],
             "changed": _set_node_role(resource, entry["name"], bool(entry["taint"]), dry_run, timeout)}
            for entry in wanted]


def _own_fields(obj: Mapping[str, Any] | None, manager: str) -> Any:
    """The fields `manager`'s apply owns in `obj` (its managedFields entry's fieldsV1), or None."""
    for entry in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            return entry.get("fieldsV1") or {}
    return None


def owned_values(value: Any, fields: Mapping[str, Any]) -> Any:
    """The parts of `value` that `fields` (a fieldsV1 set) names: f:<field> a field of a map, k:<json> the list
    element whose keys match, v:<json> a set member's presence, i:<n> a list index; an empty set the value itself.
    Two objects whose owned values are equal do not differ in what that manager applies, whatever others wrote."""
    if not fields:
        return value
    parts: dict[str, Any] = {}
    for key, below in fields.items():
        if key == ".":
            continue
        kind, _, name = key.partition(":")
        child: Any = None
        if kind == "f" and isinstance(value, Mapping):
            child = value.get(name)
        elif kind == "k" and isinstance(value, list):
            wanted = json.loads(name)
            child = next((item for item in value if isinstance(item, Mapping)
                          and all(item.get(field) == expected for field, expected in wanted.items())), None)
        elif kind == "v" and isinstance(value, list):
            child = json.loads(name) in value
        elif kind == "i" and isinstance(value, list) and int(name) < len(value):
            child = value[int(name)]
        parts[key] = owned_values(child, below)
    return parts


def _applied_state(obj: Mapping[str, Any] | None, manager: str) -> Any:
    fields = _own_fields(obj, manager)
    return None if fields is None else (fields, owned_values(obj, fields))


def apply_objects(client: Any, objects: Sequence[Mapping[str, Any]], *, dry_run: bool,
                  manager: str = FIELD_MANAGER) -> list[dict[str, Any]]:
    """Each object applied server-side as `manager`, taking over conflicting fields (as kubeadm does for its own):
    [{kind, name, namespace, changed}], in order. An object changed when the fields `manager` owns, or their values,
    differ before and after; what other writers changed meanwhile (a controller's status or annotations) is not a
    change of ours, where a comparison of whole objects would report it. With `dry_run`, the apiserver computes the
    result and keeps nothing, so the change it reports is the one a run would make."""
    results = []
    for obj in objects:
        metadata = obj["metadata"]
        resource = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        namespace = metadata.get("namespace") if resource.namespaced else None
        try:
            before = resource.get(name=metadata["name"], namespace=namespace).to_dict()
        except NotFoundError:
            before = None
        after = resource.server_side_apply(body=dict(obj), name=metadata["name"], namespace=namespace,
                                           field_manager=manager, force_conflicts=True,
                                           dry_run="All" if dry_run else None).to_dict()
        results.append({"kind": obj["kind"], "name": metadata["name"], "namespace": namespace,
                        # Created, or what it owns differs (an object of name alone owns no field, so has no entry).
                        "changed": before is None
                        or _applied_state(before, manager) != _applied_state(after, manager)})
    return results


def wait_for_pod_subnets(client: Any, names: Sequence[str], timeout: float, *,
                         wait: bool = True) -> list[dict[str, Any]]:
    """The cluster's Nodes once each of `names` is registered with a podCIDR (the controller-manager gives them).
    Without `wait` (check mode), the Nodes as they are. Runs out after `timeout` seconds, naming the nodes."""
    deadline = time.monotonic() + timeout
    while True:
        nodes = list_nodes(client)
        missing = nodes_without_pod_subnet(nodes, names)
        if not missing or not wait:
            return nodes
        if time.monotonic() >= deadline:
            raise KubeApiError(
                f"after {timeout:g} s, these nodes have no podCIDR yet: {', '.join(missing)} (is each one's "
                "kubelet registered, and is the controller-manager running with --allocate-node-cidrs?)")
        time.sleep(POLL_SECONDS)


def list_nodes(client: Any) -> list[dict[str, Any]]:
    """The cluster's Nodes as the apiserver has them now."""
    return [item.to_dict() for item in _nodes(client).get().items]


def unavailable(deployment: Mapping[str, Any] | None) -> str | None:
    """Why a Deployment is not Available (its Available condition's message, or that it has none or does not exist);
    None when it is."""
    if deployment is None:
        return "not found"
    conditions = (deployment.get("status") or {}).get("conditions") or []
    available = next((condition for condition in conditions if condition.get("type") == "Available"), None)
    if available is None:
        return "no Available condition yet"
    return None if available.get("status") == "True" else (available.get("message") or available.get("reason")
                                                             or f"Available is {available.get('status')}")


def unavailable_now(client: Any, deployments: Sequence[Mapping[str, str]]) -> list[str | None]:
    """Why each Deployment ({namespace, name}) is not Available now (`unavailable`), in order; None for each that is."""
    resource = client.resources.get(api_version="apps/v1", kind="Deployment")
    reasons = []
    for wanted in deployments:
        try:
            found = resource.get(name=wanted["name"], namespace=wanted["namespace"]).to_dict()
        except NotFoundError:
            found = None
        reasons.append(unavailable(found))
    return reasons


def wait_until_available(client: Any, deployments: Sequence[Mapping[str, str]], timeout: float) -> None:
    """Returns once each Deployment ({namespace, name}) has its Available condition True, as `kubectl rollout
    status` would see it; runs out after `timeout` seconds, naming each that is not and why."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = {f"{wanted['namespace']}/{wanted['name']}": reason
                   for wanted, reason in zip(deployments, unavailable_now(client, deployments), strict=True)
                   if reason is not None}
        if not waiting:
            return
        if time.monotonic() >= deadline:
            raise KubeApiError(f"after {timeout:g} s, these Deployments are not Available: "
                               + "; ".join(f"{name} ({reason})" for name, reason in waiting.items()))
        time.sleep(POLL_SECONDS)


def deployments_available(client: Any, deployments: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Each Deployment ({namespace, name}) with whether its Available condition is True now: a look, no wait."""
    return [{"namespace": wanted["namespace"], "name": wanted["name"], "available": reason is None}
            for wanted, reason in zip(deployments, unavailable_now(client, deployments), strict=True)]


def connect(kubeconfig: str) -> Any:
    """A dynamic client for the apiserver `kubeconfig` names (its discovery is lazy: one group per kind asked for)."""
    return dynamic.DynamicClient(config.new_client_from_config(config_file=kubeconfig))


# curtain.kube.kube_api's options (plugins/modules/kube_api.py documents them).
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "kubeconfig": {"type": "path", "required": True},
    "control_plane_nodes": {"type": "list", "elements": "dict", "default": [],
                            "options": {"name": {"type": "str", "required": True},
                                        "taint": {"type": "bool", "required": True}}},
    "objects": {"type": "list", "elements": "dict", "default": []},
    "pod_subnet_nodes": {"type": "list", "elements": "str", "default": []},
    "available_deployments": {"type": "list", "elements": "dict", "default": [],
                              "options": {"namespace": {"type": "str", "required": True},
                                          "name": {"type": "str", "required": True}}},
    "look_deployments": {"type": "list", "elements": "dict", "default": [],
                         "options": {"namespace": {"type": "str", "required": True},
                                     "name": {"type": "str", "required": True}}},
    "list_nodes": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": 300},
}


def run_steps(params: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
    """curtain.kube.kube_api's steps, in order, with one client: its result ({changed, control_plane_nodes, objects,
    nodes, deployments}, with `warnings`), or {failed, msg} naming the step."""
    step = "connect"
    try:
        client = connect(params["kubeconfig"])
        step = "label and taint the control plane's Nodes"
        roles = set_node_roles(client, params["control_plane_nodes"], dry_run=dry_run, timeout=params["timeout"])
        step = "apply the objects"
        objects = apply_objects(client, params["objects"], dry_run=dry_run)
        nodes: list[dict[str, Any]] = []
        if params["pod_subnet_nodes"]:
            step = "wait for the podCIDRs"
            nodes = wait_for_pod_subnets(client, params["pod_subnet_nodes"], params["timeout"], wait=not dry_run)
        if params["available_deployments"] and not dry_run:
            step = "wait for the Deployments"
            wait_until_available(client, params["available_deployments"], params["timeout"])
        if params["list_nodes"]:
            step = "list the Nodes"
            nodes = list_nodes(client)
        step = "look at the Deployments"
        deployments = deployments_available(client, params["look_deployments"])
    except KubeApiError as error:
        return {"failed": True, "changed": False, "msg": str(error)}
    except ApiException as error:
        return {"failed": True, "changed": False,
                "msg": f"{step}: the apiserver answered {error.status} {error.reason}: {error.body}"}
    except (HTTPError, OSError) as error:
        if dry_run:
            # Check mode on a host whose control plane a run would start first (its kubelet stopped): nothing can be
            # asked, and a run would label, apply and wait.
            return {"changed": True, "control_plane_nodes": [], "objects": [], "nodes": [], "deployments": [],
                    "warnings": [f"{step}: the apiserver does not answer ({error}); a run would do this step once it "
                                 "does"]}
        return {"failed": True, "changed": False,
                "msg": f"{step}: cannot reach the apiserver of {params['kubeconfig']}: {error}"}
    return {"changed": any(entry["changed"] for entry in roles + objects), "control_plane_nodes": roles,
            "objects": objects, "nodes": nodes, "deployments": deployments}

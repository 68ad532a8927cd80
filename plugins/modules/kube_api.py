#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

DOCUMENTATION = r"""
module: kube_api
short_description: A play's steps through the apiserver in one run, from the controller
description:
  - In this order, with one client (module_utils/kube_api.py), labels each of O(control_plane_nodes) as the control
    plane and puts kubeadm's C(node-role.kubernetes.io/control-plane:NoSchedule) taint on it or lifts it; applies
    O(objects) server-side as the field manager C(curtain), taking over conflicting fields; waits until each of
    O(pod_subnet_nodes) is registered with a podCIDR; waits until each of O(available_deployments) is Available;
    and returns the cluster's Nodes.
  - A change is what the apiserver reports, not a comparison of whole objects, so a controller writing an object's
    status meanwhile is not a change. In check mode the label, taint and objects go to the apiserver as a dry run
    (validated, nothing kept) and nothing is waited for; an apiserver that does not answer in check mode is a
    warning and a change (a run would start the control plane first), not a failure.
  - Needs the Kubernetes Python client (C(kubernetes)) where it runs, which is the controller (C(delegate_to)).
options:
  kubeconfig:
    description: The kubeconfig whose user may patch Nodes and apply the objects (the cluster's admin).
    type: path
    required: true
  control_plane_nodes:
    description: The masters' Node names, each with V(taint), whether kubeadm's control-plane taint is on it.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The Node's name.
        type: str
        required: true
      taint:
        description: Whether the Node carries the taint (true) or not (false).
        type: bool
        required: true
  objects:
    description: Whole objects (apiVersion, kind, metadata, ...) to apply server-side, in order.
    type: list
    elements: dict
    default: []
  pod_subnet_nodes:
    description: The Node names to wait for until each has a podCIDR. With none, the Nodes are not listed.
    type: list
    elements: str
    default: []
  available_deployments:
    description:
      - Deployments to wait for, after the podCIDRs, until each has its C(Available) condition true (as
        C(kubectl rollout status) sees it). Not waited for in check mode.
    type: list
    elements: dict
    default: []
    suboptions:
      namespace:
        description: The Deployment's namespace.
        type: str
        required: true
      name:
        description: The Deployment's name.
        type: str
        required: true
  list_nodes:
    description: Return the cluster's Nodes as they are after every wait, whether or not O(pod_subnet_nodes) asked.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for each of O(control_plane_nodes) to be registered, for the podCIDRs, and then
      for the Deployments.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: curtain contributors
"""

EXAMPLES = r"""
- name: Cluster | Through the apiserver
  curtain.kube.kube_api:
    kubeconfig: /etc/curtain/admin.conf
    control_plane_nodes: [{name: master-1, taint: true}]
    objects: "{{ '' | curtain.kube.kube_cluster_objects('10.96.0.10', 'cluster.local', 2, dns=false) }}"
    pod_subnet_nodes: [master-1, node-1]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
control_plane_nodes:
  description: Each of O(control_plane_nodes), with whether its label or taint changed (would change in check mode).
  returned: always
  type: list
  elements: dict
objects:
  description: Each of O(objects) (kind, name, namespace), with whether the apply changed it (would change).
  returned: always
  type: list
  elements: dict
nodes:
  description: The cluster's Nodes as the apiserver returned them, after the waits; empty when neither
    O(pod_subnet_nodes) nor O(list_nodes) asked for them.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ansible_collections.curtain.kube.plugins.module_utils.kube_api import (
        KubeApiError,
        apply_objects,
        connect,
        list_nodes,
        set_node_roles,
        wait_for_pod_subnets,
        wait_until_available,
    )
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError
except ImportError as import_error:  # the module runs where the client is: the controller
    MISSING_CLIENT = import_error
else:
    MISSING_CLIENT = None

ARGUMENT_SPEC = {
    "kubeconfig": {"type": "path", "required": True},
    "control_plane_nodes": {"type": "list", "elements": "dict", "default": [],
                            "options": {"name": {"type": "str", "required": True},
                                        "taint": {"type": "bool", "required": True}}},
    "objects": {"type": "list", "elements": "dict", "default": []},
    "pod_subnet_nodes": {"type": "list", "elements": "str", "default": []},
    "available_deployments": {"type": "list", "elements": "dict", "default": [],
                              "options": {"namespace": {"type": "str", "required": True},
                                          "name": {"type": "str", "required": True}}},
    "list_nodes": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": 300},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if MISSING_CLIENT is not None:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(MISSING_CLIENT))
    params = module.params
    dry_run = module.check_mode
    step = "connect"
    try:
        client = connect(params["kubeconfig"])
        step = "label and taint the control plane's Nodes"
        roles = set_node_roles(client, params["control_plane_nodes"], dry_run=dry_run, timeout=params["timeout"])
        step = "apply the objects"
        objects = apply_objects(client, params["objects"], dry_run=dry_run)
        nodes = []
        if params["pod_subnet_nodes"]:
            step = "wait for the podCIDRs"
            nodes = wait_for_pod_subnets(client, params["pod_subnet_nodes"], params["timeout"], wait=not dry_run)
        if params["available_deployments"] and not dry_run:
            step = "wait for the Deployments"
            wait_until_available(client, params["available_deployments"], params["timeout"])
        if params["list_nodes"]:
            step = "list the Nodes"
            nodes = list_nodes(client)
    except KubeApiError as error:
        module.fail_json(msg=str(error))
    except ApiException as error:
        module.fail_json(msg=f"{step}: the apiserver answered {error.status} {error.reason}: {error.body}")
    except (HTTPError, OSError) as error:
        if dry_run:
            # Check mode on a host whose control plane a run would start first (its kubelet stopped): nothing can be
            # asked, and a run would label, apply and wait.
            module.warn(f"{step}: the apiserver does not answer ({error}); a run would do this step once it does")
            module.exit_json(changed=True, control_plane_nodes=[], objects=[], nodes=[])
        module.fail_json(msg=f"{step}: cannot reach the apiserver of {params['kubeconfig']}: {error}")
    changed = any(entry["changed"] for entry in roles + objects)
    module.exit_json(changed=changed, control_plane_nodes=roles, objects=objects, nodes=nodes)


if __name__ == "__main__":
    main()

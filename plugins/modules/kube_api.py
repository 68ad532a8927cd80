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
    returns the cluster's Nodes; and says whether each of O(look_deployments) is Available now.
  - A change is what the apiserver reports, not a comparison of whole objects, so a controller writing an object's
    status meanwhile is not a change. In check mode the label, taint and objects go to the apiserver as a dry run
    (validated, nothing kept) and nothing is waited for; an apiserver that does not answer in check mode is a
    warning and a change (a run would start the control plane first), not a failure.
  - An action that runs the steps in Ansible's own process on the controller (no module is sent anywhere), so it
    needs the Kubernetes Python client (C(kubernetes)) in Ansible's Python there.
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
  look_deployments:
    description:
      - Deployments to look at once, after the rest, without waiting (in check mode too). RV(deployments) says
        whether each is Available, so that a later wait for it can be left out (site.yml's for CoreDNS).
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
deployments:
  description: Each of O(look_deployments) (namespace, name), with whether it was Available (C(available)).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ansible_collections.curtain.kube.plugins.module_utils.kube_api import ARGUMENT_SPEC, run_steps
except ImportError as import_error:  # the Kubernetes client is missing where this runs
    MISSING_CLIENT = import_error
    ARGUMENT_SPEC = {"kubeconfig": {"type": "path", "required": True}}
else:
    MISSING_CLIENT = None


def main() -> None:
    """The same steps as the action (plugins/action/kube_api.py, which runs them in Ansible's own process on the
    controller), where the module is run as such."""
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if MISSING_CLIENT is not None:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(MISSING_CLIENT))
    result = run_steps(module.params, dry_run=module.check_mode)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.get("failed"):
        module.fail_json(**{key: value for key, value in result.items() if key != "failed"})
    module.exit_json(**result)


if __name__ == "__main__":
    main()

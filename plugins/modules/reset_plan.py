#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: reset_plan
short_description: Decide what a reset removes from a host, and what it keeps
description:
  - Never changes anything. playbooks/reset.yml acts on its answer with community.docker and ansible.builtin
    modules; docs/reset.md describes the rules.
  - O(step=look) runs on the host and reads what curtain's paths hold there (directory listings, mount points, the
    host name, the files of the static pod directory). It needs only the Python standard library.
  - O(step=plan) takes that look and the containers community.docker.docker_host_info listed, and decides. It
    parses the manifests, which are YAML, so the playbook runs it on the controller (C(delegate_to=localhost)),
    where ansible-core guarantees PyYAML; without PyYAML a YAML manifest counts as someone else's and stays.
  - The paths come from the settings the roles resolve them from, so an inventory that moved a file moves it
    for the reset too. Settings other than paths are ignored, so a typo elsewhere cannot stop a reset.
version_added: 0.1.0
author: curtain contributors
options:
  step:
    description: V(look) reads the host; V(plan) decides from a look.
    type: str
    choices: [look, plan]
    required: true
  kube_profile:
    description: hyperkube_master_profile (V(modern) or V(seed)); it decides the kubelet's default node name.
    type: str
    default: modern
  kube_settings:
    description: hyperkube_master_settings; only the paths and hostname_override are used.
    type: dict
    default: {}
  kubelet_image:
    description:
      - The kubelet image's name (repository:tag), for the container that starts the kubelet's containerd again
        when the kubelet's container is gone but its pods run on. The image of a stopped kubelet container wins.
    type: str
    default: ""
  proxy_profile:
    description: kube_proxy_profile; it decides kube-proxy's cleanup flag (V(--cleanup), 1.1's V(--cleanup-iptables)).
    type: str
    default: modern
  proxy_settings:
    description: kube_proxy_settings; only the paths are used.
    type: dict
    default: {}
  proxy_privilege:
    description: kube_proxy_privilege, for the container that runs kube-proxy's cleanup.
    type: str
    choices: [privileged, capabilities]
    default: capabilities
  proxy_capabilities:
    description: kube_proxy_capabilities, for the container that runs kube-proxy's cleanup.
    type: list
    elements: str
    default: [NET_ADMIN, NET_RAW]
  etcd_data_dir:
    description: The etcd role's etcd_data_dir.
    type: path
    required: true
  etcd_pki_dir:
    description: The etcd role's etcd_pki_dir.
    type: path
    required: true
  etcd_backup_dir:
    description: The etcd role's etcd_backup_dir (it stays).
    type: path
    required: true
  remove_etcd_data:
    description: Whether etcd's data goes (after a backup the playbook takes).
    type: bool
    default: false
  node_names:
    description: The host's node names from the inventory (kube_node_name, else the inventory name).
    type: list
    elements: str
    default: []
  look:
    description: For O(step=plan), RV(look) of a O(step=look) on the host.
    type: dict
  containers:
    description:
      - For O(step=plan), every container on the host, as community.docker.docker_host_info lists them with
        C(containers_all=true) and C(verbose_output=true). curtain's are those labelled
        C(io.curtain.managed-by=curtain); a static pod's carry the kubelet's labels C(io.kubernetes.pod.*).
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
seealso:
  - module: community.docker.docker_host_info
"""

EXAMPLES = r"""
- name: Look at curtain's paths on the host
  curtain.kube.reset_plan:
    step: look
    etcd_data_dir: /var/lib/curtain/etcd
    etcd_pki_dir: /etc/curtain/pki/etcd
    etcd_backup_dir: /var/lib/curtain/backups/etcd
  register: __reset_look

- name: Decide on the controller
  curtain.kube.reset_plan:
    step: plan
    etcd_data_dir: /var/lib/curtain/etcd
    etcd_pki_dir: /etc/curtain/pki/etcd
    etcd_backup_dir: /var/lib/curtain/backups/etcd
    node_names: ["{{ inventory_hostname }}"]
    look: "{{ __reset_look.look }}"
    containers: "{{ __reset_containers.containers }}"
  delegate_to: localhost
  register: __reset_plan
"""

RETURN = r"""
look:
  description: What the host holds at curtain's paths.
  returned: O(step=look)
  type: dict
  contains:
    entries:
      description: "{directory: [names]} for each directory that exists."
      type: dict
    mounts:
      description: Mount points at or below curtain's directories.
      type: list
      elements: str
    hostname:
      description: The host's name.
      type: str
    manifests:
      description: "{path: base64 content} of the files of the static pod directory."
      type: dict
plan:
  description: What the reset does, each list in the order to act, and what it keeps.
  returned: O(step=plan)
  type: dict
  contains:
    runtime_pods:
      description:
        - "Modern: {container, start} where the pods of curtain's kubelet are removed with crictl, before any
          container goes: the kubelet's container while it runs, else a throwaway container that runs its
          containerd alone (start is then {image, tasks, remove_first}: the kubelet containers that do not run,
          removed first). Null when neither is there."
      type: dict
    containers:
      description: Containers to remove (id, name, kind, why), the kubelet first and etcd last.
      type: list
      elements: dict
    volumes:
      description: Docker volumes the kubelet made for the removed pods.
      type: list
      elements: str
    kube_proxy_cleanup:
      description: The throwaway container that runs kube-proxy's cleanup once, or null.
      type: dict
    unmount:
      description: Mount points below directories that go, deepest first.
      type: list
      elements: str
    remove:
      description: Files and curtain's own directories to remove.
      type: list
      elements: str
    rmdir:
      description: Directories that are empty once curtain's files are gone, deepest first.
      type: list
      elements: str
    etcd_data:
      description: "{path, present, requested, remove, why}: etcd's data goes only when remove is true, after a backup."
      type: dict
    kept:
      description: What stays, each with why (what, why).
      type: list
      elements: dict
    changes:
      description: Whether there is anything to do.
      type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.reset import ResetError, look, plan, reset_paths


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "step": {"type": "str", "choices": ["look", "plan"], "required": True},
            "kube_profile": {"type": "str", "default": "modern"},
            "kube_settings": {"type": "dict", "default": {}},
            "kubelet_image": {"type": "str", "default": ""},
            "proxy_profile": {"type": "str", "default": "modern"},
            "proxy_settings": {"type": "dict", "default": {}},
            "proxy_privilege": {"type": "str", "choices": ["privileged", "capabilities"], "default": "capabilities"},
            "proxy_capabilities": {"type": "list", "elements": "str", "default": ["NET_ADMIN", "NET_RAW"]},
            "etcd_data_dir": {"type": "path", "required": True},
            "etcd_pki_dir": {"type": "path", "required": True},
            "etcd_backup_dir": {"type": "path", "required": True},
            "remove_etcd_data": {"type": "bool", "default": False},
            "node_names": {"type": "list", "elements": "str", "default": []},
            "look": {"type": "dict"},
            "containers": {"type": "list", "elements": "dict", "default": []},
        },
        required_if=[("step", "plan", ["look"])],
        supports_check_mode=True,
    )
    params = module.params
    try:
        paths = reset_paths(params["kube_settings"], params["proxy_settings"], etcd_data_dir=params["etcd_data_dir"],
                            etcd_pki_dir=params["etcd_pki_dir"], etcd_backup_dir=params["etcd_backup_dir"])
        if params["step"] == "look":
            module.exit_json(changed=False, look=look(paths))
        result = plan(
            paths, params["look"], params["containers"],
            inventory_node_names=params["node_names"], kube_profile=params["kube_profile"],
            kube_settings=params["kube_settings"], kubelet_image=params["kubelet_image"],
            proxy_profile=params["proxy_profile"],
            proxy_privilege=params["proxy_privilege"], proxy_capabilities=params["proxy_capabilities"],
            remove_etcd_data=params["remove_etcd_data"],
        )
    except ResetError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, plan=result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

DOCUMENTATION = r"""
module: pod_network
short_description: The host's routes to the other nodes' pods and the pods' masquerade rule
description:
  - Host-gw pod network (module_utils/pod_network.py). With O(state=present), the host's routes of curtain's own
    protocol (213) become exactly O(routes), and one nat POSTROUTING rule masquerades pod traffic leaving
    O(pod_cidr). With O(state=absent), every route of that protocol and every such rule goes; nothing else is
    touched.
  - A host's boot loses routes and rules. With O(state=present), the module also writes the shell script
    O(restore_script), which puts them back and changes nothing where they are; the node container's entrypoint
    runs it at each start, before the kubelet. With O(state=absent), the script is removed.
  - With O(pod_subnet) (this node's podCIDR), the module also writes the node's CNI configuration
    (O(cni_config_file), a bridge with host-local addresses from that subnet, module_utils/container_runtime.py),
    compared as parsed JSON and written to a temporary file in the same directory that is then renamed over it.
    containerd reloads its CNI configuration on that rename, and ignores a file that merely appears (a create event,
    which containerd 2.3's watcher skips). With O(state=absent) the file is left alone (playbooks/reset.yml removes
    C(/etc/cni)).
  - Needs C(ip) (iproute2) and C(iptables) (C(ip6tables) for an IPv6 O(pod_cidr)) on the host to add them; without
    them there is nothing to remove. With O(state=absent) only the IPv4 table is looked at.
options:
  state:
    description: Whether curtain's routes and rule are present or absent.
    type: str
    choices: [present, absent]
    default: present
  routes:
    description: The routes, each V(subnet) (another node's podCIDR) through V(via) (that node's address).
    type: list
    elements: dict
    default: []
  pod_cidr:
    description: The cluster's pod range; required with O(state=present).
    type: str
  restore_script:
    description: Where the script that restores the routes and the rule goes (in a directory the kubelet container
      mounts at the same place).
    type: path
    default: /etc/kubernetes/pod-network.sh
  pod_subnet:
    description:
      - This node's pod subnet (its Node's podCIDR), which its CNI configuration gives the pods; without it the
        configuration is not written.
      - V('') says the node has no podCIDR yet (no Node, or the controller-manager has not given it one), as in
        check mode on a new cluster. The task then says so (C(msg)); in check mode it reports the change a run
        would make once the node has one, and otherwise warns that the configuration was not written.
    type: str
  cni_config_file:
    description: Where the CNI configuration goes (mode V(0644)), in the directory containerd watches.
    type: path
    default: /etc/cni/net.d/10-curtain.conflist
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: curtain contributors
"""

EXAMPLES = r"""
- name: Network | Route to the other nodes' pods
  curtain.kube.pod_network:
    routes: [{subnet: 10.244.1.0/24, via: 172.18.0.3}]
    pod_cidr: 10.244.0.0/16
"""

RETURN = r"""
replaced:
  description: The routes added or changed (in check mode, that would be).
  returned: always
  type: list
  elements: dict
deleted:
  description: The subnets whose routes were removed.
  returned: always
  type: list
  elements: str
masquerade:
  description: What happened to the masquerade rules (added, removed, or nothing).
  returned: always
  type: dict
restore_script:
  description: Whether the restore script was written or removed (in check mode, would be).
  returned: always
  type: bool
cni_config:
  description: Whether the CNI configuration was written (in check mode, would be).
  returned: always
  type: bool
"""

import json
import os
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import (
    CNI_CONF_FILE,
    CNI_CONF_MODE,
    cni_config,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_file import plan_content, render_json
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import (
    MASQUERADE_COMMENT,
    RESTORE_SCRIPT,
    ROUTE_PROTOCOL,
    PodNetworkError,
    masquerade_rule,
    restore_script,
    route_changes,
)


def _run(module, argv):
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg=f"{' '.join(argv)} failed: {err.strip() or out.strip()}", rc=rc)
    return out


def _our_masquerade_rules(module, iptables):
    """Our rules in nat POSTROUTING, each as the arguments after `-A POSTROUTING` (as `iptables -S` prints them,
    which is the order masquerade_rule gives)."""
    rules = []
    for line in _run(module, [iptables, "-t", "nat", "-S", "POSTROUTING"]).splitlines():
        words = shlex.split(line)
        if MASQUERADE_COMMENT in words and words[:2] == ["-A", "POSTROUTING"]:
            rules.append(words[2:])
    return rules


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write(module, path, text, mode=0o644):
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=directory, prefix=".pod-network.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(scratch, mode)
    module.atomic_move(scratch, path)


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "routes": {"type": "list", "elements": "dict", "default": []},
            "pod_cidr": {"type": "str"},
            "restore_script": {"type": "path", "default": RESTORE_SCRIPT},
            "pod_subnet": {"type": "str"},
            "cni_config_file": {"type": "path", "default": CNI_CONF_FILE},
        },
        required_if=[("state", "present", ["pod_cidr"])],
        supports_check_mode=True,
    )
    state = module.params["state"]
    # Without ip or iptables a host has none of our routes or rules to remove; to add them they are required.
    ip = module.get_bin_path("ip", required=state == "present")
    # The masquerade rule lives in the table of the pod range's family.
    family_v6 = state == "present" and ":" in (module.params["pod_cidr"] or "")
    iptables = module.get_bin_path("ip6tables" if family_v6 else "iptables", required=state == "present")
    current = json.loads(_run(module, [ip, "-j", "route", "show", "proto", str(ROUTE_PROTOCOL)]) or "[]") if ip else []
    try:
        changes = route_changes(current, module.params["routes"] if state == "present" else [])
        wanted_rule = masquerade_rule(module.params["pod_cidr"]) if state == "present" else None
        wanted_script = restore_script(module.params["routes"], module.params["pod_cidr"]) if wanted_rule else None
    except (PodNetworkError, KeyError, ValueError) as error:
        module.fail_json(msg=f"routes: {error}")
    cni_path = module.params["cni_config_file"]
    try:
        wanted_cni = cni_config(module.params["pod_subnet"]) if state == "present" and module.params["pod_subnet"] \
            else None
    except ValueError as error:
        module.fail_json(msg=f"pod_subnet: {error}")
    # Compared as kube_file compares: parsed, so key order and indentation are no change.
    cni_text = render_json(wanted_cni) if wanted_cni is not None else None
    cni_changed = wanted_cni is not None and plan_content(_read(cni_path), wanted_cni, cni_text).changed
    present_rules = _our_masquerade_rules(module, iptables) if iptables else []
    keep = wanted_rule is not None and wanted_rule in present_rules
    stale_rules = [rule for rule in present_rules if rule != wanted_rule]
    stale_rules += [wanted_rule] * max(0, present_rules.count(wanted_rule) - 1) if keep else []
    masquerade = {"added": wanted_rule is not None and not keep, "removed": len(stale_rules)}
    script_path = module.params["restore_script"]
    script_changed = _read(script_path) != wanted_script
    changed = bool(changes["replace"] or changes["delete"] or masquerade["added"] or stale_rules or script_changed
                   or cni_changed)
    waiting = {}
    if state == "present" and module.params["pod_subnet"] == "":
        waiting["msg"] = ("this node has no Node or no podCIDR yet: a run writes its pod network's configuration once "
                          "the controller-manager gives it one")
        if module.check_mode:
            changed = True  # what a run would do, once it may
        else:
            module.warn(waiting["msg"])
    if changed and not module.check_mode:
        if cni_changed:  # first: the node turns Ready with it, whatever the routes to the other nodes' pods
            _write(module, cni_path, cni_text, int(CNI_CONF_MODE, 8))
        for subnet in changes["delete"]:
            _run(module, [ip, "route", "del", subnet, "proto", str(ROUTE_PROTOCOL)])
        for route in changes["replace"]:
            _run(module, [ip, "route", "replace", route["subnet"], "via", route["via"], "proto", str(ROUTE_PROTOCOL)])
        for rule in stale_rules:
            _run(module, [iptables, "-t", "nat", "-D", "POSTROUTING", *rule])
        if masquerade["added"]:
            _run(module, [iptables, "-t", "nat", "-A", "POSTROUTING", *wanted_rule])
        if script_changed and wanted_script is None:
            os.remove(script_path)
        elif script_changed:
            _write(module, script_path, wanted_script)
    module.exit_json(changed=changed, replaced=changes["replace"], deleted=changes["delete"], masquerade=masquerade,
                     restore_script=script_changed, cni_config=cni_changed, **waiting)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_member
short_description: Add, promote or remove an etcd cluster member
description:
  - Manages one registration in an etcd v3 cluster's membership through the JSON gateway on the client port.
  - The member is found by O(name) once it has started, otherwise by one of its O(peer_urls), since etcd
    only learns a member's name when the member process starts.
  - New members are added as learners by default; O(state=promoted) turns a learner into a voting member,
    retrying while the learner catches up with the leader.
  - Needs only the Python standard library on the target host.
version_added: 0.1.0
author: curtain contributors
extends_documentation_fragment:
  - curtain.kube.etcd_client
options:
  endpoints:
    description: Client URLs of running members, tried in order until one answers.
    type: list
    elements: str
    required: true
  name:
    description: The member's name (etcd C(--name)). Matches a started member.
    type: str
  peer_urls:
    description:
      - The member's peer URLs. Matches a member that has not started yet, and is what gets registered when
        the member is added. Required for O(state=present) and O(state=promoted).
    type: list
    elements: str
  state:
    description:
      - V(present) adds the member if it is not registered.
      - V(promoted) also promotes it if it is a learner (adding it first, as a learner, if needed).
      - V(absent) removes the member found by O(name) or O(peer_urls), and the registration O(remove_id).
    type: str
    choices: [present, promoted, absent]
    default: present
  learner:
    description: Add the member as a learner (non-voting until promoted). Always true for O(state=promoted).
    type: bool
    default: true
  remove_id:
    description:
      - An exact member ID (decimal, or hex as etcdctl prints it) to remove before anything else, e.g. the old
        registration of a member whose data was lost. Nothing happens if that ID is no longer registered.
    type: str
  timeout:
    description:
      - Seconds to keep retrying what etcd refuses only for now, in all states.
      - Promoting a learner that has not caught up with the leader yet.
      - Removing a voting member while fewer voters than a quorum would remain that have been connected for
        5 seconds (etcd's quorum protection; it clears once a freshly started member has been up that long).
    type: int
    default: 60
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - In check mode an added member is shown with the ID C(0), as etcd assigns the real ID when it is added.
"""

EXAMPLES = r"""
- name: Register the new member as a learner before starting it
  curtain.kube.etcd_member:
    endpoints: ["https://10.0.0.1:2379", "https://10.0.0.2:2379"]
    ca_file: /etc/etcd/pki/ca.crt
    cert_file: /etc/etcd/pki/client.crt
    key_file: /etc/etcd/pki/client.key
    name: node3
    peer_urls: ["https://10.0.0.3:2380"]
    state: present

- name: Make it a voting member once it runs
  curtain.kube.etcd_member:
    endpoints: ["https://10.0.0.1:2379"]
    ca_file: /etc/etcd/pki/ca.crt
    cert_file: /etc/etcd/pki/client.crt
    key_file: /etc/etcd/pki/client.key
    name: node3
    peer_urls: ["https://10.0.0.3:2380"]
    state: promoted
    timeout: 120

- name: Remove a member
  curtain.kube.etcd_member:
    endpoints: ["https://10.0.0.1:2379"]
    ca_file: /etc/etcd/pki/ca.crt
    cert_file: /etc/etcd/pki/client.crt
    key_file: /etc/etcd/pki/client.key
    name: node3
    state: absent
"""

RETURN = r"""
member:
  description: The managed member after the change (empty for O(state=absent)).
  returned: always
  type: dict
  contains:
    id: {description: Member ID as a decimal string (C(0) for a member check mode would add)., type: str}
    hex_id: {description: Member ID in hex, as etcdctl shows it., type: str}
    name: {description: Name, empty until the member has started., type: str}
    peer_urls: {description: Peer URLs., type: list, elements: str}
    client_urls: {description: Client URLs, empty until the member has started., type: list, elements: str}
    is_learner: {description: Whether the member is a learner., type: bool}
    started: {description: Whether the member has started (has published its name)., type: bool}
  sample: {id: "10276657743932975437", hex_id: "8e9e05c52164694d", name: node3, is_learner: true, started: false,
           peer_urls: ["https://10.0.0.3:2380"], client_urls: []}
members:
  description: All members after the change, each like RV(member).
  returned: always
  type: list
  elements: dict
actions:
  description: The membership operations done (or, in check mode, that would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["add learner with peer URLs https://10.0.0.3:2380"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.etcd_api import (
    CONNECTION_ARGUMENT_SPEC,
    EtcdApiError,
    apply_member_changes,
    client_from_params,
)
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import (
    EtcdModelError,
    MemberChange,
    plan_member_changes,
)

ARGUMENT_SPEC = {
    "endpoints": {"type": "list", "elements": "str", "required": True},
    **CONNECTION_ARGUMENT_SPEC,
    "name": {"type": "str"},
    "peer_urls": {"type": "list", "elements": "str"},
    "state": {"type": "str", "choices": ["present", "promoted", "absent"], "default": "present"},
    "learner": {"type": "bool", "default": True},
    "remove_id": {"type": "str"},
    "timeout": {"type": "int", "default": 60},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_if=[("state", "present", ["peer_urls"]), ("state", "promoted", ["peer_urls"])],
        required_one_of=[("name", "peer_urls", "remove_id")],
    )
    params = module.params
    applied: list[MemberChange] = []
    try:
        client = client_from_params(params, params["endpoints"])
        plan = plan_member_changes(
            client.member_list(),
            name=params["name"],
            peer_urls=params["peer_urls"] or [],
            state=params["state"],
            learner=params["learner"],
            remove_id=params["remove_id"],
        )
        added = None
        if plan.changed and not module.check_mode:
            added = apply_member_changes(client, plan, retry_timeout=params["timeout"], applied=applied)
    except (EtcdApiError, EtcdModelError) as error:
        # A failure half-way (e.g. the promote timed out after the add) has still changed the cluster.
        module.fail_json(msg=str(error), changed=bool(applied), actions=[change.describe() for change in applied])
    module.exit_json(**plan.result(added))


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_member_info
short_description: Read an etcd cluster's members, per-endpoint health and version, and leader
description:
  - Asks each of O(endpoints) for its health, and the first one that can serve for the member list and leader.
  - Does not fail when no member answers (e.g. before the cluster is first bootstrapped). It returns
    RV(available=false) with the error of each endpoint instead, so a play can decide between bootstrapping
    and joining.
  - Needs only the Python standard library on the target host.
version_added: 0.1.0
author: curtain contributors
extends_documentation_fragment:
  - curtain.kube.etcd_client
options:
  endpoints:
    description: Client URLs of the members to ask.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for each request.
    type: int
    default: 5
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the cluster
  curtain.kube.etcd_member_info:
    endpoints: "{{ groups['etcd'] | map('extract', hostvars, '__etcd_client_url') | list }}"
    ca_file: /etc/etcd/pki/ca.crt
    cert_file: /etc/etcd/pki/client.crt
    key_file: /etc/etcd/pki/client.key
  register: __etcd_cluster

- name: Plan this member
  ansible.builtin.set_fact:
    __etcd_member_plan: >-
      {{ __etcd_member | curtain.kube.etcd_member_plan(has_data=__etcd_has_data,
         cluster_members=(__etcd_cluster.members if __etcd_cluster.available else none)) }}
"""

RETURN = r"""
available:
  description: Whether a member answered the member list.
  returned: always
  type: bool
members:
  description: The members (empty when not RV(available)).
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: Member ID as a decimal string., type: str}
    hex_id: {description: Member ID in hex, as etcdctl shows it., type: str}
    name: {description: Name, empty until the member has started., type: str}
    peer_urls: {description: Peer URLs., type: list, elements: str}
    client_urls: {description: Client URLs., type: list, elements: str}
    is_learner: {description: Whether the member is a learner., type: bool}
    started: {description: Whether the member has started., type: bool}
health:
  description: Per endpoint, whether C(/health) says healthy, and why not.
  returned: always
  type: dict
  sample: {"https://10.0.0.1:2379": {healthy: true, error: ""}}
versions:
  description: Per healthy endpoint, the etcd server version it runs (its maintenance status).
  returned: always
  type: dict
  sample: {"https://10.0.0.1:2379": "3.7.4"}
leader:
  description: ID of the leader (decimal string), as seen by the first healthy endpoint; null if none.
  returned: always
  type: str
leader_hex:
  description: RV(leader) in hex.
  returned: always
  type: str
errors:
  description: Per endpoint that is not healthy or did not answer, the error.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.etcd_api import (
    CONNECTION_ARGUMENT_SPEC,
    EtcdApiError,
    client_from_params,
    cluster_info,
)

ARGUMENT_SPEC = {
    "endpoints": {"type": "list", "elements": "str", "required": True},
    **CONNECTION_ARGUMENT_SPEC,
    "timeout": {"type": "int", "default": 5},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        client = client_from_params(module.params, module.params["endpoints"], request_timeout=module.params["timeout"])
    except EtcdApiError as error:  # unusable TLS files: a configuration error, not an unavailable cluster
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, **cluster_info(client))


if __name__ == "__main__":
    main()

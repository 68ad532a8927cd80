#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

DOCUMENTATION = r"""
module: listening_ports
short_description: Tell which processes listen on the given TCP ports
description:
  - Reads C(/proc/net/tcp), C(/proc/net/tcp6) and C(/proc/<pid>/fd) on the host. Never changes anything.
  - Preflight uses it to name the process that holds a port a component needs.
options:
  ports:
    description: TCP ports to look at.
    type: list
    elements: int
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: curtain contributors
"""

EXAMPLES = r"""
- name: Preflight | Look at the etcd ports
  curtain.kube.listening_ports:
    ports: [2379, 2380]
  register: __etcd_ports
"""

RETURN = r"""
ports:
  description: One entry per asked port, in the order asked.
  returned: always
  type: list
  elements: dict
  sample:
    - port: 2379
      listening: true
      pid: 4242
      process: etcd
      message: port 2379 is in use by etcd (pid 4242)
"""

from dataclasses import asdict

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.procnet import port_owners


def main() -> None:
    module = AnsibleModule(
        argument_spec={"ports": {"type": "list", "elements": "int", "required": True}},
        supports_check_mode=True,
    )
    owners = port_owners(module.params["ports"])
    module.exit_json(changed=False, ports=[dict(asdict(owner), message=owner.describe()) for owner in owners])


if __name__ == "__main__":
    main()

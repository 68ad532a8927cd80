#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_wait
short_description: Wait until an etcd member is healthy
description:
  - Polls the member's C(/health) until it reports healthy. With O(member_id) or O(name), also waits until the
    endpoint serves that member, the member has started, and (unless O(allow_learner)) it is a voting member.
  - On timeout, fails with the last error and, when O(container) is given, the last 20 lines of its
    C(docker logs), so the reason a member does not come up is in the play's output.
  - Never changes anything. In check mode it looks once and, if the member is not ready (its container may not
    exist yet, since check mode created nothing), returns RV(skipped_in_check_mode=true) instead of failing.
  - Needs only the Python standard library on the target host (and the docker CLI for O(container)).
version_added: 0.1.0
author: curtain contributors
extends_documentation_fragment:
  - curtain.kube.etcd_client
options:
  endpoint:
    description: The member's own client URL.
    type: str
    required: true
  timeout:
    description: Seconds to wait before failing.
    type: int
    default: 60
  container:
    description: Name of the member's container, whose last log lines are shown on failure.
    type: str
  member_id:
    description: The member ID (decimal, or hex as etcdctl prints it) the endpoint must serve.
    type: str
  name:
    description: The name the member must have published (so it has started).
    type: str
  allow_learner:
    description: Accept a learner when O(member_id) or O(name) is given (a new member before its promotion).
    type: bool
    default: false
  cluster_release:
    description:
      - Also wait until the cluster version the member reports, and from etcd 3.6 the storage version, reached this
        release's minor (C(3.7.4) waits for C(3.7.0)). etcd raises them some seconds after every member runs the
        new minor, so a rolling upgrade has finished only then.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Wait for the member to be healthy
  curtain.kube.etcd_wait:
    endpoint: https://10.0.0.3:2379
    ca_file: /etc/etcd/pki/ca.crt
    cert_file: /etc/etcd/pki/client.crt
    key_file: /etc/etcd/pki/client.key
    container: etcd
    name: node3
    allow_learner: true
    timeout: 120
"""

RETURN = r"""
healthy:
  description: Whether the member was found ready.
  returned: always
  type: bool
member:
  description: The member the endpoint serves, when O(member_id) or O(name) was given (see etcd_member_info).
  returned: when ready
  type: dict
skipped_in_check_mode:
  description: True when, in check mode, the member was not ready and the module did not wait.
  returned: in check mode, when the member was not ready
  type: bool
container_logs:
  description: The last lines of C(docker logs) of O(container).
  returned: on failure, when O(container) is given
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils import etcd_release
from ansible_collections.curtain.kube.plugins.module_utils.etcd_api import (
    CONNECTION_ARGUMENT_SPEC,
    EtcdApiError,
    client_from_params,
    member_readiness,
    wait_failure_message,
    wait_for_member,
)

ARGUMENT_SPEC = {
    "endpoint": {"type": "str", "required": True},
    **CONNECTION_ARGUMENT_SPEC,
    "timeout": {"type": "int", "default": 60},
    "container": {"type": "str"},
    "member_id": {"type": "str"},
    "name": {"type": "str"},
    "allow_learner": {"type": "bool", "default": False},
    "cluster_release": {"type": "str"},
}
LOG_LINES = 20


def container_logs(module: AnsibleModule, container: str) -> list[str]:
    docker = module.get_bin_path("docker")
    if docker is None:
        return ["(docker CLI not found: no container logs)"]
    rc, stdout, stderr = module.run_command([docker, "logs", "--tail", str(LOG_LINES), container])
    # etcd logs to stderr; `docker logs` replays each stream on its own, so keep the tail of both together.
    lines = (stdout + stderr).splitlines()[-LOG_LINES:]
    return lines if rc == 0 else [f"(docker logs {container} failed, rc={rc})", *lines]


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    endpoint = params["endpoint"]
    conditions = {key: params[key] for key in ("member_id", "name", "allow_learner", "cluster_release")}
    try:
        if params["cluster_release"] is not None:
            etcd_release.parse(params["cluster_release"], "cluster_release")
        # Short requests so that a hung endpoint still leaves time for further attempts within the timeout.
        client = client_from_params(params, [endpoint], request_timeout=min(5, max(1, params["timeout"])))
    except (EtcdApiError, etcd_release.EtcdReleaseError) as error:
        module.fail_json(msg=str(error))
    if module.check_mode:
        readiness = member_readiness(client, endpoint, **conditions)
        if not readiness.ready:
            module.exit_json(
                changed=False,
                healthy=False,
                skipped_in_check_mode=True,
                msg=f"not waiting in check mode for etcd at {endpoint} ({readiness.error}): "
                "its container may not exist yet",
            )
    else:
        readiness = wait_for_member(client, endpoint, timeout=params["timeout"], **conditions)
    if not readiness.ready:
        logs = container_logs(module, params["container"]) if params["container"] else None
        label = params["name"] or params["member_id"] or params["container"] or "(unnamed)"
        module.fail_json(
            msg=wait_failure_message(
                label, endpoint, params["timeout"], readiness.error, container=params["container"], logs=logs
            ),
            healthy=False,
            **({"container_logs": logs} if logs is not None else {}),
        )
    module.exit_json(
        changed=False,
        healthy=True,
        **({"member": readiness.member.to_dict()} if readiness.member else {}),
    )


if __name__ == "__main__":
    main()

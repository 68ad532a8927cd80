#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

DOCUMENTATION = r"""
module: host_survey
short_description: Describe a host the way curtain's preflight needs it, changing nothing
description:
  - One round trip per host. Reads the host's clock, the C(docker) CLI (C(docker version), C(docker ps -a)), the
    kernel release, loaded modules and filesystems, cgroup version and controllers, the sysctls kube-proxy depends
    on, active swap, the owners of the given TCP ports (with the Docker container an owner runs in), the given
    paths, whether the Engine has the given images, the given containers whole and what read-only commands in
    them say.
  - Never changes anything; C(changed) is always false and check mode runs the same reads.
  - The action plugin of the same name records the controller's clock just before and after the module ran, so
    that the controller can tell the host's clock skew (C(controller_time_before), C(controller_time_after)).
  - Decisions are not made here; C(playbooks/preflight.yml) evaluates the result on the controller
    (module_utils/preflight.py), and the etcd role its look at a member's host (module_utils/etcd_plan.py).
options:
  ports:
    description: TCP ports whose listening owner to name.
    type: list
    elements: int
    default: []
  paths:
    description:
      - Paths to describe. Files up to 1 MiB are hashed (C(sha256), and C(certificate_sha256) for a PEM
        certificate); directories are listed (C(entries)).
    type: list
    elements: path
    default: []
  json_files:
    description: Small JSON files (up to 64 KiB) to describe like I(paths) and also return parsed (C(json)), such as
      etcd's cluster marker.
    type: list
    elements: path
    default: []
  text_files:
    description: Small text files (up to 64 KiB) to describe like I(paths) and also return whole (C(text)), such as
      C(/etc/resolv.conf).
    type: list
    elements: path
    default: []
  images:
    description: Image references to look for in the Docker Engine (C(docker image inspect)).
    type: list
    elements: str
    default: []
  inspect:
    description:
      - Containers to describe whole (C(docker container inspect)), as M(community.docker.docker_container_info)
        does, such as a role's own container.
    type: list
    elements: str
    default: []
  execs:
    description:
      - Commands to run in running containers (C(docker exec)), each C({container, argv}), such as C(etcd --version)
        in the etcd member's container. They must only read, since the module runs them in check mode too.
    type: list
    elements: dict
    default: []
  request:
    description:
      - The options above (O(ports) to O(execs)) in one mapping, such as a role planner's survey request; an option
        given beside it wins. Read by the action plugin only.
    type: dict
  earlier:
    description:
      - A registered result of this module for the same host, made earlier in the run, after which nothing the
        caller looks at changed (C(site.yml) hands the preflight play's survey to the etcd and hyperkube_master
        roles). When it asked all this task asks, the action answers from it without contacting the host, keeping
        of its ports, paths, images, inspected containers and execs only those this task asks (C(reused) true);
        otherwise the module runs. Read by the action plugin only.
    type: dict
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: curtain contributors
"""

EXAMPLES = r"""
- name: Preflight | Survey the host
  curtain.kube.host_survey:
    ports: [2379, 2380]
    paths: [/var/lib/curtain/etcd/data/member, /etc/kubernetes/pki/ca.crt]
    json_files: [/var/lib/curtain/etcd/cluster.json]
  register: __preflight_survey
"""

RETURN = r"""
time:
  description: The host's clock (seconds since the epoch) when the module started.
  returned: always
  type: float
reused:
  description: Whether the answer came from O(earlier) rather than from the host.
  returned: always
  type: bool
request:
  description: What the survey that answered was asked (O(ports), O(paths), O(json_files), O(text_files),
    O(images), O(inspect), O(execs)), set by the action plugin; what O(earlier) is compared with.
  returned: always
  type: dict
controller_time_before:
  description: The controller's clock just before the module was sent (set by the action plugin).
  returned: always
  type: float
controller_time_after:
  description: The controller's clock just after the module returned (set by the action plugin).
  returned: always
  type: float
docker:
  description: The docker CLI and Engine.
  returned: always
  type: dict
  sample: {present: true, client_version: 28.2.2, server_version: 20.10.24+dfsg1, error: null}
containers:
  description: Every container (C(docker ps -a)), empty when the Engine does not answer.
  returned: always
  type: list
  elements: dict
  sample: [{id: 3f4e..., names: [curtain-etcd], state: running, image: curtain/etcd:3.5.1,
            labels: {io.curtain.managed-by: curtain, io.curtain.component: etcd}}]
kernel:
  description: Kernel release, whether it loads modules, which modules of interest are loaded or built in, and
    whether the overlay filesystem is available.
  returned: always
  type: dict
  sample: {release: 6.1.0-18-amd64, module_support: true, modules: [br_netfilter, overlay], builtin: [],
           filesystems: [overlay]}
cgroup:
  description: cgroup version (1 or 2) and the available controllers.
  returned: always
  type: dict
  sample: {version: 2, controllers: [cpu, io, memory, pids]}
sysctls:
  description: net.ipv4.ip_forward and net.bridge.bridge-nf-call-iptables; null where the key does not exist.
  returned: always
  type: dict
  sample: {net.ipv4.ip_forward: "1", net.bridge.bridge-nf-call-iptables: null}
swap:
  description: Active swap areas (/proc/swaps).
  returned: always
  type: dict
  sample: {active: true, areas: [{filename: /swapfile, type: file, size_kb: 1048572, used_kb: 0}]}
ports:
  description: One entry per asked port, in the order asked; C(container_id) is the owner's Docker container.
  returned: always
  type: list
  elements: dict
  sample:
    - {port: 2379, listening: true, pid: 4242, process: python3, container_id: null,
       message: port 2379 is in use by python3 (pid 4242)}
paths:
  description: Each asked path (I(paths), I(json_files) and I(text_files)) -> what is there.
  returned: always
  type: dict
  sample:
    /var/lib/curtain/etcd/cluster.json: {exists: true, type: file, mode: "0600", size: 80, link: false,
                                         sha256: 9f86..., certificate_sha256: null,
                                         json: {cluster_token: curtain-etcd}}
images:
  description: Each asked image reference -> whether the Engine has it, its ID, and the Engine's description of it
    (as M(community.docker.docker_image_info) returns it), or null where it has none.
  returned: always
  type: dict
  sample:
    curtain/etcd:3.6.7: {present: true, id: "sha256:0a1b...",
                         described: {Id: "sha256:0a1b...", RepoTags: ["curtain/etcd:3.6.7"],
                                     Config: {Labels: {io.curtain.artifact: "9f86..."}}}}
inspected:
  description: Each asked container -> the Engine's description of it (State, Config, HostConfig, ...), or null where
    there is no such container.
  returned: always
  type: dict
  sample:
    curtain-etcd: {Id: "0a1b...", State: {Running: true}, Config: {Labels: {io.curtain.config-hash: "9f86..."}}}
execs:
  description: Each asked container -> the command's C(rc), C(stdout) and C(stderr), or null where the container is
    not running (the inspect's State.Running where it was inspected, else its state in C(docker ps -a)).
  returned: always
  type: dict
  sample:
    curtain-etcd: {rc: 0, stdout: "etcd Version: 3.6.7\n...", stderr: ""}
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import survey


def main() -> None:
    started = time.time()
    module = AnsibleModule(
        argument_spec={
            "ports": {"type": "list", "elements": "int", "default": []},
            "paths": {"type": "list", "elements": "path", "default": []},
            "json_files": {"type": "list", "elements": "path", "default": []},
            "text_files": {"type": "list", "elements": "path", "default": []},
            "images": {"type": "list", "elements": "str", "default": []},
            "inspect": {"type": "list", "elements": "str", "default": []},
            "execs": {"type": "list", "elements": "dict", "default": [], "options": {
                "container": {"type": "str", "required": True},
                "argv": {"type": "list", "elements": "str", "required": True},
            }},
        },
        supports_check_mode=True,
    )
    docker_bin = module.get_bin_path("docker")

    def docker(args: list[str]) -> tuple[int, str, str]:
        return module.run_command([docker_bin, *args], environ_update={"LC_ALL": "C"})

    found = survey(
        ports=module.params["ports"],
        paths=module.params["paths"],
        json_files=module.params["json_files"],
        text_files=module.params["text_files"],
        images=module.params["images"],
        inspect=module.params["inspect"],
        execs=module.params["execs"],
        docker=docker if docker_bin else None,
    )
    module.exit_json(changed=False, time=started, **found)


if __name__ == "__main__":
    main()

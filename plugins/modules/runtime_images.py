#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

DOCUMENTATION = r"""
module: runtime_images
short_description: Copy images from the host's Docker Engine into the kubelet's containerd
description:
  - The modern kubelet runs its pods in containerd, inside the kubelet's container; the images reach the host's
    Docker Engine (from a registry, a bundle, binaries or a local build, see the artifacts role). This module copies
    each image containerd lacks (C(docker save) into C(ctr images import), pinned so that the kubelet's image garbage
    collection keeps it). An image containerd already has is left alone.
  - Waits up to O(timeout) seconds for containerd to answer first: it starts with the container.
options:
  images:
    description: Image references as the host's Docker Engine names them (repository:tag).
    type: list
    elements: str
    required: true
  kubelet_container:
    description: The container that runs the kubelet and containerd.
    type: str
    required: true
  address:
    description: containerd's socket inside that container.
    type: str
    default: /run/curtain/containerd/containerd.sock
  timeout:
    description: Seconds to wait for containerd to answer.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: curtain contributors
"""

EXAMPLES = r"""
- name: Kubelet | Copy the control plane's images into the runtime
  curtain.kube.runtime_images:
    images: [registry.k8s.io/kube-apiserver:v1.37.2]
    kubelet_container: curtain-kubelet
"""

RETURN = r"""
copied:
  description: The images copied (in check mode, that would be copied).
  returned: always
  type: list
  elements: str
"""

import shlex
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import images_to_copy


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "images": {"type": "list", "elements": "str", "required": True},
            "kubelet_container": {"type": "str", "required": True},
            "address": {"type": "str", "default": "/run/curtain/containerd/containerd.sock"},
            "timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    params = module.params
    docker = module.get_bin_path("docker", required=True)
    ctr = [docker, "exec", "-i", params["kubelet_container"], "ctr", "--address", params["address"], "-n", "k8s.io"]
    deadline = time.monotonic() + params["timeout"]
    while True:
        rc, stdout, stderr = module.run_command([*ctr, "images", "list", "--quiet"])
        if rc == 0:
            break
        if module.check_mode and "No such container" in stderr + stdout:
            # The container comes with this run: containerd will have none of the images.
            module.exit_json(changed=bool(params["images"]), copied=list(dict.fromkeys(params["images"])))
        if time.monotonic() > deadline:
            module.fail_json(msg=f"containerd in {params['kubelet_container']} did not answer within "
                                 f"{params['timeout']} s: {(stderr or stdout).strip()}")
        time.sleep(1)
    missing = images_to_copy(params["images"], stdout.split())
    if not module.check_mode:
        for image in missing:
            # A pipe between two docker commands, every argument quoted.
            command = (f"set -o pipefail; {shlex.quote(docker)} save {shlex.quote(image)} | "
                       f"{' '.join(shlex.quote(part) for part in ctr)} images import "
                       "--label io.cri-containerd.pinned=pinned -")
            rc, stdout, stderr = module.run_command(["bash", "-c", command])
            if rc != 0:
                module.fail_json(msg=f"copying {image} into containerd failed: {(stderr or stdout).strip()}")
    module.exit_json(changed=bool(missing), copied=missing)


if __name__ == "__main__":
    main()

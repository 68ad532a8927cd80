#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: health_wait
short_description: Wait until a component's HTTP(S) health endpoint answers healthy
description:
  - Polls O(url) until it answers with HTTP 200.
  - On timeout, fails naming O(component), the URL and the last error, with the last 20 lines of C(docker logs)
    of the component's container (found by name, or by the C(io.kubernetes.container.name) label the kubelet
    gives static pod containers).
  - Never changes anything. In check mode it looks once and, if the component is not healthy (check mode
    started nothing), returns RV(skipped_in_check_mode=true) instead of failing.
  - Needs only the Python standard library on the host (and the docker CLI for the logs).
version_added: 0.1.0
author: curtain contributors
options:
  component:
    description: Name of the component, for messages.
    type: str
    required: true
  url:
    description: The health URL, e.g. C(https://127.0.0.1:6443/readyz).
    type: str
    required: true
  ca_file:
    description: CA to verify the server with. Without it and with O(validate_certs=false), the server is not verified.
    type: path
  cert_file:
    description: Client certificate to present.
    type: path
  key_file:
    description: Key of O(cert_file).
    type: path
  validate_certs:
    description: Verify the server's certificate. The health ports of controller-manager and scheduler serve
      self-signed ones.
    type: bool
    default: true
  timeout:
    description: Seconds to wait before failing.
    type: int
    default: 120
  container:
    description: Name of the container whose logs are shown on failure.
    type: str
  docker_pod_container:
    description: Name of the pod container whose logs are shown on failure, as the seed's kubelet runs it in Docker
      (the newest Docker container named C(k8s_<name>.<hash>_<pod>_...); the 1.1 kubelet labels only the pod).
    type: str
  pod_container:
    description: Name of the pod container whose logs are shown on failure, found with C(crictl) in the runtime of
      O(kubelet_container) (the modern kubelet runs pods in containerd, inside its own container).
    type: str
  kubelet_container:
    description: The Docker container that runs the kubelet and its runtime, for O(pod_container).
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Wait for the apiserver
  curtain.kube.health_wait:
    component: kube-apiserver
    url: https://127.0.0.1:6443/readyz
    ca_file: /etc/kubernetes/pki/ca.crt
    cert_file: /etc/kubernetes/pki/admin.crt
    key_file: /etc/kubernetes/pki/admin.key
    docker_pod_container: apiserver
"""

RETURN = r"""
healthy:
  description: Whether the endpoint answered healthy.
  returned: always
  type: bool
body:
  description: The healthy answer's body (e.g. C(ok)).
  returned: when healthy
  type: str
skipped_in_check_mode:
  description: True when, in check mode, the component was not healthy and the module did not wait.
  returned: in check mode, when not healthy
  type: bool
container_logs:
  description: The last lines of the container's logs.
  returned: on failure, when O(container) or O(docker_pod_container) finds a container
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.health import failure_message, probe, tls_context, wait

LOG_LINES = 20


def container_logs(module: AnsibleModule, name: str | None, pod_container: str | None) -> list[str] | None:
    docker = module.get_bin_path("docker")
    if docker is None or not (name or pod_container):
        return None
    if not name:
        rc, stdout, _ = module.run_command(
            [docker, "ps", "-a", "--latest", "--filter", f"name=^k8s_{pod_container}\\.", "--format", "{{.Names}}"]
        )
        name = stdout.strip()
        if rc != 0 or not name:
            return [f"(no container k8s_{pod_container}.*: the kubelet has not started it)"]
    rc, stdout, stderr = module.run_command([docker, "logs", "--tail", str(LOG_LINES), name])
    lines = (stdout + stderr).splitlines()[-LOG_LINES:]
    return lines if rc == 0 else [f"(docker logs {name} failed, rc={rc})", *lines]


def pod_container_logs(module: AnsibleModule, kubelet_container: str, name: str) -> list[str] | None:
    docker = module.get_bin_path("docker")
    if docker is None:
        return None
    crictl = [docker, "exec", kubelet_container, "crictl"]
    rc, stdout, _ = module.run_command([*crictl, "ps", "-a", "--latest", "--quiet", "--name", f"^{name}$"])
    found = stdout.strip()
    if rc != 0 or not found:
        return [f"(no container {name} in the runtime of {kubelet_container}: the kubelet has not started it)"]
    rc, stdout, stderr = module.run_command([*crictl, "logs", "--tail", str(LOG_LINES), found])
    lines = (stdout + stderr).splitlines()[-LOG_LINES:]
    return lines if rc == 0 else [f"(crictl logs {name} in {kubelet_container} failed, rc={rc})", *lines]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "component": {"type": "str", "required": True},
            "url": {"type": "str", "required": True},
            "ca_file": {"type": "path"},
            "cert_file": {"type": "path"},
            "key_file": {"type": "path"},
            "validate_certs": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 120},
            "container": {"type": "str"},
            "docker_pod_container": {"type": "str"},
            "pod_container": {"type": "str"},
            "kubelet_container": {"type": "str"},
        },
        required_together=[("cert_file", "key_file")],
        supports_check_mode=True,
    )
    params = module.params
    context = None
    if params["url"].startswith("https://"):
        try:
            context = tls_context(params["ca_file"], params["cert_file"], params["key_file"], params["validate_certs"])
        except (OSError, ValueError) as error:
            module.fail_json(msg=f"{params['component']}: cannot use the TLS files for {params['url']}: {error}")
    request_timeout = min(5, max(1, params["timeout"]))

    def check():
        return probe(params["url"], context, request_timeout)

    result = check() if module.check_mode else wait(check, params["timeout"])
    if not result.healthy and module.check_mode:
        module.exit_json(changed=False, healthy=False, skipped_in_check_mode=True,
                         msg=f"not waiting in check mode for {params['component']} at {params['url']}: {result.detail}")
    if not result.healthy:
        if params["pod_container"] and params["kubelet_container"]:
            logs = pod_container_logs(module, params["kubelet_container"], params["pod_container"])
        else:
            logs = container_logs(module, params["container"], params["docker_pod_container"])
        module.fail_json(msg=failure_message(params["component"], params["url"], params["timeout"], result, logs),
                         healthy=False, **({"container_logs": logs} if logs is not None else {}))
    module.exit_json(changed=False, healthy=True, body=result.detail)


if __name__ == "__main__":
    main()

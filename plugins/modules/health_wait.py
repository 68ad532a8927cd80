#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: health_wait
short_description: Wait until components' HTTP(S) health endpoints answer healthy
description:
  - Polls each of O(endpoints), in order, until it answers with HTTP 200; a role's components in one module run.
  - On timeout, fails naming the component, the URL and the last error, with the last 20 lines of C(docker logs)
    of the component's container (found by name, or by the C(io.kubernetes.container.name) label the kubelet
    gives static pod containers), and looks no further unless O(keep_going).
  - Never changes anything. In check mode it looks once at each and, for a component that is not healthy (check mode
    started nothing), says RV(endpoints[].skipped_in_check_mode=true) instead of failing.
  - Needs only the Python standard library on the host (and the docker CLI for the logs).
version_added: 0.1.0
author: curtain contributors
options:
  endpoints:
    description: The endpoints, in the order to wait for them.
    type: list
    elements: dict
    required: true
    suboptions:
      component:
        description: Name of the component, for messages.
        type: str
        required: true
      url:
        description: The health URL, e.g. C(https://127.0.0.1:6443/readyz).
        type: str
        required: true
      ca_file:
        description: CA to verify the server with. Without it and with O(endpoints[].validate_certs=false), the server
          is not verified.
        type: path
      cert_file:
        description: Client certificate to present.
        type: path
      key_file:
        description: Key of O(endpoints[].cert_file).
        type: path
      validate_certs:
        description: Verify the server's certificate. The health ports of controller-manager and scheduler serve
          self-signed ones.
        type: bool
        default: true
      container:
        description: Name of the container whose logs are shown on failure.
        type: str
      docker_pod_container:
        description: Name of the pod container whose logs are shown on failure, as the seed's kubelet runs it in
          Docker (the newest Docker container named C(k8s_<name>.<hash>_<pod>_...); the 1.1 kubelet labels only the
          pod).
        type: str
      pod_container:
        description: Name of the pod container whose logs are shown on failure, found with C(crictl) in the runtime of
          O(endpoints[].kubelet_container) (the modern kubelet runs pods in containerd, inside its own container).
        type: str
      kubelet_container:
        description: The Docker container that runs the kubelet and its runtime, for O(endpoints[].pod_container).
        type: str
  timeout:
    description: Seconds to wait for each endpoint before failing.
    type: int
    default: 120
  keep_going:
    description: Look at every endpoint even after one failed (site.yml's summary), and fail at the end.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Wait for the kubelet, then the apiserver
  curtain.kube.health_wait:
    endpoints:
      - component: kubelet
        url: http://127.0.0.1:10248/healthz
        container: curtain-kubelet
      - component: kube-apiserver
        url: https://127.0.0.1:6443/readyz
        ca_file: /etc/kubernetes/pki/ca.crt
        cert_file: /etc/kubernetes/pki/admin.crt
        key_file: /etc/kubernetes/pki/admin.key
        pod_container: kube-apiserver
        kubelet_container: curtain-kubelet
"""

RETURN = r"""
healthy:
  description: Whether every endpoint looked at answered healthy.
  returned: always
  type: bool
endpoints:
  description: One entry per endpoint looked at, in order.
  returned: always
  type: list
  elements: dict
  contains:
    component:
      description: The component.
      type: str
    url:
      description: The URL.
      type: str
    healthy:
      description: Whether it answered healthy.
      type: bool
    detail:
      description: The healthy answer's body (e.g. C(ok)), or why it is not healthy.
      type: str
    skipped_in_check_mode:
      description: True when, in check mode, the component was not healthy and the module did not wait.
      type: bool
    container_logs:
      description: The last lines of the container's logs, when it is not healthy and a container was found.
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


ENDPOINT_OPTIONS = {
    "component": {"type": "str", "required": True},
    "url": {"type": "str", "required": True},
    "ca_file": {"type": "path"},
    "cert_file": {"type": "path"},
    "key_file": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
    "container": {"type": "str"},
    "docker_pod_container": {"type": "str"},
    "pod_container": {"type": "str"},
    "kubelet_container": {"type": "str"},
}


def look(module: AnsibleModule, endpoint: dict, timeout: int) -> dict:
    """Wait for one endpoint (look once in check mode); its entry in RV(endpoints), with `message` on failure."""
    where = {"component": endpoint["component"], "url": endpoint["url"]}
    context = None
    if endpoint["url"].startswith("https://"):
        try:
            context = tls_context(endpoint["ca_file"], endpoint["cert_file"], endpoint["key_file"],
                                  endpoint["validate_certs"])
        except (OSError, ValueError) as error:
            return {**where, "healthy": False, "detail": f"cannot use the TLS files: {error}",
                    "message": f"{endpoint['component']}: cannot use the TLS files for {endpoint['url']}: {error}"}
    request_timeout = min(5, max(1, timeout))

    def check():
        return probe(endpoint["url"], context, request_timeout)

    result = check() if module.check_mode else wait(check, timeout)
    if result.healthy:
        return {**where, "healthy": True, "detail": result.detail}
    if module.check_mode:
        return {**where, "healthy": False, "detail": result.detail, "skipped_in_check_mode": True}
    if endpoint["pod_container"] and endpoint["kubelet_container"]:
        logs = pod_container_logs(module, endpoint["kubelet_container"], endpoint["pod_container"])
    else:
        logs = container_logs(module, endpoint["container"], endpoint["docker_pod_container"])
    return {**where, "healthy": False, "detail": result.detail,
            "message": failure_message(endpoint["component"], endpoint["url"], timeout, result, logs),
            **({"container_logs": logs} if logs is not None else {})}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "endpoints": {"type": "list", "elements": "dict", "required": True, "options": ENDPOINT_OPTIONS,
                          "required_together": [("cert_file", "key_file")]},
            "timeout": {"type": "int", "default": 120},
            "keep_going": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    looked = []
    for endpoint in module.params["endpoints"]:
        looked.append(look(module, endpoint, module.params["timeout"]))
        if "message" in looked[-1] and not module.params["keep_going"]:
            break
    failures = [entry.pop("message") for entry in looked if "message" in entry]
    healthy = all(entry["healthy"] for entry in looked)
    if failures:
        module.fail_json(msg="\n".join(failures), healthy=False, endpoints=looked)
    skipped = [entry["component"] for entry in looked if entry.get("skipped_in_check_mode")]
    module.exit_json(changed=False, healthy=healthy, endpoints=looked,
                     **({"msg": f"not waiting in check mode for {', '.join(skipped)}"} if skipped else {}))


if __name__ == "__main__":
    main()

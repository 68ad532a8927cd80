"""What a cluster's user sees, for every scenario's verify: the real kubectl of a pinned version, run on this machine
(the controller) with the admin kubeconfig the role wrote, and the pods' containers in the kubelet's containerd.

The Makefile exports CURTAIN_TEST_KUBECTL (the default version's kubectl) and CURTAIN_TEST_KUBECTL_V<MAJOR>_<MINOR>
(the others'), built by scripts/build_components.py. Nothing here is skipped when they are missing: a missing
kubectl fails the test that needs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

KUBELET_CONTAINER = "curtain-kubelet"
CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
WORKLOAD = "http-echo"
REGISTRY = os.environ.get("CURTAIN_TEST_REGISTRY", "172.17.0.1:5000")


def kubectl_path(version: str | None = None) -> str:
    """The kubectl of `version` ("v1.36.3"), or of the default version."""
    variable = "CURTAIN_TEST_KUBECTL"
    if version:
        suffix = "_V" + "_".join(version.lstrip("v").split(".")[:2])
        variable = variable + suffix if os.environ.get(variable + suffix) else variable
    path = os.environ.get(variable)
    assert path and Path(path).is_file(), f"{variable} names no kubectl (run the scenario through make molecule)"
    return path


class Kubectl:
    def __init__(self, kubeconfig: Path, version: str | None = None) -> None:
        self.kubeconfig = kubeconfig
        self.binary = kubectl_path(version)

    def run(self, *args: str, stdin: str | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.binary, "--kubeconfig", str(self.kubeconfig), *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check:
            assert proc.returncode == 0, f"kubectl {' '.join(args)}: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def apply(self, *documents: dict) -> None:
        self.run("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(documents)}))

    def can_i(self, verb: str, resource: str, user: str, groups: tuple[str, ...] = (),
              namespace: str | None = None) -> bool:
        """`kubectl auth can-i` as another identity (the admin may impersonate). A resource written as
        `nodes/proxy` means the subresource (kubectl itself would read it as the node named proxy)."""
        resource, _, subresource = resource.partition("/")
        args = ["auth", "can-i", verb, resource, f"--as={user}", *[f"--as-group={group}" for group in groups]]
        args += [f"--subresource={subresource}"] if subresource else []
        args += ["--namespace", namespace] if namespace else ["--all-namespaces"]
        answer = self.run(*args, check=False)
        verdict = answer.stdout.split(" ", 1)[0].strip()  # "no - <the authorizer's reason>"
        assert verdict in ("yes", "no"), answer.stdout + answer.stderr
        return verdict == "yes"


def wait_for(condition, timeout: float, what: str, interval: float = 2):
    """Poll `condition` until it returns something true; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout} s (last: {value!r})"
        time.sleep(interval)


def node_ready(kubectl: Kubectl, name: str) -> dict | None:
    node = kubectl.run("get", "node", name, "-o", "json", check=False)
    if node.returncode != 0:
        return None
    data = json.loads(node.stdout)
    ready = [c for c in data["status"].get("conditions", []) if c["type"] == "Ready" and c["status"] == "True"]
    return data if ready else None


def mirror_pods(kubectl: Kubectl, node: str) -> dict[str, dict]:
    """The control plane's mirror pods on `node`, by component."""
    pods = kubectl.json("get", "pods", "-n", "kube-system", "--field-selector", f"spec.nodeName={node}")["items"]
    return {component: pod for pod in pods for component in CONTROL_PLANE
            if pod["metadata"]["name"] == f"{component}-{node}"}


def restart_counts(pods: dict[str, dict]) -> dict[str, int]:
    return {name: sum(status.get("restartCount", 0) for status in pod["status"].get("containerStatuses", []))
            for name, pod in pods.items()}


def last_exits(pods: dict[str, dict]) -> dict[str, dict]:
    """Each restarted container's last exit (reason, exit code, when), by component: what a failed restart
    comparison prints, so that a CI log says why a component restarted."""
    return {name: status["lastState"]["terminated"] for name, pod in pods.items()
            for status in pod["status"].get("containerStatuses", [])
            if (status.get("lastState") or {}).get("terminated")}


def _echo(kind: str, name: str, digest: str, container: str, spec: dict) -> list[dict]:
    """A controller (`kind`, with `spec` added to its spec) of our http-echo image, pulled by containerd from the test
    registry, and its ClusterIP Service."""
    labels = {"app": name}
    controller = {
        "apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": "default"},
        "spec": {**spec, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{
                "name": container, "image": f"{REGISTRY}/curtain/http-echo@{digest}",
                "args": [f"-message=hello from {name}"], "ports": [{"containerPort": 8080}],
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 2},
            }]},
        }},
    }
    service = {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    return [controller, service]


def workload(name: str, digest: str, replicas: int = 1) -> list[dict]:
    """A Deployment of http-echo and its ClusterIP Service."""
    return _echo("Deployment", name, digest, WORKLOAD, {"replicas": replicas})


def echo_daemonset(name: str, digest: str) -> list[dict]:
    """An http-echo DaemonSet (a pod on every node that takes workloads) and its ClusterIP Service."""
    return _echo("DaemonSet", name, digest, name, {})


def ready_pods(kubectl: Kubectl, app: str) -> list[dict]:
    """The Ready pods labelled app=`app` in the default namespace."""
    return [pod for pod in kubectl.json("get", "pods", "-n", "default", "-l", f"app={app}")["items"]
            if any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))]


def by_node(pods: list[dict]) -> dict[str, dict]:
    """Pods by the node they run on (one each, as a DaemonSet's)."""
    return {pod["spec"]["nodeName"]: pod for pod in pods}


def echo_on_every_node(kubectl: Kubectl, name: str, nodes: tuple[str, ...]) -> dict[str, dict]:
    """Apply the http-echo DaemonSet `name` and wait for its Ready pod on each of `nodes`; those pods, by node."""
    kubectl.apply(*echo_daemonset(name, os.environ["CURTAIN_TEST_DIGEST_HTTP_ECHO"]))

    def ready() -> dict[str, dict] | None:
        found = by_node(ready_pods(kubectl, name))
        return found if sorted(found) == sorted(nodes) else None

    return wait_for(ready, 240, f"a Ready {name} pod on each of {', '.join(nodes)}")


GET = r"""
import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
except Exception as error:
    print(f"failed: {error}")
    sys.exit(3)
"""


def http_get_from(host, url: str) -> str:
    """GET `url` from the test host itself (a ClusterIP answers there through kube-proxy's rules)."""
    result = host.run("python3 -c %s %s", GET, url)
    return result.stdout if result.rc == 0 else ""


def pod_containers(host, name: str, kubelet_container: str = KUBELET_CONTAINER) -> list[str]:
    """IDs of the running containers named `name` in the kubelet's containerd (the static pods live there)."""
    return host.check_output("docker exec %s crictl ps --quiet --name %s", kubelet_container, f"^{name}$").split()

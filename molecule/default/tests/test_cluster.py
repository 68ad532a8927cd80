"""The converged site as a cluster's user sees it, with the real kubectl of the pinned version and the admin
kubeconfig from the controller: versions, the node Ready, the control plane's mirror pods, a workload of our own with
its logs, exec and a ClusterIP Service answering through kube-proxy's rules, and what each identity may do.

Runs first (file order): the restart counts it records here are compared by the last test of the scenario
(test_site.py), after the Docker Engine restart and the kube-proxy moves."""

from __future__ import annotations

import json
import os
import re

import pytest
from kube import (
    CONTROL_PLANE,
    WORKLOAD,
    Kubectl,
    http_get_from,
    mirror_pods,
    node_ready,
    pod_containers,
    restart_counts,
    wait_for,
    workload,
)
from site_host import HOST, INVENTORY_DIR, RESTARTS_FILE, host


@pytest.fixture(scope="module")
def kubectl() -> Kubectl:
    return Kubectl(INVENTORY_DIR / "artifacts/admin.conf")


@pytest.fixture(scope="module")
def since() -> str:
    """When this module's checks began, by the host's clock: the logs test reads the components' logs from here."""
    return host().check_output("date -u +%Y-%m-%dT%H:%M:%SZ")


def test_kubectl_and_the_apiserver_report_the_pinned_version(kubectl: Kubectl, since: str) -> None:
    versions = kubectl.json("version")
    assert versions["clientVersion"]["gitVersion"] == "v1.37.2"
    assert versions["serverVersion"]["gitVersion"] == "v1.37.2"


def test_the_master_is_a_ready_node_running_the_pinned_kubelet_on_containerd(kubectl: Kubectl) -> None:
    node = wait_for(lambda: node_ready(kubectl, HOST), 120, f"node {HOST} Ready")
    info = node["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.37.2"
    assert info["containerRuntimeVersion"] == "containerd://2.3.7"
    assert node["spec"]["podCIDR"].startswith("10.244.")


def test_the_control_plane_runs_as_mirror_pods(kubectl: Kubectl) -> None:
    pods = wait_for(lambda: (found := mirror_pods(kubectl, HOST)) and len(found) == 3
                    and all(pod["status"]["phase"] == "Running" for pod in found.values()) and found,
                    120, "three Running mirror pods")
    for component, pod in pods.items():
        assert "kubernetes.io/config.mirror" in pod["metadata"]["annotations"], component
        registry = os.environ["CURTAIN_TEST_REGISTRY"]
        assert pod["spec"]["containers"][0]["image"].startswith(f"{registry}/curtain/{component}:"), component
    RESTARTS_FILE.write_text(json.dumps(restart_counts(pods)))


def test_a_deployment_of_our_image_becomes_available_and_its_service_answers_from_the_host(kubectl: Kubectl) -> None:
    kubectl.apply(*workload("echo", os.environ["CURTAIN_TEST_DIGEST_HTTP_ECHO"], replicas=2))
    kubectl.run("rollout", "status", "deployment/echo", "--timeout=180s", timeout=200)
    service = kubectl.json("get", "service", "echo")
    answer = wait_for(lambda: http_get_from(host(), f"http://{service['spec']['clusterIP']}/"), 60,
                      "the ClusterIP answering from the host")
    assert answer.startswith("hello from echo\nhost echo-")
    # The answer came through kube-proxy's rules for that address (iptables mode, the profile's default).
    rules = host().check_output("iptables-save -t nat")
    assert f"-d {service['spec']['clusterIP']}/32" in rules and "KUBE-SVC-" in rules


def test_logs_and_exec_reach_the_pod_through_the_kubelet(kubectl: Kubectl) -> None:
    logs = kubectl.run("logs", "deployment/echo").stdout
    assert "http-echo listening on :8080" in logs
    # The image has no shell; running its binary again with a bad address proves the exec reached the container.
    run = kubectl.run("exec", "deployment/echo", "--", f"/{WORKLOAD}", "-listen", "no-port", check=False)
    assert run.returncode == 1 and "missing port in address" in run.stdout + run.stderr



# Runs on the host: the subject alternative names of the certificate served at argv[1]:argv[2], verified against the
# cluster CA for that address (an exception, and a non-zero exit, when it does not verify).
SERVED_SANS = r"""
import json, socket, ssl, sys
context = ssl.create_default_context(cafile="/etc/kubernetes/pki/ca.crt")
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as raw:
    with context.wrap_socket(raw, server_hostname=sys.argv[1]) as tls:
        print(json.dumps([value for _, value in tls.getpeercert()["subjectAltName"]]))
"""


def test_the_kubelet_serves_at_the_node_ip_the_address_its_certificate_names(kubectl: Kubectl) -> None:
    """The apiserver reaches the kubelet (logs, exec) at the node's InternalIP and verifies it against the cluster
    CA: that IP must be the host's address, and the kubelet's serving certificate must name it."""
    node = kubectl.json("get", "node", HOST)
    internal = [address["address"] for address in node["status"]["addresses"] if address["type"] == "InternalIP"]
    facts = host().ansible("setup", "filter=ansible_default_ipv4")["ansible_facts"]
    assert internal == [facts["ansible_default_ipv4"]["address"]]
    sans = json.loads(host().check_output("python3 -c %s %s 10250", SERVED_SANS, internal[0]))
    assert internal[0] in sans and HOST in sans

# (identity, groups, verb, resource, namespace, allowed): what each client of the control plane may do, checked against
# the real authorizers (Node, RBAC); each gets what it needs and no more than upstream gives it.
NODE = (f"system:node:{HOST}", ("system:nodes",))
CAN_I = [
    (*NODE, "watch", "services", None, True),
    (*NODE, "update", "nodes/status", None, True),
    (*NODE, "list", "secrets", None, False),  # the Node authorizer gives a node only its own pods' secrets
    (*NODE, "create", "namespaces", None, False),
    ("system:kube-controller-manager", (), "get", "leases.coordination.k8s.io", "kube-system", True),
    ("system:kube-controller-manager", (), "create", "deployments.apps", "default", False),
    ("system:kube-scheduler", (), "create", "pods/binding", "default", True),
    ("system:kube-scheduler", (), "list", "secrets", None, False),
    ("system:kube-proxy", (), "watch", "endpointslices.discovery.k8s.io", None, True),
    ("system:kube-proxy", (), "list", "services", None, True),
    ("system:kube-proxy", (), "get", "secrets", None, False),
    ("kube-apiserver-kubelet-client", (), "get", "nodes/log", None, True),  # kubectl logs
    ("kube-apiserver-kubelet-client", (), "create", "nodes/proxy", None, True),  # kubectl exec, port-forward
    ("kube-apiserver-kubelet-client", (), "get", "pods", None, False),
    ("kube-apiserver-kubelet-client", (), "get", "secrets", None, False),
    ("kubernetes-admin", ("system:masters",), "delete", "nodes", None, True),
]


@pytest.mark.parametrize(("user", "groups", "verb", "resource", "namespace", "allowed"), CAN_I)
def test_each_identity_may_do_what_it_needs_and_no_more(kubectl: Kubectl, user: str, groups: tuple[str, ...],
                                                       verb: str, resource: str, namespace: str | None,
                                                       allowed: bool) -> None:
    assert kubectl.can_i(verb, resource, user, groups, namespace) is allowed


def test_the_control_plane_components_run_from_the_pinned_images() -> None:
    names = host().check_output("docker exec curtain-kubelet crictl ps --output json")
    running = {container["metadata"]["name"] for container in json.loads(names)["containers"]}
    assert set(CONTROL_PLANE) <= running


# What the components may log while the cluster is used, and why, each as the parts a line must all hold; anything
# else that names Forbidden, x509 or a failure fails the test below.
ALLOWED_LOG_LINES = (
    # containerd 2.3 reports no image filesystem label; the kubelet falls back to the node filesystem.
    ("no imagefs label for configured runtime",),
    # A race upstream (kubernetes/kubernetes#113429): the Node authorizer learns which pods are on which node from an
    # informer, and the kubelet's first status read of a pod just bound to it can come first. The status manager
    # reads it again at its next sync; the rollout above saw the pods Available.
    ('status_manager.go', '"Failed to get status for pod"', "no relationship found between node"),
    # The same race's other face (kubernetes/kubernetes#135175): the kubelet's watch of a new pod's kube-root-ca.crt
    # (its service account volume) is refused until the authorizer's graph has the pod. The volume's mount waits one
    # second for that watch (pkg/kubelet/util/manager/watch_based_manager.go), fails, and is retried with a backoff.
    ('"Failed to watch"', 'reflector="object-\\"default\\"/\\"kube-root-ca.crt\\""',
     "no relationship found between node"),
    ("Couldn't get configMap default/kube-root-ca.crt: failed to sync configmap cache: timed out waiting for the "
     "condition",),
    ('MountVolume.SetUp failed for volume "kube-api-access-',
     "failed to sync configmap cache: timed out waiting for the condition"),
    # The apiserver writing an event to a watch whose client has just gone (kubectl rollout status, done waiting).
    ("watch.go", '"Failed to encode watch event"', 'err="http2: stream closed"'),
)
LOG_PROBLEMS = re.compile(r"forbidden|x509|failed to", re.IGNORECASE)


def test_no_component_logged_forbidden_x509_or_failures_while_the_cluster_was_used(since: str) -> None:
    """Runs after the checks above (file order), which used every component: apiserver, controller-manager (the
    Deployment), scheduler (its pods), kubelet (logs, exec), kube-proxy (the Service)."""
    logs = {name: host().check_output("docker logs --since %s %s 2>&1", since, name)
            for name in ("curtain-kubelet", "curtain-kube-proxy")}
    for component in CONTROL_PLANE:
        [container] = pod_containers(host(), component)
        logs[component] = host().check_output("docker exec curtain-kubelet crictl logs --since %s %s 2>&1", since,
                                              container)
    problems = {name: [line for line in text.splitlines() if LOG_PROBLEMS.search(line)
                       and not any(all(part in line for part in allowed) for allowed in ALLOWED_LOG_LINES)]
                for name, text in logs.items()}
    if any(problems.values()):  # whole lines: pytest cuts a long assertion message short
        pytest.fail("\n".join(f"{name}: {line}" for name, lines in problems.items() for line in lines[:5]),
                    pytrace=False)

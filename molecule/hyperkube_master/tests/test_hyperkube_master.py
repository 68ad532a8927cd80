"""The control plane of both profiles, seen through its interfaces: the real kubectl with the admin kubeconfig, health
endpoints over TLS, file modes, mounts, ptys, and a one-flag change that restarts one pod."""

from __future__ import annotations

import json
import os
import time
from functools import cache
from pathlib import Path

import pytest
import testinfra
from conftest import changed_tasks, run_playbook, run_playbook_document, task_names
from kube import REGISTRY, Kubectl, mirror_pods, node_ready, wait_for

MODERN, MODERN_2, SEED = "curtain-master-modern", "curtain-master-modern-2", "curtain-master-seed"
ADMIN_KUBECONFIG = Path(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent")).parent / "artifacts/admin.conf"
HTTP_GET = r"""
import ssl, sys, urllib.request
context = ssl._create_unverified_context()
try:
    print(urllib.request.urlopen(sys.argv[1], context=context, timeout=10).read().decode())
except Exception as error:
    print(f"failed: {error}")
    sys.exit(3)
"""


@cache
def node(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def get(name: str, url: str) -> str:
    result = node(name).run("python3 -c %s %s", HTTP_GET, url)
    assert result.rc == 0, f"{name} {url}: {result.stdout}"
    return result.stdout.strip()


def containers(name: str) -> list[dict]:
    return json.loads(node(name).check_output("docker inspect $(docker ps -q)"))


def test_modern_apiserver_is_ready_for_the_admin_kubeconfig_and_both_masters_are_ready_nodes() -> None:
    assert ADMIN_KUBECONFIG.stat().st_mode & 0o777 == 0o600
    kubectl = Kubectl(ADMIN_KUBECONFIG)
    assert kubectl.run("get", "--raw", "/readyz").stdout == "ok"
    for name in (MODERN, MODERN_2):
        found = wait_for(lambda name=name: node_ready(kubectl, name), 120, f"node {name} Ready")
        assert found["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.2"
        # A mirror pod's phase follows the kubelet's status updates, which a node that has just turned Ready (its
        # pod network came with its podCIDR) may not have sent yet: wait for Running, as default's test does.
        pods = wait_for(lambda name=name: len(found := mirror_pods(kubectl, name)) == 3
                        and all(pod["status"]["phase"] == "Running" for pod in found.values()) and found, 120,
                        f"the three mirror pods of {name} Running")
        assert set(pods) == {"kube-apiserver", "kube-controller-manager", "kube-scheduler"}, name


@pytest.mark.parametrize("name", [MODERN, MODERN_2])
def test_modern_component_health_ports(name: str) -> None:
    assert get(name, "http://127.0.0.1:10248/healthz") == "ok"
    assert get(name, "https://127.0.0.1:10257/healthz") == "ok"
    assert get(name, "https://127.0.0.1:10259/healthz") == "ok"


def test_the_second_master_reaches_etcd_on_the_first_over_tls() -> None:
    etcd_address = node(MODERN).check_output("hostname -i").split()[0]
    manifest = node(MODERN_2).check_output("cat /etc/kubernetes/manifests/kube-apiserver.yaml")
    assert f"--etcd-servers=https://{etcd_address}:2379" in manifest
    # Ready means the apiserver wrote to etcd and read it back, with its etcd client certificate.
    ready = node(MODERN_2).run(
        "python3 -c %s", "import ssl, urllib.request; p = '/etc/kubernetes/pki/'; "
        "c = ssl.create_default_context(cafile=p + 'ca.crt'); c.load_cert_chain(p + 'admin.crt', p + 'admin.key'); "
        "print(urllib.request.urlopen('https://127.0.0.1:6443/readyz', context=c, timeout=10).read().decode())")
    assert ready.rc == 0 and ready.stdout.strip() == "ok", ready.stdout + ready.stderr


def test_modern_apiserver_refuses_a_client_without_a_certificate() -> None:
    result = node(MODERN).run("python3 -c %s %s", HTTP_GET, "https://127.0.0.1:6443/api")
    assert result.rc == 3 and ("401" in result.stdout or "403" in result.stdout), result.stdout


SEED_API = r"""
import json, sys, urllib.request
method, path, body = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None
request = urllib.request.Request("http://127.0.0.1:8080" + path, method=method, data=body and body.encode(),
                                 headers={"Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(request, timeout=10).read().decode())
except Exception as error:
    print(f"failed: {error} {getattr(error, 'read', lambda: b'')().decode()}")
    sys.exit(3)
"""
# The seed master's settings in molecule.yml, which the one-flag test below passes again (extra vars replace them).
SEED_PAUSE_IMAGE = f"{REGISTRY}/curtain/pause:1.0"
SEED_SETTINGS = {"extra_flags": {"kubelet": {"pod-infra-container-image": SEED_PAUSE_IMAGE}}}


def seed_api(method: str, path: str, body: dict | None = None, check: bool = True) -> dict | str | None:
    """The seed's apiserver, over its insecure port as the guide used it (on the host: it listens on loopback).
    The parsed answer (text for a log); with check=False, None when the request fails."""
    args = [method, path] + ([json.dumps(body)] if body else [])
    result = node(SEED).run("python3 -c %s" + " %s" * len(args), SEED_API, *args)
    if result.rc != 0:
        assert not check, f"{method} {path}: {result.stdout}"
        return None
    text = result.stdout.strip()
    return json.loads(text) if text.startswith("{") else text


def test_seed_serves_the_insecure_port_8080_and_its_health_ports() -> None:
    assert get(SEED, "http://127.0.0.1:8080/healthz") == "ok"
    assert get(SEED, "http://127.0.0.1:10252/healthz") == "ok"
    assert get(SEED, "http://127.0.0.1:10251/healthz") == "ok"
    assert seed_api("GET", "/version")["gitVersion"] == "v1.1.8"


def test_seed_etcd_is_the_newest_3_5_serving_the_v2_api_the_1_1_apiserver_stores_in() -> None:
    assert json.loads(get(SEED, "http://127.0.0.1:4001/version"))["etcdserver"] == "3.5.36"
    # The apiserver of 1.1 keeps its objects under /registry in the v2 store: the default namespace is there.
    namespace = json.loads(get(SEED, "http://127.0.0.1:4001/v2/keys/registry/namespaces/default"))
    assert json.loads(namespace["node"]["value"])["metadata"]["name"] == "default"


def test_seed_runs_the_seeds_master_pod_and_kubelet_flags() -> None:
    """master.json is the seed's, command for command the one built into the hyperkube image."""
    pod = json.loads(node(SEED).check_output("cat /etc/kubernetes/manifests/master.json"))
    commands = {container["name"]: container["command"] for container in pod["spec"]["containers"]}
    assert commands["apiserver"][:2] == ["/hyperkube", "apiserver"]
    assert commands["apiserver"][2:] == ["--portal-net=10.0.0.1/24", "--address=127.0.0.1",
                                         "--etcd-servers=http://127.0.0.1:4001", "--cluster-name=kubernetes", "--v=2"]
    assert commands["controller-manager"][2:] == commands["scheduler"][2:] == ["--master=127.0.0.1:8080", "--v=2"]
    kubelet = json.loads(node(SEED).check_output("docker inspect curtain-kubelet"))[0]
    image = json.loads(node(SEED).check_output(
        "docker run --rm --entrypoint cat %s /etc/kubernetes/manifests/master.json", kubelet["Config"]["Image"]))
    assert {container["name"]: container["command"] for container in image["spec"]["containers"]} == commands
    assert kubelet["Path"] == "/hyperkube"
    assert kubelet["Args"][1:] == ["--containerized", "--hostname-override=127.0.0.1", "--address=0.0.0.0",
                                   "--api-servers=http://localhost:8080", "--config=/etc/kubernetes/manifests",
                                   f"--pod-infra-container-image={SEED_PAUSE_IMAGE}"]


def test_seed_node_is_registered_and_its_master_pod_runs_as_docker_containers() -> None:
    """What the post's author saw: the kubelet registered as node 127.0.0.1, and `docker ps` on the host listing the
    pod's three containers (and its infrastructure container) beside the kubelet's own."""
    found = wait_for(lambda: [item for item in (seed_api("GET", "/api/v1/nodes", check=False) or {}).get("items", [])
                              if any(c["type"] == "Ready" and c["status"] == "True"
                                     for c in item["status"].get("conditions") or [])], 60, "node 127.0.0.1 Ready")
    assert [item["metadata"]["name"] for item in found] == ["127.0.0.1"]
    assert found[0]["status"]["nodeInfo"]["kubeletVersion"] == "v1.1.8"
    # The kubelet's mirror of its static pod in the API (made once the apiserver it runs answers).
    mirror = wait_for(lambda: [pod for pod in (seed_api("GET", "/api/v1/namespaces/default/pods", check=False)
                                               or {}).get("items", [])
                               if pod["metadata"]["name"] == "k8s-master-127.0.0.1"
                               and pod["status"].get("phase") == "Running"], 60, "the mirror pod k8s-master-127.0.0.1")
    assert sorted(status["name"] for status in mirror[0]["status"]["containerStatuses"]) == [
        "apiserver", "controller-manager", "scheduler"]
    running = node(SEED).check_output("docker ps --format '{{.Names}}'").split()
    pod_containers = sorted(name.split("_")[1].split(".")[0] for name in running
                            if name.startswith("k8s_") and "_k8s-master-127.0.0.1_default_" in name)
    assert pod_containers == ["POD", "apiserver", "controller-manager", "scheduler"]


def test_seed_runs_a_pod_a_service_reaches_it_through_the_userspace_proxy_and_its_log_is_served() -> None:
    """A v1 pod of the test workload on Docker's bridge, a Service in front of it, a request to the Service's portal
    address from the host (the 1.1 proxy's userspace mode: iptables sends it to a port the proxy listens on), and
    the pod's log read through the apiserver, which fetches it from the kubelet. Names of their own per run, so that
    verify can run again on the same cluster."""
    name = f"seed-echo-{int(time.time())}"
    labels = {"app": name}
    seed_api("POST", "/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "echo", "image": f"{REGISTRY}/curtain/http-echo:1.0",
                                 "args": ["--message", "behind the curtain"], "ports": [{"containerPort": 8080}]}]}})
    seed_api("POST", "/api/v1/namespaces/default/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}})
    pod = wait_for(lambda: (found := seed_api("GET", f"/api/v1/namespaces/default/pods/{name}", check=False))
                   and found["status"].get("phase") == "Running" and found, 120, f"pod {name} Running")
    assert pod["spec"]["nodeName"] == "127.0.0.1" and pod["status"]["podIP"]
    portal = seed_api("GET", f"/api/v1/namespaces/default/services/{name}")["spec"]["clusterIP"]
    assert portal.startswith("10.0.0.")  # --portal-net=10.0.0.1/24
    answer = wait_for(lambda: (result := node(SEED).run("python3 -c %s %s", HTTP_GET, f"http://{portal}/")).rc == 0
                      and result.stdout, 60, f"an answer from the Service at {portal}")
    assert answer.splitlines()[0] == "behind the curtain"
    assert "Using userspace Proxier." in node(SEED).run("docker logs curtain-kube-proxy").stderr
    log = seed_api("GET", f"/api/v1/namespaces/default/pods/{name}/log")
    assert "http-echo listening on :8080" in log and "request GET /" in log


def test_seed_runs_the_seeds_service_proxy_container() -> None:
    """Step three: `hyperkube proxy --master=http://127.0.0.1:8080 --v=2` on the host network, its healthz on
    127.0.0.1:10249 answering once it reaches the apiserver; no mounts, and the capabilities it needs instead of
    --privileged (kube_proxy_privilege's default)."""
    proxy = json.loads(node(SEED).check_output("docker inspect curtain-kube-proxy"))[0]
    assert [proxy["Path"], *proxy["Args"]] == ["/hyperkube", "proxy", "--master=http://127.0.0.1:8080", "--v=2"]
    assert proxy["HostConfig"]["NetworkMode"] == "host"
    assert proxy["HostConfig"]["Privileged"] is False
    assert sorted(cap.removeprefix("CAP_") for cap in proxy["HostConfig"]["CapAdd"]) == ["NET_ADMIN", "NET_RAW"]
    assert proxy["Mounts"] == []
    assert get(SEED, "http://127.0.0.1:10249/healthz") == "ok"


@pytest.mark.parametrize("name", [MODERN, MODERN_2, SEED])
def test_file_modes(name: str) -> None:
    host = node(name)
    assert host.file("/etc/kubernetes/manifests").mode == 0o700
    assert host.file("/var/lib/kubelet").mode == 0o700
    manifests = host.check_output("ls /etc/kubernetes/manifests").split()
    assert manifests and all(host.file(f"/etc/kubernetes/manifests/{m}").mode == 0o600 for m in manifests)
    if name != SEED:
        keys = host.check_output("ls /etc/kubernetes/pki/*.key").split()
        assert len(keys) >= 10 and all(host.file(key).mode == 0o600 for key in keys)
        for kubeconfig in ("admin", "controller-manager", "scheduler", "kubelet"):
            assert host.file(f"/etc/kubernetes/{kubeconfig}.conf").mode == 0o600
        assert host.file("/var/lib/kubelet/config.yaml").mode == 0o600


@pytest.mark.parametrize("name", [MODERN, MODERN_2, SEED])
def test_no_container_of_ours_mounts_the_hosts_dev(name: str) -> None:
    """The host's /dev stays out (the seed's mount broke new ptys); the modern kubelet gets /dev/kmsg alone, which its
    OOM watcher reads. Nothing is privileged here: these machines refuse --privileged, so the scenario runs the
    capabilities mode (the product's default for the modern kubelet is --privileged)."""
    found = containers(name)
    assert len(found) >= (4 if name == SEED else 1)  # the seed's pods are Docker containers; modern ones are not
    for container in found:
        for mount in container["Mounts"]:
            assert not (mount["Source"] == "/dev" or mount["Source"].startswith("/dev/")), (container["Name"], mount)
        assert not container["HostConfig"]["Privileged"], container["Name"]
        devices = [device["PathOnHost"] for device in container["HostConfig"]["Devices"] or []]
        modern_kubelet = name != SEED and container["Name"] == "/curtain-kubelet"
        assert devices == (["/dev/kmsg"] if modern_kubelet else []), container["Name"]
        # The seed's kubelet has the host's / at /rootfs, read-only, as the guide's had (its --containerized mounts
        # go through /rootfs/proc/1/ns/mnt); the host's /dev is under it, as in the guide.
        rootfs = [mount for mount in container["Mounts"] if mount["Destination"] == "/rootfs"]
        if name == SEED and container["Name"] == "/curtain-kubelet":
            assert [(mount["Source"], mount["RW"]) for mount in rootfs] == [("/", False)]
        else:
            assert rootfs == [], container["Name"]


@pytest.mark.parametrize("name", [MODERN, MODERN_2, SEED])
def test_a_new_pty_opens_on_the_host(name: str) -> None:
    node(name).run_expect([0], "python3 -c 'import os; os.close(os.openpty()[0])'")


def test_check_mode_after_converge_reports_no_change() -> None:
    for name, stats in run_playbook("converge.yml", check=True).items():
        assert stats["changed"] == 0 and stats["failures"] == 0, f"{name}: {stats}"


def started_at(name: str) -> dict[str, str]:
    """When each curtain container on the host last started."""
    listed = node(name).check_output("docker inspect --format '{{.Name}} {{.State.StartedAt}}' "
                                     "$(docker ps --quiet --filter label=io.curtain.managed-by=curtain)")
    return dict(line.split() for line in listed.splitlines())


def test_one_phase_alone_changes_only_what_it_is_for() -> None:
    """--tags run applies the containers without the certificates' and configuration steps: their hashes take the
    planned files' checksums (read on the controller), so nothing restarts. --tags config puts back a file taken from
    the host and touches no container. Preflight runs with both (tagged always)."""
    before = {name: started_at(name) for name in (MODERN, MODERN_2, SEED)}
    assert {"/curtain-etcd", "/curtain-kubelet"} <= set(before[MODERN]), before
    assert {"/curtain-etcd", "/curtain-kubelet", "/curtain-kube-proxy"} <= set(before[SEED]), before

    run = run_playbook_document("converge.yml", tags="run")
    assert changed_tasks(run) == {}
    ran = task_names(run)
    assert {"Kubelet | Run the kubelet container",
            "Run | Run the kube-proxy container, or remove it where kube-proxy runs as a static pod",
            "Members | Plan this member, describe its container and decide whether it needs any action",
            "Preflight | Look at the host and the kubelet container"} <= set(ran)
    assert not [name for name in ran if name.startswith(("PKI |", "Config |", "Host |", "Health |"))]

    node(MODERN).check_output("rm /etc/kubernetes/scheduler.conf")
    config = run_playbook_document("converge.yml", tags="config")
    changed = changed_tasks(config)
    assert list(changed) == [MODERN] and len(changed[MODERN]) == 1, changed
    assert changed[MODERN][0].startswith(
        "curtain.kube.hyperkube_master : Config | Create the directories, put the certificates, keys, kubeconfigs"
    ), changed
    assert node(MODERN).file("/etc/kubernetes/scheduler.conf").mode == 0o600
    assert not [name for name in task_names(config) if name.startswith(("Kubelet |", "Members |", "Run |"))]
    assert {name: started_at(name) for name in (MODERN, MODERN_2, SEED)} == before


def pod_sandbox(name: str, component: str) -> str:
    """The pod sandbox a static pod's running container is in (the kubelet's containerd): a new one when the kubelet
    restarts the pod for a new manifest, the same one when only its container restarts."""
    listed = json.loads(node(name).check_output("docker exec curtain-kubelet crictl ps --output json --name %s",
                                                f"^{component}$"))["containers"]
    assert len(listed) == 1, (name, component, listed)
    return listed[0]["podSandboxId"]


def test_one_apiserver_flag_restarts_only_the_apiserver_pod() -> None:
    """The other pods stay: their manifests are not rewritten and their sandboxes are the same. (Their containers may
    restart: a real controller-manager and scheduler exit when they cannot renew their leader lease while the
    apiserver they talk to restarts, and the kubelet starts them again in the same pod.)"""
    before = {component: pod_sandbox(MODERN, component)
              for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")}
    mtimes = node(MODERN).check_output("stat -c '%n %Y' /etc/kubernetes/manifests/*")

    # Extra vars replace the inventory's settings: the test hosts' own (.config/molecule/config.yml) go along, and
    # the seed's master keeps its own (molecule.yml).
    settings = ("{{ {'fail_cgroup_v1': false, 'cgroup_root': '/curtain-' ~ inventory_hostname, "
                "'extra_flags': {'kube-apiserver': {'event-ttl': '2h0m0s'}}} "
                f"if hyperkube_master_profile == 'modern' else {json.dumps(SEED_SETTINGS)} }}}}")
    run_playbook("converge.yml", {"hyperkube_master_settings": settings})

    rewritten = [old.split()[0] for old, new in zip(mtimes.splitlines(),
                 node(MODERN).check_output("stat -c '%n %Y' /etc/kubernetes/manifests/*").splitlines(), strict=True)
                 if old != new]
    assert rewritten == ["/etc/kubernetes/manifests/kube-apiserver.yaml"]
    deadline = time.monotonic() + 90
    while pod_sandbox(MODERN, "kube-apiserver") == before["kube-apiserver"] and time.monotonic() < deadline:
        time.sleep(2)
    assert pod_sandbox(MODERN, "kube-apiserver") != before["kube-apiserver"], "the apiserver pod was not restarted"
    assert "--event-ttl=2h0m0s" in node(MODERN).check_output("cat /etc/kubernetes/manifests/kube-apiserver.yaml")
    assert pod_sandbox(MODERN, "kube-controller-manager") == before["kube-controller-manager"]
    assert pod_sandbox(MODERN, "kube-scheduler") == before["kube-scheduler"]

"""kube-proxy on the converged site, seen from the host: its health endpoint, what it runs with, file modes; then
moved to a static pod in another proxy mode and back, each move changing only kube-proxy, and a mode the release
lacks refused before anything changes. The moves run proxy.yml (the kube_proxy role alone).

Runs after test_docker_restart.py and before test_security.py and test_site.py (file order), and leaves kube-proxy
as the converge made it: test_site.py's check-mode run then proves the move back left nothing behind."""

from __future__ import annotations

import json

from conftest import run_playbook
from kube import pod_containers
from site_host import HOST, host

CONFIG = "/var/lib/kube-proxy/config.conf"
KUBECONFIG = "/etc/kubernetes/kube-proxy.conf"
MANIFEST = "/etc/kubernetes/manifests/kube-proxy.yaml"
HEALTHZ = "http://127.0.0.1:10256/healthz"
GET = r"""
import sys, urllib.request
try:
    response = urllib.request.urlopen(sys.argv[1], timeout=10)
    print(response.status, response.read().decode())
except Exception as error:
    print(f"failed: {error}")
    sys.exit(3)
"""


def inspect(name: str) -> dict:
    return json.loads(host().check_output("docker inspect %s", name))[0]


def proxy_pod_containers() -> list[str]:
    return pod_containers(host(), "kube-proxy")


def node_sysctl(name: str) -> str:
    return host().check_output("sysctl -n %s", name)


def proxy_mode() -> str:
    return next(line.split(":", 1)[1].strip() for line in host().file(CONFIG).content_string.splitlines()
                if line.startswith("mode:"))


def test_healthz_answers_once_kube_proxy_reaches_the_apiserver() -> None:
    status, body = host().check_output("python3 -c %s %s", GET, HEALTHZ).split(" ", 1)
    assert status == "200"
    assert "lastUpdated" in json.loads(body)


def test_runs_as_a_container_with_its_configuration_and_two_capabilities() -> None:
    container = inspect("curtain-kube-proxy")
    assert container["State"]["Running"]
    assert container["Config"]["Labels"]["io.curtain.managed-by"] == "curtain"
    assert container["HostConfig"]["NetworkMode"] == "host"
    assert sorted(container["HostConfig"]["CapAdd"]) == ["NET_ADMIN", "NET_RAW"]
    assert container["Args"] == [f"--config={CONFIG}", f"--hostname-override={HOST}"]
    # What it would write at start, set on the host by the role (its /proc/sys is read-only without --privileged).
    assert node_sysctl("net.ipv4.conf.all.route_localnet") == "1"
    assert node_sysctl("net.netfilter.nf_conntrack_tcp_timeout_established") == "86400"
    mounts = {mount["Destination"]: mount for mount in container["Mounts"]}
    assert mounts[KUBECONFIG]["RW"] is False and mounts["/var/lib/kube-proxy"]["RW"] is False


def test_configuration_is_the_profiles_default_mode_and_files_are_private() -> None:
    node = host()
    assert proxy_mode() == "iptables"  # kube_proxy_mode "" on modern
    for path in (CONFIG, KUBECONFIG):
        assert node.file(path).mode == 0o600, path
    assert node.file("/var/lib/kube-proxy").mode == 0o700
    assert "server: https://127.0.0.1:6443" in node.file(KUBECONFIG).content_string  # a master's own apiserver


def test_moves_to_a_static_pod_in_nftables_mode_and_back() -> None:
    node = host()
    before = inspect("curtain-kubelet")["State"]["StartedAt"]
    moved = {"kube_proxy_deployment": "static_pod", "kube_proxy_mode": "nftables"}
    stats = run_playbook("proxy.yml", moved)
    assert stats[HOST]["changed"] >= 2  # the container removed, the manifest written
    assert node.run("docker inspect curtain-kube-proxy").rc != 0
    assert node.file(MANIFEST).mode == 0o600
    assert proxy_mode() == "nftables"
    assert proxy_pod_containers(), "no kube-proxy pod container"
    assert node.check_output("python3 -c %s %s", GET, HEALTHZ).startswith("200 ")
    again = run_playbook("proxy.yml", moved)
    assert again[HOST]["changed"] == 0

    run_playbook("proxy.yml")
    assert not node.file(MANIFEST).exists
    assert not proxy_pod_containers()
    assert inspect("curtain-kube-proxy")["State"]["Running"]
    assert proxy_mode() == "iptables"
    assert inspect("curtain-kubelet")["State"]["StartedAt"] == before  # the kubelet was never restarted


def test_a_proxy_mode_the_release_lacks_is_refused_before_anything_changes() -> None:
    started = inspect("curtain-kube-proxy")["State"]["StartedAt"]
    try:
        run_playbook("proxy.yml", {"kube_proxy_mode": "userspace"})
    except AssertionError as failure:
        assert "proxy mode 'userspace' is not available in Kubernetes v1.37.2" in str(failure)
    else:
        raise AssertionError("kube_proxy_mode=userspace was accepted on modern")
    assert inspect("curtain-kube-proxy")["State"]["StartedAt"] == started
    assert proxy_mode() == "iptables"

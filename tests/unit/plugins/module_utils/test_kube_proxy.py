"""How kube-proxy runs on a host: settings from the inventory, the workload, its two renderings, health and ports."""

from __future__ import annotations

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import (
    KubeProxyError,
    apiserver_url,
    container_volumes,
    health_url,
    ports,
    proxy_settings,
    static_pod,
    sysctls,
    workload,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_schema import validate_pod

MASTERS = [{"host": "m1", "name": "m1", "address": "10.0.0.5"}, {"host": "m2", "name": "m2", "address": "10.0.0.6"}]


def settings(host: str = "n1", profile: str = "modern", deployment: str = "container", **user) -> dict:
    return proxy_settings(host, MASTERS, profile_name=profile, node_name=host, image=f"reg/kube-proxy:{profile}",
                          deployment=deployment, user=user)


def test_modern_settings_carry_the_node_name_and_image() -> None:
    assert settings() == {"images": {"kube-proxy": "reg/kube-proxy:modern"}, "hostname_override": "n1"}


def test_user_settings_go_over_and_merge_mappings() -> None:
    merged = settings(proxy_mode="nftables", images={"kubelet": "x:1"})
    assert merged["proxy_mode"] == "nftables"
    assert merged["images"] == {"kube-proxy": "reg/kube-proxy:modern", "kubelet": "x:1"}


@pytest.mark.parametrize(("host", "expected"), [
    ("m2", "https://127.0.0.1:6443"),  # a master uses its own apiserver
    ("n1", "https://10.0.0.5:6443"),  # a node the first master's address
])
def test_apiserver_url(host: str, expected: str) -> None:
    assert apiserver_url(host, MASTERS, "modern", {}) == expected


def test_apiserver_url_follows_the_secure_port_and_brackets_ipv6() -> None:
    masters = [{"host": "m", "address": "fd00::5"}]
    assert apiserver_url("n", masters, "modern", {"secure_port": 8443}) == "https://[fd00::5]:8443"


@pytest.mark.parametrize(("call", "fragment"), [
    (lambda: settings(deployment="daemonset"), "kube_proxy_deployment: 'daemonset' is not one of container"),
    (lambda: settings(deployment="static_pod"), "static_pod needs the curtain kubelet, which runs on the masters"),
    (lambda: settings(profile="seed"), "can only reach the apiserver's insecure port on 127.0.0.1"),
    (lambda: settings(proxy_mode="userspace"), "proxy mode 'userspace' is not available in Kubernetes v1.37.2"),
    (lambda: settings(proxy_mod="iptables"), "unknown key 'proxy_mod'"),
    (lambda: settings(profile="modern@v1.34.0"), "not pinned in profile modern"),
    (lambda: apiserver_url("n1", [], "modern", {}), "kube_proxy_master_group: the masters group is empty"),
    (lambda: workload("modern", {}, privilege="root", capabilities=[]), "kube_proxy_privilege: 'root' is not one of"),
    (lambda: workload("modern", {}, privilege="capabilities", capabilities=[]), "kube_proxy_capabilities: empty"),
])
def test_bad_input_is_refused_with_the_variable_named(call, fragment: str) -> None:
    with pytest.raises((KubeProxyError, ValueError), match=None) as raised:
        call()
    assert fragment in str(raised.value)


def test_modern_workload_reads_its_configuration_and_takes_capabilities_only() -> None:
    spec = workload("modern", settings(), privilege="capabilities", capabilities=["net_raw", "NET_ADMIN"])
    assert spec["command"] == ["kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=n1"]
    assert spec["privileged"] is False and spec["capabilities"] == ["NET_ADMIN", "NET_RAW"]
    assert container_volumes(spec) == [
        "/var/lib/kube-proxy:/var/lib/kube-proxy:ro",
        "/etc/kubernetes/kube-proxy.conf:/etc/kubernetes/kube-proxy.conf:ro",
        "/run/xtables.lock:/run/xtables.lock:rw",
        "/lib/modules:/lib/modules:ro",
    ]
    assert not any(volume.startswith("/dev") for volume in container_volumes(spec))


def test_seed_workload_is_the_seeds_command_with_no_mounts() -> None:
    spec = workload("seed", settings("m1", "seed"), privilege="privileged", capabilities=[])
    assert spec["command"] == ["/hyperkube", "proxy", "--master=http://127.0.0.1:8080", "--v=2"]
    assert spec["volumes"] == [] and spec["privileged"] is True and spec["capabilities"] == []


def test_an_older_pinned_version_uses_its_own_flag_set() -> None:
    spec = workload("modern@v1.36.3", settings(profile="modern@v1.36.3"), privilege="capabilities",
                    capabilities=["NET_ADMIN"])
    assert spec["image"] == "reg/kube-proxy:modern@v1.36.3"
    # --machine-id-file: 1.36 still has it, 1.37 removed it
    old = workload("modern@v1.36.3", {**settings(profile="modern@v1.36.3"),
                                      "extra_flags": {"kube-proxy": {"machine-id-file": "/etc/machine-id"}}},
                   privilege="capabilities", capabilities=["NET_ADMIN"])
    assert "--machine-id-file=/etc/machine-id" in old["command"]
    with pytest.raises(KubeProxyError, match=r"kube-proxy v1\.37\.2 has no flag --machine-id-file"):
        workload("modern", {**settings(), "extra_flags": {"kube-proxy": {"machine-id-file": "/etc/machine-id"}}},
                 privilege="capabilities", capabilities=["NET_ADMIN"])


@pytest.mark.parametrize("privileged", [True, False])
def test_static_pod_is_a_valid_pod_with_the_config_hash(privileged: bool) -> None:
    spec = workload("modern", settings("m1", deployment="static_pod"),
                    privilege="privileged" if privileged else "capabilities", capabilities=["NET_ADMIN"])
    pod = static_pod(spec, "abc123")
    assert validate_pod(pod, "v1.37.2") == []
    assert pod["metadata"]["annotations"] == {"io.curtain.config-hash": "abc123"}
    container = pod["spec"]["containers"][0]
    assert container["securityContext"] == ({"privileged": True} if privileged else
                                            {"capabilities": {"add": ["NET_ADMIN"]}})
    assert {volume["hostPath"]["path"] for volume in pod["spec"]["volumes"]} == {
        "/var/lib/kube-proxy", "/etc/kubernetes/kube-proxy.conf", "/run/xtables.lock", "/lib/modules"}
    assert "annotations" not in static_pod(spec)["metadata"]


@pytest.mark.parametrize(("profile", "user", "url", "listening"), [
    ("modern", {}, "http://127.0.0.1:10256/livez", [10249, 10256]),
    ("modern", {"kube_proxy_healthz_bind_address": "10.0.0.9:12256"}, "http://10.0.0.9:12256/livez", [10249, 12256]),
    ("modern", {"kube_proxy_healthz_bind_address": "[::]:10256"}, "http://[::1]:10256/livez", [10249, 10256]),
    ("seed", {}, "http://127.0.0.1:10249/healthz", [10249]),
])
def test_health_url_and_ports(profile: str, user: dict, url: str, listening: list[int]) -> None:
    assert health_url(profile, user) == url
    assert ports(profile, user) == listening


CONNTRACK = {"net.netfilter.nf_conntrack_tcp_timeout_established": "86400",
             "net.netfilter.nf_conntrack_tcp_timeout_close_wait": "3600"}
LOCALNET = {"net.ipv4.conf.all.route_localnet": "1"}


@pytest.mark.parametrize(("profile", "user", "expected"), [
    ("modern", {}, {**CONNTRACK, **LOCALNET}),  # iptables, the default mode: NodePorts on localhost
    ("modern", {"proxy_mode": "iptables"}, {**CONNTRACK, **LOCALNET}),
    ("modern", {"proxy_mode": False}, {**CONNTRACK, **LOCALNET}),  # off: kube-proxy's own default, iptables
    ("modern", {"proxy_mode": "nftables"}, CONNTRACK),  # no localhost NodePorts in nftables mode
    ("modern@v1.36.3", {"proxy_mode": "nftables"}, CONNTRACK),
    ("seed", {}, {}),  # the seed's kube-proxy sets none of them
])
def test_sysctls_kube_proxy_would_set_at_start(profile: str, user: dict, expected: dict) -> None:
    assert sysctls(profile, user) == expected

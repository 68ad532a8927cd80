"""The kubelet's runtime as data: containerd's config, the pod network, the kubelet container, images to copy."""

from __future__ import annotations

import json
import tomllib

import pytest
from ansible_collections.curtain.kube.plugins.module_utils import container_runtime as runtime
from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import ContainerRuntimeError


def test_containerd_config_is_valid_toml_with_curtains_own_paths() -> None:
    text = runtime.to_toml(runtime.containerd_config())
    config = tomllib.loads(text)
    assert config == runtime.containerd_config()
    assert config["version"] == 3
    assert config["root"] == "/var/lib/curtain/containerd" and config["state"] == "/run/curtain/containerd"
    assert config["grpc"]["address"] == "/run/curtain/containerd/containerd.sock"
    images, cri = config["plugins"]["io.containerd.cri.v1.images"], config["plugins"]["io.containerd.cri.v1.runtime"]
    assert images["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.10.2"
    assert "registry" not in images  # no registry host files unless a registry is reached over plain HTTP
    # A real host's default: the kubelet's OOM scores hold; cgroupfs, as the kubelet's driver.
    assert cri["restrict_oom_score_adj"] is False
    assert cri["containerd"]["runtimes"]["runc"]["options"] == {
        "SystemdCgroup": False, "ShimCgroup": "/curtain-containerd-shims"}  # outside the kubelet container's cgroup
    assert cri["cni"] == {"bin_dirs": ["/opt/cni/bin"], "conf_dir": "/etc/cni/net.d"}


def test_containerd_config_for_a_host_without_sys_resource_and_a_plain_http_registry() -> None:
    config = tomllib.loads(runtime.to_toml(
        runtime.containerd_config("reg:5000/pause@sha256:ab", True, ["reg:5000"], "/curtain-a")))
    runc = config["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"]
    assert runc["options"]["ShimCgroup"] == "/curtain-a/curtain-containerd-shims"
    assert config["plugins"]["io.containerd.cri.v1.runtime"]["restrict_oom_score_adj"] is True
    images = config["plugins"]["io.containerd.cri.v1.images"]
    assert images["registry"]["config_path"] == "/etc/curtain/containerd/certs.d"
    assert images["pinned_images"]["sandbox"] == "reg:5000/pause@sha256:ab"
    [(path, text)] = runtime.registry_hosts_files(["reg:5000"]).items()
    assert path == "/etc/curtain/containerd/certs.d/reg:5000/hosts.toml"
    assert tomllib.loads(text) == {"server": "http://reg:5000",
                                   "host": {"http://reg:5000": {"capabilities": ["pull", "resolve"]}}}


@pytest.mark.parametrize(("call", "message"), [
    (lambda: runtime.containerd_config(""), "sandbox_image"),
    (lambda: runtime.registry_hosts_files(["http://reg/x"]), "insecure_registries"),
    (lambda: runtime.cni_config("10.244.0.0/33"), "pod_subnet"),
    (lambda: runtime.kubelet_container("root"), "hyperkube_master_privilege"),
    (lambda: runtime.kubelet_container("capabilities", []), "hyperkube_master_capabilities"),
])
def test_bad_input_is_refused_naming_the_variable(call, message: str) -> None:
    with pytest.raises(ContainerRuntimeError, match=message):
        call()


def test_a_node_s_pod_network_is_a_bridge_over_its_subnet_without_masquerade() -> None:
    network = runtime.cni_config("10.244.1.0/24")
    assert [plugin["type"] for plugin in network["plugins"]] == ["bridge", "portmap", "loopback"]
    assert network["plugins"][0]["ipam"]["ranges"] == [[{"subnet": "10.244.1.0/24"}]]
    # Pod-to-pod traffic across nodes keeps its source address; the node's one rule masquerades the rest.
    assert network["plugins"][0]["ipMasq"] is False and network["plugins"][0]["isGateway"] is True


def test_the_modern_kubelet_container_privileged_and_in_the_capabilities_mode() -> None:
    privileged = runtime.kubelet_container("privileged")
    assert privileged["privileged"] and not privileged["capabilities"] and not privileged["devices"]
    assert (privileged["network_mode"], privileged["pid_mode"], privileged["cgroupns_mode"]) == ("host",) * 3
    assert "/var/lib/kubelet:/var/lib/kubelet:rshared" in privileged["volumes"]
    assert not [volume for volume in privileged["volumes"] if volume.startswith("/dev")]
    limited = runtime.kubelet_container("capabilities", ["ALL"], ["SYS_RESOURCE"], "/curtain-a")
    assert not limited["privileged"]
    assert (limited["capabilities"], limited["cap_drop"]) == (["ALL"], ["SYS_RESOURCE"])
    assert limited["security_opts"] == ["seccomp=unconfined", "apparmor=unconfined"]
    assert limited["devices"] == ["/dev/kmsg:/dev/kmsg:r"]
    assert limited["env"] == {"CURTAIN_CGROUPS": "/curtain-a /curtain-a/curtain-containerd-shims"}
    assert privileged["env"] == {"CURTAIN_CGROUPS": "/curtain-containerd-shims"}


def test_the_seed_kubelet_container_keeps_the_seeds_mounts_and_dev_only_when_asked() -> None:
    seed = runtime.kubelet_container("capabilities", ["ALL"], profile="seed")
    assert seed["volumes"] == ["/:/rootfs:ro", "/etc/kubernetes:/etc/kubernetes:ro", "/sys:/sys:ro",
                               "/var/lib/docker:/var/lib/docker:rw", "/var/lib/kubelet:/var/lib/kubelet:rw",
                               "/var/run:/var/run:rw"]
    assert seed["cgroupns_mode"] is None and not seed["devices"]
    assert "/dev:/dev" in runtime.kubelet_container("privileged", profile="seed", mount_dev=True)["volumes"]


@pytest.mark.parametrize(("reference", "normalized"), [
    ("curtain/pause:1.0", "docker.io/curtain/pause:1.0"),
    ("busybox:1", "docker.io/library/busybox:1"),
    ("registry.k8s.io/kube-apiserver:v1.37.2", "registry.k8s.io/kube-apiserver:v1.37.2"),
    ("172.17.0.1:5000/curtain/kubelet:v1.37.2", "172.17.0.1:5000/curtain/kubelet:v1.37.2"),
    ("localhost/x:1", "localhost/x:1"),
])
def test_image_names_as_containerd_lists_them(reference: str, normalized: str) -> None:
    assert runtime.normalized_image(reference) == normalized


def test_only_the_images_containerd_lacks_are_copied() -> None:
    present = ["docker.io/curtain/kube-apiserver:v1.37.2", "sha256:0123"]
    wanted = ["curtain/kube-apiserver:v1.37.2", "curtain/kube-scheduler:v1.37.2", "curtain/kube-scheduler:v1.37.2"]
    assert runtime.images_to_copy(wanted, present) == ["curtain/kube-scheduler:v1.37.2"]
    assert runtime.images_to_copy(wanted[:1], present) == []


def test_the_logs_of_the_pods_crictl_lists() -> None:
    listed = json.dumps({"items": [
        {"metadata": {"name": "kube-apiserver-a", "namespace": "kube-system", "uid": "u1"}},
        {"metadata": {"name": "echo-1", "namespace": "default", "uid": "u2"}},
        {"metadata": {"name": "../x", "namespace": "default", "uid": "u3"}},  # never a path outside /var/log/pods
    ]})
    assert runtime.pod_logs(listed) == {
        "directories": ["/var/log/pods/default_echo-1_u2", "/var/log/pods/kube-system_kube-apiserver-a_u1"],
        "link_patterns": ["echo-1_default_*.log", "kube-apiserver-a_kube-system_*.log"],
    }
    assert runtime.pod_logs("{}") == {"directories": [], "link_patterns": []}


def test_the_kubelet_container_mounts_the_host_paths_of_the_static_pods() -> None:
    pods = {"a.yaml": {"spec": {"volumes": [
        {"name": "certs", "hostPath": {"path": "/etc/ssl/certs"}},
        {"name": "pki", "hostPath": {"path": "/etc/kubernetes/pki"}},  # under /etc/kubernetes, mounted anyway
        {"name": "audit", "hostPath": {"path": "/var/log/kubernetes/audit"}},
        {"name": "scratch", "emptyDir": {}},
    ]}}}
    assert runtime.pod_host_paths(pods) == ["/etc/ssl/certs", "/run/xtables.lock", "/var/lib/kube-proxy",
                                            "/var/log/kubernetes/audit"]
    volumes = runtime.kubelet_container("privileged", host_paths=["/etc/ssl/certs"])["volumes"]
    assert "/etc/ssl/certs:/etc/ssl/certs:rw" in volumes


def test_the_runtime_files_are_containerd_s_config_and_the_registry_hosts() -> None:
    files = runtime.runtime_files("reg:5000/pause@sha256:ab", True, ["reg:5000"], "/curtain-a")
    assert files == {
        "/etc/curtain/containerd/config.toml": runtime.to_toml(
            runtime.containerd_config("reg:5000/pause@sha256:ab", True, ["reg:5000"], "/curtain-a")),
        **runtime.registry_hosts_files(["reg:5000"]),
    }
    assert list(runtime.runtime_files(runtime.DEFAULT_SANDBOX_IMAGE, False, [], None)) == [
        "/etc/curtain/containerd/config.toml"]


@pytest.mark.parametrize(("labels", "key"), [
    ({"io.kubernetes.pod.name": "default/k8s-master-127.0.0.1"}, ("default", "k8s-master-127.0.0.1")),  # 1.1
    ({"io.kubernetes.pod.name": "kube-apiserver-a", "io.kubernetes.pod.namespace": "kube-system"},
     ("kube-system", "kube-apiserver-a")),
    ({}, ("", "")),
])
def test_docker_pod_key_reads_both_label_forms(labels: dict, key: tuple[str, str]) -> None:
    assert runtime.docker_pod_key(labels) == key


SETTINGS = {"manifest_dir": "/etc/kubernetes/manifests", "audit_log_path": "/var/log/kubernetes/audit/audit.log",
            "resolv_conf": "/var/lib/kubelet/resolv.conf"}


def test_a_modern_master_s_host_layout_is_one_list_of_directories_and_files() -> None:
    files = runtime.runtime_files("pause:3.10", True, ["172.17.0.1:5000"], "/curtain")
    layout = runtime.kubelet_host_layout("modern", SETTINGS, files, ["192.0.2.53"], True)
    directories = {entry["path"]: entry["mode"] for entry in layout["directories"]}
    assert len(directories) == len(layout["directories"])  # each once: host_files refuses a repeated path
    assert {path: directories[path] for path in ("/etc/kubernetes", "/etc/kubernetes/manifests", "/var/lib/kubelet",
                                                 "/var/log/kubernetes/audit", "/var/lib/curtain/containerd",
                                                 "/etc/curtain/containerd/certs.d/172.17.0.1:5000")} == {
        "/etc/kubernetes": "0755", "/etc/kubernetes/manifests": "0700", "/var/lib/kubelet": "0700",
        "/var/log/kubernetes/audit": "0700", "/var/lib/curtain/containerd": "0700",
        "/etc/curtain/containerd/certs.d/172.17.0.1:5000": "0755"}
    assert set(runtime.KUBELET_HOST_DIRECTORIES) <= set(directories)
    assert [(entry["dest"], entry["mode"]) for entry in layout["files"]] == [
        *((path, "0644") for path in files), ("/var/lib/kubelet/resolv.conf", "0644"), ("/run/xtables.lock", "0600")]
    assert layout["files"][-2]["content"] == "nameserver 192.0.2.53\n" and layout["files"][-1]["content"] == ""
    # What the kubelet would set itself, and exits where it cannot, set first (and kept for the next boot).
    assert layout["sysctl"] == {"file": "/etc/sysctl.d/90-curtain-kubelet.conf",
                                "values": runtime.KUBELET_KERNEL_PARAMETERS}


def test_a_node_and_a_seed_master_get_less() -> None:
    node = runtime.kubelet_host_layout("modern", SETTINGS, {}, [], False)
    assert "/var/log/kubernetes/audit" not in [entry["path"] for entry in node["directories"]]
    # No runtime files given, and no resolvers (the kubelet gives pods the host's): the iptables lock alone.
    assert [entry["dest"] for entry in node["files"]] == ["/run/xtables.lock"] and node["sysctl"]
    seed = runtime.kubelet_host_layout("seed", {**SETTINGS, "audit_log_path": None}, {}, ["192.0.2.53"], True)
    assert [entry["path"] for entry in seed["directories"]] == [
        "/etc/kubernetes", "/etc/kubernetes/manifests", "/var/lib/kubelet", "/var/log/kubernetes/audit"]
    # The seed's kubelet sets no kernel parameter and runs no iptables of its own.
    assert seed["files"] == [] and seed["sysctl"] is None

"""The structured-file builders: the seed's pod reproduced exactly, modern pods with checked flags and secure
defaults, settings refused with the key named, kubeconfigs, KubeletConfiguration, KubeProxyConfiguration."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.kube_flags import parse_args
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import (
    CONTROL_PLANE,
    SETTINGS,
    KubeManifestError,
    control_plane_files,
    control_plane_pods,
    kube_proxy_configuration,
    kube_proxy_flags,
    kubeconfig,
    kubelet_configuration,
    kubelet_flags,
    master_config_files,
    resolve_settings,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import get_profile

MODERN = {"advertise_address": "10.0.0.5"}
SEED_IMAGE = f"gcr.io/google_containers/hyperkube:{get_profile('seed').version}"

# cluster/images/hyperkube/master.json of kubernetes/kubernetes release-1.1, the pod the seed post takes apart in
# step two; its Makefile replaces VERSION with the release (here the seed profile's).
SEED_MASTER_JSON = """
{
"apiVersion": "v1",
"kind": "Pod",
"metadata": {"name":"k8s-master"},
"spec":{
  "hostNetwork": true,
  "containers":[
    {
      "name": "controller-manager",
      "image": "gcr.io/google_containers/hyperkube:VERSION",
      "command": [
              "/hyperkube",
              "controller-manager",
              "--master=127.0.0.1:8080",
              "--v=2"
        ]
    },
    {
      "name": "apiserver",
      "image": "gcr.io/google_containers/hyperkube:VERSION",
      "command": [
              "/hyperkube",
              "apiserver",
              "--portal-net=10.0.0.1/24",
              "--address=127.0.0.1",
              "--etcd-servers=http://127.0.0.1:4001",
              "--cluster-name=kubernetes",
              "--v=2"
        ]
    },
    {
      "name": "scheduler",
      "image": "gcr.io/google_containers/hyperkube:VERSION",
      "command": [
              "/hyperkube",
              "scheduler",
              "--master=127.0.0.1:8080",
              "--v=2"
        ]
    }
  ]
 }
}
"""
SEED_KUBELET = [
    "--containerized",
    "--hostname-override=127.0.0.1",
    "--address=0.0.0.0",
    "--api-servers=http://localhost:8080",
    "--config=/etc/kubernetes/manifests",
]
# The seed post's command lines, quoted in the repository so the check runs wherever the tests do.
SEED_POST = Path(__file__).resolve().parents[2] / "data" / "seed_post_flags.txt"


def seed_pod() -> dict[str, Any]:
    return json.loads(SEED_MASTER_JSON.replace("VERSION", get_profile("seed").version))


def command_of(pod: dict[str, Any], index: int = 0) -> list[str]:
    return pod["spec"]["containers"][index]["command"]


def errors_of(call, *args, **kwargs) -> list[str]:
    with pytest.raises(KubeManifestError) as raised:
        call(*args, **kwargs)
    return raised.value.errors


# --- seed ----------------------------------------------------------------------------------------------------------
def test_seed_reproduces_the_seed_pod_exactly() -> None:
    assert control_plane_pods("seed") == {"master.json": seed_pod()}
    assert control_plane_pods("seed", {})["master.json"]["spec"]["containers"][0]["image"] == SEED_IMAGE


def test_seed_kubelet_and_proxy_flags_are_the_seed_post_s() -> None:
    assert kubelet_flags("seed") == SEED_KUBELET
    assert kube_proxy_flags("seed") == ["--master=http://127.0.0.1:8080", "--v=2"]


def test_every_seed_flag_is_in_the_seed_post() -> None:
    post = SEED_POST.read_text().replace('"', "")  # the post quotes --hostname-override="127.0.0.1"
    pod = control_plane_pods("seed")["master.json"]
    flags = [arg for container in pod["spec"]["containers"] for arg in container["command"] if arg.startswith("--")]
    for flag in [*flags, *kubelet_flags("seed"), *kube_proxy_flags("seed")]:
        assert flag in post, flag


def test_seed_deprecations_are_warnings_not_errors() -> None:
    warnings: list[str] = []
    control_plane_pods("seed", None, warnings)
    assert any("--portal-net is deprecated" in warning for warning in warnings)
    assert any("--address is deprecated" in warning for warning in warnings)


@pytest.mark.parametrize(
    ("settings", "component", "expected"),
    [
        ({"service_cidr": "10.1.0.0/24"}, "apiserver", "--portal-net=10.1.0.0/24"),
        ({"etcd_servers": ["http://10.0.0.2:2379", "http://10.0.0.3:2379"]}, "apiserver",
         "--etcd-servers=http://10.0.0.2:2379,http://10.0.0.3:2379"),
        ({"bind_address": "10.0.0.9"}, "apiserver", "--address=10.0.0.9"),
        ({"bind_address": "10.0.0.9"}, "scheduler", "--master=10.0.0.9:8080"),
        ({"insecure_port": 8081}, "controller-manager", "--master=127.0.0.1:8081"),
        ({"insecure_port": 8081}, "apiserver", "--insecure-port=8081"),
        ({"cluster_name": "lab"}, "apiserver", "--cluster-name=lab"),
        ({"pod_cidr": "10.244.0.0/16"}, "controller-manager", "--cluster-cidr=10.244.0.0/16"),
        ({"extra_flags": {"apiserver": {"admission-control": "NamespaceLifecycle"}}}, "apiserver",
         "--admission-control=NamespaceLifecycle"),
    ],
)
def test_seed_values_come_from_settings(settings: dict[str, Any], component: str, expected: str) -> None:
    pod = control_plane_pods("seed", settings)["master.json"]
    containers = {container["name"]: container for container in pod["spec"]["containers"]}
    assert expected in containers[component]["command"]


def test_seed_keeps_the_seed_order_and_appends_extra_flags_sorted() -> None:
    extra = {"extra_flags": {"kube-apiserver": {"runtime-config": "api/v1=true", "allow-privileged": True}}}
    command = command_of(control_plane_pods("seed", extra)["master.json"], 1)
    assert command[2:] == [
        "--portal-net=10.0.0.1/24",
        "--address=127.0.0.1",
        "--etcd-servers=http://127.0.0.1:4001",
        "--cluster-name=kubernetes",
        "--v=2",
        "--allow-privileged=true",
        "--runtime-config=api/v1=true",
    ]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"kubelet_containerized": False}, SEED_KUBELET[1:]),
        ({"hostname_override": False, "kubelet_address": False}, [SEED_KUBELET[0], *SEED_KUBELET[3:]]),
        ({"kubelet_api_servers": []}, [*SEED_KUBELET[:3], SEED_KUBELET[4]]),
        ({"insecure_port": 8081}, [*SEED_KUBELET[:3], "--api-servers=http://localhost:8081", SEED_KUBELET[4]]),
        ({"manifest_dir": "/srv/manifests"}, [*SEED_KUBELET[:4], "--config=/srv/manifests"]),
    ],
)
def test_seed_kubelet_flags_minus_what_settings_turn_off(settings: dict[str, Any], expected: list[str]) -> None:
    assert kubelet_flags("seed", settings) == expected


def test_seed_proxy_mode_is_checked_and_rendered() -> None:
    assert kube_proxy_flags("seed", {"proxy_mode": "userspace"}) == [
        "--master=http://127.0.0.1:8080", "--proxy-mode=userspace", "--v=2"
    ]
    (error,) = errors_of(kube_proxy_flags, "seed", {"proxy_mode": "nftables"})
    assert "proxy_mode" in error and "not available" in error and "iptables, userspace" in error


def test_seed_has_no_component_config_files() -> None:
    assert "has no KubeletConfiguration file" in errors_of(kubelet_configuration, {}, "seed")[0]
    assert "has no KubeProxyConfiguration file" in errors_of(kube_proxy_configuration, {}, "seed")[0]
    assert control_plane_files("seed") == {}


def test_seed_refuses_etcd_over_tls() -> None:
    (error,) = errors_of(control_plane_pods, "seed", {"etcd_servers": ["https://127.0.0.1:2379"]})
    assert error.startswith("kube settings: etcd_servers 'https://127.0.0.1:2379'") and "v1.1.8" in error


def test_seed_extra_mounts_add_volumes() -> None:
    mounts = {"extra_mounts": [{"host_path": "/srv/kubernetes", "components": ["kube-apiserver"]}]}
    pod = control_plane_pods("seed", mounts)["master.json"]
    assert pod["spec"]["volumes"] == [{"name": "srv-kubernetes", "hostPath": {"path": "/srv/kubernetes"}}]
    apiserver = pod["spec"]["containers"][1]
    assert apiserver["volumeMounts"] == [{"name": "srv-kubernetes", "mountPath": "/srv/kubernetes", "readOnly": True}]
    assert "volumeMounts" not in pod["spec"]["containers"][0]


# --- modern --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def modern_pods() -> dict[str, dict[str, Any]]:
    return control_plane_pods("modern", {**MODERN, "pod_cidr": "10.244.0.0/16"})


def test_modern_has_three_pods_in_kube_system(modern_pods: dict[str, dict[str, Any]]) -> None:
    assert sorted(modern_pods) == sorted(f"{component}.yaml" for component in CONTROL_PLANE)
    for component in CONTROL_PLANE:
        pod = modern_pods[f"{component}.yaml"]
        assert pod["metadata"]["name"] == component and pod["metadata"]["namespace"] == "kube-system"
        assert pod["spec"]["hostNetwork"] is True
        assert pod["spec"]["priorityClassName"] == "system-node-critical"
        (container,) = pod["spec"]["containers"]
        assert container["image"] == f"registry.k8s.io/{component}:v1.37.2"
        assert container["command"][0] == component


@pytest.mark.parametrize("component", CONTROL_PLANE)
def test_modern_flags_all_exist_in_1_37(modern_pods: dict[str, dict[str, Any]], component: str) -> None:
    argv = command_of(modern_pods[f"{component}.yaml"])[1:]
    parsed = parse_args(component, "v1.37.2", argv)  # raises on any flag 1.37 does not have
    assert len(parsed) == len(argv)


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        ("kube-apiserver", [
            "--authorization-mode=Node,RBAC", "--profiling=false", "--enable-admission-plugins=NodeRestriction",
            "--authentication-config=/etc/kubernetes/authentication-config.yaml",
            "--audit-log-path=/var/log/kubernetes/audit/audit.log",
            "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
            "--audit-log-maxage=30", "--audit-log-maxbackup=10", "--audit-log-maxsize=100",
            "--etcd-servers=https://127.0.0.1:2379", "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
            "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
            "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
            "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
            "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
            "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
            "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
            "--requestheader-allowed-names=front-proxy-client",
            "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
            "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
            "--service-cluster-ip-range=10.96.0.0/12", "--secure-port=6443", "--advertise-address=10.0.0.5",
            "--bind-address=0.0.0.0",
        ]),
        ("kube-controller-manager", [
            "--kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
            "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key", "--root-ca-file=/etc/kubernetes/pki/ca.crt",
            "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
            "--use-service-account-credentials=true", "--leader-elect=true", "--bind-address=127.0.0.1",
            "--profiling=false", "--allocate-node-cidrs=true", "--cluster-cidr=10.244.0.0/16",
        ]),
        ("kube-scheduler", [
            "--kubeconfig=/etc/kubernetes/scheduler.conf",
            "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true",
            "--bind-address=127.0.0.1", "--profiling=false",
        ]),
    ],
)
def test_modern_secure_defaults(modern_pods: dict[str, dict[str, Any]], component: str, expected: list[str]) -> None:
    command = command_of(modern_pods[f"{component}.yaml"])
    missing = [flag for flag in expected if flag not in command]
    assert not missing
    assert command[1:] == sorted(command[1:])  # render_flags order: stable output, stable file


def test_modern_apiserver_has_no_anonymous_auth_flag_by_default(modern_pods: dict[str, dict[str, Any]]) -> None:
    command = command_of(modern_pods["kube-apiserver.yaml"])
    assert not [flag for flag in command if flag.startswith("--anonymous-auth")]
    files = control_plane_files("modern", MODERN)
    config = files["/etc/kubernetes/authentication-config.yaml"]
    assert config["kind"] == "AuthenticationConfiguration"
    assert config["anonymous"] == {"enabled": True, "conditions": [{"path": "/livez"}, {"path": "/readyz"},
                                                                   {"path": "/healthz"}]}
    assert files["/etc/kubernetes/audit-policy.yaml"]["kind"] == "Policy"


def test_modern_probes_like_kubeadm(modern_pods: dict[str, dict[str, Any]]) -> None:
    (apiserver,) = modern_pods["kube-apiserver.yaml"]["spec"]["containers"]
    assert apiserver["livenessProbe"]["httpGet"] == {"host": "10.0.0.5", "path": "/livez", "port": 6443,
                                                     "scheme": "HTTPS"}
    assert apiserver["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert apiserver["startupProbe"]["failureThreshold"] == 24
    for component, port in (("kube-controller-manager", 10257), ("kube-scheduler", 10259)):
        (container,) = modern_pods[f"{component}.yaml"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"] == {"host": "127.0.0.1", "path": "/healthz", "port": port,
                                                         "scheme": "HTTPS"}
        assert "startupProbe" in container


@pytest.mark.parametrize(
    ("anonymous", "flag", "probe"),
    [("disabled", "--anonymous-auth=false", "tcpSocket"), (False, "--anonymous-auth=false", "tcpSocket"),
     ("enabled", "--anonymous-auth=true", "httpGet"), (True, "--anonymous-auth=true", "httpGet")],
)
def test_modern_anonymous_auth_choices(anonymous: Any, flag: str, probe: str) -> None:
    pod = control_plane_pods("modern", {**MODERN, "anonymous_auth": anonymous})["kube-apiserver.yaml"]
    (container,) = pod["spec"]["containers"]
    assert flag in container["command"]
    assert not [arg for arg in container["command"] if arg.startswith("--authentication-config")]
    assert probe in container["livenessProbe"] and probe in container["readinessProbe"]
    assert "/etc/kubernetes/authentication-config.yaml" not in control_plane_files(
        "modern", {**MODERN, "anonymous_auth": anonymous})


def test_modern_volumes_read_only_except_the_audit_log(modern_pods: dict[str, dict[str, Any]]) -> None:
    (container,) = modern_pods["kube-apiserver.yaml"]["spec"]["containers"]
    writable = [mount["mountPath"] for mount in container["volumeMounts"] if not mount["readOnly"]]
    assert writable == ["/var/log/kubernetes/audit"]
    paths = {volume["hostPath"]["path"]: volume["hostPath"]["type"] for volume in
             modern_pods["kube-apiserver.yaml"]["spec"]["volumes"]}
    assert paths["/etc/kubernetes/pki"] == "DirectoryOrCreate"
    assert paths["/etc/kubernetes/audit-policy.yaml"] == "File"
    (manager,) = modern_pods["kube-controller-manager.yaml"]["spec"]["containers"]
    assert {"name": "kubeconfig", "mountPath": "/etc/kubernetes/controller-manager.conf", "readOnly": True} in (
        manager["volumeMounts"])


def test_modern_etcd_files_outside_pki_dir_are_mounted() -> None:
    settings = {**MODERN, "etcd_ca_file": "/etc/etcd/pki/ca.crt", "etcd_cert_file": "/etc/etcd/pki/client.crt",
                "etcd_key_file": "/etc/etcd/pki/client.key"}
    pod = control_plane_pods("modern", settings)["kube-apiserver.yaml"]
    assert {"name": "etcd-etc-etcd-pki", "hostPath": {"path": "/etc/etcd/pki", "type": "DirectoryOrCreate"}} in (
        pod["spec"]["volumes"])
    assert "--etcd-cafile=/etc/etcd/pki/ca.crt" in command_of(pod)


def test_modern_images_can_be_substituted() -> None:
    images = {"images": {"kube-apiserver": "localhost:5000/curtain/kube-apiserver-custom@sha256:" + "a" * 64}}
    pods = control_plane_pods("modern", {**MODERN, **images})
    assert pods["kube-apiserver.yaml"]["spec"]["containers"][0]["image"] == images["images"]["kube-apiserver"]
    assert pods["kube-scheduler.yaml"]["spec"]["containers"][0]["image"] == "registry.k8s.io/kube-scheduler:v1.37.2"


def test_modern_kubelet_certificate_authority_only_with_kubelet_serving_certs() -> None:
    plain = command_of(control_plane_pods("modern", MODERN)["kube-apiserver.yaml"])
    assert not [flag for flag in plain if flag.startswith("--kubelet-certificate-authority")]
    with_certs = {**MODERN, "kubelet_tls_cert_file": "/var/lib/kubelet/pki/kubelet.crt",
                  "kubelet_tls_key_file": "/var/lib/kubelet/pki/kubelet.key"}
    command = command_of(control_plane_pods("modern", with_certs)["kube-apiserver.yaml"])
    assert "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt" in command


def test_modern_audit_can_be_turned_off() -> None:
    pod = control_plane_pods("modern", {**MODERN, "audit_enabled": False})["kube-apiserver.yaml"]
    assert not [flag for flag in command_of(pod) if flag.startswith("--audit")]
    assert not [volume for volume in pod["spec"]["volumes"] if volume["name"].startswith("audit")]


# kube-scheduler's --help (1.36.3 and 1.37.2) lists --kubeconfig under "Deprecated flags" as "DEPRECATED: path to
# kubeconfig file ... ignored if a config file is specified in --config."
def test_modern_scheduler_deprecations_are_warnings() -> None:
    warnings: list[str] = []
    control_plane_pods("modern", MODERN, warnings)
    assert any(warning.startswith("kube-scheduler v1.37.2: --kubeconfig is deprecated") for warning in warnings)


# --- extra flags ---------------------------------------------------------------------------------------------------
def test_extra_flags_override_defaults_and_none_removes() -> None:
    extra = {"kube-apiserver": {"profiling": True, "kubelet-preferred-address-types": None,
                                "--tls-min-version": "VersionTLS13"}}
    command = command_of(control_plane_pods("modern", {**MODERN, "extra_flags": extra})["kube-apiserver.yaml"])
    assert "--profiling=true" in command and "--profiling=false" not in command
    assert "--tls-min-version=VersionTLS13" in command
    assert not [flag for flag in command if flag.startswith("--kubelet-preferred-address-types")]


@pytest.mark.parametrize(
    ("profile", "extra", "expected"),
    [
        ("modern", {"kube-apiserver": {"no-such-flag": 1}}, "kube-apiserver v1.37.2 has no flag --no-such-flag"),
        ("modern", {"scheduler": {"portal-net": "10.0.0.0/24"}}, "kube-scheduler v1.37.2 has no flag --portal-net"),
        ("modern", {"kube-apiserver": {"insecure-bind-address": "0.0.0.0"}}, "managed by the setting 'bind_address'"),
        ("seed", {"kube-apiserver": {"enable-admission-plugins": "NodeRestriction"}},
         "kube-apiserver v1.1.8 has no flag --enable-admission-plugins"),
        ("seed", {"kubelet": {"pod-manifest-path": "/etc/kubernetes/manifests"}},
         "kubelet v1.1.8 has no flag --pod-manifest-path"),
        ("modern", {"kube-apiserver": {"max-requests-inflight": "lots"}}, "is not a valid int"),
    ],
)
def test_extra_flags_that_do_not_exist_are_refused(profile: str, extra: dict[str, Any], expected: str) -> None:
    settings = {**(MODERN if profile == "modern" else {}), "extra_flags": extra}
    call = kubelet_flags if "kubelet" in extra else control_plane_pods
    errors = errors_of(call, profile, settings)
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"kube-apiserver": {"secure-port": 7443}},
         "kube settings: extra_flags.kube-apiserver: --secure-port is managed by the setting 'secure_port'"),
        ({"kube-apiserver": {"etcd_servers": "https://x:2379"}}, "--etcd-servers is managed by the setting"),
        ({"kube-scheduler": {"bind-address": "0.0.0.0"}}, "--bind-address is managed (fixed: 127.0.0.1"),
        ({"kubelet": {"config": "/x"}}, "--config is managed by the setting 'manifest_dir (seed)"),
        # The kubelet's cgroup and runtime flags: settings, which also decide preflight's cgroup check and the
        # containerd configuration that goes with them.
        ({"kubelet": {"fail-cgroupv1": False}},
         "kube settings: extra_flags.kubelet: --fail-cgroupv1 is managed by the setting 'fail_cgroup_v1'; "
         "set that instead"),
        ({"kubelet": {"--fail-cgroupv1": "false"}}, "--fail-cgroupv1 is managed by the setting 'fail_cgroup_v1'"),
        ({"kubelet": {"cgroup-root": "/curtain"}}, "--cgroup-root is managed by the setting 'cgroup_root'"),
        ({"kubelet": {"cgroup_driver": "systemd"}}, "--cgroup-driver is managed by the setting 'cgroup_driver'"),
        ({"kubelet": {"container-runtime-endpoint": "unix:///run/containerd/containerd.sock"}},
         "--container-runtime-endpoint is managed by the setting 'container_runtime_endpoint'"),
        ({"etcd": {"name": "x"}}, "kube settings: extra_flags: unknown Kubernetes component 'etcd'"),
        ({"kube-proxy": ["--v=2"]}, "extra_flags.kube-proxy must be a mapping"),
    ],
)
def test_extra_flags_that_settings_own_are_refused(extra: dict[str, Any], expected: str) -> None:
    errors = errors_of(resolve_settings, "modern", {**MODERN, "extra_flags": extra})
    assert any(expected in error for error in errors), errors


# --- settings ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"service_cidr": "10.96.0.0/33"}, "kube settings: service_cidr '10.96.0.0/33' is not a CIDR"),
        ({"service_cidr": "10.96.0.0"}, "kube settings: service_cidr '10.96.0.0' is not a CIDR"),
        ({"pod_cidr": 42}, "kube settings: pod_cidr 42 is not a CIDR"),
        ({"advertise_address": "10.0.0.300"}, "kube settings: advertise_address '10.0.0.300' is not an IP address"),
        ({"bind_address": "localhost"}, "kube settings: bind_address 'localhost' is not an IP address"),
        ({"secure_port": 0}, "kube settings: secure_port 0 is not a port (1-65535)"),
        ({"secure_port": "6443"}, "kube settings: secure_port '6443' is not a port"),
        ({"secure_port": True}, "kube settings: secure_port True is not a port"),
        ({"etcd_servers": "https://127.0.0.1:2379"}, "kube settings: etcd_servers 'https://127.0.0.1:2379' is not a "
                                                     "list of URLs"),
        ({"etcd_servers": ["127.0.0.1:2379"]}, "kube settings: etcd_servers '127.0.0.1:2379' is not a URL"),
        ({"etcd_servers": ["http://127.0.0.1:2379"]}, "kube settings: etcd_servers 'http://127.0.0.1:2379' is plain "
                                                      "HTTP"),
        ({"etcd_servers": []}, "kube settings: etcd_servers must list at least one URL"),
        ({"pki_dir": "etc/kubernetes/pki"}, "kube settings: pki_dir 'etc/kubernetes/pki' is not an absolute path"),
        ({"pki_dir": "/etc/../pki"}, "kube settings: pki_dir '/etc/../pki' is not a plain absolute path"),
        ({"cluster_name": "My Cluster"}, "kube settings: cluster_name 'My Cluster' is not a lowercase DNS name"),
        ({"cluster_domain": "-bad"}, "kube settings: cluster_domain '-bad' is not a DNS domain"),
        ({"audit_log_maxage": -1}, "kube settings: audit_log_maxage -1 is not a whole number >= 0"),
        ({"audit_enabled": "yes"}, "kube settings: audit_enabled 'yes' is not true or false"),
        ({"anonymous_auth": "sometimes"}, "kube settings: anonymous_auth 'sometimes' is not one of health-endpoints"),
        ({"cgroup_driver": "docker"}, "kube settings: cgroup_driver 'docker' is not one of systemd, cgroupfs"),
        ({"file_check_frequency": "20"}, "kube settings: file_check_frequency '20' is not a duration"),
        ({"images": {"kube-foo": "x"}}, "kube settings: images has unknown component 'kube-foo'"),
        ({"images": {"kube-apiserver": "has space"}}, "kube settings: images.kube-apiserver 'has space' is not an "
                                                      "image reference"),
        ({"extra_mounts": [{"mount_path": "/x"}]}, "kube settings: extra_mounts[0] needs host_path"),
        ({"extra_mounts": [{"host_path": "/x", "type": "Dir"}]}, "kube settings: extra_mounts[0].type 'Dir'"),
        ({"servce_cidr": "10.0.0.0/24"}, "kube settings: unknown key 'servce_cidr' (did you mean 'service_cidr'?)"),
        ({"insecure_port": 8080}, "kube settings: insecure_port: Kubernetes v1.37.2 (profile modern) has no insecure"),
        ({"kubelet_containerized": True}, "kube settings: kubelet_containerized: Kubernetes v1.37.2"),
        ({"kubelet_tls_cert_file": "/k.crt"}, "kube settings: kubelet_tls_cert_file and kubelet_tls_key_file go "
                                              "together"),
        ({"proxy_mode": "userspace"}, "kube settings: proxy_mode: proxy mode 'userspace' is not available"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], expected: str) -> None:
    errors = errors_of(resolve_settings, "modern", {**MODERN, **settings})
    assert any(error.startswith(expected) for error in errors), errors


def test_all_setting_errors_are_reported_at_once() -> None:
    errors = errors_of(resolve_settings, "modern", {"service_cidr": "x", "secure_port": -1, "bogus": 1})
    assert len(errors) == 3
    assert str(KubeManifestError(errors)).count("\n") == 2


@pytest.mark.parametrize(
    ("service", "pods"),
    [("10.96.0.0/12", "10.96.128.0/17"), ("10.0.0.0/8", "10.244.0.0/16"), ("10.244.1.0/24", "10.244.0.0/16"),
     ("fd00:10:96::/108", "fd00:10:96::/64")],
)
def test_overlapping_service_and_pod_cidrs_are_refused(service: str, pods: str) -> None:
    (error,) = errors_of(resolve_settings, "modern", {"service_cidr": service, "pod_cidr": pods})
    assert f"service_cidr {service!r} and pod_cidr {pods!r} overlap" in error


def test_separate_cidrs_are_accepted() -> None:
    resolved = resolve_settings("modern", {"service_cidr": "10.96.0.0/12", "pod_cidr": "10.244.0.0/16"})
    assert resolved["cluster_dns"] == ["10.96.0.10"]
    assert resolve_settings("modern", {"service_cidr": "10.96.0.0/12", "pod_cidr": "fd00::/64"})["pod_cidr"]


def test_modern_has_a_pod_cidr_by_default_and_it_can_be_off() -> None:
    assert resolve_settings("modern", {})["pod_cidr"] == "10.244.0.0/16"
    assert resolve_settings("seed", {})["pod_cidr"] is None
    assert resolve_settings("modern", {"pod_cidr": False})["pod_cidr"] is None

    def cidr_flags(settings: dict[str, Any]) -> list[str]:
        pod = control_plane_pods("modern", {**MODERN, **settings})["kube-controller-manager.yaml"]
        return [flag for flag in command_of(pod) if "cidr" in flag]

    # Each Node gets a /24 of the pod range by default, the controller-manager's own default for IPv4.
    assert cidr_flags({}) == ["--allocate-node-cidrs=true", "--cluster-cidr=10.244.0.0/16", "--node-cidr-mask-size=24"]
    assert cidr_flags({"pod_cidr": False}) == []
    assert kube_proxy_configuration({})["clusterCIDR"] == "10.244.0.0/16"
    assert "clusterCIDR" not in kube_proxy_configuration({"pod_cidr": False})
    # A wide service_cidr now meets the default pod range.
    (error,) = errors_of(resolve_settings, "modern", {"service_cidr": "10.0.0.0/8"})
    assert "service_cidr '10.0.0.0/8' and pod_cidr '10.244.0.0/16' overlap" in error


@pytest.mark.parametrize(
    ("settings", "flag"),
    [
        ({"pod_cidr": "10.244.0.0/16", "node_cidr_mask_size": 25}, "--node-cidr-mask-size=25"),
        ({"pod_cidr": "fd00:10:244::/56"}, "--node-cidr-mask-size=64"),  # the controller-manager's IPv6 default
        ({"pod_cidr": "fd00:10:244::/56", "node_cidr_mask_size": 60}, "--node-cidr-mask-size=60"),
    ],
)
def test_the_node_cidr_mask_size_reaches_the_controller_manager(settings: dict[str, Any], flag: str) -> None:
    pod = control_plane_pods("modern", {**MODERN, **settings})["kube-controller-manager.yaml"]
    assert [argument for argument in command_of(pod) if argument.startswith("--node-cidr-mask-size")] == [flag]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # A /26 leaves 64 - 3 = 61 pod addresses, fewer than the kubelet's default 110 pods.
        ({"node_cidr_mask_size": 26}, "kube settings: node_cidr_mask_size: a /26 leaves 61 pod addresses per node, "
                                      "fewer than max_pods (110)"),
        ({"node_cidr_mask_size": 25, "max_pods": 200}, "kube settings: node_cidr_mask_size: a /25 leaves 125 pod "
                                                       "addresses per node, fewer than max_pods (200)"),
        ({"max_pods": 300}, "kube settings: node_cidr_mask_size: a /24 leaves 253 pod addresses per node"),
        ({"node_cidr_mask_size": 15}, "kube settings: node_cidr_mask_size: /15 must be between pod_cidr's /16 and /30"),
        ({"pod_cidr": "fd00::/48", "node_cidr_mask_size": 65},
         "kube settings: node_cidr_mask_size: /65 must be between pod_cidr's /48 and /64"),
        ({"node_cidr_mask_size": "24"}, "kube settings: node_cidr_mask_size '24' is not a whole number"),
        ({"resolv_conf": "resolv.conf"}, "kube settings: resolv_conf 'resolv.conf' is not an absolute path"),
        ({"extra_flags": {"kube-controller-manager": {"node-cidr-mask-size-ipv4": 25}}},
         "kube settings: extra_flags.kube-controller-manager: --node-cidr-mask-size-ipv4 is managed by the setting "
         "'node_cidr_mask_size'"),
    ],
)
def test_bad_node_subnet_and_pod_resolver_settings_are_refused_naming_the_key(settings: dict[str, Any],
                                                                              expected: str) -> None:
    errors = errors_of(resolve_settings, "modern", {**MODERN, **settings})
    assert any(error.startswith(expected) for error in errors), errors


def test_node_subnets_that_hold_max_pods_are_accepted() -> None:
    resolved = resolve_settings("modern", {**MODERN, "node_cidr_mask_size": 25})
    assert (resolved["node_cidr_mask_size"], resolved["max_pods"]) == (25, 110)
    assert resolve_settings("modern", {**MODERN, "node_cidr_mask_size": 26, "max_pods": 61})["max_pods"] == 61
    assert resolve_settings("modern", {**MODERN})["node_cidr_mask_size"] == 24
    assert resolve_settings("modern", {**MODERN, "pod_cidr": "fd00::/48"})["node_cidr_mask_size"] == 64


def test_modern_pods_need_an_advertise_address() -> None:
    (error,) = errors_of(control_plane_pods, "modern", {})
    assert error == "kube settings: advertise_address is required for the pods of Kubernetes v1.37.2 (profile modern)"
    assert kubelet_configuration({})["kind"] == "KubeletConfiguration"  # the node files do not need it


def test_settings_must_be_a_mapping() -> None:
    assert errors_of(resolve_settings, "modern", ["service_cidr"]) == [
        "kube settings must be a mapping, got ['service_cidr']"
    ]


def test_unknown_profile() -> None:
    (error,) = errors_of(control_plane_pods, "legacy", {})
    assert "unknown Kubernetes profile 'legacy'" in error


def test_resolved_settings_cover_the_contract() -> None:
    resolved = resolve_settings("modern", MODERN)
    assert set(SETTINGS) <= set(resolved)
    assert resolved["paths"]["pki"]["service_account_private_key"] == "/etc/kubernetes/pki/sa.key"
    assert resolved["paths"]["kubeconfig"]["kube-scheduler"] == "/etc/kubernetes/scheduler.conf"
    assert resolve_settings("seed")["kubelet_api_servers"] == ["http://localhost:8080"]


# --- kubeconfig ----------------------------------------------------------------------------------------------------
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n"


def test_kubeconfig_with_file_references() -> None:
    config = kubeconfig("kubernetes", "https://10.0.0.5:6443", "/etc/kubernetes/pki/ca.crt",
                        "/etc/kubernetes/pki/scheduler.crt", "/etc/kubernetes/pki/scheduler.key",
                        "system:kube-scheduler")
    assert config == {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kubernetes", "cluster": {"server": "https://10.0.0.5:6443",
                                                        "certificate-authority": "/etc/kubernetes/pki/ca.crt"}}],
        "users": [{"name": "system:kube-scheduler", "user": {"client-certificate": "/etc/kubernetes/pki/scheduler.crt",
                                                             "client-key": "/etc/kubernetes/pki/scheduler.key"}}],
        "contexts": [{"name": "system:kube-scheduler@kubernetes",
                      "context": {"cluster": "kubernetes", "user": "system:kube-scheduler"}}],
        "current-context": "system:kube-scheduler@kubernetes",
        "preferences": {},
    }


def test_kubeconfig_embedded_for_the_controller() -> None:
    config = kubeconfig("kubernetes", "https://10.0.0.5:6443", None, None, None, "kubernetes-admin", embed=True,
                        ca_pem=CA_PEM, client_cert_pem=CERT_PEM, client_key_pem=KEY_PEM)
    cluster = config["clusters"][0]["cluster"]
    user = config["users"][0]["user"]
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == CA_PEM
    assert base64.b64decode(user["client-certificate-data"]).decode() == CERT_PEM
    assert base64.b64decode(user["client-key-data"]).decode() == KEY_PEM
    assert "certificate-authority" not in cluster and "client-key" not in user


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("kubernetes", "https://10.0.0.5:6443", None, "/a.crt", "/a.key", "admin"), {}, "an https server needs a CA"),
        (("kubernetes", "10.0.0.5:6443", "/ca.crt", None, None, "admin"), {}, "kubeconfig: server '10.0.0.5:6443'"),
        (("kubernetes", "https://x:6443", "/ca.crt", "/a.crt", None, "admin"), {}, "certificate and key go together"),
        (("kubernetes", "https://x:6443", "ca.crt", None, None, "admin"), {}, "ca_file 'ca.crt' is not an absolute"),
        (("Kube", "https://x:6443", "/ca.crt", None, None, "admin"), {}, "cluster_name 'Kube' is not a lowercase"),
        (("kubernetes", "https://x:6443", None, None, None, "admin"), {"embed": True, "ca_pem": "not pem"},
         "ca_pem must be PEM text"),
    ],
)
def test_kubeconfig_errors(args: tuple[Any, ...], kwargs: dict[str, Any], expected: str) -> None:
    errors = errors_of(kubeconfig, *args, **kwargs)
    assert any(expected in error for error in errors), errors


# --- kubelet and kube-proxy ----------------------------------------------------------------------------------------
def test_kubelet_configuration_defaults() -> None:
    config = kubelet_configuration({})
    assert config == {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "staticPodPath": "/etc/kubernetes/manifests",
        "fileCheckFrequency": "20s",
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
        "authorization": {"mode": "Webhook"},
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "clusterDNS": ["10.96.0.10"],
        "clusterDomain": "cluster.local",
        "maxPods": 110,
        "resolvConf": "/etc/resolv.conf",
        # The kubelet and containerd share a container without systemd: cgroupfs, and containerd's socket there.
        "cgroupDriver": "cgroupfs",
        "containerRuntimeEndpoint": "unix:///run/curtain/containerd/containerd.sock",
        "readOnlyPort": 0,
        "failSwapOn": True,
        "failCgroupV1": True,
    }
    assert "cgroupRoot" not in config  # off unless set: the kubelet's default, the root of the cgroup tree


def test_kubelet_configuration_from_settings() -> None:
    config = kubelet_configuration({
        "fail_swap_on": False, "kubelet_tls_cert_file": "/var/lib/kubelet/pki/kubelet.crt",
        "kubelet_tls_key_file": "/var/lib/kubelet/pki/kubelet.key", "cgroup_driver": "systemd",
        "service_cidr": "172.20.0.0/16", "container_runtime_endpoint": "unix:///var/run/cri-dockerd.sock",
        "fail_cgroup_v1": False, "cgroup_root": "/curtain",
    })
    assert config["failSwapOn"] is False
    assert config["tlsCertFile"] == "/var/lib/kubelet/pki/kubelet.crt"
    assert config["tlsPrivateKeyFile"] == "/var/lib/kubelet/pki/kubelet.key"
    assert config["cgroupDriver"] == "systemd"
    assert config["clusterDNS"] == ["172.20.0.10"]
    assert config["containerRuntimeEndpoint"] == "unix:///var/run/cri-dockerd.sock"
    assert config["failCgroupV1"] is False
    assert config["cgroupRoot"] == "/curtain"


def test_kubelet_configuration_takes_max_pods_and_the_pods_resolvers() -> None:
    config = kubelet_configuration({"max_pods": 60, "node_cidr_mask_size": 26,
                                    "resolv_conf": "/etc/kubernetes/resolv.conf"})
    assert (config["maxPods"], config["resolvConf"]) == (60, "/etc/kubernetes/resolv.conf")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"cgroup_root": False}, None),  # off, as by default
        ({"cgroup_root": None}, None),
        ({"cgroup_root": "/curtain/kubelet"}, "/curtain/kubelet"),
    ],
)
def test_kubelet_configuration_has_a_cgroup_root_only_when_set(settings: dict[str, Any], expected: Any) -> None:
    assert kubelet_configuration(settings).get("cgroupRoot") == expected


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"fail_cgroup_v1": "yes"}, "kube settings: fail_cgroup_v1 'yes' is not true or false"),
        ({"cgroup_driver": "docker"}, "kube settings: cgroup_driver 'docker' is not one of systemd, cgroupfs"),
        ({"cgroup_root": "curtain"}, "kube settings: cgroup_root 'curtain' is not an absolute path"),
    ],
)
def test_kubelet_cgroup_settings_are_checked(settings: dict[str, Any], expected: str) -> None:
    errors = errors_of(kubelet_configuration, settings)
    assert any(expected in error for error in errors), errors


def test_modern_kubelet_flags() -> None:
    assert kubelet_flags("modern") == ["--config=/var/lib/kubelet/config.yaml",
                                       "--kubeconfig=/etc/kubernetes/kubelet.conf"]
    flags = kubelet_flags("modern", {"hostname_override": "node-1", "node_ip": "10.0.0.5"})
    assert "--hostname-override=node-1" in flags and "--node-ip=10.0.0.5" in flags
    parse_args("kubelet", "v1.37.2", flags)


def test_kube_proxy_configuration_and_flags() -> None:
    config = kube_proxy_configuration({"pod_cidr": "10.244.0.0/16", "proxy_mode": "nftables"})
    assert config == {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "nftables",
        "clientConnection": {"kubeconfig": "/etc/kubernetes/kube-proxy.conf"},
        "clusterCIDR": "10.244.0.0/16",
        "healthzBindAddress": "0.0.0.0:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        # The host's conntrack table size is left alone: kube-proxy 1.36 would set (and lower) it, and exit where
        # /proc/sys is read-only to it.
        "conntrack": {"maxPerCore": 0},
    }
    assert "conntrack" not in kube_proxy_configuration({"kube_proxy_conntrack_max_per_core": False})
    assert kube_proxy_configuration({"kube_proxy_conntrack_max_per_core": 16384})["conntrack"] == {
        "maxPerCore": 16384}
    assert kube_proxy_flags("modern") == ["--config=/var/lib/kube-proxy/config.conf"]
    assert kube_proxy_flags("modern", {"hostname_override": "node-1"}) == [
        "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=node-1"
    ]
    (error,) = errors_of(kube_proxy_configuration, {"proxy_mode": "userspace"})
    assert "proxy mode 'userspace' is not available in Kubernetes v1.37.2" in error


# --- per pinned version --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("reference", "version"), [("modern", "v1.37.2"), ("modern@v1.37.2", "v1.37.2"),
                                                    ("modern@v1.36.3", "v1.36.3")])
def test_the_pods_of_each_modern_version_run_that_version_s_images_and_flags(reference: str, version: str) -> None:
    pods = control_plane_pods(reference, {**MODERN, "pod_cidr": "10.244.0.0/16"})
    for component in CONTROL_PLANE:
        (container,) = pods[f"{component}.yaml"]["spec"]["containers"]
        assert container["image"] == f"registry.k8s.io/{component}:{version}"
        argv = container["command"][1:]
        assert len(parse_args(component, version, argv)) == len(argv)  # every flag exists in that version


def test_the_two_modern_versions_build_the_same_files_but_for_the_images() -> None:
    def without_images(pods: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return json.loads(json.dumps(pods).replace("v1.36.3", "VERSION").replace("v1.37.2", "VERSION"))

    assert without_images(control_plane_pods("modern@v1.36.3", MODERN)) == without_images(
        control_plane_pods("modern", MODERN))
    assert kubelet_configuration({}, "modern@v1.36.3") == kubelet_configuration({}, "modern")
    assert kube_proxy_flags("modern@v1.36.3", {}) == kube_proxy_flags("modern", {})
    assert kubelet_flags("modern@v1.36.3", {}) == kubelet_flags("modern", {})


@pytest.mark.parametrize(("reference", "expected"), [("modern", "modern@v1.37.2"),
                                                     ("modern@v1.36.3", "modern@v1.36.3"), ("seed", "seed@v1.1.8")])
def test_resolved_settings_name_the_profile_version(reference: str, expected: str) -> None:
    resolved = resolve_settings(reference, MODERN if reference.startswith("modern") else {})
    assert resolved["profile_reference"] == expected
    assert (resolved["profile"], resolved["version"]) == tuple(expected.split("@"))
    assert resolved["images"]["kube-apiserver"].endswith(expected.split("@")[1])


@pytest.mark.parametrize(
    ("flag", "value", "has_it", "lacks_it"),
    [
        ("concurrent-disruption-syncs", 5, "modern", "v1.36.3"),  # the one flag 1.37 added
        ("concurrent-service-syncs", 1, "modern@v1.36.3", "v1.37.2"),  # one 1.37 removed
    ],
)
def test_extra_flags_are_checked_against_the_referenced_version(
    flag: str, value: Any, has_it: str, lacks_it: str
) -> None:
    extra = {"extra_flags": {"controller-manager": {flag: value}}}
    assert f"--{flag}={value}" in command_of(
        control_plane_pods(has_it, {**MODERN, **extra})["kube-controller-manager.yaml"])
    (error,) = errors_of(control_plane_pods, f"modern@{lacks_it}", {**MODERN, **extra})
    assert error.startswith(f"kube-controller-manager {lacks_it} has no flag --{flag}")


def test_a_proxy_mode_error_names_the_referenced_version() -> None:
    (error,) = errors_of(resolve_settings, "modern@v1.36.3", {"proxy_mode": "userspace"})
    assert error == ("kube settings: proxy_mode: proxy mode 'userspace' is not available in Kubernetes v1.36.3 "
                     "(profile modern); choose one of: iptables, ipvs, nftables")


@pytest.mark.parametrize("builder", [control_plane_pods, control_plane_files, resolve_settings, kubelet_flags,
                                     kube_proxy_flags])
def test_a_version_the_profile_does_not_pin_is_refused(builder: Any) -> None:
    (error,) = errors_of(builder, "modern@v1.34.2", MODERN)
    assert error == "Kubernetes v1.34.2 is not pinned in profile modern; pinned versions: v1.36.3, v1.37.2"


def test_component_configuration_of_an_unpinned_version_is_refused() -> None:
    with pytest.raises(KubeManifestError, match="not pinned in profile modern"):
        kubelet_configuration({}, "modern@v1.34.2")
    with pytest.raises(KubeManifestError, match="not pinned in profile modern"):
        kube_proxy_configuration({}, "modern@v1.34.2")


def test_a_masters_files_go_in_one_list_and_a_nodes_is_its_kubelet_configuration() -> None:
    """What the role writes in one kube_file run: the apiserver's own files first (its pod reads them), then the
    KubeletConfiguration, then the pods; a node writes only the KubeletConfiguration; the seed has none to write."""
    master = master_config_files("modern", MODERN, True)
    assert [(item["dest"], item["validate"]) for item in master] == [
        *[(path, "none") for path in control_plane_files("modern", MODERN)],
        ("/var/lib/kubelet/config.yaml", "kubelet_configuration"),
        *[(f"/etc/kubernetes/manifests/{name}", "pod") for name in control_plane_pods("modern", MODERN)],
    ]
    assert {item["mode"] for item in master} == {"0600"}
    assert master[len(control_plane_files("modern", MODERN))]["content"] == kubelet_configuration(MODERN)
    assert [item["dest"] for item in master_config_files("modern", MODERN, False)] == [
        "/var/lib/kubelet/config.yaml"]
    assert [item["dest"] for item in master_config_files("seed", {}, True)] == ["/etc/kubernetes/manifests/master.json"]

# Copyright: curtain contributors
# Apache License 2.0
"""The structured files of the control plane, built as plain data: static Pods, kubeconfigs, KubeletConfiguration,
KubeProxyConfiguration, and the component command lines that go with them.

Every builder takes a profile reference (`seed`, `modern`, or a pinned version such as `modern@v1.36.3`; see
kube_profiles.py) and a plain `settings` dict, fills in the defaults of that profile version (its images, ports and
features), validates every key (all errors at once, each naming its key), renders the command lines with
kube_flags.render_flags and checks them with kube_flags.check_flags against that version's flag set. Nothing is
written here: the roles serialise the dicts with the kube_file action (plugins/action/kube_file.py).

    control_plane_pods(profile, settings)      -> {filename: Pod}        the static pods for the manifest directory
    control_plane_files(profile, settings)     -> {path: object}         audit policy, authentication configuration
    kubeconfig(cluster_name, server, ca_file, client_cert_file, client_key_file, user, embed=False, ...) -> Config
    kubelet_configuration(settings)            -> KubeletConfiguration   (modern only)
    kubelet_flags(profile, settings)           -> [str]
    kube_proxy_configuration(settings)         -> KubeProxyConfiguration (modern only)
    kube_proxy_flags(profile, settings)        -> [str]
    resolve_settings(profile, settings)        -> the settings with every default filled in, and the derived paths

seed
    One Pod, `master.json`, exactly as the hyperkube image of the Kubernetes 1.1 Docker guide shipped it in
    /etc/kubernetes/manifests (kubernetes/kubernetes cluster/images/hyperkube/master.json, release-1.1; the seed post
    describes it in step two): pod `k8s-master`, hostNetwork, three containers from the one hyperkube image,
    controller-manager `--master=127.0.0.1:8080 --v=2`, apiserver `--portal-net=10.0.0.1/24 --address=127.0.0.1
    --etcd-servers=http://127.0.0.1:4001 --cluster-name=kubernetes --v=2`, scheduler `--master=127.0.0.1:8080 --v=2`.
    The flags keep the seed's order; flags from settings that differ from the seed's values replace them in place,
    and extra flags follow, sorted. The kubelet runs `--containerized --hostname-override=127.0.0.1
    --address=0.0.0.0 --api-servers=http://localhost:8080 --config=/etc/kubernetes/manifests`, kube-proxy
    `--master=http://127.0.0.1:8080 --v=2`.
modern
    Three Pods like kubeadm's (cmd/kubeadm/app/phases/controlplane/manifests.go): kube-apiserver.yaml,
    kube-controller-manager.yaml, kube-scheduler.yaml in kube-system, hostNetwork, priorityClassName
    system-node-critical, seccomp RuntimeDefault, liveness/readiness/startup probes over HTTPS, hostPath volumes
    read-only except the audit log directory. Secure defaults: authorization Node,RBAC, NodeRestriction, profiling
    off in all three, an audit log with rotation, etcd over TLS with a client certificate, the front proxy, service
    account signing, kubelet client certificate. Flags sorted by name (render_flags).

Anonymous requests to the API server (CIS Kubernetes Benchmark 1.2.1): the kubelet's httpGet probes cannot present
a client certificate, so with `--anonymous-auth=false` kubeadm-style probes of /livez and /readyz get 401 and the
kubelet restarts a healthy apiserver. The default, `anonymous_auth: health-endpoints`, follows the benchmark's
current remedy: anonymous authentication is enabled only for /livez, /readyz and /healthz through an
AuthenticationConfiguration file (`--authentication-config`; KEP-4633, stable since 1.34), so the probes work and
every other path requires credentials even if RBAC is misconfigured. `disabled` renders `--anonymous-auth=false` and
switches the apiserver's probes to TCP connects on the secure port (weaker: they see the port open, not the server
ready); `enabled` is the upstream default (anonymous everywhere, limited by RBAC only).

Settings (a plain dict; every key optional; None means "the profile's default" unless said otherwise; false turns
off the keys marked "(off)" even where the profile has a default, e.g. hostname_override: false drops the
seed kubelet's --hostname-override). Profile columns give the default; "-" means the profile does not use the key
(it is still type-checked).

    key                          seed                       modern                            meaning
    images                       hyperkube v1.1.8 for all   registry.k8s.io/<component>:<version> (v1.37.2, or
                                                            the pinned version the reference names, e.g. v1.36.3)
                                 components -> image reference; entries given replace the profile's (e.g. a
                                 registry of your own). Keys: kube-apiserver, kube-controller-manager,
                                 kube-scheduler, kubelet, kube-proxy.
    advertise_address            -                          required for the pods (IP)   --advertise-address; the
                                 apiserver probes' host when bind_address is a wildcard
    bind_address                 127.0.0.1                  0.0.0.0         seed: apiserver --address (the insecure
                                 HTTP port's address, all the seed served); modern: apiserver --bind-address
    secure_port                  -                          6443            apiserver --secure-port, probes
    insecure_port                8080                       - (must stay unset)  seed: the apiserver's HTTP port
                                 (--insecure-port only when not 8080) and the port of every --master/--api-servers
    etcd_servers                 [http://127.0.0.1:4001]    [https://127.0.0.1:2379]  apiserver --etcd-servers;
                                 modern accepts https only, seed http only (1.1 has no etcd TLS flags)
    etcd_ca_file                 -                          <pki_dir>/etcd/ca.crt                 --etcd-cafile
    etcd_cert_file               -                          <pki_dir>/apiserver-etcd-client.crt   --etcd-certfile
    etcd_key_file                -                          <pki_dir>/apiserver-etcd-client.key   --etcd-keyfile
    pki_dir                      -                          /etc/kubernetes/pki   certificates and keys (kubeadm's
                                 file names: ca.crt/.key, apiserver.crt/.key, apiserver-kubelet-client.crt/.key,
                                 front-proxy-ca.crt, front-proxy-client.crt/.key, sa.pub, sa.key), mounted read-only
    kubeconfig_dir               -                          /etc/kubernetes   controller-manager.conf, scheduler.conf,
                                 kubelet.conf, kube-proxy.conf, admin.conf
    manifest_dir                 /etc/kubernetes/manifests  /etc/kubernetes/manifests   the static pod directory:
                                 seed kubelet --config, modern staticPodPath
    service_cidr                 10.0.0.1/24                10.96.0.0/12    Service IP range (seed --portal-net,
                                 modern --service-cluster-ip-range); host bits allowed as Go's ParseCIDR allows them
    pod_cidr (off)               None (off)                 10.244.0.0/16   Pod IP range: controller-manager
                                 --allocate-node-cidrs/--cluster-cidr, kube-proxy clusterCIDR, and the pod network
                                 (each node's CNI bridge takes the subnet the controller-manager gives its Node);
                                 must not overlap service_cidr
    node_cidr_mask_size          -                          None = 24 (IPv4 pod_cidr), 64 (IPv6)   controller-manager
                                 --node-cidr-mask-size: each node's subnet of pod_cidr; must leave at least max_pods
                                 addresses
    max_pods                     -                          110             KubeletConfiguration maxPods
    resolv_conf                  -                          /etc/resolv.conf   resolvConf: the resolvers of pods with
                                 dnsPolicy Default (CoreDNS forwards to them); read inside the kubelet's container
    cluster_name                 kubernetes                 kubernetes      seed apiserver --cluster-name, modern
                                 controller-manager --cluster-name
    cluster_domain               -                          cluster.local   KubeletConfiguration clusterDomain,
                                 the default service_account_issuer
    cluster_dns                  -                          None = the 10th address of service_cidr   clusterDNS
    service_account_issuer       -                          https://kubernetes.default.svc.<cluster_domain>
    anonymous_auth               -                          health-endpoints   health-endpoints | enabled | disabled
                                 (true/false mean enabled/disabled); see above
    authentication_config_file   -                          /etc/kubernetes/authentication-config.yaml
    audit_enabled                - (1.1 has no audit log)   true            audit log flags and volumes
    audit_log_path               -                          /var/log/kubernetes/audit/audit.log (its directory is
                                 mounted read-write)
    audit_policy_file            -                          /etc/kubernetes/audit-policy.yaml
    audit_log_maxage             -                          30 (days)       CIS 1.2.17-1.2.19 values
    audit_log_maxbackup          -                          10
    audit_log_maxsize            -                          100 (MB)
    verbosity (off)              2                          None (off)      --v of apiserver, controller-manager,
                                 scheduler and kube-proxy (the seed's kubelet had none)
    ca_certs_dirs                []                         kubeadm's four: /etc/ssl/certs, /etc/ca-certificates,
                                 /usr/local/share/ca-certificates, /usr/share/ca-certificates (read-only mounts)
    extra_mounts                 []                         []              more hostPath mounts: a list of
                                 {host_path, mount_path (= host_path), read_only (true), type (""),
                                 components (all three)}
    extra_flags                  {}                         {}              {component: {flag: value}} merged over
                                 the builder's flags and checked the same way. May override any default flag
                                 (e.g. profiling, authorization-mode); None removes one. Flags that a setting
                                 controls, or that probes and mounts depend on (ports, addresses, kubeconfigs), are
                                 refused with the setting's name: set that instead, so the Pod stays consistent.
    hostname_override (off)      127.0.0.1                  None (off)      kubelet --hostname-override (and modern
                                 kube-proxy's)
    node_ip (off)                -                          None (off)      kubelet --node-ip
    kubelet_address (off)        0.0.0.0                    None (off)      seed kubelet --address, modern address
    kubelet_containerized        true                       - (must stay unset or false)   seed --containerized
    kubelet_api_servers (off)    None = [http://localhost:<insecure_port>]   -   seed --api-servers ([] = off)
    kubelet_config_file          -                          /var/lib/kubelet/config.yaml   kubelet --config
    kubelet_kubeconfig           -                          <kubeconfig_dir>/kubelet.conf  kubelet --kubeconfig
    kubelet_tls_cert_file        -                          None (self-signed)   tlsCertFile; when set, the
                                 apiserver verifies kubelets with --kubelet-certificate-authority=<pki_dir>/ca.crt
    kubelet_tls_key_file         -                          None            tlsPrivateKeyFile (with the cert)
    kubelet_healthz_bind_address -                          127.0.0.1       healthzBindAddress
    kubelet_healthz_port         -                          10248           healthzPort
    cgroup_driver                -                          cgroupfs        systemd | cgroupfs; cgroupfs because the
                                 kubelet and containerd run in a container without systemd (containerd's runc
                                 SystemdCgroup is false, and the kubelet takes the driver from the runtime)
    cgroup_root (off)            -                          None (off)      cgroupRoot: where the kubelet puts the
                                 pods' cgroups; set where several kubelets share one cgroup tree
    fail_cgroup_v1               -                          true            failCgroupV1: a 1.35+ kubelet refuses
                                 cgroup v1 unless false (preflight refuses a v1 host while it is true)
    fail_swap_on                 -                          true            failSwapOn
    file_check_frequency         -                          20s             fileCheckFrequency (the seed's 20 s)
    container_runtime_endpoint   -                          containerd's socket in the kubelet's container
                                 (unix:///run/curtain/containerd/containerd.sock)   containerRuntimeEndpoint
    proxy_mode (off)             None (off)                 iptables        checked against the profile's modes
    kube_proxy_config_file       -                          /var/lib/kube-proxy/config.conf   kube-proxy --config
    kube_proxy_kubeconfig        -                          <kubeconfig_dir>/kube-proxy.conf  clientConnection
    kube_proxy_healthz_bind_address -                       0.0.0.0:10256   healthzBindAddress
    kube_proxy_metrics_bind_address -                       127.0.0.1:10249 metricsBindAddress
    kube_proxy_conntrack_max_per_core -                     0               conntrack.maxPerCore: 0 leaves the
                                 host's conntrack table size alone, as kind does (kube-proxy 1.36 sets
                                 nf_conntrack_max to this times the CPUs, lowering a larger one, and exits where
                                 /proc/sys is read-only); off (false) takes kube-proxy's default, 32768

Standard library only, plus the other kube_* module_utils.
"""

from __future__ import annotations

import base64
import difflib
import ipaddress
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import CONTAINERD_ENDPOINT
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import BY_NAME, CONTROL_PLANE
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import COMPONENTS as COMPONENT_ROWS
from ansible_collections.curtain.kube.plugins.module_utils.kube_flags import (
    KubeFlagsError,
    check_flags,
    flag_name,
    render_flags,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import (
    COMPONENTS,
    KubeFlagsetError,
    component_name,
    normalize_flag_name,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import ADMIN_KUBECONFIG
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    KubeProfile,
    KubeProfileError,
    check_features,
    get_profile,
    plain_data,
)
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import node_subnet_problems

SEED_MANIFEST = "master.json"
SEED_POD_NAME = "k8s-master"
# The seed's master.json lists the controller-manager first; each container is named by its hyperkube subcommand.
SEED_POD_ORDER = ("kube-controller-manager", "kube-apiserver", "kube-scheduler")
NAMESPACE = "kube-system"
PRIORITY_CLASS = "system-node-critical"
PRIORITY = 2000001000  # the value of system-node-critical; kubeadm writes both
ANONYMOUS_PATHS = ("/livez", "/readyz", "/healthz")
KUBEADM_CA_CERTS_DIRS = (
    "/etc/ssl/certs",
    "/etc/ca-certificates",
    "/usr/local/share/ca-certificates",
    "/usr/share/ca-certificates",
)

# kubeadm's file names inside pki_dir (cmd/kubeadm/app/constants).
PKI_FILES: Mapping[str, str] = {
    "ca_cert": "ca.crt",
    "ca_key": "ca.key",
    "apiserver_cert": "apiserver.crt",
    "apiserver_key": "apiserver.key",
    "apiserver_kubelet_client_cert": "apiserver-kubelet-client.crt",
    "apiserver_kubelet_client_key": "apiserver-kubelet-client.key",
    "front_proxy_ca_cert": "front-proxy-ca.crt",
    "front_proxy_client_cert": "front-proxy-client.crt",
    "front_proxy_client_key": "front-proxy-client.key",
    "service_account_public_key": "sa.pub",
    "service_account_private_key": "sa.key",
}
KUBECONFIG_FILES: Mapping[str, str] = {
    "admin": ADMIN_KUBECONFIG,
    **{row.name: row.kubeconfig for row in COMPONENT_ROWS if row.kubeconfig},
}

# Probe timings of kubeadm's static pods (cmd/kubeadm/app/util/staticpod: LivenessProbe, ReadinessProbe, StartupProbe).
_LIVENESS = {"initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 15, "failureThreshold": 8}
_READINESS = {"periodSeconds": 1, "timeoutSeconds": 15, "failureThreshold": 3}
_STARTUP = {"initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 15, "failureThreshold": 24}


class KubeManifestError(ValueError):
    """Settings or flags that cannot make a valid manifest; the message holds every problem, one per line."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


# --- the settings contract -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    kind: str
    seed: Any = None
    modern: Any = None
    choices: tuple[Any, ...] = ()
    can_be_off: bool = False  # false turns the flag or field off, even where the profile has a default


_S = Setting
SETTINGS: Mapping[str, Setting] = {
    "images": _S("images", {}, {}),
    "advertise_address": _S("ip"),
    "bind_address": _S("ip", "127.0.0.1", "0.0.0.0"),
    "secure_port": _S("port", None, 6443),
    "insecure_port": _S("port", 8080, None),
    "etcd_servers": _S("urls", ["http://127.0.0.1:4001"], ["https://127.0.0.1:2379"]),
    "etcd_ca_file": _S("path"),
    "etcd_cert_file": _S("path"),
    "etcd_key_file": _S("path"),
    "pki_dir": _S("path", "/etc/kubernetes/pki", "/etc/kubernetes/pki"),
    "kubeconfig_dir": _S("path", "/etc/kubernetes", "/etc/kubernetes"),
    "manifest_dir": _S("path", "/etc/kubernetes/manifests", "/etc/kubernetes/manifests"),
    "service_cidr": _S("cidr", "10.0.0.1/24", "10.96.0.0/12"),
    "pod_cidr": _S("cidr", None, "10.244.0.0/16", can_be_off=True),
    "cluster_name": _S("name", "kubernetes", "kubernetes"),
    "cluster_domain": _S("domain", "cluster.local", "cluster.local"),
    "cluster_dns": _S("ips"),
    "node_cidr_mask_size": _S("count"),
    "max_pods": _S("count", None, 110),
    "resolv_conf": _S("path", None, "/etc/resolv.conf"),
    "service_account_issuer": _S("url"),
    "anonymous_auth": _S("anonymous", None, "health-endpoints"),
    "authentication_config_file": _S("path", None, "/etc/kubernetes/authentication-config.yaml"),
    "audit_enabled": _S("bool", False, True),
    "audit_log_path": _S("path", None, "/var/log/kubernetes/audit/audit.log"),
    "audit_policy_file": _S("path", None, "/etc/kubernetes/audit-policy.yaml"),
    "audit_log_maxage": _S("count", None, 30),
    "audit_log_maxbackup": _S("count", None, 10),
    "audit_log_maxsize": _S("count", None, 100),
    "verbosity": _S("count", 2, None, can_be_off=True),
    "ca_certs_dirs": _S("paths", [], list(KUBEADM_CA_CERTS_DIRS)),
    "extra_mounts": _S("mounts", [], []),
    "extra_flags": _S("extra_flags", {}, {}),
    "hostname_override": _S("hostname", "127.0.0.1", None, can_be_off=True),
    "node_ip": _S("ip", can_be_off=True),
    "kubelet_address": _S("ip", "0.0.0.0", None, can_be_off=True),
    "kubelet_containerized": _S("bool", True, False),
    "kubelet_api_servers": _S("urls", can_be_off=True),
    "kubelet_config_file": _S("path", None, "/var/lib/kubelet/config.yaml"),
    "kubelet_kubeconfig": _S("path"),
    "kubelet_tls_cert_file": _S("path"),
    "kubelet_tls_key_file": _S("path"),
    "kubelet_healthz_bind_address": _S("ip", None, "127.0.0.1"),
    "kubelet_healthz_port": _S("port", None, 10248),
    "cgroup_driver": _S("choice", None, "cgroupfs", choices=("systemd", "cgroupfs")),
    "cgroup_root": _S("path", can_be_off=True),
    "fail_cgroup_v1": _S("bool", None, True),
    "fail_swap_on": _S("bool", None, True),
    "file_check_frequency": _S("duration", None, "20s"),
    "container_runtime_endpoint": _S("endpoint", None, CONTAINERD_ENDPOINT),
    "proxy_mode": _S("str", None, "iptables", can_be_off=True),
    "kube_proxy_config_file": _S("path", None, "/var/lib/kube-proxy/config.conf"),
    "kube_proxy_kubeconfig": _S("path"),
    "kube_proxy_healthz_bind_address": _S("ipport", None, "0.0.0.0:10256"),
    "kube_proxy_metrics_bind_address": _S("ipport", None, "127.0.0.1:10249"),
    "kube_proxy_conntrack_max_per_core": _S("count", None, 0, can_be_off=True),
}
del _S

# Flags that a setting owns (or that probes and mounts depend on): extra_flags may not set them.
_OWNED_FLAGS: Mapping[str, Mapping[str, str]] = {
    "kube-apiserver": {
        "advertise-address": "advertise_address",
        "bind-address": "bind_address",
        "address": "bind_address",
        "insecure-bind-address": "bind_address",
        "secure-port": "secure_port",
        "insecure-port": "insecure_port",
        "port": "insecure_port",
        "etcd-servers": "etcd_servers",
        "etcd-cafile": "etcd_ca_file",
        "etcd-certfile": "etcd_cert_file",
        "etcd-keyfile": "etcd_key_file",
        "service-cluster-ip-range": "service_cidr",
        "portal-net": "service_cidr",
        "cluster-name": "cluster_name",
        "service-account-issuer": "service_account_issuer",
        "anonymous-auth": "anonymous_auth",
        "authentication-config": "anonymous_auth",
        "audit-log-path": "audit_log_path",
        "audit-policy-file": "audit_policy_file",
        "audit-log-maxage": "audit_log_maxage",
        "audit-log-maxbackup": "audit_log_maxbackup",
        "audit-log-maxsize": "audit_log_maxsize",
        "v": "verbosity",
    },
    "kube-controller-manager": {
        "master": "insecure_port",
        "kubeconfig": "kubeconfig_dir",
        "authentication-kubeconfig": "kubeconfig_dir",
        "authorization-kubeconfig": "kubeconfig_dir",
        "bind-address": "(fixed: 127.0.0.1, the probes' host)",
        "address": "(fixed: 127.0.0.1, the probes' host)",
        "secure-port": "(fixed: 10257, the probes' port)",
        "port": "(fixed: the profile's port)",
        "cluster-cidr": "pod_cidr",
        "allocate-node-cidrs": "pod_cidr",
        "node-cidr-mask-size": "node_cidr_mask_size",
        "node-cidr-mask-size-ipv4": "node_cidr_mask_size",
        "node-cidr-mask-size-ipv6": "node_cidr_mask_size",
        "service-cluster-ip-range": "service_cidr",
        "cluster-name": "cluster_name",
        "v": "verbosity",
    },
    "kube-scheduler": {
        "master": "insecure_port",
        "kubeconfig": "kubeconfig_dir",
        "authentication-kubeconfig": "kubeconfig_dir",
        "authorization-kubeconfig": "kubeconfig_dir",
        "bind-address": "(fixed: 127.0.0.1, the probes' host)",
        "address": "(fixed: 127.0.0.1, the probes' host)",
        "secure-port": "(fixed: 10259, the probes' port)",
        "port": "(fixed: the profile's port)",
        "v": "verbosity",
    },
    "kubelet": {
        "containerized": "kubelet_containerized",
        "hostname-override": "hostname_override",
        "address": "kubelet_address",
        "api-servers": "kubelet_api_servers",
        "config": "manifest_dir (seed) / kubelet_config_file (modern)",
        "kubeconfig": "kubelet_kubeconfig",
        "node-ip": "node_ip",
        "fail-cgroupv1": "fail_cgroup_v1",
        "cgroup-root": "cgroup_root",
        "cgroup-driver": "cgroup_driver",
        "container-runtime-endpoint": "container_runtime_endpoint",
    },
    "kube-proxy": {
        "master": "insecure_port",
        "config": "kube_proxy_config_file",
        "kubeconfig": "kube_proxy_kubeconfig",
        "hostname-override": "hostname_override",
        "proxy-mode": "proxy_mode",
        "cluster-cidr": "pod_cidr",
        "v": "verbosity",
    },
}

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_DOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DURATION = re.compile(r"^(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$")
_HOST_PATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice")
_MOUNT_KEYS = ("host_path", "mount_path", "read_only", "type", "components")


# --- value checks: each returns why a value is wrong, or None --------------------------------------------------------
def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _why_ip(value: object) -> str | None:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return f"{value!r} is not an IP address"
    return None if isinstance(value, str) else f"{value!r} is not an IP address string"


def _why_port(value: object) -> str | None:
    return None if _is_int(value) and 1 <= value <= 65535 else f"{value!r} is not a port (1-65535)"


def _why_count(value: object) -> str | None:
    return None if _is_int(value) and value >= 0 else f"{value!r} is not a whole number >= 0"


def _why_cidr(value: object) -> str | None:
    if not isinstance(value, str) or "/" not in value:
        return f"{value!r} is not a CIDR"
    try:
        ipaddress.ip_network(value, strict=False)  # Go's ParseCIDR accepts host bits (the seed's 10.0.0.1/24)
    except ValueError:
        return f"{value!r} is not a CIDR"
    return None


def _why_path(value: object) -> str | None:
    if not isinstance(value, str) or not value.startswith("/"):
        return f"{value!r} is not an absolute path"
    if "\0" in value or any(part == ".." for part in value.split("/")):
        return f"{value!r} is not a plain absolute path (no '..', no NUL)"
    return None


def _why_paths(value: object) -> str | None:
    if not isinstance(value, list):
        return f"{value!r} is not a list of absolute paths"
    return next((f"item {index}: {reason}" for index, item in enumerate(value) if (reason := _why_path(item))), None)


def _why_url(value: object, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    if not isinstance(value, str):
        return f"{value!r} is not a URL"
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return f"{value!r} has an invalid port"
    if parts.scheme not in schemes or not parts.hostname:
        return f"{value!r} is not a URL such as {schemes[-1]}://host:port"
    return None


def _why_urls(value: object) -> str | None:
    if not isinstance(value, list):
        return f"{value!r} is not a list of URLs"
    return next((reason for item in value if (reason := _why_url(item))), None)


def _why_ips(value: object) -> str | None:
    if not isinstance(value, list) or not value:
        return f"{value!r} is not a non-empty list of IP addresses"
    return next((reason for item in value if (reason := _why_ip(item))), None)


def _why_ipport(value: object) -> str | None:
    host, _, port = str(value).rpartition(":")
    if not isinstance(value, str) or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        return f"{value!r} is not an address:port such as 0.0.0.0:10256"
    return _why_ip(host.strip("[]"))


def _why_name(value: object) -> str | None:
    ok = isinstance(value, str) and len(value) <= 253 and _NAME.match(value)
    return None if ok else f"{value!r} is not a lowercase DNS name"


def _why_domain(value: object) -> str | None:
    ok = isinstance(value, str) and len(value) <= 253 and _DOMAIN.match(value)
    return None if ok else f"{value!r} is not a DNS domain such as cluster.local"


def _why_hostname(value: object) -> str | None:
    ok = isinstance(value, str) and value and not any(character.isspace() for character in value)
    return None if ok else f"{value!r} is not a host name"


def _why_bool(value: object) -> str | None:
    return None if isinstance(value, bool) else f"{value!r} is not true or false"


def _why_str(value: object) -> str | None:
    return None if isinstance(value, str) and value else f"{value!r} is not a non-empty string"


def _why_duration(value: object) -> str | None:
    ok = isinstance(value, str) and _DURATION.match(value)
    return None if ok else f"{value!r} is not a duration such as 20s or 1m0s"


def _why_endpoint(value: object) -> str | None:
    return _why_url(value, ("unix", "tcp", "npipe")) if not str(value).startswith("unix:///") else None


def _why_anonymous(value: object) -> str | None:
    if isinstance(value, bool) or value in ("health-endpoints", "enabled", "disabled"):
        return None
    return f"{value!r} is not one of health-endpoints, enabled, disabled (or true/false)"


_CHECKS: Mapping[str, Callable[[object], str | None]] = {
    "ip": _why_ip,
    "ips": _why_ips,
    "port": _why_port,
    "count": _why_count,
    "cidr": _why_cidr,
    "path": _why_path,
    "paths": _why_paths,
    "url": _why_url,
    "urls": _why_urls,
    "ipport": _why_ipport,
    "name": _why_name,
    "domain": _why_domain,
    "hostname": _why_hostname,
    "bool": _why_bool,
    "str": _why_str,
    "duration": _why_duration,
    "endpoint": _why_endpoint,
    "anonymous": _why_anonymous,
}


def _image_errors(value: object) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"kube settings: images must be a mapping of component to image reference, got {value!r}"]
    errors = []
    for component, reference in value.items():
        if component not in COMPONENTS:
            errors.append(f"kube settings: images has unknown component {component!r}; known: {', '.join(COMPONENTS)}")
        elif not isinstance(reference, str) or not reference or any(char.isspace() for char in reference):
            errors.append(f"kube settings: images.{component} {reference!r} is not an image reference")
    return errors


def _mount_errors(value: object) -> list[str]:
    if not isinstance(value, list):
        return [f"kube settings: extra_mounts must be a list of mappings, got {value!r}"]
    errors = []
    for index, mount in enumerate(value):
        where = f"kube settings: extra_mounts[{index}]"
        if not isinstance(mount, Mapping):
            errors.append(f"{where} must be a mapping with host_path, got {mount!r}")
            continue
        unknown = sorted(set(mount) - set(_MOUNT_KEYS))
        if unknown:
            errors.append(f"{where} has unknown keys {unknown}; known: {', '.join(_MOUNT_KEYS)}")
        for key, check in (("host_path", _why_path), ("mount_path", _why_path), ("read_only", _why_bool)):
            if key in mount and mount[key] is not None and (reason := check(mount[key])):
                errors.append(f"{where}.{key}: {reason}")
        if "host_path" not in mount:
            errors.append(f"{where} needs host_path")
        if mount.get("type", "") not in _HOST_PATH_TYPES:
            errors.append(f"{where}.type {mount.get('type')!r} is not one of {', '.join(map(repr, _HOST_PATH_TYPES))}")
        components = mount.get("components", list(CONTROL_PLANE))
        if not isinstance(components, list) or any(item not in CONTROL_PLANE for item in components):
            errors.append(f"{where}.components {components!r} must list some of {', '.join(CONTROL_PLANE)}")
    return errors


def _extra_flag_errors(value: object) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"kube settings: extra_flags must be a mapping of component to flags, got {value!r}"]
    errors = []
    for component, flags in value.items():
        try:
            canonical = component_name(component)
        except KubeFlagsetError as error:
            errors.append(f"kube settings: extra_flags: {error}")
            continue
        if not isinstance(flags, Mapping):
            errors.append(f"kube settings: extra_flags.{component} must be a mapping of flag to value, got {flags!r}")
            continue
        for name in flags:
            try:
                bare = normalize_flag_name(flag_name(name))
            except KubeFlagsError as error:
                errors.append(f"kube settings: extra_flags.{component}: {error}")
                continue
            owner = _OWNED_FLAGS.get(canonical, {}).get(bare)
            if owner:
                how = owner if owner.startswith("(") else f"by the setting {owner!r}; set that instead"
                errors.append(f"kube settings: extra_flags.{component}: --{bare} is managed {how}")
    return errors


def _unknown_key_message(key: object) -> str:
    close = difflib.get_close_matches(str(key), SETTINGS, n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"kube settings: unknown key {key!r}{hint}; known keys: {', '.join(SETTINGS)}"


def _settings_errors(given: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    for key, value in given.items():
        spec = SETTINGS.get(key)
        if spec is None:
            errors.append(_unknown_key_message(key))
        elif value is None or (value is False and spec.can_be_off):
            continue
        elif spec.kind == "images":
            errors.extend(_image_errors(value))
        elif spec.kind == "mounts":
            errors.extend(_mount_errors(value))
        elif spec.kind == "extra_flags":
            errors.extend(_extra_flag_errors(value))
        elif spec.kind == "choice":
            if value not in spec.choices:
                errors.append(f"kube settings: {key} {value!r} is not one of {', '.join(spec.choices)}")
        elif reason := _CHECKS[spec.kind](value):
            errors.append(f"kube settings: {key} {reason}")
    return errors


# --- resolving -----------------------------------------------------------------------------------------------------
def _profile(profile_reference: str) -> KubeProfile:
    try:
        return get_profile(profile_reference)
    except KubeProfileError as error:
        raise KubeManifestError([str(error)]) from None


def _join(directory: str, name: str) -> str:
    return posixpath.join(directory, name)


def _nth_address(cidr: str, index: int) -> str:
    return str(ipaddress.ip_network(cidr, strict=False)[index])


def _profile_rules(profile: KubeProfile, resolved: dict[str, Any]) -> list[str]:
    """Errors for settings that the profile's release cannot honour."""
    errors = []
    label = profile.label
    if profile.name == "modern":
        if resolved["insecure_port"] is not None:
            errors.append(f"kube settings: insecure_port: {label} has no insecure port (removed in 1.20)")
        if resolved["kubelet_containerized"]:
            errors.append(f"kube settings: kubelet_containerized: {label} has no kubelet --containerized (1.16)")
        if resolved["kubelet_api_servers"]:
            errors.append(f"kube settings: kubelet_api_servers: {label} has no kubelet --api-servers; use a kubeconfig")
        plain = [url for url in resolved["etcd_servers"] if not url.startswith("https://")]
        if plain:
            errors.append(f"kube settings: etcd_servers {plain[0]!r} is plain HTTP; {label} uses etcd over TLS only")
        if not resolved["etcd_servers"]:
            errors.append("kube settings: etcd_servers must list at least one URL")
    else:
        tls = [url for url in resolved["etcd_servers"] if not url.startswith("http://")]
        if tls:
            errors.append(
                f"kube settings: etcd_servers {tls[0]!r}: kube-apiserver {profile.version} has no etcd TLS flags "
                "(--etcd-cafile arrived later); use http:// URLs"
            )
        if not resolved["etcd_servers"]:
            errors.append("kube settings: etcd_servers must list at least one URL")
    if (resolved["kubelet_tls_cert_file"] is None) != (resolved["kubelet_tls_key_file"] is None):
        errors.append("kube settings: kubelet_tls_cert_file and kubelet_tls_key_file go together; give both or neither")
    if resolved["pod_cidr"] and resolved["service_cidr"]:
        service = ipaddress.ip_network(resolved["service_cidr"], strict=False)
        pods = ipaddress.ip_network(resolved["pod_cidr"], strict=False)
        if service.version == pods.version and service.overlaps(pods):
            errors.append(
                f"kube settings: service_cidr {resolved['service_cidr']!r} and pod_cidr {resolved['pod_cidr']!r} "
                "overlap; Service and Pod addresses must come from separate ranges"
            )
    if profile.name == "modern" and resolved["pod_cidr"] and resolved["node_cidr_mask_size"] is not None:
        errors.extend(f"kube settings: {message}" for message in
                      node_subnet_problems(resolved["pod_cidr"], resolved["node_cidr_mask_size"], resolved["max_pods"]))
    if resolved["proxy_mode"] is not None:
        errors.extend(f"kube settings: proxy_mode: {message}" for message in
                      check_features(profile.reference, {"proxy_mode": resolved["proxy_mode"]}))
    return errors


def resolve_settings(profile_name: str, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings with the profile's defaults filled in and derived values computed, or KubeManifestError.

    The result also holds `profile` (the name: seed, modern), `profile_reference` (name@version), `version`,
    `paths` (every file the components read: the PKI files and kubeconfigs, by role) and `anonymous_auth`
    normalised to health-endpoints | enabled | disabled. `profile_name` may be any profile reference.
    """
    profile = _profile(profile_name)
    if not isinstance(settings, (Mapping, type(None))):
        raise KubeManifestError([f"kube settings must be a mapping, got {settings!r}"])
    given = dict(settings or {})
    errors = _settings_errors(given)
    if errors:
        raise KubeManifestError(errors)
    resolved: dict[str, Any] = {}
    for key, spec in SETTINGS.items():
        default = spec.seed if profile.name == "seed" else spec.modern
        value = given.get(key)
        if value is False and spec.can_be_off:
            resolved[key] = [] if spec.kind == "urls" else None
        else:
            resolved[key] = plain_data(default if value is None else value)
    resolved["images"] = {
        **{component: image.reference for component, image in profile.images.items()},
        **resolved["images"],
    }
    extra = resolved["extra_flags"]
    resolved["extra_flags"] = {
        component_name(component): {normalize_flag_name(flag_name(name)): value for name, value in flags.items()}
        for component, flags in extra.items()
    }
    if isinstance(resolved["anonymous_auth"], bool):
        resolved["anonymous_auth"] = "enabled" if resolved["anonymous_auth"] else "disabled"
    pki = resolved["pki_dir"]
    kubeconfigs = resolved["kubeconfig_dir"]
    if profile.name == "modern":
        resolved["etcd_ca_file"] = resolved["etcd_ca_file"] or _join(pki, "etcd/ca.crt")
        resolved["etcd_cert_file"] = resolved["etcd_cert_file"] or _join(pki, "apiserver-etcd-client.crt")
        resolved["etcd_key_file"] = resolved["etcd_key_file"] or _join(pki, "apiserver-etcd-client.key")
        resolved["kubelet_kubeconfig"] = resolved["kubelet_kubeconfig"] or _join(
            kubeconfigs, KUBECONFIG_FILES["kubelet"]
        )
        resolved["kube_proxy_kubeconfig"] = resolved["kube_proxy_kubeconfig"] or _join(
            kubeconfigs, KUBECONFIG_FILES["kube-proxy"]
        )
        resolved["cluster_dns"] = resolved["cluster_dns"] or [_nth_address(resolved["service_cidr"], 10)]
        if resolved["pod_cidr"] and resolved["node_cidr_mask_size"] is None:  # the controller-manager's defaults
            pods = ipaddress.ip_network(resolved["pod_cidr"], strict=False)
            resolved["node_cidr_mask_size"] = 24 if pods.version == 4 else 64
        resolved["service_account_issuer"] = (
            resolved["service_account_issuer"] or f"https://kubernetes.default.svc.{resolved['cluster_domain']}"
        )
    elif resolved["kubelet_api_servers"] is None:
        resolved["kubelet_api_servers"] = [f"http://localhost:{resolved['insecure_port']}"]
    errors = _profile_rules(profile, resolved)
    if errors:
        raise KubeManifestError(errors)
    resolved["profile"] = profile.name
    resolved["profile_reference"] = profile.reference
    resolved["version"] = profile.version
    resolved["paths"] = {
        "pki": {role: _join(pki, name) for role, name in PKI_FILES.items()},
        "kubeconfig": {component: _join(kubeconfigs, name) for component, name in KUBECONFIG_FILES.items()},
    }
    return resolved


# --- flags ---------------------------------------------------------------------------------------------------------
def _checked(component: str, profile: KubeProfile, flags: Mapping[str, Any], errors: list[str],
             warnings: list[str] | None) -> None:
    result = check_flags(component, profile.reference, flags)
    errors.extend(result.errors)
    if warnings is not None:
        warnings.extend(result.warnings)


def _merge_extra(component: str, defaults: dict[str, Any], resolved: Mapping[str, Any]) -> dict[str, Any]:
    """The builder's flags with extra_flags over them; a None extra value removes the default flag."""
    merged = dict(defaults)
    for name, value in resolved["extra_flags"].get(component, {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _render_in_order(flags: Mapping[str, Any], order: Sequence[str], bare_true: bool = False) -> list[str]:
    """`--name=value` in the given order, then the rest sorted; None left out; bare `--name` for true if asked."""
    rendered = []
    for name in [*order, *sorted(set(flags) - set(order))]:
        value = flags.get(name)
        if value is None:
            continue
        if bare_true and value is True:
            rendered.append(f"--{name}")
        else:
            rendered.extend(render_flags({name: value}))
    return rendered


def _command(component: str, profile: KubeProfile, flags: dict[str, Any], order: Sequence[str] | None,
             errors: list[str], warnings: list[str] | None, bare_true: bool = False) -> list[str]:
    _checked(component, profile, flags, errors, warnings)
    if order is None:
        return render_flags(flags)
    return _render_in_order(flags, order, bare_true)


def _component_command(component: str, profile: KubeProfile, resolved: Mapping[str, Any], errors: list[str],
                       warnings: list[str] | None) -> list[str]:
    row = BY_NAME[component]
    if profile.name == "seed":
        flags = _merge_extra(component, row.seed_flags(resolved), resolved)
        return _command(component, profile, flags, row.seed_flag_order, errors, warnings,
                        bare_true=component == "kubelet")
    flags = _merge_extra(component, row.modern_flags(resolved), resolved)
    return _command(component, profile, flags, None, errors, warnings)


# --- pods ----------------------------------------------------------------------------------------------------------
def _slug(path: str) -> str:
    """A volume name from a path: /etc/ssl/certs -> etc-ssl-certs (a DNS label, at most 63 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    return slug[:63].rstrip("-")


@dataclass(frozen=True)
class _Mount:
    name: str
    host_path: str
    mount_path: str
    read_only: bool
    type: str


def _mounts(component: str, resolved: Mapping[str, Any]) -> list[_Mount]:
    """The hostPath mounts of one control-plane container (modern layout, plus extra_mounts in both profiles)."""
    mounts: list[_Mount] = []

    def add(name: str, host_path: str, read_only: bool, kind: str, mount_path: str | None = None) -> None:
        if any(mount.host_path == host_path for mount in mounts):
            return
        taken = {mount.name for mount in mounts}
        unique, counter = name, 1
        while unique in taken:
            counter += 1
            unique = f"{name[:60]}-{counter}"
        mounts.append(_Mount(unique, host_path, mount_path or host_path, read_only, kind))

    def covered(path: str) -> bool:
        return any(path == mount.host_path or path.startswith(mount.host_path.rstrip("/") + "/") for mount in mounts)

    row = BY_NAME[component]
    if resolved["profile"] == "modern":
        for directory in resolved["ca_certs_dirs"]:
            add(_slug(directory), directory, True, "DirectoryOrCreate")
        if row.reads_pki:
            add("k8s-certs", resolved["pki_dir"], True, "DirectoryOrCreate")
        if row.kubeconfig:
            add("kubeconfig", resolved["paths"]["kubeconfig"][component], True, "File")
        if component == "kube-apiserver":  # the files its settings name
            for path in (resolved["etcd_ca_file"], resolved["etcd_cert_file"], resolved["etcd_key_file"]):
                if not covered(path):
                    add("etcd-" + _slug(posixpath.dirname(path)), posixpath.dirname(path), True, "DirectoryOrCreate")
            if resolved["anonymous_auth"] == "health-endpoints":
                add("authentication-config", resolved["authentication_config_file"], True, "File")
            if resolved["audit_enabled"]:
                add("audit-policy", resolved["audit_policy_file"], True, "File")
                add("audit-log", posixpath.dirname(resolved["audit_log_path"]), False, "DirectoryOrCreate")
    for mount in resolved["extra_mounts"]:
        if component in mount.get("components", CONTROL_PLANE):
            read_only = mount.get("read_only")
            add(_slug(mount["host_path"]), mount["host_path"], True if read_only is None else read_only,
                mount.get("type") or "", mount.get("mount_path"))
    return mounts


def _volumes(mounts: Sequence[_Mount]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    volumes = []
    volume_mounts = []
    for mount in mounts:
        host_path: dict[str, Any] = {"path": mount.host_path}
        if mount.type:
            host_path["type"] = mount.type
        volumes.append({"name": mount.name, "hostPath": host_path})
        volume_mounts.append({"name": mount.name, "mountPath": mount.mount_path, "readOnly": mount.read_only})
    return volumes, volume_mounts


def _probe_action(profile: KubeProfile, resolved: Mapping[str, Any], component: str, path: str) -> dict[str, Any]:
    health_port = BY_NAME[component].health_port
    if health_port is None:  # the apiserver, on its secure port
        bind = ipaddress.ip_address(resolved["bind_address"])
        host = resolved["advertise_address"] if bind.is_unspecified else resolved["bind_address"]
        port = resolved["secure_port"]
        if resolved["anonymous_auth"] == "disabled":
            # The kubelet's httpGet carries no client certificate: without anonymous access the probe would get
            # 401 and the kubelet would restart a healthy apiserver. A TCP connect needs no credentials.
            return {"tcpSocket": {"host": host, "port": port}}
    else:
        host, port = "127.0.0.1", getattr(profile.ports, health_port)
    return {"httpGet": {"host": host, "path": path, "port": port, "scheme": "HTTPS"}}


def _probes(profile: KubeProfile, resolved: Mapping[str, Any], component: str) -> dict[str, Any]:
    if BY_NAME[component].health_port is None:  # the apiserver: /livez and /readyz apart, as kubeadm probes it
        return {
            "livenessProbe": {**_probe_action(profile, resolved, component, "/livez"), **_LIVENESS},
            "readinessProbe": {**_probe_action(profile, resolved, component, "/readyz"), **_READINESS},
            "startupProbe": {**_probe_action(profile, resolved, component, "/livez"), **_STARTUP},
        }
    return {
        "livenessProbe": {**_probe_action(profile, resolved, component, "/healthz"), **_LIVENESS},
        "startupProbe": {**_probe_action(profile, resolved, component, "/healthz"), **_STARTUP},
    }


def _modern_pod(component: str, profile: KubeProfile, resolved: Mapping[str, Any], errors: list[str],
                warnings: list[str] | None) -> dict[str, Any]:
    command = [*profile.images[component].command, *_component_command(component, profile, resolved, errors,
                                                                        warnings)]
    volumes, volume_mounts = _volumes(_mounts(component, resolved))
    container: dict[str, Any] = {
        "name": component,
        "image": resolved["images"][component],
        "imagePullPolicy": "IfNotPresent",
        "command": command,
        **_probes(profile, resolved, component),
        "resources": {"requests": {"cpu": BY_NAME[component].cpu_request}},
        "volumeMounts": volume_mounts,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": component,
            "namespace": NAMESPACE,
            "labels": {"component": component, "tier": "control-plane", "app.kubernetes.io/managed-by": "curtain"},
        },
        "spec": {
            "hostNetwork": True,
            "priority": PRIORITY,
            "priorityClassName": PRIORITY_CLASS,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container],
            "volumes": volumes,
        },
    }


def _seed_pod(profile: KubeProfile, resolved: Mapping[str, Any], errors: list[str],
              warnings: list[str] | None) -> dict[str, Any]:
    containers = []
    volumes: dict[str, dict[str, Any]] = {}
    for component in SEED_POD_ORDER:
        name = BY_NAME[component].hyperkube_subcommand
        command = [*profile.images[component].command, *_component_command(component, profile, resolved, errors,
                                                                            warnings)]
        container: dict[str, Any] = {"name": name, "image": resolved["images"][component], "command": command}
        component_volumes, volume_mounts = _volumes(_mounts(component, resolved))
        if volume_mounts:  # only extra_mounts; the seed's pod had none
            container["volumeMounts"] = volume_mounts
            volumes.update({volume["name"]: volume for volume in component_volumes})
        containers.append(container)
    spec: dict[str, Any] = {"hostNetwork": True, "containers": containers}
    if volumes:
        spec["volumes"] = list(volumes.values())
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": SEED_POD_NAME}, "spec": spec}


def control_plane_pods(profile_name: str, settings: Mapping[str, Any] | None = None,
                       warnings: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """{filename: Pod} for the static pod directory: seed {"master.json": k8s-master}; modern three YAML files.

    Every command line is checked against the profile's flag set; all errors together raise KubeManifestError.
    Deprecation warnings (the seed's --portal-net and --address, for one) are appended to `warnings` if given.
    """
    resolved = resolve_settings(profile_name, settings)
    profile = _profile(profile_name)
    errors: list[str] = []
    if profile.name == "modern" and resolved["advertise_address"] is None:
        raise KubeManifestError([f"kube settings: advertise_address is required for the pods of {profile.label}"])
    if profile.name == "seed":
        pods = {SEED_MANIFEST: _seed_pod(profile, resolved, errors, warnings)}
    else:
        pods = {f"{component}.yaml": _modern_pod(component, profile, resolved, errors, warnings)
                for component in CONTROL_PLANE}
    if errors:
        raise KubeManifestError(errors)
    return pods


# --- files the pods read -------------------------------------------------------------------------------------------
def audit_policy() -> dict[str, Any]:
    """An audit.k8s.io/v1 Policy: metadata of every request (never bodies, so no Secret data), no health probes."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
            {"level": "Metadata"},
        ],
    }


def apiserver_authentication_configuration() -> dict[str, Any]:
    """An AuthenticationConfiguration allowing anonymous requests to the health endpoints only (KEP-4633)."""
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "anonymous": {"enabled": True, "conditions": [{"path": path} for path in ANONYMOUS_PATHS]},
    }


def control_plane_files(profile_name: str, settings: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """{host path: object} for the configuration files the control-plane pods read (none in seed)."""
    resolved = resolve_settings(profile_name, settings)
    files: dict[str, dict[str, Any]] = {}
    if resolved["profile"] == "seed":
        return files
    if resolved["audit_enabled"]:
        files[resolved["audit_policy_file"]] = audit_policy()
    if resolved["anonymous_auth"] == "health-endpoints":
        files[resolved["authentication_config_file"]] = apiserver_authentication_configuration()
    return files


# --- kubeconfig ----------------------------------------------------------------------------------------------------
def _pem_data(text: object, what: str) -> str:
    if not isinstance(text, str) or "-----BEGIN " not in text:
        raise KubeManifestError([f"kubeconfig: {what} must be PEM text (-----BEGIN ...), got {type(text).__name__}"])
    return base64.b64encode(text.encode()).decode()


def kubeconfig(
    cluster_name: str,
    server: str,
    ca_file: str | None,
    client_cert_file: str | None,
    client_key_file: str | None,
    user: str,
    *,
    embed: bool = False,
    ca_pem: str | None = None,
    client_cert_pem: str | None = None,
    client_key_pem: str | None = None,
) -> dict[str, Any]:
    """A v1 Config with one cluster, one user and one context `<user>@<cluster_name>`, selected.

    By default it refers to files on the host (certificate-authority, client-certificate, client-key). With
    `embed=True` it carries the PEM texts given (ca_pem, client_cert_pem, client_key_pem) as base64 *-data fields
    instead, as the admin kubeconfig fetched to the controller must. An https server needs a CA.
    """
    errors = []
    if reason := _why_name(cluster_name):
        errors.append(f"kubeconfig: cluster_name {reason}")
    if not isinstance(user, str) or not user or any(character.isspace() for character in user):
        errors.append(f"kubeconfig: user {user!r} is not a user name")
    if reason := _why_url(server):
        errors.append(f"kubeconfig: server {reason}")
    files = {"ca_file": ca_file, "client_cert_file": client_cert_file, "client_key_file": client_key_file}
    if not embed:
        errors.extend(f"kubeconfig: {key} {reason}" for key, value in files.items()
                      if value is not None and (reason := _why_path(value)))
    has_ca = bool(ca_pem if embed else ca_file)
    cert, key = (client_cert_pem, client_key_pem) if embed else (client_cert_file, client_key_file)
    if isinstance(server, str) and server.startswith("https://") and not has_ca:
        errors.append("kubeconfig: an https server needs a CA (" + ("ca_pem" if embed else "ca_file") + ")")
    if (cert is None) != (key is None):
        errors.append("kubeconfig: the client certificate and key go together; give both or neither")
    if errors:
        raise KubeManifestError(errors)
    cluster: dict[str, Any] = {"server": server}
    credentials: dict[str, Any] = {}
    if embed:
        if ca_pem is not None:
            cluster["certificate-authority-data"] = _pem_data(ca_pem, "ca_pem")
        if cert is not None:
            credentials["client-certificate-data"] = _pem_data(cert, "client_cert_pem")
            credentials["client-key-data"] = _pem_data(key, "client_key_pem")
    else:
        if ca_file:
            cluster["certificate-authority"] = ca_file
        if cert is not None:
            credentials["client-certificate"] = cert
            credentials["client-key"] = key
    context = f"{user}@{cluster_name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": context,
        "preferences": {},
    }


# --- kubelet -------------------------------------------------------------------------------------------------------
def _require_config_file(profile_name: str, feature: str) -> KubeProfile:
    profile = _profile(profile_name)
    errors = check_features(profile.reference, {feature: True})
    if errors:
        raise KubeManifestError(errors)
    return profile


def kubelet_configuration(settings: Mapping[str, Any] | None = None, profile_name: str = "modern") -> dict[str, Any]:
    """The kubelet.config.k8s.io/v1beta1 KubeletConfiguration (profiles with a kubelet config file only)."""
    _require_config_file(profile_name, "kubelet_config_file")
    resolved = resolve_settings(profile_name, settings)
    config: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "staticPodPath": resolved["manifest_dir"],
        "fileCheckFrequency": resolved["file_check_frequency"],
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": resolved["paths"]["pki"]["ca_cert"]},
        },
        "authorization": {"mode": "Webhook"},
        "healthzBindAddress": resolved["kubelet_healthz_bind_address"],
        "healthzPort": resolved["kubelet_healthz_port"],
        "clusterDNS": resolved["cluster_dns"],
        "clusterDomain": resolved["cluster_domain"],
        "maxPods": resolved["max_pods"],
        "resolvConf": resolved["resolv_conf"],
        "cgroupDriver": resolved["cgroup_driver"],
        "readOnlyPort": 0,
        "failSwapOn": resolved["fail_swap_on"],
        "failCgroupV1": resolved["fail_cgroup_v1"],
    }
    optional = {
        "address": resolved["kubelet_address"],
        "tlsCertFile": resolved["kubelet_tls_cert_file"],
        "tlsPrivateKeyFile": resolved["kubelet_tls_key_file"],
        "containerRuntimeEndpoint": resolved["container_runtime_endpoint"],
        "cgroupRoot": resolved["cgroup_root"],
    }
    config.update({key: value for key, value in optional.items() if value is not None})
    return config


def _flags_of(component: str, profile_name: str, settings: Mapping[str, Any] | None,
              warnings: list[str] | None) -> list[str]:
    """The checked command-line flags of a component that runs outside the static pods (kubelet, kube-proxy)."""
    resolved = resolve_settings(profile_name, settings)
    errors: list[str] = []
    flags = _component_command(component, _profile(profile_name), resolved, errors, warnings)
    if errors:
        raise KubeManifestError(errors)
    return flags


def kubelet_flags(profile_name: str, settings: Mapping[str, Any] | None = None,
                  warnings: list[str] | None = None) -> list[str]:
    """The kubelet's command-line flags (without the binary): the seed's five, or modern --config/--kubeconfig/..."""
    return _flags_of("kubelet", profile_name, settings, warnings)


# --- the files of a host, as curtain.kube.kube_file's `files` takes them --------------------------------------------
def master_config_files(profile_name: str, settings: Mapping[str, Any] | None = None, control_plane: bool = True,
                        warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """What the hyperkube_master role writes as host_files' shown documents (no secret in them): a master's own files
    (the audit policy, the authentication configuration), the KubeletConfiguration (profiles that have one) and a
    master's static pods, each {content, dest, mode, validate, kubernetes_version} (the profile's, which the
    validation reads). All 0600: they name or hold credentials' paths."""
    resolved = resolve_settings(profile_name, settings)
    files = []
    if control_plane:
        files += [{"content": content, "dest": path, "mode": "0600", "validate": "none"}
                  for path, content in control_plane_files(profile_name, settings).items()]
    if _profile(profile_name).features.kubelet_config_file:
        files.append({"content": kubelet_configuration(settings, profile_name), "dest": resolved["kubelet_config_file"],
                      "mode": "0600", "validate": "kubelet_configuration"})
    if control_plane:
        files += [{"content": pod, "dest": _join(resolved["manifest_dir"], name), "mode": "0600", "validate": "pod"}
                  for name, pod in control_plane_pods(profile_name, settings, warnings).items()]
    return [{**entry, "kubernetes_version": profile_name} for entry in files]


def kubeconfig_files(clients: Sequence[Mapping[str, str]], cluster_name: str, server: str, kubeconfig_dir: str,
                     ca_pem: str, client_pems: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Kubeconfigs that carry their certificates, as kubeadm's do, one per client ({file, cert, user}, as
    kube_pki.kubeconfig_clients gives them), each {content, dest, mode 0600, validate kubeconfig}; client_pems maps a
    client's cert to its (certificate, key) PEM texts."""
    return [{"content": kubeconfig(cluster_name, server, None, None, None, client["user"], embed=True, ca_pem=ca_pem,
                                   client_cert_pem=client_pems[client["cert"]][0],
                                   client_key_pem=client_pems[client["cert"]][1]),
             "dest": _join(kubeconfig_dir, client["file"]), "mode": "0600", "validate": "kubeconfig"}
            for client in clients]


# --- kube-proxy ----------------------------------------------------------------------------------------------------
def kube_proxy_configuration(settings: Mapping[str, Any] | None = None,
                             profile_name: str = "modern") -> dict[str, Any]:
    """The kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration (profiles with a kube-proxy config file only)."""
    _require_config_file(profile_name, "kube_proxy_config_file")
    resolved = resolve_settings(profile_name, settings)
    config: dict[str, Any] = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": resolved["kube_proxy_kubeconfig"]},
        "healthzBindAddress": resolved["kube_proxy_healthz_bind_address"],
        "metricsBindAddress": resolved["kube_proxy_metrics_bind_address"],
    }
    if resolved["proxy_mode"]:  # off: kube-proxy picks its default (iptables on Linux)
        config["mode"] = resolved["proxy_mode"]
    if resolved["pod_cidr"]:
        config["clusterCIDR"] = resolved["pod_cidr"]
    if resolved["kube_proxy_conntrack_max_per_core"] is not None:
        config["conntrack"] = {"maxPerCore": resolved["kube_proxy_conntrack_max_per_core"]}
    return config


def kube_proxy_flags(profile_name: str, settings: Mapping[str, Any] | None = None,
                     warnings: list[str] | None = None) -> list[str]:
    """kube-proxy's command-line flags: seed --master=http://127.0.0.1:8080 --v=2, modern --config (+hostname)."""
    return _flags_of("kube-proxy", profile_name, settings, warnings)


__all__ = [
    "CONTROL_PLANE",
    "KUBECONFIG_FILES",
    "PKI_FILES",
    "SEED_MANIFEST",
    "SETTINGS",
    "KubeManifestError",
    "apiserver_authentication_configuration",
    "audit_policy",
    "control_plane_files",
    "control_plane_pods",
    "kube_proxy_configuration",
    "kube_proxy_flags",
    "kubeconfig",
    "kubeconfig_files",
    "kubelet_configuration",
    "kubelet_flags",
    "master_config_files",
    "resolve_settings",
]

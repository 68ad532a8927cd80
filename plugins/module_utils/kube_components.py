# Copyright: curtain contributors
# Apache License 2.0
"""The Kubernetes components curtain runs, one row each: everything about a component that is not a setting.

A row holds its name, its image and hyperkube subcommand, its kubeconfig and the client certificate and user in it,
where it answers for its health, the ports it holds on its host, its CPU request, which host directories its static
pod reads, and how its command line is built from the resolved settings (kube_manifests.resolve_settings) in each
profile. kube_manifests builds the pods and flags from these rows, kube_pki the certificates, endpoints the health
checks, kube_profiles the images, and the planners and preflight the ports each host must have free (port_needs).
Adding a component means adding a row (and its flag set: scripts/generate_flagsets.py).

The flag builders return {flag: value}; None leaves a flag out. extra_flags are merged over them later, and
kube_flags checks the result against the profile's flag set.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Flags = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Listen:
    """A TCP port a component listens on, on its host: the resolved setting that gives it (a port, or a host:port
    address), else the kube_profiles.Ports field, where the profile has no such setting."""

    what: str  # as messages name it: "kube-apiserver", "kubelet healthz"
    setting: str | None = None
    profile_port: str | None = None


@dataclass(frozen=True)
class PortNeed:
    """A port a host must have free for a component (unless curtain's own container holds it), and the variable
    that moves it."""

    port: int
    component: str  # Listen.what
    variable: str  # e.g. hyperkube_master_settings.secure_port; "" when the profile fixes the port

    def where(self) -> str:
        return self.variable or "fixed by the profile"


@dataclass(frozen=True)
class Component:
    name: str
    hyperkube_subcommand: str  # 1.1 ran every component as a subcommand of the one hyperkube binary
    control_plane: bool  # a static pod of its own (modern), a container of the seed's master.json (seed)
    image: bool  # the modern profile runs it from an image of its own (the kubelet runs in the kubelet container)
    kubeconfig: str | None  # its kubeconfig's file name in kubeconfig_dir (kubeadm's names)
    client_certificate: str | None  # the client certificate in that kubeconfig: <pki_dir>/<name>.crt and .key
    user: str | None  # that certificate's CN, the user RBAC's bootstrap policy binds ({node}: the node's name)
    health_port: str | None  # the kube_profiles.Ports field of its own /healthz; None when a setting decides it
    cpu_request: str | None  # its static pod's CPU request (kubeadm's)
    reads_pki: bool  # its static pod mounts pki_dir (the scheduler reads only its kubeconfig)
    listens: tuple[Listen, ...]  # the ports it holds on its host (preflight and the roles' looks ask who holds them)
    seed_flag_order: tuple[str, ...]  # the seed's flags in the seed's order
    seed_flags: Flags
    modern_flags: Flags

    def user_for(self, node_name: str) -> str | None:
        return None if self.user is None else self.user.format(node=node_name)


# --- the flag builders ---------------------------------------------------------------------------------------------
def _api_host(resolved: Mapping[str, Any]) -> str:
    """Where a local client reaches the apiserver: its bind address, or loopback when it binds every address."""
    address = ipaddress.ip_address(resolved["bind_address"])
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return str(address)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _seed_master(resolved: Mapping[str, Any]) -> str:
    return _host_port(_api_host(resolved), resolved["insecure_port"])


def _seed_apiserver(resolved: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "portal-net": resolved["service_cidr"],
        "address": resolved["bind_address"],
        "insecure-port": resolved["insecure_port"] if resolved["insecure_port"] != 8080 else None,
        "etcd-servers": resolved["etcd_servers"],
        "cluster-name": resolved["cluster_name"],
        "v": resolved["verbosity"],
    }


def _seed_controller_manager(resolved: Mapping[str, Any]) -> dict[str, Any]:
    pods = resolved["pod_cidr"]
    return {"master": _seed_master(resolved), "cluster-cidr": pods, "allocate-node-cidrs": True if pods else None,
            "v": resolved["verbosity"]}


def _seed_scheduler(resolved: Mapping[str, Any]) -> dict[str, Any]:
    return {"master": _seed_master(resolved), "v": resolved["verbosity"]}


def _seed_kubelet(resolved: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "containerized": True if resolved["kubelet_containerized"] else None,
        "hostname-override": resolved["hostname_override"],
        "address": resolved["kubelet_address"],
        "api-servers": resolved["kubelet_api_servers"] or None,
        "config": resolved["manifest_dir"],
    }


def _seed_kube_proxy(resolved: Mapping[str, Any]) -> dict[str, Any]:
    return {"master": f"http://{_seed_master(resolved)}", "proxy-mode": resolved["proxy_mode"],
            "v": resolved["verbosity"]}


def _modern_apiserver(resolved: Mapping[str, Any]) -> dict[str, Any]:
    pki = resolved["paths"]["pki"]
    flags: dict[str, Any] = {
        "advertise-address": resolved["advertise_address"],
        "allow-privileged": True,
        "authorization-mode": ["Node", "RBAC"],
        "bind-address": resolved["bind_address"],
        "client-ca-file": pki["ca_cert"],
        "enable-admission-plugins": ["NodeRestriction"],
        "etcd-cafile": resolved["etcd_ca_file"],
        "etcd-certfile": resolved["etcd_cert_file"],
        "etcd-keyfile": resolved["etcd_key_file"],
        "etcd-servers": resolved["etcd_servers"],
        "kubelet-client-certificate": pki["apiserver_kubelet_client_cert"],
        "kubelet-client-key": pki["apiserver_kubelet_client_key"],
        # Only sensible once kubelets serve certificates from the cluster CA (kubelet_tls_cert_file); their
        # default self-signed certificates would fail the check and break logs, exec and port-forward.
        "kubelet-certificate-authority": pki["ca_cert"] if resolved["kubelet_tls_cert_file"] else None,
        "kubelet-preferred-address-types": ["InternalIP", "ExternalIP", "Hostname"],
        "profiling": False,
        "proxy-client-cert-file": pki["front_proxy_client_cert"],
        "proxy-client-key-file": pki["front_proxy_client_key"],
        "requestheader-allowed-names": ["front-proxy-client"],
        "requestheader-client-ca-file": pki["front_proxy_ca_cert"],
        "requestheader-extra-headers-prefix": ["X-Remote-Extra-"],
        "requestheader-group-headers": ["X-Remote-Group"],
        "requestheader-username-headers": ["X-Remote-User"],
        "secure-port": resolved["secure_port"],
        "service-account-issuer": [resolved["service_account_issuer"]],
        "service-account-key-file": [pki["service_account_public_key"]],
        "service-account-signing-key-file": pki["service_account_private_key"],
        "service-cluster-ip-range": resolved["service_cidr"],
        "tls-cert-file": pki["apiserver_cert"],
        "tls-private-key-file": pki["apiserver_key"],
        "v": resolved["verbosity"],
    }
    anonymous = resolved["anonymous_auth"]
    if anonymous == "health-endpoints":
        flags["authentication-config"] = resolved["authentication_config_file"]
    else:  # --anonymous-auth and an AuthenticationConfiguration's anonymous section exclude each other
        flags["anonymous-auth"] = anonymous == "enabled"
    if resolved["audit_enabled"]:
        flags.update(
            {
                "audit-log-path": resolved["audit_log_path"],
                "audit-policy-file": resolved["audit_policy_file"],
                "audit-log-maxage": resolved["audit_log_maxage"],
                "audit-log-maxbackup": resolved["audit_log_maxbackup"],
                "audit-log-maxsize": resolved["audit_log_maxsize"],
            }
        )
    return flags


def _modern_client(component: str, resolved: Mapping[str, Any]) -> dict[str, Any]:
    """What the controller-manager and the scheduler share: their kubeconfig for everything, leader election, and
    their secure port on loopback (where the probes and the health checks ask)."""
    kubeconfig = resolved["paths"]["kubeconfig"][component]
    return {
        "authentication-kubeconfig": kubeconfig,
        "authorization-kubeconfig": kubeconfig,
        "bind-address": "127.0.0.1",
        "kubeconfig": kubeconfig,
        "leader-elect": True,
        "profiling": False,
        "v": resolved["verbosity"],
    }


def _modern_controller_manager(resolved: Mapping[str, Any]) -> dict[str, Any]:
    pki = resolved["paths"]["pki"]
    pods = resolved["pod_cidr"]
    return {
        **_modern_client("kube-controller-manager", resolved),
        "allocate-node-cidrs": True if pods else None,
        "client-ca-file": pki["ca_cert"],
        "cluster-cidr": pods,
        "cluster-name": resolved["cluster_name"],
        "node-cidr-mask-size": resolved["node_cidr_mask_size"] if pods else None,
        "cluster-signing-cert-file": pki["ca_cert"],
        "cluster-signing-key-file": pki["ca_key"],
        "requestheader-client-ca-file": pki["front_proxy_ca_cert"],
        "root-ca-file": pki["ca_cert"],
        "service-account-private-key-file": pki["service_account_private_key"],
        "service-cluster-ip-range": resolved["service_cidr"],
        "use-service-account-credentials": True,
    }


def _modern_scheduler(resolved: Mapping[str, Any]) -> dict[str, Any]:
    return _modern_client("kube-scheduler", resolved)


def _modern_kubelet(resolved: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "config": resolved["kubelet_config_file"],
        "kubeconfig": resolved["kubelet_kubeconfig"],
        "hostname-override": resolved["hostname_override"],
        "node-ip": resolved["node_ip"],
    }


def _modern_kube_proxy(resolved: Mapping[str, Any]) -> dict[str, Any]:
    return {"config": resolved["kube_proxy_config_file"], "hostname-override": resolved["hostname_override"]}


# --- the table -----------------------------------------------------------------------------------------------------
COMPONENTS: tuple[Component, ...] = (
    Component(
        name="kube-apiserver", hyperkube_subcommand="apiserver", control_plane=True, image=True,
        kubeconfig=None, client_certificate=None, user=None,
        health_port=None,  # secure_port (modern), insecure_port (seed)
        cpu_request="250m", reads_pki=True,
        listens=(Listen("kube-apiserver", setting="secure_port"), Listen("kube-apiserver", setting="insecure_port")),
        seed_flag_order=("portal-net", "address", "insecure-port", "etcd-servers", "cluster-name", "v"),
        seed_flags=_seed_apiserver, modern_flags=_modern_apiserver,
    ),
    Component(
        name="kube-controller-manager", hyperkube_subcommand="controller-manager", control_plane=True, image=True,
        kubeconfig="controller-manager.conf", client_certificate="controller-manager",
        user="system:kube-controller-manager",
        health_port="controller_manager", cpu_request="200m", reads_pki=True,
        listens=(Listen("kube-controller-manager", profile_port="controller_manager"),),
        seed_flag_order=("master", "cluster-cidr", "allocate-node-cidrs", "v"),
        seed_flags=_seed_controller_manager, modern_flags=_modern_controller_manager,
    ),
    Component(
        name="kube-scheduler", hyperkube_subcommand="scheduler", control_plane=True, image=True,
        kubeconfig="scheduler.conf", client_certificate="scheduler", user="system:kube-scheduler",
        health_port="scheduler", cpu_request="100m", reads_pki=False,
        listens=(Listen("kube-scheduler", profile_port="scheduler"),),
        seed_flag_order=("master", "v"),
        seed_flags=_seed_scheduler, modern_flags=_modern_scheduler,
    ),
    Component(
        name="kubelet", hyperkube_subcommand="kubelet", control_plane=False, image=False,
        # The Node authorizer recognises a kubelet by exactly this user, in the group system:nodes.
        kubeconfig="kubelet.conf", client_certificate="kubelet-client", user="system:node:{node}",
        health_port="kubelet_healthz", cpu_request=None, reads_pki=False,
        listens=(Listen("kubelet", profile_port="kubelet"),
                 Listen("kubelet healthz", setting="kubelet_healthz_port", profile_port="kubelet_healthz")),
        seed_flag_order=("containerized", "hostname-override", "address", "api-servers", "config"),
        seed_flags=_seed_kubelet, modern_flags=_modern_kubelet,
    ),
    Component(
        name="kube-proxy", hyperkube_subcommand="proxy", control_plane=False, image=True,
        # Every kube-proxy shares one certificate: system:kube-proxy is the user system:node-proxier is bound to.
        kubeconfig="kube-proxy.conf", client_certificate="kube-proxy", user="system:kube-proxy",
        health_port="kube_proxy_healthz", cpu_request=None, reads_pki=False,
        listens=(Listen("kube-proxy healthz", setting="kube_proxy_healthz_bind_address",
                        profile_port="kube_proxy_healthz"),
                 Listen("kube-proxy metrics", setting="kube_proxy_metrics_bind_address")),
        seed_flag_order=("master", "proxy-mode", "v"),
        seed_flags=_seed_kube_proxy, modern_flags=_modern_kube_proxy,
    ),
)
BY_NAME: Mapping[str, Component] = {component.name: component for component in COMPONENTS}
NAMES: tuple[str, ...] = tuple(component.name for component in COMPONENTS)
CONTROL_PLANE: tuple[str, ...] = tuple(component.name for component in COMPONENTS if component.control_plane)
WITH_IMAGE: tuple[str, ...] = tuple(component.name for component in COMPONENTS if component.image)


def _listening_port(value: Any) -> int | None:
    """A setting's port: the port itself, or a host:port address's; None when it names none (kube_manifests refuses
    such a setting; preflight reports it as the settings check)."""
    try:
        port = int(str(value).rpartition(":")[2])
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


def port_needs(components: Sequence[str], ports: Any, resolved: Mapping[str, Any],
               settings_variable: str) -> list[PortNeed]:
    """The ports `components` hold on a host, from their rows' listens: the resolved settings' (moved by
    `settings_variable`.<setting>), else the profile's (kube_profiles.Ports)."""
    needs = []
    for name in components:
        for listen in BY_NAME[name].listens:
            given = resolved.get(listen.setting) if listen.setting else None
            if given is not None:
                port = _listening_port(given)
                if port is not None:
                    needs.append(PortNeed(port, listen.what, f"{settings_variable}.{listen.setting}"))
            elif listen.profile_port and getattr(ports, listen.profile_port) is not None:
                needs.append(PortNeed(int(getattr(ports, listen.profile_port)), listen.what, ""))
    return needs


def hyperkube_master_components(control_plane: bool) -> tuple[str, ...]:
    """What the hyperkube_master role runs on a host: the control plane and the kubelet on a master, the kubelet
    alone on a node."""
    return (*CONTROL_PLANE, "kubelet") if control_plane else ("kubelet",)


__all__ = ["BY_NAME", "COMPONENTS", "CONTROL_PLANE", "NAMES", "WITH_IMAGE", "Component", "Listen", "PortNeed",
           "hyperkube_master_components", "port_needs"]

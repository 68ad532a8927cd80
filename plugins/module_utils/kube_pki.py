# Copyright: curtain contributors
# Apache License 2.0
"""The certificates of a modern control plane, decided from the inventory before community.crypto makes them.

Three signers, as kubeadm has them: the cluster CA (`ca`), the front-proxy CA (`front-proxy-ca`, for the
aggregation layer) and etcd's CA (`etcd-ca`, made by the etcd role: the apiserver's etcd client certificate
must be trusted by etcd). The service-account key pair is a key, not a certificate, and is not listed here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.kube_components import BY_NAME, COMPONENTS
from ansible_collections.curtain.kube.plugins.module_utils.pki import subject_alt_names

SERVER = ["serverAuth"]
CLIENT = ["clientAuth"]
# The user the apiserver calls kubelets as: its kubelet client certificate's CN, with no group.
APISERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client"
KUBELET = BY_NAME["kubelet"]
KUBE_PROXY = BY_NAME["kube-proxy"]
ADMIN_KUBECONFIG = "admin.conf"  # kubeadm's name


class KubePkiError(ValueError):
    """Settings no certificate can be made from; the message names the variable."""


@dataclass(frozen=True)
class CertSpec:
    name: str  # file stem: <name>.crt and <name>.key on the host
    signer: str  # ca | front-proxy-ca | etcd-ca
    common_name: str
    organizations: tuple[str, ...] = ()
    usages: tuple[str, ...] = tuple(CLIENT)
    subject_alt_names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["organizations"] = list(self.organizations)
        data["usages"] = list(self.usages)
        data["subject_alt_names"] = list(self.subject_alt_names)
        return data


# The cluster's first administrator, in system:masters (kubeadm's admin.conf).
ADMIN = CertSpec("admin", "ca", "kubernetes-admin", ("system:masters",))


def _network(variable: str, cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as error:
        raise KubePkiError(f"{variable}: {cidr!r} is not a network in CIDR notation ({error})") from None


def first_service_ip(service_cidr: str, variable: str = "service_cidr") -> str:
    """The apiserver's address inside the cluster: the first address of the service range (kubernetes.default)."""
    network = _network(variable, service_cidr)
    if network.num_addresses < 4:
        raise KubePkiError(f"{variable}: {service_cidr} is too small for services")
    return str(network.network_address + 1)


def apiserver_sans(
    masters: list[dict[str, Any]],
    service_cidr: str,
    cluster_domain: str = "cluster.local",
    extra: list[str] | None = None,
) -> list[str]:
    """Every name a client may reach an apiserver by: each master's address and host names, the in-cluster
    service names and the first service IP, loopback (the local components and probes), and `extra` (a load
    balancer, say). One certificate serves every master, so any master can answer for the cluster name."""
    if not masters:
        raise KubePkiError("masters: the masters group is empty; at least one master is needed")
    if not cluster_domain or any(not part for part in str(cluster_domain).split(".")):
        raise KubePkiError(f"cluster_domain: {cluster_domain!r} is not a DNS domain")
    names: list[str] = []
    for master in masters:
        names.append(str(master["address"]))
        names.extend(str(name) for name in master.get("hostnames") or [])
    names += [
        first_service_ip(service_cidr),
        "127.0.0.1",
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{cluster_domain}",
    ]
    names += list(extra or [])
    return subject_alt_names(names)


def node_certificates(node_name: str, node_sans: list[str]) -> list[dict[str, Any]]:
    """The certificates of a kubelet (every master's and node's): its client certificate, with the subject the
    Node authorizer recognises kubelets by exactly, and its serving certificate for the apiserver's calls."""
    if not node_name:
        raise KubePkiError("node name: empty; set kube_node_name or the inventory name")
    specs = [
        CertSpec(KUBELET.client_certificate, "ca", KUBELET.user_for(node_name), ("system:nodes",)),
        CertSpec("kubelet-server", "ca", node_name, usages=tuple(SERVER),
                 subject_alt_names=tuple(subject_alt_names([*node_sans, node_name, "127.0.0.1", "localhost"]))),
    ]
    return [spec.to_dict() for spec in specs]


def control_plane_certificates(
    node_name: str,
    node_sans: list[str],
    masters: list[dict[str, Any]],
    service_cidr: str,
    cluster_domain: str = "cluster.local",
    extra_sans: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The certificates one master needs, with the subjects Node and RBAC authorization expect: the control
    plane's, then its kubelet's (node_certificates)."""
    if not node_name:
        raise KubePkiError("node name: empty; set kube_node_name or the inventory name")
    specs = [
        CertSpec("apiserver", "ca", "kube-apiserver", usages=tuple(SERVER),
                 subject_alt_names=tuple(apiserver_sans(masters, service_cidr, cluster_domain, extra_sans))),
        # The apiserver calls kubelets (logs, exec, port-forward) as this user, which the role binds to
        # system:kubelet-api-admin and to nothing else (as kubeadm does since kubernetes/kubernetes#138957).
        CertSpec("apiserver-kubelet-client", "ca", APISERVER_KUBELET_CLIENT),
        CertSpec("apiserver-etcd-client", "etcd-ca", "kube-apiserver-etcd-client"),
        CertSpec("front-proxy-client", "front-proxy-ca", "front-proxy-client"),
        *(CertSpec(row.client_certificate, "ca", row.user) for row in COMPONENTS
          if row.control_plane and row.client_certificate and row.user),
        ADMIN,
    ]
    return [spec.to_dict() for spec in specs] + node_certificates(node_name, node_sans)


def kubeconfig_clients(control_plane: bool, node_name: str) -> list[dict[str, str]]:
    """The kubeconfigs the hyperkube_master role writes, each with the client certificate it carries and that
    certificate's user: {file, cert, user}. A master's admin, controller-manager and scheduler ones, then every host's
    kubelet's."""
    clients = [{"file": ADMIN_KUBECONFIG, "cert": ADMIN.name, "user": ADMIN.common_name}] if control_plane else []
    for row in COMPONENTS:
        if row.kubeconfig and row.client_certificate and row.user and (
                row is KUBELET or (control_plane and row.control_plane)):
            clients.append({"file": row.kubeconfig, "cert": row.client_certificate, "user": row.user_for(node_name)})
    return clients


def apiserver_kubelet_binding() -> dict[str, Any]:
    """What the real authorizers need beyond the bootstrap policy, as kubeadm creates it: the apiserver calls kubelets
    (logs, exec, port-forward) as its kubelet client certificate's user, and the kubelet asks the apiserver whether
    that user may (webhook authorization). system:kubelet-api-admin is the role for it; upstream ships it unbound."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "curtain:apiserver-kubelet-client", "labels": {"app.kubernetes.io/managed-by": "curtain"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:kubelet-api-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": APISERVER_KUBELET_CLIENT}],
    }


def cluster_authorities(controller_dir: str) -> list[dict[str, Any]]:
    """The cluster CA, the front-proxy CA (both EC P-256) and the service-account key pair (RSA 2048, as kubeadm
    makes it), with their files on the controller: what the hyperkube_master role has community.crypto make first
    and what curtain.kube.pki looks at (as its `authorities`)."""
    cas = [{"name": name, "common_name": common_name, "key_type": "EC", "key": f"{controller_dir}/{name}.key",
            "cert": f"{controller_dir}/{name}.crt"}
           for name, common_name in (("ca", "kubernetes"), ("front-proxy-ca", "front-proxy-ca"))]
    return [*cas, {"name": "sa", "key_type": "RSA", "key": f"{controller_dir}/sa.key",
                   "public_key": f"{controller_dir}/sa.pub"}]


def kube_proxy_certificate(controller_dir: str) -> list[dict[str, Any]]:
    """The one client certificate every kube-proxy shares (CN system:kube-proxy, the user the system:node-proxier
    ClusterRole is bound to), with its files on the controller, as curtain.kube.pki takes it."""
    spec = CertSpec(KUBE_PROXY.client_certificate, "ca", KUBE_PROXY.user).to_dict()
    return [{**spec, "key": f"{controller_dir}/kube-proxy.key", "cert": f"{controller_dir}/kube-proxy.crt",
             "signer_cert": f"{controller_dir}/ca.crt", "signer_key": f"{controller_dir}/ca.key"}]


def controller_files(
    certs: list[dict[str, Any]], controller_dir: str, host: str, etcd_controller_dir: str
) -> list[dict[str, Any]]:
    """Each certificate spec with its files on the controller: key and cert (in <controller_dir>/<host>/), and
    its signer's certificate and key (etcd's CA for etcd-ca, the cluster or front-proxy CA otherwise)."""
    placed = []
    for cert in certs:
        signer = f"{etcd_controller_dir}/ca" if cert["signer"] == "etcd-ca" else f"{controller_dir}/{cert['signer']}"
        placed.append({**cert, "key": f"{controller_dir}/{host}/{cert['name']}.key",
                       "cert": f"{controller_dir}/{host}/{cert['name']}.crt",
                       "signer_cert": f"{signer}.crt", "signer_key": f"{signer}.key"})
    return placed


def host_files(
    certs: list[dict[str, Any]], controller_dir: str, host: str, etcd_controller_dir: str, pki_dir: str,
    control_plane: bool = True,
) -> dict[str, list[dict[str, str]]]:
    """What goes from the controller to a host's pki_dir, as curtain.kube.host_files takes it:
    {directories: [{path, mode}], certificates: [{src, dest, mode}], private_keys: [...]}; the directories (pki_dir,
    and its etcd/ on a master) 0700, certificates 0644, keys 0600.
    On a master, the controller-manager signs with the cluster CA key and the service-account keys sign and verify
    tokens; a node (control_plane false) gets the cluster CA's certificate and its own kubelet's files only."""
    certificates = [(f"{controller_dir}/ca.crt", "ca.crt")]
    keys = []
    if control_plane:
        certificates += [
            (f"{controller_dir}/front-proxy-ca.crt", "front-proxy-ca.crt"),
            (f"{controller_dir}/sa.pub", "sa.pub"),
            (f"{etcd_controller_dir}/ca.crt", "etcd/ca.crt"),
        ]
        keys += [(f"{controller_dir}/ca.key", "ca.key"), (f"{controller_dir}/sa.key", "sa.key")]
    for cert in controller_files(certs, controller_dir, host, etcd_controller_dir):
        certificates.append((cert["cert"], f"{cert['name']}.crt"))
        keys.append((cert["key"], f"{cert['name']}.key"))
    return {
        "directories": [{"path": path, "mode": "0700"} for path in [pki_dir] + ([f"{pki_dir}/etcd"] if control_plane
                                                                               else [])],
        "certificates": [{"src": src, "dest": f"{pki_dir}/{dest}", "mode": "0644"} for src, dest in certificates],
        "private_keys": [{"src": src, "dest": f"{pki_dir}/{dest}", "mode": "0600"} for src, dest in keys],
    }

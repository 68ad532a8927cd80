# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/kube_pki.py: the control plane's certificates, decided before they are made.

kube_first_service_ip(service_cidr) -> the apiserver's in-cluster address
kube_apiserver_sans(masters, service_cidr, cluster_domain, extra) -> ["IP:..", "DNS:.."]
kube_control_plane_certificates(node_name, node_sans, masters, service_cidr, cluster_domain, extra_sans) -> [spec]
kube_node_certificates(node_name, node_sans) -> [spec]: a kubelet's alone (a node's)
kube_pki_controller_files(certs, controller_dir, host, etcd_controller_dir)
    -> [spec with key, cert, signer_cert, signer_key]: its files on the controller
kube_pki_host_files(certs, controller_dir, host, etcd_controller_dir, pki_dir)
    -> {certificates, private_keys}: [{src, dest, mode}], as curtain.kube.host_files takes them
controller_dir | kube_proxy_certificate -> [spec with its files]: the certificate every kube-proxy shares
controller_dir | kube_cluster_authorities -> [spec with its files]: the CAs and the service-account key pair
control_plane | kube_kubeconfig_clients(node_name) -> [{file, cert, user}]: the kubeconfigs the master role writes
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import (
    apiserver_sans,
    cluster_authorities,
    control_plane_certificates,
    controller_files,
    first_service_ip,
    host_files,
    kube_proxy_certificate,
    kubeconfig_clients,
    node_certificates,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_first_service_ip": _filter_errors(first_service_ip),
            "kube_apiserver_sans": _filter_errors(apiserver_sans),
            "kube_control_plane_certificates": _filter_errors(control_plane_certificates),
            "kube_node_certificates": _filter_errors(node_certificates),
            "kube_pki_controller_files": controller_files,
            "kube_pki_host_files": host_files,
            "kube_proxy_certificate": _filter_errors(kube_proxy_certificate),
            "kube_cluster_authorities": cluster_authorities,
            "kube_kubeconfig_clients": kubeconfig_clients,
        }

# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/kube_pki.py: the certificates a role's tasks name beyond its plan (the master's
certificates, their files and hosts' files are module_utils/hyperkube_master_plan.py's).

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
    cluster_authorities,
    kube_proxy_certificate,
    kubeconfig_clients,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_proxy_certificate": _filter_errors(kube_proxy_certificate),
            "kube_cluster_authorities": cluster_authorities,
            "kube_kubeconfig_clients": kubeconfig_clients,
        }

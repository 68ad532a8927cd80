# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/kube_cluster.py.

kube_etcd_servers(host, etcd_hosts, addresses, scheme, port) -> [url]
kube_master_settings(master, tls=, wanted_images=, etcd_hosts=, etcd_settings=, ...) -> kube settings of a master
kube_kubelet_role(host, groups, master_group, node_group) -> "master" | "node"
kube_apiserver_url(host, masters, secure_port) -> https://<apiserver>:<port>, loopback on a master
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import (
    apiserver_url,
    etcd_servers,
    kubelet_role,
    master_settings,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_etcd_servers": _filter_errors(etcd_servers),
            "kube_master_settings": _filter_errors(master_settings),
            "kube_kubelet_role": _filter_errors(kubelet_role),
            "kube_apiserver_url": _filter_errors(apiserver_url),
        }

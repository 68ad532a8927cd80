# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/pod_network.py (host-gw pod network) and module_utils/cluster_dns.py (CoreDNS).

nodes | kube_own_pod_subnet(name)           -> this Node's podCIDR, or none while it has none
nodes | kube_node_routes(name)              -> [{subnet, via, node}]: the routes to every other Node's pods
text | kube_loopback_only_resolvers       -> the nameservers when every one is loopback, else []
image | kube_cluster_objects(cluster_dns, cluster_domain, replicas, dns) -> [API object]: what the role applies
    through the apiserver: the apiserver's kubelet API binding, then CoreDNS as kubeadm deploys it (with dns)
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.cluster_dns import cluster_objects
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import (
    loopback_only_resolvers,
    node_routes,
    own_pod_subnet,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_own_pod_subnet": _filter_errors(own_pod_subnet),
            "kube_node_routes": _filter_errors(node_routes),
            "kube_loopback_only_resolvers": loopback_only_resolvers,
            "kube_cluster_objects": _filter_errors(cluster_objects),
        }

# Copyright: curtain contributors
# Apache License 2.0
"""The cluster's DNS: CoreDNS as kubeadm deploys it (cmd/kubeadm/app/phases/addons/dns/manifests.go), as API objects
the role applies server-side. The Service takes the clusterDNS address every kubelet's configuration names.
cluster_objects: everything the role applies through the apiserver, in one list (one module run).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import apiserver_kubelet_binding

# kubeadm's pin for Kubernetes v1.37 (cmd/kubeadm/app/constants: CoreDNSVersion); scripts/build_components.py
# builds this version from github.com/coredns/coredns for the tests.
COREDNS_VERSION = "v1.14.6"
DEFAULT_IMAGE = f"registry.k8s.io/coredns/coredns:{COREDNS_VERSION}"
NAMESPACE = "kube-system"
NAME = "coredns"
SERVICE = "kube-dns"  # kubeadm's (and kube-dns's before it) name: workloads look for it
LABELS = {"k8s-app": "kube-dns"}
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"


class ClusterDnsError(ValueError):
    """Settings no cluster DNS can be deployed with; the message names the setting."""


def corefile(cluster_domain: str) -> str:
    """kubeadm's Corefile: cluster names from the API, everything else forwarded to the resolvers of the node
    (the kubelet's resolvConf; the pod has dnsPolicy Default), loop detection against forwarding to itself."""
    return f""".:53 {{
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {cluster_domain} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    prometheus :9153
    forward . /etc/resolv.conf {{
       max_concurrent 1000
    }}
    cache 30 {{
       disable success {cluster_domain}
       disable denial {cluster_domain}
    }}
    loop
    reload
    loadbalance
}}
"""


def _deployment(image: str, replicas: int) -> dict[str, Any]:
    probe_port = {"liveness": 8080, "readiness": 8181}
    container = {
        "name": NAME,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        "args": ["-conf", "/etc/coredns/Corefile"],
        "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
        "ports": [
            {"containerPort": 53, "name": "dns", "protocol": "UDP"},
            {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
            {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
            {"containerPort": probe_port["liveness"], "name": "liveness-probe", "protocol": "TCP"},
            {"containerPort": probe_port["readiness"], "name": "readiness-probe", "protocol": "TCP"},
        ],
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": "liveness-probe", "scheme": "HTTP"},
            "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 5,
        },
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "readiness-probe", "scheme": "HTTP"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": dict(LABELS)},
        "spec": {
            "replicas": replicas,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": NAME,
                    # Spread over nodes, so that losing one keeps a resolver.
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchExpressions": [
                                {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }]}},
                    "tolerations": [
                        {"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"key": CONTROL_PLANE_TAINT, "effect": "NoSchedule"},
                    ],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [container],
                    "dnsPolicy": "Default",
                    "volumes": [{"name": "config-volume", "configMap": {
                        "name": NAME, "items": [{"key": "Corefile", "path": "Corefile"}]}}],
                },
            },
        },
    }


def coredns_objects(image: str, cluster_dns: list[str] | str, cluster_domain: str = "cluster.local",
                    replicas: int = 2) -> list[dict[str, Any]]:
    """The ServiceAccount, RBAC, Corefile, Deployment and Service of the cluster DNS, in the order they apply.
    cluster_dns: the kubelets' clusterDNS (its first address is the Service's)."""
    if not isinstance(image, str) or not image or " " in image:
        raise ClusterDnsError(f"hyperkube_master_images.coredns: {image!r} is not an image reference")
    address = cluster_dns[0] if isinstance(cluster_dns, list) and cluster_dns else cluster_dns
    try:
        ipaddress.ip_address(str(address))
    except ValueError:
        raise ClusterDnsError(f"cluster_dns: {cluster_dns!r} does not start with an IP address") from None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        raise ClusterDnsError(f"hyperkube_master_dns_replicas: {replicas!r} is not a count of 1 or more")
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "system:coredns"},
        "rules": [
            {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
             "verbs": ["list", "watch"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "system:coredns"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": SERVICE, "namespace": NAMESPACE,
            "labels": {**LABELS, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
            "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
        },
        "spec": {
            "clusterIP": str(address),
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
            ],
            "selector": dict(LABELS),
        },
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": NAME, "namespace": NAMESPACE}},
        role,
        binding,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": NAME, "namespace": NAMESPACE},
         "data": {"Corefile": corefile(cluster_domain)}},
        _deployment(image, replicas),
        service,
    ]


def cluster_objects(coredns_image: str, cluster_dns: list[str] | str, cluster_domain: str = "cluster.local",
                    replicas: int = 2, dns: bool = True) -> list[dict[str, Any]]:
    """What the hyperkube_master role applies through the apiserver, once for the cluster: the ClusterRoleBinding
    that lets the apiserver use the kubelet API (kube_pki.apiserver_kubelet_binding), then, with the cluster DNS on,
    CoreDNS's objects."""
    return [apiserver_kubelet_binding()] + (coredns_objects(coredns_image, cluster_dns, cluster_domain, replicas)
                                            if dns else [])

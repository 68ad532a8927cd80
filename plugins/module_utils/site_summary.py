# Copyright: curtain contributors
# Apache License 2.0
"""The summary site.yml prints at the end: every component's endpoint and health per host, the hosts that failed or
could not be reached, the profile and versions, where the admin kubeconfig is, a kubectl command to try, the time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import KubeProfile, get_profile


def _health(entry: Mapping[str, Any]) -> str:
    if entry.get("healthy"):
        return "healthy"
    if entry.get("skipped_in_check_mode"):
        return "not running (check mode)"
    reason = str(entry.get("detail") or "no answer").splitlines()[0]
    return f"UNHEALTHY: {reason[:120]}"


def rows(looks: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """{host: the summary's health_wait result} -> [{host, component, endpoint, health}]. A look that failed before
    it reached any endpoint (no `endpoints` in its result) is one row that says why."""
    table = []
    for host, result in looks.items():
        entries = result.get("endpoints")
        if entries is None:
            entries = [{"component": "?", "url": "?", "detail": result.get("msg") or "the look failed"}]
        table += [{"host": host, "component": str(entry.get("component", "?")), "endpoint": str(entry.get("url", "?")),
                   "health": _health(entry)} for entry in entries]
    return table


def _aligned(table: Sequence[Mapping[str, str]], columns: Sequence[str]) -> list[str]:
    widths = {column: max([len(column), *(len(row[column]) for row in table)]) for column in columns}
    lines = ["  ".join(column.upper().ljust(widths[column]) for column in columns).rstrip()]
    lines += ["  ".join(row[column].ljust(widths[column]) for column in columns).rstrip() for row in table]
    return lines


def kubectl_hint(profile: KubeProfile, admin_kubeconfig: str, first_master: str, kubectl: str = "kubectl") -> str:
    if profile.features.insecure_port:  # the seed's apiserver answers on the master's loopback only
        return f"ssh {first_master} kubectl -s http://127.0.0.1:8080 get --raw=/healthz"
    return f"{kubectl} --kubeconfig {admin_kubeconfig} get nodes"


def node_rows(nodes: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """NAME, STATUS and VERSION of each Node object (kubernetes.core.k8s_info's resources), as kubectl prints them."""
    rows = []
    for node in nodes:
        ready = [c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
        rows.append({
            "name": str((node.get("metadata") or {}).get("name", "?")),
            "status": "Ready" if ready and ready[0].get("status") == "True" else "NotReady",
            "version": str(((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "?")),
        })
    return sorted(rows, key=lambda row: row["name"])


def summary(
    looks: Mapping[str, Mapping[str, Any]],
    *,
    all_hosts: Sequence[str],
    profile: str,
    etcd_image: str,
    admin_kubeconfig: str,
    first_master: str = "",
    seconds: float,
    nodes: Sequence[Mapping[str, Any]] | None = None,
    kubectl: str = "kubectl",
) -> list[str]:
    """The lines to print. `looks` holds the hosts that finished the run; the others in `all_hosts` failed or were
    unreachable on the way."""
    kube = get_profile(profile)
    table = rows(looks)
    lines = [f"curtain: {kube.label}, etcd image {etcd_image}", ""]
    lines += _aligned(table, ("host", "component", "endpoint", "health")) if table else ["(no component looked at)"]
    unhealthy = sorted({row["host"] for row in table if row["health"].startswith("UNHEALTHY")})
    unfinished = [host for host in all_hosts if host not in looks]
    lines.append("")
    if unfinished:
        lines.append("DID NOT FINISH (failed or unreachable, see above; a re-run continues them): "
                     + ", ".join(unfinished))
    if unhealthy:
        lines.append(f"UNHEALTHY components on: {', '.join(unhealthy)}")
    if not (unfinished or unhealthy):
        lines.append("Every host finished and every component is healthy.")
    if nodes is not None:
        lines += [""] + (_aligned(node_rows(nodes), ("name", "status", "version")) if nodes else ["(no node yet)"])
        lines.append("")
    if not kube.features.insecure_port:
        lines.append(f"Admin kubeconfig: {admin_kubeconfig}")
    lines.append(f"Try: {kubectl_hint(kube, admin_kubeconfig, first_master, kubectl)}")
    minutes, rest = divmod(round(seconds), 60)
    lines.append(f"Run time: {minutes} min {rest} s" if minutes else f"Run time: {rest} s")
    return lines


def listed_nodes(dns_ready: Mapping[str, Any] | None,
                 cluster_steps: Sequence[Mapping[str, Any] | None]) -> list[dict[str, Any]] | None:
    """The Nodes as this run last listed them, for the summary: the wait for the cluster DNS's (after every play), else
    the first of `cluster_steps` (the roles' cluster step results, the nodes' play's before the masters') that
    listed them; None when nothing did (check mode, the seed, --tags that skip them): the summary lists them."""
    for result in (dns_ready, *cluster_steps):
        if isinstance(result, Mapping) and not result.get("skipped") and not result.get("failed") \
                and isinstance(result.get("nodes"), list) and result["nodes"]:
            return list(result["nodes"])
    return None


def one_host_endpoints(host: str, address: str, master_settings: Mapping[str, Any] | None = None,
                       inventory_dir: str = ".") -> list[dict[str, Any]]:
    """Each component's health endpoint on a host that is the etcd member, the master and a node (untainted, as a
    one-host site's), as the roles' planners give them with the roles' defaults (and these hyperkube_master_settings):
    what the site's summary looks at there. For the bench's floor and the tests that look at a converged one-host
    site from outside."""
    # The planners import the component table and the profiles; the summary's own functions need neither.
    from ansible_collections.curtain.kube.plugins.module_utils import etcd_plan, hyperkube_master_plan, kube_proxy_plan
    from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory

    own = {"name": host, "address": address}
    made_etcd = etcd_plan.plan(etcd_plan.default_inputs(host, inventory_dir),
                               Inventory(groups={"etcd": [host]}, etcd_hosts={host: own}))
    master_inputs = hyperkube_master_plan.default_inputs(host, inventory_dir, control_plane_taint=False)
    master_inputs = replace(master_inputs, settings={**master_inputs.settings, **(master_settings or {})})
    made_master = hyperkube_master_plan.plan(master_inputs, Inventory(
        groups={"masters": [host], "nodes": [host], "etcd": [host]}, master_hosts={host: own}, own=own,
        etcd_hosts={host: own}))
    made_proxy = kube_proxy_plan.plan(kube_proxy_plan.default_inputs(host, inventory_dir),
                                      Inventory(groups={"masters": [host]}, master_hosts={host: own}))
    return [*made_etcd.health_endpoints, *made_master.health_endpoints, *made_proxy.health_endpoints]

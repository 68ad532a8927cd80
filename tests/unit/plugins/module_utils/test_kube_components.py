"""The component table: every builder takes a component's facts from its row, so a row is all a component needs."""

from __future__ import annotations

import dataclasses

import pytest
from ansible_collections.curtain.kube.plugins.module_utils import endpoints, kube_components, kube_manifests, kube_pki
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import (
    BY_NAME,
    COMPONENTS,
    CONTROL_PLANE,
    NAMES,
    hyperkube_master_components,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import flagset
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import Ports, get_profile

MODERN = {"advertise_address": "10.0.0.5", "etcd_servers": ["https://10.0.0.5:2379"]}


@pytest.mark.parametrize("row", COMPONENTS, ids=lambda row: row.name)
def test_every_row_names_what_the_profiles_have(row: kube_components.Component) -> None:
    """Each row's flags, health port and image exist in each profile; a typo in a row fails here, not on a host."""
    for reference in ("seed", "modern", "modern@v1.36.3"):
        profile = get_profile(reference)
        known = flagset(row.name, profile.version)
        if profile.name == "seed":
            assert all(known.lookup(flag) for flag in row.seed_flag_order), row.seed_flag_order
        if row.health_port is not None:
            assert row.health_port in {field.name for field in dataclasses.fields(Ports)}
            assert isinstance(getattr(profile.ports, row.health_port), int)
        assert (row.name in profile.images) == (row.image or profile.name == "seed")
        settings = kube_manifests.resolve_settings(reference, {})
        for listen in row.listens:
            assert listen.setting is None or listen.setting in settings, listen
            assert listen.profile_port is None or listen.profile_port in {
                field.name for field in dataclasses.fields(Ports)}, listen
        # Every component holds a port on its host in every profile: what preflight and the roles' looks ask about.
        assert kube_components.port_needs([row.name], profile.ports, settings, "x_settings"), (row.name, reference)


def test_the_control_plane_pods_and_their_probes_follow_the_rows() -> None:
    pods = kube_manifests.control_plane_pods("modern", MODERN)
    assert list(pods) == [f"{name}.yaml" for name in CONTROL_PLANE]
    ports = get_profile("modern").ports
    for name in CONTROL_PLANE:
        row = BY_NAME[name]
        container = pods[f"{name}.yaml"]["spec"]["containers"][0]
        assert container["resources"] == {"requests": {"cpu": row.cpu_request}}
        mounted = {volume["hostPath"]["path"] for volume in pods[f"{name}.yaml"]["spec"]["volumes"]}
        assert ("/etc/kubernetes/pki" in mounted) == row.reads_pki
        assert (f"/etc/kubernetes/{row.kubeconfig}" in mounted) == (row.kubeconfig is not None)
        probe = container["livenessProbe"]["httpGet"]
        assert probe["port"] == (6443 if row.health_port is None else getattr(ports, row.health_port))
        assert ("readinessProbe" in container) == (row.health_port is None)


def test_the_seed_pod_names_its_containers_by_subcommand_in_the_seeds_order() -> None:
    pod = kube_manifests.control_plane_pods("seed")["master.json"]
    assert [container["name"] for container in pod["spec"]["containers"]] == [
        "controller-manager", "apiserver", "scheduler"]
    assert [container["command"][1] for container in pod["spec"]["containers"]] == [
        "controller-manager", "apiserver", "scheduler"]


def test_the_client_certificates_and_kubeconfigs_carry_each_rows_user() -> None:
    certificates = {cert["name"]: cert for cert in kube_pki.control_plane_certificates(
        "node-1", [], [{"address": "10.0.0.5"}], "10.96.0.0/12")}
    for row in COMPONENTS:
        if row.control_plane and row.client_certificate:
            assert certificates[row.client_certificate]["common_name"] == row.user
    assert certificates["kubelet-client"]["common_name"] == "system:node:node-1"
    assert certificates["kubelet-client"]["organizations"] == ["system:nodes"]
    assert kube_pki.kube_proxy_certificate("/c")[0]["common_name"] == "system:kube-proxy"

    assert kube_pki.kubeconfig_clients(True, "node-1") == [
        {"file": "admin.conf", "cert": "admin", "user": "kubernetes-admin"},
        {"file": "controller-manager.conf", "cert": "controller-manager", "user": "system:kube-controller-manager"},
        {"file": "scheduler.conf", "cert": "scheduler", "user": "system:kube-scheduler"},
        {"file": "kubelet.conf", "cert": "kubelet-client", "user": "system:node:node-1"},
    ]
    assert kube_pki.kubeconfig_clients(False, "node-2") == [
        {"file": "kubelet.conf", "cert": "kubelet-client", "user": "system:node:node-2"}]
    assert kube_manifests.KUBECONFIG_FILES == {
        "admin": "admin.conf", "kube-controller-manager": "controller-manager.conf",
        "kube-scheduler": "scheduler.conf", "kubelet": "kubelet.conf", "kube-proxy": "kube-proxy.conf"}


def test_the_health_checks_ask_each_control_plane_row_on_its_port() -> None:
    modern = endpoints.control_plane("modern", MODERN)
    assert [endpoint["component"] for endpoint in modern] == ["kubelet", *CONTROL_PLANE]
    assert [endpoint["url"] for endpoint in modern[1:]] == [
        "https://127.0.0.1:6443/readyz", "https://127.0.0.1:10257/healthz", "https://127.0.0.1:10259/healthz"]
    seed = endpoints.control_plane("seed", {})
    assert [(endpoint["docker_pod_container"], endpoint["url"]) for endpoint in seed[1:]] == [
        ("apiserver", "http://127.0.0.1:8080/healthz"), ("controller-manager", "http://127.0.0.1:10252/healthz"),
        ("scheduler", "http://127.0.0.1:10251/healthz")]


def test_a_new_row_reaches_the_pods_certificates_and_health_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """What "adding a component means adding a row" promises: a control-plane row that copies the scheduler's facts
    under the scheduler's name, with its own CPU request and certificate, changes the pod, the certificate and the
    kubeconfigs with no other edit."""
    scheduler = BY_NAME["kube-scheduler"]
    changed = dataclasses.replace(scheduler, cpu_request="300m", client_certificate="scheduler-2",
                                  user="system:kube-scheduler-2", kubeconfig="scheduler-2.conf")
    rows = tuple(changed if row is scheduler else row for row in COMPONENTS)
    for module in (kube_components, kube_pki):
        monkeypatch.setattr(module, "COMPONENTS", rows)
    monkeypatch.setitem(BY_NAME, "kube-scheduler", changed)  # type: ignore[index]

    pods = kube_manifests.control_plane_pods("modern", MODERN)
    assert pods["kube-scheduler.yaml"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "300m"
    names = {cert["name"]: cert["common_name"] for cert in kube_pki.control_plane_certificates(
        "node-1", [], [{"address": "10.0.0.5"}], "10.96.0.0/12")}
    assert names["scheduler-2"] == "system:kube-scheduler-2" and "scheduler" not in names
    assert {"file": "scheduler-2.conf", "cert": "scheduler-2", "user": "system:kube-scheduler-2"} in (
        kube_pki.kubeconfig_clients(True, "node-1"))


def test_the_ports_come_from_the_settings_that_move_them_else_from_the_profile() -> None:
    modern, seed = get_profile("modern"), get_profile("seed")
    settings = kube_manifests.resolve_settings("modern", {"secure_port": 8443,
                                                          "kube_proxy_metrics_bind_address": "127.0.0.1:19249"})
    needs = kube_components.port_needs(NAMES, modern.ports, settings, "x_settings")
    assert [(need.port, need.component, need.variable) for need in needs] == [
        (8443, "kube-apiserver", "x_settings.secure_port"),
        (10257, "kube-controller-manager", ""),
        (10259, "kube-scheduler", ""),
        (10250, "kubelet", ""),
        (10248, "kubelet healthz", "x_settings.kubelet_healthz_port"),
        (10256, "kube-proxy healthz", "x_settings.kube_proxy_healthz_bind_address"),
        (19249, "kube-proxy metrics", "x_settings.kube_proxy_metrics_bind_address"),
    ]
    assert needs[1].where() == "fixed by the profile" and needs[0].where() == "x_settings.secure_port"
    seed_needs = kube_components.port_needs(NAMES, seed.ports, kube_manifests.resolve_settings("seed", {}), "s")
    assert [(need.port, need.variable) for need in seed_needs] == [
        (8080, "s.insecure_port"), (10252, ""), (10251, ""), (10250, ""), (10248, ""), (10249, "")]


def test_the_master_role_runs_the_control_plane_and_the_kubelet_a_node_the_kubelet() -> None:
    assert hyperkube_master_components(True) == (*CONTROL_PLANE, "kubelet")
    assert hyperkube_master_components(False) == ("kubelet",)

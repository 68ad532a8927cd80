"""Validation against the official Pod schemas (kubernetes-validate) and the structural checks of the component and
client configuration files: valid objects pass, each kind of mistake is reported with its JSON path."""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from ansible_collections.curtain.kube.plugins.module_utils import kube_schema
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import (
    control_plane_pods,
    kube_proxy_configuration,
    kubeconfig,
    kubelet_configuration,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_schema import (
    KubeSchemaError,
    json_path,
    schema_version_for,
    validate,
    validate_kube_proxy_configuration,
    validate_kubeconfig,
    validate_kubelet_configuration,
    validate_pod,
)

needs_schemas = pytest.mark.skipif(
    importlib.util.find_spec("kubernetes_validate") is None,
    reason="kubernetes-validate is not installed (pip install kubernetes-validate==1.37.0)",
)

MODERN = {"advertise_address": "10.0.0.5"}


def small_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]},
    }


# --- schema versions -----------------------------------------------------------------------------------------------
@needs_schemas
@pytest.mark.parametrize(
    ("version", "expected"),
    [("v1.37.2", "1.37.0"), ("1.37", "1.37.0"), ("v1.37.7", "1.37.0"), ("v1.36.3", "1.36.0"), ("v1.1.8", "1.25.0"),
     ("v1.24.3", "1.25.0"), ("v1.30.2", "1.30.0")],
)
def test_schema_version_is_the_nearest_carried(version: str, expected: str) -> None:
    assert schema_version_for(version) == expected


@needs_schemas
def test_a_newer_version_uses_the_newest_schema() -> None:
    assert schema_version_for("v1.99.0") == kube_schema.schema_versions()[-1]


def test_not_a_version() -> None:
    with pytest.raises(KubeSchemaError, match="is not a Kubernetes version"):
        schema_version_for("modern")


# --- pods ----------------------------------------------------------------------------------------------------------
@needs_schemas
def test_the_built_pods_are_valid() -> None:
    for pod in control_plane_pods("modern", {**MODERN, "pod_cidr": "10.244.0.0/16"}).values():
        assert validate_pod(pod, "v1.37.2") == []
    for anonymous in ("disabled", "enabled"):
        for pod in control_plane_pods("modern", {**MODERN, "anonymous_auth": anonymous}).values():
            assert validate_pod(pod, "v1.37.2") == []
    assert validate_pod(control_plane_pods("seed")["master.json"], "v1.1.8") == []


@needs_schemas
def test_a_small_pod_is_valid() -> None:
    assert validate_pod(small_pod(), "v1.37.2") == []


@needs_schemas
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda pod: pod["spec"]["containers"][0]["ports"][0].update(containerPort="abc"),
         "spec.containers[0].ports[0].containerPort: 'abc' is not of type 'integer'"),
        (lambda pod: pod["spec"]["containers"][0].pop("name"), "spec.containers[0]: 'name' is a required property"),
        (lambda pod: pod["spec"].update(hostNetwrok=True),
         "spec: Additional properties are not allowed ('hostNetwrok' was unexpected)"),
        (lambda pod: pod["spec"]["containers"][0].update(command="kube-apiserver"),
         "spec.containers[0].command: 'kube-apiserver' is not of type 'array', 'null'"),
        (lambda pod: pod.update(metadata={"name": "web", "labels": {"tier": 1}}),
         "metadata.labels.tier: 1 is not of type 'string', 'null'"),
        (lambda pod: pod["spec"].update(hostNetwork="yes"), "spec.hostNetwork: 'yes' is not of type 'boolean', 'null'"),
    ],
)
def test_pod_errors_carry_the_json_path(change: Any, expected: str) -> None:
    pod = small_pod()
    change(pod)
    assert validate_pod(pod, "v1.37.2") == [expected]


@needs_schemas
def test_every_pod_error_is_reported_sorted_by_path() -> None:
    pod = copy.deepcopy(control_plane_pods("modern", MODERN)["kube-apiserver.yaml"])
    container = pod["spec"]["containers"][0]
    container.pop("name")
    container["livenessProbe"]["httpGet"]["port"] = [6443]
    pod["spec"]["bogus"] = 1
    errors = validate_pod(pod, "v1.37.2")
    assert [error.split(":")[0] for error in errors] == [
        "spec", "spec.containers[0]", "spec.containers[0].livenessProbe.httpGet.port"
    ]


@needs_schemas
def test_a_pod_of_another_kind_is_refused() -> None:
    (error,) = validate_pod({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}, "v1.37.2")
    assert error.startswith("(root): expected apiVersion v1 and kind Pod")


@needs_schemas
def test_validate_object_without_a_schema() -> None:
    with pytest.raises(KubeSchemaError, match="has no schema for KubeletConfiguration"):
        kube_schema.validate_object(kubelet_configuration({}), "v1.37.2")


def test_json_path() -> None:
    path = ["spec", "containers", 0, "ports", 1, "containerPort"]
    assert json_path(path) == "spec.containers[0].ports[1].containerPort"
    assert json_path([]) == "(root)"


@pytest.fixture
def without_kubernetes_validate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    kube_schema.schema_versions.cache_clear()
    kube_schema._validator.cache_clear()
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)
    monkeypatch.setitem(sys.modules, "kubernetes_validate.utils", None)
    yield
    kube_schema.schema_versions.cache_clear()
    kube_schema._validator.cache_clear()


@pytest.mark.usefixtures("without_kubernetes_validate")
def test_a_missing_package_is_named() -> None:
    with pytest.raises(KubeSchemaError, match=r"needs the Python package kubernetes-validate .*pip install"):
        validate_pod(small_pod(), "v1.37.2")
    assert validate_kubelet_configuration(kubelet_configuration({})) == []  # structural checks need no package


# --- KubeletConfiguration ------------------------------------------------------------------------------------------
def test_the_built_kubelet_configuration_is_valid() -> None:
    config = kubelet_configuration({"kubelet_tls_cert_file": "/k.crt", "kubelet_tls_key_file": "/k.key",
                                    "container_runtime_endpoint": "unix:///var/run/cri-dockerd.sock"})
    assert validate_kubelet_configuration(config) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"healthzPort": "10248"}, ["healthzPort: '10248' is not of type 'integer'"]),
        ({"failSwapOn": "false"}, ["failSwapOn: 'false' is not of type 'boolean'"]),
        ({"fileCheckFrequency": "20 seconds"}, ["fileCheckFrequency: '20 seconds' is not a duration such as 20s or "
                                                "1m0s"]),
        ({"staticPodPathh": "/x"}, ["(root): unknown field 'staticPodPathh'"]),
        ({"authentication": {"x509": {"clientCA": "/ca.crt"}}}, ["authentication.x509: unknown field 'clientCA'"]),
        ({"authorization": {"mode": "RBAC"}}, ["authorization.mode: 'RBAC' is not one of ['AlwaysAllow', 'Webhook']"]),
        ({"clusterDNS": "10.96.0.10"}, ["clusterDNS: '10.96.0.10' is not of type 'array of strings'"]),
        ({"apiVersion": "kubelet.config.k8s.io/v1"}, ["apiVersion: 'kubelet.config.k8s.io/v1' is not "
                                                      "'kubelet.config.k8s.io/v1beta1'"]),
    ],
)
def test_kubelet_configuration_errors(change: dict[str, Any], expected: list[str]) -> None:
    assert validate_kubelet_configuration({**kubelet_configuration({}), **change}) == expected


@pytest.mark.parametrize(
    ("field", "value", "version", "expected"),
    [
        ("defaultPodSysctls", {"net.ipv4.ip_forward": "1"}, None, []),
        ("defaultPodSysctls", {"net.ipv4.ip_forward": "1"}, "v1.37.2", []),
        ("defaultPodSysctls", {"net.ipv4.ip_forward": "1"}, "v1.36.3",
         ["defaultPodSysctls: Kubernetes v1.36.3 has no such KubeletConfiguration field (added in 1.37)"]),
        # added in 1.36, so both modern versions have it; a 1.35 kubelet does not
        ("memoryReservationPolicy", "None", "v1.37.2", []),
        ("memoryReservationPolicy", "None", "v1.36.3", []),
        ("memoryReservationPolicy", "None", "v1.35.4",
         ["memoryReservationPolicy: Kubernetes v1.35.4 has no such KubeletConfiguration field (added in 1.36)"]),
    ],
)
def test_a_kubelet_configuration_field_newer_than_the_version_is_refused(
    field: str, value: Any, version: str | None, expected: list[str]
) -> None:
    config = {**kubelet_configuration({}), field: value}
    assert validate_kubelet_configuration(config, version) == expected
    assert validate("kubelet_configuration", config, version or "v1.37.2") == expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("defaultPodSysctls", ["net.ipv4.ip_forward=1"], "defaultPodSysctls: ['net.ipv4.ip_forward=1'] is not of type "
                                                         "'object of strings'"),
        ("memoryReservationPolicy", 1, "memoryReservationPolicy: 1 is not of type 'string'"),
    ],
)
def test_a_newer_field_is_still_type_checked_where_it_exists(field: str, value: Any, expected: str) -> None:
    config = {**kubelet_configuration({}), field: value}
    assert validate_kubelet_configuration(config, "v1.37.2") == [expected]


# --- KubeProxyConfiguration ----------------------------------------------------------------------------------------
def test_the_built_kube_proxy_configuration_is_valid() -> None:
    assert validate_kube_proxy_configuration(kube_proxy_configuration({"pod_cidr": "10.244.0.0/16"})) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"clientConnection": {"kubeconfig": 1}}, ["clientConnection.kubeconfig: 1 is not of type 'string'"]),
        ({"iptables": {"syncPeriod": "often"}}, ["iptables.syncPeriod: 'often' is not a duration such as 20s or 1m0s"]),
        ({"proxyMode": "iptables"}, ["(root): unknown field 'proxyMode'"]),
        ({"kind": "KubeletConfiguration"}, ["kind: 'KubeletConfiguration' is not 'KubeProxyConfiguration'"]),
    ],
)
def test_kube_proxy_configuration_errors(change: dict[str, Any], expected: list[str]) -> None:
    assert validate_kube_proxy_configuration({**kube_proxy_configuration({}), **change}) == expected


# --- kubeconfig ----------------------------------------------------------------------------------------------------
def admin_kubeconfig() -> dict[str, Any]:
    return kubeconfig("kubernetes", "https://10.0.0.5:6443", "/etc/kubernetes/pki/ca.crt", "/a.crt", "/a.key",
                      "kubernetes-admin")


def test_built_kubeconfigs_are_valid() -> None:
    assert validate_kubeconfig(admin_kubeconfig()) == []
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    embedded = kubeconfig("kubernetes", "https://10.0.0.5:6443", None, None, None, "kubernetes-admin", embed=True,
                          ca_pem=pem, client_cert_pem=pem, client_key_pem=pem)
    assert validate_kubeconfig(embedded) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda config: config["contexts"][0]["context"].update(user="nobody"),
         ["contexts[kubernetes-admin@kubernetes].user: 'nobody' names no entry of users"]),
        (lambda config: config.update({"current-context": "other"}),
         ["current-context: 'other' names no entry of contexts"]),
        (lambda config: config["clusters"][0]["cluster"].pop("server"),
         ["clusters[0].cluster.server: a server URL is required"]),
        (lambda config: config["users"][0]["user"].update(clientCertificate="/a.crt"),
         ["users[0].user: unknown field 'clientCertificate'"]),
        (lambda config: config["clusters"][0]["cluster"].update({"insecure-skip-tls-verify": "true"}),
         ["clusters[0].cluster.insecure-skip-tls-verify: 'true' is not of type 'boolean'"]),
        (lambda config: config.update(clusters={"name": "kubernetes"}),
         ["clusters: {'name': 'kubernetes'} is not of type 'array of objects'",
          "contexts[kubernetes-admin@kubernetes].cluster: 'kubernetes' names no entry of clusters"]),
        (lambda config: config.update(kind="Configuration"), ["kind: 'Configuration' is not 'Config'"]),
    ],
)
def test_kubeconfig_errors(change: Any, expected: list[str]) -> None:
    config = admin_kubeconfig()
    change(config)
    assert validate_kubeconfig(config) == expected


# --- dispatch ------------------------------------------------------------------------------------------------------
@needs_schemas
def test_validate_dispatches_on_kind() -> None:
    assert validate("none", {"anything": True}, "v1.37.2") == []
    assert validate("pod", small_pod(), "v1.37.2") == []
    assert validate("kubeconfig", {"kind": "Config"}, "v1.37.2") == ["apiVersion: None is not 'v1'"]
    with pytest.raises(KubeSchemaError, match="unknown validation 'deployment'"):
        validate("deployment", {}, "v1.37.2")

"""The filters over the structured-file builders: same data as the builders, errors as AnsibleFilterError naming the
key, deprecation warnings through Ansible's display."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter import kube_manifests as filters
from ansible_collections.curtain.kube.plugins.module_utils import kube_manifests

MODERN = {"advertise_address": "10.0.0.5"}


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(filters.display, "warning", seen.append)
    return seen


def test_the_filters_are_registered() -> None:
    assert set(filters.FilterModule().filters()) == {
        "kube_control_plane_pods", "kube_master_config_files", "kube_kubeconfig_files", "kube_settings",
        "kube_kubeconfig", "kube_kubelet_configuration", "kube_kubelet_flags", "kube_proxy_configuration",
        "kube_proxy_flags",
    }


@pytest.mark.parametrize(
    ("name", "args", "builder", "builder_args"),
    [
        ("kube_control_plane_pods", ("modern", MODERN), kube_manifests.control_plane_pods, ("modern", MODERN)),
        ("kube_master_config_files", ("modern", MODERN, False), kube_manifests.master_config_files,
         ("modern", MODERN, False)),
        ("kube_kubelet_configuration", ({},), kube_manifests.kubelet_configuration, ({},)),
        ("kube_kubelet_flags", ("seed", {}), kube_manifests.kubelet_flags, ("seed", {})),
        ("kube_proxy_configuration", ({"pod_cidr": "10.244.0.0/16"},), kube_manifests.kube_proxy_configuration,
         ({"pod_cidr": "10.244.0.0/16"},)),
        ("kube_proxy_flags", ("seed", None), kube_manifests.kube_proxy_flags, ("seed", None)),
        ("kube_settings", ("seed",), kube_manifests.resolve_settings, ("seed",)),
    ],
)
def test_filters_return_what_the_builders_build(name: str, args: tuple[Any, ...], builder: Any,
                                                builder_args: tuple[Any, ...], warnings: list[str]) -> None:
    assert filters.FilterModule().filters()[name](*args) == builder(*builder_args)


def test_kubeconfig_filter_with_defaults_and_embedding() -> None:
    config = filters.kube_kubeconfig("kubernetes", "https://10.0.0.5:6443", "/etc/kubernetes/pki/ca.crt")
    assert config["users"] == [{"name": "kubernetes-admin", "user": {}}]
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    embedded = filters.kube_kubeconfig("kubernetes", "https://10.0.0.5:6443", user="kubernetes-admin", embed=True,
                                       ca_pem=pem, client_cert_pem=pem, client_key_pem=pem)
    assert "client-key-data" in embedded["users"][0]["user"]


def test_errors_become_filter_errors_naming_the_key() -> None:
    with pytest.raises(AnsibleFilterError) as raised:
        filters.kube_control_plane_pods("modern", {**MODERN, "service_cidr": "10.96.0.0/33", "secure_port": 0})
    message = str(raised.value)
    assert "kube settings: service_cidr '10.96.0.0/33' is not a CIDR" in message
    assert "kube settings: secure_port 0 is not a port" in message


def test_the_filters_take_a_profile_reference_to_a_pinned_version(warnings: list[str]) -> None:
    pods = filters.kube_control_plane_pods("modern@v1.36.3", MODERN)
    assert pods["kube-apiserver.yaml"]["spec"]["containers"][0]["image"] == "registry.k8s.io/kube-apiserver:v1.36.3"
    assert filters.kube_settings("modern@v1.36.3", MODERN)["version"] == "v1.36.3"
    assert filters.kube_kubelet_configuration({}, "modern@v1.36.3") == kube_manifests.kubelet_configuration({})
    with pytest.raises(AnsibleFilterError, match=r"kube-controller-manager v1\.36\.3 has no flag "
                                                 r"--concurrent-disruption-syncs"):
        filters.kube_control_plane_pods(
            "modern@v1.36.3", {**MODERN, "extra_flags": {"controller-manager": {"concurrent-disruption-syncs": 2}}})
    with pytest.raises(AnsibleFilterError, match=r"Kubernetes v1\.37\.0 is not pinned in profile modern"):
        filters.kube_proxy_flags("modern@v1.37.0", {})


def test_unknown_extra_flag_names_flag_component_and_version() -> None:
    with pytest.raises(AnsibleFilterError, match=r"kube-controller-manager v1\.37\.2 has no flag --bogus"):
        filters.kube_control_plane_pods("modern", {**MODERN, "extra_flags": {"controller-manager": {"bogus": 1}}})


def test_deprecations_are_displayed_once(warnings: list[str]) -> None:
    filters.kube_control_plane_pods("seed", {})
    assert len(warnings) == len(set(warnings)) == 2
    assert any("--portal-net is deprecated" in warning for warning in warnings)


def test_the_kubeconfig_files_carry_the_controllers_certificates(tmp_path: Any) -> None:
    (tmp_path / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n")
    host = tmp_path / "node-1"
    host.mkdir()
    (host / "kubelet-client.crt").write_text("-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n")
    clients = [{"file": "kubelet.conf", "cert": "kubelet-client", "user": "system:node:node-1"}]
    with pytest.raises(AnsibleFilterError, match=r"cannot read .*node-1/kubelet-client\.key"):
        filters.kube_kubeconfig_files(clients, "kubernetes", "https://10.0.0.5:6443", "/etc/kubernetes",
                                      str(tmp_path), str(host))
    (host / "kubelet-client.key").write_text("-----BEGIN EC PRIVATE KEY-----\nS0VZ\n-----END EC PRIVATE KEY-----\n")
    (written,) = filters.kube_kubeconfig_files(clients, "kubernetes", "https://10.0.0.5:6443", "/etc/kubernetes",
                                               str(tmp_path), str(host))
    assert written["dest"] == "/etc/kubernetes/kubelet.conf" and written["mode"] == "0600"
    assert written["validate"] == "kubeconfig"
    assert written["content"] == kube_manifests.kubeconfig(
        "kubernetes", "https://10.0.0.5:6443", None, None, None, "system:node:node-1", embed=True,
        ca_pem=(tmp_path / "ca.crt").read_text(), client_cert_pem=(host / "kubelet-client.crt").read_text(),
        client_key_pem=(host / "kubelet-client.key").read_text())

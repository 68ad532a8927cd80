"""The two Kubernetes profiles as data, and the check of requested features against them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.kube import FilterModule
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import COMPONENTS, flagset
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    KubeProfileError,
    check_features,
    get_profile,
)


def test_the_profiles_and_their_versions() -> None:
    assert sorted(PROFILES) == ["modern", "seed"]
    assert DEFAULT_PROFILE == "modern"
    assert get_profile("seed").version == "v1.1.8"
    assert get_profile("modern").version == "v1.36.0"


def test_an_unknown_profile_is_refused_with_the_known_ones() -> None:
    with pytest.raises(KubeProfileError, match=r"unknown Kubernetes profile 'v1\.1'; known profiles: modern, seed"):
        get_profile("v1.1")
    with pytest.raises(KubeProfileError, match="known profiles: modern, seed"):
        check_features("legacy", {"tls": True})


@pytest.mark.parametrize("component", COMPONENTS)
def test_seed_runs_every_component_from_the_hyperkube_image(component: str) -> None:
    image = get_profile("seed").images[component]
    assert image.reference == "gcr.io/google_containers/hyperkube:v1.1.8"
    assert image.command[0] == "/hyperkube"


@pytest.mark.parametrize("component", ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"])
def test_modern_has_one_image_per_component(component: str) -> None:
    image = get_profile("modern").images[component]
    assert image.reference == f"registry.k8s.io/{component}:v1.36.0"
    assert image.command == (component,)


def test_modern_kubelet_comes_from_the_node_tarball_with_its_published_hash() -> None:
    modern = get_profile("modern")
    assert "kubelet" not in modern.images
    node = modern.artifacts["kubernetes-node-linux-amd64"]
    assert node.url == "https://dl.k8s.io/v1.36.0/kubernetes-node-linux-amd64.tar.gz"
    assert re.fullmatch(r"[0-9a-f]{128}", node.sha512)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_no_digest_is_made_up(profile: str) -> None:
    # Digests are filled only from a citable source; none was found, so all stay empty.
    assert all(image.digest == "" for image in get_profile(profile).images.values())


@pytest.mark.parametrize(
    ("profile", "port", "expected"),
    [
        ("seed", "apiserver_secure", 6443),
        ("seed", "apiserver_insecure", 8080),
        ("seed", "kubelet", 10250),
        ("seed", "kubelet_healthz", 10248),
        ("seed", "controller_manager", 10252),
        ("seed", "scheduler", 10251),
        ("seed", "kube_proxy_healthz", 10249),
        ("seed", "kube_proxy_metrics", None),
        ("modern", "apiserver_secure", 6443),
        ("modern", "apiserver_insecure", None),
        ("modern", "kubelet", 10250),
        ("modern", "kubelet_healthz", 10248),
        ("modern", "controller_manager", 10257),
        ("modern", "scheduler", 10259),
        ("modern", "kube_proxy_healthz", 10256),
        ("modern", "kube_proxy_metrics", 10249),
    ],
)
def test_default_ports(profile: str, port: str, expected: int | None) -> None:
    assert getattr(get_profile(profile).ports, port) == expected


@pytest.mark.parametrize(
    ("profile", "feature", "expected"),
    [
        ("seed", "insecure_port", True),
        ("seed", "kubelet_config_file", False),
        ("seed", "kube_proxy_config_file", False),
        ("seed", "proxy_modes", ("iptables", "userspace")),
        ("seed", "static_pod_manifest_flag", "--config"),
        ("modern", "insecure_port", False),
        ("modern", "tls", True),
        ("modern", "kubeconfig", True),
        ("modern", "kubelet_config_file", True),
        ("modern", "kube_proxy_config_file", True),
        ("modern", "proxy_modes", ("iptables", "ipvs", "nftables")),
        ("modern", "deprecated_proxy_modes", ("ipvs",)),
        ("modern", "static_pod_manifest_flag", "staticPodPath"),
    ],
)
def test_features(profile: str, feature: str, expected: Any) -> None:
    assert getattr(get_profile(profile).features, feature) == expected


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_proxy_modes_are_the_ones_the_flag_documents(profile: str) -> None:
    # The modes must at least be accepted by the profile's kube-proxy --proxy-mode flag.
    assert flagset("kube-proxy", get_profile(profile).version).lookup("proxy-mode") is not None


@pytest.mark.parametrize(
    ("profile", "requested", "errors"),
    [
        (
            "modern",
            {"insecure_port": True},
            [
                "Kubernetes v1.36.0 (profile modern) has no insecure port: removed in 1.20; "
                "use the secure port with a client certificate"
            ],
        ),
        (
            "seed",
            {"proxy_mode": "nftables"},
            [
                "proxy mode 'nftables' is not available in Kubernetes v1.1.8 (profile seed); "
                "choose one of: iptables, userspace"
            ],
        ),
        (
            "modern",
            {"proxy_mode": "userspace"},
            [
                "proxy mode 'userspace' is not available in Kubernetes v1.36.0 (profile modern); "
                "choose one of: iptables, ipvs, nftables"
            ],
        ),
        ("modern", {"proxy_mode": "nftables", "tls": True, "kubeconfig": True, "kubelet_config_file": True}, []),
        ("seed", {"proxy_mode": "iptables", "insecure_port": True, "tls": False}, []),
        ("seed", {"insecure_port": False, "proxy_mode": None}, []),
        ("modern", {"insecure_port": False}, []),
    ],
)
def test_check_features(profile: str, requested: dict[str, Any], errors: list[str]) -> None:
    assert check_features(profile, requested) == errors


def test_check_features_explains_what_1_1_lacks() -> None:
    [error] = check_features("seed", {"kubelet_config_file": True})
    assert error.startswith("Kubernetes v1.1.8 (profile seed) has no KubeletConfiguration file")
    [error] = check_features("seed", {"kube_proxy_config_file": True})
    assert "KubeProxyConfiguration" in error


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ({"ingress": True}, "unknown feature 'ingress'; known features: insecure_port, tls,"),
        ({"tls": "yes"}, "feature 'tls' must be true or false, got 'yes'"),
    ],
)
def test_check_features_refuses_what_it_cannot_judge(requested: dict[str, Any], expected: str) -> None:
    [error] = check_features("modern", requested)
    assert error.startswith(expected)


def test_check_features_reports_every_problem_at_once() -> None:
    errors = check_features("seed", {"proxy_mode": "ipvs", "kubelet_config_file": True, "color": "blue"})
    assert len(errors) == 3


def test_check_features_needs_a_mapping() -> None:
    with pytest.raises(KubeProfileError, match="mapping"):
        check_features("modern", ["tls"])  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profile_data_is_plain_json(profile: str) -> None:
    data = get_profile(profile).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["label"] == f"Kubernetes {data['version']} (profile {profile})"
    assert all(image["reference"] for image in data["images"].values())
    assert data["sources"]


# --- filters -------------------------------------------------------------------------------------------------------
def test_kube_profile_filter() -> None:
    kube_profile = FilterModule().filters()["kube_profile"]
    assert kube_profile()["name"] == "modern"
    assert kube_profile("seed")["ports"]["apiserver_insecure"] == 8080
    with pytest.raises(AnsibleFilterError, match="known profiles: modern, seed"):
        kube_profile("nope")


def test_kube_feature_errors_filter() -> None:
    kube_feature_errors = FilterModule().filters()["kube_feature_errors"]
    assert kube_feature_errors("modern", {"proxy_mode": "ipvs"}) == []
    assert len(kube_feature_errors("modern", {"insecure_port": True})) == 1
    with pytest.raises(AnsibleFilterError):
        kube_feature_errors("nope", {})

"""The two Kubernetes profiles as data, their pinned versions and references, the upgrade rule, and the check of
requested features against them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.kube import FilterModule
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import COMPONENTS, flagset
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    DEFAULT_PROFILE,
    PINNED,
    PROFILES,
    KubeProfileError,
    check_features,
    get_profile,
    is_reference,
    kubernetes_version,
    parse_reference,
    pinned_versions,
    profile_of_version,
    upgrade_step,
)

# Every pinned profile version, as a reference: what the per-version tests run over.
REFERENCES = [profile.reference for pinned in PINNED.values() for profile in pinned.values()]


def test_the_profiles_and_their_versions() -> None:
    assert sorted(PROFILES) == ["modern", "seed"]
    assert DEFAULT_PROFILE == "modern"
    assert get_profile("seed").version == "v1.1.8"
    assert get_profile("modern").version == "v1.37.2"
    assert REFERENCES == ["seed@v1.1.8", "modern@v1.36.3", "modern@v1.37.2"]


@pytest.mark.parametrize(
    ("profile", "versions"), [("modern", ("v1.36.3", "v1.37.2")), ("seed", ("v1.1.8",))]
)
def test_pinned_versions_oldest_first_and_the_default_is_the_newest(profile: str, versions: tuple[str, ...]) -> None:
    assert pinned_versions(profile) == versions
    assert get_profile(profile).versions == versions
    assert get_profile(profile).version == versions[-1]
    assert all(get_profile(f"{profile}@{version}").versions == versions for version in versions)


# --- references ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reference", "name", "version"),
    [
        ("modern", "modern", "v1.37.2"),
        ("modern@v1.37.2", "modern", "v1.37.2"),
        ("modern@v1.36.3", "modern", "v1.36.3"),
        ("modern@1.36.3", "modern", "v1.36.3"),  # the "v" is optional, as in kubeadm's --kubernetes-version
        (" modern@v1.36.3 ", "modern", "v1.36.3"),
        ("seed", "seed", "v1.1.8"),
        ("seed@v1.1.8", "seed", "v1.1.8"),
    ],
)
def test_a_reference_names_a_profile_and_optionally_a_pinned_version(reference: str, name: str, version: str) -> None:
    profile = get_profile(reference)
    assert (profile.name, profile.version) == (name, version)
    assert profile.reference == f"{name}@{version}"
    assert profile.label == f"Kubernetes {version} (profile {name})"
    assert get_profile(profile.reference) is profile
    assert kubernetes_version(reference) == version


@pytest.mark.parametrize(
    ("reference", "parsed"),
    [("modern", ("modern", None)), ("modern@1.36.3", ("modern", "v1.36.3")), ("seed@v1.1.8", ("seed", "v1.1.8"))],
)
def test_parse_reference(reference: str, parsed: tuple[str, str | None]) -> None:
    assert parse_reference(reference) == parsed


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("modern@v1.34.2", "Kubernetes v1.34.2 is not pinned in profile modern; pinned versions: v1.36.3, v1.37.2"),
        ("modern@v1.36.0", "Kubernetes v1.36.0 is not pinned in profile modern; pinned versions: v1.36.3, v1.37.2"),
        ("modern@v1.1.8", "Kubernetes v1.1.8 is not pinned in profile modern; pinned versions: v1.36.3, v1.37.2"),
        ("seed@v1.37.2", "Kubernetes v1.37.2 is not pinned in profile seed; pinned versions: v1.1.8"),
        ("modern@", "profile reference 'modern@' names no version; use 'modern' or modern@<version> with one of: "
                    "v1.36.3, v1.37.2"),
        ("modern@latest", "profile reference 'modern@latest': 'latest' is not a Kubernetes version; pinned versions "
                          "of profile modern: v1.36.3, v1.37.2"),
        ("modern@v1.37", "'v1.37' is not a Kubernetes version"),
        ("legacy@v1.37.2", "unknown Kubernetes profile 'legacy'; known profiles: modern, seed"),
        ("@v1.37.2", "unknown Kubernetes profile ''; known profiles: modern, seed"),
    ],
)
def test_a_reference_to_an_unpinned_or_malformed_version_is_refused(reference: str, message: str) -> None:
    with pytest.raises(KubeProfileError) as raised:
        get_profile(reference)
    assert message in str(raised.value)


def test_a_reference_must_be_a_string() -> None:
    with pytest.raises(KubeProfileError, match="must be a string"):
        get_profile(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("modern", True), ("modern@v1.36.3", True), ("seed@x", True), ("v1.37.2", False), ("1.36", False), (7, False)],
)
def test_is_reference(value: object, expected: bool) -> None:
    assert is_reference(value) is expected


@pytest.mark.parametrize("version", ["v1.37.2", "1.36", "v1.30.2"])
def test_a_bare_version_stands_for_itself(version: str) -> None:
    assert kubernetes_version(version) == version


@pytest.mark.parametrize(("version", "reference"),
                         [("v1.36.3", "modern@v1.36.3"), ("1.37.2", "modern@v1.37.2"), ("v1.1.8", "seed@v1.1.8")])
def test_profile_of_version(version: str, reference: str) -> None:
    assert profile_of_version(version).reference == reference


def test_profile_of_an_unpinned_version_is_refused() -> None:
    with pytest.raises(KubeProfileError, match=r"v1\.34\.0 is pinned in no profile; pinned: seed@v1\.1\.8, "
                                               r"modern@v1\.36\.3, modern@v1\.37\.2"):
        profile_of_version("v1.34.0")


# --- the upgrade rule ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "target", "step"),
    [
        ("v1.36.3", "v1.37.2", "upgrade"),
        ("1.36.3", "v1.37.2", "upgrade"),
        ("v1.37.2", "v1.37.2", "none"),
        ("v1.36.3", "v1.36.3", "none"),
    ],
)
def test_upgrade_step_within_the_modern_line(current: str, target: str, step: str) -> None:
    assert upgrade_step("modern", current, target) == step


@pytest.mark.parametrize(
    ("profile", "current", "target", "message"),
    [
        # more than one minor version: the skip message, also for a current version curtain does not pin
        ("modern", "v1.35.2", "v1.37.2", "upgrading from v1.35.2 to v1.37.2 skips 1.36: upgrade one minor version "
                                         "at a time (v1.35 -> v1.36 -> v1.37)"),
        ("modern", "v1.34.9", "v1.37.2", "upgrading from v1.34.9 to v1.37.2 skips 1.35 and 1.36: upgrade one minor "
                                         "version at a time (v1.34 -> v1.35 -> v1.36 -> v1.37)"),
        # a current version within one minor version of the target, but not pinned
        ("modern", "v1.35.2", "v1.36.3", "cannot upgrade from v1.35.2: Kubernetes v1.35.2 is not pinned in profile "
                                         "modern; pinned versions: v1.36.3, v1.37.2"),
        ("modern", "v1.36.2", "v1.37.2", "cannot upgrade from v1.36.2: Kubernetes v1.36.2 is not pinned"),
        # a target the profile does not pin
        ("modern", "v1.37.2", "v1.38.0", "cannot upgrade to v1.38.0: Kubernetes v1.38.0 is not pinned in profile "
                                         "modern; pinned versions: v1.36.3, v1.37.2"),
        ("modern", "v1.36.3", "v1.36.5", "cannot upgrade to v1.36.5: Kubernetes v1.36.5 is not pinned"),
        # backwards
        ("modern", "v1.37.2", "v1.36.3", "downgrading from v1.37.2 to v1.36.3 is not supported: Kubernetes "
                                         "upgrades go forward only"),
        ("modern", "v1.38.1", "v1.37.2", "downgrading from v1.38.1 to v1.37.2 is not supported"),
        ("modern", "v0.36.0", "v1.37.2", "upgrading from v0.36.0 to v1.37.2 crosses a major version"),
        # malformed versions and profiles
        ("modern", "1.36", "v1.37.2", "'1.36' is not a Kubernetes version such as v1.37.2"),
        ("modern", "v1.36.3", "latest", "'latest' is not a Kubernetes version"),
        ("legacy", "v1.36.3", "v1.37.2", "unknown Kubernetes profile 'legacy'; known profiles: modern, seed"),
        ("modern@v1.37.2", "v1.36.3", "v1.37.2", "upgrade_step takes a profile name such as 'modern', not "
                                                 "'modern@v1.37.2'"),
        # a profile with a single pinned version has no upgrade path, not even to itself
        ("seed", "v1.1.8", "v1.1.8", "profile seed pins only v1.1.8 and has no upgrade path"),
        ("seed", "v1.1.8", "v1.37.2", "profile seed pins only v1.1.8 and has no upgrade path"),
    ],
)
def test_upgrade_step_refusals(profile: str, current: str, target: str, message: str) -> None:
    with pytest.raises(KubeProfileError) as raised:
        upgrade_step(profile, current, target)
    assert message in str(raised.value)


def test_kube_upgrade_step_filter() -> None:
    kube_upgrade_step = FilterModule().filters()["kube_upgrade_step"]
    assert kube_upgrade_step("modern", "v1.36.3", "v1.37.2") == "upgrade"
    assert kube_upgrade_step("modern", "v1.37.2", "v1.37.2") == "none"
    with pytest.raises(AnsibleFilterError, match=r"skips 1\.36: upgrade one minor version at a time"):
        kube_upgrade_step("modern", "v1.35.2", "v1.37.2")
    with pytest.raises(AnsibleFilterError, match="no upgrade path"):
        kube_upgrade_step("seed", "v1.1.8", "v1.1.8")


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
@pytest.mark.parametrize(("reference", "tag"), [("modern", "v1.37.2"), ("modern@v1.36.3", "v1.36.3")])
def test_modern_has_one_image_per_component_and_version(component: str, reference: str, tag: str) -> None:
    image = get_profile(reference).images[component]
    assert image.reference == f"registry.k8s.io/{component}:{tag}"
    assert image.command == (component,)


@pytest.mark.parametrize("reference", ["modern", "modern@v1.36.3"])
def test_modern_records_no_hash_it_cannot_cite(reference: str) -> None:
    modern = get_profile(reference)
    assert "kubelet" not in modern.images
    assert modern.artifacts == {}
    assert any("No image digest or tarball hash" in note for note in modern.notes)
    assert any("scripts/build_components.py" in source for source in modern.sources)


def test_the_two_modern_versions_differ_only_in_what_is_per_version() -> None:
    old, new = get_profile("modern@v1.36.3"), get_profile("modern@v1.37.2")
    assert (old.release_line, new.release_line) == ("1.36", "1.37")
    assert old.ports == new.ports and old.features == new.features
    assert old.images != new.images


@pytest.mark.parametrize("profile", REFERENCES)
def test_no_digest_is_made_up(profile: str) -> None:
    # Digests are filled only from a citable source; none was found, so all stay empty.
    assert all(image.digest == "" for image in get_profile(profile).images.values())


@pytest.mark.parametrize(
    ("profile", "port", "expected"),
    [
        ("modern@v1.36.3", "apiserver_insecure", None),
        ("modern@v1.36.3", "controller_manager", 10257),
        ("modern@v1.36.3", "kube_proxy_healthz", 10256),
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
        # ipvs is deprecated since 1.35, so in both modern versions
        ("modern@v1.36.3", "proxy_modes", ("iptables", "ipvs", "nftables")),
        ("modern@v1.36.3", "deprecated_proxy_modes", ("ipvs",)),
    ],
)
def test_features(profile: str, feature: str, expected: Any) -> None:
    assert getattr(get_profile(profile).features, feature) == expected


@pytest.mark.parametrize("profile", REFERENCES)
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
                "Kubernetes v1.37.2 (profile modern) has no insecure port: removed in 1.20; "
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
                "proxy mode 'userspace' is not available in Kubernetes v1.37.2 (profile modern); "
                "choose one of: iptables, ipvs, nftables"
            ],
        ),
        (
            "modern@v1.36.3",
            {"insecure_port": True},
            [
                "Kubernetes v1.36.3 (profile modern) has no insecure port: removed in 1.20; "
                "use the secure port with a client certificate"
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


def test_check_features_of_an_unpinned_version_is_refused() -> None:
    with pytest.raises(KubeProfileError, match="not pinned in profile modern"):
        check_features("modern@v1.34.0", {"tls": True})


@pytest.mark.parametrize("reference", REFERENCES)
def test_profile_data_is_plain_json(reference: str) -> None:
    data = get_profile(reference).to_dict()
    name = reference.partition("@")[0]
    assert json.loads(json.dumps(data)) == data
    assert data["label"] == f"Kubernetes {data['version']} (profile {name})"
    assert data["reference"] == reference
    assert data["versions"] == list(pinned_versions(name))
    assert data["default_version"] == get_profile(name).version
    assert all(image["reference"] for image in data["images"].values())
    assert data["sources"]


# --- filters -------------------------------------------------------------------------------------------------------
def test_kube_profile_filter() -> None:
    kube_profile = FilterModule().filters()["kube_profile"]
    assert kube_profile()["name"] == "modern"
    assert kube_profile()["versions"] == ["v1.36.3", "v1.37.2"]
    assert kube_profile("seed")["ports"]["apiserver_insecure"] == 8080
    old = kube_profile("modern@v1.36.3")
    assert (old["version"], old["images"]["kube-scheduler"]["reference"]) == (
        "v1.36.3", "registry.k8s.io/kube-scheduler:v1.36.3")
    with pytest.raises(AnsibleFilterError, match="known profiles: modern, seed"):
        kube_profile("nope")
    with pytest.raises(AnsibleFilterError, match=r"pinned versions: v1\.36\.3, v1\.37\.2"):
        kube_profile("modern@v1.34.2")


def test_kube_feature_errors_filter() -> None:
    kube_feature_errors = FilterModule().filters()["kube_feature_errors"]
    assert kube_feature_errors("modern", {"proxy_mode": "ipvs"}) == []
    assert kube_feature_errors("modern@v1.36.3", {"insecure_port": True}) == [
        "Kubernetes v1.36.3 (profile modern) has no insecure port: removed in 1.20; "
        "use the secure port with a client certificate"]
    assert len(kube_feature_errors("modern", {"insecure_port": True})) == 1
    with pytest.raises(AnsibleFilterError):
        kube_feature_errors("nope", {})

"""Flag sets, rendering, checking and parsing of Kubernetes command lines: tables of cases, no binaries needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter import kube as kube_filter
from ansible_collections.curtain.kube.plugins.filter.kube import FilterModule
from ansible_collections.curtain.kube.plugins.module_utils.kube_flags import (
    KubeArgsError,
    KubeFlagsError,
    check_flags,
    flag_name,
    parse_args,
    render_flags,
    render_value,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import (
    COMPONENTS,
    MODERN_PREVIOUS_VERSION,
    MODERN_VERSION,
    MODERN_VERSIONS,
    REMOVED_FLAGS,
    SEED_VERSION,
    KubeFlagsetError,
    added_since,
    component_name,
    flagset,
    release_line,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import KubeProfileError

ALL_VERSIONS = (SEED_VERSION, *MODERN_VERSIONS)
GENERATE_FLAGSETS = Path(__file__).resolve().parents[4] / "scripts" / "generate_flagsets.py"

# The seed's own command lines (seed/kubernetes-teardown-part-1.md), as flag mappings.
SEED_COMMANDS: dict[str, dict[str, Any]] = {
    "kubelet": {
        "containerized": True,
        "hostname-override": "127.0.0.1",
        "address": "0.0.0.0",
        "api-servers": "http://localhost:8080",
        "config": "/etc/kubernetes/manifests",
    },
    "kube-apiserver": {
        "portal-net": "10.0.0.1/24",
        "address": "127.0.0.1",
        "etcd-servers": "http://127.0.0.1:4001",
        "cluster-name": "kubernetes",
        "v": 2,
    },
    "kube-controller-manager": {"master": "127.0.0.1:8080", "v": 2},
    "kube-scheduler": {"master": "127.0.0.1:8080", "v": 2},
    "kube-proxy": {"master": "http://127.0.0.1:8080", "v": 2},
}

# The same as the seed wrote them on the command line.
SEED_ARGV: dict[str, list[str]] = {
    "kubelet": [
        "--containerized",
        "--hostname-override=127.0.0.1",
        "--address=0.0.0.0",
        "--api-servers=http://localhost:8080",
        "--config=/etc/kubernetes/manifests",
    ],
    "apiserver": [
        "--portal-net=10.0.0.1/24",
        "--address=127.0.0.1",
        "--etcd-servers=http://127.0.0.1:4001",
        "--cluster-name=kubernetes",
        "--v=2",
    ],
    "controller-manager": ["--master=127.0.0.1:8080", "--v=2"],
    "scheduler": ["--master=127.0.0.1:8080", "--v=2"],
    "proxy": ["--master=http://127.0.0.1:8080", "--v=2"],
}


# --- flag sets -----------------------------------------------------------------------------------------------------
# Counts of the option lists (modern: what the binaries' --help prints); a truncated generation fails here.
@pytest.mark.parametrize(
    ("component", "version", "documented", "minimum"),
    [
        ("kube-apiserver", MODERN_VERSION, 172, 100),
        ("kube-controller-manager", MODERN_VERSION, 148, 100),
        ("kube-scheduler", MODERN_VERSION, 62, 40),
        ("kubelet", MODERN_VERSION, 131, 100),
        ("kube-proxy", MODERN_VERSION, 55, 40),
        # 1.36 still has the kubelet's cAdvisor flags and its --machine-id-file/--boot-id-file (kube-proxy too),
        # and the controller-manager's --concurrent-service-syncs where 1.37 has --concurrent-disruption-syncs.
        ("kube-apiserver", MODERN_PREVIOUS_VERSION, 172, 100),
        ("kube-controller-manager", MODERN_PREVIOUS_VERSION, 148, 100),
        ("kube-scheduler", MODERN_PREVIOUS_VERSION, 62, 40),
        ("kubelet", MODERN_PREVIOUS_VERSION, 149, 100),
        ("kube-proxy", MODERN_PREVIOUS_VERSION, 57, 40),
        # 1.1: the documented flags, the apiserver's 7 hidden deprecated aliases, and hyperkube's 8 global flags.
        ("kube-apiserver", SEED_VERSION, 54 + 7 + 8, 50),
        ("kube-controller-manager", SEED_VERSION, 37 + 8, 30),
        ("kube-scheduler", SEED_VERSION, 11 + 8, 10),
        ("kubelet", SEED_VERSION, 68 + 8, 60),
        ("kube-proxy", SEED_VERSION, 16 + 8, 15),
    ],
)
def test_flagset_has_the_documented_size(component: str, version: str, documented: int, minimum: int) -> None:
    flags = flagset(component, version)
    assert len(flags) >= minimum
    assert len(flags) == documented


@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_flag_has_a_name_and_a_type(component: str, version: str) -> None:
    for spec in flagset(component, version).flags.values():
        assert spec.name and not spec.name.startswith("-")
        assert spec.type
        assert spec.deprecated is None or spec.deprecated.strip()


@pytest.mark.parametrize(("key", "removal"), sorted(REMOVED_FLAGS.items()))
def test_removed_flags_are_in_the_seed_release_and_gone_from_modern(key: tuple[str, str], removal: Any) -> None:
    component, name = key
    assert flagset(component, SEED_VERSION).lookup(name) is not None
    for version in MODERN_VERSIONS:
        assert flagset(component, version).lookup(name) is None
        if removal.replacement:
            assert flagset(component, version).lookup(removal.replacement) is not None


def test_the_generated_modern_flag_sets_are_what_the_built_binaries_print() -> None:
    result = subprocess.run([sys.executable, str(GENERATE_FLAGSETS), "--check"], capture_output=True, text=True,
                            check=False)
    if "is not built" in result.stderr:
        pytest.skip(result.stderr.strip())  # scripts/build_components.py has not built the pinned versions here
    assert result.returncode == 0, result.stdout + result.stderr


# --- what differs between the two modern versions ------------------------------------------------------------------
_CADVISOR_FLAGS_GONE_IN_1_37 = {
    "application-metrics-count-limit", "boot-id-file", "container-hints", "containerd", "containerd-namespace",
    "enable-load-reader", "event-storage-age-limit", "event-storage-event-limit", "global-housekeeping-interval",
    "log-cadvisor-usage", "machine-id-file", "storage-driver-buffer-duration", "storage-driver-db",
    "storage-driver-host", "storage-driver-password", "storage-driver-secure", "storage-driver-table",
    "storage-driver-user",
}


@pytest.mark.parametrize(
    ("component", "added", "removed"),
    [
        ("kube-apiserver", set(), set()),
        ("kube-controller-manager", {"concurrent-disruption-syncs"}, {"concurrent-service-syncs"}),
        ("kube-scheduler", set(), set()),
        ("kubelet", set(), _CADVISOR_FLAGS_GONE_IN_1_37),
        ("kube-proxy", set(), {"boot-id-file", "machine-id-file"}),
    ],
)
def test_what_1_37_added_and_removed(component: str, added: set[str], removed: set[str]) -> None:
    old, new = flagset(component, MODERN_PREVIOUS_VERSION), flagset(component, MODERN_VERSION)
    assert set(added_since(component, MODERN_PREVIOUS_VERSION, MODERN_VERSION)) == added
    assert set(old.names()) - set(new.names()) == removed
    assert added_since(component, MODERN_VERSION, MODERN_PREVIOUS_VERSION) == sorted(removed)


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_flags_both_modern_versions_have_keep_their_type_and_deprecation(component: str) -> None:
    old, new = flagset(component, MODERN_PREVIOUS_VERSION), flagset(component, MODERN_VERSION)
    changed = {key for key in old.flags.keys() & new.flags.keys() if old.flags[key] != new.flags[key]}
    # 1.37 no longer marks the apiserver's --enable-logs-handler deprecated (its --help drops the DEPRECATED note).
    assert changed == ({"enable-logs-handler"} if component == "kube-apiserver" else set())
    for key in changed:
        assert old.flags[key].type == new.flags[key].type
        assert old.flags[key].deprecated == "Log handler functionality is deprecated"
        assert new.flags[key].deprecated is None


@pytest.mark.parametrize(
    ("component", "flag"),
    [
        # what the profile's previous pinned line (1.35) lacked and 1.36 added: both modern versions have them now
        ("kube-apiserver", "tls-curve-preferences"),
        ("kube-controller-manager", "tls-curve-preferences"),
        ("kube-controller-manager", "concurrent-resourceclaim-syncs"),
        ("kube-scheduler", "tls-curve-preferences"),
    ],
)
def test_the_flags_1_36_added_are_in_both_modern_versions(component: str, flag: str) -> None:
    for version in MODERN_VERSIONS:
        assert flagset(component, version).lookup(flag) is not None


@pytest.mark.parametrize(
    ("component", "flag", "value"),
    [
        ("kube-controller-manager", "concurrent-disruption-syncs", 5),
    ],
)
def test_a_flag_1_37_added_is_refused_by_1_36_and_accepted_by_1_37(component: str, flag: str, value: Any) -> None:
    assert check_flags(component, "modern", {flag: value}).ok
    assert check_flags(component, "modern@v1.37.2", {flag: value}).ok
    [error] = check_flags(component, "modern@v1.36.3", {flag: value}).errors
    assert error.startswith(f"{component} v1.36.3 has no flag --{flag}")
    with pytest.raises(KubeArgsError, match=f"unknown flag: --{flag}"):
        parse_args(component, "v1.36.3", [f"--{flag}={value}"])


@pytest.mark.parametrize(
    ("component", "flag", "value"),
    [
        ("kube-controller-manager", "concurrent-service-syncs", 1),
        ("kubelet", "global-housekeeping-interval", "1m0s"),
        ("kubelet", "storage-driver-db", "cadvisor"),
        ("kube-proxy", "machine-id-file", "/etc/machine-id"),
    ],
)
def test_a_flag_1_37_removed_is_accepted_by_1_36_and_refused_by_1_37(component: str, flag: str, value: Any) -> None:
    assert check_flags(component, "modern@v1.36.3", {flag: value}).ok
    [error] = check_flags(component, "modern", {flag: value}).errors
    assert error.startswith(f"{component} v1.37.2 has no flag --{flag}")
    assert parse_args(component, "v1.36.3", [f"--{flag}={value}"]) == {flag: str(value)}
    with pytest.raises(KubeArgsError, match=f"unknown flag: --{flag}"):
        parse_args(component, "v1.37.2", [f"--{flag}={value}"])


def test_the_kube_flags_filter_checks_against_the_referenced_version() -> None:
    kube_flags = FilterModule().filters()["kube_flags"]
    assert kube_flags({"concurrent-disruption-syncs": 5}, "kube-controller-manager", "modern") == [
        "--concurrent-disruption-syncs=5"]
    with pytest.raises(AnsibleFilterError,
                       match=r"kube-controller-manager v1\.36\.3 has no flag --concurrent-disruption-syncs"):
        kube_flags({"concurrent-disruption-syncs": 5}, "kube-controller-manager", "modern@v1.36.3")
    with pytest.raises(AnsibleFilterError, match=r"v1\.34\.2 is not pinned in profile modern"):
        kube_flags({"secure-port": 6443}, "kube-apiserver", "modern@v1.34.2")


def test_a_reference_to_an_unpinned_version_is_refused_when_checking() -> None:
    with pytest.raises(KubeProfileError, match=r"pinned versions: v1\.36\.3, v1\.37\.2"):
        check_flags("kube-apiserver", "modern@v1.34.2", {"secure-port": 6443})


@pytest.mark.parametrize(
    ("component", "flag"),
    [
        ("kube-controller-manager", "master"),
        ("kube-scheduler", "master"),
        ("kube-proxy", "master"),
        ("kubelet", "hostname-override"),
        ("kubelet", "config"),
        ("kube-apiserver", "etcd-servers"),
    ],
)
def test_seed_flags_that_modern_still_has(component: str, flag: str) -> None:
    assert flagset(component, MODERN_VERSION).lookup(flag) is not None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("apiserver", "kube-apiserver"),
        ("proxy", "kube-proxy"),
        ("kubelet", "kubelet"),
        ("kube-scheduler", "kube-scheduler"),
    ],
)
def test_component_names_accept_hyperkube_subcommands(given: str, expected: str) -> None:
    assert component_name(given) == expected


@pytest.mark.parametrize(
    ("version", "line"),
    [("v1.37.2", "1.37"), ("1.37", "1.37"), ("v1.36.3", "1.36"), ("v1.36.0", "1.36"), ("v1.1.8", "1.1"),
     ("1.1.3", "1.1")],
)
def test_release_line(version: str, line: str) -> None:
    assert release_line(version) == line


@pytest.mark.parametrize(("version", "pinned"), [("v1.36.0", "v1.36.3"), ("1.36", "v1.36.3"), ("v1.37.5", "v1.37.2")])
def test_a_patch_release_has_the_flags_of_its_line_s_pinned_version(version: str, pinned: str) -> None:
    assert flagset("kube-apiserver", version).version == pinned


@pytest.mark.parametrize(
    ("component", "version"),
    [
        ("kube-dns", MODERN_VERSION),
        ("kubelet", "v1.32.0"),
        ("kubelet", "v1.35.4"),  # the line the modern profile pinned before 1.36 and 1.37
        ("kubelet", "v1.38.0"),
        ("kubelet", "x"),
    ],
)
def test_unknown_component_or_version_is_refused_with_the_known_ones(component: str, version: str) -> None:
    with pytest.raises(KubeFlagsetError, match="known"):
        flagset(component, version)


def test_underscores_and_dashes_name_the_same_flag() -> None:
    proxy = flagset("kube-proxy", MODERN_VERSION)
    assert proxy.lookup("log_flush_frequency") is proxy.lookup("log-flush-frequency") is not None
    assert flagset("kube-controller-manager", SEED_VERSION).lookup("concurrent-rc-syncs") is not None


# --- rendering -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"allow-privileged": True}, ["--allow-privileged=true"]),
        ({"allow-privileged": False}, ["--allow-privileged=false"]),
        ({"secure-port": 6443}, ["--secure-port=6443"]),
        ({"goaway-chance": 0.001}, ["--goaway-chance=0.001"]),
        ({"etcd-servers": ["https://a:2379", "https://b:2379"]}, ["--etcd-servers=https://a:2379,https://b:2379"]),
        ({"etcd-servers": ("https://a:2379",)}, ["--etcd-servers=https://a:2379"]),
        ({"feature-gates": {"B": False, "A": True}}, ["--feature-gates=A=true,B=false"]),
        ({"node-labels": {"zone": "a", "role": "x"}}, ["--node-labels=role=x,zone=a"]),
        ({"admission-control-config-file": None}, []),
        ({"--v": 2, "-h": True, "bind-address": "0.0.0.0"}, ["--bind-address=0.0.0.0", "--h=true", "--v=2"]),
        ({"b": 1, "a": 2, "c": None}, ["--a=2", "--b=1"]),
        ({"tls-cipher-suites": []}, ["--tls-cipher-suites="]),
    ],
)
def test_render_flags(flags: dict[str, Any], expected: list[str]) -> None:
    assert render_flags(flags) == expected


def test_render_is_stable_whatever_the_input_order() -> None:
    forward = {"v": 2, "secure-port": 6443, "etcd-servers": ["a"], "anonymous-auth": False}
    backward = dict(reversed(list(forward.items())))
    assert render_flags(forward) == render_flags(backward) == sorted(render_flags(forward))


@pytest.mark.parametrize(("name", "bare"), [("--secure-port", "secure-port"), ("-v", "v"), ("log_dir", "log_dir")])
def test_flag_names_lose_their_dashes(name: str, bare: str) -> None:
    assert flag_name(name) == bare


@pytest.mark.parametrize("name", ["", "--", "-", "a=b", "--a=b", "a b", "tab\tname", "---x", 6443])
def test_bad_flag_names_are_refused(name: Any) -> None:
    with pytest.raises(KubeFlagsError):
        render_flags({name: "x"})


def test_the_same_flag_twice_is_refused() -> None:
    with pytest.raises(KubeFlagsError, match="twice"):
        render_flags({"v": 2, "--v": 3})


@pytest.mark.parametrize("value", [{"a": [1]}, [{"a": 1}], object(), {1, 2}, [None]])
def test_values_without_a_command_line_form_are_refused(value: Any) -> None:
    with pytest.raises(KubeFlagsError, match="--x"):
        render_flags({"x": value})


def test_render_value_lowercases_booleans_inside_maps_and_lists() -> None:
    assert render_value({"A": True}) == "A=true"
    assert render_value([True, False]) == "true,false"


# --- checking ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("component", "flags"), sorted(SEED_COMMANDS.items()))
def test_every_seed_flag_is_accepted_on_seed(component: str, flags: dict[str, Any]) -> None:
    result = check_flags(component, "seed", flags)
    assert result.errors == []
    assert result.ok


@pytest.mark.parametrize(
    ("component", "flag", "value", "message"),
    [
        ("kube-apiserver", "portal-net", "10.0.0.1/24", "(removed; use --service-cluster-ip-range)"),
        ("kube-apiserver", "address", "127.0.0.1", "(removed in 1.24; use --bind-address)"),
        ("kube-apiserver", "insecure-bind-address", "127.0.0.1", "(removed in 1.24; use --bind-address)"),
        ("kube-apiserver", "insecure-port", 8080, "(removed in 1.24; use --secure-port)"),
        ("kube-apiserver", "port", 8080, "(removed in 1.24; use --secure-port)"),
        ("kube-apiserver", "cluster-name", "kubernetes", "(removed): kube-apiserver takes no cluster name"),
        ("kubelet", "containerized", True, "(removed in 1.16)"),
        ("kubelet", "api-servers", "http://localhost:8080", "(removed in 1.8; use --kubeconfig)"),
        ("kube-controller-manager", "port", 10252, "(removed in 1.24; use --secure-port)"),
        ("kube-scheduler", "address", "127.0.0.1", "(removed; use --bind-address)"),
        ("kube-proxy", "healthz-port", 10249, "(removed; use --healthz-bind-address)"),
    ],
)
def test_removed_seed_flags_are_refused_on_modern_with_their_replacement(
    component: str, flag: str, value: Any, message: str
) -> None:
    [error] = check_flags(component, "modern", {flag: value}).errors
    assert error.startswith(f"{component} {MODERN_VERSION} has no flag --{flag} {message}")


def test_removed_flag_message_names_flag_component_and_version() -> None:
    [error] = check_flags("kube-apiserver", MODERN_VERSION, {"--portal-net": "10.0.0.1/24"}).errors
    assert error.startswith("kube-apiserver v1.37.2 has no flag --portal-net (removed; use --service-cluster-ip-range)")


@pytest.mark.parametrize(("component", "flags"), sorted(SEED_COMMANDS.items()))
def test_the_seed_commands_on_modern_fail_only_on_removed_flags(component: str, flags: dict[str, Any]) -> None:
    result = check_flags(component, "modern", flags)
    refused = {error.split(" has no flag --", 1)[1].split(" ", 1)[0] for error in result.errors}
    assert refused == {name for name in flags if (component, name) in REMOVED_FLAGS}


def test_kubelet_config_pointing_at_a_manifest_directory_warns_on_modern() -> None:
    result = check_flags("kubelet", "modern", {"config": "/etc/kubernetes/manifests"})
    assert result.errors == []
    assert any("staticPodPath" in warning for warning in result.warnings)
    assert check_flags("kubelet", "modern", {"config": "/var/lib/kubelet/config.yaml"}).warnings == []


@pytest.mark.parametrize(
    ("component", "profile", "flag", "value", "expected"),
    [
        ("kubelet", "modern", "pod-manifest-path", "/etc/kubernetes/manifests", "--config flag"),
        ("kube-apiserver", "modern", "admission-control", ["NamespaceLifecycle"], "--enable-admission-plugins"),
        # kube-scheduler's --help lists --kubeconfig under "Deprecated flags" as "DEPRECATED: path to kubeconfig file
        # ... ignored if a config file is specified in --config."
        ("kube-scheduler", "modern", "kubeconfig", "/etc/kubernetes/scheduler.conf", "ignored if a config file"),
        ("kubelet", "modern@v1.36.3", "global-housekeeping-interval", "1m0s", "mistakenly registered with the Kubelet"),
        ("kube-apiserver", "seed", "portal-net", "10.0.0.1/24", "see --service-cluster-ip-range instead"),
        ("kube-apiserver", "seed", "address", "127.0.0.1", "see --insecure-bind-address instead"),
    ],
)
def test_deprecated_flags_warn_with_the_documented_text(
    component: str, profile: str, flag: str, value: Any, expected: str
) -> None:
    result = check_flags(component, profile, {flag: value})
    assert result.errors == []
    [warning] = result.warnings
    assert f"--{flag} is deprecated" in warning
    assert expected in warning


@pytest.mark.parametrize(
    ("component", "profile", "flag", "value"),
    [
        ("kube-apiserver", "modern", "secure-port", "https"),
        ("kube-apiserver", "modern", "secure-port", True),
        ("kube-apiserver", "modern", "secure-port", 1.5),
        ("kube-apiserver", "modern", "secure-port", [6443, 6444]),
        ("kube-apiserver", "modern", "anonymous-auth", "yes"),
        ("kube-apiserver", "modern", "anonymous-auth", 1),
        ("kube-apiserver", "modern", "event-ttl", "10"),
        ("kube-apiserver", "modern", "event-ttl", "1 hour"),
        ("kube-apiserver", "modern", "goaway-chance", "often"),
        ("kube-apiserver", "modern", "tls-curve-preferences", ["x25519"]),
        ("kube-apiserver", "modern", "feature-gates", {"Gate": "maybe"}),
        ("kube-apiserver", "modern", "feature-gates", ["Gate=true"]),
        ("kube-apiserver", "modern", "service-node-port-range", "30000:32767"),
        ("kube-apiserver", "modern", "v", "loud"),
        ("kube-proxy", "modern", "healthz-bind-address", "0.0.0.0"),
        ("kube-proxy", "modern", "metrics-bind-address", "localhost:10249"),
        ("kubelet", "modern", "max-pods", 2**40),
        ("kube-apiserver", "seed", "bind-address", "not-an-ip"),
        ("kube-apiserver", "seed", "portal-net", "10.0.0.0/33"),
        ("kube-apiserver", "seed", "insecure-port", "eighty"),
        ("kubelet", "seed", "containerized", "sure"),
        ("kube-proxy", "seed", "udp-timeout", 250),
    ],
)
def test_values_that_do_not_fit_the_type_are_errors_naming_the_flag(
    component: str, profile: str, flag: str, value: Any
) -> None:
    result = check_flags(component, profile, {flag: value})
    assert len(result.errors) == 1
    assert f"--{flag}=" in result.errors[0]
    assert component in result.errors[0]


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("event-ttl", "1h0m0s"),
        ("event-ttl", "10s"),
        ("event-ttl", "300ms"),
        ("event-ttl", "0"),
        ("event-ttl", "1.5h"),
        ("anonymous-auth", "False"),
        ("anonymous-auth", False),
        ("secure-port", "6443"),
        ("goaway-chance", 0.02),
        ("goaway-chance", "0.001"),
        ("feature-gates", {"Gate": True, "Other": "false"}),
        ("feature-gates", "Gate=true,kube:Other=false"),
        ("service-node-port-range", "30000-32767"),
        ("tls-curve-preferences", [23, 29]),
        ("etcd-servers", ["https://10.0.0.1:2379"]),
        ("v", 2),
    ],
)
def test_values_that_fit_are_accepted(flag: str, value: Any) -> None:
    assert check_flags("kube-apiserver", "modern", {flag: value}).errors == []


def test_a_close_misspelling_gets_a_suggestion() -> None:
    [error] = check_flags("kube-apiserver", "modern", {"secure-prot": 6443}).errors
    assert error == "kube-apiserver v1.37.2 has no flag --secure-prot (did you mean --secure-port?)"


def test_an_unknown_flag_without_a_near_name_is_just_named() -> None:
    [error] = check_flags("kube-controller-manager", "seed", {"secure-port": 10257}).errors
    assert error == "kube-controller-manager v1.1.8 has no flag --secure-port"


@pytest.mark.parametrize("version", ["modern", "modern@v1.37.2", "modern@v1.36.3", "v1.37.2", "1.37", "v1.36.3"])
def test_check_takes_a_profile_reference_or_a_version(version: str) -> None:
    assert check_flags("kube-apiserver", version, {"portal-net": "10.0.0.0/24"}).errors
    assert check_flags("kube-apiserver", version, {"secure-port": 6443}).ok


def test_the_kubelet_config_meaning_warning_holds_for_both_modern_versions() -> None:
    for reference in ("modern", "modern@v1.36.3"):
        [warning] = check_flags("kubelet", reference, {"config": "/etc/kubernetes/manifests/"}).warnings
        assert "looks like a directory" in warning and "KubeletConfiguration" in warning


def test_check_skips_none_and_reports_every_error_at_once() -> None:
    result = check_flags("kube-apiserver", "modern", {"portal-net": "x", "insecure-port": 8080, "v": None})
    assert len(result.errors) == 2


def test_check_reports_bad_names_instead_of_raising() -> None:
    assert check_flags("kube-apiserver", "modern", {"a=b": 1}).errors


# --- parsing -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--x"], "unknown flag: --x"),
        (["--x=1"], "unknown flag: --x"),
        (["--secure-port=6443", "--portal-net", "10.0.0.0/24"], "unknown flag: --portal-net"),
        (["--insecure-port=0"], "unknown flag: --insecure-port"),
        (["-x"], "unknown shorthand flag: 'x' in -x"),
        (["--secure-port"], "flag needs an argument: --secure-port"),
        (["-v"], "flag needs an argument: 'v' in -v"),
        (["--secure-port=abc"], 'invalid argument "abc" for "--secure-port" flag: not an integer'),
        (["---x"], "bad flag syntax: ---x"),
        (["--=x"], "bad flag syntax: --=x"),
        (["serve"], '"kube-apiserver" does not take any arguments, got ["serve"]'),
    ],
)
def test_parse_refuses_like_the_binary(argv: list[str], message: str) -> None:
    with pytest.raises(KubeArgsError) as raised:
        parse_args("kube-apiserver", MODERN_VERSION, argv)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--secure-port=6443"], {"secure-port": "6443"}),
        (["--secure-port", "6443"], {"secure-port": "6443"}),
        (["--allow-privileged"], {"allow-privileged": "true"}),
        (["--allow-privileged=false"], {"allow-privileged": "false"}),
        (["--allow-privileged=False"], {"allow-privileged": "false"}),
        (["--version"], {"version": "true"}),
        (["-v", "4"], {"v": "4"}),
        (["-v=4"], {"v": "4"}),
        (["-v4"], {"v": "4"}),
        (["-h"], {"help": "true"}),
        (["--etcd-servers=a", "--etcd-servers", "b"], {"etcd-servers": "a,b"}),
        (["--secure-port=1", "--secure-port=2"], {"secure-port": "2"}),
        (["--audit-log-path", "-"], {"audit-log-path": "-"}),  # a value may start with a dash ("-": stdout)
        (["--secure-port=6443", "--", "ignored?"], None),
    ],
)
def test_parse_accepts_the_pflag_forms(argv: list[str], expected: dict[str, str] | None) -> None:
    if expected is None:
        with pytest.raises(KubeArgsError, match="does not take any arguments"):
            parse_args("kube-apiserver", "modern", argv)
    else:
        assert parse_args("kube-apiserver", "modern", argv) == expected


def test_a_bare_bool_does_not_swallow_the_next_argument() -> None:
    assert parse_args("kubelet", "seed", ["--containerized", "--v=2"]) == {"containerized": "true", "v": "2"}


@pytest.mark.parametrize(("subcommand", "argv"), sorted(SEED_ARGV.items()))
def test_the_seed_command_lines_parse_on_seed(subcommand: str, argv: list[str]) -> None:
    parsed = parse_args(subcommand, "seed", argv)
    assert set(parsed) == {arg[2:].split("=", 1)[0] for arg in argv}


def test_the_seed_kubelet_on_modern_fails_on_its_first_removed_flag() -> None:
    with pytest.raises(KubeArgsError) as raised:
        parse_args("kubelet", MODERN_VERSION, SEED_ARGV["kubelet"])
    assert str(raised.value) == "unknown flag: --containerized"


def test_parse_normalises_underscores_and_seed_ignores_positional_arguments() -> None:
    assert parse_args("kube-proxy", "modern", ["--log_flush_frequency=5s"]) == {"log-flush-frequency": "5s"}
    assert parse_args("proxy", "seed", ["--log_dir", "/var/log", "extra"]) == {"log-dir": "/var/log"}


# --- the kube_flags filter -----------------------------------------------------------------------------------------
def test_kube_flags_filter_renders_checked_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(kube_filter.display, "warning", warnings.append)
    kube_flags = FilterModule().filters()["kube_flags"]
    rendered = kube_flags({"master": "127.0.0.1:8080", "v": 2}, "scheduler", "seed")
    assert rendered == ["--master=127.0.0.1:8080", "--v=2"]
    assert warnings == []
    kube_flags({"pod-manifest-path": "/etc/kubernetes/manifests"}, "kubelet")
    assert len(warnings) == 1 and "--pod-manifest-path is deprecated" in warnings[0]


def test_kube_flags_filter_reports_all_errors_at_once() -> None:
    kube_flags = FilterModule().filters()["kube_flags"]
    with pytest.raises(AnsibleFilterError) as raised:
        kube_flags(SEED_COMMANDS["kube-apiserver"], "kube-apiserver", "modern")
    message = str(raised.value)
    assert "--portal-net" in message and "--address" in message and "--cluster-name" in message


@pytest.mark.parametrize(
    ("flags", "component", "profile"), [({"v": 2}, "kube-dns", "modern"), ({"v": 2}, "kubelet", "old")]
)
def test_kube_flags_filter_turns_model_errors_into_filter_errors(
    flags: dict[str, Any], component: str, profile: str
) -> None:
    with pytest.raises(AnsibleFilterError, match="known"):
        FilterModule().filters()["kube_flags"](flags, component, profile)

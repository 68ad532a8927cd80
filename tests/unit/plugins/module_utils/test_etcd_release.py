"""The etcd releases: each profile's default, kubeadm's pin followed, and every version change etcd's upgrade policy
does not allow refused before anything changes, naming the variable."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.etcd import FilterModule
from ansible_collections.curtain.kube.plugins.module_utils import etcd_release, kube_flagsets
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import (
    DEFAULTS,
    PINNED,
    UPGRADE_MINIMUM,
    EtcdReleaseError,
    binary_version,
    release_plan,
    upgrade_path,
)

KUBEADM_CONSTANTS = "cmd/kubeadm/app/constants/constants.go"


def test_the_modern_default_is_the_newest_patch_of_the_minor_kubeadm_pins() -> None:
    assert etcd_release.MODERN_KUBERNETES == kube_flagsets.MODERN_VERSION
    assert DEFAULTS["modern"] == "3.7.4"  # kubeadm v1.37.2: DefaultEtcdVersion = "3.7.0-0"
    assert etcd_release.for_kubernetes("v1.36.3") == "3.6.17"  # kubeadm v1.36.3: "3.6.8-0"
    assert set(etcd_release.KUBEADM_ETCD) == {kube_flagsets.MODERN_VERSION, kube_flagsets.MODERN_PREVIOUS_VERSION}


def test_the_kubeadm_pins_are_what_the_kubeadm_source_says() -> None:
    """Read from the Kubernetes modules the build step downloaded; without them there is nothing to compare with."""
    modules = go_module_cache() / "k8s.io"
    for version, pinned in etcd_release.KUBEADM_ETCD.items():
        source = modules / f"kubernetes@{version}" / KUBEADM_CONSTANTS
        if not source.exists():
            pytest.fail(f"{source} is missing: run scripts/build_components.py (make test does) first")
        assert re.search(r'DefaultEtcdVersion = "([^"]+)"', source.read_text()).group(1) == pinned


def go_module_cache() -> Path:
    return Path(os.environ.get("CURTAIN_CACHE_DIR", "/var/cache/curtain-dev")) / "go" / "mod"


def test_the_seed_runs_the_newest_3_5_which_still_has_the_v2_api() -> None:
    assert DEFAULTS["seed"] == "3.5.36" == etcd_release.newest_patch((3, 5))
    etcd_release.check_enable_v2("3.5.36", True)
    # 3.5.0 to 3.5.2 are the releases etcd advises against: none is pinned.
    assert not any(re.fullmatch(r"3\.5\.[012]", version) for version in PINNED)


def test_each_pinned_patch_is_one_the_next_minor_may_be_upgraded_from() -> None:
    for minor, minimum in UPGRADE_MINIMUM.items():
        previous = etcd_release.newest_patch((minor[0], minor[1] - 1))
        assert etcd_release.parse(previous) >= etcd_release.parse(minimum)


@pytest.mark.parametrize(
    ("running", "target", "path"),
    [
        (["3.7.4", "3.7.4", "3.7.4"], "3.7.4", []),
        ([], "3.7.4", []),  # nothing runs yet: a new cluster starts at the target
        (["3.5.1"], "3.5.36", ["3.5.36"]),  # a patch upgrade
        (["3.5.36"], "3.6.17", ["3.6.17"]),  # one minor, from its newest patch
        (["3.5.1"], "3.6.17", ["3.5.36", "3.6.17"]),  # the newest patch first
        (["3.5.1", "3.5.1", "3.5.1"], "3.7.4", ["3.5.36", "3.6.17", "3.7.4"]),
        (["3.6.17", "3.7.4", "3.6.17"], "3.7.4", ["3.7.4"]),  # a half-done upgrade goes on
        (["3.5.40"], "3.6.17", ["3.6.17"]),  # a newer 3.5 than curtain's is upgraded from as it is
    ],
)
def test_the_upgrade_path_follows_etcds_policy(running: list[str], target: str, path: list[str]) -> None:
    assert upgrade_path(running, target) == path


@pytest.mark.parametrize(
    ("running", "target", "message"),
    [
        (["3.7.4"], "3.6.17", "a downgrade is refused"),
        (["3.6.17", "3.7.4"], "3.6.17", "older than the 3.7.4 a member runs"),
        (["3.5.36"], "3.5.1", "3.5.1 is kept only to manage clusters that run it; the members run 3.5.36"),
        (["3.5.1"], "3.5.2", "3.5.2 is not a release curtain pins"),
        (["3.5.36"], "3.6.17", "etcd_enable_v2: etcd 3.6.17 has no v2 API"),
        (["3.5.36"], "3.8.0", "3.8.0 is not a release curtain pins"),
        (["2.3.8"], "3.5.36", "another major version"),
        (["3.4.30"], "3.5.36", "passes through 3.4, of which curtain pins no release"),
        (["3.5.20"], "3.6.17", "needs every member on 3.5.32 or later first"),
        (["3.5"], "3.7.4", "running etcd version: '3.5' is not an etcd version"),
    ],
)
def test_refused_version_changes_say_why(running: list[str], target: str, message: str, monkeypatch) -> None:
    if "3.5.32 or later" in message:  # only a path through an older 3.5 than the minimum: pin one to see it refused
        monkeypatch.setattr(etcd_release, "PINNED", ("3.5.30", "3.6.17", "3.7.4"))
    with pytest.raises(EtcdReleaseError, match=re.escape(message)):
        upgrade_path(running, target, enable_v2="v2 API" in message)


def test_the_role_gets_the_profiles_release_and_its_image() -> None:
    assert release_plan("", "modern", False) == {
        "version": "3.7.4", "image": "curtain/etcd:3.7.4", "path": [], "warnings": []}
    assert release_plan("", "seed", True)["image"] == "curtain/etcd:3.5.36"
    assert release_plan("v3.6.17", "modern", False, ["3.5.36"] * 3, "registry.example/etcd") == {
        "version": "3.6.17", "image": "registry.example/etcd:3.6.17", "path": ["3.6.17"], "warnings": []}


def test_the_release_earlier_curtain_ran_is_still_managed_with_a_warning_to_upgrade() -> None:
    for running in ([], ["3.5.1"] * 3):
        plan = release_plan("3.5.1", "seed", True, running)
        assert plan["version"] == "3.5.1" and plan["path"] == []
        assert plan["warnings"] == [
            "etcd 3.5.1 is a release etcd advises against in production (3.5.0 to 3.5.2 can serve inconsistent data "
            "under load, fixed in 3.5.3: etcd's README). Upgrade it: ansible-playbook playbooks/etcd_upgrade.yml "
            "-e etcd_upgrade_version=3.5.36"]


def test_the_role_refuses_a_path_longer_than_one_rolling_upgrade() -> None:
    refusal = (r"the members run 3\.5\.1; reaching 3\.7\.4 takes 3\.5\.36 -> 3\.6\.17 -> 3\.7\.4.*"
               r"etcd_upgrade\.yml -e etcd_upgrade_version=3\.7\.4")
    with pytest.raises(EtcdReleaseError, match=refusal):
        release_plan("", "modern", False, ["3.5.1", "3.5.1", "3.5.1"])


@pytest.mark.parametrize(
    ("version", "profile", "enable_v2", "message"),
    [
        ("3.6.17", "seed", True, "etcd_enable_v2: etcd 3.6.17 has no v2 API"),
        ("", "modern", True, "etcd_enable_v2: etcd 3.7.4 has no v2 API"),
        ("3.5.2", "seed", True, "etcd_version: 3.5.2 is not a release curtain pins; choose one of 3.5.36, 3.6.17"),
        ("latest", "modern", False, "etcd_version: 'latest' is not an etcd version like 3.7.4"),
        ("", "classic", False, "etcd_profile: 'classic' is not one of modern, seed"),
    ],
)
def test_bad_input_is_refused_naming_the_variable(version: str, profile: str, enable_v2: bool, message: str) -> None:
    with pytest.raises(EtcdReleaseError, match=re.escape(message)):
        release_plan(version, profile, enable_v2)


def test_the_upgrade_filter_resumes_an_interrupted_upgrade_from_the_oldest_member() -> None:
    upgrade_plan = FilterModule().filters()["etcd_upgrade_plan"]
    # Members that did not answer give no version; the snapshot is taken with the newest release running.
    assert upgrade_plan("3.7.4", ["3.6.17", "3.7.4", "", "3.6.17"]) == {
        "from": "3.6.17", "current": "3.7.4", "path": ["3.7.4"]}
    assert upgrade_plan("3.6.17", ["3.5.1", "3.5.36"]) == {
        "from": "3.5.1", "current": "3.5.36", "path": ["3.5.36", "3.6.17"]}
    with pytest.raises(AnsibleFilterError, match=re.escape("etcd_upgrade_version: 3.6.17 is older than the 3.7.4")):
        upgrade_plan("3.6.17", ["3.7.4"])


def test_the_release_filter_keeps_an_image_the_inventory_names() -> None:
    release_filter = FilterModule().filters()["etcd_release_plan"]
    assert release_filter("", "modern", image="registry.example/etcd")["image"] == "registry.example/etcd"
    assert release_filter("", "modern", running=["", "3.7.4"])["image"] == "curtain/etcd:3.7.4"


def test_the_filters_take_the_release_each_member_s_look_found() -> None:
    """"" is a member whose release is unknown (no container runs, or it could not run `etcd --version`)."""
    filters = FilterModule().filters()
    assert filters["etcd_upgrade_plan"]("3.7.4", ["", "3.6.17", "", "3.7.4"]) == {
        "from": "3.6.17", "current": "3.7.4", "path": ["3.7.4"]}
    with pytest.raises(AnsibleFilterError, match=re.escape("3.6.17 is older than the 3.7.4")):
        filters["etcd_release_plan"]("3.6.17", "modern", running=["", "3.7.4"])


def test_the_binary_version_is_read_from_etcd_version_output() -> None:
    assert binary_version("etcd Version: 3.5.1\nGit SHA: e8732fb5f\nGo Version: go1.16.3\n") == "3.5.1"
    assert binary_version("") == binary_version("exec failed: no such file") == ""

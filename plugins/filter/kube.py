# Copyright: curtain contributors
# Apache License 2.0
"""Filters that expose the Kubernetes profiles and flag sets (module_utils/kube_profiles.py, kube_flags.py) to YAML.

A profile argument is a profile reference: `modern` (its default version), `modern@v1.36.3` (a pinned version),
`seed`.

kube_flags(flags, component, profile='modern') -> ["--name=value", ...], checked against the profile's release
kube_profile(reference='modern') -> {name, version, versions, reference, images, artifacts, ports, features, ...}
kube_feature_errors(profile, requested) -> [str], one message per requested feature the profile's release lacks
'modern' | kube_upgrade_step(current_version, target_version) -> "none" | "upgrade"; an error for any other step
    (a version the profile does not pin, a downgrade, a skipped minor version, a profile with no upgrade path)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_flags import check_flags, render_flags
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    DEFAULT_PROFILE,
    check_features,
    get_profile,
    upgrade_step,
)

display = Display()


@_filter_errors
def kube_flags(flags: Mapping[str, Any], component: str, profile: str = DEFAULT_PROFILE) -> list[str]:
    """The rendered command line of `component`; every flag is checked against the release of `profile` first.

    All errors are reported at once; deprecated flags only warn (the binaries still accept them).
    """
    result = check_flags(component, profile, flags)
    for warning in result.warnings:
        display.warning(warning)
    if result.errors:
        raise AnsibleFilterError("; ".join(result.errors))
    return render_flags(flags)


@_filter_errors
def kube_profile(name: str = DEFAULT_PROFILE) -> dict[str, Any]:
    return get_profile(name).to_dict()


@_filter_errors
def kube_feature_errors(profile: str, requested: Mapping[str, Any]) -> list[str]:
    return check_features(profile, requested)


@_filter_errors
def kube_upgrade_step(profile: str, current_version: str, target_version: str) -> str:
    """What upgrading a cluster of `profile` from `current_version` to `target_version` takes: "none" or "upgrade".

    Refused (as the filter's error): a version the profile does not pin, a downgrade, a step of more than one minor
    version, a profile that pins a single version.
    """
    return upgrade_step(profile, current_version, target_version)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_flags": kube_flags,
            "kube_profile": kube_profile,
            "kube_feature_errors": kube_feature_errors,
            "kube_upgrade_step": kube_upgrade_step,
        }

# Copyright: curtain contributors
# Apache License 2.0
"""Filters that expose the Kubernetes profiles and flag sets (module_utils/kube_profiles.py, kube_flags.py) to YAML.

kube_flags(flags, component, profile='modern') -> ["--name=value", ...], checked against the profile's release
kube_profile(name='modern') -> {name, version, images, artifacts, ports, features, sources, ...}
kube_feature_errors(profile, requested) -> [str], one message per requested feature the profile's release lacks
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


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_flags": kube_flags,
            "kube_profile": kube_profile,
            "kube_feature_errors": kube_feature_errors,
        }

# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/artifacts.py: where each image comes from, and whether a host has it already.

artifact_plans(wanted, specs, variable, manifests) -> one plan per distinct image
artifact_missing(plans, images) -> the plans whose image the host lacks (images: docker_image_info's list, or a
                                   host survey's images)
artifact_file_problems(expected, stats) -> what is missing or damaged among the controller files the plans use
artifact_bundle_plan(wanted, sources) -> what playbooks/offline_bundle.yml fetches
artifact_bundle_manifest(plan, profile, export, tarball) -> the bundle's manifest.json
artifact_tarballs(plans) -> the distinct tarballs the plans load ({path, sha256}), each once
kube_wanted_images(profile, components, overrides) -> {component: {repository, tag}} from a Kubernetes profile
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.artifacts import (
    bundle_manifest,
    bundle_plan,
    missing_images,
    plan_images,
    wanted_images,
)
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import get_profile


@_filter_errors
def artifact_plans(
    wanted: dict[str, dict[str, str]], specs: dict[str, Any], variable: str, manifests: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    return plan_images(dict(wanted), dict(specs or {}), variable=variable, manifests=dict(manifests or {}))


def artifact_tarballs(plans: list[dict[str, Any]]) -> list[dict[str, str]]:
    tarballs = {plan["tarball"]: plan["tarball_sha256"] for plan in plans if plan.get("tarball")}
    return [{"path": path, "sha256": sha256} for path, sha256 in tarballs.items()]


def artifact_controller_files(plans: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The files on the controller that the plans install from, with the sha256 each must have."""
    files = artifact_tarballs(plans)
    files += [
        {"path": binary["path"], "sha256": binary["sha256"]}
        for plan in plans
        for binary in plan.get("binaries") or []
        if binary.get("path")
    ]
    return files


def artifact_file_problems(stats: list[dict[str, Any]]) -> list[str]:
    """From stat results looped over artifact_controller_files (each result's `item` is the expected file)."""
    problems = []
    for result in stats:
        expected = result["item"]
        stat = result.get("stat") or {}
        if not stat.get("exists"):
            problems.append(f"{expected['path']} is missing")
        elif stat.get("checksum") != expected["sha256"]:
            problems.append(
                f"{expected['path']} has sha256 {stat.get('checksum')}, the manifest says {expected['sha256']}"
            )
    return problems


@_filter_errors
def artifact_bundle_plan(wanted: dict[str, dict[str, str]], sources: dict[str, Any] | None = None) -> dict:
    return bundle_plan(dict(wanted), dict(sources or {}))


@_filter_errors
def artifact_bundle_manifest(
    plan: dict[str, Any], profile: str, export: dict[str, Any], tarball: dict[str, Any]
) -> dict[str, Any]:
    return bundle_manifest(plan, profile, get_profile(profile).version, dict(export or {}), dict(tarball or {}))


@_filter_errors
def kube_wanted_images(
    profile: str, components: list[str], overrides: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, str]]:
    """{component: {repository, tag}} (module_utils/artifacts.wanted_images)."""
    return wanted_images(profile, list(components), dict(overrides or {}))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "artifact_plans": artifact_plans,
            "artifact_missing": missing_images,
            "artifact_tarballs": artifact_tarballs,
            "artifact_controller_files": artifact_controller_files,
            "artifact_file_problems": artifact_file_problems,
            "artifact_bundle_plan": artifact_bundle_plan,
            "artifact_bundle_manifest": artifact_bundle_manifest,
            "kube_wanted_images": kube_wanted_images,
        }

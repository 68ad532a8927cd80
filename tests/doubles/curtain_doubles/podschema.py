"""The official v1 Pod JSON schema, as the kubernetes-validate package carries it, for the kubelet double.

kubernetes-validate carries schemas for a range of Kubernetes releases (1.37.0 carries 1.25 to 1.37). The double
uses the schema of its own release line when carried, else the nearest one: the nearest older release, or the oldest
carried when the release is older than all of them (so 1.1 gets the 1.25 one). tests/doubles/build keeps only the
schema directory the double uses, so the image stays small.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kube_flagsets import SEED_VERSION

VERSIONS = (SEED_VERSION,)  # every version a double is built for


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split(".")[:2])


def nearest(version: str, carried: Iterable[str]) -> str:
    """The carried schema version for `version`: same release line, else nearest older, else the oldest."""
    ordered = sorted(set(carried), key=_key)
    if not ordered:
        raise ValueError("kubernetes-validate carries no schemas")
    older_or_same = [candidate for candidate in ordered if _key(candidate) <= _key(version)]
    return older_or_same[-1] if older_or_same else ordered[0]


def carried() -> list[str]:
    from kubernetes_validate.utils import all_versions  # imported late: only the kubelet double needs it

    return list(all_versions())


def schema_for(version: str) -> str:
    return nearest(version, carried())


def validate_pod(pod: dict[str, Any], schema_version: str) -> str | None:
    """Why `pod` does not validate against the v1 Pod schema of `schema_version`, or None when it does."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(pod, schema_version, strict=False)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path) or "(root)"
        return f"{where}: {error.message}"
    except kubernetes_validate.SchemaNotFoundError as error:
        return str(error.message)
    return None

"""Component configuration files (KubeletConfiguration, KubeProxyConfiguration, ...), read as the components do.

Only what the doubles use or must refuse is checked: the file parses as YAML or JSON, and its apiVersion and kind
are ones the release knows. Paths inside a KubeletConfiguration are relative to the file, as the kubelet reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from curtain_doubles.pemfiles import FileProblem, one_line, read_bytes


@dataclass(frozen=True)
class ConfigKind:
    kind: str
    group: str
    versions: tuple[str, ...]  # empty: any version of the group (kinds the doubles only parse)


KUBELET_CONFIGURATION = ConfigKind("KubeletConfiguration", "kubelet.config.k8s.io", ("v1beta1",))
KUBE_PROXY_CONFIGURATION = ConfigKind("KubeProxyConfiguration", "kubeproxy.config.k8s.io", ("v1alpha1",))
KUBE_SCHEDULER_CONFIGURATION = ConfigKind("KubeSchedulerConfiguration", "kubescheduler.config.k8s.io", ("v1",))
AUDIT_POLICY = ConfigKind("Policy", "audit.k8s.io", ("v1",))


def load_document(path: str) -> Any:
    """A YAML or JSON file as data (JSON is YAML); FileProblem when it cannot be read or parsed."""
    data = read_bytes(path)
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise FileProblem(f"error converting YAML to JSON: yaml: {one_line(error)}") from None


def load_object(path: str, expected: ConfigKind) -> dict[str, Any]:
    document = load_document(path)
    if not isinstance(document, Mapping):
        raise FileProblem(f"Object 'Kind' is missing in '{path}'")
    api_version, kind = str(document.get("apiVersion") or ""), str(document.get("kind") or "")
    if not kind:
        raise FileProblem(f"Object 'Kind' is missing in '{path}'")
    group, _, version = api_version.rpartition("/")
    if kind != expected.kind or group != expected.group or (expected.versions and version not in expected.versions):
        wanted = ", ".join(f"{expected.group}/{v}" for v in expected.versions) or f"{expected.group}/*"
        raise FileProblem(
            f'no kind "{kind}" is registered for version "{api_version}" (expected kind "{expected.kind}" in {wanted})'
        )
    return dict(document)


def load_audit_policy(path: str) -> dict[str, Any]:
    policy = load_object(path, AUDIT_POLICY)
    if not policy.get("rules"):
        raise FileProblem(f"loaded illegal policy with 0 rules from file {path}")
    return policy


# Paths inside a KubeletConfiguration, as dotted field names; the kubelet resolves them against the file's directory.
KUBELET_PATH_FIELDS = ("staticPodPath", "tlsCertFile", "tlsPrivateKeyFile", "authentication.x509.clientCAFile")


def _lookup(config: Mapping[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def kubelet_path(config: Mapping[str, Any], dotted: str, config_path: str) -> str:
    """A path field of a KubeletConfiguration, absolute ("" when unset)."""
    value = _lookup(config, dotted)
    if not value:
        return ""
    path = Path(str(value))
    return str(path if path.is_absolute() else Path(config_path).resolve().parent / path)


def field(config: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    value = _lookup(config, dotted)
    return default if value is None or value == "" else value

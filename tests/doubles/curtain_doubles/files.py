"""Which flags name files, and the startup checks of those files, for the 1.1 components.

The real binaries read these files before they serve anything and exit with status 1 when one is missing or
unusable, so the doubles do the same. The classification is by flag name, the same for every component, with the
one name whose meaning differs per component (`config`, the 1.1 kubelet's static pod manifests) listed per
component. Every path-like flag of the 1.1 flag sets in kube_flagsets is either classified here or listed in
NOT_CHECKED with the reason (a test keeps both tables complete).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import kube_flagsets

from curtain_doubles import configs, kubeconfig, pemfiles
from curtain_doubles.configs import ConfigKind
from curtain_doubles.pemfiles import FileProblem

# Kinds of file.
KUBECONFIG = "kubeconfig"
CA = "CA bundle"
CERT = "certificate"  # checked together with its partner key flag
KEY = "private key of a certificate"
PUBLIC_KEYS = "public keys"
PRIVATE_KEY = "private key"
CSV = "CSV"
ABAC = "ABAC policy (one JSON object a line)"
CONFIG_OBJECT = "configuration object"
YAML = "YAML"
JSON = "JSON"
READABLE = "readable file"
STATIC_PODS = "static pod manifests (file or directory)"  # a missing path is logged, not fatal


@dataclass(frozen=True)
class FileFlag:
    kind: str
    partner: str = ""  # CERT <-> KEY
    config: ConfigKind | None = None


def _pair(cert: str, key: str) -> dict[str, FileFlag]:
    return {cert: FileFlag(CERT, partner=key), key: FileFlag(KEY, partner=cert)}


def _object(kind: str, group: str) -> FileFlag:
    return FileFlag(CONFIG_OBJECT, config=ConfigKind(kind, group, ()))


FILE_FLAGS: Mapping[str, FileFlag] = {
    "kubeconfig": FileFlag(KUBECONFIG),
    **{
        name: FileFlag(CA)
        for name in ("client-ca-file", "oidc-ca-file", "root-ca-file", "kubelet-certificate-authority")
    },
    **_pair("tls-cert-file", "tls-private-key-file"),
    **_pair("kubelet-client-certificate", "kubelet-client-key"),
    "service-account-key-file": FileFlag(PUBLIC_KEYS),
    "service-account-private-key-file": FileFlag(PRIVATE_KEY),
    "token-auth-file": FileFlag(CSV),
    "basic-auth-file": FileFlag(CSV),
    "authorization-policy-file": FileFlag(ABAC),
    "admission-control-config-file": _object("AdmissionConfiguration", "apiserver.config.k8s.io"),
    "pv-recycler-pod-template-filepath-hostpath": FileFlag(YAML),
    "pv-recycler-pod-template-filepath-nfs": FileFlag(YAML),
    "google-json-key": FileFlag(JSON),
    "policy-config-file": FileFlag(JSON),  # scheduler policy
    "etcd-config": FileFlag(JSON),  # go-etcd client configuration
    "cloud-config": FileFlag(READABLE),
    "resolv-conf": FileFlag(READABLE),  # "" turns it off
    "ssh-keyfile": FileFlag(READABLE),
}

# `config` means a different file per component (kube_flagsets.MEANING_CHANGES); in 1.1 only the kubelet has it.
COMPONENT_FILE_FLAGS: Mapping[tuple[str, str, str], FileFlag] = {
    ("kubelet", "1.1", "config"): FileFlag(STATIC_PODS),
}

# Path-like flags that name no file the binary reads at startup, and why.
NOT_CHECKED: Mapping[str, str] = {
    "log-dir": "written, not read",
    "cert-dir": "created by the component when it writes self-signed certificates there",
    "root-dir": "created by the kubelet",
    "network-plugin-dir": "searched for plugins when a pod needs one",
    "rkt-path": "run only with --container-runtime=rkt",
    "docker-endpoint": "a socket URL, dialled by the kubelet",
    "manifest-url": "a URL",
    "oidc-issuer-url": "a URL",
    "experimental-keystone-url": "a URL",
    "manifest-url-header": "HTTP headers for --manifest-url",
}


def classify(component: str, version: str, name: str) -> FileFlag | None:
    """What file a flag of `component` at `version` (1.1) names, or None when it names none the binary reads."""
    normalized = kube_flagsets.normalize_flag_name(name)
    line = kube_flagsets.release_line(version)
    specific = COMPONENT_FILE_FLAGS.get((kube_flagsets.component_name(component), line, normalized))
    return specific or FILE_FLAGS.get(normalized)


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


Flags = Mapping[str, str]
_Check = Callable[[Flags, str, str, FileFlag, Report], None]


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _check_kubeconfig(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    kubeconfig.load(value, master=flags.get("master", ""))


def _check_cert(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    key = flags.get(spec.partner, "")
    if not key:
        raise FileProblem(f"--{spec.partner} must be given with --{name}")
    cert_data = pemfiles.read_bytes(value)  # a missing certificate is reported under its own flag alone
    try:
        pemfiles.check_pair(cert_data, pemfiles.read_bytes(key))
    except FileProblem as problem:
        raise FileProblem(f"--{spec.partner}={key}: {problem}") from None


def _check_key(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    if not flags.get(spec.partner):
        raise FileProblem(f"--{spec.partner} must be given with --{name}")
    # the pair itself is checked under the certificate flag


def _check_public_keys(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    for path in _items(value):
        try:
            pemfiles.public_keys(pemfiles.read_bytes(path))
        except FileProblem as problem:
            raise FileProblem(f"failed to parse key file {path!r}: {problem}") from None


def _check_private_key(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    pemfiles.private_key(pemfiles.read_bytes(value))


def _check_csv(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    text = pemfiles.read_bytes(value).decode(errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and len(line.split(",")) < 3:
            raise FileProblem(f"line {number}: fewer than 3 fields (token or password, user, uid)")


def _check_abac(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    text = pemfiles.read_bytes(value).decode(errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                json.loads(line)
            except ValueError as error:
                raise FileProblem(f"line {number}: {error}") from None


def _check_object(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    assert spec.config is not None
    configs.load_object(value, spec.config)


def _check_yaml(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    configs.load_document(value)


def _check_json(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    try:
        json.loads(pemfiles.read_bytes(value))
    except ValueError as error:
        raise FileProblem(f"invalid JSON: {error}") from None


def _check_readable(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    pemfiles.read_bytes(value)


def _check_static_pods(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    if not os.path.exists(value):
        report.warnings.append(f"--{name}={value} does not exist (yet); the kubelet keeps watching it")


_CHECKS: Mapping[str, _Check] = {
    KUBECONFIG: _check_kubeconfig,
    CA: lambda flags, name, value, spec, report: pemfiles.check_ca_file(value),
    CERT: _check_cert,
    KEY: _check_key,
    PUBLIC_KEYS: _check_public_keys,
    PRIVATE_KEY: _check_private_key,
    CSV: _check_csv,
    ABAC: _check_abac,
    CONFIG_OBJECT: _check_object,
    YAML: _check_yaml,
    JSON: _check_json,
    READABLE: _check_readable,
    STATIC_PODS: _check_static_pods,
}


def check(component: str, version: str, flags: Flags) -> Report:
    """Every file the given flags name, checked; an error names the flag, its value and the reason."""
    report = Report()
    for name, value in flags.items():
        spec = classify(component, version, name)
        if spec is None or not value:
            continue
        try:
            _CHECKS[spec.kind](flags, name, value, spec, report)
        except FileProblem as problem:
            report.errors.append(f"--{name}={value}: {problem}")
    return report

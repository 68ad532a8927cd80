"""Which flags name files, and the startup checks of those files, for every component and release.

The real binaries read these files before they serve anything and exit with status 1 when one is missing or
unusable, so the doubles do the same. The classification is by flag name, the same for every component, with the
few names whose meaning differs per component or release (`config`) listed per component. Every path-like flag of
every flag set in kube_flagsets is either classified here or listed in NOT_CHECKED with the reason (a test keeps
both tables complete).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import kube_flagsets

from curtain_doubles import configs, kubeconfig, pemfiles
from curtain_doubles.configs import ConfigKind
from curtain_doubles.pemfiles import FileProblem

# Kinds of file.
KUBECONFIG = "kubeconfig"
BOOTSTRAP_KUBECONFIG = "bootstrap kubeconfig"  # read only while the --kubeconfig file does not exist yet
CA = "CA bundle"
CERT = "certificate"  # checked together with its partner key flag
KEY = "private key of a certificate"
SNI = "certificate,key pair list"
PUBLIC_KEYS = "public keys"
PRIVATE_KEY = "private key"
CSV = "CSV"
ABAC = "ABAC policy (one JSON object a line)"
CONFIG_OBJECT = "configuration object"
AUDIT_POLICY = "audit policy"
KUBELET_CONFIG = "KubeletConfiguration"
KUBE_PROXY_CONFIG = "KubeProxyConfiguration"
SCHEDULER_CONFIG = "KubeSchedulerConfiguration"
YAML = "YAML"
JSON = "JSON"
READABLE = "readable file"
DIRECTORY = "directory"
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


_SIGNERS = ("", "-kube-apiserver-client", "-kubelet-client", "-kubelet-serving", "-legacy-unknown")

FILE_FLAGS: Mapping[str, FileFlag] = {
    # kubeconfig-format files: client configs, and the webhook configs that use the kubeconfig format
    **{
        name: FileFlag(KUBECONFIG)
        for name in (
            "kubeconfig",
            "authentication-kubeconfig",
            "authorization-kubeconfig",
            "audit-webhook-config-file",
            "authentication-token-webhook-config-file",
            "authorization-webhook-config-file",
        )
    },
    "bootstrap-kubeconfig": FileFlag(BOOTSTRAP_KUBECONFIG),
    **{
        name: FileFlag(CA)
        for name in (
            "client-ca-file",
            "requestheader-client-ca-file",
            "oidc-ca-file",
            "etcd-cafile",
            "peer-ca-file",
            "root-ca-file",
            "kubelet-certificate-authority",
        )
    },
    **_pair("tls-cert-file", "tls-private-key-file"),
    **_pair("etcd-certfile", "etcd-keyfile"),
    **_pair("kubelet-client-certificate", "kubelet-client-key"),
    **_pair("proxy-client-cert-file", "proxy-client-key-file"),
    **{
        name: spec
        for signer in _SIGNERS
        for name, spec in _pair(f"cluster-signing{signer}-cert-file", f"cluster-signing{signer}-key-file").items()
    },
    "tls-sni-cert-key": FileFlag(SNI),
    "service-account-key-file": FileFlag(PUBLIC_KEYS),
    "service-account-private-key-file": FileFlag(PRIVATE_KEY),
    "service-account-signing-key-file": FileFlag(PRIVATE_KEY),
    "token-auth-file": FileFlag(CSV),
    "basic-auth-file": FileFlag(CSV),
    "authorization-policy-file": FileFlag(ABAC),
    "audit-policy-file": FileFlag(AUDIT_POLICY),
    "admission-control-config-file": _object("AdmissionConfiguration", "apiserver.config.k8s.io"),
    "authentication-config": _object("AuthenticationConfiguration", "apiserver.config.k8s.io"),
    "authorization-config": _object("AuthorizationConfiguration", "apiserver.config.k8s.io"),
    "encryption-provider-config": _object("EncryptionConfiguration", "apiserver.config.k8s.io"),
    "egress-selector-config-file": _object("EgressSelectorConfiguration", "apiserver.k8s.io"),
    "tracing-config-file": _object("TracingConfiguration", "apiserver.config.k8s.io"),
    "leader-migration-config": _object("LeaderMigrationConfiguration", "controllermanager.config.k8s.io"),
    "image-credential-provider-config": _object("CredentialProviderConfig", "kubelet.config.k8s.io"),
    "allow-metric-labels-manifest": FileFlag(YAML),
    "pv-recycler-pod-template-filepath-hostpath": FileFlag(YAML),
    "pv-recycler-pod-template-filepath-nfs": FileFlag(YAML),
    "google-json-key": FileFlag(JSON),
    "policy-config-file": FileFlag(JSON),  # 1.1 scheduler policy
    "etcd-config": FileFlag(JSON),  # 1.1 go-etcd client configuration
    "cloud-config": FileFlag(READABLE),
    "resolv-conf": FileFlag(READABLE),  # "" turns it off
    "ssh-keyfile": FileFlag(READABLE),
    "config-dir": FileFlag(DIRECTORY),  # kubelet drop-in configuration directory
    "pod-manifest-path": FileFlag(STATIC_PODS),
}

# `config` means a different file per component and release (kube_flagsets.MEANING_CHANGES).
COMPONENT_FILE_FLAGS: Mapping[tuple[str, str, str], FileFlag] = {
    ("kubelet", "1.1", "config"): FileFlag(STATIC_PODS),
    **{
        (component, line, "config"): FileFlag(kind)
        for line in sorted({kube_flagsets.release_line(version) for version in kube_flagsets.MODERN_VERSIONS})
        for component, kind in (
            ("kubelet", KUBELET_CONFIG),
            ("kube-proxy", KUBE_PROXY_CONFIG),
            ("kube-scheduler", SCHEDULER_CONFIG),
        )
    },
}

# Path-like flags that name no file the binary reads at startup, and why.
NOT_CHECKED: Mapping[str, str] = {
    "audit-log-path": "written, not read",
    "log-dir": "written, not read",
    "log-file": "written, not read",
    "write-config-to": "written, not read",
    "debug-socket-path": "a socket the apiserver creates",
    "lock-file": "created by the kubelet",
    "cert-dir": "created by the component when it writes self-signed certificates there",
    "root-dir": "created by the kubelet",
    "volume-plugin-dir": "searched for plugins when a volume needs one; created if missing",
    "flex-volume-plugin-dir": "searched for plugins when a volume needs one",
    "network-plugin-dir": "searched for plugins when a pod needs one",
    "image-credential-provider-bin-dir": "searched when an image pull needs a credential provider",
    "experimental-mounter-path": "run when a volume is mounted",
    "rkt-path": "run only with --container-runtime=rkt",
    "container-runtime-endpoint": "a socket URL; the double talks to Docker Engine instead (see README)",
    "image-service-endpoint": "a socket URL; the double talks to Docker Engine instead (see README)",
    "docker-endpoint": "a socket URL, dialled by the kubelet (1.1)",
    "manifest-url": "a URL",
    "oidc-issuer-url": "a URL",
    "experimental-keystone-url": "a URL",
    "service-account-signing-endpoint": "a socket URL",
    "authorization-always-allow-paths": "HTTP paths, not files",
    "manifest-url-header": "HTTP headers for --manifest-url",
    "strict-transport-security-directives": "an HTTP header's directives",
    "endpoint-reconciler-type": "a name (lease, none)",
    "leader-elect-resource-lock": "a resource kind (leases)",
    "cpu-manager-policy": "a policy name (none, static)",
    "memory-manager-policy": "a policy name (None, Static)",
    "topology-manager-policy": "a policy name (none, best-effort, ...)",
}


def classify(component: str, version: str, name: str) -> FileFlag | None:
    """What file a flag of `component` at `version` names, or None when it names none the binary reads."""
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
    if name == "kubeconfig" and flags.get("bootstrap-kubeconfig") and not os.path.exists(value):
        return  # the kubelet is to write it from the bootstrap kubeconfig (checked under that flag)
    kubeconfig.load(value, master=flags.get("master", "") if name == "kubeconfig" else "")


def _check_bootstrap(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    if flags.get("kubeconfig") and os.path.exists(flags["kubeconfig"]):
        return  # the kubelet reads the bootstrap kubeconfig only to make the missing --kubeconfig
    kubeconfig.load(value)


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


def _check_sni(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    pair = value.split(":", 1)[0]
    parts = _items(pair)
    if len(parts) != 2:
        raise FileProblem('expected "cert-file,key-file[:names]"')
    pemfiles.check_pair_files(parts[0], parts[1])


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


def _check_audit_policy(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    configs.load_audit_policy(value)


def _check_kubelet_config(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    config = configs.load_object(value, configs.KUBELET_CONFIGURATION)
    static = configs.kubelet_path(config, "staticPodPath", value)
    if static and not os.path.exists(static):
        report.warnings.append(f"staticPodPath {static} of --{name}={value} does not exist (yet); watching it")
    ca_file = configs.kubelet_path(config, "authentication.x509.clientCAFile", value)
    if ca_file:
        _nested(f"authentication.x509.clientCAFile {ca_file}", pemfiles.check_ca_file, ca_file)
    cert, key = (configs.kubelet_path(config, field_name, value) for field_name in ("tlsCertFile", "tlsPrivateKeyFile"))
    if cert or key:
        _nested(f"tlsCertFile {cert} and tlsPrivateKeyFile {key}", pemfiles.check_pair_files, cert, key)


def _nested(what: str, check: Callable[..., object], *args: str) -> None:
    try:
        check(*args)
    except FileProblem as problem:
        raise FileProblem(f"{what}: {problem}") from None


def _check_client_connection(value: str, kind: ConfigKind, master: str) -> None:
    config = configs.load_object(value, kind)
    path = configs.field(config, "clientConnection.kubeconfig", "")
    if path:
        _nested(f"clientConnection.kubeconfig {path}", kubeconfig.load, str(path), master)


def _check_proxy_config(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    _check_client_connection(value, configs.KUBE_PROXY_CONFIGURATION, flags.get("master", ""))


def _check_scheduler_config(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    _check_client_connection(value, configs.KUBE_SCHEDULER_CONFIGURATION, flags.get("master", ""))


def _check_yaml(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    configs.load_document(value)


def _check_json(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    try:
        json.loads(pemfiles.read_bytes(value))
    except ValueError as error:
        raise FileProblem(f"invalid JSON: {error}") from None


def _check_readable(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    pemfiles.read_bytes(value)


def _check_directory(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    if not Path(value).is_dir():
        raise FileProblem(f"stat {value}: {'not a directory' if Path(value).exists() else 'no such file or directory'}")


def _check_static_pods(flags: Flags, name: str, value: str, spec: FileFlag, report: Report) -> None:
    if not os.path.exists(value):
        report.warnings.append(f"--{name}={value} does not exist (yet); the kubelet keeps watching it")


_CHECKS: Mapping[str, _Check] = {
    KUBECONFIG: _check_kubeconfig,
    BOOTSTRAP_KUBECONFIG: _check_bootstrap,
    CA: lambda flags, name, value, spec, report: pemfiles.check_ca_file(value),
    CERT: _check_cert,
    KEY: _check_key,
    SNI: _check_sni,
    PUBLIC_KEYS: _check_public_keys,
    PRIVATE_KEY: _check_private_key,
    CSV: _check_csv,
    ABAC: _check_abac,
    CONFIG_OBJECT: _check_object,
    AUDIT_POLICY: _check_audit_policy,
    KUBELET_CONFIG: _check_kubelet_config,
    KUBE_PROXY_CONFIG: _check_proxy_config,
    SCHEDULER_CONFIG: _check_scheduler_config,
    YAML: _check_yaml,
    JSON: _check_json,
    READABLE: _check_readable,
    DIRECTORY: _check_directory,
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

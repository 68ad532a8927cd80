# Copyright: curtain contributors
# Apache License 2.0
"""Validation of the structured files against the official schemas, with readable errors (path: message).

    validate_pod(pod, "v1.37.2")                 -> ["spec.containers[0].ports[0].containerPort: 'abc' is not of type
                                                    'integer'", ...]   (empty when valid)
    validate_object(obj, version)                -> the same for any kind the schemas carry (by apiVersion and kind)
    validate_kubelet_configuration(config, version=None) -> structural check, see below
    validate_kube_proxy_configuration(config)    -> structural check
    validate_kubeconfig(config)                  -> structural check
    validate(kind, obj, version)                 -> dispatch on kind: pod, kubelet_configuration,
                                                    kube_proxy_configuration, kubeconfig
    schema_version_for(version)                  -> the schema version used for a Kubernetes version

Core API objects (Pod and the rest of the OpenAPI spec) are checked with the JSON schemas that the PyPI package
kubernetes-validate ships (generated from the Kubernetes OpenAPI spec), in their "strict" variant, which refuses
fields the API does not have. The package carries one schema set per release line (v1.25.0 ... v1.37.0 in 1.37.0);
the set used is the newest one not newer than the requested version, or the oldest one for an older version:
profile modern uses v1.37.0 for v1.37.2 and v1.36.0 for v1.36.3, profile seed (v1.1.8) uses v1.25.0, the oldest
carried (the v1 Pod fields the seed uses are unchanged since). Every error is reported, not only the first. The
functions here take Kubernetes versions; the kube_file action turns a profile reference (modern@v1.36.3) into one.

kubernetes-validate carries no schema for component configuration (KubeletConfiguration, KubeProxyConfiguration)
nor for client configuration (kubeconfig, kind Config): those are checked here by a small explicit structure
(known fields, their types, required references), transcribed from kubernetes/kubernetes
staging/src/k8s.io/kubelet/config/v1beta1/types.go @ 001332b0422071acf4860769f18e34b5e9b7c1bc and
staging/src/k8s.io/kube-proxy/config/v1alpha1/types.go @ ce3490900116b936d61ee08888436fda1f7abe49, and from the v1
Config of client-go (k8s.io/client-go/tools/clientcmd/api/v1). The kubelet and kube-proxy decode their files
strictly, so an unknown field is an error here too. The transcribed KubeletConfiguration is the 1.37 one (checked
against k8s.io/kubelet@v0.37.2 config/v1beta1/types.go, whose only new field over v0.36.3 is defaultPodSysctls);
fields newer than the version asked for (KUBELET_FIELDS_SINCE) are refused for older versions.

This module runs on the controller only (the kube_file action plugin). kubernetes-validate is imported lazily, the
first time a schema is needed; without it the error names the package to install.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

SCHEMA_PACKAGE = "kubernetes-validate"
SCHEMA_PACKAGE_PIN = "kubernetes-validate==1.37.0"


class KubeSchemaError(RuntimeError):
    """Validation could not run: the schema package is missing, or it has no schema for the object."""


# --- the official schemas ------------------------------------------------------------------------------------------
def _utils() -> Any:
    try:
        import kubernetes_validate.utils as utils  # controller only, optional
    except ImportError as error:
        raise KubeSchemaError(
            f"validating Kubernetes objects needs the Python package {SCHEMA_PACKAGE} on the controller "
            f"(pip install {SCHEMA_PACKAGE_PIN}): {error}"
        ) from error
    return utils


def _version_tuple(version: str) -> tuple[int, ...]:
    text = str(version).strip().lstrip("vV")
    parts = text.split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts[:3]):
        raise KubeSchemaError(f"{version!r} is not a Kubernetes version such as v1.37.2")
    return tuple(int(part) for part in parts[:3])


@functools.lru_cache(maxsize=1)
def schema_versions() -> tuple[str, ...]:
    """The schema sets kubernetes-validate carries, oldest first ("1.25.0", ..., "1.37.0")."""
    return tuple(sorted(set(_utils().all_versions()), key=_version_tuple))


def schema_version_for(kubernetes_version: str) -> str:
    """The newest carried schema set whose release line is not newer than the version's; else the oldest."""
    wanted = _version_tuple(kubernetes_version)[:2]
    carried = schema_versions()
    if not carried:
        raise KubeSchemaError(f"{SCHEMA_PACKAGE} carries no schemas")
    older = [version for version in carried if _version_tuple(version)[:2] <= wanted]
    return older[-1] if older else carried[0]


def _schema_file(api_version: str, kind: str) -> str:
    # kubernetes-validate's naming: rbac.authorization.k8s.io/v1 RoleBinding -> rolebinding-rbac-v1.json
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@functools.lru_cache(maxsize=16)
def _validator(schema_version: str, api_version: str, kind: str) -> Any:
    utils = _utils()
    import jsonschema  # a dependency of kubernetes-validate
    from referencing import Registry, Resource

    directory = f"kubernetes-json-schema/v{schema_version}-local-strict"
    try:
        schema = utils.schema_contents(f"{directory}/{_schema_file(api_version, kind)}", schema_version)
    except FileNotFoundError:
        raise KubeSchemaError(
            f"{SCHEMA_PACKAGE} has no schema for {kind} {api_version} in Kubernetes {schema_version}"
        ) from None
    definitions = utils.schema_contents(f"{directory}/_definitions.json", schema_version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def json_path(path: Iterable[Any]) -> str:
    """spec.containers[0].ports[0] from ("spec", "containers", 0, "ports", 0); "(root)" for the object itself."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def validate_object(obj: Any, kubernetes_version: str) -> list[str]:
    """Every schema error of a Kubernetes API object, as "path: message", sorted by path; empty when valid."""
    if not isinstance(obj, Mapping):
        return [f"(root): {obj!r} is not of type 'object'"]
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["(root): apiVersion and kind are required strings"]
    validator = _validator(schema_version_for(kubernetes_version), api_version, kind)
    errors = sorted(validator.iter_errors(dict(obj)), key=lambda error: (json_path(error.absolute_path),
                                                                          error.message))
    return [f"{json_path(error.absolute_path)}: {error.message}" for error in errors]


def validate_pod(pod: Any, kubernetes_version: str) -> list[str]:
    """A v1 Pod against the strict Pod schema of the nearest carried Kubernetes version."""
    if isinstance(pod, Mapping) and (pod.get("apiVersion"), pod.get("kind")) != ("v1", "Pod"):
        return [f"(root): expected apiVersion v1 and kind Pod, got {pod.get('apiVersion')!r} {pod.get('kind')!r}"]
    return validate_object(pod, kubernetes_version)


# --- structural checks for what the schemas do not carry -----------------------------------------------------------
_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$")

Spec = Any  # a type name (str), or a mapping of field -> Spec (an object with known fields)


def _type_name(spec: Spec) -> str:
    return "object" if isinstance(spec, Mapping) else spec


def _why(value: Any, spec: str) -> str | None:
    """Why a value does not fit a leaf type, or None. Types: str bool int float duration str[] int[] map boolmap
    object object[] any."""
    if spec == "any":
        return None
    if spec == "str":
        ok = isinstance(value, str)
    elif spec == "bool":
        ok = isinstance(value, bool)
    elif spec == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif spec == "duration":
        if not isinstance(value, str):
            return f"{value!r} is not of type 'string'"
        return None if _DURATION.match(value) else f"{value!r} is not a duration such as 20s or 1m0s"
    elif spec == "str[]":
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    elif spec == "int[]":
        ok = isinstance(value, list) and all(isinstance(item, int) and not isinstance(item, bool) for item in value)
    elif spec == "map":
        ok = isinstance(value, Mapping) and all(isinstance(item, str) for item in value.values())
    elif spec == "boolmap":
        ok = isinstance(value, Mapping) and all(isinstance(item, bool) for item in value.values())
    elif spec == "object":
        ok = isinstance(value, Mapping)
    elif spec == "object[]":
        ok = isinstance(value, list) and all(isinstance(item, Mapping) for item in value)
    else:  # pragma: no cover - a typo in the tables below
        raise KubeSchemaError(f"unknown structural type {spec!r}")
    return None if ok else f"{value!r} is not of type {_JSON_NAMES.get(spec, spec)!r}"


_JSON_NAMES = {"str": "string", "bool": "boolean", "int": "integer", "float": "number", "str[]": "array of strings",
               "int[]": "array of integers", "map": "object of strings", "boolmap": "object of booleans",
               "object[]": "array of objects"}


def _check(value: Any, spec: Spec, path: tuple[Any, ...], errors: list[str]) -> None:
    if not isinstance(spec, Mapping):
        if (reason := _why(value, spec)) is not None:
            errors.append(f"{json_path(path)}: {reason}")
        return
    if not isinstance(value, Mapping):
        errors.append(f"{json_path(path)}: {value!r} is not of type 'object'")
        return
    for key in value:
        if key not in spec:
            errors.append(f"{json_path(path)}: unknown field {key!r}")
        elif value[key] is not None:
            _check(value[key], spec[key], (*path, key), errors)


def _check_kind(obj: Any, api_version: str, kind: str, errors: list[str]) -> bool:
    if not isinstance(obj, Mapping):
        errors.append(f"(root): {obj!r} is not of type 'object'")
        return False
    for field, expected in (("apiVersion", api_version), ("kind", kind)):
        if obj.get(field) != expected:
            errors.append(f"{field}: {obj.get(field)!r} is not {expected!r}")
    return True


_TYPE_META = {"apiVersion": "str", "kind": "str"}

# k8s.io/kubelet/config/v1beta1 KubeletConfiguration (types.go @ 001332b0422071acf4860769f18e34b5e9b7c1bc).
KUBELET_CONFIGURATION: Mapping[str, Spec] = {
    **_TYPE_META,
    "enableServer": "bool", "staticPodPath": "str", "podLogsDir": "str", "syncFrequency": "duration",
    "fileCheckFrequency": "duration", "httpCheckFrequency": "duration", "staticPodURL": "str",
    "staticPodURLHeader": "object", "address": "str", "port": "int", "readOnlyPort": "int", "tlsCertFile": "str",
    "tlsPrivateKeyFile": "str", "tlsCipherSuites": "str[]", "tlsCurvePreferences": "int[]", "tlsMinVersion": "str",
    "rotateCertificates": "bool", "serverTLSBootstrap": "bool",
    "authentication": {
        "x509": {"clientCAFile": "str"},
        "webhook": {"enabled": "bool", "cacheTTL": "duration"},
        "anonymous": {"enabled": "bool"},
    },
    "authorization": {"mode": "str", "webhook": {"cacheAuthorizedTTL": "duration", "cacheUnauthorizedTTL": "duration"}},
    "registryPullQPS": "int", "registryBurst": "int", "imagePullCredentialsVerificationPolicy": "str",
    "preloadedImagesVerificationAllowlist": "str[]", "eventRecordQPS": "int", "eventBurst": "int",
    "enableDebuggingHandlers": "bool", "enableContentionProfiling": "bool", "healthzPort": "int",
    "healthzBindAddress": "str", "oomScoreAdj": "int", "clusterDomain": "str", "clusterDNS": "str[]",
    "streamingConnectionIdleTimeout": "duration", "nodeStatusUpdateFrequency": "duration",
    "nodeStatusReportFrequency": "duration", "nodeLeaseDurationSeconds": "int", "imageMinimumGCAge": "duration",
    "imageMaximumGCAge": "duration", "imageGCHighThresholdPercent": "int", "imageGCLowThresholdPercent": "int",
    "volumeStatsAggPeriod": "duration", "kubeletCgroups": "str", "systemCgroups": "str", "cgroupRoot": "str",
    "cgroupsPerQOS": "bool", "cgroupDriver": "str", "cpuManagerPolicy": "str", "singleProcessOOMKill": "bool",
    "cpuManagerPolicyOptions": "map", "cpuManagerReconcilePeriod": "duration", "draManagerReconcilePeriod": "duration",
    "memoryManagerPolicy": "str", "topologyManagerPolicy": "str", "topologyManagerScope": "str",
    "topologyManagerPolicyOptions": "map", "qosReserved": "map", "runtimeRequestTimeout": "duration",
    "hairpinMode": "str", "maxPods": "int", "podCIDR": "str", "podPidsLimit": "int", "resolvConf": "str",
    "runOnce": "bool", "cpuCFSQuota": "bool", "cpuCFSQuotaPeriod": "duration", "nodeStatusMaxImages": "int",
    "maxOpenFiles": "int", "contentType": "str", "kubeAPIQPS": "int", "kubeAPIBurst": "int",
    "serializeImagePulls": "bool", "maxParallelImagePulls": "int", "evictionHard": "map", "evictionSoft": "map",
    "evictionSoftGracePeriod": "map", "evictionPressureTransitionPeriod": "duration",
    "evictionMaxPodGracePeriod": "int", "evictionMinimumReclaim": "map", "mergeDefaultEvictionSettings": "bool",
    "podsPerCore": "int", "enableControllerAttachDetach": "bool", "protectKernelDefaults": "bool",
    "makeIPTablesUtilChains": "bool", "iptablesMasqueradeBit": "int", "iptablesDropBit": "int",
    "featureGates": "boolmap", "failSwapOn": "bool", "memorySwap": {"swapBehavior": "str"},
    "containerLogMaxSize": "str", "containerLogMaxFiles": "int", "containerLogMaxWorkers": "int",
    "containerLogMonitorInterval": "duration", "configMapAndSecretChangeDetectionStrategy": "str",
    "systemReserved": "map", "kubeReserved": "map", "reservedSystemCPUs": "str", "showHiddenMetricsForVersion": "str",
    "systemReservedCgroup": "str", "kubeReservedCgroup": "str", "enforceNodeAllocatable": "str[]",
    "allowedUnsafeSysctls": "str[]", "volumePluginDir": "str", "providerID": "str", "kernelMemcgNotification": "bool",
    "logging": "object", "enableSystemLogHandler": "bool", "enableSystemLogQuery": "bool",
    "shutdownGracePeriod": "duration", "shutdownGracePeriodCriticalPods": "duration",
    "shutdownGracePeriodByPodPriority": "object[]", "crashLoopBackOff": {"maxContainerRestartPeriod": "duration"},
    "reservedMemory": "object[]", "enableProfilingHandler": "bool", "enableDebugFlagsHandler": "bool",
    "seccompDefault": "bool", "memoryThrottlingFactor": "float", "memoryReservationPolicy": "str",
    "registerWithTaints": "object[]", "registerNode": "bool", "tracing": "object",
    "localStorageCapacityIsolation": "bool", "containerRuntimeEndpoint": "str", "imageServiceEndpoint": "str",
    "failCgroupV1": "bool", "userNamespaces": {"idsPerPod": "int"}, "defaultPodSysctls": "map",
}

_SYNC = {"syncPeriod": "duration", "minSyncPeriod": "duration"}
# k8s.io/kube-proxy/config/v1alpha1 KubeProxyConfiguration (types.go @ ce3490900116b936d61ee08888436fda1f7abe49).
KUBE_PROXY_CONFIGURATION: Mapping[str, Spec] = {
    **_TYPE_META,
    "featureGates": "boolmap",
    "clientConnection": {"kubeconfig": "str", "acceptContentTypes": "str", "contentType": "str", "qps": "float",
                         "burst": "int"},
    "logging": "object", "hostnameOverride": "str", "bindAddress": "str", "healthzBindAddress": "str",
    "metricsBindAddress": "str", "bindAddressHardFail": "bool", "enableProfiling": "bool",
    "showHiddenMetricsForVersion": "str", "serviceProxyName": "str", "mode": "str",
    "iptables": {"masqueradeBit": "int", "masqueradeAll": "bool", "localhostNodePorts": "bool", **_SYNC},
    "ipvs": {**_SYNC, "scheduler": "str", "excludeCIDRs": "str[]", "strictARP": "bool", "tcpTimeout": "duration",
             "tcpFinTimeout": "duration", "udpTimeout": "duration"},
    "nftables": {"masqueradeBit": "int", "masqueradeAll": "bool", **_SYNC, "tableName": "str"},
    "winkernel": {"networkName": "str", "sourceVip": "str", "enableDSR": "bool", "rootHnsEndpointName": "str",
                  "forwardHealthCheckVip": "bool"},
    "detectLocalMode": "str", "detectLocal": {"bridgeInterface": "str", "interfaceNamePrefix": "str"},
    "clusterCIDR": "str", "nodePortAddresses": "str[]", "oomScoreAdj": "int",
    "conntrack": {"maxPerCore": "int", "min": "int", "tcpEstablishedTimeout": "duration",
                  "tcpCloseWaitTimeout": "duration", "tcpBeLiberal": "bool", "udpTimeout": "duration",
                  "udpStreamTimeout": "duration"},
    "configSyncPeriod": "duration", "portRange": "str",
}

# k8s.io/client-go/tools/clientcmd/api/v1 Config.
_EXTENSIONS = "object[]"
KUBECONFIG_CLUSTER: Mapping[str, Spec] = {
    "server": "str", "tls-server-name": "str", "insecure-skip-tls-verify": "bool", "certificate-authority": "str",
    "certificate-authority-data": "str", "proxy-url": "str", "disable-compression": "bool", "extensions": _EXTENSIONS,
}
KUBECONFIG_USER: Mapping[str, Spec] = {
    "client-certificate": "str", "client-certificate-data": "str", "client-key": "str", "client-key-data": "str",
    "token": "str", "tokenFile": "str", "as": "str", "as-uid": "str", "as-groups": "str[]", "as-user-extra": "object",
    "username": "str", "password": "str", "auth-provider": "object", "exec": "object", "extensions": _EXTENSIONS,
}
KUBECONFIG_CONTEXT: Mapping[str, Spec] = {"cluster": "str", "user": "str", "namespace": "str",
                                          "extensions": _EXTENSIONS}
KUBECONFIG: Mapping[str, Spec] = {
    **_TYPE_META, "preferences": "object", "clusters": "object[]", "users": "object[]", "contexts": "object[]",
    "current-context": "str", "extensions": _EXTENSIONS,
}
_KUBECONFIG_ENTRIES = (("clusters", "cluster", KUBECONFIG_CLUSTER), ("users", "user", KUBECONFIG_USER),
                       ("contexts", "context", KUBECONFIG_CONTEXT))


# KubeletConfiguration fields a pinned release lacks: field -> the release line that added it.
KUBELET_FIELDS_SINCE: Mapping[str, tuple[int, int]] = {
    # CHANGELOG-1.36.md v1.36.0, API Change: "Added `MemoryReservationPolicy` cgroup v2 MemoryQoS support to
    # KubeletConfiguration for `memory.min` protection." (kubernetes/kubernetes#137584)
    "memoryReservationPolicy": (1, 36),
    # k8s.io/kubelet@v0.37.2 config/v1beta1/types.go has it, @v0.36.3 does not (the Go modules the pinned binaries
    # are built from); the kubelet also wants the DefaultPodSysctls feature gate for it.
    "defaultPodSysctls": (1, 37),
}


def validate_kubelet_configuration(config: Any, kubernetes_version: str | None = None) -> list[str]:
    """The structural check; with a version, fields that version's kubelet does not know are errors too."""
    errors: list[str] = []
    if _check_kind(config, "kubelet.config.k8s.io/v1beta1", "KubeletConfiguration", errors):
        line = _version_tuple(kubernetes_version)[:2] if kubernetes_version is not None else None
        newer = {field for field, since in KUBELET_FIELDS_SINCE.items() if line is not None and line < since}
        for field in sorted(newer & set(config)):
            added = ".".join(str(part) for part in KUBELET_FIELDS_SINCE[field])
            errors.append(f"{field}: Kubernetes {kubernetes_version} has no such KubeletConfiguration field "
                          f"(added in {added})")
        _check({key: value for key, value in config.items() if key not in newer}, KUBELET_CONFIGURATION, (), errors)
        mode = (config.get("authorization") or {}).get("mode") if isinstance(config.get("authorization"),
                                                                              Mapping) else None
        if mode not in (None, "AlwaysAllow", "Webhook"):
            errors.append(f"authorization.mode: {mode!r} is not one of ['AlwaysAllow', 'Webhook']")
    return errors


def validate_kube_proxy_configuration(config: Any) -> list[str]:
    errors: list[str] = []
    if _check_kind(config, "kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration", errors):
        _check(config, KUBE_PROXY_CONFIGURATION, (), errors)
    return errors


def _named_entries(config: Mapping[str, Any], field: str, inner: str, spec: Mapping[str, Spec],
                   errors: list[str]) -> dict[str, Mapping[str, Any]]:
    entries: dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(config.get(field) or []):
        path = (field, index)
        if not isinstance(entry, Mapping):
            continue  # reported by the top-level check
        unknown = sorted(set(entry) - {"name", inner})
        errors.extend(f"{json_path(path)}: unknown field {key!r}" for key in unknown)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            errors.append(f"{json_path((*path, 'name'))}: {name!r} is not a non-empty string")
        elif name in entries:
            errors.append(f"{json_path((*path, 'name'))}: {name!r} is given twice")
        if inner not in entry or not isinstance(entry[inner], Mapping):
            errors.append(f"{json_path(path)}: {inner!r} is a required object")
            continue
        _check(entry[inner], spec, (*path, inner), errors)
        if isinstance(name, str):
            entries[name] = entry[inner]
    return entries


def validate_kubeconfig(config: Any) -> list[str]:
    """A v1 Config: known fields, clusters with a server, contexts naming existing clusters and users."""
    errors: list[str] = []
    if not _check_kind(config, "v1", "Config", errors):
        return errors
    _check(config, KUBECONFIG, (), errors)
    found = {field: _named_entries(config, field, inner, spec, errors) for field, inner, spec in _KUBECONFIG_ENTRIES}
    for index, entry in enumerate(config.get("clusters") or []):
        cluster = entry.get("cluster") if isinstance(entry, Mapping) else None
        if isinstance(cluster, Mapping) and not cluster.get("server"):
            errors.append(f"{json_path(('clusters', index, 'cluster', 'server'))}: a server URL is required")
    for name, context in found["contexts"].items():
        for field, plural in (("cluster", "clusters"), ("user", "users")):
            target = context.get(field)
            if target not in found[plural]:
                errors.append(f"contexts[{name}].{field}: {target!r} names no entry of {plural}")
    current = config.get("current-context")
    if current and current not in found["contexts"]:
        errors.append(f"current-context: {current!r} names no entry of contexts")
    return errors


VALIDATORS: Mapping[str, Callable[[Any, str], list[str]]] = {
    "pod": validate_pod,
    "kubelet_configuration": validate_kubelet_configuration,
    "kube_proxy_configuration": lambda obj, _version: validate_kube_proxy_configuration(obj),
    "kubeconfig": lambda obj, _version: validate_kubeconfig(obj),
}


def validate(kind: str, obj: Any, kubernetes_version: str) -> list[str]:
    """Errors of `obj` as a `kind` (pod, kubelet_configuration, kube_proxy_configuration, kubeconfig); none: []."""
    if kind in (None, "none"):
        return []
    try:
        validator = VALIDATORS[kind]
    except KeyError:
        raise KubeSchemaError(f"unknown validation {kind!r}; known: none, {', '.join(VALIDATORS)}") from None
    return validator(obj, kubernetes_version)


def schema_source(kind: str, kubernetes_version: str) -> str:
    """What `validate` checks a kind against, for messages: the schema set, or the structural check."""
    if kind == "pod":
        return f"{SCHEMA_PACKAGE} schema v{schema_version_for(kubernetes_version)} (strict)"
    return f"curtain's structural check of {kind}"


__all__: Sequence[str] = [
    "SCHEMA_PACKAGE",
    "KubeSchemaError",
    "json_path",
    "schema_source",
    "schema_version_for",
    "schema_versions",
    "validate",
    "validate_kube_proxy_configuration",
    "validate_kubeconfig",
    "validate_kubelet_configuration",
    "validate_object",
    "validate_pod",
]

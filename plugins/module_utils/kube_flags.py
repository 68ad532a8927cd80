# Copyright: curtain contributors
# Apache License 2.0
"""Command lines of the Kubernetes components: render them from data, check them against the real flag sets, and
parse them the way the binaries do.

render_flags({"secure-port": 6443, "feature-gates": {"A": True}}) -> ["--feature-gates=A=true", "--secure-port=6443"]
check_flags("kube-apiserver", "modern", {"portal-net": "10.0.0.0/24"}).errors
    -> ["kube-apiserver v1.37.2 has no flag --portal-net (removed; use --service-cluster-ip-range): ..."]
check_flags("kube-controller-manager", "modern@v1.36.3", {"concurrent-disruption-syncs": 5}).errors
    -> ["kube-controller-manager v1.36.3 has no flag --concurrent-disruption-syncs"]
parse_args("kube-apiserver", "v1.37.2", ["--secure-port", "6443", "--x"]) raises KubeArgsError("unknown flag: --x")

Wherever a release is asked for, a profile reference ("modern", "modern@v1.36.3", "seed"; kube_profiles.py) or a
Kubernetes version ("v1.37.2", "1.36") may be given.

parse_args reads a generated command line back the way the binary would, for the unit tests that hold the roles'
commands against a release. So it follows pflag, the flag parser all Kubernetes components use: `--name=value`,
`--name value`, bare `--name` for bool flags, `-v 2`/`-v=2`/`-v2` for shorthands, `--` ends the flags, `_` and `-`
are the same in names (WordSepNormalizeFunc), and an unknown flag fails with exactly the message the binaries print
before their usage text (exit status 1): `unknown flag: --x`.

Standard library only, like kube_flagsets.py and kube_profiles.py.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ansible_collections.curtain.kube.plugins.module_utils.kube_flagsets import (
    MEANING_CHANGES,
    FlagSet,
    FlagSpec,
    component_name,
    flagset,
    normalize_flag_name,
    release_line,
    removal,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import kubernetes_version


class KubeFlagsError(ValueError):
    """Flags that cannot be rendered: a bad name, or a value with no command-line form."""


class KubeArgsError(ValueError):
    """A command line the binary would refuse; the message is what the binary prints (then usage, exit status 1)."""


@dataclass
class CheckResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- names and rendering -------------------------------------------------------------------------------------------
def flag_name(name: object) -> str:
    """The flag name without its leading dashes; refuses names a command line cannot carry."""
    if not isinstance(name, str):
        raise KubeFlagsError(f"a flag name must be a string, got {name!r}")
    bare = name[2:] if name.startswith("--") else name[1:] if name.startswith("-") else name
    if not bare:
        raise KubeFlagsError(f"empty flag name {name!r}")
    if bare.startswith("-") or "=" in bare or any(character.isspace() for character in bare):
        raise KubeFlagsError(f"invalid flag name {name!r}: no '=', whitespace or extra leading dashes allowed")
    return bare


def _scalar(value: object, context: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise KubeFlagsError(f"{context}: {value!r} has no command-line form (use a string, number or boolean)")


def render_value(value: object, context: str = "flag") -> str:
    """One flag value as the components read it: booleans lowercase, lists comma-joined, maps `k=v` sorted by key."""
    if isinstance(value, Mapping):
        pairs = sorted(((str(key), item) for key, item in value.items()), key=lambda pair: pair[0])
        return ",".join(f"{key}={_scalar(item, context)}" for key, item in pairs)
    if isinstance(value, (list, tuple)):
        return ",".join(_scalar(item, context) for item in value)
    return _scalar(value, context)


def _named(flags: Mapping[str, object]) -> dict[str, object]:
    if not isinstance(flags, Mapping):
        raise KubeFlagsError(f"flags must be a mapping of flag name to value, got {flags!r}")
    named: dict[str, object] = {}
    for name, value in flags.items():
        bare = flag_name(name)
        if bare in named:
            raise KubeFlagsError(f"flag --{bare} is given twice (as {name!r} and once more)")
        named[bare] = value
    return named


def render_flags(flags: Mapping[str, object]) -> list[str]:
    """`--name=value` for each flag whose value is not None, sorted by name, so equal input gives equal output."""
    named = _named(flags)
    return [f"--{name}={render_value(named[name], f'--{name}')}" for name in sorted(named) if named[name] is not None]


# --- value checks --------------------------------------------------------------------------------------------------
_INT_RANGES: Mapping[str, tuple[int, int]] = {
    "int": (-(2**63), 2**63 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "Level": (-(2**31), 2**31 - 1),  # glog's -v
    "uint": (0, 2**64 - 1),
    "uint64": (0, 2**64 - 1),
}
_FLOAT_TYPES = frozenset({"float", "float32", "float64"})
_LIST_TYPES = frozenset({"strings", "stringSlice", "cidrs", "ipSlice", "int32Slice", "[]v1.Taint", "string"})
_MAP_TYPES = frozenset(
    {
        "stringToString",
        "mapStringBool",
        "mapStringString",
        "colonSeparatedMultimapStringString",
        "ConfigurationMap",
    }
)
_BOOL_STRINGS = frozenset({"true", "false"})
# Go's time.ParseDuration: a sequence of decimal numbers with units, or a plain 0.
_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_PORT_RANGE = re.compile(r"^(\d+)(?:[-+](\d+))?$")


def _check_int(text: str, type_name: str) -> str | None:
    if not _INTEGER.match(text):
        return "not an integer"
    low, high = _INT_RANGES[type_name]
    if not low <= int(text) <= high:
        return f"out of range for {type_name}"
    return None


def _check_float(text: str) -> str | None:
    try:
        float(text)
    except ValueError:
        return "not a number"
    return None


def _check_duration(text: str) -> str | None:
    return None if _DURATION.match(text) else "not a duration such as 10s, 1m0s or 2h45m"


def _check_ip(text: str) -> str | None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return "not an IP address"
    return None


def _check_cidr(text: str) -> str | None:
    try:
        ipaddress.ip_network(text, strict=False)  # Go's ParseCIDR accepts host bits (10.0.0.1/24)
    except ValueError:
        return "not a CIDR such as 10.0.0.0/24"
    return None


def _check_cidrs(text: str) -> str | None:
    return next((reason for part in text.split(",") if (reason := _check_cidr(part.strip()))), None)


def _check_ipport(text: str) -> str | None:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        return "not an address:port such as 0.0.0.0:10256"
    return _check_ip(host.strip("[]"))


def _check_port_range(text: str) -> str | None:
    match = _PORT_RANGE.match(text)
    if not match or any(int(part) > 65535 for part in match.groups() if part):
        return "not a port range such as 30000-32767"
    return None


def _check_int32_list(text: str) -> str | None:
    return next((reason for part in text.split(",") if part and (reason := _check_int(part, "int32"))), None)


def _check_bool(text: str) -> str | None:
    return None if text.lower() in _BOOL_STRINGS else "not true or false"


_TEXT_CHECKS: Mapping[str, Callable[[str], str | None]] = {
    "bool": _check_bool,
    "duration": _check_duration,
    "ip": _check_ip,
    "ipNet": _check_cidr,
    "cidrs": _check_cidrs,
    "ipport": _check_ipport,
    "PortRange": _check_port_range,  # as the 1.1 pages name it
    "portRange": _check_port_range,  # as the modern binaries' --help prints it
    "int32Slice": _check_int32_list,
    **{type_name: _check_float for type_name in _FLOAT_TYPES},
}


def _check_text(spec: FlagSpec, text: str) -> str | None:
    """Why `text` is not a valid value for the flag, or None. Only cheap, certain checks; unknown types pass."""
    if spec.type in _INT_RANGES:
        return _check_int(text, spec.type)
    check = _TEXT_CHECKS.get(spec.type)
    return check(text) if check else None


def _check_feature_gates(value: object) -> str | None:
    pairs: list[tuple[str, object]]
    if isinstance(value, Mapping):
        pairs = [(str(key), item) for key, item in value.items()]
    elif isinstance(value, str):
        pairs = [(part.partition("=")[0], part.partition("=")[2]) for part in value.split(",") if part]
    else:
        return "feature gates must be a mapping of gate name to true/false"
    for gate, enabled in pairs:
        if not (isinstance(enabled, bool) or (isinstance(enabled, str) and enabled.lower() in _BOOL_STRINGS)):
            return f"gate {gate!r} must be true or false, got {enabled!r}"
    return None


_SCALAR_TYPES = frozenset(
    {*_INT_RANGES, *_FLOAT_TYPES, "bool", "duration", "ip", "ipNet", "ipport", "PortRange", "portRange"}
    | {"version[=true]"}
)


def _check_value(spec: FlagSpec, value: object) -> str | None:
    """Why a value given in data does not fit the flag's type, or None."""
    if normalize_flag_name(spec.name) == "feature-gates":
        return _check_feature_gates(value)
    if isinstance(value, Mapping):
        return None if spec.type in _MAP_TYPES else f"a mapping, but the flag takes a {spec.type}"
    if isinstance(value, (list, tuple)):
        if spec.type in _SCALAR_TYPES:
            return f"a list, but the flag takes a single {spec.type}"
        return _check_text(spec, render_value(value)) if spec.type in ("cidrs", "int32Slice") else None
    if spec.type == "bool":
        if isinstance(value, bool) or (isinstance(value, str) and value.lower() in _BOOL_STRINGS):
            return None
        return "not a boolean (true/false)"
    if isinstance(value, bool):
        return f"a boolean, but the flag takes a {spec.type}"
    if spec.type in _INT_RANGES and isinstance(value, float):
        return "not an integer"
    return _check_text(spec, str(value))


# --- checking ------------------------------------------------------------------------------------------------------
def _flags_for(component: str, profile_or_version: str) -> FlagSet:
    """The flag set for a profile reference (seed, modern, modern@v1.36.3) or a Kubernetes version."""
    return flagset(component, kubernetes_version(profile_or_version))


def _unknown_flag_message(flags: FlagSet, name: str) -> str:
    base = f"{flags.component} {flags.version} has no flag --{name}"
    gone = removal(flags.component, name) if release_line(flags.version) != "1.1" else None
    if gone:
        when = f"removed in {gone.removed_in}" if gone.removed_in else "removed"
        if gone.replacement:
            return f"{base} ({when}; use --{gone.replacement}): {gone.note}"
        return f"{base} ({when}): {gone.note}"
    close = difflib.get_close_matches(normalize_flag_name(name), flags.names(), n=1, cutoff=0.8)
    return f"{base} (did you mean --{close[0]}?)" if close else base


def _looks_like_directory(value: object) -> bool:
    text = str(value).rstrip()
    return text.endswith("/") or "." not in text.rsplit("/", 1)[-1]


def check_flags(component: str, profile_or_version: str, flags: Mapping[str, object]) -> CheckResult:
    """Errors for flags the release does not have and values that do not fit; warnings for deprecated flags.

    `profile_or_version` is a profile reference (seed, modern, modern@v1.36.3) or a Kubernetes version ("v1.37.2",
    "1.1").
    Flags whose value is None are left out, as render_flags leaves them out.
    """
    known = _flags_for(component, profile_or_version)
    line = release_line(known.version)
    result = CheckResult()
    try:
        named = _named(flags)
    except KubeFlagsError as error:
        result.errors.append(str(error))
        return result
    for name in sorted(named):
        value = named[name]
        if value is None:
            continue
        spec = known.lookup(name)
        if spec is None:
            result.errors.append(_unknown_flag_message(known, name))
            continue
        try:
            reason = _check_value(spec, value)
            shown = render_value(value, f"--{name}")
        except KubeFlagsError as error:
            result.errors.append(f"{known.component} {known.version}: {error}")
            continue
        if reason:
            result.errors.append(
                f"{known.component} {known.version}: --{name}={shown!r} is not a valid {spec.type}: {reason}"
            )
        if spec.deprecated:
            result.warnings.append(f"{known.component} {known.version}: --{name} is deprecated: {spec.deprecated}")
        meanings = MEANING_CHANGES.get((known.component, normalize_flag_name(name)))
        if meanings and line != "1.1" and _looks_like_directory(shown):
            result.warnings.append(
                f"{known.component} {known.version}: --{name}={shown} looks like a directory, but --{name} is now "
                f"the {meanings[line]}; in 1.1 it was the {meanings['1.1']}"
            )
    return result


# --- parsing, as pflag does it -------------------------------------------------------------------------------------
_ACCUMULATING_TYPES = (_LIST_TYPES - {"string"}) | _MAP_TYPES


def _go_quote_list(items: Sequence[str]) -> str:
    return "[" + " ".join(json.dumps(item) for item in items) + "]"


def _store(parsed: dict[str, str], spec: FlagSpec, value: str, display: str) -> None:
    reason = _check_text(spec, value)
    if reason:
        raise KubeArgsError(f'invalid argument "{value}" for "{display}" flag: {reason}')
    key = normalize_flag_name(spec.name)
    if spec.type == "bool":
        value = value.lower()
    if spec.type in _ACCUMULATING_TYPES and key in parsed and value:
        parsed[key] = f"{parsed[key]},{value}"  # pflag appends repeated slice and map flags
    else:
        parsed[key] = value


def _parse_long(flags: FlagSet, arg: str, rest: list[str], parsed: dict[str, str]) -> None:
    name, has_value, value = arg[2:].partition("=")
    if not name or name.startswith("-"):
        raise KubeArgsError(f"bad flag syntax: {arg}")
    spec = flags.lookup(name)
    if spec is None:
        raise KubeArgsError(f"unknown flag: --{name}")
    if not has_value:
        if not spec.takes_value:
            value = "true"
        elif rest:
            value = rest.pop(0)  # pflag takes the next argument even if it starts with a dash
        else:
            raise KubeArgsError(f"flag needs an argument: --{name}")
    _store(parsed, spec, value, f"--{name}")


def _parse_shorthands(flags: FlagSet, arg: str, rest: list[str], parsed: dict[str, str]) -> None:
    by_letter = {spec.shorthand: spec for spec in flags.flags.values() if spec.shorthand}
    letters = arg[1:]
    while letters:
        letter = letters[0]
        spec = by_letter.get(letter)
        if spec is None:
            raise KubeArgsError(f"unknown shorthand flag: '{letter}' in {arg}")
        display = f"-{letter}, --{spec.name}"
        if len(letters) > 2 and letters[1] == "=":
            value, letters = letters[2:], ""
        elif not spec.takes_value:
            value, letters = "true", letters[1:]
        elif len(letters) > 1:
            value, letters = letters[1:], ""
        elif rest:
            value, letters = rest.pop(0), ""
        else:
            raise KubeArgsError(f"flag needs an argument: '{letter}' in {arg}")
        _store(parsed, spec, value, display)


def parse_args(component: str, version: str, argv: Sequence[str]) -> dict[str, str]:
    """The flags of a command line as {normalised name: value}, or KubeArgsError with the binary's own message.

    Values stay strings as given, except booleans ("true"/"false"); repeated list and map flags are joined with
    commas, other repeated flags keep the last value. `version` is a Kubernetes version or a profile reference. The
    modern components refuse positional arguments; hyperkube 1.1 ignored them, so the seed profile does too.
    """
    flags = _flags_for(component, version)
    parsed: dict[str, str] = {}
    positional: list[str] = []
    rest = [str(arg) for arg in argv]
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            positional.extend(rest)
            break
        if arg.startswith("--"):
            _parse_long(flags, arg, rest, parsed)
        elif arg.startswith("-") and len(arg) > 1:
            _parse_shorthands(flags, arg, rest, parsed)
        else:
            positional.append(arg)
    if positional and release_line(flags.version) != "1.1":
        raise KubeArgsError(f'"{flags.component}" does not take any arguments, got {_go_quote_list(positional)}')
    return parsed


__all__ = [
    "CheckResult",
    "KubeArgsError",
    "KubeFlagsError",
    "check_flags",
    "component_name",
    "flag_name",
    "parse_args",
    "render_flags",
    "render_value",
]

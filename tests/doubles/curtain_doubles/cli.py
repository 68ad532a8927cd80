"""The command line of every double: parse it the way the real binary does, then hand over to the component.

The doubles stand in for the seed's Kubernetes 1.1 only (the modern profile's tests run the real components).
Parsing goes through kube_flags.parse_args, so a double accepts exactly the 1.1 flags. What a refused command line
prints and its exit status follow the 1.1 binaries:

- hyperkube 1.1: `Error: unknown flag: --x`, the subcommand's usage, the bare message again, exit 1;
- the separate 1.1 binaries (pflag.CommandLine, ExitOnError): `unknown flag: --x`, `Usage of <name>:`, exit 2.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import kube_flags
import kube_flagsets
from kube_profiles import KubeProfile, profile_of_version

from curtain_doubles import log
from curtain_doubles.lifecycle import Lifecycle

# The module that runs each component once its command line is accepted.
_RUNNERS: Mapping[str, str] = {
    "kube-apiserver": "curtain_doubles.apiserver",
    "kube-controller-manager": "curtain_doubles.controllers",
    "kube-scheduler": "curtain_doubles.controllers",
    "kubelet": "curtain_doubles.kubelet",
    "kube-proxy": "curtain_doubles.proxy",
}
_SUBCOMMANDS: Mapping[str, str] = {sub: comp for comp, sub in kube_flagsets.HYPERKUBE_SUBCOMMANDS.items()}


class StartupError(Exception):
    """The component cannot start: the message is what the real binary would report (then exit status 1)."""


@dataclass(frozen=True)
class Context:
    """What a component's run() needs: who it is and the flags it was given (normalised names, string values)."""

    component: str
    version: str
    command: str  # how it was invoked, for messages: "kube-apiserver" or "hyperkube apiserver"
    flags: Mapping[str, str]
    lifecycle: Lifecycle = field(default_factory=Lifecycle)

    @property
    def profile(self) -> KubeProfile:
        """The pinned profile version the double was built for (seed@v1.1.8)."""
        return profile_of_version(self.version)

    def text(self, name: str, default: str = "") -> str:
        return self.flags.get(kube_flagsets.normalize_flag_name(name), default)

    def number(self, name: str, default: int) -> int:
        value = self.text(name)
        return int(value) if value else default

    def boolean(self, name: str, default: bool) -> bool:
        value = self.text(name)
        return value == "true" if value else default

    def items(self, name: str) -> list[str]:
        return [item.strip() for item in self.text(name).split(",") if item.strip()]


def _usage(command: str) -> str:
    return (
        f"Usage:\n  {command} [flags]\n\n"
        "Flags:\n      (a contract double: the flags are those of plugins/module_utils/kube_flagsets.py)\n"
    )


def _refuse(command: str, message: str, hyperkube: bool) -> int:
    if hyperkube:
        sys.stderr.write(f"Error: {message}\n\n{_usage(command)}{message}\n")
        return 1
    sys.stderr.write(f"{message}\nUsage of {command}:\n")
    return 2


def run_component(component: str, version: str, argv: Sequence[str], command: str, hyperkube: bool = False) -> int:
    try:
        flags = kube_flags.parse_args(component, version, argv)
    except kube_flags.KubeArgsError as error:
        return _refuse(command, str(error), hyperkube)
    for name in flags:
        notice = kube_flags.deprecation_notice(component, version, name)
        if notice:
            sys.stderr.write(notice + "\n")
    if flags.get("help") == "true":
        sys.stdout.write(_usage(command))
        return 0
    log.set_verbosity(int(flags.get("v") or 0))
    context = Context(component=component, version=version, command=command, flags=flags)
    context.lifecycle.install_signal_handlers()  # before the first log line: tests signal once they see it
    log.info("Starting the contract double", component=component, version=version, command=command)
    try:
        return int(importlib.import_module(_RUNNERS[component]).run(context))
    except StartupError as error:
        log.error("command failed", err=str(error))
        return 1


def _hyperkube_usage() -> str:
    servers = "\n".join(f"  {name}" for name in kube_flagsets.HYPERKUBE_SUBCOMMANDS.values())
    return f"Usage:\n  hyperkube <server> [flags]\n\nServers\n{servers}\n"


def hyperkube(version: str, argv: Sequence[str]) -> int:
    """hyperkube 1.1: the first argument names the server, unless the binary is called by a server's name."""
    called_as = os.path.basename(sys.argv[0] if sys.argv else "hyperkube")
    if called_as in _SUBCOMMANDS:
        return run_component(_SUBCOMMANDS[called_as], version, argv, called_as, hyperkube=True)
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stderr.write(_hyperkube_usage())
        return 0 if argv else 1
    server, rest = argv[0], argv[1:]
    if server not in _SUBCOMMANDS:
        sys.stderr.write(f"Error: Server not found: {server}\n\n{_hyperkube_usage()}Server not found: {server}\n")
        return 1
    return run_component(_SUBCOMMANDS[server], version, rest, f"hyperkube {server}", hyperkube=True)


def main(binary: str, version: str, argv: Sequence[str]) -> int:
    """The entry point of every built binary: `binary` is a component name or "hyperkube"; `version` the seed's."""
    if kube_flagsets.release_line(version) != "1.1":
        sys.stderr.write(f"the contract doubles stand in for Kubernetes 1.1 only, not {version}\n")
        return 1
    if binary == "hyperkube":
        return hyperkube(version, argv)
    return run_component(kube_flagsets.component_name(binary), version, argv, binary)

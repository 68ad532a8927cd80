"""pod_network: the module (in-process, conftest.py's harness) against a host whose `ip` and `iptables` are a fake
that keeps routes and nat rules: curtain's routes (protocol 213) become exactly the wanted ones, one masquerade rule
for the pod range, nothing of anyone else's is touched, check mode changes nothing, and a second run finds nothing
to do."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible_collections.curtain.kube.plugins.module_utils import container_runtime as runtime
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import (
    MASQUERADE_COMMENT,
    masquerade_rule,
    restore_script,
)
from ansible_collections.curtain.kube.plugins.modules import pod_network

IP, IPTABLES = "/usr/sbin/ip", "/usr/sbin/iptables"
POD_CIDR = "10.244.0.0/16"
ROUTES = [{"subnet": "10.244.1.0/24", "via": "10.0.0.2"}, {"subnet": "10.244.2.0/24", "via": "10.0.0.3"}]
# Docker's own masquerade rule and a kernel route: not curtain's, never touched.
DOCKER_RULE = ["-s", "172.17.0.0/16", "!", "-o", "docker0", "-j", "MASQUERADE"]


@dataclass
class FakeHost:
    """The routes (dst -> {gateway, protocol}) and nat POSTROUTING rules of a host, changed by the commands the
    module runs, as `ip` and `iptables` would; every command is recorded."""

    routes: dict[str, dict[str, str]] = field(default_factory=dict)
    rules: list[list[str]] = field(default_factory=lambda: [list(DOCKER_RULE)])
    binaries: tuple[str, ...] = ("ip", "iptables")
    fail: str = ""  # a command starting with this fails
    commands: list[list[str]] = field(default_factory=list)
    script: Path = Path("/nonexistent")  # where the module is told to write its restore script
    cni: Path = Path("/nonexistent")  # and the CNI configuration

    def args(self, **given: Any) -> dict[str, Any]:
        return {"restore_script": str(self.script), "cni_config_file": str(self.cni), **given}

    def run(self, argv: list[str]) -> tuple[int, str, str]:
        self.commands.append(list(argv))
        if self.fail and " ".join(argv).startswith(self.fail):
            return 2, "", "RTNETLINK answers: Network is unreachable"
        if argv[:2] == [IP, "-j"]:  # ip -j route show proto 213
            protocol = argv[-1]
            shown = [{"dst": dst, "gateway": route["gateway"], "dev": "eth0", "protocol": route["protocol"],
                      "flags": []} for dst, route in self.routes.items() if route["protocol"] == protocol]
            return 0, json.dumps(shown), ""
        if argv[:3] == [IP, "route", "replace"]:  # ip route replace SUBNET via GW proto 213
            self.routes[argv[3]] = {"gateway": argv[5], "protocol": argv[7]}
            return 0, "", ""
        if argv[:3] == [IP, "route", "del"]:
            del self.routes[argv[3]]
            return 0, "", ""
        if argv[:5] == [IPTABLES, "-t", "nat", "-S", "POSTROUTING"]:
            lines = ["-P POSTROUTING ACCEPT"] + [shlex.join(["-A", "POSTROUTING", *rule]) for rule in self.rules]
            return 0, "\n".join(lines) + "\n", ""
        if argv[:5] == [IPTABLES, "-t", "nat", "-A", "POSTROUTING"]:
            self.rules.append(argv[5:])
            return 0, "", ""
        if argv[:5] == [IPTABLES, "-t", "nat", "-D", "POSTROUTING"]:
            self.rules.remove(argv[5:])
            return 0, "", ""
        raise AssertionError(f"unexpected command {argv}")

    def changes(self) -> list[list[str]]:
        """The commands that changed something (not the ones that read)."""
        return [argv for argv in self.commands
                if argv[:2] != [IP, "-j"] and argv[:5] != [IPTABLES, "-t", "nat", "-S", "POSTROUTING"]]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[FakeHost]:
    fake = FakeHost(script=tmp_path / "kubernetes/pod-network.sh", cni=tmp_path / "cni/net.d/10-curtain.conflist")

    def get_bin_path(self: basic.AnsibleModule, name: str, required: bool = False, **_: Any) -> str | None:
        if name in fake.binaries:
            return {"ip": IP, "iptables": IPTABLES}[name]
        if required:
            self.fail_json(msg=f"Failed to find required executable {name!r}")
        return None

    with (
        mock.patch.object(basic.AnsibleModule, "get_bin_path", get_bin_path),
        mock.patch.object(basic.AnsibleModule, "run_command", lambda self, argv, **_: fake.run(argv)),
    ):
        yield fake


def test_a_new_node_gets_every_route_and_the_masquerade_rule_then_nothing_to_do(host: FakeHost,
                                                                                module_runner: Any) -> None:
    host.routes["172.18.0.0/16"] = {"gateway": "", "protocol": "kernel"}
    first = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR))
    assert not first.failed, first.result
    assert first.result["changed"] is True
    assert first.result["replaced"] == ROUTES and first.result["deleted"] == []
    assert first.result["masquerade"] == {"added": True, "removed": 0}
    assert host.changes() == [
        [IP, "route", "replace", "10.244.1.0/24", "via", "10.0.0.2", "proto", "213"],
        [IP, "route", "replace", "10.244.2.0/24", "via", "10.0.0.3", "proto", "213"],
        [IPTABLES, "-t", "nat", "-A", "POSTROUTING", *masquerade_rule(POD_CIDR)],
    ]
    assert host.rules == [DOCKER_RULE, masquerade_rule(POD_CIDR)]
    assert host.routes["172.18.0.0/16"] == {"gateway": "", "protocol": "kernel"}  # not curtain's
    # The script that puts them back after a boot, readable by the node container (run by its entrypoint).
    assert first.result["restore_script"] is True
    assert host.script.read_text() == restore_script(ROUTES, POD_CIDR)
    assert host.script.stat().st_mode & 0o777 == 0o644

    host.commands.clear()
    again = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR))
    assert again.result == {"changed": False, "replaced": [], "deleted": [],
                            "masquerade": {"added": False, "removed": 0}, "restore_script": False,
                            "cni_config": False}
    assert host.changes() == []
    assert not host.cni.exists()  # no pod_subnet given: no CNI configuration


def test_the_node_s_cni_configuration_is_renamed_into_place_and_then_left(host: FakeHost, module_runner: Any) -> None:
    """containerd reloads its CNI configuration on a rename into its directory, not on a file that appears: the file
    is written beside and renamed over (a new inode each time), compared as parsed JSON, never while checking."""
    args = host.args(routes=ROUTES, pod_cidr=POD_CIDR, pod_subnet="10.244.0.0/24")
    checked = module_runner(pod_network.main, args, check_mode=True).result
    assert checked["cni_config"] is True and not host.cni.exists()

    first = module_runner(pod_network.main, args).result
    assert first["changed"] is True and first["cni_config"] is True
    assert json.loads(host.cni.read_text()) == runtime.cni_config("10.244.0.0/24")
    assert host.cni.stat().st_mode & 0o777 == int(runtime.CNI_CONF_MODE, 8)
    assert sorted(path.name for path in host.cni.parent.iterdir()) == [host.cni.name]  # no temporary file left

    host.cni.write_text(json.dumps(runtime.cni_config("10.244.0.0/24")))  # other formatting, same data
    inode = host.cni.stat().st_ino
    again = module_runner(pod_network.main, args).result
    assert again["changed"] is False and again["cni_config"] is False and host.cni.stat().st_ino == inode

    moved = module_runner(pod_network.main, {**args, "pod_subnet": "10.244.3.0/24"}).result
    assert moved["cni_config"] is True and host.cni.stat().st_ino != inode
    assert json.loads(host.cni.read_text()) == runtime.cni_config("10.244.3.0/24")


def test_a_node_with_no_pod_cidr_yet_is_told_so_and_check_mode_reports_the_change(host: FakeHost,
                                                                                  module_runner: Any) -> None:
    """pod_subnet '' (check mode on a new cluster: no Node or no podCIDR yet): no CNI file; check mode reports what a
    run would do once the node has one, a run warns that it wrote none."""
    args = host.args(routes=[], pod_cidr=POD_CIDR, pod_subnet="")
    module_runner(pod_network.main, args)  # the script and the rule, so that only the CNI file is left to say
    checked = module_runner(pod_network.main, args, check_mode=True)
    assert checked.result["changed"] is True and checked.result["cni_config"] is False
    assert "no Node or no podCIDR yet" in checked.result["msg"]
    ran = module_runner(pod_network.main, args)
    assert ran.result["changed"] is False and "no podCIDR yet" in ran.result["msg"]
    assert not host.cni.exists()
    without = module_runner(pod_network.main, host.args(routes=[], pod_cidr=POD_CIDR), check_mode=True).result
    assert without["changed"] is False and "msg" not in without  # none asked for: nothing to say


def test_a_bad_pod_subnet_fails_before_anything_changes(host: FakeHost, module_runner: Any) -> None:
    result = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR, pod_subnet="10.244.0.0/33"))
    assert result.failed and "pod_subnet" in result.result["msg"]
    assert host.changes() == [] and not host.cni.exists() and not host.script.exists()


def test_a_moved_node_s_route_is_replaced_and_a_departed_node_s_deleted(host: FakeHost, module_runner: Any) -> None:
    host.routes.update({"10.244.1.0/24": {"gateway": "10.0.0.2", "protocol": "213"},
                        "10.244.2.0/24": {"gateway": "10.0.0.9", "protocol": "213"},
                        "10.244.7.0/24": {"gateway": "10.0.0.7", "protocol": "213"},
                        "10.99.0.0/24": {"gateway": "10.0.0.1", "protocol": "static"}})
    host.rules.append(masquerade_rule(POD_CIDR))
    result = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR)).result
    assert result["changed"] is True
    assert result["replaced"] == [{"subnet": "10.244.2.0/24", "via": "10.0.0.3"}]
    assert result["deleted"] == ["10.244.7.0/24"]
    assert host.changes() == [[IP, "route", "del", "10.244.7.0/24", "proto", "213"],
                              [IP, "route", "replace", "10.244.2.0/24", "via", "10.0.0.3", "proto", "213"]]
    assert host.routes["10.99.0.0/24"]["protocol"] == "static"  # another's route stays


def test_the_masquerade_rule_follows_pod_cidr_and_is_kept_once(host: FakeHost, module_runner: Any) -> None:
    old = masquerade_rule("10.32.0.0/16")
    host.rules += [old, masquerade_rule(POD_CIDR), masquerade_rule(POD_CIDR)]
    result = module_runner(pod_network.main, host.args(routes=[], pod_cidr=POD_CIDR)).result
    assert result["changed"] is True
    assert result["masquerade"] == {"added": False, "removed": 2}
    assert host.rules == [DOCKER_RULE, masquerade_rule(POD_CIDR)]
    assert all(MASQUERADE_COMMENT in rule for rule in host.rules[1:])


def test_check_mode_says_what_would_change_and_runs_nothing_that_changes(host: FakeHost,
                                                                          module_runner: Any) -> None:
    host.routes["10.244.7.0/24"] = {"gateway": "10.0.0.7", "protocol": "213"}
    result = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR),
                           check_mode=True).result
    assert result["changed"] is True
    assert result["replaced"] == ROUTES and result["deleted"] == ["10.244.7.0/24"]
    assert result["masquerade"] == {"added": True, "removed": 0}
    assert host.changes() == []
    assert host.routes == {"10.244.7.0/24": {"gateway": "10.0.0.7", "protocol": "213"}}
    assert host.rules == [DOCKER_RULE]
    assert result["restore_script"] is True and not host.script.exists()


def test_absent_removes_curtain_s_routes_and_rule_only(host: FakeHost, module_runner: Any) -> None:
    host.routes.update({"10.244.1.0/24": {"gateway": "10.0.0.2", "protocol": "213"},
                        "10.99.0.0/24": {"gateway": "10.0.0.1", "protocol": "static"}})
    host.rules.append(masquerade_rule(POD_CIDR))
    host.script.parent.mkdir()
    host.script.write_text(restore_script(ROUTES, POD_CIDR))
    result = module_runner(pod_network.main, host.args(state="absent")).result
    assert result["changed"] is True and result["restore_script"] is True
    assert not host.script.exists()
    assert result["deleted"] == ["10.244.1.0/24"] and result["masquerade"] == {"added": False, "removed": 1}
    assert host.routes == {"10.99.0.0/24": {"gateway": "10.0.0.1", "protocol": "static"}}
    assert host.rules == [DOCKER_RULE]


def test_absent_on_a_host_without_ip_or_iptables_has_nothing_to_remove(host: FakeHost, module_runner: Any) -> None:
    host.binaries = ()
    result = module_runner(pod_network.main, host.args(state="absent"))
    assert not result.failed, result.result
    assert result.result["changed"] is False and host.commands == []


def test_a_host_with_the_routes_and_rule_but_no_script_gets_the_script_alone(host: FakeHost,
                                                                             module_runner: Any) -> None:
    """A cluster made before the script existed: the run writes it and changes nothing else."""
    host.routes.update({route["subnet"]: {"gateway": route["via"], "protocol": "213"} for route in ROUTES})
    host.rules.append(masquerade_rule(POD_CIDR))
    result = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR)).result
    assert result["changed"] is True and result["restore_script"] is True
    assert host.changes() == []
    assert host.script.read_text() == restore_script(ROUTES, POD_CIDR)


def test_present_needs_ip_and_iptables(host: FakeHost, module_runner: Any) -> None:
    host.binaries = ("ip",)
    result = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR))
    assert result.failed and "iptables" in result.result["msg"]


def test_present_needs_pod_cidr(host: FakeHost, module_runner: Any) -> None:
    result = module_runner(pod_network.main, host.args(routes=ROUTES))
    assert result.failed and "pod_cidr" in result.result["msg"]


@pytest.mark.parametrize(("args", "words"), [
    ({"routes": [{"subnet": "10.244.1.0/24"}], "pod_cidr": POD_CIDR}, ["routes: ", "via"]),
    ({"routes": [{"subnet": "10.244.1.0/33", "via": "10.0.0.2"}], "pod_cidr": POD_CIDR}, ["routes: "]),
    ({"routes": ROUTES, "pod_cidr": "pods"}, ["routes: ", "pod_cidr: 'pods' is not a CIDR"]),
])
def test_bad_routes_or_pod_cidr_fail_before_anything_changes(host: FakeHost, module_runner: Any, args: dict,
                                                              words: list[str]) -> None:
    result = module_runner(pod_network.main, host.args(**args))
    assert result.failed
    for word in words:
        assert word in result.result["msg"], result.result["msg"]
    assert host.changes() == []


def test_a_failing_command_fails_the_module_naming_it(host: FakeHost, module_runner: Any) -> None:
    host.fail = f"{IP} route replace 10.244.2.0/24"
    result = module_runner(pod_network.main, host.args(routes=ROUTES, pod_cidr=POD_CIDR))
    assert result.failed
    assert result.result["msg"] == (f"{IP} route replace 10.244.2.0/24 via 10.0.0.3 proto 213 failed: "
                                    "RTNETLINK answers: Network is unreachable")
    assert result.result["rc"] == 2

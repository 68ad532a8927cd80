"""kube_file (controller side): validation before the host is touched, rendering, and the hand-over to the module,
which runs in-process (conftest.py's harness) in place of a real connection."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible_collections.curtain.kube.plugins.action.kube_file import ActionModule, kubernetes_version, render
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import (
    control_plane_pods,
    kubeconfig,
    kubelet_configuration,
)
from ansible_collections.curtain.kube.plugins.modules import kube_file

needs_schemas = pytest.mark.skipif(
    importlib.util.find_spec("kubernetes_validate") is None, reason="kubernetes-validate is not installed"
)


class Harness:
    """An ActionModule whose module runs in-process; records what would have gone to the host."""

    def __init__(self, module_runner: Any, check_mode: bool = False) -> None:
        self.module_runner = module_runner
        self.check_mode = check_mode
        self.sent: list[dict[str, Any]] = []

    def run(self, args: dict[str, Any]) -> dict[str, Any]:
        task = mock.MagicMock(args=args, async_val=0, check_mode=self.check_mode, action="curtain.kube.kube_file")
        connection = mock.MagicMock()
        connection._shell.tmpdir = "/nonexistent/remote-tmp"  # never used: the module runs in-process
        action = ActionModule(task, connection, mock.MagicMock(), loader=None, templar=None)
        action._execute_module = self.execute  # type: ignore[method-assign]
        return action.run(task_vars={})

    def execute(self, module_name: str, module_args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        assert module_name == "curtain.kube.kube_file"
        self.sent.append(module_args)
        exited = self.module_runner(kube_file.main, module_args, check_mode=self.check_mode)
        return {**exited.result, **({"failed": True} if exited.failed else {})}


@pytest.fixture
def harness(module_runner: Any) -> Harness:
    return Harness(module_runner)


@needs_schemas
def test_a_valid_pod_is_validated_rendered_and_written(tmp_path: Path, harness: Harness) -> None:
    pods = control_plane_pods("modern", {"advertise_address": "10.0.0.5"})
    dest = tmp_path / "kube-apiserver.yaml"
    result = harness.run({"content": pods["kube-apiserver.yaml"], "dest": str(dest), "validate": "pod",
                          "kubernetes_version": "modern"})
    assert not result.get("failed"), result
    assert result["changed"] is True and result["validation"] == "kubernetes-validate schema v1.37.0 (strict)"
    assert yaml.safe_load(dest.read_text()) == pods["kube-apiserver.yaml"]
    (sent,) = harness.sent
    assert sent["text"] == dest.read_text() and sent["format"] == "yaml"
    assert harness.run({"content": pods["kube-apiserver.yaml"], "dest": str(dest), "validate": "pod"})[
        "changed"] is False


@needs_schemas
@pytest.mark.parametrize(("reference", "schema"), [("modern@v1.36.3", "v1.36.0"), ("modern@v1.37.2", "v1.37.0"),
                                                   ("v1.36.3", "v1.36.0")])
def test_a_pod_of_a_pinned_version_is_validated_with_that_version_s_schema(tmp_path: Path, harness: Harness,
                                                                          reference: str, schema: str) -> None:
    pods = control_plane_pods(reference if "@" in reference else "modern@v1.36.3", {"advertise_address": "10.0.0.5"})
    dest = tmp_path / "kube-scheduler.yaml"
    result = harness.run({"content": pods["kube-scheduler.yaml"], "dest": str(dest), "validate": "pod",
                          "kubernetes_version": reference})
    assert not result.get("failed"), result
    assert result["validation"] == f"kubernetes-validate schema {schema} (strict)"
    assert yaml.safe_load(dest.read_text())["spec"]["containers"][0]["image"] == (
        f"registry.k8s.io/kube-scheduler:{'v1.37.2' if reference.endswith('v1.37.2') else 'v1.36.3'}")


def test_a_reference_to_a_version_the_profile_does_not_pin_fails_on_the_controller(tmp_path: Path,
                                                                                   harness: Harness) -> None:
    with pytest.raises(AnsibleActionFail, match=r"kubernetes_version: Kubernetes v1\.34\.2 is not pinned in profile "
                                                r"modern; pinned versions: v1\.36\.3, v1\.37\.2"):
        harness.run({"content": kubelet_configuration({}), "dest": str(tmp_path / "config.yaml"),
                     "validate": "kubelet_configuration", "kubernetes_version": "modern@v1.34.2"})
    assert harness.sent == []


def test_a_kubelet_configuration_is_checked_against_the_referenced_version(tmp_path: Path, harness: Harness) -> None:
    config = {**kubelet_configuration({}, "modern@v1.36.3"), "defaultPodSysctls": {"net.ipv4.ip_forward": "1"}}
    refused = harness.run({"content": config, "dest": str(tmp_path / "old.yaml"), "validate": "kubelet_configuration",
                           "kubernetes_version": "modern@v1.36.3"})
    assert refused["failed"] is True and refused["validation_errors"] == [
        "defaultPodSysctls: Kubernetes v1.36.3 has no such KubeletConfiguration field (added in 1.37)"]
    written = harness.run({"content": config, "dest": str(tmp_path / "new.yaml"), "validate": "kubelet_configuration",
                           "kubernetes_version": "modern"})
    assert not written.get("failed") and written["changed"] is True


@needs_schemas
def test_the_seed_pod_goes_to_master_json(tmp_path: Path, harness: Harness) -> None:
    pod = control_plane_pods("seed")["master.json"]
    dest = tmp_path / "master.json"
    result = harness.run({"content": pod, "dest": str(dest), "validate": "pod", "kubernetes_version": "seed",
                          "mode": "0644"})
    assert result["validation"] == "kubernetes-validate schema v1.25.0 (strict)"
    assert result["format"] == "json" and json.loads(dest.read_text()) == pod


@needs_schemas
def test_an_invalid_pod_fails_before_the_host_is_touched(tmp_path: Path, harness: Harness) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"containers": [{"image": "x", "ports": [{"containerPort": "abc"}]}], "hostNetwrok": True}}
    dest = tmp_path / "x.yaml"
    result = harness.run({"content": pod, "dest": str(dest), "validate": "pod"})
    assert result["failed"] is True and result["changed"] is False
    assert result["validation_errors"] == [
        "spec: Additional properties are not allowed ('hostNetwrok' was unexpected)",
        "spec.containers[0]: 'name' is a required property",
        "spec.containers[0].ports[0].containerPort: 'abc' is not of type 'integer'",
    ]
    assert "3 error(s)" in result["msg"] and "nothing was written" in result["msg"]
    assert harness.sent == [] and not dest.exists()


@pytest.mark.parametrize(
    ("validate", "content", "expected"),
    [
        ("kubelet_configuration", {**kubelet_configuration({}), "readOnlyPort": "0"},
         "readOnlyPort: '0' is not of type 'integer'"),
        ("kubeconfig", {"apiVersion": "v1", "kind": "Config", "current-context": "x"},
         "current-context: 'x' names no entry of contexts"),
        ("kube_proxy_configuration", {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
                                      "kind": "KubeProxyConfiguration", "mode": 1}, "mode: 1 is not of type"),
    ],
)
def test_structural_validations_fail_before_the_host(tmp_path: Path, harness: Harness, validate: str,
                                                     content: dict[str, Any], expected: str) -> None:
    result = harness.run({"content": content, "dest": str(tmp_path / "f.yaml"), "validate": validate})
    assert result["failed"] is True
    assert any(error.startswith(expected) for error in result["validation_errors"]), result["validation_errors"]
    assert harness.sent == []


def test_check_mode_through_the_action(tmp_path: Path, module_runner: Any) -> None:
    harness = Harness(module_runner, check_mode=True)
    config = kubeconfig("kubernetes", "https://10.0.0.5:6443", "/etc/kubernetes/pki/ca.crt", "/a.crt", "/a.key",
                        "system:kube-scheduler")
    dest = tmp_path / "scheduler.conf"
    result = harness.run({"content": config, "dest": str(dest), "validate": "kubeconfig"})
    assert result["changed"] is True and result["diff"]["after"] == render(config, "yaml")
    assert not dest.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"mode": "a+r"}, "mode 'a+r' is not an octal mode"),
        ({"content": {"when": object()}}, "content is not JSON-serialisable data"),
    ],
)
def test_bad_arguments_fail_on_the_controller(tmp_path: Path, harness: Harness, args: dict[str, Any],
                                              expected: str) -> None:
    with pytest.raises(AnsibleActionFail, match=re.escape(expected)):
        harness.run({"content": {"a": 1}, "dest": str(tmp_path / "f.yaml"), **args})
    assert harness.sent == []


def test_an_unknown_validation_is_refused_by_the_argument_spec(tmp_path: Path, harness: Harness) -> None:
    with pytest.raises(AnsibleActionFail, match="validate"):
        harness.run({"content": {"a": 1}, "dest": str(tmp_path / "f.yaml"), "validate": "deployment"})


def test_rendering_is_deterministic() -> None:
    data = {"b": [3, {"y": 1, "x": "a long string " * 20}], "a": True}
    assert render(data, "yaml") == render(json.loads(json.dumps(data)), "yaml")
    assert render(data, "yaml").splitlines()[0] == "a: true"
    assert len(render(data, "yaml").splitlines()) == 5  # long strings are not folded
    assert render(data, "json") == json.dumps(data, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(None, "v1.37.2"), ("seed", "v1.1.8"), ("v1.30.1", "v1.30.1"), ("modern", "v1.37.2"),
     ("modern@v1.36.3", "v1.36.3"), ("modern@1.37.2", "v1.37.2")],
)
def test_kubernetes_version(requested: str | None, expected: str) -> None:
    assert kubernetes_version(requested) == expected


@needs_schemas
def test_several_files_are_validated_together_and_written_in_one_module_run(tmp_path: Path,
                                                                           harness: Harness) -> None:
    """`files`: every file is checked before any is written, and the host gets them in one module run."""
    pods = control_plane_pods("modern", {"advertise_address": "10.0.0.5"})
    config = kubelet_configuration({})
    files = [{"content": pod, "dest": str(tmp_path / name), "validate": "pod"} for name, pod in pods.items()]
    files.append({"content": config, "dest": str(tmp_path / "config.yaml"), "validate": "kubelet_configuration",
                  "mode": "0644"})
    broken = {**pods["kube-scheduler.yaml"], "spec": {**pods["kube-scheduler.yaml"]["spec"], "hostNetwork": "yes"}}
    refused = harness.run({"files": [*files[:-1], {**files[1], "content": broken}], "kubernetes_version": "modern"})
    assert refused["failed"] is True and harness.sent == []
    assert [error.split(": ")[0] for error in refused["validation_errors"]] == [str(tmp_path / "kube-controller-manager"
                                                                                 ".yaml")]
    assert not list(tmp_path.iterdir())

    written = harness.run({"files": files, "kubernetes_version": "modern"})
    assert not written.get("failed") and written["changed"] is True
    (sent,) = harness.sent
    assert [item["dest"] for item in sent["files"]] == [item["dest"] for item in files]
    assert [result["reason"] for result in written["files"]] == ["created"] * 4
    assert yaml.safe_load((tmp_path / "config.yaml").read_text()) == config
    assert oct((tmp_path / "config.yaml").stat().st_mode & 0o777) == "0o644"
    assert oct((tmp_path / "kube-apiserver.yaml").stat().st_mode & 0o777) == "0o600"

    (tmp_path / "kube-scheduler.yaml").write_text(json.dumps(pods["kube-scheduler.yaml"]))  # same data, other form
    again = harness.run({"files": files, "kubernetes_version": "modern"})
    assert again["changed"] is False
    assert [result["reason"] for result in again["files"]] == [
        "unchanged", "unchanged", "equal content, other formatting", "unchanged"]


def test_several_files_in_check_mode_report_each_and_write_none(tmp_path: Path, module_runner: Any) -> None:
    harness = Harness(module_runner, check_mode=True)
    (tmp_path / "a.yaml").write_text(render({"a": 1}, "yaml"))
    (tmp_path / "a.yaml").chmod(0o600)
    result = harness.run({"files": [{"content": {"a": 1}, "dest": str(tmp_path / "a.yaml")},
                                    {"content": {"b": 2}, "dest": str(tmp_path / "b.yaml")}]})
    assert result["changed"] is True
    assert [(item["changed"], item["reason"]) for item in result["files"]] == [(False, "unchanged"), (True, "created")]
    assert [diff["after"] for diff in result["diff"]] == [render({"a": 1}, "yaml"), render({"b": 2}, "yaml")]
    assert not (tmp_path / "b.yaml").exists()


@pytest.mark.parametrize("args", [{"content": {"a": 1}}, {"files": [], "content": {"a": 1}, "dest": "/x.yaml"}, {}])
def test_one_file_or_a_list_of_files_not_both(tmp_path: Path, harness: Harness, args: dict[str, Any]) -> None:
    with pytest.raises(AnsibleActionFail):
        harness.run(args)
    assert harness.sent == []

"""curtain.kube.refuse: a role's preflight verdict in one task on the controller; the problems fail it, every one
named, and without any the warnings are the task's own."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from ansible_collections.curtain.kube.plugins.action.refuse import ActionModule


def run(args: dict[str, Any]) -> dict[str, Any]:
    task = mock.MagicMock(args=args, async_val=0, check_mode=False, action="curtain.kube.refuse")
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None)
    action._execute_module = mock.Mock(side_effect=AssertionError("no module runs"))  # type: ignore[method-assign]
    return action.run(task_vars={})


def test_problems_fail_naming_each_one_and_no_warning_is_passed_on() -> None:
    result = run({"problems": ["port 6443 is in use by nginx (pid 7).", "cgroup v1."], "warnings": ["old flag"]})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == "port 6443 is in use by nginx (pid 7). cgroup v1."
    assert result["problems"] == ["port 6443 is in use by nginx (pid 7).", "cgroup v1."]
    assert "warnings" not in result


@pytest.mark.parametrize(("args", "warnings"), [
    ({"warnings": ["an even number of members"]}, ["an even number of members"]),
    ({"problems": [], "warnings": []}, None),
    ({}, None),
])
def test_without_problems_the_task_passes_with_the_warnings(args: dict[str, Any], warnings: list | None) -> None:
    result = run(args)
    assert not result.get("failed") and result["changed"] is False
    assert result.get("warnings") == warnings

"""pki_check's action: its input is checked before anything is looked at, and it names what is pending."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

from ansible_collections.curtain.kube.plugins.action.pki_check import ActionModule
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import cluster_authorities, kube_proxy_certificate


def run(args: dict[str, Any]) -> dict[str, Any]:
    task = mock.MagicMock(args=args, async_val=0, check_mode=False, action="curtain.kube.pki_check")
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None)
    return action.run(task_vars={})


def test_an_authority_without_its_fields_fails_before_any_look(tmp_path: Path) -> None:
    ca, _, sa = cluster_authorities(str(tmp_path))
    result = run({"authorities": [{**ca, "common_name": ""}, {**sa, "key_type": "DSA"}]})
    assert result["failed"] is True
    assert result["msg"] == "pki_check: ca lacks common_name; sa: key_type is not EC or RSA"


def test_nothing_made_yet_makes_everything_pending(tmp_path: Path) -> None:
    result = run({"authorities": cluster_authorities(str(tmp_path)),
                  "certificates": kube_proxy_certificate(str(tmp_path))})
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["authorities_pending"] == ["ca", "front-proxy-ca", "sa"]
    assert result["pending"] == ["kube-proxy"] and result["problems"] == {"kube-proxy": "its CA (ca) is pending"}
    assert result["authority_problems"]["sa"] == f"{tmp_path}/sa.key does not exist"

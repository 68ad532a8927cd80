"""curtain.kube.pki's action: its input is checked before anything is looked at or made. What it makes, with the
real community.crypto, is in tests/unit/plugins/module_utils/test_pki_check.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

from ansible_collections.curtain.kube.plugins.action.pki import ActionModule
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import cluster_authorities, kube_proxy_certificate


def run(args: dict[str, Any]) -> dict[str, Any]:
    task = mock.MagicMock(args=args, async_val=0, check_mode=False, action="curtain.kube.pki")
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None)
    return action.run(task_vars={})


def test_an_authority_without_its_fields_fails_before_any_look(tmp_path: Path) -> None:
    ca, _, sa = cluster_authorities(str(tmp_path))
    result = run({"authorities": [{**ca, "common_name": ""}, {**sa, "key_type": "DSA"}]})
    assert result["failed"] is True
    assert result["msg"] == "pki: ca lacks common_name; sa: key_type is not EC or RSA"


def test_a_certificate_without_its_signer_s_key_fails_before_anything_is_made(tmp_path: Path) -> None:
    certificate = {**kube_proxy_certificate(str(tmp_path))[0], "signer_key": ""}
    result = run({"directory": str(tmp_path / "new"), "certificates": [certificate]})
    assert result["failed"] is True
    assert result["msg"] == "pki: kube-proxy lacks signer_key"
    assert not (tmp_path / "new").exists()

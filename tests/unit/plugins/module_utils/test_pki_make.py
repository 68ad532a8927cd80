"""pki_make: which community.crypto runs make a pending CA, key pair or certificate, with which arguments, in which
order. That community.crypto makes from them what pki_check calls current is test_pki_check.py's (real runs)."""

from __future__ import annotations

from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import cluster_authorities, kube_proxy_certificate
from ansible_collections.curtain.kube.plugins.module_utils.pki import etcd_member_certificates
from ansible_collections.curtain.kube.plugins.module_utils.pki_make import (
    CERTIFICATE,
    PRIVATE_KEY,
    PUBLIC_KEY,
    SIGNING_REQUEST,
    steps,
)

DAYS = {"authority_days": 3650, "certificate_days": 365}


def modules(item: list) -> list[str]:
    return [step.module for step in item]


def test_only_what_is_pending_is_made_the_authorities_first() -> None:
    authorities = cluster_authorities("/pki")
    certificate = kube_proxy_certificate("/pki")
    plan = steps(authorities, certificate, ["sa", "ca"], ["kube-proxy"], renew=False, **DAYS)
    assert [item[0].name for item in plan] == ["ca", "sa", "kube-proxy"]
    assert steps(authorities, certificate, [], [], renew=False, **DAYS) == []


def test_a_ca_is_a_key_a_signing_request_and_a_self_signed_certificate() -> None:
    ca = cluster_authorities("/pki")[0]
    (item,) = steps([ca], [], ["ca"], [], renew=False, **DAYS)
    assert modules(item) == [PRIVATE_KEY, SIGNING_REQUEST, CERTIFICATE]
    key, request, certificate = item
    assert key.args == {"path": "/pki/ca.key", "type": "ECC", "curve": "secp256r1", "mode": "0600"}
    assert request.args["basic_constraints"] == ["CA:TRUE"] and request.args["key_usage_critical"] is True
    assert request.needs == ("/pki/ca.key",) and request.makes == ()
    assert certificate.makes == ("/pki/ca.crt",)
    assert certificate.args == {"path": "/pki/ca.crt", "privatekey_path": "/pki/ca.key", "provider": "selfsigned",
                                "selfsigned_not_after": "+3650d", "mode": "0644"}


def test_the_service_account_key_pair_is_an_rsa_key_and_its_public_key() -> None:
    sa = cluster_authorities("/pki")[2]
    (item,) = steps([sa], [], ["sa"], [], renew=False, **DAYS)
    assert modules(item) == [PRIVATE_KEY, PUBLIC_KEY]
    assert item[0].args == {"path": "/pki/sa.key", "type": "RSA", "size": 2048, "mode": "0600"}
    assert item[1].args == {"path": "/pki/sa.pub", "privatekey_path": "/pki/sa.key", "mode": "0644"}


def test_a_certificate_is_signed_by_its_ca_and_a_renewal_forces_it() -> None:
    server = etcd_member_certificates({"name": "etcd-a", "address": "10.0.0.1"}, "a", "/pki/etcd")[0]
    (item,) = steps([], [server], [], ["server"], renew=True, **DAYS)
    assert modules(item) == [PRIVATE_KEY, SIGNING_REQUEST, CERTIFICATE]
    request, certificate = item[1].args, item[2]
    assert request == {"privatekey_path": "/pki/etcd/a-server.key", "common_name": "etcd-a-server",
                       "use_common_name_for_san": False, "extended_key_usage": ["serverAuth", "clientAuth"],
                       "key_usage": ["digitalSignature", "keyEncipherment"],
                       "subject_alt_name": ["IP:10.0.0.1", "IP:127.0.0.1", "DNS:localhost", "DNS:a", "DNS:etcd-a"]}
    assert certificate.needs == ("/pki/etcd/ca.crt", "/pki/etcd/ca.key")
    assert certificate.args["force"] is True and certificate.args["ownca_not_after"] == "+365d"


def test_a_certificate_with_an_organization_and_without_names_asks_for_exactly_that() -> None:
    kube_proxy = {**kube_proxy_certificate("/pki")[0], "organizations": ["system:nodes", "other"]}
    (item,) = steps([], [kube_proxy], [], ["kube-proxy"], renew=False, **DAYS)
    assert item[1].args["organization_name"] == "system:nodes"
    assert "subject_alt_name" not in item[1].args

# Copyright: curtain contributors
# Apache License 2.0
"""The community.crypto module runs that make what pki_check found pending, in their order.

curtain.kube.pki (plugins/action/pki.py) runs them on the controller in one task, where each role ran one task per
kind of step (keys, signing requests, certificates), each looping over the CAs or the certificates: on a re-run
eleven tasks in the master role found nothing to do. The arguments are the ones those tasks gave community.crypto.

An item's steps go in order: its key, then (a key pair) its public key, or (a CA or a certificate) a signing request
whose PEM the next step signs. Each step names the files it reads (`needs`) and writes (`makes`): in check mode
nothing is written, so a step whose files do not exist yet, or come from a step that would change them, or whose
directory is not made yet, cannot run, and what it would make is left pending (the action's `incomplete`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PRIVATE_KEY = "community.crypto.openssl_privatekey"
PUBLIC_KEY = "community.crypto.openssl_publickey"
SIGNING_REQUEST = "community.crypto.openssl_csr_pipe"
CERTIFICATE = "community.crypto.x509_certificate"
# The key usages of the CAs' and of the leaf certificates' signing requests (pki_check looks for exactly these).
CA_KEY_USAGES = ["keyCertSign", "cRLSign", "digitalSignature"]
LEAF_KEY_USAGES = ["digitalSignature", "keyEncipherment"]


@dataclass(frozen=True)
class Step:
    """One community.crypto module run for the item `name`. `makes` are the files it writes; `needs` those it reads.
    A CERTIFICATE step signs the PEM of the SIGNING_REQUEST step before it (csr_content); a signing request is made
    in memory and only feeds it, so its change is no change."""

    name: str
    module: str
    args: dict[str, Any]
    makes: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


def _key_step(name: str, path: str, key_type: str) -> Step:
    size = {"type": "RSA", "size": 2048} if key_type == "RSA" else {"type": "ECC", "curve": "secp256r1"}
    return Step(name, PRIVATE_KEY, {"path": path, **size, "mode": "0600"}, makes=(path,))


def authority_steps(authority: Mapping[str, Any], days: int) -> list[Step]:
    """A CA (self-signed, CA:TRUE) or a key pair without a certificate (the service-account key and its public
    key), as pki_check's authorities give them: name, key, key_type, and cert and common_name or public_key."""
    name, key = authority["name"], authority["key"]
    steps = [_key_step(name, key, authority["key_type"])]
    if authority.get("public_key"):
        steps.append(Step(name, PUBLIC_KEY, {"path": authority["public_key"], "privatekey_path": key, "mode": "0644"},
                          makes=(authority["public_key"],), needs=(key,)))
    if authority.get("cert"):
        steps.append(Step(name, SIGNING_REQUEST, {
            "privatekey_path": key, "common_name": authority["common_name"], "use_common_name_for_san": False,
            "basic_constraints": ["CA:TRUE"], "basic_constraints_critical": True,
            "key_usage": CA_KEY_USAGES, "key_usage_critical": True}, needs=(key,)))
        steps.append(Step(name, CERTIFICATE, {
            "path": authority["cert"], "privatekey_path": key, "provider": "selfsigned",
            "selfsigned_not_after": f"+{days}d", "mode": "0644"}, makes=(authority["cert"],), needs=(key,)))
    return steps


def certificate_steps(certificate: Mapping[str, Any], days: int, renew: bool) -> list[Step]:
    """A certificate signed by its CA (signer_cert, signer_key), as the roles' plans give it: name, common_name,
    organizations (the first is the subject's O), subject_alt_names, usages (extended), key, cert. `renew` signs it
    anew even when it is current."""
    name, key = certificate["name"], certificate["key"]
    request = {"privatekey_path": key, "common_name": certificate["common_name"], "use_common_name_for_san": False,
               "extended_key_usage": list(certificate["usages"]), "key_usage": LEAF_KEY_USAGES}
    if certificate.get("organizations"):
        request["organization_name"] = certificate["organizations"][0]
    if certificate.get("subject_alt_names"):
        request["subject_alt_name"] = list(certificate["subject_alt_names"])
    signers = (certificate["signer_cert"], certificate["signer_key"])
    return [
        _key_step(name, key, "EC"),
        Step(name, SIGNING_REQUEST, request, needs=(key,)),
        Step(name, CERTIFICATE, {
            "path": certificate["cert"], "provider": "ownca", "ownca_path": signers[0],
            "ownca_privatekey_path": signers[1], "ownca_not_after": f"+{days}d", "force": renew, "mode": "0644"},
            makes=(certificate["cert"],), needs=signers),
    ]


def steps(authorities: Iterable[Mapping[str, Any]], certificates: Iterable[Mapping[str, Any]],
          pending_authorities: Iterable[str], pending_certificates: Iterable[str], *, authority_days: int,
          certificate_days: int, renew: bool) -> list[list[Step]]:
    """Each pending item's steps, the authorities first (the certificates are signed by them), in the order given."""
    pending_authorities, pending_certificates = set(pending_authorities), set(pending_certificates)
    return ([authority_steps(entry, authority_days) for entry in authorities if entry["name"] in pending_authorities]
            + [certificate_steps(entry, certificate_days, renew) for entry in certificates
               if entry["name"] in pending_certificates])

# Copyright: curtain contributors
# Apache License 2.0
"""Which of a host's certificates on the controller need community.crypto, before it runs.

Making a key, a signing request and a certificate costs three community.crypto module runs per certificate, a
master has nine, and on a re-run each of the 27 finds nothing to do. This looks at all of them in one go and names
the ones that need work; curtain.kube.pki (plugins/action/pki.py) then runs community.crypto for those only
(module_utils/pki_make.py), and community.crypto still decides what to change. So the look must never call a
certificate current that community.crypto would change: it is current only when all of these hold, and anything it
cannot read makes it pending.

- the key: there, mode 0600, an EC P-256 key (what the role makes);
- the certificate: there, mode 0644, for that key, with exactly the subject (CN, O), subject alternative names,
  extended key usages and key usages asked for, issued and signed by the signer's certificate, not expired.

The same holds for the authorities the roles make first (`authority_problem`): a CA's key (EC P-256) and
self-signed certificate (CA:TRUE and the CA key usages, both critical, as the roles' signing requests ask), and the
service-account key pair (RSA 2048 and its public key). A certificate whose CA is pending is pending too: the CA
may be made anew, and then the certificate must be signed again.

Controller side only: it needs the `cryptography` package, which community.crypto needs there too.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import stat
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_MODE = 0o600
CERT_MODE = 0o644
EXTENDED_USAGES = {"serverAuth": ExtendedKeyUsageOID.SERVER_AUTH, "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH}
# The key usages the certificates' signing requests ask for (pki_make.LEAF_KEY_USAGES, as cryptography names them).
KEY_USAGES = {"digital_signature", "key_encipherment"}
# The key usages of the CAs' signing requests (pki_make.CA_KEY_USAGES, as cryptography names them).
CA_KEY_USAGES = {"key_cert_sign", "crl_sign", "digital_signature"}
# Added by community.crypto itself, not asked for in a signing request.
_IDENTIFIER_EXTENSIONS = (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)
RSA_KEY_SIZE = 2048
_KEY_USAGE_FLAGS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                    "key_agreement", "key_cert_sign", "crl_sign")


def _mode_problem(path: str, wanted: int) -> str | None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return f"{path} does not exist"
    return None if mode == wanted else f"{path} has mode {mode:04o}, not {wanted:04o}"


def _san_entries(certificate: x509.Certificate) -> set[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    entries = {f"DNS:{name.lower()}" for name in extension.get_values_for_type(x509.DNSName)}
    return entries | {f"IP:{address}" for address in extension.get_values_for_type(x509.IPAddress)}


def _wanted_sans(names: list[str]) -> set[str]:
    wanted = set()
    for entry in names:
        kind, _, value = entry.partition(":")
        wanted.add(f"IP:{ipaddress.ip_address(value)}" if kind == "IP" else f"DNS:{value.lower()}")
    return wanted


def _extended_usages(certificate: x509.Certificate) -> set[Any]:
    try:
        return set(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return set()


def _key_usages(certificate: x509.Certificate) -> set[str]:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return set()
    return {flag for flag in _KEY_USAGE_FLAGS if getattr(usage, flag)}


def _subject(certificate: x509.Certificate) -> set[tuple[str, str]]:
    return {(attribute.oid.dotted_string, str(attribute.value)) for attribute in certificate.subject}


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _key_type_problem(key: Any, key_type: str) -> str | None:
    if key_type == "RSA":
        wanted = isinstance(key, rsa.RSAPrivateKey) and key.key_size == RSA_KEY_SIZE
        return None if wanted else f"the key is not an RSA {RSA_KEY_SIZE} key"
    wanted = isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    return None if wanted else "the key is not an EC P-256 key"


def _public_der(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _not_expired(certificate: x509.Certificate, now: datetime.datetime | None) -> bool:
    return certificate.not_valid_after_utc > (now or datetime.datetime.now(datetime.UTC))


def _signature_problem(certificate: x509.Certificate, signer: x509.Certificate, other_issuer: str,
                       bad_signature: str) -> str | None:
    """None when `signer` (the certificate itself for a CA) issued and signed `certificate`."""
    if certificate.issuer != signer.subject:
        return other_issuer
    try:
        certificate.verify_directly_issued_by(signer)
    except Exception as error:  # InvalidSignature and friends: any failure means "not signed by it"
        return f"{bad_signature}: {error.__class__.__name__}"
    return None


def problem(spec: Mapping[str, Any], key_path: str, cert_path: str, signer_cert_path: str,
            now: datetime.datetime | None = None) -> str | None:
    """Why the certificate of `spec` (kube_pki.control_plane_certificates) needs community.crypto, or None."""
    for path, mode in ((key_path, KEY_MODE), (cert_path, CERT_MODE)):
        found = _mode_problem(path, mode)
        if found:
            return found
    try:
        key = serialization.load_pem_private_key(_read(key_path), password=None)
        certificate = x509.load_pem_x509_certificate(_read(cert_path))
        signer = x509.load_pem_x509_certificate(_read(signer_cert_path))
    except (OSError, ValueError, TypeError) as error:
        return f"cannot read it: {error}"
    wrong_key = _key_type_problem(key, "EC")
    if wrong_key:
        return wrong_key
    if _public_der(certificate.public_key()) != _public_der(key.public_key()):
        return "the certificate is not for this key"
    subject = {(NameOID.COMMON_NAME.dotted_string, spec["common_name"])}
    subject |= {(NameOID.ORGANIZATION_NAME.dotted_string, name) for name in spec.get("organizations", [])[:1]}
    if _subject(certificate) != subject:
        return "another subject"
    if _san_entries(certificate) != _wanted_sans(spec.get("subject_alt_names", [])):
        return "other subject alternative names"
    if _extended_usages(certificate) != {EXTENDED_USAGES[usage] for usage in spec.get("usages", [])}:
        return "other extended key usages"
    if _key_usages(certificate) != KEY_USAGES:
        return "other key usages"
    signed = _signature_problem(certificate, signer, "issued by another CA", "not signed by its CA")
    if signed:
        return signed
    if not _not_expired(certificate, now):
        return "expired"
    return None


def _ca_extensions_problem(certificate: x509.Certificate) -> str | None:
    """None when the extensions are exactly those of the roles' CA signing requests (and the key identifiers)."""
    asked = {}
    for extension in certificate.extensions:
        if not isinstance(extension.value, _IDENTIFIER_EXTENSIONS):
            asked[type(extension.value)] = extension
    constraints, usage = asked.pop(x509.BasicConstraints, None), asked.pop(x509.KeyUsage, None)
    if asked:
        return "other extensions: " + ", ".join(sorted(kind.__name__ for kind in asked))
    if not (constraints and constraints.critical and constraints.value.ca and constraints.value.path_length is None):
        return "not a CA (CA:TRUE, critical)"
    if not (usage and usage.critical and {flag for flag in _KEY_USAGE_FLAGS if getattr(usage.value, flag)}
            == CA_KEY_USAGES):
        return "other key usages"
    return None


def authority_problem(spec: Mapping[str, Any], now: datetime.datetime | None = None) -> str | None:
    """Why the authority of `spec` needs community.crypto, or None. `spec`: name; key and key_type (EC or RSA); for
    a CA its certificate (cert, common_name); for the service-account key pair its public key (public_key)."""
    public_files = [spec[field] for field in ("cert", "public_key") if spec.get(field)]
    for path, mode in [(spec["key"], KEY_MODE)] + [(path, CERT_MODE) for path in public_files]:
        found = _mode_problem(path, mode)
        if found:
            return found
    try:
        key = serialization.load_pem_private_key(_read(spec["key"]), password=None)
        public_key = serialization.load_pem_public_key(_read(spec["public_key"])) if spec.get("public_key") else None
        certificate = x509.load_pem_x509_certificate(_read(spec["cert"])) if spec.get("cert") else None
    except (OSError, ValueError, TypeError) as error:
        return f"cannot read it: {error}"
    wrong_key = _key_type_problem(key, spec["key_type"])
    if wrong_key:
        return wrong_key
    if public_key is not None and _public_der(public_key) != _public_der(key.public_key()):
        return "the public key is not this key's"
    if certificate is None:
        return None
    if _public_der(certificate.public_key()) != _public_der(key.public_key()):
        return "the certificate is not for this key"
    if _subject(certificate) != {(NameOID.COMMON_NAME.dotted_string, spec["common_name"])}:
        return "another subject"
    signed = _signature_problem(certificate, certificate, "not self-signed", "not self-signed")
    if signed:
        return signed
    extensions = _ca_extensions_problem(certificate)
    if extensions:
        return extensions
    if not _not_expired(certificate, now):
        return "expired"
    return None


def look(authorities: list[Mapping[str, Any]], certificates: list[Mapping[str, Any]],
         renew: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """({authority: why}, {certificate: why}) for those that need community.crypto, in the order given. A certificate
    signed by a pending CA is pending as well; `renew` makes every certificate pending (not the authorities: a
    renewal keeps the CAs). Each certificate is a spec with its paths: key, cert, signer_cert."""
    authority_problems = {}
    for entry in authorities:
        why = authority_problem(entry)
        if why:
            authority_problems[entry["name"]] = why
    pending_signers = {os.path.normpath(entry["cert"]): entry["name"] for entry in authorities
                       if entry["name"] in authority_problems and entry.get("cert")}
    certificate_problems = {}
    for entry in certificates:
        signer = pending_signers.get(os.path.normpath(entry["signer_cert"]))
        why = (f"its CA ({signer}) is pending" if signer else "renewal asked for" if renew
               else problem(entry, entry["key"], entry["cert"], entry["signer_cert"]))
        if why:
            certificate_problems[entry["name"]] = why
    return authority_problems, certificate_problems


def pending(certificates: list[Mapping[str, Any]], renew: bool = False) -> dict[str, str]:
    """{name: why} for each certificate that needs community.crypto, its CA taken as it is (look, without
    authorities)."""
    return look([], certificates, renew)[1]

# Copyright: curtain contributors
# Apache License 2.0
"""Which of a host's certificates on the controller need community.crypto, before it runs.

Making a key, a signing request and a certificate costs three community.crypto module runs per certificate, a
master has nine, and on a re-run each of the 27 finds nothing to do. This looks at all of them in one go and names
the ones that need work; the role then runs community.crypto for those only, and community.crypto still decides
what to change. So the look must never call a certificate current that community.crypto would change: it is
current only when all of these hold, and anything it cannot read makes it pending.

- the key: there, mode 0600, an EC P-256 key (what the role makes);
- the certificate: there, mode 0644, for that key, with exactly the subject (CN, O), subject alternative names,
  extended key usages and key usages asked for, issued and signed by the signer's certificate, not expired.

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
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_MODE = 0o600
CERT_MODE = 0o644
EXTENDED_USAGES = {"serverAuth": ExtendedKeyUsageOID.SERVER_AUTH, "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH}
# The key usages the role's signing requests ask for (roles/hyperkube_master/tasks/pki.yml).
KEY_USAGES = {"digital_signature", "key_encipherment"}
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


def problem(spec: Mapping[str, Any], key_path: str, cert_path: str, signer_cert_path: str,
            now: datetime.datetime | None = None) -> str | None:
    """Why the certificate of `spec` (kube_pki.control_plane_certificates) needs community.crypto, or None."""
    for path, mode in ((key_path, KEY_MODE), (cert_path, CERT_MODE)):
        found = _mode_problem(path, mode)
        if found:
            return found
    try:
        with open(key_path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        with open(cert_path, "rb") as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
        with open(signer_cert_path, "rb") as handle:
            signer = x509.load_pem_x509_certificate(handle.read())
    except (OSError, ValueError, TypeError) as error:
        return f"cannot read it: {error}"
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        return "the key is not an EC P-256 key"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (certificate.public_key().public_bytes(serialization.Encoding.DER, public)
            != key.public_key().public_bytes(serialization.Encoding.DER, public)):
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
    if certificate.issuer != signer.subject:
        return "issued by another CA"
    try:
        certificate.verify_directly_issued_by(signer)
    except Exception as error:  # InvalidSignature and friends: any failure means "not signed by it"
        return f"not signed by its CA: {error.__class__.__name__}"
    now = now or datetime.datetime.now(datetime.UTC)
    if certificate.not_valid_after_utc <= now:
        return "expired"
    return None


def pending(certificates: list[Mapping[str, Any]], renew: bool = False) -> dict[str, str]:
    """{name: why} for each certificate that needs community.crypto; every one when renew is asked for.
    Each entry of `certificates` is a spec with its paths: key, cert, signer_cert."""
    if renew:
        return {entry["name"]: "renewal asked for" for entry in certificates}
    found = {}
    for entry in certificates:
        why = problem(entry, entry["key"], entry["cert"], entry["signer_cert"])
        if why:
            found[entry["name"]] = why
    return found

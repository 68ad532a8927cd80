"""Certificates and keys, checked the way the Go standard library and client-go's cert/keyutil check them.

The reasons read like Go's, so a failing double says what the real binary would have said:
    open /etc/x.crt: no such file or directory
    tls: private key does not match public key
    data does not contain any valid RSA or ECDSA certificates
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_PRIVATE_KEY_TYPES = frozenset({"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"})
_PUBLIC_KEY_TYPES = frozenset({"PUBLIC KEY", "RSA PUBLIC KEY"})


class FileProblem(Exception):
    """A file a flag names is missing or unusable; the message is the reason, worded like Go's."""


def one_line(value: object) -> str:
    """Multi-line parser messages (PyYAML's) folded onto one line, as Go's errors are."""
    return " ".join(str(value).split())


def go_open_error(path: str, error: OSError) -> str:
    """Go's *PathError text for a failed open/read: `open PATH: no such file or directory`."""
    reason = os.strerror(error.errno).lower() if error.errno else str(error)
    if error.errno == errno.EISDIR:
        return f"read {path}: is a directory"
    return f"open {path}: {reason}"


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise FileProblem(go_open_error(path, error)) from None


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """(block type, whole PEM block) for each PEM block in data."""
    return [(match.group(1).decode(), match.group(0)) for match in _PEM_BLOCK.finditer(data)]


def certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle; FileProblem when there is none or one does not parse."""
    found = []
    for block_type, block in pem_blocks(data):
        if block_type != "CERTIFICATE":
            continue
        try:
            found.append(x509.load_pem_x509_certificate(block))
        except ValueError as error:
            raise FileProblem(f"x509: malformed certificate ({error})") from None
    if not found:
        raise FileProblem("data does not contain any valid RSA or ECDSA certificates")
    return found


def private_key(data: bytes) -> object:
    """The first private key in PEM data (PKCS#1, SEC 1 or PKCS#8, unencrypted)."""
    for block_type, block in pem_blocks(data):
        if block_type in _PRIVATE_KEY_TYPES:
            try:
                return serialization.load_pem_private_key(block, password=None)
            except (ValueError, TypeError) as error:
                raise FileProblem(f"tls: failed to parse private key ({error})") from None
    raise FileProblem("data does not contain a valid RSA or ECDSA private key")


def public_keys(data: bytes) -> list[object]:
    """The public keys in PEM data, as keyutil.ParsePublicKeysPEM finds them (public keys, private keys, certs)."""
    found: list[object] = []
    for block_type, block in pem_blocks(data):
        try:
            if block_type in _PUBLIC_KEY_TYPES:
                found.append(serialization.load_pem_public_key(block))
            elif block_type in _PRIVATE_KEY_TYPES:
                found.append(serialization.load_pem_private_key(block, password=None).public_key())  # type: ignore[union-attr]
            elif block_type == "CERTIFICATE":
                found.append(x509.load_pem_x509_certificate(block).public_key())
        except (ValueError, TypeError) as error:
            raise FileProblem(f"failed to parse {block_type.lower()} ({error})") from None
    if not found:
        raise FileProblem("data does not contain any valid RSA or ECDSA public keys")
    return found


def _public_bytes(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_pair(cert_data: bytes, key_data: bytes) -> None:
    """crypto/tls.X509KeyPair's checks: PEM data in both, and the key belongs to the first certificate."""
    if not any(kind == "CERTIFICATE" for kind, _ in pem_blocks(cert_data)):
        raise FileProblem("tls: failed to find any PEM data in certificate input")
    if not any(kind in _PRIVATE_KEY_TYPES for kind, _ in pem_blocks(key_data)):
        raise FileProblem("tls: failed to find any PEM data in key input")
    leaf = certificates(cert_data)[0]
    key = private_key(key_data)
    if _public_bytes(leaf.public_key()) != _public_bytes(key.public_key()):  # type: ignore[attr-defined]
        raise FileProblem("tls: private key does not match public key")


def check_pair_files(cert_path: str, key_path: str) -> None:
    check_pair(read_bytes(cert_path), read_bytes(key_path))


def check_ca_file(path: str) -> None:
    """client-go's cert.NewPool: the file must hold at least one certificate."""
    data = read_bytes(path)
    try:
        certificates(data)
    except FileProblem as problem:
        raise FileProblem(f"error reading {path}: {problem}") from None

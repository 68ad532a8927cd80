"""Real etcd processes on loopback and the TLS material they serve with, for the unit tests of the etcd client and
modules: a free port, the binary, a log to show when it does not come up, stopping whatever was started, and a CA
with server and client certificates.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ETCD_BIN_DIR_VARIABLE = "CURTAIN_ETCD_BIN_DIR"
ETCD_START_TIMEOUT = 20.0

# Faster elections than etcd's defaults (100 ms / 1000 ms), and no fsync: these members live for seconds.
FAST_ETCD_FLAGS: dict[str, Any] = {
    "heartbeat-interval": 50,
    "election-timeout": 500,
    "unsafe-no-fsync": True,
    "log-level": "warn",
}

# Unit-test clusters put member n on 127.0.0.n; the server certificate names the first few of them.
LOOPBACK_SERVER_ADDRESSES = [f"127.0.0.{last}" for last in range(1, 6)]


def free_port() -> int:
    # Bound on every address, so the port is free on whichever 127.x address a member uses.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("0.0.0.0", 0))
        return int(probe.getsockname()[1])


# --- finding etcd ---------------------------------------------------------------------------------------------


def etcd_binary_or_skip() -> Path:
    """The etcd binary from CURTAIN_ETCD_BIN_DIR, else from PATH; skips the test without one."""
    bin_dir = os.environ.get(ETCD_BIN_DIR_VARIABLE)
    if bin_dir:
        candidate = Path(bin_dir) / "etcd"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        # Asked for explicitly but wrong: a silent skip would hide that nothing was tested.
        pytest.fail(f"{ETCD_BIN_DIR_VARIABLE}={bin_dir} holds no executable 'etcd'", pytrace=False)
    on_path = shutil.which("etcd")
    if not on_path:
        pytest.skip(
            f"no etcd binary: set {ETCD_BIN_DIR_VARIABLE} to a directory holding etcd (make unit does: the modern "
            "default's build, `scripts/images etcd-bin-dir`) or put etcd on PATH"
        )
    return Path(on_path)


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Terminates `process` if it runs, and kills it after `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- etcd processes -----------------------------------------------------------------------------------------


@dataclass
class EtcdProcess:
    name: str
    client_url: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class EtcdProcesses:
    """Starts etcd command lines with their output in a log file under `directory`; stops every one it started."""

    binary: Path
    directory: Path
    started: list[EtcdProcess] = field(default_factory=list)

    def fresh_data_dir(self, name: str) -> Path:
        # Numbered, so that a member started again under its old name (after losing its data) gets a new one.
        return self.directory / f"{name}-{len(self.started)}"

    def spawn(self, flags: list[str], *, name: str, client_url: str, data_dir: Path) -> EtcdProcess:
        """Runs etcd with `flags` (the command line without the binary); does not wait for it."""
        log_path = data_dir.with_name(f"{data_dir.name}.log")
        with log_path.open("wb") as log:
            process = subprocess.Popen([str(self.binary), *flags], stdout=log, stderr=subprocess.STDOUT)
        started = EtcdProcess(name, client_url, process, data_dir, log_path)
        self.started.append(started)
        return started

    def wait_healthy(
        self, etcd: EtcdProcess, probe: Callable[[], tuple[bool, str]], timeout: float = ETCD_START_TIMEOUT
    ) -> None:
        """Polls `probe` (healthy, reason) until it says healthy; fails the test with etcd's log otherwise."""
        deadline = time.monotonic() + timeout
        reason = ""
        while time.monotonic() < deadline:
            if etcd.process.poll() is not None:
                pytest.fail(f"etcd {etcd.name} exited:\n{etcd.log_tail()}", pytrace=False)
            healthy, reason = probe()
            if healthy:
                return
            time.sleep(0.1)
        pytest.fail(f"etcd {etcd.name} not healthy after {timeout}s ({reason}):\n{etcd.log_tail()}", pytrace=False)

    def stop_all(self) -> None:
        for etcd in self.started:
            etcd.stop()


# --- TLS material -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFiles:
    cert: str
    key: str


class PkiWriter:
    """A CA, an unrelated second CA (trusting it alone must fail) and what they sign, as PEM files in `directory`.

    Files are written as issued, mode 0600 like the real ones; the certificates are valid from five minutes ago
    for a day.
    """

    def __init__(self, directory: Path, ca_name: str) -> None:
        self.directory = directory
        self._now = datetime.datetime.now(datetime.UTC)
        self._ca = self._self_signed_ca(ca_name)
        self._other_ca = self._self_signed_ca("unrelated CA")
        self.ca = self._write("ca.crt", self._cert_pem(self._ca[1]))
        self.other_ca = self._write("other-ca.crt", self._cert_pem(self._other_ca[1]))

    def server(self, base_name: str, common_name: str) -> CertificateFiles:
        """A serving certificate for localhost and 127.0.0.1-5, also good as a client certificate.

        etcd's gateway and peers dial with the server certificate, and the apiserver uses it towards etcd.
        """
        names: list[x509.GeneralName] = [x509.DNSName("localhost")]
        names += [x509.IPAddress(ipaddress.ip_address(address)) for address in LOOPBACK_SERVER_ADDRESSES]
        return self._leaf(
            base_name,
            self._name(common_name),
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            alternative_names=names,
        )

    def client(
        self, base_name: str, common_name: str, organization: str = "", *, by_other_ca: bool = False
    ) -> CertificateFiles:
        """A client certificate (Kubernetes reads the user from CN, the groups from O)."""
        return self._leaf(
            base_name,
            self._name(common_name, organization),
            [ExtendedKeyUsageOID.CLIENT_AUTH],
            issuer=self._other_ca if by_other_ca else self._ca,
        )

    def key_pair(self, base_name: str) -> tuple[str, str]:
        """A bare key pair (no certificate), e.g. a service account signing key: (private key, public key) files."""
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return self._write(f"{base_name}.key", self._key_pem(key)), self._write(f"{base_name}.pub", public)

    # --- building blocks ----------------------------------------------------------------------------------------

    @staticmethod
    def _name(common_name: str, organization: str = "") -> x509.Name:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organization:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        return x509.Name(attributes)

    def _builder(self, subject: x509.Name, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - datetime.timedelta(minutes=5))
            .not_valid_after(self._now + datetime.timedelta(days=1))
        )

    def _self_signed_ca(self, common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = self._name(common_name)
        cert = (
            self._builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                    key_encipherment=False, data_encipherment=False, key_agreement=False,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return key, cert

    def _leaf(
        self,
        base_name: str,
        subject: x509.Name,
        usages: list[x509.ObjectIdentifier],
        *,
        issuer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None,
        alternative_names: list[x509.GeneralName] | None = None,
    ) -> CertificateFiles:
        issuer_key, issuer_cert = issuer or self._ca
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            self._builder(subject, issuer_cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        )
        if alternative_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        cert = builder.sign(issuer_key, hashes.SHA256())
        return CertificateFiles(
            cert=self._write(f"{base_name}.crt", self._cert_pem(cert)),
            key=self._write(f"{base_name}.key", self._key_pem(key)),
        )

    @staticmethod
    def _cert_pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    @staticmethod
    def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def _write(self, file_name: str, data: bytes) -> str:
        path = self.directory / file_name
        path.write_bytes(data)
        path.chmod(0o600)
        return str(path)

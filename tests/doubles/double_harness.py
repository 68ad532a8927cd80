"""What the contract double's tests share: running the built double, TLS material, real etcd processes.

A module of its own (not conftest.py) so that test modules can import it by a name no other test directory uses.
The double runs as it ships: the standalone binaries `tests/doubles/build binaries` writes, with the pinned Python
dependencies on PYTHONPATH. etcd is the real binary, on loopback, started and stopped, and the TLS material (for the
file checks) made, by tests/support/etcd_processes.py, which tests/unit/plugins/conftest.py uses as well.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.etcd_processes import FAST_ETCD_FLAGS, EtcdProcess, EtcdProcesses, PkiWriter, flag_args, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEED = "v1.1.8"  # the one version the double is built for
START_TIMEOUT = 20.0


def _import_shared_modules() -> None:
    """The doubles import kube_flags, kube_flagsets (with its generated kube_flagsets_modern) and kube_profiles as
    top-level modules, as in their zip."""
    for name in ("kube_flagsets_modern", "kube_flagsets", "kube_profiles", "kube_flags"):
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, ROOT / "plugins" / "module_utils" / f"{name}.py")
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))


_import_shared_modules()


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
    """Certificates and keys for the startup file checks (the 1.1 double serves no TLS)."""

    directory: Path
    ca: str
    server_cert: str  # localhost, 127.0.0.1-5
    server_key: str
    admin_cert: str  # CN=curtain-admin, O=system:masters
    admin_key: str


def make_pki(directory: Path) -> Pki:
    pki = PkiWriter(directory, "curtain doubles test CA")
    server = pki.server("server", "kube-apiserver")
    admin = pki.client("admin", "curtain-admin", "system:masters")
    return Pki(directory=directory, ca=pki.ca, server_cert=server.cert, server_key=server.key, admin_cert=admin.cert,
               admin_key=admin.key)


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


# --- HTTP probes --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def http_get(url: str, *, timeout: float = 3.0) -> Answer | None:
    """GET `url` (plain HTTP); None when nothing answers (refused, timeout)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return Answer(response.status, response.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(errors="replace"))
    except OSError:
        return None


# --- real etcd ------------------------------------------------------------------------------------------------


@dataclass
class EtcdLauncher(EtcdProcesses):
    def start(self, client_port: int, *, enable_v2: bool) -> EtcdProcess:
        """One etcd member on http://127.0.0.1:client_port (1.1 spoke etcd's v2 API: enable_v2)."""
        url = f"http://127.0.0.1:{client_port}"
        data_dir = self.fresh_data_dir("etcd")
        flags: dict[str, Any] = {
            "name": data_dir.name, "data-dir": data_dir, "listen-client-urls": url, "advertise-client-urls": url,
            "listen-peer-urls": f"http://127.0.0.1:{free_port()}", "listen-metrics-urls": "",
            "enable-v2": enable_v2, **FAST_ETCD_FLAGS,
        }
        started = self.spawn(flag_args(flags), name=data_dir.name, client_url=url, data_dir=data_dir)
        self.wait_healthy(started, lambda: self._health(url))
        return started

    def _health(self, url: str) -> tuple[bool, str]:
        answer = http_get(f"{url}/health")
        if answer is None:
            return False, "no answer"
        healthy = answer.status == 200 and '"health":"true"' in answer.body.replace(" ", "")
        return healthy, f"HTTP {answer.status}: {answer.body}"

"""What the contract doubles' tests share: running the built doubles, TLS material, real etcd processes.

A module of its own (not conftest.py) so that test modules can import it by a name no other test directory uses.
The doubles run as they ship: the standalone binaries `tests/doubles/build binaries` writes, with the pinned Python
dependencies on PYTHONPATH. etcd is the real binary, on loopback, started and stopped, and the TLS material made,
by tests/support/etcd_processes.py, which tests/unit/plugins/conftest.py uses as well.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import ssl
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
MODERN = "v1.37.2"  # the modern profile's default version
PREVIOUS = "v1.36.3"  # the older version the modern profile pins (the one an upgrade starts from)
SEED = "v1.1.8"
START_TIMEOUT = 20.0


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
    server_cert: str  # localhost, 127.0.0.1-5: the apiserver's and etcd's serving certificate (also a client cert)
    server_key: str
    admin_cert: str  # CN=curtain-admin, O=system:masters
    admin_key: str
    controller_manager_cert: str  # CN=system:kube-controller-manager
    controller_manager_key: str
    stranger_cert: str  # signed by other_ca
    stranger_key: str
    service_account_key: str
    service_account_pub: str


def make_pki(directory: Path) -> Pki:
    pki = PkiWriter(directory, "curtain doubles test CA")
    server = pki.server("server", "kube-apiserver")
    admin = pki.client("admin", "curtain-admin", "system:masters")
    controller_manager = pki.client("controller-manager", "system:kube-controller-manager")
    stranger = pki.client("stranger", "stranger", "system:masters", by_other_ca=True)
    service_account_key, service_account_pub = pki.key_pair("sa")
    return Pki(
        directory=directory,
        ca=pki.ca,
        other_ca=pki.other_ca,
        server_cert=server.cert,
        server_key=server.key,
        admin_cert=admin.cert,
        admin_key=admin.key,
        controller_manager_cert=controller_manager.cert,
        controller_manager_key=controller_manager.key,
        stranger_cert=stranger.cert,
        stranger_key=stranger.key,
        service_account_key=service_account_key,
        service_account_pub=service_account_pub,
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
class EtcdLauncher(EtcdProcesses):
    pki: Pki = field(kw_only=True)

    def start(self, client_port: int, *, tls: bool, enable_v2: bool = False) -> EtcdProcess:
        """One etcd member on 127.0.0.1:client_port, TLS with client certificate authentication or plain HTTP."""
        scheme = "https" if tls else "http"
        url = f"{scheme}://127.0.0.1:{client_port}"
        data_dir = self.fresh_data_dir("etcd")
        flags: dict[str, Any] = {
            "name": data_dir.name, "data-dir": data_dir, "listen-client-urls": url, "advertise-client-urls": url,
            "listen-peer-urls": f"http://127.0.0.1:{free_port()}", "listen-metrics-urls": "",
            "enable-v2": enable_v2, **FAST_ETCD_FLAGS,
        }
        if tls:
            flags.update({"cert-file": self.pki.server_cert, "key-file": self.pki.server_key,
                          "trusted-ca-file": self.pki.ca, "client-cert-auth": True})
        started = self.spawn(flag_args(flags), name=data_dir.name, client_url=url, data_dir=data_dir)
        self.wait_healthy(started, lambda: self._health(url))
        return started

    def _health(self, url: str) -> tuple[bool, str]:
        answer = http_get(f"{url}/health", ca=self.pki.ca, cert=self.pki.admin_cert, key=self.pki.admin_key)
        if answer is None:
            return False, "no answer"
        healthy = answer.status == 200 and '"health":"true"' in answer.body.replace(" ", "")
        return healthy, f"HTTP {answer.status}: {answer.body}"


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

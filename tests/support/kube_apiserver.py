"""A real kube-apiserver on loopback, over a real etcd, for the unit tests of the controller's API steps
(module_utils/kube_api.py): the binary of the default version's build (make unit passes its directory), TLS from
PkiWriter, an admin kubeconfig (system:masters), and the Node and RBAC authorizers and NodeRestriction, as the
modern profile runs them. No controller-manager runs: a test gives a Node its podCIDR itself.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from ansible_collections.curtain.kube.plugins.module_utils import kube_manifests

from support.etcd_processes import FAST_ETCD_FLAGS, EtcdProcesses, PkiWriter, free_port, stop_process

KUBE_BIN_DIR_VARIABLE = "CURTAIN_KUBE_BIN_DIR"
APISERVER_START_TIMEOUT = 90.0


def kube_apiserver_binary_or_skip() -> Path:
    """kube-apiserver from CURTAIN_KUBE_BIN_DIR; skips the test without the variable."""
    bin_dir = os.environ.get(KUBE_BIN_DIR_VARIABLE)
    if not bin_dir:
        pytest.skip(f"no kube-apiserver: set {KUBE_BIN_DIR_VARIABLE} to a build of the Kubernetes components (make "
                    "unit does: `scripts/build_components.py --print-dir kubernetes-<default version>`)")
    candidate = Path(bin_dir) / "kube-apiserver"
    if not (candidate.is_file() and os.access(candidate, os.X_OK)):
        # Asked for explicitly but wrong: a silent skip would hide that nothing was tested.
        pytest.fail(f"{KUBE_BIN_DIR_VARIABLE}={bin_dir} holds no executable 'kube-apiserver'", pytrace=False)
    return candidate


@dataclass
class KubeApiserver:
    url: str
    kubeconfig: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        stop_process(self.process, grace=15)


def start_kube_apiserver(binary: Path, etcd: EtcdProcesses, directory: Path) -> KubeApiserver:
    """An etcd member and an apiserver on it, both stopped by `etcd.stop_all()` and `.stop()`; waits for /readyz."""
    client_url = f"http://127.0.0.1:{free_port()}"
    data_dir = etcd.fresh_data_dir("apiserver-etcd")
    flags = ["--name=apiserver-etcd", f"--data-dir={data_dir}", f"--listen-client-urls={client_url}",
             f"--advertise-client-urls={client_url}", f"--listen-peer-urls=http://127.0.0.1:{free_port()}",
             *(f"--{name}" if value is True else f"--{name}={value}" for name, value in FAST_ETCD_FLAGS.items())]
    etcd.spawn(flags, name="apiserver-etcd", client_url=client_url, data_dir=data_dir)

    (directory / "pki").mkdir()
    pki = PkiWriter(directory / "pki", "curtain unit test cluster CA")
    serving = pki.server("apiserver", "kube-apiserver")
    admin = pki.client("admin", "curtain-unit-admin", "system:masters")
    service_account_key, service_account_public = pki.key_pair("sa")
    port = free_port()
    log_path = directory / "kube-apiserver.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(binary), f"--etcd-servers={client_url}", "--bind-address=127.0.0.1", f"--secure-port={port}",
             f"--tls-cert-file={serving.cert}", f"--tls-private-key-file={serving.key}", f"--client-ca-file={pki.ca}",
             "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
             "--service-cluster-ip-range=10.96.0.0/12", "--service-account-issuer=https://kubernetes.default.svc",
             f"--service-account-key-file={service_account_public}",
             f"--service-account-signing-key-file={service_account_key}", f"--cert-dir={directory}"],
            stdout=log, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    kubeconfig = directory / "admin.conf"
    kubeconfig.write_text(yaml.safe_dump(
        kube_manifests.kubeconfig("unit", url, pki.ca, admin.cert, admin.key, "curtain-unit-admin")))
    apiserver = KubeApiserver(url, kubeconfig, process, log_path)

    context = ssl.create_default_context(cafile=pki.ca)
    context.load_cert_chain(admin.cert, admin.key)
    deadline = time.monotonic() + APISERVER_START_TIMEOUT
    reason = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kube-apiserver exited:\n{apiserver.log_tail()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/readyz", context=context, timeout=2) as answer:
                if answer.status == 200:
                    return apiserver
        except OSError as error:
            reason = str(error)
        time.sleep(0.5)
    apiserver.stop()
    pytest.fail(f"kube-apiserver not ready after {APISERVER_START_TIMEOUT:g} s ({reason}):\n{apiserver.log_tail()}",
                pytrace=False)

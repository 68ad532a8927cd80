"""The kube-apiserver double against a real etcd: ready only once it stored a key there, and TLS as the real one."""

from __future__ import annotations

import json
import time

import pytest
from double_harness import (
    MODERN,
    PREVIOUS,
    SEED,
    Answer,
    DoubleProcess,
    DoubleRunner,
    EtcdLauncher,
    Pki,
    etcd_v3_get,
    free_port,
    http_get,
    modern_apiserver_args,
    wait_until,
)

READY_TIMEOUT = 20.0


def answered(url: str, status: int, **tls: str) -> Answer | None:
    """The answer at `url` once it has `status`, else None (for wait_until)."""
    answer = http_get(url, **tls)
    return answer if answer is not None and answer.status == status else None


def start_modern(runner: DoubleRunner, pki: Pki, port: int, etcd_url: str, *extra: str,
                 version: str = MODERN) -> DoubleProcess:
    apiserver = runner.start("kube-apiserver", version, *modern_apiserver_args(pki, port, etcd_url), *extra)
    apiserver.wait_for_log(r'"Serving securely"')
    return apiserver


@pytest.mark.parametrize(("version", "minor"), [(PREVIOUS, "35"), (MODERN, "36")])
def test_each_pinned_version_serves_its_own_version(runner: DoubleRunner, pki: Pki, etcd: EtcdLauncher,
                                                    version: str, minor: str) -> None:
    etcd_port, port = free_port(), free_port()
    etcd.start(etcd_port, tls=True)
    admin = {"ca": pki.ca, "cert": pki.admin_cert, "key": pki.admin_key}
    apiserver = start_modern(runner, pki, port, f"https://127.0.0.1:{etcd_port}", version=version)
    base = f"https://127.0.0.1:{port}"
    wait_until(lambda: answered(f"{base}/readyz", 200, **admin), READY_TIMEOUT, f"readyz 200 of {version}")
    served = json.loads(answered(f"{base}/version", 200, **admin).body)  # type: ignore[union-attr]
    assert (served["gitVersion"], served["major"], served["minor"]) == (version, "1", minor)
    assert apiserver.stop() == 0


def test_modern_ready_only_after_storing_in_etcd(runner: DoubleRunner, pki: Pki, etcd: EtcdLauncher) -> None:
    etcd_port, port = free_port(), free_port()
    apiserver = start_modern(runner, pki, port, f"https://127.0.0.1:{etcd_port}")
    admin = {"ca": pki.ca, "cert": pki.admin_cert, "key": pki.admin_key}
    base = f"https://127.0.0.1:{port}"

    not_ready = wait_until(lambda: answered(f"{base}/readyz", 500, **admin), READY_TIMEOUT, "readyz 500")
    assert "[-]etcd failed: error reaching etcd https://127.0.0.1:" in not_ready.body
    assert "connection refused" in not_ready.body
    assert answered(f"{base}/healthz", 500, **admin)

    etcd_process = etcd.start(etcd_port, tls=True)
    assert wait_until(lambda: answered(f"{base}/readyz", 200, **admin), READY_TIMEOUT, "readyz 200").body == "ok"
    assert answered(f"{base}/healthz", 200, **admin) and answered(f"{base}/livez", 200, **admin)
    verbose = answered(f"{base}/readyz?verbose", 200, **admin)
    assert verbose and "[+]etcd ok" in verbose.body and "readyz check passed" in verbose.body
    version = answered(f"{base}/version", 200, **admin)
    assert version and json.loads(version.body)["gitVersion"] == "v1.37.2"

    stored = etcd_v3_get(etcd_process.client_url, "/registry/namespaces/default", pki)
    assert stored is not None and json.loads(stored)["metadata"]["name"] == "default"
    assert apiserver.stop() == 0


def test_modern_refuses_clients_without_a_valid_certificate(runner: DoubleRunner, pki: Pki) -> None:
    # Node,RBAC (as the roles run it): anonymous may read health and version only, as RBAC's public-info-viewer.
    port = free_port()
    start_modern(runner, pki, port, f"https://127.0.0.1:{free_port()}")
    base = f"https://127.0.0.1:{port}"
    forbidden = http_get(f"{base}/api", ca=pki.ca)
    assert forbidden is not None and forbidden.status == 403
    assert json.loads(forbidden.body)["message"] == 'forbidden: User "system:anonymous" cannot get path "/api"'
    assert http_get(f"{base}/version", ca=pki.ca).status == 200  # type: ignore[union-attr]
    assert http_get(f"{base}/api", ca=pki.ca, cert=pki.admin_cert, key=pki.admin_key).status == 200  # type: ignore[union-attr]
    # A certificate from another CA does not even get through the TLS handshake (see README: the real one says 401).
    assert http_get(f"{base}/api", ca=pki.ca, cert=pki.stranger_cert, key=pki.stranger_key) is None
    # And the client verifies the server: an unrelated CA does not trust it.
    assert http_get(f"{base}/version", ca=pki.other_ca) is None


@pytest.mark.parametrize(
    "extra,path,expected",
    [
        (["--anonymous-auth=false"], "/healthz", 401),
        (["--authorization-mode=AlwaysAllow"], "/healthz", 401),  # anonymous is turned off with AlwaysAllow
        (["--authorization-mode=RBAC"], "/readyz", 500),  # allowed; not ready without etcd
    ],
)
def test_anonymous_requests(runner: DoubleRunner, pki: Pki, extra: list[str], path: str, expected: int) -> None:
    port = free_port()
    apiserver = start_modern(runner, pki, port, f"https://127.0.0.1:{free_port()}", *extra)
    answer = http_get(f"https://127.0.0.1:{port}{path}", ca=pki.ca)
    assert answer is not None and answer.status == expected, answer
    if expected == 401:
        assert json.loads(answer.body)["reason"] == "Unauthorized"
    if "--authorization-mode=AlwaysAllow" in extra:
        assert "AnonymousAuth is not allowed with the AlwaysAllow authorizer" in apiserver.stderr


@pytest.mark.parametrize("wrong", ["etcd-cafile", "etcd-certfile"])
def test_modern_not_ready_with_wrong_etcd_certificates(
    runner: DoubleRunner, pki: Pki, etcd: EtcdLauncher, wrong: str
) -> None:
    etcd_process = etcd.start(free_port(), tls=True)
    replacement = {"etcd-cafile": [f"--etcd-cafile={pki.other_ca}"],
                   "etcd-certfile": [f"--etcd-certfile={pki.stranger_cert}", f"--etcd-keyfile={pki.stranger_key}"]}
    port = free_port()
    args = modern_apiserver_args(pki, port, etcd_process.client_url)
    args = [arg for arg in args if not arg.startswith(f"--{wrong}")]
    if wrong == "etcd-certfile":
        args = [arg for arg in args if not arg.startswith("--etcd-keyfile")]
    apiserver = runner.start("kube-apiserver", MODERN, *args, *replacement[wrong])
    apiserver.wait_for_log(r'"etcd check failed"')
    time.sleep(2.5)  # a few more checks: it stays not ready
    admin = {"ca": pki.ca, "cert": pki.admin_cert, "key": pki.admin_key}
    answer = http_get(f"https://127.0.0.1:{port}/readyz", **admin)
    assert answer is not None and answer.status == 500
    assert "[-]etcd failed:" in answer.body
    assert etcd_v3_get(etcd_process.client_url, "/registry/namespaces/default", pki) is None


def test_seed_serves_plain_http_and_stores_through_the_v2_api(runner: DoubleRunner, etcd: EtcdLauncher) -> None:
    etcd_port, port = free_port(), free_port()
    apiserver = runner.start("hyperkube", SEED, "apiserver", "--portal-net=10.0.0.1/24", "--address=127.0.0.1",
                             f"--port={port}", f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                             "--cluster-name=kubernetes", "--v=2")
    apiserver.wait_for_log(r'"Serving insecurely"')
    base = f"http://127.0.0.1:{port}"
    not_ready = wait_until(lambda: answered(f"{base}/healthz", 500), READY_TIMEOUT, "healthz 500")
    assert "[-]etcd failed:" in not_ready.body

    etcd_process = etcd.start(etcd_port, tls=False, enable_v2=True)
    assert wait_until(lambda: answered(f"{base}/healthz", 200), READY_TIMEOUT, "healthz 200").body == "ok"
    assert json.loads(http_get(f"{base}/version").body)["gitVersion"] == "v1.1.8"  # type: ignore[union-attr]
    assert http_get(f"{base}/readyz").status == 404  # type: ignore[union-attr]  # added in 1.16

    stored = http_get(f"{etcd_process.client_url}/v2/keys/registry/namespaces/default")
    assert stored is not None and stored.status == 200
    assert json.loads(json.loads(stored.body)["node"]["value"])["kind"] == "Namespace"
    assert apiserver.stop() == 0

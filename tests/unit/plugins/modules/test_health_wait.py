"""health_wait: a role's endpoints in one module run, in order, against a real HTTP server on loopback: it stops at
the first that stays unhealthy (or, with keep_going, looks at every one and fails at the end), and in check mode it
looks once and says which were not running instead of failing."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ansible_collections.curtain.kube.plugins.modules import health_wait


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/healthz" else 503
        body = b"ok" if status == 200 else b"not ready"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoints(server: str) -> list[dict[str, str]]:
    return [{"component": "kubelet", "url": f"{server}/healthz"},
            {"component": "kube-apiserver", "url": f"{server}/readyz"},
            {"component": "kube-scheduler", "url": f"http://127.0.0.1:{closed_port()}/healthz"}]


def test_every_endpoint_healthy_in_one_run(server: str, module_runner: Any) -> None:
    run = module_runner(health_wait.main, {"endpoints": endpoints(server)[:1] * 2, "timeout": 1})
    assert not run.failed, run.result
    assert run.result["healthy"] is True and run.result["changed"] is False
    assert [(entry["component"], entry["healthy"], entry["detail"]) for entry in run.result["endpoints"]] == [
        ("kubelet", True, "ok"), ("kubelet", True, "ok")]


def test_stops_at_the_first_unhealthy_endpoint_and_names_it(server: str, module_runner: Any) -> None:
    run = module_runner(health_wait.main, {"endpoints": endpoints(server), "timeout": 1})
    assert run.failed
    assert run.result["msg"].startswith(f"kube-apiserver is not healthy at {server}/readyz after 1 s: HTTP 503")
    # the scheduler after it was not looked at
    assert [(entry["component"], entry["healthy"]) for entry in run.result["endpoints"]] == [
        ("kubelet", True), ("kube-apiserver", False)]


def test_keep_going_looks_at_every_endpoint_then_fails(server: str, module_runner: Any) -> None:
    run = module_runner(health_wait.main, {"endpoints": endpoints(server), "timeout": 1, "keep_going": True})
    assert run.failed
    assert [(entry["component"], entry["healthy"]) for entry in run.result["endpoints"]] == [
        ("kubelet", True), ("kube-apiserver", False), ("kube-scheduler", False)]
    assert [line.split(" is not healthy")[0] for line in run.result["msg"].splitlines()] == [
        "kube-apiserver", "kube-scheduler"]


def test_check_mode_looks_once_and_does_not_fail(server: str, module_runner: Any) -> None:
    run = module_runner(health_wait.main, {"endpoints": endpoints(server), "timeout": 60}, check_mode=True)
    assert not run.failed, run.result
    assert run.result["healthy"] is False
    assert [entry.get("skipped_in_check_mode", False) for entry in run.result["endpoints"]] == [False, True, True]
    assert run.result["msg"] == "not waiting in check mode for kube-apiserver, kube-scheduler"


def test_a_client_certificate_needs_its_key(server: str, module_runner: Any) -> None:
    endpoint = {"component": "kube-apiserver", "url": "https://127.0.0.1:6443/readyz", "cert_file": "/x/admin.crt"}
    run = module_runner(health_wait.main, {"endpoints": [endpoint]})
    assert run.failed and "cert_file" in run.result["msg"] and "key_file" in run.result["msg"]

"""Reaching the API server as a client component does: periodically, with its kubeconfig's credentials.

The doubles of the controller-manager, scheduler, kube-proxy and kubelet report healthy only while the API server
answers them, so their health shows whether their kubeconfig (server, CA, client certificate) really works.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from curtain_doubles import log
from curtain_doubles.health import Checks
from curtain_doubles.kubeconfig import ApiTarget
from curtain_doubles.lifecycle import Lifecycle

TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def get(target: ApiTarget, path: str, context: ssl.SSLContext | None, timeout: float = TIMEOUT_SECONDS) -> Answer:
    """One GET against the API server; OSError and ssl errors propagate."""
    parts = urlsplit(target.server)
    host = parts.hostname or "localhost"
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, parts.port or 443, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    headers = {"Accept": "application/json", "User-Agent": "curtain-contract-double"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    try:
        connection.request("GET", parts.path.rstrip("/") + path, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    finally:
        connection.close()


def describe(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"tls: failed to verify certificate: {error.verify_message}"
    if isinstance(error, ConnectionRefusedError):
        return "connect: connection refused"
    return str(error) or type(error).__name__


class ApiProbe:
    """GET /api now and then; records in `checks` under "apiserver" whether the API server answered 200."""

    def __init__(self, target: ApiTarget, checks: Checks, who: str) -> None:
        self.target = target
        self.checks = checks
        self.who = who
        self._context = target.ssl_context()

    def __call__(self) -> None:
        try:
            answer = get(self.target, "/api", self._context)
            ok = answer.status == 200
            shown = answer.body[:200].decode(errors="replace")
            reason = "" if ok else f"the API server answered {answer.status}: {shown}"
        except (OSError, ssl.SSLError, http.client.HTTPException) as error:
            ok, reason = False, f"Get \"{self.target.server}/api\": {describe(error)}"
        if self.checks.set("apiserver", ok, reason):
            if ok:
                log.info("Reached the API server", who=self.who, server=self.target.server, config=self.target.source)
            else:
                log.error("Unable to reach the API server", who=self.who, config=self.target.source, err=reason)


def watch(lifecycle: Lifecycle, probe: ApiProbe) -> None:
    """Probes every second until the API server answers, then every 3 s, in a daemon thread."""

    def loop() -> None:
        while not lifecycle.stopping.is_set():
            probe()
            if lifecycle.sleep(3.0 if probe.checks.ok("apiserver") else 1.0):
                return

    threading.Thread(target=loop, name="apiserver-probe", daemon=True).start()

"""kube-apiserver 1.1: health and version endpoints that tell the truth about the real etcd behind them.

Plain HTTP on the insecure address 127.0.0.1:8080 (--insecure-bind-address/--insecure-port, or their 1.1 aliases
--address/--port), no authentication there, storage in etcd v2. No secure port (see README).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from curtain_doubles import component, health, log, pemfiles
from curtain_doubles.cli import Context
from curtain_doubles.etcd import EtcdError, EtcdStore
from curtain_doubles.httpserver import Request, Response, json_response, text

SEED_PATHS = ("/healthz", "/version", "/api", "/apis")  # 1.1 had no /livez and /readyz (added in 1.16)


def status(code: int, reason: str, message: str) -> Response:
    """A metav1.Status answer, as the real server sends for refusals."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": {}, "code": code}
    return json_response(code, body)


def version_info(version: str) -> dict[str, str]:
    major, minor = version.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "none (curtain contract double)",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


class ApiServer:
    def __init__(self, context: Context, checks: health.Checks) -> None:
        self.context = context
        self.checks = checks

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if not any(path == known or path.startswith(known + "/") for known in SEED_PATHS):
            return text(404, "404 page not found\n")
        if path.split("/")[1] == "healthz":
            return health.answer("healthz", self.checks, request)
        if path == "/version":
            return json_response(200, version_info(self.context.version))
        if path == "/api":
            return json_response(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        if path == "/apis":
            return json_response(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        if path == "/api/v1":
            return json_response(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": []})
        return status(404, "NotFound", "the server could not find the requested resource")


def _etcd_servers(context: Context) -> list[str]:
    servers = context.items("etcd-servers")
    if not servers and context.text("etcd-config"):
        document = json.loads(pemfiles.read_bytes(context.text("etcd-config")))
        servers = list((document.get("cluster") or {}).get("machines") or [])
    return servers


def _required(servers: Sequence[str]) -> list[str]:
    """What the real server refuses to start without."""
    return [] if servers else ["specify either --etcd-servers or --etcd-config"]


def _watch_etcd(context: Context, store: EtcdStore, checks: health.Checks) -> None:
    """Checks etcd every second until it works, then every 3 s, so the health endpoint follows etcd."""

    def loop() -> None:
        while not context.lifecycle.stopping.is_set():
            try:
                store.check()
                ok, reason = True, ""
            except EtcdError as error:
                ok, reason = False, str(error)
            if checks.set("etcd", ok, reason):
                if ok:
                    log.info("Stored and read back the default namespace in etcd", key=store.key)
                else:
                    log.error("etcd check failed", err=reason)
            if context.lifecycle.sleep(3.0 if ok else 1.0):
                return

    threading.Thread(target=loop, name="etcd", daemon=True).start()


def run(context: Context) -> int:
    servers = _etcd_servers(context)
    component.check_files(context, _required(servers))
    checks = health.Checks(["etcd"])
    store = EtcdStore(servers, context.text("etcd-prefix", "/registry"))
    server = ApiServer(context, checks)
    host = context.text("insecure-bind-address") or context.text("address") or "127.0.0.1"
    port = context.number("insecure-port", context.number("port", 8080))
    listener = component.listen(host, port, server.handle, "insecurely") if port else None
    _watch_etcd(context, store, checks)
    return component.start(context.lifecycle, [listener])

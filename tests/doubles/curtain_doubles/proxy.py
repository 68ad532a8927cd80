"""kube-proxy 1.1: reach the API server and report it on the healthz port. It never touches iptables.

The API server from --kubeconfig, --master, else http://localhost:8080; healthz on
--healthz-bind-address:--healthz-port (127.0.0.1:10249), `ok` or 500.
"""

from __future__ import annotations

from curtain_doubles import apiclient, component, health, log
from curtain_doubles.cli import Context
from curtain_doubles.clients import api_target
from curtain_doubles.httpserver import Handler, Request, Response, text


def _mode(context: Context) -> str:
    mode = context.text("proxy-mode")
    if mode and mode not in context.profile.features.proxy_modes:
        log.warning("Unknown proxy mode, assuming userspace", mode=mode)
        return "userspace"
    return mode or "iptables"


def _handler(checks: health.Checks) -> Handler:
    def handle(request: Request) -> Response:
        if request.path.strip("/") == "healthz":
            return health.answer("healthz", checks, request)
        return text(404, "404 page not found\n")

    return handle


def run(context: Context) -> int:
    component.check_files(context)
    mode = _mode(context)
    log.info("Using the proxy mode; the contract double programs no iptables rules", mode=mode)
    if context.boolean("cleanup-iptables", False):
        log.info("Nothing to clean up: the contract double never created rules")
        return 0
    target = api_target(context, context.text("kubeconfig"))
    checks = health.Checks(["apiserver"])
    host = context.text("healthz-bind-address") or "127.0.0.1"
    port = context.number("healthz-port", context.profile.ports.kube_proxy_healthz)
    listener = component.listen_or_log(host, port, _handler(checks), "healthz") if port else None
    apiclient.watch(context.lifecycle, apiclient.ApiProbe(target, checks, context.component))
    return component.start(context.lifecycle, [listener])

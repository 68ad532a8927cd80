"""kube-controller-manager and kube-scheduler 1.1: reach the API server, and say so on their own health endpoint.

Plain HTTP on --address:--port (127.0.0.1:10252 and 127.0.0.1:10251). /healthz is 200 only while the API server
answers the component with its own credentials (--kubeconfig, --master, else http://localhost:8080).
"""

from __future__ import annotations

from curtain_doubles import apiclient, component, health
from curtain_doubles.cli import Context
from curtain_doubles.clients import api_target
from curtain_doubles.httpserver import Handler, Request, Response, text


def _handler(checks: health.Checks) -> Handler:
    def handle(request: Request) -> Response:
        if request.path.strip("/").split("/")[0] == "healthz":
            return health.answer("healthz", checks, request)
        return text(404, "404 page not found\n")

    return handle


def run(context: Context) -> int:
    component.check_files(context)
    target = api_target(context, context.text("kubeconfig"))
    checks = health.Checks(["apiserver"])
    ports = context.profile.ports
    default_port = ports.controller_manager if context.component == "kube-controller-manager" else ports.scheduler
    host, port = context.text("address") or "127.0.0.1", context.number("port", default_port)
    listener = component.listen(host, port, _handler(checks), "healthz insecurely") if port else None
    apiclient.watch(context.lifecycle, apiclient.ApiProbe(target, checks, context.component))
    return component.start(context.lifecycle, [listener])

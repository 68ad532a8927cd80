"""kube-controller-manager and kube-scheduler: reach the API server, and say so on their own health endpoint.

Modern: HTTPS on --bind-address:--secure-port (0.0.0.0:10257 and 0.0.0.0:10259) with --tls-cert-file or, as the
real ones do when given none, a self-signed certificate; /healthz, /livez and /readyz are open to anyone (their
default --authorization-always-allow-paths). Seed: plain HTTP on --address:--port (127.0.0.1:10252 and :10251).
Either way /healthz is 200 only while the API server answers the component with its own credentials.
"""

from __future__ import annotations

import ssl

from curtain_doubles import apiclient, component, configs, health, httpserver, log, pemfiles
from curtain_doubles.cli import Context, StartupError
from curtain_doubles.clients import api_target
from curtain_doubles.httpserver import Handler, Request, Response, text

HEALTH_PATHS = ("healthz", "livez", "readyz")


def _kubeconfig_path(context: Context) -> str:
    """The scheduler's --config (KubeSchedulerConfiguration) wins over its deprecated --kubeconfig."""
    if context.component == "kube-scheduler" and context.text("config"):
        config = configs.load_object(context.text("config"), configs.KUBE_SCHEDULER_CONFIGURATION)
        return str(configs.field(config, "clientConnection.kubeconfig", ""))
    return context.text("kubeconfig")


def _serving_tls(context: Context) -> ssl.SSLContext:
    cert, key = context.text("tls-cert-file"), context.text("tls-private-key-file")
    if not cert:
        try:
            pair = pemfiles.self_signed("localhost", ["127.0.0.1"], context.text("cert-dir") or None,
                                        context.component)
        except OSError as error:
            raise StartupError(f"failed to create self-signed certificates: {error}") from None
        log.info("Generated self-signed cert", cert=pair.cert_path)
        cert, key = pair.cert_path, pair.key_path
    return httpserver.server_tls(cert, key)


def _handler(checks: health.Checks, seed: bool) -> Handler:
    def handle(request: Request) -> Response:
        kind = request.path.strip("/").split("/")[0]
        if kind in HEALTH_PATHS and (kind == "healthz" or not seed):
            return health.answer(kind, checks, request)
        return text(404, "404 page not found\n")

    return handle


def run(context: Context) -> int:
    component.check_files(context)
    target = api_target(context, _kubeconfig_path(context))
    checks = health.Checks(["apiserver"])
    handler = _handler(checks, context.seed)
    ports = context.profile.ports
    default_port = ports.controller_manager if context.component == "kube-controller-manager" else ports.scheduler
    if context.seed:
        host, port = context.text("address") or "127.0.0.1", context.number("port", default_port)
        listener = component.listen(host, port, handler, None, "healthz insecurely") if port else None
    else:
        host, port = context.text("bind-address") or "0.0.0.0", context.number("secure-port", default_port)
        listener = component.listen(host, port, handler, _serving_tls(context), "securely") if port else None
    apiclient.watch(context.lifecycle, apiclient.ApiProbe(target, checks, context.component))
    return component.start(context.lifecycle, [listener])

"""kube-proxy: reach the API server and report it on the healthz port. It never touches iptables, ipvs or nftables.

Modern: settings from the KubeProxyConfiguration given by --config (clientConnection.kubeconfig, healthzBindAddress
0.0.0.0:10256, mode), with --kubeconfig, --master, --healthz-bind-address and --proxy-mode taking precedence when
given. Seed: --master or --kubeconfig, healthz on --healthz-bind-address:--healthz-port (127.0.0.1:10249).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

from curtain_doubles import apiclient, component, configs, health, log
from curtain_doubles.cli import Context, StartupError
from curtain_doubles.clients import api_target
from curtain_doubles.httpserver import Handler, Request, Response, json_response, split_host_port, text


def _config(context: Context) -> dict[str, Any]:
    if context.seed or not context.text("config"):
        return {}
    return configs.load_object(context.text("config"), configs.KUBE_PROXY_CONFIGURATION)


def _mode(context: Context, config: dict[str, Any]) -> str:
    mode = context.text("proxy-mode") or str(configs.field(config, "mode", ""))
    features = context.profile.features
    if mode and mode not in features.proxy_modes:
        if context.seed:
            log.warning("Unknown proxy mode, assuming userspace", mode=mode)
            return "userspace"
        raise StartupError(f'invalid configuration: mode: Invalid value: "{mode}": must be '
                           f"{' or '.join(features.proxy_modes)}")
    if mode in features.deprecated_proxy_modes:
        log.warning("The proxy mode is deprecated", mode=mode)
    return mode or "iptables"


def _healthz_address(context: Context, config: dict[str, Any]) -> tuple[str, int]:
    default_port = context.profile.ports.kube_proxy_healthz
    if context.seed:
        return context.text("healthz-bind-address") or "127.0.0.1", context.number("healthz-port", default_port)
    address = context.text("healthz-bind-address") or str(configs.field(config, "healthzBindAddress", ""))
    return split_host_port(address or f"0.0.0.0:{default_port}", default_port)


def _handler(checks: health.Checks, seed: bool) -> Handler:
    def handle(request: Request) -> Response:
        kind = request.path.strip("/")
        if seed:
            return health.answer("healthz", checks, request) if kind == "healthz" else text(404, "404 page not found\n")
        if kind not in ("healthz", "livez"):
            return text(404, "404 page not found\n")
        now = datetime.datetime.now(datetime.UTC).isoformat()
        healthy = checks.ok("apiserver")
        body = {"lastUpdated": now, "currentTime": now, "nodeEligible": healthy}
        return json_response(200 if healthy else 503, body)

    return handle


def _write_config(path: str, config: dict[str, Any], mode: str) -> int:
    written = {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", **config}
    written["mode"] = mode
    Path(path).write_text(yaml.safe_dump(written, sort_keys=True))
    log.info("Wrote configuration", file=path)
    return 0


def run(context: Context) -> int:
    component.check_files(context)
    config = _config(context)
    mode = _mode(context, config)
    log.info("Using the proxy mode; the contract double programs no iptables, ipvs or nftables rules", mode=mode)
    if context.boolean("cleanup", False) or context.boolean("cleanup-iptables", False):
        log.info("Nothing to clean up: the contract double never created rules")
        return 0
    if context.text("write-config-to"):
        return _write_config(context.text("write-config-to"), config, mode)
    kubeconfig_path = context.text("kubeconfig") or str(configs.field(config, "clientConnection.kubeconfig", ""))
    target = api_target(context, kubeconfig_path)
    if context.boolean("init-only", False):
        return 0
    checks = health.Checks(["apiserver"])
    host, port = _healthz_address(context, config)
    listener = component.listen_or_log(host, port, _handler(checks, context.seed), None, "healthz") if port else None
    apiclient.watch(context.lifecycle, apiclient.ApiProbe(target, checks, context.component))
    return component.start(context.lifecycle, [listener])

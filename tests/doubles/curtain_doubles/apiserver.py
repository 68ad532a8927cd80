"""kube-apiserver: health and version endpoints that tell the truth about the real etcd behind them.

Modern (1.35, 1.36): HTTPS on --bind-address:--secure-port (0.0.0.0:6443) with --tls-cert-file/--tls-private-key-file
(or a self-signed pair written to --cert-dir), client certificates verified against --client-ca-file, bearer tokens
from --token-auth-file, anonymous requests as the real server allows them, storage in etcd v3 over its JSON
gateway. Seed (1.1): plain HTTP on the insecure address 127.0.0.1:8080 (--insecure-bind-address/--insecure-port,
or their 1.1 aliases --address/--port), no authentication there, storage in etcd v2.
"""

from __future__ import annotations

import csv
import json
import ssl
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from curtain_doubles import component, configs, health, httpserver, log, pemfiles
from curtain_doubles.cli import Context, StartupError
from curtain_doubles.etcd import EtcdError, EtcdStore
from curtain_doubles.httpserver import Request, Response, json_response, text

PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")  # RBAC's system:public-info-viewer
SEED_PATHS = ("/healthz", "/version", "/api", "/apis")  # 1.1 had no /livez and /readyz (added in 1.16)


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...]

    @property
    def anonymous(self) -> bool:
        return self.name == "system:anonymous"


ANONYMOUS = User("system:anonymous", ("system:unauthenticated",))


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


def certificate_user(peer: Mapping[str, Any]) -> User:
    """The user a verified client certificate names: CN, with each O as a group."""
    fields = [pair for rdn in peer.get("subject", ()) for pair in rdn]
    names = [value for key, value in fields if key == "commonName"]
    groups = [value for key, value in fields if key == "organizationName"]
    return User(names[0] if names else "", (*groups, "system:authenticated"))


def read_tokens(path: str) -> dict[str, User]:
    """--token-auth-file: token,user,uid[,"group1,group2"] per line."""
    tokens: dict[str, User] = {}
    with open(path, newline="") as handle:
        for row in csv.reader(handle):
            if len(row) >= 3 and row[0].strip():
                groups = tuple(group.strip() for group in row[3].split(",") if group.strip()) if len(row) > 3 else ()
                tokens[row[0].strip()] = User(row[1].strip(), (*groups, "system:authenticated"))
    return tokens


def authorization_modes(context: Context) -> list[str]:
    """The authorizers in order: from --authorization-config when given, else --authorization-mode (AlwaysAllow)."""
    if context.text("authorization-config"):
        document = configs.load_document(context.text("authorization-config")) or {}
        return [str(authorizer.get("type", "")) for authorizer in document.get("authorizers") or []]
    return context.items("authorization-mode") or ["AlwaysAllow"]


class Authenticator:
    """Bearer tokens, then client certificates, then anonymous (when allowed); None means 401 Unauthorized."""

    def __init__(self, tokens: Mapping[str, User], anonymous: bool) -> None:
        self.tokens = tokens
        self.anonymous = anonymous

    def __call__(self, request: Request) -> User | None:
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return self.tokens.get(authorization[7:].strip())  # a wrong token is refused, never anonymous
        if request.peer_cert:
            return certificate_user(request.peer_cert)
        return ANONYMOUS if self.anonymous else None


def authorized(user: User, path: str, modes: Sequence[str]) -> bool:
    """AlwaysAllow allows everything; RBAC and the others let anonymous users read only the public paths.

    Authenticated users are allowed everything the double serves (health, version, discovery): RBAC's bootstrap
    roles give every authenticated user those. The double keeps no RBAC objects, so it cannot check more.
    """
    if "AlwaysAllow" in modes:
        return True
    if list(modes) == ["AlwaysDeny"]:
        return False
    if user.anonymous:
        return any(path == public or path.startswith(public + "/") for public in PUBLIC_PATHS)
    return True


class ApiServer:
    def __init__(self, context: Context, checks: health.Checks) -> None:
        self.context = context
        self.checks = checks
        self.authenticate: Authenticator | None = None
        self.modes: list[str] = []

    def handle(self, request: Request) -> Response:
        if self.authenticate is not None:
            user = self.authenticate(request)
            if user is None:
                return status(401, "Unauthorized", "Unauthorized")
            if not authorized(user, request.path, self.modes):
                return status(403, "Forbidden",
                              f'forbidden: User "{user.name}" cannot {request.method.lower()} path "{request.path}"')
        return self.route(request)

    def route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        kind = path.split("/")[1] if path != "/" else ""
        if self.context.seed and not any(path == known or path.startswith(known + "/") for known in SEED_PATHS):
            return text(404, "404 page not found\n")
        if kind in ("healthz", "livez", "readyz"):
            return health.answer(kind, self.checks, request)
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
    if not servers and context.seed and context.text("etcd-config"):
        document = json.loads(pemfiles.read_bytes(context.text("etcd-config")))
        servers = list((document.get("cluster") or {}).get("machines") or [])
    return servers


def _required(context: Context, servers: Sequence[str]) -> list[str]:
    """The flags the real server refuses to start without."""
    if context.seed:
        return [] if servers else ["specify either --etcd-servers or --etcd-config"]
    errors = [] if servers else ["--etcd-servers must be specified"]
    port = context.number("secure-port", 6443)
    if not 1 <= port <= 65535:
        errors.append(f"--secure-port {port} must be between 1 and 65535, inclusive. It cannot be turned off")
    if not context.text("service-account-issuer"):
        errors.append("service-account-issuer is a required flag")
    if not context.text("service-account-signing-key-file") and not context.text("service-account-signing-endpoint"):
        errors.append("--service-account-signing-key-file and --service-account-issuer are required flags")
    return errors


def _etcd_tls(context: Context) -> ssl.SSLContext | None:
    if not any(server.startswith("https://") for server in _etcd_servers(context)):
        return None
    tls = ssl.create_default_context(cafile=context.text("etcd-cafile") or None)
    if context.text("etcd-certfile"):
        tls.load_cert_chain(context.text("etcd-certfile"), context.text("etcd-keyfile"))
    return tls


def _watch_etcd(context: Context, store: EtcdStore, checks: health.Checks) -> None:
    """Checks etcd every second until it works, then every 3 s, so the health endpoints follow etcd."""

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


def _secure_tls(context: Context) -> ssl.SSLContext:
    cert, key = context.text("tls-cert-file"), context.text("tls-private-key-file")
    if not cert:
        host = context.text("advertise-address") or context.text("bind-address") or "localhost"
        names = ["localhost", "127.0.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc"]
        try:
            pair = pemfiles.self_signed(host, names, context.text("cert-dir", "/var/run/kubernetes"), "apiserver")
        except OSError as error:
            raise StartupError(f"unable to generate self signed cert: {error}") from None
        log.info("Generated self-signed cert", cert=pair.cert_path, key=pair.key_path)
        cert, key = pair.cert_path, pair.key_path
    return httpserver.server_tls(cert, key, context.text("client-ca-file"))


def _authenticator(context: Context, modes: Sequence[str]) -> Authenticator:
    anonymous = context.boolean("anonymous-auth", True)
    if anonymous and "AlwaysAllow" in modes:
        log.warning("AnonymousAuth is not allowed with the AlwaysAllow authorizer. Resetting AnonymousAuth to false. "
                    "You should use a different authorizer")
        anonymous = False
    tokens = read_tokens(context.text("token-auth-file")) if context.text("token-auth-file") else {}
    return Authenticator(tokens, anonymous)


def run(context: Context) -> int:
    servers = _etcd_servers(context)
    component.check_files(context, _required(context, servers))
    checks = health.Checks(["etcd"])
    store = EtcdStore(servers, context.text("etcd-prefix", "/registry"), "v2" if context.seed else "v3",
                      _etcd_tls(context))
    server = ApiServer(context, checks)
    if context.seed:
        host = context.text("insecure-bind-address") or context.text("address") or "127.0.0.1"
        port = context.number("insecure-port", context.number("port", 8080))
        listener = component.listen(host, port, server.handle, None, "insecurely") if port else None
    else:
        server.modes = authorization_modes(context)
        server.authenticate = _authenticator(context, server.modes)
        host = context.text("bind-address") or "0.0.0.0"
        listener = component.listen(host, context.number("secure-port", 6443), server.handle, _secure_tls(context),
                                    "securely")
    _watch_etcd(context, store, checks)
    return component.start(context.lifecycle, [listener])

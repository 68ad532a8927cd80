"""kubeconfig files, read and checked the way client-go's clientcmd does, and turned into an API client target."""

from __future__ import annotations

import atexit
import base64
import binascii
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from curtain_doubles.pemfiles import FileProblem, certificates, check_pair, go_open_error, one_line

_NO_CONFIGURATION = (
    "invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable"
)


@dataclass(frozen=True)
class ApiTarget:
    """Where a client component reaches the API server, and with which credentials."""

    server: str
    ca_data: bytes | None = None
    cert_data: bytes | None = None
    key_data: bytes | None = None
    token: str | None = None
    insecure: bool = False
    source: str = ""

    def ssl_context(self) -> ssl.SSLContext | None:
        """None for plain HTTP; else a client context verifying the server and presenting the client certificate."""
        if not self.server.startswith("https://"):
            return None
        context = ssl.create_default_context(cadata=self.ca_data.decode() if self.ca_data else None)
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.cert_data and self.key_data:
            cert_path, key_path = _private_copy(self.cert_data), _private_copy(self.key_data)
            context.load_cert_chain(cert_path, key_path)
        return context


_scratch: list[str] = []


def _private_copy(data: bytes) -> str:
    """ssl loads client certificates from files only: inline kubeconfig data goes to a private temporary file."""
    if not _scratch:
        _scratch.append(tempfile.mkdtemp(prefix="curtain-double-kubeconfig-"))
        atexit.register(shutil.rmtree, _scratch[0], True)
    with tempfile.NamedTemporaryFile(dir=_scratch[0], delete=False) as handle:
        handle.write(data)
    return handle.name


def normalize_server(master: str) -> str:
    """`--master=127.0.0.1:8080` means http://127.0.0.1:8080, as client-go's DefaultServerURL reads it."""
    return master if "://" in master else f"http://{master}"


def _named(items: Any, field: str) -> dict[str, dict[str, Any]]:
    named: dict[str, dict[str, Any]] = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            named[item["name"]] = item.get(field) or {}
    return named


def _inline(section: dict[str, Any], key: str) -> bytes | None:
    value = section.get(f"{key}-data")
    if not value:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as error:
        raise FileProblem(f"illegal base64 data in {key}-data: {error}") from None


def _from_file(section: dict[str, Any], key: str, base: Path, owner: str) -> bytes | None:
    inline = _inline(section, key)
    if inline is not None or not section.get(key):
        return inline
    path = Path(str(section[key]))
    path = path if path.is_absolute() else base / path  # relative paths are relative to the kubeconfig file
    try:
        return path.read_bytes()
    except OSError as error:
        raise FileProblem(f"unable to read {key} {path} for {owner} due to {go_open_error(str(path), error)}") from None


def _document(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise FileProblem(go_open_error(path, error).replace("open ", "stat ", 1)) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FileProblem(f'error loading config file "{path}": yaml: {one_line(error)}') from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise FileProblem(f'error loading config file "{path}": not a kubeconfig mapping')
    return document


def load(path: str, master: str = "") -> ApiTarget:
    """The API target of a kubeconfig; `master` (--master) overrides its server. FileProblem when it is unusable."""
    document = _document(path)
    base = Path(path).resolve().parent
    current = document.get("current-context") or ""
    if not current:
        if master:
            return ApiTarget(server=normalize_server(master), source=path)
        raise FileProblem(_NO_CONFIGURATION)
    contexts = _named(document.get("contexts"), "context")
    if current not in contexts:
        raise FileProblem(f"invalid configuration: context was not found for specified context: {current}")
    context = contexts[current]
    cluster_name, user_name = str(context.get("cluster") or ""), str(context.get("user") or "")
    cluster = _named(document.get("clusters"), "cluster").get(cluster_name)
    if cluster is None and not master:
        raise FileProblem(f"invalid configuration: cluster {cluster_name!r} was not found for context {current!r}")
    cluster = cluster or {}
    server = normalize_server(master) if master else str(cluster.get("server") or "")
    if not server:
        raise FileProblem("invalid configuration: cluster has no server defined")
    user = _named(document.get("users"), "user").get(user_name, {})
    return _target(path, base, server, cluster_name, cluster, user_name, user)


def _target(
    path: str, base: Path, server: str, cluster_name: str, cluster: dict[str, Any], user_name: str, user: dict[str, Any]
) -> ApiTarget:
    ca_data = _from_file(cluster, "certificate-authority", base, cluster_name)
    if ca_data is not None:
        certificates(ca_data)  # unusable CA data fails the client config, as in client-go
    cert_data = _from_file(user, "client-certificate", base, user_name)
    key_data = _from_file(user, "client-key", base, user_name)
    if (cert_data is None) != (key_data is None):
        raise FileProblem(f"client-key-data or client-key must be specified for {user_name} to use the clientCert "
                          "authentication method")
    if cert_data is not None and key_data is not None:
        check_pair(cert_data, key_data)
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token_path = Path(str(user["tokenFile"]))
        try:
            token = (token_path if token_path.is_absolute() else base / token_path).read_text().strip()
        except OSError as error:
            raise FileProblem(go_open_error(str(token_path), error)) from None
    return ApiTarget(
        server=server,
        ca_data=ca_data,
        cert_data=cert_data,
        key_data=key_data,
        token=str(token) if token else None,
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        source=path,
    )

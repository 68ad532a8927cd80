"""The apiserver double's storage check: write a key into the real etcd and read it back.

etcd v2, as Kubernetes 1.1 used it: the keys API, PUT and GET /v2/keys/<key> (etcd needs --enable-v2). The key is
<--etcd-prefix>/namespaces/default, holding the default Namespace as JSON.
"""

from __future__ import annotations

import datetime
import http.client
import json
import ssl
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from curtain_doubles.apiclient import describe

TIMEOUT_SECONDS = 2.0


class EtcdError(Exception):
    """etcd could not be written or read; the message is the reason /healthz shows."""


def namespace_key(prefix: str) -> str:
    return "/" + "/".join(part for part in [*prefix.split("/"), "namespaces", "default"] if part)


def default_namespace() -> bytes:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    namespace = {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {
            "name": "default",
            "uid": str(uuid.uuid4()),
            "creationTimestamp": now,
            "labels": {"kubernetes.io/metadata.name": "default"},
            "annotations": {"io.curtain.double": "written by the kube-apiserver contract double"},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    return json.dumps(namespace, separators=(",", ":")).encode()


@dataclass
class EtcdStore:
    servers: list[str]
    prefix: str
    stored: bytes | None = field(default=None, init=False)  # the value this process wrote and read back

    @property
    def key(self) -> str:
        return namespace_key(self.prefix)

    def _request(self, server: str, method: str, path: str, body: bytes | None, content_type: str) -> tuple[int, bytes]:
        parts = urlsplit(server)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(parts.hostname or "localhost", parts.port or 2379,
                                                     timeout=TIMEOUT_SECONDS)
        else:
            connection = http.client.HTTPConnection(parts.hostname or "localhost", parts.port or 2379,
                                                    timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": content_type} if body else {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _get(self, server: str) -> bytes | None:
        status, body = self._request(server, "GET", f"/v2/keys{quote(self.key)}", None, "")
        if status == 404:
            return None
        if status != 200:
            raise EtcdError(f"etcd {server} answered {status}: {body[:200].decode(errors='replace')}")
        return str(json.loads(body)["node"].get("value", "")).encode()

    def _put(self, server: str, value: bytes) -> None:
        form = urlencode({"value": value.decode()}).encode()
        status, body = self._request(server, "PUT", f"/v2/keys{quote(self.key)}", form,
                                     "application/x-www-form-urlencoded")
        if status not in (200, 201):
            raise EtcdError(f"etcd {server} answered {status}: {body[:200].decode(errors='replace')}")

    # --- the check -----------------------------------------------------------------------------------------------
    def _check_one(self, server: str) -> None:
        current = self._get(server)
        if current is not None and (self.stored is None or current == self.stored):
            self.stored = current
            return
        value = default_namespace() if current is None else current
        if current is None:
            self._put(server, value)
        read_back = self._get(server)
        if read_back != value:
            raise EtcdError(f"etcd {server}: key {self.key} read back differs from what was written")
        self.stored = read_back

    def check(self) -> None:
        """Succeeds when one of the servers holds the key (writing it first when missing); else EtcdError."""
        reasons = []
        for server in self.servers:
            try:
                self._check_one(server)
                return
            except EtcdError as error:
                reasons.append(str(error))
            except (OSError, ssl.SSLError, http.client.HTTPException, ValueError, KeyError) as error:
                reasons.append(f"error reaching etcd {server}: {describe(error)}")
        raise EtcdError("; ".join(reasons) or "no etcd servers")

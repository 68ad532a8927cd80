"""The apiserver double's storage check: write a key into the real etcd and read it back.

Modern (etcd v3): the JSON gateway, POST /v3/kv/put and /v3/kv/range with base64 keys, over TLS with the
--etcd-cafile/--etcd-certfile/--etcd-keyfile files when the server URL is https. Seed (etcd v2, as Kubernetes 1.1
used it): the keys API, PUT and GET /v2/keys/<key>. The key is <--etcd-prefix>/namespaces/default, holding the
default Namespace as JSON (what --storage-media-type=application/json would store).
"""

from __future__ import annotations

import base64
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
    """etcd could not be written or read; the message is the reason /healthz and /readyz show."""


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
    api: str  # "v3" or "v2"
    tls: ssl.SSLContext | None = None
    stored: bytes | None = field(default=None, init=False)  # the value this process wrote and read back

    @property
    def key(self) -> str:
        return namespace_key(self.prefix)

    def _request(self, server: str, method: str, path: str, body: bytes | None, content_type: str) -> tuple[int, bytes]:
        parts = urlsplit(server)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname or "localhost", parts.port or 2379, timeout=TIMEOUT_SECONDS, context=self.tls
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname or "localhost", parts.port or 2379,
                                                    timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": content_type} if body else {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    # --- v3 JSON gateway -----------------------------------------------------------------------------------------
    def _v3(self, server: str, call: str, payload: dict[str, str]) -> dict[str, object]:
        status, body = self._request(server, "POST", f"/v3/kv/{call}", json.dumps(payload).encode(), "application/json")
        if status != 200:
            raise EtcdError(f"etcd {server} answered {status} to {call}: {body[:200].decode(errors='replace')}")
        return json.loads(body or b"{}")

    def _v3_get(self, server: str) -> bytes | None:
        answer = self._v3(server, "range", {"key": base64.b64encode(self.key.encode()).decode()})
        kvs = answer.get("kvs") or []
        return base64.b64decode(kvs[0].get("value", "")) if kvs else None  # type: ignore[index,union-attr]

    def _v3_put(self, server: str, value: bytes) -> None:
        self._v3(server, "put", {"key": base64.b64encode(self.key.encode()).decode(),
                                 "value": base64.b64encode(value).decode()})

    # --- v2 keys API ---------------------------------------------------------------------------------------------
    def _v2_get(self, server: str) -> bytes | None:
        status, body = self._request(server, "GET", f"/v2/keys{quote(self.key)}", None, "")
        if status == 404:
            return None
        if status != 200:
            raise EtcdError(f"etcd {server} answered {status}: {body[:200].decode(errors='replace')}")
        return str(json.loads(body)["node"].get("value", "")).encode()

    def _v2_put(self, server: str, value: bytes) -> None:
        form = urlencode({"value": value.decode()}).encode()
        status, body = self._request(server, "PUT", f"/v2/keys{quote(self.key)}", form,
                                     "application/x-www-form-urlencoded")
        if status not in (200, 201):
            raise EtcdError(f"etcd {server} answered {status}: {body[:200].decode(errors='replace')}")

    # --- the check -----------------------------------------------------------------------------------------------
    def _check_one(self, server: str) -> None:
        get, put = (self._v3_get, self._v3_put) if self.api == "v3" else (self._v2_get, self._v2_put)
        current = get(server)
        if current is not None and (self.stored is None or current == self.stored):
            self.stored = current
            return
        value = default_namespace() if current is None else current
        if current is None:
            put(server, value)
        read_back = get(server)
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

"""Small plain-HTTP servers for the doubles' health and API endpoints (the 1.1 components serve no TLS here)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from curtain_doubles import log


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


def text(status: int, body: str) -> Response:
    return Response(status, body.encode())


def json_response(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data, indent=2).encode() + b"\n", "application/json")


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # Go's net.Listen sets SO_REUSEADDR too: a restarted component can rebind at once

    def __init__(self, address: tuple[str, int], handler: Handler) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.handle_request_with = handler
        super().__init__(address, _RequestHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(30)  # a client that never finishes its request must not pin a thread
        super().finish_request(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={key.lower(): value for key, value in self.headers.items()},
        )
        try:
            response = self.server.handle_request_with(request)
        except Exception as error:  # a bug in a double answers 500 rather than dropping the connection
            log.error("Handler failed", path=parts.path, err=repr(error))
            response = text(500, f"internal error: {error}\n")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.verbose(4, "HTTP request", remote=self.client_address[0], request=format % args)


class Serving:
    """A server running in its own thread; stop() closes it."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve(host: str, port: int, handler: Handler) -> Serving:
    """Starts serving; OSError (address in use, permission) propagates to the caller, which decides if it is fatal."""
    return Serving(_Server((host, port), handler))

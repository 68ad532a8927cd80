# Copyright: curtain contributors
# Apache License 2.0
"""Waiting for a component's HTTP(S) health endpoint, with a failure message a person can act on.

Standard library only: it runs on the managed host.
"""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    healthy: bool
    detail: str  # the body of a healthy answer, or why it is not healthy


def tls_context(ca_file: str | None, cert_file: str | None, key_file: str | None, verify: bool) -> ssl.SSLContext:
    """A client context: verify against `ca_file` (or not at all: components serve self-signed certificates on
    their health ports unless given one), and present a client certificate when given."""
    context = ssl.create_default_context(cafile=ca_file) if verify else ssl._create_unverified_context()
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    return context


def probe(url: str, context: ssl.SSLContext | None, timeout: float, expect: int = 200) -> Probe:
    try:
        with urllib.request.urlopen(url, context=context, timeout=timeout) as response:
            body = response.read(2000).decode(errors="replace").strip()
            if response.status == expect:
                return Probe(True, body)
            return Probe(False, f"HTTP {response.status}: {body}")
    except urllib.error.HTTPError as error:
        body = error.read(2000).decode(errors="replace").strip()
        return Probe(False, f"HTTP {error.code}: {body}")
    except (urllib.error.URLError, OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", error)
        return Probe(False, str(reason))


def wait(check: Callable[[], Probe], timeout: float, interval: float = 1.0,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Probe:
    """Probe until healthy or `timeout` seconds passed; the last probe either way."""
    deadline = clock() + timeout
    result = check()
    while not result.healthy and clock() < deadline:
        sleep(interval)
        result = check()
    return result


def failure_message(component: str, url: str, timeout: float, last: Probe, logs: list[str] | None) -> str:
    message = f"{component} is not healthy at {url} after {int(timeout)} s: {last.detail}"
    if logs:
        message += "\nLast log lines of its container:\n" + "\n".join(f"  {line}" for line in logs)
    return message

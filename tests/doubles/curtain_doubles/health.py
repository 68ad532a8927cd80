"""Named health checks and the /healthz, /livez and /readyz answers the Kubernetes components give for them.

    ok                                    (200, all checks pass)
    [+]ping ok
    [-]etcd failed: <reason>              (500, the reason is shown where the real servers say "reason withheld")
    healthz check failed
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from curtain_doubles.httpserver import Request, Response, text


class Checks:
    """The current state of each named check, set by the loops that probe things, read by the HTTP handlers."""

    def __init__(self, names: Iterable[str], reason: str = "not checked yet") -> None:
        self._lock = threading.Lock()
        # None until the first result, so that the first result always counts as a change (and gets logged)
        self._state: dict[str, tuple[bool | None, str]] = {name: (None, reason) for name in names}

    def set(self, name: str, ok: bool, reason: str = "") -> bool:
        """Records a result; True when it differs from the previous one (worth a log line)."""
        with self._lock:
            changed = self._state.get(name, (None, ""))[0] != ok
            self._state[name] = (ok, reason)
        return changed

    def ok(self, name: str) -> bool:
        with self._lock:
            return self._state.get(name, (None, ""))[0] is True

    def snapshot(self) -> list[tuple[str, bool, str]]:
        with self._lock:
            return [(name, ok is True, reason) for name, (ok, reason) in self._state.items()]


def answer(kind: str, checks: Checks, request: Request) -> Response:
    """The answer to GET /<kind> or /<kind>/<check>, `?verbose` listing every check as the real servers do."""
    results = [("ping", True, ""), *checks.snapshot()]
    single = request.path.rstrip("/").split("/")[2:3]
    if single:
        found = [result for result in results if result[0] == single[0]]
        if not found:
            return text(404, "404 page not found\n")
        _, ok, reason = found[0]
        return text(200, "ok") if ok else text(500, f"internal server error: {reason}\n")
    healthy = all(ok for _, ok, _ in results)
    lines = [f"[+]{name} ok" if ok else f"[-]{name} failed: {reason}" for name, ok, reason in results]
    if healthy and "verbose" not in request.query:
        return text(200, "ok")
    verdict = f"{kind} check passed" if healthy else f"{kind} check failed"
    return text(200 if healthy else 500, "\n".join([*lines, verdict]) + "\n")

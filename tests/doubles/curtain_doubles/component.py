"""Steps every double takes on its way up: the file checks, the listeners, the loops, the wait for SIGTERM."""

from __future__ import annotations

from collections.abc import Sequence

from curtain_doubles import files, httpserver, log
from curtain_doubles.cli import Context, StartupError
from curtain_doubles.httpserver import Handler, Serving
from curtain_doubles.lifecycle import Lifecycle


def aggregate(errors: Sequence[str]) -> str:
    """apimachinery's utilerrors.NewAggregate text: one error as it is, several as [a, b]."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


def check_files(context: Context, extra_errors: Sequence[str] = ()) -> None:
    """Checks every file the flags name; the problems (with `extra_errors`) fail the start as one aggregate."""
    report = files.check(context.component, context.version, context.flags)
    for warning in report.warnings:
        log.warning(warning)
    errors = [*extra_errors, *report.errors]
    if errors:
        raise StartupError(aggregate(errors))


def listen(host: str, port: int, handler: Handler, what: str) -> Serving:
    """Starts a plain-HTTP listener the component cannot run without; failing to bind fails the start, as in Go."""
    try:
        serving = httpserver.serve(host, port, handler)
    except OSError as error:
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        reason = (error.strerror or str(error)).lower()
        raise StartupError(f"failed to listen on {address}: listen tcp {address}: bind: {reason}") from None
    log.info(f"Serving {what}", address=f"{host}:{serving.port}", scheme="http")
    return serving


def listen_or_log(host: str, port: int, handler: Handler, what: str) -> Serving | None:
    """Starts a listener the component can run without (the kubelet's and kube-proxy's healthz): failure is logged."""
    try:
        return listen(host, port, handler, what)
    except StartupError as error:
        log.error(f"Failed to start the {what} server", err=str(error))
        return None


def start(lifecycle: Lifecycle, servers: Sequence[Serving | None]) -> int:
    """Runs until SIGTERM, then closes the listeners; exit status 0."""
    for server in servers:
        if server is not None:
            lifecycle.on_stop(server.stop)
    return lifecycle.run_until_stopped()

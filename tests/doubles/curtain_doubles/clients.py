"""Where a client component finds the API server: its kubeconfig, --master, or (as 1.1 did) localhost:8080."""

from __future__ import annotations

from curtain_doubles import kubeconfig, log
from curtain_doubles.cli import Context, StartupError
from curtain_doubles.kubeconfig import ApiTarget
from curtain_doubles.pemfiles import FileProblem


def api_target(context: Context, kubeconfig_path: str) -> ApiTarget:
    """The API server and credentials from `kubeconfig_path` (may be ""), with --master overriding its server."""
    master = context.text("master")
    if kubeconfig_path:
        try:
            return kubeconfig.load(kubeconfig_path, master=master)
        except FileProblem as problem:  # already checked at startup; this is the same failure, reported again
            raise StartupError(f"invalid kubeconfig {kubeconfig_path}: {problem}") from None
    if master:
        return ApiTarget(server=kubeconfig.normalize_server(master), source="--master")
    log.warning("Neither --kubeconfig nor --master was specified. Using default API client. This might not work.")
    return ApiTarget(server="http://localhost:8080", source="default")

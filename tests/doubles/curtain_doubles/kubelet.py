"""kubelet 1.1: run the static pods of a directory through Docker Engine, and keep them as their manifests say.

--config is the manifest directory (or file), --api-servers the API server (probed, the result logged), the healthz
address --healthz-bind-address:--healthz-port (127.0.0.1:10248), the Docker daemon --docker-endpoint (else
DOCKER_HOST, else unix:///var/run/docker.sock).

Every poll period (--file-check-frequency, at most 2 s: the real kubelet also watches the directory with inotify) the
kubelet double reads the manifests and logs the invalid ones; every second (the period the kubelet's PLEG relists
containers) it removes the pods whose manifest is gone or changed, starts the containers that are missing, and
restarts exited ones per restartPolicy after the kubelet's crash-loop back-off (10 s, doubling up to 5 minutes).
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from docker.errors import DockerException, NotFound
from requests.exceptions import RequestException

from curtain_doubles import apiclient, component, health, log, pods, podschema
from curtain_doubles.cli import Context
from curtain_doubles.httpserver import Handler, Request, Response, text
from curtain_doubles.kubeconfig import ApiTarget, normalize_server
from curtain_doubles.lifecycle import every
from curtain_doubles.pods import ManifestError, PodPlan
from curtain_doubles.runtime import DockerRuntime, Observed, RuntimeProblem

MAX_POLL_SECONDS = 2.0
RELIST_SECONDS = 1.0  # how often the containers are looked at, as the kubelet's PLEG relists them
BACKOFF_VARIABLE = "CURTAIN_DOUBLE_KUBELET_BACKOFF_SECONDS"  # a test knob; the kubelet's own start is 10 s
BACKOFF_MAX_SECONDS = 300.0
RESET_AFTER_SECONDS = 600.0
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration(text: str, default: float) -> float:
    """Seconds in a Go duration such as 20s, 1m30s or 500ms; `default` when empty."""
    if not text:
        return default
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text)) or 0.0


@dataclass(frozen=True)
class Settings:
    node: str
    static_path: str
    healthz_host: str
    healthz_port: int
    poll_seconds: float
    docker_url: str


def node_name(context: Context) -> str:
    return (context.text("hostname-override") or socket.gethostname()).strip().lower()


def settings(context: Context) -> Settings:
    """The kubelet's settings, from its 1.1 flags."""
    return Settings(
        node=node_name(context),
        static_path=context.text("config"),
        healthz_host=context.text("healthz-bind-address") or "127.0.0.1",
        healthz_port=context.number("healthz-port", context.profile.ports.kubelet_healthz),
        poll_seconds=min(go_duration(context.text("file-check-frequency"), 20.0), MAX_POLL_SECONDS),
        docker_url=context.text("docker-endpoint") or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock",
    )


class Backoff:
    """The kubelet's back-off per container, for crash loops and failed image pulls: base, doubling, at most
    5 minutes, and back to base once a container ran for 10 minutes."""

    def __init__(self, base: float) -> None:
        self.base = base
        self._delay: dict[tuple[str, str], float] = {}
        self._not_before: dict[tuple[str, str], float] = {}
        self._started: dict[tuple[str, str], float] = {}

    def waiting(self, key: tuple[str, str], since: float) -> bool:
        """Starts the wait after a failure at `since` (once per failure); True while the wait lasts."""
        if key not in self._not_before:
            if since - self._started.get(key, since) > RESET_AFTER_SECONDS:
                self._delay.pop(key, None)
            delay = self._delay.get(key, self.base)
            self._not_before[key] = since + delay
            self._delay[key] = min(delay * 2, BACKOFF_MAX_SECONDS)
        return self.pending(key)

    def pending(self, key: tuple[str, str]) -> bool:
        return time.time() < self._not_before.get(key, 0.0)

    def started(self, key: tuple[str, str]) -> None:
        self._not_before.pop(key, None)
        self._started[key] = time.time()

    def forget(self, pod_uid: str) -> None:
        for table in (self._delay, self._not_before, self._started):
            for key in [key for key in table if key[0] == pod_uid]:
                del table[key]


class Kubelet:
    def __init__(self, settings: Settings, runtime: DockerRuntime, schema_version: str, backoff: Backoff) -> None:
        self.settings = settings
        self.runtime = runtime
        self.schema_version = schema_version
        self.backoff = backoff
        self._manifests: dict[str, tuple[bytes, PodPlan | ManifestError]] = {}
        self._desired: dict[str, PodPlan] = {}
        self._read_at = float("-inf")
        self._runtime_ok: bool | None = None

    # --- desired state -------------------------------------------------------------------------------------------
    def _load(self, path: Path) -> PodPlan | ManifestError | None:
        try:
            data = path.read_bytes()
        except OSError as error:
            log.error("Could not read manifest file", path=str(path), err=str(error))
            return None
        cached = self._manifests.get(str(path))
        if cached and cached[0] == data:
            return cached[1]
        try:
            result: PodPlan | ManifestError = pods.load(str(path), data, self.settings.node, self.schema_version)
            log.info("Static pod manifest read", path=str(path), pod=result.name, uid=result.uid)
        except ManifestError as error:
            result = error
            log.error("Could not process manifest file", path=str(path), err=str(error))
        self._manifests[str(path)] = (data, result)
        return result

    def desired(self) -> dict[str, PodPlan]:
        plans: dict[str, PodPlan] = {}
        names: dict[str, str] = {}
        files = pods.manifest_files(self.settings.static_path) if self.settings.static_path else []
        for gone in set(self._manifests) - {str(path) for path in files}:
            log.info("Static pod manifest removed", path=gone)
            del self._manifests[gone]
        for path in files:
            result = self._load(path)
            if not isinstance(result, PodPlan):
                continue
            if result.name in names and names[result.name] != result.uid:
                log.error("Static pod name collision; ignoring the later manifest", pod=result.name, path=str(path))
                continue
            names[result.name] = result.uid
            plans[result.uid] = result
        return plans

    # --- reconciling ---------------------------------------------------------------------------------------------
    def sync(self) -> None:
        """One pass: the manifests when their poll period has passed, the containers every time."""
        if time.monotonic() - self._read_at >= self.settings.poll_seconds:
            self._desired = self.desired()
            self._read_at = time.monotonic()
        desired = self._desired
        try:
            observed: dict[str, list[Observed]] = defaultdict(list)
            for container in self.runtime.observed():
                observed[container.pod_uid].append(container)
            self._report_runtime(True, "")
            for uid, containers in observed.items():
                if uid not in desired:
                    self.kill(uid, containers, replaced=any(plan.name == containers[0].pod_name
                                                            for plan in desired.values()))
            for uid, plan in desired.items():
                self.sync_pod(plan, observed.get(uid, []))
        except (DockerException, RequestException, RuntimeProblem, OSError) as error:
            self._report_runtime(False, str(error))

    def _report_runtime(self, ok: bool, reason: str) -> None:
        if ok != self._runtime_ok and ok:
            log.info("Container runtime is up", endpoint=self.runtime.base_url)
        elif ok != self._runtime_ok:
            log.error("Container runtime is down", endpoint=self.runtime.base_url, err=reason)
        self._runtime_ok = ok

    def kill(self, uid: str, containers: Sequence[Observed], replaced: bool) -> None:
        log.info("Killing pod", pod=containers[0].pod_name, uid=uid,
                 reason="its manifest changed" if replaced else "its manifest is gone")
        with ThreadPoolExecutor(max_workers=max(1, len(containers))) as pool:  # the containers stop together
            list(pool.map(lambda container: self.runtime.remove(container.id, container.grace_seconds), containers))
        self.runtime.remove_volumes(uid)
        self.backoff.forget(uid)

    def sync_pod(self, plan: PodPlan, observed: Sequence[Observed]) -> None:
        wanted = {container.name for container in plan.containers}
        for stray in [container for container in observed if container.container not in wanted]:
            self.runtime.remove(stray.id, plan.grace_seconds)
        for container in plan.containers:
            attempts = sorted((o for o in observed if o.container == container.name), key=lambda o: o.attempt)
            for old in attempts[:-1]:  # keep only the latest attempt, as the kubelet's GC does in effect
                self.runtime.remove(old.id, 0)
            try:
                self.sync_container(plan, container, attempts[-1] if attempts else None)
            except RuntimeProblem as problem:
                log.error("Error syncing pod", pod=plan.name, container=container.name, err=str(problem))
            except NotFound:
                pass  # removed meanwhile (by hand, or by Docker); the next pass starts it again

    def sync_container(self, plan: PodPlan, container: pods.ContainerPlan, latest: Observed | None) -> None:
        key = (plan.uid, container.name)
        if latest is None:
            if not self.backoff.pending(key):  # ImagePullBackOff after a failed pull
                self._start(plan, container, 0)
            return
        if latest.state == "running":
            return
        if latest.state == "created":
            self.runtime.start_existing(latest.id)
            return
        exit_code, finished_at = self.runtime.exit_state(latest.id)
        if plan.restart_policy == "Never" or (plan.restart_policy == "OnFailure" and exit_code == 0):
            return
        if self.backoff.waiting(key, finished_at or time.time()):  # CrashLoopBackOff
            return
        self.runtime.remove(latest.id, 0)
        self._start(plan, container, latest.attempt + 1)
        log.info("Restarted container", pod=plan.name, container=container.name, exitCode=exit_code,
                 attempt=latest.attempt + 1)

    def _start(self, plan: PodPlan, container: pods.ContainerPlan, attempt: int) -> None:
        key = (plan.uid, container.name)
        try:
            self.runtime.ensure_image(container.image, container.pull_policy)
            self.runtime.start(plan, container, attempt)
        except RuntimeProblem:
            self.backoff.waiting(key, time.time())
            raise
        self.backoff.started(key)
        if attempt == 0:
            log.info("Started container", pod=plan.name, container=container.name, image=container.image)


def _api_target(context: Context) -> ApiTarget | None:
    """The API server the kubelet reports to: the first of --api-servers; None runs it standalone."""
    servers = context.items("api-servers")
    return ApiTarget(server=normalize_server(servers[0]), source="--api-servers") if servers else None


def _check_runtime(runtime: DockerRuntime) -> None:
    """1.1 kept retrying when the runtime did not answer at start: logged, and the sync loop tries again."""
    try:
        runtime.ping()
    except RuntimeProblem as problem:
        log.error("Container runtime not available yet; retrying", err=str(problem))


def _healthz(request: Request) -> Response:
    if request.path.rstrip("/") in ("/healthz", "/healthz/ping", "/healthz/syncloop"):
        return text(200, "ok")
    return text(404, "404 page not found\n")


def run(context: Context) -> int:
    component.check_files(context)
    config = settings(context)
    log.info("Static pod source", path=config.static_path or "(none)", node=config.node,
             pollSeconds=config.poll_seconds)
    runtime = DockerRuntime(config.docker_url, config.node)
    _check_runtime(runtime)
    schema_version = podschema.schema_for(context.version)
    log.info("Validating static pods with the v1 Pod schema of kubernetes-validate", schemaVersion=schema_version)
    target = _api_target(context)
    if target is not None:
        apiclient.watch(context.lifecycle, apiclient.ApiProbe(target, health.Checks(["apiserver"]), "kubelet"))
    kubelet = Kubelet(config, runtime, schema_version, Backoff(float(os.environ.get(BACKOFF_VARIABLE, "10"))))
    handler: Handler = _healthz
    listener = (component.listen_or_log(config.healthz_host, config.healthz_port, handler, "healthz")
                if config.healthz_port else None)
    every(context.lifecycle, RELIST_SECONDS, kubelet.sync, "static-pods")
    return component.start(context.lifecycle, [listener])

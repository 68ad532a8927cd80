# Copyright: curtain contributors
# Apache License 2.0
"""A small client for etcd's v3 JSON gateway (grpc-gateway on the client port).

Standard library only: modules run on remote hosts that have Python and nothing else. The gateway speaks the
v3 protobuf messages as JSON: keys and values are base64, uint64 fields (member IDs, revisions) are decimal
strings, and fields with their zero value are left out of answers.
"""

from __future__ import annotations

import base64
import functools
import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ansible_collections.curtain.kube.plugins.module_utils import etcd_release
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import (
    NEW_MEMBER_ID,
    ClusterMember,
    MemberChange,
    MembershipChanges,
    member_id_hex,
    normalize_member_id,
)

# etcd answers this (gRPC FailedPrecondition) while a learner's log is behind the leader's; it clears by itself.
LEARNER_NOT_READY_MESSAGE = "can only promote a learner member which is in sync with leader"
# etcd answers this (gRPC Unavailable) to an add while not every voter has been connected for 5 s, and to a
# removal that would leave fewer such voters than a quorum (strict reconfig check); after a start or a removal
# it clears by itself within seconds.
CLUSTER_UNHEALTHY_MESSAGE = "etcdserver: unhealthy cluster"

# A learner answers this to what only a voting member serves (etcd 3.6+ to a member promote): ask another member.
LEARNER_REFUSAL_MESSAGE = "rpc not supported for learner"

# gRPC status codes carried in gateway error bodies that mean "this member cannot serve now, ask another":
# Unavailable (no leader, learner, stopping), DeadlineExceeded, Internal.
FAILOVER_GRPC_CODES = frozenset({4, 13, 14})

T = TypeVar("T")

# Everything that means "this endpoint did not give an HTTP answer" (refused, timed out, TLS handshake failed,
# garbage on the wire); URLError and SSLError are OSErrors.
NO_ANSWER_ERRORS = (OSError, http.client.HTTPException)

# Arguments shared by the etcd modules (connection to etcd).
CONNECTION_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "ca_file": {"type": "path"},
    "cert_file": {"type": "path"},
    "key_file": {"type": "path"},
}


class EtcdApiError(Exception):
    """etcd could not be reached or refused the request; `endpoint` says which member, if one answered."""

    def __init__(self, message: str, *, endpoint: str | None = None, grpc_code: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.grpc_code = grpc_code


class EtcdTryAgain(EtcdApiError):
    """etcd refused for now, for a reason that usually clears by itself: the same request may succeed later."""


class EtcdLearnerNotReady(EtcdTryAgain):
    """The learner has not caught up with the leader yet: promoting again later will work."""


class EtcdClusterUnhealthy(EtcdTryAgain):
    """etcd refused a membership change to protect quorum (voters not connected for long enough)."""


def _error_class(message: str) -> type[EtcdApiError]:
    if LEARNER_NOT_READY_MESSAGE in message:
        return EtcdLearnerNotReady
    if CLUSTER_UNHEALTHY_MESSAGE in message:
        return EtcdClusterUnhealthy
    return EtcdApiError


def _b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> str:
    return base64.b64decode(text).decode()


def prefix_range_end(prefix: bytes) -> bytes:
    """The range_end that selects every key starting with `prefix` (etcd's GetPrefixRangeEnd)."""
    end = bytearray(prefix)
    while end:
        if end[-1] < 0xFF:
            end[-1] += 1
            return bytes(end)
        end.pop()
    # Empty prefix, or only 0xff bytes: "\0" means "to the end of the keyspace".
    return b"\0"


def cluster_member_from_api(data: dict[str, Any]) -> ClusterMember:
    return ClusterMember(
        id=str(data["ID"]),
        name=data.get("name", ""),
        peer_urls=list(data.get("peerURLs", [])),
        client_urls=list(data.get("clientURLs", [])),
        is_learner=bool(data.get("isLearner", False)),
    )


def _describe_error(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS error: {error.reason}: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or error}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


class EtcdClient:
    """Talks to the first of `endpoints` that answers; an endpoint that cannot serve is skipped for the next."""

    def __init__(
        self,
        endpoints: list[str],
        *,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        if not endpoints:
            raise EtcdApiError("no etcd endpoints given")
        self.endpoints = [endpoint.rstrip("/") for endpoint in endpoints]
        self.timeout = timeout
        self._ssl_context = self._make_ssl_context(ca_file, cert_file, key_file)
        self._has_client_cert = bool(cert_file)

    @staticmethod
    def _make_ssl_context(ca_file: str | None, cert_file: str | None, key_file: str | None) -> ssl.SSLContext:
        # The system trust store unless a CA is given: etcd is normally signed by the cluster's own CA.
        try:
            context = ssl.create_default_context(cafile=ca_file)
            if cert_file:
                context.load_cert_chain(cert_file, key_file)
        except OSError as error:  # missing file, unreadable or mismatched key; SSLError is an OSError
            files = ", ".join(path for path in (ca_file, cert_file, key_file) if path)
            raise EtcdApiError(f"cannot load the etcd TLS files ({files}): {_describe_error(error)}") from error
        return context

    def _explain(self, error: BaseException) -> str:
        text = _describe_error(error)
        # A server that requires client certificates aborts the handshake with a bare alert; say what it means.
        if not self._has_client_cert and "ALERT" in text.upper() and "CERTIFICATE" in text.upper():
            text += " (the server requires a client certificate: set cert_file and key_file)"
        # Over TLS 1.3 the client's side of the handshake ends before the server checks for a certificate: a server
        # that requires one (etcd 3.6 and later, built with a newer Go) then just closes the connection.
        elif not self._has_client_cert and "EOF" in text.upper():
            text += " (the server closed the connection: it likely requires a client certificate, set cert_file and " \
                    "key_file)"
        return text

    # --- transport ------------------------------------------------------------------------------------------

    def _request(self, endpoint: str, path: str, body: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        """One HTTP exchange. Returns (status, parsed JSON) for any answer; raises OSError-family on no answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            endpoint + path,
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl_context) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            parsed = {"error": raw.decode(errors="replace").strip() or f"HTTP {status}"}
        return status, parsed if isinstance(parsed, dict) else {"error": f"unexpected answer {parsed!r}"}

    def _call(self, path: str, body: dict[str, Any], endpoints: list[str] | None = None) -> dict[str, Any]:
        """POST to the first endpoint that can serve.

        An endpoint that does not answer, or answers that it cannot serve now (no leader, a learner, stopping),
        is skipped for the next; a definite refusal (invalid request, member not found, ...) is raised at once.
        """
        failures = []
        error_class: type[EtcdApiError] = EtcdApiError
        for endpoint in endpoints or self.endpoints:
            try:
                status, answer = self._request(endpoint, path, body)
            except NO_ANSWER_ERRORS as error:
                failures.append(f"{endpoint}: {self._explain(error)}")
                continue
            if status == 200:
                return answer
            message = str(answer.get("message") or answer.get("error") or f"HTTP {status}")
            code = answer.get("code")
            if code in FAILOVER_GRPC_CODES or LEARNER_REFUSAL_MESSAGE in message or (code is None and status >= 500):
                failures.append(f"{endpoint}: {message}")
                if _error_class(message) is not EtcdApiError:
                    # One member saying "try again later" makes the whole attempt worth retrying.
                    error_class = _error_class(message)
                continue
            raise _error_class(message)(f"etcd at {endpoint}: {message}", endpoint=endpoint, grpc_code=code)
        raise error_class("no etcd endpoint could serve the request: " + "; ".join(failures))

    # --- cluster --------------------------------------------------------------------------------------------

    def member_list(self, endpoint: str | None = None) -> list[ClusterMember]:
        """The members, from the first endpoint that can serve, or only from `endpoint` when given."""
        # linearizable (etcd >= 3.5) so a lagging member cannot report a membership the leader already changed;
        # older gateways ignore unknown fields.
        answer = self._call(
            "/v3/cluster/member/list",
            {"linearizable": True},
            endpoints=[endpoint.rstrip("/")] if endpoint else None,
        )
        return [cluster_member_from_api(member) for member in answer.get("members", [])]

    def member_add(self, peer_urls: list[str], is_learner: bool) -> ClusterMember:
        answer = self._call("/v3/cluster/member/add", {"peerURLs": list(peer_urls), "isLearner": is_learner})
        return cluster_member_from_api(answer["member"])

    def member_remove(self, member_id: str) -> None:
        self._call("/v3/cluster/member/remove", {"ID": normalize_member_id(member_id)})

    def member_promote(self, member_id: str) -> None:
        self._call("/v3/cluster/member/promote", {"ID": normalize_member_id(member_id)})

    # --- one member -----------------------------------------------------------------------------------------

    def health(self, endpoint: str) -> tuple[bool, str]:
        """(healthy, reason) of one member; never raises, an unreachable member is simply not healthy."""
        endpoint = endpoint.rstrip("/")
        try:
            status, answer = self._request(endpoint, "/health", None)
        except NO_ANSWER_ERRORS as error:
            return False, self._explain(error)
        if answer.get("health") == "true":
            return True, ""
        return False, str(answer.get("reason") or answer.get("error") or f"HTTP {status}")

    def version(self, endpoint: str) -> dict[str, Any]:
        """What one member's /version says: its release, the cluster's version and (etcd >= 3.6) the storage's."""
        endpoint = endpoint.rstrip("/")
        try:
            status, answer = self._request(endpoint, "/version", None)
        except NO_ANSWER_ERRORS as error:
            raise EtcdApiError(f"etcd at {endpoint}: {self._explain(error)}", endpoint=endpoint) from error
        if status != 200:
            raise EtcdApiError(f"etcd at {endpoint}: /version answered HTTP {status}", endpoint=endpoint)
        return answer

    def status(self, endpoint: str) -> dict[str, Any]:
        """Maintenance status of one member (version, leader, raft indexes, isLearner); no failover."""
        return self._call("/v3/maintenance/status", {}, endpoints=[endpoint.rstrip("/")])

    # --- keys -----------------------------------------------------------------------------------------------

    def put(self, key: str, value: str) -> None:
        self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def get(self, key: str) -> str | None:
        answer = self._call("/v3/kv/range", {"key": _b64(key)})
        kvs = answer.get("kvs") or []
        # An empty value is left out of the JSON answer, like every zero value.
        return _unb64(kvs[0].get("value", "")) if kvs else None

    def count(self, prefix: str) -> int:
        raw_prefix = prefix.encode()
        body = {
            "key": _b64(raw_prefix or b"\0"),
            "range_end": _b64(prefix_range_end(raw_prefix)),
            "count_only": True,
        }
        return int(self._call("/v3/kv/range", body).get("count", "0"))


def client_from_params(params: dict[str, Any], endpoints: list[str], *, request_timeout: float = 5.0) -> EtcdClient:
    """An EtcdClient from a module's connection parameters (CONNECTION_ARGUMENT_SPEC)."""
    return EtcdClient(
        endpoints,
        ca_file=params.get("ca_file"),
        cert_file=params.get("cert_file"),
        key_file=params.get("key_file"),
        timeout=request_timeout,
    )


def retry_later(
    operation: Callable[[], T],
    *,
    what: str,
    timeout: float,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `operation`, again while etcd answers EtcdTryAgain, for up to `timeout` seconds; return its result."""
    deadline = clock() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            return operation()
        except EtcdTryAgain as error:
            if clock() + interval > deadline:
                raise type(error)(
                    f"could not {what} within {timeout:g}s ({attempts} attempts): {error}",
                    endpoint=error.endpoint,
                    grpc_code=error.grpc_code,
                ) from error
            sleep(interval)


def promote_when_ready(
    client: EtcdClient,
    member_id: str,
    *,
    timeout: float,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Promote a learner, retrying while it catches up with the leader."""
    retry_later(
        lambda: client.member_promote(member_id),
        what=f"promote learner {member_id_hex(normalize_member_id(member_id))} (not in sync with the leader)",
        timeout=timeout,
        interval=interval,
        sleep=sleep,
        clock=clock,
    )


def apply_member_changes(
    client: EtcdClient,
    plan: MembershipChanges,
    *,
    retry_timeout: float,
    applied: list[MemberChange] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ClusterMember | None:
    """Carry out the planned changes in order; returns the member etcd added, if any.

    Changes that etcd refuses only for now (EtcdTryAgain) are retried for up to `retry_timeout`
    seconds. `applied` collects the changes done, so that a failure half-way can still report a change.
    """
    added: ClusterMember | None = None
    for change in plan.changes:
        if change.action == "remove":
            member_id = _change_id(change, added)
            retry_later(
                functools.partial(client.member_remove, member_id),
                what=f"remove member {member_id_hex(member_id)} (etcd protects quorum)",
                timeout=retry_timeout,
                sleep=sleep,
            )
        elif change.action == "add":
            added = retry_later(
                functools.partial(client.member_add, list(change.peer_urls), change.is_learner),
                what=f"add member with peer URLs {', '.join(change.peer_urls)} (etcd protects quorum)",
                timeout=retry_timeout,
                sleep=sleep,
            )
        elif change.action == "promote":
            promote_when_ready(client, _change_id(change, added), timeout=retry_timeout, sleep=sleep)
        if applied is not None:
            applied.append(change)
    return added


# --- waiting for a member -----------------------------------------------------------------------------------


@dataclass
class MemberReadiness:
    ready: bool
    error: str = ""
    member: ClusterMember | None = None


def member_readiness(
    client: EtcdClient,
    endpoint: str,
    *,
    member_id: str | None = None,
    name: str | None = None,
    allow_learner: bool = False,
    cluster_release: str | None = None,
) -> MemberReadiness:
    """Is the member at `endpoint` healthy and, when asked, the expected, started, voting member, in a cluster
    whose version has reached `cluster_release`'s minor?"""
    healthy, reason = client.health(endpoint)
    if not healthy:
        return MemberReadiness(False, reason)
    if cluster_release is not None:
        behind = cluster_version_behind(client, endpoint, cluster_release)
        if behind:
            return MemberReadiness(False, behind)
    if member_id is None and name is None:
        return MemberReadiness(True)
    try:
        # The status call also works on learners, which refuse MemberList.
        status = client.status(endpoint)
        own_id = str(status["header"]["member_id"])
        own = ClusterMember(id=own_id, name="", is_learner=bool(status.get("isLearner", False)))
        if member_id is not None and own_id != normalize_member_id(member_id):
            wanted = member_id_hex(normalize_member_id(member_id))
            return MemberReadiness(False, f"the endpoint serves member {own.hex_id}, not {wanted}", own)
        if own.is_learner and not allow_learner:
            return MemberReadiness(False, f"member {own.hex_id} is still a learner", own)
        if own.is_learner:
            return MemberReadiness(True, "", own)
        members = client.member_list(endpoint)
    except EtcdApiError as error:
        return MemberReadiness(False, str(error))
    own = next((member for member in members if member.id == own_id), own)
    if not own.started:
        return MemberReadiness(False, f"member {own.hex_id} has not published its name yet", own)
    if name is not None and own.name != name:
        return MemberReadiness(False, f"the endpoint serves member {own.name!r} ({own.hex_id}), not {name!r}", own)
    return MemberReadiness(True, "", own)


def cluster_version_behind(client: EtcdClient, endpoint: str, release: str) -> str:
    """Why the cluster's version, and the storage's where etcd reports one (3.6 and later), have not reached
    `release`'s minor, as the member at `endpoint` sees them; "" once they have.

    etcd raises the cluster version to the lowest minor its members run only some seconds after the last of them
    started (the leader compares the members' releases every few seconds), and the storage version after that: a
    member healthy at a new release does not yet make a cluster of that release.
    """
    wanted = etcd_release.parse(release, "cluster_release")[:2]
    try:
        answer = client.version(endpoint)
    except EtcdApiError as error:
        return str(error)
    behind = []
    for key, label in (("etcdcluster", "cluster"), ("storage", "storage")):
        if key == "storage" and key not in answer:
            continue
        reported = str(answer.get(key) or "")
        parts = reported.split(".")[:2]
        if not all(part.isdigit() for part in parts) or len(parts) < 2 or tuple(map(int, parts)) < wanted:
            behind.append(f"the {label} version is {reported or 'not known yet'}")
    if not behind:
        return ""
    minor = ".".join(map(str, wanted))
    return f"{' and '.join(behind)}, not yet {minor} (etcd raises it some seconds after every member runs {minor})"


def wait_for_member(
    client: EtcdClient,
    endpoint: str,
    *,
    timeout: float,
    member_id: str | None = None,
    name: str | None = None,
    allow_learner: bool = False,
    cluster_release: str | None = None,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> MemberReadiness:
    """Poll member_readiness until ready or `timeout` seconds have passed; returns the last answer."""
    deadline = clock() + timeout
    while True:
        readiness = member_readiness(client, endpoint, member_id=member_id, name=name, allow_learner=allow_learner,
                                     cluster_release=cluster_release)
        if readiness.ready or clock() + interval > deadline:
            return readiness
        sleep(interval)


# --- a picture of the cluster -------------------------------------------------------------------------------


def cluster_info(client: EtcdClient) -> dict[str, Any]:
    """Members, per-endpoint health and leader; `available` is false (never an exception) when nobody answers."""
    health = {}
    for endpoint in client.endpoints:
        healthy, reason = client.health(endpoint)
        health[endpoint] = {"healthy": healthy, "error": reason}
    try:
        members = client.member_list()
    except EtcdApiError as error:
        errors = {endpoint: state["error"] or str(error) for endpoint, state in health.items()}
        return {
            "available": False,
            "members": [],
            "health": health,
            "versions": {},
            "leader": None,
            "leader_hex": None,
            "errors": errors,
        }
    leader = None
    versions = {}
    for endpoint, state in health.items():
        if state["healthy"]:
            try:
                status = client.status(endpoint)
            except EtcdApiError:
                continue
            versions[endpoint] = str(status.get("version") or "")
            leader = leader or status.get("leader")
    leader = str(leader) if leader else None
    return {
        "available": True,
        "members": [member.to_dict() for member in members],
        "health": health,
        "versions": versions,
        "leader": leader,
        "leader_hex": member_id_hex(leader) if leader else None,
        "errors": {endpoint: state["error"] for endpoint, state in health.items() if not state["healthy"]},
    }


def _change_id(change: MemberChange, added: ClusterMember | None) -> str:
    # A promote planned for a member added in the same run only learns its ID from etcd's answer.
    if change.member_id == NEW_MEMBER_ID and added is not None:
        return added.id
    if change.member_id is None:
        raise EtcdApiError(f"internal error: {change.action} without a member ID")
    return change.member_id


def wait_failure_message(
    label: str,
    endpoint: str,
    timeout: float,
    error: str,
    *,
    container: str | None = None,
    logs: list[str] | None = None,
) -> str:
    """Why etcd_wait gave up, with the container's last log lines: usually the real reason is in there."""
    message = f"etcd member {label} at {endpoint} not ready after {timeout:g}s: {error}"
    if container is not None and logs is not None:
        message += f"\nlast {len(logs)} lines of docker logs {container}:\n" + "\n".join(logs)
    return message

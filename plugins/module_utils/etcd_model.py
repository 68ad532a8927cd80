# Copyright: curtain contributors
# Apache License 2.0
"""The etcd cluster as data: members from the inventory, the etcd command line, and membership plans.

Pure functions only (no I/O), so the same code serves the filters on the controller, the modules on the
remote host, and plain unit tests.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

# Names of the etcd role's variables the inputs come from, so that messages point at what the user has to fix.
GROUP_VARIABLE = "etcd_group"
NAME_VARIABLE = "etcd_member_name"
ADDRESS_VARIABLE = "etcd_advertise_address"
TLS_VARIABLE = "etcd_tls"  # the URL scheme follows it: https with TLS, http without
CLIENT_PORT_VARIABLE = "etcd_client_port"
PEER_PORT_VARIABLE = "etcd_peer_port"
EXTRA_VARIABLE = "etcd_extra_flags"

# etcd accepts almost any member name, but names also end up in file names, container names and DNS-ish
# contexts, so we hold them to a DNS-label-like shape.
MEMBER_NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
MEMBER_NAME_MAX_LENGTH = 63
HOSTNAME_LABEL_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", re.IGNORECASE)
EXTRA_FLAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")

SCHEMES = ("http", "https")
CLUSTER_STATES = ("new", "existing")
RECOMMENDED_SIZES = (1, 3, 5, 7)
TLS_KEYS = ("ca", "server_cert", "server_key", "peer_cert", "peer_key")

# Every flag etcd_args() may write. An extra flag with one of these names would silently fight the role, so it
# is refused, whether or not the flag is emitted for the current settings (e.g. TLS flags with TLS off).
MANAGED_FLAGS = frozenset(
    {
        "name",
        "data-dir",
        "listen-client-urls",
        "advertise-client-urls",
        "listen-peer-urls",
        "initial-advertise-peer-urls",
        "initial-cluster",
        "initial-cluster-state",
        "initial-cluster-token",
        "client-cert-auth",
        "trusted-ca-file",
        "cert-file",
        "key-file",
        "peer-client-cert-auth",
        "peer-trusted-ca-file",
        "peer-cert-file",
        "peer-key-file",
        "enable-v2",
    }
)

PLAN_ACTIONS = ("bootstrap", "start", "run", "join", "resume_join", "promote", "replace", "stale_data")


class EtcdModelError(ValueError):
    """Invalid etcd settings or an impossible membership situation; the message says what to fix."""


@dataclass(frozen=True)
class EtcdMember:
    """One etcd member as the inventory describes it."""

    name: str
    address: str
    peer_url: str
    client_url: str


@dataclass
class ClusterMember:
    """One member as etcd itself reports it (MemberList). IDs stay decimal strings: they are uint64."""

    id: str
    name: str
    peer_urls: list[str] = field(default_factory=list)
    client_urls: list[str] = field(default_factory=list)
    is_learner: bool = False

    @property
    def started(self) -> bool:
        # etcd publishes the name only once the member process has started and joined.
        return self.name != ""

    @property
    def hex_id(self) -> str:
        return member_id_hex(self.id)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hex_id"] = self.hex_id
        data["started"] = self.started
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterMember:
        """Accept the dicts this module returns (to_dict) so YAML can pass them back in."""
        if not isinstance(data, dict) or "id" not in data:
            raise EtcdModelError(f"a cluster member must be a mapping with at least 'id', got {data!r}")
        # NEW_MEMBER_ID marks the member check mode would add: keep it, it is no real ID.
        member_id = NEW_MEMBER_ID if str(data["id"]) == NEW_MEMBER_ID else normalize_member_id(data["id"])
        return cls(
            id=member_id,
            name=str(data.get("name") or ""),
            peer_urls=[str(url) for url in data.get("peer_urls") or []],
            client_urls=[str(url) for url in data.get("client_urls") or []],
            is_learner=bool(data.get("is_learner", False)),
        )


@dataclass(frozen=True)
class MemberPlan:
    """What to do to bring one configured member up, given what the live cluster says about it."""

    action: str
    initial_cluster_state: str
    reason: str
    remove_id: str | None = None
    needs_add: bool = False
    needs_promote: bool = False
    move_data_aside: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- identifiers --------------------------------------------------------------------------------------------


def member_id_hex(member_id: str) -> str:
    """Render a decimal member ID the way etcdctl shows it."""
    return format(int(member_id), "x")


def normalize_member_id(member_id: Any) -> str:
    """Accept a member ID as decimal (the JSON gateway) or hex (etcdctl, optionally 0x-prefixed); return decimal."""
    if isinstance(member_id, bool):
        raise EtcdModelError(f"invalid etcd member ID {member_id!r}")
    if isinstance(member_id, int):
        value = member_id
    else:
        text = str(member_id).strip().lower()
        try:
            if text.startswith("0x"):
                value = int(text, 0)
            elif text.isdigit():
                value = int(text, 10)
            else:
                # etcdctl prints IDs as bare hex (e.g. 8e9e05c52164694d); a pure-digit string is taken as decimal.
                value = int(text, 16)
        except ValueError:
            raise EtcdModelError(f"invalid etcd member ID {member_id!r}: expected decimal or hex digits") from None
    if not 0 < value < 2**64:
        raise EtcdModelError(f"invalid etcd member ID {member_id!r}: out of the uint64 range")
    return str(value)


# --- building the cluster from the inventory ----------------------------------------------------------------


def _check_port(variable: str, value: Any) -> int:
    # bool is an int subclass; "true" as a port is always a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise EtcdModelError(f"{variable} must be an integer port, got {value!r}")
    if not 1 <= value <= 65535:
        raise EtcdModelError(f"{variable} must be an integer port between 1 and 65535, got {value!r}")
    return value


def _is_hostname(text: str) -> bool:
    if len(text) > 253:
        return False
    labels = text.rstrip(".").split(".")
    if not all(len(label) <= 63 and HOSTNAME_LABEL_PATTERN.match(label) for label in labels):
        return False
    # An all-numeric last label is a mistyped IPv4 address (10.0.0.256), not a name (RFC 3696 section 2).
    return not labels[-1].isdigit()


def _check_address(host: str, value: Any) -> str:
    where = f"host {host!r}: {ADDRESS_VARIABLE}"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise EtcdModelError(f"{where} is required (the IP address or DNS name the member advertises)")
    if not isinstance(value, str):
        raise EtcdModelError(f"{where} must be a string, got {value!r}")
    if value != value.strip():
        raise EtcdModelError(f"{where} has surrounding whitespace: {value!r}")
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        if _is_hostname(value):
            return value
        raise EtcdModelError(
            f"{where} must be an IPv4 address, an IPv6 address (without brackets) or a DNS name, got {value!r}"
        ) from None
    if ip.is_unspecified or ip.is_multicast:
        raise EtcdModelError(f"{where} must be an address other members can reach, got {value!r}")
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        raise EtcdModelError(f"{where} must not carry an IPv6 zone (scope) id, got {value!r}")
    return value


def _check_member_name(host: str, value: Any) -> str:
    where = f"host {host!r}: {NAME_VARIABLE}"
    if not isinstance(value, str):
        raise EtcdModelError(f"{where} must be a string, got {value!r}")
    if len(value) > MEMBER_NAME_MAX_LENGTH:
        raise EtcdModelError(f"{where} {value!r} is longer than {MEMBER_NAME_MAX_LENGTH} characters")
    if not MEMBER_NAME_PATTERN.match(value):
        raise EtcdModelError(
            f"{where} {value!r} is invalid: use lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return value


def url_host(address: str) -> str:
    """The host part of a URL for this address: IPv6 literals go in brackets."""
    return f"[{address}]" if ":" in address else address


def _address_key(address: str) -> str:
    # Compare addresses the way the network does: 10.0.0.1 == 10.0.0.1, ::1 == 0::1, names case-insensitively.
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address.rstrip(".").lower()


def build_cluster(
    hosts: list[str],
    host_settings: dict[str, dict[str, Any]],
    *,
    scheme: str,
    client_port: int,
    peer_port: int,
) -> list[EtcdMember]:
    """The members of the cluster, in inventory order, from each host's `name` and `address` settings."""
    if scheme not in SCHEMES:
        raise EtcdModelError(f"the etcd URL scheme (from {TLS_VARIABLE}) must be 'http' or 'https', got {scheme!r}")
    _check_port(CLIENT_PORT_VARIABLE, client_port)
    _check_port(PEER_PORT_VARIABLE, peer_port)
    if client_port == peer_port:
        raise EtcdModelError(
            f"{CLIENT_PORT_VARIABLE} and {PEER_PORT_VARIABLE} must differ, both are {client_port}"
        )
    if not hosts:
        raise EtcdModelError(f"the inventory group named by {GROUP_VARIABLE} is empty: etcd needs at least one host")

    members: list[EtcdMember] = []
    host_by_name: dict[str, str] = {}
    host_by_address: dict[str, str] = {}
    for host in hosts:
        if not isinstance(host, str) or not host:
            raise EtcdModelError(f"the group named by {GROUP_VARIABLE} contains an invalid host name {host!r}")
        if host in host_by_name.values():
            raise EtcdModelError(f"host {host!r} is listed twice in the group named by {GROUP_VARIABLE}")
        settings = host_settings.get(host)
        if not isinstance(settings, dict):
            raise EtcdModelError(f"host {host!r} has no etcd settings: {ADDRESS_VARIABLE} is required")
        name = _check_member_name(host, settings.get("name", host))
        address = _check_address(host, settings.get("address"))
        if name in host_by_name:
            raise EtcdModelError(
                f"hosts {host_by_name[name]!r} and {host!r} have the same {NAME_VARIABLE} {name!r}"
            )
        key = _address_key(address)
        if key in host_by_address:
            raise EtcdModelError(
                f"hosts {host_by_address[key]!r} and {host!r} have the same {ADDRESS_VARIABLE} {address!r} "
                f"with the same ports ({CLIENT_PORT_VARIABLE}={client_port}, {PEER_PORT_VARIABLE}={peer_port})"
            )
        host_by_name[name] = host
        host_by_address[key] = host
        members.append(
            EtcdMember(
                name=name,
                address=address,
                peer_url=f"{scheme}://{url_host(address)}:{peer_port}",
                client_url=f"{scheme}://{url_host(address)}:{client_port}",
            )
        )
    return members


def cluster_size_warnings(size: int) -> list[str]:
    """Advice about the number of members; empty when the size is a good one."""
    if size < 1:
        return [f"an etcd cluster needs at least one member, got {size}"]
    warnings = []
    if size % 2 == 0:
        warnings.append(
            f"an etcd cluster of {size} members tolerates {(size - 1) // 2} failure(s), no more than one of "
            f"{size - 1}, and needs more votes for every write: use an odd number of members"
        )
    if size > 7:
        warnings.append(
            f"an etcd cluster of {size} members replicates every write to more members than it gains in "
            "availability: etcd recommends at most 7"
        )
    if size not in RECOMMENDED_SIZES and not warnings:
        warnings.append(f"an etcd cluster of {size} members is unusual: etcd recommends 1, 3, 5 or 7 members")
    return warnings


# --- the etcd command line ----------------------------------------------------------------------------------


def initial_cluster(members: list[EtcdMember]) -> str:
    """The --initial-cluster value for bootstrapping all `members` together."""
    return ",".join(f"{member.name}={member.peer_url}" for member in members)


def _is_loopback(address: str) -> bool:
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _scheme_of(url: str) -> str:
    return urlsplit(url).scheme


def listen_client_urls(member: EtcdMember) -> list[str]:
    """Where the member listens for clients: its advertised URL, plus loopback for local tools."""
    scheme = _scheme_of(member.client_url)
    port = urlsplit(member.client_url).port
    if not _is_ip(member.address) and not _is_loopback(member.address):
        # etcd only binds to IP literals ("expected IP in URL for binding"); for a DNS name the only choice that
        # keeps the advertised name reachable is every interface, which also covers loopback.
        return [f"{scheme}://0.0.0.0:{port}"]
    urls = [member.client_url]
    if not _is_loopback(member.address):
        # Health checks and etcdctl on the host itself use 127.0.0.1, whatever the advertised address.
        urls.append(f"{scheme}://127.0.0.1:{port}")
    return urls


def listen_peer_urls(member: EtcdMember) -> list[str]:
    if not _is_ip(member.address) and not _is_loopback(member.address):
        scheme = _scheme_of(member.peer_url)
        return [f"{scheme}://0.0.0.0:{urlsplit(member.peer_url).port}"]
    return [member.peer_url]


def _flag_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(item, (str, int)) for item in value):
        return ",".join(str(item) for item in value)
    raise EtcdModelError(f"{EXTRA_VARIABLE}: flag {name!r} has a value etcd cannot take: {value!r}")


def _check_extra(extra: dict[str, Any]) -> dict[str, str]:
    flags = {}
    for name, value in extra.items():
        if not isinstance(name, str) or not EXTRA_FLAG_PATTERN.match(name):
            raise EtcdModelError(
                f"{EXTRA_VARIABLE}: invalid flag name {name!r}: give the etcd flag name without leading dashes, "
                "e.g. 'heartbeat-interval'"
            )
        if name in MANAGED_FLAGS:
            raise EtcdModelError(
                f"{EXTRA_VARIABLE}: flag {name!r} is managed by the etcd role; set it through the role's variables"
            )
        flags[name] = _flag_value(name, value)
    return flags


def _check_tls(tls: dict[str, Any]) -> dict[str, str]:
    missing = [key for key in TLS_KEYS if not isinstance(tls.get(key), str) or not tls.get(key)]
    if missing:
        raise EtcdModelError(f"etcd TLS settings lack {', '.join(missing)} (needed: {', '.join(TLS_KEYS)})")
    return {key: tls[key] for key in TLS_KEYS}


def etcd_args(
    member: EtcdMember,
    *,
    members: list[EtcdMember],
    state: str,
    cluster_token: str,
    data_dir: str,
    tls: dict[str, Any] | None,
    enable_v2: bool,
    extra: dict[str, Any],
    initial_cluster_value: str | None = None,
) -> list[str]:
    """The etcd command line for `member`: "etcd" then its flags sorted by name.

    `initial_cluster_value` overrides the --initial-cluster built from `members`; a joining member needs the live
    cluster's view (see join_initial_cluster), not the inventory's.
    """
    if state not in CLUSTER_STATES:
        raise EtcdModelError(f"initial cluster state must be 'new' or 'existing', got {state!r}")
    if not isinstance(cluster_token, str) or not cluster_token:
        raise EtcdModelError("the etcd initial cluster token must be a non-empty string")
    if not isinstance(data_dir, str) or not data_dir.startswith("/"):
        raise EtcdModelError(f"the etcd data directory must be an absolute path, got {data_dir!r}")
    if member.name not in {other.name for other in members}:
        raise EtcdModelError(f"etcd member {member.name!r} is not one of the cluster's members")
    uses_https = _scheme_of(member.client_url) == "https" or _scheme_of(member.peer_url) == "https"
    if uses_https and tls is None:
        raise EtcdModelError(
            f"etcd member {member.name!r} uses https URLs but no TLS files were given ({TLS_VARIABLE} is on)"
        )
    if not uses_https and tls is not None:
        raise EtcdModelError(
            f"etcd member {member.name!r} has TLS files but http URLs: build the cluster with the https scheme "
            f"when {TLS_VARIABLE} is on"
        )

    flags: dict[str, str] = {
        "name": member.name,
        "data-dir": data_dir,
        "listen-client-urls": ",".join(listen_client_urls(member)),
        "advertise-client-urls": member.client_url,
        "listen-peer-urls": ",".join(listen_peer_urls(member)),
        "initial-advertise-peer-urls": member.peer_url,
        "initial-cluster": initial_cluster_value if initial_cluster_value is not None else initial_cluster(members),
        "initial-cluster-state": state,
        "initial-cluster-token": cluster_token,
    }
    if tls is not None:
        files = _check_tls(tls)
        flags.update(
            {
                "client-cert-auth": "true",
                "trusted-ca-file": files["ca"],
                "cert-file": files["server_cert"],
                "key-file": files["server_key"],
                "peer-client-cert-auth": "true",
                "peer-trusted-ca-file": files["ca"],
                "peer-cert-file": files["peer_cert"],
                "peer-key-file": files["peer_key"],
            }
        )
    if enable_v2:
        flags["enable-v2"] = "true"
    flags.update(_check_extra(extra))
    return ["etcd"] + [f"--{name}={value}" for name, value in sorted(flags.items())]


# --- membership ---------------------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """Compare URLs as etcd does in effect: scheme and host case-insensitive, no trailing slash."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _has_peer_url(cluster_member: ClusterMember, peer_urls: list[str]) -> bool:
    wanted = {normalize_url(url) for url in peer_urls}
    return any(normalize_url(url) in wanted for url in cluster_member.peer_urls)


def find_cluster_member(
    cluster: list[ClusterMember], *, name: str | None, peer_urls: list[str]
) -> ClusterMember | None:
    """The registration for a member: by name when it has started, else by peer URL (unstarted members are nameless).

    A registration whose name and peer URLs point at different configured members is refused: acting on it
    would remove or promote the wrong member.
    """
    by_name = next((m for m in cluster if name and m.name == name), None)
    by_peer = next((m for m in cluster if peer_urls and _has_peer_url(m, peer_urls)), None)
    if by_name and peer_urls and not _has_peer_url(by_name, peer_urls):
        raise EtcdModelError(
            f"etcd member {name!r} is registered with peer URLs {', '.join(by_name.peer_urls)}, not "
            f"{', '.join(peer_urls)}: remove the old registration ({by_name.hex_id}) first"
        )
    if by_name is None and by_peer is not None and by_peer.started and name and by_peer.name != name:
        raise EtcdModelError(
            f"peer URL {', '.join(peer_urls)} of etcd member {name!r} is registered to member {by_peer.name!r} "
            f"({by_peer.hex_id}): two members cannot share a peer URL"
        )
    return by_name or by_peer


def plan_member(member: EtcdMember, *, has_data: bool, cluster: list[ClusterMember] | None) -> MemberPlan:
    """How to start `member`, from its local data and the live member list (None: no other member answered)."""
    if cluster is None:
        if has_data:
            # Every member may be down (a host reboot, a restore): one alone has no quorum and never gets
            # healthy, so members in this state start together, like a bootstrap.
            return MemberPlan(
                action="start",
                initial_cluster_state="existing",
                reason=(
                    f"etcd member {member.name} has data and no member answered: start it from its data, "
                    "together with the other members in the same state"
                ),
            )
        return MemberPlan(
            action="bootstrap",
            initial_cluster_state="new",
            reason=f"no etcd member answered and {member.name} has no data: bootstrap a new cluster",
        )

    registered = find_cluster_member(cluster, name=member.name, peer_urls=[member.peer_url])
    if registered is None:
        if has_data:
            return MemberPlan(
                action="stale_data",
                initial_cluster_state="existing",
                needs_add=True,
                needs_promote=True,
                move_data_aside=True,
                reason=(
                    f"etcd member {member.name} is not in the cluster but has data (from a removed member or "
                    "another cluster): move the data aside, add it as a learner, join, promote"
                ),
            )
        return MemberPlan(
            action="join",
            initial_cluster_state="existing",
            needs_add=True,
            needs_promote=True,
            reason=f"etcd member {member.name} is not in the cluster: add it as a learner, join, promote",
        )

    if registered.started and has_data:
        if registered.is_learner:
            return MemberPlan(
                action="promote",
                initial_cluster_state="existing",
                needs_promote=True,
                reason=f"etcd member {member.name} runs as a learner ({registered.hex_id}): promote it",
            )
        return MemberPlan(
            action="run",
            initial_cluster_state="existing",
            reason=f"etcd member {member.name} is in the cluster ({registered.hex_id}) and has its data",
        )

    if registered.started:
        # Restarting the old ID with an empty data dir makes raft panic ("tocommit out of range"): the leader
        # remembers entries this member acknowledged. A fresh registration is the only safe way back.
        return MemberPlan(
            action="replace",
            initial_cluster_state="existing",
            remove_id=registered.id,
            needs_add=True,
            needs_promote=True,
            reason=(
                f"etcd member {member.name} is registered ({registered.hex_id}) but its data is gone: remove the "
                "old registration, add it again as a learner, join, promote"
            ),
        )

    if not has_data:
        return MemberPlan(
            action="resume_join",
            initial_cluster_state="existing",
            needs_promote=registered.is_learner,
            reason=(
                f"etcd member {member.name} was added ({registered.hex_id}) but never started: start it to join"
                + (", then promote it" if registered.is_learner else "")
            ),
        )

    # Registered but never started, yet there is data: we cannot tell whose ID that data carries, and a member
    # that acknowledged entries must not come back empty under the same ID. Start over with a new registration.
    return MemberPlan(
        action="replace",
        initial_cluster_state="existing",
        remove_id=registered.id,
        needs_add=True,
        needs_promote=True,
        move_data_aside=True,
        reason=(
            f"etcd member {member.name} was added ({registered.hex_id}) but never started, yet has data of "
            "unknown origin: move the data aside, replace the registration, join, promote"
        ),
    )


def join_initial_cluster(member: EtcdMember, cluster: list[ClusterMember]) -> str:
    """--initial-cluster for a joining member: the live started members plus the member itself.

    etcd checks a joiner's --initial-cluster against the live membership, so it must come from the cluster,
    not from the inventory. Every peer URL of a member is listed, as etcd compares all of them.
    """
    entries = []
    for other in cluster:
        if not other.started or other.name == member.name or _has_peer_url(other, [member.peer_url]):
            continue
        entries.extend(f"{other.name}={url}" for url in other.peer_urls)
    entries.append(f"{member.name}={member.peer_url}")
    return ",".join(entries)


# --- operations: backup, restore, member replacement ------------------------------------------------------


def first_healthy_host(hosts: list[str], members: list[EtcdMember], health: dict[str, dict[str, Any]]) -> str:
    """The first inventory host whose member answers healthy (etcd_member_info's `health`): the snapshot source."""
    if len(hosts) != len(members):
        raise EtcdModelError("first_healthy_host needs one member per host, in the same order (from etcd_cluster)")
    for host, member in zip(hosts, members, strict=True):
        if (health.get(member.client_url) or {}).get("healthy"):
            return host
    errors = "; ".join(
        f"{member.name}: {(health.get(member.client_url) or {}).get('error') or 'no answer'}" for member in members
    )
    raise EtcdModelError(f"no etcd member is healthy, so there is nothing to back up from ({errors})")


def snapshots_to_prune(paths: list[str], keep: int) -> list[str]:
    """The snapshots beyond the newest `keep`. Names carry a UTC timestamp, so name order is age order."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise EtcdModelError(f"etcd_backup_keep must be an integer of at least 1, got {keep!r}")
    return sorted(paths, reverse=True)[keep:]


def replacement(cluster: list[ClusterMember], health: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """Whether removing member `name` from the cluster is safe, and the ID to remove (None: already gone).

    Removing a voting member shrinks the quorum; it is refused when the voting members left that answer healthy
    would not be a majority of the voting members left, since the cluster would then stop serving.
    """
    if not isinstance(name, str) or not name:
        raise EtcdModelError("etcd_replace_member must name the member to replace (its etcd member name)")
    registered = [member for member in cluster if member.name == name]
    if not registered:
        return {"remove_id": None, "reason": f"etcd member {name} is not registered (already removed)"}
    target = registered[0]
    health_by_url = {normalize_url(url): status for url, status in health.items()}
    voters_left = [member for member in cluster if not member.is_learner and member.id != target.id]
    healthy_left = [
        member
        for member in voters_left
        if any((health_by_url.get(normalize_url(url)) or {}).get("healthy") for url in member.client_urls)
    ]
    if not target.is_learner and len(healthy_left) <= len(voters_left) // 2:
        raise EtcdModelError(
            f"removing etcd member {name} ({target.hex_id}) would leave {len(healthy_left)} healthy of "
            f"{len(voters_left)} voting members, which is no majority: bring the other members back first"
        )
    return {
        "remove_id": target.id,
        "reason": f"remove etcd member {name} ({target.hex_id}); {len(healthy_left)} of {len(voters_left)} "
        "voting members left are healthy",
    }


# --- membership changes (the etcd_member module's record of differences) -----------------------------------


@dataclass(frozen=True)
class MemberChange:
    """One membership operation. member_id is None only for an add, whose ID etcd assigns."""

    action: str  # "add" | "promote" | "remove"
    member_id: str | None
    peer_urls: tuple[str, ...]
    is_learner: bool = False

    def describe(self, members: list[ClusterMember] | None = None) -> str:
        """A sentence for humans; with the member list, removals and promotions name the member."""
        if self.action == "add":
            kind = "learner" if self.is_learner else "voting member"
            return f"add {kind} with peer URLs {', '.join(self.peer_urls)}"
        if self.member_id == NEW_MEMBER_ID:
            return f"{self.action} the member added above"
        target = next((m for m in members or [] if m.id == self.member_id), None)
        label = member_line(target) if target else member_id_hex(self.member_id or "0")
        return f"{self.action} {label}"


@dataclass
class MembershipChanges:
    """The difference between the live membership and the desired one, computed once."""

    before: list[ClusterMember]
    after: list[ClusterMember]
    changes: list[MemberChange]
    target: ClusterMember | None

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def actions(self) -> list[str]:
        return [change.describe(self.before) for change in self.changes]

    def diff(self, after: list[ClusterMember] | None = None) -> dict[str, str]:
        """Before/after as text; `after` overrides the predicted list (e.g. with the real ID of an added member)."""
        return {"before": members_text(self.before), "after": members_text(self.after if after is None else after)}

    def result(self, added: ClusterMember | None = None) -> dict[str, Any]:
        """The etcd_member result; `added` (etcd's answer to the add) gives the new member its real ID."""

        def resolved(member: ClusterMember) -> ClusterMember:
            if added is not None and member.id == NEW_MEMBER_ID:
                return replace(member, id=added.id)
            return member

        after = [resolved(member) for member in self.after]
        return {
            "changed": self.changed,
            "actions": self.actions,
            "diff": self.diff(after),
            "member": resolved(self.target).to_dict() if self.target else {},
            "members": [member.to_dict() for member in after],
        }


# Stands in for the ID etcd will assign to an added member, in check mode and in the predicted "after" list.
NEW_MEMBER_ID = "0"


def member_line(member: ClusterMember) -> str:
    """One member as a human reads it: '<hexid> <name or (unstarted)> <peer urls> [learner]'."""
    hex_id = "(new)" if member.id == NEW_MEMBER_ID else member.hex_id
    parts = [hex_id, member.name or "(unstarted)", ",".join(member.peer_urls)]
    if member.is_learner:
        parts.append("learner")
    return " ".join(parts)


def members_text(members: list[ClusterMember]) -> str:
    # Sorted so that the diff shows membership changes, not the order etcd happened to answer in.
    return "".join(f"{line}\n" for line in sorted(member_line(m) for m in members))


def plan_member_changes(
    cluster: list[ClusterMember],
    *,
    name: str | None,
    peer_urls: list[str],
    state: str,
    learner: bool,
    remove_id: str | None,
) -> MembershipChanges:
    """What etcd_member must do so that the member is present, promoted or absent."""
    if state not in ("present", "promoted", "absent"):
        raise EtcdModelError(f"state must be present, promoted or absent, got {state!r}")
    if state != "absent" and not peer_urls:
        raise EtcdModelError(f"peer_urls are required to make a member {state}")
    if not name and not peer_urls and remove_id is None:
        raise EtcdModelError("name, peer_urls or remove_id is required to find the member")

    after = [ClusterMember(**_member_fields(m)) for m in cluster]
    changes: list[MemberChange] = []

    def remove(member: ClusterMember) -> None:
        changes.append(MemberChange("remove", member.id, tuple(member.peer_urls)))
        after.remove(member)

    if remove_id is not None:
        old_id = normalize_member_id(remove_id)
        old = next((m for m in after if m.id == old_id), None)
        if old is not None:
            remove(old)

    target = find_cluster_member(after, name=name, peer_urls=peer_urls) if (name or peer_urls) else None
    if state == "absent":
        if target is not None:
            remove(target)
        return MembershipChanges(before=cluster, after=after, changes=changes, target=None)

    if target is None:
        # A member to be promoted is always added as a learner first: etcd refuses to promote what is not one, and
        # a voting member that has not started yet would count against quorum.
        as_learner = learner or state == "promoted"
        changes.append(MemberChange("add", None, tuple(peer_urls), is_learner=as_learner))
        target = ClusterMember(id=NEW_MEMBER_ID, name="", peer_urls=list(peer_urls), is_learner=as_learner)
        after.append(target)
    if state == "promoted" and target.is_learner:
        changes.append(MemberChange("promote", target.id, tuple(target.peer_urls)))
        target.is_learner = False
    return MembershipChanges(before=cluster, after=after, changes=changes, target=target)


def _member_fields(member: ClusterMember) -> dict[str, Any]:
    # A deep enough copy: the predicted "after" list must not alias the "before" list.
    return {
        "id": member.id,
        "name": member.name,
        "peer_urls": list(member.peer_urls),
        "client_urls": list(member.client_urls),
        "is_learner": member.is_learner,
    }

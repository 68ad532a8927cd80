"""Which process listens on a TCP port, read from /proc (no `ss`/`netstat` text parsing).

The kernel lists listening sockets in /proc/net/tcp and /proc/net/tcp6 by inode; /proc/<pid>/fd links
name the inode of each socket a process holds. Joining the two names the process behind a port.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TCP_LISTEN = "0A"


@dataclass(frozen=True)
class Listener:
    port: int
    address: str
    inode: int


@dataclass(frozen=True)
class PortOwner:
    port: int
    listening: bool
    pid: int | None = None
    process: str | None = None

    def describe(self) -> str:
        if not self.listening:
            return f"port {self.port} is free"
        who = f"{self.process} (pid {self.pid})" if self.pid else "a process this user cannot see"
        return f"port {self.port} is in use by {who}"


def _hex_address(text: str) -> str:
    """Render the kernel's hex address (little-endian words) in the usual notation."""
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw))
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    flat = b"".join(words)
    return ":".join(flat[i : i + 2].hex() for i in range(0, 16, 2))


def parse_proc_net_tcp(text: str) -> list[Listener]:
    """Listening sockets from the text of /proc/net/tcp or /proc/net/tcp6."""
    listeners = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != TCP_LISTEN:
            continue
        address, port = fields[1].split(":")
        listeners.append(Listener(port=int(port, 16), address=_hex_address(address), inode=int(fields[9])))
    return listeners


def socket_inodes_by_pid(proc: str = "/proc") -> dict[int, int]:
    """Map socket inode -> pid for every process whose fds we may read."""
    owners: dict[int, int] = {}
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        fd_dir = os.path.join(proc, entry, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                owners.setdefault(int(target[8:-1]), int(entry))
    return owners


def process_name(pid: int, proc: str = "/proc") -> str:
    try:
        with open(os.path.join(proc, str(pid), "comm"), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return "?"


def port_owners(ports: list[int], proc: str = "/proc") -> list[PortOwner]:
    listeners: list[Listener] = []
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(proc, "net", table), encoding="utf-8") as handle:
                listeners.extend(parse_proc_net_tcp(handle.read()))
        except OSError:
            continue
    by_port = {listener.port: listener for listener in listeners if listener.port in ports}
    inode_owner = socket_inodes_by_pid(proc) if by_port else {}
    result = []
    for port in ports:
        listener = by_port.get(port)
        if listener is None:
            result.append(PortOwner(port=port, listening=False))
            continue
        pid = inode_owner.get(listener.inode)
        result.append(PortOwner(port=port, listening=True, pid=pid, process=process_name(pid, proc) if pid else None))
    return result

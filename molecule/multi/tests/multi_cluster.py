"""What the multi scenario's test files share: its hosts and how to reach them (their fixtures: multi_fixtures.py)."""

from __future__ import annotations

import os
from pathlib import Path

import testinfra

HOSTS = ("curtain-multi-1", "curtain-multi-2", "curtain-multi-3", "curtain-multi-4")
MASTER, NODES = HOSTS[0], HOSTS[1:]  # the master is tainted: the echo DaemonSet runs on the nodes only
INVENTORY = Path(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent"))
ADMIN_KUBECONFIG = INVENTORY.parent / "artifacts/admin.conf"
ECHO = "echo"


def node(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


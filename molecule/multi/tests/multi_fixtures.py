"""The fixtures the multi scenario's test files share, loaded with `pytest_plugins = ["multi_fixtures"]`: the admin's
kubectl, and the echo DaemonSet's Ready pod on every node."""

from __future__ import annotations

import pytest
from kube import Kubectl, echo_on_every_node
from multi_cluster import ADMIN_KUBECONFIG, ECHO, NODES


@pytest.fixture(scope="module")
def kubectl() -> Kubectl:
    return Kubectl(ADMIN_KUBECONFIG)


@pytest.fixture(scope="module")
def pods(kubectl: Kubectl) -> dict[str, dict]:
    """The echo DaemonSet's Ready pod on each node, by node name."""
    return echo_on_every_node(kubectl, ECHO, NODES)

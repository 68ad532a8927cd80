# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/kube_cluster.py (the master's plan, module_utils/hyperkube_master_plan.py, calls the
rest itself).

kube_apiserver_url(host, masters, secure_port) -> https://<apiserver>:<port>, loopback on a master
"""

from __future__ import annotations

from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import (
    apiserver_url,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_apiserver_url": _filter_errors(apiserver_url),
        }

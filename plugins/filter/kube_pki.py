# Copyright: curtain contributors
# Apache License 2.0
"""Filters over module_utils/kube_pki.py: the control plane's certificates, decided before they are made.

kube_first_service_ip(service_cidr) -> the apiserver's in-cluster address
kube_apiserver_sans(masters, service_cidr, cluster_domain, extra) -> ["IP:..", "DNS:.."]
kube_control_plane_certificates(node_name, node_sans, masters, service_cidr, cluster_domain, extra_sans) -> [spec]
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import (
    KubePkiError,
    apiserver_sans,
    control_plane_certificates,
    first_service_ip,
)


def _filter_errors(function: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except KubePkiError as error:
            raise AnsibleFilterError(str(error)) from error

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "kube_first_service_ip": _filter_errors(first_service_ip),
            "kube_apiserver_sans": _filter_errors(apiserver_sans),
            "kube_control_plane_certificates": _filter_errors(control_plane_certificates),
        }

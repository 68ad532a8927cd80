# Copyright: curtain contributors
# Apache License 2.0
"""The roles' planners as filters, each for its role's one preflight step.

inputs | hyperkube_master_plan(inventory) -> module_utils/hyperkube_master_plan.MasterPlan as a mapping
    inputs: the role's variables (MasterInputs' fields); inventory: {groups, master_hosts, own, etcd_hosts}, the last
    three as curtain.kube.host_settings gives them.
inputs | kube_proxy_plan(inventory) -> module_utils/kube_proxy_plan.ProxyPlan as a mapping
    inputs: the role's variables (ProxyInputs' fields); inventory: {groups, master_hosts}. The plan's warnings (a
    deprecated flag or proxy mode) are shown once each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, asdict, fields
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.curtain.kube.plugins.module_utils import hyperkube_master_plan as master_planner
from ansible_collections.curtain.kube.plugins.module_utils import kube_proxy_plan as proxy_planner
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import plain_data

display = Display()


def _dataclass_of(kind: type, given: Mapping[str, Any], what: str) -> Any:
    given = plain_data(given)  # Ansible hands a filter its lazy containers, which dataclasses cannot copy
    names = [field.name for field in fields(kind)]
    missing = [field.name for field in fields(kind) if field.name not in given
               and field.default is MISSING and field.default_factory is MISSING]
    unknown = sorted(set(given) - set(names))
    if missing or unknown:
        raise AnsibleFilterError(f"{what}: missing {missing}, unknown {unknown}")
    return kind(**{name: given[name] for name in names if name in given})


@_filter_errors
def hyperkube_master_plan(inputs: Mapping[str, Any], inventory: Mapping[str, Any]) -> dict[str, Any]:
    made = master_planner.plan(_dataclass_of(master_planner.MasterInputs, inputs, "hyperkube_master_plan: inputs"),
                               _dataclass_of(Inventory, inventory, "hyperkube_master_plan: inventory"))
    return asdict(made)


@_filter_errors
def kube_proxy_plan(inputs: Mapping[str, Any], inventory: Mapping[str, Any]) -> dict[str, Any]:
    made = proxy_planner.plan(_dataclass_of(proxy_planner.ProxyInputs, inputs, "kube_proxy_plan: inputs"),
                              _dataclass_of(Inventory, inventory, "kube_proxy_plan: inventory"))
    for warning in dict.fromkeys(made.warnings):
        display.warning(warning)
    return asdict(made)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"hyperkube_master_plan": hyperkube_master_plan, "kube_proxy_plan": kube_proxy_plan}

# Copyright: curtain contributors
# Apache License 2.0
"""The hyperkube_master role's planner (module_utils/hyperkube_master_plan.py) as a filter, for its one preflight step.

inputs | hyperkube_master_plan(inventory) -> the plan as a mapping: control_plane, profile, kube_profile, masters,
    components, self, wanted, plans, settings_in, settings, certs, pki_files, runtime_files, ports, pki_pending
    inputs: the role's variables (hyperkube_master_plan.MasterInputs' fields); inventory: {groups, master_hosts,
    own, etcd_hosts}, the last three as curtain.kube.host_settings gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.module_utils.filter_errors import (
    reported_as_filter_errors as _filter_errors,
)
from ansible_collections.curtain.kube.plugins.module_utils.hyperkube_master_plan import (
    Inventory,
    MasterInputs,
    plan,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import plain_data


def _dataclass_of(kind: type, given: Mapping[str, Any], what: str) -> Any:
    given = plain_data(given)  # Ansible hands a filter its lazy containers, which dataclasses cannot copy
    names = [field.name for field in fields(kind)]
    missing = [name for name in names if name not in given]
    unknown = sorted(set(given) - set(names))
    if missing or unknown:
        raise AnsibleFilterError(f"hyperkube_master_plan: {what}: missing {missing}, unknown {unknown}")
    return kind(**{name: given[name] for name in names})


@_filter_errors
def hyperkube_master_plan(inputs: Mapping[str, Any], inventory: Mapping[str, Any]) -> dict[str, Any]:
    return asdict(plan(_dataclass_of(MasterInputs, inputs, "inputs"), _dataclass_of(Inventory, inventory, "inventory")))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"hyperkube_master_plan": hyperkube_master_plan}

# Copyright: curtain contributors
# Apache License 2.0
"""The roles' planners as filters, each for its role's one preflight step.

inputs | hyperkube_master_plan(inventory) -> module_utils/hyperkube_master_plan.MasterPlan as a mapping
    inputs: the role's variables (MasterInputs' fields); inventory: {groups, master_hosts, own, etcd_hosts}, the last
    three as curtain.kube.host_settings gives them.
plan | hyperkube_master_check(inputs, survey, check_mode) -> {problems, warnings, runtime_missing}: what refuses
    the run on the host, what to warn about and which of the pods' images the kubelet's containerd lacks, from its
    curtain.kube.host_survey result (hyperkube_master_plan.check).
inputs | kube_proxy_plan(inventory) -> module_utils/kube_proxy_plan.ProxyPlan as a mapping
    inputs: the role's variables (ProxyInputs' fields); inventory: {groups, master_hosts}. The plan's warnings (a
    deprecated flag or proxy mode) are shown once each.
plan | kube_proxy_check(survey, container, host) -> [str]: what refuses the run on the host, from its
    curtain.kube.host_survey result (module_utils/kube_proxy_plan.check).
inputs | etcd_plan(inventory) -> module_utils/etcd_plan.EtcdPlan as a mapping
    inputs: the role's variables (EtcdInputs' fields); inventory: {groups, etcd_hosts}.
container_info | etcd_look(survey, version_run, data_dir) -> module_utils/etcd_plan.EtcdLook as a mapping
    from a member host's container ({exists, container}, as docker_container_info gives it), host_survey and
    `etcd --version` run (or none).
plan | etcd_problems(inputs, look, running, restoring=false) -> [str]: what refuses the run on this host, given the
    releases (`running`) every member of the play runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, asdict, fields
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.curtain.kube.plugins.module_utils import etcd_plan as etcd_planner
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
def hyperkube_master_check(made: Mapping[str, Any], inputs: Mapping[str, Any], survey: Mapping[str, Any],
                           check_mode: bool = False) -> dict[str, list[str]]:
    given = _dataclass_of(master_planner.MasterInputs, inputs, "hyperkube_master_check: inputs")
    return master_planner.check(
        _dataclass_of(master_planner.MasterPlan, made, "hyperkube_master_check: plan"), given,
        master_planner.look(plain_data(survey), given.kubelet_container), bool(check_mode))


@_filter_errors
def kube_proxy_plan(inputs: Mapping[str, Any], inventory: Mapping[str, Any]) -> dict[str, Any]:
    made = proxy_planner.plan(_dataclass_of(proxy_planner.ProxyInputs, inputs, "kube_proxy_plan: inputs"),
                              _dataclass_of(Inventory, inventory, "kube_proxy_plan: inventory"))
    for warning in dict.fromkeys(made.warnings):
        display.warning(warning)
    return asdict(made)


@_filter_errors
def etcd_plan(inputs: Mapping[str, Any], inventory: Mapping[str, Any]) -> dict[str, Any]:
    made = etcd_planner.plan(_dataclass_of(etcd_planner.EtcdInputs, inputs, "etcd_plan: inputs"),
                             _dataclass_of(Inventory, inventory, "etcd_plan: inventory"))
    return asdict(made)


def etcd_look(container_info: Mapping[str, Any], survey: Mapping[str, Any], version_run: Mapping[str, Any] | None,
              data_dir: str) -> dict[str, Any]:
    return asdict(etcd_planner.look(plain_data(container_info), plain_data(survey), plain_data(version_run or {}),
                                    str(data_dir)))


@_filter_errors
def etcd_problems(made: Mapping[str, Any], inputs: Mapping[str, Any], look: Mapping[str, Any],
                  running: list[str], restoring: bool = False) -> list[str]:
    return etcd_planner.problems(_dataclass_of(etcd_planner.EtcdPlan, made, "etcd_problems: plan"),
                                 _dataclass_of(etcd_planner.EtcdInputs, inputs, "etcd_problems: inputs"),
                                 _dataclass_of(etcd_planner.EtcdLook, look, "etcd_problems: look"),
                                 [str(release) for release in running or [] if release], bool(restoring))


@_filter_errors
def kube_proxy_check(made: Mapping[str, Any], survey: Mapping[str, Any], container: str, host: str,
                     ca_present: bool = True, pki_dir: str = "", check_mode: bool = False) -> list[str]:
    return proxy_planner.check(_dataclass_of(proxy_planner.ProxyPlan, made, "kube_proxy_check: plan"),
                               plain_data(survey), str(container), str(host), ca_present=bool(ca_present),
                               pki_dir=str(pki_dir), check_mode=bool(check_mode))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"hyperkube_master_plan": hyperkube_master_plan, "hyperkube_master_check": hyperkube_master_check,
                "kube_proxy_plan": kube_proxy_plan, "kube_proxy_check": kube_proxy_check,
                "etcd_plan": etcd_plan, "etcd_look": etcd_look, "etcd_problems": etcd_problems}

# Copyright: curtain contributors
# Apache License 2.0
"""The kube_proxy role's planner: from the role's inputs and the inventory, everything its steps apply.

`plan(inputs, inventory) -> ProxyPlan` decides, on the controller and without touching a host, the masters model
and the apiserver kube-proxy's kubeconfig names with the client in it, the image and where it comes from,
kube-proxy's settings (and the same with every default filled in), its container or static pod, the sysctls it
would set (and the host's directories, iptables lock and sysctl file) and the ports it needs free. The role calls it
once (the curtain.kube.kube_proxy_plan filter, in tasks/preflight.yml: one fact, __kube_proxy_plan, whose parts
vars/main.yml names); a bad input fails there, before any host changes.

`check(plan, survey, container, host, ...)` reads the host's one survey (curtain.kube.host_survey) and says what
refuses the run there: a Kubernetes step of more than one minor version from what the kube-proxy container runs, a
port another process holds, or no cluster CA on the controller to sign kube-proxy's certificate.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.artifacts import component_specs, plan_images, wanted_images
from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import kube_proxy_host_layout
from ansible_collections.curtain.kube.plugins.module_utils.endpoints import kube_proxy as kube_proxy_endpoints
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import (
    named_container,
    running_kubernetes_version,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import resolve_settings
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import KUBE_PROXY
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    get_profile,
    make_reference,
    step_problem,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import (
    MANIFEST,
    apiserver_url,
    ports,
    proxy_settings,
    sysctls,
    user_settings,
    workload,
)
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import role_defaults

COMPONENT = "kube-proxy"


@dataclass(frozen=True)
class ProxyInputs:
    """The role's variables that the plan reads (defaults/main.yml says what each means)."""

    host: str
    reference: str  # _kube_proxy_reference: the profile and its pinned version
    node_name: str  # the host's kube_node_name, else its inventory name
    master_group: str
    deployment: str
    mode: str  # kube_proxy_mode; empty for the profile's
    settings: Mapping[str, Any]
    privilege: str
    capabilities: Sequence[str]
    images: Mapping[str, Any]
    image_source: str
    image_directory: str
    image_manifest: Mapping[str, Any]  # the offline bundle's manifest.json, {} without one
    container: str  # kube_proxy_container_name
    kubelet_container: str  # kube_proxy_kubelet_container_name: where a static pod runs (modern)


@dataclass(frozen=True)
class ProxyPlan:
    kube_profile: Mapping[str, Any]  # kube_profiles' profile, as the kube_profile filter gives it
    masters: list[dict[str, Any]]
    wanted: dict[str, dict[str, str]]
    plans: list[dict[str, Any]]  # where the image comes from (artifacts)
    settings: dict[str, Any]  # what the builders take
    paths: dict[str, Any]  # the same with every default filled in (the kubeconfig's and configuration's paths)
    workload: dict[str, Any]  # the container (or static pod): image, command, volumes, privileges
    ports: list[int]  # what must be free unless curtain's kube-proxy runs
    sysctls: dict[str, str]  # what kube-proxy would set itself, set on the host instead
    # With a configuration file (the modern profile): the directories, the iptables lock and the kernel parameters'
    # file, for one curtain.kube.host_files run (container_runtime.kube_proxy_host_layout); else None.
    host_layout: dict[str, Any] | None
    # With a kubeconfig (the modern profile): the apiserver it names (this host's own over loopback on a master, else
    # the first master's), and its client ({file, cert, user}: the component table's kube-proxy row).
    apiserver: str
    kubeconfigs: list[dict[str, str]]
    warnings: list[str]  # the flag checks' (a deprecated flag or proxy mode)
    # Its health endpoint, in its container or static pod (module_utils/endpoints.py): the role's health wait and
    # the site's summary look at it.
    health_endpoints: list[dict[str, Any]]
    # Where a static pod's manifest goes (kube_proxy_deployment static_pod); the look asks whether it is there.
    static_pod_manifest: str
    # What tasks/preflight.yml asks curtain.kube.host_survey (survey_request): preflight asks it too, and site.yml
    # hands its survey to the role (kube_proxy_host_survey).
    survey: dict[str, list[Any]]


def default_inputs(host: str, inventory_dir: str = ".", **changes: Any) -> ProxyInputs:
    """The role's defaults as inputs (what the role plans with an inventory that sets nothing), with `changes` over
    them: for the CIS table and the tests."""
    defaults = role_defaults(inventory_dir)

    def default(name: str) -> Any:
        return defaults[f"kube_proxy_{name}"]

    inputs = ProxyInputs(
        host=host, reference=make_reference(default("profile"), default("version")), node_name=host,
        master_group=default("master_group"), deployment=default("deployment"), mode=default("mode"),
        settings=default("settings"), privilege=default("privilege"), capabilities=default("capabilities"),
        images=default("images"), image_source=default("image_source"), image_directory=default("image_directory"),
        image_manifest={}, container=default("container_name"), kubelet_container=default("kubelet_container_name"),
    )
    return replace(inputs, **changes)


def image_plans(inputs: ProxyInputs) -> tuple[dict[str, dict[str, str]], list[dict[str, Any]]]:
    """(wanted, plans): kube-proxy's image, and where it comes from (artifacts.plan_images). ArtifactError names the
    variable of an input no plan can be made from."""
    wanted = wanted_images(inputs.reference, [COMPONENT], dict(inputs.images or {}))
    specs = component_specs([COMPONENT], {"source": inputs.image_source, "directory": inputs.image_directory},
                            dict(inputs.images or {}))
    manifests = {inputs.image_directory: dict(inputs.image_manifest)} if inputs.image_directory else {}
    return wanted, plan_images(wanted, specs, variable="kube_proxy_images", manifests=manifests)


def static_pod_manifest(paths: Mapping[str, Any]) -> str:
    """The static pod's manifest in the kubelet's manifest directory, `paths` resolved."""
    return f"{str(paths['manifest_dir']).rstrip('/')}/{MANIFEST}"


def survey_request(planned_ports: Sequence[int], manifest: str, planned_images: Sequence[Mapping[str, Any]],
                   container: str) -> dict[str, list[Any]]:
    """The curtain.kube.host_survey options of the role's look: the owners of its ports, whether its static pod's
    manifest is there, its image in the Engine and its container (is it current: container_spec.is_current)."""
    return {"ports": list(planned_ports), "paths": [manifest],
            "images": [planned["image"] for planned in planned_images], "inspect": [container]}


def plan(inputs: ProxyInputs, inventory: Inventory) -> ProxyPlan:
    kube_profile = get_profile(inputs.reference)
    model = inventory.masters(inputs.master_group)
    wanted, planned_images = image_plans(inputs)
    image = wanted[COMPONENT]
    settings = proxy_settings(
        inputs.host, model, profile_name=inputs.reference, node_name=inputs.node_name,
        image=f"{image['repository']}:{image['tag']}", deployment=inputs.deployment,
        user=user_settings(inputs.settings, inputs.mode))
    warnings: list[str] = []
    container = workload(inputs.reference, settings, privilege=inputs.privilege,
                         capabilities=list(inputs.capabilities), warnings=warnings)
    paths = resolve_settings(inputs.reference, settings)
    with_kubeconfig = kube_profile.features.kube_proxy_config_file
    kernel_parameters = sysctls(inputs.reference, settings)
    planned_ports = ports(inputs.reference, settings)
    manifest = static_pod_manifest(paths)
    return ProxyPlan(
        kube_profile=kube_profile.to_dict(), masters=model, wanted=wanted,
        plans=planned_images, settings=settings,
        paths=paths, workload=container, ports=planned_ports,
        sysctls=kernel_parameters,
        host_layout=kube_proxy_host_layout(paths, kernel_parameters) if with_kubeconfig else None,
        apiserver=apiserver_url(inputs.host, model, inputs.reference, settings) if with_kubeconfig else "",
        kubeconfigs=[{"file": posixpath.basename(paths["kube_proxy_kubeconfig"]), "cert": KUBE_PROXY.client_certificate,
                      "user": KUBE_PROXY.user}] if with_kubeconfig else [],
        warnings=warnings,
        health_endpoints=kube_proxy_endpoints(inputs.reference, settings, inputs.deployment, inputs.container,
                                              inputs.kubelet_container),
        static_pod_manifest=manifest,
        survey=survey_request(planned_ports, manifest, planned_images, inputs.container))


# The labels of a kubelet's pod containers in Docker (the seed's kubelet runs its pods there).
_POD_LABELS = {"io.kubernetes.container.name": COMPONENT, "io.kubernetes.pod.namespace": "kube-system"}


def check(made: ProxyPlan, survey: Mapping[str, Any], container: str, host: str, *, ca_present: bool = True,
          pki_dir: str = "", check_mode: bool = False) -> list[str]:
    """What refuses the run on this host, from its survey: the kube-proxy container (its running version label),
    the owners of the planned ports, and the containers a port's owner may run in; and, with a kubeconfig, the
    cluster CA on the controller (`ca_present`, in `pki_dir`) that signs kube-proxy's certificate. In check mode on
    a new cluster the CA does not exist yet (the hyperkube_master role would make it): the run goes on, and skips
    what needs it."""
    containers = survey.get("containers") or []
    own = named_container(survey, container)
    problems = []
    if made.kubeconfigs and not ca_present and not check_mode:
        problems.append(f"{pki_dir} (kube_proxy_pki_controller_dir) lacks the cluster CA (ca.crt and ca.key): run the "
                        "hyperkube_master role first; kube-proxy's client certificate is signed by it")
    # kube-proxy moves one minor version at a time, after the masters (playbooks/upgrade.yml); never back.
    step = step_problem(made.kube_profile["name"], running_kubernetes_version(own), made.kube_profile["version"])
    problems += [step] if step else []
    # curtain's kube-proxy holds its ports itself: as this container, as a static pod of the curtain kubelet in its
    # containerd (the owner runs in a pod's cgroup), or, in the seed, as a pod container in Docker.
    seed_pods = {found["id"] for found in containers
                 if all((found.get("labels") or {}).get(key) == value for key, value in _POD_LABELS.items())}
    if own.get("state") != "running":
        problems += [
            f"{port['message']}, and curtain's kube-proxy is not running on {host}: stop that process, or change "
            "kube_proxy_healthz_bind_address / kube_proxy_metrics_bind_address in kube_proxy_settings"
            for port in survey.get("ports") or []
            if port.get("listening") and not port.get("in_pod") and port.get("container_id") not in seed_pods]
    return problems

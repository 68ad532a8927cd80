# Copyright: curtain contributors
# Apache License 2.0
"""The hyperkube_master role's planner: from the role's inputs and the inventory, everything its steps apply.

`plan(inputs, inventory) -> MasterPlan` decides, on the controller and without touching a host, whether the host runs
the control plane or a kubelet alone, the masters model, the images and where each comes from, the settings the
builders take (and the same with every default filled in), the certificates and the files they go to, containerd's
files and the ports the host must have free. The role calls it once (the curtain.kube.hyperkube_master_plan filter,
in tasks/preflight.yml: one fact, __hyperkube_master_plan, whose parts vars/main.yml names), and its later steps only
read the plan; a bad input fails here, before any host changes.

`look(survey, kubelet_container)` reads the host's one survey (curtain.kube.host_survey) and `check(plan, inputs,
look)` says what refuses the run there (a port held by another process, a Kubernetes step of more than one minor
version, cgroup v1, only loopback resolvers, no etcd CA on the controller) and what to warn about.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.artifacts import component_specs, plan_images, wanted_images
from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import (
    RUNTIME_IMAGE_LIST,
    images_to_copy,
    kubelet_host_layout,
    runtime_files,
)
from ansible_collections.curtain.kube.plugins.module_utils.endpoints import control_plane as control_plane_endpoints
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import (
    named_container,
    running_kubernetes_version,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import (
    DNS_COMPONENT,
    Inventory,
    kubelet_role,
    master_settings,
    masters,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import (
    PortNeed,
    hyperkube_master_components,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_components import port_needs as component_port_needs
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import resolve_settings
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import (
    control_plane_certificates,
    controller_files,
    host_files,
    node_certificates,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import (
    get_profile,
    make_reference,
    step_problem,
)
from ansible_collections.curtain.kube.plugins.module_utils.pod_network import loopback_only_resolvers
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import (
    HYPERKUBE_ETCD_PORTS,
    HYPERKUBE_PROFILES,
    role_defaults,
)

# The host's resolvers, which pods with dnsPolicy Default get unless pod_nameservers is given.
HOST_RESOLV_CONF = "/etc/resolv.conf"


class MasterPlanError(ValueError):
    """Inputs no plan can be made from; the message names the variable."""


@dataclass(frozen=True)
class MasterInputs:
    """The role's variables that the plan reads (defaults/main.yml and vars/main.yml say what each means)."""

    host: str
    profile: str
    profiles: Mapping[str, Mapping[str, Any]]  # _hyperkube_master_profiles
    reference: str  # _hyperkube_master_reference: the profile and its pinned version
    group: str
    node_group: str
    etcd_group: str
    control_plane_taint: bool
    etcd_port: int
    settings: Mapping[str, Any]
    images: Mapping[str, Any]
    image_source: str
    image_directory: str
    image_manifest: Mapping[str, Any]  # the offline bundle's manifest.json, {} without one
    architecture: str
    dns: bool
    pod_nameservers: Sequence[str]
    pki_controller_dir: str
    etcd_pki_controller_dir: str
    extra_sans: Sequence[str]
    sandbox_image: str
    restrict_oom_score_adj: bool
    insecure_registries: Sequence[str]
    kubelet_container: str  # hyperkube_master_kubelet_container_name
    admin_kubeconfig: str  # hyperkube_master_admin_kubeconfig: written on the controller (modern masters)


@dataclass(frozen=True)
class MasterPlan:
    control_plane: bool
    profile: Mapping[str, Any]  # the role's profile table row (tls, etcd_scheme, etcd_port, kubelet_command)
    kube_profile: Mapping[str, Any]  # kube_profiles' profile, as the kube_profile filter gives it
    masters: list[dict[str, Any]]
    components: list[str]  # whose images this host needs
    self: dict[str, Any]  # this host in the masters model
    wanted: dict[str, dict[str, str]]
    plans: list[dict[str, Any]]  # where each image comes from (artifacts)
    settings_in: dict[str, Any]  # what the builders take
    settings: dict[str, Any]  # the same with every default filled in
    certs: list[dict[str, Any]]
    pki_files: dict[str, Any]
    runtime_files: dict[str, str]
    # The host's directories (the PKI directories among them), plain files and kernel parameters, as
    # curtain.kube.host_files takes them (container_runtime.kubelet_host_layout); the certificates, keys and
    # kubeconfigs join them in the same run (tasks/config.yml).
    host_layout: dict[str, Any]
    # The images the pods run, which containerd (in the kubelet's container) must hold: every planned image but the
    # kubelet's own (modern only). The survey lists what containerd holds (its execs): check() says what to copy.
    runtime_images: list[str]
    ports: list[int]  # what must be free unless the curtain kubelet runs
    # What tasks/preflight.yml asks curtain.kube.host_survey (survey_request): preflight asks it too, and site.yml
    # hands its survey to the role (hyperkube_master_host_survey).
    survey: dict[str, list[Any]]
    # {name, taint} of this host's Node for kube_api's control_plane_nodes (labelled, tainted or not); None on a node
    # and in the seed profile (no Node labels through a TLS-less apiserver).
    control_plane_node: dict[str, Any] | None
    # Each component's health endpoint, in start order (module_utils/endpoints.py): the role's health wait and the
    # site's summary look at these. A node: its kubelet's alone.
    health_endpoints: list[dict[str, Any]]


def default_inputs(host: str, inventory_dir: str = ".", **changes: Any) -> MasterInputs:
    """The role's defaults as inputs (what the role plans with an inventory that sets nothing), with `changes` over
    them: for the preflight playbook, the CIS table and the tests."""
    defaults = role_defaults(inventory_dir)

    def default(name: str) -> Any:
        return defaults[f"hyperkube_master_{name}"]

    profile = changes.get("profile", default("profile"))
    version = default("version")
    inputs = MasterInputs(
        host=host, profile=profile, profiles=HYPERKUBE_PROFILES,
        reference=make_reference(profile, version),
        group=default("group"), node_group=default("node_group"), etcd_group=default("etcd_group"),
        control_plane_taint=default("control_plane_taint"), etcd_port=HYPERKUBE_ETCD_PORTS.get(profile, 0),
        settings=default("settings"), images=default("images"), image_source=default("image_source"),
        image_directory=default("image_directory"), image_manifest={}, architecture="x86_64", dns=default("dns"),
        pod_nameservers=default("pod_nameservers"), pki_controller_dir=default("pki_controller_dir"),
        etcd_pki_controller_dir=default("etcd_pki_controller_dir"), extra_sans=default("extra_sans"),
        sandbox_image=default("sandbox_image"), restrict_oom_score_adj=default("restrict_oom_score_adj"),
        insecure_registries=default("insecure_registries"), kubelet_container=default("kubelet_container_name"),
        admin_kubeconfig=default("admin_kubeconfig"),
    )
    return replace(inputs, **changes)


def _resolv_conf(inputs: MasterInputs) -> dict[str, str]:
    """With pod_nameservers, the pods' resolv.conf next to the KubeletConfiguration, in the kubelet's own directory
    (which the kubelet's container mounts)."""
    if not inputs.pod_nameservers:
        return {}
    config = str(inputs.settings.get("kubelet_config_file") or "/var/lib/kubelet/config.yaml")
    return {"resolv_conf": f"{config.rsplit('/', 1)[0]}/resolv.conf"}


def image_components(inputs: MasterInputs, control_plane: bool) -> list[str]:
    """Whose images the host needs: a node runs the kubelet alone; CoreDNS may run on any kubelet host where the
    profile has TLS (the seed's cluster has no cluster DNS)."""
    with_dns = inputs.dns and inputs.profiles[inputs.profile]["tls"]
    return [*hyperkube_master_components(control_plane), *([DNS_COMPONENT] if with_dns else [])]


def image_plans(inputs: MasterInputs, components: Sequence[str]) -> tuple[dict[str, dict[str, str]],
                                                                         list[dict[str, Any]]]:
    """(wanted, plans): each component's image, and where each image comes from (artifacts.plan_images).
    ArtifactError names the variable of an input no plan can be made from."""
    version = get_profile(inputs.reference).version
    wanted = wanted_images(inputs.reference, list(components), dict(inputs.images or {}))
    specs = component_specs(list(components), {"source": inputs.image_source, "directory": inputs.image_directory,
                                               "kubernetes_version": version, "machine": inputs.architecture},
                            dict(inputs.images or {}), wanted, (*hyperkube_master_components(True), DNS_COMPONENT))
    manifests = {inputs.image_directory: dict(inputs.image_manifest)} if inputs.image_directory else {}
    return wanted, plan_images(wanted, specs, variable="hyperkube_master_images", manifests=manifests)


def port_needs(ports: Any, settings: Mapping[str, Any], control_plane: bool) -> list[PortNeed]:
    """The ports the role's components hold on the host (the component table's listens): a master's control plane
    and kubelet, a node's kubelet alone. `ports` is the profile's (kube_profiles.Ports), `settings` resolved."""
    return component_port_needs(hyperkube_master_components(control_plane), ports, settings,
                                "hyperkube_master_settings")


def runtime_images(planned_images: Sequence[Mapping[str, Any]], tls: bool) -> list[str]:
    """The images the pods run, which containerd in the kubelet's container must hold (modern): every planned image
    but the kubelet's own."""
    return [image for image in dict.fromkeys(planned["image"] for planned in planned_images
                                             if "kubelet" not in planned["components"])] if tls else []


def survey_request(ports: Sequence[int], planned_images: Sequence[Mapping[str, Any]], pod_images: Sequence[str],
                   kubelet_container: str) -> dict[str, list[Any]]:
    """The curtain.kube.host_survey options of the role's look: the ports, the resolvers pods would get, the planned
    images in the Engine, the kubelet's container (is it current: container_spec.is_current) and (modern) what its
    containerd holds."""
    return {"ports": list(ports), "text_files": [HOST_RESOLV_CONF],
            "images": [planned["image"] for planned in planned_images], "inspect": [kubelet_container],
            "execs": [{"container": kubelet_container, "argv": list(RUNTIME_IMAGE_LIST)}] if pod_images else []}


def plan(inputs: MasterInputs, inventory: Inventory) -> MasterPlan:
    if inputs.profile not in inputs.profiles:
        raise MasterPlanError(f"hyperkube_master_profile: {inputs.profile!r} is not one of "
                              f"{', '.join(inputs.profiles)}")
    profile = inputs.profiles[inputs.profile]
    control_plane = kubelet_role(inputs.host, inventory.groups, inputs.group, inputs.node_group,
                                 inputs.control_plane_taint) == "master"
    if not (control_plane or profile["tls"]):
        raise MasterPlanError(
            f"{inputs.host} is in '{inputs.node_group}' (hyperkube_master_node_group), but the seed profile runs "
            f"masters only, as the seed did: move it to '{inputs.group}' or use the modern profile")
    kube_profile = get_profile(inputs.reference)
    model = inventory.masters(inputs.group)
    if not control_plane:
        model_of_self = masters([inputs.host], {inputs.host: dict(inventory.own)}, inputs.node_group)
    else:
        model_of_self = model
    own = next(master for master in model_of_self if master["host"] == inputs.host)
    components = image_components(inputs, control_plane)
    wanted, planned_images = image_plans(inputs, components)

    etcd_members = list(inventory.groups.get(inputs.etcd_group) or [])
    settings_in = master_settings(
        own, tls=profile["tls"], wanted_images=wanted, etcd_hosts=etcd_members,
        etcd_settings=dict(inventory.etcd_hosts), etcd_scheme=profile["etcd_scheme"], etcd_port=int(inputs.etcd_port),
        user={**_resolv_conf(inputs), **dict(inputs.settings)})
    settings = resolve_settings(inputs.reference, settings_in)

    certs: list[dict[str, Any]] = []
    pki_files: dict[str, Any] = {}
    containerd_files: dict[str, str] = {}
    if profile["tls"]:
        sans = [own["address"], *own["hostnames"]]
        specs_of_certs = (control_plane_certificates(own["name"], sans, model, settings["service_cidr"],
                                                     settings["cluster_domain"], list(inputs.extra_sans))
                          if control_plane else node_certificates(own["name"], sans))
        certs = controller_files(specs_of_certs, inputs.pki_controller_dir, inputs.host,
                                 inputs.etcd_pki_controller_dir)
        pki_files = host_files(certs, inputs.pki_controller_dir, inputs.host, inputs.etcd_pki_controller_dir,
                               settings["pki_dir"], control_plane)
        containerd_files = runtime_files(inputs.sandbox_image, inputs.restrict_oom_score_adj,
                                         list(inputs.insecure_registries), settings["cgroup_root"])

    layout = kubelet_host_layout(inputs.profile, settings, containerd_files, list(inputs.pod_nameservers),
                                 control_plane)
    laid_out = {directory["path"] for directory in layout["directories"]}
    layout["directories"] += [directory for directory in pki_files.get("directories", [])
                              if directory["path"] not in laid_out]
    pod_images = runtime_images(planned_images, profile["tls"])
    ports = [need.port for need in port_needs(kube_profile.ports, settings, control_plane)]
    return MasterPlan(
        control_plane=control_plane, profile=dict(profile), kube_profile=kube_profile.to_dict(), masters=model,
        components=components, self=own, wanted=wanted, plans=planned_images, settings_in=settings_in,
        settings=settings, certs=certs, pki_files=pki_files, runtime_files=containerd_files, host_layout=layout,
        runtime_images=pod_images, ports=ports,
        survey=survey_request(ports, planned_images, pod_images, inputs.kubelet_container),
        control_plane_node={"name": own["name"], "taint": bool(inputs.control_plane_taint)}
        if control_plane and profile["tls"] else None,
        health_endpoints=control_plane_endpoints(inputs.reference, settings_in, inputs.kubelet_container)
        [:None if control_plane else 1])


@dataclass(frozen=True)
class MasterLook:
    """What the host holds now, from its survey (tasks/preflight.yml)."""

    kubelet_running: bool
    running_version: str  # the kubelet container's io.curtain.kubernetes-version label; "" without a container
    held_ports: list[str]  # a message per planned port a process listens on
    cgroup_version: int | None
    resolv_conf: str | None  # the host's /etc/resolv.conf; None where it could not be read
    # The images containerd holds (`ctr images list --quiet` in the kubelet's container); None where it was not
    # asked or could not answer (no container yet, or containerd starting).
    runtime_images: list[str] | None = None


def look(survey: Mapping[str, Any], kubelet_container: str) -> MasterLook:
    container = named_container(survey, kubelet_container)
    resolv_conf = (survey.get("paths") or {}).get(HOST_RESOLV_CONF) or {}
    listed = (survey.get("execs") or {}).get(kubelet_container) or {}
    return MasterLook(
        kubelet_running=container.get("state") == "running",
        running_version=running_kubernetes_version(container),
        held_ports=[port["message"] for port in survey.get("ports") or [] if port.get("listening")],
        cgroup_version=(survey.get("cgroup") or {}).get("version"),
        resolv_conf=resolv_conf.get("text"),
        runtime_images=listed["stdout"].split() if listed.get("rc") == 0 else None)


def admin_kubeconfig_problem(path: Any) -> str | None:
    """Why hyperkube_master_admin_kubeconfig cannot be used, or None. It is written on the controller once the control
    plane is up, where a relative path is refused: a run must stop in preflight instead (the role's and site's)."""
    if isinstance(path, str) and not os.path.isabs(path):
        return (f"hyperkube_master_admin_kubeconfig: {path!r} is a relative path; give an absolute one on the "
                "controller (the default is <inventory dir>/artifacts/admin.conf)")
    return None


def check(made: MasterPlan, inputs: MasterInputs, found: MasterLook, check_mode: bool = False) -> dict[str, list[str]]:
    """{problems, warnings, runtime_missing}: what refuses the run on this host, what it is told, and which of the
    pods' images the kubelet's containerd lacks (tasks/kubelet.yml copies only those). In check mode a missing etcd CA
    is not refused: the etcd role, in the same check run, would make it; the certificates it signs are left
    incomplete (curtain.kube.pki), and what reads them is skipped."""
    problems: list[str] = []
    warnings: list[str] = []
    target = made.kube_profile["version"]
    # Moving to the next minor version is an upgrade (playbooks/upgrade.yml runs it one master at a time); a downgrade
    # or a skipped minor version is refused.
    step = step_problem(inputs.profile, found.running_version, target)
    problems += [step] if step else []
    if not found.kubelet_running:  # the curtain kubelet and its static pods hold these ports themselves
        problems += [f"{held}, and the curtain kubelet is not running on {inputs.host}: stop that process, or change "
                     "the port in hyperkube_master_settings" for held in found.held_ports]
    problems += [problem for problem in [admin_kubeconfig_problem(inputs.admin_kubeconfig)] if problem]
    etcd_ca = [f"{inputs.etcd_pki_controller_dir}/ca.{suffix}" for suffix in ("crt", "key")]
    if made.profile["tls"] and made.control_plane and not check_mode and not all(map(os.path.isfile, etcd_ca)):
        problems.append(f"{inputs.etcd_pki_controller_dir} (hyperkube_master_etcd_pki_controller_dir) lacks the etcd "
                        "CA (ca.crt and ca.key): run the etcd role first; the apiserver's etcd client certificate is "
                        "signed by it")
    if made.profile["tls"] and found.cgroup_version == 1:
        # A kubelet of 1.35 and newer exits on a cgroup v1 host unless failCgroupV1 is false (KEP-5573).
        if made.settings.get("fail_cgroup_v1"):
            problems.append(
                f"{inputs.host} runs cgroup v1, which the kubelet of Kubernetes {target} refuses (failCgroupV1): boot "
                "it with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or accept the deprecated mode with "
                "hyperkube_master_settings.fail_cgroup_v1: false")
        warnings.append(f"{inputs.host} runs cgroup v1. Kubernetes and containerd deprecate it (containerd removes "
                        "it by May 2029); move the host to cgroup v2.")
    # In a pod, a loopback resolver is the pod itself: CoreDNS, which forwards to the node's resolvers, would meet its
    # own queries and stop (its loop plugin). Only the host's file counts: a resolv_conf of the user's is theirs.
    loopback = loopback_only_resolvers(found.resolv_conf or "")
    if made.profile["tls"] and not inputs.pod_nameservers and "resolv_conf" not in inputs.settings and loopback:
        problems.append(
            f"{inputs.host}'s /etc/resolv.conf names only loopback resolvers ({', '.join(loopback)}), which a pod "
            "cannot reach (systemd-resolved's stub, or Docker's embedded DNS): set hyperkube_master_pod_nameservers "
            "to the upstream resolvers (systemd-resolved's are in /run/systemd/resolve/resolv.conf)")
    # What containerd lacks of the pods' images: all of them where it could not say (the copy waits for it).
    runtime_missing = (list(made.runtime_images) if found.runtime_images is None
                       else images_to_copy(made.runtime_images, found.runtime_images))
    return {"problems": problems, "warnings": warnings, "runtime_missing": runtime_missing}

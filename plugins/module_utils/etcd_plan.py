# Copyright: curtain contributors
# Apache License 2.0
"""The etcd role's planner: from the role's inputs and the inventory, what every member runs; then, from what each
member's host holds, what stops the role before anything changes.

`plan(inputs, inventory) -> EtcdPlan` decides on the controller, without touching a host: the members model and
this host's member, the release and the image the container runs, where a directory or release source's image
comes from, the ports etcd needs, the certificates and the warnings (the member count, a release etcd advises
against). It reads only the controller's files it names (an image tarball, the CA). The role calls it once (the
curtain.kube.etcd_plan filter, one fact, __etcd_plan, whose parts vars/main.yml names); a bad input fails there.

The release check needs every member's look first (a downgrade, or a path longer than one rolling upgrade, is
refused): `look(...)` turns one host's registered looks into an EtcdLook, and `problems(plan, look, running,
...)` says what refuses the run, for the role's one check after the looks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from ansible_collections.curtain.kube.plugins.module_utils.artifacts import plan_images
from ansible_collections.curtain.kube.plugins.module_utils.endpoints import etcd as etcd_endpoints
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import (
    GROUP_VARIABLE,
    build_cluster,
    cluster_size_warnings,
)
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import (
    EtcdReleaseError,
    binary_version,
    release_plan,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory
from ansible_collections.curtain.kube.plugins.module_utils.pki import (
    etcd_authority,
    etcd_host_files,
    etcd_member_certificates,
)
from ansible_collections.curtain.kube.plugins.module_utils.role_defaults import (
    ETCD_ENABLE_V2,
    ETCD_PORTS,
    ETCD_TLS,
    role_defaults,
)

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

# What each image source needs besides etcd_image_source, named in the message when it is missing.
_SOURCE_NEEDS = {
    "registry": "etcd_image_digest set to the sha256:<64 hex> digest of {image}",
    "tarball": "etcd_image_tarball set to a docker save file on the controller",
    "directory": "etcd_image_directory set to an offline bundle directory on the controller",
}


class EtcdPlanError(ValueError):
    """An input the role cannot run with; the message names the variable and says that nothing changed."""


@dataclass(frozen=True)
class EtcdInputs:
    """The role's variables that the plan reads (defaults/main.yml says what each means)."""

    host: str
    group: str  # etcd_group
    profile: str  # etcd_profile
    version: str  # etcd_version; empty for the profile's
    image: str  # etcd_image; empty for curtain/etcd:<version>
    enable_v2: bool
    tls: bool
    client_port: int
    peer_port: int
    image_source: str
    image_digest: str
    image_tarball: str
    image_directory: str
    image_manifest: Mapping[str, Any]  # the offline bundle's manifest.json, {} without one
    release_url: str
    release_sha256: str
    machine: str  # the host's architecture (ansible_facts.architecture), for the release source
    cluster_token: str  # etcd_cluster_token: the CA's name, and the data directory's marker must name it
    data_dir: str  # etcd_data_dir
    pki_controller_dir: str  # etcd_pki_controller_dir
    pki_dir: str  # etcd_pki_dir
    container: str  # etcd_container_name


def default_inputs(host: str, inventory_dir: str = ".", **changes: Any) -> EtcdInputs:
    """The role's defaults as inputs (what the role plans with an inventory that sets nothing; the ports, TLS and
    the v2 API those of `changes`' profile), with `changes` over them: for site preflight and the tests."""
    defaults = role_defaults(inventory_dir)

    def default(name: str) -> Any:
        return defaults[f"etcd_{name}"]

    profile = str(changes.get("profile", default("profile")))
    ports = ETCD_PORTS.get(profile, {})
    made = EtcdInputs(
        host=host, group=default("group"), profile=profile, version=str(default("version")), image=default("image"),
        enable_v2=ETCD_ENABLE_V2.get(profile, False), tls=ETCD_TLS.get(profile, True),
        client_port=ports.get("client_port", 0), peer_port=ports.get("peer_port", 0),
        image_source=default("image_source"), image_digest=default("image_digest"),
        image_tarball=default("image_tarball"), image_directory=default("image_directory"), image_manifest={},
        release_url=default("release_url"), release_sha256=default("release_sha256"), machine="",
        cluster_token=default("cluster_token"), data_dir=default("data_dir"),
        pki_controller_dir=default("pki_controller_dir"), pki_dir=default("pki_dir"),
        container=default("container_name"))
    return replace(made, **changes)


@dataclass(frozen=True)
class EtcdPlan:
    members: list[dict[str, str]]  # [{name, address, peer_url, client_url}], in inventory order
    member: dict[str, str]  # this host's
    release: dict[str, Any]  # {version, image, path, warnings}, before the running members are known
    image_ref: str  # what the container runs: the image, by digest from a registry
    artifact_plans: list[dict[str, Any]]  # where a directory or release source's image comes from, else []
    ports: list[int]  # client and peer: free unless this member's container runs
    # With TLS: the CA ({name, common_name, key_type, key, cert}), this member's certificates as curtain.kube.pki
    # takes them, and what goes from the controller to the host ({certificates, private_keys}: [{src, dest}]).
    authority: dict[str, Any]
    certificates: list[dict[str, Any]]
    host_files: dict[str, list[dict[str, str]]]
    warnings: list[str]
    health_endpoints: list[dict[str, Any]]  # the member's, for the site's summary (module_utils/endpoints.py)
    # What tasks/look.yml asks curtain.kube.host_survey (survey_request); preflight asks it too (site.yml hands its
    # survey to the role: etcd_host_survey).
    survey: dict[str, list[Any]]


@dataclass(frozen=True)
class EtcdLook:
    """What one member's host holds now (tasks/look.yml)."""

    running: bool  # the etcd container runs
    has_data: bool  # <data_dir>/data/member exists
    marker: dict[str, Any]  # <data_dir>/cluster.json: {cluster_token, member, initial_cluster_token}, {} without
    release: str  # what `etcd --version` in the running container says; "" when unknown
    image_present: bool  # the image the plan names is on the host
    held_ports: list[str]  # a message per etcd port another process listens on


def image_ref(inputs: EtcdInputs, release: Mapping[str, Any]) -> str:
    """What the container runs: the release's image (or etcd_image), by digest from a registry."""
    return f"{release['image']}@{inputs.image_digest}" if inputs.image_source == "registry" else str(release["image"])


def survey_request(inputs: EtcdInputs, image: str) -> dict[str, list[Any]]:
    """The curtain.kube.host_survey options of the member's look (tasks/look.yml): its ports, its data and cluster
    marker, its image, its container, and the release the container's binary says it is."""
    data_dir = str(inputs.data_dir).rstrip("/")
    return {"ports": [int(inputs.client_port), int(inputs.peer_port)], "paths": [f"{data_dir}/data/member"],
            "json_files": [f"{data_dir}/cluster.json"], "images": [image], "inspect": [inputs.container],
            "execs": [{"container": inputs.container, "argv": ["etcd", "--version"]}]}


def plan(inputs: EtcdInputs, inventory: Inventory) -> EtcdPlan:
    hosts = list(inventory.groups.get(inputs.group) or [])
    if inputs.host not in hosts:
        raise EtcdPlanError(f"{inputs.host} is not in the inventory group '{inputs.group}' ({GROUP_VARIABLE}): run "
                            "the role on that group")
    members = [asdict(member) for member in build_cluster(
        hosts, {host: dict(settings) for host, settings in inventory.etcd_hosts.items()},
        scheme="https" if inputs.tls else "http", client_port=int(inputs.client_port),
        peer_port=int(inputs.peer_port))]
    release, planned_images = image_plans(inputs)
    if inputs.image_source == "tarball" and not os.path.isfile(inputs.image_tarball):
        raise EtcdPlanError(f"etcd_image_tarball: {inputs.image_tarball} does not exist on the controller")
    authority = etcd_authority(inputs.pki_controller_dir, inputs.cluster_token)
    _check_authority(inputs, authority)
    member = members[hosts.index(inputs.host)]
    image = image_ref(inputs, release)
    return EtcdPlan(
        members=members, member=member, release=release, image_ref=image,
        artifact_plans=planned_images, ports=[int(inputs.client_port), int(inputs.peer_port)],
        authority=authority,
        certificates=etcd_member_certificates(member, inputs.host, inputs.pki_controller_dir) if inputs.tls else [],
        host_files=etcd_host_files(inputs.host, inputs.pki_controller_dir, inputs.pki_dir) if inputs.tls
        else {"certificates": [], "private_keys": []},
        warnings=cluster_size_warnings(len(members)) + list(release["warnings"]),
        health_endpoints=etcd_endpoints(int(inputs.client_port), bool(inputs.tls), inputs.pki_dir, inputs.container),
        survey=survey_request(inputs, image))


def image_plans(inputs: EtcdInputs) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(release, plans): the release and the image the container runs (etcd_image over the release's), and where a
    directory or release source's image comes from. EtcdPlanError names what the image source lacks,
    EtcdReleaseError a release the profile does not pin, ArtifactError an input no image plan can be made from."""
    release = release_plan(inputs.version, inputs.profile, bool(inputs.enable_v2))
    if inputs.image:
        release = {**release, "image": inputs.image}
    problem = _source_problem(inputs, release["image"])
    if problem:
        raise EtcdPlanError(problem)
    return release, _artifact_plans(inputs, release)


def _source_problem(inputs: EtcdInputs, image: str) -> str | None:
    """What the image source lacks (a registry's digest, a tarball, a bundle directory), or None."""
    given = {"registry": bool(_DIGEST.match(inputs.image_digest or "")), "tarball": bool(inputs.image_tarball),
             "directory": bool(inputs.image_directory)}
    if given.get(inputs.image_source, True):
        return None
    return f"etcd_image_source={inputs.image_source} needs {_SOURCE_NEEDS[inputs.image_source].format(image=image)}"


def _check_authority(inputs: EtcdInputs, authority: Mapping[str, Any]) -> None:
    # A key without its certificate is what a run killed between the two leaves: the PKI step makes the certificate
    # from that key. A certificate without its key cannot sign, and a new key would orphan every certificate it signed.
    if inputs.tls and os.path.isfile(authority["cert"]) and not os.path.isfile(authority["key"]):
        raise EtcdPlanError(
            f"{inputs.pki_controller_dir} (etcd_pki_controller_dir) has ca.crt but not ca.key: the CA cannot sign "
            "without its key. Restore ca.key from a backup, or move ca.crt away to make a new CA (every member "
            "certificate is then made anew); nothing was changed.")


def _artifact_plans(inputs: EtcdInputs, release: Mapping[str, Any]) -> list[dict[str, Any]]:
    if inputs.image_source == "directory":
        return plan_images({"etcd": release["image"]}, {"etcd": {"source": "directory",
                                                                  "directory": inputs.image_directory}},
                           variable="etcd_image_directory",
                           manifests={inputs.image_directory: dict(inputs.image_manifest)})
    if inputs.image_source == "release":
        return plan_images({"etcd": release["image"]}, {"etcd": {
            "source": "release", "etcd_version": release["version"], "machine": inputs.machine,
            "release_url": inputs.release_url, "sha256": inputs.release_sha256}}, variable="etcd_image_source")
    return []


def look(container: Mapping[str, Any], survey: Mapping[str, Any], version_run: Mapping[str, Any] | None,
         data_dir: str) -> EtcdLook:
    """One host's EtcdLook from its looks: the container as docker_container_info describes it ({exists, container},
    from host_survey's inspect), host_survey's (the data directory, the marker, the ports and the plan's image) and
    the `etcd --version` run in the running container (host_survey's execs: None where none runs; a failed run,
    where the container could not run it, leaves the release unknown)."""
    described = survey.get("paths") or {}
    marker = (described.get(f"{data_dir}/cluster.json") or {}).get("json")
    return EtcdLook(
        running=bool(container.get("exists")) and bool(((container.get("container") or {}).get("State") or {})
                                                       .get("Running")),
        has_data=bool((described.get(f"{data_dir}/data/member") or {}).get("exists")),
        marker=dict(marker) if isinstance(marker, Mapping) else {},
        release=binary_version((version_run or {}).get("stdout", "")),
        image_present=any(image.get("present") for image in (survey.get("images") or {}).values()),
        held_ports=[port["message"] for port in survey.get("ports") or [] if port.get("listening")])


def problems(made: EtcdPlan, inputs: EtcdInputs, own: EtcdLook, running: Sequence[str], restoring: bool = False
             ) -> list[str]:
    """What refuses the run on this host, given its look and the releases every member of the play runs."""
    found = []
    try:
        release_plan(inputs.version, inputs.profile, bool(inputs.enable_v2),
                     [release for release in running if release])
    except EtcdReleaseError as error:
        found.append(str(error))
    if not own.running:  # curtain's own etcd holds its ports
        found += [f"{held}, and it is not the curtain etcd container: stop it or choose other "
                  "etcd_client_port/etcd_peer_port" for held in own.held_ports]
    token = own.marker.get("cluster_token")
    # A restore replaces the data anyway (moving the old data aside), so it skips this check.
    if not restoring and (token != inputs.cluster_token if token is not None else own.has_data):
        found.append(
            f"{inputs.data_dir} on {inputs.host} holds etcd data of "
            f"{f'cluster token {token}' if token is not None else 'a cluster curtain did not create'}, not of "
            f"etcd_cluster_token={inputs.cluster_token}. Nothing was changed. Move that directory away (or replace it "
            "from a snapshot with playbooks/etcd_restore.yml) before running again.")
    if inputs.image_source == "local" and not own.image_present:
        found.append(
            f"etcd_image_source=local but {made.image_ref} (etcd_image, etcd_version) is not on {inputs.host}. Build "
            "it there with `scripts/images etcd` (make up does), or choose etcd_image_source=tarball or registry.")
    return found


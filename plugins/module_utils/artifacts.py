# Copyright: curtain contributors
# Apache License 2.0
"""Where each image comes from, decided on the controller before anything is fetched or changed.

Every source ends in the same place: an image with the wanted `repository:tag` in the host's Docker Engine,
which is the name manifests and containers use.

registry   pull `repository@digest` (the digest is the pin), then tag it `repository:tag`; without a digest, pull
           `repository:tag`, once: a tag already on the host is not pulled again (a digest pins what a tag may not).
http       binaries downloaded on the controller, each checked against its sha256, built into a minimal image
           (FROM `base`, the binaries in /usr/local/bin). For mirrors.
release    an image built on the host from official release downloads, each checked against the sha256 file its
           project publishes beside it: the node image (the kubelet's) from those of the kubelet and its runtime
           (node_release.py), and etcd's from etcd's release archive (etcd_release.py).
directory  a directory on the controller with a manifest.json (an offline bundle, see bundle_entry): per component
           either a `docker save` tarball or binaries, each with its sha256. No network at all.
local      the image is already in the host's Docker Engine (built or loaded there by other means, as `make up`
           does with the images it builds); nothing is fetched, and a missing image is an error.

Standard library and the sibling module_utils only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.curtain.kube.plugins.module_utils import cluster_dns, etcd_release, node_release
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import get_profile

SOURCES = ("registry", "http", "release", "directory", "local")
# The sources whose files the controller downloads or checks before a host changes (the artifacts role's
# controller.yml); the registry and local sources have nothing there, so the roles skip that step for them.
CONTROLLER_SOURCES = ("http", "release", "directory")
# The components the release source builds an image for, each from its recipe: upstream publishes the kubelet as a
# binary only; etcd publishes images too, but its release archives are what a mirror of GitHub's downloads serves.
RELEASE_RECIPES = {"kubelet": "node-image", "etcd": "etcd-image"}
# The recipes' directories, in the artifacts role (the collection keeps this file two levels under its root).
# scripts/images builds the same recipes.
RECIPES_DIR = Path(__file__).resolve().parents[2] / "roles" / "artifacts" / "files"
# The images curtain builds itself (the modern kubelet's, the test workloads'), named without a registry.
OWN_IMAGES_PREFIX = "curtain/"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
ARTIFACT_LABEL = "io.curtain.artifact"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_BINARY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_REFERENCE = re.compile(r"^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ArtifactError(ValueError):
    """A source that cannot work; the message names the variable and what is wrong."""


@dataclass(frozen=True)
class BinaryFile:
    name: str  # file name in the image: /usr/local/bin/<name>
    sha256: str
    url: str = ""  # http source
    path: str = ""  # directory source: absolute path on the controller


@dataclass(frozen=True)
class ImagePlan:
    components: tuple[str, ...]  # components served by this image (seed: every component runs hyperkube)
    image: str  # repository:tag, the name everything else uses
    source: str
    pull: str = ""  # registry: repository@digest
    tarball: str = ""  # directory: the docker save file on the controller
    tarball_sha256: str = ""
    image_id: str = ""  # directory tarball: the image ID inside, to tell that it is loaded already
    binaries: tuple[BinaryFile, ...] = ()
    base: str = "scratch"
    downloads: tuple[node_release.Download, ...] = ()  # release: fetched on the controller
    context_files: tuple[node_release.ContextFile, ...] = ()  # release: the build context's files from them
    recipe: str = ""  # release: the recipe's directory under RECIPES_DIR
    context_dirs: tuple[str, ...] = ()  # release: the directories the recipe copies from, made before the files
    build_args: dict[str, str] = field(default_factory=dict)  # release: the recipe's build arguments
    fingerprint: str = ""  # built images carry it as a label; equal label, nothing to build

    @property
    def dockerfile(self) -> str:
        """The http and directory sources' Dockerfile; the release source builds the node image's recipe."""
        lines = [f"FROM {self.base}"]
        lines += [f"COPY {binary.name} /usr/local/bin/{binary.name}" for binary in self.binaries]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["repository"], data["tag"] = self.image.rsplit(":", 1)
        data["components"] = list(self.components)
        data["binaries"] = [asdict(binary) for binary in self.binaries]
        data["dockerfile"] = self.dockerfile if self.binaries else ""
        data["downloads"] = [{**asdict(download), "key": download.key, "file": download.file}
                             for download in self.downloads]
        data["context_files"] = [asdict(context_file) for context_file in self.context_files]
        data["context_dirs"] = list(self.context_dirs)
        data["build"] = bool(self.binaries or self.downloads)
        data["controller"] = self.source in CONTROLLER_SOURCES
        return data


def _where(variable: str, component: str) -> str:
    return f"{variable}[{component!r}]"


def _check_sha256(where: str, value: Any) -> str:
    text = str(value or "").lower().removeprefix("sha256:")
    if not _SHA256.match(text):
        raise ArtifactError(f"{where}: sha256 must be 64 hex digits, got {value!r}")
    return text


def _check_image_name(where: str, repository: Any, tag: Any) -> str:
    if not isinstance(repository, str) or not _REFERENCE.match(repository) or "@" in repository:
        raise ArtifactError(f"{where}: repository {repository!r} is not an image repository name")
    if not isinstance(tag, str) or not _TAG.match(tag):
        raise ArtifactError(f"{where}: tag {tag!r} is not an image tag")
    return f"{repository}:{tag}"


def _binaries(where: str, specs: Any, source: str, directory: str = "") -> tuple[BinaryFile, ...]:
    if not isinstance(specs, list) or not specs:
        raise ArtifactError(f"{where}: the {source} source needs `binaries`, a list of {{name, sha256, ...}}")
    binaries = []
    for index, spec in enumerate(specs):
        here = f"{where}.binaries[{index}]"
        if not isinstance(spec, dict):
            raise ArtifactError(f"{here}: must be a mapping with name and sha256")
        name = spec.get("name")
        if not isinstance(name, str) or not _BINARY_NAME.match(name):
            raise ArtifactError(f"{here}: name {name!r} is not a file name")
        sha256 = _check_sha256(here, spec.get("sha256"))
        if source == "http":
            url = spec.get("url")
            if not _is_http_url(url):
                raise ArtifactError(f"{here}: url {url!r} is not an http(s) URL")
            binaries.append(BinaryFile(name=name, sha256=sha256, url=url))
        else:
            binaries.append(BinaryFile(name=name, sha256=sha256, path=_inside(here, directory, spec.get("file"))))
    names = [binary.name for binary in binaries]
    if len(set(names)) != len(names):
        raise ArtifactError(f"{where}: binary names repeat: {', '.join(names)}")
    return tuple(binaries)


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme in ("http", "https") and bool(urlsplit(value).netloc)


def _inside(where: str, directory: str, relative: Any) -> str:
    """A manifest's file, which must stay inside the bundle directory."""
    if not isinstance(relative, str) or not relative or relative.startswith("/") or ".." in relative.split("/"):
        raise ArtifactError(f"{where}: file {relative!r} must be a relative path inside the bundle")
    return f"{directory.rstrip('/')}/{relative}"


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _manifest_entry(manifest: Any, directory: str, component: str, variable: str) -> dict[str, Any]:
    where = f"{variable} directory {directory}"
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ArtifactError(f"{where}: {MANIFEST_NAME} is missing or not a curtain bundle manifest (format 1)")
    entries = [entry for entry in manifest.get("artifacts") or [] if entry.get("component") == component]
    if not entries:
        known = sorted({str(entry.get("component")) for entry in manifest.get("artifacts") or []})
        raise ArtifactError(f"{where}: the bundle has nothing for {component} (it has: {', '.join(known) or 'none'})")
    return entries[0]


def plan_image(
    component: str,
    wanted: dict[str, str],
    spec: dict[str, Any],
    *,
    variable: str,
    manifest: dict[str, Any] | None = None,
) -> ImagePlan:
    """The plan for one component. `wanted` is {repository, tag} from the profile (or the role's image input);
    `spec` is the user's source settings for the component; `manifest` is the directory's manifest.json, parsed."""
    where = _where(variable, component)
    if not isinstance(spec, dict):
        raise ArtifactError(f"{where}: must be a mapping with at least `source`")
    source = spec.get("source")
    if source not in SOURCES:
        raise ArtifactError(f"{where}: source {source!r} is not one of {', '.join(SOURCES)}")
    repository = spec.get("repository") or wanted.get("repository")
    tag = spec.get("tag") or wanted.get("tag")
    image = _check_image_name(where, repository, tag)

    if source == "registry":
        if image.startswith(OWN_IMAGES_PREFIX):
            raise ArtifactError(
                f"{where}: {image} is curtain's own image (scripts/images builds it) and no registry publishes it: "
                "push the one you built and set repository to it, or use the local or directory source")
        pull = registry_pull(where, image, spec.get("digest"))
        return ImagePlan(components=(component,), image=image, source=source, pull=pull,
                         fingerprint=pull.rpartition("@")[2] if "@" in pull else f"tag:{image}")

    if source == "local":
        return ImagePlan(components=(component,), image=image, source=source, fingerprint=f"local:{image}")

    if source == "http":
        binaries = _binaries(where, spec.get("binaries"), source)
        base = str(spec.get("base") or "scratch")
        return ImagePlan(components=(component,), image=image, source=source, binaries=binaries, base=base,
                         fingerprint=_fingerprint(image, base, [binary.sha256 for binary in binaries]))

    if source == "release":
        return _release_plan(where, component, image, spec)

    directory = spec.get("directory")
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise ArtifactError(f"{where}: the directory source needs `directory`, an absolute path, got {directory!r}")
    entry = _manifest_entry(manifest, directory, component, variable)
    if entry.get("image") != image:
        raise ArtifactError(
            f"{where}: the bundle in {directory} holds {component} as {entry.get('image')!r}, but {image} is "
            "wanted: make the bundle for this profile (playbooks/offline_bundle.yml)"
        )
    if entry.get("kind") == "image":
        here = f"{where} bundle entry"
        image_id = str(entry.get("image_id") or "")
        if not _DIGEST.match(image_id):
            raise ArtifactError(f"{here}: image_id {image_id!r} is not sha256:<64 hex>")
        return ImagePlan(components=(component,), image=image, source=source,
                         tarball=_inside(here, directory, entry.get("file")),
                         tarball_sha256=_check_sha256(here, entry.get("sha256")), image_id=image_id,
                         fingerprint=image_id)
    if entry.get("kind") == "binaries":
        binaries = _binaries(f"{where} bundle entry", entry.get("files"), source, directory)
        base = str(entry.get("base") or spec.get("base") or "scratch")
        return ImagePlan(components=(component,), image=image, source=source, binaries=binaries, base=base,
                         fingerprint=_fingerprint(image, base, [binary.sha256 for binary in binaries]))
    raise ArtifactError(f"{where} bundle entry: kind {entry.get('kind')!r} is not image or binaries")


def recipe_hash(recipe: str) -> str:
    """Changes when any file of the recipe does, so that hosts rebuild the images made from it."""
    digest = hashlib.sha256()
    for path in sorted((RECIPES_DIR / recipe).iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _release_plan(where: str, component: str, image: str, spec: dict[str, Any]) -> ImagePlan:
    if component not in RELEASE_RECIPES:
        raise ArtifactError(f"{where}: the release source builds the kubelet's node image and etcd's image only; "
                            f"upstream publishes {component} as an image: use the registry source")
    try:
        if component == "etcd":
            return _etcd_release_plan(image, spec)
        return _node_release_plan(where, image, spec)
    except (node_release.ReleaseError, etcd_release.EtcdReleaseError) as error:
        raise ArtifactError(str(error)) from None


def _node_release_plan(where: str, image: str, spec: dict[str, Any]) -> ImagePlan:
    """The node image from the release downloads of `kubernetes_version` for the host's `machine` (both put in the
    spec by the role), on `base` (a Debian image; the recipe installs what it lacks of the node's packages)."""
    version = spec.get("kubernetes_version")
    if not isinstance(version, str) or not re.match(r"^v\d+\.\d+\.\d+$", version):
        raise ArtifactError(f"{where}: the release source needs kubernetes_version (vX.Y.Z), got {version!r}")
    base = spec.get("base") or node_release.DEFAULT_BASE
    if not isinstance(base, str) or not _REFERENCE.match(base.split("@")[0]):
        raise ArtifactError(f"{where}: base {base!r} is not an image name")
    downloads, context_files = node_release.downloads(
        where, version, spec.get("machine"), spec.get("release_urls"), spec.get("sha256"))
    recipe = RELEASE_RECIPES["kubelet"]
    return ImagePlan(components=("kubelet",), image=image, source="release", base=base, downloads=downloads,
                     context_files=context_files, recipe=recipe, context_dirs=("bin", "cni", "images"),
                     build_args={"BASE": base},
                     fingerprint=_fingerprint(image, base, [(d.url, d.checksum) for d in downloads],
                                              recipe_hash(recipe)))


def _etcd_release_plan(image: str, spec: dict[str, Any]) -> ImagePlan:
    """etcd's image from the release archive of `etcd_version` for the host's `machine` (both put in the spec by
    the role), from `release_url` (GitHub, or a mirror with its paths), checked against the release's SHA256SUMS or
    the `sha256` the inventory pins: the binaries on an empty image, as scripts/images builds them from the modules.
    The spec's keys are the etcd role's variables, which the messages name."""
    where = "etcd_image_source=release"
    version = spec.get("etcd_version")
    if not isinstance(version, str) or not version:
        raise ArtifactError(f"{where} needs etcd_version (X.Y.Z), got {version!r}")
    base_url = str(spec.get("release_url") or etcd_release.RELEASE_BASE_URL)
    if not _is_http_url(base_url):
        raise ArtifactError(f"etcd_release_url: {base_url!r} is not an http(s) URL (GitHub's, or a mirror's with "
                            "the same paths)")
    pinned = spec.get("sha256")
    arch = node_release.architecture(where, spec.get("machine"))
    found = etcd_release.release_download(version, arch, base_url)
    checksum = f"sha256:{_check_sha256('etcd_release_sha256', pinned)}" if pinned else f"sha256:{found['sums']}"
    download = node_release.Download(name="etcd", url=found["url"], checksum=checksum, archive=True)
    context_files = tuple(node_release.ContextFile(source=f"{download.key}/unpacked/{found['directory']}/{binary}",
                                                   dest=f"bin/{binary}") for binary in etcd_release.BINARIES)
    recipe = RELEASE_RECIPES["etcd"]
    return ImagePlan(components=("etcd",), image=image, source="release", downloads=(download,),
                     context_files=context_files, recipe=recipe, context_dirs=("bin",),
                     build_args={"VERSION": version},
                     fingerprint=_fingerprint(image, download.url, download.checksum, recipe_hash(recipe)))


def plan_images(
    wanted: dict[str, dict[str, str] | str],
    specs: dict[str, dict[str, Any]],
    *,
    variable: str,
    manifests: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Plans for every wanted component, one per distinct image (seed components share hyperkube).

    `wanted` maps a component to {repository, tag} or to "repository:tag".
    `manifests` maps a directory to its parsed manifest.json (None where there is none).
    """
    if not isinstance(wanted, dict) or not wanted:
        raise ArtifactError(f"{variable}: no component needs an image")
    unknown = sorted(set(specs or {}) - set(wanted))
    if unknown:
        raise ArtifactError(f"{variable}: {', '.join(unknown)} is not one of the components: {', '.join(wanted)}")
    plans: dict[str, ImagePlan] = {}
    for component, image in wanted.items():
        if isinstance(image, str):  # "repository:tag", as a role's image input gives it
            repository, _, tag = image.rpartition(":")
            image = {"repository": repository, "tag": tag}
        spec = (specs or {}).get(component)
        if spec is None:
            raise ArtifactError(f"{_where(variable, component)}: no source given for {component}")
        directory = spec.get("directory") if isinstance(spec, dict) else None
        manifest = (manifests or {}).get(directory) if directory else None
        plan = plan_image(component, image, spec, variable=variable, manifest=manifest)
        if plan.image in plans:
            earlier = plans[plan.image]
            if earlier.fingerprint != plan.fingerprint:
                raise ArtifactError(
                    f"{variable}: {', '.join(earlier.components)} and {component} share {plan.image} but give it "
                    "different sources"
                )
            plans[plan.image] = replace(earlier, components=(*earlier.components, component))
        else:
            plans[plan.image] = plan
    return [plan.to_dict() for plan in plans.values()]


# Images of the cluster's add-ons, which no Kubernetes profile names: {component: (repository, tag)}.
ADDON_IMAGES = {cluster_dns.NAME: tuple(cluster_dns.DEFAULT_IMAGE.rsplit(":", 1))}


def wanted_images(reference: str, components: list[str] | tuple[str, ...],
                  overrides: Any = None) -> dict[str, dict[str, str]]:
    """{component: {repository, tag}}: the profile's image, an add-on's pinned image (CoreDNS), or
    `curtain/<component>:<version>` for a component upstream ships no image of (the modern kubelet), with a
    per-component repository/tag override. KubeProfileError for a reference no profile pins."""
    profile = get_profile(reference)
    overrides = overrides if isinstance(overrides, dict) else {}
    wanted = {}
    for component in components:
        image = profile.images.get(component)
        if image:
            default = {"repository": image.repository, "tag": image.tag}
        elif component in ADDON_IMAGES:
            repository, tag = ADDON_IMAGES[component]
            default = {"repository": repository, "tag": tag}
        else:
            default = {"repository": f"{OWN_IMAGES_PREFIX}{component}", "tag": profile.version}
        override = overrides.get(component) if isinstance(overrides.get(component), dict) else {}
        wanted[component] = {key: str(override.get(key) or default[key]) for key in ("repository", "tag")}
    return wanted


def component_specs(
    components: list[str] | tuple[str, ...], default: dict[str, Any], overrides: Any,
    wanted: dict[str, dict[str, str]] | None = None, elsewhere: list[str] | tuple[str, ...] = (),
) -> dict[str, dict[str, Any]]:
    """{component: the role's default spec, updated with the component's own entry in `overrides`}. With `wanted`
    ({component: {repository, tag}}), an image of curtain's own (the modern kubelet's), which no registry publishes,
    comes from the release downloads where the default source is registry and the component's entry names none.
    Entries for components not listed are kept, for plan_images to refuse by name, except those `elsewhere` names:
    the role's components that other hosts run (a node takes the masters' entries of a shared group_vars)."""
    overrides = overrides if isinstance(overrides, dict) else {}
    overrides = {name: entry for name, entry in overrides.items() if name in components or name not in elsewhere}
    specs: dict[str, dict[str, Any]] = {}
    for component in components:
        override = overrides.get(component) if isinstance(overrides.get(component), dict) else {}
        spec = {**default, **override}
        own = str((wanted or {}).get(component, {}).get("repository", "")).startswith(OWN_IMAGES_PREFIX)
        if own and spec.get("source") == "registry" and "source" not in override:
            spec["source"] = "release"
        specs[component] = spec
    specs.update({name: spec for name, spec in overrides.items() if name not in components})
    return specs


def registry_pull(where: str, image: str, digest: Any) -> str:
    """What the registry source pulls for `image` (repository:tag): repository@digest when a digest pins it, else
    the tag itself."""
    if not digest:
        return image
    if not _DIGEST.match(str(digest)):
        raise ArtifactError(f"{where}: digest must be sha256:<64 hex> (the digest of {image}), got {digest!r}; "
                            "leave it out to pull by tag")
    return f"{image.rsplit(':', 1)[0]}@{digest}"


def missing_images(plans: list[dict[str, Any]],
                   images: list[dict[str, Any]] | Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plans whose image the host lacks, or holds from another source or build. `images` is what the host's
    Engine said: community.docker.docker_image_info's list, or a host survey's images ({ref: {present, id,
    described}}, module_utils/host_survey.image_report), so that a role whose survey asked for its images needs no
    look of its own."""
    if isinstance(images, Mapping):
        images = [found["described"] for found in images.values() if found.get("described")]

    def found(plan: dict[str, Any]) -> list[dict[str, Any]]:
        return [image for image in images or [] if plan["image"] in (image.get("RepoTags") or [])]

    return [plan for plan in plans if not image_is_current(plan, found(plan))]


def image_is_current(plan: dict[str, Any], images: list[dict[str, Any]]) -> bool:
    """Whether the host already has the planned image (`images`: docker_image_info's list for plan['image'])."""
    if not images:
        return False
    found = images[0]
    if plan["source"] == "registry":
        return plan["pull"] == plan["image"] or plan["pull"] in (found.get("RepoDigests") or [])
    if plan["source"] == "local":
        return True
    if plan.get("image_id"):
        return found.get("Id") == plan["image_id"]
    labels = (found.get("Config") or {}).get("Labels") or {}
    return labels.get(ARTIFACT_LABEL) == plan["fingerprint"]


# Every image of a bundle goes into one `docker save` tarball: images built on one base share most layers, and a
# tarball of several images stores each layer once.
BUNDLE_IMAGES_FILE = "images/images.tar"


def bundle_plan(wanted: dict[str, dict[str, str]], sources: dict[str, Any]) -> dict[str, Any]:
    """What playbooks/offline_bundle.yml fetches: the images (pulled first where they come from a registry), exported
    together to one tarball, and the binaries per component (to bin/<component>/).
    `sources` per component: {source: local|registry|http, ...}."""
    variable = "offline_bundle_sources"
    unknown = sorted(set(sources or {}) - set(wanted))
    if unknown:
        raise ArtifactError(f"{variable}: {', '.join(unknown)} is not one of the components: {', '.join(wanted)}")
    images: dict[str, dict[str, Any]] = {}
    binaries = []
    for component, names in wanted.items():
        where = _where(variable, component)
        spec = (sources or {}).get(component) or {"source": "local"}
        source = spec.get("source", "local")
        image = _check_image_name(where, spec.get("repository") or names["repository"], spec.get("tag") or names["tag"])
        if source == "http":
            binaries.append({"component": component, "image": image, "base": str(spec.get("base") or "scratch"),
                             "binaries": [asdict(binary) for binary in _binaries(where, spec.get("binaries"), source)]})
            continue
        if source not in ("local", "registry"):
            raise ArtifactError(f"{where}: source {source!r} is not one of local, registry, http")
        pull = registry_pull(where, image, spec.get("digest")) if source == "registry" else ""
        entry = images.setdefault(image, {"image": image, "components": [], "pull": pull})
        if entry["pull"] != pull:
            raise ArtifactError(f"{where}: {image} is wanted by {', '.join(entry['components'])} from another source")
        entry["components"].append(component)
    return {"images": list(images.values()), "images_file": BUNDLE_IMAGES_FILE, "binaries": binaries}


def bundle_manifest(
    plan: dict[str, Any], profile: str, version: str, export: dict[str, Any], tarball: dict[str, Any]
) -> dict[str, Any]:
    """manifest.json from the plan and what was fetched: the docker_image_export result and the stat of its tarball.
    Binaries were checked by sha256 when downloaded, so their sums are the plan's."""
    entries = []
    if plan["images"]:
        checksum = _check_sha256(plan["images_file"], (tarball.get("stat") or {}).get("checksum"))
        ids = {tag: found.get("Id") for found in export.get("images") or [] for tag in found.get("RepoTags") or []}
        for image in plan["images"]:
            image_id = ids.get(image["image"])
            if not _DIGEST.match(str(image_id)):
                raise ArtifactError(f"bundle: the export did not report an image ID for {image['image']}")
            entries += [{"component": component, "image": image["image"], "kind": "image",
                         "file": plan["images_file"], "sha256": checksum, "image_id": image_id}
                        for component in image["components"]]
    for item in plan["binaries"]:
        files = [{"name": binary["name"], "file": f"bin/{item['component']}/{binary['name']}",
                  "sha256": binary["sha256"]} for binary in item["binaries"]]
        entries.append({"component": item["component"], "image": item["image"], "kind": "binaries",
                        "files": files, "base": item["base"]})
    return {"format": MANIFEST_FORMAT, "profile": profile, "version": version,
            "artifacts": sorted(entries, key=lambda entry: entry["component"])}

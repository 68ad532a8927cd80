"""Image source plans, the up-to-date check, and the offline bundle's manifest."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.artifacts import FilterModule
from ansible_collections.curtain.kube.plugins.module_utils.artifacts import (
    ArtifactError,
    bundle_manifest,
    bundle_plan,
    component_specs,
    image_is_current,
    plan_images,
    wanted_images,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import KubeProfileError

SHA_A = "a" * 64
SHA_B = "b" * 64
DIGEST = "sha256:" + "c" * 64
IMAGE_ID = "sha256:" + "d" * 64
APISERVER = {"kube-apiserver": {"repository": "registry.k8s.io/kube-apiserver", "tag": "v1.37.2"}}
KUBELET = {"kubelet": {"repository": "curtain/kubelet", "tag": "v1.37.2"}}
BUNDLE = "/srv/bundle"
FILTERS = FilterModule().filters()


def manifest(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"format": 1, "profile": "modern", "version": "v1.37.2", "artifacts": list(entries)}


IMAGE_ENTRY = {"component": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.37.2", "kind": "image",
               "file": "images/apiserver.tar", "sha256": SHA_A, "image_id": IMAGE_ID}
BINARY_ENTRY = {"component": "kubelet", "image": "curtain/kubelet:v1.37.2", "kind": "binaries", "base": "debian:12",
                "files": [{"name": "kubelet", "file": "bin/kubelet/kubelet", "sha256": SHA_B}]}


def test_registry_source_pulls_by_digest_and_names_the_image_by_tag() -> None:
    [plan] = plan_images(APISERVER, {"kube-apiserver": {"source": "registry", "digest": DIGEST}}, variable="v")
    assert plan["image"] == "registry.k8s.io/kube-apiserver:v1.37.2"
    assert plan["pull"] == f"registry.k8s.io/kube-apiserver@{DIGEST}"
    assert (plan["repository"], plan["tag"]) == ("registry.k8s.io/kube-apiserver", "v1.37.2")
    assert plan["dockerfile"] == ""


def test_registry_source_without_a_digest_pulls_the_tag_once() -> None:
    [plan] = plan_images(APISERVER, {"kube-apiserver": {"source": "registry"}}, variable="v")
    assert plan["pull"] == plan["image"] == "registry.k8s.io/kube-apiserver:v1.37.2"
    assert plan["fingerprint"] == "tag:registry.k8s.io/kube-apiserver:v1.37.2"
    # The tag on the host is the image, whatever its digest: it is not pulled again.
    assert image_is_current(plan, [{"RepoTags": [plan["image"]], "RepoDigests": []}])
    assert not image_is_current(plan, [])


def test_http_source_builds_from_scratch_with_the_binaries() -> None:
    spec = {"source": "http", "binaries": [{"name": "kube-apiserver", "url": "https://mirror/kube-apiserver",
                                             "sha256": SHA_A.upper()}]}
    [plan] = plan_images(APISERVER, {"kube-apiserver": spec}, variable="v")
    assert plan["binaries"] == [{"name": "kube-apiserver", "sha256": SHA_A, "url": "https://mirror/kube-apiserver",
                                 "path": ""}]
    assert plan["dockerfile"].splitlines()[:2] == ["FROM scratch", "COPY kube-apiserver /usr/local/bin/kube-apiserver"]
    assert plan["build"]  # the role labels the image with the fingerprint as it builds it


def test_directory_source_reads_the_manifest() -> None:
    specs = {"kube-apiserver": {"source": "directory", "directory": BUNDLE},
             "kubelet": {"source": "directory", "directory": BUNDLE}}
    plans = plan_images({**APISERVER, **KUBELET}, specs, variable="v",
                        manifests={BUNDLE: manifest(IMAGE_ENTRY, BINARY_ENTRY)})
    assert plans[0]["tarball"] == f"{BUNDLE}/images/apiserver.tar"
    assert plans[0]["tarball_sha256"] == SHA_A and plans[0]["image_id"] == IMAGE_ID
    assert plans[1]["binaries"][0]["path"] == f"{BUNDLE}/bin/kubelet/kubelet"
    assert plans[1]["dockerfile"].startswith("FROM debian:12\n")


def test_local_source_fetches_nothing_and_names_the_image_on_the_host() -> None:
    [plan] = plan_images(APISERVER, {"kube-apiserver": {"source": "local", "repository": "curtain/kube-apiserver"}},
                         variable="v")
    assert plan == {
        "components": ["kube-apiserver"], "image": "curtain/kube-apiserver:v1.37.2", "source": "local", "pull": "",
        "tarball": "", "tarball_sha256": "", "image_id": "", "binaries": [], "base": "scratch",
        "fingerprint": "local:curtain/kube-apiserver:v1.37.2", "repository": "curtain/kube-apiserver",
        "tag": "v1.37.2", "dockerfile": "", "downloads": [], "context_files": [], "recipe": "", "context_dirs": [],
        "build_args": {}, "build": False, "controller": False}
    assert FILTERS["artifact_controller_files"]([plan]) == []  # nothing on the controller either
    # without a repository of its own, the profile's image, as the host has it
    [profile_image] = plan_images(APISERVER, {"kube-apiserver": {"source": "local"}}, variable="v")
    assert profile_image["image"] == "registry.k8s.io/kube-apiserver:v1.37.2"


def test_only_the_sources_with_files_on_the_controller_need_its_step() -> None:
    """The roles skip the artifacts role's controller.yml for plans that all say controller: False."""
    http = {"source": "http", "binaries": [{"name": "kube-apiserver", "url": "https://mirror/a", "sha256": SHA_A}]}
    specs = {
        "registry": {"source": "registry", "digest": DIGEST},
        "local": {"source": "local"},
        "http": http,
        "directory": {"source": "directory", "directory": BUNDLE},
    }
    needs = {
        source: plan_images(APISERVER, {"kube-apiserver": spec}, variable="v",
                            manifests={BUNDLE: manifest(IMAGE_ENTRY)})[0]["controller"]
        for source, spec in specs.items()
    }
    assert needs == {"registry": False, "local": False, "http": True, "directory": True}


def test_components_sharing_an_image_get_one_plan() -> None:
    hyperkube = {"repository": "gcr.io/google_containers/hyperkube", "tag": "v1.1.8"}
    spec = {"source": "registry", "digest": DIGEST}
    plans = plan_images({"kube-apiserver": hyperkube, "kubelet": hyperkube},
                        {"kube-apiserver": spec, "kubelet": spec}, variable="v")
    assert [plan["components"] for plan in plans] == [["kube-apiserver", "kubelet"]]


def test_the_fingerprint_follows_the_binaries() -> None:
    def fingerprint(sha: str) -> str:
        spec = {"source": "http", "binaries": [{"name": "k", "url": "http://m/k", "sha256": sha}]}
        return plan_images(APISERVER, {"kube-apiserver": spec}, variable="v")[0]["fingerprint"]

    assert fingerprint(SHA_A) == fingerprint(SHA_A) != fingerprint(SHA_B)


@pytest.mark.parametrize(
    "specs,manifests,fragment",
    [
        ({}, {}, r"v\['kube-apiserver'\]: no source given"),
        ({"kube-apiserver": {"source": "ftp"}}, {},
         "source 'ftp' is not one of registry, http, release, directory, local$"),
        ({"kube-apiserver": {"source": "local", "tag": "v 1"}}, {}, "is not an image tag"),
        ({"kube-apiserver": {"source": "registry", "digest": "sha256:abc"}}, {},
         r"digest must be sha256:<64 hex> \(the digest of registry.k8s.io/kube-apiserver:v1.37.2\), got 'sha256:abc'; "
         "leave it out to pull by tag"),
        ({"kube-apiserver": {"source": "registry", "digest": DIGEST, "tag": "v 1"}}, {}, "is not an image tag"),
        ({"kube-apiserver": {"source": "http"}}, {}, "needs `binaries`"),
        ({"kube-apiserver": {"source": "http", "binaries": [{"name": "k", "url": "file:///k", "sha256": SHA_A}]}},
         {}, "is not an http"),
        ({"kube-apiserver": {"source": "http", "binaries": [{"name": "k", "url": "http://m/k", "sha256": "x"}]}},
         {}, "64 hex digits"),
        ({"kube-apiserver": {"source": "http", "binaries": [{"name": "../k", "url": "http://m/k", "sha256": SHA_A}]}},
         {}, "is not a file name"),
        ({"kube-apiserver": {"source": "directory", "directory": "bundle"}}, {}, "an absolute path"),
        ({"kube-apiserver": {"source": "directory", "directory": BUNDLE}}, {}, "not a curtain bundle manifest"),
        ({"kube-apiserver": {"source": "directory", "directory": BUNDLE}}, {BUNDLE: manifest(BINARY_ENTRY)},
         "the bundle has nothing for kube-apiserver"),
        ({"kube-apiserver": {"source": "directory", "directory": BUNDLE}},
         {BUNDLE: manifest({**IMAGE_ENTRY, "image": "other:v1"})}, "holds kube-apiserver as 'other:v1'"),
        ({"kube-apiserver": {"source": "directory", "directory": BUNDLE}},
         {BUNDLE: manifest({**IMAGE_ENTRY, "file": "../../etc/passwd"})}, "inside the bundle"),
        ({"kube-apiserver": {"source": "directory", "directory": BUNDLE}},
         {BUNDLE: manifest({**IMAGE_ENTRY, "sha256": "nope"})}, "64 hex digits"),
        ({"kube-proxy": {"source": "registry", "digest": DIGEST}}, {}, "kube-proxy is not one of the components"),
    ],
)
def test_plan_images_rejects(specs: dict, manifests: dict, fragment: str) -> None:
    with pytest.raises(ArtifactError, match=fragment):
        plan_images(APISERVER, specs, variable="v", manifests=manifests)


RELEASE = {"source": "release", "kubernetes_version": "v1.37.2", "machine": "x86_64"}


def test_release_source_downloads_the_kubelet_and_its_runtime_with_their_published_sums() -> None:
    [plan] = plan_images(KUBELET, {"kubelet": RELEASE}, variable="v")
    assert (plan["source"], plan["image"], plan["base"], plan["build"], plan["controller"]) == (
        "release", "curtain/kubelet:v1.37.2", "debian:bookworm-slim", True, True)
    downloads = {download["name"]: download for download in plan["downloads"]}
    kubelet = "https://dl.k8s.io/release/v1.37.2/bin/linux/amd64/kubelet"
    assert downloads["kubelet"]["url"] == kubelet
    assert downloads["kubelet"]["checksum"] == f"sha256:{kubelet}.sha256"
    runc = "https://github.com/opencontainers/runc/releases/download/v1.4.4/"
    assert (downloads["runc"]["url"], downloads["runc"]["checksum"]) == (
        runc + "runc.amd64", f"sha256:{runc}runc.sha256sum")  # one sum file for all of runc's assets
    containerd = downloads["containerd"]
    assert containerd["url"].endswith("/containerd/releases/download/v2.3.7/containerd-2.3.7-linux-amd64.tar.gz")
    assert containerd["checksum"] == f"sha256:{containerd['url']}.sha256sum" and containerd["archive"]
    assert downloads["cni-plugins"]["checksum"].endswith("cni-plugins-linux-amd64-v1.10.0.tgz.sha256")
    assert downloads["crictl"]["url"].endswith("/cri-tools/releases/download/v1.37.0/crictl-v1.37.0-linux-amd64.tar.gz")
    # each download in a directory of its own; the build context takes the binaries and the CNI plugins
    assert len({download["key"] for download in plan["downloads"]}) == 5
    sources = {context_file["dest"]: context_file["source"] for context_file in plan["context_files"]}
    assert sorted(sources) == ["bin/containerd", "bin/containerd-shim-runc-v2", "bin/crictl", "bin/ctr",
                               "bin/kubelet", "bin/runc", "cni/bridge", "cni/host-local", "cni/loopback", "cni/portmap"]
    assert sources["bin/kubelet"] == downloads["kubelet"]["file"]
    assert sources["bin/containerd"] == f"{containerd['key']}/unpacked/bin/containerd"
    assert sources["cni/bridge"] == f"{downloads['cni-plugins']['key']}/unpacked/bridge"


def test_release_source_takes_a_mirror_a_pinned_sum_and_another_architecture() -> None:
    spec = {**RELEASE, "machine": "aarch64", "base": "mirror.example/debian:12",
            "release_urls": {"kubernetes": "http://mirror:8080/k8s/", "github": "http://mirror:8080/gh"},
            "sha256": {"kubelet": "SHA256:" + SHA_A.upper()}}
    [plan] = plan_images(KUBELET, {"kubelet": spec}, variable="v")
    downloads = {download["name"]: download for download in plan["downloads"]}
    assert downloads["kubelet"]["url"] == "http://mirror:8080/k8s/v1.37.2/bin/linux/arm64/kubelet"
    assert downloads["kubelet"]["checksum"] == f"sha256:{SHA_A}"
    assert downloads["runc"]["url"] == "http://mirror:8080/gh/opencontainers/runc/releases/download/v1.4.4/runc.arm64"
    assert plan["base"] == "mirror.example/debian:12"


def test_the_release_fingerprint_follows_the_version_the_urls_the_base_and_the_recipe(monkeypatch) -> None:
    from ansible_collections.curtain.kube.plugins.module_utils import artifacts

    def fingerprint(**change: Any) -> str:
        return plan_images(KUBELET, {"kubelet": {**RELEASE, **change}}, variable="v")[0]["fingerprint"]

    first = fingerprint()
    assert fingerprint() == first
    assert len({first, fingerprint(kubernetes_version="v1.36.3"), fingerprint(base="debian:12"),
                fingerprint(release_urls={"github": "http://mirror/gh"}), fingerprint(sha256={"runc": SHA_A})}) == 5
    monkeypatch.setattr(artifacts, "recipe_hash", lambda recipe: f"another {recipe} recipe")
    assert fingerprint() != first


def test_the_recipe_hash_reads_each_recipe_the_release_source_builds() -> None:
    from ansible_collections.curtain.kube.plugins.module_utils import artifacts

    assert {path.name for path in (artifacts.RECIPES_DIR / "node-image").iterdir()} == {
        "Dockerfile", "entrypoint", "crictl.yaml", "packages"}
    assert {path.name for path in (artifacts.RECIPES_DIR / "etcd-image").iterdir()} == {"Dockerfile"}
    hashes = {artifacts.recipe_hash(recipe) for recipe in artifacts.RELEASE_RECIPES.values()}
    assert len(hashes) == 2 and all(re.fullmatch(r"[0-9a-f]{16}", found) for found in hashes)


@pytest.mark.parametrize(
    "spec,fragment",
    [
        ({"kubernetes_version": "1.37"}, r"v\['kubelet'\]: the release source needs kubernetes_version \(vX.Y.Z\)"),
        ({"machine": "s390x"}, r"v\['kubelet'\]: the release source has no binaries for the host's architecture "
                               r"'s390x' \(it knows amd64, arm64\)"),
        ({"machine": ""}, r"needs the host's architecture \(machine; the roles pass ansible_facts.architecture"),
        ({"release_urls": {"kubernetes": "ftp://m"}}, r"release_urls.kubernetes: 'ftp://m' is not an http"),
        ({"release_urls": {"gitlab": "http://m"}}, r"release_urls: gitlab is not one of kubernetes, github"),
        ({"sha256": {"kubelet": "abc"}}, r"sha256.kubelet: must be 64 hex digits"),
        ({"sha256": {"etcd": SHA_A}}, r"sha256: etcd is not one of the downloads"),
        ({"base": "Not An Image"}, r"base 'Not An Image' is not an image name"),
    ],
)
def test_release_source_rejects(spec: dict, fragment: str) -> None:
    with pytest.raises(ArtifactError, match=fragment):
        plan_images(KUBELET, {"kubelet": {**RELEASE, **spec}}, variable="v")


def test_release_source_builds_the_kubelet_and_etcd_only() -> None:
    with pytest.raises(ArtifactError, match=r"builds the kubelet's node image and etcd's image only; upstream "
                                            r"publishes kube-apiserver as an image: use the registry source"):
        plan_images(APISERVER, {"kube-apiserver": RELEASE}, variable="v")


ETCD = {"etcd": "curtain/etcd:3.7.4"}
ETCD_RELEASE = {"source": "release", "etcd_version": "3.7.4", "machine": "x86_64"}


def test_release_source_builds_etcd_from_its_release_archive() -> None:
    """etcd's archive and the SHA256SUMS published with it (get_url picks the archive's line), unpacked, its three
    binaries into bin/ of an image FROM scratch, built with the release as VERSION."""
    [plan] = plan_images(ETCD, {"etcd": ETCD_RELEASE}, variable="etcd_image_source")
    release = "https://github.com/etcd-io/etcd/releases/download/v3.7.4"
    [download] = plan["downloads"]
    assert (download["url"], download["checksum"], download["archive"]) == (
        f"{release}/etcd-v3.7.4-linux-amd64.tar.gz", f"sha256:{release}/SHA256SUMS", True)
    assert plan["context_files"] == [
        {"source": f"{download['key']}/unpacked/etcd-v3.7.4-linux-amd64/{binary}", "dest": f"bin/{binary}"}
        for binary in ("etcd", "etcdctl", "etcdutl")]
    assert (plan["image"], plan["base"], plan["recipe"], plan["context_dirs"], plan["build_args"], plan["build"]) == (
        "curtain/etcd:3.7.4", "scratch", "etcd-image", ["bin"], {"VERSION": "3.7.4"}, True)


def test_etcd_release_source_takes_a_mirror_a_pinned_sum_and_another_architecture() -> None:
    spec = {**ETCD_RELEASE, "etcd_version": "3.6.17", "machine": "aarch64", "release_url": "http://mirror:8080/gh/",
            "sha256": SHA_A.upper()}
    [plan] = plan_images({"etcd": "curtain/etcd:3.6.17"}, {"etcd": spec}, variable="etcd_image_source")
    [download] = plan["downloads"]
    assert download["url"] == ("http://mirror:8080/gh/etcd-io/etcd/releases/download/v3.6.17/"
                               "etcd-v3.6.17-linux-arm64.tar.gz")
    assert download["checksum"] == f"sha256:{SHA_A}"
    assert plan["context_files"][0]["source"].endswith("/unpacked/etcd-v3.6.17-linux-arm64/etcd")


def test_the_etcd_release_fingerprint_follows_the_archive_and_its_sum() -> None:
    def fingerprint(**change: Any) -> str:
        return plan_images(ETCD, {"etcd": {**ETCD_RELEASE, **change}}, variable="v")[0]["fingerprint"]

    assert fingerprint() == fingerprint(release_url="https://github.com")
    assert len({fingerprint(), fingerprint(etcd_version="3.7.3"), fingerprint(release_url="http://mirror/gh"),
                fingerprint(sha256=SHA_A), fingerprint(machine="arm64")}) == 5


@pytest.mark.parametrize(
    "spec,message",
    [
        ({"etcd_version": ""}, "etcd_image_source=release needs etcd_version (X.Y.Z), got ''"),
        ({"etcd_version": "latest"}, "etcd_version: 'latest' is not an etcd version like 3.7.4"),
        ({"machine": "s390x"}, "etcd_image_source=release: the release source has no binaries for the host's "
                               "architecture 's390x'"),
        ({"machine": ""}, "needs the host's architecture (machine; the roles pass ansible_facts.architecture"),
        ({"release_url": "ftp://mirror/gh"}, "etcd_release_url: 'ftp://mirror/gh' is not an http(s) URL"),
        ({"sha256": "abc"}, "etcd_release_sha256: sha256 must be 64 hex digits, got 'abc'"),
    ],
)
def test_etcd_release_source_rejects(spec: dict, message: str) -> None:
    with pytest.raises(ArtifactError, match=re.escape(message)):
        plan_images(ETCD, {"etcd": {**ETCD_RELEASE, **spec}}, variable="etcd_image_source")


def test_specs_build_curtains_own_image_from_the_release_where_the_default_is_a_registry() -> None:
    wanted = {**APISERVER, **KUBELET}
    specs = component_specs(list(wanted), {"source": "registry"}, {}, wanted)
    assert (specs["kube-apiserver"]["source"], specs["kubelet"]["source"]) == ("registry", "release")
    # a source named for the kubelet stays; so does the default of another source, and a kubelet from your registry
    named = component_specs(list(wanted), {"source": "registry"}, {"kubelet": {"source": "registry"}}, wanted)
    assert named["kubelet"]["source"] == "registry"
    specs = component_specs(list(wanted), {"source": "directory"}, {}, wanted)
    assert specs["kubelet"]["source"] == "directory"
    yours = {**wanted, "kubelet": {"repository": "registry.example/kubelet", "tag": "v1.37.2"}}
    assert component_specs(list(wanted), {"source": "registry"}, {}, yours)["kubelet"]["source"] == "registry"


def test_specs_leave_out_the_entries_of_components_other_hosts_run() -> None:
    """A node plans the kubelet (and CoreDNS) alone, with the group_vars the masters share: their components'
    entries are not its own, and are not refused; an entry no host of the role runs still is."""
    shared = {"kube-apiserver": {"digest": DIGEST}, "kubelet": {"repository": "reg/kubelet"},
              "coredns": {"repository": "reg/coredns"}}
    role = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "coredns"]
    specs = component_specs(["kubelet", "coredns"], {"source": "registry"}, shared, None, tuple(role))
    assert specs == {"kubelet": {"source": "registry", "repository": "reg/kubelet"},
                     "coredns": {"source": "registry", "repository": "reg/coredns"}}
    typo = component_specs(["kubelet"], {"source": "registry"}, {"kube-apiserve": {}}, None, tuple(role))
    assert "kube-apiserve" in typo
    with pytest.raises(ArtifactError, match="kube-apiserve is not one of the components: kubelet"):
        plan_images({"kubelet": {"repository": "reg/kubelet", "tag": "v1.37.2"}}, typo, variable="v")
    # Without `elsewhere`, every entry not planned here is kept for plan_images to refuse.
    assert "kube-apiserver" in component_specs(["kubelet"], {"source": "registry"}, shared)


def test_wanted_images_of_the_profile_the_add_ons_and_curtain_s_own() -> None:
    wanted = wanted_images("modern@v1.36.3", ["kube-apiserver", "kubelet", "coredns"])
    assert wanted == {
        "kube-apiserver": {"repository": "registry.k8s.io/kube-apiserver", "tag": "v1.36.3"},
        "kubelet": {"repository": "curtain/kubelet", "tag": "v1.36.3"},
        # CoreDNS is pinned on its own, not by the Kubernetes version (kubeadm's pin, cluster_dns.py).
        "coredns": {"repository": "registry.k8s.io/coredns/coredns", "tag": "v1.14.6"},
    }
    assert wanted_images("modern", ["coredns"]) == {
        "coredns": {"repository": "registry.k8s.io/coredns/coredns", "tag": "v1.14.6"}}


def test_wanted_images_take_a_repository_or_tag_of_the_user_s_per_component() -> None:
    overrides = {"coredns": {"repository": "curtain/coredns"}, "kubelet": {"tag": "mine"},
                 "kube-scheduler": "not a mapping"}
    wanted = wanted_images("modern", ["coredns", "kubelet", "kube-scheduler"], overrides)
    assert wanted["coredns"] == {"repository": "curtain/coredns", "tag": "v1.14.6"}
    assert wanted["kubelet"] == {"repository": "curtain/kubelet", "tag": "mine"}
    assert wanted["kube-scheduler"]["repository"] == "registry.k8s.io/kube-scheduler"
    assert wanted_images("modern", ["kubelet"], "not a mapping")["kubelet"]["repository"] == "curtain/kubelet"
    with pytest.raises(KubeProfileError, match="modren"):
        wanted_images("modren", ["kubelet"])


def plan_of(source: str) -> dict[str, Any]:
    specs = {
        "registry": {"source": "registry", "digest": DIGEST},
        "http": {"source": "http", "binaries": [{"name": "k", "url": "http://m/k", "sha256": SHA_A}]},
        "directory": {"source": "directory", "directory": BUNDLE},
        "local": {"source": "local"},
    }
    if source == "release":
        return plan_images(KUBELET, {"kubelet": RELEASE}, variable="v")[0]
    return plan_images(APISERVER, {"kube-apiserver": specs[source]}, variable="v",
                       manifests={BUNDLE: manifest(IMAGE_ENTRY)})[0]


def test_image_is_current() -> None:
    registry, http, directory = plan_of("registry"), plan_of("http"), plan_of("directory")
    assert not image_is_current(registry, [])
    assert image_is_current(registry, [{"RepoDigests": [registry["pull"]]}])
    assert not image_is_current(registry, [{"RepoDigests": ["registry.k8s.io/kube-apiserver@sha256:" + "0" * 64]}])
    assert image_is_current(directory, [{"Id": IMAGE_ID}])
    assert not image_is_current(directory, [{"Id": DIGEST}])
    assert image_is_current(http, [{"Config": {"Labels": {"io.curtain.artifact": http["fingerprint"]}}}])
    assert not image_is_current(http, [{"Config": {"Labels": {}}}])
    release = plan_of("release")  # a node image built from other downloads, or by scripts/images, is rebuilt
    assert image_is_current(release, [{"Config": {"Labels": {"io.curtain.artifact": release["fingerprint"]}}}])
    assert not image_is_current(release, [{"Config": {"Labels": {"io.curtain.recipe-hash": "0" * 16}}}])
    # local: whatever the host has under that name is the image (nothing to compare it with); none is missing
    local = plan_of("local")
    assert image_is_current(local, [{"Id": DIGEST, "RepoDigests": [], "Config": {"Labels": {}}}])
    assert not image_is_current(local, [])


def test_missing_filter_reports_a_local_image_the_host_lacks() -> None:
    local = plan_of("local")
    assert FILTERS["artifact_missing"]([local], []) == [local]
    assert FILTERS["artifact_missing"]([local], [{"RepoTags": ["registry.k8s.io/kube-apiserver:v1.36.3"]}]) == [local]
    assert FILTERS["artifact_missing"]([local], [{"RepoTags": [local["image"]], "Id": DIGEST}]) == []


def test_a_shared_image_needs_one_source() -> None:
    hyperkube = {"repository": "gcr.io/google_containers/hyperkube", "tag": "v1.1.8"}
    with pytest.raises(ArtifactError, match=re.escape("kube-apiserver and kubelet share gcr.io/google_containers/"
                                                      "hyperkube:v1.1.8 but give it different sources")):
        plan_images({"kube-apiserver": hyperkube, "kubelet": hyperkube},
                    {"kube-apiserver": {"source": "local"}, "kubelet": {"source": "registry", "digest": DIGEST}},
                    variable="v")


def test_missing_filter_matches_images_by_tag() -> None:
    plan = plan_of("directory")
    other = {"RepoTags": ["registry.k8s.io/kube-apiserver:v1.35.0"], "Id": IMAGE_ID}
    assert FILTERS["artifact_missing"]([plan], [other]) == [plan]
    assert FILTERS["artifact_missing"]([plan], [{**other, "RepoTags": [plan["image"]]}]) == []


def test_missing_filter_reads_a_host_survey_s_images_as_the_engine_s_list() -> None:
    """A role whose survey asked for its images decides from it whether to install any, as from a look of its own:
    another build under the planned name is missing too."""
    plan = plan_of("directory")
    same = {"RepoTags": [plan["image"]], "Id": IMAGE_ID}
    survey = {plan["image"]: {"present": True, "id": IMAGE_ID, "described": same}}
    assert FILTERS["artifact_missing"]([plan], survey) == []
    assert FILTERS["artifact_missing"]([plan], {plan["image"]: {**survey[plan["image"]],
                                                                 "described": {**same, "Id": DIGEST}}}) == [plan]
    assert FILTERS["artifact_missing"]([plan], {plan["image"]: {"present": False, "id": None,
                                                                 "described": None}}) == [plan]
    assert FILTERS["artifact_missing"]([plan], {}) == [plan]


def test_file_problems_name_the_missing_and_the_damaged() -> None:
    plans = [plan_of("directory")]
    files = FILTERS["artifact_controller_files"](plans)
    assert files == [{"path": f"{BUNDLE}/images/apiserver.tar", "sha256": SHA_A}]
    stats = [{"item": files[0], "stat": {"exists": True, "checksum": SHA_A}}]
    assert FILTERS["artifact_file_problems"](stats) == []
    assert "is missing" in FILTERS["artifact_file_problems"]([{"item": files[0], "stat": {"exists": False}}])[0]
    damaged = FILTERS["artifact_file_problems"]([{"item": files[0], "stat": {"exists": True, "checksum": SHA_B}}])
    assert damaged == [f"{BUNDLE}/images/apiserver.tar has sha256 {SHA_B}, the manifest says {SHA_A}"]


# --- the offline bundle ---------------------------------------------------------------------------------------

HYPERKUBE = {"repository": "gcr.io/google_containers/hyperkube", "tag": "v1.1.8"}


def test_bundle_plan_exports_a_shared_image_once_and_downloads_binaries() -> None:
    wanted = {"kube-apiserver": HYPERKUBE, "kube-scheduler": HYPERKUBE, **KUBELET,
              "etcd": {"repository": "curtain/etcd", "tag": "3.5.1"}}
    sources = {"kubelet": {"source": "http", "binaries": [{"name": "kubelet", "url": "https://m/kubelet",
                                                           "sha256": SHA_B}]},
               "etcd": {"source": "registry", "digest": DIGEST}, "kube-scheduler": {"source": "registry"}}
    with pytest.raises(ArtifactError, match=r"hyperkube:v1\.1\.8 is wanted by kube-apiserver from another source"):
        bundle_plan(wanted, sources)
    del sources["kube-scheduler"]
    plan = bundle_plan(wanted, sources)
    assert [(item["image"], item["components"], item["pull"]) for item in plan["images"]] == [
        ("gcr.io/google_containers/hyperkube:v1.1.8", ["kube-apiserver", "kube-scheduler"], ""),
        ("curtain/etcd:3.5.1", ["etcd"], f"curtain/etcd@{DIGEST}"),
    ]
    by_tag = bundle_plan({"kube-apiserver": HYPERKUBE}, {"kube-apiserver": {"source": "registry"}})
    assert by_tag["images"][0]["pull"] == "gcr.io/google_containers/hyperkube:v1.1.8"
    assert plan["images_file"] == "images/images.tar"
    assert plan["binaries"][0]["component"] == "kubelet"


def test_bundle_manifest_round_trips_into_plans_that_load_the_tarball_once() -> None:
    wanted = {**APISERVER, **KUBELET, "kube-proxy": {"repository": "registry.k8s.io/kube-proxy", "tag": "v1.37.2"}}
    plan = bundle_plan(wanted, {"kubelet": {"source": "http", "base": "debian:12", "binaries": [
        {"name": "kubelet", "url": "https://m/kubelet", "sha256": SHA_B}]}})
    export = {"images": [{"Id": IMAGE_ID, "RepoTags": ["registry.k8s.io/kube-apiserver:v1.37.2"]},
                         {"Id": DIGEST, "RepoTags": ["registry.k8s.io/kube-proxy:v1.37.2"]}]}
    written = bundle_manifest(plan, "modern", "v1.37.2", export, {"stat": {"checksum": SHA_A}})
    assert [entry["component"] for entry in written["artifacts"]] == ["kube-apiserver", "kube-proxy", "kubelet"]
    specs = {name: {"source": "directory", "directory": BUNDLE} for name in wanted}
    plans = plan_images(wanted, specs, variable="v", manifests={BUNDLE: written})
    assert plans[0]["image_id"] == IMAGE_ID and plans[0]["tarball_sha256"] == SHA_A
    assert plans[1]["binaries"][0]["path"] == f"{BUNDLE}/bin/kubelet/kubelet"
    assert plans[1]["base"] == "debian:12"
    assert plans[2]["image_id"] == DIGEST
    assert FILTERS["artifact_tarballs"](plans) == [{"path": f"{BUNDLE}/images/images.tar", "sha256": SHA_A}]


@pytest.mark.parametrize(
    "sources,fragment",
    [
        ({"kube-apiserver": {"source": "directory"}}, "not one of local, registry, http"),
        ({"kube-apiserver": {"source": "registry", "digest": "abc"}}, "digest must be sha256:<64 hex>"),
        ({"etcd": {"source": "local"}}, "etcd is not one of the components"),
    ],
)
def test_bundle_plan_rejects(sources: dict, fragment: str) -> None:
    with pytest.raises(ArtifactError, match=fragment):
        bundle_plan(APISERVER, sources)


def test_bundle_manifest_needs_the_id_of_every_exported_image() -> None:
    plan = bundle_plan(APISERVER, {})
    with pytest.raises(ArtifactError, match=r"did not report an image ID for registry\.k8s\.io/kube-apiserver"):
        bundle_manifest(plan, "modern", "v1.37.2", {"images": []}, {"stat": {"checksum": SHA_A}})


def test_kube_wanted_images_from_the_profiles() -> None:
    modern = FILTERS["kube_wanted_images"]("modern", ["kube-apiserver", "kubelet"])
    assert modern["kube-apiserver"]["repository"] == "registry.k8s.io/kube-apiserver"
    assert modern["kubelet"] == {"repository": "curtain/kubelet", "tag": modern["kube-apiserver"]["tag"]}
    seed = FILTERS["kube_wanted_images"]("seed", ["kubelet"], {"kubelet": {"repository": "local/hyperkube"}})
    assert seed["kubelet"]["repository"] == "local/hyperkube"
    assert FILTERS["kube_wanted_images"]("modern", ["coredns"], {"coredns": {"tag": "v1.14.5"}}) == {
        "coredns": {"repository": "registry.k8s.io/coredns/coredns", "tag": "v1.14.5"}}
    with pytest.raises(AnsibleFilterError, match="modren"):
        FILTERS["kube_wanted_images"]("modren", ["kubelet"])

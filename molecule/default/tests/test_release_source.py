"""The kubelet's node image and etcd's image, built on the host from the release downloads (the release image source:
the default for curtain's own kubelet image on an online host; etcd_image_source=release). Here the downloads come
from the test mirror (scripts/release_mirror), which serves the binaries built here under the paths and sum-file
formats of dl.k8s.io and the GitHub releases.

Shows that the node and etcd containers run exactly the published files (each against its published sum), that the
host keeps no build context, and that a download whose published sum does not match is refused before anything on
the host changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import urllib.request

import yaml
from conftest import run_playbook_refused
from site_host import INVENTORY_DIR, fingerprint, host

MIRROR = f"http://{os.environ.get('CURTAIN_TEST_RELEASE_MIRROR', '172.17.0.1:5080')}"
KUBELET_IMAGE = "curtain/kubelet:v1.37.2"
ETCD_IMAGE = "curtain/etcd:3.7.4"


def fetch(path: str) -> bytes:
    with urllib.request.urlopen(f"{MIRROR}/{path}", timeout=30) as response:
        return response.read()


def published_sum(sums_path: str, name: str) -> str:
    """The sum a release publishes for `name`: the bare sum, or its line in a sha256sum listing."""
    lines = fetch(sums_path).decode().splitlines()
    if len(lines) == 1 and len(lines[0].split()) == 1:
        return lines[0]
    return next(line.split()[0] for line in lines if line.split()[1] == name)


def member_sum(archive_path: str, sums_path: str, member: str) -> str:
    """The sha256 of one file of a release archive, the archive checked against its sum published at `sums_path`
    first."""
    data = fetch(archive_path)
    name = archive_path.rsplit("/", 1)[1]
    assert hashlib.sha256(data).hexdigest() == published_sum(sums_path, name)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return hashlib.sha256(archive.extractfile(member).read()).hexdigest()


def in_node(path: str) -> str:
    return host().check_output("docker exec curtain-kubelet sha256sum %s", path).split()[0]


def in_etcd(path: str) -> str:
    """The image has no shell: the file is copied out of the running container."""
    return host().check_output("docker cp curtain-etcd:%s - | tar -xO | sha256sum", path).split()[0]


def built_by_the_role(image_name: str, recipe: str, container: str) -> dict:
    """The image's labels, once it is known that the role built it (its build label; scripts/images labels the
    image it builds with the same recipe by the recipe's name) and that the container runs it."""
    image = json.loads(host().check_output("docker image inspect %s", image_name))[0]
    labels = image["Config"]["Labels"]
    assert labels.get("io.curtain.artifact") and labels.get("io.curtain.recipe") != f"roles/artifacts/files/{recipe}"
    assert json.loads(host().check_output("docker inspect %s", container))[0]["Image"] == image["Id"]
    return labels


def test_the_node_container_runs_the_published_files() -> None:
    built_by_the_role(KUBELET_IMAGE, "node-image", "curtain-kubelet")
    kubelet = "dl.k8s.io/release/v1.37.2/bin/linux/amd64/kubelet"
    assert in_node("/usr/local/bin/kubelet") == published_sum(kubelet + ".sha256", "kubelet")
    runc = "github.com/opencontainers/runc/releases/download/v1.4.4/"
    assert in_node("/usr/local/bin/runc") == published_sum(runc + "runc.sha256sum", "runc.amd64")
    containerd = "github.com/containerd/containerd/releases/download/v2.3.7/containerd-2.3.7-linux-amd64.tar.gz"
    for binary in ("containerd", "containerd-shim-runc-v2", "ctr"):
        published = member_sum(containerd, containerd + ".sha256sum", f"bin/{binary}")
        assert in_node(f"/usr/local/bin/{binary}") == published, binary
    cni = "github.com/containernetworking/plugins/releases/download/v1.10.0/cni-plugins-linux-amd64-v1.10.0.tgz"
    for plugin in ("bridge", "loopback", "host-local", "portmap"):
        assert in_node(f"/opt/cni/bin/{plugin}") == member_sum(cni, cni + ".sha256", f"./{plugin}"), plugin
    crictl = "github.com/kubernetes-sigs/cri-tools/releases/download/v1.37.0/crictl-v1.37.0-linux-amd64.tar.gz"
    assert in_node("/usr/local/bin/crictl") == member_sum(crictl, crictl + ".sha256", "crictl")
    # the build context (the binaries again) went once the image was built
    assert host().check_output("ls -A /var/lib/curtain/images") == ""


def test_the_etcd_container_runs_the_published_release() -> None:
    """etcd's archive, checked against the SHA256SUMS its release publishes (one file for every asset)."""
    labels = built_by_the_role(ETCD_IMAGE, "etcd-image", "curtain-etcd")
    assert labels["org.opencontainers.image.version"] == "3.7.4"
    release = "github.com/etcd-io/etcd/releases/download/v3.7.4/"
    for binary in ("etcd", "etcdctl", "etcdutl"):
        published = member_sum(release + "etcd-v3.7.4-linux-amd64.tar.gz", release + "SHA256SUMS",
                               f"etcd-v3.7.4-linux-amd64/{binary}")
        assert in_etcd(f"/usr/local/bin/{binary}") == published, binary
    assert host().check_output("ls -A /var/lib/curtain/images") == ""


def test_a_download_whose_published_sum_differs_is_refused_and_nothing_changes() -> None:
    """The mirror's tampered/ tree serves a kubelet whose published sum is another file's. The run fails on the
    controller, before any host task of the role, and the host keeps its node image and containers."""
    images = yaml.safe_load((INVENTORY_DIR / "group_vars" / "all").read_text())["hyperkube_master_images"]
    kubelet = images["kubelet"]
    tampered = {**images, "kubelet": {**kubelet, "release_urls": {
        **kubelet["release_urls"], "kubernetes": f"{MIRROR}/tampered/dl.k8s.io/release"}}}
    image_before = host().check_output("docker image inspect --format '{{.Id}}' %s", KUBELET_IMAGE)
    before = fingerprint()
    output = run_playbook_refused("converge.yml", {"hyperkube_master_images": tampered})
    assert "Download the release files" in output
    assert "The checksum for" in output and "did not match" in output, output[-3000:]
    assert fingerprint() == before
    assert host().check_output("docker image inspect --format '{{.Id}}' %s", KUBELET_IMAGE) == image_before

"""A host with no route out installed everything from the offline bundle; a damaged bundle changes nothing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import etcd_call, run_playbook

BUNDLE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "bundle"
# Each bundled image, as the bundle names it: the Kubernetes components at the profile's version, CoreDNS at its own.
IMAGES = {**{component: f"curtain/{component}:v1.37.2"
             for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")},
          "coredns": "curtain/coredns:v1.14.6"}
ETCD_VERSION = "3.7.4"  # the modern profile's etcd (module_utils/etcd_release.py), the binaries the bundle holds


def manifest() -> dict:
    return json.loads((BUNDLE / "manifest.json").read_text())


def image(host, name: str) -> dict:
    return json.loads(host.check_output("docker image inspect %s", name))[0]


def test_the_host_has_no_route_out(host):
    # Not even to the test registry on the Docker bridge: nothing below can have come over the network.
    probe = "import socket; socket.create_connection(('172.17.0.1', 5000), timeout=3)"
    assert host.run("python3 -c %s", probe).rc != 0


def test_the_bundle_manifest_names_versions_and_sums_every_artifact():
    entries = {entry["component"]: entry for entry in manifest()["artifacts"]}
    assert manifest()["version"] == "v1.37.2"
    assert sorted(entries) == sorted([*IMAGES, "etcd"])
    assert entries["etcd"]["kind"] == "binaries"
    assert [file["name"] for file in entries["etcd"]["files"]] == ["etcd", "etcdctl", "etcdutl"]
    for component, name in IMAGES.items():
        assert entries[component]["kind"] == "image"
        assert entries[component]["image"] == name
        assert len(entries[component]["sha256"]) == 64


def test_etcd_runs_from_the_image_built_of_the_bundled_binaries(host):
    built = image(host, f"curtain/etcd:{ETCD_VERSION}")
    assert built["Config"]["Labels"]["io.curtain.artifact"]
    address = host.check_output("hostname -i").split()[0]
    health = etcd_call(host, f"https://{address}:2379", "/health")
    assert health.rc == 0 and json.loads(health.stdout)["health"] == "true", health.stdout
    version = etcd_call(host, f"https://{address}:2379", "/version")
    assert json.loads(version.stdout)["etcdserver"] == ETCD_VERSION, version.stdout


def test_component_images_are_the_bundled_ones(host):
    entries = {entry["component"]: entry for entry in manifest()["artifacts"]}
    for component, name in IMAGES.items():
        assert image(host, name)["Id"] == entries[component]["image_id"]


def test_the_http_source_built_an_image_from_the_downloaded_binary(host):
    built = image(host, f"curtain-test/etcdctl-from-http:{ETCD_VERSION}")
    assert built["Config"]["Labels"]["io.curtain.artifact"]
    assert host.run(f"docker run --rm curtain-test/etcdctl-from-http:{ETCD_VERSION} etcdctl version").stdout.startswith(
        f"etcdctl version: {ETCD_VERSION}"
    )


def host_state(host) -> str:
    return host.check_output(
        "docker image ls -q --no-trunc | sort; "
        "docker inspect --format '{{.Name}} {{.Id}} {{.State.StartedAt}}' $(docker ps -aq) | sort; "
        "find /var/lib/curtain /etc/curtain | sort"
    )


@pytest.mark.parametrize("damage", ["checksum", "missing"])
def test_a_damaged_bundle_installs_nothing(host, tmp_path: Path, damage: str):
    damaged = tmp_path / "bundle"
    shutil.copytree(BUNDLE, damaged)
    entries = json.loads((damaged / "manifest.json").read_text())
    scheduler = next(entry for entry in entries["artifacts"] if entry["component"] == "kube-scheduler")
    if damage == "checksum":
        (damaged / scheduler["file"]).write_bytes(b"not the image")
    else:
        (damaged / scheduler["file"]).unlink()
    # Without its image, a run that did not refuse would load the scheduler again.
    host.run_expect([0], "docker rmi curtain/kube-scheduler:v1.37.2")
    before = host_state(host)

    with pytest.raises(AssertionError, match="Nothing was installed" if damage == "checksum" else "is missing"):
        run_playbook("converge.yml", {"offline_test_bundle": str(damaged)})

    assert host_state(host) == before
    run_playbook("converge.yml")  # the intact bundle puts it back
    assert host.run("docker image inspect curtain/kube-scheduler:v1.37.2").rc == 0

"""The double's image and standalone binaries, as tests/doubles/build makes them."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from double_harness import HERE, SEED, Doubles, free_port, http_get, wait_until

IMAGE = f"curtain-test/hyperkube:{SEED}"
IMAGES = {IMAGE: "/hyperkube"}  # image: its binary
SEPARATE_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")
NODE_LABEL = "io.curtain.double.node"


def test_build_names_lists_the_seed_s_image() -> None:
    names = subprocess.run([str(HERE / "build"), "names"], capture_output=True, text=True, check=True).stdout
    assert sorted(names.split()) == sorted(IMAGES)


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def built(docker_client: Any) -> str:
    """Builds whatever is stale (nothing, after scripts/setup test), then builds again: the output of the second."""
    first = subprocess.run([str(HERE / "build")], capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    second = subprocess.run([str(HERE / "build")], capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    return second.stdout


def test_a_second_build_changes_nothing(built: str) -> None:
    for image in IMAGES:
        assert f"doubles: {image} is up to date" in built.splitlines()
    assert "building" not in built


def test_images_are_labelled_doubles_without_entrypoint(built: str, docker_client: Any) -> None:
    hashes = set()
    for image, binary in IMAGES.items():
        config = docker_client.images.get(image).attrs["Config"]
        assert config["Labels"]["io.curtain.double"] == "true"
        hashes.add(config["Labels"]["io.curtain.recipe-hash"])
        assert not config.get("Entrypoint")
        assert docker("run", "--rm", image, "test", "-x", binary).returncode == 0
    assert len(hashes) == 1


def test_unknown_flag_in_the_image(built: str) -> None:
    refused = docker("run", "--rm", IMAGE, "/hyperkube", "apiserver", "--bogus")
    assert refused.returncode == 1
    assert "unknown flag: --bogus" in refused.stderr


def test_apiserver_image_checks_its_required_flags(built: str) -> None:
    refused = docker("run", "--rm", IMAGE, "/hyperkube", "apiserver")
    assert refused.returncode == 1
    assert "specify either --etcd-servers or --etcd-config" in refused.stderr


@pytest.fixture
def node(docker_client: Any) -> Iterator[str]:
    name = f"curtain-double-image-{uuid.uuid4().hex[:8]}"
    yield name
    for container in docker_client.containers.list(all=True, filters={"label": f"{NODE_LABEL}={name}"}):
        container.remove(force=True)


def test_kubelet_image_runs_static_pods_through_the_docker_socket(built: str, node: str, tmp_path: Path,
                                                                   docker_client: Any) -> None:
    (tmp_path / "manifests").mkdir()
    healthz_port = free_port()
    (tmp_path / "manifests" / "sleeper.json").write_text(json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sleeper"},
        "spec": {"hostNetwork": True, "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "sleep", "image": "curtain/testhost:bookworm", "command": ["sleep", "60"]}]},
    }))
    started = docker("run", "-d", "--network=host", "--label", f"{NODE_LABEL}={node}",
                     "-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", f"{tmp_path}:/etc/kubernetes:ro",
                     IMAGE, "/hyperkube", "kubelet", "--containerized", "--config=/etc/kubernetes/manifests",
                     f"--hostname-override={node}", f"--healthz-port={healthz_port}")
    assert started.returncode == 0, started.stderr
    filters = {"label": [f"{NODE_LABEL}={node}", f"io.kubernetes.pod.name=sleeper-{node}"]}
    wait_until(lambda: [c for c in docker_client.api.containers(filters=filters) if c["State"] == "running"], 30,
               lambda: f"the sleeper pod run by the kubelet image:\n{docker('logs', started.stdout.strip()).stderr}")
    assert http_get(f"http://127.0.0.1:{healthz_port}/healthz").body == "ok"  # type: ignore[union-attr]


def test_standalone_binaries_and_their_sums(doubles: Doubles) -> None:
    expected = {SEED: {"hyperkube", *SEPARATE_BINARIES}}
    for version, names in expected.items():
        directory = doubles.bin_dir / version
        assert {path.name for path in directory.iterdir()} == {*names, "SHA256SUMS"}
        checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=directory, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout
        for name in names:
            assert (directory / name).read_bytes().startswith(b"#!/usr/bin/env python3\n")

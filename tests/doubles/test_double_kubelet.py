"""The 1.1 kubelet double with Docker Engine: static pods run, follow their manifests, and go away with them."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from double_harness import SEED, DoubleProcess, DoubleRunner, free_port, http_get, wait_until, write_yaml

IMAGE = "curtain/testhost:bookworm"  # built locally by scripts/images testhost
NODE_LABEL = "io.curtain.double.node"
TIMEOUT = 30.0


@pytest.fixture
def node(docker_client: Any) -> Iterator[str]:
    """A node name of this test's own; every container and volume a kubelet double makes for it is removed after."""
    name = f"curtain-double-test-{uuid.uuid4().hex[:8]}"
    yield name
    for container in docker_client.containers.list(all=True, filters={"label": f"{NODE_LABEL}={name}"}):
        container.remove(force=True)
    for volume in docker_client.volumes.list(filters={"label": f"{NODE_LABEL}={name}"}):
        volume.remove(force=True)


def containers_of(docker_client: Any, node: str, pod: str) -> list[dict[str, Any]]:
    """The pod's containers as Docker lists them (no inspection, so none vanishes between list and look)."""
    filters = {"label": [f"{NODE_LABEL}={node}", f"io.kubernetes.pod.name={pod}-{node}"]}
    return docker_client.api.containers(all=True, filters=filters)


def running(docker_client: Any, node: str, pod: str) -> list[Any]:
    """The pod's running containers, inspected; one the kubelet removes meanwhile is left out."""
    found = []
    for summary in containers_of(docker_client, node, pod):
        if summary["State"] == "running":
            with contextlib.suppress(docker.errors.NotFound):
                found.append(docker_client.containers.get(summary["Id"]))
    return found


def sleeper(greeting: str, host_dir: Path) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "sleeper", "namespace": "kube-system", "labels": {"tier": "test"}},
        "spec": {
            "hostNetwork": True,
            "terminationGracePeriodSeconds": 1,
            "containers": [{
                "name": "sleep",
                "image": IMAGE,
                "command": ["sleep", "infinity"],
                "env": [{"name": "GREETING", "value": greeting},
                        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                "volumeMounts": [{"name": "config", "mountPath": "/etc/sleeper", "readOnly": True},
                                 {"name": "scratch", "mountPath": "/scratch"}],
            }],
            "volumes": [{"name": "config", "hostPath": {"path": str(host_dir), "type": "Directory"}},
                        {"name": "scratch", "emptyDir": {}}],
        },
    }


def start_kubelet(runner: DoubleRunner, tmp_path: Path, node: str, **env: str) -> tuple[DoubleProcess, Path, int]:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    healthz_port = free_port()
    # An API server nobody runs: the kubelet must run its static pods all the same (the control plane bootstraps so).
    kubelet = runner.start("hyperkube", SEED, "kubelet", f"--hostname-override={node}",
                           f"--api-servers=http://127.0.0.1:{free_port()}", f"--config={manifests}",
                           "--healthz-bind-address=127.0.0.1", f"--healthz-port={healthz_port}",
                           "--file-check-frequency=20s", env=env or None)
    kubelet.wait_for_log(r'"Serving healthz"')
    return kubelet, manifests, healthz_port


def test_static_pod_lifecycle(runner: DoubleRunner, tmp_path: Path, node: str, docker_client: Any) -> None:
    kubelet, manifests, healthz_port = start_kubelet(runner, tmp_path, node)
    # kubernetes-validate carries no 1.1 schema: the oldest it carries stands in.
    kubelet.wait_for_log(r'"Validating static pods with the v1 Pod schema of kubernetes-validate" '
                         r'schemaVersion="1\.25\.0"')
    host_dir = tmp_path / "sleeper-config"
    host_dir.mkdir()
    (host_dir / "setting").write_text("42\n")
    write_yaml(manifests / "sleeper.yaml", sleeper("hello", host_dir))

    (first,) = wait_until(lambda: running(docker_client, node, "sleeper"), TIMEOUT, "the sleeper pod to run")
    assert re.fullmatch(rf"k8s_sleep_sleeper-{node}_kube-system_[0-9a-f]{{32}}_0", first.name)
    labels = first.labels
    assert labels["io.kubernetes.pod.name"] == f"sleeper-{node}"
    assert labels["io.kubernetes.pod.namespace"] == "kube-system"
    assert labels["io.kubernetes.container.name"] == "sleep"
    assert labels["io.curtain.double"] == "true"
    assert first.attrs["HostConfig"]["NetworkMode"] == "host"
    assert f"{host_dir}:/etc/sleeper:ro" in first.attrs["HostConfig"]["Binds"]
    assert {"GREETING=hello", f"NODE={node}"} <= set(first.attrs["Config"]["Env"])
    assert first.exec_run(["cat", "/etc/sleeper/setting"]).output == b"42\n"
    assert http_get(f"http://127.0.0.1:{healthz_port}/healthz").body == "ok"  # type: ignore[union-attr]

    write_yaml(manifests / "sleeper.yaml", sleeper("changed", host_dir))
    (second,) = wait_until(lambda: [c for c in running(docker_client, node, "sleeper") if c.id != first.id],
                           TIMEOUT, "the changed sleeper pod to run")
    assert "GREETING=changed" in second.attrs["Config"]["Env"]
    assert second.labels["io.kubernetes.pod.uid"] != labels["io.kubernetes.pod.uid"]
    wait_until(lambda: len(containers_of(docker_client, node, "sleeper")) == 1, TIMEOUT, "the old sleeper to go")

    broken, nameless = manifests / "broken.yaml", manifests / "nameless.json"
    broken.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec:\n  containers: notalist\n")
    nameless.write_text(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nameless"},
                                    "spec": {"containers": [{"name": "c"}]}}))
    kubelet.wait_for_log(rf'"Could not process manifest file" path="{broken}" err="invalid pod')
    assert "spec.containers: 'notalist' is not of type 'array'" in kubelet.stderr
    kubelet.wait_for_log(rf'path="{nameless}" err="invalid pod: spec.containers\[0\].image: Required value')
    assert containers_of(docker_client, node, "broken") == containers_of(docker_client, node, "nameless") == []

    (manifests / "sleeper.yaml").unlink()
    wait_until(lambda: not containers_of(docker_client, node, "sleeper"), TIMEOUT, "the sleeper pod to be removed")
    # The pod's emptyDir volume goes after its containers.
    wait_until(lambda: not docker_client.volumes.list(filters={"label": f"{NODE_LABEL}={node}"}), TIMEOUT,
               "the sleeper pod's volume to be removed")
    assert "Unable to reach the API server" in kubelet.stderr
    assert kubelet.stop() == 0


def test_restart_policy_and_image_pulls(runner: DoubleRunner, tmp_path: Path, node: str, docker_client: Any) -> None:
    # A short crash-loop back-off (the real kubelet starts at 10 s) keeps the test quick.
    kubelet, manifests, _ = start_kubelet(runner, tmp_path, node, CURTAIN_DOUBLE_KUBELET_BACKOFF_SECONDS="0.2")
    for name, image, policy in (("unpullable", "127.0.0.1:1/curtain/absent:1", "IfNotPresent"),
                                ("never-pulled", "curtain/absent:1", "Never")):
        write_yaml(manifests / f"{name}.yaml", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": image, "imagePullPolicy": policy}]},
        })
    for name, policy in (("always", "Always"), ("never", "Never")):
        write_yaml(manifests / f"{name}.yaml", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": policy, "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "fail", "image": IMAGE, "command": ["sh", "-c", "exit 3"]}]},
        })

    def attempts(pod: str) -> set[str]:
        return {c["Labels"]["annotation.io.kubernetes.container.restartCount"]
                for c in containers_of(docker_client, node, pod)}

    wait_until(lambda: attempts("always") - {"0", "1"}, TIMEOUT, "the Always pod to restart twice")
    (never,) = containers_of(docker_client, node, "never")
    exit_code = docker_client.api.inspect_container(never["Id"])["State"]["ExitCode"]
    assert (never["State"], exit_code, attempts("never")) == ("exited", 3, {"0"})
    kubelet.wait_for_log(r'pod="unpullable-[^"]*" container="c" err="ErrImagePull: failed to pull image')
    kubelet.wait_for_log(r'err="ErrImageNeverPull: Container image \\"curtain/absent:1\\" is not present')
    assert containers_of(docker_client, node, "unpullable") == containers_of(docker_client, node, "never-pulled") == []


def test_seed_kubelet_runs_the_manifest_directory(runner: DoubleRunner, tmp_path: Path, node: str,
                                                  docker_client: Any) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "master.json").write_text(json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "k8s-master"},
        "spec": {"hostNetwork": True, "terminationGracePeriodSeconds": 1,
                 "containers": [{"name": "sleeper", "image": IMAGE, "command": ["sleep", "infinity"]}]},
    }))
    (manifests / ".hidden.json").write_text("ignored, as the kubelet ignores dot files")
    healthz_port = free_port()
    kubelet = runner.start("hyperkube", SEED, "kubelet", "--containerized", f"--hostname-override={node}",
                           "--address=127.0.0.1", f"--api-servers=http://127.0.0.1:{free_port()}",
                           f"--config={manifests}", f"--healthz-port={healthz_port}")
    (container,) = wait_until(lambda: running(docker_client, node, "k8s-master"), TIMEOUT, "the master pod to run")
    assert container.name.startswith(f"k8s_sleeper_k8s-master-{node}_default_")
    assert http_get(f"http://127.0.0.1:{healthz_port}/healthz").body == "ok"  # type: ignore[union-attr]
    assert ".hidden.json" not in kubelet.stderr
    # Like the real kubelet, stopping it leaves its pods running; a restarted kubelet adopts them.
    assert kubelet.stop() == 0
    container.reload()
    assert container.status == "running"
    again = runner.start("hyperkube", SEED, "kubelet", f"--hostname-override={node}", f"--config={manifests}",
                         f"--healthz-port={free_port()}")
    again.wait_for_log(r'"Container runtime is up"')
    again.wait_for_log(r'"Static pod manifest read"')
    assert [c.id for c in running(docker_client, node, "k8s-master")] == [container.id]

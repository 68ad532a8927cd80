"""Fixtures for the contract double's tests: the built double, TLS material, real etcd processes, Docker.

Tests that need etcd skip without it (make unit sets CURTAIN_ETCD_BIN_DIR); tests that need Docker Engine skip
when none answers (in make test it always answers).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The shared test code (tests/support), which double_harness imports too, is a package under tests/.
TESTS_ROOT = Path(__file__).resolve().parents[1]
if str(TESTS_ROOT) not in sys.path:
    sys.path.insert(0, str(TESTS_ROOT))

from double_harness import HERE, DoubleRunner, Doubles, EtcdLauncher, Pki, make_pki
from support.etcd_processes import etcd_binary_or_skip


@pytest.fixture(scope="session")
def doubles() -> Doubles:
    built = subprocess.run([str(HERE / "build"), "binaries"], capture_output=True, text=True, timeout=600)
    if built.returncode != 0:
        pytest.fail(f"tests/doubles/build binaries failed:\n{built.stdout}\n{built.stderr}", pytrace=False)
    printed = subprocess.run([str(HERE / "build"), "env"], capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)
    return Doubles(Path(values["CURTAIN_DOUBLES_BIN_DIR"]), values["CURTAIN_DOUBLES_PYTHONPATH"])


@pytest.fixture
def runner(doubles: Doubles, tmp_path: Path) -> Iterator[DoubleRunner]:
    double_runner = DoubleRunner(doubles, tmp_path)
    yield double_runner
    double_runner.stop_all()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def etcd_binary() -> Path:
    return etcd_binary_or_skip()


@pytest.fixture
def etcd(etcd_binary: Path, tmp_path: Path) -> Iterator[EtcdLauncher]:
    launcher = EtcdLauncher(etcd_binary, tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="session")
def docker_client() -> Any:
    import docker

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as error:
        pytest.skip(f"no Docker daemon answers ({error}); the kubelet and image tests need one")
    return client

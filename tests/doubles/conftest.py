"""Fixtures for the contract doubles' tests: the built doubles, TLS material, real etcd processes, Docker.

Tests that need etcd skip without it (make unit sets CURTAIN_ETCD_BIN_DIR); tests that need Docker Engine skip
when none answers (in make test it always answers).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from double_harness import (
    ETCD_BIN_DIR_VARIABLE,
    HERE,
    DoubleRunner,
    Doubles,
    EtcdLauncher,
    Pki,
    make_pki,
)


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
    bin_dir = os.environ.get(ETCD_BIN_DIR_VARIABLE)
    if bin_dir:
        candidate = Path(bin_dir) / "etcd"
        if not os.access(candidate, os.X_OK):
            pytest.fail(f"{ETCD_BIN_DIR_VARIABLE}={bin_dir} holds no executable 'etcd'", pytrace=False)
        return candidate
    on_path = shutil.which("etcd")
    if not on_path:
        pytest.skip(f"no etcd binary: set {ETCD_BIN_DIR_VARIABLE} (make unit does) or put etcd on PATH")
    return Path(on_path)


@pytest.fixture
def etcd(etcd_binary: Path, tmp_path: Path, pki: Pki) -> Iterator[EtcdLauncher]:
    launcher = EtcdLauncher(etcd_binary, tmp_path, pki)
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

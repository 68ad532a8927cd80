"""Tests that run real playbooks on this machine need its Docker Engine: skip them, saying why, when none answers."""

from __future__ import annotations

import subprocess

import pytest


def docker_engine_problem() -> str | None:
    """None when `docker info` answers, else what went wrong."""
    try:
        result = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                                timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if result.returncode == 0 else (result.stderr.strip() or f"docker info exited {result.returncode}")


requires_docker_engine = pytest.mark.skipif(
    (reason := docker_engine_problem()) is not None, reason=f"no Docker Engine answers `docker info` ({reason})")

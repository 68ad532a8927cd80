"""scripts/seed_hyperkube.py and the hyperkube v1.1.8 scripts/build_components.py builds with it: each edit matches
the release's source exactly once (an already edited copy is refused, so a changed source cannot be half-edited),
the manifests carry the release, and the built binary reports v1.1.8 and ships the post's master pod.

The module and the build are made by `scripts/setup test` (make test runs it first); without them these tests fail,
naming the command that makes them."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
POST_FLAGS = ROOT / "tests" / "unit" / "data" / "seed_post_flags.txt"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))  # build_components imports seed_hyperkube as a sibling
    try:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


seed_hyperkube = _load("seed_hyperkube")
build_components = _load("build_components")
RECIPE = next(recipe for recipe in build_components.recipes() if recipe.name == "hyperkube")


@pytest.fixture(scope="module")
def module_source() -> Path:
    source = Path(build_components.GO_ENV["GOMODCACHE"]) / f"{seed_hyperkube.MODULE}@{seed_hyperkube.VERSION}"
    assert source.is_dir(), f"{source} is missing: run scripts/build_components.py {RECIPE.key}"
    return source


@pytest.fixture
def edited_files(module_source: Path, tmp_path: Path) -> Path:
    """A writable copy of just the files the edits touch."""
    for edit in seed_hyperkube.EDITS:
        target = tmp_path / edit.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module_source / edit.path, target)
    return tmp_path


def test_every_edit_applies_once_and_an_edited_copy_is_refused(edited_files: Path) -> None:
    seed_hyperkube.apply_edits(edited_files)
    for edit in seed_hyperkube.EDITS:
        if isinstance(edit, seed_hyperkube.SourceRename):
            assert not (edited_files / edit.path).exists() and (edited_files / edit.to).is_file()
        else:
            assert edit.new in (edited_files / edit.path).read_text()
    for edit in seed_hyperkube.EDITS:  # each one on its own, not only the first that the loop meets
        with pytest.raises(SystemExit, match=r"seed edit: .* (is edited already|has 0 matches|is missing)"):
            seed_hyperkube.apply_edits(edited_files, (edit,))


def test_every_edit_says_why() -> None:
    assert all(len(edit.reason) > 20 for edit in seed_hyperkube.EDITS if not edit.reason.startswith("for "))


def test_the_recipe_is_a_static_cgo_gopath_build_stamped_with_the_release() -> None:
    assert RECIPE.gopath and RECIPE.cgo and RECIPE.edits == seed_hyperkube.EDITS
    assert f"-X k8s.io/kubernetes/pkg/version.gitVersion={seed_hyperkube.VERSION}" in RECIPE.ldflags
    assert "-extldflags=-static" in RECIPE.ldflags


def test_the_manifests_carry_the_release(module_source: Path, tmp_path: Path) -> None:
    seed_hyperkube.write_manifests(module_source, tmp_path)
    for name in ("master.json", "master-multi.json"):
        pod = json.loads((tmp_path / name).read_text())
        images = {container["image"] for container in pod["spec"]["containers"]}
        assert images == {f"gcr.io/google_containers/hyperkube:{seed_hyperkube.VERSION}"}, name


@pytest.fixture(scope="module")
def build() -> Path:
    directory = RECIPE.directory()
    assert (directory / build_components.STAMP).is_file(), f"run scripts/build_components.py {RECIPE.key}"
    return directory


def test_the_built_hyperkube_reports_the_release(build: Path) -> None:
    result = subprocess.run([str(build / "hyperkube"), "apiserver", "--version"], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "Kubernetes v1.1.8", result.stdout + result.stderr


def test_the_built_master_pod_runs_the_posts_commands(build: Path) -> None:
    """The pod the seed's kubelet starts: controller-manager, apiserver and scheduler with the flags the post lists."""
    lines = POST_FLAGS.read_text().splitlines()

    def post_flags(heading: str) -> list[str]:
        start = lines.index(heading) + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
        return [line.split()[1] for line in lines[start:end]]

    pod = json.loads((build / "master.json").read_text())
    commands = {container["name"]: container["command"] for container in pod["spec"]["containers"]}
    assert pod["metadata"]["name"] == "k8s-master" and pod["spec"]["hostNetwork"] is True
    # The post lists the apiserver's --v=2 as well; the quotes file keeps the four flags it explains.
    assert commands["apiserver"] == ["/hyperkube", "apiserver", *post_flags("# Step two, apiserver:"), "--v=2"]
    controller_manager = post_flags("# Step two, controller-manager (the scheduler's are the same):")
    assert commands["controller-manager"] == ["/hyperkube", "controller-manager", *controller_manager]
    assert commands["scheduler"] == ["/hyperkube", "scheduler", *controller_manager]

#!/usr/bin/env python3
"""Builds the real Kubernetes components, the container runtime, the CNI plugins, crictl and etcd from their Go
modules, version-stamped, into a cache outside the clone.

No registry or download site these machines reach carries the binaries, but the Go module proxy serves every module,
so `make up` and `make test` build them here: the pinned Kubernetes versions (kube_flagsets), the runtime's
(node_release) and etcd's releases (etcd_release). A finished build lives in
CACHE/components/<name>-<version>-<recipe>/, where <recipe> hashes the recipe (module, version, packages, flags)
and the Go version; it is reused as long as they are unchanged. The Go module and build caches live under CACHE/go,
so a rebuild after a recipe change recompiles only what changed.

    scripts/build_components.py                 build everything the pinned versions need
    scripts/build_components.py --print-dir NAME  print the directory of one finished build (kubernetes-v1.37.2, ...)
    scripts/build_components.py --list          the builds and whether each is present

The seed's hyperkube v1.1.8 is a GOPATH build of its module with a few edits for today's Go and Docker
(scripts/seed_hyperkube.py says which and why); its build directory also holds the image's master.json.

Stdlib only: it runs before the project's venv exists.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import seed_hyperkube

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("CURTAIN_CACHE_DIR", "/var/cache/curtain-dev"))
COMPONENTS_DIR = CACHE / "components"
GO_ENV = {
    "GOMODCACHE": str(CACHE / "go" / "mod"),
    "GOCACHE": str(CACHE / "go" / "build"),
    "GOTOOLCHAIN": "local",
    "GOFLAGS": "-buildvcs=false",
}
# The Kubernetes release builds every component with cgo off (kubernetes/kubernetes#135870).
KUBERNETES_COMMANDS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
    "kubelet",
    "kubectl",
)
# Bump when the way of building changes (the wrapper module, the go build flags): every build is then redone.
BUILD_METHOD_REVISION = 1
# Recipe fields added after revision 1, which enter a recipe's hash only when set.
LATER_FIELDS = ("modules", "renames")
STAMP = "BUILT"  # written last into a finished build directory: its absence means the build did not finish


def pinned_kubernetes_versions() -> tuple[str, ...]:
    """The modern profile's pinned versions, read from the profile data itself."""
    namespace: dict = {}
    source = (ROOT / "plugins/module_utils/kube_flagsets.py").read_text()
    # Only the version constants are needed; they sit at the top of the module, before any import of its siblings.
    for line in source.splitlines():
        if line.startswith(("MODERN_VERSION =", "MODERN_PREVIOUS_VERSION =")):
            exec(line, namespace)
    return (namespace["MODERN_PREVIOUS_VERSION"], namespace["MODERN_VERSION"])


def pinned_coredns_version() -> str:
    """The cluster DNS version the product deploys (module_utils/cluster_dns.py), read the same way."""
    for line in (ROOT / "plugins/module_utils/cluster_dns.py").read_text().splitlines():
        if line.startswith("COREDNS_VERSION ="):
            return line.split("=", 1)[1].strip().strip('"')
    raise SystemExit("components: ERROR: plugins/module_utils/cluster_dns.py has no COREDNS_VERSION")


@dataclass(frozen=True)
class Recipe:
    """One build: a Go module at a pinned version and the commands taken from it."""

    name: str
    module: str
    version: str
    packages: tuple[str, ...]  # import paths, each one binary named after its last element
    ldflags: tuple[str, ...] = ()
    cgo: bool = False
    tags: tuple[str, ...] = ()
    wrapper: bool = False  # k8s.io/kubernetes: needs a wrapper module that undoes its staging replaces
    gopath: bool = False  # a module from before Go modules: built in GOPATH mode with its Godeps workspace
    edits: tuple[seed_hyperkube.SourceEdit | seed_hyperkube.SourceRename, ...] = ()  # gopath only
    modules: tuple[str, ...] = ()  # more modules at the same version that the packages come from
    renames: tuple[tuple[str, str], ...] = ()  # (binary as built, name it is installed as)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"

    def recipe_hash(self) -> str:
        """What the binaries depend on: the recipe itself, the build method's revision and the Go version."""
        described = {**asdict(self), "method": BUILD_METHOD_REVISION, "go": go_version()}
        for field in LATER_FIELDS:  # unset, they leave the hash of every build made before they existed as it was
            if not described[field]:
                del described[field]
        if self.gopath:  # how the copy is edited and what else the build writes (the manifests) live there
            described["seed_hyperkube.py"] = hashlib.sha256(Path(seed_hyperkube.__file__).read_bytes()).hexdigest()
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]

    def directory(self) -> Path:
        return COMPONENTS_DIR / f"{self.key}-{self.recipe_hash()}"


def kubernetes_ldflags(version: str) -> tuple[str, ...]:
    """The version stamp of hack/lib/version.sh, in both packages that report it."""
    major, minor = version.lstrip("v").split(".")[:2]
    values = {
        "gitVersion": version,
        "gitMajor": major,
        "gitMinor": minor,
        "gitCommit": "",  # the module zip carries no commit; kubectl version prints the gitVersion
        "gitTreeState": "clean",
        "buildDate": build_date(),
    }
    flags = ["-s", "-w"]
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {package}.{name}={value}" for name, value in values.items() if value]
    return tuple(flags)


def build_date() -> str:
    # Fixed per version would be nicer for reproducibility, but the apiserver only prints it.
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _load_module_util(name: str):
    """A module of pinned versions (the runtime's, which the product's release image source downloads; etcd's),
    standard library only, so it loads by path without the collection's package."""
    spec = importlib.util.spec_from_file_location(name, ROOT / f"plugins/module_utils/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


NODE_RELEASE = _load_module_util("node_release")
ETCD_RELEASE = _load_module_util("etcd_release")
CONTAINERD_VERSION = NODE_RELEASE.CONTAINERD_VERSION
RUNC_VERSION = NODE_RELEASE.RUNC_VERSION
CNI_PLUGINS_VERSION = NODE_RELEASE.CNI_PLUGINS_VERSION
CRI_TOOLS_VERSION = NODE_RELEASE.CRI_TOOLS_VERSION
# Where each CNI plugin the node uses lives in the plugins module.
CNI_PLUGIN_DIRS = {"bridge": "main", "loopback": "main", "host-local": "ipam", "portmap": "meta"}


def recipes() -> list[Recipe]:
    table = [
        Recipe(
            name="kubernetes",
            module="k8s.io/kubernetes",
            version=version,
            packages=tuple(f"k8s.io/kubernetes/cmd/{command}" for command in KUBERNETES_COMMANDS),
            wrapper=True,
        )
        for version in pinned_kubernetes_versions()
    ]
    table += [
        Recipe(
            name="hyperkube",
            module=seed_hyperkube.MODULE,
            version=seed_hyperkube.VERSION,
            packages=seed_hyperkube.PACKAGES,
            ldflags=seed_hyperkube.LDFLAGS,
            cgo=True,
            tags=seed_hyperkube.TAGS,
            gopath=True,
            edits=seed_hyperkube.EDITS,
        ),
        Recipe(
            name="containerd",
            module="github.com/containerd/containerd/v2",
            version=CONTAINERD_VERSION,
            packages=tuple(f"github.com/containerd/containerd/v2/cmd/{binary}"
                           for binary in NODE_RELEASE.CONTAINERD_BINARIES),
            # With cgo off the btrfs snapshotter (which needs cgo and btrfs headers) is left out; overlayfs stays.
            ldflags=(
                "-s",
                "-w",
                f"-X github.com/containerd/containerd/v2/version.Version={CONTAINERD_VERSION}",
                "-X github.com/containerd/containerd/v2/version.Revision=curtain-module-build",
            ),
        ),
        Recipe(
            name="runc",
            module="github.com/opencontainers/runc",
            version=RUNC_VERSION,
            packages=("github.com/opencontainers/runc",),
            # runc's nsenter is C, so cgo is on; seccomp (libseccomp-dev) so that RuntimeDefault profiles apply.
            cgo=True,
            tags=("seccomp", "netgo", "osusergo"),
            ldflags=("-s", "-w", f"-X main.version={RUNC_VERSION.lstrip('v')}", "-extldflags=-static"),
        ),
        Recipe(
            name="cni-plugins",
            module="github.com/containernetworking/plugins",
            version=CNI_PLUGINS_VERSION,
            packages=tuple(f"github.com/containernetworking/plugins/plugins/{CNI_PLUGIN_DIRS[plugin]}/{plugin}"
                           for plugin in NODE_RELEASE.CNI_PLUGINS),
            ldflags=(
                "-s",
                "-w",
                "-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion="
                + CNI_PLUGINS_VERSION,
            ),
        ),
        Recipe(
            name="crictl",
            module="sigs.k8s.io/cri-tools",
            version=CRI_TOOLS_VERSION,
            packages=("sigs.k8s.io/cri-tools/cmd/crictl",),
            ldflags=("-s", "-w", f"-X sigs.k8s.io/cri-tools/pkg/version.Version={CRI_TOOLS_VERSION}"),
        ),
        Recipe(
            name="coredns",
            module="github.com/coredns/coredns",
            version=pinned_coredns_version(),
            packages=("github.com/coredns/coredns",),
            # The module zip has no commit; `coredns -version` prints the version and this in its place.
            ldflags=("-s", "-w", "-X github.com/coredns/coredns/coremain.GitCommit=curtain-module-build"),
        ),
    ]
    table += [
        Recipe(
            name="etcd",
            module="go.etcd.io/etcd/server/v3",
            version=f"v{version}",
            modules=("go.etcd.io/etcd/etcdctl/v3", "go.etcd.io/etcd/etcdutl/v3"),
            packages=("go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/etcdctl/v3", "go.etcd.io/etcd/etcdutl/v3"),
            # The version is a constant of the api module the server requires at its own version; the module zip
            # has no commit. etcd's release builds with cgo off too (scripts/build-binary.sh).
            ldflags=("-s", "-w", "-X go.etcd.io/etcd/api/v3/version.GitSHA=curtain-module-build"),
            renames=(("server", "etcd"),),
        )
        for version in ETCD_RELEASE.PINNED
    ]
    return table


_go_version_cache: list[str] = []


def go_version() -> str:
    if not _go_version_cache:
        _go_version_cache.append(run(["go", "env", "GOVERSION"], capture=True).strip())
    return _go_version_cache[0]


def say(message: str) -> None:
    print(f"components: {message}", flush=True)


def run(command: list[str], cwd: Path | None = None, capture: bool = False, env: dict | None = None) -> str:
    full_env = {**os.environ, **GO_ENV, **(env or {})}
    result = subprocess.run(command, cwd=cwd, env=full_env, text=True, capture_output=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"components: ERROR: {' '.join(command)} failed (exit {result.returncode})")
    return result.stdout if capture else ""


def go_build_with_progress(recipe: Recipe, workdir: Path, output: Path, env: dict | None = None) -> None:
    """`go build -v` names each package as it compiles it: count them and say so every 30 s."""
    env = {**os.environ, **GO_ENV, "CGO_ENABLED": "1" if recipe.cgo else "0", **(env or {})}
    command = ["go", "build", "-v", "-trimpath", "-o", str(output) + "/"]
    if recipe.tags:
        command += ["-tags", ",".join(recipe.tags)]
    ldflags = recipe.ldflags or kubernetes_ldflags(recipe.version)
    command += ["-ldflags", " ".join(ldflags), *recipe.packages]
    process = subprocess.Popen(command, cwd=workdir, env=env, stderr=subprocess.PIPE, text=True)
    compiled = [0]
    log: list[str] = []

    def reader() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            compiled[0] += 1

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    started = time.monotonic()
    next_report = started + 30
    while process.poll() is None:
        time.sleep(1)
        if time.monotonic() >= next_report:
            next_report += 30
            elapsed = int(time.monotonic() - started)
            say(f"{recipe.key}: {elapsed // 60} min {elapsed % 60:02d} s, {compiled[0]} packages compiled")
    thread.join()
    if process.returncode != 0:
        sys.stderr.write("".join(log[-60:]))
        raise SystemExit(f"components: ERROR: go build of {recipe.key} failed")


def prepare_module(recipe: Recipe, workdir: Path) -> None:
    """A throwaway module that requires the recipe's module; for k8s.io/kubernetes, its staging replaces are undone.

    k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging/... directories,
    which `go install pkg@version` refuses (golang/go#44840). The staging modules are published as k8s.io/NAME at
    v0.MINOR.PATCH, so the wrapper replaces each with that version, read from the release's own go.mod.
    """
    run(["go", "mod", "init", "curtain.invalid/build"], cwd=workdir)
    if recipe.wrapper:
        info = json.loads(run(["go", "mod", "download", "-json", f"{recipe.module}@{recipe.version}"], capture=True))
        gomod = json.loads(run(["go", "mod", "edit", "-json", info["GoMod"]], capture=True))
        staging_version = "v0." + recipe.version.lstrip("v").split(".", 1)[1]
        edits = []
        for replace in gomod.get("Replace") or []:
            old, new = replace["Old"]["Path"], replace["New"]
            if new["Path"].startswith("./staging/"):
                edits.append(f"-replace={old}={old}@{staging_version}")
            elif new.get("Version"):
                edits.append(f"-replace={old}={new['Path']}@{new['Version']}")
        run(["go", "mod", "edit", *edits], cwd=workdir)
    # The wrapper needs a Go file so that `go get` keeps the requirement.
    (workdir / "tools.go").write_text(
        "//go:build tools\n\npackage tools\n\nimport (\n"
        + "".join(f'\t_ "{package}"\n' for package in recipe.packages)
        + ")\n"
    )
    run(["go", "get", *(f"{module}@{recipe.version}" for module in (recipe.module, *recipe.modules))], cwd=workdir)
    run(["go", "mod", "tidy"], cwd=workdir)


def build_in_gopath(recipe: Recipe, workdir: Path, output: Path) -> None:
    """A copy of the module at GOPATH/src/<module>, edited, built with its Godeps workspace on the GOPATH."""
    info = json.loads(run(["go", "mod", "download", "-json", f"{recipe.module}@{recipe.version}"], cwd=workdir,
                          capture=True))
    gopath = workdir / "gopath"
    source = gopath / "src" / recipe.module
    shutil.copytree(info["Dir"], source)
    for directory, _, files in os.walk(source):  # the module cache is read-only
        os.chmod(directory, 0o755)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o644)
    seed_hyperkube.apply_edits(source, recipe.edits)
    go_build_with_progress(recipe, source, output, env={
        "GO111MODULE": "off", "GOPATH": f"{gopath}:{source / 'Godeps/_workspace'}"})
    seed_hyperkube.write_manifests(source, output)


def build(recipe: Recipe) -> Path:
    target = recipe.directory()
    if (target / STAMP).exists():
        say(f"{recipe.key} is built ({target})")
        return target
    say(f"building {recipe.key} from {recipe.module}@{recipe.version} (recipe {recipe.recipe_hash()}); "
        "a cold build of Kubernetes takes tens of minutes on 2 cores")
    started = time.monotonic()
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix=f"curtain-build-{recipe.key}-") as workdir:
        if recipe.gopath:
            build_in_gopath(recipe, Path(workdir), partial)
        else:
            prepare_module(recipe, Path(workdir))
            go_build_with_progress(recipe, Path(workdir), partial)
    for built, installed in recipe.renames:
        (partial / built).rename(partial / installed)
    # As a release publishes them: what the offline test's http source checks its downloads against.
    (partial / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256(binary.read_bytes()).hexdigest()}  {binary.name}\n"
        for binary in sorted(partial.iterdir()) if binary.is_file()))
    (partial / STAMP).write_text(
        json.dumps({"module": recipe.module, "version": recipe.version, "go": go_version(),
                    "seconds": round(time.monotonic() - started)}) + "\n"
    )
    for stale in COMPONENTS_DIR.glob(f"{recipe.key}-*"):
        if stale != partial:
            shutil.rmtree(stale)
    partial.rename(target)
    say(f"built {recipe.key} in {round(time.monotonic() - started)} s ({target})")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--print-dir", metavar="NAME", help="print the directory of a finished build")
    parser.add_argument("--list", action="store_true", help="list the builds and whether each is present")
    parser.add_argument("--default-version", action="store_true", help="print the modern profile's default version")
    parser.add_argument("only", nargs="*", help="build only these (kubernetes-v1.37.2, containerd-v2.3.7, ...)")
    args = parser.parse_args()
    if args.default_version:
        print(pinned_kubernetes_versions()[-1])
        return 0
    table = {recipe.key: recipe for recipe in recipes()}
    if args.print_dir:
        if args.print_dir not in table:
            raise SystemExit(f"components: ERROR: unknown build {args.print_dir} (known: {', '.join(table)})")
        print(table[args.print_dir].directory())
        return 0
    if args.list:
        for key, recipe in table.items():
            print(f"{key}\t{'built' if (recipe.directory() / STAMP).exists() else 'missing'}\t{recipe.directory()}")
        return 0
    unknown = set(args.only) - set(table)
    if unknown:
        raise SystemExit(
            f"components: ERROR: unknown build(s) {', '.join(sorted(unknown))} (known: {', '.join(table)})")
    for key, recipe in table.items():
        if not args.only or key in args.only:
            build(recipe)
    return 0


if __name__ == "__main__":
    sys.exit(main())

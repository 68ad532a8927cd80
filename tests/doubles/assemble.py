#!/usr/bin/env python3
"""Build steps of tests/doubles/build that are easier in Python than in bash.

    assemble.py zipapps OUT_DIR       the standalone binaries: OUT_DIR/<version>/<name> and OUT_DIR/<version>/SHA256SUMS
    assemble.py prune-schemas SITE    drop the kubernetes-validate schemas the doubles do not use from an install dir
    assemble.py versions              the versions binaries are built for, one a line
    assemble.py images                the images: "<image> <version>/<binary> <path in the image>", one a line

The one version is the seed's (v1.1.8, kube_flagsets.py): the modern profile's tests run the real components, built
from their Go modules (scripts/build_components.py), and its doubles are retired. The seed keeps its double until
hyperkube v1.1.8 itself is built.

A binary is a Python zip application (`#!/usr/bin/env python3`) holding the curtain_doubles package and the three
flag and profile modules copied unchanged from plugins/module_utils. Its entries carry a fixed date, so the same
sources always give the same bytes and the same SHA256SUMS.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE_UTILS = HERE.parents[1] / "plugins" / "module_utils"
SHARED_MODULES = ("kube_flags.py", "kube_flagsets.py", "kube_flagsets_modern.py", "kube_profiles.py")
MODERN_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)

sys.path[:0] = [str(HERE), str(MODULE_UTILS)]
from curtain_doubles import podschema
from kube_flagsets import SEED_VERSION

# version -> the binaries built for it: hyperkube (the seed's image runs it), and the separate binaries the 1.1
# server tarball shipped too.
BINARIES = {SEED_VERSION: ("hyperkube", *MODERN_BINARIES)}
IMAGE_PATHS = {"hyperkube": "/hyperkube"}


def _entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _sources() -> list[tuple[str, bytes]]:
    package = sorted((HERE / "curtain_doubles").glob("*.py"))
    entries = [(f"curtain_doubles/{path.name}", path.read_bytes()) for path in package]
    entries += [(name, (MODULE_UTILS / name).read_bytes()) for name in SHARED_MODULES]
    return entries


def zipapp(target: Path, binary: str, version: str) -> None:
    main = (
        f'"""{binary} {version}: a contract double for curtain\'s tests (tests/doubles/README.md)."""\n'
        "import sys\n\nfrom curtain_doubles.cli import main\n\n"
        f"sys.exit(main({binary!r}, {version!r}, sys.argv[1:]))\n"
    )
    with target.open("wb") as handle:
        handle.write(b"#!/usr/bin/env python3\n")
        with zipfile.ZipFile(handle, "w") as archive:
            _entry(archive, "__main__.py", main.encode())
            for name, data in _sources():
                _entry(archive, name, data)
    target.chmod(0o755)


def zipapps(out_dir: Path) -> None:
    for version, binaries in BINARIES.items():
        directory = out_dir / version
        directory.mkdir(parents=True, exist_ok=True)
        sums = []
        for binary in binaries:
            zipapp(directory / binary, binary, version)
            sums.append(f"{hashlib.sha256((directory / binary).read_bytes()).hexdigest()}  {binary}\n")
        (directory / "SHA256SUMS").write_text("".join(sums))


def prune_schemas(site: Path) -> None:
    schemas = site / "kubernetes_validate" / "kubernetes-json-schema"
    carried = [entry.name[1:].split("-")[0] for entry in schemas.iterdir() if entry.name.endswith("-local")]
    keep = {f"v{podschema.nearest(version, carried)}-local" for version in podschema.VERSIONS}
    for entry in schemas.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry)
    print(f"kept kubernetes-validate schemas: {', '.join(sorted(keep))}")


def images() -> list[str]:
    """ "curtain-test/<name>:<version> <version>/<name> <path>" for every image the build makes: hyperkube's."""
    return [f"curtain-test/{name}:{SEED_VERSION} {SEED_VERSION}/{name} {path}" for name, path in IMAGE_PATHS.items()]


def main(argv: list[str]) -> int:
    if argv in (["versions"], ["images"]):
        print("\n".join(list(BINARIES) if argv[0] == "versions" else images()))
        return 0
    if len(argv) != 2 or argv[0] not in ("zipapps", "prune-schemas"):
        print(__doc__, file=sys.stderr)
        return 2
    (zipapps if argv[0] == "zipapps" else prune_schemas)(Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Bad input to playbooks/site.yml, for real, on this machine: each invalid input stops the run in preflight with a
message naming the variable and what is wrong, and nothing changes, on the host or on the controller.

Every row runs `ansible-playbook playbooks/site.yml` against its own copy of inventory/local (localhost, connection
local), made valid for this machine first (fail_cgroup_v1 off for this cgroup v1 host), then changed by the row:
extra vars, or the inventory itself for group and per-host inputs. The row's check must be in the JSON report with
its status and its words (the variable and the reason), in the table printed on the console, and, for a failure, in
the one-line summary; no other check may fail, so the failure is the row's; no play after preflight may start.

One row is a warning, not a failure: an etcd group of 2. It runs in check mode (`--check`), and must get past
preflight into the etcd role (which reads only, in check mode); the assertion is on the report's warning row, on
preflight not failing and on the etcd play having started.

Nothing changes: a fingerprint of the host (curtain's containers on the local Docker Engine, found by the labels
the roles put on them, Molecule's test hosts labelled io.curtain.test left out; curtain's images; every file and
mode under the directories the roles write, taken from their defaults) and of the row's controller side (its
inventory copy with its artifacts directory, where certificates would be made) is taken before and after each run
and compared, and with the fingerprint of the session's start.

Cheap: the rows run a few at a time (CURTAIN_BAD_INPUT_JOBS, default 3), and facts are gathered once, into a fact
cache of the session (gathering=smart skips a play's fact gathering when the cache has the host's facts).
Skipped when no Docker Engine answers, as test_preflight_playbook.py is.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.curtain.kube.plugins.filter.artifacts import kube_wanted_images
from ansible_collections.curtain.kube.plugins.module_utils.cluster_dns import DEFAULT_IMAGE as DEFAULT_DNS_IMAGE
from ansible_collections.curtain.kube.plugins.module_utils.container_runtime import (
    KUBELET_HOST_DIRECTORIES,
    SYSCTL_FILES,
)
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import DEFAULTS as ETCD_DEFAULTS
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import SETTINGS
from ansible_collections.curtain.kube.plugins.module_utils.kube_profiles import PROFILES, pinned_versions
from support.docker_engine import requires_docker_engine

ROOT = Path(__file__).resolve().parents[3]
SITE = ROOT / "playbooks" / "site.yml"
LOCAL_INVENTORY = ROOT / "inventory" / "local"
JOBS = int(os.environ.get("CURTAIN_BAD_INPUT_JOBS", "3"))
# What makes inventory/local valid on this machine: it installs the images `make up` builds (image source local, so
# nothing is pulled or pinned), and this host is cgroup v1, which a modern kubelet refuses unless fail_cgroup_v1 is
# false (preflight fails it otherwise).
VALID_SETTINGS = {"fail_cgroup_v1": False}
VALID = {"hyperkube_master_settings": VALID_SETTINGS}
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
# The container labels the roles set (roles/*/vars: io.curtain.managed-by; the static pods' manifests:
# app.kubernetes.io/managed-by; the kubelet's containers of static pods: io.kubernetes.pod.namespace).
CONTAINER_FILTERS = ("label=io.curtain.managed-by=curtain", "label=app.kubernetes.io/managed-by=curtain",
                     "label=io.kubernetes.pod.namespace=kube-system")
TEST_HOST_LABEL = "io.curtain.test"  # Molecule's test hosts: other people's runs make and remove them any time
ARTIFACT_LABEL = "io.curtain.artifact"  # images the artifacts role builds
# Directories the roles write under that belong to the system, not to curtain: the fingerprint walks the first
# directory below them (/var/lib/curtain for /var/lib/curtain/etcd).
SYSTEM_DIRS = ("/etc", "/var", "/var/lib", "/var/log", "/run", "/srv", "/opt")


pytestmark = requires_docker_engine


# --- what the roles write, from their defaults ---------------------------------------------------------------------
def _root_of(path: str) -> str:
    parts = Path(path).parts
    for depth in range(2, len(parts) + 1):
        candidate = str(Path(*parts[:depth]))
        if candidate not in SYSTEM_DIRS:
            return candidate
    return path


def watched_paths() -> list[str]:
    """The host directories of every absolute path in the roles' defaults and in the settings' defaults
    (kube_manifests.SETTINGS: pki_dir, manifest_dir, kubelet_config_file, audit_log_path, ...), of the host
    directories the kubelet container mounts (containerd's, the pod network's, the pods' logs), and the kernel
    parameter files the roles write (container_runtime.py)."""
    found = set()
    for defaults in ROOT.glob("roles/*/defaults/main.yml"):
        for value in (yaml.safe_load(defaults.read_text()) or {}).values():
            if isinstance(value, str) and value.startswith("/"):
                found.add(_root_of(value))
    for setting in SETTINGS.values():
        if setting.kind == "path":
            for value in (setting.seed, setting.modern):
                if isinstance(value, str) and value.startswith("/"):
                    found.add(_root_of(value))
    found.update(_root_of(path) for path in KUBELET_HOST_DIRECTORIES)
    found.update(SYSCTL_FILES)  # files of their own in /etc/sysctl.d, which is the system's
    return sorted(found)


WATCHED = watched_paths()


def local_images() -> set[str]:
    """The images inventory/local installs from the host's Docker Engine (image source local, built on this machine
    by `make up`), at every version the modern profile pins, and its sandbox image."""
    group_vars = yaml.safe_load((LOCAL_INVENTORY / "group_vars" / "all.yml").read_text()) or {}
    overrides = {**(group_vars.get("hyperkube_master_images") or {}), **(group_vars.get("kube_proxy_images") or {})}
    components = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "coredns")
    found = {f"{image['repository']}:{image['tag']}" for version in pinned_versions("modern")
             for image in kube_wanted_images(f"modern@{version}", list(components), overrides).values()}
    if group_vars.get("hyperkube_master_sandbox_image"):
        found.add(str(group_vars["hyperkube_master_sandbox_image"]))
    return found


# The images a run could put on the host: the etcd role's default, every profile's component images, and the
# images inventory/local installs.
IMAGES = sorted({*(f"curtain/etcd:{version}" for version in ETCD_DEFAULTS.values()), DEFAULT_DNS_IMAGE,
                 *(image.reference for profile in PROFILES.values() for image in profile.images.values()),
                 *local_images()})


def _tree(root: Path) -> dict[str, Any] | None:
    """{relative path: (type, mode, size, mtime_ns)} of everything under `root`, the root included; None if absent."""
    if not root.exists() and not root.is_symlink():
        return None
    found = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "link" if stat.S_ISLNK(info.st_mode) else "file"
        found[str(path.relative_to(root))] = (kind, stat.S_IMODE(info.st_mode), info.st_size if kind == "file" else 0,
                                              info.st_mtime_ns)
    return found


def _lines(command: list[str]) -> list[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    return [line for line in result.stdout.splitlines() if line.strip()]


def host_fingerprint() -> dict[str, Any]:
    containers = set()
    columns = f'{{{{.ID}}}} {{{{.Names}}}} {{{{.State}}}} {{{{.Image}}}} {{{{.Label "{TEST_HOST_LABEL}"}}}}'
    for label in CONTAINER_FILTERS:
        for line in _lines(["docker", "ps", "-a", "--no-trunc", "--filter", label, "--format", columns]):
            container_id, name, state, image, test_host = [*line.split(" "), ""][:5]
            if not test_host:
                containers.add((container_id, name, state, image))
    images = {line for line in _lines(["docker", "images", "--no-trunc", "--format",
                                       "{{.Repository}}:{{.Tag}} {{.ID}}"]) if line.split(" ")[0] in IMAGES}
    images |= set(_lines(["docker", "images", "--no-trunc", "--filter", f"label={ARTIFACT_LABEL}", "--format",
                          "{{.Repository}}:{{.Tag}} {{.ID}}"]))
    return {"containers": sorted(containers), "images": sorted(images),
            "paths": {path: _tree(Path(path)) for path in WATCHED}}


# --- the rows --------------------------------------------------------------------------------------------------------
Inventory = dict[str, Any]


def _hosts(**hosts: Mapping[str, Any]) -> dict[str, Any]:
    return {name: {**LOCAL, **variables} for name, variables in hosts.items()}


def two_etcd_members(**second: Any) -> Callable[[Inventory], None]:
    """localhost and localhost2 (this machine again, under another name and address) in the etcd group."""
    def change(inventory: Inventory) -> None:
        inventory["all"]["hosts"].update(_hosts(localhost2={"etcd_advertise_address": "127.0.0.2", **second}))
        inventory["all"]["children"]["etcd"]["hosts"]["localhost2"] = None
    return change


def no_masters(inventory: Inventory) -> None:
    inventory["all"]["children"]["masters"]["hosts"] = {}


def member_names(name: str) -> Callable[[Inventory], None]:
    def change(inventory: Inventory) -> None:
        two_etcd_members(etcd_member_name=name)(inventory)
        inventory["all"]["hosts"]["localhost"]["etcd_member_name"] = name
    return change


def host_var(name: str, value: Any) -> Callable[[Inventory], None]:
    def change(inventory: Inventory) -> None:
        inventory["all"]["hosts"]["localhost"][name] = value
    return change


@dataclass(frozen=True)
class Bundle:
    """An offline bundle directory for the control plane's four images and CoreDNS's, in one tarball as
    offline_bundle.yml makes it; `tarball` None leaves the file out, a string is its content."""

    tarball: str | None
    sha256: str = "0" * 64

    def make(self, directory: Path) -> Path:
        directory.mkdir(parents=True)
        profile = PROFILES["modern"]
        images = {**{name: image.reference for name, image in profile.images.items()},
                  "kubelet": f"curtain/kubelet:{profile.version}", "coredns": DEFAULT_DNS_IMAGE}
        artifacts = [{"component": component, "image": images[component], "kind": "image", "file": "images.tar",
                      "sha256": self.sha256, "image_id": "sha256:" + "a" * 64}
                     for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
                                       "coredns")]
        (directory / "manifest.json").write_text(json.dumps(
            {"format": 1, "profile": "modern", "version": profile.version, "artifacts": artifacts}))
        if self.tarball is not None:
            (directory / "images.tar").write_text(self.tarball)
        return directory


@dataclass(frozen=True)
class Row:
    name: str
    check: str  # the preflight check that must report it
    words: tuple[str, ...]  # in its detail: the variable, and what is wrong
    extra: Mapping[str, Any] = field(default_factory=dict)  # -e
    inventory: Callable[[Inventory], None] | None = None  # changes to the inventory copy
    bundle: Bundle | None = None  # made in the row's directory; "{bundle}" in extra vars stands for its path
    status: str = "fail"
    also: tuple[str, ...] = ()  # the other checks the same input fails (one input, several consequences)
    check_mode: bool = False


ROWS = [
    Row("unknown profile", "profiles", ("hyperkube_master_profile", "'future'", "modern, seed"),
        {"hyperkube_master_profile": "future", "kube_proxy_profile": "future"}, also=("variables",)),
    Row("removed flag for the version", "master settings",
        ("hyperkube_master_settings.extra_flags.kubelet", "kubelet v1.37.2 has no flag --containerized",
         "removed in 1.16"),
        {"hyperkube_master_settings": {**VALID_SETTINGS, "extra_flags": {"kubelet": {"containerized": True}}}}),
    Row("kubelet flag a setting owns", "master settings",
        ("hyperkube_master_settings",
         "extra_flags.kubelet: --fail-cgroupv1 is managed by the setting 'fail_cgroup_v1'"),
        {"hyperkube_master_settings": {**VALID_SETTINGS, "extra_flags": {"kubelet": {"fail-cgroupv1": False}}}}),
    Row("overlapping service and pod CIDR", "service_cidr",
        ("hyperkube_master_settings.service_cidr 10.96.0.0/12", "overlaps hyperkube_master_settings.pod_cidr"),
        {"hyperkube_master_settings": {**VALID_SETTINGS, "service_cidr": "10.96.0.0/12", "pod_cidr": "10.100.0.0/16"}},
        also=("master settings",)),
    Row("bad IP address", "etcd addresses", ("etcd_advertise_address of localhost", "'10.0.0.300'", "not an IP"),
        {"etcd_advertise_address": "10.0.0.300"}),
    Row("bad member name", "etcd cluster", ("etcd_member_name", "'Etcd_One'", "is invalid"),
        {"etcd_member_name": "Etcd_One"}),
    Row("duplicate etcd member name", "etcd cluster", ("'localhost' and 'localhost2'", "same etcd_member_name",
                                                       "'etcd-one'"),
        inventory=member_names("etcd-one")),
    Row("non-numeric port", "etcd settings", ("etcd_client_port='twenty'", "not a TCP port"),
        {"etcd_client_port": "twenty"}, also=("variables",)),
    Row("client and peer port the same", "etcd cluster", ("etcd_client_port and etcd_peer_port must differ",),
        {"etcd_peer_port": 2379}, also=("port 2379",)),
    Row("apiserver's etcd port is not etcd's", "etcd port", ("hyperkube_master_etcd_port (localhost 2390)",
                                                             "is not etcd_client_port 2379"),
        {"hyperkube_master_etcd_port": 2390}),
    Row("privilege mode not in the list", "variables", ("kube_proxy_privilege", "one of: privileged, capabilities",
                                                        "got: root"),
        {"kube_proxy_privilege": "root"}),
    Row("bad kube_proxy_mode", "kube-proxy mode", ("kube_proxy_mode", "userspace"),
        {"kube_proxy_mode": "userspace"}, also=("kube-proxy settings",)),
    Row("unpinned version", "profiles", ("hyperkube_master_version 'v1.34.0'", "not pinned in profile modern",
                                         "v1.36.3, v1.37.2"),
        {"hyperkube_master_version": "v1.34.0"}),
    Row("etcd release not pinned", "images", ("etcd_version: 3.5.2 is not a release curtain pins",),
        {"etcd_version": "3.5.2"}),
    Row("negative etcd_backup_keep", "variables", ("etcd_backup_keep is -1", "must be 1 or more"),
        {"etcd_backup_keep": -1}),
    Row("non-boolean tls", "variables", ("etcd_tls", "'maybe' is not a valid boolean"), {"etcd_tls": "maybe"}),
    Row("relative admin kubeconfig", "variables", ("hyperkube_master_admin_kubeconfig", "is a relative path"),
        {"hyperkube_master_admin_kubeconfig": "admin.conf"}),
    Row("wrong variable type", "variables", ("etcd_extra_flags", "unable to convert to dict"),
        {"etcd_extra_flags": ["quota-backend-bytes=1"]}),
    Row("unknown settings key", "master settings", ("hyperkube_master_settings", "unknown key 'servce_cidr'",
                                                    "did you mean 'service_cidr'"),
        {"hyperkube_master_settings": {**VALID_SETTINGS, "servce_cidr": "10.32.0.0/16"}}),
    Row("curtain's own kubelet image from a registry", "images", ("hyperkube_master_images['kubelet']",
                                                                  "no registry publishes it"),
        {"hyperkube_master_image_source": "registry", "hyperkube_master_images": {"kubelet": {"source": "registry"}}}),
    Row("release downloads from a site it does not know", "images", (
        "hyperkube_master_images['kubelet'].release_urls: gitlab is not one of kubernetes, github",),
        {"hyperkube_master_image_source": "registry",
         "hyperkube_master_images": {"kubelet": {"release_urls": {"gitlab": "https://gitlab.example"}}}}),
    Row("registry image with a malformed digest", "images", ("hyperkube_master_images['kube-apiserver']",
                                                             "digest must be sha256:<64 hex>"),
        {"hyperkube_master_image_source": "registry",
         "hyperkube_master_images": {"kube-apiserver": {"digest": "sha256:abc"}}}),
    Row("missing offline bundle file", "images", ("hyperkube_master_image_directory", "images.tar",
                                                  "does not exist on the controller"),
        {"hyperkube_master_image_source": "directory", "hyperkube_master_image_directory": "{bundle}",
         "hyperkube_master_images": {}},
        bundle=Bundle(tarball=None)),
    Row("wrong checksum", "images", ("hyperkube_master_image_directory", "images.tar has sha256",
                                     "manifest.json says " + "0" * 64),
        {"hyperkube_master_image_source": "directory", "hyperkube_master_image_directory": "{bundle}",
         "hyperkube_master_images": {}},
        bundle=Bundle(tarball="not the bundled images")),
    Row("missing image tarball", "images", ("etcd_image_tarball", "does not exist on the controller"),
        {"etcd_image_source": "tarball", "etcd_image_tarball": "{bundle}/etcd.tar"}, bundle=Bundle(tarball=None)),
    Row("empty masters group", "masters", ("'masters' (hyperkube_master_group) is empty",), inventory=no_masters),
    Row("several at once", "variables", ("etcd_tls", "kube_proxy_privilege"),
        {"etcd_tls": "maybe", "kube_proxy_privilege": "root", "hyperkube_master_version": "v1.34.0"},
        also=("profiles",)),
    Row("cgroup v1 without the override", "cgroup", ("cgroup v1", "hyperkube_master_settings.fail_cgroup_v1: false"),
        {"hyperkube_master_settings": {}}),
    Row("unsupported runtime", "variables", ("hyperkube_master_runtime", "one of: containerd", "got: cri-dockerd"),
        {"hyperkube_master_runtime": "cri-dockerd"}),
    Row("node name with capitals", "node names", ("kube_node_name", "'Master-A'", "has capital letters"),
        {"kube_node_name": "Master-A"}),
    Row("node name with underscores", "node names", ("kube_node_name", "'master_a'", "has underscores"),
        {"kube_node_name": "master_a"}),
    Row("etcd group of 2", "etcd members", ("'etcd' (etcd_group) has 2 member(s)", "tolerates 0 failure(s)",
                                            "use an odd number of members"),
        inventory=two_etcd_members(), status="warn", check_mode=True),
]


# --- running them ----------------------------------------------------------------------------------------------------
@dataclass
class Run:
    row: Row
    returncode: int
    output: str
    report: dict[str, Any] | None
    seconds: float
    host_before: dict[str, Any]
    host_after: dict[str, Any]
    controller_before: dict[str, Any]
    controller_after: dict[str, Any]


def _environment(cache: Path) -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_GATHERING": "smart", "ANSIBLE_CACHE_PLUGIN": "jsonfile",
            "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache), "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "7200",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _inventory_copy(directory: Path, row: Row | None) -> Path:
    """inventory/local copied, made valid for this machine, then changed as the row says."""
    inventory = directory / "inventory"
    shutil.copytree(LOCAL_INVENTORY, inventory, ignore=shutil.ignore_patterns("artifacts"))
    with (inventory / "group_vars" / "all.yml").open("a") as group_vars:
        group_vars.write(yaml.safe_dump(VALID, sort_keys=False))
    if row is not None and row.inventory is not None:
        hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
        row.inventory(hosts)
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return inventory


def _controller_fingerprint(directory: Path) -> dict[str, Any]:
    """The row's inventory copy (its artifacts directory included, absent before) and its bundle."""
    return {"inventory": _tree(directory / "inventory"), "artifacts": _tree(directory / "inventory" / "artifacts"),
            "bundle": _tree(directory / "bundle")}


def _substitute(value: Any, bundle: str) -> Any:
    if isinstance(value, str):
        return value.replace("{bundle}", bundle)
    if isinstance(value, Mapping):
        return {key: _substitute(item, bundle) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, bundle) for item in value]
    return value


def _run(row: Row, directory: Path, cache: Path) -> Run:
    inventory = _inventory_copy(directory, row)
    if row.bundle is not None:
        row.bundle.make(directory / "bundle")
    extra = directory / "extra.json"
    extra.write_text(json.dumps(_substitute(dict(row.extra), str(directory / "bundle"))))
    report = directory / "report" / "preflight.json"  # outside the inventory copy: its artifacts stay untouched
    command = ["ansible-playbook", "-i", str(inventory), str(SITE), "-e", f"@{extra}",
               "-e", f"preflight_report_file={report}", *(["--check"] if row.check_mode else [])]
    controller_before, host_before = _controller_fingerprint(directory), host_fingerprint()
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=_environment(cache), capture_output=True, text=True, timeout=600,
                            check=False)
    seconds = time.monotonic() - started
    host_after, controller_after = host_fingerprint(), _controller_fingerprint(directory)
    return Run(row, result.returncode, result.stdout + result.stderr,
               json.loads(report.read_text()) if report.exists() else None, seconds, host_before, host_after,
               controller_before, controller_after)


def _prime_fact_cache(directory: Path, cache: Path) -> None:
    """Gather the facts the plays gather (network subset) once, for every host name the rows use."""
    inventory = _inventory_copy(directory, Row("prime", "", (), inventory=two_etcd_members()))
    playbook = directory / "facts.yml"
    playbook.write_text("- name: Facts\n  hosts: all\n  gather_facts: true\n  gather_subset: [network]\n"
                        "  tasks: []\n")
    result = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook)], cwd=ROOT,
                            env=_environment(cache), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def host_at_start() -> dict[str, Any]:
    return host_fingerprint()


@pytest.fixture(scope="session")
def runs(request, host_at_start, tmp_path_factory) -> Iterator[dict[str, Run]]:
    """The run of every row this session selected (all, or those -k picks), a few at a time; printed: the total."""
    selected = {item.callspec.params["row"].name for item in request.session.items
                if "row" in getattr(getattr(item, "callspec", None), "params", {})}
    base = tmp_path_factory.mktemp("bad-input")
    cache = base / "facts"
    started = time.monotonic()
    _prime_fact_cache(base / "prime", cache)
    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = {row.name: pool.submit(_run, row, base / f"row{index:02d}", cache)
                   for index, row in enumerate(ROWS) if row.name in selected}
        done = {name: future.result() for name, future in futures.items()}
    total = time.monotonic() - started
    print(f"\nbad input: {len(done)} site.yml runs, {JOBS} at a time, {total:.0f} s in all "
          f"(each {min(run.seconds for run in done.values()):.0f}-{max(run.seconds for run in done.values()):.0f} s)")
    for name, run in done.items():  # what a user sees, row by row (pytest -s shows it)
        said = [check for check in (run.report or {}).get("checks", [])
                if check["check"] == run.row.check and check["status"] == run.row.status]
        print(f"  {name} -> {run.row.check} {run.row.status}: {' | '.join(check['detail'] for check in said)}")
    yield done
    shutil.rmtree(base, ignore_errors=True)


def test_there_are_enough_rows():
    assert len(ROWS) >= 20
    assert len({row.name for row in ROWS}) == len(ROWS)


def test_the_fingerprint_sees_what_the_roles_write():
    # The directories come from the roles' defaults; these are the ones a real run creates.
    for path in ("/var/lib/curtain", "/etc/curtain", "/etc/kubernetes", "/var/lib/kubelet", "/var/lib/kube-proxy",
                 "/var/log/kubernetes", "/run/curtain", "/etc/cni", "/var/lib/cni", "/var/log/pods",
                 "/etc/sysctl.d/90-curtain-kubelet.conf", "/etc/sysctl.d/90-curtain-kube-proxy.conf"):
        assert path in WATCHED, WATCHED


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_bad_input_is_named_and_nothing_changes(row: Row, runs: dict[str, Run], host_at_start: dict[str, Any]):
    run = runs[row.name]
    output = run.output
    assert run.host_after == run.host_before, f"{row.name} changed the host"
    assert run.host_after == host_at_start, f"the host changed during the runs (by {row.name}'s?)"
    assert run.controller_after == run.controller_before, f"{row.name} changed the controller side"
    assert run.controller_after["artifacts"] is None, "the inventory's artifacts directory was made"
    assert run.report is not None, output

    found = [check for check in run.report["checks"] if check["check"] == row.check and check["status"] == row.status]
    assert found, (row.check, row.status, run.report["checks"])
    detail = " | ".join(check["detail"] for check in found)
    for word in row.words:
        assert word in detail, (word, detail)
    assert any(check["detail"][:80] in output for check in found), "the table on the console lacks the message"

    failed = {check["check"] for check in run.report["checks"] if check["status"] == "fail"}
    if row.status == "fail":
        assert failed == {row.check, *row.also}, f"the checks that failed: {failed}"
        assert run.returncode != 0
        assert "preflight failed" in output
        assert any(f"{check['host']} {check['check']}" in output.split("preflight failed", 1)[1] for check in found)
        assert "PLAY [Etcd]" not in output, "a play after the failed preflight ran"
    else:
        assert failed == set(), f"checks failed: {failed}"
        assert "preflight failed" not in output
        assert "PLAY [Etcd]" in output, "the run did not go on past preflight"

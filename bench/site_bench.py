#!/usr/bin/env python3
"""Time the whole site against the plain-docker floor: cold, no-op and 1/3/5 hosts over SSH, with variants.

Run through `make bench` (which prepares the machine). It makes its own test hosts (containers curtain-bench-N of
curtain/testhost:bookworm, each with its own dockerd and sshd, labelled io.curtain.test=bench, on the network
curtain-bench) and always removes them, their volumes and the network at the end, also on failure.

Every figure is one whole process, timed from outside (wall clock, time.monotonic):
- floor: bench/floor.sh on host 1 (see its header): `docker start` of the site's etcd, kubelet (which starts the
  static pods anew) and kube-proxy containers, stopped with the kubelet's pods removed, each waited on until
  healthy, reusing the files a converged host has;
- cold: `ansible-playbook playbooks/site.yml` on host 1 over SSH from clean: no container, no file of the roles
  on the host, no artifacts on the controller, no SSH control master. The images are already in the host's
  Docker Engine (pulled by digest once, before the first run), as for the floor;
- no-op: the same playbook again (it must report no change);
- hosts: cold and no-op across 1, 3 and 5 hosts: host 1 is etcd, master and node, the others are nodes;
- variants of the no-op on 1 host: pipelining off, no SSH ControlPersist, gathering=smart, Mitogen (installed
  into its own directory from PyPI if it installs; never required).
The controller's peak memory is the largest sum, over the samples taken every 0.2 s, of the PSS of
ansible-playbook and all its descendants (workers, ssh clients, local modules), from /proc/PID/smaps_rollup.
The figures go into docs/benchmarks.md between the site markers, the plot into docs/benchmarks-hosts.png.
These are measurements, not tests: nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs/benchmarks.md"
PLOT = ROOT / "docs/benchmarks-hosts.png"
START, END = "<!-- site bench: start -->", "<!-- site bench: end -->"
PREFIX = "curtain-bench"
LABEL = "io.curtain.test=bench"
NETWORK = PREFIX
IMAGE = "curtain/testhost:bookworm"
REGISTRY = os.environ.get("CURTAIN_TEST_REGISTRY", "172.17.0.1:5000")
CACHE = Path(os.environ.get("CURTAIN_CACHE_DIR", "/var/cache/curtain-dev"))
MITOGEN = "mitogen==0.3.54"
RESULTS = CACHE / "bench-site-results.json"
# What the roles leave on a host, removed for a cold run (with every container of the host's own Docker Engine).
# /var/lib/curtain is a volume, as in the Molecule test hosts (containerd's snapshots cannot be overlayfs on the
# test host's own overlayfs root), so its contents go, not the mount point.
HOST_PATHS = ["/etc/curtain", "/etc/kubernetes", "/var/lib/kubelet", "/var/log/pods", "/var/log/containers",
              "/var/log/kubernetes", "/var/lib/kube-proxy", "/run/curtain", "/etc/cni", "/var/lib/cni",
              "/etc/sysctl.d/90-curtain-kubelet.conf", "/etc/sysctl.d/90-curtain-kube-proxy.conf", "/run/xtables.lock"]
VOLUME_PATH = "/var/lib/curtain"
# The kubelet's pods outlive its container (they and their shims live in cgroups of their own), so before curtain's
# containers stop, the kubelet stops its static pods (their manifests moved away, to MANIFESTS_AWAY) and the runtime
# removes them. A kubelet container that has stopped is started again for that. Hosts without one (nodes) pass.
MANIFESTS, MANIFESTS_AWAY = "/etc/kubernetes/manifests", "/etc/kubernetes/manifests.bench"
STOP_PODS = rf"""
set -e
if docker inspect curtain-kubelet >/dev/null 2>&1; then
  docker start curtain-kubelet >/dev/null
  for _ in $(seq 1 120); do
    docker exec curtain-kubelet crictl ps -q >/dev/null 2>&1 && break
    sleep 0.5
  done
  mv {MANIFESTS} {MANIFESTS_AWAY}
  for _ in $(seq 1 120); do
    [ -z "$(docker exec curtain-kubelet crictl ps -q --name '^kube-(apiserver|controller-manager|scheduler)$')" ] \
      && break
    sleep 0.5
  done
  docker exec curtain-kubelet crictl rmp -af >/dev/null
fi
"""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """The command's result; a failure exits naming the command and what it printed (CalledProcessError's message
    leaves its output out)."""
    done = subprocess.run(command, check=False, text=True, capture_output=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)[:300]} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def say(text: str) -> None:
    print(f"site bench: {text}", flush=True)


# --- test hosts --------------------------------------------------------------------------------------------------

def host_name(index: int) -> str:
    return f"{PREFIX}-{index}"


def remove_ours() -> None:
    """Remove every container, volume and network labelled as the bench's: only things this bench made."""
    for kind in ("container", "volume", "network"):
        listing = run(["docker", kind, "ls", "-q", *(["-a"] if kind == "container" else []),
                       "--filter", f"label={LABEL}"]).stdout.split()
        if listing:
            extra = ["-f", "-v"] if kind == "container" else []
            subprocess.run(["docker", kind, "rm", *extra, *listing], check=False, capture_output=True)


def create_hosts(count: int, key: Path) -> dict[str, str]:
    """Start COUNT test hosts as molecule/shared/create.yml does; return their addresses on the bench network."""
    run(["docker", "network", "create", "--label", LABEL, NETWORK])
    for index in range(1, count + 1):
        name = host_name(index)
        run(["docker", "volume", "create", "--label", LABEL, f"{name}-docker"])
        run(["docker", "volume", "create", "--label", LABEL, f"{name}-curtain"])
        # /dev/kmsg: a real host has it, and the kubelet exits without it.
        run(["docker", "run", "-d", "--name", name, "--hostname", name, "--label", LABEL, "--network", NETWORK,
             "--cap-add=ALL", "--cap-drop=SYS_RESOURCE", "--security-opt", "seccomp=unconfined",
             "--security-opt", "apparmor=unconfined", "--device-cgroup-rule", "a *:* rwm",
             "--device", "/dev/kmsg:/dev/kmsg:r",
             "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "-v", f"{name}-docker:/var/lib/docker",
             "-v", f"{name}-curtain:{VOLUME_PATH}", "-e", f"CURTAIN_TEST_REGISTRY={REGISTRY}", IMAGE])
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
    addresses = {}
    for index in range(1, count + 1):
        name = host_name(index)
        for _ in range(120):
            if subprocess.run(["docker", "exec", name, "docker", "info"], capture_output=True).returncode == 0:
                break
            time.sleep(0.5)
        else:
            sys.exit(f"{name}: its Docker Engine did not answer")
        run(["docker", "exec", "-i", name, "sh", "-c", "mkdir -p -m 0700 /root/.ssh && "
             "cat > /root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys"],
            input=Path(f"{key}.pub").read_text())
        template = "{{(index .NetworkSettings.Networks \"" + NETWORK + "\").IPAddress}}"
        addresses[name] = run(["docker", "inspect", "-f", template, name]).stdout.strip()
    return addresses


def pull_images(names: list[str], images: list[str]) -> None:
    """Put the images into each host's Docker Engine once: cold runs and the floor both start with them present."""
    for name in names:
        for image in images:
            run(["docker", "exec", name, "docker", "pull", "-q", image])


def clean_host(name: str) -> None:
    # The pods the kubelet did not stop itself (CoreDNS) leave their volumes mounted (the service account token's
    # tmpfs, under /var/lib/kubelet/pods) and their network namespaces: what is mounted below those directories is
    # unmounted, deepest first, before the removal.
    below = " ".join([*HOST_PATHS, VOLUME_PATH, "/run/netns"])
    unmount = (f"for path in {below}; do awk -v p=\"$path\" 'index($2, p \"/\") == 1 {{print $2}}' "
               "/proc/mounts; done | sort -r | xargs -r umount; ")
    script = ("ids=$(docker ps -aq); [ -z \"$ids\" ] || docker rm -f -v $ids >/dev/null; " + unmount +
              f"rm -rf {' '.join(HOST_PATHS)}; find {VOLUME_PATH} -mindepth 1 -maxdepth 1 -exec rm -rf {{}} +")
    done = subprocess.run(["docker", "exec", name, "sh", "-c", STOP_PODS + script], text=True, capture_output=True)
    if done.returncode:
        raise SystemExit(f"cleaning {name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


# --- inventory -----------------------------------------------------------------------------------------------------

# The test hosts share this machine's cgroup v1 tree: the kubelet accepts v1, each under a cgroup root of its own.


def version_key(tag: str) -> list[int]:
    return [int(part) for part in re.findall(r"\d+", tag)]


def digests() -> dict[str, str]:
    """Registry reference by digest of the etcd image and of the newest tag of each Kubernetes image built here."""
    def digest(image: str) -> str:
        return run([str(ROOT / "scripts/registry"), "digest", REGISTRY, image]).stdout.strip()
    newest: dict[str, str] = {}
    for image in run([str(ROOT / "scripts/images"), "kubernetes-names"]).stdout.split():
        name, tag = image.rsplit(":", 1)
        if name not in newest or version_key(tag) > version_key(newest[name]):
            newest[name] = tag
    etcd_default = run([str(ROOT / "scripts/images"), "etcd-default"]).stdout.strip()
    found = {"etcd": digest(f"curtain/etcd:{etcd_default}")}
    for name, tag in newest.items():
        found[name.split("/")[-1]] = digest(f"{name}:{tag}")
    return found


MOLECULE_BASE = ROOT / ".config/molecule/config.yml"
_ENV_REFERENCE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def group_vars(found: dict[str, str]) -> dict:
    """The group variables every Molecule scenario gets, read from .config/molecule/config.yml (so the bench's hosts
    are the tests' hosts): the test registry's images by digest, the test hosts' adaptations to these machines. Its
    ${NAME} and ${NAME:-default} references take the digests found here, as the Makefile gives them to Molecule."""
    import yaml  # Ansible's dependency, in the venv the bench runs from

    values = {"CURTAIN_TEST_REGISTRY": REGISTRY, "CURTAIN_TEST_ETCD_DIGEST": found["etcd"],
              **{"CURTAIN_TEST_DIGEST_" + name.upper().replace("-", "_"): digest for name, digest in found.items()}}

    def expand(match: re.Match) -> str:
        name, default = match.groups()
        if name not in values and default is None:
            raise SystemExit(f"{MOLECULE_BASE}: the bench has no value for ${{{name}}}")
        return values.get(name, default)

    def expanded(value):
        if isinstance(value, dict):
            return {key: expanded(item) for key, item in value.items()}
        if isinstance(value, list):
            return [expanded(item) for item in value]
        return _ENV_REFERENCE.sub(expand, value) if isinstance(value, str) else value

    return expanded(yaml.safe_load(MOLECULE_BASE.read_text())["provisioner"]["inventory"]["group_vars"]["all"])


def image_references(found: dict[str, str]) -> list[str]:
    refs = [f"{REGISTRY}/curtain/etcd@{found['etcd']}"]
    return refs + [f"{REGISTRY}/curtain/{name}@{digest}" for name, digest in found.items() if name != "etcd"]


def write_inventory(directory: Path, addresses: dict[str, str], size: int, key: Path, variables: dict) -> Path:
    names = [host_name(index) for index in range(1, size + 1)]
    hosts = {name: {"ansible_host": addresses[name]} for name in names}
    inventory = {"all": {
        "vars": {"ansible_connection": "ssh", "ansible_user": "root", "ansible_ssh_private_key_file": str(key),
                 "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"},
        "hosts": hosts,
        "children": {"etcd": {"hosts": {names[0]: {}}}, "masters": {"hosts": {names[0]: {}}},
                     "nodes": {"hosts": {name: {} for name in names[1:]}}},
    }}
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    (directory / "group_vars/all.json").write_text(json.dumps(variables))
    path = directory / "hosts.json"
    path.write_text(json.dumps(inventory))
    return path


# --- one timed run ------------------------------------------------------------------------------------------------

class RunFailed(Exception):
    """A playbook run failed, or a no-op run changed something."""


@dataclass
class Result:
    seconds: float
    changed: int = 0
    tasks: int = 0
    pss_mib: float = 0.0
    rss_mib: float = 0.0
    profile: list[tuple[str, float]] = field(default_factory=list)


class MemorySampler(threading.Thread):
    """Peak sum of PSS (and RSS) of a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop, self.pss, self.rss = pid, threading.Event(), 0, 0

    def tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def run(self) -> None:
        while not self.stop.is_set():
            pss = rss = 0
            for pid in self.tree():
                try:
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue
                pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
                rss += int(re.search(r"^Rss:\s+(\d+)", rollup, re.M).group(1))
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            self.stop.wait(0.2)


PROFILE_LINE = re.compile(r"^(.+) -+ (\d+\.\d+)s$")


def playbook(inventory: Path, env: dict[str, str], log: Path) -> Result:
    """One site.yml run as a whole process: seconds, changed tasks, task starts, peak memory, slowest tasks."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="15",
               **env)
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks/site.yml")],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = MemorySampler(proc.pid)
        sampler.start()
        try:
            code = proc.wait(timeout=1200)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    elapsed = time.monotonic() - started
    sampler.stop.set()
    sampler.join()
    text = log.read_text()
    if code != 0:
        raise RunFailed(f"site.yml failed (log {log}):\n{text[-4000:]}")
    recap = text[text.rindex("PLAY RECAP"):]
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", recap))
    tasks = len(re.findall(r"^TASK \[", text, re.M))
    profile = [(m.group(1).strip(), float(m.group(2))) for line in recap.splitlines()
               if (m := PROFILE_LINE.match(line.strip()))]
    return Result(elapsed, changed, tasks, sampler.pss / 1024, sampler.rss / 1024, profile)


def floor(name: str, spec: Path) -> float:
    """bench/floor.sh on the host: the kubelet's pods removed and curtain's containers stopped first (not timed),
    then timed as a whole."""
    # The manifests go back once the kubelet has stopped: before, it would start the pods again.
    stop = f"docker stop {' '.join(SITE_CONTAINERS)} >/dev/null; mv {MANIFESTS_AWAY} {MANIFESTS}"
    run(["docker", "exec", name, "sh", "-c", STOP_PODS + stop + "; mkdir -p /tmp/curtain-bench"])
    run(["docker", "cp", str(ROOT / "bench/floor.sh"), f"{name}:/tmp/curtain-bench/floor.sh"])
    run(["docker", "cp", str(spec), f"{name}:/tmp/curtain-bench/floor.spec"])
    started = time.monotonic()
    proc = subprocess.run(["docker", "exec", name, "bash", "/tmp/curtain-bench/floor.sh",
                           "/tmp/curtain-bench/floor.spec"], text=True, capture_output=True)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"floor.sh failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


SITE_CONTAINERS = ("curtain-etcd", "curtain-kubelet", "curtain-kube-proxy")


def write_floor_spec(path: Path, settings: dict) -> None:
    """The floor's input: the site's containers, in order, and the health endpoints the site's summary looks at,
    from the roles' planners (`settings`: the hosts' hyperkube_master_settings); each container's are its own and,
    for the kubelet's, its static pods'."""
    sys.path.insert(0, str(ROOT / "collections"))  # the checkout as the collection (a committed symlink)
    from ansible_collections.curtain.kube.plugins.module_utils.site_summary import one_host_endpoints
    planned = one_host_endpoints(host_name(1), "127.0.0.1", settings)
    lines = []
    for variable, container in zip(("ETCD", "KUBELET", "KUBE_PROXY"), SITE_CONTAINERS, strict=True):
        lines.append(f"{variable}_CONTAINER={shlex.quote(container)}")
        waits = [shlex.join([e["url"], e.get("ca_file", "") if e.get("validate_certs", True) else "",
                             e.get("cert_file", ""), e.get("key_file", "")])
                 for e in planned if container in (e.get("container"), e.get("kubelet_container"))]
        lines.append(f"{variable}_HEALTH=({' '.join(shlex.quote(w) for w in waits)})")
    path.write_text("\n".join(lines) + "\n")


# --- variants ------------------------------------------------------------------------------------------------------

def mitogen_env() -> dict[str, str] | None:
    """Mitogen from PyPI into its own directory (not the project's venv); None when it does not install."""
    target = CACHE / f"bench-{MITOGEN.replace('==', '-')}"
    if not (target / "ansible_mitogen").is_dir():
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "--target", str(target), MITOGEN], capture_output=True, text=True)
        if proc.returncode != 0:
            say(f"{MITOGEN} did not install, measuring without it: {proc.stderr[-500:]}")
            return None
    # Mitogen's own SSH client checks host keys from Ansible's setting, not from ansible_ssh_common_args.
    return {"ANSIBLE_STRATEGY_PLUGINS": str(target / "ansible_mitogen/plugins/strategy"),
            "ANSIBLE_STRATEGY": "mitogen_linear", "ANSIBLE_HOST_KEY_CHECKING": "False"}


def variants(with_mitogen: bool) -> dict[str, dict[str, str]]:
    found = {
        "pipelining off": {"ANSIBLE_PIPELINING": "False"},
        "no SSH ControlPersist": {"ANSIBLE_SSH_ARGS": "-C -o ControlMaster=no"},
        "gathering=smart": {"ANSIBLE_GATHERING": "smart"},
    }
    if with_mitogen and (env := mitogen_env()) is not None:
        found["Mitogen"] = env
    return found


# --- the measurement ---------------------------------------------------------------------------------------------

@dataclass
class Series:
    results: list[Result] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [r.seconds for r in self.results]

    def median(self) -> float:
        return statistics.median(self.seconds)


def measure(args: argparse.Namespace, tmp: Path, progress) -> dict:
    key = tmp / "id_ed25519"
    addresses = create_hosts(max(args.hosts), key)
    found = digests()
    variables = group_vars(found)
    names = list(addresses)
    say(f"hosts up: {', '.join(names)}; pulling the images into them once")
    pull_images(names, image_references(found))
    series: dict[str, Series] = {}
    logs = tmp / "logs"
    logs.mkdir()
    count = 0

    def timed(label: str, inventory: Path, env: dict[str, str], control: Path, expect_noop: bool) -> Result:
        nonlocal count
        count += 1
        control.mkdir(exist_ok=True)
        result = playbook(inventory, {"ANSIBLE_SSH_CONTROL_PATH_DIR": str(control), **env},
                          logs / f"{count:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower())}.log")
        if expect_noop and result.changed:
            raise RunFailed(f"{label}: the no-op run changed {result.changed} tasks (log in {logs})")
        series.setdefault(label, Series()).results.append(result)
        say(f"{label}: {result.seconds:.1f} s, {result.tasks} task starts, {result.changed} changed, "
            f"peak {result.pss_mib:.0f} MiB PSS")
        return result

    def cold(size: int, label: str, env: dict[str, str], round_: int, noop: bool = True) -> tuple[Path, Path]:
        directory = tmp / f"hosts-{size}"
        inventory = write_inventory(directory, addresses, size, key, variables)
        for name in names[:size]:
            clean_host(name)
        shutil.rmtree(directory / "artifacts", ignore_errors=True)
        control = tmp / f"ssh-{label}-{round_}".replace(" ", "-").replace("=", "-")
        timed(f"{label}cold, {size} host{'s' if size > 1 else ''}", inventory, env, control, False)
        if noop:
            timed(f"{label}no-op, {size} host{'s' if size > 1 else ''}", inventory, env, control, True)
        return inventory, control

    extra = variants(args.mitogen)
    spec = tmp / "floor.spec"
    data = {"series": series, "variants": list(extra), "logs": logs, "notes": []}

    def main_round(round_: int) -> tuple[Path, Path]:
        inventory, control = cold(1, "", {}, round_)
        if round_ == 0:
            write_floor_spec(spec, variables["hyperkube_master_settings"])
        for _ in range(args.floor_runs):
            seconds = floor(names[0], spec)
            series.setdefault("floor", Series()).results.append(Result(seconds))
            say(f"floor: {seconds:.1f} s")
        progress(data)
        return inventory, control

    def mitogen_round(round_: int) -> None:
        try:
            cold(1, "Mitogen: ", extra["Mitogen"], round_)
        except RunFailed as error:  # an option, never required: report it and go on without it
            say(f"Mitogen failed, measuring without it: {str(error)[-1500:]}")
            data["notes"].append("Mitogen (" + MITOGEN + ") was tried and failed: " +
                                 next((line.strip() for line in str(error).splitlines() if "FAIL" in line),
                                      str(error).strip().splitlines()[0])[:300])
            del extra["Mitogen"]
        progress(data)

    def variant_round(round_: int) -> None:
        # A cold run first, then each variant's no-op with the same SSH control directory (masters as warm).
        inventory, control = cold(1, "", {}, round_)
        for label, env in extra.items():
            if label != "Mitogen":
                timed(f"{label}: no-op, 1 host", inventory, env, control, True)
                progress(data)

    # The most needed figures first (floor, cold, no-op, host counts), then Mitogen and the variants, then more
    # rounds: a bench cut short still has the main figures, and the doc is written after each phase.
    main_round(0)
    for size in args.hosts:
        if size == 1:
            continue
        for round_ in range(args.scaling_runs):
            cold(size, "", {}, round_, noop=args.scaling_noop)
        progress(data)
    for round_ in range(args.variant_runs):
        if "Mitogen" in extra:
            mitogen_round(round_)
        variant_round(round_ + 1)
    for round_ in range(1, args.runs):
        main_round(round_ + args.variant_runs)
    for name in names:
        clean_host(name)
    return data


# --- the report ----------------------------------------------------------------------------------------------------

def summary(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} | {min(times):.1f} | {max(times):.1f}"


def slowest(results: list[Result], count: int = 10) -> list[tuple[str, float]]:
    """Tasks by their median time over the runs (profile_tasks' figures: per task, over all hosts and loops)."""
    times: dict[str, list[float]] = {}
    for result in results:
        for name, seconds in result.profile:
            times.setdefault(name, []).append(seconds)
    medians = [(name, statistics.median(values)) for name, values in times.items()]
    return sorted(medians, key=lambda item: -item[1])[:count]


def plot(series: dict[str, Series], sizes: list[int], floor_s: float) -> None:
    import matplotlib  # only the report needs it
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(6.4, 4))
    for kind, marker in (("cold", "o"), ("no-op", "s")):
        present = [size for size in sizes if f"{kind}, {size} host{'s' if size > 1 else ''}" in series]
        labels = [f"{kind}, {size} host{'s' if size > 1 else ''}" for size in present]
        medians = [series[label].median() for label in labels]
        lows = [medians[i] - min(series[label].seconds) for i, label in enumerate(labels)]
        highs = [max(series[label].seconds) - medians[i] for i, label in enumerate(labels)]
        axes.errorbar(present, medians, yerr=[lows, highs], marker=marker, capsize=4, label=f"site.yml {kind}")
    axes.axhline(floor_s, color="grey", linestyle="--", label=f"floor, 1 host ({floor_s:.1f} s)")
    axes.set_xticks(sizes)
    axes.set_xlabel("hosts (1 etcd + master + node, the rest nodes)")
    axes.set_ylabel("seconds (median, bars: min to max)")
    axes.set_ylim(bottom=0)
    axes.set_title("curtain site.yml over SSH against host count")
    axes.legend()
    figure.tight_layout()
    figure.savefig(PLOT, dpi=100)


def targets(series: dict[str, Series], sizes: list[int]) -> list[tuple[str, str, bool]]:
    """Issue 19's targets, from the medians of this run: a no-op on 1 host under 10 s with at most 40 task starts, a
    cold run within 2x the floor, 5 hosts within 1.5x 1 host, the controller's peak under 300 MB."""
    found = []
    if "no-op, 1 host" in series:
        noop = series["no-op, 1 host"]
        found.append(("no-op, 1 host, under 10 s", f"{noop.median():.1f} s", noop.median() < 10))
        starts = max(result.tasks for result in noop.results)
        found.append(("no-op, 1 host, at most 40 task starts", str(starts), starts <= 40))
    if "cold, 1 host" in series:
        ratio = series["cold, 1 host"].median() / series["floor"].median()
        found.append(("cold, 1 host, within 2x the floor", f"{ratio:.2f}x", ratio <= 2.0))
    if sizes and max(sizes) > 1:
        big = max(sizes)
        for kind in ("cold", "no-op"):
            if f"{kind}, {big} hosts" in series:
                ratio = series[f"{kind}, {big} hosts"].median() / series[f"{kind}, 1 host"].median()
                found.append((f"{kind}, {big} hosts within 1.5x 1 host", f"{ratio:.2f}x", ratio <= 1.5))
    peak = max((r.pss_mib for s in series.values() for r in s.results), default=0.0)
    found.append(("controller peak memory under 300 MB (286 MiB), PSS", f"{peak:.0f} MiB", peak * 1.048576 < 300))
    return found


def measured_by() -> str:
    """`make bench`, or the bench's own command when it was given options (fewer runs or host counts)."""
    options, arguments = [], iter(sys.argv[1:])
    for argument in arguments:
        if argument.split("=")[0] in ("--report-from", "--minutes", "--others", "--keep-logs"):
            if "=" not in argument:
                next(arguments, None)  # its value
            continue
        options.append(argument)
    return f"`python3 bench/site_bench.py {shlex.join(options)}`" if options else "`make bench` (bench/site_bench.py)"


def report(data: dict, args: argparse.Namespace, minutes: float, others: str) -> str:
    series: dict[str, Series] = data["series"]
    floor_s = series["floor"].median()
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())

    def row(label: str, ratio_to: float | None = None, note: str = "") -> str:
        s = series[label]
        ratio = s.median() / (ratio_to or floor_s)
        rs = s.results
        memory = f"{max(r.pss_mib for r in rs):.0f} / {max(r.rss_mib for r in rs):.0f}" if rs[0].pss_mib else "-"
        tasks = str(rs[0].tasks) if rs[0].tasks else "-"
        return f"| {label} | {summary(s.seconds)} | {ratio:.2f}x{note} | {tasks} | {memory} | {len(rs)} |"

    sizes = [size for size in args.hosts if f"cold, {size} host{'s' if size > 1 else ''}" in series]
    lines = [
        START,
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by {measured_by()} ("
        f"{minutes:.0f} min for this bench), on {os.cpu_count()} cores ({cpu.group(1) if cpu else 'unknown CPU'}). "
        f"{others}",
        "",
        "What each row is (each one whole process, wall time from outside):",
        "- **floor**: `bench/floor.sh` on one test host: the containers the site made (etcd, the kubelet with its "
        "containerd, kube-proxy) stopped, after the kubelet stopped its static pods and the runtime removed them "
        "(their manifests moved away and back; not timed), with the files of a converged host kept (certificates, "
        "kubeconfigs, static-pod manifests, KubeletConfiguration, kube-proxy's config) and the images present: "
        "`docker start` etcd and wait for its `/health` over TLS with the client certificate, `docker start` the "
        "kubelet and wait for its `/healthz`, then for the static pods it starts anew (the apiserver's `/readyz` "
        "with the admin certificate, controller-manager's and scheduler's `/healthz`), then `docker start` "
        "kube-proxy and wait for its `/healthz`. The endpoints are those the site's summary looks at; it polls "
        "every 0.1 s. Timed around `docker exec`, which adds about 0.1 s.",
        "- **cold**: `ansible-playbook playbooks/site.yml` over SSH from clean: no container or pod on the host, none "
        "of the roles' files (" + ", ".join(f"`{p}`" for p in (VOLUME_PATH, *HOST_PATHS)) + "), no `artifacts/` "
        "(CA, certificates, "
        "kubeconfigs) on the controller, no SSH control master. The images are already in the host's Docker Engine "
        "(pulled once by digest before the first run; the first cold run also tags them with their names, later "
        "ones find the tags), as for the floor: a pull is the registry's time, not the tool's.",
        "- **no-op**: the same playbook again; it reports no change (checked).",
        "- **N hosts**: test-host containers over SSH; host 1 is etcd member, master and node, the others are "
        "nodes (preflight and kube-proxy). The node count is what grows in a real cluster, while etcd stays at "
        "1 or 3 members; etcd members join one at a time by design (learner, then promote), which measures "
        "etcd's join, not the tool's fan-out (bench/etcd.py measures 3 members).",
        "- **variants**: the no-op on 1 host with one setting changed from ansible.cfg.",
        "",
        "Ratios are to the floor's median of this run (the N-host rows also to 1 host). Memory is the controller's "
        "peak: the largest sum of PSS / RSS (MiB) of `ansible-playbook` and all its descendants (forks, ssh "
        "clients, local modules) over samples every 0.2 s from `/proc/PID/smaps_rollup`, max over the runs. "
        "Task starts: `TASK [` banners of the run (a loop counts once).",
        "",
        "| run | median s | min s | max s | to floor | task starts | peak MiB PSS / RSS | runs |",
        "|---|---|---|---|---|---|---|---|",
        row("floor"),
    ]
    for kind in ("cold", "no-op"):
        one = series[f"{kind}, 1 host"].median()
        for size in sizes:
            label = f"{kind}, {size} host{'s' if size > 1 else ''}"
            if label not in series:
                continue
            note = f" ({series[label].median() / one:.2f}x 1 host)" if size > 1 else ""
            lines.append(row(label, note=note))
    for variant in data["variants"]:
        for label in (f"{variant}: cold, 1 host", f"{variant}: no-op, 1 host"):
            if label in series:
                base = series[label.split(": ", 1)[1]].median()  # the default's figure of the same kind
                lines.append(row(label, note=f" ({series[label].median() / base:.2f}x default)"))
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {'yes' if met else '**no**'} |" for name, value, met in targets(series, sizes)]
    lines += [""] + [f"Note: {note}" for note in data.get("notes", [])]
    lines += ["", "![time against host count](benchmarks-hosts.png)", "",
              "Slowest tasks (ansible.posix.profile_tasks, median seconds over the runs; a task's time spans all "
              "hosts and loop items):", ""]
    for label in ("cold, 1 host", "no-op, 1 host", f"cold, {max(sizes)} hosts"):
        if label in series:
            lines += [f"| {label}: task | s |", "|---|---|"]
            lines += [f"| {name.replace('|', '/')} | {seconds:.2f} |"
                      for name, seconds in slowest(series[label].results)]
            lines.append("")
    lines.append(END)
    plot(series, sizes, floor_s)
    return "\n".join(lines)


def save(data: dict, path: Path) -> None:
    """The raw figures, so that the doc can be written again without measuring (--report-from)."""
    series = {label: [r.__dict__ for r in s.results] for label, s in data["series"].items()}
    path.write_text(json.dumps({"series": series, "variants": data["variants"], "notes": data["notes"]}, indent=1))


def load(path: Path) -> dict:
    raw = json.loads(path.read_text())
    series = {label: Series([Result(**{**r, "profile": [tuple(p) for p in r["profile"]]}) for r in results])
              for label, results in raw["series"].items()}
    return {"series": series, "variants": raw["variants"], "notes": raw["notes"]}


def write_doc(block: str) -> None:
    text = DOC.read_text()
    if START not in text:
        text = text.rstrip("\n") + "\n\n## Whole site against the floor\n\n" + START + "\n" + END + "\n"
    DOC.write_text(re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S))


def other_load() -> str:
    """What else ran on this machine at the end: other people's Molecule test hosts share the two cores."""
    others = run(["docker", "ps", "--filter", "label=io.curtain.test", "--format", "{{.Names}}"]).stdout.split()
    others = sorted(name for name in others if not name.startswith(PREFIX))
    load = os.getloadavg()
    return (f"Load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min); other test hosts "
            f"running then: {', '.join(others) if others else 'none'}.")


def kill_our_ssh_masters(tmp: Path) -> None:
    """SSH control masters live on after ansible-playbook (ControlPersist): end the ones under our directory."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if command.startswith("ssh") and str(tmp) in command:
                with contextlib.suppress(OSError):
                    os.kill(int(entry), 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of floor, cold and no-op on 1 host")
    parser.add_argument("--variant-runs", type=int, default=2, help="rounds that also measure the variants")
    parser.add_argument("--scaling-runs", type=int, default=2, help="cold and no-op runs per host count above 1")
    parser.add_argument("--no-scaling-noop", dest="scaling_noop", action="store_false",
                        help="only cold runs for host counts above 1")
    parser.add_argument("--floor-runs", type=int, default=3, help="floor runs per round")
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--no-mitogen", dest="mitogen", action="store_false")
    parser.add_argument("--keep-logs", type=Path, help="copy the playbook logs here")
    parser.add_argument("--report-from", type=Path, help=f"write the doc from saved figures (as in {RESULTS})")
    parser.add_argument("--minutes", type=float, default=0.0, help="with --report-from: the bench's duration")
    parser.add_argument("--others", default="", help="with --report-from: what else ran")
    args = parser.parse_args()
    if args.report_from:
        write_doc(report(load(args.report_from), args, args.minutes, args.others))
        return
    started = time.monotonic()
    remove_ours()
    tmp = Path(tempfile.mkdtemp(prefix="curtain-bench-site-"))
    try:
        def progress(partial: dict) -> None:  # the doc as far as measured, should the bench be cut short
            save(partial, RESULTS)
            write_doc(report(partial, args, (time.monotonic() - started) / 60, "(partial: still measuring)"))

        try:
            data = measure(args, tmp, progress)
        except RunFailed as error:
            sys.exit(str(error))
        if args.keep_logs:
            shutil.copytree(data["logs"], args.keep_logs, dirs_exist_ok=True)
        others = other_load()
    finally:
        kill_our_ssh_masters(tmp)
        remove_ours()
        shutil.rmtree(tmp, ignore_errors=True)
        left = [item for command in (["ps", "-aq"], ["volume", "ls", "-q"], ["network", "ls", "-q"])
                for item in run(["docker", *command, "--filter", f"label={LABEL}"]).stdout.split()]
        say(f"left behind: {left or 'nothing'}")
    save(data, RESULTS)
    write_doc(report(data, args, (time.monotonic() - started) / 60, others))
    say(f"written to {DOC.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Security properties a user can observe on the converged site: file modes, privileges and mounts, the addresses
components listen on, and that no private key reached Ansible's output of the `-vvv --diff` runs.

The scenario runs its playbooks with -vvv and --diff and logs them (molecule.yml: ANSIBLE_VERBOSITY,
ANSIBLE_LOG_PATH), so the log holds the cold converge at -vvv, where every key is made, and the verify's own runs."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key
from site_host import HOST, INVENTORY_DIR, host

LOG = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "ansible.log"
SECRET_FILES_ON_HOST = "find /etc/kubernetes /etc/curtain -type f -name '*.key'"
KUBECONFIGS_ON_HOST = "find /etc/kubernetes -maxdepth 1 -type f -name '*.conf'"
# Where curtain's components may listen, on a host in every group (modern profile, the roles' defaults):
# (local address, port) -> the component; "*" is every address. Anything else listening, outside the host's own
# sshd, dockerd and containerd (the host's, and the kubelet's own, whose CRI streaming server takes a loopback port),
# fails the test.
LISTENERS_ALLOWED = {
    ("127.0.0.1", 2379): "etcd", ("HOST", 2379): "etcd", ("HOST", 2380): "etcd",
    ("*", 6443): "kube-apiserver",
    ("127.0.0.1", 10257): "kube-controller-manager",
    ("127.0.0.1", 10259): "kube-scheduler",
    ("*", 10250): "kubelet", ("127.0.0.1", 10248): "kubelet",
    ("*", 10256): "kube-proxy", ("127.0.0.1", 10249): "kube-proxy",
}
LISTENERS_REQUIRED = {("127.0.0.1", 2379), ("HOST", 2379), ("HOST", 2380), ("*", 6443), ("127.0.0.1", 10257),
                      ("127.0.0.1", 10259), ("*", 10250), ("127.0.0.1", 10248), ("*", 10256), ("127.0.0.1", 10249)}
WILDCARDS = {"0.0.0.0", "*", "::", "[::]"}
# Docker's embedded DNS server, in the test host's own network namespace because the test host sits on a
# user-defined network; a real host has none.
TEST_HOST_DNS = "127.0.0.11"
HOST_OWN_PROCESSES = {"sshd", "dockerd", "containerd"}


def key_fragments(pem: str) -> list[str]:
    """What of a private key could show in output: its PEM body lines, and the middle of its base64 form as
    kubeconfigs embed it (the start is the PEM header, which is no secret). A body line that the public key's PEM
    holds too is public: an EC key's last line is its public point, which community.crypto's modules rightly
    print (`public_key`)."""
    public = load_pem_private_key(pem.encode(), password=None).public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    body = [line for line in pem.splitlines() if line and not line.startswith("-----") and line not in public]
    embedded = base64.b64encode(pem.encode()).decode()
    return [*body, embedded[64:128]]


def private_keys() -> dict[str, str]:
    """Every private key curtain made, on the host and on the controller: {where: PEM}."""
    keys = {}
    for path in host().check_output(SECRET_FILES_ON_HOST).split():
        keys[f"{HOST}:{path}"] = host().file(path).content_string
    for path in host().check_output(KUBECONFIGS_ON_HOST).split():
        for user in yaml.safe_load(host().file(path).content_string).get("users", []):
            if "client-key-data" in user["user"]:
                keys[f"{HOST}:{path}"] = base64.b64decode(user["user"]["client-key-data"]).decode()
    for path in (INVENTORY_DIR / "artifacts").rglob("*.key"):
        keys[str(path)] = path.read_text()
    return keys


def test_no_private_key_appears_in_the_output_of_the_verbose_diff_runs() -> None:
    log = LOG.read_text(errors="replace")
    converge = ("TASK [curtain.kube.etcd : Config | Put the certificates and keys, make the data directory and mark "
                "its cluster]")
    assert converge in log, "the log lacks the converge"
    assert "<curtain-site> EXEC" in log or "ESTABLISH" in log, "the log is not -vvv output"
    keys = private_keys()
    assert len(keys) >= 10, sorted(keys)
    leaked = {where: fragment for where, pem in keys.items() for fragment in key_fragments(pem) if fragment in log}
    assert leaked == {}


def test_keys_kubeconfigs_and_manifests_are_0600_and_data_directories_0700() -> None:
    files = host().check_output(
        f"{{ {SECRET_FILES_ON_HOST}; {KUBECONFIGS_ON_HOST}; find /etc/kubernetes/manifests -type f; }}"
        " | xargs stat -c '%a %n'").splitlines()
    assert len(files) >= 15, files
    assert [line for line in files if not line.startswith("600 ")] == []
    for directory in ("/var/lib/curtain/etcd", "/etc/curtain/pki/etcd", "/etc/kubernetes/pki",
                      "/etc/kubernetes/manifests", "/var/log/kubernetes/audit"):
        assert host().file(directory).mode == 0o700, directory
    assert (INVENTORY_DIR / "artifacts/admin.conf").stat().st_mode & 0o777 == 0o600


def test_no_container_of_ours_mounts_dev_and_only_the_kubelet_gets_a_device() -> None:
    """The host's /dev stays out of every container (the seed's mount broke new ptys on its author's host). The kubelet
    gets /dev/kmsg alone, which its OOM watcher reads. This scenario runs the capabilities mode (--privileged fails on
    these machines), so nothing here is privileged; the product's default for the kubelet is --privileged."""
    names = host().check_output("docker ps -q --filter label=io.curtain.managed-by=curtain").split()
    assert len(names) == 3, names  # etcd, the kubelet, kube-proxy; the static pods run in the kubelet's containerd
    for container in json.loads(host().check_output("docker inspect " + " ".join(sorted(names)))):
        assert not container["HostConfig"]["Privileged"], container["Name"]
        sources = [mount["Source"] for mount in container["Mounts"]]
        assert not [source for source in sources if source == "/dev" or source.startswith("/dev/")], container["Name"]
        devices = [device["PathOnHost"] for device in container["HostConfig"]["Devices"] or []]
        assert devices == (["/dev/kmsg"] if container["Name"] == "/curtain-kubelet" else []), container["Name"]


def listeners() -> set[tuple[str, int, str]]:
    """(local address, port, process) of every listening TCP socket on the host, from `ss`; "*" for every address."""
    found = set()
    for line in host().check_output("ss -Hltnp").splitlines():
        fields = line.split()
        address, _, port = fields[3].rpartition(":")
        process = re.search(r'users:\(\("([^"]+)"', line)
        where = "*" if address in WILDCARDS else address.strip("[]")
        found.add((where, int(port), process.group(1) if process else "?"))
    return found


def test_components_listen_only_where_the_profile_says() -> None:
    address = host().ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]

    def at(where: str) -> str:
        return address if where == "HOST" else where

    ours = {(where, port, process) for where, port, process in listeners()
            if process not in HOST_OWN_PROCESSES and where != TEST_HOST_DNS}
    listening = {(where, port) for where, port, _ in ours}
    assert listening - {(at(where), port) for where, port in LISTENERS_ALLOWED} == set(), sorted(ours)
    assert {(at(where), port) for where, port in LISTENERS_REQUIRED} - listening == set(), sorted(ours)

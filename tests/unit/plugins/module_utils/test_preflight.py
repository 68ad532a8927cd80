"""module_utils/preflight.py and filter/preflight.py: every check's ok, warn and fail paths, each message naming the
variable (or port and process) concerned, the table, the report, and the mirror of the roles' defaults."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from ansible_collections.curtain.kube.plugins.action.preflight import ActionModule as PreflightAction
from ansible_collections.curtain.kube.plugins.filter.preflight import FilterModule
from ansible_collections.curtain.kube.plugins.module_utils import etcd_plan as etcd_planner
from ansible_collections.curtain.kube.plugins.module_utils import hyperkube_master_plan as master_planner
from ansible_collections.curtain.kube.plugins.module_utils import kube_proxy, role_defaults
from ansible_collections.curtain.kube.plugins.module_utils import kube_proxy_plan as proxy_planner
from ansible_collections.curtain.kube.plugins.module_utils import preflight as pf
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import earlier_answer
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory

CA = "-----BEGIN CERTIFICATE-----\n" + base64.b64encode(b"our CA").decode() + "\n-----END CERTIFICATE-----\n"
CA_SHA = hashlib.sha256(b"our CA").hexdigest()
OTHER_SHA = hashlib.sha256(b"their CA").hexdigest()
KUBELET_ID = "k" * 64
APISERVER_ID = "a" * 64
FOREIGN_ID = "f" * 64
POD_CONTAINER_ID = "0a2be4dc" + "d" * 56  # a container of containerd's, in the kubelet container (not Docker's)

# node1 runs everything (etcd, control plane, kubelet, kube-proxy), node2 is etcd and a node, node3 is a node only;
# a node runs a kubelet (and kube-proxy) of its own.
GROUPS = pf.Groups.of({"etcd": ["node1", "node2"], "masters": ["node1"], "nodes": ["node2", "node3"]})
ALL_IN_ONE = pf.Groups.of({"etcd": ["node1"], "masters": ["node1"], "nodes": []})
# etcd-only runs etcd alone: no kubelet.
WITH_ETCD_ONLY = pf.Groups.of({"etcd": ["node1", "node2", "etcd-only"], "masters": ["node1"],
                               "nodes": ["node2", "node3"]})


def inputs(host: str = "node1", **variables: Any) -> pf.HostInputs:
    return pf.HostInputs.of(host, {"inventory_dir": "/inv", **variables})


def survey(**overrides: Any) -> dict[str, Any]:
    """A healthy host: Docker 24, cgroup v2, no swap, forwarding on, every port free, nothing on disk."""
    found: dict[str, Any] = {
        "time": 1000.0, "controller_time_before": 999.9, "controller_time_after": 1000.1,
        "docker": {"present": True, "client_version": "24.0.5", "server_version": "24.0.5", "error": None},
        "containers": [],
        "kernel": {"release": "6.1.0", "module_support": True, "modules": ["br_netfilter", "overlay"], "builtin": [],
                   "filesystems": ["overlay"]},
        "cgroup": {"version": 2, "controllers": ["cpu", "io", "memory", "pids"]},
        "sysctls": {"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1"},
        "swap": {"active": False, "areas": []},
        "ports": [],
        "paths": {},
    }
    found.update(overrides)
    return found


def listening(port: int, pid: int | None = 4242, process: str | None = "python3",
              container_id: str | None = None, in_pod: bool = False) -> dict[str, Any]:
    return {"port": port, "listening": True, "pid": pid, "process": process, "container_id": container_id,
            "in_pod": in_pod}


def free(port: int) -> dict[str, Any]:
    return {"port": port, "listening": False, "pid": None, "process": None, "container_id": None, "in_pod": False}


def container(container_id: str, name: str, **labels: str) -> dict[str, Any]:
    return {"id": container_id, "names": [name], "state": "running", "image": "x", "labels": labels}


CURTAIN_KUBELET = container(KUBELET_ID, "curtain-kubelet", **{"io.curtain.managed-by": "curtain",
                                                               "io.curtain.component": "kubelet"})
STATIC_APISERVER = container(APISERVER_ID, "k8s_kube-apiserver_kube-apiserver-node1_kube-system_1_0", **{
    "io.kubernetes.pod.namespace": "kube-system", "io.kubernetes.pod.name": "kube-apiserver-node1",
    "io.kubernetes.container.name": "kube-apiserver"})


def assert_check(check: pf.Check, status: str, *words: str) -> None:
    assert check.status == status, check
    for word in words:
        assert word in check.detail, (word, check.detail)


# --- the mirror of the roles' defaults ----------------------------------------------------------------------------
@pytest.mark.parametrize("variables,expected", [
    ({}, {"etcd_client_port": 2379, "etcd_peer_port": 2380, "hyperkube_master_etcd_port": 2379,
          "hyperkube_master_pki_controller_dir": "/inv/artifacts/pki/kubernetes"}),
    ({"etcd_profile": "seed", "hyperkube_master_profile": "seed"},
     {"etcd_client_port": 4001, "etcd_peer_port": 2380, "hyperkube_master_etcd_port": 4001}),
    ({"etcd_client_port": 12379, "hyperkube_master_etcd_port": 12379, "hyperkube_master_pki_controller_dir": "/p"},
     {"etcd_client_port": 12379, "hyperkube_master_etcd_port": 12379, "hyperkube_master_pki_controller_dir": "/p"}),
])
def test_host_inputs_take_the_roles_defaults_where_unset(variables, expected):
    taken = inputs(**variables)
    for name, value in expected.items():
        assert getattr(taken, name) == value


# --- what a host needs -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("variables,expected", [
    ({}, {2379: "etcd_client_port", 2380: "etcd_peer_port", 6443: "hyperkube_master_settings.secure_port",
          10248: "hyperkube_master_settings.kubelet_healthz_port", 10250: "", 10257: "", 10259: "",
          10256: "kube_proxy_settings.kube_proxy_healthz_bind_address",
          10249: "kube_proxy_settings.kube_proxy_metrics_bind_address"}),
    ({"etcd_profile": "seed", "hyperkube_master_profile": "seed", "kube_proxy_profile": "seed"},
     {4001: "etcd_client_port", 2380: "etcd_peer_port", 8080: "hyperkube_master_settings.insecure_port",
      10248: "", 10250: "", 10252: "", 10251: "", 10249: ""}),
    ({"hyperkube_master_settings": {"secure_port": 8443},
      "kube_proxy_settings": {"kube_proxy_metrics_bind_address": "127.0.0.1:19249"}, "etcd_client_port": "12379"},
     {12379: "etcd_client_port", 2380: "etcd_peer_port", 8443: "hyperkube_master_settings.secure_port",
      10248: "hyperkube_master_settings.kubelet_healthz_port", 10250: "", 10257: "", 10259: "",
      10256: "kube_proxy_settings.kube_proxy_healthz_bind_address",
      19249: "kube_proxy_settings.kube_proxy_metrics_bind_address"}),
])
def test_port_needs_of_a_host_that_runs_everything(variables, expected):
    needs = pf.port_needs("node1", inputs(**variables), ALL_IN_ONE)
    assert {need.port: need.variable for need in needs} == expected


def test_kube_proxy_ports_are_kube_proxy_modules_ports():
    for profile, settings in (("modern", {}), ("seed", {}),
                              ("modern", {"kube_proxy_healthz_bind_address": "0.0.0.0:20256"})):
        needs = pf.proxy_ports(inputs(kube_proxy_profile=profile, kube_proxy_settings=settings))
        assert sorted(need.port for need in needs) == kube_proxy.ports(profile, settings)


def test_components_by_group():
    assert GROUPS.runs("node1") == ["etcd", "control plane", "kubelet", "kube-proxy"]
    assert GROUPS.runs("node2") == ["etcd", "kubelet", "kube-proxy"]
    assert GROUPS.runs("node3") == ["kubelet", "kube-proxy"]
    assert WITH_ETCD_ONLY.runs("etcd-only") == ["etcd"]
    assert GROUPS.runs("elsewhere") == []


def test_the_kubelet_hosts_are_the_masters_then_the_nodes_each_once():
    assert GROUPS.kubelet_hosts == ["node1", "node2", "node3"]
    assert WITH_ETCD_ONLY.kubelet_hosts == ["node1", "node2", "node3"]
    assert pf.Groups.of({"masters": ["b", "a"], "nodes": ["a", "c"]}).kubelet_hosts == ["b", "a", "c"]
    assert pf.Groups.of({"etcd": ["a"]}).kubelet_hosts == []


def test_port_needs_of_a_node_are_its_kubelet_s_and_kube_proxy_s():
    needs = pf.port_needs("node3", inputs("node3"), GROUPS)
    assert {need.port: (need.component, need.variable) for need in needs} == {
        10248: ("kubelet healthz", "hyperkube_master_settings.kubelet_healthz_port"),
        10250: ("kubelet", ""),
        10256: ("kube-proxy healthz", "kube_proxy_settings.kube_proxy_healthz_bind_address"),
        10249: ("kube-proxy metrics", "kube_proxy_settings.kube_proxy_metrics_bind_address"),
    }
    # No control plane port: the apiserver, controller-manager and scheduler run on the masters alone.
    assert not {6443, 10257, 10259} & {need.port for need in needs}
    assert [need.port for need in pf.port_needs("etcd-only", inputs("etcd-only"), WITH_ETCD_ONLY)] == [2379, 2380]


def test_survey_request():
    request = pf.survey_request("node1", inputs(etcd_data_dir="/data/etcd/"), GROUPS)
    assert request["ports"] == sorted(request["ports"]) and 2379 in request["ports"]
    assert request["json_files"] == ["/data/etcd/cluster.json"]
    assert "/data/etcd/data/member" in request["paths"]
    assert {"/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/manifests", *pf.KUBEADM_FILES} <= set(request["paths"])
    node = pf.survey_request("node3", inputs("node3"), GROUPS)
    # A node's kubelet (10248 healthz, 10250) and kube-proxy (10249 metrics, 10256 healthz).
    assert node["json_files"] == [] and node["ports"] == [10248, 10249, 10250, 10256]
    assert "/etc/kubernetes/pki/ca.crt" not in node["paths"]


def _role_surveys(host: str, profile: str, groups: pf.Groups) -> list[dict[str, Any]]:
    """What each role's look on `host` asks, from each role's own planner with the roles' defaults and `profile`."""
    addresses = {name: {"name": name, "address": f"192.0.2.{index}"}
                 for index, name in enumerate(("node1", "node2", "node3"), 1)}
    inventory = Inventory(groups={"etcd": list(groups.etcd), "masters": list(groups.masters),
                                  "nodes": list(groups.nodes)},
                          master_hosts={name: addresses[name] for name in groups.masters}, own=addresses[host],
                          etcd_hosts={name: addresses[name] for name in groups.etcd})
    runs = groups.runs(host)
    made = []
    if "etcd" in runs:
        made.append(etcd_planner.plan(etcd_planner.default_inputs(host, "/inv", profile=profile), inventory).survey)
    if "kubelet" in runs:
        made.append(master_planner.plan(master_planner.default_inputs(host, "/inv", profile=profile,
                                                                      reference=profile), inventory).survey)
    if "kube-proxy" in runs:
        made.append(proxy_planner.plan(proxy_planner.default_inputs(host, "/inv", reference=profile),
                                       inventory).survey)
    return made


@pytest.mark.parametrize(("host", "profile", "groups"), [
    ("node1", "modern", GROUPS), ("node2", "modern", GROUPS), ("node3", "modern", GROUPS),
    ("node1", "seed", ALL_IN_ONE),  # the seed runs masters only
])
def test_the_survey_asks_all_that_the_roles_looks_ask(host: str, profile: str, groups: pf.Groups):
    """site.yml hands preflight's survey to the roles: it must ask what each role's planner has its look ask, or the
    role surveys the host again (as it does when the request differs: the answer is never a wrong one)."""
    variables = {f"{role}_profile": profile for role in ("etcd", "hyperkube_master", "kube_proxy")}
    # The kubelet's release source builds for the host's architecture: facts gathered, as preflight gathers them.
    request = pf.survey_request(host, inputs(host, ansible_facts={"architecture": "x86_64"}, **variables), groups)
    looks = _role_surveys(host, profile, groups)
    assert len(looks) == len(set(groups.runs(host)) & {"etcd", "kubelet", "kube-proxy"})
    for look in looks:
        assert earlier_answer(look, {"request": request}) is not None, (look, request)


def test_controller_ca_paths_of_the_masters_only():
    taken = {"node1": inputs(), "node2": inputs("node2", hyperkube_master_pki_controller_dir="/other")}
    assert pf.controller_ca_paths(["node1", "node2"], taken, GROUPS) == ["/inv/artifacts/pki/kubernetes/ca.crt"]


# --- host checks -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("docker,status,words", [
    ({"present": True, "client_version": "24.0.5", "server_version": "24.0.5", "error": None}, "ok", ["24.0.5"]),
    ({"present": True, "client_version": "28.2.2", "server_version": "20.10.24+dfsg1", "error": None}, "ok", []),
    ({"present": False, "error": "the docker command is not on PATH"}, "fail", ["docker CLI", "20.10"]),
    ({"present": True, "server_version": None, "error": "Cannot connect to the Docker daemon"}, "fail",
     ["Cannot connect", "start dockerd"]),
    ({"present": True, "server_version": "19.03.15", "error": None}, "fail", ["19.03.15", "older than 20.10"]),
    ({"present": True, "server_version": "nonsense", "error": None}, "fail", ["nonsense"]),
])
def test_docker_check(docker, status, words):
    assert_check(pf.docker_check("node1", survey(docker=docker)), status, *words)


@pytest.mark.parametrize("kernel,words", [
    ({"release": "6.1.0", "module_support": True, "modules": ["overlay"], "builtin": ["br_netfilter"]},
     ["6.1.0", "br_netfilter, overlay"]),
    ({"release": "6.18.44", "module_support": False, "modules": [], "builtin": []}, ["built in"]),
])
def test_kernel_check(kernel, words):
    assert_check(pf.kernel_check("node1", survey(kernel=kernel)), "ok", *words)


@pytest.mark.parametrize("host,cgroup,variables,status,words", [
    ("node1", {"version": 2, "controllers": ["cpu", "memory", "pids"]}, {}, "ok", ["cgroup v2"]),
    ("node1", {"version": 1, "controllers": ["cpu", "memory", "pids"]}, {}, "fail",
     ["cgroup v1", "failCgroupV1", "hyperkube_master_settings.fail_cgroup_v1: false"]),
    ("node1", {"version": 1, "controllers": ["cpu", "memory", "pids"]},
     {"hyperkube_master_settings": {"fail_cgroup_v1": True}}, "fail", ["cgroup v1", "failCgroupV1"]),
    ("node1", {"version": 1, "controllers": ["cpu", "memory", "pids"]},
     {"hyperkube_master_settings": {"fail_cgroup_v1": False}}, "warn",
     ["cgroup v1", "unless fail_cgroup_v1 is false"]),
    # A string from the command line (-e) reads as the boolean it spells.
    ("node1", {"version": 1, "controllers": ["cpu", "memory", "pids"]},
     {"hyperkube_master_settings": {"fail_cgroup_v1": "False"}}, "warn", ["cgroup v1"]),
    # Another setting is wrong (the master settings check says so): the fail_cgroup_v1 given still counts.
    ("node1", {"version": 1, "controllers": ["cpu", "memory", "pids"]},
     {"hyperkube_master_settings": {"servce_cidr": "10.0.0.0/16", "fail_cgroup_v1": False}}, "warn", ["cgroup v1"]),
    # The kubelet flag is fail_cgroup_v1's now (the master settings check refuses it): it does not count here.
    ("node1", {"version": 1, "controllers": ["cpu", "memory", "pids"]},
     {"hyperkube_master_settings": {"extra_flags": {"kubelet": {"fail-cgroupv1": False}}}}, "fail",
     ["cgroup v1", "hyperkube_master_settings.fail_cgroup_v1: false"]),
    ("node1", {"version": 1, "controllers": ["cpu"]}, {"hyperkube_master_profile": "seed"}, "warn",
     ["cgroup v1", "missing controllers: memory, pids"]),
    # A node's kubelet refuses cgroup v1 as a master's does, and needs the same controllers.
    ("node2", {"version": 1, "controllers": ["cpu", "memory", "pids"]}, {}, "fail",
     ["cgroup v1", "failCgroupV1", "hyperkube_master_settings.fail_cgroup_v1: false"]),
    ("node3", {"version": 1, "controllers": ["cpu", "memory", "pids"]},
     {"hyperkube_master_settings": {"fail_cgroup_v1": False}}, "warn", ["cgroup v1"]),
    ("node1", {"version": 2, "controllers": ["cpu", "pids"]}, {}, "warn", ["memory"]),
    ("node3", {"version": 2, "controllers": ["cpu"]}, {}, "warn", ["memory, pids", "the kubelet cannot account"]),
    # etcd alone runs no kubelet: cgroup v1 is a warning, and no controller is needed.
    ("etcd-only", {"version": 1, "controllers": ["cpu", "memory", "pids"]}, {}, "warn", ["cgroup v1"]),
    ("etcd-only", {"version": 2, "controllers": ["cpu"]}, {}, "ok", []),
])
def test_cgroup_check(host, cgroup, variables, status, words):
    assert_check(pf.cgroup_check(host, survey(cgroup=cgroup), inputs(host, **variables), WITH_ETCD_ONLY), status,
                 *words)


SWAP = {"active": True, "areas": [{"filename": "/swapfile", "type": "file", "size_kb": 2097152, "used_kb": 0}]}


@pytest.mark.parametrize("host,swap,variables,status,words", [
    ("node1", {"active": False, "areas": []}, {}, "ok", ["no swap"]),
    ("node1", SWAP, {}, "fail", ["/swapfile (2048 MiB)", "hyperkube_master_settings.fail_swap_on", "swapoff"]),
    ("node1", SWAP, {"hyperkube_master_settings": {"fail_swap_on": False}}, "warn", ["fail_swap_on is false"]),
    ("node1", SWAP, {"hyperkube_master_profile": "seed"}, "warn", ["/swapfile"]),
    # A node's kubelet refuses swap as a master's does.
    ("node2", SWAP, {}, "fail", ["/swapfile (2048 MiB)", "hyperkube_master_settings.fail_swap_on", "swapoff"]),
    ("node3", SWAP, {"hyperkube_master_settings": {"fail_swap_on": False}}, "warn", ["fail_swap_on is false"]),
    ("etcd-only", SWAP, {}, "ok", ["no kubelet"]),
])
def test_swap_check(host, swap, variables, status, words):
    assert_check(pf.swap_check(host, survey(swap=swap), inputs(host, **variables), WITH_ETCD_ONLY), status, *words)


@pytest.mark.parametrize("host,sysctls,kernel,expected", [
    ("node3", {"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1"}, None,
     {"ip_forward": "ok", "br_netfilter": "ok", "overlay": "ok"}),
    ("node3", {"net.ipv4.ip_forward": "0", "net.bridge.bridge-nf-call-iptables": None}, None,
     {"ip_forward": "warn", "br_netfilter": "warn", "overlay": "ok"}),
    ("node3", {"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "0"},
     {"modules": [], "filesystems": []}, {"ip_forward": "ok", "br_netfilter": "warn", "overlay": "warn"}),
    # etcd alone forwards nothing and bridges nothing
    ("etcd-only", {"net.ipv4.ip_forward": "0", "net.bridge.bridge-nf-call-iptables": None}, None,
     {"ip_forward": "ok", "br_netfilter": "ok", "overlay": "ok"}),
])
def test_network_checks(host, sysctls, kernel, expected):
    groups = pf.Groups.of({"etcd": ["etcd-only"], "masters": ["node1"], "nodes": ["node3"]})
    found = survey(sysctls=sysctls, **({"kernel": kernel} if kernel else {}))
    checks = {check.check: check for check in pf.network_checks(host, found, groups)}
    assert {name: check.status for name, check in checks.items()} == expected
    if expected["ip_forward"] == "warn":
        assert "net.ipv4.ip_forward is 0" in checks["ip_forward"].detail
    if expected["br_netfilter"] == "warn":
        assert "bridge-nf-call-iptables" in checks["br_netfilter"].detail
    if expected["overlay"] == "warn":
        assert "overlay2" in checks["overlay"].detail


ETCD_CLIENT = pf.PortNeed(2379, "etcd client", "etcd_client_port")
APISERVER = pf.PortNeed(6443, "kube-apiserver", "hyperkube_master_settings.secure_port")
SCHEDULER = pf.PortNeed(10259, "kube-scheduler", "")


@pytest.mark.parametrize("needs,owners,containers,status,words", [
    ([ETCD_CLIENT], [free(2379)], [], "ok", ["port 2379", "etcd_client_port", "free"]),
    ([ETCD_CLIENT], [listening(2379, container_id="e" * 64)],
     [container("e" * 64, "curtain-etcd", **{"io.curtain.managed-by": "curtain", "io.curtain.component": "etcd"})],
     "ok", ["held by curtain's etcd", "curtain-etcd"]),
    ([APISERVER], [listening(6443, process="kube-apiserver", container_id=APISERVER_ID)],
     [CURTAIN_KUBELET, STATIC_APISERVER], "ok", ["curtain's kube-apiserver"]),
    ([APISERVER], [listening(6443, process="kube-apiserver", container_id=APISERVER_ID)],
     [container(APISERVER_ID, "k8s_kube-apiserver", **{"app.kubernetes.io/managed-by": "curtain"})], "ok",
     ["curtain's"]),
    # the seed's master pod, run by curtain's 1.1 kubelet in Docker, which labels it <namespace>/<name>
    ([APISERVER], [listening(6443, process="hyperkube", container_id=APISERVER_ID)],
     [CURTAIN_KUBELET, container(APISERVER_ID, "k8s_apiserver.ab5d15a4_k8s-master-127.0.0.1_default_7d44_c479abc8",
                                 **{"io.kubernetes.pod.name": "default/k8s-master-127.0.0.1"})],
     "ok", ["curtain's k8s_apiserver"]),
    ([APISERVER], [listening(6443, pid=31, process="hyperkube", container_id=APISERVER_ID)],
     [CURTAIN_KUBELET, container(APISERVER_ID, "k8s_apiserver.ab5d15a4_their-pod-127.0.0.1_default_7d44_c479abc8",
                                 **{"io.kubernetes.pod.name": "default/their-pod-127.0.0.1"})],
     "fail", ["which curtain did not create"]),
    # the same static pod without curtain's kubelet on the host: another cluster's (kubeadm's) apiserver
    ([APISERVER], [listening(6443, pid=31, process="kube-apiserver", container_id=APISERVER_ID)],
     [STATIC_APISERVER], "fail",
     ["port 6443", "kube-apiserver (pid 31)", "which curtain did not create", "hyperkube_master_settings.secure_port"]),
    ([ETCD_CLIENT], [listening(2379, pid=4242, process="python3")], [], "fail",
     ["port 2379 is in use by python3 (pid 4242)", "etcd client needs it", "set etcd_client_port to another port"]),
    ([ETCD_CLIENT], [listening(2379, pid=7, process="etcd", container_id=FOREIGN_ID)],
     [container(FOREIGN_ID, "their-etcd")], "fail", ["etcd (pid 7)", "their-etcd", "which curtain did not create"]),
    ([ETCD_CLIENT], [listening(2379, pid=7, process="etcd", container_id=FOREIGN_ID)], [], "fail",
     [f"in container {FOREIGN_ID[:12]}"]),
    ([ETCD_CLIENT], [listening(2379, pid=None, process=None)], [], "fail",
     ["cannot see", "become", "etcd_client_port"]),
    ([SCHEDULER], [listening(10259, process="nginx")], [], "fail", ["nginx", "the profile fixes this port"]),
    # modern: the static pods run in the containerd of curtain's kubelet container, not in Docker; the process's
    # cgroup is under kubepods (in_pod) and its container is not one of Docker's.
    ([SCHEDULER], [listening(10259, process="kube-scheduler", container_id=POD_CONTAINER_ID, in_pod=True)],
     [CURTAIN_KUBELET], "ok",
     ["port 10259 (kube-scheduler) is held by kube-scheduler", "in a pod of curtain's kubelet"]),
    # the same without curtain's kubelet: another kubelet's pod (kind's, kubeadm's), or one left behind
    ([SCHEDULER], [listening(10259, pid=51, process="kube-scheduler", container_id=POD_CONTAINER_ID, in_pod=True)],
     [], "fail", ["kube-scheduler (pid 51)", f"in container {POD_CONTAINER_ID[:12]}", "the profile fixes this port"]),
    ([SCHEDULER], [listening(10259, pid=51, process="kube-scheduler", container_id=POD_CONTAINER_ID, in_pod=True)],
     [container("c" * 64, "kindest-control-plane", **{"io.x-k8s.kind.role": "control-plane"})], "fail",
     ["kube-scheduler (pid 51)"]),
    # a pod's cgroup, but the container is a Docker container curtain did not create: not ours
    ([SCHEDULER], [listening(10259, pid=51, process="kube-scheduler", container_id=FOREIGN_ID, in_pod=True)],
     [CURTAIN_KUBELET, container(FOREIGN_ID, "their-scheduler")], "fail",
     ["their-scheduler", "which curtain did not create"]),
    # curtain's kubelet runs, but the process is in no pod
    ([SCHEDULER], [listening(10259, pid=51, process="kube-scheduler", container_id=POD_CONTAINER_ID)],
     [CURTAIN_KUBELET], "fail", ["kube-scheduler (pid 51)", f"in container {POD_CONTAINER_ID[:12]}"]),
    ([ETCD_CLIENT], [], [], "warn", ["not surveyed"]),
    ([ETCD_CLIENT, pf.PortNeed(2379, "kube-apiserver", "hyperkube_master_settings.secure_port")], [free(2379)], [],
     "fail", ["needed by both", "etcd_client_port", "hyperkube_master_settings.secure_port"]),
])
def test_port_checks(needs, owners, containers, status, words):
    (check,) = pf.port_checks("node1", needs, survey(ports=owners, containers=containers))
    assert check.check == f"port {needs[0].port}"
    assert_check(check, status, *words)


@pytest.mark.parametrize("times,status,words", [
    ((1000.0, 999.9, 1000.1), "ok", ["within"]),
    ((1002.0, 999.9, 1000.1), "warn", ["2.0 s ahead of", "1 s"]),
    ((960.0, 999.9, 1000.1), "fail", ["40.0 s behind", "30 s", "not yet valid"]),
    ((1040.0, 999.9, 1000.1), "fail", ["40.0 s ahead of"]),
    ((1001.5, 999.0, 1001.0), "ok", ["within"]),  # 1.5 s off, but ±1 s: only 0.5 s is certain
    ((1032.0, 998.0, 1002.0), "warn", ["±2.0 s"]),  # 32 s off, 30 s certain: not above the failure threshold
])
def test_clock_check(times, status, words):
    host_time, before, after = times
    found = survey(time=host_time, controller_time_before=before, controller_time_after=after)
    assert_check(pf.clock_check("node1", found), status, *words)


def test_clock_check_without_the_controller_times():
    found = survey()
    del found["controller_time_before"]
    assert_check(pf.clock_check("node1", found), "warn", "action plugin")


MEMBER = "/var/lib/curtain/etcd/data/member"
MARKER = "/var/lib/curtain/etcd/cluster.json"


@pytest.mark.parametrize("paths,status,words", [
    ({}, "ok", ["no etcd data", "etcd_data_dir"]),
    ({MARKER: {"exists": True, "json": {"cluster_token": "curtain-etcd"}}, MEMBER: {"exists": True}}, "ok",
     ["etcd_cluster_token='curtain-etcd'"]),
    ({MARKER: {"exists": True, "json": {"cluster_token": "theirs"}}, MEMBER: {"exists": True}}, "fail",
     ["cluster token 'theirs'", "etcd_cluster_token='curtain-etcd'", "etcd_data_dir", "Nothing was changed"]),
    ({MEMBER: {"exists": True}}, "fail", [MEMBER, "without curtain's marker", "Nothing was changed"]),
    ({MARKER: {"exists": True, "json_error": "not JSON: Expecting value"}}, "fail", ["not JSON", MARKER]),
])
def test_etcd_data_check(paths, status, words):
    assert_check(pf.etcd_data_check("node1", survey(paths=paths), inputs()), status, *words)


HOST_CA = "/etc/kubernetes/pki/ca.crt"
CONTROLLER_CA = "/inv/artifacts/pki/kubernetes/ca.crt"


@pytest.mark.parametrize("on_host,controller,status,words", [
    ({"exists": False}, {CONTROLLER_CA: CA_SHA}, "ok", ["no /etc/kubernetes/pki/ca.crt"]),
    ({"exists": True, "certificate_sha256": CA_SHA}, {CONTROLLER_CA: CA_SHA}, "ok", [CONTROLLER_CA]),
    ({"exists": True, "certificate_sha256": OTHER_SHA}, {CONTROLLER_CA: CA_SHA}, "fail",
     [HOST_CA, "hyperkube_master_pki_controller_dir", OTHER_SHA[:16], CA_SHA[:16], "Nothing was changed"]),
    ({"exists": True, "certificate_sha256": None}, {CONTROLLER_CA: CA_SHA}, "fail", ["not a certificate"]),
    ({"exists": True, "certificate_sha256": OTHER_SHA}, {}, "warn",
     ["hyperkube_master_pki_controller_dir", "new CA"]),
])
def test_cluster_ca_check(on_host, controller, status, words):
    found = survey(paths={HOST_CA: on_host})
    assert_check(pf.cluster_ca_check("node1", found, inputs(), controller), status, *words)


@pytest.mark.parametrize("host,paths,expected", [
    ("node1", {}, {"other installers": "ok"}),
    ("node1", {"/etc/kubernetes/manifests/etcd.yaml": {"exists": True}, "/var/lib/etcd/member": {"exists": True}},
     {"other installers": "fail"}),
    ("node1", {"/etc/kubernetes/manifests": {"exists": True, "entries": ["kube-apiserver.yaml", "master.json"]}},
     {"other installers": "ok"}),
    ("node1", {"/etc/kubernetes/manifests": {"exists": True, "entries": ["kube-apiserver.yaml", "nginx.yaml"]}},
     {"other installers": "ok", "manifest dir": "warn"}),
    # a node runs no kubelet of ours: its manifest directory is not looked at
    ("node3", {"/etc/kubernetes/manifests": {"exists": True, "entries": ["nginx.yaml"]}}, {"other installers": "ok"}),
])
def test_leftover_checks(host, paths, expected):
    checks = {check.check: check for check in pf.leftover_checks(host, survey(paths=paths), inputs(host), GROUPS)}
    assert {name: check.status for name, check in checks.items()} == expected
    if expected["other installers"] == "fail":
        detail = checks["other installers"].detail
        assert "/etc/kubernetes/manifests/etcd.yaml (kubeadm's etcd static pod)" in detail
        assert "/var/lib/etcd/member" in detail and "Nothing was changed" in detail
    if "manifest dir" in expected:
        assert "nginx.yaml" in checks["manifest dir"].detail
        assert "hyperkube_master_settings.manifest_dir" in checks["manifest dir"].detail


# --- profiles and settings ---------------------------------------------------------------------------------------
def _by_check(checks: list[pf.Check]) -> dict[str, list[pf.Check]]:
    grouped: dict[str, list[pf.Check]] = {}
    for check in checks:
        grouped.setdefault(check.check, []).append(check)
    return grouped


@pytest.mark.parametrize("host,variables,check,status,words", [
    ("node1", {}, "profiles", "ok", ["modern"]),
    ("node1", {"etcd_profile": "seed", "etcd_client_port": 2379}, "profiles", "fail",
     ["etcd_profile=seed", "hyperkube_master_profile=modern", "kube_proxy_profile=modern", "disagree"]),
    ("node1", {"etcd_profile": "future"}, "profiles", "fail", ["etcd_profile 'future'"]),
    ("node1", {"hyperkube_master_profile": "modern@v9.9.9"}, "profiles", "fail",
     ["hyperkube_master_profile", "v9.9.9"]),
    ("node1", {"hyperkube_master_profile": "modern@v1.36.3"}, "profiles", "fail",
     ["kube_proxy_profile=modern (v1.37.2)", "must not be newer"]),
    ("node1", {"kube_proxy_profile": "modern@v1.36.3"}, "profiles", "warn", ["older than the apiserver"]),
    ("node1", {"kube_proxy_mode": "nftables"}, "kube-proxy mode", "ok", ["nftables"]),
    ("node1", {"kube_proxy_mode": "ipvs"}, "kube-proxy mode", "warn", ["kube_proxy_mode=ipvs", "deprecated"]),
    ("node1", {"kube_proxy_mode": "userspace"}, "kube-proxy mode", "fail", ["kube_proxy_mode", "userspace"]),
    ("node1", {"hyperkube_master_settings": {"secure_prot": 1}}, "master settings", "fail",
     ["hyperkube_master_settings", "secure_prot"]),
    ("node1", {"hyperkube_master_settings": "not a mapping"}, "master settings", "fail",
     ["hyperkube_master_settings"]),
    ("node1", {}, "master settings", "ok", []),
    ("node3", {"kube_proxy_deployment": "static_pod"}, "kube-proxy settings", "fail",
     ["kube_proxy_deployment", "node3"]),
    ("node3", {"kube_proxy_settings": {"kube_proxy_healthz_bind_address": "nowhere"}}, "kube-proxy settings", "fail",
     ["kube_proxy_settings", "kube_proxy_healthz_bind_address"]),
    ("node3", {"kube_proxy_profile": "seed", "hyperkube_master_profile": "seed", "etcd_profile": "seed"},
     "kube-proxy settings", "fail", ["node3 is not a master"]),
    ("node2", {"etcd_client_port": "twenty"}, "etcd settings", "fail", ["etcd_client_port='twenty'"]),
    ("node1", {"hyperkube_master_version": "v1.34.0"}, "profiles", "fail",
     ["hyperkube_master_version 'v1.34.0'", "not pinned in profile modern", "v1.36.3, v1.37.2"]),
    ("node3", {"kube_proxy_version": "v1.99.0"}, "profiles", "fail", ["kube_proxy_version 'v1.99.0'", "not pinned"]),
    ("node1", {"hyperkube_master_version": "v1.36.3", "kube_proxy_version": "v1.36.3"}, "profiles", "ok",
     ["modern"]),
    ("node1", {"hyperkube_master_version": "v1.36.3"}, "profiles", "fail",
     ["hyperkube_master_profile=modern@v1.36.3 (v1.36.3)", "must not be newer"]),
    ("node1", {"hyperkube_master_settings": {"extra_flags": {"kubelet": {"containerized": True}}}}, "master settings",
     "fail", ["hyperkube_master_settings.extra_flags.kubelet: kubelet v1.37.2 has no flag --containerized",
              "removed in 1.16", "managed by the setting 'kubelet_containerized'"]),
    ("node1", {"hyperkube_master_version": "v1.36.3",
               "hyperkube_master_settings": {"extra_flags": {"kube-apiserver": {"enable-swagger-ui": True}}}},
     "master settings", "fail", ["extra_flags.kube-apiserver: kube-apiserver v1.36.3 has no flag --enable-swagger-ui"]),
    # The kubelet's cgroup and runtime flags belong to settings (fail_cgroup_v1 decides the cgroup check too).
    ("node1", {"hyperkube_master_settings": {"extra_flags": {"kubelet": {"fail-cgroupv1": False}}}},
     "master settings", "fail", ["hyperkube_master_settings", "extra_flags.kubelet",
                                 "--fail-cgroupv1 is managed by the setting 'fail_cgroup_v1'"]),
    ("node1", {"hyperkube_master_settings": {"extra_flags": {"kubelet": {"cgroup-root": "/curtain"}}}},
     "master settings", "fail", ["--cgroup-root is managed by the setting 'cgroup_root'"]),
    ("node1", {"hyperkube_master_settings": {"extra_flags": {"kubelet": {"cgroup-driver": "systemd"}}}},
     "master settings", "fail", ["--cgroup-driver is managed by the setting 'cgroup_driver'"]),
    ("node1", {"hyperkube_master_settings": {"extra_flags": {"kubelet": {
        "container-runtime-endpoint": "unix:///run/containerd/containerd.sock"}}}},
     "master settings", "fail",
     ["--container-runtime-endpoint is managed by the setting 'container_runtime_endpoint'"]),
    ("node1", {"hyperkube_master_settings": {"fail_cgroup_v1": False, "cgroup_root": "/curtain"}},
     "master settings", "ok", []),
    ("node3", {"kube_proxy_settings": {"extra_flags": {"kube-proxy": {"resource-container": ""}}}},
     "kube-proxy settings", "fail", ["kube_proxy_settings.extra_flags.kube-proxy", "no flag --resource-container"]),
])
def test_profile_checks(host, variables, check, status, words):
    found = _by_check(pf.profile_checks(host, inputs(host, **variables), GROUPS))
    assert check in found, found
    assert_check(found[check][0], status, *words)


def test_a_profile_that_does_not_resolve_is_reported_once():
    found = _by_check(pf.profile_checks("node1", inputs("node1", hyperkube_master_version="v1.34.0"), GROUPS))
    assert [check.status for check in found["profiles"]] == ["fail"]
    assert "master settings" not in found  # not a second message blaming hyperkube_master_settings


def test_a_node_s_kubelet_settings_are_checked_as_a_master_s():
    """The hyperkube_master role runs the kubelet on a node from the same hyperkube_master_settings."""
    (check,) = _by_check(pf.profile_checks("node3", inputs("node3"), GROUPS))["master settings"]
    assert_check(check, "ok")
    found = _by_check(pf.profile_checks("node3", inputs("node3", hyperkube_master_settings={"fail_swap_of": False}),
                                        GROUPS))
    assert_check(found["master settings"][0], "fail", "hyperkube_master_settings", "fail_swap_of")


def test_a_host_without_a_kubelet_has_no_master_settings_check():
    found = _by_check(pf.profile_checks("etcd-only", inputs("etcd-only", hyperkube_master_settings={"bogus": 1}),
                                        WITH_ETCD_ONLY))
    assert "master settings" not in found


@pytest.mark.parametrize("host,settings,words", [
    # The kubelet's default maxPods (110) does not fit the 61 pod addresses of a /26.
    ("node1", {"node_cidr_mask_size": 26},
     ["node_cidr_mask_size: a /26 leaves 61 pod addresses per node, fewer than max_pods (110)"]),
    ("node3", {"node_cidr_mask_size": 25, "max_pods": 200},
     ["node_cidr_mask_size: a /25 leaves 125 pod addresses per node, fewer than max_pods (200)"]),
    ("node1", {"pod_cidr": "10.244.0.0/16", "node_cidr_mask_size": 12},
     ["node_cidr_mask_size: /12 must be between pod_cidr's /16 and /30"]),
])
def test_node_subnets_that_do_not_fit_are_refused_by_the_master_settings_check(host, settings, words):
    found = _by_check(pf.profile_checks(host, inputs(host, hyperkube_master_settings=settings), GROUPS))
    assert_check(found["master settings"][0], "fail", "hyperkube_master_settings", *words)


@pytest.mark.parametrize("settings", [{"node_cidr_mask_size": 26, "max_pods": 61}, {"node_cidr_mask_size": 25},
                                      {"pod_cidr": "fd00:10:244::/56"}])
def test_node_subnets_that_hold_max_pods_pass_the_master_settings_check(settings):
    found = _by_check(pf.profile_checks("node3", inputs("node3", hyperkube_master_settings=settings), GROUPS))
    assert_check(found["master settings"][0], "ok")


# --- the inventory -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("etcd,masters,expected", [
    (["a", "b", "c"], ["a"], {"etcd members": ("ok", "tolerates 1"), "masters": ("ok", "1 master")}),
    ([], ["a"], {"etcd members": ("fail", "etcd_group"), "masters": ("ok", "")}),
    (["a", "b"], ["a"], {"etcd members": ("warn", "odd number"), "masters": ("ok", "")}),
    ([f"h{index}" for index in range(9)], ["h0"], {"etcd members": ("warn", "at most 7"), "masters": ("ok", "")}),
    (["a"], [], {"etcd members": ("ok", ""), "masters": ("fail", "hyperkube_master_group")}),
])
def test_group_size_checks(etcd, masters, expected):
    checks = pf.group_size_checks(pf.Groups.of({"etcd": etcd, "masters": masters}))
    assert {check.check: check.status for check in checks} == {name: value[0] for name, value in expected.items()}
    for check in checks:
        assert expected[check.check][1] in check.detail


FACTS = {"ansible_facts": {"default_ipv4": {"address": "10.0.0.1"}}}


@pytest.mark.parametrize("hostvars,play_hosts,status,words", [
    ({"a": {"etcd_advertise_address": "10.0.0.1"}, "b": {"ansible_host": "10.0.0.2"}}, ["a", "b"], "ok",
     ["a 10.0.0.1", "b 10.0.0.2"]),
    ({"a": FACTS, "b": {"etcd_advertise_address": "10.0.0.2"}}, ["a", "b"], "ok", ["a 10.0.0.1"]),
    ({"a": FACTS, "b": {"ansible_host": "node-b.example"}}, ["a"], "fail",
     ["etcd_advertise_address is not set for host b", "outside this run's --limit"]),
    ({"a": FACTS, "b": {"ansible_host": "node-b.example"}}, ["a", "b"], "fail", ["host b"]),
    ({"a": {"etcd_advertise_address": "node-a"}, "b": FACTS}, ["a", "b"], "fail",
     ["etcd_advertise_address of a is 'node-a', not an IP address"]),
    ({"a": FACTS, "b": FACTS}, ["a", "b"], "fail", ["a and b share the address 10.0.0.1 (etcd_advertise_address)"]),
])
def test_address_checks(hostvars, play_hosts, status, words):
    groups = pf.Groups.of({"etcd": ["a", "b"]})
    (check,), _ = pf.address_checks(groups, hostvars, play_hosts)
    assert check.check == "etcd addresses"
    assert_check(check, status, *words)
    assert "outside this run" not in check.detail or "b" not in play_hosts


def test_a_node_s_address_is_checked_as_a_master_s():
    groups = pf.Groups.of({"etcd": ["m"], "masters": ["m"], "nodes": ["m", "n1", "n2"]})
    hostvars = {"m": {"etcd_advertise_address": "10.0.0.1", "kube_advertise_address": "10.0.0.1"},
                "n1": {"kube_advertise_address": "10.0.0.2"}, "n2": {"ansible_host": "10.0.0.3"}}
    checks, everyone = pf.address_checks(groups, hostvars, ["m", "n1", "n2"])
    found = {check.check: check for check in checks}
    assert list(found) == ["etcd addresses", "master addresses", "node addresses"]
    # m is a master that is a node too: its address is the master's, not listed twice.
    assert_check(found["node addresses"], "ok", "n1 10.0.0.2, n2 10.0.0.3")
    assert "m " not in found["node addresses"].detail
    assert everyone["n2 (kube_advertise_address)"] == "10.0.0.3"


@pytest.mark.parametrize("hostvars,play_hosts,words", [
    ({"n1": {"ansible_host": "node-1.example"}}, ["m"],
     ["kube_advertise_address is not set for host n1", "n1 is outside this run's --limit"]),
    ({"n1": {"kube_advertise_address": "node-1"}}, ["m", "n1"],
     ["kube_advertise_address of n1 is 'node-1', not an IP address"]),
    ({"n1": {"kube_advertise_address": "10.0.0.7"}, "n2": {"kube_advertise_address": "10.0.0.7"}}, ["m", "n1", "n2"],
     ["n1 and n2 share the address 10.0.0.7 (kube_advertise_address): each needs its own"]),
])
def test_node_addresses_that_cannot_be_used_fail_naming_kube_advertise_address(hostvars, play_hosts, words):
    groups = pf.Groups.of({"masters": ["m"], "nodes": ["n1", "n2"]})
    every = {"m": {"kube_advertise_address": "10.0.0.1"}, "n2": {"kube_advertise_address": "10.0.0.3"}, **hostvars}
    checks, _ = pf.address_checks(groups, every, play_hosts)
    assert_check({check.check: check for check in checks}["node addresses"], "fail", *words)


def test_node_names_of_every_kubelet_host_are_checked():
    groups = pf.Groups.of({"etcd": ["Etcd_Only"], "masters": ["m1"], "nodes": ["Node_2", "n3"]})
    check = pf.node_name_check(groups, {"n3": {"kube_node_name": "N3"}})
    assert check.check == "node names"
    assert_check(check, "fail", "Node_2: node name 'Node_2' has capital letters",
                 "the inventory name (set kube_node_name)", "n3: node name 'N3' has capital letters",
                 "kube_node_name must be a lower-case DNS subdomain")
    assert "Etcd_Only" not in check.detail  # etcd alone registers no Node
    ok = pf.node_name_check(groups, {"Node_2": {"kube_node_name": "node-2"}})
    assert_check(ok, "ok", "every kubelet host's node name is a lower-case DNS subdomain")
    assert pf.node_name_check(pf.Groups.of({"etcd": ["E_1"]}), {}) is None


@pytest.mark.parametrize("taint", [True, "true", "yes", None])
def test_a_master_in_nodes_with_the_control_plane_taint_fails_the_kubelet_groups_check(taint):
    groups = pf.Groups.of({"etcd": ["a"], "masters": ["a", "b"], "nodes": ["a", "c"]})
    hostvars = {} if taint is None else {"a": {"hyperkube_master_control_plane_taint": taint}}  # None: the default
    check = pf.kubelet_group_check(groups, hostvars)
    assert check is not None and check.check == "kubelet groups" and check.host == pf.INVENTORY
    assert_check(check, "fail", "a is in both 'masters' and 'nodes'", "hyperkube_master_control_plane_taint is true",
                 "set hyperkube_master_control_plane_taint: false for it", "take it out of 'nodes'")
    assert "b " not in check.detail and "c " not in check.detail


@pytest.mark.parametrize("taint", [False, "false", "False", "no"])
def test_a_master_in_nodes_without_the_control_plane_taint_takes_workloads(taint):
    groups = pf.Groups.of({"etcd": ["a"], "masters": ["a", "b"], "nodes": ["a", "c"]})
    assert pf.kubelet_group_check(groups, {"a": {"hyperkube_master_control_plane_taint": taint}}) is None


def test_the_kubelet_groups_check_is_silent_when_masters_and_nodes_are_apart():
    assert pf.kubelet_group_check(GROUPS, {}) is None
    assert pf.kubelet_group_check(ALL_IN_ONE, {}) is None


def test_the_kubelet_groups_check_names_the_groups_the_inventory_uses():
    """hyperkube_master_group (and the nodes' group) under other names: the check reads those groups."""
    names = {"etcd": "kv", "masters": "cp", "nodes": "workers"}
    apart = pf.Groups.of({"kv": ["a"], "cp": ["a"], "workers": ["b"]}, names)
    assert pf.kubelet_group_check(apart, {}) is None
    both = pf.Groups.of({"kv": ["a"], "cp": ["a"], "workers": ["a", "b"]}, names)
    check = pf.kubelet_group_check(both, {})
    assert check is not None
    assert_check(check, "fail", "a is in both 'cp' and 'workers'", "take it out of 'workers'")
    assert "neither" not in check.detail


def test_evaluate_reports_the_kubelet_groups_check():
    hostvars = _hostvars()
    groups = pf.Groups.of({"etcd": ["node1", "node2"], "masters": ["node1"], "nodes": ["node1", "node2", "node3"]})
    checks = pf.evaluate(hosts=["node1", "node2", "node3"], hostvars=hostvars, groups=groups,
                         surveys={host: survey() for host in hostvars}, active=["node1", "node2", "node3"],
                         controller_cas={})
    (check,) = [check for check in checks if check.check == "kubelet groups"]
    assert_check(check, "fail", "node1 is in both 'masters' and 'nodes'")
    hostvars["node1"] = {**hostvars["node1"], "hyperkube_master_control_plane_taint": False}
    checks = pf.evaluate(hosts=["node1", "node2", "node3"], hostvars=hostvars, groups=groups,
                         surveys={host: survey() for host in hostvars}, active=["node1", "node2", "node3"],
                         controller_cas={})
    assert "kubelet groups" not in {check.check for check in checks}


# The one host of ALL_IN_ONE takes one of pod_cidr's node subnets (/24 by default).
ONE_SUBNET_OF_256 = ("ok", "256 node subnet(s) of /24 for 1 kubelet host(s)")


@pytest.mark.parametrize("settings,addresses,expected", [
    ({}, {}, {"service_cidr": ("ok", "10.96.0.0/12"), "pod_cidr": ("ok", "hyperkube_master_settings.pod_cidr "
                                                                          "10.244.0.0/16"),
              "node subnets": ONE_SUBNET_OF_256}),
    # The modern default pod_cidr is checked like one given.
    ({}, {"node1 (kube_advertise_address)": "10.244.1.5"}, {
        "service_cidr": ("ok", ""), "pod_cidr": ("fail", "10.244.0.0/16: contains 10.244.1.5 of node1"),
        "node subnets": ONE_SUBNET_OF_256}),
    ({"service_cidr": "10.96.0.0/12", "pod_cidr": "10.100.0.0/16"}, {}, {
        "service_cidr": ("fail", "overlaps hyperkube_master_settings.pod_cidr 10.100.0.0/16"),
        "pod_cidr": ("ok", ""), "node subnets": ONE_SUBNET_OF_256}),
    ({"pod_cidr": "10.244.0.0/16"}, {"node1 (kube_advertise_address)": "10.244.1.5"}, {
        "service_cidr": ("ok", ""), "pod_cidr": ("fail", "contains 10.244.1.5 of node1 (kube_advertise_address)"),
        "node subnets": ONE_SUBNET_OF_256}),
    ({"service_cidr": "172.17.0.0/24"}, {}, {"service_cidr": ("warn", "Docker's default bridge 172.17.0.0/16"),
                                             "pod_cidr": ("ok", "10.244.0.0/16"), "node subnets": ONE_SUBNET_OF_256}),
    ({"service_cidr": "10.96.0.0/33"}, {}, {"service_cidr": ("fail", "hyperkube_master_settings.service_cidr "
                                                                     "'10.96.0.0/33' is not a CIDR"),
                                            "pod_cidr": ("ok", "10.244.0.0/16"), "node subnets": ONE_SUBNET_OF_256}),
    ({"pod_cidr": False}, {}, {"service_cidr": ("ok", "")}),  # off: no pod range to check, no node subnets
    # A pod_cidr that is no CIDR: no node subnets to count (the pod_cidr check says why).
    ({"pod_cidr": "10.244.0.0/33"}, {}, {"service_cidr": ("ok", ""), "pod_cidr": ("fail", "is not a CIDR")}),
    # IPv6: the controller-manager's default mask is /64.
    ({"pod_cidr": "fd00:10:244::/56"}, {}, {"service_cidr": ("ok", ""), "pod_cidr": ("ok", "fd00:10:244::/56"),
                                            "node subnets": ("ok", "256 node subnet(s) of /64 for 1 kubelet host")}),
    ({"pod_cidr": "10.244.0.0/23", "node_cidr_mask_size": 25}, {}, {
        "service_cidr": ("ok", ""), "pod_cidr": ("ok", ""), "node subnets": ("ok", "4 node subnet(s) of /25")}),
])
def test_cidr_checks(settings, addresses, expected):
    taken = {"node1": inputs(hyperkube_master_settings=settings)}
    checks = pf.cidr_checks(ALL_IN_ONE, taken, addresses)
    assert {check.check: check.status for check in checks} == {name: value[0] for name, value in expected.items()}
    for check in checks:
        assert expected[check.check][1] in check.detail, check.detail


def test_cidr_checks_of_seed_use_the_seed_default():
    (check,) = pf.cidr_checks(ALL_IN_ONE, {"node1": inputs(hyperkube_master_profile="seed")}, {})
    assert_check(check, "ok", "10.0.0.1/24")


def test_masters_must_agree_on_the_ranges():
    groups = pf.Groups.of({"masters": ["m1", "m2"]})
    taken = {"m1": inputs("m1"), "m2": inputs("m2", hyperkube_master_settings={"service_cidr": "10.32.0.0/16"})}
    found = _by_check(pf.cidr_checks(groups, taken, {}))
    assert sorted(found) == ["node subnets", "pod_cidr", "service_cidr"]
    (check,) = found["service_cidr"]
    assert_check(check, "fail", "hyperkube_master_settings.service_cidr differs between masters", "m1 10.96.0.0/12",
                 "m2 10.32.0.0/16")
    (pods,) = found["pod_cidr"]  # both take the default
    assert_check(pods, "ok", "hyperkube_master_settings.pod_cidr 10.244.0.0/16")


# Three kubelet hosts: node1 (the master), node2 and node3 (the nodes).
@pytest.mark.parametrize("settings,status,words", [
    ({"pod_cidr": "10.244.0.0/23"}, "fail",
     ["hyperkube_master_settings.pod_cidr 10.244.0.0/23 holds 2 node subnet(s) of /24 (node_cidr_mask_size)",
      "fewer than the 3 hosts that run a kubelet", "widen pod_cidr or lengthen node_cidr_mask_size"]),
    ({"pod_cidr": "10.244.0.0/23", "node_cidr_mask_size": 24}, "fail", ["2 node subnet(s) of /24"]),
    ({"pod_cidr": "10.244.0.0/24", "node_cidr_mask_size": 24}, "fail", ["holds 1 node subnet(s) of /24"]),
    # A longer mask cuts enough subnets (whether each holds max_pods is the master settings check's).
    ({"pod_cidr": "10.244.0.0/23", "node_cidr_mask_size": 25}, "ok", ["4 node subnet(s) of /25 for 3 kubelet host(s)"]),
    ({"pod_cidr": "10.244.0.0/22"}, "ok", ["4 node subnet(s) of /24 for 3 kubelet host(s)"]),
])
def test_pod_cidr_must_hold_a_node_subnet_for_every_kubelet_host(settings, status, words):
    taken = {"node1": inputs(hyperkube_master_settings=settings)}  # the masters' settings decide
    (check,) = _by_check(pf.cidr_checks(GROUPS, taken, {}))["node subnets"]
    assert check.host == pf.INVENTORY
    assert_check(check, status, *words)


def test_node_subnets_count_every_kubelet_host_of_the_inventory_once():
    # a is a master and a node (untainted): one kubelet, one subnet. 10.244.0.0/23 holds 2 /24s for a and b.
    groups = pf.Groups.of({"masters": ["a"], "nodes": ["a", "b"]})
    taken = {"a": inputs("a", hyperkube_master_settings={"pod_cidr": "10.244.0.0/23"})}
    (check,) = _by_check(pf.cidr_checks(groups, taken, {}))["node subnets"]
    assert_check(check, "ok", "2 node subnet(s) of /24 for 2 kubelet host(s)")


def test_kube_proxy_pod_cidr_should_be_the_masters():
    taken = {"node1": inputs(hyperkube_master_settings={"pod_cidr": "10.244.0.0/16"}),
             "node3": inputs("node3", kube_proxy_settings={"pod_cidr": "10.200.0.0/16"})}
    checks = {check.check: check for check in pf.cidr_checks(GROUPS, taken, {})}
    assert checks["pod_cidr"].status == "warn"
    assert "kube_proxy_settings.pod_cidr 10.200.0.0/16" in checks["pod_cidr"].detail


@pytest.mark.parametrize("variables,status,words", [
    ({}, None, []),
    ({"hyperkube_master_etcd_port": 4001}, "fail", ["hyperkube_master_etcd_port (node1 4001)",
                                                    "etcd_client_port 2379"]),
])
def test_etcd_port_agreement(variables, status, words):
    checks = pf.etcd_port_agreement(ALL_IN_ONE, {"node1": inputs(**variables)})
    if status is None:
        assert checks == []
    else:
        (check,) = checks
        assert_check(check, status, *words)


def test_members_must_agree_on_the_client_port():
    groups = pf.Groups.of({"etcd": ["a", "b"]})
    (check,) = pf.etcd_port_agreement(groups, {"a": inputs("a"), "b": inputs("b", etcd_client_port=2479)})
    assert_check(check, "fail", "etcd_client_port differs")


# --- everything --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("result,active,words", [
    ({"unreachable": True, "msg": "Failed to connect to the host via ssh:\n timeout"}, True,
     ["unreachable: Failed to connect to the host via ssh: timeout"]),
    (None, False, ["failed before the survey"]),
    ({"failed": True, "msg": "MODULE FAILURE"}, True, ["MODULE FAILURE"]),
])
def test_reachability(result, active, words):
    check = pf.reachability_check("node1", result, active)
    assert check is not None and check.check == "reachable"
    assert_check(check, "fail", *words)
    assert pf.reachability_check("node1", survey(), True) is None


# The registry source pins every Kubernetes image by digest: a healthy inventory gives them.
# The kubelet's image is one the user built and pushed (upstream publishes none).
PINNED_IMAGES = {"hyperkube_master_images": {
                     **{component: {"digest": "sha256:" + "1" * 64} for component in (
                         "kube-apiserver", "kube-controller-manager", "kube-scheduler")},
                     "kubelet": {"repository": "my.registry/kubelet", "digest": "sha256:" + "1" * 64}},
                 "kube_proxy_images": {"kube-proxy": {"digest": "sha256:" + "2" * 64}}}


def _hostvars() -> dict[str, dict[str, Any]]:
    """Every host's address in the inventory: the etcd members' for etcd, the nodes' (whose kubelets register
    Nodes at them) as their IP ansible_host."""
    return {"node1": {"etcd_advertise_address": "10.0.0.1", **FACTS, "inventory_dir": "/inv", **PINNED_IMAGES},
            "node2": {"etcd_advertise_address": "10.0.0.2", "ansible_host": "10.0.0.2", "inventory_dir": "/inv",
                      **PINNED_IMAGES},
            "node3": {"ansible_host": "10.0.0.3", "inventory_dir": "/inv", **PINNED_IMAGES}}


def test_evaluate_a_healthy_cluster_with_one_unreachable_host():
    surveys = {"node1": survey(ports=[free(port) for port in range(1, 65536) if port in {
                   2379, 2380, 6443, 10248, 10250, 10257, 10259, 10256, 10249}]),
               "node2": survey(ports=[free(port) for port in (2379, 2380, 10248, 10250, 10256, 10249)]),
               "node3": {"unreachable": True, "msg": "no route"}}
    checks = pf.evaluate(hosts=["node1", "node2", "node3"], hostvars=_hostvars(), groups=GROUPS, surveys=surveys,
                         active=["node1", "node2", "node3"], controller_cas={})
    failed = [(check.host, check.check) for check in checks if check.status == "fail"]
    assert failed == [("node3", "reachable")]
    assert {check.host for check in checks} == {"node1", "node2", "node3", pf.INVENTORY}
    assert any(check.check == "port 2379" and check.host == "node2" for check in checks)
    # node2's kubelet: its port is checked, as a master's is.
    assert_check(next(check for check in checks if check.check == "port 10250" and check.host == "node2"), "ok",
                 "free")
    found = {check.check: check for check in checks if check.host == pf.INVENTORY}
    assert_check(found["node addresses"], "ok", "node2 10.0.0.2, node3 10.0.0.3")
    assert_check(found["node subnets"], "ok", "for 3 kubelet host(s)")
    assert_check(found["node names"], "ok", "every kubelet host's node name")
    assert "kubelet groups" not in found  # no host in both masters and nodes


def test_evaluate_under_a_limit_needs_no_facts_of_the_hosts_outside():
    hostvars = _hostvars()
    checks = pf.evaluate(hosts=["node1"], hostvars=hostvars, groups=GROUPS, surveys={"node1": survey()},
                         active=["node1"], controller_cas={})
    assert all(check.host in ("node1", pf.INVENTORY) for check in checks)
    scope = next(check for check in checks if check.check == "scope")
    assert_check(scope, "ok", "1 of 3 host(s) in this run", "--limit): node2, node3")
    addresses = next(check for check in checks if check.check == "etcd addresses")
    assert_check(addresses, "ok", "node2 10.0.0.2")
    assert_check(next(check for check in checks if check.check == "node addresses"), "ok",
                 "node2 10.0.0.2, node3 10.0.0.3")
    hostvars["node2"] = {}
    checks = pf.evaluate(hosts=["node1"], hostvars=hostvars, groups=GROUPS, surveys={"node1": survey()},
                         active=["node1"], controller_cas={})
    addresses = next(check for check in checks if check.check == "etcd addresses")
    assert_check(addresses, "fail", "etcd_advertise_address is not set for host node2", "--limit")


# --- output ------------------------------------------------------------------------------------------------------
CHECKS = [
    pf.Check("node1", "docker", "ok", "Docker Engine 24.0.5"),
    pf.Check("node1", "port 2379", "fail", "port 2379 is in use by python3 (pid 1)"),
    pf.Check(pf.INVENTORY, "etcd members", "warn", "2 members"),
]


def test_table_puts_failures_first_in_aligned_columns():
    lines = pf.table(CHECKS)
    header = lines[0]
    assert header.split() == ["HOST", "CHECK", "STATUS", "DETAIL"]
    check_at, status_at, detail_at = (header.index(word) for word in ("CHECK", "STATUS", "DETAIL"))
    assert [line[status_at:detail_at].strip() for line in lines[1:4]] == ["FAIL", "WARN", "ok"]
    assert [line[:check_at].strip() for line in lines[1:4]] == ["node1", pf.INVENTORY, "node1"]
    assert [line[check_at:status_at].strip() for line in lines[1:4]] == ["port 2379", "etcd members", "docker"]
    assert lines[1][detail_at:] == "port 2379 is in use by python3 (pid 1)"
    assert lines[-1] == "1 failed, 1 warning(s), 1 ok"


def test_summary_names_the_failed_checks():
    assert pf.summary(CHECKS).startswith("preflight failed (1): node1 port 2379.")
    assert pf.summary([CHECKS[0]]) == ""


def test_report():
    data = pf.report(CHECKS, generated=0.0, limit="node1", check_mode=True)
    assert data["version"] == 1
    assert data["generated"] == "1970-01-01T00:00:00Z"
    assert data["hosts"] == ["node1", pf.INVENTORY]
    assert data["counts"] == {"ok": 1, "warn": 1, "fail": 1}
    assert data["ok"] is False and data["limit"] == "node1" and data["check_mode"] is True
    assert data["checks"][0] == {"host": "node1", "check": "port 2379", "status": "fail",
                                 "detail": "port 2379 is in use by python3 (pid 1)"}
    json.dumps(data)


def test_check_refuses_an_unknown_status():
    with pytest.raises(pf.PreflightError, match="ok"):
        pf.Check("node1", "x", "maybe", "")


# --- role variables against the argument specs ---------------------------------------------------------------------
SPECS = role_defaults.argument_specs()


def test_argument_specs_hold_every_entry_point_of_the_three_roles():
    assert set(SPECS) == {"etcd", "hyperkube_master", "kube_proxy"}
    assert SPECS["etcd"]["etcd_backup_keep"]["type"] == "int"  # the backup entry point
    assert SPECS["etcd"]["etcd_restore_snapshot"]["type"] == "str"  # the restore entry point
    assert SPECS["kube_proxy"]["kube_proxy_privilege"]["choices"] == ["privileged", "capabilities"]


@pytest.mark.parametrize("host,variables,status,words", [
    ("node1", {}, "ok", ["0 role variable(s)"]),
    ("node1", {"etcd_tls": "yes", "etcd_client_port": "2379", "kube_proxy_privilege": "privileged"}, "ok",
     ["3 role variable(s)"]),
    ("node1", {"kube_proxy_privilege": "root"}, "fail",
     ["kube_proxy_privilege must be one of: privileged, capabilities, got: root"]),
    ("node1", {"hyperkube_master_privilege": "all"}, "fail", ["hyperkube_master_privilege", "got: all"]),
    ("node1", {"etcd_tls": "maybe"}, "fail", ["etcd_tls", "'maybe' is not a valid boolean"]),
    ("node1", {"etcd_client_port": "twenty"}, "fail", ["etcd_client_port", "unable to convert to int"]),
    ("node1", {"etcd_extra_flags": ["a=1"]}, "fail", ["etcd_extra_flags", "unable to convert to dict"]),
    ("node1", {"etcd_restart_policy": "sometimes"}, "fail", ["etcd_restart_policy", "got: sometimes"]),
    ("node1", {"etcd_backup_keep": -1}, "fail", ["etcd_backup_keep is -1", "must be 1 or more"]),
    ("node1", {"kube_proxy_wait_timeout": "0"}, "fail", ["kube_proxy_wait_timeout is 0"]),
    # Written on the controller once the control plane is up, where a relative path is refused: refused here first.
    ("node1", {"hyperkube_master_admin_kubeconfig": "admin.conf"}, "fail",
     ["hyperkube_master_admin_kubeconfig: 'admin.conf' is a relative path"]),
    ("node1", {"hyperkube_master_admin_kubeconfig": "/srv/admin.conf"}, "ok", ["1 role variable(s)"]),
    ("node1", {"etcd_tls": "maybe", "kube_proxy_privilege": "root"}, "fail", ["etcd_tls", "kube_proxy_privilege"]),
    # node3 is a node only: the etcd variables are not its inputs; the hyperkube_master role runs its kubelet.
    ("node3", {"etcd_tls": "maybe"}, "ok", ["0 role variable(s)"]),
    ("node3", {"etcd_tls": "maybe", "hyperkube_master_privilege": "all"}, "fail",
     ["hyperkube_master_privilege must be one of: privileged, capabilities, got: all"]),
    ("node3", {"kube_proxy_privilege": "root"}, "fail", ["kube_proxy_privilege"]),
    # etcd-only runs neither a kubelet nor kube-proxy.
    ("etcd-only", {"hyperkube_master_privilege": "all", "kube_proxy_privilege": "root"}, "ok",
     ["0 role variable(s)"]),
    ("etcd-only", {"etcd_tls": "maybe"}, "fail", ["etcd_tls"]),
])
def test_variable_checks(host, variables, status, words):
    (check,) = pf.variable_checks(host, variables, WITH_ETCD_ONLY, SPECS)
    assert check.check == "variables"
    assert_check(check, status, *words)


def test_evaluate_checks_the_variables_only_with_the_specs():
    hostvars = _hostvars()
    hostvars["node1"] = {**hostvars["node1"], "etcd_tls": "maybe"}
    surveys = {host: survey() for host in hostvars}
    without = pf.evaluate(hosts=["node1"], hostvars=hostvars, groups=GROUPS, surveys=surveys, active=["node1"],
                          controller_cas={})
    assert "variables" not in {check.check for check in without}
    found = pf.evaluate(hosts=["node1"], hostvars=hostvars, groups=GROUPS, surveys=surveys, active=["node1"],
                        controller_cas={}, specs=SPECS)
    assert_check(next(check for check in found if check.check == "variables"), "fail", "etcd_tls")


# --- images --------------------------------------------------------------------------------------------------------
BUNDLE = "/bundle"
TARBALL_SHA = "b" * 64


# What offline_bundle.yml bundles for the hyperkube_master role: the control plane, the kubelet and CoreDNS.
MASTER_BUNDLE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "coredns")


def bundle_manifest(components=MASTER_BUNDLE):
    images = {"kube-apiserver": "registry.k8s.io/kube-apiserver:v1.37.2",
              "kube-controller-manager": "registry.k8s.io/kube-controller-manager:v1.37.2",
              "kube-scheduler": "registry.k8s.io/kube-scheduler:v1.37.2", "kubelet": "my.registry/kubelet:v1.37.2",
              "kube-proxy": "registry.k8s.io/kube-proxy:v1.37.2",
              "coredns": "registry.k8s.io/coredns/coredns:v1.14.6"}
    return {"format": 1, "profile": "modern", "version": "v1.37.2", "artifacts": [
        {"component": component, "image": images[component], "kind": "image", "file": "images.tar",
         "sha256": TARBALL_SHA, "image_id": "sha256:" + "a" * 64} for component in components]}


DIRECTORY = {"hyperkube_master_image_source": "directory", "hyperkube_master_image_directory": BUNDLE}


@pytest.mark.parametrize("host,variables,manifests,files,status,words", [
    ("node1", PINNED_IMAGES, {}, {}, "ok", ["registry.k8s.io/kube-apiserver:v1.37.2 (registry)"]),
    # Upstream images by tag when no digest is given; the kubelet's image is curtain's own, which no registry has:
    # the host builds it from the release downloads, for its architecture (from facts).
    ("node1", {"ansible_facts": {"architecture": "x86_64"}}, {}, {}, "ok",
     ["registry.k8s.io/kube-apiserver:v1.37.2 (registry)", "curtain/kubelet:v1.37.2 (release)"]),
    ("node1", {}, {}, {}, "fail", ["hyperkube_master_images['kubelet']: the release source needs the host's "
                                   "architecture"]),
    ("node1", {"hyperkube_master_images": {"kubelet": {"source": "registry"}}}, {}, {}, "fail",
     ["hyperkube_master_images['kubelet']: curtain/kubelet:v1.37.2 is curtain's own image",
      "no registry publishes it"]),
    ("node1", {"hyperkube_master_images": {"kubelet": {"repository": "my.registry/kubelet"}}}, {}, {}, "ok",
     ["registry.k8s.io/kube-apiserver:v1.37.2 (registry)", "my.registry/kubelet:v1.37.2 (registry)"]),
    # A node runs a kubelet too: curtain's kubelet image, built for the host's architecture, and CoreDNS's.
    ("node3", {}, {}, {}, "fail", ["hyperkube_master_images['kubelet']: the release source needs the host's "
                                   "architecture"]),
    ("node3", {"ansible_facts": {"architecture": "x86_64"}}, {}, {}, "ok",
     ["curtain/kubelet:v1.37.2 (release)", "registry.k8s.io/coredns/coredns:v1.14.6 (registry)",
      "registry.k8s.io/kube-proxy:v1.37.2 (registry)"]),
    # A node with the masters' shared group_vars: their components' entries are not its own, and not refused.
    ("node3", PINNED_IMAGES, {}, {}, "ok", ["my.registry/kubelet:v1.37.2 (registry)",
                                            "registry.k8s.io/coredns/coredns:v1.14.6 (registry)"]),
    # An entry for a component no host of the role runs is still a mistake, on a node too.
    ("node3", {"hyperkube_master_images": {**PINNED_IMAGES["hyperkube_master_images"], "kube-apiserverr": {}}}, {},
     {}, "fail", ["hyperkube_master_images: kube-apiserverr is not one of the components: kubelet, coredns"]),
    ("node1", {"hyperkube_master_images": {"coredns": {"repository": "my.registry/coredns", "tag": "v1.14.5"}},
               "ansible_facts": {"architecture": "x86_64"}}, {}, {}, "ok", ["my.registry/coredns:v1.14.5 (registry)"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "registry"}, {}, {}, "fail",
     ["etcd_image_source=registry needs etcd_image_digest"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "registry", "etcd_image_digest": "sha256:" + "c" * 64}, {}, {},
     "ok", []),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "tarball"}, {}, {}, "fail", ["needs etcd_image_tarball"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "tarball", "etcd_image_tarball": "/x/etcd.tar"}, {},
     {"/x/etcd.tar": None}, "fail", ["etcd_image_tarball: /x/etcd.tar does not exist on the controller"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "tarball", "etcd_image_tarball": "/x/etcd.tar"}, {},
     {"/x/etcd.tar": ""}, "ok", ["1 controller file(s)"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "directory"}, {}, {}, "fail", ["needs etcd_image_directory"]),
    # etcd built from its release archive on the host: the etcd role's planner names the download.
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "release", "ansible_facts": {"architecture": "x86_64"}}, {}, {},
     "ok", ["curtain/etcd:3.7.4 (release)"]),
    # etcd_image names the image the role builds, as the etcd planner has it.
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "release", "etcd_image": "my.registry/etcd:3.7.4",
               "ansible_facts": {"architecture": "x86_64"}}, {}, {}, "ok", ["my.registry/etcd:3.7.4 (release)"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "release"}, {}, {}, "fail",
     ["etcd_image_source=release: the release source needs the host's architecture"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "release", "etcd_version": "3.4.0",
               "ansible_facts": {"architecture": "x86_64"}}, {}, {}, "fail", ["etcd_version", "3.4.0"]),
    ("node2", {**PINNED_IMAGES, "etcd_image_source": "directory", "etcd_image_directory": BUNDLE}, {BUNDLE: None}, {},
     "fail", ["etcd_image_directory directory /bundle", "manifest.json is missing"]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY}, {}, {}, "fail",
     ["hyperkube_master_images directory /bundle", "manifest.json is missing"]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY}, {BUNDLE: bundle_manifest()}, {f"{BUNDLE}/images.tar": None}, "fail",
     ["hyperkube_master_image_directory: /bundle/images.tar does not exist on the controller",
      "Nothing was installed"]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY}, {BUNDLE: bundle_manifest()}, {f"{BUNDLE}/images.tar": "d" * 64},
     "fail", ["hyperkube_master_image_directory: /bundle/images.tar has sha256 " + "d" * 64,
              "manifest.json says " + TARBALL_SHA]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY}, {BUNDLE: bundle_manifest()}, {f"{BUNDLE}/images.tar": TARBALL_SHA},
     "ok", ["registry.k8s.io/kube-apiserver:v1.37.2 (directory)", "1 controller file(s)"]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY, "hyperkube_master_image_directory": f"{BUNDLE}/"},
     {BUNDLE: bundle_manifest()}, {f"{BUNDLE}/images.tar": TARBALL_SHA}, "ok", ["(directory)"]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY}, {BUNDLE: bundle_manifest(("kube-apiserver",))}, {}, "fail",
     ["the bundle has nothing for kube-controller-manager"]),
    # CoreDNS's image comes with the others; a bundle made before the cluster DNS lacks it, unless DNS is off.
    ("node1", {**PINNED_IMAGES, **DIRECTORY}, {BUNDLE: bundle_manifest(MASTER_BUNDLE[:4])}, {}, "fail",
     ["hyperkube_master_images directory /bundle: the bundle has nothing for coredns"]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY, "hyperkube_master_dns": False},
     {BUNDLE: bundle_manifest(MASTER_BUNDLE[:4])}, {f"{BUNDLE}/images.tar": TARBALL_SHA}, "ok",
     ["registry.k8s.io/kube-apiserver:v1.37.2 (directory)"]),
    # A node installs its kubelet and CoreDNS from the same bundle.
    ("node3", {**PINNED_IMAGES, **DIRECTORY}, {BUNDLE: bundle_manifest()}, {f"{BUNDLE}/images.tar": TARBALL_SHA},
     "ok", ["my.registry/kubelet:v1.37.2 (directory)", "registry.k8s.io/coredns/coredns:v1.14.6 (directory)"]),
    ("node1", {**PINNED_IMAGES, **DIRECTORY}, {BUNDLE: bundle_manifest()}, {}, "fail", ["was not looked at"]),
])
def test_image_check(host, variables, manifests, files, status, words):
    host_inputs = inputs(host, **variables)
    check = pf.image_check(host, pf.image_sources(host_inputs, GROUPS, manifests), files)
    assert check.check == "images"
    assert_check(check, status, *words)


def test_the_image_plans_are_the_roles_planners_own():
    """Preflight asks each role's planner, so a host's images check names what the role will install."""
    variables = {"ansible_facts": {"architecture": "x86_64"}, "hyperkube_master_images": {"coredns": {"tag": "v9"}}}
    sources = pf.image_sources(inputs("node3", **variables), GROUPS, {})
    role = master_planner.image_plans(
        master_planner.default_inputs("node3", "/inv", images=variables["hyperkube_master_images"],
                                      architecture="x86_64"),
        ["kubelet", "coredns"])[1]
    proxy = proxy_planner.image_plans(proxy_planner.default_inputs("node3", "/inv"))[1]
    assert [plan for _, plan in sources.plans] == [*role, *proxy]
    assert "registry.k8s.io/coredns/coredns:v9" in [plan["image"] for plan in role]


def _planned(host, groups=GROUPS, **variables):
    sources = pf.image_sources(inputs(host, ansible_facts={"architecture": "x86_64"}, **variables), groups, {})
    assert sources.problems == ()
    return [(variable, plan["components"]) for variable, plan in sources.plans]


def test_the_images_planned_for_each_host_are_those_its_roles_run():
    assert _planned("node1") == [
        ("hyperkube_master_images", ["kube-apiserver"]), ("hyperkube_master_images", ["kube-controller-manager"]),
        ("hyperkube_master_images", ["kube-scheduler"]), ("hyperkube_master_images", ["kubelet"]),
        ("hyperkube_master_images", ["coredns"]), ("kube_proxy_images", ["kube-proxy"])]
    # A node: its kubelet, CoreDNS's image (its pods may run there), kube-proxy.
    assert _planned("node3") == [("hyperkube_master_images", ["kubelet"]), ("hyperkube_master_images", ["coredns"]),
                                 ("kube_proxy_images", ["kube-proxy"])]
    assert _planned("etcd-only", WITH_ETCD_ONLY, etcd_image_source="registry",
                    etcd_image_digest="sha256:" + "c" * 64) == []


@pytest.mark.parametrize("value", [False, "false", "False"])
def test_no_coredns_image_is_planned_when_the_cluster_dns_is_off(value):
    assert ("hyperkube_master_images", ["coredns"]) not in _planned("node1", hyperkube_master_dns=value)
    assert _planned("node3", hyperkube_master_dns=value) == [("hyperkube_master_images", ["kubelet"]),
                                                             ("kube_proxy_images", ["kube-proxy"])]


def test_the_seed_profile_plans_no_coredns_image():
    """As the role (CoreDNS only where the profile has TLS) and offline_bundle.yml (modern only): the seed's
    cluster has no cluster DNS, so no image of it is planned, and a seed bundle needs none."""
    seed = {"hyperkube_master_profile": "seed", "etcd_profile": "seed", "kube_proxy_profile": "seed"}
    planned = [components for _, components in _planned("node1", ALL_IN_ONE, **seed)]
    assert ["coredns"] not in planned


def test_hyperkube_master_dns_defaults_to_on():
    assert inputs("node1").hyperkube_master_dns is True
    assert role_defaults.DEFAULTS["hyperkube_master_dns"] is True


def test_the_controller_reads_the_bundles_and_stats_their_files():
    hosts = {"node1": inputs("node1", **PINNED_IMAGES, **DIRECTORY),
             "node2": inputs("node2", **PINNED_IMAGES, etcd_image_source="tarball", etcd_image_tarball="/x/e.tar")}
    assert pf.bundle_manifest_paths(["node1", "node2"], hosts, GROUPS) == [f"{BUNDLE}/manifest.json"]
    assert pf.image_files(["node1", "node2"], hosts, GROUPS, {BUNDLE: bundle_manifest()}) == [
        {"path": f"{BUNDLE}/images.tar", "checksum": True}, {"path": "/x/e.tar", "checksum": False}]
    assert pf.image_files(["node1"], hosts, GROUPS, {}) == []  # no manifest, no files: the check says so


def test_a_node_installs_its_kubelet_from_the_bundle_the_controller_reads():
    hosts = {"node3": inputs("node3", **PINNED_IMAGES, hyperkube_master_image_source="directory",
                             hyperkube_master_image_directory="/node-bundle")}
    assert pf.bundle_manifest_paths(["node3"], hosts, GROUPS) == ["/node-bundle/manifest.json"]
    manifest = bundle_manifest(("kubelet", "coredns"))
    assert pf.image_files(["node3"], hosts, GROUPS, {"/node-bundle": manifest}) == [
        {"path": "/node-bundle/images.tar", "checksum": True}]
    etcd_only = {"etcd-only": inputs("etcd-only", hyperkube_master_image_directory="/node-bundle")}
    assert pf.bundle_manifest_paths(["etcd-only"], etcd_only, WITH_ETCD_ONLY) == []


# --- the etcd cluster model ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("variables,status,words", [
    ({}, "ok", ["node1 https://10.0.0.1:2380", "node2 https://10.0.0.2:2380"]),
    ({"node1": {"etcd_member_name": "one"}, "node2": {"etcd_member_name": "one"}}, "fail",
     ["hosts 'node1' and 'node2' have the same etcd_member_name 'one'"]),
    ({"node1": {"etcd_member_name": "Etcd_One"}}, "fail", ["host 'node1': etcd_member_name 'Etcd_One' is invalid"]),
    ({"node1": {"etcd_peer_port": 2379}, "node2": {"etcd_peer_port": 2379}}, "fail",
     ["etcd_client_port and etcd_peer_port must differ, both are 2379"]),
    ({"node1": {"etcd_profile": "seed"}, "node2": {"etcd_profile": "seed"}}, "ok", ["http://10.0.0.1:2380"]),
])
def test_etcd_cluster_check(variables, status, words):
    hostvars = {host: {"inventory_dir": "/inv", **values, **variables.get(host, {})}
                for host, values in _hostvars().items()}
    known = {host: pf.HostInputs.of(host, values) for host, values in hostvars.items()}
    addresses = {"node1 (etcd_advertise_address)": "10.0.0.1", "node2 (etcd_advertise_address)": "10.0.0.2"}
    (check,) = pf.etcd_cluster_check(GROUPS, hostvars, known, addresses)
    assert check.check == "etcd cluster"
    assert_check(check, status, *words)


def test_etcd_port_agreement_leaves_an_unknown_profile_to_the_profiles_check():
    known = {"node1": inputs("node1", hyperkube_master_profile="future"), "node2": inputs("node2")}
    assert known["node1"].hyperkube_master_etcd_port is None
    assert pf.etcd_port_agreement(GROUPS, known) == []


# --- the filter and the action -------------------------------------------------------------------------------------
def test_the_filter_gives_the_survey_its_arguments_from_hostvars():
    groups = {"etcd": ["node1"], "masters": ["node1"], "nodes": []}
    request = FilterModule().filters()["preflight_request"]("node1", _hostvars(), groups)
    assert HOST_CA in request["paths"] and 2379 in request["ports"]


def run_action(hostvars: dict[str, Any], groups: dict[str, list[str]], report: Path, *, check_mode: bool = False,
               group_names: dict[str, str] | None = None) -> dict[str, Any]:
    """curtain.kube.preflight as the play runs it, every host active, without --limit."""
    args = {"report_file": str(report), "group_names": group_names or {}}
    task = mock.MagicMock(args=args, async_val=0, check_mode=check_mode, action="curtain.kube.preflight")
    action = PreflightAction(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None)
    hosts = list(hostvars)
    return action.run(task_vars={"hostvars": hostvars, "groups": groups, "ansible_play_hosts_all": hosts,
                                 "ansible_play_hosts": hosts})


def test_the_action_reads_the_cluster_ca_on_the_controller_and_fails_naming_another_one(tmp_path: Path):
    hostvars = {"node1": {**copy.deepcopy(_hostvars()["node1"]), "inventory_dir": str(tmp_path),
                          "__preflight_survey": survey(paths={HOST_CA: {"exists": True,
                                                                        "certificate_sha256": OTHER_SHA}})}}
    groups = {"etcd": ["node1"], "masters": ["node1"], "nodes": []}
    controller_ca = tmp_path / "artifacts/pki/kubernetes/ca.crt"
    controller_ca.parent.mkdir(parents=True)
    controller_ca.write_text(CA)
    report = tmp_path / "artifacts/preflight.json"

    result = run_action(hostvars, groups, report)

    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("preflight failed") and result["msg"].endswith(f"(report: {report})")
    (line,) = [line for line in result["table"].splitlines() if "cluster CA" in line]
    assert "FAIL" in line and CA_SHA[:16] in line
    written = json.loads(report.read_text())
    assert written["version"] == 1 and written["ok"] is False and written["check_mode"] is False
    assert oct(report.stat().st_mode & 0o777) == "0o644"

    controller_ca.unlink()  # no CA on the controller: a new cluster, a warning only
    result = run_action(hostvars, groups, report, check_mode=True)
    assert not result.get("failed"), result
    assert result["_ansible_verbose_always"] is True and result["msg"].startswith("HOST")
    (line,) = [line for line in result["msg"].splitlines() if "cluster CA" in line]
    assert "WARN" in line
    assert json.loads(report.read_text())["check_mode"] is True


def test_the_action_reads_a_bundle_s_manifest_and_checks_its_files(tmp_path: Path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    hostvars = {"node1": {"inventory_dir": str(tmp_path), **PINNED_IMAGES, **DIRECTORY,
                          "hyperkube_master_image_directory": str(bundle), "etcd_advertise_address": "10.0.0.1",
                          "__preflight_survey": survey()}}
    groups = {"etcd": ["node1"], "masters": ["node1"], "nodes": []}
    report = tmp_path / "preflight.json"
    content = b"the images"
    manifest = bundle_manifest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    (bundle / "images.tar").write_bytes(content)

    result = run_action(hostvars, groups, report)

    images = next(row for row in json.loads(report.read_text())["checks"] if row["check"] == "images")
    assert result["failed"] is True and images["status"] == "fail"
    assert hashlib.sha256(content).hexdigest() in images["detail"]  # what the file holds, against the manifest
    for artifact in manifest["artifacts"]:
        artifact["sha256"] = hashlib.sha256(content).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    run_action(hostvars, groups, report)
    checks = {row["check"]: row for row in json.loads(report.read_text())["checks"]}
    assert checks["images"]["status"] == "ok" and checks["variables"]["status"] == "ok"
    (bundle / "manifest.json").write_text("{")
    run_action(hostvars, groups, report)
    images = next(row for row in json.loads(report.read_text())["checks"] if row["check"] == "images")
    assert "manifest.json is missing" in images["detail"]


def test_the_action_names_the_group_variables(tmp_path: Path):
    hostvars = {"a": {"inventory_dir": str(tmp_path), "__preflight_survey": survey()}}
    run_action(hostvars, {"kv": ["a"], "cp": ["a"]}, tmp_path / "preflight.json",
               group_names={"etcd": "kv", "masters": "cp"})
    checks = json.loads((tmp_path / "preflight.json").read_text())["checks"]
    assert any(row["check"] == "port 2379" for row in checks)  # a is a member of "kv"
    assert next(row for row in checks if row["check"] == "etcd members")["detail"].startswith("'kv'")

"""module_utils/host_survey.py: the parsers on text as /proc, /sys and the docker CLI print it, the path descriptions
on real files, the survey over a fake /proc, and the host_survey module and its action plugin."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from ansible_collections.curtain.kube.plugins.action.host_survey import ActionModule
from ansible_collections.curtain.kube.plugins.module_utils import host_survey as hs
from ansible_collections.curtain.kube.plugins.module_utils.host_survey import REQUEST_OPTIONS, earlier_answer
from ansible_collections.curtain.kube.plugins.modules import host_survey as host_survey_module

CONTAINER = "3f4e" + "a" * 60
OTHER = "b" * 64
IMAGE = {"Id": "sha256:1f2e", "RepoTags": ["curtain/etcd:3.7.4"], "RepoDigests": [],
         "Config": {"Labels": {"io.curtain.artifact": "9f86"}}}


@pytest.mark.parametrize("text,expected", [
    (None, None),
    ("", []),
    ("br_netfilter 32768 0 - Live 0x0000000000000000\noverlay 151552 12 - Live 0x0000000000000000\n",
     ["br_netfilter", "overlay"]),
])
def test_parse_proc_modules(text, expected):
    assert hs.parse_proc_modules(text) == expected


def test_parse_filesystems_and_builtin_modules():
    assert hs.parse_filesystems("nodev\tsysfs\n\text4\nnodev\toverlay\n") == ["sysfs", "ext4", "overlay"]
    assert hs.parse_builtin_modules("kernel/net/bridge/br_netfilter.ko\nkernel/fs/overlayfs/overlay.ko\n"
                                    "kernel/net/netfilter/nf-conntrack.ko\n") == [
        "br_netfilter", "overlay", "nf_conntrack"]


@pytest.mark.parametrize("text,expected", [
    (None, []),
    ("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", []),
    ("Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048572 512 -2\n/dev/sda2 partition 2097148 0 -3\n",
     [{"filename": "/swapfile", "type": "file", "size_kb": 1048572, "used_kb": 512},
      {"filename": "/dev/sda2", "type": "partition", "size_kb": 2097148, "used_kb": 0}]),
])
def test_parse_swaps(text, expected):
    assert hs.parse_swaps(text) == expected


PROC_CGROUPS = """\
#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t3\t120\t1
cpu\t1\t120\t1
memory\t4\t231\t0
pids\t8\t120\t1
"""


@pytest.mark.parametrize("v2,v1,expected", [
    ("cpuset cpu io memory pids\n", PROC_CGROUPS, {"version": 2, "controllers": ["cpu", "cpuset", "io", "memory",
                                                                                  "pids"]}),
    (None, PROC_CGROUPS, {"version": 1, "controllers": ["cpu", "cpuset", "pids"]}),  # memory disabled
    (None, None, {"version": 1, "controllers": []}),
])
def test_cgroup_summary(v2, v1, expected):
    assert hs.cgroup_summary(v2, v1) == expected


@pytest.mark.parametrize("text,expected", [
    (None, None),
    ("0::/\n", None),
    ("4:memory:/process_api/0e11a6c7f3fee455d847330794013cc6\n", None),  # not a container ID
    (f"12:memory:/docker/{CONTAINER}\n11:cpu:/docker/{CONTAINER}\n", CONTAINER),  # v1, cgroupfs driver
    (f"0::/system.slice/docker-{CONTAINER}.scope\n", CONTAINER),  # v2, systemd driver
    (f"0::/kubepods/burstable/pod1234/{CONTAINER}\n", CONTAINER),  # a pod's container
    (f"4:memory:/docker/{OTHER}/docker/{CONTAINER}\n", CONTAINER),  # Docker in Docker: the innermost
])
def test_container_id_from_cgroup(text, expected):
    assert hs.container_id_from_cgroup(text) == expected


DOCKER_VERSION = json.dumps({
    "Client": {"Version": "28.2.2", "ApiVersion": "1.41"},
    "Server": {"Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1"}], "Version": "20.10.24+dfsg1"},
})


@pytest.mark.parametrize("rc,stdout,stderr,expected", [
    (0, DOCKER_VERSION, "", {"present": True, "client_version": "28.2.2", "server_version": "20.10.24+dfsg1",
                             "error": None}),
    (0, json.dumps({"Client": {"Version": "24.0.5"}, "Server": {"Components": [{"Name": "Engine",
                                                                                "Version": "24.0.5"}]}}), "",
     {"present": True, "client_version": "24.0.5", "server_version": "24.0.5", "error": None}),
    (1, json.dumps({"Client": {"Version": "20.10.24"}, "Server": None}),
     "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n  Is the docker daemon running?\n",
     {"present": True, "client_version": "20.10.24", "server_version": None,
      "error": "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"}),
    (1, "not json", "", {"present": True, "client_version": None, "server_version": None,
                         "error": "docker version exited with 1 and named no server"}),
])
def test_parse_docker_version(rc, stdout, stderr, expected):
    assert hs.parse_docker_version(rc, stdout, stderr) == expected


@pytest.mark.parametrize("text,expected", [
    ("", {}),
    ("io.curtain.managed-by=curtain,io.curtain.component=etcd",
     {"io.curtain.managed-by": "curtain", "io.curtain.component": "etcd"}),
    ("a=1,b=x,y,c=", {"a": "1", "b": "x,y", "c": ""}),  # a comma inside a value stays in the value
])
def test_parse_labels(text, expected):
    assert hs.parse_labels(text) == expected


def test_parse_docker_ps():
    lines = "\n".join([
        json.dumps({"ID": CONTAINER, "Names": "curtain-etcd", "State": "running", "Image": "curtain/etcd:3.5.1",
                    "Labels": "io.curtain.managed-by=curtain,io.curtain.component=etcd"}),
        "",
        "garbage",
        json.dumps({"ID": OTHER, "Names": "a,b", "State": "exited", "Image": "x", "Labels": ""}),
    ])
    assert hs.parse_docker_ps(lines) == [
        {"id": CONTAINER, "names": ["curtain-etcd"], "state": "running", "image": "curtain/etcd:3.5.1",
         "labels": {"io.curtain.managed-by": "curtain", "io.curtain.component": "etcd"}},
        {"id": OTHER, "names": ["a", "b"], "state": "exited", "image": "x", "labels": {}},
    ]


DER = b"\x30\x82\x01\x0a" + bytes(range(200))  # any bytes: the fingerprint is the SHA-256 of what the PEM carries


def pem(der: bytes = DER) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[index:index + 64] for index in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize("data,expected", [
    (pem(), hashlib.sha256(DER).hexdigest()),
    (pem().encode(), hashlib.sha256(DER).hexdigest()),
    ("subject=CN = ca\n" + pem() + "\n\n", hashlib.sha256(DER).hexdigest()),  # text around it does not matter
    (pem() + pem(b"other"), hashlib.sha256(DER).hexdigest()),  # the first certificate
    ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", None),
    ("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", None),
    (None, None),
])
def test_certificate_fingerprint(data, expected):
    assert hs.certificate_fingerprint(data) == expected


def test_describe_path_of_files_directories_and_nothing(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text(pem())
    ca.chmod(0o644)
    marker = tmp_path / "cluster.json"
    marker.write_text(json.dumps({"cluster_token": "curtain-etcd"}))
    (tmp_path / "link").symlink_to(ca)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (hs.MAX_HASHED_BYTES + 1))

    described = hs.describe_path(str(ca))
    assert described == {"exists": True, "type": "file", "mode": "0644", "size": len(pem()), "link": False,
                         "sha256": hashlib.sha256(pem().encode()).hexdigest(),
                         "certificate_sha256": hashlib.sha256(DER).hexdigest()}
    assert hs.describe_path(str(marker), read_json=True)["json"] == {"cluster_token": "curtain-etcd"}
    assert "json" not in hs.describe_path(str(marker))
    assert hs.describe_path(str(tmp_path / "link"))["link"] is True
    assert "sha256" not in hs.describe_path(str(big))
    assert hs.describe_path(str(tmp_path / "missing")) == {"exists": False}
    listing = hs.describe_path(str(tmp_path))
    assert listing["type"] == "directory"
    assert listing["entries"] == ["big", "ca.crt", "cluster.json", "link"]
    assert listing["entries_truncated"] is False


def test_describe_path_reports_bad_json(tmp_path):
    broken = tmp_path / "cluster.json"
    broken.write_text("{not json")
    assert hs.describe_path(str(broken), read_json=True)["json_error"].startswith("not JSON")


def test_describe_path_returns_a_small_text_file_whole(tmp_path):
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text("nameserver 127.0.0.53\noptions edns0 trust-ad\n")
    assert hs.describe_path(str(resolv_conf), read_text=True)["text"] == (
        "nameserver 127.0.0.53\noptions edns0 trust-ad\n")
    assert "text" not in hs.describe_path(str(resolv_conf))
    large = tmp_path / "large"
    large.write_bytes(b"#" * (hs.MAX_JSON_BYTES + 1))
    assert hs.describe_path(str(large), read_text=True)["text_error"] == f"larger than {hs.MAX_JSON_BYTES} bytes"


def _fake_proc(root: Path, *, port_hex: str, inode: int, pid: int, cgroup: str) -> Path:
    proc = root / "proc"
    (proc / "net").mkdir(parents=True)
    (proc / "net" / "tcp").write_text(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        f"   0: 00000000:{port_hex} 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 {inode} 1 0\n")
    (proc / str(pid) / "fd").mkdir(parents=True)
    os.symlink(f"socket:[{inode}]", proc / str(pid) / "fd" / "3")
    (proc / str(pid) / "comm").write_text("etcd\n")
    (proc / str(pid) / "cgroup").write_text(cgroup)
    (proc / "sys" / "kernel").mkdir(parents=True)
    (proc / "sys" / "kernel" / "osrelease").write_text("6.1.0-18-amd64\n")
    (proc / "sys" / "net" / "ipv4").mkdir(parents=True)
    (proc / "sys" / "net" / "ipv4" / "ip_forward").write_text("1\n")
    (proc / "modules").write_text("overlay 151552 12 - Live 0x0\nnf_tables 1 0 - Live 0x0\nvfat 1 0 - Live 0x0\n")
    (proc / "filesystems").write_text("nodev\toverlay\n")
    (proc / "swaps").write_text("Filename Type Size Used Priority\n/swapfile file 1024 0 -2\n")
    (proc / "cgroups").write_text(PROC_CGROUPS)
    return proc


def test_survey_over_a_fake_proc(tmp_path):
    proc = _fake_proc(tmp_path, port_hex="0943", inode=4242, pid=77, cgroup=f"0::/docker/{CONTAINER}\n")
    sys_fs = tmp_path / "sys"
    (sys_fs / "fs" / "cgroup").mkdir(parents=True)
    (sys_fs / "fs" / "cgroup" / "cgroup.controllers").write_text("cpu memory pids\n")
    calls = []

    def docker(args):
        calls.append(list(args))
        if args[0] == "version":
            return 0, DOCKER_VERSION, ""
        if args[0] == "image":
            return ((0, json.dumps([IMAGE]), "") if args[-1] == "curtain/etcd:3.7.4"
                    else (1, "[]", "Error: No such image: curtain/etcd:9.9.9"))
        if args[0] == "container":
            return ((0, json.dumps([{"Id": CONTAINER, "State": {"Running": True}}]), "") if args[-1] == "curtain-etcd"
                    else (1, "[]", "Error: No such container: other"))
        return 0, json.dumps({"ID": CONTAINER, "Names": "curtain-etcd", "State": "running",
                              "Labels": "io.curtain.managed-by=curtain"}) + "\n", ""

    found = hs.survey(ports=[2371, 2380], paths=[str(tmp_path / "nothing")], json_files=[],
                      images=["curtain/etcd:3.7.4", "curtain/etcd:9.9.9"], inspect=["curtain-etcd", "other"],
                      docker=docker,
                      proc=str(proc), sys_fs=str(sys_fs), lib_modules=str(tmp_path / "no-modules"))

    assert calls[0] == ["version", "--format", "{{json .}}"]
    assert calls[1] == ["ps", "-a", "--no-trunc", "--format", "{{json .}}"]
    assert found["docker"]["server_version"] == "20.10.24+dfsg1"
    assert found["containers"][0]["labels"] == {"io.curtain.managed-by": "curtain"}
    assert found["kernel"] == {"release": "6.1.0-18-amd64", "module_support": True, "modules": ["nf_tables", "overlay"],
                               "builtin": [], "filesystems": ["overlay"]}
    assert found["cgroup"] == {"version": 2, "controllers": ["cpu", "memory", "pids"]}
    assert found["sysctls"] == {"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": None}
    assert found["swap"]["active"] is True
    held, free = found["ports"]
    assert (held["port"], held["listening"], held["pid"], held["process"], held["container_id"], held["in_pod"]) == (
        2371, True, 77, "etcd", CONTAINER, False)
    assert (free["port"], free["listening"], free["container_id"], free["in_pod"]) == (2380, False, None, False)
    assert found["paths"] == {str(tmp_path / "nothing"): {"exists": False}}
    assert calls[2] == ["image", "inspect", "curtain/etcd:3.7.4"]
    assert found["images"] == {"curtain/etcd:3.7.4": {"present": True, "id": "sha256:1f2e", "described": IMAGE},
                               "curtain/etcd:9.9.9": {"present": False, "id": None, "described": None}}
    assert calls[-1] == ["container", "inspect", "other"]
    assert found["inspected"] == {"curtain-etcd": {"Id": CONTAINER, "State": {"Running": True}}, "other": None}
    assert found["execs"] == {}


@pytest.mark.parametrize(("inspected", "state", "ran"), [
    ({"curtain-etcd": {"State": {"Running": True}}}, "exited", True),  # the inspect, when there is one, decides
    ({"curtain-etcd": {"State": {"Running": False, "Restarting": True}}}, "running", False),
    ({"curtain-etcd": None}, "running", False),
    ({}, "running", True),  # not inspected: its state in docker ps
    ({}, "exited", False),
])
def test_a_command_runs_only_in_a_running_container(inspected, state, ran):
    calls = []

    def docker(args):
        calls.append(list(args))
        return 0, "etcd Version: 3.6.7\n", ""

    containers = [{"names": ["curtain-etcd"], "state": state}]
    found = hs.exec_report(docker, [{"container": "curtain-etcd", "argv": ["etcd", "--version"]}], inspected,
                           containers)
    if ran:
        assert calls == [["exec", "curtain-etcd", "etcd", "--version"]]
        assert found == {"curtain-etcd": {"rc": 0, "stdout": "etcd Version: 3.6.7\n", "stderr": ""}}
    else:
        assert calls == [] and found == {"curtain-etcd": None}


def test_no_command_runs_without_an_engine():
    assert hs.exec_report(None, [{"container": "curtain-etcd", "argv": ["etcd", "--version"]}],
                          {"curtain-etcd": {"State": {"Running": True}}}, []) == {"curtain-etcd": None}


@pytest.mark.parametrize("cgroup,container_id,in_pod", [
    (f"0::/docker/{CONTAINER}\n", CONTAINER, False),  # a Docker container
    # a pod of curtain's kubelet (its cgroup root /curtain), in containerd: cgroup v1 and v2
    (f"9:name=systemd:/curtain/kubepods/burstable/pod6788ca2d/{CONTAINER}\n"
     f"8:pids:/curtain/kubepods/burstable/pod6788ca2d/{CONTAINER}\n", CONTAINER, True),
    (f"0::/kubepods/besteffort/pod1234/{CONTAINER}\n", CONTAINER, True),
    ("0::/user.slice/user-1000.slice/session-2.scope\n", None, False),  # a process outside containers
])
def test_port_report_says_whether_the_owner_is_in_a_pod(tmp_path, cgroup, container_id, in_pod):
    proc = _fake_proc(tmp_path, port_hex="2823", inode=5151, pid=88, cgroup=cgroup)
    (owner,) = hs.port_report([10275], proc=str(proc))
    assert (owner["port"], owner["listening"], owner["pid"], owner["container_id"], owner["in_pod"]) == (
        10275, True, 88, container_id, in_pod)


@pytest.mark.parametrize("docker,expected_error", [
    (None, "the docker command is not on PATH"),
    (lambda args: (1, json.dumps({"Client": {"Version": "20.10"}, "Server": None}), "Cannot connect"),
     "Cannot connect"),
    (lambda args: (0, DOCKER_VERSION, "") if args[0] == "version" else (1, "", "permission denied"),
     "docker ps failed: permission denied"),
])
def test_survey_without_a_working_docker(docker, expected_error, tmp_path):
    found = hs.survey(ports=[], paths=[], images=["curtain/etcd:3.7.4"], inspect=["curtain-etcd"], docker=docker,
                      proc=str(tmp_path), sys_fs=str(tmp_path))
    assert found["docker"]["error"] == expected_error
    assert found["containers"] == []
    assert found["images"] == {"curtain/etcd:3.7.4": {"present": False, "id": None, "described": None}}
    assert found["inspected"] == {"curtain-etcd": None}
    assert found["kernel"]["module_support"] is False  # no /proc/modules here


def test_the_module_reads_this_host_and_changes_nothing(module_runner, tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        # An image this machine's Engine has (set-up built them), and one it cannot have.
        present = subprocess.run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"], check=True,
                                 capture_output=True, text=True).stdout.split()[0]
        exited = module_runner(host_survey_module.main,
                               {"ports": [port], "paths": [str(tmp_path)], "json_files": [],
                                "images": [present, "curtain/absent:never"], "inspect": ["curtain-absent-never"]},
                               check_mode=True)
    assert not exited.failed
    result = exited.result
    assert result["changed"] is False
    assert isinstance(result["time"], float)
    (owner,) = result["ports"]
    assert owner["listening"] and owner["pid"] == os.getpid()
    assert result["paths"][str(tmp_path)]["type"] == "directory"
    assert result["cgroup"]["version"] in (1, 2)
    assert set(result["docker"]) == {"present", "client_version", "server_version", "error"}
    assert result["images"][present]["present"] and result["images"][present]["id"].startswith("sha256:")
    assert present in result["images"][present]["described"]["RepoTags"]
    assert result["images"]["curtain/absent:never"] == {"present": False, "id": None, "described": None}
    assert result["inspected"] == {"curtain-absent-never": None}


def test_the_action_plugin_brackets_the_module_with_the_controller_clock():
    action = ActionModule.__new__(ActionModule)
    action._task = mock.Mock(args={"ports": []})
    clock = iter([100.0, 103.0])
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}), \
            mock.patch.object(ActionModule, "_execute_module", create=True,
                              return_value={"time": 101.0, "changed": False}) as execute, \
            mock.patch("time.time", side_effect=lambda: next(clock)):
        result = ActionModule.run(action, task_vars={})
    assert execute.call_args.kwargs["module_name"] == "curtain.kube.host_survey"
    assert result == {"time": 101.0, "changed": False, "controller_time_before": 100.0,
                      "controller_time_after": 103.0, "reused": False,
                      "request": {option: [] for option in REQUEST_OPTIONS}}


# A survey as the action registers it: what it was asked, and its answers to that.
EARLIER = {
    "changed": False, "time": 101.0, "reused": False, "docker": {"present": True}, "containers": [{"id": "c1"}],
    "request": {"ports": [2379, 6443], "paths": ["/data/member", "/etc/kubernetes/manifests"],
                "json_files": ["/data/cluster.json"], "text_files": ["/etc/resolv.conf"],
                "images": ["curtain/etcd:3.6.8", "registry.k8s.io/kube-apiserver:v1.37.2"],
                "inspect": ["curtain-etcd"],
                "execs": [{"container": "curtain-etcd", "argv": ["etcd", "--version"]},
                          {"container": "curtain-kubelet", "argv": ["ctr", "images", "list"]}]},
    "ports": [{"port": 2379, "listening": True}, {"port": 6443, "listening": False}],
    "paths": {"/data/member": {"exists": True}, "/etc/kubernetes/manifests": {"exists": False},
              "/data/cluster.json": {"exists": True, "json": {}}, "/etc/resolv.conf": {"exists": True, "text": ""}},
    "images": {"curtain/etcd:3.6.8": {"present": True}, "registry.k8s.io/kube-apiserver:v1.37.2": {"present": False}},
    "inspected": {"curtain-etcd": {"State": {"Running": True}}},
    "execs": {"curtain-etcd": {"rc": 0, "stdout": "etcd Version: 3.6.8"}, "curtain-kubelet": None},
}
ETCD_LOOK = {"ports": [2379], "paths": ["/data/member"], "json_files": ["/data/cluster.json"],
             "images": ["curtain/etcd:3.6.8"], "inspect": ["curtain-etcd"],
             "execs": [{"container": "curtain-etcd", "argv": ["etcd", "--version"]}]}


def test_an_earlier_survey_that_asked_all_answers_with_only_what_is_asked():
    answer = earlier_answer(ETCD_LOOK, EARLIER)
    assert answer["reused"] is True
    assert answer["ports"] == [{"port": 2379, "listening": True}]  # 6443's owner is not the etcd look's business
    assert set(answer["paths"]) == {"/data/member", "/data/cluster.json"}
    assert answer["images"] == {"curtain/etcd:3.6.8": {"present": True}}
    assert answer["inspected"] == EARLIER["inspected"]
    assert answer["execs"] == {"curtain-etcd": EARLIER["execs"]["curtain-etcd"]}
    assert (answer["containers"], answer["docker"], answer["time"]) == (EARLIER["containers"], EARLIER["docker"], 101.0)
    # What it holds is what was asked, so that it can be handed on in turn.
    assert earlier_answer(ETCD_LOOK, answer) == answer
    assert earlier_answer({**ETCD_LOOK, "text_files": ["/etc/resolv.conf"]}, answer) is None


@pytest.mark.parametrize("request_changes", [
    {"ports": [2379, 2380]},  # a port not asked
    {"paths": ["/data/member", "/elsewhere"]},
    {"images": ["curtain/etcd:3.6.9"]},  # another release's image
    {"inspect": ["curtain-kubelet"]},
    {"execs": [{"container": "curtain-etcd", "argv": ["etcd", "--help"]}]},  # another command in the container
])
def test_an_earlier_survey_that_did_not_ask_all_does_not_answer(request_changes):
    assert earlier_answer({**ETCD_LOOK, **request_changes}, EARLIER) is None


@pytest.mark.parametrize("earlier", [
    None, {}, {"skipped": True, "changed": False}, {**EARLIER, "failed": True}, {**EARLIER, "unreachable": True},
    {key: value for key, value in EARLIER.items() if key != "request"},  # not the action's result
])
def test_no_survey_or_a_failed_one_does_not_answer(earlier):
    assert earlier_answer(ETCD_LOOK, earlier) is None


def test_the_action_answers_from_an_earlier_survey_without_contacting_the_host():
    action = ActionModule.__new__(ActionModule)
    action._task = mock.Mock(args={**ETCD_LOOK, "earlier": EARLIER})
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}), \
            mock.patch.object(ActionModule, "_execute_module", create=True) as execute:
        result = ActionModule.run(action, task_vars={})
    execute.assert_not_called()
    assert result["reused"] is True and result["changed"] is False
    assert result["execs"] == {"curtain-etcd": EARLIER["execs"]["curtain-etcd"]}


def test_the_action_surveys_the_host_when_the_earlier_survey_did_not_ask_all():
    action = ActionModule.__new__(ActionModule)
    action._task = mock.Mock(args={**ETCD_LOOK, "ports": [2380], "earlier": EARLIER})
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}), \
            mock.patch.object(ActionModule, "_execute_module", create=True,
                              return_value={"time": 101.0, "changed": False}) as execute:
        result = ActionModule.run(action, task_vars={})
    assert "earlier" not in execute.call_args.kwargs["module_args"]  # the module never gets it
    assert execute.call_args.kwargs["module_args"]["ports"] == [2380]
    assert result["reused"] is False and result["request"]["ports"] == [2380]

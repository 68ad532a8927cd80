"""The reset's decisions (module_utils/reset.py, modules/reset_plan.py): which manifests, containers, volumes, files
and directories are curtain's, in which order they go, what stays and why, and that a clean host means no change."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.curtain.kube.plugins.action.kube_file import render
from ansible_collections.curtain.kube.plugins.module_utils import reset
from ansible_collections.curtain.kube.plugins.module_utils.kube_manifests import control_plane_pods
from ansible_collections.curtain.kube.plugins.module_utils.kube_proxy import static_pod, workload
from ansible_collections.curtain.kube.plugins.modules import reset_plan

ETCD = {"etcd_data_dir": "/var/lib/curtain/etcd", "etcd_pki_dir": "/etc/curtain/pki/etcd",
        "etcd_backup_dir": "/var/lib/curtain/backups/etcd"}
PATHS = reset.reset_paths({}, {}, **ETCD)
NODE = "master-1"
MODERN_PODS = control_plane_pods("modern", {"advertise_address": "192.0.2.10"})
SEED_PODS = control_plane_pods("seed", {})
PROXY_POD = static_pod(workload("modern", {}, privilege="capabilities", capabilities=["NET_ADMIN"]))
FOREIGN_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "foreign", "namespace": "kube-system"},
               "spec": {"containers": [{"name": "sleep", "image": "busybox"}]}}


def modern_yaml(component: str) -> str:
    return render(MODERN_PODS[f"{component}.yaml"], "yaml")


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def container(cid: str, name: str, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"Id": cid, "Names": [f"/{name}"], "Labels": labels, "State": "running", "Image": f"img-{name}",
            "ImageID": f"sha256:{cid}", "Command": "", "Mounts": [], **extra}


def curtain(component: str, **extra: Any) -> dict[str, str]:
    return {"io.curtain.managed-by": "curtain", "io.curtain.component": component, **extra}


def pod(name: str, namespace: str = "kube-system", container_name: str = "c") -> dict[str, str]:
    return {"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace,
            "io.kubernetes.container.name": container_name}


def seed_pod(name: str, namespace: str = "default") -> dict[str, str]:
    """The one pod label the seed's 1.1 kubelet sets (pkg/kubelet/dockertools/manager.go of v1.1.8)."""
    return {"io.kubernetes.pod.name": f"{namespace}/{name}"}


# --- manifests ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "ours", "pod_name", "namespace"),
    [
        # What the roles write, rendered as the kube_file action renders it.
        ("kube-apiserver.yaml", modern_yaml("kube-apiserver"), True, "kube-apiserver", "kube-system"),
        ("kube-scheduler.yaml", modern_yaml("kube-scheduler"), True, "kube-scheduler", "kube-system"),
        ("master.json", render(SEED_PODS["master.json"], "json"), True, "k8s-master", "default"),
        ("kube-proxy.yaml", render(PROXY_POD, "yaml"), True, "kube-proxy", "kube-system"),
        # Someone else's.
        ("foreign.yaml", render(FOREIGN_POD, "yaml"), False, "foreign", "kube-system"),
        ("other.json", render(SEED_PODS["master.json"], "json"), False, "k8s-master", "default"),  # not master.json
        ("master.json", json.dumps({**SEED_PODS["master.json"], "metadata": {"name": "mine"}}), False, "mine",
         "default"),
        ("kube-apiserver.yaml", yaml.safe_dump({**MODERN_PODS["kube-apiserver.yaml"],
                                                 "metadata": {"name": "kube-apiserver", "namespace": "kube-system"}}),
         False, "kube-apiserver", "kube-system"),  # kubeadm's, say: same name, no curtain label
        (".kube-apiserver.yaml.swp", modern_yaml("kube-apiserver"), False, None, "default"),
        ("README", "not: [a pod", False, None, "default"),
        ("list.yaml", "- a\n- b\n", False, None, "default"),
        ("binary", b"\xff\xfe\x00", False, None, "default"),
        ("nameless.yaml", yaml.safe_dump({"kind": "Pod", "metadata": {"labels": {reset.MANIFEST_LABEL: "curtain"}}}),
         False, None, "default"),
    ],
)
def test_whose_manifest(name: str, content: str | bytes, ours: bool, pod_name: str | None, namespace: str) -> None:
    manifest = reset.read_manifest(f"/etc/kubernetes/manifests/{name}",
                                   content.encode() if isinstance(content, str) else content)
    assert (manifest.ours, manifest.pod, manifest.namespace) == (ours, pod_name, namespace), manifest.why


def test_unreadable_base64_is_not_ours() -> None:
    (manifest,) = reset.read_manifests({"/m/x.yaml": "not base64!"})
    assert not manifest.ours


# --- node names and pods --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("candidates", "commands", "expected"),
    [
        (["Master-1", None, "master-1"], [], ["master-1"]),
        (["master-1", "127.0.0.1", "host.example"], [], ["master-1", "127.0.0.1", "host.example"]),
        (["m"], ["kubelet --config=/x --hostname-override=Node-7"], ["m", "node-7"]),
        ([""], ["/hyperkube kubelet --containerized"], []),
    ],
)
def test_node_names(candidates: list[str | None], commands: list[str], expected: list[str]) -> None:
    containers = [container(str(i), "c", {}, Command=command) for i, command in enumerate(commands)]
    assert reset.node_names(*candidates, containers=containers) == expected


@pytest.mark.parametrize(("profile", "expected"), [("modern", None), ("seed", "127.0.0.1")])
def test_default_hostname_override(profile: str, expected: str | None) -> None:
    assert reset.default_hostname_override(profile) == expected


def test_our_pods_are_named_per_node() -> None:
    manifests = [reset.Manifest("/m/a.yaml", True, "", "kube-apiserver", "kube-system"),
                 reset.Manifest("/m/f.yaml", False, "", "foreign", "kube-system")]
    assert reset.our_pods(manifests, ["n1", "127.0.0.1"]) == {
        ("kube-system", "kube-apiserver-n1"): "/m/a.yaml", ("kube-system", "kube-apiserver-127.0.0.1"): "/m/a.yaml"}


# --- containers -------------------------------------------------------------------------------------------------
PODS = {("kube-system", f"kube-apiserver-{NODE}"): "/m/kube-apiserver.yaml",
        ("kube-system", f"kube-proxy-{NODE}"): "/m/kube-proxy.yaml",
        ("default", "k8s-master-127.0.0.1"): "/m/master.json"}


@pytest.mark.parametrize(
    ("containers", "removed", "kept"),
    [
        pytest.param(
            [container("e", "curtain-etcd", curtain("etcd")), container("k", "curtain-kubelet", curtain("kubelet")),
             container("p", "curtain-kube-proxy", curtain("kube-proxy")),
             container("t", "curtain-etcd-tool", curtain("etcd-tool")),
             container("a", "k8s_kube-apiserver", pod(f"kube-apiserver-{NODE}"))],
            ["curtain-kubelet", "curtain-kube-proxy", "k8s_kube-apiserver", "curtain-etcd-tool", "curtain-etcd"],
            [], id="kubelet first, then kube-proxy, pods, tools, etcd last"),
        pytest.param(
            [container("a", "k8s_kube-apiserver", pod(f"kube-apiserver-{NODE}")),
             container("b", "k8s_kube-apiserver_other", pod("kube-apiserver-other-node")),
             container("c", "k8s_foreign", pod(f"foreign-{NODE}")),
             container("d", "k8s_apiserver_default", pod(f"kube-apiserver-{NODE}", namespace="default")),
             container("s", "k8s_apiserver_seed", seed_pod("k8s-master-127.0.0.1"))],
            ["k8s_apiserver_seed", "k8s_kube-apiserver"],
            ["container k8s_kube-apiserver_other", "container k8s_foreign", "container k8s_apiserver_default"],
            id="only the pods of curtain's manifests on this node"),
        pytest.param(
            [container("x", "lookalike", {"io.curtain.managed-by": "someone-else"}), container("y", "web", {})],
            [], ["containers lookalike, web"], id="other containers, even with a look-alike label, stay"),
        pytest.param(
            [container("k", "curtain-kubelet", {**curtain("kubelet"), **pod("x")})], ["curtain-kubelet"], [],
            id="curtain's label decides before the kubelet's"),
    ],
)
def test_which_containers_go(containers: list[dict], removed: list[str], kept: list[str]) -> None:
    removals, kept_containers = reset.classify_containers(containers, PODS)
    assert [removal.name for removal in removals] == removed
    assert [entry["what"] for entry in kept_containers] == kept


def test_kubelet_volumes_of_removed_pods_only() -> None:
    labels = pod(f"kube-apiserver-{NODE}")
    ours = container("a", "k8s_a", labels, Mounts=[
        {"Type": "volume", "Name": f"k8s_cache_kube-apiserver-{NODE}_kube-system_uid1"},
        {"Type": "volume", "Name": "someones-named-volume"},
        {"Type": "bind", "Source": "/etc/kubernetes/pki"}])
    foreign = container("f", "k8s_f", pod(f"foreign-{NODE}"), Mounts=[
        {"Type": "volume", "Name": f"k8s_cache_foreign-{NODE}_kube-system_uid2"}])
    assert reset.kubelet_volumes([ours, foreign], ["a"]) == [f"k8s_cache_kube-apiserver-{NODE}_kube-system_uid1"]


# --- kube-proxy's cleanup -------------------------------------------------------------------------------------------
LOCK = {"Type": "bind", "Source": "/run/xtables.lock", "Destination": "/run/xtables.lock", "RW": True}
MODULES = {"Type": "bind", "Source": "/lib/modules", "Destination": "/lib/modules", "RW": False}
CONFIG = {"Type": "bind", "Source": "/var/lib/kube-proxy", "Destination": "/var/lib/kube-proxy", "RW": False}


@pytest.mark.parametrize(
    ("source", "profile", "privilege", "expected"),
    [
        pytest.param(container("p", "curtain-kube-proxy", curtain("kube-proxy"), Mounts=[LOCK, MODULES, CONFIG]),
                     "modern", "capabilities",
                     {"source": "curtain-kube-proxy", "image": "sha256:p", "entrypoint": ["kube-proxy"],
                      "command": ["--cleanup"], "privileged": False, "capabilities": ["NET_ADMIN", "NET_RAW"],
                      "volumes": ["/lib/modules:/lib/modules:ro", "/run/xtables.lock:/run/xtables.lock:rw"]},
                     id="container, modern"),
        pytest.param(container("q", "k8s_kube-proxy", pod(f"kube-proxy-{NODE}", container_name="kube-proxy"),
                               Mounts=[LOCK]),
                     "modern", "privileged",
                     {"source": "k8s_kube-proxy", "image": "sha256:q", "entrypoint": ["kube-proxy"],
                      "command": ["--cleanup"], "privileged": True, "capabilities": [],
                      "volumes": ["/run/xtables.lock:/run/xtables.lock:rw"]},
                     id="static pod, privileged"),
        pytest.param(container("s", "curtain-kube-proxy", curtain("kube-proxy")), "seed", "capabilities",
                     {"source": "curtain-kube-proxy", "image": "sha256:s", "entrypoint": ["/hyperkube", "proxy"],
                      "command": ["--cleanup-iptables"], "privileged": False,
                      "capabilities": ["NET_ADMIN", "NET_RAW"], "volumes": []},
                     id="seed: hyperkube proxy --cleanup-iptables, no mounts"),
    ],
)
def test_kube_proxy_cleanup(source: dict, profile: str, privilege: str, expected: dict) -> None:
    removals, _ = reset.classify_containers([source], PODS)
    cleanup = reset.kube_proxy_cleanup([source], removals, profile=profile, privilege=privilege,
                                       capabilities=["net_raw", "NET_ADMIN"])
    assert cleanup == expected


def test_kube_proxy_cleanup_of_a_static_pod_docker_does_not_see() -> None:
    """Modern: kube-proxy's static pod ran in the kubelet's containerd; curtain's manifest gives its image, mounts."""
    [manifest] = reset.read_manifests({"/etc/kubernetes/manifests/kube-proxy.yaml": b64(render(PROXY_POD, "yaml"))})
    assert manifest.ours and manifest.image == "registry.k8s.io/kube-proxy:v1.37.2"
    cleanup = reset.kube_proxy_cleanup([], [], profile="modern", privilege="capabilities", capabilities=["NET_ADMIN"],
                                       manifests=[manifest])
    assert cleanup == {"source": "/etc/kubernetes/manifests/kube-proxy.yaml",
                       "image": "registry.k8s.io/kube-proxy:v1.37.2", "entrypoint": ["kube-proxy"],
                       "command": ["--cleanup"], "privileged": False, "capabilities": ["NET_ADMIN"],
                       "volumes": ["/lib/modules:/lib/modules:ro", "/run/xtables.lock:/run/xtables.lock:rw"]}
    foreign = reset.Manifest("/etc/kubernetes/manifests/kube-proxy.yaml", False, "not curtain's", "kube-proxy",
                             "kube-system", "someone/kube-proxy:1", ("/run/xtables.lock",))
    assert reset.kube_proxy_cleanup([], [], profile="modern", privilege="capabilities", capabilities=["NET_ADMIN"],
                                    manifests=[foreign]) is None


def test_no_cleanup_without_curtains_kube_proxy() -> None:
    foreign = container("f", "kube-proxy", pod("kube-proxy-other", container_name="kube-proxy"))
    etcd = container("e", "curtain-etcd", curtain("etcd"))
    removals, _ = reset.classify_containers([etcd, foreign], PODS)
    assert reset.kube_proxy_cleanup([etcd, foreign], removals, profile="modern", privilege="capabilities",
                                    capabilities=["NET_ADMIN"]) is None


# --- paths ----------------------------------------------------------------------------------------------------------
def test_paths_follow_the_settings_and_ignore_everything_else() -> None:
    paths = reset.reset_paths(
        {"kubeconfig_dir": "/srv/k8s", "manifest_dir": "/srv/k8s/pods", "audit_log_path": "/var/log/k8s/a.log",
         "service_cidr": "not even a cidr", "typo_key": 1},
        {"kube_proxy_config_file": "/etc/kube-proxy/config.yaml"}, **ETCD)
    assert "/srv/k8s/admin.conf" in paths.files and "/etc/kubernetes/kube-proxy.conf" in paths.files
    assert "/etc/kube-proxy/config.yaml" in paths.files
    assert paths.manifest_dirs == ("/etc/kubernetes/manifests", "/srv/k8s/pods")
    assert paths.audit_log == "/var/log/k8s/a.log"
    assert "/var/lib/kubelet/config.yaml" not in paths.files  # it goes with /var/lib/kubelet
    # The kubelet container's containerd (images and snapshots, state, configuration) and the pod network's address
    # leases go whole; they sit at fixed places, whatever the settings say.
    assert paths.whole_dirs == ("/etc/kubernetes/pki", "/var/lib/kubelet", "/etc/curtain/pki/etcd",
                                "/var/lib/curtain/containerd", "/run/curtain/containerd",
                                "/run/curtain/containerd-shims", "/etc/curtain/containerd",
                                "/var/lib/cni/networks/curtain")
    # The pod network's configuration and the kernel parameter files, and nothing else of those directories.
    for path in ("/etc/cni/net.d/10-curtain.conflist", "/etc/sysctl.d/90-curtain-kubelet.conf",
                 "/etc/sysctl.d/90-curtain-kube-proxy.conf"):
        assert path in paths.files
    assert [path for path in paths.files if path.startswith(("/etc/cni/", "/etc/sysctl.d/", "/var/lib/cni/"))] == [
        "/etc/cni/net.d/10-curtain.conflist", "/etc/sysctl.d/90-curtain-kube-proxy.conf",
        "/etc/sysctl.d/90-curtain-kubelet.conf"]
    # The script that restores the pod network at a boot: without it in the plan, /etc/kubernetes would look held by a
    # foreign file and stay until a second reset.
    assert "/etc/kubernetes/pod-network.sh" in paths.files


@pytest.mark.parametrize(
    ("kube", "etcd", "message"),
    [
        ({"pki_dir": "relative/pki"}, {}, "hyperkube_master_settings"),
        ("not a mapping", {}, "hyperkube_master_settings must be a mapping"),
        ({}, {"etcd_data_dir": "var/lib/etcd"}, "etcd_data_dir must be an absolute path"),
    ],
)
def test_paths_refuse_what_they_cannot_use(kube: Any, etcd: dict, message: str) -> None:
    with pytest.raises(reset.ResetError, match=message):
        reset.reset_paths(kube, {}, **{**ETCD, **etcd})


@pytest.mark.parametrize(
    ("path", "removable"),
    [("/etc/kubernetes", True), ("/etc/curtain", True), ("/var/lib/kubelet", True), ("/etc", False),
     ("/var/lib", False), ("/var/lib/docker", False), ("/etc/ssl/private", False), ("/", False),
     ("relative/dir", False), ("/var/lib/../lib", False)],
)
def test_is_removable(path: str, removable: bool) -> None:
    assert reset.is_removable(path) is removable


def test_directories_left_empty_are_ours_only() -> None:
    # The pod network's directories hold only curtain's network once its files go; /etc/sysctl.d is the system's,
    # whatever it holds (on a minimal host, nothing but curtain's two files).
    assert PATHS.removable_when_empty() == [
        "/var/lib/cni/networks", "/var/log/kubernetes/audit", "/etc/cni/net.d", "/etc/curtain/pki",
        "/etc/kubernetes/manifests", "/var/lib/curtain", "/var/lib/kube-proxy", "/var/log/kubernetes", "/etc/curtain",
        "/etc/kubernetes", "/run/curtain"]


def test_the_sysctl_files_go_and_their_directory_stays() -> None:
    entries = {"/etc/sysctl.d": ["90-curtain-kube-proxy.conf", "90-curtain-kubelet.conf"],
               "/etc/cni/net.d": ["10-curtain.conflist"], "/var/lib/cni/networks": ["curtain"]}
    files = reset.plan_files(PATHS, entries, [], [], remove_etcd_data=False)
    assert files["remove"] == ["/etc/cni/net.d/10-curtain.conflist", "/etc/sysctl.d/90-curtain-kube-proxy.conf",
                               "/etc/sysctl.d/90-curtain-kubelet.conf", "/var/lib/cni/networks/curtain"]
    assert files["rmdir"] == ["/var/lib/cni/networks", "/etc/cni/net.d"]
    # another network's leases and configuration keep the pod network's directories
    theirs = reset.plan_files(PATHS, {"/etc/cni/net.d": ["10-curtain.conflist", "10-flannel.conflist"],
                                      "/var/lib/cni/networks": ["curtain", "cbr0"]}, [], [], remove_etcd_data=False)
    assert theirs["rmdir"] == []
    assert {entry["what"] for entry in theirs["kept"]} == {"/etc/cni/net.d/10-flannel.conflist",
                                                           "/var/lib/cni/networks/cbr0"}


def test_mountinfo_mount_points_unescaped() -> None:
    text = ("22 1 0:21 / /var/lib/kubelet/pods/x/volumes/my\\040disk rw shared:1 - tmpfs tmpfs rw\n"
            "23 1 0:22 / / rw - ext4 /dev/sda1 rw\n")
    assert reset.parse_mountinfo(text) == ["/var/lib/kubelet/pods/x/volumes/my disk", "/"]


# --- files ----------------------------------------------------------------------------------------------------------
INSTALLED = {
    "/etc/kubernetes": ["admin.conf", "audit-policy.yaml", "authentication-config.yaml", "controller-manager.conf",
                        "kubelet.conf", "manifests", "pki", "scheduler.conf"],
    "/etc/kubernetes/manifests": ["kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"],
    "/var/lib": ["dpkg", "kubelet", "curtain"],
    "/var/lib/curtain": ["etcd"],
    "/etc/curtain": ["pki"],
    "/etc/curtain/pki": ["etcd"],
    "/var/log/kubernetes": ["audit"],
    "/var/log/kubernetes/audit": ["audit.log", "audit-2026-01-01T00-00-00.000.log",
                                  "audit-2026-01-02T00-00-00.000.log.gz", "unrelated.log"],
}
OUR_MANIFESTS = [reset.Manifest(f"/etc/kubernetes/manifests/{name}", True, "", name, "kube-system")
                 for name in INSTALLED["/etc/kubernetes/manifests"]]


def test_a_full_install_goes_and_etcd_data_stays() -> None:
    files = reset.plan_files(PATHS, INSTALLED, [], OUR_MANIFESTS, remove_etcd_data=False)
    assert set(files["remove"]) == {
        *(f"/etc/kubernetes/manifests/{name}" for name in INSTALLED["/etc/kubernetes/manifests"]),
        "/etc/kubernetes/admin.conf", "/etc/kubernetes/audit-policy.yaml", "/etc/kubernetes/authentication-config.yaml",
        "/etc/kubernetes/controller-manager.conf", "/etc/kubernetes/kubelet.conf", "/etc/kubernetes/scheduler.conf",
        "/var/log/kubernetes/audit/audit.log", "/var/log/kubernetes/audit/audit-2026-01-01T00-00-00.000.log",
        "/var/log/kubernetes/audit/audit-2026-01-02T00-00-00.000.log.gz",
        "/etc/kubernetes/pki", "/var/lib/kubelet", "/etc/curtain/pki/etcd"}
    assert files["rmdir"] == ["/etc/curtain/pki", "/etc/kubernetes/manifests", "/etc/curtain", "/etc/kubernetes"]
    assert files["etcd_data"] == {"path": "/var/lib/curtain/etcd", "present": True, "requested": False,
                                  "remove": False, "why": files["etcd_data"]["why"]}
    kept = {entry["what"]: entry["why"] for entry in files["kept"]}
    assert set(kept) == {"/var/lib/curtain/etcd", "/var/log/kubernetes/audit/unrelated.log"}
    assert "reset_remove_etcd_data=true" in kept["/var/lib/curtain/etcd"]


def test_etcd_data_goes_when_asked_and_backups_stay() -> None:
    entries = {**INSTALLED, "/var/lib/curtain": ["etcd", "images"]}
    files = reset.plan_files(PATHS, entries, [], OUR_MANIFESTS, remove_etcd_data=True)
    assert files["etcd_data"]["remove"] is True
    assert "/var/lib/curtain" not in files["rmdir"]
    kept = {entry["what"]: entry["why"] for entry in files["kept"]}
    assert kept["/var/lib/curtain/backups/etcd"] == "etcd backups stay"
    assert kept["/var/lib/curtain/images"] == "image tarballs stay: offline installs need them"


def test_a_foreign_manifest_keeps_its_directory() -> None:
    foreign = reset.Manifest("/etc/kubernetes/manifests/foreign.yaml", False, "pod foreign: not curtain's",
                             "foreign", "default")
    entries = {**INSTALLED, "/etc/kubernetes/manifests": [*INSTALLED["/etc/kubernetes/manifests"], "foreign.yaml"]}
    files = reset.plan_files(PATHS, entries, [], [*OUR_MANIFESTS, foreign], remove_etcd_data=False)
    assert "/etc/kubernetes/manifests/foreign.yaml" not in files["remove"]
    assert "/etc/kubernetes/manifests" not in files["rmdir"] and "/etc/kubernetes" not in files["rmdir"]
    kept = {entry["what"]: entry["why"] for entry in files["kept"]}
    assert kept["/etc/kubernetes/manifests/foreign.yaml"] == "pod foreign: not curtain's"


def test_mounts_below_are_unmounted_and_a_mount_point_stays() -> None:
    mounts = ["/var/lib/kubelet/pods/a/volumes/x", "/var/lib/kubelet/pods/a/volumes/x/y", "/etc/curtain/pki/etcd"]
    files = reset.plan_files(PATHS, INSTALLED, mounts, [], remove_etcd_data=False)
    assert files["unmount"] == ["/var/lib/kubelet/pods/a/volumes/x/y", "/var/lib/kubelet/pods/a/volumes/x"]
    assert "/var/lib/kubelet" in files["remove"] and "/etc/curtain/pki/etcd" not in files["remove"]
    assert {entry["what"] for entry in files["kept"]} >= {"/etc/curtain/pki/etcd"}
    assert "/etc/curtain/pki" not in files["rmdir"]


def test_a_directory_left_empty_that_is_a_mount_point_stays() -> None:
    """/var/lib/curtain on a disk of its own: what curtain put on it goes, the mount point stays (and so a run in
    check mode does not call its rmdir a change every time)."""
    entries = {"/var/lib": ["curtain"], "/var/lib/curtain": ["containerd"]}
    paths = reset.reset_paths({}, {}, **{**ETCD, "etcd_data_dir": "/srv/etcd"})
    files = reset.plan_files(paths, entries, ["/var/lib/curtain"], [], remove_etcd_data=False)
    assert files["remove"] == ["/var/lib/curtain/containerd"]
    assert "/var/lib/curtain" not in files["rmdir"]
    assert {"what": "/var/lib/curtain", "why": "a mount point: it stays"} in files["kept"]


def test_etcd_data_with_a_mount_below_stays_even_when_asked() -> None:
    files = reset.plan_files(PATHS, INSTALLED, ["/var/lib/curtain/etcd/data"], [], remove_etcd_data=True)
    assert files["etcd_data"]["remove"] is False and "mounted" in files["etcd_data"]["why"]


def test_a_clean_host_has_nothing_to_do() -> None:
    clean = {"/var/lib": ["dpkg"], "/var/lib/curtain": ["backups"]}
    files = reset.plan_files(PATHS, clean, [], [], remove_etcd_data=True)
    assert (files["remove"], files["rmdir"], files["unmount"], files["etcd_data"]["present"]) == ([], [], [], False)


# --- the host side and the whole plan ----------------------------------------------------------------------------
def test_look_reads_listings_manifests_and_mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kubelet's and containerd's fixed places, moved under tmp_path: the look reads this test's files only.
    host = tmp_path / "host"
    for name in ("KUBELET_ROOT_DIR", "CONTAINERD_ROOT", "CONTAINERD_STATE", "RUNTIME_CONFIG_DIR",
                 "CNI_NETWORK_STATE_DIR", "CNI_CONF_FILE", "RUNTIME_TASKS_DIR"):
        monkeypatch.setattr(reset, name, f"{host}{getattr(reset, name)}")
    (Path(reset.RUNTIME_TASKS_DIR) / "0123abcd").mkdir(parents=True)  # a task containerd runs
    monkeypatch.setattr(reset, "SYSCTL_FILES", tuple(f"{host}{path}" for path in reset.SYSCTL_FILES))
    (host / "etc" / "sysctl.d").mkdir(parents=True)
    (host / "etc" / "sysctl.d" / "90-curtain-kubelet.conf").write_text("vm.overcommit_memory = 1\n")
    (host / "etc" / "sysctl.d" / "99-local.conf").write_text("")
    kube = tmp_path / "kubernetes"
    (kube / "manifests").mkdir(parents=True)
    (kube / "admin.conf").write_text("x")
    (kube / "manifests" / "kube-apiserver.yaml").write_text(modern_yaml("kube-apiserver"))
    (kube / "manifests" / ".hidden").write_text("x")
    (kube / "manifests" / "big.yaml").write_bytes(b"x" * (reset.MANIFEST_MAX_BYTES + 1))
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(f"1 0 0:1 / {kube}/manifests/m rw - tmpfs t rw\n2 0 0:2 / /elsewhere rw - tmpfs t rw\n")
    paths = reset.reset_paths({"kubeconfig_dir": str(kube), "manifest_dir": str(kube / "manifests")}, {},
                              etcd_data_dir=str(tmp_path / "etcd"), etcd_pki_dir=str(tmp_path / "pki"),
                              etcd_backup_dir=str(tmp_path / "backups"))
    looked = reset.look(paths, mountinfo=str(mountinfo))
    assert looked["entries"][str(kube)] == ["admin.conf", "manifests"]
    assert looked["entries"][f"{host}/etc/sysctl.d"] == ["90-curtain-kubelet.conf", "99-local.conf"]
    assert looked["entries"][reset.RUNTIME_TASKS_DIR] == ["0123abcd"]
    fixed = ("/etc/sysctl.d", "/etc/cni", "/var/lib/cni", "/run/curtain", "/etc/curtain", "/var/lib/curtain")
    assert not [directory for directory in looked["entries"] if directory.startswith(fixed)], looked["entries"]
    assert list(looked["manifests"]) == [str(kube / "manifests" / "kube-apiserver.yaml")]
    assert looked["mounts"] == [f"{kube}/manifests/m"]
    assert looked["hostname"]


TASKS = {reset.RUNTIME_TASKS_DIR: ["a1", "b2"]}
KUBELET_IMAGE = "registry.example/kubelet:v1.37.2"


@pytest.mark.parametrize(
    ("containers", "entries", "profile", "expected"),
    [
        pytest.param([container("k", "curtain-kubelet", curtain("kubelet"))], TASKS, "modern",
                     {"container": "curtain-kubelet", "start": None}, id="the running kubelet's own containerd"),
        pytest.param([container("k", "curtain-kubelet", curtain("kubelet"), State="exited")], TASKS, "modern",
                     {"container": reset.RUNTIME_CLEANUP_NAME,
                      "start": {"image": "sha256:k", "tasks": 2, "remove_first": ["curtain-kubelet"]}},
                     id="a stopped kubelet: its image starts containerd alone"),
        pytest.param([container("e", "curtain-etcd", curtain("etcd"))], TASKS, "modern",
                     {"container": reset.RUNTIME_CLEANUP_NAME,
                      "start": {"image": KUBELET_IMAGE, "tasks": 2, "remove_first": []}},
                     id="no kubelet container left: the kubelet image by name"),
        pytest.param([container("e", "curtain-etcd", curtain("etcd"))], {reset.RUNTIME_TASKS_DIR: []}, "modern", None,
                     id="no kubelet and no task: nothing to do"),
        pytest.param([container("k", "curtain-kubelet", curtain("kubelet"))], TASKS, "seed", None,
                     id="seed: the pods are Docker containers"),
    ],
)
def test_where_the_pods_of_curtains_kubelet_are_removed(containers: list[dict], entries: dict, profile: str,
                                                         expected: dict | None) -> None:
    assert reset.runtime_pods(containers, entries, profile=profile, image=KUBELET_IMAGE) == expected


def test_the_plan_of_a_half_finished_install_and_of_a_clean_host() -> None:
    """The kubelet's container was removed by hand; its pods (kube-proxy's static pod among them) run on, in
    containerd's cgroups, where Docker does not see them."""
    manifests = {f"/etc/kubernetes/manifests/{name}": b64(render(content, "yaml"))
                 for name, content in (*MODERN_PODS.items(), ("kube-proxy.yaml", PROXY_POD))}
    looked = {"entries": {**INSTALLED, **TASKS, "/etc/kubernetes/manifests": [Path(path).name for path in manifests]},
              "mounts": [], "hostname": "ignored", "manifests": manifests}
    result = reset.plan(PATHS, looked, [container("e", "curtain-etcd", curtain("etcd"))],
                        inventory_node_names=[NODE.upper()], kube_profile="modern", kube_settings={},
                        kubelet_image=KUBELET_IMAGE, proxy_profile="modern", proxy_privilege="capabilities",
                        proxy_capabilities=["NET_ADMIN"], remove_etcd_data=False)
    assert result["runtime_pods"] == {"container": reset.RUNTIME_CLEANUP_NAME,
                                      "start": {"image": KUBELET_IMAGE, "tasks": 2, "remove_first": []}}
    assert result["kubelet_chains"] is True
    assert [c["name"] for c in result["containers"]] == ["curtain-etcd"]
    assert result["changes"] is True

    clean = reset.plan(PATHS, {"entries": {"/var/lib": ["dpkg"]}, "mounts": [], "hostname": "h", "manifests": {}},
                       [container("w", "web", {})], inventory_node_names=[NODE], kube_profile="modern",
                       kube_settings={}, proxy_profile="modern", proxy_privilege="capabilities",
                       proxy_capabilities=["NET_ADMIN"], remove_etcd_data=False)
    assert clean["changes"] is False and clean["kube_proxy_cleanup"] is None
    assert clean["runtime_pods"] is None and clean["kubelet_chains"] is False


def test_the_seed_kubelets_pods_are_docker_containers_and_go_with_the_plan() -> None:
    """The seed's kubelet ran its pods in Docker: with its container removed by hand, they go by their labels."""
    manifests = {f"/etc/kubernetes/manifests/{name}": b64(render(content, "json"))
                 for name, content in SEED_PODS.items()}
    looked = {"entries": {**INSTALLED, "/etc/kubernetes/manifests": [Path(path).name for path in manifests]},
              "mounts": [], "hostname": "ignored", "manifests": manifests}
    master = container("s", "k8s_apiserver_seed", seed_pod("k8s-master-127.0.0.1"))
    result = reset.plan(PATHS, looked, [master], inventory_node_names=[NODE], kube_profile="seed",
                        kube_settings={}, proxy_profile="seed", proxy_privilege="capabilities",
                        proxy_capabilities=["NET_ADMIN"], remove_etcd_data=False)
    assert [c["name"] for c in result["containers"]] == ["k8s_apiserver_seed"]
    assert result["runtime_pods"] is None and result["kubelet_chains"] is False


@pytest.mark.parametrize("check_mode", [False, True])
def test_module_plan_never_changes_anything(module_runner, check_mode: bool) -> None:
    looked = {"entries": INSTALLED, "mounts": [], "hostname": NODE,
              "manifests": {"/etc/kubernetes/manifests/kube-apiserver.yaml":
                            b64(modern_yaml("kube-apiserver"))}}
    result = module_runner(reset_plan.main, {"step": "plan", "look": looked, **ETCD, "node_names": [NODE]},
                           check_mode=check_mode)
    assert not result.failed, result.result
    assert result.result["changed"] is False
    assert "/etc/kubernetes/manifests/kube-apiserver.yaml" in result.result["plan"]["remove"]


def test_module_names_the_variable_it_cannot_use(module_runner) -> None:
    result = module_runner(reset_plan.main, {"step": "look", **ETCD, "kube_settings": {"manifest_dir": "x"}})
    assert result.failed and result.result["msg"].startswith("hyperkube_master_settings:")

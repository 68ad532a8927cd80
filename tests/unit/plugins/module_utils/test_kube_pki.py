"""Subject alternative names and subjects of the control plane's and the kubelets' certificates, and what goes to a
master and to a node."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import (
    KubePkiError,
    apiserver_kubelet_binding,
    apiserver_sans,
    control_plane_certificates,
    controller_files,
    first_service_ip,
    host_files,
    node_certificates,
)

MASTERS = [
    {"address": "10.0.0.1", "hostnames": ["m1", "m1.example.org"]},
    {"address": "10.0.0.2", "hostnames": ["m2"]},
]


@pytest.mark.parametrize("cidr,expected", [("10.96.0.0/12", "10.96.0.1"), ("10.0.0.0/24", "10.0.0.1"),
                                           ("fd00:10:96::/108", "fd00:10:96::1")])
def test_first_service_ip(cidr: str, expected: str) -> None:
    assert first_service_ip(cidr) == expected


@pytest.mark.parametrize("cidr,fragment", [("10.96.0.1/12", "not a network"), ("10.0.0.0/31", "too small"),
                                           ("banana", "not a network")])
def test_first_service_ip_rejects(cidr: str, fragment: str) -> None:
    with pytest.raises(KubePkiError, match=f"service_cidr: .*{fragment}"):
        first_service_ip(cidr)


def test_apiserver_sans_cover_every_master_the_service_ip_and_the_service_names() -> None:
    sans = apiserver_sans(MASTERS, "10.96.0.0/12", "cluster.local", ["lb.example.org", "10.0.0.1"])
    assert sans == [
        "IP:10.0.0.1", "DNS:m1", "DNS:m1.example.org", "IP:10.0.0.2", "DNS:m2", "IP:10.96.0.1", "IP:127.0.0.1",
        "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local", "DNS:lb.example.org",
    ]


@pytest.mark.parametrize("masters,domain,fragment", [([], "cluster.local", "masters group is empty"),
                                                     (MASTERS, "cluster..local", "cluster_domain")])
def test_apiserver_sans_reject(masters: list, domain: str, fragment: str) -> None:
    with pytest.raises(KubePkiError, match=fragment):
        apiserver_sans(masters, "10.96.0.0/12", domain)


def test_control_plane_certificates_subjects_and_signers() -> None:
    certs = {cert["name"]: cert for cert in control_plane_certificates("m1", ["10.0.0.1"], MASTERS, "10.96.0.0/12")}
    assert certs["apiserver"]["usages"] == ["serverAuth"]
    assert "IP:10.96.0.1" in certs["apiserver"]["subject_alt_names"]
    assert certs["apiserver-etcd-client"]["signer"] == "etcd-ca"
    assert certs["front-proxy-client"]["signer"] == "front-proxy-ca"
    assert certs["kubelet-client"]["common_name"] == "system:node:m1"
    assert certs["kubelet-client"]["organizations"] == ["system:nodes"]
    assert certs["admin"]["organizations"] == ["system:masters"]
    assert certs["controller-manager"]["common_name"] == "system:kube-controller-manager"
    assert certs["scheduler"]["common_name"] == "system:kube-scheduler"
    assert certs["kubelet-server"]["subject_alt_names"] == ["IP:10.0.0.1", "DNS:m1", "IP:127.0.0.1", "DNS:localhost"]


def test_the_apiserver_calls_kubelets_as_a_user_bound_to_kubelet_api_admin_only() -> None:
    """No group in the certificate (no cluster-admin through kubeadm:cluster-admins or system:masters); the role's
    ClusterRoleBinding names its user and gives it system:kubelet-api-admin."""
    certs = {cert["name"]: cert for cert in control_plane_certificates("m1", ["10.0.0.1"], MASTERS, "10.96.0.0/12")}
    client = certs["apiserver-kubelet-client"]
    assert (client["common_name"], client["organizations"], client["usages"], client["signer"]) == (
        "kube-apiserver-kubelet-client", [], ["clientAuth"], "ca")
    binding = apiserver_kubelet_binding()
    assert (binding["metadata"]["name"], binding["roleRef"], binding["subjects"]) == (
        "curtain:apiserver-kubelet-client",
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:kubelet-api-admin"},
        [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": client["common_name"]}])
    cluster = Path(__file__).resolve().parents[4] / "roles" / "hyperkube_master" / "tasks" / "cluster.yml"
    (task,) = [task for task in yaml.safe_load(cluster.read_text()) if "curtain.kube.kube_api" in task]
    assert "curtain.kube.kube_cluster_objects" in task["curtain.kube.kube_api"]["objects"]


def test_control_plane_certificates_need_a_node_name() -> None:
    with pytest.raises(KubePkiError, match="node name"):
        control_plane_certificates("", [], MASTERS, "10.96.0.0/12")


def test_host_files_carry_every_certificate_0644_and_every_key_0600_into_the_pki_dir() -> None:
    certs = control_plane_certificates("m1", ["10.0.0.1"], MASTERS, "10.96.0.0/12")
    files = host_files(certs, "/ctl/pki", "m1", "/ctl/etcd", "/etc/kubernetes/pki")
    certificates = {entry["dest"]: entry for entry in files["certificates"]}
    keys = {entry["dest"]: entry for entry in files["private_keys"]}
    assert certificates["/etc/kubernetes/pki/etcd/ca.crt"]["src"] == "/ctl/etcd/ca.crt"
    assert certificates["/etc/kubernetes/pki/apiserver.crt"]["src"] == "/ctl/pki/m1/apiserver.crt"
    assert keys["/etc/kubernetes/pki/ca.key"]["src"] == "/ctl/pki/ca.key"  # the controller-manager signs with it
    assert len(certificates) == 4 + len(certs) and len(keys) == 2 + len(certs)
    assert {entry["mode"] for entry in files["certificates"]} == {"0644"}
    assert {entry["mode"] for entry in files["private_keys"]} == {"0600"}
    assert not any(dest.endswith(".key") for dest in certificates)
    assert all(dest.endswith(".key") for dest in keys)
    assert files["directories"] == [{"path": "/etc/kubernetes/pki", "mode": "0700"},
                                    {"path": "/etc/kubernetes/pki/etcd", "mode": "0700"}]


def test_controller_files_put_each_certificate_under_its_host_and_name_its_signer() -> None:
    certs = {cert["name"]: cert for cert in controller_files(
        control_plane_certificates("m1", ["10.0.0.1"], MASTERS, "10.96.0.0/12"), "/ctl/pki", "m1", "/ctl/etcd")}
    assert certs["admin"]["key"] == "/ctl/pki/m1/admin.key" and certs["admin"]["cert"] == "/ctl/pki/m1/admin.crt"
    assert (certs["admin"]["signer_cert"], certs["admin"]["signer_key"]) == ("/ctl/pki/ca.crt", "/ctl/pki/ca.key")
    assert certs["apiserver-etcd-client"]["signer_cert"] == "/ctl/etcd/ca.crt"
    assert certs["front-proxy-client"]["signer_key"] == "/ctl/pki/front-proxy-ca.key"


# --- a node: its kubelet's certificates alone -----------------------------------------------------------------------
def test_a_node_s_certificates_are_its_kubelet_s_client_and_server_certificates() -> None:
    certs = node_certificates("n1", ["10.0.0.7", "n1.example.org"])
    assert [cert["name"] for cert in certs] == ["kubelet-client", "kubelet-server"]
    client, server = certs
    # The Node authorizer recognises a kubelet by exactly this subject.
    assert (client["common_name"], client["organizations"], client["usages"], client["signer"]) == (
        "system:node:n1", ["system:nodes"], ["clientAuth"], "ca")
    assert (server["common_name"], server["organizations"], server["usages"], server["signer"]) == (
        "n1", [], ["serverAuth"], "ca")
    assert server["subject_alt_names"] == ["IP:10.0.0.7", "DNS:n1.example.org", "DNS:n1", "IP:127.0.0.1",
                                           "DNS:localhost"]


def test_a_master_s_kubelet_certificates_are_a_node_s() -> None:
    on_master = {cert["name"]: cert for cert in control_plane_certificates("m1", ["10.0.0.1"], MASTERS,
                                                                          "10.96.0.0/12")}
    for cert in node_certificates("m1", ["10.0.0.1"]):
        assert on_master[cert["name"]] == cert


def test_node_certificates_need_a_node_name() -> None:
    with pytest.raises(KubePkiError, match="node name: empty; set kube_node_name"):
        node_certificates("", ["10.0.0.7"])


def test_a_node_gets_the_cluster_ca_s_certificate_and_its_kubelet_s_files_and_no_signing_key() -> None:
    certs = node_certificates("n1", ["10.0.0.7"])
    files = host_files(certs, "/ctl/pki", "n1", "/ctl/etcd", "/etc/kubernetes/pki", control_plane=False)
    assert files["certificates"] == [
        {"src": "/ctl/pki/ca.crt", "dest": "/etc/kubernetes/pki/ca.crt", "mode": "0644"},
        {"src": "/ctl/pki/n1/kubelet-client.crt", "dest": "/etc/kubernetes/pki/kubelet-client.crt", "mode": "0644"},
        {"src": "/ctl/pki/n1/kubelet-server.crt", "dest": "/etc/kubernetes/pki/kubelet-server.crt", "mode": "0644"},
    ]
    assert files["private_keys"] == [
        {"src": "/ctl/pki/n1/kubelet-client.key", "dest": "/etc/kubernetes/pki/kubelet-client.key", "mode": "0600"},
        {"src": "/ctl/pki/n1/kubelet-server.key", "dest": "/etc/kubernetes/pki/kubelet-server.key", "mode": "0600"},
    ]
    every = [entry["dest"] for entry in files["certificates"] + files["private_keys"]]
    for absent in ("ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "etcd/ca.crt"):
        assert f"/etc/kubernetes/pki/{absent}" not in every
    assert not any("/ctl/etcd" in entry["src"] for entry in files["certificates"] + files["private_keys"])


def test_a_master_still_gets_the_signing_keys_and_the_etcd_ca_by_default() -> None:
    certs = control_plane_certificates("m1", ["10.0.0.1"], MASTERS, "10.96.0.0/12")
    default = host_files(certs, "/ctl/pki", "m1", "/ctl/etcd", "/etc/kubernetes/pki")
    assert default == host_files(certs, "/ctl/pki", "m1", "/ctl/etcd", "/etc/kubernetes/pki", control_plane=True)
    keys = {entry["dest"] for entry in default["private_keys"]}
    assert {"/etc/kubernetes/pki/ca.key", "/etc/kubernetes/pki/sa.key"} <= keys
    assert "/etc/kubernetes/pki/etcd/ca.crt" in {entry["dest"] for entry in default["certificates"]}

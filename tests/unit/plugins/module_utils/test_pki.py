import pytest
from ansible_collections.curtain.kube.plugins.module_utils.pki import (
    etcd_host_files,
    etcd_member_certificates,
    subject_alt_names,
)


@pytest.mark.parametrize(
    "names,expected",
    [
        (["10.0.0.1", "127.0.0.1", "localhost"], ["IP:10.0.0.1", "IP:127.0.0.1", "DNS:localhost"]),
        (["etcd-1", "ETCD-1", "", "[fd00::1]"], ["DNS:etcd-1", "IP:fd00::1"]),
        (["10.0.0.1", "10.0.0.1"], ["IP:10.0.0.1"]),
    ],
)
def test_subject_alt_names(names, expected):
    assert subject_alt_names(names) == expected


def test_etcd_member_certificates_name_their_files_and_etcd_s_ca() -> None:
    certs = etcd_member_certificates({"name": "etcd-a", "address": "10.0.0.5"}, "host-a", "/ctl/etcd")
    assert [(cert["name"], cert["usages"]) for cert in certs] == [
        ("server", ["serverAuth", "clientAuth"]), ("peer", ["serverAuth", "clientAuth"]), ("client", ["clientAuth"])]
    assert certs[0]["subject_alt_names"] == ["IP:10.0.0.5", "IP:127.0.0.1", "DNS:localhost", "DNS:host-a",
                                             "DNS:etcd-a"]
    assert (certs[1]["key"], certs[1]["cert"], certs[1]["signer_cert"], certs[1]["signer_key"]) == (
        "/ctl/etcd/host-a-peer.key", "/ctl/etcd/host-a-peer.crt", "/ctl/etcd/ca.crt", "/ctl/etcd/ca.key")


def test_etcd_host_files_carry_the_ca_and_the_member_s_files_from_the_files_pki_check_looks_at() -> None:
    files = etcd_host_files("host-a", "/ctl/etcd", "/etc/curtain/pki/etcd")
    assert [(entry["src"], entry["dest"]) for entry in files["certificates"]] == [
        ("/ctl/etcd/ca.crt", "/etc/curtain/pki/etcd/ca.crt"),
        ("/ctl/etcd/host-a-server.crt", "/etc/curtain/pki/etcd/server.crt"),
        ("/ctl/etcd/host-a-peer.crt", "/etc/curtain/pki/etcd/peer.crt"),
        ("/ctl/etcd/host-a-client.crt", "/etc/curtain/pki/etcd/client.crt")]
    certs = etcd_member_certificates({"name": "etcd-a", "address": "10.0.0.5"}, "host-a", "/ctl/etcd")
    assert [entry["src"] for entry in files["private_keys"]] == [cert["key"] for cert in certs]
    assert [entry["src"] for entry in files["certificates"][1:]] == [cert["cert"] for cert in certs]

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.pki import etcd_member_certificates, subject_alt_names


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

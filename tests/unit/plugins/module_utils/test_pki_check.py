"""pki_check against certificates curtain.kube.pki had community.crypto make as the roles make them (a real
ansible-playbook run on the controller): all current right after, and each difference community.crypto would act
on makes exactly the certificates it concerns pending."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.kube_pki import (
    cluster_authorities,
    control_plane_certificates,
    controller_files,
    kube_proxy_certificate,
)
from ansible_collections.curtain.kube.plugins.module_utils.pki import etcd_authority, etcd_member_certificates
from ansible_collections.curtain.kube.plugins.module_utils.pki_check import authority_problem, look, pending, problem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[4]
MASTERS = [{"address": "10.0.0.1", "hostnames": ["m1"]}]
TOKEN = "curtain-test"


def specs(directory: Path, extra_sans: list[str] | None = None) -> list[dict[str, Any]]:
    certs = control_plane_certificates("m1", ["10.0.0.1"], MASTERS, "10.96.0.0/12", extra_sans=extra_sans)
    return controller_files(certs, str(directory), "m1", str(directory / "etcd"))


def make_pki(directory: Path, certs: list[dict[str, Any]], *, check_mode: bool = False) -> dict[str, Any]:
    """The authorities (authorities()), then the certificates, made by curtain.kube.pki in a real ansible-playbook run
    on the controller, as the roles run it; then both once more. Returns what each of the four runs registered."""
    runs = [{"curtain.kube.pki": {"directory": str(directory / "etcd"), "authorities": authorities(directory)}},
            {"curtain.kube.pki": {"directory": str(directory / "m1"), "certificates": certs}}]
    tasks = [{**task, "delegate_to": "localhost", "register": f"run{number}"}
             for number, task in enumerate(runs + runs)]
    results = directory.parent / f"{directory.name}-results.json"
    tasks.append({"ansible.builtin.copy": {"content": "{{ [run0, run1, run2, run3] | to_json }}",
                                           "dest": str(results)}, "check_mode": False})
    playbook = directory.parent / f"{directory.name}-pki.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               "-e", f"ansible_python_interpreter={sys.executable}", str(playbook),
               *(["--check"] if check_mode else [])]
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    first_authorities, first_certificates, again_authorities, again_certificates = json.loads(results.read_text())
    return {"first": (first_authorities, first_certificates), "again": (again_authorities, again_certificates)}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    directory = tmp_path_factory.mktemp("pki")
    return directory, make_pki(directory, specs(directory))


@pytest.fixture(scope="module")
def pki(made: tuple[Path, dict[str, Any]]) -> Path:
    return made[0]


@pytest.fixture
def copy(pki: Path, tmp_path: Path) -> Path:
    """A copy of the made PKI for a test to change; the paths in its specs point into it."""
    shutil.copytree(pki, tmp_path / "pki", symlinks=True)
    return tmp_path / "pki"


def test_what_curtain_kube_pki_made_is_current_and_a_second_run_runs_nothing(made: tuple[Path, dict[str, Any]]) -> None:
    pki, runs = made
    assert pending(specs(pki)) == {}
    first_authorities, first_certificates = runs["first"]
    assert first_authorities["changed"] and first_authorities["made"] == ["ca", "front-proxy-ca", "sa", "etcd-ca"]
    assert first_certificates["made"] == [cert["name"] for cert in specs(pki)]
    assert first_certificates["problems"]["admin"] == f"{pki}/m1/admin.key does not exist"
    for again in runs["again"]:
        assert again["changed"] is False and again["made"] == [] and again["incomplete"] == [], again
    assert oct((pki / "etcd").stat().st_mode & 0o777) == "0o700" and oct((pki / "m1").stat().st_mode & 0o777) == "0o700"


def test_check_mode_writes_nothing_and_names_what_it_could_not_build_on(tmp_path: Path) -> None:
    """On an empty directory every key is new: the keys' steps report the change, the steps that would read them do
    not run, and every item is incomplete; no file or directory is made."""
    pki = tmp_path / "pki"
    pki.mkdir()
    runs = make_pki(pki, specs(pki), check_mode=True)
    authorities_run, certificates_run = runs["first"]
    assert authorities_run["changed"] and authorities_run["incomplete"] == ["ca", "front-proxy-ca", "sa", "etcd-ca"]
    assert certificates_run["changed"] and certificates_run["incomplete"] == [cert["name"] for cert in specs(pki)]
    assert list(pki.iterdir()) == []


def test_renewal_makes_every_certificate_pending(pki: Path) -> None:
    certs = specs(pki)
    assert sorted(pending(certs, renew=True)) == sorted(cert["name"] for cert in certs)


def test_other_subject_alternative_names_make_only_the_apiserver_pending(pki: Path) -> None:
    assert pending(specs(pki, extra_sans=["api.example.org"])) == {"apiserver": "other subject alternative names"}


@pytest.mark.parametrize(("change", "why"), [
    (lambda directory: (directory / "m1/admin.key").unlink(), "does not exist"),
    (lambda directory: (directory / "m1/admin.crt").unlink(), "does not exist"),
    (lambda directory: (directory / "m1/admin.key").chmod(0o644), "has mode 0644, not 0600"),
    (lambda directory: (directory / "m1/admin.crt").chmod(0o600), "has mode 0600, not 0644"),
    (lambda directory: shutil.copy(directory / "m1/scheduler.crt", directory / "m1/admin.crt"),
     "the certificate is not for this key"),
    (lambda directory: (directory / "m1/admin.crt").write_text("not a certificate\n"), "cannot read it"),
])
def test_a_changed_file_makes_that_certificate_pending(copy: Path, change: Any, why: str) -> None:
    change(copy)
    found = pending(specs(copy))
    assert list(found) == ["admin"] and why in found["admin"], found


def test_another_ca_makes_the_certificates_it_signed_pending(copy: Path) -> None:
    shutil.copy(copy / "front-proxy-ca.crt", copy / "ca.crt")  # the cluster CA's certificate replaced
    found = pending(specs(copy))
    signed_by_ca = sorted(cert["name"] for cert in specs(copy) if cert["signer"] == "ca")
    assert sorted(found) == signed_by_ca
    assert {why for why in found.values()} == {"issued by another CA"}


def test_another_subject_or_usage_is_pending(pki: Path) -> None:
    admin = next(cert for cert in specs(pki) if cert["name"] == "admin")
    assert problem({**admin, "organizations": ["other"]}, admin["key"], admin["cert"], admin["signer_cert"]) \
        == "another subject"
    assert problem({**admin, "usages": ["serverAuth"]}, admin["key"], admin["cert"], admin["signer_cert"]) \
        == "other extended key usages"


def test_an_expired_certificate_is_pending(pki: Path) -> None:
    admin = next(cert for cert in specs(pki) if cert["name"] == "admin")
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)
    assert problem(admin, admin["key"], admin["cert"], admin["signer_cert"], now=later) == "expired"


def test_etcd_s_and_kube_proxy_s_certificates_made_as_their_roles_make_them_are_current(tmp_path: Path) -> None:
    """The etcd role's member certificates (signed by etcd's CA) and kube_proxy's one, from the same specs the roles
    hand community.crypto; a member whose address changed needs all three anew, kube-proxy's stays."""
    member = {"name": "etcd-m1", "address": "10.0.0.1"}
    certs = [*etcd_member_certificates(member, "m1", str(tmp_path / "etcd")), *kube_proxy_certificate(str(tmp_path))]
    make_pki(tmp_path, certs)
    assert pending(certs) == {}
    assert [cert["common_name"] for cert in certs] == ["etcd-m1-server", "etcd-m1-peer", "etcd-m1-client",
                                                       "system:kube-proxy"]
    moved = etcd_member_certificates({**member, "address": "10.0.0.9"}, "m1", str(tmp_path / "etcd"))
    assert pending([*moved, *kube_proxy_certificate(str(tmp_path))]) == {
        "server": "other subject alternative names", "peer": "other subject alternative names",
        "client": "other subject alternative names"}


def authorities(directory: Path) -> list[dict[str, Any]]:
    return [*cluster_authorities(str(directory)), {**etcd_authority(str(directory / "etcd"), TOKEN), "name": "etcd-ca"}]


def test_the_authorities_community_crypto_made_are_current(pki: Path) -> None:
    assert look(authorities(pki), specs(pki)) == ({}, {})
    assert [entry["name"] for entry in authorities(pki)] == ["ca", "front-proxy-ca", "sa", "etcd-ca"]


@pytest.mark.parametrize(("change", "pending_authority", "why"), [
    (lambda directory: (directory / "front-proxy-ca.crt").unlink(), "front-proxy-ca", "does not exist"),
    (lambda directory: (directory / "ca.key").chmod(0o640), "ca", "has mode 0640, not 0600"),
    (lambda directory: shutil.copy(directory / "front-proxy-ca.key", directory / "ca.key"), "ca",
     "the certificate is not for this key"),
    (lambda directory: shutil.copy(directory / "m1/admin.crt", directory / "ca.crt"), "ca",
     "the certificate is not for this key"),
    (lambda directory: (directory / "sa.pub").unlink(), "sa", "does not exist"),
    (lambda directory: shutil.copy(directory / "ca.key", directory / "sa.key"), "sa", "not an RSA 2048 key"),
    (lambda directory: (directory / "etcd/ca.crt").write_text("not a certificate\n"), "etcd-ca", "cannot read it"),
])
def test_a_changed_authority_is_pending_with_what_it_signed(copy: Path, change: Any, pending_authority: str,
                                                             why: str) -> None:
    change(copy)
    authority_problems, certificate_problems = look(authorities(copy), specs(copy))
    assert list(authority_problems) == [pending_authority] and why in authority_problems[pending_authority]
    signer = {"ca": "ca", "front-proxy-ca": "front-proxy-ca", "etcd-ca": "etcd-ca"}.get(pending_authority)
    signed = sorted(cert["name"] for cert in specs(copy) if cert["signer"] == signer)
    assert sorted(certificate_problems) == signed
    assert {why for why in certificate_problems.values()} <= {f"its CA ({pending_authority}) is pending"}


def test_a_ca_other_than_the_one_asked_for_is_pending(pki: Path) -> None:
    ca, front_proxy_ca = cluster_authorities(str(pki))[:2]
    etcd_ca = etcd_authority(str(pki / "etcd"), TOKEN)
    assert authority_problem({**etcd_ca, "common_name": "curtain etcd CA (another-token)"}) == "another subject"
    assert authority_problem({**ca, "key_type": "RSA"}) == "the key is not an RSA 2048 key"
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=4000)
    assert authority_problem(front_proxy_ca, now=later) == "expired"
    # A certificate the CA key signed but that is no CA: a leaf put in the CA's place.
    assert authority_problem({**ca, "cert": str(pki / "m1/admin.crt"), "key": str(pki / "m1/admin.key"),
                              "common_name": "kubernetes-admin"}) == "another subject"


def test_a_renewal_keeps_the_authorities(pki: Path) -> None:
    authority_problems, certificate_problems = look(authorities(pki), specs(pki), renew=True)
    assert authority_problems == {}
    assert sorted(certificate_problems) == sorted(cert["name"] for cert in specs(pki))


def _self_issued(copy: Path, signing_key_file: str, *, ca_extension: bool) -> None:
    """Put a certificate for the cluster CA's key, CN kubernetes, issuer = subject, in ca.crt, signed with
    `signing_key_file`, with or without the CA extensions."""
    key = serialization.load_pem_private_key((copy / "ca.key").read_bytes(), password=None)
    signing_key = serialization.load_pem_private_key((copy / signing_key_file).read_bytes(), password=None)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=30)))
    if ca_extension:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
    (copy / "ca.crt").write_bytes(builder.sign(signing_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def test_a_ca_certificate_must_be_a_self_signed_ca(copy: Path) -> None:
    ca = cluster_authorities(str(copy))[0]
    _self_issued(copy, "ca.key", ca_extension=True)
    assert authority_problem(ca) is None  # the check itself accepts a CA made by other means
    _self_issued(copy, "ca.key", ca_extension=False)
    assert authority_problem(ca) == "not a CA (CA:TRUE, critical)"
    _self_issued(copy, "front-proxy-ca.key", ca_extension=True)
    assert authority_problem(ca).startswith("not self-signed")

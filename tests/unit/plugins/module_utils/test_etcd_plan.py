"""module_utils/etcd_plan.py: what the etcd role plans for a member from its inputs and the inventory, the inputs it
refuses, what it reads of a member's host, and what it refuses given what the hosts hold."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.filter.plans import etcd_look, etcd_plan, etcd_problems
from ansible_collections.curtain.kube.plugins.module_utils.etcd_model import EtcdModelError
from ansible_collections.curtain.kube.plugins.module_utils.etcd_plan import (
    EtcdInputs,
    EtcdLook,
    EtcdPlanError,
    look,
    plan,
    problems,
)
from ansible_collections.curtain.kube.plugins.module_utils.etcd_release import DEFAULTS, EtcdReleaseError
from ansible_collections.curtain.kube.plugins.module_utils.kube_cluster import Inventory

DIGEST = "sha256:" + "ab" * 32
INVENTORY = Inventory(groups={"etcd": ["e1", "e2", "e3"]},
                      etcd_hosts={"e1": {"address": "192.0.2.1"}, "e2": {"address": "192.0.2.2", "name": "second"},
                                  "e3": {"address": "192.0.2.3"}})


def inputs(tmp_path: Path, **changes: Any) -> EtcdInputs:
    """The role's defaults (defaults/main.yml with the modern profile of vars/main.yml) for host e2."""
    made = EtcdInputs(
        host="e2", group="etcd", profile="modern", version="", image="", enable_v2=False, tls=True, client_port=2379,
        peer_port=2380, image_source="local", image_digest="", image_tarball="", image_directory="", image_manifest={},
        release_url="https://github.com", release_sha256="", machine="x86_64", cluster_token="curtain-etcd",
        data_dir="/var/lib/curtain/etcd", pki_controller_dir=str(tmp_path / "pki"), pki_dir="/etc/curtain/pki/etcd",
        container="curtain-etcd")
    return dataclasses.replace(made, **changes)


def test_a_member_of_three_gets_its_member_the_default_release_and_its_certificates(tmp_path: Path) -> None:
    made = plan(inputs(tmp_path), INVENTORY)
    assert [member["name"] for member in made.members] == ["e1", "second", "e3"]
    assert made.member == {"name": "second", "address": "192.0.2.2", "peer_url": "https://192.0.2.2:2380",
                           "client_url": "https://192.0.2.2:2379"}
    assert made.release["version"] == DEFAULTS["modern"]
    assert made.image_ref == f"curtain/etcd:{DEFAULTS['modern']}" and made.artifact_plans == []
    assert made.ports == [2379, 2380] and made.warnings == []
    [endpoint] = made.health_endpoints
    assert endpoint["url"] == "https://127.0.0.1:2379/health" and endpoint["ca_file"] == "/etc/curtain/pki/etcd/ca.crt"
    assert made.authority["cert"] == f"{tmp_path}/pki/ca.crt"
    assert made.authority["common_name"] == "curtain etcd CA (curtain-etcd)"
    assert [(cert["name"], cert["cert"]) for cert in made.certificates] == [
        (kind, f"{tmp_path}/pki/e2-{kind}.crt") for kind in ("server", "peer", "client")]
    assert {"src": f"{tmp_path}/pki/e2-server.key", "dest": "/etc/curtain/pki/etcd/server.key"} in (
        made.host_files["private_keys"])


def test_the_seed_profile_has_no_certificates_and_speaks_http(tmp_path: Path) -> None:
    made = plan(inputs(tmp_path, profile="seed", tls=False, client_port=4001, enable_v2=True, container="my-etcd"),
                INVENTORY)
    assert made.member["client_url"] == "http://192.0.2.2:4001"
    assert made.release["version"] == DEFAULTS["seed"]
    assert made.certificates == [] and made.host_files == {"certificates": [], "private_keys": []}
    assert made.health_endpoints == [{"component": "etcd", "url": "http://127.0.0.1:4001/health",
                                      "container": "my-etcd"}]


def test_a_registry_image_runs_by_digest_and_an_inventory_image_is_kept(tmp_path: Path) -> None:
    made = plan(inputs(tmp_path, image_source="registry", image_digest=DIGEST, image="registry.example/etcd:v"),
                INVENTORY)
    assert made.image_ref == f"registry.example/etcd:v@{DIGEST}"


def test_the_release_source_plans_the_download_of_the_planned_release(tmp_path: Path) -> None:
    made = plan(inputs(tmp_path, image_source="release", version="3.6.17"), INVENTORY)
    (image_plan,) = made.artifact_plans
    assert image_plan["image"] == "curtain/etcd:3.6.17" and image_plan["source"] == "release"
    assert image_plan["downloads"][0]["url"].endswith("/v3.6.17/etcd-v3.6.17-linux-amd64.tar.gz")


def test_warnings_name_an_even_member_count_and_a_release_etcd_advises_against(tmp_path: Path) -> None:
    two = Inventory(groups={"etcd": ["e1", "e2"]}, etcd_hosts={"e1": {"address": "192.0.2.1"},
                                                               "e2": {"address": "192.0.2.2"}})
    made = plan(inputs(tmp_path, version="3.5.1"), two)
    assert any("tolerates 0 failure(s)" in warning for warning in made.warnings)
    assert any("3.5.1 is a release etcd advises against" in warning for warning in made.warnings)


@pytest.mark.parametrize(("changes", "error", "fragment"), [
    ({"host": "n1"}, EtcdPlanError, "n1 is not in the inventory group 'etcd' (etcd_group)"),
    ({"image_source": "registry"}, EtcdPlanError, "etcd_image_source=registry needs etcd_image_digest"),
    ({"image_source": "registry", "image_digest": "sha256:abc"}, EtcdPlanError, "sha256:<64 hex> digest"),
    ({"image_source": "tarball"}, EtcdPlanError, "etcd_image_source=tarball needs etcd_image_tarball"),
    ({"image_source": "tarball", "image_tarball": "/nowhere/etcd.tar"}, EtcdPlanError,
     "etcd_image_tarball: /nowhere/etcd.tar does not exist on the controller"),
    ({"image_source": "directory"}, EtcdPlanError, "needs etcd_image_directory"),
    ({"version": "3.5.2"}, EtcdReleaseError, "3.5.2 is not a release curtain pins"),
    ({"client_port": 2380}, EtcdModelError, "etcd_client_port and etcd_peer_port must differ"),
])
def test_bad_inputs_are_refused_before_any_host_is_looked_at(tmp_path: Path, changes: dict, error: type,
                                                             fragment: str) -> None:
    with pytest.raises(error, match=re.escape(fragment)):
        plan(inputs(tmp_path, **changes), INVENTORY)


def test_a_tarball_on_the_controller_is_taken(tmp_path: Path) -> None:
    tarball = tmp_path / "etcd.tar"
    tarball.write_bytes(b"")
    assert plan(inputs(tmp_path, image_source="tarball", image_tarball=str(tarball)), INVENTORY).image_ref == (
        f"curtain/etcd:{DEFAULTS['modern']}")


def test_a_ca_certificate_without_its_key_is_refused_a_key_alone_is_not(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.key").write_text("key")
    plan(inputs(tmp_path), INVENTORY)  # a run killed between the key and the certificate: PKI makes the certificate
    (tmp_path / "pki" / "ca.key").rename(tmp_path / "pki" / "ca.crt")
    with pytest.raises(EtcdPlanError, match=re.escape("has ca.crt but not ca.key")):
        plan(inputs(tmp_path), INVENTORY)
    plan(inputs(tmp_path, tls=False), INVENTORY)  # the seed's plain HTTP has no CA to sign with


# --- what a member's host holds ---------------------------------------------------------------------------------

DATA = "/var/lib/curtain/etcd"


def survey(has_data: bool = True, marker: dict | None = None, held: tuple[int, ...] = (), image: bool = True) -> dict:
    """host_survey's result as the role asks it (tasks/look.yml)."""
    return {
        "paths": {f"{DATA}/data/member": {"exists": has_data, "type": "directory" if has_data else None},
                  f"{DATA}/cluster.json": {"exists": marker is not None, "json": marker}},
        "ports": [{"port": port, "listening": port in held, "message": f"port {port} is in use by python3 (pid 7)"}
                  for port in (2379, 2380)],
        "images": {"curtain/etcd:3.7.4": {"present": image, "id": "sha256:1" if image else None}},
    }


RUNNING = {"exists": True, "container": {"State": {"Running": True, "Status": "running"}}}
VERSION_RUN = {"changed": False, "rc": 0, "stdout": "etcd Version: 3.6.17\nGit SHA: 1a2b3c\nGo Version: go1.24.11"}


def test_the_look_reads_the_container_the_release_the_data_the_marker_the_ports_and_the_image() -> None:
    found = look(RUNNING, survey(marker={"cluster_token": "curtain-etcd"}, held=(2379,)), VERSION_RUN, DATA)
    assert found == EtcdLook(running=True, has_data=True, marker={"cluster_token": "curtain-etcd"}, release="3.6.17",
                             image_present=True, held_ports=["port 2379 is in use by python3 (pid 7)"])


@pytest.mark.parametrize("version_run", [
    {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"},  # no container runs
    {"changed": False, "failed": True, "msg": "Container curtain-etcd is restarting"},  # it could not run etcd
    None,
])
def test_a_member_whose_binary_did_not_answer_runs_an_unknown_release(version_run: dict | None) -> None:
    found = look({"exists": False, "container": None}, survey(has_data=False, image=False), version_run, DATA)
    assert (found.running, found.release, found.has_data, found.marker, found.image_present) == (
        False, "", False, {}, False)


def problems_of(tmp_path: Path, own: EtcdLook, running: list[str] | None = None, restoring: bool = False,
                **changes: Any) -> list[str]:
    given = inputs(tmp_path, **changes)
    return problems(plan(given, INVENTORY), given, own, running or [], restoring)


def a_look(**changes: Any) -> EtcdLook:
    return dataclasses.replace(look(RUNNING, survey(marker={"cluster_token": "curtain-etcd"}), VERSION_RUN, DATA),
                               **changes)


def test_a_converged_member_is_not_refused(tmp_path: Path) -> None:
    assert problems_of(tmp_path, a_look(release="3.7.4"), ["3.7.4", "3.7.4", ""]) == []


def test_one_rolling_upgrade_is_taken_a_downgrade_or_two_steps_are_refused(tmp_path: Path) -> None:
    assert problems_of(tmp_path, a_look(), ["3.6.17", "3.7.4"]) == []
    (downgrade,) = problems_of(tmp_path, a_look(), ["3.7.4"], version="3.6.17")
    assert "3.6.17 is older than the 3.7.4 a member runs: a downgrade is refused" in downgrade
    (two_steps,) = problems_of(tmp_path, a_look(), ["3.5.36"])
    assert "the members run 3.5.36; reaching 3.7.4 takes 3.6.17 -> 3.7.4" in two_steps
    assert "playbooks/etcd_upgrade.yml" in two_steps


def test_a_port_held_by_another_process_is_refused_unless_the_etcd_container_runs(tmp_path: Path) -> None:
    held = ["port 2379 is in use by python3 (pid 7)"]
    (message,) = problems_of(tmp_path, a_look(running=False, held_ports=held))
    assert message.startswith("port 2379 is in use by python3 (pid 7), and it is not the curtain etcd container")
    assert problems_of(tmp_path, a_look(running=True, held_ports=held)) == []


@pytest.mark.parametrize(("marker", "fragment"), [
    ({"cluster_token": "other"}, "holds etcd data of cluster token other, not of etcd_cluster_token=curtain-etcd"),
    ({}, "holds etcd data of a cluster curtain did not create"),
])
def test_data_of_another_cluster_is_refused_unless_a_restore_replaces_it(tmp_path: Path, marker: dict,
                                                                         fragment: str) -> None:
    own = a_look(marker=marker, has_data=True)
    (message,) = problems_of(tmp_path, own)
    assert f"{DATA} on e2 {fragment}" in message and "Nothing was changed" in message
    assert problems_of(tmp_path, own, restoring=True) == []


def test_an_empty_host_is_not_refused_for_its_data(tmp_path: Path) -> None:
    assert problems_of(tmp_path, a_look(marker={}, has_data=False, running=False)) == []


def test_a_missing_local_image_is_refused_other_sources_install_it(tmp_path: Path) -> None:
    (message,) = problems_of(tmp_path, a_look(image_present=False))
    assert f"etcd_image_source=local but curtain/etcd:{DEFAULTS['modern']}" in message
    assert problems_of(tmp_path, a_look(image_present=False), image_source="registry", image_digest=DIGEST) == []


# --- the filters the role calls -----------------------------------------------------------------------------------


def test_the_filters_take_the_role_s_mappings(tmp_path: Path) -> None:
    given = dataclasses.asdict(inputs(tmp_path))
    inventory = {"groups": INVENTORY.groups, "etcd_hosts": INVENTORY.etcd_hosts}
    made = etcd_plan(given, inventory)
    assert made["member"]["name"] == "second"
    found = etcd_look(RUNNING, survey(marker={"cluster_token": "curtain-etcd"}), VERSION_RUN, DATA)
    assert found["release"] == "3.6.17"
    assert etcd_problems(made, given, found, ["3.6.17", ""]) == []
    with pytest.raises(AnsibleFilterError, match=r"etcd_plan: inputs: missing \['host'\]"):
        etcd_plan({key: value for key, value in given.items() if key != "host"}, inventory)
    with pytest.raises(AnsibleFilterError, match="not in the inventory group"):
        etcd_plan({**given, "host": "n1"}, inventory)

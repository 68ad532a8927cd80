"""CIS Kubernetes Benchmark checks of what the roles deploy on the modern profile, one row per item.

kube-bench itself cannot run here: no kube-bench binary can be installed (it is on neither PyPI nor Debian), and
it inspects running Kubernetes processes, which a unit test does not start (they run in Molecule's test hosts). So
the table in cis_table.py (beside this file) does the same checks on the other side of the roles: the flags, pods,
KubeletConfiguration and KubeProxyConfiguration the module_utils builders make from the inputs the roles give them
(kube_cluster.master_settings, kube_proxy.proxy_settings, etcd_model.etcd_args with the roles' defaults and vars),
and the `mode:`/`owner:` of the role tasks that write each file.

Item numbers, titles and tests: aquasecurity/kube-bench cfg/cis-1.10/master.yaml, etcd.yaml, controlplane.yaml and
node.yaml (CIS Kubernetes Benchmark v1.10.0).

A met item must meet the benchmark's test. A knowing difference must still differ (if it stopped differing, mark it
met and drop its reason), what curtain does instead must hold, and the settings named as its remedy must close
it. Items that do not apply must find nothing to check. docs/security.md carries the same table, generated.
"""

from __future__ import annotations

from pathlib import Path

import cis_table
import pytest
from cis_table import DIFFERS, ITEMS, MEETS, NOT_APPLICABLE, Expect, Item

STATUSES = (MEETS, DIFFERS, NOT_APPLICABLE)


def _ids(items: tuple[Item, ...] | list[Item]) -> list[str]:
    return [item.number for item in items]


@pytest.fixture(scope="module")
def deployed() -> cis_table.Deployment:
    return cis_table.deployment()


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_item(item: Item, deployed: cis_table.Deployment) -> None:
    observed = item.observed(deployed)
    where = f"{item.number} ({item.observer.label}): observed {observed!r}, benchmark expects {item.expect.text()}"
    if item.status == MEETS:
        assert item.expect.holds(observed), f"{where}: no longer met; fix the role or record why it differs"
    elif item.status == DIFFERS:
        assert not item.expect.holds(observed), f"{where}: now met; mark it met and drop the reason"
        if item.instead is not None:
            assert item.instead(deployed), f"{item.number}: what curtain does instead no longer holds"
    else:
        assert not observed, f"{where}: recorded as not applicable, but there is something to check now"


REMEDIED = [item for item in ITEMS if item.remedy]


@pytest.mark.parametrize("item", REMEDIED, ids=_ids(REMEDIED))
def test_remedy_closes_the_difference(item: Item) -> None:
    """The hyperkube_master_settings named in docs/security.md do make the item hold."""
    observed = item.observed(cis_table.deployment(item.remedy))
    assert item.expect.holds(observed), f"{item.number}: with {item.remedy} observed {observed!r}"


def test_the_table_is_complete_and_ordered() -> None:
    numbers = [tuple(int(part) for part in item.number.split(".")) for item in ITEMS]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    sections = {
        (1, 1): 21, (1, 2): 29, (1, 3): 7, (1, 4): 2, (2,): 7, (3, 1): 3, (3, 2): 2, (4, 1): 10, (4, 2): 13, (4, 3): 1,
    }
    for prefix, count in sections.items():
        listed = [number[-1] for number in numbers if number[:len(prefix)] == prefix]
        assert listed == list(range(1, count + 1)), f"section {'.'.join(map(str, prefix))}: {listed}"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_differences_say_why(item: Item) -> None:
    assert item.status in STATUSES
    assert item.title.endswith(("(Automated)", "(Manual)"))
    if item.status != MEETS:
        assert item.reason, f"{item.number}: a difference or an inapplicable item needs its reason"
    if item.remedy or item.instead:
        assert item.status == DIFFERS


@pytest.mark.parametrize(
    "expect,observed,holds",
    [
        (Expect("bitmask", "600"), "0600", True),
        (Expect("bitmask", "600"), "0400", True),
        (Expect("bitmask", "600"), "0644", False),
        (Expect("bitmask", "600"), "0600, 0644", False),
        (Expect("eq", "false"), "false", True),
        (Expect("eq", "false"), None, False),
        (Expect("eq", "false", or_unset=True), None, True),
        (Expect("has", "Node"), "Node,RBAC", True),
        (Expect("nothave", "AlwaysAllow"), "AlwaysAllow,RBAC", False),
        (Expect("gte", 30), "29", False),
        (Expect("unset"), None, True),
        (Expect("unset"), "x", False),
        (Expect("set"), [], False),
        (Expect("valid_elements", ("a", "b")), "a,b", True),
        (Expect("valid_elements", ("a", "b")), "a,c", False),
    ],
)
def test_expectations_read_like_kube_bench(expect: Expect, observed: object, holds: bool) -> None:
    assert expect.holds(observed) is holds


@pytest.mark.parametrize("role,selector", cis_table.SECRET_WRITERS,
                         ids=[f"{role}:{selector.get('dest') or selector.get('path') or selector.get('files')}"
                              for role, selector in cis_table.SECRET_WRITERS])
def test_secrets_stay_out_of_logs_and_diffs(role: str, selector: dict) -> None:
    task, _ = cis_table.find_task(role, **selector)
    if task.module == cis_table.HOST_FILES:
        assert cis_table.HOST_FILES_HIDES_CONTENT, f"{role}: {task.name!r}: host_files would show the keys"
        # ... but for its shown documents, whose text is the diff: no secret may be among them.
        shown = str(task.args.get("shown_documents", ""))
        assert not [value for value in selector.values() if isinstance(value, str) and value in shown], (
            f"{role}: {task.name!r} puts a secret among host_files' shown documents")
        return
    assert task.raw.get("no_log") is True, f"{role}: {task.name!r} writes a secret without no_log"
    assert task.raw.get("diff") is False, f"{role}: {task.name!r} writes a secret and would show it in a diff"


def test_a_node_writes_its_kubelet_s_kubeconfig_with_the_task_a_master_does() -> None:
    """4.1.5 and 4.1.6 hold on a node too: its kubelet.conf comes from the same task (the same mode and owner), and
    a node writes none of the control plane's kubeconfigs."""
    task, item = cis_table.find_task("hyperkube_master", planned="kube_kubeconfig_files",
                                     item={"dest": "/etc/kubernetes/kubelet.conf"})
    assert "__hyperkube_master_control_plane | curtain.kube.kube_kubeconfig_clients" in task.args["documents"]
    assert item["content"]["users"][0]["name"] == f"system:node:{cis_table.HOST}"
    on_master = cis_table.planned_files("kube_kubeconfig_files")
    assert [entry["dest"].rsplit("/", 1)[1] for entry in on_master] == [
        "admin.conf", "controller-manager.conf", "scheduler.conf", "kubelet.conf"]
    (on_node,) = cis_table.planned_files("kube_kubeconfig_files", control_plane=False, node_name="n1")
    assert on_node["dest"] == "/etc/kubernetes/kubelet.conf" and on_node["mode"] == "0600"
    assert on_node["content"]["users"][0]["name"] == "system:node:n1"
    assert "owner" not in task.args


def test_a_node_gets_no_etcd_pki_directory() -> None:
    assert [entry["path"] for entry in cis_table.pki_directories()] == ["/etc/kubernetes/pki",
                                                                        "/etc/kubernetes/pki/etcd"]
    assert [entry["path"] for entry in cis_table.pki_directories(control_plane=False)] == ["/etc/kubernetes/pki"]


def test_security_doc_carries_the_current_table() -> None:
    text = Path(cis_table.DOC).read_text()
    section = cis_table.section_of(text)
    assert section is not None, f"{cis_table.DOC} lacks the generated CIS section"
    assert section == cis_table.markdown(), (
        "docs/security.md's CIS table is not what the table says: run python3 tests/unit/plugins/cis_table.py --write"
    )

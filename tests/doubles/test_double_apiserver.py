"""The kube-apiserver double against a real etcd: healthy only once it stored a key there."""

from __future__ import annotations

import json

from double_harness import SEED, Answer, DoubleRunner, EtcdLauncher, free_port, http_get, wait_until

READY_TIMEOUT = 20.0


def answered(url: str, status: int) -> Answer | None:
    """The answer at `url` once it has `status`, else None (for wait_until)."""
    answer = http_get(url)
    return answer if answer is not None and answer.status == status else None


def test_seed_serves_plain_http_and_stores_through_the_v2_api(runner: DoubleRunner, etcd: EtcdLauncher) -> None:
    etcd_port, port = free_port(), free_port()
    apiserver = runner.start("hyperkube", SEED, "apiserver", "--portal-net=10.0.0.1/24", "--address=127.0.0.1",
                             f"--port={port}", f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                             "--cluster-name=kubernetes", "--v=2")
    apiserver.wait_for_log(r'"Serving insecurely"')
    base = f"http://127.0.0.1:{port}"
    not_ready = wait_until(lambda: answered(f"{base}/healthz", 500), READY_TIMEOUT, "healthz 500")
    assert "[-]etcd failed:" in not_ready.body

    etcd_process = etcd.start(etcd_port, enable_v2=True)
    assert wait_until(lambda: answered(f"{base}/healthz", 200), READY_TIMEOUT, "healthz 200").body == "ok"
    assert json.loads(http_get(f"{base}/version").body)["gitVersion"] == "v1.1.8"  # type: ignore[union-attr]
    assert http_get(f"{base}/readyz").status == 404  # type: ignore[union-attr]  # added in 1.16

    stored = http_get(f"{etcd_process.client_url}/v2/keys/registry/namespaces/default")
    assert stored is not None and stored.status == 200
    assert json.loads(json.loads(stored.body)["node"]["value"])["kind"] == "Namespace"
    assert apiserver.stop() == 0

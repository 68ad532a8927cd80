"""controller-manager, scheduler and kube-proxy doubles: healthy only while the API server answers them."""

from __future__ import annotations

from double_harness import SEED, Answer, DoubleRunner, EtcdLauncher, free_port, http_get, wait_until

TIMEOUT = 20.0


def status_of(url: str, status: int) -> Answer | None:
    answer = http_get(url)
    return answer if answer is not None and answer.status == status else None


def test_seed_clients_reach_the_insecure_port(runner: DoubleRunner, etcd: EtcdLauncher) -> None:
    etcd_port, api_port = free_port(), free_port()
    etcd.start(etcd_port, enable_v2=True)
    runner.start("hyperkube", SEED, "apiserver", "--address=127.0.0.1", f"--port={api_port}",
                 f"--etcd-servers=http://127.0.0.1:{etcd_port}", "--portal-net=10.0.0.1/24")
    ports = {name: free_port() for name in ("controller-manager", "scheduler", "proxy")}
    runner.start("hyperkube", SEED, "controller-manager", f"--master=127.0.0.1:{api_port}",
                 f"--port={ports['controller-manager']}", "--v=2")
    runner.start("hyperkube", SEED, "scheduler", f"--master=127.0.0.1:{api_port}", f"--port={ports['scheduler']}")
    runner.start("hyperkube", SEED, "proxy", f"--master=http://127.0.0.1:{api_port}",
                 f"--healthz-port={ports['proxy']}")
    for name, port in ports.items():
        answer = wait_until(lambda port=port: status_of(f"http://127.0.0.1:{port}/healthz", 200), TIMEOUT,
                            f"{name} healthz 200")
        assert answer.body == "ok"

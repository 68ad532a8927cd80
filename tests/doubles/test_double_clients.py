"""controller-manager, scheduler and kube-proxy doubles: healthy only while the API server answers them."""

from __future__ import annotations

import json
from pathlib import Path

from double_harness import (
    MODERN,
    SEED,
    Answer,
    DoubleRunner,
    EtcdLauncher,
    Pki,
    free_port,
    http_get,
    modern_apiserver_args,
    wait_until,
    write_kubeconfig,
    write_yaml,
)

TIMEOUT = 20.0


def status_of(url: str, status: int) -> Answer | None:
    answer = http_get(url, verify=False)  # their serving certificates are self-signed, as the real ones make them
    return answer if answer is not None and answer.status == status else None


def test_modern_clients_follow_the_api_server(runner: DoubleRunner, pki: Pki, etcd: EtcdLauncher,
                                              tmp_path: Path) -> None:
    api_port, etcd_port = free_port(), free_port()
    server = f"https://127.0.0.1:{api_port}"
    kubeconfig = write_kubeconfig(tmp_path / "kcm.kubeconfig", server, pki.ca, pki.controller_manager_cert,
                                  pki.controller_manager_key)
    untrusting = write_kubeconfig(tmp_path / "other.kubeconfig", server, pki.other_ca, pki.controller_manager_cert,
                                  pki.controller_manager_key)
    scheduler_config = write_yaml(tmp_path / "scheduler.yaml", {
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "clientConnection": {"kubeconfig": kubeconfig}, "leaderElection": {"leaderElect": True},
    })
    proxy_port = free_port()
    proxy_config = write_yaml(tmp_path / "proxy.yaml", {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", "mode": "nftables",
        "clientConnection": {"kubeconfig": kubeconfig}, "healthzBindAddress": f"127.0.0.1:{proxy_port}",
    })
    ports = {name: free_port() for name in ("kcm", "scheduler", "untrusting")}
    serving = ["--bind-address=127.0.0.1", "--secure-port"]
    runner.start("kube-controller-manager", MODERN, f"--kubeconfig={kubeconfig}", *serving, str(ports["kcm"]))
    runner.start("kube-scheduler", MODERN, f"--config={scheduler_config}", *serving, str(ports["scheduler"]))
    runner.start("kube-proxy", MODERN, f"--config={proxy_config}")
    runner.start("kube-controller-manager", MODERN, f"--kubeconfig={untrusting}", *serving,
                 str(ports["untrusting"]))
    health = {name: f"https://127.0.0.1:{port}/healthz" for name, port in ports.items()}
    health["proxy"] = f"http://127.0.0.1:{proxy_port}/healthz"

    down = wait_until(lambda: status_of(health["kcm"], 500), TIMEOUT, "controller-manager healthz 500")
    assert "[-]apiserver failed:" in down.body and "connection refused" in down.body
    assert wait_until(lambda: status_of(health["proxy"], 503), TIMEOUT, "kube-proxy healthz 503")

    etcd.start(etcd_port, tls=True)
    runner.start("kube-apiserver", MODERN, *modern_apiserver_args(pki, api_port, f"https://127.0.0.1:{etcd_port}"))
    for name in ("kcm", "scheduler", "proxy"):
        wait_until(lambda name=name: status_of(health[name], 200), TIMEOUT, f"{name} healthz 200")
    assert json.loads(http_get(health["proxy"]).body)["nodeEligible"] is True  # type: ignore[union-attr]
    # Its last probe may predate the apiserver; the next one must fail on the certificate, not on the connection.
    def refused_by_tls() -> Answer | None:
        answer = status_of(health["untrusting"], 500)
        return answer if answer and "tls: failed to verify certificate" in answer.body else None

    wait_until(refused_by_tls, TIMEOUT, "the untrusting controller-manager to refuse the apiserver's certificate")


def test_seed_clients_reach_the_insecure_port(runner: DoubleRunner, etcd: EtcdLauncher) -> None:
    etcd_port, api_port = free_port(), free_port()
    etcd.start(etcd_port, tls=False, enable_v2=True)
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

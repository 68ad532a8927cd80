"""What a user of a one-member etcd can observe, checked from the test host."""

import json

from conftest import b64, etcd_call

PKI_DIR = "/etc/curtain/pki/etcd"


def client_url(host) -> str:
    facts = host.ansible("setup", "gather_subset=network")["ansible_facts"]
    return f"https://{facts['ansible_default_ipv4']['address']}:2379"


def test_container_runs_with_host_network_restart_policy_and_labels(host):
    container = json.loads(host.check_output("docker inspect curtain-etcd"))[0]
    assert container["State"]["Running"]
    assert container["HostConfig"]["NetworkMode"] == "host"
    assert container["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert container["Config"]["Labels"]["io.curtain.managed-by"] == "curtain"
    assert all(not mount["Source"].startswith("/dev") for mount in container["Mounts"])
    assert not container["HostConfig"]["Privileged"]


def test_health_and_key_round_trip_with_client_certificate(host):
    url = client_url(host)
    health = etcd_call(host, url, "/health")
    assert health.rc == 0, health.stdout
    assert json.loads(health.stdout)["health"] == "true"
    put = etcd_call(host, url, "/v3/kv/put", {"key": b64("/verify/key"), "value": b64("curtain")})
    assert put.rc == 0, put.stdout
    got = json.loads(etcd_call(host, url, "/v3/kv/range", {"key": b64("/verify/key")}).stdout)
    assert got["kvs"][0]["value"] == b64("curtain")


def test_client_without_certificate_is_refused(host):
    result = etcd_call(host, client_url(host), "/v3/kv/range", {"key": b64("/verify/key")}, cert=False)
    assert result.rc == 3, result.stdout
    assert "refused" in result.stdout


def test_data_and_key_modes(host):
    assert host.file("/var/lib/curtain/etcd").mode == 0o700
    assert host.file("/var/lib/curtain/etcd/data/member").is_directory
    for key in ("server.key", "peer.key", "client.key"):
        assert host.file(f"{PKI_DIR}/{key}").mode == 0o600


def test_check_mode_after_converge_reports_no_change(check_mode_stats):
    assert check_mode_stats, "check mode ran on no host"
    for host_name, stats in check_mode_stats.items():
        assert stats["changed"] == 0, f"{host_name}: check mode reports changes on a converged host: {stats}"
        assert stats["failures"] == 0 and stats["unreachable"] == 0

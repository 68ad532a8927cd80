"""The doubles' command lines and startup file checks, without etcd or Docker."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import kube_flagsets
import pytest
from curtain_doubles import files, pods, podschema
from double_harness import SEED, DoubleRunner, Pki, write_kubeconfig

HYPERKUBE_SUBCOMMANDS = ("apiserver", "controller-manager", "scheduler", "kubelet", "proxy")
# The seed's own commands (kubernetes-teardown-part-1.md), word for word after the shell removed the quotes.
SEED_COMMANDS = {
    "kubelet": ["--containerized", "--hostname-override=127.0.0.1", "--address=0.0.0.0",
                "--api-servers=http://localhost:8080", "--config=/etc/kubernetes/manifests"],
    "apiserver": ["--portal-net=10.0.0.1/24", "--address=127.0.0.1", "--etcd-servers=http://127.0.0.1:4001",
                  "--cluster-name=kubernetes", "--v=2"],
    "controller-manager": ["--master=127.0.0.1:8080", "--v=2"],
    "scheduler": ["--master=127.0.0.1:8080", "--v=2"],
    "proxy": ["--master=http://127.0.0.1:8080", "--v=2"],
}
# The ports those commands listen on (the 1.1 defaults); another process on one makes the double exit after
# its flags were accepted, so the test then only checks the flags.
SEED_PORTS = {"kubelet": 10248, "apiserver": 8080, "controller-manager": 10252, "scheduler": 10251, "proxy": 10249}
STARTED = r'"Starting the contract double"'
FLAG_ERRORS = ("unknown flag", "invalid argument", "flag needs an argument", "bad flag syntax")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def assert_accepted(runner: DoubleRunner, binary: str, version: str, args: list[str], port: int | None,
                    env: dict[str, str] | None = None) -> None:
    """The double gets past its command line, keeps running, and stops cleanly (status 0) on SIGTERM."""
    free = port is None or port_is_free(port)
    started = runner.start(binary, version, *args, env=env)
    started.wait_for_log(STARTED)
    time.sleep(1.0)
    assert not any(error in started.stderr for error in FLAG_ERRORS), started.stderr
    if free:
        assert started.process.poll() is None, f"exited with {started.process.returncode}:\n{started.stderr}"
        assert started.stop() == 0, started.stderr


# --- flags -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("subcommand", HYPERKUBE_SUBCOMMANDS)
def test_hyperkube_subcommand_refuses_an_unknown_flag(runner: DoubleRunner, subcommand: str) -> None:
    refused = runner.run("hyperkube", SEED, subcommand, "--definitely-not-a-flag")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: unknown flag: --definitely-not-a-flag")


def test_seed_separate_binary_exits_2_like_pflag_exit_on_error(runner: DoubleRunner) -> None:
    refused = runner.run("kube-apiserver", SEED, "--bogus")
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[:2] == ["unknown flag: --bogus", "Usage of kube-apiserver:"]


def test_bad_value_is_refused(runner: DoubleRunner) -> None:
    bad_value = runner.run("hyperkube", SEED, "scheduler", "--port=abc")
    assert bad_value.returncode == 1
    assert 'invalid argument "abc" for "--port" flag' in bad_value.stderr


def test_help_and_an_unknown_server(runner: DoubleRunner) -> None:
    helped = runner.run("hyperkube", SEED, "proxy", "--help")
    assert helped.returncode == 0 and "hyperkube proxy [flags]" in helped.stdout
    unknown = runner.run("hyperkube", SEED, "kubectl")
    assert unknown.returncode == 1 and "Server not found: kubectl" in unknown.stderr


@pytest.mark.parametrize("subcommand", HYPERKUBE_SUBCOMMANDS)
def test_seed_commands_are_accepted(runner: DoubleRunner, subcommand: str) -> None:
    # No Docker for the seed kubelet: with the seed's node name 127.0.0.1 it would own that node's containers.
    env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"} if subcommand == "kubelet" else None
    assert_accepted(runner, "hyperkube", SEED, [subcommand, *SEED_COMMANDS[subcommand]], SEED_PORTS[subcommand], env)


def test_deprecated_flag_prints_the_pflag_notice(runner: DoubleRunner) -> None:
    started = runner.start("hyperkube", SEED, "apiserver", *SEED_COMMANDS["apiserver"][:1], "--insecure-port=0",
                           "--etcd-servers=http://127.0.0.1:1")
    started.wait_for_log(STARTED)
    assert "Flag --portal-net has been deprecated, see --service-cluster-ip-range instead." in started.stderr
    assert started.stop() == 0


# --- files named by flags -------------------------------------------------------------------------------------


def refused(runner: DoubleRunner, binary: str, version: str, *args: str) -> str:
    result = runner.run(binary, version, *args)
    assert result.returncode == 1, result.stderr
    return result.stderr.replace('\\"', '"')  # klog quotes the error value; compare the text inside


def seed_apiserver(*args: str) -> list[str]:
    """`hyperkube apiserver` with the seed's etcd flag (nothing listens there: the file checks come first)."""
    return ["apiserver", "--etcd-servers=http://127.0.0.1:4001", *args]


def test_missing_certificate_names_the_flag_and_the_file(runner: DoubleRunner, pki: Pki) -> None:
    args = seed_apiserver("--tls-cert-file=/nonexistent/a.crt", f"--tls-private-key-file={pki.server_key}")
    stderr = refused(runner, "hyperkube", SEED, *args)
    assert "--tls-cert-file=/nonexistent/a.crt: open /nonexistent/a.crt: no such file or directory" in stderr


def test_mismatched_key_names_both_flags(runner: DoubleRunner, pki: Pki) -> None:
    args = seed_apiserver(f"--kubelet-client-certificate={pki.server_cert}", f"--kubelet-client-key={pki.admin_key}")
    stderr = refused(runner, "hyperkube", SEED, *args)
    assert f"--kubelet-client-certificate={pki.server_cert}: --kubelet-client-key={pki.admin_key}: " in stderr
    assert "tls: private key does not match public key" in stderr


def test_seed_certificate_without_its_key(runner: DoubleRunner, pki: Pki) -> None:
    stderr = refused(runner, "hyperkube", SEED, "kubelet", "--config=/nonexistent", f"--tls-cert-file={pki.admin_cert}")
    assert f"--tls-cert-file={pki.admin_cert}: --tls-private-key-file must be given with --tls-cert-file" in stderr


def test_garbage_ca_and_service_account_key(runner: DoubleRunner, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    args = seed_apiserver(f"--client-ca-file={garbage}", f"--service-account-key-file={garbage}")
    stderr = refused(runner, "hyperkube", SEED, *args)
    assert f"--client-ca-file={garbage}: error reading {garbage}: data does not contain any valid" in stderr
    assert f"--service-account-key-file={garbage}: failed to parse key file" in stderr


def test_kubeconfig_naming_a_missing_client_certificate(runner: DoubleRunner, pki: Pki, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:6443", pki.ca, "/nonexistent/c.crt",
                                  pki.admin_key)
    stderr = refused(runner, "hyperkube", SEED, "controller-manager", f"--kubeconfig={kubeconfig}")
    assert f"--kubeconfig={kubeconfig}: unable to read client-certificate /nonexistent/c.crt" in stderr


def test_kubeconfig_that_is_not_yaml(runner: DoubleRunner, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("clusters: [unclosed\n")
    stderr = refused(runner, "hyperkube", SEED, "scheduler", f"--kubeconfig={kubeconfig}")
    assert f"--kubeconfig={kubeconfig}: error loading config file" in stderr
    assert "yaml: while parsing a flow sequence" in stderr


# --- in-process: the tables the doubles decide with -----------------------------------------------------------

PATH_LIKE = re.compile(r"file|cert|key|(^|-)ca(-|$)|cafile|config|kubeconfig|dir|path|manifest|socket|endpoint|url|"
                       r"authority|resolv|policy|lock")


def all_flags() -> list[tuple[str, kube_flagsets.FlagSpec]]:
    return [(component, spec)
            for component in kube_flagsets.COMPONENTS
            for spec in kube_flagsets.flagset(component, SEED).flags.values()]


def test_every_path_like_flag_is_classified_or_explained() -> None:
    unexplained = sorted({
        f"{component} {SEED} --{spec.name}"
        for component, spec in all_flags()
        if spec.type in ("string", "strings", "stringSlice") and PATH_LIKE.search(spec.name)
        and files.classify(component, SEED, spec.name) is None
        and kube_flagsets.normalize_flag_name(spec.name) not in files.NOT_CHECKED
    })
    assert unexplained == []


def test_the_file_tables_name_only_real_flags() -> None:
    known = {kube_flagsets.normalize_flag_name(spec.name) for _, spec in all_flags()}
    named = set(files.FILE_FLAGS) | set(files.NOT_CHECKED) | {key[2] for key in files.COMPONENT_FILE_FLAGS}
    assert sorted(named - known) == []


def test_certificate_and_key_flags_point_at_each_other() -> None:
    for name, spec in files.FILE_FLAGS.items():
        if spec.kind in (files.CERT, files.KEY):
            assert files.FILE_FLAGS[spec.partner].partner == name


def test_the_1_1_kubelet_config_names_its_static_pods() -> None:
    assert files.classify("kubelet", SEED, "config").kind == files.STATIC_PODS  # type: ignore[union-attr]
    assert files.classify("kube-apiserver", SEED, "secure-port") is None


@pytest.mark.parametrize(
    "version,carried,expected",
    [
        ("v1.37.2", ["1.25.0", "1.36.0", "1.37.0"], "1.37.0"),
        ("v1.36.3", ["1.25.0", "1.35.0", "1.37.0"], "1.35.0"),
        (SEED, ["1.36.0", "1.25.0"], "1.25.0"),
        ("v1.30.2", ["1.25.0", "1.36.0"], "1.25.0"),
        ("v1.40.0", ["1.25.0", "1.36.0"], "1.36.0"),
    ],
)
def test_pod_schema_is_the_nearest_carried(version: str, carried: list[str], expected: str) -> None:
    assert podschema.nearest(version, carried) == expected


def test_the_build_keeps_the_seed_s_pod_schema() -> None:
    assert podschema.VERSIONS == (SEED,)


def test_variable_expansion_as_kubernetes_does_it() -> None:
    variables = {"NODE": "n1", "PORT": "6443"}
    assert pods.expand("--node=$(NODE):$(PORT)", variables) == "--node=n1:6443"
    assert pods.expand("$$(NODE) $(MISSING) $", variables) == "$(NODE) $(MISSING) $"


def test_static_pod_uid_follows_content_node_and_file() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": []}}
    uid = pods.static_uid(pod, "node", "/m/a.yaml")
    assert uid == pods.static_uid(dict(pod), "node", "/m/a.yaml")
    assert uid != pods.static_uid(pod, "other", "/m/a.yaml")
    assert uid != pods.static_uid(pod, "node", "/m/b.yaml")
    assert uid != pods.static_uid({**pod, "spec": {"containers": [], "hostNetwork": True}}, "node", "/m/a.yaml")

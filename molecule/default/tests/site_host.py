"""What the default scenario's tests share: its one host, its health endpoints and its etcd keys."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import testinfra
from conftest import PROJECT

# The endpoints the roles wait on and the summary looks at, from the roles' planners, so the tests ask exactly what
# they ask: from the collection, which collections/ansible_collections/curtain/kube (a symlink to the checkout) makes
# importable.
sys.path.insert(0, str(PROJECT / "collections"))
from ansible_collections.curtain.kube.plugins.module_utils.site_summary import one_host_endpoints

# molecule.yml runs every playbook of the scenario with ANSIBLE_VERBOSITY=3, for test_security.py to read the log of;
# the verify steps' own runs (testinfra's, the playbooks the tests start) parse Ansible's output and run quietly.
os.environ.pop("ANSIBLE_VERBOSITY", None)

HOST = "curtain-site"
INVENTORY_DIR = Path(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent")).parent
# The control plane's restart counts, recorded by test_cluster.py and again by test_docker_restart.py once the
# outage it causes has settled; test_site.py's last test compares with them.
RESTARTS_FILE = INVENTORY_DIR / "restart-counts.json"
ETCD_URL = "https://127.0.0.1:2379"

# Runs on the host: wait until every endpoint answers 200, or print the ones that do not.
WAIT_HEALTHY = r"""
import json, ssl, sys, time, urllib.request
endpoints, deadline = json.loads(sys.argv[1]), time.monotonic() + float(sys.argv[2])
def healthy(endpoint):
    context = ssl.create_default_context(cafile=endpoint.get("ca_file"))
    if not endpoint.get("validate_certs", True):
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    if endpoint.get("cert_file"):
        context.load_cert_chain(endpoint["cert_file"], endpoint["key_file"])
    try:
        return urllib.request.urlopen(endpoint["url"], context=context, timeout=5).status == 200
    except Exception:
        return False
while True:
    waiting = [endpoint["url"] for endpoint in endpoints if not healthy(endpoint)]
    if not waiting or time.monotonic() > deadline:
        print(json.dumps(waiting))
        sys.exit(0)
    time.sleep(1)
"""


def host():
    return testinfra.get_host(f"ansible://{HOST}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def health_endpoints() -> list[dict]:
    return one_host_endpoints(HOST, "127.0.0.1")


def unhealthy_after(seconds: float) -> list[str]:
    """Wait up to `seconds` for every component; the URLs that still do not answer 200."""
    return json.loads(host().check_output("python3 -c %s %s %s", WAIT_HEALTHY, json.dumps(health_endpoints()),
                                          str(seconds)))


# What the roles write and what runs, for the tests that show a refused run changed nothing: the configuration
# directories (etcd's data directory left out: the running member writes to it on its own; the marker beside it is
# kept) and curtain's containers.
CONFIG_DIRS = ("/etc/curtain", "/etc/kubernetes", "/var/lib/curtain", "/var/lib/kube-proxy")
# (and containerd's data: the running runtime writes to it on its own too)
RUNTIME_DIRS = ("/var/lib/curtain/etcd/data", "/var/lib/curtain/containerd")


def fingerprint() -> dict:
    files = host().check_output(
        "find %s \\( %s \\) -prune -o -printf '%%p %%m %%s %%T@\\n' | sort", " ".join(CONFIG_DIRS),
        " -o ".join(f"-path {path}" for path in RUNTIME_DIRS))
    containers = json.loads(host().check_output(
        "docker inspect $(docker ps -aq --filter label=io.curtain.managed-by=curtain)"))
    return {"files": hashlib.sha256(files.encode()).hexdigest(), "file_count": len(files.splitlines()),
            "containers": sorted((item["Name"], item["Id"], item["State"]["Status"], item["State"]["StartedAt"],
                                  item["RestartCount"]) for item in containers)}

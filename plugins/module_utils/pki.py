"""Values for certificates that community.crypto makes: subject alternative names, and etcd's member certificates."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

# Each etcd member's certificates: the server and peer ones serve and dial (peers connect both ways), the client one
# only dials (the role's own modules and etcdctl).
ETCD_CERT_USAGES = {"server": ("serverAuth", "clientAuth"), "peer": ("serverAuth", "clientAuth"),
                    "client": ("clientAuth",)}


def subject_alt_names(names: Iterable[str]) -> list[str]:
    """`IP:` or `DNS:` entries for addresses and host names, without duplicates, in first-seen order."""
    entries: list[str] = []
    for name in names:
        text = str(name).strip().strip("[]")
        if not text:
            continue
        try:
            entry = f"IP:{ipaddress.ip_address(text)}"
        except ValueError:
            entry = f"DNS:{text.lower()}"
        if entry not in entries:
            entries.append(entry)
    return entries


def etcd_member_certificates(member: Mapping[str, Any], host: str, controller_dir: str) -> list[dict[str, Any]]:
    """A member's server, peer and client certificates, as the etcd role has community.crypto make them and as
    curtain.kube.pki looks at them: name, common_name, subject_alt_names, usages, and their files on the
    controller (key, cert, signer_cert, signer_key: etcd's CA). `member` is the member in the cluster model."""
    names = subject_alt_names([member["address"], "127.0.0.1", "localhost", host, member["name"]])
    return [
        {"name": kind, "common_name": f"{member['name']}-{kind}", "subject_alt_names": names, "usages": list(usages),
         "key": f"{controller_dir}/{host}-{kind}.key", "cert": f"{controller_dir}/{host}-{kind}.crt",
         "signer_cert": f"{controller_dir}/ca.crt", "signer_key": f"{controller_dir}/ca.key"}
        for kind, usages in ETCD_CERT_USAGES.items()
    ]


def etcd_authority(controller_dir: str, cluster_token: str) -> dict[str, Any]:
    """etcd's CA (EC P-256, its CN naming the cluster token) with its files on the controller: what the etcd role has
    community.crypto make first and what curtain.kube.pki looks at (as one of its `authorities`)."""
    return {"name": "ca", "common_name": f"curtain etcd CA ({cluster_token})", "key_type": "EC",
            "key": f"{controller_dir}/ca.key", "cert": f"{controller_dir}/ca.crt"}


def etcd_host_files(host: str, controller_dir: str, pki_dir: str) -> dict[str, list[dict[str, str]]]:
    """What goes from the controller to a member's pki_dir, as curtain.kube.host_files takes it:
    {certificates: [{src, dest}] (the CA's and the member's three), private_keys: [...] (the member's three)}."""
    kinds = list(ETCD_CERT_USAGES)
    return {
        "certificates": [{"src": f"{controller_dir}/ca.crt", "dest": f"{pki_dir}/ca.crt"}]
        + [{"src": f"{controller_dir}/{host}-{kind}.crt", "dest": f"{pki_dir}/{kind}.crt"} for kind in kinds],
        "private_keys": [{"src": f"{controller_dir}/{host}-{kind}.key", "dest": f"{pki_dir}/{kind}.key"}
                         for kind in kinds],
    }

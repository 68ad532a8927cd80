"""Write keys into a scenario's etcd through one member, then print how many keys it holds under PREFIX, as JSON: for
a side effect to record the count before its fault, which verify compares with the count after (conftest's etcd
helpers). Only the prefix is counted: the apiserver writes to etcd all the time, so the whole key space moves.

    python3 molecule/etcd_keys.py HOST PREFIX COUNT > keys-before.json
"""

from __future__ import annotations

import json
import os
import sys

import testinfra
from conftest import etcd_key_count, etcd_put_keys

URL = "https://127.0.0.1:2379"  # the member's own client port on loopback, reached from its host


def main(host_name: str, prefix: str, count: int) -> None:
    host = testinfra.get_host(f"ansible://{host_name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")
    etcd_put_keys(host, URL, prefix, count)
    print(json.dumps({"host": host_name, "prefix": prefix, "count": etcd_key_count(host, URL, f"{prefix}/")}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

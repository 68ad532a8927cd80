import os
import socket

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.procnet import parse_proc_net_tcp, port_owners

PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0FA1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0
   2: 0100007F:0FA1 0100007F:D3B2 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0
"""


def test_parse_keeps_only_listening_sockets():
    listeners = parse_proc_net_tcp(PROC_NET_TCP)
    assert [(item.address, item.port, item.inode) for item in listeners] == [
        ("127.0.0.1", 4001, 1111),
        ("0.0.0.0", 22, 2222),
    ]


@pytest.mark.parametrize("family,address", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_port_owners_names_this_process(family, address):
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.bind((address, 0))
        server.listen()
        port = server.getsockname()[1]
        (owner,) = port_owners([port])
    assert owner.listening
    assert owner.pid == os.getpid()
    assert owner.process
    assert f"port {port} is in use by" in owner.describe()


def test_free_port_is_reported_free():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (owner,) = port_owners([port])
    assert not owner.listening
    assert owner.describe() == f"port {port} is free"

import pytest
from ansible_collections.curtain.kube.plugins.module_utils.pki import subject_alt_names


@pytest.mark.parametrize(
    "names,expected",
    [
        (["10.0.0.1", "127.0.0.1", "localhost"], ["IP:10.0.0.1", "IP:127.0.0.1", "DNS:localhost"]),
        (["etcd-1", "ETCD-1", "", "[fd00::1]"], ["DNS:etcd-1", "IP:fd00::1"]),
        (["10.0.0.1", "10.0.0.1"], ["IP:10.0.0.1"]),
    ],
)
def test_subject_alt_names(names, expected):
    assert subject_alt_names(names) == expected

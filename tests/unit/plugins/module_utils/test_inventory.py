import pytest
from ansible_collections.curtain.kube.plugins.module_utils.inventory import InventoryError, host_settings

ADDRESS_VAR = "etcd_advertise_address"


@pytest.mark.parametrize(
    "host_vars,expected",
    [
        ({ADDRESS_VAR: "10.0.0.5", "ansible_host": "10.9.9.9"}, "10.0.0.5"),
        ({"ansible_facts": {"default_ipv4": {"address": "10.0.0.6"}}, "ansible_host": "10.9.9.9"}, "10.0.0.6"),
        ({"ansible_host": "10.0.0.7"}, "10.0.0.7"),
        ({"ansible_host": "fd00::7"}, "fd00::7"),
        ({ADDRESS_VAR: "etcd-1.example.org"}, "etcd-1.example.org"),
    ],
)
def test_address_precedence(host_vars, expected):
    assert host_settings(["h1"], {"h1": host_vars}, name_var="etcd_member_name", address_var=ADDRESS_VAR) == {
        "h1": {"name": "h1", "address": expected}
    }


def test_name_variable_overrides_the_host_name():
    settings = host_settings(
        ["h1"],
        {"h1": {"etcd_member_name": "etcd-a", "ansible_host": "10.0.0.1"}},
        name_var="etcd_member_name",
        address_var=ADDRESS_VAR,
    )
    assert settings["h1"]["name"] == "etcd-a"


@pytest.mark.parametrize(
    "hosts,hostvars,message",
    [
        ([], {}, "the group is empty"),
        (["web"], {"web": {"ansible_host": "web.example.org"}}, "etcd_advertise_address is not set for host web"),
        (["web"], {"web": {ADDRESS_VAR: ""}}, "etcd_advertise_address is not set for host web"),
    ],
)
def test_missing_addresses_are_named(hosts, hostvars, message):
    with pytest.raises(InventoryError, match=message):
        host_settings(hosts, hostvars, name_var="etcd_member_name", address_var=ADDRESS_VAR)

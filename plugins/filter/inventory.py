"""Filters that read per-host settings out of the inventory, see module_utils/inventory.py."""

from ansible.errors import AnsibleFilterError
from ansible_collections.curtain.kube.plugins.module_utils.inventory import InventoryError, host_settings


def _host_settings(hosts, hostvars, name_var, address_var):
    try:
        return host_settings(list(hosts), hostvars, name_var=name_var, address_var=address_var)
    except InventoryError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"host_settings": _host_settings}

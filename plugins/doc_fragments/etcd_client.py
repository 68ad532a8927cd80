# Copyright: curtain contributors
# Apache License 2.0
"""Documentation of the connection options every etcd module shares (module_utils/etcd_api.CONNECTION_ARGUMENT_SPEC)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  ca_file:
    description: CA bundle that signed the members' server certificates (https endpoints).
    type: path
  cert_file:
    description: Client certificate, for clusters that require client certificate authentication.
    type: path
  key_file:
    description: Private key of O(cert_file).
    type: path
"""

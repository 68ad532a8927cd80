#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pki_check
short_description: Name the certificates on the controller that need community.crypto to make or fix them
description:
  - Looks at each certificate and its key on the controller, in one task, and returns the names of those that
    are not exactly as asked, so that community.crypto runs for those only. On a re-run that is none, which saves
    three module runs per certificate (key, signing request, certificate).
  - A certificate is current only when its key is there with mode C(0600) and is an EC P-256 key, and the
    certificate is there with mode C(0644), is for that key, has exactly the subject (CN, first O), subject
    alternative names and extended key usages asked for, the key usages C(digitalSignature) and
    C(keyEncipherment), is issued and signed by O(certificates[].signer_cert), and has not expired. Anything it
    cannot read counts as pending; community.crypto still decides what to change.
  - Looks at the authorities too (O(authorities)), which the roles make before the certificates. A CA is current
    when its key is an EC P-256 key with mode C(0600) and its certificate, mode C(0644), is for that key, has
    exactly the subject CN asked for, is self-signed, has C(CA:TRUE) and the key usages C(keyCertSign),
    C(cRLSign) and C(digitalSignature) (both extensions critical, nothing else but the key identifiers), and has
    not expired. A key pair without a certificate (the service-account key) is current when its key has the type
    asked for and its public key file, mode C(0644), holds that key's public key. A certificate signed by a pending
    CA is pending too.
  - An action that runs on the controller only (no module goes to a host). It needs the Python package
    C(cryptography) there, as community.crypto does. It changes nothing.
version_added: 0.2.0
author: curtain contributors
options:
  authorities:
    description:
      - The CAs and key pairs the certificates build on, each as P(curtain.kube.kube_cluster_authorities#filter)
        or the etcd role's plan (module_utils/etcd_plan.py) makes it, with V(name), V(key) and V(key_type) (V(EC)
        for P-256, V(RSA) for 2048 bits), and V(cert) and V(common_name) for a CA or V(public_key) for a key pair.
    type: list
    elements: dict
    default: []
  certificates:
    description:
      - The certificates, each a spec as the hyperkube_master plan makes it (module_utils/kube_pki.py; V(name),
        V(common_name), V(organizations), V(usages), V(subject_alt_names)) with the controller paths V(key),
        V(cert) and V(signer_cert).
    type: list
    elements: dict
    default: []
  renew:
    description: Name every certificate, for a renewal (not the authorities, since a renewal keeps the CAs).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Reads only; the same answer as without check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller.
"""

EXAMPLES = r"""
- name: Name the certificates that need work
  curtain.kube.pki_check:
    certificates: "{{ certs | map('combine', {'key': ..., 'cert': ..., 'signer_cert': ...}) }}"
  register: pki_check

- name: Make their keys
  community.crypto.openssl_privatekey:
    path: "{{ item.key }}"
    type: ECC
    curve: secp256r1
  loop: "{{ certs | selectattr('name', 'in', pki_check.pending) }}"
"""

RETURN = r"""
pending:
  description: The names of the certificates that need community.crypto, in the order given.
  returned: always
  type: list
  elements: str
  sample: [apiserver]
problems:
  description: For each pending certificate, why.
  returned: always
  type: dict
  sample: {apiserver: other subject alternative names}
authorities_pending:
  description: The names of the authorities that need community.crypto, in the order given.
  returned: always
  type: list
  elements: str
  sample: [sa]
authority_problems:
  description: For each pending authority, why.
  returned: always
  type: dict
  sample: {sa: /etc/curtain/pki/sa.pub does not exist}
"""

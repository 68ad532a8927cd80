#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pki
short_description: Make the CAs and certificates on the controller that are not as asked, with community.crypto
description:
  - Looks at each CA, key pair and certificate and its key on the controller, in one task, and has community.crypto
    make or fix only those that are not exactly as asked. For each, its key (M(community.crypto.openssl_privatekey)),
    then the public key of a key pair (M(community.crypto.openssl_publickey)), or a signing request
    (M(community.crypto.openssl_csr_pipe)) and the certificate from it (M(community.crypto.x509_certificate),
    self-signed for a CA, signed by O(certificates[].signer_cert) for a certificate). On a re-run nothing is pending
    and no module runs.
  - A certificate is current only when its key is there with mode C(0600) and is an EC P-256 key, and the
    certificate is there with mode C(0644), is for that key, has exactly the subject (CN, first O), subject
    alternative names and extended key usages asked for, the key usages C(digitalSignature) and
    C(keyEncipherment), is issued and signed by O(certificates[].signer_cert), and has not expired. Anything it
    cannot read counts as pending; community.crypto still decides what to change.
  - A CA is current when its key is an EC P-256 key with mode C(0600) and its certificate, mode C(0644), is for that
    key, has exactly the subject CN asked for, is self-signed, has C(CA:TRUE) and the key usages C(keyCertSign),
    C(cRLSign) and C(digitalSignature) (both extensions critical, nothing else but the key identifiers), and has
    not expired. A key pair without a certificate (the service-account key) is current when its key has the type
    asked for and its public key file, mode C(0644), holds that key's public key. A certificate signed by a pending
    CA is pending too. The authorities are made before the certificates.
  - Run it with C(delegate_to) set to V(localhost). community.crypto's modules run where the task is delegated, and
    the files are on the controller. It needs the Python package C(cryptography) there, as community.crypto does.
  - In check mode nothing is written. A step that reads a file that does not exist yet, or that an earlier step
    would change, cannot run. The change is reported, and its item is named in RV(incomplete).
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
      - The certificates, each a spec as the roles' plans make it (module_utils/kube_pki.py, module_utils/pki.py;
        V(name), V(common_name), V(organizations), V(usages), V(subject_alt_names)) with the controller paths
        V(key), V(cert), V(signer_cert) and V(signer_key).
    type: list
    elements: dict
    default: []
  directory:
    description: A directory the files go to, made with mode C(0700) first if it does not exist.
    type: path
  renew:
    description: Sign every certificate anew, from the same CAs (the authorities are kept).
    type: bool
    default: false
  authority_days:
    description: How long a CA made now is valid, in days.
    type: int
    default: 3650
  certificate_days:
    description: How long a certificate signed now is valid, in days.
    type: int
    default: 365
attributes:
  check_mode:
    support: full
    details: community.crypto's modules run in check mode; see RV(incomplete).
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller.
"""

EXAMPLES = r"""
- name: Make the CA, then this host's certificates
  curtain.kube.pki:
    directory: /etc/curtain/pki
    authorities: [{name: ca, key: /etc/curtain/pki/ca.key, key_type: EC, cert: /etc/curtain/pki/ca.crt,
                   common_name: example CA}]
    certificates:
      - {name: server, common_name: server, usages: [serverAuth], subject_alt_names: ["DNS:example"],
         key: /etc/curtain/pki/server.key, cert: /etc/curtain/pki/server.crt,
         signer_cert: /etc/curtain/pki/ca.crt, signer_key: /etc/curtain/pki/ca.key}
  delegate_to: localhost
  register: pki
"""

RETURN = r"""
pending:
  description: The names of the certificates that were not as asked, in the order given.
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
  description: The names of the authorities that were not as asked, in the order given.
  returned: always
  type: list
  elements: str
  sample: [sa]
authority_problems:
  description: For each pending authority, why.
  returned: always
  type: dict
  sample: {sa: /etc/curtain/pki/sa.pub does not exist}
made:
  description: The authorities and certificates community.crypto changed (in check mode, would change).
  returned: always
  type: list
  elements: str
  sample: [ca, apiserver]
incomplete:
  description:
    - In check mode, the items whose later steps could not run because a file they read does not exist yet or
      would change first. A role skips what reads those files. Empty outside check mode.
  returned: always
  type: list
  elements: str
  sample: [apiserver]
"""

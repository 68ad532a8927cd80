"""Filters for certificate values, see module_utils/pki.py.

names | subject_alt_names -> ["IP:..", "DNS:.."]
member | etcd_member_certificates(host, controller_dir) -> [spec with its files], as curtain.kube.pki_check takes them
"""

from ansible_collections.curtain.kube.plugins.module_utils.pki import etcd_member_certificates, subject_alt_names


class FilterModule:
    def filters(self):
        return {"subject_alt_names": subject_alt_names, "etcd_member_certificates": etcd_member_certificates}

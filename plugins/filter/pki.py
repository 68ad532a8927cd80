"""Filters for certificate values, see module_utils/pki.py.

names | subject_alt_names -> ["IP:..", "DNS:.."]
member | etcd_member_certificates(host, controller_dir) -> [spec with its files], as curtain.kube.pki_check takes them
controller_dir | etcd_authority(cluster_token) -> etcd's CA with its files, as curtain.kube.pki_check takes it
host | etcd_host_files(controller_dir, pki_dir) -> {certificates, private_keys}, as curtain.kube.host_files takes them
"""

from ansible_collections.curtain.kube.plugins.module_utils.pki import (
    etcd_authority,
    etcd_host_files,
    etcd_member_certificates,
    subject_alt_names,
)


class FilterModule:
    def filters(self):
        return {"subject_alt_names": subject_alt_names, "etcd_member_certificates": etcd_member_certificates,
                "etcd_authority": etcd_authority, "etcd_host_files": etcd_host_files}

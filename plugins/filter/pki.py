"""Filters for certificate values, see module_utils/pki.py."""

from ansible_collections.curtain.kube.plugins.module_utils.pki import subject_alt_names


class FilterModule:
    def filters(self):
        return {"subject_alt_names": subject_alt_names}

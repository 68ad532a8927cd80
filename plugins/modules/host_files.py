#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_files
short_description: Put several text files from the controller on a host in one module run
description:
  - Copies each O(files[].src) on the controller to O(files[].dest) on the host with O(files[].mode), the way
    M(ansible.builtin.copy) does for one file, but every file in one run on the host. A master's two dozen
    certificates and keys cost one round trip instead of two per file.
  - On the controller the action plugin reads the sources and refuses a missing or non-text source, a relative or
    repeated destination and a bad mode before the host is contacted.
  - On the host each file is compared byte for byte and written only on a difference, atomically (a temporary
    file in the same directory, mode C(0600), then a rename), so a key is never readable by others on the way and
    a run stopped part way leaves every file whole, old or new.
  - The file contents are C(no_log) arguments of the module; they never show in its invocation, its result or its
    diff, so certificates and private keys can share one task. Its diff shows each file's checksum and mode.
  - The host needs only the Python standard library. The destination directories must exist.
version_added: 0.2.0
author: curtain contributors
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
options:
  files:
    description: The files, in the order they are written and returned.
    type: list
    elements: dict
    required: true
    suboptions:
      src:
        description: Absolute path of a UTF-8 text file on the controller.
        type: path
        required: true
      dest:
        description: Absolute path of the file on the host. Each destination once.
        type: path
        required: true
      mode:
        description:
          - The file's permissions as an octal string such as V('0600') or V('0644'). Symbolic modes are not
            accepted.
        type: raw
        default: "0600"
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reports which files would be created or changed, with their checksums; writes nothing.
  diff_mode:
    support: full
    details: Each file's checksum and mode before and after; never its content.
  platform:
    platforms: posix
seealso:
  - module: ansible.builtin.copy
  - module: curtain.kube.kube_file
"""

EXAMPLES = r"""
- name: Put the CA certificate and this member's certificate and key on the host
  curtain.kube.host_files:
    files:
      - {src: "{{ pki_dir }}/ca.crt", dest: /etc/curtain/etcd/pki/ca.crt, mode: "0644"}
      - {src: "{{ pki_dir }}/{{ inventory_hostname }}-server.crt", dest: /etc/curtain/etcd/pki/server.crt}
      - {src: "{{ pki_dir }}/{{ inventory_hostname }}-server.key", dest: /etc/curtain/etcd/pki/server.key}
  register: pki_files

- name: Restart something when any of them changed
  ansible.builtin.debug:
    msg: "{{ pki_files.files | selectattr('state', 'ne', 'unchanged') | map(attribute='dest') }}"
"""

RETURN = r"""
files:
  description: One entry per file, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    dest:
      description: The path on the host.
      type: str
    state:
      description:
        - V(created), V(changed) (other content) or V(unchanged) content; in check mode what would be.
      type: str
    mode_changed:
      description: Whether the mode of an existing file differed.
      type: bool
    checksum:
      description: SHA-1 of the content the file has after the task (in check mode, would have), as copy reports.
      type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.host_files import (
    MODULE_ARGUMENT_SPEC,
    HostFilesError,
    check_destinations,
    checksum,
    current_file,
    description,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_file import KubeFileError, octal_mode, write_atomically


def main() -> None:
    module = AnsibleModule(argument_spec=MODULE_ARGUMENT_SPEC, supports_check_mode=True)
    files = module.params["files"]
    plans = []
    try:
        check_destinations(files)
        for entry in files:  # every file is looked at before any is written
            data = entry["content"].encode("utf-8")
            digest, mode_before = current_file(entry["dest"])
            if not module.check_mode and not os.path.isdir(os.path.dirname(entry["dest"])):
                raise HostFilesError(f"the directory of {entry['dest']} does not exist")
            plans.append((entry, checksum(data), digest, mode_before))
    except (KubeFileError, OSError) as error:  # HostFilesError, or a bad mode from octal_mode
        module.fail_json(msg=str(error))

    results, diffs = [], []
    for entry, digest, digest_before, mode_before in plans:
        dest, mode = entry["dest"], octal_mode(entry["mode"])
        state = "created" if digest_before is None else "unchanged" if digest_before == digest else "changed"
        if state != "unchanged" and not module.check_mode:
            try:
                write_atomically(module, dest, entry["content"])
            except (KubeFileError, OSError) as error:
                module.fail_json(msg=f"cannot write {dest}: {error}", files=results)
        mode_changed = False
        if state != "created" or not module.check_mode:  # a file check mode would create gets its mode with it
            mode_changed = module.set_mode_if_different(dest, mode, False) and state != "created"
        results.append({"dest": dest, "state": state, "mode_changed": mode_changed, "checksum": digest})
        if module._diff:
            diffs.append({"before_header": dest, "after_header": dest,
                          "before": description(digest_before, mode_before), "after": description(digest, mode)})

    changed = any(result["state"] != "unchanged" or result["mode_changed"] for result in results)
    module.exit_json(changed=changed, files=results, **({"diff": diffs} if module._diff else {}))


if __name__ == "__main__":
    main()

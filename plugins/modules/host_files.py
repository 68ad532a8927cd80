#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_files
short_description: Put several directories and text files on a host in one module run
description:
  - Makes each of O(directories) (with its parents) and sets its mode, the way M(ansible.builtin.file) does for one
    directory, then copies each O(files[].src) on the controller, or writes O(files[].content), to O(files[].dest)
    on the host with O(files[].mode), the way M(ansible.builtin.copy) does for one file, but everything in one run
    on the host. A master's two dozen certificates and keys cost one round trip instead of two per file.
  - O(documents) are structured files (kubeconfigs, component configuration) given as data, as
    M(curtain.kube.kube_file) takes them, validated and rendered on the controller with the same bytes kube_file
    writes, then written as the other files are. A host's certificates, keys, kubeconfigs and plain files go in one
    run. Their diff is a checksum too.
  - O(shown_documents) are structured files that carry no secret (a component's configuration), taken and rendered
    as O(documents) are, but compared as parsed data the way M(curtain.kube.kube_file) compares them (an equal file
    in other formatting is left alone) and shown as text in the diff. They are not C(no_log), so never put a kubeconfig
    with a key there.
  - On the controller the action plugin reads the sources and refuses a missing or non-text source, a document that
    fails validation (every error of every document), a relative or repeated destination and a bad mode before the
    host is contacted.
  - On the host each file is compared byte for byte and written only on a difference, atomically (a temporary
    file in the same directory, mode C(0600), then a rename), so a key is never readable by others on the way and
    a run stopped part way leaves every file whole, old or new.
  - The file contents, but for O(shown_documents), are C(no_log) arguments of the module; they never show in its
    invocation, its result or its diff, so certificates and private keys can share one task. Its diff shows each
    such file's checksum and mode.
  - With O(sysctl), sets kernel parameters in C(/proc/sys) where they differ and keeps them in a file of
    C(/etc/sysctl.d) for the next boot, the way M(ansible.posix.sysctl) does for one parameter.
  - The host needs only the Python standard library. The destination directories must exist, or be among
    O(directories).
version_added: 0.2.0
author: curtain contributors
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
options:
  directories:
    description: The directories, made before any file is written, in the order given.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the directory on the host. Each path once.
        type: path
        required: true
      mode:
        description: The directory's permissions as an octal string such as V('0700'); its parents made with it
          get the default mode.
        type: raw
        default: "0755"
  sysctl:
    description: Kernel parameters, set after the files are written.
    type: dict
    suboptions:
      file:
        description: The file in C(/etc/sysctl.d) that keeps them (written whole, mode V('0644'), one C(name = value)
          line each); a file of its own, such as C(/etc/sysctl.d/90-curtain-kubelet.conf).
        type: path
        required: true
      values:
        description: Parameter name to value, such as C(net.ipv4.ip_forward=1).
        type: dict
        required: true
  files:
    description: The files, in the order they are written and returned.
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: Absolute path of a UTF-8 text file on the controller. One of O(files[].src) and
          O(files[].content).
        type: path
      content:
        description: The file's text, given in the task.
        type: str
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
  documents:
    description: Structured files, written after O(files), in the order given.
    type: list
    elements: dict
    default: []
    suboptions:
      content:
        description: The file's data (a kubeconfig, a KubeProxyConfiguration). C(no_log), like a file's text.
        type: dict
        required: true
      dest:
        description: Absolute path of the file on the host. Each destination once, among files and documents.
        type: path
        required: true
      format:
        description: V(yaml) or V(json); by default V(json) for a C(*.json) destination and V(yaml) otherwise.
        type: str
        choices: [yaml, json]
      mode:
        description: The file's permissions as an octal string.
        type: raw
        default: "0600"
      validate:
        description: What to validate the data against on the controller, as M(curtain.kube.kube_file)'s option.
        type: str
        choices: [none, pod, kubelet_configuration, kube_proxy_configuration, kubeconfig]
        default: none
      kubernetes_version:
        description: The Kubernetes version (or profile reference) whose schema validates the data; the default
          profile's by default.
        type: str
  shown_documents:
    description: Structured files with no secret, written after O(documents), in the order given; their text shows
      in the diff. The same suboptions as O(documents), whose destinations they share.
    type: list
    elements: dict
    default: []
    suboptions:
      content:
        description: The file's data (a KubeProxyConfiguration, a static pod's manifest).
        type: dict
        required: true
      dest:
        description: Absolute path of the file on the host. Each destination once, among all files.
        type: path
        required: true
      format:
        description: V(yaml) or V(json); by default V(json) for a C(*.json) destination and V(yaml) otherwise.
        type: str
        choices: [yaml, json]
      mode:
        description: The file's permissions as an octal string.
        type: raw
        default: "0600"
      validate:
        description: What to validate the data against on the controller, as M(curtain.kube.kube_file)'s option.
        type: str
        choices: [none, pod, kubelet_configuration, kube_proxy_configuration, kubeconfig]
        default: none
      kubernetes_version:
        description: The Kubernetes version (or profile reference) whose schema validates the data; the default
          profile's by default.
        type: str
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
    details: Each file's checksum and mode before and after, never its content; the text of O(shown_documents).
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
sysctl:
  description: One entry per kernel parameter of O(sysctl.values).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The parameter.
      type: str
    before:
      description: Its value before the task.
      type: str
    changed:
      description: Whether it was (in check mode, would be) set.
      type: bool
directories:
  description: One entry per directory, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The path on the host.
      type: str
    state:
      description: V(created) or V(unchanged); in check mode what would be.
      type: str
    mode_changed:
      description: Whether the mode of an existing directory differed.
      type: bool
files:
  description: One entry per file, in the order given (O(files), O(documents), the O(sysctl) file, O(shown_documents)).
  returned: always
  type: list
  elements: dict
  contains:
    dest:
      description: The path on the host.
      type: str
    state:
      description:
        - V(created), V(changed) (other content) or V(unchanged) content (for O(shown_documents), other data); in
          check mode what would be.
      type: str
    mode_changed:
      description: Whether the mode of an existing file differed.
      type: bool
    checksum:
      description: SHA-1 of the content the file has after the task (in check mode, would have), as copy reports.
      type: str
"""

import os
from dataclasses import dataclass

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.host_files import (
    MODULE_ARGUMENT_SPEC,
    HostFilesError,
    check_destinations,
    checksum,
    current_directory,
    current_file,
    description,
    same_sysctl_value,
    sysctl_file,
    sysctl_path,
)
from ansible_collections.curtain.kube.plugins.module_utils.kube_file import (
    KubeFileError,
    canonical,
    current_mode,
    diff_header,
    octal_mode,
    plan_content,
    read_current,
    write_atomically,
)


def make_directories(module: AnsibleModule, directories: list[dict], modes_before: list[str | None]) -> list[dict]:
    """Each directory made (with its parents) or left, and given its mode; in check mode only reported.
    `modes_before`: each one's mode as the look found it (None: not there)."""
    results = []
    for entry, mode_before in zip(directories, modes_before, strict=True):
        path, mode = entry["path"], octal_mode(entry["mode"])
        mode_changed = mode_before is not None and mode_before != mode
        if not module.check_mode and (mode_before is None or mode_changed):
            try:
                os.makedirs(path, exist_ok=True)
                os.chmod(path, int(mode, 8))  # not os.makedirs(mode=): the umask would take bits off
            except OSError as error:
                module.fail_json(msg=f"cannot make the directory {path} with mode {mode}: {error}",
                                 directories=results)
        results.append({"path": path, "state": "created" if mode_before is None else "unchanged",
                        "mode_changed": mode_changed})
    return results


def set_kernel_parameters(module: AnsibleModule, values: dict) -> list[dict]:
    """Each parameter read from /proc/sys and written where it differs; in check mode only read."""
    results = []
    for name, value in values.items():
        path = sysctl_path(name)
        try:
            with open(path) as handle:
                before = handle.read().strip()
            changed = not same_sysctl_value(before, value)
            if changed and not module.check_mode:
                with open(path, "w") as handle:
                    handle.write(str(value))
        except OSError as error:
            module.fail_json(msg=f"cannot set the kernel parameter {name} to {value} ({path}): {error}",
                             sysctl=results)
        results.append({"name": name, "before": before, "changed": changed})
    return results


@dataclass(frozen=True)
class FilePlan:
    """What the look found of one file and what it is to hold."""

    dest: str
    mode: str
    text: str
    state: str  # created | changed | unchanged
    mode_before: str | None
    diff_before: str
    diff_after: str
    shown: bool  # a text diff, whose headers give the modes; a secret file's diff gives them itself


def plan_secret_file(entry: dict) -> FilePlan:
    """A file compared byte for byte, whose diff is its checksum and mode (keys go through here)."""
    digest = checksum(entry["content"].encode("utf-8"))
    digest_before, mode_before = current_file(entry["dest"])
    state = "created" if digest_before is None else "unchanged" if digest_before == digest else "changed"
    mode = octal_mode(entry["mode"])
    return FilePlan(entry["dest"], mode, entry["content"], state, mode_before,
                    description(digest_before, mode_before), description(digest, mode), shown=False)


def plan_shown_file(entry: dict) -> FilePlan:
    """A document with no secret, compared as parsed data (kube_file's comparison), whose diff is its text."""
    content = plan_content(read_current(entry["dest"]), canonical(entry["content"]), entry["text"])
    state = "created" if not content.exists else "changed" if content.changed else "unchanged"
    mode_before, mode = current_mode(entry["dest"]), octal_mode(entry["mode"])
    # An equal document in other formatting is left as it is: what the file holds after the task is its text.
    after = entry["text"] if content.changed else content.before
    return FilePlan(entry["dest"], mode, after, state, mode_before, content.before, after, shown=True)


def main() -> None:
    module = AnsibleModule(argument_spec=MODULE_ARGUMENT_SPEC, supports_check_mode=True)
    files, directories, sysctl = module.params["files"], module.params["directories"], module.params["sysctl"]
    shown = module.params["shown_files"]
    made = {os.path.normpath(entry["path"]) for entry in directories}
    plans = []
    try:
        files = [*files, sysctl_file(sysctl)] if sysctl else files
        check_destinations([*files, *shown], directories)
        # every file is looked at before anything is written
        plans = [plan_secret_file(entry) for entry in files] + [plan_shown_file(entry) for entry in shown]
        for plan in plans:
            parent = os.path.normpath(os.path.dirname(plan.dest))
            made_here = any(path == parent or path.startswith(parent + os.sep) for path in made)
            if not module.check_mode and not made_here and not os.path.isdir(parent):
                raise HostFilesError(f"the directory of {plan.dest} does not exist")
        directory_modes = [current_directory(entry["path"]) for entry in directories]
        for name in (sysctl or {}).get("values", {}):
            if not os.path.isfile(sysctl_path(name)):
                raise HostFilesError(f"the kernel has no parameter {name} ({sysctl_path(name)} does not exist)")
    except (KubeFileError, OSError) as error:  # HostFilesError, or a bad mode from octal_mode
        module.fail_json(msg=str(error))
    made_directories = make_directories(module, directories, directory_modes)

    results, diffs = [], []
    for plan in plans:
        if plan.state != "unchanged" and not module.check_mode:
            try:
                write_atomically(module, plan.dest, plan.text)
            except (KubeFileError, OSError) as error:
                module.fail_json(msg=f"cannot write {plan.dest}: {error}", files=results)
        mode_changed = False
        if plan.state != "created" or not module.check_mode:  # a file check mode would create gets its mode with it
            mode_changed = module.set_mode_if_different(plan.dest, plan.mode, False) and plan.state != "created"
        results.append({"dest": plan.dest, "state": plan.state, "mode_changed": mode_changed,
                        "checksum": checksum(plan.text.encode("utf-8"))})
        if module._diff:
            diffs.append({"before_header": diff_header(plan.dest, plan.mode_before) if plan.shown else plan.dest,
                          "after_header": diff_header(plan.dest, plan.mode) if plan.shown else plan.dest,
                          "before": plan.diff_before, "after": plan.diff_after})

    parameters = set_kernel_parameters(module, sysctl["values"]) if sysctl else []
    changed = any(result["state"] != "unchanged" or result["mode_changed"] for result in made_directories + results)
    changed = changed or any(parameter["changed"] for parameter in parameters)
    module.exit_json(changed=changed, directories=made_directories, files=results, sysctl=parameters,
                     **({"diff": diffs} if module._diff else {}))


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: curtain contributors
# Apache License 2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kube_file
short_description: Write a structured Kubernetes file (manifest, kubeconfig, component configuration) from data
description:
  - Writes O(content), a mapping, to O(dest) as JSON or YAML, the way the C(template) and C(copy) actions split
    their work. On the controller the action plugin validates the object (O(validate)) before anything touches
    the host, and renders the text; on the host the module compares the parsed current file with O(content) and
    writes only on a real difference.
  - An object that fails validation fails the task with every error (JSON path and message) and changes nothing.
  - Key order, indentation and quoting never count as a change; a different mode, owner or group does.
  - The file is written atomically (a temporary file in the same directory, then a rename), with mode C(0600)
    until O(mode) is applied, so a key-bearing file is never readable by others on the way.
  - The host needs only the Python standard library. See notes for files that are YAML but not JSON.
  - O(files) writes several files in one module run (one connection to the host instead of one per file). Every
    file is validated first, and one invalid file fails the task before any is written.
version_added: 0.1.0
author: curtain contributors
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
options:
  content:
    description:
      - The object to write, e.g. the output of the P(curtain.kube.kube_control_plane_pods#filter) or
        P(curtain.kube.kube_kubeconfig#filter) filters. It must be plain data (what JSON can carry).
      - Required without O(files), and goes with O(dest).
    type: dict
  dest:
    description: Absolute path of the file on the host. Its directory must exist. Required with O(content).
    type: path
  files:
    description:
      - Several files, each with the options of one (O(content), O(dest), O(format), O(mode), O(owner), O(group),
        O(validate), O(kubernetes_version)), written in one module run. Excludes O(content) and O(dest); a
        O(kubernetes_version) given beside it is each file's default.
    type: list
    elements: dict
  format:
    description:
      - V(json) or V(yaml). Default V(json) when O(dest) ends in C(.json), V(yaml) otherwise.
      - Both are written with sorted keys; JSON with an indent of 2, YAML in block style.
    type: str
    choices: [yaml, json]
  mode:
    description:
      - The file's permissions as an octal string such as V('0600') or V('0644') (quote it in YAML; an unquoted
        0644 is read as the number it means). Symbolic modes are not accepted.
      - Defaults to V('0600'), since kubeconfigs and configuration often carry or point at credentials.
    type: raw
    default: "0600"
  owner:
    description: Name or UID of the file's owner. Unchanged when omitted.
    type: str
  group:
    description: Name or GID of the file's group. Unchanged when omitted.
    type: str
  validate:
    description:
      - Check O(content) on the controller before writing.
      - V(pod) checks a v1 Pod against the strict Kubernetes JSON schema of the nearest Kubernetes version the
        Python package C(kubernetes-validate) carries (it must be installed on the controller).
      - V(kubelet_configuration), V(kube_proxy_configuration) and V(kubeconfig) check known fields, their types
        and references with curtain's structural checks (no official schema is published for them).
      - V(none) writes without checking.
    type: str
    choices: [none, pod, kubelet_configuration, kube_proxy_configuration, kubeconfig]
    default: none
  kubernetes_version:
    description:
      - The Kubernetes version (V(v1.37.2)) or curtain profile reference (V(modern), V(modern@v1.36.3), V(seed))
        whose schemas O(validate) uses (the Pod schema, and the KubeletConfiguration fields of that version).
        Defaults to the modern profile's default version. A reference to a version the profile does not pin fails.
    type: str
  text:
    description:
      - The serialised O(content), rendered by the action plugin on the controller. Set by the action; not meant
        to be given in a task. Without it the module renders JSON itself and refuses V(yaml).
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
    details: Reports whether the file would be created or changed and shows the diff; writes nothing.
  diff_mode:
    support: full
    details:
      - The whole file before and after, with the mode in the headers. Set the task keywords C(diff) to false
        and C(no_log) to true for files that carry secrets (kubeconfigs with embedded keys).
  platform:
    platforms: posix
notes:
  - On a host without PyYAML, an existing YAML file that is not also JSON cannot be parsed there; it is then
    compared as text with the rendered file and rewritten if it differs, which is reported as a change.
  - The module itself returns no file content except in the diff.
seealso:
  - module: ansible.builtin.copy
  - module: ansible.builtin.template
"""

EXAMPLES = r"""
- name: Write the control-plane static pods
  curtain.kube.kube_file:
    content: "{{ item.value }}"
    dest: "/etc/kubernetes/manifests/{{ item.key }}"
    mode: "0600"
    validate: pod
    kubernetes_version: modern
  loop: "{{ 'modern' | curtain.kube.kube_control_plane_pods(settings) | dict2items }}"
  loop_control:
    label: "{{ item.key }}"

- name: Write a master's files, its KubeletConfiguration and its static pods in one module run
  curtain.kube.kube_file:
    files: "{{ 'modern' | curtain.kube.kube_master_config_files(settings, true) }}"
    kubernetes_version: modern

- name: Write the kubelet configuration
  curtain.kube.kube_file:
    content: "{{ settings | curtain.kube.kube_kubelet_configuration }}"
    dest: /var/lib/kubelet/config.yaml
    mode: "0644"
    validate: kubelet_configuration

- name: Write the admin kubeconfig with embedded credentials, showing no diff
  curtain.kube.kube_file:
    content: "{{ admin_kubeconfig }}"
    dest: /etc/kubernetes/admin.conf
    validate: kubeconfig
  diff: false
  no_log: true
"""

RETURN = r"""
files:
  description:
    - With O(files), each file's result (V(dest), V(format), V(mode), V(changed), V(content_changed),
      V(attributes_changed), V(reason)), in the order given; the task's own V(changed) is whether any changed.
  returned: with O(files)
  type: list
  elements: dict
dest:
  description: The path written (or, in check mode, that would be written).
  returned: for one file (each entry of RV(files) has it too)
  type: str
  sample: /etc/kubernetes/manifests/kube-apiserver.yaml
format:
  description: The format used.
  returned: for one file (each entry of RV(files) has it too)
  type: str
  sample: yaml
mode:
  description: The file's mode after the task (in check mode, the mode it would have).
  returned: for one file (each entry of RV(files) has it too)
  type: str
  sample: "0600"
content_changed:
  description: Whether the parsed content differed (or the file did not exist).
  returned: for one file (each entry of RV(files) has it too)
  type: bool
attributes_changed:
  description: Whether mode, owner or group differed.
  returned: for one file (each entry of RV(files) has it too)
  type: bool
reason:
  description:
    - Why the content counts as changed or not; one of V(created), V(content differs), V(unparseable),
      V(unchanged), V(equal content, other formatting).
  returned: for one file (each entry of RV(files) has it too)
  type: str
  sample: content differs
validation:
  description: What the content was checked against on the controller (absent for O(validate=none)).
  returned: for one file, when O(validate) is not V(none)
  type: str
  sample: kubernetes-validate schema v1.37.2 (strict)
validation_errors:
  description: "Every validation error as C(<path>: <message>), when validation failed (nothing was written)."
  returned: failed validation
  type: list
  elements: str
  sample: ["spec.containers[0].ports[0].containerPort: 'abc' is not of type 'integer'"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.curtain.kube.plugins.module_utils.kube_file import (
    ARGUMENT_RULES,
    MODULE_ARGUMENT_SPEC,
    KubeFileError,
    canonical,
    current_mode,
    diff_header,
    file_format,
    octal_mode,
    plan_content,
    read_current,
    render_json,
    requested_files,
    summary,
    write_atomically,
)


def write_one(module: AnsibleModule, params: dict) -> tuple[dict, dict]:
    """One file: its result and its diff. Fails the module on a file it cannot write."""
    dest = params["dest"]
    try:
        fmt = file_format(dest, params["format"])
        mode = octal_mode(params["mode"])
        desired = canonical(params["content"])
        text = params["text"]
        if text is None:
            if fmt != "json":
                raise KubeFileError("format yaml needs the text rendered by the kube_file action on the controller")
            text = render_json(desired)
        current_text = read_current(dest)
        if not module.check_mode and not os.path.isdir(os.path.dirname(dest) or "."):
            # In check mode an earlier task may only have reported that it would create the directory.
            raise KubeFileError(f"the directory of {dest} does not exist")
    except (KubeFileError, OSError) as error:
        module.fail_json(msg=str(error), dest=dest)
    plan = plan_content(current_text, desired, text)
    mode_before = current_mode(dest)

    if plan.changed and not module.check_mode:
        try:
            write_atomically(module, dest, text)
        except (KubeFileError, OSError) as error:
            module.fail_json(msg=f"cannot write {dest}: {error}", dest=dest)

    attributes_changed = False
    if plan.exists or not module.check_mode:  # a file check mode would create gets its attributes with it
        applied = module.set_mode_if_different(dest, mode, False)
        applied = module.set_owner_if_different(dest, params["owner"], applied)
        applied = module.set_group_if_different(dest, params["group"], applied)
        attributes_changed = applied and plan.exists  # a new file's attributes are part of creating it

    result = {
        "changed": plan.changed or attributes_changed,
        "dest": dest,
        "format": fmt,
        "mode": mode if module.check_mode else (current_mode(dest) or mode),
        **summary(plan, attributes_changed),
    }
    diff = {
        "before_header": diff_header(dest, mode_before),
        "after_header": diff_header(dest, mode),
        "before": plan.before,
        "after": text if plan.changed else plan.before,
    }
    return result, diff


def main() -> None:
    module = AnsibleModule(argument_spec=MODULE_ARGUMENT_SPEC, supports_check_mode=True, **ARGUMENT_RULES)
    written = [write_one(module, params) for params in requested_files(module.params)]
    if module.params["files"] is None:  # one file: its result is the task's
        result, diff = written[0]
        module.exit_json(**result, **({"diff": diff} if module._diff else {}))
    results = [result for result, _ in written]
    module.exit_json(changed=any(result["changed"] for result in results), files=results,
                     **({"diff": [diff for _, diff in written]} if module._diff else {}))


if __name__ == "__main__":
    main()

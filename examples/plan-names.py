#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Applies Forklift manifests to a Ferry state directory through GObject
Introspection, then prints, for every VM of every plan, the target VM
name and the PVC name of its first disk, as Forklift would choose them.

Run from a build tree with:
  GI_TYPELIB_PATH=build/core LD_LIBRARY_PATH=build/core FERRY_DATA_DIR=data \\
    examples/plan-names.py STATE_DIR MANIFEST...
"""

import sys

import gi

gi.require_version("Ferry", "1.0")
from gi.repository import Ferry  # noqa: E402


def main():
    state_dir, paths = sys.argv[1], sys.argv[2:]
    resources, warnings = Ferry.manifest_load_paths(paths, None)
    for warning in warnings:
        print("warning:", warning, file=sys.stderr)
    store = Ferry.Store.new(state_dir)
    store.apply(resources)
    controller = store.dup_controller()
    for plan in store.list("Plan", None):
        taken = []
        for index, vm in enumerate(plan.get_vms().get_elements()):
            vm = vm.get_object()
            name = vm.get_string_member_with_default("name", "")
            vm_id = vm.get_string_member_with_default("id", "")
            target = Ferry.naming_resolve_target_vm_name(
                vm.get_string_member_with_default("targetName", "") or None, None,
                name or vm_id, vm_id, taken)
            taken.append(target)
            data = Ferry.naming_new_template_data(Ferry.NameTemplateKind.PVC)
            data.set_string_member("VmName", name or vm_id)
            data.set_string_member("TargetVmName", target)
            data.set_string_member("PlanName", plan.get_name())
            data.set_string_member("VmId", vm_id)
            data.set_int_member("DiskIndex", 0)
            template = plan.get_name_template(index, Ferry.NameTemplateKind.PVC,
                                              controller, False)
            pvc = Ferry.naming_render(Ferry.NameTemplateKind.PVC, template, data, False)
            ready = "ready" if plan.has_condition("Ready") else "not ready"
            print("\t".join([plan.get_namespace(), plan.get_name(), ready,
                             name or vm_id, target, pvc]))


if __name__ == "__main__":
    main()

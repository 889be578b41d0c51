#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Functions that return arrays of objects or JSON documents can be called
from Python through GObject Introspection, again and again, without a
double free: inventory list, query and select, the concerns of a VM, the
validators and transfer methods of the plugin registry, and the rules of
the rules validator. Each array is checked for its content too."""

import gc
import json
import os
import sys
import tempfile

import gi

gi.require_version("Ferry", "1.0")
gi.require_version("Json", "1.0")
from gi.repository import Ferry, Json  # noqa: E402

ROUNDS = 200


def document(text):
    parser = Json.Parser.new()
    parser.load_from_data(text, -1)
    return parser.get_root().get_object()


def main():
    with tempfile.TemporaryDirectory(prefix="ferry-gi-arrays-") as work:
        inventory = Ferry.Inventory.new(os.path.join(work, "inventory.db"))
        inventory.begin_update("p", True)
        for i in range(5):
            vm = {"id": "vm-%d" % i, "name": "web-%d" % i, "memoryMB": 1024 * (i + 1),
                  "cpuCount": 2, "disks": [{"capacity": 1 << 30}], "nics": [],
                  "firmware": "bios", "powerState": "poweredOff"}
            inventory.upsert("vm", vm["id"], vm["name"], None, document(json.dumps(vm)))
        inventory.commit_update()

        registry = Ferry.PluginRegistry.new()
        registry.load()
        validators = registry.create_validators()
        if not validators:
            sys.exit("the registry gave no validator")
        methods = registry.create_transfer_methods()
        if not methods:
            sys.exit("the registry gave no transfer method")
        inventory.revalidate("p", "ova", validators, True, None)

        rules = Ferry.RulesValidator.new()
        query = Ferry.Query.new("WHERE memoryMB > 2048 ORDER BY name")
        for _ in range(ROUNDS):
            listed = inventory.list("p", "vm")
            if sorted(d.get_string_member("name") for d in listed) != \
                    ["web-%d" % i for i in range(5)]:
                sys.exit("inventory.list gave the wrong documents")
            rows = inventory.query("p", "vm", query, Ferry.InventoryQueryFlags.NONE)
            if [d.get_string_member("name") for d in rows] != ["web-2", "web-3", "web-4"]:
                sys.exit("inventory.query gave the wrong rows")
            refs = inventory.select_vms("p", "WHERE name = 'web-0'")
            if [d.get_string_member("id") for d in refs] != ["vm-0"]:
                sys.exit("inventory.select_vms gave the wrong VMs")
            concerns = inventory.get_concerns("p", "vm", "vm-0")
            for concern in concerns:
                if not concern.get_id():
                    sys.exit("a concern without an id")
            for v in registry.create_validators():
                v.get_name()
            for m in registry.create_transfer_methods():
                m.get_name()
            for rule in rules.list_rules("ova"):
                rule.get_string_member("id")
            del listed, rows, refs, concerns
            gc.collect()
        print("%d rounds: list, query, select_vms, get_concerns (%d concerns on vm-0), "
              "%d validators, %d transfer methods; no double free"
              % (ROUNDS, len(inventory.get_concerns("p", "vm", "vm-0")),
                 len(validators), len(methods)))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's status table and docs/plugin-howto.md tell the truth about
what the plugins that load provide.

- every row of the README table is works, partial or planned;
- a source or destination that works names the plugin providing its
  provider type; a transfer method that works, the plugin providing it;
- a mode (how Ferry runs, such as the operator `ferryd`) that works names
  a program built beside `ferry`;
- a planned provider type or transfer method is provided by no plugin (a
  type that another row says works, such as openshift for the bundle, is
  exempt);
- in docs/plugin-howto.md's platform table, every row whose type or method no
  plugin provides says "planned".

argv: ferry, the source root; FERRY_PLUGIN_PATH holds every plugin."""

import json
import os
import re
import subprocess
import sys

FERRY, ROOT = sys.argv[1], sys.argv[2]
STATES = ("works", "partial", "planned")
MIGRATION_TYPES = ("cold", "warm", "live", "conversion")


def table_rows(text):
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]


def code(cell):
    m = re.search(r"`([^`]+)`", cell)
    return m.group(1) if m else cell


def main():
    plugins = json.loads(subprocess.run([FERRY, "plugins", "-o", "json"], check=True,
                                        capture_output=True, text=True).stdout)
    provides = {}
    for p in plugins:
        if not p["loaded"]:
            sys.exit("plugin %s did not load: %s" % (p["name"], p["error"]))
        name = "core" if p["builtin"] else p["name"]
        for item in p["providerTypes"] + p["transferMethods"]:
            provides.setdefault(item, set()).add(name)

    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    m = re.search(r"<!-- status-table -->\n(.*?)<!-- /status-table -->", readme, re.S)
    if m is None:
        sys.exit("README.md has no status table (<!-- status-table --> … <!-- /status-table -->)")
    problems = []
    rows = table_rows(m.group(1))
    working = {code(r[2]) for r in rows if r[3] in ("works", "partial")}
    seen = set()
    for kind, what, item, state, plugin in rows:
        item, plugin = code(item), code(plugin)
        seen.add((kind, item))
        if state not in STATES:
            problems.append("%s: state '%s' is not works, partial or planned" % (what, state))
            continue
        if kind == "mode":
            program = os.path.join(os.path.dirname(FERRY), item)
            if state in ("works", "partial") and not os.access(program, os.X_OK):
                problems.append("%s: says %s, but %s was not built beside ferry" % (
                    what, state, item))
            continue
        if kind == "migration":
            if item not in MIGRATION_TYPES:
                problems.append("%s: '%s' is not a migration type" % (what, item))
            continue
        if state in ("works", "partial"):
            if plugin not in provides.get(item, set()):
                problems.append("%s: says %s with plugin %s, but %s is provided by %s" % (
                    what, state, plugin, item, sorted(provides.get(item, [])) or "no plugin"))
        elif item in provides and item not in working:
            problems.append("%s: says planned, but %s provides %s" % (
                what, sorted(provides[item]), item))
    for item in provides:
        if not any(i == item for _, i in seen) and item not in ("kubevirt", "rules"):
            problems.append("%s is provided by %s but missing from the status table" % (
                item, sorted(provides[item])))
    for t in MIGRATION_TYPES:
        if ("migration", t) not in seen:
            problems.append("migration type %s is missing from the status table" % t)

    with open(os.path.join(ROOT, "docs", "plugin-howto.md")) as f:
        howto = f.read()
    section = howto.split("## How each platform maps onto the interfaces", 1)[1]
    table = re.search(r"^\| platform \|.*?(?=\n\n)", section, re.S | re.M)
    if table is None:
        sys.exit("docs/plugin-howto.md: no platform table")
    platform_rows = table_rows(table.group(0))
    if len(platform_rows) < 9:
        sys.exit("docs/plugin-howto.md: the platform table has only %d rows" % len(platform_rows))
    for row in platform_rows:
        items = re.findall(r"`([^`]+)`", row[1])
        if items and not any(i in provides for i in items) and "planned" not in " ".join(row):
            problems.append("docs/plugin-howto.md: %s (%s) is provided by no plugin but is "
                            "not marked planned" % (row[0], ", ".join(items)))
    if problems:
        sys.exit("\n".join(problems))
    print("%d rows agree with the %d plugins" % (len(rows), len(plugins)))


if __name__ == "__main__":
    main()

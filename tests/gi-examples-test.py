#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the Python and GJS examples and checks they print the same plugin
list as `ferry plugins -o json` (same names, kinds, implementations,
status)."""

import json
import os
import subprocess
import sys


def expected_lines(ferry):
    out = subprocess.run([ferry, "-q", "plugins", "-o", "json"], check=True,
                         capture_output=True, text=True).stdout
    lines = []
    for plugin in json.loads(out):
        lines.append("\t".join([
            plugin["name"],
            ",".join(plugin["kinds"]) or "-",
            ",".join(plugin["providerTypes"]) or "-",
            ",".join(plugin["transferMethods"]) or "-",
            ",".join(plugin["validators"]) or "-",
            "loaded" if plugin["loaded"] else "skipped",
        ]))
    return lines


def run_example(argv):
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("%s failed (%d):\n%s" % (" ".join(argv), result.returncode, result.stderr))
    return [line for line in result.stdout.splitlines() if line]


def main():
    ferry, examples = sys.argv[1], sys.argv[2]
    want = expected_lines(ferry)
    if not any(line.startswith("good\t") for line in want):
        sys.exit("the CLI did not list the fixture plugin 'good'")
    got_py = run_example([sys.executable, os.path.join(examples, "list-plugins.py")])
    if got_py != want:
        sys.exit("Python example differs from the CLI:\n%s\n---\n%s" % (got_py, want))
    print("python: %d plugins, same as the CLI" % len(got_py))
    gjs = os.environ.get("FERRY_GJS")
    if not gjs:
        if os.environ.get("CI"):
            sys.exit("gjs is not installed, and CI must run the GJS example")
        print("SKIP: gjs is not installed; run scripts/install-deps")
        sys.exit(77)
    got_js = run_example([gjs, os.path.join(examples, "list-plugins.js")])
    if got_js != want:
        sys.exit("GJS example differs from the CLI:\n%s\n---\n%s" % (got_js, want))
    print("gjs: %d plugins, same as the CLI" % len(got_js))


if __name__ == "__main__":
    main()

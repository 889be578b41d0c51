#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs examples/plan-names.py (the model, store and naming API through
GObject Introspection) and checks what it prints and what it stored,
the latter through the CLI."""

import json
import os
import subprocess
import sys
import tempfile


def main():
    ferry, examples, manifests = sys.argv[1], sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory() as state:
        docs = os.path.join(manifests, "forklift-docs.yaml")
        result = subprocess.run(
            [sys.executable, os.path.join(examples, "plan-names.py"), state, docs],
            capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit("plan-names.py failed:\n" + result.stderr)
        want = [
            "openshift-mtv\tweb-tier\tready\tvm-431\tvm-431\tvm-431-disk-0",
            "openshift-mtv\tweb-tier\tready\tWeb Server 02\tweb-02\tweb02-0",
        ]
        got = [line for line in result.stdout.splitlines() if line]
        if got != want:
            sys.exit("unexpected output:\n%s\n--- want ---\n%s" % (got, want))
        # what the example stored, as the CLI sees it
        out = subprocess.run([ferry, "--state", state, "get", "plan", "web-tier",
                              "-n", "openshift-mtv", "-o", "json"],
                             check=True, capture_output=True, text=True).stdout
        plan = json.loads(out)
        if plan["metadata"]["generation"] != 1 or plan["spec"]["targetNamespace"] != "web":
            sys.exit("the stored plan differs: %s" % out)
    print("plan names through GI: ok")


if __name__ == "__main__":
    main()

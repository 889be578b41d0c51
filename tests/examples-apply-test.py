#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every example manifest in the repository is applied, each into a fresh
state directory, as a user would: the folders of examples/, the files of
tests/manifests/ (but broken.yaml, which must fail), and the YAML blocks of
the READMEs and docs that hold resources. Each must apply with status 0, and
no Provider may be left with SecretNotValid for a Secret it does not name
(a provider that needs no credentials needs no Secret).

argv: ferry, the source root."""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

FERRY, ROOT = sys.argv[1], sys.argv[2]


def readme_blocks():
    """(name, text) of each ```yaml block that holds a resource"""
    docs = sorted(glob.glob(os.path.join(ROOT, "plugins", "*", "README.md")))
    docs += [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    for path in docs:
        with open(path) as f:
            text = f.read()
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S)):
            if re.search(r"^kind: ", block, re.M) and re.search(r"^apiVersion: ", block, re.M):
                yield "%s block %d" % (os.path.relpath(path, ROOT), i + 1), block


def targets():
    for folder in sorted(glob.glob(os.path.join(ROOT, "examples", "*", ""))):
        if glob.glob(os.path.join(folder, "*.yaml")):
            yield os.path.relpath(folder, ROOT), folder, None
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "manifests", "*.yaml"))):
        if os.path.basename(path) != "broken.yaml":
            yield os.path.relpath(path, ROOT), path, None
    for name, block in readme_blocks():
        yield name, None, block


def main():
    failures = []
    count = 0
    for name, path, text in targets():
        count += 1
        with tempfile.TemporaryDirectory(prefix="ferry-examples-") as state:
            if text is not None:
                path = os.path.join(state, "example.yaml")
                with open(path, "w") as f:
                    f.write(text)
            ferry = [FERRY, "--state", os.path.join(state, "state")]
            result = subprocess.run(ferry + ["apply", "-f", path], capture_output=True, text=True)
            if result.returncode != 0:
                failures.append("%s: apply exited %d:\n%s" % (name, result.returncode, result.stderr))
                continue
            got = subprocess.run(ferry + ["get", "providers", "-A", "-o", "json"],
                                 capture_output=True, text=True)
            if got.returncode != 0:
                # no Provider in the example
                continue
            listed = json.loads(got.stdout)
            for provider in listed.get("items", [listed]):
                for condition in provider.get("status", {}).get("conditions", []):
                    if condition["type"] == "SecretNotValid" and condition.get("reason") == "NotSet":
                        failures.append("%s: Provider %s: %s" % (
                            name, provider["metadata"]["name"], condition["message"]))
            print("ok %s" % name)
    if failures:
        sys.exit("\n".join(failures))
    print("%d examples applied" % count)


if __name__ == "__main__":
    main()

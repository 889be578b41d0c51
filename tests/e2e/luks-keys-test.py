#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""LUKS passphrases from the plan reach the guest converter, and only it.

A plan VM names a Secret in `luks` (Forklift's field). The engine writes its
keys as 0600 files in a 0700 folder of the VM's work folder, hands the folder
to the converter (`luksKeyDir` in the VM description), and removes it when
the conversion ends. The converter here is the `recorder` test plugin, which
notes what it was given; the passphrases must appear nowhere else: not in
the output, the plan's status or the engine's tables.
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
KEYS = {"root-disk": "Pass phrase one %d" % os.getpid(),
        "1b2e5e3c-6d2f-4c1e-9a7b-3f0e8d6c5a41": "Pass phrase two %d" % os.getpid()}


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def main():
    work = tempfile.mkdtemp(prefix="ferry-luks-")
    run(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), os.path.join(work, "ova"), "web")
    record = os.path.join(work, "record.jsonl")
    secret_data = "".join('  "%s": "%s"\n' % item for item in KEYS.items())
    manifests = """apiVersion: v1
kind: Secret
metadata: {name: luks-keys, namespace: demo}
type: Opaque
stringData:
%s---
apiVersion: v1
kind: Secret
metadata: {name: ova, namespace: demo}
type: Opaque
stringData: {url: "file://%s/ova"}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: ova-source, namespace: demo}
spec: {type: ova, url: "file://%s/ova", secret: {name: ova, namespace: demo}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: bundle, namespace: demo}
spec: {type: openshift, url: "file://%s/bundle", secret: {name: ova, namespace: demo}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: net, namespace: demo}
spec:
  provider: {source: {name: ova-source, namespace: demo}, destination: {name: bundle, namespace: demo}}
  map: [{source: {name: VM Network}, destination: {type: pod}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: disks, namespace: demo}
spec:
  provider: {source: {name: ova-source, namespace: demo}, destination: {name: bundle, namespace: demo}}
  map: [{source: {name: web-disk1.vmdk}, destination: {storageClass: standard}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: encrypted, namespace: demo}
spec:
  targetNamespace: migrated
  provider: {source: {name: ova-source, namespace: demo}, destination: {name: bundle, namespace: demo}}
  map: {network: {name: net, namespace: demo}, storage: {name: disks, namespace: demo}}
  vms:
    - name: web
      luks: {name: luks-keys, namespace: demo}
""" % (secret_data, work, work, work)
    path = os.path.join(work, "plan.yaml")
    with open(path, "w") as f:
        f.write(manifests)
    plugins = os.environ["FERRY_PLUGIN_PATH"].split(":")
    # the recorder is the only converter: virt-v2v stays out
    plugins = [p for p in plugins if not p.rstrip("/").endswith("virt-v2v")]
    plugins.append(os.environ["FERRY_RECORDER_DIR"])
    env = dict(os.environ, FERRY_NO_TTY="1", FERRY_RECORDER_FILE=record,
               FERRY_PLUGIN_PATH=":".join(plugins))
    state = os.path.join(work, "state")
    ferry = [FERRY, "--state", state, "-n", "demo"]
    run(*ferry, "apply", "-f", path, env=env)
    out = run(*ferry, "plan", "start", "encrypted", check=False, env=env)
    status = run(*ferry, "get", "plan", "encrypted", "-o", "json", env=env).stdout
    if out.returncode != 0:
        sys.exit("the plan failed:\n%s%s\n%s" % (out.stdout, out.stderr, status))

    lines = [json.loads(line) for line in open(record)]
    if len(lines) != 1:
        sys.exit("the converter ran %d times: %s" % (len(lines), lines))
    seen = lines[0]
    got = {name: key["value"] for name, key in seen.get("keys", {}).items()}
    if got != KEYS:
        sys.exit("the converter got keys %s, expected %s" % (sorted(got), sorted(KEYS)))
    if seen.get("dirMode") != 0o700 or any(k["mode"] != 0o600 for k in seen["keys"].values()):
        sys.exit("the keys were not private: %s" % {k: v["mode"] for k, v in seen["keys"].items()})
    if not seen["luksKeyDir"].startswith(state) or os.path.exists(seen["luksKeyDir"]):
        sys.exit("the key folder %s is outside the state or was left behind" % seen["luksKeyDir"])

    # nowhere else: output, status, the engine's tables
    db = sqlite3.connect(os.path.join(state, "ferry.db"))
    tables = [row[0] for row in db.execute(
        "select name from sqlite_master where type = 'table' and name like 'engine%'")]
    if not tables:
        sys.exit("no engine tables in ferry.db")
    engine_text = ""
    for table in tables:
        for row in db.execute("select * from %s" % table):
            engine_text += repr(row)
    for passphrase in KEYS.values():
        for where, text in (("output", out.stdout + out.stderr), ("status", status),
                            ("engine tables", engine_text)):
            if passphrase in text:
                sys.exit("a LUKS passphrase appears in the %s" % where)
    print("the converter got %d keys in a private folder, removed afterwards" % len(got))
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()

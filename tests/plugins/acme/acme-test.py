#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A platform the core has never heard of migrates cold and warm.

The "acme" plugin (this folder) and its rules (rules/acme/) are all there is
of Acme Cloud: no core file names it. Its disk plumbing (qemu-nbd exports,
dirty bitmaps, snapshots, power) is test-fixture code shared with the test
provider (tests/plugins/common/fixture-world.c), outside core/, tools/,
plugins/ and data/, so that sharing changes nothing here. Driven through `ferry` as a user
would, this checks that Acme's own Provider checks (URL form, Secret keys),
map kinds (`segment`, `pool`), inventory shape (read only by the plugin's
describe_vm) and concerns (a critical one blocks a plan) apply, and that a
cold and a warm migration succeed with byte-identical disks.

FERRY_BIN, FERRY_PLUGIN_PATH, FERRY_RULES_PATH and FERRY_DATA_DIR come from
meson."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

FERRY = os.environ["FERRY_BIN"]
MIB = 1 << 20
failures = []


def check(ok, what):
    print("%s - %s" % ("ok" if ok else "not ok", what))
    if not ok:
        failures.append(what)


def sh(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True)


def make_disk(path, size, seed):
    sh("qemu-img", "create", "-q", "-f", "qcow2", path, str(size))
    pattern = "0x%02x" % (0x30 + seed)
    sh("qemu-io", "-f", "qcow2", "-c", "write -P %s 0 %d" % (pattern, 2 * MIB), path)
    sh("qemu-io", "-f", "qcow2", "-c",
       "write -P %s %d %d" % (pattern, size - 65536, 65536), path)


def world_vm(work, vm_id, index, **extra):
    disk = os.path.join(work, "%s.qcow2" % vm_id)
    make_disk(disk, 16 * MIB, index)
    vm = {"id": vm_id, "name": vm_id, "powerState": "On", "cpuCount": 2, "memoryMB": 256,
          "disks": [{"key": 7, "capacity": 16 * MIB, "path": disk, "datastore": {"id": "pool-1"}}],
          "nics": [{"mac": "02:ac:3e:00:00:%02x" % index, "network": {"id": "seg-1"}}]}
    vm.update(extra)
    return vm


MANIFESTS = """apiVersion: v1
kind: Secret
metadata: {name: acme-key, namespace: acme}
stringData: {apiKey: not-used-by-the-fixture}
---
apiVersion: v1
kind: Secret
metadata: {name: wrong-key, namespace: acme}
stringData: {user: someone, password: secret}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: src, namespace: acme}
spec: {type: acme, url: "%(url)s", secret: {name: acme-key, namespace: acme}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: dst, namespace: acme}
spec: {type: acme, url: "%(url)s", secret: {name: acme-key, namespace: acme}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: broken, namespace: acme}
spec: {type: acme, url: "https://acme.example/api", secret: {name: wrong-key, namespace: acme}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: net, namespace: acme}
spec:
  provider: {source: {name: src}, destination: {name: dst}}
  map: [{source: {id: seg-1}, destination: {type: pod}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: storage, namespace: acme}
spec:
  provider: {source: {name: src}, destination: {name: dst}}
  map: [{source: {id: pool-1}, destination: {storageClass: standard}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: ForkliftController
metadata: {name: forklift-controller, namespace: acme}
spec: {precopy_interval_seconds: 1}
"""

PLAN = """---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: %s, namespace: acme}
spec:
  type: %s
  targetNamespace: migrated
  provider: {source: {name: src}, destination: {name: dst}}
  map: {network: {name: net}, storage: {name: storage}}
  vms: [{id: %s}]
"""


def conditions(resource):
    return {c["type"]: c for c in resource.get("status", {}).get("conditions", [])}


def core_never_names_acme():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "..", "..", ".."))
    named = []
    for folder in ("core", "tools", "plugins", "data"):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    if b"acme" in f.read().lower():
                        named.append(os.path.join(dirpath, name))
    check(not named, "no file of the core, the CLI, the plugins or data/ names Acme %s" % named)


def main():
    core_never_names_acme()
    work = tempfile.mkdtemp(prefix="ferry-acme-")
    tmp = os.path.join(work, "tmp")
    os.mkdir(tmp)
    env = dict(os.environ, TMPDIR=tmp, FERRY_NO_TTY="1")
    state = os.path.join(work, "state")

    def ferry(*args, expect=0):
        result = subprocess.run([FERRY, "--state", state, "-n", "acme"] + list(args),
                                env=env, capture_output=True, text=True)
        if expect is not None and result.returncode != expect:
            sys.exit("ferry %s exited %d, not %d:\n%s%s" % (" ".join(args), result.returncode,
                                                           expect, result.stdout, result.stderr))
        return result

    try:
        vms = [world_vm(work, "cold-vm", 1, bootMode="uefi"),
               world_vm(work, "warm-vm", 2, toolsInstalled=False),
               world_vm(work, "legacy-vm", 3, generation=1)]
        world_path = os.path.join(work, "world.json")
        with open(world_path, "w") as f:
            json.dump({"vms": vms, "destDir": os.path.join(work, "dest")}, f)
        with open(os.path.join(work, "all.yaml"), "w") as f:
            f.write(MANIFESTS % {"url": "file://" + world_path})
            f.write(PLAN % ("cold-plan", "cold", "cold-vm"))
            f.write(PLAN % ("warm-plan", "warm", "warm-vm"))
            f.write(PLAN % ("legacy-plan", "cold", "legacy-vm"))
        ferry("apply", "-f", os.path.join(work, "all.yaml"))

        # the plugin checks Acme's Provider: its URL form and its Secret keys
        broken = conditions(json.loads(ferry("get", "provider", "broken", "-o", "json").stdout))
        check("UrlNotValid" in broken and "Acme" in broken["UrlNotValid"]["message"],
              "an Acme Provider with an https URL gets Acme's UrlNotValid")
        check("SecretNotValid" in broken and "apiKey" in json.dumps(broken["SecretNotValid"]),
              "an Acme Provider whose Secret lacks apiKey gets SecretNotValid")
        src = conditions(json.loads(ferry("get", "provider", "src", "-o", "json").stdout))
        check("ProviderTypeNotSupported" not in src and "UrlNotValid" not in src and
              "SecretNotValid" not in src, "a well-formed Acme Provider is accepted")

        # the inventory: Acme's own kinds and concerns from Acme's rules folder
        ferry("inventory", "refresh", "src")
        pools = json.loads(ferry("inventory", "storage", "src", "-o", "json").stdout)
        check([p.get("id") for p in pools] == ["pool-1"],
              "`ferry inventory storage` lists Acme pools (the plugin's storage kind)")
        inventory = {v["id"]: v for v in
                     json.loads(ferry("inventory", "vms", "src", "-o", "json").stdout)}
        concern_ids = {vm_id: {c.get("id") for c in v.get("concerns", [])}
                       for vm_id, v in inventory.items()}
        check("acme.generation.legacy" in concern_ids["legacy-vm"],
              "the critical concern of Acme's rules is found on the generation 1 VM")
        check("acme.tools.missing" in concern_ids["warm-vm"],
              "the warning of Acme's rules is found on the VM without tools")
        check(not concern_ids["cold-vm"], "the clean VM has no concern")

        # a critical concern blocks the plan
        blocked = ferry("plan", "start", "legacy-plan", expect=None)
        check(blocked.returncode != 0 and "VMCriticalConcerns" in blocked.stderr,
              "the plan of the generation 1 VM is blocked by VMCriticalConcerns")

        # cold, to the end
        ferry("plan", "start", "cold-plan")
        # warm: precopies until the cutover, then the final copy
        cutover = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 6))
        ferry("plan", "start", "warm-plan", "--cutover", cutover)

        for plan, vm_id in (("cold-plan", "cold-vm"), ("warm-plan", "warm-vm")):
            status = json.loads(ferry("get", "plan", plan, "-o", "json").stdout)["status"]
            phase = status["migration"]["history"][-1]["phase"]
            check(phase == "Succeeded", "%s succeeded (%s)" % (plan, phase))
            source = next(v for v in vms if v["id"] == vm_id)
            target_dir = os.path.join(work, "dest", "migrated", vm_id)
            images = sorted(n for n in os.listdir(target_dir) if n.endswith(".img")) \
                if os.path.isdir(target_dir) else []
            same = len(images) == 1 and subprocess.run(
                ["qemu-img", "compare", "-f", "raw", "-F", "qcow2",
                 os.path.join(target_dir, images[0]), source["disks"][0]["path"]],
                capture_output=True).returncode == 0
            check(same, "%s: the target disk equals the source disk" % vm_id)
            if plan == "warm-plan":
                vm_status = status["migration"]["vms"][0]
                precopies = vm_status.get("warm", {}).get("precopies", [])
                check(len(precopies) >= 1, "warm-vm was precopied (%d precopies)" % len(precopies))
        created = [n for n in os.listdir(os.path.join(work, "dest", "migrated", "cold-vm"))
                   if n.endswith(".json")]
        spec = {}
        if created:
            with open(os.path.join(work, "dest", "migrated", "cold-vm", created[0])) as f:
                spec = json.load(f)
        check(json.dumps(spec).find('"efi"') >= 0 and json.dumps(spec).find("acme-linux") >= 0,
              "the created VM carries what Acme's describe_vm said (UEFI, guest OS)")
    finally:
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        for line in ps.splitlines():
            if work in line and "ps -eo" not in line:
                os.kill(int(line.split()[0]), 9)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        sys.exit("failed: %s" % "; ".join(failures))
    print("acme: a platform unknown to the core migrated cold and warm")


if __name__ == "__main__":
    main()

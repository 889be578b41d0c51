#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chaos test: kill -9 the engine at random moments of a 10-VM cold and a
3-VM warm migration, run `ferry run` after each kill, and check that every
VM succeeds with byte-identical disks, the artifact ledger is empty, and no
snapshot, server process or work file is left behind.

Runs `ferry` as a user would, on the test provider (qemu-nbd, qcow2 dirty
bitmaps). FERRY_BIN, FERRY_PLUGIN_PATH and FERRY_DATA_DIR come from meson."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

FERRY = os.environ["FERRY_BIN"]
KILLS = int(os.environ.get("FERRY_CHAOS_KILLS", "20"))
# a run that ends before this many kills proves too little: it fails
MIN_KILLS = int(os.environ.get("FERRY_CHAOS_MIN_KILLS", str(max(1, KILLS // 2))))
SEED = int(os.environ.get("FERRY_CHAOS_SEED", str(int(time.time()))))
MIB = 1 << 20


def sh(*argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


def qemu_io(path, command):
    sh("qemu-io", "-f", "qcow2", "-c", command, path)


def make_disk(path, size, seed):
    sh("qemu-img", "create", "-q", "-f", "qcow2", path, str(size))
    pattern = "0x%02x" % (0x20 + seed % 200)
    qemu_io(path, "write -P %s 0 %d" % (pattern, 3 * MIB))
    qemu_io(path, "write -P %s %d %d" % (pattern, size // 2, 256 * 1024))
    qemu_io(path, "write -P %s %d %d" % (pattern, size - 65536, 65536))


def vm(work, vm_id, name, size, index):
    disk = os.path.join(work, "%s.qcow2" % vm_id)
    make_disk(disk, size, index)
    return {
        "id": vm_id, "name": name, "powerState": "On", "cpuCount": 1, "memoryMB": 256,
        "host": "host-%d" % (index % 2),
        "disks": [{"key": 2000, "capacity": size, "path": disk, "datastore": {"id": "ds-1"},
                   "file": "[ds1] %s/%s.vmdk" % (name, name)}],
        "nics": [{"mac": "00:50:56:00:01:%02x" % index, "network": {"id": "net-1"}}],
    }


def manifests(world_url, cutover):
    providers = ""
    for name in ("src", "dst"):
        providers += """---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: %s, namespace: chaos}
spec: {type: test, url: "%s", secret: {name: creds, namespace: chaos}}
""" % (name, world_url)
    maps = """---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: net, namespace: chaos}
spec:
  provider: {source: {name: src}, destination: {name: dst}}
  map: [{source: {id: net-1}, destination: {type: pod}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: storage, namespace: chaos}
spec:
  provider: {source: {name: src}, destination: {name: dst}}
  map: [{source: {id: ds-1}, destination: {storageClass: standard}}]
"""
    def plan(name, vms, kind):
        return """---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: %s, namespace: chaos}
spec:
  type: %s
  targetNamespace: migrated
  provider: {source: {name: src}, destination: {name: dst}}
  map: {network: {name: net}, storage: {name: storage}}
  vms: [%s]
""" % (name, kind, ", ".join("{id: %s}" % v for v in vms))
    secret = """apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: chaos}
stringData: {user: chaos, password: not-used-by-the-test-provider}
"""
    settings = """---
apiVersion: forklift.konveyor.io/v1beta1
kind: ForkliftController
metadata: {name: forklift-controller, namespace: chaos}
spec: {controller_max_vm_inflight: 4, precopy_interval_seconds: 1}
"""
    return (secret + providers + maps + settings
            + plan("cold-plan", ["vm-%02d" % i for i in range(10)], "cold")
            + plan("warm-plan", ["warm-%d" % i for i in range(3)], "warm"))


def main():
    random.seed(SEED)
    print("seed %d, %d kills" % (SEED, KILLS))
    work = tempfile.mkdtemp(prefix="ferry-chaos-")
    tmp = os.path.join(work, "tmp")
    os.mkdir(tmp)
    env = dict(os.environ, TMPDIR=tmp, FERRY_NO_TTY="1")
    state = os.path.join(work, "state")
    try:
        vms = [vm(work, "vm-%02d" % i, "cold-%02d" % i, 24 * MIB, i) for i in range(10)]
        vms += [vm(work, "warm-%d" % i, "warm-%d" % i, 24 * MIB, 50 + i) for i in range(3)]
        world = {"vms": vms, "destDir": os.path.join(work, "dest")}
        world_path = os.path.join(work, "world.json")
        with open(world_path, "w") as f:
            json.dump(world, f)
        with open(os.path.join(work, "all.yaml"), "w") as f:
            f.write(manifests("file://" + world_path, None))

        def ferry(*args, check=True):
            result = subprocess.run([FERRY, "--state", state, "-n", "chaos"] + list(args),
                                    env=env, capture_output=True, text=True)
            if check and result.returncode != 0:
                sys.exit("ferry %s failed (%d):\n%s%s" % (" ".join(args), result.returncode,
                                                          result.stdout, result.stderr))
            return result

        ferry("apply", "-f", os.path.join(work, "all.yaml"))
        ferry("plan", "start", "cold-plan", "--detach")
        cutover = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 12))
        ferry("plan", "start", "warm-plan", "--detach", "--cutover", cutover)

        kills = 0
        while kills < KILLS:
            proc = subprocess.Popen([FERRY, "--state", state, "run"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                proc.wait(timeout=random.uniform(0.05, 1.0))
                # it finished everything before the kill came
                break
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                with open(os.path.join(work, "kills.log"), "a") as log:
                    db = sqlite3.connect(os.path.join(state, "ferry.db"))
                    rows = db.execute("SELECT vm_id, phase FROM engine_vms WHERE done = 0").fetchall()
                    log.write("kill %d: %s\n" % (kills, rows))
                    db.close()
        print("killed the engine %d times" % kills)
        if kills < MIN_KILLS:
            sys.exit("the migrations finished after only %d kills (at least %d wanted); "
                     "the test proved too little" % (kills, MIN_KILLS))
        final = ferry("run", check=False)
        if final.returncode != 0:
            sys.exit("the final run failed (%d):\n%s%s" % (final.returncode, final.stdout,
                                                           final.stderr))

        for plan in ("cold-plan", "warm-plan"):
            status = json.loads(ferry("get", "plan", plan, "-o", "json").stdout)["status"]
            phase = status["migration"]["history"][-1]["phase"]
            if phase != "Succeeded":
                sys.exit("%s ended %s:\n%s" % (plan, phase, json.dumps(status, indent=1)))
            for v in status["migration"]["vms"]:
                if not any(c["type"] == "Succeeded" for c in v["conditions"]):
                    sys.exit("VM %s did not succeed: %s" % (v["id"], json.dumps(v)))

        dest = os.path.join(work, "dest", "migrated")
        for v in vms:
            target_dir = os.path.join(dest, v["name"])
            images = [n for n in os.listdir(target_dir) if n.endswith(".img")]
            if len(images) != 1:
                sys.exit("%s: expected one target disk, found %s" % (v["name"], images))
            compare = subprocess.run(["qemu-img", "compare", "-f", "raw", "-F", "qcow2",
                                      os.path.join(target_dir, images[0]),
                                      v["disks"][0]["path"]], capture_output=True, text=True)
            if compare.returncode != 0:
                sys.exit("%s: the target differs from the source: %s%s\nledger of the run:\n%s"
                         % (v["name"], compare.stdout, compare.stderr,
                            open(os.path.join(work, "kills.log")).read()))
            info = json.loads(sh("qemu-img", "info", "-U", "--output=json",
                                 v["disks"][0]["path"]).stdout)
            if info.get("format-specific", {}).get("data", {}).get("bitmaps"):
                sys.exit("%s: snapshot bitmaps left: %s" % (v["id"], info))

        db = sqlite3.connect(os.path.join(state, "ferry.db"))
        left = db.execute("SELECT kind, artifact_id FROM engine_ledger").fetchall()
        if left:
            sys.exit("artifacts left in the ledger: %s" % left)
        exports = world_path + ".exports"
        leftovers = os.listdir(exports) if os.path.isdir(exports) else []
        if leftovers:
            sys.exit("server work directories left: %s" % leftovers)
        ps = sh("ps", "-eo", "args").stdout
        if work in ps:
            sys.exit("processes left running:\n%s" % "\n".join(
                line for line in ps.splitlines() if work in line))
        print("13 VMs succeeded after %d kills; disks identical; nothing left behind" % kills)
    finally:
        subprocess.run(["pkill", "-9", "-f", work], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

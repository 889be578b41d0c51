#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chaos on the KubeVirt cluster destination: `kill -9` of `ferry run` at
random moments of a 3-VM cold migration into the Kubernetes test bed
(scripts/kube-testbed) — while PVCs are made, transfer pods start, port-
forwards copy, VMs are created — then `ferry run` again after each kill.
At the end every VM succeeded, its PVC's disk.img equals the source disk,
the artifact ledger is empty, and nothing is orphaned in the cluster: no
transfer pod, and no PVC or VirtualMachine beyond the plan's.

The seed is printed (FERRY_CHAOS_SEED repeats a run). Without a bed it skips
(exit 77), except under CI=true, where it fails.
"""

import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubebed  # noqa: E402

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
KILLS = int(os.environ.get("FERRY_CHAOS_KILLS", "8"))
MIN_KILLS = int(os.environ.get("FERRY_CHAOS_MIN_KILLS", str(max(1, KILLS // 2))))
SEED = int(os.environ.get("FERRY_CHAOS_SEED", str(int(time.time()))))
VMS = ("alpha", "beta", "gamma")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def main():
    random.seed(SEED)
    print(f"seed {SEED}, up to {KILLS} kills")
    bed = kubebed.Bed(kubebed.start())
    suffix = secrets.token_hex(3)
    ctl_ns, target_ns, binding = f"chaos-{suffix}", f"chaos-{suffix}-vms", f"chaos-{suffix}"
    work = tempfile.mkdtemp(prefix="ferry-kube-chaos-", dir="/var/tmp")
    state = os.path.join(work, "state")
    env = dict(os.environ, FERRY_NO_TTY="1")
    try:
        for ns in (ctl_ns, target_ns):
            bed.kubectl("create", "namespace", ns)
        token = bed.admin_token(ctl_ns, binding)
        ova_dir = os.path.join(work, "ova")
        octets = os.urandom(3)
        subprocess.run([os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir, *VMS],
                       check=True, capture_output=True,
                       env=dict(os.environ, FERRY_OVA_MAC_PREFIX="02:%02x:%02x:%02x:00" %
                                tuple(octets)))
        ova = "file://" + ova_dir
        ref = {"source": {"name": "ova", "namespace": "chaos"},
               "destination": {"name": "cluster", "namespace": "chaos"}}
        docs = bed.provider_docs("cluster", "chaos", token) + [
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "ova-credentials", "namespace": "chaos"},
             "type": "Opaque", "stringData": {"url": ova}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
             "metadata": {"name": "ova", "namespace": "chaos"},
             "spec": {"type": "ova", "url": ova,
                      "secret": {"name": "ova-credentials", "namespace": "chaos"}}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
             "metadata": {"name": "networks", "namespace": "chaos"},
             "spec": {"provider": ref, "map": [{"source": {"name": "VM Network"},
                                                "destination": {"type": "pod"}}]}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
             "metadata": {"name": "storage", "namespace": "chaos"},
             "spec": {"provider": ref,
                      "map": [{"source": {"name": f"{vm}-disk1.vmdk"},
                               "destination": {"storageClass": "local-path"}} for vm in VMS]}},
            # 512 KiB/s: about 6 s of copy per VM, so kills land in every phase
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
             "metadata": {"name": "chaos", "namespace": "chaos"},
             "spec": {"targetNamespace": target_ns, "skipGuestConversion": True,
                      "targetPowerState": "off", "provider": ref, "bandwidth": 1 << 19,
                      "map": {"network": {"name": "networks", "namespace": "chaos"},
                              "storage": {"name": "storage", "namespace": "chaos"}},
                      "vms": [{"name": vm} for vm in VMS]}},
        ]
        with open(os.path.join(work, "all.yaml"), "w") as f:
            yaml.safe_dump_all(docs, f)

        def ferry(*args, check=True):
            r = subprocess.run([FERRY, "--state", state, "-n", "chaos", *args], env=env,
                               capture_output=True, text=True)
            if check and r.returncode != 0:
                sys.exit("ferry %s failed (%d):\n%s%s" % (" ".join(args), r.returncode,
                                                          r.stdout, r.stderr))
            return r

        ferry("apply", "-f", os.path.join(work, "all.yaml"))
        ferry("plan", "start", "chaos", "--detach")
        kills = 0
        while kills < KILLS:
            proc = subprocess.Popen([FERRY, "--state", state, "run"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=random.uniform(0.3, 3.0))
                break
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                db = sqlite3.connect(os.path.join(state, "ferry.db"))
                rows = db.execute("SELECT vm_id, phase FROM engine_vms WHERE done = 0").fetchall()
                db.close()
                print(f"kill {kills}: {rows}")
        print(f"killed `ferry run` {kills} times")
        if kills < MIN_KILLS:
            sys.exit(f"the migration finished after only {kills} kills (at least {MIN_KILLS} "
                     "wanted); the test proved too little")
        final = ferry("run", check=False)
        if final.returncode != 0:
            sys.exit("the final run failed (%d):\n%s%s" % (final.returncode, final.stdout,
                                                           final.stderr))
        status = json.loads(ferry("get", "plan", "chaos", "-o", "json").stdout)["status"]
        if status["migration"]["history"][-1]["phase"] != "Succeeded":
            sys.exit("the plan did not succeed:\n" + json.dumps(status, indent=1))
        print("ok - the plan succeeded after %d kills and a final `ferry run`" % kills)

        vms = bed.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", target_ns)["items"]
        pvcs = bed.kubectl_json("get", "pvc", "-n", target_ns)["items"]
        names = sorted(v["metadata"]["name"] for v in vms)
        if names != sorted(VMS) or len(pvcs) != len(VMS):
            sys.exit("expected exactly the plan's VMs and one PVC each: VMs %s, PVCs %s" % (
                names, [p["metadata"]["name"] for p in pvcs]))
        claims = {v["metadata"]["name"]: [x["persistentVolumeClaim"]["claimName"]
                                          for x in v["spec"]["template"]["spec"]["volumes"]
                                          if "persistentVolumeClaim" in x][0] for v in vms}
        got = bed.read_back(target_ns, list(claims.values()))
        for vm, claim in claims.items():
            raw = os.path.join(ova_dir + ".expected", f"{vm}.raw")
            want = (os.path.getsize(raw), sha256(raw))
            if got[claim] != want:
                sys.exit(f"{vm}: PVC {claim} holds {got[claim]}, the source disk is {want}")
        print("ok - every PVC's disk.img equals its source disk; no extra VM or PVC")
        bed.wait_for("no transfer pod", lambda: not bed.kubectl_json(
            "get", "pods", "-n", target_ns, "-l", "ferry.konveyor.io/transfer")["items"],
            timeout=60)
        db = sqlite3.connect(os.path.join(state, "ferry.db"))
        left = db.execute("SELECT kind, artifact_id FROM engine_ledger").fetchall()
        db.close()
        if left:
            sys.exit(f"artifacts left in the ledger: {left}")
        print("ok - no transfer pod left, the artifact ledger is empty")
    finally:
        for ns in (target_ns, ctl_ns):
            bed.kubectl("delete", "namespace", ns, "--wait=false", check=False)
        bed.kubectl("delete", "clusterrolebinding", binding, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

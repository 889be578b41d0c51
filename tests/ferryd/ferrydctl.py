# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the tests that drive ferryd's controller on the test bed with
Forklift manifests: sample OVAs (one with a large, mostly sparse disk whose
copy takes a while), the manifests of an OVA source and the bed as
destination, and what a copy left behind (the copy journals in the state
folder, the copy statistics ferryd logs with G_MESSAGES_DEBUG)."""

import glob
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
FORKLIFT = "forklift.konveyor.io/v1beta1"
MIB = 1 << 20


def run(*argv, **kwargs):
    r = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(argv), r.returncode,
                                                         r.stdout, r.stderr))
    return r


def make_ova(ova_dir, *names, env=None):
    """scripts/make-sample-ova; each VM's disk as the guest sees it is left
    in @ova_dir.expected/NAME.raw"""
    octets = os.urandom(3)
    full = dict(os.environ, FERRY_OVA_MAC_PREFIX="02:%02x:%02x:%02x:00" % tuple(octets))
    full.update(env or {})
    run(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir, *names, env=full)


def big_ova(work, name):
    """an OVA whose one disk is 512 MiB with 160 MiB of random data in 4 MiB
    pieces spread over it; returns (OVA folder, raw image, pieces, data bytes)"""
    size, data = 512 * MIB, 160 * MIB
    raw = os.path.join(work, f"{name}.raw")
    pieces = [(i * (size // (data // (4 * MIB))), 4 * MIB) for i in range(data // (4 * MIB))]
    with open(raw, "wb") as f:
        f.truncate(size)
        for offset, length in pieces:
            f.seek(offset)
            f.write(os.urandom(length))
    ova_dir = os.path.join(work, f"ova-{name}")
    make_ova(ova_dir, name, env={"FERRY_OVA_IMAGE": raw})
    return ova_dir, raw, pieces, data


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(4 * MIB), b""):
            h.update(block)
    return h.hexdigest()


class Docs:
    """Forklift manifests in namespace @ns, VMs going to @target_ns; the
    destination is the Provider `cluster` in @ns (the bed's, see
    kubebed.Bed.provider_docs)"""

    def __init__(self, ns, target_ns):
        self.ns = ns
        self.target_ns = target_ns

    def provider(self, ova_dir, prefix):
        ns = self.ns
        return [
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": f"{prefix}-ova-credentials", "namespace": ns},
             "type": "Opaque", "stringData": {"url": "file://" + ova_dir}},
            {"apiVersion": FORKLIFT, "kind": "Provider",
             "metadata": {"name": f"{prefix}-ova", "namespace": ns},
             "spec": {"type": "ova", "url": "file://" + ova_dir,
                      "secret": {"name": f"{prefix}-ova-credentials", "namespace": ns}}},
        ]

    def plan(self, prefix, vms, disks, bandwidth=None):
        ns = self.ns
        source = {"name": f"{prefix}-ova", "namespace": ns}
        destination = {"name": "cluster", "namespace": ns}
        spec = {"targetNamespace": self.target_ns, "skipGuestConversion": True,
                "useCompatibilityMode": True, "targetPowerState": "off",
                "provider": {"source": source, "destination": destination},
                "map": {"network": {"name": f"{prefix}-networks", "namespace": ns},
                        "storage": {"name": f"{prefix}-storage", "namespace": ns}},
                "vms": [{"name": vm} for vm in vms]}
        metadata = {"name": prefix, "namespace": ns}
        if bandwidth is not None:
            # Ferry's setting; Forklift's CRD has no field for it
            metadata["annotations"] = {"transfer.ferry.konveyor.io/bandwidth": str(bandwidth)}
        return [
            {"apiVersion": FORKLIFT, "kind": "NetworkMap",
             "metadata": {"name": f"{prefix}-networks", "namespace": ns},
             "spec": {"provider": {"source": source, "destination": destination},
                      "map": [{"source": {"name": "VM Network"},
                               "destination": {"type": "pod"}}]}},
            {"apiVersion": FORKLIFT, "kind": "StorageMap",
             "metadata": {"name": f"{prefix}-storage", "namespace": ns},
             "spec": {"provider": {"source": source, "destination": destination},
                      "map": [{"source": {"name": d},
                               "destination": {"storageClass": "local-path",
                                               "volumeMode": "Filesystem",
                                               "accessMode": "ReadWriteOnce"}}
                              for d in disks]}},
            {"apiVersion": FORKLIFT, "kind": "Plan", "metadata": metadata, "spec": spec},
        ]

    def migration(self, plan):
        return {"apiVersion": FORKLIFT, "kind": "Migration",
                "metadata": {"name": f"{plan}-1", "namespace": self.ns},
                "spec": {"plan": {"name": plan, "namespace": self.ns}}}


def condition(obj, type_):
    for c in (obj or {}).get("status", {}).get("conditions", []):
        if c["type"] == type_ and c.get("status") == "True":
            return c
    return None


def disk_transfer(plan):
    """the DiskTransfer step of the first VM of a Plan object, or None"""
    for vm in (plan or {}).get("status", {}).get("migration", {}).get("vms", []):
        for step in vm.get("pipeline", []):
            if step["name"] == "DiskTransfer":
                return step
    return None


def vm_claims(bed, namespace, vm):
    """the PVCs of a VirtualMachine, in the order of its volumes"""
    obj = bed.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", namespace, vm)
    return [v["persistentVolumeClaim"]["claimName"]
            for v in obj["spec"]["template"]["spec"]["volumes"] if "persistentVolumeClaim" in v]


def check_disk(bed, namespace, claim, raw):
    """asserts that disk.img on PVC @claim is byte-identical to @raw;
    returns the size"""
    got = bed.read_back(namespace, [claim])[claim]
    want = (os.path.getsize(raw), sha256(raw))
    assert got == want, f"PVC {namespace}/{claim} holds {got}, the source disk is {want}"
    return want[0]


def journal_ranges(state):
    """(offset, length) of what the copy journals in @state record as copied;
    read from copies, so that the journals (SQLite in WAL mode, left as a
    killed ferryd left them) stay untouched for the next ferryd"""
    ranges = []
    for path in glob.glob(os.path.join(state, "journals", "*", "*", "*.journal")):
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "copy.journal")
            for suffix in ("", "-wal"):
                if os.path.exists(path + suffix):
                    shutil.copyfile(path + suffix, copy + suffix)
            db = sqlite3.connect(copy)
            ranges += db.execute("SELECT offset, length FROM done").fetchall()
            db.close()
    return ranges


def overlap(ranges, pieces):
    """how many bytes of @pieces the @ranges cover"""
    total = 0
    for a, n in ranges:
        for b, m in pieces:
            total += max(0, min(a + n, b + m) - max(a, b))
    return total


def copy_stats(text):
    """the copy statistics in ferryd's debug lines (core/ferry-copy-method.c)"""
    return [dict(zip(("total", "resumed", "read", "written", "zeroed"), map(int, m)))
            for m in re.findall(r"(\d+) bytes to copy, (\d+) resumed from the journal, "
                                r"(\d+) read, (\d+) written, (\d+) zeroed", text)]

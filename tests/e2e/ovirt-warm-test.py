#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Warm migration from oVirt into a KubeVirt bundle, through oVirt's
incremental backup API, against a REAL ovirt-imageio daemon (PyPI) serving
REAL dirty extents: each backup is a point-in-time copy of the disk's qcow2
exported by qemu-nbd with the persistent dirty bitmap of the checkpoint it
starts from (`qemu-nbd -B`), so imageio's /extents?context=dirty reports
what the guest wrote since. The engine is tests/e2e/ovirt/engine-standin.py,
a HAND-WRITTEN STAND-IN for fakeovirt (which cannot be built here:
`scripts/ovirt-testbed why`), answering the backup API with the
hand-written stubs of tests/e2e/ovirt/warm-stubs/.

- with the ForkliftController's controller_ovirt_warm_migration false, a
  warm oVirt plan is refused with an error naming the Plan and the switch,
  and no backup is started;
- a VM whose disk has incremental backup off fails its warm plan with an
  error naming the disk and the fix;
- a warm plan with two precopies (the guest writes between them, and again
  before the cutover), interrupted and cut over: the bundle's disk is
  byte-identical to the source's final content; the first precopy moved the
  disk's data, each later one only the 64 KiB clusters written since the
  previous backup (the bytes imageio says each ticket moved); every backup
  and every image transfer is finalized exactly once, and the VM was shut
  down through the engine before the final backup;
- kill -9 in the middle of the first copy of a second warm plan (whose first
  backup starts from the checkpoint the previous plan left), then a cutover
  and `ferry run`: byte-identical, and every backup and image transfer (the
  crashed run's too) finalized exactly once;
- no password, SSO token or imageio ticket appears in Ferry's output.
"""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ovirtbed  # noqa: E402

# the bundle test's manifests (Secret, Providers, maps) and Plan template
_spec = importlib.util.spec_from_file_location(
    "ovirt_bundle_test", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "ovirt-bundle-test.py"))
bundle_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bundle_test)

FERRY = os.environ["FERRY_BIN"]
HERE = os.path.dirname(os.path.abspath(__file__))
KIB, MIB = 1 << 10, 1 << 20
CLUSTER = 64 * KIB  # the dirty bitmaps' granularity (qemu's default)
USER, PASSWORD = "admin@internal", "Engine-Pa55-%d" % os.getpid()
VM = "vm-for-warm-migration"
DISK = "warm-disk"
VM_NO_BACKUP = "vm-without-incremental-backup"
DISK_SIZE = 46137344  # the stubs' provisioned size (44 MiB)
# the disk's data at the start: 2 MiB at each of these offsets (cluster-aligned)
DATA = (0, 8 * MIB, 16 * MIB, 36 * MIB)
# what the guest writes after the first precopy, and before the cutover
WRITES_1 = ((3 * MIB, MIB, 0x5a), (20 * MIB + 100, 4 * KIB, 0x3c))
WRITES_2 = ((30 * MIB, 256 * KIB, 0x7e), (40 * MIB - 4 * KIB, 8 * KIB, 0x11),
            (8 * MIB + 64 * KIB, 64 * KIB, 0x22))
OUTPUTS = []


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    OUTPUTS.append(result.stdout + result.stderr)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def clusters(writes):
    """the bytes of the 64 KiB clusters the writes touch"""
    touched = set()
    for offset, length, _ in writes:
        touched.update(range(offset // CLUSTER, (offset + length - 1) // CLUSTER + 1))
    return len(touched) * CLUSTER


def controller(enabled):
    return """---
apiVersion: forklift.konveyor.io/v1beta1
kind: ForkliftController
metadata: {name: forklift-controller, namespace: demo}
spec: {controller_ovirt_warm_migration: "%s", precopy_interval_seconds: 6}
""" % ("true" if enabled else "false")


def manifests(bed, bundle):
    """the bundle test's Secret, Providers and maps, the warm Plans and the
    ForkliftController with the switch off"""
    plans = "".join(bundle_test.plan_yaml(name, vm, target, "warm", extra)
                    for name, vm, target, extra in (
                        ("warm", VM, "migrated", ""), ("warm-off", VM, "migrated", ""),
                        ("no-backup", VM_NO_BACKUP, "migrated", ""),
                        ("warm-crash", VM, "crashed", "  bandwidth: 4194304\n")))
    return bundle_test.manifests(bed, bundle, password=PASSWORD, user=USER,
                                 plans=plans + controller(False))


def make_image(work):
    """the warm VM's disk: a qcow2 with data in DATA and holes elsewhere"""
    raw = os.path.join(work, "warm-source.raw")
    data = bytearray(DISK_SIZE)
    for offset in DATA:
        data[offset:offset + 2 * MIB] = os.urandom(2 * MIB)
    with open(raw, "wb") as f:
        f.write(data)
    qcow2 = os.path.join(work, "warm-disk.qcow2")
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, qcow2],
                   check=True)
    os.unlink(raw)
    return qcow2


def source_bytes(qcow2, work):
    raw = os.path.join(work, "final-source.raw")
    subprocess.run(["qemu-img", "convert", "-q", "-U", "-f", "qcow2", "-O", "raw", qcow2, raw],
                   check=True)
    with open(raw, "rb") as f:
        return f.read()


def bundle_disk(bundle, name, namespace="migrated"):
    folder = os.path.join(bundle, namespace, name)
    images = [f for f in os.listdir(folder) if f.endswith(".img")]
    if len(images) != 1:
        sys.exit("bundle %s holds %s" % (folder, images))
    return os.path.join(folder, images[0])


def reading_transfer(stats, backup):
    return next(t for t, b in stats["transfer_backup"].items() if b == backup)


def main():
    work = tempfile.mkdtemp(prefix="ferry-e2e-ovirt-warm-")
    qcow2 = make_image(work)
    images = {DISK: {"qcow2": qcow2, "size": DISK_SIZE}}
    bed = ovirtbed.OvirtBed(work, USER, PASSWORD, images=images, vms_up=[VM],
                            extra_stubs=[os.path.join(HERE, "ovirt", "warm-stubs")])
    if not bed.available:
        if os.environ.get("CI") == "true":
            sys.exit("the oVirt test bed is missing; run scripts/ovirt-testbed build")
        print("SKIP: the oVirt test bed is missing (scripts/ovirt-testbed build)")
        sys.exit(77)
    bed.start()
    try:
        bundle = os.path.join(work, "bundle")
        path = os.path.join(work, "ovirt.yaml")
        with open(path, "w") as f:
            f.write(manifests(bed, bundle))
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]
        run(*ferry, "apply", "-f", path, env=env)
        run(*ferry, "inventory", "refresh", "ovirt-prod", env=env)

        def plan_status(name):
            out = run(*ferry, "get", "plan", name, "-o", "json", env=env).stdout
            return json.loads(out).get("status", {})

        def plan_phase(name):
            for c in plan_status(name).get("conditions", []):
                if c["type"] in ("Succeeded", "Failed", "Canceled") and c["status"] == "True":
                    return c["type"]
            return None

        def wait(what, condition, timeout=120):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if condition():
                    return
                time.sleep(0.2)
            describe = run(*ferry, "plan", "describe", "warm", check=False, env=env)
            sys.exit("timed out waiting for %s:\n%s%s" % (what, describe.stdout,
                                                          describe.stderr))

        # the feature switch off: refused, naming the Plan and the switch
        refused = run(*ferry, "plan", "start", "warm-off", check=False, env=env)
        text = refused.stdout + refused.stderr
        if refused.returncode == 0 or "Plan/warm-off" not in text or \
                "controller_ovirt_warm_migration" not in text:
            sys.exit("a warm oVirt plan with controller_ovirt_warm_migration false was not "
                     "refused with an error naming the Plan and the switch:\n" + text)
        if bed.stats()["backups"]:
            sys.exit("the refused plan started a backup: %s" % bed.stats()["backups"])
        print("switch off: " + next(line.strip() for line in text.splitlines()
                                    if "controller_ovirt_warm_migration" in line))
        with open(path, "a") as f:
            f.write(controller(True))
        run(*ferry, "apply", "-f", path, env=env)

        # a disk without incremental backup: a clear error naming it and the fix
        failed = run(*ferry, "plan", "start", "no-backup", check=False, env=env)
        describe = run(*ferry, "plan", "describe", "no-backup", check=False, env=env)
        text = failed.stdout + failed.stderr + describe.stdout + describe.stderr
        if plan_phase("no-backup") != "Failed" or "warm-disk-no-backup" not in text or \
                "Enable Incremental Backup" not in text:
            sys.exit("a warm plan for a disk without incremental backup did not fail with "
                     "an error naming the disk and the fix:\n" + text)
        print("incremental backup off: the plan fails naming the disk and the fix")

        # the warm plan: two precopies, the guest writing between them
        warm = subprocess.Popen(ferry + ["plan", "start", "warm"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def successes():
            vms = plan_status("warm").get("migration", {}).get("vms", [])
            return vms[0].get("warm", {}).get("successes", 0) if vms else 0

        wait("precopy 1", lambda: successes() >= 1)
        for offset, length, pattern in WRITES_1:
            bed.write(DISK, offset, length, pattern)
        wait("precopy 2", lambda: successes() >= 2)
        for offset, length, pattern in WRITES_2:
            bed.write(DISK, offset, length, pattern)
        # stop the run (as Ctrl-C would), cut over, and let `ferry run` finish
        if successes() != 2:
            sys.exit("a third precopy started before the cutover; the test's timing is off")
        warm.send_signal(signal.SIGINT)
        try:
            OUTPUTS.append(warm.communicate(timeout=60)[0])
        except subprocess.TimeoutExpired:
            warm.kill()
            sys.exit("the warm plan did not stop on SIGINT:\n" + warm.communicate()[0])
        run(*ferry, "plan", "cutover", "warm", env=env)
        out = run(*ferry, "run", env=env).stdout
        if plan_phase("warm") != "Succeeded":
            describe = run(*ferry, "plan", "describe", "warm", check=False, env=env)
            sys.exit("the warm plan did not succeed:\n%s%s" % (out, describe.stdout))

        final = source_bytes(qcow2, work)
        if open(bundle_disk(bundle, VM), "rb").read() != final:
            sys.exit("the warm copy differs from the source disk's final content")
        print("warm: the bundle's disk is byte-identical to the source's final content")

        stats = bed.stats()
        backups = stats["backups"]
        if len(backups) != 3:
            sys.exit("expected 3 backups (two precopies and the cutover): %s" % backups)
        if any(stats["backup_finalize"][b] != 1 for b in backups):
            sys.exit("not every backup was finalized exactly once: %s" % stats["backup_finalize"])
        if any(stats["finalize"].get(t) != 1 for t in stats["created"]) or stats["cancel"]:
            sys.exit("not every image transfer was finalized exactly once: %s %s" % (
                stats["finalize"], stats["cancel"]))
        if "shutdown:" + VM not in stats["actions"]:
            sys.exit("the VM was not shut down for the cutover: %s" % stats["actions"])
        # the bytes each backup's transfers moved, as imageio counted them
        moved = {b: 0 for b in backups}
        dirty = {b: False for b in backups}
        for tid, backup in stats["transfer_backup"].items():
            moved[backup] += stats["transferred"].get(tid, 0)
            dirty[backup] = dirty[backup] or stats["dirty"][tid]
        expected = [len(DATA) * 2 * MIB, clusters(WRITES_1), clusters(WRITES_2)]
        got = [moved[b] for b in backups]
        if got != expected:
            sys.exit("bytes moved per backup %s, expected %s (the data, then only the "
                     "clusters written since the previous backup)" % (got, expected))
        if [dirty[b] for b in backups] != [False, True, True]:
            sys.exit("expected a full backup, then incremental ones: %s" % dirty)
        precopies = plan_status("warm")["migration"]["vms"][0]["warm"]["precopies"]
        print("bytes moved per backup: %s (full, then the %d KiB and %d KiB of clusters "
              "written); %d backups and %d image transfers each finalized once; %d precopies "
              "in the status" % (got, expected[1] // KIB, expected[2] // KIB, len(backups),
                                 len(stats["created"]), len(precopies)))

        # kill -9 in the middle of the first copy of another warm plan (the
        # same VM, now down; its first backup starts from the checkpoint the
        # last one left), then cut over and `ferry run`
        before = bed.stats()
        crash = subprocess.Popen(ferry + ["plan", "start", "warm-crash"], env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def reading():
            now = bed.stats()
            return [t for t, b in now["transfer_backup"].items()
                    if b not in before["backups"] and t not in now["finalize"]]

        wait("the crash plan's copy", lambda: reading() or crash.poll() is not None)
        if crash.poll() is not None:
            sys.exit("the crash plan ended before its copy:\n" + crash.communicate()[0])
        time.sleep(1)  # 4 MiB/s: part of the 8 MiB is copied
        crash.send_signal(signal.SIGKILL)
        OUTPUTS.append(crash.communicate()[0])
        run(*ferry, "plan", "cutover", "warm-crash", env=env)
        out = run(*ferry, "run", env=env).stdout
        if plan_phase("warm-crash") != "Succeeded":
            describe = run(*ferry, "plan", "describe", "warm-crash", check=False, env=env)
            sys.exit("the warm plan killed mid-copy did not succeed after ferry run:\n%s%s"
                     % (out, describe.stdout))
        if open(bundle_disk(bundle, VM, "crashed"), "rb").read() != final:
            sys.exit("after kill -9 and ferry run, the warm copy differs from the source")
        stats = bed.stats()
        new = [b for b in stats["backups"] if b not in before["backups"]]
        if len(new) != 2 or any(stats["backup_finalize"][b] != 1 for b in stats["backups"]):
            sys.exit("after kill -9 and ferry run, not every backup was finalized exactly "
                     "once: %s" % stats["backup_finalize"])
        if any(stats["finalize"].get(t) != 1 for t in stats["created"]) or stats["cancel"]:
            sys.exit("after kill -9 and ferry run, not every image transfer was finalized "
                     "exactly once: %s %s" % (stats["finalize"], stats["cancel"]))
        if not stats["dirty"][reading_transfer(stats, new[0])]:
            sys.exit("the crash plan's first backup did not start from the last checkpoint")
        print("kill -9 mid-copy, cutover, ferry run: byte-identical; %d more backups and %d "
              "more transfers each finalized once" % (
                  len(new), len(stats["created"]) - len(before["created"])))
        secrets = [PASSWORD] + stats["tokens"] + stats["tickets"]
    finally:
        bed.stop()
    for text in OUTPUTS:
        for secret in secrets:
            if secret in text:
                sys.exit("a password, SSO token or imageio ticket appeared in Ferry's "
                         "output:\n" + text[:2000])
    print("no password, token or ticket (%d) in any output" % (len(secrets) - 1))


if __name__ == "__main__":
    main()

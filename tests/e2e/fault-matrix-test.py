#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fault-injection matrix: whole migrations (`ferry apply`, `ferry plan
start`, then `ferry run`) of two OVAs into a KubeVirt bundle, each under one
fault, and copies into an NBD destination served by nbdkit.

The OVAs hold raw disks, so Ferry serves each one with nbdkit (offset
filter); an `nbdkit` wrapper first on PATH adds the cell's filters (error,
delay, retry) in front of Ferry's own arguments and execs the real nbdkit.
A plan's destination is a bundle folder (files; a qcow2 bundle writes through
qemu-nbd, which has no filters): the NBD destination cells run `ferry copy`
into nbdkit with the filters instead. Environmental faults use real
filesystems: small ext4 images on loop devices for the bundle and for the
state folder, `chmod` of the bundle (Ferry running as an unprivileged user),
SIGTERM and SIGKILL at seeded random moments (FERRY_FAULT_SEED reproduces a
run), and a PreHook that never ends.

For every cell: the plan ends in a defined state (Succeeded, or Failed with a
condition), what the user sees names the cause (asserted on words), every
disk of a VM reported Succeeded is byte-identical to its source, no VM that
failed is reported complete (no vm.yaml in the bundle), and `ferry run` (or a
new `ferry plan start` of a failed plan) after the fault is removed
finishes the migration with identical disks. No nbdkit, hook or loop device
is left behind. The matrix is printed as a table at the end."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import hashlib
import io

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
MIB = 1 << 20
DISK_MIB = 64
VMS = ("web", "db")
PLAN = "ova-to-bundle"
SEED = int(os.environ.get("FERRY_FAULT_SEED", str(int(time.time()) % 100000)))
RNG = random.Random(SEED)

ROWS = []
# a comma-separated list of cells to run (prefixes), for debugging one cell
ONLY = [c for c in os.environ.get("FERRY_FAULT_ONLY", "").split(",") if c]


def want(name):
    return not ONLY or any(name.startswith(c) for c in ONLY)


ROOT = os.geteuid() == 0
FINDINGS = []
MOUNTS = []
LOOPS = []


def sh(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        fail("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                        result.stderr))
    return result


def fail(message):
    raise AssertionError(message)


# --- the source: two OVAs whose disk members are raw ------------------------

def make_raw(path, index):
    """64 MiB: random data at the start, the middle and the end; holes
    between (random, so no zero detection skips it)."""
    rng = random.Random(1000 + index)
    with open(path, "wb") as f:
        f.truncate(DISK_MIB * MIB)
        for offset, length in ((0, 8), (24, 8), (60, 4)):
            f.seek(offset * MIB)
            f.write(rng.randbytes(length * MIB))


def make_ova(folder, name, index):
    """scripts/make-sample-ova's OVF and manifest, with the disk member
    replaced by a raw image of the same name: Ferry serves it with nbdkit."""
    sample = os.path.join(folder, "sample")
    env = dict(os.environ, FERRY_OVA_MAC_PREFIX="00:50:56:f7:00")
    sh(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), sample, name, env=env)
    raw = os.path.join(folder, "expected", name + ".raw")
    os.makedirs(os.path.dirname(raw), exist_ok=True)
    make_raw(raw, index)
    with tarfile.open(os.path.join(sample, name + ".ova")) as tar:
        ovf = tar.extractfile(name + ".ovf").read().decode()
    member = "%s-disk1.vmdk" % name
    size = os.path.getsize(raw)
    head, _, rest = ovf.partition('ovf:href="%s" ovf:id="file1" ovf:size="' % member)
    ovf = head + 'ovf:href="%s" ovf:id="file1" ovf:size="%d"' % (member, size) + \
        rest.partition('"')[2]
    head, _, rest = ovf.partition('ovf:capacity="')
    ovf = head + 'ovf:capacity="%d"' % DISK_MIB + rest.partition('"')[2]
    ovf_bytes = ovf.encode()
    digest = hashlib.sha256()
    with open(raw, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            digest.update(block)
    mf = ("SHA256(%s.ovf)= %s\nSHA256(%s)= %s\n" % (
        name, hashlib.sha256(ovf_bytes).hexdigest(), member, digest.hexdigest())).encode()
    ova_dir = os.path.join(folder, "ova")
    os.makedirs(ova_dir, exist_ok=True)
    with tarfile.open(os.path.join(ova_dir, name + ".ova"), "w", format=tarfile.USTAR_FORMAT) as tar:
        for member_name, data in ((name + ".ovf", ovf_bytes), (name + ".mf", mf)):
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        tar.add(raw, arcname=member)
    shutil.rmtree(sample)
    shutil.rmtree(sample + ".expected", ignore_errors=True)


def nbdkit_wrapper(folder):
    """`nbdkit` first on PATH: the cell's filters (the file FERRY_FAULT_NBDKIT
    names, when it exists) go in front of Ferry's arguments; exec keeps the
    pid, so socket activation (LISTEN_PID) still holds."""
    real = shutil.which("nbdkit")
    bin_dir = os.path.join(folder, "bin")
    os.makedirs(bin_dir)
    # --filter= words go first, the filters' KEY=VALUE parameters last
    with open(os.path.join(bin_dir, "nbdkit"), "w") as f:
        f.write("""#!/bin/sh
filters=
params=
if [ -n "${FERRY_FAULT_NBDKIT:-}" ] && [ -f "$FERRY_FAULT_NBDKIT" ]; then
	for word in $(cat "$FERRY_FAULT_NBDKIT"); do
		case $word in
		--filter=*) filters="$filters $word" ;;
		*) params="$params $word" ;;
		esac
	done
fi
exec %s $filters "$@" $params
""" % real)
    os.chmod(os.path.join(bin_dir, "nbdkit"), 0o755)
    return bin_dir


# --- manifests ---------------------------------------------------------------

def manifests(ova_dir, bundle, hook=None):
    storage = "".join("""    - source: {name: %s-disk1.vmdk}
      destination: {storageClass: standard, volumeMode: Filesystem, accessMode: ReadWriteOnce}
""" % vm for vm in VMS)
    vms = "".join("    - name: %s\n" % vm for vm in VMS)
    hooks = ""
    extra = ""
    if hook is not None:
        command, deadline = hook
        vms = "".join("""    - name: %s
      hooks:
        - {step: PreHook, hook: {name: pre, namespace: demo}}
""" % vm for vm in VMS)
        extra = """---
apiVersion: forklift.konveyor.io/v1beta1
kind: Hook
metadata:
  name: pre
  namespace: demo
  annotations: {ferry.konveyor.io/command: %s}
spec:
  image: quay.io/konveyor/hook-runner
%s""" % (json.dumps(command), "  deadline: %d\n" % deadline if deadline else "")
    return """apiVersion: v1
kind: Secret
metadata: {name: ova-credentials, namespace: demo}
type: Opaque
stringData: {url: "file://%(ova)s"}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: ova-source, namespace: demo}
spec:
  type: ova
  url: file://%(ova)s
  secret: {name: ova-credentials, namespace: demo}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kubevirt-bundle, namespace: demo}
spec:
  type: openshift
  url: file://%(bundle)s
  secret: {name: ova-credentials, namespace: demo}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: ova-networks, namespace: demo}
spec:
  provider:
    source: {name: ova-source, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    - source: {name: VM Network}
      destination: {type: pod}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: ova-storage, namespace: demo}
spec:
  provider:
    source: {name: ova-source, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
%(storage)s---
apiVersion: forklift.konveyor.io/v1beta1
kind: ForkliftController
metadata: {name: forklift-controller, namespace: demo}
spec: {controller_max_vm_inflight: 1}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: %(plan)s, namespace: demo}
spec:
  targetNamespace: migrated
  skipGuestConversion: true
  provider:
    source: {name: ova-source, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    network: {name: ova-networks, namespace: demo}
    storage: {name: ova-storage, namespace: demo}
  vms:
%(vms)s%(extra)s""" % {"ova": ova_dir, "bundle": bundle, "storage": storage, "vms": vms,
                        "plan": PLAN, "extra": extra}


# --- mounts and loop devices -------------------------------------------------

def loop_fs(image, mountpoint, mib):
    """a small ext4 filesystem on a loop device (tmpfs when loop devices
    are unavailable); returns the kind"""
    os.makedirs(mountpoint, exist_ok=True)
    with open(image, "wb") as f:
        f.truncate(mib * MIB)
    sh("mkfs.ext4", "-q", "-F", "-m", "0", image)
    device = sh("losetup", "--find", "--show", image, check=False)
    if device.returncode != 0:
        sh("mount", "-t", "tmpfs", "-o", "size=%dm" % mib, "tmpfs", mountpoint)
        MOUNTS.append(mountpoint)
        return "tmpfs"
    LOOPS.append(device.stdout.strip())
    sh("mount", device.stdout.strip(), mountpoint)
    MOUNTS.append(mountpoint)
    return "loop"


def grow_fs(image, mountpoint, mib, kind):
    if kind == "tmpfs":
        sh("mount", "-o", "remount,size=%dm" % mib, mountpoint)
        return
    with open(image, "r+b") as f:
        f.truncate(mib * MIB)
    device = [d for d in LOOPS if sh("losetup", "-n", "-O", "BACK-FILE", d,
                                     check=False).stdout.strip() == image][0]
    # offline: a container may not resize a mounted filesystem
    sh("umount", mountpoint)
    sh("losetup", "-c", device)
    sh("e2fsck", "-f", "-y", device, check=False)
    sh("resize2fs", device)
    sh("mount", device, mountpoint)


def unmount_all():
    for mountpoint in reversed(MOUNTS):
        subprocess.run(["umount", "-l", mountpoint], capture_output=True)
    MOUNTS.clear()
    for device in LOOPS:
        subprocess.run(["losetup", "-d", device], capture_output=True)
    LOOPS.clear()


# --- a cell ------------------------------------------------------------------

class Cell:
    def __init__(self, work, name, fault, bin_dir, ova_dir, expected, bundle=None,
                 state=None, hook=None, user=None):
        self.name = name
        self.fault = fault
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.bundle = bundle or os.path.join(self.dir, "bundle")
        self.state = state or os.path.join(self.dir, "state")
        self.expected = expected
        self.nbdkit_args = os.path.join(self.dir, "nbdkit-args")
        self.user = user
        if user is not None:
            os.chown(self.dir, user, user)
        self.env = dict(os.environ, FERRY_NO_TTY="1", FERRY_FAULT_NBDKIT=self.nbdkit_args,
                        PATH=bin_dir + ":" + os.environ["PATH"])
        self.manifest = os.path.join(self.dir, "plan.yaml")
        with open(self.manifest, "w") as f:
            f.write(manifests(ova_dir, self.bundle, hook))
        self.outcome = "?"
        self.started = time.monotonic()
        self.message = ""
        self.data = "?"

    def argv(self, *args):
        prefix = []
        if self.user is not None:
            prefix = ["setpriv", "--reuid=%d" % self.user, "--regid=%d" % self.user,
                      "--clear-groups", "--"]
        return prefix + [FERRY, "--state", self.state, "-n", "demo"] + list(args)

    def ferry(self, *args, check=True, timeout=120):
        result = subprocess.run(self.argv(*args), capture_output=True, text=True,
                                env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            fail("%s: ferry %s failed (%d):\n%s%s" % (self.name, " ".join(args),
                                                     result.returncode, result.stdout,
                                                     result.stderr))
        return result

    def popen(self, *args):
        return subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)

    def set_filters(self, text):
        if text is None:
            if os.path.exists(self.nbdkit_args):
                os.unlink(self.nbdkit_args)
            return
        with open(self.nbdkit_args, "w") as f:
            f.write(text)

    def apply(self):
        self.ferry("apply", "-f", self.manifest)

    def plan_json(self):
        return json.loads(self.ferry("get", "plan", PLAN, "-o", "json").stdout)

    def vm_states(self):
        """VM name → Succeeded / Failed / Running / …, from the plan's status"""
        plan = self.plan_json()
        states = {}
        for vm in plan.get("status", {}).get("migration", {}).get("vms", []) or []:
            types = {c["type"] for c in vm.get("conditions", []) or []
                     if c.get("status", "True") == "True"}
            state = "Succeeded" if "Succeeded" in types else \
                "Failed" if "Failed" in types else \
                "Canceled" if "Canceled" in types else vm.get("phase", "?")
            states[vm.get("name") or vm.get("id")] = state
        return states

    def plan_phase(self):
        plan = self.plan_json()
        conditions = plan.get("status", {}).get("conditions", []) or []
        for kind in ("Succeeded", "Failed", "Canceled", "Executing"):
            if any(c["type"] == kind and c.get("status", "True") == "True"
                   for c in conditions):
                return kind
        return "none"

    def describe(self):
        return self.ferry("describe", "plan", PLAN, check=False).stdout

    def image(self, vm):
        folder = os.path.join(self.bundle, "migrated", vm)
        if not os.path.isdir(folder):
            return None
        images = [n for n in os.listdir(folder) if n.endswith(".img")]
        return os.path.join(folder, images[0]) if len(images) == 1 else None

    def check_data(self, require_all):
        """every VM reported Succeeded has a vm.yaml and a byte-identical
        disk; no other VM has a vm.yaml (nothing reported complete)"""
        states = self.vm_states()
        good = 0
        for vm in VMS:
            state = states.get(vm, "absent")
            vm_yaml = os.path.join(self.bundle, "migrated", vm, "vm.yaml")
            if state == "Succeeded":
                image = self.image(vm)
                if image is None or not os.path.exists(vm_yaml):
                    fail("%s: VM %s Succeeded but the bundle lacks its disk or vm.yaml" %
                         (self.name, vm))
                if sh("cmp", "-s", image, os.path.join(self.expected, vm + ".raw"),
                      check=False).returncode != 0:
                    fail("%s: VM %s Succeeded but its disk differs from the source" %
                         (self.name, vm))
                good += 1
            else:
                # vm.yaml is written once the disks are copied: whenever it is
                # there (the plan's status may lag after a SIGKILL), the disk
                # must be whole
                image = self.image(vm)
                if os.path.exists(vm_yaml) and (image is None or sh(
                        "cmp", "-s", image, os.path.join(self.expected, vm + ".raw"),
                        check=False).returncode != 0):
                    fail("%s: VM %s is %s, its vm.yaml is in the bundle, and its disk is "
                         "not the source's" % (self.name, vm, state))
                if require_all:
                    fail("%s: VM %s is %s after recovery:\n%s" % (self.name, vm, state,
                                                                  self.describe()))
        return "%d/%d identical" % (good, len(VMS))

    def check_tasks(self):
        """a disk task that ended short of its total carries an error: a
        failed disk never reads as done"""
        plan = self.plan_json()
        for vm in plan.get("status", {}).get("migration", {}).get("vms", []) or []:
            for step in vm.get("pipeline", []) or []:
                for task in step.get("tasks", []) or []:
                    progress = task.get("progress", {})
                    if progress.get("completed", 0) < progress.get("total", 0) and \
                            task.get("phase") == "Completed" and "error" not in task:
                        fail("%s: VM %s step %s: task %s ended at %s of %s with no error" % (
                            self.name, vm.get("name"), step.get("name"), task.get("name"),
                            progress.get("completed"), progress.get("total")))

    def recover(self):
        """with the fault removed: `ferry run`; a Failed plan gets a new
        `ferry plan start` (a Migration is not rerun once it has ended)"""
        steps = []
        result = self.ferry("run", check=False, timeout=180)
        steps.append("run=%d" % result.returncode)
        if self.plan_phase() != "Succeeded":
            result = self.ferry("plan", "start", PLAN, check=False, timeout=180)
            steps.append("start=%d" % result.returncode)
        if self.plan_phase() != "Succeeded":
            fail("%s: after the fault was removed the plan is %s:\n%s%s\n%s" % (
                self.name, self.plan_phase(), result.stdout, result.stderr, self.describe()))
        return self.check_data(True) + " after " + ",".join(steps)

    def record(self, outcome, message, data):
        self.outcome, self.message, self.data = outcome, message, data
        self.seconds = time.monotonic() - self.started
        ROWS.append(self)
        print("[%s] %s: %s | %s | %s (%.1f s)" % (self.name, self.fault, outcome, message, data,
                                                  self.seconds), flush=True)


def expect_words(cell, text, words):
    low = text.lower()
    missing = [w for w in words if w.lower() not in low]
    if missing:
        fail("%s: what the user sees does not name %s:\n%s" % (cell.name, missing, text))


def first_line(text, *words):
    """the first line naming every word, around the last one (the cause)"""
    for line in text.splitlines():
        if all(w.lower() in line.lower() for w in words):
            line = line.strip()
            at = line.lower().find(words[-1].lower()) if words else 0
            start = max(0, at - 50)
            return ("…" if start > 0 else "") + line[start:start + 120]
    return text.strip().splitlines()[-1][:120] if text.strip() else ""


def no_leftovers(cell, marker):
    """no process of the cell is left once ferry ended: nbdkit and hooks
    inherit the cell's environment (FERRY_FAULT_NBDKIT names its folder)"""
    for _ in range(50):
        left = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                with open("/proc/%s/environ" % pid, "rb") as f:
                    environ = f.read().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline or marker in environ:
                left.append("%s: %s" % (pid, cmdline[:200]))
        if not left:
            return
        time.sleep(0.1)
    fail("%s: processes left behind:\n%s" % (cell.name, "\n".join(left)))


# --- the cells ---------------------------------------------------------------

def run_plan_cell(cell, filters, expect, words, recover=True):
    """starts the plan under nbdkit filters on the source; expect is
    "Succeeded" or "Failed" (or None: either, but defined)"""
    if not want(cell.name):
        return
    cell.set_filters(filters)
    cell.apply()
    t0 = time.monotonic()
    start = cell.ferry("plan", "start", PLAN, check=False, timeout=180)
    cell.start_seconds = time.monotonic() - t0
    phase = cell.plan_phase()
    seen = start.stdout + start.stderr + cell.describe()
    if phase not in ("Succeeded", "Failed"):
        fail("%s: the plan ended %s (exit %d), not Succeeded or Failed:\n%s" % (
            cell.name, phase, start.returncode, seen))
    if expect is not None and phase != expect:
        fail("%s: expected %s, the plan is %s:\n%s" % (cell.name, expect, phase, seen))
    if (start.returncode == 0) != (phase == "Succeeded"):
        fail("%s: exit status %d for a %s plan" % (cell.name, start.returncode, phase))
    if phase == "Failed":
        # the cause, and the fix: start the plan again once it is removed
        expect_words(cell, seen, words + ["ferry plan start"])
    data = cell.check_data(phase == "Succeeded")
    cell.check_tasks()
    no_leftovers(cell, cell.dir)
    message = first_line(seen, *words[:2]) if phase == "Failed" else "Plan/%s: Succeeded" % PLAN
    if phase == "Failed" and recover:
        cell.set_filters(None)
        data += "; " + cell.recover()
    cell.record(phase, message, data)


def nbd_copy_cell(work, name, fault, filters, expect_ok, words):
    """`ferry copy` of a source disk into nbdkit (file plugin) with filters:
    the copy engine's NBD destination path"""
    if not want(name):
        return
    folder = os.path.join(work, name)
    os.makedirs(folder)
    source = os.path.join(work, "expected", "web.raw")
    target = os.path.join(folder, "target.raw")
    with open(target, "wb") as f:
        f.truncate(DISK_MIB * MIB)
    sock = os.path.join(folder, "nbd.sock")

    class Row:
        pass
    row = Row()
    row.name, row.fault = name, fault

    log = os.path.join(folder, "nbdkit.log")

    def serve(extra):
        filter_words = [w for w in extra if w.startswith("--filter=")]
        params = [w for w in extra if not w.startswith("--filter=")]
        if os.path.exists(sock):
            os.unlink(sock)
        with open(log, "a") as err:
            return subprocess.Popen(["nbdkit", "--foreground", "--unix", sock,
                                     "--exit-with-parent"] + filter_words + ["file", target]
                                    + params, stderr=err)
    row.started = time.monotonic()
    server = serve(filters.split())
    try:
        for _ in range(600):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        result = subprocess.run([FERRY, "copy", source, "nbd+unix:///?socket=" + sock],
                                capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, FERRY_NO_TTY="1"))
    finally:
        server.terminate()
        server.wait()
    seen = result.stdout + result.stderr
    same = sh("cmp", "-s", source, target, check=False).returncode == 0
    if expect_ok is not None and (result.returncode == 0) != expect_ok:
        fail("%s: ferry copy exited %d:\n%s\nnbdkit: %s" % (name, result.returncode, seen,
                                                           open(log).read()))
    if result.returncode == 0:
        if not same:
            fail("%s: ferry copy succeeded but the target differs" % name)
        row.outcome, row.message, row.data = "copied", "exit 0", "identical"
    else:
        expect_words(row, seen, words)
        row.outcome = "Failed (exit %d)" % result.returncode
        row.message = first_line(seen, *words[:2])
        # again without the fault: the copy completes
        server = serve([])
        try:
            for _ in range(600):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            again = subprocess.run([FERRY, "copy", source, "nbd+unix:///?socket=" + sock],
                                   capture_output=True, text=True, timeout=120)
        finally:
            server.terminate()
            server.wait()
        if again.returncode != 0 or sh("cmp", "-s", source, target,
                                       check=False).returncode != 0:
            fail("%s: the copy without the fault did not complete:\n%s" % (name, again.stderr))
        row.data = "identical after a copy without the fault"
    row.seconds = time.monotonic() - row.started
    ROWS.append(row)
    print("[%s] %s: %s | %s | %s (%.1f s)" % (row.name, row.fault, row.outcome, row.message,
                                              row.data, row.seconds), flush=True)


def skipped(name, why):
    class Row:
        pass
    row = Row()
    row.name, row.fault, row.outcome, row.message, row.data = name, "-", "skipped", why, "-"
    row.seconds = 0
    ROWS.append(row)
    print("[%s] skipped: %s" % (name, why), flush=True)


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def signal_cell(cell, sig, delay):
    """SIGTERM or SIGKILL of `ferry plan start` @delay seconds in, then
    `ferry run`"""
    if not want(cell.name):
        return
    cell.apply()
    process = cell.popen("plan", "start", PLAN)
    time.sleep(delay)
    process.send_signal(sig)
    out, err = process.communicate(timeout=120)
    killed_at = "after %.2f s" % delay
    if process.returncode == 0:
        # it finished first
        cell.check_data(True)
        cell.record("Succeeded before the signal", killed_at, cell.check_data(True))
        return
    phase = cell.plan_phase() if os.path.exists(cell.state) else "none"
    if sig == signal.SIGTERM:
        # -15: before `ferry plan start` set its handler (reading the store,
        # checking the plan); nothing was started yet
        if process.returncode not in (6, 1, -signal.SIGTERM):
            fail("%s: ferry plan start exited %d after SIGTERM:\n%s" % (cell.name,
                                                                      process.returncode, err))
        if process.returncode == 6:
            expect_words(cell, err, ["interrupted", "ferry run"])
    no_leftovers(cell, cell.dir)
    data = cell.check_data(False) if os.path.exists(cell.state) else "no state yet"
    message = first_line(err, "interrupted") if err.strip() else "killed (no output)"
    result = cell.ferry("run", check=False, timeout=180)
    if phase == "none" or (cell.plan_phase() != "Succeeded" and "not ready" not in result.stderr
                           and cell.plan_phase() in ("none",)):
        result = cell.ferry("plan", "start", PLAN, check=False, timeout=180)
    if cell.plan_phase() != "Succeeded":
        fail("%s: after %s %s and ferry run the plan is %s:\n%s%s" % (
            cell.name, signal.Signals(sig).name, killed_at, cell.plan_phase(), result.stdout,
            result.stderr))
    data += "; " + cell.check_data(True) + " after run"
    cell.record("%s then Succeeded" % (phase if phase != "none" else "no plan status"),
                "%s %s: %s" % (signal.Signals(sig).name, killed_at, message), data)


def hook_cell(cell):
    """a PreHook that never ends, with a deadline"""
    if not want("hook-hang"):
        return
    marker = "ferry-fault-hook-%d" % SEED
    hung = cell("hook-hang", "PreHook sleeps forever, spec.deadline 2 s",
                hook=("exec sleep 100000 # %s" % marker, 2))
    hung.apply()
    t1 = time.monotonic()
    start = hung.ferry("plan", "start", PLAN, check=False, timeout=120)
    took = time.monotonic() - t1
    seen = start.stdout + start.stderr + hung.describe()
    if hung.plan_phase() != "Failed":
        fail("hook-hang: the plan is %s:\n%s" % (hung.plan_phase(), seen))
    expect_words(hung, seen, ["deadline of 2 s", "Raise spec.deadline or fix the hook",
                              "ferry plan start"])
    no_leftovers(hung, marker)
    data = hung.check_data(False)
    with open(hung.manifest) as f:
        text = f.read().replace("exec sleep 100000", "true")
    with open(hung.manifest, "w") as f:
        f.write(text)
    hung.apply()
    data += "; " + hung.recover()
    hung.record("Failed in %.0f s" % took, first_line(seen, "deadline"), data)


def main():
    started = time.monotonic()
    print("fault matrix, seed %d (FERRY_FAULT_SEED=%d reproduces it)" % (SEED, SEED), flush=True)
    work = tempfile.mkdtemp(prefix="ferry-faults-")
    os.chmod(work, 0o755)
    try:
        for i, vm in enumerate(VMS):
            make_ova(work, vm, i + 1)
        ova_dir = os.path.join(work, "ova")
        expected = os.path.join(work, "expected")
        bin_dir = nbdkit_wrapper(work)

        def cell(name, fault, **kwargs):
            return Cell(work, name, fault, bin_dir, ova_dir, expected, **kwargs)

        # the baseline, and how long a plan takes (for the signal cells)
        base = cell("baseline", "none")
        run_plan_cell(base, None, "Succeeded", [])
        baseline = getattr(base, "start_seconds", 3.0)

        # nbdkit filters on the source disk
        for rate in ("1%", "10%"):
            run_plan_cell(cell("src-error-%s" % rate.rstrip("%"), "source error-rate=" + rate),
                          "--filter=error error=EIO error-pread-rate=%s" % rate,
                          "Succeeded", [])
        run_plan_cell(cell("src-error-100", "source error-rate=100% (reads)"),
                      "--filter=error error=EIO error-pread-rate=100%", "Failed",
                      ["cannot read", "Input/output error", "after retries"])
        run_plan_cell(cell("src-delay", "source delay rdelay=40ms"),
                      "--filter=delay rdelay=40ms", "Succeeded", [])
        run_plan_cell(cell("src-retry", "source retry filter (reopens) over error-rate=3%"),
                      "--filter=retry retries=5 retry-delay=1 retry-exponential=no "
                      "--filter=error error=EIO error-pread-rate=3%", "Succeeded", [])
        outage = cell("src-outage", "source down 3 s (all reads fail), then back")
        trigger = os.path.join(outage.dir, "down")
        open(trigger, "w").close()
        threading.Timer(3.0, lambda: os.unlink(trigger)).start()
        run_plan_cell(outage, "--filter=error error=EIO error-pread-rate=100% "
                      "error-file=" + trigger, "Succeeded", [])

        # nbdkit filters on an NBD destination (ferry copy: a plan's bundle
        # destination is files)
        nbd_copy_cell(work, "dst-nbd-error-10", "NBD destination error-pwrite-rate=10%",
                      "--filter=error error=EIO error-pwrite-rate=10%", True, [])
        nbd_copy_cell(work, "dst-nbd-error-100", "NBD destination error-pwrite-rate=100%",
                      "--filter=error error=EIO error-pwrite-rate=100%", False,
                      ["cannot write", "Input/output error"])
        nbd_copy_cell(work, "dst-nbd-enospc", "NBD destination answers ENOSPC",
                      "--filter=error error=ENOSPC error-pwrite-rate=100%", False,
                      ["cannot write", "No space left"])
        nbd_copy_cell(work, "dst-nbd-error-1", "NBD destination error-pwrite-rate=1%",
                      "--filter=error error=EIO error-pwrite-rate=1%", True, [])
        if want("dst-nbd-outage"):
            down = os.path.join(work, "nbd-down")
            open(down, "w").close()
            threading.Timer(2.0, lambda: os.unlink(down)).start()
            nbd_copy_cell(work, "dst-nbd-outage", "NBD destination fails every write 2 s, "
                          "then recovers", "--filter=error error=EIO error-pwrite-rate=100% "
                          "error-file=" + down, True, [])
        nbd_copy_cell(work, "dst-nbd-delay", "NBD destination delay wdelay=20ms",
                      "--filter=delay wdelay=20ms", True, [])

        if not any(want(n) for n in ("dst-full", "dst-readonly", "state-full")):
            pass
        elif ROOT:
            # the destination disk full: 48 MiB for two disks of 20 MiB data +
            # metadata would fit; 28 MiB does not
            full = cell("dst-full", "bundle on a 28 MiB ext4 (loop device)")
            kind = loop_fs(os.path.join(work, "dst-full.img"), full.bundle, 28)
            full.fault = "bundle on a 28 MiB %s" % ("ext4 (loop device)" if kind == "loop" else
                                                     "tmpfs (no loop device)")
            full.set_filters(None)
            full.apply()
            start = full.ferry("plan", "start", PLAN, check=False, timeout=180)
            seen = start.stdout + start.stderr + full.describe()
            if full.plan_phase() != "Failed":
                fail("dst-full: the plan is %s:\n%s" % (full.plan_phase(), seen))
            # either the copy hits ENOSPC, or (when the source says how much
            # data a disk holds, as an OVA's populatedSize does) the kubevirt
            # plugin's check refuses the disk before writing to it
            full_words = "No space left" if "No space left" in seen else "bytes free"
            expect_words(full, seen, [full_words, "ferry plan start"])
            data = full.check_data(False)
            full.check_tasks()
            grow_fs(os.path.join(work, "dst-full.img"), full.bundle, 200, kind)
            data += "; " + full.recover()
            full.record("Failed", first_line(seen, full_words), data)

            # the target folder made read-only while the first VM copies
            # (ferry as nobody: root ignores permissions)
            ro = cell("dst-readonly", "bundle folder chmod 0555 mid-run", user=65534)
            os.makedirs(ro.bundle)
            shutil.chown(ro.bundle, 65534, 65534)
            os.chmod(ro.dir, 0o755)
            ro.set_filters("--filter=delay rdelay=40ms")
            ro.apply()
            sh("chown", "-R", "65534:65534", ro.state)
            process = ro.popen("plan", "start", PLAN)
            if not wait_for(lambda: os.path.isdir(os.path.join(ro.bundle, "migrated", "web"))):
                fail("dst-readonly: the copy never started")
            for root in (ro.bundle, os.path.join(ro.bundle, "migrated"),
                         os.path.join(ro.bundle, "migrated", "web")):
                os.chmod(root, 0o555)
            out, err = process.communicate(timeout=180)
            seen = out + err + ro.describe()
            if ro.plan_phase() != "Failed":
                fail("dst-readonly: the plan is %s:\n%s" % (ro.plan_phase(), seen))
            expect_words(ro, seen, ["Permission denied", "ferry plan start"])
            data = ro.check_data(False)
            for root in (ro.bundle, os.path.join(ro.bundle, "migrated"),
                         os.path.join(ro.bundle, "migrated", "web")):
                os.chmod(root, 0o755)
            ro.set_filters(None)
            data += "; " + ro.recover()
            no_leftovers(ro, ro.dir)
            ro.record("Failed", first_line(seen, "Permission denied"), data)

            # the state folder's disk full while the first VM copies
            st = cell("state-full", "--state on a 16 MiB ext4, filled mid-run")
            st_kind = loop_fs(os.path.join(work, "state.img"), st.state, 16)
            st.set_filters("--filter=delay rdelay=40ms")
            st.apply()
            process = st.popen("plan", "start", PLAN)
            # as soon as the first VM's bundle folder appears (CreateDataVolumes,
            # before the copy makes its journal in the state folder)
            if not wait_for(lambda: os.path.isdir(os.path.join(st.bundle, "migrated", "web")),
                            timeout=60):
                fail("state-full: the copy never started")
            filler = os.path.join(st.state, "filler")
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\xff" * MIB)
                        f.flush()
                except OSError:
                    pass
            out, err = process.communicate(timeout=180)
            seen = out + err
            st_phase = st.plan_phase() if process.returncode != 0 else "Succeeded"
            os.unlink(filler)
            if process.returncode != 0:
                # SQLite says "database or disk is full"; the fix is named
                expect_words(st, seen, ["disk is full" if "disk is full" in seen else
                                        "No space left", "free some space",
                                        "ferry plan start"])
            no_leftovers(st, st.dir)
            data = st.check_data(False)
            st.set_filters(None)
            data += "; " + st.recover()
            st.record("%s (exit %d)" % (st_phase, process.returncode),
                      first_line(seen, "free some space") or "exit 0", data)
            if st_kind != "loop":
                st.fault = "--state on a 16 MiB tmpfs, filled mid-run"

            # the state folder's disk full before the plan starts
            sb = cell("state-full-start", "--state on a 16 MiB ext4, full before plan start")
            loop_fs(os.path.join(work, "state2.img"), sb.state, 16)
            sb.set_filters(None)
            sb.apply()
            filler = os.path.join(sb.state, "filler")
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\xff" * MIB)
                        f.flush()
                except OSError:
                    pass
            start = sb.ferry("plan", "start", PLAN, check=False, timeout=180)
            seen = start.stdout + start.stderr
            if start.returncode == 0:
                fail("state-full-start: ferry plan start succeeded on a full state disk")
            expect_words(sb, seen, ["database or disk is full", "free some space",
                                    "did not start", "ferry run"])
            os.unlink(filler)
            no_leftovers(sb, sb.dir)
            data = sb.recover()
            sb.record("not started (exit %d)" % start.returncode,
                      first_line(seen, "disk is full", "free some space"), data)

        else:
            for name in ("dst-full", "dst-readonly", "state-full", "state-full-start"):
                skipped(name, "needs root (loop devices, setpriv)")

        # signals at seeded random moments of a run
        for i in range(3):
            signal_cell(cell("sigterm-%d" % i, "SIGTERM of ferry plan start"), signal.SIGTERM,
                        RNG.uniform(0.05, baseline))
        for i in range(3):
            signal_cell(cell("sigkill-%d" % i, "SIGKILL of ferry plan start"), signal.SIGKILL,
                        RNG.uniform(0.05, baseline))

        hook_cell(cell)

        # the table
        elapsed = time.monotonic() - started
        print("\n| cell | fault | outcome | message seen | data check | s |")
        print("|---|---|---|---|---|---|")
        for row in ROWS:
            print("| %s | %s | %s | %s | %s | %.0f |" % (
                row.name, row.fault, row.outcome, row.message.replace("|", "\\|"), row.data,
                row.seconds))
        print("\n%d cells in %.0f s, seed %d" % (len(ROWS), elapsed, SEED))
    except AssertionError as e:
        sys.exit("FAIL (seed %d): %s" % (SEED, e))
    finally:
        unmount_all()
        if os.environ.get("FERRY_FAULT_KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ferry transfer --description FILE`, what a pull transfer pod runs, against
the vCenter simulator (ferry-vcsim) and a sample OVA, with the source
Provider's Secret mounted as files the way the kubelet mounts it:

- cold: a VM disk copied into a volume directory (its disk.img) equals the
  source and what the engine's own copy of the same disk gives (a cold plan
  into a KubeVirt bundle); progress and the result are JSON lines;
- resume: a transfer stopped by SIGTERM (as when its pod is deleted) reports
  Canceled and keeps its journal, one killed with SIGKILL leaves the journal
  too, and each re-run sends fewer bytes than the disk holds, ending equal;
- warm: a snapshot and the change id of the one before it (the simulator's
  scripted QueryChangedDiskAreas) copy only the changed areas: a change
  outside them stays uncopied until an explicit `extents` list names it;
- bad inputs: a missing Secret key file, a wrong password, an unreachable
  URL, malformed descriptions, targets that cannot be written: one JSON line
  with the reason and the fix, a non-zero exit status, no target made;
- hosts: with the VM's host given (a Host resource: its address and its own
  Secret directory), the disk is read from that ESXi host (a second
  simulator), not from the vCenter;
- OVA: a disk of a sample OVA comes out equal to its raw image, sparse.

A watcher reads every process's command line and environment all along: the
password and the vSphere session cookie never appear in one.
"""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile

import gi

gi.require_version("Ferry", "1.0")
from gi.repository import Ferry  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
MIB = 1 << 20

# the simulator, its manifests and the credential watcher are the vSphere
# end-to-end test's
_spec = importlib.util.spec_from_file_location("vsphere_bundle_test",
                                               os.path.join(HERE, "vsphere-bundle-test.py"))
vsphere = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vsphere)
DISK_MIB = vsphere.DISK_MIB
PASSWORD = vsphere.PASSWORD


def fail(message):
    sys.exit("FAIL: " + message)


def mounted_secret(path, values):
    """a Secret as the kubelet mounts it: the files in a timestamped
    directory, `..data` linking to it, one link per key through `..data`"""
    data = os.path.join(path, "..2026_12_06_22_00_00.000000001")
    os.makedirs(data)
    for key, value in values.items():
        with open(os.path.join(data, key), "w") as f:
            f.write(value)
    os.symlink(os.path.basename(data), os.path.join(path, "..data"))
    for key in values:
        os.symlink(os.path.join("..data", key), os.path.join(path, key))
    return path


class Transfer:
    def __init__(self, work):
        self.work = work
        self.count = 0

    def write(self, description):
        self.count += 1
        path = os.path.join(self.work, "description-%d.json" % self.count)
        with open(path, "w") as f:
            json.dump(description, f)
        return path

    @staticmethod
    def parse(stdout, what):
        lines = []
        for text in stdout.splitlines():
            try:
                lines.append(json.loads(text))
            except ValueError:
                fail("%s: a line of its output is not JSON: %r" % (what, text))
        return lines

    def run(self, description, what, expect_ok=True):
        """runs a transfer; returns (exit status, JSON lines, stderr)"""
        path = self.write(description)
        result = subprocess.run([FERRY, "transfer", "--description", path,
                                 "--progress-interval", "0.1"],
                                capture_output=True, text=True, timeout=120)
        lines = self.parse(result.stdout, what)
        for text in (result.stdout, result.stderr):
            if PASSWORD in text or "Wrong-Pa55" in text:
                fail("%s: a password appears in the output:\n%s" % (what, text))
        if not lines or lines[-1].get("event") != "result":
            fail("%s: no result line:\n%s%s" % (what, result.stdout, result.stderr))
        last = lines[-1]
        if expect_ok and (result.returncode != 0 or last.get("result") != "Succeeded"):
            fail("%s: failed (%d):\n%s%s" % (what, result.returncode, result.stdout,
                                            result.stderr))
        if not expect_ok and (result.returncode == 0 or last.get("result") == "Succeeded"):
            fail("%s: succeeded but should not:\n%s" % (what, result.stdout))
        return result.returncode, lines, result.stderr


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write_at(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def image_with_holes():
    """random data with zeroes between, so that sparseness matters"""
    return (os.urandom(4 * MIB) + bytes(8 * MIB) + os.urandom(3 * MIB) + bytes(MIB // 2) +
            os.urandom(MIB // 2))


class Fixture:
    def __init__(self, work, vcsim):
        self.work = work
        self.vcsim = vcsim
        self.bundle = os.path.join(work, "bundle")
        self.env = dict(os.environ, FERRY_NO_TTY="1")
        self.ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]
        self.transfer = Transfer(work)
        manifest = os.path.join(work, "vsphere.yaml")
        with open(manifest, "w") as f:
            f.write(vsphere.manifests(vcsim, self.bundle))
        vsphere.run(*self.ferry, "apply", "-f", manifest, env=self.env)
        vsphere.run(*self.ferry, "inventory", "refresh", "vsphere-prod", env=self.env)
        self.secret = mounted_secret(os.path.join(work, "secret"), {
            "user": vsphere.USER, "password": PASSWORD, "ca.crt": read(vcsim["VCSIM_CA"]).decode()})

    def vm(self, name):
        out = vsphere.run(*self.ferry, "inventory", "vms", "vsphere-prod", "--query",
                          "where name = '%s'" % name, "-o", "json", env=self.env).stdout
        docs = json.loads(out)
        if len(docs) != 1:
            fail("no single VM %s in the inventory: %s" % (name, out))
        return docs[0]

    def description(self, vm_name, target, secret=None, url=None, **extra):
        doc = self.vm(vm_name)
        description = {
            "source": {"type": "vsphere", "url": url or self.vcsim["VCSIM_URL"],
                       "name": "vsphere-prod", "namespace": "demo",
                       "secretDir": secret or self.secret},
            "vm": doc["id"], "disk": doc["disks"][0]["id"], "target": target,
        }
        description.update(extra)
        return description

    def volume(self, name):
        path = os.path.join(self.work, "volumes", name)
        os.makedirs(path)
        return path


def progress_lines(lines):
    return [line for line in lines if line.get("event") == "progress"]


def check_cold(fx):
    """the transfer's disk.img equals the source and the engine's copy"""
    image = image_with_holes()
    with open(vsphere.flat_file(fx.vcsim, "DC0_H0_VM1"), "wb") as f:
        f.write(image)
    volume = fx.volume("cold")
    _, lines, _ = fx.transfer.run(fx.description("DC0_H0_VM1", volume, verify=True,
                                                 targetIsZero=True), "cold transfer")
    result = lines[-1]
    target = os.path.join(volume, "disk.img")
    if result["target"] != target or read(target) != image:
        fail("the transferred disk differs from the source: %s" % result)
    if result["bytesTotal"] != DISK_MIB * MIB or result["bytesVerified"] != DISK_MIB * MIB:
        fail("the result does not account for the whole disk, verified: %s" % result)
    progress = progress_lines(lines)
    if not progress or progress[-1]["bytesDone"] != progress[-1]["bytesTotal"]:
        fail("no progress line ends at the disk's size: %s" % progress)
    if os.listdir(volume) != ["disk.img"]:
        fail("the volume holds more than disk.img after success (the journal stayed?): %s"
             % os.listdir(volume))
    out = vsphere.run(*fx.ferry, "plan", "start", "cold", env=fx.env).stdout
    if "Plan/cold: Succeeded" not in out:
        fail("the engine's cold plan did not succeed:\n" + out)
    if read(vsphere.bundle_disk(fx.bundle, "cold", "DC0_H0_VM1")) != read(target):
        fail("the transfer and the engine's copy of the same disk differ")
    print("cold: %d progress lines, %d bytes written of %d, equal to the engine's copy"
          % (len(progress), result["bytesWritten"], result["bytesTotal"]))


def start_slow(fx, description_path, progress_fd):
    return subprocess.Popen([FERRY, "transfer", "--description", description_path,
                             "--progress-fd", str(progress_fd), "--progress-interval", "0.1"],
                            pass_fds=(progress_fd,), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def interrupted_run(fx, description, sig, at_least):
    """a slow transfer, reporting on --progress-fd, stopped with @sig once
    @at_least bytes are done; returns its JSON lines and stdout"""
    path = fx.transfer.write(description)
    read_end, write_end = os.pipe()
    process = start_slow(fx, path, write_end)
    os.close(write_end)
    lines = []
    with os.fdopen(read_end) as progress:
        for text in progress:
            lines.append(json.loads(text))
            if lines[-1].get("bytesDone", 0) >= at_least and sig is not None:
                process.send_signal(sig)
                sig = None
        stdout, _ = process.communicate(timeout=60)
    return process.returncode, lines, stdout


def check_resume(fx):
    """SIGTERM gives Canceled and keeps the journal; SIGKILL keeps it too; the
    re-runs resume from it"""
    image = os.urandom(DISK_MIB * MIB)
    source = vsphere.flat_file(fx.vcsim, "DC0_C0_RP0_VM0")
    with open(source, "wb") as f:
        f.write(image)
    volume = fx.volume("resume")
    target = os.path.join(volume, "disk.img")
    journal = target + ".ferry-journal"
    # 2 MiB/s: the 16 MiB disk takes 8 s
    slow = fx.description("DC0_C0_RP0_VM0", volume, targetIsZero=True, bandwidth=2 * MIB)

    status, lines, stdout = interrupted_run(fx, slow, signal.SIGTERM, 4 * MIB)
    if stdout != "":
        fail("with --progress-fd, standard output stays empty: %r" % stdout)
    if status != 6 or lines[-1].get("result") != "Canceled":
        fail("SIGTERM did not end in Canceled with status 6 (%d): %s" % (status, lines[-1:]))
    if not os.path.exists(journal):
        fail("the cancelled transfer left no journal: the next run could not resume")

    status, lines, _ = interrupted_run(fx, slow, signal.SIGKILL, 8 * MIB)
    if status != -signal.SIGKILL or lines[-1].get("event") != "progress":
        fail("the transfer was not killed mid-way (%d): %s" % (status, lines[-1:]))
    if not os.path.exists(journal):
        fail("the killed transfer left no journal")
    killed_at = lines[-1]["bytesDone"]

    fast = dict(slow)
    del fast["bandwidth"]
    _, lines, _ = fx.transfer.run(fast, "resumed transfer")
    result = lines[-1]
    if result["bytesResumed"] < 4 * MIB or result["bytesRead"] >= DISK_MIB * MIB:
        fail("the re-run did not resume from the journal: %s" % result)
    if result["bytesRead"] + result["bytesResumed"] != DISK_MIB * MIB:
        fail("the re-run's bytes do not add up to the disk: %s" % result)
    if read(target) != image:
        fail("the resumed transfer's disk differs from the source")
    if os.path.exists(journal):
        fail("the journal stayed after the transfer succeeded")
    print("resume: SIGTERM gave Canceled, SIGKILL at %d bytes; the re-run read %d bytes, "
          "%d came from the journal" % (killed_at, result["bytesRead"], result["bytesResumed"]))


def check_warm(fx):
    """a snapshot and the previous snapshot's change id copy only the changed
    areas the provider reports; an explicit extent list copies only itself"""
    doc = fx.vm("DC0_H0_VM0")
    disk_id, key = doc["disks"][0]["id"], doc["disks"][0]["key"]
    source = vsphere.flat_file(fx.vcsim, "DC0_H0_VM0")
    with open(source, "wb") as f:
        f.write(os.urandom(DISK_MIB * MIB))
    volume = fx.volume("warm")
    target = os.path.join(volume, "disk.img")
    base = fx.description("DC0_H0_VM0", volume)

    # the snapshots are taken through the vsphere plugin, as the engine does,
    # connected from the same description through GObject Introspection
    config = Ferry.TransferDescription.new_from_file(fx.transfer.write(base)) \
        .dup_provider_config()
    registry = Ferry.PluginRegistry.new()
    registry.load()
    provider = registry.create_provider("vsphere")
    Ferry.Provider.connect(provider, config, None)
    first = provider.create_snapshot(doc["id"], "ferry-transfer-1", Ferry.SnapshotFlags.NONE, None)
    change_id = first.get_change_id(disk_id)
    if not change_id:
        fail("the first snapshot has no change id for %s" % disk_id)

    fx.transfer.run(dict(base, snapshot=first.get_id(), targetIsZero=True), "precopy 1")
    if read(target) != read(source):
        fail("the first precopy differs from the source")

    areas = [(1 * MIB, 65536), (9 * MIB + 4096, 4096)]
    unreported = (14 * MIB, 4096)
    for offset, length in areas + [unreported]:
        write_at(source, offset, os.urandom(length))
    with open(os.path.join(fx.vcsim["cbt"], "DC0_H0_VM0-%d.json" % key), "w") as f:
        json.dump({"areas": [list(a) for a in areas]}, f)
    second = provider.create_snapshot(doc["id"], "ferry-transfer-2", Ferry.SnapshotFlags.NONE,
                                      None)
    _, lines, _ = fx.transfer.run(dict(base, snapshot=second.get_id(), changeId=change_id),
                                  "precopy 2 (change id)")
    result = lines[-1]
    expected = sum(length for _, length in areas)
    if not result["incremental"] or result["bytesRead"] != expected or \
            result["bytesTotal"] != expected:
        fail("precopy 2 did not copy exactly the %d changed bytes: %s" % (expected, result))
    now, was = read(source), read(target)
    offset, length = unreported
    if now[:offset] != was[:offset] or now[offset + length:] != was[offset + length:]:
        fail("precopy 2 did not bring the changed areas over")
    if now[offset:offset + length] == was[offset:offset + length]:
        fail("precopy 2 copied an area the provider did not report")
    provider.remove_snapshot(doc["id"], first.get_id(), None)

    _, lines, _ = fx.transfer.run(dict(base, extents=[{"offset": offset, "length": length}]),
                                  "precopy 3 (extents)")
    if lines[-1]["bytesRead"] != length or read(target) != read(source):
        fail("precopy 3 did not copy exactly the listed extent: %s" % lines[-1])
    provider.remove_snapshot(doc["id"], second.get_id(), None)
    print("warm: precopy 2 read %d bytes (the %d reported areas), precopy 3 read %d"
          % (result["bytesRead"], len(areas), lines[-1]["bytesRead"]))


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_only_directory(path):
    """a directory that cannot take a new file even for root: a read-only
    tmpfs when mounting is allowed, else a 0555 directory for other users;
    None when neither works here"""
    os.makedirs(path)
    if os.geteuid() != 0:
        os.chmod(path, 0o555)
        return path
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", path],
                             capture_output=True)
    return path if mounted.returncode == 0 else None


def check_bad_inputs(fx):
    failures = []

    def expect(description, what, status, words, target=None):
        if isinstance(description, str):
            path = os.path.join(fx.work, "bad-%d.json" % len(failures))
            with open(path, "w") as f:
                f.write(description)
            result = subprocess.run([FERRY, "transfer", "--description", path],
                                    capture_output=True, text=True, timeout=60)
            code, lines = result.returncode, Transfer.parse(result.stdout, what)
        else:
            code, lines, _ = fx.transfer.run(description, what, expect_ok=False)
        if len(lines) != 1 or lines[0].get("result") != "Failed":
            fail("%s: expected one Failed line, got %s" % (what, lines))
        message = lines[0]["error"]
        if code != status or lines[0]["exitStatus"] != status:
            fail("%s: exit status %d, expected %d: %s" % (what, code, status, message))
        for word in words:
            if word not in message:
                fail("%s: the error does not say %r: %s" % (what, word, message))
        if target is not None and os.path.exists(os.path.join(target, "disk.img")):
            fail("%s: a target was left behind" % what)
        failures.append("%s (%s)" % (what, lines[0]["reason"]))

    no_password = mounted_secret(os.path.join(fx.work, "secret-no-password"), {
        "user": vsphere.USER, "ca.crt": read(fx.vcsim["VCSIM_CA"]).decode()})
    volume = fx.volume("bad")
    expect(fx.description("DC0_H0_VM1", volume, secret=no_password), "missing key file", 2,
           ["no file 'password'", no_password, "add the key"], volume)
    unmounted = fx.description("DC0_H0_VM1", volume)
    del unmounted["source"]["secretDir"]
    expect(unmounted, "no Secret directory", 2, ["source.secretDir is missing"], volume)
    expect(dict(fx.description("DC0_H0_VM1", volume), vm="vm-missing"), "unknown VM", 3,
           ["vm-missing"], volume)
    wrong = mounted_secret(os.path.join(fx.work, "secret-wrong"), {
        "user": vsphere.USER, "password": "Wrong-Pa55",
        "ca.crt": read(fx.vcsim["VCSIM_CA"]).decode()})
    expect(fx.description("DC0_H0_VM1", volume, secret=wrong), "wrong password", 4,
           ["wrong user or password", "Secret"], volume)
    expect(fx.description("DC0_H0_VM1", volume, url="https://127.0.0.1:%d/sdk" % closed_port()),
           "unreachable URL", 5, ["cannot reach", "spec.url"], volume)
    expect("{\"source\": {\"type\": \"vsphere\",", "malformed JSON", 2,
           ["transfer description", "Parse error"])
    leaky = fx.description("DC0_H0_VM1", volume)
    leaky["source"]["password"] = "Wrong-Pa55"
    expect(leaky, "credentials in the description", 2, ["credentials do not belong",
                                                        "secretDir"], volume)
    expect(dict(fx.description("DC0_H0_VM1", volume), snapshotId="x"), "unknown member", 2,
           ["snapshotId is not a member"], volume)
    a_file = os.path.join(fx.work, "vsphere.yaml")
    expect(fx.description("DC0_H0_VM1", os.path.join(a_file, "disk.img")),
           "target under a file", 3, ["is not a directory"])
    read_only = read_only_directory(os.path.join(fx.work, "read-only"))
    if read_only is not None:
        try:
            expect(fx.description("DC0_H0_VM1", read_only), "read-only volume", 1,
                   ["cannot be created", "read-write"], read_only)
        finally:
            if os.geteuid() == 0:
                subprocess.run(["umount", read_only])
    else:
        print("bad inputs: no read-only volume can be made here; that case is skipped")
    print("bad inputs refused: " + ", ".join(failures))


def start_esx(work):
    """a standalone ESXi simulator with the vCenter's certificate"""
    cbt = os.path.join(work, "esx-cbt")
    os.makedirs(cbt)
    process = subprocess.Popen(
        [vsphere.VCSIM, "-exit-on-eof", "-esx", "-certdir", os.path.join(work, "certs"),
         "-cbtdir", cbt, "-username", vsphere.USER, "-password", PASSWORD],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    info = {"process": process}
    for line in process.stdout:
        line = line.strip()
        if line == "VCSIM_READY":
            return info
        key, _, value = line.partition("=")
        info[key] = value
    fail("the ESXi simulator stopped before it was ready")


def check_host(fx):
    """a Host endpoint: the disk comes from the ESXi host, not the vCenter"""
    esx = start_esx(fx.work)
    try:
        name = "DC0_C0_RP0_VM1"
        on_vcenter, on_host = os.urandom(DISK_MIB * MIB), os.urandom(DISK_MIB * MIB)
        with open(vsphere.flat_file(fx.vcsim, name), "wb") as f:
            f.write(on_vcenter)
        host_dir = os.path.join(esx["VCSIM_DATASTORE_LocalDS_0"], name)
        os.makedirs(host_dir, exist_ok=True)
        with open(os.path.join(host_dir, "disk1-flat.vmdk"), "wb") as f:
            f.write(on_host)
        # the Host's Secret has credentials only: TLS comes from the Provider's
        host_secret = mounted_secret(os.path.join(fx.work, "host-secret"), {
            "user": vsphere.USER, "password": PASSWORD})
        address = esx["VCSIM_URL"][len("https://"):].split("/")[0]
        description = fx.description(name, fx.volume("host"))
        description["source"]["hosts"] = [{"id": fx.vm(name)["host"], "ipAddress": address,
                                           "secretDir": host_secret}]
        _, lines, _ = fx.transfer.run(description, "transfer from a host")
        data = read(lines[-1]["target"])
        if data == on_vcenter or data != on_host:
            fail("the disk was not read from the ESXi host")
        print("hosts: the disk came from the ESXi host at %s" % address)
    finally:
        esx["process"].stdin.close()
        esx["process"].terminate()
        esx["process"].wait()


def check_ova(fx):
    """a disk of a sample OVA, through the ova plugin's qemu-nbd"""
    ova_dir = os.path.join(fx.work, "ova")
    vsphere.run(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir, "web")
    manifest = os.path.join(fx.work, "ova.yaml")
    with open(manifest, "w") as f:
        f.write("apiVersion: forklift.konveyor.io/v1beta1\nkind: Provider\n"
                "metadata: {name: ova-store, namespace: demo}\n"
                "spec: {type: ova, url: %s}\n" % ova_dir)
    vsphere.run(*fx.ferry, "apply", "-f", manifest, env=fx.env)
    vsphere.run(*fx.ferry, "inventory", "refresh", "ova-store", env=fx.env)
    doc = json.loads(vsphere.run(*fx.ferry, "inventory", "vms", "ova-store", "-o", "json",
                                 env=fx.env).stdout)[0]
    target = os.path.join(fx.volume("ova"), "web.img")
    _, lines, _ = fx.transfer.run({
        "source": {"type": "ova", "url": ova_dir}, "vm": doc["id"],
        "disk": doc["disks"][0]["id"], "target": target, "targetIsZero": True}, "OVA transfer")
    expected = os.path.join(ova_dir + ".expected", "web.raw")
    if read(target) != read(expected):
        fail("the OVA disk differs from its raw image")
    allocated = os.stat(target).st_blocks * 512
    if allocated > 16 * MIB:
        fail("the OVA disk is not sparse: %d bytes allocated of %d" %
             (allocated, os.path.getsize(target)))
    print("OVA: %d bytes, %d allocated, %d written" % (os.path.getsize(target), allocated,
                                                      lines[-1]["bytesWritten"]))


def main():
    if not vsphere.VCSIM:
        if os.environ.get("CI") == "true":
            sys.exit("the vCenter simulator was not built; run scripts/install-deps")
        print("SKIP: the vCenter simulator was not built")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="ferry-e2e-transfer-")
    vcsim = vsphere.start_vcsim(work)
    watcher = vsphere.CommandLineWatcher([PASSWORD], {vcsim["process"].pid, os.getpid()})
    watcher.start()
    try:
        fx = Fixture(work, vcsim)
        check_cold(fx)
        check_resume(fx)
        check_warm(fx)
        check_bad_inputs(fx)
        check_host(fx)
        check_ova(fx)
        watcher.check()
    finally:
        watcher.stop.set()
        vcsim["process"].stdin.close()
        vcsim["process"].terminate()
        vcsim["process"].wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End to end from oVirt into a KubeVirt bundle, against a REAL
ovirt-imageio daemon (PyPI) and fakeovirt's recorded engine stubs served by
tests/e2e/ovirt/engine-standin.py, a HAND-WRITTEN STAND-IN for fakeovirt
(which cannot be built here: `scripts/ovirt-testbed why`). The test starts
both itself (tests/e2e/ovirtbed.py).

- inventory: every VM of the stubs (recorded, legacy and hand-written), with
  Forklift's fields; the rules flag an unsupported NIC model and an SR-IOV
  profile; a disk with images on two storage domains lists both;
- cold: a raw disk served by imageio lands byte-identical in the bundle and
  its image transfer is finalized once;
- a running VM is shut down through the engine before its copy;
- kill -9 mid-copy of a qcow2 disk (served by imageio through qemu-nbd, holes
  and all), then `ferry run`: the copy finishes byte-identical and every
  image transfer (the crashed run's too) is finalized exactly once;
- an expiring token (the engine refuses each token after a few requests):
  the provider logs in again and the inventory loads;
- the same VM onto libvirt (its test driver), byte-identical;
- wrong password, wrong CA, engine down mid-copy: the errors name the
  Provider and the fix;
- a VM with a direct LUN (hand-written stub): its plan fails naming the VM,
  the disk, the Provider and skipDirectLuns, writing nothing; with the
  Provider's skipDirectLuns it migrates without the LUN, its image disk equal;
- all along, no password, SSO token or imageio ticket on any process's
  command line or environment (/proc/*/cmdline, /proc/*/environ), nor in
  any output.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ovirtbed  # noqa: E402

FERRY = os.environ["FERRY_BIN"]
MIB = 1 << 20
USER, PASSWORD = "admin@internal", "Engine-Pa55-%d" % os.getpid()
RAW_DISK = "b5a7f7f6-377b-467b-850f-a0dcd43ac5d7"     # of vm-for-migration
QCOW2_DISK = "a5dd889c-77f4-43bc-b981-bfc8f48b08ca"   # of vm-for-insecure-migration
VM_COLD = "31573c08-717b-43e0-825f-69a36fb0e1a1"
LUN_VM = "vm-with-direct-lun"  # tests/e2e/ovirt/stubs: the image disk of VM_COLD and a LUN
VM_RESUME = "4db71538-9255-4ba3-a291-1240682dd8c6"
DISK_SIZE = 46137344  # the stubs' provisioned size (44 MiB)
OUTPUTS = []


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    OUTPUTS.append(result.stdout + result.stderr)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


class Watcher(threading.Thread):
    """keeps every distinct command line and environment seen, to look for
    the secrets (tokens and tickets are known only at the end)"""

    def __init__(self, exclude):
        super().__init__(daemon=True)
        self.exclude = exclude
        self.stop = threading.Event()
        self.seen = set()
        self.samples = 0
        self.nbdkit = 0

    def run(self):
        while not self.stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or int(pid) in self.exclude:
                    continue
                for part in ("cmdline", "environ"):
                    try:
                        with open("/proc/%s/%s" % (pid, part), "rb") as f:
                            data = f.read()
                    except OSError:
                        continue
                    if part == "cmdline" and b"nbdkit" in data.split(b"\0")[0]:
                        self.nbdkit += 1
                    self.seen.add((part, pid, data))
            self.samples += 1
            time.sleep(0.02)

    def check(self, secrets):
        self.stop.set()
        self.join()
        leaks = []
        for part, pid, data in self.seen:
            for secret in secrets:
                if secret.encode() in data:
                    leaks.append("%s of %s: %s" % (part, pid, data.replace(
                        secret.encode(), b"[SECRET]").replace(b"\0", b" ")[:300]))
        if leaks:
            sys.exit("a credential appeared on a command line or environment:\n" +
                     "\n".join(sorted(set(leaks))[:10]))
        if self.nbdkit == 0:
            sys.exit("the watcher never saw nbdkit serve a disk (%d samples)" % self.samples)
        print("%d samples, %d distinct command lines and environments, nbdkit seen %d times: "
              "no password, token or ticket" % (self.samples, len(self.seen), self.nbdkit))


def plan_yaml(name, vm, target="migrated", kind="cold", extra=""):
    """a Plan of one VM from ovirt-prod into the bundle, as YAML after ---"""
    return """---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: %s, namespace: demo}
spec:
  type: %s
  targetNamespace: %s
%s  provider:
    source: {name: ovirt-prod, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    network: {name: ovirt-networks, namespace: demo}
    storage: {name: ovirt-storage, namespace: demo}
  vms:
    - id: %s
""" % (name, kind, target, extra, vm)


def provider_yaml(url, settings=""):
    """the oVirt Provider, ovirt-prod, with @settings (YAML flow mapping)"""
    return """apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: ovirt-prod, namespace: demo}
spec:
  type: ovirt
  url: %s
  secret: {name: ovirt-credentials, namespace: demo}
%s""" % (url, "  settings: %s\n" % settings if settings else "")


def manifests(bed, bundle, password=PASSWORD, ca=None, insecure=False, thumbprint=None,
              plans=None, user=USER):
    """the Secret, the Providers, the maps and @plans (by default this test's
    cold and resume Plans)"""
    ca = ca or open(bed.certs["ca"]).read()
    ca_block = "  cacert: |\n" + "".join("    " + line + "\n" for line in ca.splitlines())
    if insecure:
        ca_block = "  cacert: ignored\n  insecureSkipVerify: \"true\"\n"
    if thumbprint:
        # no CA: Ferry fetches it from the engine and checks it against this
        ca_block = "  thumbprint: \"%s\"\n" % thumbprint
    if plans is None:
        plans = plan_yaml("cold", VM_COLD) + \
            plan_yaml("resume", VM_RESUME, extra="  bandwidth: 4194304\n")
    return """apiVersion: v1
kind: Secret
metadata: {name: ovirt-credentials, namespace: demo}
type: Opaque
stringData:
  user: %s
  password: %s
%s---
%s---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kubevirt-bundle, namespace: demo}
spec:
  type: openshift
  url: file://%s
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: ovirt-networks, namespace: demo}
spec:
  provider:
    source: {name: ovirt-prod, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    - source: {id: 6b6b7239-5ea1-4f08-a76e-be150ab8eb89}
      destination: {type: pod}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: ovirt-storage, namespace: demo}
spec:
  provider:
    source: {name: ovirt-prod, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    - source: {id: 95ef6fee-5773-46a2-9340-a636958a96b8}
      destination: {storageClass: standard}
%s""" % (user, password, ca_block, provider_yaml(bed.url), bundle, plans)


def make_images(work):
    """a raw image and a qcow2 one with data and holes; returns the bed's
    image table and the raw bytes each disk must come out as"""
    raw = os.path.join(work, "raw-disk.img")
    data = bytearray(DISK_SIZE)
    for offset in (0, 5 * MIB + 512, 20 * MIB, DISK_SIZE - MIB):
        data[offset:offset + MIB] = os.urandom(MIB)
    with open(raw, "wb") as f:
        f.write(data)
    qraw = os.path.join(work, "qcow2-source.raw")
    qdata = bytearray(DISK_SIZE)
    for offset in range(0, DISK_SIZE, 4 * MIB):
        qdata[offset:offset + 2 * MIB] = os.urandom(2 * MIB)
    with open(qraw, "wb") as f:
        f.write(qdata)
    qcow2 = os.path.join(work, "qcow2-disk.qcow2")
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", qraw, qcow2],
                   check=True)
    images = {RAW_DISK: {"url": "file://" + raw, "size": DISK_SIZE},
              QCOW2_DISK: {"qcow2": qcow2, "size": DISK_SIZE}}
    return images, {RAW_DISK: bytes(data), QCOW2_DISK: bytes(qdata)}


def check_inventory(ferry, env):
    run(*ferry, "inventory", "refresh", "ovirt-prod", env=env)

    def listing(kind, query=None):
        argv = list(ferry) + ["inventory", kind, "ovirt-prod", "-o", "json"]
        if query:
            argv += ["-q", query]
        return json.loads(run(*argv, env=env).stdout)

    vms = {vm["id"]: vm for vm in listing("vms", "criticalConcerns >= 0")}
    expected = {VM_COLD, VM_RESUME, "123", "basic-network", "invalid-disk",
                "nic-interface-pci_passthrough", "nic-interface-rtl8139_virtio",
                "vm-with-sriov-nic", LUN_VM}
    if set(vms) != expected:
        sys.exit("the inventory has VMs %s, expected %s" % (sorted(vms), sorted(expected)))
    vm = vms[VM_COLD]
    want = {"name": "vm-for-migration", "status": "down", "cpuSockets": 1, "cpuCores": 1,
            "cpuThreads": 1, "memory": 1073741824, "cluster": "b94f0a35-8ed8-429c-999a-4d776640107e",
            "haEnabled": False, "display": "spice", "placementPolicyAffinity": "migratable"}
    for key, value in want.items():
        if vm.get(key) != value:
            sys.exit("VM %s: %s is %r, expected %r" % (VM_COLD, key, vm.get(key), value))
    for key in ("bios", "osType", "guest", "snapshots", "cpuShares", "storageErrorResumeBehaviour",
                "usbEnabled", "bootMenuEnabled", "balloonedMemory", "ioThreads", "watchDogs",
                "hostDevices", "cdroms", "properties", "numaNodeAffinity", "cpuAffinity",
                "timezone", "hasIllegalImages", "customCpuModel", "guestName"):
        if key not in vm:
            sys.exit("VM %s has no %s: %s" % (VM_COLD, key, sorted(vm)))
    nic = vm["nics"][0]
    if (nic["profile"] != "b891f46c-9a5c-4f5b-802f-4cc0e3bd6267" or nic["interface"] != "virtio"
            or not nic["mac"] or not nic["plugged"]):
        sys.exit("NIC of %s: %s" % (VM_COLD, nic))
    attachment = vm["diskAttachments"][0]
    if (attachment["disk"] != RAW_DISK or attachment["interface"] != "virtio_scsi"
            or attachment["bootable"] is not True):
        sys.exit("disk attachment of %s: %s" % (VM_COLD, attachment))
    # each VM has the devices its stubs list
    for vid, nics, disks in ((VM_RESUME, 1, 1), ("123", 0, 1), ("basic-network", 1, 1),
                             ("nic-interface-pci_passthrough", 1, 1), ("vm-with-sriov-nic", 1, 1),
                             (LUN_VM, 0, 2)):
        if len(vms[vid]["nics"]) != nics or len(vms[vid]["diskAttachments"]) != disks:
            sys.exit("VM %s has %d NICs and %d disks, expected %d and %d" % (
                vid, len(vms[vid]["nics"]), len(vms[vid]["diskAttachments"]), nics, disks))

    def concerns(vid):
        return {c["id"] for c in vms[vid].get("concerns", [])}

    if not {"ovirt.nic.interface_type.unsupported", "ovirt.nic.pci_passthrough.detected"} <= \
            concerns("vm-with-sriov-nic"):
        sys.exit("the SR-IOV NIC raised %s" % concerns("vm-with-sriov-nic"))
    if "ovirt.nic.interface_type.unsupported" not in concerns("nic-interface-pci_passthrough"):
        sys.exit("VM nic-interface-pci_passthrough (unsupported NIC model) raised %s" %
                 concerns("nic-interface-pci_passthrough"))
    # as Forklift's policy: a name containing virtio (rtl8139_virtio) is kept
    if "ovirt.nic.interface_type.unsupported" in concerns("nic-interface-rtl8139_virtio"):
        sys.exit("VM nic-interface-rtl8139_virtio raised %s" %
                 concerns("nic-interface-rtl8139_virtio"))
    if "ovirt.nic.interface_type.unsupported" in concerns("basic-network") or \
            "ovirt.nic.pci_passthrough.detected" in concerns(VM_COLD):
        sys.exit("a virtio NIC raised NIC concerns")
    if "ovirt.nic.network_filter.detected" not in concerns(VM_COLD):
        sys.exit("the vdsm-no-mac-spoofing filter of %s raised %s" % (VM_COLD, concerns(VM_COLD)))

    disks = {d["id"]: d for d in listing("disks")}
    two = disks.get("disk-on-two-domains")
    if two is None or two["storageDomains"] != ["95ef6fee-5773-46a2-9340-a636958a96b8",
                                                "second-domain"]:
        sys.exit("the disk on two storage domains: %s" % two)
    # a direct LUN's units in Forklift's shape
    units = disks["direct-lun"].get("lun", {}).get("logicalUnits", {}).get("logicalUnit", [])
    want = {"lunId": "36001405f1b2c3d4e5f60718293a4b5c6", "address": "192.0.2.10",
            "port": "3260", "target": "iqn.2026-01.org.example:storage.lun1", "lunMapping": 1,
            "size": 10737418240}
    if disks["direct-lun"].get("storageType") != "lun" or len(units) != 1 or \
            any(units[0].get(k) != v for k, v in want.items()):
        sys.exit("the direct LUN disk: %s" % disks["direct-lun"])
    disk = disks[RAW_DISK]
    if (disk["provisionedSize"] != DISK_SIZE or disk["storageType"] != "image"
            or disk["format"] != "raw" or disk["storageDomain"] != "95ef6fee-5773-46a2-9340-a636958a96b8"):
        sys.exit("disk %s: %s" % (RAW_DISK, disk))
    profiles = {p["id"]: p for p in listing("nicprofiles")}
    if profiles["sriov-profile"]["passThrough"] is not True or \
            profiles["b891f46c-9a5c-4f5b-802f-4cc0e3bd6267"]["passThrough"] is not False:
        sys.exit("vNIC profiles: %s" % profiles)
    for kind, count in (("storagedomains", 3), ("networks", 2), ("hosts", 1), ("clusters", 2),
                        ("datacenters", 1), ("diskprofiles", 1)):
        if len(listing(kind)) != count:
            sys.exit("expected %d %s" % (count, kind))
    print("inventory: %d VMs, %d disks, %d vNIC profiles, concerns as the rules say" % (
        len(vms), len(disks), len(profiles)))


def check_direct_lun(ferry, env, bed, work, bundle, expected):
    """A VM with a direct LUN: its plan fails naming the disk and the two
    ways out, and nothing is written for it; with the Provider's
    skipDirectLuns it migrates without the LUN (its image disk equal)."""
    lun_path = os.path.join(work, "lun.yaml")
    with open(lun_path, "w") as f:
        f.write(plan_yaml("lun", LUN_VM, target="luns") +
                plan_yaml("lun-skip", LUN_VM, target="luns-skipped"))
    run(*ferry, "apply", "-f", lun_path, env=env)
    out = run(*ferry, "plan", "start", "lun", check=False, env=env)
    OUTPUTS.append(out.stdout + out.stderr)
    status = json.loads(run(*ferry, "get", "plan", "lun", "-o", "json", env=env).stdout)
    reasons = [r for vm in status.get("status", {}).get("migration", {}).get("vms", [])
               for r in vm.get("error", {}).get("reasons", [])]
    text = " ".join(reasons) + out.stdout + out.stderr
    if out.returncode == 0 or "direct LUN disk direct-lun" not in text or \
            "skipDirectLuns" not in text or "Provider/ovirt-prod" not in text:
        sys.exit("a VM with a direct LUN did not fail naming the disk and the fix "
                 "(exit %d):\n%s" % (out.returncode, text))
    if os.path.exists(os.path.join(bundle, "luns")):
        sys.exit("the failed LUN plan wrote into the bundle: %s" %
                 os.listdir(os.path.join(bundle, "luns")))
    print("direct LUN: " + next(r for r in reasons if "direct LUN" in r)[:300])
    # the Provider asks to leave direct LUNs out
    with open(lun_path, "w") as f:
        f.write(provider_yaml(bed.url, '{skipDirectLuns: "true"}'))
    run(*ferry, "apply", "-f", lun_path, env=env)
    out = run(*ferry, "plan", "start", "lun-skip", check=False, env=env)
    OUTPUTS.append(out.stdout + out.stderr)
    if "Plan/lun-skip: Succeeded" not in out.stdout:
        sys.exit("with skipDirectLuns the LUN VM did not migrate:\n%s%s" % (out.stdout,
                                                                          out.stderr))
    folder = os.path.join(bundle, "luns-skipped", "vm-with-direct-lun")
    images = [f for f in os.listdir(folder) if f.endswith(".img")]
    if len(images) != 1 or open(os.path.join(folder, images[0]), "rb").read() != \
            expected[RAW_DISK]:
        sys.exit("with skipDirectLuns the bundle holds %s, expected the image disk alone" %
                 images)
    print("direct LUN with skipDirectLuns: migrated without it, the image disk equal")


def bundle_disk(bundle, plan, name):
    folder = os.path.join(bundle, "migrated", name)
    images = [f for f in os.listdir(folder) if f.endswith(".img")]
    if len(images) != 1:
        sys.exit("bundle %s holds %s" % (folder, images))
    return os.path.join(folder, images[0])


def check_errors(ferry, env, bed, path, bundle):
    """wrong password, wrong CA: the errors name the Provider and the fix"""
    wrong = "Wrong-Pa55-%d" % os.getpid()
    bad = os.path.join(os.path.dirname(path), "bad.yaml")
    with open(bad, "w") as f:
        f.write(manifests(bed, bundle, password=wrong))
    run(*ferry, "apply", "-f", bad, env=env)
    failed = run(*ferry, "provider", "test", "ovirt-prod", check=False, env=env)
    text = failed.stdout + failed.stderr
    if failed.returncode == 0 or wrong in text or PASSWORD in text:
        sys.exit("a wrong password was accepted or shown:\n" + text)
    if "Provider/demo/ovirt-prod" not in text or "password in Secret" not in text:
        sys.exit("the bad-credentials error does not name the Provider and the fix:\n" + text)

    other = ovirtbed.make_certificates(os.path.join(os.path.dirname(path), "other-ca"), "other")
    with open(bad, "w") as f:
        f.write(manifests(bed, bundle, ca=open(other["ca"]).read()))
    run(*ferry, "apply", "-f", bad, env=env)
    failed = run(*ferry, "provider", "test", "ovirt-prod", check=False, env=env)
    text = failed.stdout + failed.stderr
    if failed.returncode == 0 or "Provider/demo/ovirt-prod" not in text or \
            "cacert" not in text or "certificate" not in text:
        sys.exit("a wrong CA was accepted, or the error does not say what to do:\n" + text)
    # insecureSkipVerify, and only then, accepts a certificate it cannot verify
    with open(bad, "w") as f:
        f.write(manifests(bed, bundle, ca=open(other["ca"]).read(), insecure=True))
    run(*ferry, "apply", "-f", bad, env=env)
    run(*ferry, "provider", "test", "ovirt-prod", env=env)
    run(*ferry, "inventory", "refresh", "ovirt-prod", env=env)
    run(*ferry, "apply", "-f", path, env=env)
    run(*ferry, "provider", "test", "ovirt-prod", env=env)
    print("wrong password and wrong CA: clear errors naming the Provider; "
          "insecureSkipVerify connects")

    # no CA but a pin of it: Ferry fetches the CA from pki-resource, trusts it
    # only if the fingerprint matches, and verifies the engine with it
    def fingerprint(pem_file, digest):
        out = subprocess.run(["openssl", "x509", "-in", pem_file, "-noout", "-fingerprint",
                              "-" + digest], capture_output=True, text=True, check=True).stdout
        return out.strip().split("=", 1)[1]
    for digest in ("sha256", "sha1"):
        with open(bad, "w") as f:
            f.write(manifests(bed, bundle, thumbprint=fingerprint(bed.certs["ca"], digest)))
        run(*ferry, "apply", "-f", bad, env=env)
        run(*ferry, "provider", "test", "ovirt-prod", env=env)
    run(*ferry, "inventory", "refresh", "ovirt-prod", env=env)
    wrong_pin = fingerprint(other["ca"], "sha256")
    with open(bad, "w") as f:
        f.write(manifests(bed, bundle, thumbprint=wrong_pin))
    run(*ferry, "apply", "-f", bad, env=env)
    failed = run(*ferry, "provider", "test", "ovirt-prod", check=False, env=env)
    text = failed.stdout + failed.stderr
    if failed.returncode == 0 or "Provider/demo/ovirt-prod" not in text or \
            "not the Secret's thumbprint" not in text or \
            wrong_pin.replace(":", "").lower() not in text:
        sys.exit("a CA that does not match the pin was trusted, or the error does not say "
                 "so:\n" + text)
    run(*ferry, "apply", "-f", path, env=env)
    print("a thumbprint of the CA (SHA-256 or SHA-1) instead of the CA: fetched from "
          "pki-resource and trusted; a CA that does not match the pin is refused, naming both")


def main():
    work = tempfile.mkdtemp(prefix="ferry-e2e-ovirt-")
    images, expected = make_images(work)
    bed = ovirtbed.OvirtBed(work, USER, PASSWORD, images=images, vms_up=[VM_RESUME])
    if not bed.available:
        if os.environ.get("CI") == "true":
            sys.exit("the oVirt test bed is missing; run scripts/ovirt-testbed build")
        print("SKIP: the oVirt test bed is missing (scripts/ovirt-testbed build)")
        sys.exit(77)
    bed.start()
    watcher = Watcher({os.getpid(), bed.engine.pid})
    watcher.start()
    try:
        bundle = os.path.join(work, "bundle")
        path = os.path.join(work, "ovirt.yaml")
        with open(path, "w") as f:
            f.write(manifests(bed, bundle))
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]
        run(*ferry, "apply", "-f", path, env=env)
        tested = run(*ferry, "provider", "test", "ovirt-prod", env=env).stdout
        if "fingerprint" not in tested:
            sys.exit("provider test printed no fingerprint:\n" + tested)
        check_inventory(ferry, env)
        check_errors(ferry, env, bed, path, bundle)

        def plan_phase(name):
            out = run(*ferry, "get", "plan", name, "-o", "json", env=env).stdout
            for c in json.loads(out).get("status", {}).get("conditions", []):
                if c["type"] in ("Succeeded", "Failed", "Canceled") and c["status"] == "True":
                    return c["type"]
            return None

        # cold: byte-identical, the transfer finalized once
        out = run(*ferry, "plan", "start", "cold", env=env).stdout
        if "Plan/cold: Succeeded" not in out:
            sys.exit("the cold plan did not succeed:\n" + out)
        if open(bundle_disk(bundle, "cold", "vm-for-migration"), "rb").read() != expected[RAW_DISK]:
            sys.exit("the cold copy differs from the disk imageio served")
        stats = bed.stats()
        if len(stats["created"]) != 1 or stats["finalize"] != {stats["created"][0]: 1} or \
                stats["cancel"]:
            sys.exit("the cold plan's image transfer was not finalized once: %s" % stats)
        print("cold: byte-identical, image transfer finalized once")

        # kill -9 in the middle of the copy, then `ferry run`
        process = subprocess.Popen(ferry + ["plan", "start", "resume"], env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while len(bed.stats()["created"]) < 2:
            if time.monotonic() > deadline or process.poll() is not None:
                sys.exit("the resume plan never opened its disk")
            time.sleep(0.1)
        time.sleep(3)  # 4 MiB/s: part of the 44 MiB is copied
        process.send_signal(signal.SIGKILL)
        OUTPUTS.append(process.communicate()[0])
        out = run(*ferry, "run", env=env).stdout
        if plan_phase("resume") != "Succeeded":
            sys.exit("the resumed plan did not succeed:\n" + out)
        if open(bundle_disk(bundle, "resume", "vm-for-insecure-migration"), "rb").read() != \
                expected[QCOW2_DISK]:
            sys.exit("the resumed copy differs from the qcow2 disk's content")
        stats = bed.stats()
        if "shutdown:" + VM_RESUME not in stats["actions"]:
            sys.exit("the running VM %s was not shut down: %s" % (VM_RESUME, stats["actions"]))
        created = stats["created"][1:]
        if len(created) < 2 or any(stats["finalize"].get(t) != 1 for t in created):
            sys.exit("after kill -9 and ferry run, not every image transfer was finalized "
                     "exactly once: %s" % stats)
        print("kill -9 mid-copy then ferry run: byte-identical, %d transfers each finalized once"
              % len(created))

        # the same source onto libvirt (its in-process test driver)
        if os.environ.get("FERRY_OVIRT_LIBVIRT") == "1":
            images_dir = os.path.join(work, "libvirt-images")
            with open(path, "a") as f:
                f.write("""---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kvm-host, namespace: demo}
spec:
  type: libvirt
  url: test:///default
  secret: {name: ovirt-credentials, namespace: demo}
  settings: {storageDir: "%s"}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: kvm-networks, namespace: demo}
spec:
  provider:
    source: {name: ovirt-prod, namespace: demo}
    destination: {name: kvm-host, namespace: demo}
  map:
    - source: {id: 6b6b7239-5ea1-4f08-a76e-be150ab8eb89}
      destination: {type: pod}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: kvm-storage, namespace: demo}
spec:
  provider:
    source: {name: ovirt-prod, namespace: demo}
    destination: {name: kvm-host, namespace: demo}
  map:
    - source: {id: 95ef6fee-5773-46a2-9340-a636958a96b8}
      destination: {storageClass: ""}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: to-libvirt, namespace: demo}
spec:
  targetNamespace: migrated
  provider:
    source: {name: ovirt-prod, namespace: demo}
    destination: {name: kvm-host, namespace: demo}
  map:
    network: {name: kvm-networks, namespace: demo}
    storage: {name: kvm-storage, namespace: demo}
  vms:
    - id: %s
""" % (images_dir, VM_COLD))
            run(*ferry, "apply", "-f", path, env=env)
            before = len(bed.stats()["created"])
            out = run(*ferry, "plan", "start", "to-libvirt", env=env).stdout
            if "Plan/to-libvirt: Succeeded" not in out:
                sys.exit("the libvirt plan did not succeed:\n" + out)
            files = [f for f in os.listdir(images_dir) if f.endswith(".img")]
            if len(files) != 1 or open(os.path.join(images_dir, files[0]), "rb").read() != \
                    expected[RAW_DISK]:
                sys.exit("the libvirt copy is not the disk imageio served: %s" % files)
            stats = bed.stats()
            if any(stats["finalize"].get(t) != 1 for t in stats["created"][before:]):
                sys.exit("the libvirt plan's transfer was not finalized once: %s" % stats)
            print("libvirt destination (test driver): byte-identical, transfer finalized once")

        # the engine goes down in the middle of a copy
        with open(path, "a") as f:
            f.write("""---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: engine-down, namespace: demo}
spec:
  targetNamespace: engine-down
  bandwidth: 4194304
  provider:
    source: {name: ovirt-prod, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    network: {name: ovirt-networks, namespace: demo}
    storage: {name: ovirt-storage, namespace: demo}
  vms:
    - id: %s
""" % VM_COLD)
        run(*ferry, "apply", "-f", path, env=env)
        before = len(bed.stats()["created"])
        process = subprocess.Popen(ferry + ["plan", "start", "engine-down"], env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while len(bed.stats()["created"]) <= before:
            if time.monotonic() > deadline or process.poll() is not None:
                sys.exit("the engine-down plan never opened its disk")
            time.sleep(0.1)
        bed.stop_engine()
        out = process.communicate(timeout=120)[0]
        OUTPUTS.append(out)
        describe = run(*ferry, "plan", "describe", "engine-down", check=False, env=env)
        text = out + describe.stdout + describe.stderr
        if "Provider/demo/ovirt-prod" not in text or "cannot reach the engine" not in text:
            sys.exit("with the engine down, no error names the Provider and the fix:\n" + text)
        print("engine down mid-copy: " + next(line.strip() for line in text.splitlines()
                                              if "cannot reach the engine" in line)[:400])
        # it comes back: `ferry run` finishes, the transfer is finalized
        bed.start_engine()

        # tokens that expire: the provider logs in again
        bed.stop_engine()
        bed.token_requests = 5
        bed.start_engine()
        run(*ferry, "inventory", "refresh", "ovirt-prod", env=env)
        stats = bed.stats()
        if stats["refused_tokens"] == 0 or stats["logins"] < 2:
            sys.exit("the expiring tokens were not renewed: %s" % stats)
        print("expiring SSO tokens: %d refused, %d logins, the inventory loaded" % (
            stats["refused_tokens"], stats["logins"]))
        check_direct_lun(ferry, env, bed, work, bundle, expected)
    finally:
        bed.stop()
    secrets = [PASSWORD] + sorted(bed.secrets)
    if len(secrets) < 3:
        sys.exit("the engine gave no tokens or tickets to look for")
    watcher.check(secrets)
    for text in OUTPUTS:
        for secret in secrets:
            if secret in text:
                sys.exit("a credential appeared in Ferry's output:\n" + text[:2000])
    print("no password, token or ticket in any output")


if __name__ == "__main__":
    main()

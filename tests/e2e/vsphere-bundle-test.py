#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End to end, as a user runs it, from the vCenter simulator (ferry-vcsim)
into a KubeVirt bundle: `ferry apply`, `ferry inventory refresh`,
`ferry inventory vms -q`, then three plans (raw copy, since no guest
converter is loaded):

- cold: a disk image written into the datastore comes out byte-identical;
- warm: a full precopy, precopies of scripted changed areas while the image
  changes underneath (QueryChangedDiskAreas), an interrupted run, a cutover,
  and `ferry run` to finish; the result is the last image, and no snapshot is
  left on the VM;
- cancel: a cold plan slowed by a bandwidth limit is interrupted while it
  copies (the source is off), cancelled, and `ferry run` powers the source
  back on and leaves nothing behind.

All along, a watcher reads every process's command line (/proc/*/cmdline,
what `ps` shows) and environment, and fails the test if the password or the
vSphere session cookie (read from the file nbdkit's cookie-script reads)
ever appears in one; it must have seen nbdkit serving a disk.
"""

import hashlib
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

FERRY = os.environ["FERRY_BIN"]
VCSIM = os.environ.get("FERRY_VCSIM", "")
MIB = 1 << 20
DISK_MIB = 16
USER, PASSWORD = "admin", "Secret-Pa55"


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def start_vcsim(work):
    certs = os.path.join(work, "certs")
    cbt = os.path.join(work, "cbt")
    os.makedirs(certs)
    os.makedirs(cbt)
    process = subprocess.Popen(
        [VCSIM, "-exit-on-eof", "-certdir", certs, "-cbtdir", cbt, "-username", USER,
         "-password", PASSWORD, "-disk-mb", str(DISK_MIB), "-cbt", "DC0_H0_VM0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    info = {"cbt": cbt, "process": process}
    for line in process.stdout:
        line = line.strip()
        if line == "VCSIM_READY":
            return info
        key, _, value = line.partition("=")
        info[key] = value
    sys.exit("the simulator stopped before it was ready")


class CommandLineWatcher(threading.Thread):
    """Samples /proc/*/cmdline and /proc/*/environ of every process but the
    simulators (this test, and any other running here, gives its simulator
    the password on its command line) for the password and the session
    cookie."""

    def __init__(self, secrets, exclude):
        super().__init__(daemon=True)
        self.secrets = [s.encode() for s in secrets]
        self.exclude = exclude
        self.stop = threading.Event()
        self.leaks = []
        self.samples = 0
        self.nbdkit_seen = 0
        self.cookies = set()

    def sample(self):
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) in self.exclude:
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if f.read().split(b"\0")[0].endswith(b"ferry-vcsim"):
                        continue
            except OSError:
                continue
            for part in ("cmdline", "environ"):
                try:
                    with open("/proc/%s/%s" % (pid, part), "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                args = data.split(b"\0")
                if part == "cmdline" and args[0].endswith(b"nbdkit"):
                    self.nbdkit_seen += 1
                    for arg in args:
                        # cookie-script=exec cat '/…/cookie': learn the value
                        if arg.startswith(b"cookie-script=exec cat "):
                            path = arg.split(b" ", 2)[2].strip(b"'")
                            try:
                                with open(path, "rb") as c:
                                    value = c.read().strip()
                                if value:
                                    self.cookies.add(value)
                            except OSError:
                                pass
                for secret in self.secrets + sorted(self.cookies):
                    if secret in data:
                        shown = data.replace(secret, b"[THE SECRET]").replace(b"\0", b" ")
                        self.leaks.append("%s of %s: %s" % (part, pid, shown[:400]))

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.samples += 1
            time.sleep(0.02)

    def check(self):
        self.stop.set()
        self.join()
        if self.leaks:
            sys.exit("a credential appeared on a process's command line or environment:\n"
                     + "\n".join(sorted(set(self.leaks))[:10]))
        if self.nbdkit_seen == 0 or not self.cookies:
            sys.exit("the watcher never saw nbdkit serve a disk with a session cookie "
                     "(%d samples)" % self.samples)
        print("%d samples of every command line, %d with nbdkit, %d session cookies: no "
              "credential seen" % (self.samples, self.nbdkit_seen, len(self.cookies)))


def manifests(vcsim, bundle):
    ca = open(vcsim["VCSIM_CA"]).read()
    ca_block = "".join("    " + line + "\n" for line in ca.splitlines())
    plans = ""
    for name, kind, vm, extra in (("cold", "cold", "DC0_H0_VM1", ""),
                                  ("warm", "warm", "DC0_H0_VM0", ""),
                                  ("cancelled", "cold", "DC0_C0_RP0_VM1",
                                   "  bandwidth: 1048576\n")):
        plans += """---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: %s, namespace: demo}
spec:
  type: %s
  targetNamespace: migrated
  skipGuestConversion: true
%s  provider:
    source: {name: vsphere-prod, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    network: {name: vsphere-networks, namespace: demo}
    storage: {name: vsphere-storage, namespace: demo}
  vms:
    - name: %s
""" % (name, kind, extra, vm)
    return """apiVersion: v1
kind: Secret
metadata: {name: vsphere-credentials, namespace: demo}
type: Opaque
stringData:
  user: %s
  password: %s
  ca.crt: |
%s---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: vsphere-prod, namespace: demo}
spec:
  type: vsphere
  url: %s
  secret: {name: vsphere-credentials, namespace: demo}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kubevirt-bundle, namespace: demo}
spec:
  type: openshift
  url: file://%s
  secret: {name: vsphere-credentials, namespace: demo}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: vsphere-networks, namespace: demo}
spec:
  provider:
    source: {name: vsphere-prod, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    - source: {name: DC0_DVPG0}
      destination: {type: pod}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: vsphere-storage, namespace: demo}
spec:
  provider:
    source: {name: vsphere-prod, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    - source: {name: LocalDS_0}
      destination: {storageClass: standard}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: ForkliftController
metadata: {name: forklift-controller, namespace: demo}
spec: {precopy_interval_seconds: 3}
%s""" % (USER, PASSWORD, ca_block, vcsim["VCSIM_URL"], bundle, plans)


def vcsim_calls(vcsim):
    """the SOAP calls the simulator answered, by method (GET /ferry/stats)"""
    context = ssl.create_default_context(cafile=vcsim["VCSIM_CA"])
    url = vcsim["VCSIM_URL"].replace("/sdk", "/ferry/stats")
    with urllib.request.urlopen(url, context=context) as reply:
        return json.load(reply)["calls"]


def flat_file(vcsim, vm):
    return os.path.join(vcsim["VCSIM_DATASTORE_LocalDS_0"], vm, "disk1-flat.vmdk")


def write_at(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def bundle_disk(bundle, plan, vm):
    name = vm.lower().replace("_", "-")
    return os.path.join(bundle, "migrated", name, "%s-%s-disk-0.img" % (plan, name))


def provider_conditions(ferry, env):
    out = run(*ferry, "get", "provider", "vsphere-prod", "-o", "json", env=env).stdout
    status = json.loads(out).get("status", {})
    return status, {c["type"]: c for c in status.get("conditions", [])}


def check_provider_test(ferry, env, vcsim, manifest):
    """`ferry provider test`: the fingerprint of the simulator's certificate,
    recorded in the status with ConnectionTestSucceeded; wrong credentials
    give ConnectionAuthFailed and a clear error that never shows them."""
    der = ssl.PEM_cert_to_DER_cert(open(vcsim["VCSIM_CA"]).read())
    expected = ":".join("%02X" % b for b in hashlib.sha1(der).digest())
    result = run(*ferry, "provider", "test", "vsphere-prod", "-o", "json", env=env)
    report = json.loads(result.stdout)
    if report.get("fingerprint", "").upper() != expected or report.get("type") != "vsphere":
        sys.exit("provider test reported %s, expected fingerprint %s" % (report, expected))
    status, conditions = provider_conditions(ferry, env)
    if (status.get("fingerprint", "").upper() != expected or
            "ConnectionTestSucceeded" not in conditions or status.get("phase") != "Ready"):
        sys.exit("the connection test was not recorded: %s" % status)
    table = run(*ferry, "provider", "test", "vsphere-prod", env=env).stdout
    if expected.lower() not in table.lower():
        sys.exit("the fingerprint is not printed:\n" + table)

    wrong = "Wrong-Pa55-%d" % os.getpid()
    bad = open(manifest).read().replace("password: %s" % PASSWORD, "password: %s" % wrong)
    bad_path = manifest + ".bad"
    with open(bad_path, "w") as f:
        f.write(bad)
    run(*ferry, "apply", "-f", bad_path, env=env)
    failed = run(*ferry, "provider", "test", "vsphere-prod", check=False, env=env)
    if failed.returncode == 0 or wrong in failed.stdout + failed.stderr:
        sys.exit("a wrong password was accepted or shown:\n%s%s" % (failed.stdout,
                                                                    failed.stderr))
    if "password" not in failed.stderr.lower() and "credential" not in failed.stderr.lower():
        sys.exit("the error does not say what is wrong:\n" + failed.stderr)
    status, conditions = provider_conditions(ferry, env)
    if ("ConnectionAuthFailed" not in conditions or "ConnectionTestSucceeded" in conditions
            or status.get("phase") != "ConnectionFailed"):
        sys.exit("the failed connection test was not recorded: %s" % status)
    if wrong in json.dumps(status):
        sys.exit("the status shows the wrong password")
    run(*ferry, "apply", "-f", manifest, env=env)
    run(*ferry, "provider", "test", "vsphere-prod", env=env)


def main():
    if not VCSIM:
        if os.environ.get("CI") == "true":
            sys.exit("the vCenter simulator was not built; run scripts/install-deps")
        print("SKIP: the vCenter simulator was not built")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="ferry-e2e-vsphere-")
    vcsim = start_vcsim(work)
    watcher = CommandLineWatcher([PASSWORD], {vcsim["process"].pid, os.getpid()})
    watcher.start()
    try:
        bundle = os.path.join(work, "bundle")
        path = os.path.join(work, "vsphere.yaml")
        with open(path, "w") as f:
            f.write(manifests(vcsim, bundle))
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]

        def vm_doc(name):
            run(*ferry, "inventory", "refresh", "vsphere-prod", env=env)
            out = run(*ferry, "inventory", "vms", "vsphere-prod", "--query",
                      "where name = '%s'" % name, "-o", "json", env=env).stdout
            docs = json.loads(out)
            if len(docs) != 1:
                sys.exit("no single VM %s in the inventory: %s" % (name, out))
            return docs[0]

        def plan_status(name):
            out = run(*ferry, "get", "plan", name, "-o", "json", env=env).stdout
            return json.loads(out).get("status", {})

        def wait(what, condition, timeout=90):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if condition():
                    return
                time.sleep(0.2)
            sys.exit("timed out waiting for %s" % what)

        def interrupt(process, plan):
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                out, _ = process.communicate()
                describe = run(*ferry, "plan", "describe", plan, check=False, env=env)
                sys.exit("plan %s did not stop on SIGINT:\n%s\n%s%s" % (
                    plan, out, describe.stdout, describe.stderr))

        def plan_phase(name):
            conditions = plan_status(name).get("conditions", [])
            for phase in ("Succeeded", "Failed", "Canceled"):
                if any(c["type"] == phase and c["status"] == "True" for c in conditions):
                    return phase
            return None

        run(*ferry, "apply", "-f", path, env=env)
        check_provider_test(ferry, env, vcsim, path)
        # the inventory verbs work on the simulator
        run(*ferry, "inventory", "refresh", "vsphere-prod", env=env)
        listing = run(*ferry, "inventory", "vms", "vsphere-prod", "--query",
                      "where powerState = 'poweredOn' and len(disks) = 1 order by name",
                      env=env)
        if "DC0_H0_VM0" not in listing.stdout or "DC0_C0_RP0_VM1" not in listing.stdout:
            sys.exit("ferry inventory vms did not list the simulator's VMs:\n" +
                     listing.stdout + listing.stderr)

        # cold: the uploaded image comes out byte-identical
        image = os.urandom(DISK_MIB * MIB)
        with open(flat_file(vcsim, "DC0_H0_VM1"), "wb") as f:
            f.write(image)
        out = run(*ferry, "plan", "start", "cold", env=env).stdout
        if "Plan/cold: Succeeded" not in out:
            sys.exit("the cold plan did not succeed:\n" + out)
        if open(bundle_disk(bundle, "cold", "DC0_H0_VM1"), "rb").read() != image:
            sys.exit("the cold copy differs from the source disk")
        if vm_doc("DC0_H0_VM1")["powerState"] != "poweredOff":
            sys.exit("the cold plan left the source running")

        # warm: precopies of the changed areas while the disk changes
        source = flat_file(vcsim, "DC0_H0_VM0")
        with open(source, "wb") as f:
            f.write(os.urandom(DISK_MIB * MIB))
        key = vm_doc("DC0_H0_VM0")["disks"][0]["key"]
        script = os.path.join(vcsim["cbt"], "DC0_H0_VM0-%d.json" % key)
        changed = []
        warm = subprocess.Popen(ferry + ["plan", "start", "warm"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def successes():
            vms = plan_status("warm").get("migration", {}).get("vms", [])
            return vms[0].get("warm", {}).get("successes", 0) if vms else 0

        for precopy, (offset, length) in enumerate(((1 * MIB, 65536), (9 * MIB + 4096, 4096))):
            wait("precopy %d" % (precopy + 1), lambda: successes() >= precopy + 1)
            write_at(source, offset, os.urandom(length))
            # the areas since the first precopy: reporting an area twice is
            # harmless, missing one would not be
            changed.append([offset, length])
            with open(script, "w") as f:
                json.dump({"areas": changed}, f)
        wait("precopy 3", lambda: successes() >= 3)
        write_at(source, 12 * MIB, os.urandom(131072))
        changed.append([12 * MIB, 131072])
        with open(script, "w") as f:
            json.dump({"areas": changed}, f)
        # stop the run (as Ctrl-C would), cut over, and let `ferry run` finish
        interrupt(warm, "warm")
        run(*ferry, "plan", "cutover", "warm", env=env)
        out = run(*ferry, "run", env=env).stdout
        if plan_phase("warm") != "Succeeded":
            sys.exit("the warm plan did not succeed:\n" + out)
        if open(bundle_disk(bundle, "warm", "DC0_H0_VM0"), "rb").read() != \
                open(source, "rb").read():
            sys.exit("the warm copy differs from the source disk")
        doc = vm_doc("DC0_H0_VM0")
        if doc["snapshot"]["id"] != "":
            sys.exit("the warm plan left snapshot %s on the VM" % doc["snapshot"]["id"])
        precopies = plan_status("warm")["migration"]["vms"][0]["warm"]["precopies"]
        if len(precopies) < 3:
            sys.exit("expected at least 3 precopies, got %d" % len(precopies))
        # every precopy and the final copy asked the host what changed
        calls = vcsim_calls(vcsim)
        if calls.get("QueryChangedDiskAreas", 0) < len(precopies):
            sys.exit("expected a QueryChangedDiskAreas per precopy: %s" % calls)
        if calls.get("RemoveSnapshot_Task", 0) < len(precopies):
            sys.exit("expected every snapshot removed: %s" % calls)

        # cancel: slowed down, cancelled once the source is off
        with open(flat_file(vcsim, "DC0_C0_RP0_VM1"), "wb") as f:
            f.write(os.urandom(DISK_MIB * MIB))
        slow = subprocess.Popen(ferry + ["plan", "start", "cancelled"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def copying():
            vms = plan_status("cancelled").get("migration", {}).get("vms", [])
            return bool(vms) and vms[0].get("phase") == "CopyDisks"

        wait("the cancelled plan to copy", copying)
        interrupt(slow, "cancelled")
        if vm_doc("DC0_C0_RP0_VM1")["powerState"] != "poweredOff":
            sys.exit("the source was not powered off before the copy")
        run(*ferry, "plan", "cancel", "cancelled", "--vms", "DC0_C0_RP0_VM1", env=env)
        out = run(*ferry, "run", check=False, env=env).stdout
        if plan_phase("cancelled") != "Canceled":
            sys.exit("the plan was not cancelled:\n" + out)
        doc = vm_doc("DC0_C0_RP0_VM1")
        if doc["powerState"] != "poweredOn":
            sys.exit("the cancelled VM was not powered back on: " + doc["powerState"])
        if doc["snapshot"]["id"] != "":
            sys.exit("the cancelled plan left a snapshot")
        print("vsphere end to end: cold, warm (%d precopies) and cancel passed" % len(precopies))
        watcher.check()
    finally:
        watcher.stop.set()
        vcsim["process"].stdin.close()
        vcsim["process"].terminate()
        vcsim["process"].wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()

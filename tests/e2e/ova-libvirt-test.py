#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End to end through the ferry command into the libvirt destination: a
sample OVA, a libvirt Provider on libvirt's in-process test driver
(test:///default) with disks in a storageDir, `ferry apply` and `ferry plan
start`. Checks the plan succeeded, the VM's target is the libvirt domain,
and the disk file is byte-identical to the guest-visible source disk. The
test driver's domains live only as long as the ferry process; the boot
check on a real libvirtd is in plugins/libvirt/tests."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]

MANIFESTS = """apiVersion: v1
kind: Secret
metadata: {name: none, namespace: demo}
type: Opaque
stringData: {url: "file://%(ova)s"}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: ova-source, namespace: demo}
spec: {type: ova, url: "file://%(ova)s", secret: {name: none, namespace: demo}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kvm-host, namespace: demo}
spec:
  type: libvirt
  url: test:///default
  secret: {name: none, namespace: demo}
  settings: {storageDir: "%(images)s"}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: nets, namespace: demo}
spec:
  provider:
    source: {name: ova-source, namespace: demo}
    destination: {name: kvm-host, namespace: demo}
  map:
    - source: {name: VM Network}
      destination: {type: pod}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: disks, namespace: demo}
spec:
  provider:
    source: {name: ova-source, namespace: demo}
    destination: {name: kvm-host, namespace: demo}
  map:
    - source: {name: web-disk1.vmdk}
      destination: {storageClass: ""}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: to-libvirt, namespace: demo}
spec:
  targetNamespace: migrated
  skipGuestConversion: true
  targetPowerState: "on"
  provider:
    source: {name: ova-source, namespace: demo}
    destination: {name: kvm-host, namespace: demo}
  map:
    network: {name: nets, namespace: demo}
    storage: {name: disks, namespace: demo}
  vms:
    - name: web
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kvm-check, namespace: demo}
spec:
  type: libvirt
  url: test:///default
  secret: {name: none, namespace: demo}
  settings: {storageDir: "%(checked)s", verifyBootTimeout: "1"}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: checked, namespace: demo}
spec:
  targetNamespace: migrated
  skipGuestConversion: true
  verifyBoot: true
  provider:
    source: {name: ova-source, namespace: demo}
    destination: {name: kvm-check, namespace: demo}
  map:
    network: {name: nets, namespace: demo}
    storage: {name: disks, namespace: demo}
  vms:
    - name: web
"""


def run(*argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def main():
    work = tempfile.mkdtemp(prefix="ferry-e2e-libvirt-")
    try:
        ova_dir = os.path.join(work, "ova")
        images = os.path.join(work, "images")
        checked = os.path.join(work, "checked")
        state = os.path.join(work, "state")
        run(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir, "web")
        manifests = os.path.join(work, "manifests.yaml")
        with open(manifests, "w") as f:
            f.write(MANIFESTS % {"ova": ova_dir, "images": images, "checked": checked})
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", state, "-n", "demo"]
        run(*ferry, "apply", "-f", manifests, env=env)
        start = run(*ferry, "plan", "start", "to-libvirt", env=env)
        print(start.stdout)
        if "Plan/to-libvirt: Succeeded" not in start.stdout:
            sys.exit("the plan did not succeed:\n" + start.stdout)
        plan = json.loads(run(*ferry, "get", "plan", "to-libvirt", "-o", "json",
                              env=env).stdout)
        vms = plan["status"]["migration"]["vms"]
        if len(vms) != 1 or not any(c["type"] == "Succeeded" for c in vms[0]["conditions"]):
            sys.exit("the VM did not succeed: %s" % json.dumps(vms, indent=1))
        files = sorted(os.listdir(images))
        if len(files) != 1 or not files[0].endswith(".img"):
            sys.exit("expected one disk image in %s: %s" % (images, files))
        run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw",
            os.path.join(images, files[0]), os.path.join(ova_dir + ".expected", "web.raw"))
        print("the OVA's disk is in %s, identical; the domain was defined" % files[0])

        # a boot check the test driver cannot pass (no console, no guest
        # agent): the VM fails with BootFailed and its disk is removed
        result = subprocess.run(ferry + ["plan", "start", "checked"], capture_output=True,
                                text=True, env=env)
        print(result.stdout, result.stderr)
        if result.returncode == 0 or "Plan/checked: Failed" not in result.stdout:
            sys.exit("the plan with a failing boot check did not fail")
        if "warning" in result.stderr:
            sys.exit("the clean-up after the failure was not clean:\n" + result.stderr)
        plan = json.loads(run(*ferry, "get", "plan", "checked", "-o", "json",
                              env=env).stdout)
        vm = plan["status"]["migration"]["vms"][0]
        check = vm.get("bootVerification", {})
        if check.get("booted") is not False or check.get("reason") != "TimedOut":
            sys.exit("expected a failed boot check: %s" % json.dumps(vm, indent=1))
        failed = [c for c in vm["conditions"] if c["type"] == "BootFailed"]
        if not failed or "did not show that it booted" not in failed[0]["message"]:
            sys.exit("expected a BootFailed condition: %s" % json.dumps(vm, indent=1))
        left = [f for f in os.listdir(checked) if f.endswith(".img")]
        if left:
            sys.exit("the failed VM's disk was left behind: %s" % left)
        print("the failed boot check failed the VM and removed its disk")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's main job, end to end, as a user runs it: the test guest's OVA
(scripts/make-test-guest: a real Debian 12 guest) with the manifests of
examples/quickstart/, through the `ferry` command:

- guest-to-bundle: virt-v2v reads the OVA and writes the converted disk into
  the KubeVirt bundle; the VM status names the guest's operating system, the
  bundle labels it converted, virt-v2v's first-boot service is in the
  converted disk (and not in the source), its log is kept, and the copy's
  progress was reported;
- guest-to-libvirt: the same conversion into a libvirt domain on
  qemu:///system, then the boot check: the converted guest boots under
  software emulation and prints its marker on the serial console.

Slow (two conversions and a boot under TCG, several minutes): meson suite
`real-guest`. Under CI=true nothing here may skip.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
CI = os.environ.get("CI") == "true"
STARTED = time.monotonic()
# each conversion and the boot check are bounded well inside meson's limit,
# so a stalled step fails with its own message and the state of the machine
CONVERSION_TIMEOUT = 780
STEP_TIMEOUT = 1100
WORK = None


def step(text):
    """A timestamped line: meson prints them when the test fails or times out."""
    print("[%5.0f s] %s" % (time.monotonic() - STARTED, text), flush=True)


def diagnose():
    """What was running, and the end of each virt-v2v log, after a failure."""
    ps = subprocess.run(["ps", "-eo", "pid,ppid,etime,time,stat,args", "--sort=start_time"],
                        capture_output=True, text=True).stdout
    print("--- processes (qemu, virt-v2v, ferry, libvirtd) ---")
    for line in ps.splitlines()[1:]:
        if any(word in line for word in ("qemu", "virt-v2v", "ferry", "libvirtd", "nbdkit",
                                         "guestfish", "supermin")):
            print(line[:300])
    load = open("/proc/loadavg").read().strip()
    print("--- load average: %s ---" % load)
    if WORK is not None:
        for log in sorted(glob.glob(os.path.join(WORK, "state", "work", "*", "*",
                                                 "virt-v2v.log"))):
            lines = open(log, errors="replace").read().splitlines()
            print("--- the last lines of %s ---" % log)
            print("\n".join(lines[-40:]))
    sys.stdout.flush()


def skip(reason):
    if CI:
        sys.exit("cannot run in CI: " + reason)
    print("SKIP: " + reason)
    sys.exit(77)


def run(*argv, check=True, timeout=STEP_TIMEOUT, **kwargs):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                **kwargs)
    except subprocess.TimeoutExpired as e:
        diagnose()
        sys.exit("%s did not end within %d s:\n%s%s" % (
            " ".join(argv), timeout, e.stdout or "", e.stderr or ""))
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def vm_status(ferry, env, plan):
    out = run(*ferry, "get", "plan", plan, "-o", "json", env=env).stdout
    vms = json.loads(out).get("status", {}).get("migration", {}).get("vms", [])
    if len(vms) != 1:
        sys.exit("plan %s: expected one VM in the status: %s" % (plan, out))
    return vms[0]


def conditions(vm):
    return {c["type"]: c for c in vm.get("conditions", [])}


def main():
    for tool in ("virt-v2v", "virsh", "qemu-img"):
        if shutil.which(tool) is None:
            skip("%s is not installed (scripts/install-deps)" % tool)
    if os.geteuid() != 0:
        skip("the test guest and libvirtd need root")
    global WORK
    step("building or finding the test guest")
    guest = run(os.path.join(SOURCE_ROOT, "scripts", "make-test-guest")).stdout.strip()
    image = run(os.path.join(SOURCE_ROOT, "scripts", "make-test-guest"),
                "--image").stdout.strip()
    run(os.path.join(SOURCE_ROOT, "scripts", "libvirtd"), "start")

    work = tempfile.mkdtemp(prefix="ferry-real-guest-", dir="/var/tmp")
    WORK = work
    # QEMU runs as its own user under qemu:///system: it must reach the disks
    os.chmod(work, 0o755)
    # its own target name, so a quickstart's domain is left alone
    domain = "ferry-e2e-guest"
    try:
        os.makedirs(os.path.join(work, "ova"))
        os.makedirs(os.path.join(work, "libvirt"))
        os.link(guest, os.path.join(work, "ova", os.path.basename(guest)))
        manifests = os.path.join(work, "manifests")
        os.makedirs(manifests)
        for path in sorted(glob.glob(os.path.join(SOURCE_ROOT, "examples", "quickstart",
                                                  "*.yaml"))):
            text = open(path).read().replace("/var/tmp/ferry-quickstart", work)
            text = text.replace("    - name: ferry-test-guest\n",
                                "    - name: ferry-test-guest\n      targetName: %s\n" % domain)
            with open(os.path.join(manifests, os.path.basename(path)), "w") as f:
                f.write(text)
        env = dict(os.environ, FERRY_NO_TTY="1", FERRY_V2V_TIMEOUT=str(CONVERSION_TIMEOUT))
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "quickstart"]
        run(*ferry, "apply", "-f", manifests, env=env)

        # into the bundle, converted
        step("guest-to-bundle: converting")
        out = run(*ferry, "plan", "start", "guest-to-bundle", check=False, env=env)
        vm = vm_status(ferry, env, "guest-to-bundle")
        if "Succeeded" not in conditions(vm):
            diagnose()
            sys.exit("guest-to-bundle did not succeed:\n%s%s\n%s" % (
                out.stdout, out.stderr, json.dumps(vm, indent=1)))
        steps = [s["name"] for s in vm.get("pipeline", [])]
        if "DiskTransferV2v" not in steps:
            sys.exit("the copy did not go through virt-v2v: %s" % steps)
        if "debian" not in json.dumps(vm.get("operatingSystem", "")).lower():
            sys.exit("the conversion did not record the guest: %s" % vm.get("operatingSystem"))
        folder = os.path.join(work, "bundle", "migrated", domain)
        vm_yaml = open(os.path.join(folder, "vm.yaml")).read()
        if 'guestConverted: "true"' not in vm_yaml and "guestConverted: 'true'" not in vm_yaml:
            sys.exit("the bundle does not label the VM converted:\n" + vm_yaml)
        disks = glob.glob(os.path.join(folder, "*.img"))
        if len(disks) != 1:
            sys.exit("expected one disk image in %s: %s" % (folder, os.listdir(folder)))
        # virt-v2v's first-boot service is in the converted guest, not in the source
        step("guest-to-bundle: succeeded; reading the converted disk")
        env_fs = dict(os.environ, LIBGUESTFS_BACKEND="direct",
                      LIBGUESTFS_BACKEND_SETTINGS="force_tcg")
        probe = "is-file /usr/lib/virt-sysprep/firstboot.sh\n"
        for disk, want in ((disks[0], "true"), (image, "false")):
            out = run("guestfish", "--ro", "--format=raw", "-a", disk, "-m", "/dev/sda1",
                      input=probe, env=env_fs).stdout.strip()
            if out != want:
                sys.exit("%s: virt-v2v's first-boot script present: %s, expected %s" % (
                    disk, out, want))
        # virt-v2v's log is kept with the migration's work files
        logs = glob.glob(os.path.join(work, "state", "work", "*", "*", "virt-v2v.log"))
        if not logs or "debian" not in open(logs[0], errors="replace").read().lower():
            sys.exit("virt-v2v's log was not kept: %s" % logs)
        steps = {s["name"]: s for s in vm.get("pipeline", [])}
        transfer = steps["DiskTransferV2v"].get("progress", {})
        if transfer.get("total", 0) == 0 or transfer.get("completed") != transfer.get("total"):
            sys.exit("the conversion's progress was not reported: %s" % transfer)

        # onto libvirt, converted, and booted
        step("guest-to-libvirt: converting, then the boot check")
        out = run(*ferry, "plan", "start", "guest-to-libvirt", check=False, env=env)
        vm = vm_status(ferry, env, "guest-to-libvirt")
        boot = vm.get("bootVerification", {})
        if "Succeeded" not in conditions(vm) or not boot.get("booted"):
            diagnose()
            sys.exit("guest-to-libvirt did not boot:\n%s%s\n%s" % (
                out.stdout, out.stderr, json.dumps(vm, indent=1)))
        if "BootVerified" not in conditions(vm):
            sys.exit("no BootVerified condition: %s" % vm.get("conditions"))
        console = boot.get("consoleLog", "")
        if not os.path.isfile(console) or "ferry-test-guest: booted" not in open(
                console, errors="replace").read():
            sys.exit("the console log %r does not show the boot marker" % console)
        state = run("virsh", "-c", "qemu:///system", "domstate", domain).stdout.strip()
        if state != "shut off":
            sys.exit("after the boot check the domain is %r, not shut off" % state)
        xml = run("virsh", "-c", "qemu:///system", "dumpxml", domain).stdout
        if "bus='virtio'" not in xml or work not in xml:
            sys.exit("the domain does not use the converted disk on virtio:\n" + xml)
        step("converted into the bundle and onto libvirt; booted in %s s" % boot.get("seconds"))
    finally:
        run("virsh", "-c", "qemu:///system", "destroy", domain, check=False)
        run("virsh", "-c", "qemu:///system", "undefine", "--nvram", domain, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

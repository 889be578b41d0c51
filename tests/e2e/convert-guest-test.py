#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ferry convert` really converts: the test guest's raw disk (scripts/
make-test-guest --image: a real Debian 12 guest), copied sparse as disk.img
into a folder as a Filesystem PVC holds it, converted in place by the verb a
conversion pod runs, through the virt-v2v plugin:

- the result line says Succeeded and names the guest (Debian) and its
  firmware (bios), under the names the engine stores in the VM status, and
  the same line is in --result-file (a pod's termination message);
- progress lines came before it, with virt-v2v's stages;
- virt-v2v's first-boot script is now in the disk (and not in the source);
- virt-v2v's log is in the work folder.

Slow (one conversion under TCG, minutes): meson suite `real-guest`. Under
CI=true nothing here may skip. Bad descriptions: tests/convert-cli-test.py.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
CI = os.environ.get("CI") == "true"


def skip(reason):
    if CI:
        sys.exit("cannot run in CI: " + reason)
    print("SKIP: " + reason)
    sys.exit(77)


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def has_firstboot(disk, env):
    return run("guestfish", "--ro", "--format=raw", "-a", disk, "-m", "/dev/sda1",
               input="is-file /usr/lib/virt-sysprep/firstboot.sh\n",
               env=env).stdout.strip()


def main():
    for tool in ("virt-v2v-in-place", "guestfish", "qemu-img"):
        if shutil.which(tool) is None:
            skip("%s is not installed (scripts/install-deps)" % tool)
    if os.geteuid() != 0:
        skip("the test guest needs root")
    image = run(os.path.join(SOURCE_ROOT, "scripts", "make-test-guest"),
                "--image").stdout.strip()

    work = tempfile.mkdtemp(prefix="ferry-convert-guest-", dir="/var/tmp")
    try:
        # the PVC's folder, as the conversion pod mounts a Filesystem PVC
        volume = os.path.join(work, "volume")
        os.makedirs(volume)
        disk = os.path.join(volume, "disk.img")
        run("cp", "--sparse=always", image, disk)
        size = os.path.getsize(disk)
        description = os.path.join(work, "description.json")
        with open(description, "w") as f:
            json.dump({
                "vm": {"name": "ferry-test-guest", "namespace": "convert-guest",
                       "firmware": {"type": "bios"},
                       "disks": [{"name": "disk-0", "capacity": size, "format": "raw"}]},
                "disks": [{"path": volume, "format": "raw"}],
                "workDir": os.path.join(work, "work"),
            }, f)
        result_file = os.path.join(work, "termination-log")
        env = dict(os.environ, FERRY_NO_TTY="1")
        out = run(FERRY, "convert", "--description", description, "--progress-interval", "2",
                  "--result-file", result_file, check=False, env=env, timeout=3600)
        lines = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
        if not lines:
            sys.exit("ferry convert printed nothing (%d):\n%s" % (out.returncode, out.stderr))
        result = lines[-1]
        if out.returncode != 0 or result.get("result") != "Succeeded":
            sys.exit("ferry convert failed (%d):\n%s\n%s" % (out.returncode, out.stdout,
                                                             out.stderr))
        if "debian" not in result.get("operatingSystem", "").lower():
            sys.exit("the result does not name the guest: %s" % result)
        if result.get("firmware") != "bios" or result.get("method") != "virt-v2v":
            sys.exit("unexpected firmware or method: %s" % result)
        if not result.get("detectedBootDisk", "").startswith("/dev/"):
            sys.exit("no boot disk in the result: %s" % result)
        if json.loads(open(result_file).read()) != result:
            sys.exit("--result-file does not hold the result line: %s" % open(result_file).read())
        stages = {l.get("stage") for l in lines[:-1] if l.get("event") == "progress"}
        if not stages - {None}:
            sys.exit("no progress line named a stage: %s" % lines[:-1])
        print("ok - converted: %s" % json.dumps(result))

        env_fs = dict(os.environ, LIBGUESTFS_BACKEND="direct",
                      LIBGUESTFS_BACKEND_SETTINGS="force_tcg")
        for path, want in ((disk, "true"), (image, "false")):
            found = has_firstboot(path, env_fs)
            if found != want:
                sys.exit("%s: virt-v2v's first-boot script present: %s, expected %s" % (
                    path, found, want))
        print("ok - virt-v2v's first-boot script is in the converted disk only")
        log = os.path.join(work, "work", "virt-v2v.log")
        if not os.path.isfile(log) or "debian" not in open(log, errors="replace").read().lower():
            sys.exit("virt-v2v's log is not in the work folder: %s" % os.listdir(
                os.path.join(work, "work")))
        print("ok - virt-v2v's log is in the work folder")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End to end, as a user runs it: sample OVAs in a directory, the manifests
of examples/ova/ (paths rewritten into a temporary directory), `ferry apply`
and `ferry plan start`, with an in-flight limit of one VM. Checks the plan
succeeded, every VM waited its turn, the bundle has a VirtualMachine and a
DataVolume per disk, and every disk is byte-identical to the guest-visible
source disk (qemu-img compare)."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]


def run(*argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def main():
    work = tempfile.mkdtemp(prefix="ferry-e2e-")
    try:
        ova_dir = os.path.join(work, "ova")
        bundle = os.path.join(work, "bundle")
        state = os.path.join(work, "state")
        manifests = os.path.join(work, "manifests")
        os.mkdir(manifests)
        run(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir, "web", "db", "app")
        for path in glob.glob(os.path.join(SOURCE_ROOT, "examples", "ova", "*.yaml")):
            text = open(path).read()
            text = text.replace("/var/tmp/ferry-example/ova", ova_dir)
            text = text.replace("/var/tmp/ferry-example/bundle", bundle)
            # app names its volume and interface by templates (Forklift's
            # volumeNameTemplate and networkNameTemplate, per VM); the others
            # keep the defaults vol-N and net-N
            text = text.replace("    - name: db\n", "    - name: db\n    - name: app\n"
                                "      volumeNameTemplate: '{{.PVCName | trunc 20}}-v{{.VolumeIndex}}'\n"
                                "      networkNameTemplate: '{{lower .NetworkType}}-{{.NetworkIndex}}'\n")
            text = text.replace("""    - source:
        name: db-disk1.vmdk""", """    - source:
        name: app-disk1.vmdk
      destination:
        storageClass: standard
    - source:
        name: db-disk1.vmdk""")
            with open(os.path.join(manifests, os.path.basename(path)), "w") as f:
                f.write(text)
        with open(os.path.join(manifests, "30-settings.yaml"), "w") as f:
            f.write("""apiVersion: forklift.konveyor.io/v1beta1
kind: ForkliftController
metadata: {name: forklift-controller, namespace: demo}
spec: {controller_max_vm_inflight: 1}
""")
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", state, "-n", "demo"]
        run(*ferry, "apply", "-f", manifests, env=env)
        start = run(*ferry, "plan", "start", "ova-to-bundle", env=env)
        print(start.stdout)
        if "Plan/ova-to-bundle: Succeeded" not in start.stdout:
            sys.exit("the plan did not succeed:\n" + start.stdout)
        # one VM at a time: a VM finished before the next one started copying
        # (its phase Completed: the in-flight limit counts it out there; the
        # Succeeded line may come after the next VM has started)
        lines = start.stdout.splitlines()
        copies = [i for i, line in enumerate(lines) if line.endswith(": CopyDisks")]
        done = [i for i, line in enumerate(lines) if line.endswith(": Completed")]
        if len(copies) != 3 or not (copies[0] < done[0] < copies[1] < done[1] < copies[2]):
            sys.exit("the in-flight limit of 1 was not kept:\n" + start.stdout)

        plan = json.loads(run(*ferry, "get", "plan", "ova-to-bundle", "-o", "json",
                              env=env).stdout)
        vms = plan["status"]["migration"]["vms"]
        if len(vms) != 3 or not all(any(c["type"] == "Succeeded" for c in v["conditions"])
                                    for v in vms):
            sys.exit("not every VM succeeded: %s" % json.dumps(vms, indent=1))

        for name in ("web", "db", "app"):
            folder = os.path.join(bundle, "migrated", name)
            with open(os.path.join(folder, "vm.yaml")) as f:
                vm = yaml.safe_load(f)
            if vm["kind"] != "VirtualMachine" or vm["metadata"]["name"] != name:
                sys.exit("%s: unexpected vm.yaml: %s" % (name, vm))
            # a raw copy (skipGuestConversion) is labelled as not converted
            if vm["metadata"]["labels"].get("guestConverted") != "false":
                sys.exit("%s: a raw copy must be labelled guestConverted=false: %s" % (
                    name, vm["metadata"]["labels"]))
            domain = vm["spec"]["template"]["spec"]["domain"]
            if domain["cpu"]["sockets"] * domain["cpu"]["cores"] != 2:
                sys.exit("%s: expected 2 vCPUs: %s" % (name, domain["cpu"]))
            interfaces = domain["devices"]["interfaces"]
            if not interfaces or "macAddress" not in interfaces[0]:
                sys.exit("%s: the NIC lost its MAC: %s" % (name, interfaces))
            template = vm["spec"]["template"]["spec"]
            volume = template["volumes"][0]
            want_volume = ("%s-v0" % volume["dataVolume"]["name"][:20]) if name == "app" \
                else "vol-0"
            want_net = "pod-0" if name == "app" else "net-0"
            if volume["name"] != want_volume or domain["devices"]["disks"][0]["name"] != \
                    want_volume:
                sys.exit("%s: volume named %s, expected %s" % (name, volume["name"],
                                                               want_volume))
            if interfaces[0]["name"] != want_net or template["networks"][0]["name"] != want_net:
                sys.exit("%s: interface named %s, expected %s" % (name, interfaces[0]["name"],
                                                                  want_net))
            dvs = glob.glob(os.path.join(folder, "dv-*.yaml"))
            images = glob.glob(os.path.join(folder, "*.img"))
            if len(dvs) != 1 or len(images) != 1:
                sys.exit("%s: expected one DataVolume and one image: %s %s" % (name, dvs,
                                                                               images))
            with open(dvs[0]) as f:
                dv = yaml.safe_load(f)
            if dv["kind"] != "DataVolume":
                sys.exit("%s: not a DataVolume: %s" % (name, dv))
            run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", images[0],
                os.path.join(ova_dir + ".expected", name + ".raw"))
        print("3 OVAs migrated one at a time into the bundle; disks identical")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

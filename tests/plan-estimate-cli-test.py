#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ferry plan estimate` on a plan of real OVAs (scripts/make-sample-ova:
256 MiB disks holding 4 MiB of data, stream-optimised VMDKs) into a KubeVirt
bundle, as a user runs it:

- the bytes to move per VM and for the plan equal the allocated size of the
  guest-visible disk files the OVAs were made from (not their capacity), and
  the PVC requests are the capacity with Forklift's 10 % filesystem overhead;
- with --throughput the times are the bytes at that rate; without one, and
  before any copy, the time is unknown and the table says how to give one;
- after the plan ran, the estimate uses the rate recorded by that run, and
  what the copies wrote into the bundle (allocated bytes of its images) is
  what the estimate predicted;
- an unknown plan, and a plan whose VMs are not in the inventory, fail with
  a non-zero status and a message naming the object and the fix;
- -o json and -o yaml print the same estimate.
"""

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
MiB = 1 << 20
VMS = ("web", "db", "app")


def allocated(path):
    return os.stat(path).st_blocks * 512


def main():
    work = tempfile.mkdtemp(prefix="ferry-estimate-")
    try:
        ova_dir = os.path.join(work, "ova")
        bundle = os.path.join(work, "bundle")
        manifests = os.path.join(work, "manifests")
        os.mkdir(manifests)
        subprocess.run([os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir]
                       + list(VMS), check=True)
        for path in glob.glob(os.path.join(SOURCE_ROOT, "examples", "ova", "*.yaml")):
            text = open(path).read()
            text = text.replace("/var/tmp/ferry-example/ova", ova_dir)
            text = text.replace("/var/tmp/ferry-example/bundle", bundle)
            text = text.replace("    - name: db\n", "    - name: db\n    - name: app\n")
            text = text.replace("""    - source:
        name: db-disk1.vmdk""", """    - source:
        name: app-disk1.vmdk
      destination:
        storageClass: standard
    - source:
        name: db-disk1.vmdk""")
            with open(os.path.join(manifests, os.path.basename(path)), "w") as f:
                f.write(text)
        # a plan naming VMs the OVA directory does not hold
        with open(os.path.join(manifests, "40-ghost.yaml"), "w") as f:
            f.write(open(os.path.join(manifests, "20-plan.yaml")).read()
                    .replace("name: ova-to-bundle", "name: ghosts")
                    .replace("    - name: web\n", "    - name: nobody\n    - id: vm-404\n"))
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]

        def run(*argv, status=0):
            result = subprocess.run(ferry + list(argv), capture_output=True, text=True,
                                    env=env, timeout=300)
            if result.returncode != status:
                sys.exit("ferry %s: exit %d, expected %d:\n%s%s" % (
                    " ".join(argv), result.returncode, status, result.stdout, result.stderr))
            return result

        run("apply", "-f", manifests)
        raw = {name: os.path.join(ova_dir + ".expected", name + ".raw") for name in VMS}
        want_bytes = {name: allocated(raw[name]) for name in VMS}
        capacity = os.stat(raw["web"]).st_size
        # Forklift's PVC size: the capacity (a whole MiB here) / (1 - 10 %)
        want_request = -(-capacity * 10 // 9)
        for name in VMS:
            if not 0 < want_bytes[name] < capacity:
                sys.exit("%s.raw is not sparse (%d of %d bytes): the test proves nothing"
                         % (name, want_bytes[name], capacity))

        # before any copy: no rate known
        estimate = json.loads(run("plan", "estimate", "ova-to-bundle", "-o", "json").stdout)
        vms = {vm["name"]: vm for vm in estimate["vms"]}
        if sorted(vms) != sorted(VMS):
            sys.exit("the estimate lists %s, expected %s" % (sorted(vms), sorted(VMS)))
        for name in VMS:
            vm = vms[name]
            if vm["bytes"] != want_bytes[name] or vm["basis"] != "allocated":
                sys.exit("%s: %d bytes to move (%s), but %s has %d bytes allocated" % (
                    name, vm["bytes"], vm["basis"], raw[name], want_bytes[name]))
            if vm["capacity"] != capacity or vm["destinationBytes"] != want_request:
                sys.exit("%s: capacity %d, destination %d; expected %d and %d" % (
                    name, vm["capacity"], vm["destinationBytes"], capacity, want_request))
            if vm["seconds"] is not None:
                sys.exit("%s: a time without a known rate: %s" % (name, vm))
        if estimate["bytes"] != sum(want_bytes.values()) or \
                estimate["destinationBytes"] != 3 * want_request or \
                estimate["filesystemOverhead"] != "10" or \
                estimate["destinationType"] != "openshift" or \
                estimate["throughput"]["source"] != "none":
            sys.exit("plan totals wrong: %s" % json.dumps(estimate, indent=1))
        print("ok - bytes to move are the disks' allocated bytes; PVC requests +10 %")
        table = run("plan", "estimate", "ova-to-bundle").stdout
        if "(plan)" not in table or "--throughput" not in table or "allocated" not in table:
            sys.exit("the table lacks the plan row or the hint:\n" + table)
        print("ok - the table says the time is unknown and how to give a rate")

        # a given rate
        given = yaml.safe_load(run("plan", "estimate", "ova-to-bundle", "--throughput",
                                   "200MiB/s", "-o", "yaml").stdout)
        for vm in given["vms"]:
            if abs(vm["seconds"] - want_bytes[vm["name"]] / (200 * MiB)) > 1e-9:
                sys.exit("%s: %s s at 200 MiB/s" % (vm["name"], vm["seconds"]))
        if given["throughput"] != {"bytesPerSecond": 200 * MiB, "source": "given"} or \
                abs(given["seconds"] - sum(want_bytes.values()) / (200 * MiB)) > 1e-9:
            sys.exit("plan time at 200 MiB/s wrong: %s" % given)
        print("ok - --throughput 200MiB/s: times are bytes / rate (-o yaml)")

        # the library through GObject Introspection: the same estimate
        if os.environ.get("GI_TYPELIB_PATH"):
            import gi
            gi.require_version("Ferry", "1.0")
            gi.require_version("Json", "1.0")
            from gi.repository import Ferry, Json
            registry = Ferry.PluginRegistry.new()
            registry.load()
            runner = Ferry.Runner.new(os.path.join(work, "state"), registry)
            node = Json.Node.alloc().init_object(
                runner.estimate_plan("demo", "ova-to-bundle", 200 * MiB, None))
            through_gi = json.loads(Json.to_string(node, False))
            if through_gi != given:
                sys.exit("Ferry.Runner.estimate_plan() differs from the CLI:\n%s\n%s" % (
                    through_gi, given))
            print("ok - Ferry.Runner.estimate_plan() through GI gives the CLI's estimate")

        # bad input
        result = run("plan", "estimate", "nope", status=3)
        if "nope" not in result.stderr or "ferry get plans" not in result.stderr:
            sys.exit("an unknown plan: the error must name it and say how to list "
                     "plans:\n" + result.stderr)
        result = run("plan", "estimate", "ghosts", status=3)
        for word in ("Plan/ghosts", "nobody", "vm-404", "ferry inventory refresh ova-source"):
            if word not in result.stderr:
                sys.exit("VMs not in the inventory: the error does not say '%s':\n%s"
                         % (word, result.stderr))
        result = run("plan", "estimate", "ova-to-bundle", "--throughput", "fast", status=2)
        if "--throughput fast" not in result.stderr:
            sys.exit("a bad --throughput: " + result.stderr)
        print("ok - unknown plan (exit 3), unknown VMs (exit 3), bad rate (exit 2)")

        # run the plan: the estimate now uses its rate, and the bundle holds
        # what the estimate said would move
        start = run("plan", "start", "ova-to-bundle")
        if "Plan/ova-to-bundle: Succeeded" not in start.stdout:
            sys.exit("the plan did not succeed:\n" + start.stdout)
        after = json.loads(run("plan", "estimate", "ova-to-bundle", "-o", "json").stdout)
        throughput = after["throughput"]
        recorded = throughput.get("recorded", {})
        if throughput["source"] != "recorded" or recorded.get("plan") != "ova-to-bundle" or \
                recorded.get("copies") != 3 or recorded.get("bytes") != estimate["bytes"]:
            sys.exit("the rate of the run is not the one used: %s" % json.dumps(throughput))
        rate = throughput["bytesPerSecond"]
        if rate <= 0 or abs(after["seconds"] - after["bytes"] / rate) > 1e-6:
            sys.exit("plan time at the recorded rate wrong: %s" % json.dumps(after))
        table = run("plan", "estimate", "ova-to-bundle").stdout
        if "Plan/ova-to-bundle" not in table or "last migration" not in table:
            sys.exit("the table does not say where the rate comes from:\n" + table)
        for name in VMS:
            images = glob.glob(os.path.join(bundle, "migrated", name, "*.img"))
            if len(images) != 1:
                sys.exit("%s: expected one image in the bundle: %s" % (name, images))
            if allocated(images[0]) != vms[name]["bytes"]:
                sys.exit("%s: the bundle's image has %d bytes allocated, the estimate said "
                         "%d" % (name, allocated(images[0]), vms[name]["bytes"]))
        print("ok - after the run: the recorded rate (%.0f MiB/s over %d copies) is used, "
              "and each image holds the estimated bytes" % (rate / MiB, recorded["copies"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

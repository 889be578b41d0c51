#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ferry's validation verdicts against Forklift's own Rego policies
(../shared/testdata/forklift-rego, Forklift v2.12.5, test input only), run
by Open Policy Agent built from Go modules (scripts/compat-peers).

The VM documents: the vCenter simulator's inventory and the OVFs of
../shared/testdata/ovf as Ferry serves them (`ferry inventory vms`, with
the concerns of all of Ferry's validators), and generated edge-case VMs per
provider (a real document of that provider, changed so that each of
Forklift's rules fires on one VM and stays silent on the others), judged by
Ferry's rules (Ferry.RulesValidator). For every VM the set of (concern id,
category) must be the same, except the deliberate differences of
docs/rules.md (DELIBERATE below). Prints the agreement figure and, per
Forklift rule, how often it fired and stayed silent; every rule must do
both at least once.

oVirt and OpenStack: Ferry has no such provider plugin yet, so their
policies are not compared (said in the output)."""

import copy
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compat_common as common  # noqa: E402

MIB = 1 << 20
GIB = 1 << 30

# Ferry's provider type -> Forklift's policy package
PACKAGES = {"vsphere": "vmware", "ova": "ova"}

# Deliberate differences (docs/rules.md, "Compared with Forklift's policies"):
# concern id -> the reason; a VM whose only differences are these agrees.
DELIBERATE = {
}


def rules_of(rego_dir, package):
    """The concern ids a package's rule files declare (from their text)."""
    ids = set()
    folder = os.path.join(rego_dir, "io", "konveyor", "forklift", package)
    for name in os.listdir(folder):
        if not name.endswith(".rego") or name.endswith("_test.rego"):
            continue
        with open(os.path.join(folder, name)) as f:
            for line in f:
                line = line.strip()
                if line.startswith('"id":'):
                    ids.add(line.split('"')[3])
    return ids


def opa_concerns(opa, rego_dir, package, docs, tmp):
    """Forklift's concerns of each document: {(id, category)} per VM."""
    input_path = os.path.join(tmp, "input.json")
    with open(input_path, "w") as f:
        json.dump({"vms": docs}, f)
    query = ("[[{\"id\": c.id, \"category\": c.category} | some c in cs] | "
             "some vm in input.vms; cs := data.io.konveyor.forklift.%s.concerns "
             "with input as vm]" % package)
    folder = os.path.join(rego_dir, "io", "konveyor", "forklift", package)
    files = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".rego") and not name.endswith("_test.rego"):
            files += ["-d", os.path.join(folder, name)]
    result = subprocess.run([opa, "eval", "-f", "json", "-i", input_path, *files, query],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("opa eval failed:\n" + result.stdout[-2000:] + result.stderr[-2000:])
    value = json.loads(result.stdout)["result"][0]["expressions"][0]["value"]
    return [{(c["id"], c["category"]) for c in concerns} for concerns in value]


def ferry_concerns(doc):
    return {(c["id"], c["category"]) for c in doc.get("concerns") or []}


COMPUTED = ("concerns", "memoryGB", "storageUsedGB", "diskCapacity", "criticalConcerns",
            "warningConcerns", "infoConcerns", "concernsHuman", "powerStateHuman", "provider")


def store_edges(inventory, provider, objects):
    """Adds generated objects [(kind, document)] to a provider's inventory
    (through libferry, GI), where `ferry inventory vms` judges them with
    all of Ferry's validators, as it does the provider's own VMs."""
    store = inventory.gi_inventory()
    if store is None:
        sys.exit("libferry's GI bindings are needed (python3-gi, the Ferry typelib)")
    from gi.repository import Json
    store.begin_update(provider, False)
    for kind, doc in objects:
        parsed = Json.from_string(json.dumps(doc))
        store.upsert(kind, doc["id"], doc.get("name"), None, parsed.get_object())
    store.commit_update()


def vsphere_edges(base, hosts, clusters):
    """Edge-case VMs from a vSphere document: (name, changes) where changes
    is a function of a copy of the document."""
    disk = base["disks"][0] if base.get("disks") else {}

    def with_disk(**fields):
        def change(vm):
            vm["disks"] = [dict(copy.deepcopy(disk), **fields)] + vm.get("disks", [])[1:]
        return change

    def set_(**fields):
        def change(vm):
            vm.update(copy.deepcopy(fields))
        return change

    def cluster(**fields):
        """A host of its own in a cluster of its own with these fields."""
        def change(vm):
            host = copy.deepcopy(hosts[vm["host"]])
            group = copy.deepcopy(clusters[host["cluster"]])
            group.update(id="edge-cluster-" + vm["id"], name="edge-cluster-" + vm["id"])
            group.update(copy.deepcopy(fields))
            if callable(fields.get("hostAffinityVms")):
                group["hostAffinityVms"] = fields["hostAffinityVms"](vm)
            host.update(id="edge-host-" + vm["id"], name="edge-host-" + vm["id"],
                        cluster=group["id"])
            host["parent"] = {"kind": "Cluster", "id": group["id"]}
            vm["host"] = host["id"]
            return [("cluster", group), ("host", host)]
        return change

    def guest_disks(*disks):
        return set_(guestDisks=[dict(d) for d in disks])

    def many_disks(vm):
        vm["disks"] = [dict(copy.deepcopy(disk), key=2000 + i, unitNumber=i % 15)
                       for i in range(166)]

    return [
        ("cbt-on", set_(changeTrackingEnabled=True)),
        ("cbt-off", set_(changeTrackingEnabled=False)),
        ("disk-cbt-on", with_disk(changeTrackingEnabled=True)),
        ("disk-cbt-off", with_disk(changeTrackingEnabled=False)),
        ("consolidation", set_(consolidationNeeded=True)),
        ("cpu-affinity", set_(cpuAffinity=[0, 1])),
        ("cpu-hot-add", set_(cpuHotAddEnabled=True)),
        ("cpu-hot-remove", set_(cpuHotRemoveEnabled=True)),
        ("memory-hot-add", set_(memoryHotAddEnabled=True)),
        ("no-datastore", with_disk(datastore={"kind": "Datastore", "id": ""})),
        ("166-disks", many_disks),
        ("independent-disk", with_disk(mode="independent_persistent")),
        ("independent-nonpersistent", with_disk(mode="independent_nonpersistent")),
        ("disk-uuid-scsi", lambda vm: (vm.update(diskEnableUuid=True),
                                       with_disk(bus="scsi")(vm))),
        ("disk-uuid-sata", lambda vm: (vm.update(diskEnableUuid=True),
                                       with_disk(bus="sata")(vm))),
        ("disk-zero", with_disk(capacity=0)),
        ("disk-negative", with_disk(capacity=-1)),
        ("dpm", cluster(dpmEnabled=True)),
        ("drs", cluster(drsEnabled=True)),
        ("drs-off", cluster(drsEnabled=False, dpmEnabled=False)),
        ("fault-tolerance", set_(faultToleranceEnabled=True)),
        ("root-full", guest_disks({"diskPath": "/", "freeSpace": 50 * MIB, "key": 2000})),
        ("root-ok", guest_disks({"diskPath": "/", "freeSpace": 5 * GIB, "key": 2000})),
        ("boot-full", guest_disks({"diskPath": "/boot", "freeSpace": 20 * MIB, "key": 2000})),
        ("windows-c-full", guest_disks({"diskPath": "C:\\", "freeSpace": 50 * MIB,
                                        "key": 2000})),
        ("data-full", guest_disks({"diskPath": "/data", "freeSpace": 5 * MIB, "key": 2000})),
        ("windows-unmapped", lambda vm: (
            vm.update(guestId="windows2019srvNext_64Guest"),
            guest_disks({"diskPath": "C:\\", "freeSpace": 5 * GIB, "key": 0})(vm))),
        ("windows-mapped", lambda vm: (
            vm.update(guestId="windows2019srvNext_64Guest"),
            guest_disks({"diskPath": "C:\\", "freeSpace": 5 * GIB, "key": 2000})(vm))),
        ("host-affinity", cluster(hostAffinityVms=lambda vm: [{"kind": "VM", "id": vm["id"]}])),
        ("host-affinity-other", cluster(hostAffinityVms=[{"kind": "VM", "id": "vm-0"}])),
        ("hostname-empty", set_(hostName="")),
        ("hostname-default", set_(hostName="localhost.localdomain")),
        ("hostname-set", set_(hostName="web-01.example.com")),
        ("no-ip", set_(guestNetworks=[])),
        ("with-ip", set_(guestNetworks=[{"device": "4000", "ip": "10.0.0.5",
                                         "mac": "00:50:56:00:00:01", "prefix": 24,
                                         "dns": [], "origin": "dhcp"}])),
        ("Bad_Name", set_(name="Bad_Name")),
        ("name-ok", set_(name="good-name.example")),
        ("numa", set_(numaNodeAffinity=["0"])),
        ("passthrough", set_(devices=[{"kind": "VirtualPCIPassthrough"}])),
        ("sriov", set_(devices=[{"kind": "VirtualSriovEthernetCard"}])),
        ("usb", set_(devices=[{"kind": "VirtualUSBController"}])),
        ("rdm", with_disk(rdm=True)),
        ("shared", with_disk(shared=True)),
        ("snapshot", set_(snapshot={"kind": "VirtualMachineSnapshot", "id": "snapshot-1"})),
        ("tpm", set_(tpmEnabled=True)),
        ("rhel9", set_(guestId="rhel9_64Guest")),
        ("windows-11", set_(guestId="windows11_64Guest")),
        ("os-by-tools-name", set_(guestId="otherGuest64",
                                  guestNameFromVmwareTools="Red Hat Enterprise Linux 8 (64-bit)")),
        # (vSphere documents always carry guestNameFromVmwareTools, maybe "")
        ("os-by-name", set_(guestId="otherGuest64", guestNameFromVmwareTools="",
                            guestName="Microsoft Windows Server 2022")),
        ("os-unknown", set_(guestId="otherGuest64", guestName="FreeBSD",
                            guestNameFromVmwareTools="")),
    ]


def ova_edges(base, hosts, clusters):
    disk = base["disks"][0] if base.get("disks") else {"capacity": GIB}

    def set_(**fields):
        def change(vm):
            vm.update(copy.deepcopy(fields))
        return change

    return [
        ("cpu-affinity", set_(cpuAffinity=[0])),
        ("no-cpu-affinity", set_(cpuAffinity=[])),
        ("cpu-hot-add", set_(cpuHotAddEnabled=True)),
        ("cpu-hot-remove", set_(cpuHotRemoveEnabled=True)),
        ("memory-hot-add", set_(memoryHotAddEnabled=True)),
        ("166-disks", set_(disks=[dict(disk) for _ in range(166)])),
        ("disk-zero", set_(disks=[dict(disk, capacity=0)])),
        ("disk-ok", set_(disks=[dict(disk, capacity=GIB)])),
        ("source-vmware", set_(ovaSource="VMware")),
        ("source-virtualbox", set_(ovaSource="VirtualBox")),
        ("source-unknown", set_(ovaSource="")),
        ("Bad_Name", set_(name="Bad_Name")),
        ("name-ok", set_(name="good-name")),
        ("name-long", set_(name="a" * 70)),
    ]


EDGES = {"vsphere": vsphere_edges, "ova": ova_edges}


def main():
    rego_dir = common.require_shared("testdata", "forklift-rego")
    common.require_shared("testdata", "ovf")
    opa = common.peer("opa")
    ovf = os.path.join(common.SHARED, "testdata", "ovf")
    inventory = common.Inventory([os.path.join(ovf, "virt-v2v"), os.path.join(ovf, "govmomi")])
    tmp = tempfile.mkdtemp(prefix="ferry-rego-")
    # per provider type: [(label, workload, ferry's concerns)]
    cases = {"vsphere": [], "ova": []}
    try:
        # the edge cases, added to the first provider of each type
        for ptype, make in EDGES.items():
            provider = next((p for p in inventory.refreshed
                             if (p == "vcsim") == (ptype == "vsphere")), None)
            if provider is None:
                continue
            docs, error = inventory.vms(provider)
            if docs is None:
                sys.exit("ferry inventory vms %s: %s" % (provider, error))
            base = next((d for d in docs if d.get("disks")), docs[0])
            base = {k: v for k, v in base.items() if k not in COMPUTED}
            hosts = clusters = {}
            if ptype == "vsphere":
                hosts = {h["id"]: h for h in inventory.objects(provider, "hosts")}
                clusters = {c["id"]: c for c in inventory.objects(provider, "clusters")}
            objects = []
            for name, change in make(base, hosts, clusters):
                vm = copy.deepcopy(base)
                vm["name"] = "edge-" + name.lower()
                vm["id"] = "edge-" + name
                extra = change(vm)
                if isinstance(extra, list):
                    objects += extra
                objects.append(("vm", vm))
            store_edges(inventory, provider, objects)
        for provider in inventory.refreshed:
            ptype = "vsphere" if provider == "vcsim" else "ova"
            docs, error = inventory.vms(provider)
            if docs is None:
                sys.exit("ferry inventory vms %s: %s" % (provider, error))
            for doc in docs:
                # Forklift's inventory gives its policies the workload
                vm = inventory.workload(provider, ptype, doc["id"])
                for key in COMPUTED:
                    vm.pop(key, None)
                label = "%s/%s" % ("edge" if doc["id"].startswith("edge-") else provider,
                                   doc["id"] if doc["id"].startswith("edge-") else
                                   doc.get("name"))
                cases[ptype].append((label, vm, ferry_concerns(doc)))
    finally:
        inventory.close()
    total = agree = 0
    failures = []
    deliberate_seen = {}
    for ptype, package in PACKAGES.items():
        if not cases[ptype]:
            continue
        docs = [d for _, d, _ in cases[ptype]]
        forklift = opa_concerns(opa, rego_dir, package, docs, tmp)
        declared = rules_of(rego_dir, package)
        fired = {i: 0 for i in declared}
        here = 0
        for (label, doc, ours), theirs in zip(cases[ptype], forklift):
            total += 1
            for cid, _ in theirs:
                fired[cid] = fired.get(cid, 0) + 1
            differ = ours ^ theirs
            kept = {d for d in differ if d[0] not in DELIBERATE}
            for d in differ - kept:
                deliberate_seen.setdefault(d[0], set()).add(label)
            if kept:
                failures.append("%s: only Ferry %s; only Forklift %s" % (
                    label, sorted(ours - theirs), sorted(theirs - ours)))
            else:
                agree += 1
                here += 1
        print("%s (Forklift package %s): %d of %d VMs with the same concerns" % (
            ptype, package, here, len(docs)))
        for cid in sorted(fired):
            silent = len(docs) - fired[cid]
            mark = "" if fired[cid] and silent else "   <- not exercised both ways"
            print("  %-48s fired %4d, silent %4d%s" % (cid, fired[cid], silent, mark))
            if not fired[cid] or not silent:
                failures.append("Forklift rule %s: fired %d, silent %d (the edge cases must "
                                "exercise it both ways)" % (cid, fired[cid], silent))
    subprocess.run(["rm", "-rf", tmp])
    print("oVirt, OpenStack, Hyper-V: no such provider plugin in Ferry yet; their policies "
          "are not compared")
    for cid, labels in sorted(deliberate_seen.items()):
        print("deliberate difference %s (%s): %d VMs" % (cid, DELIBERATE[cid], len(labels)))
    if failures:
        print("\nDIFFERENCES (%d):" % len(failures))
        for f in failures:
            print("  " + f)
    print("\nRego agreement: %d of %d VMs with the same concerns (%.1f%%)" % (
        agree, total, 100.0 * agree / max(total, 1)))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()

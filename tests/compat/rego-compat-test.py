#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ferry's validation verdicts against Forklift's own Rego policies
(../shared/testdata/forklift-rego, Forklift v2.12.5, test input only), run
by Open Policy Agent built from Go modules (scripts/compat-peers).

The VM documents: the vCenter simulator's inventory, the OVFs of
../shared/testdata/ovf and the oVirt test bed's engine (fakeovirt's
recorded stubs served by tests/e2e/ovirt/engine-standin.py, a hand-written
stand-in: fakeovirt's module is refused by the Go module proxy) as Ferry
serves them (`ferry inventory vms`, with
the concerns of all of Ferry's validators), and generated edge-case VMs per
provider (a real document of that provider, changed so that each of
Forklift's rules fires on one VM and stays silent on the others), judged by
Ferry's rules (Ferry.RulesValidator). For every VM the set of (concern id,
category) must be the same, except the deliberate differences of
docs/rules.md (DELIBERATE below). Prints the agreement figure and, per
Forklift rule, how often it fired and stayed silent; every rule must do
both at least once.

OpenStack: rego-openstack-compat-test.py, on the OpenStack test bed.
Hyper-V has no provider in Ferry."""

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
PACKAGES = {"vsphere": "vmware", "ova": "ova", "ovirt": "ovirt"}

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


def compare_package(opa, rego_dir, ptype, package, cases, tmp, deliberate, failures,
                    deliberate_seen):
    """Compares Ferry's concerns of @cases [(label, workload, {(id,
    category)})] with those of Forklift's @package; appends what differs
    (but what deliberate(label, id) allows) to @failures and prints how
    often each Forklift rule fired and stayed silent (each must do both).
    Returns how many VMs agree."""
    docs = [d for _, d, _ in cases]
    forklift = opa_concerns(opa, rego_dir, package, docs, tmp)
    fired = {i: 0 for i in rules_of(rego_dir, package)}
    agree = 0
    for (label, _, ours), theirs in zip(cases, forklift):
        for cid, _ in theirs:
            fired[cid] = fired.get(cid, 0) + 1
        differ = ours ^ theirs
        kept = {d for d in differ if not deliberate(label, d[0])}
        for d in differ - kept:
            deliberate_seen.setdefault(d[0], set()).add(label)
        if kept:
            failures.append("%s: only Ferry %s; only Forklift %s" % (
                label, sorted(ours - theirs), sorted(theirs - ours)))
        else:
            agree += 1
    print("%s (Forklift package %s): %d of %d VMs with the same concerns" % (
        ptype, package, agree, len(docs)))
    for cid in sorted(fired):
        silent = len(docs) - fired[cid]
        mark = "" if fired[cid] and silent else "   <- not exercised both ways"
        print("  %-48s fired %4d, silent %4d%s" % (cid, fired[cid], silent, mark))
        if not fired[cid] or not silent:
            failures.append("Forklift rule %s: fired %d, silent %d (the edge cases must "
                            "exercise it both ways)" % (cid, fired[cid], silent))
    return agree


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


def ovirt_edges(base, related):
    """Edge-case VMs from an oVirt document with a disk, a NIC and a
    cluster: the disk, vNIC profile and cluster a case changes are copies
    of their own (the workload puts them in place of their ids)."""
    attachment = base["diskAttachments"][0]
    disk = related["disk"][attachment["disk"]]
    nic = base["nics"][0]
    profile = related["nicprofile"][nic["profile"]]
    group = related["cluster"][base["cluster"]]

    def set_(**fields):
        def change(vm):
            vm.update(copy.deepcopy(fields))
        return change

    def with_attachment(**fields):
        def change(vm):
            vm["diskAttachments"][0].update(copy.deepcopy(fields))
        return change

    def with_disk(**fields):
        def change(vm):
            own = dict(copy.deepcopy(disk), id="edge-disk-" + vm["id"])
            own.update(copy.deepcopy(fields))
            vm["diskAttachments"][0].update(disk=own["id"], id=own["id"])
            return [("disk", own)]
        return change

    def with_nic(**fields):
        def change(vm):
            vm["nics"][0].update(copy.deepcopy(fields))
        return change

    def with_profile(**fields):
        def change(vm):
            own = dict(copy.deepcopy(profile), id="edge-profile-" + vm["id"])
            own.update(copy.deepcopy(fields))
            vm["nics"][0]["profile"] = own["id"]
            return [("nicprofile", own)]
        return change

    def cluster(**fields):
        def change(vm):
            own = dict(copy.deepcopy(group), id="edge-cluster-" + vm["id"])
            own.update(copy.deepcopy(fields))
            vm["cluster"] = own["id"]
            return [("cluster", own)]
        return change

    def many_disks(vm):
        vm["diskAttachments"] = [dict(copy.deepcopy(attachment), id="%s-%d" % (
            attachment["id"], i)) for i in range(166)]

    def lun(size):
        units = {"logicalUnit": [{"lunId": "36001405", "address": "10.0.0.9", "port": 3260,
                                  "target": "iqn.2026-01.example:lun", "lunMapping": 0,
                                  "size": size}]}
        return with_disk(storageType="lun", lun={"logicalUnits": units})

    return [
        ("ballooning-off", set_(balloonedMemory=False)),
        ("boot-menu", set_(bootMenuEnabled=True)),
        ("cpu-custom-model", set_(customCpuModel="Haswell-noTSX")),
        ("cpu-pinning-isolate", set_(cpuPinningPolicy="isolate_threads")),
        ("cpu-pinning-numa", set_(cpuPinningPolicy="resize_and_pin_numa")),
        ("cpu-pinning-manual", set_(cpuPinningPolicy="manual")),
        ("cpu-shares", set_(cpuShares=1024)),
        ("cpu-affinity", set_(cpuAffinity=[{"set": 0, "cpu": 1}])),
        ("custom-properties", set_(properties=[{"name": "sndbuf", "value": "0"}])),
        ("166-disks", many_disks),
        ("disk-ide", with_attachment(interface="ide")),
        ("disk-sata", with_attachment(interface="sata")),
        ("disk-spapr", with_attachment(interface="spapr_vscsi")),
        ("disk-size-zero", with_disk(provisionedSize=0)),
        ("lun-size-zero", lun(0)),
        ("lun-ok", lun(10 * GIB)),
        ("disk-locked", with_disk(status="locked")),
        ("disk-illegal", with_disk(status="illegal")),
        ("disk-cinder", with_disk(storageType="cinder")),
        ("disk-shared", with_disk(shared=True)),
        ("disk-scsi-reservation", with_attachment(scsiReservation=True)),
        ("display-vnc", set_(display="vnc")),
        ("ha", set_(haEnabled=True)),
        ("ha-reservation", cluster(haReservation=True)),
        ("ksm-off", cluster(ksmEnabled=False)),
        ("host-devices", set_(hostDevices=[{"capability": "pci", "product": "GP104",
                                            "vendor": "NVIDIA"}])),
        ("illegal-images", set_(hasIllegalImages=True)),
        ("io-threads-2", set_(ioThreads=2)),
        ("Bad_Name", set_(name="Bad_Name")),
        ("name-long", set_(name="a" * 70)),
        ("name-ok", set_(name="good-name.example")),
        ("nic-properties", with_profile(properties=[{"name": "queues", "value": "4"}])),
        ("nic-e1000", with_nic(interface="e1000")),
        ("nic-e1000e", with_nic(interface="e1000e")),
        ("nic-spapr", with_nic(interface="spapr_vlan")),
        ("nic-passthrough", with_nic(interface="pci_passthrough")),
        ("nic-no-filter", with_profile(networkFilter="")),
        ("nic-unplugged", with_nic(plugged=False)),
        ("nic-port-mirroring", with_profile(portMirroring=True)),
        ("nic-qos", with_profile(qos="edge-qos")),
        ("numa", set_(numaNodeAffinity=["0"])),
        ("online-snapshot", set_(snapshots=[{"id": "edge-snapshot", "description": "memory",
                                            "type": "regular", "persistMemory": True}])),
        ("placement-pinned", set_(placementPolicyAffinity="pinned")),
        ("placement-user-migratable", set_(placementPolicyAffinity="user_migratable")),
        ("secure-boot", set_(bios="q35_secure_boot")),
        ("resume-kill", set_(storageErrorResumeBehaviour="kill")),
        ("windows-2022", set_(osType="windows_2022")),
        ("windows-11", set_(osType="windows_11")),
        ("usb", set_(usbEnabled=True)),
        ("rhel6", set_(osType="rhel_6x64")),
        ("status-up", set_(status="up")),
        ("status-paused", set_(status="paused")),
        ("status-powering-up", set_(status="powering_up")),
        ("watchdog", set_(watchDogs=[{"id": "edge-watchdog", "action": "reset",
                                      "model": "i6300esb"}])),
    ]


EDGES = {"vsphere": vsphere_edges, "ova": ova_edges, "ovirt": ovirt_edges}


def start_ovirt(inventory):
    """The oVirt test bed's engine (tests/e2e/ovirtbed.py: fakeovirt's
    recorded stubs served by its stand-in, with the real ovirt-imageio) as
    the provider 'ovirt' of @inventory; returns the bed, to stop."""
    sys.path.insert(0, os.path.join(common.SOURCE_ROOT, "tests", "e2e"))
    import ovirtbed
    bed = ovirtbed.OvirtBed(os.path.join(inventory.work, "ovirt"), "admin@internal",
                            common.PASSWORD)
    if not bed.available:
        sys.exit("the oVirt test bed is not built: run scripts/ovirt-testbed build")
    bed.start()
    ca = open(bed.certs["ca"]).read()
    inventory.add_provider("ovirt", """apiVersion: v1
kind: Secret
metadata: {name: ovirt-credentials, namespace: %s}
type: Opaque
stringData:
  user: admin@internal
  password: %s
  cacert: |
%s---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: ovirt, namespace: %s}
spec:
  type: ovirt
  url: %s
  secret: {name: ovirt-credentials, namespace: %s}
""" % (common.NAMESPACE, common.PASSWORD, "".join("    " + line + "\n" for line in
                                                  ca.splitlines()),
       common.NAMESPACE, bed.url, common.NAMESPACE))
    return bed


def provider_type(provider):
    return {"vcsim": "vsphere", "ovirt": "ovirt"}.get(provider, "ova")


def related_objects(inventory, provider, ptype):
    """The objects a provider type's edge cases copy, by kind and id."""
    kinds = {"vsphere": ("hosts", "clusters"), "ovirt": ("disks", "nicprofiles", "clusters")}
    return {kind[:-1]: {o["id"]: o for o in inventory.objects(provider, kind)}
            for kind in kinds.get(ptype, ())}


def edge_base(docs, ptype):
    """The provider's VM the edge cases start from: for oVirt one with a
    disk, a NIC and a cluster; else one with a disk."""
    if ptype == "ovirt":
        return next(d for d in docs if d.get("diskAttachments") and d.get("nics") and
                    d.get("cluster"))
    return next((d for d in docs if d.get("disks")), docs[0])


def main():
    rego_dir = common.require_shared("testdata", "forklift-rego")
    common.require_shared("testdata", "ovf")
    opa = common.peer("opa")
    ovf = os.path.join(common.SHARED, "testdata", "ovf")
    inventory = common.Inventory([os.path.join(ovf, "virt-v2v"), os.path.join(ovf, "govmomi")])
    tmp = tempfile.mkdtemp(prefix="ferry-rego-")
    bed = None
    # per provider type: [(label, workload, ferry's concerns)]
    cases = {ptype: [] for ptype in PACKAGES}
    try:
        bed = start_ovirt(inventory)
        # the edge cases, added to the first provider of each type
        for ptype, make in EDGES.items():
            provider = next((p for p in inventory.refreshed if provider_type(p) == ptype), None)
            if provider is None:
                continue
            docs, error = inventory.vms(provider)
            if docs is None:
                sys.exit("ferry inventory vms %s: %s" % (provider, error))
            base = edge_base(docs, ptype)
            base = {k: v for k, v in base.items() if k not in COMPUTED}
            related = related_objects(inventory, provider, ptype)
            if ptype == "ovirt":
                edges = make(base, related)
            else:
                edges = make(base, related.get("host", {}), related.get("cluster", {}))
            objects = []
            for name, change in edges:
                vm = copy.deepcopy(base)
                vm["name"] = "edge-" + name.lower()
                vm["id"] = "edge-" + name
                extra = change(vm)
                if isinstance(extra, list):
                    objects += extra
                objects.append(("vm", vm))
            store_edges(inventory, provider, objects)
        for provider in inventory.refreshed:
            ptype = provider_type(provider)
            docs, error = inventory.vms(provider)
            if docs is None:
                sys.exit("ferry inventory vms %s: %s" % (provider, error))
            for doc in docs:
                # Forklift's inventory gives its policies the workload
                vm = inventory.workload(provider, ptype, doc["id"])
                for key in COMPUTED:
                    vm.pop(key, None)
                label = "%s/%s" % ("edge-" + ptype if doc["id"].startswith("edge-") else
                                   provider, doc["id"] if doc["id"].startswith("edge-") else
                                   doc.get("name"))
                cases[ptype].append((label, vm, ferry_concerns(doc)))
    finally:
        inventory.close()
        if bed is not None:
            bed.stop()
    total = agree = 0
    failures = []
    deliberate_seen = {}
    for ptype, package in PACKAGES.items():
        if not cases[ptype]:
            failures.append("no %s VMs were compared" % ptype)
            continue
        here = compare_package(opa, rego_dir, ptype, package, cases[ptype], tmp,
                               lambda label, cid: cid in DELIBERATE, failures,
                               deliberate_seen)
        agree += here
        total += len(cases[ptype])
    subprocess.run(["rm", "-rf", tmp])
    print("OpenStack: tests/compat/rego-openstack-compat-test.py (on the OpenStack test bed); "
          "Hyper-V: no such provider in Ferry")
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

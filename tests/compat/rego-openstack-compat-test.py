#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ferry's OpenStack verdicts against Forklift's own OpenStack policies
(../shared/testdata/forklift-rego, Forklift v2.12.5, test input only), run
by Open Policy Agent built from Go modules (scripts/compat-peers).

The VM documents come from the real OpenStack test bed
(scripts/openstack-testbed: Keystone, Glance, Nova, Neutron from Debian's
packages): a Glance image with Forklift's image properties, a flavor, and a
server booted from them, which Ferry's OpenStack plugin loads like any
cloud's. Every server of the test project is compared. Then edge cases: the
real server's document, changed so that each of Forklift's OpenStack rules
fires on one VM and stays silent on others; an edge case's image, flavor or
volumes are objects of its own in Ferry's inventory (the workload puts them
in place of imageID, flavorID and attachedVolumes, as Forklift's does).

For every VM the set of (concern id, category) must be the same, except the
deliberate differences of docs/rules.md (DELIBERATE below). Prints the
agreement figure and, per Forklift rule, how often it fired and stayed
silent; every rule must do both at least once.

One test at a time on the shared OpenStack bed (its flock); under CI=true a
missing bed fails."""

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compat_common as common  # noqa: E402

E2E = os.path.join(common.SOURCE_ROOT, "tests", "e2e")
GIB = 1 << 30


def load(name, filename):
    spec = importlib.util.spec_from_file_location(name, os.path.join(E2E, filename))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# Deliberate differences (docs/rules.md, "Compared with Forklift's policies"):
# concern id -> the reason, and the edge cases where one is expected. None.
DELIBERATE = {}
DELIBERATE_CASES = set()

COMPUTED = ("concerns", "memoryGB", "storageUsedGB", "diskCapacity", "criticalConcerns",
            "warningConcerns", "infoConcerns", "concernsHuman", "powerStateHuman", "provider")

PROPERTIES = {"hw_disk_bus": "virtio", "hw_vif_model": "virtio", "os_distro": "rhel",
              "os_version": "9"}


def edges(base, image, flavor):
    """(name, change): change edits a copy of the base VM and returns the
    objects of its own [(kind, document)]."""
    def set_(**fields):
        def change(vm):
            vm.update(copy.deepcopy(fields))
        return change

    def with_image(**properties):
        def change(vm):
            own = dict(copy.deepcopy(image), id="edge-image-" + vm["id"])
            own["properties"] = dict(own.get("properties") or {})
            for key, value in properties.items():
                if value is None:
                    own["properties"].pop(key, None)
                else:
                    own["properties"][key] = value
            vm["imageID"] = own["id"]
            return [("image", own)]
        return change

    def with_specs(**specs):
        def change(vm):
            own = dict(copy.deepcopy(flavor), id="edge-flavor-" + vm["id"])
            own["extraSpecs"] = dict(own.get("extraSpecs") or {}, **specs)
            vm["flavorID"] = own["id"]
            return [("flavor", own)]
        return change

    def with_volumes(*volumes):
        def change(vm):
            objects = []
            vm["attachedVolumes"] = []
            for i, fields in enumerate(volumes):
                volume = {"id": "edge-volume-%s-%d" % (vm["id"], i),
                          "name": "edge-volume-%d" % i, "status": "in-use", "size": 1,
                          "availabilityZone": "nova", "bootable": "false",
                          "encrypted": False, "multiattach": False, "metadata": {},
                          "volumeType": "ceph",
                          "attachments": [{"serverID": vm["id"], "attachmentID": "a-%d" % i,
                                           "device": "/dev/vd%s" % chr(ord("b") + i % 24),
                                           "hostName": "", "volumeID": "v-%d" % i}]}
                volume.update(copy.deepcopy(fields))
                objects.append(("volume", volume))
                vm["attachedVolumes"].append({"ID": volume["id"]})
            return objects
        return change

    def no_image(vm):
        vm["imageID"] = ""

    def floating(kind):
        return set_(addresses={"private": [{"addr": "10.0.0.5", "version": 4,
                                            "OS-EXT-IPS:type": "fixed",
                                            "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
                                           {"addr": "203.0.113.9", "version": 4,
                                            "OS-EXT-IPS:type": kind,
                                            "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"}]})

    attached = {"attachments": [{"serverID": "s-1"}, {"serverID": "s-2"}]}
    return [
        ("boot-menu", with_image(hw_boot_menu="true")),
        ("boot-menu-off", with_image(hw_boot_menu="false")),
        ("cpu-shares", with_specs(**{"quota:cpu_shares": "1024"})),
        ("166-volumes", with_volumes(*[{} for _ in range(166)])),
        ("3-volumes", with_volumes({}, {}, {})),
        ("disk-bus-ide", with_image(hw_disk_bus="ide")),
        ("disk-bus-scsi", with_image(hw_disk_bus="scsi")),
        ("disk-bus-sata", with_image(hw_disk_bus="sata")),
        ("no-disk-bus", with_image(hw_disk_bus=None)),
        ("volume-size-zero", with_volumes({"size": 0})),
        ("volume-error", with_volumes({"status": "error"})),
        ("volume-available", with_volumes({"status": "available"})),
        ("volume-shared", with_volumes(attached)),
        ("floating-ip", floating("floating")),
        ("fixed-ip", floating("fixed")),
        ("pci-alias", with_specs(**{"pci_passthrough:alias": "gpu:1"})),
        ("Bad_Name", set_(name="Bad_Name")),
        ("name-long", set_(name="a" * 70)),
        ("name-ok", set_(name="good-name.example")),
        ("numa-nodes", with_specs(**{"hw:numa_nodes": "2"})),
        ("numa-policy", with_specs(**{"hw:pci_numa_affinity_policy": "preferred"})),
        ("secure-boot-image", with_image(os_secure_boot="required")),
        ("secure-boot-flavor", with_specs(**{"os:secure_boot": "required"})),
        ("secure-boot-optional", with_image(os_secure_boot="optional")),
        ("vif-virtualE1000", with_image(hw_vif_model="VirtualE1000")),
        ("vif-e1000e", with_image(hw_vif_model="e1000e")),
        ("vif-ne2k", with_image(hw_vif_model="ne2k_pci")),
        ("no-vif-model", with_image(hw_vif_model=None)),
        ("os-rhel6", with_image(os_version="6.10")),
        ("os-rhel8", with_image(os_version="8.9")),
        ("os-centos7", with_image(os_distro="centos", os_version="7")),
        ("os-fedora38", with_image(os_distro="fedora", os_version="38")),
        ("os-fedora40", with_image(os_distro="fedora", os_version="40")),
        ("os-windows2022", with_image(os_distro="windows", os_version="2022")),
        ("os-windows10", with_image(os_distro="windows", os_version="10")),
        ("os-windows-xp", with_image(os_distro="windows", os_version="xp")),
        ("os-ubuntu", with_image(os_distro="ubuntu", os_version="24.04")),
        ("os-no-version", with_image(os_distro="ubuntu", os_version=None)),
        ("status-shutoff", set_(status="SHUTOFF")),
        ("status-paused", set_(status="PAUSED")),
        ("status-error", set_(status="ERROR")),
        ("watchdog-flavor", with_specs(**{"hw:watchdog_action": "reset"})),
        ("watchdog-image", with_image(hw_watchdog_action="reset")),
        ("no-image", no_image),
    ]


def main():
    rego_dir = common.require_shared("testdata", "forklift-rego")
    ost = load("openstack_test", "openstack-test.py")
    nova_test = load("openstack_nova_test", "openstack-nova-plan-test.py")
    if ost.start_command() == "start":
        message = "the OpenStack test bed needs Nova (scripts/install-deps)"
        if os.environ.get("CI") == "true":
            sys.exit(message)
        common.skip(message)
    opa = common.peer("opa")
    bed = ost.start_bed()
    work = tempfile.mkdtemp(prefix="ferry-rego-openstack-")
    fx = ost.Fixture(work, bed)
    nova = nova_test.Nova(bed, fx.cloud)
    server_id = image_id = None
    cases = []
    try:
        nova.ensure_flavor()
        source = nova_test.make_image(os.path.join(work, "source.raw"))
        image_id = fx.cloud.upload("ferry-rego-%s" % uuid.uuid4(), source, "raw", PROPERTIES)
        server_id = nova.boot("rego-base", image_id)
        nova.wait(server_id, "ACTIVE")
        fx.apply("osp")
        ost.run(*fx.ferry, "inventory", "refresh", "osp", env=fx.env)

        def listing(kind):
            return json.loads(ost.run(*fx.ferry, "inventory", kind, "osp", "-o", "json",
                                      env=fx.env).stdout)

        docs = listing("vms")
        base = next(d for d in docs if d["id"] == server_id)
        base = {k: v for k, v in base.items() if k not in COMPUTED}
        image = next(i for i in listing("images") if i["id"] == image_id)
        flavor = next(f for f in listing("flavors") if f["id"] == base["flavorID"])

        import gi
        gi.require_version("Ferry", "1.0")
        gi.require_version("Json", "1.0")
        from gi.repository import Ferry, Json
        store = Ferry.Inventory.new(os.path.join(work, "state", "inventory.db"))
        store.begin_update("osp", False)
        for name, change in edges(base, image, flavor):
            vm = copy.deepcopy(base)
            vm["id"] = "edge-" + name
            vm["name"] = "edge-" + name.lower()
            for kind, doc in (change(vm) or []) + [("vm", vm)]:
                store.upsert(kind, doc["id"], doc.get("name"), None,
                             Json.from_string(json.dumps(doc)).get_object())
        store.commit_update()
        # judged as the provider's own VMs are, by every validator
        for doc in listing("vms"):
            node = Json.Node.new(Json.NodeType.OBJECT)
            node.set_object(store.get_workload("osp", "openstack", doc["id"]))
            workload = json.loads(Json.to_string(node, False))
            for key in COMPUTED:
                workload.pop(key, None)
            label = doc["id"] if doc["id"].startswith("edge-") else "osp/" + doc["name"]
            cases.append((label, workload,
                          {(c["id"], c["category"]) for c in doc.get("concerns") or []}))
        store = None
    finally:
        if server_id:
            nova.delete(server_id)
        if image_id:
            try:
                fx.cloud.delete(image_id)
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)

    tmp = tempfile.mkdtemp(prefix="ferry-rego-")
    spec = importlib.util.spec_from_file_location("rego_compat",
                                                  os.path.join(HERE, "rego-compat-test.py"))
    rego = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rego)
    failures = []
    deliberate_seen = {}

    def deliberate(label, cid):
        return label.startswith("edge-") and label[5:] in DELIBERATE_CASES and \
            cid in DELIBERATE

    agree = rego.compare_package(opa, rego_dir, "openstack", "openstack", cases, tmp,
                                 deliberate, failures, deliberate_seen)
    subprocess.run(["rm", "-rf", tmp])
    for cid, labels in sorted(deliberate_seen.items()):
        print("deliberate difference %s (%s): %s" % (cid, DELIBERATE[cid],
                                                      ", ".join(sorted(labels))))
    if failures:
        print("\nDIFFERENCES (%d):" % len(failures))
        for f in failures:
            print("  " + f)
    print("\nRego agreement (OpenStack): %d of %d VMs with the same concerns (%.1f%%)" % (
        agree, len(cases), 100.0 * agree / max(len(cases), 1)))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()

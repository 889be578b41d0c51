#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The OpenStack volume path against REAL Cinder: Cinder 21 (cinder-api,
-scheduler, -volume with the RBD driver) on a single-node Ceph 16 cluster
that runs entirely in userspace (ceph-mon, ceph-mgr, one ceph-osd with
bluestore on a plain file), beside Keystone, Glance and Nova from Debian's
packages (`scripts/openstack-testbed start-cinder`, started once and
reused).

- a Cinder volume created from a Glance image of known content (Cinder
  downloads the image and imports it into Ceph) is attached to a running
  server (Nova's libvirt driver; QEMU opens the volume with its own rbd
  block driver);
- `ferry inventory vms` shows the volume in attachedVolumes and as a disk
  of the server (storage: its volume type);
- a cold plan into a bundle: Ferry powers the server off, makes Nova's
  image of the root disk, and for the volume a Cinder snapshot, a volume
  from the snapshot and os-volume_upload_image into Glance (Cinder's
  `rbd export`), downloads both images; the bundle's volume disk equals the
  volume as Ceph holds it (`rbd export` by the test) and starts with the
  image's content; the root disk equals nova-compute's instance disk;
- afterwards no temporary snapshot, volume or image is left in Cinder,
  Glance or Ceph, and the original volume is still attached and has no
  snapshot.
- a second server booted from a volume (no image: Ferry's only disk is
  the volume): its plan is killed (kill -9 of `ferry plan start`) while
  Cinder uploads the temporary volume into Glance, then `ferry run` finds
  the snapshot, volume and image by their names and finishes: the bundle's
  disk equals the boot volume in Ceph, nothing temporary is left.

Skipped outside CI when the packages are missing; under CI=true a missing
bed fails.
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ost = load("openstack_test", "openstack-test.py")
novatest = load("openstack_nova_plan_test", "openstack-nova-plan-test.py")

BED = ost.BED
MIB = novatest.MIB
IMAGE_MIB = novatest.IMAGE_MIB
fail = ost.fail
run = ost.run


class Cinder:
    """the test's own client of Cinder (urllib) with the user's token"""

    def __init__(self, bed, cloud):
        projects = cloud.keystone("GET", "/auth/projects")["projects"]
        project = [p["id"] for p in projects if p["name"] == bed["FERRY_OS_PROJECT"]]
        self.url = "%s/%s" % (bed["FERRY_OS_CINDER_URL"], project[0])
        self.cloud = cloud

    def request(self, method, path, body=None, allow_missing=False):
        request = urllib.request.Request(
            self.url + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"X-Auth-Token": self.cloud.token, "Content-Type": "application/json",
                     "OpenStack-API-Version": "volume 3.0"})
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                text = reply.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            if allow_missing and e.code == 404:
                return None
            fail("Cinder %s %s: %d %s" % (method, path, e.code, e.read().decode()[:500]))

    def volume(self, volume_id):
        return self.request("GET", "/volumes/" + volume_id)["volume"]

    def wait(self, volume_id, status, seconds=600):
        deadline = time.monotonic() + seconds
        while True:
            volume = self.volume(volume_id)
            if volume["status"] == status:
                return volume
            if volume["status"].startswith("error"):
                fail("volume %s went to %s" % (volume_id, volume["status"]))
            if time.monotonic() > deadline:
                fail("volume %s is still %s after %d s" % (volume_id, volume["status"],
                                                           seconds))
            time.sleep(1)

    def named(self, collection, prefix):
        member = collection.strip("/")
        items = self.request("GET", "/%s/detail" % member)[member]
        return [i for i in items if (i.get("name") or "").startswith(prefix)]


def rbd(bed, *args):
    return run("rbd", "--conf", bed["FERRY_OS_CEPH_CONF"], *args).stdout


def bundle_images(bundle, name):
    folder = os.path.join(bundle, "migrated", name)
    if not os.path.isdir(folder):
        fail("the bundle has no folder %s" % folder)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".img"))


def manifests(bed, bundle, plans, volume_type):
    text = novatest.manifests(bed, bundle, plans)
    return text.replace("""    - source: {name: glance}
      destination: {storageClass: standard}
""", """    - source: {name: glance}
      destination: {storageClass: standard}
    - source: {name: %s}
      destination: {storageClass: standard}
""" % json.dumps(volume_type))


def main():
    missing = [p for p in ("keystone-manage", "glance-api", "nova-api", "nova-compute",
                           "cinder-volume", "cinder-api", "ceph-osd", "ceph-mon", "rbd",
                           "libvirtd", "jq")
               if not any(os.access(os.path.join(d, p), os.X_OK)
                          for d in (os.environ.get("PATH", "") +
                                    ":/usr/bin:/usr/sbin").split(":"))]
    if missing:
        if os.environ.get("CI") == "true":
            sys.exit("the OpenStack Cinder test bed needs %s; run scripts/install-deps" %
                     ", ".join(missing))
        print("SKIP: the OpenStack Cinder test bed needs %s (scripts/install-deps)" %
              ", ".join(missing))
        sys.exit(77)
    ost.hold_bed()
    started = time.monotonic()
    run(BED, "start-cinder", timeout=1200)
    print("test bed (with Nova, Ceph and Cinder) ready in %.1f s" % (time.monotonic() - started))
    bed = {}
    for line in run(BED, "env").stdout.splitlines():
        key, _, value = line.partition("=")
        bed[key] = value
    pool = bed["FERRY_OS_CEPH_POOL"]

    work = tempfile.mkdtemp(prefix="ferry-openstack-cinder-")
    fx = ost.Fixture(work, bed)
    nova = novatest.Nova(bed, fx.cloud)
    cinder = Cinder(bed, fx.cloud)
    watcher = ost.CommandLineWatcher([bed["FERRY_OS_PASSWORD"], fx.cloud.token])
    watcher.start()
    servers = []
    volumes = []
    images = []
    try:
        nova.ensure_flavor()
        source = novatest.make_image(os.path.join(work, "source.raw"))
        image_id = fx.cloud.upload("ferry-cinder-source-%s" % uuid.uuid4(), source, "raw")
        images.append(image_id)

        # a volume with the image's content, attached to a running server
        made = time.monotonic()
        volume = cinder.request("POST", "/volumes", {"volume": {
            "name": "ferry-data-%s" % uuid.uuid4(), "size": 1, "imageRef": image_id}})["volume"]
        volume_id = volume["id"]
        volumes.append(volume_id)
        boot_volume_id = cinder.request("POST", "/volumes", {"volume": {
            "name": "ferry-boot-%s" % uuid.uuid4(), "size": 1,
            "imageRef": image_id}})["volume"]["id"]
        volumes.append(boot_volume_id)
        server_id = nova.boot("cinder-cold", image_id)
        servers.append(server_id)
        volume = cinder.wait(volume_id, "available")
        cinder.wait(boot_volume_id, "available")
        boot_server_id = nova.request("POST", "/servers", {"server": {
            "name": "cinder-boot", "flavorRef": novatest.FLAVOR, "networks": "none",
            "block_device_mapping_v2": [{
                "uuid": boot_volume_id, "source_type": "volume",
                "destination_type": "volume", "boot_index": 0,
                "delete_on_termination": False}]}})["server"]["id"]
        servers.append(boot_server_id)
        print("volume %s (type %s) made from image %s in Ceph in %.1f s" %
              (volume_id, volume["volume_type"], image_id, time.monotonic() - made))
        nova.wait(server_id, "ACTIVE")
        nova.request("POST", "/servers/%s/os-volume_attachments" % server_id,
                     {"volumeAttachment": {"volumeId": volume_id}})
        cinder.wait(volume_id, "in-use")
        attached = [a["id"] for a in nova.server(server_id)
                    .get("os-extended-volumes:volumes_attached", [])]
        if attached != [volume_id]:
            fail("Nova does not show volume %s attached to %s: %s" % (volume_id, server_id,
                                                                     attached))
        print("server %s running (TCG) with volume %s attached" % (server_id, volume_id))
        nova.wait(boot_server_id, "ACTIVE")
        cinder.wait(boot_volume_id, "in-use")
        print("server %s running (TCG), booted from volume %s" % (boot_server_id,
                                                                 boot_volume_id))
        rbd_before = sorted(rbd(bed, "ls", pool).split())

        bundle = os.path.join(work, "bundle")
        path = os.path.join(work, "osp.yaml")
        with open(path, "w") as f:
            f.write(manifests(bed, bundle, [("cinder", server_id), ("boot", boot_server_id)],
                              volume["volume_type"]))
        run(*fx.ferry, "apply", "-f", path, env=fx.env)

        run(*fx.ferry, "inventory", "refresh", "osp", env=fx.env)
        vms = json.loads(run(*fx.ferry, "inventory", "vms", "osp", "-o", "json",
                             env=fx.env).stdout)
        vm = [v for v in vms if v.get("id") == server_id]
        if not vm:
            fail("the inventory has no server %s" % server_id)
        disks = vm[0].get("disks") or []
        if [a.get("ID") for a in vm[0].get("attachedVolumes", [])] != [volume_id] or \
                [d.get("id") for d in disks] != ["root", volume_id] or \
                disks[1].get("storage") != volume["volume_type"] or \
                disks[1].get("capacity") != 1 << 30:
            fail("the inventory does not show the attached volume as a disk: %s" %
                 json.dumps(vm[0], indent=1))
        print("inventory: attachedVolumes [%s], disks root (glance) and the volume (%s, 1 GiB)"
              % (volume_id, volume["volume_type"]))

        planned = time.monotonic()
        out = run(*fx.ferry, "plan", "start", "cinder", env=fx.env, timeout=1800).stdout
        print(out)
        if "Plan/cinder: Succeeded" not in out:
            fail("the cold plan did not succeed:\n" + out)
        print("cold plan with an attached volume done in %.1f s" % (time.monotonic() - planned))
        if nova.server(server_id)["status"] != "SHUTOFF":
            fail("Ferry did not power server %s off through Nova" % server_id)

        # the volume as Ceph holds it, read by the test with `rbd export`
        expected_volume = os.path.join(work, "volume.raw")
        rbd(bed, "export", "%s/volume-%s" % (pool, volume_id), expected_volume)
        expected_root = novatest.instance_disk_raw(bed, server_id, work)
        found = bundle_images(bundle, "cinder-cold")
        if len(found) != 2:
            fail("the bundle holds %s, not a root disk and a volume" % found)
        # Forklift's order: the root disk (disk-0), then the volumes
        root_disk, volume_disk = found
        if not root_disk.endswith("-disk-0.img") or not volume_disk.endswith("-disk-1.img") or \
                os.path.getsize(volume_disk) != 1 << 30:
            fail("the bundle's disks are not the root disk and the 1 GiB volume: %s" %
                 {f: os.path.getsize(f) for f in found})
        novatest.check_equal(volume_disk, expected_volume, source)
        novatest.check_equal(root_disk, expected_root, source)
        print("the bundle's volume disk equals the volume in Ceph (rbd export) and starts "
              "with the image it was made from; the root disk equals the instance disk")

        name = "forklift-migration-vm-" + server_id
        left = {"Glance images": fx.cloud.images_named(name),
                "Cinder volumes": cinder.named("volumes", name),
                "Cinder snapshots": cinder.named("snapshots", name)}
        left = {k: [i["id"] for i in v] for k, v in left.items() if v}
        rbd_after = sorted(rbd(bed, "ls", pool).split())
        snaps = rbd(bed, "snap", "ls", "%s/volume-%s" % (pool, volume_id)).strip()
        if left or rbd_after != rbd_before or snaps:
            fail("temporary objects left: %s; Ceph before %s after %s; snapshots of the "
                 "volume: %s" % (left, rbd_before, rbd_after, snaps))
        volume = cinder.volume(volume_id)
        if volume["status"] != "in-use":
            fail("the original volume is %s after the plan, not in-use" % volume["status"])
        print("no temporary snapshot, volume or image left (Cinder, Glance, Ceph); the "
              "original volume is still attached")

        # booted from a volume; kill -9 while Cinder uploads to Glance
        boot_vm = [v for v in json.loads(run(*fx.ferry, "inventory", "vms", "osp", "-o", "json",
                                             env=fx.env).stdout) if v.get("id") == boot_server_id]
        if not boot_vm or boot_vm[0].get("imageID") != "" or \
                [d.get("id") for d in boot_vm[0].get("disks") or []] != [boot_volume_id]:
            fail("the inventory does not show server %s booted from volume %s as its only "
                 "disk: %s" % (boot_server_id, boot_volume_id, boot_vm))
        name = "forklift-migration-vm-%s-volume-%s" % (boot_server_id, boot_volume_id)
        process = subprocess.Popen(fx.ferry + ["plan", "start", "boot"], env=fx.env,
                                   text=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 900
        seen = None
        while seen is None:
            for image in fx.cloud.images_named(name):
                seen = image
            if seen is None and (time.monotonic() > deadline or process.poll() is not None):
                process.kill()
                fail("Ferry never had Cinder upload volume %s to Glance:\n%s" %
                     (boot_volume_id, process.communicate()[0]))
            if seen is None:
                time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        killed_output = process.communicate()[0]
        print("killed ferry while Cinder's image %s was %s" % (seen["id"], seen["status"]))
        if seen["status"] == "active":
            fail("the image was already active when ferry was killed: the kill did not "
                 "hit the upload\n" + killed_output)
        out = run(*fx.ferry, "run", env=fx.env, timeout=1800).stdout
        print(out)
        if novatest.plan_phase(fx, "boot") != "Succeeded":
            fail("the plan did not succeed after kill -9 and ferry run:\n" + out)
        expected_boot = os.path.join(work, "boot.raw")
        rbd(bed, "export", "%s/volume-%s" % (pool, boot_volume_id), expected_boot)
        found = bundle_images(bundle, "cinder-boot")
        if len(found) != 1 or os.path.getsize(found[0]) != 1 << 30:
            fail("the bundle of the server booted from a volume holds %s" % found)
        novatest.check_equal(found[0], expected_boot, source)
        name = "forklift-migration-vm-" + boot_server_id
        left = {"Glance images": fx.cloud.images_named(name),
                "Cinder volumes": cinder.named("volumes", name),
                "Cinder snapshots": cinder.named("snapshots", name)}
        left = {k: [i["id"] for i in v] for k, v in left.items() if v}
        rbd_after = sorted(rbd(bed, "ls", pool).split())
        snaps = rbd(bed, "snap", "ls", "%s/volume-%s" % (pool, boot_volume_id)).strip()
        if left or rbd_after != rbd_before or snaps:
            fail("after kill -9 and ferry run, temporary objects left: %s; Ceph before %s "
                 "after %s; snapshots of the boot volume: %s" % (left, rbd_before, rbd_after,
                                                                 snaps))
        for _ in range(50):
            helpers = novatest.helpers_left(boot_server_id) + novatest.helpers_left(server_id)
            if not helpers:
                break
            time.sleep(0.1)
        else:
            fail("nbdkit or qemu-nbd left behind: %s" % helpers)
        print("server booted from a volume: kill -9 during Cinder's upload to Glance, then "
              "ferry run: the bundle's disk equals the boot volume in Ceph; no temporary "
              "snapshot, volume or image left; no nbdkit or qemu-nbd left")
        watcher.check()
    finally:
        for server_id in servers:
            nova.delete(server_id)
        for volume_id in volumes:
            for _ in range(120):
                v = cinder.request("GET", "/volumes/" + volume_id, allow_missing=True)
                if v is None or v["volume"]["status"] in ("available", "error"):
                    break
                time.sleep(1)
            try:
                cinder.request("DELETE", "/volumes/" + volume_id, allow_missing=True)
            except SystemExit:
                pass
        for image in images:
            try:
                fx.cloud.delete(image)
            except Exception:  # noqa: BLE001 - best effort
                pass
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()

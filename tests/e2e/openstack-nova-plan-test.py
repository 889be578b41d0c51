#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A cold plan from REAL Nova into a KubeVirt bundle: Keystone, Glance,
Placement, Neutron (ML2, no agent), RabbitMQ and Nova 26 (nova-api,
-conductor, -scheduler, -compute with the libvirt driver and virt_type
qemu) from Debian's packages (`scripts/openstack-testbed start-nova`,
started once and reused).

- a server booted from a Glance image with "networks": "none" (API 2.37)
  is in `ferry inventory vms` with Forklift's field names (tenantID,
  flavorID, imageID, attachedVolumes) and Ferry's disks (root, glance),
  vcpus and memoryMB from its flavor;
- `ferry apply` + `ferry plan start`: Ferry powers the running server off
  through Nova (os-stop, SHUTOFF), Nova's createImage makes the Glance image
  `forklift-migration-vm-<server>`, Ferry downloads it (qcow2, decoded by
  qemu-nbd) and the disk in the bundle equals the instance disk nova-compute
  holds (qcow2 over its _base file, converted to raw), which starts with the
  image the server was booted from; the bundle's VirtualMachine has the
  flavor's 1 vCPU and 128 MiB; no temporary image is left in Glance;
- networks from the real Neutron: a flat network and its subnet, made by
  the admin for the test's project through Neutron's API, are in `ferry
  inventory networks` and `ferry inventory subnets` with Forklift's field
  names (tenantID, projectID, subnets, status; networkID, cidr, gatewayIP,
  ipVersion, enableDHCP); removed, they leave the inventory at the next
  refresh (servers stay without NICs: Neutron has no agent to bind ports);
- a second plan is killed (kill -9 of `ferry plan start`) while Ferry waits
  for Nova's image, then `ferry run` finishes it: equal disk, no temporary
  image left in Glance, no nbdkit or qemu-nbd left.

Skipped outside CI when Nova's packages are missing; under CI=true a
missing bed fails.
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

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("openstack_test",
                                              os.path.join(HERE, "openstack-test.py"))
ost = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ost)

FERRY = ost.FERRY
BED = ost.BED
MIB = 1 << 20
IMAGE_MIB = 16
FLAVOR = "ferry-tiny"
fail = ost.fail
run = ost.run


class Nova:
    """the test's own client of Nova (urllib): the user's token for
    servers, the admin's for the flavor"""

    def __init__(self, bed, cloud):
        self.url = bed["FERRY_OS_NOVA_URL"]
        self.cloud = cloud
        self.admin = self.token(bed["FERRY_OS_ADMIN_USER"], bed["FERRY_OS_ADMIN_PASSWORD"],
                                "admin")

    def token(self, user, password, project):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
        request = urllib.request.Request(self.cloud.auth_url + "/auth/tokens",
                                         data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.headers["X-Subject-Token"]

    def request(self, method, path, body=None, token=None):
        request = urllib.request.Request(
            self.url + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"X-Auth-Token": token or self.cloud.token,
                     "Content-Type": "application/json",
                     "OpenStack-API-Version": "compute 2.37"})
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                text = reply.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            fail("Nova %s %s: %d %s" % (method, path, e.code, e.read().decode()[:500]))

    def ensure_flavor(self):
        flavors = self.request("GET", "/flavors", token=self.admin)["flavors"]
        if not any(f["id"] == FLAVOR for f in flavors):
            self.request("POST", "/flavors", {"flavor": {
                "name": "ferry.tiny", "id": FLAVOR, "ram": 128, "vcpus": 1, "disk": 1}},
                token=self.admin)

    def server(self, server_id):
        return self.request("GET", "/servers/" + server_id)["server"]

    def boot(self, name, image_id):
        server = self.request("POST", "/servers", {"server": {
            "name": name, "imageRef": image_id, "flavorRef": FLAVOR, "networks": "none"}})
        return server["server"]["id"]

    def wait(self, server_id, status, seconds=600):
        deadline = time.monotonic() + seconds
        while True:
            server = self.server(server_id)
            if server["status"] == status and server.get("OS-EXT-STS:task_state") is None:
                return server
            if server["status"] == "ERROR":
                fail("server %s went to ERROR: %s" % (server_id, server.get("fault")))
            if time.monotonic() > deadline:
                fail("server %s is still %s after %d s" % (server_id, server["status"],
                                                           seconds))
            time.sleep(1)

    def delete(self, server_id):
        try:
            self.request("DELETE", "/servers/" + server_id)
        except SystemExit:
            pass


def make_image(path):
    """16 MiB raw with random data from 1 MiB on (sector 0 stays zero: the
    guest finds nothing to boot, and SeaBIOS keeps the VM running)"""
    with open(path, "wb") as f:
        f.truncate(IMAGE_MIB * MIB)
        for mib in (1, 5, 9, IMAGE_MIB - 1):
            f.seek(mib * MIB)
            f.write(os.urandom(MIB // 2))
    return path


def manifests(bed, bundle, plans):
    text = """apiVersion: v1
kind: Secret
metadata: {name: osp-credentials, namespace: demo}
type: Opaque
stringData:
  username: %s
  password: %s
  projectName: %s
  userDomainName: Default
  projectDomainName: Default
  regionName: RegionOne
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: osp, namespace: demo}
spec:
  type: openstack
  url: %s
  secret: {name: osp-credentials, namespace: demo}
  settings: {insecureHTTP: "true"}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kubevirt-bundle, namespace: demo}
spec:
  type: openshift
  url: file://%s
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: osp-networks, namespace: demo}
spec:
  provider:
    source: {name: osp, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map: []
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: osp-storage, namespace: demo}
spec:
  provider:
    source: {name: osp, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    - source: {name: glance}
      destination: {storageClass: standard}
""" % (json.dumps(bed["FERRY_OS_USER"]), json.dumps(bed["FERRY_OS_PASSWORD"]),
       json.dumps(bed["FERRY_OS_PROJECT"]), bed["FERRY_OS_AUTH_URL"], bundle)
    for name, server_id in plans:
        text += """---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: %s, namespace: demo}
spec:
  targetNamespace: migrated
  provider:
    source: {name: osp, namespace: demo}
    destination: {name: kubevirt-bundle, namespace: demo}
  map:
    network: {name: osp-networks, namespace: demo}
    storage: {name: osp-storage, namespace: demo}
  vms:
    - id: %s
""" % (name, server_id)
    return text


def bundle_disk(bundle, name):
    folder = os.path.join(bundle, "migrated", name)
    images = [f for f in os.listdir(folder) if f.endswith(".img")] if os.path.isdir(folder) \
        else []
    if len(images) != 1:
        fail("bundle %s holds %s" % (folder, images))
    return os.path.join(folder, images[0])


def check_bundle_vm(bundle, name):
    """the bundle's VirtualMachine has the flavor's 1 vCPU and 128 MiB"""
    with open(os.path.join(bundle, "migrated", name, "vm.yaml")) as f:
        vm = yaml.safe_load(f)
    domain = vm["spec"]["template"]["spec"]["domain"]
    cpus = domain["cpu"]["sockets"] * domain["cpu"]["cores"] * domain["cpu"].get("threads", 1)
    if vm["kind"] != "VirtualMachine" or vm["metadata"]["name"] != name or cpus != 1 or \
            domain["memory"]["guest"] != "128Mi" or len(domain["devices"]["disks"]) != 1:
        fail("%s: the bundle's VirtualMachine does not have the flavor's 1 vCPU, 128 MiB and "
             "one disk: %s" % (name, vm))


def instance_disk_raw(bed, server_id, work):
    """the root disk nova-compute holds (qcow2 over its _base file), as raw"""
    disk = os.path.join(bed["FERRY_OS_NOVA_INSTANCES"], server_id, "disk")
    if not os.path.exists(disk):
        fail("nova-compute holds no disk %s" % disk)
    raw = os.path.join(work, server_id + ".raw")
    run("qemu-img", "convert", "-U", "-O", "raw", disk, raw)
    return raw


def check_equal(bundle_image, expected, source_image):
    run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", bundle_image, expected)
    with open(bundle_image, "rb") as f, open(source_image, "rb") as s:
        if f.read(IMAGE_MIB * MIB) != s.read():
            fail("the bundle's disk does not start with the image the server booted from")


def helpers_left(server_id):
    """nbdkit or qemu-nbd processes still serving this server's image"""
    found = []
    name = ("forklift-migration-vm-" + server_id).encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if (args[0].endswith(b"nbdkit") or args[0].endswith(b"qemu-nbd")) and \
                any(name in a or server_id.encode() in a for a in args[1:]):
            found.append(b" ".join(args).decode(errors="replace"))
    return found


def check_inventory(fx, server_id, image_id):
    run(*fx.ferry, "inventory", "refresh", "osp", env=fx.env)
    vms = json.loads(run(*fx.ferry, "inventory", "vms", "osp", "-o", "json",
                         env=fx.env).stdout)
    found = [v for v in vms if v.get("id") == server_id]
    if not found:
        fail("the inventory has no server %s: %s" % (server_id, [v.get("id") for v in vms]))
    vm = found[0]
    want = {"name": "nova-cold", "status": "ACTIVE", "flavorID": FLAVOR, "imageID": image_id,
            "attachedVolumes": [], "vcpus": 1, "memoryMB": 128, "powerState": 1,
            "powerStateHuman": "On"}
    wrong = {k: vm.get(k) for k, v in want.items() if vm.get(k) != v}
    if wrong or not vm.get("tenantID"):
        fail("the server's document lacks Forklift's fields (wrong: %s): %s" %
             (wrong, json.dumps(vm, indent=1)))
    disks = vm.get("disks") or []
    if len(disks) != 1 or disks[0].get("id") != "root" or disks[0].get("storage") != "glance" \
            or disks[0].get("capacity") != 1 << 30:
        fail("the server's disks are not one root disk from glance of 1 GiB: %s" % disks)
    print("inventory: server %s with Forklift's fields (tenantID, flavorID %s, imageID, "
          "attachedVolumes) and one root disk from glance" % (server_id, FLAVOR))


def neutron(bed, method, path, body=None, token=None):
    request = urllib.request.Request(
        bed["FERRY_OS_NEUTRON_URL"] + "/v2.0" + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Auth-Token": token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            text = reply.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        fail("Neutron %s %s: %d %s" % (method, path, e.code, e.read().decode()[:500]))


def check_networks(fx, nova):
    """a network and a subnet of the real Neutron in the inventory"""
    admin = nova.admin
    project = [p for p in json.loads(run(*fx.ferry, "inventory", "projects", "osp", "-o", "json",
                                         env=fx.env).stdout)
               if p.get("name") == fx.bed["FERRY_OS_PROJECT"]]
    if not project:
        fail("the inventory has no project %s" % fx.bed["FERRY_OS_PROJECT"])
    name = "ferry-net-%s" % uuid.uuid4().hex[:8]
    network = neutron(fx.bed, "POST", "/networks", {"network": {
        "name": name, "project_id": project[0]["id"], "provider:network_type": "flat",
        "provider:physical_network": name}}, token=admin)["network"]
    try:
        subnet = neutron(fx.bed, "POST", "/subnets", {"subnet": {
            "name": name + "-subnet", "network_id": network["id"], "ip_version": 4,
            "cidr": "10.99.7.0/24", "project_id": project[0]["id"]}}, token=admin)["subnet"]
        run(*fx.ferry, "inventory", "refresh", "osp", env=fx.env)
        networks = json.loads(run(*fx.ferry, "inventory", "networks", "osp", "-o", "json",
                                  env=fx.env).stdout)
        found = [n for n in networks if n.get("id") == network["id"]]
        if not found:
            fail("the inventory has no network %s: %s" % (name, [n.get("name") for n in networks]))
        # (provider:network_type, Forklift's networkType, is shown to admins
        # only by Neutron's default policy: absent for the project's user)
        want = {"name": name, "tenantID": project[0]["id"], "projectID": project[0]["id"],
                "subnets": [subnet["id"]], "shared": False, "status": "ACTIVE",
                "adminStateUp": True}
        wrong = {k: found[0].get(k) for k, v in want.items() if found[0].get(k) != v}
        if wrong:
            fail("the network's document lacks Forklift's fields (wrong: %s): %s" %
                 (wrong, json.dumps(found[0], indent=1)))
        subnets = json.loads(run(*fx.ferry, "inventory", "subnets", "osp", "-o", "json",
                                 env=fx.env).stdout)
        found = [s for s in subnets if s.get("id") == subnet["id"]]
        want = {"networkID": network["id"], "cidr": "10.99.7.0/24", "gatewayIP": "10.99.7.1",
                "ipVersion": 4, "enableDHCP": True}
        wrong = {k: found[0].get(k) for k, v in want.items() if found[0].get(k) != v} \
            if found else want
        if wrong:
            fail("the subnet is missing or lacks Forklift's fields (wrong: %s): %s" %
                 (wrong, found))
    finally:
        neutron(fx.bed, "DELETE", "/networks/" + network["id"], token=admin)
    run(*fx.ferry, "inventory", "refresh", "osp", env=fx.env)
    networks = json.loads(run(*fx.ferry, "inventory", "networks", "osp", "-o", "json",
                              env=fx.env).stdout)
    if any(n.get("id") == network["id"] for n in networks):
        fail("the deleted network %s is still in the inventory after a refresh" % name)
    print("Neutron: network %s (flat) and subnet 10.99.7.0/24 in the inventory with "
          "Forklift's fields; gone after their deletion and a refresh" % name)


def plan_phase(fx, name):
    out = run(*fx.ferry, "get", "plan", name, "-o", "json", env=fx.env).stdout
    for c in json.loads(out).get("status", {}).get("conditions", []):
        if c["type"] in ("Succeeded", "Failed", "Canceled") and c["status"] == "True":
            return c["type"]
    return None


def main():
    missing = [p for p in ("keystone-manage", "glance-api", "nova-api", "nova-compute",
                           "placement-api", "neutron-server", "rabbitmq-server", "libvirtd",
                           "jq")
               if not any(os.access(os.path.join(d, p), os.X_OK)
                          for d in (os.environ.get("PATH", "") +
                                    ":/usr/bin:/usr/sbin").split(":"))]
    if missing:
        if os.environ.get("CI") == "true":
            sys.exit("the OpenStack Nova test bed needs %s; run scripts/install-deps" %
                     ", ".join(missing))
        print("SKIP: the OpenStack Nova test bed needs %s (scripts/install-deps)" %
              ", ".join(missing))
        sys.exit(77)
    ost.hold_bed()
    started = time.monotonic()
    run(BED, ost.start_command(), timeout=1200)
    print("test bed (with Nova) ready in %.1f s" % (time.monotonic() - started))
    bed = {}
    for line in run(BED, "env").stdout.splitlines():
        key, _, value = line.partition("=")
        bed[key] = value

    work = tempfile.mkdtemp(prefix="ferry-openstack-nova-")
    fx = ost.Fixture(work, bed)
    nova = Nova(bed, fx.cloud)
    watcher = ost.CommandLineWatcher([bed["FERRY_OS_PASSWORD"], fx.cloud.token])
    watcher.start()
    servers = []
    images = []
    try:
        nova.ensure_flavor()
        source = make_image(os.path.join(work, "source.raw"))
        image_id = fx.cloud.upload("ferry-nova-source-%s" % uuid.uuid4(), source, "raw")
        images.append(image_id)
        booted = time.monotonic()
        cold = nova.boot("nova-cold", image_id)
        servers.append(cold)
        resume = nova.boot("nova-resume", image_id)
        servers.append(resume)
        for server_id in (cold, resume):
            server = nova.wait(server_id, "ACTIVE")
            if server.get("OS-EXT-STS:power_state") != 1:
                fail("server %s is ACTIVE but not running: %s" % (server_id, server))
        print("two servers booted from Glance image %s with no network, running (TCG) in "
              "%.1f s" % (image_id, time.monotonic() - booted))

        bundle = os.path.join(work, "bundle")
        path = os.path.join(work, "osp.yaml")
        with open(path, "w") as f:
            f.write(manifests(bed, bundle, [("cold", cold), ("resume", resume)]))
        run(*fx.ferry, "apply", "-f", path, env=fx.env)
        check_inventory(fx, cold, image_id)
        check_networks(fx, nova)

        # cold: powered off through Nova, createImage, download, removed
        out = run(*fx.ferry, "plan", "start", "cold", env=fx.env, timeout=1200).stdout
        print(out)
        if "Plan/cold: Succeeded" not in out:
            fail("the cold plan did not succeed:\n" + out)
        server = nova.server(cold)
        if server["status"] != "SHUTOFF":
            fail("Ferry did not power server %s off through Nova: %s" % (cold, server["status"]))
        run(*fx.ferry, "inventory", "refresh", "osp", env=fx.env)
        vm = [v for v in json.loads(run(*fx.ferry, "inventory", "vms", "osp", "-o", "json",
                                        env=fx.env).stdout) if v.get("id") == cold]
        if not vm or vm[0].get("status") != "SHUTOFF" or vm[0].get("powerStateHuman") != "Off":
            fail("the inventory does not show server %s off: %s" % (cold, vm))
        expected = instance_disk_raw(bed, cold, work)
        check_equal(bundle_disk(bundle, "nova-cold"), expected, source)
        check_bundle_vm(bundle, "nova-cold")
        left = fx.cloud.images_named("forklift-migration-vm-" + cold)
        if left:
            fail("the temporary image is left in Glance: %s" % left)
        print("cold plan: server powered off through Nova (SHUTOFF), its createImage image "
              "downloaded; the bundle's disk equals the instance disk, its VirtualMachine has "
              "the flavor's CPU and memory; no temporary image left")

        # kill -9 while Ferry waits for Nova's image, then `ferry run`
        process = subprocess.Popen(fx.ferry + ["plan", "start", "resume"], env=fx.env,
                                   text=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600
        seen = None
        while seen is None:
            for image in fx.cloud.images_named("forklift-migration-vm-" + resume):
                seen = image
            if seen is None and (time.monotonic() > deadline or process.poll() is not None):
                process.kill()
                fail("Ferry never asked Nova for an image of %s:\n%s" %
                     (resume, process.communicate()[0]))
            if seen is None:
                time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        killed_output = process.communicate()[0]
        status = fx.cloud.request("GET", "/v2/images/%s" % seen["id"])["status"]
        print("killed ferry while image %s was %s (%s when first seen)" %
              (seen["id"], status, seen["status"]))
        if seen["status"] == "active":
            fail("the image was already active when ferry was killed: the kill did not "
                 "hit the wait\n" + killed_output)
        out = run(*fx.ferry, "run", env=fx.env, timeout=1200).stdout
        print(out)
        if plan_phase(fx, "resume") != "Succeeded":
            fail("the plan did not succeed after kill -9 and ferry run:\n" + out)
        if nova.server(resume)["status"] != "SHUTOFF":
            fail("server %s is not SHUTOFF after the plan" % resume)
        expected = instance_disk_raw(bed, resume, work)
        check_equal(bundle_disk(bundle, "nova-resume"), expected, source)
        left = fx.cloud.images_named("forklift-migration-vm-" + resume)
        if left:
            fail("after kill -9 and ferry run, temporary images are left in Glance: %s" % left)
        for _ in range(50):
            helpers = helpers_left(resume) + helpers_left(cold)
            if not helpers:
                break
            time.sleep(0.1)
        else:
            fail("nbdkit or qemu-nbd left behind: %s" % helpers)
        print("kill -9 during the wait for Nova's image, then ferry run: equal disk, no "
              "temporary image in Glance, no nbdkit or qemu-nbd left")
        watcher.check()
    finally:
        for server_id in servers:
            nova.delete(server_id)
        for image in images:
            try:
                fx.cloud.delete(image)
            except Exception:  # noqa: BLE001 - best effort
                pass
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()

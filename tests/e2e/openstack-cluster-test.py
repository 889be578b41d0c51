#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A cold plan from REAL Nova into the real Kubernetes test bed: the
OpenStack bed of `scripts/openstack-testbed start-nova` (Keystone, Glance,
Placement, Neutron, RabbitMQ and Nova from Debian's packages, as in
tests/e2e/openstack-nova-plan-test.py) as the source, the API server of
`scripts/kube-testbed` as the destination (a Provider of type openshift
with a ServiceAccount token; the transfer pods use the host's network,
since Glance listens on the node's loopback):

- a server booted from a Glance image is powered off through Nova, Nova's
  createImage makes the image `forklift-migration-vm-<server>`, and its
  disk reaches a PVC: the VirtualMachine exists in the target namespace with
  the flavor's 1 vCPU and 128 MiB, and its PVC, read back by a pod, holds
  disk.img equal to the instance disk nova-compute holds (sha256);
- no temporary image is left in Glance, and no transfer pod, ConfigMap or
  Secret in the namespace;
- no password or token on any process's command line (the pods run here).

Without either bed it skips (exit 77), except under CI=true, where it fails.
"""

import hashlib
import importlib.util
import os
import secrets
import sys
import tempfile
import time
import uuid

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kubebed  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "openstack_nova_plan_test", os.path.join(HERE, "openstack-nova-plan-test.py"))
nova_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nova_test)
ost = nova_test.ost
run, fail = ost.run, ost.fail
SUFFIX = secrets.token_hex(3)
TARGET_NS = f"osp-cluster-{SUFFIX}"
BINDING = f"osp-cluster-{SUFFIX}"


def documents(bed, destination, server_id):
    """the Nova test's Secret and OpenStack Provider, the bed as the
    destination, maps and a Plan into the target namespace"""
    source = list(yaml.safe_load_all(nova_test.manifests(bed, "/nonexistent", [])))[:2]
    pair = {"source": {"name": "osp", "namespace": "demo"},
            "destination": {"name": "cluster", "namespace": "demo"}}
    return source + list(destination) + [
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
         "metadata": {"name": "osp-cluster-net", "namespace": "demo"},
         "spec": {"provider": pair, "map": []}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
         "metadata": {"name": "osp-cluster-storage", "namespace": "demo"},
         "spec": {"provider": pair,
                  "map": [{"source": {"name": "glance"},
                           "destination": {"storageClass": "local-path",
                                           "volumeMode": "Filesystem",
                                           "accessMode": "ReadWriteOnce"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
         "metadata": {"name": "to-cluster", "namespace": "demo"},
         "spec": {"type": "cold", "targetNamespace": TARGET_NS, "targetPowerState": "off",
                  "provider": pair,
                  "map": {"network": {"name": "osp-cluster-net", "namespace": "demo"},
                          "storage": {"name": "osp-cluster-storage", "namespace": "demo"}},
                  "vms": [{"id": server_id}]}},
    ]


def main():
    missing = [p for p in ("keystone-manage", "glance-api", "nova-api", "nova-compute",
                           "placement-api", "neutron-server", "rabbitmq-server", "libvirtd")
               if not any(os.access(os.path.join(d, p), os.X_OK)
                          for d in (os.environ.get("PATH", "") +
                                    ":/usr/bin:/usr/sbin").split(":"))]
    if missing:
        kubebed.skip_or_fail("the OpenStack Nova test bed needs %s; run scripts/install-deps"
                             % ", ".join(missing))
    cluster = kubebed.Bed(kubebed.start())
    ost.hold_bed()
    started = time.monotonic()
    run(nova_test.BED, ost.start_command(), timeout=1200)
    print("test bed (with Nova) ready in %.1f s" % (time.monotonic() - started))
    bed = {}
    for line in run(nova_test.BED, "env").stdout.splitlines():
        key, _, value = line.partition("=")
        bed[key] = value

    work = tempfile.mkdtemp(prefix="ferry-openstack-cluster-")
    fx = ost.Fixture(work, bed)
    nova = nova_test.Nova(bed, fx.cloud)
    watcher = ost.CommandLineWatcher([bed["FERRY_OS_PASSWORD"], fx.cloud.token])
    watcher.start()
    servers, images = [], []
    cluster.kubectl("create", "namespace", TARGET_NS)
    try:
        token = cluster.admin_token(TARGET_NS, BINDING)
        nova.ensure_flavor()
        source = nova_test.make_image(os.path.join(work, "source.raw"))
        image_id = fx.cloud.upload("ferry-cluster-source-%s" % uuid.uuid4(), source, "raw")
        images.append(image_id)
        server_id = nova.boot("nova-to-cluster", image_id)
        servers.append(server_id)
        nova.wait(server_id, "ACTIVE")

        path = os.path.join(work, "osp-cluster.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(documents(bed, cluster.provider_docs(
                "cluster", "demo", token, {"transferHostNetwork": "true"}), server_id), f)
        run(*fx.ferry, "apply", "-f", path, env=fx.env)
        out = run(*fx.ferry, "plan", "start", "to-cluster", env=fx.env, timeout=1200,
                  check=False)
        text = out.stdout + out.stderr
        if "Plan/to-cluster: Succeeded" not in text:
            fail("the plan into the cluster did not succeed:\n" + text)
        if nova.server(server_id)["status"] != "SHUTOFF":
            fail("Ferry did not power server %s off through Nova" % server_id)
        vm = cluster.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS,
                                  "nova-to-cluster")
        domain = vm["spec"]["template"]["spec"]["domain"]
        cpus = domain["cpu"]["sockets"] * domain["cpu"]["cores"] * \
            domain["cpu"].get("threads", 1)
        if cpus != 1 or domain["memory"]["guest"] != "128Mi":
            fail("the VirtualMachine does not have the flavor's 1 vCPU and 128 MiB: %s" %
                 domain)
        claims = [v["persistentVolumeClaim"]["claimName"]
                  for v in vm["spec"]["template"]["spec"]["volumes"]
                  if "persistentVolumeClaim" in v]
        if len(claims) != 1:
            fail("VirtualMachine nova-to-cluster has PVCs %s, not one" % claims)
        expected = nova_test.instance_disk_raw(bed, server_id, work)
        digest = hashlib.sha256()
        with open(expected, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        want = (os.path.getsize(expected), digest.hexdigest())
        got = cluster.read_back(TARGET_NS, claims)[claims[0]]
        if got != want:
            fail("PVC %s holds %s, not the instance disk nova-compute holds %s" %
                 (claims[0], got, want))
        left = fx.cloud.images_named("forklift-migration-vm-" + server_id)
        if left:
            fail("the temporary image is left in Glance: %s" % left)
        cluster.wait_for("the transfer objects to go", lambda: not cluster.kubectl_json(
            "get", "pods,secrets,configmaps", "-n", TARGET_NS, "-l",
            "ferry.konveyor.io/transfer")["items"], timeout=90)
        print("cold plan into the cluster: server powered off through Nova, its createImage "
              "image copied into PVC %s/%s, whose disk.img equals the instance disk "
              "(%d MiB, sha256); the VirtualMachine has the flavor's CPU and memory; no "
              "temporary image in Glance, no transfer object left" %
              (TARGET_NS, claims[0], want[0] >> 20))
        watcher.check()
    finally:
        for server in servers:
            nova.delete(server)
        for image in images:
            try:
                fx.cloud.delete(image)
            except Exception:  # noqa: BLE001 - best effort
                pass
        cluster.kubectl("delete", "virtualmachines.kubevirt.io", "--all", "-n", TARGET_NS,
                        "--wait=true", check=False)
        cluster.kubectl("delete", "namespace", TARGET_NS, "--wait=false", check=False)
        cluster.kubectl("delete", "clusterrolebinding", BINDING, check=False)


if __name__ == "__main__":
    main()

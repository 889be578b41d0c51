#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ferryd as the operator runs it: deployed into the real Kubernetes test bed
(scripts/kube-testbed) with `kubectl apply -k` of deploy/ferryd (the bed's
overlay, deploy/ferryd-testbed: host network, no kube-proxy), and driven only
by Forklift resources applied with kubectl, it migrates a VM of the vCenter
simulator (ferry-vcsim, from govmomi) and a VM of an OVA into the cluster
it runs in:

- Secret + vSphere Provider + a destination Provider of type openshift with
  no URL (the host cluster, reached with the pod's own ServiceAccount, as
  Forklift's "host" Provider) + maps + Plan + Migration;
- the Plan's status says Succeeded with Forklift's conditions, written by
  the leader pod; the VirtualMachine exists in the target namespace and its
  PVC, read back by a pod, equals the simulator's disk (sha256);
- the disk was pulled by a transfer pod the ferryd pod started (its
  ServiceAccount's least-privilege RBAC, deploy/ferryd/rbac.yaml, was
  enough: nothing else is bound to it), and no transfer object is left;
- the vSphere password appears in no ferryd pod log, no ConfigMap and no
  process's command line on this node (the pods run here);
- beside it, an OVA Provider whose folder is mounted into the ferryd pods
  (a hostPath here, where a real cluster would mount the NFS share
  Forklift's OVA provider reads): its Plan succeeds too, the disk pushed
  from the ferryd pod (nbdkit in the pod, through the API server's
  port-forward) into a PVC that equals the OVA's disk.

Objects live in namespaces named pod-mig-<random>, removed at the end.
Without a bed or a simulator it skips (exit 77), except under CI=true, where
it fails.
"""

import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrydbed  # noqa: E402
import kubebed  # noqa: E402
from ferrydctl import check_disk, make_ova  # noqa: E402

E2E = os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e")
MIB = 1 << 20

if not os.environ.get("FERRY_VCSIM"):
    kubebed.skip_or_fail("the vCenter simulator was not built; run scripts/install-deps")

# the simulator and the command-line watcher are the vSphere end-to-end test's
_spec = importlib.util.spec_from_file_location("vsphere_bundle_test",
                                               os.path.join(E2E, "vsphere-bundle-test.py"))
vsphere = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vsphere)
USER, PASSWORD, DISK_MIB = vsphere.USER, vsphere.PASSWORD, vsphere.DISK_MIB

env = kubebed.start()
image = env["FERRY_KUBE_IMAGE"]
bed = kubebed.Bed(env)
ns = f"pod-mig-{secrets.token_hex(3)}"
target = f"{ns}-vms"
# the OVA share: a folder every user can read (ferryd runs as nobody)
ova_dir = tempfile.mkdtemp(prefix="ferryd-pod-ova-", dir="/var/tmp")
os.chmod(ova_dir, 0o755)
OVA_MOUNT = "/srv/ova"
overlay = ferrydbed.Overlay(bed, ns, image, replicas=1, apiserver=env["FERRY_KUBE_APISERVER"],
                            host_paths=[(ova_dir, OVA_MOUNT)])
selector = "app.kubernetes.io/name=ferryd"


def pods():
    items = bed.kubectl_json("get", "pods", "-n", ns, "-l", selector)["items"]
    return [p for p in items if "deletionTimestamp" not in p["metadata"]]


def running(p):
    statuses = p["status"].get("containerStatuses", [])
    return p["status"].get("phase") == "Running" and statuses and \
        all("running" in s.get("state", {}) for s in statuses)


def ferryd_logs():
    out = ""
    for p in bed.kubectl_json("get", "pods", "-n", ns, "-l", selector)["items"]:
        name = p["metadata"]["name"]
        out += f"--- log of {name}:\n" + bed.kubectl("logs", "-n", ns, name,
                                                    check=False).stdout
    return out


def documents(vcsim):
    ca = open(vcsim["VCSIM_CA"]).read()
    pair = {"source": {"name": "vsphere", "namespace": ns},
            "destination": {"name": "host", "namespace": ns}}
    return [
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "vsphere-credentials", "namespace": ns}, "type": "Opaque",
         "stringData": {"user": USER, "password": PASSWORD, "cacert": ca}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": "vsphere", "namespace": ns},
         "spec": {"type": "vsphere", "url": vcsim["VCSIM_URL"],
                  "secret": {"name": "vsphere-credentials", "namespace": ns}}},
        # no URL: the cluster ferryd runs in, with its ServiceAccount; the
        # simulator listens on the node's loopback, so the transfer pods use
        # the host's network too
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": "host", "namespace": ns},
         "spec": {"type": "openshift", "url": "", "secret": {},
                  "settings": {"transferImage": image, "transferPodTimeout": "180",
                               "transferHostNetwork": "true"}}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
         "metadata": {"name": "vsphere-net", "namespace": ns},
         "spec": {"provider": pair, "map": [{"source": {"name": "DC0_DVPG0"},
                                             "destination": {"type": "pod"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
         "metadata": {"name": "vsphere-storage", "namespace": ns},
         "spec": {"provider": pair,
                  "map": [{"source": {"name": "LocalDS_0"},
                           "destination": {"storageClass": "local-path",
                                           "volumeMode": "Filesystem",
                                           "accessMode": "ReadWriteOnce"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
         "metadata": {"name": "from-vsphere", "namespace": ns},
         "spec": {"type": "cold", "targetNamespace": target, "skipGuestConversion": True,
                  "targetPowerState": "off", "provider": pair,
                  "map": {"network": {"name": "vsphere-net", "namespace": ns},
                          "storage": {"name": "vsphere-storage", "namespace": ns}},
                  "vms": [{"name": "DC0_H0_VM1"}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Migration",
         "metadata": {"name": "from-vsphere-1", "namespace": ns},
         "spec": {"plan": {"name": "from-vsphere", "namespace": ns}}},
    ] + ova_documents()


def ova_documents():
    pair = {"source": {"name": "ova", "namespace": ns},
            "destination": {"name": "host", "namespace": ns}}
    return [
        # Forklift's CRD wants a Secret for every Provider; an OVA's holds
        # only the URL
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "ova-credentials", "namespace": ns}, "type": "Opaque",
         "stringData": {"url": OVA_MOUNT}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": "ova", "namespace": ns},
         "spec": {"type": "ova", "url": OVA_MOUNT,
                  "secret": {"name": "ova-credentials", "namespace": ns}}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
         "metadata": {"name": "ova-net", "namespace": ns},
         "spec": {"provider": pair, "map": [{"source": {"name": "VM Network"},
                                             "destination": {"type": "pod"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
         "metadata": {"name": "ova-storage", "namespace": ns},
         "spec": {"provider": pair,
                  "map": [{"source": {"name": "web-disk1.vmdk"},
                           "destination": {"storageClass": "local-path",
                                           "volumeMode": "Filesystem",
                                           "accessMode": "ReadWriteOnce"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
         "metadata": {"name": "from-ova", "namespace": ns},
         "spec": {"type": "cold", "targetNamespace": target, "skipGuestConversion": True,
                  "useCompatibilityMode": True, "targetPowerState": "off", "provider": pair,
                  "map": {"network": {"name": "ova-net", "namespace": ns},
                          "storage": {"name": "ova-storage", "namespace": ns}},
                  "vms": [{"name": "web"}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Migration",
         "metadata": {"name": "from-ova-1", "namespace": ns},
         "spec": {"plan": {"name": "from-ova", "namespace": ns}}},
    ]


def condition(obj, kind):
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == kind and c.get("status") == "True":
            return c
    return None


def plan(name="from-vsphere"):
    return bed.kubectl_json("get", "plans.forklift.konveyor.io", "-n", ns, name)


def finished(name="from-vsphere"):
    p = plan(name)
    return p if condition(p, "Succeeded") or condition(p, "Failed") else None


work = tempfile.TemporaryDirectory(prefix="ferryd-pod-migration-")
vcsim = vsphere.start_vcsim(work.name)
watcher = vsphere.CommandLineWatcher([PASSWORD], exclude={vcsim["process"].pid})
watcher.start()
disk = os.urandom(DISK_MIB * MIB)
with open(vsphere.flat_file(vcsim, "DC0_H0_VM1"), "wb") as f:
    f.write(disk)
make_ova(ova_dir, "web")
status = 1
try:
    overlay.apply()
    bed.kubectl("create", "namespace", target)
    leader = bed.wait_for("a running ferryd pod that holds the Lease",
                          lambda: next((p["metadata"]["name"] for p in pods() if running(p)
                                        and " started leading" in bed.kubectl(
                                            "logs", "-n", ns, p["metadata"]["name"],
                                            check=False).stdout), None), timeout=240)
    print(f"ok: deploy/ferryd applied into {ns}; pod {leader} leads")

    path = os.path.join(work.name, "manifests.yaml")
    with open(path, "w") as f:
        f.write("\n---\n".join(json.dumps(d) for d in documents(vcsim)))
    t0 = time.monotonic()
    bed.kubectl("apply", "-f", path)
    seen = set()

    def done_or_record():
        for item in bed.kubectl_json("get", "pods,configmaps", "-n", target, "-l",
                                     "ferry.konveyor.io/transfer")["items"]:
            seen.add((item["kind"], item["metadata"]["name"]))
            if item["kind"] == "ConfigMap" and PASSWORD in json.dumps(item):
                raise AssertionError(f"ConfigMap {item['metadata']['name']} holds the password")
        return finished()
    result = bed.wait_for("the Plan to finish", done_or_record, timeout=600, interval=0.5)
    took = time.monotonic() - t0
    if not condition(result, "Succeeded"):
        raise AssertionError("the Plan did not succeed:\n" +
                             json.dumps(result.get("status"), indent=1))
    succeeded = condition(result, "Succeeded")
    assert succeeded.get("category") == "Advisory" and succeeded.get("lastTransitionTime"), \
        succeeded
    vms = result["status"]["migration"]["vms"]
    assert len(vms) == 1 and vms[0].get("phase") == "Completed" and any(
        c["type"] == "Succeeded" and c["status"] == "True" for c in vms[0]["conditions"]), vms
    print(f"ok: Plan {ns}/from-vsphere Succeeded in {took:.0f} s, status written by ferryd "
          f"with Forklift's conditions")

    vm = bed.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", target, "dc0-h0-vm1")
    claims = [v["persistentVolumeClaim"]["claimName"]
              for v in vm["spec"]["template"]["spec"]["volumes"]]
    assert len(claims) == 1, claims
    got = bed.read_back(target, claims)[claims[0]]
    assert got == (len(disk), hashlib.sha256(disk).hexdigest()), (got, len(disk))
    pulled = {kind for kind, name in seen if name.startswith(f"{claims[0]}-pull")}
    assert "Pod" in pulled, seen
    bed.wait_for("the transfer objects to go", lambda: not bed.kubectl_json(
        "get", "pods,configmaps,secrets", "-n", target, "-l",
        "ferry.konveyor.io/transfer")["items"], timeout=90)
    print(f"ok: VirtualMachine {target}/dc0-h0-vm1 on PVC {claims[0]}, which equals the "
          f"simulator's disk ({DISK_MIB} MiB, sha256); pulled by pod {claims[0]}-pull-…; "
          "nothing left")

    result = bed.wait_for("the OVA Plan to finish", lambda: finished("from-ova"),
                          timeout=600, interval=0.5)
    if not condition(result, "Succeeded"):
        raise AssertionError("the OVA Plan did not succeed:\n" +
                             json.dumps(result.get("status"), indent=1))
    vm = bed.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", target, "web")
    claims = [v["persistentVolumeClaim"]["claimName"]
              for v in vm["spec"]["template"]["spec"]["volumes"]]
    assert len(claims) == 1, claims
    size = check_disk(bed, target, claims[0], os.path.join(ova_dir + ".expected", "web.raw"))
    print(f"ok: Plan {ns}/from-ova Succeeded: the OVA folder mounted into the ferryd pod, "
          f"VirtualMachine {target}/web on PVC {claims[0]}, equal to the OVA's disk "
          f"({size >> 20} MiB, sha256)")

    logs = ferryd_logs()
    assert PASSWORD not in logs, "a ferryd pod logged the vSphere password"
    watcher.stop.set()
    watcher.join()
    assert not watcher.leaks, watcher.leaks
    print("ok: the password is in no ferryd log, no ConfigMap, no command line")
    status = 0
except AssertionError:
    print(ferryd_logs())
    print(bed.kubectl("get", "pods,pvc,events", "-n", target, check=False).stdout)
    raise
finally:
    watcher.stop.set()
    bed.kubectl("delete", "virtualmachines.kubevirt.io", "--all", "-n", target, "--wait=true",
                check=False)
    bed.kubectl("delete", "namespace", target, "--wait=false", check=False)
    # the Plan's finalizer needs ferryd: the Forklift objects go first
    bed.kubectl("delete", "plans.forklift.konveyor.io,migrations.forklift.konveyor.io", "--all",
                "-n", ns, "--wait=true", "--timeout=60s", check=False)
    overlay.delete()
    vcsim["process"].stdin.close()
    vcsim["process"].wait()
    work.cleanup()
    shutil.rmtree(ova_dir, ignore_errors=True)
    shutil.rmtree(ova_dir + ".expected", ignore_errors=True)
sys.exit(status)

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""oVirt into the real Kubernetes test bed (scripts/kube-testbed), through
the ferry command: the oVirt bed of tests/e2e/ovirtbed.py (a REAL
ovirt-imageio daemon from PyPI; the engine is the HAND-WRITTEN STAND-IN
tests/e2e/ovirt/engine-standin.py serving fakeovirt's recorded stubs,
because fakeovirt cannot be built here: `scripts/ovirt-testbed why`) as the
source, the bed's API server as the destination (a Provider of type
openshift with a ServiceAccount token):

- a cold plan of a VM whose raw disk imageio serves, pulled by a transfer
  pod in the cluster (on the host's network: the engine and imageio listen
  on loopback), and one whose qcow2 disk imageio serves through qemu-nbd,
  pushed through the API server's port-forward: both succeed with no guest
  conversion (oVirt guests already run on KVM, as under Forklift);
- each VirtualMachine exists, accepted by the API server with KubeVirt's
  CRD schema, and its PVC, read back by a pod, holds disk.img equal to the
  disk's content (sha256; the qcow2 one as raw);
- every image transfer the engine opened was finalized exactly once;
- a VM with a direct iSCSI LUN (hand-written stub vm-with-direct-lun) moves
  with its LUN attached in place, as Forklift does: its image disk is copied
  into a PVC, its LUN gets a static PersistentVolume (iscsi: the LUN's
  portal, IQN and number; Block, ReadWriteMany, Retain, no storage class)
  that the API server's PV controller binds to the claim the VM names as a
  `lun` device; nothing of the LUN is copied, and the engine is asked once
  to detach (not delete) the LUN from the source VM; before that, with a
  token whose rights stop at the target namespace (a Role: no
  PersistentVolume may be created), the same VM fails naming the
  PersistentVolume, the ClusterRole it needs and the rule, no PV is made and
  the LUN stays attached;
- no transfer pod or Secret is left in the target namespace;
- no password, SSO token or imageio ticket on any process's command line
  or environment (the transfer pods run on this node).

Objects live in a namespace named ovirt-cluster-<random>, removed at the
end. Without either bed it skips (exit 77), except under CI=true, where it
fails.
"""

import hashlib
import importlib.util
import os
import secrets
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kubebed  # noqa: E402
import ovirtbed  # noqa: E402

# the images, the watcher and the manifests are the bundle test's
_spec = importlib.util.spec_from_file_location("ovirt_bundle_test",
                                               os.path.join(HERE, "ovirt-bundle-test.py"))
ovirt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ovirt)

FERRY = os.environ["FERRY_BIN"]
SUFFIX = secrets.token_hex(3)
TARGET_NS = f"ovirt-cluster-{SUFFIX}"
BINDING = f"ovirt-cluster-{SUFFIX}"
# (VM, its name, its disk, how the disk reaches the PVC)
VMS = ((ovirt.VM_COLD, "vm-for-migration", ovirt.RAW_DISK, "pull"),
       (ovirt.VM_RESUME, "vm-for-insecure-migration", ovirt.QCOW2_DISK, "push"))
LUN_ID = "direct-lun"  # the LUN of ovirt.LUN_VM (tests/e2e/ovirt/stubs/disks/direct-lun)
LUN_PV = f"{TARGET_NS}-{LUN_ID}"


def run(*argv, check=True, **kwargs):
    return ovirt.run(*argv, check=check, **kwargs)


def documents(destination):
    """@destination (the bed's Secret and Provider), the maps, and one Plan
    per VM into the target namespace"""
    docs = list(destination)
    pair = {"source": {"name": "ovirt-prod", "namespace": "demo"},
            "destination": {"name": "cluster", "namespace": "demo"}}
    docs += [
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
         "metadata": {"name": "ovirt-cluster-net", "namespace": "demo"},
         "spec": {"provider": pair,
                  "map": [{"source": {"id": "6b6b7239-5ea1-4f08-a76e-be150ab8eb89"},
                           "destination": {"type": "pod"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
         "metadata": {"name": "ovirt-cluster-storage", "namespace": "demo"},
         "spec": {"provider": pair,
                  "map": [{"source": {"id": "95ef6fee-5773-46a2-9340-a636958a96b8"},
                           "destination": {"storageClass": "local-path",
                                           "volumeMode": "Filesystem",
                                           "accessMode": "ReadWriteOnce"}}]}},
    ]
    for vm, name, _, mode in VMS + ((ovirt.LUN_VM, "vm-with-direct-lun", None, "push"),
                                    (ovirt.LUN_VM, "lun-rbac", None, "push")):
        docs.append(
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
             "metadata": {"name": f"to-cluster-{name}", "namespace": "demo",
                          "annotations": {"transfer.ferry.konveyor.io/mode": mode}},
             "spec": {"type": "cold", "targetNamespace": TARGET_NS, "targetPowerState": "off",
                      "provider": pair,
                      "map": {"network": {"name": "ovirt-cluster-net", "namespace": "demo"},
                              "storage": {"name": "ovirt-cluster-storage",
                                          "namespace": "demo"}},
                      "vms": [{"id": vm}]}})
    return docs


def main():
    work = tempfile.mkdtemp(prefix="ferry-e2e-ovirt-cluster-")
    images, expected = ovirt.make_images(work)
    bed = ovirtbed.OvirtBed(work, ovirt.USER, ovirt.PASSWORD, images=images,
                            vms_up=[ovirt.VM_RESUME])
    if not bed.available:
        kubebed.skip_or_fail("the oVirt test bed is missing; run scripts/ovirt-testbed build")
    cluster = kubebed.Bed(kubebed.start())
    bed.start()
    watcher = ovirt.Watcher({os.getpid(), bed.engine.pid})
    watcher.start()
    cluster.kubectl("create", "namespace", TARGET_NS)
    try:
        token = cluster.admin_token(TARGET_NS, BINDING)
        # the bundle test's Secret and oVirt Provider (its first two documents)
        source = list(yaml.safe_load_all(ovirt.manifests(bed, os.path.join(work, "unused"))))[:2]
        path = os.path.join(work, "ovirt-cluster.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(source + documents(
                # the engine and imageio listen on the node's loopback: the
                # pull transfer pods use the host's network
                cluster.provider_docs("cluster", "demo", token,
                                      {"transferHostNetwork": "true"})), f)
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]
        run(*ferry, "apply", "-f", path, env=env)

        for vm, name, disk, mode in VMS:
            before = len(bed.stats()["created"])
            out = run(*ferry, "plan", "start", f"to-cluster-{name}", env=env, check=False)
            text = out.stdout + out.stderr
            if f"Plan/to-cluster-{name}: Succeeded" not in text:
                sys.exit(f"the plan of {name} into the cluster did not succeed:\n{text}")
            if "virt-v2v" in text or "Convert" in text:
                sys.exit(f"an oVirt guest was converted on its way to the cluster:\n{text}")
            doc = cluster.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS,
                                       name)
            claims = [v["persistentVolumeClaim"]["claimName"]
                      for v in doc["spec"]["template"]["spec"]["volumes"]
                      if "persistentVolumeClaim" in v]
            if len(claims) != 1:
                sys.exit(f"VirtualMachine {name} has PVCs {claims}, not one")
            got = cluster.read_back(TARGET_NS, claims)[claims[0]]
            want = (len(expected[disk]), hashlib.sha256(expected[disk]).hexdigest())
            if got != want:
                sys.exit(f"PVC {claims[0]} holds {got}, not the disk imageio served {want}")
            stats = bed.stats()
            created = stats["created"][before:]
            if not created or any(stats["finalize"].get(t) != 1 for t in created):
                sys.exit(f"the image transfers of {name} were not each finalized once: {stats}")
            print(f"{name} ({mode}): VirtualMachine {TARGET_NS}/{name} on PVC {claims[0]}, whose "
                  f"disk.img equals the disk imageio served ({len(expected[disk]) >> 20} MiB, "
                  f"sha256); {len(created)} image transfer(s), each finalized once; "
                  "no conversion")

        check_direct_lun_rbac(cluster, bed, ferry, env, path, token)
        check_direct_lun(cluster, bed, ferry, env, expected)

        cluster.wait_for("the transfer objects to go", lambda: not cluster.kubectl_json(
            "get", "pods,secrets,configmaps", "-n", TARGET_NS, "-l",
            "ferry.konveyor.io/transfer")["items"], timeout=90)
        print("no transfer pod, Secret or ConfigMap left")
        leaks = [o for o in ovirt.OUTPUTS
                 if any(s in o for s in [ovirt.PASSWORD] + sorted(bed.secrets))]
        if leaks:
            sys.exit("a credential appeared in ferry's output")
        watcher.check([ovirt.PASSWORD] + sorted(bed.secrets))
    finally:
        watcher.stop.set()
        bed.stop()
        cluster.kubectl("delete", "virtualmachines.kubevirt.io", "--all", "-n", TARGET_NS,
                        "--wait=true", check=False)
        cluster.kubectl("delete", "namespace", TARGET_NS, "--wait=false", check=False)
        # a PersistentVolume is cluster-wide: the namespace does not take it
        cluster.kubectl("delete", "persistentvolume", LUN_PV, "--wait=false", check=False)
        cluster.kubectl("delete", "clusterrolebinding", BINDING, check=False)


def check_direct_lun_rbac(cluster, bed, ferry, env, path, token):
    """the LUN VM with a token that may do everything in the target
    namespace but create a PersistentVolume: a clear refusal, nothing made"""
    sa = f"ns-only-{SUFFIX}"
    cluster.kubectl("create", "serviceaccount", "-n", TARGET_NS, sa)
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": sa, "namespace": TARGET_NS},
            "rules": [{"apiGroups": [""], "verbs": ["get", "list", "create", "delete"],
                       "resources": ["persistentvolumeclaims", "pods", "configmaps",
                                     "secrets"]},
                      {"apiGroups": [""], "resources": ["pods/portforward"],
                       "verbs": ["get", "create"]},
                      {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
                      {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
                      {"apiGroups": ["kubevirt.io"], "resources": ["virtualmachines"],
                       "verbs": ["get", "list", "create", "delete"]}]}
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(role))
    cluster.kubectl("create", "rolebinding", "-n", TARGET_NS, sa, f"--role={sa}",
                    f"--serviceaccount={TARGET_NS}:{sa}")
    limited = cluster.kubectl("create", "token", "-n", TARGET_NS, sa,
                              "--duration=1h").stdout.strip()
    secret = cluster.provider_docs("cluster", "demo", limited, {"transferHostNetwork": "true"})[0]
    limited_path = path + ".limited"
    with open(limited_path, "w") as f:
        yaml.safe_dump(secret, f)
    run(*ferry, "apply", "-f", limited_path, env=env)
    try:
        out = run(*ferry, "plan", "start", "to-cluster-lun-rbac", env=env, check=False)
        status = run(*ferry, "get", "plan", "to-cluster-lun-rbac", "-o", "json", env=env).stdout
        text = out.stdout + out.stderr + status
        if out.returncode == 0 or "PersistentVolume" not in text or \
                "ClusterRole" not in text or "persistentvolumes" not in text:
            sys.exit(f"a LUN VM without the right to create a PersistentVolume did not fail "
                     f"naming it (exit {out.returncode}):\n{text[-3000:]}")
        if limited in text:
            sys.exit("the token appeared in ferry's output")
    finally:
        run(*ferry, "apply", "-f", path, env=env)  # the admin token again
    pvs = cluster.kubectl_json("get", "persistentvolumes")["items"]
    if any(p["metadata"]["name"] == LUN_PV for p in pvs):
        sys.exit("a PersistentVolume was made although the plan was refused")
    if bed.stats().get("detached"):
        sys.exit("the LUN was detached from the source although the VM did not migrate")
    vms = cluster.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS)["items"]
    if any(v["metadata"]["name"] == "lun-rbac" for v in vms):
        sys.exit("a VirtualMachine was made although its LUN could not be attached")
    line = next((x for x in text.splitlines() if "ClusterRole" in x), "")
    print("a LUN VM without rights on PersistentVolumes: " + line.strip()[:300])


def check_direct_lun(cluster, bed, ferry, env, expected):
    """the VM with a direct iSCSI LUN: image disk copied, LUN attached in
    place through a static PV bound to the claim its lun device names, and
    detached from the source VM once"""
    name = "vm-with-direct-lun"
    out = run(*ferry, "plan", "start", f"to-cluster-{name}", env=env, check=False)
    text = out.stdout + out.stderr
    if f"Plan/to-cluster-{name}: Succeeded" not in text:
        sys.exit(f"the plan of the VM with a direct LUN did not succeed:\n{text}")
    doc = cluster.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS, name)
    template = doc["spec"]["template"]["spec"]
    luns = [d["name"] for d in template["domain"]["devices"]["disks"] if "lun" in d]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in template["volumes"]
              if "persistentVolumeClaim" in v}
    if len(luns) != 1 or claims.get(luns[0]) != LUN_ID or len(claims) != 2:
        sys.exit(f"VirtualMachine {name}: lun devices {luns}, claims {claims}; expected the "
                 f"image disk's claim and the lun device on claim {LUN_ID}")
    image = [c for v, c in claims.items() if v != luns[0]]
    got = cluster.read_back(TARGET_NS, image)[image[0]]
    want = (len(expected[ovirt.RAW_DISK]), hashlib.sha256(expected[ovirt.RAW_DISK]).hexdigest())
    if got != want:
        sys.exit(f"PVC {image[0]} holds {got}, not the image disk imageio served {want}")
    pv = cluster.kubectl_json("get", "persistentvolume", LUN_PV)
    spec = pv["spec"]
    want_pv = {"iscsi": {"targetPortal": "192.0.2.10:3260",
                         "iqn": "iqn.2026-01.org.example:storage.lun1", "lun": 1},
               "volumeMode": "Block", "accessModes": ["ReadWriteMany"],
               "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
               "capacity": {"storage": "10Gi"}}
    for key, value in want_pv.items():
        have = spec.get(key)
        if key == "iscsi":
            have = {k: (have or {}).get(k) for k in value}
        if have not in (value, None if key == "storageClassName" else value):
            sys.exit(f"PersistentVolume {LUN_PV}: {key} is {spec.get(key)}, not {value}")
    cluster.wait_for(f"the PV controller to bind {LUN_PV} to {TARGET_NS}/{LUN_ID}", lambda: (
        cluster.kubectl_json("get", "pvc", "-n", TARGET_NS, LUN_ID)["status"].get("phase")
        == "Bound"), timeout=60)
    claim = cluster.kubectl_json("get", "pvc", "-n", TARGET_NS, LUN_ID)
    if claim["spec"].get("volumeName") != LUN_PV:
        sys.exit(f"claim {LUN_ID} is bound to {claim['spec'].get('volumeName')}, not {LUN_PV}")
    detached = bed.stats().get("detached", [])
    if detached != [[ovirt.LUN_VM, LUN_ID]]:
        sys.exit(f"the engine was asked to detach {detached}, not the LUN once")
    print(f"{name}: image disk equal on PVC {image[0]}; the LUN attached in place through "
          f"PV {LUN_PV} (iscsi 192.0.2.10:3260 lun 1, Block, ReadWriteMany, Retain), bound to "
          f"claim {LUN_ID}, a lun device of the VM; detached from the source VM once")


if __name__ == "__main__":
    main()

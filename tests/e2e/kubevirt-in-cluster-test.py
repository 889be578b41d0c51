#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ferry inside the cluster it migrates into: the `ferry` command runs in a
pod of Ferry's image on the Kubernetes test bed (scripts/kube-testbed), with
a ServiceAccount, and migrates sample OVAs (a host folder mounted into the
pod) with `ferry apply` and `ferry plan start` to a destination Provider of
type openshift whose `spec.url` is empty and that has no Secret: Forklift's
host provider, which means the cluster Ferry runs in (the pod's service
account token and CA). The VirtualMachines and PVCs exist, a pod reads each
PVC back and it equals the source disk, and no transfer pod is left.

The bed has no kube-proxy, so the `kubernetes` Service has no data path:
the pod runs on the host's network with KUBERNETES_SERVICE_HOST and _PORT
pointing at the API server's address (a quirk of the bed, not of Ferry,
which reads those variables as every in-cluster client does).

Without a bed it skips (exit 77), except under CI=true, where it fails.
"""

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubebed  # noqa: E402

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def manifests(ova_dir, target_ns):
    ova = "file://" + ova_dir
    ref = {"source": {"name": "ova", "namespace": "demo"},
           "destination": {"name": "host", "namespace": "demo"}}
    return [
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "ova-credentials", "namespace": "demo"},
         "type": "Opaque", "stringData": {"url": ova}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": "ova", "namespace": "demo"},
         "spec": {"type": "ova", "url": ova,
                  "secret": {"name": "ova-credentials", "namespace": "demo"}}},
        # the host cluster: no URL, no Secret
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": "host", "namespace": "demo"},
         "spec": {"type": "openshift", "url": ""}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
         "metadata": {"name": "networks", "namespace": "demo"},
         "spec": {"provider": ref,
                  "map": [{"source": {"name": "VM Network"}, "destination": {"type": "pod"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
         "metadata": {"name": "storage", "namespace": "demo"},
         "spec": {"provider": ref,
                  "map": [{"source": {"name": f"{vm}-disk1.vmdk"},
                           "destination": {"storageClass": "local-path",
                                           "accessMode": "ReadWriteOnce"}}
                          for vm in ("web", "db")]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
         "metadata": {"name": "in-cluster", "namespace": "demo"},
         "spec": {"targetNamespace": target_ns, "skipGuestConversion": True,
                  "targetPowerState": "off", "provider": ref,
                  "map": {"network": {"name": "networks", "namespace": "demo"},
                          "storage": {"name": "storage", "namespace": "demo"}},
                  "vms": [{"name": "web"}, {"name": "db"}]}},
    ]


def main():
    # Ferry's image on the bed is made from this build: a sanitizer build's
    # binaries need their runtime, which the image does not have
    build = os.environ.get("FERRY_BUILDDIR", "")
    ferry = os.path.join(build, "tools", "ferry")
    if build and os.path.exists(ferry) and "libasan" in subprocess.run(
            ["readelf", "-d", ferry], capture_output=True, text=True).stdout:
        print("SKIP: %s is a sanitizer build; Ferry's image needs an ordinary build" % build)
        sys.exit(77)
    bed = kubebed.Bed(kubebed.start())
    server = urllib.parse.urlsplit(bed.env["FERRY_KUBE_APISERVER"])
    suffix = secrets.token_hex(3)
    ferry_ns, target_ns, binding = f"in-cluster-{suffix}", f"in-cluster-{suffix}-vms", \
        f"in-cluster-{suffix}"
    work = tempfile.mkdtemp(prefix="ferry-in-cluster-", dir="/var/tmp")
    os.chmod(work, 0o755)
    try:
        for ns in (ferry_ns, target_ns):
            bed.kubectl("create", "namespace", ns)
        bed.admin_token(ferry_ns, binding)   # the ServiceAccount `ferry`, cluster-admin
        ova_dir = os.path.join(work, "ova")
        octets = os.urandom(3)
        subprocess.run([os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir,
                        "web", "db"], check=True, capture_output=True,
                       env=dict(os.environ, FERRY_OVA_MAC_PREFIX="02:%02x:%02x:%02x:00" %
                                tuple(octets)))
        with open(os.path.join(work, "manifests.yaml"), "w") as f:
            yaml.safe_dump_all(manifests(ova_dir, target_ns), f)
        script = (f"set -e; ferry --state /tmp/state -n demo apply -f {work}/manifests.yaml; "
                  "ferry --state /tmp/state -n demo provider test host; "
                  "ferry --state /tmp/state -n demo plan start in-cluster")
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "ferry", "namespace": ferry_ns},
            "spec": {"restartPolicy": "Never", "serviceAccountName": "ferry",
                     "hostNetwork": True,
                     "containers": [{
                         "name": "ferry", "image": bed.env["FERRY_KUBE_IMAGE"],
                         "imagePullPolicy": "IfNotPresent",
                         "command": ["/bin/sh", "-c", script],
                         # as a Deployment of Ferry says which image its transfer
                         # pods run: its own
                         "env": [{"name": "FERRY_NO_TTY", "value": "1"},
                                 {"name": "FERRY_TRANSFER_IMAGE",
                                  "value": bed.env["FERRY_KUBE_IMAGE"]},
                                 {"name": "KUBERNETES_SERVICE_HOST", "value": server.hostname},
                                 {"name": "KUBERNETES_SERVICE_PORT",
                                  "value": str(server.port)}],
                         "volumeMounts": [{"name": "work", "mountPath": work,
                                           "readOnly": True}]}],
                     "volumes": [{"name": "work", "hostPath": {"path": work,
                                                                "type": "Directory"}}]},
        }
        bed.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
        phase = bed.wait_pod(ferry_ns, "ferry", timeout=600)
        log = bed.kubectl("logs", "-n", ferry_ns, "ferry").stdout
        print("\n".join("  | " + line for line in log.strip().splitlines()))
        assert phase == "Succeeded" and "Plan/in-cluster: Succeeded" in log, \
            f"the migration inside the cluster did not succeed ({phase})"
        assert "KubeVirtServed" in log, "provider test did not report the host cluster"
        print("ok - `ferry plan start` in a pod migrated to the cluster it runs in "
              "(empty spec.url, no Secret: the pod's service account)")

        claims = {}
        for vm in ("web", "db"):
            kvm = bed.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", target_ns, vm)
            vols = kvm["spec"]["template"]["spec"]["volumes"]
            claims[vm] = [v["persistentVolumeClaim"]["claimName"] for v in vols
                          if "persistentVolumeClaim" in v][0]
        got = bed.read_back(target_ns, list(claims.values()))
        for vm, claim in claims.items():
            # make-sample-ova leaves each guest-visible disk in DIR.expected/
            raw = os.path.join(ova_dir + ".expected", f"{vm}.raw")
            want = (os.path.getsize(raw), sha256(raw))
            assert got[claim] == want, f"{vm}: PVC {claim} holds {got[claim]}, source {want}"
            print(f"ok - {vm}: VirtualMachine {target_ns}/{vm} on PVC {claim}, "
                  f"disk.img equals the source disk")
        pods = bed.kubectl_json("get", "pods", "-n", target_ns, "-l",
                                "ferry.konveyor.io/transfer")["items"]
        assert not pods, [p["metadata"]["name"] for p in pods]
        print("ok - no transfer pod left")
    finally:
        for ns in (target_ns, ferry_ns):
            bed.kubectl("delete", "namespace", ns, "--wait=false", check=False)
        bed.kubectl("delete", "clusterrolebinding", binding, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

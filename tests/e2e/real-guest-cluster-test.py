#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real test guest (scripts/make-test-guest: a Debian 12 guest exported as
an OVA) converted on its way into the real Kubernetes test bed
(scripts/kube-testbed), through the `ferry` command:

virt-v2v reads the OVA and converts the guest on this machine (one pass, into
a local file in the VM's work folder), and the converted disk is pushed into
the PVC through the transfer pod and the API server's port-forward. Then:
the plan and the VM succeeded with the guest's operating system in the VM
status; the VirtualMachine on the PVC, accepted by the real API server with
KubeVirt's CRD schema, is labelled converted and has its disk on virtio; the
PVC, read back over NBD from a pod (kubectl port-forward) with guestfish,
holds virt-v2v's first-boot script, which the source image does not; no
transfer pod is left.

Conversion inside the cluster (virt-v2v in a pod) is not tried here: Ferry's
image on the bed has no libguestfs (see plugins/kubevirt/README.md).

Slow (a conversion under TCG, minutes): suites `real-guest` and `kube`.
Under CI=true nothing here may skip.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubebed  # noqa: E402

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def main():
    for tool in ("virt-v2v", "guestfish", "qemu-img"):
        if shutil.which(tool) is None:
            kubebed.skip_or_fail("%s is not installed (scripts/install-deps)" % tool)
    bed = kubebed.Bed(kubebed.start())
    guest = run(os.path.join(SOURCE_ROOT, "scripts", "make-test-guest")).stdout.strip()
    image = run(os.path.join(SOURCE_ROOT, "scripts", "make-test-guest"),
                "--image").stdout.strip()

    suffix = secrets.token_hex(3)
    ctl_ns, target_ns, binding = (f"real-guest-{suffix}", f"real-guest-{suffix}-vms",
                                  f"real-guest-{suffix}")
    work = tempfile.mkdtemp(prefix="ferry-real-guest-cluster-", dir="/var/tmp")
    try:
        for ns in (ctl_ns, target_ns):
            bed.kubectl("create", "namespace", ns)
        token = bed.admin_token(ctl_ns, binding)
        os.makedirs(os.path.join(work, "ova"))
        os.link(guest, os.path.join(work, "ova", os.path.basename(guest)))
        ova_url = "file://" + os.path.join(work, "ova")
        docs = bed.provider_docs("cluster", "guests", token) + [
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "ova-credentials", "namespace": "guests"},
             "type": "Opaque", "stringData": {"url": ova_url}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
             "metadata": {"name": "ova-source", "namespace": "guests"},
             "spec": {"type": "ova", "url": ova_url,
                      "secret": {"name": "ova-credentials", "namespace": "guests"}}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
             "metadata": {"name": "networks", "namespace": "guests"},
             "spec": {"provider": {"source": {"name": "ova-source", "namespace": "guests"},
                                   "destination": {"name": "cluster", "namespace": "guests"}},
                      "map": [{"source": {"name": "VM Network"},
                               "destination": {"type": "pod"}}]}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
             "metadata": {"name": "storage", "namespace": "guests"},
             "spec": {"provider": {"source": {"name": "ova-source", "namespace": "guests"},
                                   "destination": {"name": "cluster", "namespace": "guests"}},
                      "map": [{"source": {"name": "ferry-test-guest-disk1.vmdk"},
                               "destination": {"storageClass": "local-path",
                                               "volumeMode": "Filesystem",
                                               "accessMode": "ReadWriteOnce"}}]}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
             "metadata": {"name": "guest-to-cluster", "namespace": "guests"},
             "spec": {"targetNamespace": target_ns, "targetPowerState": "off",
                      "provider": {"source": {"name": "ova-source", "namespace": "guests"},
                                   "destination": {"name": "cluster",
                                                   "namespace": "guests"}},
                      "map": {"network": {"name": "networks", "namespace": "guests"},
                              "storage": {"name": "storage", "namespace": "guests"}},
                      "vms": [{"name": "ferry-test-guest"}]}},
        ]
        manifests = os.path.join(work, "manifests.yaml")
        with open(manifests, "w") as f:
            yaml.safe_dump_all(docs, f)
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "guests"]
        run(*ferry, "apply", "-f", manifests, env=env)
        out = run(*ferry, "plan", "start", "guest-to-cluster", check=False, env=env)
        plan = json.loads(run(*ferry, "get", "plan", "guest-to-cluster", "-o", "json",
                              env=env).stdout)
        vms = plan.get("status", {}).get("migration", {}).get("vms", [])
        conditions = {c["type"] for c in (vms[0].get("conditions", []) if vms else [])}
        if "Succeeded" not in conditions:
            sys.exit("guest-to-cluster did not succeed:\n%s%s\n%s" % (
                out.stdout, out.stderr, json.dumps(vms, indent=1)))
        vm = vms[0]
        steps = [s["name"] for s in vm.get("pipeline", [])]
        if "DiskTransferV2v" not in steps:
            sys.exit("the copy did not go through virt-v2v: %s" % steps)
        if "debian" not in json.dumps(vm.get("operatingSystem", "")).lower():
            sys.exit("the conversion did not record the guest: %s" % vm.get("operatingSystem"))
        print("ok - the test guest converted and pushed into the cluster: %s" % steps)

        # the VirtualMachine and its PVC, as the API server stored them
        kvm = bed.kubectl_json("get", "virtualmachines.kubevirt.io", "-n", target_ns,
                               "ferry-test-guest")
        labels = kvm["metadata"].get("labels", {})
        if labels.get("guestConverted") != "true":
            sys.exit("the VM is not labelled converted: %s" % labels)
        template = kvm["spec"]["template"]["spec"]
        claims = [v["persistentVolumeClaim"]["claimName"] for v in template["volumes"]
                  if "persistentVolumeClaim" in v]
        buses = [d.get("disk", {}).get("bus") for d in template["domain"]["devices"]["disks"]]
        if len(claims) != 1 or buses != ["virtio"]:
            sys.exit("expected one PVC disk on virtio: %s %s" % (claims, buses))
        print("ok - VirtualMachine %s/ferry-test-guest on PVC %s, bus virtio, "
              "guestConverted=true" % (target_ns, claims[0]))

        # virt-v2v's first-boot service is in the PVC, not in the source
        probe = "is-file /usr/lib/virt-sysprep/firstboot.sh\n"
        env_fs = dict(os.environ, LIBGUESTFS_BACKEND="direct",
                      LIBGUESTFS_BACKEND_SETTINGS="force_tcg")
        uri, cleanup = bed.serve_claim(target_ns, claims[0])
        try:
            got = run("guestfish", "--ro", "--format=raw", "-a", uri, "-m", "/dev/sda1",
                      input=probe, env=env_fs).stdout.strip()
        finally:
            cleanup()
        source = run("guestfish", "--ro", "--format=raw", "-a", image, "-m", "/dev/sda1",
                     input=probe, env=env_fs).stdout.strip()
        if got != "true" or source != "false":
            sys.exit("virt-v2v's first-boot script: in the PVC %s, in the source %s" % (
                got, source))
        print("ok - the PVC holds the converted guest (virt-v2v's first-boot script, "
              "absent from the source)")
        pods = bed.kubectl_json("get", "pods", "-n", target_ns, "-l",
                                "ferry.konveyor.io/transfer")["items"]
        if pods:
            sys.exit("transfer pods left: %s" % [p["metadata"]["name"] for p in pods])
        print("ok - no transfer pod left")
    finally:
        for ns in (target_ns, ctl_ns):
            bed.kubectl("delete", "namespace", ns, "--wait=false", check=False)
        bed.kubectl("delete", "clusterrolebinding", binding, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

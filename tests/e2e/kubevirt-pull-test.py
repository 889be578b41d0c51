#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The KubeVirt destination in cluster mode, pull: the vCenter simulator
(ferry-vcsim) into the real Kubernetes test bed (scripts/kube-testbed),
through the ferry command. The destination Provider says
transferHostNetwork: "true" (the simulator listens on the node's loopback),
so each disk is copied by a pod of Ferry's image running `ferry transfer`
in the target namespace, not by Ferry through a port-forward:

- cold: the plan succeeds, the VirtualMachine and its PVC exist, a pod
  reads the PVC back and its disk.img equals the simulator's disk (sha256);
  pull pods, their ConfigMaps and Secrets were seen during the copy, no
  push transfer pod was started, none is left; no ConfigMap held the
  password;
- warm: precopies while the disk changes under scripted changed areas,
  then the cutover; the PVC equals the last disk; pull pods, no push pod;
- push forced: a destination Provider with transferMode: push copies the
  same kind of source with the push transfer pod (no pull pod), and a plan
  annotated transfer.ferry.konveyor.io/mode: push into the pull destination
  does so too; both PVCs are right;
- a wrong vSphere password: the plan fails with an error naming the
  source Provider and what to fix (Ferry logs in before any pod starts),
  no transfer object is left, and the password appears in no output, no
  process's command line (the pods' included: they run on this node) and
  no ConfigMap.

Every object lives in namespaces named cluster-pull-<random>, removed at the
end. Without a bed or a simulator it skips (exit 77), except under CI=true,
where it fails. FERRY_KUBE_PULL_IMAGE overrides the transfer image (it must
have `ferry transfer`); by default the bed's Ferry image is used.
"""

import hashlib
import importlib.util
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
MIB = 1 << 20

sys.path.insert(0, HERE)
import kubebed  # noqa: E402

if not os.environ.get("FERRY_VCSIM"):
    kubebed.skip_or_fail("the vCenter simulator was not built; run scripts/install-deps")

# the simulator and the command-line watcher are the vSphere end-to-end test's
_spec = importlib.util.spec_from_file_location("vsphere_bundle_test",
                                               os.path.join(HERE, "vsphere-bundle-test.py"))
vsphere = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vsphere)
USER, PASSWORD, DISK_MIB = vsphere.USER, vsphere.PASSWORD, vsphere.DISK_MIB
WRONG_PASSWORD = "Wr0ng-" + secrets.token_hex(6)

BED = kubebed.Bed(kubebed.start())
ENV = BED.env
kubectl = BED.kubectl
kubectl_json = BED.kubectl_json
skip_or_fail = kubebed.skip_or_fail


def wait_for(what, predicate, timeout=120):
    return BED.wait_for(what, predicate, timeout=timeout, interval=0.5)


def read_back(claims):
    """size and sha256 of disk.img of each PVC, read by a pod"""
    return BED.read_back(TARGET_NS, claims)
IMAGE = os.environ.get("FERRY_KUBE_PULL_IMAGE") or ENV["FERRY_KUBE_IMAGE"]
SUFFIX = secrets.token_hex(3)
CTL_NS = f"cluster-pull-{SUFFIX}"
TARGET_NS = f"cluster-pull-{SUFFIX}-vms"
BINDING = f"cluster-pull-{SUFFIX}"






def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode,
                                                         result.stdout, result.stderr))
    return result


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()




def transfer_objects():
    items = kubectl_json("get", "pods,configmaps,secrets", "-n", TARGET_NS,
                         "-l", "ferry.konveyor.io/transfer")["items"]
    return [(i["kind"], i["metadata"]["name"]) for i in items]


class ClusterWatcher(threading.Thread):
    """records every transfer pod, ConfigMap and Secret seen in the target
    namespace, and whether a ConfigMap ever held the password"""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen = set()
        self.leak = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            r = kubectl("get", "pods,configmaps", "-n", TARGET_NS, "-l",
                        "ferry.konveyor.io/transfer", "-o", "json", check=False)
            if r.returncode == 0:
                for item in json.loads(r.stdout)["items"]:
                    self.seen.add((item["kind"], item["metadata"]["name"]))
                    if item["kind"] == "ConfigMap":
                        text = json.dumps(item)
                        for secret in (PASSWORD, WRONG_PASSWORD):
                            if secret in text:
                                self.leak = item["metadata"]["name"]
            r = kubectl("get", "secrets", "-n", TARGET_NS, "-l",
                        "ferry.konveyor.io/transfer", "-o", "name", check=False)
            for line in r.stdout.split():
                self.seen.add(("Secret", line.split("/", 1)[1]))
            time.sleep(0.5)

    def take(self):
        seen, self.seen = self.seen, set()
        return seen




def setup_cluster():
    for ns in (CTL_NS, TARGET_NS):
        kubectl("create", "namespace", ns)
    kubectl("create", "serviceaccount", "-n", CTL_NS, "ferry")
    kubectl("create", "clusterrolebinding", BINDING, "--clusterrole=cluster-admin",
            f"--serviceaccount={CTL_NS}:ferry")
    token = kubectl("create", "token", "-n", CTL_NS, "ferry", "--duration=2h").stdout.strip()
    with open(ENV["FERRY_KUBE_CA"]) as f:
        ca = f.read()
    return token, ca


def teardown_cluster():
    # the simulator's MACs are fixed: its VMs must be gone before the next
    # run checks the cluster for MAC conflicts, not merely being deleted
    kubectl("delete", "virtualmachines.kubevirt.io", "--all", "-n", TARGET_NS, "--wait=true",
            check=False)
    for ns in (TARGET_NS, CTL_NS):
        kubectl("delete", "namespace", ns, "--wait=false", check=False)
    kubectl("delete", "clusterrolebinding", BINDING, check=False)


def docs(vcsim, token, ca):
    ca_vcsim = open(vcsim["VCSIM_CA"]).read()
    out = []
    for name, password in (("vsphere", PASSWORD), ("vsphere-wrong", WRONG_PASSWORD)):
        out += [
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": f"{name}-credentials", "namespace": "demo"},
             "type": "Opaque",
             "stringData": {"user": USER, "password": password, "ca.crt": ca_vcsim}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
             "metadata": {"name": name, "namespace": "demo"},
             "spec": {"type": "vsphere", "url": vcsim["VCSIM_URL"],
                      "secret": {"name": f"{name}-credentials", "namespace": "demo"}}},
        ]
    out.append({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "cluster-credentials", "namespace": "demo"},
                "type": "Opaque", "stringData": {"token": token, "cacert": ca}})
    for name, mode in (("cluster", None), ("cluster-push", "push"),
                       ("cluster-nohost", "pull")):
        settings = {"transferImage": IMAGE, "transferPodTimeout": "180",
                    "transferHostNetwork": "true"}
        if mode:
            settings["transferMode"] = mode
        if name == "cluster-nohost":
            del settings["transferHostNetwork"]
        out.append({"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                    "metadata": {"name": name, "namespace": "demo"},
                    "spec": {"type": "openshift", "url": ENV["FERRY_KUBE_APISERVER"],
                             "secret": {"name": "cluster-credentials", "namespace": "demo"},
                             "settings": settings}})
    for source in ("vsphere", "vsphere-wrong"):
        for destination in ("cluster", "cluster-push", "cluster-nohost"):
            pair = {"source": {"name": source, "namespace": "demo"},
                    "destination": {"name": destination, "namespace": "demo"}}
            out += [
                {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
                 "metadata": {"name": f"{source}-{destination}-net", "namespace": "demo"},
                 "spec": {"provider": pair,
                          "map": [{"source": {"name": "DC0_DVPG0"},
                                   "destination": {"type": "pod"}}]}},
                {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
                 "metadata": {"name": f"{source}-{destination}-storage", "namespace": "demo"},
                 "spec": {"provider": pair,
                          "map": [{"source": {"name": "LocalDS_0"},
                                   "destination": {"storageClass": "local-path",
                                                   "volumeMode": "Filesystem",
                                                   "accessMode": "ReadWriteOnce"}}]}},
            ]
    out.append({"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "ForkliftController",
                "metadata": {"name": "forklift-controller", "namespace": "demo"},
                "spec": {"precopy_interval_seconds": 3}})
    return out


def plan_doc(name, vm, kind="cold", source="vsphere", destination="cluster", annotations=None,
             target_name=None):
    doc = {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
           "metadata": {"name": name, "namespace": "demo"},
           "spec": {"type": kind, "targetNamespace": TARGET_NS, "skipGuestConversion": True,
                    "targetPowerState": "off",
                    "provider": {"source": {"name": source, "namespace": "demo"},
                                 "destination": {"name": destination, "namespace": "demo"}},
                    "map": {"network": {"name": f"{source}-{destination}-net",
                                        "namespace": "demo"},
                            "storage": {"name": f"{source}-{destination}-storage",
                                        "namespace": "demo"}},
                    "vms": [{"name": vm}]}}
    if annotations:
        doc["metadata"]["annotations"] = annotations
    if target_name:
        doc["spec"]["vms"][0]["targetName"] = target_name
    return doc


class Ferry:
    def __init__(self, work):
        self.work = work
        self.base = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]
        self.env = dict(os.environ, FERRY_NO_TTY="1")
        self.outputs = []

    def __call__(self, *args, check=True):
        r = run(*self.base, *args, check=check, env=self.env)
        self.outputs.append(r.stdout + r.stderr)
        return r

    def apply(self, documents):
        path = os.path.join(self.work, f"manifests-{secrets.token_hex(3)}.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(documents, f)
        self("apply", "-f", path)

    def plan_status(self, plan):
        return json.loads(self("get", "plan", plan, "-o", "json").stdout).get("status", {})

    def start(self, plan):
        r = self("plan", "start", plan, check=False)
        if f"Plan/{plan}: Succeeded" not in r.stdout:
            raise AssertionError(f"Plan/{plan} did not succeed:\n{r.stdout}{r.stderr}\n" +
                                 json.dumps(self.plan_status(plan), indent=1))
        return r


def vm_claims(vm_name):
    vm = kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS, vm_name)
    volumes = vm["spec"]["template"]["spec"]["volumes"]
    return [v["persistentVolumeClaim"]["claimName"] for v in volumes]


def check_disk(vm_name, image, what):
    claims = vm_claims(vm_name)
    assert len(claims) == 1, claims
    got = read_back(claims)[claims[0]]
    assert got == (len(image), sha256_bytes(image)), (what, got, len(image))
    return claims[0]


def pull_objects(seen, claim):
    return {(kind, name) for kind, name in seen if name.startswith(f"{claim}-pull")}


def assert_clean():
    wait_for("the transfer objects to go", lambda: not transfer_objects(), timeout=90)


def test_cold(ferry, watcher, vcsim):
    image = os.urandom(DISK_MIB * MIB)
    with open(vsphere.flat_file(vcsim, "DC0_H0_VM1"), "wb") as f:
        f.write(image)
    ferry.apply([plan_doc("pull-cold", "DC0_H0_VM1")])
    t0 = time.monotonic()
    ferry.start("pull-cold")
    claim = check_disk("dc0-h0-vm1", image, "cold")
    seen = watcher.take()
    kinds = {kind for kind, _ in pull_objects(seen, claim)}
    assert kinds == {"Pod", "ConfigMap", "Secret"}, seen
    # the push transfer pod (and its port-forward) was not started at all
    assert not any(name.startswith(f"{claim}-transfer-") for _, name in seen), seen
    pvc = kubectl_json("get", "pvc", "-n", TARGET_NS, claim)
    assert pvc["metadata"]["labels"].get("plan"), pvc["metadata"]
    assert_clean()
    print(f"ok - cold: DC0_H0_VM1 pulled into PVC {TARGET_NS}/{claim} in "
          f"{time.monotonic() - t0:.1f} s by a pod {claim}-pull-… (with its ConfigMap and "
          f"Secret); disk.img equals the simulator's disk; nothing left")
    return seen


def test_warm(ferry, watcher, vcsim):
    source = vsphere.flat_file(vcsim, "DC0_H0_VM0")
    with open(source, "wb") as f:
        f.write(os.urandom(DISK_MIB * MIB))
    ferry("inventory", "refresh", "vsphere")
    out = ferry("inventory", "vms", "vsphere", "--query", "where name = 'DC0_H0_VM0'",
                "-o", "json").stdout
    key = json.loads(out)[0]["disks"][0]["key"]
    script = os.path.join(vcsim["cbt"], "DC0_H0_VM0-%d.json" % key)
    ferry.apply([plan_doc("pull-warm", "DC0_H0_VM0", kind="warm")])
    warm = subprocess.Popen(ferry.base + ["plan", "start", "pull-warm"], env=ferry.env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def successes():
        vms = ferry.plan_status("pull-warm").get("migration", {}).get("vms", [])
        return vms[0].get("warm", {}).get("successes", 0) if vms else 0

    changed = []
    try:
        for precopy, (offset, length) in enumerate(((1 * MIB, 65536),
                                                    (9 * MIB + 4096, 4096))):
            wait_for(f"precopy {precopy + 1}", lambda: successes() >= precopy + 1, timeout=240)
            vsphere.write_at(source, offset, os.urandom(length))
            changed.append([offset, length])
            with open(script, "w") as f:
                json.dump({"areas": changed}, f)
        wait_for("precopy 3", lambda: successes() >= 3, timeout=240)
        vsphere.write_at(source, 12 * MIB, os.urandom(131072))
        changed.append([12 * MIB, 131072])
        with open(script, "w") as f:
            json.dump({"areas": changed}, f)
    finally:
        warm.send_signal(signal.SIGINT)
        try:
            out, _ = warm.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            warm.kill()
            out, _ = warm.communicate()
        ferry.outputs.append(out)
    ferry("plan", "cutover", "pull-warm")
    ferry("run")
    conditions = ferry.plan_status("pull-warm").get("conditions", [])
    assert any(c["type"] == "Succeeded" and c["status"] == "True" for c in conditions), \
        json.dumps(ferry.plan_status("pull-warm"), indent=1)
    with open(source, "rb") as f:
        image = f.read()
    claim = check_disk("dc0-h0-vm0", image, "warm")
    precopies = ferry.plan_status("pull-warm")["migration"]["vms"][0]["warm"]["precopies"]
    seen = watcher.take()
    assert any(kind == "Pod" and name.startswith(f"{claim}-pull-") for kind, name in seen), seen
    assert not any(name.startswith(f"{claim}-transfer-") for _, name in seen), seen
    assert_clean()
    print(f"ok - warm: {len(precopies)} precopies and the cutover pulled into PVC "
          f"{TARGET_NS}/{claim}; disk.img equals the last disk; nothing left")
    return seen


def test_push_forced(ferry, watcher, vcsim):
    images = {}
    for plan, vm, destination, annotations in (
            ("push-provider", "DC0_C0_RP0_VM0", "cluster-push", None),
            ("push-plan", "DC0_C0_RP0_VM1", "cluster",
             {"transfer.ferry.konveyor.io/mode": "push"})):
        images[vm] = os.urandom(DISK_MIB * MIB)
        with open(vsphere.flat_file(vcsim, vm), "wb") as f:
            f.write(images[vm])
        ferry.apply([plan_doc(plan, vm, destination=destination, annotations=annotations)])
        ferry.start(plan)
        claim = check_disk(vm.lower().replace("_", "-"), images[vm], plan)
        seen = watcher.take()
        assert not pull_objects(seen, claim), seen
        assert any(kind == "Pod" and name.startswith(f"{claim}-transfer-")
                   for kind, name in seen), seen
        print(f"ok - {plan}: {vm} pushed into PVC {claim} through the push transfer pod "
              f"(no pull pod), its disk.img equals the source")
    assert_clean()


def test_wrong_password(ferry, watcher, vcsim):
    ferry.apply([plan_doc("pull-wrong", "DC0_H0_VM1", source="vsphere-wrong")])
    r = ferry("plan", "start", "pull-wrong", check=False)
    text = r.stdout + r.stderr + json.dumps(ferry.plan_status("pull-wrong"))
    assert "Plan/pull-wrong: Succeeded" not in r.stdout, text
    assert "password" in text.lower() and "Secret" in text, text
    assert WRONG_PASSWORD not in text, "the wrong password was shown"
    watcher.take()
    assert_clean()
    said = [line.strip() for line in (r.stdout + r.stderr).splitlines()
            if "password" in line.lower()]
    assert said and "vsphere-wrong" in said[0], r.stdout + r.stderr
    print(f"ok - a wrong vSphere password fails the plan, no credential shown: {said[0]}")


def test_unreachable(ferry, watcher, vcsim):
    """the pod's own failure: without the node's network the pod cannot reach
    the simulator on the node's loopback (a VM not migrated yet: the
    destination checks refuse a MAC already there)"""
    with open(vsphere.flat_file(vcsim, "DC0_C0_RP0_VM0"), "wb") as f:
        f.write(os.urandom(DISK_MIB * MIB))
    ferry.apply([plan_doc("pull-unreachable", "DC0_C0_RP0_VM0", destination="cluster-nohost",
                          target_name="unreachable")])
    t0 = time.monotonic()
    r = ferry("plan", "start", "pull-unreachable", check=False)
    assert "Plan/pull-unreachable: Succeeded" not in r.stdout, r.stdout
    reasons = [reason for vm in ferry.plan_status("pull-unreachable")["migration"]["vms"]
               for reason in vm.get("error", {}).get("reasons", [])]
    assert len(reasons) == 1, (reasons, r.stdout, r.stderr)
    reason = reasons[0]
    for part in ("disk", "unreachable-disk-0", "pull transfer pod", "restarts",
                 "transferHostNetwork"):
        assert part in reason, (part, reason)
    seen = watcher.take()
    assert any(kind == "Pod" and "-pull-" in name for kind, name in seen), seen
    assert_clean()
    print(f"ok - a source the pod cannot reach fails in {time.monotonic() - t0:.0f} s, "
          f"naming the disk and the fix: {reason}")


def main():
    if not os.path.exists(ENV["FERRY_KUBE_CA"]):
        skip_or_fail("the test bed has no CA")
    work = tempfile.mkdtemp(prefix="ferry-e2e-kube-pull-")
    vcsim = vsphere.start_vcsim(work)
    token, ca = setup_cluster()
    watcher = ClusterWatcher()
    watcher.start()
    procs = vsphere.CommandLineWatcher([PASSWORD, WRONG_PASSWORD, token],
                                       {vcsim["process"].pid, os.getpid()})
    procs.start()
    try:
        ferry = Ferry(work)
        ferry.apply(docs(vcsim, token, ca))
        test_cold(ferry, watcher, vcsim)
        test_warm(ferry, watcher, vcsim)
        test_unreachable(ferry, watcher, vcsim)
        test_push_forced(ferry, watcher, vcsim)
        test_wrong_password(ferry, watcher, vcsim)
        assert watcher.leak is None, f"ConfigMap {watcher.leak} held a password"
        for out in ferry.outputs:
            for secret in (PASSWORD, WRONG_PASSWORD, token):
                assert secret not in out, "a credential appeared in ferry's output"
        procs.check()
        print("kubevirt pull end to end: cold, warm, unreachable, push forced and a wrong password passed")
    finally:
        watcher.stop.set()
        procs.stop.set()
        teardown_cluster()
        vcsim["process"].stdin.close()
        vcsim["process"].terminate()
        vcsim["process"].wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()

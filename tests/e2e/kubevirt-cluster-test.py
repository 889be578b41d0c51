#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The KubeVirt destination in cluster mode (push), end to end on the real
Kubernetes test bed (scripts/kube-testbed), through the ferry command:

- sample OVAs migrated by `ferry apply` + `ferry plan start` (raw copy) into
  a Provider of type openshift whose Secret holds a ServiceAccount token and
  the bed's CA: the PVCs and the VirtualMachine were accepted by the real API
  server (KubeVirt's CRD schema), a pod reads each PVC back and its bytes
  equal the source disk (sha256), and no transfer pod is left;
- `ferry plan start` killed with SIGKILL in the middle of a large disk's copy
  and started again resumes: the bytes written again are a small part of
  the disk's data, the disk is byte-identical and no transfer pod is left;
- bad input: a wrong token (401 naming the Provider), a VM name taken by a
  foreign VM (EXISTS naming it; the foreign VM stays, the PVCs made for the
  failed VM are removed: deleteVmOnFailMigration; with it false, `ferry plan
  archive` removes them), a missing target namespace, a ResourceQuota
  refusing the PVC or the transfer pod (naming them and the quota), a
  transfer image that cannot be pulled;
- a 6 s outage of the API server (a proxy in front of it) while the PVC is
  made is ridden out by the retries.

Every object lives in namespaces named cluster-push-<random>, removed at the
end. Without a bed it skips (exit 77), except under CI=true, where it fails.
"""

import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

import yaml

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
MIB = 1 << 20

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubebed  # noqa: E402






BED = kubebed.Bed(kubebed.start())
ENV = BED.env
kubectl = BED.kubectl
kubectl_json = BED.kubectl_json
wait_for = BED.wait_for
read_back = BED.read_back
SUFFIX = secrets.token_hex(3)
CTL_NS = f"cluster-push-{SUFFIX}"           # the ServiceAccount
TARGET_NS = f"cluster-push-{SUFFIX}-vms"    # where VMs go
QUOTA_NS = f"cluster-push-{SUFFIX}-quota"   # a namespace with a tiny storage quota
PODS_NS = f"cluster-push-{SUFFIX}-nopods"   # a namespace whose quota allows no pod
STRICT_NS = f"cluster-push-{SUFFIX}-strict"  # Pod Security "restricted" enforced
MISSING_NS = f"cluster-push-{SUFFIX}-gone"  # never created
BINDING = f"cluster-push-{SUFFIX}"






def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode,
                                                         result.stdout, result.stderr))
    return result


def make_sample_ova(ova_dir, *names, env=None):
    """scripts/make-sample-ova with MAC addresses no other VM on the shared bed
    has: the destination checks refuse a MAC already in use (MacConflicts)"""
    octets = os.urandom(3)
    prefix = "02:%02x:%02x:%02x:00" % (octets[0], octets[1], octets[2])
    full = dict(os.environ, FERRY_OVA_MAC_PREFIX=prefix)
    full.update(env or {})
    return run(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir, *names, env=full)

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(4 * MIB)
            if not block:
                return h.hexdigest()
            h.update(block)




def transfer_pods(namespace):
    pods = kubectl_json("get", "pods", "-n", namespace, "-l", "ferry.konveyor.io/transfer")
    return [p["metadata"]["name"] for p in pods["items"]]


def assert_no_transfer_pods(namespace):
    wait_for(f"the transfer pods of {namespace} to go", lambda: not transfer_pods(namespace),
             timeout=90)


def claim_gone(name, namespace=None):
    r = kubectl("get", "pvc", "-n", namespace or TARGET_NS, name, "-o", "json", check=False)
    return r.returncode != 0 or json.loads(r.stdout)["metadata"].get("deletionTimestamp")




def setup_cluster():
    for ns in (CTL_NS, TARGET_NS, QUOTA_NS, PODS_NS, STRICT_NS):
        kubectl("create", "namespace", ns)
    kubectl("label", "namespace", STRICT_NS, "pod-security.kubernetes.io/enforce=restricted")
    kubectl("create", "quota", "-n", PODS_NS, "no-pods", "--hard=pods=0")
    kubectl("create", "serviceaccount", "-n", CTL_NS, "ferry")
    # VMs are kubevirt.io objects; without KubeVirt's operator no aggregated
    # role grants them, so the test's ServiceAccount is a cluster admin
    kubectl("create", "clusterrolebinding", BINDING, "--clusterrole=cluster-admin",
            f"--serviceaccount={CTL_NS}:ferry")
    kubectl("create", "quota", "-n", QUOTA_NS, "tiny-storage", "--hard=requests.storage=1Mi")
    token = kubectl("create", "token", "-n", CTL_NS, "ferry", "--duration=2h").stdout.strip()
    with open(ENV["FERRY_KUBE_CA"]) as f:
        ca = f.read()
    return token, ca


def teardown_cluster():
    for ns in (TARGET_NS, QUOTA_NS, PODS_NS, STRICT_NS, CTL_NS):
        kubectl("delete", "namespace", ns, "--wait=false", check=False)
    kubectl("delete", "clusterrolebinding", BINDING, check=False)


def provider_docs(name, token, ca):
    return [
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": f"{name}-credentials", "namespace": "demo"},
         "type": "Opaque", "stringData": {"token": token, "cacert": ca}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": name, "namespace": "demo"},
         "spec": {"type": "openshift", "url": ENV["FERRY_KUBE_APISERVER"],
                  "secret": {"name": f"{name}-credentials", "namespace": "demo"},
                  "settings": {"transferImage": ENV["FERRY_KUBE_IMAGE"],
                               "transferPodTimeout": "180"}}},
    ]


def plan_docs(name, ova_dir, destination, vms, disks, namespace, bandwidth=None, extra=None):
    source = f"{name}-ova"
    docs = [
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": f"{source}-credentials", "namespace": "demo"},
         "type": "Opaque", "stringData": {"url": "file://" + ova_dir}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": source, "namespace": "demo"},
         "spec": {"type": "ova", "url": "file://" + ova_dir,
                  "secret": {"name": f"{source}-credentials", "namespace": "demo"}}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
         "metadata": {"name": f"{name}-networks", "namespace": "demo"},
         "spec": {"provider": {"source": {"name": source, "namespace": "demo"},
                               "destination": {"name": destination, "namespace": "demo"}},
                  "map": [{"source": {"name": "VM Network"},
                           "destination": {"type": "pod"}}]}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
         "metadata": {"name": f"{name}-storage", "namespace": "demo"},
         "spec": {"provider": {"source": {"name": source, "namespace": "demo"},
                               "destination": {"name": destination, "namespace": "demo"}},
                  "map": [{"source": {"name": d},
                           "destination": {"storageClass": "local-path",
                                           "volumeMode": "Filesystem",
                                           "accessMode": "ReadWriteOnce"}} for d in disks]}},
    ]
    spec = {"targetNamespace": namespace, "skipGuestConversion": True,
            "useCompatibilityMode": True, "targetPowerState": "off",
            "provider": {"source": {"name": source, "namespace": "demo"},
                         "destination": {"name": destination, "namespace": "demo"}},
            "map": {"network": {"name": f"{name}-networks", "namespace": "demo"},
                    "storage": {"name": f"{name}-storage", "namespace": "demo"}},
            "vms": [{"name": vm} for vm in vms]}
    if bandwidth is not None:
        spec["bandwidth"] = bandwidth
    spec.update(extra or {})
    docs.append({"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
                 "metadata": {"name": name, "namespace": "demo"}, "spec": spec})
    return docs


class Ferry:
    def __init__(self, work):
        self.state = os.path.join(work, "state")
        self.work = work
        self.env = dict(os.environ, FERRY_NO_TTY="1")

    def argv(self, *args):
        return [FERRY, "--state", self.state, "-n", "demo", *args]

    def apply(self, docs):
        path = os.path.join(self.work, f"manifests-{secrets.token_hex(3)}.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(docs, f)
        run(*self.argv("apply", "-f", path), env=self.env)

    def start(self, plan, check=True):
        r = run(*self.argv("plan", "start", plan), check=False, env=self.env)
        if check and f"Plan/{plan}: Succeeded" not in r.stdout:
            raise AssertionError(f"Plan/{plan} did not succeed:\n{r.stdout}{r.stderr}")
        return r

    def plan(self, plan):
        return json.loads(run(*self.argv("get", "plan", plan, "-o", "json"),
                              env=self.env).stdout)


def plan_text(ferry, plan, result):
    """everything the user sees about a plan: the command's output and the status"""
    text = result.stdout + result.stderr
    print("\n".join("  | " + line for line in text.strip().splitlines()))
    return text + json.dumps(ferry.plan(plan))


def test_migrate(ferry, work, token, ca):
    ova_dir = os.path.join(work, "ova")
    make_sample_ova(ova_dir, "web", "db")
    ferry.apply(plan_docs("to-cluster", ova_dir, "cluster", ["web", "db"],
                          ["web-disk1.vmdk", "db-disk1.vmdk"], TARGET_NS))
    t0 = time.monotonic()
    start = ferry.start("to-cluster")
    print(start.stdout)
    plan = ferry.plan("to-cluster")
    vms = plan["status"]["migration"]["vms"]
    assert len(vms) == 2 and all(any(c["type"] == "Succeeded" for c in v["conditions"])
                                 for v in vms), json.dumps(vms, indent=1)
    for name in ("web", "db"):
        vm = kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS, name)
        labels = vm["metadata"]["labels"]
        assert labels.get("plan") and labels.get("vmID") and labels.get("migration"), labels
        assert vm["spec"]["runStrategy"] == "Halted", vm["spec"]
        volumes = vm["spec"]["template"]["spec"]["volumes"]
        claims = [v["persistentVolumeClaim"]["claimName"] for v in volumes]
        assert len(claims) == 1 and all("dataVolume" not in v for v in volumes), volumes
        disks = vm["spec"]["template"]["spec"]["domain"]["devices"]["disks"]
        assert disks[0]["disk"]["bus"] == "sata", disks  # raw copy, compatibility mode
        pvc = kubectl_json("get", "pvc", "-n", TARGET_NS, claims[0])
        for key in ("plan", "vmID", "migration"):
            assert pvc["metadata"]["labels"].get(key) == labels[key], (key, pvc["metadata"])
        assert pvc["metadata"]["annotations"]["forklift.konveyor.io/disk-index"] == "0"
        assert pvc["spec"]["storageClassName"] == "local-path", pvc["spec"]
        # 256 MiB over (1 - 10 %) filesystem overhead: Forklift's sizing
        assert pvc["spec"]["resources"]["requests"]["storage"] == str(
            -(-256 * MIB * 10 // 9)), pvc["spec"]["resources"]
        got = read_back(TARGET_NS, claims)[claims[0]]
        expected = os.path.join(ova_dir + ".expected", name + ".raw")
        assert got == (os.path.getsize(expected), sha256(expected)), (name, got)
        print(f"ok - {name}: VirtualMachine {TARGET_NS}/{name} on PVC {claims[0]}, "
              f"its disk.img equals the source disk (sha256 {got[1][:12]}…)")
    assert_no_transfer_pods(TARGET_NS)
    print(f"ok - 2 OVAs migrated into the cluster in {time.monotonic() - t0:.1f} s; "
          "no transfer pod left")


def journal_ranges(state):
    """the ranges (offset, length) the copy journals of the state folder record as done;
    readable once the copy's process is gone (it holds the journal exclusively)"""
    ranges = []
    for path in glob.glob(os.path.join(state, "journals", "*", "*", "*.journal")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        ranges += db.execute("SELECT offset, length FROM done").fetchall()
        db.close()
    return ranges


def overlap(ranges, pieces):
    """bytes of @pieces (offset, length) inside @ranges"""
    total = 0
    for a, n in ranges:
        for b, m in pieces:
            total += max(0, min(a + n, b + m) - max(a, b))
    return total


def copy_stats(text):
    """the copy's own report (G_MESSAGES_DEBUG=Ferry) of each disk copy"""
    return [dict(zip(("total", "resumed", "read", "written", "zeroed"), map(int, m)))
            for m in re.findall(r"(\d+) bytes to copy, (\d+) resumed from the journal, "
                                r"(\d+) read, (\d+) written, (\d+) zeroed", text)]


def test_resume_after_kill(ferry, work, token, ca):
    size = 512 * MIB
    data = 160 * MIB
    raw = os.path.join(work, "big.raw")
    # random data in 4 MiB pieces spread over the disk, holes between
    pieces = [(i * (size // (data // (4 * MIB))), 4 * MIB) for i in range(data // (4 * MIB))]
    with open(raw, "wb") as f:
        f.truncate(size)
        for offset, length in pieces:
            f.seek(offset)
            f.write(os.urandom(length))
    ova_dir = os.path.join(work, "ova-big")
    make_sample_ova(ova_dir, "big",
        env={"FERRY_OVA_IMAGE": raw})
    # 20 MiB/s: the copy of 160 MiB of data takes about 8 s, long enough to
    # be killed in the middle
    ferry.apply(plan_docs("resume", ova_dir, "cluster", ["big"], ["big-disk1.vmdk"], TARGET_NS,
                          bandwidth=20 * MIB))
    env = dict(ferry.env, G_MESSAGES_DEBUG="Ferry FerryKubevirt")
    first = subprocess.Popen(ferry.argv("plan", "start", "resume"), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    copying = threading.Event()

    def reader():
        in_copy = False
        for line in first.stdout:
            lines.append(line)
            if line.rstrip().endswith(": CopyDisks"):
                in_copy = True
            if in_copy and "served by pod" in line:
                copying.set()
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    if not copying.wait(timeout=300):
        first.kill()
        thread.join()
        raise AssertionError("the copy did not start:\n" + "".join(lines))
    time.sleep(3)
    first.send_signal(signal.SIGKILL)
    first.wait()
    thread.join()
    assert "Plan/resume: Succeeded" not in "".join(lines), "".join(lines)
    data_done = overlap(journal_ranges(ferry.state), pieces)
    data_left = data - data_done
    assert 0 < data_done < data, f"{data_done} bytes of data recorded of {data}:\n" + \
        "".join(lines)
    print(f"ok - ferry plan start killed (SIGKILL) with {data_done >> 20} MiB of the "
          f"{data >> 20} MiB of data recorded as copied in the copy journal")
    # a transfer pod of this VM left in another namespace (as by a crash
    # after a plan's target namespace changed): finalize_plan removes it
    vm_id = kubectl_json("get", "pvc", "-n", TARGET_NS,
                         "resume-big-disk-0")["metadata"]["labels"]["vmID"]
    stray = {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "stray-transfer", "namespace": CTL_NS,
                          "labels": {"ferry.konveyor.io/transfer": "old-disk", "vmID": vm_id}},
             "spec": {"terminationGracePeriodSeconds": 1, "automountServiceAccountToken": False,
                      "containers": [{"name": "s", "image": ENV["FERRY_KUBE_IMAGE"],
                                      "imagePullPolicy": "IfNotPresent",
                                      "command": ["sleep", "3600"]}]}}
    kubectl("create", "-f", "-", stdin=json.dumps(stray))
    second = subprocess.run(ferry.argv("plan", "start", "resume"), capture_output=True,
                            text=True, env=env)
    text = second.stdout + second.stderr
    assert "Plan/resume: Succeeded" in text, text[-4000:]
    stats = copy_stats(text)
    copies = [s for s in stats if s["resumed"] > 0]
    assert copies, "the second run resumed no copy:\n" + "\n".join(
        line for line in text.splitlines() if "bytes to copy" in line)
    resumed = copies[-1]
    # what was not recorded, plus at most the requests in flight at the kill
    assert resumed["written"] <= data_left + 16 * MIB, (resumed, data_left)
    resent = max(0, resumed["written"] - data_left)
    print(f"ok - the second run resumed {resumed['resumed'] >> 20} MiB of the disk from the "
          f"journal and wrote {resumed['written'] >> 20} MiB of data: the "
          f"{data_left >> 20} MiB left and {resent >> 20} MiB sent again "
          f"({100 * resent / data:.1f} % of the {data >> 20} MiB of data)")
    vm = kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS, "big")
    claim = vm["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
    got = read_back(TARGET_NS, [claim])[claim]
    assert got == (size, sha256(raw)), got
    assert_no_transfer_pods(TARGET_NS)
    assert_no_transfer_pods(CTL_NS)
    print("ok - the resumed disk equals the source disk; no transfer pod left, also none of "
          "the VM's in another namespace (finalize_plan)")


class Proxy:
    """A TCP proxy in front of the API server that can be taken down for a
    while (connections reset, new ones refused), as when the API server
    restarts, without touching the shared test bed."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.lock = threading.Lock()
        self.conns = []
        self.listener = None
        self.port = 0
        self.armed = None
        self.outage_over = threading.Event()
        self.up()

    def arm(self, seconds):
        """the next bytes a client sends (a request) take the proxy down for
        @seconds: the outage is sure to meet an API call"""
        self.outage_over.clear()
        self.armed = seconds

    def outage(self, seconds):
        self.down()
        time.sleep(seconds)
        self.up()
        self.outage_over.set()

    def up(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self.accept, args=(listener,), daemon=True).start()

    def accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, server]
            for a, b, from_client in ((client, server, True), (server, client, False)):
                threading.Thread(target=self.pipe, args=(a, b, from_client),
                                 daemon=True).start()

    def pipe(self, a, b, from_client):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                seconds = None
                if from_client:
                    with self.lock:
                        seconds, self.armed = self.armed, None
                if seconds is not None:
                    # this request is lost with the connection
                    threading.Thread(target=self.outage, args=(seconds,), daemon=True).start()
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def down(self):
        self.listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
            except OSError:
                pass

    def close(self):
        self.down()


def test_api_outage(ferry, work, token, ca):
    """API calls are tried again while the API server cannot be reached"""
    server = ENV["FERRY_KUBE_APISERVER"].split("//")[1]
    host, port = server.rsplit(":", 1)
    proxy = Proxy(host, int(port))
    try:
        ova_dir = os.path.join(work, "ova-flaky")
        make_sample_ova(ova_dir, "flaky")
        docs = provider_docs("flaky-api", token, ca)
        docs[1]["spec"]["url"] = f"https://{host}:{proxy.port}"
        ferry.apply(docs + plan_docs("flaky", ova_dir, "flaky-api", ["flaky"],
                                     ["flaky-disk1.vmdk"], TARGET_NS))
        env = dict(ferry.env, G_MESSAGES_DEBUG="FerryKubevirt")
        process = subprocess.Popen(ferry.argv("plan", "start", "flaky"), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, env=env)
        output = []
        started = threading.Event()

        def read():
            for line in process.stdout:
                output.append(line)
                if line.rstrip().endswith("flaky: Started"):
                    started.set()
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        # once the VM has started (the plan's checks, which ask the API
        # server, are done) its first phases touch only the OVA; the next
        # request to the API server (making the PVC and the transfer pod, no
        # copy yet) is lost, and the API server stays away for 6 s
        if not started.wait(timeout=120):
            process.kill()
            reader.join()
            raise AssertionError("the VM did not start:\n" +
                                 "".join(output))
        proxy.arm(6)
        if not proxy.outage_over.wait(timeout=120):
            process.kill()
            reader.join()
            raise AssertionError("no request reached the API server after the start:\n" +
                                 "".join(output))
        process.wait(timeout=600)
        reader.join()
        text = "".join(output)
        assert "Plan/flaky: Succeeded" in text, text
        retries = [line for line in text.splitlines() if "trying again in" in line]
        assert retries, "the outage was not seen:\n" + text
        print("\n".join("  | " + line.strip() for line in retries))
        print(f"ok - a 6 s API server outage while the PVC and pod are made: {len(retries)} "
              "calls tried again, the plan succeeded")
    finally:
        proxy.close()



def foreign_vm(name):
    """a VirtualMachine that is not Ferry's"""
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": name, "namespace": TARGET_NS,
                         "labels": {"owner": "someone-else"}},
            "spec": {"runStrategy": "Halted",
                     "template": {"spec": {"domain": {"devices": {},
                                                      "memory": {"guest": "64Mi"}}}}}}


def start_while_vm_appears(ferry, ova_dir, plan, vm, extra):
    """starts a plan for @vm whose copy is slowed down (512 KiB/s for about
    3 MiB of data) and makes a foreign VM of that name once the copy runs:
    after the plan check, before CreateVM"""
    ferry.apply(plan_docs(plan, ova_dir, "cluster", [vm], [f"{vm}-disk1.vmdk"], TARGET_NS,
                          bandwidth=512 * 1024, extra=extra))
    process = subprocess.Popen(ferry.argv("plan", "start", plan), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=ferry.env)
    output = []
    made = False
    for line in process.stdout:
        output.append(line)
        if not made and line.rstrip().endswith(f"{vm}: CopyDisks"):
            kubectl("create", "-f", "-", stdin=json.dumps(foreign_vm(vm)))
            made = True
    process.wait(timeout=300)
    assert made, "the copy never started:\n" + "".join(output)
    status = run(*ferry.argv("get", "plan", plan, "-o", "json"), env=ferry.env).stdout
    text = "".join(output) + status
    print("\n".join("  | " + line for line in "".join(output).strip().splitlines()))
    return text


def test_bad_input(ferry, work, token, ca):
    ova_dir = os.path.join(work, "ova-bad")
    make_sample_ova(ova_dir, "web", "taken", "late", "late2", "noimg", "rbac")

    # a wrong token: 401, naming the Provider
    ferry.apply(provider_docs("wrong", "not-a-token", ca) +
                plan_docs("wrong-token", ova_dir, "wrong", ["web"], ["web-disk1.vmdk"],
                          TARGET_NS))
    r = ferry.start("wrong-token", check=False)
    text = plan_text(ferry, "wrong-token", r)
    assert "Provider/demo/wrong" in text and "401" in text, text[-3000:]
    assert "not-a-token" not in text
    print("ok - a wrong token is refused (401) naming Provider/demo/wrong")

    # the VM name taken by a VirtualMachine that is not this plan's: the plan
    # check (destination inventory) refuses the plan before anything is made
    kubectl("create", "-f", "-", stdin=json.dumps(foreign_vm("taken")))
    ferry.apply(plan_docs("taken", ova_dir, "cluster", ["taken"], ["taken-disk1.vmdk"],
                          TARGET_NS))
    r = ferry.start("taken", check=False)
    text = plan_text(ferry, "taken", r)
    assert "VMAlreadyExists" in text and f"{TARGET_NS}/taken" in text, text[-3000:]
    assert claim_gone("taken-taken-disk-0"), "a refused plan made a PVC"
    print("ok - a VM name already taken is refused before anything is made (VMAlreadyExists)")

    # a foreign VM that appears while the disk is copied: create_vm refuses to
    # replace it (EXISTS naming it); deleteVmOnFailMigration (the default)
    # removes the PVC the disk was copied into
    text = start_while_vm_appears(ferry, ova_dir, "late", "late", extra=None)
    assert f"VirtualMachine {TARGET_NS}/late already exists" in text, text[-3000:]
    vm = kubectl_json("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS, "late")
    assert vm["metadata"]["labels"] == {"owner": "someone-else"}, vm["metadata"]
    wait_for("the failed VM's PVC to be removed", lambda: claim_gone("late-late-disk-0"),
             timeout=60)
    assert_no_transfer_pods(TARGET_NS)
    print("ok - a foreign VM made during the copy: CreateVM fails with EXISTS naming it; the "
          "foreign VM stays and the failed VM's PVC is removed (deleteVmOnFailMigration)")

    # deleteVmOnFailMigration: false keeps the PVC; archiving the plan removes it
    text = start_while_vm_appears(ferry, ova_dir, "keep", "late2",
                                  extra={"deleteVmOnFailMigration": False})
    assert "already exists" in text, text[-3000:]
    assert not claim_gone("keep-late2-disk-0"), "deleteVmOnFailMigration: false lost the PVC"
    run(*ferry.argv("plan", "archive", "keep"), env=ferry.env)
    wait_for("the archived plan's PVC to be removed", lambda: claim_gone("keep-late2-disk-0"),
             timeout=60)
    kubectl("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS, "late2")
    print("ok - with deleteVmOnFailMigration: false the PVC stays until `ferry plan archive` "
          "removes it (and leaves the foreign VM)")

    # a target namespace that does not exist
    ferry.apply(plan_docs("missing-ns", ova_dir, "cluster", ["web"], ["web-disk1.vmdk"],
                          MISSING_NS))
    r = ferry.start("missing-ns", check=False)
    text = plan_text(ferry, "missing-ns", r)
    # the plan check (destination inventory) names it before anything is made
    assert "NamespaceNotValid" in text and \
        f"The target namespace '{MISSING_NS}' does not exist" in text and \
        f"Create the namespace '{MISSING_NS}'" in text, text[-3000:]
    print(f"ok - a missing target namespace is named ({MISSING_NS}) with the fix")

    # a ResourceQuota that refuses the PVC
    ferry.apply(plan_docs("quota", ova_dir, "cluster", ["web"], ["web-disk1.vmdk"], QUOTA_NS))
    r = ferry.start("quota", check=False)
    text = plan_text(ferry, "quota", r)
    assert "ResourceQuota" in text and "tiny-storage" in text and \
        "PersistentVolumeClaim" in text, text[-3000:]
    pvcs = kubectl_json("get", "pvc", "-n", QUOTA_NS)["items"]
    assert not pvcs, pvcs
    print("ok - a ResourceQuota refusing the PVC is named (tiny-storage) with the PVC")

    # a ResourceQuota that refuses the transfer pod
    ferry.apply(plan_docs("nopods", ova_dir, "cluster", ["web"], ["web-disk1.vmdk"], PODS_NS))
    r = ferry.start("nopods", check=False)
    text = plan_text(ferry, "nopods", r)
    assert "ResourceQuota" in text and "no-pods" in text and "transfer pod" in text, \
        text[-3000:]
    wait_for("the PVC to be removed", lambda: claim_gone("nopods-web-disk-0", PODS_NS), 60)
    print("ok - a ResourceQuota refusing the transfer pod is named (no-pods); the PVC is removed")

    # Pod Security "restricted" refuses a pod running as root
    ferry.apply(plan_docs("strict", ova_dir, "cluster", ["web"], ["web-disk1.vmdk"], STRICT_NS))
    r = ferry.start("strict", check=False)
    text = plan_text(ferry, "strict", r)
    assert "Pod Security admission" in text and "restricted" in text and \
        "enforce=baseline" in text, text[-3000:]
    print("ok - a namespace enforcing the restricted Pod Security Standard is named with the fix")

    # an RBAC denial while migrating: a ServiceAccount that may manage PVCs in
    # the target namespace but not create pods (nor list what the cluster
    # holds, so the plan starts unchecked): 403 naming the missing rule
    kubectl("create", "serviceaccount", "-n", CTL_NS, "pvc-only")
    kubectl("create", "role", "-n", TARGET_NS, "pvc-only", "--verb=create,get,list,delete",
            "--resource=persistentvolumeclaims")
    kubectl("create", "rolebinding", "-n", TARGET_NS, "pvc-only", "--role=pvc-only",
            f"--serviceaccount={CTL_NS}:pvc-only")
    limited = kubectl("create", "token", "-n", CTL_NS, "pvc-only",
                      "--duration=1h").stdout.strip()
    ferry.apply(provider_docs("pvconly", limited, ca) +
                plan_docs("rbac", ova_dir, "pvconly", ["rbac"], ["rbac-disk1.vmdk"], TARGET_NS))
    r = ferry.start("rbac", check=False)
    text = plan_text(ferry, "rbac", r)
    assert re.search(r'403 Forbidden\); the user needs an RBAC rule allowing verb '
                     r'\\?"(list|create)\\?" on resource \\?"pods\\?" in API group '
                     r'\\?"\\?" in namespace ' + TARGET_NS, text), text[-3000:]
    assert limited not in text
    wait_for("the PVC of the denied VM to be removed", lambda: claim_gone("rbac-rbac-disk-0"),
             timeout=60)
    print("ok - an RBAC denial while migrating (no rights on pods) names the rule to add; "
          "the PVC made before it is removed")

    # a transfer image the cluster cannot pull
    docs = provider_docs("noimage", token, ca)
    docs[1]["spec"]["settings"]["transferImage"] = "localhost/ferry/missing:0"
    ferry.apply(docs + plan_docs("no-image", ova_dir, "noimage", ["noimg"],
                                 ["noimg-disk1.vmdk"], TARGET_NS))
    t0 = time.monotonic()
    r = ferry.start("no-image", check=False)
    text = plan_text(ferry, "no-image", r)
    assert "localhost/ferry/missing:0" in text and "transferImage" in text and \
        ("ErrImage" in text or "ImagePullBackOff" in text), text[-3000:]
    assert time.monotonic() - t0 < 120, "the missing image was not noticed early"
    wait_for("the PVC to be removed", lambda: claim_gone("no-image-noimg-disk-0"), 60)
    assert_no_transfer_pods(TARGET_NS)
    print(f"ok - a transfer image that cannot be pulled is named with the setting to change "
          f"({time.monotonic() - t0:.0f} s); the pod and the PVC are removed")


def main():
    work = tempfile.mkdtemp(prefix="ferry-cluster-push-")
    token, ca = setup_cluster()
    try:
        ferry = Ferry(work)
        ferry.apply(provider_docs("cluster", token, ca))
        # FERRY_CLUSTER_TESTS=resume,bad runs some of them (while working on them)
        only = os.environ.get("FERRY_CLUSTER_TESTS", "migrate,resume,outage,bad").split(",")
        for name, test in (("migrate", test_migrate), ("resume", test_resume_after_kill),
                           ("outage", test_api_outage), ("bad", test_bad_input)):
            if name in only:
                test(ferry, work, token, ca)
    finally:
        teardown_cluster()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

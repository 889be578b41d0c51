#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ferryd's controller on the real Kubernetes test bed (scripts/kube-testbed),
run as a process outside the cluster with the bed's admin kubeconfig and
driven only by `kubectl apply` of Forklift manifests:

- a Plan naming a Provider that does not exist gets Forklift's
  SourceProviderNotValid condition (category Critical) in the cluster;
- Secret + Providers (OVA on this host, the bed as an openshift destination)
  + maps + Plan + Migration: ferryd migrates the OVA VM into the cluster
  (PVC + VirtualMachine); `kubectl get plan -o json` shows Succeeded with
  Forklift's conditions (category, lastTransitionTime) and the VM's pipeline;
  the Migration's status too; the Plan carries ferryd's finalizer;
- ferryd killed (SIGKILL) in the middle of a large disk's copy and started
  again on the same --state resumes the disk from the copy journal;
- a Plan deleted during its copy: the finalizer cancels the run, removes its
  PVCs and transfer pods, and the Plan is gone;
- the Migration's spec.cancel during a copy cancels the VM (PVC and pod go);
- an idle Plan's status is not written again and again;
- ferryd with a ServiceAccount whose Role lacks `get` on Secrets: the
  Provider gets a condition naming the missing verb and resource and the
  rule to add.

Objects live in namespaces named ctl-<random>, removed at the end. Without a
bed it skips (exit 77), except under CI=true, where it fails.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

FERRYD = os.environ["FERRYD_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
MIB = 1 << 20

sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubebed  # noqa: E402
from ferrydctl import (FORKLIFT, big_ova, check_disk, condition, copy_stats,  # noqa: E402
                       disk_transfer, journal_ranges, make_ova, overlap, vm_claims, Docs)

BED = kubebed.Bed(kubebed.start())
ENV = BED.env
kubectl = BED.kubectl
kubectl_json = BED.kubectl_json
wait_for = BED.wait_for
SUFFIX = secrets.token_hex(3)
NS = f"ctl-{SUFFIX}"             # the CRs
TARGET_NS = f"ctl-{SUFFIX}-vms"  # where VMs go
RBAC_NS = f"ctl-{SUFFIX}-rbac"   # a ferryd with too narrow a Role
BINDING = f"ctl-{SUFFIX}"
FINALIZER = "forklift.konveyor.io/ferry-cleanup"
DOCS = Docs(NS, TARGET_NS)
provider_docs = DOCS.provider
plan_docs = DOCS.plan
migration_doc = DOCS.migration


def apply(docs):
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(docs))


class Ferryd:
    """ferryd as a process, its log in a file"""

    def __init__(self, work, name, kubeconfig, namespace):
        self.state = os.path.join(work, f"state-{name}")
        self.log_path = os.path.join(work, f"ferryd-{name}.log")
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.proc = None

    def start(self):
        env = dict(os.environ, G_MESSAGES_DEBUG="Ferry FerryKubevirt Ferryd")
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [FERRYD, "--kubeconfig", self.kubeconfig, "--namespace", self.namespace,
             "--state", self.state, "--no-leader-election", "--resync-period", "15",
             # the HTTP server on any free port, not 8443 (other tests, a bed's pods)
             "--listen", "127.0.0.1:0",
             "--identity", f"ferryd-test-{SUFFIX}"],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM: a clean stop within a few seconds"""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("ferryd did not stop within 60 s of SIGTERM")
        assert code == 0, f"ferryd exited with {code} after SIGTERM:\n{self.log()[-3000:]}"


def get(kind, name, namespace=NS):
    r = kubectl("get", kind, "-n", namespace, name, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def wait_condition(kind, name, type_, ferryd, timeout=300, namespace=NS):
    def check():
        obj = get(kind, name, namespace)
        if ferryd.proc.poll() is not None:
            raise AssertionError(f"ferryd exited ({ferryd.proc.returncode}):\n"
                                 f"{ferryd.log()[-4000:]}")
        if condition(obj, "Failed") and type_ != "Failed":
            raise AssertionError(f"{kind}/{name} failed:\n"
                                 f"{json.dumps(obj.get('status'), indent=1)[-4000:]}")
        return condition(obj, type_) and obj
    try:
        return wait_for(f"{kind}/{name} to be {type_}", check, timeout=timeout)
    except AssertionError:
        print(ferryd.log()[-6000:])
        print(json.dumps((get(kind, name, namespace) or {}).get("status"), indent=1)[-4000:])
        raise


def transfer_pods():
    pods = kubectl_json("get", "pods", "-n", TARGET_NS, "-l", "ferry.konveyor.io/transfer")
    return [p["metadata"]["name"] for p in pods["items"]]


def plan_claims(plan):
    pvcs = kubectl_json("get", "pvc", "-n", TARGET_NS)
    return [p["metadata"]["name"] for p in pvcs["items"]
            if p["metadata"].get("labels", {}).get("plan") == plan and
            not p["metadata"].get("deletionTimestamp")]


def test_missing_provider(ferryd):
    apply([{"apiVersion": FORKLIFT, "kind": "Plan",
            "metadata": {"name": "orphan", "namespace": NS},
            "spec": {"targetNamespace": TARGET_NS,
                     "provider": {"source": {"name": "nowhere", "namespace": NS},
                                  "destination": {"name": "cluster", "namespace": NS}},
                     "map": {"network": {"name": "none", "namespace": NS},
                             "storage": {"name": "none", "namespace": NS}},
                     "vms": [{"name": "x"}]}}])
    plan = wait_condition("plan", "orphan", "SourceProviderNotValid", ferryd, timeout=60)
    c = condition(plan, "SourceProviderNotValid")
    assert c["category"] == "Critical" and c.get("lastTransitionTime"), c
    assert not condition(plan, "Ready"), plan["status"]
    kubectl("delete", "plan", "-n", NS, "orphan", "--timeout=60s")
    print(f"ok - a Plan naming a missing Provider: {c['type']} ({c['category']}): "
          f"{c.get('message')}")


def test_migrate(ferryd, work):
    ova_dir = os.path.join(work, "ova")
    make_ova(ova_dir, "web")
    apply(provider_docs(ova_dir, "small") + plan_docs("small", ["web"], ["web-disk1.vmdk"]))
    wait_condition("provider", "small-ova", "Ready", ferryd, timeout=120)
    wait_condition("provider", "cluster", "Ready", ferryd, timeout=120)
    plan = wait_condition("plan", "small", "Ready", ferryd, timeout=120)
    assert FINALIZER in plan["metadata"].get("finalizers", []), plan["metadata"]
    t0 = time.monotonic()
    apply([migration_doc("small")])
    plan = wait_condition("plan", "small", "Succeeded", ferryd, timeout=600)
    print(f"ok - the Migration ran the plan to Succeeded in {time.monotonic() - t0:.0f} s")
    for c in plan["status"]["conditions"]:
        assert c.get("category") and c.get("lastTransitionTime") and c.get("status"), c
    vms = plan["status"]["migration"]["vms"]
    assert len(vms) == 1 and any(c["type"] == "Succeeded" and c["status"] == "True"
                                 for c in vms[0]["conditions"]), json.dumps(vms, indent=1)
    pipeline = vms[0]["pipeline"]
    names = [p["name"] for p in pipeline]
    assert "DiskTransfer" in names and all(p["phase"] == "Completed" for p in pipeline), pipeline
    disk = next(p for p in pipeline if p["name"] == "DiskTransfer")
    assert disk["progress"]["completed"] == disk["progress"]["total"] > 0, disk
    migration = get("migration", "small-1")
    assert condition(migration, "Succeeded"), migration.get("status")
    assert migration["status"].get("completed"), migration["status"]
    assert migration["metadata"]["uid"] == \
        plan["status"]["migration"]["history"][-1]["migration"]["uid"], plan["status"]
    claim = vm_claims(BED, TARGET_NS, "web")[0]
    assert get("pvc", claim, TARGET_NS) is not None
    wait_for("the transfer pods to go", lambda: not transfer_pods(), timeout=90)
    size = check_disk(BED, TARGET_NS, claim, os.path.join(ova_dir + ".expected", "web.raw"))
    print(f"ok - the PVC's disk.img is byte-identical to the OVA's disk ({size >> 20} MiB)")
    # no hot loop: once done, two resyncs (15 s each) write the status again at most once
    before = ferryd.log().count(f"writing the status of Plan/{NS}/small")
    time.sleep(32)
    after = ferryd.log().count(f"writing the status of Plan/{NS}/small")
    assert after - before <= 1, f"{after - before} status writes of an idle Plan in 32 s"
    print(f"ok - an idle Plan's status was written {after - before} times in two resyncs "
          f"({after} writes in all)")
    print(f"ok - VirtualMachine {TARGET_NS}/web on PVC {claim}; the Plan's status has "
          f"{len(plan['status']['conditions'])} conditions with categories and the VM's "
          f"pipeline {names}; the Migration's uid is the one in the Plan's history")


def disk_progress(plan):
    step = disk_transfer(get("plan", plan))
    return step.get("progress", {}).get("completed", 0) if step else 0


def test_resume_after_kill(ferryd, work):
    ova_dir, raw, pieces, data = big_ova(work, "big")
    # 20 MiB/s: 160 MiB of data take about 8 s
    apply(provider_docs(ova_dir, "resume") +
          plan_docs("resume", ["big"], ["big-disk1.vmdk"], bandwidth=20 * MIB))
    wait_condition("plan", "resume", "Ready", ferryd, timeout=120)
    apply([migration_doc("resume")])
    wait_for("the copy to be under way (the Plan's DiskTransfer progress)",
             lambda: disk_progress("resume") > 0, timeout=300, interval=0.5)
    time.sleep(2)
    ferryd.kill()
    done = overlap(journal_ranges(ferryd.state), pieces)
    left = data - done
    assert 0 < done < data, f"{done} bytes of data recorded of {data}"
    print(f"ok - ferryd killed (SIGKILL) with {done >> 20} MiB of {data >> 20} MiB recorded "
          "in the copy journal")
    mark = len(ferryd.log())
    ferryd.start()
    wait_condition("plan", "resume", "Succeeded", ferryd, timeout=600)
    stats = [s for s in copy_stats(ferryd.log()[mark:]) if s["resumed"] > 0]
    assert stats, "the restarted ferryd resumed no copy:\n" + ferryd.log()[mark:][-4000:]
    assert stats[-1]["written"] <= left + 16 * MIB, (stats[-1], left)
    wait_for("the transfer pods to go", lambda: not transfer_pods(), timeout=90)
    check_disk(BED, TARGET_NS, vm_claims(BED, TARGET_NS, "big")[0], raw)
    print(f"ok - the restarted ferryd resumed {stats[-1]['resumed'] >> 20} MiB from the "
          f"journal and wrote {stats[-1]['written'] >> 20} MiB ({left >> 20} MiB were left); "
          "the Plan Succeeded and the PVC's disk is byte-identical to the source")


def test_delete_mid_run(ferryd, work):
    ova_dir, _, _, _ = big_ova(work, "doomed")
    apply(provider_docs(ova_dir, "doomed") +
          plan_docs("doomed", ["doomed"], ["doomed-disk1.vmdk"], bandwidth=4 * MIB))
    wait_condition("plan", "doomed", "Ready", ferryd, timeout=120)
    apply([migration_doc("doomed")])
    wait_for("the copy to be under way", lambda: disk_progress("doomed") > 0, timeout=300,
             interval=0.5)
    assert plan_claims("doomed"), "no PVC made for the plan"
    kubectl("delete", "plan", "-n", NS, "doomed", "--wait=false")
    wait_for("the Plan to be gone", lambda: get("plan", "doomed") is None, timeout=180)
    wait_for("the plan's PVCs to go", lambda: not plan_claims("doomed"), timeout=120)
    wait_for("the transfer pods to go", lambda: not transfer_pods(), timeout=120)
    assert kubectl("get", "virtualmachines.kubevirt.io", "-n", TARGET_NS, "doomed",
                   check=False).returncode != 0
    kubectl("delete", "migration", "-n", NS, "doomed-1", "--timeout=60s")
    print("ok - a Plan deleted during its copy: canceled, its PVCs and transfer pods removed "
          "by the finalizer, the Plan and then its Migration gone")


def test_cancel(ferryd, work):
    ova_dir, _, _, _ = big_ova(work, "halted")
    apply(provider_docs(ova_dir, "cancel") +
          plan_docs("cancel", ["halted"], ["halted-disk1.vmdk"], bandwidth=4 * MIB))
    wait_condition("plan", "cancel", "Ready", ferryd, timeout=120)
    apply([migration_doc("cancel")])
    wait_for("the copy to be under way", lambda: disk_progress("cancel") > 0, timeout=300,
             interval=0.5)
    kubectl("patch", "migration", "-n", NS, "cancel-1", "--type=merge",
            "-p", json.dumps({"spec": {"cancel": [{"name": "halted"}]}}))
    plan = wait_condition("plan", "cancel", "Canceled", ferryd, timeout=180)
    vm = plan["status"]["migration"]["vms"][0]
    assert any(c["type"] == "Canceled" and c["status"] == "True" for c in vm["conditions"]), vm
    wait_for("the canceled VM's PVCs to go", lambda: not plan_claims("cancel"), timeout=120)
    wait_for("the transfer pods to go", lambda: not transfer_pods(), timeout=120)
    print("ok - spec.cancel of the Migration during the copy: the VM and the Plan are "
          "Canceled, the VM's PVC and transfer pod removed")


def limited_kubeconfig(work):
    """a ServiceAccount whose Role reads and writes Forklift's kinds but not Secrets"""
    kubectl("create", "serviceaccount", "-n", RBAC_NS, "ferryd")
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "ferryd-narrow", "namespace": RBAC_NS},
            "rules": [{"apiGroups": ["forklift.konveyor.io"], "resources": ["*"],
                       "verbs": ["get", "list", "watch", "update", "patch"]},
                      {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}]}
    apply([role])
    kubectl("create", "rolebinding", "-n", RBAC_NS, "ferryd-narrow", "--role=ferryd-narrow",
            f"--serviceaccount={RBAC_NS}:ferryd")
    token = kubectl("create", "token", "-n", RBAC_NS, "ferryd",
                    "--duration=1h").stdout.strip()
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "narrow",
              "clusters": [{"name": "bed", "cluster": {
                  "server": ENV["FERRY_KUBE_APISERVER"],
                  "certificate-authority": ENV["FERRY_KUBE_CA"]}}],
              "users": [{"name": "narrow", "user": {"token": token}}],
              "contexts": [{"name": "narrow", "context": {"cluster": "bed", "user": "narrow",
                                                          "namespace": RBAC_NS}}]}
    path = os.path.join(work, "narrow.kubeconfig")
    with open(path, "w") as f:
        yaml.safe_dump(config, f)
    os.chmod(path, 0o600)
    return path, token


def test_rbac(work):
    kubeconfig, token = limited_kubeconfig(work)
    ferryd = Ferryd(work, "narrow", kubeconfig, RBAC_NS)
    ferryd.start()
    try:
        apply([{"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "ova-credentials", "namespace": RBAC_NS},
                "type": "Opaque", "stringData": {"url": "file:///nonexistent"}},
               {"apiVersion": FORKLIFT, "kind": "Provider",
                "metadata": {"name": "ova", "namespace": RBAC_NS},
                "spec": {"type": "ova", "url": "file:///nonexistent",
                         "secret": {"name": "ova-credentials", "namespace": RBAC_NS}}}])
        provider = wait_condition("provider", "ova", "ReconcileFailed", ferryd, timeout=90,
                                  namespace=RBAC_NS)
        c = condition(provider, "ReconcileFailed")
        assert c["reason"] == "Forbidden" and c["category"] == "Critical", c
        assert '"get"' in c["message"] and '"secrets"' in c["message"], c
        assert "secrets" in c["suggestion"] and "get" in c["suggestion"], c
        ferryd.stop()
        assert token not in ferryd.log(), "the token is in ferryd's log"
        print(f"ok - ferryd without `get secrets`: the Provider says {c['message']!r}; "
              f"suggestion: {c['suggestion']}")
    finally:
        ferryd.stop()


def remove_finalizers():
    """after ferryd is gone, so that the namespaces can go"""
    for kind in ("plans", "migrations"):
        for ns in (NS, RBAC_NS):
            items = kubectl_json("get", kind, "-n", ns).get("items", []) \
                if kubectl("get", "ns", ns, check=False).returncode == 0 else []
            for item in items:
                kubectl("patch", kind, "-n", ns, item["metadata"]["name"], "--type=merge",
                        "-p", '{"metadata":{"finalizers":null}}', check=False)


def main():
    # meson's timeout sends SIGTERM: clean up all the same
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    work = tempfile.mkdtemp(prefix="ferryd-ctl-", dir="/var/tmp")
    ferryd = None
    try:
        for ns in (NS, TARGET_NS, RBAC_NS):
            kubectl("create", "namespace", ns)
        token = BED.admin_token(NS, BINDING)
        apply(BED.provider_docs("cluster", NS, token))
        ferryd = Ferryd(work, "main", ENV["KUBECONFIG"], NS)
        ferryd.start()
        test_missing_provider(ferryd)
        test_migrate(ferryd, work)
        test_resume_after_kill(ferryd, work)
        test_delete_mid_run(ferryd, work)
        test_cancel(ferryd, work)
        t0 = time.monotonic()
        ferryd.stop()
        print(f"ok - ferryd stopped cleanly on SIGTERM in {time.monotonic() - t0:.1f} s")
        assert token not in ferryd.log(), "the token is in ferryd's log"
        test_rbac(work)
    except BaseException:
        if ferryd is not None:
            print("--- ferryd's log (end, without debug lines) ---\n" + "\n".join(
                line for line in ferryd.log().splitlines() if "DEBUG" not in line)[-8000:])
            shutil.copy(ferryd.log_path, "/var/tmp/ferryd-ctl-failed.log")
            print("ferryd's whole log: /var/tmp/ferryd-ctl-failed.log")
        raise
    finally:
        if ferryd is not None and ferryd.proc is not None and ferryd.proc.poll() is None:
            ferryd.proc.kill()
            ferryd.proc.wait()
        # the shared bed's API server may be restarting: retry for a while
        for attempt in range(12):
            try:
                remove_finalizers()
                for ns in (TARGET_NS, RBAC_NS, NS):
                    r = kubectl("delete", "namespace", ns, "--wait=false", check=False)
                    assert r.returncode == 0 or "NotFound" in r.stderr, r.stderr
                r = kubectl("delete", "clusterrolebinding", BINDING, check=False)
                assert r.returncode == 0 or "NotFound" in r.stderr, r.stderr
                break
            except (AssertionError, json.JSONDecodeError) as e:
                print(f"clean-up failed ({e}); retrying")
                time.sleep(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

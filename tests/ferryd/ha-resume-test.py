#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""High availability of ferryd in the middle of a copy, on the real
Kubernetes test bed (scripts/kube-testbed): two ferryd processes outside the
cluster, both with the bed's admin kubeconfig and leader election on one
Lease (short timing: lease 4 s, renew deadline 3 s, retry 1 s), sharing one
--state folder as two pods share a ReadWriteMany PVC.

- exactly one leads; the follower does not open the state folder's store
  (it does not reconcile) while the other leads;
- a Plan whose copy is slowed (annotation transfer.ferry.konveyor.io/bandwidth)
  is started with a Migration; once the copy is under way the leader is
  killed with SIGKILL (no release of the Lease, copy requests in flight lost);
- the other replica takes the Lease within the bound README states for a
  killed leader (lease duration + 2 retry periods + 1 s: 7 s here) and not
  before the lease expired; the Lease names it;
- it resumes the disk from the copy journal the dead leader wrote: its copy
  statistics say bytes were resumed from the journal and that it wrote no
  more than what the journal lacked (plus the requests in flight), not the
  whole disk again;
- the Plan ends Succeeded and the PVC's disk.img is byte-identical to the
  source disk.

Objects live in namespaces named ha-resume-<random>, removed at the end.
Without a bed it skips (exit 77), except under CI=true, where it fails.
"""

import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time

import yaml

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
FERRYD = os.environ["FERRYD_BIN"]
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubebed  # noqa: E402
from ferryd_proc import Ferryd  # noqa: E402
from ferrydctl import (MIB, Docs, big_ova, check_disk, condition, copy_stats,  # noqa: E402
                       disk_transfer, journal_ranges, overlap, vm_claims)

# the timing of both replicas, and the bound README states for a leader that
# dies without releasing the Lease: the follower sees the last renewal up to
# a retry period after it was written, waits the lease duration from then,
# and tries again at most a retry period later; plus a second for the
# requests and the log line
LEASE_DURATION = 4.0
RENEW_DEADLINE = 3.0
RETRY_PERIOD = 1.0
KILL_BOUND = LEASE_DURATION + 2 * RETRY_PERIOD + 1.0
# 160 MiB of data at 16 MiB/s: a copy of about 10 s, long enough to kill the
# leader in its middle and to leave the new leader a good part to do
BANDWIDTH = 16 * MIB

BED = kubebed.Bed(kubebed.start())
kubectl = BED.kubectl
SUFFIX = secrets.token_hex(3)
NS = f"ha-resume-{SUFFIX}"
TARGET_NS = f"ha-resume-{SUFFIX}-vms"
BINDING = f"ha-resume-{SUFFIX}"
DOCS = Docs(NS, TARGET_NS)
PLAN = "handover"
VM = "big"


def apply(docs):
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(docs))


def get(kind, name, namespace=NS):
    r = kubectl("get", kind, "-n", namespace, name, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def lease():
    return (get("lease", "ferryd") or {}).get("spec", {})


class Replicas:
    def __init__(self, state):
        self.state = state
        self.procs = []

    def start(self, identity):
        p = Ferryd(FERRYD, identity, "--kubeconfig", BED.env["KUBECONFIG"],
                   "--lease-namespace", NS, "--lease-name", "ferryd", "--state", self.state,
                   "--lease-duration", str(LEASE_DURATION),
                   "--renew-deadline", str(RENEW_DEADLINE),
                   "--retry-period", str(RETRY_PERIOD), "--resync-period", "15")
        self.procs.append(p)
        return p

    def check_alive(self):
        for p in self.procs:
            if p.proc.poll() is not None and p.proc.returncode != -signal.SIGKILL:
                raise AssertionError(f"{p.identity} exited ({p.proc.returncode})")

    def wait_for(self, what, predicate, timeout, interval=1.0):
        def check():
            self.check_alive()
            return predicate()
        return BED.wait_for(what, check, timeout=timeout, interval=interval)

    def log(self):
        return "\n".join(line for p in self.procs for line in p.log().splitlines()
                         if "DEBUG" not in line)

    def kill_all(self):
        for p in self.procs:
            p.kill()


def plan_condition(type_):
    plan = get("plan", PLAN)
    if condition(plan, "Failed") and type_ != "Failed":
        raise AssertionError(f"Plan/{PLAN} failed:\n"
                             f"{json.dumps(plan.get('status'), indent=1)[-4000:]}")
    return condition(plan, type_) and plan


def progress():
    step = disk_transfer(get("plan", PLAN))
    return step.get("progress", {}).get("completed", 0) if step else 0


def remove_finalizers():
    """after ferryd is gone, so that the namespace can go"""
    if kubectl("get", "ns", NS, check=False).returncode != 0:
        return
    for kind in ("plans", "migrations"):
        for item in BED.kubectl_json("get", kind, "-n", NS).get("items", []):
            kubectl("patch", kind, "-n", NS, item["metadata"]["name"], "--type=merge",
                    "-p", '{"metadata":{"finalizers":null}}', check=False)


def main():
    # meson's timeout sends SIGTERM: clean up all the same
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    # the copy statistics are debug lines
    os.environ["G_MESSAGES_DEBUG"] = "all"
    work = tempfile.mkdtemp(prefix="ferryd-ha-", dir="/var/tmp")
    # one folder for both replicas, as a ReadWriteMany PVC
    state = os.path.join(work, "state")
    replicas = Replicas(state)
    try:
        for ns in (NS, TARGET_NS):
            kubectl("create", "namespace", ns)
        token = BED.admin_token(NS, BINDING)
        apply(BED.provider_docs("cluster", NS, token))
        ova_dir, raw, pieces, data = big_ova(work, VM)

        a, b = replicas.start("ferryd-a"), replicas.start("ferryd-b")
        leader = replicas.wait_for("a replica to lead",
                                   lambda: next((p for p in (a, b) if p.leads()), None),
                                   timeout=30, interval=0.1)
        follower = b if leader is a else a
        assert lease().get("holderIdentity") == leader.identity, lease()
        print(f"ok - {leader.identity} leads, {follower.identity} follows")

        apply(DOCS.provider(ova_dir, PLAN) +
              DOCS.plan(PLAN, [VM], [f"{VM}-disk1.vmdk"], bandwidth=BANDWIDTH))
        replicas.wait_for(f"Plan/{PLAN} to be Ready", lambda: plan_condition("Ready"),
                          timeout=180)
        apply([DOCS.migration(PLAN)])
        replicas.wait_for("the copy to be under way (the Plan's DiskTransfer progress)",
                          lambda: progress() > 0, timeout=300, interval=0.5)
        time.sleep(3)
        # the follower only waited: it never reconciled, nor opened the store
        assert follower.find("watching Forklift's resources") is None, follower.log()
        assert not follower.leads(), follower.log()
        transitions = lease().get("leaseTransitions", 0)
        killed_at = time.monotonic()
        leader.proc.send_signal(signal.SIGKILL)
        leader.proc.wait()
        before_kill = progress()
        done = overlap(journal_ranges(state), pieces)
        left = data - done
        assert 0 < done < data, f"{done} bytes of data recorded of {data}"
        print(f"ok - {leader.identity} killed (SIGKILL) mid-copy: the copy journal records "
              f"{done >> 20} MiB of the disk's {data >> 20} MiB of data; the Plan showed "
              f"{before_kill} MiB copied")

        took_at = follower.wait_for(" started leading", KILL_BOUND + 10, since=killed_at)
        assert took_at is not None, f"{follower.identity} did not lead:\n{follower.log()}"
        took = took_at - killed_at
        assert took <= KILL_BOUND, \
            f"{follower.identity} led {took:.1f} s after the kill, over the bound {KILL_BOUND} s"
        # it waits for the lease to expire: it saw the last renewal at most
        # two retry periods before the kill (the leader renews, the follower
        # looks, each once a retry period)
        assert took >= LEASE_DURATION - 2 * RETRY_PERIOD, \
            f"{follower.identity} led {took:.1f} s after the kill, before the lease expired"
        spec = lease()
        assert spec.get("holderIdentity") == follower.identity, spec
        assert spec.get("leaseTransitions", 0) == transitions + 1, (transitions, spec)
        print(f"ok - {follower.identity} took the Lease {took:.1f} s after the kill "
              f"(bound {KILL_BOUND:.0f} s; lease {LEASE_DURATION:.0f} s, retry "
              f"{RETRY_PERIOD:.0f} s); leaseTransitions {spec.get('leaseTransitions')}")

        mark = len(follower.lines)
        t0 = time.monotonic()
        replicas.wait_for(f"Plan/{PLAN} to succeed", lambda: plan_condition("Succeeded"),
                          timeout=600)
        finished = time.monotonic() - t0
        with follower.cond:
            after = "\n".join(line for _, line in follower.lines[mark:])
        stats = copy_stats(after)
        assert stats, f"{follower.identity} logged no copy:\n{after[-4000:]}"
        last = stats[-1]
        assert last["resumed"] > 0, f"the new leader resumed nothing from the journal: {last}"
        assert last["written"] <= left + 16 * MIB, \
            f"the new leader wrote {last['written']} bytes; only {left} were left: {last}"
        assert last["written"] < data, last
        print(f"ok - {follower.identity} resumed the disk from the journal: "
              f"{last['resumed'] >> 20} MiB resumed, {last['written'] >> 20} MiB written "
              f"({left >> 20} MiB of data were left); the Plan Succeeded {finished:.0f} s "
              "after the handover")

        step = disk_transfer(get("plan", PLAN))
        assert step["phase"] == "Completed" and \
            step["progress"]["completed"] == step["progress"]["total"] > 0, step
        BED.wait_for("the transfer pods to go", lambda: not BED.kubectl_json(
            "get", "pods", "-n", TARGET_NS, "-l", "ferry.konveyor.io/transfer")["items"],
            timeout=120)
        claims = vm_claims(BED, TARGET_NS, VM)
        assert len(claims) == 1, claims
        size = check_disk(BED, TARGET_NS, claims[0], raw)
        print(f"ok - PVC {TARGET_NS}/{claims[0]} holds a disk.img byte-identical to the "
              f"source ({size >> 20} MiB)")
        assert BED.env["KUBECONFIG"] and token not in replicas.log(), "a token in the log"
    except BaseException:
        print("--- the replicas' logs (without debug lines) ---\n" + replicas.log()[-12000:])
        raise
    finally:
        replicas.kill_all()
        for attempt in range(12):
            try:
                remove_finalizers()
                for ns in (TARGET_NS, NS):
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

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Leader election of ferryd on the real test bed, with ferryd processes
# outside the cluster contending for one coordination.k8s.io Lease (default
# timing: lease 15 s, renew deadline 10 s, retry 2 s):
# - of two candidates exactly one leads, and the Lease names it;
# - the leader killed with SIGKILL (no release): the other leads after the
#   lease expired and within lease duration + 2 retry periods + 1 s (20 s),
#   not before (no premature takeover), and leaseTransitions counts up;
# - the leader stopped with SIGTERM releases the Lease: the other leads in
#   under 3 s, and the stopped one exits 0;
# - a leader frozen (SIGSTOP) past its renew deadline loses the Lease to the
#   other, and once thawed it stops leading and exits non-zero, as client-go
#   controllers do, instead of acting as a second leader;
# - credentials without rights on leases: ferryd exits non-zero with an error
#   naming the missing RBAC rule.
import json
import os
import secrets
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubebed  # noqa: E402
from ferryd_proc import KILL_BOUND, LEASE_DURATION, RELEASE_BOUND, RETRY_PERIOD, Ferryd  # noqa: E402

FERRYD = os.environ["FERRYD_BIN"]
bed = kubebed.Bed(kubebed.start())
ns = f"ha-lease-{secrets.token_hex(3)}"
procs = []


def candidate(identity, kubeconfig=None):
    p = Ferryd(FERRYD, identity, "--kubeconfig", kubeconfig or bed.env["KUBECONFIG"],
               "--lease-namespace", ns, "--lease-name", "ferryd")
    procs.append(p)
    return p


def lease():
    return bed.kubectl_json("get", "lease", "-n", ns, "ferryd")["spec"]


def wait_leader(candidates, timeout, since=0.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in candidates:
            if c.leads(since):
                return c
        time.sleep(0.05)
    return None


def check(condition, message):
    if not condition:
        raise AssertionError(message + "\n" + "\n".join(p.log() for p in procs))


try:
    bed.kubectl("create", "namespace", ns)

    # two candidates: exactly one leads, and the Lease names it
    a, b = candidate("ferryd-a"), candidate("ferryd-b")
    first = wait_leader([a, b], 30)
    check(first is not None, "neither candidate took the Lease within 30 s")
    other = b if first is a else a
    # three retry periods: the other had its chances to (wrongly) lead
    time.sleep(3 * RETRY_PERIOD)
    check(not other.leads(), f"both {a.identity} and {b.identity} lead")
    check(other.find(f"held by {first.identity}") is not None,
          f"{other.identity} did not see {first.identity} as the holder")
    spec = lease()
    check(spec.get("holderIdentity") == first.identity, f"the Lease names {spec}")
    check(spec.get("leaseDurationSeconds") == 15, f"lease duration {spec}")
    check("acquireTime" in spec and "renewTime" in spec, f"no times in {spec}")
    renew = spec["renewTime"]
    time.sleep(RETRY_PERIOD + 1)
    check(lease()["renewTime"] != renew, "the leader does not renew the Lease")
    transitions = spec.get("leaseTransitions", 0)
    print(f"ok: of two candidates {first.identity} leads alone; the Lease names it and is renewed")

    # SIGKILL: no release; the other waits for the lease to expire
    t0 = time.monotonic()
    first.proc.send_signal(signal.SIGKILL)
    first.wait_exit(10)
    t1 = other.wait_for(" started leading", KILL_BOUND + 5)
    check(t1 is not None, f"{other.identity} did not lead within {KILL_BOUND + 5} s of SIGKILL")
    took = t1 - t0
    check(took <= KILL_BOUND, f"handover after SIGKILL took {took:.1f} s > {KILL_BOUND} s")
    check(took >= LEASE_DURATION - RETRY_PERIOD - 1,
          f"{other.identity} took the Lease {took:.1f} s after the kill, before it expired")
    spec = lease()
    check(spec.get("holderIdentity") == other.identity, f"after SIGKILL the Lease names {spec}")
    check(spec.get("leaseTransitions", 0) == transitions + 1,
          f"leaseTransitions {spec.get('leaseTransitions')} after one takeover from {transitions}")
    print(f"ok: leader killed (SIGKILL): {other.identity} leads after {took:.1f} s "
          f"(bound {KILL_BOUND:.0f} s)")

    # SIGTERM: the leader releases, the candidate leads at its next retry
    c = candidate("ferryd-c")
    check(c.wait_for(f"held by {other.identity}", 10) is not None,
          f"ferryd-c did not see {other.identity} holding the Lease")
    t2 = time.monotonic()
    other.proc.send_signal(signal.SIGTERM)
    t3 = c.wait_for(" started leading", 10, since=t2)
    check(t3 is not None, "ferryd-c did not lead within 10 s after SIGTERM of the leader")
    took = t3 - t2
    check(took < RELEASE_BOUND, f"handover after SIGTERM took {took:.1f} s >= {RELEASE_BOUND} s")
    status = other.wait_exit(15)
    check(status == 0, f"{other.identity} exited {status} after SIGTERM")
    check(other.find("released by") is not None, f"{other.identity} did not say it released")
    check(lease().get("holderIdentity") == "ferryd-c", "the Lease does not name ferryd-c")
    print(f"ok: leader stopped (SIGTERM): it released the Lease, ferryd-c leads after {took:.1f} s")

    # SIGSTOP: a frozen leader loses the Lease; thawed, it steps down and exits 1
    d = candidate("ferryd-d")
    check(d.wait_for("held by ferryd-c", 10) is not None, "ferryd-d did not see ferryd-c")
    t4 = time.monotonic()
    c.proc.send_signal(signal.SIGSTOP)
    t5 = d.wait_for(" started leading", KILL_BOUND + 5, since=t4)
    check(t5 is not None, "ferryd-d did not lead while ferryd-c was frozen")
    check(t5 - t4 <= KILL_BOUND, f"takeover from a frozen leader took {t5 - t4:.1f} s")
    t6 = time.monotonic()
    c.proc.send_signal(signal.SIGCONT)
    status = c.wait_exit(RETRY_PERIOD + 10)
    check(status is not None and status != 0,
          f"the thawed former leader did not exit non-zero (status {status})")
    check(c.find("stopped leading", since=t6) is not None and c.find("leadership lost")
          is not None, "the thawed former leader did not say it lost the leadership")
    check(not d.proc.poll() and lease().get("holderIdentity") == "ferryd-d",
          "ferryd-d lost the Lease to the thawed former leader")
    print(f"ok: a frozen leader loses the Lease ({t5 - t4:.1f} s); thawed, it exits "
          f"{status} without taking the Lease back")

    # no rights on leases: a clear error naming the rule
    e = candidate("ferryd-e", kubeconfig=bed.env["FERRY_KUBE_LIMITED_KUBECONFIG"])
    status = e.wait_exit(30)
    out = e.log()
    check(status is not None and status != 0, f"ferryd without lease rights exited {status}")
    for text in ('verb "get" on resource "leases"', "coordination.k8s.io",
                 f"namespace {ns}", "get, create and update"):
        check(text in out, f"the error does not say {text!r}")
    print("ok: credentials without lease rights: ferryd exits with an error naming the rule")
    print("\n".join(line for _, line in e.lines))
finally:
    for p in procs:
        try:
            p.proc.send_signal(signal.SIGCONT)
        except ProcessLookupError:
            pass
        p.kill()
    bed.kubectl("delete", "namespace", ns, "--wait=false", check=False)

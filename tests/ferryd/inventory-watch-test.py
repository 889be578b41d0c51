#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ferryd keeps a source Provider's inventory live: ferryd run as a process
with the test bed's kubeconfig (leading in its own namespace, invwatch-<random>),
a vSphere Provider for the vCenter simulator applied with kubectl. Checks:

- the Provider becomes Ready and its VMs appear on the inventory route;
- a VM powered off, then on again, through vim25 SOAP shows on
  /providers/vsphere/<uid>/vms within 20 s each time, with no refresh
  (the resync period is an hour: only the watch can have done it);
- a second Provider deleted: its watch stops (ferryd says so) and the
  simulator's end is no failure for it;
- the simulator killed: the Provider gets the InventoryWatchFailed
  condition in the cluster and a Warning Event, and ferryd's log names the
  Provider's failing watch once although it is retried with backoff;
- ferryd stops (SIGTERM) within 10 s, its watch cancelled.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e"))
import kubebed  # noqa: E402
from ferrydtest import (VCSIM_PASSWORD, VCSIM_USER, Ferryd, certificate, check,  # noqa: E402
                        start_vcsim)
from vcsim_soap import Session  # noqa: E402

NS = "invwatch-" + secrets.token_hex(3)
BINDING = NS + "-admin"
BOUND = 20


def condition(obj, type_):
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == type_ and c.get("status") == "True":
            return c
    return None


def main():
    if not os.environ.get("FERRY_VCSIM"):
        print("SKIP: the vCenter simulator was not built")
        sys.exit(77)
    env = kubebed.start()
    bed = kubebed.Bed(env)
    work = tempfile.mkdtemp(prefix="ferryd-inventory-watch-")
    d = None
    vcsim = None
    try:
        bed.kubectl("create", "namespace", NS)
        admin = bed.admin_token(NS, BINDING)
        vcsim = start_vcsim(work)
        for doc in ({"apiVersion": "v1", "kind": "Secret",
                     "metadata": {"name": "vsphere-credentials", "namespace": NS},
                     "type": "Opaque",
                     "stringData": {"user": VCSIM_USER, "password": VCSIM_PASSWORD,
                                    "ca.crt": open(vcsim["VCSIM_CA"]).read()}},
                    {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                     "metadata": {"name": "vsphere-prod", "namespace": NS},
                     "spec": {"type": "vsphere", "url": vcsim["VCSIM_URL"],
                              "secret": {"name": "vsphere-credentials", "namespace": NS}}},
                    # a second one, deleted before the simulator goes
                    {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                     "metadata": {"name": "vsphere-other", "namespace": NS},
                     "spec": {"type": "vsphere", "url": vcsim["VCSIM_URL"],
                              "secret": {"name": "vsphere-credentials", "namespace": NS}}}):
            bed.kubectl("apply", "-f", "-", stdin=json.dumps(doc))
        uid = bed.kubectl_json("get", "provider", "-n", NS, "vsphere-prod")["metadata"]["uid"]
        state = os.path.join(work, "state")
        os.makedirs(state)
        cert, key = certificate(work)
        d = Ferryd(state, cert, key, "--kubeconfig", env["KUBECONFIG"], "--namespace", NS,
                   "--lease-namespace", NS, "--resync-period", "3600")
        bed.wait_for("the Provider to be Ready", lambda: condition(
            bed.kubectl_json("get", "provider", "-n", NS, "vsphere-prod"), "Ready"), timeout=120)
        route = "/providers/vsphere/%s/vms?detail=4" % uid

        def vms():
            status, _, body = d.get(route, token=admin)
            return json.loads(body) if status == 200 else []

        listed = bed.wait_for("the simulator's VMs on the inventory route",
                              lambda: len(vms()) == 4 and vms(), timeout=60)
        vm = next((v for v in listed if v.get("powerState") == "poweredOn"), None)
        check(vm is not None, "a powered-on VM in the inventory: %s" % listed)
        session = Session(vcsim["VCSIM_URL"], vcsim["VCSIM_CA"], VCSIM_USER, VCSIM_PASSWORD)
        for on, state_name in ((False, "poweredOff"), (True, "poweredOn")):
            started = time.monotonic()
            session.power(vm["id"], on)
            bed.wait_for("%s %s on the inventory route" % (vm["name"], state_name),
                         lambda: any(v["id"] == vm["id"] and v.get("powerState") == state_name
                                     for v in vms()), timeout=BOUND, interval=0.2)
            print("%s is %s on ferryd's inventory route after %.1f s, no refresh" % (
                vm["name"], state_name, time.monotonic() - started))

        # a deleted Provider's watch stops: the simulator's end is no news for it
        bed.wait_for("the second Provider to be Ready", lambda: condition(
            bed.kubectl_json("get", "provider", "-n", NS, "vsphere-other"), "Ready"),
            timeout=120)
        bed.kubectl("delete", "provider", "-n", NS, "vsphere-other", "--wait=true")
        time.sleep(2)

        # the platform goes away: a condition, an Event, one log line per streak
        vcsim["process"].kill()
        vcsim["process"].wait()
        vcsim = None
        failed = bed.wait_for("the InventoryWatchFailed condition", lambda: condition(
            bed.kubectl_json("get", "provider", "-n", NS, "vsphere-prod"),
            "InventoryWatchFailed"), timeout=60)
        print("condition: %s" % failed["message"])
        check("no longer followed" in failed["message"],
              "the condition says what failed: %s" % failed)
        events = bed.kubectl_json("get", "events", "-n", NS)["items"]
        check(any(e.get("reason") == "InventoryWatchFailed" and
                  e["involvedObject"].get("name") == "vsphere-prod" for e in events),
              "a Warning Event about the Provider's watch: %s" % [e.get("reason")
                                                                   for e in events])
        time.sleep(8)  # retries at 1, 2 and 4 s, each failing
        started = time.monotonic()
        err = d.stop()
        stopped = time.monotonic() - started
        d = None
        print(err[-3000:], file=sys.stderr)
        check(stopped < 10, "ferryd stopped in %.1f s" % stopped)
        check("vsphere-prod: following the inventory as it changes" in err,
              "ferryd's log says it follows the inventory")
        streak = [line for line in err.splitlines()
                  if "vsphere-prod" in line and "no longer followed (" in line]
        check(len(streak) == 1, "one log line for the failure streak, not one per retry: %s"
              % streak)
        check("Provider/%s/vsphere-other: the inventory is no longer followed" % NS in err,
              "the deleted Provider's watch was stopped")
        check(not any("vsphere-other" in line and "no longer followed (" in line
                      for line in err.splitlines()),
              "the deleted Provider's watch did not go on failing")
        check(VCSIM_PASSWORD not in err and admin not in err, "no credential in ferryd's log")
        print("ok")
    finally:
        if d is not None:
            print(d.stop()[-3000:], file=sys.stderr)
        if vcsim is not None:
            vcsim["process"].kill()
            vcsim["process"].wait()
        bed.kubectl("delete", "namespace", NS, "--ignore-not-found", "--wait=false",
                    check=False)
        bed.kubectl("delete", "clusterrolebinding", BINDING, "--ignore-not-found", check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

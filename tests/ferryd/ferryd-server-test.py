#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ferryd's HTTP side over a real state folder (no cluster, --no-auth): an
OVA provider applied and its inventory loaded with the ferry command, its
plan run with `ferry plan start`; ferryd serves HTTPS with a test certificate
from openssl. Checks every inventory route and query parameter against what
the ferry command lists, the 404 with X-Reason: ProviderNotFound, /healthz
and /readyz, and /metrics parsed by prometheus_client's text parser with its
counters matching the migration that ran (VMs succeeded, bytes copied)."""

import os
import shutil
import sys
import tempfile

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(__file__))
from ferrydtest import (Ferryd, add_vsphere, certificate, check, ova_state, run,  # noqa: E402
                        start_vcsim)


def routes(d, uid):
    providers = d.json("/providers")
    check(set(providers) >= {"ova", "vsphere", "openshift"},
          "GET /providers has every provider type as a key: %s" % list(providers))
    ova = [p for p in providers["ova"] if p["name"] == "ova-source"]
    check(len(ova) == 1 and ova[0]["uid"] == uid and ova[0]["namespace"] == "http-local",
          "the OVA provider is listed with its uid: %s" % providers["ova"])
    check("vmCount" not in ova[0], "detail=0 has no counts")
    detailed = d.json("/providers?detail=1")["ova"]
    detailed = [p for p in detailed if p["name"] == "ova-source"][0]
    check(detailed["vmCount"] == 2 and detailed["networkCount"] >= 1,
          "detail=1 counts VMs and networks (kubectl-mtv reads vmCount): %s" % detailed)
    check(detailed["object"]["spec"]["type"] == "ova", "detail=1 has the Provider object")
    check([p["uid"] for p in d.json("/providers/ova")] == [uid], "/providers/ova lists it")
    check(d.json("/providers/ova/%s" % uid)["name"] == "ova-source", "/providers/ova/<uid>")

    status, headers, body = d.get("/providers/ova/no-such-uid/vms")
    check(status == 404 and headers.get("X-Reason") == "ProviderNotFound",
          "an unknown uid is 404 with X-Reason: ProviderNotFound (%d %s)" % (status, body))
    status, headers, _ = d.get("/providers/vsphere/%s" % uid)
    check(status == 404 and headers.get("X-Reason") == "ProviderNotFound",
          "the uid under another type is not found")
    status, headers, _ = d.get("/providers/nosuchtype")
    check(status == 404 and headers.get("X-Reason") == "ProviderNotFound", "unknown type 404")
    check(d.get("/providers/ova/%s/NotAColl" % uid)[0] == 404, "unknown collection 404")
    check(d.get("/nowhere")[0] == 404, "unknown route 404")
    check(d.get("/providers/ova/%s/vms?limit=x" % uid)[0] == 400, "limit=x is 400")
    check(d.get("/providers/ova/%s/vms?detail=-1" % uid)[0] == 400, "detail=-1 is 400")

    base = "/providers/ova/%s" % uid
    vms = d.json(base + "/vms")
    check(sorted(v["name"] for v in vms) == ["db", "web"], "vms lists both VMs: %s" % vms)
    check(set(vms[0]) <= {"id", "name", "parent", "path", "revision", "selfLink"},
          "detail=0 lists references only: %s" % vms[0])
    check(vms[0]["selfLink"] == "providers/ova/%s/vms/%s" % (uid, vms[0]["id"]),
          "selfLink names the object")
    full = d.json(base + "/vms?detail=4")
    check(all("disks" in v and "memoryMB" in v for v in full),
          "detail=4 has the whole documents (disks, memoryMB)")
    check(d.json(base + "/vms?detail=all") == full, "detail=all is the same as any N>0")
    check([v["name"] for v in d.json(base + "/vms?limit=1")] == ["db"], "limit=1")
    check([v["name"] for v in d.json(base + "/vms?offset=1")] == ["web"], "offset=1")
    check(d.json(base + "/vms?offset=1&limit=0") == [], "limit=0")
    check([v["name"] for v in d.json(base + "/vms?name=web")] == ["web"], "name=web")
    check([v["name"] for v in d.json(base + "/vms?name=/some/path/web")] == ["web"],
          "name=/path/name matches its last segment")
    web = [v for v in full if v["name"] == "web"][0]
    one = d.json(base + "/vms/" + web["id"])
    check(one["name"] == "web" and one["disks"] == web["disks"], "vms/<id> is the document")
    workload = d.json(base + "/workloads/" + web["id"])
    check(workload["id"] == web["id"], "workloads/<id> is the VM as rules see it")
    check(d.get(base + "/vms/no-such-vm")[0] == 404, "an unknown VM is 404")
    for collection in ("networks", "disks", "storages"):
        listed = d.json(base + "/" + collection + "?detail=1")
        check(len(listed) >= 1 and all("id" in o for o in listed),
              "%s lists the OVA's objects" % collection)
    # the same as the ferry command shows
    tree = d.json(base + "/tree/vm")
    check(len(tree["children"]) >= 2, "the tree has the VMs (no parents in an OVA)")


def vsphere_routes(d, uid):
    """the simulator's inventory: every vSphere collection, parent links,
    the tree and the workload with its host and cluster expanded"""
    base = "/providers/vsphere/%s" % uid
    check([p["uid"] for p in d.json("/providers/vsphere")] == [uid], "/providers/vsphere")
    provider = d.json("/providers/vsphere?detail=1")[0]
    for member in ("vmCount", "hostCount", "clusterCount", "datacenterCount",
                   "networkCount", "datastoreCount"):
        check(provider.get(member, 0) > 0, "the vSphere provider has %s: %s" % (member,
                                                                              provider))
    for collection in ("vms", "hosts", "clusters", "datacenters", "datastores", "networks",
                       "folders"):
        listed = d.json(base + "/" + collection)
        check(len(listed) > 0, "vSphere %s are listed" % collection)
    vms = d.json(base + "/vms")
    check(all("parent" in v for v in vms), "detail=0 VMs have their parent: %s" % vms[0])
    vm = [v for v in d.json(base + "/vms?detail=4") if v["name"] == "DC0_H0_VM0"][0]
    check(d.json(base + "/vms?name=/DC0/vm/DC0_H0_VM0")[0]["id"] == vm["id"],
          "name=<path> finds the VM by its last segment")
    workload = d.json(base + "/workloads/" + vm["id"])
    check(isinstance(workload.get("host"), dict) and "cluster" in workload["host"],
          "the workload has its host (and the host's cluster) expanded: %s" %
          workload.get("host"))
    tree = d.json(base + "/tree/host")

    def walk(node, depth, seen):
        seen.setdefault(node["kind"], 0)
        seen[node["kind"]] += 1
        for child in node["children"]:
            walk(child, depth + 1, seen)
        return seen
    seen = {}
    for root in tree["children"]:
        walk(root, 0, seen)
    check(len(tree["children"]) == 1 and tree["children"][0]["kind"] == "folder",
          "the tree starts at vCenter's root folder (the datacenters' parent)")
    check(seen.get("vm", 0) == len(vms) and seen.get("host", 0) > 0 and
          seen.get("datacenter", 0) > 0 and seen.get("cluster", 0) > 0,
          "every VM is in the tree, under its parents: %s" % seen)


def metrics(d, state, ferry, env):
    start = run(*ferry, "plan", "start", "ova-to-bundle", env=env)
    check("Plan/ova-to-bundle: Succeeded" in start.stdout, start.stdout)
    plan = __import__("json").loads(run(*ferry, "get", "plan", "ova-to-bundle", "-o",
                                        "json").stdout)
    mib = 0
    for vm in plan["status"]["migration"]["vms"]:
        for step in vm["pipeline"]:
            if step["name"] == "DiskTransfer":
                mib += step["progress"]["completed"]
    check(mib > 0, "the plan copied disks")
    status, headers, body = d.get("/metrics")
    check(status == 200 and headers["Content-Type"].startswith("text/plain"),
          "/metrics is Prometheus text")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    for name, kind in (("mtv_migrations_status", "counter"), ("mtv_migrated_vms", "counter"),
                       ("mtv_plans_status", "gauge"),
                       ("mtv_migration_duration_seconds", "gauge"),
                       ("mtv_migration_data_transferred_bytes", "gauge"),
                       ("mtv_workload_migrations_status", "counter"),
                       ("mtv_migrations_duration_seconds", "histogram"),
                       ("mtv_planned_vms", "counter"), ("mtv_plan_alert_status", "gauge"),
                       ("ferry_disk_transfer_bytes_per_second", "gauge")):
        check(name in families and families[name].type == kind,
              "%s is a %s: %s" % (name, kind, families.get(name)))

    def value(family, sample_name, **labels):
        for s in families[family].samples:
            if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        raise AssertionError("no %s%s in /metrics:\n%s" % (sample_name, labels, body))

    # the bundle destination has a URL: Forklift calls a destination other
    # than the cluster it runs in Remote
    common = dict(provider="ova", mode="Cold", target="Remote")
    check(value("mtv_migrations_status", "mtv_migrations_status_total", status="Succeeded",
                **common) == 1, "one migration succeeded")
    check(value("mtv_migrated_vms", "mtv_migrated_vms_total", status="Succeeded",
                **common) == 2, "two VMs succeeded")
    check(value("mtv_planned_vms", "mtv_planned_vms_total", **common) == 2, "two VMs planned")
    check(value("mtv_plans_status", "mtv_plans_status", status="Succeeded", **common) == 1,
          "the plan is Succeeded")
    check(value("mtv_migration_data_transferred_bytes", "mtv_migration_data_transferred_bytes",
                plan=plan["metadata"]["uid"], **common) == mib * 1048576,
          "bytes transferred = the DiskTransfer progress (%d MiB)" % mib)
    check(value("mtv_migration_duration_seconds", "mtv_migration_duration_seconds",
                plan=plan["metadata"]["uid"], **common) >= 0, "the duration is there")
    check(value("mtv_migrations_duration_seconds", "mtv_migrations_duration_seconds_count",
                **common) == 1, "the histogram counts the migration")
    rates = {s.labels["disk"]: s.value
             for s in families["ferry_disk_transfer_bytes_per_second"].samples}
    check(sorted(rates) == ["db-disk1.vmdk", "web-disk1.vmdk"] and
          all(0 < v <= mib * 1048576 for v in rates.values()),
          "a throughput per disk, no more than its bytes per second: %s" % rates)


def main():
    work = tempfile.mkdtemp(prefix="ferryd-http-")
    d = None
    vcsim = None
    try:
        cert, key = certificate(work)
        state, ferry, env = ova_state(work, "http-local")
        vcsim = None
        if os.environ.get("FERRY_VCSIM"):
            vcsim = start_vcsim(work)
            add_vsphere(work, ferry, env, vcsim, "http-local")
        uid = __import__("json").loads(run(*ferry, "get", "provider", "ova-source", "-o",
                                           "json").stdout)["metadata"]["uid"]
        d = Ferryd(state, cert, key, "--no-auth")
        check(d.get("/healthz")[:1] == (200,), "/healthz answers 200")
        check(d.get("/readyz")[0] == 200, "/readyz answers 200 with the store readable")
        routes(d, uid)
        if vcsim is not None:
            vsphere_uid = __import__("json").loads(run(
                *ferry, "get", "provider", "vsphere-prod", "-o", "json").stdout)["metadata"]["uid"]
            vsphere_routes(d, vsphere_uid)
            vcsim["process"].stdin.close()
            vcsim["process"].wait()
            vcsim = None
        metrics(d, state, ferry, env)
        check(d.get("/providers", token=None)[0] == 200, "--no-auth needs no token")
        err = d.stop()
        d = None
        check("CRITICAL" not in err and "WARNING" not in err, "ferryd logged: " + err)
        # an API server that cannot be reached: alive, but not ready
        with open(os.path.join(work, "unreachable.kubeconfig"), "w") as f:
            f.write("""apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-used}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
""")
        d = Ferryd(state, cert, key, "--no-auth", "--kubeconfig",
                   os.path.join(work, "unreachable.kubeconfig"))
        check(d.get("/healthz")[0] == 200, "alive without the API server")
        status, _, body = d.get("/readyz")
        check(status == 503 and "API server cannot be reached" in body,
              "/readyz is 503 and says why: %d %s" % (status, body))
        check(d.json("/providers/ova/%s/vms" % uid) != [],
              "the inventory still answers with the store's uids")
        d.stop()
        d = None
        print("ok")
    finally:
        if d is not None:
            print(d.stop(), file=sys.stderr)
        if vcsim is not None:
            vcsim["process"].kill()
            vcsim["process"].wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

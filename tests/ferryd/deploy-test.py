#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kubectl apply -k` of deploy/ferryd on the real test bed (an overlay that
# puts it into a test namespace with the image of this build's own
# `scripts/kube-testbed start`): both ferryd pods run, one pod holds the
# Lease and the other follows it; deleting the leader pod moves the Lease to
# another pod within the handover bound (20 s; a deleted pod gets SIGTERM
# and releases the Lease, so it takes about the retry period; the follower
# or the Deployment's replacement, whichever retries first, takes it), and
# of the two pods then running one leads and the other follows.
# On the bed it is deploy/ferryd-testbed: the pods use the host's network to
# reach the API server (no kube-proxy); the test checks first that it is
# deploy/ferryd but for that, and what deploy/ferryd holds (namespace
# ferry-system, two replicas with POD_NAME from the downward API, probes on
# /healthz and /readyz of 8443, Service forklift-inventory:8443, the state
# PVC, the image set by kustomize, HTTPS with the Secret ferryd-tls mounted
# and the Service's OpenShift serving-cert annotation naming it).
# The pods serve HTTPS with the overlay's self-signed certificate (the
# Secret ferryd-tls): /healthz and /readyz of each pod answer 200 over TLS
# verified against that certificate, and plain HTTP gets no answer.
import copy
import http.client
import os
import re
import secrets
import ssl
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrydbed  # noqa: E402
import kubebed  # noqa: E402
from ferryd_proc import KILL_BOUND  # noqa: E402

env = kubebed.start()
# right after our own start: another helper's start may change it later
image = env["FERRY_KUBE_IMAGE"]
bed = kubebed.Bed(env)
ns = f"ha-deploy-{secrets.token_hex(3)}"
# deploy/ferryd-testbed: the bed has no kube-proxy, the pods reach the API
# server on the host's network (and have no probes there)
overlay = ferrydbed.Overlay(bed, ns, image, apiserver=env["FERRY_KUBE_APISERVER"])
selector = "app.kubernetes.io/name=ferryd"


def pods():
    items = bed.kubectl_json("get", "pods", "-n", ns, "-l", selector)["items"]
    return [p for p in items if "deletionTimestamp" not in p["metadata"]]


def running(p):
    if p["status"].get("phase") != "Running":
        return False
    statuses = p["status"].get("containerStatuses", [])
    return statuses and all("running" in s.get("state", {}) for s in statuses)


def holder():
    r = bed.kubectl("get", "lease", "-n", ns, "ferryd", "-o",
                    "jsonpath={.spec.holderIdentity}", check=False)
    return r.stdout if r.returncode == 0 else ""


def logs(pod):
    return bed.kubectl("logs", "-n", ns, pod, check=False).stdout


def describe():
    return bed.kubectl("describe", "pods", "-n", ns, check=False).stdout


def controller_diagnostics():
    """what the ReplicaSet controller did for this namespace: its events,
    the ReplicaSet's status and the controller manager's own log lines"""
    print("--- events:\n" + bed.kubectl("get", "events", "-n", ns, "--sort-by=.lastTimestamp",
                                        check=False).stdout)
    print("--- replicasets:\n" + bed.kubectl("get", "replicasets", "-n", ns, "-o", "yaml",
                                            check=False).stdout)
    path = os.path.join(env["FERRY_KUBE_STATE"], "logs", "kube-controller-manager.log")
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        print(f"--- no controller manager log: {e}")
        return
    mine = [line for line in lines if ns in line]
    print(f"--- kube-controller-manager.log: {len(lines)} lines, {len(mine)} naming {ns}; "
          "the last 40 of those, then the log's last 20:")
    print("".join(mine[-40:]) + "...\n" + "".join(lines[-20:]))
    alive = subprocess.run(["pgrep", "-x", "kube-controller"], stdout=subprocess.PIPE,
                           text=True).stdout.split()
    print(f"--- kube-controller-manager processes: {alive or 'none'}")


def render(folder):
    docs = yaml.safe_load_all(bed.kubectl("kustomize", folder).stdout)
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


base = render(ferrydbed.BASE)
assert set(kind for kind, _ in base) == {
    "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
    "PersistentVolumeClaim", "Deployment", "Service"}, sorted(base)
assert ("Namespace", "ferry-system") in base
deployment = base["Deployment", "ferryd"]
assert deployment["spec"]["replicas"] == 2
pod = deployment["spec"]["template"]["spec"]
container = pod["containers"][0]
assert container["image"] == f"{ferrydbed.BASE_IMAGE}:latest", container["image"]
assert container["command"] == ["ferryd"]
assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in \
    container["env"]
assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
assert container["ports"] == [{"name": "https", "containerPort": 8443, "protocol": "TCP"}]
assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "ferryd-state"
# HTTPS with the certificate of the Secret ferryd-tls, made by OpenShift's
# service CA from the Service's annotation (elsewhere by the user)
assert "--tls-cert=/etc/ferryd/tls/tls.crt" in container["args"], container["args"]
assert "--tls-key=/etc/ferryd/tls/tls.key" in container["args"], container["args"]
tls_volume = next(v for v in pod["volumes"] if v["name"] == "tls")
assert tls_volume["secret"]["secretName"] == "ferryd-tls", tls_volume
assert {"name": "tls", "mountPath": "/etc/ferryd/tls", "readOnly": True} in \
    container["volumeMounts"], container["volumeMounts"]
assert container["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"
assert base["PersistentVolumeClaim", "ferryd-state"]["spec"]["accessModes"] == ["ReadWriteOnce"]
service = base["Service", "forklift-inventory"]
assert service["spec"]["ports"][0]["port"] == 8443
assert service["metadata"]["annotations"] == {
    "service.beta.openshift.io/serving-cert-secret-name": "ferryd-tls"}, service["metadata"]
assert all(d["metadata"].get("namespace", "ferry-system") == "ferry-system"
           for d in base.values())
# the bed's variant changes the Deployment's network and nothing else
bedded = render(ferrydbed.TESTBED)
assert bedded.keys() == base.keys()
for key in base:
    if key != ("Deployment", "ferryd"):
        assert bedded[key] == base[key], key
expected = copy.deepcopy(deployment)
spec = expected["spec"]["template"]["spec"]
spec["hostNetwork"] = True
for field in ("ports", "livenessProbe", "readinessProbe"):
    del spec["containers"][0][field]
# host-network pods cannot share 8443: each listens on a free port
spec["containers"][0]["args"].append("--listen=127.0.0.1:0")
spec["containers"][0]["env"][:0] = [
    {"name": "KUBERNETES_SERVICE_HOST", "value": "127.0.0.1"},
    {"name": "KUBERNETES_SERVICE_PORT", "value": "16443"}]
assert bedded["Deployment", "ferryd"] == expected, bedded["Deployment", "ferryd"]
print("ok: deploy/ferryd renders as documented; deploy/ferryd-testbed differs only in the "
      "Deployment's network and listening port")


def serving_port(pod):
    """the port a pod's ferryd listens on (the bed's pods take any free one)"""
    m = re.search(r"ferryd: serving on port (\d+)", logs(pod))
    return int(m.group(1)) if m else None


def get_https(port, path):
    context = ssl.create_default_context(cafile=overlay.ca)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def check_tls(names):
    for name in names:
        port = bed.wait_for(f"{name} to say its port", lambda: serving_port(name), timeout=30)
        for path in ("/healthz", "/readyz"):
            status, body = bed.wait_for(
                f"{name} to answer {path}",
                lambda: (lambda r: r if r[0] == 200 else None)(get_https(port, path)),
                timeout=30)
        # the same port refuses to speak plain HTTP
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/healthz")
            plain = conn.getresponse().status
        except (http.client.HTTPException, OSError):
            plain = None
        finally:
            conn.close()
        assert plain != 200, f"{name} answered plain HTTP on {port}"
        print(f"ok: {name} serves /healthz and /readyz over HTTPS on 127.0.0.1:{port} with "
              "the certificate of its Secret ferryd-tls")

try:
    overlay.apply()
    print(f"applied deploy/ferryd into {ns} with {image}")
    try:
        two = bed.wait_for("two running ferryd pods",
                           lambda: (lambda ps: ps if len(ps) == 2 and all(map(running, ps))
                                    else None)(pods()), timeout=240)
    except AssertionError:
        print(describe())
        raise
    names = sorted(p["metadata"]["name"] for p in two)
    for p in two:
        assert p["spec"]["containers"][0]["image"] == image, p["spec"]["containers"][0]["image"]
    print(f"ok: both pods run: {names}")
    check_tls(names)

    leader = bed.wait_for("a pod holding the Lease",
                          lambda: holder() if holder() in names else None, timeout=60)
    follower = next(n for n in names if n != leader)
    assert bed.wait_for("the follower to see the leader",
                        lambda: f"held by {leader}" in logs(follower), timeout=20)
    assert " started leading" in logs(leader), logs(leader)
    assert " started leading" not in logs(follower), logs(follower)
    print(f"ok: {leader} holds the Lease; {follower} follows it")

    t0 = time.monotonic()
    bed.kubectl("delete", "pod", "-n", ns, leader, "--wait=false")
    # the deleted pod releases the Lease; the first candidate to retry takes
    # it: the follower, or the Deployment's replacement if it starts first
    new_leader = bed.wait_for("another pod to hold the Lease",
                              lambda: (lambda h: h if h not in ("", leader) else None)(holder()),
                              timeout=KILL_BOUND + 10, interval=0.2)
    took = time.monotonic() - t0
    assert took <= KILL_BOUND, f"the Lease moved after {took:.1f} s > {KILL_BOUND} s"
    assert new_leader in {p["metadata"]["name"] for p in pods()}, \
        f"the Lease names {new_leader}, which is not a ferryd pod"
    print(f"ok: leader pod deleted: the Lease moved to {new_leader} after {took:.1f} s "
          f"(bound {KILL_BOUND:.0f} s)")

    def replaced():
        ps = pods()
        return ps if len(ps) == 2 and all(map(running, ps)) and \
            leader not in [p["metadata"]["name"] for p in ps] else None
    now = [p["metadata"]["name"] for p in
           bed.wait_for("the Deployment's replacement pod", replaced, timeout=180)]
    assert new_leader in now, f"{new_leader} is not among the pods {now}"
    assert " started leading" in logs(new_leader), logs(new_leader)
    other = next(n for n in now if n != new_leader)
    assert bed.wait_for(f"{other} to follow {new_leader}",
                        lambda: f"held by {new_leader}" in logs(other), timeout=30)
    assert holder() == new_leader
    print(f"ok: two pods run again: {new_leader} leads, {other} follows it "
          f"({'the replacement' if other not in names else 'the old follower'})")
except AssertionError:
    for p in bed.kubectl_json("get", "pods", "-n", ns)["items"]:
        name = p["metadata"]["name"]
        print(f"--- log of {name}:\n{logs(name)}")
    controller_diagnostics()
    raise
finally:
    overlay.delete()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The KubeVirt cluster destination on the real Kubernetes test bed, through
the ferry command: `ferry provider test` reports the cluster's version,
KubeVirt, CDI and what the credentials may do (a cluster-admin service
account: everything; a service account that may only get and list pods: the
missing verbs, named, and the Provider not Ready); `ferry inventory refresh`
lists the namespaces, storage classes, NetworkAttachmentDefinitions and
VirtualMachines (with their MACs) the test creates with kubectl; a plan from
sample OVAs (scripts/make-sample-ova) into that namespace with a missing
storage class, a missing NAD, a taken VM name and a MAC already in use gets
those conditions (on the maps too), `ferry plan start` refuses it naming
them, a missing target namespace is NamespaceNotValid, and once the cluster
is fixed the plan is Ready.

Everything lives in a namespace of its own (cluster-inventory-<random>) and
one ClusterRoleBinding of that name, removed at the end. When the bed cannot
start it skips (exit 77) with the reason, except under CI=true, where it
fails."""

import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
FERRY = os.environ["FERRY_BIN"]
TESTBED = os.path.join(SOURCE_ROOT, "scripts", "kube-testbed")
CI = os.environ.get("CI") == "true"
FAILURES = []


def skip_or_fail(reason):
    if CI:
        print(f"FAIL (CI=true): {reason}")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(77)


def testbed_env():
    if os.geteuid() != 0:
        skip_or_fail("the Kubernetes test bed needs root (containerd, kubelet, runc)")
    start = subprocess.run([TESTBED, "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    if start.returncode != 0:
        print(start.stdout, end="")
        skip_or_fail(f"scripts/kube-testbed start failed (exit {start.returncode}); see above")
    out = subprocess.run([TESTBED, "env"], check=True, stdout=subprocess.PIPE, text=True).stdout
    env = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


ENV = testbed_env()
SUFFIX = secrets.token_hex(3)
# the sample OVAs' MACs, apart from those of other tests sharing the bed
MAC_PREFIX = "02:%s:%s:%s:00" % (SUFFIX[0:2], SUFFIX[2:4], SUFFIX[4:6])
DB_MAC = MAC_PREFIX + ":02"
NS = f"cluster-inventory-{SUFFIX}"
BINDING = f"cluster-inventory-{SUFFIX}-admin"


def kubectl(*args, check=True, stdin=None):
    r = subprocess.run([ENV["FERRY_KUBE_KUBECTL"], "--kubeconfig", ENV["KUBECONFIG"], *args],
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {r.stderr.strip()}")
    return r


class Ferry:
    def __init__(self, state):
        self.state = state
        self.env = dict(os.environ, FERRY_NO_TTY="1")

    def run(self, *args, expect=0):
        r = subprocess.run([FERRY, "--state", self.state, "-n", "demo", *args],
                           capture_output=True, text=True, env=self.env)
        if expect is not None and r.returncode != expect:
            raise AssertionError(f"ferry {' '.join(args)} exited {r.returncode}, not {expect}:\n"
                                 f"{r.stdout}{r.stderr}")
        return r

    def json(self, *args, expect=0):
        return json.loads(self.run(*args, "-o", "json", expect=expect).stdout)


def check(name, func, *args):
    try:
        func(*args)
        print(f"ok - {name}")
    except AssertionError as e:
        FAILURES.append(name)
        print(f"not ok - {name}: {e}")


def conditions(resource):
    return {c["type"]: c for c in resource.get("status", {}).get("conditions", [])}


def set_up_cluster():
    """the namespace, two service accounts (cluster-admin; get/list pods in
    the namespace only), a NAD and two VMs: `web` (the name a plan VM
    wants) and `other` (with the MAC the sample OVA `db` gets)"""
    kubectl("create", "namespace", NS)
    kubectl("apply", "-f", "-", stdin=f"""
apiVersion: v1
kind: ServiceAccount
metadata: {{name: ferry-admin, namespace: {NS}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: ferry-limited, namespace: {NS}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {BINDING}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, name: ferry-admin, namespace: {NS}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: pod-reader, namespace: {NS}}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get, list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: ferry-limited-pod-reader, namespace: {NS}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}}
subjects: [{{kind: ServiceAccount, name: ferry-limited, namespace: {NS}}}]
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {{name: vlan-20, namespace: {NS}}}
spec:
  config: '{{"cniVersion":"0.3.1","name":"vlan-20","type":"bridge","bridge":"br20","vlan":20}}'
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {{name: web, namespace: {NS}}}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices:
          interfaces: [{{name: default, masquerade: {{}}, macAddress: "02:00:00:00:00:01"}}]
        resources: {{requests: {{memory: 128Mi}}}}
      networks: [{{name: default, pod: {{}}}}]
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {{name: other, namespace: {NS}}}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices:
          interfaces:
          - {{name: default, masquerade: {{}}, macAddress: "{DB_MAC.upper()}"}}
          - {{name: vlan, bridge: {{}}, macAddress: "02:00:00:00:00:03"}}
        resources: {{requests: {{memory: 128Mi}}}}
      networks:
      - {{name: default, pod: {{}}}}
      - {{name: vlan, multus: {{networkName: {NS}/vlan-20}}}}
""")
    tokens = {}
    for account in ("ferry-admin", "ferry-limited"):
        tokens[account] = kubectl("-n", NS, "create", "token", account,
                                  "--duration", "1h").stdout.strip()
    return tokens


def manifests(work, tokens):
    ca = open(ENV["FERRY_KUBE_CA"]).read()
    server = ENV["FERRY_KUBE_APISERVER"]
    docs = [
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "ova-credentials", "namespace": "demo"},
         "stringData": {"url": f"file://{work}/ova"}},
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
         "metadata": {"name": "ova-source", "namespace": "demo"},
         "spec": {"type": "ova", "url": f"file://{work}/ova",
                  "secret": {"name": "ova-credentials", "namespace": "demo"}}},
    ]
    for name, account in (("cluster", "ferry-admin"), ("cluster-limited", "ferry-limited")):
        docs.append({"apiVersion": "v1", "kind": "Secret",
                     "metadata": {"name": f"{name}-token", "namespace": "demo"},
                     "stringData": {"token": tokens[account], "cacert": ca}})
        docs.append({"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                     "metadata": {"name": name, "namespace": "demo"},
                     "spec": {"type": "openshift", "url": server,
                              "secret": {"name": f"{name}-token", "namespace": "demo"}}})
    providers = {"source": {"name": "ova-source", "namespace": "demo"},
                 "destination": {"name": "cluster", "namespace": "demo"}}
    docs.append({"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "NetworkMap",
                 "metadata": {"name": "ova-networks", "namespace": "demo"},
                 "spec": {"provider": providers, "map": [
                     {"source": {"name": "VM Network"},
                      "destination": {"type": "multus", "namespace": NS,
                                      "name": "missing-nad"}}]}})
    docs.append({"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "StorageMap",
                 "metadata": {"name": "ova-storage", "namespace": "demo"},
                 "spec": {"provider": providers, "map": [
                     {"source": {"name": "web-disk1.vmdk"},
                      "destination": {"storageClass": "missing-sc"}},
                     {"source": {"name": "db-disk1.vmdk"},
                      "destination": {"storageClass": "local-path"}}]}})
    for name, destination, target in (("ova-to-cluster", "cluster", NS),
                                      ("ova-to-nowhere", "cluster", f"{NS}-absent"),
                                      ("limited", "cluster-limited", NS)):
        docs.append({"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
                     "metadata": {"name": name, "namespace": "demo"},
                     "spec": {"targetNamespace": target, "skipGuestConversion": True,
                              "provider": dict(providers, destination={
                                  "name": destination, "namespace": "demo"}),
                              "map": {"network": {"name": "ova-networks", "namespace": "demo"},
                                      "storage": {"name": "ova-storage", "namespace": "demo"}},
                              "vms": [{"name": "web"}, {"name": "db"}]}})
    path = os.path.join(work, "manifests.json")
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": docs}, f)
    return path


def test_provider_test_admin(ferry):
    out = ferry.json("provider", "test", "cluster")
    found = {c["type"]: c for c in out["conditions"]}
    version = json.loads(kubectl("get", "--raw", "/version").stdout)["gitVersion"]
    assert version in found["ClusterVersion"]["message"], found["ClusterVersion"]
    assert out["details"]["version"]["gitVersion"] == version, out["details"]
    assert found["KubeVirtServed"]["status"] == "True", found
    assert found["CDIServed"]["status"] == "True", found
    assert "PrivilegesVerified" in found and "InsufficientPrivileges" not in found, found
    assert "InventoryNotReadable" not in found, found
    assert NS in found["PrivilegesVerified"]["message"], found["PrivilegesVerified"]
    assert out["details"]["deniedPermissions"] == [], out["details"]
    assert out["ready"] is True, out
    # the table output says the same, and the Provider's status keeps it
    table = ferry.run("provider", "test", "cluster").stdout
    assert f"ClusterVersion: The cluster runs Kubernetes {version}" in table, table
    assert "KubeVirtServed: KubeVirt (kubevirt.io/v1) is served" in table, table
    provider = ferry.json("get", "provider", "cluster")
    recorded = conditions(provider)
    for kind in ("ConnectionTestSucceeded", "ClusterVersion", "KubeVirtServed", "CDIServed",
                 "PrivilegesVerified", "Ready"):
        assert kind in recorded, f"{kind} not in the Provider's status: {list(recorded)}"
    assert provider["status"]["phase"] == "Ready", provider["status"]


def test_provider_test_limited(ferry):
    r = ferry.run("provider", "test", "cluster-limited", expect=1)
    assert "InsufficientPrivileges (Critical)" in r.stdout, r.stdout
    for missing in (f"{NS}: create persistentvolumeclaims", f"{NS}: delete pods",
                    f"{NS}: create pods/portforward", f"{NS}: list secrets",
                    f"{NS}: create virtualmachines.kubevirt.io"):
        assert f"    - {missing}\n" in r.stdout, f"{missing!r} not named:\n{r.stdout}"
    # what the Role grants is not reported missing
    for granted in (f"{NS}: get pods", f"{NS}: list pods"):
        assert f"    - {granted}\n" not in r.stdout, f"{granted!r} reported missing:\n{r.stdout}"
    # nor may it list the cluster's objects: plans are not checked against them
    assert "  InventoryNotReadable (Warn): " in r.stdout, r.stdout
    for unreadable in ("list namespaces", "list storageclasses.storage.k8s.io",
                       "list virtualmachines.kubevirt.io",
                       "list network-attachment-definitions.k8s.cni.cncf.io"):
        assert f"    - {unreadable}\n" in r.stdout, f"{unreadable!r} not named:\n{r.stdout}"
    provider = ferry.json("get", "provider", "cluster-limited")
    recorded = conditions(provider)
    assert recorded["InsufficientPrivileges"]["category"] == "Critical", recorded
    assert len(recorded["InsufficientPrivileges"]["items"]) == 22, recorded
    assert "Ready" not in recorded and provider["status"]["phase"] == "ValidationFailed", \
        provider["status"]


def test_inventory(ferry):
    out = ferry.run("inventory", "refresh", "cluster").stdout
    assert "Loaded the destination inventory of cluster (openshift)" in out, out
    namespaces = {o["id"] for o in ferry.json("inventory", "namespaces", "cluster")}
    assert NS in namespaces and "default" in namespaces, namespaces
    classes = {o["id"]: o for o in ferry.json("inventory", "storageclasses", "cluster")}
    assert classes["local-path"]["default"] is True, classes.get("local-path")
    assert classes["local-path"]["provisioner"] == "rancher.io/local-path", classes["local-path"]
    assert "ferry-local" in classes, list(classes)
    nads = {o["id"]: o for o in ferry.json("inventory", "networkattachmentdefinitions",
                                           "cluster")}
    assert nads[f"{NS}/vlan-20"]["cniType"] == "bridge", nads
    vms = {o["id"]: o for o in ferry.json("inventory", "vms", "cluster",
                                          "-q", f"where namespace = '{NS}'")}
    assert set(vms) == {f"{NS}/web", f"{NS}/other"}, list(vms)
    assert vms[f"{NS}/other"]["macs"] == [DB_MAC, "02:00:00:00:00:03"], \
        vms[f"{NS}/other"]
    assert vms[f"{NS}/other"]["networks"][1] == {
        "name": "vlan", "type": "multus", "networkName": f"{NS}/vlan-20"}, vms[f"{NS}/other"]
    assert vms[f"{NS}/web"]["runStrategy"] == "Halted", vms[f"{NS}/web"]


def test_plan_refused(ferry):
    r = ferry.run("plan", "start", "ova-to-cluster", expect=None)
    assert r.returncode != 0, f"the plan started:\n{r.stdout}{r.stderr}"
    # the blockers on stderr, what to do and the objects concerned on stdout
    err = r.stderr + r.stdout
    print("# " + err.replace("\n", "\n# "))
    for text in ("VMAlreadyExists:", f"- id: name:web target:{NS}/web",
                 "MacConflicts:", f"mac:{DB_MAC} usedBy:{NS}/other",
                 "NetMapDestinationNADNotValid:", f"- {NS}/missing-nad",
                 "StorageMapNotReady:", "StorageMap demo/ova-storage:", "- missing-sc",
                 "NetworkMapNotReady:"):
        assert text in err, f"{text!r} not in the refusal:\n{err}"
    plan = ferry.json("get", "plan", "ova-to-cluster")
    found = conditions(plan)
    assert "Ready" not in found, found
    for kind in ("VMAlreadyExists", "MacConflicts", "NetMapDestinationNADNotValid"):
        assert found[kind]["category"] == "Critical" and found[kind].get("suggestion"), found
    storage = conditions(ferry.json("get", "storagemap", "ova-storage"))
    assert storage["DestinationStorageNotValid"]["reason"] == "NotFound", storage
    assert storage["DestinationStorageNotValid"]["items"] == ["missing-sc"], storage
    assert "Ready" not in storage, storage
    network = conditions(ferry.json("get", "networkmap", "ova-networks"))
    assert network["DestinationNetworkNotValid"]["items"] == [f"{NS}/missing-nad"], network
    # a namespace the cluster lacks
    r = ferry.run("plan", "start", "ova-to-nowhere", expect=None)
    assert r.returncode != 0 and "NamespaceNotValid:" in r.stderr, r.stderr
    assert f"Create the namespace '{NS}-absent' on the destination" in r.stdout, r.stdout
    nowhere = conditions(ferry.json("get", "plan", "ova-to-nowhere"))
    assert nowhere["NamespaceNotValid"]["reason"] == "NotFound", nowhere
    assert f"'{NS}-absent'" in nowhere["NamespaceNotValid"]["suggestion"], nowhere


def test_plan_fixed(ferry, manifest_path):
    """the cluster gets the NAD, loses the VMs, the map names a class that
    exists: after a refresh the plan and the maps are Ready"""
    kubectl("apply", "-f", "-", stdin=f"""
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {{name: missing-nad, namespace: {NS}}}
spec: {{config: '{{"cniVersion":"0.3.1","type":"bridge","bridge":"br0"}}'}}
""")
    kubectl("-n", NS, "delete", "vm", "web", "other", "--wait=true")
    with open(manifest_path) as f:
        text = f.read().replace('"missing-sc"', '"local-path"')
    with open(manifest_path, "w") as f:
        f.write(text)
    ferry.run("apply", "-f", manifest_path)
    ferry.run("inventory", "refresh", "cluster")
    plan = conditions(ferry.json("get", "plan", "ova-to-cluster"))
    for kind in ("VMAlreadyExists", "MacConflicts", "NetMapDestinationNADNotValid",
                 "StorageMapNotReady", "NetworkMapNotReady"):
        assert kind not in plan, f"{kind} still there: {plan}"
    assert "Ready" in plan, plan
    storage = conditions(ferry.json("get", "storagemap", "ova-storage"))
    assert "DestinationStorageNotValid" not in storage and "Ready" in storage, storage


def test_plan_unchecked(ferry):
    """credentials that may not list the cluster: the plan is not checked
    against it, with a warning, and starts (--detach: only the Migration)"""
    r = ferry.run("plan", "start", "--detach", "limited")
    assert "Plan/limited is not checked against the destination cluster-limited" in r.stderr, \
        r.stderr
    assert "Migration/" in r.stdout, r.stdout


def main():
    work = tempfile.mkdtemp(prefix="ferry-cluster-inventory-")
    t0 = time.monotonic()
    try:
        tokens = set_up_cluster()
        subprocess.run([os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"),
                        os.path.join(work, "ova"), "web", "db"], check=True,
                       capture_output=True, env=dict(os.environ, FERRY_OVA_MAC_PREFIX=MAC_PREFIX))
        ferry = Ferry(os.path.join(work, "state"))
        path = manifests(work, tokens)
        ferry.run("apply", "-f", path)
        check("provider test as cluster-admin: version, KubeVirt, CDI, all permissions",
              test_provider_test_admin, ferry)
        check("provider test as a pods-reader: the missing verbs named, not Ready",
              test_provider_test_limited, ferry)
        check("inventory refresh lists namespaces, classes, NADs, VMs with MACs",
              test_inventory, ferry)
        check("plan start refuses a missing class, NAD, namespace, a taken name, a MAC",
              test_plan_refused, ferry)
        check("once the cluster is fixed the plan and the maps are Ready",
              test_plan_fixed, ferry, path)
        check("a destination the credentials may not list: a warning, the plan unchecked",
              test_plan_unchecked, ferry)
    finally:
        kubectl("delete", "clusterrolebinding", BINDING, "--ignore-not-found", check=False)
        kubectl("delete", "namespace", NS, "--wait=false", "--ignore-not-found", check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(f"# {time.monotonic() - t0:.1f} s")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} failed: {', '.join(FAILURES)}")


if __name__ == "__main__":
    main()

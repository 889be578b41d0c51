#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The RBAC of deploy/ferryd is least-privilege, asked of the real API server
# with `kubectl auth can-i --as=<ferryd's service account>` (the manifests in
# a test namespace, no pods):
# - it may do each thing ferryd needs: the Forklift resources with their
#   status and finalizers in any namespace, the Secrets Providers name, the
#   destination inventory, the reviews of the inventory service's auth, the
#   Lease in its own namespace, and every permission the kubevirt plugin
#   checks in a target namespace (read from the plugin's source);
# - it may not do what ferryd does not need: delete or create namespaces,
#   create or delete Forklift resources, change or watch Secrets, exec into
#   pods, touch RBAC, impersonate, change ConfigMaps, read nodes, leases outside
#   its namespace, change its own Deployment;
# - no rule uses a wildcard.
import os
import re
import secrets
import sys

import yaml

sys.path.insert(0, os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrydbed  # noqa: E402
import kubebed  # noqa: E402

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
env = kubebed.start()
bed = kubebed.Bed(env)
ns = f"ha-rbac-{secrets.token_hex(3)}"
target = f"{ns}-target"  # a plan's target namespace: any namespace
overlay = ferrydbed.Overlay(bed, ns, env["FERRY_KUBE_IMAGE"], replicas=0)
FORKLIFT = ["providers", "hosts", "networkmaps", "storagemaps", "plans", "migrations", "hooks",
            "forkliftcontrollers"]


def can(verb, resource, namespace=None, subresource=None):
    args = ["auth", "can-i", verb, resource, f"--as={overlay.service_account}"]
    args += ["-n", namespace] if namespace else ["--all-namespaces"]
    if subresource:
        args += [f"--subresource={subresource}"]
    r = bed.kubectl(*args, check=False)
    answer = r.stdout.strip()
    assert answer in ("yes", "no"), f"kubectl {' '.join(args)}: {r.stdout} {r.stderr}"
    return answer == "yes"


def plugin_permissions():
    """the (group, resource, subresource, verb) the kubevirt plugin checks"""
    with open(os.path.join(SOURCE_ROOT, "plugins", "kubevirt",
                           "ferry-kubevirt-inventory.c")) as f:
        source = f.read()
    table = source[source.index("permissions[] = {"):]
    table = table[:table.index("};")]
    found = re.findall(r'\{"([^"]*)", "([^"]+)", (NULL|"[^"]+"), "([^"]+)"\}', table)
    assert len(found) == 24, f"the plugin checks {len(found)} permissions, not 24: {found}"
    return [(g, r, None if s == "NULL" else s.strip('"'), v) for g, r, s, v in found]


failures = []


def expect(allowed, verb, resource, namespace=None, subresource=None):
    got = can(verb, resource, namespace, subresource)
    where = f"in {namespace}" if namespace else "cluster-wide"
    what = f"{verb} {resource}{'/' + subresource if subresource else ''} {where}"
    if got != allowed:
        failures.append(f"{'may not' if allowed else 'may'} {what}")
    return what


try:
    # no wildcards anywhere, and every resource named is one the API server
    # serves (the bed installs Forklift's, KubeVirt's, CDI's and the NAD CRDs)
    served = set(bed.kubectl("api-resources", "-o", "name").stdout.split())
    with open(os.path.join(ferrydbed.BASE, "rbac.yaml")) as f:
        for doc in yaml.safe_load_all(f):
            for rule in doc.get("rules", []):
                for key in ("apiGroups", "resources", "verbs"):
                    assert "*" not in rule.get(key, []), f"{doc['metadata']['name']}: {rule}"
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        name = resource.split("/")[0] + (f".{group}" if group else "")
                        assert name in served, f"rbac.yaml names {name}, which is not served"
    for kind in FORKLIFT:
        crd = bed.kubectl_json("get", "crd", f"{kind}.forklift.konveyor.io")
        assert any(v.get("subresources", {}).get("status") is not None
                   for v in crd["spec"]["versions"]), f"{kind} has no status subresource"
    print("ok: no wildcards; every resource in rbac.yaml is served; Forklift's CRDs are "
          "installed with their status subresource")
    bed.kubectl("create", "namespace", target)
    overlay.apply()

    # what ferryd needs
    for kind in FORKLIFT:
        resource = f"{kind}.forklift.konveyor.io"
        for verb in ("get", "list", "watch", "update", "patch"):
            expect(True, verb, resource, target)
        for verb in ("get", "update", "patch"):
            expect(True, verb, resource, target, "status")
        expect(True, "update", resource, target, "finalizers")
        expect(True, "list", resource)
    expect(True, "get", "secrets", target)
    for resource in ("namespaces", "storageclasses.storage.k8s.io",
                     "storageprofiles.cdi.kubevirt.io", "datavolumes.cdi.kubevirt.io",
                     "network-attachment-definitions.k8s.cni.cncf.io", "kubevirts.kubevirt.io",
                     "virtualmachineinstancetypes.instancetype.kubevirt.io",
                     "virtualmachineclusterinstancetypes.instancetype.kubevirt.io",
                     "virtualmachinepreferences.instancetype.kubevirt.io",
                     "virtualmachineclusterpreferences.instancetype.kubevirt.io",
                     "virtualmachines.kubevirt.io", "persistentvolumeclaims"):
        expect(True, "list", resource)
    # a direct LUN's static PersistentVolume (cluster-wide), made and removed
    for verb in ("get", "create", "delete"):
        expect(True, verb, "persistentvolumes")
    expect(True, "create", "tokenreviews.authentication.k8s.io")
    expect(True, "create", "subjectaccessreviews.authorization.k8s.io")
    for verb in ("get", "create", "update"):
        expect(True, verb, "leases.coordination.k8s.io", ns)
    for group, resource, subresource, verb in plugin_permissions():
        expect(True, verb, f"{resource}.{group}" if group else resource, target, subresource)
    print("ok: ferryd's service account may do each thing ferryd needs "
          "(including the kubevirt plugin's 24 permissions in a target namespace)")

    # what it does not need
    denied = [
        ("delete", "namespaces", None, None), ("create", "namespaces", None, None),
        ("delete", "namespaces", target, None),
        ("create", "plans.forklift.konveyor.io", target, None),
        ("delete", "providers.forklift.konveyor.io", target, None),
        ("delete", "migrations.forklift.konveyor.io", target, None),
        ("update", "secrets", target, None), ("patch", "secrets", target, None),
        ("watch", "secrets", target, None), ("watch", "secrets", None, None),
        ("create", "pods", target, "exec"), ("create", "pods", target, "attach"),
        ("update", "pods", target, None),
        ("create", "roles.rbac.authorization.k8s.io", ns, None),
        ("create", "clusterrolebindings.rbac.authorization.k8s.io", None, None),
        ("bind", "clusterroles.rbac.authorization.k8s.io", None, None),
        ("escalate", "clusterroles.rbac.authorization.k8s.io", None, None),
        ("impersonate", "users", None, None), ("impersonate", "serviceaccounts", target, None),
        ("create", "serviceaccounts", target, "token"),
        ("update", "configmaps", target, None), ("watch", "configmaps", target, None),
        ("get", "nodes", None, None),
        ("delete", "nodes", None, None),
        ("get", "leases.coordination.k8s.io", target, None),
        ("get", "leases.coordination.k8s.io", "kube-system", None),
        ("delete", "leases.coordination.k8s.io", ns, None),
        ("update", "deployments.apps", ns, None),
        ("create", "customresourcedefinitions.apiextensions.k8s.io", None, None),
        ("delete", "virtualmachineinstances.kubevirt.io", target, None),
        ("update", "virtualmachines.kubevirt.io", target, None),
        ("update", "persistentvolumeclaims", target, None),
        ("update", "persistentvolumes", None, None),
        ("patch", "persistentvolumes", None, None),
        ("list", "persistentvolumes", None, None),
    ]
    for verb, resource, namespace, subresource in denied:
        expect(False, verb, resource, namespace, subresource)
    assert not failures, "ferryd's RBAC is wrong:\n  " + "\n  ".join(failures)
    print(f"ok: ferryd's service account may not do {len(denied)} things it does not need "
          "(namespaces, RBAC, exec, impersonation, Secret or ConfigMap changes or watches, "
          "nodes, other namespaces' leases, its own Deployment)")
finally:
    overlay.delete()
    bed.kubectl("delete", "namespace", target, "--wait=false", check=False)

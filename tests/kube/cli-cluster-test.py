#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ferry --kubeconfig …` (cluster mode) on the real Kubernetes test bed:
apply of a directory of Forklift manifests (the project's OVA example and
Forklift's own operator samples) creates them in order through server-side
apply and reports created / unchanged / configured as kubectl does; get -o
json prints what kubectl prints; get and describe show a status written with
kubectl as the local mode shows its own; plan start creates the Migration
kubectl-mtv creates, cutover / cancel / archive patch what kubectl-mtv
patches; delete -f removes everything. The errors: a wrong context, a bad
token (never printed), an unreachable API server, a user without RBAC for
plans, and a manifest the API server's CRD validation rejects (its message,
and nothing sent after it). The same manifests still work on the local state,
and KUBECONFIG alone does not switch ferry to the cluster.

Everything lives in a namespace of its own (cli-<random>), deleted at the
end. Without a bed the test skips (exit 77), except under CI=true."""

import copy
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["FERRY_SOURCE_ROOT"], "tests", "e2e"))
import kubebed  # noqa: E402

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
FERRY = os.environ["FERRY_BIN"]
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(SOURCE_ROOT)), "shared", "testdata",
                       "forklift-examples", "operator", "config", "samples")
FAILURES = []

ENV = kubebed.start()
BED = kubebed.Bed(ENV)
NS = f"cli-{secrets.token_hex(3)}"
ADMIN = ENV["KUBECONFIG"]
WORK = tempfile.mkdtemp(prefix="ferry-cli-cluster-")


def ferry(*args, expect=0, stdin=None, env=None, kubeconfig=ADMIN):
    cluster = ["--kubeconfig", kubeconfig] if kubeconfig else []
    run_env = dict(os.environ)
    run_env.pop("KUBECONFIG", None)
    run_env.update(env or {})
    r = subprocess.run([FERRY, *cluster, "-n", NS, *args], capture_output=True, text=True,
                       input=stdin, env=run_env)
    if expect is not None and r.returncode != expect:
        raise AssertionError(f"ferry {' '.join(args)} exited {r.returncode}, not {expect}:\n"
                             f"{r.stdout}{r.stderr}")
    return r


def failing(*args, **kwargs):
    r = ferry(*args, expect=None, **kwargs)
    if r.returncode == 0:
        raise AssertionError(f"ferry {' '.join(args)} succeeded:\n{r.stdout}{r.stderr}")
    return r.stdout + r.stderr


def check(name, func, *args):
    try:
        func(*args)
        print(f"ok - {name}")
    except Exception as e:  # noqa: BLE001 (a failed check must not stop the others)
        FAILURES.append(name)
        print(f"not ok - {name}: {type(e).__name__}: {e}")


def write_manifests(folder):
    """the OVA example (Secret, two Providers, maps, Plan) and Forklift's
    samples of a Provider and a Hook, all in NS"""
    os.makedirs(folder)
    for name in sorted(os.listdir(os.path.join(SOURCE_ROOT, "examples", "ova"))):
        with open(os.path.join(SOURCE_ROOT, "examples", "ova", name)) as f:
            text = f.read().replace("namespace: demo", f"namespace: {NS}")
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    # (Forklift's Host sample has no spec.secret, which its CRD requires)
    for kind in ("provider", "hook"):
        with open(os.path.join(SAMPLES, f"forklift_v1beta1_{kind}.yaml")) as f:
            text = f.read().replace("${NAMESPACE}", NS)
        with open(os.path.join(folder, f"30-sample-{kind}.yaml"), "w") as f:
            f.write(text)


MANIFESTS = os.path.join(WORK, "manifests")
EXPECTED = [
    "secret/ova-credentials",
    "provider.forklift.konveyor.io/ova-source",
    "provider.forklift.konveyor.io/kubevirt-bundle",
    "provider.forklift.konveyor.io/example-provider",
    "networkmap.forklift.konveyor.io/ova-networks",
    "storagemap.forklift.konveyor.io/ova-storage",
    "hook.forklift.konveyor.io/example-hook",
    "plan.forklift.konveyor.io/ova-to-bundle",
]


def outcomes(text):
    return [tuple(line.rsplit(" ", 1)) for line in text.splitlines() if line.strip()]


def test_apply_creates_in_order():
    r = ferry("apply", "-f", MANIFESTS)
    got = outcomes(r.stdout)
    assert got == [(e, "created") for e in EXPECTED], f"apply said:\n{r.stdout}{r.stderr}"
    for reference in EXPECTED:
        kind, name = reference.split("/")
        BED.kubectl("get", "-n", NS, kind, name)
    managers = [m["manager"] for m in
                BED.kubectl_json("get", "-n", NS, "plan", "ova-to-bundle",
                                 "--show-managed-fields")["metadata"]["managedFields"]]
    assert managers == ["ferry"], f"field managers {managers}, not ferry (server-side apply)"


def test_reapply_is_unchanged():
    r = ferry("apply", "-f", MANIFESTS)
    assert outcomes(r.stdout) == [(e, "unchanged") for e in EXPECTED], r.stdout


def test_changed_field_is_configured():
    path = os.path.join(MANIFESTS, "20-plan.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("description: Two sample OVAs into a KubeVirt bundle",
                             "description: changed by the CLI test"))
    r = ferry("apply", "-f", MANIFESTS)
    want = [(e, "configured" if e.startswith("plan.") else "unchanged") for e in EXPECTED]
    assert outcomes(r.stdout) == want, r.stdout
    description = BED.kubectl_json("get", "-n", NS, "plan", "ova-to-bundle")["spec"]["description"]
    assert description == "changed by the CLI test", description


def test_apply_from_stdin():
    doc = f"""apiVersion: forklift.konveyor.io/v1beta1
kind: Hook
metadata: {{name: stdin-hook}}
spec: {{image: quay.io/konveyor/hook-runner}}
"""
    r = ferry("apply", "-f", "-", stdin=doc)
    assert r.stdout.strip() == "hook.forklift.konveyor.io/stdin-hook created", r.stdout
    BED.kubectl("get", "-n", NS, "hook", "stdin-hook")
    ferry("delete", "hook", "stdin-hook")


def test_field_manager_conflict():
    hook = f"""apiVersion: forklift.konveyor.io/v1beta1
kind: Hook
metadata: {{name: kubectl-hook, namespace: {NS}}}
spec: {{image: quay.io/konveyor/hook-runner}}
"""
    BED.kubectl("apply", "-f", "-", stdin=hook)  # kubectl's client-side apply owns spec.image
    changed = hook.replace("hook-runner", "other-runner")
    out = failing("apply", "-f", "-", stdin=changed)
    assert "conflict" in out and ".spec.image" in out and "--force-conflicts" in out, out
    image = BED.kubectl_json("get", "-n", NS, "hook", "kubectl-hook")["spec"]["image"]
    assert image == "quay.io/konveyor/hook-runner", image
    r = ferry("apply", "-f", "-", "--force-conflicts", stdin=changed)
    assert r.stdout.strip() == "hook.forklift.konveyor.io/kubectl-hook configured", r.stdout
    ferry("delete", "hook", "kubectl-hook")


def test_context_alone_uses_kubeconfig_variable():
    """--context (no --kubeconfig) is cluster mode with $KUBECONFIG's file"""
    r = ferry("--context", "ferry-admin@ferry-kube", "get", "plans", "-o", "json",
              kubeconfig=None, env={"KUBECONFIG": ADMIN, "FERRY_STATE_DIR":
                                    os.path.join(WORK, "empty-state")})
    names = [i["metadata"]["name"] for i in json.loads(r.stdout)["items"]]
    assert names == ["ova-to-bundle"], names


def test_get_json_is_kubectls():
    for kind, name in (("plan", "ova-to-bundle"), ("provider", "ova-source"),
                       ("networkmap", "ova-networks"), ("hook", "example-hook")):
        mine = json.loads(ferry("get", kind, name, "-o", "json").stdout)
        theirs = BED.kubectl_json("get", "-n", NS, kind, name)
        assert mine == theirs, f"{kind}/{name}: ferry and kubectl differ:\n{mine}\n{theirs}"
    mine = json.loads(ferry("get", "providers", "-o", "json").stdout)
    theirs = BED.kubectl_json("get", "-n", NS, "providers")
    assert mine["items"] == theirs["items"], "the provider lists differ"


def test_secret_values_never_printed():
    out = ferry("get", "secret", "ova-credentials", "-o", "yaml").stdout
    out += ferry("get", "secrets", "-o", "json").stdout
    out += ferry("describe", "secret", "ova-credentials").stdout
    assert "/var/tmp/ferry-example/ova" not in out, out
    assert "ZmlsZTov" not in out, "a Secret's base64 value was printed"
    data = json.loads(ferry("get", "secret", "ova-credentials", "-o", "json").stdout)["data"]
    assert data == {"url": "[redacted]"}, data
    assert "url: 33 bytes" in ferry("describe", "secret", "ova-credentials").stdout


def table_header(text):
    lines = text.splitlines()
    assert lines, "no table printed"
    return lines[0].split()


def test_tables_match_the_local_mode(local_state):
    cluster = ferry("get", "plans").stdout
    local = ferry("--state", local_state, "get", "plans", kubeconfig=None).stdout
    assert table_header(cluster) == table_header(local) == \
        ["NAME", "READY", "EXECUTING", "SUCCEEDED", "FAILED", "AGE"], (cluster, local)
    for kind in ("providers", "secrets", "hooks", "networkmaps", "storagemaps"):
        cluster = ferry("get", kind).stdout
        local = ferry("--state", local_state, "get", kind, kubeconfig=None).stdout
        assert table_header(cluster) == table_header(local), (kind, cluster, local)


def test_local_state_still_works(local_state):
    r = ferry("--state", local_state, "apply", "-f", MANIFESTS, kubeconfig=None)
    assert [o[0] for o in outcomes(r.stdout) if o[1] == "created"], r.stdout
    names = ferry("--state", local_state, "get", "plans", "-o", "json",
                  kubeconfig=None).stdout
    assert "ova-to-bundle" in names
    # an object exported from the local state applies to the cluster as a new one
    ferry("--state", local_state, "apply", "-f", "-", kubeconfig=None,
          stdin="apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
                "metadata: {name: moved-hook}\nspec: {image: quay.io/konveyor/hook-runner}\n")
    exported = ferry("--state", local_state, "get", "hook", "moved-hook", "-o", "yaml",
                     kubeconfig=None).stdout
    assert "uid:" in exported and "resourceVersion:" in exported, exported
    r = ferry("apply", "-f", "-", stdin=exported)
    assert r.stdout.strip() == "hook.forklift.konveyor.io/moved-hook created", r.stdout
    ferry("delete", "hook", "moved-hook")
    # KUBECONFIG alone does not switch to the cluster: an empty state has no plan
    empty = os.path.join(WORK, "empty-state")
    r = ferry("--state", empty, "get", "plans", kubeconfig=None, env={"KUBECONFIG": ADMIN})
    assert "No resources found" in r.stderr and r.stdout == "", r.stdout + r.stderr


def test_status_shown_as_local():
    BED.kubectl("patch", "-n", NS, "plan", "ova-to-bundle", "--subresource=status",
                "--type=merge", "-p", json.dumps({"status": {
                    "conditions": [{"type": "Ready", "status": "True", "category": "Required",
                                    "message": "The migration plan is ready.",
                                    "lastTransitionTime": "2026-12-07T00:00:00Z"}],
                    "migration": {"vms": [{
                        "id": "web", "name": "web", "phase": "DiskTransfer",
                        "pipeline": [{"name": "DiskTransfer", "phase": "Running",
                                      "progress": {"completed": 512, "total": 1024}}]}]}}}))
    rows = ferry("get", "plan", "ova-to-bundle").stdout.splitlines()
    assert rows[1].split()[:2] == ["ova-to-bundle", "True"], rows
    out = ferry("describe", "plan", "ova-to-bundle").stdout
    assert re.search(r"^  TYPE +STATUS +CATEGORY +REASON +MESSAGE$", out, re.M), out
    assert re.search(r"^  Ready +True +Required +- +The migration plan is ready\.$", out,
                     re.M), out
    assert re.search(r"^  web \(web\): DiskTransfer$", out, re.M), out
    assert re.search(r"^    DiskTransfer +Running +512/1024$", out, re.M), out


def test_plan_start_creates_kubectl_mtvs_migration():
    plan = BED.kubectl_json("get", "-n", NS, "plan", "ova-to-bundle")
    r = ferry("plan", "start", "ova-to-bundle")
    m = re.match(r"migration\.forklift\.konveyor\.io/(ova-to-bundle-\w+) created", r.stdout)
    assert m, r.stdout
    migration = BED.kubectl_json("get", "-n", NS, "migration", m.group(1))
    uid = plan["metadata"]["uid"]
    # what kubectl-mtv's start plan creates (pkg/cmd/start/plan/start.go)
    assert migration["metadata"]["generateName"] == "ova-to-bundle-"
    assert migration["metadata"]["ownerReferences"] == [
        {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
         "name": "ova-to-bundle", "uid": uid}], migration["metadata"]
    assert migration["spec"] == {"plan": {"name": "ova-to-bundle", "namespace": NS,
                                          "uid": uid}}, migration["spec"]
    ferry("plan", "cutover", "ova-to-bundle", "--at", "2026-12-31T00:00:00Z")
    ferry("plan", "cancel", "ova-to-bundle", "--vms", "db")
    ferry("plan", "cancel", "ova-to-bundle", "--vms", "db,web")
    spec = BED.kubectl_json("get", "-n", NS, "migration", m.group(1))["spec"]
    assert spec["cutover"] == "2026-12-31T00:00:00Z", spec
    assert spec["cancel"] == [{"name": "db"}, {"name": "web"}], spec
    ferry("plan", "archive", "ova-to-bundle")
    assert BED.kubectl_json("get", "-n", NS, "plan", "ova-to-bundle")["spec"]["archived"] is True


def test_plan_start_refuses_a_plan_not_ready():
    BED.kubectl("patch", "-n", NS, "plan", "ova-to-bundle", "--subresource=status",
                "--type=merge", "-p", json.dumps({"status": {"conditions": [
                    {"type": "VMNotFound", "status": "True", "category": "Critical",
                     "message": "VM db not found.",
                     "lastTransitionTime": "2026-12-07T00:00:00Z"}]}}))
    before = len(BED.kubectl_json("get", "-n", NS, "migrations")["items"])
    out = failing("plan", "start", "ova-to-bundle")
    assert "VMNotFound: VM db not found." in out and "no Ready condition" in out, out
    assert len(BED.kubectl_json("get", "-n", NS, "migrations")["items"]) == before


def test_plan_create():
    r = ferry("plan", "create", "created-plan", "--source", "ova-source", "--target",
              "kubevirt-bundle", "--vms", "web, db", "--network-map", "ova-networks",
              "--storage-map", "ova-storage", "--type", "cold")
    assert r.stdout.strip() == "plan.forklift.konveyor.io/created-plan created", r.stdout
    spec = BED.kubectl_json("get", "-n", NS, "plan", "created-plan")["spec"]
    assert spec["vms"] == [{"name": "web"}, {"name": "db"}], spec
    assert spec["provider"]["source"] == {"name": "ova-source", "namespace": NS}, spec
    assert spec["map"]["storage"] == {"name": "ova-storage", "namespace": NS}, spec
    assert spec["targetNamespace"] == NS and spec["type"] == "cold", spec
    out = failing("plan", "create", "other", "--source", "ova-source", "--target",
                  "kubevirt-bundle", "--vms-query", "where name = 'web'", "--network-map",
                  "ova-networks", "--storage-map", "ova-storage")
    assert "--vms-query needs the local inventory" in out, out
    ferry("plan", "delete", "created-plan")


def test_wrong_context():
    out = failing("get", "plans", "--context", "no-such-context")
    assert 'no context named "no-such-context"' in out and "ferry-admin@ferry-kube" in out, out


def kubeconfig_with_token(server, token):
    path = os.path.join(WORK, f"token-{secrets.token_hex(2)}.kubeconfig")
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: bed
  cluster: {{server: "{server}", certificate-authority: "{ENV['FERRY_KUBE_CA']}"}}
users:
- name: someone
  user: {{token: "{token}"}}
contexts:
- name: bed
  context: {{cluster: bed, user: someone, namespace: {NS}}}
current-context: bed
""")
    return path


def test_bad_token():
    token = "not-a-token-" + secrets.token_hex(8)
    out = failing("get", "plans", kubeconfig=kubeconfig_with_token(ENV["FERRY_KUBE_APISERVER"],
                                                                    token))
    assert "401 Unauthorized" in out, out
    assert token not in out, "the token was printed"


def test_unreachable_api_server():
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = failing("get", "plans",
                  kubeconfig=kubeconfig_with_token(f"https://127.0.0.1:{port}", "x"))
    assert f"cannot reach the API server https://127.0.0.1:{port}" in out, out


def test_crds_missing():
    """the bed's API server behind a URL prefix answers every discovery with
    404, as a cluster without Forklift's CRDs answers for forklift.konveyor.io"""
    with open(ADMIN) as f:
        text = f.read()
    server = ENV["FERRY_KUBE_APISERVER"]
    assert f"server: {server}" in text, "the admin kubeconfig's server line"
    path = os.path.join(WORK, "prefix.kubeconfig")
    with open(path, "w") as f:
        f.write(text.replace(f"server: {server}", f"server: {server}/no-such-prefix"))
    out = failing("get", "plans", kubeconfig=path)
    assert "Forklift's CRDs are not installed in this cluster" in out and \
        "does not serve Plan forklift.konveyor.io/v1beta1" in out, out


def test_rbac_denied():
    limited = ENV["FERRY_KUBE_LIMITED_KUBECONFIG"]
    out = failing("get", "plans", kubeconfig=limited)
    assert "403 Forbidden" in out and 'verb "list" on resource "plans"' in out and \
        f"in namespace {NS}" in out, out
    out = failing("apply", "-f", MANIFESTS, kubeconfig=limited)
    assert 'verb "get" on resource "secrets"' in out, out


def test_api_server_validation():
    folder = os.path.join(WORK, "rejected")
    os.makedirs(folder)
    with open(os.path.join(folder, "plan.yaml"), "w") as f:
        f.write(f"""apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {{name: rejected, namespace: {NS}}}
spec:
  targetNamespace: {NS}
  targetAffinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{}}}}}}
  provider:
    source: {{name: ova-source, namespace: {NS}}}
    destination: {{name: kubevirt-bundle, namespace: {NS}}}
  map:
    network: {{name: ova-networks, namespace: {NS}}}
    storage: {{name: ova-storage, namespace: {NS}}}
  vms: [{{name: web}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Migration
metadata: {{name: after-rejected, namespace: {NS}}}
spec:
  plan: {{name: rejected, namespace: {NS}}}
""")
    with open(os.path.join(folder, "secret.yaml"), "w") as f:
        f.write(f"""apiVersion: v1
kind: Secret
metadata: {{name: before-rejected, namespace: {NS}}}
stringData: {{token: x}}
""")
    out = failing("apply", "-f", folder)
    assert "secret/before-rejected created" in out, out
    assert "plan.forklift.konveyor.io/rejected" in out and \
        "spec.targetAffinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution" \
        ".nodeSelectorTerms: Required value" in out, out
    assert "1 of 3 objects were applied" in out, out
    assert BED.kubectl("get", "-n", NS, "migration", "after-rejected",
                       check=False).returncode != 0, "an object after the rejected one was sent"
    # a manifest Ferry's own checks reject sends nothing at all
    with open(os.path.join(folder, "secret.yaml"), "a") as f:
        f.write("---\napiVersion: forklift.konveyor.io/v1beta1\nkind: Provider\n"
                "metadata: {name: Bad_Name}\nspec: {type: ova, url: 'file:///x'}\n")
    out = failing("apply", "-f", folder)
    assert "nothing was applied" in out and "metadata.name" in out, out
    assert "secret.yaml:" in out, out
    ferry("delete", "secret", "before-rejected")


def test_local_only_verbs_refuse():
    out = failing("run")
    assert "local state only" in out, out
    out = failing("inventory", "rules")
    assert "ferryd's inventory service" in out, out


def test_delete():
    out = ferry("delete", "-f", MANIFESTS).stdout
    deleted = [line for line in out.splitlines() if line.endswith(" deleted")]
    assert len(deleted) == len(EXPECTED), out
    assert deleted[0].startswith("plan.forklift.konveyor.io "), "delete -f is not in reverse order"
    for reference in EXPECTED:
        kind, name = reference.split("/")
        assert BED.kubectl("get", "-n", NS, kind, name, check=False).returncode != 0, reference
    out = failing("delete", "plan", "ova-to-bundle")
    assert "not found" in out, out
    ferry("delete", "plan", "ova-to-bundle", "--ignore-not-found")


def main():
    local_state = os.path.join(WORK, "state")
    write_manifests(MANIFESTS)
    BED.kubectl("create", "namespace", NS)
    try:
        check("apply of a directory creates every object in order (server-side apply)",
              test_apply_creates_in_order)
        check("apply again: every object unchanged", test_reapply_is_unchanged)
        check("a changed field: that object configured", test_changed_field_is_configured)
        check("apply -f - reads standard input", test_apply_from_stdin)
        check("get -o json prints what kubectl prints", test_get_json_is_kubectls)
        check("a field another manager owns: conflict, then --force-conflicts",
              test_field_manager_conflict)
        check("--context alone works on $KUBECONFIG's cluster",
              test_context_alone_uses_kubeconfig_variable)
        check("a Secret's values are never printed", test_secret_values_never_printed)
        check("the same manifests work on the local state; KUBECONFIG alone changes nothing",
              test_local_state_still_works, local_state)
        check("get shows the local mode's columns", test_tables_match_the_local_mode,
              local_state)
        check("a status written with kubectl shows in get and describe as locally",
              test_status_shown_as_local)
        check("plan start, cutover, cancel, archive act as kubectl-mtv",
              test_plan_start_creates_kubectl_mtvs_migration)
        check("plan start refuses a plan without Ready, naming its blockers",
              test_plan_start_refuses_a_plan_not_ready)
        check("plan create puts the Plan into the cluster", test_plan_create)
        check("a wrong context is named with the ones there are", test_wrong_context)
        check("a bad token: 401, the token not printed", test_bad_token)
        check("an unreachable API server is named", test_unreachable_api_server)
        check("RBAC denial names the verb, resource and namespace", test_rbac_denied)
        check("Forklift's API group not served: the CRDs are not installed",
              test_crds_missing)
        check("the API server's validation message; nothing sent after it",
              test_api_server_validation)
        check("local-only verbs refuse cluster mode", test_local_only_verbs_refuse)
        check("delete -f removes everything in reverse order; 404 is an error",
              test_delete)
    finally:
        BED.kubectl("delete", "namespace", NS, "--wait=false", check=False)
        shutil.rmtree(WORK, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} failed: {', '.join(FAILURES)}")
        sys.exit(1)


main()

#!/usr/bin/python3
# The Kubernetes test bed comes up for real: scripts/kube-testbed start (or
# the bed already running) gives a Ready node, the KubeVirt, CDI, Forklift
# and NetworkAttachmentDefinition CRDs Established, and a pod of Ferry's own
# image that runs `ferry version` on the real kubelet, containerd and runc,
# whose log is read back through the API server, and a volume of the default
# StorageClass made by rancher's local-path-provisioner.
#
# When the bed cannot start it skips (exit 77) with the reason, except under
# CI=true, where it fails.
import os
import shlex
import subprocess
import sys
import time

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
TESTBED = os.path.join(SOURCE_ROOT, "scripts", "kube-testbed")
CI = os.environ.get("CI") == "true"


def skip_or_fail(reason):
    if CI:
        print(f"FAIL (CI=true): {reason}")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(77)


def testbed_env():
    if os.geteuid() != 0:
        skip_or_fail("the Kubernetes test bed needs root (containerd, kubelet, runc)")
    t0 = time.monotonic()
    start = subprocess.run([TESTBED, "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    print(start.stdout, end="")
    if start.returncode != 0:
        skip_or_fail(f"scripts/kube-testbed start failed (exit {start.returncode}); see above")
    print(f"test bed ready after {time.monotonic() - t0:.1f} s")
    out = subprocess.run([TESTBED, "env"], check=True, stdout=subprocess.PIPE, text=True).stdout
    env = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


ENV = testbed_env()
for key in ("KUBECONFIG", "FERRY_KUBE_LIMITED_KUBECONFIG", "FERRY_KUBE_STATE",
            "FERRY_KUBE_APISERVER", "FERRY_KUBE_CA", "FERRY_KUBE_IMAGE", "FERRY_KUBE_KUBECTL"):
    assert ENV.get(key), f"scripts/kube-testbed env printed no {key}"


def kubectl(*args, check=True, kubeconfig=None):
    r = subprocess.run([ENV["FERRY_KUBE_KUBECTL"], "--kubeconfig", kubeconfig or ENV["KUBECONFIG"],
                        *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {r.stderr.strip()}")
    return r


def test_node_ready():
    ready = kubectl("get", "node", "ferry-node", "-o",
                    'jsonpath={.status.conditions[?(@.type=="Ready")].status}').stdout
    assert ready == "True", f"node ferry-node Ready={ready!r}"
    info = kubectl("get", "node", "ferry-node", "-o",
                   "jsonpath={.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}").stdout
    print(f"ok - node ferry-node Ready (kubelet, runtime: {info})")


def test_crds_established():
    testdata = os.path.join(os.path.dirname(SOURCE_ROOT), "shared", "testdata")
    testdata = os.environ.get("FERRY_KUBE_TESTDATA", testdata)
    names = []
    for d in ("kubevirt-crds", "cdi-crds", "forklift-crds", "nad-crds"):
        for f in sorted(os.listdir(os.path.join(testdata, d))):
            path = os.path.join(testdata, d, f)
            if not f.endswith(".yaml"):
                continue
            with open(path) as fp:
                text = fp.read()
            if "\nkind: CustomResourceDefinition" not in "\n" + text:
                continue
            for line in text.splitlines():
                if line.startswith("  name: "):
                    names.append(line.split(":", 1)[1].strip())
                    break
    assert len(names) >= 40, f"only {len(names)} CRDs found in {testdata}"
    out = kubectl("get", "crd", *names, "-o",
                  'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}').stdout
    status = dict(line.split("=", 1) for line in out.splitlines())
    missing = [n for n in names if status.get(n) != "True"]
    assert not missing, f"CRDs not Established: {missing}"
    print(f"ok - {len(names)} CRDs Established (KubeVirt, CDI, Forklift, NAD)")


def test_ferry_pod_runs_and_logs():
    ns = "ferry-smoke"
    kubectl("create", "namespace", ns, check=False)
    kubectl("-n", ns, "delete", "pod", "ferry-version", "--ignore-not-found", "--wait=true")
    manifest = f"""
apiVersion: v1
kind: Pod
metadata: {{name: ferry-version, namespace: {ns}}}
spec:
  restartPolicy: Never
  containers:
  - name: ferry
    image: {ENV["FERRY_KUBE_IMAGE"]}
    imagePullPolicy: Never
    command: [ferry, version]
"""
    r = subprocess.run([ENV["FERRY_KUBE_KUBECTL"], "--kubeconfig", ENV["KUBECONFIG"], "create", "-f", "-"],
                       input=manifest, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, f"creating the pod failed: {r.stderr}"
    phase = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        phase = kubectl("-n", ns, "get", "pod", "ferry-version", "-o", "jsonpath={.status.phase}").stdout
        if phase in ("Succeeded", "Failed"):
            break
        time.sleep(1)
    if phase != "Succeeded":
        desc = kubectl("-n", ns, "describe", "pod", "ferry-version", check=False).stdout
        raise AssertionError(f"pod ferry-version ended as {phase!r}:\n{desc}")
    log = kubectl("-n", ns, "logs", "ferry-version").stdout
    assert "ferry" in log.lower() and any(c.isdigit() for c in log), f"unexpected `ferry version` output: {log!r}"
    kubectl("-n", ns, "delete", "pod", "ferry-version", "--wait=false")
    print(f"ok - a pod of {ENV['FERRY_KUBE_IMAGE']} ran `ferry version`: {log.strip().splitlines()[0]}")


def wait_phase(ns, pod, seconds=180):
    phase = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        phase = kubectl("-n", ns, "get", "pod", pod, "-o", "jsonpath={.status.phase}").stdout
        if phase in ("Succeeded", "Failed"):
            return phase
        time.sleep(1)
    return phase


def test_local_path_volume():
    """rancher's local-path-provisioner makes a volume for a claim of the
    default StorageClass; a pod of Ferry's image writes to it."""
    ns = "ferry-smoke"
    kubectl("create", "namespace", ns, check=False)
    kubectl("-n", ns, "delete", "pod", "ferry-volume", "--ignore-not-found", "--wait=true")
    kubectl("-n", ns, "delete", "pvc", "ferry-volume", "--ignore-not-found", "--wait=true")
    default = kubectl("get", "storageclass", "-o",
                      'jsonpath={range .items[?(@.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class=="true")]}{.metadata.name}{end}').stdout
    assert default == "local-path", f"default StorageClass is {default!r}, not local-path"
    manifest = f"""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: ferry-volume, namespace: {ns}}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: 64Mi}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: ferry-volume, namespace: {ns}}}
spec:
  restartPolicy: Never
  containers:
  - name: writer
    image: {ENV["FERRY_KUBE_IMAGE"]}
    imagePullPolicy: Never
    command: [/bin/sh, -c, "echo ferry-was-here > /data/proof && cat /data/proof"]
    volumeMounts: [{{name: data, mountPath: /data}}]
  volumes:
  - name: data
    persistentVolumeClaim: {{claimName: ferry-volume}}
"""
    r = subprocess.run([ENV["FERRY_KUBE_KUBECTL"], "--kubeconfig", ENV["KUBECONFIG"], "create", "-f", "-"],
                       input=manifest, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, f"creating the claim and pod failed: {r.stderr}"
    phase = wait_phase(ns, "ferry-volume")
    if phase != "Succeeded":
        desc = kubectl("-n", ns, "describe", "pod,pvc", "ferry-volume", check=False).stdout
        raise AssertionError(f"pod ferry-volume ended as {phase!r}:\n{desc}")
    pv = kubectl("-n", ns, "get", "pvc", "ferry-volume", "-o", "jsonpath={.spec.volumeName}").stdout
    path = kubectl("get", "pv", pv, "-o", "jsonpath={.spec.hostPath.path}{.spec.local.path}").stdout
    with open(os.path.join(path, "proof")) as fp:
        assert fp.read() == "ferry-was-here\n"
    kubectl("-n", ns, "delete", "pod", "ferry-volume", "--wait=true")
    kubectl("-n", ns, "delete", "pvc", "ferry-volume", "--wait=false")
    print(f"ok - local-path-provisioner gave the claim {pv} in {path}; the pod wrote to it")


def test_limited_user_is_limited():
    lim = ENV["FERRY_KUBE_LIMITED_KUBECONFIG"]
    kubectl("-n", "limited", "get", "pods", kubeconfig=lim)
    r = kubectl("-n", "default", "get", "pods", kubeconfig=lim, check=False)
    assert r.returncode != 0 and "forbidden" in r.stderr.lower(), \
        f"the least-privilege user listed pods outside namespace limited: {r.stdout}{r.stderr}"
    print("ok - the least-privilege user lists pods in limited and nowhere else")


test_node_ready()
test_crds_established()
test_limited_user_is_limited()
test_ferry_pod_runs_and_logs()
test_local_path_volume()

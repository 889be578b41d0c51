# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for end-to-end tests on the Kubernetes test bed
(scripts/kube-testbed): start it or reuse it, kubectl for assertions, a
ServiceAccount token for a Provider, a PVC served over NBD for inspection.
Without a bed a test skips (exit 77), except under CI=true, where it fails."""

import json
import os
import secrets
import shlex
import socket
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


def start():
    """starts the bed (or finds it running); returns its `env` as a dict"""
    if os.geteuid() != 0:
        skip_or_fail("the Kubernetes test bed needs root (containerd, kubelet, runc)")
    r = subprocess.run([TESTBED, "start"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        print(r.stdout, end="")
        skip_or_fail(f"scripts/kube-testbed start failed (exit {r.returncode}); see above")
    out = subprocess.run([TESTBED, "env"], check=True, stdout=subprocess.PIPE, text=True).stdout
    env = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


class Bed:
    def __init__(self, env):
        self.env = env

    def kubectl(self, *args, check=True, stdin=None):
        r = subprocess.run([self.env["FERRY_KUBE_KUBECTL"], "--kubeconfig", self.env["KUBECONFIG"],
                            *args], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {r.stderr.strip()}")
        return r

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def admin_token(self, namespace, binding):
        """a cluster-admin ServiceAccount's token in @namespace (KubeVirt's
        aggregated roles need its operator, which the bed does not run)"""
        self.kubectl("create", "serviceaccount", "-n", namespace, "ferry")
        self.kubectl("create", "clusterrolebinding", binding, "--clusterrole=cluster-admin",
                     f"--serviceaccount={namespace}:ferry")
        return self.kubectl("create", "token", "-n", namespace, "ferry",
                            "--duration=2h").stdout.strip()

    def ca(self):
        with open(self.env["FERRY_KUBE_CA"]) as f:
            return f.read()

    def provider_docs(self, name, namespace, token, settings=None):
        """a Secret and a Provider of type openshift for the bed"""
        all_settings = {"transferImage": self.env["FERRY_KUBE_IMAGE"],
                        "transferPodTimeout": "180"}
        all_settings.update(settings or {})
        return [
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": f"{name}-credentials", "namespace": namespace},
             "type": "Opaque", "stringData": {"token": token, "cacert": self.ca()}},
            {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
             "metadata": {"name": name, "namespace": namespace},
             "spec": {"type": "openshift", "url": self.env["FERRY_KUBE_APISERVER"],
                      "secret": {"name": f"{name}-credentials", "namespace": namespace},
                      "settings": all_settings}},
        ]

    def wait_for(self, what, predicate, timeout=120, interval=1.0):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(interval)

    def serve_claim(self, namespace, claim):
        """serves disk.img of PVC @claim read-only over NBD from a pod of
        Ferry's image and forwards it to a local port (kubectl port-forward);
        returns (nbd URI, cleanup function)"""
        pod = f"nbd-reader-{secrets.token_hex(3)}"
        manifest = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": namespace},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                     "automountServiceAccountToken": False,
                     "containers": [{"name": "nbd", "image": self.env["FERRY_KUBE_IMAGE"],
                                     "imagePullPolicy": "IfNotPresent",
                                     "command": ["nbdkit", "--foreground", "--readonly",
                                                 "--exit-with-parent", "file",
                                                 "/data/disk.img"],
                                     "ports": [{"containerPort": 10809}],
                                     "readinessProbe": {"tcpSocket": {"port": 10809},
                                                        "periodSeconds": 1},
                                     "volumeMounts": [{"name": "d", "mountPath": "/data",
                                                       "readOnly": True}]}],
                     "volumes": [{"name": "d", "persistentVolumeClaim": {
                         "claimName": claim, "readOnly": True}}]},
        }
        self.kubectl("apply", "-f", "-", stdin=json.dumps(manifest))
        forward = None

        def cleanup():
            if forward is not None:
                forward.terminate()
                forward.wait()
            self.kubectl("delete", "pod", "-n", namespace, pod, "--wait=false", check=False)

        try:
            self.kubectl("wait", "--for=condition=Ready", "--timeout=180s", "-n", namespace,
                         f"pod/{pod}")
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            forward = subprocess.Popen(
                [self.env["FERRY_KUBE_KUBECTL"], "--kubeconfig", self.env["KUBECONFIG"],
                 "port-forward", "-n", namespace, f"pod/{pod}", f"{port}:10809"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            # kubectl says "Forwarding from …" once it listens
            line = forward.stdout.readline()
            if "Forwarding" not in line:
                raise AssertionError(f"kubectl port-forward did not start: {line}")
            return f"nbd://127.0.0.1:{port}", cleanup
        except BaseException:
            cleanup()
            raise

    def read_back(self, namespace, claims):
        """{claim: (size, sha256)} of disk.img on each PVC, read by a pod of
        Ferry's image"""
        pod = f"reader-{secrets.token_hex(3)}"
        volumes, mounts, script = [], [], []
        for i, claim in enumerate(claims):
            volumes.append({"name": f"d{i}", "persistentVolumeClaim": {"claimName": claim,
                                                                         "readOnly": True}})
            mounts.append({"name": f"d{i}", "mountPath": f"/d{i}", "readOnly": True})
            script.append(f"echo {claim} $(stat -c %s /d{i}/disk.img) "
                          f"$(sha256sum /d{i}/disk.img | cut -d' ' -f1)")
        manifest = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": namespace},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                     "automountServiceAccountToken": False,
                     "containers": [{"name": "read", "image": self.env["FERRY_KUBE_IMAGE"],
                                     "imagePullPolicy": "IfNotPresent",
                                     "command": ["/bin/sh", "-c", "\n".join(script)],
                                     "volumeMounts": mounts}],
                     "volumes": volumes},
        }
        self.kubectl("apply", "-f", "-", stdin=json.dumps(manifest))
        try:
            phase = self.wait_pod(namespace, pod, timeout=300)
            log = self.kubectl("logs", "-n", namespace, pod).stdout
            assert phase == "Succeeded", f"the reader pod {phase}: {log}"
            result = {}
            for line in log.splitlines():
                claim, size, digest = line.split()
                result[claim] = (int(size), digest)
            return result
        finally:
            self.kubectl("delete", "pod", "-n", namespace, pod, "--wait=false", check=False)

    def wait_pod(self, namespace, pod, timeout):
        """waits until the pod ended; returns Succeeded or Failed"""
        def finished():
            phase = self.kubectl("get", "pod", "-n", namespace, pod, "-o",
                                 "jsonpath={.status.phase}").stdout
            return phase if phase in ("Succeeded", "Failed") else None
        return self.wait_for(f"pod {namespace}/{pod}", finished, timeout=timeout)

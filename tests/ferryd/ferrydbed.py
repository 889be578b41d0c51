# SPDX-License-Identifier: LGPL-2.1-or-later
"""deploy/ferryd on the test bed: an overlay in a folder of its own that puts
the manifests into a test namespace (names prefixed, so the cluster-scoped
roles do not clash) with the image of this build's own `kube-testbed start`,
which kustomize sets (images:), and the Secret ferryd-tls the Deployment
mounts: a self-signed certificate made with openssl for the overlay."""

import json
import os
import subprocess
import tempfile
import urllib.parse

SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
BASE = os.path.join(SOURCE_ROOT, "deploy", "ferryd")
# deploy/ferryd with the bed's quirks (no kube-proxy: host network)
TESTBED = os.path.join(SOURCE_ROOT, "deploy", "ferryd-testbed")
# the base's image, which an overlay replaces
BASE_IMAGE = "localhost/ferry/ferry"


def make_certificate(folder):
    """a self-signed certificate for 127.0.0.1 and localhost (where the
    bed's host-network pods listen): @folder/tls.crt and tls.key; the
    certificate is also its own CA"""
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=ferryd",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", os.path.join(folder, "tls.key"), "-out", os.path.join(folder, "tls.crt")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise AssertionError(f"openssl req failed: {r.stdout}")


def write_overlay(folder, namespace, image, replicas=None, apiserver=None, host_paths=()):
    """writes a kustomization in @folder over deploy/ferryd, or over
    deploy/ferryd-testbed with @apiserver (the bed's https://HOST:PORT,
    which the pods reach on the host's network); @host_paths: (folder of
    the node, path in the container) pairs mounted read-only into ferryd
    (an OVA share, as an NFS volume would be in a real cluster)"""
    name, _, tag = image.rpartition(":")
    lines = [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        f"namespace: {namespace}",
        f"namePrefix: {namespace}-",
        "resources:",
        f"- {os.path.relpath(BASE if apiserver is None else TESTBED, folder)}",
        "images:",
        f"- name: {BASE_IMAGE}",
        f"  newName: {name}",
        f"  newTag: {tag}",
    ]
    if replicas is not None:
        lines += ["replicas:", "- name: ferryd", f"  count: {replicas}"]
    # the Secret ferryd-tls (kubernetes.io/tls) the Deployment mounts; with
    # the prefix it is NAMESPACE-ferryd-tls, and kustomize renames the
    # Deployment's reference to it too
    make_certificate(folder)
    lines += ["secretGenerator:", "- name: ferryd-tls", "  type: kubernetes.io/tls",
              "  files: [tls.crt, tls.key]", "generatorOptions:",
              "  disableNameSuffixHash: true"]
    # the leader reconciles only the test's namespace, not the Plans of
    # every other test on the shared bed
    args_patch = [{"op": "add", "path": "/spec/template/spec/containers/0/args/-",
                   "value": f"--namespace={namespace}"}]
    for i, (node_path, mount_path) in enumerate(host_paths):
        args_patch += [
            {"op": "add", "path": "/spec/template/spec/volumes/-",
             "value": {"name": f"host-{i}", "hostPath": {"path": node_path,
                                                         "type": "Directory"}}},
            {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-",
             "value": {"name": f"host-{i}", "mountPath": mount_path, "readOnly": True}}]
    lines += ["patches:", "- target:", "    kind: Deployment", "    name: ferryd",
              f"  patch: '{json.dumps(args_patch)}'"]
    if apiserver is not None:
        # the bed's own address, should it not be the default 127.0.0.1:16443
        url = urllib.parse.urlsplit(apiserver)
        patch = {"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": {"name": "ferryd", "namespace": "ferry-system"},
                 "spec": {"template": {"spec": {"containers": [{
                     "name": "ferryd",
                     "env": [{"name": "KUBERNETES_SERVICE_HOST", "value": url.hostname},
                             {"name": "KUBERNETES_SERVICE_PORT", "value": str(url.port)}]}]}}}}
        lines += [f"- patch: '{json.dumps(patch)}'"]
    with open(os.path.join(folder, "kustomization.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


class Overlay:
    def __init__(self, bed, namespace, image, **kwargs):
        self.bed = bed
        self.namespace = namespace
        self.dir = tempfile.TemporaryDirectory(prefix=f"{namespace}-")
        write_overlay(self.dir.name, namespace, image, **kwargs)

    @property
    def ca(self):
        """the certificate the pods serve, which is its own CA"""
        return os.path.join(self.dir.name, "tls.crt")

    @property
    def service_account(self):
        return f"system:serviceaccount:{self.namespace}:{self.namespace}-ferryd"

    def render(self):
        return self.bed.kubectl("kustomize", self.dir.name).stdout

    def apply(self):
        return self.bed.kubectl("apply", "-k", self.dir.name)

    def delete(self):
        self.bed.kubectl("delete", "-k", self.dir.name, "--wait=false", "--ignore-not-found",
                         check=False)
        self.dir.cleanup()

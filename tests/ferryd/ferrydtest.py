# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for ferryd's tests: a state folder with an OVA provider whose
plan has run, a test certificate, ferryd started on a free port, HTTPS GETs."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

FERRY = os.environ["FERRY_BIN"]
FERRYD = os.environ["FERRYD_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]


def run(*argv, **kwargs):
    r = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


def certificate(work):
    """a self-signed test certificate for 127.0.0.1 made with openssl"""
    cert, key = os.path.join(work, "tls.crt"), os.path.join(work, "tls.key")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=ferryd-test", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", key, "-out", cert)
    return cert, key


def ova_state(work, namespace, provider_uid=None):
    """a state folder with the OVA example (3 sample VMs) applied in
    @namespace, its inventory loaded, and its plan run into a bundle; returns
    (state, ferry argv prefix)"""
    ova_dir = os.path.join(work, "ova")
    bundle = os.path.join(work, "bundle")
    state = os.path.join(work, "state")
    manifests = os.path.join(work, "manifests")
    os.mkdir(manifests)
    run(os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir, "web", "db")
    for name in os.listdir(os.path.join(SOURCE_ROOT, "examples", "ova")):
        if not name.endswith(".yaml"):
            continue
        text = open(os.path.join(SOURCE_ROOT, "examples", "ova", name)).read()
        text = text.replace("/var/tmp/ferry-example/ova", ova_dir)
        text = text.replace("/var/tmp/ferry-example/bundle", bundle)
        text = text.replace("namespace: demo", "namespace: " + namespace)
        if provider_uid is not None:
            # the uid the cluster gave the same Provider
            text = text.replace("metadata:\n  name: ova-source\n",
                                "metadata:\n  name: ova-source\n  uid: %s\n" % provider_uid)
        with open(os.path.join(manifests, name), "w") as f:
            f.write(text)
    env = dict(os.environ, FERRY_NO_TTY="1")
    ferry = [FERRY, "--state", state, "-n", namespace]
    run(*ferry, "apply", "-f", manifests, env=env)
    run(*ferry, "inventory", "refresh", "ova-source", env=env)
    return state, ferry, env


class Ferryd:
    def __init__(self, state, cert, key, *extra):
        self.proc = subprocess.Popen(
            [FERRYD, "--state", state, "--listen", "127.0.0.1:0", "--tls-cert", cert,
             "--tls-key", key, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "serving on port" not in line:
            self.proc.kill()
            sys.exit("ferryd did not start: %s%s" % (line, self.proc.stderr.read()))
        self.port = int(line.split()[-1])
        self.context = ssl.create_default_context(cafile=cert)

    def get(self, path, token=None):
        """(status, headers, body text)"""
        request = urllib.request.Request("https://127.0.0.1:%d%s" % (self.port, path))
        if token is not None:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def json(self, path, token=None):
        status, _, body = self.get(path, token)
        if status != 200:
            raise AssertionError("GET %s: %d %s" % (path, status, body))
        return json.loads(body)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return err


def check(condition, message):
    if not condition:
        raise AssertionError(message)


VCSIM_USER, VCSIM_PASSWORD = "admin", "Http-Pa55"


def start_vcsim(work):
    """the vCenter simulator (ferry-vcsim); returns its facts and process"""
    certs = os.path.join(work, "vcsim-certs")
    os.makedirs(certs)
    process = subprocess.Popen(
        [os.environ["FERRY_VCSIM"], "-exit-on-eof", "-certdir", certs, "-username",
         VCSIM_USER, "-password", VCSIM_PASSWORD, "-disk-mb", "8"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    info = {"process": process}
    for line in process.stdout:
        line = line.strip()
        if line == "VCSIM_READY":
            return info
        key, _, value = line.partition("=")
        info[key] = value
    sys.exit("the simulator stopped before it was ready")


def add_vsphere(work, ferry, env, vcsim, namespace, provider_uid=None):
    """applies a vSphere Provider for the simulator and loads its inventory"""
    ca = "".join("    " + line + "\n" for line in open(vcsim["VCSIM_CA"]).read().splitlines())
    uid = "  uid: %s\n" % provider_uid if provider_uid else ""
    path = os.path.join(work, "vsphere.yaml")
    with open(path, "w") as f:
        f.write("""apiVersion: v1
kind: Secret
metadata: {name: vsphere-credentials, namespace: %s}
type: Opaque
stringData:
  user: %s
  password: %s
  ca.crt: |
%s---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata:
  name: vsphere-prod
  namespace: %s
%sspec:
  type: vsphere
  url: %s
  secret: {name: vsphere-credentials, namespace: %s}
""" % (namespace, VCSIM_USER, VCSIM_PASSWORD, ca, namespace, uid, vcsim["VCSIM_URL"],
           namespace))
    run(*ferry, "apply", "-f", path, env=env)
    run(*ferry, "inventory", "refresh", "vsphere-prod", env=env)

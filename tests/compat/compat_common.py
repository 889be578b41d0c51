# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the compatibility tests share: the upstream peers (built once into a
cache by scripts/compat-peers), the shared test data (../shared), and the
VM documents Ferry serves for the vCenter simulator and for the OVFs of
../shared/testdata/ovf, loaded through the ferry command."""

import json
import os
import subprocess
import sys
import tempfile

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
VCSIM = os.environ.get("FERRY_VCSIM", "")
# ../shared/testdata (meson sets FERRY_TESTDATA_DIR, as for the other tests)
TESTDATA = os.environ.get("FERRY_TESTDATA_DIR") or os.path.join(
    os.path.dirname(SOURCE_ROOT), "shared", "testdata")
SHARED = os.path.dirname(os.path.normpath(TESTDATA))
USER, PASSWORD = "admin", "Compat-Pa55"
NAMESPACE = "compat"


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def require_shared(*parts):
    path = os.path.join(SHARED, *parts)
    if not os.path.isdir(SHARED):
        skip("%s is absent (the shared test data; FERRY_TESTDATA_DIR)" % SHARED)
    if not os.path.exists(path):
        sys.exit("%s is missing from the shared test data" % path)
    return path


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode,
                                            result.stdout[-2000:], result.stderr[-2000:]))
    return result


def peer(name):
    """The path of an upstream peer, built into the cache if needed."""
    script = os.path.join(SOURCE_ROOT, "scripts", "compat-peers")
    result = subprocess.run([script, "path", name], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("scripts/compat-peers could not build %s:\n%s" % (name, result.stderr[-3000:]))
    return result.stdout.strip()


def start_vcsim(work):
    certs = os.path.join(work, "certs")
    os.makedirs(certs)
    process = subprocess.Popen(
        [VCSIM, "-exit-on-eof", "-certdir", certs, "-username", USER, "-password", PASSWORD],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    info = {"process": process}
    for line in process.stdout:
        line = line.strip()
        if line == "VCSIM_READY":
            return info
        key, _, value = line.partition("=")
        info[key] = value
    sys.exit("the simulator stopped before it was ready")


def stop_vcsim(vcsim):
    if vcsim is None:
        return
    vcsim["process"].stdin.close()
    vcsim["process"].terminate()
    vcsim["process"].wait()


class Inventory:
    """A Ferry state with the providers 'vcsim' (when the simulator was
    built) and 'ovf' (the OVFs of ../shared/testdata/ovf, a folder per
    source so one unreadable descriptor does not hide the others)."""

    def __init__(self, ovf_dirs):
        self.work = tempfile.mkdtemp(prefix="ferry-compat-")
        self.vcsim = start_vcsim(self.work) if VCSIM else None
        self.env = dict(os.environ, FERRY_NO_TTY="1")
        self.ferry = [FERRY, "--state", os.path.join(self.work, "state"), "-n", NAMESPACE]
        self.providers = []
        docs = []
        if self.vcsim:
            ca = open(self.vcsim["VCSIM_CA"]).read()
            docs.append("""apiVersion: v1
kind: Secret
metadata: {name: vcsim-credentials, namespace: %s}
type: Opaque
stringData:
  user: %s
  password: %s
  ca.crt: |
%s---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: vcsim, namespace: %s}
spec:
  type: vsphere
  url: %s
  secret: {name: vcsim-credentials, namespace: %s}
""" % (NAMESPACE, USER, PASSWORD, "".join("    " + l + "\n" for l in ca.splitlines()),
                NAMESPACE, self.vcsim["VCSIM_URL"], NAMESPACE))
            self.providers.append("vcsim")
        for i, folder in enumerate(ovf_dirs):
            name = "ovf%d" % i
            docs.append("""apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: %s, namespace: %s}
spec:
  type: ova
  url: file://%s
""" % (name, NAMESPACE, folder))
            self.providers.append(name)
        path = os.path.join(self.work, "providers.yaml")
        with open(path, "w") as f:
            f.write("---\n".join(docs))
        run(*self.ferry, "apply", "-f", path, env=self.env)
        self.refreshed = []
        for name in self.providers:
            result = run(*self.ferry, "inventory", "refresh", name, check=False, env=self.env)
            if result.returncode != 0:
                print("provider %s: refresh failed, left out: %s" % (name,
                                                                     result.stderr.strip()[-300:]))
                continue
            self.refreshed.append(name)

    def add_provider(self, name, manifests):
        """Applies a provider's manifests (with its Secret) and loads it."""
        path = os.path.join(self.work, name + ".yaml")
        with open(path, "w") as f:
            f.write(manifests)
        run(*self.ferry, "apply", "-f", path, env=self.env)
        run(*self.ferry, "inventory", "refresh", name, env=self.env)
        self.providers.append(name)
        self.refreshed.append(name)

    def objects(self, provider, kind):
        """The documents of another kind (hosts, clusters, …)."""
        result = run(*self.ferry, "inventory", kind, provider, "-o", "json", env=self.env)
        return json.loads(result.stdout)

    def vms(self, provider, query=None):
        """Ferry's VM documents of a provider (with a query: its rows).
        Through the command: libferry's GI functions that return arrays
        (ferry_inventory_query) cannot be used from PyGObject 3.42, which
        frees their elements twice."""
        argv = [*self.ferry, "inventory", "vms", provider, "-o", "json"]
        if query is not None:
            argv += ["--query", query]
        result = run(*argv, check=False, env=self.env)
        if result.returncode != 0:
            return None, result.stderr.strip()
        return json.loads(result.stdout), None

    def workload(self, provider, provider_type, vm_id):
        """The VM as Ferry's rules judge it (Forklift's workload: host and
        cluster put in place of their references), through libferry (GI)."""
        if self.gi_inventory() is None:
            sys.exit("libferry's GI bindings are needed (python3-gi, the Ferry typelib)")
        from gi.repository import Json
        node = Json.Node.new(Json.NodeType.OBJECT)
        node.set_object(self.inventory.get_workload(provider, provider_type, vm_id))
        return json.loads(Json.to_string(node, False))

    def gi_inventory(self):
        if not hasattr(self, "inventory"):
            self.inventory = None
            try:
                import gi
                gi.require_version("Ferry", "1.0")
                gi.require_version("Json", "1.0")
                from gi.repository import Ferry
                self.inventory = Ferry.Inventory.new(
                    os.path.join(self.work, "state", "inventory.db"))
            except (ImportError, ValueError):
                pass
        return self.inventory

    def close(self):
        self.inventory = None
        stop_vcsim(self.vcsim)
        subprocess.run(["rm", "-rf", self.work])

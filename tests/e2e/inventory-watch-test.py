#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ferry inventory watch` against the vCenter simulator (ferry-vcsim):

- a Provider whose type cannot watch (the KubeVirt bundle destination) gets
  an error naming the Provider and suggesting `ferry inventory refresh`;
- `ferry inventory watch vsphere-prod` on a never-loaded inventory loads it
  (a "loaded" line), then follows the simulator: a VM powered off and on
  again through vim25 SOAP shows in `ferry inventory vms` (another process,
  the same state, no refresh) within 20 s each time, and the watch prints a
  line naming the VM for each change;
- SIGINT ends the watch with exit 0 within 10 s.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vcsim_soap import Session  # noqa: E402

FERRY = os.environ["FERRY_BIN"]
VCSIM = os.environ.get("FERRY_VCSIM", "")
USER, PASSWORD = "admin", "Watch-Pa55"
BOUND = 20


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                            result.stderr))
    return result


def start_vcsim(work):
    certs = os.path.join(work, "certs")
    os.makedirs(certs)
    process = subprocess.Popen(
        [VCSIM, "-exit-on-eof", "-certdir", certs, "-username", USER, "-password", PASSWORD,
         "-disk-mb", "8"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    info = {"process": process}
    for line in process.stdout:
        line = line.strip()
        if line == "VCSIM_READY":
            return info
        key, _, value = line.partition("=")
        info[key] = value
    sys.exit("the simulator stopped before it was ready")


def manifests(vcsim, bundle):
    ca = "".join("    " + line + "\n" for line in open(vcsim["VCSIM_CA"]).read().splitlines())
    return """apiVersion: v1
kind: Secret
metadata: {name: vsphere-credentials, namespace: demo}
type: Opaque
stringData:
  user: %s
  password: %s
  ca.crt: |
%s---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: vsphere-prod, namespace: demo}
spec:
  type: vsphere
  url: %s
  secret: {name: vsphere-credentials, namespace: demo}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: kubevirt-bundle, namespace: demo}
spec:
  type: openshift
  url: file://%s
  secret: {name: vsphere-credentials, namespace: demo}
""" % (USER, PASSWORD, ca, vcsim["VCSIM_URL"], bundle)


def main():
    if not VCSIM:
        if os.environ.get("CI") == "true":
            sys.exit("the vCenter simulator was not built; run scripts/install-deps")
        print("SKIP: the vCenter simulator was not built")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="ferry-inventory-watch-")
    vcsim = start_vcsim(work)
    watch = None
    try:
        path = os.path.join(work, "providers.yaml")
        with open(path, "w") as f:
            f.write(manifests(vcsim, os.path.join(work, "bundle")))
        env = dict(os.environ, FERRY_NO_TTY="1")
        ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]
        run(*ferry, "apply", "-f", path, env=env)

        # a Provider that cannot watch: a clear error, naming it and the fix
        started = time.monotonic()
        r = run(*ferry, "inventory", "watch", "kubevirt-bundle", check=False, env=env,
                timeout=60)
        if r.returncode == 0 or "kubevirt-bundle" not in r.stderr or \
                "ferry inventory refresh kubevirt-bundle" not in r.stderr:
            sys.exit("no clear error for a Provider without WATCH (%d): %s" % (r.returncode,
                                                                               r.stderr))
        print("a Provider without WATCH, in %.1f s: %s" % (time.monotonic() - started,
                                                          r.stderr.strip()))

        def vms():
            out = run(*ferry, "inventory", "vms", "vsphere-prod", "-o", "json", check=False,
                      env=env)
            return json.loads(out.stdout) if out.returncode == 0 else []

        watch = subprocess.Popen([*ferry, "inventory", "watch", "vsphere-prod"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in watch.stdout],
                         daemon=True).start()

        def expect(what, predicate, timeout=BOUND):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                except queue.Empty:
                    break
                print("watch: " + line.rstrip())
                if predicate(line):
                    return line
            watch.kill()
            sys.exit("the watch printed no line for %s within %d s; its stderr:\n%s"
                     % (what, timeout, watch.stderr.read()))

        expect("the first load", lambda line: "vsphere-prod: loaded" in line, timeout=60)
        listed = vms()
        vm = next((v for v in listed if v.get("powerState") == "poweredOn"), None)
        if vm is None:
            sys.exit("no powered-on VM in the loaded inventory: %s" % listed)
        print("following %s (%s)" % (vm["name"], vm["id"]))
        session = Session(vcsim["VCSIM_URL"], vcsim["VCSIM_CA"], USER, PASSWORD)

        for on, state in ((False, "poweredOff"), (True, "poweredOn")):
            started = time.monotonic()
            session.power(vm["id"], on)
            while True:
                now = [v for v in vms() if v["id"] == vm["id"]]
                if now and now[0].get("powerState") == state:
                    break
                if time.monotonic() - started > BOUND:
                    sys.exit("`ferry inventory vms` still does not show %s %s after %d s "
                             "without a refresh: %s" % (vm["name"], state, BOUND, now))
                time.sleep(0.2)
            print("%s is %s in `ferry inventory vms` after %.1f s, no refresh" % (
                vm["name"], state, time.monotonic() - started))
            expect("%s %s" % (vm["name"], state),
                   lambda line: "vm %s (%s) changed" % (vm["name"], vm["id"]) in line)

        stopping = time.monotonic()
        watch.send_signal(signal.SIGINT)
        try:
            code = watch.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watch.kill()
            sys.exit("the watch did not stop within 10 s of SIGINT")
        err = watch.stderr.read()
        if code != 0:
            sys.exit("the watch ended with %d after SIGINT:\n%s" % (code, err))
        if PASSWORD in err:
            sys.exit("the password appeared in the watch's output")
        watch = None
        print("SIGINT: the watch stopped with exit 0 in %.1f s" % (time.monotonic() - stopping))
        print("ok")
    finally:
        if watch is not None:
            watch.kill()
            watch.wait()
        # killed: a graceful stop waits for the long poll the cancelled watch left
        # on the server (WaitForUpdatesEx's maxWaitSeconds)
        vcsim["process"].kill()
        vcsim["process"].wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

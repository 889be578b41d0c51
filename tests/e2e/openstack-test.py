#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The OpenStack source provider (plugins/openstack) against real Keystone
and Glance from Debian's packages (scripts/openstack-testbed, started once
and reused):

- connection: Keystone v3 password authentication with user and project
  names and domains, the service catalog; `ferry provider test` lists the
  catalog's services and warns when Nova is missing; a wrong password and a
  wrong project each fail with a message naming the Provider and the fix;
- TLS: Keystone over HTTPS with the bed's CA: trusted with `cacert`,
  refused clearly without it, accepted with `insecureSkipVerify` only;
- inventory: `ferry inventory refresh` loads projects, regions and Glance's
  images with Forklift's field names (diskFormat, custom properties under
  `properties`);
- `ferry inventory watch` (the Provider's pollSeconds at 1) follows Glance:
  an image uploaded, then deleted, shows in and then leaves `ferry inventory
  images` (another process, no refresh) within 30 s each; SIGINT ends the
  watch with exit 0;
- the Glance download path of a migration: an image uploaded to the real
  Glance under Forklift's temporary name (`forklift-migration-vm-<vm>` for an
  image-booted root disk, `…-volume-<volume>` for a volume) is copied by
  `ferry transfer` (the source's open_disk: nbdkit curl with the token in a
  header read from a 0600 file, Range reads) and equals what was uploaded,
  raw and qcow2 (decoded by qemu-nbd);
- authType applicationcredential and token read the same disk; a wrong
  application credential secret fails clearly;
- a revoked token (the user's password changed and set back, as an expiry
  would) is replaced by one new authentication and the request succeeds;
- kill -9 during the download, then the same transfer again: it finishes and
  the disk is equal; no nbdkit is left behind;
- Glance down in the middle of a download: the transfer fails with a clear
  error, and succeeds once Glance is back;
- the download's token is renewed while it runs (the source setting
  tokenRenewSeconds at 2; by default at 3/4 of Keystone's token lifetime):
  the header file nbdkit reads holds at least two new tokens during a 12 s
  transfer, never on a command line, and the disk is equal;
- a watcher reads every process's command line and environment all along:
  the password and the Keystone token never appear in one.

Nova is proven by openstack-nova-plan-test.py (`openstack-testbed
start-nova`); when that bed runs, the catalog has compute and the provider
test must list it without a warning. Cinder does not run here (see
plugins/openstack/README.md): its documents are covered by the api-ref
sample replay of plugins/openstack/tests/ferry-openstack-api-test.c.
"""

import json
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]
BED = os.path.join(SOURCE_ROOT, "scripts", "openstack-testbed")
MIB = 1 << 20
DISK_MIB = 48


def fail(message):
    sys.exit("FAIL: " + message)


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        fail("%s failed (%d):\n%s%s" % (" ".join(argv), result.returncode, result.stdout,
                                         result.stderr))
    return result


_BED_LOCK = None


def hold_bed():
    """one test at a time on the shared OpenStack bed (some stop Glance in
    the middle, others create the flavor): an flock held until the test
    process ends; the tests of the Kubernetes bed's suite run beside the
    others (scripts/test), so the cluster one waits here for its turn"""
    global _BED_LOCK
    if _BED_LOCK is None:
        import fcntl
        _BED_LOCK = open(os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                      "ferry-openstack-bed.lock"), "w")
        fcntl.flock(_BED_LOCK, fcntl.LOCK_EX)


def start_command():
    """the bed's most complete start that this machine's packages allow:
    once Nova or Cinder has been set up, Keystone's catalog lists it, and a
    test that started less would find a service in the catalog down (their
    packages come with scripts/install-deps)"""
    def have(*programs):
        return all(shutil.which(p) or os.access("/usr/bin/" + p, os.X_OK) for p in programs)
    if have("nova-api", "placement-api", "cinder-api", "ceph-mon"):
        return "start-cinder"
    if have("nova-api", "placement-api"):
        return "start-nova"
    return "start"


def start_bed():
    hold_bed()
    started = time.monotonic()
    run(BED, start_command(), timeout=1200)
    print("test bed ready in %.1f s" % (time.monotonic() - started))
    env = {}
    for line in run(BED, "env").stdout.splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


class Cloud:
    """the test's own client of Keystone and Glance (urllib), to put images
    where the provider will look for them"""

    def __init__(self, bed):
        self.bed = bed
        self.auth_url = bed["FERRY_OS_AUTH_URL"]
        self.glance = bed["FERRY_OS_GLANCE_URL"]
        self.token = self.issue_token()

    def issue_token(self):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": self.bed["FERRY_OS_USER"], "domain": {"name": "Default"},
            "password": self.bed["FERRY_OS_PASSWORD"]}}},
            "scope": {"project": {"name": self.bed["FERRY_OS_PROJECT"],
                                  "domain": {"name": "Default"}}}}}
        request = urllib.request.Request(self.auth_url + "/auth/tokens",
                                         data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            self.user_id = json.loads(reply.read())["token"]["user"]["id"]
            return reply.headers["X-Subject-Token"]

    def keystone(self, method, path, body=None):
        request = urllib.request.Request(
            self.auth_url + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"X-Auth-Token": self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            text = reply.read()
            return json.loads(text) if text else None

    def application_credential(self):
        """a new application credential of the test user: (id, secret)"""
        reply = self.keystone("POST", "/users/%s/application_credentials" % self.user_id,
                              {"application_credential": {"name": "ferry-test-%s" % uuid.uuid4()}})
        credential = reply["application_credential"]
        return credential["id"], credential["secret"]

    def delete_application_credential(self, credential_id):
        self.keystone("DELETE", "/users/%s/application_credentials/%s" % (self.user_id,
                                                                          credential_id))

    def request(self, method, path, data=None, content_type="application/json"):
        headers = {"X-Auth-Token": self.token}
        if data is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.glance + path, data=data, method=method,
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=120) as reply:
            text = reply.read()
            return json.loads(text) if text else None

    def upload(self, name, path, disk_format, properties=None):
        body = {"name": name, "disk_format": disk_format, "container_format": "bare"}
        body.update(properties or {})
        image = self.request("POST", "/v2/images", json.dumps(body).encode())
        with open(path, "rb") as f:
            self.request("PUT", "/v2/images/%s/file" % image["id"], f.read(),
                         "application/octet-stream")
        for _ in range(600):
            if self.request("GET", "/v2/images/%s" % image["id"])["status"] == "active":
                return image["id"]
            time.sleep(0.1)
        fail("image %s did not become active" % name)

    def images_named(self, prefix):
        images = self.request("GET", "/v2/images?limit=1000")["images"]
        return [i for i in images if (i.get("name") or "").startswith(prefix)]

    def delete(self, image_id):
        self.request("DELETE", "/v2/images/%s" % image_id)


class CommandLineWatcher(threading.Thread):
    """samples every process's /proc/*/cmdline and /proc/*/environ for the
    password and the Keystone tokens nbdkit reads from its header file"""

    def __init__(self, secrets):
        super().__init__(daemon=True)
        self.secrets = [s.encode() for s in secrets]
        self.stop = threading.Event()
        self.leaks = []
        self.samples = 0
        self.nbdkit_seen = 0
        self.tokens = set()

    def sample(self):
        me = os.getpid()
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == me:
                continue
            for part in ("cmdline", "environ"):
                try:
                    with open("/proc/%s/%s" % (pid, part), "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                args = data.split(b"\0")
                if part == "cmdline" and args[0].endswith(b"nbdkit"):
                    self.nbdkit_seen += 1
                    for arg in args:
                        if arg.startswith(b"header-file="):
                            path = arg.split(b"=", 1)[1]
                            try:
                                with open(path, "rb") as h:
                                    value = h.read().split(b":", 1)[-1].strip()
                                if value:
                                    self.tokens.add(value)
                            except OSError:
                                pass
                for secret in self.secrets + sorted(self.tokens):
                    if secret in data:
                        shown = data.replace(secret, b"[THE SECRET]").replace(b"\0", b" ")
                        self.leaks.append("%s of %s: %s" % (part, pid, shown[:300]))

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.samples += 1
            time.sleep(0.02)

    def check(self):
        self.stop.set()
        self.join()
        if self.leaks:
            fail("a credential appeared on a process's command line or environment:\n"
                 + "\n".join(sorted(set(self.leaks))[:10]))
        if self.nbdkit_seen == 0 or not self.tokens:
            fail("the watcher never saw nbdkit read a token from its header file "
                 "(%d samples)" % self.samples)
        print("%d samples of every command line, %d with nbdkit, %d tokens: no credential "
              "seen" % (self.samples, self.nbdkit_seen, len(self.tokens)))


def mounted_secret(path, values):
    """a Secret as the kubelet mounts it (files through `..data`)"""
    data = os.path.join(path, "..2026_12_07_00_00_00.000000001")
    os.makedirs(data)
    for key, value in values.items():
        with open(os.path.join(data, key), "w") as f:
            f.write(value)
    os.symlink(os.path.basename(data), os.path.join(path, "..data"))
    for key in values:
        os.symlink(os.path.join("..data", key), os.path.join(path, key))
    return path


def make_disk(path):
    """a raw disk with data in a few places and holes between"""
    with open(path, "wb") as f:
        f.truncate(DISK_MIB * MIB)
        for mib in (0, 1, 7, 20, DISK_MIB - 1):
            f.seek(mib * MIB)
            f.write(os.urandom(MIB // 2))
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Fixture:
    def __init__(self, work, bed):
        self.work = work
        self.bed = bed
        self.cloud = Cloud(bed)
        self.env = dict(os.environ, FERRY_NO_TTY="1")
        self.ferry = [FERRY, "--state", os.path.join(work, "state"), "-n", "demo"]
        self.count = 0
        self.secret = self.secret_dir("good", {})

    def secret_values(self, **override):
        values = {"username": self.bed["FERRY_OS_USER"],
                  "password": self.bed["FERRY_OS_PASSWORD"],
                  "projectName": self.bed["FERRY_OS_PROJECT"],
                  "userDomainName": "Default", "projectDomainName": "Default",
                  "regionName": self.bed["FERRY_OS_REGION"]}
        values.update(override)
        return {k: v for k, v in values.items() if v is not None}

    def secret_dir(self, name, override):
        return mounted_secret(os.path.join(self.work, "secret-" + name),
                              self.secret_values(**override))

    def manifests(self, name, settings=None, **override):
        values = self.secret_values(**override)
        settings = dict({"insecureHTTP": "true"}, **(settings or {}))
        data = "".join("  %s: %s\n" % (k, json.dumps(v)) for k, v in values.items())
        return """apiVersion: v1
kind: Secret
metadata: {name: %s-credentials, namespace: demo}
type: Opaque
stringData:
%s---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: %s, namespace: demo}
spec:
  type: openstack
  url: %s
  secret: {name: %s-credentials, namespace: demo}
  settings: %s
""" % (name, data, name, self.bed["FERRY_OS_AUTH_URL"], name, json.dumps(settings))

    def apply(self, name, url=None, settings=None, **override):
        path = os.path.join(self.work, name + ".yaml")
        text = self.manifests(name, settings, **override)
        if url is not None:
            text = text.replace(self.bed["FERRY_OS_AUTH_URL"], url)
        with open(path, "w") as f:
            f.write(text)
        run(*self.ferry, "apply", "-f", path, env=self.env)

    def description(self, vm, disk, target, secret=None, **extra):
        description = {
            "source": {"type": "openstack", "url": self.bed["FERRY_OS_AUTH_URL"],
                       "name": "osp", "namespace": "demo",
                       "secretDir": secret or self.secret},
            "vm": vm, "disk": disk, "target": target, "targetIsZero": True}
        description.update(extra)
        return description

    def write(self, description):
        self.count += 1
        path = os.path.join(self.work, "description-%d.json" % self.count)
        with open(path, "w") as f:
            json.dump(description, f)
        return path

    def transfer(self, description, what, expect_ok=True):
        result = subprocess.run([FERRY, "transfer", "--description", self.write(description),
                                 "--progress-interval", "0.1"],
                                capture_output=True, text=True, timeout=300)
        lines = [json.loads(t) for t in result.stdout.splitlines() if t.startswith("{")]
        for text in (result.stdout, result.stderr):
            if self.bed["FERRY_OS_PASSWORD"] in text:
                fail("%s: the password appears in the output:\n%s" % (what, text))
        if not lines or lines[-1].get("event") != "result":
            fail("%s: no result line:\n%s%s" % (what, result.stdout, result.stderr))
        last = lines[-1]
        if expect_ok and (result.returncode != 0 or last.get("result") != "Succeeded"):
            fail("%s: failed (%d):\n%s%s" % (what, result.returncode, result.stdout,
                                            result.stderr))
        if not expect_ok and (result.returncode == 0 or last.get("result") == "Succeeded"):
            fail("%s: succeeded but should not:\n%s" % (what, result.stdout))
        return last, result.stdout + result.stderr

    def volume(self, name):
        path = os.path.join(self.work, "volumes", name)
        os.makedirs(path)
        return os.path.join(path, "disk.img")


def check_connection(fx):
    fx.apply("osp")
    result = run(*fx.ferry, "provider", "test", "osp", "-o", "json", env=fx.env, check=False)
    text = result.stdout + result.stderr
    if "image" not in text or "identity" not in text:
        fail("provider test does not list the catalog's services:\n" + text)
    catalog = [e["type"] for e in fx.cloud.keystone("GET", "/auth/catalog")["catalog"]]
    if "compute" in catalog:
        # `openstack-testbed start-nova` ran: Nova is there, no warning
        if "ServiceNotFound" in text or "compute" not in text:
            fail("provider test does not list Nova's compute service or warns:\n" + text)
    elif "ServiceNotFound" not in text or "compute" not in text:
        fail("provider test does not warn that the catalog has no compute (Nova):\n" + text)

    fx.apply("osp-wrong-password", password="Wrong-Pa55")
    result = run(*fx.ferry, "inventory", "refresh", "osp-wrong-password", env=fx.env,
                 check=False)
    text = result.stdout + result.stderr
    if result.returncode == 0 or "refused the credentials" not in text or \
            "osp-wrong-password" not in text:
        fail("a wrong password does not fail clearly:\n" + text)
    if "Wrong-Pa55" in text:
        fail("the wrong password appears in the output:\n" + text)

    fx.apply("osp-wrong-project", projectName="no-such-project")
    result = run(*fx.ferry, "inventory", "refresh", "osp-wrong-project", env=fx.env,
                 check=False)
    text = result.stdout + result.stderr
    if result.returncode == 0 or "no-such-project" not in text or \
            "accepted the credentials" not in text:
        fail("a wrong project does not fail clearly:\n" + text)

    fx.apply("osp-unreachable", url="http://127.0.0.1:9/v3")
    result = run(*fx.ferry, "inventory", "refresh", "osp-unreachable", env=fx.env, check=False)
    text = result.stdout + result.stderr
    if result.returncode == 0 or "cannot reach Keystone" not in text:
        fail("an unreachable Keystone does not fail clearly:\n" + text)
    print("connection: catalog listed; wrong password, wrong project, unreachable: clear errors")


def check_tls(fx):
    """Keystone over HTTPS with the bed's own CA: trusted with cacert,
    refused without it (naming cacert and insecureSkipVerify), accepted
    unchecked only with insecureSkipVerify"""
    url = fx.bed["FERRY_OS_AUTH_URL_TLS"]
    ca = read(fx.bed["FERRY_OS_CA"]).decode()
    fx.apply("osp-tls", url=url, cacert=ca)
    run(*fx.ferry, "inventory", "refresh", "osp-tls", env=fx.env)
    fx.apply("osp-tls-untrusted", url=url)
    result = run(*fx.ferry, "inventory", "refresh", "osp-tls-untrusted", env=fx.env,
                 check=False)
    text = result.stdout + result.stderr
    if result.returncode == 0 or "not trusted" not in text or "cacert" not in text:
        fail("an untrusted Keystone certificate does not fail clearly:\n" + text)
    fx.apply("osp-tls-insecure", url=url, insecureSkipVerify="true")
    run(*fx.ferry, "inventory", "refresh", "osp-tls-insecure", env=fx.env)
    print("TLS: cacert trusted, no CA refused clearly, insecureSkipVerify accepted")


def check_inventory(fx, image_id):
    run(*fx.ferry, "inventory", "refresh", "osp", env=fx.env)
    projects = json.loads(run(*fx.ferry, "inventory", "projects", "osp", "-o", "json",
                              env=fx.env).stdout)
    if fx.bed["FERRY_OS_PROJECT"] not in [p.get("name") for p in projects]:
        fail("the inventory has no project %s: %s" % (fx.bed["FERRY_OS_PROJECT"], projects))
    regions = json.loads(run(*fx.ferry, "inventory", "regions", "osp", "-o", "json",
                             env=fx.env).stdout)
    if "RegionOne" not in [r.get("id") for r in regions]:
        fail("the inventory has no region RegionOne: %s" % regions)
    images = json.loads(run(*fx.ferry, "inventory", "images", "osp", "-o", "json",
                            env=fx.env).stdout)
    found = [i for i in images if i.get("id") == image_id]
    if not found:
        fail("the inventory has no image %s" % image_id)
    image = found[0]
    if image.get("diskFormat") != "raw" or image.get("sizeBytes") != DISK_MIB * MIB:
        fail("the image document lacks Forklift's fields: %s" % image)
    if (image.get("properties") or {}).get("hw_disk_bus") != "virtio":
        fail("the image's custom property is not under properties: %s" % image)
    print("inventory: %d projects, %d regions, %d images with Forklift's field names" %
          (len(projects), len(regions), len(images)))


def check_watch(fx, raw):
    """the watch follows Glance: an image added, then removed"""
    fx.apply("osp-watch", settings={"pollSeconds": "1"})

    def images():
        r = run(*fx.ferry, "inventory", "images", "osp-watch", "-o", "json", env=fx.env,
                check=False)
        return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else []

    def wait(what, predicate, bound=30):
        started = time.monotonic()
        while not predicate(images()):
            if watch.poll() is not None:
                fail("the watch ended (%d) while waiting for %s:\n%s" %
                     (watch.returncode, what, watch.stderr.read()))
            if time.monotonic() - started > bound:
                fail("`ferry inventory images` does not show %s after %d s of the watch, "
                     "no refresh" % (what, bound))
            time.sleep(0.3)
        return time.monotonic() - started

    watch = subprocess.Popen([*fx.ferry, "inventory", "watch", "osp-watch"], env=fx.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    image_id = None
    try:
        wait("the first load", lambda listed: len(listed) > 0, bound=60)
        name = "ferry-watch-" + str(uuid.uuid4())
        image_id = fx.cloud.upload(name, raw, "raw")
        took = wait("image %s added" % name,
                    lambda listed: image_id in [i.get("id") for i in listed])
        print("watch: image %s in the inventory %.1f s after it became active" % (name, took))
        fx.cloud.delete(image_id)
        image_id = None
        took = wait("image %s removed" % name,
                    lambda listed: name not in [i.get("name") for i in listed])
        print("watch: image %s gone from the inventory %.1f s after its deletion" % (name, took))
        watch.send_signal(signal.SIGINT)
        try:
            code = watch.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fail("the watch did not stop within 10 s of SIGINT")
        err = watch.stderr.read()
        if code != 0:
            fail("the watch ended with %d after SIGINT:\n%s" % (code, err))
        if fx.bed["FERRY_OS_PASSWORD"] in err:
            fail("the password appeared in the watch's output")
        print("watch: SIGINT stopped it with exit 0")
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()
        if image_id is not None:
            fx.cloud.delete(image_id)


def check_download(fx, vm, raw):
    target = fx.volume("raw")
    last, _ = fx.transfer(fx.description(vm, "root", target), "raw image")
    if read(target) != read(raw):
        fail("the disk copied from Glance differs from the uploaded image")
    print("download: raw image of %d MiB equal (%d bytes written)" %
          (DISK_MIB, last.get("bytesWritten", -1)))


def check_qcow2(fx, vm, volume, raw):
    target = fx.volume("qcow2")
    fx.transfer(fx.description(vm, volume, target), "qcow2 image")
    if read(target) != read(raw):
        fail("the qcow2 image decoded from Glance differs from its raw source")
    print("download: qcow2 image decoded by qemu-nbd equal to its raw source")


def nbdkit_for(image_id):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args[0].endswith(b"nbdkit") and any(image_id.encode() in a for a in args):
            found.append(int(pid))
    return found


def slow_transfer(fx, vm, target):
    description = fx.description(vm, "root", target, bandwidth=4 * MIB)
    return subprocess.Popen([FERRY, "transfer", "--description", fx.write(description),
                             "--progress-interval", "0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_progress(process, at_least, what):
    """reads progress lines until @at_least bytes are done; a transfer that
    ends first proves nothing"""
    for line in process.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "result":
            fail("%s: the transfer ended before the interruption: %s" % (what, line))
        if event.get("bytesDone", 0) >= at_least:
            return event
    fail("%s: the transfer printed no progress" % what)


def check_kill9(fx, vm, image_id, raw):
    target = fx.volume("killed")
    process = slow_transfer(fx, vm, target)
    wait_progress(process, 4 * MIB, "kill -9")
    process.send_signal(signal.SIGKILL)
    process.wait()
    for _ in range(100):
        if not nbdkit_for(image_id):
            break
        time.sleep(0.1)
    else:
        fail("nbdkit still serves image %s after the transfer was killed" % image_id)
    fx.transfer(fx.description(vm, "root", target), "transfer after kill -9")
    if read(target) != read(raw):
        fail("the disk differs after a kill -9 and a second transfer")
    print("kill -9 during the download: no nbdkit left, the next transfer finished, equal")


def check_token_renewal(fx, vm, image_id, raw):
    target = fx.volume("renewed")
    description = fx.description(vm, "root", target, bandwidth=4 * MIB)
    description["source"]["settings"] = {"tokenRenewSeconds": "2"}
    process = subprocess.Popen([FERRY, "transfer", "--description", fx.write(description),
                                "--progress-interval", "0.5"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tokens = []
    output = []
    reader = threading.Thread(target=lambda: output.append(process.communicate()),
                              daemon=True)
    reader.start()
    while reader.is_alive():
        for pid in nbdkit_for(image_id):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    args = f.read().split(b"\0")
                header = [a[len(b"header-file="):].decode() for a in args
                          if a.startswith(b"header-file=")]
                with open(header[0]) as f:
                    token = f.read().strip().partition(":")[2].strip()
            except (OSError, IndexError):
                continue
            if any(token.encode() in a for a in args):
                fail("the download's token is on nbdkit's command line")
            if token and token not in tokens:
                tokens.append(token)
        reader.join(0.2)
    out, err = output[0]
    lines = [json.loads(t) for t in out.splitlines() if t.startswith("{")]
    if process.returncode != 0 or not lines or lines[-1].get("result") != "Succeeded":
        fail("the transfer with token renewal failed (%d):\n%s%s" % (process.returncode, out,
                                                                     err))
    if read(target) != read(raw):
        fail("the disk differs after a transfer whose token was renewed")
    if len(tokens) < 3:
        fail("the download's token was renewed %d times in a 12 s transfer with "
             "tokenRenewSeconds 2 (want 2 or more)" % (len(tokens) - 1))
    print("token renewal: the download's header file held %d tokens in turn (renewed every "
          "2 s), none on a command line; the disk is equal" % len(tokens))


def check_glance_down(fx, vm, raw):
    target = fx.volume("glance-down")
    process = slow_transfer(fx, vm, target)
    wait_progress(process, 4 * MIB, "Glance down")
    pidfile = fx.bed["FERRY_OS_GLANCE_PIDFILE"]
    with open(pidfile) as f:
        # glance-api and its worker: the process group the bed started
        os.killpg(int(f.read().split()[0]), signal.SIGKILL)
    try:
        out, err = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.kill()
        fail("the transfer hangs after Glance went down")
    lines = [json.loads(t) for t in out.splitlines() if t.startswith("{")]
    if process.returncode == 0 or not lines or lines[-1].get("result") == "Succeeded":
        fail("the transfer succeeded although Glance went down:\n" + out + err)
    print("Glance down mid-download: the transfer failed (%s)" %
          (lines[-1].get("error") or lines[-1].get("message") or lines[-1])[:200])
    run(BED, "start", timeout=300)
    fx.transfer(fx.description(vm, "root", target), "transfer after Glance came back")
    if read(target) != read(raw):
        fail("the disk differs after Glance came back")
    print("Glance back: the transfer finished, equal")


def check_auth_types(fx, vm, raw, credential):
    """an application credential (no user, no project: it carries its own
    scope) and a token (rescoped to the project) instead of a password"""
    credential_id, credential_secret = credential
    secret = mounted_secret(os.path.join(fx.work, "secret-appcred"), {
        "authType": "applicationcredential", "applicationCredentialID": credential_id,
        "applicationCredentialSecret": credential_secret})
    target = fx.volume("appcred")
    fx.transfer(fx.description(vm, "root", target, secret=secret), "application credential")
    if read(target) != read(raw):
        fail("the disk read with an application credential differs")
    secret = mounted_secret(os.path.join(fx.work, "secret-token"), {
        "authType": "token", "token": fx.cloud.token, "projectName": fx.bed["FERRY_OS_PROJECT"],
        "projectDomainName": "Default"})
    target = fx.volume("token")
    fx.transfer(fx.description(vm, "root", target, secret=secret), "token")
    if read(target) != read(raw):
        fail("the disk read with a token differs")
    secret = mounted_secret(os.path.join(fx.work, "secret-badcred"), {
        "authType": "applicationcredential", "applicationCredentialID": credential_id,
        "applicationCredentialSecret": "not-the-secret"})
    _, text = fx.transfer(fx.description(vm, "root", fx.volume("badcred"), secret=secret),
                          "wrong application credential secret", expect_ok=False)
    if "refused the credentials" not in text or "not-the-secret" in text:
        fail("a wrong application credential does not fail clearly:\n" + text)
    print("authType applicationcredential and token: equal disks; a wrong secret: clear error")


def check_reauth(fx):
    """a revoked token (the user's password changed and set back) makes the
    next request authenticate again; the old token is refused by Glance"""
    path = os.path.join(fx.work, "bed.keyfile")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("[bed]\n" + "".join("%s=%s\n" % item for item in fx.bed.items()))
    result = run(os.environ["FERRY_OPENSTACK_REAUTH"], path, check=False, timeout=120)
    if result.returncode != 0:
        fail("re-authentication after a revoked token:\n%s%s" % (result.stdout, result.stderr))
    print(result.stdout.strip())


def check_missing_image(fx):
    target = fx.volume("missing")
    _, text = fx.transfer(fx.description("no-such-vm", "root", target), "missing image",
                          expect_ok=False)
    if "forklift-migration-vm-no-such-vm" not in text:
        fail("a missing image does not name the image looked for:\n" + text)


def main():
    missing = [p for p in ("keystone-manage", "glance-api", "uwsgi_python3", "jq")
               if not any(os.access(os.path.join(d, p), os.X_OK)
                          for d in os.environ.get("PATH", "/usr/bin").split(":"))]
    if missing:
        if os.environ.get("CI") == "true":
            sys.exit("the OpenStack test bed needs %s; run scripts/install-deps" % ", ".join(missing))
        print("SKIP: the OpenStack test bed needs %s (scripts/install-deps)" % ", ".join(missing))
        sys.exit(77)
    bed = start_bed()
    with tempfile.TemporaryDirectory(prefix="ferry-openstack-") as work:
        fx = Fixture(work, bed)
        credential = fx.cloud.application_credential()
        watcher = CommandLineWatcher([bed["FERRY_OS_PASSWORD"], fx.cloud.token, credential[1]])
        watcher.start()
        vm = str(uuid.uuid4())
        volume = str(uuid.uuid4())
        prefix = "forklift-migration-vm-" + vm
        raw = make_disk(os.path.join(work, "disk.raw"))
        qcow2 = os.path.join(work, "disk.qcow2")
        run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2)
        uploaded = []
        try:
            image_id = fx.cloud.upload(prefix, raw, "raw",
                                       {"hw_disk_bus": "virtio",
                                        "forklift_original_image_id": "test"})
            uploaded.append(image_id)
            uploaded.append(fx.cloud.upload("%s-volume-%s" % (prefix, volume), qcow2, "qcow2",
                                            {"forklift_original_volume_id": volume}))
            check_connection(fx)
            check_inventory(fx, image_id)
            check_watch(fx, raw)
            check_tls(fx)
            check_download(fx, vm, raw)
            check_qcow2(fx, vm, volume, raw)
            check_missing_image(fx)
            check_auth_types(fx, vm, raw, credential)
            check_kill9(fx, vm, image_id, raw)
            check_token_renewal(fx, vm, image_id, raw)
            check_glance_down(fx, vm, raw)
            check_reauth(fx)
            # the password change revoked the test's own token too
            fx.cloud.token = fx.cloud.issue_token()
        finally:
            fx.cloud.delete_application_credential(credential[0])
            for image in uploaded:
                try:
                    fx.cloud.delete(image)
                except Exception:  # noqa: BLE001 - best effort
                    pass
        watcher.check()
        if fx.cloud.images_named(prefix):
            fail("images of the test are left in Glance")
    print("PASS")


if __name__ == "__main__":
    main()

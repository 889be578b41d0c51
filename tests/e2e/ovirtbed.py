# SPDX-License-Identifier: LGPL-2.1-or-later
"""The oVirt test bed of the e2e tests, started by the tests themselves: a
real ovirt-imageio daemon (from PyPI, scripts/ovirt-testbed) serving disk
images over HTTPS with tickets added on its control socket, and an engine:
fakeovirt when it could be built, else the hand-written stand-in
tests/e2e/ovirt/engine-standin.py (scripts/ovirt-testbed why says why),
serving fakeovirt's recorded stubs over HTTPS on loopback."""

import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


def testbed_env():
    out = subprocess.run([os.path.join(SOURCE_ROOT, "scripts", "ovirt-testbed"), "env"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def make_certificates(folder, name):
    """a CA and a server certificate for 127.0.0.1 signed by it"""
    os.makedirs(folder, exist_ok=True)
    ca, ca_key = os.path.join(folder, "ca.pem"), os.path.join(folder, "ca.key")
    cert, key = os.path.join(folder, "server.pem"), os.path.join(folder, "server.key")
    csr, ext = os.path.join(folder, "server.csr"), os.path.join(folder, "ext")
    quiet = dict(check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
                    "-out", ca, "-days", "2", "-subj", "/CN=%s test CA" % name], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                    csr, "-subj", "/CN=127.0.0.1"], **quiet)
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], **quiet)
    return {"ca": ca, "cert": cert, "key": key}


class OvirtBed:
    def __init__(self, work, user, password, images=None, token_requests=0, vms_up=(),
                 extra_stubs=()):
        self.env = testbed_env()
        self.work = work
        self.user = user
        self.password = password
        self.images = images or {}
        self.token_requests = token_requests
        self.vms_up = list(vms_up)
        self.extra_stubs = list(extra_stubs)  # served first (e.g. ovirt/warm-stubs)
        self.processes = []
        self.imageio_port = None
        self.engine_port = None
        self.engine = None
        self.secrets = set()  # the tokens and tickets the engine gave out

    @property
    def available(self):
        return bool(self.env.get("FERRY_OVIRT_IMAGEIO")) and \
            os.path.isdir(self.env.get("FERRY_OVIRT_STUBS", ""))

    @property
    def url(self):
        return "https://127.0.0.1:%d/ovirt-engine/api" % self.engine_port

    def start(self):
        self.certs = make_certificates(os.path.join(self.work, "certs"), "oVirt engine")
        self.start_imageio()
        self.start_engine()

    def start_imageio(self):
        conf = os.path.join(self.work, "imageio", "conf", "conf.d")
        run_dir = os.path.join(self.work, "imageio", "run")
        os.makedirs(conf)
        os.makedirs(run_dir)
        self.control = os.path.join(run_dir, "sock")
        with open(os.path.join(conf, "daemon.conf"), "w") as f:
            f.write("""[daemon]
run_dir = {run}
drop_privileges = false
systemd_enable = false
[tls]
enable = true
key_file = {key}
cert_file = {cert}
ca_file = {ca}
[remote]
host = 127.0.0.1
port = 0
[local]
enable = false
[control]
transport = unix
socket = {sock}
[handlers]
keys = stderr
[logger_root]
handlers = stderr
level = INFO
[handler_stderr]
class = logging.StreamHandler
args = ()
formatter = long
""".format(run=run_dir, sock=self.control, **self.certs))
        log_path = os.path.join(self.work, "imageio", "imageio.log")
        log = open(log_path, "w")
        process = subprocess.Popen([self.env["FERRY_OVIRT_IMAGEIO"], "--conf-dir",
                                    os.path.dirname(conf)], stdout=log, stderr=log)
        self.processes.append(process)
        self.imageio = process
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = re.search(r"remote.service listening on \('127.0.0.1', (\d+)\)",
                          open(log_path).read())
            if m and os.path.exists(self.control):
                self.imageio_port = int(m.group(1))
                return
            if process.poll() is not None:
                break
            time.sleep(0.1)
        sys.exit("ovirt-imageio did not start:\n" + open(log_path).read())

    def start_engine(self):
        password_file = os.path.join(self.work, "engine-password")
        with open(os.open(password_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(self.password)
        images = os.path.join(self.work, "images.json")
        with open(images, "w") as f:
            json.dump(self.images, f)
        stubs = self.extra_stubs + [os.path.join(HERE, "ovirt", "stubs"), os.path.join(self.env["FERRY_OVIRT_STUBS"], "stubs"),
                 os.path.join(self.env["FERRY_OVIRT_STUBS"], "legacy-b3b5908", "stubs")]
        argv = [sys.executable, os.path.join(HERE, "ovirt", "engine-standin.py"),
                "--cert", self.certs["cert"], "--key", self.certs["key"], "--ca", self.certs["ca"],
                "--user", self.user,
                "--password-file", password_file, "--imageio-control", self.control,
                "--imageio-port", str(self.imageio_port), "--images", images,
                "--token-requests", str(self.token_requests),
                "--run-dir", os.path.join(self.work, "imageio", "run")]
        if self.engine_port:
            argv += ["--port", str(self.engine_port)]
        for s in stubs:
            argv += ["--stubs", s]
        for vm in self.vms_up:
            argv += ["--vm-up", vm]
        self.vms_up = []  # a restarted engine keeps them down
        # its own process group, with the qemu-nbd it starts for qcow2 images
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                                   start_new_session=True)
        self.processes.append(process)
        self.engine = process
        for line in process.stdout:
            line = line.strip()
            if line.startswith("ENGINE_PORT="):
                self.engine_port = int(line.split("=", 1)[1])
            if line == "ENGINE_READY":
                return
        sys.exit("the engine stand-in stopped before it was ready")

    def stop_engine(self):
        """the engine goes away at once (SIGKILL), with its qemu-nbd"""
        try:
            stats = self.stats()
            self.secrets.update(stats["tokens"] + stats["tickets"])
        except OSError:
            pass
        try:
            os.killpg(self.engine.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.engine.wait()

    def write(self, disk, offset, length, pattern):
        """the guest writes into a disk (qemu-io in the stand-in, which
        updates the checkpoints' dirty bitmaps)"""
        import ssl
        import urllib.request
        context = ssl.create_default_context(cafile=self.certs["ca"])
        request = urllib.request.Request(
            "https://127.0.0.1:%d/ferry-standin/write" % self.engine_port, method="POST",
            data=json.dumps({"disk": disk, "offset": offset, "length": length,
                             "pattern": pattern}).encode())
        with urllib.request.urlopen(request, context=context) as reply:
            reply.read()

    def stats(self):
        import ssl
        import urllib.request
        context = ssl.create_default_context(cafile=self.certs["ca"])
        with urllib.request.urlopen("https://127.0.0.1:%d/ferry-standin/stats" % self.engine_port,
                                    context=context) as reply:
            return json.load(reply)

    def stop(self):
        if self.engine is not None and self.engine.poll() is None:
            self.stop_engine()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""HAND-WRITTEN STAND-IN for fakeovirt (kubev2v/fakeovirt), used only because
fakeovirt cannot be built here: the Go module proxy answers 403 for
github.com/machacekondra/fakeovirt and github.com/kubev2v/fakeovirt, and
github.com itself is unreachable (see scripts/ovirt-testbed).

It serves fakeovirt's recorded stubs the way fakeovirt's handler does
(GET /ovirt-engine/api/<path> -> <stubs>/<path>/content.xml, a missing file
-> <error/>; POST /ovirt-engine/sso/oauth/token -> a bearer token), plus what
fakeovirt scripts with its dynamic stubs or lacks, written by hand here:

- several stub folders, first match wins (tests/e2e/ovirt/stubs, hand-written,
  before the shared recorded ones); the legacy stubs' extensionless files
  (<path>/content or <path>) too; a collection lists the entities of every
  folder (<stubs>/<collection>/<id>/content*) that its recorded list lacks;
- the password is checked (fakeovirt accepts any) and tokens can expire
  (--token-requests N: a token is refused after N API requests);
- VM power: POST /vms/<id>/{shutdown,stop,start} change the status served;
- image transfers: POST /imagetransfers adds a ticket for the disk's image
  to a REAL ovirt-imageio daemon through its control socket and answers its
  transfer_url; a raw image is a file:// ticket, a qcow2 one is exported by
  qemu-nbd (as vdsm does) and its ticket is nbd:unix:SOCKET, so imageio's
  /extents reports its holes; finalize/cancel delete the ticket;
  GET /ferry-standin/stats counts them (and lists the tokens and tickets it
  gave, so a test can look for them on command lines);
- incremental backups (oVirt's backup API, warm migration), answered with the
  bodies of the hand-written stub file warm-stubs/backups.json (fakeovirt's
  dynamic-stub format, @NAME placeholders filled in here) when a stub folder
  has one: POST /vms/<id>/backups makes a checkpoint (a persistent dirty
  bitmap added to the disk's qcow2 with `qemu-img bitmap --add`), copies the
  qcow2 as it is then (the backup's point in time) and exports the copy with
  qemu-nbd, `-B <from_checkpoint_id>` for an incremental backup, so that a
  transfer of it (an image transfer naming the backup) gets an imageio ticket
  with "dirty": true and imageio's /extents?context=dirty reports the areas
  written since that checkpoint; one running backup per VM, and no shutdown
  or stop during one (409 otherwise), as the engine (ovirt-engine PR 375); POST .../finalize ends it; GET /vms/<id>/checkpoints lists
  the chain. POST /ferry-standin/write writes into a disk's qcow2 through
  qemu-io (the guest writing), which updates every checkpoint's bitmap; the
  stats count each backup's finalize calls and the bytes imageio says each
  ticket transferred;
- events: GET /events lists the recorded event (stubs/events/content.json,
  converted to the engine's XML) and every event since, the newest first;
  ?max=N and ?from=<index> (only newer ones) as the engine; the power
  actions add one naming the VM (USER_INITIATED_SHUTDOWN_VM,
  USER_STOP_VM, USER_RUN_VM); POST /ovirt-engine/api/ferry-standin/event
  adds one (a test's), POST /ovirt-engine/api/ferry-standin/remove-vm
  removes a VM (it answers 404 and leaves the list) with a USER_REMOVE_VM
  event unless told not to;
- detaching a disk: DELETE /vms/<id>/diskattachments/<id> takes the
  attachment out of what the VM's diskattachments serve (a second one
  answers 404) and the stats list it under "detached";
- the engine's CA (--ca) at /ovirt-engine/services/pki-resource?resource=
  ca-certificate&format=X509-PEM-CA, without login, as the engine serves it.

Prints ENGINE_PORT=<port> then ENGINE_READY on stdout.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

API = "/ovirt-engine/api"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = {}
        self.status = {}
        self.transfers = {}
        self.stats = {"finalize": {}, "cancel": {}, "created": [], "logins": 0,
                      "refused_tokens": 0, "tokens": [], "tickets": [], "actions": []}
        self.nbd = {}
        self.backups = {}
        self.checkpoints = {}
        self.events = load_events(args.stubs)
        self.removed = set()
        self.detached = set()  # (vm, attachment) pairs a DELETE detached
        self.templates = load_templates(args.stubs)
        self.stats.update({"backups": [], "backup_finalize": {}, "transferred": {},
                           "transfer_backup": {}, "dirty": {}, "writes": [],
                           "detached": []})
        for vm in args.vm_up or []:
            self.status[vm] = "up"
        self.images = json.load(open(args.images)) if args.images else {}

    def imageio(self, method, path, body=None):
        conn = UnixHTTPConnection(self.args.imageio_control)
        conn.request(method, path, body=json.dumps(body) if body is not None else None)
        reply = conn.getresponse()
        data = reply.read()
        conn.close()
        if reply.status >= 300:
            raise RuntimeError("imageio %s %s: %d %s" % (method, path, reply.status, data))
        return json.loads(data) if data else None


def _image_url(self, disk, image):
    """file:// for a raw image; a qcow2 one through qemu-nbd, once per disk"""
    if "qcow2" not in image:
        return image["url"]
    with self.lock:
        if disk not in self.nbd:
            sock = os.path.join(self.args.run_dir, "nbd-%s.sock" % disk)
            process = subprocess.Popen(
                ["qemu-nbd", "--read-only", "--persistent", "--shared=8", "--format=qcow2",
                 "--socket=" + sock, image["qcow2"]], stdout=subprocess.DEVNULL)
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            self.nbd[disk] = (process, sock)
        return "nbd:unix:%s" % self.nbd[disk][1]


State.image_url = _image_url


def load_templates(dirs):
    """the bodies of the first backups.json (fakeovirt's dynamic-stub format)
    found in the stub folders, by (method, path, responseCode)"""
    for d in dirs:
        f = os.path.join(d, "backups.json")
        if os.path.isfile(f):
            table = {}
            for stub in json.load(open(f)):
                for response in stub["responses"]:
                    table[(stub["method"], stub["path"], response["responseCode"])] = \
                        response.get("responseBody", "")
            return table
    return {}


def fill(template, values):
    for key in sorted(values, key=len, reverse=True):
        template = template.replace("@" + key, values[key])
    return template


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())


def backup_values(backup):
    return {"VM": backup["vm"], "BACKUP": backup["id"], "PHASE": backup["phase"],
            "DESCRIPTION": backup["description"], "CREATED": backup["created"],
            "FROM": ("<from_checkpoint_id>%s</from_checkpoint_id>" % backup["from"]
                     if backup["from"] else ""),
            "TO": "<to_checkpoint_id>%s</to_checkpoint_id>" % backup["to"]}


def strip_xml_declaration(body):
    return re.sub(r"^<\?xml[^>]*\?>", "", body)


def _start_backup(self, vm, disks, from_checkpoint, description):
    """called with the lock held: a checkpoint, a point-in-time copy of each
    disk, exported by qemu-nbd (with the dirty bitmap of the checkpoint it
    starts from)"""
    bid = str(uuid.uuid4())
    to = str(uuid.uuid4())
    exports = {}
    for disk in disks:
        image = self.images[disk]
        subprocess.run(["qemu-img", "bitmap", "--add", image["qcow2"], to], check=True)
        copy = os.path.join(self.args.run_dir, "backup-%s-%s.qcow2" % (bid, disk))
        shutil.copyfile(image["qcow2"], copy)
        sock = os.path.join(self.args.run_dir, "backup-%s-%s.sock" % (bid[:8], disk))
        argv = ["qemu-nbd", "--read-only", "--persistent", "--shared=8", "--format=qcow2",
                "--socket=" + sock]
        if from_checkpoint:
            argv += ["--bitmap=" + from_checkpoint]
        process = subprocess.Popen(argv + [copy], stdout=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        exports[disk] = (process, sock, copy)
    chain = self.checkpoints.setdefault(vm, [])
    chain.append({"id": to, "parent": chain[-1]["id"] if chain else None, "created": now()})
    self.backups[bid] = {"id": bid, "vm": vm, "disks": disks, "from": from_checkpoint,
                         "to": to, "phase": "initializing", "description": description,
                         "created": now(), "exports": exports, "gets": 0}
    self.stats["backups"].append(bid)
    self.stats["backup_finalize"][bid] = 0
    return self.backups[bid]


def _end_backup(self, backup):
    for process, sock, copy in backup["exports"].values():
        process.terminate()
        process.wait()
        for f in (sock, copy):
            try:
                os.unlink(f)
            except OSError:
                pass
    backup["exports"] = {}


State.start_backup = _start_backup

# the engine's audit log types of the events the stand-in adds
EVENT_CODES = {"start": 32, "stop": 33, "shutdown": 73, "remove": 113}


def load_events(dirs):
    """the recorded events (fakeovirt's events/content.json), oldest first"""
    for d in dirs:
        f = os.path.join(d, "events", "content.json")
        if os.path.isfile(f):
            return sorted(({"index": int(e["index"]), "code": int(e["code"]),
                            "description": e.get("description", ""),
                            "severity": e.get("severity", "normal"), "refs": {}}
                           for e in json.load(open(f)).get("event", [])),
                          key=lambda e: e["index"])
    return []


def _add_event(self, code, description, refs):
    """called with the lock held"""
    index = (self.events[-1]["index"] if self.events else 0) + 1
    self.events.append({"index": index, "code": code, "description": description,
                        "severity": "normal", "refs": refs})


def event_xml(e):
    refs = "".join('<%s href="%s/%ss/%s" id="%s"/>' % (kind, API, kind.replace("_", ""), ref, ref)
                   for kind, ref in sorted(e["refs"].items()))
    return ('<event href="%s/events/%d" id="%d"><description>%s</description><code>%d</code>'
            '<index>%d</index><origin>oVirt</origin><severity>%s</severity>%s</event>'
            % (API, e["index"], e["index"], e["description"].replace("&", "&amp;").replace(
                "<", "&lt;"), e["code"], e["index"], e["severity"], refs))


State.add_event = _add_event

State.end_backup = _end_backup


def find_stub(dirs, path):
    for d in dirs:
        base = os.path.join(d, path.strip("/")) if path.strip("/") else d
        for candidate in (os.path.join(base, "content.xml"), os.path.join(base, "content"),
                          base):
            if os.path.isfile(candidate):
                return candidate
    return None


def collection_extra(dirs, path, root, disksize):
    """entities of a single-segment collection not in its recorded list"""
    name = path.strip("/")
    if not name or "/" in name:
        return
    known = {child.get("id") for child in root}
    for d in dirs:
        folder = os.path.join(d, name)
        if not os.path.isdir(folder):
            continue
        for entity in sorted(os.listdir(folder)):
            if entity in known:
                continue
            for candidate in ("content.xml", "content"):
                f = os.path.join(folder, entity, candidate)
                if os.path.isfile(f):
                    data = open(f, "rb").read().replace(b"@DISKSIZE", disksize.encode())
                    root.append(ET.fromstring(data))
                    known.add(entity)
                    break


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.state.args.verbose:
            sys.stderr.write("engine-standin: " + fmt % args + "\n")

    def reply(self, code, body, content_type="application/xml"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authorized(self):
        state = self.server.state
        header = self.headers.get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else None
        with state.lock:
            if token not in state.tokens:
                state.stats["refused_tokens"] += 1
                return False
            state.tokens[token] += 1
            limit = state.args.token_requests
            if limit and state.tokens[token] > limit:
                del state.tokens[token]
                state.stats["refused_tokens"] += 1
                return False
        return True

    def do_POST(self):
        state = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        body = self.body()
        if path == "/ovirt-engine/sso/oauth/token":
            form = urllib.parse.parse_qs(body.decode())
            if (form.get("username", [""])[0] != state.args.user or
                    form.get("password", [""])[0] != state.args.password):
                return self.reply(400, json.dumps(
                    {"error_code": "access_denied",
                     "error": "Cannot authenticate user: the user name or password is wrong."}),
                    "application/json")
            token = secrets.token_urlsafe(24)
            with state.lock:
                state.tokens[token] = 0
                state.stats["logins"] += 1
                state.stats["tokens"].append(token)
            return self.reply(200, json.dumps({"access_token": token, "scope": "",
                                               "exp": "9223372036854775807",
                                               "token_type": "bearer"}), "application/json")
        if path == "/ferry-standin/write":
            # the guest writes: through qemu-io, so the checkpoints' bitmaps see it
            w = json.loads(body)
            with state.lock:
                subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P %d %d %d" % (
                    w["pattern"], w["offset"], w["length"]), state.images[w["disk"]]["qcow2"]],
                    check=True, stdout=subprocess.DEVNULL)
                state.stats["writes"].append(w)
            return self.reply(200, "{}", "application/json")
        if not path.startswith(API):
            return self.reply(404, "<error/>")
        if not self.authorized():
            return self.reply(401, "<fault><reason>Unauthorized</reason></fault>")
        rest = path[len(API):]
        if rest == "/ferry-standin/event":
            e = json.loads(body)
            with state.lock:
                state.add_event(e["code"], e.get("description", ""), e.get("refs", {}))
            return self.reply(200, "<action><status>complete</status></action>")
        if rest == "/ferry-standin/remove-vm":
            e = json.loads(body)
            with state.lock:
                state.removed.add(e["vm"])
                if e.get("event", True):
                    state.add_event(EVENT_CODES["remove"], "VM %s was removed" % e["vm"],
                                    {"vm": e["vm"]})
            return self.reply(200, "<action><status>complete</status></action>")
        m = re.fullmatch(r"/vms/([^/]+)/backups", rest)
        if m and state.templates:
            return self.post_backup(m.group(1), body)
        m = re.fullmatch(r"/vms/([^/]+)/backups/([^/]+)/finalize", rest)
        if m and state.templates:
            with state.lock:
                backup = state.backups.get(m.group(2))
                if backup is None or backup["vm"] != m.group(1):
                    return self.reply(404, "<error/>")
                state.stats["backup_finalize"][backup["id"]] += 1
                if backup["phase"] in ("initializing", "ready"):
                    backup["phase"] = "finalizing"
                    state.end_backup(backup)
            return self.reply(200, state.templates[("POST", API + "/vms/@VM/backups/@BACKUP/"
                                                    "finalize", 200)])
        m = re.fullmatch(r"/vms/([^/]+)/(shutdown|stop|start)", rest)
        if m:
            with state.lock:
                # the engine refuses to shut down or stop a VM during a live backup
                if m.group(2) != "start" and any(
                        b["vm"] == m.group(1) and b["phase"] in ("initializing", "ready")
                        for b in state.backups.values()):
                    return self.reply(409, "<fault><reason>Operation Failed</reason><detail>"
                                      "[Cannot %s VM. The VM is during a backup operation.]"
                                      "</detail></fault>" % m.group(2))
                state.status[m.group(1)] = "up" if m.group(2) == "start" else "down"
                state.stats["actions"].append("%s:%s" % (m.group(2), m.group(1)))
                state.add_event(EVENT_CODES[m.group(2)], "VM %s: %s" % (m.group(1), m.group(2)),
                                {"vm": m.group(1)})
            return self.reply(200, "<action><status>complete</status></action>")
        if rest == "/imagetransfers":
            request = ET.fromstring(body)
            disk = request.find("disk").get("id")
            image = state.images.get(disk)
            if image is None:
                return self.reply(400, "<fault><reason>Operation Failed</reason>"
                                  "<detail>no image for disk %s</detail></fault>" % disk)
            tid = str(uuid.uuid4())
            ticket = str(uuid.uuid4())
            backup_id = request.find("backup").get("id") if request.find("backup") is not None \
                else None
            dirty = False
            if backup_id is not None:
                # a disk of a backup: its point-in-time export, with dirty
                # extents when the backup is incremental (as vdsm)
                with state.lock:
                    backup = state.backups.get(backup_id)
                    if backup is None or backup["phase"] != "ready" or \
                            disk not in backup["exports"]:
                        return self.reply(409, "<fault><reason>Operation Failed</reason>"
                                          "<detail>backup %s is not ready for disk %s</detail>"
                                          "</fault>" % (backup_id, disk))
                    url = "nbd:unix:%s" % backup["exports"][disk][1]
                    dirty = backup["from"] is not None
            else:
                url = state.image_url(disk, image)
            state.imageio("PUT", "/tickets/" + ticket, {
                "uuid": ticket, "size": image["size"], "url": url, "dirty": dirty,
                "timeout": 300, "ops": ["read"], "sparse": True, "transfer_id": tid})
            with state.lock:
                state.stats["tickets"].append(ticket)
                state.transfers[tid] = {"disk": disk, "ticket": ticket, "phase": "transferring"}
                state.stats["created"].append(tid)
                if backup_id is not None:
                    state.stats["transfer_backup"][tid] = backup_id
                    state.stats["dirty"][tid] = dirty
            return self.reply(201, self.transfer_xml(tid))
        m = re.fullmatch(r"/imagetransfers/([^/]+)/(finalize|cancel)", rest)
        if m:
            tid, action = m.groups()
            with state.lock:
                transfer = state.transfers.get(tid)
                if transfer is None:
                    return self.reply(404, "<error/>")
                state.stats[action][tid] = state.stats[action].get(tid, 0) + 1
                transfer["phase"] = ("finished_success" if action == "finalize"
                                     else "cancelled")
            try:
                # what imageio says the ticket moved, before it goes
                info = state.imageio("GET", "/tickets/" + transfer["ticket"]) or {}
                with state.lock:
                    state.stats["transferred"][tid] = info.get("transferred", 0)
                state.imageio("DELETE", "/tickets/" + transfer["ticket"])
            except RuntimeError:
                pass
            return self.reply(200, "<action><status>complete</status></action>")
        return self.reply(404, "<error/>")

    def post_backup(self, vm, body):
        state = self.server.state
        request = ET.fromstring(body)
        disks = [d.get("id") for d in request.iter("disk")]
        from_checkpoint = (request.findtext("from_checkpoint_id") or "").strip() or None
        description = (request.findtext("description") or "").strip()
        with state.lock:
            if any(b["vm"] == vm and b["phase"] in ("initializing", "ready")
                   for b in state.backups.values()):
                return self.reply(409, state.templates[("POST", API + "/vms/@VM/backups", 409)])
            chain = [c["id"] for c in state.checkpoints.get(vm, [])]
            if from_checkpoint is not None and from_checkpoint not in chain:
                return self.reply(400, "<fault><reason>Operation Failed</reason><detail>"
                                  "checkpoint %s of VM %s does not exist</detail></fault>"
                                  % (from_checkpoint, vm))
            missing = [d for d in disks if "qcow2" not in state.images.get(d, {})]
            if not disks or missing:
                return self.reply(400, "<fault><reason>Operation Failed</reason><detail>"
                                  "disks %s cannot be backed up</detail></fault>" % missing)
            backup = state.start_backup(vm, disks, from_checkpoint, description)
            data = fill(state.templates[("POST", API + "/vms/@VM/backups", 201)],
                        backup_values(backup))
        return self.reply(201, data)

    def get_backups(self, rest):
        """GET /vms/<id>/backups[/<id>] and /vms/<id>/checkpoints, or None"""
        state = self.server.state
        t = state.templates
        m = re.fullmatch(r"/vms/([^/]+)/backups/([^/]+)", rest)
        if m:
            with state.lock:
                backup = state.backups.get(m.group(2))
                if backup is None or backup["vm"] != m.group(1):
                    return self.reply(404, "<error/>")
                data = fill(t[("GET", API + "/vms/@VM/backups/@BACKUP", 200)],
                            backup_values(backup))
                # a phase lasts one look: initializing -> ready, finalizing -> succeeded
                backup["phase"] = {"initializing": "ready",
                                   "finalizing": "succeeded"}.get(backup["phase"],
                                                                  backup["phase"])
            return self.reply(200, data)
        m = re.fullmatch(r"/vms/([^/]+)/backups", rest)
        if m:
            one = strip_xml_declaration(t[("GET", API + "/vms/@VM/backups/@BACKUP", 200)])
            with state.lock:
                items = "".join(fill(one, backup_values(b)) for b in state.backups.values()
                                if b["vm"] == m.group(1))
            return self.reply(200, fill(t[("GET", API + "/vms/@VM/backups", 200)],
                                        {"VM": m.group(1), "BACKUPS": items}))
        m = re.fullmatch(r"/vms/([^/]+)/checkpoints", rest)
        if m:
            one = strip_xml_declaration(t[("GET", API + "/vms/@VM/checkpoints/@CHECKPOINT",
                                           200)])
            with state.lock:
                items = "".join(fill(one, {
                    "VM": m.group(1), "CHECKPOINT": c["id"], "CREATED": c["created"],
                    "PARENT": "<parent_id>%s</parent_id>" % c["parent"] if c["parent"] else ""})
                    for c in state.checkpoints.get(m.group(1), []))
            return self.reply(200, fill(t[("GET", API + "/vms/@VM/checkpoints", 200)],
                                        {"VM": m.group(1), "CHECKPOINTS": items}))
        return None

    def transfer_xml(self, tid):
        state = self.server.state
        transfer = state.transfers[tid]
        url = "https://127.0.0.1:%d/images/%s" % (state.args.imageio_port, transfer["ticket"])
        return ("<image_transfer href=\"%s/imagetransfers/%s\" id=\"%s\"><direction>download"
                "</direction><format>raw</format><phase>%s</phase><transfer_url>%s"
                "</transfer_url><disk id=\"%s\"/></image_transfer>"
                % (API, tid, tid, transfer["phase"], url, transfer["disk"]))

    def do_DELETE(self):
        """DELETE /vms/<vm>/diskattachments/<id>: the attachment goes, the
        disk stays (the engine's default, detach_only), as Forklift's
        DetachDisks does for a VM's direct LUNs after its migration"""
        state = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith(API):
            return self.reply(404, "<error/>")
        if not self.authorized():
            return self.reply(401, "<fault><reason>Unauthorized</reason></fault>")
        rest = path[len(API):].rstrip("/")
        m = re.fullmatch(r"/vms/([^/]+)/diskattachments/([^/]+)", rest)
        if not m or find_stub(state.args.stubs, "/vms/%s" % m.group(1)) is None:
            return self.reply(404, "<error/>")
        with state.lock:
            if (m.group(1), m.group(2)) in state.detached:
                return self.reply(404, "<fault><reason>Operation Failed</reason>"
                                  "<detail>Entity not found</detail></fault>")
            state.detached.add((m.group(1), m.group(2)))
            state.stats["detached"].append([m.group(1), m.group(2)])
        return self.reply(200, "<action><status>complete</status></action>")

    def do_GET(self):
        state = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        if path == "/ferry-standin/stats":
            with state.lock:
                return self.reply(200, json.dumps(state.stats), "application/json")
        if path == "/ovirt-engine/services/pki-resource":
            # the engine's CA, public as on a real engine (no login)
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            if query.get("resource") != ["ca-certificate"] or not self.server.ca_file:
                return self.reply(404, "<error/>")
            with open(self.server.ca_file, "rb") as f:
                return self.reply(200, f.read(), "application/x-x509-ca-cert")
        if not path.startswith(API):
            return self.reply(404, "<error/>")
        if not self.authorized():
            return self.reply(401, "<fault><reason>Unauthorized</reason></fault>")
        rest = path[len(API):].rstrip("/")
        if rest == "/events":
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            with state.lock:
                events = list(reversed(state.events))  # the newest first, as the engine
            if "from" in query:
                events = [e for e in events if e["index"] > int(query["from"][0])]
            if "max" in query:
                events = events[:int(query["max"][0])]
            return self.reply(200, "<events>%s</events>" % "".join(event_xml(e) for e in events))
        m = re.fullmatch(r"/vms/([^/]+)(/.*)?", rest)
        if m and m.group(1) in state.removed:
            return self.reply(404, "<error/>")
        if state.templates and re.fullmatch(r"/vms/[^/]+/(backups(/[^/]+)?|checkpoints)", rest):
            return self.get_backups(rest)
        m = re.fullmatch(r"/imagetransfers/([^/]+)", rest)
        if m:
            with state.lock:
                if m.group(1) not in state.transfers:
                    return self.reply(404, "<error/>")
                return self.reply(200, self.transfer_xml(m.group(1)))
        stub = find_stub(state.args.stubs, rest)
        if stub is None:
            return self.reply(404, "<error/>")
        data = open(stub, "rb").read().replace(b"@DISKSIZE", state.args.disksize.encode())
        m = re.fullmatch(r"/vms/([^/]+)", rest)
        collection = rest.count("/") == 1
        if m or collection:
            root = ET.fromstring(data)
            if collection:
                collection_extra(state.args.stubs, rest, root, state.args.disksize)
            vms = [root] if m else (list(root) if rest == "/vms" else [])
            with state.lock:
                if rest == "/vms":
                    for vm in [vm for vm in root if vm.get("id") in state.removed]:
                        root.remove(vm)
                        vms.remove(vm)
                for vm in vms:
                    status = state.status.get(vm.get("id"))
                    if status is not None and vm.find("status") is not None:
                        vm.find("status").text = status
            data = ET.tostring(root)
        m = re.fullmatch(r"/vms/([^/]+)/diskattachments", rest)
        if m:
            root = ET.fromstring(data)
            with state.lock:
                for a in [a for a in root if (m.group(1), a.get("id")) in state.detached]:
                    root.remove(a)
            data = ET.tostring(root)
        return self.reply(200, data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stubs", action="append", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", default="", help="the CA served at pki-resource")
    parser.add_argument("--user", default="admin@internal")
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--token-requests", type=int, default=0)
    parser.add_argument("--imageio-control", default="")
    parser.add_argument("--imageio-port", type=int, default=0)
    parser.add_argument("--images", default="")
    parser.add_argument("--disksize", default="46137344")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--run-dir", default="/tmp")
    parser.add_argument("--vm-up", action="append", help="a VM that is up at the start")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    args.password = open(args.password_file).read().strip()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.state = State(args)
    server.ca_file = args.ca
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ENGINE_PORT=%d" % server.server_address[1], flush=True)
    print("ENGINE_READY", flush=True)
    try:
        server.serve_forever()
    finally:
        for process, _ in server.state.nbd.values():
            process.terminate()
        for backup in server.state.backups.values():
            server.state.end_backup(backup)


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: LGPL-2.1-or-later
"""nbdkit python plugin: an ovirt-imageio image transfer as a read-only NBD
disk, for Ferry's oVirt provider.

nbdkit's curl plugin cannot serve it: it asks for the size with a HEAD
request, which imageio answers 405 (nbdkit < 1.34 has no fallback), and it
takes the URL, which holds the transfer's ticket, only on its command line.
Here the URL, the CA and the TLS choice come from a 0600 JSON file named by
`transfer=FILE`; reads are HTTP Range GETs on one kept-alive connection, and
holes and zero areas come from imageio's /extents.
"""

import builtins
import http.client
import json
import ssl
import urllib.parse

import nbdkit

API_VERSION = 2

_transfer = {}


def thread_model():
    return nbdkit.THREAD_MODEL_SERIALIZE_REQUESTS


def config(key, value):
    if key != "transfer":
        raise RuntimeError("unknown parameter %s" % key)
    with builtins.open(value) as f:
        _transfer.update(json.load(f))


def config_complete():
    if "url" not in _transfer:
        raise RuntimeError("transfer=FILE is required")


class Handle:
    def __init__(self):
        url = urllib.parse.urlsplit(_transfer["url"])
        self.path = url.path
        if url.scheme == "https":
            if _transfer.get("insecure"):
                context = ssl._create_unverified_context()
            else:
                context = ssl.create_default_context(cafile=_transfer.get("cafile") or None)
            self.connection = http.client.HTTPSConnection(url.hostname, url.port or 443,
                                                          context=context, timeout=120)
        else:
            self.connection = http.client.HTTPConnection(url.hostname, url.port or 80,
                                                         timeout=120)
        self.extents = self._get_json(self.path + "/extents")
        self.size = max((e["start"] + e["length"] for e in self.extents), default=0)

    def _request(self, path, headers):
        for attempt in (0, 1):
            try:
                self.connection.request("GET", path, headers=headers)
                return self.connection.getresponse()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                if attempt == 1:
                    raise

    def _get_json(self, path):
        reply = self._request(path, {})
        body = reply.read()
        if reply.status != 200:
            raise RuntimeError("imageio answered %d for the extents: %s"
                               % (reply.status, body[:200].decode(errors="replace")))
        return json.loads(body)


def open(readonly):
    return Handle()


def get_size(h):
    return h.size


def can_write(h):
    return False


def can_extents(h):
    return True


def can_multi_conn(h):
    return True


def pread(h, buf, offset, flags):
    end = offset + len(buf) - 1
    reply = h._request(h.path, {"Range": "bytes=%d-%d" % (offset, end)})
    if reply.status not in (200, 206):
        body = reply.read()
        raise RuntimeError("imageio answered %d for bytes %d-%d: %s"
                           % (reply.status, offset, end, body[:200].decode(errors="replace")))
    view = memoryview(buf)
    done = 0
    while done < len(buf):
        n = reply.readinto(view[done:])
        if not n:
            raise RuntimeError("imageio ended the reply after %d of %d bytes"
                               % (done, len(buf)))
        done += n
    reply.read()


def extents(h, count, offset, flags):
    out = []
    end = offset + count
    for e in h.extents:
        start, length = e["start"], e["length"]
        if start + length <= offset or start >= end:
            continue
        kind = 0
        if e.get("zero"):
            kind |= nbdkit.EXTENT_ZERO
        if e.get("hole"):
            kind |= nbdkit.EXTENT_HOLE
        first = max(start, offset)
        out.append((first, min(start + length, end) - first, kind))
    return out

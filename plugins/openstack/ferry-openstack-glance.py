# SPDX-License-Identifier: LGPL-2.1-or-later
# nbdkit python plugin: one Glance image's data (GET /v2/images/ID/file) read
# with HTTP Range requests; Glance answers no HEAD, which nbdkit's curl
# plugin needs for the size. The token header comes from a 0600 file, read
# again for every request (a renewed token is written there).
import builtins
import http.client
import ssl
import urllib.parse

import nbdkit

API_VERSION = 2
params = {"url": None, "size": None, "header-file": None, "cafile": None, "insecure": "false"}


def config(key, value):
    if key not in params:
        raise RuntimeError("unknown parameter %s" % key)
    params[key] = value


def config_complete():
    for key in ("url", "size", "header-file"):
        if params[key] is None:
            raise RuntimeError("the parameter %s is missing" % key)


def header():
    with builtins.open(params["header-file"]) as f:
        name, _, value = f.read().strip().partition(":")
    return name.strip(), value.strip()


def connect():
    url = urllib.parse.urlsplit(params["url"])
    if url.scheme == "https":
        context = ssl.create_default_context(cafile=params["cafile"])
        if params["insecure"] == "true":
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(url.hostname, url.port or 443, context=context,
                                           timeout=300)
    return http.client.HTTPConnection(url.hostname, url.port or 80, timeout=300)


def open(readonly):
    return {"connection": None}


def get_size(h):
    return int(params["size"])


def can_write(h):
    return False


def can_multi_conn(h):
    return True


def pread(h, buf, offset, flags):
    url = urllib.parse.urlsplit(params["url"])
    path = url.path + ("?" + url.query if url.query else "")
    last = "no attempt"
    for _ in range(3):
        try:
            if h["connection"] is None:
                h["connection"] = connect()
            name, value = header()
            h["connection"].request("GET", path, headers={
                name: value, "Range": "bytes=%d-%d" % (offset, offset + len(buf) - 1)})
            reply = h["connection"].getresponse()
            data = reply.read()
            if reply.status == 206 and len(data) == len(buf):
                buf[:] = data
                return
            if reply.status == 200 and offset == 0 and len(data) == len(buf):
                buf[:] = data
                return
            last = "HTTP %d %s (%d bytes for %d at %d)" % (reply.status, reply.reason,
                                                          len(data), len(buf), offset)
            if reply.status < 500:
                break
        except (OSError, http.client.HTTPException) as error:
            h["connection"] = None
            last = str(error) or type(error).__name__
    nbdkit.set_error(5)
    raise RuntimeError("GET %s at %d: %s" % (url.path, offset, last))

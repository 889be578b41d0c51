#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Starts the oVirt engine for the plugin's C tests: the HAND-WRITTEN
STAND-IN for fakeovirt (tests/e2e/ovirt/engine-standin.py, serving
fakeovirt's recorded stubs; fakeovirt cannot be built here, see
`scripts/ovirt-testbed why`), over HTTPS with a CA of its own, without
imageio. Prints URL=, CA= (a file), USER= and PASSWORD= (made up for the
test), then READY, and stops the engine when its standard input closes.
Prints SKIP when fakeovirt's recorded stubs are not here."""

import os
import secrets
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "e2e"))
import ovirtbed  # noqa: E402


def main():
    work = tempfile.mkdtemp(prefix="ferry-ovirt-engine-")
    user, password = "admin@internal", "Test-" + secrets.token_hex(8)
    bed = ovirtbed.OvirtBed(work, user, password)
    if not os.path.isdir(bed.env.get("FERRY_OVIRT_STUBS", "")):
        print("SKIP", flush=True)
        return
    try:
        os.makedirs(os.path.join(work, "imageio", "run"))
        bed.certs = ovirtbed.make_certificates(os.path.join(work, "certs"), "oVirt engine")
        bed.control = ""
        bed.imageio_port = 0
        bed.start_engine()
        print("URL=%s\nCA=%s\nUSER=%s\nPASSWORD=%s\nREADY" % (bed.url, bed.certs["ca"], user,
                                                             password), flush=True)
        sys.stdin.read()
    finally:
        bed.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

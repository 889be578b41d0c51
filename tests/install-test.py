#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The install step of scripts/quickstart: scripts/install-ferry installs the
build into its prefix (here under a DESTDIR), and the installed `ferry` runs
from there: it finds libferry through its RUNPATH (no ldconfig, no
LD_LIBRARY_PATH), its compiled-in plugin directory holds every plugin of the
build, and every plugin loads from it.

argv: the source root, the build root."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT, BUILD = sys.argv[1], sys.argv[2]


def option(name):
    options = json.loads(subprocess.run(["meson", "introspect", "--buildoptions", BUILD],
                                        check=True, capture_output=True, text=True).stdout)
    return next(o["value"] for o in options if o["name"] == name)


def main():
    dest = tempfile.mkdtemp(prefix="ferry-install-")
    try:
        result = subprocess.run([os.path.join(ROOT, "scripts", "install-ferry"), BUILD, dest],
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit("install-ferry failed (%d):\n%s%s" % (result.returncode, result.stdout,
                                                           result.stderr))
        prefix = option("prefix")
        libdir = os.path.join(prefix, option("libdir"))
        ferry = dest + os.path.join(prefix, "bin", "ferry")
        # the one line that makes ferry usable is printed
        if os.path.join(prefix, "bin", "ferry") not in result.stdout:
            sys.exit("install-ferry did not say where ferry is:\n%s" % result.stdout)
        dynamic = subprocess.run(["readelf", "-d", ferry], check=True, capture_output=True,
                                 text=True).stdout
        if libdir not in dynamic or BUILD in dynamic:
            sys.exit("the installed ferry does not find libferry in %s by itself:\n%s"
                     % (libdir, dynamic))
        plugindir = os.path.join(libdir, "ferry-1", "plugins")
        built = sorted(os.path.basename(p) for p in
                       subprocess.run(["find", os.path.join(BUILD, "plugins"), "-maxdepth", "2",
                                       "-name", "*.so"], check=True, capture_output=True,
                                      text=True).stdout.split())
        installed = sorted(n for n in os.listdir(dest + plugindir) if n.endswith(".so"))
        if built != installed:
            sys.exit("plugins built %s, installed in %s: %s" % (built, plugindir, installed))
        # the destdir stands in for the prefix: point the library and the
        # plugin path there, as the prefix itself would be found
        env = {k: v for k, v in os.environ.items()
               if k not in ("FERRY_PLUGIN_PATH", "FERRY_DATA_DIR", "LD_LIBRARY_PATH")}
        env.update(LD_LIBRARY_PATH=dest + libdir, FERRY_PLUGIN_PATH=dest + plugindir,
                   FERRY_DATA_DIR=dest + os.path.join(prefix, option("datadir"), "ferry"))
        # in the ASan build: LeakSanitizer's exit scan crashes on the dynamic
        # TLS of this many dlopen()ed libraries from a foreign folder (its
        # tracer reads a DTLS block with garbage bounds: "Tracer caught
        # signal 11"), a fault of the sanitizer runtime, not of Ferry; this
        # test is about the installed layout, and the build tree's ASan runs
        # keep leak detection
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
        listed = json.loads(subprocess.run([ferry, "plugins", "-o", "json"], env=env, check=True,
                                           capture_output=True, text=True).stdout)
        for p in listed:
            if not p["loaded"] or (not p["builtin"] and not p["file"].startswith(dest)):
                sys.exit("plugin %s: loaded %s from %s (%s)" % (p["name"], p["loaded"],
                                                                p["file"], p["error"]))
        print("installed %d plugins and ferry into %s" % (len(installed), prefix))
    finally:
        shutil.rmtree(dest, ignore_errors=True)


if __name__ == "__main__":
    main()

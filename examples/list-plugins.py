#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Lists Ferry's plugins through GObject Introspection, one per line:
name, kinds, provider types, transfer methods, validators, status.

Run from a build tree with:
  GI_TYPELIB_PATH=build/core LD_LIBRARY_PATH=build/core examples/list-plugins.py
"""

import gi

gi.require_version("Ferry", "1.0")
from gi.repository import Ferry, GLib  # noqa: E402


def names(info, kind):
    return ",".join(info.get_names(kind)) or "-"


def main():
    # warnings about skipped plugins go to stderr, as with the CLI
    GLib.log_set_handler("Ferry", GLib.LogLevelFlags.LEVEL_WARNING,
                         lambda *args: None, None)
    registry = Ferry.PluginRegistry.new()
    registry.load()
    for info in registry.get_plugins():
        print("\t".join([
            info.get_name(),
            info.dup_kinds() or "-",
            names(info, Ferry.PluginKind.PROVIDER),
            names(info, Ferry.PluginKind.TRANSFER_METHOD),
            names(info, Ferry.PluginKind.VALIDATOR),
            "loaded" if info.get_loaded() else "skipped",
        ]))


if __name__ == "__main__":
    main()

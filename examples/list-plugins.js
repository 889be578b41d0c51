#!/usr/bin/gjs
// SPDX-License-Identifier: LGPL-2.1-or-later
// Lists Ferry's plugins through GObject Introspection, one per line:
// name, kinds, provider types, transfer methods, validators, status.
//
// Run from a build tree with:
//   GI_TYPELIB_PATH=build/core LD_LIBRARY_PATH=build/core gjs examples/list-plugins.js

imports.gi.versions.Ferry = '1.0';
const { Ferry, GLib } = imports.gi;

function names(info, kind) {
    return info.get_names(kind).join(',') || '-';
}

GLib.log_set_handler('Ferry', GLib.LogLevelFlags.LEVEL_WARNING, () => {});
const registry = Ferry.PluginRegistry.new();
registry.load();
for (const info of registry.get_plugins()) {
    print([
        info.get_name(),
        info.dup_kinds() || '-',
        names(info, Ferry.PluginKind.PROVIDER),
        names(info, Ferry.PluginKind.TRANSFER_METHOD),
        names(info, Ferry.PluginKind.VALIDATOR),
        info.get_loaded() ? 'loaded' : 'skipped',
    ].join('\t'));
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-plugin-module.h"

G_BEGIN_DECLS

typedef struct {
	FerryPluginKind kind;
	char *name;
	GType type;
} FerryPluginRegistration;

FerryPluginModule *
ferry_plugin_module_new(const char *path);
gboolean
ferry_plugin_module_load_plugin(FerryPluginModule *self, GError **error);
const char *
ferry_plugin_module_get_description(FerryPluginModule *self);
const char *
ferry_plugin_module_get_built_version(FerryPluginModule *self);
guint32
ferry_plugin_module_get_abi_version(FerryPluginModule *self);
GPtrArray *
ferry_plugin_module_get_registrations(FerryPluginModule *self);
char *
ferry_plugin_symbol_for_name(const char *name);
/* provider types some loaded plugin of this process implements, so the
 * resource checks accept a platform a new plugin adds */

G_END_DECLS

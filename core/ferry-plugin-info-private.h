/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-plugin-info.h"

G_BEGIN_DECLS

FerryPluginInfo *
ferry_plugin_info_new(const char *name, const char *path);
void
ferry_plugin_info_set_description(FerryPluginInfo *self, const char *description);
void
ferry_plugin_info_set_abi_version(FerryPluginInfo *self, guint abi_version);
void
ferry_plugin_info_set_builtin(FerryPluginInfo *self, gboolean builtin);
void
ferry_plugin_info_set_loaded(FerryPluginInfo *self, gboolean loaded);
void
ferry_plugin_info_set_error(FerryPluginInfo *self, const char *error);
void
ferry_plugin_info_add_name(FerryPluginInfo *self, FerryPluginKind kind, const char *name);
void
ferry_plugin_info_clear_names(FerryPluginInfo *self);

G_END_DECLS

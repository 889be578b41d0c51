/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "ferry-plugin-module.h"

G_BEGIN_DECLS

#define FERRY_TYPE_PLUGIN_INFO (ferry_plugin_info_get_type())
G_DECLARE_FINAL_TYPE(FerryPluginInfo, ferry_plugin_info, FERRY, PLUGIN_INFO, GObject)

const char *
ferry_plugin_info_get_name(FerryPluginInfo *self);
const char *
ferry_plugin_info_get_path(FerryPluginInfo *self);
const char *
ferry_plugin_info_get_description(FerryPluginInfo *self);
guint
ferry_plugin_info_get_abi_version(FerryPluginInfo *self);
gboolean
ferry_plugin_info_get_builtin(FerryPluginInfo *self);
gboolean
ferry_plugin_info_get_loaded(FerryPluginInfo *self);
const char *
ferry_plugin_info_get_error(FerryPluginInfo *self);
const char *const *
ferry_plugin_info_get_names(FerryPluginInfo *self, FerryPluginKind kind);
char *
ferry_plugin_info_dup_kinds(FerryPluginInfo *self);
JsonNode *
ferry_plugin_info_to_json(FerryPluginInfo *self);

G_END_DECLS

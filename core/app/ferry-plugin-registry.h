/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include "ferry-plugin-info.h"
#include "ferry-provider.h"
#include "ferry-transfer-method.h"
#include "ferry-validator.h"

G_BEGIN_DECLS

#define FERRY_TYPE_PLUGIN_REGISTRY (ferry_plugin_registry_get_type())
G_DECLARE_FINAL_TYPE(FerryPluginRegistry, ferry_plugin_registry, FERRY, PLUGIN_REGISTRY, GObject)

FerryPluginRegistry *
ferry_plugin_registry_new(void);
FerryPluginRegistry *
ferry_plugin_registry_new_for_paths(const char *const *paths);
const char *
ferry_plugin_registry_get_default_directory(void);
GStrv
ferry_plugin_registry_get_search_paths(FerryPluginRegistry *self);
gboolean
ferry_plugin_registry_scan(FerryPluginRegistry *self, GError **error);
gboolean
ferry_plugin_registry_load(FerryPluginRegistry *self, GError **error);
void
ferry_plugin_registry_add_builtin(FerryPluginRegistry *self,
				  FerryPluginKind kind,
				  const char *name,
				  GType type,
				  const char *description);
GPtrArray *
ferry_plugin_registry_get_plugins(FerryPluginRegistry *self);
GStrv
ferry_plugin_registry_list_names(FerryPluginRegistry *self, FerryPluginKind kind);
GType
ferry_plugin_registry_lookup(FerryPluginRegistry *self, FerryPluginKind kind, const char *name);
FerryProvider *
ferry_plugin_registry_create_provider(FerryPluginRegistry *self,
				      const char *provider_type,
				      GError **error);
FerryTransferMethod *
ferry_plugin_registry_create_transfer_method(FerryPluginRegistry *self,
					     const char *name,
					     GError **error);
GPtrArray *
ferry_plugin_registry_create_transfer_methods(FerryPluginRegistry *self);
GPtrArray *
ferry_plugin_registry_create_validators(FerryPluginRegistry *self);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * FerryPluginKind:
 * @FERRY_PLUGIN_KIND_PROVIDER: a #FerryProvider implementation
 * @FERRY_PLUGIN_KIND_TRANSFER_METHOD: a #FerryTransferMethod implementation
 * @FERRY_PLUGIN_KIND_VALIDATOR: a #FerryValidator implementation
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_PLUGIN_KIND_PROVIDER,
	FERRY_PLUGIN_KIND_TRANSFER_METHOD,
	FERRY_PLUGIN_KIND_VALIDATOR,
} FerryPluginKind;

const char *
ferry_plugin_kind_to_string(FerryPluginKind kind);

#define FERRY_TYPE_PLUGIN_MODULE (ferry_plugin_module_get_type())
G_DECLARE_FINAL_TYPE(FerryPluginModule, ferry_plugin_module, FERRY, PLUGIN_MODULE, GTypeModule)

const char *
ferry_plugin_module_get_name(FerryPluginModule *self);
const char *
ferry_plugin_module_get_path(FerryPluginModule *self);
gboolean
ferry_plugin_module_add_provider(FerryPluginModule *self,
				 const char *provider_type,
				 GType type,
				 GError **error);
gboolean
ferry_plugin_module_add_transfer_method(FerryPluginModule *self,
					const char *name,
					GType type,
					GError **error);
gboolean
ferry_plugin_module_add_validator(FerryPluginModule *self,
				  const char *name,
				  GType type,
				  GError **error);

G_END_DECLS

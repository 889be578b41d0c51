/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gmodule.h>

#include "ferry-plugin-module.h"
#include "ferry-version.h"

G_BEGIN_DECLS

/**
 * FerryPluginRegisterFunc:
 * @module: the module being loaded
 * @error: return location for a #GError
 *
 * Registers the plugin's dynamic types on @module (their
 * `*_register_type()` functions from `G_DEFINE_DYNAMIC_TYPE_EXTENDED`) and
 * announces them with ferry_plugin_module_add_provider() and friends.
 *
 * Returns: %FALSE with @error set when the plugin cannot work here (a
 *   missing external program, an unusable library); the loader then skips it
 *
 * Since: 0.1
 */
typedef gboolean (*FerryPluginRegisterFunc)(FerryPluginModule *module, GError **error);

/**
 * FerryPluginDescriptor:
 * @struct_size: `sizeof(FerryPluginDescriptor)` when the plugin was built
 * @abi_version: %FERRY_PLUGIN_ABI_VERSION when the plugin was built
 * @name: the plugin name
 * @version: the libferry version it was built against
 * @description: one line saying what it does
 * @register_types: the registration function
 *
 * What a plugin's entry symbol returns. The first two fields never move:
 * the loader checks them before reading anything else.
 *
 * Since: 0.1
 */
typedef struct {
	guint32 struct_size;
	guint32 abi_version;
	const char *name;
	const char *version;
	const char *description;
	FerryPluginRegisterFunc register_types;
	/*< private >*/
	gpointer padding[8];
} FerryPluginDescriptor;

/**
 * FERRY_PLUGIN_SYMBOL_FORMAT:
 *
 * The entry symbol of a plugin file `NAME.so`: `ferry_NAME_plugin_describe`
 * with every `-` of NAME replaced by `_`.
 *
 * Since: 0.1
 */
#define FERRY_PLUGIN_SYMBOL_FORMAT "ferry_%s_plugin_describe"

/**
 * FERRY_PLUGIN_DEFINE:
 * @c_name: the plugin name as a C identifier (`virt_v2v` for `virt-v2v.so`)
 * @plugin_name: the plugin name as a string (`"virt-v2v"`)
 * @plugin_description: a one-line description
 * @register_func: a #FerryPluginRegisterFunc
 *
 * Defines and exports the plugin's only entry symbol, stamped with the ABI
 * version and descriptor size it was built with. Use it once per plugin.
 *
 * Since: 0.1
 */
#define FERRY_PLUGIN_DEFINE(c_name, plugin_name, plugin_description, register_func)                \
	G_MODULE_EXPORT const FerryPluginDescriptor *ferry_##c_name##_plugin_describe(void);       \
	G_MODULE_EXPORT const FerryPluginDescriptor *ferry_##c_name##_plugin_describe(void)        \
	{                                                                                          \
		static const FerryPluginDescriptor descriptor = {                                  \
		    .struct_size = sizeof(FerryPluginDescriptor),                                  \
		    .abi_version = FERRY_PLUGIN_ABI_VERSION,                                       \
		    .name = plugin_name,                                                           \
		    .version = FERRY_VERSION_STRING,                                               \
		    .description = plugin_description,                                             \
		    .register_types = register_func,                                               \
		};                                                                                 \
		return &descriptor;                                                                \
	}

G_END_DECLS

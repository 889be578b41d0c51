/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fixture plugin that claims another plugin ABI.
 */

#include <ferry-plugin-sdk.h>

static gboolean
wrong_abi_register(FerryPluginModule *module, GError **error)
{
	g_error("a plugin with the wrong ABI must never be registered");
	return FALSE;
}

G_MODULE_EXPORT const FerryPluginDescriptor *ferry_wrong_abi_plugin_describe(void);

G_MODULE_EXPORT const FerryPluginDescriptor *
ferry_wrong_abi_plugin_describe(void)
{
	static const FerryPluginDescriptor descriptor = {
	    .struct_size = sizeof(FerryPluginDescriptor),
	    .abi_version = FERRY_PLUGIN_ABI_VERSION + 998,
	    .name = "wrong-abi",
	    .version = "0.0.0",
	    .description = "Broken fixture",
	    .register_types = wrong_abi_register,
	};
	return &descriptor;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <ferry-plugin-sdk.h>

#include "ferry-v2v-method.h"

/* The plugin registers even when virt-v2v is missing: a conversion then
 * fails with an error that names the package to install, instead of the
 * engine saying that no method can convert guests. */
static gboolean
ferry_v2v_plugin_register(FerryPluginModule *module, GError **error)
{
	ferry_v2v_method_register(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_transfer_method(module, FERRY_V2V_METHOD_NAME,
						       FERRY_TYPE_V2V_METHOD, error);
}

FERRY_PLUGIN_DEFINE(virt_v2v,
		    "virt-v2v",
		    "Guest conversion with virt-v2v: copy and convert, or convert in place",
		    ferry_v2v_plugin_register)

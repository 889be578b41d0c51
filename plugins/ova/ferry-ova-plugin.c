/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-ova-provider.h"

static gboolean
ferry_ova_plugin_register(FerryPluginModule *module, GError **error)
{
	ferry_ova_provider_register(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "ova", FERRY_OVA_TYPE_PROVIDER, error);
}

FERRY_PLUGIN_DEFINE(ova,
		    "ova",
		    "VMs from OVA archives and OVF folders (local, file:// or NFS)",
		    ferry_ova_plugin_register)

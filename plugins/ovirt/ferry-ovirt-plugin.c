/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-ovirt-provider.h"

static gboolean
ferry_ovirt_plugin_register(FerryPluginModule *module, GError **error)
{
	const char *path = ferry_plugin_module_get_path(module);
	g_free(ferry_ovirt_plugin_dir);
	ferry_ovirt_plugin_dir = path != NULL ? g_path_get_dirname(path) : g_strdup(".");
	ferry_ovirt_provider_register(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "ovirt", FERRY_OVIRT_TYPE_PROVIDER, error);
}

FERRY_PLUGIN_DEFINE(ovirt, "ovirt",
		    "VMs from oVirt and Red Hat Virtualization (Engine REST API v4, disks through "
		    "ovirt-imageio)",
		    ferry_ovirt_plugin_register)

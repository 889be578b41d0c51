/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libvirt.so: the libvirt destination (Provider type libvirt); the provider
 * is in ferry-libvirt-provider.c.
 */

#include "config.h"

#include "ferry-libvirt-provider.h"

static gboolean
ferry_libvirt_plugin_register(FerryPluginModule *module, GError **error)
{
	ferry_libvirt_provider_register(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "libvirt", FERRY_TYPE_LIBVIRT_PROVIDER,
						error);
}

FERRY_PLUGIN_DEFINE(libvirt,
		    "libvirt",
		    "libvirt destination: domains with their disks on a libvirt host, optional "
		    "boot check",
		    ferry_libvirt_plugin_register)

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-openstack-provider.h"

static gboolean
ferry_openstack_plugin_register(FerryPluginModule *module, GError **error)
{
	ferry_openstack_provider_register(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "openstack", FERRY_OPENSTACK_TYPE_PROVIDER,
						error);
}

FERRY_PLUGIN_DEFINE(openstack,
		    "openstack",
		    "VMs from OpenStack (Keystone v3, Nova, Cinder, Glance), cold, as Forklift",
		    ferry_openstack_plugin_register)

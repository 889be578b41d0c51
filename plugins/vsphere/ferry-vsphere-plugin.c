/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * vsphere.so: VMs from VMware vCenter Server and ESXi over the vSphere Web
 * Services API (SOAP), disks through nbdkit.
 */

#include "config.h"

#include <libxml/parser.h>

#include "ferry-vsphere-client.h"
#include "ferry-vsphere-provider.h"

static gboolean
ferry_vsphere_plugin_register(FerryPluginModule *module, GError **error)
{
	/* libxml2 must be initialised once before threads use it */
	xmlInitParser();
	ferry_vsphere_client_register(G_TYPE_MODULE(module));
	ferry_vsphere_provider_register(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "vsphere", FERRY_VSPHERE_TYPE_PROVIDER,
						error);
}

FERRY_PLUGIN_DEFINE(vsphere,
		    "vsphere",
		    "VMs from VMware vCenter Server and ESXi (vSphere Web Services API)",
		    ferry_vsphere_plugin_register)

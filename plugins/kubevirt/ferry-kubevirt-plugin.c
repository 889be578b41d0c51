/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * kubevirt.so: the KubeVirt destination (Provider types openshift and
 * kubevirt); the provider is in ferry-kubevirt-provider.c, the transfer
 * method kubevirt-pull (cluster mode, pull) in ferry-kubevirt-pull-method.c.
 */

#include "config.h"

#include "ferry-kubevirt-provider.h"
#include "ferry-kubevirt-pull.h"

static gboolean
ferry_kubevirt_plugin_register(FerryPluginModule *module, GError **error)
{
	ferry_kubevirt_provider_register(G_TYPE_MODULE(module));
	ferry_kubevirt_pull_method_register(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "openshift", FERRY_TYPE_KUBEVIRT_PROVIDER,
						error) &&
	       ferry_plugin_module_add_provider(module, "kubevirt", FERRY_TYPE_KUBEVIRT_PROVIDER,
						error) &&
	       ferry_plugin_module_add_transfer_method(module, FERRY_KUBEVIRT_PULL_METHOD_NAME,
						       FERRY_TYPE_KUBEVIRT_PULL_METHOD, error);
}

FERRY_PLUGIN_DEFINE(kubevirt,
		    "kubevirt",
		    "KubeVirt destination: a bundle of manifests and disk images (file:///DIR), "
		    "or a cluster (PVCs and VirtualMachines through the Kubernetes API)",
		    ferry_kubevirt_plugin_register)

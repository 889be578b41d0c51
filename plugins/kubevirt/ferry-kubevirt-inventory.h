/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

#include "ferry-kubevirt-cluster.h"

G_BEGIN_DECLS

/* one permission Ferry needs in a target namespace */
typedef struct {
	const char *group;	 /* API group, "" for the core group */
	const char *resource;	 /* plural resource name */
	const char *subresource; /* NULL, or e.g. "portforward" */
	const char *verb;
} FerryKubevirtPermission;

const FerryKubevirtPermission *
ferry_kubevirt_inventory_get_permissions(guint *n_permissions);
char *
ferry_kubevirt_permission_to_string(const FerryKubevirtPermission *permission);

/* the connection test of a cluster: version, APIs, permissions */
JsonObject *
ferry_kubevirt_inventory_test(FerryKubevirtCluster *cluster,
			      const char *const *namespaces,
			      GCancellable *cancellable,
			      GError **error);
/* the conditions and details of a test from what was found; @denied holds
 * "NAMESPACE: VERB RESOURCE" strings, @unreadable "list RESOURCE" ones for
 * the kinds of the inventory that cannot be listed in every namespace
 * (pure, for unit tests) */
JsonObject *
ferry_kubevirt_inventory_build_test(JsonObject *version,
				    const char *server,
				    gboolean has_cdi,
				    gboolean has_instancetypes,
				    gboolean has_nads,
				    const char *const *namespaces,
				    GPtrArray *denied,
				    GPtrArray *unreadable);

/* the destination inventory of a cluster, in one full update */
gboolean
ferry_kubevirt_inventory_load(FerryKubevirtCluster *cluster,
			      const char *provider,
			      FerryInventory *inventory,
			      GCancellable *cancellable,
			      GError **error);

/* inventory documents from API objects (pure, for unit tests) */
JsonObject *
ferry_kubevirt_inventory_vm_document(JsonObject *object);
JsonObject *
ferry_kubevirt_inventory_document(const char *kind, JsonObject *object);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "ferry-query.h"
#include "ferry-validator.h"

G_BEGIN_DECLS

/**
 * FerryInventoryQueryFlags:
 * @FERRY_INVENTORY_QUERY_FLAG_NONE: documents as stored, with their concerns
 * @FERRY_INVENTORY_QUERY_FLAG_COMPUTED: add kubectl-mtv's computed fields
 *   (`memoryGB`, `storageUsedGB`, `diskCapacity`, `criticalConcerns`,
 *   `warningConcerns`, `infoConcerns`, `concernsHuman`, `powerStateHuman`)
 *   that have a value to each document
 * @FERRY_INVENTORY_QUERY_FLAG_REFS: return only `{"id", "name"}` for each
 *   object, ignoring any `SELECT`
 *
 * What ferry_inventory_query() returns.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	FERRY_INVENTORY_QUERY_FLAG_NONE = 0,
	FERRY_INVENTORY_QUERY_FLAG_COMPUTED = 1 << 0,
	FERRY_INVENTORY_QUERY_FLAG_REFS = 1 << 1,
} FerryInventoryQueryFlags;

#define FERRY_TYPE_INVENTORY (ferry_inventory_get_type())
G_DECLARE_FINAL_TYPE(FerryInventory, ferry_inventory, FERRY, INVENTORY, GObject)

FerryInventory *ferry_inventory_new(const char *path, GError **error);
const char *ferry_inventory_get_path(FerryInventory *self);

gboolean ferry_inventory_begin_update(FerryInventory *self, const char *provider, gboolean full,
				      GError **error);
gboolean ferry_inventory_upsert(FerryInventory *self, const char *kind, const char *id,
				const char *name, const char *parent, JsonObject *document,
				GError **error);
gboolean ferry_inventory_remove(FerryInventory *self, const char *kind, const char *id,
				GError **error);
gboolean ferry_inventory_commit_update(FerryInventory *self, GError **error);
void ferry_inventory_abort_update(FerryInventory *self);

JsonObject *ferry_inventory_get(FerryInventory *self, const char *provider, const char *kind,
				const char *id, GError **error);
JsonObject *ferry_inventory_find_by_name(FerryInventory *self, const char *provider,
					 const char *kind, const char *name, GError **error);
GPtrArray *ferry_inventory_list(FerryInventory *self, const char *provider, const char *kind,
				GError **error);
gint64 ferry_inventory_get_revision(FerryInventory *self, const char *provider, const char *kind,
				    const char *id);
gboolean ferry_inventory_has_parity(FerryInventory *self, const char *provider);
gboolean ferry_inventory_clear(FerryInventory *self, const char *provider, GError **error);

GPtrArray *ferry_inventory_query(FerryInventory *self, const char *provider, const char *kind,
				 FerryQuery *query, FerryInventoryQueryFlags flags, GError **error);
GPtrArray *ferry_inventory_select_vms(FerryInventory *self, const char *provider, const char *query,
				      GError **error);

JsonObject *ferry_inventory_get_workload(FerryInventory *self, const char *provider,
					 const char *provider_type, const char *id, GError **error);
GPtrArray *ferry_inventory_get_concerns(FerryInventory *self, const char *provider,
					const char *kind, const char *id, GError **error);
gboolean ferry_inventory_revalidate(FerryInventory *self, const char *provider,
				    const char *provider_type, GPtrArray *validators,
				    gboolean force, GCancellable *cancellable, guint *n_validated,
				    GError **error);

G_END_DECLS

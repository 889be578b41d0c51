/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define FERRY_TYPE_INVENTORY (ferry_inventory_get_type())
G_DECLARE_FINAL_TYPE(FerryInventory, ferry_inventory, FERRY, INVENTORY, GObject)

FerryInventory *
ferry_inventory_new(const char *path, GError **error);
const char *
ferry_inventory_get_path(FerryInventory *self);

gboolean
ferry_inventory_begin_update(FerryInventory *self,
			     const char *provider,
			     gboolean full,
			     GError **error);
gboolean
ferry_inventory_upsert(FerryInventory *self,
		       const char *kind,
		       const char *id,
		       const char *name,
		       const char *parent,
		       JsonObject *document,
		       GError **error);
gboolean
ferry_inventory_remove(FerryInventory *self, const char *kind, const char *id, GError **error);
gboolean
ferry_inventory_commit_update(FerryInventory *self, GError **error);
void
ferry_inventory_abort_update(FerryInventory *self);

JsonObject *
ferry_inventory_get(FerryInventory *self,
		    const char *provider,
		    const char *kind,
		    const char *id,
		    GError **error);
JsonObject *
ferry_inventory_find_by_name(FerryInventory *self,
			     const char *provider,
			     const char *kind,
			     const char *name,
			     GError **error);
GPtrArray *
ferry_inventory_list(FerryInventory *self, const char *provider, const char *kind, GError **error);
gint64
ferry_inventory_get_revision(FerryInventory *self,
			     const char *provider,
			     const char *kind,
			     const char *id);
gboolean
ferry_inventory_has_parity(FerryInventory *self, const char *provider);
gboolean
ferry_inventory_clear(FerryInventory *self, const char *provider, GError **error);

G_END_DECLS

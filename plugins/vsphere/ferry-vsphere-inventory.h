/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The vSphere inventory: which properties are read for each managed object
 * type, how they become documents with Forklift's field names, and the full
 * load (RetrievePropertiesEx over a ContainerView, paged) and incremental
 * follow (WaitForUpdatesEx) into a FerryInventory.
 */

#pragma once

#include "ferry-vsphere-client.h"

G_BEGIN_DECLS

/* the folder tree: names and parents of folders, datacenters and clusters,
 * enough to write inventory paths and find an object's datacenter */
typedef struct _FerryVsphereIndex FerryVsphereIndex;

FerryVsphereIndex *
ferry_vsphere_index_new(const char *root_folder);
void
ferry_vsphere_index_free(FerryVsphereIndex *self);
gboolean
ferry_vsphere_index_update(FerryVsphereIndex *self,
			   const char *type,
			   const char *id,
			   const char *name,
			   const char *parent);
void
ferry_vsphere_index_remove(FerryVsphereIndex *self, const char *id);
char *
ferry_vsphere_index_dup_path(FerryVsphereIndex *self, const char *parent, const char *name);
const char *
ferry_vsphere_index_find_datacenter(FerryVsphereIndex *self, const char *id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVsphereIndex, ferry_vsphere_index_free)

const char *
ferry_vsphere_inventory_kind_for_type(const char *type);

/* turns an object (all its properties) into an inventory document */
gboolean
ferry_vsphere_inventory_map(FerryVsphereIndex *index,
			    FerryVsphereObject *object,
			    char **kind,
			    char **name,
			    char **parent,
			    JsonObject **document);

FerryVsphereIndex *
ferry_vsphere_inventory_build_index(FerryVsphereClient *client,
				    GCancellable *cancellable,
				    GError **error);

gboolean
ferry_vsphere_inventory_load(FerryVsphereClient *client,
			     FerryInventory *inventory,
			     const char *provider,
			     guint page_size,
			     GCancellable *cancellable,
			     GError **error);
gboolean
ferry_vsphere_inventory_fetch_only(FerryVsphereClient *client,
				   guint page_size,
				   guint *objects,
				   GCancellable *cancellable,
				   GError **error);
gboolean
ferry_vsphere_inventory_watch(FerryVsphereClient *client,
			      FerryInventory *inventory,
			      const char *provider,
			      guint max_wait_seconds,
			      GCancellable *cancellable,
			      GError **error);

G_END_DECLS

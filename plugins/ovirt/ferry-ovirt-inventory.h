/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-ovirt-client.h"

G_BEGIN_DECLS

/* one engine entity (<vm>, <disk>, …) as Forklift's inventory document */
JsonObject *
ferry_ovirt_document(const char *kind, xmlNode *node);
gboolean
ferry_ovirt_inventory_load(FerryOvirtClient *client,
			   FerryInventory *inventory,
			   const char *provider,
			   GCancellable *cancellable,
			   GError **error);

gboolean
ferry_ovirt_inventory_watch(FerryOvirtClient *client,
			    FerryInventory *inventory,
			    const char *provider,
			    guint interval_ms,
			    GCancellable *cancellable,
			    GError **error);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include "ferry-inventory.h"
#include "ferry-resource-kinds.h"
#include "ferry-store.h"

G_BEGIN_DECLS

gboolean ferry_plan_validate(FerryPlan *plan, FerryStore *store, FerryInventory *inventory,
			     GPtrArray *validators, GError **error);

G_END_DECLS

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

/* the annotations the engine puts on a DiskTransfer task after a cold copy:
 * what the estimate's throughput is measured from */
#define FERRY_ANNOTATION_COPY_BYTES    "ferry.konveyor.io/copy-bytes"
#define FERRY_ANNOTATION_COPY_STARTED  "ferry.konveyor.io/copy-started-us"
#define FERRY_ANNOTATION_COPY_DURATION "ferry.konveyor.io/copy-duration-us"

JsonObject *ferry_plan_estimate(FerryPlan *plan, FerryStore *store, FerryInventory *inventory,
				guint64 bytes_per_second, const char *throughput_source,
				GError **error);
JsonObject *ferry_estimate_recorded_throughput(FerryStore *store, GError **error);

G_END_DECLS

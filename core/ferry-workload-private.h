/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-inventory.h"

G_BEGIN_DECLS

/* builds workloads, Forklift's view of a VM with the objects it refers to
 * (its host and cluster, its NIC profiles, disks, flavor, image, volumes)
 * put in place of the references, which is what validation rules read;
 * referenced objects are looked up once per builder */
typedef struct _FerryWorkloadBuilder FerryWorkloadBuilder;

FerryWorkloadBuilder *ferry_workload_builder_new(FerryInventory *inventory, const char *provider,
						 const char *provider_type);
void ferry_workload_builder_free(FerryWorkloadBuilder *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryWorkloadBuilder, ferry_workload_builder_free)
/* expands @vm in place (it must not be shared) */
void ferry_workload_builder_expand(FerryWorkloadBuilder *self, JsonObject *vm);

G_END_DECLS

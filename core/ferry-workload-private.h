/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* SQL for the workload of the VM whose document is the SQL expression
 * @document in a row `o` of inventory_objects: Forklift's view of a VM, with
 * the objects it refers to (its host and cluster, its NIC profiles and
 * disks, its flavor, image and volumes) put in place of the references,
 * which is what validation rules read */
char *ferry_workload_sql(const char *provider_type, const char *document);

G_END_DECLS

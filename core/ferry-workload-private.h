/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* where a provider type's VMs refer to other inventory objects, as a
 * tree: `cluster` under `host` is the host's field; the tables are in
 * ferry-platform.c */
typedef struct _FerryWorkloadExpansion FerryWorkloadExpansion;
struct _FerryWorkloadExpansion {
	const char *field;  /* the member holding the reference(s) */
	gboolean each;      /* it is an array of references, or of objects with @inner */
	const char *inner;  /* with @each: the reference is this member of each element */
	const char *kind;   /* the kind of the object referred to */
	const char *target; /* NULL to replace the reference, else a member to set */
	const FerryWorkloadExpansion *children;
};

/* SQL for the workload of the VM whose document is the SQL expression
 * @document in a row `o` of inventory_objects: Forklift's view of a VM, with
 * the objects it refers to (its host and cluster, its NIC profiles and
 * disks, its flavor, image and volumes) put in place of the references,
 * which is what validation rules read */
char *ferry_workload_sql(const char *provider_type, const char *document);

G_END_DECLS

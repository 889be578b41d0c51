/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * FerrySnapshotFlags:
 * @FERRY_SNAPSHOT_FLAG_NONE: a plain crash-consistent snapshot
 * @FERRY_SNAPSHOT_FLAG_QUIESCE: ask the guest tools to quiesce file systems
 * @FERRY_SNAPSHOT_FLAG_MEMORY: include the guest memory
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	FERRY_SNAPSHOT_FLAG_NONE = 0,
	FERRY_SNAPSHOT_FLAG_QUIESCE = 1 << 0,
	FERRY_SNAPSHOT_FLAG_MEMORY = 1 << 1,
} FerrySnapshotFlags;

#define FERRY_TYPE_SNAPSHOT (ferry_snapshot_get_type())
G_DECLARE_FINAL_TYPE(FerrySnapshot, ferry_snapshot, FERRY, SNAPSHOT, GObject)

FerrySnapshot *
ferry_snapshot_new(const char *vm_id, const char *id);
const char *
ferry_snapshot_get_vm_id(FerrySnapshot *self);
const char *
ferry_snapshot_get_id(FerrySnapshot *self);
void
ferry_snapshot_set_change_id(FerrySnapshot *self, const char *disk_id, const char *change_id);
const char *
ferry_snapshot_get_change_id(FerrySnapshot *self, const char *disk_id);
GStrv
ferry_snapshot_list_disks(FerrySnapshot *self);

G_END_DECLS

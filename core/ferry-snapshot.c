/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-snapshot.h"
#include "ferry-util-private.h"

/**
 * FerrySnapshot:
 *
 * A snapshot a provider took of a source VM, with the change id of each
 * disk at that point (vSphere `changeId`, oVirt checkpoint id) so the next
 * precopy can ask for what changed since.
 *
 * Since: 0.1
 */
struct _FerrySnapshot {
	GObject parent_instance;
	char *vm_id;
	char *id;
	GHashTable *change_ids; /* disk id → change id */
};

G_DEFINE_TYPE(FerrySnapshot, ferry_snapshot, G_TYPE_OBJECT)

static void
ferry_snapshot_finalize(GObject *object)
{
	FerrySnapshot *self = FERRY_SNAPSHOT(object);
	g_free(self->vm_id);
	g_free(self->id);
	g_hash_table_unref(self->change_ids);
	G_OBJECT_CLASS(ferry_snapshot_parent_class)->finalize(object);
}

static void
ferry_snapshot_class_init(FerrySnapshotClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_snapshot_finalize;
}

static void
ferry_snapshot_init(FerrySnapshot *self)
{
	self->change_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * ferry_snapshot_new:
 * @vm_id: the inventory id of the VM
 * @id: the provider's id of the snapshot
 *
 * Returns: (transfer full): a new snapshot record
 *
 * Since: 0.1
 */
FerrySnapshot *
ferry_snapshot_new(const char *vm_id, const char *id)
{
	FerrySnapshot *self;
	g_return_val_if_fail(vm_id != NULL, NULL);
	g_return_val_if_fail(id != NULL, NULL);
	self = g_object_new(FERRY_TYPE_SNAPSHOT, NULL);
	self->vm_id = g_strdup(vm_id);
	self->id = g_strdup(id);
	return self;
}

/**
 * ferry_snapshot_get_vm_id:
 * @self: a #FerrySnapshot
 *
 * Returns: (transfer none): the VM id
 *
 * Since: 0.1
 */
const char *
ferry_snapshot_get_vm_id(FerrySnapshot *self)
{
	g_return_val_if_fail(FERRY_IS_SNAPSHOT(self), NULL);
	return self->vm_id;
}

/**
 * ferry_snapshot_get_id:
 * @self: a #FerrySnapshot
 *
 * Returns: (transfer none): the snapshot id
 *
 * Since: 0.1
 */
const char *
ferry_snapshot_get_id(FerrySnapshot *self)
{
	g_return_val_if_fail(FERRY_IS_SNAPSHOT(self), NULL);
	return self->id;
}

/**
 * ferry_snapshot_set_change_id:
 * @self: a #FerrySnapshot
 * @disk_id: the disk id as in the VM document
 * @change_id: (nullable): the change id of the disk in this snapshot
 *
 * Since: 0.1
 */
void
ferry_snapshot_set_change_id(FerrySnapshot *self, const char *disk_id, const char *change_id)
{
	g_return_if_fail(FERRY_IS_SNAPSHOT(self));
	g_return_if_fail(disk_id != NULL);
	if (change_id == NULL)
		g_hash_table_remove(self->change_ids, disk_id);
	else
		g_hash_table_replace(self->change_ids, g_strdup(disk_id), g_strdup(change_id));
}

/**
 * ferry_snapshot_get_change_id:
 * @self: a #FerrySnapshot
 * @disk_id: the disk id
 *
 * Returns: (transfer none) (nullable): the change id
 *
 * Since: 0.1
 */
const char *
ferry_snapshot_get_change_id(FerrySnapshot *self, const char *disk_id)
{
	g_return_val_if_fail(FERRY_IS_SNAPSHOT(self), NULL);
	return g_hash_table_lookup(self->change_ids, disk_id);
}

/**
 * ferry_snapshot_list_disks:
 * @self: a #FerrySnapshot
 *
 * Returns: (transfer full): the ids of the disks that have a change id, sorted
 *
 * Since: 0.1
 */
GStrv
ferry_snapshot_list_disks(FerrySnapshot *self)
{
	g_return_val_if_fail(FERRY_IS_SNAPSHOT(self), NULL);
	return ferry_hash_table_dup_sorted_keys(self->change_ids);
}

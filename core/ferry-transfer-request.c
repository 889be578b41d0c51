/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-transfer-request.h"

/**
 * FerryTransferRequest:
 *
 * One disk to move: the source and target endpoints, what kind of copy it
 * is, the extents of an incremental copy, the journal to resume from, the
 * bandwidth limit, the VM it belongs to, and free-form options (number of
 * connections, request size, …). Transfer methods read it in `supports()`
 * to decide whether and how well they can do the job.
 *
 * A method that reads the source by itself elsewhere (a pod in the target
 * cluster, say) rather than through the source endpoint finds what it needs
 * in the source side the engine fills in: the source Provider's
 * configuration (its URL, settings, Secret and hosts), and the VM, disk,
 * snapshot and change ids the source endpoint was opened with.
 *
 * Since: 0.1
 */
struct _FerryTransferRequest {
	GObject parent_instance;
	FerryDiskEndpoint *source;
	FerryDiskEndpoint *target;
	FerryTransferFlags flags;
	FerryExtentList *extents;
	char *source_provider_type;
	char *target_provider_type;
	JsonObject *vm_spec;
	guint disk_index;
	char *journal;
	guint64 bandwidth;
	GHashTable *options;
	FerryProviderConfig *source_config;
	char *vm_id;
	char *disk_id;
	char *snapshot_id;
	char *change_id;
};

G_DEFINE_TYPE(FerryTransferRequest, ferry_transfer_request, G_TYPE_OBJECT)

static void
ferry_transfer_request_finalize(GObject *object)
{
	FerryTransferRequest *self = FERRY_TRANSFER_REQUEST(object);
	g_clear_object(&self->source);
	g_clear_object(&self->target);
	g_clear_pointer(&self->extents, ferry_extent_list_unref);
	g_free(self->source_provider_type);
	g_free(self->target_provider_type);
	g_clear_pointer(&self->vm_spec, json_object_unref);
	g_free(self->journal);
	g_hash_table_unref(self->options);
	g_clear_object(&self->source_config);
	g_free(self->vm_id);
	g_free(self->disk_id);
	g_free(self->snapshot_id);
	g_free(self->change_id);
	G_OBJECT_CLASS(ferry_transfer_request_parent_class)->finalize(object);
}

static void
ferry_transfer_request_class_init(FerryTransferRequestClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_transfer_request_finalize;
}

static void
ferry_transfer_request_init(FerryTransferRequest *self)
{
	self->options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * ferry_transfer_request_new:
 * @source: where to read
 * @target: where to write
 *
 * Returns: (transfer full): a request for a full copy
 *
 * Since: 0.1
 */
FerryTransferRequest *
ferry_transfer_request_new(FerryDiskEndpoint *source, FerryDiskEndpoint *target)
{
	FerryTransferRequest *self;
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(source), NULL);
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(target), NULL);
	self = g_object_new(FERRY_TYPE_TRANSFER_REQUEST, NULL);
	self->source = g_object_ref(source);
	self->target = g_object_ref(target);
	return self;
}

/**
 * ferry_transfer_request_get_source:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none): the source
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_transfer_request_get_source(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->source;
}

/**
 * ferry_transfer_request_get_target:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none): the target
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_transfer_request_get_target(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->target;
}

/**
 * ferry_transfer_request_set_flags:
 * @self: a #FerryTransferRequest
 * @flags: the flags
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_flags(FerryTransferRequest *self, FerryTransferFlags flags)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	self->flags = flags;
}

/**
 * ferry_transfer_request_get_flags:
 * @self: a #FerryTransferRequest
 *
 * Returns: the flags
 *
 * Since: 0.1
 */
FerryTransferFlags
ferry_transfer_request_get_flags(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), FERRY_TRANSFER_FLAG_NONE);
	return self->flags;
}

/**
 * ferry_transfer_request_set_extents:
 * @self: a #FerryTransferRequest
 * @extents: (nullable): the ranges to copy; %NULL copies the whole disk
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_extents(FerryTransferRequest *self, FerryExtentList *extents)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_clear_pointer(&self->extents, ferry_extent_list_unref);
	if (extents != NULL)
		self->extents = ferry_extent_list_ref(extents);
}

/**
 * ferry_transfer_request_get_extents:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the ranges to copy
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_transfer_request_get_extents(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->extents;
}

/**
 * ferry_transfer_request_set_source_provider_type:
 * @self: a #FerryTransferRequest
 * @type: (nullable): the source provider type, e.g. `vsphere`
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_source_provider_type(FerryTransferRequest *self, const char *type)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_free(self->source_provider_type);
	self->source_provider_type = g_strdup(type);
}

/**
 * ferry_transfer_request_get_source_provider_type:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the source provider type
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_source_provider_type(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->source_provider_type;
}

/**
 * ferry_transfer_request_set_target_provider_type:
 * @self: a #FerryTransferRequest
 * @type: (nullable): the destination provider type, e.g. `openshift`
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_target_provider_type(FerryTransferRequest *self, const char *type)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_free(self->target_provider_type);
	self->target_provider_type = g_strdup(type);
}

/**
 * ferry_transfer_request_get_target_provider_type:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the destination provider type
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_target_provider_type(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->target_provider_type;
}

/**
 * ferry_transfer_request_set_vm_spec:
 * @self: a #FerryTransferRequest
 * @vm_spec: (nullable): the target VM description the disk belongs to
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_vm_spec(FerryTransferRequest *self, JsonObject *vm_spec)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_clear_pointer(&self->vm_spec, json_object_unref);
	if (vm_spec != NULL)
		self->vm_spec = json_object_ref(vm_spec);
}

/**
 * ferry_transfer_request_get_vm_spec:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the target VM description
 *
 * Since: 0.1
 */
JsonObject *
ferry_transfer_request_get_vm_spec(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->vm_spec;
}

/**
 * ferry_transfer_request_set_disk_index:
 * @self: a #FerryTransferRequest
 * @disk_index: index of the disk in the VM description
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_disk_index(FerryTransferRequest *self, guint disk_index)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	self->disk_index = disk_index;
}

/**
 * ferry_transfer_request_get_disk_index:
 * @self: a #FerryTransferRequest
 *
 * Returns: index of the disk in the VM description
 *
 * Since: 0.1
 */
guint
ferry_transfer_request_get_disk_index(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), 0);
	return self->disk_index;
}

/**
 * ferry_transfer_request_set_journal:
 * @self: a #FerryTransferRequest
 * @journal: (nullable): a journal file that records finished ranges, so
 *   the copy resumes after a crash
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_journal(FerryTransferRequest *self, const char *journal)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_free(self->journal);
	self->journal = g_strdup(journal);
}

/**
 * ferry_transfer_request_get_journal:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the journal file
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_journal(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->journal;
}

/**
 * ferry_transfer_request_set_bandwidth:
 * @self: a #FerryTransferRequest
 * @bytes_per_second: the most bytes per second to read; 0 for no limit
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_bandwidth(FerryTransferRequest *self, guint64 bytes_per_second)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	self->bandwidth = bytes_per_second;
}

/**
 * ferry_transfer_request_get_bandwidth:
 * @self: a #FerryTransferRequest
 *
 * Returns: the bandwidth limit in bytes per second, 0 for none
 *
 * Since: 0.1
 */
guint64
ferry_transfer_request_get_bandwidth(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), 0);
	return self->bandwidth;
}

/**
 * ferry_transfer_request_set_option:
 * @self: a #FerryTransferRequest
 * @key: an option name, e.g. `connections`
 * @value: (nullable): its value; %NULL removes it
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_option(FerryTransferRequest *self, const char *key, const char *value)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_return_if_fail(key != NULL);
	if (value == NULL)
		g_hash_table_remove(self->options, key);
	else
		g_hash_table_replace(self->options, g_strdup(key), g_strdup(value));
}

/**
 * ferry_transfer_request_get_option:
 * @self: a #FerryTransferRequest
 * @key: an option name
 *
 * Returns: (transfer none) (nullable): its value
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_option(FerryTransferRequest *self, const char *key)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	g_return_val_if_fail(key != NULL, NULL);
	return g_hash_table_lookup(self->options, key);
}

/**
 * ferry_transfer_request_set_source_config:
 * @self: a #FerryTransferRequest
 * @config: (nullable): the source Provider's configuration (URL, settings,
 *   Secret, hosts)
 *
 * For a method that connects to the source by itself. The Secret in it
 * holds credentials: a method must hand them on only where they stay
 * secret (never in a log, a message or a command line).
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_source_config(FerryTransferRequest *self, FerryProviderConfig *config)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_set_object(&self->source_config, config);
}

/**
 * ferry_transfer_request_get_source_config:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the source Provider's configuration
 *
 * Since: 0.1
 */
FerryProviderConfig *
ferry_transfer_request_get_source_config(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->source_config;
}

/**
 * ferry_transfer_request_set_source_disk:
 * @self: a #FerryTransferRequest
 * @vm_id: (nullable): the source VM's id
 * @disk_id: (nullable): the disk's id in the VM document
 * @snapshot_id: (nullable): the snapshot the source endpoint reads, for a
 *   warm copy
 * @change_id: (nullable): the change id of the disk at the previous copy
 *   (`*` for the first precopy), from which the request's extents come
 *
 * What the source endpoint was opened with, for a method that opens the
 * disk again elsewhere.
 *
 * Since: 0.1
 */
void
ferry_transfer_request_set_source_disk(FerryTransferRequest *self,
				       const char *vm_id,
				       const char *disk_id,
				       const char *snapshot_id,
				       const char *change_id)
{
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(self));
	g_free(self->vm_id);
	self->vm_id = g_strdup(vm_id);
	g_free(self->disk_id);
	self->disk_id = g_strdup(disk_id);
	g_free(self->snapshot_id);
	self->snapshot_id = g_strdup(snapshot_id);
	g_free(self->change_id);
	self->change_id = g_strdup(change_id);
}

/**
 * ferry_transfer_request_get_vm_id:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the source VM's id
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_vm_id(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->vm_id;
}

/**
 * ferry_transfer_request_get_disk_id:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the source disk's id
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_disk_id(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->disk_id;
}

/**
 * ferry_transfer_request_get_snapshot_id:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the snapshot the source is read from
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_snapshot_id(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->snapshot_id;
}

/**
 * ferry_transfer_request_get_change_id:
 * @self: a #FerryTransferRequest
 *
 * Returns: (transfer none) (nullable): the change id the extents start from
 *
 * Since: 0.1
 */
const char *
ferry_transfer_request_get_change_id(FerryTransferRequest *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(self), NULL);
	return self->change_id;
}

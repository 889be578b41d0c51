/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-vm-spec.h"

/**
 * FerryVmSpec:
 *
 * The typed view of a VM description (`vm_spec`): the target VM the engine
 * builds from the source's description and the plan, which destinations
 * and transfer methods read. The JSON document stays the persisted form
 * (the engine stores it with the VM's state): ferry_vm_spec_new_from_json()
 * checks its members' types once, and ferry_vm_spec_get_json() gives the
 * document for members this type does not name (`labels`, `source.vm`,
 * a destination's own settings). The same type reads a source description
 * (what ferry_provider_describe_vm() returns): there, a NIC's `network` is
 * the source network's id.
 *
 * Since: 0.1
 */

/**
 * FerryVmDisk:
 *
 * One disk of a #FerryVmSpec.
 *
 * Since: 0.1
 */

/**
 * FerryVmNic:
 *
 * One network interface of a #FerryVmSpec.
 *
 * Since: 0.1
 */

struct _FerryVmDisk {
	GObject parent_instance;
	JsonObject *json;
	char *id;
	const char *name;
	guint64 capacity;
	const char *format;
	const char *bus;
	const char *path;
	const char *file_name;
	const char *storage_class;
	const char *storage;
	gboolean shared;
	guint64 populated_size;
};

struct _FerryVmNic {
	GObject parent_instance;
	JsonObject *json;
	const char *mac;
	const char *network_type;
	const char *network_name;
	const char *network_namespace;
	const char *model;
};

struct _FerryVmSpec {
	GObject parent_instance;
	JsonObject *json;
	const char *name;
	const char *name_space;
	const char *plan;
	const char *migration;
	const char *guest_os;
	const char *source_type;
	JsonObject *source_vm;
	const char *target_power_state;
	guint64 memory_mib;
	guint sockets;
	guint cores;
	guint threads;
	FerryFirmware firmware;
	gboolean secure_boot;
	GPtrArray *disks; /* of FerryVmDisk */
	GPtrArray *nics;  /* of FerryVmNic */
};

G_DEFINE_FINAL_TYPE(FerryVmDisk, ferry_vm_disk, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE(FerryVmNic, ferry_vm_nic, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE(FerryVmSpec, ferry_vm_spec, G_TYPE_OBJECT)

static void
ferry_vm_disk_finalize(GObject *object)
{
	FerryVmDisk *self = FERRY_VM_DISK(object);
	g_clear_pointer(&self->json, json_object_unref);
	g_free(self->id);
	G_OBJECT_CLASS(ferry_vm_disk_parent_class)->finalize(object);
}

static void
ferry_vm_disk_class_init(FerryVmDiskClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_vm_disk_finalize;
}

static void
ferry_vm_disk_init(FerryVmDisk *self)
{
}

static void
ferry_vm_nic_finalize(GObject *object)
{
	g_clear_pointer(&FERRY_VM_NIC(object)->json, json_object_unref);
	G_OBJECT_CLASS(ferry_vm_nic_parent_class)->finalize(object);
}

static void
ferry_vm_nic_class_init(FerryVmNicClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_vm_nic_finalize;
}

static void
ferry_vm_nic_init(FerryVmNic *self)
{
}

static void
ferry_vm_spec_finalize(GObject *object)
{
	FerryVmSpec *self = FERRY_VM_SPEC(object);
	g_clear_pointer(&self->disks, g_ptr_array_unref);
	g_clear_pointer(&self->nics, g_ptr_array_unref);
	g_clear_pointer(&self->json, json_object_unref);
	G_OBJECT_CLASS(ferry_vm_spec_parent_class)->finalize(object);
}

static void
ferry_vm_spec_class_init(FerryVmSpecClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_vm_spec_finalize;
}

static void
ferry_vm_spec_init(FerryVmSpec *self)
{
	self->disks = g_ptr_array_new_with_free_func(g_object_unref);
	self->nics = g_ptr_array_new_with_free_func(g_object_unref);
	self->sockets = self->cores = self->threads = 1;
}

/* --- checked readers: a member of the wrong type is an error naming it --- */

typedef struct {
	const char *vm;	  /* the VM's name, for messages */
	const char *path; /* the object's path, "" or "disks[0]." */
	GError **error;
	gboolean failed;
} Reader;

static void
reader_fail(Reader *r, const char *member, const char *what)
{
	if (r->failed)
		return;
	r->failed = TRUE;
	g_set_error(r->error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "VM %s: %s%s must be %s",
		    r->vm, r->path, member, what);
}

static const char *
read_string(Reader *r, JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return NULL;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		reader_fail(r, member, "a string");
		return NULL;
	}
	return json_node_get_string(node);
}

static guint64
read_uint(Reader *r, JsonObject *object, const char *member, guint64 fallback)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	GType type;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return fallback;
	type = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
	if (type == G_TYPE_INT64 && json_node_get_int(node) >= 0)
		return (guint64)json_node_get_int(node);
	/* a whole double (4096.0, 1e3) is a number too; 1.5 MiB or cores is not */
	if (type == G_TYPE_DOUBLE && json_node_get_double(node) >= 0 &&
	    json_node_get_double(node) < 1.8e19 &&
	    json_node_get_double(node) == (double)(guint64)json_node_get_double(node))
		return (guint64)json_node_get_double(node);
	reader_fail(r, member, "a non-negative whole number");
	return fallback;
}

static gboolean
read_bool(Reader *r, JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return FALSE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
		reader_fail(r, member, "true or false");
		return FALSE;
	}
	return json_node_get_boolean(node);
}

static JsonObject *
read_object(Reader *r, JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return NULL;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		reader_fail(r, member, "an object");
		return NULL;
	}
	return json_node_get_object(node);
}

static JsonArray *
read_array(Reader *r, JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return NULL;
	if (!JSON_NODE_HOLDS_ARRAY(node)) {
		reader_fail(r, member, "an array");
		return NULL;
	}
	return json_node_get_array(node);
}

static FerryVmDisk *
read_disk(Reader *r, JsonObject *object)
{
	FerryVmDisk *disk = g_object_new(FERRY_TYPE_VM_DISK, NULL);
	JsonNode *id = json_object_get_member(object, "id");

	disk->json = json_object_ref(object);
	/* an id may be a key number (vSphere) or a string */
	if (id != NULL && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_INT64)
		disk->id = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(id));
	else
		disk->id = g_strdup(read_string(r, object, "id"));
	disk->name = read_string(r, object, "name");
	disk->capacity = read_uint(r, object, "capacity", 0);
	disk->format = read_string(r, object, "format");
	disk->bus = read_string(r, object, "bus");
	disk->path = read_string(r, object, "path");
	disk->file_name = read_string(r, object, "fileName");
	disk->storage_class = read_string(r, object, "storageClass");
	disk->storage = read_string(r, object, "storage");
	disk->shared = read_bool(r, object, "shared");
	disk->populated_size = read_uint(r, object, "populatedSize", 0);
	return disk;
}

static FerryVmNic *
read_nic(Reader *r, JsonObject *object)
{
	FerryVmNic *nic = g_object_new(FERRY_TYPE_VM_NIC, NULL);
	JsonNode *network = json_object_get_member(object, "network");

	nic->json = json_object_ref(object);
	nic->mac = read_string(r, object, "mac");
	nic->model = read_string(r, object, "model");
	if (network != NULL && JSON_NODE_HOLDS_VALUE(network)) {
		/* a source description: the source network's id */
		nic->network_name = read_string(r, object, "network");
	} else {
		JsonObject *ref = read_object(r, object, "network");
		const char *saved = r->path;
		g_autofree char *path = g_strconcat(saved, "network.", NULL);
		r->path = path;
		nic->network_type = read_string(r, ref, "type");
		nic->network_name = read_string(r, ref, "name");
		nic->network_namespace = read_string(r, ref, "namespace");
		r->path = saved;
	}
	return nic;
}

/**
 * ferry_vm_spec_new_from_json:
 * @document: a VM description: a `vm_spec` the engine built, or what a
 *   provider's describe_vm() returned
 * @error: return location for a #GError
 *
 * Reads @document (a copy of it is kept) and checks the types of the
 * members this type names.
 *
 * Returns: (transfer full) (nullable): the description, or %NULL with
 *   @error set when a member has the wrong type or `name` is missing
 *
 * Since: 0.1
 */
FerryVmSpec *
ferry_vm_spec_new_from_json(JsonObject *document, GError **error)
{
	g_autoptr(FerryVmSpec) self = NULL;
	Reader r = {"?", "", error, FALSE};
	JsonObject *cpu, *firmware, *source;
	JsonArray *disks, *nics;
	const char *firmware_type;

	g_return_val_if_fail(document != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = g_object_new(FERRY_TYPE_VM_SPEC, NULL);
	self->json = ferry_json_object_copy(document);
	self->name = read_string(&r, self->json, "name");
	if (r.failed)
		return NULL;
	if (self->name == NULL || self->name[0] == '\0') {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the VM description has no name");
		return NULL;
	}
	r.vm = self->name;
	self->name_space = read_string(&r, self->json, "namespace");
	self->plan = read_string(&r, self->json, "plan");
	self->migration = read_string(&r, self->json, "migration");
	self->guest_os = read_string(&r, self->json, "osType");
	self->target_power_state = read_string(&r, self->json, "targetPowerState");
	self->memory_mib = read_uint(&r, self->json, "memoryMiB", 0);
	source = read_object(&r, self->json, "source");
	r.path = "source.";
	self->source_type = read_string(&r, source, "type");
	self->source_vm = read_object(&r, source, "vm");
	cpu = read_object(&r, self->json, "cpu");
	r.path = "cpu.";
	self->sockets = MIN(read_uint(&r, cpu, "sockets", 1), G_MAXUINT);
	self->cores = MIN(read_uint(&r, cpu, "cores", 1), G_MAXUINT);
	self->threads = MIN(read_uint(&r, cpu, "threads", 1), G_MAXUINT);
	r.path = "";
	firmware = read_object(&r, self->json, "firmware");
	r.path = "firmware.";
	firmware_type = read_string(&r, firmware, "type");
	/* an empty type is not said: BIOS, as when the member is absent */
	if (firmware_type != NULL && firmware_type[0] == '\0')
		firmware_type = NULL;
	if (!r.failed && firmware_type != NULL && g_ascii_strcasecmp(firmware_type, "efi") != 0 &&
	    g_ascii_strcasecmp(firmware_type, "bios") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "VM %s: firmware type '%s' is not supported; use bios or efi", r.vm,
			    firmware_type);
		return NULL;
	}
	self->firmware = firmware_type != NULL && g_ascii_strcasecmp(firmware_type, "efi") == 0
			     ? FERRY_FIRMWARE_EFI
			     : FERRY_FIRMWARE_BIOS;
	self->secure_boot = read_bool(&r, firmware, "secureBoot");
	r.path = "";
	disks = read_array(&r, self->json, "disks");
	nics = read_array(&r, self->json, "nics");
	for (guint i = 0; !r.failed && disks != NULL && i < json_array_get_length(disks); i++) {
		JsonNode *node = json_array_get_element(disks, i);
		g_autofree char *path = g_strdup_printf("disks[%u].", i);
		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_autofree char *element = g_strdup_printf("disks[%u]", i);
			reader_fail(&r, element, "an object");
			break;
		}
		r.path = path;
		g_ptr_array_add(self->disks, read_disk(&r, json_node_get_object(node)));
		r.path = "";
	}
	for (guint i = 0; !r.failed && nics != NULL && i < json_array_get_length(nics); i++) {
		JsonNode *node = json_array_get_element(nics, i);
		g_autofree char *path = g_strdup_printf("nics[%u].", i);
		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_autofree char *element = g_strdup_printf("nics[%u]", i);
			reader_fail(&r, element, "an object");
			break;
		}
		r.path = path;
		g_ptr_array_add(self->nics, read_nic(&r, json_node_get_object(node)));
		r.path = "";
	}
	if (r.failed)
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * ferry_vm_spec_to_json:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer full): a copy of the document, the persisted form
 *
 * Since: 0.1
 */
JsonObject *
ferry_vm_spec_to_json(FerryVmSpec *self)
{
	g_return_val_if_fail(FERRY_IS_VM_SPEC(self), NULL);
	return ferry_json_object_copy(self->json);
}

/**
 * ferry_vm_spec_get_json:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none): the document, for members this type does not name
 *
 * Since: 0.1
 */
JsonObject *
ferry_vm_spec_get_json(FerryVmSpec *self)
{
	g_return_val_if_fail(FERRY_IS_VM_SPEC(self), NULL);
	return self->json;
}

#define SPEC_GETTER(ret, name, field, fallback)                                                  \
	ret ferry_vm_spec_get_##name(FerryVmSpec *self)                                          \
	{                                                                                        \
		g_return_val_if_fail(FERRY_IS_VM_SPEC(self), fallback);                          \
		return self->field;                                                              \
	}

/**
 * ferry_vm_spec_get_name:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none): the (target) VM name
 *
 * Since: 0.1
 */
SPEC_GETTER(const char *, name, name, NULL)
/**
 * ferry_vm_spec_get_namespace:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none) (nullable): the target namespace
 *
 * Since: 0.1
 */
SPEC_GETTER(const char *, namespace, name_space, NULL)
/**
 * ferry_vm_spec_get_plan:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none) (nullable): the plan's name
 *
 * Since: 0.1
 */
SPEC_GETTER(const char *, plan, plan, NULL)
/**
 * ferry_vm_spec_get_migration:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none) (nullable): the UID of the Migration that moves
 *   the VM, for labels that tie what a destination makes to the migration
 *
 * Since: 0.1
 */
SPEC_GETTER(const char *, migration, migration, NULL)
/**
 * ferry_vm_spec_get_guest_os:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none) (nullable): the guest OS the source names
 *   (`osType`), e.g. `rhel9_64Guest`
 *
 * Since: 0.1
 */
SPEC_GETTER(const char *, guest_os, guest_os, NULL)
/**
 * ferry_vm_spec_get_source_type:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none) (nullable): the source provider type
 *
 * Since: 0.1
 */
SPEC_GETTER(const char *, source_type, source_type, NULL)
/**
 * ferry_vm_spec_get_source_vm:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none) (nullable): the source's inventory document
 *
 * Since: 0.1
 */
SPEC_GETTER(JsonObject *, source_vm, source_vm, NULL)
/**
 * ferry_vm_spec_get_target_power_state:
 * @self: a #FerryVmSpec
 *
 * Returns: (transfer none) (nullable): `on`, `off` or `auto`
 *
 * Since: 0.1
 */
SPEC_GETTER(const char *, target_power_state, target_power_state, NULL)
/**
 * ferry_vm_spec_get_memory_mib:
 * @self: a #FerryVmSpec
 *
 * Returns: the memory in MiB, 0 when not said
 *
 * Since: 0.1
 */
SPEC_GETTER(guint64, memory_mib, memory_mib, 0)
/**
 * ferry_vm_spec_get_cpu_sockets:
 * @self: a #FerryVmSpec
 *
 * Returns: CPU sockets, 1 when not said
 *
 * Since: 0.1
 */
SPEC_GETTER(guint, cpu_sockets, sockets, 1)
/**
 * ferry_vm_spec_get_cpu_cores:
 * @self: a #FerryVmSpec
 *
 * Returns: cores per socket, 1 when not said
 *
 * Since: 0.1
 */
SPEC_GETTER(guint, cpu_cores, cores, 1)
/**
 * ferry_vm_spec_get_cpu_threads:
 * @self: a #FerryVmSpec
 *
 * Returns: threads per core, 1 when not said
 *
 * Since: 0.1
 */
SPEC_GETTER(guint, cpu_threads, threads, 1)
/**
 * ferry_vm_spec_get_firmware:
 * @self: a #FerryVmSpec
 *
 * Returns: BIOS (the default, when `firmware.type` is absent or empty) or
 *   EFI; the type is read in any case (`efi`, `EFI`)
 *
 * Since: 0.1
 */
SPEC_GETTER(FerryFirmware, firmware, firmware, FERRY_FIRMWARE_BIOS)
/**
 * ferry_vm_spec_get_secure_boot:
 * @self: a #FerryVmSpec
 *
 * Returns: whether EFI secure boot is on
 *
 * Since: 0.1
 */
SPEC_GETTER(gboolean, secure_boot, secure_boot, FALSE)

/**
 * ferry_vm_spec_get_n_disks:
 * @self: a #FerryVmSpec
 *
 * Returns: the number of disks
 *
 * Since: 0.1
 */
guint
ferry_vm_spec_get_n_disks(FerryVmSpec *self)
{
	g_return_val_if_fail(FERRY_IS_VM_SPEC(self), 0);
	return self->disks->len;
}

/**
 * ferry_vm_spec_get_disk:
 * @self: a #FerryVmSpec
 * @index: a disk index, below ferry_vm_spec_get_n_disks()
 *
 * Returns: (transfer none): the disk
 *
 * Since: 0.1
 */
FerryVmDisk *
ferry_vm_spec_get_disk(FerryVmSpec *self, guint index)
{
	g_return_val_if_fail(FERRY_IS_VM_SPEC(self), NULL);
	g_return_val_if_fail(index < self->disks->len, NULL);
	return g_ptr_array_index(self->disks, index);
}

/**
 * ferry_vm_spec_get_n_nics:
 * @self: a #FerryVmSpec
 *
 * Returns: the number of NICs
 *
 * Since: 0.1
 */
guint
ferry_vm_spec_get_n_nics(FerryVmSpec *self)
{
	g_return_val_if_fail(FERRY_IS_VM_SPEC(self), 0);
	return self->nics->len;
}

/**
 * ferry_vm_spec_get_nic:
 * @self: a #FerryVmSpec
 * @index: a NIC index, below ferry_vm_spec_get_n_nics()
 *
 * Returns: (transfer none): the NIC
 *
 * Since: 0.1
 */
FerryVmNic *
ferry_vm_spec_get_nic(FerryVmSpec *self, guint index)
{
	g_return_val_if_fail(FERRY_IS_VM_SPEC(self), NULL);
	g_return_val_if_fail(index < self->nics->len, NULL);
	return g_ptr_array_index(self->nics, index);
}

#define DISK_GETTER(ret, name, field, fallback)                                                  \
	ret ferry_vm_disk_get_##name(FerryVmDisk *self)                                          \
	{                                                                                        \
		g_return_val_if_fail(FERRY_IS_VM_DISK(self), fallback);                          \
		return self->field;                                                              \
	}

/**
 * ferry_vm_disk_get_id:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): the source disk's id or key, as
 *   ferry_provider_open_disk() takes it
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, id, id, NULL)
/**
 * ferry_vm_disk_get_name:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): the target disk's name (the PVC name)
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, name, name, NULL)
/**
 * ferry_vm_disk_get_capacity:
 * @self: a #FerryVmDisk
 *
 * Returns: the size in bytes
 *
 * Since: 0.1
 */
DISK_GETTER(guint64, capacity, capacity, 0)
/**
 * ferry_vm_disk_get_format:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): `raw`, `qcow2`, …
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, format, format, NULL)
/**
 * ferry_vm_disk_get_bus:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): `virtio`, `sata`, `scsi`, …
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, bus, bus, NULL)
/**
 * ferry_vm_disk_get_path:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): where the written disk is, once a
 *   destination said so
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, path, path, NULL)
/**
 * ferry_vm_disk_get_file_name:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): the source disk's file name
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, file_name, file_name, NULL)
/**
 * ferry_vm_disk_get_storage_class:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): the StorageMap's storage class
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, storage_class, storage_class, NULL)
/**
 * ferry_vm_disk_get_storage:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none) (nullable): the source storage (datastore, pool,
 *   storage domain) the StorageMap pairs, in a source description
 *
 * Since: 0.1
 */
DISK_GETTER(const char *, storage, storage, NULL)
/**
 * ferry_vm_disk_get_shared:
 * @self: a #FerryVmDisk
 *
 * Returns: whether several VMs use the disk
 *
 * Since: 0.1
 */
DISK_GETTER(gboolean, shared, shared, FALSE)
/**
 * ferry_vm_disk_get_populated_size:
 * @self: a #FerryVmDisk
 *
 * Returns: the bytes of data the disk holds, when the source knows
 *   (`populatedSize`, e.g. an OVF's ovf:populatedSize); 0 when it does not.
 *   A destination can check its free space with it before copying.
 *
 * Since: 0.1
 */
DISK_GETTER(guint64, populated_size, populated_size, 0)
/**
 * ferry_vm_disk_get_json:
 * @self: a #FerryVmDisk
 *
 * Returns: (transfer none): the disk's member of the document
 *
 * Since: 0.1
 */
DISK_GETTER(JsonObject *, json, json, NULL)

#define NIC_GETTER(ret, name, field, fallback)                                                   \
	ret ferry_vm_nic_get_##name(FerryVmNic *self)                                            \
	{                                                                                        \
		g_return_val_if_fail(FERRY_IS_VM_NIC(self), fallback);                           \
		return self->field;                                                              \
	}

/**
 * ferry_vm_nic_get_mac:
 * @self: a #FerryVmNic
 *
 * Returns: (transfer none) (nullable): the MAC address
 *
 * Since: 0.1
 */
NIC_GETTER(const char *, mac, mac, NULL)
/**
 * ferry_vm_nic_get_network_type:
 * @self: a #FerryVmNic
 *
 * Returns: (transfer none) (nullable): `pod`, `multus` or `ignored` (%NULL
 *   in a source description)
 *
 * Since: 0.1
 */
NIC_GETTER(const char *, network_type, network_type, NULL)
/**
 * ferry_vm_nic_get_network_name:
 * @self: a #FerryVmNic
 *
 * Returns: (transfer none) (nullable): the Multus network's name, or the
 *   source network's id in a source description
 *
 * Since: 0.1
 */
NIC_GETTER(const char *, network_name, network_name, NULL)
/**
 * ferry_vm_nic_get_network_namespace:
 * @self: a #FerryVmNic
 *
 * Returns: (transfer none) (nullable): the Multus network's namespace
 *
 * Since: 0.1
 */
NIC_GETTER(const char *, network_namespace, network_namespace, NULL)
/**
 * ferry_vm_nic_get_model:
 * @self: a #FerryVmNic
 *
 * Returns: (transfer none) (nullable): `virtio`, `e1000e`, …
 *
 * Since: 0.1
 */
NIC_GETTER(const char *, model, model, NULL)
/**
 * ferry_vm_nic_get_json:
 * @self: a #FerryVmNic
 *
 * Returns: (transfer none): the NIC's member of the document
 *
 * Since: 0.1
 */
NIC_GETTER(JsonObject *, json, json, NULL)

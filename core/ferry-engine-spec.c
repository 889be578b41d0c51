/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-engine-spec-private.h"
#include "ferry-error.h"

/* Builds the target VM description (`vm_spec`) from the source inventory
 * document, the plan and the maps, the way Forklift's builders do. */

static JsonObject *
ref_object(JsonNode *node)
{
	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* a reference may be a string id or an object {id, name, kind} */
static const char *
ref_id(JsonObject *object, const char *member)
{
	JsonNode *node;
	if (object == NULL || !json_object_has_member(object, member))
		return NULL;
	node = json_object_get_member(object, member);
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_get_string(node);
	if (ref_object(node) != NULL) {
		JsonObject *ref = ref_object(node);
		if (json_object_has_member(ref, "id"))
			return json_object_get_string_member(ref, "id");
		if (json_object_has_member(ref, "name"))
			return json_object_get_string_member(ref, "name");
	}
	return NULL;
}

static void
add_disk(JsonArray *disks,
	 const char *id,
	 gint64 capacity,
	 const char *storage,
	 const char *bus,
	 const char *file_name,
	 gboolean shared)
{
	JsonObject *disk = json_object_new();
	json_object_set_string_member(disk, "id", id);
	json_object_set_int_member(disk, "capacity", capacity);
	if (storage != NULL)
		json_object_set_string_member(disk, "storage", storage);
	json_object_set_string_member(disk, "bus", bus != NULL ? bus : "scsi");
	if (file_name != NULL)
		json_object_set_string_member(disk, "fileName", file_name);
	json_object_set_boolean_member(disk, "shared", shared);
	json_array_add_object_element(disks, disk);
}

static void
add_nic(JsonArray *nics, const char *mac, const char *network, const char *model, const char *name)
{
	JsonObject *nic = json_object_new();
	if (mac != NULL)
		json_object_set_string_member(nic, "mac", mac);
	if (network != NULL)
		json_object_set_string_member(nic, "network", network);
	json_object_set_string_member(nic, "model", model != NULL ? model : "virtio");
	if (name != NULL)
		json_object_set_string_member(nic, "name", name);
	json_array_add_object_element(nics, nic);
}

/* vSphere and OVA share Forklift's field names for CPU, memory and firmware */
static void
describe_common(JsonObject *vm, JsonObject *out)
{
	gint64 cpus = MAX(1, ferry_json_get_int(vm, "cpuCount", 1));
	gint64 cores = MAX(1, ferry_json_get_int(vm, "coresPerSocket", 1));
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	const char *fw = ferry_json_get_string(vm, "firmware", "bios");

	if (cpus % cores != 0)
		cores = 1;
	json_object_set_int_member(cpu, "sockets", cpus / cores);
	json_object_set_int_member(cpu, "cores", cores);
	json_object_set_int_member(cpu, "threads", 1);
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB", MAX(1, ferry_json_get_int(vm, "memoryMB", 1024)));
	json_object_set_string_member(firmware, "type",
				      g_ascii_strcasecmp(fw, "efi") == 0 ? "efi" : "bios");
	json_object_set_boolean_member(firmware, "secureBoot",
				       ferry_json_get_bool(vm, "secureBoot", FALSE));
	json_object_set_object_member(out, "firmware", firmware);
}

static void
describe_vsphere(JsonObject *vm, JsonObject *out)
{
	JsonArray *in_disks = ferry_json_get_array(vm, "disks");
	JsonArray *in_nics = ferry_json_get_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();

	describe_common(vm, out);
	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		g_autofree char *key = g_strdup_printf("%" G_GINT64_FORMAT,
						       ferry_json_get_int(d, "key", i));
		const char *file = ferry_json_get_string(d, "file", NULL);
		const char *base = file != NULL ? strrchr(file, '/') : NULL;
		add_disk(disks, key, ferry_json_get_int(d, "capacity", 0), ref_id(d, "datastore"),
			 ferry_json_get_string(d, "bus", "scsi"),
			 base != NULL ? base + 1 : file, ferry_json_get_bool(d, "shared", FALSE));
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		add_nic(nics, ferry_json_get_string(n, "mac", NULL), ref_id(n, "network"), "virtio",
			NULL);
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
}

static void
describe_ova(JsonObject *vm, JsonObject *out)
{
	JsonArray *in_disks = ferry_json_get_array(vm, "disks");
	JsonArray *in_nics = ferry_json_get_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();

	describe_common(vm, out);
	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		const char *id = ferry_json_get_string(d, "id", ferry_json_get_string(d, "diskId", NULL));
		g_autofree char *fallback = g_strdup_printf("disk-%u", i);
		/* one storage per OVF disk: its id is the disk id */
		add_disk(disks, id != NULL ? id : fallback, ferry_json_get_int(d, "capacity", 0),
			 id != NULL ? id : fallback, "scsi", ferry_json_get_string(d, "filePath", NULL),
			 FALSE);
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		add_nic(nics, ferry_json_get_string(n, "mac", NULL), ref_id(n, "network"), "virtio",
			ferry_json_get_string(n, "name", NULL));
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	if (ferry_json_get_string(vm, "osType", NULL) != NULL)
		json_object_set_string_member(out, "osType", ferry_json_get_string(vm, "osType", NULL));
}

static void
describe_ovirt(JsonObject *vm, JsonObject *out)
{
	JsonArray *attachments = ferry_json_get_array(vm, "diskAttachments");
	JsonArray *in_nics = ferry_json_get_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	const char *bios = ferry_json_get_string(vm, "bios", "");

	json_object_set_int_member(cpu, "sockets", MAX(1, ferry_json_get_int(vm, "cpuSockets", 1)));
	json_object_set_int_member(cpu, "cores", MAX(1, ferry_json_get_int(vm, "cpuCores", 1)));
	json_object_set_int_member(cpu, "threads", MAX(1, ferry_json_get_int(vm, "cpuThreads", 1)));
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   MAX(1, ferry_json_get_int(vm, "memory", 1 << 30) / (1024 * 1024)));
	json_object_set_string_member(firmware, "type",
				      g_str_has_prefix(bios, "q35_ovmf") ||
					      g_str_has_prefix(bios, "q35_secure")
					  ? "efi"
					  : "bios");
	json_object_set_boolean_member(firmware, "secureBoot",
				       g_str_has_prefix(bios, "q35_secure"));
	json_object_set_object_member(out, "firmware", firmware);
	for (guint i = 0; attachments != NULL && i < json_array_get_length(attachments); i++) {
		JsonObject *a = json_array_get_object_element(attachments, i);
		JsonObject *disk = ferry_json_get_object(a, "disk");
		const char *id = ref_id(a, "disk");
		gint64 capacity = MAX(ferry_json_get_int(disk, "provisionedSize", 0),
				      ferry_json_get_int(disk, "actualSize", 0));
		add_disk(disks, id != NULL ? id : ferry_json_get_string(a, "id", "disk"), capacity,
			 ref_id(disk, "storageDomain"), ferry_json_get_string(a, "interface", "virtio"),
			 NULL, ferry_json_get_bool(disk, "shared", FALSE));
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		add_nic(nics, ferry_json_get_string(n, "mac", NULL), ref_id(n, "profile"),
			ferry_json_get_string(n, "interface", "virtio"),
			ferry_json_get_string(n, "name", NULL));
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
}

JsonObject *
ferry_engine_describe_source_vm(FerryProvider *provider,
				const char *provider_type,
				JsonObject *vm,
				GError **error)
{
	g_autoptr(GError) local_error = NULL;
	JsonObject *out = NULL;

	if (provider != NULL)
		out = ferry_provider_describe_vm(provider, vm, &local_error);
	if (local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	if (out != NULL)
		return out;
	out = json_object_new();
	json_object_set_string_member(out, "name", ferry_json_get_string(vm, "name", "vm"));
	if (g_strcmp0(provider_type, "ovirt") == 0)
		describe_ovirt(vm, out);
	else if (g_strcmp0(provider_type, "ova") == 0)
		describe_ova(vm, out);
	else
		/* vSphere field names; providers with other shapes implement describe_vm */
		describe_vsphere(vm, out);
	return out;
}

/* the pair of a map whose source matches @ref by id or by name */
static JsonObject *
find_map_pair(JsonObject *map, const char *ref)
{
	JsonArray *pairs = ferry_json_get_array(map, "spec.map");
	for (guint i = 0; ref != NULL && pairs != NULL && i < json_array_get_length(pairs); i++) {
		JsonObject *pair = json_array_get_object_element(pairs, i);
		JsonObject *source = ferry_json_get_object(pair, "source");
		if (g_strcmp0(ferry_json_get_string(source, "id", NULL), ref) == 0 ||
		    g_strcmp0(ferry_json_get_string(source, "name", NULL), ref) == 0)
			return pair;
	}
	return NULL;
}

static char *
trunc_utf8(const char *text, glong n)
{
	if (g_utf8_strlen(text, -1) <= n)
		return g_strdup(text);
	return g_utf8_substring(text, 0, n);
}

static char *
default_pvc_name(const char *plan_name, const char *target_name, guint index)
{
	g_autofree char *plan = trunc_utf8(plan_name, 15);
	g_autofree char *vm = trunc_utf8(target_name, 15);
	return g_strdup_printf("%s-%s-disk-%u", plan, vm, index);
}

/* Forklift's ChangeVmName, for names that are not DNS-1123 labels */
char *
ferry_engine_sanitize_name(const char *name, const char *fallback)
{
	g_autofree char *lower = g_utf8_strdown(name != NULL ? name : "", -1);
	g_auto(GStrv) parts = g_strsplit(g_strstrip(lower), ".", -1);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; parts[i] != NULL; i++) {
		g_autoptr(GString) part = g_string_new(NULL);
		for (const char *p = parts[i]; *p != '\0'; p++) {
			char c = *p;
			if (strchr("_+* /\\", c) != NULL)
				c = '-';
			if (g_ascii_isalnum(c) || c == '-') {
				if (c == '-' && part->len > 0 && part->str[part->len - 1] == '-')
					continue;
				g_string_append_c(part, c);
			}
		}
		while (part->len > 0 && part->str[0] == '-')
			g_string_erase(part, 0, 1);
		if (part->len > 63)
			g_string_truncate(part, 63);
		while (part->len > 0 && part->str[part->len - 1] == '-')
			g_string_truncate(part, part->len - 1);
		if (part->len == 0)
			continue;
		if (out->len > 0)
			g_string_append_c(out, '.');
		g_string_append(out, part->str);
	}
	if (out->len > 63)
		g_string_truncate(out, 63);
	while (out->len > 0 && (out->str[out->len - 1] == '-' || out->str[out->len - 1] == '.'))
		g_string_truncate(out, out->len - 1);
	if (out->len == 0)
		return g_strdup(fallback);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

JsonObject *
ferry_engine_build_vm_spec(JsonObject *context,
			   JsonObject *plan_vm,
			   JsonObject *source_vm,
			   JsonObject *described,
			   const char *migration_uid,
			   GError **error)
{
	JsonObject *plan = ferry_json_get_object(context, "plan");
	const char *plan_name = ferry_json_get_string(plan, "metadata.name", "plan");
	const char *vm_id = ferry_json_get_string(plan_vm, "id", NULL);
	const char *target_name = ferry_json_get_string(plan_vm, "targetName", NULL);
	g_autofree char *name = NULL;
	g_autoptr(JsonObject) spec = json_object_new();
	JsonArray *in_disks = ferry_json_get_array(described, "disks");
	JsonArray *in_nics = ferry_json_get_array(described, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonObject *source = json_object_new();
	JsonObject *labels = json_object_new();
	gboolean raw_copy = ferry_json_get_bool(plan, "spec.skipGuestConversion", FALSE);
	gboolean compat = raw_copy && ferry_json_get_bool(plan, "spec.useCompatibilityMode", TRUE);
	guint pod_networks = 0;

	name = target_name != NULL
		   ? g_strdup(target_name)
		   : ferry_engine_sanitize_name(ferry_json_get_string(described, "name", vm_id),
						"vm-0000");
	json_object_set_string_member(spec, "name", name);
	json_object_set_string_member(
	    spec, "namespace",
	    ferry_json_get_string(plan, "spec.targetNamespace",
				  ferry_json_get_string(plan, "metadata.namespace", "default")));
	json_object_set_string_member(spec, "plan", plan_name);
	json_object_set_string_member(spec, "migration", migration_uid);
	json_object_set_string_member(source, "provider",
				      ferry_json_get_string(context, "source.name", ""));
	json_object_set_string_member(source, "type", ferry_json_get_string(context, "source.type", ""));
	json_object_set_string_member(source, "vmId", vm_id != NULL ? vm_id : "");
	json_object_set_object_member(source, "vm", ferry_json_object_copy(source_vm));
	json_object_set_object_member(spec, "source", source);
	json_object_set_object_member(spec, "cpu",
				      ferry_json_object_copy(ferry_json_get_object(described, "cpu")));
	json_object_set_int_member(spec, "memoryMiB", ferry_json_get_int(described, "memoryMiB", 1024));
	json_object_set_object_member(
	    spec, "firmware", ferry_json_object_copy(ferry_json_get_object(described, "firmware")));
	if (ferry_json_get_string(described, "osType", NULL) != NULL)
		json_object_set_string_member(spec, "osType",
					      ferry_json_get_string(described, "osType", NULL));
	json_object_set_boolean_member(spec, "rawCopy", raw_copy);
	json_object_set_boolean_member(spec, "compatibilityMode", compat);
	json_object_set_string_member(
	    spec, "targetPowerState",
	    ferry_json_get_string(plan_vm, "targetPowerState",
				  ferry_json_get_string(plan, "spec.targetPowerState", "auto")));

	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		JsonObject *pair = find_map_pair(ferry_json_get_object(context, "storageMap"),
						 ferry_json_get_string(d, "storage", NULL));
		JsonObject *disk = ferry_json_object_copy(d);
		g_autofree char *pvc = default_pvc_name(plan_name, name, i);

		if (pair == NULL && ferry_json_get_object(context, "storageMap") != NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "VM %s: disk %s is on storage '%s', which the StorageMap does "
				    "not map; add a pair for it to the StorageMap",
				    name, ferry_json_get_string(d, "id", "?"),
				    ferry_json_get_string(d, "storage", "(none)"));
			json_object_unref(disk);
			json_array_unref(disks);
			json_array_unref(nics);
			return NULL;
		}
		json_object_set_string_member(disk, "name", pvc);
		json_object_set_string_member(
		    disk, "storageClass",
		    ferry_json_get_string(pair, "destination.storageClass", ""));
		json_object_set_string_member(
		    disk, "volumeMode",
		    ferry_json_get_string(pair, "destination.volumeMode", "Filesystem"));
		json_object_set_string_member(
		    disk, "accessMode",
		    ferry_json_get_string(pair, "destination.accessMode", "ReadWriteOnce"));
		json_object_set_string_member(disk, "bus", compat ? "sata" : "virtio");
		if (!json_object_has_member(disk, "format"))
			json_object_set_string_member(disk, "format", "raw");
		json_array_add_object_element(disks, disk);
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		JsonObject *pair = find_map_pair(ferry_json_get_object(context, "networkMap"),
						 ferry_json_get_string(n, "network", NULL));
		JsonObject *nic = json_object_new();
		JsonObject *network = json_object_new();
		const char *type = ferry_json_get_string(pair, "destination.type", "pod");

		if (g_strcmp0(type, "ignored") == 0) {
			json_object_unref(nic);
			json_object_unref(network);
			continue;
		}
		if (g_strcmp0(type, "pod") == 0 && ++pod_networks > 1) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "VM %s: more than one NIC maps to the pod network; map the "
				    "others to Multus networks or 'ignored' in the NetworkMap",
				    name);
			json_object_unref(nic);
			json_object_unref(network);
			json_array_unref(disks);
			json_array_unref(nics);
			return NULL;
		}
		json_object_set_string_member(network, "type", type);
		if (g_strcmp0(type, "multus") == 0) {
			json_object_set_string_member(
			    network, "name", ferry_json_get_string(pair, "destination.name", ""));
			json_object_set_string_member(
			    network, "namespace",
			    ferry_json_get_string(pair, "destination.namespace", ""));
		}
		if (ferry_json_get_string(n, "mac", NULL) != NULL)
			json_object_set_string_member(nic, "mac", ferry_json_get_string(n, "mac", NULL));
		json_object_set_object_member(nic, "network", network);
		json_object_set_string_member(nic, "model", compat ? "e1000e" : "virtio");
		json_array_add_object_element(nics, nic);
	}
	json_object_set_array_member(spec, "disks", disks);
	json_object_set_array_member(spec, "nics", nics);
	json_object_set_string_member(labels, "migration", migration_uid);
	json_object_set_string_member(labels, "plan", ferry_json_get_string(plan, "metadata.uid", plan_name));
	json_object_set_string_member(labels, "plan-name", plan_name);
	json_object_set_string_member(labels, "plan-namespace",
				      ferry_json_get_string(plan, "metadata.namespace", "default"));
	if (vm_id != NULL)
		json_object_set_string_member(labels, "vmID", vm_id);
	json_object_set_object_member(spec, "labels", labels);
	return g_steal_pointer(&spec);
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-engine-spec-private.h"
#include "ferry-error.h"
#include "ferry-naming.h"

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
	gint64 cpus = MAX(1, ferry_json_path_int(vm, "cpuCount", 1));
	gint64 cores = MAX(1, ferry_json_path_int(vm, "coresPerSocket", 1));
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	const char *fw = ferry_json_path_string(vm, "firmware", "bios");

	if (cpus % cores != 0)
		cores = 1;
	json_object_set_int_member(cpu, "sockets", cpus / cores);
	json_object_set_int_member(cpu, "cores", cores);
	json_object_set_int_member(cpu, "threads", 1);
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB", MAX(1, ferry_json_path_int(vm, "memoryMB", 1024)));
	json_object_set_string_member(firmware, "type",
				      g_ascii_strcasecmp(fw, "efi") == 0 ? "efi" : "bios");
	json_object_set_boolean_member(firmware, "secureBoot",
				       ferry_json_path_bool(vm, "secureBoot", FALSE));
	json_object_set_object_member(out, "firmware", firmware);
}

static void
describe_vsphere(JsonObject *vm, JsonObject *out)
{
	JsonArray *in_disks = ferry_json_path_array(vm, "disks");
	JsonArray *in_nics = ferry_json_path_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();

	describe_common(vm, out);
	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		g_autofree char *key = g_strdup_printf("%" G_GINT64_FORMAT,
						       ferry_json_path_int(d, "key", i));
		const char *file = ferry_json_path_string(d, "file", NULL);
		const char *base = file != NULL ? strrchr(file, '/') : NULL;
		add_disk(disks, key, ferry_json_path_int(d, "capacity", 0), ref_id(d, "datastore"),
			 ferry_json_path_string(d, "bus", "scsi"),
			 base != NULL ? base + 1 : file, ferry_json_path_bool(d, "shared", FALSE));
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		add_nic(nics, ferry_json_path_string(n, "mac", NULL), ref_id(n, "network"), "virtio",
			NULL);
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
}

static void
describe_ova(JsonObject *vm, JsonObject *out)
{
	JsonArray *in_disks = ferry_json_path_array(vm, "disks");
	JsonArray *in_nics = ferry_json_path_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();

	describe_common(vm, out);
	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		const char *id = ferry_json_path_string(d, "id", ferry_json_path_string(d, "diskId", NULL));
		g_autofree char *fallback = g_strdup_printf("disk-%u", i);
		/* one storage per OVF disk: its id is the disk id */
		add_disk(disks, id != NULL ? id : fallback, ferry_json_path_int(d, "capacity", 0),
			 id != NULL ? id : fallback, "scsi", ferry_json_path_string(d, "filePath", NULL),
			 FALSE);
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		add_nic(nics, ferry_json_path_string(n, "mac", NULL), ref_id(n, "network"), "virtio",
			ferry_json_path_string(n, "name", NULL));
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	if (ferry_json_path_string(vm, "osType", NULL) != NULL)
		json_object_set_string_member(out, "osType", ferry_json_path_string(vm, "osType", NULL));
}

static void
describe_ovirt(JsonObject *vm, JsonObject *out)
{
	JsonArray *attachments = ferry_json_path_array(vm, "diskAttachments");
	JsonArray *in_nics = ferry_json_path_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	const char *bios = ferry_json_path_string(vm, "bios", "");

	json_object_set_int_member(cpu, "sockets", MAX(1, ferry_json_path_int(vm, "cpuSockets", 1)));
	json_object_set_int_member(cpu, "cores", MAX(1, ferry_json_path_int(vm, "cpuCores", 1)));
	json_object_set_int_member(cpu, "threads", MAX(1, ferry_json_path_int(vm, "cpuThreads", 1)));
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   MAX(1, ferry_json_path_int(vm, "memory", 1 << 30) / (1024 * 1024)));
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
		JsonObject *disk = ferry_json_path_object(a, "disk");
		const char *id = ref_id(a, "disk");
		gint64 capacity = MAX(ferry_json_path_int(disk, "provisionedSize", 0),
				      ferry_json_path_int(disk, "actualSize", 0));
		add_disk(disks, id != NULL ? id : ferry_json_path_string(a, "id", "disk"), capacity,
			 ref_id(disk, "storageDomain"), ferry_json_path_string(a, "interface", "virtio"),
			 NULL, ferry_json_path_bool(disk, "shared", FALSE));
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		add_nic(nics, ferry_json_path_string(n, "mac", NULL), ref_id(n, "profile"),
			ferry_json_path_string(n, "interface", "virtio"),
			ferry_json_path_string(n, "name", NULL));
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
	json_object_set_string_member(out, "name", ferry_json_path_string(vm, "name", "vm"));
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
	JsonArray *pairs = ferry_json_path_array(map, "spec.map");
	for (guint i = 0; ref != NULL && pairs != NULL && i < json_array_get_length(pairs); i++) {
		JsonObject *pair = json_array_get_object_element(pairs, i);
		JsonObject *source = ferry_json_path_object(pair, "source");
		if (g_strcmp0(ferry_json_path_string(source, "id", NULL), ref) == 0 ||
		    g_strcmp0(ferry_json_path_string(source, "name", NULL), ref) == 0)
			return pair;
	}
	return NULL;
}

JsonObject *
ferry_engine_build_vm_spec(JsonObject *context,
			   JsonObject *plan_vm,
			   JsonObject *source_vm,
			   JsonObject *described,
			   const char *migration_uid,
			   GError **error)
{
	JsonObject *plan = ferry_json_path_object(context, "plan");
	const char *plan_name = ferry_json_path_string(plan, "metadata.name", "plan");
	const char *vm_id = ferry_json_path_string(plan_vm, "id", NULL);
	const char *target_name = ferry_json_path_string(plan_vm, "targetName", NULL);
	g_autofree char *name = NULL;
	g_autoptr(JsonObject) spec = json_object_new();
	JsonArray *in_disks = ferry_json_path_array(described, "disks");
	JsonArray *in_nics = ferry_json_path_array(described, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonObject *source = json_object_new();
	JsonObject *labels = json_object_new();
	gboolean raw_copy = ferry_json_path_bool(plan, "spec.skipGuestConversion", FALSE);
	gboolean compat = raw_copy && ferry_json_path_bool(plan, "spec.useCompatibilityMode", TRUE);
	guint pod_networks = 0;

	/* Forklift's ResolveTargetVmName: targetName, an earlier newName, the
	 * name when it is a DNS-1123 label, else ChangeVmName */
	name = ferry_naming_resolve_target_vm_name(
	    target_name, ferry_json_path_string(plan_vm, "newName", NULL),
	    ferry_json_path_string(described, "name", vm_id), vm_id, NULL, error);
	if (name == NULL)
		return NULL;
	json_object_set_string_member(spec, "name", name);
	json_object_set_string_member(
	    spec, "namespace",
	    ferry_json_path_string(plan, "spec.targetNamespace",
				  ferry_json_path_string(plan, "metadata.namespace", "default")));
	json_object_set_string_member(spec, "plan", plan_name);
	json_object_set_string_member(spec, "migration", migration_uid);
	json_object_set_string_member(source, "provider",
				      ferry_json_path_string(context, "source.name", ""));
	json_object_set_string_member(source, "type", ferry_json_path_string(context, "source.type", ""));
	json_object_set_string_member(source, "vmId", vm_id != NULL ? vm_id : "");
	json_object_set_object_member(source, "vm", ferry_json_object_copy(source_vm));
	json_object_set_object_member(spec, "source", source);
	json_object_set_object_member(spec, "cpu",
				      ferry_json_object_copy(ferry_json_path_object(described, "cpu")));
	json_object_set_int_member(spec, "memoryMiB", ferry_json_path_int(described, "memoryMiB", 1024));
	json_object_set_object_member(
	    spec, "firmware", ferry_json_object_copy(ferry_json_path_object(described, "firmware")));
	if (ferry_json_path_string(described, "osType", NULL) != NULL)
		json_object_set_string_member(spec, "osType",
					      ferry_json_path_string(described, "osType", NULL));
	json_object_set_boolean_member(spec, "rawCopy", raw_copy);
	json_object_set_boolean_member(spec, "preserveStaticIPs",
				       ferry_json_path_bool(plan, "spec.preserveStaticIPs", TRUE));
	json_object_set_boolean_member(spec, "compatibilityMode", compat);
	/* the plan's own names, as destinations read them */
	json_object_set_boolean_member(spec, "skipGuestConversion", raw_copy);
	json_object_set_boolean_member(
	    spec, "useCompatibilityMode",
	    ferry_json_path_bool(plan, "spec.useCompatibilityMode", TRUE));
	json_object_set_string_member(
	    spec, "targetPowerState",
	    ferry_json_path_string(plan_vm, "targetPowerState",
				  ferry_json_path_string(plan, "spec.targetPowerState", "auto")));

	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		JsonObject *pair = find_map_pair(ferry_json_path_object(context, "storageMap"),
						 ferry_json_path_string(d, "storage", NULL));
		JsonObject *disk = ferry_json_object_copy(d);
		g_autoptr(JsonObject) names = ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_PVC);
		g_autofree char *pvc = NULL;
		const char *pvc_template = ferry_json_path_string(
		    plan_vm, "pvcNameTemplate",
		    ferry_json_path_string(plan, "spec.pvcNameTemplate", NULL));

		if (pair == NULL && ferry_json_path_object(context, "storageMap") != NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "VM %s: disk %s is on storage '%s', which the StorageMap does "
				    "not map; add a pair for it to the StorageMap",
				    name, ferry_json_path_string(d, "id", "?"),
				    ferry_json_path_string(d, "storage", "(none)"));
			json_object_unref(disk);
			json_array_unref(disks);
			json_array_unref(nics);
			return NULL;
		}
		json_object_set_string_member(names, "VmName",
					      ferry_json_path_string(described, "name", ""));
		if (pvc_template == NULL) {
			/* the default template must give a DNS-1123 label: the dots a
			 * sanitised VM name may keep become dashes */
			g_autofree char *label_name = g_strdelimit(g_strdup(name), ".", '-');
			json_object_set_string_member(names, "TargetVmName", label_name);
		} else {
			json_object_set_string_member(names, "TargetVmName", name);
		}
		json_object_set_string_member(names, "PlanName", plan_name);
		json_object_set_int_member(names, "DiskIndex", i);
		json_object_set_string_member(names, "VmId", vm_id != NULL ? vm_id : "");
		json_object_set_string_member(names, "DiskId", ferry_json_path_string(d, "id", ""));
		json_object_set_string_member(names, "FileName",
					      ferry_json_path_string(d, "fileName", ""));
		json_object_set_boolean_member(names, "Shared", ferry_json_path_bool(d, "shared", FALSE));
		pvc = ferry_naming_render(FERRY_NAME_TEMPLATE_PVC, pvc_template, names,
					  g_strcmp0(ferry_json_path_string(context, "source.type", ""),
						    "openshift") == 0,
					  error);
		if (pvc == NULL) {
			g_prefix_error(error, "VM %s disk %u: ", name, i);
			json_object_unref(disk);
			json_array_unref(disks);
			json_array_unref(nics);
			return NULL;
		}
		json_object_set_string_member(disk, "name", pvc);
		json_object_set_string_member(
		    disk, "storageClass",
		    ferry_json_path_string(pair, "destination.storageClass", ""));
		/* left out unless the map sets them: CDI's StorageProfile decides */
		if (ferry_json_path_string(pair, "destination.volumeMode", NULL) != NULL)
			json_object_set_string_member(
			    disk, "volumeMode",
			    ferry_json_path_string(pair, "destination.volumeMode", NULL));
		if (ferry_json_path_string(pair, "destination.accessMode", NULL) != NULL)
			json_object_set_string_member(
			    disk, "accessMode",
			    ferry_json_path_string(pair, "destination.accessMode", NULL));
		json_object_set_string_member(disk, "bus", compat ? "sata" : "virtio");
		if (!json_object_has_member(disk, "format"))
			json_object_set_string_member(disk, "format", "raw");
		json_array_add_object_element(disks, disk);
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		JsonObject *pair = find_map_pair(ferry_json_path_object(context, "networkMap"),
						 ferry_json_path_string(n, "network", NULL));
		JsonObject *nic = json_object_new();
		JsonObject *network = json_object_new();
		const char *type = ferry_json_path_string(pair, "destination.type", "pod");

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
			    network, "name", ferry_json_path_string(pair, "destination.name", ""));
			json_object_set_string_member(
			    network, "namespace",
			    ferry_json_path_string(pair, "destination.namespace", ""));
		}
		if (ferry_json_path_string(n, "mac", NULL) != NULL)
			json_object_set_string_member(nic, "mac", ferry_json_path_string(n, "mac", NULL));
		json_object_set_object_member(nic, "network", network);
		json_object_set_string_member(nic, "model", compat ? "e1000e" : "virtio");
		json_array_add_object_element(nics, nic);
	}
	json_object_set_array_member(spec, "disks", disks);
	json_object_set_array_member(spec, "nics", nics);
	json_object_set_string_member(labels, "migration", migration_uid);
	json_object_set_string_member(labels, "plan", ferry_json_path_string(plan, "metadata.uid", plan_name));
	json_object_set_string_member(labels, "plan-name", plan_name);
	json_object_set_string_member(labels, "plan-namespace",
				      ferry_json_path_string(plan, "metadata.namespace", "default"));
	if (vm_id != NULL)
		json_object_set_string_member(labels, "vmID", vm_id);
	json_object_set_object_member(spec, "labels", labels);
	return g_steal_pointer(&spec);
}

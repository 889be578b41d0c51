/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-engine-spec-private.h"
#include "ferry-error.h"
#include "ferry-naming.h"
#include "ferry-platform-private.h"

/* Builds the target VM description (`vm_spec`) from the source inventory
 * document, the plan and the maps, the way Forklift's builders do. */

/* the plugin describes its VMs: the connected @provider, else the platform
 * (an unconnected instance of the plugin's provider); typed and checked */
FerryVmSpec *
ferry_engine_describe_source_vm(FerryProvider *provider,
				const char *provider_type,
				JsonObject *vm,
				GError **error)
{
	g_autoptr(JsonObject) described = NULL;
	if (provider != NULL)
		described = ferry_provider_describe_vm(provider, vm, error);
	else
		described = ferry_platform_describe_vm(provider_type, vm, error);
	if (described == NULL)
		return NULL;
	return ferry_vm_spec_new_from_json(described, error);
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

/*
 * The source's direct LUNs (its description's `luns`), which move without a
 * copy: each keeps what the source said of it (id, capacity, bus, `iscsi` or
 * `fc`) and gains `name`, its claim's name (the disk id, as Forklift names a
 * LUN's PVC), and `volumeName`, numbered on from the copied disks.
 */
static JsonArray *
build_luns(JsonObject *plan, JsonObject *plan_vm, FerryVmSpec *described, guint n_disks,
	   const char *name, GError **error)
{
	JsonArray *in = ferry_json_path_array(ferry_vm_spec_get_json(described), "luns");
	g_autoptr(JsonArray) out = json_array_new();
	const char *volume_template = ferry_json_path_string(
	    plan_vm, "volumeNameTemplate", ferry_json_path_string(plan, "spec.volumeNameTemplate", NULL));

	for (guint i = 0; in != NULL && i < json_array_get_length(in); i++) {
		JsonNode *node = json_array_get_element(in, i);
		g_autoptr(JsonObject) lun = NULL;
		g_autoptr(JsonObject) volume_data =
		    ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_VOLUME);
		g_autofree char *volume = NULL;
		const char *id;

		if (!JSON_NODE_HOLDS_OBJECT(node) ||
		    (id = ferry_json_path_string(json_node_get_object(node), "id", NULL)) == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "VM %s: direct LUN %u has no id", name, i);
			return NULL;
		}
		lun = ferry_json_object_copy(json_node_get_object(node));
		if (!json_object_has_member(lun, "name"))
			json_object_set_string_member(lun, "name", id);
		json_object_set_string_member(volume_data, "PVCName",
					      json_object_get_string_member(lun, "name"));
		json_object_set_int_member(volume_data, "VolumeIndex", n_disks + i);
		volume = ferry_naming_render(FERRY_NAME_TEMPLATE_VOLUME, volume_template, volume_data,
					     FALSE, error);
		if (volume == NULL) {
			g_prefix_error(error, "VM %s direct LUN %s: ", name, id);
			return NULL;
		}
		json_object_set_string_member(lun, "volumeName", volume);
		json_array_add_object_element(out, g_steal_pointer(&lun));
	}
	return g_steal_pointer(&out);
}

JsonObject *
ferry_engine_build_vm_spec(JsonObject *context,
			   JsonObject *plan_vm,
			   JsonObject *source_vm,
			   FerryVmSpec *described,
			   const char *migration_uid,
			   GError **error)
{
	JsonObject *plan = ferry_json_path_object(context, "plan");
	const char *plan_name = ferry_json_path_string(plan, "metadata.name", "plan");
	const char *vm_id = ferry_json_path_string(plan_vm, "id", NULL);
	const char *target_name = ferry_json_path_string(plan_vm, "targetName", NULL);
	g_autofree char *name = NULL;
	g_autoptr(JsonObject) spec = json_object_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
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
	    ferry_vm_spec_get_name(described), vm_id, NULL, error);
	if (name == NULL) {
		json_object_unref(cpu);
		json_object_unref(firmware);
		json_array_unref(disks);
		json_array_unref(nics);
		json_object_unref(source);
		json_object_unref(labels);
		return NULL;
	}
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
	/* whether guests from this source need a conversion (the platform's
	 * GUEST_CONVERSION capability), for destinations that label it */
	json_object_set_boolean_member(
	    source, "needsConversion",
	    ferry_platform_has_capability(ferry_json_path_string(context, "source.type", ""),
					  FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION));
	json_object_set_string_member(source, "vmId", vm_id != NULL ? vm_id : "");
	json_object_set_object_member(source, "vm", ferry_json_object_copy(source_vm));
	json_object_set_object_member(spec, "source", source);
	json_object_set_int_member(cpu, "sockets", ferry_vm_spec_get_cpu_sockets(described));
	json_object_set_int_member(cpu, "cores", ferry_vm_spec_get_cpu_cores(described));
	json_object_set_int_member(cpu, "threads", ferry_vm_spec_get_cpu_threads(described));
	json_object_set_object_member(spec, "cpu", cpu);
	json_object_set_int_member(spec, "memoryMiB",
				   ferry_vm_spec_get_memory_mib(described) > 0
				       ? (gint64)ferry_vm_spec_get_memory_mib(described)
				       : 1024);
	json_object_set_string_member(firmware, "type",
				      ferry_vm_spec_get_firmware(described) == FERRY_FIRMWARE_EFI
					  ? "efi"
					  : "bios");
	json_object_set_boolean_member(firmware, "secureBoot",
				       ferry_vm_spec_get_secure_boot(described));
	json_object_set_object_member(spec, "firmware", firmware);
	if (ferry_vm_spec_get_guest_os(described) != NULL)
		json_object_set_string_member(spec, "osType", ferry_vm_spec_get_guest_os(described));
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

	for (guint i = 0; i < ferry_vm_spec_get_n_disks(described); i++) {
		FerryVmDisk *d = ferry_vm_spec_get_disk(described, i);
		JsonObject *pair = find_map_pair(ferry_json_path_object(context, "storageMap"),
						 ferry_vm_disk_get_storage(d));
		JsonObject *disk = ferry_json_object_copy(ferry_vm_disk_get_json(d));
		g_autoptr(JsonObject) names = ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_PVC);
		g_autofree char *pvc = NULL;
		const char *pvc_template = ferry_json_path_string(
		    plan_vm, "pvcNameTemplate",
		    ferry_json_path_string(plan, "spec.pvcNameTemplate", NULL));

		if (pair == NULL && ferry_json_path_object(context, "storageMap") != NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "VM %s: disk %s is on storage '%s', which the StorageMap does "
				    "not map; add a pair for it to the StorageMap",
				    name, ferry_vm_disk_get_id(d) != NULL ? ferry_vm_disk_get_id(d) : "?",
				    ferry_vm_disk_get_storage(d) != NULL ? ferry_vm_disk_get_storage(d)
									 : "(none)");
			json_object_unref(disk);
			json_array_unref(disks);
			json_array_unref(nics);
			return NULL;
		}
		json_object_set_string_member(names, "VmName", ferry_vm_spec_get_name(described));
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
		json_object_set_string_member(names, "DiskId",
					      ferry_vm_disk_get_id(d) != NULL ? ferry_vm_disk_get_id(d) : "");
		json_object_set_string_member(names, "FileName",
					      ferry_vm_disk_get_file_name(d) != NULL
						  ? ferry_vm_disk_get_file_name(d)
						  : "");
		json_object_set_boolean_member(names, "Shared", ferry_vm_disk_get_shared(d));
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
		{
			/* volumeNameTemplate (the VM's, else the plan's; Forklift's
			 * default vol-N) names the disk and volume in the VM */
			const char *volume_template = ferry_json_path_string(
			    plan_vm, "volumeNameTemplate",
			    ferry_json_path_string(plan, "spec.volumeNameTemplate", NULL));
			g_autoptr(JsonObject) volume_data =
			    ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_VOLUME);
			g_autofree char *volume = NULL;

			json_object_set_string_member(volume_data, "PVCName", pvc);
			json_object_set_int_member(volume_data, "VolumeIndex", i);
			volume = ferry_naming_render(FERRY_NAME_TEMPLATE_VOLUME, volume_template,
						     volume_data, FALSE, error);
			if (volume == NULL) {
				g_prefix_error(error, "VM %s disk %u: ", name, i);
				json_object_unref(disk);
				json_array_unref(disks);
				json_array_unref(nics);
				return NULL;
			}
			json_object_set_string_member(disk, "volumeName", volume);
		}
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
	for (guint i = 0; i < ferry_vm_spec_get_n_nics(described); i++) {
		FerryVmNic *n = ferry_vm_spec_get_nic(described, i);
		JsonObject *pair = find_map_pair(ferry_json_path_object(context, "networkMap"),
						 ferry_vm_nic_get_network_name(n));
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
		{
			/* networkNameTemplate (the VM's, else the plan's; Forklift's
			 * default net-N) names the interface and network in the VM */
			const char *network_template = ferry_json_path_string(
			    plan_vm, "networkNameTemplate",
			    ferry_json_path_string(plan, "spec.networkNameTemplate", NULL));
			g_autoptr(JsonObject) network_data =
			    ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_NETWORK);
			gboolean multus = g_strcmp0(type, "multus") == 0;
			g_autofree char *interface = NULL;

			json_object_set_string_member(
			    network_data, "NetworkName",
			    multus ? ferry_json_path_string(pair, "destination.name", "") : "");
			json_object_set_string_member(
			    network_data, "NetworkNamespace",
			    multus ? ferry_json_path_string(pair, "destination.namespace", "") : "");
			json_object_set_string_member(network_data, "NetworkType",
						      multus ? "Multus" : "Pod");
			json_object_set_int_member(network_data, "NetworkIndex",
						   json_array_get_length(nics));
			interface = ferry_naming_render(FERRY_NAME_TEMPLATE_NETWORK, network_template,
							network_data, FALSE, error);
			if (interface == NULL) {
				g_prefix_error(error, "VM %s NIC %u: ", name, i);
				json_object_unref(nic);
				json_object_unref(network);
				json_array_unref(disks);
				json_array_unref(nics);
				return NULL;
			}
			json_object_set_string_member(nic, "interfaceName", interface);
		}
		if (ferry_vm_nic_get_mac(n) != NULL)
			json_object_set_string_member(nic, "mac", ferry_vm_nic_get_mac(n));
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
	{
		JsonArray *luns = build_luns(plan, plan_vm, described,
					     ferry_vm_spec_get_n_disks(described), name, error);
		if (luns == NULL)
			return NULL;
		if (json_array_get_length(luns) > 0)
			json_object_set_array_member(spec, "luns", luns);
		else
			json_array_unref(luns);
	}
	return g_steal_pointer(&spec);
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * "acme": a fixture platform the core has never heard of. It proves that a
 * new platform needs only its plugin folder (and its rules folder): the
 * core has no row, no string and no branch for "acme", yet its Providers
 * are validated (URL, Secret keys), its maps name its own inventory kinds
 * (`segment`, `pool`), its VMs get its own concerns (rules/acme/), and
 * cold and warm migrations run end to end.
 *
 * Its disk plumbing is shared with the test provider (tests/plugins/common/
 * fixture-world.c, test-fixture code only): qcow2 images served by qemu-nbd,
 * persistent dirty bitmaps standing in for changed-block tracking, sparse
 * raw target files and a JSON file per created VM. The world file (the
 * Provider's file:// URL) has the test provider's format; the inventory it
 * loads has Acme's own shape:
 *   vm: {"id", "name", "generation", "toolsInstalled", "vcpus", "ramMiB",
 *        "bootMode": "legacy"|"uefi",
 *        "volumes": [{"slot", "sizeBytes", "pool", "image"}],
 *        "ports": [{"hwaddr", "segment"}]}
 *   segment: {"id", "name"}     pool: {"id", "name"}
 * which only its describe_vm turns into Ferry's normalised description.
 */

#include "fixture-world.h"

#include <ferry-plugin-sdk.h>

#define ACME_TYPE_PROVIDER (acme_provider_get_type())
G_DECLARE_FINAL_TYPE(AcmeProvider, acme_provider, ACME, PROVIDER, GObject)

struct _AcmeProvider {
	GObject parent_instance; /* its state is a FixtureWorld attached by init */
};

static void acme_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(AcmeProvider, acme_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     acme_provider_iface_init))

static void
acme_provider_class_init(AcmeProviderClass *klass)
{
}

static void
acme_provider_class_finalize(AcmeProviderClass *klass)
{
}

static void
acme_provider_init(AcmeProvider *self)
{
	fixture_world_attach(G_OBJECT(self), "Acme");
}

static const char *
acme_get_provider_type(FerryProvider *provider)
{
	return "acme";
}

static FerryProviderCapabilities
acme_get_capabilities(FerryProvider *provider)
{
	/* no guest conversion: Acme guests already run virtio */
	return FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_DESTINATION |
	       FERRY_PROVIDER_CAPABILITY_POWER | FERRY_PROVIDER_CAPABILITY_SNAPSHOT |
	       FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS;
}

/* a world VM in Acme's own inventory shape */
static JsonObject *
acme_document(JsonObject *vm)
{
	JsonObject *doc = json_object_new();
	JsonArray *volumes = json_array_new();
	JsonArray *ports = json_array_new();
	JsonArray *disks = json_object_get_array_member(vm, "disks");
	JsonArray *nics = json_object_has_member(vm, "nics") ? json_object_get_array_member(vm, "nics")
							     : NULL;

	json_object_set_string_member(doc, "id", json_object_get_string_member(vm, "id"));
	json_object_set_string_member(doc, "name", json_object_get_string_member(vm, "name"));
	json_object_set_int_member(doc, "generation",
				   json_object_get_int_member_with_default(vm, "generation", 2));
	json_object_set_boolean_member(
	    doc, "toolsInstalled",
	    json_object_get_boolean_member_with_default(vm, "toolsInstalled", TRUE));
	json_object_set_int_member(doc, "vcpus", json_object_get_int_member_with_default(vm, "cpuCount", 1));
	json_object_set_int_member(doc, "ramMiB",
				   json_object_get_int_member_with_default(vm, "memoryMB", 256));
	json_object_set_string_member(doc, "bootMode",
				      json_object_get_string_member_with_default(vm, "bootMode", "legacy"));
	json_object_set_string_member(doc, "state",
				      json_object_get_string_member_with_default(vm, "powerState", "On"));
	for (guint i = 0; i < json_array_get_length(disks); i++) {
		JsonObject *disk = json_array_get_object_element(disks, i);
		JsonObject *volume = json_object_new();
		JsonObject *datastore = json_object_get_object_member(disk, "datastore");
		json_object_set_int_member(volume, "slot", json_object_get_int_member(disk, "key"));
		json_object_set_int_member(volume, "sizeBytes",
					   json_object_get_int_member(disk, "capacity"));
		json_object_set_string_member(volume, "pool",
					      json_object_get_string_member(datastore, "id"));
		json_array_add_object_element(volumes, volume);
	}
	for (guint i = 0; nics != NULL && i < json_array_get_length(nics); i++) {
		JsonObject *nic = json_array_get_object_element(nics, i);
		JsonObject *port = json_object_new();
		json_object_set_string_member(port, "hwaddr", json_object_get_string_member(nic, "mac"));
		json_object_set_string_member(
		    port, "segment",
		    json_object_get_string_member(json_object_get_object_member(nic, "network"), "id"));
		json_array_add_object_element(ports, port);
	}
	json_object_set_array_member(doc, "volumes", volumes);
	json_object_set_array_member(doc, "ports", ports);
	return doc;
}

static gboolean
acme_load_inventory(FerryProvider *provider,
		  FerryInventory *inventory,
		  GCancellable *cancellable,
		  GError **error)
{
	FerryProviderConfig *config = ferry_provider_get_config(provider);
	JsonArray *vms = json_object_get_array_member(fixture_world_get(provider)->world, "vms");

	if (!ferry_inventory_begin_update(inventory, ferry_provider_config_get_name(config), TRUE,
					  error))
		return FALSE;
	for (guint i = 0; i < json_array_get_length(vms); i++) {
		JsonObject *vm = json_array_get_object_element(vms, i);
		g_autoptr(JsonObject) doc = acme_document(vm);
		JsonArray *volumes = json_object_get_array_member(doc, "volumes");
		JsonArray *ports = json_object_get_array_member(doc, "ports");
		gboolean ok = ferry_inventory_upsert(inventory, "vm",
						     json_object_get_string_member(doc, "id"),
						     json_object_get_string_member(doc, "name"), NULL,
						     doc, error);
		for (guint v = 0; ok && v < json_array_get_length(volumes); v++) {
			const char *pool = json_object_get_string_member(
			    json_array_get_object_element(volumes, v), "pool");
			g_autoptr(JsonObject) object = json_object_new();
			json_object_set_string_member(object, "id", pool);
			json_object_set_string_member(object, "name", pool);
			ok = ferry_inventory_upsert(inventory, "pool", pool, pool, NULL, object, error);
		}
		for (guint p = 0; ok && p < json_array_get_length(ports); p++) {
			const char *segment = json_object_get_string_member(
			    json_array_get_object_element(ports, p), "segment");
			g_autoptr(JsonObject) object = json_object_new();
			json_object_set_string_member(object, "id", segment);
			json_object_set_string_member(object, "name", segment);
			ok = ferry_inventory_upsert(inventory, "segment", segment, segment, NULL,
						    object, error);
		}
		if (!ok) {
			ferry_inventory_abort_update(inventory);
			return FALSE;
		}
	}
	return ferry_inventory_commit_update(inventory, error);
}

/* Acme's shape into Ferry's normalised description (docs/plugin-howto.md) */
static JsonObject *
acme_describe_vm(FerryProvider *provider, JsonObject *vm, GError **error)
{
	JsonObject *out = json_object_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonArray *volumes = json_object_get_array_member(vm, "volumes");
	JsonArray *ports = json_object_get_array_member(vm, "ports");

	if (volumes == NULL || ports == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Acme VM %s has no volumes or ports; refresh the inventory",
			    json_object_get_string_member_with_default(vm, "id", "?"));
		json_object_unref(out);
		json_object_unref(cpu);
		json_object_unref(firmware);
		json_array_unref(disks);
		json_array_unref(nics);
		return NULL;
	}
	json_object_set_string_member(out, "name",
				      json_object_get_string_member_with_default(vm, "name", "vm"));
	json_object_set_int_member(cpu, "sockets", 1);
	json_object_set_int_member(cpu, "cores",
				   MAX(1, json_object_get_int_member_with_default(vm, "vcpus", 1)));
	json_object_set_int_member(cpu, "threads", 1);
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   json_object_get_int_member_with_default(vm, "ramMiB", 256));
	json_object_set_string_member(
	    firmware, "type",
	    g_strcmp0(json_object_get_string_member_with_default(vm, "bootMode", ""), "uefi") == 0
		? "efi"
		: "bios");
	json_object_set_boolean_member(firmware, "secureBoot", FALSE);
	json_object_set_object_member(out, "firmware", firmware);
	json_object_set_string_member(out, "osType", "acme-linux");
	for (guint i = 0; i < json_array_get_length(volumes); i++) {
		JsonObject *volume = json_array_get_object_element(volumes, i);
		JsonObject *disk = json_object_new();
		g_autofree char *slot = g_strdup_printf(
		    "%" G_GINT64_FORMAT, json_object_get_int_member(volume, "slot"));
		json_object_set_string_member(disk, "id", slot);
		json_object_set_int_member(disk, "capacity",
					   json_object_get_int_member(volume, "sizeBytes"));
		json_object_set_string_member(disk, "storage",
					      json_object_get_string_member(volume, "pool"));
		json_object_set_string_member(disk, "bus", "virtio");
		json_object_set_boolean_member(disk, "shared", FALSE);
		json_array_add_object_element(disks, disk);
	}
	for (guint i = 0; i < json_array_get_length(ports); i++) {
		JsonObject *port = json_array_get_object_element(ports, i);
		JsonObject *nic = json_object_new();
		json_object_set_string_member(nic, "mac", json_object_get_string_member(port, "hwaddr"));
		json_object_set_string_member(nic, "network",
					      json_object_get_string_member(port, "segment"));
		json_object_set_string_member(nic, "model", "virtio");
		json_array_add_object_element(nics, nic);
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	return out;
}

static void
acme_get_map_kinds(FerryProvider *provider, const char **network_kind, const char **storage_kind)
{
	*network_kind = "segment";
	*storage_kind = "pool";
}

static gboolean
acme_check_url(FerryProvider *provider, const char *url, GError **error)
{
	if (!g_str_has_prefix(url, "file:///")) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "The `url` is not valid: an Acme provider needs the file:// URL "
				    "of its world file.");
		return FALSE;
	}
	return TRUE;
}

static const char *const *
acme_get_secret_keys(FerryProvider *provider, const char *url, gboolean *needs_ca)
{
	static const char *const keys[] = {"apiKey", NULL};
	*needs_ca = FALSE;
	return keys;
}

static void
acme_provider_iface_init(FerryProviderInterface *iface)
{
	fixture_world_iface_init(iface);
	iface->describe_vm = acme_describe_vm;
	iface->get_map_kinds = acme_get_map_kinds;
	iface->check_url = acme_check_url;
	iface->get_secret_keys = acme_get_secret_keys;
	iface->get_provider_type = acme_get_provider_type;
	iface->get_capabilities = acme_get_capabilities;
	iface->load_inventory = acme_load_inventory;
}

static gboolean
acme_register(FerryPluginModule *module, GError **error)
{
	acme_provider_register_type(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "acme", ACME_TYPE_PROVIDER, error);
}

FERRY_PLUGIN_DEFINE(acme, "acme", "Acme Cloud, a platform the core does not know (fixture)",
		    acme_register)

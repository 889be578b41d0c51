/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A test provider (type "test") whose VMs have real disks: qcow2 images
 * served by qemu-nbd, with persistent dirty bitmaps standing in for
 * changed-block tracking, so every itinerary (cold, warm, conversion-only)
 * runs end to end without a hypervisor. It is also a destination: target
 * disks are sparse raw files and a created VM is a JSON file.
 *
 * Its disk plumbing (qcow2 images served by qemu-nbd, dirty bitmaps as
 * changed-block tracking, power, snapshots, target disks, failure and
 * delay injection) lives in tests/plugins/common/fixture-world.c, shared
 * with the acme fixture; this file keeps the type, the inventory (the
 * world's VMs as they are) and describe_vm.
 *
 * The provider URL names a "world" JSON file; its format, and the state
 * file beside it, are described in fixture-world.c.
 */

#include "fixture-world.h"

#include <ferry-plugin-sdk.h>

#define TEST_TYPE_PROVIDER (test_provider_get_type())
G_DECLARE_FINAL_TYPE(TestProvider, test_provider, TEST, PROVIDER, GObject)

struct _TestProvider {
	GObject parent_instance; /* its state is a FixtureWorld attached by init */
};

static void test_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(TestProvider, test_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     test_provider_iface_init))

static void
test_provider_class_init(TestProviderClass *klass)
{
}

static void
test_provider_class_finalize(TestProviderClass *klass)
{
}

static void
test_provider_init(TestProvider *self)
{
	fixture_world_attach(G_OBJECT(self), "test");
}

static const char *
tp_get_provider_type(FerryProvider *provider)
{
	return "test";
}

static FerryProviderCapabilities
tp_get_capabilities(FerryProvider *provider)
{
	FerryProviderCapabilities capabilities =
	    FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_DESTINATION |
	    FERRY_PROVIDER_CAPABILITY_POWER | FERRY_PROVIDER_CAPABILITY_SNAPSHOT |
	    FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS | FERRY_PROVIDER_CAPABILITY_HOSTS;
	JsonObject *world = fixture_world_get(provider)->world;
	/* a world with "preTransfer": true prepares its VMs as OpenStack does */
	if (world != NULL && json_object_get_boolean_member_with_default(world, "preTransfer", FALSE))
		capabilities |= FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER;
	return capabilities;
}

static gboolean
tp_load_inventory(FerryProvider *provider,
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
		if (!ferry_inventory_upsert(inventory, "vm", json_object_get_string_member(vm, "id"),
					    json_object_get_string_member(vm, "name"), NULL, vm,
					    error)) {
			ferry_inventory_abort_update(inventory);
			return FALSE;
		}
	}
	return ferry_inventory_commit_update(inventory, error);
}

/* a reference: a string id or an object's id */
static const char *
ref_id(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node != NULL && JSON_NODE_HOLDS_OBJECT(node))
		return json_object_get_string_member_with_default(json_node_get_object(node), "id",
								  NULL);
	if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	    json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_get_string(node);
	return NULL;
}

/* the world's VMs use vSphere's field names */
static JsonObject *
tp_describe_vm(FerryProvider *provider, JsonObject *vm, GError **error)
{
	JsonObject *out = json_object_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonArray *in_disks = json_object_get_array_member(vm, "disks");
	JsonArray *in_nics = json_object_has_member(vm, "nics")
				 ? json_object_get_array_member(vm, "nics")
				 : NULL;

	json_object_set_string_member(out, "name",
				      json_object_get_string_member_with_default(vm, "name", "vm"));
	json_object_set_int_member(cpu, "sockets",
				   MAX(1, json_object_get_int_member_with_default(vm, "cpuCount", 1)));
	json_object_set_int_member(cpu, "cores", 1);
	json_object_set_int_member(cpu, "threads", 1);
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   json_object_get_int_member_with_default(vm, "memoryMB", 1024));
	json_object_set_string_member(
	    firmware, "type", json_object_get_string_member_with_default(vm, "firmware", "bios"));
	json_object_set_boolean_member(firmware, "secureBoot", FALSE);
	json_object_set_object_member(out, "firmware", firmware);
	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		JsonObject *disk = json_object_new();
		const char *file = json_object_get_string_member_with_default(d, "file", NULL);
		g_autofree char *key = g_strdup_printf(
		    "%" G_GINT64_FORMAT, json_object_get_int_member_with_default(d, "key", i));
		json_object_set_string_member(disk, "id", key);
		json_object_set_int_member(disk, "capacity",
					   json_object_get_int_member_with_default(d, "capacity", 0));
		if (ref_id(d, "datastore") != NULL)
			json_object_set_string_member(disk, "storage", ref_id(d, "datastore"));
		json_object_set_string_member(disk, "bus", "scsi");
		if (file != NULL)
			json_object_set_string_member(
			    disk, "fileName", strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file);
		json_object_set_boolean_member(disk, "shared", FALSE);
		json_array_add_object_element(disks, disk);
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		JsonObject *nic = json_object_new();
		if (json_object_has_member(n, "mac"))
			json_object_set_string_member(nic, "mac", json_object_get_string_member(n, "mac"));
		if (ref_id(n, "network") != NULL)
			json_object_set_string_member(nic, "network", ref_id(n, "network"));
		json_object_set_string_member(nic, "model", "virtio");
		json_array_add_object_element(nics, nic);
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	return out;
}

/* what the world's "connectionTest" says ({"details", "conditions"}), with
 * the namespaces the runner asked about added to the details */
static JsonObject *
tp_test_connection(FerryProvider *provider,
		   const char *const *namespaces,
		   GCancellable *cancellable,
		   GError **error)
{
	JsonObject *world = fixture_world_get(provider)->world;
	JsonNode *node = json_object_get_member(world, "connectionTest");
	JsonObject *result;
	JsonObject *details;
	JsonArray *asked = json_array_new();

	if (node != NULL && JSON_NODE_HOLDS_OBJECT(node)) {
		g_autoptr(JsonNode) copy = json_node_copy(node);
		result = json_object_ref(json_node_get_object(copy));
	} else {
		result = json_object_new();
	}
	if (!json_object_has_member(result, "details"))
		json_object_set_object_member(result, "details", json_object_new());
	details = json_object_get_object_member(result, "details");
	for (guint i = 0; namespaces != NULL && namespaces[i] != NULL; i++)
		json_array_add_string_element(asked, namespaces[i]);
	json_object_set_array_member(details, "namespaces", asked);
	return result;
}

static void
test_provider_iface_init(FerryProviderInterface *iface)
{
	fixture_world_iface_init(iface);
	iface->describe_vm = tp_describe_vm;
	iface->get_provider_type = tp_get_provider_type;
	iface->get_capabilities = tp_get_capabilities;
	iface->load_inventory = tp_load_inventory;
	iface->test_connection = tp_test_connection;
}

static gboolean
testprov_register(FerryPluginModule *module, GError **error)
{
	test_provider_register_type(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "test", TEST_TYPE_PROVIDER, error);
}

FERRY_PLUGIN_DEFINE(testprov, "testprov", "Test provider with qemu-nbd disks", testprov_register)

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The OpenStack API documents of the projects' own api-ref samples
 * (../shared/testdata/openstack-api-samples: Nova, Cinder, Glance, Neutron,
 * Keystone) mapped to inventory documents with Forklift's field names, and
 * the 16 OpenStack rules run on the workloads built from them. These are
 * replays of documented replies, not a live Nova, Cinder or Neutron (see
 * plugins/openstack/README.md for why).
 */

#include "config.h"

#include "ferry.h"
#include <string.h>

#include "ferry-openstack-inventory.h"
#include "ferry-openstack-provider.h"

static char *
sample_path(const char *relative)
{
	const char *root = g_getenv("FERRY_SHARED_TESTDATA");
	return g_build_filename(root != NULL ? root : "../shared/testdata",
				"openstack-api-samples", relative, NULL);
}

static GPtrArray *
parse_sample(const char *kind, const char *relative, char **next)
{
	g_autofree char *path = sample_path(relative);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	GPtrArray *docs;

	if (!g_file_get_contents(path, &text, NULL, &error))
		g_error("%s", error->message);
	docs = ferry_openstack_parse_list(kind, text, -1, next, &error);
	g_assert_no_error(error);
	g_assert_nonnull(docs);
	return docs;
}

static void
test_servers(void)
{
	g_autofree char *next = NULL;
	g_autoptr(GPtrArray) docs =
	    parse_sample("vm", "nova/doc/api_samples/servers/servers-details-resp.json", &next);
	JsonObject *vm;

	g_assert_cmpuint(docs->len, ==, 1);
	vm = g_ptr_array_index(docs, 0);
	g_assert_cmpstr(ferry_json_get_string(vm, "id"), ==, "f5dc173b-6804-445a-a6d8-c705dad5b5eb");
	g_assert_cmpstr(ferry_json_get_string(vm, "name"), ==, "new-server-test");
	g_assert_cmpstr(ferry_json_get_string(vm, "status"), ==, "ACTIVE");
	g_assert_cmpstr(ferry_json_get_string(vm, "flavorID"), ==, "1");
	g_assert_cmpstr(ferry_json_get_string(vm, "imageID"), ==,
			"70a599e0-31e7-49b7-b260-868f441e862b");
	g_assert_cmpstr(ferry_json_get_string(vm, "tenantID"), ==,
			"6f70656e737461636b20342065766572");
	g_assert_nonnull(ferry_json_get_object(vm, "addresses"));
	g_assert_nonnull(ferry_json_get_array(vm, "attachedVolumes"));
	g_assert_nonnull(ferry_json_get_array(vm, "securityGroups"));
	/* no API member leaks through under its own name */
	g_assert_false(json_object_has_member(vm, "tenant_id"));
	g_assert_false(json_object_has_member(vm, "os-extended-volumes:volumes_attached"));
	/* Nova's next page */
	g_assert_nonnull(next);
	g_assert_true(strstr(next, "marker=f5dc173b") != NULL);
}

static void
test_images(void)
{
	g_autoptr(GPtrArray) docs =
	    parse_sample("image", "glance/api-ref/source/v2/samples/images-list-response.json", NULL);
	JsonObject *image;

	g_assert_cmpuint(docs->len, >=, 2);
	image = g_ptr_array_index(docs, 0);
	g_assert_cmpstr(ferry_json_get_string(image, "id"), ==,
			"1bea47ed-f6a9-463b-b423-14b9cca9ad27");
	g_assert_cmpstr(ferry_json_get_string(image, "diskFormat"), ==, "qcow2");
	g_assert_cmpstr(ferry_json_get_string(image, "containerFormat"), ==, "bare");
	g_assert_nonnull(ferry_json_get_object(image, "properties"));
	g_assert_false(json_object_has_member(image, "disk_format"));
	g_assert_false(json_object_has_member(image, "self"));
}

/* Glance v2 puts custom properties beside the standard members */
static void
test_image_properties(void)
{
	g_autoptr(JsonNode) node = json_from_string(
	    "{\"id\": \"i-1\", \"name\": \"rhel\", \"disk_format\": \"raw\", \"hw_disk_bus\": "
	    "\"ide\", \"os_distro\": \"rhel\", \"os_version\": \"9.2\"}",
	    NULL);
	g_autoptr(JsonObject) image = ferry_openstack_map("image", json_node_get_object(node));
	JsonObject *properties = ferry_json_get_object(image, "properties");

	g_assert_cmpstr(ferry_json_get_string(properties, "hw_disk_bus"), ==, "ide");
	g_assert_cmpstr(ferry_json_get_string(properties, "os_distro"), ==, "rhel");
	g_assert_null(ferry_json_get_string(properties, "disk_format"));
	g_assert_cmpstr(ferry_json_get_string(image, "diskFormat"), ==, "raw");
}

static void
test_volumes_flavors_networks(void)
{
	g_autoptr(GPtrArray) volumes = parse_sample(
	    "volume", "cinder/api-ref/source/v3/samples/volumes/v3.69/volumes-list-detailed-response.json",
	    NULL);
	g_autoptr(GPtrArray) types = parse_sample(
	    "volumetype", "cinder/api-ref/source/v3/samples/volume_type/volume-types-list-response.json",
	    NULL);
	g_autoptr(GPtrArray) flavors =
	    parse_sample("flavor", "nova/doc/api_samples/flavors/v2.102/flavors-detail-resp.json", NULL);
	g_autoptr(GPtrArray) networks = parse_sample(
	    "network", "neutron/api-ref/source/v2/samples/networks/networks-list-response.json", NULL);
	g_autoptr(GPtrArray) subnets = parse_sample(
	    "subnet", "neutron/api-ref/source/v2/samples/subnets/subnets-list-response.json", NULL);
	g_autoptr(GPtrArray) projects = parse_sample(
	    "project", "keystone/api-ref/source/v3/samples/admin/projects-list-response.json", NULL);
	JsonObject *volume = g_ptr_array_index(volumes, 0);
	gboolean numa = FALSE;

	g_assert_cmpstr(ferry_json_get_string(volume, "volumeType"), ==, "__DEFAULT__");
	g_assert_cmpstr(ferry_json_get_string(volume, "bootable"), ==, "false");
	g_assert_cmpint(ferry_json_get_int_or(volume, "size", 0), >, 0);
	g_assert_nonnull(ferry_json_get_array(volume, "attachments"));
	g_assert_cmpuint(types->len, >=, 1);
	g_assert_cmpuint(flavors->len, ==, 7);
	for (guint i = 0; i < flavors->len; i++) {
		JsonObject *flavor = g_ptr_array_index(flavors, i);
		g_assert_nonnull(ferry_json_get_object(flavor, "extraSpecs"));
		if (ferry_json_get_string(ferry_json_get_object(flavor, "extraSpecs"),
					  "hw:numa_nodes") != NULL)
			numa = TRUE;
	}
	g_assert_true(numa);
	g_assert_cmpuint(networks->len, >=, 1);
	g_assert_nonnull(ferry_json_get_array(g_ptr_array_index(networks, 0), "subnets"));
	g_assert_cmpuint(subnets->len, >=, 1);
	g_assert_nonnull(ferry_json_get_string(g_ptr_array_index(subnets, 0), "cidr"));
	g_assert_cmpuint(projects->len, >=, 1);
}

static void
test_bad_documents(void)
{
	const char *bad[] = {"", "[]", "{\"servers\": 3}", "{\"flavors\": []}", "{", "null"};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) docs = ferry_openstack_parse_list("vm", bad[i], -1, NULL, &error);
		g_assert_null(docs);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	}
	{
		/* entries without an id are left out, not fatal */
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) docs = ferry_openstack_parse_list(
		    "vm", "{\"servers\": [{\"name\": \"x\"}, 7, {\"id\": \"a\"}]}", -1, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(docs->len, ==, 1);
	}
}

static gboolean
has_concern(GPtrArray *concerns, const char *id)
{
	for (guint i = 0; concerns != NULL && i < concerns->len; i++) {
		if (g_strcmp0(ferry_concern_get_id(g_ptr_array_index(concerns, i)), id) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
upsert_all(FerryInventory *inventory, const char *kind, GPtrArray *docs)
{
	g_autoptr(GError) error = NULL;
	for (guint i = 0; i < docs->len; i++) {
		JsonObject *doc = g_ptr_array_index(docs, i);
		g_assert_true(ferry_inventory_upsert(inventory, kind, ferry_json_get_string(doc, "id"),
						     ferry_json_get_string(doc, "name"), NULL, doc,
						     &error));
		g_assert_no_error(error);
	}
}

/* the 16 rules on workloads built from the samples: the documented server
 * raises none of the concerns a variant of it (ERROR, a bad name, a
 * floating IP, a NUMA flavor, an IDE image, a volume in error) raises */
static void
test_rules(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_autoptr(FerryPluginRegistry) registry = ferry_plugin_registry_new_for_paths(NULL);
	g_autoptr(GPtrArray) validators = ferry_plugin_registry_create_validators(registry);
	g_autoptr(GPtrArray) servers =
	    parse_sample("vm", "nova/doc/api_samples/servers/servers-details-resp.json", NULL);
	g_autoptr(GPtrArray) flavors =
	    parse_sample("flavor", "nova/doc/api_samples/flavors/v2.102/flavors-detail-resp.json", NULL);
	g_autoptr(GPtrArray) images =
	    parse_sample("image", "glance/api-ref/source/v2/samples/images-list-response.json", NULL);
	g_autoptr(GPtrArray) volumes = parse_sample(
	    "volume", "cinder/api-ref/source/v3/samples/volumes/v3.69/volumes-list-detailed-response.json",
	    NULL);
	g_autoptr(GPtrArray) good = NULL;
	g_autoptr(GPtrArray) bad = NULL;
	g_autoptr(JsonNode) variant_node = NULL;
	JsonObject *variant;
	JsonObject *image = g_ptr_array_index(images, 0);
	JsonObject *volume = json_object_ref(g_ptr_array_index(volumes, 0));
	g_autoptr(JsonObject) broken_volume = NULL;
	guint n = 0;

	g_assert_no_error(error);
	/* the sample server's image and the variant's */
	json_object_set_string_member(image, "id", "70a599e0-31e7-49b7-b260-868f441e862b");
	{
		g_autoptr(JsonNode) copy = json_node_new(JSON_NODE_OBJECT);
		g_autoptr(JsonNode) dup = NULL;
		JsonObject *ide;
		json_node_set_object(copy, image);
		dup = json_node_copy(copy);
		ide = json_node_get_object(dup);
		json_object_set_string_member(ide, "id", "img-ide");
		json_object_set_string_member(ferry_json_get_object(ide, "properties"), "hw_disk_bus",
					      "ide");
		g_ptr_array_add(images, json_object_ref(ide));
	}
	broken_volume = json_object_new();
	json_object_set_string_member(broken_volume, "id", "vol-broken");
	json_object_set_string_member(broken_volume, "name", "data");
	json_object_set_string_member(broken_volume, "status", "error");
	json_object_set_int_member(broken_volume, "size", 0);
	json_object_set_array_member(broken_volume, "attachments", json_array_new());
	g_ptr_array_add(volumes, json_object_ref(broken_volume));
	json_object_unref(volume);

	variant_node = json_from_string(
	    "{\"id\": \"vm-bad\", \"name\": \"Bad_Name!\", \"status\": \"ERROR\", \"flavorID\": \"6\", "
	    "\"imageID\": \"img-ide\", \"attachedVolumes\": [{\"ID\": \"vol-broken\"}], "
	    "\"addresses\": {\"private\": [{\"addr\": \"10.0.0.3\", \"OS-EXT-IPS:type\": "
	    "\"floating\"}]}}",
	    NULL);
	variant = json_node_get_object(variant_node);
	g_ptr_array_add(servers, json_object_ref(variant));

	g_assert_true(ferry_inventory_begin_update(inventory, "osp", TRUE, &error));
	upsert_all(inventory, "flavor", flavors);
	upsert_all(inventory, "image", images);
	upsert_all(inventory, "volume", volumes);
	upsert_all(inventory, "vm", servers);
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_true(ferry_inventory_revalidate(inventory, "osp", "openstack", validators, TRUE,
						 NULL, &n, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(n, ==, 2);

	good = ferry_inventory_get_concerns(inventory, "osp", "vm",
					    "f5dc173b-6804-445a-a6d8-c705dad5b5eb", &error);
	g_assert_no_error(error);
	bad = ferry_inventory_get_concerns(inventory, "osp", "vm", "vm-bad", &error);
	g_assert_no_error(error);
	{
		const char *raised[] = {"openstack.vm.name.invalid",
					"openstack.vm.status.invalid",
					"openstack.network.floating_ips.detected",
					"openstack.numa_tuning.detected",
					"openstack.disk.unsupported_interface",
					"openstack.disk.capacity.invalid", "openstack.disk.status.unsupported"};
		for (guint i = 0; i < G_N_ELEMENTS(raised); i++) {
			if (!has_concern(bad, raised[i]))
				g_error("the variant has no concern %s", raised[i]);
			if (has_concern(good, raised[i]))
				g_error("the documented server has concern %s", raised[i]);
		}
	}
}

/* the sample server (booted from an image, flavor 1) with a volume
 * attached: its disks, and the description the engine builds the target
 * from (through the loaded plugin, unconnected, as plan validation calls it) */
static void
test_describe(void)
{
	g_autoptr(GPtrArray) servers =
	    parse_sample("vm", "nova/doc/api_samples/servers/servers-details-resp.json", NULL);
	g_autoptr(GPtrArray) flavors =
	    parse_sample("flavor", "nova/doc/api_samples/flavors/v2.102/flavors-detail-resp.json", NULL);
	g_autoptr(GPtrArray) images =
	    parse_sample("image", "glance/api-ref/source/v2/samples/images-list-response.json", NULL);
	g_autoptr(GPtrArray) volumes = parse_sample(
	    "volume", "cinder/api-ref/source/v3/samples/volumes/v3.69/volumes-list-detailed-response.json",
	    NULL);
	g_autoptr(FerryPluginRegistry) registry = ferry_plugin_registry_new();
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(JsonObject) description = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *vm = g_ptr_array_index(servers, 0);
	JsonObject *volume = g_ptr_array_index(volumes, 0);
	JsonArray *disks;
	JsonArray *nics;
	JsonObject *attached = json_object_new();
	/* the sample lists volumes of its own (not in the Cinder sample) */
	guint listed = json_array_get_length(ferry_json_get_array(vm, "attachedVolumes"));
	guint last;

	json_object_set_string_member(attached, "ID", ferry_json_get_string(volume, "id"));
	json_array_add_object_element(ferry_json_get_array(vm, "attachedVolumes"), attached);
	last = listed + 1;
	json_object_set_string_member(g_ptr_array_index(images, 0), "id",
				      "70a599e0-31e7-49b7-b260-868f441e862b");
	ferry_openstack_add_disks(vm, flavors, images, volumes);
	disks = ferry_json_get_array(vm, "disks");
	g_assert_cmpuint(json_array_get_length(disks), ==, listed + 2);
	g_assert_cmpstr(ferry_json_get_string(ferry_json_array_object(disks, 0), "id"), ==, "root");
	g_assert_cmpstr(ferry_json_get_string(ferry_json_array_object(disks, 0), "storage"), ==,
			"glance");
	/* flavor 1 (m1.tiny) has a 1 GiB root disk */
	g_assert_cmpint(ferry_json_get_int_or(ferry_json_array_object(disks, 0), "capacity", 0), ==,
			1 << 30);
	g_assert_cmpstr(ferry_json_get_string(ferry_json_array_object(disks, last), "id"), ==,
			ferry_json_get_string(volume, "id"));
	g_assert_cmpint(ferry_json_get_int_or(ferry_json_array_object(disks, last), "capacity", 0),
			==, ferry_json_get_int_or(volume, "size", 0) << 30);
	g_assert_cmpstr(ferry_json_get_string(ferry_json_array_object(disks, last), "storage"), ==,
			"__DEFAULT__");
	g_assert_cmpint(ferry_json_get_int_or(vm, "vcpus", 0), ==, 1);
	g_assert_cmpint(ferry_json_get_int_or(vm, "memoryMB", 0), ==, 512);

	g_assert_true(ferry_plugin_registry_load(registry, &error));
	g_assert_no_error(error);
	provider = ferry_plugin_registry_create_provider(registry, "openstack", &error);
	g_assert_no_error(error);
	description = ferry_provider_describe_vm(provider, vm, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_json_get_string(description, "name"), ==, "new-server-test");
	g_assert_cmpint(ferry_json_get_int_or(description, "memoryMiB", 0), ==, 512);
	g_assert_cmpuint(json_array_get_length(ferry_json_get_array(description, "disks")), ==,
			 listed + 2);
	nics = ferry_json_get_array(description, "nics");
	g_assert_cmpuint(json_array_get_length(nics), ==, 1);
	g_assert_cmpstr(ferry_json_get_string(ferry_json_array_object(nics, 0), "mac"), ==,
			"00:0c:29:0d:11:74");
	g_assert_cmpstr(ferry_json_get_string(ferry_json_array_object(nics, 0), "network"), ==,
			"private");
}

static void
test_image_names(void)
{
	g_autofree char *root = ferry_openstack_image_name("vm-1", NULL);
	g_autofree char *volume = ferry_openstack_image_name("vm-1", "vol-2");
	g_assert_cmpstr(root, ==, "forklift-migration-vm-vm-1");
	g_assert_cmpstr(volume, ==, "forklift-migration-vm-vm-1-volume-vol-2");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/openstack/api/servers", test_servers);
	g_test_add_func("/openstack/api/images", test_images);
	g_test_add_func("/openstack/api/image-properties", test_image_properties);
	g_test_add_func("/openstack/api/volumes-flavors-networks", test_volumes_flavors_networks);
	g_test_add_func("/openstack/api/bad-documents", test_bad_documents);
	g_test_add_func("/openstack/api/rules", test_rules);
	g_test_add_func("/openstack/image-names", test_image_names);
	g_test_add_func("/openstack/describe", test_describe);
	return g_test_run();
}

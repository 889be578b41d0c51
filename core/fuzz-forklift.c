/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Forklift manifests as a whole, the way `ferry apply` and `ferry run` see
 * them: YAML → resources → stored with their references checked → every
 * stored Plan validated against a small source inventory and its status
 * saved. Any input fails with a FERRY_ERROR at one of these steps or goes
 * all the way; nothing crashes, and a validated plan is saved and reads
 * back. Each input gets a new store (in a scratch folder removed at exit).
 */

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "ferry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *scratch;
static FerryInventory *inventory;

static void
upsert(const char *kind, const char *json)
{
	g_autoptr(JsonNode) node = json_from_string(json, NULL);
	JsonObject *object = json_node_get_object(node);
	g_autoptr(GError) error = NULL;

	if (!ferry_inventory_upsert(inventory, kind, json_object_get_string_member(object, "id"),
				    json_object_get_string_member(object, "name"), NULL, object,
				    &error))
		g_error("fuzz-forklift: %s", error->message);
}

/* the store's files: every input starts from an empty state folder */
static void
empty_scratch(void)
{
	g_autoptr(GDir) dir = g_dir_open(scratch, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(scratch, name, NULL);
		g_unlink(path);
	}
}

static void
remove_scratch(void)
{
	empty_scratch();
	g_rmdir(scratch);
}

static void
set_up(void)
{
	static const char probe[] = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources = NULL;

	g_setenv("FERRY_DATA_DIR", FERRY_FUZZ_DATA_DIR, FALSE);
	/* in memory when possible: the store syncs each write to disk */
	if (g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) && g_access("/dev/shm", W_OK) == 0) {
		scratch = g_build_filename("/dev/shm", "ferry-fuzz-forklift-XXXXXX", NULL);
		if (g_mkdtemp(scratch) == NULL)
			g_clear_pointer(&scratch, g_free);
	}
	if (scratch == NULL)
		scratch = g_dir_make_tmp("ferry-fuzz-forklift-XXXXXX", &error);
	if (scratch == NULL)
		g_error("fuzz-forklift: %s", error->message);
	atexit(remove_scratch);
	inventory = ferry_inventory_new(NULL, &error);
	if (inventory == NULL || !ferry_inventory_begin_update(inventory, "vc", TRUE, &error))
		g_error("fuzz-forklift: %s", error->message);
	upsert("network", "{\"id\":\"network-7\",\"name\":\"VM Network\"}");
	upsert("network", "{\"id\":\"network-8\",\"name\":\"Backup\"}");
	upsert("datastore", "{\"id\":\"datastore-11\",\"name\":\"fast\"}");
	upsert("vm", "{\"id\":\"vm-1\",\"name\":\"web-01\",\"changeTrackingEnabled\":true,"
		     "\"nics\":[{\"network\":{\"kind\":\"Network\",\"id\":\"network-7\"}}],"
		     "\"disks\":[{\"file\":\"[fast] a.vmdk\",\"datastore\":{\"id\":\"datastore-11\"},"
		     "\"capacity\":1073741824}]}");
	upsert("vm", "{\"id\":\"vm-2\",\"name\":\"Db_02\",\"changeTrackingEnabled\":false,"
		     "\"nics\":[{\"network\":{\"id\":\"network-8\"}},{\"network\":{\"id\":\"network-9\"}}],"
		     "\"disks\":[{\"file\":\"[slow] b.vmdk\",\"datastore\":{\"id\":\"datastore-12\"},"
		     "\"capacity\":0}]}");
	if (!ferry_inventory_commit_update(inventory, &error))
		g_error("fuzz-forklift: %s", error->message);
	/* the schema is found: otherwise every input would stop at it */
	resources = ferry_manifest_load_data(probe, -1, "probe.yaml", "demo", NULL, &error);
	if (resources == NULL)
		g_error("fuzz-forklift: %s", error->message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(GPtrArray) resources = NULL;
	g_autoptr(FerryStore) store = NULL;
	g_autoptr(GPtrArray) plans = NULL;

	if (inventory == NULL)
		set_up();
	resources = ferry_manifest_load_data((const char *)data, (gssize)size, "fuzz.yaml", "demo",
					     &warnings, &error);
	if (resources == NULL) {
		g_assert_true(error != NULL && error->domain == FERRY_ERROR);
		return 0;
	}
	g_assert_no_error(error);
	store = ferry_store_new(scratch, &error);
	g_assert_no_error(error);
	if (!ferry_store_apply(store, resources, NULL, &error)) {
		g_assert_true(error != NULL && error->domain == FERRY_ERROR);
		goto out;
	}
	plans = ferry_store_list(store, "Plan", NULL, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < plans->len; i++) {
		FerryResource *plan = g_ptr_array_index(plans, i);
		g_autoptr(GError) plan_error = NULL;
		g_autoptr(FerryResource) again = NULL;

		if (!ferry_plan_validate(FERRY_PLAN(plan), store, inventory, NULL, &plan_error)) {
			g_assert_true(plan_error != NULL && plan_error->domain == FERRY_ERROR);
			continue;
		}
		g_assert_true(ferry_store_update_status(store, plan, &plan_error));
		again = ferry_store_get(store, "Plan", ferry_resource_get_namespace(plan),
					ferry_resource_get_name(plan), &plan_error);
		g_assert_no_error(plan_error);
		g_assert_nonnull(again);
	}
out:
	g_clear_object(&store);
	empty_scratch();
	return 0;
}

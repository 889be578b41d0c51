/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <string.h>

#include "ferry.h"

static JsonObject *
make_vm(const char *id, const char *name, gint64 memory)
{
	JsonObject *vm = json_object_new();
	json_object_set_string_member(vm, "id", id);
	json_object_set_string_member(vm, "name", name);
	json_object_set_int_member(vm, "memoryMB", memory);
	return vm;
}

static void
upsert_vm(FerryInventory *inventory, const char *id, const char *name, gint64 memory)
{
	g_autoptr(JsonObject) vm = make_vm(id, name, memory);
	g_autoptr(GError) error = NULL;
	g_assert_true(ferry_inventory_upsert(inventory, "vm", id, name, "folder-1", vm, &error));
	g_assert_no_error(error);
}

static void
changed_cb(FerryInventory *inventory, const char *provider, guint count, gpointer user_data)
{
	guint *total = user_data;
	*total += count;
}

static void
test_inventory_full_load(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(GPtrArray) vms = NULL;
	guint changes = 0;

	g_assert_no_error(error);
	g_signal_connect(inventory, "changed", G_CALLBACK(changed_cb), &changes);
	g_assert_false(ferry_inventory_has_parity(inventory, "p1"));

	g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
	upsert_vm(inventory, "vm-1", "web", 2048);
	upsert_vm(inventory, "vm-2", "db", 8192);
	upsert_vm(inventory, "vm-3", "cache", 1024);
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_inventory_has_parity(inventory, "p1"));
	g_assert_cmpuint(changes, ==, 3);

	vm = ferry_inventory_get(inventory, "p1", "vm", "vm-2", &error);
	g_assert_no_error(error);
	g_assert_cmpint(json_object_get_int_member(vm, "memoryMB"), ==, 8192);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-2"), ==, 1);

	/* second full load: vm-3 gone, vm-2 changed, vm-1 unchanged */
	changes = 0;
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
	upsert_vm(inventory, "vm-1", "web", 2048);
	upsert_vm(inventory, "vm-2", "db", 16384);
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-1"), ==, 1);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-2"), ==, 2);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-3"), ==, 0);
	vms = ferry_inventory_list(inventory, "p1", "vm", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(vms->len, ==, 2);
	/* ordered by name */
	g_assert_cmpstr(json_object_get_string_member(g_ptr_array_index(vms, 0), "name"), ==, "db");

	{
		g_autoptr(JsonObject) missing = ferry_inventory_get(inventory, "p1", "vm", "vm-3", &error);
		g_assert_null(missing);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
		g_clear_error(&error);
	}
	{
		g_autoptr(JsonObject) by_name =
		    ferry_inventory_find_by_name(inventory, "p1", "vm", "web", &error);
		g_assert_no_error(error);
		g_assert_cmpstr(json_object_get_string_member(by_name, "id"), ==, "vm-1");
	}
}

static void
test_inventory_incremental_and_abort(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_autoptr(GPtrArray) vms = NULL;

	g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
	upsert_vm(inventory, "vm-1", "a", 1);
	upsert_vm(inventory, "vm-2", "b", 1);
	g_assert_true(ferry_inventory_commit_update(inventory, &error));

	/* incremental: untouched objects stay */
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", FALSE, &error));
	g_assert_true(ferry_inventory_remove(inventory, "vm", "vm-1", &error));
	upsert_vm(inventory, "vm-9", "z", 1);
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	vms = ferry_inventory_list(inventory, "p1", "vm", &error);
	g_assert_cmpuint(vms->len, ==, 2);

	/* aborted: nothing changes */
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
	upsert_vm(inventory, "vm-100", "x", 1);
	ferry_inventory_abort_update(inventory);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-100"), ==, 0);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-2"), ==, 1);

	/* writes outside an update are refused */
	{
		g_autoptr(JsonObject) vm = make_vm("vm-5", "q", 1);
		g_assert_false(ferry_inventory_upsert(inventory, "vm", "vm-5", "q", NULL, vm, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
		g_clear_error(&error);
	}
	/* providers are separate */
	g_assert_true(ferry_inventory_begin_update(inventory, "p2", TRUE, &error));
	upsert_vm(inventory, "vm-2", "other", 1);
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-2"), ==, 1);
	g_assert_true(ferry_inventory_clear(inventory, "p2", &error));
	g_assert_false(ferry_inventory_has_parity(inventory, "p2"));
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p2", "vm", "vm-2"), ==, 0);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-2"), ==, 1);
}

static void
test_inventory_persistent(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ferry-inventory-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "ferry.db", NULL);
	{
		g_autoptr(FerryInventory) inventory = ferry_inventory_new(path, &error);
		g_assert_no_error(error);
		g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
		upsert_vm(inventory, "vm-1", "a", 1);
		g_assert_true(ferry_inventory_commit_update(inventory, &error));
	}
	{
		g_autoptr(FerryInventory) inventory = ferry_inventory_new(path, &error);
		g_assert_no_error(error);
		g_assert_true(ferry_inventory_has_parity(inventory, "p1"));
		g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-1"), ==, 1);
	}
	{
		g_autofree char *wal = g_strconcat(path, "-wal", NULL);
		g_autofree char *shm = g_strconcat(path, "-shm", NULL);
		g_unlink(wal);
		g_unlink(shm);
		g_unlink(path);
		g_rmdir(dir);
	}
	/* an unusable path is a clear error */
	{
		g_autoptr(FerryInventory) inventory =
		    ferry_inventory_new("/nonexistent-dir/ferry.db", &error);
		g_assert_null(inventory);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "/nonexistent-dir/ferry.db"));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/inventory/full-load", test_inventory_full_load);
	g_test_add_func("/inventory/incremental-abort", test_inventory_incremental_and_abort);
	g_test_add_func("/inventory/persistent", test_inventory_persistent);
	return g_test_run();
}

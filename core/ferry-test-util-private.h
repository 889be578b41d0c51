/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Helpers for the inventory's tests.
 */

#pragma once

#include <glib/gstdio.h>

#include "ferry.h"

G_BEGIN_DECLS

/* stores the JSON object @json (with "id" and "name") in the update under way */
static inline void
ferry_test_upsert(FerryInventory *inventory, const char *kind, const char *json)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = json_from_string(json, &error);
	JsonObject *object;
	g_assert_no_error(error);
	object = json_node_get_object(node);
	g_assert_true(ferry_inventory_upsert(
		inventory, kind, json_object_get_string_member(object, "id"),
		json_object_get_string_member(object, "name"), NULL, object, &error));
	g_assert_no_error(error);
}

/* removes a directory and everything in it */
static inline void
ferry_test_remove_tree(const char *path)
{
	ferry_files_remove_tree(path, NULL);
}

G_END_DECLS

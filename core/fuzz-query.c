/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the query parser and compiler: any input either fails with an
 * error, or compiles to SQL that SQLite accepts and runs.
 */

#include <stdint.h>

#include "ferry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FerryInventory *
fuzz_inventory(void)
{
	static FerryInventory *inventory = NULL;
	if (inventory == NULL) {
		g_autoptr(JsonNode) node = json_from_string(
			"{\"id\":\"vm-1\",\"name\":\"web\",\"memoryMB\":4096,\"tags\":[\"a\"],"
			"\"disks\":[{\"capacity\":1,\"parts\":[{\"size\":2}]}],\"meta\":{\"k\":"
			"\"v\"}}",
			NULL);
		inventory = ferry_inventory_new(NULL, NULL);
		ferry_inventory_begin_update(inventory, "p", TRUE, NULL);
		ferry_inventory_upsert(inventory, "vm", "vm-1", "web", NULL,
				       json_node_get_object(node), NULL);
		ferry_inventory_commit_update(inventory, NULL);
	}
	return inventory;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryQuery) query = NULL;
	g_autoptr(GPtrArray) results = NULL;

	if (size > 4096)
		return 0;
	query = ferry_query_new(text, &error);
	if (query == NULL) {
		g_assert_true(g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT));
		return 0;
	}
	results = ferry_inventory_query(fuzz_inventory(), "p", "vm", query,
					FERRY_INVENTORY_QUERY_FLAG_COMPUTED, &error);
	/* compiled SQL SQLite refuses to prepare would be a compiler bug */
	if (results == NULL && !g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT))
		g_error("query «%s»: %s", text, error->message);
	return 0;
}

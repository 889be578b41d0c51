/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds a SOAP reply through everything that reads server replies: the
 * envelope and fault parser, the property collector result and update set
 * parsers, and the mapping of objects to inventory documents.
 */

#include "config.h"

#include "ferry-vsphere-inventory.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static void
fuzz_map(GPtrArray *objects)
{
	g_autoptr(FerryVsphereIndex) index = ferry_vsphere_index_new("group-d1");

	for (guint i = 0; i < objects->len; i++) {
		FerryVsphereObject *object = g_ptr_array_index(objects, i);
		g_autofree char *kind = NULL;
		g_autofree char *name = NULL;
		g_autofree char *parent = NULL;
		g_autoptr(JsonObject) document = NULL;

		if (ferry_vsphere_inventory_map(index, object, &kind, &name, &parent, &document)) {
			g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), document);
			g_autofree char *text = json_to_string(node, FALSE);
			g_assert_nonnull(text);
		}
	}
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autoptr(GPtrArray) retrieved = NULL;
	g_autoptr(GPtrArray) updates = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *token = NULL;
	g_autofree char *version = NULL;
	gboolean truncated = FALSE;

	response = ferry_vsphere_response_parse((const char *)data, size, &error);
	if (response == NULL)
		return 0;
	if (response->fault != NULL) {
		g_autoptr(GError) fault_error = NULL;
		ferry_vsphere_fault_set_error(response->fault, "fuzz", &fault_error);
		g_assert_nonnull(fault_error);
		return 0;
	}
	retrieved = ferry_vsphere_parse_retrieve_result(ferry_vsphere_response_get_returnval(response),
						       &token);
	fuzz_map(retrieved);
	updates = ferry_vsphere_parse_update_set(ferry_vsphere_response_get_returnval(response),
						 &version, &truncated);
	fuzz_map(updates);
	return 0;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: an OpenStack API list reply (Nova, Cinder, Glance, Neutron,
 * Keystone) mapped to inventory documents, then described as a source VM.
 * The replies come from the cloud, so any text must give documents or a
 * clear error. The first byte picks the kind.
 */

#include <ferry-plugin-sdk.h>
#include <stdint.h>

#include "ferry-openstack-inventory.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = {"vm", "flavor", "image", "volume", "volumetype",
					    "network", "subnet", "project", "region", "snapshot"};
	g_autoptr(GPtrArray) documents = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *next = NULL;
	const char *kind;

	if (size < 1)
		return 0;
	kind = kinds[data[0] % G_N_ELEMENTS(kinds)];
	documents = ferry_openstack_parse_list(kind, (const char *)data + 1, (gssize)size - 1,
					       &next, &error);
	if (documents == NULL) {
		g_assert(error != NULL && error->domain == FERRY_ERROR &&
			 error->message[0] != '\0');
		return 0;
	}
	for (guint i = 0; i < documents->len; i++) {
		JsonObject *doc = g_ptr_array_index(documents, i);
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
		g_autofree char *text = NULL;
		g_assert(ferry_json_get_string(doc, "id") != NULL);
		json_node_set_object(node, doc);
		text = json_to_string(node, FALSE);
		g_assert(text != NULL);
	}
	return 0;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds an engine answer through the document parser and the mapping of
 * every element (as each kind) to an inventory document.
 */

#include "config.h"

#include "ferry-ovirt-inventory.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	static const char *const kinds[] = {
		"datacenter",    "cluster", "host", "network", "nicprofile",     "diskprofile",
		"storagedomain", "disk",    "vm",   "nic",     "diskattachment", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(xmlDoc) doc = ferry_ovirt_parse_document((const char *)data, size, &error);
	xmlNode *root;

	if (doc == NULL)
		return 0;
	root = xmlDocGetRootElement(doc);
	for (xmlNode *node = root; node != NULL;
	     node = node == root ? ferry_ovirt_xml_child(root, NULL)
				 : ferry_ovirt_xml_next(node, NULL)) {
		for (guint k = 0; kinds[k] != NULL; k++) {
			g_autoptr(JsonObject) document = ferry_ovirt_document(kinds[k], node);
			g_autoptr(JsonNode) json =
				json_node_init_object(json_node_alloc(), document);
			g_autofree char *text = json_to_string(json, FALSE);
			g_assert_nonnull(text);
		}
	}
	return 0;
}

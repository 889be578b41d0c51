/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: a vm_spec (JSON) turned into libvirt domain XML. Names, MACs
 * and labels come from source inventories, so any text must give either a
 * domain XML that parses back with the same name, or a clear error.
 */

#include <ferry-plugin-sdk.h>
#include <stdint.h>

#include "ferry-libvirt-domain.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(FerryLibvirtTarget) target = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *name = NULL;
	g_autofree char *tail = NULL;
	FerryLibvirtDomainOptions options = {"qemu", "q35", "x86_64", TRUE};
	JsonNode *root;

	tail = ferry_libvirt_console_tail((const char *)data, size, 20);
	g_assert(g_utf8_validate(tail, -1, NULL));
	if (!json_parser_load_from_data(parser, (const char *)data, (gssize)size, NULL))
		return 0;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return 0;
	target = ferry_libvirt_target_new(json_node_get_object(root), NULL, &error);
	if (target == NULL) {
		g_assert(error != NULL && error->domain == FERRY_ERROR &&
			 error->message[0] != '\0');
		return 0;
	}
	for (guint i = 0; i < target->disks->len; i++) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, i);
		disk->path = g_strconcat("/var/lib/libvirt/images/", disk->file_name, NULL);
	}
	xml = ferry_libvirt_domain_xml(target, &options, &error);
	g_assert(xml != NULL);
	name = ferry_libvirt_xml_get(xml, "/domain/name");
	g_assert(g_strcmp0(name, target->name) == 0);
	return 0;
}

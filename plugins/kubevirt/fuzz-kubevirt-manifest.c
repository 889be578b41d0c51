/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: a vm_spec (JSON) turned into KubeVirt and CDI manifests and
 * written as YAML. vm_specs carry names, MACs and labels that come from
 * source inventories (OVF descriptors, vCenter), so any text must give
 * either manifests or a clear error.
 */

#include <ferry-plugin-sdk.h>
#include <stdint.h>

#include "ferry-kubevirt-manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(FerryKubevirtTarget) target = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *yaml = NULL;
	FerryKubevirtSizing sizing;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, (const char *)data, (gssize)size, NULL))
		return 0;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return 0;
	ferry_kubevirt_sizing_init(&sizing);
	target = ferry_kubevirt_target_new(json_node_get_object(root), &sizing, "raw", &error);
	if (target == NULL) {
		g_assert(error != NULL && error->domain == FERRY_ERROR &&
			 error->message[0] != '\0');
		return 0;
	}
	yaml = ferry_yaml_to_string(target->vm, NULL);
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_autofree char *dv = ferry_yaml_to_string(disk->data_volume, NULL);
		g_assert(disk->request_size >= disk->capacity);
	}
	return 0;
}

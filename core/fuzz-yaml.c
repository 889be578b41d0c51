/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The YAML and JSON reader: any input either fails cleanly or gives trees
 * that the YAML writer writes and the reader reads back unchanged.
 */

#include <stdint.h>

#include "ferry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) documents = NULL;
	g_autoptr(GPtrArray) roots = g_ptr_array_new();
	g_autofree char *yaml = NULL;
	g_autoptr(GPtrArray) again = NULL;

	documents = ferry_yaml_parse_data((const char *)data, (gssize)size, "fuzz", &error);
	if (documents == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	for (guint i = 0; i < documents->len; i++) {
		FerryYamlDocument *document = g_ptr_array_index(documents, i);
		g_autofree char *where = ferry_yaml_document_format_location(document, "a.b[0]");
		g_assert_nonnull(where);
		g_ptr_array_add(roots, ferry_yaml_document_get_root(document));
	}
	yaml = ferry_yaml_to_string_multi(roots, &error);
	g_assert_no_error(error);
	again = ferry_yaml_parse_data(yaml, -1, "again", &error);
	if (again == NULL)
		g_error("the writer's output does not read back: %s\n%s", error->message, yaml);
	g_assert_cmpuint(again->len, ==, roots->len);
	for (guint i = 0; i < roots->len; i++) {
		if (!json_node_equal(g_ptr_array_index(roots, i),
				     ferry_yaml_document_get_root(g_ptr_array_index(again, i))))
			g_error("document %u changed on a round trip:\n%s", i, yaml);
	}
	return 0;
}

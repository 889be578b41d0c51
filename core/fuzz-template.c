/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The name template parser and evaluator on any input: a clean error or an
 * output, never a crash.
 */

#include <stdint.h>

#include "ferry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryTemplate) tmpl = ferry_template_new(text, &error);
	g_autoptr(JsonObject) values = ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_PVC);
	g_autofree char *output = NULL;

	if (tmpl == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	json_object_set_string_member(values, "VmName", "Web Server");
	json_object_set_int_member(values, "DiskIndex", 3);
	output = ferry_template_execute(tmpl, values, &error);
	g_assert_true((output == NULL) == (error != NULL));
	return 0;
}

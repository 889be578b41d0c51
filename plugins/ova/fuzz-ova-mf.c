/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: the .mf manifest parser. Any input is refused with a
 * FERRY_ERROR, or gives digests whose hex length matches their algorithm.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "ferry-ova-manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) digests =
	    ferry_ova_manifest_parse((const char *)data, size, "fuzz.mf", &error);
	GHashTableIter iter;
	gpointer key, value;

	g_assert((digests == NULL) != (error == NULL));
	if (error != NULL) {
		g_assert(error->domain == FERRY_ERROR && error->message != NULL);
		return 0;
	}
	g_hash_table_iter_init(&iter, digests);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const FerryOvaDigest *digest = value;
		g_assert(g_utf8_validate(key, -1, NULL));
		g_assert(strlen(digest->hex) == (gsize)g_checksum_type_get_length(digest->type) * 2);
		g_assert(digest->algorithm != NULL);
	}
	return 0;
}

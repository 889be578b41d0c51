/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>

#include "ferry-util-private.h"

static int
compare_strings(const void *a, const void *b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

void
ferry_strv_sort(GStrv strv)
{
	if (strv != NULL)
		qsort(strv, g_strv_length(strv), sizeof(char *), compare_strings);
}

GStrv
ferry_hash_table_dup_sorted_keys(GHashTable *table)
{
	GStrv keys = (GStrv)g_hash_table_get_keys_as_array(table, NULL);
	for (guint i = 0; keys[i] != NULL; i++)
		keys[i] = g_strdup(keys[i]);
	ferry_strv_sort(keys);
	return keys;
}

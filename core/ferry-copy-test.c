/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry-copy-private.h"
#include "ferry.h"

static void
test_copy_parse_size(void)
{
	const struct {
		const char *text;
		guint64 size;
	} good[] = {
	    {"0", 0},
	    {"65536", 65536},
	    {"256k", 256 * 1024},
	    {"256K", 256 * 1024},
	    {"4M", 4 * 1024 * 1024},
	    {"4MiB", 4 * 1024 * 1024},
	    {"10MB", 10000000},
	    {"1.5G", 1610612736},
	    {"100MiB/s", 104857600},
	    {" 2 GiB ", 2147483648},
	    {"1T", 1099511627776},
	};
	const char *bad[] = {"", "k", "-1", "12 apples", "1..2M", "M4", "nan", "1e400"};

	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		guint64 size = 42;
		g_assert_true(ferry_copy_parse_size(good[i].text, &size, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(size, ==, good[i].size);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		guint64 size = 42;
		g_assert_false(ferry_copy_parse_size(bad[i], &size, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "is not a size"));
		g_assert_cmpuint(size, ==, 42);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/copy/parse-size", test_copy_parse_size);
	return g_test_run();
}

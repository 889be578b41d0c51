/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ferry.h"

static void
test_extent_add_merge(void)
{
	g_autoptr(FerryExtentList) list = ferry_extent_list_new();
	g_autoptr(GError) error = NULL;
	guint64 offset, length;
	FerryExtentFlags flags;

	g_assert_true(ferry_extent_list_add(list, 0, 4096, FERRY_EXTENT_FLAG_NONE, &error));
	g_assert_no_error(error);
	/* adjacent, same flags: merged */
	g_assert_true(ferry_extent_list_add(list, 4096, 4096, FERRY_EXTENT_FLAG_NONE, NULL));
	/* adjacent, other flags: new range */
	g_assert_true(ferry_extent_list_add(list, 8192, 8192,
					    FERRY_EXTENT_FLAG_HOLE | FERRY_EXTENT_FLAG_ZERO, NULL));
	/* zero length ignored */
	g_assert_true(ferry_extent_list_add(list, 20000, 0, FERRY_EXTENT_FLAG_NONE, NULL));
	/* gap then data */
	g_assert_true(ferry_extent_list_add(list, 1 << 20, 512, FERRY_EXTENT_FLAG_NONE, NULL));

	g_assert_cmpuint(ferry_extent_list_get_length(list), ==, 3);
	g_assert_true(ferry_extent_list_get_extent(list, 0, &offset, &length, &flags));
	g_assert_cmpuint(offset, ==, 0);
	g_assert_cmpuint(length, ==, 8192);
	g_assert_cmpuint(flags, ==, FERRY_EXTENT_FLAG_NONE);
	g_assert_true(ferry_extent_list_get_extent(list, 1, &offset, &length, &flags));
	g_assert_cmpuint(offset, ==, 8192);
	g_assert_cmpuint(flags, ==, FERRY_EXTENT_FLAG_HOLE | FERRY_EXTENT_FLAG_ZERO);
	g_assert_false(ferry_extent_list_get_extent(list, 3, NULL, NULL, NULL));
	g_assert_cmpuint(ferry_extent_list_get_total(list), ==, 8192 + 8192 + 512);
	g_assert_cmpuint(ferry_extent_list_get_data_total(list), ==, 8192 + 512);
	g_assert_cmpuint(ferry_extent_list_get_end(list), ==, (1 << 20) + 512);
}

static void
test_extent_reject_overlap(void)
{
	g_autoptr(FerryExtentList) list = ferry_extent_list_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(ferry_extent_list_add(list, 1000, 1000, FERRY_EXTENT_FLAG_NONE, NULL));
	g_assert_false(ferry_extent_list_add(list, 1500, 10, FERRY_EXTENT_FLAG_NONE, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_clear_error(&error);
	g_assert_false(ferry_extent_list_add(list, 0, 10, FERRY_EXTENT_FLAG_NONE, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_clear_error(&error);
	g_assert_false(ferry_extent_list_add(list, G_MAXUINT64 - 5, 10, FERRY_EXTENT_FLAG_NONE,
					     &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_cmpuint(ferry_extent_list_get_length(list), ==, 1);
}

static FerryExtentList *
make_list(const guint64 *pairs, guint n)
{
	FerryExtentList *list = ferry_extent_list_new();
	for (guint i = 0; i < n; i++)
		g_assert_true(ferry_extent_list_add(list, pairs[2 * i], pairs[2 * i + 1],
						    FERRY_EXTENT_FLAG_NONE, NULL));
	return list;
}

static void
test_extent_subtract(void)
{
	const guint64 all[] = {0, 100, 200, 100};
	const guint64 done[] = {10, 20, 90, 130, 250, 10, 290, 50};
	const guint64 expected[] = {0, 10, 30, 60, 220, 30, 260, 30};
	g_autoptr(FerryExtentList) a = make_list(all, 2);
	g_autoptr(FerryExtentList) b = make_list(done, 4);
	g_autoptr(FerryExtentList) left = ferry_extent_list_subtract(a, b);

	g_assert_cmpuint(ferry_extent_list_get_length(left), ==, G_N_ELEMENTS(expected) / 2);
	for (guint i = 0; i < G_N_ELEMENTS(expected) / 2; i++) {
		guint64 offset, length;
		g_assert_true(ferry_extent_list_get_extent(left, i, &offset, &length, NULL));
		g_assert_cmpuint(offset, ==, expected[2 * i]);
		g_assert_cmpuint(length, ==, expected[2 * i + 1]);
	}
}

/* subtraction against a brute-force bitmap on random lists */
static void
test_extent_subtract_random(void)
{
	GRand *rand = g_rand_new_with_seed(42);
	for (guint round = 0; round < 200; round++) {
		guint8 want[512] = {0}, have[512] = {0}, got[512] = {0};
		g_autoptr(FerryExtentList) a = ferry_extent_list_new();
		g_autoptr(FerryExtentList) b = ferry_extent_list_new();
		g_autoptr(FerryExtentList) left = NULL;
		guint pos = 0;

		while (pos < 512) {
			guint gap = g_rand_int_range(rand, 0, 20);
			guint len = g_rand_int_range(rand, 1, 40);
			pos += gap;
			if (pos >= 512)
				break;
			len = MIN(len, 512 - pos);
			ferry_extent_list_add(a, pos, len, FERRY_EXTENT_FLAG_NONE, NULL);
			for (guint i = pos; i < pos + len; i++)
				want[i] = 1;
			pos += len;
		}
		pos = 0;
		while (pos < 512) {
			guint gap = g_rand_int_range(rand, 0, 30);
			guint len = g_rand_int_range(rand, 1, 30);
			pos += gap;
			if (pos >= 512)
				break;
			len = MIN(len, 512 - pos);
			ferry_extent_list_add(b, pos, len, FERRY_EXTENT_FLAG_ZERO, NULL);
			for (guint i = pos; i < pos + len; i++)
				have[i] = 1;
			pos += len;
		}
		left = ferry_extent_list_subtract(a, b);
		for (guint i = 0; i < ferry_extent_list_get_length(left); i++) {
			const FerryExtent *e = ferry_extent_list_get(left, i);
			g_assert_cmpuint(e->flags, ==, FERRY_EXTENT_FLAG_NONE);
			for (guint64 j = e->offset; j < e->offset + e->length; j++)
				got[j] = 1;
		}
		for (guint i = 0; i < 512; i++)
			g_assert_cmpuint(got[i], ==, want[i] && !have[i]);
	}
	g_rand_free(rand);
}

static void
test_extent_boxed(void)
{
	g_autoptr(FerryExtentList) list = ferry_extent_list_new();
	FerryExtentList *copy = g_boxed_copy(FERRY_TYPE_EXTENT_LIST, list);
	g_assert_true(copy == list);
	g_boxed_free(FERRY_TYPE_EXTENT_LIST, copy);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/extent/add-merge", test_extent_add_merge);
	g_test_add_func("/extent/reject-overlap", test_extent_reject_overlap);
	g_test_add_func("/extent/subtract", test_extent_subtract);
	g_test_add_func("/extent/subtract-random", test_extent_subtract_random);
	g_test_add_func("/extent/boxed", test_extent_boxed);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* a tree goes, a link in it goes without what it points to, a missing
 * path is fine */
static void
test_remove_tree(void)
{
	g_autofree char *top = g_dir_make_tmp("ferry-files-XXXXXX", NULL);
	g_autofree char *outside = g_dir_make_tmp("ferry-files-keep-XXXXXX", NULL);
	g_autofree char *kept = g_build_filename(outside, "kept", NULL);
	g_autofree char *deep = g_build_filename(top, "a", "b", NULL);
	g_autofree char *file = g_build_filename(deep, "file", NULL);
	g_autofree char *link = g_build_filename(top, "a", "link", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(deep, 0755), ==, 0);
	g_assert_true(g_file_set_contents(file, "data", -1, NULL));
	g_assert_true(g_file_set_contents(kept, "keep", -1, NULL));
	g_assert_cmpint(symlink(outside, link), ==, 0);

	g_assert_true(ferry_files_remove_tree(top, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(top, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(kept, G_FILE_TEST_IS_REGULAR));
	g_assert_true(ferry_files_remove_tree(top, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_files_remove_tree(outside, NULL));
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/files/remove-tree", test_remove_tree);
	return g_test_run();
}

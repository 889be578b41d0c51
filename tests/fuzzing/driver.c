/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs a libFuzzer-style target (LLVMFuzzerTestOneInput) over files given on
 * the command line, or over every file of the directories given, so each
 * fuzz target is also an ordinary test over its seed corpus. Built with
 * -fsanitize=fuzzer instead, this file is left out and libFuzzer drives the
 * target.
 */

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static guint
run_file(const char *path)
{
	g_autofree char *contents = NULL;
	gsize length = 0;
	g_autoptr(GError) error = NULL;

	if (!g_file_get_contents(path, &contents, &length, &error)) {
		g_printerr("fuzz driver: %s\n", error->message);
		return 0;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)contents, length);
	return 1;
}

static guint
run_path(const char *path)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;
	guint count = 0;

	if (!g_file_test(path, G_FILE_TEST_IS_DIR))
		return run_file(path);
	dir = g_dir_open(path, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		count += run_path(child);
	}
	return count;
}

int
main(int argc, char **argv)
{
	guint count = 0;
	for (int i = 1; i < argc; i++)
		count += run_path(argv[i]);
	if (count == 0) {
		g_printerr("fuzz driver: no input files in the corpus\n");
		return 1;
	}
	g_print("ran %u inputs\n", count);
	return 0;
}

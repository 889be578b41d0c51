/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "v2v-test-util.h"

/* every plugin of the build tree (FERRY_PLUGIN_PATH) plus the built-ins */
FerryPluginRegistry *
v2v_test_registry(void)
{
	g_autoptr(FerryPluginRegistry) registry = ferry_plugin_registry_new();
	g_autoptr(GError) error = NULL;
	g_assert_true(ferry_plugin_registry_load(registry, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&registry);
}

FerryTransferMethod *
v2v_test_load_method(void)
{
	g_autoptr(FerryPluginRegistry) registry = v2v_test_registry();
	g_autoptr(GError) error = NULL;
	FerryTransferMethod *method =
	    ferry_plugin_registry_create_transfer_method(registry, "virt-v2v", &error);
	g_assert_no_error(error);
	g_assert_nonnull(method);
	return method;
}

static gboolean
in_ci(void)
{
	return g_strcmp0(g_getenv("CI"), "true") == 0;
}

/* a missing tool skips the test here, and fails it in CI */
gboolean
v2v_test_require_program(const char *program)
{
	g_autofree char *path = g_find_program_in_path(program);
	g_autofree char *message = NULL;
	if (path != NULL)
		return TRUE;
	message = g_strdup_printf("%s is not installed (Debian package virt-v2v; run "
				  "scripts/install-deps)",
				  program);
	if (in_ci())
		g_error("%s", message);
	g_test_skip(message);
	return FALSE;
}

/* the test guest from scripts/make-test-guest (built once, cached) */
char *
v2v_test_guest(gboolean image)
{
	const char *root = g_getenv("FERRY_SOURCE_ROOT");
	g_autofree char *script = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	int status = 0;
	const char *argv[] = {NULL, image ? "--image" : NULL, NULL};

	if (root == NULL) {
		g_test_skip("FERRY_SOURCE_ROOT is not set; run the test through meson");
		return NULL;
	}
	script = g_build_filename(root, "scripts", "make-test-guest", NULL);
	argv[0] = script;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
			  &status, &error) ||
	    !g_spawn_check_wait_status(status, NULL)) {
		g_autofree char *message = g_strdup_printf(
		    "scripts/make-test-guest failed: %s", error != NULL ? error->message : err);
		if (in_ci())
			g_error("%s", message);
		g_test_skip(message);
		return NULL;
	}
	return g_strdup(g_strstrip(out));
}

void
v2v_test_make_blank_disk(const char *path, gint64 size)
{
	FILE *file = g_fopen(path, "we");
	g_assert_nonnull(file);
	g_assert_cmpint(ftruncate(fileno(file), size), ==, 0);
	fclose(file);
}

static gboolean
file_mentions(const char *path, const char *needle)
{
	g_autofree char *contents = NULL;
	gsize length = 0;
	if (!g_file_get_contents(path, &contents, &length, NULL))
		return FALSE;
	/* NUL-separated: look through every string */
	for (gsize offset = 0; offset < length; offset += strlen(contents + offset) + 1) {
		if (strstr(contents + offset, needle) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* a process whose command line or environment names @needle: virt-v2v,
 * nbdkit and the appliance's qemu all inherit VIRT_V2V_TMPDIR */
gboolean
v2v_test_process_running(const char *needle)
{
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	const char *name;
	g_autofree char *self = g_strdup_printf("%d", getpid());

	while (proc != NULL && (name = g_dir_read_name(proc)) != NULL) {
		g_autofree char *cmdline = NULL;
		g_autofree char *environ_path = NULL;
		g_autofree char *stat_path = NULL;
		g_autofree char *stat = NULL;
		if (!g_ascii_isdigit(name[0]) || g_str_equal(name, self))
			continue;
		/* zombies are gone already, only not reaped */
		stat_path = g_build_filename("/proc", name, "stat", NULL);
		if (g_file_get_contents(stat_path, &stat, NULL, NULL) && strstr(stat, ") Z ") != NULL)
			continue;
		cmdline = g_build_filename("/proc", name, "cmdline", NULL);
		environ_path = g_build_filename("/proc", name, "environ", NULL);
		if (file_mentions(cmdline, needle) || file_mentions(environ_path, needle)) {
			g_test_message("still running: process %s", name);
			return TRUE;
		}
	}
	return FALSE;
}

/* guestfish on @disk, read-only, with the root file system mounted */
char *
v2v_test_guestfish(const char *disk, const char *commands)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
				      G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				      G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	g_subprocess_launcher_setenv(launcher, "LIBGUESTFS_BACKEND", "direct", TRUE);
	g_subprocess_launcher_setenv(launcher, "LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", TRUE);
	process = g_subprocess_launcher_spawn(
	    launcher, &error, "guestfish", "--ro",
	    g_str_has_suffix(disk, ".qcow2") ? "--format=qcow2" : "--format=raw", "-a", disk, "-m",
	    "/dev/sda1", NULL);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, commands, NULL, &out, NULL, &error));
	g_assert_no_error(error);
	g_test_message("guestfish: %s", out);
	return g_steal_pointer(&out);
}

/* runs a program to its end; returns its wait status */
int
v2v_test_run(const char *program, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	int status = -1;
	va_list ap;

	g_ptr_array_add(argv, (gpointer)program);
	va_start(ap, program);
	for (const char *arg = va_arg(ap, const char *); arg != NULL;
	     arg = va_arg(ap, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
				   NULL, NULL, NULL, &status, &error));
	g_assert_no_error(error);
	return status;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "copy-test-util.h"

#include <glib/gstdio.h>
#include <libnbd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

gboolean
test_require_programs(const char *first, ...)
{
	va_list args;
	g_autoptr(GString) missing = g_string_new(NULL);

	va_start(args, first);
	for (const char *name = first; name != NULL; name = va_arg(args, const char *)) {
		g_autofree char *path = g_find_program_in_path(name);
		if (path == NULL)
			g_string_append_printf(missing, " %s", name);
	}
	va_end(args);
	if (missing->len == 0)
		return TRUE;
	if (g_strcmp0(g_getenv("CI"), "true") == 0) {
		g_test_message("missing in CI:%s; scripts/install-deps installs them",
			       missing->str);
		g_test_fail();
	} else {
		g_autofree char *reason =
		    g_strdup_printf("needs%s (run scripts/install-deps)", missing->str);
		g_test_skip(reason);
	}
	return FALSE;
}

void
test_fixture_setup(TestFixture *fixture, gconstpointer data)
{
	fixture->dir = test_dir_new();
}

void
test_fixture_teardown(TestFixture *fixture, gconstpointer data)
{
	test_dir_remove(fixture->dir);
	g_free(fixture->dir);
}

char *
test_fixture_path(TestFixture *fixture, const char *name)
{
	return g_build_filename(fixture->dir, name, NULL);
}

char *
test_dir_new(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("ferry-copy-XXXXXX", &error);
	g_assert_no_error(error);
	return dir;
}

void
test_dir_remove(const char *dir)
{
	g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
	const char *name;
	if (handle == NULL)
		return;
	while ((name = g_dir_read_name(handle)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

static gboolean
test_server_ready(TestServer *server)
{
	struct nbd_handle *nbd = nbd_create();
	gboolean ok = nbd_connect_unix(nbd, server->socket) == 0;
	if (ok)
		nbd_shutdown(nbd, 0);
	nbd_close(nbd);
	return ok;
}

static void
test_server_child_setup(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static TestServer *
test_server_spawn(GPtrArray *argv, const char *socket)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	TestServer *server = g_new0(TestServer, 1);
	gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

	g_ptr_array_add(argv, NULL);
	server->socket = g_strdup(socket);
	server->uri = g_strdup_printf("nbd+unix:///?socket=%s", socket);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	/* servers end with the test, even when it aborts (qemu-nbd has no
	 * --exit-with-parent) */
	g_subprocess_launcher_set_child_setup(launcher, test_server_child_setup, NULL, NULL);
	server->process =
	    g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	while (!test_server_ready(server)) {
		if (g_subprocess_get_identifier(server->process) == NULL)
			g_error("%s exited before serving %s", (char *)argv->pdata[0], socket);
		if (g_get_monotonic_time() > deadline)
			g_error("%s did not serve %s within 20 s", (char *)argv->pdata[0], socket);
		g_usleep(10 * 1000);
	}
	return server;
}

/* PROGRAM FIXED-ARGS… SOCKET-OPTION DIR/NAME.sock ARGS… */
static TestServer *
test_server_start(const char *const *command,
		  const char *dir,
		  const char *name,
		  const char *first_arg,
		  va_list args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *socket = g_strdup_printf("%s/%s.sock", dir, name);

	for (guint i = 0; command[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(command[i]));
	g_ptr_array_add(argv, g_strdup(socket));
	for (const char *arg = first_arg; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, g_strdup(arg));
	return test_server_spawn(argv, socket);
}

TestServer *
test_nbdkit_start(const char *dir, const char *name, const char *first_arg, ...)
{
	static const char *const command[] = {"nbdkit", "-f", "--exit-with-parent", "-U", NULL};
	TestServer *server;
	va_list args;
	va_start(args, first_arg);
	server = test_server_start(command, dir, name, first_arg, args);
	va_end(args);
	return server;
}

TestServer *
test_qemu_nbd_start(const char *dir, const char *name, const char *first_arg, ...)
{
	static const char *const command[] = {"qemu-nbd", "-t", "-k", NULL};
	TestServer *server;
	va_list args;
	va_start(args, first_arg);
	server = test_server_start(command, dir, name, first_arg, args);
	va_end(args);
	return server;
}

static void
test_server_end(TestServer *server, int signum)
{
	if (server == NULL)
		return;
	g_subprocess_send_signal(server->process, signum);
	g_subprocess_wait(server->process, NULL, NULL);
	g_unlink(server->socket);
	g_object_unref(server->process);
	g_free(server->socket);
	g_free(server->uri);
	g_free(server);
}

void
test_server_stop(TestServer *server)
{
	test_server_end(server, SIGTERM);
}

void
test_server_kill(TestServer *server)
{
	test_server_end(server, SIGKILL);
}

void
test_run(const char *first_arg, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	va_list args;

	va_start(args, first_arg);
	for (const char *arg = first_arg; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_newv((const char *const *)argv->pdata,
				    G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, &error));
	g_assert_no_error(error);
	if (!g_subprocess_get_successful(process))
		g_error("%s failed: %s", first_arg, err);
}

GBytes *
test_read_disk(const char *uri_or_path)
{
	struct nbd_handle *nbd;
	int64_t size;
	guint8 *data;

	if (strstr(uri_or_path, "://") == NULL) {
		g_autoptr(GError) error = NULL;
		char *contents = NULL;
		gsize length = 0;
		g_assert_true(g_file_get_contents(uri_or_path, &contents, &length, &error));
		g_assert_no_error(error);
		return g_bytes_new_take(contents, length);
	}
	nbd = nbd_create();
	g_assert_nonnull(nbd);
	if (nbd_connect_uri(nbd, uri_or_path) == -1)
		g_error("cannot connect to %s: %s", uri_or_path, nbd_get_error());
	size = nbd_get_size(nbd);
	if (size < 0 || size > G_MAXINT32)
		g_error("%s: unexpected size %" G_GINT64_FORMAT, uri_or_path, size);
	data = g_malloc((gsize)size + 1);
	for (int64_t offset = 0; offset < size;) {
		size_t chunk = (size_t)MIN(size - offset, 4 * 1024 * 1024);
		if (nbd_pread(nbd, data + offset, chunk, (uint64_t)offset, 0) == -1)
			g_error("cannot read %s at %" G_GINT64_FORMAT ": %s", uri_or_path, offset,
				nbd_get_error());
		offset += (int64_t)chunk;
	}
	nbd_shutdown(nbd, 0);
	nbd_close(nbd);
	return g_bytes_new_take(data, (gsize)size);
}

void
test_assert_same_disk(const char *a, const char *b)
{
	g_autoptr(GBytes) bytes_a = test_read_disk(a);
	g_autoptr(GBytes) bytes_b = test_read_disk(b);
	gsize size_a = 0, size_b = 0;
	const guint8 *data_a = g_bytes_get_data(bytes_a, &size_a);
	const guint8 *data_b = g_bytes_get_data(bytes_b, &size_b);

	if (size_a != size_b)
		g_error("%s has %" G_GSIZE_FORMAT " bytes, %s has %" G_GSIZE_FORMAT, a, size_a, b,
			size_b);
	if (size_a > 0 && memcmp(data_a, data_b, size_a) != 0) {
		for (gsize i = 0; i < size_a; i++) {
			if (data_a[i] != data_b[i])
				g_error("%s and %s differ first at byte %" G_GSIZE_FORMAT
					" (0x%02x, 0x%02x)",
					a, b, i, data_a[i], data_b[i]);
		}
	}
}

FerryDiskEndpoint *
test_endpoint(FerryDiskRole role, const char *uri_or_path)
{
	if (strstr(uri_or_path, "://") != NULL)
		return ferry_disk_endpoint_new_nbd(role, uri_or_path);
	return ferry_disk_endpoint_new_file(role, uri_or_path);
}

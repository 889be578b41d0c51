/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FerryNbdServer against the real nbdkit and qemu-nbd.
 */

#include <errno.h>
#include <ferry.h>
#include <glib/gstdio.h>
#include <libnbd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DISK_SIZE (1024 * 1024)

static gboolean
have_program(const char *name)
{
	g_autofree char *path = g_find_program_in_path(name);
	if (path == NULL)
		g_test_skip_printf("%s is not installed", name);
	return path != NULL;
}

static pid_t
server_pid(FerryNbdServer *server)
{
	return (pid_t)g_ascii_strtoll(
	    g_subprocess_get_identifier(ferry_nbd_server_get_process(server)), NULL, 10);
}

/* a file of DISK_SIZE bytes that differ from block to block */
static char *
make_image(const char *dir, GBytes **contents)
{
	g_autofree guint8 *data = g_malloc(DISK_SIZE);
	char *path = g_build_filename(dir, "disk.img", NULL);

	for (guint i = 0; i < DISK_SIZE; i++)
		data[i] = (guint8)((i / 512) * 7 + i);
	g_assert_true(g_file_set_contents(path, (const char *)data, DISK_SIZE, NULL));
	*contents = g_bytes_new(data, DISK_SIZE);
	return path;
}

static GBytes *
read_all(const char *uri, guint64 size)
{
	struct nbd_handle *nbd = nbd_create();
	guint8 *data = g_malloc(size);

	g_assert_nonnull(nbd);
	g_assert_cmpint(nbd_connect_uri(nbd, uri), ==, 0);
	g_assert_cmpint(nbd_get_size(nbd), ==, (int64_t)size);
	g_assert_cmpint(nbd_pread(nbd, data, size, 0, 0), ==, 0);
	nbd_shutdown(nbd, 0);
	nbd_close(nbd);
	return g_bytes_new_take(data, size);
}

/* the child got the listening socket from Ferry (LISTEN_FDS, LISTEN_PID of
 * its own) rather than a path to create */
static void
assert_socket_activated(pid_t pid)
{
	g_autofree char *environ_path = g_strdup_printf("/proc/%d/environ", (int)pid);
	g_autofree char *cmdline_path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
	g_autofree char *environ_text = NULL;
	g_autofree char *cmdline = NULL;
	g_autofree char *listen_pid = g_strdup_printf("LISTEN_PID=%d", (int)pid);
	gboolean fds = FALSE;
	gboolean own_pid = FALSE;
	gsize length = 0;

	g_assert_true(g_file_get_contents(environ_path, &environ_text, &length, NULL));
	for (gsize at = 0; at < length; at += strlen(environ_text + at) + 1) {
		fds = fds || g_strcmp0(environ_text + at, "LISTEN_FDS=1") == 0;
		own_pid = own_pid || g_strcmp0(environ_text + at, listen_pid) == 0;
	}
	g_assert_true(fds);
	g_assert_true(own_pid);
	g_assert_true(g_file_get_contents(cmdline_path, &cmdline, &length, NULL));
	for (gsize i = 0; i + 1 < length; i++) {
		if (cmdline[i] == '\0')
			cmdline[i] = ' ';
	}
	g_assert_null(strstr(cmdline, "--unix"));
	g_assert_null(strstr(cmdline, "--socket"));
}

static void
assert_gone(pid_t pid, const char *dir)
{
	g_assert_cmpint(kill(pid, 0), ==, -1);
	g_assert_cmpint(errno, ==, ESRCH);
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void
test_nbdkit_serves_file_read_only(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-nbd-test-XXXXXX", NULL);
	g_autoptr(GBytes) contents = NULL;
	g_autofree char *image = NULL;
	g_autofree char *file = NULL;
	g_autofree char *socket_dir = NULL;
	g_autoptr(GBytes) served = NULL;
	g_autoptr(GError) error = NULL;
	FerryNbdServer *server;
	struct nbd_handle *nbd;
	pid_t pid;

	if (!have_program("nbdkit"))
		return;
	image = make_image(dir, &contents);
	file = g_strdup_printf("file=%s", image);
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, "disk-1 of VM test");
	ferry_nbd_server_set_read_only(server, TRUE);
	ferry_nbd_server_add_argument(server, "file");
	ferry_nbd_server_add_argument(server, file);
	g_assert_true(ferry_nbd_server_start(server, NULL, &error));
	g_assert_no_error(error);

	g_assert_cmpuint(ferry_nbd_server_get_size(server), ==, DISK_SIZE);
	pid = server_pid(server);
	g_assert_cmpint(getpgid(pid), ==, pid);
	assert_socket_activated(pid);
	served = read_all(ferry_nbd_server_get_uri(server), DISK_SIZE);
	g_assert_true(g_bytes_equal(served, contents));
	nbd = nbd_create();
	g_assert_cmpint(nbd_connect_uri(nbd, ferry_nbd_server_get_uri(server)), ==, 0);
	g_assert_cmpint(nbd_is_read_only(nbd), ==, 1);
	nbd_close(nbd);

	/* dropping the server stops its process group and removes its directory */
	socket_dir = g_path_get_dirname(ferry_nbd_server_get_socket_path(server));
	g_object_unref(server);
	assert_gone(pid, socket_dir);
	ferry_files_remove_tree(dir, NULL);
}

/* a writable qcow2 served to several connections at once, through the
 * endpoint that owns the server; what was written is in the image */
static void
test_qemu_nbd_endpoint_writes_qcow2(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-nbd-test-XXXXXX", NULL);
	g_autofree char *image = g_build_filename(dir, "disk.qcow2", NULL);
	g_autofree char *socket_dir = NULL;
	g_autofree char *size = g_strdup_printf("%d", DISK_SIZE);
	const char *create[] = {"qemu-img", "create", "-q", "-f", "qcow2", image, size, NULL};
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(FerryNbdServer) reader = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autoptr(GBytes) served = NULL;
	g_autoptr(GError) error = NULL;
	struct nbd_handle *first;
	struct nbd_handle *second;
	char block[4096];
	int status = -1;
	pid_t pid;

	if (!have_program("qemu-nbd") || !have_program("qemu-img"))
		return;
	g_assert_true(g_spawn_sync(NULL, (char **)create, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   NULL, NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));

	server = ferry_nbd_server_new(FERRY_NBD_SERVER_QEMU_NBD, "disk-2 of VM test");
	ferry_nbd_server_add_argument(server, "--format=qcow2");
	ferry_nbd_server_add_argument(server, image);
	g_assert_true(ferry_nbd_server_start(server, NULL, &error));
	g_assert_no_error(error);
	pid = server_pid(server);
	assert_socket_activated(pid);
	endpoint = ferry_nbd_server_new_endpoint(server, FERRY_DISK_ROLE_TARGET);
	g_assert_cmpuint(ferry_disk_endpoint_get_size(endpoint), ==, DISK_SIZE);
	g_assert_cmpstr(ferry_disk_endpoint_get_description(endpoint), ==, "disk-2 of VM test");
	g_assert_cmpuint(ferry_disk_endpoint_get_processes(endpoint)->len, ==, 1);

	first = nbd_create();
	second = nbd_create();
	g_assert_cmpint(nbd_connect_uri(first, ferry_disk_endpoint_get_uri(endpoint)), ==, 0);
	g_assert_cmpint(nbd_connect_uri(second, ferry_disk_endpoint_get_uri(endpoint)), ==, 0);
	memset(block, 'a', sizeof(block));
	g_assert_cmpint(nbd_pwrite(first, block, sizeof(block), 0, 0), ==, 0);
	memset(block, 'b', sizeof(block));
	g_assert_cmpint(nbd_pwrite(second, block, sizeof(block), DISK_SIZE - sizeof(block), 0),
			==, 0);
	g_assert_cmpint(nbd_flush(first, 0), ==, 0);
	g_assert_cmpint(nbd_flush(second, 0), ==, 0);
	nbd_shutdown(first, 0);
	nbd_shutdown(second, 0);
	nbd_close(first);
	nbd_close(second);

	/* closing the endpoint stops qemu-nbd and removes the private directory */
	socket_dir = g_path_get_dirname(ferry_nbd_server_get_socket_path(server));
	g_assert_true(ferry_disk_endpoint_close(endpoint, &error));
	g_assert_no_error(error);
	assert_gone(pid, socket_dir);

	reader = ferry_nbd_server_new(FERRY_NBD_SERVER_QEMU_NBD, "disk-2 of VM test, again");
	ferry_nbd_server_set_read_only(reader, TRUE);
	ferry_nbd_server_add_argument(reader, "--format=qcow2");
	ferry_nbd_server_add_argument(reader, image);
	g_assert_true(ferry_nbd_server_start(reader, NULL, &error));
	g_assert_no_error(error);
	served = read_all(ferry_nbd_server_get_uri(reader), DISK_SIZE);
	g_assert_cmpint(((const char *)g_bytes_get_data(served, NULL))[0], ==, 'a');
	g_assert_cmpint(((const char *)g_bytes_get_data(served, NULL))[DISK_SIZE - 1], ==, 'b');
	g_assert_cmpint(((const char *)g_bytes_get_data(served, NULL))[DISK_SIZE / 2], ==, 0);
	g_assert_true(ferry_nbd_server_stop(reader, &error));
	g_assert_no_error(error);
	ferry_files_remove_tree(dir, NULL);
}

/* a server that cannot open its image: the error names the disk and quotes
 * the server's log, and nothing is left behind */
static void
test_failure_names_disk_and_quotes_log(void)
{
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *socket_dir = NULL;

	if (!have_program("qemu-nbd"))
		return;
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_QEMU_NBD, "disk-3 of VM broken");
	ferry_nbd_server_add_argument(server, "--format=qcow2");
	ferry_nbd_server_add_argument(server, "/nonexistent/ferry-missing.qcow2");
	g_assert_false(ferry_nbd_server_start(server, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_IO);
	g_assert_true(g_str_has_prefix(error->message, "disk-3 of VM broken: qemu-nbd "));
	g_assert_nonnull(strstr(error->message, "ferry-missing.qcow2"));
	g_assert_nonnull(strstr(error->message, "No such file"));
	socket_dir = g_path_get_dirname(ferry_nbd_server_get_socket_path(server));
	g_assert_false(g_file_test(socket_dir, G_FILE_TEST_EXISTS));
}

/* nbdkit's curl plugin reads the password from a 0600 file; the value is
 * on no command line */
static void
test_secret_parameter_is_a_private_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-nbd-test-XXXXXX", NULL);
	g_autoptr(GBytes) contents = NULL;
	g_autofree char *image = NULL;
	g_autofree char *url = NULL;
	g_autofree char *cmdline_path = NULL;
	g_autofree char *cmdline = NULL;
	g_autofree char *password_path = NULL;
	g_autofree char *password = NULL;
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(GBytes) served = NULL;
	g_autoptr(GError) error = NULL;
	const char *marker;
	GStatBuf info;
	gsize length = 0;

	if (!have_program("nbdkit"))
		return;
	image = make_image(dir, &contents);
	url = g_strdup_printf("url=file://%s", image);
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, "disk-4 of VM secret");
	ferry_nbd_server_set_read_only(server, TRUE);
	ferry_nbd_server_add_argument(server, "curl");
	ferry_nbd_server_add_argument(server, url);
	ferry_nbd_server_add_argument(server, "user=ferry");
	g_assert_true(
	    ferry_nbd_server_add_secret_parameter(server, "password", "Pa55-w0rd", &error));
	g_assert_no_error(error);
	if (!ferry_nbd_server_start(server, NULL, &error)) {
		g_test_skip_printf("nbdkit has no curl plugin: %s", error->message);
		ferry_files_remove_tree(dir, NULL);
		return;
	}
	served = read_all(ferry_nbd_server_get_uri(server), DISK_SIZE);
	g_assert_true(g_bytes_equal(served, contents));

	cmdline_path = g_strdup_printf("/proc/%d/cmdline", (int)server_pid(server));
	g_assert_true(g_file_get_contents(cmdline_path, &cmdline, &length, NULL));
	for (gsize i = 0; i + 1 < length; i++) {
		if (cmdline[i] == '\0')
			cmdline[i] = ' ';
	}
	g_assert_null(strstr(cmdline, "Pa55-w0rd"));
	marker = strstr(cmdline, "password=+");
	g_assert_nonnull(marker);
	password_path = g_strndup(marker + strlen("password=+"),
				  strcspn(marker + strlen("password=+"), " "));
	g_assert_cmpint(g_stat(password_path, &info), ==, 0);
	g_assert_cmpint(info.st_mode & 0777, ==, 0600);
	g_assert_true(g_file_get_contents(password_path, &password, NULL, NULL));
	g_assert_cmpstr(password, ==, "Pa55-w0rd");
	g_assert_true(ferry_nbd_server_stop(server, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(password_path, G_FILE_TEST_EXISTS));
	ferry_files_remove_tree(dir, NULL);
}

static gboolean
cancel_cb(gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
	return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread(gpointer user_data)
{
	g_usleep(300 * 1000);
	cancel_cb(user_data);
	return NULL;
}

/* a server slow to open: cancelling the start stops it at once */
static void
test_cancel_stops_slow_server(void)
{
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *socket_dir = NULL;
	GThread *thread;
	gint64 started = g_get_monotonic_time();

	if (!have_program("nbdkit"))
		return;
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, "disk-5 of VM slow");
	ferry_nbd_server_add_argument(server, "--filter=delay");
	ferry_nbd_server_add_argument(server, "memory");
	ferry_nbd_server_add_argument(server, "size=1M");
	ferry_nbd_server_add_argument(server, "delay-open=60");
	thread = g_thread_new("cancel", cancel_thread, cancellable);
	g_assert_false(ferry_nbd_server_start(server, cancellable, &error));
	g_thread_join(thread);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	g_assert_nonnull(strstr(error->message, "disk-5 of VM slow"));
	g_assert_cmpint(g_get_monotonic_time() - started, <, 20 * G_USEC_PER_SEC);
	socket_dir = g_path_get_dirname(ferry_nbd_server_get_socket_path(server));
	g_assert_false(g_file_test(socket_dir, G_FILE_TEST_EXISTS));
	g_assert_null(g_subprocess_get_identifier(ferry_nbd_server_get_process(server)));
}

/* a server that never finishes the handshake times out with its name */
static void
test_timeout_names_disk(void)
{
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(GError) error = NULL;

	if (!have_program("nbdkit"))
		return;
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, "disk-6 of VM stuck");
	ferry_nbd_server_set_timeout(server, 1);
	ferry_nbd_server_add_argument(server, "--filter=delay");
	ferry_nbd_server_add_argument(server, "memory");
	ferry_nbd_server_add_argument(server, "size=1M");
	ferry_nbd_server_add_argument(server, "delay-open=60");
	g_assert_false(ferry_nbd_server_start(server, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT);
	g_assert_true(g_str_has_prefix(error->message, "disk-6 of VM stuck: nbdkit did not serve"));
	g_assert_null(g_subprocess_get_identifier(ferry_nbd_server_get_process(server)));
}

static gpointer
start_in_thread(gpointer user_data)
{
	FerryNbdServer *server = user_data;
	g_autoptr(GError) error = NULL;

	g_assert_true(ferry_nbd_server_start(server, NULL, &error));
	g_assert_no_error(error);
	return NULL;
}

/* the parent-death signal follows the forking thread: a server started from
 * a thread that has ended must go on serving */
static void
test_server_outlives_starting_thread(void)
{
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(GBytes) served = NULL;
	pid_t pid;

	if (!have_program("nbdkit"))
		return;
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, "disk-8 of VM threaded");
	ferry_nbd_server_add_argument(server, "memory");
	ferry_nbd_server_add_argument(server, "size=1M");
	g_thread_join(g_thread_new("starter", start_in_thread, server));
	g_usleep(300 * 1000);
	pid = server_pid(server);
	g_assert_cmpint(kill(pid, 0), ==, 0);
	served = read_all(ferry_nbd_server_get_uri(server), DISK_SIZE);
	g_assert_cmpuint(g_bytes_get_size(served), ==, DISK_SIZE);
}

/* a program that is not installed is named with its package */
static void
test_missing_program_names_package(void)
{
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(GError) error = NULL;
	const char *path = g_getenv("PATH");

	g_setenv("PATH", "/nonexistent", TRUE);
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_QEMU_NBD, "disk-7 of VM bare");
	ferry_nbd_server_add_argument(server, "image.qcow2");
	g_assert_false(ferry_nbd_server_start(server, NULL, &error));
	g_setenv("PATH", path, TRUE);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(error->message, ==,
			"disk-7 of VM bare: qemu-nbd is not installed; install the qemu-utils "
			"package");
}

/* close functions: run once at close, the last added first, a failure
 * reported without keeping the others from running; dropping the last
 * reference closes too */
typedef struct {
	GString *order;
	guint destroyed;
} CloseLog;

static gboolean
close_ok_a(gpointer data, GError **error)
{
	g_string_append_c(((CloseLog *)data)->order, 'a');
	return TRUE;
}

static gboolean
close_fails_b(gpointer data, GError **error)
{
	g_string_append_c(((CloseLog *)data)->order, 'b');
	g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_IO, "pod web-transfer-x: gone wrong");
	return FALSE;
}

static gboolean
close_ok_c(gpointer data, GError **error)
{
	g_string_append_c(((CloseLog *)data)->order, 'c');
	return TRUE;
}

static void
close_destroyed(gpointer data)
{
	((CloseLog *)data)->destroyed++;
}

static void
test_endpoint_close_functions(void)
{
	CloseLog log = {g_string_new(NULL), 0};
	g_autoptr(GError) error = NULL;

	{
		g_autoptr(FerryDiskEndpoint) endpoint =
		    ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_TARGET, "nbd+unix:///?socket=/x");
		ferry_disk_endpoint_add_close_func(endpoint, close_ok_a, &log, close_destroyed);
		ferry_disk_endpoint_add_close_func(endpoint, close_fails_b, &log, close_destroyed);
		ferry_disk_endpoint_add_close_func(endpoint, close_ok_c, &log, NULL);
		g_assert_false(ferry_disk_endpoint_close(endpoint, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_IO);
		g_assert_nonnull(strstr(error->message, "web-transfer-x"));
		g_assert_cmpstr(log.order->str, ==, "cba");
		g_assert_cmpuint(log.destroyed, ==, 2);
		g_clear_error(&error);
		/* closing again runs nothing */
		g_assert_true(ferry_disk_endpoint_close(endpoint, &error));
		g_assert_no_error(error);
		g_assert_cmpstr(log.order->str, ==, "cba");
	}
	{
		/* the last reference closes */
		FerryDiskEndpoint *endpoint =
		    ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_TARGET, "nbd+unix:///?socket=/x");
		ferry_disk_endpoint_add_close_func(endpoint, close_ok_a, &log, close_destroyed);
		g_object_unref(endpoint);
		g_assert_cmpstr(log.order->str, ==, "cbaa");
		g_assert_cmpuint(log.destroyed, ==, 3);
	}
	g_string_free(log.order, TRUE);
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/nbd-server/nbdkit-serves-file-read-only-by-socket-activation",
			test_nbdkit_serves_file_read_only);
	g_test_add_func("/nbd-server/qemu-nbd-endpoint-writes-qcow2-and-owns-server",
			test_qemu_nbd_endpoint_writes_qcow2);
	g_test_add_func("/nbd-server/failure-names-disk-and-quotes-log",
			test_failure_names_disk_and_quotes_log);
	g_test_add_func("/nbd-server/secret-parameter-is-a-0600-file-not-an-argument",
			test_secret_parameter_is_a_private_file);
	g_test_add_func("/nbd-server/cancel-stops-slow-server", test_cancel_stops_slow_server);
	g_test_add_func("/nbd-server/timeout-names-disk", test_timeout_names_disk);
	g_test_add_func("/nbd-server/endpoint-close-functions-run-once-last-first",
			test_endpoint_close_functions);
	g_test_add_func("/nbd-server/server-outlives-the-thread-that-started-it",
			test_server_outlives_starting_thread);
	g_test_add_func("/nbd-server/missing-program-names-package",
			test_missing_program_names_package);
	return g_test_run();
}

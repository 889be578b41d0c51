/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `ferry copy` as a user runs it: kill -9 at random points and resume,
 * Ctrl-C, exit statuses, progress output on a pipe and on a terminal.
 */

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "copy-test-util.h"

#define MiB (1024 * 1024)

typedef struct {
	int status;
	char *out;
	char *err;
} RunResult;

static void
run_result_clear(RunResult *result)
{
	g_clear_pointer(&result->out, g_free);
	g_clear_pointer(&result->err, g_free);
}

static GPtrArray *
ferry_argv_new(const char *first_arg, va_list args)
{
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer)g_getenv("FERRY_BIN"));
	for (const char *arg = first_arg; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	g_ptr_array_add(argv, NULL);
	return argv;
}

static RunResult
run_ferry(const char *first_arg, ...)
{
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	RunResult result = {0};
	va_list args;

	va_start(args, first_arg);
	argv = ferry_argv_new(first_arg, args);
	va_end(args);
	process = g_subprocess_newv((const char *const *)argv->pdata,
				    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &result.out, &result.err,
						    &error));
	g_assert_no_error(error);
	result.status = g_subprocess_get_exit_status(process);
	return result;
}

static GSubprocess *
spawn_ferry(const char *first_arg, ...)
{
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GError) error = NULL;
	GSubprocess *process;
	va_list args;

	va_start(args, first_arg);
	argv = ferry_argv_new(first_arg, args);
	va_end(args);
	process = g_subprocess_newv((const char *const *)argv->pdata,
				    G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    &error);
	g_assert_no_error(error);
	return process;
}

/* waits up to @ms for @process to end; TRUE when it did */
static gboolean
wait_for_exit(GSubprocess *process, guint ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
	while (g_get_monotonic_time() < deadline) {
		if (g_subprocess_get_identifier(process) == NULL)
			return TRUE;
		g_usleep(10 * 1000);
	}
	return g_subprocess_get_identifier(process) == NULL;
}

static JsonObject *
parse_summary(const char *text)
{
	g_autoptr(JsonNode) node = json_from_string(text, NULL);
	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_object_ref(json_node_get_object(node));
}

static void
test_cli_kill_resume(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autofree char *target = test_fixture_path(fixture, "disk.img");
	g_autofree char *journal = test_fixture_path(fixture, "disk.journal");
	g_autofree char *image = test_fixture_path(fixture, "source.img");
	g_autofree char *make_image = NULL;
	g_autoptr(JsonObject) summary = NULL;
	RunResult r;
	guint killed = 0;

	if (!test_require_programs("nbdkit", "nbdcopy", "qemu-nbd", NULL))
		return;
	/* a disk of data and holes, served by qemu-nbd; the bandwidth limit
	 * makes the copy last about 6 s, room to kill it anywhere */
	make_image = g_strdup_printf("nbdcopy \"$uri\" '%s'", image);
	test_run("nbdkit", "-U", "-", "sparse-random", "256M", "seed=7", "percent=60", "--run",
		 make_image, NULL);
	source = test_qemu_nbd_start(fixture->dir, "src", "-r", "-f", "raw", image, NULL);
	for (guint round = 0; round < 4; round++) {
		g_autoptr(GSubprocess) process =
		    spawn_ferry("-q", "copy", "--journal", journal, "--connections", "1",
				"--requests", "4", "--bandwidth", "25M", source->uri, target, NULL);
		/* the first kill comes after a journal commit (every second) */
		guint after_ms = round == 0 ? (guint)g_test_rand_int_range(1800, 2500)
					    : (guint)g_test_rand_int_range(100, 1500);
		if (wait_for_exit(process, after_ms)) {
			g_autofree char *err = NULL;
			g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, NULL);
			g_test_message("round %u: the copy ended before the kill: %s", round, err);
			g_assert_true(g_subprocess_get_successful(process));
			break;
		}
		g_subprocess_force_exit(process);
		g_subprocess_wait(process, NULL, NULL);
		g_assert_true(g_subprocess_get_if_signaled(process));
		g_assert_cmpint(g_subprocess_get_term_sig(process), ==, SIGKILL);
		g_test_message("round %u: killed after %u ms", round, after_ms);
		killed++;
	}
	g_assert_cmpuint(killed, >=, 3);

	r = run_ferry("copy", "--journal", journal, "-o", "json", source->uri, target, NULL);
	g_assert_cmpint(r.status, ==, 0);
	summary = parse_summary(r.out);
	g_assert_cmpint(json_object_get_int_member(summary, "bytesTotal"), ==, 256 * MiB);
	/* the first kill came after at least one commit */
	g_assert_cmpint(json_object_get_int_member(summary, "bytesResumed"), >, 0);
	run_result_clear(&r);
	test_assert_same_disk(source->uri, target);
	{
		g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
		if (qemu_img != NULL)
			test_run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", target,
				 source->uri, NULL);
	}
	/* a finished copy is not done again */
	r = run_ferry("copy", "--journal", journal, "-o", "json", source->uri, target, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_clear_pointer(&summary, json_object_unref);
	summary = parse_summary(r.out);
	g_assert_cmpint(json_object_get_int_member(summary, "bytesRead"), ==, 0);
	run_result_clear(&r);
}

static void
test_cli_interrupt(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *target = test_fixture_path(fixture, "disk.img");
	g_autofree char *journal = test_fixture_path(fixture, "disk.journal");
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	RunResult r;

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "--filter=delay", "pattern", "64M",
				   "delay-read=20ms", NULL);
	process = spawn_ferry("copy", "--journal", journal, "--requests", "2", source->uri, target,
			      NULL);
	g_usleep(600 * 1000);
	g_subprocess_send_signal(process, SIGINT);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 6);
	g_assert_nonnull(strstr(err, "cancelled"));
	g_assert_nonnull(strstr(err, "same journal to resume"));

	r = run_ferry("-q", "copy", "--journal", journal, source->uri, target, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "");
	run_result_clear(&r);
	test_assert_same_disk(source->uri, target);
}

static void
test_cli_exit_status(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) small = NULL;
	g_autoptr(TestServer) sink = NULL;
	g_autoptr(TestServer) read_only = NULL;
	g_autofree char *nowhere =
	    g_strdup_printf("nbd+unix:///?socket=%s/none.sock", fixture->dir);
	g_autofree char *file = test_fixture_path(fixture, "x.img");
	g_autofree char *extents = test_fixture_path(fixture, "bad.json");
	RunResult r;

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "pattern", "16M", NULL);
	small = test_nbdkit_start(fixture->dir, "small", "memory", "8M", NULL);
	sink = test_nbdkit_start(fixture->dir, "sink", "null", "16M", NULL);
	read_only = test_nbdkit_start(fixture->dir, "ro", "-r", "memory", "16M", NULL);

	r = run_ferry("copy", nowhere, file, NULL);
	g_assert_cmpint(r.status, ==, 5);
	g_assert_nonnull(strstr(r.err, "cannot connect to"));
	g_assert_nonnull(strstr(r.err, "none.sock"));
	g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
	run_result_clear(&r);

	r = run_ferry("copy", source->uri, small->uri, NULL);
	g_assert_cmpint(r.status, ==, 7);
	g_assert_nonnull(strstr(r.err, "give a target of at least 16777216 bytes"));
	run_result_clear(&r);

	r = run_ferry("copy", source->uri, read_only->uri, NULL);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_nonnull(strstr(r.err, "read-only"));
	run_result_clear(&r);

	r = run_ferry("copy", "--verify", source->uri, sink->uri, NULL);
	g_assert_cmpint(r.status, ==, 8);
	g_assert_nonnull(strstr(r.err, "verification failed"));
	run_result_clear(&r);

	r = run_ferry("copy", "--request-size", "lots", source->uri, file, NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "--request-size lots"));
	run_result_clear(&r);

	r = run_ferry("copy", "--bandwidth", "0", source->uri, file, NULL);
	g_assert_cmpint(r.status, ==, 2);
	run_result_clear(&r);

	r = run_ferry("copy", source->uri, NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "give a SOURCE and a TARGET"));
	run_result_clear(&r);

	r = run_ferry("copy", "https://example.invalid/disk.img", file, NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "neither an NBD URI"));
	run_result_clear(&r);

	g_assert_true(g_file_set_contents(extents, "[{\"offset\": -1}]", -1, NULL));
	r = run_ferry("copy", "--extents", extents, source->uri, file, NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "element 0"));
	run_result_clear(&r);

	/* nothing was left behind by the failures */
	g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
}

static void
test_cli_output(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autofree char *file = test_fixture_path(fixture, "out.img");
	g_autofree char *extents = test_fixture_path(fixture, "changed.json");
	g_autoptr(JsonObject) summary = NULL;
	RunResult r;

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "sparse-random", "32M", "seed=3",
				   "percent=30", "runlength=262144", NULL);

	/* on a pipe: plain progress lines on stderr, a sentence on stdout */
	r = run_ferry("copy", "--verify", source->uri, file, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.err, "ferry copy: 100%"));
	g_assert_null(strstr(r.err, "\r"));
	/* sizes as g_format_size() writes them, with a no-break space */
	g_assert_true(g_str_has_prefix(r.out, "copied 32.0\u00a0MiB in "));
	g_assert_nonnull(strstr(r.out, "verified"));
	run_result_clear(&r);
	test_assert_same_disk(source->uri, file);

	/* -q: nothing at all */
	r = run_ferry("-q", "copy", source->uri, file, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_cmpstr(r.err, ==, "");
	run_result_clear(&r);

	/* changed areas from a file, as vSphere lists them */
	g_assert_true(g_file_set_contents(
	    extents, "[{\"start\": 65536, \"length\": 65536}, [1048576, 4096]]", -1, NULL));
	r = run_ferry("copy", "-o", "json", "--extents", extents, source->uri, file, NULL);
	g_assert_cmpint(r.status, ==, 0);
	summary = parse_summary(r.out);
	g_assert_cmpint(json_object_get_int_member(summary, "bytesTotal"), ==, 65536 + 4096);
	g_assert_cmpstr(json_object_get_string_member(summary, "target"), ==, file);
	run_result_clear(&r);
}

static void
test_cli_terminal(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autofree char *file = test_fixture_path(fixture, "tty.img");
	g_autofree char *command = NULL;
	g_autofree char *out = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;

	if (!test_require_programs("nbdkit", "script", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "--filter=delay", "pattern", "8M",
				   "delay-read=10ms", NULL);
	/* script(1) gives the copy a pseudo-terminal */
	command = g_strdup_printf("'%s' copy --requests 2 '%s' '%s'", g_getenv("FERRY_BIN"),
				  source->uri, file);
	process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
				   &error, "script", "-qefc", command, "/dev/null", NULL);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_successful(process));
	/* a bar redrawn in place, finished at 100% */
	g_assert_nonnull(strstr(out, "\r["));
	g_assert_nonnull(strstr(out, "#] 100%"));
	g_assert_nonnull(strstr(out, "copied 8.0\u00a0MiB"));
	test_assert_same_disk(source->uri, file);
}

static void
test_cli_dirty_bitmap(TestFixture *fixture, gconstpointer data)
{
	g_autofree char *image = test_fixture_path(fixture, "vm.qcow2");
	g_autofree char *file = test_fixture_path(fixture, "vm.img");
	g_autoptr(TestServer) server = NULL;
	g_autoptr(JsonObject) summary = NULL;
	RunResult r;

	if (!test_require_programs("qemu-img", "qemu-io", "qemu-nbd", NULL))
		return;
	test_run("qemu-img", "create", "-q", "-f", "qcow2", image, "16M", NULL);
	test_run("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 4M", image, NULL);
	test_run("qemu-img", "convert", "-O", "raw", image, file, NULL);
	test_run("qemu-img", "bitmap", "--add", image, "cbt", NULL);
	test_run("qemu-io", "-f", "qcow2", "-c", "write -P 0x44 8M 128k", "-c", "write -z 0 64k",
		 image, NULL);
	server = test_qemu_nbd_start(fixture->dir, "vm", "-r", "-f", "qcow2", "-B", "cbt", image,
				     NULL);
	r = run_ferry("copy", "-o", "json", "--extents-from", "qemu:dirty-bitmap:cbt", server->uri,
		      file, NULL);
	g_assert_cmpint(r.status, ==, 0);
	summary = parse_summary(r.out);
	g_assert_cmpint(json_object_get_int_member(summary, "bytesTotal"), ==, 128 * 1024 + 65536);
	g_assert_cmpint(json_object_get_int_member(summary, "bytesZeroed"), ==, 65536);
	run_result_clear(&r);
	test_assert_same_disk(server->uri, file);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	TEST_ADD("/copy-cli/kill-resume", test_cli_kill_resume);
	TEST_ADD("/copy-cli/interrupt", test_cli_interrupt);
	TEST_ADD("/copy-cli/exit-status", test_cli_exit_status);
	TEST_ADD("/copy-cli/output", test_cli_output);
	TEST_ADD("/copy-cli/terminal", test_cli_terminal);
	TEST_ADD("/copy-cli/dirty-bitmap", test_cli_dirty_bitmap);
	return g_test_run();
}

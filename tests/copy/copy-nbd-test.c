/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The copy engine against real NBD servers: nbdkit (memory, data, pattern,
 * sparse-random, null; the error and delay filters) and qemu-nbd exporting
 * a qcow2 with a persistent dirty bitmap.
 */

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "copy-test-util.h"

#define MiB (1024 * 1024)

/* runs a copy from @source to @target (URIs or paths) and returns it */
static FerryCopy *
copy_new(const char *source, const char *target)
{
	g_autoptr(FerryDiskEndpoint) src = test_endpoint(FERRY_DISK_ROLE_SOURCE, source);
	g_autoptr(FerryDiskEndpoint) dst = test_endpoint(FERRY_DISK_ROLE_TARGET, target);
	return ferry_copy_new(src, dst);
}

static void
count_changed_cb(FerryProgress *progress, gpointer user_data)
{
	guint64 *last = user_data;
	/* bytes done never go backwards */
	g_assert_cmpuint(ferry_progress_get_done(progress), >=, last[0]);
	last[0] = ferry_progress_get_done(progress);
	last[1]++;
}

/* a small disk with data, zero runs and holes, through the data plugin */
static TestServer *
start_data_source(TestFixture *fixture, const char *name)
{
	return test_nbdkit_start(fixture->dir, name, "data",
				 "1 2 3 4 @0x10000 ( 0x55 0xaa 0 0 )*65536 "
				 "@0x200000 ( \"ferry\" )*4096 @0x700000 0xff*8192 @0x7fffff 0x42",
				 "size=8M", NULL);
}

static void
test_copy_smoke(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) target = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(FerryCopy) to_file = NULL;
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "smoke.img");
	guint64 seen[2] = {0, 0};

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = start_data_source(fixture, "src");
	target = test_nbdkit_start(fixture->dir, "dst", "memory", "8M", NULL);

	ferry_progress_set_interval(progress, 0);
	g_signal_connect(progress, "changed", G_CALLBACK(count_changed_cb), seen);
	copy = copy_new(source->uri, target->uri);
	g_assert_true(ferry_copy_run(copy, progress, NULL, &error));
	g_assert_no_error(error);
	test_assert_same_disk(source->uri, target->uri);
	g_assert_cmpuint(ferry_copy_get_bytes_total(copy), ==, 8 * MiB);
	g_assert_cmpuint(ferry_progress_get_done(progress), ==, 8 * MiB);
	g_assert_cmpuint(ferry_progress_get_total(progress), ==, 8 * MiB);
	g_assert_cmpuint(seen[0], ==, 8 * MiB);
	g_assert_cmpuint(seen[1], >=, 2);
	/* only the blocks holding data are written */
	g_assert_cmpuint(ferry_copy_get_bytes_written(copy), <, 2 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_written(copy), >=, 4 * 65536);

	/* and to a new local file, which comes out sparse */
	to_file = copy_new(source->uri, file);
	ferry_copy_set_verify(to_file, TRUE);
	g_assert_true(ferry_copy_run(to_file, NULL, NULL, &error));
	g_assert_no_error(error);
	test_assert_same_disk(source->uri, file);
	g_assert_cmpuint(ferry_copy_get_bytes_verified(to_file), ==, 8 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_zeroed(to_file), ==, 0);
	g_assert_cmpuint(ferry_copy_get_bytes_skipped(to_file), >, 4 * MiB);
}

static void
test_copy_sparse_random(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) target = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GError) error = NULL;
	guint64 written, zero;

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "sparse-random", "128M", "seed=42",
				   "percent=25", NULL);
	target = test_nbdkit_start(fixture->dir, "dst", "memory", "128M", NULL);
	copy = copy_new(source->uri, target->uri);
	ferry_copy_set_connections(copy, 2);
	g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
	g_assert_no_error(error);
	test_assert_same_disk(source->uri, target->uri);
	/* both servers allow multi-conn */
	g_assert_cmpuint(ferry_copy_get_connections_used(copy), ==, 2);
	written = ferry_copy_get_bytes_written(copy);
	zero = ferry_copy_get_bytes_zeroed(copy) + ferry_copy_get_bytes_skipped(copy);
	g_assert_cmpuint(written, >, 8 * MiB);
	g_assert_cmpuint(written, <, 64 * MiB);
	g_assert_cmpuint(written + zero, ==, 128 * MiB);
	/* holes are not read; a memory target is not known to be zero */
	g_assert_cmpuint(ferry_copy_get_bytes_read(copy), <, 64 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_zeroed(copy), >, 0);
}

static void
test_copy_plain_servers(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) target = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GError) error = NULL;

	if (!test_require_programs("nbdkit", NULL))
		return;
	/* a source without an allocation map, a target without WRITE_ZEROES:
	 * zeroes are found in the data and written as buffers of zeroes */
	source = test_nbdkit_start(fixture->dir, "src", "--filter=noextents", "data",
				   "@0x100000 ( 0x11 )*65536 @0x500000 ( 0x22 )*4096", "size=8M",
				   NULL);
	target = test_nbdkit_start(fixture->dir, "dst", "--filter=nozero", "data",
				   "0xee*8388608", "zeromode=none", NULL);
	copy = copy_new(source->uri, target->uri);
	g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
	g_assert_no_error(error);
	test_assert_same_disk(source->uri, target->uri);
	g_assert_cmpuint(ferry_copy_get_bytes_read(copy), ==, 8 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_written(copy), ==, 65536 + 4096);
	g_assert_cmpuint(ferry_copy_get_bytes_zeroed(copy), ==, 8 * MiB - 65536 - 4096);
}

static void
test_copy_pattern_to_file(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "pattern.img");

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "pattern", "64M", NULL);
	copy = copy_new(source->uri, file);
	ferry_copy_set_request_size(copy, 1 * MiB);
	ferry_copy_set_requests(copy, 8);
	g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
	g_assert_no_error(error);
	test_assert_same_disk(source->uri, file);
	g_assert_cmpuint(ferry_copy_get_bytes_read(copy), ==, 64 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_written(copy), ==, 64 * MiB);
}

static void
test_copy_error_transient(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) reference = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "retried.img");

	if (!test_require_programs("nbdkit", NULL))
		return;
	/* one read in ten fails */
	source = test_nbdkit_start(fixture->dir, "src", "--filter=error", "pattern", "32M",
				   "error=EIO", "error-pread-rate=10%", NULL);
	reference = test_nbdkit_start(fixture->dir, "ref", "pattern", "32M", NULL);
	copy = copy_new(source->uri, file);
	ferry_copy_set_retries(copy, 10);
	g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_copy_get_retried(copy), >, 0);
	test_assert_same_disk(reference->uri, file);
}

static void
test_copy_error_persistent(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) target = NULL;
	g_autoptr(TestServer) good = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(FerryCopy) write_copy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "never.img");

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "--filter=error", "pattern", "8M",
				   "error-pread=EIO", "error-pread-rate=100%", NULL);
	copy = copy_new(source->uri, file);
	ferry_copy_set_retries(copy, 2);
	g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "cannot read"));
	g_assert_nonnull(strstr(error->message, source->uri));
	g_assert_nonnull(strstr(error->message, "at offset"));
	g_assert_nonnull(strstr(error->message, "still failing after retries"));
	g_assert_cmpuint(ferry_copy_get_retried(copy), >=, 2);
	/* the target file this copy created is gone again */
	g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
	g_clear_error(&error);

	/* a target that fails every write is named as such */
	good = test_nbdkit_start(fixture->dir, "good", "pattern", "8M", NULL);
	target = test_nbdkit_start(fixture->dir, "dst", "--filter=error", "memory", "8M",
				   "error-pwrite=ENOSPC", "error-pwrite-rate=100%", NULL);
	write_copy = copy_new(good->uri, target->uri);
	g_assert_false(ferry_copy_run(write_copy, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
	g_assert_nonnull(strstr(error->message, "cannot write"));
	g_assert_nonnull(strstr(error->message, target->uri));
	g_assert_nonnull(strstr(error->message, "full or smaller"));
}

typedef struct {
	GCancellable *cancellable;
	guint64 cancel_at;
} CancelAt;

static void
cancel_when_cb(FerryProgress *progress, gpointer user_data)
{
	CancelAt *cancel = user_data;
	if (ferry_progress_get_done(progress) >= cancel->cancel_at)
		g_cancellable_cancel(cancel->cancellable);
}

static void
test_copy_cancel_resume(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(FerryCopy) first = NULL;
	g_autoptr(FerryCopy) second = NULL;
	g_autoptr(FerryCopy) third = NULL;
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "resumed.img");
	g_autofree char *journal = test_fixture_path(fixture, "resumed.journal");
	CancelAt cancel = {cancellable, 12 * MiB};

	if (!test_require_programs("nbdkit", NULL))
		return;
	/* slow reads, so that the copy is cancelled part way */
	source = test_nbdkit_start(fixture->dir, "src", "--filter=delay", "pattern", "32M",
				   "delay-read=5ms", NULL);
	first = copy_new(source->uri, file);
	ferry_copy_set_journal(first, journal);
	ferry_copy_set_connections(first, 1);
	ferry_copy_set_requests(first, 4);
	ferry_progress_set_interval(progress, 0);
	g_signal_connect(progress, "changed", G_CALLBACK(cancel_when_cb), &cancel);
	g_assert_false(ferry_copy_run(first, progress, cancellable, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	g_assert_nonnull(strstr(error->message, "resume"));
	g_clear_error(&error);
	/* the journal keeps the file, and what was done */
	g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));

	second = copy_new(source->uri, file);
	ferry_copy_set_journal(second, journal);
	g_assert_true(ferry_copy_run(second, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_copy_get_bytes_resumed(second), >=, 12 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_read(second), <=, 20 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_resumed(second) + ferry_copy_get_bytes_read(second),
			 ==, 32 * MiB);
	test_assert_same_disk(source->uri, file);

	/* a finished journal means nothing left to do */
	third = copy_new(source->uri, file);
	ferry_copy_set_journal(third, journal);
	g_assert_true(ferry_copy_run(third, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_copy_get_bytes_read(third), ==, 0);
	g_assert_cmpuint(ferry_copy_get_bytes_resumed(third), ==, 32 * MiB);
}

typedef struct {
	GMainLoop *loop;
	GError *error;
} LoopRun;

static void
loop_run_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	LoopRun *run = user_data;
	ferry_copy_run_finish(FERRY_COPY(source), result, &run->error);
	g_main_loop_quit(run->loop);
}

/* runs @copy in its threads while this thread's main loop dispatches the
 * timers the test set up to disturb the servers */
static gboolean
copy_run_in_loop(FerryCopy *copy, GError **error)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	LoopRun run = {loop, NULL};
	ferry_copy_run_async(copy, NULL, NULL, loop_run_done_cb, &run);
	g_main_loop_run(loop);
	if (run.error != NULL) {
		g_propagate_error(error, run.error);
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	TestFixture *fixture;
	TestServer *source;
	gboolean restarted;
} Restart;

static gboolean
stop_source_cb(gpointer user_data)
{
	Restart *restart = user_data;
	/* the server crashes while reads are in flight */
	test_server_kill(g_steal_pointer(&restart->source));
	return G_SOURCE_REMOVE;
}

static gboolean
start_source_cb(gpointer user_data)
{
	Restart *restart = user_data;
	/* and bring it back on the same socket; servers are started from the
	 * main thread, as --exit-with-parent follows the thread that forked */
	restart->source = test_nbdkit_start(restart->fixture->dir, "src", "--filter=delay",
					    "pattern", "16M", "delay-read=10ms", NULL);
	restart->restarted = TRUE;
	return G_SOURCE_REMOVE;
}

static void
test_copy_reconnect(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) reference = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "reconnected.img");
	g_autofree char *uri = NULL;
	Restart restart = {fixture, NULL, FALSE};

	if (!test_require_programs("nbdkit", NULL))
		return;
	restart.source = test_nbdkit_start(fixture->dir, "src", "--filter=delay", "pattern",
					   "16M", "delay-read=10ms", NULL);
	uri = g_strdup(restart.source->uri);
	reference = test_nbdkit_start(fixture->dir, "ref", "pattern", "16M", NULL);
	copy = copy_new(uri, file);
	ferry_copy_set_connections(copy, 1);
	ferry_copy_set_requests(copy, 2);
	ferry_copy_set_retries(copy, 8);
	g_timeout_add(300, stop_source_cb, &restart);
	g_timeout_add(700, start_source_cb, &restart);
	g_assert_true(copy_run_in_loop(copy, &error));
	g_assert_no_error(error);
	g_assert_true(restart.restarted);
	g_assert_cmpuint(ferry_copy_get_retried(copy), >, 0);
	test_assert_same_disk(reference->uri, file);
	test_server_stop(restart.source);
}

static gboolean
freeze_source_cb(gpointer user_data)
{
	TestServer *source = user_data;
	g_subprocess_send_signal(source->process, SIGSTOP);
	return G_SOURCE_REMOVE;
}

static gboolean
thaw_source_cb(gpointer user_data)
{
	TestServer *source = user_data;
	g_subprocess_send_signal(source->process, SIGCONT);
	return G_SOURCE_REMOVE;
}

static void
test_copy_stall(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *image = test_fixture_path(fixture, "hung.img");
	g_autofree char *file = test_fixture_path(fixture, "copy.img");
	g_autofree char *contents = g_malloc(16 * MiB);

	if (!test_require_programs("qemu-nbd", NULL))
		return;
	for (guint i = 0; i < 16 * MiB; i++)
		contents[i] = (char)(i / 512 + 1);
	g_assert_true(g_file_set_contents(image, contents, 16 * MiB, NULL));
	source = test_qemu_nbd_start(fixture->dir, "src", "-r", "-f", "raw", image, NULL);
	copy = copy_new(source->uri, file);
	ferry_copy_set_connections(copy, 1);
	ferry_copy_set_requests(copy, 2);
	ferry_copy_set_bandwidth(copy, 4 * MiB);
	ferry_copy_set_timeout(copy, 1);
	g_assert_cmpuint(ferry_copy_get_timeout(copy), ==, 1);
	/* the server hangs for 2 s in the middle of the copy, as a host whose
	 * network stops without closing anything */
	g_timeout_add(500, freeze_source_cb, source);
	g_timeout_add(2500, thaw_source_cb, source);
	g_assert_true(copy_run_in_loop(copy, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_copy_get_retried(copy), >, 0);
	test_assert_same_disk(source->uri, file);
}

/* a qcow2 disk with base data, then a dirty bitmap, then changes after it:
 * new data at 1M+64k and 40M+4k, and zeroes over data at 2M+1M */
static char *
make_bitmap_image(TestFixture *fixture)
{
	char *image = test_fixture_path(fixture, "cbt.qcow2");
	test_run("qemu-img", "create", "-q", "-f", "qcow2", image, "64M", NULL);
	test_run("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 8M", "-c",
		 "write -P 0x12 32M 16M", image, NULL);
	return image;
}

static void
change_bitmap_image(const char *image)
{
	test_run("qemu-img", "bitmap", "--add", image, "bitmap0", NULL);
	test_run("qemu-io", "-f", "qcow2", "-c", "write -P 0x22 1M 64k", "-c",
		 "write -P 0x33 40M 4k", "-c", "write -z 2M 1M", image, NULL);
}

static void
test_copy_dirty_bitmap(TestFixture *fixture, gconstpointer data)
{
	g_autofree char *image = NULL;
	g_autofree char *file = test_fixture_path(fixture, "warm.img");
	g_autofree char *file2 = test_fixture_path(fixture, "warm2.img");
	g_autoptr(TestServer) base = NULL;
	g_autoptr(TestServer) changed = NULL;
	g_autoptr(FerryCopy) full = NULL;
	g_autoptr(FerryCopy) full2 = NULL;
	g_autoptr(FerryCopy) delta = NULL;
	g_autoptr(FerryCopy) listed = NULL;
	g_autoptr(FerryCopy) missing = NULL;
	g_autoptr(FerryExtentList) extents = ferry_extent_list_new();
	g_autoptr(GError) error = NULL;

	if (!test_require_programs("qemu-img", "qemu-io", "qemu-nbd", NULL))
		return;
	image = make_bitmap_image(fixture);

	/* the first, full copy while the guest still runs */
	base = test_qemu_nbd_start(fixture->dir, "base", "-r", "-f", "qcow2", image, NULL);
	full = copy_new(base->uri, file);
	g_assert_true(ferry_copy_run(full, NULL, NULL, &error));
	g_assert_no_error(error);
	full2 = copy_new(base->uri, file2);
	g_assert_true(ferry_copy_run(full2, NULL, NULL, &error));
	g_assert_no_error(error);
	/* copying from a dirty bitmap the source does not export fails clearly */
	missing = copy_new(base->uri, file);
	ferry_copy_set_extents_from(missing, "qemu:dirty-bitmap:bitmap0");
	g_assert_false(ferry_copy_run(missing, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "qemu:dirty-bitmap:bitmap0"));
	g_clear_error(&error);
	test_server_stop(g_steal_pointer(&base));

	/* the guest writes on after the bitmap was added */
	change_bitmap_image(image);
	changed = test_qemu_nbd_start(fixture->dir, "changed", "-r", "-f", "qcow2", "-B", "bitmap0",
				      image, NULL);
	delta = copy_new(changed->uri, file);
	ferry_copy_set_extents_from(delta, "qemu:dirty-bitmap:bitmap0");
	ferry_copy_set_verify(delta, TRUE);
	g_assert_true(ferry_copy_run(delta, NULL, NULL, &error));
	g_assert_no_error(error);
	test_assert_same_disk(changed->uri, file);
	/* the bitmap's granularity is 64 KiB */
	g_assert_cmpuint(ferry_copy_get_bytes_total(delta), ==, 64 * 1024 + 1 * MiB + 64 * 1024);
	/* the range zeroed since the full copy is written as zeroes */
	g_assert_cmpuint(ferry_copy_get_bytes_zeroed(delta), >=, 1 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_written(delta), <=, 128 * 1024);

	/* the same with the changed areas as a list, as vSphere reports them */
	g_assert_true(ferry_extent_list_add(extents, 1 * MiB, 64 * 1024, 0, NULL));
	g_assert_true(ferry_extent_list_add(extents, 2 * MiB, 1 * MiB, 0, NULL));
	g_assert_true(ferry_extent_list_add(extents, 40 * MiB, 64 * 1024, 0, NULL));
	listed = copy_new(changed->uri, file2);
	ferry_copy_set_extents(listed, extents);
	g_assert_true(ferry_copy_run(listed, NULL, NULL, &error));
	g_assert_no_error(error);
	test_assert_same_disk(changed->uri, file2);
	g_assert_cmpuint(ferry_copy_get_bytes_total(listed), ==,
			 ferry_extent_list_get_total(extents));
}

static void
test_copy_bad_ends(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) small = NULL;
	g_autoptr(TestServer) read_only = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *nowhere = g_strdup_printf("nbd+unix:///?socket=%s/nothing.sock",
						   fixture->dir);
	g_autofree char *file = test_fixture_path(fixture, "unused.img");
	g_autofree char *journal = test_fixture_path(fixture, "other.journal");

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "pattern", "16M", NULL);
	small = test_nbdkit_start(fixture->dir, "small", "memory", "8M", NULL);
	read_only = test_nbdkit_start(fixture->dir, "ro", "-r", "memory", "16M", NULL);
	{
		g_autoptr(FerryCopy) copy = copy_new(source->uri, small->uri);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
		g_assert_nonnull(strstr(error->message, "holds 8388608 bytes"));
		g_assert_nonnull(strstr(error->message, "at least 16777216"));
		g_clear_error(&error);
	}
	{
		g_autoptr(FerryCopy) copy = copy_new(source->uri, read_only->uri);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "read-only"));
		g_clear_error(&error);
	}
	{
		g_autoptr(FerryCopy) copy = copy_new(nowhere, file);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED);
		g_assert_nonnull(strstr(error->message, "nothing.sock"));
		g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
		g_clear_error(&error);
	}
	{
		/* a journal written for a 16 MiB disk does not fit an 8 MiB one */
		g_autoptr(FerryCopy) copy = copy_new(source->uri, file);
		g_autoptr(FerryCopy) other = copy_new(small->uri, file);
		ferry_copy_set_journal(copy, journal);
		ferry_copy_set_journal(other, journal);
		g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_no_error(error);
		g_assert_false(ferry_copy_run(other, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
		g_assert_nonnull(strstr(error->message, "belongs to another copy"));
		g_clear_error(&error);
	}
}

static void
test_copy_verify_catches(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(TestServer) sink = NULL;
	g_autoptr(TestServer) sparse = NULL;
	g_autoptr(TestServer) dirty = NULL;
	g_autoptr(GError) error = NULL;

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "pattern", "4M", NULL);
	/* the null plugin accepts writes and forgets them */
	sink = test_nbdkit_start(fixture->dir, "sink", "null", "4M", NULL);
	{
		g_autoptr(FerryCopy) blind = copy_new(source->uri, sink->uri);
		g_autoptr(FerryCopy) checked = copy_new(source->uri, sink->uri);
		g_assert_true(ferry_copy_run(blind, NULL, NULL, &error));
		g_assert_no_error(error);
		ferry_copy_set_verify(checked, TRUE);
		g_assert_false(ferry_copy_run(checked, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED);
		g_assert_nonnull(strstr(error->message, "does not match the source"));
		g_assert_nonnull(strstr(error->message, sink->uri));
		g_assert_true(g_regex_match_simple("range [0-9]+\\+[0-9]+ ", error->message, 0, 0));
		g_clear_error(&error);
	}
	/* a target wrongly said to read as zeroes (the encrypted-volume trap) */
	sparse = test_nbdkit_start(fixture->dir, "sparse", "data", "@0x100000 1 2 3 4", "size=4M",
				   NULL);
	dirty = test_nbdkit_start(fixture->dir, "dirty", "data", "0xee*4194304", NULL);
	{
		g_autoptr(FerryDiskEndpoint) src =
		    test_endpoint(FERRY_DISK_ROLE_SOURCE, sparse->uri);
		g_autoptr(FerryDiskEndpoint) dst =
		    test_endpoint(FERRY_DISK_ROLE_TARGET, dirty->uri);
		g_autoptr(FerryCopy) copy = NULL;
		ferry_disk_endpoint_set_zeroed(dst, TRUE);
		copy = ferry_copy_new(src, dst);
		ferry_copy_set_verify(copy, TRUE);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED);
		g_assert_nonnull(strstr(error->message, "should read as zeroes"));
		g_clear_error(&error);
	}
}

static void
test_copy_bandwidth(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "slow.img");
	gint64 started;
	double seconds;

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "pattern", "8M", NULL);
	copy = copy_new(source->uri, file);
	ferry_copy_set_bandwidth(copy, 4 * MiB);
	g_assert_cmpuint(ferry_copy_get_bandwidth(copy), ==, 4 * MiB);
	started = g_get_monotonic_time();
	g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
	g_assert_no_error(error);
	seconds = (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;
	/* 8 MiB at 4 MiB/s, less a 0.1 s burst: never much faster than 1.9 s */
	g_assert_cmpfloat(seconds, >=, 1.7);
	test_assert_same_disk(source->uri, file);
}

static void
test_copy_transfer_method(TestFixture *fixture, gconstpointer data)
{
	g_autoptr(TestServer) source = NULL;
	g_autoptr(FerryPluginRegistry) registry = ferry_plugin_registry_new_for_paths(NULL);
	g_autoptr(FerryTransferMethod) method = NULL;
	g_autoptr(FerryDiskEndpoint) src = NULL;
	g_autoptr(FerryDiskEndpoint) dst = NULL;
	g_autoptr(FerryTransferRequest) request = NULL;
	g_autoptr(FerryExtentList) extents = ferry_extent_list_new();
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *file = test_fixture_path(fixture, "method.img");
	g_autofree char *journal = test_fixture_path(fixture, "method.journal");
	g_autoptr(GBytes) bytes = NULL;
	const guint8 *data_bytes;
	gsize size = 0;

	if (!test_require_programs("nbdkit", NULL))
		return;
	source = test_nbdkit_start(fixture->dir, "src", "pattern", "4M", NULL);
	g_assert_true(ferry_plugin_registry_load(registry, &error));
	g_assert_no_error(error);
	method = ferry_plugin_registry_create_transfer_method(registry, "nbd", &error);
	g_assert_no_error(error);
	g_assert_nonnull(method);
	src = test_endpoint(FERRY_DISK_ROLE_SOURCE, source->uri);
	dst = test_endpoint(FERRY_DISK_ROLE_TARGET, file);
	request = ferry_transfer_request_new(src, dst);
	g_assert_cmpuint(ferry_transfer_method_supports(method, request), ==, 10);
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_CONVERT);
	g_assert_cmpuint(ferry_transfer_method_supports(method, request), ==, 0);

	/* an incremental copy of two ranges, through the interface */
	g_assert_true(ferry_extent_list_add(extents, 65536, 65536, 0, NULL));
	g_assert_true(ferry_extent_list_add(extents, 3 * MiB, 4096, 0, NULL));
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_INCREMENTAL |
						      FERRY_TRANSFER_FLAG_VERIFY);
	ferry_transfer_request_set_extents(request, extents);
	ferry_transfer_request_set_journal(request, journal);
	ferry_transfer_request_set_option(request, "connections", "1");
	ferry_transfer_request_set_option(request, "request-size", "64k");
	g_assert_true(ferry_transfer_method_copy(method, request, progress, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_progress_get_total(progress), ==, 65536 + 4096);
	g_assert_cmpuint(ferry_progress_get_done(progress), ==, 65536 + 4096);
	bytes = test_read_disk(file);
	data_bytes = g_bytes_get_data(bytes, &size);
	g_assert_cmpuint(size, ==, 4 * MiB);
	/* the pattern plugin stores each 8-byte offset big-endian */
	g_assert_cmpuint(GUINT64_FROM_BE(*(const guint64 *)(data_bytes + 65536)), ==, 65536);
	g_assert_cmpuint(GUINT64_FROM_BE(*(const guint64 *)(data_bytes + 3 * MiB)), ==, 3 * MiB);
	/* outside the ranges nothing was written */
	g_assert_cmpuint(*(const guint64 *)(data_bytes + 2 * MiB), ==, 0);
	g_assert_cmpuint(*(const guint64 *)(data_bytes + 65536 - 8), ==, 0);

	/* bad options are refused before anything runs */
	ferry_transfer_request_set_option(request, "request-size", "3 apples");
	g_assert_false(ferry_transfer_method_copy(method, request, progress, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "request-size"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	TEST_ADD("/copy-nbd/quick/smoke", test_copy_smoke);
	TEST_ADD("/copy-nbd/sparse-random", test_copy_sparse_random);
	TEST_ADD("/copy-nbd/pattern-to-file", test_copy_pattern_to_file);
	TEST_ADD("/copy-nbd/plain-servers", test_copy_plain_servers);
	TEST_ADD("/copy-nbd/error-transient", test_copy_error_transient);
	TEST_ADD("/copy-nbd/error-persistent", test_copy_error_persistent);
	TEST_ADD("/copy-nbd/cancel-resume", test_copy_cancel_resume);
	TEST_ADD("/copy-nbd/reconnect", test_copy_reconnect);
	TEST_ADD("/copy-nbd/stall", test_copy_stall);
	TEST_ADD("/copy-nbd/quick/dirty-bitmap", test_copy_dirty_bitmap);
	TEST_ADD("/copy-nbd/quick/bad-ends", test_copy_bad_ends);
	TEST_ADD("/copy-nbd/verify-catches", test_copy_verify_catches);
	TEST_ADD("/copy-nbd/bandwidth", test_copy_bandwidth);
	TEST_ADD("/copy-nbd/transfer-method", test_copy_transfer_method);
	return g_test_run();
}

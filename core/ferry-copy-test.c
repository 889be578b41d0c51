/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>
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


#define MiB (1024 * 1024)

typedef struct {
	char *dir;
} Fixture;

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->dir = g_dir_make_tmp("ferry-copy-unit-XXXXXX", &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const char *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(fixture->dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(fixture->dir);
	g_free(fixture->dir);
}

static char *
fixture_path(Fixture *fixture, const char *name)
{
	return g_build_filename(fixture->dir, name, NULL);
}

/* a disk of @size bytes: a hole, then data at each offset in @data_at
 * (64 KiB of a pattern that depends on the offset), holes between */
static void
write_sparse_file(const char *path, guint64 size, const guint64 *data_at, guint n)
{
	int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	g_autofree guint8 *block = g_malloc(65536);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
	for (guint i = 0; i < n; i++) {
		for (guint j = 0; j < 65536; j++)
			block[j] = (guint8)(j * 7 + i + 1);
		g_assert_cmpint(pwrite(fd, block, 65536, (off_t)data_at[i]), ==, 65536);
	}
	close(fd);
}

static void
assert_same_file(const char *a, const char *b)
{
	g_autofree char *data_a = NULL;
	g_autofree char *data_b = NULL;
	gsize size_a = 0, size_b = 0;
	g_assert_true(g_file_get_contents(a, &data_a, &size_a, NULL));
	g_assert_true(g_file_get_contents(b, &data_b, &size_b, NULL));
	g_assert_cmpuint(size_a, ==, size_b);
	g_assert_true(memcmp(data_a, data_b, size_a) == 0);
}

static FerryCopy *
copy_new(const char *source, const char *target)
{
	g_autoptr(FerryDiskEndpoint) src =
	    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, source);
	g_autoptr(FerryDiskEndpoint) dst =
	    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, target);
	return ferry_copy_new(src, dst);
}

static void
test_copy_journal(Fixture *fixture, gconstpointer data)
{
	g_autofree char *path = fixture_path(fixture, "copy.journal");
	g_autofree char *text = fixture_path(fixture, "notes.txt");
	g_autofree char *other = fixture_path(fixture, "other.db");
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(FerryExtent));
	const FerryExtent batch[] = {{4096, 4096, 0}, {0, 4096, 0}, {65536, 8192, 0},
				     {16384, 4096, 0}};

	{
		g_autoptr(FerryCopyJournal) journal =
		    ferry_copy_journal_open(path, "full", 1 * MiB, "abc", &error);
		g_autoptr(FerryExtentList) done = NULL;
		g_assert_no_error(error);
		g_assert_false(ferry_copy_journal_get_resumed(journal));
		g_assert_false(ferry_copy_journal_get_complete(journal));
		g_array_append_vals(ranges, batch, G_N_ELEMENTS(batch));
		g_assert_true(ferry_copy_journal_commit(journal, ranges, &error));
		g_assert_no_error(error);
		g_assert_true(ferry_copy_journal_set_target_zero(journal, TRUE, &error));
		done = ferry_copy_journal_dup_done(journal, &error);
		g_assert_no_error(error);
		/* merged: 0+8192, 16384+4096, 65536+8192 */
		g_assert_cmpuint(ferry_extent_list_get_length(done), ==, 3);
		g_assert_cmpuint(ferry_extent_list_get_total(done), ==, 8192 + 4096 + 8192);

		/* a second copy cannot use the journal at the same time */
		g_assert_null(ferry_copy_journal_open(path, "full", 1 * MiB, "abc", &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
		g_assert_nonnull(strstr(error->message, "in use by another copy"));
		g_clear_error(&error);
	}
	{
		g_autoptr(FerryCopyJournal) journal =
		    ferry_copy_journal_open(path, "full", 1 * MiB, "abc", &error);
		g_autoptr(FerryExtentList) done = NULL;
		g_assert_no_error(error);
		g_assert_true(ferry_copy_journal_get_resumed(journal));
		g_assert_true(ferry_copy_journal_get_target_zero(journal));
		done = ferry_copy_journal_dup_done(journal, &error);
		g_assert_cmpuint(ferry_extent_list_get_total(done), ==, 8192 + 4096 + 8192);
		g_assert_true(ferry_copy_journal_set_complete(journal, &error));
		g_assert_no_error(error);
	}
	{
		g_autoptr(FerryCopyJournal) journal =
		    ferry_copy_journal_open(path, "full", 1 * MiB, "abc", &error);
		g_assert_no_error(error);
		g_assert_true(ferry_copy_journal_get_complete(journal));
	}
	/* another disk size, mode or set of ranges: refused */
	g_assert_null(ferry_copy_journal_open(path, "full", 2 * MiB, "abc", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_assert_nonnull(strstr(error->message, "belongs to another copy"));
	g_assert_nonnull(strstr(error->message, "2097152-byte"));
	g_clear_error(&error);
	g_assert_null(ferry_copy_journal_open(path, "incremental", 1 * MiB, "abc", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_clear_error(&error);
	g_assert_null(ferry_copy_journal_open(path, "full", 1 * MiB, "abd", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_assert_nonnull(strstr(error->message, "changed blocks"));
	g_clear_error(&error);

	/* files that are not journals are left alone */
	g_assert_true(g_file_set_contents(text, "remember the milk\n", -1, NULL));
	g_assert_null(ferry_copy_journal_open(text, "full", 1 * MiB, "abc", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "not a Ferry copy journal"));
	g_clear_error(&error);
	{
		sqlite3 *db = NULL;
		g_assert_cmpint(sqlite3_open(other, &db), ==, SQLITE_OK);
		g_assert_cmpint(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), ==,
				SQLITE_OK);
		sqlite3_close(db);
	}
	g_assert_null(ferry_copy_journal_open(other, "full", 1 * MiB, "abc", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "not a Ferry copy journal"));
}

static void
test_copy_file_sparse(Fixture *fixture, gconstpointer data)
{
	g_autofree char *source = fixture_path(fixture, "source.img");
	g_autofree char *target = fixture_path(fixture, "target.img");
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	g_autoptr(GError) error = NULL;
	const guint64 data_at[] = {0, 1 * MiB, 3 * MiB + 65536, 7 * MiB};
	struct stat st;

	write_sparse_file(source, 8 * MiB, data_at, G_N_ELEMENTS(data_at));
	copy = copy_new(source, target);
	ferry_copy_set_verify(copy, TRUE);
	g_assert_true(ferry_copy_run(copy, progress, NULL, &error));
	g_assert_no_error(error);
	assert_same_file(source, target);
	/* holes are neither read nor written: the new file is as sparse */
	g_assert_cmpuint(ferry_copy_get_bytes_read(copy), <, 2 * MiB);
	g_assert_cmpuint(ferry_copy_get_bytes_written(copy), ==, 4 * 65536);
	g_assert_cmpuint(ferry_copy_get_bytes_zeroed(copy), ==, 0);
	g_assert_cmpuint(ferry_copy_get_bytes_verified(copy), ==, 8 * MiB);
	g_assert_cmpuint(ferry_progress_get_done(progress), ==, 8 * MiB);
	g_assert_cmpint(g_stat(target, &st), ==, 0);
	g_assert_cmpint(st.st_size, ==, 8 * MiB);
	g_assert_cmpint((gint64)st.st_blocks * 512, <, 2 * MiB);
}

static void
test_copy_file_existing_target(Fixture *fixture, gconstpointer data)
{
	g_autofree char *source = fixture_path(fixture, "source.img");
	g_autofree char *target = fixture_path(fixture, "target.img");
	g_autofree char *small = fixture_path(fixture, "small.img");
	g_autofree char *garbage = g_malloc(4 * MiB);
	g_autoptr(GError) error = NULL;
	const guint64 data_at[] = {65536, 2 * MiB};

	write_sparse_file(source, 4 * MiB, data_at, G_N_ELEMENTS(data_at));
	memset(garbage, 0x5a, 4 * MiB);
	g_assert_true(g_file_set_contents(target, garbage, 4 * MiB, NULL));
	{
		/* old bytes on the target: the zero ranges must be zeroed */
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_no_error(error);
		assert_same_file(source, target);
		g_assert_cmpuint(ferry_copy_get_bytes_zeroed(copy), ==, 4 * MiB - 2 * 65536);
		g_assert_cmpuint(ferry_copy_get_bytes_skipped(copy), ==, 0);
	}
	{
		/* an existing file that holds no data reads as zeroes: its zero
		 * ranges are skipped, and it ends as sparse as the source */
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		struct stat st;
		g_assert_cmpint(truncate(target, 0), ==, 0);
		g_assert_cmpint(truncate(target, 4 * MiB), ==, 0);
		g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_no_error(error);
		assert_same_file(source, target);
		g_assert_cmpuint(ferry_copy_get_bytes_zeroed(copy), ==, 0);
		g_assert_cmpuint(ferry_copy_get_bytes_skipped(copy), ==, 4 * MiB - 2 * 65536);
		g_assert_cmpint(g_stat(target, &st), ==, 0);
		g_assert_cmpint((gint64)st.st_blocks * 512, <, 1 * MiB);
	}
	{
		/* too small: refused, and left as it was */
		g_autoptr(FerryCopy) copy = copy_new(source, small);
		g_assert_true(g_file_set_contents(small, garbage, 1 * MiB, NULL));
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
		g_assert_nonnull(strstr(error->message, small));
		g_clear_error(&error);
		g_assert_cmpint(g_file_test(small, G_FILE_TEST_EXISTS), ==, TRUE);
	}
	{
		g_autofree char *missing = fixture_path(fixture, "missing.img");
		g_autoptr(FerryCopy) copy = copy_new(missing, target);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
		g_assert_nonnull(strstr(error->message, "check the path"));
		g_clear_error(&error);
	}
	{
		g_autoptr(FerryCopy) copy = copy_new(source, fixture->dir);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_nonnull(error);
		g_clear_error(&error);
	}
}

typedef struct {
	GCancellable *cancellable;
	guint64 at;
} CancelAt;

static void
cancel_at_cb(FerryProgress *progress, gpointer user_data)
{
	CancelAt *cancel = user_data;
	if (ferry_progress_get_done(progress) >= cancel->at)
		g_cancellable_cancel(cancel->cancellable);
}

static void
test_copy_file_resume(Fixture *fixture, gconstpointer data)
{
	g_autofree char *source = fixture_path(fixture, "source.img");
	g_autofree char *target = fixture_path(fixture, "target.img");
	g_autofree char *journal = fixture_path(fixture, "target.journal");
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *dense = g_malloc(8 * MiB);
	CancelAt cancel = {cancellable, 3 * MiB};
	guint64 resumed;

	for (guint i = 0; i < 8 * MiB; i++)
		dense[i] = (guint8)(i / 4096 + 1);
	g_assert_true(g_file_set_contents(source, (const char *)dense, 8 * MiB, NULL));
	{
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		ferry_copy_set_journal(copy, journal);
		ferry_copy_set_connections(copy, 1);
		ferry_copy_set_request_size(copy, 65536);
		/* slow enough to be cancelled part way */
		ferry_copy_set_bandwidth(copy, 8 * MiB);
		ferry_progress_set_interval(progress, 0);
		g_signal_connect(progress, "changed", G_CALLBACK(cancel_at_cb), &cancel);
		g_assert_false(ferry_copy_run(copy, progress, cancellable, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
		g_clear_error(&error);
	}
	{
		/* the journal is trusted: ranges it records are not copied again,
		 * which a mark on the target shows */
		int fd = g_open(target, O_WRONLY, 0);
		g_assert_cmpint(fd, >=, 0);
		g_assert_cmpint(pwrite(fd, "MARK", 4, 0), ==, 4);
		close(fd);
	}
	{
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		g_autofree char *contents = NULL;
		gsize length = 0;
		ferry_copy_set_journal(copy, journal);
		g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_no_error(error);
		resumed = ferry_copy_get_bytes_resumed(copy);
		g_assert_cmpuint(resumed, >=, 3 * MiB);
		g_assert_cmpuint(resumed + ferry_copy_get_bytes_read(copy), ==, 8 * MiB);
		g_assert_true(g_file_get_contents(target, &contents, &length, NULL));
		g_assert_cmpuint(length, ==, 8 * MiB);
		g_assert_true(memcmp(contents, "MARK", 4) == 0);
		g_assert_true(memcmp(contents + 4, dense + 4, 8 * MiB - 4) == 0);
	}
	{
		/* a journal saying bytes were copied to a target that is gone */
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		g_unlink(target);
		ferry_copy_set_journal(copy, journal);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
		g_assert_nonnull(strstr(error->message, "delete the journal"));
		g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
	}
}

static void
test_copy_file_extents(Fixture *fixture, gconstpointer data)
{
	g_autofree char *source = fixture_path(fixture, "source.img");
	g_autofree char *target = fixture_path(fixture, "target.img");
	g_autofree char *garbage = g_malloc(2 * MiB);
	g_autoptr(FerryExtentList) extents = ferry_extent_list_new();
	g_autoptr(GError) error = NULL;
	const guint64 data_at[] = {0, 1 * MiB};
	g_autofree char *contents = NULL;
	gsize length = 0;

	write_sparse_file(source, 2 * MiB, data_at, G_N_ELEMENTS(data_at));
	memset(garbage, 0x77, 2 * MiB);
	g_assert_true(g_file_set_contents(target, garbage, 2 * MiB, NULL));
	g_assert_true(ferry_extent_list_add(extents, 0, 4096, FERRY_EXTENT_FLAG_NONE, NULL));
	/* said to be zero by the provider: written as zeroes, not read */
	g_assert_true(ferry_extent_list_add(extents, 65536, 65536, FERRY_EXTENT_FLAG_ZERO, NULL));
	g_assert_true(ferry_extent_list_add(extents, 1 * MiB, 8192, FERRY_EXTENT_FLAG_NONE, NULL));
	{
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		ferry_copy_set_extents(copy, extents);
		g_assert_true(ferry_copy_get_extents(copy) == extents);
		g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(ferry_copy_get_bytes_total(copy), ==, 4096 + 65536 + 8192);
		g_assert_cmpuint(ferry_copy_get_bytes_read(copy), ==, 4096 + 8192);
		g_assert_cmpuint(ferry_copy_get_bytes_zeroed(copy), ==, 65536);
	}
	g_assert_true(g_file_get_contents(target, &contents, &length, NULL));
	g_assert_cmpuint((guint8)contents[0], ==, 1);
	g_assert_cmpuint((guint8)contents[4096], ==, 0x77);
	g_assert_cmpuint((guint8)contents[65536], ==, 0);
	g_assert_cmpuint((guint8)contents[131071], ==, 0);
	g_assert_cmpuint((guint8)contents[131072], ==, 0x77);
	g_assert_cmpuint((guint8)contents[1 * MiB], ==, 2);
	g_assert_cmpuint((guint8)contents[1 * MiB + 8192], ==, 0x77);
	{
		/* extents past the end of the disk belong to another disk */
		g_autoptr(FerryExtentList) wrong = ferry_extent_list_new();
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		g_assert_true(ferry_extent_list_add(wrong, 2 * MiB, 4096, 0, NULL));
		ferry_copy_set_extents(copy, wrong);
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "past the end"));
		g_clear_error(&error);
	}
	{
		/* dirty bitmaps come from NBD servers only */
		g_autoptr(FerryCopy) copy = copy_new(source, target);
		ferry_copy_set_extents_from(copy, "qemu:dirty-bitmap:bitmap0");
		g_assert_false(ferry_copy_run(copy, NULL, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
		g_assert_nonnull(strstr(error->message, "qemu-nbd -B"));
	}
}

static void
test_copy_request(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryDiskEndpoint) src =
	    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, "/a");
	g_autoptr(FerryDiskEndpoint) dst =
	    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, "/b");
	g_autoptr(FerryTransferRequest) request = ferry_transfer_request_new(src, dst);
	g_autoptr(GError) error = NULL;
	const struct {
		const char *key;
		const char *value;
		const char *message;
	} bad[] = {
	    {"connections", "0", "connections=0"},
	    {"connections", "many", "connections=many"},
	    {"requests", "5000", "requests=5000"},
	    {"request-size", "1k", "request-size=1k"},
	    {"request-size", "64M", "request-size=64M"},
	    {"retries", "-1", "retries=-1"},
	    {"timeout", "forever", "timeout=forever"},
	};

	ferry_transfer_request_set_option(request, "connections", "3");
	ferry_transfer_request_set_option(request, "requests", "16");
	ferry_transfer_request_set_option(request, "request-size", "1M");
	ferry_transfer_request_set_option(request, "retries", "0");
	ferry_transfer_request_set_option(request, "timeout", "7");
	ferry_transfer_request_set_option(request, "extents-from", "qemu:dirty-bitmap:b");
	ferry_transfer_request_set_journal(request, "/tmp/j");
	ferry_transfer_request_set_bandwidth(request, 1000);
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_INCREMENTAL |
						      FERRY_TRANSFER_FLAG_VERIFY);
	{
		g_autoptr(FerryCopy) copy = ferry_copy_new_for_request(request, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(ferry_copy_get_connections(copy), ==, 3);
		g_assert_cmpuint(ferry_copy_get_requests(copy), ==, 16);
		g_assert_cmpuint(ferry_copy_get_request_size(copy), ==, 1 * MiB);
		g_assert_cmpuint(ferry_copy_get_retries(copy), ==, 0);
		g_assert_cmpuint(ferry_copy_get_timeout(copy), ==, 7);
		g_assert_cmpuint(ferry_copy_get_bandwidth(copy), ==, 1000);
		g_assert_cmpstr(ferry_copy_get_journal(copy), ==, "/tmp/j");
		g_assert_cmpstr(ferry_copy_get_extents_from(copy), ==, "qemu:dirty-bitmap:b");
		g_assert_true(ferry_copy_get_verify(copy));
		g_assert_true(ferry_copy_get_source(copy) == src);
		g_assert_true(ferry_copy_get_target(copy) == dst);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(FerryTransferRequest) wrong = ferry_transfer_request_new(src, dst);
		g_autoptr(FerryCopy) copy = NULL;
		ferry_transfer_request_set_option(wrong, bad[i].key, bad[i].value);
		copy = ferry_copy_new_for_request(wrong, &error);
		g_assert_null(copy);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, bad[i].message));
		g_clear_error(&error);
	}
	{
		/* incremental with nothing to say what changed */
		g_autoptr(FerryTransferRequest) wrong = ferry_transfer_request_new(src, dst);
		g_autoptr(FerryCopy) copy = NULL;
		ferry_transfer_request_set_flags(wrong, FERRY_TRANSFER_FLAG_INCREMENTAL);
		copy = ferry_copy_new_for_request(wrong, &error);
		g_assert_null(copy);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "changed areas"));
	}
}

/* what a provider created to serve an endpoint is listed in order, for the
 * engine's ledger */
static void
test_copy_endpoint_artifacts(void)
{
	g_autoptr(FerryDiskEndpoint) endpoint =
	    ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_SOURCE, "nbd+unix:///?socket=/nowhere");
	const char *kind = NULL;
	const char *id = NULL;

	g_assert_cmpuint(ferry_disk_endpoint_get_n_artifacts(endpoint), ==, 0);
	ferry_disk_endpoint_add_artifact(endpoint, "imagetransfer", "t-1");
	ferry_disk_endpoint_add_artifact(endpoint, "snapshot", "s-2");
	g_assert_cmpuint(ferry_disk_endpoint_get_n_artifacts(endpoint), ==, 2);
	ferry_disk_endpoint_get_artifact(endpoint, 1, &kind, &id);
	g_assert_cmpstr(kind, ==, "snapshot");
	g_assert_cmpstr(id, ==, "s-2");
	ferry_disk_endpoint_get_artifact(endpoint, 0, &kind, &id);
	g_assert_cmpstr(kind, ==, "imagetransfer");
	g_assert_cmpstr(id, ==, "t-1");
}

static void
test_copy_ranges_merge(void)
{
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(FerryExtent));
	const FerryExtent input[] = {{100, 10, 0}, {0, 10, 0}, {10, 5, 0}, {105, 20, 0},
				     {50, 1, 0}};
	g_array_append_vals(ranges, input, G_N_ELEMENTS(input));
	ferry_copy_ranges_merge(ranges);
	g_assert_cmpuint(ranges->len, ==, 3);
	g_assert_cmpuint(g_array_index(ranges, FerryExtent, 0).offset, ==, 0);
	g_assert_cmpuint(g_array_index(ranges, FerryExtent, 0).length, ==, 15);
	g_assert_cmpuint(g_array_index(ranges, FerryExtent, 1).offset, ==, 50);
	g_assert_cmpuint(g_array_index(ranges, FerryExtent, 2).offset, ==, 100);
	g_assert_cmpuint(g_array_index(ranges, FerryExtent, 2).length, ==, 25);
}

typedef struct {
	char *image;
	guint opened;
	guint failures_left;
} Deferred;

static gboolean
deferred_stop(gpointer data, GError **error)
{
	return ferry_nbd_server_stop(FERRY_NBD_SERVER(data), error);
}

/* serves the image with nbdkit, the first @failures_left calls failing */
static gboolean
deferred_open(FerryDiskEndpoint *endpoint,
	      gpointer data,
	      GCancellable *cancellable,
	      GError **error)
{
	Deferred *deferred = data;
	g_autofree char *file = g_strdup_printf("file=%s", deferred->image);
	FerryNbdServer *server;

	deferred->opened++;
	if (deferred->failures_left > 0) {
		deferred->failures_left--;
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_BUSY, "not yet");
		return FALSE;
	}
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, "deferred test disk");
	ferry_nbd_server_add_argument(server, "file");
	ferry_nbd_server_add_argument(server, file);
	if (!ferry_nbd_server_start(server, cancellable, error)) {
		g_object_unref(server);
		return FALSE;
	}
	ferry_disk_endpoint_set_uri(endpoint, ferry_nbd_server_get_uri(server));
	ferry_disk_endpoint_add_close_func(endpoint, deferred_stop, server, g_object_unref);
	return TRUE;
}

/* a deferred target is served by the nbd method's copy, once: a failed
 * open may be tried again, and an endpoint opened already is left alone */
static void
test_copy_deferred_target(Fixture *fixture, gconstpointer data)
{
	g_autofree char *source = fixture_path(fixture, "source.img");
	g_autofree char *target = fixture_path(fixture, "target.img");
	const guint64 data_at[] = {0, 3 * MiB};
	Deferred deferred = {target, 0, 1};
	g_autoptr(FerryDiskEndpoint) src = NULL;
	g_autoptr(FerryDiskEndpoint) dst = NULL;
	g_autoptr(FerryTransferRequest) request = NULL;
	g_autoptr(FerryTransferMethod) method = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *nbdkit = g_find_program_in_path("nbdkit");
	int fd;

	if (nbdkit == NULL) {
		g_test_skip("nbdkit is not installed");
		return;
	}
	write_sparse_file(source, 4 * MiB, data_at, G_N_ELEMENTS(data_at));
	fd = g_open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, 4 * MiB), ==, 0);
	close(fd);
	src = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, source);
	dst = ferry_disk_endpoint_new_deferred(FERRY_DISK_ROLE_TARGET, deferred_open, &deferred,
					       NULL);
	g_assert_true(ferry_disk_endpoint_is_deferred(dst));
	g_assert_null(ferry_disk_endpoint_get_uri(dst));
	request = ferry_transfer_request_new(src, dst);
	method = g_object_new(FERRY_TYPE_NBD_TRANSFER_METHOD, NULL);

	/* the first open fails: the copy says so, nothing is served */
	g_assert_false(ferry_transfer_method_copy(method, request, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
	g_clear_error(&error);
	g_assert_true(ferry_disk_endpoint_is_deferred(dst));
	/* the second is served and copied into */
	g_assert_true(ferry_transfer_method_copy(method, request, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(deferred.opened, ==, 2);
	g_assert_false(ferry_disk_endpoint_is_deferred(dst));
	g_assert_true(g_str_has_prefix(ferry_disk_endpoint_get_uri(dst), "nbd+unix://"));
	g_assert_true(ferry_disk_endpoint_open(dst, NULL, &error));
	g_assert_cmpuint(deferred.opened, ==, 2);
	/* closing stops the server the open started */
	g_assert_true(ferry_disk_endpoint_close(dst, &error));
	g_assert_no_error(error);
	assert_same_file(source, target);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/copy/parse-size", test_copy_parse_size);
	g_test_add_func("/copy/ranges-merge", test_copy_ranges_merge);
	g_test_add_func("/copy/endpoint-artifacts", test_copy_endpoint_artifacts);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/copy/journal", test_copy_journal);
	ADD("/copy/file-sparse", test_copy_file_sparse);
	ADD("/copy/file-existing-target", test_copy_file_existing_target);
	ADD("/copy/file-resume", test_copy_file_resume);
	ADD("/copy/file-extents", test_copy_file_extents);
	ADD("/copy/request", test_copy_request);
	ADD("/copy/deferred-target-served-by-the-nbd-method", test_copy_deferred_target);
#undef ADD
	return g_test_run();
}

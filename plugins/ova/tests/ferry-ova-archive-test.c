/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The OVA archive reader: member offsets for in-place reading (pax and GNU
 * long names), compressed archives unpacked whole or not at all, manifests.
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ferry-ova-archive.h"
#include "ferry-ova-manifest.h"
#include "ova-test-util.h"

static char *
scratch(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("ferry-ova-archive-XXXXXX", &error);
	g_assert_no_error(error);
	return dir;
}

static void
remove_tree(const char *dir)
{
	const char *argv[] = {"rm", "-rf", dir, NULL};
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
		     NULL);
}

static void
test_offsets(void)
{
	g_autofree char *dir = scratch();
	g_autofree char *long_name = g_strnfill(150, 'x');
	g_autofree char *long_member = g_strdup_printf("%s.vmdk", long_name);
	const Entry entries[] = {
	    {"./vm.ovf", ENTRY_FILE, "<Envelope/>"},
	    {"disks", ENTRY_DIRECTORY, NULL},
	    {long_member, ENTRY_FILE, "the long-named member's bytes"},
	    {"disks/./vm.mf", ENTRY_FILE, "SHA1(vm.ovf)= 0000000000000000000000000000000000000000\n"},
	};
	g_autofree char *path = write_tar(dir, "vm.ova", entries, G_N_ELEMENTS(entries), FALSE);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryOvaArchive) archive = ferry_ova_archive_open(path, &error);

	g_assert_no_error(error);
	g_assert_true(archive->in_place);
	g_assert_cmpuint(archive->members->len, ==, 3);
	g_assert_nonnull(ferry_ova_archive_find(archive, "vm.ovf"));
	g_assert_nonnull(ferry_ova_archive_find(archive, "disks/vm.mf"));
	g_assert_true(ferry_ova_archive_find_suffix(archive, ".MF") ==
		      ferry_ova_archive_find(archive, "disks/vm.mf"));
	for (guint i = 0; i < G_N_ELEMENTS(entries); i++) {
		g_autofree char *name = NULL;
		const FerryOvaMember *member;
		g_autofree char *data = NULL;
		gsize length = 0;
		if (entries[i].kind != ENTRY_FILE)
			continue;
		name = g_str_has_prefix(entries[i].name, "./") ? g_strdup(entries[i].name + 2)
		       : g_str_equal(entries[i].name, "disks/./vm.mf") ? g_strdup("disks/vm.mf")
								       : g_strdup(entries[i].name);
		member = ferry_ova_archive_find(archive, name);
		g_assert_nonnull(member);
		/* the data really is at the offset libarchive reported */
		data = ferry_ova_archive_read_member(archive, member, 1024, &length, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(data, ==, entries[i].data);
		g_assert_cmpuint(member->offset % 512, ==, 0);
	}
	/* the size limit on small members */
	{
		gsize length = 0;
		char *data = ferry_ova_archive_read_member(
		    archive, ferry_ova_archive_find(archive, long_member), 4, &length, &error);
		g_assert_null(data);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	}
	remove_tree(dir);
}

static void
test_compressed(void)
{
	g_autofree char *dir = scratch();
	const Entry entries[] = {
	    {"vm.ovf", ENTRY_FILE, "<Envelope/>"},
	    {"sub/vm-disk1.img", ENTRY_FILE, "disk bytes"},
	};
	const Entry hostile[] = {
	    {"vm.ovf", ENTRY_FILE, "<Envelope/>"},
	    {"sub/../../escape.img", ENTRY_FILE, "escape"},
	};
	g_autofree char *path = write_tar(dir, "vm.ova", entries, 2, TRUE);
	g_autofree char *bad = write_tar(dir, "bad.ova", hostile, 2, TRUE);
	g_autofree char *target = g_build_filename(dir, "cache", "vm", NULL);
	g_autofree char *bad_target = g_build_filename(dir, "cache", "bad", NULL);
	g_autofree char *disk = g_build_filename(target, "sub", "vm-disk1.img", NULL);
	g_autofree char *contents = NULL;
	g_autofree char *escape = g_build_filename(dir, "escape.img", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryOvaArchive) archive = ferry_ova_archive_open(path, &error);
	g_autoptr(GDir) cache = NULL;
	g_autofree char *cache_dir = g_path_get_dirname(target);
	const char *name;

	g_assert_no_error(error);
	g_assert_false(archive->in_place);
	g_assert_true(ferry_ova_archive_extract(path, target, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(disk, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "disk bytes");

	g_assert_false(ferry_ova_archive_extract(bad, bad_target, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_false(g_file_test(escape, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(bad_target, G_FILE_TEST_EXISTS));
	/* no temporary directory is left behind either */
	cache = g_dir_open(cache_dir, 0, NULL);
	while ((name = g_dir_read_name(cache)) != NULL)
		g_assert_cmpstr(name, ==, "vm");
	remove_tree(dir);
}

static void
test_not_tar(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryOvaArchive) archive = NULL;
	const char garbage[] = "this is not an archive at all";
	char empty_tar[1024] = {0};

	archive = ferry_ova_archive_open_memory(garbage, sizeof(garbage), "garbage.ova", &error);
	g_assert_null(archive);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_true(g_str_has_prefix(error->message, "garbage.ova:"));
	g_clear_error(&error);
	archive = ferry_ova_archive_open_memory(empty_tar, sizeof(empty_tar), "empty.ova", &error);
	g_assert_null(archive);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_clear_error(&error);
	archive = ferry_ova_archive_open("/nonexistent/ferry.ova", &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

static void
test_manifest(void)
{
	const char *both =
	    "SHA1(a.ovf)= 356a192b7913b04c54574d18c28d46e6395428ab\r\n"
	    "SHA256 (b (1).vmdk) = 6B86B273FF34FCE19D6B804EFF5A3F5747ADA4EAA22F1D49C01E52DDB7875B4B\n"
	    "\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) digests = ferry_ova_manifest_parse(both, strlen(both), "x.mf", &error);
	FerryOvaDigest *digest;
	g_autofree char *dir = scratch();
	g_autofree char *file = g_build_filename(dir, "one", NULL);

	g_assert_no_error(error);
	g_assert_cmpuint(g_hash_table_size(digests), ==, 2);
	digest = g_hash_table_lookup(digests, "a.ovf");
	g_assert_cmpint(digest->type, ==, G_CHECKSUM_SHA1);
	digest = g_hash_table_lookup(digests, "b (1).vmdk");
	g_assert_nonnull(digest);
	g_assert_cmpint(digest->type, ==, G_CHECKSUM_SHA256);
	g_assert_cmpstr(digest->hex, ==,
			"6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b");

	/* sha256("1") matches; one byte more does not */
	g_assert_true(g_file_set_contents(file, "x1y", -1, NULL));
	g_assert_true(ferry_ova_digest_check(digest, file, 1, 1, "one", "x.mf", NULL, &error));
	g_assert_no_error(error);
	g_assert_false(ferry_ova_digest_check(digest, file, 1, 2, "one", "x.mf", NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED);
	g_clear_error(&error);

	g_assert_null(ferry_ova_manifest_parse("MD5(a)= 00", 10, "x.mf", &error));
	g_assert_nonnull(strstr(error->message, "MD5"));
	g_clear_error(&error);
	g_assert_null(ferry_ova_manifest_parse("SHA1(a)= 00", 11, "x.mf", &error));
	g_assert_nonnull(strstr(error->message, "hex digits"));
	g_clear_error(&error);
	g_assert_null(ferry_ova_manifest_parse("garbage", 7, "x.mf", &error));
	g_assert_nonnull(strstr(error->message, "x.mf:1"));
	remove_tree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ova/archive/offsets", test_offsets);
	g_test_add_func("/ova/archive/compressed", test_compressed);
	g_test_add_func("/ova/archive/not-tar", test_not_tar);
	g_test_add_func("/ova/archive/manifest", test_manifest);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: archives with exactly the entries a test wants, written with
 * libarchive (tar(1) refuses to write most hostile ones).
 */

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "ova-test-util.h"

char *
write_tar(const char *dir, const char *name, const Entry *entries, guint n, gboolean gzip)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	g_assert_cmpint(archive_write_open_filename(a, path), ==, ARCHIVE_OK);
	for (guint i = 0; i < n; i++) {
		struct archive_entry *entry = archive_entry_new();
		gsize size = entries[i].data != NULL ? strlen(entries[i].data) : 0;
		archive_entry_set_pathname(entry, entries[i].name);
		archive_entry_set_perm(entry, 0644);
		switch (entries[i].kind) {
		case ENTRY_FILE:
			archive_entry_set_filetype(entry, AE_IFREG);
			archive_entry_set_size(entry, (la_int64_t)size);
			break;
		case ENTRY_SYMLINK:
			archive_entry_set_filetype(entry, AE_IFLNK);
			archive_entry_set_symlink(entry, "/etc/passwd");
			break;
		case ENTRY_HARDLINK:
			archive_entry_set_filetype(entry, AE_IFREG);
			archive_entry_set_hardlink(entry, "a.ovf");
			break;
		case ENTRY_DIRECTORY:
			archive_entry_set_filetype(entry, AE_IFDIR);
			break;
		case ENTRY_DEVICE:
			archive_entry_set_filetype(entry, AE_IFCHR);
			archive_entry_set_rdevmajor(entry, 1);
			archive_entry_set_rdevminor(entry, 3);
			break;
		}
		g_assert_cmpint(archive_write_header(a, entry), ==, ARCHIVE_OK);
		if (entries[i].kind == ENTRY_FILE && size > 0)
			g_assert_cmpint(archive_write_data(a, entries[i].data, size), ==, (la_ssize_t)size);
		archive_entry_free(entry);
	}
	archive_write_close(a);
	archive_write_free(a);
	return g_steal_pointer(&path);
}


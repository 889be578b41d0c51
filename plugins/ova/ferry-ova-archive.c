/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * OVA archives through libarchive. An uncompressed tar is only listed: the
 * position of each member's data (libarchive's filter byte count right
 * after its header) lets qemu-nbd and nbdkit serve a disk in place. A
 * compressed tar (gzip, xz, …) or a zip is unpacked into a cache directory.
 *
 * Everything an archive could use against the machine is refused while
 * listing, before a byte is written: absolute names, `..`, links, devices,
 * sparse members, duplicate names, members that reach past the end of the
 * file, and archives of more than FERRY_OVA_ARCHIVE_MAX_MEMBERS members.
 */

#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-ova-archive.h"

#define ARCHIVE_BLOCK_SIZE (64 * 1024)

static void
ferry_ova_member_free(FerryOvaMember *member)
{
	g_free(member->name);
	g_free(member);
}

void
ferry_ova_archive_free(FerryOvaArchive *archive)
{
	if (archive == NULL)
		return;
	g_free(archive->path);
	g_ptr_array_unref(archive->members);
	g_free(archive);
}

static struct archive *
ova_archive_reader_new(void)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip(a);
	return a;
}

typedef struct archive OvaArchiveReader;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvaArchiveReader, archive_read_free)

/* `./a/./b` → `a/b`; NULL for names that leave the archive */
static char *
ova_archive_normalise_name(const char *name, const char **why)
{
	g_auto(GStrv) parts = NULL;
	g_autoptr(GString) normal = g_string_new(NULL);

	if (name == NULL || *name == '\0') {
		*why = "has no name";
		return NULL;
	}
	if (name[0] == '/') {
		*why = "has an absolute name";
		return NULL;
	}
	if (strlen(name) > 4096) {
		*why = "has a name over 4096 bytes";
		return NULL;
	}
	parts = g_strsplit(name, "/", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		if (*parts[i] == '\0' || g_str_equal(parts[i], "."))
			continue;
		if (g_str_equal(parts[i], "..")) {
			*why = "has a name with \"..\", which would leave the archive";
			return NULL;
		}
		if (normal->len > 0)
			g_string_append_c(normal, '/');
		g_string_append(normal, parts[i]);
	}
	return g_string_free(g_steal_pointer(&normal), FALSE);
}

static FerryOvaArchive *
ova_archive_list(struct archive *a,
		 const char *origin,
		 guint64 file_size,
		 GError **error)
{
	g_autoptr(FerryOvaArchive) archive = g_new0(FerryOvaArchive, 1);
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	struct archive_entry *entry;
	gboolean checked_format = FALSE;
	int r;

	archive->path = g_strdup(origin);
	archive->members = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_ova_member_free);
	while ((r = archive_read_next_header(a, &entry)) != ARCHIVE_EOF) {
		const char *raw_name;
		const char *why = NULL;
		g_autofree char *name = NULL;
		FerryOvaMember *member;
		mode_t type;
		la_int64_t size;

		if (r < ARCHIVE_WARN) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: not a readable OVA archive: %s", origin,
				    archive_error_string(a) != NULL ? archive_error_string(a)
								    : "unknown error");
			return NULL;
		}
		if (!checked_format) {
			int family = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
			if (family != ARCHIVE_FORMAT_TAR && family != ARCHIVE_FORMAT_ZIP) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "%s: is a %s archive; an OVA is a tar archive", origin,
					    archive_format_name(a));
				return NULL;
			}
			archive->in_place = family == ARCHIVE_FORMAT_TAR &&
					    archive_filter_count(a) == 1 && file_size != G_MAXUINT64;
			checked_format = TRUE;
		}
		raw_name = archive_entry_pathname(entry);
		type = archive_entry_filetype(entry);
		if (archive_entry_hardlink(entry) != NULL)
			why = "is a hard link; an OVA holds only regular files";
		else if (type == AE_IFLNK)
			why = "is a symbolic link; an OVA holds only regular files";
		else if (type != AE_IFREG && type != AE_IFDIR)
			why = "is a device or special file; an OVA holds only regular files";
		else if (archive_entry_sparse_count(entry) > 0)
			why = "is a sparse tar member, which cannot be read in place";
		name = ova_archive_normalise_name(raw_name, &why);
		if (why != NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: member \"%s\" %s; refusing the archive", origin,
				    raw_name != NULL ? raw_name : "", why);
			return NULL;
		}
		if (type == AE_IFDIR || *name == '\0')
			continue;
		size = archive_entry_size(entry);
		if (!archive_entry_size_is_set(entry) || size < 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: member \"%s\" has no valid size", origin, name);
			return NULL;
		}
		if (g_hash_table_contains(names, name)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: member \"%s\" appears twice; refusing an archive whose "
				    "contents are ambiguous",
				    origin, name);
			return NULL;
		}
		if (archive->members->len >= FERRY_OVA_ARCHIVE_MAX_MEMBERS) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: more than %d members; this is not an OVA", origin,
				    FERRY_OVA_ARCHIVE_MAX_MEMBERS);
			return NULL;
		}
		member = g_new0(FerryOvaMember, 1);
		member->size = (guint64)size;
		if (archive->in_place) {
			la_int64_t offset = archive_filter_bytes(a, 0);
			if (offset < 0 || (guint64)offset > file_size ||
			    member->size > file_size - (guint64)offset) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "%s: member \"%s\" needs %" G_GUINT64_FORMAT
					    " bytes at offset %" G_GINT64_FORMAT
					    " but the archive is %" G_GUINT64_FORMAT
					    " bytes: it is truncated or corrupt",
					    origin, name, member->size, (gint64)offset, file_size);
				ferry_ova_member_free(member);
				return NULL;
			}
			member->offset = (guint64)offset;
		}
		member->name = g_steal_pointer(&name);
		g_hash_table_add(names, member->name);
		g_ptr_array_add(archive->members, member);
	}
	if (archive->members->len == 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the archive holds no files", origin);
		return NULL;
	}
	return g_steal_pointer(&archive);
}

/**
 * ferry_ova_archive_open:
 * @path: an OVA file
 * @error: return location for a #GError
 *
 * Lists the members of @path and checks them (see the file comment).
 *
 * Returns: (transfer full): the archive, or %NULL
 */
FerryOvaArchive *
ferry_ova_archive_open(const char *path, GError **error)
{
	g_autoptr(OvaArchiveReader) a = ova_archive_reader_new();
	GStatBuf st;

	if (g_stat(path, &st) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR,
			    saved_errno == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
			    "%s: %s", path, g_strerror(saved_errno));
		return NULL;
	}
	if (archive_read_open_filename(a, path, ARCHIVE_BLOCK_SIZE) != ARCHIVE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: cannot open the archive: %s", path, archive_error_string(a));
		return NULL;
	}
	return ova_archive_list(a, path, (guint64)st.st_size, error);
}

/**
 * ferry_ova_archive_open_memory:
 * @data: an archive in memory
 * @size: its size
 * @origin: what to call it in errors
 * @error: return location for a #GError
 *
 * Like ferry_ova_archive_open() for bytes in memory (the fuzz target's way in).
 *
 * Returns: (transfer full): the archive, or %NULL
 */
FerryOvaArchive *
ferry_ova_archive_open_memory(const void *data, gsize size, const char *origin, GError **error)
{
	g_autoptr(OvaArchiveReader) a = ova_archive_reader_new();
	if (archive_read_open_memory(a, data, size) != ARCHIVE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: cannot open the archive: %s", origin, archive_error_string(a));
		return NULL;
	}
	return ova_archive_list(a, origin, size, error);
}

const FerryOvaMember *
ferry_ova_archive_find(FerryOvaArchive *archive, const char *name)
{
	for (guint i = 0; i < archive->members->len; i++) {
		FerryOvaMember *member = g_ptr_array_index(archive->members, i);
		if (g_str_equal(member->name, name))
			return member;
	}
	return NULL;
}

/* the first member whose name ends in @suffix, compared without case */
const FerryOvaMember *
ferry_ova_archive_find_suffix(FerryOvaArchive *archive, const char *suffix)
{
	gsize suffix_length = strlen(suffix);
	for (guint i = 0; i < archive->members->len; i++) {
		FerryOvaMember *member = g_ptr_array_index(archive->members, i);
		gsize length = strlen(member->name);
		if (length >= suffix_length &&
		    g_ascii_strcasecmp(member->name + length - suffix_length, suffix) == 0)
			return member;
	}
	return NULL;
}

/**
 * ferry_ova_archive_read_member:
 * @archive: an archive listed in place
 * @member: one of its members
 * @max_size: the largest member accepted
 * @length: (out): the number of bytes read
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the member's bytes, NUL-terminated, or %NULL
 */
char *
ferry_ova_archive_read_member(FerryOvaArchive *archive,
			      const FerryOvaMember *member,
			      gsize max_size,
			      gsize *length,
			      GError **error)
{
	g_autofree char *data = NULL;
	gsize done = 0;
	int fd;

	g_return_val_if_fail(archive->in_place, NULL);
	if (member->size > max_size) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: member \"%s\" is %" G_GUINT64_FORMAT
			    " bytes, over the limit of %" G_GSIZE_FORMAT,
			    archive->path, member->name, member->size, max_size);
		return NULL;
	}
	fd = g_open(archive->path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", archive->path,
			    g_strerror(saved_errno));
		return NULL;
	}
	data = g_malloc(member->size + 1);
	while (done < member->size) {
		ssize_t n = pread(fd, data + done, member->size - done,
				  (off_t)(member->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
				    "%s: reading member \"%s\": %s", archive->path, member->name,
				    n == 0 ? "the archive ended early" : g_strerror(saved_errno));
			close(fd);
			return NULL;
		}
		done += (gsize)n;
	}
	close(fd);
	data[member->size] = '\0';
	*length = member->size;
	return g_steal_pointer(&data);
}

static gboolean
ova_write_error(const char *directory, const char *name, int saved_errno, GError **error)
{
	g_set_error(error, FERRY_ERROR,
		    saved_errno == ENOSPC || saved_errno == EDQUOT ? FERRY_ERROR_NO_SPACE
								  : FERRY_ERROR_IO,
		    "unpacking %s into %s: %s%s", name, directory, g_strerror(saved_errno),
		    saved_errno == ENOSPC ? "; free space there or move the state directory" : "");
	return FALSE;
}

static gboolean
ova_extract_member(struct archive *a,
		   const char *origin,
		   const char *directory,
		   const FerryOvaMember *member,
		   GCancellable *cancellable,
		   GError **error)
{
	g_autofree char *target = g_build_filename(directory, member->name, NULL);
	g_autofree char *parent = g_path_get_dirname(target);
	guint64 written = 0;
	int fd;

	if (g_mkdir_with_parents(parent, 0700) != 0)
		return ova_write_error(directory, member->name, errno, error);
	fd = g_open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ova_write_error(directory, member->name, errno, error);
	for (;;) {
		const void *buffer;
		size_t length;
		la_int64_t offset;
		int r = archive_read_data_block(a, &buffer, &length, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: member \"%s\" cannot be read: %s; the archive is "
				    "truncated or corrupt",
				    origin, member->name, archive_error_string(a));
			close(fd);
			return FALSE;
		}
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			close(fd);
			return FALSE;
		}
		for (size_t done = 0; done < length;) {
			ssize_t n = pwrite(fd, (const char *)buffer + done, length - done,
					   (off_t)offset + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				int saved_errno = errno;
				close(fd);
				return ova_write_error(directory, member->name, saved_errno,
						       error);
			}
			done += (size_t)n;
		}
		written = MAX(written, (guint64)offset + length);
	}
	if (ftruncate(fd, (off_t)member->size) != 0 || fsync(fd) != 0) {
		int saved_errno = errno;
		close(fd);
		return ova_write_error(directory, member->name, saved_errno, error);
	}
	close(fd);
	if (written > member->size) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: member \"%s\" holds more data than its header says", origin,
			    member->name);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_ova_archive_extract:
 * @path: a (usually compressed) OVA
 * @directory: where its members go; must not exist yet
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Checks the archive as ferry_ova_archive_open() does, then unpacks it into
 * a temporary directory beside @directory and renames that into place, so
 * @directory either holds the whole archive or does not exist.
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_ova_archive_extract(const char *path,
			  const char *directory,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autoptr(FerryOvaArchive) listing = NULL;
	g_autoptr(OvaArchiveReader) a = NULL;
	g_autofree char *temporary = NULL;
	g_autofree char *parent = g_path_get_dirname(directory);
	g_autofree char *template = NULL;
	struct archive_entry *entry;
	int r;

	/* the listing pass refuses every hostile member before anything is written */
	listing = ferry_ova_archive_open(path, error);
	if (listing == NULL)
		return FALSE;
	if (g_mkdir_with_parents(parent, 0700) != 0)
		return ova_write_error(parent, path, errno, error);
	template = g_strdup_printf("%s.tmp-XXXXXX", directory);
	temporary = g_mkdtemp_full(template, 0700) != NULL ? g_steal_pointer(&template) : NULL;
	if (temporary == NULL)
		return ova_write_error(parent, path, errno, error);

	a = ova_archive_reader_new();
	if (archive_read_open_filename(a, path, ARCHIVE_BLOCK_SIZE) != ARCHIVE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: cannot open the archive: %s", path, archive_error_string(a));
		ferry_files_remove_tree(temporary, NULL);
		return FALSE;
	}
	while ((r = archive_read_next_header(a, &entry)) != ARCHIVE_EOF) {
		const char *why = NULL;
		g_autofree char *name = NULL;
		const FerryOvaMember *member;

		if (r < ARCHIVE_WARN) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: not a readable OVA archive: %s", path,
				    archive_error_string(a));
			ferry_files_remove_tree(temporary, NULL);
			return FALSE;
		}
		name = ova_archive_normalise_name(archive_entry_pathname(entry), &why);
		member = name != NULL ? ferry_ova_archive_find(listing, name) : NULL;
		if (member == NULL || archive_entry_filetype(entry) != AE_IFREG)
			continue;
		if (!ova_extract_member(a, path, temporary, member, cancellable, error)) {
			ferry_files_remove_tree(temporary, NULL);
			return FALSE;
		}
	}
	if (g_rename(temporary, directory) != 0) {
		int saved_errno = errno;
		ferry_files_remove_tree(temporary, NULL);
		return ova_write_error(directory, path, saved_errno, error);
	}
	return TRUE;
}

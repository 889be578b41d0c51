/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-copy-private.h"
#include "ferry-error.h"

/* a local file or block device, read and written with pread/pwrite in the
 * worker thread; commands complete before their start call returns */

#define FILE_ZERO_BUFFER (1024 * 1024)
/* writes per connection whose pages may stay in the page cache (see
 * ferry_copy_file_written) */
#define FILE_WRITEBACK_LAG 8
#define HOLE_FLAGS	 (FERRY_EXTENT_FLAG_HOLE | FERRY_EXTENT_FLAG_ZERO)

typedef struct {
	guint64 offset;
	gsize length;
} FerryCopyFileRange;

typedef struct {
	FerryCopyConn parent;
	char *path;
	int fd;
	gboolean is_block;
	gboolean can_punch;
	gboolean can_zero_range;
	gboolean can_seek_data;
	gboolean can_sync_range;
	/* the last writes, whose writeback was started: a ring */
	FerryCopyFileRange written[FILE_WRITEBACK_LAG];
	guint next_written;
} FerryCopyFile;

static const FerryCopyConnClass ferry_copy_file_class;

FerryCopyConn *
ferry_copy_file_open(const char *path, const char *description, gboolean writable, GError **error)
{
	FerryCopyFile *self = g_new0(FerryCopyFile, 1);
	g_autoptr(FerryCopyConn) conn = &self->parent;
	struct stat st;

	ferry_copy_conn_init(conn, &ferry_copy_file_class, description, writable);
	self->path = g_strdup(path);
	self->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (self->fd < 0) {
		int saved_errno = errno;
		const char *hint = saved_errno == ENOENT	? "; check the path"
				   : saved_errno == EACCES || saved_errno == EROFS
				       ? (writable ? "; the target must be writable" : "")
				       : "";
		g_set_error(error, FERRY_ERROR, ferry_copy_errno_to_code(saved_errno),
			    "cannot open %s %s: %s%s", writable ? "target" : "source",
			    description, g_strerror(saved_errno), hint);
		return NULL;
	}
	if (fstat(self->fd, &st) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot stat %s: %s", description,
			    g_strerror(saved_errno));
		return NULL;
	}
	if (S_ISBLK(st.st_mode)) {
		guint64 size = 0;
		if (ioctl(self->fd, BLKGETSIZE64, &size) != 0) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
				    "cannot get the size of block device %s: %s", description,
				    g_strerror(saved_errno));
			return NULL;
		}
		self->is_block = TRUE;
		conn->size = size;
	} else if (S_ISREG(st.st_mode)) {
		conn->size = (guint64)st.st_size;
	} else {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s is neither a regular file nor a block device", description);
		return NULL;
	}
	conn->is_local = TRUE;
	conn->can_multi_conn = TRUE;
	conn->can_flush = TRUE;
	conn->can_zero = writable;
	conn->can_extents = TRUE;
	self->can_punch = TRUE;
	self->can_zero_range = TRUE;
	self->can_seek_data = TRUE;
	self->can_sync_range = writable;
	if (!writable)
		posix_fadvise(self->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return g_steal_pointer(&conn);
}

static FerryCopyConn *
ferry_copy_file_clone(FerryCopyConn *conn, GError **error)
{
	FerryCopyFile *self = (FerryCopyFile *)conn;
	return ferry_copy_file_open(self->path, conn->description, conn->writable, error);
}

static void
ferry_copy_file_free(FerryCopyConn *conn)
{
	FerryCopyFile *self = (FerryCopyFile *)conn;
	if (self->fd >= 0)
		close(self->fd);
	g_free(self->path);
	ferry_copy_conn_clear(conn);
	g_free(self);
}

static gboolean
ferry_copy_file_reconnect(FerryCopyConn *conn, GError **error)
{
	return TRUE;
}

static gboolean
ferry_copy_file_is_dead(FerryCopyConn *conn)
{
	return FALSE;
}

static int
ferry_copy_file_in_flight(FerryCopyConn *conn)
{
	return 0;
}

static gboolean
ferry_copy_file_extents(FerryCopyConn *conn,
			const char *context,
			guint64 offset,
			guint64 length,
			FerryExtentList *out,
			GError **error)
{
	FerryCopyFile *self = (FerryCopyFile *)conn;
	guint64 end = offset + length;
	guint64 pos = offset;

	if (g_strcmp0(context, FERRY_COPY_CONTEXT_ALLOCATION) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s is a local file; it has no %s map (only NBD servers such as "
			    "qemu-nbd -B export dirty bitmaps)",
			    conn->description, context);
		return FALSE;
	}
	end = MIN(end, conn->size);
	while (pos < end && self->can_seek_data) {
		off_t data = lseek(self->fd, (off_t)pos, SEEK_DATA);
		off_t hole;
		if (data < 0) {
			if (errno == ENXIO) {
				/* nothing but a hole up to the end of the file */
				ferry_extent_list_add(out, pos, end - pos, HOLE_FLAGS, NULL);
				return TRUE;
			}
			/* no SEEK_DATA here (some block devices): all data */
			self->can_seek_data = FALSE;
			break;
		}
		if ((guint64)data > pos) {
			guint64 hole_end = MIN((guint64)data, end);
			ferry_extent_list_add(out, pos, hole_end - pos, HOLE_FLAGS, NULL);
			pos = hole_end;
			if (pos >= end)
				break;
		}
		hole = lseek(self->fd, (off_t)pos, SEEK_HOLE);
		if (hole < 0 || (guint64)hole <= pos) {
			self->can_seek_data = FALSE;
			break;
		}
		ferry_extent_list_add(out, pos, MIN((guint64)hole, end) - pos,
				      FERRY_EXTENT_FLAG_NONE, NULL);
		pos = MIN((guint64)hole, end);
	}
	if (pos < offset + length)
		ferry_extent_list_add(out, pos, offset + length - pos, FERRY_EXTENT_FLAG_NONE,
				      NULL);
	return TRUE;
}

static int
ferry_copy_file_read_sync(FerryCopyConn *conn, void *buffer, gsize length, guint64 offset)
{
	FerryCopyFile *self = (FerryCopyFile *)conn;
	guint8 *bytes = buffer;
	gsize done = 0;

	while (done < length) {
		ssize_t n = pread(self->fd, bytes + done, length - done, (off_t)(offset + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0) {
			/* past the end of a file that shrank: reads as zeroes */
			memset(bytes + done, 0, length - done);
			break;
		}
		done += (gsize)n;
	}
	return 0;
}

static int
ferry_copy_file_write_sync(FerryCopyFile *self, const void *buffer, gsize length, guint64 offset)
{
	const guint8 *bytes = buffer;
	gsize done = 0;

	while (done < length) {
		ssize_t n = pwrite(self->fd, bytes + done, length - done, (off_t)(offset + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return ENOSPC;
		done += (gsize)n;
	}
	return 0;
}

/* Keeps a written file out of the page cache, as nbdcopy does: the writeback
 * of each write starts at once, and a write FILE_WRITEBACK_LAG writes older
 * is waited for and dropped from the cache. Left to the kernel, the dirty
 * pages of a whole disk pile up in the page cache: every new page must be
 * reclaimed from other files first (measured: pwrite took 7 times as long)
 * and the final flush writes them all while nothing else runs. This way the
 * disk writes overlap the copy, a few MiB per connection stay cached, and the
 * final flush finds little left to do. */
static void
ferry_copy_file_written(FerryCopyFile *self, guint64 offset, gsize length)
{
	FerryCopyFileRange *oldest;

	if (!self->can_sync_range)
		return;
	if (sync_file_range(self->fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE) != 0) {
		/* not for this file (or kernel): the final flush does it all */
		self->can_sync_range = FALSE;
		return;
	}
	oldest = &self->written[self->next_written];
	if (oldest->length > 0) {
		if (sync_file_range(self->fd, (off_t)oldest->offset, (off_t)oldest->length,
				    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					SYNC_FILE_RANGE_WAIT_AFTER) == 0)
			posix_fadvise(self->fd, (off_t)oldest->offset, (off_t)oldest->length,
				      POSIX_FADV_DONTNEED);
	}
	oldest->offset = offset;
	oldest->length = length;
	self->next_written = (self->next_written + 1) % FILE_WRITEBACK_LAG;
}

static int
ferry_copy_file_zero(FerryCopyConn *conn, gsize length, guint64 offset)
{
	FerryCopyFile *self = (FerryCopyFile *)conn;
	g_autofree guint8 *zeroes = NULL;

	if (self->can_punch) {
		if (fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
			      (off_t)length) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
			return errno;
		self->can_punch = FALSE;
	}
	if (self->can_zero_range) {
		if (fallocate(self->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
			      (off_t)length) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
			return errno;
		self->can_zero_range = FALSE;
	}
	if (self->is_block) {
		guint64 range[2] = {offset, length};
		if (ioctl(self->fd, BLKZEROOUT, range) == 0)
			return 0;
	}
	zeroes = g_malloc0(FILE_ZERO_BUFFER);
	for (gsize done = 0; done < length;) {
		gsize chunk = MIN(length - done, FILE_ZERO_BUFFER);
		int err = ferry_copy_file_write_sync(self, zeroes, chunk, offset + done);
		if (err != 0)
			return err;
		done += chunk;
	}
	return 0;
}

static int
ferry_copy_file_start_read(FerryCopyConn *conn,
			   void *buffer,
			   gsize length,
			   guint64 offset,
			   FerryCopyCompletion *completion)
{
	completion->done(completion->user_data,
			 ferry_copy_file_read_sync(conn, buffer, length, offset));
	return 0;
}

static int
ferry_copy_file_start_write(FerryCopyConn *conn,
			    const void *buffer,
			    gsize length,
			    guint64 offset,
			    FerryCopyCompletion *completion)
{
	FerryCopyFile *self = (FerryCopyFile *)conn;
	int err = 0;
	if (offset + length > conn->size)
		err = ENOSPC;
	else
		err = ferry_copy_file_write_sync(self, buffer, length, offset);
	if (err == 0)
		ferry_copy_file_written(self, offset, length);
	completion->done(completion->user_data, err);
	return 0;
}

static int
ferry_copy_file_start_zero(FerryCopyConn *conn,
			   gsize length,
			   guint64 offset,
			   FerryCopyCompletion *completion)
{
	completion->done(completion->user_data, ferry_copy_file_zero(conn, length, offset));
	return 0;
}

static int
ferry_copy_file_start_flush(FerryCopyConn *conn, FerryCopyCompletion *completion)
{
	FerryCopyFile *self = (FerryCopyFile *)conn;
	int err = fdatasync(self->fd) == 0 ? 0 : errno;
	/* fdatasync on some special files says EINVAL: nothing to flush */
	completion->done(completion->user_data, err == EINVAL ? 0 : err);
	return 0;
}

static int
ferry_copy_file_get_poll_fd(FerryCopyConn *conn, short *events)
{
	return -1;
}

static void
ferry_copy_file_abort(FerryCopyConn *conn)
{
	/* file commands never stay in flight */
}

static void
ferry_copy_file_notify(FerryCopyConn *conn, short revents)
{
}

static const FerryCopyConnClass ferry_copy_file_class = {
    .clone = ferry_copy_file_clone,
    .free = ferry_copy_file_free,
    .reconnect = ferry_copy_file_reconnect,
    .is_dead = ferry_copy_file_is_dead,
    .in_flight = ferry_copy_file_in_flight,
    .extents = ferry_copy_file_extents,
    .start_read = ferry_copy_file_start_read,
    .start_write = ferry_copy_file_start_write,
    .start_zero = ferry_copy_file_start_zero,
    .start_flush = ferry_copy_file_start_flush,
    .read_sync = ferry_copy_file_read_sync,
    .abort = ferry_copy_file_abort,
    .get_poll_fd = ferry_copy_file_get_poll_fd,
    .notify = ferry_copy_file_notify,
};

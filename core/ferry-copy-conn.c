/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "ferry-copy-private.h"
#include "ferry-error.h"

void
ferry_copy_conn_init(FerryCopyConn *conn,
		     const FerryCopyConnClass *klass,
		     const char *description,
		     gboolean writable)
{
	conn->klass = klass;
	conn->description = g_strdup(description);
	conn->writable = writable;
}

void
ferry_copy_conn_clear(FerryCopyConn *conn)
{
	g_clear_pointer(&conn->description, g_free);
}

gboolean
ferry_copy_errno_is_disconnect(int err)
{
	switch (err) {
	case ENOTCONN:
	case ESHUTDOWN:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
		return TRUE;
	default:
		return FALSE;
	}
}

gboolean
ferry_copy_errno_is_transient(int err)
{
	switch (err) {
	/* retrying cannot help: the request or the disk is wrong */
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
	case EPERM:
	case EACCES:
	case EROFS:
	case EINVAL:
	case EOVERFLOW:
	case ENOTSUP:
	case ENOMEM:
	case EBADF:
		return FALSE;
	default:
		return TRUE;
	}
}

int
ferry_copy_errno_to_code(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return FERRY_ERROR_NOT_FOUND;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return FERRY_ERROR_NO_SPACE;
	case EPERM:
	case EACCES:
	case EROFS:
		return FERRY_ERROR_PERMISSION_DENIED;
	case EINVAL:
	case EOVERFLOW:
		return FERRY_ERROR_INVALID_ARGUMENT;
	case ENOTSUP:
		return FERRY_ERROR_NOT_SUPPORTED;
	case ETIMEDOUT:
		return FERRY_ERROR_TIMED_OUT;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENOTCONN:
	case ESHUTDOWN:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
		return FERRY_ERROR_CONNECTION_FAILED;
	case ECANCELED:
		return FERRY_ERROR_CANCELLED;
	default:
		return FERRY_ERROR_IO;
	}
}

static int
ferry_copy_range_compare(const void *a, const void *b)
{
	const FerryExtent *x = a;
	const FerryExtent *y = b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

void
ferry_copy_ranges_merge(GArray *ranges)
{
	guint out = 0;

	if (ranges->len < 2)
		return;
	qsort(ranges->data, ranges->len, sizeof(FerryExtent), ferry_copy_range_compare);
	for (guint i = 1; i < ranges->len; i++) {
		FerryExtent *last = &g_array_index(ranges, FerryExtent, out);
		const FerryExtent *next = &g_array_index(ranges, FerryExtent, i);
		guint64 last_end = last->offset + last->length;
		if (next->offset <= last_end) {
			last->length = MAX(last_end, next->offset + next->length) - last->offset;
			continue;
		}
		out++;
		g_array_index(ranges, FerryExtent, out) = *next;
	}
	g_array_set_size(ranges, out + 1);
}

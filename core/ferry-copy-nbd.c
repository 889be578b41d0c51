/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <libnbd.h>
#include <poll.h>
#include <sys/socket.h>

#include "ferry-copy-private.h"
#include "ferry-error.h"

/* NBD commands carry 32-bit lengths; block status is asked in pieces this big */
#define NBD_STATUS_CHUNK   (1ull << 31)
#define NBD_MAX_REQUEST    (32u * 1024 * 1024)
#define NBD_CONNECT_TIMEOUT_MS	 30000
/* a reconnection is retried anyway: a server that accepts but does not
 * answer (one shutting down) must not hold the copy for long */
#define NBD_RECONNECT_TIMEOUT_MS 10000

typedef struct {
	FerryCopyConn parent;
	struct nbd_handle *nbd;
	char *uri;
	char *extra_context;
} FerryCopyNbd;

static const FerryCopyConnClass ferry_copy_nbd_class;

static void
ferry_copy_nbd_set_error(GError **error, int code, const char *what, const char *description)
{
	const char *message = nbd_get_error();
	g_set_error(error, FERRY_ERROR, code, "%s %s: %s", what, description,
		    message != NULL ? message : g_strerror(nbd_get_errno()));
}

/* runs the handshake with a deadline and the cancellable in the poll set,
 * so that an unreachable host or a cancelled copy does not block for the
 * kernel's connect timeout */
static gboolean
ferry_copy_nbd_wait_connected(struct nbd_handle *nbd,
			      const char *description,
			      int timeout_ms,
			      GCancellable *cancellable,
			      GError **error)
{
	gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;
	GPollFD cancel_fd = {-1, 0, 0};
	gboolean have_cancel =
	    cancellable != NULL && g_cancellable_make_pollfd(cancellable, &cancel_fd);
	gboolean ok = TRUE;

	while (nbd_aio_is_connecting(nbd) == 1) {
		struct pollfd fds[2] = {{0}};
		unsigned direction = nbd_aio_get_direction(nbd);
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		int n;

		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ferry_error_convert(error);
			ok = FALSE;
			break;
		}
		if (left <= 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "cannot connect to %s: no NBD handshake within %d s; check "
				    "that the server is running and reachable",
				    description, timeout_ms / 1000);
			ok = FALSE;
			break;
		}
		fds[0].fd = nbd_aio_get_fd(nbd);
		fds[0].events = ((direction & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
				((direction & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
		if (have_cancel) {
			fds[1].fd = cancel_fd.fd;
			fds[1].events = POLLIN;
		}
		n = poll(fds, have_cancel ? 2 : 1, (int)MIN(left, 1000));
		if (n < 0 && errno != EINTR) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot connect to %s: %s",
				    description, g_strerror(saved_errno));
			ok = FALSE;
			break;
		}
		if (n <= 0)
			continue;
		if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
			if (nbd_aio_notify_read(nbd) == -1) {
				ferry_copy_nbd_set_error(error, FERRY_ERROR_CONNECTION_FAILED,
							 "cannot connect to", description);
				ok = FALSE;
				break;
			}
		} else if ((fds[0].revents & POLLOUT) != 0) {
			if (nbd_aio_notify_write(nbd) == -1) {
				ferry_copy_nbd_set_error(error, FERRY_ERROR_CONNECTION_FAILED,
							 "cannot connect to", description);
				ok = FALSE;
				break;
			}
		}
	}
	if (have_cancel)
		g_cancellable_release_fd(cancellable);
	if (ok && nbd_aio_is_ready(nbd) != 1) {
		ferry_copy_nbd_set_error(error, FERRY_ERROR_CONNECTION_FAILED,
					 "cannot connect to", description);
		ok = FALSE;
	}
	return ok;
}

static struct nbd_handle *
ferry_copy_nbd_connect(const char *uri,
		       const char *description,
		       const char *extra_context,
		       int timeout_ms,
		       GCancellable *cancellable,
		       GError **error)
{
	struct nbd_handle *nbd = nbd_create();

	if (nbd == NULL) {
		ferry_copy_nbd_set_error(error, FERRY_ERROR_FAILED, "cannot open", description);
		return NULL;
	}
	/* buffers are always overwritten or discarded: skip libnbd's memset */
	nbd_set_pread_initialize(nbd, false);
	if (nbd_add_meta_context(nbd, FERRY_COPY_CONTEXT_ALLOCATION) == -1 ||
	    (extra_context != NULL && nbd_add_meta_context(nbd, extra_context) == -1)) {
		ferry_copy_nbd_set_error(error, FERRY_ERROR_FAILED, "cannot open", description);
		nbd_close(nbd);
		return NULL;
	}
	if (nbd_aio_connect_uri(nbd, uri) == -1) {
		int code = nbd_get_errno() == EINVAL || nbd_get_errno() == ENOTSUP
			       ? FERRY_ERROR_INVALID_ARGUMENT
			       : FERRY_ERROR_CONNECTION_FAILED;
		ferry_copy_nbd_set_error(error, code, "cannot connect to", description);
		nbd_close(nbd);
		return NULL;
	}
	if (!ferry_copy_nbd_wait_connected(nbd, description, timeout_ms, cancellable, error)) {
		nbd_close(nbd);
		return NULL;
	}
	return nbd;
}

static gboolean
ferry_copy_nbd_probe(FerryCopyNbd *self, GError **error)
{
	FerryCopyConn *conn = &self->parent;
	int64_t size = nbd_get_size(self->nbd);
	int64_t max_block = nbd_get_block_size(self->nbd, LIBNBD_SIZE_MAXIMUM);

	if (size < 0) {
		ferry_copy_nbd_set_error(error, FERRY_ERROR_IO, "cannot get the size of",
					 conn->description);
		return FALSE;
	}
	if (conn->writable && nbd_is_read_only(self->nbd) == 1) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "target %s is exported read-only by its NBD server; export it "
			    "writable (qemu-nbd and nbdkit: without -r)",
			    conn->description);
		return FALSE;
	}
	conn->size = (guint64)size;
	conn->can_multi_conn = nbd_can_multi_conn(self->nbd) == 1;
	conn->can_zero = nbd_can_zero(self->nbd) == 1;
	conn->can_flush = nbd_can_flush(self->nbd) == 1;
	conn->can_extents = nbd_can_meta_context(self->nbd, FERRY_COPY_CONTEXT_ALLOCATION) == 1;
	conn->max_request = max_block > 0 ? MIN((guint64)max_block, NBD_MAX_REQUEST)
					  : NBD_MAX_REQUEST;
	return TRUE;
}

FerryCopyConn *
ferry_copy_nbd_open(const char *uri,
		    const char *description,
		    gboolean writable,
		    const char *extra_context,
		    GCancellable *cancellable,
		    GError **error)
{
	FerryCopyNbd *self = g_new0(FerryCopyNbd, 1);
	g_autoptr(FerryCopyConn) conn = &self->parent;

	ferry_copy_conn_init(conn, &ferry_copy_nbd_class, description, writable);
	self->uri = g_strdup(uri);
	self->extra_context = g_strdup(extra_context);
	self->nbd = ferry_copy_nbd_connect(uri, description, extra_context, NBD_CONNECT_TIMEOUT_MS,
					   cancellable, error);
	if (self->nbd == NULL || !ferry_copy_nbd_probe(self, error))
		return NULL;
	return g_steal_pointer(&conn);
}

gboolean
ferry_copy_nbd_has_context(FerryCopyConn *conn, const char *context)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	if (conn->klass != &ferry_copy_nbd_class)
		return FALSE;
	return nbd_can_meta_context(self->nbd, context) == 1;
}

static FerryCopyConn *
ferry_copy_nbd_clone(FerryCopyConn *conn, GError **error)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	return ferry_copy_nbd_open(self->uri, conn->description, conn->writable,
				   self->extra_context, NULL, error);
}

static void
ferry_copy_nbd_free(FerryCopyConn *conn)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	if (self->nbd != NULL) {
		/* a polite NBD_CMD_DISC when the connection still works */
		if (nbd_aio_is_ready(self->nbd) == 1 && nbd_aio_in_flight(self->nbd) == 0)
			nbd_shutdown(self->nbd, 0);
		nbd_close(self->nbd);
	}
	g_free(self->uri);
	g_free(self->extra_context);
	ferry_copy_conn_clear(conn);
	g_free(self);
}

static gboolean
ferry_copy_nbd_reconnect(FerryCopyConn *conn, GError **error)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	struct nbd_handle *nbd;
	int64_t size;

	nbd = ferry_copy_nbd_connect(self->uri, conn->description, self->extra_context,
				     NBD_RECONNECT_TIMEOUT_MS, NULL, error);
	if (nbd == NULL)
		return FALSE;
	size = nbd_get_size(nbd);
	if (size < 0 || (guint64)size != conn->size) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "%s changed size from %" G_GUINT64_FORMAT " to %" G_GINT64_FORMAT
			    " bytes while reconnecting; start the copy again",
			    conn->description, conn->size, size);
		nbd_close(nbd);
		return FALSE;
	}
	nbd_close(self->nbd);
	self->nbd = nbd;
	return TRUE;
}

static gboolean
ferry_copy_nbd_is_dead(FerryCopyConn *conn)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	return nbd_aio_is_dead(self->nbd) == 1 || nbd_aio_is_closed(self->nbd) == 1;
}

static int
ferry_copy_nbd_in_flight(FerryCopyConn *conn)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	return MAX(nbd_aio_in_flight(self->nbd), 0);
}

typedef struct {
	const char *context;
	guint64 end;
	guint64 reached;
	FerryExtentList *out;
	gboolean failed;
} ExtentsRequest;

static int
ferry_copy_nbd_extents_cb(void *user_data,
			  const char *metacontext,
			  uint64_t offset,
			  uint32_t *entries,
			  size_t nr_entries,
			  int *error)
{
	ExtentsRequest *request = user_data;
	guint64 pos = offset;

	if (g_strcmp0(metacontext, request->context) != 0 || *error != 0)
		return 0;
	/* the server answers from the requested offset; extents already
	 * recorded by an earlier answer are not added twice */
	for (size_t i = 0; i + 1 < nr_entries && pos < request->end; i += 2) {
		guint64 length = MIN((guint64)entries[i], request->end - pos);
		guint64 from = MAX(pos, request->reached);
		if (length == 0)
			break;
		if (pos + length > from &&
		    !ferry_extent_list_add(request->out, from, pos + length - from,
					   (FerryExtentFlags)entries[i + 1], NULL)) {
			request->failed = TRUE;
			return 0;
		}
		pos += length;
		request->reached = MAX(request->reached, pos);
	}
	return 0;
}

static gboolean
ferry_copy_nbd_extents(FerryCopyConn *conn,
		       const char *context,
		       guint64 offset,
		       guint64 length,
		       FerryExtentList *out,
		       GError **error)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	ExtentsRequest request = {context, offset + length, offset, out, FALSE};

	while (request.reached < request.end) {
		guint64 before = request.reached;
		guint64 count = MIN(request.end - before, NBD_STATUS_CHUNK);
		nbd_extent_callback callback = {ferry_copy_nbd_extents_cb, &request, NULL};

		if (nbd_block_status(self->nbd, count, before, callback, 0) == -1) {
			g_set_error(error, FERRY_ERROR,
				    ferry_copy_errno_to_code(nbd_get_errno()),
				    "cannot read the %s map of %s at offset %" G_GUINT64_FORMAT
				    ": %s",
				    context, conn->description, before, nbd_get_error());
			return FALSE;
		}
		if (request.failed || request.reached <= before) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the NBD server of %s answered a %s query at offset "
				    "%" G_GUINT64_FORMAT " with no usable extents",
				    conn->description, context, before);
			return FALSE;
		}
	}
	return TRUE;
}

static int
ferry_copy_nbd_done_cb(void *user_data, int *error)
{
	FerryCopyCompletion *completion = user_data;
	completion->done(completion->user_data, *error);
	/* retire the command */
	return 1;
}

static int
ferry_copy_nbd_started(int64_t cookie)
{
	if (cookie != -1)
		return 0;
	return nbd_get_errno() != 0 ? nbd_get_errno() : EIO;
}

static int
ferry_copy_nbd_start_read(FerryCopyConn *conn,
			  void *buffer,
			  gsize length,
			  guint64 offset,
			  FerryCopyCompletion *completion)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	nbd_completion_callback callback = {ferry_copy_nbd_done_cb, completion, NULL};
	return ferry_copy_nbd_started(
	    nbd_aio_pread(self->nbd, buffer, length, offset, callback, 0));
}

static int
ferry_copy_nbd_start_write(FerryCopyConn *conn,
			   const void *buffer,
			   gsize length,
			   guint64 offset,
			   FerryCopyCompletion *completion)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	nbd_completion_callback callback = {ferry_copy_nbd_done_cb, completion, NULL};
	return ferry_copy_nbd_started(
	    nbd_aio_pwrite(self->nbd, buffer, length, offset, callback, 0));
}

static int
ferry_copy_nbd_start_zero(FerryCopyConn *conn,
			  gsize length,
			  guint64 offset,
			  FerryCopyCompletion *completion)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	nbd_completion_callback callback = {ferry_copy_nbd_done_cb, completion, NULL};
	return ferry_copy_nbd_started(nbd_aio_zero(self->nbd, length, offset, callback, 0));
}

static int
ferry_copy_nbd_start_flush(FerryCopyConn *conn, FerryCopyCompletion *completion)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	nbd_completion_callback callback = {ferry_copy_nbd_done_cb, completion, NULL};
	return ferry_copy_nbd_started(nbd_aio_flush(self->nbd, callback, 0));
}

static int
ferry_copy_nbd_read_sync(FerryCopyConn *conn, void *buffer, gsize length, guint64 offset)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	guint8 *bytes = buffer;

	for (gsize done = 0; done < length;) {
		gsize chunk = MIN(length - done, conn->max_request);
		if (nbd_pread(self->nbd, bytes + done, chunk, offset + done, 0) == -1)
			return nbd_get_errno() != 0 ? nbd_get_errno() : EIO;
		done += chunk;
	}
	return 0;
}

static int
ferry_copy_nbd_get_poll_fd(FerryCopyConn *conn, short *events)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	unsigned direction;

	if (nbd_aio_in_flight(self->nbd) <= 0 || ferry_copy_nbd_is_dead(conn))
		return -1;
	direction = nbd_aio_get_direction(self->nbd);
	*events = ((direction & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
		  ((direction & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
	return nbd_aio_get_fd(self->nbd);
}

static void
ferry_copy_nbd_abort(FerryCopyConn *conn)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;
	int fd = nbd_aio_get_fd(self->nbd);
	/* the next poll sees the socket closed: the handle dies and every
	 * command in flight completes with an error */
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static void
ferry_copy_nbd_notify(FerryCopyConn *conn, short revents)
{
	FerryCopyNbd *self = (FerryCopyNbd *)conn;

	/* a failure here kills the handle; the commands in flight complete
	 * with an error and are retried after a reconnect */
	if ((revents & POLLIN) != 0)
		nbd_aio_notify_read(self->nbd);
	else if ((revents & POLLOUT) != 0)
		nbd_aio_notify_write(self->nbd);
	else if ((revents & (POLLHUP | POLLERR)) != 0)
		nbd_aio_notify_read(self->nbd);
}

static const FerryCopyConnClass ferry_copy_nbd_class = {
    .clone = ferry_copy_nbd_clone,
    .free = ferry_copy_nbd_free,
    .reconnect = ferry_copy_nbd_reconnect,
    .is_dead = ferry_copy_nbd_is_dead,
    .in_flight = ferry_copy_nbd_in_flight,
    .extents = ferry_copy_nbd_extents,
    .start_read = ferry_copy_nbd_start_read,
    .start_write = ferry_copy_nbd_start_write,
    .start_zero = ferry_copy_nbd_start_zero,
    .start_flush = ferry_copy_nbd_start_flush,
    .read_sync = ferry_copy_nbd_read_sync,
    .abort = ferry_copy_nbd_abort,
    .get_poll_fd = ferry_copy_nbd_get_poll_fd,
    .notify = ferry_copy_nbd_notify,
};

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "ferry-copy-private.h"
#include "ferry-copy.h"
#include "ferry-error.h"
#include "ferry-worker-private.h"

/**
 * FerryCopy:
 *
 * Copies one disk from a source to a target, each an NBD URI
 * (`nbd://`, `nbd+unix://`, …) or a local file or block device, on libnbd's
 * asynchronous API.
 *
 * - Several connections when both NBD servers allow multi-conn, each driven
 *   by its own thread with many requests in flight.
 * - Holes and zero ranges (`base:allocation`, `SEEK_DATA`/`SEEK_HOLE`, and
 *   zero blocks found in the data) are not read or sent: they are skipped on
 *   a target known to read as zeroes (a new file, or one the caller vouches
 *   for with ferry_disk_endpoint_set_zeroed()) and written with
 *   `WRITE_ZEROES` (or hole punching) elsewhere.
 * - Incremental copies take an explicit [struct@Ferry.ExtentList] (changed
 *   block areas from a provider) or a `qemu:dirty-bitmap:NAME` context;
 *   ranges the source now reads as zeroes are written as zeroes.
 * - With a journal, ranges are recorded once the target has flushed them;
 *   a copy that crashed, was killed or was cancelled resumes where it stopped
 *   and a finished one is not done again.
 * - Optional verification reads every written range back and compares it
 *   with the bytes read from the source; a mismatch names the range, the
 *   first byte that differs and the SHA-256 digests of both.
 * - Progress goes to a [class@Ferry.Progress]; a bandwidth limit, retries
 *   with backoff and reconnection after transient errors, and cancellation
 *   are built in.
 *
 * Since: 0.1
 */

#define DEFAULT_CONNECTIONS  4
#define DEFAULT_REQUESTS     64
#define DEFAULT_REQUEST_SIZE (256u * 1024)
#define DEFAULT_RETRIES	     5
#define DEFAULT_TIMEOUT	     300
#define MIN_REQUEST_SIZE     4096u
#define MAX_REQUEST_SIZE     (32u * 1024 * 1024)
#define MAX_REQUESTS	     1024
#define MAX_CONNECTIONS	     64
#define SPARSE_SIZE	     4096u
#define MAX_QUEUE_BYTES	     (256u * 1024 * 1024)
#define MAX_SLICE	     (128ull * 1024 * 1024)
#define MIN_SLICE	     (4ull * 1024 * 1024)
#define COMMIT_INTERVAL_US   (1 * G_USEC_PER_SEC)
#define RETRY_BASE_US	     (200 * 1000)
#define RETRY_MAX_US	     (5 * G_USEC_PER_SEC)
#define REVIVE_WAIT_US	     (50 * 1000)
#define THROTTLE_BURST_US    (100 * 1000)
#define PROGRESS_BATCH	     (8u * 1024 * 1024)

struct _FerryCopy {
	GObject parent_instance;
	FerryDiskEndpoint *source;
	FerryDiskEndpoint *target;
	guint connections;
	guint requests;
	guint request_size;
	guint retries;
	guint timeout;
	guint64 bandwidth;
	char *journal;
	gboolean verify;
	FerryExtentList *extents;
	char *extents_from;
	gint running;
	/* what the last run did */
	guint64 bytes_total;
	guint64 bytes_read;
	guint64 bytes_written;
	guint64 bytes_zeroed;
	guint64 bytes_skipped;
	guint64 bytes_resumed;
	guint64 bytes_verified;
	guint retried;
	guint connections_used;
};

G_DEFINE_TYPE(FerryCopy, ferry_copy, G_TYPE_OBJECT)

typedef struct {
	GMutex lock;
	guint64 rate;
	gint64 next;
} Throttle;

typedef struct {
	guint64 read;
	guint64 written;
	guint64 zeroed;
	guint64 skipped;
	guint64 verified;
	guint retried;
} Stats;

typedef struct {
	FerryCopy *self;
	FerryProgress *progress;
	GCancellable *stop; /* cancelled on the first error or on the caller's cancel */
	FerryCopyJournal *journal;
	GArray *slices; /* of FerryExtent; ZERO flag: known to read as zeroes */
	gint next_slice;
	gboolean target_zero;
	gboolean verify;
	gboolean incremental;
	guint request_size;
	guint requests;
	guint retries;
	gint64 stall_us;
	guint8 *zero_buffer;
	Throttle throttle;
	GMutex lock;
	GError *error;
	Stats stats;
} Job;

typedef enum {
	PHASE_READ,
	PHASE_WRITE,
	PHASE_VERIFY,
} Phase;

typedef struct _Worker Worker;

typedef struct {
	Worker *worker;
	FerryCopyCompletion completion;
	GList link;
	guint64 offset;
	gsize length;
	gboolean zero; /* known to read as zeroes: nothing to read */
	gboolean charged;
	Phase phase;
	guint pending;
	int error;
	guint attempts;
	gint64 not_before;
	guint8 *buffer;
	guint8 *check;
	Stats stats; /* of this op, added to the worker's when it is done */
} Op;

struct _Worker {
	Job *job;
	guint index;
	FerryCopyConn *src;
	FerryCopyConn *dst;
	Op *ops;
	guint n_ops;
	GQueue idle;
	GQueue completed;
	GQueue waiting;
	guint busy;
	/* the slice being cut into ops */
	FerryExtentList *current;
	guint current_index;
	guint64 current_pos;
	gboolean no_more_work;
	/* ranges done since the last flush, and those the flush in flight covers */
	GArray *done;
	GArray *flushing;
	gboolean dirty;
	gboolean flush_in_flight;
	gboolean flush_complete;
	int flush_error;
	guint flush_attempts;
	FerryCopyCompletion flush_completion;
	gint64 last_commit;
	guint64 progress_pending;
	gint64 last_reply;
	GError *reconnect_error;
	Stats stats;
	GThread *thread;
};

static void
ferry_copy_finalize(GObject *object)
{
	FerryCopy *self = FERRY_COPY(object);
	g_clear_object(&self->source);
	g_clear_object(&self->target);
	g_free(self->journal);
	g_clear_pointer(&self->extents, ferry_extent_list_unref);
	g_free(self->extents_from);
	G_OBJECT_CLASS(ferry_copy_parent_class)->finalize(object);
}

static void
ferry_copy_class_init(FerryCopyClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_copy_finalize;
}

static void
ferry_copy_init(FerryCopy *self)
{
	self->retries = DEFAULT_RETRIES;
	self->timeout = DEFAULT_TIMEOUT;
}

/**
 * ferry_copy_new:
 * @source: where to read
 * @target: where to write
 *
 * Creates a full copy of @source onto @target with the default settings:
 * up to 4 connections (one unless both NBD servers allow multi-conn), 64
 * requests of 256 KiB in flight per connection, no journal, no verification,
 * no bandwidth limit, 5 retries, a 300 s timeout for an unanswering server.
 *
 * Returns: (transfer full): a new copy
 *
 * Since: 0.1
 */
FerryCopy *
ferry_copy_new(FerryDiskEndpoint *source, FerryDiskEndpoint *target)
{
	FerryCopy *self;
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(source), NULL);
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(target), NULL);
	self = g_object_new(FERRY_TYPE_COPY, NULL);
	self->source = g_object_ref(source);
	self->target = g_object_ref(target);
	return self;
}

static gboolean
ferry_copy_parse_count(const char *key,
		       const char *text,
		       guint minimum,
		       guint maximum,
		       guint *value,
		       GError **error)
{
	guint64 number = 0;
	if (!g_ascii_string_to_unsigned(text, 10, minimum, maximum, &number, NULL)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "option %s=%s: give a whole number from %u to %u", key, text, minimum,
			    maximum);
		return FALSE;
	}
	*value = (guint)number;
	return TRUE;
}

/**
 * ferry_copy_new_for_request:
 * @request: a transfer request
 * @error: return location for a #GError
 *
 * Creates the copy a transfer request describes: its endpoints, journal,
 * bandwidth, the extents of an incremental copy
 * (%FERRY_TRANSFER_FLAG_INCREMENTAL), verification
 * (%FERRY_TRANSFER_FLAG_VERIFY), and the options `connections`, `requests`,
 * `request-size` (a size such as `1M`), `retries`, `timeout` (seconds) and
 * `extents-from` (a `qemu:dirty-bitmap:NAME` context).
 *
 * Returns: (transfer full): a new copy, or %NULL with
 *   %FERRY_ERROR_INVALID_ARGUMENT for a bad option
 *
 * Since: 0.1
 */
FerryCopy *
ferry_copy_new_for_request(FerryTransferRequest *request, GError **error)
{
	g_autoptr(FerryCopy) self = NULL;
	FerryTransferFlags flags;
	const char *value;

	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(request), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = ferry_copy_new(ferry_transfer_request_get_source(request),
			      ferry_transfer_request_get_target(request));
	flags = ferry_transfer_request_get_flags(request);
	ferry_copy_set_journal(self, ferry_transfer_request_get_journal(request));
	ferry_copy_set_bandwidth(self, ferry_transfer_request_get_bandwidth(request));
	ferry_copy_set_verify(self, (flags & FERRY_TRANSFER_FLAG_VERIFY) != 0);
	if ((value = ferry_transfer_request_get_option(request, "connections")) != NULL &&
	    !ferry_copy_parse_count("connections", value, 1, MAX_CONNECTIONS,
				    &self->connections, error))
		return NULL;
	if ((value = ferry_transfer_request_get_option(request, "requests")) != NULL &&
	    !ferry_copy_parse_count("requests", value, 1, MAX_REQUESTS, &self->requests, error))
		return NULL;
	if ((value = ferry_transfer_request_get_option(request, "retries")) != NULL &&
	    !ferry_copy_parse_count("retries", value, 0, 100, &self->retries, error))
		return NULL;
	if ((value = ferry_transfer_request_get_option(request, "timeout")) != NULL &&
	    !ferry_copy_parse_count("timeout", value, 0, 86400, &self->timeout, error))
		return NULL;
	if ((value = ferry_transfer_request_get_option(request, "request-size")) != NULL) {
		guint64 size = 0;
		if (!ferry_copy_parse_size(value, &size, error)) {
			g_prefix_error(error, "option request-size: ");
			return NULL;
		}
		if (size < MIN_REQUEST_SIZE || size > MAX_REQUEST_SIZE) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "option request-size=%s: give a size from 4k to 32M", value);
			return NULL;
		}
		self->request_size = (guint)size;
	}
	if (flags & FERRY_TRANSFER_FLAG_INCREMENTAL) {
		FerryExtentList *extents = ferry_transfer_request_get_extents(request);
		value = ferry_transfer_request_get_option(request, "extents-from");
		if (extents == NULL && value == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "incremental copy of %s has neither extents nor an "
				    "extents-from context; the provider must report the changed "
				    "areas",
				    ferry_disk_endpoint_get_description(self->source));
			return NULL;
		}
		ferry_copy_set_extents(self, extents);
		ferry_copy_set_extents_from(self, value);
	} else if ((value = ferry_transfer_request_get_option(request, "extents-from")) != NULL) {
		ferry_copy_set_extents_from(self, value);
	}
	return g_steal_pointer(&self);
}

/**
 * ferry_copy_get_source:
 * @self: a #FerryCopy
 *
 * Returns: (transfer none): the source
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_copy_get_source(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), NULL);
	return self->source;
}

/**
 * ferry_copy_get_target:
 * @self: a #FerryCopy
 *
 * Returns: (transfer none): the target
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_copy_get_target(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), NULL);
	return self->target;
}

/**
 * ferry_copy_set_connections:
 * @self: a #FerryCopy
 * @connections: connections (and threads) to use, at most 64; 0 for the
 *   default (4, or fewer on a machine with fewer cores)
 *
 * More than one connection is only used when every NBD end advertises
 * multi-conn.
 *
 * Since: 0.1
 */
void
ferry_copy_set_connections(FerryCopy *self, guint connections)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	g_return_if_fail(connections <= MAX_CONNECTIONS);
	self->connections = connections;
}

/**
 * ferry_copy_get_connections:
 * @self: a #FerryCopy
 *
 * Returns: the connections asked for, 0 for the default
 *
 * Since: 0.1
 */
guint
ferry_copy_get_connections(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->connections;
}

/**
 * ferry_copy_set_requests:
 * @self: a #FerryCopy
 * @requests: requests in flight per connection, at most 1024; 0 for the
 *   default (64). Fewer are used when they would hold more than 256 MiB of
 *   buffers per connection.
 *
 * Since: 0.1
 */
void
ferry_copy_set_requests(FerryCopy *self, guint requests)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	g_return_if_fail(requests <= MAX_REQUESTS);
	self->requests = requests;
}

/**
 * ferry_copy_get_requests:
 * @self: a #FerryCopy
 *
 * Returns: the requests per connection asked for, 0 for the default
 *
 * Since: 0.1
 */
guint
ferry_copy_get_requests(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->requests;
}

/**
 * ferry_copy_set_request_size:
 * @self: a #FerryCopy
 * @request_size: bytes per read or write request, from 4 KiB to 32 MiB;
 *   0 for the default (256 KiB). A server's smaller maximum wins.
 *
 * Since: 0.1
 */
void
ferry_copy_set_request_size(FerryCopy *self, guint request_size)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	g_return_if_fail(request_size == 0 ||
			 (request_size >= MIN_REQUEST_SIZE && request_size <= MAX_REQUEST_SIZE));
	self->request_size = request_size;
}

/**
 * ferry_copy_get_request_size:
 * @self: a #FerryCopy
 *
 * Returns: the request size asked for, 0 for the default
 *
 * Since: 0.1
 */
guint
ferry_copy_get_request_size(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->request_size;
}

/**
 * ferry_copy_set_bandwidth:
 * @self: a #FerryCopy
 * @bytes_per_second: the most bytes per second to read from the source, 0
 *   for no limit
 *
 * Holes and zero ranges known from the allocation map are not read, so
 * they do not count.
 *
 * Since: 0.1
 */
void
ferry_copy_set_bandwidth(FerryCopy *self, guint64 bytes_per_second)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	self->bandwidth = bytes_per_second;
}

/**
 * ferry_copy_get_bandwidth:
 * @self: a #FerryCopy
 *
 * Returns: the bandwidth limit in bytes per second, 0 for none
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bandwidth(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bandwidth;
}

/**
 * ferry_copy_set_journal:
 * @self: a #FerryCopy
 * @path: (nullable) (type filename): the journal file, created when
 *   missing, or %NULL for none
 *
 * The journal records the ranges already written (and verified). Running
 * the same copy again with the same journal resumes it; a journal of another
 * copy (another size, another set of changed blocks) is refused.
 *
 * Since: 0.1
 */
void
ferry_copy_set_journal(FerryCopy *self, const char *path)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	g_free(self->journal);
	self->journal = g_strdup(path);
}

/**
 * ferry_copy_get_journal:
 * @self: a #FerryCopy
 *
 * Returns: (transfer none) (nullable) (type filename): the journal file
 *
 * Since: 0.1
 */
const char *
ferry_copy_get_journal(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), NULL);
	return self->journal;
}

/**
 * ferry_copy_set_verify:
 * @self: a #FerryCopy
 * @verify: whether to read every range back from the target and compare it
 *   with the bytes read from the source
 *
 * Since: 0.1
 */
void
ferry_copy_set_verify(FerryCopy *self, gboolean verify)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	self->verify = verify;
}

/**
 * ferry_copy_get_verify:
 * @self: a #FerryCopy
 *
 * Returns: whether the copy is verified
 *
 * Since: 0.1
 */
gboolean
ferry_copy_get_verify(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), FALSE);
	return self->verify;
}

/**
 * ferry_copy_set_retries:
 * @self: a #FerryCopy
 * @retries: how often a failed request is tried again (with a growing
 *   delay, reconnecting when the connection was lost) before the copy fails
 *
 * Since: 0.1
 */
void
ferry_copy_set_retries(FerryCopy *self, guint retries)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	self->retries = retries;
}

/**
 * ferry_copy_get_retries:
 * @self: a #FerryCopy
 *
 * Returns: the retries per request
 *
 * Since: 0.1
 */
guint
ferry_copy_get_retries(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->retries;
}

/**
 * ferry_copy_set_timeout:
 * @self: a #FerryCopy
 * @seconds: how long an NBD server may leave every request unanswered
 *   before its connection is dropped and the requests are retried on a new
 *   one (default 300); 0 waits for ever
 *
 * Since: 0.1
 */
void
ferry_copy_set_timeout(FerryCopy *self, guint seconds)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	self->timeout = seconds;
}

/**
 * ferry_copy_get_timeout:
 * @self: a #FerryCopy
 *
 * Returns: the timeout in seconds, 0 for none
 *
 * Since: 0.1
 */
guint
ferry_copy_get_timeout(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->timeout;
}

/**
 * ferry_copy_set_extents:
 * @self: a #FerryCopy
 * @extents: (nullable): the only ranges to copy (for example the changed
 *   block areas of a warm migration's snapshot), or %NULL for the whole disk
 *
 * Ranges flagged %FERRY_EXTENT_FLAG_ZERO are written as zeroes without
 * reading them.
 *
 * Since: 0.1
 */
void
ferry_copy_set_extents(FerryCopy *self, FerryExtentList *extents)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	g_clear_pointer(&self->extents, ferry_extent_list_unref);
	if (extents != NULL)
		self->extents = ferry_extent_list_ref(extents);
}

/**
 * ferry_copy_get_extents:
 * @self: a #FerryCopy
 *
 * Returns: (transfer none) (nullable): the ranges to copy
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_copy_get_extents(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), NULL);
	return self->extents;
}

/**
 * ferry_copy_set_extents_from:
 * @self: a #FerryCopy
 * @context: (nullable): an NBD metadata context of the source naming the
 *   ranges to copy, such as `qemu:dirty-bitmap:bitmap0` (qemu-nbd `-B`), or
 *   %NULL
 *
 * Makes the copy incremental: only the ranges the context flags are copied.
 *
 * Since: 0.1
 */
void
ferry_copy_set_extents_from(FerryCopy *self, const char *context)
{
	g_return_if_fail(FERRY_IS_COPY(self));
	g_free(self->extents_from);
	self->extents_from = g_strdup(context);
}

/**
 * ferry_copy_get_extents_from:
 * @self: a #FerryCopy
 *
 * Returns: (transfer none) (nullable): the metadata context
 *
 * Since: 0.1
 */
const char *
ferry_copy_get_extents_from(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), NULL);
	return self->extents_from;
}

/* --- statistics ------------------------------------------------------- */

/**
 * ferry_copy_get_bytes_total:
 * @self: a #FerryCopy
 *
 * Returns: the bytes the last run had to cover (the disk, or the extents of
 *   an incremental copy), including those resumed from the journal
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bytes_total(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bytes_total;
}

/**
 * ferry_copy_get_bytes_read:
 * @self: a #FerryCopy
 *
 * Returns: the bytes the last run read from the source
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bytes_read(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bytes_read;
}

/**
 * ferry_copy_get_bytes_written:
 * @self: a #FerryCopy
 *
 * Returns: the data bytes the last run wrote to the target
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bytes_written(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bytes_written;
}

/**
 * ferry_copy_get_bytes_zeroed:
 * @self: a #FerryCopy
 *
 * Returns: the bytes the last run zeroed on the target with zero requests
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bytes_zeroed(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bytes_zeroed;
}

/**
 * ferry_copy_get_bytes_skipped:
 * @self: a #FerryCopy
 *
 * Returns: the zero bytes the last run did not write because the target
 *   already read as zeroes
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bytes_skipped(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bytes_skipped;
}

/**
 * ferry_copy_get_bytes_resumed:
 * @self: a #FerryCopy
 *
 * Returns: the bytes the journal showed as already done
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bytes_resumed(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bytes_resumed;
}

/**
 * ferry_copy_get_bytes_verified:
 * @self: a #FerryCopy
 *
 * Returns: the bytes the last run read back and verified
 *
 * Since: 0.1
 */
guint64
ferry_copy_get_bytes_verified(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->bytes_verified;
}

/**
 * ferry_copy_get_retried:
 * @self: a #FerryCopy
 *
 * Returns: how many requests of the last run failed and were retried
 *
 * Since: 0.1
 */
guint
ferry_copy_get_retried(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->retried;
}

/**
 * ferry_copy_get_connections_used:
 * @self: a #FerryCopy
 *
 * Returns: the connections per end the last run used
 *
 * Since: 0.1
 */
guint
ferry_copy_get_connections_used(FerryCopy *self)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), 0);
	return self->connections_used;
}

/**
 * ferry_copy_parse_size:
 * @text: a size such as `65536`, `256k`, `4M`, `1.5G`, `10MB` or `100MiB/s`
 * @size: (out): the size in bytes
 * @error: return location for a #GError
 *
 * Parses a size or rate. `k`, `M`, `G`, `T` and `KiB`, `MiB`, `GiB`, `TiB`
 * are powers of 1024, `kB`, `MB`, `GB`, `TB` powers of 1000; a trailing
 * `/s` is allowed.
 *
 * Returns: %FALSE with %FERRY_ERROR_INVALID_ARGUMENT for anything else
 *
 * Since: 0.1
 */
gboolean
ferry_copy_parse_size(const char *text, guint64 *size, GError **error)
{
	static const struct {
		const char *suffix;
		double factor;
	} suffixes[] = {
	    {"", 1},
	    {"b", 1},
	    {"k", 1024.0},
	    {"kib", 1024.0},
	    {"kb", 1e3},
	    {"m", 1048576.0},
	    {"mib", 1048576.0},
	    {"mb", 1e6},
	    {"g", 1073741824.0},
	    {"gib", 1073741824.0},
	    {"gb", 1e9},
	    {"t", 1099511627776.0},
	    {"tib", 1099511627776.0},
	    {"tb", 1e12},
	};
	g_autofree char *lower = NULL;
	char *end = NULL;
	double number;
	gsize length;

	g_return_val_if_fail(size != NULL, FALSE);
	if (text == NULL)
		text = "";
	lower = g_strstrip(g_ascii_strdown(text, -1));
	length = strlen(lower);
	if (length >= 2 && g_str_has_suffix(lower, "/s"))
		lower[length - 2] = '\0';
	if (g_ascii_isdigit(lower[0]))
		number = g_ascii_strtod(lower, &end);
	else
		end = NULL;
	for (guint i = 0; end != NULL && i < G_N_ELEMENTS(suffixes); i++) {
		double value;
		if (g_strcmp0(g_strstrip(end), suffixes[i].suffix) != 0)
			continue;
		value = number * suffixes[i].factor;
		if (value < 0 || value >= 18446744073709551615.0 || value != value)
			break;
		*size = (guint64)(value + 0.5);
		return TRUE;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "'%s' is not a size; write a number with an optional unit such as 65536, "
		    "256k, 4M, 1.5G or 10MB",
		    text);
	return FALSE;
}

/* --- the job shared by the workers ---------------------------------- */

static void
ferry_copy_stats_add(Stats *into, const Stats *from)
{
	into->read += from->read;
	into->written += from->written;
	into->zeroed += from->zeroed;
	into->skipped += from->skipped;
	into->verified += from->verified;
	into->retried += from->retried;
}

static void
job_fail(Job *job, GError *error)
{
	g_mutex_lock(&job->lock);
	if (job->error == NULL)
		job->error = error;
	else
		g_error_free(error);
	g_mutex_unlock(&job->lock);
	g_cancellable_cancel(job->stop);
}

static gboolean
job_stopping(Job *job)
{
	return g_cancellable_is_cancelled(job->stop);
}

static gint64
throttle_reserve(Throttle *throttle, gsize bytes)
{
	gint64 now = g_get_monotonic_time();
	gint64 start;

	g_mutex_lock(&throttle->lock);
	start = MAX(throttle->next, now - THROTTLE_BURST_US);
	throttle->next = start + (gint64)((double)bytes * G_USEC_PER_SEC / (double)throttle->rate);
	g_mutex_unlock(&throttle->lock);
	return start;
}

/* whether @length bytes at @buffer are all zero */
static gboolean
buffer_is_zero(const guint8 *buffer, gsize length)
{
	gsize head = MIN(length, 16);
	for (gsize i = 0; i < head; i++) {
		if (buffer[i] != 0)
			return FALSE;
	}
	return length <= 16 || memcmp(buffer, buffer + 16, length - 16) == 0;
}

/* --- ops ------------------------------------------------------------- */

static void op_start_read(Op *op);
static void op_start_write(Op *op);
static void op_start_verify(Op *op);

static void
op_done_cb(gpointer user_data, int err)
{
	Op *op = user_data;
	op->worker->last_reply = g_get_monotonic_time();
	if (err != 0 && op->error == 0)
		op->error = err;
	g_assert(op->pending > 0);
	if (--op->pending == 0)
		g_queue_push_tail_link(&op->worker->completed, &op->link);
}

/* called after the last command of a phase was started */
static void
op_phase_started(Op *op)
{
	op_done_cb(op, 0);
}

static void
op_release(Op *op)
{
	Worker *worker = op->worker;
	g_assert(worker->busy > 0);
	worker->busy--;
	g_queue_push_tail_link(&worker->idle, &op->link);
}

static void
op_add_command(Op *op, int err)
{
	/* the caller counted the command as pending before starting it, since
	 * file commands complete at once */
	if (err != 0) {
		if (op->error == 0)
			op->error = err;
		op->pending--;
	}
}

static void
op_start_read(Op *op)
{
	Worker *worker = op->worker;
	Job *job = worker->job;

	if (op->zero) {
		op_start_write(op);
		return;
	}
	op->phase = PHASE_READ;
	op->error = 0;
	if (job->throttle.rate > 0 && !op->charged) {
		gint64 start = throttle_reserve(&job->throttle, op->length);
		op->charged = TRUE;
		if (start > g_get_monotonic_time()) {
			op->not_before = start;
			g_queue_push_tail_link(&worker->waiting, &op->link);
			return;
		}
	}
	op->pending = 2; /* the command, and a guard until it is started */
	op_add_command(op, worker->src->klass->start_read(worker->src, op->buffer, op->length,
							   op->offset, &op->completion));
	op_phase_started(op);
}

static void
op_write_zeroes(Op *op, guint64 offset, gsize length)
{
	Worker *worker = op->worker;
	Job *job = worker->job;
	FerryCopyConn *dst = worker->dst;

	if (job->target_zero) {
		op->stats.skipped += length;
		return;
	}
	op->stats.zeroed += length;
	if (dst->can_zero) {
		op->pending++;
		op_add_command(op, dst->klass->start_zero(dst, length, offset, &op->completion));
		return;
	}
	/* no WRITE_ZEROES on this target: write a buffer of zeroes */
	for (gsize done = 0; done < length;) {
		gsize chunk = MIN(length - done, job->request_size);
		op->pending++;
		op_add_command(op, dst->klass->start_write(dst, job->zero_buffer, chunk,
							   offset + done, &op->completion));
		done += chunk;
	}
}

static void
op_start_write(Op *op)
{
	Worker *worker = op->worker;
	FerryCopyConn *dst = worker->dst;
	gsize pos = 0;

	op->phase = PHASE_WRITE;
	op->error = 0;
	op->pending = 1;
	op->stats.written = op->stats.zeroed = op->stats.skipped = 0;
	if (op->zero) {
		op_write_zeroes(op, op->offset, op->length);
		op_phase_started(op);
		return;
	}
	/* split the buffer into runs of data and of zero blocks */
	while (pos < op->length) {
		gsize block = MIN(SPARSE_SIZE, op->length - pos);
		gboolean zero = buffer_is_zero(op->buffer + pos, block);
		gsize end = pos + block;
		while (end < op->length) {
			gsize next = MIN(SPARSE_SIZE, op->length - end);
			if (buffer_is_zero(op->buffer + end, next) != zero)
				break;
			end += next;
		}
		if (zero) {
			op_write_zeroes(op, op->offset + pos, end - pos);
		} else {
			op->stats.written += end - pos;
			op->pending++;
			op_add_command(op, dst->klass->start_write(dst, op->buffer + pos, end - pos,
								   op->offset + pos,
								   &op->completion));
		}
		pos = end;
	}
	op_phase_started(op);
}

static void
op_fail(Op *op, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);

static void
op_fail(Op *op, int code, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	job_fail(op->worker->job, g_error_new_literal(FERRY_ERROR, code, message));
}

/* checks that a range the target should read as zeroes does */
static void
op_verify_zero(Op *op)
{
	Worker *worker = op->worker;
	Job *job = worker->job;
	FerryCopyConn *dst = worker->dst;
	g_autoptr(FerryExtentList) map = ferry_extent_list_new();
	g_autoptr(GError) error = NULL;

	if (!dst->can_extents ||
	    !dst->klass->extents(dst, FERRY_COPY_CONTEXT_ALLOCATION, op->offset, op->length, map,
				 &error)) {
		g_clear_pointer(&map, ferry_extent_list_unref);
		map = ferry_extent_list_new();
		ferry_extent_list_add(map, op->offset, op->length, FERRY_EXTENT_FLAG_NONE, NULL);
	}
	for (guint i = 0; i < ferry_extent_list_get_length(map); i++) {
		const FerryExtent *extent = ferry_extent_list_get(map, i);
		guint64 end = MIN(extent->offset + extent->length, op->offset + op->length);
		if (extent->flags & FERRY_EXTENT_FLAG_ZERO)
			continue;
		for (guint64 pos = MAX(extent->offset, op->offset); pos < end;) {
			gsize chunk = (gsize)MIN(end - pos, job->request_size);
			int err = dst->klass->read_sync(dst, op->check, chunk, pos);
			if (err != 0) {
				op_fail(op, ferry_copy_errno_to_code(err),
					"cannot read back %s at offset %" G_GUINT64_FORMAT
					" to verify it: %s",
					dst->description, pos, g_strerror(err));
				return;
			}
			if (!buffer_is_zero(op->check, chunk)) {
				op_fail(op, FERRY_ERROR_VERIFY_FAILED,
					"verification failed: range %" G_GUINT64_FORMAT
					"+%" G_GSIZE_FORMAT " of target %s should read as zeroes "
					"(as the source does) but holds data",
					pos, chunk, dst->description);
				return;
			}
			pos += chunk;
		}
	}
	op->stats.verified += op->length;
}

static void
op_start_verify(Op *op)
{
	Worker *worker = op->worker;

	op->phase = PHASE_VERIFY;
	op->error = 0;
	if (op->zero) {
		/* checked in place; a failure stops the job */
		op_verify_zero(op);
		op->pending = 0;
		g_queue_push_tail_link(&worker->completed, &op->link);
		return;
	}
	op->pending = 2;
	op_add_command(op, worker->dst->klass->start_read(worker->dst, op->check, op->length,
							   op->offset, &op->completion));
	op_phase_started(op);
}

static void
op_finish(Op *op)
{
	Worker *worker = op->worker;
	Job *job = worker->job;
	FerryExtent range = {op->offset, op->length, FERRY_EXTENT_FLAG_NONE};

	ferry_copy_stats_add(&worker->stats, &op->stats);
	if (job->journal != NULL)
		g_array_append_val(worker->done, range);
	if (op->stats.written > 0 || op->stats.zeroed > 0)
		worker->dirty = TRUE;
	worker->progress_pending += op->length;
	if (worker->progress_pending >= PROGRESS_BATCH) {
		ferry_progress_add_done(job->progress, worker->progress_pending);
		worker->progress_pending = 0;
	}
	op_release(op);
}

static const char *
op_phase_verb(Phase phase)
{
	switch (phase) {
	case PHASE_READ:
		return "read";
	case PHASE_WRITE:
		return "write";
	case PHASE_VERIFY:
	default:
		return "read back";
	}
}

static const char *
ferry_copy_errno_hint(int err, Phase phase)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return "; the target is full or smaller than the source";
	case EPERM:
	case EACCES:
	case EROFS:
		return phase == PHASE_READ ? "" : "; the target refuses writes (read-only?)";
	case EINVAL:
		return phase == PHASE_READ ? "; the range lies outside the source"
					   : "; the range lies outside the target";
	case ETIMEDOUT:
		return "; the server did not answer within the timeout";
	default:
		return "";
	}
}

/* a command of @op failed: try again later, or give up */
static void
op_retry(Op *op)
{
	Worker *worker = op->worker;
	Job *job = worker->job;
	FerryCopyConn *conn = op->phase == PHASE_READ ? worker->src : worker->dst;
	int err = conn->stalled ? ETIMEDOUT : op->error;

	if (job_stopping(job)) {
		op_release(op);
		return;
	}
	if (!ferry_copy_errno_is_transient(err) || op->attempts >= job->retries) {
		g_autofree char *reconnect = NULL;
		if (worker->reconnect_error != NULL)
			reconnect = g_strdup_printf(" (reconnecting failed: %s)",
						    worker->reconnect_error->message);
		op_fail(op, ferry_copy_errno_to_code(err),
			"cannot %s %s at offset %" G_GUINT64_FORMAT " (%" G_GSIZE_FORMAT
			" bytes): %s%s%s%s",
			op_phase_verb(op->phase), conn->description, op->offset, op->length,
			g_strerror(err), ferry_copy_errno_hint(err, op->phase),
			ferry_copy_errno_is_transient(err)
			    ? (op->attempts > 0 ? "; still failing after retries" : "")
			    : "",
			reconnect != NULL ? reconnect : "");
		op_release(op);
		return;
	}
	if (ferry_copy_errno_is_disconnect(err))
		conn->broken = TRUE;
	op->attempts++;
	op->stats.retried++;
	worker->stats.retried++;
	op->not_before = g_get_monotonic_time() +
			 MIN((gint64)RETRY_BASE_US << (op->attempts - 1), RETRY_MAX_US);
	g_debug("%s of %s at %" G_GUINT64_FORMAT " failed (%s); retry %u of %u",
		op_phase_verb(op->phase), conn->description, op->offset, g_strerror(err),
		op->attempts, job->retries);
	g_queue_push_tail_link(&worker->waiting, &op->link);
}

typedef enum {
	REVIVE_OK,
	REVIVE_WAIT,
	REVIVE_FAILED,
} Revive;

/* reconnects @conn when it died or lost its socket, once no command is in
 * flight on it any more */
static Revive
worker_revive(Worker *worker, FerryCopyConn *conn)
{
	g_autoptr(GError) error = NULL;
	if (!conn->broken && !conn->klass->is_dead(conn))
		return REVIVE_OK;
	if (conn->klass->in_flight(conn) > 0)
		return REVIVE_WAIT;
	if (!conn->klass->reconnect(conn, &error)) {
		g_debug("reconnecting to %s failed: %s", conn->description, error->message);
		g_clear_error(&worker->reconnect_error);
		worker->reconnect_error = g_steal_pointer(&error);
		return REVIVE_FAILED;
	}
	g_debug("reconnected to %s", conn->description);
	conn->broken = FALSE;
	conn->stalled = FALSE;
	g_clear_error(&worker->reconnect_error);
	return REVIVE_OK;
}

static void
op_restart(Op *op)
{
	Worker *worker = op->worker;
	FerryCopyConn *conn = op->phase == PHASE_READ ? worker->src : worker->dst;

	switch (worker_revive(worker, conn)) {
	case REVIVE_WAIT:
		op->not_before = g_get_monotonic_time() + REVIVE_WAIT_US;
		g_queue_push_tail_link(&worker->waiting, &op->link);
		return;
	case REVIVE_FAILED:
		op->error = ENOTCONN;
		op_retry(op);
		return;
	case REVIVE_OK:
	default:
		break;
	}
	switch (op->phase) {
	case PHASE_READ:
		op_start_read(op);
		break;
	case PHASE_WRITE:
		op_start_write(op);
		break;
	case PHASE_VERIFY:
	default:
		op_start_verify(op);
		break;
	}
}

/* the bytes read back differ from those read from the source: names the
 * range, the first byte that differs and both digests */
static void
op_verify_failed(Op *op)
{
	Worker *worker = op->worker;
	g_autofree char *target_digest =
	    g_compute_checksum_for_data(G_CHECKSUM_SHA256, op->check, op->length);
	g_autofree char *source_digest =
	    g_compute_checksum_for_data(G_CHECKSUM_SHA256, op->buffer, op->length);
	gsize first = 0;

	while (first < op->length && op->check[first] == op->buffer[first])
		first++;
	op_fail(op, FERRY_ERROR_VERIFY_FAILED,
		"verification failed: range %" G_GUINT64_FORMAT "+%" G_GSIZE_FORMAT
		" of target %s does not match the source %s, first at byte %" G_GUINT64_FORMAT
		" (SHA-256 %s read back, %s read from the source)",
		op->offset, op->length, worker->dst->description, worker->src->description,
		op->offset + first, target_digest, source_digest);
}

static void
op_complete(Op *op)
{
	Worker *worker = op->worker;
	Job *job = worker->job;

	if (op->error != 0) {
		op_retry(op);
		return;
	}
	if (job_stopping(job)) {
		/* the range is finished only after its last phase */
		if (op->phase == PHASE_VERIFY || (op->phase == PHASE_WRITE && !job->verify))
			op_finish(op);
		else
			op_release(op);
		return;
	}
	op->attempts = 0;
	switch (op->phase) {
	case PHASE_READ:
		op->stats.read = op->length;
		op_start_write(op);
		break;
	case PHASE_WRITE:
		if (job->verify)
			op_start_verify(op);
		else
			op_finish(op);
		break;
	case PHASE_VERIFY:
	default:
		if (!op->zero && memcmp(op->check, op->buffer, op->length) != 0) {
			op_verify_failed(op);
			op_release(op);
			return;
		}
		if (!op->zero) {
			op->stats.verified += op->length;
		}
		if (job_stopping(job)) {
			op_release(op);
			return;
		}
		op_finish(op);
		break;
	}
}

/* --- workers --------------------------------------------------------- */

/* the allocation map of one slice, as data and zero extents */
static FerryExtentList *
worker_map_slice(Worker *worker, const FerryExtent *slice)
{
	g_autoptr(FerryExtentList) map = ferry_extent_list_new();
	g_autoptr(FerryExtentList) result = ferry_extent_list_new();
	g_autoptr(GError) error = NULL;
	FerryCopyConn *src = worker->src;

	if (slice->flags & FERRY_EXTENT_FLAG_ZERO) {
		ferry_extent_list_add(result, slice->offset, slice->length, FERRY_EXTENT_FLAG_ZERO,
				      NULL);
		return g_steal_pointer(&result);
	}
	if (!src->can_extents ||
	    !src->klass->extents(src, FERRY_COPY_CONTEXT_ALLOCATION, slice->offset, slice->length,
				 map, &error)) {
		/* without a map every byte is read; zero detection still works */
		if (error != NULL)
			g_debug("%s: %s; reading the range", src->description, error->message);
		ferry_extent_list_add(result, slice->offset, slice->length, FERRY_EXTENT_FLAG_NONE,
				      NULL);
		return g_steal_pointer(&result);
	}
	for (guint i = 0; i < ferry_extent_list_get_length(map); i++) {
		const FerryExtent *extent = ferry_extent_list_get(map, i);
		guint64 start = MAX(extent->offset, slice->offset);
		guint64 end = MIN(extent->offset + extent->length, slice->offset + slice->length);
		if (start < end)
			ferry_extent_list_add(result, start, end - start,
					      (extent->flags & FERRY_EXTENT_FLAG_ZERO)
						  ? FERRY_EXTENT_FLAG_ZERO
						  : FERRY_EXTENT_FLAG_NONE,
					      NULL);
	}
	return g_steal_pointer(&result);
}

/* the next range to start an op for */
static gboolean
worker_next_piece(Worker *worker, guint64 *offset, gsize *length, gboolean *zero)
{
	Job *job = worker->job;

	while (!worker->no_more_work) {
		if (worker->current != NULL &&
		    worker->current_index < ferry_extent_list_get_length(worker->current)) {
			const FerryExtent *extent =
			    ferry_extent_list_get(worker->current, worker->current_index);
			guint64 end = extent->offset + extent->length;
			guint64 pos = MAX(worker->current_pos, extent->offset);
			guint64 limit = job->request_size;

			if (pos >= end) {
				worker->current_index++;
				continue;
			}
			*zero = (extent->flags & FERRY_EXTENT_FLAG_ZERO) != 0;
			/* zero ranges go in one request, unless they must be written
			 * as buffers of zeroes */
			if (*zero && (job->target_zero || worker->dst->can_zero))
				limit = end - pos;
			*offset = pos;
			*length = (gsize)MIN(end - pos, limit);
			worker->current_pos = pos + *length;
			return TRUE;
		}
		g_clear_pointer(&worker->current, ferry_extent_list_unref);
		{
			gint index = g_atomic_int_add(&job->next_slice, 1);
			if (index < 0 || (guint)index >= job->slices->len || job_stopping(job)) {
				worker->no_more_work = TRUE;
				break;
			}
			const FerryExtent *slice = &g_array_index(job->slices, FerryExtent, index);
			worker->current = worker_map_slice(worker, slice);
			worker->current_index = 0;
			worker->current_pos = 0;
		}
	}
	return FALSE;
}

static void
worker_fill(Worker *worker)
{
	while (worker->idle.length > 0 && !job_stopping(worker->job)) {
		guint64 offset = 0;
		gsize length = 0;
		gboolean zero = FALSE;
		Op *op;

		if (!worker_next_piece(worker, &offset, &length, &zero))
			break;
		op = g_queue_pop_head_link(&worker->idle)->data;
		worker->busy++;
		op->offset = offset;
		op->length = length;
		op->zero = zero;
		op->charged = FALSE;
		op->attempts = 0;
		memset(&op->stats, 0, sizeof(op->stats));
		op_start_read(op);
	}
}

static void
worker_flush_done_cb(gpointer user_data, int err)
{
	Worker *worker = user_data;
	worker->last_reply = g_get_monotonic_time();
	worker->flush_error = err;
	worker->flush_complete = TRUE;
}

static gboolean
worker_idle(Worker *worker)
{
	return worker->busy == 0 && (worker->no_more_work || job_stopping(worker->job));
}

/* starts a flush of the target when ranges wait for one: every second with
 * a journal, and once at the end */
static void
worker_maybe_flush(Worker *worker)
{
	Job *job = worker->job;
	FerryCopyConn *dst = worker->dst;
	gboolean at_end = worker_idle(worker);
	int err;

	if (worker->flush_in_flight)
		return;
	if (worker->done->len == 0 && !worker->dirty)
		return;
	if (!at_end &&
	    (job->journal == NULL ||
	     g_get_monotonic_time() - worker->last_commit < COMMIT_INTERVAL_US))
		return;
	/* a stopping copy flushes once, when nothing is in flight any more */
	if (job_stopping(job) && !at_end)
		return;
	switch (worker_revive(worker, dst)) {
	case REVIVE_WAIT:
		return;
	case REVIVE_FAILED:
		worker->flush_error = ENOTCONN;
		worker->flush_complete = TRUE;
		worker->flush_in_flight = TRUE;
		return;
	case REVIVE_OK:
	default:
		break;
	}
	g_array_append_vals(worker->flushing, worker->done->data, worker->done->len);
	g_array_set_size(worker->done, 0);
	worker->dirty = FALSE;
	worker->flush_in_flight = TRUE;
	worker->flush_complete = FALSE;
	worker->flush_error = 0;
	if (!dst->can_flush) {
		worker->flush_complete = TRUE;
		return;
	}
	err = dst->klass->start_flush(dst, &worker->flush_completion);
	if (err != 0) {
		worker->flush_error = err;
		worker->flush_complete = TRUE;
	}
}

static void
worker_flush_complete(Worker *worker)
{
	Job *job = worker->job;
	g_autoptr(GError) error = NULL;
	int err = worker->flush_error;

	worker->flush_in_flight = FALSE;
	worker->flush_complete = FALSE;
	if (err != 0) {
		/* the flushed ranges go back, and are flushed again */
		g_array_append_vals(worker->done, worker->flushing->data, worker->flushing->len);
		g_array_set_size(worker->flushing, 0);
		worker->dirty = TRUE;
		if (ferry_copy_errno_is_transient(err) && worker->flush_attempts < job->retries &&
		    !job_stopping(job)) {
			worker->flush_attempts++;
			worker->stats.retried++;
			worker->last_commit = g_get_monotonic_time() -
					      COMMIT_INTERVAL_US +
					      MIN((gint64)RETRY_BASE_US << worker->flush_attempts,
						  RETRY_MAX_US);
			return;
		}
		g_array_set_size(worker->done, 0);
		worker->dirty = FALSE;
		job_fail(job,
			 g_error_new(FERRY_ERROR, ferry_copy_errno_to_code(err),
				     "cannot flush %s: %s%s", worker->dst->description,
				     g_strerror(err), ferry_copy_errno_hint(err, PHASE_WRITE)));
		return;
	}
	worker->flush_attempts = 0;
	worker->last_commit = g_get_monotonic_time();
	if (job->journal != NULL && worker->flushing->len > 0 &&
	    !ferry_copy_journal_commit(job->journal, worker->flushing, &error))
		job_fail(job, g_steal_pointer(&error));
	g_array_set_size(worker->flushing, 0);
}

/* a server that answers nothing for the timeout while commands are in
 * flight (a hung host, a silent network) gets its connection aborted: the
 * commands fail and are retried on a new connection */
static void
worker_check_stalled(Worker *worker, gint64 now)
{
	Job *job = worker->job;
	FerryCopyConn *conns[2] = {worker->src, worker->dst};
	gboolean in_flight = FALSE;

	for (guint i = 0; i < 2; i++)
		in_flight |= conns[i]->klass->in_flight(conns[i]) > 0;
	if (!in_flight || job->stall_us == 0) {
		/* the clock only runs while something is awaited */
		worker->last_reply = now;
		return;
	}
	if (now - worker->last_reply < job->stall_us)
		return;
	for (guint i = 0; i < 2; i++) {
		if (conns[i]->klass->in_flight(conns[i]) == 0)
			continue;
		g_debug("%s answered nothing for %" G_GINT64_FORMAT " s; reconnecting",
			conns[i]->description, job->stall_us / G_USEC_PER_SEC);
		conns[i]->stalled = TRUE;
		conns[i]->broken = TRUE;
		conns[i]->klass->abort(conns[i]);
	}
	worker->last_reply = now;
}

/* waits for NBD replies, the stop signal or the next timer */
static void
worker_poll(Worker *worker, GPollFD *stop_fd)
{
	Job *job = worker->job;
	struct pollfd fds[3];
	FerryCopyConn *conns[3] = {NULL, NULL, NULL};
	guint n = 0;
	gint64 now = g_get_monotonic_time();
	gint64 wake = G_MAXINT64;
	int timeout;

	for (guint i = 0; i < 2; i++) {
		FerryCopyConn *conn = i == 0 ? worker->src : worker->dst;
		short events = 0;
		int fd = conn->klass->get_poll_fd(conn, &events);
		if (fd < 0)
			continue;
		fds[n].fd = fd;
		fds[n].events = events;
		fds[n].revents = 0;
		conns[n] = conn;
		n++;
	}
	if (!job_stopping(job) && stop_fd->fd >= 0) {
		fds[n].fd = stop_fd->fd;
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		n++;
	}
	for (GList *l = worker->waiting.head; l != NULL; l = l->next) {
		Op *op = l->data;
		wake = MIN(wake, op->not_before);
	}
	if (!worker->flush_in_flight && (worker->done->len > 0 || worker->dirty) &&
	    job->journal != NULL)
		wake = MIN(wake, worker->last_commit + COMMIT_INTERVAL_US);
	if (wake == G_MAXINT64)
		timeout = 1000;
	else
		timeout = (int)CLAMP((wake - now + 999) / 1000, 0, 1000);
	if (poll(fds, n, timeout) > 0) {
		for (guint i = 0; i < n; i++) {
			if (conns[i] != NULL && fds[i].revents != 0)
				conns[i]->klass->notify(conns[i], fds[i].revents);
		}
	}
	now = g_get_monotonic_time();
	worker_check_stalled(worker, now);
	/* ops whose delay is over start again */
	for (GList *l = worker->waiting.head; l != NULL;) {
		GList *next = l->next;
		Op *op = l->data;
		if (job_stopping(job)) {
			g_queue_unlink(&worker->waiting, l);
			op_release(op);
		} else if (op->not_before <= now) {
			g_queue_unlink(&worker->waiting, l);
			op_restart(op);
		}
		l = next;
	}
}

static gpointer
worker_thread(gpointer data)
{
	Worker *worker = data;
	Job *job = worker->job;
	GPollFD stop_fd = {-1, 0, 0};
	gboolean have_fd = g_cancellable_make_pollfd(job->stop, &stop_fd);

	worker->last_commit = g_get_monotonic_time();
	worker->last_reply = worker->last_commit;
	while (TRUE) {
		worker_fill(worker);
		while (worker->completed.length > 0) {
			Op *op = g_queue_pop_head_link(&worker->completed)->data;
			op_complete(op);
			if (worker->completed.length == 0)
				worker_fill(worker);
		}
		if (worker->flush_complete)
			worker_flush_complete(worker);
		worker_maybe_flush(worker);
		if (worker->flush_complete)
			continue;
		if (worker_idle(worker) && worker->waiting.length == 0 &&
		    !worker->flush_in_flight && worker->done->len == 0 &&
		    (!worker->dirty || job_stopping(job)))
			break;
		if (worker->completed.length > 0)
			continue;
		worker_poll(worker, &stop_fd);
	}
	if (worker->progress_pending > 0)
		ferry_progress_add_done(job->progress, worker->progress_pending);
	worker->progress_pending = 0;
	if (have_fd)
		g_cancellable_release_fd(job->stop);
	return NULL;
}

static Worker *
worker_new(Job *job, guint index, FerryCopyConn *src, FerryCopyConn *dst)
{
	Worker *worker = g_new0(Worker, 1);

	worker->job = job;
	worker->index = index;
	worker->src = src;
	worker->dst = dst;
	worker->n_ops = job->requests;
	worker->ops = g_new0(Op, worker->n_ops);
	worker->done = g_array_new(FALSE, FALSE, sizeof(FerryExtent));
	worker->flushing = g_array_new(FALSE, FALSE, sizeof(FerryExtent));
	worker->flush_completion.done = worker_flush_done_cb;
	worker->flush_completion.user_data = worker;
	for (guint i = 0; i < worker->n_ops; i++) {
		Op *op = &worker->ops[i];
		op->worker = worker;
		op->completion.done = op_done_cb;
		op->completion.user_data = op;
		op->link.data = op;
		op->buffer = g_aligned_alloc(1, job->request_size, 4096);
		if (job->verify)
			op->check = g_aligned_alloc(1, job->request_size, 4096);
		g_queue_push_tail_link(&worker->idle, &op->link);
	}
	return worker;
}

static void
worker_free(Worker *worker)
{
	for (guint i = 0; i < worker->n_ops; i++) {
		g_aligned_free(worker->ops[i].buffer);
		g_aligned_free(worker->ops[i].check);
	}
	g_free(worker->ops);
	g_clear_pointer(&worker->current, ferry_extent_list_unref);
	g_array_unref(worker->done);
	g_array_unref(worker->flushing);
	g_clear_error(&worker->reconnect_error);
	ferry_copy_conn_free(worker->src);
	ferry_copy_conn_free(worker->dst);
	g_free(worker);
}

/* --- setting up a run ------------------------------------------------ */

typedef struct {
	FerryCopyConn *src;
	FerryCopyConn *dst;
	gboolean created;     /* the target file was made by this run */
	gboolean was_empty;   /* the target file was empty and was extended */
	gboolean fresh_zero;  /* the target reads as zeroes at the start */
	char *target_path;
} Ends;

static void
ends_clear(Ends *ends)
{
	ferry_copy_conn_free(ends->src);
	ferry_copy_conn_free(ends->dst);
	g_free(ends->target_path);
}

/* undoes what the run did to a local target it created or extended */
static void
ends_discard_target(Ends *ends)
{
	if (ends->target_path == NULL)
		return;
	if (ends->created) {
		g_unlink(ends->target_path);
	} else if (ends->was_empty) {
		if (truncate(ends->target_path, 0) != 0)
			g_debug("cannot truncate %s again: %s", ends->target_path,
				g_strerror(errno));
	}
}

static FerryCopyConn *
ferry_copy_open_endpoint(FerryDiskEndpoint *endpoint,
			 gboolean writable,
			 const char *extra_context,
			 GCancellable *cancellable,
			 GError **error)
{
	const char *uri = ferry_disk_endpoint_get_uri(endpoint);
	const char *description = ferry_disk_endpoint_get_description(endpoint);
	if (uri != NULL)
		return ferry_copy_nbd_open(uri, description, writable, extra_context, cancellable,
					   error);
	return ferry_copy_file_open(ferry_disk_endpoint_get_path(endpoint), description,
				    writable, error);
}

/* makes a missing or empty local target as big as the source */
static gboolean
ferry_copy_prepare_local_target(Ends *ends, const char *path, guint64 size, GError **error)
{
	struct stat st;
	int fd;

	if (g_stat(path, &st) != 0) {
		if (errno != ENOENT) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, ferry_copy_errno_to_code(saved_errno),
				    "cannot use target %s: %s", path, g_strerror(saved_errno));
			return FALSE;
		}
		fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, ferry_copy_errno_to_code(saved_errno),
				    "cannot create target %s: %s", path, g_strerror(saved_errno));
			return FALSE;
		}
		ends->created = TRUE;
	} else if (S_ISREG(st.st_mode) && st.st_size == 0) {
		fd = g_open(path, O_WRONLY | O_CLOEXEC, 0);
		if (fd < 0) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, ferry_copy_errno_to_code(saved_errno),
				    "cannot open target %s: %s", path, g_strerror(saved_errno));
			return FALSE;
		}
		ends->was_empty = TRUE;
	} else {
		return TRUE;
	}
	ends->target_path = g_strdup(path);
	if (ftruncate(fd, (off_t)size) != 0) {
		int saved_errno = errno;
		close(fd);
		ends_discard_target(ends);
		g_set_error(error, FERRY_ERROR, ferry_copy_errno_to_code(saved_errno),
			    "cannot make target %s %" G_GUINT64_FORMAT " bytes long: %s", path,
			    size, g_strerror(saved_errno));
		return FALSE;
	}
	close(fd);
	ends->fresh_zero = TRUE;
	return TRUE;
}

static gboolean
ferry_copy_open_ends(FerryCopy *self, Ends *ends, GCancellable *cancellable, GError **error)
{
	const char *target_path = ferry_disk_endpoint_get_path(self->target);

	ends->src = ferry_copy_open_endpoint(self->source, FALSE, self->extents_from, cancellable,
					     error);
	if (ends->src == NULL)
		return FALSE;
	if (target_path != NULL &&
	    !ferry_copy_prepare_local_target(ends, target_path, ends->src->size, error))
		return FALSE;
	ends->dst = ferry_copy_open_endpoint(self->target, TRUE, NULL, cancellable, error);
	if (ends->dst == NULL) {
		ends_discard_target(ends);
		return FALSE;
	}
	if (ends->dst->size < ends->src->size) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE,
			    "target %s holds %" G_GUINT64_FORMAT " bytes, but source %s has "
			    "%" G_GUINT64_FORMAT "; give a target of at least %" G_GUINT64_FORMAT
			    " bytes",
			    ends->dst->description, ends->dst->size, ends->src->description,
			    ends->src->size, ends->src->size);
		ends_discard_target(ends);
		return FALSE;
	}
	return TRUE;
}

/* the ranges to copy: the whole disk, the caller's extents, or the ranges
 * a dirty bitmap flags */
static FerryExtentList *
ferry_copy_find_work(FerryCopy *self, FerryCopyConn *src, GError **error)
{
	g_autoptr(FerryExtentList) work = ferry_extent_list_new();

	if (self->extents != NULL && self->extents_from != NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "the copy of %s has both an extent list and the context %s; give "
			    "one of them",
			    src->description, self->extents_from);
		return NULL;
	}
	if (self->extents != NULL) {
		if (ferry_extent_list_get_end(self->extents) > src->size) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "the changed areas of %s end at byte %" G_GUINT64_FORMAT
				    ", past the end of the disk (%" G_GUINT64_FORMAT
				    " bytes); the extents belong to another disk",
				    src->description, ferry_extent_list_get_end(self->extents),
				    src->size);
			return NULL;
		}
		for (guint i = 0; i < ferry_extent_list_get_length(self->extents); i++) {
			const FerryExtent *extent = ferry_extent_list_get(self->extents, i);
			if (!ferry_extent_list_add(work, extent->offset, extent->length,
						   (extent->flags & FERRY_EXTENT_FLAG_ZERO)
						       ? FERRY_EXTENT_FLAG_ZERO
						       : FERRY_EXTENT_FLAG_NONE,
						   error))
				return NULL;
		}
	}
	if (self->extents_from != NULL) {
		g_autoptr(FerryExtentList) map = ferry_extent_list_new();
		g_autoptr(FerryExtentList) dirty = ferry_extent_list_new();
		if (src->is_local) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "source %s is a local file; --extents-from %s needs an NBD "
				    "source that exports it (qemu-nbd -B NAME)",
				    src->description, self->extents_from);
			return NULL;
		}
		if (!ferry_copy_nbd_has_context(src, self->extents_from)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "source %s does not export the metadata context %s; export "
				    "the dirty bitmap (qemu-nbd -B NAME gives "
				    "qemu:dirty-bitmap:NAME) or copy the whole disk",
				    src->description, self->extents_from);
			return NULL;
		}
		if (!src->klass->extents(src, self->extents_from, 0, src->size, map, error))
			return NULL;
		for (guint i = 0; i < ferry_extent_list_get_length(map); i++) {
			const FerryExtent *extent = ferry_extent_list_get(map, i);
			if ((extent->flags & FERRY_COPY_STATE_DIRTY) != 0)
				ferry_extent_list_add(dirty, extent->offset, extent->length,
						      FERRY_EXTENT_FLAG_NONE, NULL);
		}
		return g_steal_pointer(&dirty);
	}
	if (self->extents == NULL)
		ferry_extent_list_add(work, 0, src->size, FERRY_EXTENT_FLAG_NONE, NULL);
	return g_steal_pointer(&work);
}

/* identifies the ranges of a copy, so that a journal is only used again for
 * the same copy */
static char *
ferry_copy_work_digest(FerryExtentList *work)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	for (guint i = 0; i < ferry_extent_list_get_length(work); i++) {
		const FerryExtent *extent = ferry_extent_list_get(work, i);
		guint64 values[3] = {GUINT64_TO_LE(extent->offset), GUINT64_TO_LE(extent->length),
				     GUINT64_TO_LE((guint64)extent->flags)};
		g_checksum_update(checksum, (const guchar *)values, sizeof(values));
	}
	return g_strdup(g_checksum_get_string(checksum));
}

static GArray *
ferry_copy_make_slices(FerryExtentList *remaining, guint workers, guint request_size)
{
	GArray *slices = g_array_new(FALSE, FALSE, sizeof(FerryExtent));
	guint64 total = ferry_extent_list_get_total(remaining);
	guint64 slice = CLAMP(total / ((guint64)workers * 16), MIN_SLICE, MAX_SLICE);

	slice = (slice + request_size - 1) / request_size * request_size;
	for (guint i = 0; i < ferry_extent_list_get_length(remaining); i++) {
		const FerryExtent *extent = ferry_extent_list_get(remaining, i);
		for (guint64 pos = extent->offset; pos < extent->offset + extent->length;) {
			FerryExtent piece = {pos, MIN(slice, extent->offset + extent->length - pos),
					     extent->flags};
			g_array_append_val(slices, piece);
			pos += piece.length;
		}
	}
	return slices;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Ends, ends_clear)

static void
ferry_copy_cancel_cb(GCancellable *cancellable, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

static void
ferry_copy_reset_stats(FerryCopy *self)
{
	self->bytes_total = 0;
	self->bytes_read = 0;
	self->bytes_written = 0;
	self->bytes_zeroed = 0;
	self->bytes_skipped = 0;
	self->bytes_resumed = 0;
	self->bytes_verified = 0;
	self->retried = 0;
	self->connections_used = 0;
}

/* runs the workers; FALSE with @error when one failed or the copy was
 * cancelled */
static gboolean
ferry_copy_run_workers(FerryCopy *self,
		       Job *job,
		       Ends *ends,
		       guint n_workers,
		       GCancellable *cancellable,
		       GError **error)
{
	g_autoptr(GPtrArray) workers = g_ptr_array_new_with_free_func((GDestroyNotify)worker_free);
	gulong cancel_id = 0;
	gboolean ok = TRUE;

	/* worker 0 takes over the connections already open */
	g_ptr_array_add(workers, worker_new(job, 0, g_steal_pointer(&ends->src),
					    g_steal_pointer(&ends->dst)));
	for (guint i = 1; i < n_workers; i++) {
		Worker *first = g_ptr_array_index(workers, 0);
		g_autoptr(GError) clone_error = NULL;
		g_autoptr(FerryCopyConn) src = first->src->klass->clone(first->src, &clone_error);
		g_autoptr(FerryCopyConn) dst =
		    src != NULL ? first->dst->klass->clone(first->dst, &clone_error) : NULL;
		if (dst == NULL) {
			/* fewer connections work too */
			g_debug("opening connection %u failed: %s; using %u", i + 1,
				clone_error->message, i);
			break;
		}
		g_ptr_array_add(workers, worker_new(job, i, g_steal_pointer(&src),
						    g_steal_pointer(&dst)));
	}
	self->connections_used = workers->len;
	if (cancellable != NULL)
		cancel_id = g_cancellable_connect(cancellable, G_CALLBACK(ferry_copy_cancel_cb),
						  job->stop, NULL);
	for (guint i = 0; i < workers->len; i++) {
		Worker *worker = g_ptr_array_index(workers, i);
		g_autofree char *name = g_strdup_printf("ferry-copy-%u", i);
		worker->thread = g_thread_try_new(name, worker_thread, worker, error);
		if (worker->thread == NULL) {
			job_fail(job, g_error_new(FERRY_ERROR, FERRY_ERROR_FAILED,
						  "cannot start a copy thread: %s",
						  (*error)->message));
			g_clear_error(error);
			break;
		}
	}
	for (guint i = 0; i < workers->len; i++) {
		Worker *worker = g_ptr_array_index(workers, i);
		if (worker->thread != NULL)
			g_thread_join(worker->thread);
		worker->thread = NULL;
		ferry_copy_stats_add(&job->stats, &worker->stats);
	}
	if (cancellable != NULL)
		g_cancellable_disconnect(cancellable, cancel_id);
	if (job->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&job->error));
		ok = FALSE;
	} else if (g_cancellable_is_cancelled(job->stop)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
			    "the copy of %s to %s was cancelled%s",
			    ferry_disk_endpoint_get_description(self->source),
			    ferry_disk_endpoint_get_description(self->target),
			    job->journal != NULL
				? "; run it again with the same journal to resume it"
				: "");
		ok = FALSE;
	}
	return ok;
}

static gboolean
ferry_copy_run_internal(FerryCopy *self,
			FerryProgress *progress,
			GCancellable *cancellable,
			GError **error)
{
	g_auto(Ends) ends = {0};
	g_autoptr(FerryExtentList) work = NULL;
	g_autoptr(FerryExtentList) done = NULL;
	g_autoptr(FerryExtentList) remaining = NULL;
	g_autoptr(FerryCopyJournal) journal = NULL;
	g_autoptr(GArray) slices = NULL;
	g_autofree guint8 *zero_buffer = NULL;
	gboolean incremental = self->extents != NULL || self->extents_from != NULL;
	gboolean target_zero;
	guint request_size = self->request_size != 0 ? self->request_size : DEFAULT_REQUEST_SIZE;
	guint n_workers = self->connections != 0
			      ? self->connections
			      : MIN(DEFAULT_CONNECTIONS, MAX(1, g_get_num_processors()));
	guint64 total;
	gboolean ok;
	Job job = {0};

	ferry_copy_reset_stats(self);
	if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
		ferry_error_convert(error);
		return FALSE;
	}
	if (!ferry_copy_open_ends(self, &ends, cancellable, error))
		return FALSE;
	work = ferry_copy_find_work(self, ends.src, error);
	if (work == NULL) {
		ends_discard_target(&ends);
		return FALSE;
	}
	total = ferry_extent_list_get_total(work);

	if (self->journal != NULL) {
		g_autofree char *digest = ferry_copy_work_digest(work);
		const char *mode = incremental ? "incremental" : "full";
		journal = ferry_copy_journal_open(self->journal, mode, ends.src->size, digest,
						  error);
		if (journal == NULL) {
			ends_discard_target(&ends);
			return FALSE;
		}
		done = ferry_copy_journal_dup_done(journal, error);
		if (done == NULL) {
			ends_discard_target(&ends);
			return FALSE;
		}
		if (ferry_extent_list_get_total(done) > 0 && (ends.created || ends.was_empty)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "target %s is new or empty, but journal %s records "
				    "%" G_GUINT64_FORMAT " bytes already copied to it; delete the "
				    "journal to copy everything again",
				    ends.dst->description, self->journal,
				    ferry_extent_list_get_total(done));
			ends_discard_target(&ends);
			return FALSE;
		}
		if (ferry_copy_journal_get_complete(journal)) {
			/* done before: nothing to do again */
			self->bytes_total = total;
			self->bytes_resumed = total;
			ferry_progress_set_total(progress, total);
			ferry_progress_set_done(progress, total);
			ferry_progress_flush(progress);
			return TRUE;
		}
	}
	if (done == NULL)
		done = ferry_extent_list_new();
	remaining = ferry_extent_list_subtract(work, done);

	/* zero ranges need no writes on a target that reads as zeroes: a fresh
	 * one, or one the caller vouches for. Zeroing the whole target first
	 * (qemu-img's fast-zero pass) was measured to cost more than it saves:
	 * it frees what dense data then allocates again, and WRITE_ZEROES per
	 * zero range costs the target nearly nothing */
	if (incremental)
		target_zero = FALSE;
	else if (journal != NULL && ferry_extent_list_get_total(done) > 0)
		target_zero = ferry_copy_journal_get_target_zero(journal);
	else
		target_zero = ends.fresh_zero || ferry_disk_endpoint_get_zeroed(self->target);
	if (journal != NULL && !ferry_copy_journal_set_target_zero(journal, target_zero, error)) {
		ends_discard_target(&ends);
		return FALSE;
	}

	if (ends.src->max_request > 0)
		request_size = MIN(request_size, ends.src->max_request);
	if (ends.dst->max_request > 0)
		request_size = MIN(request_size, ends.dst->max_request);
	request_size = MAX(request_size, MIN_REQUEST_SIZE);
	if ((!ends.src->is_local && !ends.src->can_multi_conn) ||
	    (!ends.dst->is_local && !ends.dst->can_multi_conn))
		n_workers = 1;
	slices = ferry_copy_make_slices(remaining, n_workers, request_size);
	n_workers = CLAMP(n_workers, 1, MAX(slices->len, 1));

	self->bytes_total = total;
	self->bytes_resumed = total - ferry_extent_list_get_total(remaining);
	ferry_progress_set_status(progress, self->bytes_resumed > 0 ? "resuming" : "copying");
	ferry_progress_set_total(progress, total);
	ferry_progress_set_done(progress, self->bytes_resumed);

	zero_buffer = g_malloc0(request_size);
	job.self = self;
	job.progress = progress;
	job.stop = g_cancellable_new();
	job.journal = journal;
	job.slices = slices;
	job.target_zero = target_zero;
	job.verify = self->verify;
	job.incremental = incremental;
	job.request_size = request_size;
	job.requests = self->requests != 0 ? self->requests : DEFAULT_REQUESTS;
	/* the buffers in flight per connection stay within a bound */
	job.requests = MIN(job.requests, MAX(1, MAX_QUEUE_BYTES / request_size));
	job.retries = self->retries;
	job.stall_us = (gint64)self->timeout * G_USEC_PER_SEC;
	job.zero_buffer = zero_buffer;
	job.throttle.rate = self->bandwidth;
	g_mutex_init(&job.lock);
	g_mutex_init(&job.throttle.lock);

	ok = ferry_copy_run_workers(self, &job, &ends, n_workers, cancellable, error);

	self->bytes_read = job.stats.read;
	self->bytes_written = job.stats.written;
	self->bytes_zeroed = job.stats.zeroed;
	self->bytes_skipped = job.stats.skipped;
	self->bytes_verified = job.stats.verified;
	self->retried = job.stats.retried;
	g_mutex_clear(&job.lock);
	g_mutex_clear(&job.throttle.lock);
	g_clear_object(&job.stop);
	g_clear_error(&job.error);

	if (ok && journal != NULL)
		ok = ferry_copy_journal_set_complete(journal, error);
	if (!ok && journal == NULL)
		ends_discard_target(&ends);
	ferry_progress_set_status(progress, ok ? "done" : "failed");
	ferry_progress_flush(progress);
	return ok;
}

/**
 * ferry_copy_run:
 * @self: a #FerryCopy
 * @progress: (nullable): where to report bytes done and total
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs the copy in the calling thread (the I/O runs in worker threads of
 * its own). Before anything is written, the source and target are opened and
 * checked: an unreachable server, a read-only or too small target, or a
 * journal of another copy fail at once. A local target file that does not
 * exist is created; without a journal, it is removed again when the copy
 * fails.
 *
 * Returns: %TRUE when every range was copied (and verified); %FALSE with
 *   the error of the first range that failed for good, or
 *   %FERRY_ERROR_CANCELLED
 *
 * Since: 0.1
 */
gboolean
ferry_copy_run(FerryCopy *self, FerryProgress *progress, GCancellable *cancellable, GError **error)
{
	g_autoptr(FerryProgress) own_progress = NULL;
	gboolean ok;

	g_return_val_if_fail(FERRY_IS_COPY(self), FALSE);
	g_return_val_if_fail(progress == NULL || FERRY_IS_PROGRESS(progress), FALSE);
	g_return_val_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	if (!g_atomic_int_compare_and_exchange(&self->running, 0, 1)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
			    "the copy of %s is already running",
			    ferry_disk_endpoint_get_description(self->source));
		return FALSE;
	}
	if (progress == NULL)
		progress = own_progress = ferry_progress_new();
	ok = ferry_copy_run_internal(self, progress, cancellable, error);
	g_atomic_int_set(&self->running, 0);
	return ok;
}

static void
ferry_copy_run_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	GError *error = NULL;
	if (ferry_copy_run(FERRY_COPY(source), task_data, cancellable, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

/**
 * ferry_copy_run_async:
 * @self: a #FerryCopy
 * @progress: (nullable): where to report bytes done and total
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when the copy ends
 * @user_data: data for @callback
 *
 * Runs the copy in a worker thread. #FerryProgress::changed is emitted in
 * the copy's threads.
 *
 * Since: 0.1
 */
void
ferry_copy_run_async(FerryCopy *self,
		     FerryProgress *progress,
		     GCancellable *cancellable,
		     GAsyncReadyCallback callback,
		     gpointer user_data)
{
	g_autoptr(GTask) task = NULL;

	g_return_if_fail(FERRY_IS_COPY(self));
	g_return_if_fail(progress == NULL || FERRY_IS_PROGRESS(progress));
	g_return_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable));

	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, ferry_copy_run_async);
	/* the copy's own error says what was done and how to resume */
	g_task_set_check_cancellable(task, FALSE);
	if (progress != NULL)
		g_task_set_task_data(task, g_object_ref(progress), g_object_unref);
	ferry_worker_run(task, ferry_copy_run_thread);
}

/**
 * ferry_copy_run_finish:
 * @self: a #FerryCopy
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the copy succeeded
 *
 * Since: 0.1
 */
gboolean
ferry_copy_run_finish(FerryCopy *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(FERRY_IS_COPY(self), FALSE);
	g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
	g_return_val_if_fail(g_async_result_is_tagged(result, ferry_copy_run_async), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-copy-private.h"
#include "ferry-copy.h"
#include "ferry-error.h"

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

G_DEFINE_TYPE(FerryCopy, ferry_copy, G_TYPE_OBJECT)

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

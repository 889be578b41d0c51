/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Setting up and running a copy: opening both ends, finding the work,
 * cutting it into slices, starting the workers and the public run calls.
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry-copy-private.h"
#include "ferry-copy.h"
#include "ferry-error.h"
#include "ferry-worker-private.h"

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
		/* an existing file without a single data extent (made with
		 * truncate, or fallocate'd and never written) reads as zeroes:
		 * its zero ranges need no writes either */
		if (S_ISREG(st.st_mode) && (guint64)st.st_size >= size) {
			fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
			if (fd >= 0) {
				ends->fresh_zero = lseek(fd, 0, SEEK_DATA) < 0 && errno == ENXIO;
				close(fd);
			}
		}
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
	g_autoptr(GPtrArray) workers = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_copy_worker_free);
	gulong cancel_id = 0;
	gboolean ok = TRUE;

	/* worker 0 takes over the connections already open */
	g_ptr_array_add(workers, ferry_copy_worker_new(job, 0, g_steal_pointer(&ends->src),
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
		g_ptr_array_add(workers, ferry_copy_worker_new(job, i, g_steal_pointer(&src),
						    g_steal_pointer(&dst)));
	}
	self->connections_used = workers->len;
	if (cancellable != NULL)
		cancel_id = g_cancellable_connect(cancellable, G_CALLBACK(ferry_copy_cancel_cb),
						  job->stop, NULL);
	for (guint i = 0; i < workers->len; i++) {
		Worker *worker = g_ptr_array_index(workers, i);
		g_autofree char *name = g_strdup_printf("ferry-copy-%u", i);
		worker->thread = g_thread_try_new(name, ferry_copy_worker_thread, worker, error);
		if (worker->thread == NULL) {
			ferry_copy_job_fail(job, g_error_new(FERRY_ERROR, FERRY_ERROR_FAILED,
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

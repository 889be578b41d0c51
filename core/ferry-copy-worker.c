/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The copy engine's workers: the job they share, the ops (one request
 * each: read, write or zero, verify) and the worker threads that drive them.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "ferry-copy-private.h"
#include "ferry-copy.h"
#include "ferry-error.h"

/* --- the job shared by the workers ---------------------------------- */

void
ferry_copy_stats_add(Stats *into, const Stats *from)
{
	into->read += from->read;
	into->written += from->written;
	into->zeroed += from->zeroed;
	into->skipped += from->skipped;
	into->verified += from->verified;
	into->retried += from->retried;
}

void
ferry_copy_job_fail(Job *job, GError *error)
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
	ferry_copy_job_fail(op->worker->job, g_error_new_literal(FERRY_ERROR, code, message));
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
		ferry_copy_job_fail(job,
			 g_error_new(FERRY_ERROR, ferry_copy_errno_to_code(err),
				     "cannot flush %s: %s%s", worker->dst->description,
				     g_strerror(err), ferry_copy_errno_hint(err, PHASE_WRITE)));
		return;
	}
	worker->flush_attempts = 0;
	worker->last_commit = g_get_monotonic_time();
	if (job->journal != NULL && worker->flushing->len > 0 &&
	    !ferry_copy_journal_commit(job->journal, worker->flushing, &error))
		ferry_copy_job_fail(job, g_steal_pointer(&error));
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

gpointer
ferry_copy_worker_thread(gpointer data)
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

Worker *
ferry_copy_worker_new(Job *job, guint index, FerryCopyConn *src, FerryCopyConn *dst)
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

void
ferry_copy_worker_free(Worker *worker)
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

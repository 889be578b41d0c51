/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-progress.h"

/**
 * FerryProgress:
 *
 * Byte progress of a long operation (a disk copy, a conversion): bytes done
 * and total, the rate over the last seconds and an estimate of the time
 * left.
 *
 * Every method may be called from any thread. The #FerryProgress::changed
 * signal is emitted in the thread that reported progress, at most once per
 * interval (100 ms by default) and always when the total is reached; a
 * user interface should hand it over to its own main context.
 *
 * Since: 0.1
 */

#define RATE_WINDOW_US (5 * G_USEC_PER_SEC)
#define RATE_SAMPLES 32

typedef struct {
	gint64 time;
	guint64 done;
} Sample;

struct _FerryProgress {
	GObject parent_instance;
	GMutex lock;
	guint64 total;
	guint64 done;
	char *status;
	gint64 interval_us;
	gint64 last_emit;
	Sample samples[RATE_SAMPLES];
	guint sample_head;
	guint sample_count;
};

enum { SIGNAL_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

G_DEFINE_TYPE(FerryProgress, ferry_progress, G_TYPE_OBJECT)

static void
ferry_progress_finalize(GObject *object)
{
	FerryProgress *self = FERRY_PROGRESS(object);
	g_mutex_clear(&self->lock);
	g_free(self->status);
	G_OBJECT_CLASS(ferry_progress_parent_class)->finalize(object);
}

static void
ferry_progress_class_init(FerryProgressClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_progress_finalize;

	/**
	 * FerryProgress::changed:
	 * @self: the #FerryProgress
	 *
	 * Emitted when the bytes done, the total or the status changed.
	 *
	 * Since: 0.1
	 */
	signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
					       G_TYPE_NONE, 0);
}

static void
ferry_progress_init(FerryProgress *self)
{
	g_mutex_init(&self->lock);
	self->interval_us = 100 * 1000;
}

/**
 * ferry_progress_new:
 *
 * Returns: (transfer full): a new progress with nothing done
 *
 * Since: 0.1
 */
FerryProgress *
ferry_progress_new(void)
{
	return g_object_new(FERRY_TYPE_PROGRESS, NULL);
}

/* called with the lock held */
static void
ferry_progress_sample(FerryProgress *self, gint64 now)
{
	self->samples[self->sample_head].time = now;
	self->samples[self->sample_head].done = self->done;
	self->sample_head = (self->sample_head + 1) % RATE_SAMPLES;
	if (self->sample_count < RATE_SAMPLES)
		self->sample_count++;
}

/* called with the lock held; decides whether to emit now */
static gboolean
ferry_progress_should_emit(FerryProgress *self, gint64 now, gboolean force)
{
	if (force || self->interval_us == 0 || now - self->last_emit >= self->interval_us ||
	    (self->total > 0 && self->done >= self->total)) {
		self->last_emit = now;
		return TRUE;
	}
	return FALSE;
}

static void
ferry_progress_update(FerryProgress *self, guint64 done, gboolean add, gboolean force)
{
	gint64 now = g_get_monotonic_time();
	gboolean emit;

	g_mutex_lock(&self->lock);
	self->done = add ? self->done + done : done;
	ferry_progress_sample(self, now);
	emit = ferry_progress_should_emit(self, now, force);
	g_mutex_unlock(&self->lock);
	if (emit)
		g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/**
 * ferry_progress_set_total:
 * @self: a #FerryProgress
 * @total: the number of bytes the operation will handle
 *
 * Since: 0.1
 */
void
ferry_progress_set_total(FerryProgress *self, guint64 total)
{
	g_return_if_fail(FERRY_IS_PROGRESS(self));
	g_mutex_lock(&self->lock);
	self->total = total;
	g_mutex_unlock(&self->lock);
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/**
 * ferry_progress_get_total:
 * @self: a #FerryProgress
 *
 * Returns: the total number of bytes, 0 when unknown
 *
 * Since: 0.1
 */
guint64
ferry_progress_get_total(FerryProgress *self)
{
	guint64 total;
	g_return_val_if_fail(FERRY_IS_PROGRESS(self), 0);
	g_mutex_lock(&self->lock);
	total = self->total;
	g_mutex_unlock(&self->lock);
	return total;
}

/**
 * ferry_progress_add_done:
 * @self: a #FerryProgress
 * @bytes: bytes just completed
 *
 * Since: 0.1
 */
void
ferry_progress_add_done(FerryProgress *self, guint64 bytes)
{
	g_return_if_fail(FERRY_IS_PROGRESS(self));
	ferry_progress_update(self, bytes, TRUE, FALSE);
}

/**
 * ferry_progress_set_done:
 * @self: a #FerryProgress
 * @done: bytes completed so far (for example after resuming from a journal)
 *
 * Since: 0.1
 */
void
ferry_progress_set_done(FerryProgress *self, guint64 done)
{
	g_return_if_fail(FERRY_IS_PROGRESS(self));
	ferry_progress_update(self, done, FALSE, FALSE);
}

/**
 * ferry_progress_get_done:
 * @self: a #FerryProgress
 *
 * Returns: bytes completed so far
 *
 * Since: 0.1
 */
guint64
ferry_progress_get_done(FerryProgress *self)
{
	guint64 done;
	g_return_val_if_fail(FERRY_IS_PROGRESS(self), 0);
	g_mutex_lock(&self->lock);
	done = self->done;
	g_mutex_unlock(&self->lock);
	return done;
}

/**
 * ferry_progress_get_fraction:
 * @self: a #FerryProgress
 *
 * Returns: done / total between 0 and 1, or 0 when the total is unknown
 *
 * Since: 0.1
 */
double
ferry_progress_get_fraction(FerryProgress *self)
{
	double fraction = 0;
	g_return_val_if_fail(FERRY_IS_PROGRESS(self), 0);
	g_mutex_lock(&self->lock);
	if (self->total > 0)
		fraction = MIN(1.0, (double)self->done / (double)self->total);
	g_mutex_unlock(&self->lock);
	return fraction;
}

/* called with the lock held */
static double
ferry_progress_rate_locked(FerryProgress *self)
{
	const Sample *newest, *oldest = NULL;
	guint newest_index;

	if (self->sample_count < 2)
		return 0;
	newest_index = (self->sample_head + RATE_SAMPLES - 1) % RATE_SAMPLES;
	newest = &self->samples[newest_index];
	/* the oldest sample still inside the window */
	for (guint i = self->sample_count; i > 1; i--) {
		const Sample *s =
		    &self->samples[(self->sample_head + RATE_SAMPLES - i) % RATE_SAMPLES];
		if (newest->time - s->time <= RATE_WINDOW_US) {
			oldest = s;
			break;
		}
	}
	if (oldest == NULL || newest->time <= oldest->time || newest->done < oldest->done)
		return 0;
	return (double)(newest->done - oldest->done) * G_USEC_PER_SEC /
	       (double)(newest->time - oldest->time);
}

/**
 * ferry_progress_get_rate:
 * @self: a #FerryProgress
 *
 * Returns: bytes per second over the last few seconds, 0 when unknown
 *
 * Since: 0.1
 */
double
ferry_progress_get_rate(FerryProgress *self)
{
	double rate;
	g_return_val_if_fail(FERRY_IS_PROGRESS(self), 0);
	g_mutex_lock(&self->lock);
	rate = ferry_progress_rate_locked(self);
	g_mutex_unlock(&self->lock);
	return rate;
}

/**
 * ferry_progress_get_eta:
 * @self: a #FerryProgress
 *
 * Returns: estimated seconds left, or -1 when it cannot be estimated
 *
 * Since: 0.1
 */
gint64
ferry_progress_get_eta(FerryProgress *self)
{
	double rate;
	gint64 eta = -1;
	g_return_val_if_fail(FERRY_IS_PROGRESS(self), -1);
	g_mutex_lock(&self->lock);
	rate = ferry_progress_rate_locked(self);
	if (self->total > 0 && self->done >= self->total)
		eta = 0;
	else if (self->total > 0 && rate > 0)
		eta = (gint64)((double)(self->total - self->done) / rate + 0.5);
	g_mutex_unlock(&self->lock);
	return eta;
}

/**
 * ferry_progress_set_status:
 * @self: a #FerryProgress
 * @status: (nullable): a short description of the current step
 *
 * Since: 0.1
 */
void
ferry_progress_set_status(FerryProgress *self, const char *status)
{
	g_return_if_fail(FERRY_IS_PROGRESS(self));
	g_mutex_lock(&self->lock);
	g_free(self->status);
	self->status = g_strdup(status);
	g_mutex_unlock(&self->lock);
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/**
 * ferry_progress_dup_status:
 * @self: a #FerryProgress
 *
 * Returns: (transfer full) (nullable): the current status
 *
 * Since: 0.1
 */
char *
ferry_progress_dup_status(FerryProgress *self)
{
	char *status;
	g_return_val_if_fail(FERRY_IS_PROGRESS(self), NULL);
	g_mutex_lock(&self->lock);
	status = g_strdup(self->status);
	g_mutex_unlock(&self->lock);
	return status;
}

/**
 * ferry_progress_set_interval:
 * @self: a #FerryProgress
 * @milliseconds: the least time between two #FerryProgress::changed
 *   emissions caused by byte updates; 0 emits on every update
 *
 * Since: 0.1
 */
void
ferry_progress_set_interval(FerryProgress *self, guint milliseconds)
{
	g_return_if_fail(FERRY_IS_PROGRESS(self));
	g_mutex_lock(&self->lock);
	self->interval_us = (gint64)milliseconds * 1000;
	g_mutex_unlock(&self->lock);
}

/**
 * ferry_progress_flush:
 * @self: a #FerryProgress
 *
 * Emits #FerryProgress::changed now, whatever the interval.
 *
 * Since: 0.1
 */
void
ferry_progress_flush(FerryProgress *self)
{
	g_return_if_fail(FERRY_IS_PROGRESS(self));
	g_mutex_lock(&self->lock);
	self->last_emit = g_get_monotonic_time();
	g_mutex_unlock(&self->lock);
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

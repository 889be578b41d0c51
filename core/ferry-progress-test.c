/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ferry.h"

static void
count_cb(FerryProgress *progress, gpointer user_data)
{
	guint *count = user_data;
	(*count)++;
}

static void
test_progress_counts(void)
{
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	guint changed = 0;

	g_signal_connect(progress, "changed", G_CALLBACK(count_cb), &changed);
	g_assert_cmpint(ferry_progress_get_eta(progress), ==, -1);
	g_assert_cmpfloat(ferry_progress_get_fraction(progress), ==, 0);
	ferry_progress_set_total(progress, 1000);
	g_assert_cmpuint(changed, ==, 1);
	ferry_progress_set_interval(progress, 0);
	ferry_progress_add_done(progress, 250);
	ferry_progress_add_done(progress, 250);
	g_assert_cmpuint(ferry_progress_get_done(progress), ==, 500);
	g_assert_cmpfloat_with_epsilon(ferry_progress_get_fraction(progress), 0.5, 1e-9);
	g_assert_cmpuint(changed, ==, 3);
	ferry_progress_set_done(progress, 1000);
	g_assert_cmpint(ferry_progress_get_eta(progress), ==, 0);
	g_assert_cmpfloat(ferry_progress_get_fraction(progress), ==, 1.0);
	ferry_progress_set_status(progress, "copying disk 1");
	{
		g_autofree char *status = ferry_progress_dup_status(progress);
		g_assert_cmpstr(status, ==, "copying disk 1");
	}
}

static void
test_progress_rate_limit(void)
{
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	guint changed = 0;

	ferry_progress_set_total(progress, 1000000);
	g_signal_connect(progress, "changed", G_CALLBACK(count_cb), &changed);
	ferry_progress_set_interval(progress, 60 * 1000);
	for (guint i = 0; i < 100; i++)
		ferry_progress_add_done(progress, 1);
	/* the first update may emit; the next 99 fall inside the interval */
	g_assert_cmpuint(changed, <=, 1);
	ferry_progress_flush(progress);
	g_assert_cmpuint(changed, <=, 2);
	g_assert_cmpuint(changed, >=, 1);
	/* reaching the total always emits */
	{
		guint before = changed;
		ferry_progress_set_done(progress, 1000000);
		g_assert_cmpuint(changed, ==, before + 1);
	}
}

static void
test_progress_rate(void)
{
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	double rate;
	gint64 eta;

	ferry_progress_set_total(progress, 100 * 1024 * 1024);
	ferry_progress_add_done(progress, 0);
	for (guint i = 0; i < 5; i++) {
		g_usleep(20 * 1000);
		ferry_progress_add_done(progress, 1024 * 1024);
	}
	rate = ferry_progress_get_rate(progress);
	/* 5 MiB in about 100 ms: tens of MiB/s; bounds generous for a busy machine */
	g_assert_cmpfloat(rate, >, 1.0 * 1024 * 1024);
	g_assert_cmpfloat(rate, <, 1000.0 * 1024 * 1024);
	eta = ferry_progress_get_eta(progress);
	g_assert_cmpint(eta, >, 0);
}

typedef struct {
	FerryProgress *progress;
	guint n;
} ThreadData;

static gpointer
add_thread(gpointer data)
{
	ThreadData *td = data;
	for (guint i = 0; i < td->n; i++)
		ferry_progress_add_done(td->progress, 3);
	return NULL;
}

static void
test_progress_threads(void)
{
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	ThreadData td = {progress, 20000};
	GThread *threads[4];
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("adder", add_thread, &td);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	g_assert_cmpuint(ferry_progress_get_done(progress), ==, 4 * 20000 * 3);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/progress/counts", test_progress_counts);
	g_test_add_func("/progress/rate-limit", test_progress_rate_limit);
	g_test_add_func("/progress/rate", test_progress_rate);
	g_test_add_func("/progress/threads", test_progress_threads);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-worker-private.h"

typedef struct {
	GTask *task;
	GTaskThreadFunc func;
} WorkItem;

static void
ferry_worker_thread(gpointer data, gpointer user_data)
{
	WorkItem *item = data;
	item->func(item->task, g_task_get_source_object(item->task),
		   g_task_get_task_data(item->task), g_task_get_cancellable(item->task));
	g_object_unref(item->task);
	g_free(item);
}

void
ferry_worker_run(GTask *task, GTaskThreadFunc func)
{
	static GThreadPool *pool = NULL;
	WorkItem *item;

	if (g_once_init_enter(&pool)) {
		GThreadPool *new_pool =
		    g_thread_pool_new(ferry_worker_thread, NULL, -1, FALSE, NULL);
		g_once_init_leave(&pool, new_pool);
	}
	item = g_new0(WorkItem, 1);
	item->task = g_object_ref(task);
	item->func = func;
	g_thread_pool_push(pool, item, NULL);
}

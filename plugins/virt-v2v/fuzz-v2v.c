/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ferry-v2v-run.h"

/* virt-v2v's output, line by line, through the progress and inspection
 * parser: whatever a child process prints must not crash it */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(FerryV2vMonitor) monitor = ferry_v2v_monitor_new(2);
	g_autofree char *text = g_strndup((const char *)data, size);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(JsonObject) result = NULL;
	g_autofree char *tail = NULL;

	for (guint i = 0; lines[i] != NULL; i++)
		ferry_v2v_monitor_feed(monitor, lines[i]);
	result = ferry_v2v_monitor_dup_result(monitor);
	tail = ferry_v2v_monitor_dup_tail(monitor);
	g_assert(monitor->fraction >= 0.0 && monitor->fraction <= 1.0);
	return 0;
}

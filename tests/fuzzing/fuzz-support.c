/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Linked into every fuzz target: g_error() and g_critical() end the process
 * through abort(). GLib would raise SIGTRAP for them, which libFuzzer does
 * not catch, so the input that caused them would be lost; SIGABRT (like a
 * failed g_assert) makes libFuzzer save it.
 */

#include <glib.h>
#include <stdlib.h>

static GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
		gpointer user_data)
{
	GLogWriterOutput result = g_log_writer_default(level, fields, n_fields, user_data);

	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		abort();
	return result;
}

__attribute__((constructor)) static void
fuzz_support_init(void)
{
	g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
}

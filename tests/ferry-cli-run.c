/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gio/gio.h>

#include "ferry-cli-run.h"

FerryCliRun *
ferry_cli_run(const char *input, const char *first_arg, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	FerryCliRun *run = g_new0(FerryCliRun, 1);
	va_list args;

	g_ptr_array_add(argv, (gpointer)g_getenv("FERRY_BIN"));
	va_start(args, first_arg);
	for (const char *arg = first_arg; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	process =
		g_subprocess_newv((const char *const *)argv->pdata,
				  G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
					  (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0),
				  &error);
	g_assert_no_error(error);
	g_assert_true(
		g_subprocess_communicate_utf8(process, input, NULL, &run->out, &run->err, &error));
	g_assert_no_error(error);
	run->status = g_subprocess_get_exit_status(process);
	return run;
}

void
ferry_cli_run_free(FerryCliRun *run)
{
	if (run == NULL)
		return;
	g_free(run->out);
	g_free(run->err);
	g_free(run);
}

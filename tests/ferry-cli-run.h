/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs the ferry binary ($FERRY_BIN) as a user would, for CLI tests.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	int status;
	char *out;
	char *err;
} FerryCliRun;

/* runs ferry with the arguments (NULL-terminated), @input on stdin if not NULL */
FerryCliRun *ferry_cli_run(const char *input, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
void ferry_cli_run_free(FerryCliRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryCliRun, ferry_cli_run_free)

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* sets @error from the last SQLite error of @db: a FERRY_ERROR code that
 * says what happened (full, busy, read-only, damaged), the database named
 * (@label such as "state database", and @path), what was being done, and
 * how to fix it; returns FALSE */
gboolean ferry_sqlite_set_error(sqlite3 *db, const char *label, const char *path,
				const char *what, GError **error);
void ferry_sqlite_create_private(const char *path);
void ferry_state_dir_make_private(const char *state_dir);

G_END_DECLS

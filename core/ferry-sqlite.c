/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-error.h"
#include "ferry-sqlite-private.h"

gboolean
ferry_sqlite_set_error(sqlite3 *db, const char *label, const char *path, const char *what,
		       GError **error)
{
	int code = sqlite3_errcode(db);
	FerryError ferry_code = FERRY_ERROR_IO;
	const char *hint = "";

	if (code == SQLITE_FULL) {
		ferry_code = FERRY_ERROR_NO_SPACE;
		hint = "; free some space in that file system and try again";
	} else if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
		ferry_code = FERRY_ERROR_BUSY;
		hint = "; another ferry is writing to it, try again when it is done";
	} else if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN) {
		ferry_code = FERRY_ERROR_PERMISSION_DENIED;
		hint = "; check that its folder exists and is writable by this user";
	} else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
		ferry_code = FERRY_ERROR_INVALID_DATA;
		hint = "; it is damaged or not Ferry's: move it away, or use another --state "
		       "directory";
	}
	g_set_error(error, FERRY_ERROR, ferry_code, "%s %s: %s: %s%s", label, path, what,
		    sqlite3_errmsg(db), hint);
	return FALSE;
}

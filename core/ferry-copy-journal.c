/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sqlite3.h>

#include "ferry-copy-private.h"
#include "ferry-sqlite-private.h"
#include "ferry-error.h"

/*
 * The copy journal is a small SQLite database rather than a hand-made log
 * file: SQLite gives atomic, checksummed commits and survives torn writes,
 * a crash never leaves a half-recorded batch, and `sqlite3 FILE 'SELECT …'`
 * is all it takes to look inside. Ranges are only recorded after the target
 * acknowledged a flush that covers them, so a range in the journal is on the
 * target for good; losing the last commits (synchronous=NORMAL on power
 * loss) only means redoing them. The exclusive lock keeps two copies from
 * sharing one journal.
 */

#define JOURNAL_APPLICATION_ID 0x46455259 /* "FERY" */
#define JOURNAL_VERSION	       1

struct _FerryCopyJournal {
	GMutex lock;
	sqlite3 *db;
	char *path;
	gboolean resumed;
	gboolean complete;
	gboolean target_zero;
};

static gboolean
ferry_copy_journal_fail(FerryCopyJournal *self, GError **error, const char *what)
{
	int rc = sqlite3_extended_errcode(self->db);
	int code = FERRY_ERROR_IO;
	const char *hint = "";

	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
			    "copy journal %s is in use by another copy; wait for it to end "
			    "or pass another journal",
			    self->path);
		return FALSE;
	}
	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s is not a Ferry copy journal (%s); delete it or pass another "
			    "journal",
			    self->path, sqlite3_errmsg(self->db));
		return FALSE;
	}
	if ((rc & 0xff) == SQLITE_FULL) {
		code = FERRY_ERROR_NO_SPACE;
		hint = "; free some space in that file system (the --state folder's) and try "
		       "again";
	} else if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN ||
		   (rc & 0xff) == SQLITE_PERM) {
		code = FERRY_ERROR_PERMISSION_DENIED;
		hint = "; check that its folder exists and is writable by this user";
	}
	g_set_error(error, FERRY_ERROR, code, "copy journal %s: cannot %s: %s%s", self->path,
		    what, sqlite3_errmsg(self->db), hint);
	return FALSE;
}

static gboolean
ferry_copy_journal_exec(FerryCopyJournal *self, const char *sql, const char *what, GError **error)
{
	if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ferry_copy_journal_fail(self, error, what);
	return TRUE;
}

static gboolean
ferry_copy_journal_query_int(FerryCopyJournal *self, const char *sql, gint64 *value, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	gboolean ok = FALSE;

	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW) {
		*value = sqlite3_column_int64(stmt, 0);
		ok = TRUE;
	}
	if (!ok)
		ferry_copy_journal_fail(self, error, "read it");
	sqlite3_finalize(stmt);
	return ok;
}

static char *
ferry_copy_journal_get_meta(FerryCopyJournal *self, const char *key)
{
	sqlite3_stmt *stmt = NULL;
	char *value = NULL;

	if (sqlite3_prepare_v2(self->db, "SELECT value FROM meta WHERE key = ?", -1, &stmt,
			       NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		value = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return value;
}

/* called inside a transaction or with autocommit */
static gboolean
ferry_copy_journal_put_meta(FerryCopyJournal *self,
			    const char *key,
			    const char *value,
			    GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(self->db,
			       "INSERT INTO meta (key, value) VALUES (?, ?) "
			       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			       -1, &stmt, NULL) != SQLITE_OK)
		return ferry_copy_journal_fail(self, error, "write it");
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return ferry_copy_journal_fail(self, error, "write it");
	return TRUE;
}

static gboolean
ferry_copy_journal_create(FerryCopyJournal *self,
			  const char *mode,
			  guint64 size,
			  const char *work_digest,
			  GError **error)
{
	g_autofree char *size_text = g_strdup_printf("%" G_GUINT64_FORMAT, size);
	g_autofree char *version = g_strdup_printf("%d", JOURNAL_VERSION);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *created = g_date_time_format_iso8601(now);

	if (!ferry_copy_journal_exec(self,
				     "BEGIN IMMEDIATE;"
				     "CREATE TABLE meta (key TEXT PRIMARY KEY, "
				     "                   value TEXT NOT NULL);"
				     "CREATE TABLE done (offset INTEGER PRIMARY KEY, "
				     "                   length INTEGER NOT NULL);",
				     "create it", error))
		return FALSE;
	if (!ferry_copy_journal_put_meta(self, "version", version, error) ||
	    !ferry_copy_journal_put_meta(self, "mode", mode, error) ||
	    !ferry_copy_journal_put_meta(self, "size", size_text, error) ||
	    !ferry_copy_journal_put_meta(self, "work", work_digest, error) ||
	    !ferry_copy_journal_put_meta(self, "created", created, error) ||
	    !ferry_copy_journal_exec(self,
				     /* JOURNAL_APPLICATION_ID */
				     "PRAGMA application_id = 1178948185;"
				     "PRAGMA user_version = 1;"
				     "COMMIT;",
				     "create it", error)) {
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_copy_journal_check(FerryCopyJournal *self,
			 const char *mode,
			 guint64 size,
			 const char *work_digest,
			 GError **error)
{
	g_autofree char *stored_version = ferry_copy_journal_get_meta(self, "version");
	g_autofree char *stored_mode = ferry_copy_journal_get_meta(self, "mode");
	g_autofree char *stored_size = ferry_copy_journal_get_meta(self, "size");
	g_autofree char *stored_work = ferry_copy_journal_get_meta(self, "work");
	g_autofree char *complete = ferry_copy_journal_get_meta(self, "complete");
	g_autofree char *target_zero = ferry_copy_journal_get_meta(self, "target-zero");
	g_autofree char *size_text = g_strdup_printf("%" G_GUINT64_FORMAT, size);

	if (g_strcmp0(stored_version, G_STRINGIFY(JOURNAL_VERSION)) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "copy journal %s has version %s, but this Ferry writes version %d; "
			    "delete it to start the copy over",
			    self->path, stored_version != NULL ? stored_version : "(none)",
			    JOURNAL_VERSION);
		return FALSE;
	}
	if (g_strcmp0(stored_size, size_text) != 0 || g_strcmp0(stored_mode, mode) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "copy journal %s belongs to another copy: it records a %s copy of a "
			    "%s-byte disk, this is a %s copy of a %s-byte disk; delete it to "
			    "start over, or pass the journal of this copy",
			    self->path, stored_mode, stored_size, mode, size_text);
		return FALSE;
	}
	if (g_strcmp0(stored_work, work_digest) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "copy journal %s belongs to another copy: it records other ranges "
			    "to copy (another set of changed blocks); delete it to start over, "
			    "or pass the journal of this copy",
			    self->path);
		return FALSE;
	}
	self->complete = g_strcmp0(complete, "1") == 0;
	self->target_zero = g_strcmp0(target_zero, "1") == 0;
	return TRUE;
}

FerryCopyJournal *
ferry_copy_journal_open(const char *path,
			const char *mode,
			guint64 size,
			const char *work_digest,
			GError **error)
{
	g_autoptr(FerryCopyJournal) self = g_new0(FerryCopyJournal, 1);
	gint64 application_id = 0;
	gint64 tables = 0;

	g_mutex_init(&self->lock);
	self->path = g_strdup(path);
	ferry_sqlite_create_private(path);
	if (sqlite3_open_v2(path, &self->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		if (self->db == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "cannot open copy journal %s: out of memory", path);
			return NULL;
		}
		ferry_copy_journal_fail(self, error, "open it");
		return NULL;
	}
	sqlite3_extended_result_codes(self->db, 1);
	/* the exclusive lock is taken by the first write below and kept */
	if (!ferry_copy_journal_exec(self,
				     "PRAGMA locking_mode = EXCLUSIVE;"
				     "PRAGMA journal_mode = WAL;"
				     "PRAGMA synchronous = NORMAL;",
				     "open it", error))
		return NULL;
	if (!ferry_copy_journal_query_int(self, "PRAGMA application_id", &application_id, error) ||
	    !ferry_copy_journal_query_int(self, "SELECT count(*) FROM sqlite_master", &tables,
					  error))
		return NULL;
	if (tables == 0) {
		if (!ferry_copy_journal_create(self, mode, size, work_digest, error))
			return NULL;
		return g_steal_pointer(&self);
	}
	if (application_id != JOURNAL_APPLICATION_ID) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s is an SQLite database but not a Ferry copy journal; delete it or "
			    "pass another journal",
			    path);
		return NULL;
	}
	/* take the lock now, so that a second copy fails before it writes */
	if (!ferry_copy_journal_exec(self, "BEGIN IMMEDIATE; COMMIT;", "lock it", error) ||
	    !ferry_copy_journal_check(self, mode, size, work_digest, error))
		return NULL;
	self->resumed = TRUE;
	return g_steal_pointer(&self);
}

void
ferry_copy_journal_free(FerryCopyJournal *self)
{
	if (self == NULL)
		return;
	if (self->db != NULL)
		sqlite3_close(self->db);
	g_mutex_clear(&self->lock);
	g_free(self->path);
	g_free(self);
}

const char *
ferry_copy_journal_get_path(FerryCopyJournal *self)
{
	return self->path;
}

gboolean
ferry_copy_journal_get_resumed(FerryCopyJournal *self)
{
	return self->resumed;
}

gboolean
ferry_copy_journal_get_complete(FerryCopyJournal *self)
{
	return self->complete;
}

gboolean
ferry_copy_journal_get_target_zero(FerryCopyJournal *self)
{
	return self->target_zero;
}

gboolean
ferry_copy_journal_set_target_zero(FerryCopyJournal *self, gboolean zero, GError **error)
{
	gboolean ok;
	g_mutex_lock(&self->lock);
	ok = ferry_copy_journal_put_meta(self, "target-zero", zero ? "1" : "0", error);
	if (ok)
		self->target_zero = zero;
	g_mutex_unlock(&self->lock);
	return ok;
}

FerryExtentList *
ferry_copy_journal_dup_done(FerryCopyJournal *self, GError **error)
{
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(FerryExtent));
	g_autoptr(FerryExtentList) done = ferry_extent_list_new();
	sqlite3_stmt *stmt = NULL;
	int rc;

	g_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(self->db, "SELECT offset, length FROM done ORDER BY offset", -1,
			       &stmt, NULL) != SQLITE_OK) {
		ferry_copy_journal_fail(self, error, "read it");
		g_mutex_unlock(&self->lock);
		return NULL;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		FerryExtent range = {(guint64)sqlite3_column_int64(stmt, 0),
				     (guint64)sqlite3_column_int64(stmt, 1),
				     FERRY_EXTENT_FLAG_NONE};
		g_array_append_val(ranges, range);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		ferry_copy_journal_fail(self, error, "read it");
		g_mutex_unlock(&self->lock);
		return NULL;
	}
	g_mutex_unlock(&self->lock);
	ferry_copy_ranges_merge(ranges);
	for (guint i = 0; i < ranges->len; i++) {
		const FerryExtent *range = &g_array_index(ranges, FerryExtent, i);
		if (!ferry_extent_list_add(done, range->offset, range->length,
					   FERRY_EXTENT_FLAG_NONE, error))
			return NULL;
	}
	return g_steal_pointer(&done);
}

gboolean
ferry_copy_journal_commit(FerryCopyJournal *self, GArray *ranges, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	gboolean ok = TRUE;

	if (ranges->len == 0)
		return TRUE;
	ferry_copy_ranges_merge(ranges);
	g_mutex_lock(&self->lock);
	if (!ferry_copy_journal_exec(self, "BEGIN", "record ranges", error)) {
		g_mutex_unlock(&self->lock);
		return FALSE;
	}
	if (sqlite3_prepare_v2(self->db,
			       "INSERT INTO done (offset, length) VALUES (?, ?) "
			       "ON CONFLICT(offset) DO UPDATE SET "
			       "length = max(length, excluded.length)",
			       -1, &stmt, NULL) != SQLITE_OK)
		ok = ferry_copy_journal_fail(self, error, "record ranges");
	for (guint i = 0; ok && i < ranges->len; i++) {
		const FerryExtent *range = &g_array_index(ranges, FerryExtent, i);
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)range->offset);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)range->length);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			ok = ferry_copy_journal_fail(self, error, "record ranges");
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	if (ok)
		ok = ferry_copy_journal_exec(self, "COMMIT", "record ranges", error);
	if (!ok)
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
	g_mutex_unlock(&self->lock);
	return ok;
}

gboolean
ferry_copy_journal_set_complete(FerryCopyJournal *self, GError **error)
{
	gboolean ok;
	g_mutex_lock(&self->lock);
	ok = ferry_copy_journal_put_meta(self, "complete", "1", error);
	if (ok)
		self->complete = TRUE;
	g_mutex_unlock(&self->lock);
	return ok;
}

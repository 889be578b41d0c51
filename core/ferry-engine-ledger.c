/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-engine-ledger-private.h"
#include "ferry-json-private.h"
#include "ferry-sqlite-private.h"

struct _FerryEngineLedger {
	GObject parent_instance;
	sqlite3 *db; /* the engine's, which outlives the ledger */
	char *db_path;
};

G_DEFINE_FINAL_TYPE(FerryEngineLedger, ferry_engine_ledger, G_TYPE_OBJECT)

static void
ferry_engine_ledger_finalize(GObject *object)
{
	FerryEngineLedger *self = FERRY_ENGINE_LEDGER(object);
	g_free(self->db_path);
	G_OBJECT_CLASS(ferry_engine_ledger_parent_class)->finalize(object);
}

static void
ferry_engine_ledger_class_init(FerryEngineLedgerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_engine_ledger_finalize;
}

static void
ferry_engine_ledger_init(FerryEngineLedger *self)
{
}

/* @db: the state database, whose engine_ledger table holds the entries; it
 * must stay open as long as the ledger lives */
FerryEngineLedger *
ferry_engine_ledger_new(sqlite3 *db, const char *db_path)
{
	FerryEngineLedger *self = g_object_new(FERRY_TYPE_ENGINE_LEDGER, NULL);
	self->db = db;
	self->db_path = g_strdup(db_path);
	return self;
}

static gboolean
ledger_sql_error(FerryEngineLedger *self, const char *what, GError **error)
{
	return ferry_sqlite_set_error(self->db, "state database", self->db_path, what, error);
}

static sqlite3_stmt *
ledger_prepare(FerryEngineLedger *self, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		ledger_sql_error(self, "preparing a statement", error);
		return NULL;
	}
	return stmt;
}

gint64
ferry_engine_ledger_intent(FerryEngineLedger *self,
			   const char *migration_uid,
			   const char *vm_id,
			   const char *side,
			   const char *kind,
			   const char *artifact_id,
			   JsonObject *details,
			   GError **error)
{
	g_autofree char *text = NULL;
	sqlite3_stmt *stmt;
	gint64 row = 0;

	text = details != NULL ? ferry_json_to_string(details) : g_strdup("{}");
	stmt = ledger_prepare(self,
			      "INSERT INTO engine_ledger(migration_uid, vm_id, side, kind, "
			      "artifact_id, details, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			      "'intent') RETURNING id",
			      error);
	if (stmt == NULL)
		return 0;
	sqlite3_bind_text(stmt, 1, migration_uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, vm_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, side, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 4, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 5, artifact_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 6, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		row = sqlite3_column_int64(stmt, 0);
	else
		ledger_sql_error(self, "recording an artifact", error);
	sqlite3_finalize(stmt);
	return row;
}

gboolean
ferry_engine_ledger_created(FerryEngineLedger *self,
			    gint64 row,
			    JsonObject *details,
			    GError **error)
{
	g_autofree char *text = details != NULL ? ferry_json_to_string(details) : NULL;
	sqlite3_stmt *stmt = ledger_prepare(
	    self,
	    "UPDATE engine_ledger SET state = 'created', details = coalesce(?2, details) "
	    "WHERE id = ?1",
	    error);
	gboolean ok;
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, row);
	sqlite3_bind_text(stmt, 2, text, -1, SQLITE_TRANSIENT);
	ok = sqlite3_step(stmt) == SQLITE_DONE;
	sqlite3_finalize(stmt);
	return ok || ledger_sql_error(self, "recording an artifact", error);
}

gboolean
ferry_engine_ledger_forget(FerryEngineLedger *self, gint64 row, GError **error)
{
	sqlite3_stmt *stmt = ledger_prepare(self, "DELETE FROM engine_ledger WHERE id = ?1", error);
	gboolean ok;
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, row);
	ok = sqlite3_step(stmt) == SQLITE_DONE;
	sqlite3_finalize(stmt);
	return ok || ledger_sql_error(self, "forgetting an artifact", error);
}

gboolean
ferry_engine_ledger_forget_artifact(FerryEngineLedger *self,
				    const char *migration_uid,
				    const char *vm_id,
				    const char *kind,
				    const char *artifact_id,
				    GError **error)
{
	sqlite3_stmt *stmt = ledger_prepare(self,
					    "DELETE FROM engine_ledger WHERE migration_uid = ?1 "
					    "AND vm_id = ?2 AND kind = ?3 AND artifact_id = ?4",
					    error);
	gboolean ok;
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, migration_uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, vm_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 4, artifact_id, -1, SQLITE_TRANSIENT);
	ok = sqlite3_step(stmt) == SQLITE_DONE;
	sqlite3_finalize(stmt);
	return ok || ledger_sql_error(self, "forgetting an artifact", error);
}

static void
ledger_entry_free(gpointer data)
{
	FerryEngineLedgerEntry *entry = data;
	g_free(entry->migration_uid);
	g_free(entry->vm_id);
	g_free(entry->side);
	g_free(entry->kind);
	g_free(entry->artifact_id);
	g_clear_pointer(&entry->details, json_object_unref);
	g_free(entry->state);
	g_free(entry);
}

GPtrArray *
ferry_engine_ledger_list(FerryEngineLedger *self, const char *migration_uid, const char *vm_id)
{
	GPtrArray *entries = g_ptr_array_new_with_free_func(ledger_entry_free);
	sqlite3_stmt *stmt = ledger_prepare(
	    self,
	    "SELECT id, migration_uid, vm_id, side, kind, artifact_id, details, state "
	    "FROM engine_ledger WHERE (?1 IS NULL OR migration_uid = ?1) AND "
	    "(?2 IS NULL OR vm_id = ?2) ORDER BY id DESC",
	    NULL);
	if (stmt == NULL)
		return entries;
	sqlite3_bind_text(stmt, 1, migration_uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, vm_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		FerryEngineLedgerEntry *entry = g_new0(FerryEngineLedgerEntry, 1);
		entry->row = sqlite3_column_int64(stmt, 0);
		entry->migration_uid = g_strdup((const char *)sqlite3_column_text(stmt, 1));
		entry->vm_id = g_strdup((const char *)sqlite3_column_text(stmt, 2));
		entry->side = g_strdup((const char *)sqlite3_column_text(stmt, 3));
		entry->kind = g_strdup((const char *)sqlite3_column_text(stmt, 4));
		entry->artifact_id = g_strdup((const char *)sqlite3_column_text(stmt, 5));
		entry->details =
		    ferry_json_from_string((const char *)sqlite3_column_text(stmt, 6), NULL);
		if (entry->details == NULL)
			entry->details = json_object_new();
		entry->state = g_strdup((const char *)sqlite3_column_text(stmt, 7));
		g_ptr_array_add(entries, entry);
	}
	sqlite3_finalize(stmt);
	return entries;
}

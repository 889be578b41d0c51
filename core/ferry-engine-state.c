/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The engine's state database: the tables of ferry.db (migrations, their
 * VMs, the artefact ledger), and the reads and writes of migration and VM
 * state. Only the engine thread calls these, except where noted. */

#include "config.h"

#include "ferry-engine-private.h"
#include "ferry-sqlite-private.h"
#include "ferry-error.h"

#define ENGINE_SCHEMA_VERSION 1

/* --- database --- */

gboolean
engine_exec(FerryEngine *self, const char *sql, GError **error)
{
	char *message = NULL;
	if (sqlite3_exec(self->db, sql, NULL, NULL, &message) != SQLITE_OK) {
		sqlite3_free(message);
		return ferry_sqlite_set_error(self->db, "state database", self->db_path,
					      "running a statement", error);
	}
	return TRUE;
}

gboolean
engine_sql_error(FerryEngine *self, const char *what, GError **error)
{
	return ferry_sqlite_set_error(self->db, "state database", self->db_path, what, error);
}

sqlite3_stmt *
engine_prepare(FerryEngine *self, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		engine_sql_error(self, "preparing a statement", error);
		return NULL;
	}
	return stmt;
}

gboolean
engine_setup_db(FerryEngine *self, GError **error)
{
	sqlite3_stmt *stmt;
	int version = 0;

	ferry_sqlite_create_private(self->db_path);
	if (sqlite3_open_v2(self->db_path, &self->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot open the state database %s: %s; check --state", self->db_path,
			    self->db != NULL ? sqlite3_errmsg(self->db) : "out of memory");
		return FALSE;
	}
	sqlite3_busy_timeout(self->db, 30000);
	if (!engine_exec(self,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "PRAGMA foreign_keys=ON;"
			 "CREATE TABLE IF NOT EXISTS engine_meta(key TEXT PRIMARY KEY, value TEXT);",
			 error))
		return FALSE;
	stmt = engine_prepare(self, "SELECT value FROM engine_meta WHERE key = 'schema_version'",
			      error);
	if (stmt == NULL)
		return FALSE;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version > ENGINE_SCHEMA_VERSION) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "the state database %s was written by a newer Ferry (engine schema "
			    "%d); upgrade Ferry",
			    self->db_path, version);
		return FALSE;
	}
	if (version < 1 &&
	    !engine_exec(self,
			 "BEGIN IMMEDIATE;"
			 "CREATE TABLE engine_migrations("
			 "  uid TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
			 "  plan_namespace TEXT NOT NULL, plan_name TEXT NOT NULL,"
			 "  phase TEXT NOT NULL, started TEXT, completed TEXT,"
			 "  migration TEXT NOT NULL, context TEXT NOT NULL);"
			 "CREATE INDEX engine_migrations_plan ON engine_migrations(plan_namespace, "
			 "plan_name);"
			 "CREATE TABLE engine_vms("
			 "  migration_uid TEXT NOT NULL REFERENCES engine_migrations(uid) ON DELETE "
			 "CASCADE,"
			 "  vm_index INTEGER NOT NULL, vm_id TEXT NOT NULL,"
			 "  phase TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
			 "  status TEXT NOT NULL, state TEXT NOT NULL,"
			 "  PRIMARY KEY (migration_uid, vm_id));"
			 "CREATE TABLE engine_ledger("
			 "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
			 "  migration_uid TEXT NOT NULL, vm_id TEXT NOT NULL,"
			 "  side TEXT NOT NULL CHECK (side IN ('source','destination','local')),"
			 "  kind TEXT NOT NULL, artifact_id TEXT NOT NULL, details TEXT NOT NULL,"
			 "  state TEXT NOT NULL CHECK (state IN ('intent','created')),"
			 "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ')));"
			 "INSERT OR REPLACE INTO engine_meta VALUES ('schema_version', '1');"
			 "COMMIT;",
			 error)) {
		engine_exec(self, "ROLLBACK;", NULL);
		return FALSE;
	}
	return TRUE;
}

/* --- loading and saving --- */

static EngineMigration *
engine_load_migration_row(FerryEngine *self, sqlite3_stmt *stmt, GError **error)
{
	EngineMigration *m = g_new0(EngineMigration, 1);
	sqlite3_stmt *vms;

	m->vms = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_engine_vm_free);
	m->uid = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	m->seq = sqlite3_column_int64(stmt, 1);
	m->plan_namespace = g_strdup((const char *)sqlite3_column_text(stmt, 2));
	m->plan_name = g_strdup((const char *)sqlite3_column_text(stmt, 3));
	m->phase = g_strdup((const char *)sqlite3_column_text(stmt, 4));
	m->migration = ferry_json_from_string((const char *)sqlite3_column_text(stmt, 5), error);
	m->context = m->migration != NULL
			 ? ferry_json_from_string((const char *)sqlite3_column_text(stmt, 6), error)
			 : NULL;
	if (m->context == NULL) {
		g_prefix_error(error, "migration %s: ", m->uid);
		engine_migration_free(m);
		return NULL;
	}
	vms = engine_prepare(self,
			     "SELECT vm_index, vm_id, done, status, state FROM engine_vms WHERE "
			     "migration_uid = ?1 ORDER BY vm_index",
			     error);
	if (vms == NULL) {
		engine_migration_free(m);
		return NULL;
	}
	sqlite3_bind_text(vms, 1, m->uid, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(vms) == SQLITE_ROW) {
		FerryEngineVm *vm = g_new0(FerryEngineVm, 1);
		vm->migration_uid = g_strdup(m->uid);
		vm->index = sqlite3_column_int(vms, 0);
		vm->vm_id = g_strdup((const char *)sqlite3_column_text(vms, 1));
		vm->done = sqlite3_column_int(vms, 2) != 0;
		vm->status = ferry_json_from_string((const char *)sqlite3_column_text(vms, 3), NULL);
		vm->state = ferry_json_from_string((const char *)sqlite3_column_text(vms, 4), NULL);
		if (vm->status == NULL || vm->state == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "migration %s: the stored state of VM %s is damaged", m->uid,
				    vm->vm_id);
			ferry_engine_vm_free(vm);
			sqlite3_finalize(vms);
			engine_migration_free(m);
			return NULL;
		}
		g_ptr_array_add(m->vms, vm);
	}
	sqlite3_finalize(vms);
	return m;
}

gboolean
engine_load(FerryEngine *self, GError **error)
{
	sqlite3_stmt *stmt;
	if (self->loaded)
		return TRUE;
	stmt = engine_prepare(self,
			      "SELECT uid, seq, plan_namespace, plan_name, phase, migration, context "
			      "FROM engine_migrations WHERE phase = 'Running' ORDER BY seq",
			      error);
	if (stmt == NULL)
		return FALSE;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		EngineMigration *m = engine_load_migration_row(self, stmt, error);
		if (m == NULL) {
			sqlite3_finalize(stmt);
			return FALSE;
		}
		g_hash_table_replace(self->migrations, m->uid, m);
	}
	sqlite3_finalize(stmt);
	self->loaded = TRUE;
	return TRUE;
}

gboolean
engine_save_vm(FerryEngine *self, FerryEngineVm *vm, GError **error)
{
	g_autofree char *status = ferry_json_to_string(vm->status);
	g_autofree char *state = ferry_json_to_string(vm->state);
	sqlite3_stmt *stmt = engine_prepare(self,
					    "UPDATE engine_vms SET phase = ?3, done = ?4, status = "
					    "?5, state = ?6 WHERE migration_uid = ?1 AND vm_id = ?2",
					    error);
	gboolean ok;
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, vm->migration_uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, vm->vm_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, ferry_json_path_string(vm->status, "phase", "Pending"), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 4, vm->done ? 1 : 0);
	sqlite3_bind_text(stmt, 5, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 6, state, -1, SQLITE_TRANSIENT);
	ok = sqlite3_step(stmt) == SQLITE_DONE;
	sqlite3_finalize(stmt);
	if (!ok)
		return engine_sql_error(self, "saving VM status", error);
	vm->dirty = FALSE;
	vm->persisted_at = g_get_monotonic_time();
	g_signal_emit_by_name(self, "vm-changed", vm->migration_uid, vm->vm_id, vm->status);
	return TRUE;
}

gboolean
engine_save_migration(FerryEngine *self, EngineMigration *m, GError **error)
{
	g_autofree char *migration = ferry_json_to_string(m->migration);
	g_autofree char *now = ferry_engine_timestamp_now();
	sqlite3_stmt *stmt = engine_prepare(
	    self,
	    "UPDATE engine_migrations SET phase = ?2, migration = ?3, completed = CASE WHEN ?2 "
	    "= 'Running' THEN NULL ELSE coalesce(completed, ?4) END WHERE uid = ?1",
	    error);
	gboolean ok;
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, m->uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, m->phase, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, migration, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 4, now, -1, SQLITE_TRANSIENT);
	ok = sqlite3_step(stmt) == SQLITE_DONE;
	sqlite3_finalize(stmt);
	if (!ok)
		return engine_sql_error(self, "saving a migration", error);
	m->dirty = FALSE;
	g_signal_emit_by_name(self, "migration-changed", m->uid, m->phase);
	return TRUE;
}

/* the Migration as stored: `ferry plan cancel` and `ferry plan cutover` from
 * another process change it while this one runs */
void
engine_reload_migration(FerryEngine *self, EngineMigration *m)
{
	sqlite3_stmt *stmt =
	    engine_prepare(self, "SELECT migration FROM engine_migrations WHERE uid = ?1", NULL);
	if (stmt == NULL)
		return;
	sqlite3_bind_text(stmt, 1, m->uid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		JsonObject *stored =
		    ferry_json_from_string((const char *)sqlite3_column_text(stmt, 0), NULL);
		if (stored != NULL) {
			json_object_unref(m->migration);
			m->migration = stored;
		}
	}
	sqlite3_finalize(stmt);
}

EngineMigration *
engine_get_migration(FerryEngine *self, const char *uid, GError **error)
{
	EngineMigration *m;
	sqlite3_stmt *stmt;

	if (!engine_load(self, error))
		return NULL;
	m = g_hash_table_lookup(self->migrations, uid);
	if (m != NULL)
		return m;
	stmt = engine_prepare(self,
			      "SELECT uid, seq, plan_namespace, plan_name, phase, migration, context "
			      "FROM engine_migrations WHERE uid = ?1",
			      error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		m = engine_load_migration_row(self, stmt, error);
	else
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "no migration %s", uid);
	sqlite3_finalize(stmt);
	if (m != NULL)
		g_hash_table_replace(self->migrations, m->uid, m);
	return m;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-inventory.h"
#include "ferry-sqlite-private.h"
#include "ferry-inventory-facts-private.h"
#include "ferry-query-private.h"
#include "ferry-rules-validator-private.h"
#include "ferry-workload-private.h"

/**
 * FerryInventory:
 *
 * What providers discover about their platforms, kept in SQLite: objects of
 * any kind (`vm`, `host`, `cluster`, `network`, `datastore`, `disk`, …) as
 * JSON documents with an id, a name, a parent and a revision that goes up
 * whenever the document changes.
 *
 * Collectors write in updates: ferry_inventory_begin_update(), any number of
 * ferry_inventory_upsert() and ferry_inventory_remove(), then
 * ferry_inventory_commit_update(). An update is one transaction. A *full*
 * update replaces everything the provider had: objects it did not mention
 * are deleted, and the provider reaches parity (its first full load is done).
 *
 * All methods are safe to call from any thread; an update belongs to the
 * thread that began it.
 *
 * Since: 0.1
 */

#define INVENTORY_SCHEMA_VERSION 3

struct _FerryInventory {
	GObject parent_instance;
	char *path;
	sqlite3 *db;
	GRecMutex lock;
	/* the update under way, if any */
	GThread *update_thread;
	char *update_provider;
	gboolean update_full;
	gint64 update_serial;
	guint update_changes;
	GHashTable *update_paths; /* "kind\x1ftype\x1fpath" of the array and object paths seen */
	FerryFacts *facts;
	sqlite3_stmt *upsert;
};

enum { SIGNAL_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

G_DEFINE_TYPE(FerryInventory, ferry_inventory, G_TYPE_OBJECT)

static gboolean
ferry_inventory_exec(FerryInventory *self, const char *sql, GError **error)
{
	char *message = NULL;
	if (sqlite3_exec(self->db, sql, NULL, NULL, &message) != SQLITE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "inventory database %s: %s",
			    self->path, message != NULL ? message : sqlite3_errmsg(self->db));
		sqlite3_free(message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_inventory_set_sqlite_error(FerryInventory *self, GError **error, const char *what)
{
	return ferry_sqlite_set_error(self->db, "inventory database", self->path, what, error);
}

static void
ferry_inventory_finalize(GObject *object)
{
	FerryInventory *self = FERRY_INVENTORY(object);
	if (self->update_thread != NULL)
		g_warning("inventory %s finalized during an update; rolled back", self->path);
	if (self->db != NULL)
		sqlite3_close_v2(self->db);
	g_rec_mutex_clear(&self->lock);
	g_free(self->update_provider);
	g_clear_pointer(&self->update_paths, g_hash_table_unref);
	g_clear_pointer(&self->facts, ferry_facts_free);
	sqlite3_finalize(self->upsert);
	g_free(self->path);
	G_OBJECT_CLASS(ferry_inventory_parent_class)->finalize(object);
}

static void
ferry_inventory_class_init(FerryInventoryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_inventory_finalize;

	/**
	 * FerryInventory::changed:
	 * @self: the #FerryInventory
	 * @provider: the provider whose objects changed
	 * @count: how many objects were added, changed or removed
	 *
	 * Emitted after an update that changed something was committed, in the
	 * thread that committed it.
	 *
	 * Since: 0.1
	 */
	signals[SIGNAL_CHANGED] =
		g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
}

static void
ferry_inventory_init(FerryInventory *self)
{
	g_rec_mutex_init(&self->lock);
}

static gboolean ferry_inventory_store_paths(FerryInventory *self, const char *provider,
					    GHashTable *paths, GError **error);

/* the facts and the path catalogue of every object, when upgrading */
static gboolean
ferry_inventory_rebuild_facts(FerryInventory *self, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(self->db,
			       "SELECT rowid, provider, kind, document FROM inventory_objects "
			       "ORDER BY provider",
			       -1, &stmt, NULL) != SQLITE_OK)
		return ferry_inventory_set_sqlite_error(self, error, "upgrading the inventory");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		g_autoptr(GHashTable) paths =
			g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_autoptr(JsonNode) node =
			json_from_string((const char *)sqlite3_column_text(stmt, 3), NULL);
		if (node == NULL)
			continue;
		if (!ferry_facts_store(self->facts, (const char *)sqlite3_column_text(stmt, 2),
				       sqlite3_column_int64(stmt, 0), node, paths, error) ||
		    !ferry_inventory_store_paths(self, (const char *)sqlite3_column_text(stmt, 1),
						 paths, error)) {
			sqlite3_finalize(stmt);
			return FALSE;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return ferry_inventory_set_sqlite_error(self, error, "upgrading the inventory");
	return TRUE;
}

/* drops the facts tables, their triggers and their registry */
static gboolean
ferry_inventory_drop_facts(FerryInventory *self, GError **error)
{
	g_autoptr(GString) sql = g_string_new(NULL);
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(self->db, "SELECT name FROM inventory_fact_tables", -1, &stmt,
			       NULL) != SQLITE_OK)
		return ferry_inventory_set_sqlite_error(self, error, "upgrading the inventory");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);
		g_string_append_printf(
			sql, "DROP TRIGGER IF EXISTS \"%s_gone\"; DROP TABLE \"%s\";", name, name);
	}
	sqlite3_finalize(stmt);
	g_string_append(sql,
			"DROP TABLE inventory_fact_tables; DROP TABLE inventory_fact_columns;");
	return ferry_inventory_exec(self, sql->str, error);
}

static gboolean
ferry_inventory_setup(FerryInventory *self, GError **error)
{
	int version = 0;
	sqlite3_stmt *stmt = NULL;

	if (!ferry_query_register_sql_functions(self->db, error))
		return FALSE;
	if (!ferry_inventory_exec(self,
				  "PRAGMA journal_mode=WAL;"
				  "PRAGMA synchronous=NORMAL;"
				  "PRAGMA foreign_keys=ON;"
				  "PRAGMA mmap_size=1073741824;"
				  "PRAGMA cache_size=-65536;"
				  "CREATE TABLE IF NOT EXISTS inventory_meta("
				  "  key TEXT PRIMARY KEY, value TEXT NOT NULL);",
				  error))
		return FALSE;
	if (sqlite3_prepare_v2(self->db,
			       "SELECT value FROM inventory_meta WHERE key = 'schema_version'", -1,
			       &stmt, NULL) != SQLITE_OK)
		return ferry_inventory_set_sqlite_error(self, error, "reading the schema version");
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);

	if (version > INVENTORY_SCHEMA_VERSION) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "inventory database %s has schema version %d, newer than this Ferry "
			    "understands (%d); upgrade Ferry or use another --state directory",
			    self->path, version, INVENTORY_SCHEMA_VERSION);
		return FALSE;
	}
	if (version < 1) {
		g_autofree char *sql = g_strconcat(
			"BEGIN;"
			"CREATE TABLE inventory_providers("
			"  provider TEXT PRIMARY KEY,"
			"  parity INTEGER NOT NULL DEFAULT 0,"
			"  load_serial INTEGER NOT NULL DEFAULT 0,"
			"  updated TEXT);"
			"CREATE TABLE inventory_objects("
			"  provider TEXT NOT NULL,"
			"  kind TEXT NOT NULL,"
			"  id TEXT NOT NULL,"
			"  name TEXT,"
			"  parent TEXT,"
			"  revision INTEGER NOT NULL DEFAULT 1,"
			"  load_serial INTEGER NOT NULL DEFAULT 0,"
			"  document TEXT NOT NULL,"
			"  PRIMARY KEY (provider, kind, id));"
			/* with id, the index answers queries on names alone */
			"CREATE INDEX inventory_objects_name ON inventory_objects(provider, kind, "
			"name, id);"
			"CREATE INDEX inventory_objects_parent ON inventory_objects(provider, "
			"parent);"
			"CREATE TABLE inventory_paths("
			"  provider TEXT NOT NULL,"
			"  kind TEXT NOT NULL,"
			"  type TEXT NOT NULL,"
			"  path TEXT NOT NULL,"
			"  PRIMARY KEY (provider, kind, type, path)) WITHOUT ROWID;"
			/* keyed by the object's rowid: queries read counts for every row */
			"CREATE TABLE inventory_concerns("
			"  obj INTEGER PRIMARY KEY,"
			"  revision INTEGER NOT NULL,"
			"  policy TEXT NOT NULL,"
			"  critical INTEGER NOT NULL,"
			"  warning INTEGER NOT NULL,"
			"  information INTEGER NOT NULL,"
			"  concerns TEXT NOT NULL);"
			"CREATE TRIGGER inventory_concerns_gone AFTER DELETE ON inventory_objects "
			"FOR EACH ROW BEGIN DELETE FROM inventory_concerns WHERE obj = old.rowid; "
			"END;",
			ferry_facts_get_schema(),
			"INSERT OR REPLACE INTO inventory_meta VALUES ('schema_version', '3');"
			"COMMIT;",
			NULL);
		if (!ferry_inventory_exec(self, sql, error)) {
			ferry_inventory_exec(self, "ROLLBACK;", NULL);
			return FALSE;
		}
	} else if (version < 2) {
		/* version 1 checked every document with json_valid(), which Ferry
		 * never needs, and had no catalogue, concerns or facts */
		g_autofree char *sql = g_strconcat(
			"BEGIN;"
			"ALTER TABLE inventory_objects RENAME TO inventory_objects_v1;"
			"DROP INDEX inventory_objects_name;"
			"DROP INDEX inventory_objects_parent;"
			"CREATE TABLE inventory_objects("
			"  provider TEXT NOT NULL,"
			"  kind TEXT NOT NULL,"
			"  id TEXT NOT NULL,"
			"  name TEXT,"
			"  parent TEXT,"
			"  revision INTEGER NOT NULL DEFAULT 1,"
			"  load_serial INTEGER NOT NULL DEFAULT 0,"
			"  document TEXT NOT NULL,"
			"  PRIMARY KEY (provider, kind, id));"
			/* with id, the index answers queries on names alone */
			"CREATE INDEX inventory_objects_name ON inventory_objects(provider, kind, "
			"name, id);"
			"CREATE INDEX inventory_objects_parent ON inventory_objects(provider, "
			"parent);"
			"INSERT INTO inventory_objects(rowid, provider, kind, id, name, parent, "
			"revision, load_serial, document) SELECT rowid, provider, kind, id, name, "
			"parent, revision, load_serial, document FROM inventory_objects_v1;"
			"DROP TABLE inventory_objects_v1;"
			"CREATE TABLE inventory_paths("
			"  provider TEXT NOT NULL,"
			"  kind TEXT NOT NULL,"
			"  type TEXT NOT NULL,"
			"  path TEXT NOT NULL,"
			"  PRIMARY KEY (provider, kind, type, path)) WITHOUT ROWID;"
			/* keyed by the object's rowid: queries read counts for every row */
			"CREATE TABLE inventory_concerns("
			"  obj INTEGER PRIMARY KEY,"
			"  revision INTEGER NOT NULL,"
			"  policy TEXT NOT NULL,"
			"  critical INTEGER NOT NULL,"
			"  warning INTEGER NOT NULL,"
			"  information INTEGER NOT NULL,"
			"  concerns TEXT NOT NULL);"
			"CREATE TRIGGER inventory_concerns_gone AFTER DELETE ON inventory_objects "
			"FOR EACH ROW BEGIN DELETE FROM inventory_concerns WHERE obj = old.rowid; "
			"END;",
			ferry_facts_get_schema(),
			"INSERT OR REPLACE INTO inventory_meta VALUES ('schema_version', '3');",
			NULL);
		ferry_facts_reload(self->facts);
		if (!ferry_inventory_exec(self, sql, error) ||
		    !ferry_inventory_rebuild_facts(self, error) ||
		    !ferry_inventory_exec(self, "COMMIT;", error)) {
			ferry_inventory_exec(self, "ROLLBACK;", NULL);
			return FALSE;
		}
	} else if (version < 3) {
		/* version 2 had no facts of array elements: the facts, which are
		 * derived from the documents, are made again */
		gboolean ok;
		if (!ferry_inventory_exec(self, "BEGIN;", error))
			return FALSE;
		ok = ferry_inventory_drop_facts(self, error) &&
		     ferry_inventory_exec(self, ferry_facts_get_schema(), error) &&
		     ferry_inventory_exec(self,
					  "INSERT OR REPLACE INTO inventory_meta VALUES "
					  "('schema_version', '3');",
					  error);
		ferry_facts_reload(self->facts);
		if (!ok || !ferry_inventory_rebuild_facts(self, error) ||
		    !ferry_inventory_exec(self, "COMMIT;", error)) {
			ferry_inventory_exec(self, "ROLLBACK;", NULL);
			ferry_facts_reload(self->facts);
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * ferry_inventory_new:
 * @path: (nullable): the SQLite database file (created when missing), or
 *   %NULL for a private in-memory database
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new inventory, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryInventory *
ferry_inventory_new(const char *path, GError **error)
{
	g_autoptr(FerryInventory) self = g_object_new(FERRY_TYPE_INVENTORY, NULL);
	int rc;

	self->path = g_strdup(path != NULL ? path : ":memory:");
	ferry_sqlite_create_private(self->path);
	rc = sqlite3_open_v2(self->path, &self->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot open inventory database %s: %s", self->path,
			    self->db != NULL ? sqlite3_errmsg(self->db) : sqlite3_errstr(rc));
		return NULL;
	}
	sqlite3_busy_timeout(self->db, 10000);
	self->facts = ferry_facts_new(self->db, NULL);
	if (!ferry_inventory_setup(self, error))
		return NULL;
	ferry_facts_reload(self->facts);
	return g_steal_pointer(&self);
}

/**
 * ferry_inventory_get_path:
 * @self: a #FerryInventory
 *
 * Returns: (transfer none): the database path, or `:memory:`
 *
 * Since: 0.1
 */
const char *
ferry_inventory_get_path(FerryInventory *self)
{
	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	return self->path;
}

static gboolean
ferry_inventory_check_update(FerryInventory *self, GError **error)
{
	if (self->update_thread != g_thread_self()) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "no inventory update under way in this thread; call "
				    "ferry_inventory_begin_update() first");
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_inventory_begin_update:
 * @self: a #FerryInventory
 * @provider: the provider the objects belong to (its uid or name)
 * @full: whether this update is a complete load that replaces everything
 * @error: return location for a #GError
 *
 * Starts an update. Other threads wait until it is committed or aborted.
 *
 * Returns: %TRUE when the update started
 *
 * Since: 0.1
 */
gboolean
ferry_inventory_begin_update(FerryInventory *self, const char *provider, gboolean full,
			     GError **error)
{
	sqlite3_stmt *stmt = NULL;
	gint64 serial = 0;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), FALSE);
	g_return_val_if_fail(provider != NULL, FALSE);

	g_rec_mutex_lock(&self->lock);
	if (self->update_thread == g_thread_self()) {
		g_rec_mutex_unlock(&self->lock);
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "an inventory update is already under way in this thread");
		return FALSE;
	}
	if (!ferry_inventory_exec(self, "BEGIN IMMEDIATE;", error)) {
		g_rec_mutex_unlock(&self->lock);
		return FALSE;
	}
	if (sqlite3_prepare_v2(self->db,
			       "INSERT INTO inventory_providers(provider) VALUES (?1) "
			       "ON CONFLICT(provider) DO UPDATE SET load_serial = load_serial "
			       "RETURNING load_serial",
			       -1, &stmt, NULL) != SQLITE_OK) {
		ferry_inventory_set_sqlite_error(self, error, "starting an update");
		ferry_inventory_exec(self, "ROLLBACK;", NULL);
		g_rec_mutex_unlock(&self->lock);
		return FALSE;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		serial = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);

	self->update_thread = g_thread_self();
	g_free(self->update_provider);
	self->update_provider = g_strdup(provider);
	self->update_full = full;
	self->update_serial = serial + 1;
	self->update_changes = 0;
	g_clear_pointer(&self->update_paths, g_hash_table_unref);
	self->update_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* the lock stays held until commit or abort */
	return TRUE;
}

/**
 * ferry_inventory_upsert:
 * @self: a #FerryInventory
 * @kind: the object kind, e.g. `vm`
 * @id: the provider's id of the object
 * @name: (nullable): its name
 * @parent: (nullable): the id of its parent (folder, cluster, …)
 * @document: the whole object, with Forklift's field names
 * @error: return location for a #GError
 *
 * Adds or replaces an object in the update under way. The revision goes up
 * only when the stored document actually changes.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_inventory_upsert(FerryInventory *self, const char *kind, const char *id, const char *name,
		       const char *parent, JsonObject *document, GError **error)
{
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	gint64 rowid = 0;
	int rc;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), FALSE);
	g_return_val_if_fail(kind != NULL && id != NULL, FALSE);
	g_return_val_if_fail(document != NULL, FALSE);

	if (!ferry_inventory_check_update(self, error))
		return FALSE;
	node = json_node_init_object(json_node_alloc(), document);
	text = json_to_string(node, FALSE);
	if (self->upsert == NULL &&
	    sqlite3_prepare_v3(
		    self->db,
		    "INSERT INTO inventory_objects(provider, kind, id, name, parent, document, "
		    "load_serial) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		    "ON CONFLICT(provider, kind, id) DO UPDATE SET "
		    "  revision = revision + (document IS NOT excluded.document OR name IS NOT "
		    "excluded.name OR parent IS NOT excluded.parent),"
		    "  name = excluded.name, parent = excluded.parent, document = "
		    "excluded.document,"
		    "  load_serial = excluded.load_serial "
		    "RETURNING rowid",
		    -1, SQLITE_PREPARE_PERSISTENT, &self->upsert, NULL) != SQLITE_OK)
		return ferry_inventory_set_sqlite_error(self, error, "storing an object");
	sqlite3_bind_text(self->upsert, 1, self->update_provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(self->upsert, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(self->upsert, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(self->upsert, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(self->upsert, 5, parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(self->upsert, 6, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(self->upsert, 7, self->update_serial);
	rc = sqlite3_step(self->upsert);
	if (rc == SQLITE_ROW) {
		rowid = sqlite3_column_int64(self->upsert, 0);
		rc = sqlite3_step(self->upsert);
	}
	sqlite3_reset(self->upsert);
	sqlite3_clear_bindings(self->upsert);
	if (rc != SQLITE_DONE) {
		g_autofree char *what = g_strdup_printf("storing %s %s", kind, id);
		return ferry_inventory_set_sqlite_error(self, error, what);
	}
	if (!ferry_facts_store(self->facts, kind, rowid, node, self->update_paths, error))
		return FALSE;
	self->update_changes++;
	return TRUE;
}

/**
 * ferry_inventory_remove:
 * @self: a #FerryInventory
 * @kind: the object kind
 * @id: the object id
 * @error: return location for a #GError
 *
 * Removes an object in the update under way; removing a missing object is
 * not an error.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_inventory_remove(FerryInventory *self, const char *kind, const char *id, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), FALSE);
	g_return_val_if_fail(kind != NULL && id != NULL, FALSE);
	if (!ferry_inventory_check_update(self, error))
		return FALSE;
	if (sqlite3_prepare_v2(self->db,
			       "DELETE FROM inventory_objects WHERE provider = ?1 AND kind = ?2 "
			       "AND id = ?3",
			       -1, &stmt, NULL) != SQLITE_OK)
		return ferry_inventory_set_sqlite_error(self, error, "removing an object");
	sqlite3_bind_text(stmt, 1, self->update_provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return ferry_inventory_set_sqlite_error(self, error, "removing an object");
	self->update_changes += sqlite3_changes(self->db);
	return TRUE;
}

static void
ferry_inventory_end_update(FerryInventory *self)
{
	self->update_thread = NULL;
	g_clear_pointer(&self->update_provider, g_free);
	g_clear_pointer(&self->update_paths, g_hash_table_unref);
	g_rec_mutex_unlock(&self->lock);
}

/* adds "kind\x1ftype\x1fpath" entries to the catalogue of paths */
static gboolean
ferry_inventory_store_paths(FerryInventory *self, const char *provider, GHashTable *paths,
			    GError **error)
{
	sqlite3_stmt *stmt = NULL;
	GHashTableIter iter;
	const char *entry;

	if (sqlite3_prepare_v2(self->db,
			       "INSERT OR IGNORE INTO inventory_paths(provider, kind, type, path) "
			       "VALUES (?1, ?2, ?3, ?4)",
			       -1, &stmt, NULL) != SQLITE_OK)
		return ferry_inventory_set_sqlite_error(self, error, "storing the path catalogue");
	g_hash_table_iter_init(&iter, paths);
	while (g_hash_table_iter_next(&iter, (gpointer *)&entry, NULL)) {
		g_auto(GStrv) parts = g_strsplit(entry, "\x1f", 3);
		int rc;
		sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, parts[0], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, parts[1], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, parts[2], -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
		sqlite3_reset(stmt);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(stmt);
			return ferry_inventory_set_sqlite_error(self, error,
								"storing the path catalogue");
		}
	}
	sqlite3_finalize(stmt);
	return TRUE;
}

/* the statements of a commit: removing what a full load did not mention,
 * the provider's state, the catalogue of array paths, COMMIT */
static gboolean
ferry_inventory_finish_update(FerryInventory *self, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (self->update_full) {
		if (sqlite3_prepare_v2(self->db,
				       "DELETE FROM inventory_objects WHERE provider = ?1 AND "
				       "load_serial != ?2",
				       -1, &stmt, NULL) != SQLITE_OK)
			return ferry_inventory_set_sqlite_error(self, error,
								"committing an update");
		sqlite3_bind_text(stmt, 1, self->update_provider, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, self->update_serial);
		rc = sqlite3_step(stmt);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_DONE)
			return ferry_inventory_set_sqlite_error(self, error,
								"committing an update");
		self->update_changes += sqlite3_changes(self->db);
	}
	if (sqlite3_prepare_v2(self->db,
			       "UPDATE inventory_providers SET load_serial = ?2, "
			       "parity = parity OR ?3, updated = strftime('%Y-%m-%dT%H:%M:%SZ') "
			       "WHERE provider = ?1",
			       -1, &stmt, NULL) != SQLITE_OK)
		return ferry_inventory_set_sqlite_error(self, error, "committing an update");
	sqlite3_bind_text(stmt, 1, self->update_provider, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, self->update_serial);
	sqlite3_bind_int(stmt, 3, self->update_full ? 1 : 0);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return ferry_inventory_set_sqlite_error(self, error, "committing an update");

	if (!ferry_inventory_store_paths(self, self->update_provider, self->update_paths, error))
		return FALSE;
	return ferry_inventory_exec(self, "COMMIT;", error);
}

/**
 * ferry_inventory_commit_update:
 * @self: a #FerryInventory
 * @error: return location for a #GError
 *
 * Commits the update under way. For a full update, objects of the provider
 * that the update did not mention are removed and the provider has parity.
 * On failure the update is rolled back.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_inventory_commit_update(FerryInventory *self, GError **error)
{
	g_autofree char *provider = NULL;
	guint changes;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), FALSE);
	if (!ferry_inventory_check_update(self, error))
		return FALSE;
	if (!ferry_inventory_finish_update(self, error)) {
		ferry_inventory_abort_update(self);
		return FALSE;
	}
	provider = g_steal_pointer(&self->update_provider);
	changes = self->update_changes;
	ferry_inventory_end_update(self);
	if (changes > 0)
		g_signal_emit(self, signals[SIGNAL_CHANGED], 0, provider, changes);
	return TRUE;
}

/**
 * ferry_inventory_abort_update:
 * @self: a #FerryInventory
 *
 * Rolls back the update under way in this thread, if any.
 *
 * Since: 0.1
 */
void
ferry_inventory_abort_update(FerryInventory *self)
{
	g_return_if_fail(FERRY_IS_INVENTORY(self));
	if (self->update_thread != g_thread_self())
		return;
	ferry_inventory_exec(self, "ROLLBACK;", NULL);
	/* the facts tables and columns the update made are gone */
	ferry_facts_reload(self->facts);
	ferry_inventory_end_update(self);
}

static JsonObject *
ferry_inventory_parse_document(const char *text, GError **error)
{
	g_autoptr(JsonNode) node = json_from_string(text, error);
	if (node == NULL)
		return NULL;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "stored inventory document is not a JSON object");
		return NULL;
	}
	return json_object_ref(json_node_get_object(node));
}

static JsonObject *
ferry_inventory_get_one(FerryInventory *self, const char *sql, const char *provider,
			const char *kind, const char *key, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	JsonObject *result = NULL;
	int rc;

	g_rec_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		ferry_inventory_set_sqlite_error(self, error, "reading an object");
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		result = ferry_inventory_parse_document((const char *)sqlite3_column_text(stmt, 0),
							error);
		if (result == NULL)
			ferry_error_convert(error);
	} else if (rc == SQLITE_DONE) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s '%s' not found in the inventory of provider '%s'", kind, key,
			    provider);
	} else {
		ferry_inventory_set_sqlite_error(self, error, "reading an object");
	}
	sqlite3_finalize(stmt);
	g_rec_mutex_unlock(&self->lock);
	return result;
}

/**
 * ferry_inventory_get:
 * @self: a #FerryInventory
 * @provider: the provider
 * @kind: the object kind
 * @id: the object id
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the document, or %NULL with
 *   %FERRY_ERROR_NOT_FOUND
 *
 * Since: 0.1
 */
JsonObject *
ferry_inventory_get(FerryInventory *self, const char *provider, const char *kind, const char *id,
		    GError **error)
{
	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	g_return_val_if_fail(provider != NULL && kind != NULL && id != NULL, NULL);
	return ferry_inventory_get_one(self,
				       "SELECT document FROM inventory_objects WHERE provider = ?1 "
				       "AND kind = ?2 AND id = ?3",
				       provider, kind, id, error);
}

/**
 * ferry_inventory_find_by_name:
 * @self: a #FerryInventory
 * @provider: the provider
 * @kind: the object kind
 * @name: the object name
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the first document with that name (by id), or
 *   %NULL with %FERRY_ERROR_NOT_FOUND
 *
 * Since: 0.1
 */
JsonObject *
ferry_inventory_find_by_name(FerryInventory *self, const char *provider, const char *kind,
			     const char *name, GError **error)
{
	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	g_return_val_if_fail(provider != NULL && kind != NULL && name != NULL, NULL);
	return ferry_inventory_get_one(self,
				       "SELECT document FROM inventory_objects WHERE provider = ?1 "
				       "AND kind = ?2 AND name = ?3 ORDER BY id LIMIT 1",
				       provider, kind, name, error);
}

/**
 * ferry_inventory_list:
 * @self: a #FerryInventory
 * @provider: the provider
 * @kind: the object kind
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type Json.Object): the documents of that
 *   kind, ordered by name then id
 *
 * Since: 0.1
 */
GPtrArray *
ferry_inventory_list(FerryInventory *self, const char *provider, const char *kind, GError **error)
{
	g_autoptr(GPtrArray) result =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	sqlite3_stmt *stmt = NULL;
	int rc;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	g_return_val_if_fail(provider != NULL && kind != NULL, NULL);

	g_rec_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(self->db,
			       "SELECT document FROM inventory_objects WHERE provider = ?1 AND "
			       "kind = ?2 ORDER BY name, id",
			       -1, &stmt, NULL) != SQLITE_OK) {
		ferry_inventory_set_sqlite_error(self, error, "listing objects");
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		JsonObject *document = ferry_inventory_parse_document(
			(const char *)sqlite3_column_text(stmt, 0), error);
		if (document == NULL) {
			ferry_error_convert(error);
			sqlite3_finalize(stmt);
			g_rec_mutex_unlock(&self->lock);
			return NULL;
		}
		g_ptr_array_add(result, document);
	}
	if (rc != SQLITE_DONE) {
		ferry_inventory_set_sqlite_error(self, error, "listing objects");
		sqlite3_finalize(stmt);
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_finalize(stmt);
	g_rec_mutex_unlock(&self->lock);
	return g_steal_pointer(&result);
}

/**
 * ferry_inventory_get_revision:
 * @self: a #FerryInventory
 * @provider: the provider
 * @kind: the object kind
 * @id: the object id
 *
 * Returns: the revision of the object, or 0 when it does not exist
 *
 * Since: 0.1
 */
gint64
ferry_inventory_get_revision(FerryInventory *self, const char *provider, const char *kind,
			     const char *id)
{
	sqlite3_stmt *stmt = NULL;
	gint64 revision = 0;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), 0);
	g_rec_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(self->db,
			       "SELECT revision FROM inventory_objects WHERE provider = ?1 AND "
			       "kind = ?2 AND id = ?3",
			       -1, &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 3, id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			revision = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	g_rec_mutex_unlock(&self->lock);
	return revision;
}

/**
 * ferry_inventory_has_parity:
 * @self: a #FerryInventory
 * @provider: the provider
 *
 * Returns: whether a full load of @provider has been committed
 *
 * Since: 0.1
 */
gboolean
ferry_inventory_has_parity(FerryInventory *self, const char *provider)
{
	sqlite3_stmt *stmt = NULL;
	gboolean parity = FALSE;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), FALSE);
	g_rec_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(self->db,
			       "SELECT parity FROM inventory_providers WHERE provider = ?1", -1,
			       &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			parity = sqlite3_column_int(stmt, 0) != 0;
	}
	sqlite3_finalize(stmt);
	g_rec_mutex_unlock(&self->lock);
	return parity;
}

/**
 * ferry_inventory_clear:
 * @self: a #FerryInventory
 * @provider: the provider
 * @error: return location for a #GError
 *
 * Removes every object of @provider and its parity, for a deleted provider.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_inventory_clear(FerryInventory *self, const char *provider, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	gboolean ok = TRUE;
	guint changes;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), FALSE);
	g_return_val_if_fail(provider != NULL, FALSE);
	if (!ferry_inventory_begin_update(self, provider, FALSE, error))
		return FALSE;
	if (sqlite3_prepare_v2(self->db, "DELETE FROM inventory_objects WHERE provider = ?1; ", -1,
			       &stmt, NULL) != SQLITE_OK) {
		ferry_inventory_set_sqlite_error(self, error, "clearing a provider");
		ferry_inventory_abort_update(self);
		return FALSE;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		ok = ferry_inventory_set_sqlite_error(self, error, "clearing a provider");
	sqlite3_finalize(stmt);
	if (!ok) {
		ferry_inventory_abort_update(self);
		return FALSE;
	}
	changes = sqlite3_changes(self->db);
	if (sqlite3_prepare_v2(self->db, "DELETE FROM inventory_providers WHERE provider = ?1", -1,
			       &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
		sqlite3_step(stmt);
	}
	sqlite3_finalize(stmt);
	if (sqlite3_prepare_v2(self->db, "DELETE FROM inventory_paths WHERE provider = ?1", -1,
			       &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
		sqlite3_step(stmt);
	}
	sqlite3_finalize(stmt);
	if (!ferry_inventory_exec(self, "COMMIT;", error)) {
		ferry_inventory_abort_update(self);
		return FALSE;
	}
	ferry_inventory_end_update(self);
	if (changes > 0)
		g_signal_emit(self, signals[SIGNAL_CHANGED], 0, provider, changes);
	return TRUE;
}

/* -- queries -- */

/* the concerns of the row `o`: the validators' ones, else the document's */
#define CONCERNS_SQL                                                                               \
	"COALESCE((SELECT c.concerns FROM inventory_concerns AS c WHERE c.obj = o.rowid), "        \
	"o.document -> '$.concerns')"

/* the stored count of one category, else a count in the document's own concerns */
#define CONCERN_COUNT_SQL(column, category)                                                        \
	"COALESCE(@JOIN:k@." column ", "                                                           \
	"(SELECT count(*) FROM "                                                                   \
	"json_each(o.document -> '$.concerns') WHERE json_extract(value, '$.category') = "         \
	"'" category "'))"

/* the fields kubectl-mtv adds to inventory objects, computed in SQL; @FACT:p@
 * reads field p from the facts, or from the document */
static const struct {
	const char *name;
	const char *sql;
} computed_fields[] = {
	{"memoryGB", "round(COALESCE(ferry_num(@FACT:memoryMB@) / 1024.0, "
		     "ferry_num(@FACT:memory@) / 1073741824.0), 2)"},
	{"storageUsedGB", "round(ferry_num(@FACT:storageUsed@) / 1073741824.0, 2)"},
	{"diskCapacity", "SELECT sum(ferry_num(json_extract(value, '$.capacity'))) FROM "
			 "json_each(@DOC@, '$.disks') "
			 "WHERE typeof(key) = 'integer'"},
	{"criticalConcerns", CONCERN_COUNT_SQL("critical", "Critical")},
	{"warningConcerns", CONCERN_COUNT_SQL("warning", "Warning")},
	{"infoConcerns", CONCERN_COUNT_SQL("information", "Information")},
	{"concernsHuman",
	 CONCERN_COUNT_SQL("critical", "Critical") " || '/' || " CONCERN_COUNT_SQL(
		 "warning", "Warning") " || '/' || " CONCERN_COUNT_SQL("information",
								       "Information")},
	{"powerStateHuman",
	 "SELECT CASE state WHEN 'poweredOn' THEN 'On' WHEN 'poweredOff' THEN 'Off' "
	 "WHEN 'suspended' THEN 'Suspended' WHEN 'up' THEN 'On' WHEN 'down' THEN 'Off' "
	 "WHEN 'ACTIVE' THEN 'On' WHEN 'SHUTOFF' THEN 'Off' WHEN 'SUSPENDED' THEN 'Suspended' "
	 "WHEN 'PAUSED' THEN 'Paused' WHEN 'paused' THEN 'Paused' WHEN 'Running' THEN 'On' "
	 "WHEN 'Stopped' THEN 'Off' "
	 /* Nova's OS-EXT-STS:power_state (an integer; powerState of an
	  * OpenStack server): RUNNING, PAUSED, SHUTDOWN, SUSPENDED */
	 "WHEN 1 THEN 'On' WHEN 3 THEN 'Paused' WHEN 4 THEN 'Off' WHEN 7 THEN 'Suspended' "
	 "ELSE state END FROM (SELECT COALESCE("
	 "@FACT:powerState@, @FACT:status@, @FACT:object.status.printableStatus@) AS state)"},
};

/* a context for rows `o` of inventory_objects of @provider (or all) and @kind */
static FerryQContext *
ferry_inventory_query_context(FerryInventory *self, const char *provider, const char *kind)
{
	FerryQContext *context = ferry_qcontext_new("o.document");
	sqlite3_stmt *stmt = NULL;

	ferry_qcontext_add_root(context, "id", "o.id", FALSE);
	ferry_qcontext_add_root(context, "name", "o.name", FALSE);
	ferry_qcontext_add_root(context, "provider", "o.provider", FALSE);
	ferry_qcontext_add_root(context, "kind", "o.kind", FALSE);
	ferry_qcontext_add_root(context, "revision", "o.revision", FALSE);
	ferry_qcontext_add_root(context, "concerns", CONCERNS_SQL, TRUE);
	for (guint i = 0; i < G_N_ELEMENTS(computed_fields); i++)
		ferry_qcontext_add_computed(context, computed_fields[i].name,
					    computed_fields[i].sql);
	ferry_qcontext_add_array_path(context, "concerns");
	/* one lookup per row for the concern counts, cheaper than a sub-query */
	ferry_qcontext_add_join(context, "k",
				"LEFT JOIN inventory_concerns AS k ON k.obj = o.rowid");
	if (sqlite3_prepare_v2(
		    self->db,
		    "SELECT DISTINCT type, path FROM inventory_paths WHERE kind = ?2 AND "
		    "(?1 IS NULL OR provider = ?1)",
		    -1, &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			const char *path = (const char *)sqlite3_column_text(stmt, 1);
			if (g_strcmp0((const char *)sqlite3_column_text(stmt, 0), "array") == 0)
				ferry_qcontext_add_array_path(context, path);
			else
				ferry_qcontext_add_object_path(context, path);
		}
	}
	sqlite3_finalize(stmt);
	ferry_facts_setup_context(self->facts, kind, context);
	return context;
}

/* what an ORDER BY item orders by: a path that names a select item (`select
 * sum(disks[*].capacity) as total ... order by total`) means that item's
 * expression, not a field of the document */
static FerryQNode *
ferry_inventory_order_target(GPtrArray *select, FerryQNode *expr)
{
	g_autofree char *name = NULL;

	if (select == NULL || expr->type != FERRY_QNODE_PATH)
		return expr;
	name = ferry_qnode_path_to_string(expr, expr->segments->len);
	for (guint i = 0; i < select->len; i++) {
		FerryQSelectItem *item = g_ptr_array_index(select, i);
		if (g_strcmp0(item->name, name) == 0)
			return item->expr;
	}
	return expr;
}

static char *
ferry_inventory_compile_query(FerryInventory *self, const char *provider, const char *kind,
			      FerryQuery *query, FerryQContext *context,
			      FerryInventoryQueryFlags flags, GError **error)
{
	g_autoptr(GString) columns = g_string_new("SELECT o.id, o.name");
	g_autoptr(GString) conditions = g_string_new(NULL);
	g_autoptr(GString) ordering = g_string_new(" ORDER BY ");
	g_autoptr(GString) sql = NULL;
	GPtrArray *select = ferry_query_get_select(query);
	GPtrArray *order = ferry_query_get_order(query);
	FerryQNode *where = ferry_query_get_where(query);
	gboolean refs = (flags & FERRY_INVENTORY_QUERY_FLAG_REFS) != 0;
	g_autoptr(GError) local_error = NULL;

	if (!refs && select == NULL) {
		g_string_append(columns, ", o.document, " CONCERNS_SQL);
		if (flags & FERRY_INVENTORY_QUERY_FLAG_COMPUTED) {
			for (guint i = 0; i < G_N_ELEMENTS(computed_fields); i++) {
				g_autoptr(FerryQNode) node = ferry_query_parse_expression(
					computed_fields[i].name, NULL, NULL);
				g_autofree char *column = ferry_qcompile_json(context, node, NULL);
				g_string_append_printf(columns, ", %s", column);
			}
		}
	}
	for (guint i = 0; !refs && select != NULL && i < select->len; i++) {
		FerryQSelectItem *item = g_ptr_array_index(select, i);
		g_autofree char *column = ferry_qcompile_json(context, item->expr, &local_error);
		if (column == NULL)
			break;
		g_string_append_printf(columns, ", %s", column);
	}
	if (local_error == NULL && where != NULL) {
		g_autofree char *condition = ferry_qcompile_condition(context, where, &local_error);
		if (condition != NULL)
			g_string_append_printf(conditions, " AND %s", condition);
	}
	for (guint i = 0; local_error == NULL && order != NULL && i < order->len; i++) {
		FerryQOrderItem *item = g_ptr_array_index(order, i);
		g_autofree char *value = NULL;
		/* a constant orders nothing, and SQLite reads ORDER BY 2 as a column */
		if (item->expr->type == FERRY_QNODE_NULL || item->expr->type == FERRY_QNODE_BOOL ||
		    item->expr->type == FERRY_QNODE_INT || item->expr->type == FERRY_QNODE_REAL ||
		    item->expr->type == FERRY_QNODE_STRING)
			continue;
		value = ferry_qcompile_value(
			context, ferry_inventory_order_target(select, item->expr), &local_error);
		if (value != NULL)
			g_string_append_printf(ordering, "%s %s, ", value,
					       item->descending ? "DESC" : "ASC");
	}
	if (local_error != NULL) {
		ferry_query_point_error(query, local_error,
					ferry_qcontext_get_error_column(context));
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	g_string_append(ordering, "o.name, o.id");
	if (ferry_query_get_limit(query) >= 0)
		g_string_append_printf(ordering, " LIMIT %" G_GINT64_FORMAT,
				       ferry_query_get_limit(query));

	sql = g_string_new(columns->str);
	g_string_append(sql, " FROM inventory_objects AS o");
	/* scalar fields are read from the facts, not parsed out of the document */
	if (ferry_qcontext_uses_facts(context))
		g_string_append_printf(sql, " JOIN %s AS f ON f.obj = o.rowid",
				       ferry_facts_get_table(self->facts, kind));
	{
		g_autofree char *joins = ferry_qcontext_get_joins(context);
		g_string_append(sql, joins);
	}
	/* plain equalities, so the (provider, kind, name) index serves ORDER BY name */
	if (provider != NULL)
		g_string_append(sql, " WHERE o.provider = ?1 AND o.kind = ?2");
	else
		g_string_append(sql, " WHERE ?1 IS NULL AND o.kind = ?2");
	g_string_append(sql, conditions->str);
	g_string_append(sql, ordering->str);
	return g_string_free(g_steal_pointer(&sql), FALSE);
}

static JsonNode *
ferry_inventory_parse_column(sqlite3_stmt *stmt, int column)
{
	const char *text = (const char *)sqlite3_column_text(stmt, column);
	JsonNode *node = text != NULL ? json_from_string(text, NULL) : NULL;
	return node != NULL ? node : json_node_new(JSON_NODE_NULL);
}

static JsonObject *
ferry_inventory_query_row(sqlite3_stmt *stmt, FerryQuery *query, FerryInventoryQueryFlags flags,
			  GError **error)
{
	GPtrArray *select = ferry_query_get_select(query);
	g_autoptr(JsonObject) result = NULL;
	int column = 2;

	if (flags & FERRY_INVENTORY_QUERY_FLAG_REFS) {
		result = json_object_new();
		json_object_set_string_member(result, "id",
					      (const char *)sqlite3_column_text(stmt, 0));
		if (sqlite3_column_type(stmt, 1) == SQLITE_TEXT)
			json_object_set_string_member(result, "name",
						      (const char *)sqlite3_column_text(stmt, 1));
		return g_steal_pointer(&result);
	}
	if (select != NULL) {
		result = json_object_new();
		for (guint i = 0; i < select->len; i++) {
			FerryQSelectItem *item = g_ptr_array_index(select, i);
			json_object_set_member(result, item->name,
					       ferry_inventory_parse_column(stmt, column++));
		}
		return g_steal_pointer(&result);
	}
	result = ferry_inventory_parse_document((const char *)sqlite3_column_text(stmt, column++),
						error);
	if (result == NULL)
		return NULL;
	if (sqlite3_column_type(stmt, column) != SQLITE_NULL)
		json_object_set_member(result, "concerns",
				       ferry_inventory_parse_column(stmt, column));
	column++;
	if (flags & FERRY_INVENTORY_QUERY_FLAG_COMPUTED) {
		/* only the fields that apply to the object */
		for (guint i = 0; i < G_N_ELEMENTS(computed_fields); i++) {
			JsonNode *value = ferry_inventory_parse_column(stmt, column++);
			if (JSON_NODE_HOLDS_NULL(value))
				json_node_unref(value);
			else
				json_object_set_member(result, computed_fields[i].name, value);
		}
	}
	return g_steal_pointer(&result);
}

/**
 * ferry_inventory_query:
 * @self: a #FerryInventory
 * @provider: (nullable): the provider, or %NULL for every provider
 * @kind: the object kind, e.g. `vm`
 * @query: a parsed query
 * @flags: what to return
 * @error: return location for a #GError
 *
 * Runs a query over the objects of one kind. The query is compiled to SQL
 * over the stored JSON documents, so it never loads objects it does not
 * return. Without `SELECT` the results are the documents (with the
 * validators' `concerns`, and with %FERRY_INVENTORY_QUERY_FLAG_COMPUTED the
 * computed fields `memoryGB`, `criticalConcerns`, `concernsHuman`, …); with
 * `SELECT` they are objects with one member per selected name. Without
 * `ORDER BY` results are ordered by name.
 *
 * A query that cannot be compiled (for example an array outside `in`) is
 * reported as %FERRY_ERROR_INVALID_ARGUMENT pointing at the column.
 *
 * Returns: (transfer container) (element-type Json.Object): the results, or %NULL
 *   with @error set
 *
 * Since: 0.1
 */
GPtrArray *
ferry_inventory_query(FerryInventory *self, const char *provider, const char *kind,
		      FerryQuery *query, FerryInventoryQueryFlags flags, GError **error)
{
	g_autoptr(GPtrArray) results =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autoptr(FerryQContext) context = NULL;
	g_autofree char *sql = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	g_return_val_if_fail(kind != NULL, NULL);
	g_return_val_if_fail(FERRY_IS_QUERY(query), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	g_rec_mutex_lock(&self->lock);
	context = ferry_inventory_query_context(self, provider, kind);
	sql = ferry_inventory_compile_query(self, provider, kind, query, context, flags, error);
	if (sql == NULL) {
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	g_debug("inventory query: %s", sql);
	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		/* SQLite's parser has a bounded stack: deeply nested queries are
		 * the user's to simplify; anything else is a bug */
		if (strstr(sqlite3_errmsg(self->db), "stack overflow") != NULL)
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "the query '%s' nests too deeply for SQLite; simplify it",
				    ferry_query_get_text(query));
		else
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "the query '%s' could not be prepared: %s",
				    ferry_query_get_text(query), sqlite3_errmsg(self->db));
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		JsonObject *row = ferry_inventory_query_row(stmt, query, flags, error);
		if (row == NULL) {
			ferry_error_convert(error);
			sqlite3_finalize(stmt);
			g_rec_mutex_unlock(&self->lock);
			return NULL;
		}
		g_ptr_array_add(results, row);
	}
	if (rc != SQLITE_DONE) {
		/* e.g. a regular expression from a field that does not compile */
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "the query '%s' failed: %s", ferry_query_get_text(query),
			    sqlite3_errmsg(self->db));
		sqlite3_finalize(stmt);
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_finalize(stmt);
	g_rec_mutex_unlock(&self->lock);
	return g_steal_pointer(&results);
}

/**
 * ferry_inventory_select_vms:
 * @self: a #FerryInventory
 * @provider: the provider
 * @query: a query such as `where name ~= '^web-' and memoryMB > 4096`; its
 *   `SELECT` clause, if any, is ignored
 * @error: return location for a #GError
 *
 * Turns a query into the list of VMs it selects, as references for a plan's
 * `spec.vms` (kubectl-mtv's `create plan --vms "where …"`).
 *
 * Returns: (transfer container) (element-type Json.Object): `{"id", "name"}`
 *   objects in the query's order, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
ferry_inventory_select_vms(FerryInventory *self, const char *provider, const char *query,
			   GError **error)
{
	g_autoptr(FerryQuery) parsed = NULL;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	g_return_val_if_fail(provider != NULL, NULL);
	g_return_val_if_fail(query != NULL, NULL);
	parsed = ferry_query_new(query, error);
	if (parsed == NULL)
		return NULL;
	return ferry_inventory_query(self, provider, "vm", parsed, FERRY_INVENTORY_QUERY_FLAG_REFS,
				     error);
}

/* -- workloads, concerns and validation -- */

/**
 * ferry_inventory_get_workload:
 * @self: a #FerryInventory
 * @provider: the provider
 * @provider_type: its type, e.g. `vsphere`, which says what a VM refers to
 * @id: the VM's id
 * @error: return location for a #GError
 *
 * The VM as validation rules see it, Forklift's "workload": the VM's
 * document with the objects it refers to put in place of the references
 * (vSphere: `host` and `host.cluster`; oVirt: `cluster`, `host`,
 * `nics[*].profile`, `diskAttachments[*].disk`; OpenStack: `flavor`,
 * `image` and `volumes` from `flavorID`, `imageID` and `attachedVolumes`).
 * References to objects that are not in the inventory are left as they are.
 *
 * Returns: (transfer full): the workload, or %NULL with
 *   %FERRY_ERROR_NOT_FOUND
 *
 * Since: 0.1
 */
JsonObject *
ferry_inventory_get_workload(FerryInventory *self, const char *provider, const char *provider_type,
			     const char *id, GError **error)
{
	g_autofree char *workload = ferry_workload_sql(provider_type, "o.document");
	g_autofree char *sql = g_strdup_printf("SELECT %s FROM inventory_objects AS o WHERE "
					       "o.provider = ?1 AND o.kind = 'vm' AND o.id = ?2",
					       workload);
	g_autofree char *text = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	g_return_val_if_fail(provider != NULL && provider_type != NULL && id != NULL, NULL);
	g_rec_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		ferry_inventory_set_sqlite_error(self, error, "reading a workload");
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		text = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	else if (rc == SQLITE_DONE)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "VM '%s' not found in the inventory of provider '%s'", id, provider);
	else
		ferry_inventory_set_sqlite_error(self, error, "reading a workload");
	sqlite3_finalize(stmt);
	g_rec_mutex_unlock(&self->lock);
	if (text == NULL)
		return NULL;
	return ferry_inventory_parse_document(text, error);
}

/**
 * ferry_inventory_get_concerns:
 * @self: a #FerryInventory
 * @provider: the provider
 * @kind: the object kind, `vm`
 * @id: the object id
 * @error: return location for a #GError
 *
 * The concerns the last validation found, see ferry_inventory_revalidate().
 *
 * Returns: (transfer container) (element-type FerryConcern): the concerns,
 *   empty when the object was not validated yet, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
ferry_inventory_get_concerns(FerryInventory *self, const char *provider, const char *kind,
			     const char *id, GError **error)
{
	g_autoptr(GPtrArray) concerns = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	sqlite3_stmt *stmt = NULL;
	JsonArray *array;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), NULL);
	g_return_val_if_fail(provider != NULL && kind != NULL && id != NULL, NULL);
	g_rec_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(
		    self->db,
		    "SELECT c.concerns FROM inventory_concerns AS c JOIN inventory_objects "
		    "AS o ON c.obj = o.rowid WHERE o.provider = ?1 AND o.kind = ?2 AND "
		    "o.id = ?3",
		    -1, &stmt, NULL) != SQLITE_OK) {
		ferry_inventory_set_sqlite_error(self, error, "reading concerns");
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		text = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	g_rec_mutex_unlock(&self->lock);
	if (text == NULL)
		return g_steal_pointer(&concerns);
	node = json_from_string(text, error);
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node)) {
		g_clear_error(error);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "the stored concerns of %s %s are damaged; run the validation again",
			    kind, id);
		return NULL;
	}
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonObject *object = json_array_get_object_element(array, i);
		FerryConcernCategory category = FERRY_CONCERN_CATEGORY_INFORMATION;
		if (object == NULL || !json_object_has_member(object, "id"))
			continue;
		ferry_concern_category_from_string(
			json_object_get_string_member_with_default(object, "category", NULL),
			&category);
		g_ptr_array_add(
			concerns,
			ferry_concern_new(
				json_object_get_string_member(object, "id"), category,
				json_object_get_string_member_with_default(object, "label", ""),
				json_object_get_string_member_with_default(object, "assessment",
									   "")));
	}
	return g_steal_pointer(&concerns);
}

typedef struct {
	char *id;
	gint64 revision;
	char *document;
	char *concerns;
	guint counts[3]; /* by FerryConcernCategory */
} PendingVm;

static void
pending_vm_free(PendingVm *vm)
{
	g_free(vm->id);
	g_free(vm->document);
	g_free(vm->concerns);
	g_free(vm);
}

/* the next VMs (by id, after @after) whose concerns are missing or stale */
static GPtrArray *
ferry_inventory_pending_vms(FerryInventory *self, const char *provider, const char *provider_type,
			    const char *after, const char *policy, gboolean force, guint limit,
			    GError **error)
{
	g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func((GDestroyNotify)pending_vm_free);
	g_autofree char *workload = ferry_workload_sql(provider_type, "o.document");
	g_autofree char *sql = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc;

	/* the workloads are made by SQLite, which does JSON much faster than a
	 * parse into JsonObjects and back would */
	sql = g_strdup_printf("SELECT o.id, o.revision, %s FROM inventory_objects AS o "
			      "LEFT JOIN inventory_concerns AS c ON c.obj = o.rowid "
			      "WHERE o.provider = ?1 AND o.kind = 'vm' AND o.id > ?2 AND "
			      "(?3 OR c.obj IS NULL OR c.revision != o.revision OR c.policy != ?4) "
			      "ORDER BY o.id LIMIT ?5",
			      workload);
	g_rec_mutex_lock(&self->lock);
	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		ferry_inventory_set_sqlite_error(self, error, "finding VMs to validate");
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, after, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 3, force ? 1 : 0);
	sqlite3_bind_text(stmt, 4, policy, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 5, (int)limit);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		PendingVm *vm = g_new0(PendingVm, 1);
		vm->id = g_strdup((const char *)sqlite3_column_text(stmt, 0));
		vm->revision = sqlite3_column_int64(stmt, 1);
		vm->document = g_strdup((const char *)sqlite3_column_text(stmt, 2));
		g_ptr_array_add(vms, vm);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		ferry_inventory_set_sqlite_error(self, error, "finding VMs to validate");
		g_rec_mutex_unlock(&self->lock);
		return NULL;
	}
	g_rec_mutex_unlock(&self->lock);
	return g_steal_pointer(&vms);
}

static gboolean
ferry_inventory_store_concerns(FerryInventory *self, const char *provider, const char *policy,
			       GPtrArray *vms, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	gboolean ok = TRUE;

	g_rec_mutex_lock(&self->lock);
	if (!ferry_inventory_exec(self, "BEGIN IMMEDIATE;", error)) {
		g_rec_mutex_unlock(&self->lock);
		return FALSE;
	}
	/* a VM removed meanwhile gets no concerns */
	if (sqlite3_prepare_v2(self->db,
			       "INSERT OR REPLACE INTO inventory_concerns(obj, revision, policy, "
			       "critical, warning, information, concerns) "
			       "SELECT rowid, ?3, ?4, ?6, ?7, ?8, ?5 FROM inventory_objects "
			       "WHERE provider = ?1 AND kind = 'vm' AND id = ?2",
			       -1, &stmt, NULL) != SQLITE_OK) {
		ok = ferry_inventory_set_sqlite_error(self, error, "storing concerns");
	}
	for (guint i = 0; ok && i < vms->len; i++) {
		PendingVm *vm = g_ptr_array_index(vms, i);
		sqlite3_bind_text(stmt, 1, provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, vm->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, vm->revision);
		sqlite3_bind_text(stmt, 4, policy, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, vm->concerns, -1, SQLITE_STATIC);
		for (guint c = 0; c < G_N_ELEMENTS(vm->counts); c++)
			sqlite3_bind_int(stmt, 6 + (int)c, (int)vm->counts[c]);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			ok = ferry_inventory_set_sqlite_error(self, error, "storing concerns");
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	if (ok)
		ok = ferry_inventory_exec(self, "COMMIT;", error);
	if (!ok)
		ferry_inventory_exec(self, "ROLLBACK;", NULL);
	g_rec_mutex_unlock(&self->lock);
	return ok;
}

/* the concerns of one VM by every validator, as JSON text */
static char *
ferry_inventory_validate_vm(PendingVm *vm, const char *provider_type, GPtrArray *validators,
			    GCancellable *cancellable)
{
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(JsonArray) array = json_array_new();
	g_autoptr(JsonNode) result = NULL;

	for (guint i = 0; i < validators->len; i++) {
		FerryValidator *validator = g_ptr_array_index(validators, i);
		g_autoptr(GError) local_error = NULL;
		g_autoptr(GPtrArray) concerns = NULL;
		if (FERRY_IS_RULES_VALIDATOR(validator)) {
			concerns = ferry_rules_validator_validate_json(
				FERRY_RULES_VALIDATOR(validator), provider_type, vm->document,
				&local_error);
		} else {
			/* other validators get a JsonObject, made once */
			if (node == NULL)
				node = json_from_string(vm->document, NULL);
			if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
				continue;
			concerns = ferry_validator_validate(validator, provider_type,
							    json_node_get_object(node), cancellable,
							    &local_error);
		}
		if (concerns == NULL) {
			g_warning("validator '%s' could not judge VM %s: %s",
				  ferry_validator_get_name(validator), vm->id,
				  local_error->message);
			continue;
		}
		for (guint j = 0; j < concerns->len; j++) {
			FerryConcern *concern = g_ptr_array_index(concerns, j);
			guint category = ferry_concern_get_category(concern);
			if (category < G_N_ELEMENTS(vm->counts))
				vm->counts[category]++;
			json_array_add_element(array, ferry_concern_to_json(concern));
		}
	}
	result = json_node_init_array(json_node_alloc(), array);
	return json_to_string(result, FALSE);
}

/**
 * ferry_inventory_revalidate:
 * @self: a #FerryInventory
 * @provider: the provider whose VMs to validate
 * @provider_type: its type, e.g. `vsphere`
 * @validators: (element-type FerryValidator): the validators, e.g. from
 *   ferry_plugin_registry_create_validators()
 * @force: validate every VM, not only the changed ones
 * @cancellable: (nullable): a #GCancellable
 * @n_validated: (out) (optional): how many VMs were validated
 * @error: return location for a #GError
 *
 * Validates the VMs of @provider whose concerns are missing or stale: the
 * VM's revision changed since, or a validator's version changed (Forklift's
 * `rules_version`). Each VM is judged as its workload (see
 * ferry_inventory_get_workload()) and the concerns are stored with it, where
 * queries see them (`concerns`, `criticalConcerns`, …) and
 * ferry_inventory_get_concerns() returns them.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_inventory_revalidate(FerryInventory *self, const char *provider, const char *provider_type,
			   GPtrArray *validators, gboolean force, GCancellable *cancellable,
			   guint *n_validated, GError **error)
{
	g_autoptr(GString) policy = g_string_new(NULL);
	g_autofree char *after = g_strdup("");
	guint count = 0;

	g_return_val_if_fail(FERRY_IS_INVENTORY(self), FALSE);
	g_return_val_if_fail(provider != NULL && provider_type != NULL, FALSE);
	g_return_val_if_fail(validators != NULL, FALSE);

	for (guint i = 0; i < validators->len; i++) {
		FerryValidator *validator = g_ptr_array_index(validators, i);
		g_string_append_printf(policy, "%s:%u;", ferry_validator_get_name(validator),
				       ferry_validator_get_version(validator, provider_type));
	}
	for (;;) {
		g_autoptr(GPtrArray) batch = NULL;
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ferry_error_convert(error);
			return FALSE;
		}
		batch = ferry_inventory_pending_vms(self, provider, provider_type, after,
						    policy->str, force, 500, error);
		if (batch == NULL)
			return FALSE;
		if (batch->len == 0)
			break;
		for (guint i = 0; i < batch->len; i++) {
			PendingVm *vm = g_ptr_array_index(batch, i);
			vm->concerns = ferry_inventory_validate_vm(vm, provider_type, validators,
								   cancellable);
		}
		if (!ferry_inventory_store_concerns(self, provider, policy->str, batch, error))
			return FALSE;
		count += batch->len;
		g_free(after);
		after = g_strdup(((PendingVm *)g_ptr_array_index(batch, batch->len - 1))->id);
	}
	if (n_validated != NULL)
		*n_validated = count;
	return TRUE;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-references-private.h"
#include "ferry-resource-kinds.h"
#include "ferry-resource-private.h"
#include "ferry-store.h"
#include "ferry-sqlite-private.h"

/**
 * FerryStore:
 *
 * Ferry's resources (Provider, Secret, Host, NetworkMap, StorageMap, Plan,
 * Migration, Hook, ForkliftController), kept in one SQLite database,
 * `ferry.db` in the state directory, with Kubernetes semantics: each
 * resource is keyed by kind, namespace and name, gets a `uid` when created,
 * a `generation` that goes up when its `spec` changes, and a
 * `resourceVersion` that changes at every write, status included.
 *
 * Secret values live apart, in `secrets.db` with mode 0600, and are only
 * handed out as #FerrySecret objects; resources read from the store show a
 * Secret's keys with redacted values.
 *
 * Every change re-checks the references between resources (plan → maps →
 * providers → secrets) and reports broken ones as status conditions.
 *
 * All methods are safe to call from any thread.
 *
 * Since: 0.1
 */

#define STORE_REDACTED "[redacted]"

/* each entry moves the schema up one version; never edit a released one */
static const char *const store_migrations[] = {
	/* 1 */
	"CREATE TABLE resources("
	"  uid TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  namespace TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  generation INTEGER NOT NULL,"
	"  resource_version INTEGER NOT NULL,"
	"  created TEXT NOT NULL,"
	"  document TEXT NOT NULL CHECK (json_valid(document)),"
	"  UNIQUE (kind, namespace, name));"
	"CREATE TABLE resource_refs("
	"  uid TEXT NOT NULL REFERENCES resources(uid) ON DELETE CASCADE,"
	"  target TEXT NOT NULL,"
	"  PRIMARY KEY (uid, target));"
	"CREATE INDEX resource_refs_target ON resource_refs(target);",
};

static const char *const secret_migrations[] = {
	/* 1 */
	"CREATE TABLE secrets("
	"  uid TEXT PRIMARY KEY,"
	"  namespace TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  UNIQUE (namespace, name));"
	"CREATE TABLE secret_values("
	"  secret_uid TEXT NOT NULL REFERENCES secrets(uid) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value BLOB NOT NULL,"
	"  PRIMARY KEY (secret_uid, key));",
};

struct _FerryStore {
	GObject parent_instance;
	char *state_dir;
	char *path;
	char *secrets_path;
	sqlite3 *db;
	sqlite3 *secrets;
	GMutex lock;
};

G_DEFINE_TYPE(FerryStore, ferry_store, G_TYPE_OBJECT)

static void
ferry_store_finalize(GObject *object)
{
	FerryStore *self = FERRY_STORE(object);
	if (self->db != NULL)
		sqlite3_close_v2(self->db);
	if (self->secrets != NULL)
		sqlite3_close_v2(self->secrets);
	g_mutex_clear(&self->lock);
	g_free(self->state_dir);
	g_free(self->path);
	g_free(self->secrets_path);
	G_OBJECT_CLASS(ferry_store_parent_class)->finalize(object);
}

static void
ferry_store_class_init(FerryStoreClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_store_finalize;
}

static void
ferry_store_init(FerryStore *self)
{
	g_mutex_init(&self->lock);
}

static gboolean
store_sqlite_error(sqlite3 *db, const char *path, const char *what, GError **error)
{
	return ferry_sqlite_set_error(db, "state database", path, what, error);
}

static gboolean
store_exec(sqlite3 *db, const char *path, const char *sql, GError **error)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlite_error(db, path, "cannot run SQL", error);
	return TRUE;
}

static gboolean
store_migrate(sqlite3 *db, const char *path, const char *const *migrations, guint n_migrations,
	      GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int version = 0;

	if (!store_exec(db, path,
			"PRAGMA journal_mode=WAL;"
			"PRAGMA synchronous=NORMAL;"
			"PRAGMA foreign_keys=ON;",
			error))
		return FALSE;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return store_sqlite_error(db, path, "cannot read the schema version", error);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version > (int)n_migrations) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "state database %s has schema version %d, newer than this Ferry "
			    "understands (%u); upgrade Ferry or use another --state directory",
			    path, version, n_migrations);
		return FALSE;
	}
	for (guint i = (guint)version; i < n_migrations; i++) {
		g_autofree char *sql = g_strdup_printf("BEGIN IMMEDIATE;%s PRAGMA user_version=%u;"
						       "COMMIT;",
						       migrations[i], i + 1);
		if (!store_exec(db, path, sql, error)) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			g_prefix_error(error, "upgrading to schema version %u: ", i + 1);
			return FALSE;
		}
	}
	return TRUE;
}

static sqlite3 *
store_open(const char *path, GError **error)
{
	sqlite3 *db = NULL;
	ferry_sqlite_create_private(path);
	if (sqlite3_open_v2(path, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot open the state database %s: %s; choose another directory "
			    "with --state DIR or FERRY_STATE_DIR",
			    path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	return db;
}

/* the secrets file is created 0600 before SQLite opens it, so there is no
 * moment at which others could read it */
static gboolean
store_prepare_secrets_file(const char *path, GError **error)
{
	int fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot create the secrets file %s: %s", path, g_strerror(saved_errno));
		return FALSE;
	}
	if (fchmod(fd, 0600) != 0) {
		int saved_errno = errno;
		close(fd);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot make the secrets file %s private: %s", path,
			    g_strerror(saved_errno));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

/**
 * ferry_store_new:
 * @state_dir: the state directory; created (mode 0700) when missing
 * @error: return location for a #GError
 *
 * Opens, and creates or upgrades when needed, `ferry.db` and `secrets.db`
 * in @state_dir.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryStore *
ferry_store_new(const char *state_dir, GError **error)
{
	g_autoptr(FerryStore) self = NULL;

	g_return_val_if_fail(state_dir != NULL, NULL);
	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot create the state directory %s: %s; choose another with "
			    "--state DIR or FERRY_STATE_DIR",
			    state_dir, g_strerror(saved_errno));
		return NULL;
	}
	ferry_state_dir_make_private(state_dir);
	self = g_object_new(FERRY_TYPE_STORE, NULL);
	self->state_dir = g_strdup(state_dir);
	self->path = g_build_filename(state_dir, "ferry.db", NULL);
	self->secrets_path = g_build_filename(state_dir, "secrets.db", NULL);
	self->db = store_open(self->path, error);
	if (self->db == NULL)
		return NULL;
	if (!store_migrate(self->db, self->path, store_migrations, G_N_ELEMENTS(store_migrations),
			   error))
		return NULL;
	if (!store_prepare_secrets_file(self->secrets_path, error))
		return NULL;
	self->secrets = store_open(self->secrets_path, error);
	if (self->secrets == NULL)
		return NULL;
	if (!store_migrate(self->secrets, self->secrets_path, secret_migrations,
			   G_N_ELEMENTS(secret_migrations), error))
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * ferry_store_get_state_dir:
 * @self: a #FerryStore
 *
 * Returns: (transfer none): the state directory
 *
 * Since: 0.1
 */
const char *
ferry_store_get_state_dir(FerryStore *self)
{
	g_return_val_if_fail(FERRY_IS_STORE(self), NULL);
	return self->state_dir;
}

/* the user's rule directories are part of the state, in this file */
#define RULES_DIRS_FILE "rules-dirs.ini"

/**
 * ferry_store_dup_rules_directories:
 * @self: a #FerryStore
 *
 * The user's rule directories (`--rules-dir`), which are part of the state:
 * every validation through this state directory (the CLI's verbs, a
 * #FerryRunner's plan checks) adds them to the built-in rules.
 *
 * Returns: (transfer full): the remembered directories; empty when none
 *
 * Since: 0.1
 */
GStrv
ferry_store_dup_rules_directories(FerryStore *self)
{
	g_autofree char *path = NULL;
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_auto(GStrv) dirs = NULL;

	g_return_val_if_fail(FERRY_IS_STORE(self), NULL);
	path = g_build_filename(self->state_dir, RULES_DIRS_FILE, NULL);
	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, NULL))
		return g_new0(char *, 1);
	dirs = g_key_file_get_string_list(file, "rules", "directories", NULL, NULL);
	return dirs != NULL ? g_steal_pointer(&dirs) : g_new0(char *, 1);
}

/**
 * ferry_store_set_rules_directories:
 * @self: a #FerryStore
 * @directories: (array zero-terminated=1): the rule directories; empty
 *   strings are left out, so `{"", NULL}` forgets them all
 * @error: return location for a #GError
 *
 * Remembers @directories (made absolute) in place of the remembered ones.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_store_set_rules_directories(FerryStore *self, const char *const *directories,
				  GError **error)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) list = NULL;
	g_autofree char *path = NULL;
	g_autofree char *data = NULL;

	g_return_val_if_fail(FERRY_IS_STORE(self), FALSE);
	for (guint i = 0; directories != NULL && directories[i] != NULL; i++) {
		if (directories[i][0] != '\0') {
			g_autofree char *absolute = g_canonicalize_filename(directories[i], NULL);
			g_strv_builder_add(builder, absolute);
		}
	}
	list = g_strv_builder_end(builder);
	g_key_file_set_comment(file, NULL, NULL,
			       " the rule directories given with --rules-dir, used by every "
			       "validation until another --rules-dir ('' forgets them)",
			       NULL);
	g_key_file_set_string_list(file, "rules", "directories", (const char *const *)list,
				   g_strv_length(list));
	data = g_key_file_to_data(file, NULL, NULL);
	path = g_build_filename(self->state_dir, RULES_DIRS_FILE, NULL);
	if (!g_file_set_contents_full(path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      error)) {
		g_prefix_error(error, "cannot remember the rule directories: ");
		return FALSE;
	}
	return TRUE;
}

/* -- rows -- */

typedef struct {
	char *uid;
	gint64 generation;
	gint64 resource_version;
	char *created;
	JsonNode *document;
} Row;

static void
row_free(Row *row)
{
	g_free(row->uid);
	g_free(row->created);
	g_clear_pointer(&row->document, json_node_unref);
	g_free(row);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Row, row_free)

static Row *
row_from_statement(sqlite3_stmt *stmt, GError **error)
{
	g_autoptr(Row) row = g_new0(Row, 1);
	const char *document = (const char *)sqlite3_column_text(stmt, 4);
	row->uid = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	row->generation = sqlite3_column_int64(stmt, 1);
	row->resource_version = sqlite3_column_int64(stmt, 2);
	row->created = g_strdup((const char *)sqlite3_column_text(stmt, 3));
	row->document = json_from_string(document != NULL ? document : "", error);
	if (row->document == NULL || !JSON_NODE_HOLDS_OBJECT(row->document)) {
		g_clear_error(error);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "resource %s in the state database is damaged", row->uid);
		return NULL;
	}
	return g_steal_pointer(&row);
}

#define ROW_COLUMNS "uid, generation, resource_version, created, document"

/* %NULL without @error when there is no such row */
static Row *
store_read_row(FerryStore *self, const char *kind, const char *name_space, const char *name,
	       GError **error)
{
	sqlite3_stmt *stmt = NULL;
	Row *row = NULL;
	int rc;

	if (sqlite3_prepare_v2(self->db,
			       "SELECT " ROW_COLUMNS " FROM resources "
			       "WHERE kind = ?1 AND namespace = ?2 AND name = ?3",
			       -1, &stmt, NULL) != SQLITE_OK) {
		store_sqlite_error(self->db, self->path, "cannot read", error);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, name_space, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		row = row_from_statement(stmt, error);
	else if (rc != SQLITE_DONE)
		store_sqlite_error(self->db, self->path, "cannot read", error);
	sqlite3_finalize(stmt);
	return row;
}

static GStrv
store_secret_keys(FerryStore *self, const char *name_space, const char *name)
{
	sqlite3_stmt *stmt = NULL;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	if (sqlite3_prepare_v2(self->secrets,
			       "SELECT v.key FROM secret_values v JOIN secrets s "
			       "ON v.secret_uid = s.uid WHERE s.namespace = ?1 AND s.name = ?2 "
			       "ORDER BY v.key",
			       -1, &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, name_space, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 2, name, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(stmt) == SQLITE_ROW)
			g_strv_builder_add(builder, (const char *)sqlite3_column_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	return g_strv_builder_end(builder);
}

static FerryResource *
store_resource_from_row(FerryStore *self, Row *row)
{
	JsonNode *root = ferry_json_node_deep_copy(row->document);
	JsonObject *object = json_node_get_object(root);
	const char *kind = json_object_get_string_member_with_default(object, "kind", "");
	FerryResource *resource = ferry_resource_new_for_kind(kind, root);
	g_autofree char *version = g_strdup_printf("%" G_GINT64_FORMAT, row->resource_version);

	ferry_resource_set_metadata_string(resource, "uid", row->uid);
	ferry_resource_set_metadata_string(resource, "resourceVersion", version);
	ferry_resource_set_metadata_string(resource, "creationTimestamp", row->created);
	ferry_resource_set_generation(resource, row->generation);
	if (FERRY_IS_SECRET_RESOURCE(resource)) {
		/* the keys, never the values */
		g_auto(GStrv) keys = store_secret_keys(self, ferry_resource_get_namespace(resource),
						       ferry_resource_get_name(resource));
		JsonObject *data = json_object_new();
		for (guint i = 0; keys[i] != NULL; i++)
			json_object_set_string_member(data, keys[i], STORE_REDACTED);
		json_object_set_object_member(object, "data", data);
	}
	return resource;
}

/* -- secrets -- */

static FerrySecret *
store_read_secret(FerryStore *self, const char *name_space, const char *name, gboolean *found)
{
	sqlite3_stmt *stmt = NULL;
	g_autoptr(FerrySecret) secret = ferry_secret_new(name);
	*found = FALSE;
	if (sqlite3_prepare_v2(self->secrets,
			       "SELECT s.uid, v.key, v.value FROM secrets s LEFT JOIN "
			       "secret_values v ON v.secret_uid = s.uid "
			       "WHERE s.namespace = ?1 AND s.name = ?2",
			       -1, &stmt, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(stmt, 1, name_space, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		*found = TRUE;
		if (sqlite3_column_type(stmt, 1) != SQLITE_NULL) {
			g_autoptr(GBytes) value = g_bytes_new(sqlite3_column_blob(stmt, 2),
							      (gsize)sqlite3_column_bytes(stmt, 2));
			ferry_secret_set(secret, (const char *)sqlite3_column_text(stmt, 1), value);
		}
	}
	sqlite3_finalize(stmt);
	return *found ? g_steal_pointer(&secret) : NULL;
}

static gboolean
store_secrets_equal(FerrySecret *a, FerrySecret *b)
{
	g_auto(GStrv) keys_a = ferry_secret_list_keys(a);
	g_auto(GStrv) keys_b = ferry_secret_list_keys(b);
	if (!g_strv_equal((const char *const *)keys_a, (const char *const *)keys_b))
		return FALSE;
	for (guint i = 0; keys_a[i] != NULL; i++) {
		g_autoptr(GBytes) value_a = ferry_secret_get(a, keys_a[i]);
		g_autoptr(GBytes) value_b = ferry_secret_get(b, keys_a[i]);
		if (!g_bytes_equal(value_a, value_b))
			return FALSE;
	}
	return TRUE;
}

static gboolean
store_write_secret(FerryStore *self, const char *uid, const char *name_space, const char *name,
		   FerrySecret *secret, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	g_auto(GStrv) keys = ferry_secret_list_keys(secret);

	if (sqlite3_prepare_v2(self->secrets,
			       "INSERT OR REPLACE INTO secrets(uid, namespace, name) "
			       "VALUES (?1, ?2, ?3)",
			       -1, &stmt, NULL) != SQLITE_OK)
		return store_sqlite_error(self->secrets, self->secrets_path, "cannot write", error);
	sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, name_space, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sqlite3_finalize(stmt);
		return store_sqlite_error(self->secrets, self->secrets_path, "cannot write", error);
	}
	sqlite3_finalize(stmt);
	if (sqlite3_prepare_v2(self->secrets, "DELETE FROM secret_values WHERE secret_uid = ?1", -1,
			       &stmt, NULL) != SQLITE_OK)
		return store_sqlite_error(self->secrets, self->secrets_path, "cannot write", error);
	sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_TRANSIENT);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	for (guint i = 0; keys[i] != NULL; i++) {
		g_autoptr(GBytes) value = ferry_secret_get(secret, keys[i]);
		gsize size = 0;
		gconstpointer data = g_bytes_get_data(value, &size);
		if (sqlite3_prepare_v2(self->secrets,
				       "INSERT INTO secret_values(secret_uid, key, value) "
				       "VALUES (?1, ?2, ?3)",
				       -1, &stmt, NULL) != SQLITE_OK)
			return store_sqlite_error(self->secrets, self->secrets_path, "cannot write",
						  error);
		sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 2, keys[i], -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(stmt, 3, data != NULL ? data : "", (int)size, SQLITE_TRANSIENT);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			sqlite3_finalize(stmt);
			return store_sqlite_error(self->secrets, self->secrets_path, "cannot write",
						  error);
		}
		sqlite3_finalize(stmt);
	}
	return TRUE;
}

/* -- writing -- */

static gint64
store_next_resource_version(FerryStore *self)
{
	sqlite3_stmt *stmt = NULL;
	gint64 version = 0;
	if (sqlite3_prepare_v2(self->db, "SELECT coalesce(max(resource_version), 0) FROM resources",
			       -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return version + 1;
}

static gboolean
store_write_row(FerryStore *self, FerryResource *resource, Row *row, gboolean insert,
		GError **error)
{
	sqlite3_stmt *stmt = NULL;
	g_autofree char *text = json_to_string(row->document, FALSE);
	const char *sql = insert ? "INSERT INTO resources(uid, generation, resource_version, "
				   "created, document, kind, namespace, name) "
				   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
				 : "UPDATE resources SET generation = ?2, resource_version = ?3, "
				   "created = ?4, document = ?5 WHERE uid = ?1";
	g_autoptr(GPtrArray) targets = NULL;

	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_sqlite_error(self->db, self->path, "cannot write", error);
	sqlite3_bind_text(stmt, 1, row->uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 2, row->generation);
	sqlite3_bind_int64(stmt, 3, row->resource_version);
	sqlite3_bind_text(stmt, 4, row->created, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 5, text, -1, SQLITE_TRANSIENT);
	if (insert) {
		sqlite3_bind_text(stmt, 6, ferry_resource_get_kind(resource), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 7, ferry_resource_get_namespace(resource), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 8, ferry_resource_get_name(resource), -1, SQLITE_TRANSIENT);
	}
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sqlite3_finalize(stmt);
		return store_sqlite_error(self->db, self->path, "cannot write", error);
	}
	sqlite3_finalize(stmt);

	/* what it refers to, for ferry_store_list_referrers() */
	if (sqlite3_prepare_v2(self->db, "DELETE FROM resource_refs WHERE uid = ?1", -1, &stmt,
			       NULL) != SQLITE_OK)
		return store_sqlite_error(self->db, self->path, "cannot write", error);
	sqlite3_bind_text(stmt, 1, row->uid, -1, SQLITE_TRANSIENT);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	targets = ferry_references_list(resource);
	for (guint i = 0; i < targets->len; i++) {
		if (sqlite3_prepare_v2(self->db,
				       "INSERT OR IGNORE INTO resource_refs(uid, target) "
				       "VALUES (?1, ?2)",
				       -1, &stmt, NULL) != SQLITE_OK)
			return store_sqlite_error(self->db, self->path, "cannot write", error);
		sqlite3_bind_text(stmt, 1, row->uid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 2, g_ptr_array_index(targets, i), -1, SQLITE_TRANSIENT);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			sqlite3_finalize(stmt);
			return store_sqlite_error(self->db, self->path, "cannot write", error);
		}
		sqlite3_finalize(stmt);
	}
	return TRUE;
}

/* the document as stored: system metadata and status taken out (the
 * store's columns and the stored status are the truth) */
static JsonNode *
store_strip(FerryResource *resource)
{
	JsonNode *node = ferry_json_node_deep_copy(ferry_resource_get_json(resource));
	JsonObject *object = json_node_get_object(node);
	JsonNode *metadata = json_object_get_member(object, "metadata");
	const char *const system_fields[] = {
		"uid",           "resourceVersion", "generation",        "creationTimestamp",
		"managedFields", "selfLink",        "deletionTimestamp", NULL};
	json_object_remove_member(object, "status");
	if (FERRY_IS_SECRET_RESOURCE(resource)) {
		json_object_remove_member(object, "data");
		json_object_remove_member(object, "stringData");
	}
	if (metadata != NULL && JSON_NODE_HOLDS_OBJECT(metadata)) {
		for (guint i = 0; system_fields[i] != NULL; i++)
			json_object_remove_member(json_node_get_object(metadata), system_fields[i]);
	}
	return node;
}

static gboolean
store_begin(FerryStore *self, GError **error)
{
	if (!store_exec(self->db, self->path, "BEGIN IMMEDIATE", error))
		return FALSE;
	if (!store_exec(self->secrets, self->secrets_path, "BEGIN IMMEDIATE", error)) {
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}

static gboolean
store_commit(FerryStore *self, GError **error)
{
	if (!store_exec(self->secrets, self->secrets_path, "COMMIT", error)) {
		sqlite3_exec(self->secrets, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	if (!store_exec(self->db, self->path, "COMMIT", error)) {
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}

static void
store_rollback(FerryStore *self)
{
	sqlite3_exec(self->secrets, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
}

static char *
store_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

static gboolean
store_uid_taken(FerryStore *self, const char *uid)
{
	sqlite3_stmt *stmt = NULL;
	gboolean taken = TRUE;

	if (sqlite3_prepare_v2(self->db, "SELECT 1 FROM resources WHERE uid = ?1", -1, &stmt,
			       NULL) != SQLITE_OK)
		return TRUE;
	sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_TRANSIENT);
	taken = sqlite3_step(stmt) != SQLITE_DONE;
	sqlite3_finalize(stmt);
	return taken;
}

static gboolean
store_apply_one(FerryStore *self, FerryResource *resource, FerrySecret *secret,
		FerryApplyOutcome *outcome, GError **error)
{
	const char *kind = ferry_resource_get_kind(resource);
	const char *name_space = ferry_resource_get_namespace(resource);
	const char *name = ferry_resource_get_name(resource);
	g_autoptr(GError) local_error = NULL;
	g_autoptr(Row) old = store_read_row(self, kind, name_space, name, &local_error);
	g_autoptr(JsonNode) stripped = store_strip(resource);
	g_autoptr(Row) row = g_new0(Row, 1);
	gboolean spec_changed;
	gboolean secret_changed = FALSE;

	if (local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	if (secret != NULL) {
		gboolean found = FALSE;
		g_autoptr(FerrySecret) stored = store_read_secret(self, name_space, name, &found);
		secret_changed = stored == NULL || !store_secrets_equal(stored, secret);
	}
	if (old == NULL) {
		const char *given = ferry_resource_get_uid(resource);
		/* a mirror of a cluster's object keeps its identity (ferryd); a
		 * uid another resource holds is replaced */
		row->uid = given != NULL && g_uuid_string_is_valid(given) &&
				   !store_uid_taken(self, given)
			       ? g_strdup(given)
			       : g_uuid_string_random();
		row->generation = 1;
		row->created = store_now();
		row->resource_version = store_next_resource_version(self);
		row->document = g_steal_pointer(&stripped);
		*outcome = FERRY_APPLY_OUTCOME_CREATED;
	} else {
		g_autoptr(JsonNode) old_stripped = ferry_json_node_deep_copy(old->document);
		JsonObject *old_object = json_node_get_object(old_stripped);
		JsonNode *old_spec;
		JsonNode *new_spec;
		JsonNode *status = json_object_get_member(old_object, "status");

		json_object_remove_member(old_object, "status");
		if (json_node_equal(old_stripped, stripped) && !secret_changed) {
			*outcome = FERRY_APPLY_OUTCOME_UNCHANGED;
			return TRUE;
		}
		old_spec = json_object_get_member(old_object, "spec");
		new_spec = json_object_get_member(json_node_get_object(stripped), "spec");
		spec_changed = (old_spec == NULL) != (new_spec == NULL) ||
			       (old_spec != NULL && !json_node_equal(old_spec, new_spec));
		row->uid = g_strdup(old->uid);
		row->generation = old->generation + (spec_changed || secret_changed ? 1 : 0);
		row->created = g_strdup(old->created);
		row->resource_version = store_next_resource_version(self);
		/* apply never touches status */
		status = json_object_get_member(json_node_get_object(old->document), "status");
		if (status != NULL)
			json_object_set_member(json_node_get_object(stripped), "status",
					       ferry_json_node_deep_copy(status));
		row->document = g_steal_pointer(&stripped);
		*outcome = FERRY_APPLY_OUTCOME_CONFIGURED;
	}
	if (!store_write_row(self, resource, row, old == NULL, error))
		return FALSE;
	if (secret != NULL && !store_write_secret(self, row->uid, name_space, name, secret, error))
		return FALSE;
	return TRUE;
}

static GPtrArray *
store_list_unlocked(FerryStore *self, const char *kind, const char *name_space, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	g_autoptr(GPtrArray) resources = g_ptr_array_new_with_free_func(g_object_unref);
	int rc;

	if (sqlite3_prepare_v2(self->db,
			       "SELECT " ROW_COLUMNS " FROM resources "
			       "WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR namespace = ?2) "
			       "ORDER BY kind, namespace, name",
			       -1, &stmt, NULL) != SQLITE_OK) {
		store_sqlite_error(self->db, self->path, "cannot list", error);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, name_space, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		g_autoptr(Row) row = row_from_statement(stmt, error);
		if (row == NULL) {
			sqlite3_finalize(stmt);
			return NULL;
		}
		g_ptr_array_add(resources, store_resource_from_row(self, row));
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_sqlite_error(self->db, self->path, "cannot list", error);
		return NULL;
	}
	return g_steal_pointer(&resources);
}

/* writes @resource's status if it differs from the stored one */
static gboolean
store_write_status_unlocked(FerryStore *self, FerryResource *resource, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(Row) row = store_read_row(self, ferry_resource_get_kind(resource),
					    ferry_resource_get_namespace(resource),
					    ferry_resource_get_name(resource), &local_error);
	JsonObject *document;
	JsonObject *status = ferry_resource_get_status(resource);
	JsonNode *old_status;
	g_autofree char *version = NULL;

	if (row == NULL) {
		g_autofree char *display = ferry_resource_dup_display_name(resource);
		if (local_error != NULL) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s does not exist any more; it was deleted", display);
		return FALSE;
	}
	document = json_node_get_object(row->document);
	old_status = json_object_get_member(document, "status");
	if (status == NULL && old_status == NULL)
		return TRUE;
	if (status != NULL && old_status != NULL && JSON_NODE_HOLDS_OBJECT(old_status)) {
		g_autoptr(JsonNode) new_status = json_node_init_object(json_node_alloc(), status);
		if (json_node_equal(old_status, new_status))
			return TRUE;
	}
	if (status != NULL)
		json_object_set_object_member(document, "status", json_object_ref(status));
	else
		json_object_remove_member(document, "status");
	row->resource_version = store_next_resource_version(self);
	if (!store_write_row(self, resource, row, FALSE, error))
		return FALSE;
	version = g_strdup_printf("%" G_GINT64_FORMAT, row->resource_version);
	ferry_resource_set_metadata_string(resource, "resourceVersion", version);
	return TRUE;
}

/* re-asserts every reference condition; runs inside the transaction */
static gboolean
store_check_references(FerryStore *self, GError **error)
{
	g_autoptr(GPtrArray) all = store_list_unlocked(self, NULL, NULL, error);
	g_autoptr(GHashTable) index = NULL;
	g_autoptr(GHashTable) secrets = NULL;
	g_auto(GStrv) kinds = ferry_resource_kind_list();

	if (all == NULL)
		return FALSE;
	index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	secrets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	for (guint i = 0; i < all->len; i++) {
		FerryResource *resource = g_ptr_array_index(all, i);
		g_hash_table_replace(index,
				     ferry_references_key(ferry_resource_get_kind(resource),
							  ferry_resource_get_namespace(resource),
							  ferry_resource_get_name(resource)),
				     resource);
		if (FERRY_IS_SECRET_RESOURCE(resource)) {
			gboolean found = FALSE;
			FerrySecret *secret =
				store_read_secret(self, ferry_resource_get_namespace(resource),
						  ferry_resource_get_name(resource), &found);
			if (secret != NULL)
				g_hash_table_replace(
					secrets,
					g_strdup_printf("%s/%s",
							ferry_resource_get_namespace(resource),
							ferry_resource_get_name(resource)),
					secret);
		}
	}
	/* kinds in order, so a plan sees its maps' fresh conditions */
	for (guint k = 0; kinds[k] != NULL; k++) {
		for (guint i = 0; i < all->len; i++) {
			FerryResource *resource = g_ptr_array_index(all, i);
			if (g_strcmp0(ferry_resource_get_kind(resource), kinds[k]) != 0 ||
			    FERRY_IS_SECRET_RESOURCE(resource) ||
			    FERRY_IS_FORKLIFT_CONTROLLER(resource))
				continue;
			ferry_references_check(resource, index, secrets);
			if (!store_write_status_unlocked(self, resource, error))
				return FALSE;
		}
	}
	return TRUE;
}

static void
store_object_unref0(gpointer object)
{
	if (object != NULL)
		g_object_unref(object);
}

/**
 * ferry_store_apply:
 * @self: a #FerryStore
 * @resources: (element-type FerryResource): the resources to create or
 *   update
 * @outcomes: (out) (optional) (transfer full) (element-type FerryApplyOutcome):
 *   what was done to each resource, in order
 * @error: return location for a #GError
 *
 * Creates or updates every resource in one transaction: either all are
 * applied or, on any error, none. As with `kubectl apply`, `status` in the
 * input is ignored and system metadata (`uid`, `generation`,
 * `resourceVersion`, `creationTimestamp`) is the store's, except that a new
 * resource keeps the `uid` it carries when no other resource has it (so a
 * mirror of a cluster's objects, as ferryd keeps, matches the cluster). Afterwards the
 * references between all resources are checked again.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_store_apply(FerryStore *self, GPtrArray *resources, GArray **outcomes, GError **error)
{
	g_autoptr(GPtrArray) secrets = NULL;
	g_autoptr(GArray) results = NULL;
	g_autoptr(GMutexLocker) locker = NULL;

	g_return_val_if_fail(FERRY_IS_STORE(self), FALSE);
	g_return_val_if_fail(resources != NULL, FALSE);

	/* decode every Secret first: a bad one stops the batch before it starts */
	secrets = g_ptr_array_new_with_free_func(store_object_unref0);
	for (guint i = 0; i < resources->len; i++) {
		FerryResource *resource = g_ptr_array_index(resources, i);
		FerrySecret *secret = NULL;
		if (FERRY_IS_SECRET_RESOURCE(resource)) {
			secret = ferry_secret_resource_to_secret(FERRY_SECRET_RESOURCE(resource),
								 error);
			if (secret == NULL) {
				g_autofree char *display =
					ferry_resource_dup_display_name(resource);
				g_prefix_error(error, "%s: ", display);
				return FALSE;
			}
		}
		g_ptr_array_add(secrets, secret);
	}

	locker = g_mutex_locker_new(&self->lock);
	results = g_array_new(FALSE, FALSE, sizeof(FerryApplyOutcome));
	if (!store_begin(self, error))
		return FALSE;
	for (guint i = 0; i < resources->len; i++) {
		FerryResource *resource = g_ptr_array_index(resources, i);
		FerryApplyOutcome outcome = FERRY_APPLY_OUTCOME_UNCHANGED;
		if (!store_apply_one(self, resource, g_ptr_array_index(secrets, i), &outcome,
				     error)) {
			g_autofree char *display = ferry_resource_dup_display_name(resource);
			store_rollback(self);
			g_prefix_error(error, "%s: ", display);
			return FALSE;
		}
		g_array_append_val(results, outcome);
	}
	if (!store_check_references(self, error) || !store_commit(self, error)) {
		store_rollback(self);
		return FALSE;
	}
	if (outcomes != NULL)
		*outcomes = g_steal_pointer(&results);
	return TRUE;
}

static void
store_set_not_found(GError **error, const char *kind, const char *name_space, const char *name)
{
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
		    "%s %s not found in namespace %s; list them with 'ferry get %s -n %s'", kind,
		    name, name_space,
		    ferry_resource_kind_get_plural(kind) != NULL
			    ? ferry_resource_kind_get_plural(kind)
			    : kind,
		    name_space);
}

/**
 * ferry_store_get:
 * @self: a #FerryStore
 * @kind: a kind, such as `Plan`
 * @name_space: (nullable): a namespace; %NULL means `default`
 * @name: a name
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a copy of the stored resource, or %NULL with
 *   @error set (%FERRY_ERROR_NOT_FOUND when there is none)
 *
 * Since: 0.1
 */
FerryResource *
ferry_store_get(FerryStore *self, const char *kind, const char *name_space, const char *name,
		GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(Row) row = NULL;
	g_autoptr(GError) local_error = NULL;

	g_return_val_if_fail(FERRY_IS_STORE(self), NULL);
	g_return_val_if_fail(kind != NULL && name != NULL, NULL);
	if (name_space == NULL)
		name_space = "default";
	locker = g_mutex_locker_new(&self->lock);
	row = store_read_row(self, kind, name_space, name, &local_error);
	if (row == NULL) {
		if (local_error != NULL)
			g_propagate_error(error, g_steal_pointer(&local_error));
		else
			store_set_not_found(error, kind, name_space, name);
		return NULL;
	}
	return store_resource_from_row(self, row);
}

/**
 * ferry_store_list:
 * @self: a #FerryStore
 * @kind: (nullable): a kind, such as `Plan`, or %NULL for all
 * @name_space: (nullable): a namespace, or %NULL for all
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type FerryResource): the
 *   resources, sorted by kind, namespace and name
 *
 * Since: 0.1
 */
GPtrArray *
ferry_store_list(FerryStore *self, const char *kind, const char *name_space, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(FERRY_IS_STORE(self), NULL);
	locker = g_mutex_locker_new(&self->lock);
	return store_list_unlocked(self, kind, name_space, error);
}

/**
 * ferry_store_delete:
 * @self: a #FerryStore
 * @kind: a kind, such as `Plan`
 * @name_space: (nullable): a namespace; %NULL means `default`
 * @name: a name
 * @error: return location for a #GError
 *
 * Deletes a resource (and, for a Secret, its values). Resources that
 * referred to it get a condition saying it is gone.
 *
 * Returns: %TRUE on success; %FERRY_ERROR_NOT_FOUND when there was none
 *
 * Since: 0.1
 */
gboolean
ferry_store_delete(FerryStore *self, const char *kind, const char *name_space, const char *name,
		   GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	sqlite3_stmt *stmt = NULL;

	g_return_val_if_fail(FERRY_IS_STORE(self), FALSE);
	g_return_val_if_fail(kind != NULL && name != NULL, FALSE);
	if (name_space == NULL)
		name_space = "default";
	locker = g_mutex_locker_new(&self->lock);
	if (!store_begin(self, error))
		return FALSE;
	if (sqlite3_prepare_v2(self->db,
			       "DELETE FROM resources WHERE kind = ?1 AND namespace = ?2 AND "
			       "name = ?3",
			       -1, &stmt, NULL) != SQLITE_OK ||
	    (sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_TRANSIENT),
	     sqlite3_bind_text(stmt, 2, name_space, -1, SQLITE_TRANSIENT),
	     sqlite3_bind_text(stmt, 3, name, -1, SQLITE_TRANSIENT),
	     sqlite3_step(stmt)) != SQLITE_DONE) {
		sqlite3_finalize(stmt);
		store_sqlite_error(self->db, self->path, "cannot delete", error);
		store_rollback(self);
		return FALSE;
	}
	sqlite3_finalize(stmt);
	if (sqlite3_changes(self->db) == 0) {
		store_rollback(self);
		store_set_not_found(error, kind, name_space, name);
		return FALSE;
	}
	if (g_strcmp0(kind, "Secret") == 0) {
		if (sqlite3_prepare_v2(self->secrets,
				       "DELETE FROM secrets WHERE namespace = ?1 AND name = ?2", -1,
				       &stmt, NULL) == SQLITE_OK) {
			sqlite3_bind_text(stmt, 1, name_space, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(stmt, 2, name, -1, SQLITE_TRANSIENT);
			sqlite3_step(stmt);
		}
		sqlite3_finalize(stmt);
	}
	if (!store_check_references(self, error) || !store_commit(self, error)) {
		store_rollback(self);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_store_update_status:
 * @self: a #FerryStore
 * @resource: a resource read from this store, with its `status` changed
 * @error: return location for a #GError
 *
 * Writes the `status` of @resource, and only that: `spec` and `generation`
 * stay as stored, `resourceVersion` changes (and is updated in @resource).
 *
 * The write is refused with %FERRY_ERROR_BUSY when the stored resource
 * changed since @resource was read (its `resourceVersion` differs): read it
 * again, redo the change and retry.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_store_update_status(FerryStore *self, FerryResource *resource, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(Row) row = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autofree char *stored_version = NULL;
	g_autofree char *display = NULL;

	g_return_val_if_fail(FERRY_IS_STORE(self), FALSE);
	g_return_val_if_fail(FERRY_IS_RESOURCE(resource), FALSE);
	display = ferry_resource_dup_display_name(resource);
	locker = g_mutex_locker_new(&self->lock);
	if (!store_begin(self, error))
		return FALSE;
	row = store_read_row(self, ferry_resource_get_kind(resource),
			     ferry_resource_get_namespace(resource),
			     ferry_resource_get_name(resource), &local_error);
	if (row == NULL) {
		store_rollback(self);
		if (local_error != NULL)
			g_propagate_error(error, g_steal_pointer(&local_error));
		else
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "%s does not exist any more; it was deleted", display);
		return FALSE;
	}
	stored_version = g_strdup_printf("%" G_GINT64_FORMAT, row->resource_version);
	if (g_strcmp0(row->uid, ferry_resource_get_uid(resource)) != 0 ||
	    g_strcmp0(stored_version, ferry_resource_get_resource_version(resource)) != 0) {
		store_rollback(self);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
			    "%s was changed since it was read (resourceVersion %s, now %s); read "
			    "it again and retry",
			    display,
			    ferry_resource_get_resource_version(resource) != NULL
				    ? ferry_resource_get_resource_version(resource)
				    : "none",
			    stored_version);
		return FALSE;
	}
	if (!store_write_status_unlocked(self, resource, error) || !store_commit(self, error)) {
		store_rollback(self);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_store_get_secret:
 * @self: a #FerryStore
 * @name_space: (nullable): a namespace; %NULL means `default`
 * @name: the name of a Secret
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the Secret's values, or %NULL with @error set
 *   (%FERRY_ERROR_NOT_FOUND when there is no such Secret)
 *
 * Since: 0.1
 */
FerrySecret *
ferry_store_get_secret(FerryStore *self, const char *name_space, const char *name, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	FerrySecret *secret;
	gboolean found = FALSE;

	g_return_val_if_fail(FERRY_IS_STORE(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);
	if (name_space == NULL)
		name_space = "default";
	locker = g_mutex_locker_new(&self->lock);
	secret = store_read_secret(self, name_space, name, &found);
	if (secret == NULL)
		store_set_not_found(error, "Secret", name_space, name);
	return secret;
}

/**
 * ferry_store_dup_controller:
 * @self: a #FerryStore
 * @error: return location for a #GError
 *
 * The ForkliftController whose settings are the engine's defaults: the
 * first one stored (by namespace and name), if any. Pass it, or %NULL, to
 * ferry_forklift_controller_get_setting_int() and friends.
 *
 * Returns: (transfer full) (nullable) (type FerryForkliftController): the
 *   controller, or %NULL when there is none (@error unset) or on error
 *
 * Since: 0.1
 */
FerryResource *
ferry_store_dup_controller(FerryStore *self, GError **error)
{
	g_autoptr(GPtrArray) controllers =
		ferry_store_list(self, "ForkliftController", NULL, error);
	if (controllers == NULL || controllers->len == 0)
		return NULL;
	return g_object_ref(g_ptr_array_index(controllers, 0));
}

/**
 * ferry_store_list_referrers:
 * @self: a #FerryStore
 * @kind: a kind, such as `Provider`
 * @name_space: (nullable): a namespace; %NULL means `default`
 * @name: a name
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the display names (`Plan/web-tier`) of the
 *   resources that refer to the given one, or %NULL with @error set
 *
 * Since: 0.1
 */
GStrv
ferry_store_list_referrers(FerryStore *self, const char *kind, const char *name_space,
			   const char *name, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_autofree char *target = NULL;
	sqlite3_stmt *stmt = NULL;

	g_return_val_if_fail(FERRY_IS_STORE(self), NULL);
	target = ferry_references_key(kind, name_space, name);
	locker = g_mutex_locker_new(&self->lock);
	if (sqlite3_prepare_v2(self->db,
			       "SELECT r.kind, r.namespace, r.name FROM resource_refs f JOIN "
			       "resources r ON r.uid = f.uid WHERE f.target = ?1 "
			       "ORDER BY r.kind, r.namespace, r.name",
			       -1, &stmt, NULL) != SQLITE_OK) {
		store_sqlite_error(self->db, self->path, "cannot read", error);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, target, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *ref_namespace = (const char *)sqlite3_column_text(stmt, 1);
		g_autofree char *display = NULL;
		if (g_strcmp0(ref_namespace, "default") == 0)
			display = g_strdup_printf("%s/%s", sqlite3_column_text(stmt, 0),
						  sqlite3_column_text(stmt, 2));
		else
			display = g_strdup_printf("%s/%s/%s", sqlite3_column_text(stmt, 0),
						  ref_namespace, sqlite3_column_text(stmt, 2));
		g_strv_builder_add(builder, display);
	}
	sqlite3_finalize(stmt);
	return g_strv_builder_end(builder);
}

/**
 * ferry_store_dup_provider_config:
 * @self: a #FerryStore
 * @name_space: (nullable): the Provider's namespace; %NULL means `default`
 * @name: the Provider's name
 * @error: return location for a #GError
 *
 * Builds what a provider plugin needs to connect from the Provider
 * resource, the Secret it names and the Host resources that point at it.
 * The state directory of the config is the store's.
 *
 * Returns: (transfer full): the config, or %NULL with @error set: the
 *   Provider or its Secret does not exist
 *
 * Since: 0.1
 */
FerryProviderConfig *
ferry_store_dup_provider_config(FerryStore *self, const char *name_space, const char *name,
				GError **error)
{
	g_autoptr(FerryResource) resource = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(GPtrArray) hosts = NULL;
	FerryProviderResource *provider;
	const char *type;
	const char *secret_namespace = NULL;
	const char *secret_name;
	JsonNode *settings;

	g_return_val_if_fail(FERRY_IS_STORE(self), NULL);
	if (name_space == NULL)
		name_space = "default";
	resource = ferry_store_get(self, "Provider", name_space, name, error);
	if (resource == NULL)
		return NULL;
	provider = FERRY_PROVIDER_RESOURCE(resource);
	type = ferry_provider_resource_get_provider_type(provider);
	if (type == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Provider/%s: spec.type is not set; set it to vsphere, ovirt, "
			    "openstack, ova or openshift",
			    name);
		return NULL;
	}
	config = ferry_provider_config_new(type, name_space, name);
	ferry_provider_config_set_url(config, ferry_provider_resource_get_url(provider));
	ferry_provider_config_set_state_dir(config, self->state_dir);
	settings = ferry_resource_get_node(resource, "spec.settings");
	if (settings != NULL && JSON_NODE_HOLDS_OBJECT(settings)) {
		JsonObjectIter iter;
		const char *key;
		JsonNode *value;
		json_object_iter_init(&iter, json_node_get_object(settings));
		while (json_object_iter_next(&iter, &key, &value)) {
			if (JSON_NODE_HOLDS_VALUE(value) &&
			    json_node_get_value_type(value) == G_TYPE_STRING)
				ferry_provider_config_set_setting(config, key,
								  json_node_get_string(value));
		}
	}
	secret_name = ferry_provider_resource_get_secret(provider, &secret_namespace);
	if (secret_name != NULL) {
		g_autoptr(FerrySecret) secret =
			ferry_store_get_secret(self, secret_namespace, secret_name, NULL);
		if (secret == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "Provider/%s: spec.secret names Secret %s/%s, which does not "
				    "exist; apply it first",
				    name, secret_namespace, secret_name);
			return NULL;
		}
		ferry_provider_config_set_secret(config, secret);
	}
	hosts = ferry_store_list(self, "Host", NULL, error);
	if (hosts == NULL)
		return NULL;
	for (guint i = 0; i < hosts->len; i++) {
		FerryHost *host = g_ptr_array_index(hosts, i);
		const char *provider_namespace = NULL;
		const char *provider_name = ferry_host_get_provider(host, &provider_namespace);
		const char *host_secret_namespace = NULL;
		const char *host_secret_name;
		g_autoptr(FerrySecret) host_secret = NULL;
		if (g_strcmp0(provider_name, name) != 0 ||
		    g_strcmp0(provider_namespace, name_space) != 0 ||
		    ferry_host_get_host_id(host) == NULL)
			continue;
		host_secret_name = ferry_host_get_secret(host, &host_secret_namespace);
		if (host_secret_name != NULL)
			host_secret = ferry_store_get_secret(self, host_secret_namespace,
							     host_secret_name, NULL);
		/* an ESXi provider's hosts use its own credentials, as in Forklift */
		if (host_secret == NULL &&
		    g_strcmp0(ferry_provider_resource_get_setting(provider, "sdkEndpoint"),
			      "esxi") == 0 &&
		    ferry_provider_config_get_secret(config) != NULL)
			host_secret = g_object_ref(ferry_provider_config_get_secret(config));
		ferry_provider_config_add_host(config, ferry_host_get_host_id(host),
					       ferry_host_get_ip_address(host), host_secret);
	}
	return g_steal_pointer(&config);
}

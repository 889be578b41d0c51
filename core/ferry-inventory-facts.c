/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-inventory-facts-private.h"

/* a kind with documents of many distinct fields (tags as keys…) keeps the
 * rest in JSON */
#define MAX_COLUMNS 400

typedef struct {
	char *kind;
	char *table;
	GHashTable *columns; /* normalised path (or path#) → column name */
	guint n_columns;
	GPtrArray *order; /* of char*, the paths by column number - 1 */
	sqlite3_stmt *insert;
	guint insert_columns;
} FactTable;

struct _FerryFacts {
	sqlite3 *db;
	GHashTable *tables; /* kind → FactTable */
};

static void
fact_table_free(FactTable *table)
{
	g_free(table->kind);
	g_free(table->table);
	g_hash_table_unref(table->columns);
	g_ptr_array_unref(table->order);
	sqlite3_finalize(table->insert);
	g_free(table);
}

const char *
ferry_facts_get_schema(void)
{
	return "CREATE TABLE inventory_fact_tables("
	       "  kind TEXT PRIMARY KEY,"
	       "  name TEXT NOT NULL UNIQUE);"
	       "CREATE TABLE inventory_fact_columns("
	       "  kind TEXT NOT NULL,"
	       "  path TEXT NOT NULL,"
	       "  json_path TEXT NOT NULL,"
	       "  length INTEGER NOT NULL,"
	       "  name TEXT NOT NULL,"
	       "  PRIMARY KEY (kind, path)) WITHOUT ROWID;";
}

static gboolean
facts_fail(FerryFacts *self, GError **error, const char *what)
{
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "inventory facts: %s: %s", what,
		    sqlite3_errmsg(self->db));
	return FALSE;
}

static FactTable *
fact_table_new(const char *kind, const char *name)
{
	FactTable *table = g_new0(FactTable, 1);
	table->kind = g_strdup(kind);
	table->table = g_strdup(name);
	table->columns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	table->order = g_ptr_array_new_with_free_func(g_free);
	return table;
}

/* reads the registry of tables and columns */
void
ferry_facts_reload(FerryFacts *self)
{
	sqlite3_stmt *stmt = NULL;

	g_hash_table_remove_all(self->tables);
	if (sqlite3_prepare_v2(self->db, "SELECT kind, name FROM inventory_fact_tables", -1, &stmt,
			       NULL) == SQLITE_OK) {
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			const char *kind = (const char *)sqlite3_column_text(stmt, 0);
			g_hash_table_insert(
				self->tables, g_strdup(kind),
				fact_table_new(kind, (const char *)sqlite3_column_text(stmt, 1)));
		}
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	/* columns in the order they were made: c1, c2, … */
	if (sqlite3_prepare_v2(self->db,
			       "SELECT kind, path, name FROM inventory_fact_columns "
			       "ORDER BY kind, CAST(substr(name, 2) AS INTEGER)",
			       -1, &stmt, NULL) == SQLITE_OK) {
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			FactTable *table = g_hash_table_lookup(
				self->tables, (const char *)sqlite3_column_text(stmt, 0));
			if (table == NULL)
				continue;
			g_hash_table_insert(table->columns,
					    g_strdup((const char *)sqlite3_column_text(stmt, 1)),
					    g_strdup((const char *)sqlite3_column_text(stmt, 2)));
			g_ptr_array_add(table->order,
					g_strdup((const char *)sqlite3_column_text(stmt, 1)));
			table->n_columns++;
		}
	}
	sqlite3_finalize(stmt);
}

FerryFacts *
ferry_facts_new(sqlite3 *db, GError **error)
{
	FerryFacts *self = g_new0(FerryFacts, 1);
	self->db = db;
	self->tables = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)fact_table_free);
	ferry_facts_reload(self);
	return self;
}

void
ferry_facts_free(FerryFacts *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->tables);
	g_free(self);
}

static char *
sql_quote(const char *value)
{
	GString *sql = g_string_new("'");
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\'')
			g_string_append_c(sql, '\'');
		g_string_append_c(sql, *p);
	}
	g_string_append_c(sql, '\'');
	return g_string_free(sql, FALSE);
}

static gboolean
facts_exec(FerryFacts *self, const char *sql, GError **error)
{
	char *message = NULL;
	if (sqlite3_exec(self->db, sql, NULL, NULL, &message) != SQLITE_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "inventory facts: %s",
			    message != NULL ? message : sqlite3_errmsg(self->db));
		sqlite3_free(message);
		return FALSE;
	}
	return TRUE;
}

/* the facts table of @kind, made when missing */
static FactTable *
facts_ensure_table(FerryFacts *self, const char *kind, GError **error)
{
	FactTable *table = g_hash_table_lookup(self->tables, kind);
	g_autofree char *name = NULL;
	g_autofree char *quoted_kind = NULL;
	g_autofree char *sql = NULL;

	if (table != NULL)
		return table;
	name = g_strdup_printf("inventory_facts_%u", g_hash_table_size(self->tables) + 1);
	quoted_kind = sql_quote(kind);
	sql = g_strdup_printf(
		"CREATE TABLE %s(obj INTEGER PRIMARY KEY);"
		"CREATE TRIGGER %s_gone AFTER DELETE ON inventory_objects FOR EACH ROW "
		"WHEN old.kind = %s BEGIN DELETE FROM %s WHERE obj = old.rowid; END;"
		"INSERT INTO inventory_fact_tables(kind, name) VALUES (%s, '%s');"
		/* objects already there get a row, so facts can be joined */
		"INSERT INTO %s(obj) SELECT rowid FROM inventory_objects WHERE kind = %s;",
		name, name, quoted_kind, name, quoted_kind, name, name, quoted_kind);
	if (!facts_exec(self, sql, error))
		return NULL;
	table = fact_table_new(kind, name);
	g_hash_table_insert(self->tables, g_strdup(kind), table);
	return table;
}

/* a new column for @path, filled in for the objects already there */
static const char *
facts_add_column(FerryFacts *self, FactTable *table, const char *path, const char *json_path,
		 gboolean length, GError **error)
{
	g_autofree char *column = g_strdup_printf("c%u", table->n_columns + 1);
	g_autofree char *quoted_path = sql_quote(path);
	g_autofree char *quoted_json = sql_quote(json_path);
	g_autofree char *quoted_kind = sql_quote(table->kind);
	g_autofree char *value = NULL;
	g_autofree char *sql = NULL;

	if (length)
		value = g_strdup_printf("CASE WHEN json_type(o.document, %s) = 'array' THEN "
					"json_array_length(o.document, %s) END",
					quoted_json, quoted_json);
	else
		value = g_strdup_printf("CASE WHEN json_type(o.document, %s) NOT IN ('object', "
					"'array') THEN json_extract(o.document, %s) END",
					quoted_json, quoted_json);
	sql = g_strdup_printf("ALTER TABLE %s ADD COLUMN %s;"
			      "INSERT INTO inventory_fact_columns(kind, path, json_path, length, "
			      "name) VALUES (%s, %s, %s, %d, '%s');"
			      "UPDATE %s SET %s = (SELECT %s FROM inventory_objects AS o WHERE "
			      "o.rowid = %s.obj);",
			      table->table, column, quoted_kind, quoted_path, quoted_json,
			      length ? 1 : 0, column, table->table, column, value, table->table);
	if (!facts_exec(self, sql, error))
		return NULL;
	g_hash_table_insert(table->columns, g_strdup(path), g_strdup(column));
	g_ptr_array_add(table->order, g_strdup(path));
	table->n_columns++;
	g_clear_pointer(&table->insert, sqlite3_finalize);
	return g_hash_table_lookup(table->columns, path);
}

typedef struct {
	GHashTable *paths; /* catalogue entries seen */
	const char *kind;
	GPtrArray *facts; /* of Fact */
} Walk;

typedef struct {
	char *path;
	char *json_path;
	gboolean length;
	JsonNode *value; /* a scalar, or NULL with @count for a length */
	gint64 count;
} Fact;

static void
fact_free(Fact *fact)
{
	g_free(fact->path);
	g_free(fact->json_path);
	g_free(fact);
}

static gboolean
json_path_append_key(GString *json_path, const char *key)
{
	gboolean plain = key[0] != '\0' && !g_ascii_isdigit(key[0]);
	if (strchr(key, '"') != NULL)
		return FALSE;
	for (const char *p = key; plain && *p != '\0'; p++)
		plain = g_ascii_isalnum(*p) || *p == '_';
	if (plain)
		g_string_append_printf(json_path, ".%s", key);
	else
		g_string_append_printf(json_path, ".\"%s\"", key);
	return TRUE;
}

/* @json_path is NULL below arrays (and keys JSON paths cannot name):
 * no facts there, only the catalogue */
static void
facts_walk(Walk *walk, JsonNode *node, GString *path, GString *json_path)
{
	gsize len = path->len;
	gsize json_len = json_path != NULL ? json_path->len : 0;

	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		if (len > 0)
			g_hash_table_add(walk->paths, g_strdup_printf("%s\x1fobject\x1f%s",
								      walk->kind, path->str));
		json_object_iter_init(&iter, json_node_get_object(node));
		while (json_object_iter_next(&iter, &name, &member)) {
			gboolean keyed;
			ferry_query_path_append_key(path, name);
			keyed = json_path != NULL && json_path_append_key(json_path, name);
			facts_walk(walk, member, path, keyed ? json_path : NULL);
			g_string_truncate(path, len);
			if (json_path != NULL)
				g_string_truncate(json_path, json_len);
		}
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);
		if (len > 0)
			g_hash_table_add(walk->paths, g_strdup_printf("%s\x1f"
								      "array\x1f%s",
								      walk->kind, path->str));
		if (json_path != NULL && len > 0) {
			Fact *fact = g_new0(Fact, 1);
			fact->path = g_strdup_printf("%s#", path->str);
			fact->json_path = g_strdup(json_path->str);
			fact->length = TRUE;
			fact->count = json_array_get_length(array);
			g_ptr_array_add(walk->facts, fact);
		}
		g_string_append(path, "[*]");
		for (guint i = 0; i < json_array_get_length(array); i++)
			facts_walk(walk, json_array_get_element(array, i), path, NULL);
		g_string_truncate(path, len);
	} else if (json_path != NULL && len > 0) {
		Fact *fact = g_new0(Fact, 1);
		fact->path = g_strdup(path->str);
		fact->json_path = g_strdup(json_path->str);
		fact->value = node;
		g_ptr_array_add(walk->facts, fact);
	}
}

static void
bind_fact(sqlite3_stmt *stmt, int index, Fact *fact)
{
	if (fact->length) {
		sqlite3_bind_int64(stmt, index, fact->count);
		return;
	}
	if (JSON_NODE_HOLDS_NULL(fact->value)) {
		sqlite3_bind_null(stmt, index);
		return;
	}
	/* the SQL values json_extract() gives */
	switch (json_node_get_value_type(fact->value)) {
	case G_TYPE_INT64:
		sqlite3_bind_int64(stmt, index, json_node_get_int(fact->value));
		break;
	case G_TYPE_DOUBLE:
		sqlite3_bind_double(stmt, index, json_node_get_double(fact->value));
		break;
	case G_TYPE_BOOLEAN:
		sqlite3_bind_int(stmt, index, json_node_get_boolean(fact->value) ? 1 : 0);
		break;
	case G_TYPE_STRING:
		sqlite3_bind_text(stmt, index, json_node_get_string(fact->value), -1,
				  SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_null(stmt, index);
		break;
	}
}

gboolean
ferry_facts_store(FerryFacts *self, const char *kind, gint64 rowid, JsonNode *document,
		  GHashTable *paths, GError **error)
{
	g_autoptr(GPtrArray) facts = g_ptr_array_new_with_free_func((GDestroyNotify)fact_free);
	g_autoptr(GString) path = g_string_new(NULL);
	g_autoptr(GString) json_path = g_string_new("$");
	Walk walk = {paths, kind, facts};
	FactTable *table;
	int rc;

	facts_walk(&walk, document, path, json_path);
	table = facts_ensure_table(self, kind, error);
	if (table == NULL)
		return FALSE;
	for (guint i = 0; i < facts->len; i++) {
		Fact *fact = g_ptr_array_index(facts, i);
		if (g_hash_table_contains(table->columns, fact->path) ||
		    table->n_columns >= MAX_COLUMNS)
			continue;
		if (facts_add_column(self, table, fact->path, fact->json_path, fact->length,
				     error) == NULL)
			return FALSE;
	}
	if (table->insert == NULL) {
		g_autoptr(GString) sql = g_string_new(NULL);
		g_string_append_printf(sql, "INSERT OR REPLACE INTO %s(obj", table->table);
		for (guint c = 1; c <= table->n_columns; c++)
			g_string_append_printf(sql, ", c%u", c);
		g_string_append(sql, ") VALUES (?1");
		for (guint c = 1; c <= table->n_columns; c++)
			g_string_append_printf(sql, ", ?%u", c + 1);
		g_string_append(sql, ")");
		if (sqlite3_prepare_v3(self->db, sql->str, -1, SQLITE_PREPARE_PERSISTENT,
				       &table->insert, NULL) != SQLITE_OK)
			return facts_fail(self, error, "preparing");
		table->insert_columns = table->n_columns;
	}
	sqlite3_bind_int64(table->insert, 1, rowid);
	for (guint i = 0; i < facts->len; i++) {
		Fact *fact = g_ptr_array_index(facts, i);
		const char *column = g_hash_table_lookup(table->columns, fact->path);
		if (column != NULL)
			bind_fact(table->insert, (int)g_ascii_strtoull(column + 1, NULL, 10) + 1,
				  fact);
	}
	rc = sqlite3_step(table->insert);
	sqlite3_reset(table->insert);
	sqlite3_clear_bindings(table->insert);
	if (rc != SQLITE_DONE)
		return facts_fail(self, error, "storing");
	return TRUE;
}

void
ferry_facts_setup_context(FerryFacts *self, const char *kind, FerryQContext *context)
{
	FactTable *table = g_hash_table_lookup(self->tables, kind);
	if (table != NULL)
		ferry_qcontext_set_facts(context, "f", table->columns);
}

const char *
ferry_facts_get_table(FerryFacts *self, const char *kind)
{
	FactTable *table = g_hash_table_lookup(self->tables, kind);
	return table != NULL ? table->table : NULL;
}

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
/* the same for the fields of array elements, and for the arrays of a kind */
#define MAX_ELEMENT_COLUMNS 64
#define MAX_ELEMENT_TABLES  32

typedef struct {
	char *kind;
	char *array; /* the array path of an element table, NULL for objects */
	char *array_json_path;
	char *table;
	GHashTable *columns; /* normalised path (or path#) → column name */
	guint n_columns;
	sqlite3_stmt *insert;
	sqlite3_stmt *clear; /* element tables: removes an object's elements */
} FactTable;

struct _FerryFacts {
	sqlite3 *db;
	GHashTable *tables;   /* kind → FactTable */
	GHashTable *elements; /* kind → GHashTable (array path → FactTable) */
	guint n_tables;
};

static void
fact_table_free(FactTable *table)
{
	g_free(table->kind);
	g_free(table->array);
	g_free(table->array_json_path);
	g_free(table->table);
	g_hash_table_unref(table->columns);
	sqlite3_finalize(table->insert);
	sqlite3_finalize(table->clear);
	g_free(table);
}

const char *
ferry_facts_get_schema(void)
{
	/* array is '' for the table of a kind's objects, else the path of the
	 * array whose elements the table holds */
	return "CREATE TABLE inventory_fact_tables("
	       "  kind TEXT NOT NULL,"
	       "  array TEXT NOT NULL,"
	       "  array_json_path TEXT NOT NULL,"
	       "  name TEXT NOT NULL UNIQUE,"
	       "  PRIMARY KEY (kind, array)) WITHOUT ROWID;"
	       "CREATE TABLE inventory_fact_columns("
	       "  kind TEXT NOT NULL,"
	       "  array TEXT NOT NULL,"
	       "  path TEXT NOT NULL,"
	       "  json_path TEXT NOT NULL,"
	       "  length INTEGER NOT NULL,"
	       "  name TEXT NOT NULL,"
	       "  PRIMARY KEY (kind, array, path)) WITHOUT ROWID;";
}

static gboolean
facts_fail(FerryFacts *self, GError **error, const char *what)
{
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "inventory facts: %s: %s", what,
		    sqlite3_errmsg(self->db));
	return FALSE;
}

static FactTable *
fact_table_new(const char *kind, const char *array, const char *array_json_path, const char *name)
{
	FactTable *table = g_new0(FactTable, 1);
	table->kind = g_strdup(kind);
	table->array = array != NULL && array[0] != '\0' ? g_strdup(array) : NULL;
	table->array_json_path = table->array != NULL ? g_strdup(array_json_path) : NULL;
	table->table = g_strdup(name);
	table->columns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return table;
}

static void
facts_add_table(FerryFacts *self, FactTable *table)
{
	self->n_tables++;
	if (table->array == NULL) {
		g_hash_table_insert(self->tables, g_strdup(table->kind), table);
	} else {
		GHashTable *arrays = g_hash_table_lookup(self->elements, table->kind);
		if (arrays == NULL) {
			arrays = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						       (GDestroyNotify)fact_table_free);
			g_hash_table_insert(self->elements, g_strdup(table->kind), arrays);
		}
		g_hash_table_insert(arrays, g_strdup(table->array), table);
	}
}

static FactTable *
facts_lookup(FerryFacts *self, const char *kind, const char *array)
{
	GHashTable *arrays;
	if (array == NULL || array[0] == '\0')
		return g_hash_table_lookup(self->tables, kind);
	arrays = g_hash_table_lookup(self->elements, kind);
	return arrays != NULL ? g_hash_table_lookup(arrays, array) : NULL;
}

/* reads the registry of tables and columns */
void
ferry_facts_reload(FerryFacts *self)
{
	sqlite3_stmt *stmt = NULL;

	g_hash_table_remove_all(self->tables);
	g_hash_table_remove_all(self->elements);
	self->n_tables = 0;
	if (sqlite3_prepare_v2(
		    self->db,
		    "SELECT kind, array, array_json_path, name FROM inventory_fact_tables", -1,
		    &stmt, NULL) == SQLITE_OK) {
		while (sqlite3_step(stmt) == SQLITE_ROW)
			facts_add_table(self,
					fact_table_new((const char *)sqlite3_column_text(stmt, 0),
						       (const char *)sqlite3_column_text(stmt, 1),
						       (const char *)sqlite3_column_text(stmt, 2),
						       (const char *)sqlite3_column_text(stmt, 3)));
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_prepare_v2(self->db,
			       "SELECT kind, array, path, name FROM inventory_fact_columns", -1,
			       &stmt, NULL) == SQLITE_OK) {
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			FactTable *table =
				facts_lookup(self, (const char *)sqlite3_column_text(stmt, 0),
					     (const char *)sqlite3_column_text(stmt, 1));
			if (table == NULL)
				continue;
			g_hash_table_insert(table->columns,
					    g_strdup((const char *)sqlite3_column_text(stmt, 2)),
					    g_strdup((const char *)sqlite3_column_text(stmt, 3)));
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
	self->elements = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)g_hash_table_unref);
	ferry_facts_reload(self);
	return self;
}

void
ferry_facts_free(FerryFacts *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->tables);
	g_hash_table_unref(self->elements);
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

/* the facts table of @kind, or of the elements of its array @array (with
 * @array_json_path), made when missing; NULL with @error unset when a kind
 * has too many arrays */
static FactTable *
facts_ensure_table(FerryFacts *self, const char *kind, const char *array,
		   const char *array_json_path, GError **error)
{
	FactTable *table = facts_lookup(self, kind, array);
	g_autofree char *name = NULL;
	g_autofree char *quoted_kind = NULL;
	g_autofree char *quoted_array = NULL;
	g_autofree char *quoted_json = NULL;
	g_autofree char *sql = NULL;

	if (table != NULL)
		return table;
	if (array != NULL) {
		GHashTable *arrays = g_hash_table_lookup(self->elements, kind);
		if (arrays != NULL && g_hash_table_size(arrays) >= MAX_ELEMENT_TABLES)
			return NULL;
	}
	name = g_strdup_printf("inventory_facts_%u", self->n_tables + 1);
	quoted_kind = sql_quote(kind);
	quoted_array = sql_quote(array != NULL ? array : "");
	quoted_json = sql_quote(array != NULL ? array_json_path : "");
	if (array == NULL)
		sql = g_strdup_printf(
			"CREATE TABLE %s(obj INTEGER PRIMARY KEY);"
			"INSERT INTO %s(obj) SELECT rowid FROM inventory_objects WHERE kind = %s;",
			name, name, quoted_kind);
	else
		/* a row for every element of the objects already there */
		sql = g_strdup_printf(
			"CREATE TABLE %s(obj INTEGER NOT NULL, key INTEGER NOT NULL, "
			"PRIMARY KEY (obj, key)) WITHOUT ROWID;"
			"INSERT INTO %s(obj, key) SELECT o.rowid, j.key FROM inventory_objects "
			"AS o, json_each(o.document, %s) AS j WHERE o.kind = %s AND "
			"json_type(o.document, %s) = 'array';",
			name, name, quoted_json, quoted_kind, quoted_json);
	if (!facts_exec(self, sql, error))
		return NULL;
	g_free(sql);
	sql = g_strdup_printf(
		"CREATE TRIGGER %s_gone AFTER DELETE ON inventory_objects FOR EACH ROW "
		"WHEN old.kind = %s BEGIN DELETE FROM %s WHERE obj = old.rowid; END;"
		"INSERT INTO inventory_fact_tables(kind, array, array_json_path, name) "
		"VALUES (%s, %s, %s, '%s');",
		name, quoted_kind, name, quoted_kind, quoted_array, quoted_json, name);
	if (!facts_exec(self, sql, error))
		return NULL;
	table = fact_table_new(kind, array, array_json_path, name);
	facts_add_table(self, table);
	return table;
}

/* a new column for @path, filled in for the objects already there;
 * @json_path is relative to the element in an element table */
static const char *
facts_add_column(FerryFacts *self, FactTable *table, const char *path, const char *json_path,
		 gboolean length, GError **error)
{
	g_autofree char *column = g_strdup_printf("c%u", table->n_columns + 1);
	g_autofree char *quoted_path = sql_quote(path);
	g_autofree char *quoted_json = NULL;
	g_autofree char *quoted_kind = sql_quote(table->kind);
	g_autofree char *quoted_array = sql_quote(table->array != NULL ? table->array : "");
	g_autofree char *full = NULL;
	g_autofree char *value = NULL;
	g_autofree char *sql = NULL;

	quoted_json = sql_quote(json_path);
	if (table->array != NULL) {
		/* '$.disks[' || key || '].capacity' */
		g_autofree char *prefix = g_strdup_printf("%s[", table->array_json_path);
		g_autofree char *suffix = g_strdup_printf("]%s", json_path + 1);
		g_autofree char *quoted_prefix = sql_quote(prefix);
		g_autofree char *quoted_suffix = sql_quote(suffix);
		full = g_strdup_printf("(%s || %s.key || %s)", quoted_prefix, table->table,
				       quoted_suffix);
	} else {
		full = g_strdup(quoted_json);
	}
	if (length)
		value = g_strdup_printf("CASE WHEN json_type(o.document, %s) = 'array' THEN "
					"json_array_length(o.document, %s) END",
					full, full);
	else
		value = g_strdup_printf("CASE WHEN json_type(o.document, %s) NOT IN ('object', "
					"'array') THEN json_extract(o.document, %s) END",
					full, full);
	sql = g_strdup_printf("ALTER TABLE %s ADD COLUMN %s;"
			      "INSERT INTO inventory_fact_columns(kind, array, path, json_path, "
			      "length, name) VALUES (%s, %s, %s, %s, %d, '%s');"
			      "UPDATE %s SET %s = (SELECT %s FROM inventory_objects AS o WHERE "
			      "o.rowid = %s.obj);",
			      table->table, column, quoted_kind, quoted_array, quoted_path,
			      quoted_json, length ? 1 : 0, column, table->table, column, value,
			      table->table);
	if (!facts_exec(self, sql, error))
		return NULL;
	g_hash_table_insert(table->columns, g_strdup(path), g_strdup(column));
	table->n_columns++;
	g_clear_pointer(&table->insert, sqlite3_finalize);
	return g_hash_table_lookup(table->columns, path);
}

/* a value for column @column of a row */
typedef struct {
	guint column;
	gboolean length;
	JsonNode *value; /* a scalar, or NULL with @count for a length */
	gint64 count;
} Binding;

typedef struct {
	FerryFacts *self;
	const char *kind;
	gint64 rowid;
	GHashTable *paths; /* catalogue entries seen */
	GString *entry;    /* scratch for catalogue entries */
	FactTable *table;  /* of the objects */
	GArray *row;       /* of Binding, the object's */
	GError *error;
} Walk;

static gboolean
json_path_append_key(GString *json_path, const char *key)
{
	gboolean plain = key[0] != '\0' && !g_ascii_isdigit(key[0]);
	if (strchr(key, '"') != NULL)
		return FALSE;
	for (const char *p = key; plain && *p != '\0'; p++)
		plain = g_ascii_isalnum(*p) || *p == '_';
	g_string_append_c(json_path, '.');
	if (plain) {
		g_string_append(json_path, key);
	} else {
		g_string_append_c(json_path, '"');
		g_string_append(json_path, key);
		g_string_append_c(json_path, '"');
	}
	return TRUE;
}

static void
walk_catalogue(Walk *walk, const char *type, const char *path)
{
	g_string_assign(walk->entry, walk->kind);
	g_string_append_c(walk->entry, '\x1f');
	g_string_append(walk->entry, type);
	g_string_append_c(walk->entry, '\x1f');
	g_string_append(walk->entry, path);
	if (!g_hash_table_contains(walk->paths, walk->entry->str))
		g_hash_table_add(walk->paths, g_strdup(walk->entry->str));
}

/* the column of @table for @path, made (and filled in for the rows already
 * there) when missing; 0 when the table has as many as it may */
static guint
walk_column(Walk *walk, FactTable *table, const char *path, const char *json_path, gboolean length,
	    guint max)
{
	const char *column = g_hash_table_lookup(table->columns, path);
	if (column == NULL) {
		if (walk->error != NULL || table->n_columns >= max)
			return 0;
		column = facts_add_column(walk->self, table, path, json_path, length, &walk->error);
		if (column == NULL)
			return 0;
	}
	return (guint)g_ascii_strtoull(column + 1, NULL, 10);
}

static void
row_add(GArray *row, guint column, JsonNode *value, gboolean length, gint64 count)
{
	Binding binding = {column, length, value, count};
	if (column > 0)
		g_array_append_val(row, binding);
}

static void
bind_value(sqlite3_stmt *stmt, int index, const Binding *binding)
{
	if (binding->length) {
		sqlite3_bind_int64(stmt, index, binding->count);
		return;
	}
	if (JSON_NODE_HOLDS_NULL(binding->value)) {
		sqlite3_bind_null(stmt, index);
		return;
	}
	/* the SQL values json_extract() gives */
	switch (json_node_get_value_type(binding->value)) {
	case G_TYPE_INT64:
		sqlite3_bind_int64(stmt, index, json_node_get_int(binding->value));
		break;
	case G_TYPE_DOUBLE:
		sqlite3_bind_double(stmt, index, json_node_get_double(binding->value));
		break;
	case G_TYPE_BOOLEAN:
		sqlite3_bind_int(stmt, index, json_node_get_boolean(binding->value) ? 1 : 0);
		break;
	case G_TYPE_STRING:
		sqlite3_bind_text(stmt, index, json_node_get_string(binding->value), -1,
				  SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_null(stmt, index);
		break;
	}
}

/* one row: obj (and key for elements), then the columns */
static gboolean
facts_insert(FerryFacts *self, FactTable *table, gint64 rowid, gint64 key, GArray *row,
	     GError **error)
{
	gboolean elements = table->array != NULL;
	int first = elements ? 2 : 1; /* parameters before the columns */
	int rc;

	if (table->insert == NULL) {
		g_autoptr(GString) sql = g_string_new(NULL);
		g_string_append_printf(sql, "INSERT OR REPLACE INTO %s(obj%s", table->table,
				       elements ? ", key" : "");
		for (guint c = 1; c <= table->n_columns; c++)
			g_string_append_printf(sql, ", c%u", c);
		g_string_append(sql, elements ? ") VALUES (?1, ?2" : ") VALUES (?1");
		for (guint c = 1; c <= table->n_columns; c++)
			g_string_append_printf(sql, ", ?%u", c + first);
		g_string_append(sql, ")");
		if (sqlite3_prepare_v3(self->db, sql->str, -1, SQLITE_PREPARE_PERSISTENT,
				       &table->insert, NULL) != SQLITE_OK)
			return facts_fail(self, error, "preparing");
	}
	sqlite3_bind_int64(table->insert, 1, rowid);
	if (elements)
		sqlite3_bind_int64(table->insert, 2, key);
	for (guint i = 0; i < row->len; i++) {
		const Binding *binding = &g_array_index(row, Binding, i);
		bind_value(table->insert, (int)binding->column + first, binding);
	}
	rc = sqlite3_step(table->insert);
	sqlite3_reset(table->insert);
	sqlite3_clear_bindings(table->insert);
	if (rc != SQLITE_DONE)
		return facts_fail(self, error, "storing");
	return TRUE;
}

static void facts_walk(Walk *walk, JsonNode *node, GString *path, GString *json_path);

/* the scalar fields of an array element reachable through objects, with
 * paths `disks[*].backing.datastore` and JSON paths relative to the
 * element; a scalar element is the fact `disks[*]` itself. The catalogue
 * is noted on the way. */
static void
element_walk(Walk *walk, FactTable *table, GArray *row, JsonNode *node, GString *path,
	     GString *json_path)
{
	gsize len = path->len;
	gsize json_len = json_path->len;

	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		walk_catalogue(walk, "object", path->str);
		json_object_iter_init(&iter, json_node_get_object(node));
		while (json_object_iter_next(&iter, &name, &member)) {
			gboolean keyed = json_path_append_key(json_path, name);
			ferry_query_path_append_key(path, name);
			if (keyed)
				element_walk(walk, table, row, member, path, json_path);
			else
				facts_walk(walk, member, path, NULL);
			g_string_truncate(path, len);
			g_string_truncate(json_path, json_len);
		}
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		facts_walk(walk, node, path, NULL);
	} else {
		row_add(row,
			walk_column(walk, table, path->str, json_path->str, FALSE,
				    MAX_ELEMENT_COLUMNS),
			node, FALSE, 0);
	}
}

/* a row of element facts for each element of the array at @path; FALSE
 * when the kind has too many arrays (these stay in JSON) */
static gboolean
walk_elements(Walk *walk, JsonArray *array, GString *path, GString *json_path)
{
	g_autoptr(GString) element_json_path = g_string_new("$");
	g_autoptr(GArray) row = NULL;
	FactTable *table;

	table = facts_ensure_table(walk->self, walk->kind, path->str, json_path->str, &walk->error);
	if (table == NULL)
		return walk->error != NULL;
	row = g_array_sized_new(FALSE, FALSE, sizeof(Binding), 32);
	g_string_append(path, "[*]");
	for (guint i = 0; walk->error == NULL && i < json_array_get_length(array); i++) {
		g_array_set_size(row, 0);
		element_walk(walk, table, row, json_array_get_element(array, i), path,
			     element_json_path);
		if (walk->error == NULL)
			facts_insert(walk->self, table, walk->rowid, i, row, &walk->error);
	}
	g_string_truncate(path, path->len - 3);
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
			walk_catalogue(walk, "object", path->str);
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
			walk_catalogue(walk, "array", path->str);
		if (json_path != NULL && len > 0) {
			guint column;
			g_string_append_c(path, '#');
			column = walk_column(walk, walk->table, path->str, json_path->str, TRUE,
					     MAX_COLUMNS);
			g_string_truncate(path, len);
			row_add(walk->row, column, NULL, TRUE, json_array_get_length(array));
			if (walk_elements(walk, array, path, json_path))
				return;
		}
		g_string_append(path, "[*]");
		for (guint i = 0; i < json_array_get_length(array); i++)
			facts_walk(walk, json_array_get_element(array, i), path, NULL);
		g_string_truncate(path, len);
	} else if (json_path != NULL && len > 0) {
		row_add(walk->row,
			walk_column(walk, walk->table, path->str, json_path->str, FALSE,
				    MAX_COLUMNS),
			node, FALSE, 0);
	}
}

/* the elements of object @rowid go, before it gets its new ones */
static gboolean
facts_clear_elements(FerryFacts *self, const char *kind, gint64 rowid, GError **error)
{
	GHashTable *arrays = g_hash_table_lookup(self->elements, kind);
	GHashTableIter iter;
	FactTable *table;

	if (arrays == NULL)
		return TRUE;
	g_hash_table_iter_init(&iter, arrays);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&table)) {
		int rc;
		if (table->clear == NULL) {
			g_autofree char *sql =
				g_strdup_printf("DELETE FROM %s WHERE obj = ?1", table->table);
			if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
					       &table->clear, NULL) != SQLITE_OK)
				return facts_fail(self, error, "preparing");
		}
		sqlite3_bind_int64(table->clear, 1, rowid);
		rc = sqlite3_step(table->clear);
		sqlite3_reset(table->clear);
		if (rc != SQLITE_DONE)
			return facts_fail(self, error, "storing");
	}
	return TRUE;
}

gboolean
ferry_facts_store(FerryFacts *self, const char *kind, gint64 rowid, JsonNode *document,
		  GHashTable *paths, GError **error)
{
	g_autoptr(GString) path = g_string_new(NULL);
	g_autoptr(GString) json_path = g_string_new("$");
	g_autoptr(GString) entry = g_string_new(NULL);
	g_autoptr(GArray) row = g_array_sized_new(FALSE, FALSE, sizeof(Binding), 64);
	Walk walk = {self, kind, rowid, paths, entry, NULL, row, NULL};

	walk.table = facts_ensure_table(self, kind, NULL, NULL, error);
	if (walk.table == NULL || !facts_clear_elements(self, kind, rowid, error))
		return FALSE;
	facts_walk(&walk, document, path, json_path);
	if (walk.error != NULL) {
		g_propagate_error(error, walk.error);
		return FALSE;
	}
	return facts_insert(self, walk.table, rowid, 0, row, error);
}

static void
facts_setup_elements(gpointer key, gpointer value, gpointer data)
{
	FactTable *table = value;
	ferry_qcontext_add_element_facts(data, table->array, "o.rowid", table->table,
					 table->columns);
}

void
ferry_facts_setup_context(FerryFacts *self, const char *kind, FerryQContext *context)
{
	FactTable *table = g_hash_table_lookup(self->tables, kind);
	GHashTable *arrays = g_hash_table_lookup(self->elements, kind);
	if (table != NULL)
		ferry_qcontext_set_facts(context, "f", table->columns);
	if (arrays != NULL)
		g_hash_table_foreach(arrays, facts_setup_elements, context);
}

const char *
ferry_facts_get_table(FerryFacts *self, const char *kind)
{
	FactTable *table = g_hash_table_lookup(self->tables, kind);
	return table != NULL ? table->table : NULL;
}

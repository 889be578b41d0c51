/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Compiles query trees to SQL over JSON documents, and the SQL functions the
 * compiled SQL calls.
 *
 * Semantics, which the tests' reference evaluator mirrors:
 * - a path reads a value with json_extract(); a missing field is null
 * - comparisons, like, regular expressions, in and between are false when an
 *   operand is null (two-valued logic: `not` of such a comparison is true)
 * - `[*]` iterates over an array's elements or an object's values; paths
 *   that iterate inside one any(), all(),
 *   sum() or len() share one iterator per array, so `any(disks[*].a = 1 and
 *   disks[*].b = 2)` needs one disk with both; outside those functions a
 *   comparison that iterates holds when it holds for some element
 * - a dot after a field that holds an array in some document of the kind
 *   means `[*]` (the catalogue of array paths is given by the caller)
 * - arithmetic on a value that is not a number gives null; `/` divides as
 *   real numbers
 * - a date literal ('2024-01-01', RFC 3339) compares as a point in time with
 *   string values that read as dates
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-query-private.h"

typedef struct {
	char *sql;
	gboolean is_json;
} Root;

static void
root_free(Root *root)
{
	g_free(root->sql);
	g_free(root);
}

typedef struct {
	char *key;           /* the path to the array, with its [*] */
	char *alias;         /* jN */
	char *from;          /* json_each(…) AS jN, or a table of element facts */
	char *where;         /* the rows of the iteration */
	GHashTable *columns; /* of the element facts, NULL over JSON */
	const char *owner;   /* of the element facts: the rowid their obj is */
} Iterator;

static void
iterator_free(Iterator *iterator)
{
	g_free(iterator->key);
	g_free(iterator->alias);
	g_free(iterator->from);
	g_free(iterator->where);
	if (iterator->columns != NULL)
		g_hash_table_unref(iterator->columns);
	g_free(iterator);
}

typedef struct {
	char *table;
	char *owner; /* SQL of the rowid the table's obj column matches */
	GHashTable *columns;
} ElementFacts;

typedef struct {
	char *alias;
	char *sql;
	gboolean used;
} Join;

static void
join_free(Join *join)
{
	g_free(join->alias);
	g_free(join->sql);
	g_free(join);
}

static void
element_facts_free(ElementFacts *elements)
{
	g_free(elements->table);
	g_free(elements->owner);
	g_hash_table_unref(elements->columns);
	g_free(elements);
}

typedef struct {
	GPtrArray *iterators; /* of Iterator */
} Scope;

static void
scope_free(Scope *scope)
{
	g_ptr_array_unref(scope->iterators);
	g_free(scope);
}

struct _FerryQContext {
	char *document;
	GHashTable *roots;    /* name → Root */
	GHashTable *computed; /* name → SQL template */
	GHashTable *arrays;   /* normalised path → NULL */
	GHashTable *objects;  /* normalised paths holding an object in some document */
	char *facts_alias;    /* the table of facts, if any */
	GHashTable *facts;    /* normalised path (path# for lengths) → column */
	gboolean uses_facts;
	GPtrArray *joins;        /* of Join */
	GHashTable *elements;    /* array path → ElementFacts */
	GHashTable *no_elements; /* iterator keys that need the JSON */
	gboolean elements_fallback;
	gboolean shared_document;
	/* compile state */
	GPtrArray *scopes; /* of Scope, innermost last */
	guint next_alias;
	GError *error;
	guint error_column;
};

FerryQContext *
ferry_qcontext_new(const char *document)
{
	FerryQContext *context = g_new0(FerryQContext, 1);
	context->document = g_strdup(document);
	context->roots =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)root_free);
	context->computed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	context->arrays = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	context->objects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	context->elements = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						  (GDestroyNotify)element_facts_free);
	context->no_elements = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	context->joins = g_ptr_array_new_with_free_func((GDestroyNotify)join_free);
	context->scopes = g_ptr_array_new_with_free_func((GDestroyNotify)scope_free);
	return context;
}

void
ferry_qcontext_free(FerryQContext *context)
{
	if (context == NULL)
		return;
	g_free(context->document);
	g_hash_table_unref(context->roots);
	g_hash_table_unref(context->computed);
	g_hash_table_unref(context->arrays);
	g_hash_table_unref(context->objects);
	g_free(context->facts_alias);
	if (context->facts != NULL)
		g_hash_table_unref(context->facts);
	g_hash_table_unref(context->elements);
	g_hash_table_unref(context->no_elements);
	g_ptr_array_unref(context->joins);
	g_ptr_array_unref(context->scopes);
	g_clear_error(&context->error);
	g_free(context);
}

void
ferry_qcontext_add_root(FerryQContext *context, const char *name, const char *sql, gboolean is_json)
{
	Root *root = g_new0(Root, 1);
	root->sql = g_strdup(sql);
	root->is_json = is_json;
	g_hash_table_replace(context->roots, g_strdup(name), root);
}

void
ferry_qcontext_add_computed(FerryQContext *context, const char *name, const char *sql)
{
	g_hash_table_replace(context->computed, g_strdup(name), g_strdup(sql));
}

void
ferry_qcontext_add_array_path(FerryQContext *context, const char *path)
{
	g_hash_table_add(context->arrays, g_strdup(path));
}

void
ferry_qcontext_add_object_path(FerryQContext *context, const char *path)
{
	g_hash_table_add(context->objects, g_strdup(path));
}

void
ferry_qcontext_set_facts(FerryQContext *context, const char *alias, GHashTable *columns)
{
	g_free(context->facts_alias);
	context->facts_alias = g_strdup(alias);
	if (context->facts != NULL)
		g_hash_table_unref(context->facts);
	context->facts = g_hash_table_ref(columns);
}

void
ferry_qcontext_add_element_facts(FerryQContext *context, const char *array, const char *owner,
				 const char *table, GHashTable *columns)
{
	ElementFacts *elements = g_new0(ElementFacts, 1);
	elements->table = g_strdup(table);
	elements->owner = g_strdup(owner);
	elements->columns = g_hash_table_ref(columns);
	g_hash_table_replace(context->elements, g_strdup(array), elements);
}

void
ferry_qcontext_add_join(FerryQContext *context, const char *alias, const char *sql)
{
	Join *join = g_new0(Join, 1);
	join->alias = g_strdup(alias);
	join->sql = g_strdup(sql);
	g_ptr_array_add(context->joins, join);
}

char *
ferry_qcontext_get_joins(FerryQContext *context)
{
	g_autoptr(GString) sql = g_string_new(NULL);
	for (guint i = 0; i < context->joins->len; i++) {
		Join *join = g_ptr_array_index(context->joins, i);
		if (join->used)
			g_string_append_printf(sql, " %s", join->sql);
	}
	return g_string_free(g_steal_pointer(&sql), FALSE);
}

void
ferry_qcontext_set_shared_document(FerryQContext *context, gboolean shared)
{
	context->shared_document = shared;
}

gboolean
ferry_qcontext_uses_facts(FerryQContext *context)
{
	return context->uses_facts;
}

static gboolean compile_fail(FerryQContext *context, const FerryQNode *node, const char *format,
			     ...) G_GNUC_PRINTF(3, 4);

static gboolean
compile_fail(FerryQContext *context, const FerryQNode *node, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;
	if (context->error != NULL)
		return FALSE;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	context->error = g_error_new(FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT, "column %u: %s",
				     node->column, message);
	context->error_column = node->column;
	return FALSE;
}

guint
ferry_qcontext_get_error_column(FerryQContext *context)
{
	return context->error_column;
}

/* -- paths -- */

static void
append_sql_string(GString *sql, const char *value)
{
	g_string_append_c(sql, '\'');
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\'')
			g_string_append_c(sql, '\'');
		g_string_append_c(sql, *p);
	}
	g_string_append_c(sql, '\'');
}

static char *
sql_string(const char *value)
{
	GString *sql = g_string_new(NULL);
	append_sql_string(sql, value);
	return g_string_free(sql, FALSE);
}

static gboolean
key_is_plain(const char *key)
{
	if (key[0] == '\0' || g_ascii_isdigit(key[0]))
		return FALSE;
	for (const char *p = key; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_')
			return FALSE;
	}
	return TRUE;
}

/* appends a key to a JSON path in SQLite's syntax */
static gboolean
append_json_path_key(FerryQContext *context, const FerryQNode *node, GString *path, const char *key)
{
	if (key_is_plain(key)) {
		g_string_append_printf(path, ".%s", key);
		return TRUE;
	}
	if (strchr(key, '"') != NULL)
		return compile_fail(context, node, "field names with '\"' cannot be queried");
	g_string_append_printf(path, ".\"%s\"", key);
	return TRUE;
}

/* the normalised form of a path, as the catalogue of array paths has it:
 * indexes and stars are [*] */
static char *
normalised_path(const FerryQNode *node, guint n_segments)
{
	g_autoptr(FerryQNode) copy = ferry_qnode_copy(node);
	for (guint i = 0; i < copy->segments->len; i++) {
		FerryQSegment *segment = g_ptr_array_index(copy->segments, i);
		if (segment->type == FERRY_QSEGMENT_INDEX)
			segment->type = FERRY_QSEGMENT_STAR;
	}
	return ferry_qnode_path_to_string(copy, n_segments);
}

static const char *
path_first_key(const FerryQNode *node)
{
	const FerryQSegment *first = g_ptr_array_index(node->segments, 0);
	return first->key;
}

/* the root a path starts from, if it names one */
static Root *
path_root(FerryQContext *context, const FerryQNode *node)
{
	Root *root = g_hash_table_lookup(context->roots, path_first_key(node));
	if (root == NULL)
		return NULL;
	if (!root->is_json && node->segments->len != 1)
		return NULL;
	return root;
}

static const char *
path_computed(FerryQContext *context, const FerryQNode *node)
{
	if (node->segments->len != 1 || path_root(context, node) != NULL)
		return NULL;
	return g_hash_table_lookup(context->computed, path_first_key(node));
}

/* rewrites a tree for the catalogue: a dot after an array means [*]; the
 * right side of `in` never ends in [*] */
static void
rewrite_paths(FerryQContext *context, FerryQNode *node)
{
	for (guint i = 0; node->children != NULL && i < node->children->len; i++)
		rewrite_paths(context, g_ptr_array_index(node->children, i));
	if (node->type == FERRY_QNODE_IN) {
		FerryQNode *right = g_ptr_array_index(node->children, 1);
		if (right->type == FERRY_QNODE_PATH && right->segments->len > 1) {
			FerryQSegment *last =
				g_ptr_array_index(right->segments, right->segments->len - 1);
			if (last->type == FERRY_QSEGMENT_STAR)
				g_ptr_array_remove_index(right->segments, right->segments->len - 1);
		}
	}
	if (node->type != FERRY_QNODE_PATH || g_hash_table_size(context->arrays) == 0)
		return;
	if (path_root(context, node) != NULL || path_computed(context, node) != NULL)
		return;
	for (guint i = 0; i + 1 < node->segments->len; i++) {
		FerryQSegment *segment = g_ptr_array_index(node->segments, i);
		FerryQSegment *next = g_ptr_array_index(node->segments, i + 1);
		g_autofree char *prefix = NULL;
		if (segment->type == FERRY_QSEGMENT_STAR || next->type != FERRY_QSEGMENT_KEY)
			continue;
		prefix = normalised_path(node, i + 1);
		if (g_hash_table_contains(context->arrays, prefix))
			g_ptr_array_insert(node->segments, i + 1,
					   ferry_qsegment_new(FERRY_QSEGMENT_STAR, NULL, 0));
	}
}

static Iterator *
lookup_iterator(FerryQContext *context, const char *key)
{
	for (guint i = context->scopes->len; i > 0; i--) {
		Scope *scope = g_ptr_array_index(context->scopes, i - 1);
		for (guint j = 0; j < scope->iterators->len; j++) {
			Iterator *iterator = g_ptr_array_index(scope->iterators, j);
			if (g_strcmp0(iterator->key, key) == 0)
				return iterator;
		}
	}
	return NULL;
}

/* the JSON text of the current element of json_each() @alias */
static char *
element_json_sql(const char *alias)
{
	return g_strdup_printf("(CASE %s.type WHEN 'object' THEN %s.value WHEN 'array' THEN "
			       "%s.value WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
			       "ELSE json_quote(%s.value) END)",
			       alias, alias, alias, alias);
}

void
ferry_qcontext_add_element_root(FerryQContext *context, const char *name, const char *alias)
{
	g_autofree char *sql = element_json_sql(alias);
	ferry_qcontext_add_root(context, name, sql, TRUE);
}

/* where segments [0, @upto) of a path lead: the SQL of a JSON text (@base)
 * and an SQL literal of a JSON path into it (@json_path, '$' for the text
 * itself). Past a star the base is the JSON text of the iterator's current
 * element (json_each's value is no JSON text for strings); @element is the
 * iterator's alias when the path ends at an element itself. */
static gboolean
resolve_path(FerryQContext *context, const FerryQNode *node, guint upto, char **base,
	     char **json_path, gboolean *is_json, const char **element)
{
	g_autoptr(GString) path = g_string_new("$");
	g_autofree char *current = NULL;
	const char *alias = NULL;
	guint first = 0;
	Root *root = path_root(context, node);

	*is_json = TRUE;
	if (root != NULL) {
		current = g_strdup(root->sql);
		*is_json = root->is_json;
		first = 1;
	} else {
		current = g_strdup(context->document);
	}
	for (guint i = first; i < upto; i++) {
		const FerryQSegment *segment = g_ptr_array_index(node->segments, i);
		switch (segment->type) {
		case FERRY_QSEGMENT_KEY:
			if (!append_json_path_key(context, node, path, segment->key))
				return FALSE;
			alias = NULL;
			break;
		case FERRY_QSEGMENT_INDEX:
			g_string_append_printf(path, "[%" G_GINT64_FORMAT "]", segment->index);
			alias = NULL;
			break;
		case FERRY_QSEGMENT_STAR: {
			g_autofree char *key = ferry_qnode_path_to_string(node, i + 1);
			Iterator *iterator = lookup_iterator(context, key);
			if (iterator == NULL)
				return compile_fail(context, node,
						    "internal error: no iterator for %s", key);
			if (iterator->columns != NULL) {
				/* the element facts do not have it: compile again
				 * iterating over the JSON */
				g_hash_table_add(context->no_elements, g_strdup(key));
				context->elements_fallback = TRUE;
				return compile_fail(context, node,
						    "internal error: %s needs its JSON", key);
			}
			alias = iterator->alias;
			g_free(current);
			current = element_json_sql(alias);
			g_string_assign(path, "$");
			break;
		}
		default:
			g_assert_not_reached();
		}
	}
	*base = g_steal_pointer(&current);
	*json_path = sql_string(path->str);
	if (element != NULL)
		*element = alias;
	return TRUE;
}

/* json_each() over the value at a resolved path: the value is taken with ->,
 * which reuses SQLite's parse of the document, so json_each() parses only
 * the array and not the whole document again */
static char *
json_each_sql(FerryQContext *context, const char *base, const char *json_path)
{
	if (g_strcmp0(json_path, "'$'") == 0)
		return g_strdup_printf("json_each(%s)", base);
	/* when other calls parse the document anyway, -> reuses that parse and
	 * json_each() reads only the array; else one parse of the document is
	 * cheaper than copying the array out of it */
	if (context->shared_document)
		return g_strdup_printf("json_each(%s -> %s)", base, json_path);
	return g_strdup_printf("json_each(%s, %s)", base, json_path);
}

/* the SQL value at a resolved path */
static char *
json_extract_sql(const char *base, const char *json_path, const char *element)
{
	if (element != NULL)
		return g_strdup_printf("%s.value", element);
	if (g_strcmp0(json_path, "'$'") == 0)
		return g_strdup(base);
	return g_strdup_printf("json_extract(%s, %s)", base, json_path);
}

/* -- scopes -- */

static gboolean
node_is_scope(const FerryQNode *node)
{
	return node->type == FERRY_QNODE_CALL;
}

/* the stars a subtree iterates with, outside nested functions */
static void
collect_stars(const FerryQNode *node, GPtrArray *keys, GPtrArray *owners, gboolean top)
{
	if (!top && node_is_scope(node))
		return;
	if (node->type == FERRY_QNODE_PATH) {
		for (guint i = 0; i < node->segments->len; i++) {
			const FerryQSegment *segment = g_ptr_array_index(node->segments, i);
			g_autofree char *key = NULL;
			if (segment->type != FERRY_QSEGMENT_STAR)
				continue;
			key = ferry_qnode_path_to_string(node, i + 1);
			if (!g_ptr_array_find_with_equal_func(keys, key, g_str_equal, NULL)) {
				g_ptr_array_add(keys, g_steal_pointer(&key));
				g_ptr_array_add(owners, (gpointer)node);
			}
		}
	}
	for (guint i = 0; node->children != NULL && i < node->children->len; i++)
		collect_stars(g_ptr_array_index(node->children, i), keys, owners, FALSE);
}

/* the element facts an iterator over `p[*]` (@key, the star at segment
 * @upto of @owner) reads instead of the JSON: p must be plain keys through
 * objects that hold an array, never an object, in the documents */
static ElementFacts *
iterator_elements(FerryQContext *context, const FerryQNode *owner, guint upto, const char *key)
{
	g_autofree char *array = NULL;

	if (g_hash_table_size(context->elements) == 0 || upto == 0 ||
	    path_root(context, owner) != NULL || path_computed(context, owner) != NULL ||
	    g_hash_table_contains(context->no_elements, key))
		return NULL;
	for (guint i = 0; i < upto; i++) {
		const FerryQSegment *segment = g_ptr_array_index(owner->segments, i);
		if (segment->type != FERRY_QSEGMENT_KEY)
			return NULL;
	}
	array = ferry_qnode_path_to_string(owner, upto);
	if (!g_hash_table_contains(context->arrays, array) ||
	    g_hash_table_contains(context->objects, array))
		return NULL;
	return g_hash_table_lookup(context->elements, array);
}

/* opens a scope with an iterator for every star of @node (outside nested
 * functions, and outside @node itself when it is a function and not
 * @function_scope) that no enclosing scope iterates yet */
static gboolean
push_scope(FerryQContext *context, const FerryQNode *node, gboolean function_scope)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) owners = g_ptr_array_new();
	Scope *scope = g_new0(Scope, 1);

	scope->iterators = g_ptr_array_new_with_free_func((GDestroyNotify)iterator_free);
	collect_stars(node, keys, owners, function_scope);
	g_ptr_array_add(context->scopes, scope);
	/* a path's stars were collected in order, so outer arrays come first */
	for (guint i = 0; i < keys->len; i++) {
		const char *key = g_ptr_array_index(keys, i);
		const FerryQNode *owner = g_ptr_array_index(owners, i);
		Iterator *iterator;
		ElementFacts *elements;
		g_autofree char *base = NULL;
		g_autofree char *json_path = NULL;
		gboolean is_json;
		guint upto = 0;

		if (lookup_iterator(context, key) != NULL)
			continue;
		for (guint j = 0; j < owner->segments->len; j++) {
			g_autofree char *prefix = ferry_qnode_path_to_string(owner, j + 1);
			if (g_strcmp0(prefix, key) == 0) {
				upto = j;
				break;
			}
		}
		if (!resolve_path(context, owner, upto, &base, &json_path, &is_json, NULL))
			return FALSE;
		iterator = g_new0(Iterator, 1);
		iterator->key = g_strdup(key);
		iterator->alias = g_strdup_printf("j%u", ++context->next_alias);
		elements = iterator_elements(context, owner, upto, key);
		if (elements != NULL) {
			iterator->from =
				g_strdup_printf("%s AS %s", elements->table, iterator->alias);
			iterator->where =
				g_strdup_printf("%s.obj = %s", iterator->alias, elements->owner);
			iterator->columns = g_hash_table_ref(elements->columns);
			iterator->owner = elements->owner;
		} else if (!is_json) {
			/* a column holds no array: iterate over nothing */
			iterator->from = g_strdup_printf("json_each('[]') AS %s", iterator->alias);
		} else {
			g_autofree char *each = json_each_sql(context, base, json_path);
			iterator->from = g_strdup_printf("%s AS %s", each, iterator->alias);
		}
		if (iterator->where == NULL)
			/* elements of arrays and values of objects, not a scalar itself */
			iterator->where = g_strdup_printf("%s.key IS NOT NULL", iterator->alias);
		g_ptr_array_add(scope->iterators, iterator);
	}
	return TRUE;
}

static void
pop_scope(FerryQContext *context)
{
	g_ptr_array_remove_index(context->scopes, context->scopes->len - 1);
}

static Scope *
current_scope(FerryQContext *context)
{
	return g_ptr_array_index(context->scopes, context->scopes->len - 1);
}

/* FROM … WHERE guards for the iterators of the innermost scope */
static char *
scope_from_where(FerryQContext *context)
{
	Scope *scope = current_scope(context);
	g_autoptr(GString) sql = g_string_new("FROM ");
	for (guint i = 0; i < scope->iterators->len; i++) {
		Iterator *iterator = g_ptr_array_index(scope->iterators, i);
		if (i > 0)
			g_string_append(sql, ", ");
		g_string_append(sql, iterator->from);
	}
	g_string_append(sql, " WHERE ");
	for (guint i = 0; i < scope->iterators->len; i++) {
		Iterator *iterator = g_ptr_array_index(scope->iterators, i);
		if (i > 0)
			g_string_append(sql, " AND ");
		g_string_append(sql, iterator->where);
	}
	return g_string_free(g_steal_pointer(&sql), FALSE);
}

/* -- expressions -- */

static char *compile_value(FerryQContext *context, const FerryQNode *node);
static char *compile_condition(FerryQContext *context, const FerryQNode *node, gboolean strict);
static char *compile_json(FerryQContext *context, const FerryQNode *node);

static char *fact_column(FerryQContext *context, const FerryQNode *node, const char *suffix);

/* a computed field's SQL: @DOC@ is the document, @CONCERNS@ the concerns,
 * @FACT:p@ field p (plain keys) from the facts or the document */
static char *
compile_computed(FerryQContext *context, const char *template)
{
	Root *concerns = g_hash_table_lookup(context->roots, "concerns");
	g_autoptr(GString) sql = g_string_new(NULL);
	const char *p = template;
	const char *fact;

	while ((fact = strstr(p, "@FACT:")) != NULL) {
		const char *end = strchr(fact + 6, '@');
		g_autofree char *path = g_strndup(fact + 6, end - fact - 6);
		g_autoptr(FerryQNode) node = ferry_query_parse_expression(path, NULL, NULL);
		g_autofree char *column = node != NULL ? fact_column(context, node, NULL) : NULL;
		g_string_append_len(sql, p, fact - p);
		if (column != NULL)
			g_string_append(sql, column);
		else
			g_string_append_printf(sql, "json_extract(%s, '$.%s')", context->document,
					       path);
		p = end + 1;
	}
	g_string_append(sql, p);
	for (guint i = 0; i < context->joins->len; i++) {
		Join *join = g_ptr_array_index(context->joins, i);
		g_autofree char *token = g_strdup_printf("@JOIN:%s@", join->alias);
		if (g_string_replace(sql, token, join->alias, 0) > 0)
			join->used = TRUE;
	}
	g_string_replace(sql, "@DOC@", context->document, 0);
	g_string_replace(sql, "@CONCERNS@", concerns != NULL ? concerns->sql : "NULL", 0);
	return g_strdup_printf("(%s)", sql->str);
}

/* the facts column holding a path of plain keys through objects, when the
 * path never holds an array or object; @suffix "#" asks for its length */
static char *
fact_column(FerryQContext *context, const FerryQNode *node, const char *suffix)
{
	g_autofree char *path = NULL;
	g_autofree char *key = NULL;
	const char *column;

	if (context->facts == NULL || path_root(context, node) != NULL ||
	    path_computed(context, node) != NULL)
		return NULL;
	for (guint i = 0; i < node->segments->len; i++) {
		const FerryQSegment *segment = g_ptr_array_index(node->segments, i);
		if (segment->type != FERRY_QSEGMENT_KEY)
			return NULL;
	}
	path = ferry_qnode_path_to_string(node, node->segments->len);
	if (suffix == NULL && (g_hash_table_contains(context->arrays, path) ||
			       g_hash_table_contains(context->objects, path)))
		return NULL;
	if (suffix != NULL && g_hash_table_contains(context->objects, path))
		return NULL;
	key = g_strconcat(path, suffix, NULL);
	column = g_hash_table_lookup(context->facts, key);
	if (column == NULL)
		return NULL;
	context->uses_facts = TRUE;
	return g_strdup_printf("%s.%s", context->facts_alias, column);
}

/* the column of the element facts holding `p[*].q` (plain keys q through
 * objects, or none: the element itself) for an iterator over them, when q
 * never holds an array or object */
static char *
element_column(FerryQContext *context, const FerryQNode *node)
{
	g_autofree char *key = NULL;
	g_autofree char *path = NULL;
	Iterator *iterator;
	const char *column;
	guint star = G_MAXUINT;

	if (g_hash_table_size(context->elements) == 0)
		return NULL;
	for (guint i = 0; i < node->segments->len; i++) {
		const FerryQSegment *segment = g_ptr_array_index(node->segments, i);
		if (segment->type == FERRY_QSEGMENT_STAR && star == G_MAXUINT)
			star = i;
		else if (segment->type != FERRY_QSEGMENT_KEY)
			return NULL;
	}
	if (star == G_MAXUINT)
		return NULL;
	key = ferry_qnode_path_to_string(node, star + 1);
	iterator = lookup_iterator(context, key);
	if (iterator == NULL || iterator->columns == NULL)
		return NULL;
	path = ferry_qnode_path_to_string(node, node->segments->len);
	if (g_hash_table_contains(context->arrays, path) ||
	    g_hash_table_contains(context->objects, path))
		return NULL;
	column = g_hash_table_lookup(iterator->columns, path);
	if (column == NULL)
		return NULL;
	return g_strdup_printf("%s.%s", iterator->alias, column);
}

static char *
compile_path(FerryQContext *context, const FerryQNode *node)
{
	g_autofree char *base = NULL;
	g_autofree char *json_path = NULL;
	const char *computed = path_computed(context, node);
	const char *element = NULL;
	gboolean is_json;

	if (computed != NULL)
		return compile_computed(context, computed);
	{
		char *fact = fact_column(context, node, NULL);
		if (fact == NULL)
			fact = element_column(context, node);
		if (fact != NULL)
			return fact;
	}
	if (!resolve_path(context, node, node->segments->len, &base, &json_path, &is_json,
			  &element))
		return NULL;
	if (!is_json)
		return g_steal_pointer(&base);
	return json_extract_sql(base, json_path, element);
}

static char *
compile_literal(const FerryQNode *node)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	switch (node->type) {
	case FERRY_QNODE_NULL:
		return g_strdup("NULL");
	case FERRY_QNODE_BOOL:
		return g_strdup(node->boolean ? "1" : "0");
	case FERRY_QNODE_INT:
		return g_strdup_printf("%" G_GINT64_FORMAT, node->integer);
	case FERRY_QNODE_REAL:
		g_ascii_dtostr(buf, sizeof(buf), node->real);
		/* make sure SQLite reads a real */
		if (strpbrk(buf, ".eEn") == NULL)
			return g_strdup_printf("%s.0", buf);
		return g_strdup(buf);
	case FERRY_QNODE_STRING:
		return sql_string(node->string);
	default:
		return NULL;
	}
}

static gboolean
node_is_literal(const FerryQNode *node)
{
	return node->type == FERRY_QNODE_NULL || node->type == FERRY_QNODE_BOOL ||
	       node->type == FERRY_QNODE_INT || node->type == FERRY_QNODE_REAL ||
	       node->type == FERRY_QNODE_STRING;
}

static gboolean
node_is_number(const FerryQNode *node)
{
	return node->type == FERRY_QNODE_INT || node->type == FERRY_QNODE_REAL;
}

/* a number for arithmetic, or NULL */
static char *
compile_number(FerryQContext *context, const FerryQNode *node)
{
	g_autofree char *value = NULL;
	if (node_is_number(node))
		return compile_literal(node);
	/* arithmetic and sum() and len() give numbers or null already; fewer
	 * nested calls leave room in SQLite's parser stack */
	if (node->type == FERRY_QNODE_ARITH || node->type == FERRY_QNODE_NEG ||
	    (node->type == FERRY_QNODE_CALL &&
	     (node->func == FERRY_QFUNC_SUM || node->func == FERRY_QFUNC_LEN)))
		return compile_value(context, node);
	value = compile_value(context, node);
	if (value == NULL)
		return NULL;
	return g_strdup_printf("ferry_num(%s)", value);
}

static char *
compile_arith(FerryQContext *context, const FerryQNode *node)
{
	g_autofree char *left = compile_number(context, g_ptr_array_index(node->children, 0));
	g_autofree char *right = NULL;
	static const char *const ops[] = {
		[FERRY_QOP_ADD] = "+", [FERRY_QOP_SUB] = "-", [FERRY_QOP_MUL] = "*",
		[FERRY_QOP_DIV] = "/", [FERRY_QOP_MOD] = "%",
	};
	if (left == NULL)
		return NULL;
	right = compile_number(context, g_ptr_array_index(node->children, 1));
	if (right == NULL)
		return NULL;
	/* operands are literals, calls or parenthesised, so one pair will do */
	if (node->op == FERRY_QOP_DIV)
		return g_strdup_printf("(%s * 1.0 / %s)", left, right);
	return g_strdup_printf("(%s %s %s)", left, ops[node->op], right);
}

/* len() of a path that does not iterate: the length of an array, the number
 * of members of an object, the characters of a string, 0 when missing */
static char *
compile_len_path(FerryQContext *context, const FerryQNode *node)
{
	g_autofree char *base = NULL;
	g_autofree char *quoted = NULL;
	g_autofree char *fact = NULL;
	g_autofree char *path = NULL;
	gboolean is_json;

	if (path_computed(context, node) != NULL) {
		g_autofree char *value = compile_path(context, node);
		return g_strdup_printf("length(ferry_text(%s))", value);
	}
	if (!resolve_path(context, node, node->segments->len, &base, &quoted, &is_json, NULL))
		return NULL;
	if (!is_json)
		return g_strdup_printf("COALESCE(length(ferry_text(%s)), 0)", base);
	fact = g_hash_table_contains(context->arrays,
				     path = ferry_qnode_path_to_string(node, node->segments->len))
		       ? fact_column(context, node, "#")
		       : NULL;
	/* the length of an array from the facts; anything else from the document */
	if (fact != NULL)
		return g_strdup_printf("COALESCE(%s, (CASE COALESCE(json_type(%s, %s), 'null') "
				       "WHEN 'text' THEN length(json_extract(%s, %s)) "
				       "WHEN 'null' THEN 0 END))",
				       fact, base, quoted, base, quoted);
	return g_strdup_printf("(CASE COALESCE(json_type(%s, %s), 'null') "
			       "WHEN 'array' THEN json_array_length(%s, %s) "
			       "WHEN 'object' THEN (SELECT count(*) FROM json_each(%s, %s)) "
			       "WHEN 'text' THEN length(json_extract(%s, %s)) "
			       "WHEN 'null' THEN 0 END)",
			       base, quoted, base, quoted, base, quoted, base, quoted);
}

/* FROM json_each over the elements of a path that does not iterate (a scalar
 * counts as one element), for sum(), any() and all() of a plain path */
static char *
compile_elements_from(FerryQContext *context, const FerryQNode *node, const char *alias)
{
	g_autofree char *base = NULL;
	g_autofree char *quoted = NULL;
	g_autofree char *each = NULL;
	gboolean is_json;

	if (!resolve_path(context, node, node->segments->len, &base, &quoted, &is_json, NULL))
		return NULL;
	if (!is_json)
		return g_strdup_printf("(SELECT %s AS value) AS %s WHERE 1", base, alias);
	each = json_each_sql(context, base, quoted);
	return g_strdup_printf("%s AS %s WHERE (typeof(%s.key) = 'integer' OR %s.key IS NULL)",
			       each, alias, alias, alias);
}

/* whether every path of @node goes through the star of @key */
static gboolean
node_reads_only(FerryQContext *context, const FerryQNode *node, const char *key)
{
	if (node->type == FERRY_QNODE_PATH) {
		g_autofree char *prefix = NULL;
		guint star = 0;
		while (star < node->segments->len &&
		       ((const FerryQSegment *)g_ptr_array_index(node->segments, star))->type !=
			       FERRY_QSEGMENT_STAR)
			star++;
		if (star == node->segments->len || path_root(context, node) != NULL ||
		    path_computed(context, node) != NULL)
			return FALSE;
		prefix = ferry_qnode_path_to_string(node, star + 1);
		return g_strcmp0(prefix, key) == 0;
	}
	for (guint i = 0; node->children != NULL && i < node->children->len; i++)
		if (!node_reads_only(context, g_ptr_array_index(node->children, i), key))
			return FALSE;
	return TRUE;
}

/* whether the scope just opened for @argument is the outermost, iterates
 * over element facts alone and reads nothing else: its rows are then the
 * same for every object, and the objects with a matching element can be
 * found in one pass over the facts */
static gboolean
scope_reads_elements_only(FerryQContext *context, const FerryQNode *argument)
{
	Scope *scope = current_scope(context);
	Iterator *iterator;

	if (context->scopes->len != 1 || scope->iterators->len != 1)
		return FALSE;
	iterator = g_ptr_array_index(scope->iterators, 0);
	return iterator->columns != NULL && node_reads_only(context, argument, iterator->key);
}

static char *
compile_call(FerryQContext *context, const FerryQNode *node, gboolean strict)
{
	const FerryQNode *argument = g_ptr_array_index(node->children, 0);
	g_autofree char *result = NULL;
	gboolean iterates;

	if (argument->type == FERRY_QNODE_ARRAY) {
		compile_fail(context, argument, "an array can only follow 'in'");
		return NULL;
	}
	if (!push_scope(context, node, TRUE))
		return NULL;
	iterates = current_scope(context)->iterators->len > 0;

	if (iterates && (node->func == FERRY_QFUNC_ANY || node->func == FERRY_QFUNC_ALL) &&
	    scope_reads_elements_only(context, argument)) {
		/* the objects with such an element, found once for all rows */
		Iterator *iterator = g_ptr_array_index(current_scope(context)->iterators, 0);
		gboolean any = node->func == FERRY_QFUNC_ANY;
		g_autofree char *inner = compile_condition(context, argument, !any);
		/* all() of nothing is false, as in kubectl-mtv */
		if (inner != NULL && any)
			result = g_strdup_printf("(%s IN (SELECT %s.obj FROM %s WHERE (%s)))",
						 iterator->owner, iterator->alias, iterator->from,
						 inner);
		else if (inner != NULL)
			result = g_strdup_printf(
				"(%s IN (SELECT %s.obj FROM %s) AND %s NOT IN (SELECT %s.obj "
				"FROM %s WHERE NOT (%s)))",
				iterator->owner, iterator->alias, iterator->from, iterator->owner,
				iterator->alias, iterator->from, inner);
	} else if (iterates) {
		g_autofree char *from = scope_from_where(context);
		g_autofree char *inner = NULL;
		switch (node->func) {
		case FERRY_QFUNC_LEN:
			result = g_strdup_printf("(SELECT count(*) %s)", from);
			break;
		case FERRY_QFUNC_SUM:
			inner = compile_value(context, argument);
			if (inner != NULL)
				result = g_strdup_printf(
					"(SELECT COALESCE(sum(ferry_num(%s)), 0) %s)", inner, from);
			break;
		case FERRY_QFUNC_ANY:
			inner = compile_condition(context, argument, FALSE);
			if (inner != NULL)
				result = g_strdup_printf("EXISTS(SELECT 1 %s AND (%s))", from,
							 inner);
			break;
		case FERRY_QFUNC_ALL:
			inner = compile_condition(context, argument, TRUE);
			if (inner != NULL)
				result = g_strdup_printf("(EXISTS(SELECT 1 %s) AND NOT "
							 "EXISTS(SELECT 1 %s AND NOT (%s)))",
							 from, from, inner);
			break;
		default:
			g_assert_not_reached();
		}
	} else if (argument->type == FERRY_QNODE_PATH && node->func != FERRY_QFUNC_LEN) {
		g_autofree char *alias = g_strdup_printf("j%u", ++context->next_alias);
		g_autofree char *from = compile_elements_from(context, argument, alias);
		if (from != NULL) {
			switch (node->func) {
			case FERRY_QFUNC_SUM:
				result = g_strdup_printf(
					"(SELECT COALESCE(sum(ferry_num(%s.value)), 0) FROM %s)",
					alias, from);
				break;
			case FERRY_QFUNC_ANY:
				result = g_strdup_printf(
					"EXISTS(SELECT 1 FROM %s AND ferry_truthy(%s.value))", from,
					alias);
				break;
			case FERRY_QFUNC_ALL:
				result = g_strdup_printf("(EXISTS(SELECT 1 FROM %s) AND NOT "
							 "EXISTS(SELECT 1 FROM %s AND NOT "
							 "ferry_truthy(%s.value)))",
							 from, from, alias);
				break;
			default:
				g_assert_not_reached();
			}
		}
	} else {
		g_autofree char *inner = NULL;
		switch (node->func) {
		case FERRY_QFUNC_LEN:
			if (argument->type == FERRY_QNODE_PATH) {
				result = compile_len_path(context, argument);
			} else {
				inner = compile_value(context, argument);
				if (inner != NULL)
					result = g_strdup_printf("length(ferry_text(%s))", inner);
			}
			break;
		case FERRY_QFUNC_SUM:
			inner = compile_number(context, argument);
			if (inner != NULL)
				result = g_strdup_printf("COALESCE(%s, 0)", inner);
			break;
		case FERRY_QFUNC_ANY:
		case FERRY_QFUNC_ALL:
			result = compile_condition(context, argument, strict);
			break;
		default:
			g_assert_not_reached();
		}
	}
	pop_scope(context);
	return g_steal_pointer(&result);
}

static gboolean
node_is_date(const FerryQNode *node)
{
	return node->type == FERRY_QNODE_STRING && node->is_date;
}

typedef enum {
	OPERAND_ANY,
	OPERAND_NUMBER, /* compared with a number: other types are null */
	OPERAND_TEXT,   /* compared with a string: other types are null */
	OPERAND_TIME,   /* compared with a date: strings that read as dates */
} OperandType;

/* how the other operands of a comparison with @literals are read */
static OperandType
operand_type_for(const FerryQNode *const *literals, guint n_literals)
{
	for (guint i = 0; i < n_literals; i++) {
		if (literals[i] != NULL && node_is_date(literals[i]))
			return OPERAND_TIME;
	}
	for (guint i = 0; i < n_literals; i++) {
		const FerryQNode *node = literals[i];
		if (node == NULL)
			continue;
		if (node_is_number(node) || node->type == FERRY_QNODE_BOOL)
			return OPERAND_NUMBER;
		if (node->type == FERRY_QNODE_STRING)
			return OPERAND_TEXT;
	}
	return OPERAND_ANY;
}

static gboolean
node_is_text_column(FerryQContext *context, const FerryQNode *node)
{
	Root *root;
	if (node->type != FERRY_QNODE_PATH)
		return FALSE;
	root = path_root(context, node);
	return root != NULL && !root->is_json && g_strcmp0(path_first_key(node), "revision") != 0;
}

/* the value of a comparison operand, read as @type; a text column is kept
 * as it is (with its index) only when @keep_column */
static char *
compile_operand_full(FerryQContext *context, const FerryQNode *node, OperandType type,
		     gboolean keep_column)
{
	g_autofree char *value = NULL;
	if (node->type == FERRY_QNODE_ARRAY) {
		compile_fail(context, node, "an array can only follow 'in'");
		return NULL;
	}
	value = compile_value(context, node);
	if (value == NULL || node_is_literal(node))
		return g_steal_pointer(&value);
	switch (type) {
	case OPERAND_NUMBER:
		return g_strdup_printf("ferry_num(%s)", value);
	case OPERAND_TEXT:
		/* the id and name columns are always text, and keep their index */
		if (keep_column && node_is_text_column(context, node))
			return g_steal_pointer(&value);
		return g_strdup_printf("ferry_text(%s)", value);
	case OPERAND_TIME:
		return g_strdup_printf("julianday(ferry_date(%s))", value);
	case OPERAND_ANY:
	default:
		/* a column's affinity would convert the other operand */
		if (node_is_text_column(context, node))
			return g_strdup_printf("ferry_text(%s)", value);
		if (node->type == FERRY_QNODE_PATH) {
			Root *root = path_root(context, node);
			if (root != NULL && !root->is_json)
				return g_strdup_printf("ferry_num(%s)", value);
		}
		return g_steal_pointer(&value);
	}
}

static char *
compile_operand(FerryQContext *context, const FerryQNode *node, OperandType type)
{
	return compile_operand_full(context, node, type, FALSE);
}

/* an operand of a comparison or between: in time comparisons literals are
 * read as dates too, and literals that are not dates are null */
static char *
compile_comparand(FerryQContext *context, const FerryQNode *node, OperandType type,
		  gboolean keep_column)
{
	if (type == OPERAND_TIME && node_is_literal(node)) {
		g_autofree char *value = compile_literal(node);
		if (!node_is_date(node))
			return g_strdup("NULL");
		return g_strdup_printf("julianday(%s)", value);
	}
	return compile_operand_full(context, node, type, keep_column);
}

static gboolean
check_regex_literal(FerryQContext *context, const FerryQNode *pattern)
{
	g_autoptr(GRegex) regex = NULL;
	g_autoptr(GError) error = NULL;
	if (pattern->type != FERRY_QNODE_STRING)
		return TRUE;
	regex = g_regex_new(pattern->string, 0, 0, &error);
	if (regex == NULL)
		return compile_fail(context, pattern, "invalid regular expression: %s",
				    error->message);
	return TRUE;
}

/* the literal text every match of a regular expression anchored with ^
 * starts with (ASCII only), or NULL */
static char *
regex_literal_prefix(const char *pattern)
{
	g_autoptr(GString) prefix = g_string_new(NULL);
	const char *p = pattern + 1;

	if (pattern[0] != '^' || strchr(pattern, '|') != NULL)
		return NULL;
	while (*p != '\0') {
		char c = *p;
		if (c == '\\' && p[1] != '\0' && g_ascii_ispunct(p[1])) {
			c = p[1];
			p += 2;
		} else if (c > 0x20 && c < 0x7f && strchr("\\^$.|?*+()[]{}", c) == NULL) {
			p++;
		} else {
			break;
		}
		g_string_append_c(prefix, c);
	}
	/* a?, a* and a{0,…} may not match the last one */
	if (prefix->len > 0 && (*p == '?' || *p == '*' || *p == '{'))
		g_string_truncate(prefix, prefix->len - 1);
	return prefix->len > 0 ? g_string_free(g_steal_pointer(&prefix), FALSE) : NULL;
}

/* the literal text every match of a LIKE pattern starts with, or NULL */
static char *
like_literal_prefix(const char *pattern)
{
	g_autoptr(GString) prefix = g_string_new(NULL);
	for (const char *p = pattern; *p != '\0' && *p != '%' && *p != '_'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if ((guchar)*p < 0x20 || (guchar)*p >= 0x7f)
			break;
		g_string_append_c(prefix, *p);
	}
	return prefix->len > 0 ? g_string_free(g_steal_pointer(&prefix), FALSE) : NULL;
}

/* `a >= 'p' AND a < 'q' AND ` for the strings that start with @prefix, so
 * an index on the column (`o.name`) that @a reads finds them; the match
 * itself still decides. Only a string can match, and every other value is
 * outside the range, so this only narrows. */
static char *
prefix_range_sql(const char *a, const char *prefix)
{
	g_autofree char *column = NULL;
	g_autofree char *low = NULL;
	g_autofree char *high = NULL;
	g_autofree char *next = NULL;

	if (prefix == NULL ||
	    !g_regex_match_simple("^(ferry_text\\()?[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*(?(1)\\))$", a,
				  0, 0))
		return g_strdup("");
	column = g_str_has_prefix(a, "ferry_text(") ? g_strndup(a + 11, strlen(a) - 12)
						    : g_strdup(a);
	next = g_strdup(prefix);
	next[strlen(next) - 1]++;
	low = sql_string(prefix);
	high = sql_string(next);
	return g_strdup_printf("%s >= %s AND %s < %s AND ", column, low, column, high);
}

/* one predicate: a comparison, like, ~=, in, between or is null */
static char *
compile_predicate(FerryQContext *context, const FerryQNode *node)
{
	const FerryQNode *left = g_ptr_array_index(node->children, 0);
	const FerryQNode *right =
		node->children->len > 1 ? g_ptr_array_index(node->children, 1) : NULL;
	static const char *const ops[] = {
		[FERRY_QOP_EQ] = "=",  [FERRY_QOP_NE] = "<>", [FERRY_QOP_LT] = "<",
		[FERRY_QOP_LE] = "<=", [FERRY_QOP_GT] = ">",  [FERRY_QOP_GE] = ">=",
	};
	g_autofree char *a = NULL;
	g_autofree char *b = NULL;
	g_autofree char *c = NULL;

	switch (node->type) {
	case FERRY_QNODE_COMPARE: {
		const FerryQNode *literals[] = {node_is_literal(left) ? left : NULL,
						node_is_literal(right) ? right : NULL};
		OperandType type = operand_type_for(literals, G_N_ELEMENTS(literals));
		a = compile_comparand(context, left, type, TRUE);
		b = a != NULL ? compile_comparand(context, right, type, TRUE) : NULL;
		if (b == NULL)
			return NULL;
		return g_strdup_printf("%s %s %s", a, ops[node->op], b);
	}
	case FERRY_QNODE_LIKE:
		a = compile_operand(context, left, OPERAND_ANY);
		b = a != NULL ? compile_operand(context, right, OPERAND_ANY) : NULL;
		if (b == NULL)
			return NULL;
		if (!node->negated && !node->caseless && right->type == FERRY_QNODE_STRING) {
			g_autofree char *prefix = like_literal_prefix(right->string);
			c = prefix_range_sql(a, prefix);
		}
		return g_strdup_printf("(%s%sferry_like(%s, %s, %d))", c != NULL ? c : "",
				       node->negated ? "NOT " : "", a, b, node->caseless ? 1 : 0);
	case FERRY_QNODE_REGEX:
		if (!check_regex_literal(context, right))
			return NULL;
		a = compile_operand(context, left, OPERAND_ANY);
		b = a != NULL ? compile_operand(context, right, OPERAND_ANY) : NULL;
		if (b == NULL)
			return NULL;
		if (!node->negated && right->type == FERRY_QNODE_STRING) {
			g_autofree char *prefix = regex_literal_prefix(right->string);
			c = prefix_range_sql(a, prefix);
		}
		return g_strdup_printf("(%s%sferry_regexp(%s, %s))", c != NULL ? c : "",
				       node->negated ? "NOT " : "", a, b);
	case FERRY_QNODE_IN:
		a = compile_operand(context, left, OPERAND_ANY);
		if (a == NULL)
			return NULL;
		if (right->type == FERRY_QNODE_ARRAY) {
			g_autoptr(GString) list = g_string_new(NULL);
			for (guint i = 0; i < right->children->len; i++) {
				g_autofree char *item = compile_operand(
					context, g_ptr_array_index(right->children, i),
					OPERAND_ANY);
				if (item == NULL)
					return NULL;
				g_string_append_printf(list, "%s%s", i > 0 ? ", " : "", item);
			}
			/* SQLite finds NULL NOT IN () true; null is in nothing and
			 * not-in nothing */
			if (node->negated)
				return g_strdup_printf("(%s IS NOT NULL AND %s NOT IN (%s))", a, a,
						       list->str);
			return g_strdup_printf("%s IN (%s)", a, list->str);
		} else {
			g_autofree char *alias = g_strdup_printf("j%u", ++context->next_alias);
			g_autofree char *base = NULL;
			g_autofree char *quoted = NULL;
			g_autofree char *exists = NULL;
			g_autofree char *each = NULL;
			gboolean is_json;
			if (!resolve_path(context, right, right->segments->len, &base, &quoted,
					  &is_json, NULL))
				return NULL;
			if (!is_json) {
				/* a column holds no array: nothing is in it */
				if (node->negated)
					return g_strdup_printf("(%s IS NOT NULL)", a);
				return g_strdup("0");
			}
			each = json_each_sql(context, base, quoted);
			exists = g_strdup_printf(
				"EXISTS(SELECT 1 FROM %s AS %s WHERE typeof(%s.key) "
				"= 'integer' AND %s.value = %s)",
				each, alias, alias, alias, a);
			if (node->negated)
				return g_strdup_printf("(%s IS NOT NULL AND NOT %s)", a, exists);
			return g_steal_pointer(&exists);
		}
	case FERRY_QNODE_BETWEEN: {
		const FerryQNode *high = g_ptr_array_index(node->children, 2);
		const FerryQNode *literals[] = {node_is_literal(left) ? left : NULL,
						node_is_literal(right) ? right : NULL,
						node_is_literal(high) ? high : NULL};
		OperandType type = operand_type_for(literals, G_N_ELEMENTS(literals));
		a = compile_comparand(context, left, type, FALSE);
		b = a != NULL ? compile_comparand(context, right, type, FALSE) : NULL;
		c = b != NULL ? compile_comparand(context, high, type, FALSE) : NULL;
		if (c == NULL)
			return NULL;
		return g_strdup_printf("%s %sBETWEEN %s AND %s", a, node->negated ? "NOT " : "", b,
				       c);
	}
	case FERRY_QNODE_IS_NULL:
		a = compile_operand(context, left, OPERAND_ANY);
		if (a == NULL)
			return NULL;
		return g_strdup_printf("%s IS %sNULL", a, node->negated ? "NOT " : "");
	default:
		g_assert_not_reached();
	}
}

/* `sum(…) op n` or `len(…) op n`, n a number, either way round, at the top
 * (no enclosing scope) where the function iterates over element facts alone:
 * the matching objects are found once, in one grouped pass over the facts,
 * instead of with a sub-query per object (the sum or count is the same).
 * An object without elements has a sum and a count of 0: it matches when
 * `0 op n` holds, so the pass finds the objects that do not match instead.
 * Neither form is ever null, nor is the comparison it replaces. Returns
 * FALSE when @node is not such a comparison; else TRUE with *@result set, or
 * NULL on error. */
static gboolean
compile_grouped_compare(FerryQContext *context, const FerryQNode *node, char **result)
{
	static const char *const ops[] = {
		[FERRY_QOP_EQ] = "=",  [FERRY_QOP_NE] = "<>", [FERRY_QOP_LT] = "<",
		[FERRY_QOP_LE] = "<=", [FERRY_QOP_GT] = ">",  [FERRY_QOP_GE] = ">=",
	};
	static const FerryQOp flipped[] = {
		[FERRY_QOP_EQ] = FERRY_QOP_EQ, [FERRY_QOP_NE] = FERRY_QOP_NE,
		[FERRY_QOP_LT] = FERRY_QOP_GT, [FERRY_QOP_LE] = FERRY_QOP_GE,
		[FERRY_QOP_GT] = FERRY_QOP_LT, [FERRY_QOP_GE] = FERRY_QOP_LE,
	};
	const FerryQNode *call = g_ptr_array_index(node->children, 0);
	const FerryQNode *number = g_ptr_array_index(node->children, 1);
	const FerryQNode *argument;
	FerryQOp op = node->op;
	Iterator *iterator;
	g_autofree char *aggregate = NULL;
	double n;
	gboolean zero_matches;

	if (op > FERRY_QOP_GE)
		return FALSE;
	if (node_is_number(call)) {
		const FerryQNode *swap = call;
		call = number;
		number = swap;
		op = flipped[op];
	}
	if (call->type != FERRY_QNODE_CALL || !node_is_number(number) ||
	    (call->func != FERRY_QFUNC_SUM && call->func != FERRY_QFUNC_LEN))
		return FALSE;
	n = number->type == FERRY_QNODE_INT ? (double)number->integer : number->real;
	argument = g_ptr_array_index(call->children, 0);
	if (!isfinite(n) || argument->type == FERRY_QNODE_ARRAY)
		return FALSE;
	switch (op) {
	case FERRY_QOP_EQ:
		zero_matches = 0 == n;
		break;
	case FERRY_QOP_NE:
		zero_matches = 0 != n;
		break;
	case FERRY_QOP_LT:
		zero_matches = 0 < n;
		break;
	case FERRY_QOP_LE:
		zero_matches = 0 <= n;
		break;
	case FERRY_QOP_GT:
		zero_matches = 0 > n;
		break;
	case FERRY_QOP_GE:
		zero_matches = 0 >= n;
		break;
	default:
		return FALSE;
	}
	if (!push_scope(context, call, TRUE)) {
		*result = NULL;
		return TRUE;
	}
	if (current_scope(context)->iterators->len == 0 ||
	    !scope_reads_elements_only(context, argument)) {
		pop_scope(context);
		return FALSE;
	}
	iterator = g_ptr_array_index(current_scope(context)->iterators, 0);
	if (call->func == FERRY_QFUNC_SUM) {
		/* as compile_call() writes it */
		g_autofree char *inner = compile_value(context, argument);
		if (inner != NULL)
			aggregate = g_strdup_printf("COALESCE(sum(ferry_num(%s)), 0)", inner);
	} else {
		aggregate = g_strdup("count(*)");
	}
	if (aggregate != NULL) {
		g_autofree char *literal = compile_literal(number);
		*result = g_strdup_printf(
			"(%s %sIN (SELECT %s.obj FROM %s GROUP BY %s.obj HAVING %s(%s %s %s)))",
			iterator->owner, zero_matches ? "NOT " : "", iterator->alias,
			iterator->from, iterator->alias, zero_matches ? "NOT " : "", aggregate,
			ops[op], literal);
	} else {
		*result = NULL;
	}
	pop_scope(context);
	return TRUE;
}

/* a condition that is not and/or/not/any/all: it iterates on its own when no
 * enclosing function does */
static char *
compile_atom(FerryQContext *context, const FerryQNode *node, gboolean strict)
{
	g_autofree char *inner = NULL;
	gboolean own_scope = context->scopes->len == 0;
	gboolean iterates;

	if (own_scope && node->type == FERRY_QNODE_COMPARE &&
	    compile_grouped_compare(context, node, &inner))
		return g_steal_pointer(&inner);
	if (own_scope && !push_scope(context, node, FALSE))
		return NULL;
	iterates = own_scope && current_scope(context)->iterators->len > 0;
	if (ferry_qnode_is_boolean(node)) {
		inner = compile_predicate(context, node);
		/* a predicate on a null operand is null, which counts as false */
		if (inner != NULL && strict && !iterates && node->type != FERRY_QNODE_IS_NULL) {
			char *wrapped = g_strdup_printf("COALESCE(%s, 0)", inner);
			g_free(inner);
			inner = wrapped;
		}
	} else {
		g_autofree char *value = compile_value(context, node);
		if (value != NULL)
			inner = g_strdup_printf("ferry_truthy(%s)", value);
	}
	if (inner != NULL && iterates) {
		g_autofree char *from = scope_from_where(context);
		char *wrapped = g_strdup_printf("EXISTS(SELECT 1 %s AND %s)", from, inner);
		g_free(inner);
		inner = wrapped;
	}
	if (own_scope)
		pop_scope(context);
	return g_steal_pointer(&inner);
}

/* the operands of a chain of one logic operator, left to right */
static void
collect_chain(const FerryQNode *node, FerryQNodeType type, GPtrArray *operands)
{
	if (node->type != type) {
		g_ptr_array_add(operands, (gpointer)node);
		return;
	}
	collect_chain(g_ptr_array_index(node->children, 0), type, operands);
	collect_chain(g_ptr_array_index(node->children, 1), type, operands);
}

/* a condition; unless @strict it may be NULL where it is false, which is
 * the same in WHERE and under and/or */
static char *
compile_condition(FerryQContext *context, const FerryQNode *node, gboolean strict)
{
	g_autofree char *a = NULL;
	g_autofree char *b = NULL;

	switch (node->type) {
	case FERRY_QNODE_AND:
	case FERRY_QNODE_OR: {
		/* a chain of one operator is written flat: SQLite's parser has a
		 * bounded stack, and a long list of conditions is common */
		g_autoptr(GPtrArray) operands = g_ptr_array_new();
		g_autoptr(GString) sql = g_string_new("(");
		collect_chain(node, node->type, operands);
		for (guint i = 0; i < operands->len; i++) {
			g_autofree char *operand =
				compile_condition(context, g_ptr_array_index(operands, i), strict);
			if (operand == NULL)
				return NULL;
			if (i > 0)
				g_string_append(sql,
						node->type == FERRY_QNODE_AND ? " AND " : " OR ");
			g_string_append(sql, operand);
		}
		g_string_append_c(sql, ')');
		return g_string_free(g_steal_pointer(&sql), FALSE);
	}
	case FERRY_QNODE_NOT:
		a = compile_condition(context, g_ptr_array_index(node->children, 0), TRUE);
		if (a == NULL)
			return NULL;
		return g_strdup_printf("(NOT %s)", a);
	case FERRY_QNODE_BOOL:
		return g_strdup(node->boolean ? "1" : "0");
	case FERRY_QNODE_CALL:
		if (node->func == FERRY_QFUNC_ANY || node->func == FERRY_QFUNC_ALL)
			return compile_call(context, node, strict);
		return compile_atom(context, node, strict);
	case FERRY_QNODE_ARRAY:
		compile_fail(context, node, "an array can only follow 'in'");
		return NULL;
	default:
		return compile_atom(context, node, strict);
	}
}

static char *
compile_value(FerryQContext *context, const FerryQNode *node)
{
	g_autofree char *a = NULL;

	if (node_is_literal(node))
		return compile_literal(node);
	switch (node->type) {
	case FERRY_QNODE_PATH:
		return compile_path(context, node);
	case FERRY_QNODE_NEG:
		a = compile_number(context, g_ptr_array_index(node->children, 0));
		if (a == NULL)
			return NULL;
		return g_strdup_printf("(-%s)", a);
	case FERRY_QNODE_ARITH:
		return compile_arith(context, node);
	case FERRY_QNODE_CALL:
		if (node->func == FERRY_QFUNC_LEN || node->func == FERRY_QFUNC_SUM)
			return compile_call(context, node, TRUE);
		return compile_condition(context, node, TRUE);
	case FERRY_QNODE_ARRAY:
		compile_fail(context, node, "an array can only follow 'in'");
		return NULL;
	default:
		return compile_condition(context, node, TRUE);
	}
}

/* JSON text for the value of an element or path */
static char *
compile_json_scalar(FerryQContext *context, const FerryQNode *node)
{
	if (ferry_qnode_is_boolean(node)) {
		g_autofree char *condition = compile_condition(context, node, TRUE);
		if (condition == NULL)
			return NULL;
		return g_strdup_printf("CASE WHEN %s THEN json('true') ELSE json('false') END",
				       condition);
	}
	if (node->type == FERRY_QNODE_PATH && path_computed(context, node) == NULL) {
		g_autofree char *base = NULL;
		g_autofree char *json_path = NULL;
		gboolean is_json;
		if (!resolve_path(context, node, node->segments->len, &base, &json_path, &is_json,
				  NULL))
			return NULL;
		if (!is_json)
			return g_strdup_printf("json_quote(%s)", base);
		/* -> keeps JSON's types, true and false included */
		return g_strdup_printf("(%s -> %s)", base, json_path);
	}
	{
		g_autofree char *value = compile_value(context, node);
		if (value == NULL)
			return NULL;
		return g_strdup_printf("json_quote(%s)", value);
	}
}

static char *
compile_json(FerryQContext *context, const FerryQNode *node)
{
	g_autofree char *result = NULL;
	gboolean iterates;

	if (ferry_qnode_is_boolean(node))
		return compile_json_scalar(context, node);
	if (!push_scope(context, node, FALSE))
		return NULL;
	iterates = current_scope(context)->iterators->len > 0;
	if (iterates) {
		g_autofree char *from = scope_from_where(context);
		g_autofree char *element = compile_json_scalar(context, node);
		if (element != NULL)
			result = g_strdup_printf("(SELECT json_group_array(%s) %s)", element, from);
	} else {
		result = compile_json_scalar(context, node);
	}
	pop_scope(context);
	return g_steal_pointer(&result);
}

static gboolean
compile_begin(FerryQContext *context, const FerryQNode *node, FerryQNode **tree)
{
	g_clear_error(&context->error);
	context->error_column = 0;
	g_ptr_array_set_size(context->scopes, 0);
	*tree = ferry_qnode_copy(node);
	rewrite_paths(context, *tree);
	return TRUE;
}

static char *
compile_end(FerryQContext *context, char *sql, GError **error)
{
	if (sql == NULL) {
		if (context->error == NULL)
			context->error = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_FAILED,
							     "the query could not be compiled");
		g_propagate_error(error, g_steal_pointer(&context->error));
		return NULL;
	}
	return sql;
}

typedef enum { COMPILE_CONDITION, COMPILE_VALUE, COMPILE_JSON } CompileMode;

static gboolean node_iterates(const FerryQNode *node);

/* compiles @node, again over the JSON for the iterations that read what
 * the element facts do not have */
static char *
compile_top(FerryQContext *context, const FerryQNode *node, CompileMode mode, GError **error)
{
	for (;;) {
		g_autoptr(FerryQNode) tree = NULL;
		char *sql = NULL;

		compile_begin(context, node, &tree);
		context->elements_fallback = FALSE;
		switch (mode) {
		case COMPILE_CONDITION:
			sql = compile_condition(context, tree, FALSE);
			break;
		case COMPILE_VALUE:
			if (ferry_qnode_is_boolean(tree))
				sql = compile_condition(context, tree, TRUE);
			else if (node_iterates(tree))
				/* the values of an iterating expression, as a JSON array */
				sql = compile_json(context, tree);
			else
				sql = compile_value(context, tree);
			break;
		case COMPILE_JSON:
			sql = compile_json(context, tree);
			break;
		}
		if (!context->elements_fallback)
			return compile_end(context, sql, error);
		g_free(sql);
	}
}

char *
ferry_qcompile_condition(FerryQContext *context, const FerryQNode *node, GError **error)
{
	return compile_top(context, node, COMPILE_CONDITION, error);
}

static gboolean
node_iterates(const FerryQNode *node)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) owners = g_ptr_array_new();
	collect_stars(node, keys, owners, FALSE);
	return keys->len > 0;
}

char *
ferry_qcompile_value(FerryQContext *context, const FerryQNode *node, GError **error)
{
	return compile_top(context, node, COMPILE_VALUE, error);
}

char *
ferry_qcompile_json(FerryQContext *context, const FerryQNode *node, GError **error)
{
	return compile_top(context, node, COMPILE_JSON, error);
}

char *
ferry_qcompile_each(FerryQContext *context, const FerryQNode *node, const char *alias,
		    GError **error)
{
	g_autoptr(FerryQNode) tree = NULL;
	g_autofree char *base = NULL;
	g_autofree char *json_path = NULL;
	gboolean is_json;

	compile_begin(context, node, &tree);
	if (tree->type != FERRY_QNODE_PATH || node_iterates(tree) ||
	    path_computed(context, tree) != NULL) {
		compile_fail(context, node, "expected the field holding the items, such as disks");
		return compile_end(context, NULL, error);
	}
	if (!resolve_path(context, tree, tree->segments->len, &base, &json_path, &is_json, NULL))
		return compile_end(context, NULL, error);
	if (!is_json) {
		compile_fail(context, node, "'%s' holds no items", path_first_key(tree));
		return compile_end(context, NULL, error);
	}
	{
		g_autofree char *each = json_each_sql(context, base, json_path);
		return g_strdup_printf("%s AS %s", each, alias);
	}
}

char *
ferry_qcompile_text(FerryQContext *context, const FerryQNode *node, GError **error)
{
	g_autofree char *value = ferry_qcompile_value(context, node, error);
	if (value == NULL)
		return NULL;
	return g_strdup_printf("COALESCE(CAST(%s AS TEXT), '')", value);
}

/* -- SQL functions -- */

/* compiled patterns of one connection: SQLite drops a function's auxiliary
 * data whenever a statement is reset, and rules run one statement per VM */
typedef struct {
	GHashTable *regexes; /* "L"|"I"|"R" + pattern → GRegex */
} MatchCache;

#define MATCH_CACHE_MAX 512

static void
match_cache_free(void *data)
{
	MatchCache *cache = data;
	g_hash_table_unref(cache->regexes);
	g_free(cache);
}

/* a LIKE pattern (`%`, `_`, `\` escapes) as an anchored regular expression */
static char *
like_to_regex(const char *pattern)
{
	GString *str = g_string_new("\\A(?:");
	for (const char *p = pattern; *p != '\0'; p = g_utf8_next_char(p)) {
		if (*p == '%') {
			g_string_append(str, ".*");
		} else if (*p == '_') {
			g_string_append_c(str, '.');
		} else {
			const char *c = p;
			g_autofree char *escaped = NULL;
			if (*p == '\\' && p[1] != '\0')
				c = ++p;
			escaped = g_regex_escape_string(c, g_utf8_next_char(c) - c);
			g_string_append(str, escaped);
		}
	}
	g_string_append(str, ")\\z");
	return g_string_free(str, FALSE);
}

/* a compiled pattern kept by SQLite with a constant argument, for the rows
 * of one statement */
typedef struct {
	char kind;
	GRegex *regex;
} MatchAux;

static void
match_aux_free(void *data)
{
	MatchAux *aux = data;
	g_regex_unref(aux->regex);
	g_free(aux);
}

static void
sql_match(sqlite3_context *ctx, const char *value, const char *pattern, gboolean like,
	  gboolean caseless)
{
	MatchCache *cache = sqlite3_user_data(ctx);
	char kind = like ? (caseless ? 'I' : 'L') : 'R';
	MatchAux *aux = sqlite3_get_auxdata(ctx, 1);
	gsize length;
	g_autofree char *key = NULL;
	GRegex *regex;

	if (aux != NULL && aux->kind == kind) {
		sqlite3_result_int(ctx, g_regex_match(aux->regex, value, 0, NULL) ? 1 : 0);
		return;
	}
	length = strlen(pattern);
	key = g_malloc(length + 2);
	key[0] = kind;
	memcpy(key + 1, pattern, length + 1);
	regex = g_hash_table_lookup(cache->regexes, key);
	if (regex == NULL) {
		g_autoptr(GError) error = NULL;
		g_autofree char *source = like ? like_to_regex(pattern) : g_strdup(pattern);
		regex = g_regex_new(source, G_REGEX_DOTALL | (caseless ? G_REGEX_CASELESS : 0), 0,
				    &error);
		if (regex == NULL) {
			g_autofree char *message = g_strdup_printf(
				"invalid regular expression '%s': %s", pattern, error->message);
			sqlite3_result_error(ctx, message, -1);
			return;
		}
		/* patterns read from data could be many: keep the cache bounded */
		if (g_hash_table_size(cache->regexes) >= MATCH_CACHE_MAX)
			g_hash_table_remove_all(cache->regexes);
		g_hash_table_insert(cache->regexes, g_steal_pointer(&key), regex);
	}
	sqlite3_result_int(ctx, g_regex_match(regex, value, 0, NULL) ? 1 : 0);
	/* SQLite may free it at once, when the pattern is not a constant */
	aux = g_new(MatchAux, 1);
	aux->kind = kind;
	aux->regex = g_regex_ref(regex);
	sqlite3_set_auxdata(ctx, 1, aux, match_aux_free);
}

/* ferry_regexp(value, pattern): 1 when the string matches, NULL when either
 * is not a string */
static void
sql_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
	    sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
		sqlite3_result_null(ctx);
		return;
	}
	sql_match(ctx, (const char *)sqlite3_value_text(argv[0]),
		  (const char *)sqlite3_value_text(argv[1]), FALSE, FALSE);
}

/* ferry_like(value, pattern, caseless): SQL LIKE (`%`, `_`, `\` escapes) on
 * Unicode strings, case-sensitive unless @caseless */
static void
sql_like(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
	    sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
		sqlite3_result_null(ctx);
		return;
	}
	sql_match(ctx, (const char *)sqlite3_value_text(argv[0]),
		  (const char *)sqlite3_value_text(argv[1]), TRUE, sqlite3_value_int(argv[2]) != 0);
}

/* ferry_truthy(value): 1 for true and non-zero numbers, else 0 */
static void
sql_truthy(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	switch (sqlite3_value_type(argv[0])) {
	case SQLITE_INTEGER:
		sqlite3_result_int(ctx, sqlite3_value_int64(argv[0]) != 0);
		break;
	case SQLITE_FLOAT:
		sqlite3_result_int(ctx, sqlite3_value_double(argv[0]) != 0.0);
		break;
	default:
		sqlite3_result_int(ctx, 0);
		break;
	}
}

/* ferry_num(value): the value when it is a number, else NULL */
static void
sql_num(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int type = sqlite3_value_type(argv[0]);
	if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
		sqlite3_result_value(ctx, argv[0]);
	else
		sqlite3_result_null(ctx);
}

/* ferry_text(value): the value when it is a string, else NULL */
static void
sql_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_TEXT)
		sqlite3_result_value(ctx, argv[0]);
	else
		sqlite3_result_null(ctx);
}

/* ferry_date(value): the value when it is a string that reads as a date, so
 * julianday() does not read numbers or 'now' */
static void
sql_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_TEXT &&
	    ferry_query_string_is_date((const char *)sqlite3_value_text(argv[0])))
		sqlite3_result_value(ctx, argv[0]);
	else
		sqlite3_result_null(ctx);
}

gboolean
ferry_query_register_sql_functions(sqlite3 *db, GError **error)
{
	const struct {
		const char *name;
		int n_args;
		void (*func)(sqlite3_context *, int, sqlite3_value **);
	} functions[] = {
		{"ferry_regexp", 2, sql_regexp}, {"ferry_like", 3, sql_like},
		{"ferry_truthy", 1, sql_truthy}, {"ferry_num", 1, sql_num},
		{"ferry_text", 1, sql_text},     {"ferry_date", 1, sql_date},
	};
	for (guint i = 0; i < G_N_ELEMENTS(functions); i++) {
		MatchCache *cache = NULL;
		if (functions[i].func == sql_regexp || functions[i].func == sql_like) {
			cache = g_new0(MatchCache, 1);
			cache->regexes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							       (GDestroyNotify)g_regex_unref);
		}
		/* SQLite calls the destructor itself, also when registration fails */
		if (sqlite3_create_function_v2(
			    db, functions[i].name, functions[i].n_args,
			    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, cache,
			    functions[i].func, NULL, NULL,
			    cache != NULL ? match_cache_free : NULL) != SQLITE_OK) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "cannot register the SQL function %s: %s", functions[i].name,
				    sqlite3_errmsg(db));
			return FALSE;
		}
	}
	return TRUE;
}

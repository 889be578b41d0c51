/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "ferry-query.h"

G_BEGIN_DECLS

/* the syntax tree of a query, shared by the parser, the SQL compiler and the
 * tests' reference evaluator */

typedef enum {
	FERRY_QNODE_NULL,
	FERRY_QNODE_BOOL,
	FERRY_QNODE_INT,
	FERRY_QNODE_REAL,
	FERRY_QNODE_STRING,
	FERRY_QNODE_ARRAY,   /* [a, b, …]: only after `in` */
	FERRY_QNODE_PATH,    /* a.b[0].c[*] */
	FERRY_QNODE_NOT,     /* children[0] */
	FERRY_QNODE_NEG,     /* children[0] */
	FERRY_QNODE_AND,     /* children[0..1] */
	FERRY_QNODE_OR,      /* children[0..1] */
	FERRY_QNODE_COMPARE, /* op; children[0..1] */
	FERRY_QNODE_ARITH,   /* op; children[0..1] */
	FERRY_QNODE_LIKE,    /* negated, caseless; children: value, pattern */
	FERRY_QNODE_REGEX,   /* negated; children: value, pattern */
	FERRY_QNODE_IN,      /* negated; children: value, ARRAY or a path to an array */
	FERRY_QNODE_BETWEEN, /* negated; children: value, low, high */
	FERRY_QNODE_IS_NULL, /* negated; children[0] */
	FERRY_QNODE_CALL,    /* func; children[0] */
} FerryQNodeType;

typedef enum {
	FERRY_QOP_EQ,
	FERRY_QOP_NE,
	FERRY_QOP_LT,
	FERRY_QOP_LE,
	FERRY_QOP_GT,
	FERRY_QOP_GE,
	FERRY_QOP_ADD,
	FERRY_QOP_SUB,
	FERRY_QOP_MUL,
	FERRY_QOP_DIV,
	FERRY_QOP_MOD,
} FerryQOp;

typedef enum {
	FERRY_QFUNC_LEN,
	FERRY_QFUNC_ANY,
	FERRY_QFUNC_ALL,
	FERRY_QFUNC_SUM,
} FerryQFunc;

typedef enum {
	FERRY_QSEGMENT_KEY,
	FERRY_QSEGMENT_INDEX,
	FERRY_QSEGMENT_STAR,
} FerryQSegmentType;

typedef struct {
	FerryQSegmentType type;
	char *key;    /* KEY */
	gint64 index; /* INDEX */
} FerryQSegment;

typedef struct _FerryQNode FerryQNode;
struct _FerryQNode {
	FerryQNodeType type;
	guint column;        /* 1-based column (in characters) where the node starts */
	gsize start, end;    /* its byte range in the query text */
	FerryQOp op;         /* COMPARE, ARITH */
	FerryQFunc func;     /* CALL */
	gboolean negated;    /* LIKE, REGEX, IN, BETWEEN, IS_NULL */
	gboolean caseless;   /* LIKE */
	gboolean is_date;    /* STRING that reads as an ISO 8601 date */
	gboolean boolean;    /* BOOL value */
	gint64 integer;      /* INT value */
	double real;         /* REAL value */
	char *string;        /* STRING value */
	GPtrArray *children; /* of FerryQNode */
	GPtrArray *segments; /* PATH: of FerryQSegment */
};

typedef struct {
	FerryQNode *expr;
	char *name; /* the alias, or the expression's text */
} FerryQSelectItem;

typedef struct {
	FerryQNode *expr;
	gboolean descending;
} FerryQOrderItem;

FerryQNode *ferry_qnode_new(FerryQNodeType type, guint column);
void ferry_qnode_free(FerryQNode *node);
FerryQNode *ferry_qnode_copy(const FerryQNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryQNode, ferry_qnode_free)
FerryQSegment *ferry_qsegment_new(FerryQSegmentType type, const char *key, gint64 index);
void ferry_qsegment_free(FerryQSegment *segment);
/* appends a key to a path in query syntax: `.key`, or `['key']` when it
 * needs quoting */
void ferry_query_path_append_key(GString *path, const char *key);
/* the path as text, `a.b[0][*]`, with keys that need it quoted as ['k'] */
char *ferry_qnode_path_to_string(const FerryQNode *node, guint n_segments);
gboolean ferry_qnode_is_boolean(const FerryQNode *node);
/* whether a string reads as a date: YYYY-MM-DD, optionally followed by
 * (T| )HH:MM[:SS[.fff]] and Z or ±HH:MM */
gboolean ferry_query_string_is_date(const char *s);

/* parses a bare expression, as used by rule files' `when:`; on error sets
 * @error_column (1-based, in characters) when not NULL */
FerryQNode *ferry_query_parse_expression(const char *text, guint *error_column, GError **error);

FerryQNode *ferry_query_get_where(FerryQuery *self);
GPtrArray *ferry_query_get_select(FerryQuery *self);
GPtrArray *ferry_query_get_order(FerryQuery *self);

/* -- compiling to SQL (ferry-query-sql.c) -- */

/* what the roots of paths mean when a tree is compiled */
typedef struct _FerryQContext FerryQContext;

/* a context whose paths read the JSON document in the SQL expression
 * @document (e.g. `o.document` or `?1`) */
FerryQContext *ferry_qcontext_new(const char *document);
void ferry_qcontext_free(FerryQContext *context);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryQContext, ferry_qcontext_free)
/* paths whose first key is @name read @sql instead: a column (`o.name`),
 * or with @is_json a JSON value whose paths are followed into */
void ferry_qcontext_add_root(FerryQContext *context, const char *name, const char *sql,
			     gboolean is_json);
/* paths whose first key is @name read the current element of the
 * json_each() named @alias */
void ferry_qcontext_add_element_root(FerryQContext *context, const char *name, const char *alias);
/* a field computed by @sql (the document is `@DOC@`, the concerns `@CONCERNS@`) */
void ferry_qcontext_add_computed(FerryQContext *context, const char *name, const char *sql);
/* the normalised paths (`disks`, `disks[*].parts`) that hold an array in some
 * document: a dot after them means `[*]` */
void ferry_qcontext_add_array_path(FerryQContext *context, const char *path);
/* the normalised paths that hold an object in some document */
void ferry_qcontext_add_object_path(FerryQContext *context, const char *path);
/* paths of plain keys that hold neither an array nor an object read the
 * facts column @columns names (`path` → column, `path#` → its length) of
 * the table @alias; ferry_qcontext_uses_facts() says whether any did */
void ferry_qcontext_set_facts(FerryQContext *context, const char *alias, GHashTable *columns);
gboolean ferry_qcontext_uses_facts(FerryQContext *context);
/* iterations over `@array[*]` read the element facts of @table (rows obj,
 * key, columns @columns names: `array[*].field` → column, `array[*]` for a
 * scalar element) whose obj is @owner, when what they read is there */
void ferry_qcontext_add_element_facts(FerryQContext *context, const char *array, const char *owner,
				      const char *table, GHashTable *columns);
/* a join (@sql, e.g. `LEFT JOIN t AS @alias ON …`) that computed fields
 * read as `@JOIN:alias@.column`; ferry_qcontext_get_joins() gives the SQL
 * of those the compiled expressions used */
void ferry_qcontext_add_join(FerryQContext *context, const char *alias, const char *sql);
char *ferry_qcontext_get_joins(FerryQContext *context);
/* whether the document is read by many calls per row (rules over one
 * workload), so iterations should reuse SQLite's parse of it */
void ferry_qcontext_set_shared_document(FerryQContext *context, gboolean shared);

/* the column of the last compile error, 0 when none */
guint ferry_qcontext_get_error_column(FerryQContext *context);
/* rewrites a compile error of @self (`column N: …`) to point at the column */
void ferry_query_point_error(FerryQuery *self, GError *error, guint column);

/* SQL that is 1 when @node holds for the row, and 0 or NULL otherwise (as
 * WHERE treats them alike) */
char *ferry_qcompile_condition(FerryQContext *context, const FerryQNode *node, GError **error);
/* SQL for the value of @node as an SQL value (for ORDER BY) */
char *ferry_qcompile_value(FerryQContext *context, const FerryQNode *node, GError **error);
/* SQL for the value of @node as JSON text (for SELECT output) */
char *ferry_qcompile_json(FerryQContext *context, const FerryQNode *node, GError **error);
/* `json_each(…) AS @alias` over the array or object at the path @node; the
 * caller keeps the rows whose key is not null */
char *ferry_qcompile_each(FerryQContext *context, const FerryQNode *node, const char *alias,
			  GError **error);
/* SQL for the value of @node as text for a message, '' when null */
char *ferry_qcompile_text(FerryQContext *context, const FerryQNode *node, GError **error);

/* registers ferry_regexp(), ferry_like(), ferry_truthy(), ferry_num() and
 * the other helpers compiled SQL calls */
gboolean ferry_query_register_sql_functions(sqlite3 *db, GError **error);

G_END_DECLS

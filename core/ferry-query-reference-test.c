/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Checks the SQL the query compiler writes against a reference evaluator that
 * walks the documents in memory: random documents, random queries, the same
 * answers. The evaluator is written from the semantics in README.md (and the
 * comment at the top of ferry-query-sql.c), not from the compiler.
 */

#include <math.h>
#include <string.h>

#include "ferry-query-private.h"
#include "ferry.h"

/* -- values -- */

typedef enum {
	V_NULL,
	V_INT,
	V_REAL,
	V_TEXT,
	V_CONTAINER, /* an object or array */
} VType;

typedef struct {
	VType type;
	gint64 i;
	double r;
	char *s;
} Value;

static void
value_clear(Value *value)
{
	g_clear_pointer(&value->s, g_free);
	value->type = V_NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Value, value_clear)

static Value
value_int(gint64 i)
{
	return (Value){.type = V_INT, .i = i};
}

static Value
value_real(double r)
{
	return (Value){.type = V_REAL, .r = r};
}

static Value
value_text(const char *s)
{
	return (Value){.type = V_TEXT, .s = g_strdup(s)};
}

static gboolean
value_is_number(const Value *v)
{
	return v->type == V_INT || v->type == V_REAL;
}

static double
value_double(const Value *v)
{
	return v->type == V_INT ? (double)v->i : v->r;
}

static Value
value_from_json(JsonNode *node)
{
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return (Value){.type = V_NULL};
	if (JSON_NODE_HOLDS_OBJECT(node) || JSON_NODE_HOLDS_ARRAY(node))
		return (Value){.type = V_CONTAINER};
	switch (json_node_get_value_type(node)) {
	case G_TYPE_BOOLEAN:
		return value_int(json_node_get_boolean(node) ? 1 : 0);
	case G_TYPE_INT64:
		return value_int(json_node_get_int(node));
	case G_TYPE_DOUBLE:
		return value_real(json_node_get_double(node));
	case G_TYPE_STRING:
		return value_text(json_node_get_string(node));
	default:
		return (Value){.type = V_NULL};
	}
}

/* SQLite's order for values of any type: null < numbers < text; NULL when
 * either is null */
static int
value_compare_any(const Value *a, const Value *b, gboolean *is_null)
{
	*is_null = a->type == V_NULL || b->type == V_NULL;
	if (*is_null)
		return 0;
	if (value_is_number(a) && value_is_number(b)) {
		if (a->type == V_INT && b->type == V_INT)
			return a->i < b->i ? -1 : a->i > b->i;
		return value_double(a) < value_double(b) ? -1 : value_double(a) > value_double(b);
	}
	if (value_is_number(a))
		return -1;
	if (value_is_number(b))
		return 1;
	return strcmp(a->s != NULL ? a->s : "", b->s != NULL ? b->s : "") < 0
		       ? -1
		       : strcmp(a->s != NULL ? a->s : "", b->s != NULL ? b->s : "") > 0;
}

static gboolean
compare_holds(FerryQOp op, int cmp)
{
	switch (op) {
	case FERRY_QOP_EQ:
		return cmp == 0;
	case FERRY_QOP_NE:
		return cmp != 0;
	case FERRY_QOP_LT:
		return cmp < 0;
	case FERRY_QOP_LE:
		return cmp <= 0;
	case FERRY_QOP_GT:
		return cmp > 0;
	case FERRY_QOP_GE:
		return cmp >= 0;
	default:
		g_assert_not_reached();
	}
}

/* a date string as seconds since the epoch; FALSE when it is not one */
static gboolean
date_seconds(const Value *v, double *seconds)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) dt = NULL;
	g_autofree char *text = NULL;
	if (v->type != V_TEXT || !ferry_query_string_is_date(v->s))
		return FALSE;
	text = strlen(v->s) == 10 ? g_strconcat(v->s, "T00:00:00Z", NULL) : g_strdup(v->s);
	dt = g_date_time_new_from_iso8601(text, utc);
	if (dt == NULL)
		return FALSE;
	*seconds = (double)g_date_time_to_unix(dt) + g_date_time_get_microsecond(dt) / 1e6;
	return TRUE;
}

/* SQL LIKE with % _ and \ escapes, over Unicode characters */
static gboolean
like_match(const gunichar *s, glong sn, const gunichar *p, glong pn)
{
	if (pn == 0)
		return sn == 0;
	if (p[0] == '%') {
		for (glong k = 0; k <= sn; k++) {
			if (like_match(s + k, sn - k, p + 1, pn - 1))
				return TRUE;
		}
		return FALSE;
	}
	if (sn == 0)
		return FALSE;
	if (p[0] == '_')
		return like_match(s + 1, sn - 1, p + 1, pn - 1);
	if (p[0] == '\\' && pn > 1)
		return s[0] == p[1] && like_match(s + 1, sn - 1, p + 2, pn - 2);
	return s[0] == p[0] && like_match(s + 1, sn - 1, p + 1, pn - 1);
}

static gboolean
like(const char *s, const char *pattern, gboolean caseless)
{
	g_autofree char *fs = caseless ? g_utf8_casefold(s, -1) : g_strdup(s);
	g_autofree char *fp = caseless ? g_utf8_casefold(pattern, -1) : g_strdup(pattern);
	glong sn = 0, pn = 0;
	g_autofree gunichar *us = g_utf8_to_ucs4_fast(fs, -1, &sn);
	g_autofree gunichar *up = g_utf8_to_ucs4_fast(fp, -1, &pn);
	return like_match(us, sn, up, pn);
}

/* -- evaluation -- */

typedef struct {
	JsonNode *document;
	GHashTable *bindings; /* star key → current element */
	guint scope_depth;
	gboolean unsupported;
} Eval;

static gboolean eval_cond(Eval *ev, const FerryQNode *node);
static Value eval_value(Eval *ev, const FerryQNode *node);

/* where segments [0, upto) of a path lead */
static JsonNode *
resolve(Eval *ev, const FerryQNode *path, guint upto)
{
	JsonNode *current = ev->document;
	for (guint i = 0; i < upto && current != NULL; i++) {
		const FerryQSegment *segment = g_ptr_array_index(path->segments, i);
		switch (segment->type) {
		case FERRY_QSEGMENT_KEY:
			if (!JSON_NODE_HOLDS_OBJECT(current))
				return NULL;
			current =
				json_object_get_member(json_node_get_object(current), segment->key);
			break;
		case FERRY_QSEGMENT_INDEX:
			if (!JSON_NODE_HOLDS_ARRAY(current) ||
			    segment->index >= json_array_get_length(json_node_get_array(current)))
				return NULL;
			current = json_array_get_element(json_node_get_array(current),
							 (guint)segment->index);
			break;
		case FERRY_QSEGMENT_STAR: {
			g_autofree char *key = ferry_qnode_path_to_string(path, i + 1);
			g_assert_true(g_hash_table_contains(ev->bindings, key));
			current = g_hash_table_lookup(ev->bindings, key);
			break;
		}
		default:
			g_assert_not_reached();
		}
	}
	return current;
}

static void
collect(const FerryQNode *node, GPtrArray *keys, GPtrArray *owners, gboolean descend_function)
{
	if (!descend_function && node->type == FERRY_QNODE_CALL)
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
		collect(g_ptr_array_index(node->children, i), keys, owners, FALSE);
}

/* the stars of @node no enclosing scope binds */
static void
own_stars(Eval *ev, const FerryQNode *node, gboolean function, GPtrArray *keys, GPtrArray *owners)
{
	g_autoptr(GPtrArray) all_keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) all_owners = g_ptr_array_new();
	collect(node, all_keys, all_owners, function);
	for (guint i = 0; i < all_keys->len; i++) {
		if (g_hash_table_contains(ev->bindings, g_ptr_array_index(all_keys, i)))
			continue;
		g_ptr_array_add(keys, g_strdup(g_ptr_array_index(all_keys, i)));
		g_ptr_array_add(owners, g_ptr_array_index(all_owners, i));
	}
}

typedef gboolean (*BindingFunc)(Eval *ev, gpointer data); /* FALSE stops */

static gboolean
for_each_binding(Eval *ev, GPtrArray *keys, GPtrArray *owners, guint k, BindingFunc func,
		 gpointer data)
{
	const char *key;
	const FerryQNode *owner;
	JsonNode *array = NULL;
	guint star = 0;

	if (k == keys->len)
		return func(ev, data);
	key = g_ptr_array_index(keys, k);
	owner = g_ptr_array_index(owners, k);
	for (guint i = 0; i < owner->segments->len; i++) {
		g_autofree char *prefix = ferry_qnode_path_to_string(owner, i + 1);
		if (g_strcmp0(prefix, key) == 0) {
			star = i;
			break;
		}
	}
	array = resolve(ev, owner, star);
	if (array == NULL)
		return TRUE;
	if (JSON_NODE_HOLDS_OBJECT(array)) {
		/* [*] on an object iterates over its values */
		g_autoptr(GList) values = json_object_get_values(json_node_get_object(array));
		for (GList *l = values; l != NULL; l = l->next) {
			gboolean go_on;
			g_hash_table_insert(ev->bindings, g_strdup(key), l->data);
			go_on = for_each_binding(ev, keys, owners, k + 1, func, data);
			g_hash_table_remove(ev->bindings, key);
			if (!go_on)
				return FALSE;
		}
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_ARRAY(array))
		return TRUE;
	for (guint i = 0; i < json_array_get_length(json_node_get_array(array)); i++) {
		gboolean go_on;
		g_hash_table_insert(ev->bindings, g_strdup(key),
				    json_array_get_element(json_node_get_array(array), i));
		go_on = for_each_binding(ev, keys, owners, k + 1, func, data);
		g_hash_table_remove(ev->bindings, key);
		if (!go_on)
			return FALSE;
	}
	return TRUE;
}

typedef struct {
	const FerryQNode *node;
	gboolean result;
	guint count;
	gboolean real;
	gint64 isum;
	double rsum;
} Accumulator;

static gboolean
any_cb(Eval *ev, gpointer data)
{
	Accumulator *acc = data;
	if (eval_cond(ev, acc->node))
		acc->result = TRUE;
	return !acc->result;
}

static gboolean
all_cb(Eval *ev, gpointer data)
{
	Accumulator *acc = data;
	acc->count++;
	if (!eval_cond(ev, acc->node))
		acc->result = FALSE;
	return acc->result;
}

static void
accumulate(Accumulator *acc, const Value *v)
{
	if (v->type == V_INT && !acc->real) {
		acc->isum += v->i;
	} else if (value_is_number(v)) {
		if (!acc->real) {
			acc->real = TRUE;
			acc->rsum = (double)acc->isum;
		}
		acc->rsum += value_double(v);
	}
}

static gboolean
sum_cb(Eval *ev, gpointer data)
{
	Accumulator *acc = data;
	g_auto(Value) v = eval_value(ev, acc->node);
	accumulate(acc, &v);
	return TRUE;
}

static gboolean
count_cb(Eval *ev, gpointer data)
{
	Accumulator *acc = data;
	acc->count++;
	return TRUE;
}

static gboolean
truthy(const Value *v)
{
	return value_is_number(v) && value_double(v) != 0.0;
}

/* the elements of a plain path for sum(), any() and all(): an array's
 * elements, a scalar or null as one element, nothing for a missing value
 * or an object */
static GPtrArray *
elements(Eval *ev, const FerryQNode *path)
{
	GPtrArray *result = g_ptr_array_new();
	JsonNode *node = resolve(ev, path, path->segments->len);
	if (node == NULL || JSON_NODE_HOLDS_OBJECT(node))
		return result;
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		for (guint i = 0; i < json_array_get_length(json_node_get_array(node)); i++)
			g_ptr_array_add(result,
					json_array_get_element(json_node_get_array(node), i));
		return result;
	}
	g_ptr_array_add(result, node);
	return result;
}

static Value
eval_call(Eval *ev, const FerryQNode *node)
{
	const FerryQNode *argument = g_ptr_array_index(node->children, 0);
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) owners = g_ptr_array_new();
	Accumulator acc = {.node = argument};
	Value result = {.type = V_NULL};

	own_stars(ev, node, TRUE, keys, owners);
	ev->scope_depth++;
	if (keys->len > 0) {
		switch (node->func) {
		case FERRY_QFUNC_LEN:
			for_each_binding(ev, keys, owners, 0, count_cb, &acc);
			result = value_int(acc.count);
			break;
		case FERRY_QFUNC_SUM:
			for_each_binding(ev, keys, owners, 0, sum_cb, &acc);
			result = acc.real ? value_real(acc.rsum) : value_int(acc.isum);
			break;
		case FERRY_QFUNC_ANY:
			acc.result = FALSE;
			for_each_binding(ev, keys, owners, 0, any_cb, &acc);
			result = value_int(acc.result);
			break;
		case FERRY_QFUNC_ALL:
			/* false for no element, as in kubectl-mtv */
			acc.result = TRUE;
			for_each_binding(ev, keys, owners, 0, all_cb, &acc);
			result = value_int(acc.result && acc.count > 0);
			break;
		default:
			g_assert_not_reached();
		}
	} else if (argument->type == FERRY_QNODE_PATH && node->func != FERRY_QFUNC_LEN) {
		g_autoptr(GPtrArray) items = elements(ev, argument);
		gboolean any = FALSE, all = TRUE;
		for (guint i = 0; i < items->len; i++) {
			g_auto(Value) v = value_from_json(g_ptr_array_index(items, i));
			accumulate(&acc, &v);
			any = any || truthy(&v);
			all = all && truthy(&v);
		}
		if (node->func == FERRY_QFUNC_SUM)
			result = acc.real ? value_real(acc.rsum) : value_int(acc.isum);
		else
			result = value_int(node->func == FERRY_QFUNC_ANY ? any
									 : all && items->len > 0);
	} else {
		switch (node->func) {
		case FERRY_QFUNC_LEN:
			if (argument->type == FERRY_QNODE_PATH) {
				JsonNode *target = resolve(ev, argument, argument->segments->len);
				if (target == NULL || JSON_NODE_HOLDS_NULL(target))
					result = value_int(0);
				else if (JSON_NODE_HOLDS_ARRAY(target))
					result = value_int(
						json_array_get_length(json_node_get_array(target)));
				else if (JSON_NODE_HOLDS_OBJECT(target))
					result = value_int(
						json_object_get_size(json_node_get_object(target)));
				else if (json_node_get_value_type(target) == G_TYPE_STRING)
					result = value_int(
						g_utf8_strlen(json_node_get_string(target), -1));
			} else {
				g_auto(Value) v = eval_value(ev, argument);
				if (v.type == V_TEXT)
					result = value_int(g_utf8_strlen(v.s, -1));
			}
			break;
		case FERRY_QFUNC_SUM: {
			g_auto(Value) v = eval_value(ev, argument);
			result = value_is_number(&v) ? v : value_int(0);
			v.s = NULL;
			break;
		}
		case FERRY_QFUNC_ANY:
		case FERRY_QFUNC_ALL:
			result = value_int(eval_cond(ev, argument));
			break;
		default:
			g_assert_not_reached();
		}
	}
	ev->scope_depth--;
	return result;
}

static Value
eval_number(Eval *ev, const FerryQNode *node)
{
	Value v = eval_value(ev, node);
	if (!value_is_number(&v))
		value_clear(&v);
	return v;
}

static Value
eval_arith(Eval *ev, const FerryQNode *node)
{
	g_auto(Value) a = eval_number(ev, g_ptr_array_index(node->children, 0));
	g_auto(Value) b = eval_number(ev, g_ptr_array_index(node->children, 1));
	gint64 r;
	if (a.type == V_NULL || b.type == V_NULL)
		return (Value){.type = V_NULL};
	switch (node->op) {
	case FERRY_QOP_ADD:
		if (a.type == V_INT && b.type == V_INT && !__builtin_add_overflow(a.i, b.i, &r))
			return value_int(r);
		return value_real(value_double(&a) + value_double(&b));
	case FERRY_QOP_SUB:
		if (a.type == V_INT && b.type == V_INT && !__builtin_sub_overflow(a.i, b.i, &r))
			return value_int(r);
		return value_real(value_double(&a) - value_double(&b));
	case FERRY_QOP_MUL:
		if (a.type == V_INT && b.type == V_INT && !__builtin_mul_overflow(a.i, b.i, &r))
			return value_int(r);
		return value_real(value_double(&a) * value_double(&b));
	case FERRY_QOP_DIV:
		if (value_double(&b) == 0.0)
			return (Value){.type = V_NULL};
		return value_real(value_double(&a) / value_double(&b));
	case FERRY_QOP_MOD: {
		gint64 x = a.type == V_INT ? a.i : (gint64)a.r;
		gint64 y = b.type == V_INT ? b.i : (gint64)b.r;
		if (y == 0)
			return (Value){.type = V_NULL};
		if (a.type == V_REAL || b.type == V_REAL)
			return value_real((double)(x % y));
		return value_int(x % y);
	}
	default:
		g_assert_not_reached();
	}
}

static Value
eval_value(Eval *ev, const FerryQNode *node)
{
	switch (node->type) {
	case FERRY_QNODE_NULL:
		return (Value){.type = V_NULL};
	case FERRY_QNODE_BOOL:
		return value_int(node->boolean);
	case FERRY_QNODE_INT:
		return value_int(node->integer);
	case FERRY_QNODE_REAL:
		return value_real(node->real);
	case FERRY_QNODE_STRING:
		return value_text(node->string);
	case FERRY_QNODE_PATH: {
		Value v = value_from_json(resolve(ev, node, node->segments->len));
		if (v.type == V_CONTAINER)
			ev->unsupported = TRUE;
		return v;
	}
	case FERRY_QNODE_NEG: {
		Value v = eval_number(ev, g_ptr_array_index(node->children, 0));
		if (v.type == V_INT)
			v.i = -v.i;
		else if (v.type == V_REAL)
			v.r = -v.r;
		return v;
	}
	case FERRY_QNODE_ARITH:
		return eval_arith(ev, node);
	case FERRY_QNODE_CALL:
		return eval_call(ev, node);
	case FERRY_QNODE_ARRAY:
		g_assert_not_reached();
	default:
		return value_int(eval_cond(ev, node));
	}
}

typedef enum { T_ANY, T_NUMBER, T_TEXT, T_TIME } OperandType;

static gboolean
is_literal(const FerryQNode *node)
{
	return node->type == FERRY_QNODE_NULL || node->type == FERRY_QNODE_BOOL ||
	       node->type == FERRY_QNODE_INT || node->type == FERRY_QNODE_REAL ||
	       node->type == FERRY_QNODE_STRING;
}

static OperandType
operand_type(const FerryQNode *const *nodes, guint n)
{
	for (guint i = 0; i < n; i++) {
		if (is_literal(nodes[i]) && nodes[i]->type == FERRY_QNODE_STRING &&
		    nodes[i]->is_date)
			return T_TIME;
	}
	for (guint i = 0; i < n; i++) {
		if (!is_literal(nodes[i]))
			continue;
		if (nodes[i]->type == FERRY_QNODE_INT || nodes[i]->type == FERRY_QNODE_REAL ||
		    nodes[i]->type == FERRY_QNODE_BOOL)
			return T_NUMBER;
		if (nodes[i]->type == FERRY_QNODE_STRING)
			return T_TEXT;
	}
	return T_ANY;
}

/* an operand read as @type: values of another type are null */
static Value
eval_operand(Eval *ev, const FerryQNode *node, OperandType type)
{
	Value v = eval_value(ev, node);
	double seconds;
	switch (type) {
	case T_NUMBER:
		if (!is_literal(node) && !value_is_number(&v))
			value_clear(&v);
		return v;
	case T_TEXT:
		if (!is_literal(node) && v.type != V_TEXT)
			value_clear(&v);
		return v;
	case T_TIME:
		if (date_seconds(&v, &seconds)) {
			value_clear(&v);
			return value_real(seconds);
		}
		value_clear(&v);
		return v;
	default:
		return v;
	}
}

static gboolean
eval_predicate(Eval *ev, const FerryQNode *node)
{
	const FerryQNode *left = g_ptr_array_index(node->children, 0);
	const FerryQNode *right =
		node->children->len > 1 ? g_ptr_array_index(node->children, 1) : NULL;
	gboolean is_null;

	switch (node->type) {
	case FERRY_QNODE_COMPARE: {
		const FerryQNode *nodes[] = {left, right};
		OperandType type = operand_type(nodes, 2);
		g_auto(Value) a = eval_operand(ev, left, type);
		g_auto(Value) b = eval_operand(ev, right, type);
		int cmp = value_compare_any(&a, &b, &is_null);
		return !is_null && compare_holds(node->op, cmp);
	}
	case FERRY_QNODE_BETWEEN: {
		const FerryQNode *high = g_ptr_array_index(node->children, 2);
		const FerryQNode *nodes[] = {left, right, high};
		OperandType type = operand_type(nodes, 3);
		g_auto(Value) a = eval_operand(ev, left, type);
		g_auto(Value) lo = eval_operand(ev, right, type);
		g_auto(Value) hi = eval_operand(ev, high, type);
		gboolean null_lo, null_hi;
		int c1 = value_compare_any(&a, &lo, &null_lo);
		int c2 = value_compare_any(&a, &hi, &null_hi);
		/* three-valued: x >= lo AND x <= hi */
		gboolean t1 = !null_lo && c1 >= 0, f1 = !null_lo && c1 < 0;
		gboolean t2 = !null_hi && c2 <= 0, f2 = !null_hi && c2 > 0;
		if (!node->negated)
			return t1 && t2;
		return f1 || f2;
	}
	case FERRY_QNODE_LIKE: {
		g_auto(Value) a = eval_value(ev, left);
		g_auto(Value) b = eval_value(ev, right);
		gboolean match;
		if (a.type != V_TEXT || b.type != V_TEXT)
			return FALSE;
		match = like(a.s, b.s, node->caseless);
		return node->negated ? !match : match;
	}
	case FERRY_QNODE_REGEX: {
		g_auto(Value) a = eval_value(ev, left);
		g_auto(Value) b = eval_value(ev, right);
		g_autoptr(GRegex) regex = NULL;
		gboolean match;
		if (a.type != V_TEXT || b.type != V_TEXT)
			return FALSE;
		regex = g_regex_new(b.s, G_REGEX_DOTALL, 0, NULL);
		g_assert_nonnull(regex);
		match = g_regex_match(regex, a.s, 0, NULL);
		return node->negated ? !match : match;
	}
	case FERRY_QNODE_IN: {
		g_auto(Value) a = eval_value(ev, left);
		gboolean found = FALSE, null_item = FALSE;
		if (right->type == FERRY_QNODE_ARRAY) {
			for (guint i = 0; i < right->children->len; i++) {
				g_auto(Value) item =
					eval_value(ev, g_ptr_array_index(right->children, i));
				int cmp = value_compare_any(&a, &item, &is_null);
				if (item.type == V_NULL)
					null_item = TRUE;
				else if (!is_null && cmp == 0 &&
					 value_is_number(&a) == value_is_number(&item))
					found = TRUE;
			}
			if (a.type == V_NULL)
				return FALSE;
			if (found)
				return !node->negated;
			if (null_item)
				return FALSE;
			return node->negated;
		} else {
			JsonNode *array = resolve(ev, right, right->segments->len);
			if (array != NULL && JSON_NODE_HOLDS_ARRAY(array)) {
				JsonArray *items = json_node_get_array(array);
				for (guint i = 0; i < json_array_get_length(items); i++) {
					g_auto(Value) item =
						value_from_json(json_array_get_element(items, i));
					int cmp;
					if (item.type == V_CONTAINER)
						ev->unsupported = TRUE;
					cmp = value_compare_any(&a, &item, &is_null);
					if (!is_null && cmp == 0)
						found = TRUE;
				}
			}
			if (node->negated)
				return a.type != V_NULL && !found;
			return found;
		}
	}
	case FERRY_QNODE_IS_NULL: {
		gboolean null;
		if (left->type == FERRY_QNODE_PATH) {
			/* containers are not null, and fine here */
			JsonNode *target = resolve(ev, left, left->segments->len);
			null = target == NULL || JSON_NODE_HOLDS_NULL(target);
		} else {
			g_auto(Value) a = eval_value(ev, left);
			null = a.type == V_NULL;
		}
		return node->negated ? !null : null;
	}
	default:
		g_assert_not_reached();
	}
}

static gboolean
atom_holds(Eval *ev, const FerryQNode *node)
{
	if (ferry_qnode_is_boolean(node))
		return eval_predicate(ev, node);
	{
		g_auto(Value) v = eval_value(ev, node);
		return truthy(&v);
	}
}

static gboolean
atom_cb(Eval *ev, gpointer data)
{
	Accumulator *acc = data;
	if (atom_holds(ev, acc->node))
		acc->result = TRUE;
	return !acc->result;
}

static gboolean
eval_cond(Eval *ev, const FerryQNode *node)
{
	switch (node->type) {
	case FERRY_QNODE_AND:
		return eval_cond(ev, g_ptr_array_index(node->children, 0)) &&
		       eval_cond(ev, g_ptr_array_index(node->children, 1));
	case FERRY_QNODE_OR:
		return eval_cond(ev, g_ptr_array_index(node->children, 0)) ||
		       eval_cond(ev, g_ptr_array_index(node->children, 1));
	case FERRY_QNODE_NOT:
		return !eval_cond(ev, g_ptr_array_index(node->children, 0));
	case FERRY_QNODE_BOOL:
		return node->boolean;
	default:
		break;
	}
	if (node->type == FERRY_QNODE_CALL &&
	    (node->func == FERRY_QFUNC_ANY || node->func == FERRY_QFUNC_ALL)) {
		g_auto(Value) v = eval_call(ev, node);
		return truthy(&v);
	}
	if (ev->scope_depth == 0 && node->type != FERRY_QNODE_CALL) {
		/* a condition outside functions iterates on its own */
		g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GPtrArray) owners = g_ptr_array_new();
		Accumulator acc = {.node = node};
		gboolean result;
		own_stars(ev, node, FALSE, keys, owners);
		ev->scope_depth++;
		if (keys->len > 0) {
			for_each_binding(ev, keys, owners, 0, atom_cb, &acc);
			result = acc.result;
		} else {
			result = atom_holds(ev, node);
		}
		ev->scope_depth--;
		return result;
	}
	return atom_holds(ev, node);
}

/* -- the catalogue of array paths, and the rewrite it implies -- */

static void
catalogue_walk(GHashTable *arrays, JsonNode *node, GString *path)
{
	gsize len = path->len;
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		json_object_iter_init(&iter, json_node_get_object(node));
		while (json_object_iter_next(&iter, &name, &member)) {
			ferry_query_path_append_key(path, name);
			catalogue_walk(arrays, member, path);
			g_string_truncate(path, len);
		}
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		if (len > 0)
			g_hash_table_add(arrays, g_strdup(path->str));
		g_string_append(path, "[*]");
		for (guint i = 0; i < json_array_get_length(json_node_get_array(node)); i++)
			catalogue_walk(arrays, json_array_get_element(json_node_get_array(node), i),
				       path);
		g_string_truncate(path, len);
	}
}

static void
rewrite(GHashTable *arrays, FerryQNode *node)
{
	for (guint i = 0; node->children != NULL && i < node->children->len; i++)
		rewrite(arrays, g_ptr_array_index(node->children, i));
	if (node->type == FERRY_QNODE_IN) {
		FerryQNode *right = g_ptr_array_index(node->children, 1);
		if (right->type == FERRY_QNODE_PATH && right->segments->len > 1) {
			FerryQSegment *last =
				g_ptr_array_index(right->segments, right->segments->len - 1);
			if (last->type == FERRY_QSEGMENT_STAR)
				g_ptr_array_remove_index(right->segments, right->segments->len - 1);
		}
	}
	if (node->type != FERRY_QNODE_PATH)
		return;
	for (guint i = 0; i + 1 < node->segments->len; i++) {
		FerryQSegment *segment = g_ptr_array_index(node->segments, i);
		FerryQSegment *next = g_ptr_array_index(node->segments, i + 1);
		g_autoptr(FerryQNode) normal = NULL;
		g_autofree char *prefix = NULL;
		if (segment->type == FERRY_QSEGMENT_STAR || next->type != FERRY_QSEGMENT_KEY)
			continue;
		normal = ferry_qnode_copy(node);
		for (guint j = 0; j < normal->segments->len; j++) {
			FerryQSegment *s = g_ptr_array_index(normal->segments, j);
			if (s->type == FERRY_QSEGMENT_INDEX)
				s->type = FERRY_QSEGMENT_STAR;
		}
		prefix = ferry_qnode_path_to_string(normal, i + 1);
		if (g_hash_table_contains(arrays, prefix))
			g_ptr_array_insert(node->segments, i + 1,
					   ferry_qsegment_new(FERRY_QSEGMENT_STAR, NULL, 0));
	}
}

/* -- random documents -- */

static const char *const strings[] = {
	"web-01",     "db",     "",     "Éclair",     "éclair", "a%b", "poweredOn",
	"poweredOff", "x_y",    "42",   "2024-01-01", "WEB-02", "ab",  "o e",
	"db-01",      "db-001", "webs", "web",        "x_yz",
};
static const char *const dates[] = {
	"2024-01-01",           "2023-06-30T12:00:00Z", "2024-03-01T00:00:00+02:00",
	"2024-02-29T23:59:59Z", "2022-12-31",
};

static int
pick(int n)
{
	return g_test_rand_int_range(0, n);
}

static gboolean
chance(int percent)
{
	return pick(100) < percent;
}

/* whether documents give a field different shapes */
static gboolean irregular;

static void
add_scalar(JsonBuilder *builder, const char *name)
{
	int kind = pick(10);
	json_builder_set_member_name(builder, name);
	if (kind < 4)
		json_builder_add_int_value(
			builder, (const gint64[]){0, 1, 2, 512, 1024, 4096, 8192, -5}[pick(8)]);
	else if (kind < 5)
		json_builder_add_double_value(builder,
					      (const double[]){1.5, 0.5, 4096.0, -2.25}[pick(4)]);
	else if (kind < 7)
		json_builder_add_string_value(builder, strings[pick(G_N_ELEMENTS(strings))]);
	else if (kind < 8)
		json_builder_add_boolean_value(builder, chance(50));
	else if (kind < 9)
		json_builder_add_null_value(builder);
	else {
		/* a field that is an object in some documents only */
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "x");
		json_builder_add_int_value(builder, pick(3));
		json_builder_end_object(builder);
	}
}

/* a disk; in irregular documents its capacity can be an object */
static void
add_disk(JsonBuilder *builder)
{
	if (!irregular && chance(5)) {
		/* a scalar among the objects */
		json_builder_add_int_value(builder, 1073741824);
		return;
	}
	json_builder_begin_object(builder);
	if (chance(90)) {
		json_builder_set_member_name(builder, "capacity");
		if (irregular && chance(10)) {
			json_builder_begin_object(builder);
			json_builder_set_member_name(builder, "x");
			json_builder_add_int_value(builder, 1);
			json_builder_end_object(builder);
		} else if (chance(90))
			json_builder_add_int_value(
				builder, (const gint64[]){0, 1073741824, 10737418240, 53687091200,
							  1099511627776, -1}[pick(6)]);
		else
			json_builder_add_string_value(builder, "big");
	}
	if (chance(80)) {
		json_builder_set_member_name(builder, "shared");
		json_builder_add_boolean_value(builder, chance(30));
	}
	if (chance(70)) {
		json_builder_set_member_name(builder, "mode");
		json_builder_add_string_value(
			builder,
			(const char *[]){"persistent", "independent_persistent", "x_y"}[pick(3)]);
	}
	if (chance(50)) {
		guint m = pick(3);
		json_builder_set_member_name(builder, "parts");
		json_builder_begin_array(builder);
		for (guint j = 0; j < m; j++) {
			json_builder_begin_object(builder);
			json_builder_set_member_name(builder, "size");
			json_builder_add_int_value(builder, 1 + pick(4));
			json_builder_end_object(builder);
		}
		json_builder_end_array(builder);
	}
	json_builder_end_object(builder);
}

static JsonNode *
random_document(guint index)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree char *id = g_strdup_printf("vm-%03u", index);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "id");
	json_builder_add_string_value(builder, id);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, strings[pick(G_N_ELEMENTS(strings))]);
	if (chance(85)) {
		json_builder_set_member_name(builder, "memoryMB");
		if (chance(85))
			json_builder_add_int_value(builder, (const gint64[]){512, 1024, 2048, 4096,
									     8192, 16384}[pick(6)]);
		else if (chance(50))
			json_builder_add_double_value(builder, 1536.5);
		else
			json_builder_add_string_value(builder, "2048");
	}
	if (chance(80)) {
		json_builder_set_member_name(builder, "cpuCount");
		json_builder_add_int_value(builder, 1 + pick(8));
	}
	if (chance(80)) {
		json_builder_set_member_name(builder, "powerState");
		json_builder_add_string_value(builder, chance(50) ? "poweredOn" : "poweredOff");
	}
	if (chance(80)) {
		json_builder_set_member_name(builder, "flag");
		if (chance(80))
			json_builder_add_boolean_value(builder, chance(50));
		else
			json_builder_add_null_value(builder);
	}
	if (chance(80)) {
		json_builder_set_member_name(builder, "created");
		json_builder_add_string_value(builder,
					      chance(90) ? dates[pick(G_N_ELEMENTS(dates))]
							 : strings[pick(G_N_ELEMENTS(strings))]);
	}
	if (chance(70))
		add_scalar(builder, "other");
	if (chance(80)) {
		json_builder_set_member_name(builder, "meta");
		json_builder_begin_object(builder);
		if (chance(80)) {
			json_builder_set_member_name(builder, "owner");
			json_builder_add_string_value(builder,
						      strings[pick(G_N_ELEMENTS(strings))]);
		}
		if (chance(80)) {
			json_builder_set_member_name(builder, "level");
			json_builder_add_int_value(builder, pick(5));
		}
		json_builder_end_object(builder);
	}
	if (chance(80)) {
		guint n = pick(4);
		json_builder_set_member_name(builder, "tags");
		json_builder_begin_array(builder);
		for (guint i = 0; i < n; i++) {
			if (chance(90))
				json_builder_add_string_value(builder,
							      strings[pick(G_N_ELEMENTS(strings))]);
			else if (irregular) {
				/* an object among the scalars */
				json_builder_begin_object(builder);
				json_builder_set_member_name(builder, "x");
				json_builder_add_int_value(builder, pick(3));
				json_builder_end_object(builder);
			} else if (chance(50)) {
				/* scalars of other types */
				json_builder_add_int_value(builder, pick(3));
			} else {
				json_builder_add_boolean_value(builder, chance(50));
			}
		}
		json_builder_end_array(builder);
	}
	if (chance(85)) {
		guint n = pick(4);
		json_builder_set_member_name(builder, "disks");
		if (irregular && chance(10)) {
			/* disks by name in some documents, or no list at all */
			if (chance(50)) {
				json_builder_add_string_value(builder, "none");
			} else {
				json_builder_begin_object(builder);
				for (guint i = 0; i < n; i++) {
					g_autofree char *key = g_strdup_printf("d%u", i);
					json_builder_set_member_name(builder, key);
					add_disk(builder);
				}
				json_builder_end_object(builder);
			}
		} else {
			json_builder_begin_array(builder);
			for (guint i = 0; i < n; i++)
				add_disk(builder);
			json_builder_end_array(builder);
		}
	}
	if (chance(80)) {
		guint n = pick(3);
		json_builder_set_member_name(builder, "nics");
		json_builder_begin_array(builder);
		for (guint i = 0; i < n; i++) {
			json_builder_begin_object(builder);
			json_builder_set_member_name(builder, "mac");
			json_builder_add_string_value(builder,
						      (const char *[]){"00:50:56:aa", "00:50:56:bb",
								       "52:54:00:cc"}[pick(3)]);
			if (chance(80)) {
				json_builder_set_member_name(builder, "network");
				json_builder_begin_object(builder);
				json_builder_set_member_name(builder, "id");
				json_builder_add_string_value(
					builder, (const char *[]){"net-1", "net-2"}[pick(2)]);
				json_builder_end_object(builder);
			}
			json_builder_end_object(builder);
		}
		json_builder_end_array(builder);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/* -- random queries -- */

static const char *const scalar_paths[] = {
	"memoryMB",
	"cpuCount",
	"powerState",
	"flag",
	"created",
	"name",
	"id",
	"meta.owner",
	"meta.level",
	"disks[0].capacity",
	"disks[1].shared",
	"nics[0].network.id",
	"missing",
	"disks[0].mode",
	"other",
	"`other`",
	"meta['owner']",
	"other.x",
};
static const char *const number_paths[] = {"memoryMB", "cpuCount", "meta.level",
					   "disks[0].capacity", "other"};
static const char *const multi_numbers[] = {"disks[*].capacity", "disks.capacity",
					    "disks[*].parts[*].size", "disks.parts.size"};
static const char *const multi_paths[] = {
	"disks[*].capacity", "disks[*].shared", "disks[*].mode",
	"disks.capacity",    "nics.network.id", "disks[*].parts[*].size",
	"tags[*]",           "nics[*].mac",     "disks.shared",
	"meta[*]",           "disks[*][*]",     "nics[*].network[*]",
};
static const char *const len_paths[] = {
	"disks",    "tags",     "nics",    "disks[0].parts",    "meta",       "name", "missing",
	"memoryMB", "disks[*]", "tags[*]", "disks[*].parts[*]", "disks.parts"};
static const char *const literals[] = {
	"0",
	"1",
	"-5",
	"512",
	"1.5",
	"4Ki",
	"1Gi",
	"2048",
	"0.5",
	"true",
	"false",
	"null",
	"'web-01'",
	"'db'",
	"''",
	"'Éclair'",
	"'42'",
	"'poweredOn'",
	"'2024-01-01'",
	"'2023-06-30T12:00:00Z'",
	"'2024-03-01T00:00:00+02:00'",
	"10Gi",
	"50Gi",
	"1Ti",
};
static const char *const patterns[] = {"'web%'",   "'%b'", "'_b'",     "'É%'",
				       "'%\\%%'",  "'%'",  "'x\\_y'",  "'%on'",
				       "'ÉCLAIR'", "''",   "'x\\_y%'", "'db-_1'"};
/* with ^ and literal text first, the matches are also found by range */
static const char *const regexes[] = {"'^web'",    "'[0-9]+$'",   "'é'",      "'^$'",
				      "'o.e'",     "'^(web|db)'", "'off$'",   "'^webs?'",
				      "'^db-0*1'", "'^x_y'",      "'^web|db'"};
static const char *const comparisons[] = {"=", "!=", "<>", "<", "<=", ">", ">="};
static const char *const ariths[] = {"+", "-", "*", "/", "%"};

#define PICK(array) (array)[pick(G_N_ELEMENTS(array))]

static void random_condition(GString *q, guint depth, gboolean multi);

static void
random_multi_atom(GString *q)
{
	switch (pick(4)) {
	case 0:
		g_string_append_printf(q, "%s %s %s", PICK(multi_paths), PICK(comparisons),
				       PICK(literals));
		break;
	case 1:
		g_string_append_printf(q, "%s %s %s %s", PICK(multi_numbers), PICK(ariths),
				       PICK(literals), PICK(comparisons));
		g_string_append(q, PICK(literals));
		break;
	case 2:
		g_string_append_printf(q, "%s", PICK(multi_paths));
		break;
	default:
		g_string_append_printf(q, "%s %slike %s", PICK(multi_paths), chance(50) ? "i" : "",
				       PICK(patterns));
		break;
	}
}

static void
random_atom(GString *q)
{
	switch (pick(16)) {
	case 0:
	case 1:
		g_string_append_printf(q, "%s %s %s", PICK(scalar_paths), PICK(comparisons),
				       PICK(literals));
		break;
	case 2:
		g_string_append_printf(q, "%s %s %s %s %s", PICK(number_paths), PICK(ariths),
				       chance(50) ? PICK(literals) : PICK(number_paths),
				       PICK(comparisons), PICK(literals));
		break;
	case 3:
		g_string_append_printf(q, "-%s %s %s", PICK(number_paths), PICK(comparisons),
				       PICK(literals));
		break;
	case 4:
		g_string_append_printf(q, "%s %s%s %s", PICK(scalar_paths),
				       chance(30) ? "not " : "", chance(50) ? "like" : "ilike",
				       PICK(patterns));
		break;
	case 5:
		g_string_append_printf(q, "%s %s %s", PICK(scalar_paths), chance(50) ? "~=" : "~!",
				       PICK(regexes));
		break;
	case 6: {
		guint n = pick(4);
		g_string_append_printf(q, "%s %sin [", PICK(scalar_paths),
				       chance(40) ? "not " : "");
		for (guint i = 0; i < n; i++)
			g_string_append_printf(q, "%s%s", i > 0 ? ", " : "", PICK(literals));
		g_string_append(q, "]");
		break;
	}
	case 7:
		g_string_append_printf(
			q, "%s %sin %s", chance(60) ? PICK(literals) : PICK(scalar_paths),
			chance(40) ? "not " : "", chance(80) ? "tags" : PICK(len_paths));
		break;
	case 8:
		g_string_append_printf(q, "%s %sbetween %s and %s", PICK(scalar_paths),
				       chance(30) ? "not " : "", PICK(literals), PICK(literals));
		break;
	case 9:
		g_string_append_printf(q, "%s is %snull", PICK(scalar_paths),
				       chance(50) ? "not " : "");
		break;
	case 10:
		g_string_append(q, PICK(scalar_paths));
		break;
	case 11:
		g_string_append_printf(q, "len(%s) %s %d", PICK(len_paths), PICK(comparisons),
				       pick(5));
		break;
	case 12:
		g_string_append_printf(q, "sum(%s) %s %s", PICK(multi_numbers), PICK(comparisons),
				       PICK(literals));
		break;
	case 13:
		g_string_append_printf(q, "%s(", chance(50) ? "any" : "all");
		random_condition(q, 1, TRUE);
		g_string_append(q, ")");
		break;
	case 14:
		random_multi_atom(q);
		break;
	default:
		g_string_append_printf(q, "%s %s %s", PICK(scalar_paths), PICK(comparisons),
				       PICK(scalar_paths));
		break;
	}
}

static void
random_condition(GString *q, guint depth, gboolean multi)
{
	int kind = depth >= 3 ? 0 : pick(5);
	switch (kind) {
	case 0:
	case 1:
		if (multi && chance(70))
			random_multi_atom(q);
		else
			random_atom(q);
		break;
	case 2:
		g_string_append(q, "(");
		random_condition(q, depth + 1, multi);
		g_string_append(q, " and ");
		random_condition(q, depth + 1, multi);
		g_string_append(q, ")");
		break;
	case 3:
		g_string_append(q, "(");
		random_condition(q, depth + 1, multi);
		g_string_append(q, " or ");
		random_condition(q, depth + 1, multi);
		g_string_append(q, ")");
		break;
	default:
		g_string_append(q, "not ");
		if (chance(50)) {
			g_string_append(q, "(");
			random_condition(q, depth + 1, multi);
			g_string_append(q, ")");
		} else {
			random_atom(q);
		}
		break;
	}
}

static void
test_query_reference(gconstpointer data)
{
	gboolean valgrind = g_getenv("FERRY_UNDER_VALGRIND") != NULL;
	irregular = GPOINTER_TO_INT(data);
	guint n_documents = valgrind ? 40 : 150;
	guint n_queries = valgrind ? 40 : 300;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	g_autoptr(GHashTable) arrays = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint compared = 0, skipped = 0, nonempty = 0;

	g_assert_no_error(error);
	g_assert_true(ferry_inventory_begin_update(inventory, "p", TRUE, &error));
	for (guint i = 0; i < n_documents; i++) {
		JsonNode *doc = random_document(i);
		JsonObject *object = json_node_get_object(doc);
		g_autoptr(GString) path = g_string_new(NULL);
		g_ptr_array_add(docs, doc);
		catalogue_walk(arrays, doc, path);
		g_assert_true(ferry_inventory_upsert(
			inventory, "vm", json_object_get_string_member(object, "id"),
			json_object_get_string_member(object, "name"), NULL, object, &error));
	}
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_no_error(error);

	for (guint n = 0; n < n_queries; n++) {
		g_autoptr(GString) text = g_string_new("where ");
		g_autoptr(FerryQuery) query = NULL;
		g_autoptr(GPtrArray) results = NULL;
		g_autoptr(FerryQNode) tree = NULL;
		g_autoptr(GHashTable) got = g_hash_table_new(g_str_hash, g_str_equal);
		g_autoptr(GString) expected = g_string_new(NULL);
		g_autoptr(GString) actual = g_string_new(NULL);
		gboolean unsupported = FALSE;
		gboolean differ = FALSE;

		random_condition(text, 0, FALSE);
		query = ferry_query_new(text->str, &error);
		if (query == NULL)
			g_error("generated query «%s» does not parse: %s", text->str,
				error->message);
		results = ferry_inventory_query(inventory, "p", "vm", query,
						FERRY_INVENTORY_QUERY_FLAG_REFS, &error);
		if (results == NULL)
			g_error("query «%s» failed: %s", text->str, error->message);
		for (guint i = 0; i < results->len; i++)
			g_hash_table_add(got, (gpointer)json_object_get_string_member(
						      g_ptr_array_index(results, i), "id"));

		tree = ferry_qnode_copy(ferry_query_get_where(query));
		rewrite(arrays, tree);
		for (guint i = 0; i < docs->len; i++) {
			JsonNode *doc = g_ptr_array_index(docs, i);
			const char *id =
				json_object_get_string_member(json_node_get_object(doc), "id");
			g_autoptr(GHashTable) bindings =
				g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			Eval ev = {.document = doc, .bindings = bindings};
			gboolean holds = eval_cond(&ev, tree);
			if (ev.unsupported) {
				unsupported = TRUE;
				break;
			}
			if (holds)
				g_string_append_printf(expected, " %s", id);
			if (g_hash_table_contains(got, id))
				g_string_append_printf(actual, " %s", id);
			if (holds != g_hash_table_contains(got, id))
				differ = TRUE;
		}
		if (unsupported) {
			skipped++;
			continue;
		}
		if (differ)
			g_error("query «%s»:\n  reference:%s\n  SQL:      %s", text->str,
				expected->str, actual->str);
		compared++;
		if (results->len > 0 && results->len < docs->len)
			nonempty++;
	}
	g_test_message("%u queries compared (%u selective), %u skipped", compared, nonempty,
		       skipped);
	/* the generator must give the comparison something to bite on */
	/* (values that are objects, frequent in irregular documents, are not) */
	g_assert_cmpuint(compared, >, irregular ? n_queries / 3 : n_queries / 2);
	g_assert_cmpuint(nonempty, >, compared / 4);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* regular documents: arrays of objects, iterated over their element facts */
	g_test_add_data_func("/query/reference/regular", GINT_TO_POINTER(FALSE),
			     test_query_reference);
	/* fields that are arrays in some documents and objects or scalars in
	 * others: iterated over the JSON */
	g_test_add_data_func("/query/reference/irregular", GINT_TO_POINTER(TRUE),
			     test_query_reference);
	return g_test_run();
}

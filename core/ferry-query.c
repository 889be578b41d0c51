/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-query-private.h"

/**
 * FerryQuery:
 *
 * A parsed inventory query in kubectl-mtv's language:
 *
 * ```
 * [SELECT expr [AS alias], …] [WHERE expr] [ORDER BY expr [ASC|DESC], …] [LIMIT n]
 * ```
 *
 * A query that starts with an expression is a `WHERE` clause. Literals are
 * numbers with optional SI suffixes (`4Gi`, `1.5T`), `'strings'`, `true`,
 * `false`, `null`, arrays `['a', 'b']` and dates (`'2024-01-01'`, RFC 3339).
 * Operators: `= != <> < <= > >= + - * / % like ilike ~= ~! and or not in
 * not in between is null is not null`; functions `len any all sum`; paths
 * `a.b`, `disks[0].capacity`, `disks[*].capacity`, with field names that are
 * not identifiers quoted as `` `OS-EXT-STS:vm_state` `` or `addresses['net 1']`.
 *
 * A query is compiled to SQL over the inventory's JSON documents by
 * ferry_inventory_query(); README.md describes the semantics.
 *
 * Since: 0.1
 */
struct _FerryQuery {
	GObject parent_instance;
	char *text;
	GPtrArray *select; /* of FerryQSelectItem, NULL without SELECT */
	FerryQNode *where;
	GPtrArray *order; /* of FerryQOrderItem */
	gint64 limit;
};

G_DEFINE_TYPE(FerryQuery, ferry_query, G_TYPE_OBJECT)

/* -- syntax tree -- */

FerryQNode *
ferry_qnode_new(FerryQNodeType type, guint column)
{
	FerryQNode *node = g_new0(FerryQNode, 1);
	node->type = type;
	node->column = column;
	return node;
}

void
ferry_qnode_free(FerryQNode *node)
{
	if (node == NULL)
		return;
	g_free(node->string);
	if (node->children != NULL)
		g_ptr_array_unref(node->children);
	if (node->segments != NULL)
		g_ptr_array_unref(node->segments);
	g_free(node);
}

FerryQSegment *
ferry_qsegment_new(FerryQSegmentType type, const char *key, gint64 index)
{
	FerryQSegment *segment = g_new0(FerryQSegment, 1);
	segment->type = type;
	segment->key = g_strdup(key);
	segment->index = index;
	return segment;
}

void
ferry_qsegment_free(FerryQSegment *segment)
{
	if (segment == NULL)
		return;
	g_free(segment->key);
	g_free(segment);
}

static void
ferry_qnode_add_child(FerryQNode *node, FerryQNode *child)
{
	if (node->children == NULL)
		node->children = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_qnode_free);
	g_ptr_array_add(node->children, child);
}

static void
ferry_qnode_add_segment(FerryQNode *node, FerryQSegment *segment)
{
	if (node->segments == NULL)
		node->segments =
			g_ptr_array_new_with_free_func((GDestroyNotify)ferry_qsegment_free);
	g_ptr_array_add(node->segments, segment);
}

FerryQNode *
ferry_qnode_copy(const FerryQNode *node)
{
	FerryQNode *copy = g_memdup2(node, sizeof(FerryQNode));
	copy->string = g_strdup(node->string);
	copy->children = NULL;
	copy->segments = NULL;
	if (node->children != NULL)
		copy->children = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_qnode_free);
	for (guint i = 0; node->children != NULL && i < node->children->len; i++)
		ferry_qnode_add_child(copy, ferry_qnode_copy(g_ptr_array_index(node->children, i)));
	for (guint i = 0; node->segments != NULL && i < node->segments->len; i++) {
		const FerryQSegment *segment = g_ptr_array_index(node->segments, i);
		ferry_qnode_add_segment(
			copy, ferry_qsegment_new(segment->type, segment->key, segment->index));
	}
	return copy;
}

static gboolean
ferry_query_key_is_plain(const char *key)
{
	if (key[0] == '\0' || g_ascii_isdigit(key[0]))
		return FALSE;
	for (const char *p = key; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_' && *p != '$')
			return FALSE;
	}
	return TRUE;
}

void
ferry_query_path_append_key(GString *path, const char *key)
{
	if (ferry_query_key_is_plain(key)) {
		if (path->len > 0)
			g_string_append_c(path, '.');
		g_string_append(path, key);
		return;
	}
	if (path->len == 0) {
		/* a first key is quoted in backticks, as ['key'] would be an array */
		g_string_append_c(path, '`');
		for (const char *p = key; *p != '\0'; p++) {
			if (*p == '`')
				g_string_append_c(path, '`');
			g_string_append_c(path, *p);
		}
		g_string_append_c(path, '`');
		return;
	}
	g_string_append(path, "['");
	for (const char *p = key; *p != '\0'; p++) {
		if (*p == '\'')
			g_string_append_c(path, '\\');
		g_string_append_c(path, *p);
	}
	g_string_append(path, "']");
}

char *
ferry_qnode_path_to_string(const FerryQNode *node, guint n_segments)
{
	GString *str = g_string_new(NULL);
	g_return_val_if_fail(node->type == FERRY_QNODE_PATH, NULL);
	for (guint i = 0; i < n_segments && i < node->segments->len; i++) {
		const FerryQSegment *segment = g_ptr_array_index(node->segments, i);
		switch (segment->type) {
		case FERRY_QSEGMENT_KEY:
			ferry_query_path_append_key(str, segment->key);
			break;
		case FERRY_QSEGMENT_INDEX:
			g_string_append_printf(str, "[%" G_GINT64_FORMAT "]", segment->index);
			break;
		case FERRY_QSEGMENT_STAR:
			g_string_append(str, "[*]");
			break;
		default:
			g_assert_not_reached();
		}
	}
	return g_string_free(str, FALSE);
}

gboolean
ferry_qnode_is_boolean(const FerryQNode *node)
{
	switch (node->type) {
	case FERRY_QNODE_BOOL:
	case FERRY_QNODE_NOT:
	case FERRY_QNODE_AND:
	case FERRY_QNODE_OR:
	case FERRY_QNODE_COMPARE:
	case FERRY_QNODE_LIKE:
	case FERRY_QNODE_REGEX:
	case FERRY_QNODE_IN:
	case FERRY_QNODE_BETWEEN:
	case FERRY_QNODE_IS_NULL:
		return TRUE;
	case FERRY_QNODE_CALL:
		return node->func == FERRY_QFUNC_ANY || node->func == FERRY_QFUNC_ALL;
	default:
		return FALSE;
	}
}

static void
ferry_qselect_item_free(FerryQSelectItem *item)
{
	ferry_qnode_free(item->expr);
	g_free(item->name);
	g_free(item);
}

static void
ferry_qorder_item_free(FerryQOrderItem *item)
{
	ferry_qnode_free(item->expr);
	g_free(item);
}

/* -- lexer -- */

typedef enum {
	TOKEN_END,
	TOKEN_IDENT,
	TOKEN_NUMBER,
	TOKEN_STRING,
	TOKEN_PUNCT,
} TokenType;

typedef struct {
	TokenType type;
	gsize start, end; /* bytes */
	guint column;
	char punct[3];    /* PUNCT */
	char *string;     /* STRING, IDENT */
	gboolean quoted;  /* IDENT in backticks: never a keyword or function */
	gboolean is_real; /* NUMBER */
	gint64 integer;
	double real;
} Token;

static void
token_clear(gpointer data)
{
	Token *token = data;
	g_free(token->string);
}

typedef struct {
	const char *text;
	GArray *tokens;
	guint pos;
	guint error_column;
	GError *error;
} Parser;

static guint
parser_column(Parser *parser, gsize offset)
{
	return (guint)g_utf8_pointer_to_offset(parser->text, parser->text + offset) + 1;
}

static gboolean parser_fail(Parser *parser, guint column, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

static gboolean
parser_fail(Parser *parser, guint column, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;
	if (parser->error != NULL)
		return FALSE;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	parser->error_column = column;
	parser->error = g_error_new(FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT, "column %u: %s",
				    column, message);
	return FALSE;
}

static const struct {
	const char *suffix;
	double factor;
} si_suffixes[] = {
	/* binary first, so Ki is not read as K */
	{"Ki", 1024.0},
	{"Mi", 1048576.0},
	{"Gi", 1073741824.0},
	{"Ti", 1099511627776.0},
	{"Pi", 1125899906842624.0},
	{"Ei", 1152921504606846976.0},
	{"k", 1e3},
	{"K", 1e3},
	{"M", 1e6},
	{"G", 1e9},
	{"T", 1e12},
	{"P", 1e15},
	{"E", 1e18},
};

static gboolean
is_ident_start(char c)
{
	return g_ascii_isalpha(c) || c == '_' || c == '$';
}

static gboolean
is_ident_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '$';
}

static gboolean
lex_number(Parser *parser, const char *p, Token *token, const char **endp)
{
	const char *start = p;
	gboolean is_real = FALSE;
	g_autofree char *digits = NULL;
	double factor = 1.0;
	double value;

	while (g_ascii_isdigit(*p))
		p++;
	if (*p == '.' && g_ascii_isdigit(p[1])) {
		is_real = TRUE;
		p++;
		while (g_ascii_isdigit(*p))
			p++;
	}
	if ((*p == 'e' || *p == 'E') &&
	    (g_ascii_isdigit(p[1]) || ((p[1] == '+' || p[1] == '-') && g_ascii_isdigit(p[2])))) {
		is_real = TRUE;
		p += 2;
		while (g_ascii_isdigit(*p))
			p++;
	}
	digits = g_strndup(start, p - start);
	for (guint i = 0; i < G_N_ELEMENTS(si_suffixes); i++) {
		gsize len = strlen(si_suffixes[i].suffix);
		if (strncmp(p, si_suffixes[i].suffix, len) == 0 && !is_ident_char(p[len])) {
			factor = si_suffixes[i].factor;
			p += len;
			break;
		}
	}
	if (is_ident_char(*p)) {
		const char *unit = p;
		while (is_ident_char(*p))
			p++;
		return parser_fail(parser, parser_column(parser, unit - parser->text),
				   "unknown unit '%.*s' after the number %s; the units are Ki Mi "
				   "Gi Ti Pi Ei and K M G T P E",
				   (int)(p - unit), unit, digits);
	}
	token->type = TOKEN_NUMBER;
	if (!is_real && factor == 1.0) {
		guint64 parsed;
		if (g_ascii_string_to_unsigned(digits, 10, 0, G_MAXINT64, &parsed, NULL)) {
			token->integer = (gint64)parsed;
			*endp = p;
			return TRUE;
		}
	}
	value = g_ascii_strtod(digits, NULL) * factor;
	if (!isfinite(value))
		return parser_fail(parser, parser_column(parser, start - parser->text),
				   "the number '%.*s' is too large", (int)(p - start), start);
	if (value == floor(value) && fabs(value) < 9.2e18) {
		token->integer = (gint64)value;
	} else {
		token->is_real = TRUE;
		token->real = value;
	}
	*endp = p;
	return TRUE;
}

static gboolean
lex_string(Parser *parser, const char *p, Token *token, const char **endp)
{
	char quote = *p;
	const char *start = p;
	GString *value = g_string_new(NULL);

	p++;
	for (;;) {
		if (*p == '\0') {
			g_string_free(value, TRUE);
			return parser_fail(parser, parser_column(parser, start - parser->text),
					   "this string has no closing %c", quote);
		}
		if (*p == '\\' && p[1] == quote) {
			g_string_append_c(value, quote);
			p += 2;
		} else if (*p == quote && p[1] == quote) {
			g_string_append_c(value, quote);
			p += 2;
		} else if (*p == quote) {
			p++;
			break;
		} else {
			g_string_append_c(value, *p);
			p++;
		}
	}
	if (!g_utf8_validate(value->str, value->len, NULL)) {
		g_string_free(value, TRUE);
		return parser_fail(parser, parser_column(parser, start - parser->text),
				   "this string is not valid UTF-8");
	}
	token->type = TOKEN_STRING;
	token->string = g_string_free(value, FALSE);
	*endp = p;
	return TRUE;
}

static const char *const puncts[] = {
	"==", "!=", "<>", "<=", ">=", "~=", "~!", "(", ")", "[", "]",
	",",  ".",  "*",  "/",  "%",  "+",  "-",  "=", "<", ">",
};

static gboolean
parser_lex(Parser *parser)
{
	const char *p = parser->text;

	if (!g_utf8_validate(parser->text, -1, NULL))
		return parser_fail(parser, 1, "the query is not valid UTF-8");
	parser->tokens = g_array_new(FALSE, TRUE, sizeof(Token));
	g_array_set_clear_func(parser->tokens, token_clear);
	for (;;) {
		Token token = {0};
		const char *end = NULL;

		while (g_ascii_isspace(*p))
			p++;
		token.start = p - parser->text;
		token.column = parser_column(parser, token.start);
		if (*p == '\0') {
			token.type = TOKEN_END;
			token.end = token.start;
			g_array_append_val(parser->tokens, token);
			return TRUE;
		}
		if (g_ascii_isdigit(*p)) {
			if (!lex_number(parser, p, &token, &end))
				return FALSE;
		} else if (*p == '\'' || *p == '"') {
			if (!lex_string(parser, p, &token, &end))
				return FALSE;
		} else if (*p == '`') {
			/* a quoted field name, for names such as `OS-EXT-STS:vm_state` */
			if (!lex_string(parser, p, &token, &end))
				return FALSE;
			token.type = TOKEN_IDENT;
			token.quoted = TRUE;
		} else if (is_ident_start(*p)) {
			end = p;
			while (is_ident_char(*end))
				end++;
			token.type = TOKEN_IDENT;
			token.string = g_strndup(p, end - p);
		} else {
			for (guint i = 0; i < G_N_ELEMENTS(puncts); i++) {
				gsize len = strlen(puncts[i]);
				if (strncmp(p, puncts[i], len) == 0) {
					token.type = TOKEN_PUNCT;
					memcpy(token.punct, puncts[i], len);
					end = p + len;
					break;
				}
			}
			if (end == NULL) {
				gunichar c = g_utf8_get_char(p);
				char buf[8] = {0};
				g_unichar_to_utf8(c, buf);
				return parser_fail(parser, token.column,
						   "unexpected character '%s'", buf);
			}
		}
		token.end = end - parser->text;
		g_array_append_val(parser->tokens, token);
		p = end;
	}
}

/* -- parser -- */

static Token *
parser_peek(Parser *parser)
{
	return &g_array_index(parser->tokens, Token, parser->pos);
}

static Token *
parser_peek_at(Parser *parser, guint ahead)
{
	guint pos = MIN(parser->pos + ahead, parser->tokens->len - 1);
	return &g_array_index(parser->tokens, Token, pos);
}

static Token *
parser_next(Parser *parser)
{
	Token *token = parser_peek(parser);
	if (token->type != TOKEN_END)
		parser->pos++;
	return token;
}

static gboolean
token_is_punct(const Token *token, const char *punct)
{
	return token->type == TOKEN_PUNCT && strcmp(token->punct, punct) == 0;
}

static gboolean
token_is_keyword(const Token *token, const char *keyword)
{
	return token->type == TOKEN_IDENT && !token->quoted &&
	       g_ascii_strcasecmp(token->string, keyword) == 0;
}

static const char *const keywords[] = {
	"select", "where",   "order", "by",   "asc",  "desc",  "limit", "and",   "or", "not",
	"in",     "between", "is",    "null", "true", "false", "like",  "ilike", "as",
};

static gboolean
token_is_any_keyword(const Token *token)
{
	for (guint i = 0; i < G_N_ELEMENTS(keywords); i++) {
		if (token_is_keyword(token, keywords[i]))
			return TRUE;
	}
	return FALSE;
}

static char *
token_describe(Parser *parser, const Token *token)
{
	if (token->type == TOKEN_END)
		return g_strdup("the end of the query");
	return g_strdup_printf("'%.*s'", (int)(token->end - token->start),
			       parser->text + token->start);
}

static gboolean
parser_expect_punct(Parser *parser, const char *punct, const char *context)
{
	Token *token = parser_peek(parser);
	g_autofree char *found = NULL;
	if (token_is_punct(token, punct)) {
		parser_next(parser);
		return TRUE;
	}
	found = token_describe(parser, token);
	return parser_fail(parser, token->column, "expected '%s' %s but found %s", punct, context,
			   found);
}

static FerryQNode *parser_expression(Parser *parser);
static FerryQNode *parser_additive(Parser *parser);

static void
parser_finish_node(Parser *parser, FerryQNode *node, gsize start)
{
	Token *previous =
		&g_array_index(parser->tokens, Token, parser->pos > 0 ? parser->pos - 1 : 0);
	node->start = start;
	node->end = MAX(previous->end, start);
}

static FerryQNode *
parser_path(Parser *parser, Token *first)
{
	g_autoptr(FerryQNode) node = ferry_qnode_new(FERRY_QNODE_PATH, first->column);
	ferry_qnode_add_segment(node, ferry_qsegment_new(FERRY_QSEGMENT_KEY, first->string, 0));
	for (;;) {
		Token *token = parser_peek(parser);
		if (token_is_punct(token, ".")) {
			Token *name;
			parser_next(parser);
			name = parser_next(parser);
			if (name->type != TOKEN_IDENT) {
				g_autofree char *found = token_describe(parser, name);
				parser_fail(parser, name->column,
					    "expected a field name after '.' but found %s", found);
				return NULL;
			}
			ferry_qnode_add_segment(
				node, ferry_qsegment_new(FERRY_QSEGMENT_KEY, name->string, 0));
		} else if (token_is_punct(token, "[")) {
			Token *inner;
			parser_next(parser);
			inner = parser_next(parser);
			if (token_is_punct(inner, "*")) {
				ferry_qnode_add_segment(
					node, ferry_qsegment_new(FERRY_QSEGMENT_STAR, NULL, 0));
			} else if (inner->type == TOKEN_NUMBER && !inner->is_real) {
				ferry_qnode_add_segment(node,
							ferry_qsegment_new(FERRY_QSEGMENT_INDEX,
									   NULL, inner->integer));
			} else if (inner->type == TOKEN_STRING) {
				ferry_qnode_add_segment(node, ferry_qsegment_new(FERRY_QSEGMENT_KEY,
										 inner->string, 0));
			} else {
				g_autofree char *found = token_describe(parser, inner);
				parser_fail(parser, inner->column,
					    "expected an index, '*' or a quoted field name in "
					    "brackets but found %s",
					    found);
				return NULL;
			}
			if (!parser_expect_punct(parser, "]", "to close the brackets"))
				return NULL;
		} else {
			break;
		}
	}
	parser_finish_node(parser, node, first->start);
	return g_steal_pointer(&node);
}

static FerryQNode *
parser_array(Parser *parser, Token *open)
{
	g_autoptr(FerryQNode) node = ferry_qnode_new(FERRY_QNODE_ARRAY, open->column);
	node->children = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_qnode_free);
	if (token_is_punct(parser_peek(parser), "]")) {
		parser_next(parser);
		parser_finish_node(parser, node, open->start);
		return g_steal_pointer(&node);
	}
	for (;;) {
		FerryQNode *item = parser_expression(parser);
		Token *token;
		if (item == NULL)
			return NULL;
		ferry_qnode_add_child(node, item);
		token = parser_next(parser);
		if (token_is_punct(token, "]"))
			break;
		if (!token_is_punct(token, ",")) {
			g_autofree char *found = token_describe(parser, token);
			parser_fail(parser, token->column,
				    "expected ',' or ']' in the array but found %s", found);
			return NULL;
		}
	}
	parser_finish_node(parser, node, open->start);
	return g_steal_pointer(&node);
}

static const struct {
	const char *name;
	FerryQFunc func;
} functions[] = {
	{"len", FERRY_QFUNC_LEN},
	{"any", FERRY_QFUNC_ANY},
	{"all", FERRY_QFUNC_ALL},
	{"sum", FERRY_QFUNC_SUM},
};

static gboolean
is_function_name(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(functions); i++) {
		if (g_ascii_strcasecmp(name, functions[i].name) == 0)
			return TRUE;
	}
	return FALSE;
}

static FerryQNode *parser_unary(Parser *parser);

static FerryQNode *
parser_call(Parser *parser, Token *name)
{
	g_autoptr(FerryQNode) node = ferry_qnode_new(FERRY_QNODE_CALL, name->column);
	FerryQNode *argument;
	gboolean found = FALSE;

	for (guint i = 0; i < G_N_ELEMENTS(functions); i++) {
		if (g_ascii_strcasecmp(name->string, functions[i].name) == 0) {
			node->func = functions[i].func;
			found = TRUE;
		}
	}
	if (!found) {
		parser_fail(parser, name->column,
			    "unknown function '%s'; the functions are len, any, all and sum",
			    name->string);
		return NULL;
	}
	if (!token_is_punct(parser_peek(parser), "(")) {
		/* TSL's prefix form, `len disks > 1`: the function takes the
		 * operand right after it, as unary minus does */
		argument = parser_unary(parser);
		if (argument == NULL)
			return NULL;
		ferry_qnode_add_child(node, argument);
		parser_finish_node(parser, node, name->start);
		return g_steal_pointer(&node);
	}
	parser_next(parser); /* ( */
	argument = parser_expression(parser);
	if (argument == NULL)
		return NULL;
	ferry_qnode_add_child(node, argument);
	if (token_is_punct(parser_peek(parser), ",")) {
		parser_fail(parser, parser_peek(parser)->column, "%s() takes one argument",
			    functions[node->func].name);
		return NULL;
	}
	if (!parser_expect_punct(parser, ")", "to close the function call"))
		return NULL;
	parser_finish_node(parser, node, name->start);
	return g_steal_pointer(&node);
}

gboolean
ferry_query_string_is_date(const char *s)
{
	static GRegex *regex = NULL;
	if (g_once_init_enter(&regex)) {
		/* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH:MM], what SQLite's julianday() reads */
		GRegex *compiled = g_regex_new(
			"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
			"([T "
			"][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$",
			G_REGEX_OPTIMIZE, 0, NULL);
		g_once_init_leave(&regex, compiled);
	}
	return g_regex_match(regex, s, 0, NULL);
}

static FerryQNode *
parser_primary(Parser *parser)
{
	Token *token = parser_next(parser);
	FerryQNode *node = NULL;

	switch (token->type) {
	case TOKEN_NUMBER:
		if (token->is_real) {
			node = ferry_qnode_new(FERRY_QNODE_REAL, token->column);
			node->real = token->real;
		} else {
			node = ferry_qnode_new(FERRY_QNODE_INT, token->column);
			node->integer = token->integer;
		}
		break;
	case TOKEN_STRING:
		node = ferry_qnode_new(FERRY_QNODE_STRING, token->column);
		node->string = g_strdup(token->string);
		node->is_date = ferry_query_string_is_date(token->string);
		break;
	case TOKEN_IDENT:
		if (token_is_keyword(token, "true") || token_is_keyword(token, "false")) {
			node = ferry_qnode_new(FERRY_QNODE_BOOL, token->column);
			node->boolean = token_is_keyword(token, "true");
		} else if (token_is_keyword(token, "null")) {
			node = ferry_qnode_new(FERRY_QNODE_NULL, token->column);
		} else if (!token->quoted && token_is_punct(parser_peek(parser), "(")) {
			return parser_call(parser, token);
		} else if (!token->quoted && is_function_name(token->string) &&
			   parser_peek(parser)->type == TOKEN_IDENT &&
			   !token_is_any_keyword(parser_peek(parser))) {
			return parser_call(parser, token);
		} else if (token_is_any_keyword(token)) {
			parser_fail(parser, token->column,
				    "expected a value but found the keyword '%s'", token->string);
			return NULL;
		} else {
			return parser_path(parser, token);
		}
		break;
	case TOKEN_PUNCT:
		if (token_is_punct(token, "(")) {
			node = parser_expression(parser);
			if (node == NULL)
				return NULL;
			if (!parser_expect_punct(parser, ")", "to close the parenthesis")) {
				ferry_qnode_free(node);
				return NULL;
			}
			/* keep the inner range but cover the parentheses */
			parser_finish_node(parser, node, token->start);
			return node;
		}
		if (token_is_punct(token, "["))
			return parser_array(parser, token);
		/* fall through */
	case TOKEN_END:
	default: {
		g_autofree char *found = token_describe(parser, token);
		guint index = (guint)(token - &g_array_index(parser->tokens, Token, 0));
		if (index > 0) {
			Token *previous = &g_array_index(parser->tokens, Token, index - 1);
			parser_fail(parser, token->column,
				    "expected a value after '%.*s' but found %s",
				    (int)(previous->end - previous->start),
				    parser->text + previous->start, found);
		} else {
			parser_fail(parser, token->column, "expected a value but found %s", found);
		}
		return NULL;
	}
	}
	parser_finish_node(parser, node, token->start);
	return node;
}

static FerryQNode *
parser_unary(Parser *parser)
{
	Token *token = parser_peek(parser);
	if (token_is_punct(token, "-")) {
		FerryQNode *operand;
		FerryQNode *node;
		parser_next(parser);
		operand = parser_unary(parser);
		if (operand == NULL)
			return NULL;
		/* fold negative literals */
		if (operand->type == FERRY_QNODE_INT && operand->integer != G_MININT64) {
			operand->integer = -operand->integer;
			operand->column = token->column;
			operand->start = token->start;
			return operand;
		}
		if (operand->type == FERRY_QNODE_REAL) {
			operand->real = -operand->real;
			operand->column = token->column;
			operand->start = token->start;
			return operand;
		}
		node = ferry_qnode_new(FERRY_QNODE_NEG, token->column);
		ferry_qnode_add_child(node, operand);
		parser_finish_node(parser, node, token->start);
		return node;
	}
	return parser_primary(parser);
}

static FerryQNode *
parser_binary(Parser *parser, FerryQNodeType type, FerryQOp op, FerryQNode *left, FerryQNode *right)
{
	FerryQNode *node = ferry_qnode_new(type, left->column);
	gsize start = left->start;
	node->op = op;
	ferry_qnode_add_child(node, left);
	ferry_qnode_add_child(node, right);
	parser_finish_node(parser, node, start);
	return node;
}

/* the arithmetic operators, by precedence level: 0 is + and -, 1 is * / % */
static const struct {
	const char *punct;
	FerryQOp op;
	guint level;
} arithmetic[] = {
	{"+", FERRY_QOP_ADD, 0}, {"-", FERRY_QOP_SUB, 0}, {"*", FERRY_QOP_MUL, 1},
	{"/", FERRY_QOP_DIV, 1}, {"%", FERRY_QOP_MOD, 1},
};

/* a left-associative chain of the operators of one level */
static FerryQNode *
parser_arithmetic(Parser *parser, guint level)
{
	g_autoptr(FerryQNode) left =
		level == 0 ? parser_arithmetic(parser, 1) : parser_unary(parser);
	if (left == NULL)
		return NULL;
	for (;;) {
		Token *token = parser_peek(parser);
		FerryQNode *right;
		FerryQOp op = FERRY_QOP_ADD;
		gboolean found = FALSE;
		for (guint i = 0; i < G_N_ELEMENTS(arithmetic) && !found; i++) {
			if (arithmetic[i].level == level &&
			    token_is_punct(token, arithmetic[i].punct)) {
				op = arithmetic[i].op;
				found = TRUE;
			}
		}
		if (!found)
			return g_steal_pointer(&left);
		parser_next(parser);
		right = level == 0 ? parser_arithmetic(parser, 1) : parser_unary(parser);
		if (right == NULL)
			return NULL;
		left = parser_binary(parser, FERRY_QNODE_ARITH, op, g_steal_pointer(&left), right);
	}
}

static FerryQNode *
parser_additive(Parser *parser)
{
	return parser_arithmetic(parser, 0);
}

static const struct {
	const char *punct;
	FerryQOp op;
} comparisons[] = {
	{"=", FERRY_QOP_EQ}, {"==", FERRY_QOP_EQ}, {"!=", FERRY_QOP_NE}, {"<>", FERRY_QOP_NE},
	{"<", FERRY_QOP_LT}, {"<=", FERRY_QOP_LE}, {">", FERRY_QOP_GT},  {">=", FERRY_QOP_GE},
};

static gboolean
token_is_comparison(const Token *token, FerryQOp *op)
{
	for (guint i = 0; i < G_N_ELEMENTS(comparisons); i++) {
		if (token_is_punct(token, comparisons[i].punct)) {
			if (op != NULL)
				*op = comparisons[i].op;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
token_starts_predicate(Parser *parser, const Token *token)
{
	if (token_is_comparison(token, NULL) || token_is_punct(token, "~=") ||
	    token_is_punct(token, "~!") || token_is_keyword(token, "like") ||
	    token_is_keyword(token, "ilike") || token_is_keyword(token, "in") ||
	    token_is_keyword(token, "between") || token_is_keyword(token, "is"))
		return TRUE;
	if (token_is_keyword(token, "not")) {
		Token *next = parser_peek_at(parser, 1);
		return token_is_keyword(next, "like") || token_is_keyword(next, "ilike") ||
		       token_is_keyword(next, "in") || token_is_keyword(next, "between");
	}
	return FALSE;
}

static FerryQNode *
parser_comparison(Parser *parser)
{
	g_autoptr(FerryQNode) left = parser_additive(parser);
	g_autoptr(FerryQNode) node = NULL;
	Token *token;
	gsize start;
	FerryQOp op;
	gboolean negated = FALSE;

	if (left == NULL)
		return NULL;
	start = left->start;
	token = parser_peek(parser);
	if (!token_starts_predicate(parser, token))
		return g_steal_pointer(&left);
	parser_next(parser);
	if (token_is_keyword(token, "not")) {
		negated = TRUE;
		token = parser_next(parser);
	}

	if (token_is_comparison(token, &op)) {
		FerryQNode *right = parser_additive(parser);
		if (right == NULL)
			return NULL;
		node = parser_binary(parser, FERRY_QNODE_COMPARE, op, g_steal_pointer(&left),
				     right);
	} else if (token_is_punct(token, "~=") || token_is_punct(token, "~!")) {
		FerryQNode *right = parser_additive(parser);
		if (right == NULL)
			return NULL;
		node = parser_binary(parser, FERRY_QNODE_REGEX, 0, g_steal_pointer(&left), right);
		node->negated = token_is_punct(token, "~!");
	} else if (token_is_keyword(token, "like") || token_is_keyword(token, "ilike")) {
		FerryQNode *right = parser_additive(parser);
		if (right == NULL)
			return NULL;
		node = parser_binary(parser, FERRY_QNODE_LIKE, 0, g_steal_pointer(&left), right);
		node->caseless = token_is_keyword(token, "ilike");
		node->negated = negated;
	} else if (token_is_keyword(token, "in")) {
		FerryQNode *right = parser_additive(parser);
		if (right == NULL)
			return NULL;
		if (right->type != FERRY_QNODE_ARRAY && right->type != FERRY_QNODE_PATH) {
			parser_fail(parser, right->column,
				    "expected an array such as ['a', 'b'] or a field holding an "
				    "array after 'in'");
			ferry_qnode_free(right);
			return NULL;
		}
		node = parser_binary(parser, FERRY_QNODE_IN, 0, g_steal_pointer(&left), right);
		node->negated = negated;
	} else if (token_is_keyword(token, "between")) {
		FerryQNode *low = parser_additive(parser);
		FerryQNode *high;
		Token *and;
		if (low == NULL)
			return NULL;
		and = parser_next(parser);
		if (!token_is_keyword(and, "and")) {
			g_autofree char *found = token_describe(parser, and);
			ferry_qnode_free(low);
			parser_fail(
				parser, and->column,
				"expected 'and' after the lower bound of 'between' but found %s",
				found);
			return NULL;
		}
		high = parser_additive(parser);
		if (high == NULL) {
			ferry_qnode_free(low);
			return NULL;
		}
		node = ferry_qnode_new(FERRY_QNODE_BETWEEN, left->column);
		node->negated = negated;
		ferry_qnode_add_child(node, g_steal_pointer(&left));
		ferry_qnode_add_child(node, low);
		ferry_qnode_add_child(node, high);
	} else if (token_is_keyword(token, "is")) {
		Token *next = parser_next(parser);
		node = ferry_qnode_new(FERRY_QNODE_IS_NULL, left->column);
		if (token_is_keyword(next, "not")) {
			node->negated = TRUE;
			next = parser_next(parser);
		}
		if (!token_is_keyword(next, "null")) {
			g_autofree char *found = token_describe(parser, next);
			parser_fail(parser, next->column, "expected 'null' after 'is' but found %s",
				    found);
			return NULL;
		}
		ferry_qnode_add_child(node, g_steal_pointer(&left));
	}
	parser_finish_node(parser, node, start);

	/* comparisons do not chain: a < b < c is a mistake */
	token = parser_peek(parser);
	if (token_starts_predicate(parser, token)) {
		parser_fail(parser, token->column,
			    "comparisons cannot be chained; join them with 'and'");
		return NULL;
	}
	return g_steal_pointer(&node);
}

static FerryQNode *
parser_not(Parser *parser)
{
	Token *token = parser_peek(parser);
	if (token_is_keyword(token, "not")) {
		FerryQNode *operand;
		FerryQNode *node;
		parser_next(parser);
		operand = parser_not(parser);
		if (operand == NULL)
			return NULL;
		node = ferry_qnode_new(FERRY_QNODE_NOT, token->column);
		ferry_qnode_add_child(node, operand);
		parser_finish_node(parser, node, token->start);
		return node;
	}
	return parser_comparison(parser);
}

static FerryQNode *
parser_and(Parser *parser)
{
	g_autoptr(FerryQNode) left = parser_not(parser);
	if (left == NULL)
		return NULL;
	while (token_is_keyword(parser_peek(parser), "and")) {
		FerryQNode *right;
		parser_next(parser);
		right = parser_not(parser);
		if (right == NULL)
			return NULL;
		left = parser_binary(parser, FERRY_QNODE_AND, 0, g_steal_pointer(&left), right);
	}
	return g_steal_pointer(&left);
}

static FerryQNode *
parser_expression(Parser *parser)
{
	g_autoptr(FerryQNode) left = parser_and(parser);
	if (left == NULL)
		return NULL;
	while (token_is_keyword(parser_peek(parser), "or")) {
		FerryQNode *right;
		parser_next(parser);
		right = parser_and(parser);
		if (right == NULL)
			return NULL;
		left = parser_binary(parser, FERRY_QNODE_OR, 0, g_steal_pointer(&left), right);
	}
	return g_steal_pointer(&left);
}

static gboolean
parser_expect_end(Parser *parser, const char *what)
{
	Token *token = parser_peek(parser);
	g_autofree char *found = NULL;
	if (token->type == TOKEN_END)
		return TRUE;
	found = token_describe(parser, token);
	return parser_fail(parser, token->column, "unexpected %s after %s", found, what);
}

static gboolean
parser_select(Parser *parser, FerryQuery *query)
{
	query->select = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_qselect_item_free);
	for (;;) {
		FerryQSelectItem *item;
		FerryQNode *expr = parser_expression(parser);
		Token *token;
		if (expr == NULL)
			return FALSE;
		item = g_new0(FerryQSelectItem, 1);
		item->expr = expr;
		g_ptr_array_add(query->select, item);
		token = parser_peek(parser);
		if (token_is_keyword(token, "as")) {
			Token *alias;
			parser_next(parser);
			alias = parser_next(parser);
			if (alias->type != TOKEN_IDENT && alias->type != TOKEN_STRING) {
				g_autofree char *found = token_describe(parser, alias);
				return parser_fail(parser, alias->column,
						   "expected a name after 'as' but found %s",
						   found);
			}
			item->name = g_strdup(alias->string);
		} else if (expr->type == FERRY_QNODE_PATH) {
			item->name = ferry_qnode_path_to_string(expr, G_MAXUINT);
		} else {
			item->name = g_strndup(parser->text + expr->start, expr->end - expr->start);
		}
		if (!token_is_punct(parser_peek(parser), ","))
			return TRUE;
		parser_next(parser);
	}
}

static gboolean
parser_order(Parser *parser, FerryQuery *query)
{
	query->order = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_qorder_item_free);
	for (;;) {
		FerryQOrderItem *item;
		FerryQNode *expr = parser_expression(parser);
		Token *token;
		if (expr == NULL)
			return FALSE;
		item = g_new0(FerryQOrderItem, 1);
		item->expr = expr;
		g_ptr_array_add(query->order, item);
		token = parser_peek(parser);
		if (token_is_keyword(token, "asc")) {
			parser_next(parser);
		} else if (token_is_keyword(token, "desc")) {
			item->descending = TRUE;
			parser_next(parser);
		}
		if (!token_is_punct(parser_peek(parser), ","))
			return TRUE;
		parser_next(parser);
	}
}

/* ORDER BY, or kubectl-mtv's SORT BY ("sort" is no keyword: a field may
 * have that name; only "sort by" starts the clause) */
static gboolean
parser_at_order(Parser *parser)
{
	Token *token = parser_peek(parser);
	if (token_is_keyword(token, "order"))
		return TRUE;
	return token->type == TOKEN_IDENT && !token->quoted &&
	       g_ascii_strcasecmp(token->string, "sort") == 0 &&
	       token_is_keyword(parser_peek_at(parser, 1), "by");
}

static gboolean
parser_query(Parser *parser, FerryQuery *query)
{
	Token *token = parser_peek(parser);

	if (token_is_keyword(token, "select")) {
		parser_next(parser);
		if (!parser_select(parser, query))
			return FALSE;
		token = parser_peek(parser);
	}
	if (token_is_keyword(token, "where")) {
		parser_next(parser);
		query->where = parser_expression(parser);
		if (query->where == NULL)
			return FALSE;
	} else if (token->type != TOKEN_END && query->select == NULL && !parser_at_order(parser) &&
		   !token_is_keyword(token, "limit")) {
		/* a bare expression is the WHERE clause */
		query->where = parser_expression(parser);
		if (query->where == NULL)
			return FALSE;
	}
	token = parser_peek(parser);
	if (parser_at_order(parser)) {
		Token *by;
		parser_next(parser);
		by = parser_next(parser);
		if (!token_is_keyword(by, "by")) {
			g_autofree char *found = token_describe(parser, by);
			return parser_fail(parser, by->column,
					   "expected 'by' after 'order' but found %s", found);
		}
		if (!parser_order(parser, query))
			return FALSE;
		token = parser_peek(parser);
	}
	if (token_is_keyword(token, "limit")) {
		Token *count;
		parser_next(parser);
		count = parser_next(parser);
		if (count->type != TOKEN_NUMBER || count->is_real || count->integer < 0) {
			g_autofree char *found = token_describe(parser, count);
			return parser_fail(parser, count->column,
					   "expected a whole number after 'limit' but found %s",
					   found);
		}
		query->limit = count->integer;
	}
	token = parser_peek(parser);
	if (token->type != TOKEN_END) {
		g_autofree char *found = token_describe(parser, token);
		if (token_is_keyword(token, "where") || token_is_keyword(token, "select") ||
		    token_is_keyword(token, "order") || token_is_keyword(token, "limit"))
			return parser_fail(parser, token->column,
					   "%s is out of place; the clauses go SELECT, WHERE, "
					   "ORDER BY, LIMIT",
					   found);
		return parser_fail(parser, token->column,
				   "unexpected %s; join conditions with 'and' or 'or'", found);
	}
	return TRUE;
}

/* whether an expression reads the field @key (a path that starts with it) */
static gboolean
qnode_reads_field(const FerryQNode *node, const char *key)
{
	if (node->type == FERRY_QNODE_PATH) {
		const FerryQSegment *first = g_ptr_array_index(node->segments, 0);
		return first->type == FERRY_QSEGMENT_KEY && g_strcmp0(first->key, key) == 0;
	}
	for (guint i = 0; node->children != NULL && i < node->children->len; i++) {
		if (qnode_reads_field(g_ptr_array_index(node->children, i), key))
			return TRUE;
	}
	return FALSE;
}

/* kubectl-mtv's aliases: a name in WHERE or ORDER BY that is the alias of a
 * selected value stands for that value (`select len(disks) as n where n > 1
 * order by n`); a selected field under its own name is that field anyway,
 * and so is a field that an alias of a value computed from it shadows
 * (`len(disks) as disks`: `disks` elsewhere is still the field) */
static void
query_resolve_aliases(FerryQuery *query, FerryQNode **slot)
{
	FerryQNode *node = *slot;

	if (node->type == FERRY_QNODE_PATH && node->segments->len == 1) {
		FerryQSegment *segment = g_ptr_array_index(node->segments, 0);
		for (guint i = 0; segment->type == FERRY_QSEGMENT_KEY && i < query->select->len;
		     i++) {
			FerryQSelectItem *item = g_ptr_array_index(query->select, i);
			g_autofree char *path = NULL;
			if (g_strcmp0(item->name, segment->key) != 0)
				continue;
			if (item->expr->type == FERRY_QNODE_PATH)
				path = ferry_qnode_path_to_string(item->expr, G_MAXUINT);
			if (g_strcmp0(path, item->name) == 0 ||
			    qnode_reads_field(item->expr, item->name))
				return;
			*slot = ferry_qnode_copy(item->expr);
			ferry_qnode_free(node);
			return;
		}
		return;
	}
	for (guint i = 0; node->children != NULL && i < node->children->len; i++)
		query_resolve_aliases(query, (FerryQNode **)&node->children->pdata[i]);
}

static void
query_resolve_all_aliases(FerryQuery *query)
{
	if (query->select == NULL)
		return;
	if (query->where != NULL)
		query_resolve_aliases(query, &query->where);
	for (guint i = 0; query->order != NULL && i < query->order->len; i++) {
		FerryQOrderItem *item = g_ptr_array_index(query->order, i);
		query_resolve_aliases(query, &item->expr);
	}
}

/* the deepest nesting SQL can take; chains of `and` or `or` count once */
#define MAX_DEPTH 48

static const FerryQNode *
deepest_node(const FerryQNode *node, guint depth, guint *max_depth)
{
	const FerryQNode *deepest = node;
	if (depth > *max_depth)
		*max_depth = depth;
	for (guint i = 0; node->children != NULL && i < node->children->len; i++) {
		const FerryQNode *child = g_ptr_array_index(node->children, i);
		/* a chain of the same logic operator is compiled flat */
		gboolean same_chain =
			(node->type == FERRY_QNODE_AND || node->type == FERRY_QNODE_OR) &&
			child->type == node->type;
		guint before = *max_depth;
		const FerryQNode *found =
			deepest_node(child, same_chain ? depth : depth + 1, max_depth);
		if (*max_depth > before)
			deepest = found;
	}
	return deepest;
}

static gboolean
parser_check_depth(Parser *parser, const FerryQNode *node)
{
	guint depth = 0;
	const FerryQNode *deepest;
	if (node == NULL)
		return TRUE;
	deepest = deepest_node(node, 1, &depth);
	if (depth > MAX_DEPTH)
		return parser_fail(parser, deepest->column,
				   "the expression nests more than %d levels deep; simplify it",
				   MAX_DEPTH);
	return TRUE;
}

static gboolean
parser_check_query_depth(Parser *parser, FerryQuery *query)
{
	if (!parser_check_depth(parser, query->where))
		return FALSE;
	for (guint i = 0; query->select != NULL && i < query->select->len; i++) {
		FerryQSelectItem *item = g_ptr_array_index(query->select, i);
		if (!parser_check_depth(parser, item->expr))
			return FALSE;
	}
	for (guint i = 0; query->order != NULL && i < query->order->len; i++) {
		FerryQOrderItem *item = g_ptr_array_index(query->order, i);
		if (!parser_check_depth(parser, item->expr))
			return FALSE;
	}
	return TRUE;
}

static void
parser_clear(Parser *parser)
{
	if (parser->tokens != NULL)
		g_array_unref(parser->tokens);
	g_clear_error(&parser->error);
}

/* appends the query and a caret under the column to an error message */
static void
ferry_query_point_error_text(GError *error, const char *text, guint column)
{
	g_autoptr(GString) message = g_string_new(error->message);
	g_autofree char *line = g_strdup(text);
	for (char *p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	}
	g_string_append_printf(message, "\n  %s\n  ", line);
	for (guint i = 1; i < column; i++)
		g_string_append_c(message, ' ');
	g_string_append_c(message, '^');
	g_free(error->message);
	error->message = g_string_free(g_steal_pointer(&message), FALSE);
}

FerryQNode *
ferry_query_parse_expression(const char *text, guint *error_column, GError **error)
{
	Parser parser = {.text = text};
	FerryQNode *node = NULL;

	g_return_val_if_fail(text != NULL, NULL);
	if (parser_lex(&parser)) {
		node = parser_expression(&parser);
		if (node != NULL && (!parser_expect_end(&parser, "the expression") ||
				     !parser_check_depth(&parser, node)))
			g_clear_pointer(&node, ferry_qnode_free);
	}
	if (node == NULL) {
		if (error_column != NULL)
			*error_column = parser.error_column;
		g_propagate_error(error, g_steal_pointer(&parser.error));
	}
	parser_clear(&parser);
	return node;
}

static void
ferry_query_finalize(GObject *object)
{
	FerryQuery *self = FERRY_QUERY(object);
	g_free(self->text);
	if (self->select != NULL)
		g_ptr_array_unref(self->select);
	ferry_qnode_free(self->where);
	if (self->order != NULL)
		g_ptr_array_unref(self->order);
	G_OBJECT_CLASS(ferry_query_parent_class)->finalize(object);
}

static void
ferry_query_class_init(FerryQueryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_query_finalize;
}

static void
ferry_query_init(FerryQuery *self)
{
	self->limit = -1;
}

/**
 * ferry_query_new:
 * @text: the query, e.g. `where memoryMB > 4096 and len(disks) > 1`
 * @error: return location for a #GError
 *
 * Parses a query. A syntax error is reported as %FERRY_ERROR_INVALID_ARGUMENT
 * with the column, the query and a caret under the mistake.
 *
 * Returns: (transfer full): the query, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryQuery *
ferry_query_new(const char *text, GError **error)
{
	g_autoptr(FerryQuery) self = NULL;
	Parser parser = {.text = text};

	g_return_val_if_fail(text != NULL, NULL);
	self = g_object_new(FERRY_TYPE_QUERY, NULL);
	self->text = g_strdup(text);
	if (!parser_lex(&parser) || !parser_query(&parser, self) ||
	    !parser_check_query_depth(&parser, self)) {
		g_autoptr(GError) local_error = g_steal_pointer(&parser.error);
		ferry_query_point_error_text(local_error, text, parser.error_column);
		g_prefix_error(&local_error, "invalid query at ");
		g_propagate_error(error, g_steal_pointer(&local_error));
		parser_clear(&parser);
		return NULL;
	}
	parser_clear(&parser);
	query_resolve_all_aliases(self);
	return g_steal_pointer(&self);
}

/**
 * ferry_query_get_text:
 * @self: a #FerryQuery
 *
 * Returns: (transfer none): the text the query was parsed from
 *
 * Since: 0.1
 */
const char *
ferry_query_get_text(FerryQuery *self)
{
	g_return_val_if_fail(FERRY_IS_QUERY(self), NULL);
	return self->text;
}

/**
 * ferry_query_has_select:
 * @self: a #FerryQuery
 *
 * Returns: whether the query has a `SELECT` clause, so its results are
 *   projections rather than whole documents
 *
 * Since: 0.1
 */
gboolean
ferry_query_has_select(FerryQuery *self)
{
	g_return_val_if_fail(FERRY_IS_QUERY(self), FALSE);
	return self->select != NULL;
}

/**
 * ferry_query_dup_select_names:
 * @self: a #FerryQuery
 *
 * Returns: (transfer full) (nullable): the names of the selected values (the
 *   aliases, or the expressions as written), in order, or %NULL without
 *   `SELECT`
 *
 * Since: 0.1
 */
GStrv
ferry_query_dup_select_names(FerryQuery *self)
{
	g_autoptr(GStrvBuilder) builder = NULL;
	g_return_val_if_fail(FERRY_IS_QUERY(self), NULL);
	if (self->select == NULL)
		return NULL;
	builder = g_strv_builder_new();
	for (guint i = 0; i < self->select->len; i++) {
		FerryQSelectItem *item = g_ptr_array_index(self->select, i);
		g_strv_builder_add(builder, item->name);
	}
	return g_strv_builder_end(builder);
}

/**
 * ferry_query_get_limit:
 * @self: a #FerryQuery
 *
 * Returns: the `LIMIT`, or -1 without one
 *
 * Since: 0.1
 */
gint64
ferry_query_get_limit(FerryQuery *self)
{
	g_return_val_if_fail(FERRY_IS_QUERY(self), -1);
	return self->limit;
}

void
ferry_query_point_error(FerryQuery *self, GError *error, guint column)
{
	if (column > 0)
		ferry_query_point_error_text(error, self->text, column);
	g_prefix_error(&error, "invalid query at ");
}

FerryQNode *
ferry_query_get_where(FerryQuery *self)
{
	return self->where;
}

GPtrArray *
ferry_query_get_select(FerryQuery *self)
{
	return self->select;
}

GPtrArray *
ferry_query_get_order(FerryQuery *self)
{
	return self->order;
}

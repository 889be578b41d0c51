/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-template.h"

/**
 * FerryTemplate:
 *
 * A name template in the syntax of Go's `text/template`, as Forklift reads
 * `pvcNameTemplate`, `volumeNameTemplate` and `networkNameTemplate`:
 * `{{trunc 15 .PlanName}}-{{.DiskIndex}}`.
 *
 * Supported: text and actions with `{{-`/`-}}` trimming and comments;
 * fields of the data object (`.VmName`, `$.VmName`) and `.`; string, raw
 * string, character, number, boolean and `nil` constants; parenthesised
 * pipelines and `|`; `if`/`else if`/`else`/`end` and `with`; the built-in
 * functions `and`, `or`, `not`, `len`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`,
 * `print`, `printf`, `println`; and Forklift's sprig subset: `lower`,
 * `upper`, `contains`, `replace`, `trim`, `trimAll`, `trimSuffix`,
 * `trimPrefix`, `title`, `untitle`, `repeat`, `substr`, `nospace`, `trunc`,
 * `initials`, `hasPrefix`, `hasSuffix`, `mustRegexReplaceAll`, `add`,
 * `add1`, `sub`, `div`, `mod`, `mul`, `max`, `min`, `floor`, `ceil`,
 * `round`. Like Go, an unknown function is an error when the template is
 * parsed, and an unknown field when it runs.
 *
 * Since: 0.1
 */

/* -- values -- */

typedef enum {
	VALUE_NIL,
	VALUE_BOOL,
	VALUE_INT,
	VALUE_FLOAT,
	VALUE_STRING,
	VALUE_DATA,
} ValueType;

typedef struct {
	ValueType type;
	gboolean boolean;
	gint64 integer;
	double real;
	char *string;
	JsonObject *data;
} Value;

static void
value_clear(Value *value)
{
	g_free(value->string);
	g_clear_pointer(&value->data, json_object_unref);
	memset(value, 0, sizeof(*value));
}

static Value
value_copy(const Value *value)
{
	Value copy = *value;
	copy.string = g_strdup(value->string);
	if (value->data != NULL)
		copy.data = json_object_ref(value->data);
	return copy;
}

static Value
value_string(const char *text)
{
	Value value = {VALUE_STRING, FALSE, 0, 0, g_strdup(text), NULL};
	return value;
}

static Value
value_take_string(char *text)
{
	Value value = {VALUE_STRING, FALSE, 0, 0, text, NULL};
	return value;
}

static Value
value_int(gint64 integer)
{
	Value value = {VALUE_INT, FALSE, integer, 0, NULL, NULL};
	return value;
}

static Value
value_float(double real)
{
	Value value = {VALUE_FLOAT, FALSE, 0, real, NULL, NULL};
	return value;
}

static Value
value_bool(gboolean boolean)
{
	Value value = {VALUE_BOOL, boolean, 0, 0, NULL, NULL};
	return value;
}

static const char *
value_type_name(const Value *value)
{
	switch (value->type) {
	case VALUE_BOOL:
		return "bool";
	case VALUE_INT:
		return "int";
	case VALUE_FLOAT:
		return "float64";
	case VALUE_STRING:
		return "string";
	case VALUE_DATA:
		return "struct";
	case VALUE_NIL:
	default:
		return "nil";
	}
}

static gboolean
value_truth(const Value *value)
{
	switch (value->type) {
	case VALUE_BOOL:
		return value->boolean;
	case VALUE_INT:
		return value->integer != 0;
	case VALUE_FLOAT:
		return value->real != 0;
	case VALUE_STRING:
		return value->string[0] != '\0';
	case VALUE_DATA:
		return TRUE;
	case VALUE_NIL:
	default:
		return FALSE;
	}
}

/* Go's %v of a float64: the shortest text that reads back exactly */
static char *
format_float(double real)
{
	char buffer[G_ASCII_DTOSTR_BUF_SIZE];
	if (isinf(real))
		return g_strdup(real > 0 ? "+Inf" : "-Inf");
	if (isnan(real))
		return g_strdup("NaN");
	for (int precision = 1; precision <= 17; precision++) {
		char format[8];
		g_snprintf(format, sizeof(format), "%%.%dg", precision);
		g_ascii_formatd(buffer, sizeof(buffer), format, real);
		if (g_ascii_strtod(buffer, NULL) == real)
			break;
	}
	return g_strdup(buffer);
}

static char *
value_to_text(const Value *value)
{
	switch (value->type) {
	case VALUE_BOOL:
		return g_strdup(value->boolean ? "true" : "false");
	case VALUE_INT:
		return g_strdup_printf("%" G_GINT64_FORMAT, value->integer);
	case VALUE_FLOAT:
		return format_float(value->real);
	case VALUE_STRING:
		return g_strdup(value->string);
	case VALUE_DATA: {
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), value->data);
		return json_to_string(node, FALSE);
	}
	case VALUE_NIL:
	default:
		return g_strdup("<nil>");
	}
}

static Value
value_from_json(JsonNode *node)
{
	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		Value nil = {VALUE_NIL, FALSE, 0, 0, NULL, NULL};
		return nil;
	}
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		Value data = {VALUE_DATA, FALSE, 0,
			      0,          NULL,  json_object_ref(json_node_get_object(node))};
		return data;
	}
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		g_autofree char *text = json_to_string(node, FALSE);
		return value_string(text);
	}
	switch (json_node_get_value_type(node)) {
	case G_TYPE_BOOLEAN:
		return value_bool(json_node_get_boolean(node));
	case G_TYPE_INT64:
		return value_int(json_node_get_int(node));
	case G_TYPE_DOUBLE:
		return value_float(json_node_get_double(node));
	case G_TYPE_STRING:
	default:
		return value_string(json_node_get_string(node));
	}
}

/* -- syntax tree -- */

typedef enum {
	ARG_FIELD,    /* .Name or $.Name */
	ARG_DOT,      /* . */
	ARG_ROOT,     /* $ */
	ARG_FUNCTION, /* an identifier */
	ARG_CONSTANT,
	ARG_PIPELINE, /* ( … ) */
} ArgType;

typedef struct _Pipeline Pipeline;

typedef struct {
	ArgType type;
	char *name;
	gboolean from_root;
	Value constant;
	Pipeline *pipeline;
	guint position;
} Arg;

typedef struct {
	GPtrArray *args; /* of Arg */
	guint position;
} Command;

struct _Pipeline {
	GPtrArray *commands; /* of Command */
};

typedef enum {
	NODE_TEXT,
	NODE_ACTION,
	NODE_IF,
	NODE_WITH,
} NodeType;

typedef struct {
	NodeType type;
	char *text;
	Pipeline *pipeline;
	GPtrArray *list;      /* of Node */
	GPtrArray *else_list; /* of Node, nullable */
} Node;

static void pipeline_free(Pipeline *pipeline);

static void
arg_free(gpointer data)
{
	Arg *arg = data;
	g_free(arg->name);
	value_clear(&arg->constant);
	if (arg->pipeline != NULL)
		pipeline_free(arg->pipeline);
	g_free(arg);
}

static void
command_free(gpointer data)
{
	Command *command = data;
	g_ptr_array_unref(command->args);
	g_free(command);
}

static void
pipeline_free(Pipeline *pipeline)
{
	g_ptr_array_unref(pipeline->commands);
	g_free(pipeline);
}

static void
node_free(gpointer data)
{
	Node *node = data;
	g_free(node->text);
	if (node->pipeline != NULL)
		pipeline_free(node->pipeline);
	if (node->list != NULL)
		g_ptr_array_unref(node->list);
	if (node->else_list != NULL)
		g_ptr_array_unref(node->else_list);
	g_free(node);
}

/* -- the functions -- */

typedef gboolean (*Function)(Value *args, guint n_args, Value *result, GError **error);

static gboolean fail(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
fail(GError **error, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, message);
	return FALSE;
}

static gboolean
want_count(const char *name, guint n_args, guint min, guint max, GError **error)
{
	if (n_args < min || n_args > max) {
		if (min == max)
			return fail(error, "wrong number of args for %s: want %u got %u", name, min,
				    n_args);
		return fail(error, "wrong number of args for %s: want at least %u got %u", name,
			    min, n_args);
	}
	return TRUE;
}

static gboolean
want_string(const char *name, Value *args, guint index, GError **error)
{
	if (args[index].type != VALUE_STRING)
		return fail(error,
			    "error calling %s: wrong type for value; expected string; got %s", name,
			    value_type_name(&args[index]));
	return TRUE;
}

static gboolean
want_int(const char *name, Value *args, guint index, GError **error)
{
	if (args[index].type != VALUE_INT)
		return fail(error, "error calling %s: wrong type for value; expected int; got %s",
			    name, value_type_name(&args[index]));
	return TRUE;
}

/* sprig's toInt64 and toFloat64 (spf13/cast): anything goes, bad text is 0 */
static gint64
to_int64(const Value *value)
{
	gint64 number = 0;
	switch (value->type) {
	case VALUE_INT:
		return value->integer;
	case VALUE_FLOAT:
		/* Go's int64(x) on amd64 gives math.MinInt64 for NaN and for values
		 * out of range; in C the conversion is undefined */
		if (isnan(value->real) || value->real >= 9223372036854775808.0 ||
		    value->real < -9223372036854775808.0)
			return G_MININT64;
		return (gint64)value->real;
	case VALUE_BOOL:
		return value->boolean ? 1 : 0;
	case VALUE_STRING:
		if (g_ascii_string_to_signed(value->string, 10, G_MININT64, G_MAXINT64, &number,
					     NULL))
			return number;
		return 0;
	case VALUE_NIL:
	case VALUE_DATA:
	default:
		return 0;
	}
}

static double
to_float64(const Value *value)
{
	switch (value->type) {
	case VALUE_INT:
		return (double)value->integer;
	case VALUE_FLOAT:
		return value->real;
	case VALUE_BOOL:
		return value->boolean ? 1 : 0;
	case VALUE_STRING: {
		char *end = NULL;
		double real = g_ascii_strtod(value->string, &end);
		return end != NULL && *end == '\0' && end != value->string ? real : 0;
	}
	case VALUE_NIL:
	case VALUE_DATA:
	default:
		return 0;
	}
}

#define STRING_FUNCTION(fname, count)                                                              \
	if (!want_count(fname, n_args, count, count, error))                                       \
		return FALSE;                                                                      \
	for (guint i = 0; i < n_args; i++) {                                                       \
		if (!want_string(fname, args, i, error))                                           \
			return FALSE;                                                              \
	}

static gboolean
fn_lower(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("lower", 1);
	*result = value_take_string(g_utf8_strdown(args[0].string, -1));
	return TRUE;
}

static gboolean
fn_upper(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("upper", 1);
	*result = value_take_string(g_utf8_strup(args[0].string, -1));
	return TRUE;
}

static gboolean
fn_contains(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("contains", 2);
	*result = value_bool(strstr(args[1].string, args[0].string) != NULL);
	return TRUE;
}

static gboolean
fn_has_prefix(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("hasPrefix", 2);
	*result = value_bool(g_str_has_prefix(args[1].string, args[0].string));
	return TRUE;
}

static gboolean
fn_has_suffix(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("hasSuffix", 2);
	*result = value_bool(g_str_has_suffix(args[1].string, args[0].string));
	return TRUE;
}

static char *
replace_all(const char *text, const char *old, const char *replacement)
{
	GString *out = g_string_new(NULL);
	gsize old_length = strlen(old);
	const char *p = text;
	if (old_length == 0) {
		/* Go inserts the replacement around every character */
		const char *c = text;
		g_string_append(out, replacement);
		while (*c != '\0') {
			const char *next = g_utf8_next_char(c);
			g_string_append_len(out, c, next - c);
			g_string_append(out, replacement);
			c = next;
		}
		return g_string_free(out, FALSE);
	}
	for (;;) {
		const char *found = strstr(p, old);
		if (found == NULL)
			break;
		g_string_append_len(out, p, found - p);
		g_string_append(out, replacement);
		p = found + old_length;
	}
	g_string_append(out, p);
	return g_string_free(out, FALSE);
}

static gboolean
fn_replace(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("replace", 3);
	*result = value_take_string(replace_all(args[2].string, args[0].string, args[1].string));
	return TRUE;
}

static gboolean
in_cutset(gunichar c, const char *cutset)
{
	for (const char *p = cutset; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_utf8_get_char(p) == c)
			return TRUE;
	}
	return FALSE;
}

/* strings.Trim(s, cutset), or TrimSpace when @cutset is NULL */
static char *
trim_runes(const char *text, const char *cutset)
{
	const char *start = text;
	const char *end = text + strlen(text);
	while (start < end) {
		gunichar c = g_utf8_get_char(start);
		if (cutset != NULL ? !in_cutset(c, cutset) : !g_unichar_isspace(c))
			break;
		start = g_utf8_next_char(start);
	}
	while (end > start) {
		const char *previous = g_utf8_prev_char(end);
		gunichar c = g_utf8_get_char(previous);
		if (cutset != NULL ? !in_cutset(c, cutset) : !g_unichar_isspace(c))
			break;
		end = previous;
	}
	return g_strndup(start, (gsize)(end - start));
}

static gboolean
fn_trim(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("trim", 1);
	*result = value_take_string(trim_runes(args[0].string, NULL));
	return TRUE;
}

static gboolean
fn_trim_all(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("trimAll", 2);
	*result = value_take_string(trim_runes(args[1].string, args[0].string));
	return TRUE;
}

static gboolean
fn_trim_prefix(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("trimPrefix", 2);
	if (g_str_has_prefix(args[1].string, args[0].string))
		*result = value_string(args[1].string + strlen(args[0].string));
	else
		*result = value_string(args[1].string);
	return TRUE;
}

static gboolean
fn_trim_suffix(Value *args, guint n_args, Value *result, GError **error)
{
	STRING_FUNCTION("trimSuffix", 2);
	if (g_str_has_suffix(args[1].string, args[0].string))
		*result = value_take_string(
			g_strndup(args[1].string, strlen(args[1].string) - strlen(args[0].string)));
	else
		*result = value_string(args[1].string);
	return TRUE;
}

/* strings.Title's idea of a word boundary */
static gboolean
is_separator(gunichar c)
{
	if (c < 0x80)
		return !(g_ascii_isalnum((char)c) || c == '_');
	if (g_unichar_isalpha(c) || g_unichar_isdigit(c))
		return FALSE;
	return g_unichar_isspace(c);
}

static gboolean
fn_title(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out;
	gboolean previous_separator = TRUE;
	STRING_FUNCTION("title", 1);
	out = g_string_new(NULL);
	for (const char *p = args[0].string; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		g_string_append_unichar(out, previous_separator ? g_unichar_totitle(c) : c);
		previous_separator = is_separator(c);
	}
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static gboolean
fn_untitle(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out;
	gboolean word_start = TRUE;
	STRING_FUNCTION("untitle", 1);
	out = g_string_new(NULL);
	for (const char *p = args[0].string; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		g_string_append_unichar(out, word_start ? g_unichar_tolower(c) : c);
		word_start = g_unichar_isspace(c);
	}
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static gboolean
fn_initials(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out;
	gboolean word_start = TRUE;
	STRING_FUNCTION("initials", 1);
	out = g_string_new(NULL);
	for (const char *p = args[0].string; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_isspace(c)) {
			word_start = TRUE;
			continue;
		}
		if (word_start)
			g_string_append_unichar(out, c);
		word_start = FALSE;
	}
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static gboolean
fn_nospace(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out;
	STRING_FUNCTION("nospace", 1);
	out = g_string_new(NULL);
	for (const char *p = args[0].string; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (!g_unichar_isspace(c))
			g_string_append_unichar(out, c);
	}
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static gboolean
fn_repeat(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out;
	if (!want_count("repeat", n_args, 2, 2, error) || !want_int("repeat", args, 0, error) ||
	    !want_string("repeat", args, 1, error))
		return FALSE;
	if (args[0].integer < 0)
		return fail(error, "error calling repeat: negative Repeat count");
	if ((guint64)args[0].integer * strlen(args[1].string) > 1024 * 1024)
		return fail(error, "error calling repeat: the result would be too long");
	out = g_string_new(NULL);
	for (gint64 i = 0; i < args[0].integer; i++)
		g_string_append(out, args[1].string);
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static gboolean
fn_substr(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 start;
	gint64 end;
	gint64 length;
	if (!want_count("substr", n_args, 3, 3, error) || !want_int("substr", args, 0, error) ||
	    !want_int("substr", args, 1, error) || !want_string("substr", args, 2, error))
		return FALSE;
	start = args[0].integer;
	end = args[1].integer;
	length = (gint64)strlen(args[2].string);
	if (start < 0) {
		start = 0;
	} else if (end < 0 || end > length) {
		end = length;
	}
	if (start > length || end > length || start > end || end < 0)
		return fail(error,
			    "error calling substr: slice bounds out of range [%" G_GINT64_FORMAT
			    ":%" G_GINT64_FORMAT "] with length %" G_GINT64_FORMAT,
			    start, end, length);
	*result = value_take_string(g_strndup(args[2].string + start, (gsize)(end - start)));
	return TRUE;
}

static gboolean
fn_trunc(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 count;
	gint64 length;
	if (!want_count("trunc", n_args, 2, 2, error) || !want_int("trunc", args, 0, error) ||
	    !want_string("trunc", args, 1, error))
		return FALSE;
	count = args[0].integer;
	length = (gint64)strlen(args[1].string);
	if (count < 0 && length + count > 0)
		*result = value_string(args[1].string + length + count);
	else if (count >= 0 && length > count)
		*result = value_take_string(g_strndup(args[1].string, (gsize)count));
	else
		*result = value_string(args[1].string);
	return TRUE;
}

/* Go's regexp replacement ($1, ${1}, ${name}, $$) in GRegex's syntax */
static char *
convert_replacement(const char *replacement)
{
	GString *out = g_string_new(NULL);
	for (const char *p = replacement; *p != '\0'; p++) {
		if (*p == '\\') {
			g_string_append(out, "\\\\");
			continue;
		}
		if (*p != '$') {
			g_string_append_c(out, *p);
			continue;
		}
		if (p[1] == '$') {
			g_string_append_c(out, '$');
			p++;
			continue;
		}
		{
			const char *start = p + 1;
			const char *end;
			gboolean braced = *start == '{';
			if (braced)
				start++;
			end = start;
			while (g_ascii_isalnum(*end) || *end == '_')
				end++;
			if (end == start || (braced && *end != '}')) {
				/* not a reference: Go drops a lone $ */
				continue;
			}
			p = braced ? end : end - 1;
			if (g_ascii_isdigit(*start)) {
				/* as Go: digits make a group number below 1e8;
				 * anything else starting with a digit is a name no
				 * group can have, and expands to nothing (GRegex
				 * would wrap a long number to a negative group) */
				guint64 number = 0;
				const char *q;
				for (q = start; q < end && g_ascii_isdigit(*q) && number < 100000000; q++)
					number = number * 10 + (guint64)(*q - '0');
				if (q == end && number < 100000000)
					g_string_append_printf(out, "\\g<%" G_GUINT64_FORMAT ">", number);
				continue;
			}
			g_string_append(out, "\\g<");
			g_string_append_len(out, start, end - start);
			g_string_append_c(out, '>');
		}
	}
	return g_string_free(out, FALSE);
}

static gboolean
fn_regex_replace_all(Value *args, guint n_args, Value *result, GError **error)
{
	g_autoptr(GRegex) regex = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autofree char *replacement = NULL;
	char *replaced;
	STRING_FUNCTION("mustRegexReplaceAll", 3);
	regex = g_regex_new(args[0].string, 0, 0, &local_error);
	if (regex == NULL)
		return fail(error, "error calling mustRegexReplaceAll: %s", local_error->message);
	replacement = convert_replacement(args[2].string);
	replaced = g_regex_replace(regex, args[1].string, -1, 0, replacement, 0, &local_error);
	if (replaced == NULL)
		return fail(error, "error calling mustRegexReplaceAll: %s", local_error->message);
	*result = value_take_string(replaced);
	return TRUE;
}

/* Go's int arithmetic wraps around on overflow (C's is undefined) */
static gint64
wrap_add(gint64 a, gint64 b)
{
	return (gint64)((guint64)a + (guint64)b);
}

static gint64
wrap_mul(gint64 a, gint64 b)
{
	return (gint64)((guint64)a * (guint64)b);
}

static gboolean
fn_add(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 sum = 0;
	for (guint i = 0; i < n_args; i++)
		sum = wrap_add(sum, to_int64(&args[i]));
	*result = value_int(sum);
	return TRUE;
}

static gboolean
fn_add1(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("add1", n_args, 1, 1, error))
		return FALSE;
	*result = value_int(wrap_add(to_int64(&args[0]), 1));
	return TRUE;
}

static gboolean
fn_sub(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("sub", n_args, 2, 2, error))
		return FALSE;
	*result = value_int(wrap_add(to_int64(&args[0]), wrap_mul(to_int64(&args[1]), -1)));
	return TRUE;
}

static gboolean
fn_mul(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 product = 1;
	if (!want_count("mul", n_args, 1, G_MAXUINT, error))
		return FALSE;
	for (guint i = 0; i < n_args; i++)
		product = wrap_mul(product, to_int64(&args[i]));
	*result = value_int(product);
	return TRUE;
}

static gboolean
fn_div(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 divisor;
	if (!want_count("div", n_args, 2, 2, error))
		return FALSE;
	divisor = to_int64(&args[1]);
	if (divisor == 0)
		return fail(error, "error calling div: runtime error: integer divide by zero");
	/* the one quotient that overflows: G_MININT64 / -1 wraps to itself */
	*result = value_int(divisor == -1 ? wrap_mul(to_int64(&args[0]), -1)
					  : to_int64(&args[0]) / divisor);
	return TRUE;
}

static gboolean
fn_mod(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 divisor;
	if (!want_count("mod", n_args, 2, 2, error))
		return FALSE;
	divisor = to_int64(&args[1]);
	if (divisor == 0)
		return fail(error, "error calling mod: runtime error: integer divide by zero");
	*result = value_int(divisor == -1 ? 0 : to_int64(&args[0]) % divisor);
	return TRUE;
}

static gboolean
fn_max(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 best;
	if (!want_count("max", n_args, 1, G_MAXUINT, error))
		return FALSE;
	best = to_int64(&args[0]);
	for (guint i = 1; i < n_args; i++)
		best = MAX(best, to_int64(&args[i]));
	*result = value_int(best);
	return TRUE;
}

static gboolean
fn_min(Value *args, guint n_args, Value *result, GError **error)
{
	gint64 best;
	if (!want_count("min", n_args, 1, G_MAXUINT, error))
		return FALSE;
	best = to_int64(&args[0]);
	for (guint i = 1; i < n_args; i++)
		best = MIN(best, to_int64(&args[i]));
	*result = value_int(best);
	return TRUE;
}

static gboolean
fn_floor(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("floor", n_args, 1, 1, error))
		return FALSE;
	*result = value_float(floor(to_float64(&args[0])));
	return TRUE;
}

static gboolean
fn_ceil(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("ceil", n_args, 1, 1, error))
		return FALSE;
	*result = value_float(ceil(to_float64(&args[0])));
	return TRUE;
}

static gboolean
fn_round(Value *args, guint n_args, Value *result, GError **error)
{
	double round_on = 0.5;
	double power;
	double digit;
	double integral;
	if (!want_count("round", n_args, 2, 3, error) || !want_int("round", args, 1, error))
		return FALSE;
	if (n_args == 3)
		round_on = to_float64(&args[2]);
	power = pow(10, (double)args[1].integer);
	digit = power * to_float64(&args[0]);
	*result = value_float((modf(digit, &integral) >= round_on ? ceil(digit) : floor(digit)) /
			      power);
	return TRUE;
}

static gboolean
fn_not(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("not", n_args, 1, 1, error))
		return FALSE;
	*result = value_bool(!value_truth(&args[0]));
	return TRUE;
}

static gboolean
fn_and(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("and", n_args, 1, G_MAXUINT, error))
		return FALSE;
	for (guint i = 0; i < n_args; i++) {
		if (!value_truth(&args[i]) || i + 1 == n_args) {
			*result = value_copy(&args[i]);
			return TRUE;
		}
	}
	return TRUE;
}

static gboolean
fn_or(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("or", n_args, 1, G_MAXUINT, error))
		return FALSE;
	for (guint i = 0; i < n_args; i++) {
		if (value_truth(&args[i]) || i + 1 == n_args) {
			*result = value_copy(&args[i]);
			return TRUE;
		}
	}
	return TRUE;
}

static gboolean
fn_len(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("len", n_args, 1, 1, error))
		return FALSE;
	if (args[0].type == VALUE_STRING)
		*result = value_int((gint64)strlen(args[0].string));
	else if (args[0].type == VALUE_DATA)
		*result = value_int(json_object_get_size(args[0].data));
	else
		return fail(error, "error calling len: len of type %s", value_type_name(&args[0]));
	return TRUE;
}

/* -1, 0, 1; FALSE when Go would refuse to compare them */
static gboolean
compare(const char *name, const Value *a, const Value *b, gboolean ordered, int *order,
	GError **error)
{
	if (a->type != b->type || a->type == VALUE_DATA ||
	    (ordered && (a->type == VALUE_BOOL || a->type == VALUE_NIL)))
		return fail(error, "error calling %s: incompatible types for comparison", name);
	switch (a->type) {
	case VALUE_BOOL:
		*order = a->boolean == b->boolean ? 0 : 1;
		break;
	case VALUE_INT:
		*order = a->integer < b->integer ? -1 : a->integer > b->integer;
		break;
	case VALUE_FLOAT:
		*order = a->real < b->real ? -1 : a->real > b->real;
		break;
	case VALUE_STRING:
		*order = CLAMP(strcmp(a->string, b->string), -1, 1);
		break;
	case VALUE_NIL:
	case VALUE_DATA:
	default:
		*order = 0;
		break;
	}
	return TRUE;
}

static gboolean
fn_eq(Value *args, guint n_args, Value *result, GError **error)
{
	if (!want_count("eq", n_args, 2, G_MAXUINT, error))
		return FALSE;
	for (guint i = 1; i < n_args; i++) {
		int order = 0;
		if (!compare("eq", &args[0], &args[i], FALSE, &order, error))
			return FALSE;
		if (order == 0) {
			*result = value_bool(TRUE);
			return TRUE;
		}
	}
	*result = value_bool(FALSE);
	return TRUE;
}

static gboolean
fn_ne(Value *args, guint n_args, Value *result, GError **error)
{
	int order = 0;
	if (!want_count("ne", n_args, 2, 2, error) ||
	    !compare("ne", &args[0], &args[1], FALSE, &order, error))
		return FALSE;
	*result = value_bool(order != 0);
	return TRUE;
}

#define ORDER_FUNCTION(cname, fname, test)                                                         \
	static gboolean cname(Value *args, guint n_args, Value *result, GError **error)            \
	{                                                                                          \
		int order = 0;                                                                     \
		if (!want_count(fname, n_args, 2, 2, error) ||                                     \
		    !compare(fname, &args[0], &args[1], TRUE, &order, error))                      \
			return FALSE;                                                              \
		*result = value_bool(test);                                                        \
		return TRUE;                                                                       \
	}

ORDER_FUNCTION(fn_lt, "lt", order < 0)
ORDER_FUNCTION(fn_le, "le", order <= 0)
ORDER_FUNCTION(fn_gt, "gt", order > 0)
ORDER_FUNCTION(fn_ge, "ge", order >= 0)

static gboolean
fn_print(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < n_args; i++) {
		g_autofree char *text = value_to_text(&args[i]);
		/* fmt.Sprint: a space between operands when neither is a string */
		if (i > 0 && args[i].type != VALUE_STRING && args[i - 1].type != VALUE_STRING)
			g_string_append_c(out, ' ');
		g_string_append(out, text);
	}
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static gboolean
fn_println(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < n_args; i++) {
		g_autofree char *text = value_to_text(&args[i]);
		if (i > 0)
			g_string_append_c(out, ' ');
		g_string_append(out, text);
	}
	g_string_append_c(out, '\n');
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static void
append_padded(GString *out, const char *text, int width, gboolean left, gboolean zero)
{
	glong length = g_utf8_strlen(text, -1);
	if (left) {
		g_string_append(out, text);
		for (glong i = length; i < width; i++)
			g_string_append_c(out, ' ');
		return;
	}
	/* zeros go after the sign */
	if (zero && (text[0] == '-' || text[0] == '+'))
		g_string_append_c(out, *text++);
	for (glong i = length; i < width; i++)
		g_string_append_c(out, zero ? '0' : ' ');
	g_string_append(out, text);
}

static char *
quote_go(const char *text)
{
	GString *out = g_string_new("\"");
	for (const char *p = text; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			g_string_append_c(out, *p);
		}
	}
	g_string_append_c(out, '"');
	return g_string_free(out, FALSE);
}

static gboolean
fn_printf(Value *args, guint n_args, Value *result, GError **error)
{
	GString *out;
	guint next = 1;
	const char *p;
	if (!want_count("printf", n_args, 1, G_MAXUINT, error) ||
	    !want_string("printf", args, 0, error))
		return FALSE;
	out = g_string_new(NULL);
	for (p = args[0].string; *p != '\0'; p++) {
		gboolean left = FALSE;
		gboolean zero = FALSE;
		gboolean plus = FALSE;
		int width = 0;
		int precision = -1;
		char verb;
		Value *arg;
		g_autofree char *text = NULL;

		if (*p != '%') {
			g_string_append_c(out, *p);
			continue;
		}
		p++;
		for (; *p == '-' || *p == '0' || *p == '+' || *p == ' ' || *p == '#'; p++) {
			left = left || *p == '-';
			zero = zero || *p == '0';
			plus = plus || *p == '+';
		}
		for (; g_ascii_isdigit(*p) && width < 1000; p++)
			width = width * 10 + (*p - '0');
		if (*p == '.') {
			precision = 0;
			for (p++; g_ascii_isdigit(*p) && precision < 1000; p++)
				precision = precision * 10 + (*p - '0');
		}
		verb = *p;
		if (verb == '\0') {
			g_string_append(out, "%!(NOVERB)");
			break;
		}
		if (verb == '%') {
			g_string_append_c(out, '%');
			continue;
		}
		if (next >= n_args) {
			g_string_append_printf(out, "%%!%c(MISSING)", verb);
			continue;
		}
		arg = &args[next++];
		switch (verb) {
		case 'd':
			if (arg->type == VALUE_INT)
				text = g_strdup_printf(plus ? "%+" G_GINT64_FORMAT
							    : "%" G_GINT64_FORMAT,
						       arg->integer);
			break;
		case 'x':
		case 'X':
			if (arg->type == VALUE_INT)
				text = g_strdup_printf(verb == 'x' ? "%" G_GINT64_MODIFIER "x"
								   : "%" G_GINT64_MODIFIER "X",
						       arg->integer);
			else if (arg->type == VALUE_STRING) {
				GString *hex = g_string_new(NULL);
				for (const char *c = arg->string; *c != '\0'; c++)
					g_string_append_printf(hex, verb == 'x' ? "%02x" : "%02X",
							       (guchar)*c);
				text = g_string_free(hex, FALSE);
			}
			break;
		case 's':
		case 'v':
			if (arg->type == VALUE_STRING || verb == 'v') {
				text = value_to_text(arg);
				if (precision >= 0 && g_utf8_strlen(text, -1) > precision) {
					char *cut = g_utf8_offset_to_pointer(text, precision);
					*cut = '\0';
				}
			}
			break;
		case 'q':
			if (arg->type == VALUE_STRING)
				text = quote_go(arg->string);
			break;
		case 't':
			if (arg->type == VALUE_BOOL)
				text = g_strdup(arg->boolean ? "true" : "false");
			break;
		case 'f':
		case 'e':
		case 'g':
			if (arg->type == VALUE_FLOAT) {
				char format[16];
				char buffer[G_ASCII_DTOSTR_BUF_SIZE * 2];
				if (verb == 'g' && precision < 0) {
					text = format_float(arg->real);
					break;
				}
				g_snprintf(format, sizeof(format), "%%.%d%c",
					   precision < 0 ? 6 : MIN(precision, 60), verb);
				g_ascii_formatd(buffer, sizeof(buffer), format, arg->real);
				text = g_strdup(buffer);
			}
			break;
		case 'c':
			if (arg->type == VALUE_INT && g_unichar_validate((gunichar)arg->integer)) {
				char utf8[8] = {0};
				g_unichar_to_utf8((gunichar)arg->integer, utf8);
				text = g_strdup(utf8);
			}
			break;
		default:
			break;
		}
		if (text == NULL) {
			/* what Go prints for a verb that does not fit the value */
			g_autofree char *value_text = value_to_text(arg);
			text = g_strdup_printf("%%!%c(%s=%s)", verb, value_type_name(arg),
					       value_text);
		}
		append_padded(out, text, width, left, zero && verb != 's' && verb != 'q');
	}
	*result = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

typedef struct {
	const char *name;
	Function function;
} FunctionEntry;

static const FunctionEntry functions[] = {
	/* text/template built-ins */
	{"and", fn_and},
	{"or", fn_or},
	{"not", fn_not},
	{"len", fn_len},
	{"eq", fn_eq},
	{"ne", fn_ne},
	{"lt", fn_lt},
	{"le", fn_le},
	{"gt", fn_gt},
	{"ge", fn_ge},
	{"print", fn_print},
	{"printf", fn_printf},
	{"println", fn_println},
	/* Forklift's sprig subset */
	{"lower", fn_lower},
	{"upper", fn_upper},
	{"contains", fn_contains},
	{"replace", fn_replace},
	{"trim", fn_trim},
	{"trimAll", fn_trim_all},
	{"trimSuffix", fn_trim_suffix},
	{"trimPrefix", fn_trim_prefix},
	{"title", fn_title},
	{"untitle", fn_untitle},
	{"repeat", fn_repeat},
	{"substr", fn_substr},
	{"nospace", fn_nospace},
	{"trunc", fn_trunc},
	{"initials", fn_initials},
	{"hasPrefix", fn_has_prefix},
	{"hasSuffix", fn_has_suffix},
	{"mustRegexReplaceAll", fn_regex_replace_all},
	{"add", fn_add},
	{"add1", fn_add1},
	{"sub", fn_sub},
	{"div", fn_div},
	{"mod", fn_mod},
	{"mul", fn_mul},
	{"max", fn_max},
	{"min", fn_min},
	{"floor", fn_floor},
	{"ceil", fn_ceil},
	{"round", fn_round},
};

static Function
find_function(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(functions); i++) {
		if (g_strcmp0(functions[i].name, name) == 0)
			return functions[i].function;
	}
	return NULL;
}

/* -- parsing -- */

typedef struct {
	const char *text;
	gsize pos;
	gsize length;
	guint depth;
	GError **error;
} Parser;

#define FERRY_TEMPLATE_MAX_DEPTH 64

static gboolean parse_fail(Parser *parser, gsize position, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

static gboolean
parse_fail(Parser *parser, gsize position, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(parser->error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
		    "template: column %" G_GSIZE_FORMAT ": %s", position + 1, message);
	return FALSE;
}

static void
skip_space(Parser *parser)
{
	while (parser->pos < parser->length &&
	       (parser->text[parser->pos] == ' ' || parser->text[parser->pos] == '\t' ||
		parser->text[parser->pos] == '\r' || parser->text[parser->pos] == '\n'))
		parser->pos++;
}

/* at the end of an action: `}}` or ` -}}`; sets *trim for the latter */
static gboolean
at_action_end(Parser *parser, gboolean *trim)
{
	const char *p = parser->text + parser->pos;
	gsize left = parser->length - parser->pos;
	if (left >= 2 && p[0] == '}' && p[1] == '}') {
		*trim = FALSE;
		return TRUE;
	}
	if (left >= 3 && p[0] == '-' && p[1] == '}' && p[2] == '}' && parser->pos > 0 &&
	    g_ascii_isspace(parser->text[parser->pos - 1])) {
		*trim = TRUE;
		return TRUE;
	}
	return FALSE;
}

static Pipeline *parse_pipeline(Parser *parser, gboolean in_parens);

static gboolean
is_ident_char(char c)
{
	return g_ascii_isalnum(c) || c == '_';
}

static char *
parse_identifier(Parser *parser)
{
	gsize start = parser->pos;
	while (parser->pos < parser->length && is_ident_char(parser->text[parser->pos]))
		parser->pos++;
	return g_strndup(parser->text + start, parser->pos - start);
}

static gboolean
parse_string(Parser *parser, Value *value)
{
	gsize start = parser->pos;
	char quote = parser->text[parser->pos++];
	GString *out = g_string_new(NULL);

	while (parser->pos < parser->length && parser->text[parser->pos] != quote) {
		char c = parser->text[parser->pos++];
		if (quote == '`') {
			g_string_append_c(out, c);
			continue;
		}
		if (c == '\n') {
			g_string_free(out, TRUE);
			return parse_fail(parser, start, "unterminated quoted string");
		}
		if (c != '\\') {
			g_string_append_c(out, c);
			continue;
		}
		if (parser->pos >= parser->length)
			break;
		c = parser->text[parser->pos++];
		switch (c) {
		case 'n':
			g_string_append_c(out, '\n');
			break;
		case 't':
			g_string_append_c(out, '\t');
			break;
		case 'r':
			g_string_append_c(out, '\r');
			break;
		case '\\':
		case '"':
		case '\'':
			g_string_append_c(out, c);
			break;
		default:
			g_string_free(out, TRUE);
			return parse_fail(parser, parser->pos - 2,
					  "unsupported escape sequence '\\%c' in a string", c);
		}
	}
	if (parser->pos >= parser->length) {
		g_string_free(out, TRUE);
		return parse_fail(parser, start, "unterminated %s string",
				  quote == '`' ? "raw" : "quoted");
	}
	parser->pos++;
	if (quote == '\'') {
		/* a character constant is a number */
		if (g_utf8_strlen(out->str, -1) != 1 || !g_utf8_validate(out->str, -1, NULL)) {
			g_string_free(out, TRUE);
			return parse_fail(parser, start, "malformed character constant");
		}
		*value = value_int(g_utf8_get_char(out->str));
		g_string_free(out, TRUE);
		return TRUE;
	}
	if (!g_utf8_validate(out->str, -1, NULL)) {
		g_string_free(out, TRUE);
		return parse_fail(parser, start, "a string is not valid UTF-8");
	}
	*value = value_take_string(g_string_free(out, FALSE));
	return TRUE;
}

static gboolean
parse_number(Parser *parser, Value *value)
{
	gsize start = parser->pos;
	g_autofree char *text = NULL;
	gint64 integer;
	char *end = NULL;
	double real;

	if (parser->text[parser->pos] == '-' || parser->text[parser->pos] == '+')
		parser->pos++;
	while (parser->pos < parser->length &&
	       (g_ascii_isalnum(parser->text[parser->pos]) || parser->text[parser->pos] == '.' ||
		parser->text[parser->pos] == '_' ||
		((parser->text[parser->pos] == '-' || parser->text[parser->pos] == '+') &&
		 (parser->text[parser->pos - 1] == 'e' || parser->text[parser->pos - 1] == 'E'))))
		parser->pos++;
	text = g_strndup(parser->text + start, parser->pos - start);
	if (g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &integer, NULL) ||
	    ((g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) &&
	     g_ascii_string_to_signed(text + 2, 16, 0, G_MAXINT64, &integer, NULL))) {
		*value = value_int(integer);
		return TRUE;
	}
	real = g_ascii_strtod(text, &end);
	if (end != NULL && *end == '\0' && end != text && strpbrk(text, "0123456789") != NULL) {
		*value = value_float(real);
		return TRUE;
	}
	return parse_fail(parser, start, "bad number syntax: \"%s\"", text);
}

static Arg *
parse_operand(Parser *parser)
{
	g_autoptr(GPtrArray) holder = g_ptr_array_new_with_free_func(arg_free);
	Arg *arg = g_new0(Arg, 1);
	char c = parser->text[parser->pos];

	g_ptr_array_add(holder, arg);
	arg->position = (guint)parser->pos;
	if (c == '.' || c == '$') {
		gboolean root = c == '$';
		parser->pos++;
		if (root) {
			if (parser->pos < parser->length &&
			    is_ident_char(parser->text[parser->pos])) {
				parse_fail(parser, arg->position,
					   "template variables other than $ are not supported");
				return NULL;
			}
			if (parser->pos >= parser->length || parser->text[parser->pos] != '.') {
				arg->type = ARG_ROOT;
				return g_ptr_array_steal_index(holder, 0);
			}
			parser->pos++;
		}
		if (parser->pos < parser->length && is_ident_char(parser->text[parser->pos]) &&
		    !g_ascii_isdigit(parser->text[parser->pos])) {
			arg->type = ARG_FIELD;
			arg->from_root = root;
			arg->name = parse_identifier(parser);
			if (parser->pos < parser->length && parser->text[parser->pos] == '.') {
				parse_fail(parser, parser->pos,
					   "nested fields are not supported: the data has one "
					   "level");
				return NULL;
			}
			return g_ptr_array_steal_index(holder, 0);
		}
		if (root) {
			parse_fail(parser, arg->position, "bad character after '$.'");
			return NULL;
		}
		if (parser->pos < parser->length && g_ascii_isdigit(parser->text[parser->pos])) {
			parser->pos = arg->position;
			arg->type = ARG_CONSTANT;
			if (!parse_number(parser, &arg->constant))
				return NULL;
			return g_ptr_array_steal_index(holder, 0);
		}
		arg->type = ARG_DOT;
		return g_ptr_array_steal_index(holder, 0);
	}
	if (c == '"' || c == '`' || c == '\'') {
		arg->type = ARG_CONSTANT;
		if (!parse_string(parser, &arg->constant))
			return NULL;
		return g_ptr_array_steal_index(holder, 0);
	}
	if (g_ascii_isdigit(c) || ((c == '-' || c == '+') && parser->pos + 1 < parser->length &&
				   (g_ascii_isdigit(parser->text[parser->pos + 1]) ||
				    parser->text[parser->pos + 1] == '.'))) {
		arg->type = ARG_CONSTANT;
		if (!parse_number(parser, &arg->constant))
			return NULL;
		return g_ptr_array_steal_index(holder, 0);
	}
	if (c == '(') {
		parser->pos++;
		if (++parser->depth > FERRY_TEMPLATE_MAX_DEPTH) {
			parse_fail(parser, arg->position, "parentheses nested too deeply");
			return NULL;
		}
		arg->type = ARG_PIPELINE;
		arg->pipeline = parse_pipeline(parser, TRUE);
		parser->depth--;
		if (arg->pipeline == NULL)
			return NULL;
		return g_ptr_array_steal_index(holder, 0);
	}
	if (g_ascii_isalpha(c) || c == '_') {
		g_autofree char *name = parse_identifier(parser);
		if (g_strcmp0(name, "true") == 0 || g_strcmp0(name, "false") == 0) {
			arg->type = ARG_CONSTANT;
			arg->constant = value_bool(g_strcmp0(name, "true") == 0);
			return g_ptr_array_steal_index(holder, 0);
		}
		if (g_strcmp0(name, "nil") == 0) {
			arg->type = ARG_CONSTANT;
			return g_ptr_array_steal_index(holder, 0);
		}
		if (find_function(name) == NULL) {
			parse_fail(parser, arg->position, "function \"%s\" not defined", name);
			return NULL;
		}
		arg->type = ARG_FUNCTION;
		arg->name = g_steal_pointer(&name);
		return g_ptr_array_steal_index(holder, 0);
	}
	parse_fail(parser, parser->pos, "unexpected \"%c\" in command", c);
	return NULL;
}

static Pipeline *
parse_pipeline(Parser *parser, gboolean in_parens)
{
	Pipeline *pipeline = g_new0(Pipeline, 1);
	Command *command = g_new0(Command, 1);
	gboolean trim = FALSE;

	pipeline->commands = g_ptr_array_new_with_free_func(command_free);
	command->args = g_ptr_array_new_with_free_func(arg_free);
	g_ptr_array_add(pipeline->commands, command);
	for (;;) {
		Arg *arg;
		gsize before = parser->pos;
		skip_space(parser);
		if (parser->pos >= parser->length) {
			parse_fail(parser, parser->length,
				   in_parens ? "unclosed left paren" : "unclosed action");
			pipeline_free(pipeline);
			return NULL;
		}
		if (in_parens && parser->text[parser->pos] == ')') {
			parser->pos++;
			break;
		}
		if (!in_parens && at_action_end(parser, &trim))
			break;
		if (parser->text[parser->pos] == ')') {
			parse_fail(parser, parser->pos, "unexpected right paren");
			pipeline_free(pipeline);
			return NULL;
		}
		if (parser->text[parser->pos] == '|') {
			if (command->args->len == 0) {
				parse_fail(parser, parser->pos, "missing command before '|'");
				pipeline_free(pipeline);
				return NULL;
			}
			parser->pos++;
			command = g_new0(Command, 1);
			command->args = g_ptr_array_new_with_free_func(arg_free);
			command->position = (guint)parser->pos;
			g_ptr_array_add(pipeline->commands, command);
			continue;
		}
		if (parser->text[parser->pos] == ':' || parser->text[parser->pos] == '=') {
			parse_fail(parser, parser->pos, "template variables are not supported");
			pipeline_free(pipeline);
			return NULL;
		}
		if (command->args->len > 0 && before == parser->pos &&
		    parser->text[parser->pos] != '(') {
			parse_fail(parser, parser->pos, "missing space between operands");
			pipeline_free(pipeline);
			return NULL;
		}
		arg = parse_operand(parser);
		if (arg == NULL) {
			pipeline_free(pipeline);
			return NULL;
		}
		g_ptr_array_add(command->args, arg);
	}
	if (command->args->len == 0) {
		parse_fail(parser, parser->pos,
			   pipeline->commands->len > 1 ? "missing command after '|'"
						       : "missing value for command");
		pipeline_free(pipeline);
		return NULL;
	}
	return pipeline;
}

typedef enum {
	END_NONE,
	END_END,
	END_ELSE,
	END_ELSE_IF,
	END_ELSE_WITH,
} EndKind;

static GPtrArray *parse_list(Parser *parser, gboolean nested, EndKind *end_kind,
			     gboolean *trim_next);

/* parses what follows `{{if` or `{{with` (or `{{else if`) up to its `end` */
static Node *
parse_branch(Parser *parser, NodeType type, gboolean *trim_next)
{
	Node *node = g_new0(Node, 1);
	EndKind end_kind = END_NONE;

	node->type = type;
	if (++parser->depth > FERRY_TEMPLATE_MAX_DEPTH) {
		parse_fail(parser, parser->pos, "if/with nested too deeply");
		node_free(node);
		return NULL;
	}
	node->pipeline = parse_pipeline(parser, FALSE);
	if (node->pipeline == NULL) {
		node_free(node);
		return NULL;
	}
	/* skip `}}` or `-}}` */
	*trim_next = parser->text[parser->pos] == '-';
	parser->pos += *trim_next ? 3 : 2;
	node->list = parse_list(parser, TRUE, &end_kind, trim_next);
	if (node->list == NULL) {
		node_free(node);
		return NULL;
	}
	if (end_kind == END_ELSE) {
		EndKind else_end = END_NONE;
		node->else_list = parse_list(parser, TRUE, &else_end, trim_next);
		if (node->else_list == NULL) {
			node_free(node);
			return NULL;
		}
		if (else_end != END_END) {
			parse_fail(parser, parser->pos, "expected end; found else");
			node_free(node);
			return NULL;
		}
	} else if (end_kind == END_ELSE_IF || end_kind == END_ELSE_WITH) {
		/* `else if` is an if inside the else branch that shares the end */
		Node *inner = parse_branch(parser, end_kind == END_ELSE_IF ? NODE_IF : NODE_WITH,
					   trim_next);
		if (inner == NULL) {
			node_free(node);
			return NULL;
		}
		node->else_list = g_ptr_array_new_with_free_func(node_free);
		g_ptr_array_add(node->else_list, inner);
	}
	parser->depth--;
	return node;
}

static GPtrArray *
parse_list(Parser *parser, gboolean nested, EndKind *end_kind, gboolean *trim_next)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(node_free);

	*end_kind = END_NONE;
	while (parser->pos < parser->length) {
		const char *open = strstr(parser->text + parser->pos, "{{");
		gsize text_end = open != NULL ? (gsize)(open - parser->text) : parser->length;
		gboolean trim_before = FALSE;
		gsize action_start;

		if (open != NULL && text_end + 3 < parser->length && open[2] == '-' &&
		    g_ascii_isspace(open[3]))
			trim_before = TRUE;
		if (text_end > parser->pos) {
			Node *text = g_new0(Node, 1);
			const char *start = parser->text + parser->pos;
			const char *end = parser->text + text_end;
			if (*trim_next)
				while (start < end && g_ascii_isspace(*start))
					start++;
			if (trim_before)
				while (end > start && g_ascii_isspace(end[-1]))
					end--;
			text->type = NODE_TEXT;
			text->text = g_strndup(start, (gsize)(end - start));
			g_ptr_array_add(list, text);
		}
		*trim_next = FALSE;
		if (open == NULL) {
			parser->pos = parser->length;
			break;
		}
		action_start = text_end;
		parser->pos = text_end + (trim_before ? 3 : 2);
		skip_space(parser);
		/* a comment */
		if (parser->length - parser->pos >= 2 &&
		    strncmp(parser->text + parser->pos, "/*", 2) == 0) {
			const char *close =
				g_strstr_len(parser->text + parser->pos,
					     (gssize)(parser->length - parser->pos), "*/");
			gboolean trim = FALSE;
			if (close == NULL) {
				parse_fail(parser, action_start, "unclosed comment");
				return NULL;
			}
			parser->pos = (gsize)(close - parser->text) + 2;
			skip_space(parser);
			if (!at_action_end(parser, &trim)) {
				parse_fail(parser, action_start,
					   "comment ends before closing delimiter");
				return NULL;
			}
			parser->pos += trim ? 3 : 2;
			*trim_next = trim;
			continue;
		}
		if (parser->pos < parser->length && g_ascii_isalpha(parser->text[parser->pos])) {
			gsize word_start = parser->pos;
			g_autofree char *word = parse_identifier(parser);
			gboolean trim = FALSE;
			if (g_strcmp0(word, "if") == 0 || g_strcmp0(word, "with") == 0) {
				Node *node = parse_branch(
					parser, word[0] == 'i' ? NODE_IF : NODE_WITH, trim_next);
				if (node == NULL)
					return NULL;
				g_ptr_array_add(list, node);
				continue;
			}
			if (g_strcmp0(word, "end") == 0 || g_strcmp0(word, "else") == 0) {
				if (!nested) {
					parse_fail(parser, word_start, "unexpected {{%s}}", word);
					return NULL;
				}
				skip_space(parser);
				if (word[1] == 'l' && parser->pos < parser->length &&
				    g_ascii_isalpha(parser->text[parser->pos])) {
					g_autofree char *next = parse_identifier(parser);
					if (g_strcmp0(next, "if") != 0 &&
					    g_strcmp0(next, "with") != 0) {
						parse_fail(parser, word_start,
							   "unexpected \"%s\" after else", next);
						return NULL;
					}
					*end_kind = next[0] == 'i' ? END_ELSE_IF : END_ELSE_WITH;
					return g_steal_pointer(&list);
				}
				if (!at_action_end(parser, &trim)) {
					parse_fail(parser, word_start,
						   "unexpected content in {{%s}}", word);
					return NULL;
				}
				parser->pos += trim ? 3 : 2;
				*trim_next = trim;
				*end_kind = word[1] == 'n' ? END_END : END_ELSE;
				return g_steal_pointer(&list);
			}
			if (g_strcmp0(word, "range") == 0 || g_strcmp0(word, "define") == 0 ||
			    g_strcmp0(word, "template") == 0 || g_strcmp0(word, "block") == 0 ||
			    g_strcmp0(word, "break") == 0 || g_strcmp0(word, "continue") == 0) {
				parse_fail(parser, word_start,
					   "{{%s}} is not supported in name templates", word);
				return NULL;
			}
			parser->pos = word_start;
		}
		{
			Node *action = g_new0(Node, 1);
			action->type = NODE_ACTION;
			action->pipeline = parse_pipeline(parser, FALSE);
			if (action->pipeline == NULL) {
				node_free(action);
				return NULL;
			}
			*trim_next = parser->text[parser->pos] == '-';
			parser->pos += *trim_next ? 3 : 2;
			g_ptr_array_add(list, action);
		}
	}
	if (nested) {
		parse_fail(parser, parser->length,
			   "unexpected EOF: an {{if}} or {{with}} has no "
			   "{{end}}");
		return NULL;
	}
	return g_steal_pointer(&list);
}

/* -- running -- */

typedef struct {
	JsonObject *root;
	GString *out;
	guint steps;
} Runner;

static gboolean run_pipeline(Runner *runner, Pipeline *pipeline, const Value *dot, Value *result,
			     GError **error);

static gboolean
run_arg(Runner *runner, Arg *arg, const Value *dot, Value *result, GError **error)
{
	switch (arg->type) {
	case ARG_CONSTANT:
		*result = value_copy(&arg->constant);
		return TRUE;
	case ARG_DOT:
		*result = value_copy(dot);
		return TRUE;
	case ARG_ROOT: {
		Value root = {VALUE_DATA, FALSE, 0, 0, NULL, json_object_ref(runner->root)};
		*result = root;
		return TRUE;
	}
	case ARG_FIELD: {
		JsonObject *data = arg->from_root ? runner->root : dot->data;
		if (!arg->from_root && dot->type != VALUE_DATA)
			return fail(error, "can't evaluate field %s in type %s", arg->name,
				    value_type_name(dot));
		if (!json_object_has_member(data, arg->name))
			return fail(error, "can't evaluate field %s: the data has no such field",
				    arg->name);
		*result = value_from_json(json_object_get_member(data, arg->name));
		return TRUE;
	}
	case ARG_PIPELINE:
		return run_pipeline(runner, arg->pipeline, dot, result, error);
	case ARG_FUNCTION:
	default:
		return fail(error, "function %s used as a value", arg->name);
	}
}

static gboolean
run_command(Runner *runner, Command *command, const Value *dot, Value *piped, Value *result,
	    GError **error)
{
	Arg *first = g_ptr_array_index(command->args, 0);
	g_autofree Value *args = NULL;
	guint n_args = 0;
	gboolean ok = TRUE;

	if (first->type != ARG_FUNCTION) {
		if (command->args->len > 1 || piped != NULL)
			return fail(error, "can't give argument to non-function");
		return run_arg(runner, first, dot, result, error);
	}
	args = g_new0(Value, command->args->len + 1);
	for (guint i = 1; ok && i < command->args->len; i++) {
		Arg *arg = g_ptr_array_index(command->args, i);
		if (arg->type == ARG_FUNCTION) {
			/* a function name as an argument is a call without arguments */
			Command call = {NULL, arg->position};
			call.args = g_ptr_array_new();
			g_ptr_array_add(call.args, arg);
			ok = run_command(runner, &call, dot, NULL, &args[n_args], error);
			g_ptr_array_unref(call.args);
		} else {
			ok = run_arg(runner, arg, dot, &args[n_args], error);
		}
		if (ok)
			n_args++;
	}
	if (ok && piped != NULL) {
		args[n_args++] = *piped;
		memset(piped, 0, sizeof(*piped));
	}
	if (ok)
		ok = find_function(first->name)(args, n_args, result, error);
	for (guint i = 0; i < n_args; i++)
		value_clear(&args[i]);
	return ok;
}

static gboolean
run_pipeline(Runner *runner, Pipeline *pipeline, const Value *dot, Value *result, GError **error)
{
	Value value = {0};
	gboolean have_value = FALSE;

	if (++runner->steps > 100000)
		return fail(error, "the template does too much work");
	for (guint i = 0; i < pipeline->commands->len; i++) {
		Value next = {0};
		if (!run_command(runner, g_ptr_array_index(pipeline->commands, i), dot,
				 have_value ? &value : NULL, &next, error)) {
			value_clear(&value);
			return FALSE;
		}
		value_clear(&value);
		value = next;
		have_value = TRUE;
	}
	*result = value;
	return TRUE;
}

static gboolean
run_list(Runner *runner, GPtrArray *list, const Value *dot, GError **error)
{
	for (guint i = 0; list != NULL && i < list->len; i++) {
		Node *node = g_ptr_array_index(list, i);
		Value value = {0};
		gboolean ok;
		switch (node->type) {
		case NODE_TEXT:
			g_string_append(runner->out, node->text);
			break;
		case NODE_ACTION: {
			g_autofree char *text = NULL;
			if (!run_pipeline(runner, node->pipeline, dot, &value, error))
				return FALSE;
			text = value_to_text(&value);
			if (runner->out->len + strlen(text) > 1024 * 1024) {
				value_clear(&value);
				return fail(error, "the template output is too long");
			}
			g_string_append(runner->out, text);
			value_clear(&value);
			break;
		}
		case NODE_IF:
		case NODE_WITH:
			if (!run_pipeline(runner, node->pipeline, dot, &value, error))
				return FALSE;
			if (value_truth(&value))
				ok = run_list(runner, node->list,
					      node->type == NODE_WITH ? &value : dot, error);
			else
				ok = run_list(runner, node->else_list, dot, error);
			value_clear(&value);
			if (!ok)
				return FALSE;
			break;
		default:
			break;
		}
	}
	return TRUE;
}

/* -- the object -- */

struct _FerryTemplate {
	GObject parent_instance;
	char *text;
	GPtrArray *list;
};

G_DEFINE_TYPE(FerryTemplate, ferry_template, G_TYPE_OBJECT)

static void
ferry_template_finalize(GObject *object)
{
	FerryTemplate *self = FERRY_TEMPLATE(object);
	g_free(self->text);
	if (self->list != NULL)
		g_ptr_array_unref(self->list);
	G_OBJECT_CLASS(ferry_template_parent_class)->finalize(object);
}

static void
ferry_template_class_init(FerryTemplateClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_template_finalize;
}

static void
ferry_template_init(FerryTemplate *self)
{
}

/**
 * ferry_template_new:
 * @text: the template
 * @error: return location for a #GError
 *
 * Parses a template.
 *
 * Returns: (transfer full): the template, or %NULL with @error set to
 *   what is wrong and at which column
 *
 * Since: 0.1
 */
FerryTemplate *
ferry_template_new(const char *text, GError **error)
{
	g_autoptr(FerryTemplate) self = NULL;
	Parser parser = {0};
	EndKind end_kind = END_NONE;
	gboolean trim_next = FALSE;

	g_return_val_if_fail(text != NULL, NULL);
	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "template: not valid UTF-8");
		return NULL;
	}
	self = g_object_new(FERRY_TYPE_TEMPLATE, NULL);
	self->text = g_strdup(text);
	parser.text = self->text;
	parser.length = strlen(self->text);
	parser.error = error;
	self->list = parse_list(&parser, FALSE, &end_kind, &trim_next);
	if (self->list == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * ferry_template_get_text:
 * @self: a #FerryTemplate
 *
 * Returns: (transfer none): the template's text
 *
 * Since: 0.1
 */
const char *
ferry_template_get_text(FerryTemplate *self)
{
	g_return_val_if_fail(FERRY_IS_TEMPLATE(self), NULL);
	return self->text;
}

/**
 * ferry_template_execute:
 * @self: a #FerryTemplate
 * @data: the fields the template may use: `{"PlanName": "web", "DiskIndex": 0}`
 * @error: return location for a #GError
 *
 * Runs the template over @data.
 *
 * Returns: (transfer full): the output, or %NULL with @error set (an
 *   unknown field, a function given the wrong type, …)
 *
 * Since: 0.1
 */
char *
ferry_template_execute(FerryTemplate *self, JsonObject *data, GError **error)
{
	Runner runner = {0};
	Value dot = {VALUE_DATA, FALSE, 0, 0, NULL, NULL};

	g_return_val_if_fail(FERRY_IS_TEMPLATE(self), NULL);
	g_return_val_if_fail(data != NULL, NULL);
	runner.root = data;
	runner.out = g_string_new(NULL);
	dot.data = data;
	if (!run_list(&runner, self->list, &dot, error)) {
		g_prefix_error(error, "template: ");
		g_string_free(runner.out, TRUE);
		return NULL;
	}
	return g_string_free(runner.out, FALSE);
}

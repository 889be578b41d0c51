/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>
#include <yaml.h>

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-yaml.h"

/**
 * FerryYamlDocument:
 *
 * One document of a YAML or JSON file, as a json-glib tree, together with
 * where each of its nodes was written: ferry_yaml_document_get_location()
 * turns a field path such as `spec.map.network.name` or `spec.vms[2].id`
 * into the line and column of that value, so errors can point at the exact
 * place in the user's file.
 *
 * YAML is read with libyaml and mapped to JSON the way Kubernetes does it:
 * plain scalars resolve to null, booleans (including YAML 1.1 `yes`/`no`/
 * `on`/`off`), integers and floats; quoted and block scalars are strings;
 * keys are strings; anchors, aliases and `<<` merge keys are expanded;
 * duplicate keys are an error. JSON files are read with json-glib.
 *
 * Since: 0.1
 */

/* limits that keep hostile input (alias bombs, deep nesting) cheap */
#define FERRY_YAML_MAX_DEPTH       256
#define FERRY_YAML_MAX_ALIAS_NODES 200000

typedef struct {
	guint line;
	guint column;
} Location;

struct _FerryYamlDocument {
	GObject parent_instance;
	char *filename;
	guint index;
	JsonNode *root;
	GHashTable *locations; /* path → Location */
};

G_DEFINE_TYPE(FerryYamlDocument, ferry_yaml_document, G_TYPE_OBJECT)

static void
ferry_yaml_document_finalize(GObject *object)
{
	FerryYamlDocument *self = FERRY_YAML_DOCUMENT(object);
	g_free(self->filename);
	g_clear_pointer(&self->root, json_node_unref);
	g_hash_table_unref(self->locations);
	G_OBJECT_CLASS(ferry_yaml_document_parent_class)->finalize(object);
}

static void
ferry_yaml_document_class_init(FerryYamlDocumentClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_yaml_document_finalize;
}

static void
ferry_yaml_document_init(FerryYamlDocument *self)
{
	self->locations = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * ferry_yaml_document_get_filename:
 * @self: a #FerryYamlDocument
 *
 * Returns: (transfer none): the file name given when parsing (`-` for
 *   standard input, `<data>` when none was given)
 *
 * Since: 0.1
 */
const char *
ferry_yaml_document_get_filename(FerryYamlDocument *self)
{
	g_return_val_if_fail(FERRY_IS_YAML_DOCUMENT(self), NULL);
	return self->filename;
}

/**
 * ferry_yaml_document_get_index:
 * @self: a #FerryYamlDocument
 *
 * Returns: the position of the document in its file, from 0, counting
 *   empty documents too
 *
 * Since: 0.1
 */
guint
ferry_yaml_document_get_index(FerryYamlDocument *self)
{
	g_return_val_if_fail(FERRY_IS_YAML_DOCUMENT(self), 0);
	return self->index;
}

/**
 * ferry_yaml_document_get_root:
 * @self: a #FerryYamlDocument
 *
 * Returns: (transfer none): the root node of the document
 *
 * Since: 0.1
 */
JsonNode *
ferry_yaml_document_get_root(FerryYamlDocument *self)
{
	g_return_val_if_fail(FERRY_IS_YAML_DOCUMENT(self), NULL);
	return self->root;
}

/**
 * ferry_yaml_document_get_location:
 * @self: a #FerryYamlDocument
 * @path: a field path: members joined with `.`, array elements as `[N]`,
 *   members containing `.` or brackets as `[name]` (see
 *   ferry_yaml_path_append_member()); `""` is the root
 * @line: (out) (optional): the line, from 1
 * @column: (out) (optional): the column, from 1
 *
 * Finds where the value at @path was written. When the path has no
 * location of its own (a missing field, or a node copied from an alias) the
 * location of its nearest ancestor that has one is given.
 *
 * Returns: %TRUE if a location was found
 *
 * Since: 0.1
 */
gboolean
ferry_yaml_document_get_location(FerryYamlDocument *self, const char *path, guint *line,
				 guint *column)
{
	g_autofree char *current = NULL;

	g_return_val_if_fail(FERRY_IS_YAML_DOCUMENT(self), FALSE);
	current = g_strdup(path != NULL ? path : "");
	for (;;) {
		Location *location = g_hash_table_lookup(self->locations, current);
		char *cut;
		if (location != NULL) {
			if (line != NULL)
				*line = location->line;
			if (column != NULL)
				*column = location->column;
			return TRUE;
		}
		if (current[0] == '\0')
			return FALSE;
		/* drop the last element: `.name`, `[N]` or `[name.with.dots]` */
		cut = NULL;
		if (current[strlen(current) - 1] == ']') {
			cut = strrchr(current, '[');
		} else {
			char *dot = strrchr(current, '.');
			char *bracket = strrchr(current, ']');
			cut = dot;
			if (bracket != NULL && (dot == NULL || bracket > dot))
				cut = bracket + 1;
		}
		if (cut == NULL)
			cut = current;
		*cut = '\0';
	}
}

/**
 * ferry_yaml_document_format_location:
 * @self: a #FerryYamlDocument
 * @path: (nullable): a field path, as for ferry_yaml_document_get_location()
 *
 * Returns: (transfer full): `FILE:LINE:COL` for the value at @path (or its
 *   nearest ancestor), or just `FILE` when nothing is known
 *
 * Since: 0.1
 */
char *
ferry_yaml_document_format_location(FerryYamlDocument *self, const char *path)
{
	guint line = 0;
	guint column = 0;

	g_return_val_if_fail(FERRY_IS_YAML_DOCUMENT(self), NULL);
	if (!ferry_yaml_document_get_location(self, path, &line, &column))
		return g_strdup(self->filename);
	return g_strdup_printf("%s:%u:%u", self->filename, line, column);
}

/**
 * ferry_yaml_path_append_member:
 * @path: (nullable): a field path, or %NULL or `""` for the root
 * @member: an object member name
 *
 * Returns: (transfer full): the path of @member below @path, such as
 *   `spec.map` or `metadata.annotations[forklift.konveyor.io/route]`
 *
 * Since: 0.1
 */
char *
ferry_yaml_path_append_member(const char *path, const char *member)
{
	gboolean bracket;

	g_return_val_if_fail(member != NULL, NULL);
	bracket = member[0] == '\0' || strpbrk(member, ".[]") != NULL;
	if (bracket)
		return g_strdup_printf("%s[%s]", path != NULL ? path : "", member);
	if (path == NULL || path[0] == '\0')
		return g_strdup(member);
	return g_strdup_printf("%s.%s", path, member);
}

/**
 * ferry_yaml_path_append_index:
 * @path: (nullable): a field path, or %NULL or `""` for the root
 * @index: an array index
 *
 * Returns: (transfer full): the path of element @index below @path, such as
 *   `spec.vms[3]`
 *
 * Since: 0.1
 */
char *
ferry_yaml_path_append_index(const char *path, guint index)
{
	return g_strdup_printf("%s[%u]", path != NULL ? path : "", index);
}

/* -- reading -- */

typedef struct {
	JsonNode *node;
	guint64 size; /* nodes in the tree, for the alias limit */
} Anchor;

typedef struct {
	yaml_parser_t parser;
	const char *filename;
	GHashTable *anchors;   /* name → Anchor */
	GHashTable *locations; /* path → Location, of the current document */
	guint64 alias_nodes;
	guint depth;
	/* where the key of the value being read was, if any */
	gboolean have_key_mark;
	yaml_mark_t key_mark;
} Reader;

static void
anchor_free(gpointer data)
{
	Anchor *anchor = data;
	json_node_unref(anchor->node);
	g_free(anchor);
}

static gboolean reader_fail(Reader *reader, yaml_mark_t mark, GError **error, const char *format,
			    ...) G_GNUC_PRINTF(4, 5);

static gboolean
reader_fail(Reader *reader, yaml_mark_t mark, GError **error, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "%s:%zu:%zu: %s",
		    reader->filename, mark.line + 1, mark.column + 1, message);
	return FALSE;
}

static gboolean
reader_next(Reader *reader, yaml_event_t *event, GError **error)
{
	if (!yaml_parser_parse(&reader->parser, event)) {
		yaml_parser_t *parser = &reader->parser;
		const char *problem = parser->problem != NULL ? parser->problem : "invalid YAML";
		if (parser->context != NULL)
			return reader_fail(reader, parser->problem_mark, error,
					   "invalid YAML: %s %s (from line %zu)", problem,
					   parser->context, parser->context_mark.line + 1);
		return reader_fail(reader, parser->problem_mark, error, "invalid YAML: %s",
				   problem);
	}
	return TRUE;
}

static void
reader_set_location(Reader *reader, const char *path, yaml_mark_t mark)
{
	Location *location;
	if (reader->locations == NULL)
		return;
	location = g_new(Location, 1);
	location->line = mark.line + 1;
	location->column = mark.column + 1;
	g_hash_table_replace(reader->locations, g_strdup(path), location);
}

static gboolean
matches(const char *text, const char *const *choices)
{
	return g_strv_contains(choices, text);
}

static gboolean
is_float_text(const char *text)
{
	const char *p = text;
	gboolean digits = FALSE;
	if (*p == '-' || *p == '+')
		p++;
	while (g_ascii_isdigit(*p)) {
		p++;
		digits = TRUE;
	}
	if (*p == '.') {
		p++;
		while (g_ascii_isdigit(*p)) {
			p++;
			digits = TRUE;
		}
	}
	if (!digits)
		return FALSE;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!g_ascii_isdigit(*p))
			return FALSE;
		while (g_ascii_isdigit(*p))
			p++;
	}
	return *p == '\0';
}

static gboolean
parse_int_text(const char *text, gint64 *value)
{
	const char *p = text;
	guint base = 10;
	gboolean negative = FALSE;
	guint64 magnitude = 0;

	if (*p == '-' || *p == '+') {
		negative = *p == '-';
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'o') {
		base = 8;
		p += 2;
	}
	if (*p == '\0')
		return FALSE;
	for (; *p != '\0'; p++) {
		int digit = g_ascii_xdigit_value(*p);
		if (digit < 0 || (guint)digit >= base)
			return FALSE;
		if (magnitude > (G_MAXUINT64 - (guint)digit) / base)
			return FALSE;
		magnitude = magnitude * base + (guint)digit;
	}
	if (!negative && magnitude > G_MAXINT64)
		return FALSE;
	if (negative && magnitude > (guint64)G_MAXINT64 + 1)
		return FALSE;
	*value = negative ? (gint64)(0 - magnitude) : (gint64)magnitude;
	return TRUE;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", "yes", "Yes",
					 "YES",  "on",   "On",   "ON",  NULL};
static const char *const false_words[] = {"false", "False", "FALSE", "no",  "No",
					  "NO",    "off",   "Off",   "OFF", NULL};

/* what a plain scalar means, as Kubernetes reads YAML */
static JsonNode *
resolve_plain(const char *text)
{
	gint64 integer;
	if (matches(text, null_words))
		return json_node_new(JSON_NODE_NULL);
	if (matches(text, true_words))
		return json_node_init_boolean(json_node_alloc(), TRUE);
	if (matches(text, false_words))
		return json_node_init_boolean(json_node_alloc(), FALSE);
	if (parse_int_text(text, &integer))
		return json_node_init_int(json_node_alloc(), integer);
	/* a number too large for a double stays text: JSON has no infinity */
	if (is_float_text(text) && isfinite(g_ascii_strtod(text, NULL)))
		return json_node_init_double(json_node_alloc(), g_ascii_strtod(text, NULL));
	return json_node_init_string(json_node_alloc(), text);
}

static JsonNode *
reader_scalar(Reader *reader, yaml_event_t *event, GError **error)
{
	const char *text = (const char *)event->data.scalar.value;
	const char *tag = (const char *)event->data.scalar.tag;
	g_autoptr(JsonNode) node = NULL;

	if (!g_utf8_validate(text, (gssize)event->data.scalar.length, NULL) ||
	    strlen(text) != event->data.scalar.length) {
		reader_fail(reader, event->start_mark, error,
			    "a value holds a NUL byte or invalid UTF-8");
		return NULL;
	}
	if (tag != NULL &&
	    (g_strcmp0(tag, YAML_INT_TAG) == 0 || g_strcmp0(tag, YAML_FLOAT_TAG) == 0 ||
	     g_strcmp0(tag, YAML_BOOL_TAG) == 0 || g_strcmp0(tag, YAML_NULL_TAG) == 0)) {
		JsonNodeType want_type = JSON_NODE_VALUE;
		node = resolve_plain(text);
		if (g_strcmp0(tag, YAML_NULL_TAG) == 0)
			want_type = JSON_NODE_NULL;
		if (JSON_NODE_TYPE(node) != want_type ||
		    (g_strcmp0(tag, YAML_INT_TAG) == 0 &&
		     json_node_get_value_type(node) != G_TYPE_INT64) ||
		    (g_strcmp0(tag, YAML_BOOL_TAG) == 0 &&
		     json_node_get_value_type(node) != G_TYPE_BOOLEAN) ||
		    (g_strcmp0(tag, YAML_FLOAT_TAG) == 0 &&
		     json_node_get_value_type(node) != G_TYPE_DOUBLE &&
		     json_node_get_value_type(node) != G_TYPE_INT64)) {
			reader_fail(reader, event->start_mark, error,
				    "'%s' is not a valid value for the tag %s", text, tag);
			return NULL;
		}
		return g_steal_pointer(&node);
	}
	if (event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (tag == NULL || g_strcmp0(tag, "!") != 0) && g_strcmp0(tag, YAML_STR_TAG) != 0 &&
	    g_strcmp0(tag, "tag:yaml.org,2002:binary") != 0 && event->data.scalar.plain_implicit)
		return resolve_plain(text);
	return json_node_init_string(json_node_alloc(), text);
}

static guint64
count_nodes(JsonNode *node)
{
	guint64 count = 1;
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObjectIter iter;
		JsonNode *member;
		json_object_iter_init(&iter, json_node_get_object(node));
		while (json_object_iter_next(&iter, NULL, &member))
			count += count_nodes(member);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(array); i++)
			count += count_nodes(json_array_get_element(array, i));
	}
	return count;
}

static JsonNode *reader_value(Reader *reader, yaml_event_t *event, const char *path,
			      GError **error);

static gboolean
reader_merge(Reader *reader, JsonObject *target, JsonNode *source, yaml_mark_t mark, GError **error)
{
	if (JSON_NODE_HOLDS_ARRAY(source)) {
		JsonArray *array = json_node_get_array(source);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			JsonNode *element = json_array_get_element(array, i);
			if (!JSON_NODE_HOLDS_OBJECT(element))
				return reader_fail(reader, mark, error,
						   "a merge key '<<' takes a mapping or a list "
						   "of mappings");
			if (!reader_merge(reader, target, element, mark, error))
				return FALSE;
		}
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_OBJECT(source))
		return reader_fail(reader, mark, error,
				   "a merge key '<<' takes a mapping or a list of mappings");
	{
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		json_object_iter_init(&iter, json_node_get_object(source));
		while (json_object_iter_next(&iter, &name, &member)) {
			if (!json_object_has_member(target, name))
				json_object_set_member(target, name,
						       ferry_json_node_deep_copy(member));
		}
	}
	return TRUE;
}

static JsonNode *
reader_mapping(Reader *reader, yaml_event_t *start, const char *path, GError **error)
{
	g_autoptr(JsonObject) object = json_object_new();
	g_autoptr(GPtrArray) merges =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	yaml_mark_t merge_mark = start->start_mark;

	for (;;) {
		yaml_event_t key_event;
		yaml_event_t value_event;
		yaml_mark_t key_mark;
		g_autofree char *key = NULL;
		g_autofree char *child_path = NULL;
		JsonNode *value;
		gboolean is_merge;

		if (!reader_next(reader, &key_event, error))
			return NULL;
		if (key_event.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key_event);
			break;
		}
		if (key_event.type != YAML_SCALAR_EVENT) {
			reader_fail(reader, key_event.start_mark, error,
				    "a mapping key must be a plain value, not a %s",
				    key_event.type == YAML_ALIAS_EVENT ? "alias"
								       : "list or mapping");
			yaml_event_delete(&key_event);
			return NULL;
		}
		key = g_strndup((const char *)key_event.data.scalar.value,
				key_event.data.scalar.length);
		key_mark = key_event.start_mark;
		is_merge = g_strcmp0(key, "<<") == 0 &&
			   key_event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (!is_merge && json_object_has_member(object, key)) {
			reader_fail(reader, key_event.start_mark, error,
				    "the key '%s' appears twice in the same mapping", key);
			yaml_event_delete(&key_event);
			return NULL;
		}
		if (is_merge)
			merge_mark = key_event.start_mark;
		yaml_event_delete(&key_event);
		if (!g_utf8_validate(key, -1, NULL)) {
			reader_fail(reader, merge_mark, error, "a key is not valid UTF-8");
			return NULL;
		}

		child_path = ferry_yaml_path_append_member(path, key);
		if (!reader_next(reader, &value_event, error))
			return NULL;
		reader->have_key_mark = TRUE;
		reader->key_mark = key_mark;
		value = reader_value(reader, &value_event, child_path, error);
		yaml_event_delete(&value_event);
		if (value == NULL)
			return NULL;
		if (is_merge) {
			g_ptr_array_add(merges, value);
			continue;
		}
		json_object_set_member(object, key, value);
	}
	for (guint i = 0; i < merges->len; i++) {
		if (!reader_merge(reader, object, g_ptr_array_index(merges, i), merge_mark, error))
			return NULL;
	}
	return json_node_init_object(json_node_alloc(), object);
}

static JsonNode *
reader_sequence(Reader *reader, const char *path, GError **error)
{
	g_autoptr(JsonArray) array = json_array_new();

	for (guint index = 0;; index++) {
		yaml_event_t event;
		g_autofree char *child_path = NULL;
		JsonNode *value;

		if (!reader_next(reader, &event, error))
			return NULL;
		if (event.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&event);
			break;
		}
		child_path = ferry_yaml_path_append_index(path, index);
		value = reader_value(reader, &event, child_path, error);
		yaml_event_delete(&event);
		if (value == NULL)
			return NULL;
		json_array_add_element(array, value);
	}
	return json_node_init_array(json_node_alloc(), array);
}

static void
reader_remember_anchor(Reader *reader, const yaml_char_t *anchor, JsonNode *node)
{
	Anchor *entry;
	if (anchor == NULL)
		return;
	entry = g_new(Anchor, 1);
	entry->node = json_node_ref(node);
	entry->size = count_nodes(node);
	g_hash_table_replace(reader->anchors, g_strdup((const char *)anchor), entry);
}

static JsonNode *
reader_value(Reader *reader, yaml_event_t *event, const char *path, GError **error)
{
	JsonNode *node = NULL;
	gboolean block = (event->type == YAML_MAPPING_START_EVENT &&
			  event->data.mapping_start.style == YAML_BLOCK_MAPPING_STYLE) ||
			 (event->type == YAML_SEQUENCE_START_EVENT &&
			  event->data.sequence_start.style == YAML_BLOCK_SEQUENCE_STYLE);

	/* a block mapping or list is located at its key, where the user looks */
	reader_set_location(reader, path,
			    block && reader->have_key_mark ? reader->key_mark : event->start_mark);
	reader->have_key_mark = FALSE;
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		node = reader_scalar(reader, event, error);
		if (node != NULL)
			reader_remember_anchor(reader, event->data.scalar.anchor, node);
		return node;
	case YAML_ALIAS_EVENT: {
		Anchor *anchor = g_hash_table_lookup(reader->anchors,
						     (const char *)event->data.alias.anchor);
		if (anchor == NULL) {
			reader_fail(reader, event->start_mark, error,
				    "the alias *%s names no anchor defined before it",
				    (const char *)event->data.alias.anchor);
			return NULL;
		}
		reader->alias_nodes += anchor->size;
		if (reader->alias_nodes > FERRY_YAML_MAX_ALIAS_NODES) {
			reader_fail(reader, event->start_mark, error,
				    "aliases expand to more than %u values; the file is too "
				    "large or malicious",
				    FERRY_YAML_MAX_ALIAS_NODES);
			return NULL;
		}
		return ferry_json_node_deep_copy(anchor->node);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (reader->depth >= FERRY_YAML_MAX_DEPTH) {
			reader_fail(reader, event->start_mark, error,
				    "values are nested more than %u levels deep",
				    FERRY_YAML_MAX_DEPTH);
			return NULL;
		}
		reader->depth++;
		if (event->type == YAML_SEQUENCE_START_EVENT)
			node = reader_sequence(reader, path, error);
		else
			node = reader_mapping(reader, event, path, error);
		reader->depth--;
		if (node != NULL)
			reader_remember_anchor(reader,
					       event->type == YAML_SEQUENCE_START_EVENT
						       ? event->data.sequence_start.anchor
						       : event->data.mapping_start.anchor,
					       node);
		return node;
	default:
		reader_fail(reader, event->start_mark, error, "unexpected YAML event");
		return NULL;
	}
}

/* reads every document; locations of each are added to @locations_out if
 * given; @roots_out gets the root nodes, NULL for empty documents */
static gboolean
reader_run(const char *data, gsize length, const char *filename, GPtrArray *roots_out,
	   GPtrArray *locations_out, GError **error)
{
	Reader reader = {0};
	gboolean ok = TRUE;
	gboolean done = FALSE;

	reader.filename = filename;
	reader.anchors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, anchor_free);
	yaml_parser_initialize(&reader.parser);
	yaml_parser_set_input_string(&reader.parser, (const unsigned char *)data, length);

	while (ok && !done) {
		yaml_event_t event;
		if (!reader_next(&reader, &event, error)) {
			ok = FALSE;
			break;
		}
		switch (event.type) {
		case YAML_STREAM_END_EVENT:
			done = TRUE;
			break;
		case YAML_DOCUMENT_START_EVENT: {
			yaml_event_t root_event;
			yaml_event_t end_event;
			JsonNode *root;
			g_hash_table_remove_all(reader.anchors);
			reader.locations =
				g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
			if (locations_out != NULL)
				g_ptr_array_add(locations_out, reader.locations);
			if (!reader_next(&reader, &root_event, error)) {
				ok = FALSE;
				break;
			}
			root = reader_value(&reader, &root_event, "", error);
			yaml_event_delete(&root_event);
			if (locations_out == NULL)
				g_clear_pointer(&reader.locations, g_hash_table_unref);
			reader.locations = NULL;
			if (root == NULL) {
				ok = FALSE;
				break;
			}
			g_ptr_array_add(roots_out, JSON_NODE_HOLDS_NULL(root) ? NULL : root);
			if (JSON_NODE_HOLDS_NULL(root))
				json_node_unref(root);
			if (!reader_next(&reader, &end_event, error)) {
				ok = FALSE;
				break;
			}
			yaml_event_delete(&end_event);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&reader.parser);
	g_hash_table_unref(reader.anchors);
	return ok;
}

static gboolean
looks_like_json(const char *data, gsize length)
{
	gsize i = 0;
	if (length >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < length; i++) {
		if (!g_ascii_isspace(data[i]))
			return data[i] == '{' || data[i] == '[';
	}
	return FALSE;
}

static FerryYamlDocument *
document_new(const char *filename, guint index, JsonNode *root, GHashTable *locations)
{
	FerryYamlDocument *document = g_object_new(FERRY_TYPE_YAML_DOCUMENT, NULL);
	document->filename = g_strdup(filename);
	document->index = index;
	document->root = root;
	if (locations != NULL) {
		g_hash_table_unref(document->locations);
		document->locations = g_hash_table_ref(locations);
	}
	return document;
}

/* json-glib 1.6 decodes an escaped surrogate pair (\ud83d\ude00) as two
 * 3-byte sequences; join them into one character. NULL if @text is still
 * not valid UTF-8 */
static char *
join_surrogates(const char *text)
{
	GString *out = g_string_new(NULL);
	const guchar *p = (const guchar *)text;
	while (*p != '\0') {
		if (p[0] == 0xED && (p[1] & 0xF0) == 0xA0 && (p[2] & 0xC0) == 0x80 &&
		    p[3] == 0xED && (p[4] & 0xF0) == 0xB0 && (p[5] & 0xC0) == 0x80) {
			gunichar high = 0xD000 | ((gunichar)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
			gunichar low = 0xD000 | ((gunichar)(p[4] & 0x3F) << 6) | (p[5] & 0x3F);
			g_string_append_unichar(out,
						0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
			p += 6;
			continue;
		}
		g_string_append_c(out, (char)*p++);
	}
	if (!g_utf8_validate(out->str, (gssize)out->len, NULL)) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* every string of the tree valid UTF-8, or FALSE */
static gboolean
repair_json_strings(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *object = json_node_get_object(node);
		g_autoptr(GList) members = json_object_get_members(object);
		for (GList *l = members; l != NULL; l = l->next) {
			const char *name = l->data;
			JsonNode *member = json_object_get_member(object, name);
			if (!repair_json_strings(member))
				return FALSE;
			if (!g_utf8_validate(name, -1, NULL)) {
				g_autofree char *fixed = join_surrogates(name);
				if (fixed == NULL || json_object_has_member(object, fixed))
					return FALSE;
				json_object_set_member(object, fixed, json_node_ref(member));
				json_object_remove_member(object, name);
			}
		}
		return TRUE;
	}
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			if (!repair_json_strings(json_array_get_element(array, i)))
				return FALSE;
		}
		return TRUE;
	}
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_DOUBLE &&
	    !isfinite(json_node_get_double(node)))
		return FALSE;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING &&
	    !g_utf8_validate(json_node_get_string(node), -1, NULL)) {
		g_autofree char *fixed = join_surrogates(json_node_get_string(node));
		if (fixed == NULL)
			return FALSE;
		json_node_set_string(node, fixed);
	}
	return TRUE;
}

/* json-glib 1.6 wraps integers beyond 64 bits around; libyaml's reading
 * of the same text has them as doubles, as Go's JSON reader does */
static void
restore_large_numbers(JsonNode *node, JsonNode *other)
{
	if (JSON_NODE_HOLDS_OBJECT(node) && JSON_NODE_HOLDS_OBJECT(other)) {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		JsonObject *other_object = json_node_get_object(other);
		json_object_iter_init(&iter, json_node_get_object(node));
		while (json_object_iter_next(&iter, &name, &member)) {
			JsonNode *counterpart = json_object_get_member(other_object, name);
			if (counterpart != NULL)
				restore_large_numbers(member, counterpart);
		}
	} else if (JSON_NODE_HOLDS_ARRAY(node) && JSON_NODE_HOLDS_ARRAY(other)) {
		JsonArray *array = json_node_get_array(node);
		JsonArray *other_array = json_node_get_array(other);
		for (guint i = 0;
		     i < json_array_get_length(array) && i < json_array_get_length(other_array);
		     i++)
			restore_large_numbers(json_array_get_element(array, i),
					      json_array_get_element(other_array, i));
	} else if (JSON_NODE_HOLDS_VALUE(node) && JSON_NODE_HOLDS_VALUE(other) &&
		   json_node_get_value_type(node) == G_TYPE_INT64 &&
		   json_node_get_value_type(other) == G_TYPE_DOUBLE) {
		json_node_set_double(node, json_node_get_double(other));
	}
}

static GPtrArray *
parse_json(const char *data, gsize length, const char *filename, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GPtrArray) roots =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	g_autoptr(GPtrArray) locations =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
	GPtrArray *documents = g_ptr_array_new_with_free_func(g_object_unref);
	JsonNode *root;

	if (memchr(data, '\0', length) != NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: invalid JSON: the file holds a NUL byte", filename);
		g_ptr_array_unref(documents);
		return NULL;
	}
	if (!json_parser_load_from_data(parser, data, (gssize)length, &local_error)) {
		/* json-glib says "<data>:LINE:COL: Parse error: …" */
		const char *message = local_error->message;
		if (g_str_has_prefix(message, "<data>"))
			message += strlen("<data>");
		else if (message[0] != ':')
			message = local_error->message;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "%s%s%s: invalid JSON",
			    filename, message[0] == ':' ? "" : ": ", message);
		g_ptr_array_unref(documents);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root != NULL && !repair_json_strings(root)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: invalid JSON: a string is not valid Unicode, or a number is too "
			    "large",
			    filename);
		g_ptr_array_unref(documents);
		return NULL;
	}
	/* json-glib has the exact tree; libyaml reads JSON too and knows where
	 * each value is, so positions come from it when it can */
	if (!reader_run(data, length, filename, roots, locations, NULL) || locations->len != 1)
		g_ptr_array_set_size(locations, 0);
	else if (root != NULL && roots->len == 1 && g_ptr_array_index(roots, 0) != NULL)
		restore_large_numbers(root, g_ptr_array_index(roots, 0));
	if (root != NULL && !JSON_NODE_HOLDS_NULL(root))
		g_ptr_array_add(
			documents,
			document_new(filename, 0, ferry_json_node_deep_copy(root),
				     locations->len == 1 ? g_ptr_array_index(locations, 0) : NULL));
	return documents;
}

/**
 * ferry_yaml_parse_data:
 * @data: (array length=length) (element-type guint8): YAML or JSON text
 * @length: the length of @data, or -1 if it is NUL-terminated
 * @filename: (nullable): the name to use in locations and errors
 * @error: return location for a #GError
 *
 * Reads every document of a YAML stream, or one JSON value (text starting
 * with `{` or `[`). Empty documents (only comments, or `null`) are left
 * out. On any error nothing is returned: the error says
 * `FILE:LINE:COL: what is wrong`.
 *
 * Returns: (transfer container) (element-type FerryYamlDocument): the
 *   documents, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
ferry_yaml_parse_data(const char *data, gssize length, const char *filename, GError **error)
{
	g_autoptr(GPtrArray) roots = NULL;
	g_autoptr(GPtrArray) locations = NULL;
	GPtrArray *documents;
	gsize size;

	g_return_val_if_fail(data != NULL || length == 0, NULL);
	size = length < 0 ? strlen(data) : (gsize)length;
	if (filename == NULL)
		filename = "<data>";
	if (looks_like_json(data, size))
		return parse_json(data, size, filename, error);

	roots = g_ptr_array_new();
	locations = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
	if (!reader_run(data, size, filename, roots, locations, error)) {
		for (guint i = 0; i < roots->len; i++) {
			if (g_ptr_array_index(roots, i) != NULL)
				json_node_unref(g_ptr_array_index(roots, i));
		}
		return NULL;
	}
	documents = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < roots->len; i++) {
		JsonNode *root = g_ptr_array_index(roots, i);
		if (root == NULL)
			continue;
		g_ptr_array_add(documents,
				document_new(filename, i, root, g_ptr_array_index(locations, i)));
	}
	return documents;
}

/**
 * ferry_yaml_parse_file:
 * @filename: a file name, or `-` for standard input
 * @error: return location for a #GError
 *
 * Reads a YAML or JSON file as ferry_yaml_parse_data() does.
 *
 * Returns: (transfer container) (element-type FerryYamlDocument): the
 *   documents, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
ferry_yaml_parse_file(const char *filename, GError **error)
{
	g_autofree char *contents = NULL;
	gsize length = 0;

	g_return_val_if_fail(filename != NULL, NULL);
	if (g_strcmp0(filename, "-") == 0) {
		g_autoptr(GIOChannel) channel = g_io_channel_unix_new(0);
		g_autoptr(GError) local_error = NULL;
		g_io_channel_set_encoding(channel, NULL, NULL);
		if (g_io_channel_read_to_end(channel, &contents, &length, &local_error) !=
		    G_IO_STATUS_NORMAL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
				    "cannot read standard input: %s",
				    local_error != NULL ? local_error->message : "error");
			return NULL;
		}
	} else {
		g_autoptr(GError) local_error = NULL;
		if (!g_file_get_contents(filename, &contents, &length, &local_error)) {
			g_set_error(error, FERRY_ERROR,
				    g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
					    ? FERRY_ERROR_NOT_FOUND
					    : FERRY_ERROR_IO,
				    "%s", local_error->message);
			return NULL;
		}
	}
	return ferry_yaml_parse_data(contents != NULL ? contents : "", (gssize)length, filename,
				     error);
}

/* -- writing -- */

typedef struct {
	yaml_emitter_t emitter;
	GString *out;
} Writer;

static int
writer_output(void *data, unsigned char *buffer, size_t size)
{
	Writer *writer = data;
	g_string_append_len(writer->out, (const char *)buffer, (gssize)size);
	return 1;
}

static gboolean
writer_emit(Writer *writer, yaml_event_t *event, GError **error)
{
	if (!yaml_emitter_emit(&writer->emitter, event)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "cannot write YAML: %s",
			    writer->emitter.problem != NULL ? writer->emitter.problem : "error");
		return FALSE;
	}
	return TRUE;
}

static gboolean
writer_scalar(Writer *writer, const char *text, gboolean plain_ok, GError **error)
{
	yaml_event_t event;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (!plain_ok)
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (strchr(text, '\n') != NULL)
		style = YAML_LITERAL_SCALAR_STYLE;
	yaml_scalar_event_initialize(&event, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
				     plain_ok, 1, style);
	return writer_emit(writer, &event, error);
}

static int
compare_members(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static gboolean
writer_check_utf8(const char *text, GError **error)
{
	g_autofree char *shown = NULL;
	if (g_utf8_validate(text, -1, NULL))
		return TRUE;
	shown = g_strescape(text, NULL);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
		    "cannot write YAML: the text \"%s\" is not valid UTF-8", shown);
	return FALSE;
}

/* plain scalars that YAML 1.1 readers (kubectl's among them) take for
 * something else: y/n booleans, and base-60 numbers such as a MAC address
 * made of digits (00:50:56:11:22:33) */
static gboolean
yaml11_ambiguous(const char *text)
{
	static const char *const short_bools[] = {"y", "Y", "n", "N", NULL};
	if (g_strv_contains(short_bools, text))
		return TRUE;
	return g_regex_match_simple("^[-+]?[0-9][0-9_]*(:[0-9_]+)+(\\.[0-9_]*)?$", text, 0, 0);
}

static gboolean
writer_node(Writer *writer, JsonNode *node, GError **error)
{
	yaml_event_t event;

	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT: {
		JsonObject *object = json_node_get_object(node);
		g_autoptr(GList) members = json_object_get_members(object);
		g_autoptr(GPtrArray) names = g_ptr_array_new();
		for (GList *l = members; l != NULL; l = l->next)
			g_ptr_array_add(names, l->data);
		/* keys in order, as kubectl prints custom resources */
		g_ptr_array_sort(names, compare_members);
		yaml_mapping_start_event_initialize(&event, NULL, NULL, 1,
						    names->len == 0 ? YAML_FLOW_MAPPING_STYLE
								    : YAML_BLOCK_MAPPING_STYLE);
		if (!writer_emit(writer, &event, error))
			return FALSE;
		for (guint i = 0; i < names->len; i++) {
			const char *name = g_ptr_array_index(names, i);
			g_autoptr(JsonNode) key_node = NULL;
			if (!writer_check_utf8(name, error))
				return FALSE;
			key_node = resolve_plain(name);
			/* a plain '<<' key would read back as a merge key */
			if (!writer_scalar(writer, name,
					   JSON_NODE_HOLDS_VALUE(key_node) &&
						   json_node_get_value_type(key_node) ==
							   G_TYPE_STRING &&
						   g_strcmp0(name, "<<") != 0,
					   error))
				return FALSE;
			if (!writer_node(writer, json_object_get_member(object, name), error))
				return FALSE;
		}
		yaml_mapping_end_event_initialize(&event);
		return writer_emit(writer, &event, error);
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		guint length = json_array_get_length(array);
		yaml_sequence_start_event_initialize(&event, NULL, NULL, 1,
						     length == 0 ? YAML_FLOW_SEQUENCE_STYLE
								 : YAML_BLOCK_SEQUENCE_STYLE);
		if (!writer_emit(writer, &event, error))
			return FALSE;
		for (guint i = 0; i < length; i++) {
			if (!writer_node(writer, json_array_get_element(array, i), error))
				return FALSE;
		}
		yaml_sequence_end_event_initialize(&event);
		return writer_emit(writer, &event, error);
	}
	case JSON_NODE_NULL:
		return writer_scalar(writer, "null", TRUE, error);
	case JSON_NODE_VALUE:
	default:
		break;
	}

	switch (json_node_get_value_type(node)) {
	case G_TYPE_BOOLEAN:
		return writer_scalar(writer, json_node_get_boolean(node) ? "true" : "false", TRUE,
				     error);
	case G_TYPE_INT64: {
		char text[32];
		g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, json_node_get_int(node));
		return writer_scalar(writer, text, TRUE, error);
	}
	case G_TYPE_DOUBLE: {
		char text[G_ASCII_DTOSTR_BUF_SIZE + 2];
		double value = json_node_get_double(node);
		if (!isfinite(value)) {
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
					    "cannot write a number that is not finite as YAML");
			return FALSE;
		}
		g_ascii_formatd(text, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", value);
		if (g_ascii_strtod(text, NULL) != value)
			g_ascii_formatd(text, G_ASCII_DTOSTR_BUF_SIZE, "%.17g", value);
		if (strpbrk(text, ".eEn") == NULL)
			g_strlcat(text, ".0", sizeof(text));
		return writer_scalar(writer, text, is_float_text(text), error);
	}
	case G_TYPE_STRING: {
		const char *text = json_node_get_string(node);
		g_autoptr(JsonNode) resolved = NULL;
		if (text == NULL)
			text = "";
		if (!writer_check_utf8(text, error))
			return FALSE;
		resolved = resolve_plain(text);
		/* a string that would read back as something else is quoted, by
		 * Ferry's reader or by a YAML 1.1 one */
		return writer_scalar(writer, text,
				     JSON_NODE_HOLDS_VALUE(resolved) &&
					     json_node_get_value_type(resolved) == G_TYPE_STRING &&
					     !yaml11_ambiguous(text),
				     error);
	}
	default:
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "cannot write a %s value as YAML",
			    g_type_name(json_node_get_value_type(node)));
		return FALSE;
	}
}

/* whether writer_node() writes @node in flow style: empty collections */
static gboolean
writer_is_flow(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node))
		return json_object_get_size(json_node_get_object(node)) == 0;
	if (JSON_NODE_HOLDS_ARRAY(node))
		return json_array_get_length(json_node_get_array(node)) == 0;
	return FALSE;
}

/**
 * ferry_yaml_to_string_multi:
 * @nodes: (element-type JsonNode): the documents to write
 * @error: return location for a #GError
 *
 * Writes each node as one YAML document in block style, the way
 * `kubectl get -o yaml` prints resources: keys sorted, lists not indented
 * under their key, strings quoted only when they would read back as
 * another type, multi-line strings as literal blocks. Documents after the
 * first are preceded by `---`; so is the first when it is an empty mapping
 * or list and more follow (so that the text does not read as JSON).
 *
 * Returns: (transfer full): the YAML text, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
ferry_yaml_to_string_multi(GPtrArray *nodes, GError **error)
{
	Writer writer = {0};
	yaml_event_t event;
	gboolean ok = TRUE;

	g_return_val_if_fail(nodes != NULL, NULL);
	writer.out = g_string_new(NULL);
	yaml_emitter_initialize(&writer.emitter);
	yaml_emitter_set_output(&writer.emitter, writer_output, &writer);
	yaml_emitter_set_unicode(&writer.emitter, 1);
	yaml_emitter_set_width(&writer.emitter, -1);
	yaml_emitter_set_indent(&writer.emitter, 2);

	yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
	ok = writer_emit(&writer, &event, error);
	for (guint i = 0; ok && i < nodes->len; i++) {
		/* the first document needs no `---`, unless the stream would then
		 * open with `{` or `[` (an empty collection, written in flow
		 * style) and go on with more documents: the reader takes a
		 * stream that opens so for one JSON value */
		gboolean implicit = i == 0 && (nodes->len == 1 ||
					       !writer_is_flow(g_ptr_array_index(nodes, 0)));
		yaml_document_start_event_initialize(&event, NULL, NULL, NULL, implicit);
		ok = writer_emit(&writer, &event, error) &&
		     writer_node(&writer, g_ptr_array_index(nodes, i), error);
		if (ok) {
			yaml_document_end_event_initialize(&event, 1);
			ok = writer_emit(&writer, &event, error);
		}
	}
	if (ok) {
		yaml_stream_end_event_initialize(&event);
		ok = writer_emit(&writer, &event, error);
	}
	yaml_emitter_delete(&writer.emitter);
	if (!ok) {
		g_string_free(writer.out, TRUE);
		return NULL;
	}
	return g_string_free(writer.out, FALSE);
}

/**
 * ferry_yaml_to_string:
 * @node: the value to write
 * @error: return location for a #GError
 *
 * Writes @node as one YAML document; see ferry_yaml_to_string_multi().
 *
 * Returns: (transfer full): the YAML text, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
ferry_yaml_to_string(JsonNode *node, GError **error)
{
	g_autoptr(GPtrArray) nodes = g_ptr_array_new();
	g_return_val_if_fail(node != NULL, NULL);
	g_ptr_array_add(nodes, node);
	return ferry_yaml_to_string_multi(nodes, error);
}

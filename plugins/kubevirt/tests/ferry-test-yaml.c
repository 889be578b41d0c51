/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: one YAML document read into a json-glib tree with libyaml's
 * parser. Plain scalars are resolved with the YAML 1.2 core schema, as
 * Kubernetes' sigs.k8s.io/yaml does; quoted and block scalars are strings.
 */

#include <string.h>
#include <yaml.h>

#include "ferry-test-yaml.h"

typedef struct {
	yaml_parser_t parser;
	GError **error;
} Reader;

static gboolean
reader_fail(Reader *reader, const char *message)
{
	g_set_error(reader->error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE, "YAML %s at line %zu: %s",
		    reader->parser.problem != NULL ? reader->parser.problem : "error",
		    reader->parser.problem_mark.line + 1, message);
	return FALSE;
}

static gboolean
reader_next(Reader *reader, yaml_event_t *event)
{
	if (!yaml_parser_parse(&reader->parser, event))
		return reader_fail(reader, "cannot parse");
	return TRUE;
}

static gboolean
matches(const char *pattern, const char *text)
{
	return g_regex_match_simple(pattern, text, 0, 0);
}

static JsonNode *
resolve_plain(const char *text)
{
	JsonNode *node = json_node_alloc();
	if (matches("^(|~|null|Null|NULL)$", text))
		return json_node_init_null(node);
	if (matches("^(true|True|TRUE)$", text))
		return json_node_init_boolean(node, TRUE);
	if (matches("^(false|False|FALSE)$", text))
		return json_node_init_boolean(node, FALSE);
	if (matches("^[-+]?[0-9]+$", text))
		return json_node_init_int(node, g_ascii_strtoll(text, NULL, 10));
	if (matches("^0x[0-9a-fA-F]+$", text))
		return json_node_init_int(node, g_ascii_strtoll(text + 2, NULL, 16));
	if (matches("^0o[0-7]+$", text))
		return json_node_init_int(node, g_ascii_strtoll(text + 2, NULL, 8));
	if (matches("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$", text))
		return json_node_init_double(node, g_ascii_strtod(text, NULL));
	return json_node_init_string(node, text);
}

static JsonNode *read_node(Reader *reader, yaml_event_t *event);

static JsonNode *
read_mapping(Reader *reader)
{
	g_autoptr(JsonObject) object = json_object_new();
	for (;;) {
		yaml_event_t key_event;
		yaml_event_t value_event;
		g_autofree char *key = NULL;
		JsonNode *value;

		if (!reader_next(reader, &key_event))
			return NULL;
		if (key_event.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key_event);
			break;
		}
		if (key_event.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&key_event);
			reader_fail(reader, "only scalar keys are supported");
			return NULL;
		}
		key = g_strndup((const char *)key_event.data.scalar.value,
				key_event.data.scalar.length);
		yaml_event_delete(&key_event);
		if (json_object_has_member(object, key)) {
			g_autofree char *message = g_strdup_printf("duplicate key '%s'", key);
			reader_fail(reader, message);
			return NULL;
		}
		if (!reader_next(reader, &value_event))
			return NULL;
		value = read_node(reader, &value_event);
		yaml_event_delete(&value_event);
		if (value == NULL)
			return NULL;
		json_object_set_member(object, key, value);
	}
	return json_node_init_object(json_node_alloc(), object);
}

static JsonNode *
read_sequence(Reader *reader)
{
	g_autoptr(JsonArray) array = json_array_new();
	for (;;) {
		yaml_event_t event;
		JsonNode *value;

		if (!reader_next(reader, &event))
			return NULL;
		if (event.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&event);
			break;
		}
		value = read_node(reader, &event);
		yaml_event_delete(&event);
		if (value == NULL)
			return NULL;
		json_array_add_element(array, value);
	}
	return json_node_init_array(json_node_alloc(), array);
}

static JsonNode *
read_node(Reader *reader, yaml_event_t *event)
{
	switch (event->type) {
	case YAML_MAPPING_START_EVENT:
		return read_mapping(reader);
	case YAML_SEQUENCE_START_EVENT:
		return read_sequence(reader);
	case YAML_SCALAR_EVENT: {
		g_autofree char *text = g_strndup((const char *)event->data.scalar.value,
						  event->data.scalar.length);
		const char *tag = (const char *)event->data.scalar.tag;
		if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)
			return json_node_init_string(json_node_alloc(), text);
		if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return json_node_init_string(json_node_alloc(), text);
		return resolve_plain(text);
	}
	case YAML_ALIAS_EVENT:
		reader_fail(reader, "aliases are not supported");
		return NULL;
	default:
		reader_fail(reader, "unexpected event");
		return NULL;
	}
}

JsonNode *
ferry_test_yaml_load(const char *text, gssize length, GError **error)
{
	Reader reader = {.error = error};
	JsonNode *root = NULL;
	yaml_event_t event;
	gboolean done = FALSE;

	yaml_parser_initialize(&reader.parser);
	yaml_parser_set_input_string(&reader.parser, (const unsigned char *)text,
				     length < 0 ? strlen(text) : (size_t)length);
	while (!done) {
		if (!reader_next(&reader, &event))
			break;
		switch (event.type) {
		case YAML_STREAM_END_EVENT:
			done = TRUE;
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_SCALAR_EVENT:
			if (root != NULL) {
				reader_fail(&reader, "more than one document");
				done = TRUE;
				g_clear_pointer(&root, json_node_unref);
				break;
			}
			root = read_node(&reader, &event);
			if (root == NULL)
				done = TRUE;
			break;
		default:
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&reader.parser);
	if (root == NULL && error != NULL && *error == NULL)
		g_set_error_literal(error, G_MARKUP_ERROR, G_MARKUP_ERROR_EMPTY,
				    "no YAML document");
	return root;
}

JsonNode *
ferry_test_yaml_load_file(const char *path, GError **error)
{
	g_autofree char *contents = NULL;
	gsize length;
	if (!g_file_get_contents(path, &contents, &length, error))
		return NULL;
	return ferry_test_yaml_load(contents, (gssize)length, error);
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A json-glib tree written as one YAML document with libyaml's emitter, in
 * the shape kubectl users expect: block style, keys in insertion order,
 * strings quoted whenever a YAML 1.1 or 1.2 reader could take them for
 * something else (numbers, booleans, null, MAC addresses that look like
 * base-60 integers).
 */

#include "config.h"

#include <ferry.h>
#include <math.h>
#include <string.h>
#include <yaml.h>

#include "ferry-kubevirt-yaml.h"

/* words YAML 1.1 resolves to booleans or null, compared without case */
static const char *const yaml_reserved_words[] = {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
};

/* TRUE when @text reads back as the same string from a plain scalar */
static gboolean
ferry_kubevirt_yaml_is_plain_safe(const char *text)
{
	if (text[0] == '\0' || !(g_ascii_isalpha(text[0]) || text[0] == '/' || text[0] == '_'))
		return FALSE;
	for (const char *p = text; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-_./", *p) == NULL)
			return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(yaml_reserved_words); i++) {
		if (g_ascii_strcasecmp(text, yaml_reserved_words[i]) == 0)
			return FALSE;
	}
	return TRUE;
}

static int
ferry_kubevirt_yaml_write_cb(void *data, unsigned char *buffer, size_t size)
{
	g_string_append_len(data, (const char *)buffer, (gssize)size);
	return 1;
}

static gboolean
ferry_kubevirt_yaml_emit(yaml_emitter_t *emitter, yaml_event_t *event, GError **error)
{
	if (!yaml_emitter_emit(emitter, event)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "cannot write YAML: %s",
			    emitter->problem != NULL ? emitter->problem : "unknown problem");
		return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_kubevirt_yaml_scalar(yaml_emitter_t *emitter,
			   const char *text,
			   yaml_scalar_style_t style,
			   GError **error)
{
	yaml_event_t event;
	gboolean plain = style == YAML_PLAIN_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&event, NULL, NULL, (yaml_char_t *)text,
					  (int)strlen(text), plain, !plain, style)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "cannot write YAML: out of memory");
		return FALSE;
	}
	return ferry_kubevirt_yaml_emit(emitter, &event, error);
}

static gboolean
ferry_kubevirt_yaml_string(yaml_emitter_t *emitter, const char *text, GError **error)
{
	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "cannot write YAML: the string '%s' is not valid UTF-8", text);
		return FALSE;
	}
	return ferry_kubevirt_yaml_scalar(emitter, text,
					  ferry_kubevirt_yaml_is_plain_safe(text)
					      ? YAML_PLAIN_SCALAR_STYLE
					      : YAML_DOUBLE_QUOTED_SCALAR_STYLE,
					  error);
}

static gboolean
ferry_kubevirt_yaml_node(yaml_emitter_t *emitter, JsonNode *node, GError **error);

static gboolean
ferry_kubevirt_yaml_object(yaml_emitter_t *emitter, JsonObject *object, GError **error)
{
	yaml_event_t event;
	g_autoptr(GList) members = json_object_get_members(object);

	yaml_mapping_start_event_initialize(&event, NULL, NULL, 1,
					    members == NULL ? YAML_FLOW_MAPPING_STYLE
							    : YAML_BLOCK_MAPPING_STYLE);
	if (!ferry_kubevirt_yaml_emit(emitter, &event, error))
		return FALSE;
	for (GList *l = members; l != NULL; l = l->next) {
		const char *name = l->data;
		if (!ferry_kubevirt_yaml_string(emitter, name, error) ||
		    !ferry_kubevirt_yaml_node(emitter, json_object_get_member(object, name), error))
			return FALSE;
	}
	yaml_mapping_end_event_initialize(&event);
	return ferry_kubevirt_yaml_emit(emitter, &event, error);
}

static gboolean
ferry_kubevirt_yaml_array(yaml_emitter_t *emitter, JsonArray *array, GError **error)
{
	yaml_event_t event;
	guint length = json_array_get_length(array);

	yaml_sequence_start_event_initialize(&event, NULL, NULL, 1,
					     length == 0 ? YAML_FLOW_SEQUENCE_STYLE
							 : YAML_BLOCK_SEQUENCE_STYLE);
	if (!ferry_kubevirt_yaml_emit(emitter, &event, error))
		return FALSE;
	for (guint i = 0; i < length; i++) {
		if (!ferry_kubevirt_yaml_node(emitter, json_array_get_element(array, i), error))
			return FALSE;
	}
	yaml_sequence_end_event_initialize(&event);
	return ferry_kubevirt_yaml_emit(emitter, &event, error);
}

static gboolean
ferry_kubevirt_yaml_value(yaml_emitter_t *emitter, JsonNode *node, GError **error)
{
	GType type = json_node_get_value_type(node);
	char buffer[G_ASCII_DTOSTR_BUF_SIZE];

	if (type == G_TYPE_STRING)
		return ferry_kubevirt_yaml_string(emitter, json_node_get_string(node), error);
	if (type == G_TYPE_INT64) {
		g_snprintf(buffer, sizeof buffer, "%" G_GINT64_FORMAT, json_node_get_int(node));
		return ferry_kubevirt_yaml_scalar(emitter, buffer, YAML_PLAIN_SCALAR_STYLE, error);
	}
	if (type == G_TYPE_BOOLEAN)
		return ferry_kubevirt_yaml_scalar(emitter,
						  json_node_get_boolean(node) ? "true" : "false",
						  YAML_PLAIN_SCALAR_STYLE, error);
	if (type == G_TYPE_DOUBLE) {
		double value = json_node_get_double(node);
		if (!isfinite(value)) {
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "cannot write YAML: a number is not finite");
			return FALSE;
		}
		g_ascii_dtostr(buffer, sizeof buffer, value);
		return ferry_kubevirt_yaml_scalar(emitter, buffer, YAML_PLAIN_SCALAR_STYLE, error);
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
		    "cannot write YAML: unsupported value type %s", g_type_name(type));
	return FALSE;
}

static gboolean
ferry_kubevirt_yaml_node(yaml_emitter_t *emitter, JsonNode *node, GError **error)
{
	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT:
		return ferry_kubevirt_yaml_object(emitter, json_node_get_object(node), error);
	case JSON_NODE_ARRAY:
		return ferry_kubevirt_yaml_array(emitter, json_node_get_array(node), error);
	case JSON_NODE_NULL:
		return ferry_kubevirt_yaml_scalar(emitter, "null", YAML_PLAIN_SCALAR_STYLE, error);
	case JSON_NODE_VALUE:
	default:
		return ferry_kubevirt_yaml_value(emitter, node, error);
	}
}

static gboolean
ferry_kubevirt_yaml_document(yaml_emitter_t *emitter, JsonNode *document, GError **error)
{
	yaml_event_t event;

	yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
	if (!ferry_kubevirt_yaml_emit(emitter, &event, error))
		return FALSE;
	yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1);
	if (!ferry_kubevirt_yaml_emit(emitter, &event, error) ||
	    !ferry_kubevirt_yaml_node(emitter, document, error))
		return FALSE;
	yaml_document_end_event_initialize(&event, 1);
	if (!ferry_kubevirt_yaml_emit(emitter, &event, error))
		return FALSE;
	yaml_stream_end_event_initialize(&event);
	return ferry_kubevirt_yaml_emit(emitter, &event, error);
}

/*
 * ferry_kubevirt_yaml_dump:
 * @document: the tree to write
 *
 * Returns: (transfer full): the YAML text, or %NULL with @error set for a
 *   tree YAML cannot hold (invalid UTF-8, non-finite numbers)
 */
char *
ferry_kubevirt_yaml_dump(JsonNode *document, GError **error)
{
	yaml_emitter_t emitter;
	g_autoptr(GString) text = g_string_new(NULL);
	gboolean ok;

	g_return_val_if_fail(document != NULL, NULL);
	if (!yaml_emitter_initialize(&emitter)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "cannot write YAML: out of memory");
		return NULL;
	}
	yaml_emitter_set_output(&emitter, ferry_kubevirt_yaml_write_cb, text);
	yaml_emitter_set_unicode(&emitter, 1);
	yaml_emitter_set_indent(&emitter, 2);
	yaml_emitter_set_width(&emitter, -1);
	ok = ferry_kubevirt_yaml_document(&emitter, document, error);
	if (ok && !yaml_emitter_flush(&emitter)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "cannot write YAML: flush failed");
		ok = FALSE;
	}
	yaml_emitter_delete(&emitter);
	if (!ok)
		return NULL;
	return g_string_free(g_steal_pointer(&text), FALSE);
}

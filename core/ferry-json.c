/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Small json-glib helpers shared by the model, the YAML code and the
 * engine: typed members (`ferry_json_get_*`, one member name) and typed
 * paths (`ferry_json_path_*`, dotted member names, with defaults). */

#include "config.h"

#include "ferry-error.h"
#include "ferry-json-private.h"

JsonNode *
ferry_json_node_deep_copy(JsonNode *node)
{
	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT: {
		JsonObject *copy = json_object_new();
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		json_object_iter_init(&iter, json_node_get_object(node));
		while (json_object_iter_next(&iter, &name, &member))
			json_object_set_member(copy, name, ferry_json_node_deep_copy(member));
		JsonNode *result = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(result, copy);
		return result;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		JsonArray *copy = json_array_sized_new(json_array_get_length(array));
		for (guint i = 0; i < json_array_get_length(array); i++)
			json_array_add_element(
				copy, ferry_json_node_deep_copy(json_array_get_element(array, i)));
		JsonNode *result = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(result, copy);
		return result;
	}
	case JSON_NODE_VALUE:
	case JSON_NODE_NULL:
	default:
		return json_node_copy(node);
	}
}

/* the string or object a node holds, or @default_value / NULL */
static const char *
node_string(JsonNode *node, const char *default_value)
{
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return default_value;
	return json_node_get_string(node);
}

static JsonObject *
node_object(JsonNode *node)
{
	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

const char *
ferry_json_get_string(JsonObject *object, const char *member)
{
	return node_string(object != NULL ? json_object_get_member(object, member) : NULL, NULL);
}

const char *
ferry_json_get_string_or(JsonObject *object, const char *member, const char *default_value)
{
	return node_string(object != NULL ? json_object_get_member(object, member) : NULL,
			   default_value);
}

gint64
ferry_json_get_int_or(JsonObject *object, const char *member, gint64 default_value)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64)
		return default_value;
	return json_node_get_int(node);
}

gboolean
ferry_json_get_bool_or(JsonObject *object, const char *member, gboolean default_value)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_BOOLEAN)
		return default_value;
	return json_node_get_boolean(node);
}

JsonArray *
ferry_json_get_array(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

const char *
ferry_json_array_string(JsonArray *array, guint index)
{
	return node_string(array != NULL && index < json_array_get_length(array)
			       ? json_array_get_element(array, index)
			       : NULL,
			   NULL);
}

JsonObject *
ferry_json_array_object(JsonArray *array, guint index)
{
	return node_object(array != NULL && index < json_array_get_length(array)
			       ? json_array_get_element(array, index)
			       : NULL);
}

JsonObject *
ferry_json_get_object(JsonObject *object, const char *member)
{
	return node_object(object != NULL ? json_object_get_member(object, member) : NULL);
}

gboolean
ferry_json_get_true(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	       json_node_get_value_type(node) == G_TYPE_BOOLEAN && json_node_get_boolean(node);
}

/* a copy of @object that shares nothing with it */
JsonObject *
ferry_json_object_copy(JsonObject *object)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
	g_autoptr(JsonNode) copy = ferry_json_node_deep_copy(node);
	return json_object_ref(json_node_get_object(copy));
}

static JsonNode *
ferry_json_lookup(JsonObject *object, const char *path)
{
	g_auto(GStrv) parts = g_strsplit(path, ".", -1);
	JsonNode *node = NULL;
	for (guint i = 0; parts[i] != NULL; i++) {
		if (object == NULL || !json_object_has_member(object, parts[i]))
			return NULL;
		node = json_object_get_member(object, parts[i]);
		object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	}
	return node;
}

const char *
ferry_json_path_string(JsonObject *object, const char *path, const char *default_value)
{
	return node_string(object != NULL ? ferry_json_lookup(object, path) : NULL,
			   default_value);
}

gint64
ferry_json_path_int(JsonObject *object, const char *path, gint64 default_value)
{
	JsonNode *node = object != NULL ? ferry_json_lookup(object, path) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return default_value;
	if (json_node_get_value_type(node) == G_TYPE_INT64)
		return json_node_get_int(node);
	if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
		return (gint64)json_node_get_double(node);
	if (json_node_get_value_type(node) == G_TYPE_STRING) {
		gint64 value;
		if (g_ascii_string_to_signed(json_node_get_string(node), 10, G_MININT64,
					     G_MAXINT64, &value, NULL))
			return value;
	}
	return default_value;
}

gboolean
ferry_json_path_bool(JsonObject *object, const char *path, gboolean default_value)
{
	JsonNode *node = object != NULL ? ferry_json_lookup(object, path) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return default_value;
	if (json_node_get_value_type(node) == G_TYPE_BOOLEAN)
		return json_node_get_boolean(node);
	if (json_node_get_value_type(node) == G_TYPE_STRING)
		return g_ascii_strcasecmp(json_node_get_string(node), "true") == 0;
	return default_value;
}

JsonObject *
ferry_json_path_object(JsonObject *object, const char *path)
{
	return node_object(object != NULL ? ferry_json_lookup(object, path) : NULL);
}

JsonArray *
ferry_json_path_array(JsonObject *object, const char *path)
{
	JsonNode *node = object != NULL ? ferry_json_lookup(object, path) : NULL;
	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

char *
ferry_json_to_string(JsonObject *object)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
	return json_to_string(node, FALSE);
}

JsonObject *
ferry_json_from_string(const char *text, GError **error)
{
	g_autoptr(JsonNode) node = json_from_string(text, error);
	if (node == NULL) {
		ferry_error_convert(error);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "expected a JSON object");
		return NULL;
	}
	return json_object_ref(json_node_get_object(node));
}


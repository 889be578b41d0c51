/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-naming.h"
#include "ferry-resource-kinds.h"
#include "ferry-schema-private.h"
#include "ferry-version.h"
#include "ferry-yaml.h"

/*
 * Validates documents against Ferry's schema of the Forklift kinds
 * (data/schema/forklift-v1beta1.yaml), an OpenAPI v3 subset with the same
 * rules as Forklift's CRDs. Problems come back with the path of the field
 * so the caller can point at the line and column.
 */

struct _FerrySchema {
	GObject parent_instance;
	/* while a Secret is validated: messages never quote values */
	gboolean hide_values;
	GMutex lock;
	JsonNode *root;
	JsonObject *definitions;
	JsonObject *kinds;
	GHashTable *regexes; /* pattern → GRegex */
};

G_DEFINE_TYPE(FerrySchema, ferry_schema, G_TYPE_OBJECT)

void
ferry_schema_issue_free(FerrySchemaIssue *issue)
{
	g_free(issue->path);
	g_free(issue->message);
	g_free(issue);
}

static void
ferry_schema_finalize(GObject *object)
{
	FerrySchema *self = FERRY_SCHEMA(object);
	g_clear_pointer(&self->root, json_node_unref);
	g_hash_table_unref(self->regexes);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_schema_parent_class)->finalize(object);
}

static void
ferry_schema_class_init(FerrySchemaClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_schema_finalize;
}

static void
ferry_schema_init(FerrySchema *self)
{
	self->regexes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)g_regex_unref);
	g_mutex_init(&self->lock);
}

char *
ferry_schema_get_default_path(void)
{
	return g_build_filename(ferry_get_data_dir(), "schema", "forklift-v1beta1.yaml", NULL);
}

FerrySchema *
ferry_schema_new_from_file(const char *path, GError **error)
{
	g_autoptr(FerrySchema) self = g_object_new(FERRY_TYPE_SCHEMA, NULL);
	g_autoptr(GPtrArray) documents = ferry_yaml_parse_file(path, error);
	JsonObject *root;

	if (documents == NULL) {
		g_prefix_error(error, "cannot read Ferry's schema (set FERRY_DATA_DIR to the "
				      "directory holding schema/): ");
		return NULL;
	}
	if (documents->len != 1 || !JSON_NODE_HOLDS_OBJECT(ferry_yaml_document_get_root(
					   g_ptr_array_index(documents, 0)))) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: Ferry's schema must be one YAML mapping", path);
		return NULL;
	}
	self->root = json_node_ref(ferry_yaml_document_get_root(g_ptr_array_index(documents, 0)));
	root = json_node_get_object(self->root);
	self->definitions = ferry_json_get_object(root, "definitions");
	self->kinds = ferry_json_get_object(root, "kinds");
	if (self->kinds == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: Ferry's schema has no 'kinds'", path);
		return NULL;
	}
	return g_steal_pointer(&self);
}

FerrySchema *
ferry_schema_get_default(GError **error)
{
	static GMutex lock;
	static FerrySchema *schema = NULL;
	static char *schema_path = NULL;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	g_autofree char *path = ferry_schema_get_default_path();

	/* reloaded when FERRY_DATA_DIR changes */
	if (schema == NULL || g_strcmp0(path, schema_path) != 0) {
		FerrySchema *loaded = ferry_schema_new_from_file(path, error);
		if (loaded == NULL)
			return NULL;
		g_clear_object(&schema);
		g_free(schema_path);
		schema = loaded;
		schema_path = g_steal_pointer(&path);
	}
	return g_object_ref(schema);
}

JsonObject *
ferry_schema_resolve(FerrySchema *self, JsonObject *schema)
{
	const char *ref = ferry_json_get_string(schema, "$ref");
	if (ref == NULL)
		return schema;
	return ferry_json_get_object(self->definitions, ref);
}

JsonObject *
ferry_schema_get_kind_schema(FerrySchema *self, const char *kind)
{
	JsonObject *entry = ferry_json_get_object(self->kinds, kind);
	JsonObject *schema = ferry_json_get_object(entry, "spec");
	if (schema == NULL)
		schema = ferry_json_get_object(entry, "schema");
	return schema;
}

static void add_issue(GPtrArray *issues, const char *path, gboolean warning, const char *format,
		      ...) G_GNUC_PRINTF(4, 5);

static void
add_issue(GPtrArray *issues, const char *path, gboolean warning, const char *format, ...)
{
	va_list args;
	FerrySchemaIssue *issue = g_new0(FerrySchemaIssue, 1);
	va_start(args, format);
	issue->message = g_strdup_vprintf(format, args);
	va_end(args);
	issue->path = g_strdup(path);
	issue->warning = warning;
	g_ptr_array_add(issues, issue);
}

static const char *
node_type_name(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node))
		return "a mapping";
	if (JSON_NODE_HOLDS_ARRAY(node))
		return "a list";
	if (JSON_NODE_HOLDS_NULL(node))
		return "null";
	switch (json_node_get_value_type(node)) {
	case G_TYPE_BOOLEAN:
		return "a boolean";
	case G_TYPE_INT64:
		return "an integer";
	case G_TYPE_DOUBLE:
		return "a number";
	case G_TYPE_STRING:
	default:
		return "a string";
	}
}

static const char *
expected_name(const char *type)
{
	if (g_strcmp0(type, "object") == 0)
		return "a mapping";
	if (g_strcmp0(type, "array") == 0)
		return "a list";
	if (g_strcmp0(type, "integer") == 0)
		return "an integer";
	if (g_strcmp0(type, "number") == 0)
		return "a number";
	if (g_strcmp0(type, "boolean") == 0)
		return "true or false";
	return "a string";
}

static gboolean
type_matches(const char *type, JsonNode *node)
{
	GType value_type;
	if (type == NULL)
		return TRUE;
	if (g_strcmp0(type, "object") == 0)
		return JSON_NODE_HOLDS_OBJECT(node);
	if (g_strcmp0(type, "array") == 0)
		return JSON_NODE_HOLDS_ARRAY(node);
	if (!JSON_NODE_HOLDS_VALUE(node))
		return FALSE;
	value_type = json_node_get_value_type(node);
	if (g_strcmp0(type, "string") == 0)
		return value_type == G_TYPE_STRING;
	if (g_strcmp0(type, "boolean") == 0)
		return value_type == G_TYPE_BOOLEAN;
	if (g_strcmp0(type, "integer") == 0)
		return value_type == G_TYPE_INT64;
	if (g_strcmp0(type, "number") == 0)
		return value_type == G_TYPE_INT64 || value_type == G_TYPE_DOUBLE;
	return TRUE;
}

static char *
short_value(JsonNode *node)
{
	g_autofree char *text = NULL;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		text = g_strdup_printf("\"%s\"", json_node_get_string(node));
	else
		text = json_to_string(node, FALSE);
	if (g_utf8_strlen(text, -1) > 40) {
		char *cut = g_utf8_offset_to_pointer(text, 37);
		*cut = '\0';
		return g_strconcat(text, "...", NULL);
	}
	return g_steal_pointer(&text);
}

/* a value for a message, or a placeholder inside a Secret */
static char *
quote_value(FerrySchema *self, JsonNode *node)
{
	if (self->hide_values)
		return g_strdup("(value not shown)");
	return short_value(node);
}

static GRegex *
get_regex(FerrySchema *self, const char *pattern)
{
	GRegex *regex = g_hash_table_lookup(self->regexes, pattern);
	if (regex == NULL) {
		regex = g_regex_new(pattern, 0, 0, NULL);
		if (regex == NULL)
			return NULL;
		g_hash_table_insert(self->regexes, g_strdup(pattern), regex);
	}
	return regex;
}

static void validate_node(FerrySchema *self, JsonObject *schema, JsonNode *node, const char *path,
			  GPtrArray *issues, guint depth);

static void
validate_object(FerrySchema *self, JsonObject *schema, JsonObject *object, const char *path,
		GPtrArray *issues, guint depth)
{
	JsonObject *properties = ferry_json_get_object(schema, "properties");
	JsonObject *additional = ferry_json_get_object(schema, "additionalProperties");
	gboolean preserve = ferry_json_get_true(schema, "x-kubernetes-preserve-unknown-fields") ||
			    ferry_json_get_true(schema, "x-ferry-opaque");
	JsonNode *required = json_object_get_member(schema, "required");
	JsonObjectIter iter;
	const char *name;
	JsonNode *member;

	if (ferry_json_get_true(schema, "x-ferry-opaque"))
		return;
	if (required != NULL && JSON_NODE_HOLDS_ARRAY(required)) {
		JsonArray *names = json_node_get_array(required);
		for (guint i = 0; i < json_array_get_length(names); i++) {
			const char *field = json_array_get_string_element(names, i);
			JsonNode *value = json_object_get_member(object, field);
			g_autofree char *field_path = ferry_yaml_path_append_member(path, field);
			const char *lenient = ferry_json_get_string(
				ferry_json_get_object(schema, "x-ferry-warn-if-missing"), field);
			if ((value == NULL || JSON_NODE_HOLDS_NULL(value)) && lenient != NULL) {
				add_issue(issues, field_path, TRUE, "%s", lenient);
			} else if (value == NULL || JSON_NODE_HOLDS_NULL(value)) {
				JsonObject *field_schema = ferry_schema_resolve(
					self, ferry_json_get_object(properties, field));
				const char *type = ferry_json_get_string(field_schema, "type");
				add_issue(
					issues, field_path, FALSE,
					"required field is missing; add it (%s)",
					g_strcmp0(type, "object") == 0 &&
							ferry_json_get_object(field_schema,
									      "properties") !=
								NULL &&
							json_object_has_member(
								ferry_json_get_object(field_schema,
										      "properties"),
								"name")
						? "a reference: {name: …}"
						: expected_name(type));
			}
		}
	}
	json_object_iter_init(&iter, object);
	while (json_object_iter_next(&iter, &name, &member)) {
		g_autofree char *member_path = ferry_yaml_path_append_member(path, name);
		JsonObject *member_schema = ferry_json_get_object(properties, name);
		if (member_schema != NULL)
			validate_node(self, member_schema, member, member_path, issues, depth + 1);
		else if (additional != NULL)
			validate_node(self, additional, member, member_path, issues, depth + 1);
		else if (!preserve)
			add_issue(issues, member_path, TRUE,
				  "unknown field; it is kept but Ferry does not use it (check its "
				  "spelling)");
	}
}

static void
validate_node(FerrySchema *self, JsonObject *schema, JsonNode *node, const char *path,
	      GPtrArray *issues, guint depth)
{
	const char *type;
	JsonNode *enumeration;

	schema = ferry_schema_resolve(self, schema);
	if (schema == NULL || depth > 64)
		return;
	/* like Kubernetes, null stands for "not set" */
	if (JSON_NODE_HOLDS_NULL(node))
		return;
	if (ferry_json_get_true(schema, "x-kubernetes-int-or-string")) {
		if (!type_matches("integer", node) && !type_matches("string", node)) {
			g_autofree char *value = quote_value(self, node);
			add_issue(issues, path, FALSE, "expected an integer or a string, got %s %s",
				  node_type_name(node), value);
		}
		return;
	}
	type = ferry_json_get_string(schema, "type");
	if (!type_matches(type, node)) {
		g_autofree char *value = quote_value(self, node);
		add_issue(issues, path, FALSE, "expected %s, got %s %s", expected_name(type),
			  node_type_name(node), value);
		return;
	}
	enumeration = json_object_get_member(schema, "enum");
	if (enumeration != NULL && JSON_NODE_HOLDS_ARRAY(enumeration)) {
		JsonArray *values = json_node_get_array(enumeration);
		gboolean found = FALSE;
		g_autoptr(GString) choices = g_string_new(NULL);
		for (guint i = 0; i < json_array_get_length(values); i++) {
			JsonNode *choice = json_array_get_element(values, i);
			g_autofree char *text = json_to_string(choice, FALSE);
			found = found || json_node_equal(choice, node);
			g_string_append_printf(choices, "%s%s", i > 0 ? ", " : "", text);
		}
		if (!found) {
			g_autofree char *value = quote_value(self, node);
			add_issue(issues, path, FALSE, "unsupported value %s; use one of %s", value,
				  choices->str);
			return;
		}
	}
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		const char *text = json_node_get_string(node);
		const char *pattern = ferry_json_get_string(schema, "pattern");
		const char *format = ferry_json_get_string(schema, "format");
		JsonNode *max_length = json_object_get_member(schema, "maxLength");
		if (max_length != NULL && JSON_NODE_HOLDS_VALUE(max_length) &&
		    g_utf8_strlen(text, -1) > json_node_get_int(max_length))
			add_issue(issues, path, FALSE,
				  "too long: at most %" G_GINT64_FORMAT " characters",
				  json_node_get_int(max_length));
		if (pattern != NULL) {
			GRegex *regex = get_regex(self, pattern);
			if (regex != NULL && !g_regex_match(regex, text, 0, NULL)) {
				g_autofree char *value = quote_value(self, node);
				add_issue(issues, path, FALSE, "%s does not match the pattern '%s'",
					  value, pattern);
			}
		}
		if (g_strcmp0(format, "date-time") == 0) {
			g_autoptr(GDateTime) time = g_date_time_new_from_iso8601(text, NULL);
			if (time == NULL) {
				g_autofree char *value = quote_value(self, node);
				add_issue(issues, path, FALSE,
					  "%s is not a time; write it as RFC 3339, such as "
					  "2026-01-31T22:00:00Z",
					  value);
			}
		}
	}
	if (JSON_NODE_HOLDS_OBJECT(node))
		validate_object(self, schema, json_node_get_object(node), path, issues, depth);
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonObject *items = ferry_json_get_object(schema, "items");
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; items != NULL && i < json_array_get_length(array); i++) {
			g_autofree char *item_path = ferry_yaml_path_append_index(path, i);
			validate_node(self, items, json_array_get_element(array, i), item_path,
				      issues, depth + 1);
		}
	}
}

static void
apply_defaults(FerrySchema *self, JsonObject *schema, JsonNode *node, guint depth)
{
	JsonObject *properties;
	JsonObjectIter iter;
	const char *name;
	JsonNode *property;

	schema = ferry_schema_resolve(self, schema);
	if (schema == NULL || depth > 64)
		return;
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonObject *items = ferry_json_get_object(schema, "items");
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; items != NULL && i < json_array_get_length(array); i++)
			apply_defaults(self, items, json_array_get_element(array, i), depth + 1);
		return;
	}
	if (!JSON_NODE_HOLDS_OBJECT(node))
		return;
	properties = ferry_json_get_object(schema, "properties");
	if (properties == NULL)
		return;
	json_object_iter_init(&iter, properties);
	while (json_object_iter_next(&iter, &name, &property)) {
		JsonObject *property_schema;
		JsonNode *value = json_object_get_member(json_node_get_object(node), name);
		JsonNode *default_value;
		if (!JSON_NODE_HOLDS_OBJECT(property))
			continue;
		property_schema = ferry_schema_resolve(self, json_node_get_object(property));
		default_value = property_schema != NULL
					? json_object_get_member(property_schema, "default")
					: NULL;
		if ((value == NULL || JSON_NODE_HOLDS_NULL(value)) && default_value != NULL)
			json_object_set_member(json_node_get_object(node), name,
					       json_node_copy(default_value));
		else if (value != NULL)
			apply_defaults(self, property_schema, value, depth + 1);
	}
}

void
ferry_schema_apply_defaults(FerrySchema *self, JsonNode *document)
{
	JsonObject *root;
	JsonNode *spec;
	g_autoptr(GMutexLocker) locker = NULL;

	g_return_if_fail(FERRY_IS_SCHEMA(self));
	if (!JSON_NODE_HOLDS_OBJECT(document))
		return;
	root = json_node_get_object(document);
	spec = json_object_get_member(root, "spec");
	if (spec == NULL || g_strcmp0(ferry_json_get_string(root, "kind"), "Secret") == 0)
		return;
	locker = g_mutex_locker_new(&self->lock);
	apply_defaults(self,
		       ferry_schema_get_kind_schema(self, ferry_json_get_string(root, "kind")),
		       spec, 0);
}

void
ferry_schema_validate_node(FerrySchema *self, JsonObject *schema, JsonNode *node, const char *path,
			   GPtrArray *issues)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	validate_node(self, schema, node, path, issues, 0);
}

static void
validate_string_map(JsonObject *object, const char *member, const char *path, GPtrArray *issues)
{
	JsonNode *node = json_object_get_member(object, member);
	g_autofree char *map_path = ferry_yaml_path_append_member(path, member);
	JsonObjectIter iter;
	const char *name;
	JsonNode *value;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		add_issue(issues, map_path, FALSE, "expected a mapping of strings, got %s",
			  node_type_name(node));
		return;
	}
	json_object_iter_init(&iter, json_node_get_object(node));
	while (json_object_iter_next(&iter, &name, &value)) {
		if (!type_matches("string", value)) {
			g_autofree char *value_path = ferry_yaml_path_append_member(map_path, name);
			add_issue(issues, value_path, FALSE, "expected a string, got %s; quote it",
				  node_type_name(value));
		}
	}
}

static void
validate_metadata(JsonObject *root, GPtrArray *issues)
{
	JsonNode *node = json_object_get_member(root, "metadata");
	JsonObject *metadata;
	const char *name;
	const char *name_space;
	JsonObjectIter iter;
	const char *member;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		add_issue(issues, "metadata", FALSE,
			  node == NULL ? "required field is missing; give at least metadata.name"
				       : "expected a mapping");
		return;
	}
	metadata = json_node_get_object(node);
	name = ferry_json_get_string(metadata, "name");
	if (name == NULL)
		add_issue(issues, "metadata.name", FALSE, "required field is missing");
	else if (!ferry_naming_is_dns1123_subdomain(name))
		add_issue(issues, "metadata.name", FALSE,
			  "'%s' is not a valid name: use lowercase letters, digits, '-' and '.', "
			  "starting and ending with a letter or digit (a DNS-1123 subdomain)",
			  name);
	name_space = ferry_json_get_string(metadata, "namespace");
	if (json_object_has_member(metadata, "namespace") &&
	    (name_space == NULL || !ferry_naming_is_dns1123_label(name_space)))
		add_issue(issues, "metadata.namespace", FALSE,
			  "not a valid namespace: use lowercase letters, digits and '-' (a "
			  "DNS-1123 label)");
	validate_string_map(metadata, "labels", "metadata", issues);
	validate_string_map(metadata, "annotations", "metadata", issues);
	json_object_iter_init(&iter, metadata);
	while (json_object_iter_next(&iter, &member, &node)) {
		const char *const known[] = {"name",
					     "namespace",
					     "labels",
					     "annotations",
					     "uid",
					     "generation",
					     "resourceVersion",
					     "creationTimestamp",
					     "finalizers",
					     "ownerReferences",
					     "managedFields",
					     "generateName",
					     "deletionTimestamp",
					     "selfLink",
					     NULL};
		if (!g_strv_contains(known, member)) {
			g_autofree char *path = ferry_yaml_path_append_member("metadata", member);
			add_issue(issues, path, TRUE, "unknown field; it is kept but ignored");
		}
	}
}

void
ferry_schema_validate(FerrySchema *self, JsonNode *document, GPtrArray *issues)
{
	JsonObject *root;
	const char *kind;
	JsonObject *schema;
	JsonObjectIter iter;
	const char *member;
	JsonNode *node;
	g_autoptr(GMutexLocker) locker = NULL;

	g_return_if_fail(FERRY_IS_SCHEMA(self));
	/* the schema is shared: its regex cache and hide_values are guarded */
	locker = g_mutex_locker_new(&self->lock);
	if (!JSON_NODE_HOLDS_OBJECT(document)) {
		add_issue(issues, "", FALSE,
			  "a resource must be a mapping with apiVersion, kind, metadata and spec");
		return;
	}
	root = json_node_get_object(document);
	kind = ferry_json_get_string(root, "kind");
	if (kind == NULL) {
		add_issue(issues, "kind", FALSE,
			  "required field is missing; set it to Provider, Secret, Host, "
			  "NetworkMap, StorageMap, Plan, Migration, Hook or ForkliftController");
		return;
	}
	if (ferry_json_get_object(self->kinds, kind) == NULL) {
		add_issue(issues, "kind", FALSE,
			  "'%s' is not a kind Ferry knows; use Provider, Secret, Host, "
			  "NetworkMap, StorageMap, Plan, Migration, Hook or ForkliftController",
			  kind);
		return;
	}
	{
		const char *want = ferry_json_get_string(ferry_json_get_object(self->kinds, kind),
							 "apiVersion");
		const char *api_version = ferry_json_get_string(root, "apiVersion");
		if (g_strcmp0(api_version, want) != 0)
			add_issue(issues, "apiVersion", FALSE, "%s%s%s for %s; use %s",
				  api_version != NULL ? "'" : "",
				  api_version != NULL ? api_version : "required field is missing",
				  api_version != NULL ? "' is not valid" : "", kind, want);
	}
	validate_metadata(root, issues);
	schema = ferry_schema_get_kind_schema(self, kind);
	if (g_strcmp0(kind, "Secret") == 0) {
		JsonObject *copy = json_object_new();
		json_object_iter_init(&iter, root);
		while (json_object_iter_next(&iter, &member, &node)) {
			if (g_strcmp0(member, "apiVersion") != 0 &&
			    g_strcmp0(member, "kind") != 0 && g_strcmp0(member, "metadata") != 0)
				json_object_set_member(copy, member, json_node_ref(node));
		}
		{
			g_autoptr(JsonNode) wrapped = json_node_new(JSON_NODE_OBJECT);
			json_node_take_object(wrapped, copy);
			self->hide_values = TRUE;
			validate_node(self, schema, wrapped, "", issues, 0);
			self->hide_values = FALSE;
		}
		return;
	}
	node = json_object_get_member(root, "spec");
	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		JsonNode *required = json_object_get_member(schema, "required");
		if (required != NULL && JSON_NODE_HOLDS_ARRAY(required) &&
		    json_array_get_length(json_node_get_array(required)) > 0)
			add_issue(issues, "spec", FALSE, "required field is missing");
	} else {
		validate_node(self, schema, node, "spec", issues, 0);
	}
	json_object_iter_init(&iter, root);
	while (json_object_iter_next(&iter, &member, &node)) {
		if (g_strcmp0(member, "apiVersion") != 0 && g_strcmp0(member, "kind") != 0 &&
		    g_strcmp0(member, "metadata") != 0 && g_strcmp0(member, "spec") != 0 &&
		    g_strcmp0(member, "status") != 0)
			add_issue(issues, member, TRUE, "unknown field; it is kept but ignored");
	}
}

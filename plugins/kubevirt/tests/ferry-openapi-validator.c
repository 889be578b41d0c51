/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: validates a manifest against the real KubeVirt and CDI API
 * schemas, as `kubectl apply --validate=strict` would. It reads Swagger 2.0
 * documents (swagger.json: `#/definitions/...`) and the OpenAPI v3 schema of
 * a CRD (`openAPIV3Schema`), and implements the subset they use: $ref, type
 * (also lists such as ["string", "null"]), nullable, required, properties,
 * additionalProperties, items, enum, pattern, format int32/int64, minimum,
 * maximum, minLength, maxLength, minItems, maxItems, anyOf/allOf/oneOf,
 * x-kubernetes-int-or-string and x-kubernetes-preserve-unknown-fields.
 * Quantities are checked against the Kubernetes grammar. Like strict field
 * validation, a member that an object's schema does not declare is an error.
 */

#include <string.h>

#include "ferry-openapi-validator.h"
#include "ferry-test-yaml.h"

#define QUANTITY_PATTERN                                                                           \
	"^[+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\\.[" \
	"0-9]*)?)|(\\.[0-9]+))))?$"

struct _FerryOpenapiValidator {
	JsonNode *document; /* keeps the schemas alive */
	JsonObject *definitions;
	JsonObject *root; /* a CRD's openAPIV3Schema */
};

typedef struct {
	FerryOpenapiValidator *validator;
	GPtrArray *problems;
	guint depth;
} Run;

void
ferry_openapi_validator_free(FerryOpenapiValidator *self)
{
	if (self == NULL)
		return;
	json_node_unref(self->document);
	g_free(self);
}

FerryOpenapiValidator *
ferry_openapi_validator_new_for_swagger(const char *path, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	FerryOpenapiValidator *self;
	JsonNode *root;

	if (!json_parser_load_from_file(parser, path, error))
		return NULL;
	root = json_parser_get_root(parser);
	if (!JSON_NODE_HOLDS_OBJECT(root) ||
	    !json_object_has_member(json_node_get_object(root), "definitions")) {
		g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
			    "%s is not a Swagger 2.0 document", path);
		return NULL;
	}
	self = g_new0(FerryOpenapiValidator, 1);
	self->document = json_node_ref(root);
	self->definitions =
		json_object_get_object_member(json_node_get_object(root), "definitions");
	return self;
}

FerryOpenapiValidator *
ferry_openapi_validator_new_for_crd(JsonNode *crd, const char *version, GError **error)
{
	JsonObject *spec;
	JsonArray *versions;

	spec = JSON_NODE_HOLDS_OBJECT(crd)
		       ? json_object_get_object_member(json_node_get_object(crd), "spec")
		       : NULL;
	versions = spec != NULL ? json_object_get_array_member(spec, "versions") : NULL;
	for (guint i = 0; versions != NULL && i < json_array_get_length(versions); i++) {
		JsonObject *entry = json_array_get_object_element(versions, i);
		JsonObject *schema;
		FerryOpenapiValidator *self;

		if (g_strcmp0(json_object_get_string_member(entry, "name"), version) != 0)
			continue;
		schema = json_object_get_object_member(entry, "schema");
		if (schema == NULL || !json_object_has_member(schema, "openAPIV3Schema"))
			break;
		self = g_new0(FerryOpenapiValidator, 1);
		self->document = json_node_ref(crd);
		self->root = json_object_get_object_member(schema, "openAPIV3Schema");
		return self;
	}
	g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
		    "the CRD has no openAPIV3Schema for version %s", version);
	return NULL;
}

G_GNUC_PRINTF(3, 4)
static void
problem(Run *run, const char *path, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_ptr_array_add(run->problems, g_strdup_printf("%s: %s", *path ? path : ".", message));
}

static const char *
node_kind(JsonNode *node)
{
	GType type;
	if (JSON_NODE_HOLDS_OBJECT(node))
		return "object";
	if (JSON_NODE_HOLDS_ARRAY(node))
		return "array";
	if (JSON_NODE_HOLDS_NULL(node))
		return "null";
	type = json_node_get_value_type(node);
	if (type == G_TYPE_STRING)
		return "string";
	if (type == G_TYPE_BOOLEAN)
		return "boolean";
	if (type == G_TYPE_INT64)
		return "integer";
	return "number";
}

static gboolean
type_accepts(const char *type, JsonNode *node)
{
	const char *kind = node_kind(node);
	if (g_strcmp0(type, kind) == 0)
		return TRUE;
	/* an integer is a number too */
	return g_strcmp0(type, "number") == 0 && g_strcmp0(kind, "integer") == 0;
}

static gboolean
check_type(Run *run, JsonObject *schema, JsonNode *node, const char *path)
{
	JsonNode *type = json_object_get_member(schema, "type");
	g_autoptr(GString) wanted = g_string_new(NULL);

	if (JSON_NODE_HOLDS_NULL(node)) {
		if (json_object_get_boolean_member_with_default(schema, "nullable", FALSE))
			return TRUE;
	}
	if (type == NULL) {
		if (!JSON_NODE_HOLDS_NULL(node))
			return TRUE;
		problem(run, path, "null is not allowed here");
		return FALSE;
	}
	if (JSON_NODE_HOLDS_ARRAY(type)) {
		JsonArray *types = json_node_get_array(type);
		for (guint i = 0; i < json_array_get_length(types); i++) {
			const char *name = json_array_get_string_element(types, i);
			if (type_accepts(name, node))
				return TRUE;
			g_string_append_printf(wanted, "%s%s", i > 0 ? " or " : "", name);
		}
	} else {
		if (type_accepts(json_node_get_string(type), node))
			return TRUE;
		g_string_append(wanted, json_node_get_string(type));
	}
	problem(run, path, "expected %s, got %s", wanted->str, node_kind(node));
	return FALSE;
}

static void validate(Run *run, JsonObject *schema, JsonNode *node, const char *path);

static JsonObject *
resolve_ref(Run *run, const char *ref, const char *path, const char **definition)
{
	const char *prefix = "#/definitions/";
	JsonObject *target = NULL;

	if (run->validator->definitions != NULL && g_str_has_prefix(ref, prefix)) {
		*definition = ref + strlen(prefix);
		if (json_object_has_member(run->validator->definitions, *definition))
			target = json_object_get_object_member(run->validator->definitions,
							       *definition);
	}
	if (target == NULL)
		problem(run, path, "the schema reference %s cannot be resolved", ref);
	return target;
}

static gboolean
is_quantity_definition(const char *definition)
{
	return definition != NULL && g_str_has_suffix(definition, "resource.Quantity");
}

static void
validate_object(Run *run, JsonObject *schema, JsonObject *object, const char *path)
{
	JsonObject *properties = json_object_has_member(schema, "properties")
				     ? json_object_get_object_member(schema, "properties")
				     : NULL;
	JsonNode *additional = json_object_get_member(schema, "additionalProperties");
	gboolean preserve = json_object_get_boolean_member_with_default(
	    schema, "x-kubernetes-preserve-unknown-fields", FALSE);
	JsonArray *required = json_object_has_member(schema, "required")
				  ? json_object_get_array_member(schema, "required")
				  : NULL;
	g_autoptr(GList) members = json_object_get_members(object);

	for (guint i = 0; required != NULL && i < json_array_get_length(required); i++) {
		const char *name = json_array_get_string_element(required, i);
		if (!json_object_has_member(object, name))
			problem(run, path, "the required member '%s' is missing", name);
	}
	for (GList *l = members; l != NULL; l = l->next) {
		const char *name = l->data;
		JsonNode *value = json_object_get_member(object, name);
		g_autofree char *child = g_strdup_printf("%s.%s", path, name);

		if (properties != NULL && json_object_has_member(properties, name)) {
			validate(run, json_object_get_object_member(properties, name), value,
				 child);
		} else if (additional != NULL && JSON_NODE_HOLDS_OBJECT(additional)) {
			validate(run, json_node_get_object(additional), value, child);
		} else if (additional != NULL && JSON_NODE_HOLDS_VALUE(additional) &&
			   json_node_get_boolean(additional)) {
			continue;
		} else if (!preserve && (properties != NULL || additional != NULL)) {
			/* strict field validation: an undeclared member is rejected */
			problem(run, path, "unknown member '%s'", name);
		}
	}
}

static void
validate_value(Run *run, JsonObject *schema, JsonNode *node, const char *path)
{
	const char *format = json_object_get_string_member_with_default(schema, "format", NULL);
	const char *pattern = json_object_get_string_member_with_default(schema, "pattern", NULL);
	JsonArray *choices = json_object_has_member(schema, "enum")
				 ? json_object_get_array_member(schema, "enum")
				 : NULL;

	if (choices != NULL) {
		gboolean found = FALSE;
		for (guint i = 0; !found && i < json_array_get_length(choices); i++)
			found = json_node_equal(json_array_get_element(choices, i), node);
		if (!found) {
			g_autofree char *text = json_to_string(node, FALSE);
			problem(run, path, "%s is not one of the allowed values", text);
		}
	}
	if (json_node_get_value_type(node) == G_TYPE_STRING) {
		const char *text = json_node_get_string(node);
		glong length = g_utf8_strlen(text, -1);
		if (pattern != NULL && !g_regex_match_simple(pattern, text, 0, 0))
			problem(run, path, "'%s' does not match %s", text, pattern);
		if (json_object_has_member(schema, "maxLength") &&
		    length > json_object_get_int_member(schema, "maxLength"))
			problem(run, path, "'%s' is longer than %" G_GINT64_FORMAT, text,
				json_object_get_int_member(schema, "maxLength"));
		if (json_object_has_member(schema, "minLength") &&
		    length < json_object_get_int_member(schema, "minLength"))
			problem(run, path, "'%s' is shorter than %" G_GINT64_FORMAT, text,
				json_object_get_int_member(schema, "minLength"));
	}
	if (json_node_get_value_type(node) == G_TYPE_INT64) {
		gint64 value = json_node_get_int(node);
		if (g_strcmp0(format, "int32") == 0 && (value < G_MININT32 || value > G_MAXINT32))
			problem(run, path, "%" G_GINT64_FORMAT " does not fit in int32", value);
		if (json_object_has_member(schema, "minimum") &&
		    value < json_object_get_int_member(schema, "minimum"))
			problem(run, path, "%" G_GINT64_FORMAT " is below the minimum", value);
		if (json_object_has_member(schema, "maximum") &&
		    value > json_object_get_int_member(schema, "maximum"))
			problem(run, path, "%" G_GINT64_FORMAT " is above the maximum", value);
	}
}

static void
validate_combined(Run *run, JsonObject *schema, JsonNode *node, const char *path)
{
	static const char *const keywords[] = {"anyOf", "oneOf", "allOf"};
	for (guint k = 0; k < G_N_ELEMENTS(keywords); k++) {
		JsonArray *options;
		guint passed = 0;
		if (!json_object_has_member(schema, keywords[k]))
			continue;
		options = json_object_get_array_member(schema, keywords[k]);
		for (guint i = 0; i < json_array_get_length(options); i++) {
			Run inner = {run->validator, g_ptr_array_new_with_free_func(g_free),
				     run->depth};
			validate(&inner, json_array_get_object_element(options, i), node, path);
			if (inner.problems->len == 0)
				passed++;
			else if (k == 2)
				g_ptr_array_extend_and_steal(run->problems,
							     g_steal_pointer(&inner.problems));
			if (inner.problems != NULL)
				g_ptr_array_unref(inner.problems);
		}
		if ((k == 0 && passed == 0) || (k == 1 && passed != 1))
			problem(run, path, "the value matches %u of the %s alternatives", passed,
				keywords[k]);
	}
}

static void
validate(Run *run, JsonObject *schema, JsonNode *node, const char *path)
{
	const char *definition = NULL;
	const char *ref = json_object_get_string_member_with_default(schema, "$ref", NULL);

	if (++run->depth > 64) {
		problem(run, path, "the schema nests too deeply");
		run->depth--;
		return;
	}
	if (ref != NULL) {
		schema = resolve_ref(run, ref, path, &definition);
		if (schema == NULL) {
			run->depth--;
			return;
		}
	}
	if (json_object_get_boolean_member_with_default(schema, "x-kubernetes-int-or-string",
							FALSE)) {
		if (!type_accepts("integer", node) && !type_accepts("string", node))
			problem(run, path, "expected an integer or a string, got %s",
				node_kind(node));
	} else if (!check_type(run, schema, node, path)) {
		run->depth--;
		return;
	}
	validate_combined(run, schema, node, path);
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		validate_object(run, schema, json_node_get_object(node), path);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);
		guint length = json_array_get_length(array);
		if (json_object_has_member(schema, "maxItems") &&
		    length > json_object_get_int_member(schema, "maxItems"))
			problem(run, path, "more than %" G_GINT64_FORMAT " items",
				json_object_get_int_member(schema, "maxItems"));
		if (json_object_has_member(schema, "minItems") &&
		    length < json_object_get_int_member(schema, "minItems"))
			problem(run, path, "fewer than %" G_GINT64_FORMAT " items",
				json_object_get_int_member(schema, "minItems"));
		for (guint i = 0; json_object_has_member(schema, "items") && i < length; i++) {
			g_autofree char *child = g_strdup_printf("%s[%u]", path, i);
			validate(run, json_object_get_object_member(schema, "items"),
				 json_array_get_element(array, i), child);
		}
	} else if (JSON_NODE_HOLDS_VALUE(node)) {
		validate_value(run, schema, node, path);
		if (is_quantity_definition(definition) &&
		    json_node_get_value_type(node) == G_TYPE_STRING &&
		    !g_regex_match_simple(QUANTITY_PATTERN, json_node_get_string(node), 0, 0))
			problem(run, path, "'%s' is not a quantity", json_node_get_string(node));
	}
	run->depth--;
}

/*
 * ferry_openapi_validator_validate:
 * @definition: (nullable): the definition name in a Swagger document, such
 *   as `v1.VirtualMachine`; %NULL for a CRD
 *
 * Returns: (transfer full): the problems found, one string each with the
 *   JSON path; empty when @document is valid
 */
GPtrArray *
ferry_openapi_validator_validate(FerryOpenapiValidator *self,
				 const char *definition,
				 JsonNode *document)
{
	Run run = {self, g_ptr_array_new_with_free_func(g_free), 0};
	JsonObject *schema = self->root;

	if (definition != NULL) {
		schema = self->definitions != NULL &&
				 json_object_has_member(self->definitions, definition)
			     ? json_object_get_object_member(self->definitions, definition)
			     : NULL;
		if (schema == NULL) {
			problem(&run, "", "no definition %s", definition);
			return run.problems;
		}
	}
	validate(&run, schema, document, "");
	return run.problems;
}

char *
ferry_openapi_validator_describe(GPtrArray *problems)
{
	g_autoptr(GString) text = g_string_new(NULL);
	for (guint i = 0; i < problems->len; i++)
		g_string_append_printf(text, "\n  %s",
				       (const char *)g_ptr_array_index(problems, i));
	return g_string_free(g_steal_pointer(&text), FALSE);
}

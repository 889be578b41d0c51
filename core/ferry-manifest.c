/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-manifest.h"
#include "ferry-naming.h"
#include "ferry-resource-kinds.h"
#include "ferry-schema-private.h"
#include "ferry-yaml.h"

/*
 * Reading manifests: YAML or JSON files (or a `kind: List`) are parsed,
 * every document is checked against Ferry's schema of the Forklift kinds
 * and against the naming rules, and turned into FerryResource objects.
 * Every problem in every document is reported, each as
 * `FILE:LINE:COL: Kind/name: field.path: what is wrong`; when there is any,
 * no resource is returned, so nothing is half-applied.
 */

#define MAX_REPORTED 50

typedef struct {
	FerrySchema *schema;
	const char *name_space;
	GPtrArray *resources;
	GPtrArray *errors;   /* of char* */
	GPtrArray *warnings; /* of char* */
} Loader;

static char *
display_name(JsonNode *node)
{
	JsonObject *root = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	JsonNode *metadata = root != NULL ? json_object_get_member(root, "metadata") : NULL;
	const char *kind = ferry_json_get_string(root, "kind");
	const char *name = NULL;
	const char *name_space = NULL;
	if (metadata != NULL && JSON_NODE_HOLDS_OBJECT(metadata)) {
		name = ferry_json_get_string(json_node_get_object(metadata), "name");
		name_space = ferry_json_get_string(json_node_get_object(metadata), "namespace");
	}
	if (name_space != NULL && g_strcmp0(name_space, "default") != 0)
		return g_strdup_printf("%s/%s/%s", kind != NULL ? kind : "(no kind)", name_space,
				       name != NULL ? name : "(no name)");
	return g_strdup_printf("%s/%s", kind != NULL ? kind : "(no kind)",
			       name != NULL ? name : "(no name)");
}

static void
report(Loader *loader, FerryYamlDocument *document, const char *prefix, JsonNode *node,
       const char *path, gboolean warning, const char *message)
{
	g_autofree char *full_path = NULL;
	g_autofree char *where = NULL;
	g_autofree char *who = display_name(node);
	GPtrArray *into = warning ? loader->warnings : loader->errors;

	if (prefix != NULL && prefix[0] != '\0')
		full_path = path[0] == '\0'  ? g_strdup(prefix)
			    : path[0] == '[' ? g_strconcat(prefix, path, NULL)
					     : g_strconcat(prefix, ".", path, NULL);
	else
		full_path = g_strdup(path);
	where = ferry_yaml_document_format_location(document, full_path);
	if (into->len == MAX_REPORTED) {
		g_ptr_array_add(into, g_strdup("… and more"));
		return;
	}
	if (into->len > MAX_REPORTED)
		return;
	if (path[0] == '\0')
		g_ptr_array_add(into, g_strdup_printf("%s: %s: %s", where, who, message));
	else
		g_ptr_array_add(into, g_strdup_printf("%s: %s: %s: %s", where, who, path, message));
}

static void
check_template(Loader *loader, FerryYamlDocument *document, const char *prefix, JsonNode *node,
	       JsonObject *object, const char *object_path, const char *member,
	       FerryNameTemplateKind kind)
{
	const char *text = ferry_json_get_string(object, member);
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	if (text == NULL || text[0] == '\0')
		return;
	if (ferry_naming_validate_template(kind, text, &error))
		return;
	path = ferry_yaml_path_append_member(object_path, member);
	report(loader, document, prefix, node, path, FALSE, error->message);
}

/* Forklift's plan-time checks of names: templates and target names */
static void
check_plan_names(Loader *loader, FerryYamlDocument *document, const char *prefix, JsonNode *node)
{
	JsonNode *spec_node = json_object_get_member(json_node_get_object(node), "spec");
	JsonObject *spec;
	JsonNode *vms;

	if (spec_node == NULL || !JSON_NODE_HOLDS_OBJECT(spec_node))
		return;
	spec = json_node_get_object(spec_node);
	check_template(loader, document, prefix, node, spec, "spec", "pvcNameTemplate",
		       FERRY_NAME_TEMPLATE_PVC);
	check_template(loader, document, prefix, node, spec, "spec", "volumeNameTemplate",
		       FERRY_NAME_TEMPLATE_VOLUME);
	check_template(loader, document, prefix, node, spec, "spec", "networkNameTemplate",
		       FERRY_NAME_TEMPLATE_NETWORK);
	vms = json_object_get_member(spec, "vms");
	if (vms == NULL || !JSON_NODE_HOLDS_ARRAY(vms))
		return;
	for (guint i = 0; i < json_array_get_length(json_node_get_array(vms)); i++) {
		JsonNode *vm_node = json_array_get_element(json_node_get_array(vms), i);
		g_autofree char *vm_path = g_strdup_printf("spec.vms[%u]", i);
		JsonObject *vm;
		const char *target;
		if (!JSON_NODE_HOLDS_OBJECT(vm_node))
			continue;
		vm = json_node_get_object(vm_node);
		check_template(loader, document, prefix, node, vm, vm_path, "pvcNameTemplate",
			       FERRY_NAME_TEMPLATE_PVC);
		check_template(loader, document, prefix, node, vm, vm_path, "volumeNameTemplate",
			       FERRY_NAME_TEMPLATE_VOLUME);
		check_template(loader, document, prefix, node, vm, vm_path, "networkNameTemplate",
			       FERRY_NAME_TEMPLATE_NETWORK);
		target = ferry_json_get_string(vm, "targetName");
		if (target != NULL) {
			g_autoptr(GError) error = NULL;
			if (!ferry_naming_validate_target_name(target, &error)) {
				g_autofree char *path = g_strdup_printf("%s.targetName", vm_path);
				report(loader, document, prefix, node, path, FALSE, error->message);
			}
		}
		{
			JsonNode *hooks = json_object_get_member(vm, "hooks");
			for (guint h = 0; hooks != NULL && JSON_NODE_HOLDS_ARRAY(hooks) &&
					  h < json_array_get_length(json_node_get_array(hooks));
			     h++) {
				JsonNode *hook =
					json_array_get_element(json_node_get_array(hooks), h);
				const char *step =
					JSON_NODE_HOLDS_OBJECT(hook)
						? ferry_json_get_string(json_node_get_object(hook),
									"step")
						: NULL;
				if (step != NULL && g_strcmp0(step, "PreHook") != 0 &&
				    g_strcmp0(step, "PostHook") != 0) {
					g_autofree char *path =
						g_strdup_printf("%s.hooks[%u].step", vm_path, h);
					report(loader, document, prefix, node, path, FALSE,
					       "unsupported step; use PreHook or PostHook");
				}
			}
		}
	}
}

/* data values must be base64; the message never shows the value */
static void
check_secret_data(Loader *loader, FerryYamlDocument *document, const char *prefix, JsonNode *node)
{
	JsonNode *data = json_object_get_member(json_node_get_object(node), "data");
	JsonObjectIter iter;
	const char *key;
	JsonNode *value;
	if (data == NULL || !JSON_NODE_HOLDS_OBJECT(data))
		return;
	json_object_iter_init(&iter, json_node_get_object(data));
	while (json_object_iter_next(&iter, &key, &value)) {
		const char *text;
		gboolean ok = TRUE;
		gsize length = 0;
		if (!JSON_NODE_HOLDS_VALUE(value) ||
		    json_node_get_value_type(value) != G_TYPE_STRING)
			continue;
		text = json_node_get_string(value);
		for (const char *p = text; *p != '\0'; p++) {
			if (g_ascii_isspace(*p))
				continue;
			if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=')
				ok = FALSE;
			length++;
		}
		if (!ok || length % 4 != 0) {
			g_autofree char *path = ferry_yaml_path_append_member("data", key);
			report(loader, document, prefix, node, path, FALSE,
			       "not valid base64 (the value is not shown); encode it with "
			       "'base64 -w0', or put plain text under stringData");
		}
	}
}

static void
load_resource(Loader *loader, FerryYamlDocument *document, const char *prefix, JsonNode *node)
{
	g_autoptr(GPtrArray) issues =
		g_ptr_array_new_with_free_func((GDestroyNotify)ferry_schema_issue_free);
	guint errors_before = loader->errors->len;
	JsonObject *root;
	const char *kind;

	ferry_schema_validate(loader->schema, node, issues);
	for (guint i = 0; i < issues->len; i++) {
		FerrySchemaIssue *issue = g_ptr_array_index(issues, i);
		report(loader, document, prefix, node, issue->path, issue->warning, issue->message);
	}
	if (!JSON_NODE_HOLDS_OBJECT(node))
		return;
	root = json_node_get_object(node);
	kind = ferry_json_get_string(root, "kind");
	if (g_strcmp0(kind, "Plan") == 0)
		check_plan_names(loader, document, prefix, node);
	if (g_strcmp0(kind, "Secret") == 0)
		check_secret_data(loader, document, prefix, node);
	if (loader->name_space != NULL) {
		JsonNode *metadata = json_object_get_member(root, "metadata");
		const char *name_space =
			metadata != NULL && JSON_NODE_HOLDS_OBJECT(metadata)
				? ferry_json_get_string(json_node_get_object(metadata), "namespace")
				: NULL;
		if (name_space != NULL && g_strcmp0(name_space, loader->name_space) != 0) {
			g_autofree char *message =
				g_strdup_printf("'%s' does not match the namespace given with -n "
						"('%s'); remove one",
						name_space, loader->name_space);
			report(loader, document, prefix, node, "metadata.namespace", FALSE,
			       message);
		}
	}
	if (loader->errors->len == errors_before) {
		g_autoptr(GError) error = NULL;
		FerryResource *resource = ferry_resource_new_from_json(
			node, loader->name_space != NULL ? loader->name_space : "default", &error);
		if (resource == NULL) {
			report(loader, document, prefix, node, "", FALSE, error->message);
		} else {
			ferry_schema_apply_defaults(loader->schema,
						    ferry_resource_get_json(resource));
			g_ptr_array_add(loader->resources, resource);
		}
	}
}

static void
load_document(Loader *loader, FerryYamlDocument *document)
{
	JsonNode *root = ferry_yaml_document_get_root(document);
	JsonObject *object = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	JsonNode *items = object != NULL ? json_object_get_member(object, "items") : NULL;

	/* `kubectl get -o yaml` of several objects gives a List */
	if (object != NULL && g_strcmp0(ferry_json_get_string(object, "kind"), "List") == 0 &&
	    items != NULL && JSON_NODE_HOLDS_ARRAY(items)) {
		for (guint i = 0; i < json_array_get_length(json_node_get_array(items)); i++) {
			g_autofree char *prefix = g_strdup_printf("items[%u]", i);
			load_resource(loader, document, prefix,
				      json_array_get_element(json_node_get_array(items), i));
		}
		return;
	}
	load_resource(loader, document, NULL, root);
}

static gboolean
loader_finish(Loader *loader, GPtrArray **warnings, GError **error)
{
	if (warnings != NULL)
		*warnings = g_ptr_array_ref(loader->warnings);
	if (loader->errors->len > 0) {
		g_autoptr(GString) message = g_string_new(NULL);
		guint count = MIN(loader->errors->len, MAX_REPORTED);
		g_string_append_printf(message,
				       "%u %s in the manifests; nothing was applied:", count,
				       count == 1 ? "error" : "errors");
		for (guint i = 0; i < loader->errors->len; i++)
			g_string_append_printf(message, "\n%s",
					       (const char *)g_ptr_array_index(loader->errors, i));
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, message->str);
		return FALSE;
	}
	return TRUE;
}

static gboolean
loader_init(Loader *loader, const char *name_space, GError **error)
{
	memset(loader, 0, sizeof(*loader));
	loader->schema = ferry_schema_get_default(error);
	if (loader->schema == NULL)
		return FALSE;
	loader->name_space = name_space;
	loader->resources = g_ptr_array_new_with_free_func(g_object_unref);
	loader->errors = g_ptr_array_new_with_free_func(g_free);
	loader->warnings = g_ptr_array_new_with_free_func(g_free);
	return TRUE;
}

static void
loader_clear(Loader *loader)
{
	g_clear_object(&loader->schema);
	g_clear_pointer(&loader->resources, g_ptr_array_unref);
	g_clear_pointer(&loader->errors, g_ptr_array_unref);
	g_clear_pointer(&loader->warnings, g_ptr_array_unref);
}

static gboolean
loader_add_data(Loader *loader, const char *data, gssize length, const char *filename)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) documents = ferry_yaml_parse_data(data, length, filename, &error);
	if (documents == NULL) {
		g_ptr_array_add(loader->errors, g_strdup(error->message));
		return FALSE;
	}
	for (guint i = 0; i < documents->len; i++)
		load_document(loader, g_ptr_array_index(documents, i));
	return TRUE;
}

/**
 * ferry_manifest_load_data:
 * @data: (array length=length) (element-type guint8): YAML or JSON text
 * @length: its length, or -1 when NUL-terminated
 * @filename: (nullable): the name used in messages
 * @name_space: (nullable): the namespace for resources that name none
 *   (documents naming another one are an error); %NULL means `default`
 *   and accepts any namespace
 * @warnings: (out) (optional) (transfer container) (element-type utf8):
 *   warnings, such as unknown fields (which are kept)
 * @error: return location for a #GError
 *
 * Reads Forklift manifests: every document (or every item of a
 * `kind: List`) is checked against Ferry's schema of the Forklift kinds
 * and the naming rules (name templates, target names).
 *
 * Returns: (transfer container) (element-type FerryResource): the
 *   resources, or %NULL with @error listing every problem as
 *   `FILE:LINE:COL: Kind/name: field.path: what is wrong`
 *
 * Since: 0.1
 */
GPtrArray *
ferry_manifest_load_data(const char *data, gssize length, const char *filename,
			 const char *name_space, GPtrArray **warnings, GError **error)
{
	Loader loader;
	GPtrArray *resources = NULL;

	g_return_val_if_fail(data != NULL, NULL);
	if (!loader_init(&loader, name_space, error))
		return NULL;
	loader_add_data(&loader, data, length, filename != NULL ? filename : "<data>");
	if (loader_finish(&loader, warnings, error))
		resources = g_ptr_array_ref(loader.resources);
	loader_clear(&loader);
	return resources;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
loader_add_path(Loader *loader, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *contents = NULL;
	gsize length = 0;

	if (g_strcmp0(path, "-") != 0 && g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
		const char *name;
		if (dir == NULL) {
			g_ptr_array_add(loader->errors, g_strdup(error->message));
			return;
		}
		while ((name = g_dir_read_name(dir)) != NULL) {
			if (g_str_has_suffix(name, ".yaml") || g_str_has_suffix(name, ".yml") ||
			    g_str_has_suffix(name, ".json"))
				g_ptr_array_add(names, g_strdup(name));
		}
		g_ptr_array_sort(names, compare_names);
		for (guint i = 0; i < names->len; i++) {
			g_autofree char *child =
				g_build_filename(path, g_ptr_array_index(names, i), NULL);
			loader_add_path(loader, child);
		}
		return;
	}
	if (g_strcmp0(path, "-") == 0) {
		g_autoptr(GIOChannel) channel = g_io_channel_unix_new(0);
		g_io_channel_set_encoding(channel, NULL, NULL);
		if (g_io_channel_read_to_end(channel, &contents, &length, &error) !=
		    G_IO_STATUS_NORMAL) {
			g_ptr_array_add(loader->errors,
					g_strdup_printf("cannot read standard input: %s",
							error != NULL ? error->message : "error"));
			return;
		}
	} else if (!g_file_get_contents(path, &contents, &length, &error)) {
		g_ptr_array_add(loader->errors, g_strdup(error->message));
		return;
	}
	loader_add_data(loader, contents != NULL ? contents : "", (gssize)length, path);
}

/**
 * ferry_manifest_load_paths:
 * @paths: (array zero-terminated=1): files, directories (their `.yaml`,
 *   `.yml` and `.json` files, in name order) or `-` for standard input
 * @name_space: (nullable): as for ferry_manifest_load_data()
 * @warnings: (out) (optional) (transfer container) (element-type utf8):
 *   warnings, such as unknown fields
 * @error: return location for a #GError
 *
 * Reads manifests from files, as ferry_manifest_load_data() does. A
 * problem in any file means no resource is returned.
 *
 * Returns: (transfer container) (element-type FerryResource): the
 *   resources, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
ferry_manifest_load_paths(const char *const *paths, const char *name_space, GPtrArray **warnings,
			  GError **error)
{
	Loader loader;
	GPtrArray *resources = NULL;

	g_return_val_if_fail(paths != NULL, NULL);
	if (!loader_init(&loader, name_space, error))
		return NULL;
	for (guint i = 0; paths[i] != NULL; i++)
		loader_add_path(&loader, paths[i]);
	if (loader_finish(&loader, warnings, error))
		resources = g_ptr_array_ref(loader.resources);
	loader_clear(&loader);
	return resources;
}

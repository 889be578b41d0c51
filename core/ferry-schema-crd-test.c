/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Ferry's own schema of the Forklift kinds agrees, field by field, with
 * Forklift's real CustomResourceDefinitions, and Forklift-style manifests
 * validate against those CRDs as they are.
 */

#include <string.h>

#include "ferry-schema-private.h"
#include "ferry.h"

static char *
crd_dir(void)
{
	return g_test_build_filename(G_TEST_DIST, "..", "..", "shared", "testdata", "forklift-crds",
				     NULL);
}

static JsonObject *
member_object(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static const char *
member_string(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
			       json_node_get_value_type(node) == G_TYPE_STRING
		       ? json_node_get_string(node)
		       : NULL;
}

static gboolean
member_true(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	       json_node_get_value_type(node) == G_TYPE_BOOLEAN && json_node_get_boolean(node);
}

static GHashTable *crd_cache = NULL; /* plural → JsonNode */

static JsonNode *read_crd_schema(const char *plural, GError **error);

/* the openAPIV3Schema of the v1beta1 version of a CRD file, read once */
static JsonNode *
load_crd_schema(const char *plural, GError **error)
{
	JsonNode *schema = g_hash_table_lookup(crd_cache, plural);
	if (schema == NULL) {
		schema = read_crd_schema(plural, error);
		if (schema == NULL)
			return NULL;
		g_hash_table_insert(crd_cache, g_strdup(plural), schema);
	}
	return json_node_ref(schema);
}

static JsonNode *
read_crd_schema(const char *plural, GError **error)
{
	g_autofree char *dir = crd_dir();
	g_autofree char *file = g_strdup_printf("forklift.konveyor.io_%s.yaml", plural);
	g_autofree char *path = g_build_filename(dir, file, NULL);
	g_autoptr(GPtrArray) docs = ferry_yaml_parse_file(path, error);
	JsonObject *spec;
	JsonArray *versions;
	if (docs == NULL)
		return NULL;
	spec = member_object(
		json_node_get_object(ferry_yaml_document_get_root(g_ptr_array_index(docs, 0))),
		"spec");
	versions = json_object_get_array_member(spec, "versions");
	for (guint i = 0; i < json_array_get_length(versions); i++) {
		JsonObject *version = json_array_get_object_element(versions, i);
		if (g_strcmp0(member_string(version, "name"), "v1beta1") == 0)
			return json_node_ref(json_object_get_member(
				member_object(version, "schema"), "openAPIV3Schema"));
	}
	return NULL;
}

static char *
node_text(JsonNode *node)
{
	return node != NULL ? json_to_string(node, FALSE) : g_strdup("(none)");
}

static void
compare_member(GPtrArray *differences, JsonObject *ours, JsonObject *crd, const char *member,
	       const char *path)
{
	JsonNode *a = json_object_get_member(ours, member);
	JsonNode *b = json_object_get_member(crd, member);
	if ((a == NULL) != (b == NULL) || (a != NULL && !json_node_equal(a, b))) {
		g_autofree char *text_a = node_text(a);
		g_autofree char *text_b = node_text(b);
		g_ptr_array_add(differences, g_strdup_printf("%s: %s is %s in Ferry's schema, %s "
							     "in the CRD",
							     path, member, text_a, text_b));
	}
}

static GPtrArray *
sorted_strings(JsonObject *schema, const char *member)
{
	JsonNode *node = json_object_get_member(schema, member);
	GPtrArray *strings = g_ptr_array_new();
	if (node != NULL && JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(array); i++)
			g_ptr_array_add(strings, (gpointer)json_array_get_string_element(array, i));
	}
	return strings;
}

static int
compare_string_pointers(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
compare_schema(FerrySchema *schema, JsonObject *ours, JsonObject *crd, const char *path,
	       GPtrArray *differences)
{
	JsonObject *our_properties;
	JsonObject *crd_properties;
	JsonNode *additional;
	gboolean preserve;

	ours = ferry_schema_resolve(schema, ours);
	if (member_true(ours, "x-ferry-opaque")) {
		/* a Kubernetes type passed through: the CRD has it as an object */
		if (g_strcmp0(member_string(crd, "type"), "object") != 0)
			g_ptr_array_add(differences,
					g_strdup_printf("%s: opaque in Ferry, not an object in the "
							"CRD",
							path));
		return;
	}
	compare_member(differences, ours, crd, "type", path);
	compare_member(differences, ours, crd, "pattern", path);
	compare_member(differences, ours, crd, "maxLength", path);
	compare_member(differences, ours, crd, "minLength", path);
	compare_member(differences, ours, crd, "format", path);
	compare_member(differences, ours, crd, "default", path);
	compare_member(differences, ours, crd, "x-kubernetes-int-or-string", path);
	{
		g_autoptr(GPtrArray) a = sorted_strings(ours, "enum");
		g_autoptr(GPtrArray) b = sorted_strings(crd, "enum");
		g_autoptr(GPtrArray) c = sorted_strings(ours, "required");
		g_autoptr(GPtrArray) d = sorted_strings(crd, "required");
		g_ptr_array_sort(a, compare_string_pointers);
		g_ptr_array_sort(b, compare_string_pointers);
		g_ptr_array_sort(c, compare_string_pointers);
		g_ptr_array_sort(d, compare_string_pointers);
		g_ptr_array_add(a, NULL);
		g_ptr_array_add(b, NULL);
		g_ptr_array_add(c, NULL);
		g_ptr_array_add(d, NULL);
		if (!g_strv_equal((const char *const *)a->pdata, (const char *const *)b->pdata))
			g_ptr_array_add(differences,
					g_strdup_printf("%s: the enum values differ", path));
		if (!g_strv_equal((const char *const *)c->pdata, (const char *const *)d->pdata))
			g_ptr_array_add(differences,
					g_strdup_printf("%s: the required fields differ", path));
	}

	/* a map of strings, or anything kept as it is */
	additional = json_object_get_member(crd, "additionalProperties");
	preserve = member_true(ours, "x-kubernetes-preserve-unknown-fields");
	if (additional != NULL && JSON_NODE_HOLDS_OBJECT(additional)) {
		JsonObject *our_additional = member_object(ours, "additionalProperties");
		if (our_additional == NULL)
			g_ptr_array_add(differences,
					g_strdup_printf("%s: the CRD has a map, Ferry not", path));
		else
			compare_schema(schema, our_additional, json_node_get_object(additional),
				       path, differences);
	} else if ((additional != NULL && JSON_NODE_HOLDS_VALUE(additional) &&
		    json_node_get_boolean(additional)) ||
		   member_true(crd, "x-kubernetes-preserve-unknown-fields")) {
		if (!preserve)
			g_ptr_array_add(differences,
					g_strdup_printf("%s: the CRD keeps unknown fields, Ferry's "
							"schema does not",
							path));
	}

	our_properties = member_object(ours, "properties");
	crd_properties = member_object(crd, "properties");
	if (our_properties != NULL) {
		g_autoptr(GList) names = json_object_get_members(our_properties);
		for (GList *l = names; l != NULL; l = l->next) {
			g_autofree char *child = g_strdup_printf("%s.%s", path, (char *)l->data);
			JsonObject *theirs = member_object(crd_properties, l->data);
			JsonObject *mine = member_object(our_properties, l->data);
			/* Ferry's own additions are marked and documented as such */
			if (theirs == NULL && mine != NULL &&
			    json_object_has_member(mine, "x-ferry-extension"))
				continue;
			if (theirs == NULL) {
				g_ptr_array_add(differences,
						g_strdup_printf("%s: in Ferry's schema, not in the "
								"CRD",
								child));
				continue;
			}
			compare_schema(schema, member_object(our_properties, l->data), theirs,
				       child, differences);
		}
	}
	if (crd_properties != NULL && !preserve) {
		g_autoptr(GList) names = json_object_get_members(crd_properties);
		for (GList *l = names; l != NULL; l = l->next) {
			if (member_object(our_properties, l->data) == NULL)
				g_ptr_array_add(differences,
						g_strdup_printf("%s.%s: in the CRD, not in Ferry's "
								"schema",
								path, (char *)l->data));
		}
	}
	if (member_object(crd, "items") != NULL || member_object(ours, "items") != NULL) {
		g_autofree char *child = g_strdup_printf("%s[]", path);
		if (member_object(crd, "items") == NULL || member_object(ours, "items") == NULL)
			g_ptr_array_add(differences, g_strdup_printf("%s: items differ", child));
		else
			compare_schema(schema, member_object(ours, "items"),
				       member_object(crd, "items"), child, differences);
	}
}

static const char *const kinds[] = {"Provider", "Host", "NetworkMap", "StorageMap",
				    "Hook",     "Plan", "Migration",  "ForkliftController"};

static gboolean
have_crds(void)
{
	g_autofree char *dir = crd_dir();
	if (g_file_test(dir, G_FILE_TEST_IS_DIR))
		return TRUE;
	g_test_skip("../shared/testdata/forklift-crds is absent (CI always has it)");
	return FALSE;
}

static void
test_schema_matches_crds(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerrySchema) schema = ferry_schema_get_default(&error);
	g_autoptr(GPtrArray) differences = g_ptr_array_new_with_free_func(g_free);

	g_assert_no_error(error);
	if (!have_crds())
		return;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autoptr(JsonNode) crd =
			load_crd_schema(ferry_resource_kind_get_plural(kinds[i]), &error);
		JsonObject *crd_spec;
		g_assert_no_error(error);
		g_assert_nonnull(crd);
		crd_spec = member_object(member_object(json_node_get_object(crd), "properties"),
					 "spec");
		g_assert_nonnull(crd_spec);
		compare_schema(schema, ferry_schema_get_kind_schema(schema, kinds[i]), crd_spec,
			       kinds[i], differences);
	}
	for (guint i = 0; i < differences->len; i++)
		g_printerr("%s\n", (const char *)g_ptr_array_index(differences, i));
	g_assert_cmpuint(differences->len, ==, 0);
}

/* the comparison finds a difference when there is one */
static void
test_schema_comparison_finds_differences(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerrySchema) schema = ferry_schema_get_default(&error);
	g_autoptr(GPtrArray) differences = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(JsonNode) crd = NULL;
	g_autoptr(JsonNode) changed = NULL;
	JsonObject *spec;

	if (!have_crds())
		return;
	crd = load_crd_schema("migrations", &error);
	g_assert_no_error(error);
	changed = json_from_string("{\"type\": \"object\", \"required\": [\"plan\", \"extra\"],"
				   " \"properties\": {\"plan\": {\"type\": \"object\"},"
				   " \"cancel\": {\"type\": \"array\", \"items\": {\"type\": "
				   "\"object\"}}, \"cutover\": {\"type\": \"string\"}, "
				   "\"newField\": {\"type\": \"string\"}}}",
				   NULL);
	spec = json_node_get_object(changed);
	compare_schema(schema, ferry_schema_get_kind_schema(schema, "Migration"), spec, "Migration",
		       differences);
	/* required, cutover's format, plan's fields, cancel's item fields, newField */
	g_assert_cmpuint(differences->len, >=, 5);
}

/* Forklift-style manifests validate against the real CRDs as they are */
static void
test_manifests_validate_against_crds(void)
{
	g_autofree char *docs = g_test_build_filename(G_TEST_DIST, "..", "tests", "manifests",
						      "forklift-docs.yaml", NULL);
	const char *paths[] = {docs, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(FerrySchema) schema = ferry_schema_get_default(&error);
	g_autoptr(GPtrArray) resources = NULL;
	guint checked = 0;

	if (!have_crds())
		return;
	resources = ferry_manifest_load_paths(paths, NULL, NULL, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < resources->len; i++) {
		FerryResource *resource = g_ptr_array_index(resources, i);
		const char *plural =
			ferry_resource_kind_get_plural(ferry_resource_get_kind(resource));
		g_autoptr(JsonNode) crd = NULL;
		g_autoptr(GPtrArray) issues =
			g_ptr_array_new_with_free_func((GDestroyNotify)ferry_schema_issue_free);
		JsonNode *spec = ferry_resource_get_node(resource, "spec");
		if (FERRY_IS_SECRET_RESOURCE(resource))
			continue;
		crd = load_crd_schema(plural, &error);
		g_assert_no_error(error);
		ferry_schema_validate_node(
			schema,
			member_object(member_object(json_node_get_object(crd), "properties"),
				      "spec"),
			spec, "spec", issues);
		for (guint j = 0; j < issues->len; j++) {
			FerrySchemaIssue *issue = g_ptr_array_index(issues, j);
			g_printerr("%s: %s: %s\n", ferry_resource_get_kind(resource), issue->path,
				   issue->message);
		}
		g_assert_cmpuint(issues->len, ==, 0);
		checked++;
	}
	g_assert_cmpuint(checked, ==, 9);

	/* and a wrong one fails against the CRD too */
	{
		g_autoptr(JsonNode) crd = load_crd_schema("plans", &error);
		g_autoptr(JsonNode) bad = json_from_string(
			"{\"targetNamespace\": 3, \"type\": \"hot\", \"vms\": [], \"map\": {}, "
			"\"provider\": {\"source\": {}, \"destination\": {}}}",
			NULL);
		g_autoptr(GPtrArray) issues =
			g_ptr_array_new_with_free_func((GDestroyNotify)ferry_schema_issue_free);
		ferry_schema_validate_node(
			schema,
			member_object(member_object(json_node_get_object(crd), "properties"),
				      "spec"),
			bad, "spec", issues);
		/* targetNamespace type, type enum, map.network and map.storage required */
		g_assert_cmpuint(issues->len, ==, 4);
	}
}

int
main(int argc, char **argv)
{
	g_autofree char *data_dir = NULL;
	int status;
	g_test_init(&argc, &argv, NULL);
	data_dir = g_test_build_filename(G_TEST_DIST, "..", "data", NULL);
	if (g_getenv("FERRY_DATA_DIR") == NULL)
		g_setenv("FERRY_DATA_DIR", data_dir, TRUE);
	crd_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)json_node_unref);
	g_test_add_func("/schema/matches-crds", test_schema_matches_crds);
	g_test_add_func("/schema/comparison-finds-differences",
			test_schema_comparison_finds_differences);
	g_test_add_func("/schema/manifests-validate-against-crds",
			test_manifests_validate_against_crds);
	status = g_test_run();
	g_hash_table_unref(crd_cache);
	return status;
}

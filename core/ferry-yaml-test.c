/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "ferry.h"

static JsonNode *
node_at(JsonNode *root, const char *first, ...)
{
	va_list args;
	JsonNode *node = root;
	va_start(args, first);
	for (const char *member = first; member != NULL; member = va_arg(args, const char *)) {
		if (JSON_NODE_HOLDS_ARRAY(node))
			node = json_array_get_element(json_node_get_array(node),
						      (guint)g_ascii_strtoull(member, NULL, 10));
		else
			node = json_object_get_member(json_node_get_object(node), member);
		g_assert_nonnull(node);
	}
	va_end(args);
	return node;
}

static void
test_yaml_scalars(void)
{
	const char *text = "plain: hello\n"
			   "quoted: \"123\"\n"
			   "single: 'true'\n"
			   "int: 42\n"
			   "neg: -7\n"
			   "hex: 0x1F\n"
			   "float: 2.5\n"
			   "exp: 1e3\n"
			   "t: true\n"
			   "yes11: yes\n"
			   "off11: Off\n"
			   "nul: ~\n"
			   "empty:\n"
			   "tagged: !!str 17\n"
			   "big: 123456789012345678901234567890\n"
			   "block: |\n  line one\n  line two\n"
			   "version: 1.0.0\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = ferry_yaml_parse_data(text, -1, "scalars.yaml", &error);
	JsonNode *root;

	g_assert_no_error(error);
	g_assert_cmpuint(docs->len, ==, 1);
	root = ferry_yaml_document_get_root(g_ptr_array_index(docs, 0));
	g_assert_cmpstr(json_node_get_string(node_at(root, "plain", NULL)), ==, "hello");
	g_assert_cmpstr(json_node_get_string(node_at(root, "quoted", NULL)), ==, "123");
	g_assert_cmpstr(json_node_get_string(node_at(root, "single", NULL)), ==, "true");
	g_assert_cmpint(json_node_get_int(node_at(root, "int", NULL)), ==, 42);
	g_assert_cmpint(json_node_get_int(node_at(root, "neg", NULL)), ==, -7);
	g_assert_cmpint(json_node_get_int(node_at(root, "hex", NULL)), ==, 31);
	g_assert_cmpfloat(json_node_get_double(node_at(root, "float", NULL)), ==, 2.5);
	g_assert_cmpfloat(json_node_get_double(node_at(root, "exp", NULL)), ==, 1000.0);
	g_assert_true(json_node_get_boolean(node_at(root, "t", NULL)));
	g_assert_true(json_node_get_boolean(node_at(root, "yes11", NULL)));
	g_assert_false(json_node_get_boolean(node_at(root, "off11", NULL)));
	g_assert_true(JSON_NODE_HOLDS_NULL(node_at(root, "nul", NULL)));
	g_assert_true(JSON_NODE_HOLDS_NULL(node_at(root, "empty", NULL)));
	g_assert_cmpstr(json_node_get_string(node_at(root, "tagged", NULL)), ==, "17");
	g_assert_cmpuint(json_node_get_value_type(node_at(root, "big", NULL)), ==, G_TYPE_DOUBLE);
	g_assert_cmpstr(json_node_get_string(node_at(root, "block", NULL)), ==,
			"line one\nline two\n");
	g_assert_cmpstr(json_node_get_string(node_at(root, "version", NULL)), ==, "1.0.0");
}

static void
test_yaml_locations(void)
{
	const char *text = "# a plan\n"
			   "apiVersion: forklift.konveyor.io/v1beta1\n"
			   "kind: Plan\n"
			   "metadata:\n"
			   "  name: web-tier\n"
			   "  annotations:\n"
			   "    forklift.konveyor.io/route: 10.0.0.1\n"
			   "spec:\n"
			   "  vms:\n"
			   "  - id: vm-1\n"
			   "  - name: db\n"
			   "    hooks: []\n"
			   "---\n"
			   "# empty document\n"
			   "---\n"
			   "kind: Migration\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = ferry_yaml_parse_data(text, -1, "plan.yaml", &error);
	FerryYamlDocument *doc;
	guint line = 0, column = 0;
	g_autofree char *where = NULL;
	g_autofree char *missing = NULL;
	g_autofree char *annotation = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(docs->len, ==, 2);
	doc = g_ptr_array_index(docs, 0);
	g_assert_cmpstr(ferry_yaml_document_get_filename(doc), ==, "plan.yaml");
	g_assert_true(ferry_yaml_document_get_location(doc, "metadata.name", &line, &column));
	g_assert_cmpuint(line, ==, 5);
	g_assert_cmpuint(column, ==, 9);
	where = ferry_yaml_document_format_location(doc, "spec.vms[1].name");
	g_assert_cmpstr(where, ==, "plan.yaml:11:11");
	/* a missing field points at its nearest parent */
	missing = ferry_yaml_document_format_location(doc, "spec.vms[1].hooks[0].step");
	g_assert_cmpstr(missing, ==, "plan.yaml:12:12");
	annotation =
		ferry_yaml_path_append_member("metadata.annotations", "forklift.konveyor.io/route");
	g_assert_cmpstr(annotation, ==, "metadata.annotations[forklift.konveyor.io/route]");
	g_assert_true(ferry_yaml_document_get_location(doc, annotation, &line, &column));
	g_assert_cmpuint(line, ==, 7);
	g_assert_cmpuint(column, ==, 33);
	g_assert_cmpuint(ferry_yaml_document_get_index(g_ptr_array_index(docs, 1)), ==, 2);
	g_assert_true(
		ferry_yaml_document_get_location(g_ptr_array_index(docs, 1), "kind", &line, NULL));
	g_assert_cmpuint(line, ==, 16);
}

static void
test_yaml_json(void)
{
	const char *text = "{\n"
			   "  \"kind\": \"Provider\",\n"
			   "  \"spec\": {\"url\": \"https://vc/sdk\", \"port\": 443, \"x\": null,\n"
			   "           \"n\": \"42\", \"esc\": \"a\\/b\\u00e9\",\n"
			   "           \"big\": 12345678901234567890}\n"
			   "}\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = ferry_yaml_parse_data(text, -1, "p.json", &error);
	JsonNode *root;
	g_autofree char *where = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(docs->len, ==, 1);
	root = ferry_yaml_document_get_root(g_ptr_array_index(docs, 0));
	g_assert_cmpint(json_node_get_int(node_at(root, "spec", "port", NULL)), ==, 443);
	g_assert_cmpstr(json_node_get_string(node_at(root, "spec", "n", NULL)), ==, "42");
	/* beyond 64 bits: a double, as Go reads it, not a wrapped integer */
	g_assert_cmpfloat(json_node_get_double(node_at(root, "spec", "big", NULL)), ==,
			  12345678901234567890.0);
	g_assert_cmpstr(json_node_get_string(node_at(root, "spec", "esc", NULL)), ==,
			"a/b\xc3\xa9");
	where = ferry_yaml_document_format_location(g_ptr_array_index(docs, 0), "spec.port");
	g_assert_cmpstr(where, ==, "p.json:3:45");
}

typedef struct {
	const char *text;
	const char *message; /* glob */
} BadCase;

static void
test_yaml_errors(void)
{
	const BadCase cases[] = {
		{"a: 1\na: 2\n", "bad.yaml:2:1: *'a' appears twice*"},
		{"a: [1, 2\n", "bad.yaml:2:1: invalid YAML: *"},
		{"a:\n\tb: 1\n", "bad.yaml:2:1: invalid YAML: *"},
		{"a: *nothing\n", "bad.yaml:1:4: *alias*no anchor*"},
		{"? [a, b]\n: 1\n", "bad.yaml:1:3: *key must be a plain value*"},
		{"a: !!int abc\n", "bad.yaml:1:4: *not a valid value*"},
		{"{\"a\": 1,}", "bad.yaml:1:*invalid JSON*"},
		{"[1, 2", "bad.yaml:*invalid JSON*"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) docs =
			ferry_yaml_parse_data(cases[i].text, -1, "bad.yaml", &error);
		g_assert_null(docs);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
		if (!g_pattern_match_simple(cases[i].message, error->message))
			g_error("case %u: '%s' does not match '%s'", i, error->message,
				cases[i].message);
	}
}

static void
test_yaml_aliases(void)
{
	const char *text = "base: &b {storageClass: fast, volumeMode: Block}\n"
			   "copy: *b\n"
			   "merged:\n  <<: *b\n  volumeMode: Filesystem\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = ferry_yaml_parse_data(text, -1, NULL, &error);
	JsonNode *root;
	GString *bomb = g_string_new("a: &a [x, x, x, x, x, x, x, x, x, x]\n");

	g_assert_no_error(error);
	root = ferry_yaml_document_get_root(g_ptr_array_index(docs, 0));
	g_assert_cmpstr(json_node_get_string(node_at(root, "copy", "storageClass", NULL)), ==,
			"fast");
	g_assert_cmpstr(json_node_get_string(node_at(root, "merged", "volumeMode", NULL)), ==,
			"Filesystem");
	g_assert_cmpstr(json_node_get_string(node_at(root, "merged", "storageClass", NULL)), ==,
			"fast");

	/* a billion laughs stops early with an error */
	for (char c = 'b'; c <= 'k'; c++)
		g_string_append_printf(
			bomb, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c,
			c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	{
		g_autoptr(GError) bomb_error = NULL;
		g_autoptr(GPtrArray) none =
			ferry_yaml_parse_data(bomb->str, -1, "bomb.yaml", &bomb_error);
		g_assert_null(none);
		g_assert_error(bomb_error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(bomb_error->message, "aliases expand"));
	}
	g_string_free(bomb, TRUE);
}

static void
test_yaml_write(void)
{
	const char *text =
		"{\"kind\": \"Plan\", \"apiVersion\": \"forklift.konveyor.io/v1beta1\","
		" \"metadata\": {\"name\": \"web\", \"labels\": {}},"
		" \"spec\": {\"vms\": [{\"id\": \"vm-1\", \"name\": \"a\"}, {\"id\": \"2\"}],"
		" \"warm\": false, \"n\": \"true\", \"e\": \"\", \"num\": \"0x10\","
		" \"ratio\": 0.5, \"whole\": 3.0, \"list\": [], \"text\": \"a\\nb\\n\","
		" \"colon\": \"a: b\", \"nil\": null}}";
	const char *expected = "apiVersion: forklift.konveyor.io/v1beta1\n"
			       "kind: Plan\n"
			       "metadata:\n"
			       "  labels: {}\n"
			       "  name: web\n"
			       "spec:\n"
			       "  colon: 'a: b'\n"
			       "  e: \"\"\n"
			       "  list: []\n"
			       "  n: \"true\"\n"
			       "  nil: null\n"
			       "  num: \"0x10\"\n"
			       "  ratio: 0.5\n"
			       "  text: |\n"
			       "    a\n"
			       "    b\n"
			       "  vms:\n"
			       "  - id: vm-1\n"
			       "    name: a\n"
			       "  - id: \"2\"\n"
			       "  warm: false\n"
			       "  whole: 3.0\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = ferry_yaml_parse_data(text, -1, NULL, &error);
	JsonNode *root;
	g_autofree char *yaml = NULL;
	g_autoptr(GPtrArray) again = NULL;

	g_assert_no_error(error);
	root = ferry_yaml_document_get_root(g_ptr_array_index(docs, 0));
	yaml = ferry_yaml_to_string(root, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(yaml, ==, expected);
	/* and it reads back to the same tree */
	again = ferry_yaml_parse_data(yaml, -1, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(
		json_node_equal(root, ferry_yaml_document_get_root(g_ptr_array_index(again, 0))));
}

static void
test_yaml_write_multi(void)
{
	g_autoptr(GPtrArray) nodes =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	g_autofree char *yaml = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = NULL;

	g_ptr_array_add(nodes, json_from_string("{\"a\": 1}", NULL));
	g_ptr_array_add(nodes, json_from_string("{\"b\": [\"x\"]}", NULL));
	yaml = ferry_yaml_to_string_multi(nodes, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(yaml, ==, "a: 1\n---\nb:\n- x\n");
	docs = ferry_yaml_parse_data(yaml, -1, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(docs->len, ==, 2);
}

/* found by fuzz-model-yaml: several documents, the first an empty mapping
 * or list, were written so that the text began with `{` or `[` and read
 * back as (broken) JSON */
static void
test_yaml_write_multi_flow_first(void)
{
	static const char *const inputs[] = {"--- {}\n--- {}\n", "--- []\n---\na: 1\n"};

	for (guint n = 0; n < G_N_ELEMENTS(inputs); n++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) docs = ferry_yaml_parse_data(inputs[n], -1, NULL, &error);
		g_autoptr(GPtrArray) roots = g_ptr_array_new();
		g_autoptr(GPtrArray) again = NULL;
		g_autofree char *yaml = NULL;

		g_assert_no_error(error);
		for (guint i = 0; i < docs->len; i++)
			g_ptr_array_add(roots, ferry_yaml_document_get_root(docs->pdata[i]));
		yaml = ferry_yaml_to_string_multi(roots, &error);
		g_assert_no_error(error);
		g_assert_true(g_str_has_prefix(yaml, "---"));
		again = ferry_yaml_parse_data(yaml, -1, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(again->len, ==, docs->len);
		for (guint i = 0; i < docs->len; i++)
			g_assert_true(json_node_equal(roots->pdata[i],
						      ferry_yaml_document_get_root(again->pdata[i])));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/yaml/scalars", test_yaml_scalars);
	g_test_add_func("/yaml/locations", test_yaml_locations);
	g_test_add_func("/yaml/json", test_yaml_json);
	g_test_add_func("/yaml/errors", test_yaml_errors);
	g_test_add_func("/yaml/aliases", test_yaml_aliases);
	g_test_add_func("/yaml/write", test_yaml_write);
	g_test_add_func("/yaml/write-multi", test_yaml_write_multi);
	g_test_add_func("/yaml/write-multi-flow-first", test_yaml_write_multi_flow_first);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-yaml.h"
#include "ferry-test-util-private.h"
#include "ferry.h"

static const struct {
	const char *type;
	const char *prefix;
	guint n_rules;
	guint version;
} providers[] = {
	{"vsphere", "vmware.", 29, 5},
	{"ovirt", "ovirt.", 39, 7},
	{"openstack", "openstack.", 16, 7},
	{"ova", "ova.", 6, 5},
};

static JsonNode *
deep_copy(JsonNode *node)
{
	g_autofree char *text = json_to_string(node, FALSE);
	return json_from_string(text, NULL);
}

/* RFC 7386 merge patch, plus {repeat: N}: N copies of the first element */
static JsonNode *
merge_patch(JsonNode *target, JsonNode *patch)
{
	JsonObject *result;
	JsonObjectIter iter;
	const char *name;
	JsonNode *value;
	JsonNode *node;

	if (!JSON_NODE_HOLDS_OBJECT(patch))
		return deep_copy(patch);
	node = target != NULL && JSON_NODE_HOLDS_OBJECT(target)
		       ? deep_copy(target)
		       : json_node_init_object(json_node_alloc(), json_object_new());
	result = json_node_get_object(node);
	json_object_iter_init(&iter, json_node_get_object(patch));
	while (json_object_iter_next(&iter, &name, &value)) {
		JsonNode *current = json_object_get_member(result, name);
		if (JSON_NODE_HOLDS_NULL(value)) {
			json_object_remove_member(result, name);
		} else if (JSON_NODE_HOLDS_OBJECT(value) &&
			   json_object_has_member(json_node_get_object(value), "repeat") &&
			   current != NULL && JSON_NODE_HOLDS_ARRAY(current)) {
			gint64 n =
				json_object_get_int_member(json_node_get_object(value), "repeat");
			JsonArray *copies = json_array_new();
			for (gint64 i = 0; i < n; i++)
				json_array_add_element(copies,
						       deep_copy(json_array_get_element(
							       json_node_get_array(current), 0)));
			json_object_set_array_member(result, name, copies);
		} else {
			json_object_set_member(result, name, merge_patch(current, value));
		}
	}
	return node;
}

static void
use_source_rules(void)
{
	g_autofree char *data = g_test_build_filename(G_TEST_DIST, "..", "data", NULL);
	g_setenv("FERRY_DATA_DIR", data, TRUE);
	g_unsetenv("FERRY_RULES_PATH");
}

static GPtrArray *
validate(FerryValidator *validator, const char *type, JsonNode *workload)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *concerns = ferry_validator_validate(
		validator, type, json_node_get_object(workload), NULL, &error);
	g_assert_no_error(error);
	return concerns;
}

static FerryConcern *
find_concern(GPtrArray *concerns, const char *id)
{
	for (guint i = 0; i < concerns->len; i++) {
		if (g_strcmp0(ferry_concern_get_id(g_ptr_array_index(concerns, i)), id) == 0)
			return g_ptr_array_index(concerns, i);
	}
	return NULL;
}

static char *
describe(GPtrArray *concerns)
{
	GString *str = g_string_new(NULL);
	for (guint i = 0; i < concerns->len; i++)
		g_string_append_printf(str, " %s",
				       ferry_concern_get_id(g_ptr_array_index(concerns, i)));
	return g_string_free(str, FALSE);
}

/* every default rule reads, with the rules version Forklift has */
static void
test_rules_load(void)
{
	use_source_rules();
	for (guint p = 0; p < G_N_ELEMENTS(providers); p++) {
		g_autoptr(FerryRulesValidator) validator = ferry_rules_validator_new();
		g_auto(GStrv) problems =
			ferry_rules_validator_dup_problems(validator, providers[p].type);
		g_autoptr(GPtrArray) rules =
			ferry_rules_validator_list_rules(validator, providers[p].type);
		g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
		if (g_strv_length(problems) > 0)
			g_error("%s rules: %s", providers[p].type, problems[0]);
		g_assert_cmpuint(rules->len, ==, providers[p].n_rules);
		g_assert_cmpuint(
			ferry_rules_validator_get_rules_version(validator, providers[p].type), ==,
			providers[p].version);
		g_assert_cmpuint(
			ferry_validator_get_version(FERRY_VALIDATOR(validator), providers[p].type),
			!=, 0);
		for (guint i = 0; i < rules->len; i++) {
			const char *id =
				json_object_get_string_member(g_ptr_array_index(rules, i), "id");
			g_assert_true(g_str_has_prefix(id, providers[p].prefix));
			g_assert_false(g_hash_table_contains(ids, id));
			g_hash_table_add(ids, (gpointer)id);
		}
	}
}

/* each rule raised by the workload that should raise it and not by the one
 * that should not; the clean base workload raises nothing */
static void
test_rules_cases(gconstpointer data)
{
	const char *type = data;
	g_autoptr(FerryRulesValidator) validator = NULL;
	g_autofree char *filename = NULL;
	g_autoptr(GPtrArray) documents = NULL;
	g_autoptr(GPtrArray) rules = NULL;
	g_autoptr(GHashTable) covered = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) concerns = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *clean = NULL;
	JsonObject *fixture;
	JsonNode *base;
	JsonArray *cases;

	use_source_rules();
	validator = ferry_rules_validator_new();
	{
		g_autofree char *name = g_strdup_printf("%s.yaml", type);
		filename = g_test_build_filename(G_TEST_DIST, "tests", "rules", name, NULL);
	}
	documents = ferry_yaml_parse_file(filename, &error);
	g_assert_no_error(error);
	fixture =
		json_node_get_object(ferry_yaml_document_get_root(g_ptr_array_index(documents, 0)));
	base = json_object_get_member(fixture, "base");
	cases = json_object_get_array_member(fixture, "cases");

	concerns = validate(FERRY_VALIDATOR(validator), type, base);
	clean = describe(concerns);
	g_assert_cmpstr(clean, ==, "");

	for (guint i = 0; i < json_array_get_length(cases); i++) {
		JsonObject *c = json_array_get_object_element(cases, i);
		const char *rule = json_object_get_string_member(c, "rule");
		g_autoptr(JsonNode) fires = merge_patch(base, json_object_get_member(c, "fires"));
		g_autoptr(JsonNode) quiet = merge_patch(base, json_object_get_member(c, "quiet"));
		g_autoptr(GPtrArray) raised = validate(FERRY_VALIDATOR(validator), type, fires);
		g_autoptr(GPtrArray) silent = validate(FERRY_VALIDATOR(validator), type, quiet);
		FerryConcern *concern = find_concern(raised, rule);

		if (concern == NULL) {
			g_autofree char *got = describe(raised);
			g_error("%s case %u: %s was not raised (raised:%s)", type, i, rule, got);
		}
		if (find_concern(silent, rule) != NULL)
			g_error("%s case %u: %s was raised by the workload that should not", type,
				i, rule);
		if (json_object_has_member(c, "label"))
			g_assert_cmpstr(ferry_concern_get_label(concern), ==,
					json_object_get_string_member(c, "label"));
		/* no template is left unexpanded */
		g_assert_null(strstr(ferry_concern_get_label(concern), "{{"));
		g_assert_null(strstr(ferry_concern_get_assessment(concern), "{{"));
		g_hash_table_add(covered, (gpointer)rule);
	}

	/* every rule has its cases */
	rules = ferry_rules_validator_list_rules(validator, type);
	for (guint i = 0; i < rules->len; i++) {
		const char *id = json_object_get_string_member(g_ptr_array_index(rules, i), "id");
		if (!g_hash_table_contains(covered, id))
			g_error("%s: rule %s has no test case", type, id);
	}
}

static char *
write_file(const char *dir, const char *name, const char *contents)
{
	char *path = g_build_filename(dir, name, NULL);
	g_autofree char *parent = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, contents, -1, NULL));
	return path;
}

static void
assert_problem(GStrv problems, const char *text)
{
	g_autofree char *all = NULL;
	for (guint i = 0; problems[i] != NULL; i++) {
		if (strstr(problems[i], text) != NULL)
			return;
	}
	all = g_strjoinv("\n", problems);
	g_error("no problem says «%s»; they are:\n%s", text, all);
}

/* broken files and rules are reported with file, line and column, and do
 * not stop the other rules; user rules replace and disable default ones */
static void
test_rules_user_directory(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-rules-XXXXXX", NULL);
	g_autoptr(FerryRulesValidator) validator = NULL;
	g_autofree char *bad_when = NULL;
	g_autofree char *broken = NULL;
	g_autofree char *prefix = NULL;
	g_auto(GStrv) problems = NULL;
	g_autoptr(GPtrArray) rules = NULL;
	g_autoptr(GPtrArray) concerns = NULL;
	g_autoptr(JsonNode) vm = json_from_string("{\"id\":\"vm-1\",\"name\":\"x\",\"memoryMB\":"
						  "65536,\"changeTrackingEnabled\":false,"
						  "\"tpmEnabled\":true,\"disks\":[]}",
						  NULL);
	FerryConcern *concern;

	use_source_rules();
	bad_when = write_file(dir, "vsphere/10-bad.yaml",
			      "rules:\n"
			      "  - id: site.memory.large\n"
			      "    category: Critical\n"
			      "    label: \"{{ memoryMB / 1024 }} GiB is more than we allow\"\n"
			      "    when: memoryMB > 32Gi / 1Mi\n"
			      "  - id: site.bad.when\n"
			      "    category: Warning\n"
			      "    label: bad\n"
			      "    when: memoryMB > and cpuCount\n"
			      "  - id: site.bad.quoted\n"
			      "    category: Warning\n"
			      "    label: bad\n"
			      "    when: 'cpuCount = = 2'\n"
			      "  - id: site.bad.category\n"
			      "    category: Fatal\n"
			      "    label: bad\n"
			      "    when: true\n"
			      "  - id: site.bad.field\n"
			      "    category: Warning\n"
			      "    label: bad\n"
			      "    wen: true\n"
			      "  - id: site.bad.label\n"
			      "    category: Warning\n"
			      "    label: \"{{ len( }}\"\n"
			      "    when: true\n"
			      "  - id: site.bad.array\n"
			      "    category: Warning\n"
			      "    label: bad\n"
			      "    when: |\n"
			      "      memoryMB > 1 and\n"
			      "      name = ['x']\n"
			      "  - id: vmware.tpm.detected\n"
			      "    disabled: true\n"
			      "  - id: vmware.changed_block_tracking.disabled\n"
			      "    category: Critical\n"
			      "    label: \"CBT is required here ({{ name }})\"\n"
			      "    when: changeTrackingEnabled = false\n");
	broken = write_file(dir, "vsphere/20-broken.yaml", "rules:\n  - id: [unclosed\n");
	g_free(write_file(dir, "ovirt/ignored.txt", "not a rule file"));

	validator = ferry_rules_validator_new();
	ferry_rules_validator_add_directory(validator, dir);
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*site.bad.when*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*site.bad.quoted*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*site.bad.category*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*unknown field 'wen'*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*site.bad.label*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*site.bad.array*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*20-broken.yaml*");
	problems = ferry_rules_validator_dup_problems(validator, "vsphere");
	g_test_assert_expected_messages();
	g_assert_cmpuint(g_strv_length(problems), ==, 7);

	/* file:line:col of the mistake inside the expression */
	prefix = g_strdup_printf("%s:9:22: rule 'site.bad.when': when: expected a value but found "
				 "the keyword 'and'",
				 bad_when);
	assert_problem(problems, prefix);
	g_clear_pointer(&prefix, g_free);
	prefix = g_strdup_printf("%s:13:23: rule 'site.bad.quoted'", bad_when);
	assert_problem(problems, prefix);
	g_clear_pointer(&prefix, g_free);
	prefix = g_strdup_printf("%s:15:15: rule 'site.bad.category'", bad_when);
	assert_problem(problems, prefix);
	g_clear_pointer(&prefix, g_free);
	prefix = g_strdup_printf("%s:21:10: rule 'site.bad.field': unknown field 'wen'", bad_when);
	assert_problem(problems, prefix);
	g_clear_pointer(&prefix, g_free);
	prefix = g_strdup_printf("%s:31:14: rule 'site.bad.array': when: an array can only follow",
				 bad_when);
	assert_problem(problems, prefix);
	g_clear_pointer(&prefix, g_free);
	prefix = g_strdup_printf("%s:3:1: invalid YAML", broken);
	assert_problem(problems, prefix);

	/* the good rules still apply: 29 defaults - 1 disabled + 1 new */
	rules = ferry_rules_validator_list_rules(validator, "vsphere");
	g_assert_cmpuint(rules->len, ==, 29);
	concerns = validate(FERRY_VALIDATOR(validator), "vsphere", vm);
	concern = find_concern(concerns, "site.memory.large");
	g_assert_nonnull(concern);
	g_assert_cmpint(ferry_concern_get_category(concern), ==, FERRY_CONCERN_CATEGORY_CRITICAL);
	g_assert_cmpstr(ferry_concern_get_label(concern), ==, "64.0 GiB is more than we allow");
	g_assert_null(find_concern(concerns, "vmware.tpm.detected"));
	concern = find_concern(concerns, "vmware.changed_block_tracking.disabled");
	g_assert_nonnull(concern);
	g_assert_cmpint(ferry_concern_get_category(concern), ==, FERRY_CONCERN_CATEGORY_CRITICAL);
	g_assert_cmpstr(ferry_concern_get_label(concern), ==, "CBT is required here (x)");

	/* FERRY_RULES_PATH adds directories the same way */
	{
		g_autoptr(FerryRulesValidator) from_env = NULL;
		g_auto(GStrv) dirs = NULL;
		g_autoptr(GPtrArray) env_rules = NULL;
		g_setenv("FERRY_RULES_PATH", dir, TRUE);
		from_env = ferry_rules_validator_new();
		dirs = ferry_rules_validator_dup_directories(from_env);
		g_assert_cmpuint(g_strv_length(dirs), ==, 2);
		g_assert_cmpstr(dirs[1], ==, dir);
		g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*");
		g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*");
		g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*");
		g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*");
		g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*");
		g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*");
		g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "*");
		env_rules = ferry_rules_validator_list_rules(from_env, "vsphere");
		g_test_assert_expected_messages();
		g_assert_cmpuint(env_rules->len, ==, 29);
		g_unsetenv("FERRY_RULES_PATH");
	}
	ferry_test_remove_tree(dir);
}

static char *
make_vm(int n, const char *name, const char *cbt, const char *capacity)
{
	return g_strdup_printf(
		"{\"id\":\"vm-%d\",\"name\":\"%s\",\"host\":\"host-1\",\"changeTrackingEnabled\":%"
		"s,"
		"\"guestId\":\"rhel9_64Guest\",\"hostName\":\"h\",\"guestNetworks\":[{\"ip\":\"10."
		"0.0.1\"}],"
		"\"disks\":[{\"file\":\"[ds] a.vmdk\",\"datastore\":{\"id\":\"datastore-1\"},"
		"\"capacity\":%s,\"changeTrackingEnabled\":true}]}",
		n, name, cbt, capacity);
}

static char *
query_names(FerryInventory *inventory, const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) vms = ferry_inventory_select_vms(inventory, "vc", text, &error);
	GString *names = g_string_new(NULL);
	g_assert_no_error(error);
	for (guint i = 0; i < vms->len; i++)
		g_string_append_printf(
			names, "%s%s", i > 0 ? "," : "",
			json_object_get_string_member(g_ptr_array_index(vms, i), "name"));
	return g_string_free(names, FALSE);
}

/* workloads expand references; concerns are stored with the VMs, queried,
 * and recomputed only when a VM or the rules change */
static void
test_rules_revalidate(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_autoptr(FerryRulesValidator) rules = NULL;
	g_autoptr(GPtrArray) validators = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(JsonObject) workload = NULL;
	g_autoptr(GPtrArray) concerns = NULL;
	g_autofree char *names = NULL;
	g_autofree char *dir = NULL;
	guint count = 0;

	use_source_rules();
	g_assert_no_error(error);
	rules = ferry_rules_validator_new();
	g_ptr_array_add(validators, g_object_ref(rules));

	g_assert_true(ferry_inventory_begin_update(inventory, "vc", TRUE, &error));
	ferry_test_upsert(inventory, "cluster",
			  "{\"id\":\"domain-c1\",\"name\":\"prod\",\"drsEnabled\":true,"
			  "\"dpmEnabled\":false}");
	ferry_test_upsert(inventory, "host",
			  "{\"id\":\"host-1\",\"name\":\"esx1\",\"cluster\":\"domain-c1\"}");
	{
		g_autofree char *a = make_vm(1, "good", "true", "1073741824");
		g_autofree char *b = make_vm(2, "no-cbt", "false", "1073741824");
		g_autofree char *c = make_vm(3, "empty-disk", "true", "0");
		ferry_test_upsert(inventory, "vm", a);
		ferry_test_upsert(inventory, "vm", b);
		ferry_test_upsert(inventory, "vm", c);
	}
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_no_error(error);

	/* the workload has the host and its cluster in place of their ids */
	workload = ferry_inventory_get_workload(inventory, "vc", "vsphere", "vm-1", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(
					json_object_get_object_member(workload, "host"), "cluster"),
				"name"),
			==, "prod");

	g_assert_true(ferry_inventory_revalidate(inventory, "vc", "vsphere", validators, FALSE,
						 NULL, &count, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(count, ==, 3);

	concerns = ferry_inventory_get_concerns(inventory, "vc", "vm", "vm-2", &error);
	g_assert_no_error(error);
	g_assert_nonnull(find_concern(concerns, "vmware.changed_block_tracking.disabled"));
	/* from the expanded cluster */
	g_assert_nonnull(find_concern(concerns, "vmware.drs.enabled"));
	g_assert_null(find_concern(concerns, "vmware.disk.capacity.invalid"));

	names = query_names(inventory, "criticalConcerns > 0");
	g_assert_cmpstr(names, ==, "empty-disk");
	g_clear_pointer(&names, g_free);
	names = query_names(
		inventory,
		"any(concerns[*].id = 'vmware.changed_block_tracking.disabled') order by name");
	g_assert_cmpstr(names, ==, "no-cbt");
	g_clear_pointer(&names, g_free);
	names = query_names(inventory, "concernsHuman = '0/1/1'");
	g_assert_cmpstr(names, ==, "no-cbt");
	g_clear_pointer(&names, g_free);

	/* nothing changed: nothing to do */
	g_assert_true(ferry_inventory_revalidate(inventory, "vc", "vsphere", validators, FALSE,
						 NULL, &count, &error));
	g_assert_cmpuint(count, ==, 0);

	/* a VM changes: that VM only */
	g_assert_true(ferry_inventory_begin_update(inventory, "vc", FALSE, &error));
	{
		g_autofree char *b = make_vm(2, "no-cbt", "true", "1073741824");
		ferry_test_upsert(inventory, "vm", b);
	}
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_true(ferry_inventory_revalidate(inventory, "vc", "vsphere", validators, FALSE,
						 NULL, &count, &error));
	g_assert_cmpuint(count, ==, 1);
	names = query_names(inventory, "warningConcerns > 0");
	g_assert_cmpstr(names, ==, "");
	g_clear_pointer(&names, g_free);

	/* the rules change: every VM */
	dir = g_dir_make_tmp("ferry-rules-XXXXXX", NULL);
	{
		g_autofree char *file = write_file(dir, "vsphere/site.yaml",
						   "rules:\n"
						   "  - id: site.name.short\n"
						   "    category: Information\n"
						   "    label: \"short name {{ name }}\"\n"
						   "    when: len(name) < 5\n");
	}
	ferry_rules_validator_add_directory(rules, dir);
	g_assert_true(ferry_inventory_revalidate(inventory, "vc", "vsphere", validators, FALSE,
						 NULL, &count, &error));
	g_assert_cmpuint(count, ==, 3);
	names = query_names(inventory, "infoConcerns = 2");
	g_assert_cmpstr(names, ==, "good");
	g_clear_pointer(&names, g_free);
	g_assert_true(ferry_inventory_revalidate(inventory, "vc", "vsphere", validators, TRUE, NULL,
						 &count, &error));
	g_assert_cmpuint(count, ==, 3);

	/* a removed VM takes its concerns with it */
	g_assert_true(ferry_inventory_begin_update(inventory, "vc", FALSE, &error));
	g_assert_true(ferry_inventory_remove(inventory, "vm", "vm-3", &error));
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_clear_pointer(&concerns, g_ptr_array_unref);
	concerns = ferry_inventory_get_concerns(inventory, "vc", "vm", "vm-3", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(concerns->len, ==, 0);
	ferry_test_remove_tree(dir);
}

static char *
workload_text(FerryInventory *inventory, const char *provider, const char *type, const char *id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) workload =
		ferry_inventory_get_workload(inventory, provider, type, id, &error);
	g_autoptr(JsonNode) node = NULL;
	g_assert_no_error(error);
	node = json_node_init_object(json_node_alloc(), workload);
	return json_to_string(node, FALSE);
}

/* what each provider type's workloads expand, and references to nothing */
static void
test_rules_workloads(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_autofree char *text = NULL;

	g_assert_true(ferry_inventory_begin_update(inventory, "rhv", TRUE, &error));
	ferry_test_upsert(inventory, "cluster",
			  "{\"id\":\"c-1\",\"name\":\"Default\",\"ksmEnabled\":true}");
	ferry_test_upsert(inventory, "nicprofile",
			  "{\"id\":\"p-1\",\"name\":\"mgmt\",\"qos\":\"q\"}");
	ferry_test_upsert(inventory, "disk",
			  "{\"id\":\"d-1\",\"name\":\"root\",\"status\":\"ok\"}");
	ferry_test_upsert(inventory, "vm",
			  "{\"id\":\"vm-1\",\"name\":\"a\",\"cluster\":\"c-1\",\"host\":\"h-9\","
			  "\"nics\":[{\"name\":\"nic1\",\"profile\":{\"id\":\"p-1\"}},"
			  "{\"name\":\"nic2\",\"profile\":\"p-404\"},\"odd\"],"
			  "\"diskAttachments\":[{\"id\":\"d-1\",\"disk\":\"d-1\"}]}");
	ferry_test_upsert(inventory, "vm", "{\"id\":\"vm-2\",\"name\":\"b\"}");
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	text = workload_text(inventory, "rhv", "ovirt", "vm-1");
	g_assert_cmpstr(
		text, ==,
		"{\"id\":\"vm-1\",\"name\":\"a\","
		"\"cluster\":{\"id\":\"c-1\",\"name\":\"Default\",\"ksmEnabled\":true},"
		"\"host\":\"h-9\","
		"\"nics\":[{\"name\":\"nic1\",\"profile\":{\"id\":\"p-1\",\"name\":\"mgmt\","
		"\"qos\":\"q\"}},{\"name\":\"nic2\",\"profile\":\"p-404\"},\"odd\"],"
		"\"diskAttachments\":[{\"id\":\"d-1\",\"disk\":{\"id\":\"d-1\",\"name\":\"root\","
		"\"status\":\"ok\"}}]}");
	g_clear_pointer(&text, g_free);
	/* nothing to expand: members that were missing are missing or null */
	text = workload_text(inventory, "rhv", "ovirt", "vm-2");
	{
		g_autoptr(JsonNode) node = json_from_string(text, NULL);
		JsonObject *object = json_node_get_object(node);
		g_assert_cmpstr(json_object_get_string_member(object, "name"), ==, "b");
		g_assert_true(!json_object_has_member(object, "nics") ||
			      json_object_get_null_member(object, "nics"));
	}
	g_clear_pointer(&text, g_free);

	g_assert_true(ferry_inventory_begin_update(inventory, "osp", TRUE, &error));
	ferry_test_upsert(inventory, "flavor", "{\"id\":\"1\",\"name\":\"m1.small\",\"vcpus\":1}");
	ferry_test_upsert(inventory, "volume", "{\"id\":\"v-1\",\"name\":\"root\",\"size\":20}");
	ferry_test_upsert(
		inventory, "vm",
		"{\"id\":\"i-1\",\"name\":\"app\",\"flavorID\":\"1\",\"imageID\":\"img-404\","
		"\"attachedVolumes\":[{\"ID\":\"v-1\"},{\"ID\":\"v-404\"}]}");
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	text = workload_text(inventory, "osp", "openstack", "i-1");
	g_assert_cmpstr(
		text, ==,
		"{\"id\":\"i-1\",\"name\":\"app\",\"flavorID\":\"1\",\"imageID\":\"img-404\","
		"\"attachedVolumes\":[{\"ID\":\"v-1\"},{\"ID\":\"v-404\"}],"
		"\"flavor\":{\"id\":\"1\",\"name\":\"m1.small\",\"vcpus\":1},\"image\":null,"
		"\"volumes\":[{\"id\":\"v-1\",\"name\":\"root\",\"size\":20}]}");
	g_clear_pointer(&text, g_free);

	/* types with no references: the document itself */
	text = workload_text(inventory, "osp", "ova", "i-1");
	g_assert_cmpstr(
		text, ==,
		"{\"id\":\"i-1\",\"name\":\"app\",\"flavorID\":\"1\",\"imageID\":\"img-404\","
		"\"attachedVolumes\":[{\"ID\":\"v-1\"},{\"ID\":\"v-404\"}]}");
}

/* the validator is a built-in of every registry */
static void
test_rules_builtin(void)
{
	g_autoptr(FerryPluginRegistry) registry = ferry_plugin_registry_new_for_paths(NULL);
	g_autoptr(GPtrArray) validators = ferry_plugin_registry_create_validators(registry);
	gboolean found = FALSE;
	for (guint i = 0; i < validators->len; i++) {
		FerryValidator *validator = g_ptr_array_index(validators, i);
		if (g_strcmp0(ferry_validator_get_name(validator), "rules") == 0) {
			g_assert_true(FERRY_IS_RULES_VALIDATOR(validator));
			found = TRUE;
		}
	}
	g_assert_true(found);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/load", test_rules_load);
	for (guint p = 0; p < G_N_ELEMENTS(providers); p++) {
		g_autofree char *path = g_strdup_printf("/rules/cases/%s", providers[p].type);
		g_test_add_data_func(path, providers[p].type, test_rules_cases);
	}
	g_test_add_func("/rules/user-directory", test_rules_user_directory);
	g_test_add_func("/rules/revalidate", test_rules_revalidate);
	g_test_add_func("/rules/builtin", test_rules_builtin);
	g_test_add_func("/rules/workloads", test_rules_workloads);
	return g_test_run();
}

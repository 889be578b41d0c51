/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The ferry command line, run as a user would run it.
 */

#include <ferry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
	int status;
	char *out;
	char *err;
} RunResult;

static void
run_result_clear(RunResult *result)
{
	g_free(result->out);
	g_free(result->err);
}

static RunResult
run_ferry(const char *first_arg, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	RunResult result = {0};
	va_list args;

	g_ptr_array_add(argv, (gpointer)g_getenv("FERRY_BIN"));
	va_start(args, first_arg);
	for (const char *arg = first_arg; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_newv((const char *const *)argv->pdata,
				    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &result.out, &result.err,
						    &error));
	g_assert_no_error(error);
	result.status = g_subprocess_get_exit_status(process);
	return result;
}

static void
test_cli_version(void)
{
	RunResult r = run_ferry("version", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "ferry " FERRY_VERSION_STRING " (plugin ABI 1)"));
	run_result_clear(&r);
	r = run_ferry("--version", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "ferry "));
	run_result_clear(&r);
	r = run_ferry("version", "-o", "json", NULL);
	g_assert_cmpint(r.status, ==, 0);
	{
		g_autoptr(JsonNode) node = json_from_string(r.out, NULL);
		g_assert_nonnull(node);
		g_assert_cmpstr(json_object_get_string_member(json_node_get_object(node), "version"),
				==, FERRY_VERSION_STRING);
	}
	run_result_clear(&r);
}

static JsonObject *
find_entry(JsonArray *array, const char *name)
{
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonObject *object = json_array_get_object_element(array, i);
		if (g_strcmp0(json_object_get_string_member(object, "name"), name) == 0)
			return object;
	}
	return NULL;
}

static void
test_cli_plugins_json(void)
{
	RunResult r = run_ferry("plugins", "-o", "json", NULL);
	g_autoptr(JsonNode) node = NULL;
	JsonArray *array;
	JsonObject *good, *wrong_abi;

	g_assert_cmpint(r.status, ==, 0);
	node = json_from_string(r.out, NULL);
	g_assert_nonnull(node);
	array = json_node_get_array(node);
	good = find_entry(array, "good");
	g_assert_nonnull(good);
	g_assert_true(json_object_get_boolean_member(good, "loaded"));
	g_assert_cmpint(json_object_get_int_member(good, "abi"), ==, FERRY_PLUGIN_ABI_VERSION);
	g_assert_cmpstr(
	    json_array_get_string_element(json_object_get_array_member(good, "providerTypes"), 0),
	    ==, "good");
	g_assert_cmpstr(json_array_get_string_element(
			    json_object_get_array_member(good, "transferMethods"), 0),
			==, "good-copy");
	g_assert_true(g_str_has_suffix(json_object_get_string_member(good, "file"), "/good.so"));
	wrong_abi = find_entry(array, "wrong-abi");
	g_assert_nonnull(wrong_abi);
	g_assert_false(json_object_get_boolean_member(wrong_abi, "loaded"));
	g_assert_nonnull(strstr(json_object_get_string_member(wrong_abi, "error"), "ABI 999"));
	/* each broken plugin warned once on stderr */
	g_assert_nonnull(strstr(r.err, "ferry: warning: plugin wrong-abi"));
	g_assert_nonnull(strstr(r.err, "ferry: warning: plugin not-elf"));
	g_assert_null(strstr(strstr(r.err, "plugin not-elf") + 1, "plugin not-elf"));
	run_result_clear(&r);
}

static void
test_cli_plugins_table(void)
{
	RunResult r = run_ferry("plugins", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "NAME "));
	g_assert_nonnull(strstr(r.out, "good "));
	g_assert_nonnull(strstr(r.out, "loaded"));
	g_assert_nonnull(strstr(r.out, "skipped"));
	run_result_clear(&r);
	r = run_ferry("-q", "plugins", "--no-load", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "found"));
	g_assert_cmpstr(r.err, ==, "");
	run_result_clear(&r);
}

static void
test_cli_usage_errors(void)
{
	RunResult r = run_ferry(NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "Verbs:"));
	run_result_clear(&r);
	r = run_ferry("frobnicate", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "unknown verb 'frobnicate'"));
	run_result_clear(&r);
	r = run_ferry("plugins", "-o", "xml", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "unknown output format 'xml'"));
	run_result_clear(&r);
	r = run_ferry("plugins", "--bogus", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "Unknown option --bogus"));
	run_result_clear(&r);
	r = run_ferry("plugins", "extra", NULL);
	g_assert_cmpint(r.status, ==, 2);
	run_result_clear(&r);
}

static void
test_cli_help(void)
{
	RunResult r = run_ferry("--help", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "plugins"));
	run_result_clear(&r);
	/* every verb has --help, and it exits 0 */
	for (const char *const *verb = (const char *const[]){"version", "plugins", NULL};
	     *verb != NULL; verb++) {
		r = run_ferry(*verb, "--help", NULL);
		g_assert_cmpint(r.status, ==, 0);
		g_assert_nonnull(strstr(r.out, "Usage:"));
		g_assert_nonnull(strstr(r.out, "--state"));
		run_result_clear(&r);
	}
	r = run_ferry("help", "plugins", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "--no-load"));
	run_result_clear(&r);
}

static JsonObject *
doctor_row(JsonArray *rows, const char *check)
{
	for (guint i = 0; i < json_array_get_length(rows); i++) {
		JsonObject *row = json_array_get_object_element(rows, i);
		if (g_strcmp0(json_object_get_string_member(row, "check"), check) == 0)
			return row;
	}
	g_assert_not_reached();
}

/* the accelerator forced by the environment, the required tools found */
static void
test_cli_doctor(void)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonArray *rows;
	JsonObject *kvm;
	RunResult r;

	g_setenv("FERRY_ACCEL", "tcg", TRUE);
	r = run_ferry("doctor", "-o", "json", NULL);
	g_unsetenv("FERRY_ACCEL");
	g_assert_true(json_parser_load_from_data(parser, r.out, -1, &error));
	g_assert_no_error(error);
	rows = json_node_get_array(json_parser_get_root(parser));
	kvm = doctor_row(rows, "KVM");
	g_assert_cmpstr(json_object_get_string_member(kvm, "status"), ==, "warning");
	g_assert_nonnull(strstr(json_object_get_string_member(kvm, "detail"), "FERRY_ACCEL=tcg"));
	g_assert_cmpstr(json_object_get_string_member(doctor_row(rows, "qemu-img"), "status"), ==,
			"ok");
	g_assert_cmpstr(json_object_get_string_member(doctor_row(rows, "qemu-nbd"), "status"), ==,
			"ok");
	run_result_clear(&r);
}

/* a machine without the tools: each is named with its package, status 1 */
static void
test_cli_doctor_missing(void)
{
	g_autofree char *old_path = g_strdup(g_getenv("PATH"));
	g_autofree char *empty = g_dir_make_tmp("ferry-doctor-XXXXXX", NULL);
	RunResult r;

	g_assert_nonnull(empty);
	g_setenv("PATH", empty, TRUE);
	g_setenv("FERRY_ACCEL", "kvm", TRUE);
	r = run_ferry("doctor", NULL);
	g_setenv("PATH", old_path, TRUE);
	g_unsetenv("FERRY_ACCEL");
	g_rmdir(empty);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_nonnull(strstr(r.out, "qemu-img"));
	g_assert_nonnull(strstr(r.out, "apt-get install qemu-utils"));
	g_assert_nonnull(strstr(r.out, "apt-get install virt-v2v"));
	g_assert_nonnull(strstr(r.out, " problems, "));
	run_result_clear(&r);
}

static JsonObject *
provider_condition(JsonObject *provider, const char *type)
{
	JsonArray *conditions = json_object_get_array_member(
		json_object_get_object_member(provider, "status"), "conditions");
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(c, "type"), type) == 0)
			return c;
	}
	return NULL;
}

/* `ferry provider test` records the conditions the provider's own test
 * reports (here the fixture's world file says them), asks it about the
 * target namespaces of the plans migrating to it, prints them with their
 * items, exits 1 and leaves the Provider not Ready on a Critical one, and
 * a later test replaces them */
static void
test_cli_provider_test_conditions(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-cli-provider-XXXXXX", NULL);
	g_autofree char *state = g_build_filename(dir, "state", NULL);
	g_autofree char *world = g_build_filename(dir, "world.json", NULL);
	g_autofree char *manifest = g_build_filename(dir, "providers.yaml", NULL);
	g_autofree char *text = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *plugin_path = g_strdup(g_getenv("FERRY_PLUGIN_PATH"));
	JsonObject *provider;
	RunResult r;

	/* the fixture provider of type `test` */
	g_setenv("FERRY_PLUGIN_PATH", g_getenv("FERRY_TESTPROV_DIR"), TRUE);
	text = g_strdup_printf(
		"apiVersion: forklift.konveyor.io/v1beta1\n"
		"kind: Provider\n"
		"metadata: {name: fx, namespace: demo}\n"
		"spec: {type: test, url: 'file://%s'}\n"
		"---\n"
		"apiVersion: forklift.konveyor.io/v1beta1\n"
		"kind: Plan\n"
		"metadata: {name: p, namespace: demo}\n"
		"spec:\n"
		"  targetNamespace: vms-here\n"
		"  provider: {source: {name: fx}, destination: {name: fx}}\n"
		"  map: {network: {name: n}, storage: {name: s}}\n"
		"  vms: [{name: a}]\n",
		world);
	g_assert_true(g_file_set_contents(manifest, text, -1, NULL));
	g_assert_true(g_file_set_contents(
		world,
		"{\"vms\": [], \"connectionTest\": {\"details\": {\"version\": \"9.9\"},"
		" \"conditions\": [{\"type\": \"ClusterVersion\", \"status\": \"True\","
		" \"category\": \"Advisory\", \"reason\": \"Found\", \"message\": \"Version 9.9.\"},"
		" {\"type\": \"InsufficientPrivileges\", \"status\": \"True\","
		" \"category\": \"Critical\", \"reason\": \"Forbidden\","
		" \"message\": \"Some permissions are missing.\","
		" \"suggestion\": \"Grant them.\", \"items\": [\"vms-here: create pods\"]}]}}",
		-1, NULL));
	r = run_ferry("--state", state, "-n", "demo", "apply", "-f", manifest, NULL);
	g_assert_cmpint(r.status, ==, 0);
	run_result_clear(&r);

	r = run_ferry("--state", state, "-n", "demo", "provider", "test", "fx", NULL);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_nonnull(strstr(r.out, "  ClusterVersion: Version 9.9.\n"));
	g_assert_nonnull(strstr(r.out, "  InsufficientPrivileges (Critical): Some permissions are "
				       "missing.\n    - vms-here: create pods\n    Grant them.\n"));
	g_assert_nonnull(strstr(r.out, "The Provider is not Ready"));
	run_result_clear(&r);
	r = run_ferry("--state", state, "-n", "demo", "provider", "test", "fx", "-o", "json", NULL);
	g_assert_cmpint(r.status, ==, 1);
	node = json_from_string(r.out, NULL);
	g_assert_nonnull(node);
	provider = json_node_get_object(node);
	g_assert_false(json_object_get_boolean_member(provider, "ready"));
	/* asked about the plan's target namespace */
	g_assert_cmpstr(json_array_get_string_element(
				json_object_get_array_member(
					json_object_get_object_member(provider, "details"),
					"namespaces"),
				0),
			==, "vms-here");
	g_clear_pointer(&node, json_node_unref);
	run_result_clear(&r);
	r = run_ferry("--state", state, "-n", "demo", "get", "provider", "fx", "-o", "json", NULL);
	node = json_from_string(r.out, NULL);
	provider = json_node_get_object(node);
	g_assert_nonnull(provider_condition(provider, "ConnectionTestSucceeded"));
	g_assert_nonnull(provider_condition(provider, "InsufficientPrivileges"));
	g_assert_cmpstr(json_object_get_string_member(
				provider_condition(provider, "InsufficientPrivileges"), "suggestion"),
			==, "Grant them.");
	g_assert_null(provider_condition(provider, "Ready"));
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(provider, "status"), "phase"),
			==, "ValidationFailed");
	g_clear_pointer(&node, json_node_unref);
	run_result_clear(&r);

	/* fixed: the old conditions go, the new ones come, the Provider is Ready */
	g_assert_true(g_file_set_contents(
		world,
		"{\"vms\": [], \"connectionTest\": {\"conditions\": [{\"type\": \"PrivilegesVerified\","
		" \"status\": \"True\", \"category\": \"Advisory\", \"reason\": \"Allowed\","
		" \"message\": \"All there.\"}]}}",
		-1, NULL));
	r = run_ferry("--state", state, "-n", "demo", "provider", "test", "fx", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "  PrivilegesVerified: All there.\n"));
	run_result_clear(&r);
	r = run_ferry("--state", state, "-n", "demo", "get", "provider", "fx", "-o", "json", NULL);
	node = json_from_string(r.out, NULL);
	provider = json_node_get_object(node);
	g_assert_null(provider_condition(provider, "InsufficientPrivileges"));
	g_assert_null(provider_condition(provider, "ClusterVersion"));
	g_assert_nonnull(provider_condition(provider, "PrivilegesVerified"));
	g_assert_nonnull(provider_condition(provider, "Ready"));
	run_result_clear(&r);

	r = run_ferry("--state", state, "-n", "demo", "delete", "provider", "fx", NULL);
	run_result_clear(&r);
	{
		const char *rm[] = {"rm", "-rf", dir, NULL};
		g_assert_true(g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
					   NULL, NULL, NULL, NULL));
	}
	g_setenv("FERRY_PLUGIN_PATH", plugin_path, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (g_getenv("FERRY_BIN") == NULL) {
		g_printerr("FERRY_BIN is not set; run through meson test\n");
		return 77;
	}
	g_test_add_func("/cli/version", test_cli_version);
	g_test_add_func("/cli/provider-test-conditions", test_cli_provider_test_conditions);
	g_test_add_func("/cli/plugins-json", test_cli_plugins_json);
	g_test_add_func("/cli/plugins-table", test_cli_plugins_table);
	g_test_add_func("/cli/usage-errors", test_cli_usage_errors);
	g_test_add_func("/cli/help", test_cli_help);
	g_test_add_func("/cli/doctor", test_cli_doctor);
	g_test_add_func("/cli/doctor-missing", test_cli_doctor_missing);
	return g_test_run();
}

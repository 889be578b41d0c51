/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "ferry.h"

static char *
docs_path(void)
{
	return g_test_build_filename(G_TEST_DIST, "..", "tests", "manifests", "forklift-docs.yaml",
				     NULL);
}

/* every kind, as Forklift's documentation writes it, loads and round-trips */
static void
test_manifest_docs(void)
{
	g_autofree char *path = docs_path();
	const char *paths[] = {path, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(GPtrArray) resources = ferry_manifest_load_paths(paths, NULL, &warnings, &error);
	const char *const expected[] = {"Secret", "Provider",   "Provider",          "Secret",
					"Host",   "NetworkMap", "StorageMap",        "Hook",
					"Plan",   "Migration",  "ForkliftController"};

	g_assert_no_error(error);
	g_assert_cmpuint(warnings->len, ==, 0);
	g_assert_cmpuint(resources->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < resources->len; i++) {
		FerryResource *resource = g_ptr_array_index(resources, i);
		JsonNode *json = ferry_resource_get_json(resource);
		g_autofree char *yaml = NULL;
		g_autofree char *json_text = NULL;
		g_autoptr(GPtrArray) again = NULL;
		g_autoptr(GPtrArray) from_json = NULL;

		g_assert_cmpstr(ferry_resource_get_kind(resource), ==, expected[i]);
		g_assert_cmpstr(ferry_resource_get_namespace(resource), ==, "openshift-mtv");
		g_assert_true(G_TYPE_CHECK_INSTANCE_TYPE(
			resource, ferry_resource_kind_get_gtype(expected[i])));
		/* YAML → object → YAML → object, and through JSON */
		yaml = ferry_yaml_to_string(json, &error);
		g_assert_no_error(error);
		again = ferry_manifest_load_data(yaml, -1, "again.yaml", NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_true(json_node_equal(
			json, ferry_resource_get_json(g_ptr_array_index(again, 0))));
		json_text = json_to_string(json, TRUE);
		from_json =
			ferry_manifest_load_data(json_text, -1, "again.json", NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_true(json_node_equal(
			json, ferry_resource_get_json(g_ptr_array_index(from_json, 0))));
	}

	/* typed accessors over what was read */
	{
		FerryProviderResource *provider = g_ptr_array_index(resources, 1);
		FerryNetworkMap *map = g_ptr_array_index(resources, 5);
		FerryStorageMap *storage = g_ptr_array_index(resources, 6);
		FerryHook *hook = g_ptr_array_index(resources, 7);
		FerryPlan *plan = g_ptr_array_index(resources, 8);
		FerryMigration *migration = g_ptr_array_index(resources, 9);
		FerryForkliftController *controller = g_ptr_array_index(resources, 10);
		FerrySecretResource *secret = g_ptr_array_index(resources, 3);
		g_autoptr(FerrySecret) credentials = NULL;
		g_autoptr(GBytes) playbook = NULL;
		g_autofree char *user = NULL;
		const char *name_space = NULL;

		g_assert_cmpstr(ferry_provider_resource_get_provider_type(provider), ==, "vsphere");
		g_assert_cmpstr(ferry_provider_resource_get_setting(provider, "sdkEndpoint"), ==,
				"vcenter");
		g_assert_cmpstr(ferry_provider_resource_get_secret(provider, &name_space), ==,
				"vsphere-credentials");
		g_assert_cmpstr(name_space, ==, "openshift-mtv");
		g_assert_true(ferry_provider_resource_is_host(g_ptr_array_index(resources, 2)));
		g_assert_cmpstr(json_object_get_string_member(ferry_network_map_find_destination(
								      map, "dvportgroup-13", NULL),
							      "name"),
				==, "vlan-100");
		g_assert_cmpstr(json_object_get_string_member(ferry_network_map_find_destination(
								      map, NULL, "Backup Network"),
							      "type"),
				==, "ignored");
		g_assert_null(ferry_network_map_find_destination(map, "network-99", NULL));
		g_assert_cmpstr(
			json_object_get_string_member(
				ferry_storage_map_find_destination(storage, NULL, "nfs-datastore"),
				"storageClass"),
			==, "nfs-csi");
		playbook = ferry_hook_dup_playbook(hook, &error);
		g_assert_no_error(error);
		g_assert_true(
			g_str_has_prefix(g_bytes_get_data(playbook, NULL), "---\n- name: Main"));
		g_assert_cmpint(ferry_hook_get_deadline(hook), ==, 600);
		g_assert_cmpstr(ferry_plan_get_migration_type(plan), ==, "cold");
		/* the CRD's defaults are filled in, as the API server does; the
		 * null preserveStaticIPs counts as not set */
		g_assert_true(ferry_resource_get_boolean(FERRY_RESOURCE(plan),
							 "spec.preserveStaticIPs", FALSE));
		g_assert_true(ferry_resource_get_boolean(FERRY_RESOURCE(plan),
							 "spec.runPreflightInspection", FALSE));
		g_assert_true(ferry_resource_get_boolean(FERRY_RESOURCE(plan),
							 "spec.migrateSharedDisks", FALSE));
		g_assert_nonnull(
			ferry_resource_get_node(FERRY_RESOURCE(plan), "spec.xfsCompatibility"));
		g_assert_false(ferry_resource_get_boolean(FERRY_RESOURCE(plan),
							  "spec.xfsCompatibility", TRUE));
		/* what was given is kept */
		g_assert_true(ferry_resource_get_boolean(
			FERRY_RESOURCE(plan), "spec.pvcNameTemplateUseGenerateName", FALSE));
		/* name templates: VM, then plan, then controller, then default */
		g_assert_cmpstr(ferry_plan_get_name_template(plan, 1, FERRY_NAME_TEMPLATE_PVC,
							     controller, FALSE),
				==, "{{if .Shared}}shared{{else}}web02{{end}}-{{.DiskIndex}}");
		g_assert_cmpstr(ferry_plan_get_name_template(plan, 0, FERRY_NAME_TEMPLATE_PVC,
							     controller, FALSE),
				==, "{{.VmName | lower}}-disk-{{.DiskIndex}}");
		g_assert_cmpstr(ferry_plan_get_name_template(plan, 0, FERRY_NAME_TEMPLATE_VOLUME,
							     NULL, FALSE),
				==, "disk-{{.VolumeIndex}}");
		{
			g_autoptr(GPtrArray) bare = ferry_manifest_load_data(
				"apiVersion: forklift.konveyor.io/v1beta1\nkind: Plan\n"
				"metadata: {name: p}\nspec:\n  targetNamespace: t\n"
				"  provider: {source: {name: a}, destination: {name: b}}\n"
				"  map: {network: {name: n}, storage: {name: s}}\n  vms: [{id: "
				"v}]\n"
				"---\napiVersion: forklift.konveyor.io/v1beta1\n"
				"kind: ForkliftController\nmetadata: {name: fc}\n"
				"spec: {controller_pvc_name_template: "
				"'{{.VmName}}-{{.DiskIndex}}'}\n",
				-1, "bare.yaml", NULL, NULL, &error);
			FerryPlan *bare_plan = g_ptr_array_index(bare, 0);
			g_assert_no_error(error);
			g_assert_cmpstr(
				ferry_plan_get_name_template(bare_plan, 0, FERRY_NAME_TEMPLATE_PVC,
							     g_ptr_array_index(bare, 1), FALSE),
				==, "{{.VmName}}-{{.DiskIndex}}");
			g_assert_cmpstr(ferry_plan_get_name_template(
						bare_plan, 0, FERRY_NAME_TEMPLATE_PVC, NULL, FALSE),
					==,
					"{{trunc 15 .PlanName}}-{{trunc 15 .TargetVmName}}-disk-{{."
					"DiskIndex}}");
			g_assert_cmpstr(ferry_plan_get_name_template(
						bare_plan, 0, FERRY_NAME_TEMPLATE_PVC, NULL, TRUE),
					==, "{{.SourcePVCName}}");
			g_assert_cmpstr(ferry_plan_get_name_template(bare_plan, 0,
								     FERRY_NAME_TEMPLATE_NETWORK,
								     NULL, FALSE),
					==, "net-{{.NetworkIndex}}");
		}
		/* and nothing is added inside objects that are not there */
		g_assert_null(ferry_resource_get_node(FERRY_RESOURCE(plan), "spec.tagMapping"));
		g_assert_true(ferry_plan_get_preserve_static_ips(plan));
		g_assert_true(ferry_plan_get_delete_vm_on_fail_migration(plan));
		g_assert_cmpstr(ferry_plan_get_target_power_state(plan), ==, "auto");
		g_assert_cmpstr(ferry_plan_get_network_map(plan, NULL), ==, "vsphere-network-map");
		g_assert_cmpuint(json_array_get_length(ferry_plan_get_vms(plan)), ==, 2);
		g_assert_cmpstr(ferry_migration_get_plan(migration, NULL), ==, "web-tier");
		g_assert_cmpstr(ferry_migration_get_vm_cutover(migration, "vm-431"), ==,
				"2026-12-01T22:00:00Z");
		g_assert_cmpint(ferry_forklift_controller_get_setting_int(
					controller, "controller_max_vm_inflight"),
				==, 40);
		g_assert_cmpint(ferry_forklift_controller_get_setting_int(
					controller, "controller_precopy_interval"),
				==, 30);
		g_assert_cmpint(ferry_forklift_controller_get_setting_int(
					controller, "controller_max_populator_inflight"),
				==, 20);
		g_assert_cmpint(ferry_forklift_controller_get_setting_int(
					NULL, "controller_blocker_grace_period_minutes"),
				==, 5);
		g_assert_true(ferry_forklift_controller_get_setting_boolean(controller,
									    "feature_validation"));
		g_assert_false(ferry_forklift_controller_get_setting_boolean(
			controller, "feature_copy_offload"));
		credentials = ferry_secret_resource_to_secret(secret, &error);
		g_assert_no_error(error);
		user = ferry_secret_dup_string(credentials, "user");
		g_assert_cmpstr(user, ==, "root");
	}
}

static void
test_manifest_unknown_fields(void)
{
	const char *text = "apiVersion: forklift.konveyor.io/v1beta1\n"
			   "kind: Hook\n"
			   "metadata:\n"
			   "  name: h\n"
			   "spec:\n"
			   "  image: quay.io/konveyor/hook-runner\n"
			   "  futureField: {nested: [1, 2]}\n"
			   "extra: kept\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(GPtrArray) resources =
		ferry_manifest_load_data(text, -1, "hook.yaml", "team-a", &warnings, &error);
	FerryResource *hook;
	g_autofree char *yaml = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(warnings->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(warnings, 0), ==,
			"hook.yaml:7:16: Hook/h: spec.futureField: unknown field; it is kept but "
			"Ferry does not use it (check its spelling)");
	g_assert_true(
		g_str_has_prefix(g_ptr_array_index(warnings, 1), "hook.yaml:8:8: Hook/h: extra:"));
	hook = g_ptr_array_index(resources, 0);
	g_assert_cmpstr(ferry_resource_get_namespace(hook), ==, "team-a");
	g_assert_cmpint(ferry_resource_get_int(hook, "spec.futureField.nested[1]", 0), ==, 2);
	yaml = ferry_yaml_to_string(ferry_resource_get_json(hook), &error);
	g_assert_nonnull(strstr(yaml, "futureField:\n    nested:\n    - 1\n    - 2\n"));
	g_assert_nonnull(strstr(yaml, "extra: kept\n"));
}

typedef struct {
	const char *name;
	const char *text;
	const char *message; /* glob over the whole error message */
} BadCase;

#define PLAN_HEAD                                                                                  \
	"apiVersion: forklift.konveyor.io/v1beta1\nkind: Plan\nmetadata:\n  name: web-tier\n"
#define PLAN_SPEC                                                                                  \
	"spec:\n  targetNamespace: web\n  provider: {source: {name: a}, destination: {name: "      \
	"b}}\n  map: {network: {name: n}, storage: {name: s}}\n"

/* every class of error the schema and naming rules find */
static const BadCase bad_cases[] = {
	{"wrong type", PLAN_HEAD PLAN_SPEC "  vms: []\n  warm: maybe\n",
	 "*bad.yaml:10:9: Plan/web-tier: spec.warm: expected true or false, got a string "
	 "\"maybe\"*"},
	{"required", PLAN_HEAD "spec:\n  targetNamespace: web\n  vms: []\n",
	 "*bad.yaml:5:1: Plan/web-tier: spec.map: required field is missing*spec.provider: "
	 "required field is missing*"},
	{"required nested",
	 PLAN_HEAD "spec:\n  targetNamespace: web\n  vms: []\n  provider: {source: {name: a}}\n"
		   "  map: {network: {name: n}, storage: {name: s}}\n",
	 "*bad.yaml:8:13: Plan/web-tier: spec.provider.destination: required field is missing*"},
	{"enum", PLAN_HEAD PLAN_SPEC "  vms: []\n  type: hot\n",
	 "*bad.yaml:10:9: Plan/web-tier: spec.type: unsupported value \"hot\"; use one of "
	 "\"cold\", \"warm\", \"live\", \"conversion\"*"},
	{"nested enum",
	 PLAN_HEAD PLAN_SPEC "  vms:\n  - id: vm-1\n    targetPowerState: sleeping\n",
	 "*bad.yaml:11:23: Plan/web-tier: spec.vms[0].targetPowerState: unsupported value*"},
	{"pattern", PLAN_HEAD PLAN_SPEC "  vms: []\n  serviceAccount: Bad_Account\n",
	 "*spec.serviceAccount: \"Bad_Account\" does not match the pattern*"},
	{"max length",
	 PLAN_HEAD PLAN_SPEC
	 "  vms: []\n  serviceAccount: "
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaa\n",
	 "*spec.serviceAccount: too long: at most 253 characters*"},
	{"array item type", PLAN_HEAD PLAN_SPEC "  vms: [vm-1]\n",
	 "*bad.yaml:9:9: Plan/web-tier: spec.vms[0]: expected a mapping, got a string \"vm-1\"*"},
	{"string map", PLAN_HEAD PLAN_SPEC "  vms: []\n  targetLabels: {app: web, tier: {x: 1}}\n",
	 "*spec.targetLabels.tier: expected a string, got a mapping*"},
	{"vlan pattern",
	 "apiVersion: forklift.konveyor.io/v1beta1\nkind: NetworkMap\nmetadata: {name: m}\n"
	 "spec:\n  provider: {source: {name: a}, destination: {name: b}}\n"
	 "  map:\n  - source: {id: net-1, vlan: \"4095\"}\n    destination: {type: pod}\n",
	 "*bad.yaml:7:31: NetworkMap/m: spec.map[0].source.vlan: \"4095\" does not match*"},
	{"date-time",
	 "apiVersion: forklift.konveyor.io/v1beta1\nkind: Migration\nmetadata: {name: m}\n"
	 "spec:\n  plan: {name: p}\n  cutover: tomorrow\n",
	 "*bad.yaml:6:12: Migration/m: spec.cutover: \"tomorrow\" is not a time*"},
	{"integer",
	 "apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\nmetadata: {name: h}\n"
	 "spec:\n  deadline: 1.5\n",
	 "*spec.deadline: expected an integer, got a number 1.5*"},
	{"unknown kind",
	 "apiVersion: forklift.konveyor.io/v1beta1\nkind: Plans\nmetadata: {name: "
	 "p}\n",
	 "*bad.yaml:2:7: Plans/p: kind: 'Plans' is not a kind Ferry knows*"},
	{"api version",
	 "apiVersion: forklift.konveyor.io/v1alpha1\nkind: Hook\nmetadata: {name: "
	 "h}\nspec: {}\n",
	 "*bad.yaml:1:13: Hook/h: apiVersion: 'forklift.konveyor.io/v1alpha1' is not valid for "
	 "Hook; use forklift.konveyor.io/v1beta1*"},
	{"name",
	 "apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\nmetadata: {name: "
	 "Web_Hook}\nspec: {}\n",
	 "*bad.yaml:3:18: Hook/Web_Hook: metadata.name: 'Web_Hook' is not a valid name*"},
	{"no name",
	 "apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\nmetadata: {}\nspec: {}\n",
	 "*bad.yaml:3:11: Hook/(no name): metadata.name: required field is missing*"},
	{"template",
	 PLAN_HEAD PLAN_SPEC "  vms: []\n  pvcNameTemplate: \"{{.VmName}}_{{.Disk}}\"\n",
	 "*bad.yaml:10:20: Plan/web-tier: spec.pvcNameTemplate: pvcNameTemplate is invalid: "
	 "template: can't evaluate field Disk*"},
	{"template syntax",
	 PLAN_HEAD PLAN_SPEC "  vms:\n  - id: vm-1\n"
			     "    volumeNameTemplate: \"{{if .VolumeIndex}}\"\n",
	 "*spec.vms[0].volumeNameTemplate: volumeNameTemplate is invalid: template: column 20: "
	 "unexpected EOF*"},
	{"template output",
	 PLAN_HEAD PLAN_SPEC "  vms: []\n  networkNameTemplate: "
			     "\"{{.NetworkName | upper}}\"\n",
	 "*spec.networkNameTemplate: networkNameTemplate is invalid: the template gives "
	 "'TEST-NETWORK', which is not a valid name*"},
	{"target name", PLAN_HEAD PLAN_SPEC "  vms:\n  - id: vm-1\n    targetName: Web_01\n",
	 "*bad.yaml:11:17: Plan/web-tier: spec.vms[0].targetName: targetName 'Web_01' is not a "
	 "valid name*"},
	{"hook step",
	 PLAN_HEAD PLAN_SPEC "  vms:\n  - id: vm-1\n    hooks:\n    - {step: During, hook: "
			     "{name: h}}\n",
	 "*spec.vms[0].hooks[0].step: unsupported step; use PreHook or PostHook*"},
	{"secret base64",
	 "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ndata:\n  password: "
	 "\"s3cr3t value!\"\n",
	 "*bad.yaml:5:13: Secret/creds: data.password: not valid base64 (the value is not "
	 "shown)*"},
	{"secret type",
	 "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData:\n  "
	 "port: 443\n",
	 "*bad.yaml:5:9: Secret/creds: stringData.port: expected a string, got an integer (value "
	 "not shown)*"},
	{"namespace mismatch",
	 "apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\nmetadata: {name: h, namespace: "
	 "prod}\nspec: {}\n",
	 "*metadata.namespace: 'prod' does not match the namespace given with -n ('dev')*"},
	{"yaml syntax", "kind: Hook\nmetadata: {name: h\nspec: {}\n", "*bad.yaml:3:*invalid YAML*"},
	{"json syntax", "{\"kind\": \"Hook\",}", "*bad.yaml:1:*invalid JSON*"},
	{"list item",
	 "apiVersion: v1\nkind: List\nitems:\n- apiVersion: forklift.konveyor.io/v1beta1\n  kind: "
	 "Hook\n  metadata: {name: h}\n  spec: {deadline: soon}\n",
	 "*bad.yaml:7:20: Hook/h: spec.deadline: expected an integer, got a string \"soon\"*"},
	{"not a mapping", "- a\n- b\n",
	 "*bad.yaml:1:1: (no kind)/(no name): a resource must be "
	 "a mapping*"},
};

static void
test_manifest_errors(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		const BadCase *c = &bad_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) resources = ferry_manifest_load_data(
			c->text, -1, "bad.yaml",
			g_strcmp0(c->name, "namespace mismatch") == 0 ? "dev" : NULL, NULL, &error);
		g_assert_null(resources);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
		if (!g_pattern_match_simple(c->message, error->message))
			g_error("case '%s': the error\n%s\ndoes not match\n%s", c->name,
				error->message, c->message);
		g_assert_true(g_str_has_prefix(error->message, "1 error") ||
			      g_str_has_prefix(error->message, "2 errors") ||
			      g_str_has_prefix(error->message, "3 errors"));
		g_assert_nonnull(strstr(error->message, "nothing was applied"));
		/* never a value from a Secret */
		g_assert_null(strstr(error->message, "s3cr3t"));
	}
}

/* a file with one bad document gives nothing, and every error is listed */
static void
test_manifest_all_or_nothing(void)
{
	g_autofree char *good = docs_path();
	g_autofree char *bad =
		g_test_build_filename(G_TEST_DIST, "..", "tests", "manifests", "broken.yaml", NULL);
	const char *paths[] = {good, bad, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources = ferry_manifest_load_paths(paths, NULL, NULL, &error);
	g_autofree char *expected = NULL;

	g_assert_null(resources);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	expected = g_strdup_printf("2 errors in the manifests; nothing was applied:\n"
				   "%s:18:13: Plan/web-tier: spec.map.network.name: expected a "
				   "string, got an integer 42\n"
				   "%s:20:9: Plan/web-tier: spec.type: unsupported value \"hot\"; "
				   "use one of \"cold\", \"warm\", \"live\", \"conversion\"",
				   bad, bad);
	g_assert_cmpstr(error->message, ==, expected);
}

/* Forklift's own sample CRs: templates with placeholders, which Kubernetes
 * would refuse too; every problem is named */
static void
test_manifest_forklift_samples(void)
{
	g_autofree char *dir =
		g_test_build_filename(G_TEST_DIST, "..", "..", "shared", "testdata",
				      "forklift-examples", "operator", "config", "samples", NULL);
	g_autofree char *plan = g_build_filename(dir, "forklift_v1beta1_plan.yaml", NULL);
	g_autofree char *hook = g_build_filename(dir, "forklift_v1beta1_hook.yaml", NULL);
	g_autofree char *controller =
		g_build_filename(dir, "forklift_v1beta1_forkliftcontroller.yaml", NULL);
	g_autoptr(GError) error = NULL;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_test_skip("../shared/testdata/forklift-examples is absent (CI always has it)");
		return;
	}
	{
		const char *paths[] = {plan, NULL};
		g_autoptr(GPtrArray) none = ferry_manifest_load_paths(paths, NULL, NULL, &error);
		g_assert_null(none);
		g_assert_nonnull(
			strstr(error->message, "metadata.namespace: not a valid namespace"));
		g_assert_nonnull(strstr(error->message, "spec.targetNamespace: required field"));
		g_assert_nonnull(strstr(error->message, "spec.vms: required field"));
		g_assert_nonnull(strstr(error->message, "spec.map: required field"));
		g_clear_error(&error);
	}
	{
		/* with the placeholder filled in they load */
		const char *paths[] = {hook, controller, NULL};
		g_autofree char *hook_text = NULL;
		g_autofree char *controller_text = NULL;
		g_autofree char *joined = NULL;
		g_autofree char *filled = NULL;
		g_autoptr(GPtrArray) loaded = NULL;
		g_autoptr(GRegex) placeholder = g_regex_new("\\$\\{NAMESPACE\\}", 0, 0, NULL);
		g_assert_true(g_file_get_contents(paths[0], &hook_text, NULL, NULL));
		g_assert_true(g_file_get_contents(paths[1], &controller_text, NULL, NULL));
		joined = g_strconcat(hook_text, "\n", controller_text, NULL);
		filled = g_regex_replace_literal(placeholder, joined, -1, 0, "konveyor-forklift", 0,
						 NULL);
		loaded = ferry_manifest_load_data(filled, -1, "samples.yaml", NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(loaded->len, ==, 2);
	}
}

int
main(int argc, char **argv)
{
	g_autofree char *data_dir = NULL;
	g_test_init(&argc, &argv, NULL);
	data_dir = g_test_build_filename(G_TEST_DIST, "..", "data", NULL);
	if (g_getenv("FERRY_DATA_DIR") == NULL)
		g_setenv("FERRY_DATA_DIR", data_dir, TRUE);
	g_test_add_func("/manifest/docs", test_manifest_docs);
	g_test_add_func("/manifest/unknown-fields", test_manifest_unknown_fields);
	g_test_add_func("/manifest/errors", test_manifest_errors);
	g_test_add_func("/manifest/all-or-nothing", test_manifest_all_or_nothing);
	g_test_add_func("/manifest/forklift-samples", test_manifest_forklift_samples);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `ferry inventory` as a user runs it: refresh through a provider plugin,
 * queries, output formats, validation on the way, rule listing.
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ferry-cli-run.h"
#include "ferry-test-util-private.h"

typedef struct {
	char *dir;
	char *state;
} Fixture;

static const char *const manifests =
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: lab-secret, namespace: default}\n"
	"stringData: {user: admin, password: good}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: lab, namespace: default}\n"
	"spec:\n"
	"  type: good\n"
	"  url: https://lab.example.com\n"
	"  secret: {name: lab-secret, namespace: default}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: vc-secret, namespace: default}\n"
	"stringData: {user: admin, password: secret, insecureSkipVerify: 'true'}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: vc, namespace: default}\n"
	"spec:\n"
	"  type: vsphere\n"
	"  url: https://vcenter.example.com/sdk\n"
	"  secret: {name: vc-secret, namespace: default}\n";

/* a vSphere inventory as the vsphere plugin stores it, written directly */
static void
load_vsphere(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(fixture->state, "inventory.db", NULL);
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(path, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_inventory_begin_update(inventory, "vc", TRUE, &error));
	ferry_test_upsert(inventory, "cluster",
			  "{\"id\":\"domain-c7\",\"name\":\"prod\",\"drsEnabled\":false}");
	ferry_test_upsert(inventory, "host",
			  "{\"id\":\"host-21\",\"name\":\"esx1\",\"cluster\":\"domain-c7\"}");
	ferry_test_upsert(inventory, "datastore", "{\"id\":\"datastore-11\",\"name\":\"fast\"}");
	ferry_test_upsert(inventory, "network", "{\"id\":\"network-7\",\"name\":\"VM Network\"}");
	for (guint i = 0; i < 8; i++) {
		g_autofree char *vm = g_strdup_printf(
			"{\"id\":\"vm-%u\",\"name\":\"%s-%02u\",\"host\":\"host-21\","
			"\"powerState\":\"%s\",\"cpuCount\":%u,\"memoryMB\":%u,"
			"\"guestId\":\"rhel9_64Guest\",\"hostName\":\"h%u\","
			"\"changeTrackingEnabled\":true,"
			"\"guestNetworks\":[{\"ip\":\"10.0.0.%u\"}],"
			"\"nics\":[{\"network\":{\"kind\":\"Network\",\"id\":\"network-7\"}}],"
			"\"disks\":[{\"file\":\"[fast] "
			"%u/a.vmdk\",\"datastore\":{\"id\":\"datastore-11\"},"
			"\"capacity\":%u,\"changeTrackingEnabled\":true}%s]}",
			i, i % 2 == 0 ? "web" : "db", i, i % 3 == 0 ? "poweredOff" : "poweredOn",
			1 + i % 4, 1024u << (i % 5), i, i, i, i == 5 ? 0u : 1073741824u,
			i >= 6 ? ",{\"file\":\"[fast] "
				 "b.vmdk\",\"datastore\":{\"id\":\"datastore-11\"},"
				 "\"capacity\":2147483648,\"changeTrackingEnabled\":true}"
			       : "");
		ferry_test_upsert(inventory, "vm", vm);
	}
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_no_error(error);
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	fixture->dir = g_dir_make_tmp("ferry-inventory-cli-XXXXXX", NULL);
	fixture->state = g_build_filename(fixture->dir, "state", NULL);
	run = ferry_cli_run(manifests, "--state", fixture->state, "apply", "-f", "-", NULL);
	if (run->status != 0)
		g_error("apply failed: %s", run->err);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ferry_test_remove_tree(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->state);
}

static JsonArray *
parse_array(const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = json_from_string(text, &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_ARRAY(node));
	return json_array_ref(json_node_get_array(node));
}

static char *
names_of(JsonArray *array)
{
	GString *names = g_string_new(NULL);
	for (guint i = 0; i < json_array_get_length(array); i++)
		g_string_append_printf(names, "%s%s", i > 0 ? "," : "",
				       json_object_get_string_member(
					       json_array_get_object_element(array, i), "name"));
	return g_string_free(names, FALSE);
}

/* refresh through the provider plugin, then query */
static void
test_inventory_cli_refresh(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	g_autoptr(JsonArray) vms = NULL;
	g_autofree char *names = NULL;

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "lab", NULL);
	g_assert_cmpint(run->status, ==, 3);
	g_assert_nonnull(strstr(run->err, "load it with 'ferry inventory refresh lab'"));
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "refresh", "lab", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "2 VMs, 2 validated"));
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "lab", "-q",
			    "where memoryMB > 4096 and len(disks) > 1 order by name limit 5", "-o",
			    "json", NULL);
	g_assert_cmpint(run->status, ==, 0);
	vms = parse_array(run->out);
	names = names_of(vms);
	g_assert_cmpstr(names, ==, "db");
	/* the fixture plugin's validator judged it, and computed fields are there */
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(vms, 0),
						      "concernsHuman"),
			==, "0/1/0");
	g_assert_cmpfloat(
		json_object_get_double_member(json_array_get_object_element(vms, 0), "memoryGB"),
		==, 8.0);
	g_clear_pointer(&run, ferry_cli_run_free);

	/* the default table */
	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "lab", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_true(g_str_has_prefix(run->out,
				       "NAME   ID     POWER   CPUS   MEMORY    DISKS   "
				       "CONCERNS\n"
				       "db     vm-2   -       2      8.0 GiB   2       0/1/0\n"
				       "web    vm-1   -       2      2.0 GiB   1       0/0/0\n"));
}

/* a pointed error for a bad query, and usage errors */
static void
test_inventory_cli_errors(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	load_vsphere(fixture);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "-q",
			    "where memoryMB > and len(disks) > 1", NULL);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "invalid query at column 18: expected a value but found "
					  "the keyword 'and'\n"
					  "  where memoryMB > and len(disks) > 1\n"
					  "                   ^\n"));
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "-q",
			    "name ~= '('", NULL);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "column 9: invalid regular expression"));
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "gizmos", "vc", NULL);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "unknown inventory kind 'gizmos'"));
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "nowhere", NULL);
	g_assert_cmpint(run->status, ==, 3);
	g_assert_nonnull(strstr(run->err, "nowhere"));
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", NULL);
	g_assert_cmpint(run->status, ==, 2);
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "-o", "xml",
			    NULL);
	g_assert_cmpint(run->status, ==, 2);
}

/* the vSphere rules judge the VMs when they are listed */
static void
test_inventory_cli_vsphere(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	g_autoptr(JsonArray) vms = NULL;
	g_autofree char *names = NULL;
	JsonObject *vm;

	load_vsphere(fixture);
	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "-q",
			    "criticalConcerns > 0", "-o", "json", NULL);
	g_assert_cmpint(run->status, ==, 0);
	vms = parse_array(run->out);
	names = names_of(vms);
	g_assert_cmpstr(names, ==, "db-05");
	vm = json_array_get_object_element(vms, 0);
	g_assert_cmpstr(json_object_get_string_member(
				json_array_get_object_element(
					json_object_get_array_member(vm, "concerns"), 0),
				"id"),
			==, "vmware.disk.capacity.invalid");
	g_clear_pointer(&run, ferry_cli_run_free);
	g_clear_pointer(&vms, json_array_unref);
	g_clear_pointer(&names, g_free);

	run = ferry_cli_run(
		NULL, "--state", fixture->state, "inventory", "vms", "vc", "-q",
		"where powerStateHuman = 'On' and name ~= '^web' order by memoryMB desc", "-o",
		"json", NULL);
	g_assert_cmpint(run->status, ==, 0);
	vms = parse_array(run->out);
	names = names_of(vms);
	g_assert_cmpstr(names, ==, "web-04,web-02");
	g_clear_pointer(&run, ferry_cli_run_free);

	/* a projection, as a table */
	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "-q",
			    "select name, len(disks) as disks, sum(disks.capacity) / 1Gi as gib "
			    "where len(disks) > 1 order by name",
			    NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpstr(run->out, ==,
			"NAME     DISKS   GIB\n"
			"db-07    2       3\n"
			"web-06   2       3\n");
}

/* storage means the provider's datastores; YAML output */
static void
test_inventory_cli_kinds(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	load_vsphere(fixture);
	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "storage", "vc", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpstr(run->out, ==, "NAME   ID\nfast   datastore-11\n");
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "hosts", "vc", "-o",
			    "yaml", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpstr(run->out, ==, "- cluster: domain-c7\n  id: host-21\n  name: esx1\n");
	g_clear_pointer(&run, ferry_cli_run_free);

	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "networks", "vc", "-q",
			    "name = 'nothing'", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->err, "No networks match."));
}

/* the rules of a provider type, and mistakes in user rule files */
static void
test_inventory_cli_rules(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	g_autofree char *rules = g_build_filename(fixture->dir, "rules", "ova", NULL);
	g_autofree char *file = g_build_filename(rules, "site.yaml", NULL);
	g_autofree char *where = NULL;

	run = ferry_cli_run(NULL, "inventory", "rules", "ova", "-o", "json", NULL);
	g_assert_cmpint(run->status, ==, 0);
	{
		g_autoptr(JsonArray) list = parse_array(run->out);
		g_assert_cmpuint(json_array_get_length(list), ==, 6);
	}
	g_clear_pointer(&run, ferry_cli_run_free);

	g_assert_cmpint(g_mkdir_with_parents(rules, 0700), ==, 0);
	g_assert_true(g_file_set_contents(file,
					  "rules:\n"
					  "  - id: site.ok\n"
					  "    category: Information\n"
					  "    label: fine\n"
					  "    when: memoryMB > 1\n"
					  "  - id: site.broken\n"
					  "    category: Warning\n"
					  "    label: broken\n"
					  "    when: memoryMB >> 1\n",
					  -1, NULL));
	where = g_build_filename(fixture->dir, "rules", NULL);
	run = ferry_cli_run(NULL, "inventory", "rules", "ova", "--rules-dir", where, NULL);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->out, "site.ok"));
	g_assert_null(strstr(run->out, "site.broken"));
	{
		g_autofree char *expected = g_strdup_printf("%s:9:21: rule 'site.broken'", file);
		g_assert_nonnull(strstr(run->err, expected));
	}
}

/* describe plan validates the plan against the inventory */
static void
test_inventory_cli_describe_plan(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	const char *plan =
		"apiVersion: v1\n"
		"kind: Secret\n"
		"metadata: {name: host-secret, namespace: default}\n"
		"stringData: {token: t}\n"
		"---\n"
		"apiVersion: forklift.konveyor.io/v1beta1\n"
		"kind: Provider\n"
		"metadata: {name: host, namespace: default}\n"
		"spec: {type: openshift, url: '', secret: {name: host-secret, namespace: "
		"default}}\n"
		"---\n"
		"apiVersion: forklift.konveyor.io/v1beta1\n"
		"kind: NetworkMap\n"
		"metadata: {name: net, namespace: default}\n"
		"spec:\n"
		"  provider: {source: {name: vc}, destination: {name: host}}\n"
		"  map: [{source: {name: VM Network}, destination: {type: pod}}]\n"
		"---\n"
		"apiVersion: forklift.konveyor.io/v1beta1\n"
		"kind: StorageMap\n"
		"metadata: {name: disks, namespace: default}\n"
		"spec:\n"
		"  provider: {source: {name: vc}, destination: {name: host}}\n"
		"  map: [{source: {id: datastore-11}, destination: {storageClass: ceph}}]\n"
		"---\n"
		"apiVersion: forklift.konveyor.io/v1beta1\n"
		"kind: Plan\n"
		"metadata: {name: wave-1, namespace: default}\n"
		"spec:\n"
		"  targetNamespace: migrated\n"
		"  provider: {source: {name: vc}, destination: {name: host}}\n"
		"  map: {network: {name: net}, storage: {name: disks}}\n"
		"  vms: [{name: web-00}, {name: db-05}, {id: vm-99}]\n";

	load_vsphere(fixture);
	run = ferry_cli_run(plan, "--state", fixture->state, "apply", "-f", "-", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_clear_pointer(&run, ferry_cli_run_free);
	run = ferry_cli_run(NULL, "--state", fixture->state, "describe", "plan", "wave-1", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "  VMNotFound "));
	g_assert_nonnull(strstr(run->out, "  VMCriticalConcerns "));
	g_assert_nonnull(strstr(run->out, "Suggestions:\n"));
	g_assert_nonnull(
		strstr(run->out, "    - id: name:db-05 concern:vmware.disk.capacity.invalid\n"));
	g_assert_nonnull(strstr(run->out, "    - id:vm-99 name:\n"));
	g_assert_null(strstr(run->out, "  Ready "));
	g_clear_pointer(&run, ferry_cli_run_free);

	/* the conditions were saved with the plan */
	run = ferry_cli_run(NULL, "--state", fixture->state, "get", "plan", "wave-1", "-o", "json",
			    NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "\"VMCriticalConcerns\""));
}

static const char *const ready_plan =
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: host-secret, namespace: default}\n"
	"stringData: {token: t}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: host, namespace: default}\n"
	"spec: {type: openshift, url: ''}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: NetworkMap\n"
	"metadata: {name: net, namespace: default}\n"
	"spec:\n"
	"  provider: {source: {name: vc}, destination: {name: host}}\n"
	"  map: [{source: {name: VM Network}, destination: {type: pod}}]\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: StorageMap\n"
	"metadata: {name: disks, namespace: default}\n"
	"spec:\n"
	"  provider: {source: {name: vc}, destination: {name: host}}\n"
	"  map: [{source: {id: datastore-11}, destination: {storageClass: ceph}}]\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Plan\n"
	"metadata: {name: wave-2, namespace: default}\n"
	"spec:\n"
	"  targetNamespace: migrated\n"
	"  skipGuestConversion: true # no converter plugin is loaded here\n"
	"  provider: {source: {name: vc}, destination: {name: host}}\n"
	"  map: {network: {name: net}, storage: {name: disks}}\n"
	"  vms: [{name: web-00}]\n";

/* the Plan's readiness as `get plan -o json` and `plan list` show it */
static gboolean
plan_ready(Fixture *fixture, gboolean *critical)
{
	g_autoptr(FerryCliRun) run = ferry_cli_run(NULL, "--state", fixture->state, "get", "plan",
						   "wave-2", "-o", "json", NULL);
	g_autoptr(FerryCliRun) list = NULL;
	gboolean ready;
	g_assert_cmpint(run->status, ==, 0);
	ready = strstr(run->out, "\"type\" : \"Ready\"") != NULL;
	*critical = strstr(run->out, "\"VMCriticalConcerns\"") != NULL;
	list = ferry_cli_run(NULL, "--state", fixture->state, "plan", "list", NULL);
	g_assert_cmpint(list->status, ==, 0);
	g_assert_true((strstr(list->out, " Ready") != NULL) == ready);
	return ready;
}

/* rules loaded with --rules-dir are part of the state: they stay until
 * forgotten, and every read of a plan's conditions is current */
static void
test_inventory_cli_rules_remembered(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryCliRun) run = NULL;
	g_autofree char *where = g_build_filename(fixture->dir, "site-rules", NULL);
	g_autofree char *rules = g_build_filename(where, "vsphere", NULL);
	g_autofree char *file = g_build_filename(rules, "site.yaml", NULL);
	gboolean critical = FALSE;

	load_vsphere(fixture);
	run = ferry_cli_run(ready_plan, "--state", fixture->state, "apply", "-f", "-", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_clear_pointer(&run, ferry_cli_run_free);
	g_assert_true(plan_ready(fixture, &critical));
	g_assert_false(critical);

	g_assert_cmpint(g_mkdir_with_parents(rules, 0700), ==, 0);
	g_assert_true(g_file_set_contents(file,
					  "rules:\n"
					  "  - id: site.web.frozen\n"
					  "    category: Critical\n"
					  "    label: web-00 is frozen\n"
					  "    when: name = 'web-00'\n",
					  -1, NULL));
	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "--rules-dir",
			    where, "-o", "json", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "site.web.frozen"));
	g_clear_pointer(&run, ferry_cli_run_free);

	/* the next command, without the flag, still has them */
	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "-o", "json",
			    NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "site.web.frozen"));
	g_clear_pointer(&run, ferry_cli_run_free);
	/* and get plan and plan list say what describe says */
	g_assert_false(plan_ready(fixture, &critical));
	g_assert_true(critical);
	/* and so does the library's own check (FerryRunner), which plan start uses */
	run = ferry_cli_run(NULL, "--state", fixture->state, "plan", "start", "wave-2", NULL);
	g_assert_cmpint(run->status, !=, 0);
	g_assert_nonnull(strstr(run->err, "VMCriticalConcerns"));
	g_clear_pointer(&run, ferry_cli_run_free);

	/* --rules-dir '' forgets them */
	run = ferry_cli_run(NULL, "--state", fixture->state, "inventory", "vms", "vc", "--rules-dir",
			    "", "-o", "json", NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_null(strstr(run->out, "site.web.frozen"));
	g_clear_pointer(&run, ferry_cli_run_free);
	g_assert_true(plan_ready(fixture, &critical));
	g_assert_false(critical);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/inventory-cli/refresh", Fixture, NULL, fixture_set_up,
		   test_inventory_cli_refresh, fixture_tear_down);
	g_test_add("/inventory-cli/errors", Fixture, NULL, fixture_set_up,
		   test_inventory_cli_errors, fixture_tear_down);
	g_test_add("/inventory-cli/vsphere", Fixture, NULL, fixture_set_up,
		   test_inventory_cli_vsphere, fixture_tear_down);
	g_test_add("/inventory-cli/kinds", Fixture, NULL, fixture_set_up, test_inventory_cli_kinds,
		   fixture_tear_down);
	g_test_add("/inventory-cli/rules", Fixture, NULL, fixture_set_up, test_inventory_cli_rules,
		   fixture_tear_down);
	g_test_add("/inventory-cli/describe-plan", Fixture, NULL, fixture_set_up,
		   test_inventory_cli_describe_plan, fixture_tear_down);
	g_test_add("/inventory-cli/rules-remembered", Fixture, NULL, fixture_set_up,
		   test_inventory_cli_rules_remembered, fixture_tear_down);
	return g_test_run();
}

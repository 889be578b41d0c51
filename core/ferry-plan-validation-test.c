/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-test-util-private.h"
#include "ferry.h"

static const char *const manifests =
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: vc-secret, namespace: demo}\n"
	"stringData: {user: admin, password: x, insecureSkipVerify: 'true'}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: vc, namespace: demo}\n"
	"spec: {type: vsphere, url: 'https://vc.example.com/sdk', secret: {name: vc-secret, "
	"namespace: demo}}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: host, namespace: demo}\n"
	"spec: {type: openshift, url: '', secret: {name: vc-secret, namespace: demo}}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: NetworkMap\n"
	"metadata: {name: net, namespace: demo}\n"
	"spec:\n"
	"  provider:\n"
	"    source: {name: vc, namespace: demo}\n"
	"    destination: {name: host, namespace: demo}\n"
	"  map:\n"
	"    - source: {id: network-7}\n"
	"      destination: {type: pod}\n"
	"    - source: {name: Backup}\n"
	"      destination: {type: pod}\n"
	"    - source: {id: network-9}\n"
	"      destination: {type: multus, name: storage-net, namespace: demo}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: StorageMap\n"
	"metadata: {name: disks, namespace: demo}\n"
	"spec:\n"
	"  provider:\n"
	"    source: {name: vc, namespace: demo}\n"
	"    destination: {name: host, namespace: demo}\n"
	"  map:\n"
	"    - source: {name: fast}\n"
	"      destination: {storageClass: ceph-rbd}\n";

static const char *const plan_template = "apiVersion: forklift.konveyor.io/v1beta1\n"
					 "kind: Plan\n"
					 "metadata: {name: web-tier, namespace: demo}\n"
					 "spec:\n"
					 "  targetNamespace: %s\n"
					 "  type: %s\n"
					 "  provider:\n"
					 "    source: {name: vc, namespace: demo}\n"
					 "    destination: {name: host, namespace: demo}\n"
					 "  map:\n"
					 "    network: {name: net, namespace: demo}\n"
					 "    storage: {name: disks, namespace: demo}\n"
					 "  vms: %s\n";

typedef struct {
	char *dir;
	FerryStore *store;
	FerryInventory *inventory;
} Fixture;

static void
apply(Fixture *fixture, const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
		ferry_manifest_load_data(text, -1, "test.yaml", NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_store_apply(fixture->store, resources, NULL, &error));
	g_assert_no_error(error);
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *rules = g_test_build_filename(G_TEST_DIST, "..", "data", NULL);
	g_setenv("FERRY_DATA_DIR", rules, TRUE);
	fixture->dir = g_dir_make_tmp("ferry-plan-XXXXXX", NULL);
	fixture->store = ferry_store_new(fixture->dir, &error);
	g_assert_no_error(error);
	apply(fixture, manifests);
	fixture->inventory = ferry_inventory_new(NULL, &error);
	g_assert_no_error(error);
	if (data != NULL)
		return;
	g_assert_true(ferry_inventory_begin_update(fixture->inventory, "vc", TRUE, &error));
	ferry_test_upsert(fixture->inventory, "network",
			  "{\"id\":\"network-7\",\"name\":\"VM Network\"}");
	ferry_test_upsert(fixture->inventory, "network",
			  "{\"id\":\"network-8\",\"name\":\"Backup\"}");
	ferry_test_upsert(fixture->inventory, "network",
			  "{\"id\":\"network-9\",\"name\":\"Storage\"}");
	ferry_test_upsert(fixture->inventory, "network",
			  "{\"id\":\"network-10\",\"name\":\"DMZ\"}");
	ferry_test_upsert(fixture->inventory, "datastore",
			  "{\"id\":\"datastore-11\",\"name\":\"fast\"}");
	ferry_test_upsert(fixture->inventory, "datastore",
			  "{\"id\":\"datastore-12\",\"name\":\"slow\"}");
	/* vm-1 is fine; the others each have one problem */
	ferry_test_upsert(
		fixture->inventory, "vm",
		"{\"id\":\"vm-1\",\"name\":\"web-01\",\"changeTrackingEnabled\":true,"
		"\"nics\":[{\"mac\":\"00:50:56:AA:00:01\","
		"\"network\":{\"kind\":\"Network\",\"id\":\"network-7\"}},"
		"{\"mac\":\"00:50:56:aa:00:02\",\"network\":{\"id\":\"network-9\"}}],"
		"\"disks\":[{\"file\":\"[fast] a.vmdk\",\"datastore\":{\"id\":\"datastore-11\"},"
		"\"capacity\":1073741824}]}");
	ferry_test_upsert(
		fixture->inventory, "vm",
		"{\"id\":\"vm-2\",\"name\":\"web-02\",\"changeTrackingEnabled\":false,"
		"\"nics\":[{\"network\":{\"id\":\"network-10\"}}],"
		"\"disks\":[{\"file\":\"[fast] b.vmdk\",\"datastore\":{\"id\":\"datastore-11\"},"
		"\"capacity\":1073741824}]}");
	ferry_test_upsert(
		fixture->inventory, "vm",
		"{\"id\":\"vm-3\",\"name\":\"db-01\",\"changeTrackingEnabled\":true,"
		"\"nics\":[{\"network\":{\"id\":\"network-7\"}},{\"network\":{\"id\":\"network-8\"}"
		"}],"
		"\"disks\":[{\"file\":\"[slow] c.vmdk\",\"datastore\":{\"id\":\"datastore-12\"},"
		"\"capacity\":1073741824}]}");
	ferry_test_upsert(fixture->inventory, "vm",
			  "{\"id\":\"vm-4\",\"name\":\"Cache_01\",\"changeTrackingEnabled\":true,"
			  "\"nics\":[],\"disks\":[{\"file\":\"[fast] d.vmdk\","
			  "\"datastore\":{\"id\":\"datastore-11\"},\"capacity\":0}]}");
	g_assert_true(ferry_inventory_commit_update(fixture->inventory, &error));
	g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_clear_object(&fixture->store);
	g_clear_object(&fixture->inventory);
	ferry_test_remove_tree(fixture->dir);
	g_free(fixture->dir);
}

/* applies the plan with these VMs, validates it, returns it */
static FerryPlan *
validate(Fixture *fixture, const char *namespace, const char *type, const char *vms)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf(plan_template, namespace, type, vms);
	g_autoptr(FerryResource) plan = NULL;
	g_autoptr(FerryRulesValidator) rules = ferry_rules_validator_new();
	g_autoptr(GPtrArray) validators = g_ptr_array_new_with_free_func(g_object_unref);

	g_ptr_array_add(validators, g_object_ref(rules));
	apply(fixture, text);
	plan = ferry_store_get(fixture->store, "Plan", "demo", "web-tier", &error);
	g_assert_no_error(error);
	g_assert_true(ferry_plan_validate(FERRY_PLAN(plan), fixture->store, fixture->inventory,
					  validators, &error));
	g_assert_no_error(error);
	/* it can be saved, and reads back the same */
	g_assert_true(ferry_store_update_status(fixture->store, plan, &error));
	g_assert_no_error(error);
	return FERRY_PLAN(g_steal_pointer(&plan));
}

static char *
condition_items(FerryPlan *plan, const char *type)
{
	JsonObject *condition = ferry_resource_get_condition(FERRY_RESOURCE(plan), type);
	JsonArray *items;
	GString *text = g_string_new(NULL);
	if (condition == NULL)
		return g_string_free(text, TRUE);
	g_assert_cmpstr(json_object_get_string_member(condition, "status"), ==, "True");
	/* every condition says what to do */
	g_assert_nonnull(json_object_get_string_member_with_default(condition, "suggestion", NULL));
	items = json_object_has_member(condition, "items")
			? json_object_get_array_member(condition, "items")
			: NULL;
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++)
		g_string_append_printf(text, "%s%s", i > 0 ? "; " : "",
				       json_array_get_string_element(items, i));
	return g_string_free(text, FALSE);
}

static const char *
condition_category(FerryPlan *plan, const char *type)
{
	JsonObject *condition = ferry_resource_get_condition(FERRY_RESOURCE(plan), type);
	return condition != NULL ? json_object_get_string_member(condition, "category") : NULL;
}

/* a plan with no problem is Ready */
static void
test_plan_ready(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryPlan) plan = validate(fixture, "migrated", "cold", "[{id: vm-1}]");
	g_autofree char *items = NULL;
	g_assert_true(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
	g_assert_false(ferry_resource_has_blocker(FERRY_RESOURCE(plan)));
	/* by name too */
	g_clear_object(&plan);
	plan = validate(fixture, "migrated", "warm", "[{name: web-01}]");
	g_assert_true(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
}

/* each VM problem is a condition naming the VMs, and blocks the plan */
static void
test_plan_vm_conditions(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryPlan) plan =
		validate(fixture, "migrated", "warm",
			 "[{id: vm-1}, {id: vm-2}, {name: db-01}, {id: vm-404}, {name: nobody},"
			 " {name: web-01}, {id: vm-4}, {}]");
	struct {
		const char *type;
		const char *items;
		const char *category;
	} expected[] = {
		{"VMNotFound", "id:vm-404 name:; id: name:nobody", "Critical"},
		{"DuplicateVM", "id: name:web-01", "Critical"},
		{"VMNetworksNotMapped", "id:vm-2 name: network:network-10", "Critical"},
		{"VMStorageNotMapped", "id: name:db-01 storage:datastore-12", "Critical"},
		{"VMMultiplePodNetworkMappings", "id: name:db-01", "Critical"},
		{"VMMissingChangedBlockTracking", "id:vm-2 name:", "Critical"},
		{"VMCriticalConcerns", "id:vm-4 name: concern:vmware.disk.capacity.invalid",
		 "Critical"},
		{"TargetNameNotValid", "id:vm-4 name: newName:cache-01", "Warn"},
		{"VMRefNotValid", "spec.vms[7]", "Critical"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree char *items = condition_items(plan, expected[i].type);
		if (g_strcmp0(items, expected[i].items) != 0)
			g_error("%s: expected items «%s» but got «%s»", expected[i].type,
				expected[i].items, items);
		g_assert_cmpstr(condition_category(plan, expected[i].type), ==,
				expected[i].category);
	}
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
	g_assert_true(ferry_resource_has_blocker(FERRY_RESOURCE(plan)));

	/* fixed: the conditions go, the warning stays, the plan is Ready */
	g_clear_object(&plan);
	plan = validate(fixture, "migrated", "cold",
			"[{id: vm-1}, {name: Cache_01, targetName: cache}]");
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
		g_assert_false(
			ferry_resource_has_condition(FERRY_RESOURCE(plan), expected[i].type) &&
			g_strcmp0(expected[i].type, "VMCriticalConcerns") != 0);
	g_assert_true(ferry_resource_has_condition(FERRY_RESOURCE(plan), "VMCriticalConcerns"));
	g_clear_object(&plan);
	plan = validate(fixture, "migrated", "cold", "[{id: vm-1}]");
	g_assert_true(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
}

/* plan-level problems, with the store's conditions given suggestions too */
static void
test_plan_level(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryPlan) plan = validate(fixture, "Not-A-Label", "live", "[{id: vm-1}]");
	JsonObject *type =
		ferry_resource_get_condition(FERRY_RESOURCE(plan), "MigrationTypeNotValid");
	g_autofree char *items = condition_items(plan, "NamespaceNotValid");
	g_assert_true(ferry_resource_has_condition(FERRY_RESOURCE(plan), "NamespaceNotValid"));
	g_assert_nonnull(type);
	g_assert_nonnull(json_object_get_string_member_with_default(type, "suggestion", NULL));
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
}

/* without the source's inventory nothing can be said about the VMs */
static void
test_plan_no_inventory(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryPlan) plan = validate(fixture, "migrated", "cold", "[{id: vm-1}]");
	g_autofree char *items = condition_items(plan, "SourceInventoryNotReady");
	g_assert_true(
		ferry_resource_has_condition(FERRY_RESOURCE(plan), "SourceInventoryNotReady"));
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "VMNotFound"));
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
}

/* the destination "host" holds these (a cluster's inventory, as the
 * kubevirt plugin writes it: namespaced ids are NAMESPACE/NAME) */
static void
load_destination(Fixture *fixture, gboolean fixed)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ferry_inventory_begin_update(fixture->inventory, "host", TRUE, &error));
	ferry_test_upsert(fixture->inventory, "namespace", "{\"id\":\"demo\",\"name\":\"demo\"}");
	ferry_test_upsert(fixture->inventory, "namespace",
			  "{\"id\":\"migrated\",\"name\":\"migrated\"}");
	ferry_test_upsert(fixture->inventory, "storageclass",
			  "{\"id\":\"local-path\",\"name\":\"local-path\"}");
	ferry_test_upsert(fixture->inventory, "networkattachmentdefinition",
			  "{\"id\":\"demo/other-net\",\"name\":\"other-net\",\"namespace\":\"demo\"}");
	if (fixed) {
		ferry_test_upsert(fixture->inventory, "storageclass",
				  "{\"id\":\"ceph-rbd\",\"name\":\"ceph-rbd\"}");
		ferry_test_upsert(fixture->inventory, "networkattachmentdefinition",
				  "{\"id\":\"demo/storage-net\",\"name\":\"storage-net\","
				  "\"namespace\":\"demo\"}");
		/* the same names elsewhere are no conflict */
		ferry_test_upsert(fixture->inventory, "vm",
				  "{\"id\":\"migrated/web-01\",\"name\":\"web-01\","
				  "\"namespace\":\"migrated\",\"macs\":[]}");
	} else {
		ferry_test_upsert(fixture->inventory, "vm",
				  "{\"id\":\"demo/web-01\",\"name\":\"web-01\","
				  "\"namespace\":\"demo\",\"macs\":[\"52:54:00:00:00:01\"]}");
		ferry_test_upsert(fixture->inventory, "vm",
				  "{\"id\":\"demo/db\",\"name\":\"db\",\"namespace\":\"demo\","
				  "\"macs\":[\"00:50:56:aa:00:01\"]}");
	}
	g_assert_true(ferry_inventory_commit_update(fixture->inventory, &error));
	g_assert_no_error(error);
}

static JsonObject *
map_condition(Fixture *fixture, const char *kind, const char *name, const char *type)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) map = ferry_store_get(fixture->store, kind, "demo", name, &error);
	JsonObject *condition;
	g_assert_no_error(error);
	condition = ferry_resource_get_condition(map, type);
	if (condition == NULL)
		return NULL;
	return json_object_ref(condition);
}

/* with the destination's inventory loaded, the plan and its maps are checked
 * against what is there: each problem is a Critical condition naming the
 * object, and once fixed the plan and the maps are Ready again */
static void
test_plan_destination(Fixture *fixture, gconstpointer data)
{
	g_autoptr(FerryPlan) plan = NULL;
	g_autoptr(JsonObject) storage = NULL;
	g_autoptr(JsonObject) network = NULL;
	g_autoptr(GError) error = NULL;
	struct {
		const char *type;
		const char *items;
	} expected[] = {
		{"VMAlreadyExists", "id:vm-1 name: target:demo/web-01"},
		{"MacConflicts", "id:vm-1 name: mac:00:50:56:aa:00:01 usedBy:demo/db"},
		{"NetMapDestinationNADNotValid", "demo/storage-net"},
		{"StorageMapNotReady", "ceph-rbd"},
		{"NetworkMapNotReady", "demo/storage-net"},
	};

	/* without it, no destination check */
	plan = validate(fixture, "absent", "cold", "[{id: vm-1}]");
	g_assert_true(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
	g_clear_object(&plan);

	load_destination(fixture, FALSE);
	plan = validate(fixture, "demo", "cold", "[{id: vm-1}]");
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree char *items = condition_items(plan, expected[i].type);
		if (!ferry_resource_has_condition(FERRY_RESOURCE(plan), expected[i].type) ||
		    g_strcmp0(items, expected[i].items) != 0)
			g_error("%s: expected items «%s» but got «%s»", expected[i].type,
				expected[i].items, items);
		g_assert_cmpstr(condition_category(plan, expected[i].type), ==, "Critical");
	}
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "NamespaceNotValid"));
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
	/* the maps say which objects are missing, and are not Ready */
	storage = map_condition(fixture, "StorageMap", "disks", "DestinationStorageNotValid");
	g_assert_nonnull(storage);
	g_assert_cmpstr(json_object_get_string_member(storage, "reason"), ==, "NotFound");
	g_assert_cmpstr(json_object_get_string_member(storage, "category"), ==, "Critical");
	g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(storage, "items"),
						      0),
			==, "ceph-rbd");
	g_assert_nonnull(strstr(json_object_get_string_member(storage, "suggestion"),
				"ferry inventory storageclass host"));
	network = map_condition(fixture, "NetworkMap", "net", "DestinationNetworkNotValid");
	g_assert_nonnull(network);
	g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(network, "items"),
						      0),
			==, "demo/storage-net");
	g_assert_null(map_condition(fixture, "StorageMap", "disks", "Ready"));
	/* a plan into another destination (no inventory) that shares the maps
	 * leaves their conditions alone: they are about the maps' destination */
	{
		g_autoptr(FerryResource) other = NULL;
		g_autoptr(JsonObject) still = NULL;
		apply(fixture, "apiVersion: forklift.konveyor.io/v1beta1\n"
			       "kind: Provider\n"
			       "metadata: {name: elsewhere, namespace: demo}\n"
			       "spec: {type: openshift, url: 'file:///tmp/elsewhere'}\n"
			       "---\n"
			       "apiVersion: forklift.konveyor.io/v1beta1\n"
			       "kind: Plan\n"
			       "metadata: {name: other, namespace: demo}\n"
			       "spec:\n"
			       "  targetNamespace: demo\n"
			       "  provider: {source: {name: vc}, destination: {name: elsewhere}}\n"
			       "  map: {network: {name: net}, storage: {name: disks}}\n"
			       "  vms: [{id: vm-1}]\n");
		other = ferry_store_get(fixture->store, "Plan", "demo", "other", &error);
		g_assert_no_error(error);
		g_assert_true(ferry_plan_validate(FERRY_PLAN(other), fixture->store,
						  fixture->inventory, NULL, &error));
		g_assert_no_error(error);
		g_assert_false(ferry_resource_has_condition(other, "VMAlreadyExists"));
		g_assert_true(ferry_resource_has_condition(other, "StorageMapNotReady"));
		still = map_condition(fixture, "StorageMap", "disks", "DestinationStorageNotValid");
		g_assert_nonnull(still);
	}
	/* the plan says which map lacks what, and what to do */
	{
		JsonObject *ready =
			ferry_resource_get_condition(FERRY_RESOURCE(plan), "StorageMapNotReady");
		g_assert_nonnull(strstr(json_object_get_string_member(ready, "message"),
					"StorageMap demo/disks: The destination provider 'host' "
					"has no storageclass ceph-rbd;"));
		g_assert_cmpstr(json_object_get_string_member(ready, "suggestion"), ==,
				json_object_get_string_member(storage, "suggestion"));
	}

	/* a target namespace the destination lacks */
	g_clear_object(&plan);
	plan = validate(fixture, "absent", "cold", "[{id: vm-2, targetName: fresh}]");
	{
		JsonObject *ns =
			ferry_resource_get_condition(FERRY_RESOURCE(plan), "NamespaceNotValid");
		g_assert_nonnull(ns);
		g_assert_cmpstr(json_object_get_string_member(ns, "reason"), ==, "NotFound");
		g_assert_nonnull(strstr(json_object_get_string_member(ns, "message"), "'absent'"));
		g_assert_nonnull(strstr(json_object_get_string_member(ns, "suggestion"),
					"Create the namespace 'absent' on the destination"));
	}

	/* a VM the plan's own migration started is no conflict with itself */
	g_clear_object(&plan);
	plan = validate(fixture, "demo", "cold", "[{id: vm-1}]");
	json_object_set_member(ferry_resource_ensure_status(FERRY_RESOURCE(plan)), "migration",
			       json_from_string("{\"vms\":[{\"id\":\"vm-1\",\"started\":"
						"\"2026-12-06T10:00:00Z\"}]}",
						NULL));
	g_assert_true(ferry_plan_validate(plan, fixture->store, fixture->inventory, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "VMAlreadyExists"));
	g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), "MacConflicts"));

	/* a network attachment outside the target namespace and `default` */
	load_destination(fixture, TRUE);
	g_clear_object(&plan);
	plan = validate(fixture, "migrated", "cold", "[{id: vm-3, targetName: db-new}]");
	{
		g_autofree char *items = condition_items(plan, "NetMapDestinationNADNotValid");
		JsonObject *nad = ferry_resource_get_condition(FERRY_RESOURCE(plan),
							      "NetMapDestinationNADNotValid");
		g_assert_cmpstr(items, ==, "demo/storage-net");
		g_assert_cmpstr(json_object_get_string_member(nad, "reason"), ==, "NotValid");
	}

	/* fixed: the conditions go from the plan and the maps */
	g_clear_object(&plan);
	plan = validate(fixture, "demo", "cold", "[{id: vm-1}]");
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
		g_assert_false(ferry_resource_has_condition(FERRY_RESOURCE(plan), expected[i].type));
	g_assert_true(ferry_resource_has_condition(FERRY_RESOURCE(plan), "Ready"));
	g_clear_pointer(&storage, json_object_unref);
	storage = map_condition(fixture, "StorageMap", "disks", "DestinationStorageNotValid");
	g_assert_null(storage);
	g_assert_null(map_condition(fixture, "NetworkMap", "net", "DestinationNetworkNotValid"));
	storage = map_condition(fixture, "StorageMap", "disks", "Ready");
	g_assert_nonnull(storage);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/plan-validation/ready", Fixture, NULL, fixture_set_up, test_plan_ready,
		   fixture_tear_down);
	g_test_add("/plan-validation/vm-conditions", Fixture, NULL, fixture_set_up,
		   test_plan_vm_conditions, fixture_tear_down);
	g_test_add("/plan-validation/plan-level", Fixture, NULL, fixture_set_up, test_plan_level,
		   fixture_tear_down);
	g_test_add("/plan-validation/no-inventory", Fixture, "empty", fixture_set_up,
		   test_plan_no_inventory, fixture_tear_down);
	g_test_add("/plan-validation/destination", Fixture, NULL, fixture_set_up,
		   test_plan_destination, fixture_tear_down);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "ferry-test-util-private.h"
#include "ferry.h"

#define MIB (G_GINT64_CONSTANT(1) << 20)
#define GIB (G_GINT64_CONSTANT(1) << 30)

/* an OVA source, a KubeVirt destination with a 5.5 % filesystem overhead
 * and 1 GiB of block overhead, a StorageMap with a Filesystem and a Block
 * destination */
static const char *const manifests =
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: s, namespace: demo}\n"
	"stringData: {url: 'file:///nowhere'}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: ova, namespace: demo}\n"
	"spec: {type: ova, url: 'file:///nowhere', secret: {name: s, namespace: demo}}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: kv, namespace: demo}\n"
	"spec:\n"
	"  type: openshift\n"
	"  url: ''\n"
	"  secret: {name: s, namespace: demo}\n"
	"  settings: {filesystemOverhead: '5.5', blockOverhead: 1Gi}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: NetworkMap\n"
	"metadata: {name: net, namespace: demo}\n"
	"spec:\n"
	"  provider:\n"
	"    source: {name: ova, namespace: demo}\n"
	"    destination: {name: kv, namespace: demo}\n"
	"  map: []\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: StorageMap\n"
	"metadata: {name: sto, namespace: demo}\n"
	"spec:\n"
	"  provider:\n"
	"    source: {name: ova, namespace: demo}\n"
	"    destination: {name: kv, namespace: demo}\n"
	"  map:\n"
	"    - source: {name: fast}\n"
	"      destination: {storageClass: a, volumeMode: Filesystem}\n"
	"    - source: {name: raw}\n"
	"      destination: {storageClass: b, volumeMode: Block}\n";

static const char *const plan_template = "apiVersion: forklift.konveyor.io/v1beta1\n"
					 "kind: Plan\n"
					 "metadata: {name: p, namespace: demo}\n"
					 "spec:\n"
					 "  targetNamespace: demo\n"
					 "  provider:\n"
					 "    source: {name: ova, namespace: demo}\n"
					 "    destination: {name: kv, namespace: demo}\n"
					 "  map:\n"
					 "    network: {name: net, namespace: demo}\n"
					 "    storage: {name: sto, namespace: demo}\n"
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
	fixture->dir = g_dir_make_tmp("ferry-estimate-XXXXXX", NULL);
	fixture->store = ferry_store_new(fixture->dir, &error);
	g_assert_no_error(error);
	apply(fixture, manifests);
	fixture->inventory = ferry_inventory_new(NULL, &error);
	g_assert_no_error(error);
	if (data != NULL)
		return; /* the inventory stays unloaded */
	g_assert_true(ferry_inventory_begin_update(fixture->inventory, "ova", TRUE, &error));
	/* web: the source says how much holds data; db: it does not (one disk
	 * of a capacity that is not a whole MiB), and one Block disk */
	ferry_test_upsert(fixture->inventory, "vm",
			  "{\"id\":\"web\",\"name\":\"web\",\"disks\":[{\"id\":\"d1\","
			  "\"name\":\"web-disk1.vmdk\",\"storage\":\"fast\","
			  "\"capacity\":268435456,\"populatedSize\":4194304}]}");
	ferry_test_upsert(fixture->inventory, "vm",
			  "{\"id\":\"db\",\"name\":\"db\",\"disks\":["
			  "{\"id\":\"d2\",\"storage\":\"fast\",\"capacity\":1073741825},"
			  "{\"id\":\"d3\",\"storage\":\"raw\",\"capacity\":2147483648,"
			  "\"populatedSize\":1073741824}]}");
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

static FerryPlan *
plan_with(Fixture *fixture, const char *vms)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf(plan_template, vms);
	FerryResource *plan;
	apply(fixture, text);
	plan = ferry_store_get(fixture->store, "Plan", "demo", "p", &error);
	g_assert_no_error(error);
	return FERRY_PLAN(plan);
}

static JsonObject *
disk_of(JsonObject *vm, guint index)
{
	return json_array_get_object_element(json_object_get_array_member(vm, "disks"), index);
}

/* ceil(x / (1 - 0.055)) */
static gint64
with_overhead(gint64 bytes)
{
	return (bytes * 1000000 + 945000 - 1) / 945000;
}

/* allocated bytes where the source says so, the capacity where it does
 * not; PVC requests with the destination's overheads; times at a rate */
static void
test_estimate_numbers(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryPlan) plan = plan_with(fixture, "[{name: web}, {id: db}]");
	g_autoptr(JsonObject) estimate = ferry_plan_estimate(
		plan, fixture->store, fixture->inventory, 100 * MIB, NULL, &error);
	JsonObject *web, *db;

	g_assert_no_error(error);
	g_assert_nonnull(estimate);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(estimate, "vms")), ==,
			 2);
	web = json_array_get_object_element(json_object_get_array_member(estimate, "vms"), 0);
	db = json_array_get_object_element(json_object_get_array_member(estimate, "vms"), 1);

	g_assert_cmpstr(json_object_get_string_member(web, "name"), ==, "web");
	g_assert_cmpint(json_object_get_int_member(web, "bytes"), ==, 4 * MIB);
	g_assert_cmpstr(json_object_get_string_member(web, "basis"), ==, "allocated");
	g_assert_cmpint(json_object_get_int_member(web, "capacity"), ==, 256 * MIB);
	g_assert_cmpint(json_object_get_int_member(web, "destinationBytes"), ==,
			with_overhead(256 * MIB));
	g_assert_cmpstr(json_object_get_string_member(disk_of(web, 0), "volumeMode"), ==,
			"Filesystem");
	g_assert_cmpfloat_with_epsilon(json_object_get_double_member(web, "seconds"), 0.04, 1e-9);

	/* d2: no populatedSize, the whole capacity; its request rounds up to a
	 * MiB first. d3: Block, plus the block overhead, no filesystem overhead */
	g_assert_cmpstr(json_object_get_string_member(disk_of(db, 0), "basis"), ==, "provisioned");
	g_assert_cmpint(json_object_get_int_member(disk_of(db, 0), "bytes"), ==, GIB + 1);
	g_assert_cmpint(json_object_get_int_member(disk_of(db, 0), "destinationBytes"), ==,
			with_overhead(GIB + MIB));
	g_assert_cmpstr(json_object_get_string_member(disk_of(db, 1), "basis"), ==, "allocated");
	g_assert_cmpint(json_object_get_int_member(disk_of(db, 1), "bytes"), ==, GIB);
	g_assert_cmpint(json_object_get_int_member(disk_of(db, 1), "destinationBytes"), ==,
			2 * GIB + GIB);
	g_assert_cmpstr(json_object_get_string_member(db, "basis"), ==, "mixed");

	/* the plan: the sums, the time of the sum */
	g_assert_cmpint(json_object_get_int_member(estimate, "bytes"), ==, 4 * MIB + 2 * GIB + 1);
	g_assert_cmpint(json_object_get_int_member(estimate, "destinationBytes"), ==,
			with_overhead(256 * MIB) + with_overhead(GIB + MIB) + 3 * GIB);
	g_assert_cmpfloat_with_epsilon(json_object_get_double_member(estimate, "seconds"),
				       (4.0 * MIB + 2.0 * GIB + 1) / (100.0 * MIB), 1e-9);
	g_assert_cmpstr(json_object_get_string_member(estimate, "filesystemOverhead"), ==, "5.5");
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(estimate, "throughput"), "source"),
			==, "given");
}

/* no rate: no times, and the estimate says so */
static void
test_estimate_without_rate(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryPlan) plan = plan_with(fixture, "[{name: web}]");
	g_autoptr(JsonObject) estimate =
		ferry_plan_estimate(plan, fixture->store, fixture->inventory, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(estimate, "seconds")));
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(estimate, "throughput"), "source"),
			==, "none");
}

/* VMs the inventory lacks: an error naming each and the fix */
static void
test_estimate_missing_vms(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryPlan) plan = plan_with(fixture, "[{name: web}, {name: nobody}, {id: vm-9}]");
	g_autoptr(JsonObject) estimate =
		ferry_plan_estimate(plan, fixture->store, fixture->inventory, 0, NULL, &error);
	g_assert_null(estimate);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "Plan/p: 2 VM(s)"));
	g_assert_nonnull(strstr(error->message, "nobody, vm-9"));
	g_assert_nonnull(strstr(error->message, "ferry inventory refresh ova -n demo"));
}

/* an inventory never loaded: an error that says how to load it */
static void
test_estimate_inventory_not_loaded(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryPlan) plan = plan_with(fixture, "[{name: web}]");
	g_autoptr(JsonObject) estimate =
		ferry_plan_estimate(plan, fixture->store, fixture->inventory, 0, NULL, &error);
	g_assert_null(estimate);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "'ferry inventory refresh ova -n demo'"));
}

static void
add_copy(JsonArray *tasks, gint64 bytes, gint64 start, gint64 duration)
{
	JsonObject *task = json_object_new();
	JsonObject *annotations = json_object_new();
	g_autofree char *b = g_strdup_printf("%" G_GINT64_FORMAT, bytes);
	g_autofree char *s = g_strdup_printf("%" G_GINT64_FORMAT, start);
	g_autofree char *d = g_strdup_printf("%" G_GINT64_FORMAT, duration);
	json_object_set_string_member(annotations, FERRY_ANNOTATION_COPY_BYTES, b);
	json_object_set_string_member(annotations, FERRY_ANNOTATION_COPY_STARTED, s);
	json_object_set_string_member(annotations, FERRY_ANNOTATION_COPY_DURATION, d);
	json_object_set_string_member(task, "name", "disk");
	json_object_set_object_member(task, "annotations", annotations);
	json_array_add_object_element(tasks, task);
}

static void
set_copies(Fixture *fixture, FerryPlan *plan, gint64 base)
{
	g_autoptr(GError) error = NULL;
	JsonObject *status = ferry_resource_get_status(FERRY_RESOURCE(plan));
	JsonObject *migration = json_object_new();
	JsonArray *vms = json_array_new();
	JsonObject *vm = json_object_new();
	JsonArray *pipeline = json_array_new();
	JsonObject *step = json_object_new();
	JsonArray *tasks = json_array_new();

	g_assert_nonnull(status);
	/* 100 MiB in 0-2 s and 100 MiB in 1-3 s overlap (two VMs in flight),
	 * then nothing copies for 7 s, then 100 MiB in 10-11 s: 300 MiB in 4 s
	 * of copying */
	add_copy(tasks, 100 * MIB, base, 2 * G_USEC_PER_SEC);
	add_copy(tasks, 100 * MIB, base + G_USEC_PER_SEC, 2 * G_USEC_PER_SEC);
	add_copy(tasks, 100 * MIB, base + 10 * G_USEC_PER_SEC, G_USEC_PER_SEC);
	json_object_set_string_member(step, "name", "DiskTransfer");
	json_object_set_array_member(step, "tasks", tasks);
	json_array_add_object_element(pipeline, step);
	json_object_set_array_member(vm, "pipeline", pipeline);
	json_array_add_object_element(vms, vm);
	json_object_set_array_member(migration, "vms", vms);
	json_object_set_object_member(status, "migration", migration);
	g_assert_true(ferry_store_update_status(fixture->store, FERRY_RESOURCE(plan), &error));
	g_assert_no_error(error);
}

/* the rate of the last migration that copied: bytes over the time any
 * copy ran, from what the store keeps */
static void
test_recorded_throughput(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryPlan) plan = NULL;
	g_autoptr(JsonObject) none = ferry_estimate_recorded_throughput(fixture->store, &error);
	g_autoptr(JsonObject) recorded = NULL;

	g_assert_no_error(error);
	g_assert_null(none);
	plan = plan_with(fixture, "[{name: web}]");
	set_copies(fixture, plan, G_GINT64_CONSTANT(1700000000) * G_USEC_PER_SEC);
	recorded = ferry_estimate_recorded_throughput(fixture->store, &error);
	g_assert_no_error(error);
	g_assert_nonnull(recorded);
	g_assert_cmpint(json_object_get_int_member(recorded, "bytes"), ==, 300 * MIB);
	g_assert_cmpfloat_with_epsilon(json_object_get_double_member(recorded, "seconds"), 4.0,
				       1e-9);
	g_assert_cmpint(json_object_get_int_member(recorded, "bytesPerSecond"), ==, 75 * MIB);
	g_assert_cmpint(json_object_get_int_member(recorded, "copies"), ==, 3);
	g_assert_cmpstr(json_object_get_string_member(recorded, "plan"), ==, "p");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/estimate/numbers", Fixture, NULL, fixture_set_up, test_estimate_numbers,
		   fixture_tear_down);
	g_test_add("/estimate/without-rate", Fixture, NULL, fixture_set_up,
		   test_estimate_without_rate, fixture_tear_down);
	g_test_add("/estimate/missing-vms", Fixture, NULL, fixture_set_up,
		   test_estimate_missing_vms, fixture_tear_down);
	g_test_add("/estimate/inventory-not-loaded", Fixture, "unloaded", fixture_set_up,
		   test_estimate_inventory_not_loaded, fixture_tear_down);
	g_test_add("/estimate/recorded-throughput", Fixture, NULL, fixture_set_up,
		   test_recorded_throughput, fixture_tear_down);
	return g_test_run();
}

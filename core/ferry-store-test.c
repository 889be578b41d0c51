/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry.h"

static const char *const manifests =
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: vcenter-creds, namespace: mtv}\n"
	"type: Opaque\n"
	"stringData:\n"
	"  user: administrator@vsphere.local\n"
	"  password: Pa55-w0rd-Very-Secret\n"
	"  insecureSkipVerify: \"true\"\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: vcenter, namespace: mtv}\n"
	"spec:\n"
	"  type: vsphere\n"
	"  url: https://vcenter.example.com/sdk\n"
	"  secret: {name: vcenter-creds, namespace: mtv}\n"
	"  settings: {sdkEndpoint: vcenter, vddkInitImage: quay.io/x/vddk:8}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Provider\n"
	"metadata: {name: host, namespace: mtv}\n"
	"spec: {type: openshift, url: ''}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: esxi-creds, namespace: mtv}\n"
	"data: {user: cm9vdA==, password: ZXN4aS1wYXNz}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Host\n"
	"metadata: {name: esxi-21, namespace: mtv}\n"
	"spec:\n"
	"  id: host-21\n"
	"  ipAddress: 192.0.2.21\n"
	"  provider: {name: vcenter, namespace: mtv}\n"
	"  secret: {name: esxi-creds, namespace: mtv}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: NetworkMap\n"
	"metadata: {name: net, namespace: mtv}\n"
	"spec:\n"
	"  provider: {source: {name: vcenter}, destination: {name: host}}\n"
	"  map:\n"
	"  - source: {id: network-7}\n"
	"    destination: {type: pod}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: StorageMap\n"
	"metadata: {name: storage, namespace: mtv}\n"
	"spec:\n"
	"  provider: {source: {name: vcenter}, destination: {name: host}}\n"
	"  map:\n"
	"  - source: {id: datastore-11}\n"
	"    destination: {storageClass: standard}\n"
	"---\n"
	"apiVersion: forklift.konveyor.io/v1beta1\n"
	"kind: Plan\n"
	"metadata: {name: web-tier, namespace: mtv}\n"
	"spec:\n"
	"  targetNamespace: web\n"
	"  provider: {source: {name: vcenter}, destination: {name: host}}\n"
	"  map: {network: {name: net}, storage: {name: storage}}\n"
	"  vms: [{id: vm-1}, {name: db}]\n";

static GPtrArray *
resources_from_yaml(const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = ferry_yaml_parse_data(text, -1, "test.yaml", &error);
	GPtrArray *resources = g_ptr_array_new_with_free_func(g_object_unref);
	g_assert_no_error(error);
	for (guint i = 0; i < docs->len; i++) {
		JsonNode *root = ferry_yaml_document_get_root(g_ptr_array_index(docs, i));
		FerryResource *resource = ferry_resource_new_from_json(root, "default", &error);
		g_assert_no_error(error);
		g_ptr_array_add(resources, resource);
	}
	return resources;
}

typedef struct {
	char *dir;
	FerryStore *store;
} Fixture;

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources = NULL;
	g_autoptr(GArray) outcomes = NULL;

	fixture->dir = g_dir_make_tmp("ferry-store-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->store = ferry_store_new(fixture->dir, &error);
	g_assert_no_error(error);
	if (data == NULL)
		return;
	resources = resources_from_yaml(data);
	g_assert_true(ferry_store_apply(fixture->store, resources, &outcomes, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(outcomes->len, ==, resources->len);
	for (guint i = 0; i < outcomes->len; i++)
		g_assert_cmpint(g_array_index(outcomes, FerryApplyOutcome, i), ==,
				FERRY_APPLY_OUTCOME_CREATED);
}

static void
remove_tree(const char *dir)
{
	g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
	const char *name;
	while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer data)
{
	g_clear_object(&fixture->store);
	remove_tree(fixture->dir);
	g_free(fixture->dir);
}

static void
test_store_generation(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) plan = NULL;
	g_autoptr(FerryResource) again = NULL;
	g_autoptr(FerryResource) third = NULL;
	g_autoptr(GPtrArray) same = resources_from_yaml(manifests);
	g_autoptr(GArray) outcomes = NULL;
	g_autofree char *uid = NULL;
	g_autofree char *version = NULL;

	plan = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
	g_assert_no_error(error);
	g_assert_true(FERRY_IS_PLAN(plan));
	g_assert_nonnull(ferry_resource_get_uid(plan));
	g_assert_nonnull(ferry_resource_get_creation_timestamp(plan));
	g_assert_cmpint(ferry_resource_get_generation(plan), ==, 1);
	uid = g_strdup(ferry_resource_get_uid(plan));
	version = g_strdup(ferry_resource_get_resource_version(plan));
	/* all references resolve: the plan is ready */
	g_assert_true(ferry_resource_has_condition(plan, "Ready"));
	g_assert_cmpstr(ferry_plan_get_target_namespace(FERRY_PLAN(plan)), ==, "web");
	g_assert_cmpstr(ferry_plan_get_migration_type(FERRY_PLAN(plan)), ==, "cold");

	/* the same manifests again change nothing */
	g_assert_true(ferry_store_apply(fixture->store, same, &outcomes, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < outcomes->len; i++)
		g_assert_cmpint(g_array_index(outcomes, FerryApplyOutcome, i), ==,
				FERRY_APPLY_OUTCOME_UNCHANGED);
	again = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
	g_assert_cmpstr(ferry_resource_get_resource_version(again), ==, version);

	/* a label changes the resourceVersion, not the generation */
	{
		g_autoptr(GPtrArray) labelled = resources_from_yaml(
			"apiVersion: forklift.konveyor.io/v1beta1\nkind: Plan\n"
			"metadata: {name: web-tier, namespace: mtv, labels: {team: web}}\n"
			"spec:\n"
			"  targetNamespace: web\n"
			"  provider: {source: {name: vcenter}, destination: {name: host}}\n"
			"  map: {network: {name: net}, storage: {name: storage}}\n"
			"  vms: [{id: vm-1}, {name: db}]\n"
			"status: {ignored: true}\n");
		g_autoptr(GArray) labelled_outcomes = NULL;
		g_assert_true(
			ferry_store_apply(fixture->store, labelled, &labelled_outcomes, &error));
		g_assert_cmpint(g_array_index(labelled_outcomes, FerryApplyOutcome, 0), ==,
				FERRY_APPLY_OUTCOME_CONFIGURED);
		g_clear_object(&again);
		again = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
		g_assert_cmpint(ferry_resource_get_generation(again), ==, 1);
		g_assert_cmpstr(ferry_resource_get_resource_version(again), !=, version);
		g_assert_cmpstr(ferry_resource_get_uid(again), ==, uid);
		g_assert_cmpstr(ferry_resource_get_label(again, "team"), ==, "web");
		/* status from a manifest is ignored */
		g_assert_null(ferry_resource_get_node(again, "status.ignored"));
		g_assert_true(ferry_resource_has_condition(again, "Ready"));
	}

	/* a spec change bumps the generation */
	{
		g_autoptr(GPtrArray) changed = resources_from_yaml(
			"apiVersion: forklift.konveyor.io/v1beta1\nkind: Plan\n"
			"metadata: {name: web-tier, namespace: mtv, labels: {team: web}}\n"
			"spec:\n"
			"  targetNamespace: web\n"
			"  warm: true\n"
			"  provider: {source: {name: vcenter}, destination: {name: host}}\n"
			"  map: {network: {name: net}, storage: {name: storage}}\n"
			"  vms: [{id: vm-1}, {name: db}]\n");
		g_assert_true(ferry_store_apply(fixture->store, changed, NULL, &error));
		third = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
		g_assert_cmpint(ferry_resource_get_generation(third), ==, 2);
		g_assert_true(ferry_plan_is_warm(FERRY_PLAN(third)));
		g_assert_cmpint(ferry_resource_get_int(third, "status.observedGeneration", 0), ==,
				2);
	}
}

/* a mirror of a cluster's object (ferryd) keeps its uid; a uid another
 * resource holds, or one that is not a UUID, is replaced */
static void
test_store_given_uid(Fixture *fixture, gconstpointer data)
{
	static const char *const uid = "0b5e9c3a-61f7-4b0e-9d2c-6f0f1c2e7a11";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) first = resources_from_yaml(
		"apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
		"metadata: {name: mirrored, namespace: mtv, uid: 0b5e9c3a-61f7-4b0e-9d2c-6f0f1c2e7a11}\n"
		"spec: {image: quay.io/konveyor/hook-runner}\n");
	g_autoptr(GPtrArray) second = resources_from_yaml(
		"apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
		"metadata: {name: copy, namespace: mtv, uid: 0b5e9c3a-61f7-4b0e-9d2c-6f0f1c2e7a11}\n"
		"spec: {image: quay.io/konveyor/hook-runner}\n"
		"---\napiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
		"metadata: {name: odd, namespace: mtv, uid: not-a-uuid}\n"
		"spec: {image: quay.io/konveyor/hook-runner}\n");
	g_autoptr(FerryResource) mirrored = NULL;
	g_autoptr(FerryResource) copy = NULL;
	g_autoptr(FerryResource) odd = NULL;

	g_assert_true(ferry_store_apply(fixture->store, first, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_store_apply(fixture->store, second, NULL, &error));
	g_assert_no_error(error);
	mirrored = ferry_store_get(fixture->store, "Hook", "mtv", "mirrored", &error);
	copy = ferry_store_get(fixture->store, "Hook", "mtv", "copy", &error);
	odd = ferry_store_get(fixture->store, "Hook", "mtv", "odd", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_resource_get_uid(mirrored), ==, uid);
	g_assert_cmpstr(ferry_resource_get_uid(copy), !=, uid);
	g_assert_true(g_uuid_string_is_valid(ferry_resource_get_uid(copy)));
	g_assert_true(g_uuid_string_is_valid(ferry_resource_get_uid(odd)));
}

static void
test_store_status(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) plan =
		ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", NULL);
	g_autoptr(FerryResource) stale = ferry_resource_copy(plan);
	g_autoptr(FerryResource) read = NULL;
	g_autofree char *before = g_strdup(ferry_resource_get_resource_version(plan));

	json_object_set_string_member(ferry_resource_ensure_status(plan), "phase", "Running");
	ferry_resource_set_condition(plan, "Executing", TRUE, FERRY_CONDITION_CATEGORY_ADVISORY,
				     NULL, "The plan is executing.");
	g_assert_true(ferry_store_update_status(fixture->store, plan, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_resource_get_resource_version(plan), !=, before);
	read = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", NULL);
	g_assert_cmpint(ferry_resource_get_generation(read), ==, 1);
	g_assert_cmpstr(ferry_resource_get_string(read, "status.phase"), ==, "Running");
	g_assert_true(ferry_resource_has_condition(read, "Executing"));
	g_assert_true(ferry_resource_has_condition(read, "Ready"));

	/* a write from an old copy is refused */
	json_object_set_string_member(ferry_resource_ensure_status(stale), "phase", "Old");
	g_assert_false(ferry_store_update_status(fixture->store, stale, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
	g_assert_nonnull(strstr(error->message, "Plan/mtv/web-tier"));
}

static void
test_store_secrets(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) resource =
		ferry_store_get(fixture->store, "Secret", "mtv", "vcenter-creds", &error);
	g_autoptr(FerrySecret) secret = NULL;
	g_autofree char *password = NULL;
	g_autofree char *printed = NULL;
	g_autofree char *secrets_path = g_build_filename(fixture->dir, "secrets.db", NULL);
	g_autofree char *db_path = g_build_filename(fixture->dir, "ferry.db", NULL);
	g_autofree char *db_bytes = NULL;
	gsize db_length = 0;
	GStatBuf st;

	g_assert_no_error(error);
	printed = ferry_yaml_to_string(ferry_resource_get_json(resource), &error);
	g_assert_null(strstr(printed, "Pa55-w0rd-Very-Secret"));
	g_assert_nonnull(strstr(printed, "password: '[redacted]'"));
	secret = ferry_store_get_secret(fixture->store, "mtv", "vcenter-creds", &error);
	g_assert_no_error(error);
	password = ferry_secret_dup_string(secret, "password");
	g_assert_cmpstr(password, ==, "Pa55-w0rd-Very-Secret");

	g_assert_cmpint(g_stat(secrets_path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(g_stat(fixture->dir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0077, ==, 0);
	/* the main database never holds a value */
	g_assert_true(g_file_get_contents(db_path, &db_bytes, &db_length, NULL));
	g_assert_null(g_strstr_len(db_bytes, (gssize)db_length, "Pa55-w0rd"));

	/* data (base64) decodes */
	{
		g_autoptr(FerrySecret) esxi =
			ferry_store_get_secret(fixture->store, "mtv", "esxi-creds", &error);
		g_autofree char *user = ferry_secret_dup_string(esxi, "user");
		g_assert_cmpstr(user, ==, "root");
	}
	/* a changed value is a change */
	{
		g_autoptr(GPtrArray) changed =
			resources_from_yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: "
					    "esxi-creds, namespace: mtv}\n"
					    "data: {user: cm9vdA==, password: bmV3}\n");
		g_autoptr(GArray) outcomes = NULL;
		g_autoptr(FerrySecret) esxi = NULL;
		g_autofree char *new_password = NULL;
		g_assert_true(ferry_store_apply(fixture->store, changed, &outcomes, &error));
		g_assert_cmpint(g_array_index(outcomes, FerryApplyOutcome, 0), ==,
				FERRY_APPLY_OUTCOME_CONFIGURED);
		esxi = ferry_store_get_secret(fixture->store, "mtv", "esxi-creds", &error);
		new_password = ferry_secret_dup_string(esxi, "password");
		g_assert_cmpstr(new_password, ==, "new");
	}
}

static void
test_store_references(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) provider = NULL;
	g_autoptr(FerryResource) plan = NULL;
	g_autoptr(FerryResource) map = NULL;
	g_auto(GStrv) referrers = NULL;
	JsonObject *condition;

	referrers =
		ferry_store_list_referrers(fixture->store, "Provider", "mtv", "vcenter", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(referrers), ==, 4);
	g_assert_cmpstr(referrers[0], ==, "Host/mtv/esxi-21");
	g_assert_cmpstr(referrers[3], ==, "StorageMap/mtv/storage");

	/* deleting the secret turns into a condition on the provider */
	g_assert_true(ferry_store_delete(fixture->store, "Secret", "mtv", "vcenter-creds", &error));
	g_assert_no_error(error);
	provider = ferry_store_get(fixture->store, "Provider", "mtv", "vcenter", &error);
	condition = ferry_resource_get_condition(provider, "SecretNotValid");
	g_assert_nonnull(condition);
	g_assert_cmpstr(json_object_get_string_member(condition, "reason"), ==, "NotFound");
	g_assert_cmpstr(json_object_get_string_member(condition, "category"), ==, "Critical");
	g_assert_cmpstr(ferry_resource_get_string(provider, "status.phase"), ==,
			"ValidationFailed");
	g_assert_false(
		ferry_store_delete(fixture->store, "Secret", "mtv", "vcenter-creds", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* and deleting a map is a condition on the plan, which is not ready */
	g_assert_true(ferry_store_delete(fixture->store, "NetworkMap", "mtv", "net", &error));
	plan = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
	condition = ferry_resource_get_condition(plan, "NetworkMapRefNotValid");
	g_assert_nonnull(condition);
	g_assert_cmpstr(json_object_get_string_member(condition, "reason"), ==, "NotFound");
	g_assert_false(ferry_resource_has_condition(plan, "Ready"));
	g_assert_true(ferry_resource_has_blocker(plan));

	/* a secret that lacks keys is DataErr with the keys as items */
	{
		g_autoptr(GPtrArray) partial = resources_from_yaml(
			"apiVersion: v1\nkind: Secret\nmetadata: {name: vcenter-creds, "
			"namespace: mtv}\nstringData: {user: admin}\n");
		JsonArray *items;
		g_assert_true(ferry_store_apply(fixture->store, partial, NULL, &error));
		g_clear_object(&provider);
		provider = ferry_store_get(fixture->store, "Provider", "mtv", "vcenter", &error);
		condition = ferry_resource_get_condition(provider, "SecretNotValid");
		g_assert_cmpstr(json_object_get_string_member(condition, "reason"), ==, "DataErr");
		items = json_object_get_array_member(condition, "items");
		g_assert_cmpuint(json_array_get_length(items), ==, 2);
		g_assert_cmpstr(json_array_get_string_element(items, 0), ==, "password");
		g_assert_cmpstr(json_array_get_string_element(items, 1), ==, "ca.crt");
	}
	/* a SHA-1 thumbprint pin stands in for a CA bundle, as the vSphere
	 * plugin accepts it */
	{
		g_autoptr(GPtrArray) pinned = resources_from_yaml(
			"apiVersion: v1\nkind: Secret\nmetadata: {name: vcenter-creds, "
			"namespace: mtv}\nstringData: {user: admin, password: pw, thumbprint: "
			"\"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD\"}\n");
		g_assert_true(ferry_store_apply(fixture->store, pinned, NULL, &error));
		g_assert_no_error(error);
		g_clear_object(&provider);
		provider = ferry_store_get(fixture->store, "Provider", "mtv", "vcenter", &error);
		g_assert_false(ferry_resource_has_condition(provider, "SecretNotValid"));
	}
	map = ferry_store_get(fixture->store, "StorageMap", "mtv", "storage", &error);
	g_assert_true(ferry_resource_has_condition(map, "Ready"));
}

/* conditions come and go with the problem */
static void
test_store_hooks(Fixture *fixture, gconstpointer data)
{
	const char *plan_with_hook =
		"apiVersion: forklift.konveyor.io/v1beta1\nkind: Plan\n"
		"metadata: {name: web-tier, namespace: mtv}\n"
		"spec:\n"
		"  targetNamespace: web\n"
		"  provider: {source: {name: vcenter}, destination: {name: host}}\n"
		"  map: {network: {name: net}, storage: {name: storage}}\n"
		"  vms: [{id: vm-1, hooks: [{step: PreHook, hook: {name: pre}}]}]\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) plan = resources_from_yaml(plan_with_hook);
	g_autoptr(GPtrArray) bad_hook = resources_from_yaml(
		"apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
		"metadata: {name: pre, namespace: mtv}\nspec: {image: x, playbook: '%%%'}\n");
	g_autoptr(GPtrArray) good_hook = resources_from_yaml(
		"apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
		"metadata: {name: pre, namespace: mtv}\nspec: {image: x, playbook: LS0tCg==}\n");
	FerryResource *read;

	g_assert_true(ferry_store_apply(fixture->store, plan, NULL, &error));
	read = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
	g_assert_true(ferry_resource_has_condition(read, "HookNotValid"));
	g_assert_false(ferry_resource_has_condition(read, "Ready"));
	g_object_unref(read);

	g_assert_true(ferry_store_apply(fixture->store, bad_hook, NULL, &error));
	read = ferry_store_get(fixture->store, "Hook", "mtv", "pre", &error);
	g_assert_true(ferry_resource_has_condition(read, "PlaybookNotValid"));
	g_object_unref(read);
	read = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
	g_assert_false(ferry_resource_has_condition(read, "HookNotValid"));
	g_assert_true(ferry_resource_has_condition(read, "HookNotReady"));
	g_object_unref(read);

	g_assert_true(ferry_store_apply(fixture->store, good_hook, NULL, &error));
	read = ferry_store_get(fixture->store, "Hook", "mtv", "pre", &error);
	g_assert_false(ferry_resource_has_condition(read, "PlaybookNotValid"));
	g_assert_true(ferry_resource_has_condition(read, "Ready"));
	g_object_unref(read);
	read = ferry_store_get(fixture->store, "Plan", "mtv", "web-tier", &error);
	g_assert_false(ferry_resource_has_condition(read, "HookNotReady"));
	g_assert_true(ferry_resource_has_condition(read, "Ready"));
	g_object_unref(read);
}

static void
test_store_atomic(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) batch = resources_from_yaml(
		"apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
		"metadata: {name: pre}\nspec: {image: quay.io/konveyor/hook-runner}\n"
		"---\n"
		"apiVersion: v1\nkind: Secret\nmetadata: {name: broken}\n"
		"data: {password: 'not base64!'}\n");
	g_autoptr(GPtrArray) all = NULL;

	g_assert_false(ferry_store_apply(fixture->store, batch, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "Secret/broken: data.password"));
	g_assert_null(strstr(error->message, "not base64!"));
	all = ferry_store_list(fixture->store, NULL, NULL, &error);
	g_assert_cmpuint(all->len, ==, 8);
}

static void
test_store_provider_config(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryProviderConfig) config =
		ferry_store_dup_provider_config(fixture->store, "mtv", "vcenter", &error);
	FerrySecret *host_secret;
	g_autofree char *user = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(ferry_provider_config_get_provider_type(config), ==, "vsphere");
	g_assert_cmpstr(ferry_provider_config_get_url(config), ==,
			"https://vcenter.example.com/sdk");
	g_assert_cmpstr(ferry_provider_config_get_setting(config, "vddkInitImage"), ==,
			"quay.io/x/vddk:8");
	g_assert_cmpstr(ferry_provider_config_get_state_dir(config), ==, fixture->dir);
	user = ferry_secret_dup_string(ferry_provider_config_get_secret(config), "user");
	g_assert_cmpstr(user, ==, "administrator@vsphere.local");
	g_assert_cmpstr(ferry_provider_config_get_host_address(config, "host-21"), ==,
			"192.0.2.21");
	host_secret = ferry_provider_config_get_host_secret(config, "host-21");
	g_assert_nonnull(host_secret);

	/* no ForkliftController: none, and no error */
	g_assert_null(ferry_store_dup_controller(fixture->store, &error));
	g_assert_no_error(error);
	g_assert_null(ferry_store_dup_provider_config(fixture->store, "mtv", "nope", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

/* every provider type as Forklift's documentation sets it up validates;
 * a bad OVA URL and an unknown type are conditions */
static void
test_store_provider_types(Fixture *fixture, gconstpointer data)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "..", "tests", "manifests",
						      "forklift-docs-providers.yaml", NULL);
	const char *paths[] = {path, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources = NULL;
	const char *const good[] = {"ovirt-source", "openstack-source", "ova-source",
				    "remote-cluster", NULL};

	{
		g_autofree char *data_dir = g_test_build_filename(G_TEST_DIST, "..", "data", NULL);
		g_setenv("FERRY_DATA_DIR", data_dir, TRUE);
	}
	resources = ferry_manifest_load_paths(paths, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_store_apply(fixture->store, resources, NULL, &error));
	g_assert_no_error(error);
	for (guint i = 0; good[i] != NULL; i++) {
		g_autoptr(FerryResource) provider = ferry_store_get(
			fixture->store, "Provider", "openshift-mtv", good[i], &error);
		g_assert_no_error(error);
		if (ferry_resource_has_blocker(provider))
			g_error("%s has a blocker: %s", good[i],
				json_to_string(ferry_resource_get_node(provider, "status"), FALSE));
		g_assert_cmpstr(ferry_resource_get_string(provider, "status.phase"), ==, "Staging");
	}
	{
		g_autoptr(FerryResource) bad_url = ferry_store_get(
			fixture->store, "Provider", "openshift-mtv", "ova-bad-url", NULL);
		g_autoptr(FerryResource) typo = ferry_store_get(
			fixture->store, "Provider", "openshift-mtv", "vmware-typo", NULL);
		g_assert_true(ferry_resource_has_condition(bad_url, "UrlNotValid"));
		g_assert_true(ferry_resource_has_condition(typo, "ProviderTypeNotSupported"));
		g_assert_cmpstr(ferry_resource_get_string(typo, "status.phase"), ==,
				"ValidationFailed");
	}
	/* plain HTTP to a provider that is sent credentials: refused unless
	 * the Provider opts in */
	{
		const char *const types[] = {"vsphere", "ovirt", "openstack", "openshift", NULL};
		for (guint i = 0; types[i] != NULL; i++) {
			for (guint opt_in = 0; opt_in < 2; opt_in++) {
				g_autofree char *yaml = g_strdup_printf(
					"apiVersion: forklift.konveyor.io/v1beta1\nkind: Provider\n"
					"metadata: {name: plain-%s, namespace: openshift-mtv}\n"
					"spec: {type: %s, url: \"http://plain.example.com/api\", "
					"secret: {name: s, namespace: openshift-mtv}%s}\n",
					types[i], types[i],
					opt_in ? ", settings: {insecureHTTP: \"true\"}" : "");
				g_autoptr(GPtrArray) plain = resources_from_yaml(yaml);
				g_autoptr(FerryResource) provider = NULL;
				g_autofree char *name = g_strdup_printf("plain-%s", types[i]);
				JsonObject *condition;
				g_assert_true(ferry_store_apply(fixture->store, plain, NULL, &error));
				g_assert_no_error(error);
				provider = ferry_store_get(fixture->store, "Provider",
							   "openshift-mtv", name, &error);
				condition = ferry_resource_get_condition(provider, "UrlNotValid");
				if (opt_in) {
					g_assert_null(condition);
					continue;
				}
				g_assert_nonnull(condition);
				g_assert_cmpstr(json_object_get_string_member(condition, "category"),
						==, "Critical");
				g_assert_nonnull(strstr(json_object_get_string_member(condition,
										      "message"),
							"insecureHTTP: \"true\""));
			}
		}
	}
}

static void
test_store_schema_version(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ferry-store-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "ferry.db", NULL);
	g_autoptr(FerryStore) store = ferry_store_new(dir, &error);
	sqlite3 *db = NULL;

	g_assert_no_error(error);
	g_clear_object(&store);
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), ==,
			SQLITE_OK);
	sqlite3_close(db);
	store = ferry_store_new(dir, &error);
	g_assert_null(store);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "newer than this Ferry"));
	remove_tree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/store/generation", Fixture, manifests, fixture_setup, test_store_generation,
		   fixture_teardown);
	g_test_add("/store/given-uid", Fixture, manifests, fixture_setup, test_store_given_uid,
		   fixture_teardown);
	g_test_add("/store/status", Fixture, manifests, fixture_setup, test_store_status,
		   fixture_teardown);
	g_test_add("/store/secrets", Fixture, manifests, fixture_setup, test_store_secrets,
		   fixture_teardown);
	g_test_add("/store/references", Fixture, manifests, fixture_setup, test_store_references,
		   fixture_teardown);
	g_test_add("/store/hooks", Fixture, manifests, fixture_setup, test_store_hooks,
		   fixture_teardown);
	g_test_add("/store/atomic", Fixture, manifests, fixture_setup, test_store_atomic,
		   fixture_teardown);
	g_test_add("/store/provider-config", Fixture, manifests, fixture_setup,
		   test_store_provider_config, fixture_teardown);
	g_test_add("/store/provider-types", Fixture, NULL, fixture_setup, test_store_provider_types,
		   fixture_teardown);
	g_test_add_func("/store/schema-version", test_store_schema_version);
	return g_test_run();
}

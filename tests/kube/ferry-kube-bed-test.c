/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The Kubernetes client against the real single-node test bed
 * (scripts/kube-testbed: etcd, kube-apiserver, controllers, kubelet with
 * containerd, the KubeVirt, CDI and Forklift CRDs). The bed's variables come
 * from the environment or from `scripts/kube-testbed env`; without a bed
 * every test skips, except under CI=true, where they fail. */

#include <glib/gstdio.h>

#include "ferry.h"

static GHashTable *bed_env;	 /* FERRY_KUBE_* and KUBECONFIG */
static const char *bed_missing; /* why there is no bed, or NULL */
static char *bed_namespace;

static const char *
bed_get(const char *name)
{
	return bed_env != NULL ? g_hash_table_lookup(bed_env, name) : NULL;
}

static void
bed_load_env(void)
{
	const char *names[] = {"KUBECONFIG",	       "FERRY_KUBE_LIMITED_KUBECONFIG",
			       "FERRY_KUBE_STATE",     "FERRY_KUBE_APISERVER",
			       "FERRY_KUBE_CA",	       "FERRY_KUBE_IMAGE",
			       NULL};
	const char *script = g_getenv("FERRY_KUBE_TESTBED_SCRIPT");

	bed_env = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (g_getenv("FERRY_KUBE_APISERVER") != NULL) {
		for (guint i = 0; names[i] != NULL; i++)
			if (g_getenv(names[i]) != NULL)
				g_hash_table_insert(bed_env, g_strdup(names[i]),
						    g_strdup(g_getenv(names[i])));
		return;
	}
	if (script != NULL && g_file_test(script, G_FILE_TEST_IS_EXECUTABLE)) {
		g_autofree char *out = NULL;
		const char *argv[] = {script, "env", NULL};
		g_auto(GStrv) lines = NULL;

		if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
				  &out, NULL, NULL, NULL))
			return;
		lines = g_strsplit(out, "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++) {
			g_auto(GStrv) pair = g_strsplit(lines[i], "=", 2);
			if (pair[0] != NULL && pair[1] != NULL)
				g_hash_table_insert(bed_env, g_strdup(pair[0]), g_strdup(pair[1]));
		}
	}
}

/* FALSE (after skipping, or failing under CI) when there is no test bed */
static gboolean
bed_require(void)
{
	if (bed_missing == NULL)
		return TRUE;
	if (g_strcmp0(g_getenv("CI"), "true") == 0) {
		g_test_fail_printf("CI=true and no Kubernetes test bed: %s", bed_missing);
		return FALSE;
	}
	g_test_skip_printf("no Kubernetes test bed (%s); start one with scripts/kube-testbed "
			   "start",
			   bed_missing);
	return FALSE;
}

static FerryKubeClient *
bed_client(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config =
	    ferry_kube_config_new_from_file(bed_get("KUBECONFIG"), NULL, &error);

	g_assert_no_error(error);
	return ferry_kube_client_new(config);
}

static JsonNode *
bed_json(const char *format, ...) G_GNUC_PRINTF(1, 2);

static JsonNode *
bed_json(const char *format, ...)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	va_list args;
	JsonNode *node;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	node = json_from_string(text, &error);
	g_assert_no_error(error);
	return node;
}

static const char *
bed_path_string(JsonNode *node, const char *path)
{
	g_auto(GStrv) parts = g_strsplit(path, ".", -1);
	JsonNode *at = node;

	for (guint i = 0; parts[i] != NULL; i++) {
		JsonObject *object;
		if (at == NULL || !JSON_NODE_HOLDS_OBJECT(at))
			return NULL;
		object = json_node_get_object(at);
		if (!json_object_has_member(object, parts[i]))
			return NULL;
		at = json_object_get_member(object, parts[i]);
	}
	return at != NULL && JSON_NODE_HOLDS_VALUE(at) ? json_node_get_string(at) : NULL;
}

static guint
bed_items(JsonNode *list)
{
	return json_array_get_length(json_object_get_array_member(json_node_get_object(list), "items"));
}

static void
bed_check_reachable(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) versions = NULL;

	if (bed_get("FERRY_KUBE_APISERVER") == NULL || bed_get("KUBECONFIG") == NULL) {
		bed_missing = "FERRY_KUBE_APISERVER and KUBECONFIG are not set and "
			      "scripts/kube-testbed env gave none";
		return;
	}
	if (!g_file_test(bed_get("KUBECONFIG"), G_FILE_TEST_EXISTS)) {
		bed_missing = "the test bed's kubeconfig does not exist";
		return;
	}
	client = bed_client();
	versions = ferry_kube_client_get_api_versions(client, NULL, &error);
	if (versions == NULL)
		bed_missing = g_strdup_printf("the API server does not answer: %s", error->message);
}

static void
bed_setup_namespace(void)
{
	g_autoptr(FerryKubeClient) client = bed_client();
	g_autoptr(JsonNode) ns = NULL;
	g_autoptr(JsonNode) created = NULL;
	g_autoptr(GError) error = NULL;

	bed_namespace = g_strdup_printf("ferry-client-test-%08x", g_random_int());
	ns = bed_json("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
		      bed_namespace);
	created = ferry_kube_client_create(client, ns, NULL, &error);
	g_assert_no_error(error);
}

static void
bed_teardown_namespace(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GError) error = NULL;

	if (bed_namespace == NULL)
		return;
	client = bed_client();
	ferry_kube_client_delete(client, "v1", "Namespace", NULL, bed_namespace,
				 FERRY_KUBE_PROPAGATION_BACKGROUND, NULL, &error);
	if (error != NULL)
		g_printerr("could not remove namespace %s: %s\n", bed_namespace, error->message);
}

/* --- core objects --- */

static void
test_bed_core_crud(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) created = NULL;
	g_autoptr(JsonNode) got = NULL;
	g_autoptr(JsonNode) list = NULL;
	g_autoptr(JsonNode) patched = NULL;
	g_autoptr(JsonNode) merge = NULL;
	g_autoptr(JsonNode) json_patch = NULL;
	g_autoptr(JsonNode) stale = NULL;
	g_autoptr(JsonNode) again = NULL;
	g_autofree char *resource = NULL;
	gboolean namespaced = FALSE;

	if (!bed_require())
		return;
	client = bed_client();
	resource = ferry_kube_client_resolve_resource(client, "v1", "ConfigMap", &namespaced, NULL,
						      &error);
	g_assert_no_error(error);
	g_assert_cmpstr(resource, ==, "configmaps");
	g_assert_true(namespaced);

	/* five objects, listed two per page */
	for (guint i = 0; i < 5; i++) {
		g_autoptr(JsonNode) cm = bed_json(
		    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm%u\","
		    "\"namespace\":\"%s\",\"labels\":{\"ferry.dev/test\":\"%s\"}},"
		    "\"data\":{\"n\":\"%u\"}}",
		    i, bed_namespace, i % 2 == 0 ? "even" : "odd", i);
		g_autoptr(JsonNode) stored = ferry_kube_client_create(client, cm, NULL, &error);
		g_assert_no_error(error);
		g_assert_nonnull(bed_path_string(stored, "metadata.uid"));
		if (i == 0)
			created = json_node_ref(stored);
	}
	ferry_kube_client_set_page_size(client, 2);
	list = ferry_kube_client_list(client, "v1", "ConfigMap", bed_namespace, "ferry.dev/test",
				      NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(bed_items(list), ==, 5);
	g_assert_nonnull(bed_path_string(list, "metadata.resourceVersion"));
	g_clear_pointer(&list, json_node_unref);
	list = ferry_kube_client_list(client, "v1", "ConfigMap", bed_namespace,
				      "ferry.dev/test=even", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(bed_items(list), ==, 3);

	/* creating it again */
	{
		g_autoptr(JsonNode) dup = bed_json(
		    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm0\","
		    "\"namespace\":\"%s\"}}",
		    bed_namespace);
		g_autoptr(JsonNode) none = ferry_kube_client_create(client, dup, NULL, &error);
		g_assert_null(none);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS);
		g_assert_nonnull(strstr(error->message, "cannot create configmaps"));
		g_assert_nonnull(strstr(error->message, "already exists"));
		g_clear_error(&error);
	}

	/* merge patch, then JSON patch */
	merge = bed_json("{\"data\":{\"merged\":\"yes\"}}");
	patched = ferry_kube_client_patch(client, "v1", "ConfigMap", bed_namespace, "cm0", NULL,
					  FERRY_KUBE_PATCH_MERGE, merge, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bed_path_string(patched, "data.merged"), ==, "yes");
	g_assert_cmpstr(bed_path_string(patched, "data.n"), ==, "0");
	json_patch = bed_json("[{\"op\":\"replace\",\"path\":\"/data/n\",\"value\":\"zero\"},"
			      "{\"op\":\"remove\",\"path\":\"/data/merged\"}]");
	g_clear_pointer(&patched, json_node_unref);
	patched = ferry_kube_client_patch(client, "v1", "ConfigMap", bed_namespace, "cm0", NULL,
					  FERRY_KUBE_PATCH_JSON, json_patch, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bed_path_string(patched, "data.n"), ==, "zero");
	g_assert_null(bed_path_string(patched, "data.merged"));

	/* a replace with the resourceVersion of the first read conflicts */
	stale = json_node_copy(created);
	json_object_set_string_member(
	    json_object_get_object_member(json_node_get_object(stale), "data"), "n", "stale");
	again = ferry_kube_client_replace(client, stale, NULL, &error);
	g_assert_null(again);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
	g_assert_nonnull(strstr(error->message, "cannot update configmaps"));
	g_clear_error(&error);
	/* and with the current one it passes */
	got = ferry_kube_client_get(client, "v1", "ConfigMap", bed_namespace, "cm0", NULL, &error);
	g_assert_no_error(error);
	json_object_set_string_member(
	    json_object_get_object_member(json_node_get_object(got), "data"), "n", "replaced");
	again = ferry_kube_client_replace(client, got, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bed_path_string(again, "data.n"), ==, "replaced");

	/* delete, then it is gone */
	g_assert_true(ferry_kube_client_delete(client, "v1", "ConfigMap", bed_namespace, "cm0",
					       FERRY_KUBE_PROPAGATION_BACKGROUND, NULL, &error));
	g_assert_no_error(error);
	g_clear_pointer(&got, json_node_unref);
	got = ferry_kube_client_get(client, "v1", "ConfigMap", bed_namespace, "cm0", NULL, &error);
	g_assert_null(got);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, bed_namespace));
	g_clear_error(&error);
	g_assert_false(ferry_kube_client_delete(client, "v1", "ConfigMap", bed_namespace, "cm0",
						FERRY_KUBE_PROPAGATION_FOREGROUND, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

/* --- KubeVirt, CDI and Forklift custom resources --- */

static void
test_bed_custom_resources(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) vm = NULL;
	g_autoptr(JsonNode) bad_vm = NULL;
	g_autoptr(JsonNode) dv = NULL;
	g_autoptr(JsonNode) provider = NULL;
	g_autoptr(JsonNode) stored = NULL;
	g_autoptr(JsonNode) status = NULL;
	g_autoptr(JsonNode) updated = NULL;
	g_autoptr(JsonNode) none = NULL;

	if (!bed_require())
		return;
	client = bed_client();

	vm = bed_json("{\"apiVersion\":\"kubevirt.io/v1\",\"kind\":\"VirtualMachine\","
		      "\"metadata\":{\"name\":\"web-01\",\"namespace\":\"%s\"},"
		      "\"spec\":{\"runStrategy\":\"Halted\",\"template\":{\"spec\":{"
		      "\"domain\":{\"devices\":{},\"resources\":{\"requests\":{\"memory\":"
		      "\"64Mi\"}}}}}}}",
		      bed_namespace);
	stored = ferry_kube_client_create(client, vm, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bed_path_string(stored, "spec.runStrategy"), ==, "Halted");
	g_clear_pointer(&stored, json_node_unref);
	stored = ferry_kube_client_get(client, "kubevirt.io/v1", "VirtualMachine", bed_namespace,
				       "web-01", NULL, &error);
	g_assert_no_error(error);

	/* the CRD's schema rejects a string where a boolean belongs */
	bad_vm = bed_json("{\"apiVersion\":\"kubevirt.io/v1\",\"kind\":\"VirtualMachine\","
			  "\"metadata\":{\"name\":\"bad\",\"namespace\":\"%s\"},"
			  "\"spec\":{\"running\":\"yes\",\"template\":{\"spec\":{"
			  "\"domain\":{\"devices\":{}}}}}}",
			  bed_namespace);
	none = ferry_kube_client_create(client, bad_vm, NULL, &error);
	g_assert_null(none);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "cannot create virtualmachines.kubevirt.io"));
	g_assert_nonnull(strstr(error->message, "spec.running"));
	g_assert_nonnull(strstr(error->message, "boolean"));
	g_test_message("the schema's refusal: %s", error->message);
	g_clear_error(&error);

	dv = bed_json("{\"apiVersion\":\"cdi.kubevirt.io/v1beta1\",\"kind\":\"DataVolume\","
		      "\"metadata\":{\"name\":\"web-01-disk-0\",\"namespace\":\"%s\"},"
		      "\"spec\":{\"source\":{\"blank\":{}},\"storage\":{\"resources\":"
		      "{\"requests\":{\"storage\":\"1Gi\"}}}}}",
		      bed_namespace);
	g_clear_pointer(&stored, json_node_unref);
	stored = ferry_kube_client_create(client, dv, NULL, &error);
	g_assert_no_error(error);

	/* a Forklift Provider, and its status through the status subresource */
	provider = bed_json("{\"apiVersion\":\"forklift.konveyor.io/v1beta1\",\"kind\":\"Provider\","
			    "\"metadata\":{\"name\":\"host\",\"namespace\":\"%s\"},"
			    "\"spec\":{\"type\":\"openshift\",\"url\":\"\",\"secret\":{"
			    "\"name\":\"host-token\",\"namespace\":\"%s\"}}}",
			    bed_namespace, bed_namespace);
	g_clear_pointer(&stored, json_node_unref);
	stored = ferry_kube_client_create(client, provider, NULL, &error);
	g_assert_no_error(error);
	status = bed_json("{\"phase\":\"Ready\",\"observedGeneration\":1}");
	updated = ferry_kube_client_update_status(client, "forklift.konveyor.io/v1beta1",
						  "Provider", bed_namespace, "host", status, NULL,
						  &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bed_path_string(updated, "status.phase"), ==, "Ready");
	/* the status update did not touch the spec */
	g_assert_cmpstr(bed_path_string(updated, "spec.type"), ==, "openshift");

	for (guint i = 0; i < 3; i++) {
		const char *kinds[][3] = {{"kubevirt.io/v1", "VirtualMachine", "web-01"},
					  {"cdi.kubevirt.io/v1beta1", "DataVolume", "web-01-disk-0"},
					  {"forklift.konveyor.io/v1beta1", "Provider", "host"}};
		g_assert_true(ferry_kube_client_delete(client, kinds[i][0], kinds[i][1],
						       bed_namespace, kinds[i][2],
						       FERRY_KUBE_PROPAGATION_FOREGROUND, NULL,
						       &error));
		g_assert_no_error(error);
	}
}

/* two writers of one status: each merge reads again after a 409, none is lost */

typedef struct {
	const char *key;
	guint rounds;
	GError *error;
} StatusWriter;

static gpointer
status_writer_thread(gpointer user_data)
{
	StatusWriter *writer = user_data;
	g_autoptr(FerryKubeClient) client = bed_client();

	for (guint i = 1; i <= writer->rounds && writer->error == NULL; i++) {
		g_autoptr(JsonNode) status =
		    g_strcmp0(writer->key, "fingerprint") == 0
			? bed_json("{\"fingerprint\":\"f%u\"}", i)
			: bed_json("{\"%s\":%u}", writer->key, i);
		g_autoptr(JsonNode) stored = ferry_kube_client_update_status(
		    client, "forklift.konveyor.io/v1beta1", "Provider", bed_namespace, "racy", status,
		    NULL, &writer->error);
	}
	return NULL;
}

static void
test_bed_status_updates_race(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) provider = NULL;
	g_autoptr(JsonNode) stored = NULL;
	StatusWriter writers[2] = {{"observedGeneration", 15, NULL}, {"fingerprint", 15, NULL}};
	GThread *threads[2];

	if (!bed_require())
		return;
	client = bed_client();
	provider = bed_json("{\"apiVersion\":\"forklift.konveyor.io/v1beta1\",\"kind\":\"Provider\","
			    "\"metadata\":{\"name\":\"racy\",\"namespace\":\"%s\"},"
			    "\"spec\":{\"type\":\"openshift\",\"url\":\"\",\"secret\":{"
			    "\"name\":\"host-token\",\"namespace\":\"%s\"}}}",
			    bed_namespace, bed_namespace);
	stored = ferry_kube_client_create(client, provider, NULL, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < 2; i++)
		threads[i] = g_thread_new("status-writer", status_writer_thread, &writers[i]);
	for (guint i = 0; i < 2; i++) {
		g_thread_join(threads[i]);
		g_assert_no_error(writers[i].error);
	}
	g_clear_pointer(&stored, json_node_unref);
	stored = ferry_kube_client_get(client, "forklift.konveyor.io/v1beta1", "Provider",
				       bed_namespace, "racy", NULL, &error);
	g_assert_no_error(error);
	{
		JsonObject *status = json_object_get_object_member(json_node_get_object(stored),
								   "status");
		/* each writer's last value survived the other's writes */
		g_assert_cmpint(json_object_get_int_member(status, "observedGeneration"), ==, 15);
		g_assert_cmpstr(json_object_get_string_member(status, "fingerprint"), ==, "f15");
	}
}

/* --- server-side apply --- */

static void
test_bed_apply_conflicts(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(FerryKubeClient) other = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) mine = NULL;
	g_autoptr(JsonNode) theirs = NULL;
	g_autoptr(JsonNode) stored = NULL;

	if (!bed_require())
		return;
	client = bed_client();
	other = bed_client();
	ferry_kube_client_set_field_manager(other, "other-controller");
	mine = bed_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			"\"applied\",\"namespace\":\"%s\"},\"data\":{\"owner\":\"ferry\"}}",
			bed_namespace);
	/* apply creates */
	stored = ferry_kube_client_apply(client, mine, FALSE, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bed_path_string(stored, "data.owner"), ==, "ferry");
	/* another manager takes the field by force */
	theirs = bed_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			  "\"applied\",\"namespace\":\"%s\"},\"data\":{\"owner\":\"other\"}}",
			  bed_namespace);
	g_clear_pointer(&stored, json_node_unref);
	stored = ferry_kube_client_apply(other, theirs, TRUE, NULL, &error);
	g_assert_no_error(error);
	/* applying ours again without force is a conflict that names the other manager */
	g_clear_pointer(&stored, json_node_unref);
	stored = ferry_kube_client_apply(client, mine, FALSE, NULL, &error);
	g_assert_null(stored);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
	g_assert_nonnull(strstr(error->message, "other-controller"));
	g_assert_nonnull(strstr(error->message, ".data.owner"));
	g_test_message("the conflict: %s", error->message);
	g_clear_error(&error);
	/* with force, ours wins */
	stored = ferry_kube_client_apply(client, mine, TRUE, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bed_path_string(stored, "data.owner"), ==, "ferry");
}

/* --- watch --- */

typedef struct {
	GHashTable *view; /* name → resourceVersion */
	guint events;
	guint bookmarks;
} WatchView;

static void
watch_event_cb(FerryKubeWatch *watch, const char *type, JsonNode *object, gpointer user_data)
{
	WatchView *view = user_data;
	const char *name = bed_path_string(object, "metadata.name");

	view->events++;
	if (g_strcmp0(type, "BOOKMARK") == 0) {
		view->bookmarks++;
		return;
	}
	if (g_strcmp0(type, "DELETED") == 0)
		g_hash_table_remove(view->view, name);
	else
		g_hash_table_replace(view->view, g_strdup(name),
				     g_strdup(bed_path_string(object, "metadata.resourceVersion")));
}

static void
watch_failed_cb(FerryKubeWatch *watch, GError *error, gpointer user_data)
{
	g_error("the watch failed: %s", error->message);
}

/* runs the main context until the view holds exactly @names */
static gboolean
watch_wait_for(WatchView *view, const char *const *names, guint seconds)
{
	gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < end) {
		gboolean match = g_hash_table_size(view->view) == g_strv_length((GStrv)names);
		for (guint i = 0; match && names[i] != NULL; i++)
			match = g_hash_table_contains(view->view, names[i]);
		if (match)
			return TRUE;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(20 * 1000);
	}
	return FALSE;
}

static void
bed_create_configmap(FerryKubeClient *client, const char *namespace, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) cm = bed_json(
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
	    "\"namespace\":\"%s\",\"labels\":{\"ferry.dev/watch\":\"yes\"}}}",
	    name, namespace);
	g_autoptr(JsonNode) stored = ferry_kube_client_create(client, cm, NULL, &error);

	g_assert_no_error(error);
}

/* compacts etcd at its current revision, through etcd's own API */
static gboolean
bed_compact_etcd(char **why)
{
	g_autofree char *pki = g_build_filename(bed_get("FERRY_KUBE_STATE"), "pki", NULL);
	g_autofree char *ca = g_build_filename(pki, "ca.crt", NULL);
	g_autofree char *cert = g_build_filename(pki, "apiserver-etcd-client.crt", NULL);
	g_autofree char *key = g_build_filename(pki, "apiserver-etcd-client.key", NULL);
	g_autofree char *apiserver = g_strdup(bed_get("FERRY_KUBE_APISERVER"));
	g_autofree char *url = NULL;
	g_autofree char *out = NULL;
	g_autofree char *body = NULL;
	g_autoptr(JsonNode) reply = NULL;
	const char *revision;
	char *colon = strrchr(apiserver, ':');
	guint64 port = 0;
	int status = 0;

	g_ascii_string_to_unsigned(colon + 1, 10, 1, 65534, &port, NULL);
	url = g_strdup_printf("https://127.0.0.1:%" G_GUINT64_FORMAT "/v3/kv/", port + 1);
	{
		g_autofree char *range = g_strconcat(url, "range", NULL);
		const char *argv[] = {"curl", "-sf", "--max-time", "10", "--cacert", ca, "--cert",
				      cert, "--key", key, "-d", "{\"key\":\"AA==\"}", range, NULL};
		if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
				  NULL, &status, NULL) ||
		    status != 0) {
			*why = g_strdup("etcd's /v3/kv/range did not answer");
			return FALSE;
		}
	}
	reply = json_from_string(out, NULL);
	revision = reply != NULL ? bed_path_string(reply, "header.revision") : NULL;
	if (revision == NULL) {
		*why = g_strdup_printf("etcd's reply has no revision: %s", out);
		return FALSE;
	}
	body = g_strdup_printf("{\"revision\":\"%s\",\"physical\":true}", revision);
	{
		g_autofree char *compact = g_strconcat(url, "compaction", NULL);
		const char *argv[] = {"curl", "-sf", "--max-time", "30", "--cacert", ca, "--cert",
				      cert, "--key", key, "-d", body, compact, NULL};
		if (!g_spawn_sync(NULL, (char **)argv, NULL,
				  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
				  NULL, &status, NULL) ||
		    status != 0) {
			*why = g_strdup("etcd's /v3/kv/compaction failed");
			return FALSE;
		}
	}
	g_test_message("etcd compacted at revision %s", revision);
	return TRUE;
}

static const char *
bed_script(void)
{
	const char *script = g_getenv("FERRY_KUBE_TESTBED_SCRIPT");
	return script != NULL && g_file_test(script, G_FILE_TEST_IS_EXECUTABLE) ? script : NULL;
}

static char *
bed_apiserver_pid(void)
{
	g_autofree char *file = g_build_filename(bed_get("FERRY_KUBE_STATE"), "run",
						 "kube-apiserver.pid", NULL);
	char *text = NULL;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		return NULL;
	return g_strstrip(text);
}

/* restarts the API server with the bed's own verb; *missing when the bed's
 * script has none (FALSE with *why when there is no verb or it failed) */
static gboolean
bed_restart_apiserver(gboolean *missing, char **why)
{
	const char *script = bed_script();
	g_autofree char *text = NULL;
	g_autofree char *err = NULL;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;
	g_autoptr(GError) error = NULL;
	int status = 0;

	*missing = FALSE;
	if (script == NULL || !g_file_get_contents(script, &text, NULL, NULL) ||
	    strstr(text, "restart-apiserver)") == NULL) {
		*missing = TRUE;
		*why = g_strdup("scripts/kube-testbed has no restart-apiserver verb "
				"(or FERRY_KUBE_TESTBED_SCRIPT is not set)");
		return FALSE;
	}
	before = bed_apiserver_pid();
	{
		const char *argv[] = {script, "restart-apiserver", NULL};
		if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
				  NULL, &err, &status, &error) ||
		    !g_spawn_check_wait_status(status, &error)) {
			*why = g_strdup_printf("scripts/kube-testbed restart-apiserver failed "
					       "(%s): %s",
					       error->message, err != NULL ? g_strstrip(err) : "");
			return FALSE;
		}
	}
	/* a new process, not the old one still answering */
	after = bed_apiserver_pid();
	if (before == NULL || after == NULL || g_strcmp0(before, after) == 0) {
		*why = g_strdup_printf("kube-apiserver's pid is %s before and %s after "
				       "scripts/kube-testbed restart-apiserver",
				       before != NULL ? before : "unknown",
				       after != NULL ? after : "unknown");
		return FALSE;
	}
	g_test_message("kube-apiserver restarted: pid %s, then %s", before, after);
	return TRUE;
}

static void
test_bed_watch_survives_restart_and_compaction(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(FerryKubeWatch) watch = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *other_ns = NULL;
	g_autofree char *why = NULL;
	g_autofree char *why_restart = NULL;
	WatchView view = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
	const char *first[] = {"a", NULL};
	const char *second[] = {"b", NULL};
	const char *third[] = {"b", "c", NULL};
	gboolean restarted;
	gboolean missing;

	if (!bed_require())
		return;
	client = bed_client();
	bed_create_configmap(client, bed_namespace, "a");
	watch = ferry_kube_client_watch(client, "v1", "ConfigMap", bed_namespace, "ferry.dev/watch",
					NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(watch, "event", G_CALLBACK(watch_event_cb), &view);
	g_signal_connect(watch, "failed", G_CALLBACK(watch_failed_cb), NULL);
	g_assert_true(ferry_kube_watch_start(watch, &error));
	g_assert_true(watch_wait_for(&view, first, 30));

	/* changes the watch sees live */
	bed_create_configmap(client, bed_namespace, "b");
	g_assert_true(ferry_kube_client_delete(client, "v1", "ConfigMap", bed_namespace, "a",
					       FERRY_KUBE_PROPAGATION_DEFAULT, NULL, &error));
	g_assert_true(watch_wait_for(&view, second, 30));

	/* history the watch does not see (another namespace), then etcd
	 * forgets it: the watch's resourceVersion falls behind the compaction */
	other_ns = g_strdup_printf("%s-other", bed_namespace);
	{
		g_autoptr(JsonNode) ns = bed_json(
		    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
		    other_ns);
		g_autoptr(JsonNode) created = ferry_kube_client_create(client, ns, NULL, &error);
		g_assert_no_error(error);
		for (guint i = 0; i < 20; i++) {
			g_autofree char *name = g_strdup_printf("noise%u", i);
			bed_create_configmap(client, other_ns, name);
		}
	}
	if (!bed_compact_etcd(&why)) {
		g_test_fail_printf("cannot compact etcd: %s", why);
		return;
	}
	/* the API server goes away under the open watch and comes back */
	restarted = bed_restart_apiserver(&missing, &why_restart);
	if (!restarted) {
		if (!missing || g_strcmp0(g_getenv("CI"), "true") == 0) {
			g_test_fail_printf("cannot restart the API server: %s", why_restart);
			ferry_kube_watch_stop(watch);
			ferry_kube_client_delete(client, "v1", "Namespace", NULL, other_ns,
						 FERRY_KUBE_PROPAGATION_BACKGROUND, NULL, NULL);
			g_hash_table_unref(view.view);
			return;
		}
		g_test_message("SKIPPED PART: the API-server restart (%s); the watch is checked "
			       "across the etcd compaction only",
			       why_restart);
	}

	/* the same watch carries on: an object created after the restart and
	 * the compaction arrives as an event */
	for (guint i = 0;; i++) {
		g_autoptr(JsonNode) cm = bed_json(
		    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
		    "\"namespace\":\"%s\",\"labels\":{\"ferry.dev/watch\":\"yes\"}}}",
		    bed_namespace);
		g_autoptr(JsonNode) stored = ferry_kube_client_create(client, cm, NULL, &error);
		if (stored != NULL || i >= 60)
			break;
		/* the API server is still coming back */
		g_clear_error(&error);
		g_usleep(G_USEC_PER_SEC);
	}
	g_assert_no_error(error);
	g_assert_true(watch_wait_for(&view, third, 90));
	/* whether the resumed watch needed a relist depends on the bookmark a
	 * gracefully stopping API server sends its watchers; the watch below
	 * proves the relist */
	g_test_message("watch (API server restarted: %s): %u events, %u bookmarks, %u relists",
		       restarted ? "yes" : "no", view.events, view.bookmarks,
		       ferry_kube_watch_get_relist_count(watch));

	/* a new watch from a version older than the compaction relists cleanly */
	{
		g_autoptr(FerryKubeWatch) old = NULL;
		WatchView old_view = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
		const char *expect[] = {"b", "c", NULL};
		g_autoptr(JsonNode) list = ferry_kube_client_list(client, "v1", "ConfigMap",
								  bed_namespace, NULL, NULL, &error);
		g_assert_no_error(error);
		old = ferry_kube_client_watch(client, "v1", "ConfigMap", bed_namespace,
					      "ferry.dev/watch", "1", &error);
		g_assert_no_error(error);
		g_signal_connect(old, "event", G_CALLBACK(watch_event_cb), &old_view);
		g_assert_true(ferry_kube_watch_start(old, &error));
		g_assert_true(watch_wait_for(&old_view, expect, 60));
		g_assert_cmpuint(ferry_kube_watch_get_relist_count(old), ==, 1);
		ferry_kube_watch_stop(old);
		g_hash_table_unref(old_view.view);
	}
	ferry_kube_watch_stop(watch);
	ferry_kube_client_delete(client, "v1", "Namespace", NULL, other_ns,
				 FERRY_KUBE_PROPAGATION_BACKGROUND, NULL, NULL);
	g_hash_table_unref(view.view);
}

/* --- a pod of Ferry's image: its log and a port forward carrying NBD --- */

static gboolean
bed_wait_pod_running(FerryKubeClient *client, const char *name, guint seconds)
{
	for (guint i = 0; i < seconds * 2; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) pod =
		    ferry_kube_client_get(client, "v1", "Pod", bed_namespace, name, NULL, &error);
		const char *phase = pod != NULL ? bed_path_string(pod, "status.phase") : NULL;

		if (g_strcmp0(phase, "Running") == 0)
			return TRUE;
		if (g_strcmp0(phase, "Failed") == 0)
			return FALSE;
		g_usleep(G_USEC_PER_SEC / 2);
	}
	return FALSE;
}

static char *
bed_random_file(const char *dir, const char *name, gsize size)
{
	g_autofree guint32 *data = g_new(guint32, size / 4);
	char *path = g_build_filename(dir, name, NULL);

	for (gsize i = 0; i < size / 4; i++)
		data[i] = g_random_int();
	/* leave holes: a zero stretch NBD may skip */
	memset(data, 0, size / 4);
	g_assert_true(g_file_set_contents(path, (const char *)data, (gssize)size, NULL));
	return path;
}

static void
bed_run(const char *const *argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	int status = 0;

	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   NULL, &err, &status, &error));
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("%s failed: %s", argv[0], err);
}

static void
test_bed_pod_log_and_port_forward(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) pod = NULL;
	g_autoptr(JsonNode) stored = NULL;
	g_autoptr(FerryKubePortForward) forward = NULL;
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GDataInputStream) lines = NULL;
	g_autofree char *log = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *source = NULL;
	g_autofree char *back = NULL;
	g_autofree char *uri = NULL;
	g_autofree char *a = NULL;
	g_autofree char *b = NULL;
	gsize a_len = 0, b_len = 0;
	gboolean found = FALSE;
	const char *image = bed_get("FERRY_KUBE_IMAGE");

	if (!bed_require())
		return;
	if (image == NULL || *image == '\0') {
		if (g_strcmp0(g_getenv("CI"), "true") == 0)
			g_test_fail_printf("the test bed has no Ferry image (FERRY_KUBE_IMAGE)");
		else
			g_test_skip("the test bed has no Ferry image (FERRY_KUBE_IMAGE)");
		return;
	}
	client = bed_client();
	/* nbdkit serves a 64 MiB memory disk on the pod's network */
	pod = bed_json(
	    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"ferry-nbd\","
	    "\"namespace\":\"%s\"},\"spec\":{\"restartPolicy\":\"Never\","
	    "\"terminationGracePeriodSeconds\":1,\"automountServiceAccountToken\":false,"
	    "\"containers\":[{\"name\":\"nbd\",\"image\":\"%s\",\"imagePullPolicy\":\"Never\","
	    "\"command\":[\"sh\",\"-c\",\"echo ferry-pod-started; nbdkit --version; "
	    "exec nbdkit -f --port 10809 memory 64M\"]}]}}",
	    bed_namespace, image);
	stored = ferry_kube_client_create(client, pod, NULL, &error);
	g_assert_no_error(error);
	if (!bed_wait_pod_running(client, "ferry-nbd", 180)) {
		g_autoptr(JsonNode) state =
		    ferry_kube_client_get(client, "v1", "Pod", bed_namespace, "ferry-nbd", NULL, NULL);
		g_autoptr(JsonNode) events = ferry_kube_client_list(client, "v1", "Event",
								    bed_namespace, NULL, NULL, NULL);
		g_autoptr(GString) why = g_string_new(NULL);
		JsonArray *items = events != NULL ? json_object_get_array_member(
							json_node_get_object(events), "items")
						  : NULL;

		for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
			JsonNode *item = json_array_get_element(items, i);
			g_string_append_printf(why, "; %s: %s", bed_path_string(item, "reason"),
					       bed_path_string(item, "message"));
		}
		g_test_fail_printf("the pod ferry-nbd of %s did not reach Running in 180 s "
				   "(phase %s)%s",
				   image, state != NULL ? bed_path_string(state, "status.phase") : "gone",
				   why->str);
		ferry_kube_client_delete(client, "v1", "Pod", bed_namespace, "ferry-nbd",
					 FERRY_KUBE_PROPAGATION_BACKGROUND, NULL, NULL);
		return;
	}

	/* the log so far, then the same through a follow stream */
	for (guint i = 0; i < 40 && !found; i++) {
		g_free(log);
		log = ferry_kube_client_get_log(client, bed_namespace, "ferry-nbd", NULL, NULL, &error);
		g_assert_no_error(error);
		found = strstr(log, "ferry-pod-started") != NULL && strstr(log, "nbdkit 1.") != NULL;
		if (!found)
			g_usleep(G_USEC_PER_SEC / 2);
	}
	g_assert_true(found);
	stream = ferry_kube_client_read_log(client, bed_namespace, "ferry-nbd", "nbd", TRUE, NULL,
					    &error);
	g_assert_no_error(error);
	lines = g_data_input_stream_new(stream);
	{
		g_autofree char *line = g_data_input_stream_read_line(lines, NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(line, ==, "ferry-pod-started");
	}
	g_input_stream_close(G_INPUT_STREAM(lines), NULL, NULL);

	/* a real NBD copy through the API server's port forward, there and back */
	forward = ferry_kube_client_port_forward(client, bed_namespace, "ferry-nbd", 10809, &error);
	g_assert_no_error(error);
	uri = ferry_kube_port_forward_dup_uri(forward);
	dir = g_dir_make_tmp("ferry-kube-pf-test-XXXXXX", &error);
	g_assert_no_error(error);
	source = bed_random_file(dir, "source.img", 16 * 1024 * 1024);
	back = g_build_filename(dir, "back.img", NULL);
	for (guint i = 0; i < 20; i++) {
		/* the container may still be opening its port */
		const char *argv[] = {"nbdinfo", "--size", uri, NULL};
		int status = 0;
		if (g_spawn_sync(NULL, (char **)argv, NULL,
				 G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
				     G_SPAWN_STDERR_TO_DEV_NULL,
				 NULL, NULL, NULL, NULL, &status, NULL) &&
		    g_spawn_check_wait_status(status, NULL))
			break;
		g_usleep(G_USEC_PER_SEC / 2);
	}
	{
		const char *up[] = {"nbdcopy", "--target-is-zero", source, uri, NULL};
		const char *down[] = {"nbdcopy", uri, back, NULL};
		bed_run(up);
		bed_run(down);
	}
	g_assert_true(g_file_get_contents(source, &a, &a_len, NULL));
	g_assert_true(g_file_get_contents(back, &b, &b_len, NULL));
	/* the disk is 64 MiB; the first 16 MiB came back as sent, the rest is zero */
	g_assert_cmpuint(b_len, ==, 64 * 1024 * 1024);
	g_assert_true(memcmp(a, b, a_len) == 0);
	for (gsize i = a_len; i < b_len; i++)
		if (b[i] != 0)
			g_error("byte %" G_GSIZE_FORMAT " past the copy is not zero", i);
	ferry_kube_port_forward_stop(forward);
	g_unlink(source);
	g_unlink(back);
	g_rmdir(dir);

	/* a forward to a port nothing listens on says why */
	{
		g_autoptr(FerryKubePortForward) nowhere =
		    ferry_kube_client_port_forward(client, bed_namespace, "ferry-nbd", 10999, &error);
		g_autofree char *nowhere_uri = ferry_kube_port_forward_dup_uri(nowhere);
		g_autofree char *last = NULL;
		const char *argv[] = {"nbdinfo", "--size", nowhere_uri, NULL};
		int status = 0;

		g_assert_no_error(error);
		g_spawn_sync(NULL, (char **)argv, NULL,
			     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
				 G_SPAWN_STDERR_TO_DEV_NULL,
			     NULL, NULL, NULL, NULL, &status, NULL);
		g_assert_false(g_spawn_check_wait_status(status, NULL));
		last = ferry_kube_port_forward_dup_last_error(nowhere);
		g_test_message("forward to a closed port: %s", last);
		g_assert_nonnull(last);
		g_assert_nonnull(strstr(last, "10999"));
	}
	ferry_kube_client_delete(client, "v1", "Pod", bed_namespace, "ferry-nbd",
				 FERRY_KUBE_PROPAGATION_BACKGROUND, NULL, NULL);
}

/* --- an exec credential plugin with a real service-account token --- */

static void
test_bed_exec_plugin_token(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(FerryKubeClient) exec_client = NULL;
	g_autoptr(FerryKubeConfig) exec_config = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) sa = NULL;
	g_autoptr(JsonNode) request = NULL;
	g_autoptr(JsonNode) token = NULL;
	g_autoptr(JsonNode) review = NULL;
	g_autoptr(JsonNode) reply = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *plugin = NULL;
	g_autofree char *yaml = NULL;
	g_autofree char *expected = NULL;
	const char *script = "#!/bin/sh\n"
			     "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
			     "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\","
			     "\"expirationTimestamp\":\"%s\"}}' \"$SA_TOKEN\" \"$EXPIRY\"\n";

	if (!bed_require())
		return;
	client = bed_client();
	sa = bed_json("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{"
		      "\"name\":\"ferry-exec\",\"namespace\":\"%s\"}}",
		      bed_namespace);
	g_clear_pointer(&reply, json_node_unref);
	reply = ferry_kube_client_create(client, sa, NULL, &error);
	g_assert_no_error(error);
	request = bed_json("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
			   "\"TokenRequest\",\"spec\":{\"expirationSeconds\":600}}");
	token = ferry_kube_client_create_subresource(client, "v1", "ServiceAccount", bed_namespace,
						     "ferry-exec", "token", request, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(bed_path_string(token, "status.token"));

	/* the plugin prints the token it gets from the kubeconfig's env */
	dir = g_dir_make_tmp("ferry-kube-exec-XXXXXX", &error);
	g_assert_no_error(error);
	plugin = g_build_filename(dir, "plugin.sh", NULL);
	g_assert_true(g_file_set_contents_full(plugin, script, -1, G_FILE_SET_CONTENTS_NONE, 0700,
					       NULL));
	yaml = g_strdup_printf("current-context: x\n"
			       "clusters: [{name: x, cluster: {server: '%s', "
			       "certificate-authority: '%s'}}]\n"
			       "users:\n- name: sa\n  user:\n    exec:\n"
			       "      apiVersion: client.authentication.k8s.io/v1\n"
			       "      command: ./plugin.sh\n"
			       "      env: [{name: SA_TOKEN, value: '%s'}, {name: EXPIRY, value: '%s'}]\n"
			       "contexts: [{name: x, context: {cluster: x, user: sa}}]\n",
			       bed_get("FERRY_KUBE_APISERVER"), bed_get("FERRY_KUBE_CA"),
			       bed_path_string(token, "status.token"),
			       bed_path_string(token, "status.expirationTimestamp"));
	exec_config = ferry_kube_config_new_from_data(yaml, dir, NULL, &error);
	g_assert_no_error(error);
	exec_client = ferry_kube_client_new(exec_config);
	/* who the API server says we are */
	review = bed_json("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
			  "\"SelfSubjectReview\"}");
	g_clear_pointer(&reply, json_node_unref);
	reply = ferry_kube_client_create(exec_client, review, NULL, &error);
	g_assert_no_error(error);
	expected = g_strdup_printf("system:serviceaccount:%s:ferry-exec", bed_namespace);
	g_assert_cmpstr(bed_path_string(reply, "status.userInfo.username"), ==, expected);
	g_unlink(plugin);
	g_rmdir(dir);
}

/* --- 429: an eviction a PodDisruptionBudget blocks, retried until the budget goes --- */

static gpointer
remove_budget_later_thread(gpointer user_data)
{
	g_autoptr(FerryKubeClient) client = bed_client();

	g_usleep(G_USEC_PER_SEC * 5 / 2);
	ferry_kube_client_delete(client, "policy/v1", "PodDisruptionBudget", bed_namespace, "keep",
				 FERRY_KUBE_PROPAGATION_DEFAULT, NULL, NULL);
	return NULL;
}

static void
test_bed_too_many_requests_retried(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) pod = NULL;
	g_autoptr(JsonNode) pdb = NULL;
	g_autoptr(JsonNode) stored = NULL;
	g_autoptr(JsonNode) eviction = NULL;
	g_autoptr(JsonNode) evicted = NULL;
	const char *image = bed_get("FERRY_KUBE_IMAGE");
	GThread *remover;
	gint64 start;
	gboolean observed = FALSE;

	if (!bed_require())
		return;
	if (image == NULL || *image == '\0') {
		g_test_skip("the test bed has no Ferry image (FERRY_KUBE_IMAGE)");
		return;
	}
	client = bed_client();
	pod = bed_json("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
		       "\"evictee\",\"namespace\":\"%s\",\"labels\":{\"app\":\"evictee\"}},"
		       "\"spec\":{\"terminationGracePeriodSeconds\":0,"
		       "\"automountServiceAccountToken\":false,\"containers\":[{\"name\":\"s\","
		       "\"image\":\"%s\",\"imagePullPolicy\":\"Never\",\"command\":"
		       "[\"sleep\",\"3600\"]}]}}",
		       bed_namespace, image);
	stored = ferry_kube_client_create(client, pod, NULL, &error);
	g_assert_no_error(error);
	pdb = bed_json("{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\","
		       "\"metadata\":{\"name\":\"keep\",\"namespace\":\"%s\"},\"spec\":{"
		       "\"minAvailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"evictee\"}}}}",
		       bed_namespace);
	g_clear_pointer(&stored, json_node_unref);
	stored = ferry_kube_client_create(client, pdb, NULL, &error);
	g_assert_no_error(error);
	if (!bed_wait_pod_running(client, "evictee", 120)) {
		g_test_fail_printf("the pod evictee did not run");
		return;
	}
	/* the disruption controller has counted the running pod */
	for (guint i = 0; i < 120 && !observed; i++) {
		g_autoptr(JsonNode) now = ferry_kube_client_get(client, "policy/v1",
								"PodDisruptionBudget", bed_namespace,
								"keep", NULL, &error);
		JsonObject *status;
		g_assert_no_error(error);
		status = json_object_get_object_member(json_node_get_object(now), "status");
		observed = status != NULL &&
			   json_object_get_int_member_with_default(status, "currentHealthy", 0) == 1;
		if (!observed)
			g_usleep(G_USEC_PER_SEC / 2);
	}
	g_assert_true(observed);

	/* the eviction is refused with 429 until the budget is gone */
	remover = g_thread_new("remove-budget", remove_budget_later_thread, NULL);
	start = g_get_monotonic_time();
	eviction = bed_json("{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\","
			    "\"metadata\":{\"name\":\"evictee\",\"namespace\":\"%s\"}}",
			    bed_namespace);
	evicted = ferry_kube_client_create_subresource(client, "v1", "Pod", bed_namespace,
						       "evictee", "eviction", eviction, NULL,
						       &error);
	g_thread_join(remover);
	g_assert_no_error(error);
	g_assert_nonnull(evicted);
	/* it waited: at least two refusals of a second each */
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 2 * G_USEC_PER_SEC);
	g_test_message("the eviction passed after %.1f s of 429s",
		       (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);
}

/* --- refusals --- */

static void
test_bed_bad_token_is_401(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *yaml = NULL;
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(JsonNode) list = NULL;

	if (!bed_require())
		return;
	yaml = g_strdup_printf("current-context: x\n"
			       "clusters: [{name: x, cluster: {server: '%s', "
			       "certificate-authority: '%s'}}]\n"
			       "users: [{name: bad, user: {token: not-a-real-token-4711}}]\n"
			       "contexts: [{name: x, context: {cluster: x, user: bad}}]\n",
			       bed_get("FERRY_KUBE_APISERVER"), bed_get("FERRY_KUBE_CA"));
	config = ferry_kube_config_new_from_data(yaml, NULL, NULL, &error);
	g_assert_no_error(error);
	client = ferry_kube_client_new(config);
	list = ferry_kube_client_list(client, "v1", "Pod", "default", NULL, NULL, &error);
	g_assert_null(list);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
	g_assert_nonnull(strstr(error->message, "refused the credentials"));
	g_assert_null(strstr(error->message, "not-a-real-token-4711"));
	g_test_message("401: %s", error->message);
}

static void
test_bed_least_privilege_is_403(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(JsonNode) allowed = NULL;
	g_autoptr(JsonNode) denied = NULL;
	g_autoptr(JsonNode) cm = NULL;

	if (!bed_require())
		return;
	config = ferry_kube_config_new_from_file(bed_get("FERRY_KUBE_LIMITED_KUBECONFIG"), NULL,
						 &error);
	g_assert_no_error(error);
	client = ferry_kube_client_new(config);
	/* what the Role allows works */
	allowed = ferry_kube_client_list(client, "v1", "Pod", "limited", NULL, NULL, &error);
	g_assert_no_error(error);
	/* the rest names the rule that is missing */
	denied = ferry_kube_client_list(client, "v1", "Pod", "default", NULL, NULL, &error);
	g_assert_null(denied);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "verb \"list\" on resource \"pods\""));
	g_assert_nonnull(strstr(error->message, "in namespace default"));
	g_test_message("403: %s", error->message);
	g_clear_error(&error);
	cm = bed_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		      "\"x\",\"namespace\":\"limited\"}}");
	g_assert_null(ferry_kube_client_create(client, cm, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "verb \"create\" on resource \"configmaps\""));
	g_assert_nonnull(strstr(error->message, "in namespace limited"));
}

static void
test_bed_wrong_ca_is_tls_failure(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *yaml = NULL;
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(JsonNode) list = NULL;

	if (!bed_require())
		return;
	yaml = g_strdup_printf("current-context: x\n"
			       "clusters: [{name: x, cluster: {server: '%s', "
			       "certificate-authority: '%s'}}]\n"
			       "users: [{name: u, user: {token: t}}]\n"
			       "contexts: [{name: x, context: {cluster: x, user: u}}]\n",
			       bed_get("FERRY_KUBE_APISERVER"), g_getenv("FERRY_TEST_WRONG_CA"));
	config = ferry_kube_config_new_from_data(yaml, NULL, NULL, &error);
	g_assert_no_error(error);
	client = ferry_kube_client_new(config);
	list = ferry_kube_client_list(client, "v1", "Pod", "default", NULL, NULL, &error);
	g_assert_null(list);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED);
	g_assert_nonnull(strstr(error->message, bed_get("FERRY_KUBE_APISERVER")));
	g_assert_nonnull(strstr(error->message, "check the cluster's CA"));
	g_test_message("wrong CA: %s", error->message);
}

static void
test_bed_cancelled_call(void)
{
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) list = NULL;

	if (!bed_require())
		return;
	client = bed_client();
	/* discovery first, so the cancelled call is the list itself */
	g_free(ferry_kube_client_resolve_resource(client, "v1", "Pod", NULL, NULL, &error));
	g_assert_no_error(error);
	g_cancellable_cancel(cancellable);
	list = ferry_kube_client_list(client, "v1", "Pod", NULL, NULL, cancellable, &error);
	g_assert_null(list);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	g_assert_nonnull(strstr(error->message, "cannot list pods"));
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	bed_load_env();
	bed_check_reachable();
	if (bed_missing == NULL)
		bed_setup_namespace();
	g_test_add_func("/kube/bed/core-crud", test_bed_core_crud);
	g_test_add_func("/kube/bed/custom-resources", test_bed_custom_resources);
	g_test_add_func("/kube/bed/status-updates-race", test_bed_status_updates_race);
	g_test_add_func("/kube/bed/apply-conflicts", test_bed_apply_conflicts);
	g_test_add_func("/kube/bed/exec-plugin-token", test_bed_exec_plugin_token);
	g_test_add_func("/kube/bed/too-many-requests-retried", test_bed_too_many_requests_retried);
	g_test_add_func("/kube/bed/bad-token-is-401", test_bed_bad_token_is_401);
	g_test_add_func("/kube/bed/least-privilege-is-403", test_bed_least_privilege_is_403);
	g_test_add_func("/kube/bed/wrong-ca-is-tls-failure", test_bed_wrong_ca_is_tls_failure);
	g_test_add_func("/kube/bed/cancelled-call", test_bed_cancelled_call);
	g_test_add_func("/kube/bed/pod-log-and-port-forward", test_bed_pod_log_and_port_forward);
	g_test_add_func("/kube/bed/watch-survives-restart-and-compaction",
			test_bed_watch_survives_restart_and_compaction);
	status = g_test_run();
	bed_teardown_namespace();
	return status;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* the pull transfer pod of plugins/kubevirt/ferry-kubevirt-pull.c: the paths
 * its description names are the ones the pod mounts, and no credential is
 * in what it renders; and when the kubevirt-pull method
 * (ferry-kubevirt-pull-method.c) offers to copy a disk */

#include "ferry-kubevirt-pull.c"
#include "ferry-kubevirt-pull-method.c"

#include <string.h>

static JsonObject *
find_named(JsonArray *array, const char *name)
{
	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
		JsonObject *object = json_array_get_object_element(array, i);
		if (g_strcmp0(json_object_get_string_member_with_default(object, "name", NULL),
			      name) == 0)
			return object;
	}
	return NULL;
}

static FerryTransferDescription *
make_description(void)
{
	FerryTransferDescription *description = ferry_transfer_description_new();
	ferry_transfer_description_set_source_type(description, "vsphere");
	ferry_transfer_description_set_source_url(description, "https://vcenter.example.com/sdk");
	ferry_transfer_description_set_source_name(description, "migrations", "vsphere-prod");
	ferry_transfer_description_set_vm_id(description, "vm-42");
	ferry_transfer_description_set_disk_id(description, "disk-2000");
	ferry_transfer_description_set_target(description, "/placeholder");
	ferry_transfer_description_set_target_is_zero(description, TRUE);
	return description;
}

static char *
to_text(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	json_generator_set_root(generator, node);
	return json_generator_to_data(generator, NULL);
}

/* the description in the ConfigMap, read back as the pod reads it */
static FerryTransferDescription *
description_of(JsonNode *config_map)
{
	g_autoptr(GError) error = NULL;
	JsonObject *data = json_object_get_object_member(json_node_get_object(config_map), "data");
	FerryTransferDescription *description = ferry_transfer_description_new_from_data(
	    json_object_get_string_member(data, "description.json"), -1, &error);
	g_assert_no_error(error);
	return description;
}

static const char *
mount_path(JsonObject *container, const char *volume)
{
	JsonObject *mount =
	    find_named(json_object_get_array_member(container, "volumeMounts"), volume);
	g_assert_nonnull(mount);
	return json_object_get_string_member(mount, "mountPath");
}

static void
test_pull_pod_filesystem(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryTransferDescription) description = make_description();
	g_autoptr(FerryTransferDescription) read = NULL;
	g_autoptr(GHashTable) labels = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) host_secrets = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree char *host_dir = ferry_kubevirt_pull_dup_host_secret_dir("host-21");
	g_autoptr(JsonNode) config_map = NULL;
	g_autoptr(JsonNode) pod_node = NULL;
	g_autofree char *config_text = NULL;
	g_autofree char *pod_text = NULL;
	g_autofree char *description_file = NULL;
	FerryKubevirtPullPod pod = {
	    .name = "plan-web-vm-42-disk-0-transfer",
	    .name_space = "migrated",
	    .image = "localhost/ferry/ferry:0.1.0",
	    .pvc = "plan-web-vm-42-disk-0",
	    .secret = "vsphere-credentials",
	    .labels = labels,
	    .host_secrets = host_secrets,
	};
	JsonObject *spec, *container, *volume;
	JsonArray *command, *volumes;

	g_hash_table_insert(labels, "plan", "plan-uid-1");
	g_hash_table_insert(host_secrets, "host-21", "esxi-21-credentials");
	ferry_transfer_description_add_source_host(description, "host-21", "10.0.0.21", host_dir);
	g_assert_true(ferry_kubevirt_pull_prepare_description(&pod, description, &error));
	g_assert_no_error(error);
	config_map = ferry_kubevirt_pull_render_config_map(&pod, description, &error);
	g_assert_no_error(error);
	pod_node = ferry_kubevirt_pull_render_pod(&pod, &error);
	g_assert_no_error(error);
	config_text = to_text(config_map);
	pod_text = to_text(pod_node);
	/* names only: no Secret value can be in what is rendered */
	g_assert_null(strstr(config_text, "password"));
	g_assert_null(strstr(pod_text, "password"));
	g_assert_nonnull(strstr(config_text, "\"plan\":\"plan-uid-1\""));

	read = description_of(config_map);
	g_assert_cmpstr(ferry_transfer_description_get_vm_id(read), ==, "vm-42");
	g_assert_true(ferry_transfer_description_get_target_is_zero(read));
	spec = json_object_get_object_member(json_node_get_object(pod_node), "spec");
	g_assert_cmpstr(json_object_get_string_member(spec, "restartPolicy"), ==, "OnFailure");
	g_assert_false(json_object_has_member(spec, "hostNetwork"));
	g_assert_false(json_object_get_boolean_member(spec, "automountServiceAccountToken"));
	container = json_array_get_object_element(json_object_get_array_member(spec, "containers"),
						  0);
	g_assert_cmpstr(json_object_get_string_member(container, "image"), ==, pod.image);
	command = json_object_get_array_member(container, "command");
	g_assert_cmpstr(json_array_get_string_element(command, 1), ==, "transfer");
	/* what the description names is what the pod mounts */
	description_file = g_build_filename(mount_path(container, "description"),
					    "description.json", NULL);
	g_assert_cmpstr(json_array_get_string_element(command, 3), ==, description_file);
	g_assert_cmpstr(ferry_transfer_description_get_target(read), ==,
			mount_path(container, "target"));
	g_assert_true(g_str_has_prefix(ferry_transfer_description_get_journal(read),
				       mount_path(container, "target")));
	g_assert_cmpstr(ferry_transfer_description_get_secret_dir(read), ==,
			mount_path(container, "source-secret"));
	volumes = json_object_get_array_member(spec, "volumes");
	volume = find_named(volumes, "target");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(volume, "persistentVolumeClaim"),
			    "claimName"),
			==, pod.pvc);
	volume = find_named(volumes, "source-secret");
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(volume, "secret"),
					  "secretName"),
	    ==, pod.secret);
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(volume, "secret"),
						   "defaultMode"),
			==, 0400);
	volume = find_named(volumes, "description");
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(volume, "configMap"),
					  "name"),
	    ==, json_object_get_string_member(
		    json_object_get_object_member(json_node_get_object(config_map), "metadata"),
		    "name"));
	g_assert_null(json_object_get_member(container, "volumeDevices"));
	/* the Host's Secret is mounted where the description says */
	g_assert_cmpstr(ferry_transfer_description_get_source_host_secret_dir(read, "host-21"), ==,
			mount_path(container, "host-secret-0"));
	volume = find_named(volumes, "host-secret-0");
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(volume, "secret"),
					  "secretName"),
	    ==, "esxi-21-credentials");
}

static void
test_pull_pod_host_secret_mismatch(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryTransferDescription) description = make_description();
	g_autoptr(GHashTable) host_secrets = g_hash_table_new(g_str_hash, g_str_equal);
	FerryKubevirtPullPod pod = {
	    .name = "t",
	    .name_space = "ns",
	    .image = "i",
	    .pvc = "p",
	    .host_secrets = host_secrets,
	};

	/* a Host whose Secret the description expects elsewhere than the pod mounts it */
	g_hash_table_insert(host_secrets, "host-21", "esxi-21-credentials");
	ferry_transfer_description_add_source_host(description, "host-21", "10.0.0.21",
						   "/elsewhere");
	g_assert_false(ferry_kubevirt_pull_prepare_description(&pod, description, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "host host-21"));
	g_clear_error(&error);
	/* and one with a secretDir but no Secret in the pod */
	g_hash_table_remove_all(host_secrets);
	g_assert_null(ferry_kubevirt_pull_render_config_map(&pod, description, &error));
	g_assert_nonnull(strstr(error->message, "no Secret mounted"));
}

static void
test_pull_pod_block_host_network(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryTransferDescription) description = make_description();
	g_autoptr(FerryTransferDescription) read = NULL;
	g_autoptr(JsonNode) config_map = NULL;
	g_autoptr(JsonNode) pod_node = NULL;
	FerryKubevirtPullPod pod = {
	    .name = "ova-disk-transfer",
	    .name_space = "migrated",
	    .image = "localhost/ferry/ferry:0.1.0",
	    .pvc = "ova-disk",
	    .block = TRUE,
	    .host_network = TRUE,
	};
	JsonObject *spec, *container, *device;

	ferry_transfer_description_set_source_type(description, "ova");
	ferry_transfer_description_set_secret_dir(description, "/somewhere");
	g_assert_true(ferry_kubevirt_pull_prepare_description(&pod, description, &error));
	config_map = ferry_kubevirt_pull_render_config_map(&pod, description, &error);
	g_assert_no_error(error);
	pod_node = ferry_kubevirt_pull_render_pod(&pod, &error);
	g_assert_no_error(error);
	read = description_of(config_map);
	/* no Secret: none mounted, none named */
	g_assert_null(ferry_transfer_description_get_secret_dir(read));
	spec = json_object_get_object_member(json_node_get_object(pod_node), "spec");
	g_assert_null(find_named(json_object_get_array_member(spec, "volumes"), "source-secret"));
	g_assert_true(json_object_get_boolean_member(spec, "hostNetwork"));
	g_assert_cmpstr(json_object_get_string_member(spec, "dnsPolicy"), ==,
			"ClusterFirstWithHostNet");
	container = json_array_get_object_element(json_object_get_array_member(spec, "containers"),
						  0);
	device = find_named(json_object_get_array_member(container, "volumeDevices"), "target");
	g_assert_nonnull(device);
	g_assert_cmpstr(json_object_get_string_member(device, "devicePath"), ==,
			ferry_transfer_description_get_target(read));
	/* the journal outlives a restarted container in the pod's scratch space */
	g_assert_true(g_str_has_prefix(ferry_transfer_description_get_journal(read),
				       mount_path(container, "scratch")));
	g_assert_nonnull(json_object_get_object_member(
	    find_named(json_object_get_array_member(spec, "volumes"), "scratch"), "emptyDir"));
}

static void
test_pull_pod_refused(void)
{
	g_autoptr(FerryTransferDescription) description = make_description();
	FerryKubevirtPullPod pods[] = {
	    {.name = "Transfer", .name_space = "ns", .image = "i", .pvc = "p"},
	    {.name = "t", .name_space = "ns", .image = NULL, .pvc = "p"},
	    {.name = "t", .name_space = "ns", .image = "i", .pvc = "p", .secret = "Bad_Secret"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(pods); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) node = ferry_kubevirt_pull_render_pod(&pods[i], &error);
		g_assert_null(node);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		g_assert_false(ferry_kubevirt_pull_prepare_description(&pods[i], description,
								       &error));
		g_assert_nonnull(error);
	}
	/* an incomplete description is not written into a ConfigMap */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) node = NULL;
		FerryKubevirtPullPod pod = {.name = "t", .name_space = "ns", .image = "i",
					    .pvc = "p"};
		ferry_transfer_description_set_disk_id(description, NULL);
		node = ferry_kubevirt_pull_render_config_map(&pod, description, &error);
		g_assert_null(node);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	}
}

static gboolean
never_served(FerryDiskEndpoint *endpoint, gpointer data, GCancellable *cancellable, GError **error)
{
	g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED, "not served in this test");
	return FALSE;
}

/* a request from a source Provider of @type at @url into a PVC of a
 * cluster whose transferMode is @mode */
static FerryTransferRequest *
make_pull_request(const char *type, const char *url, const char *mode)
{
	g_autoptr(FerrySecret) secret = ferry_secret_new("cluster");
	g_autoptr(FerryKubeConfig) kube_config = NULL;
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(FerryProviderConfig) config = ferry_provider_config_new(type, "demo", "src");
	g_autoptr(FerryDiskEndpoint) source = ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_SOURCE,
									  "nbd://127.0.0.1/");
	g_autoptr(FerryDiskEndpoint) target = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	FerryKubevirtCluster cluster = {0};
	FerryKubevirtTarget vm = {0};
	FerryKubevirtDisk disk = {0};
	FerryTransferRequest *request;

	ferry_secret_set_string(secret, "token", "not-a-real-token");
	kube_config = ferry_kube_config_new_for_provider("https://127.0.0.1:1", secret, &error);
	g_assert_no_error(error);
	client = ferry_kube_client_new(kube_config);
	cluster.display = (char *)"Provider/demo/cluster";
	cluster.client = client;
	cluster.transfer_image = (char *)"localhost/ferry/ferry:latest";
	cluster.pod_timeout = 60;
	cluster.transfer_mode = (char *)mode;
	vm.name_space = (char *)"vms";
	vm.display = (char *)"Plan/p VM vms/web";
	disk.name = (char *)"p-web-disk-0";
	g_assert_true(json_parser_load_from_data(
	    parser, "{\"metadata\": {\"labels\": {\"plan\": \"u1\", \"vmID\": \"vm-1\"}}}", -1,
	    NULL));
	disk.claim = json_parser_get_root(parser);

	ferry_provider_config_set_url(config, url);
	target = ferry_disk_endpoint_new_deferred(FERRY_DISK_ROLE_TARGET, never_served, NULL, NULL);
	ferry_kubevirt_pull_attach_target(target, &cluster, &vm, &disk);
	request = ferry_transfer_request_new(source, target);
	ferry_transfer_request_set_source_config(request, config);
	ferry_transfer_request_set_source_disk(request, "vm-1", "disk-204", NULL, NULL);
	return request;
}

static void
test_pull_method_supports(void)
{
	struct {
		const char *type, *url, *mode, *plan_mode;
		FerryTransferFlags flags;
		guint expected;
	} cases[] = {
	    /* a source a pod reaches: above the local copy (10), or forced */
	    {"vsphere", "https://vcenter.example/sdk", "auto", NULL, 0, 20},
	    {"vsphere", "https://vcenter.example/sdk", "pull", NULL, 0, 100},
	    {"vsphere", "https://vcenter.example/sdk", "push", NULL, 0, 0},
	    /* the plan's annotation wins over the Provider's setting */
	    {"vsphere", "https://vcenter.example/sdk", "auto", "push", 0, 0},
	    {"vsphere", "https://vcenter.example/sdk", "push", "pull", 0, 100},
	    /* an OVA on Ferry's machine, even when pull is asked for */
	    {"ova", "file:///srv/ova", "pull", NULL, 0, 0},
	    {"ova", "nfs://server/ova", "auto", NULL, 0, 0},
	    /* a copy that converts the guest is not a pull */
	    {"vsphere", "https://vcenter.example/sdk", "pull", NULL, FERRY_TRANSFER_FLAG_CONVERT, 0},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(FerryTransferRequest) request =
		    make_pull_request(cases[i].type, cases[i].url, cases[i].mode);
		ferry_transfer_request_set_flags(request, cases[i].flags);
		if (cases[i].plan_mode != NULL)
			ferry_transfer_request_set_option(request, "mode", cases[i].plan_mode);
		g_assert_cmpuint(pull_supports(NULL, request), ==, cases[i].expected);
	}
	{
		/* a target that is not a cluster's PVC (a bundle's file) */
		g_autoptr(FerryDiskEndpoint) source =
		    ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_SOURCE, "nbd://127.0.0.1/");
		g_autoptr(FerryDiskEndpoint) target =
		    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, "/tmp/disk.img");
		g_autoptr(FerryTransferRequest) request = ferry_transfer_request_new(source, target);
		g_autoptr(FerryProviderConfig) config =
		    ferry_provider_config_new("vsphere", "demo", "src");
		ferry_provider_config_set_url(config, "https://vcenter.example/sdk");
		ferry_transfer_request_set_source_config(request, config);
		ferry_transfer_request_set_source_disk(request, "vm-1", "disk-204", NULL, NULL);
		g_assert_cmpuint(pull_supports(NULL, request), ==, 0);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kubevirt/pull/filesystem-pod-mounts-what-the-description-names",
			test_pull_pod_filesystem);
	g_test_add_func("/kubevirt/pull/block-pod-on-the-host-network",
			test_pull_pod_block_host_network);
	g_test_add_func("/kubevirt/pull/bad-pods-refused", test_pull_pod_refused);
	g_test_add_func("/kubevirt/pull/host-secret-where-the-description-says",
			test_pull_pod_host_secret_mismatch);
	g_test_add_func("/kubevirt/pull/method-offers-a-remote-source-in-its-mode",
			test_pull_method_supports);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The KubeVirt destination in bundle mode, loaded as a plugin the way the
 * engine loads it: connect, prepare_disk (raw files; qcow2 served by a real
 * qemu-nbd), disks written with nbdcopy and compared with qemu-img, the
 * manifests written by create_vm validated against the real KubeVirt and
 * CDI schemas and read back by PyYAML, upload.sh run against a recording
 * virtctl, and remove_vm.
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "ferry-test-schemas.h"
#include "ferry-test-yaml.h"

#define MIB (G_GUINT64_CONSTANT(1) << 20)

static FerryTestSchemas schemas;
static gboolean have_schemas;

typedef struct {
	char *tmp;
	char *root;
	FerryPluginRegistry *registry;
	FerryProvider *provider;
} Fixture;

static char *
run_tool(GError **error, const char *first, ...) G_GNUC_NULL_TERMINATED;

/* runs a program; its stdout, or NULL with its stderr in @error */
static char *
run_tool(GError **error, const char *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	va_list args;

	va_start(args, first);
	for (const char *arg = first; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_newv((const char *const *)argv->pdata,
				    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    error);
	if (process == NULL ||
	    !g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, error))
		return NULL;
	if (!g_subprocess_get_successful(process)) {
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s%s", first,
			    err, out);
		return NULL;
	}
	return g_steal_pointer(&out);
}

static gboolean
require_tools(const char *const *tools)
{
	for (guint i = 0; tools[i] != NULL; i++) {
		g_autofree char *path = g_find_program_in_path(tools[i]);
		if (path == NULL) {
			g_autofree char *message = g_strdup_printf(
			    "%s is not installed (scripts/install-deps installs it)", tools[i]);
			g_test_skip(message);
			return FALSE;
		}
	}
	return TRUE;
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->tmp = g_dir_make_tmp("ferry-kubevirt-test-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->root = g_build_filename(fixture->tmp, "bundle", NULL);
	fixture->registry = ferry_plugin_registry_new();
	g_assert_true(ferry_plugin_registry_load(fixture->registry, &error));
	g_assert_no_error(error);
	fixture->provider =
	    ferry_plugin_registry_create_provider(fixture->registry, "openshift", &error);
	g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_clear_object(&fixture->provider);
	g_clear_object(&fixture->registry);
	out = run_tool(&error, "rm", "-rf", "--", fixture->tmp, NULL);
	g_assert_no_error(error);
	g_free(fixture->root);
	g_free(fixture->tmp);
}

static FerryProviderConfig *
make_config(const char *url, const char *const *settings)
{
	FerryProviderConfig *config = ferry_provider_config_new("openshift", "ferry", "bundle");
	ferry_provider_config_set_url(config, url);
	for (guint i = 0; settings != NULL && settings[i] != NULL; i += 2)
		ferry_provider_config_set_setting(config, settings[i], settings[i + 1]);
	return config;
}

static void
connect_bundle(Fixture *fixture, const char *const *settings)
{
	g_autofree char *url = g_filename_to_uri(fixture->root, NULL, NULL);
	g_autoptr(FerryProviderConfig) config = make_config(url, settings);
	g_autoptr(GError) error = NULL;
	g_assert_true(ferry_provider_connect(fixture->provider, config, NULL, &error));
	g_assert_no_error(error);
}

static JsonObject *
parse_spec(const char *json)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	json_parser_load_from_data(parser, json, -1, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* a raw source disk with data in a few places and holes elsewhere */
static char *
make_source(Fixture *fixture, const char *name, guint64 size, guint8 pattern)
{
	g_autofree char *path = g_build_filename(fixture->tmp, name, NULL);
	g_autofree char *size_text = g_strdup_printf("%" G_GUINT64_FORMAT, size);
	g_autofree char *write1 = g_strdup_printf("write -P %u 1M 2M", pattern);
	g_autofree char *write2 =
	    g_strdup_printf("write -P %u %" G_GUINT64_FORMAT " 64k", pattern + 1, size - 65536);
	g_autofree char *out = NULL;
	g_autoptr(GError) error = NULL;

	out = run_tool(&error, "qemu-img", "create", "-q", "-f", "raw", path, size_text, NULL);
	g_assert_no_error(error);
	g_free(out);
	out = run_tool(&error, "qemu-io", "-f", "raw", "-c", write1, "-c", write2, path, NULL);
	g_assert_no_error(error);
	return g_steal_pointer(&path);
}

static void
assert_identical(const char *source, const char *target, const char *target_format)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *out = run_tool(&error, "qemu-img", "compare", "-f", "raw", "-F",
					target_format, source, target, NULL);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(out, "Images are identical"));
}

static char *
vm_directory(Fixture *fixture, const char *name_space, const char *name)
{
	return g_build_filename(fixture->root, name_space, name, NULL);
}

/* --- connect --- */

static void
test_connect(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryProvider) alias = NULL;
	g_autofree char *url = NULL;
	g_autofree char *blocker = g_build_filename(fixture->tmp, "a-file", NULL);
	g_autofree char *below_file = NULL;
	g_autoptr(JsonObject) spec =
	    parse_spec("{\"name\": \"a\", \"namespace\": \"b\", \"memoryMiB\": 1,"
		       " \"disks\": [{\"name\": \"a-disk-0\", \"capacity\": 1048576}]}");
	struct {
		const char *url;
		const char *settings[5];
		FerryError code;
		const char *message;
	} cases[] = {
		/* cluster mode outside a pod: no service account to use */
		{"",
		 {NULL},
		 FERRY_ERROR_NOT_FOUND,
		 "Provider/ferry/bundle: an empty spec.url means the cluster Ferry runs in, "
		 "but in-cluster configuration: KUBERNETES_SERVICE_HOST"},
		/* an API server that cannot be reached fails connect */
		{"https://api.ferry-test.invalid:6443",
		 {NULL},
		 FERRY_ERROR_CONNECTION_FAILED,
		 "Provider/ferry/bundle: kubernetes: cannot get API discovery: cannot reach the "
		 "API server https://api.ferry-test.invalid:6443"},
		{"file://otherhost/srv/bundle",
		 {NULL},
		 FERRY_ERROR_INVALID_ARGUMENT,
		 "spec.url 'file://otherhost/srv/bundle' is not valid (UrlNotValid)"},
		{"ftp://example.com/x", {NULL}, FERRY_ERROR_INVALID_ARGUMENT, "UrlNotValid"},
		{"file:///tmp/ok",
		 {"filesystemOverhead", "120", NULL},
		 FERRY_ERROR_INVALID_ARGUMENT,
		 "spec.settings.filesystemOverhead: a filesystem overhead of 120 leaves no room"},
		{"file:///tmp/ok",
		 {"blockOverhead", "lots", NULL},
		 FERRY_ERROR_INVALID_ARGUMENT,
		 "spec.settings.blockOverhead: 'lots' is not a size"},
		{"file:///tmp/ok",
		 {"diskFormat", "vmdk", NULL},
		 FERRY_ERROR_INVALID_ARGUMENT,
		 "spec.settings.diskFormat 'vmdk' is not supported; use raw or qcow2"},
	};

	/* the alias makes the same provider */
	alias = ferry_plugin_registry_create_provider(fixture->registry, "kubevirt", &error);
	g_assert_no_error(error);
	g_assert_true(G_OBJECT_TYPE(alias) == G_OBJECT_TYPE(fixture->provider));
	g_assert_cmpstr(ferry_provider_get_provider_type(fixture->provider), ==, "openshift");
	g_assert_true(ferry_provider_get_capabilities(fixture->provider) ==
		      (FERRY_PROVIDER_CAPABILITY_DESTINATION | FERRY_PROVIDER_CAPABILITY_CREDENTIALS |
		       FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY));

	/* nothing works before connect */
	g_assert_null(ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_clear_error(&error);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(FerryProviderConfig) config =
			make_config(cases[i].url, cases[i].settings);
		g_assert_false(ferry_provider_connect(alias, config, NULL, &error));
		g_assert_error(error, FERRY_ERROR, (int)cases[i].code);
		if (strstr(error->message, cases[i].message) == NULL)
			g_error("case %u: '%s' does not contain '%s'", i, error->message,
				cases[i].message);
		g_clear_error(&error);
	}
	g_assert_false(g_file_test("/tmp/ok", G_FILE_TEST_EXISTS));

	/* a directory that cannot be made */
	g_assert_true(g_file_set_contents(blocker, "x", -1, NULL));
	below_file = g_build_filename(blocker, "bundle", NULL);
	g_free(url);
	url = g_filename_to_uri(below_file, NULL, NULL);
	{
		g_autoptr(FerryProviderConfig) config = make_config(url, NULL);
		g_assert_false(ferry_provider_connect(alias, config, NULL, &error));
		g_assert_nonnull(strstr(error->message, "cannot create the bundle directory"));
		g_clear_error(&error);
	}

	/* a missing directory is created; settings are accepted */
	{
		const char *const settings[] = {"filesystemOverhead", "5.5", "blockOverhead", "1Gi",
						"diskFormat", "qcow2", NULL};
		g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
		g_autoptr(JsonObject) test = NULL;
		connect_bundle(fixture, settings);
		g_assert_true(g_file_test(fixture->root, G_FILE_TEST_IS_DIR));
		g_assert_true(ferry_provider_get_config(fixture->provider) != NULL);
		/* a bundle has no destination inventory and nothing more to test */
		g_assert_no_error(error);
		g_assert_false(ferry_provider_load_inventory(fixture->provider, inventory, NULL,
							     &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
		g_assert_nonnull(strstr(error->message, "has no destination inventory"));
		g_clear_error(&error);
		test = ferry_provider_test_connection(fixture->provider, NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(json_array_get_length(json_object_get_array_member(test,
										  "conditions")),
				 ==, 0);
	}
}

/* --- raw disks, manifests, upload.sh, removal --- */

#define RAW_SPEC                                                                                   \
	"{\"name\": \"web-01\", \"namespace\": \"migrated\", \"plan\": \"web-tier\","              \
	" \"cpu\": {\"sockets\": 1, \"cores\": 2}, \"memoryMiB\": 1024,"                           \
	" \"firmware\": {\"type\": \"efi\", \"secureBoot\": true},"                                \
	" \"source\": {\"type\": \"ova\", \"vm\": {\"id\": "                                       \
	"\"4205a3c1-0c6b-4e1f-9d3a-1a2b3c4d5e6f\","                                                \
	"              \"name\": \"Web 01\"}},"                                                    \
	" \"targetPowerState\": \"on\", \"skipGuestConversion\": true,"                            \
	" \"disks\": [{\"id\": \"disk-0\", \"capacity\": 67108864,"                                \
	"              \"name\": \"web-tier-web-01-disk-0\", \"storageClass\": \"standard\","      \
	"              \"volumeMode\": \"Filesystem\", \"accessMode\": \"ReadWriteOnce\"},"        \
	"             {\"id\": \"disk-1\", \"capacity\": 33554432,"                                \
	"              \"name\": \"web-tier-web-01-disk-1\", \"volumeMode\": \"Block\"}],"         \
	" \"nics\": [{\"mac\": \"00:50:56:01:02:03\", \"network\": {\"type\": \"pod\"}},"          \
	"            {\"mac\": \"00:50:56:04:05:06\", \"network\": {\"type\": \"multus\","         \
	"             \"name\": \"vlan-20\", \"namespace\": \"net\"}}]}"

static void
assert_manifest(const char *path, gboolean data_volume)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) manifest = ferry_test_yaml_load_file(path, &error);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *json = NULL;
	const char *const tools[] = {"/usr/bin/python3", NULL};

	g_assert_no_error(error);
	if (have_schemas) {
		if (data_volume)
			ferry_test_schemas_assert_data_volume(&schemas, manifest);
		else
			ferry_test_schemas_assert_vm(&schemas, manifest);
	}
	/* a second, independent YAML reader (PyYAML: YAML 1.1 rules) reads the same tree */
	if (!require_tools(tools))
		return;
	json = run_tool(&error, "/usr/bin/python3", "-c",
			"import json, sys, yaml\n"
			"print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
			path, NULL);
	if (error != NULL && strstr(error->message, "No module named 'yaml'") != NULL) {
		g_test_skip("python3-yaml is not installed (scripts/install-deps installs it)");
		return;
	}
	g_assert_no_error(error);
	g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
	if (!json_node_equal(json_parser_get_root(parser), manifest))
		g_error("PyYAML reads %s differently:\n%s", path, json);
}

/*
 * kubectl's own YAML reader (kustomize, offline) reads the folder through its
 * Kustomization and finds every manifest as written
 */
static void
assert_kustomize(const char *dir, guint expected)
{
	const char *const tools[] = {"kubectl", "/usr/bin/python3", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *output = NULL;
	g_autofree char *output_path = g_build_filename(dir, "..", "kustomized.out", NULL);
	g_autofree char *json = NULL;
	JsonArray *documents;

	if (!require_tools(tools))
		return;
	output = run_tool(&error, "kubectl", "kustomize", dir, NULL);
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(output_path, output, -1, NULL));
	json = run_tool(&error, "/usr/bin/python3", "-c",
			"import json, sys, yaml\n"
			"print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
			output_path, NULL);
	g_unlink(output_path);
	g_assert_no_error(error);
	g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
	documents = json_node_get_array(json_parser_get_root(parser));
	g_assert_cmpuint(json_array_get_length(documents), ==, expected);
	for (guint i = 0; i < expected; i++) {
		JsonObject *document = json_array_get_object_element(documents, i);
		const char *kind = json_object_get_string_member(document, "kind");
		const char *name = json_object_get_string_member(
		    json_object_get_object_member(document, "metadata"), "name");
		g_autofree char *file =
		    g_strcmp0(kind, "VirtualMachine") == 0
			? g_strdup("vm.yaml")
			: g_strdup_printf("dv-%s.yaml", name);
		g_autofree char *path = g_build_filename(dir, file, NULL);
		g_autoptr(JsonNode) written = ferry_test_yaml_load_file(path, &error);
		g_assert_no_error(error);
		if (!json_node_equal(written, json_array_get_element(documents, i)))
			g_error("kubectl kustomize reads %s differently:\n%s", file, output);
	}
}

static void
test_raw_bundle(Fixture *fixture, gconstpointer data)
{
	const char *const tools[] = {"qemu-img", "qemu-io", "nbdcopy", NULL};
	g_autoptr(JsonObject) spec = parse_spec(RAW_SPEC);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *dir = vm_directory(fixture, "migrated", "web-01");
	g_autofree char *vm_id = NULL;
	g_auto(GStrv) sources = g_new0(char *, 3);
	const char *const files[] = {".ferry-bundle", "vm.yaml", "Kustomization",
				     "dv-web-tier-web-01-disk-0.yaml",
				     "dv-web-tier-web-01-disk-1.yaml", "upload.sh",
				     "web-tier-web-01-disk-0.img", "web-tier-web-01-disk-1.img"};
	struct stat info;

	if (!require_tools(tools))
		return;
	connect_bundle(fixture, NULL);
	for (guint i = 0; i < 2; i++) {
		g_autoptr(FerryDiskEndpoint) endpoint = NULL;
		g_autoptr(FerryDiskEndpoint) again = NULL;
		g_autofree char *name = g_strdup_printf("source-%u.img", i);
		g_autofree char *out = NULL;
		guint64 capacity = i == 0 ? 64 * MIB : 32 * MIB;
		const char *path;

		endpoint = ferry_provider_prepare_disk(fixture->provider, spec, i, NULL, &error);
		g_assert_no_error(error);
		path = ferry_disk_endpoint_get_path(endpoint);
		g_assert_nonnull(path);
		g_assert_null(ferry_disk_endpoint_get_uri(endpoint));
		g_assert_true(ferry_disk_endpoint_get_role(endpoint) == FERRY_DISK_ROLE_TARGET);
		g_assert_cmpuint(ferry_disk_endpoint_get_size(endpoint), ==, capacity);
		g_assert_cmpstr(ferry_disk_endpoint_get_format(endpoint), ==, "raw");
		g_assert_cmpstr(ferry_disk_endpoint_get_disk_id(endpoint), ==,
				i == 0 ? "disk-0" : "disk-1");
		g_assert_true(ferry_disk_endpoint_get_zeroed(endpoint));
		g_assert_nonnull(strstr(ferry_disk_endpoint_get_description(endpoint),
					"Plan/web-tier VM migrated/web-01 disk"));
		/* sparse: the right size and no blocks yet */
		g_assert_cmpint(g_stat(path, &info), ==, 0);
		g_assert_cmpuint((guint64)info.st_size, ==, capacity);
		g_assert_cmpuint((guint64)info.st_blocks, ==, 0);

		sources[i] = make_source(fixture, name, capacity, 0x40 + i * 16);
		out = run_tool(&error, "nbdcopy", sources[i], path, NULL);
		g_assert_no_error(error);
		/* still sparse after the copy: holes stay holes */
		g_assert_cmpint(g_stat(path, &info), ==, 0);
		g_assert_cmpuint((guint64)info.st_blocks * 512, <, capacity / 2);

		/* idempotent: the same file again, now known to hold data */
		again = ferry_provider_prepare_disk(fixture->provider, spec, i, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(ferry_disk_endpoint_get_path(again), ==, path);
		g_assert_false(ferry_disk_endpoint_get_zeroed(again));
		assert_identical(sources[i], path, "raw");
		g_ptr_array_add(disks, g_steal_pointer(&endpoint));
	}

	vm_id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(vm_id, ==, "migrated/web-01");
	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree char *path = g_build_filename(dir, files[i], NULL);
		g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	}
	{
		/* nothing else: no temporary files left behind */
		g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
		guint count = 0;
		while (g_dir_read_name(listing) != NULL)
			count++;
		g_assert_cmpuint(count, ==, G_N_ELEMENTS(files));
	}
	{
		g_autofree char *script = g_build_filename(dir, "upload.sh", NULL);
		g_assert_cmpint(g_stat(script, &info), ==, 0);
		g_assert_true((info.st_mode & 0777) == 0755);
	}
	for (guint i = 1; i < 5; i++) {
		g_autofree char *path = g_build_filename(dir, files[i], NULL);
		if (i != 2)
			assert_manifest(path, i > 2);
	}
	assert_kustomize(dir, 3);
	{
		g_autofree char *path = g_build_filename(dir, "vm.yaml", NULL);
		g_autoptr(JsonNode) vm = ferry_test_yaml_load_file(path, &error);
		JsonObject *template_spec;
		g_assert_no_error(error);
		template_spec = json_object_get_object_member(
			json_object_get_object_member(
				json_object_get_object_member(json_node_get_object(vm), "spec"),
				"template"),
			"spec");
		g_assert_cmpint(json_array_get_length(json_object_get_array_member(template_spec,
										   "volumes")),
				==, 2);
	}
	/* a second create_vm writes the same files again */
	g_free(vm_id);
	vm_id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);

	/* the disks still match their sources after the manifests were written */
	for (guint i = 0; i < 2; i++)
		assert_identical(sources[i], ferry_disk_endpoint_get_path(disks->pdata[i]), "raw");

	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
	{
		/* the empty namespace folder goes too */
		g_autofree char *parent = g_path_get_dirname(dir);
		g_assert_false(g_file_test(parent, G_FILE_TEST_EXISTS));
	}
	/* removing a VM that is not there is not an error */
	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
}

/* --- qcow2 through qemu-nbd --- */

static void
test_qcow2_bundle(Fixture *fixture, gconstpointer data)
{
	const char *const tools[] = {"qemu-img", "qemu-io", "qemu-nbd", "nbdcopy", NULL};
	g_autoptr(JsonObject) spec =
	    parse_spec("{\"name\": \"db\", \"namespace\": \"prod\", \"memoryMiB\": 512,"
		       " \"disks\": [{\"id\": \"d0\", \"capacity\": 50331648,"
		       "              \"name\": \"db-disk-0\", \"format\": \"qcow2\"}]}");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *dir = vm_directory(fixture, "prod", "db");
	g_autofree char *image = g_build_filename(dir, "db-disk-0.qcow2", NULL);
	g_autofree char *source = NULL;
	g_autofree char *socket_path = NULL;
	g_autofree char *out = NULL;
	g_autofree char *vm_id = NULL;
	const char *uri;

	if (!require_tools(tools))
		return;
	connect_bundle(fixture, NULL);
	endpoint = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error);
	g_assert_no_error(error);
	uri = ferry_disk_endpoint_get_uri(endpoint);
	g_assert_true(g_str_has_prefix(uri, "nbd+unix:///?socket="));
	g_assert_null(ferry_disk_endpoint_get_path(endpoint));
	g_assert_true(ferry_disk_endpoint_get_zeroed(endpoint));
	g_assert_cmpuint(ferry_disk_endpoint_get_size(endpoint), ==, 48 * MIB);
	/* guest-visible bytes go over NBD; the file is qcow2 */
	g_assert_cmpstr(ferry_disk_endpoint_get_format(endpoint), ==, "raw");
	socket_path = g_strdup(strstr(uri, "socket=") + strlen("socket="));
	g_assert_true(g_file_test(socket_path, G_FILE_TEST_EXISTS));

	source = make_source(fixture, "source.img", 48 * MIB, 0x5a);
	out = run_tool(&error, "nbdcopy", source, uri, NULL);
	g_assert_no_error(error);
	/* closing stops qemu-nbd, which flushes, and removes the socket */
	g_assert_true(ferry_disk_endpoint_close(endpoint, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(socket_path, G_FILE_TEST_EXISTS));
	{
		g_autofree char *socket_dir = g_path_get_dirname(socket_path);
		g_assert_false(g_file_test(socket_dir, G_FILE_TEST_EXISTS));
	}
	g_free(out);
	out = run_tool(&error, "qemu-img", "info", "--output=json", image, NULL);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(out, "\"format\": \"qcow2\""));
	assert_identical(source, image, "qcow2");

	/* preparing again reuses the image, which now has data */
	g_ptr_array_add(disks,
			ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(ferry_disk_endpoint_get_zeroed(disks->pdata[0]));
	g_free(socket_path);
	uri = ferry_disk_endpoint_get_uri(disks->pdata[0]);
	socket_path = g_strdup(strstr(uri, "socket=") + strlen("socket="));
	g_assert_true(g_file_test(socket_path, G_FILE_TEST_EXISTS));
	/* create_vm stops a qemu-nbd still serving a written disk, so the image is complete */
	vm_id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(g_file_test(socket_path, G_FILE_TEST_EXISTS));
	assert_identical(source, image, "qcow2");
	{
		g_autofree char *script_path = g_build_filename(dir, "upload.sh", NULL);
		g_autofree char *script = NULL;
		g_assert_true(g_file_get_contents(script_path, &script, NULL, NULL));
		g_assert_nonnull(strstr(script, "--image-path=db-disk-0.qcow2"));
	}
}

static void
test_qcow2_wrong_image(Fixture *fixture, gconstpointer data)
{
	const char *const tools[] = {"qemu-img", "qemu-nbd", NULL};
	g_autoptr(JsonObject) spec =
	    parse_spec("{\"name\": \"db\", \"namespace\": \"prod\", \"memoryMiB\": 512,"
		       " \"disks\": [{\"capacity\": 1048576, \"name\": \"db-disk-0\"}]}");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryDiskEndpoint) raw = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autofree char *dir = vm_directory(fixture, "prod", "db");
	g_autofree char *image = g_build_filename(dir, "db-disk-0.qcow2", NULL);
	const char *const settings[] = {"diskFormat", "qcow2", NULL};

	if (!require_tools(tools))
		return;
	/* the provider's diskFormat applies to disks that do not name one */
	connect_bundle(fixture, settings);
	raw = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(ferry_disk_endpoint_get_uri(raw));
	g_assert_true(ferry_disk_endpoint_close(raw, NULL));
	/* an image of another size at that place is refused, not reused */
	g_assert_true(g_file_set_contents(image, "not a qcow2 image", -1, NULL));
	endpoint = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error);
	g_assert_null(endpoint);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS);
	g_assert_nonnull(strstr(error->message, "is not a qcow2 image of 1048576 bytes"));
}

/* --- conflicts and failures --- */

static void
test_conflicts(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec =
	    parse_spec("{\"name\": \"app\", \"namespace\": \"apps\", \"memoryMiB\": 512,"
		       " \"disks\": [{\"capacity\": 1048576, \"name\": \"app-disk-0\"}]}");
	g_autoptr(JsonObject) other =
	    parse_spec("{\"name\": \"other\", \"namespace\": \"apps\", \"memoryMiB\": 512,"
		       " \"disks\": [{\"capacity\": 1048576, \"name\": \"other-disk-0\"}]}");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *foreign = vm_directory(fixture, "apps", "app");
	g_autofree char *precious = g_build_filename(foreign, "precious.txt", NULL);
	g_autofree char *other_dir = vm_directory(fixture, "apps", "other");
	g_autofree char *other_image = g_build_filename(other_dir, "other-disk-0.img", NULL);

	connect_bundle(fixture, NULL);
	/* a folder Ferry did not make is neither used nor removed */
	g_assert_cmpint(g_mkdir_with_parents(foreign, 0755), ==, 0);
	g_assert_true(g_file_set_contents(precious, "keep me", -1, NULL));
	endpoint = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error);
	g_assert_null(endpoint);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS);
	g_assert_nonnull(strstr(error->message, "already exists and was not made by Ferry"));
	g_clear_error(&error);
	g_assert_false(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
	g_clear_error(&error);
	g_assert_true(g_file_test(precious, G_FILE_TEST_IS_REGULAR));

	/* an image of the wrong size is refused rather than reused */
	endpoint = ferry_provider_prepare_disk(fixture->provider, other, 0, NULL, &error);
	g_assert_no_error(error);
	g_clear_object(&endpoint);
	g_assert_cmpint(truncate(other_image, 4096), ==, 0);
	endpoint = ferry_provider_prepare_disk(fixture->provider, other, 0, NULL, &error);
	g_assert_null(endpoint);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS);
	g_assert_nonnull(strstr(error->message, "is not a 1048576-byte disk image"));
	g_clear_error(&error);

	/* a disk whose data cannot fit fails before anything is written */
	{
		g_autoptr(JsonObject) huge = parse_spec(
		    "{\"name\": \"huge\", \"namespace\": \"apps\", \"memoryMiB\": 512,"
		    " \"disks\": [{\"capacity\": 4611686018427387904, \"name\": \"huge-disk-0\","
		    "              \"populatedSize\": 4611686018427387904}]}");
		g_autofree char *huge_image =
		    g_build_filename(fixture->root, "apps", "huge", "huge-disk-0.img", NULL);
		g_assert_null(
			ferry_provider_prepare_disk(fixture->provider, huge, 0, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
		g_assert_nonnull(strstr(error->message,
					"VM apps/huge disk 0 (huge-disk-0): the disk "
					"holds 4611686018427387904 bytes of data"));
		g_assert_false(g_file_test(huge_image, G_FILE_TEST_EXISTS));
		g_clear_error(&error);
	}

	/* a disk index past the end names the VM */
	g_assert_null(ferry_provider_prepare_disk(fixture->provider, other, 3, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "VM apps/other: there is no disk 3"));
	g_clear_error(&error);

	/* create_vm with an image of the wrong size writes no manifest */
	g_ptr_array_add(disks, ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, other_image));
	g_assert_null(ferry_provider_create_vm(fixture->provider, other, disks, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED);
	g_clear_error(&error);
	{
		g_autofree char *vm_yaml = g_build_filename(other_dir, "vm.yaml", NULL);
		g_autofree char *dv_yaml =
			g_build_filename(other_dir, "dv-other-disk-0.yaml", NULL);
		g_assert_false(g_file_test(vm_yaml, G_FILE_TEST_EXISTS));
		g_assert_false(g_file_test(dv_yaml, G_FILE_TEST_EXISTS));
	}
}

static void
test_create_vm_without_disks(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec =
	    parse_spec("{\"name\": \"ghost\", \"namespace\": \"apps\", \"memoryMiB\": 512,"
		       " \"disks\": [{\"capacity\": 1048576, \"name\": \"ghost-disk-0\"}]}");
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = vm_directory(fixture, "apps", "ghost");
	g_autofree char *image = g_build_filename(dir, "ghost-disk-0.img", NULL);
	g_autofree char *vm_yaml = g_build_filename(dir, "vm.yaml", NULL);

	connect_bundle(fixture, NULL);
	g_ptr_array_add(disks, ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, image));
	g_assert_null(ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "VM apps/ghost: the image of disk 0"));
	g_assert_false(g_file_test(vm_yaml, G_FILE_TEST_EXISTS));
	g_clear_error(&error);
	/* a wrong number of written disks */
	g_ptr_array_set_size(disks, 0);
	g_assert_null(ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "0 written disks were given for 1 disks"));
}

/* --- upload.sh --- */

/* virtctl is not packaged for Debian: a stand-in records each call and checks the image */
static const char virtctl_recorder[] =
    "#!/bin/sh\n"
    "echo \"$*\" >> \"$VIRTCTL_LOG\"\n"
    "for arg; do\n"
    "  case \"$arg\" in --image-path=*) test -f \"${arg#--image-path=}\" || exit 3 ;; esac\n"
    "done\n";

static void
test_upload_script(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = parse_spec(RAW_SPEC);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *dir = vm_directory(fixture, "migrated", "web-01");
	g_autofree char *script = g_build_filename(dir, "upload.sh", NULL);
	g_autofree char *bin = g_build_filename(fixture->tmp, "bin", NULL);
	g_autofree char *virtctl = g_build_filename(bin, "virtctl", NULL);
	g_autofree char *log = g_build_filename(fixture->tmp, "virtctl.log", NULL);
	g_autofree char *recorded = NULL;
	g_autofree char *vm_id = NULL;
	g_autofree char *out = NULL;
	g_autofree char *errors = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *path_env = NULL;

	connect_bundle(fixture, NULL);
	for (guint i = 0; i < 2; i++) {
		g_ptr_array_add(disks, ferry_provider_prepare_disk(fixture->provider, spec, i, NULL,
								   &error));
		g_assert_no_error(error);
	}
	vm_id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);

	/* without virtctl it says so and fails */
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_setenv(launcher, "PATH", "/usr/bin:/bin", TRUE);
	g_subprocess_launcher_setenv(launcher, "VIRTCTL_LOG", log, TRUE);
	process = g_subprocess_launcher_spawn(launcher, &error, "/bin/sh", script, NULL);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, &errors, &error));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 127);
	g_assert_nonnull(strstr(errors, "virtctl is not installed"));
	g_clear_object(&process);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&errors, g_free);

	/* with it, one upload per disk, from any working directory, options passed on */
	g_assert_cmpint(g_mkdir(bin, 0755), ==, 0);
	g_assert_true(g_file_set_contents(virtctl, virtctl_recorder, -1, NULL));
	g_assert_cmpint(g_chmod(virtctl, 0755), ==, 0);
	path_env = g_strdup_printf("%s:/usr/bin:/bin", bin);
	g_subprocess_launcher_setenv(launcher, "PATH", path_env, TRUE);
	g_subprocess_launcher_set_cwd(launcher, fixture->tmp);
	process = g_subprocess_launcher_spawn(launcher, &error, script, "--insecure",
					      "--uploadproxy-url=https://cdi-uploadproxy.example",
					      NULL);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, &errors, &error));
	if (!g_subprocess_get_successful(process))
		g_error("upload.sh failed: %s%s", out, errors);
	g_assert_nonnull(strstr(out, "2 disks of migrated/web-01 uploaded"));
	g_assert_true(g_file_get_contents(log, &recorded, NULL, NULL));
	g_assert_cmpstr(
	    recorded, ==,
	    "image-upload dv web-tier-web-01-disk-0 --namespace=migrated --no-create "
	    "--image-path=web-tier-web-01-disk-0.img --insecure "
	    "--uploadproxy-url=https://cdi-uploadproxy.example\n"
	    "image-upload dv web-tier-web-01-disk-1 --namespace=migrated --no-create "
	    "--image-path=web-tier-web-01-disk-1.img --insecure "
	    "--uploadproxy-url=https://cdi-uploadproxy.example\n");
}

static void
test_remove_artifact(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec =
	    parse_spec("{\"name\": \"tmp\", \"namespace\": \"apps\", \"memoryMiB\": 64,"
		       " \"disks\": [{\"capacity\": 1048576, \"name\": \"tmp-disk-0\"},"
		       "             {\"capacity\": 1048576, \"name\": \"tmp-disk-1\"}]}");
	g_autoptr(JsonObject) details = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = vm_directory(fixture, "apps", "tmp");
	g_autofree char *image0 = g_build_filename(dir, "tmp-disk-0.img", NULL);
	g_autofree char *image1 = g_build_filename(dir, "tmp-disk-1.img", NULL);

	connect_bundle(fixture, NULL);
	for (guint i = 0; i < 2; i++) {
		g_autoptr(FerryDiskEndpoint) endpoint =
		    ferry_provider_prepare_disk(fixture->provider, spec, i, NULL, &error);
		g_assert_no_error(error);
	}
	json_object_set_object_member(details, "vmSpec", json_object_ref(spec));
	json_object_set_int_member(details, "diskIndex", 1);
	g_assert_true(ferry_provider_remove_artifact(fixture->provider, "disk", "tmp-disk-1",
						     details, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_test(image0, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(image1, G_FILE_TEST_EXISTS));
	g_assert_false(ferry_provider_remove_artifact(fixture->provider, "snapshot", "s1", details,
						      NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	g_assert_true(ferry_provider_remove_artifact(fixture->provider, "vm", "apps/tmp", details,
						     NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));

	/* a file of the same name in a folder Ferry did not make stays */
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(image1, "someone else's", -1, NULL));
	g_assert_false(ferry_provider_remove_artifact(fixture->provider, "disk", "tmp-disk-1",
						      details, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
	g_assert_true(g_file_test(image1, G_FILE_TEST_EXISTS));
	g_clear_error(&error);

	/* malformed details and specs are errors, not crashes */
	{
		g_autoptr(JsonObject) bad_details =
			parse_spec("{\"vmSpec\": [1], \"index\": \"x\"}");
		g_autoptr(JsonObject) bad_spec = parse_spec("{\"name\": 7, \"namespace\": {}}");
		g_autoptr(JsonObject) bad_name =
			parse_spec("{\"name\": \"../etc\", \"namespace\": \"apps\"}");
		g_assert_false(ferry_provider_remove_artifact(fixture->provider, "vm", "x",
							      bad_details, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		/* FerryVmSpec reads the name: a name of the wrong type is INVALID_DATA */
		g_assert_false(ferry_provider_remove_vm(fixture->provider, bad_spec, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(error->message, "name must be a string"));
		g_clear_error(&error);
		/* a name that is no DNS-1123 name is refused before any folder is touched */
		g_assert_false(ferry_provider_remove_vm(fixture->provider, bad_name, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "the VM name '../etc' is not a DNS-1123"));
	}
}

typedef struct {
	GMainLoop *loop;
	guint pending;
	GPtrArray *endpoints;
	GPtrArray *errors;
} Parallel;

static void
prepared_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Parallel *parallel = user_data;
	GError *error = NULL;
	FerryDiskEndpoint *endpoint =
	    ferry_provider_prepare_disk_finish(FERRY_PROVIDER(source), result, &error);
	if (endpoint != NULL)
		g_ptr_array_add(parallel->endpoints, endpoint);
	else
		g_ptr_array_add(parallel->errors, error);
	if (--parallel->pending == 0)
		g_main_loop_quit(parallel->loop);
}

/* the engine prepares the disks of several VMs at once, from worker threads */
static void
test_parallel_prepare(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(GPtrArray) endpoints = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
	g_autoptr(GPtrArray) specs =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	Parallel parallel = {loop, 0, endpoints, errors};

	connect_bundle(fixture, NULL);
	for (guint vm = 0; vm < 3; vm++) {
		g_autoptr(GString) json = g_string_new(NULL);
		g_string_append_printf(json,
				       "{\"name\": \"vm-%u\", \"namespace\": \"many\", "
				       "\"memoryMiB\": 64, \"disks\": [",
				       vm);
		for (guint disk = 0; disk < 4; disk++)
			g_string_append_printf(
				json, "%s{\"capacity\": 1048576, \"name\": \"vm-%u-disk-%u\"}",
				disk > 0 ? ", " : "", vm, disk);
		g_string_append(json, "]}");
		g_ptr_array_add(specs, parse_spec(json->str));
	}
	for (guint disk = 0; disk < 4; disk++) {
		for (guint vm = 0; vm < specs->len; vm++) {
			ferry_provider_prepare_disk_async(fixture->provider, specs->pdata[vm], disk,
							  NULL, prepared_cb, &parallel);
			parallel.pending++;
		}
	}
	g_main_loop_run(loop);
	if (errors->len > 0)
		g_error("%s", ((GError *)errors->pdata[0])->message);
	g_assert_cmpuint(endpoints->len, ==, 12);
	for (guint i = 0; i < endpoints->len; i++)
		g_assert_true(g_file_test(ferry_disk_endpoint_get_path(endpoints->pdata[i]),
					  G_FILE_TEST_IS_REGULAR));
}

#define TEST(path, function)                                                                       \
	g_test_add(path, Fixture, NULL, fixture_set_up, function, fixture_tear_down)

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	have_schemas = ferry_test_schemas_load(&schemas);
	if (!have_schemas)
		g_test_message("../shared/testdata is not there: manifests are not checked "
			       "against the KubeVirt and CDI schemas");
	TEST("/kubevirt/bundle/connect", test_connect);
	TEST("/kubevirt/bundle/raw", test_raw_bundle);
	TEST("/kubevirt/bundle/qcow2", test_qcow2_bundle);
	TEST("/kubevirt/bundle/qcow2-wrong-image", test_qcow2_wrong_image);
	TEST("/kubevirt/bundle/conflicts", test_conflicts);
	TEST("/kubevirt/bundle/create-vm-without-disks", test_create_vm_without_disks);
	TEST("/kubevirt/bundle/upload-script", test_upload_script);
	TEST("/kubevirt/bundle/remove-artifact", test_remove_artifact);
	TEST("/kubevirt/bundle/parallel-prepare", test_parallel_prepare);
	status = g_test_run();
	ferry_test_schemas_clear(&schemas);
	return status;
}

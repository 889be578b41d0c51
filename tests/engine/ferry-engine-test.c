/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The migration engine end to end on the test provider: real qcow2 disks
 * served by qemu-nbd, persistent dirty bitmaps for changed blocks, the core
 * nbd copy engine, and sparse raw targets compared with qemu-img.
 */

#include <ferry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	char *dir;
	char *world_path;
	char *dest_dir;
	char *state_dir;
	char *bundle_dir; /* the KubeVirt bundle destination's folder */
	JsonObject *world;
	FerryPluginRegistry *registry;
	FerryEngine *engine;
} Fixture;

static gboolean
run(const char *const *argv, char **output)
{
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					      G_SUBPROCESS_FLAGS_STDERR_MERGE,
				    &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, NULL, &error));
	if (output != NULL)
		*output = g_steal_pointer(&out);
	else if (!g_subprocess_get_successful(process))
		g_test_message("%s: %s", argv[0], out);
	return g_subprocess_get_successful(process);
}

/* writes a byte pattern into a qcow2 as a guest would */
static void
guest_write(const char *path, const char *pattern, guint64 offset, guint64 length)
{
	g_autofree char *cmd = g_strdup_printf("write -P %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
					       pattern, offset, length);
	const char *argv[] = {"qemu-io", "-f", "qcow2", "-c", cmd, path, NULL};
	g_assert_true(run(argv, NULL));
}

static void
guest_zero(const char *path, guint64 offset, guint64 length)
{
	g_autofree char *cmd =
	    g_strdup_printf("write -z %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, offset, length);
	const char *argv[] = {"qemu-io", "-f", "qcow2", "-c", cmd, path, NULL};
	g_assert_true(run(argv, NULL));
}

static char *
make_disk(Fixture *f, const char *name, guint64 size, guint seed)
{
	g_autofree char *file = g_strdup_printf("%s.qcow2", name);
	char *path = g_build_filename(f->dir, file, NULL);
	g_autofree char *size_arg = g_strdup_printf("%" G_GUINT64_FORMAT, size);
	const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", path, size_arg, NULL};
	g_autofree char *pattern = g_strdup_printf("0x%02x", 0x11 + seed);
	g_assert_true(run(argv, NULL));
	/* data at the start, the middle, and the end; holes between */
	guest_write(path, pattern, 0, 1 << 20);
	guest_write(path, pattern, size / 2, 192 * 1024);
	guest_write(path, pattern, size - 65536, 65536);
	return path;
}

static JsonObject *
add_vm(Fixture *f, const char *id, const char *name, guint n_disks, guint64 size)
{
	JsonArray *vms = json_object_get_array_member(f->world, "vms");
	JsonObject *vm = json_object_new();
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonObject *nic = json_object_new();
	JsonObject *network = json_object_new();

	json_object_set_string_member(vm, "id", id);
	json_object_set_string_member(vm, "name", name);
	json_object_set_string_member(vm, "powerState", "On");
	json_object_set_int_member(vm, "cpuCount", 2);
	json_object_set_int_member(vm, "coresPerSocket", 1);
	json_object_set_int_member(vm, "memoryMB", 512);
	json_object_set_string_member(vm, "host", "host-1");
	for (guint i = 0; i < n_disks; i++) {
		JsonObject *disk = json_object_new();
		JsonObject *datastore = json_object_new();
		g_autofree char *disk_name = g_strdup_printf("%s-disk%u", id, i);
		g_autofree char *path = make_disk(f, disk_name, size, i + (guint)strlen(id));
		g_autofree char *file = g_strdup_printf("[ds1] %s/%s.vmdk", name, disk_name);
		json_object_set_int_member(disk, "key", 2000 + i);
		json_object_set_int_member(disk, "capacity", (gint64)size);
		json_object_set_string_member(disk, "path", path);
		json_object_set_string_member(disk, "file", file);
		json_object_set_string_member(datastore, "id", "ds-1");
		json_object_set_object_member(disk, "datastore", datastore);
		json_array_add_object_element(disks, disk);
	}
	json_object_set_array_member(vm, "disks", disks);
	json_object_set_string_member(nic, "mac", "00:50:56:aa:bb:01");
	json_object_set_string_member(network, "id", "net-1");
	json_object_set_object_member(nic, "network", network);
	json_array_add_object_element(nics, nic);
	json_object_set_array_member(vm, "nics", nics);
	json_array_add_object_element(vms, vm);
	return vm;
}

static void
save_world(Fixture *f)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), f->world);
	g_autofree char *text = json_to_string(node, TRUE);
	g_assert_true(g_file_set_contents(f->world_path, text, -1, NULL));
}

static FerryProvider *
provider_cb(const char *name_space, const char *name, gpointer user_data, GError **error)
{
	Fixture *f = user_data;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryProviderConfig) config = ferry_provider_config_new("test", name_space, name);
	g_autofree char *url = g_filename_to_uri(f->world_path, NULL, NULL);

	/* the real KubeVirt bundle destination */
	if (g_strcmp0(name, "bundle") == 0) {
		g_autoptr(FerryProviderConfig) bundle =
		    ferry_provider_config_new("openshift", name_space, name);
		g_autofree char *bundle_url = g_filename_to_uri(f->bundle_dir, NULL, NULL);
		provider = ferry_plugin_registry_create_provider(f->registry, "openshift", error);
		if (provider == NULL)
			return NULL;
		ferry_provider_config_set_url(bundle, bundle_url);
		if (!ferry_provider_connect(provider, bundle, NULL, error))
			return NULL;
		return g_steal_pointer(&provider);
	}
	provider = ferry_plugin_registry_create_provider(f->registry, "test", error);
	if (provider == NULL)
		return NULL;
	ferry_provider_config_set_url(config, url);
	if (!ferry_provider_connect(provider, config, NULL, error))
		return NULL;
	return g_steal_pointer(&provider);
}

static FerryEngine *
make_engine(Fixture *f, JsonObject *settings)
{
	g_autoptr(GError) error = NULL;
	FerryEngine *engine = ferry_engine_new(f->state_dir, &error);
	g_autoptr(GPtrArray) methods = ferry_plugin_registry_create_transfer_methods(f->registry);
	g_assert_no_error(error);
	ferry_engine_set_provider_func(engine, provider_cb, f, NULL);
	ferry_engine_set_transfer_methods(engine, methods);
	if (settings != NULL)
		ferry_engine_set_settings(engine, settings);
	return engine;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	const char *testprov = g_getenv("FERRY_TESTPROV_DIR");
	const char *paths[] = {testprov, g_getenv("FERRY_KUBEVIRT_DIR"), NULL};
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("ferry-engine-XXXXXX", &error);
	g_assert_no_error(error);
	f->world_path = g_build_filename(f->dir, "world.json", NULL);
	f->dest_dir = g_build_filename(f->dir, "dest", NULL);
	f->state_dir = g_build_filename(f->dir, "state", NULL);
	f->bundle_dir = g_build_filename(f->dir, "bundle", NULL);
	f->world = json_object_new();
	json_object_set_array_member(f->world, "vms", json_array_new());
	json_object_set_string_member(f->world, "destDir", f->dest_dir);
	f->registry = ferry_plugin_registry_new_for_paths(paths);
	g_assert_true(ferry_plugin_registry_load(f->registry, &error));
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->engine);
	g_clear_object(&f->registry);
	g_clear_pointer(&f->world, json_object_unref);
	ferry_files_remove_tree(f->dir, NULL);
	g_free(f->dir);
	g_free(f->world_path);
	g_free(f->dest_dir);
	g_free(f->state_dir);
	g_free(f->bundle_dir);
}

static JsonObject *
make_context(Fixture *f, const char *plan_name, const char *type, guint n_vms)
{
	JsonObject *context = json_object_new();
	JsonObject *plan = json_object_new();
	JsonObject *metadata = json_object_new();
	JsonObject *spec = json_object_new();
	JsonArray *plan_vms = json_array_new();
	JsonObject *vms = json_object_new();
	JsonObject *source = json_object_new();
	JsonObject *destination = json_object_new();
	JsonArray *world_vms = json_object_get_array_member(f->world, "vms");
	JsonObject *storage_map = json_object_new();
	JsonObject *storage_spec = json_object_new();
	JsonArray *pairs = json_array_new();
	JsonObject *pair = json_object_new();
	JsonObject *pair_source = json_object_new();
	JsonObject *pair_destination = json_object_new();

	json_object_set_string_member(metadata, "name", plan_name);
	json_object_set_string_member(metadata, "namespace", "demo");
	json_object_set_string_member(metadata, "uid", "plan-uid-1");
	json_object_set_object_member(plan, "metadata", metadata);
	json_object_set_string_member(spec, "targetNamespace", "migrated");
	if (type != NULL)
		json_object_set_string_member(spec, "type", type);
	for (guint i = 0; i < n_vms && i < json_array_get_length(world_vms); i++) {
		JsonObject *vm = json_array_get_object_element(world_vms, i);
		JsonObject *ref = json_object_new();
		json_object_set_string_member(ref, "id", json_object_get_string_member(vm, "id"));
		json_array_add_object_element(plan_vms, ref);
		json_object_set_object_member(vms, json_object_get_string_member(vm, "id"),
					      json_object_ref(vm));
	}
	json_object_set_array_member(spec, "vms", plan_vms);
	json_object_set_object_member(plan, "spec", spec);
	json_object_set_object_member(context, "plan", plan);
	json_object_set_object_member(context, "vms", vms);
	json_object_set_string_member(source, "namespace", "demo");
	json_object_set_string_member(source, "name", "src");
	json_object_set_string_member(source, "type", "test");
	json_object_set_object_member(context, "source", source);
	json_object_set_string_member(destination, "namespace", "demo");
	json_object_set_string_member(destination, "name", "dst");
	json_object_set_string_member(destination, "type", "test");
	json_object_set_object_member(context, "destination", destination);
	json_object_set_string_member(pair_source, "id", "ds-1");
	json_object_set_string_member(pair_destination, "storageClass", "standard");
	json_object_set_object_member(pair, "source", pair_source);
	json_object_set_object_member(pair, "destination", pair_destination);
	json_array_add_object_element(pairs, pair);
	json_object_set_array_member(storage_spec, "map", pairs);
	json_object_set_object_member(storage_map, "spec", storage_spec);
	json_object_set_object_member(context, "storageMap", storage_map);
	return context;
}

static char *
start(Fixture *f, JsonObject *context)
{
	g_autoptr(JsonObject) migration = json_object_new();
	g_autoptr(GError) error = NULL;
	char *uid;
	save_world(f);
	uid = ferry_engine_start_migration(f->engine, migration, context, &error);
	g_assert_no_error(error);
	g_assert_nonnull(uid);
	return uid;
}

static JsonObject *
status_of(Fixture *f, const char *uid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = ferry_engine_get_migration_status(f->engine, uid, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(node));
}

static JsonObject *
vm_status(JsonObject *migration, const char *vm_id)
{
	JsonArray *vms = json_object_get_array_member(migration, "vms");
	for (guint i = 0; i < json_array_get_length(vms); i++) {
		JsonObject *vm = json_array_get_object_element(vms, i);
		if (g_strcmp0(json_object_get_string_member(vm, "id"), vm_id) == 0)
			return vm;
	}
	g_assert_not_reached();
}

static gboolean
has_condition(JsonObject *status, const char *type)
{
	JsonArray *conditions = json_object_get_array_member(status, "conditions");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		if (g_strcmp0(json_object_get_string_member(json_array_get_object_element(conditions, i),
							    "type"),
			      type) == 0)
			return TRUE;
	}
	return FALSE;
}

typedef gboolean (*Predicate)(JsonObject *migration, gpointer data);

/* steps the engine until @predicate holds or the migration ends */
static JsonObject *
run_until(Fixture *f, const char *uid, Predicate predicate, gpointer data, guint seconds)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < deadline) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) status = NULL;
		gboolean active = FALSE;
		g_assert_true(ferry_engine_step(f->engine, &active, &error));
		g_assert_no_error(error);
		status = status_of(f, uid);
		if ((predicate != NULL && predicate(status, data)) ||
		    g_strcmp0(json_object_get_string_member(status, "phase"), "Running") != 0)
			return g_steal_pointer(&status);
		g_usleep(20 * 1000);
	}
	g_error("the migration did not get there in %u s", seconds);
}

static void
assert_identical(const char *target, const char *source)
{
	const char *argv[] = {"qemu-img", "compare", "-q", "-f", "raw", "-F", "qcow2",
			      target,	  source,    NULL};
	g_assert_true(run(argv, NULL));
}

static char *
target_path(Fixture *f, const char *vm_name, const char *plan, guint disk)
{
	g_autofree char *file = g_strdup_printf("%s-%s-disk-%u.img", plan, vm_name, disk);
	return g_build_filename(f->dest_dir, "migrated", vm_name, file, NULL);
}

static char *
target_path_named(Fixture *f, const char *vm_name, const char *file)
{
	return g_build_filename(f->dest_dir, "migrated", vm_name, file, NULL);
}

static void
assert_ledger_empty(Fixture *f)
{
	g_autoptr(JsonNode) artifacts = ferry_engine_list_artifacts(f->engine);
	if (json_array_get_length(json_node_get_array(artifacts)) != 0) {
		g_autofree char *text = json_to_string(artifacts, TRUE);
		g_error("artifacts left behind: %s", text);
	}
}

/* no copy journal, and no folder for one, is left in the state directory */
static void
assert_no_journals(Fixture *f)
{
	g_autofree char *journals = g_build_filename(f->state_dir, "journals", NULL);
	g_autoptr(GDir) dir = g_dir_open(journals, 0, NULL);
	const char *name = dir != NULL ? g_dir_read_name(dir) : NULL;
	if (name != NULL)
		g_error("journals left behind: %s/%s", journals, name);
}

static void
assert_no_bitmaps(const char *path)
{
	g_autofree char *output = NULL;
	const char *argv[] = {"qemu-img", "info", "--output=json", "-U", path, NULL};
	g_assert_true(run(argv, &output));
	g_assert_null(strstr(output, "\"bitmaps\""));
}

static const char *
disk_path(JsonObject *vm, guint index)
{
	return json_object_get_string_member(
	    json_array_get_object_element(json_object_get_array_member(vm, "disks"), index), "path");
}

static void
test_engine_cold(Fixture *f, gconstpointer data)
{
	JsonObject *vm1 = add_vm(f, "vm-1", "web", 2, 16 << 20);
	JsonObject *vm2 = add_vm(f, "vm-2", "Db_Server.Prod", 1, 8 << 20);
	JsonObject *vm3 = add_vm(f, "vm-3", "cache", 1, 4 << 20);
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(FerryProvider) source = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *web;
	JsonArray *pipeline;

	f->engine = make_engine(f, NULL);
	context = make_context(f, "web-tier", NULL, 3);
	uid = start(f, context);
	status = run_until(f, uid, NULL, NULL, 120);
	if (g_strcmp0(json_object_get_string_member(status, "phase"), "Succeeded") != 0) {
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), status);
		g_autofree char *text = json_to_string(node, TRUE);
		g_error("the migration did not succeed: %s", text);
	}

	web = vm_status(status, "vm-1");
	g_assert_cmpstr(json_object_get_string_member(web, "phase"), ==, "Completed");
	g_assert_true(has_condition(web, "Succeeded"));
	g_assert_cmpstr(json_object_get_string_member(web, "restorePowerState"), ==, "On");
	pipeline = json_object_get_array_member(web, "pipeline");
	g_assert_cmpuint(json_array_get_length(pipeline), ==, 3);
	{
		const char *steps[] = {"Initialize", "DiskTransfer", "VirtualMachineCreation"};
		for (guint i = 0; i < 3; i++) {
			JsonObject *step = json_array_get_object_element(pipeline, i);
			JsonObject *progress = json_object_get_object_member(step, "progress");
			g_assert_cmpstr(json_object_get_string_member(step, "name"), ==, steps[i]);
			g_assert_cmpstr(json_object_get_string_member(step, "phase"), ==, "Completed");
			g_assert_cmpint(json_object_get_int_member(progress, "completed"), ==,
					json_object_get_int_member(progress, "total"));
		}
		/* DiskTransfer has one task per disk, in MiB, named after the backing file */
		{
			JsonArray *tasks = json_object_get_array_member(
			    json_array_get_object_element(pipeline, 1), "tasks");
			JsonObject *task = json_array_get_object_element(tasks, 0);
			g_assert_cmpuint(json_array_get_length(tasks), ==, 2);
			g_assert_cmpstr(json_object_get_string_member(task, "name"), ==,
					"vm-1-disk0.vmdk");
			g_assert_cmpint(json_object_get_int_member(
					    json_object_get_object_member(task, "progress"), "total"),
					==, 16);
			g_assert_cmpstr(json_object_get_string_member(
					    json_object_get_object_member(task, "annotations"), "unit"),
					==, "MB");
		}
	}
	/* names: DNS-1123 sanitising of a bad source name, kept otherwise */
	g_assert_cmpstr(json_object_get_string_member(vm_status(status, "vm-2"), "newName"), ==,
			"db-server.prod");
	g_assert_false(json_object_has_member(web, "newName"));

	{
		g_autofree char *t0 = target_path(f, "web", "web-tier", 0);
		g_autofree char *t1 = target_path(f, "web", "web-tier", 1);
		g_autofree char *t2 = target_path_named(f, "db-server.prod", "web-tier-db-server-prod-disk-0.img");
		g_autofree char *t3 = target_path(f, "cache", "web-tier", 0);
		g_autofree char *vm_json =
		    g_build_filename(f->dest_dir, "migrated", "web", "vm.json", NULL);
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonObject *spec;
		assert_identical(t0, disk_path(vm1, 0));
		assert_identical(t1, disk_path(vm1, 1));
		assert_identical(t2, disk_path(vm2, 0));
		assert_identical(t3, disk_path(vm3, 0));
		g_assert_true(json_parser_load_from_file(parser, vm_json, NULL));
		spec = json_node_get_object(json_parser_get_root(parser));
		/* auto power state: the source was on, so the target starts */
		g_assert_cmpstr(json_object_get_string_member(spec, "targetPowerState"), ==, "on");
		g_assert_cmpstr(json_object_get_string_member(spec, "namespace"), ==, "migrated");
		g_assert_cmpint(json_object_get_int_member(spec, "memoryMiB"), ==, 512);
		/* the StorageMap names only a class: the modes are left to CDI's
		 * StorageProfile, not filled in */
		{
			JsonObject *disk = json_array_get_object_element(
			    json_object_get_array_member(spec, "disks"), 0);
			g_assert_cmpstr(json_object_get_string_member(disk, "storageClass"), ==,
					"standard");
			g_assert_false(json_object_has_member(disk, "volumeMode"));
			g_assert_false(json_object_has_member(disk, "accessMode"));
		}
	}
	/* a cold migration leaves the source off */
	source = provider_cb("demo", "src", f, &error);
	g_assert_cmpint(ferry_provider_get_power_state(source, "vm-1", NULL, &error), ==,
			FERRY_POWER_STATE_OFF);
	assert_ledger_empty(f);
	assert_no_journals(f);
}

static gboolean
in_phase(JsonObject *migration, gpointer data)
{
	return g_strcmp0(json_object_get_string_member(vm_status(migration, "vm-1"), "phase"),
			 data) == 0;
}

static gint64
precopies(JsonObject *migration)
{
	JsonObject *warm = json_object_get_object_member(vm_status(migration, "vm-1"), "warm");
	JsonArray *list = warm != NULL ? json_object_get_array_member(warm, "precopies") : NULL;
	return list != NULL ? json_array_get_length(list) : 0;
}

static gboolean
second_precopy_done(JsonObject *migration, gpointer data)
{
	return precopies(migration) >= 2 && in_phase(migration, "CopyingPaused");
}

static void
test_engine_warm(Fixture *f, gconstpointer data)
{
	JsonObject *vm = add_vm(f, "vm-1", "web", 1, 32 << 20);
	g_autoptr(JsonObject) settings = json_object_new();
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = NULL;
	const char *path = disk_path(vm, 0);
	JsonObject *warm;
	gint64 before_cutover;

	json_object_set_int_member(settings, "precopy_interval_seconds", 1);
	f->engine = make_engine(f, settings);
	context = make_context(f, "warm-plan", "warm", 1);
	uid = start(f, context);

	/* the first (full) precopy */
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, in_phase, (gpointer) "CopyingPaused", 120);
	g_assert_cmpint(precopies(status), ==, 1);
	/* the guest keeps running: new data, and a range zeroed */
	guest_write(path, "0x5a", 5 << 20, 300 * 1024);
	guest_zero(path, 0, 512 * 1024);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, second_precopy_done, NULL, 120);
	/* at least two; a loaded machine may have started a third by now */
	before_cutover = precopies(status);
	g_assert_cmpint(before_cutover, >=, 2);
	/* more writes, then cut over now */
	guest_write(path, "0x6b", 20 << 20, 70000);
	now = g_date_time_new_now_utc();
	g_assert_true(ferry_engine_set_cutover(f->engine, uid, NULL, now, &error));
	g_assert_no_error(error);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, NULL, NULL, 120);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	warm = json_object_get_object_member(vm_status(status, "vm-1"), "warm");
	g_assert_cmpint(json_object_get_int_member(warm, "successes"), >=, 3);
	/* the cutover ends with a final copy (after one more precopy at most,
	 * when the interval ran out before the cutover was seen) */
	g_assert_cmpint(precopies(status), >=, before_cutover + 1);
	g_assert_cmpint(precopies(status), <=, before_cutover + 2);
	{
		g_autofree char *target = target_path(f, "web", "warm-plan", 0);
		assert_identical(target, path);
	}
	{
		/* the pipeline reads like Forklift's warm one */
		JsonArray *pipeline =
		    json_object_get_array_member(vm_status(status, "vm-1"), "pipeline");
		const char *steps[] = {"Initialize", "DiskTransfer", "Cutover",
				       "VirtualMachineCreation"};
		g_assert_cmpuint(json_array_get_length(pipeline), ==, G_N_ELEMENTS(steps));
		for (guint i = 0; i < G_N_ELEMENTS(steps); i++)
			g_assert_cmpstr(json_object_get_string_member(
					    json_array_get_object_element(pipeline, i), "name"),
					==, steps[i]);
	}
	assert_no_bitmaps(path);
	assert_ledger_empty(f);
}

/* the VM's condition of @type, or NULL */
static JsonObject *
vm_condition(JsonObject *migration, const char *type)
{
	JsonArray *conditions = json_object_get_array_member(vm_status(migration, "vm-1"),
							     "conditions");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(c, "type"), type) == 0)
			return c;
	}
	return NULL;
}

static void
set_plan_annotation(JsonObject *context, const char *key, const char *value)
{
	JsonObject *metadata =
	    json_object_get_object_member(json_object_get_object_member(context, "plan"), "metadata");
	if (!json_object_has_member(metadata, "annotations"))
		json_object_set_object_member(metadata, "annotations", json_object_new());
	json_object_set_string_member(json_object_get_object_member(metadata, "annotations"), key,
				      value);
}

static gboolean
budget_reason(JsonObject *migration, gpointer data)
{
	JsonObject *condition = vm_condition(migration, "DowntimeBudget");
	return condition != NULL &&
	       g_strcmp0(json_object_get_string_member(condition, "reason"), data) == 0;
}

static gboolean
third_precopy_paused(JsonObject *migration, gpointer data)
{
	return in_phase(migration, "CopyingPaused") && precopies(migration) >= 3;
}

/* starts a warm plan of one VM (precopies every second) with a downtime
 * budget and, when not NULL, a cutover window */
static char *
start_budget_plan(Fixture *f, const char *plan, const char *budget, const char *window)
{
	g_autoptr(JsonObject) settings = json_object_new();
	g_autoptr(JsonObject) context = NULL;

	json_object_set_int_member(settings, "precopy_interval_seconds", 1);
	f->engine = make_engine(f, settings);
	context = make_context(f, plan, "warm", 1);
	set_plan_annotation(context, "ferry.konveyor.io/downtime-budget", budget);
	if (window != NULL)
		set_plan_annotation(context, "ferry.konveyor.io/cutover-window", window);
	return start(f, context);
}

/* A downtime budget the prediction fits: with no cutover time, the engine
 * cuts over on its own after the second precopy (the first that can tell
 * how fast the disk changes), and the target equals the source. */
static void
test_engine_warm_budget_met(Fixture *f, gconstpointer data)
{
	JsonObject *vm = add_vm(f, "vm-1", "web", 1, 32 << 20);
	g_autoptr(JsonObject) status = NULL;
	g_autofree char *uid = start_budget_plan(f, "budget-plan", "2m", NULL);
	g_autofree char *target = NULL;
	const char *path = disk_path(vm, 0);
	JsonObject *condition;

	/* after the first (full) copy there is no rate of change yet */
	status = run_until(f, uid, budget_reason, (gpointer) "Measuring", 120);
	g_assert_cmpint(precopies(status), ==, 1);
	guest_write(path, "0x5a", 5 << 20, 300 * 1024);
	g_clear_pointer(&status, json_object_unref);
	/* no cutover time is ever set: the budget alone ends the precopies */
	status = run_until(f, uid, NULL, NULL, 120);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	g_assert_cmpint(precopies(status), >=, 3);
	condition = vm_condition(status, "DowntimeBudget");
	g_assert_nonnull(condition);
	g_assert_cmpstr(json_object_get_string_member(condition, "reason"), ==, "Fits");
	g_assert_true(strstr(json_object_get_string_member(condition, "message"),
			     "fits the budget of 120.0 s") != NULL);
	target = target_path(f, "web", "budget-plan", 0);
	assert_identical(target, path);
	assert_ledger_empty(f);
}

/* A budget no prediction can fit (a microsecond): the engine keeps
 * precopying past any number of rounds and says why; the cutover time opens
 * the window, and at its end (a window of 0 s) it cuts over anyway, saying
 * the budget was not met. */
static void
test_engine_warm_budget_window(Fixture *f, gconstpointer data)
{
	JsonObject *vm = add_vm(f, "vm-1", "web", 1, 32 << 20);
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(GDateTime) now = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *uid = start_budget_plan(f, "window-plan", "0.000001", "0s");
	g_autofree char *target = NULL;
	const char *path = disk_path(vm, 0);
	JsonObject *condition;

	status = run_until(f, uid, third_precopy_paused, NULL, 120);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, budget_reason, (gpointer) "OverBudget", 120);
	condition = vm_condition(status, "DowntimeBudget");
	g_assert_nonnull(condition);
	g_assert_cmpstr(json_object_get_string_member(condition, "reason"), ==, "OverBudget");
	g_assert_true(strstr(json_object_get_string_member(condition, "message"),
			     "over the budget of 0.0 s: precopying again") != NULL);
	guest_write(path, "0x6b", 20 << 20, 70000);
	now = g_date_time_new_now_utc();
	g_assert_true(ferry_engine_set_cutover(f->engine, uid, NULL, now, &error));
	g_assert_no_error(error);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, NULL, NULL, 120);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	condition = vm_condition(status, "DowntimeBudget");
	g_assert_cmpstr(json_object_get_string_member(condition, "reason"), ==, "WindowClosed");
	g_assert_cmpstr(json_object_get_string_member(condition, "category"), ==, "Warning");
	target = target_path(f, "web", "window-plan", 0);
	assert_identical(target, path);
	assert_ledger_empty(f);
}

static JsonObject *
make_hook(const char *name, const char *command)
{
	JsonObject *hook = json_object_new();
	JsonObject *metadata = json_object_new();
	JsonObject *annotations = json_object_new();
	JsonObject *spec = json_object_new();
	json_object_set_string_member(metadata, "name", name);
	json_object_set_string_member(metadata, "namespace", "demo");
	json_object_set_string_member(annotations, "ferry.konveyor.io/command", command);
	json_object_set_object_member(metadata, "annotations", annotations);
	json_object_set_object_member(hook, "metadata", metadata);
	json_object_set_int_member(spec, "deadline", 30);
	json_object_set_object_member(hook, "spec", spec);
	return hook;
}

static void
add_hook_ref(JsonObject *context, const char *step, const char *name)
{
	JsonObject *vm = json_array_get_object_element(
	    json_object_get_array_member(json_object_get_object_member(
					     json_object_get_object_member(context, "plan"), "spec"),
					 "vms"),
	    0);
	JsonArray *hooks;
	JsonObject *ref = json_object_new();
	JsonObject *hook = json_object_new();
	if (!json_object_has_member(vm, "hooks"))
		json_object_set_array_member(vm, "hooks", json_array_new());
	hooks = json_object_get_array_member(vm, "hooks");
	json_object_set_string_member(ref, "step", step);
	json_object_set_string_member(hook, "name", name);
	json_object_set_string_member(hook, "namespace", "demo");
	json_object_set_object_member(ref, "hook", hook);
	json_array_add_object_element(hooks, ref);
}

/* a VM that fails on its way into the real KubeVirt bundle destination:
 * what was made for it is removed, its folder and the namespace folder
 * included, and nothing of the migration stays in the state directory */
static void
test_engine_failure(Fixture *f, gconstpointer data)
{
	const char *operation = data;
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(JsonObject) fail = json_object_new();
	g_autofree char *namespace_dir = g_build_filename(f->bundle_dir, "migrated", NULL);
	g_autofree char *target_dir = g_build_filename(namespace_dir, "web", NULL);
	g_autofree char *foreign = g_build_filename(target_dir, "notes.txt", NULL);
	g_autofree char *expected = NULL;
	g_autofree char *hook_log = g_build_filename(f->dir, "post-hook.log", NULL);
	JsonObject *vm;
	JsonObject *error;
	JsonObject *destination;

	if (g_getenv("FERRY_KUBEVIRT_DIR") == NULL) {
		g_test_skip("the kubevirt plugin is not built");
		return;
	}
	add_vm(f, "vm-1", "web", 1, 4 << 20);
	f->engine = make_engine(f, NULL);
	context = make_context(f, "failing", NULL, 1);
	destination = json_object_get_object_member(context, "destination");
	json_object_set_string_member(destination, "name", "bundle");
	json_object_set_string_member(destination, "type", "openshift");
	if (g_strcmp0(operation, "prepare_disk") == 0) {
		/* a folder the bundle destination did not make: it refuses to
		 * write there, and leaves it alone */
		g_assert_cmpint(g_mkdir_with_parents(target_dir, 0700), ==, 0);
		g_assert_true(g_file_set_contents(foreign, "mine", -1, NULL));
		expected = g_strdup("was not made by Ferry");
	} else if (g_strcmp0(operation, "post_hook") == 0) {
		/* everything was made, then the post-hook fails */
		g_autofree char *command = g_strdup_printf(
		    "ls %s > %s; exit 3", target_dir, hook_log);
		JsonObject *hooks = json_object_new();
		json_object_set_object_member(hooks, "demo/post", make_hook("post", command));
		json_object_set_object_member(context, "hooks", hooks);
		add_hook_ref(context, "PostHook", "post");
		expected = g_strdup("Hook/demo/post failed (exit status 3)");
	} else {
		json_object_set_int_member(fail, operation, 100);
		json_object_set_object_member(f->world, "fail", json_object_ref(fail));
		expected = g_strdup_printf("injected failure in %s", operation);
	}
	uid = start(f, context);
	status = run_until(f, uid, NULL, NULL, 60);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Failed");
	vm = vm_status(status, "vm-1");
	g_assert_true(has_condition(vm, "Failed"));
	error = json_object_get_object_member(vm, "error");
	g_assert_nonnull(error);
	if (strstr(json_array_get_string_element(json_object_get_array_member(error, "reasons"), 0),
		   expected) == NULL)
		g_error("expected '%s' in %s", expected,
			json_array_get_string_element(json_object_get_array_member(error, "reasons"),
						      0));
	if (g_strcmp0(operation, "post_hook") == 0) {
		/* the VM was complete when the hook ran */
		g_autofree char *listing = NULL;
		g_assert_true(g_file_get_contents(hook_log, &listing, NULL, NULL));
		g_assert_nonnull(strstr(listing, "vm.yaml"));
	}
	if (g_strcmp0(operation, "prepare_disk") == 0) {
		/* not Ferry's: untouched */
		g_autofree char *contents = NULL;
		g_assert_true(g_file_get_contents(foreign, &contents, NULL, NULL));
		g_assert_cmpstr(contents, ==, "mine");
	} else {
		/* deleteVmOnFailMigration (default true): nothing of the target
		 * left, not even an empty folder with the bundle's marker */
		g_assert_false(g_file_test(target_dir, G_FILE_TEST_EXISTS));
		g_assert_false(g_file_test(namespace_dir, G_FILE_TEST_EXISTS));
	}
	assert_ledger_empty(f);
	assert_no_journals(f);
}

static gboolean
copying(JsonObject *migration, gpointer data)
{
	return in_phase(migration, "CopyDisks");
}

static void
test_engine_cancel(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(JsonObject) delay = json_object_new();
	g_autoptr(FerryProvider) source = NULL;
	g_autoptr(GError) error = NULL;
	const char *cancel[] = {"vm-1", NULL};
	g_autofree char *target_dir = NULL;

	add_vm(f, "vm-1", "web", 1, 4 << 20);
	json_object_set_int_member(delay, "open_disk", 1500);
	json_object_set_object_member(f->world, "delayMs", json_object_ref(delay));
	f->engine = make_engine(f, NULL);
	context = make_context(f, "cancelled", NULL, 1);
	uid = start(f, context);
	status = run_until(f, uid, copying, NULL, 60);
	g_assert_true(ferry_engine_cancel_vms(f->engine, uid, cancel, &error));
	g_assert_no_error(error);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, NULL, NULL, 60);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Canceled");
	g_assert_true(has_condition(vm_status(status, "vm-1"), "Canceled"));
	/* the source was on: it runs again */
	source = provider_cb("demo", "src", f, &error);
	g_assert_cmpint(ferry_provider_get_power_state(source, "vm-1", NULL, &error), ==,
			FERRY_POWER_STATE_ON);
	target_dir = g_build_filename(f->dest_dir, "migrated", "web", NULL);
	g_assert_false(g_file_test(target_dir, G_FILE_TEST_EXISTS));
	assert_ledger_empty(f);
}

static void
test_engine_restart(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autofree char *uid2 = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(JsonObject) fail = json_object_new();
	g_autofree char *first_completed = NULL;
	JsonObject *vm2;

	add_vm(f, "vm-1", "web", 1, 4 << 20);
	vm2 = add_vm(f, "vm-2", "db", 1, 4 << 20);
	json_object_set_int_member(fail, "create_vm", 1);
	json_object_set_object_member(f->world, "fail", json_object_ref(fail));
	f->engine = make_engine(f, NULL);
	context = make_context(f, "restart", NULL, 2);
	uid = start(f, context);
	/* a plan with a running migration refuses another */
	{
		g_autoptr(JsonObject) migration = json_object_new();
		g_autoptr(GError) error = NULL;
		g_autofree char *refused =
		    ferry_engine_start_migration(f->engine, migration, context, &error);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
		g_assert_null(refused);
		g_assert_nonnull(strstr(error->message, "Plan/restart already has a running migration"));
	}
	status = run_until(f, uid, NULL, NULL, 60);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Failed");
	/* one of the two failed at CreateVM, the other succeeded */
	{
		JsonObject *a = vm_status(status, "vm-1"), *b = vm_status(status, "vm-2");
		g_assert_true(has_condition(a, "Failed") != has_condition(b, "Failed"));
		first_completed = g_strdup(json_object_get_string_member(
		    has_condition(a, "Succeeded") ? a : b, "completed"));
	}
	/* a new Migration: the failed VM runs again, the other is kept */
	g_clear_pointer(&status, json_object_unref);
	uid2 = start(f, context);
	g_assert_cmpstr(uid, !=, uid2);
	status = run_until(f, uid2, NULL, NULL, 60);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	g_assert_true(has_condition(vm_status(status, "vm-1"), "Succeeded"));
	g_assert_true(has_condition(vm_status(status, "vm-2"), "Succeeded"));
	{
		JsonObject *a = vm_status(status, "vm-1"), *b = vm_status(status, "vm-2");
		g_assert_true(g_strcmp0(json_object_get_string_member(a, "completed"),
					first_completed) == 0 ||
			      g_strcmp0(json_object_get_string_member(b, "completed"),
					first_completed) == 0);
	}
	{
		g_autofree char *target = target_path(f, "db", "restart", 0);
		assert_identical(target, disk_path(vm2, 0));
	}
	assert_ledger_empty(f);
}

static gboolean
first_running(JsonObject *migration, gpointer data)
{
	return !in_phase(migration, "Pending");
}

static void
test_engine_scheduler(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) settings = json_object_new();
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	guint pending = 0, running = 0;
	JsonArray *vms;

	add_vm(f, "vm-1", "a", 1, 4 << 20);
	add_vm(f, "vm-2", "b", 1, 4 << 20);
	add_vm(f, "vm-3", "c", 1, 4 << 20);
	json_object_set_int_member(settings, "controller_max_vm_inflight", 1);
	f->engine = make_engine(f, settings);
	context = make_context(f, "limited", NULL, 3);
	uid = start(f, context);
	status = run_until(f, uid, first_running, NULL, 30);
	vms = json_object_get_array_member(status, "vms");
	for (guint i = 0; i < json_array_get_length(vms); i++) {
		JsonObject *vm = json_array_get_object_element(vms, i);
		if (has_condition(vm, "Pending")) {
			JsonArray *conditions = json_object_get_array_member(vm, "conditions");
			const char *message = json_object_get_string_member(
			    json_array_get_object_element(conditions, 0), "message");
			g_assert_nonnull(strstr(message, "in-flight limit reached (max 1)"));
			pending++;
		} else if (!has_condition(vm, "Succeeded")) {
			running++;
		}
	}
	g_assert_cmpuint(running, ==, 1);
	g_assert_cmpuint(pending, ==, 2);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, NULL, NULL, 120);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	for (guint i = 0; i < 3; i++)
		g_assert_false(has_condition(
		    json_array_get_object_element(json_object_get_array_member(status, "vms"), i),
		    "Pending"));
}

static void
test_engine_hooks(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autofree char *log = g_build_filename(f->dir, "hooks.log", NULL);
	g_autofree char *pre_cmd = g_strdup_printf(
	    "grep -q '\"name\":\"web\"' workload.yml && echo \"pre $FERRY_VM_ID\" >> %s", log);
	g_autofree char *contents = NULL;
	JsonObject *hooks = json_object_new();
	JsonObject *vm;
	const char *reason;

	add_vm(f, "vm-1", "web", 1, 4 << 20);
	f->engine = make_engine(f, NULL);
	context = make_context(f, "hooked", NULL, 1);
	json_object_set_object_member(hooks, "demo/pre", make_hook("pre", pre_cmd));
	json_object_set_object_member(hooks, "demo/post",
				      make_hook("post", "echo starting; echo boom >&2; exit 3"));
	json_object_set_object_member(context, "hooks", hooks);
	add_hook_ref(context, "PreHook", "pre");
	add_hook_ref(context, "PostHook", "post");
	uid = start(f, context);
	status = run_until(f, uid, NULL, NULL, 60);
	/* the pre-hook ran with the workload; the post-hook failed the VM */
	if (!g_file_get_contents(log, &contents, NULL, NULL)) {
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), status);
		g_autofree char *text = json_to_string(node, TRUE);
		g_error("the pre-hook did not run: %s", text);
	}
	g_assert_cmpstr(contents, ==, "pre vm-1\n");
	vm = vm_status(status, "vm-1");
	g_assert_true(has_condition(vm, "Failed"));
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(vm, "error"),
						      "phase"),
			==, "PostHook");
	reason = json_array_get_string_element(
	    json_object_get_array_member(json_object_get_object_member(vm, "error"), "reasons"), 0);
	g_assert_nonnull(strstr(reason, "Hook/demo/post failed (exit status 3)"));
	g_assert_nonnull(strstr(reason, "boom"));
	assert_ledger_empty(f);
}

/* whether a process whose command line holds @marker is alive */
static gboolean
process_with_marker(const char *marker)
{
	g_autoptr(GDir) dir = g_dir_open("/proc", 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename("/proc", name, "cmdline", NULL);
		g_autofree char *cmdline = NULL;
		gsize length = 0;
		if (!g_ascii_isdigit(name[0]) ||
		    !g_file_get_contents(path, &cmdline, &length, NULL))
			continue;
		for (gsize i = 0; i + 1 < length; i++) {
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		}
		if (strstr(cmdline, marker) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* a hook that never ends and has no spec.deadline stops at the setting
 * hook_default_deadline_seconds, with everything it started; the VM fails
 * with a message naming the cause and the fix */
static void
test_engine_hook_hangs(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) context = NULL;
	g_autoptr(JsonObject) settings = json_object_new();
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autofree char *marker = g_strdup_printf("ferry-hang-%d", (int)getpid());
	/* a child in the background and one in the foreground: both must go */
	g_autofree char *command =
	    g_strdup_printf("sh -c 'sleep 1000 # %s' & sleep 1001 # %s", marker, marker);
	JsonObject *hooks = json_object_new();
	JsonObject *hook = make_hook("pre", command);
	const char *reason;
	gint64 started;

	json_object_remove_member(json_object_get_object_member(hook, "spec"), "deadline");
	json_object_set_int_member(settings, "hook_default_deadline_seconds", 1);
	add_vm(f, "vm-1", "web", 1, 4 << 20);
	f->engine = make_engine(f, settings);
	context = make_context(f, "hung", NULL, 1);
	json_object_set_object_member(hooks, "demo/pre", hook);
	json_object_set_object_member(context, "hooks", hooks);
	add_hook_ref(context, "PreHook", "pre");
	started = g_get_monotonic_time();
	uid = start(f, context);
	status = run_until(f, uid, NULL, NULL, 60);
	/* one attempt: a hook that timed out is not tried again */
	g_assert_cmpint(g_get_monotonic_time() - started, <, 20 * G_USEC_PER_SEC);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Failed");
	reason = json_array_get_string_element(
	    json_object_get_array_member(
		json_object_get_object_member(vm_status(status, "vm-1"), "error"), "reasons"),
	    0);
	g_test_message("reason: %s", reason);
	g_assert_nonnull(strstr(reason, "Hook/demo/pre did not finish within 1 s"));
	g_assert_nonnull(strstr(reason, "no spec.deadline"));
	g_assert_nonnull(strstr(reason, "Set spec.deadline or fix the hook"));
	for (guint i = 0; i < 50 && process_with_marker(marker); i++)
		g_usleep(100 * 1000);
	g_assert_false(process_with_marker(marker));
	assert_ledger_empty(f);
}

static void
test_engine_conversion_needs_converter(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	const char *reason;

	add_vm(f, "vm-1", "web", 1, 4 << 20);
	f->engine = make_engine(f, NULL);
	context = make_context(f, "convert", "conversion", 1);
	uid = start(f, context);
	status = run_until(f, uid, NULL, NULL, 60);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Failed");
	reason = json_array_get_string_element(
	    json_object_get_array_member(
		json_object_get_object_member(vm_status(status, "vm-1"), "error"), "reasons"),
	    0);
	g_assert_nonnull(strstr(reason, "no loaded transfer method can convert guests"));
}

static gboolean
copy_started(JsonObject *migration, gpointer data)
{
	return in_phase(migration, "CopyDisks");
}

/* the engine object goes away mid-copy, as when the process dies; a new
 * engine recovers and finishes with an identical disk */
static void
test_engine_resume(Fixture *f, gconstpointer data)
{
	JsonObject *vm = add_vm(f, "vm-1", "web", 1, 64 << 20);
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) delay = json_object_new();

	json_object_set_int_member(delay, "open_disk", 300);
	json_object_set_object_member(f->world, "delayMs", json_object_ref(delay));
	f->engine = make_engine(f, NULL);
	context = make_context(f, "resume", NULL, 1);
	uid = start(f, context);
	status = run_until(f, uid, copy_started, NULL, 60);
	g_clear_object(&f->engine);

	f->engine = make_engine(f, NULL);
	g_assert_true(ferry_engine_recover(f->engine, NULL, &error));
	g_assert_no_error(error);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, NULL, NULL, 120);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	{
		g_autofree char *target = target_path(f, "web", "resume", 0);
		assert_identical(target, disk_path(vm, 0));
	}
	assert_ledger_empty(f);
}

/* whether the fixture's state marks @vm_id prepared by pre_transfer */
static gboolean
world_prepared(Fixture *f, const char *vm_id)
{
	g_autofree char *path = g_strconcat(f->world_path, ".state", NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *prepared;
	if (!json_parser_load_from_file(parser, path, NULL))
		return FALSE;
	prepared = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)),
						 "prepared");
	return prepared != NULL && json_object_has_member(prepared, vm_id);
}

/* a PRE_TRANSFER source (as OpenStack, whose preparation makes temporary
 * Glance images): the preparation is in the ledger, as kind `pre-transfer`,
 * from before it starts; the engine goes away mid-copy, a new one recovers
 * and finishes, and what the preparation made is removed at the VM's end */
static void
test_engine_pre_transfer_ledger(Fixture *f, gconstpointer data)
{
	JsonObject *vm = add_vm(f, "vm-1", "web", 1, 64 << 20);
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) delay = json_object_new();
	g_autoptr(JsonNode) artifacts = NULL;
	gboolean recorded = FALSE;

	json_object_set_boolean_member(f->world, "preTransfer", TRUE);
	json_object_set_int_member(delay, "open_disk", 300);
	json_object_set_object_member(f->world, "delayMs", json_object_ref(delay));
	f->engine = make_engine(f, NULL);
	context = make_context(f, "prepared", NULL, 1);
	uid = start(f, context);
	status = run_until(f, uid, copy_started, NULL, 60);
	g_assert_true(world_prepared(f, "vm-1"));
	artifacts = ferry_engine_list_artifacts(f->engine);
	for (guint i = 0; i < json_array_get_length(json_node_get_array(artifacts)); i++) {
		JsonObject *entry = json_array_get_object_element(json_node_get_array(artifacts), i);
		if (g_strcmp0(json_object_get_string_member(entry, "kind"), "pre-transfer") == 0 &&
		    g_strcmp0(json_object_get_string_member(entry, "id"), "vm-1") == 0 &&
		    g_strcmp0(json_object_get_string_member(entry, "side"), "source") == 0)
			recorded = TRUE;
	}
	g_assert_true(recorded);
	g_clear_object(&f->engine);

	f->engine = make_engine(f, NULL);
	g_assert_true(ferry_engine_recover(f->engine, NULL, &error));
	g_assert_no_error(error);
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, NULL, NULL, 120);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	{
		g_autofree char *target = target_path(f, "web", "prepared", 0);
		assert_identical(target, disk_path(vm, 0));
	}
	g_assert_false(world_prepared(f, "vm-1"));
	assert_ledger_empty(f);
}

static void
test_engine_archive(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(JsonObject) fail = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *target_dir = NULL;
	g_autoptr(JsonNode) artifacts = NULL;

	add_vm(f, "vm-1", "web", 1, 4 << 20);
	json_object_set_int_member(fail, "create_vm", 100);
	json_object_set_object_member(f->world, "fail", json_object_ref(fail));
	f->engine = make_engine(f, NULL);
	context = make_context(f, "kept", NULL, 1);
	/* the failed VM's target is kept for inspection */
	json_object_set_boolean_member(
	    json_object_get_object_member(json_object_get_object_member(context, "plan"), "spec"),
	    "deleteVmOnFailMigration", FALSE);
	uid = start(f, context);
	status = run_until(f, uid, NULL, NULL, 60);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Failed");
	target_dir = g_build_filename(f->dest_dir, "migrated", "web", NULL);
	g_assert_true(g_file_test(target_dir, G_FILE_TEST_IS_DIR));
	artifacts = ferry_engine_list_artifacts(f->engine);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(artifacts)), >, 0);
	/* archive removes what the plan still holds */
	g_assert_true(ferry_engine_archive(f->engine, "demo", "kept", NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(target_dir, G_FILE_TEST_EXISTS));
	assert_ledger_empty(f);
}

static gboolean
both_paused(JsonObject *migration, gpointer data)
{
	JsonArray *vms = json_object_get_array_member(migration, "vms");
	for (guint i = 0; i < json_array_get_length(vms); i++) {
		if (g_strcmp0(json_object_get_string_member(json_array_get_object_element(vms, i),
							    "phase"),
			      "CopyingPaused") != 0)
			return FALSE;
	}
	return TRUE;
}

static gboolean
vm1_done(JsonObject *migration, gpointer data)
{
	return has_condition(vm_status(migration, "vm-1"), "Succeeded");
}

static void
test_engine_cutover_per_vm(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) settings = json_object_new();
	g_autoptr(JsonObject) context = NULL;
	g_autofree char *uid = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = NULL;
	JsonObject *vm2;

	add_vm(f, "vm-1", "web", 1, 8 << 20);
	vm2 = add_vm(f, "vm-2", "db", 1, 8 << 20);
	json_object_set_int_member(settings, "precopy_interval_seconds", 1);
	f->engine = make_engine(f, settings);
	context = make_context(f, "per-vm", "warm", 2);
	uid = start(f, context);
	status = run_until(f, uid, both_paused, NULL, 120);
	now = g_date_time_new_now_utc();
	/* vm-1 alone cuts over; vm-2 keeps precopying */
	g_assert_true(ferry_engine_set_cutover(f->engine, uid, "vm-1", now, &error));
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, vm1_done, NULL, 120);
	g_assert_false(has_condition(vm_status(status, "vm-2"), "Succeeded"));
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Running");
	/* then everything */
	g_assert_true(ferry_engine_set_cutover(f->engine, uid, NULL, now, &error));
	g_clear_pointer(&status, json_object_unref);
	status = run_until(f, uid, NULL, NULL, 120);
	g_assert_cmpstr(json_object_get_string_member(status, "phase"), ==, "Succeeded");
	{
		g_autofree char *target = target_path(f, "db", "per-vm", 0);
		assert_identical(target, disk_path(vm2, 0));
	}
	assert_ledger_empty(f);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (g_getenv("FERRY_TESTPROV_DIR") == NULL) {
		g_printerr("FERRY_TESTPROV_DIR is not set; run through meson test\n");
		return 77;
	}
#define TEST(path, func, data)                                                                     \
	g_test_add(path, Fixture, data, fixture_setup, func, fixture_teardown)
	TEST("/engine/cold", test_engine_cold, NULL);
	TEST("/engine/warm", test_engine_warm, NULL);
	TEST("/engine/warm-downtime-budget-met", test_engine_warm_budget_met, NULL);
	TEST("/engine/warm-downtime-budget-window", test_engine_warm_budget_window, NULL);
	TEST("/engine/fail/power-off", test_engine_failure, "power_off");
	TEST("/engine/fail/open-disk", test_engine_failure, "open_disk");
	TEST("/engine/fail/prepare-disk", test_engine_failure, "prepare_disk");
	TEST("/engine/fail/post-hook", test_engine_failure, "post_hook");
	TEST("/engine/cancel", test_engine_cancel, NULL);
	TEST("/engine/restart", test_engine_restart, NULL);
	TEST("/engine/scheduler", test_engine_scheduler, NULL);
	TEST("/engine/hooks", test_engine_hooks, NULL);
	TEST("/engine/hook-hangs", test_engine_hook_hangs, NULL);
	TEST("/engine/conversion-needs-converter", test_engine_conversion_needs_converter, NULL);
	TEST("/engine/resume", test_engine_resume, NULL);
	TEST("/engine/pre-transfer-ledger", test_engine_pre_transfer_ledger, NULL);
	TEST("/engine/archive", test_engine_archive, NULL);
	TEST("/engine/cutover-per-vm", test_engine_cutover_per_vm, NULL);
	return g_test_run();
}

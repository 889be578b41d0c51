/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Engine overhead: a plan of N VMs (1,000 by default) on the test provider
 * with VMs whose disks are empty (no bytes to copy), so what is measured is
 * the engine itself: scheduling, phase dispatch, status and ledger writes.
 * Prints the wall time per VM-phase and the peak resident memory.
 *
 *   bench-engine [--vms N] [--inflight N] [--disks N]
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <sys/resource.h>

static char *testprov_dir = NULL;

static FerryProvider *
provider_cb(const char *name_space, const char *name, gpointer user_data, GError **error)
{
	FerryPluginRegistry *registry = user_data;
	const char *world = g_object_get_data(G_OBJECT(registry), "world");
	g_autoptr(FerryProvider) provider = ferry_plugin_registry_create_provider(registry, "test", error);
	g_autoptr(FerryProviderConfig) config = ferry_provider_config_new("test", name_space, name);
	g_autofree char *url = g_filename_to_uri(world, NULL, NULL);
	if (provider == NULL)
		return NULL;
	ferry_provider_config_set_url(config, url);
	if (!ferry_provider_connect(provider, config, NULL, error))
		return NULL;
	return g_steal_pointer(&provider);
}

int
main(int argc, char **argv)
{
	gint vms_n = 1000, inflight = 20, disks_n = 0;
	const GOptionEntry entries[] = {
	    {"vms", 0, 0, G_OPTION_ARG_INT, &vms_n, "Number of VMs (1000)", "N"},
	    {"inflight", 0, 0, G_OPTION_ARG_INT, &inflight, "In-flight limit (20)", "N"},
	    {"disks", 0, 0, G_OPTION_ARG_INT, &disks_n, "Empty qcow2 disks per VM (0)", "N"},
	    {"testprov", 0, 0, G_OPTION_ARG_FILENAME, &testprov_dir, "Test provider directory",
	     "DIR"},
	    {NULL},
	};
	g_autoptr(GOptionContext) options = g_option_context_new("- engine overhead benchmark");
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *world_path = NULL;
	g_autofree char *state_dir = NULL;
	g_autoptr(JsonObject) world = json_object_new();
	JsonArray *vms = json_array_new();
	g_autoptr(JsonObject) context = json_object_new();
	JsonObject *plan = json_object_new(), *metadata = json_object_new(), *spec = json_object_new();
	JsonArray *plan_vms = json_array_new();
	JsonObject *inventory = json_object_new();
	JsonObject *source = json_object_new(), *destination = json_object_new();
	g_autoptr(JsonObject) settings = json_object_new();
	g_autoptr(JsonObject) migration = json_object_new();
	g_autoptr(FerryPluginRegistry) registry = NULL;
	g_autoptr(FerryEngine) engine = NULL;
	g_autoptr(GPtrArray) methods = NULL;
	g_autofree char *uid = NULL;
	gint64 start, elapsed;
	struct rusage usage;
	guint phases = 0;

	g_option_context_add_main_entries(options, entries, NULL);
	if (!g_option_context_parse(options, &argc, &argv, &error)) {
		g_printerr("%s\n", error->message);
		return 2;
	}
	if (testprov_dir == NULL)
		testprov_dir = g_strdup(g_getenv("FERRY_TESTPROV_DIR"));
	if (testprov_dir == NULL) {
		g_printerr("give --testprov DIR (the build's tests/plugins/testprov)\n");
		return 2;
	}
	dir = g_dir_make_tmp("ferry-bench-engine-XXXXXX", &error);
	world_path = g_build_filename(dir, "world.json", NULL);
	state_dir = g_build_filename(dir, "state", NULL);

	for (gint i = 0; i < vms_n; i++) {
		JsonObject *vm = json_object_new();
		JsonArray *disks = json_array_new();
		g_autofree char *id = g_strdup_printf("vm-%05d", i);
		json_object_set_string_member(vm, "id", id);
		json_object_set_string_member(vm, "name", id);
		json_object_set_string_member(vm, "powerState", "Off");
		json_object_set_int_member(vm, "cpuCount", 1);
		json_object_set_int_member(vm, "memoryMB", 256);
		for (gint d = 0; d < disks_n; d++) {
			JsonObject *disk = json_object_new();
			g_autofree char *file = g_strdup_printf("%s-%d.qcow2", id, d);
			g_autofree char *path = g_build_filename(dir, file, NULL);
			const char *argv_img[] = {"qemu-img", "create", "-q", "-f", "qcow2", path, "1M", NULL};
			g_autoptr(GSubprocess) p = g_subprocess_newv(argv_img, G_SUBPROCESS_FLAGS_NONE, NULL);
			g_subprocess_wait(p, NULL, NULL);
			json_object_set_int_member(disk, "key", 2000 + d);
			json_object_set_int_member(disk, "capacity", 1 << 20);
			json_object_set_string_member(disk, "path", path);
			json_array_add_object_element(disks, disk);
		}
		json_object_set_array_member(vm, "disks", disks);
		json_object_set_array_member(vm, "nics", json_array_new());
		json_array_add_object_element(vms, json_object_ref(vm));
		{
			JsonObject *ref = json_object_new();
			json_object_set_string_member(ref, "id", id);
			json_array_add_object_element(plan_vms, ref);
		}
		json_object_set_object_member(inventory, id, vm);
	}
	json_object_set_array_member(world, "vms", vms);
	{
		g_autofree char *dest = g_build_filename(dir, "dest", NULL);
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), world);
		g_autofree char *text = json_to_string(node, FALSE);
		json_object_set_string_member(world, "destDir", dest);
		g_clear_pointer(&text, g_free);
		text = json_to_string(node, FALSE);
		g_file_set_contents(world_path, text, -1, NULL);
	}
	json_object_set_string_member(metadata, "name", "bench");
	json_object_set_string_member(metadata, "namespace", "bench");
	json_object_set_object_member(plan, "metadata", metadata);
	json_object_set_string_member(spec, "targetNamespace", "bench");
	json_object_set_array_member(spec, "vms", plan_vms);
	json_object_set_object_member(plan, "spec", spec);
	json_object_set_object_member(context, "plan", plan);
	json_object_set_object_member(context, "vms", inventory);
	json_object_set_string_member(source, "name", "src");
	json_object_set_string_member(source, "type", "test");
	json_object_set_object_member(context, "source", source);
	json_object_set_string_member(destination, "name", "dst");
	json_object_set_string_member(destination, "type", "test");
	json_object_set_object_member(context, "destination", destination);
	json_object_set_int_member(settings, "controller_max_vm_inflight", inflight);

	{
		const char *paths[] = {testprov_dir, NULL};
		registry = ferry_plugin_registry_new_for_paths(paths);
	}
	g_object_set_data_full(G_OBJECT(registry), "world", g_strdup(world_path), g_free);
	if (!ferry_plugin_registry_load(registry, &error)) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	engine = ferry_engine_new(state_dir, &error);
	if (engine == NULL) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	methods = ferry_plugin_registry_create_transfer_methods(registry);
	ferry_engine_set_transfer_methods(engine, methods);
	ferry_engine_set_provider_func(engine, provider_cb, registry, NULL);
	ferry_engine_set_settings(engine, settings);

	start = g_get_monotonic_time();
	uid = ferry_engine_start_migration(engine, migration, context, &error);
	if (uid == NULL || !ferry_engine_run(engine, NULL, &error)) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	elapsed = g_get_monotonic_time() - start;
	{
		g_autoptr(JsonNode) status = ferry_engine_get_migration_status(engine, uid, &error);
		JsonArray *list = json_object_get_array_member(json_node_get_object(status), "vms");
		const char *phase = json_object_get_string_member(json_node_get_object(status), "phase");
		/* cold itinerary without hooks or conversion: Started, StorePowerState,
		 * PowerOffSource, WaitForPowerOff, CreateDataVolumes, CopyDisks, CreateVM,
		 * Completed */
		phases = json_array_get_length(list) * 8;
		if (g_strcmp0(phase, "Succeeded") != 0) {
			g_autofree char *text = json_to_string(status, TRUE);
			g_printerr("the migration ended %s: %.2000s\n", phase, text);
			return 1;
		}
	}
	getrusage(RUSAGE_SELF, &usage);
	g_print("engine: %d VMs, %d disk(s) each, in-flight %d\n", vms_n, disks_n, inflight);
	g_print("  total %.2f s, %u VM-phases, %.3f ms per VM-phase (goal < 5 ms)\n",
		(double)elapsed / G_USEC_PER_SEC, phases, (double)elapsed / 1000.0 / phases);
	g_print("  peak RSS %.1f MiB\n", usage.ru_maxrss / 1024.0);
	{
		const char *argv_rm[] = {"rm", "-rf", dir, NULL};
		g_autoptr(GSubprocess) p = g_subprocess_newv(argv_rm, G_SUBPROCESS_FLAGS_NONE, NULL);
		g_subprocess_wait(p, NULL, NULL);
	}
	return 0;
}

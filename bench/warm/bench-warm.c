/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Warm cutover downtime: a warm plan of one VM on the test provider (a real
 * qcow2 served by qemu-nbd, persistent dirty bitmaps for changed blocks,
 * the core copy engine, a sparse raw target), whose disk keeps changing at a
 * set rate, cut over two ways:
 *
 * - at a cutover time set after the third precopy (as `ferry plan cutover`);
 * - by a downtime budget (ferry.konveyor.io/downtime-budget), with no
 *   cutover time: Ferry cuts over when its prediction fits.
 *
 * It prints the downtime (the source's power-off to the target VM created)
 * against the final delta copy (the Finalize phase), the goal being
 * downtime <= final delta + 10 s (no conversion here), and for the budget
 * the prediction, the part the budget covers (final snapshot to the end of
 * the final copy) and whether the budget held.
 *
 * The guest's writes are simulated: the benchmark writes random 1 MiB
 * blocks into the qcow2 with qemu-io at the set rate, counted from the
 * start to the source's power-off. qemu-nbd holds the image while a copy
 * reads it, so what the guest wrote during a copy lands as soon as the copy
 * ends, before the engine decides on a cutover; the final delta thus holds
 * what was written during the last precopy. The target is compared with the
 * source at the end.
 *
 * Under a budget the rate never lets fit, it sets a cutover time after the
 * twelfth precopy and says so.
 *
 *   bench-warm [--size MiB] [--rates 4,16,64] [--interval S] [--budget S]
 *              [--bandwidth MiB/s]
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <string.h>

#define CLUSTER (1024 * 1024)

static char *testprov_dir = NULL;
static gint bandwidth_mib = 0; /* the plan's spec.bandwidth, MiB/s (0: none) */

typedef struct {
	const char *world;
	FerryPluginRegistry *registry;
} Context;

static FerryProvider *
provider_cb(const char *name_space, const char *name, gpointer user_data, GError **error)
{
	Context *ctx = user_data;
	g_autoptr(FerryProvider) provider =
	    ferry_plugin_registry_create_provider(ctx->registry, "test", error);
	g_autoptr(FerryProviderConfig) config = ferry_provider_config_new("test", name_space, name);
	g_autofree char *url = g_filename_to_uri(ctx->world, NULL, NULL);
	if (provider == NULL)
		return NULL;
	ferry_provider_config_set_url(config, url);
	if (!ferry_provider_connect(provider, config, NULL, error))
		return NULL;
	return g_steal_pointer(&provider);
}

static gboolean
run(const char *const *argv)
{
	g_autoptr(GSubprocess) p =
	    g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
			      NULL);
	return p != NULL && g_subprocess_wait_check(p, NULL, NULL);
}

/* the guest writes @bytes (whole MiB) at random places */
static void
guest_write(const char *path, guint64 size, guint64 bytes, GRand *rand)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	guint64 clusters = (bytes + CLUSTER - 1) / CLUSTER;

	if (clusters == 0)
		return;
	g_ptr_array_add(argv, g_strdup("qemu-io"));
	g_ptr_array_add(argv, g_strdup("-f"));
	g_ptr_array_add(argv, g_strdup("qcow2"));
	for (guint64 i = 0; i < clusters; i++) {
		guint64 at = (guint64)g_rand_int_range(rand, 0, (gint32)(size / CLUSTER)) * CLUSTER;
		g_ptr_array_add(argv, g_strdup("-c"));
		g_ptr_array_add(argv, g_strdup_printf("write -P 0x%02x %" G_GUINT64_FORMAT " %d",
						      g_rand_int_range(rand, 1, 255), at, CLUSTER));
	}
	g_ptr_array_add(argv, g_strdup(path));
	g_ptr_array_add(argv, NULL);
	if (!run((const char *const *)argv->pdata))
		g_printerr("qemu-io failed on %s\n", path);
}

static JsonObject *
vm_status(JsonObject *migration)
{
	JsonArray *vms = json_object_get_array_member(migration, "vms");
	return vms != NULL && json_array_get_length(vms) > 0
		   ? json_array_get_object_element(vms, 0)
		   : NULL;
}

static gint64
precopies(JsonObject *vm)
{
	JsonObject *warm = vm != NULL && json_object_has_member(vm, "warm")
			       ? json_object_get_object_member(vm, "warm")
			       : NULL;
	return warm != NULL && json_object_has_member(warm, "precopies")
		   ? json_array_get_length(json_object_get_array_member(warm, "precopies"))
		   : 0;
}

static const char *
condition_message(JsonObject *vm, const char *type)
{
	JsonArray *conditions = vm != NULL && json_object_has_member(vm, "conditions")
				    ? json_object_get_array_member(vm, "conditions")
				    : NULL;
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(c, "type"), type) == 0)
			return json_object_get_string_member(c, "message");
	}
	return NULL;
}

typedef struct {
	gdouble downtime, final_copy, budgeted, predicted;
	gint64 precopies;
	gboolean identical;
	gboolean forced; /* the budget never fitted: cut over at a time */
} Result;

static gboolean
run_case(const char *dir, guint64 size, gdouble rate, guint interval, gdouble budget,
	 Result *result, GError **error)
{
	g_autofree char *case_dir = NULL;
	g_autofree char *world_path = NULL;
	g_autofree char *disk = NULL;
	g_autofree char *dest = NULL;
	g_autoptr(JsonObject) world = json_object_new();
	g_autoptr(JsonObject) context = json_object_new();
	g_autoptr(JsonObject) settings = json_object_new();
	g_autoptr(JsonObject) migration = json_object_new();
	g_autoptr(FerryEngine) engine = NULL;
	g_autoptr(GPtrArray) methods = NULL;
	g_autoptr(GHashTable) entered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GRand) rand = g_rand_new_with_seed(11);
	g_autofree char *uid = NULL;
	g_autofree char *last_phase = NULL;
	g_autofree char *state_dir = NULL;
	JsonObject *vm, *plan, *metadata, *spec, *source, *destination, *inventory;
	JsonArray *vms, *disks, *plan_vms;
	gint64 last_write = 0, done_at = 0;
	gboolean cutover_set = FALSE;
	gboolean paused_seen = FALSE;
	Context ctx;

	case_dir = g_strdup_printf("%s/case-%g-%g", dir, rate, budget);
	g_mkdir_with_parents(case_dir, 0755);
	world_path = g_build_filename(case_dir, "world.json", NULL);
	disk = g_build_filename(case_dir, "disk.qcow2", NULL);
	dest = g_build_filename(case_dir, "dest", NULL);
	state_dir = g_build_filename(case_dir, "state", NULL);
	{
		g_autofree char *size_arg = g_strdup_printf("%" G_GUINT64_FORMAT, size);
		const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", disk, size_arg, NULL};
		if (!run(argv))
			return FALSE;
		/* a quarter of the disk holds data at the start */
		guest_write(disk, size, size / 4, rand);
	}
	vm = json_object_new();
	json_object_set_string_member(vm, "id", "vm-1");
	json_object_set_string_member(vm, "name", "warm");
	json_object_set_string_member(vm, "powerState", "On");
	json_object_set_int_member(vm, "cpuCount", 1);
	json_object_set_int_member(vm, "memoryMB", 512);
	disks = json_array_new();
	{
		JsonObject *d = json_object_new();
		json_object_set_int_member(d, "key", 2000);
		json_object_set_int_member(d, "capacity", (gint64)size);
		json_object_set_string_member(d, "path", disk);
		json_array_add_object_element(disks, d);
	}
	json_object_set_array_member(vm, "disks", disks);
	json_object_set_array_member(vm, "nics", json_array_new());
	vms = json_array_new();
	json_array_add_object_element(vms, json_object_ref(vm));
	json_object_set_array_member(world, "vms", vms);
	json_object_set_string_member(world, "destDir", dest);
	{
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), world);
		g_autofree char *text = json_to_string(node, FALSE);
		g_file_set_contents(world_path, text, -1, NULL);
	}

	plan = json_object_new();
	metadata = json_object_new();
	spec = json_object_new();
	json_object_set_string_member(metadata, "name", "warm");
	json_object_set_string_member(metadata, "namespace", "bench");
	if (budget > 0) {
		JsonObject *annotations = json_object_new();
		g_autofree char *text = g_strdup_printf("%gs", budget);
		json_object_set_string_member(annotations, "ferry.konveyor.io/downtime-budget",
					      text);
		json_object_set_object_member(metadata, "annotations", annotations);
	}
	json_object_set_object_member(plan, "metadata", metadata);
	json_object_set_string_member(spec, "targetNamespace", "bench");
	json_object_set_string_member(spec, "type", "warm");
	if (bandwidth_mib > 0)
		json_object_set_int_member(spec, "bandwidth", (gint64)bandwidth_mib << 20);
	plan_vms = json_array_new();
	{
		JsonObject *ref = json_object_new();
		json_object_set_string_member(ref, "id", "vm-1");
		json_array_add_object_element(plan_vms, ref);
	}
	json_object_set_array_member(spec, "vms", plan_vms);
	json_object_set_object_member(plan, "spec", spec);
	json_object_set_object_member(context, "plan", plan);
	inventory = json_object_new();
	json_object_set_object_member(inventory, "vm-1", vm);
	json_object_set_object_member(context, "vms", inventory);
	source = json_object_new();
	json_object_set_string_member(source, "name", "src");
	json_object_set_string_member(source, "type", "test");
	json_object_set_object_member(context, "source", source);
	destination = json_object_new();
	json_object_set_string_member(destination, "name", "dst");
	json_object_set_string_member(destination, "type", "test");
	json_object_set_object_member(context, "destination", destination);
	json_object_set_int_member(settings, "precopy_interval_seconds", interval);

	{
		const char *paths[] = {testprov_dir, NULL};
		ctx.registry = ferry_plugin_registry_new_for_paths(paths);
	}
	ctx.world = world_path;
	if (!ferry_plugin_registry_load(ctx.registry, error))
		return FALSE;
	engine = ferry_engine_new(state_dir, error);
	if (engine == NULL)
		return FALSE;
	methods = ferry_plugin_registry_create_transfer_methods(ctx.registry);
	ferry_engine_set_transfer_methods(engine, methods);
	ferry_engine_set_provider_func(engine, provider_cb, &ctx, NULL);
	ferry_engine_set_settings(engine, settings);
	uid = ferry_engine_start_migration(engine, migration, context, error);
	if (uid == NULL)
		return FALSE;

	last_write = g_get_monotonic_time();
	for (;;) {
		g_autoptr(JsonNode) node = NULL;
		JsonObject *status, *vm_now;
		const char *phase;
		gboolean active = FALSE;
		gint64 now;

		if (!ferry_engine_step(engine, &active, error))
			return FALSE;
		node = ferry_engine_get_migration_status(engine, uid, error);
		if (node == NULL)
			return FALSE;
		status = json_node_get_object(node);
		vm_now = vm_status(status);
		now = g_get_monotonic_time();
		phase = vm_now != NULL ? json_object_get_string_member(vm_now, "phase") : NULL;
		if (phase != NULL && g_strcmp0(phase, last_phase) != 0) {
			if (!g_hash_table_contains(entered, phase) ||
			    g_str_equal(phase, "CopyingPaused")) {
				gint64 *at = g_new(gint64, 1);
				*at = now;
				g_hash_table_replace(entered, g_strdup(phase), at);
			}
			g_free(last_phase);
			last_phase = g_strdup(phase);
		}
		/* the guest writes all the time; what it wrote while a copy held
		 * the image lands as soon as the copy ends (the first sight of
		 * CopyingPaused, before the engine's next step decides on a
		 * cutover), the rest every quarter of a second */
		if (g_strcmp0(phase, "CopyingPaused") == 0 &&
		    (now - last_write > G_USEC_PER_SEC / 4 || !paused_seen)) {
			paused_seen = TRUE;
			guest_write(disk, size,
				    (guint64)(rate * (1 << 20) * (now - last_write) / G_USEC_PER_SEC),
				    rand);
			last_write = g_get_monotonic_time();
			/* the cutover time after the third precopy; under a budget
			 * that the rate never lets fit, after the twelfth (reported) */
			if (!cutover_set && precopies(vm_now) >= (budget <= 0 ? 3 : 12)) {
				g_autoptr(GDateTime) when = g_date_time_new_now_utc();
				if (!ferry_engine_set_cutover(engine, uid, NULL, when, error))
					return FALSE;
				cutover_set = TRUE;
				result->forced = budget > 0;
			}
		} else if (g_strcmp0(phase, "CopyingPaused") != 0) {
			paused_seen = FALSE;
			/* powered off: the guest writes no more */
			if (g_hash_table_contains(entered, "StorePowerState"))
				last_write = now;
		}
		if (g_strcmp0(json_object_get_string_member(status, "phase"), "Running") != 0) {
			if (g_strcmp0(json_object_get_string_member(status, "phase"), "Succeeded") !=
			    0) {
				g_autofree char *text = json_to_string(node, TRUE);
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
					    "the warm migration ended %s: %.3000s",
					    json_object_get_string_member(status, "phase"), text);
				return FALSE;
			}
			done_at = now;
			result->precopies = precopies(vm_now);
			if (condition_message(vm_now, "DowntimeBudget") != NULL) {
				const char *m = condition_message(vm_now, "DowntimeBudget");
				const char *p = strstr(m, "predicted downtime ");
				result->predicted = p != NULL ? g_ascii_strtod(p + 19, NULL) : -1;
				if (strstr(m, "is over the budget") == NULL &&
				    strstr(m, "cutting over") != NULL && strstr(m, "fits") == NULL)
					result->forced = TRUE;
			}
			break;
		}
		g_usleep(10 * 1000);
	}
	{
		gint64 *off = g_hash_table_lookup(entered, "PowerOffSource");
		gint64 *snapshot = g_hash_table_lookup(entered, "CreateFinalSnapshot");
		gint64 *final = g_hash_table_lookup(entered, "Finalize");
		gint64 *after = g_hash_table_lookup(entered, "RemoveFinalSnapshot");
		if (off == NULL || final == NULL || after == NULL || snapshot == NULL) {
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_FAILED,
					    "the cutover phases were not all seen");
			return FALSE;
		}
		result->downtime = (gdouble)(done_at - *off) / G_USEC_PER_SEC;
		result->final_copy = (gdouble)(*after - *final) / G_USEC_PER_SEC;
		result->budgeted = (gdouble)(*after - *snapshot) / G_USEC_PER_SEC;
	}
	{
		g_autofree char *target =
		    g_build_filename(dest, "bench", "warm", "warm-warm-disk-0.img", NULL);
		const char *argv[] = {"qemu-img", "compare", "-q", "-f",  "raw",
				      "-F",	  "qcow2",   target, disk, NULL};
		result->identical = run(argv);
	}
	g_clear_object(&engine);
	g_clear_object(&ctx.registry);
	return TRUE;
}

int
main(int argc, char **argv)
{
	gint size_mib = 256, interval = 2;
	gdouble budget = 3;
	g_autofree char *rates_text = g_strdup("4,16,64");
	const GOptionEntry entries[] = {
	    {"size", 0, 0, G_OPTION_ARG_INT, &size_mib, "Disk size in MiB (256)", "MIB"},
	    {"rates", 0, 0, G_OPTION_ARG_STRING, &rates_text,
	     "Rates at which the guest writes, MiB/s (4,16,64)", "LIST"},
	    {"interval", 0, 0, G_OPTION_ARG_INT, &interval, "Precopy interval, s (2)", "S"},
	    {"budget", 0, 0, G_OPTION_ARG_DOUBLE, &budget, "Downtime budget, s (3)", "S"},
	    {"bandwidth", 0, 0, G_OPTION_ARG_INT, &bandwidth_mib,
	     "The plan's bandwidth limit, MiB/s (none)", "MIB"},
	    {"testprov", 0, 0, G_OPTION_ARG_FILENAME, &testprov_dir, "Test provider directory",
	     "DIR"},
	    {NULL},
	};
	g_autoptr(GOptionContext) options = g_option_context_new("- warm cutover downtime");
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;
	g_auto(GStrv) rates = NULL;
	gboolean all_ok = TRUE;

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
	dir = g_dir_make_tmp("ferry-bench-warm-XXXXXX", &error);
	if (dir == NULL) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	rates = g_strsplit(rates_text, ",", -1);
	g_print("warm cutover: one VM, %d MiB disk (a quarter data), precopy every %d s, copies "
		"limited to %d MiB/s (0: none), the guest writing at each rate\n",
		size_mib, interval, bandwidth_mib);
	g_print("| guest writes | cut over by | precopies | downtime (s) | final delta (s) | "
		"goal: downtime <= delta + 10 s | budget (s) | predicted (s) | snapshot + final "
		"copy (s) | budget held | disk equal |\n");
	g_print("|---:|---|---:|---:|---:|---|---:|---:|---:|---|---|\n");
	for (guint i = 0; rates[i] != NULL; i++) {
		gdouble rate = g_ascii_strtod(rates[i], NULL);
		for (guint mode = 0; mode < 2; mode++) {
			Result r = {0};
			gdouble b = mode == 0 ? 0 : budget;
			r.predicted = -1;
			if (!run_case(dir, (guint64)size_mib << 20, rate, (guint)interval, b, &r,
				      &error)) {
				g_printerr("rate %g, %s: %s\n", rate,
					   mode == 0 ? "cutover time" : "budget", error->message);
				g_clear_error(&error);
				all_ok = FALSE;
				continue;
			}
			if (mode == 0)
				g_print("| %g MiB/s | cutover time | %" G_GINT64_FORMAT
					" | %.2f | %.2f | %s | | | | | %s |\n",
					rate, r.precopies, r.downtime, r.final_copy,
					r.downtime <= r.final_copy + 10 ? "met" : "missed",
					r.identical ? "yes" : "NO");
			else
				g_print("| %g MiB/s | budget | %" G_GINT64_FORMAT
					" | %.2f | %.2f | %s | %.1f | %.2f | %.2f | %s | %s |\n",
					rate, r.precopies, r.downtime, r.final_copy,
					r.downtime <= r.final_copy + 10 ? "met" : "missed", b,
					r.predicted, r.budgeted,
					r.forced ? "never fitted: cut over at a time"
						 : (r.budgeted <= b ? "yes" : "no"),
					r.identical ? "yes" : "NO");
			all_ok = all_ok && r.identical;
		}
	}
	{
		const char *argv_rm[] = {"rm", "-rf", dir, NULL};
		run(argv_rm);
	}
	return all_ok ? 0 : 1;
}

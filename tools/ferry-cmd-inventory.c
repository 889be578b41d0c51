/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <string.h>

#include "ferry-cli.h"

/* the names users give kinds (kubectl-mtv's and Forklift's route names) */
static const struct {
	const char *name;
	const char *kind;
} kind_names[] = {
	{"vms", "vm"},
	{"workloads", "vm"},
	{"hosts", "host"},
	{"clusters", "cluster"},
	{"datacenters", "datacenter"},
	{"folders", "folder"},
	{"networks", "network"},
	{"datastores", "datastore"},
	{"disks", "disk"},
	{"diskprofiles", "diskprofile"},
	{"nicprofiles", "nicprofile"},
	{"storagedomains", "storagedomain"},
	{"servercpus", "servercpu"},
	{"flavors", "flavor"},
	{"images", "image"},
	{"volumes", "volume"},
	{"volumetypes", "volumetype"},
	{"projects", "project"},
	{"regions", "region"},
	{"snapshots", "snapshot"},
	{"subnets", "subnet"},
	{"storages", "storage"},
	{"namespaces", "namespace"},
	{"storageclasses", "storageclass"},
	{"networkattachmentdefinitions", "networkattachmentdefinition"},
	{"persistentvolumeclaims", "persistentvolumeclaim"},
	{"datavolumes", "datavolume"},
	{"instancetypes", "instancetype"},
	{"clusterinstancetypes", "clusterinstancetype"},
	{"storageprofiles", "storageprofile"},
	{"preferences", "preference"},
	{"clusterpreferences", "clusterpreference"},
};

static const char *
inventory_kind(const char *name, const char *provider_type)
{
	if (g_ascii_strcasecmp(name, "storage") == 0) {
		/* what `storage` means for the provider type: the library knows */
		return ferry_platform_get_storage_kind(provider_type);
	}
	for (guint i = 0; i < G_N_ELEMENTS(kind_names); i++) {
		if (g_ascii_strcasecmp(name, kind_names[i].name) == 0 ||
		    g_ascii_strcasecmp(name, kind_names[i].kind) == 0)
			return kind_names[i].kind;
	}
	return NULL;
}

static const char *
provider_namespace(FerryCli *cli)
{
	return cli->name_space != NULL ? cli->name_space : "default";
}

/* the type of the Provider resource @name */
static char *
inventory_provider_type(FerryCli *cli, const char *name, GError **error)
{
	g_autoptr(FerryStore) store = ferry_cli_open_store(cli, error);
	g_autoptr(FerryResource) provider = NULL;
	if (store == NULL)
		return NULL;
	provider = ferry_store_get(store, "Provider", provider_namespace(cli), name, error);
	if (provider == NULL) {
		g_prefix_error(error, "inventory of %s: ", name);
		return NULL;
	}
	return g_strdup(
		ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(provider)));
}

static char *
format_cell(JsonNode *node)
{
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return g_strdup("");
	if (JSON_NODE_HOLDS_VALUE(node)) {
		switch (json_node_get_value_type(node)) {
		case G_TYPE_STRING:
			return g_strdup(json_node_get_string(node));
		case G_TYPE_INT64:
			return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
		case G_TYPE_DOUBLE: {
			char buf[G_ASCII_DTOSTR_BUF_SIZE];
			return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%.6g",
							json_node_get_double(node)));
		}
		case G_TYPE_BOOLEAN:
			return g_strdup(json_node_get_boolean(node) ? "true" : "false");
		default:
			break;
		}
	}
	return json_to_string(node, FALSE);
}

static gint64
member_int(JsonObject *object, const char *name)
{
	JsonNode *node = json_object_get_member(object, name);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return -1;
	if (json_node_get_value_type(node) == G_TYPE_INT64)
		return json_node_get_int(node);
	if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
		return (gint64)json_node_get_double(node);
	return -1;
}

static guint
member_length(JsonObject *object, const char *name)
{
	JsonNode *node = json_object_get_member(object, name);
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
		return 0;
	return json_array_get_length(json_node_get_array(node));
}

/* the VM columns: whichever fields the provider's documents have */
static void
add_vm_row(FerryTable *table, JsonObject *vm)
{
	g_autofree char *name = format_cell(json_object_get_member(vm, "name"));
	g_autofree char *id = format_cell(json_object_get_member(vm, "id"));
	g_autofree char *power = format_cell(json_object_get_member(vm, "powerStateHuman"));
	g_autofree char *cpus = NULL;
	g_autofree char *memory = NULL;
	g_autofree char *disks = NULL;
	g_autofree char *concerns = format_cell(json_object_get_member(vm, "concernsHuman"));
	gint64 n_cpus = member_int(vm, "cpuCount");
	JsonNode *memory_gb = json_object_get_member(vm, "memoryGB");

	if (n_cpus < 0 && member_int(vm, "cpuSockets") > 0)
		n_cpus = member_int(vm, "cpuSockets") * MAX(member_int(vm, "cpuCores"), 1) *
			 MAX(member_int(vm, "cpuThreads"), 1);
	cpus = n_cpus >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT, n_cpus) : g_strdup("");
	if (memory_gb != NULL && JSON_NODE_HOLDS_VALUE(memory_gb))
		memory = g_strdup_printf("%.1f GiB", json_node_get_double(memory_gb));
	disks = g_strdup_printf(
		"%u", MAX(member_length(vm, "disks"), MAX(member_length(vm, "diskAttachments"),
							  member_length(vm, "attachedVolumes"))));
	ferry_table_add_row(table, name, id, power, cpus, memory != NULL ? memory : "", disks,
			    concerns, NULL);
}

static int
inventory_list(FerryCli *cli, const char *kind_name, const char *provider, const char *query_text,
	       FerryOutputFormat format, GStrv rules_dirs)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerryQuery) query = NULL;
	g_autoptr(GPtrArray) results = NULL;
	g_autofree char *provider_type = NULL;
	const char *kind;

	provider_type = inventory_provider_type(cli, provider, &error);
	if (provider_type == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	kind = inventory_kind(kind_name, provider_type);
	if (kind == NULL)
		return ferry_cli_usage_error(
			cli,
			"unknown inventory kind '%s'; use vms, hosts, clusters, networks, storage, "
			"disks or another collection of the provider",
			kind_name);
	query = ferry_query_new(query_text != NULL ? query_text : "", &error);
	if (query == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	inventory = ferry_cli_open_inventory(cli, &error);
	if (inventory == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (!ferry_inventory_has_parity(inventory, provider)) {
		g_autoptr(FerryQuery) any = ferry_query_new("limit 1", NULL);
		g_autoptr(GPtrArray) some = ferry_inventory_query(
			inventory, provider, kind, any, FERRY_INVENTORY_QUERY_FLAG_REFS, NULL);
		if (some == NULL || some->len == 0)
			return ferry_cli_fail(
				cli, g_error_new(FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
						 "no inventory of provider '%s' yet; load it with "
						 "'ferry inventory refresh %s'",
						 provider, provider));
	}
	/* concerns are kept current: only VMs or rules that changed are judged
	 * (a destination's VMs are not migrated: nothing to judge) */
	if (g_strcmp0(kind, "vm") == 0 &&
	    ferry_platform_has_capability(provider_type, FERRY_PROVIDER_CAPABILITY_SOURCE)) {
		g_autoptr(GPtrArray) validators = ferry_cli_create_validators(cli, rules_dirs, &error);
		if (validators == NULL ||
		    !ferry_inventory_revalidate(inventory, provider, provider_type, validators,
						FALSE, NULL, NULL, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	results = ferry_inventory_query(inventory, provider, kind, query,
					g_strcmp0(kind, "vm") == 0
						? FERRY_INVENTORY_QUERY_FLAG_COMPUTED
						: FERRY_INVENTORY_QUERY_FLAG_NONE,
					&error);
	if (results == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));

	if (format != FERRY_OUTPUT_TABLE) {
		g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
		JsonArray *array = json_array_new();
		for (guint i = 0; i < results->len; i++)
			json_array_add_object_element(
				array, json_object_ref(g_ptr_array_index(results, i)));
		json_node_take_array(root, array);
		if (!ferry_cli_print_node(format, root, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		return FERRY_EXIT_OK;
	}
	if (ferry_query_has_select(query)) {
		g_auto(GStrv) names = ferry_query_dup_select_names(query);
		g_autoptr(GStrvBuilder) header = g_strv_builder_new();
		g_auto(GStrv) headers = NULL;
		g_autoptr(FerryTable) table = NULL;
		for (guint i = 0; names[i] != NULL; i++) {
			g_autofree char *upper = g_ascii_strup(names[i], -1);
			g_strv_builder_add(header, upper);
		}
		headers = g_strv_builder_end(header);
		table = ferry_table_new_strv((const char *const *)headers);
		for (guint i = 0; i < results->len; i++) {
			JsonObject *row = g_ptr_array_index(results, i);
			g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
			for (guint j = 0; names[j] != NULL; j++)
				g_ptr_array_add(cells,
						format_cell(json_object_get_member(row, names[j])));
			g_ptr_array_add(cells, NULL);
			ferry_table_add_rowv(table, (const char *const *)cells->pdata);
		}
		ferry_table_print(table);
	} else if (g_strcmp0(kind, "vm") == 0) {
		g_autoptr(FerryTable) table = ferry_table_new("NAME", "ID", "POWER", "CPUS",
							      "MEMORY", "DISKS", "CONCERNS", NULL);
		for (guint i = 0; i < results->len; i++)
			add_vm_row(table, g_ptr_array_index(results, i));
		ferry_table_print(table);
	} else {
		g_autoptr(FerryTable) table = ferry_table_new("NAME", "ID", NULL);
		for (guint i = 0; i < results->len; i++) {
			JsonObject *object = g_ptr_array_index(results, i);
			g_autofree char *name = format_cell(json_object_get_member(object, "name"));
			g_autofree char *id = format_cell(json_object_get_member(object, "id"));
			ferry_table_add_row(table, name, id, NULL);
		}
		ferry_table_print(table);
	}
	if (results->len == 0 && !cli->quiet)
		g_printerr("No %s match.\n", kind_name);
	return FERRY_EXIT_OK;
}

/* Forklift's InventoryCreated condition, for `ferry get providers` */
static void
inventory_record_created(FerryStore *store, const char *name_space, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) provider = ferry_store_get(store, "Provider", name_space, name,
							    &error);
	if (provider != NULL) {
		ferry_resource_set_condition(provider, "InventoryCreated", TRUE,
					     FERRY_CONDITION_CATEGORY_REQUIRED, "Completed",
					     "The inventory has been loaded.");
		ferry_store_update_status(store, provider, &error);
	}
	if (error != NULL)
		g_debug("InventoryCreated not recorded: %s", error->message);
}

/* a destination's inventory: what is there already, nothing to validate */
static int
inventory_refreshed_destination(FerryCli *cli, FerryStore *store, FerryInventory *inventory,
				const char *name, const char *type, gint64 started)
{
	static const char *const kinds[][2] = {
		{"namespace", "namespaces"},
		{"storageclass", "storage classes"},
		{"networkattachmentdefinition", "network attachment definitions"},
		{"vm", "VMs"},
	};
	g_autoptr(GString) counts = g_string_new(NULL);

	inventory_record_created(store, provider_namespace(cli), name);
	if (cli->quiet)
		return FERRY_EXIT_OK;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autoptr(GPtrArray) objects = ferry_inventory_list(inventory, name, kinds[i][0],
								    NULL);
		g_string_append_printf(counts, "%s%u %s", i > 0 ? ", " : "",
				       objects != NULL ? objects->len : 0, kinds[i][1]);
	}
	g_print("Loaded the destination inventory of %s (%s) in %.1f s: %s\n", name, type,
		(g_get_monotonic_time() - started) / 1e6, counts->str);
	return FERRY_EXIT_OK;
}

static int
inventory_refresh(FerryCli *cli, const char *name, GStrv rules_dirs)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryStore) store = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(GPtrArray) validators = NULL;
	g_autoptr(FerryQuery) critical = ferry_query_new("criticalConcerns > 0", NULL);
	g_autoptr(GPtrArray) blocked = NULL;
	FerryPluginRegistry *registry;
	const char *type;
	guint validated = 0;
	gint64 started = g_get_monotonic_time();

	store = ferry_cli_open_store(cli, &error);
	if (store == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	config = ferry_store_dup_provider_config(store, provider_namespace(cli), name, &error);
	if (config == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	type = ferry_provider_config_get_provider_type(config);
	registry = ferry_cli_get_registry(cli, &error);
	if (registry == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	provider = ferry_plugin_registry_create_provider(registry, type, &error);
	if (provider == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (!ferry_provider_has_capability(provider, FERRY_PROVIDER_CAPABILITY_SOURCE) &&
	    !ferry_provider_has_capability(provider,
					   FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY))
		return ferry_cli_fail(cli, g_error_new(FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
						       "provider '%s' (%s) is only a destination "
						       "and has no inventory to load",
						       name, type));
	inventory = ferry_cli_open_inventory(cli, &error);
	if (inventory == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (!ferry_provider_connect(provider, config, NULL, &error) ||
	    !ferry_provider_load_inventory(provider, inventory, NULL, &error)) {
		g_prefix_error(&error, "provider %s: ", name);
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	if (!ferry_provider_has_capability(provider, FERRY_PROVIDER_CAPABILITY_SOURCE))
		return inventory_refreshed_destination(cli, store, inventory, name, type, started);
	validators = ferry_cli_create_validators(cli, rules_dirs, &error);
	if (validators == NULL || !ferry_inventory_revalidate(inventory, name, type, validators,
							      FALSE, NULL, &validated, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	blocked = ferry_inventory_query(inventory, name, "vm", critical,
					FERRY_INVENTORY_QUERY_FLAG_REFS, &error);
	if (blocked == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	inventory_record_created(store, provider_namespace(cli), name);
	if (!cli->quiet) {
		g_autoptr(FerryQuery) all = ferry_query_new("", NULL);
		g_autoptr(GPtrArray) vms = ferry_inventory_query(
			inventory, name, "vm", all, FERRY_INVENTORY_QUERY_FLAG_REFS, NULL);
		g_print("Loaded the inventory of %s (%s) in %.1f s: %u VMs, %u validated, %u with "
			"critical concerns\n",
			name, type, (g_get_monotonic_time() - started) / 1e6,
			vms != NULL ? vms->len : 0, validated, blocked->len);
	}
	return FERRY_EXIT_OK;
}

/* `ferry inventory watch`: the watch runs in a thread of its own; the main
 * loop receives the signals and prints what each committed update changed */
typedef struct {
	FerryCli *cli;
	FerryRunner *runner;
	char *name;
	GCancellable *cancellable;
	GMainLoop *loop;
	GMainContext *context;
	GHashTable *revisions; /* VM id → "revision\x1fname" as last seen */
	GError *error;
	gboolean ok;
} WatchRun;

/* VM id → "revision\x1fname" */
static GHashTable *
watch_snapshot(WatchRun *run)
{
	g_autoptr(FerryQuery) query = ferry_query_new("select id, name, revision", NULL);
	g_autoptr(GPtrArray) vms = ferry_inventory_query(
	    ferry_runner_get_inventory(run->runner), run->name, "vm", query,
	    FERRY_INVENTORY_QUERY_FLAG_NONE, NULL);
	GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	for (guint i = 0; vms != NULL && i < vms->len; i++) {
		JsonObject *vm = g_ptr_array_index(vms, i);
		const char *id = json_object_get_string_member_with_default(vm, "id", NULL);
		if (id == NULL)
			continue;
		g_hash_table_insert(
		    table, g_strdup(id),
		    g_strdup_printf("%" G_GINT64_FORMAT "\x1f%s",
				    json_object_get_int_member_with_default(vm, "revision", 0),
				    json_object_get_string_member_with_default(vm, "name", "")));
	}
	return table;
}

/* one line per VM added, changed or removed since the last update */
static gboolean
watch_print_changes_cb(gpointer user_data)
{
	WatchRun *run = user_data;
	g_autoptr(GHashTable) now = watch_snapshot(run);
	g_autoptr(GDateTime) time = g_date_time_new_now_utc();
	g_autofree char *stamp = g_date_time_format(time, "%Y-%m-%dT%H:%M:%SZ");
	gboolean first = g_hash_table_size(run->revisions) == 0;
	guint printed = 0;
	GHashTableIter iter;
	const char *id, *seen;

	if (first && g_hash_table_size(now) > 0) {
		g_print("%s %s: loaded, %u VMs\n", stamp, run->name, g_hash_table_size(now));
		printed++;
	}
	g_hash_table_iter_init(&iter, now);
	while (!first && g_hash_table_iter_next(&iter, (gpointer *)&id, (gpointer *)&seen)) {
		const char *before = g_hash_table_lookup(run->revisions, id);
		g_auto(GStrv) parts = g_strsplit(seen, "\x1f", 2);
		if (g_strcmp0(before, seen) == 0)
			continue;
		g_print("%s %s: vm %s (%s) %s, revision %s\n", stamp, run->name, parts[1], id,
			before == NULL ? "added" : "changed", parts[0]);
		printed++;
	}
	g_hash_table_iter_init(&iter, run->revisions);
	while (g_hash_table_iter_next(&iter, (gpointer *)&id, (gpointer *)&seen)) {
		g_auto(GStrv) parts = NULL;
		if (g_hash_table_contains(now, id))
			continue;
		parts = g_strsplit(seen, "\x1f", 2);
		g_print("%s %s: vm %s (%s) removed\n", stamp, run->name, parts[1], id);
		printed++;
	}
	if (printed == 0 && !run->cli->quiet)
		g_printerr("%s %s: an update was applied; no VM changed\n", stamp, run->name);
	fflush(stdout);
	g_hash_table_unref(run->revisions);
	run->revisions = g_steal_pointer(&now);
	return G_SOURCE_REMOVE;
}

/* from the watch's thread to the main loop (never g_main_context_invoke(),
 * which runs the function right there when the loop does not run yet) */
static void
watch_post(WatchRun *run, GSourceFunc func)
{
	g_autoptr(GSource) source = g_idle_source_new();

	g_source_set_callback(source, func, run, NULL);
	g_source_attach(source, run->context);
}

/* in the watch's thread: hand the news to the main loop */
static void
watch_changed_cb(FerryInventory *inventory, const char *provider, guint count, gpointer user_data)
{
	WatchRun *run = user_data;

	if (g_strcmp0(provider, run->name) == 0)
		watch_post(run, watch_print_changes_cb);
}

static gboolean
watch_done_cb(gpointer user_data)
{
	g_main_loop_quit(((WatchRun *)user_data)->loop);
	return G_SOURCE_REMOVE;
}

static gpointer
watch_thread(gpointer user_data)
{
	WatchRun *run = user_data;

	run->ok = ferry_runner_watch_inventory(run->runner, provider_namespace(run->cli),
					       run->name, run->cancellable, &run->error);
	watch_post(run, watch_done_cb);
	return NULL;
}

static gboolean
watch_signal_cb(gpointer user_data)
{
	WatchRun *run = user_data;

	if (!run->cli->quiet && !g_cancellable_is_cancelled(run->cancellable))
		g_printerr("Stopping the watch of %s…\n", run->name);
	g_cancellable_cancel(run->cancellable);
	return G_SOURCE_CONTINUE;
}

static int
inventory_watch(FerryCli *cli, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autofree char *type = NULL;
	WatchRun run = {cli, NULL, (char *)name, NULL, NULL, NULL, NULL, NULL, FALSE};
	GThread *thread;
	gulong handler;
	guint sigint, sigterm;

	/* the usual errors first: no such Provider, no plugin for its type */
	type = inventory_provider_type(cli, name, &error);
	if (type == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	run.runner = runner;
	run.cancellable = g_cancellable_new();
	run.context = g_main_context_ref_thread_default();
	run.loop = g_main_loop_new(run.context, FALSE);
	run.revisions = watch_snapshot(&run);
	handler = g_signal_connect(ferry_runner_get_inventory(runner), "changed",
				   G_CALLBACK(watch_changed_cb), &run);
	sigint = g_unix_signal_add(SIGINT, watch_signal_cb, &run);
	sigterm = g_unix_signal_add(SIGTERM, watch_signal_cb, &run);
	if (!cli->quiet && ferry_platform_has_capability(type, FERRY_PROVIDER_CAPABILITY_WATCH))
		g_printerr("Watching the inventory of %s (%s); Ctrl-C stops.\n", name, type);
	thread = g_thread_new("ferry-inventory-watch", watch_thread, &run);
	g_main_loop_run(run.loop);
	g_thread_join(thread);
	g_signal_handler_disconnect(ferry_runner_get_inventory(runner), handler);
	/* what the last update changed, if its news came after the end */
	while (g_main_context_iteration(run.context, FALSE))
		;
	g_source_remove(sigint);
	g_source_remove(sigterm);
	g_clear_pointer(&run.revisions, g_hash_table_unref);
	g_main_loop_unref(run.loop);
	g_main_context_unref(run.context);
	g_object_unref(run.cancellable);
	if (!run.ok)
		return ferry_cli_fail(cli, run.error);
	if (!cli->quiet)
		g_printerr("Stopped watching the inventory of %s.\n", name);
	return FERRY_EXIT_OK;
}

static int
inventory_rules(FerryCli *cli, const char *provider_type, FerryOutputFormat format,
		GStrv rules_dirs)
{
	g_autoptr(FerryRulesValidator) validator = ferry_rules_validator_new();
	g_autoptr(GPtrArray) rules = NULL;
	g_auto(GStrv) problems = NULL;
	g_auto(GStrv) remembered = NULL;

	/* checking rule files changes nothing: the remembered directories are
	 * listed when none is given, and given ones are not remembered */
	if (rules_dirs == NULL || rules_dirs[0] == NULL) {
		g_autoptr(GError) error = NULL;
		remembered = ferry_cli_rules_dirs(cli, NULL, &error);
		if (remembered == NULL)
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		rules_dirs = remembered;
	}
	for (guint i = 0; rules_dirs != NULL && rules_dirs[i] != NULL; i++)
		ferry_rules_validator_add_directory(validator, rules_dirs[i]);
	rules = ferry_rules_validator_list_rules(validator, provider_type);
	problems = ferry_rules_validator_dup_problems(validator, provider_type);
	if (format != FERRY_OUTPUT_TABLE) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
		JsonArray *array = json_array_new();
		for (guint i = 0; i < rules->len; i++)
			json_array_add_object_element(array,
						      json_object_ref(g_ptr_array_index(rules, i)));
		json_node_take_array(root, array);
		if (!ferry_cli_print_node(format, root, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
	} else {
		g_autoptr(FerryTable) table = ferry_table_new("ID", "CATEGORY", "LABEL", NULL);
		for (guint i = 0; i < rules->len; i++) {
			JsonObject *rule = g_ptr_array_index(rules, i);
			ferry_table_add_row(
				table, json_object_get_string_member_with_default(rule, "id", ""),
				json_object_get_string_member_with_default(rule, "category", ""),
				json_object_get_string_member_with_default(rule, "label", ""),
				NULL);
		}
		ferry_table_print(table);
		if (!cli->quiet)
			g_printerr(
				"%u rules of %s, rules version %u.\n", rules->len, provider_type,
				ferry_rules_validator_get_rules_version(validator, provider_type));
	}
	/* problems were printed as warnings while the rules were read */
	return g_strv_length(problems) > 0 ? FERRY_EXIT_USAGE : FERRY_EXIT_OK;
}

int
ferry_cmd_inventory(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	g_autofree char *query = NULL;
	g_auto(GStrv) rules_dirs = NULL;
	g_autoptr(GError) error = NULL;
	FerryOutputFormat format;
	const GOptionEntry entries[] = {
		{"query", 'q', 0, G_OPTION_ARG_STRING, &query,
		 "Select objects: [SELECT …] WHERE … [ORDER BY …] [LIMIT n]", "QUERY"},
		{"output", 'o', 0, G_OPTION_ARG_STRING, &output,
		 "Output format: table, json or yaml", "FORMAT"},
		{"rules-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rules_dirs,
		 "More validation rules: DIR/<provider type>/*.yaml (repeatable)", "DIR"},
		{NULL},
	};

	if (!ferry_cli_parse(
		    cli, &argc, &argv, entries, "KIND PROVIDER | refresh PROVIDER | watch PROVIDER | rules TYPE",
		    "Explore what a source provider has. 'ferry inventory vms vsphere-prod -q "
		    "\"where "
		    "memoryMB > 4096 and len(disks) > 1\"' lists objects of a kind (vms, hosts, "
		    "clusters, networks, storage, disks, …) that match a query; 'ferry inventory "
		    "refresh "
		    "PROVIDER' loads the provider's inventory and validates its VMs; 'ferry "
		    "inventory watch PROVIDER' keeps it live until interrupted, printing each "
		    "change; 'ferry "
		    "inventory "
		    "rules vsphere' lists the validation rules of a provider type and reports "
		    "mistakes "
		    "in rule files.",
		    &error) ||
	    !ferry_cli_parse_output(output, TRUE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc == 3 && g_strcmp0(argv[1], "refresh") == 0)
		return inventory_refresh(cli, argv[2], rules_dirs);
	if (argc == 3 && g_strcmp0(argv[1], "watch") == 0)
		return inventory_watch(cli, argv[2]);
	if (argc == 3 && g_strcmp0(argv[1], "rules") == 0)
		return inventory_rules(cli, argv[2], format, rules_dirs);
	if (argc != 3)
		return ferry_cli_usage_error(cli,
					     "give a kind and a provider, such as 'ferry "
					     "inventory vms vsphere-prod', or 'refresh PROVIDER'");
	return inventory_list(cli, argv[1], argv[2], query, format, rules_dirs);
}

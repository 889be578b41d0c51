/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry-cli.h"

/* `ferry plan create|list|describe|start|cutover|cancel|archive|delete` and
 * `ferry run`: plans and their migrations, with progress on a terminal */

#define EXIT_CANCELLED 6
#define BAR_WIDTH 24

static const char *
plan_namespace(FerryCli *cli)
{
	return cli->name_space != NULL ? cli->name_space : "default";
}

/* --- progress --- */

typedef struct {
	FerryCli *cli;
	gboolean tty;
	guint lines_drawn;
	GHashTable *last_phase; /* vm id → phase, for plain output */
	GHashTable *rows;	/* vm id → line */
	GPtrArray *order;	/* vm ids in first-seen order */
	gint64 drawn_at;
} Progress;

static void
progress_clear(Progress *p)
{
	g_clear_pointer(&p->last_phase, g_hash_table_unref);
	g_clear_pointer(&p->rows, g_hash_table_unref);
	g_clear_pointer(&p->order, g_ptr_array_unref);
}

static const char *
vm_name(JsonObject *status)
{
	const char *name = json_object_get_string_member_with_default(status, "newName", NULL);
	if (name == NULL)
		name = json_object_get_string_member_with_default(status, "name", NULL);
	return name != NULL ? name : json_object_get_string_member_with_default(status, "id", "?");
}

/* the running step, or the last one */
static JsonObject *
current_step(JsonObject *status)
{
	JsonArray *pipeline = json_object_has_member(status, "pipeline")
				  ? json_object_get_array_member(status, "pipeline")
				  : NULL;
	JsonObject *last = NULL;
	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *step = json_array_get_object_element(pipeline, i);
		if (g_strcmp0(json_object_get_string_member(step, "phase"), "Running") == 0)
			return step;
		last = step;
	}
	return last;
}

static const char *
outcome(JsonObject *status)
{
	static const char *const types[] = {"Succeeded", "Failed", "Canceled", "Pending"};
	JsonArray *conditions = json_object_has_member(status, "conditions")
				    ? json_object_get_array_member(status, "conditions")
				    : NULL;
	for (guint t = 0; t < G_N_ELEMENTS(types); t++) {
		for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
			JsonObject *c = json_array_get_object_element(conditions, i);
			if (g_strcmp0(json_object_get_string_member(c, "type"), types[t]) == 0)
				return types[t];
		}
	}
	return NULL;
}

static char *
format_line(JsonObject *status)
{
	JsonObject *step = current_step(status);
	JsonObject *progress = step != NULL && json_object_has_member(step, "progress")
				   ? json_object_get_object_member(step, "progress")
				   : NULL;
	gint64 total = progress != NULL ? json_object_get_int_member(progress, "total") : 0;
	gint64 done = progress != NULL ? json_object_get_int_member(progress, "completed") : 0;
	const char *result = outcome(status);
	g_autoptr(GString) bar = g_string_new(NULL);
	guint filled = total > 0 ? (guint)(BAR_WIDTH * MIN(done, total) / total) : 0;

	for (guint i = 0; i < BAR_WIDTH; i++)
		g_string_append(bar, i < filled ? "#" : "-");
	if (result != NULL && g_strcmp0(result, "Pending") != 0)
		return g_strdup_printf("%-24.24s %-10s", vm_name(status), result);
	if (g_strcmp0(result, "Pending") == 0)
		return g_strdup_printf("%-24.24s waiting (in-flight limit)", vm_name(status));
	if (step != NULL && json_array_get_length(json_object_get_array_member(step, "tasks")) > 0)
		return g_strdup_printf("%-24.24s %-24.24s [%s] %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
				       " MiB",
				       vm_name(status),
				       json_object_get_string_member(status, "phase"), bar->str, done,
				       total);
	return g_strdup_printf("%-24.24s %s", vm_name(status),
			       json_object_get_string_member_with_default(status, "phase", ""));
}

static void
progress_vm_changed_cb(FerryEngine *engine,
		       const char *uid,
		       const char *vm_id,
		       JsonObject *status,
		       gpointer user_data)
{
	Progress *p = user_data;
	const char *phase = json_object_get_string_member_with_default(status, "phase", "");
	const char *result = outcome(status);

	if (p->cli->quiet)
		return;
	if (!p->tty) {
		/* plain output: one line per phase change */
		g_autofree char *key = g_strdup(vm_id);
		g_autofree char *what =
		    result != NULL && g_strcmp0(result, "Pending") != 0 ? g_strdup(result)
									 : g_strdup(phase);
		const char *before = g_hash_table_lookup(p->last_phase, key);
		if (g_strcmp0(before, what) == 0)
			return;
		g_print("%s: %s\n", vm_name(status), what);
		if (g_strcmp0(result, "Failed") == 0 && json_object_has_member(status, "error")) {
			JsonArray *reasons = json_object_get_array_member(
			    json_object_get_object_member(status, "error"), "reasons");
			for (guint i = 0; reasons != NULL && i < json_array_get_length(reasons); i++)
				g_print("  %s\n", json_array_get_string_element(reasons, i));
		}
		g_hash_table_replace(p->last_phase, g_steal_pointer(&key), g_steal_pointer(&what));
		return;
	}
	if (!g_hash_table_contains(p->rows, vm_id))
		g_ptr_array_add(p->order, g_strdup(vm_id));
	g_hash_table_replace(p->rows, g_strdup(vm_id), format_line(status));
	if (g_get_monotonic_time() - p->drawn_at < 200 * 1000 && result == NULL)
		return;
	p->drawn_at = g_get_monotonic_time();
	/* redraw the block of VM lines in place */
	if (p->lines_drawn > 0)
		g_print("\033[%uA", p->lines_drawn);
	for (guint i = 0; i < p->order->len; i++)
		g_print("\033[2K%s\n", (const char *)g_hash_table_lookup(p->rows,
								       g_ptr_array_index(p->order, i)));
	p->lines_drawn = p->order->len;
}

static gboolean
on_signal_cb(gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
	return G_SOURCE_CONTINUE;
}

/* runs everything pending; prints progress; returns the exit status */
static int
plan_run_foreground(FerryCli *cli, FerryRunner *runner, const char *plan_ns, const char *plan)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	Progress p = {cli, isatty(STDOUT_FILENO) && g_getenv("FERRY_NO_TTY") == NULL, 0};
	FerryEngine *engine = ferry_runner_get_engine(runner);
	gulong handler;
	guint sigint, sigterm;
	gboolean ok;
	int status = FERRY_EXIT_OK;

	p.last_phase = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.order = g_ptr_array_new_with_free_func(g_free);
	handler = g_signal_connect(engine, "vm-changed", G_CALLBACK(progress_vm_changed_cb), &p);
	/* the signals are checked between passes: the engine never blocks on one */
	sigint = g_unix_signal_add(SIGINT, on_signal_cb, cancellable);
	sigterm = g_unix_signal_add(SIGTERM, on_signal_cb, cancellable);
	ok = ferry_runner_run(runner, cancellable, &error);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	g_signal_handler_disconnect(engine, handler);
	progress_clear(&p);
	if (!ok) {
		if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_CANCELLED) ||
		    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_printerr("ferry: interrupted; run `ferry run` to continue where it stopped\n");
			return EXIT_CANCELLED;
		}
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	if (plan != NULL) {
		g_autoptr(JsonNode) node =
		    ferry_engine_get_plan_status(engine, plan_ns, plan, &error);
		JsonArray *history;
		const char *phase = "Succeeded";
		if (node == NULL)
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		history = json_object_get_array_member(json_node_get_object(node), "history");
		if (history != NULL && json_array_get_length(history) > 0)
			phase = json_object_get_string_member(
			    json_array_get_object_element(history, json_array_get_length(history) - 1),
			    "phase");
		if (!cli->quiet)
			g_print("Plan/%s: %s\n", plan, phase);
		if (g_strcmp0(phase, "Failed") == 0)
			status = FERRY_EXIT_FAILURE;
		else if (g_strcmp0(phase, "Canceled") == 0)
			status = EXIT_CANCELLED;
	}
	return status;
}

/* the library checks the plan (ferry_runner_check_plan_ready()); this only
 * prints the blockers and what to do about them */
static gboolean
plan_check_ready(FerryCli *cli, FerryRunner *runner, const char *name, GError **error)
{
	g_autoptr(GPtrArray) blockers =
	    ferry_runner_check_plan_ready(runner, plan_namespace(cli), name, NULL, error);
	g_autoptr(JsonArray) array = NULL;
	g_autoptr(JsonNode) node = NULL;

	if (blockers == NULL)
		return FALSE;
	if (blockers->len == 0)
		return TRUE;
	g_printerr("Plan/%s is not ready:\n", name);
	array = json_array_new();
	for (guint i = 0; i < blockers->len; i++) {
		JsonObject *c = g_ptr_array_index(blockers, i);
		g_printerr("  %s: %s\n", json_object_get_string_member_with_default(c, "type", ""),
			   json_object_get_string_member_with_default(c, "message", ""));
		json_array_add_object_element(array, json_object_ref(c));
	}
	node = json_node_init_array(json_node_alloc(), array);
	ferry_cli_print_suggestions(node);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
		    "Plan/%s has blocking conditions; fix them and start it again", name);
	return FALSE;
}

static int
plan_start(FerryCli *cli, int argc, char **argv)
{
	gboolean detach = FALSE;
	g_autofree char *cutover = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autoptr(FerryResource) migration = NULL;
	const GOptionEntry entries[] = {
	    {"detach", 0, 0, G_OPTION_ARG_NONE, &detach,
	     "Only create the Migration; `ferry run` runs it", NULL},
	    {"cutover", 0, 0, G_OPTION_ARG_STRING, &cutover,
	     "Warm plans: cut over at this time (RFC 3339, or 'now')", "TIME"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "NAME",
			     "Start a migration of the plan: creates a Migration resource and, "
			     "unless --detach, runs it in the foreground with progress. Exit "
			     "status 0 when every VM succeeded, 1 when one failed, 6 when "
			     "canceled or interrupted.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2)
		return ferry_cli_usage_error(cli, "give the name of one plan");
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL || !plan_check_ready(cli, runner, argv[1], &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	migration = ferry_runner_create_migration(runner, plan_namespace(cli), argv[1], &error);
	if (migration == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (cutover != NULL) {
		g_autoptr(GDateTime) when = g_strcmp0(cutover, "now") == 0
						? g_date_time_new_now_utc()
						: g_date_time_new_from_iso8601(cutover, NULL);
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_object_unref);
		JsonObject *spec;
		if (when == NULL)
			return ferry_cli_usage_error(cli, "--cutover '%s' is not an RFC 3339 time",
						     cutover);
		text = g_date_time_format(when, "%Y-%m-%dT%H:%M:%SZ");
		spec = ferry_resource_get_spec(migration);
		json_object_set_string_member(spec, "cutover", text);
		g_ptr_array_add(list, g_object_ref(migration));
		if (!ferry_store_apply(ferry_runner_get_store(runner), list, NULL, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	if (!cli->quiet)
		g_print("Migration/%s created for Plan/%s\n", ferry_resource_get_name(migration),
			argv[1]);
	if (detach)
		return FERRY_EXIT_OK;
	return plan_run_foreground(cli, runner, plan_namespace(cli), argv[1]);
}

static int
plan_cutover(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *vm = NULL;
	g_autofree char *at = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autoptr(GDateTime) when = NULL;
	const GOptionEntry entries[] = {
	    {"vm", 0, 0, G_OPTION_ARG_STRING, &vm, "Only this VM (id or name)", "VM"},
	    {"at", 0, 0, G_OPTION_ARG_STRING, &at, "When (RFC 3339; default now)", "TIME"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "NAME",
			     "Set the cutover time of a warm plan's running migration, for all "
			     "VMs or one.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2)
		return ferry_cli_usage_error(cli, "give the name of one plan");
	when = at != NULL ? g_date_time_new_from_iso8601(at, NULL) : g_date_time_new_now_utc();
	if (when == NULL)
		return ferry_cli_usage_error(cli, "--at '%s' is not an RFC 3339 time", at);
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL ||
	    !ferry_runner_cutover(runner, plan_namespace(cli), argv[1], vm, when, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	return FERRY_EXIT_OK;
}

static int
plan_cancel(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *vms = NULL;
	g_auto(GStrv) list = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	const GOptionEntry entries[] = {
	    {"vms", 0, 0, G_OPTION_ARG_STRING, &vms, "VMs to cancel, comma-separated (ids or names)",
	     "A,B"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "NAME",
			     "Cancel VMs of the plan's running migration: their work stops, what "
			     "was created for them is removed, and sources that were running are "
			     "powered back on.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2 || vms == NULL)
		return ferry_cli_usage_error(cli, "give the plan and --vms");
	list = g_strsplit(vms, ",", -1);
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL ||
	    !ferry_runner_cancel(runner, plan_namespace(cli), argv[1], (const char *const *)list,
				 &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	return FERRY_EXIT_OK;
}

static int
plan_archive(FerryCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;

	if (!ferry_cli_parse(cli, &argc, &argv, NULL, "NAME",
			     "Archive a plan: clean up what its migrations still hold (snapshots, "
			     "work files, targets of VMs that did not succeed); migrated VMs stay.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2)
		return ferry_cli_usage_error(cli, "give the name of one plan");
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL ||
	    !ferry_runner_archive(runner, plan_namespace(cli), argv[1], NULL, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	return FERRY_EXIT_OK;
}

static const char *
plan_state(FerryResource *plan)
{
	static const char *const types[] = {"Archived", "Executing", "Failed", "Canceled",
					    "Succeeded", "Ready"};
	for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
		if (ferry_resource_has_condition(plan, types[i]))
			return types[i];
	}
	return ferry_resource_has_blocker(plan) ? "Blocked" : "NotReady";
}

static int
plan_list(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	FerryOutputFormat format;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autoptr(GPtrArray) plans = NULL;
	const GOptionEntry entries[] = {
	    {"output", 'o', 0, G_OPTION_ARG_STRING, &output, "table, json or yaml", "FORMAT"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, NULL, "List plans with their state.",
			     &error) ||
	    !ferry_cli_parse_output(output, TRUE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	plans = ferry_store_list(ferry_runner_get_store(runner), "Plan", cli->name_space, &error);
	if (plans == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	/* the conditions as describe and plan start find them: current */
	for (guint i = 0; i < plans->len; i++) {
		if (!ferry_cli_validate_plan(cli, ferry_runner_get_store(runner),
					     g_ptr_array_index(plans, i), &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	if (format != FERRY_OUTPUT_TABLE) {
		g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
		JsonArray *array = json_array_new();
		for (guint i = 0; i < plans->len; i++)
			json_array_add_element(array, json_node_copy(ferry_resource_get_json(
							  g_ptr_array_index(plans, i))));
		json_node_take_array(root, array);
		if (!ferry_cli_print_node(format, root, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		return FERRY_EXIT_OK;
	}
	{
		g_autoptr(FerryTable) table = ferry_table_new("NAMESPACE", "NAME", "SOURCE", "TARGET",
							      "TYPE", "VMS", "STATE", NULL);
		for (guint i = 0; i < plans->len; i++) {
			FerryResource *plan = g_ptr_array_index(plans, i);
			JsonNode *vms = ferry_resource_get_node(plan, "spec.vms");
			g_autofree char *count = g_strdup_printf(
			    "%u", vms != NULL && JSON_NODE_HOLDS_ARRAY(vms)
				      ? json_array_get_length(json_node_get_array(vms))
				      : 0);
			const char *type = ferry_resource_get_string(plan, "spec.type");
			ferry_table_add_row(table, ferry_resource_get_namespace(plan),
					    ferry_resource_get_name(plan),
					    ferry_resource_get_string(plan, "spec.provider.source.name"),
					    ferry_resource_get_string(plan,
								      "spec.provider.destination.name"),
					    type != NULL ? type
					    : ferry_resource_get_boolean(plan, "spec.warm", FALSE) ? "warm"
												  : "cold",
					    count, plan_state(plan), NULL);
		}
		ferry_table_print(table);
	}
	return FERRY_EXIT_OK;
}

static void
describe_vm(JsonObject *vm)
{
	JsonArray *pipeline = json_object_has_member(vm, "pipeline")
				  ? json_object_get_array_member(vm, "pipeline")
				  : NULL;
	const char *result = outcome(vm);
	g_print("  %s (%s): %s%s%s\n", vm_name(vm),
		json_object_get_string_member_with_default(vm, "id", "?"),
		json_object_get_string_member_with_default(vm, "phase", "Pending"),
		result != NULL ? ", " : "", result != NULL ? result : "");
	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *step = json_array_get_object_element(pipeline, i);
		JsonObject *progress = json_object_get_object_member(step, "progress");
		g_print("    %-28s %-10s %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "\n",
			json_object_get_string_member(step, "name"),
			json_object_get_string_member(step, "phase"),
			json_object_get_int_member(progress, "completed"),
			json_object_get_int_member(progress, "total"));
	}
	if (json_object_has_member(vm, "error")) {
		JsonObject *error = json_object_get_object_member(vm, "error");
		JsonArray *reasons = json_object_get_array_member(error, "reasons");
		g_print("    error in %s:\n", json_object_get_string_member(error, "phase"));
		for (guint i = 0; reasons != NULL && i < json_array_get_length(reasons); i++)
			g_print("      %s\n", json_array_get_string_element(reasons, i));
	}
}

static int
plan_describe(FerryCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autoptr(FerryResource) plan = NULL;
	JsonObject *status;
	JsonArray *conditions, *vms;

	if (!ferry_cli_parse(cli, &argc, &argv, NULL, "NAME",
			     "Show a plan: its conditions with a suggestion each, and the progress "
			     "of every VM of its latest migration.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2)
		return ferry_cli_usage_error(cli, "give the name of one plan");
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL || !ferry_runner_sync(runner, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	plan = ferry_store_get(ferry_runner_get_store(runner), "Plan", plan_namespace(cli), argv[1],
			       &error);
	if (plan == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	g_print("Plan/%s/%s: %s\n", ferry_resource_get_namespace(plan),
		ferry_resource_get_name(plan), plan_state(plan));
	g_print("  source %s, target %s, type %s\n",
		ferry_resource_get_string(plan, "spec.provider.source.name"),
		ferry_resource_get_string(plan, "spec.provider.destination.name"),
		ferry_resource_get_string(plan, "spec.type") != NULL
		    ? ferry_resource_get_string(plan, "spec.type")
		    : "cold");
	status = ferry_resource_get_status(plan);
	conditions = status != NULL && json_object_has_member(status, "conditions")
			 ? json_object_get_array_member(status, "conditions")
			 : NULL;
	g_print("Conditions:\n");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		g_print("  %-28s %-9s %s\n", json_object_get_string_member(c, "type"),
			json_object_get_string_member_with_default(c, "category", ""),
			json_object_get_string_member_with_default(c, "message", ""));
		if (json_object_has_member(c, "suggestion"))
			g_print("  %-28s %-9s suggestion: %s\n", "", "",
				json_object_get_string_member(c, "suggestion"));
	}
	vms = status != NULL && json_object_has_member(status, "migration") &&
		      json_object_has_member(json_object_get_object_member(status, "migration"),
					     "vms")
		  ? json_object_get_array_member(json_object_get_object_member(status, "migration"),
						 "vms")
		  : NULL;
	if (vms != NULL) {
		g_print("VMs:\n");
		for (guint i = 0; i < json_array_get_length(vms); i++)
			describe_vm(json_array_get_object_element(vms, i));
	}
	return FERRY_EXIT_OK;
}

static int
plan_delete(FerryCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autofree char *uid = NULL;

	if (!ferry_cli_parse(cli, &argc, &argv, NULL, "NAME", "Delete a plan that is not running.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2)
		return ferry_cli_usage_error(cli, "give the name of one plan");
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	uid = ferry_runner_dup_active_migration(runner, plan_namespace(cli), argv[1]);
	if (uid != NULL) {
		g_auto(GStrv) running = ferry_engine_list_migrations(ferry_runner_get_engine(runner), TRUE);
		if (g_strv_contains((const char *const *)running, uid))
			return ferry_cli_fail(
			    cli, g_error_new(FERRY_ERROR, FERRY_ERROR_BUSY,
					     "Plan/%s is running migration %s; cancel its VMs first",
					     argv[1], uid));
	}
	if (!ferry_store_delete(ferry_runner_get_store(runner), "Plan", plan_namespace(cli), argv[1],
				&error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	return FERRY_EXIT_OK;
}

static JsonObject *
ref_node(const char *name, const char *name_space)
{
	JsonObject *ref = json_object_new();
	json_object_set_string_member(ref, "name", name);
	json_object_set_string_member(ref, "namespace", name_space);
	return ref;
}

static int
plan_create(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *source = NULL, *target = NULL, *vms = NULL, *network_map = NULL;
	g_autofree char *storage_map = NULL, *type = NULL, *target_ns = NULL, *power = NULL;
	g_autofree char *description = NULL;
	g_autofree char *vms_query = NULL;
	gboolean skip_conversion = FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autoptr(JsonObject) plan = json_object_new();
	JsonObject *metadata = json_object_new(), *spec = json_object_new();
	JsonObject *provider = json_object_new(), *map = json_object_new();
	JsonArray *vm_list = json_array_new();
	g_auto(GStrv) names = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(FerryResource) resource = NULL;
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_object_unref);
	const char *ns = plan_namespace(cli);
	const GOptionEntry entries[] = {
	    {"source", 0, 0, G_OPTION_ARG_STRING, &source, "Source Provider", "P"},
	    {"target", 0, 0, G_OPTION_ARG_STRING, &target, "Destination Provider", "P"},
	    {"vms", 0, 0, G_OPTION_ARG_STRING, &vms, "VM names or ids, comma-separated", "A,B"},
	    {"vms-query", 0, 0, G_OPTION_ARG_STRING, &vms_query,
	     "The VMs an inventory query selects, e.g. \"where memoryMB > 4096\"", "QUERY"},
	    {"network-map", 0, 0, G_OPTION_ARG_STRING, &network_map, "NetworkMap", "M"},
	    {"storage-map", 0, 0, G_OPTION_ARG_STRING, &storage_map, "StorageMap", "M"},
	    {"type", 0, 0, G_OPTION_ARG_STRING, &type, "cold (default), warm or conversion", "T"},
	    {"target-namespace", 0, 0, G_OPTION_ARG_STRING, &target_ns,
	     "Namespace of the migrated VMs (default: the plan's)", "NS"},
	    {"target-power-state", 0, 0, G_OPTION_ARG_STRING, &power, "on, off or auto", "S"},
	    {"skip-guest-conversion", 0, 0, G_OPTION_ARG_NONE, &skip_conversion,
	     "Raw copy: no guest conversion", NULL},
	    {"description", 0, 0, G_OPTION_ARG_STRING, &description, "A description", "TEXT"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "NAME",
			     "Create a Plan resource (the same as applying a Plan manifest).",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2 || source == NULL || target == NULL || (vms == NULL) == (vms_query == NULL) ||
	    network_map == NULL || storage_map == NULL)
		return ferry_cli_usage_error(cli, "give NAME, --source, --target, --vms or "
						  "--vms-query, --network-map and --storage-map");
	json_object_set_string_member(plan, "apiVersion", "forklift.konveyor.io/v1beta1");
	json_object_set_string_member(plan, "kind", "Plan");
	json_object_set_string_member(metadata, "name", argv[1]);
	json_object_set_string_member(metadata, "namespace", ns);
	json_object_set_object_member(plan, "metadata", metadata);
	json_object_set_object_member(provider, "source", ref_node(source, ns));
	json_object_set_object_member(provider, "destination", ref_node(target, ns));
	json_object_set_object_member(spec, "provider", provider);
	json_object_set_object_member(map, "network", ref_node(network_map, ns));
	json_object_set_object_member(map, "storage", ref_node(storage_map, ns));
	json_object_set_object_member(spec, "map", map);
	json_object_set_string_member(spec, "targetNamespace", target_ns != NULL ? target_ns : ns);
	if (type != NULL)
		json_object_set_string_member(spec, "type", type);
	if (power != NULL)
		json_object_set_string_member(spec, "targetPowerState", power);
	if (skip_conversion)
		json_object_set_boolean_member(spec, "skipGuestConversion", TRUE);
	if (description != NULL)
		json_object_set_string_member(spec, "description", description);
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (vms_query != NULL) {
		/* kubectl-mtv's create plan --vms "where …": the query picks the VMs */
		g_autoptr(GPtrArray) selected = NULL;
		if (!ferry_inventory_has_parity(ferry_runner_get_inventory(runner), source) &&
		    !ferry_runner_refresh_inventory(runner, ns, source, NULL, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		selected = ferry_inventory_select_vms(ferry_runner_get_inventory(runner), source,
						      vms_query, &error);
		if (selected == NULL)
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		if (selected->len == 0)
			return ferry_cli_fail(cli, g_error_new(FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
							       "the query selects no VM of Provider/%s",
							       source));
		for (guint i = 0; i < selected->len; i++)
			json_array_add_object_element(
			    vm_list, json_object_ref(g_ptr_array_index(selected, i)));
	} else {
		names = g_strsplit(vms, ",", -1);
		for (guint i = 0; names[i] != NULL; i++) {
			JsonObject *vm = json_object_new();
			g_strstrip(names[i]);
			json_object_set_string_member(vm, "name", names[i]);
			json_array_add_object_element(vm_list, vm);
		}
	}
	json_object_set_array_member(spec, "vms", vm_list);
	json_object_set_object_member(plan, "spec", spec);
	node = json_node_init_object(json_node_alloc(), plan);
	resource = ferry_resource_new_from_json(node, ns, &error);
	if (resource == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	g_ptr_array_add(list, g_object_ref(resource));
	if (!ferry_store_apply(ferry_runner_get_store(runner), list, NULL, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (!cli->quiet)
		g_print("plan/%s created\n", argv[1]);
	return FERRY_EXIT_OK;
}

static const FerryCliVerb plan_verbs[] = {
    {"create", "Create a plan", plan_create},
    {"list", "List plans", plan_list},
    {"describe", "Show a plan, its conditions and its VMs", plan_describe},
    {"start", "Start a migration of the plan", plan_start},
    {"cutover", "Set the cutover time of a warm migration", plan_cutover},
    {"cancel", "Cancel VMs of the running migration", plan_cancel},
    {"archive", "Archive the plan", plan_archive},
    {"delete", "Delete the plan", plan_delete},
};

int
ferry_cmd_plan(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *verb = NULL;
	if (argc < 2 || g_str_has_prefix(argv[1], "-")) {
		FILE *out = argc >= 2 && (g_strcmp0(argv[1], "--help") == 0 ||
					  g_strcmp0(argv[1], "-h") == 0)
				? stdout
				: stderr;
		fprintf(out, "Usage:\n  ferry plan VERB [OPTION…] NAME\n\nVerbs:\n");
		for (guint i = 0; i < G_N_ELEMENTS(plan_verbs); i++)
			fprintf(out, "  %-10s %s\n", plan_verbs[i].name, plan_verbs[i].summary);
		return out == stdout ? FERRY_EXIT_OK : FERRY_EXIT_USAGE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(plan_verbs); i++) {
		if (g_strcmp0(plan_verbs[i].name, argv[1]) == 0) {
			verb = g_strdup_printf("plan %s", argv[1]);
			cli->verb = verb;
			return plan_verbs[i].run(cli, argc - 1, argv + 1);
		}
	}
	return ferry_cli_usage_error(cli, "unknown plan verb '%s'", argv[1]);
}

int
ferry_cmd_run(FerryCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;

	if (!ferry_cli_parse(cli, &argc, &argv, NULL, NULL,
			     "Recover after a crash and run every pending or running migration to "
			     "its end (what to run after `kill -9` or a reboot).",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc > 1)
		return ferry_cli_usage_error(cli, "unexpected argument '%s'", argv[1]);
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	return plan_run_foreground(cli, runner, NULL, NULL);
}

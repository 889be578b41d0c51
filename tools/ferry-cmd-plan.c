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
	GHashTable *failed;	/* vm ids that failed during this run */
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

	if (g_strcmp0(result, "Failed") == 0)
		g_hash_table_add(p->failed, g_strdup(vm_id));
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
	g_autoptr(GHashTable) failed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	Progress p = {cli, isatty(STDOUT_FILENO) && g_getenv("FERRY_NO_TTY") == NULL, 0};
	FerryEngine *engine = ferry_runner_get_engine(runner);
	gulong handler;
	guint sigint, sigterm;
	gboolean ok;
	int status = FERRY_EXIT_OK;

	p.last_phase = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.order = g_ptr_array_new_with_free_func(g_free);
	p.failed = failed;
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
		if (node == NULL && g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			/* the Migration could not start: the warnings say why */
			g_clear_error(&error);
			g_set_error(&error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "Plan/%s did not start (the warnings above say why); fix that, "
				    "then run `ferry run`, or `ferry plan start %s` again",
				    plan, plan);
		}
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
	} else if (g_hash_table_size(failed) > 0) {
		/* `ferry run`: a VM failed on the way */
		status = FERRY_EXIT_FAILURE;
	}
	if (status == FERRY_EXIT_FAILURE) {
		g_autofree char *again =
		    plan != NULL ? g_strdup_printf("`ferry plan start %s`", plan)
				 : g_strdup("`ferry plan start PLAN`");
		g_printerr("ferry: %u VM(s) failed; fix what their errors above name, then %s "
			   "migrates the failed VMs again (those that succeeded are kept); "
			   "`ferry describe plan` shows each step\n",
			   g_hash_table_size(failed), again);
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
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_plan_start(cli, argv[1], cutover);
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
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_plan_cutover(cli, argv[1], vm, when);
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
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_plan_cancel(cli, argv[1], (const char *const *)list);
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
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_plan_archive(cli, argv[1]);
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
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_get(cli, "Plan", NULL, format, FALSE);
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
	JsonArray *pipeline = ferry_json_get_array(vm, "pipeline");
	JsonObject *error = ferry_json_get_object(vm, "error");
	const char *result = outcome(vm);
	g_print("  %s (%s): %s%s%s\n", vm_name(vm), ferry_json_get_string_or(vm, "id", "?"),
		ferry_json_get_string_or(vm, "phase", "Pending"), result != NULL ? ", " : "",
		result != NULL ? result : "");
	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *step = ferry_json_array_object(pipeline, i);
		JsonObject *progress = step != NULL ? ferry_json_get_object(step, "progress") : NULL;
		if (step == NULL)
			continue;
		g_print("    %-28s %-10s %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "\n",
			ferry_json_get_string_or(step, "name", "?"),
			ferry_json_get_string_or(step, "phase", "Pending"),
			ferry_json_get_int_or(progress, "completed", 0),
			ferry_json_get_int_or(progress, "total", 0));
	}
	if (error != NULL) {
		JsonArray *reasons = ferry_json_get_array(error, "reasons");
		g_print("    error in %s:\n", ferry_json_get_string_or(error, "phase", "?"));
		for (guint i = 0; reasons != NULL && i < json_array_get_length(reasons); i++)
			g_print("      %s\n", ferry_json_array_string(reasons, i));
	}
}

/* the VMs of a plan's latest migration, or of a migration, with their
 * pipeline and progress */
void
ferry_cli_print_plan_vms(FerryResource *plan)
{
	JsonNode *vms = ferry_resource_get_node(
	    plan, FERRY_IS_PLAN(plan) ? "status.migration.vms" : "status.vms");
	if (vms == NULL || !JSON_NODE_HOLDS_ARRAY(vms) ||
	    json_array_get_length(json_node_get_array(vms)) == 0)
		return;
	g_print("VMs:\n");
	for (guint i = 0; i < json_array_get_length(json_node_get_array(vms)); i++) {
		JsonNode *vm = json_array_get_element(json_node_get_array(vms), i);
		if (JSON_NODE_HOLDS_OBJECT(vm))
			describe_vm(json_node_get_object(vm));
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
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_describe(cli, "Plan", argv[1]);
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
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_delete(cli, "Plan", (const char *const[]){argv[1], NULL}, NULL,
					    FALSE);
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
	const char *ns;
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
	/* -n may follow the verb: the namespace is known once parsed */
	ns = ferry_cli_cluster_mode(cli) ? ferry_cli_cluster_namespace(cli, &error)
					 : plan_namespace(cli);
	if (ns == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
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
	if (ferry_cli_cluster_mode(cli)) {
		/* the Plan goes to the cluster as `ferry apply` sends it; the
		 * inventory a query needs is ferryd's, not the CLI's */
		if (vms_query != NULL)
			return ferry_cli_usage_error(
			    cli, "--vms-query needs the local inventory; against a cluster, name "
				 "the VMs with --vms");
		names = g_strsplit(vms, ",", -1);
		for (guint i = 0; names[i] != NULL; i++) {
			JsonObject *vm = json_object_new();
			g_strstrip(names[i]);
			json_object_set_string_member(vm, "name", names[i]);
			json_array_add_object_element(vm_list, vm);
		}
		json_object_set_array_member(spec, "vms", vm_list);
		json_object_set_object_member(plan, "spec", spec);
		node = json_node_init_object(json_node_alloc(), plan);
		return ferry_cluster_apply_object(cli, node);
	}
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

/* --- estimate --- */

static char *
format_bytes(JsonObject *object, const char *member)
{
	return g_format_size_full(
		(guint64)json_object_get_int_member_with_default(object, member, 0),
		G_FORMAT_SIZE_IEC_UNITS);
}

static char *
format_seconds(JsonObject *object)
{
	JsonNode *node = json_object_get_member(object, "seconds");
	double seconds;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return g_strdup("-");
	seconds = json_node_get_double(node);
	if (seconds < 60)
		return g_strdup_printf("%.1f s", seconds);
	if (seconds < 3600)
		return g_strdup_printf("%d min %02d s", (int)seconds / 60, (int)seconds % 60);
	return g_strdup_printf("%d h %02d min", (int)seconds / 3600, ((int)seconds % 3600) / 60);
}

static void
print_estimate(JsonObject *estimate)
{
	JsonArray *vms = json_object_get_array_member(estimate, "vms");
	JsonObject *throughput = json_object_get_object_member(estimate, "throughput");
	JsonObject *recorded = ferry_json_get_object(throughput, "recorded");
	const char *source = json_object_get_string_member_with_default(throughput, "source", "");
	g_autoptr(FerryTable) table = ferry_table_new("VM", "DISKS", "CAPACITY", "TO MOVE", "BASIS",
						      "DESTINATION", "TIME", NULL);
	g_autofree char *capacity = format_bytes(estimate, "capacity");
	g_autofree char *bytes = format_bytes(estimate, "bytes");
	g_autofree char *destination = format_bytes(estimate, "destinationBytes");
	g_autofree char *time = format_seconds(estimate);
	g_autofree char *disks = NULL;
	guint n_disks = 0;

	for (guint i = 0; i < json_array_get_length(vms); i++) {
		JsonObject *vm = json_array_get_object_element(vms, i);
		g_autofree char *vm_capacity = format_bytes(vm, "capacity");
		g_autofree char *vm_bytes = format_bytes(vm, "bytes");
		g_autofree char *vm_destination = format_bytes(vm, "destinationBytes");
		g_autofree char *vm_time = format_seconds(vm);
		guint n = json_array_get_length(json_object_get_array_member(vm, "disks"));
		g_autofree char *vm_disks = g_strdup_printf("%u", n);
		n_disks += n;
		ferry_table_add_row(table,
				    json_object_get_string_member_with_default(vm, "name", ""),
				    vm_disks, vm_capacity, vm_bytes,
				    json_object_get_string_member_with_default(vm, "basis", ""),
				    vm_destination, vm_time, NULL);
	}
	disks = g_strdup_printf("%u", n_disks);
	ferry_table_add_row(table, "(plan)", disks, capacity, bytes, "", destination, time, NULL);
	ferry_table_print(table);
	g_print("\n");
	if (json_object_has_member(estimate, "filesystemOverhead"))
		g_print("Destination: PVC requests of %s (%s): capacity rounded up to 1 MiB, "
			"Filesystem volumes with %s %% filesystem overhead, Block volumes plus "
			"%" G_GINT64_FORMAT " bytes.\n",
			json_object_get_string_member_with_default(estimate, "destinationProvider",
								   ""),
			json_object_get_string_member_with_default(estimate, "destinationType", ""),
			json_object_get_string_member(estimate, "filesystemOverhead"),
			json_object_get_int_member_with_default(estimate, "blockOverhead", 0));
	else
		g_print("Destination: the data of sparse image files on %s (%s).\n",
			json_object_get_string_member_with_default(estimate, "destinationProvider",
								   ""),
			json_object_get_string_member_with_default(estimate, "destinationType",
								   ""));
	g_print("To move: the data the source reports per disk (basis allocated), else the "
		"capacity (provisioned).\n");
	if (g_strcmp0(source, "recorded") == 0 && recorded != NULL) {
		g_autofree char *rate = g_format_size_full(
			(guint64)json_object_get_int_member(throughput, "bytesPerSecond"),
			G_FORMAT_SIZE_IEC_UNITS);
		g_autofree char *moved = format_bytes(recorded, "bytes");
		g_print("Time: the copies alone at %s/s, the rate of this machine's last migration "
			"that copied data (Plan/%s: %s in %.1f s of copying, %" G_GINT64_FORMAT
			" disk(s)); give --throughput to assume another.\n",
			rate, json_object_get_string_member_with_default(recorded, "plan", ""),
			moved, json_object_get_double_member_with_default(recorded, "seconds", 0),
			json_object_get_int_member_with_default(recorded, "copies", 0));
	} else if (json_object_get_int_member_with_default(throughput, "bytesPerSecond", 0) > 0) {
		g_autofree char *rate = g_format_size_full(
			(guint64)json_object_get_int_member(throughput, "bytesPerSecond"),
			G_FORMAT_SIZE_IEC_UNITS);
		g_print("Time: the copies alone at the given %s/s.\n", rate);
	} else {
		g_print("Time: unknown; no migration on this machine has copied data yet: give "
			"--throughput RATE (e.g. 200MiB/s).\n");
	}
}

static int
plan_estimate(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	g_autofree char *throughput = NULL;
	FerryOutputFormat format;
	guint64 rate = 0;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = NULL;
	g_autoptr(JsonObject) estimate = NULL;
	const GOptionEntry entries[] = {
		{"throughput", 0, 0, G_OPTION_ARG_STRING, &throughput,
		 "Assume this copy rate (e.g. 200MiB/s) instead of the last one recorded here",
		 "RATE"},
		{"output", 'o', 0, G_OPTION_ARG_STRING, &output, "table, json or yaml", "FORMAT"},
		{NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "NAME",
			     "Predict, per VM and for the plan, the bytes its copies move (the "
			     "data the source reports, else the capacity), the space the "
			     "destination needs (PVC requests with the filesystem overhead) and "
			     "the copy time at --throughput or at the rate of this machine's last "
			     "migration that copied data.",
			     &error) ||
	    !ferry_cli_parse_output(output, TRUE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 2)
		return ferry_cli_usage_error(cli, "give the name of one plan");
	if (ferry_cli_cluster_mode(cli))
		return ferry_cli_usage_error(cli, "plan estimate works on the local state only; "
						  "run it without --kubeconfig and --context");
	if (throughput != NULL) {
		g_autoptr(GError) parse_error = NULL;
		if (!ferry_copy_parse_size(throughput, &rate, &parse_error) || rate == 0)
			return ferry_cli_usage_error(
				cli,
				"--throughput %s: give a rate such as 200MiB/s, "
				"100M or 50MB/s",
				throughput);
	}
	runner = ferry_cli_open_runner(cli, &error);
	if (runner == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	estimate = ferry_runner_estimate_plan(runner, plan_namespace(cli), argv[1], rate, NULL,
					      &error);
	if (estimate == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (format != FERRY_OUTPUT_TABLE) {
		g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), estimate);
		if (!ferry_cli_print_node(format, root, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		return FERRY_EXIT_OK;
	}
	print_estimate(estimate);
	return FERRY_EXIT_OK;
}

static const FerryCliVerb plan_verbs[] = {
	{"create", "Create a plan", plan_create},
	{"list", "List plans", plan_list},
	{"describe", "Show a plan, its conditions and its VMs", plan_describe},
	{"estimate", "Predict the bytes to move, the destination space and the copy time",
	 plan_estimate},
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

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "ferry-cli.h"

#define N_GLOBAL_ENTRIES 7

static void
ferry_cli_fill_global_entries(FerryCli *cli, GOptionEntry entries[N_GLOBAL_ENTRIES])
{
	const GOptionEntry globals[] = {
	    {"state", 0, 0, G_OPTION_ARG_FILENAME, &cli->state_dir,
	     "State directory (default: $FERRY_STATE_DIR or $XDG_STATE_HOME/ferry)", "DIR"},
	    {"namespace", 'n', 0, G_OPTION_ARG_STRING, &cli->name_space,
	     "Namespace of the resources (default: default; on a cluster, the context's)",
	     "NS"},
	    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &cli->quiet, "Print only results and errors",
	     NULL},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &cli->verbose, "Print debug messages", NULL},
	    {"kubeconfig", 0, 0, G_OPTION_ARG_FILENAME, &cli->kubeconfig,
	     "Work on the cluster of this kubeconfig instead of the local state (apply, get, "
	     "describe, delete, plan); $KUBECONFIG alone does not",
	     "FILE"},
	    {"context", 0, 0, G_OPTION_ARG_STRING, &cli->context,
	     "Work on the cluster of this kubeconfig context (of --kubeconfig, else of "
	     "$KUBECONFIG or ~/.kube/config)",
	     "NAME"},
	    {NULL},
	};
	memcpy(entries, globals, sizeof(globals));
}

GOptionGroup *
ferry_cli_global_options(FerryCli *cli)
{
	GOptionEntry entries[N_GLOBAL_ENTRIES];
	GOptionGroup *group =
	    g_option_group_new("global", "Global options:", "Show the global options", cli, NULL);
	ferry_cli_fill_global_entries(cli, entries);
	g_option_group_add_entries(group, entries);
	return group;
}

gboolean
ferry_cli_parse(FerryCli *cli,
		int *argc,
		char ***argv,
		const GOptionEntry *entries,
		const char *parameter_string,
		const char *description,
		GError **error)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autofree char *parameters =
	    g_strdup_printf("%s%s%s", cli->verb, parameter_string != NULL ? " " : "",
			    parameter_string != NULL ? parameter_string : "");

	context = g_option_context_new(parameters);
	if (description != NULL)
		g_option_context_set_summary(context, description);
	if (entries != NULL)
		g_option_context_add_main_entries(context, entries, NULL);
	{
		/* global options are accepted after the verb too, and listed with it */
		GOptionEntry globals[N_GLOBAL_ENTRIES];
		ferry_cli_fill_global_entries(cli, globals);
		/* a verb's own short option wins (inventory's -q is --query) */
		for (guint i = 0; globals[i].long_name != NULL; i++) {
			for (guint j = 0; entries != NULL && entries[j].long_name != NULL; j++) {
				if (globals[i].short_name != 0 &&
				    globals[i].short_name == entries[j].short_name)
					globals[i].short_name = 0;
			}
		}
		g_option_context_add_main_entries(context, globals, NULL);
	}
	if (!g_option_context_parse(context, argc, argv, error)) {
		g_prefix_error(error, "%s: ", cli->verb);
		return FALSE;
	}
	if (cli->verbose)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
	return ferry_cli_cluster_check_verb(cli, error);
}

const char *
ferry_cli_get_state_dir(FerryCli *cli, GError **error)
{
	if (cli->state_dir == NULL) {
		const char *env = g_getenv("FERRY_STATE_DIR");
		if (env != NULL && env[0] != '\0')
			cli->state_dir = g_strdup(env);
		else
			cli->state_dir = g_build_filename(g_get_user_state_dir(), "ferry", NULL);
	}
	if (g_mkdir_with_parents(cli->state_dir, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot create the state directory %s: %s; choose another with "
			    "--state DIR or FERRY_STATE_DIR",
			    cli->state_dir, g_strerror(saved_errno));
		return NULL;
	}
	return cli->state_dir;
}

/* where a verb run by a pod writes its JSON lines: stdout, or the caller's
 * --progress-fd, closed on exec so that the servers and converters the verb
 * starts do not hold the caller's pipe open */
FILE *
ferry_cli_open_progress_output(int fd, GError **error)
{
	FILE *out;
	if (fd < 0)
		return stdout;
	if (fcntl(fd, F_GETFD) < 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--progress-fd %d: not an open file descriptor", fd);
		return NULL;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	out = fdopen(fd, "w");
	if (out == NULL)
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--progress-fd %d: %s", fd, g_strerror(errno));
	return out;
}

FerryPluginRegistry *
ferry_cli_get_registry(FerryCli *cli, GError **error)
{
	if (cli->registry == NULL) {
		g_autoptr(FerryPluginRegistry) registry = ferry_plugin_registry_new();
		if (!ferry_plugin_registry_load(registry, error))
			return NULL;
		cli->registry = g_steal_pointer(&registry);
	}
	return cli->registry;
}

gboolean
ferry_cli_parse_output(const char *text,
		       gboolean allow_yaml,
		       FerryOutputFormat *format,
		       GError **error)
{
	if (text == NULL || g_strcmp0(text, "table") == 0 || g_strcmp0(text, "wide") == 0) {
		*format = FERRY_OUTPUT_TABLE;
		return TRUE;
	}
	if (g_strcmp0(text, "json") == 0) {
		*format = FERRY_OUTPUT_JSON;
		return TRUE;
	}
	if (allow_yaml && g_strcmp0(text, "yaml") == 0) {
		*format = FERRY_OUTPUT_YAML;
		return TRUE;
	}
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "unknown output format '%s'; use %s", text,
		    allow_yaml ? "table, json or yaml" : "table or json");
	return FALSE;
}

int
ferry_cli_fail(FerryCli *cli, GError *error)
{
	int status = ferry_error_to_exit_status(error);
	g_printerr("ferry %s: error: %s\n", cli->verb != NULL ? cli->verb : "", error->message);
	if (error->domain == G_OPTION_ERROR)
		g_printerr("Run 'ferry %s --help' for usage.\n", cli->verb != NULL ? cli->verb : "");
	g_error_free(error);
	return status != 0 ? status : FERRY_EXIT_FAILURE;
}

int
ferry_cli_usage_error(FerryCli *cli, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	return ferry_cli_fail(cli, g_error_new_literal(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
						       message));
}

void
ferry_cli_print_json(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree char *text = NULL;
	json_generator_set_pretty(generator, TRUE);
	json_generator_set_indent(generator, 2);
	json_generator_set_root(generator, node);
	text = json_generator_to_data(generator, NULL);
	g_print("%s\n", text);
}

gboolean
ferry_cli_print_node(FerryOutputFormat format, JsonNode *node, GError **error)
{
	g_autofree char *text = NULL;
	if (format == FERRY_OUTPUT_JSON) {
		ferry_cli_print_json(node);
		return TRUE;
	}
	text = ferry_yaml_to_string(node, error);
	if (text == NULL)
		return FALSE;
	g_print("%s", text);
	return TRUE;
}

struct _FerryTable {
	GPtrArray *rows; /* of GStrv; row 0 is the header */
	guint columns;
};

static FerryTable *
ferry_table_new_valist(const char *first, va_list args)
{
	FerryTable *table = g_new0(FerryTable, 1);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	table->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	for (const char *cell = first; cell != NULL; cell = va_arg(args, const char *))
		g_strv_builder_add(builder, cell);
	g_ptr_array_add(table->rows, g_strv_builder_end(builder));
	table->columns = g_strv_length(g_ptr_array_index(table->rows, 0));
	return table;
}

FerryTable *
ferry_table_new(const char *first_header, ...)
{
	va_list args;
	FerryTable *table;
	va_start(args, first_header);
	table = ferry_table_new_valist(first_header, args);
	va_end(args);
	return table;
}

FerryTable *
ferry_table_new_strv(const char *const *headers)
{
	FerryTable *table = g_new0(FerryTable, 1);
	table->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_ptr_array_add(table->rows, g_strdupv((GStrv)headers));
	table->columns = g_strv_length((GStrv)headers);
	return table;
}

void
ferry_table_add_rowv(FerryTable *table, const char *const *cells)
{
	GStrv row = g_new0(char *, table->columns + 1);
	for (guint i = 0; i < table->columns; i++) {
		const char *cell = (cells != NULL && i < g_strv_length((GStrv)cells)) ? cells[i]
										       : NULL;
		row[i] = g_strdup(cell != NULL && cell[0] != '\0' ? cell : "-");
	}
	g_ptr_array_add(table->rows, row);
}

void
ferry_table_add_row(FerryTable *table, const char *first_cell, ...)
{
	va_list args;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) cells = NULL;
	va_start(args, first_cell);
	for (const char *cell = first_cell; cell != NULL; cell = va_arg(args, const char *))
		g_strv_builder_add(builder, cell);
	va_end(args);
	cells = g_strv_builder_end(builder);
	ferry_table_add_rowv(table, (const char *const *)cells);
}

void
ferry_table_print(FerryTable *table)
{
	g_autofree glong *widths = g_new0(glong, table->columns);
	for (guint r = 0; r < table->rows->len; r++) {
		GStrv row = g_ptr_array_index(table->rows, r);
		for (guint c = 0; c < table->columns; c++)
			widths[c] = MAX(widths[c], g_utf8_strlen(row[c], -1));
	}
	for (guint r = 0; r < table->rows->len; r++) {
		GStrv row = g_ptr_array_index(table->rows, r);
		g_autoptr(GString) line = g_string_new(NULL);
		for (guint c = 0; c < table->columns; c++) {
			g_string_append(line, row[c]);
			if (c + 1 < table->columns) {
				for (glong pad = g_utf8_strlen(row[c], -1); pad < widths[c] + 3;
				     pad++)
					g_string_append_c(line, ' ');
			}
		}
		g_print("%s\n", line->str);
	}
}

void
ferry_table_free(FerryTable *table)
{
	g_ptr_array_unref(table->rows);
	g_free(table);
}

/* --- services the verbs share --- */

FerryStore *
ferry_cli_open_store(FerryCli *cli, GError **error)
{
	const char *state_dir = ferry_cli_get_state_dir(cli, error);
	g_autoptr(GError) plugin_error = NULL;
	if (state_dir == NULL)
		return NULL;
	/* loaded plugins make their provider types known to the checks */
	if (ferry_cli_get_registry(cli, &plugin_error) == NULL)
		g_debug("plugins not loaded: %s", plugin_error->message);
	return ferry_store_new(state_dir, error);
}

/* store + inventory + plugins + engine, for verbs that run or connect */
FerryRunner *
ferry_cli_open_runner(FerryCli *cli, GError **error)
{
	const char *state = ferry_cli_get_state_dir(cli, error);
	FerryPluginRegistry *registry;
	if (state == NULL)
		return NULL;
	registry = ferry_cli_get_registry(cli, error);
	if (registry == NULL)
		return NULL;
	return ferry_runner_new(state, registry, error);
}


FerryInventory *
ferry_cli_open_inventory(FerryCli *cli, GError **error)
{
	g_autofree char *path = NULL;
	const char *state_dir = ferry_cli_get_state_dir(cli, error);
	if (state_dir == NULL)
		return NULL;
	path = g_build_filename(state_dir, "inventory.db", NULL);
	return ferry_inventory_new(path, error);
}

/* the user's rule directories are part of the state: --rules-dir replaces
 * the remembered ones (--rules-dir '' forgets them), and a command without it
 * uses the remembered ones */
GStrv
ferry_cli_rules_dirs(FerryCli *cli, GStrv given, GError **error)
{
	g_autoptr(FerryStore) store = ferry_cli_open_store(cli, error);
	if (store == NULL)
		return NULL;
	if (given != NULL && given[0] != NULL &&
	    !ferry_store_set_rules_directories(store, (const char *const *)given, error))
		return NULL;
	return ferry_store_dup_rules_directories(store);
}

/* the validators, with the user's rule directories (given, else remembered)
 * added to the rules one */
GPtrArray *
ferry_cli_create_validators(FerryCli *cli, GStrv given_dirs, GError **error)
{
	FerryPluginRegistry *registry = ferry_cli_get_registry(cli, error);
	g_auto(GStrv) rules_dirs = NULL;
	GPtrArray *validators;
	if (registry == NULL)
		return NULL;
	rules_dirs = ferry_cli_rules_dirs(cli, given_dirs, error);
	if (rules_dirs == NULL)
		return NULL;
	validators = ferry_plugin_registry_create_validators(registry);
	for (guint i = 0; i < validators->len; i++) {
		FerryValidator *validator = g_ptr_array_index(validators, i);
		if (!FERRY_IS_RULES_VALIDATOR(validator))
			continue;
		for (guint j = 0; rules_dirs != NULL && rules_dirs[j] != NULL; j++)
			ferry_rules_validator_add_directory(FERRY_RULES_VALIDATOR(validator),
							    rules_dirs[j]);
	}
	return validators;
}

/* validates a plan against its source's inventory and saves its conditions:
 * the library's own check (ferry_runner_validate_plan), so every verb says
 * what `plan start` says */
gboolean
ferry_cli_validate_plan(FerryCli *cli, FerryStore *store, FerryPlan *plan, GError **error)
{
	g_autoptr(FerryRunner) runner = ferry_cli_open_runner(cli, error);
	(void)store;
	if (runner == NULL)
		return FALSE;
	return ferry_runner_validate_plan(runner, FERRY_RESOURCE(plan), error);
}

/* what to do about each condition that says */
void
ferry_cli_print_suggestions(JsonNode *conditions)
{
	gboolean first = TRUE;
	for (guint i = 0; conditions != NULL && JSON_NODE_HOLDS_ARRAY(conditions) &&
			  i < json_array_get_length(json_node_get_array(conditions));
	     i++) {
		JsonObject *c = json_array_get_object_element(json_node_get_array(conditions), i);
		const char *suggestion =
			c != NULL
				? json_object_get_string_member_with_default(c, "suggestion", NULL)
				: NULL;
		JsonArray *items = c != NULL && json_object_has_member(c, "items")
					   ? json_object_get_array_member(c, "items")
					   : NULL;
		if (suggestion == NULL)
			continue;
		if (first)
			g_print("Suggestions:\n");
		first = FALSE;
		g_print("  %s: %s\n", json_object_get_string_member_with_default(c, "type", ""),
			suggestion);
		for (guint j = 0; items != NULL && j < json_array_get_length(items); j++)
			g_print("    - %s\n", json_array_get_string_element(items, j));
	}
}

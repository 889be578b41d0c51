/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-cli.h"

int
ferry_cmd_version(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	FerryOutputFormat format;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	    {"output", 'o', 0, G_OPTION_ARG_STRING, &output, "Output format: table or json",
	     "FORMAT"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, NULL,
			     "Print the version of Ferry and its plugin ABI.", &error) ||
	    !ferry_cli_parse_output(output, FALSE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (format == FERRY_OUTPUT_JSON) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		g_autoptr(JsonNode) root = NULL;
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "version");
		json_builder_add_string_value(builder, ferry_version_string());
		json_builder_set_member_name(builder, "pluginAbi");
		json_builder_add_int_value(builder, FERRY_PLUGIN_ABI_VERSION);
		json_builder_set_member_name(builder, "pluginDirectory");
		json_builder_add_string_value(builder,
					      ferry_plugin_registry_get_default_directory());
		json_builder_end_object(builder);
		root = json_builder_get_root(builder);
		ferry_cli_print_json(root);
	} else {
		g_print("ferry %s (plugin ABI %d)\n", ferry_version_string(),
			FERRY_PLUGIN_ABI_VERSION);
	}
	return FERRY_EXIT_OK;
}

static char *
join_names(FerryPluginInfo *info, FerryPluginKind kind)
{
	const char *const *names = ferry_plugin_info_get_names(info, kind);
	return g_strjoinv(",", (GStrv)names);
}

int
ferry_cmd_plugins(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	gboolean no_load = FALSE;
	FerryOutputFormat format;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryPluginRegistry) registry = NULL;
	GPtrArray *plugins;
	gboolean any_broken = FALSE;
	const GOptionEntry entries[] = {
	    {"output", 'o', 0, G_OPTION_ARG_STRING, &output, "Output format: table or json",
	     "FORMAT"},
	    {"no-load", 0, 0, G_OPTION_ARG_NONE, &no_load,
	     "Only read plugin files and .plugin metadata; load nothing", NULL},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, NULL,
			     "List the plugins found in FERRY_PLUGIN_PATH and the plugin "
			     "directory, with the provider types, transfer methods and "
			     "validators each one implements. Plugins that could not be loaded "
			     "are listed with the reason.",
			     &error) ||
	    !ferry_cli_parse_output(output, FALSE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc > 1)
		return ferry_cli_usage_error(cli, "unexpected argument '%s'", argv[1]);

	registry = ferry_plugin_registry_new();
	if (!(no_load ? ferry_plugin_registry_scan(registry, &error)
		      : ferry_plugin_registry_load(registry, &error)))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	plugins = ferry_plugin_registry_get_plugins(registry);

	if (format == FERRY_OUTPUT_JSON) {
		g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
		JsonArray *array = json_array_new();
		for (guint i = 0; i < plugins->len; i++)
			json_array_add_element(array,
					       ferry_plugin_info_to_json(g_ptr_array_index(plugins, i)));
		json_node_take_array(root, array);
		ferry_cli_print_json(root);
	} else {
		g_autoptr(FerryTable) table = ferry_table_new(
		    "NAME", "KIND", "PROVIDER TYPES", "TRANSFER METHODS", "VALIDATORS", "ABI",
		    "STATUS", "FILE", NULL);
		for (guint i = 0; i < plugins->len; i++) {
			FerryPluginInfo *info = g_ptr_array_index(plugins, i);
			g_autofree char *kinds = ferry_plugin_info_dup_kinds(info);
			g_autofree char *providers = join_names(info, FERRY_PLUGIN_KIND_PROVIDER);
			g_autofree char *methods =
			    join_names(info, FERRY_PLUGIN_KIND_TRANSFER_METHOD);
			g_autofree char *validators = join_names(info, FERRY_PLUGIN_KIND_VALIDATOR);
			g_autofree char *abi =
			    ferry_plugin_info_get_abi_version(info) > 0
				? g_strdup_printf("%u", ferry_plugin_info_get_abi_version(info))
				: NULL;
			const char *status = ferry_plugin_info_get_error(info) != NULL ? "skipped"
					     : ferry_plugin_info_get_loaded(info)       ? "loaded"
											: "found";
			ferry_table_add_row(table, ferry_plugin_info_get_name(info), kinds,
					    providers, methods, validators, abi ? abi : "-", status,
					    ferry_plugin_info_get_builtin(info)
						? "(built in)"
						: ferry_plugin_info_get_path(info),
					    NULL);
			if (ferry_plugin_info_get_error(info) != NULL)
				any_broken = TRUE;
		}
		ferry_table_print(table);
		if (any_broken && !cli->quiet)
			g_printerr("Some plugins were skipped; 'ferry plugins -o json' shows why.\n");
	}
	return FERRY_EXIT_OK;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each real plugin's NAME.plugin key file says what the module registers:
 * the same provider types, transfer methods, validators and description.
 * The plugins of this build are found through FERRY_PLUGIN_PATH; their names
 * are the arguments after the test options.
 */

#include <ferry.h>
#include <string.h>

static char **plugin_names;

static FerryPluginInfo *
find_plugin(FerryPluginRegistry *registry, const char *name)
{
	GPtrArray *plugins = ferry_plugin_registry_get_plugins(registry);
	for (guint i = 0; i < plugins->len; i++) {
		FerryPluginInfo *info = g_ptr_array_index(plugins, i);
		if (!ferry_plugin_info_get_builtin(info) &&
		    g_strcmp0(ferry_plugin_info_get_name(info), name) == 0)
			return info;
	}
	return NULL;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* the names of @kind, sorted and joined, so order does not matter */
static char *
dup_names(FerryPluginInfo *info, FerryPluginKind kind)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	const char *const *list = ferry_plugin_info_get_names(info, kind);

	for (guint i = 0; list != NULL && list[i] != NULL; i++)
		g_ptr_array_add(names, (gpointer)list[i]);
	g_ptr_array_sort(names, compare_strings);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(";", (char **)names->pdata);
}

static void
test_metadata_matches_registrations(void)
{
	g_autoptr(FerryPluginRegistry) declared = ferry_plugin_registry_new();
	g_autoptr(FerryPluginRegistry) registered = ferry_plugin_registry_new();
	g_autoptr(GError) error = NULL;
	const FerryPluginKind kinds[] = {FERRY_PLUGIN_KIND_PROVIDER,
					 FERRY_PLUGIN_KIND_TRANSFER_METHOD,
					 FERRY_PLUGIN_KIND_VALIDATOR};

	g_assert_nonnull(plugin_names);
	g_assert_cmpuint(g_strv_length(plugin_names), >, 0);
	/* the key files alone, without loading any module */
	g_assert_true(ferry_plugin_registry_scan(declared, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_plugin_registry_load(registered, &error));
	g_assert_no_error(error);
	for (guint i = 0; plugin_names[i] != NULL; i++) {
		const char *name = plugin_names[i];
		FerryPluginInfo *from_file = find_plugin(declared, name);
		FerryPluginInfo *from_module = find_plugin(registered, name);

		g_test_message("plugin %s", name);
		g_assert_nonnull(from_file);
		g_assert_nonnull(from_module);
		g_assert_false(ferry_plugin_info_get_loaded(from_file));
		g_assert_cmpstr(ferry_plugin_info_get_error(from_module), ==, NULL);
		g_assert_true(ferry_plugin_info_get_loaded(from_module));
		g_assert_cmpstr(ferry_plugin_info_get_description(from_file), ==,
				ferry_plugin_info_get_description(from_module));
		for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
			g_autofree char *in_file = dup_names(from_file, kinds[k]);
			g_autofree char *in_module = dup_names(from_module, kinds[k]);
			if (g_strcmp0(in_file, in_module) != 0)
				g_error("%s.plugin declares %s '%s' but the module registers '%s'",
					name, ferry_plugin_kind_to_string(kinds[k]), in_file,
					in_module);
		}
		{
			/* every plugin registers something */
			g_autofree char *kinds_text = ferry_plugin_info_dup_kinds(from_module);
			g_assert_cmpstr(kinds_text, !=, "");
		}
	}
}

int
main(int argc, char *argv[])
{
	int status;

	g_test_init(&argc, &argv, NULL);
	plugin_names = g_new0(char *, argc);
	for (int i = 1; i < argc; i++)
		plugin_names[i - 1] = g_strdup(argv[i]);

	g_test_add_func("/plugins/metadata-matches-registrations",
			test_metadata_matches_registrations);
	status = g_test_run();
	g_strfreev(plugin_names);
	return status;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* `ferry provider test NAME`: connect as Forklift's provider controller does
 * and record the result in the Provider's status */

#include "config.h"

#include "ferry-cli.h"

/* what the provider's own test found: one line per condition, its
 * category when it is not plain information, its items below it */
static void
provider_print_conditions(JsonArray *conditions)
{
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		const char *category = json_object_get_string_member_with_default(c, "category", "");
		const char *suggestion =
		    json_object_get_string_member_with_default(c, "suggestion", NULL);
		JsonArray *items = json_object_has_member(c, "items")
				       ? json_object_get_array_member(c, "items")
				       : NULL;
		gboolean plain = g_strcmp0(category, "Advisory") == 0 ||
				 g_strcmp0(category, "Required") == 0;

		g_print("  %s%s%s%s: %s\n", json_object_get_string_member_with_default(c, "type", ""),
			plain ? "" : " (", plain ? "" : category, plain ? "" : ")",
			json_object_get_string_member_with_default(c, "message", ""));
		for (guint j = 0; items != NULL && j < json_array_get_length(items); j++)
			g_print("    - %s\n", json_array_get_string_element(items, j));
		if (suggestion != NULL && !plain)
			g_print("    %s\n", suggestion);
	}
}

static int
provider_test(FerryCli *cli, const char *name, FerryOutputFormat format)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = ferry_cli_open_runner(cli, &error);
	g_autoptr(JsonObject) result = NULL;
	const char *name_space = cli->name_space != NULL ? cli->name_space : "default";
	JsonArray *conditions;
	gboolean ready = TRUE;

	if (runner == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	result = ferry_runner_test_provider(runner, name_space, name, NULL, &error);
	if (result == NULL) {
		g_prefix_error(&error, "connection test failed (recorded in the Provider's "
				       "status): ");
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	json_object_set_string_member(result, "provider", name);
	json_object_set_boolean_member(result, "connected", TRUE);
	conditions = json_object_get_array_member(result, "conditions");
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		const char *category = json_object_get_string_member_with_default(c, "category", "");
		if (g_strcmp0(category, "Critical") == 0 || g_strcmp0(category, "Error") == 0)
			ready = FALSE;
	}
	json_object_set_boolean_member(result, "ready", ready);
	if (format == FERRY_OUTPUT_JSON) {
		g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), result);
		ferry_cli_print_json(root);
	} else {
		const char *fingerprint = json_object_get_string_member_with_default(
		    result, "fingerprint", NULL);
		g_print("Provider %s/%s (%s): connected in %.1f s\n", name_space, name,
			json_object_get_string_member(result, "type"),
			json_object_get_double_member(result, "seconds"));
		if (fingerprint != NULL)
			g_print("  server certificate SHA-1 fingerprint: %s\n", fingerprint);
		provider_print_conditions(conditions);
		if (!ready)
			g_print("The Provider is not Ready: fix the Critical conditions above and "
				"run 'ferry provider test %s' again.\n",
				name);
	}
	/* connected, but not usable: scripts must not go on */
	return ready ? FERRY_EXIT_OK : FERRY_EXIT_FAILURE;
}

int
ferry_cmd_provider(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	FerryOutputFormat format;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	    {"output", 'o', 0, G_OPTION_ARG_STRING, &output, "Output format: table or json",
	     "FORMAT"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "test NAME",
			     "'ferry provider test NAME' connects to the Provider NAME with its "
			     "URL, settings and Secret, prints the server certificate's SHA-1 "
			     "fingerprint and what the provider reports about itself (for a "
			     "cluster: its version, KubeVirt and CDI, what the credentials may "
			     "do in the plans' target namespaces), and records the result in "
			     "the Provider's status (ConnectionTestSucceeded, or "
			     "ConnectionTestFailed / ConnectionAuthFailed, ConnectionInsecure, "
			     "the provider's conditions such as InsufficientPrivileges, "
			     "status.fingerprint, status.connectionTest, status.phase), where "
			     "'ferry get providers' shows it. Exit status 1 when the connection "
			     "fails or a Critical condition leaves the Provider not Ready.",
			     &error) ||
	    !ferry_cli_parse_output(output, FALSE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc == 3 && g_strcmp0(argv[1], "test") == 0)
		return provider_test(cli, argv[2], format);
	return ferry_cli_usage_error(cli, "give 'test' and a provider name, such as 'ferry "
					  "provider test vsphere-prod'");
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* `ferry provider test NAME`: connect as Forklift's provider controller does
 * and record the result in the Provider's status */

#include "config.h"

#include "ferry-cli.h"

static int
provider_test(FerryCli *cli, const char *name, FerryOutputFormat format)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryRunner) runner = ferry_cli_open_runner(cli, &error);
	g_autoptr(JsonObject) result = NULL;
	const char *name_space = cli->name_space != NULL ? cli->name_space : "default";

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
	}
	return FERRY_EXIT_OK;
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
			     "fingerprint, and records the result in the Provider's status "
			     "(ConnectionTestSucceeded, or ConnectionTestFailed / "
			     "ConnectionAuthFailed, ConnectionInsecure, status.fingerprint, "
			     "status.phase), where 'ferry get providers' shows it.",
			     &error) ||
	    !ferry_cli_parse_output(output, FALSE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc == 3 && g_strcmp0(argv[1], "test") == 0)
		return provider_test(cli, argv[2], format);
	return ferry_cli_usage_error(cli, "give 'test' and a provider name, such as 'ferry "
					  "provider test vsphere-prod'");
}

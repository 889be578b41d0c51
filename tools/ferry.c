/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ferry-cli.h"

/* one line per verb; each verb parses its own options */
static const FerryCliVerb verbs[] = {
    {"version", "Print the version of Ferry and its plugin ABI", ferry_cmd_version},
    {"plugins", "List plugins, what they implement and why any were skipped",
     ferry_cmd_plugins},
    {"doctor", "Check the programs Ferry relies on, KVM, libguestfs and libvirt",
     ferry_cmd_doctor},
    {"apply", "Create or update resources from Forklift manifests", ferry_cmd_apply},
    {"get", "List resources, or print them as JSON or YAML", ferry_cmd_get},
    {"describe", "Show one resource with its conditions and references", ferry_cmd_describe},
    {"delete", "Delete resources", ferry_cmd_delete},
    {"plan", "Create, start, cut over, cancel, archive and inspect migration plans",
     ferry_cmd_plan},
    {"run", "Resume and finish every pending or running migration", ferry_cmd_run},
    {"copy", "Copy a disk between NBD URIs and local files (sparse, resumable)", ferry_cmd_copy},
    {"transfer", "Copy one source disk as a pull transfer pod does (JSON description)",
     ferry_cmd_transfer},
    {"convert", "Convert a VM's guest in place as a conversion pod does (JSON description)",
     ferry_cmd_convert},
    {"provider", "Test the connection to a provider and record the result",
     ferry_cmd_provider},
    {"inventory", "Query a provider's inventory, load it, list validation rules",
     ferry_cmd_inventory},
};

static FerryCli *global_cli = NULL;

static void
ferry_log_handler(const char *log_domain,
		  GLogLevelFlags log_level,
		  const char *message,
		  gpointer user_data)
{
	if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
		g_log_default_handler(log_domain, log_level, message, user_data);
		return;
	}
	if (log_level & G_LOG_LEVEL_WARNING) {
		fprintf(stderr, "ferry: warning: %s\n", message);
		return;
	}
	if (log_level & G_LOG_LEVEL_MESSAGE) {
		if (global_cli == NULL || !global_cli->quiet)
			fprintf(stderr, "ferry: %s\n", message);
		return;
	}
	g_log_default_handler(log_domain, log_level, message, user_data);
}

static void
ferry_print_verbs(FILE *out)
{
	fprintf(out, "Usage:\n  ferry [GLOBAL OPTION…] VERB [OPTION…]\n\nVerbs:\n");
	for (guint i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(out, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out, "\nRun 'ferry VERB --help' for the options of a verb.\n");
}

static const FerryCliVerb *
ferry_find_verb(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
		if (g_strcmp0(verbs[i].name, name) == 0)
			return &verbs[i];
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	FerryCli cli = {0};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	gboolean show_version = FALSE;
	gboolean show_help = FALSE;
	const GOptionEntry entries[] = {
	    {"help", 'h', 0, G_OPTION_ARG_NONE, &show_help, "Show the verbs", NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &show_version, "Print the version and exit",
	     NULL},
	    {NULL},
	};
	const FerryCliVerb *verb;
	int status;

	setlocale(LC_ALL, "");
	global_cli = &cli;
	g_log_set_default_handler(ferry_log_handler, NULL);

	/* global options end at the verb; the verb parses the rest */
	context = g_option_context_new("VERB [OPTION…]");
	g_option_context_set_strict_posix(context, TRUE);
	g_option_context_set_help_enabled(context, FALSE);
	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_add_group(context, ferry_cli_global_options(&cli));
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("ferry: error: %s\n", error->message);
		ferry_print_verbs(stderr);
		return FERRY_EXIT_USAGE;
	}
	if (show_version)
		return ferry_cmd_version(&cli, 1, (char *[]){"version", NULL});
	if (show_help) {
		ferry_print_verbs(stdout);
		return FERRY_EXIT_OK;
	}
	if (argc < 2) {
		ferry_print_verbs(stderr);
		return FERRY_EXIT_USAGE;
	}
	if (g_strcmp0(argv[1], "help") == 0) {
		if (argc > 2 && ferry_find_verb(argv[2]) != NULL) {
			cli.verb = argv[2];
			return ferry_find_verb(argv[2])->run(&cli, 2,
							    (char *[]){argv[2], "--help", NULL});
		}
		ferry_print_verbs(stdout);
		return FERRY_EXIT_OK;
	}
	verb = ferry_find_verb(argv[1]);
	if (verb == NULL) {
		g_printerr("ferry: error: unknown verb '%s'\n\n", argv[1]);
		ferry_print_verbs(stderr);
		return FERRY_EXIT_USAGE;
	}
	cli.verb = verb->name;
	status = verb->run(&cli, argc - 1, argv + 1);

	g_clear_object(&cli.registry);
	g_clear_object(&cli.kube);
	g_free(cli.kubeconfig);
	g_free(cli.context);
	g_free(cli.state_dir);
	g_free(cli.name_space);
	global_cli = NULL;
	return status;
}

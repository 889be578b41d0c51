/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdio.h>

#include <ferry.h>

G_BEGIN_DECLS

/* exit statuses beyond ferry_error_to_exit_status() */
#define FERRY_EXIT_OK 0
#define FERRY_EXIT_FAILURE 1
#define FERRY_EXIT_USAGE 2

typedef enum {
	FERRY_OUTPUT_TABLE,
	FERRY_OUTPUT_JSON,
	FERRY_OUTPUT_YAML,
} FerryOutputFormat;

/* state shared by every verb: global options and lazily created services */
typedef struct {
	char *state_dir;
	char *name_space;
	gboolean quiet;
	gboolean verbose;
	const char *verb;
	FerryPluginRegistry *registry;
} FerryCli;

typedef int (*FerryCliVerbFunc)(FerryCli *cli, int argc, char **argv);

typedef struct {
	const char *name;
	const char *summary;
	FerryCliVerbFunc run;
} FerryCliVerb;

/* parses a verb's options; the global options are accepted too; on --help
 * prints and exits 0; returns FALSE with @error on a usage error */
gboolean
ferry_cli_parse(FerryCli *cli,
		int *argc,
		char ***argv,
		const GOptionEntry *entries,
		const char *parameter_string,
		const char *description,
		GError **error);
GOptionGroup *
ferry_cli_global_options(FerryCli *cli);
const char *
ferry_cli_get_state_dir(FerryCli *cli, GError **error);
FerryPluginRegistry *
ferry_cli_get_registry(FerryCli *cli, GError **error);
FILE *
ferry_cli_open_progress_output(int fd, GError **error);
gboolean
ferry_cli_parse_output(const char *text, gboolean allow_yaml, FerryOutputFormat *format, GError **error);
int
ferry_cli_fail(FerryCli *cli, GError *error);
int
ferry_cli_usage_error(FerryCli *cli, const char *format, ...) G_GNUC_PRINTF(2, 3);
void
ferry_cli_print_json(JsonNode *node);
/* prints @node as JSON or YAML (table falls back to YAML); FALSE with @error
 * when the value cannot be written */
gboolean
ferry_cli_print_node(FerryOutputFormat format, JsonNode *node, GError **error);

/* a plain column-aligned table, like kubectl's */
typedef struct _FerryTable FerryTable;
FerryTable *
ferry_table_new(const char *first_header, ...) G_GNUC_NULL_TERMINATED;
FerryTable *
ferry_table_new_strv(const char *const *headers);
void
ferry_table_add_row(FerryTable *table, const char *first_cell, ...) G_GNUC_NULL_TERMINATED;
void
ferry_table_add_rowv(FerryTable *table, const char *const *cells);
void
ferry_table_print(FerryTable *table);
void
ferry_table_free(FerryTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryTable, ferry_table_free)

/* the verbs */
int
ferry_cmd_version(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_plugins(FerryCli *cli, int argc, char **argv);
/* services the verbs share (ferry-cli.c) */
FerryStore *
ferry_cli_open_store(FerryCli *cli, GError **error);
FerryRunner *
ferry_cli_open_runner(FerryCli *cli, GError **error);
FerryInventory *
ferry_cli_open_inventory(FerryCli *cli, GError **error);
GPtrArray *
ferry_cli_create_validators(FerryCli *cli, GStrv rules_dirs, GError **error);
GStrv
ferry_cli_rules_dirs(FerryCli *cli, GStrv given, GError **error);
gboolean
ferry_cli_validate_plan(FerryCli *cli, FerryStore *store, FerryPlan *plan, GError **error);
void
ferry_cli_print_suggestions(JsonNode *conditions);

/* resources in the state store (ferry-cmd-resources.c) */
int
ferry_cmd_apply(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_get(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_delete(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_describe(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_plan(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_run(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_copy(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_transfer(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_convert(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_inventory(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_doctor(FerryCli *cli, int argc, char **argv);
int
ferry_cmd_provider(FerryCli *cli, int argc, char **argv);

G_END_DECLS

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
	/* cluster mode: the verbs work on a cluster's API server (ferry-cluster.c) */
	char *kubeconfig;
	char *context;
	const char *verb;
	FerryPluginRegistry *registry;
	FerryKubeClient *kube;
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

/* cluster mode (ferry-cluster.c): --kubeconfig or --context given */
gboolean
ferry_cli_cluster_mode(FerryCli *cli);
gboolean
ferry_cli_cluster_check_verb(FerryCli *cli, GError **error);
/* -n, else the kubeconfig context's namespace, else default */
const char *
ferry_cli_cluster_namespace(FerryCli *cli, GError **error);
int
ferry_cluster_apply(FerryCli *cli, GStrv files, gboolean dry_run, gboolean force_conflicts);
int
ferry_cluster_apply_object(FerryCli *cli, JsonNode *object);
int
ferry_cluster_get(FerryCli *cli,
		  const char *kind,
		  const char *const *names,
		  FerryOutputFormat format,
		  gboolean all_namespaces);
int
ferry_cluster_describe(FerryCli *cli, const char *kind, const char *name);
int
ferry_cluster_delete(FerryCli *cli,
		     const char *kind,
		     const char *const *names,
		     GStrv files,
		     gboolean ignore_not_found);
int
ferry_cluster_plan_start(FerryCli *cli, const char *name, const char *cutover);
int
ferry_cluster_plan_cutover(FerryCli *cli, const char *name, const char *vm, GDateTime *when);
int
ferry_cluster_plan_cancel(FerryCli *cli, const char *name, const char *const *vms);
int
ferry_cluster_plan_archive(FerryCli *cli, const char *name);

/* shared by both modes (ferry-cmd-resources.c, ferry-cmd-plan.c) */
char *
ferry_cli_resource_reference(FerryResource *resource, gboolean quote_name);
const char *
ferry_cli_lookup_kind(const char *name, GError **error);
void
ferry_cli_print_resource_table(const char *kind, GPtrArray *resources, gboolean all_namespaces);
JsonNode *
ferry_cli_list_node(GPtrArray *resources);
void
ferry_cli_describe_resource(FerryResource *resource, FerrySecret *secret, GStrv referrers);
void
ferry_cli_print_plan_vms(FerryResource *plan);
/* the resources of manifests, in apply order (Secrets, Providers, Hosts,
 * maps, Hooks, Plans, Migrations) */
void
ferry_cli_sort_for_apply(GPtrArray *resources);

G_END_DECLS

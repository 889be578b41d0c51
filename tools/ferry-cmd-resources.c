/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ferry-cli.h"

/* the verbs over resources in the state store: apply, get, delete, describe */

static const char *
cli_namespace(FerryCli *cli)
{
	return cli->name_space != NULL ? cli->name_space : "default";
}

/* `plan.forklift.konveyor.io/web-tier`, as kubectl names resources */
char *
ferry_cli_resource_reference(FerryResource *resource, gboolean quote_name)
{
	const char *kind = ferry_resource_get_kind(resource);
	g_autofree char *lower = g_ascii_strdown(kind, -1);
	gboolean core = g_strcmp0(ferry_resource_get_api_version(resource), "v1") == 0;
	g_autofree char *type =
		core ? g_strdup(lower) : g_strdup_printf("%s.%s", lower, FERRY_API_GROUP);
	if (quote_name)
		return g_strdup_printf("%s \"%s\"", type, ferry_resource_get_name(resource));
	return g_strdup_printf("%s/%s", type, ferry_resource_get_name(resource));
}

const char *
ferry_cli_lookup_kind(const char *name, GError **error)
{
	const char *kind = ferry_resource_kind_lookup(name);
	if (kind == NULL)
		g_set_error(
			error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			"unknown kind '%s'; use provider, secret, host, networkmap, storagemap, "
			"plan, migration, hook or forkliftcontroller (plurals work too)",
			name);
	return kind;
}

/* the blockers of a resource, so apply can say what still needs doing */
static void
print_blockers(FerryResource *resource)
{
	JsonNode *conditions = ferry_resource_get_node(resource, "status.conditions");
	g_autofree char *display = ferry_resource_dup_display_name(resource);
	if (conditions == NULL || !JSON_NODE_HOLDS_ARRAY(conditions))
		return;
	for (guint i = 0; i < json_array_get_length(json_node_get_array(conditions)); i++) {
		JsonNode *node = json_array_get_element(json_node_get_array(conditions), i);
		JsonObject *condition;
		const char *category;
		if (!JSON_NODE_HOLDS_OBJECT(node))
			continue;
		condition = json_node_get_object(node);
		category = json_object_get_string_member_with_default(condition, "category", "");
		if (g_strcmp0(category, "Critical") != 0 && g_strcmp0(category, "Error") != 0)
			continue;
		g_printerr("Warning: %s: %s: %s\n", display,
			   json_object_get_string_member_with_default(condition, "type", ""),
			   json_object_get_string_member_with_default(condition, "message", ""));
	}
}

int
ferry_cmd_apply(FerryCli *cli, int argc, char **argv)
{
	g_auto(GStrv) files = NULL;
	gboolean dry_run = FALSE;
	gboolean force_conflicts = FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(GPtrArray) resources = NULL;
	g_autoptr(GArray) outcomes = NULL;
	g_autoptr(FerryStore) store = NULL;
	const GOptionEntry entries[] = {
		{"filename", 'f', 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
		 "A manifest file, a directory of them, or - for standard input (repeatable)",
		 "FILE"},
		{"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
		 "Check the manifests and change nothing", NULL},
		{"force-conflicts", 0, 0, G_OPTION_ARG_NONE, &force_conflicts,
		 "Cluster mode: take over fields another field manager owns (as kubectl apply "
		 "--server-side --force-conflicts)",
		 NULL},
		{NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "-f FILE…",
			     "Create or update resources from Forklift manifests (YAML or JSON). "
			     "Every document is checked first; if any is invalid nothing is "
			     "applied and every problem is listed with its file, line and "
			     "column.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (files == NULL || argc > 1)
		return ferry_cli_usage_error(cli,
					     "give the manifests with -f FILE, -f DIR or -f -");
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_apply(cli, files, dry_run, force_conflicts);

	resources = ferry_manifest_load_paths((const char *const *)files, cli->name_space,
					      &warnings, &error);
	for (guint i = 0; warnings != NULL && i < warnings->len; i++)
		g_printerr("Warning: %s\n", (const char *)g_ptr_array_index(warnings, i));
	if (resources == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (dry_run) {
		for (guint i = 0; i < resources->len; i++) {
			g_autofree char *reference =
				ferry_cli_resource_reference(g_ptr_array_index(resources, i), FALSE);
			g_print("%s valid (dry run)\n", reference);
		}
		return FERRY_EXIT_OK;
	}
	store = ferry_cli_open_store(cli, &error);
	if (store == NULL || !ferry_store_apply(store, resources, &outcomes, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	for (guint i = 0; i < resources->len; i++) {
		FerryResource *resource = g_ptr_array_index(resources, i);
		g_autofree char *reference = ferry_cli_resource_reference(resource, FALSE);
		g_autoptr(FerryResource) stored = NULL;
		const char *const words[] = {"created", "configured", "unchanged"};
		if (!cli->quiet)
			g_print("%s %s\n", reference,
				words[g_array_index(outcomes, FerryApplyOutcome, i)]);
		stored = ferry_store_get(store, ferry_resource_get_kind(resource),
					 ferry_resource_get_namespace(resource),
					 ferry_resource_get_name(resource), NULL);
		if (stored != NULL)
			print_blockers(stored);
	}
	return FERRY_EXIT_OK;
}

/* kubectl's AGE: 45s, 12m, 5h, 3d */
static char *
format_age(const char *timestamp)
{
	g_autoptr(GDateTime) created = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	GTimeSpan span;
	if (timestamp == NULL)
		return g_strdup("");
	created = g_date_time_new_from_iso8601(timestamp, NULL);
	if (created == NULL)
		return g_strdup("");
	span = MAX(g_date_time_difference(now, created) / G_TIME_SPAN_SECOND, 0);
	if (span < 120)
		return g_strdup_printf("%" G_GINT64_FORMAT "s", span);
	if (span < 7200)
		return g_strdup_printf("%" G_GINT64_FORMAT "m", span / 60);
	if (span < 2 * 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "h", span / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT "d", span / 86400);
}

void
ferry_cli_print_resource_table(const char *kind, GPtrArray *resources, gboolean all_namespaces)
{
	g_auto(GStrv) headers = ferry_resource_kind_list_columns(kind);
	g_autoptr(GStrvBuilder) header_builder = g_strv_builder_new();
	g_auto(GStrv) header_row = NULL;
	g_autoptr(FerryTable) table = NULL;
	gboolean secret = g_strcmp0(kind, "Secret") == 0;

	if (all_namespaces)
		g_strv_builder_add(header_builder, "NAMESPACE");
	g_strv_builder_add(header_builder, "NAME");
	g_strv_builder_addv(header_builder, (const char **)headers);
	if (secret)
		g_strv_builder_add(header_builder, "DATA");
	g_strv_builder_add(header_builder, "AGE");
	header_row = g_strv_builder_end(header_builder);
	table = ferry_table_new_strv((const char *const *)header_row);
	for (guint i = 0; i < resources->len; i++) {
		FerryResource *resource = g_ptr_array_index(resources, i);
		g_autoptr(GStrvBuilder) row = g_strv_builder_new();
		g_auto(GStrv) cells = ferry_resource_dup_columns(resource);
		g_auto(GStrv) row_cells = NULL;
		g_autofree char *age = format_age(ferry_resource_get_creation_timestamp(resource));
		if (all_namespaces)
			g_strv_builder_add(row, ferry_resource_get_namespace(resource));
		g_strv_builder_add(row, ferry_resource_get_name(resource));
		g_strv_builder_addv(row, (const char **)cells);
		if (secret) {
			JsonNode *data = ferry_resource_get_node(resource, "data");
			g_autofree char *count = g_strdup_printf(
				"%u", data != NULL && JSON_NODE_HOLDS_OBJECT(data)
					      ? json_object_get_size(json_node_get_object(data))
					      : 0);
			g_strv_builder_add(row, count);
		}
		g_strv_builder_add(row, age);
		row_cells = g_strv_builder_end(row);
		ferry_table_add_rowv(table, (const char *const *)row_cells);
	}
	ferry_table_print(table);
}

JsonNode *
ferry_cli_list_node(GPtrArray *resources)
{
	JsonObject *list = json_object_new();
	JsonArray *items = json_array_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	json_object_set_string_member(list, "apiVersion", "v1");
	json_object_set_string_member(list, "kind", "List");
	for (guint i = 0; i < resources->len; i++)
		json_array_add_element(items, json_node_copy(ferry_resource_get_json(
						      g_ptr_array_index(resources, i))));
	json_object_set_array_member(list, "items", items);
	json_node_take_object(node, list);
	return node;
}

int
ferry_cmd_get(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	gboolean all_namespaces = FALSE;
	FerryOutputFormat format;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryStore) store = NULL;
	g_autoptr(GPtrArray) resources = NULL;
	const char *kind;
	const GOptionEntry entries[] = {
		{"output", 'o', 0, G_OPTION_ARG_STRING, &output,
		 "Output format: table, json or yaml", "FORMAT"},
		{"all-namespaces", 'A', 0, G_OPTION_ARG_NONE, &all_namespaces,
		 "List the resources of every namespace", NULL},
		{NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "KIND [NAME…]",
			     "Show resources: a table, or the whole resources as JSON or YAML "
			     "(Secrets show their keys, never their values).",
			     &error) ||
	    !ferry_cli_parse_output(output, TRUE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc < 2)
		return ferry_cli_usage_error(cli, "give the kind of resources to show, such as "
						  "'ferry get plans'");
	kind = ferry_cli_lookup_kind(argv[1], &error);
	if (kind != NULL && ferry_cli_cluster_mode(cli))
		return ferry_cluster_get(cli, kind, (const char *const *)argv + 2, format,
					 all_namespaces);
	store = kind != NULL ? ferry_cli_open_store(cli, &error) : NULL;
	if (store == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc > 2) {
		resources = g_ptr_array_new_with_free_func(g_object_unref);
		for (int i = 2; i < argc; i++) {
			FerryResource *resource =
				ferry_store_get(store, kind, cli_namespace(cli), argv[i], &error);
			if (resource == NULL)
				return ferry_cli_fail(cli, g_steal_pointer(&error));
			g_ptr_array_add(resources, resource);
		}
	} else {
		resources = ferry_store_list(store, kind,
					     all_namespaces ? NULL : cli_namespace(cli), &error);
		if (resources == NULL)
			return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	/* a plan's conditions as describe and plan start find them: current */
	for (guint i = 0; i < resources->len; i++) {
		FerryResource *resource = g_ptr_array_index(resources, i);
		if (FERRY_IS_PLAN(resource) &&
		    !ferry_cli_validate_plan(cli, store, FERRY_PLAN(resource), &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
	}

	if (format == FERRY_OUTPUT_TABLE) {
		if (resources->len == 0) {
			if (all_namespaces)
				g_printerr("No resources found\n");
			else
				g_printerr("No resources found in %s namespace.\n",
					   cli_namespace(cli));
			return FERRY_EXIT_OK;
		}
		ferry_cli_print_resource_table(kind, resources, all_namespaces);
		return FERRY_EXIT_OK;
	}
	{
		g_autoptr(JsonNode) node = argc == 3 ? json_node_copy(ferry_resource_get_json(
							       g_ptr_array_index(resources, 0)))
						     : ferry_cli_list_node(resources);
		if (!ferry_cli_print_node(format, node, &error))
			return ferry_cli_fail(cli, g_steal_pointer(&error));
	}
	return FERRY_EXIT_OK;
}

/* deletes one resource of the local state; the exit status */
static int
delete_local(FerryCli *cli,
	     FerryStore *store,
	     const char *kind,
	     const char *name_space,
	     const char *name,
	     gboolean ignore_not_found)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) resource =
		ferry_store_get(store, kind, name_space, name, &error);
	g_auto(GStrv) referrers = NULL;
	g_autofree char *reference = NULL;
	if (resource == NULL && ignore_not_found &&
	    g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
		return FERRY_EXIT_OK;
	if (resource == NULL || !ferry_store_delete(store, kind, name_space, name, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	reference = ferry_cli_resource_reference(resource, TRUE);
	if (!cli->quiet)
		g_print("%s deleted\n", reference);
	referrers = ferry_store_list_referrers(store, kind, name_space, name, NULL);
	for (guint r = 0; referrers != NULL && referrers[r] != NULL; r++)
		g_printerr("Warning: %s still refers to it\n", referrers[r]);
	return FERRY_EXIT_OK;
}

int
ferry_cmd_delete(FerryCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryStore) store = NULL;
	g_auto(GStrv) files = NULL;
	g_auto(GStrv) names = NULL;
	gboolean ignore_not_found = FALSE;
	const char *kind = NULL;
	int status = FERRY_EXIT_OK;
	const GOptionEntry entries[] = {
		{"filename", 'f', 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
		 "Delete what these manifests (file, directory or -) name (repeatable)", "FILE"},
		{"ignore-not-found", 0, 0, G_OPTION_ARG_NONE, &ignore_not_found,
		 "A resource that does not exist is not an error", NULL},
		{NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "KIND NAME… | -f FILE…",
			     "Delete resources, by kind and name or those manifests name (in the "
			     "reverse order of apply). Resources that refer to a deleted one say "
			     "so in their conditions.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if ((files == NULL && argc < 3) || (files != NULL && argc > 1))
		return ferry_cli_usage_error(cli, "give the kind and the name, such as 'ferry "
						  "delete plan web-tier', or the manifests with -f");
	if (files == NULL) {
		kind = ferry_cli_lookup_kind(argv[1], &error);
		if (kind == NULL)
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		names = g_new0(char *, argc - 1);
		for (int i = 2; i < argc; i++)
			names[i - 2] = g_strdup(argv[i]);
	}
	if (ferry_cli_cluster_mode(cli))
		return ferry_cluster_delete(cli, kind, (const char *const *)names, files,
					    ignore_not_found);
	store = ferry_cli_open_store(cli, &error);
	if (store == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (files != NULL) {
		g_autoptr(GPtrArray) resources = ferry_manifest_load_paths(
			(const char *const *)files, cli->name_space, NULL, &error);
		if (resources == NULL)
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		ferry_cli_sort_for_apply(resources);
		for (guint i = resources->len; i > 0; i--) {
			FerryResource *resource = g_ptr_array_index(resources, i - 1);
			int one = delete_local(cli, store, ferry_resource_get_kind(resource),
					       ferry_resource_get_namespace(resource),
					       ferry_resource_get_name(resource), ignore_not_found);
			if (one != FERRY_EXIT_OK)
				status = one;
		}
		return status;
	}
	for (guint i = 0; names[i] != NULL; i++) {
		int one = delete_local(cli, store, kind, cli_namespace(cli), names[i],
				       ignore_not_found);
		if (one != FERRY_EXIT_OK)
			status = one;
	}
	return status;
}

static void
print_indented(const char *text, const char *indent)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '\0' && lines[i + 1] == NULL)
			break;
		g_print("%s%s\n", indent, lines[i]);
	}
}

static void
print_map(const char *title, FerryResource *resource, const char *path)
{
	JsonNode *node = ferry_resource_get_node(resource, path);
	JsonObjectIter iter;
	const char *key;
	JsonNode *value;
	gboolean first = TRUE;
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node) ||
	    json_object_get_size(json_node_get_object(node)) == 0) {
		g_print("%-18s<none>\n", title);
		return;
	}
	json_object_iter_init(&iter, json_node_get_object(node));
	while (json_object_iter_next(&iter, &key, &value)) {
		g_autofree char *text =
			JSON_NODE_HOLDS_VALUE(value) &&
					json_node_get_value_type(value) == G_TYPE_STRING
				? g_strdup(json_node_get_string(value))
				: json_to_string(value, FALSE);
		g_print("%-18s%s=%s\n", first ? title : "", key, text);
		first = FALSE;
	}
}

static void
print_conditions(FerryResource *resource)
{
	JsonNode *conditions = ferry_resource_get_node(resource, "status.conditions");
	g_autoptr(FerryTable) table = NULL;
	if (conditions == NULL || !JSON_NODE_HOLDS_ARRAY(conditions) ||
	    json_array_get_length(json_node_get_array(conditions)) == 0)
		return;
	g_print("Conditions:\n");
	table = ferry_table_new("  TYPE", "STATUS", "CATEGORY", "REASON", "MESSAGE", NULL);
	for (guint i = 0; i < json_array_get_length(json_node_get_array(conditions)); i++) {
		JsonNode *node = json_array_get_element(json_node_get_array(conditions), i);
		JsonObject *c;
		g_autofree char *type = NULL;
		if (!JSON_NODE_HOLDS_OBJECT(node))
			continue;
		c = json_node_get_object(node);
		type = g_strconcat("  ", json_object_get_string_member_with_default(c, "type", ""),
				   NULL);
		ferry_table_add_row(
			table, type, json_object_get_string_member_with_default(c, "status", ""),
			json_object_get_string_member_with_default(c, "category", ""),
			json_object_get_string_member_with_default(c, "reason", ""),
			json_object_get_string_member_with_default(c, "message", ""), NULL);
	}
	ferry_table_print(table);
	ferry_cli_print_suggestions(conditions);
}

/* the describe text of a resource, the same in both modes; @secret gives a
 * Secret's keys and sizes, @referrers what refers to it (NULL: not known) */
void
ferry_cli_describe_resource(FerryResource *resource, FerrySecret *secret, GStrv referrers)
{
	JsonObject *spec;
	JsonObject *status;

	g_print("%-18s%s\n", "Name:", ferry_resource_get_name(resource));
	g_print("%-18s%s\n", "Namespace:", ferry_resource_get_namespace(resource));
	g_print("%-18s%s\n", "Kind:", ferry_resource_get_kind(resource));
	g_print("%-18s%s\n", "API Version:", ferry_resource_get_api_version(resource));
	g_print("%-18s%s\n", "UID:", ferry_resource_get_uid(resource));
	g_print("%-18s%" G_GINT64_FORMAT "\n",
		"Generation:", ferry_resource_get_generation(resource));
	g_print("%-18s%s\n", "Resource Version:", ferry_resource_get_resource_version(resource));
	g_print("%-18s%s\n", "Created:", ferry_resource_get_creation_timestamp(resource));
	print_map("Labels:", resource, "metadata.labels");
	print_map("Annotations:", resource, "metadata.annotations");

	if (FERRY_IS_SECRET_RESOURCE(resource)) {
		g_auto(GStrv) keys = secret != NULL ? ferry_secret_list_keys(secret) : NULL;
		g_print("%-18s%s\n", "Type:",
			ferry_secret_resource_get_secret_type(FERRY_SECRET_RESOURCE(resource)) !=
					NULL
				? ferry_secret_resource_get_secret_type(
					  FERRY_SECRET_RESOURCE(resource))
				: "Opaque");
		g_print("Data:\n");
		for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
			g_autoptr(GBytes) value = ferry_secret_get(secret, keys[i]);
			g_print("  %s: %" G_GSIZE_FORMAT " bytes\n", keys[i],
				value != NULL ? g_bytes_get_size(value) : 0);
		}
	}
	spec = ferry_resource_get_spec(resource);
	if (spec != NULL) {
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
		g_autofree char *text = NULL;
		json_node_set_object(node, spec);
		text = ferry_yaml_to_string(node, NULL);
		g_print("Spec:\n");
		if (text != NULL)
			print_indented(text, "  ");
	}
	print_conditions(resource);
	if (g_strcmp0(ferry_resource_get_kind(resource), "Plan") == 0 ||
	    g_strcmp0(ferry_resource_get_kind(resource), "Migration") == 0)
		ferry_cli_print_plan_vms(resource);
	status = ferry_resource_get_status(resource);
	if (status != NULL) {
		g_autoptr(JsonObject) rest = json_object_new();
		JsonObjectIter iter;
		const char *member;
		JsonNode *value;
		json_object_iter_init(&iter, status);
		while (json_object_iter_next(&iter, &member, &value)) {
			if (g_strcmp0(member, "conditions") != 0)
				json_object_set_member(rest, member, json_node_copy(value));
		}
		if (json_object_get_size(rest) > 0) {
			g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
			g_autofree char *text = NULL;
			json_node_set_object(node, rest);
			text = ferry_yaml_to_string(node, NULL);
			g_print("Status:\n");
			if (text != NULL)
				print_indented(text, "  ");
		}
	}
	if (referrers != NULL) {
		g_autofree char *referrer_list =
			referrers[0] != NULL ? g_strjoinv(", ", referrers) : g_strdup("<none>");
		g_print("%-18s%s\n", "Used By:", referrer_list);
	}
}

int
ferry_cmd_describe(FerryCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryStore) store = NULL;
	g_autoptr(FerryResource) resource = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	g_auto(GStrv) referrers = NULL;
	const char *kind;

	if (!ferry_cli_parse(cli, &argc, &argv, NULL, "KIND NAME",
			     "Show one resource in detail: metadata, spec, conditions, a plan's "
			     "VMs with their pipeline, status and what refers to it.",
			     &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 3)
		return ferry_cli_usage_error(cli, "give the kind and the name, such as 'ferry "
						  "describe plan web-tier'");
	kind = ferry_cli_lookup_kind(argv[1], &error);
	if (kind != NULL && ferry_cli_cluster_mode(cli))
		return ferry_cluster_describe(cli, kind, argv[2]);
	store = kind != NULL ? ferry_cli_open_store(cli, &error) : NULL;
	if (store == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	resource = ferry_store_get(store, kind, cli_namespace(cli), argv[2], &error);
	if (resource == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (FERRY_IS_PLAN(resource) &&
	    !ferry_cli_validate_plan(cli, store, FERRY_PLAN(resource), &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (FERRY_IS_SECRET_RESOURCE(resource))
		secret = ferry_store_get_secret(store, ferry_resource_get_namespace(resource),
						ferry_resource_get_name(resource), NULL);
	referrers = ferry_store_list_referrers(store, kind, ferry_resource_get_namespace(resource),
					       ferry_resource_get_name(resource), NULL);
	if (referrers == NULL)
		referrers = g_new0(char *, 1);
	ferry_cli_describe_resource(resource, secret, referrers);
	return FERRY_EXIT_OK;
}

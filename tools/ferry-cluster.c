/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ferry-cli.h"

/* Cluster mode: with --kubeconfig or --context, apply, get, describe, delete
 * and plan start|cutover|cancel|archive work on the Forklift resources of a
 * cluster's API server (through libferry's Kubernetes client) instead of the
 * local state; ferryd, or Forklift, acts on them there. The KUBECONFIG
 * variable alone never switches the mode. */

/* the verbs (as cli->verb names them) that work against a cluster; the rest
 * work on the local state only */
static const char *const cluster_verbs[] = {
	"apply",	"get",		"describe",	 "delete",	"plan start",
	"plan cutover", "plan cancel",	"plan archive",	 "plan list",	"plan describe",
	"plan delete",	"plan create",	"version",	 "plugins",	"doctor",
	NULL,
};

gboolean
ferry_cli_cluster_mode(FerryCli *cli)
{
	return cli->kubeconfig != NULL || cli->context != NULL;
}

gboolean
ferry_cli_cluster_check_verb(FerryCli *cli, GError **error)
{
	static gboolean warned = FALSE;
	if (ferry_cli_cluster_mode(cli) && cli->state_dir != NULL && !warned) {
		g_printerr("Warning: --state %s is not used: --kubeconfig or --context work on "
			   "the cluster\n",
			   cli->state_dir);
		warned = TRUE;
	}
	if (!ferry_cli_cluster_mode(cli) || cli->verb == NULL ||
	    g_strv_contains(cluster_verbs, cli->verb))
		return TRUE;
	if (g_str_has_prefix(cli->verb, "inventory")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "ferry %s reads the local state only, not a cluster; in a cluster, "
			    "ferryd's inventory service answers Forklift's inventory routes (e.g. "
			    "for kubectl-mtv get inventory); drop --kubeconfig and --context to "
			    "query the local inventory",
			    cli->verb);
		return FALSE;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
		    "ferry %s works on the local state only, not on a cluster; drop --kubeconfig "
		    "and --context. Against a cluster, ferry applies, gets, describes and "
		    "deletes resources and starts, cuts over, cancels and archives plans; "
		    "ferryd runs the migrations",
		    cli->verb);
	return FALSE;
}

static FerryKubeClient *
cluster_client(FerryCli *cli, GError **error)
{
	if (cli->kube == NULL) {
		g_autoptr(FerryKubeConfig) config =
			ferry_kube_config_new_from_file(cli->kubeconfig, cli->context, error);
		if (config == NULL)
			return NULL;
		cli->kube = ferry_kube_client_new(config);
		g_debug("cluster mode: %s, API server %s",
			ferry_kube_config_get_origin(config), ferry_kube_config_get_server(config));
	}
	return cli->kube;
}

/* -n, else the context's namespace, else default (as kubectl) */
static const char *
cluster_namespace(FerryCli *cli)
{
	const char *name_space;
	if (cli->name_space != NULL)
		return cli->name_space;
	name_space = cli->kube != NULL
			     ? ferry_kube_config_get_namespace(ferry_kube_client_get_config(cli->kube))
			     : NULL;
	return name_space != NULL && name_space[0] != '\0' ? name_space : "default";
}

const char *
ferry_cli_cluster_namespace(FerryCli *cli, GError **error)
{
	if (cluster_client(cli, error) == NULL)
		return NULL;
	return cluster_namespace(cli);
}

/* `plan.forklift.konveyor.io` or `secret`, as kubectl names types */
static char *
cluster_type_name(const char *kind)
{
	g_autofree char *lower = g_ascii_strdown(kind, -1);
	if (g_strcmp0(ferry_resource_kind_get_api_version(kind), "v1") == 0)
		return g_steal_pointer(&lower);
	return g_strdup_printf("%s.%s", lower, FERRY_API_GROUP);
}

/* discovery of @kind: a missing Forklift API group is named as such */
static gboolean
cluster_resolve_kind(FerryKubeClient *kube, const char *kind, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	const char *api_version = ferry_resource_kind_get_api_version(kind);
	g_autofree char *resource =
		ferry_kube_client_resolve_resource(kube, api_version, kind, NULL, NULL, &local_error);
	if (resource != NULL)
		return TRUE;
	if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) &&
	    g_strcmp0(api_version, "v1") != 0) {
		g_debug("%s", local_error->message);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "Forklift's CRDs are not installed in this cluster: the API server %s "
			    "does not serve %s %s; install the forklift.konveyor.io CRDs "
			    "(Forklift's operator, or kubectl apply -f of its CRD manifests) "
			    "before working on %s resources",
			    ferry_kube_config_get_server(ferry_kube_client_get_config(kube)),
			    kind, api_version, kind);
		return FALSE;
	}
	g_propagate_error(error, g_steal_pointer(&local_error));
	return FALSE;
}

/* a resource of the object the API server sent (list items lack apiVersion
 * and kind for built-in types) */
static FerryResource *
cluster_resource(JsonNode *object, const char *kind, GError **error)
{
	JsonObject *root;
	if (object == NULL || !JSON_NODE_HOLDS_OBJECT(object)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "the API server sent a %s that is not an object", kind);
		return NULL;
	}
	root = json_node_get_object(object);
	/* as kubectl shows objects: without the server-side apply bookkeeping */
	if (ferry_json_get_object(root, "metadata") != NULL)
		json_object_remove_member(ferry_json_get_object(root, "metadata"), "managedFields");
	if (ferry_json_get_string(root, "apiVersion") == NULL)
		json_object_set_string_member(root, "apiVersion",
					      ferry_resource_kind_get_api_version(kind));
	if (ferry_json_get_string(root, "kind") == NULL)
		json_object_set_string_member(root, "kind", kind);
	return ferry_resource_new_from_json(object, NULL, error);
}

/* a Secret's values are never printed (as in the local mode): the data, the
 * write-only stringData and kubectl's last-applied copy of them */
static void
redact_secret(FerryResource *resource)
{
	JsonObject *root = json_node_get_object(ferry_resource_get_json(resource));
	const char *const members[] = {"data", "stringData"};
	JsonObject *annotations = ferry_json_get_object(ferry_json_get_object(root, "metadata"),
						       "annotations");
	for (guint m = 0; m < G_N_ELEMENTS(members); m++) {
		JsonObject *data = ferry_json_get_object(root, members[m]);
		g_autoptr(GList) keys = data != NULL ? json_object_get_members(data) : NULL;
		for (GList *k = keys; k != NULL; k = k->next)
			json_object_set_string_member(data, k->data, "[redacted]");
	}
	if (annotations != NULL &&
	    json_object_has_member(annotations, "kubectl.kubernetes.io/last-applied-configuration"))
		json_object_set_string_member(annotations,
					      "kubectl.kubernetes.io/last-applied-configuration",
					      "[redacted]");
}

/* the keys and sizes of a Secret's data, for describe */
static FerrySecret *
secret_of(FerryResource *resource)
{
	JsonObject *data = ferry_json_get_object(
		json_node_get_object(ferry_resource_get_json(resource)), "data");
	FerrySecret *secret = ferry_secret_new(ferry_resource_get_name(resource));
	JsonObjectIter iter;
	const char *key;
	JsonNode *value;
	if (data == NULL)
		return secret;
	json_object_iter_init(&iter, data);
	while (json_object_iter_next(&iter, &key, &value)) {
		gsize length = 0;
		g_autofree guchar *bytes = NULL;
		g_autoptr(GBytes) wrapped = NULL;
		if (!JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_STRING)
			continue;
		bytes = g_base64_decode(json_node_get_string(value), &length);
		wrapped = g_bytes_new(bytes, length);
		if (bytes != NULL)
			memset(bytes, 0, length);
		ferry_secret_set(secret, key, wrapped);
	}
	return secret;
}

static int
cluster_fail(FerryCli *cli, GError *error)
{
	return ferry_cli_fail(cli, error);
}

/* --- get, describe --- */

int
ferry_cluster_get(FerryCli *cli,
		  const char *kind,
		  const char *const *names,
		  FerryOutputFormat format,
		  gboolean all_namespaces)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources = g_ptr_array_new_with_free_func(g_object_unref);
	const char *api_version = ferry_resource_kind_get_api_version(kind);
	FerryKubeClient *kube = cluster_client(cli, &error);
	const char *name_space;
	guint named = names != NULL ? g_strv_length((GStrv)names) : 0;

	if (kube == NULL || !cluster_resolve_kind(kube, kind, &error))
		return cluster_fail(cli, g_steal_pointer(&error));
	name_space = cluster_namespace(cli);
	if (named > 0) {
		for (guint i = 0; i < named; i++) {
			g_autoptr(JsonNode) object = ferry_kube_client_get(
				kube, api_version, kind, name_space, names[i], NULL, &error);
			FerryResource *resource =
				object != NULL ? cluster_resource(object, kind, &error) : NULL;
			if (resource == NULL)
				return cluster_fail(cli, g_steal_pointer(&error));
			g_ptr_array_add(resources, resource);
		}
	} else {
		g_autoptr(JsonNode) list =
			ferry_kube_client_list(kube, api_version, kind,
					       all_namespaces ? NULL : name_space, NULL, NULL, &error);
		JsonArray *items;
		if (list == NULL)
			return cluster_fail(cli, g_steal_pointer(&error));
		items = ferry_json_get_array(json_node_get_object(list), "items");
		for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
			FerryResource *resource =
				cluster_resource(json_array_get_element(items, i), kind, &error);
			if (resource == NULL)
				return cluster_fail(cli, g_steal_pointer(&error));
			g_ptr_array_add(resources, resource);
		}
	}
	if (g_strcmp0(kind, "Secret") == 0) {
		for (guint i = 0; i < resources->len; i++)
			redact_secret(g_ptr_array_index(resources, i));
	}
	if (format == FERRY_OUTPUT_TABLE) {
		if (resources->len == 0) {
			if (all_namespaces)
				g_printerr("No resources found\n");
			else
				g_printerr("No resources found in %s namespace.\n", name_space);
			return FERRY_EXIT_OK;
		}
		ferry_cli_print_resource_table(kind, resources, all_namespaces);
		return FERRY_EXIT_OK;
	}
	{
		g_autoptr(JsonNode) node =
			named == 1 ? json_node_copy(ferry_resource_get_json(
					     g_ptr_array_index(resources, 0)))
				   : ferry_cli_list_node(resources);
		if (!ferry_cli_print_node(format, node, &error))
			return cluster_fail(cli, g_steal_pointer(&error));
	}
	return FERRY_EXIT_OK;
}

int
ferry_cluster_describe(FerryCli *cli, const char *kind, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) object = NULL;
	g_autoptr(FerryResource) resource = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	FerryKubeClient *kube = cluster_client(cli, &error);

	if (kube == NULL || !cluster_resolve_kind(kube, kind, &error))
		return cluster_fail(cli, g_steal_pointer(&error));
	object = ferry_kube_client_get(kube, ferry_resource_kind_get_api_version(kind), kind,
				       cluster_namespace(cli), name, NULL, &error);
	resource = object != NULL ? cluster_resource(object, kind, &error) : NULL;
	if (resource == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	if (FERRY_IS_SECRET_RESOURCE(resource)) {
		secret = secret_of(resource);
		redact_secret(resource);
	}
	ferry_cli_describe_resource(resource, secret, NULL);
	return FERRY_EXIT_OK;
}

/* --- manifests --- */

/* one object of the manifests, as written */
typedef struct {
	JsonNode *object;
	char *location; /* FILE or FILE:LINE */
	const char *kind;
	guint rank;
} Document;

static void
document_free(Document *document)
{
	json_node_unref(document->object);
	g_free(document->location);
	g_free(document);
}

static guint
apply_rank(const char *kind)
{
	static const char *const order[] = {"Secret",	  "Provider", "Host",
					    "NetworkMap", "StorageMap", "Hook",
					    "Plan",	  "Migration", "ForkliftController"};
	for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
		if (g_strcmp0(order[i], kind) == 0)
			return i;
	}
	return G_N_ELEMENTS(order);
}

static gint
compare_resources(gconstpointer a, gconstpointer b)
{
	FerryResource *ra = *(FerryResource *const *)a, *rb = *(FerryResource *const *)b;
	return (gint)apply_rank(ferry_resource_get_kind(ra)) -
	       (gint)apply_rank(ferry_resource_get_kind(rb));
}

void
ferry_cli_sort_for_apply(GPtrArray *resources)
{
	/* g_ptr_array_sort is stable: the files' order stays within a kind */
	g_ptr_array_sort(resources, compare_resources);
}

static gint
compare_documents(gconstpointer a, gconstpointer b)
{
	const Document *da = *(Document *const *)a, *db = *(Document *const *)b;
	return (gint)da->rank - (gint)db->rank;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct {
	char *filename;
	char *contents;
	gsize length;
} ManifestFile;

static void
manifest_file_free(ManifestFile *file)
{
	g_free(file->filename);
	g_free(file->contents);
	g_free(file);
}

/* the files of -f: a file, a directory's *.yaml, *.yml and *.json in name
 * order, or - for standard input (as ferry_manifest_load_paths() reads them) */
static gboolean
read_manifest_files(const char *path, GPtrArray *files, GError **error)
{
	ManifestFile *file;
	if (g_strcmp0(path, "-") != 0 && g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, error);
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
		const char *name;
		if (dir == NULL)
			return FALSE;
		while ((name = g_dir_read_name(dir)) != NULL) {
			if (g_str_has_suffix(name, ".yaml") || g_str_has_suffix(name, ".yml") ||
			    g_str_has_suffix(name, ".json"))
				g_ptr_array_add(names, g_strdup(name));
		}
		g_ptr_array_sort(names, compare_names);
		for (guint i = 0; i < names->len; i++) {
			g_autofree char *child =
				g_build_filename(path, g_ptr_array_index(names, i), NULL);
			if (!read_manifest_files(child, files, error))
				return FALSE;
		}
		return TRUE;
	}
	file = g_new0(ManifestFile, 1);
	file->filename = g_strdup(path);
	g_ptr_array_add(files, file);
	if (g_strcmp0(path, "-") == 0) {
		g_autoptr(GIOChannel) channel = g_io_channel_unix_new(0);
		g_io_channel_set_encoding(channel, NULL, NULL);
		if (g_io_channel_read_to_end(channel, &file->contents, &file->length, error) !=
		    G_IO_STATUS_NORMAL) {
			g_prefix_error(error, "cannot read standard input: ");
			return FALSE;
		}
		if (file->contents == NULL)
			file->contents = g_strdup("");
		return TRUE;
	}
	return g_file_get_contents(path, &file->contents, &file->length, error);
}

/* what the API server sets is not sent: an object exported with `get -o
 * yaml` (from the local state or another cluster) applies as a new one */
static void
strip_server_fields(JsonNode *object)
{
	static const char *const members[] = {"uid",	       "resourceVersion",
					      "generation",    "creationTimestamp",
					      "managedFields", "selfLink",
					      "deletionTimestamp"};
	JsonObject *root = json_node_get_object(object);
	JsonObject *metadata = ferry_json_get_object(root, "metadata");
	for (guint i = 0; metadata != NULL && i < G_N_ELEMENTS(members); i++)
		json_object_remove_member(metadata, members[i]);
	json_object_remove_member(root, "status");
}

/* reads the manifests, checks them as the local mode does (nothing is sent
 * if one is invalid) and returns the objects as written, in apply order,
 * each with its namespace */
static GPtrArray *
load_documents(FerryCli *cli,
	       GStrv paths,
	       const char *text,
	       const char *name_space,
	       GError **error)
{
	g_autoptr(GPtrArray) files =
		g_ptr_array_new_with_free_func((GDestroyNotify)manifest_file_free);
	g_autoptr(GPtrArray) documents =
		g_ptr_array_new_with_free_func((GDestroyNotify)document_free);
	g_autoptr(GString) problems = g_string_new(NULL);

	for (guint i = 0; paths != NULL && paths[i] != NULL; i++) {
		if (!read_manifest_files(paths[i], files, error))
			return NULL;
	}
	if (text != NULL) {
		ManifestFile *file = g_new0(ManifestFile, 1);
		file->filename = g_strdup(cli->verb);
		file->contents = g_strdup(text);
		file->length = strlen(text);
		g_ptr_array_add(files, file);
	}
	/* the same checks as the local mode: schema, names, -n */
	for (guint i = 0; i < files->len; i++) {
		ManifestFile *file = g_ptr_array_index(files, i);
		g_autoptr(GError) local_error = NULL;
		g_autoptr(GPtrArray) warnings = NULL;
		g_autoptr(GPtrArray) resources =
			ferry_manifest_load_data(file->contents, (gssize)file->length,
						 file->filename, cli->name_space, &warnings,
						 &local_error);
		for (guint w = 0; warnings != NULL && w < warnings->len; w++)
			g_printerr("Warning: %s\n", (const char *)g_ptr_array_index(warnings, w));
		if (resources == NULL)
			g_string_append_printf(problems, "%s%s", problems->len > 0 ? "\n" : "",
					       local_error->message);
	}
	if (problems->len > 0) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, problems->str);
		return NULL;
	}
	for (guint i = 0; i < files->len; i++) {
		ManifestFile *file = g_ptr_array_index(files, i);
		g_autoptr(GPtrArray) parsed = ferry_yaml_parse_data(
			file->contents, (gssize)file->length, file->filename, error);
		if (parsed == NULL)
			return NULL;
		for (guint d = 0; d < parsed->len; d++) {
			FerryYamlDocument *yaml = g_ptr_array_index(parsed, d);
			JsonNode *root = ferry_yaml_document_get_root(yaml);
			JsonObject *object =
				root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root)
									      : NULL;
			JsonArray *items = g_strcmp0(ferry_json_get_string(object, "kind"), "List") == 0
						   ? ferry_json_get_array(object, "items")
						   : NULL;
			guint count = items != NULL ? json_array_get_length(items) : 1;
			g_autofree char *location = ferry_yaml_document_format_location(yaml, "");
			if (object == NULL)
				continue;
			for (guint k = 0; k < count; k++) {
				JsonNode *node =
					items != NULL ? json_array_get_element(items, k) : root;
				Document *document;
				JsonObject *metadata;
				if (!JSON_NODE_HOLDS_OBJECT(node))
					continue;
				document = g_new0(Document, 1);
				document->object = json_node_copy(node);
				document->location = g_strdup(location);
				document->kind = ferry_resource_kind_lookup(ferry_json_get_string(
					json_node_get_object(document->object), "kind"));
				document->rank = apply_rank(document->kind);
				metadata = ferry_json_get_object(
					json_node_get_object(document->object), "metadata");
				if (metadata != NULL &&
				    ferry_json_get_string(metadata, "namespace") == NULL)
					json_object_set_string_member(metadata, "namespace",
								      name_space);
				strip_server_fields(document->object);
				g_ptr_array_add(documents, document);
			}
		}
	}
	g_ptr_array_sort(documents, compare_documents);
	return g_steal_pointer(&documents);
}

static const char *
document_string(Document *document, const char *member)
{
	JsonObject *root = json_node_get_object(document->object);
	if (g_strcmp0(member, "name") == 0 || g_strcmp0(member, "namespace") == 0)
		return ferry_json_get_string(ferry_json_get_object(root, "metadata"), member);
	return ferry_json_get_string(root, member);
}

/* --- apply --- */

/* sends @files, else @text, with server-side apply in apply order */
static int
cluster_apply(FerryCli *cli,
	      GStrv files,
	      const char *text,
	      gboolean dry_run,
	      gboolean force_conflicts)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) documents = NULL;
	FerryKubeClient *kube = cluster_client(cli, &error);

	if (kube == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	documents = load_documents(cli, files, text, cluster_namespace(cli), &error);
	if (documents == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	for (guint i = 0; i < documents->len; i++) {
		Document *document = g_ptr_array_index(documents, i);
		if (!cluster_resolve_kind(kube, document->kind, &error))
			return cluster_fail(cli, g_steal_pointer(&error));
	}
	for (guint i = 0; i < documents->len; i++) {
		Document *document = g_ptr_array_index(documents, i);
		const char *name = document_string(document, "name");
		const char *name_space = document_string(document, "namespace");
		g_autofree char *type = cluster_type_name(document->kind);
		g_autoptr(JsonNode) before = NULL;
		g_autoptr(JsonNode) after = NULL;
		g_autoptr(GError) local_error = NULL;
		const char *outcome;

		if (dry_run) {
			g_print("%s/%s valid (dry run)\n", type, name);
			continue;
		}
		before = ferry_kube_client_get(kube, document_string(document, "apiVersion"),
					       document->kind, name_space, name, NULL, &local_error);
		if (before == NULL &&
		    !g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			g_propagate_error(&error, g_steal_pointer(&local_error));
		} else {
			g_clear_error(&local_error);
			after = ferry_kube_client_apply(kube, document->object, force_conflicts, NULL,
							&error);
		}
		if (after == NULL) {
			g_prefix_error(&error, "%s/%s (%s): ", type, name, document->location);
			if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_BUSY) &&
			    strstr(error->message, "onflict") != NULL && !force_conflicts) {
				g_autofree char *message = g_strdup_printf(
					"%s; run again with --force-conflicts to take these fields "
					"over (as kubectl apply --server-side --force-conflicts)",
					error->message);
				g_free(error->message);
				error->message = g_steal_pointer(&message);
			}
			if (i > 0)
				g_printerr("ferry apply: %u of %u objects were applied before this "
					   "error; the rest were not sent\n",
					   i, documents->len);
			return cluster_fail(cli, g_steal_pointer(&error));
		}
		if (before == NULL)
			outcome = "created";
		else if (g_strcmp0(ferry_json_get_string(
					   ferry_json_get_object(json_node_get_object(before),
								 "metadata"),
					   "resourceVersion"),
				   ferry_json_get_string(
					   ferry_json_get_object(json_node_get_object(after),
								 "metadata"),
					   "resourceVersion")) == 0)
			outcome = "unchanged";
		else
			outcome = "configured";
		if (!cli->quiet)
			g_print("%s/%s %s\n", type, name, outcome);
	}
	return FERRY_EXIT_OK;
}

int
ferry_cluster_apply(FerryCli *cli, GStrv files, gboolean dry_run, gboolean force_conflicts)
{
	return cluster_apply(cli, files, NULL, dry_run, force_conflicts);
}

int
ferry_cluster_apply_object(FerryCli *cli, JsonNode *object)
{
	g_autofree char *text = json_to_string(object, TRUE);
	return cluster_apply(cli, NULL, text, FALSE, FALSE);
}

/* --- delete --- */

static int
cluster_delete_one(FerryCli *cli,
		   FerryKubeClient *kube,
		   const char *kind,
		   const char *name_space,
		   const char *name,
		   gboolean ignore_not_found)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *type = cluster_type_name(kind);
	if (!ferry_kube_client_delete(kube, ferry_resource_kind_get_api_version(kind), kind,
				      name_space, name, FERRY_KUBE_PROPAGATION_DEFAULT, NULL,
				      &error)) {
		if (ignore_not_found && g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return FERRY_EXIT_OK;
		return cluster_fail(cli, g_steal_pointer(&error));
	}
	if (!cli->quiet)
		g_print("%s \"%s\" deleted\n", type, name);
	return FERRY_EXIT_OK;
}

int
ferry_cluster_delete(FerryCli *cli,
		     const char *kind,
		     const char *const *names,
		     GStrv files,
		     gboolean ignore_not_found)
{
	g_autoptr(GError) error = NULL;
	FerryKubeClient *kube = cluster_client(cli, &error);
	int status = FERRY_EXIT_OK;

	if (kube == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	if (files != NULL) {
		g_autoptr(GPtrArray) documents =
			load_documents(cli, files, NULL, cluster_namespace(cli), &error);
		if (documents == NULL)
			return cluster_fail(cli, g_steal_pointer(&error));
		for (guint i = documents->len; i > 0; i--) {
			Document *document = g_ptr_array_index(documents, i - 1);
			int one;
			if (!cluster_resolve_kind(kube, document->kind, &error))
				return cluster_fail(cli, g_steal_pointer(&error));
			one = cluster_delete_one(cli, kube, document->kind,
						 document_string(document, "namespace"),
						 document_string(document, "name"), ignore_not_found);
			if (one != FERRY_EXIT_OK)
				status = one;
		}
		return status;
	}
	if (!cluster_resolve_kind(kube, kind, &error))
		return cluster_fail(cli, g_steal_pointer(&error));
	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		int one = cluster_delete_one(cli, kube, kind, cluster_namespace(cli), names[i],
					     ignore_not_found);
		if (one != FERRY_EXIT_OK)
			status = one;
	}
	return status;
}

/* --- plan start, cutover, cancel, archive (as kubectl-mtv does them) --- */

static gboolean
condition_true(JsonNode *object, const char *type)
{
	JsonArray *conditions = ferry_json_get_array(
		ferry_json_get_object(json_node_get_object(object), "status"), "conditions");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *c = ferry_json_array_object(conditions, i);
		if (g_strcmp0(ferry_json_get_string(c, "type"), type) == 0)
			return g_strcmp0(ferry_json_get_string(c, "status"), "True") == 0;
	}
	return FALSE;
}

static JsonNode *
cluster_get_plan(FerryCli *cli, FerryKubeClient **kube, const char *name, GError **error)
{
	*kube = cluster_client(cli, error);
	if (*kube == NULL || !cluster_resolve_kind(*kube, "Plan", error) ||
	    !cluster_resolve_kind(*kube, "Migration", error))
		return NULL;
	return ferry_kube_client_get(*kube, ferry_resource_kind_get_api_version("Plan"), "Plan",
				     cluster_namespace(cli), name, NULL, error);
}

int
ferry_cluster_plan_start(FerryCli *cli, const char *name, const char *cutover)
{
	g_autoptr(GError) error = NULL;
	FerryKubeClient *kube = NULL;
	g_autoptr(JsonNode) plan = cluster_get_plan(cli, &kube, name, &error);
	g_autoptr(JsonNode) created = NULL;
	g_autoptr(GDateTime) when = NULL;
	JsonObject *plan_root, *spec;
	JsonObject *migration, *metadata, *owner, *migration_spec, *reference;
	JsonArray *owners;
	const char *uid, *name_space = cluster_namespace(cli);
	gboolean warm;
	const char *budget = NULL;

	if (plan == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	plan_root = json_node_get_object(plan);
	spec = ferry_json_get_object(plan_root, "spec");
	uid = ferry_json_get_string(ferry_json_get_object(plan_root, "metadata"), "uid");
	if (!condition_true(plan, "Ready")) {
		JsonArray *conditions = ferry_json_get_array(
			ferry_json_get_object(plan_root, "status"), "conditions");
		g_printerr("Plan/%s is not ready:\n", name);
		for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions);
		     i++) {
			JsonObject *c = ferry_json_array_object(conditions, i);
			const char *category = ferry_json_get_string(c, "category");
			if (g_strcmp0(category, "Critical") == 0 || g_strcmp0(category, "Error") == 0)
				g_printerr("  %s: %s\n", ferry_json_get_string_or(c, "type", ""),
					   ferry_json_get_string_or(c, "message", ""));
		}
		return cluster_fail(
			cli, g_error_new(FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
					 "Plan/%s in namespace %s has no Ready condition; ferryd "
					 "(or Forklift) sets it once the plan checks out; see "
					 "'ferry describe plan %s'",
					 name, name_space, name));
	}
	if (condition_true(plan, "Executing"))
		return cluster_fail(cli, g_error_new(FERRY_ERROR, FERRY_ERROR_BUSY,
						     "Plan/%s already has a running migration",
						     name));
	if (condition_true(plan, "Succeeded"))
		return cluster_fail(cli, g_error_new(FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
						     "Plan/%s has already succeeded", name));
	{
		/* (the key has dots: not a path) */
		JsonObject *annotations =
		    ferry_json_get_object(ferry_json_get_object(plan_root, "metadata"), "annotations");
		budget = annotations != NULL ? json_object_get_string_member_with_default(
						   annotations, "ferry.konveyor.io/downtime-budget", NULL)
					     : NULL;
	}
	warm = ferry_json_get_bool_or(spec, "warm", FALSE) ||
	       g_strcmp0(ferry_json_get_string(spec, "type"), "warm") == 0;
	if (cutover != NULL) {
		when = g_strcmp0(cutover, "now") == 0 ? g_date_time_new_now_utc()
						      : g_date_time_new_from_iso8601(cutover, NULL);
		if (when == NULL)
			return ferry_cli_usage_error(cli, "--cutover '%s' is not an RFC 3339 time",
						     cutover);
	}
	if (!warm && when != NULL) {
		g_printerr("Warning: Plan/%s is not warm; the cutover time is ignored\n", name);
		g_clear_pointer(&when, g_date_time_unref);
	} else if (warm && when == NULL && budget != NULL) {
		g_printerr("Plan/%s has the downtime budget %s: it cuts over on its own once the "
			   "predicted downtime fits (or at a time set with 'ferry plan cutover')\n",
			   name, budget);
	} else if (warm && when == NULL) {
		g_autoptr(GDateTime) now = g_date_time_new_now_utc();
		g_autofree char *text = NULL;
		when = g_date_time_add_hours(now, 1);
		text = g_date_time_format(when, "%Y-%m-%dT%H:%M:%SZ");
		g_printerr("Warning: no --cutover for a warm plan: it cuts over at %s (an hour "
			   "from now, as kubectl-mtv does); change it with 'ferry plan cutover'\n",
			   text);
	}

	/* a Migration owned by the plan, named after it, as kubectl-mtv makes it */
	migration = json_object_new();
	json_object_set_string_member(migration, "apiVersion",
				      ferry_resource_kind_get_api_version("Migration"));
	json_object_set_string_member(migration, "kind", "Migration");
	metadata = json_object_new();
	{
		g_autofree char *prefix = g_strdup_printf("%s-", name);
		json_object_set_string_member(metadata, "generateName", prefix);
	}
	json_object_set_string_member(metadata, "namespace", name_space);
	owner = json_object_new();
	json_object_set_string_member(owner, "apiVersion",
				      ferry_resource_kind_get_api_version("Plan"));
	json_object_set_string_member(owner, "kind", "Plan");
	json_object_set_string_member(owner, "name", name);
	json_object_set_string_member(owner, "uid", uid != NULL ? uid : "");
	owners = json_array_new();
	json_array_add_object_element(owners, owner);
	json_object_set_array_member(metadata, "ownerReferences", owners);
	json_object_set_object_member(migration, "metadata", metadata);
	migration_spec = json_object_new();
	reference = json_object_new();
	json_object_set_string_member(reference, "name", name);
	json_object_set_string_member(reference, "namespace", name_space);
	json_object_set_string_member(reference, "uid", uid != NULL ? uid : "");
	json_object_set_object_member(migration_spec, "plan", reference);
	if (when != NULL) {
		g_autofree char *text = g_date_time_format(when, "%Y-%m-%dT%H:%M:%SZ");
		json_object_set_string_member(migration_spec, "cutover", text);
	}
	json_object_set_object_member(migration, "spec", migration_spec);
	{
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), migration);
		json_object_unref(migration);
		created = ferry_kube_client_create(kube, node, NULL, &error);
	}
	if (created == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	if (!cli->quiet)
		g_print("migration.%s/%s created for Plan/%s\n", FERRY_API_GROUP,
			ferry_json_get_string(
				ferry_json_get_object(json_node_get_object(created), "metadata"),
				"name"),
			name);
	return FERRY_EXIT_OK;
}

/* the plan's latest Migration that has not ended */
static JsonNode *
running_migration(FerryCli *cli, FerryKubeClient *kube, const char *plan, GError **error)
{
	g_autoptr(JsonNode) list = ferry_kube_client_list(
		kube, ferry_resource_kind_get_api_version("Migration"), "Migration",
		cluster_namespace(cli), NULL, NULL, error);
	JsonArray *items;
	JsonNode *best = NULL;
	const char *best_created = NULL;
	if (list == NULL)
		return NULL;
	items = ferry_json_get_array(json_node_get_object(list), "items");
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonNode *item = json_array_get_element(items, i);
		JsonObject *root = JSON_NODE_HOLDS_OBJECT(item) ? json_node_get_object(item) : NULL;
		const char *created = ferry_json_get_string(ferry_json_get_object(root, "metadata"),
							    "creationTimestamp");
		if (root == NULL ||
		    g_strcmp0(ferry_json_get_string(
				      ferry_json_get_object(ferry_json_get_object(root, "spec"),
							    "plan"),
				      "name"),
			      plan) != 0 ||
		    condition_true(item, "Succeeded") || condition_true(item, "Failed") ||
		    condition_true(item, "Canceled"))
			continue;
		if (best == NULL || g_strcmp0(created, best_created) >= 0) {
			best = item;
			best_created = created;
		}
	}
	if (best == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "Plan/%s in namespace %s has no running migration; start one with "
			    "'ferry plan start %s'",
			    plan, cluster_namespace(cli), plan);
		return NULL;
	}
	return json_node_copy(best);
}

static int
patch_spec(FerryCli *cli,
	   FerryKubeClient *kube,
	   const char *kind,
	   const char *name,
	   JsonObject *spec_patch,
	   const char *what)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) patch = json_object_new();
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(JsonNode) result = NULL;
	g_autofree char *type = cluster_type_name(kind);
	json_object_set_object_member(patch, "spec", spec_patch);
	node = json_node_init_object(json_node_alloc(), patch);
	result = ferry_kube_client_patch(kube, ferry_resource_kind_get_api_version(kind), kind,
					 cluster_namespace(cli), name, NULL, FERRY_KUBE_PATCH_MERGE,
					 node, NULL, &error);
	if (result == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	if (!cli->quiet)
		g_print("%s/%s %s\n", type, name, what);
	return FERRY_EXIT_OK;
}

int
ferry_cluster_plan_cutover(FerryCli *cli, const char *name, const char *vm, GDateTime *when)
{
	g_autoptr(GError) error = NULL;
	FerryKubeClient *kube = NULL;
	g_autoptr(JsonNode) plan = cluster_get_plan(cli, &kube, name, &error);
	g_autoptr(JsonNode) migration = NULL;
	g_autofree char *text = g_date_time_format(when, "%Y-%m-%dT%H:%M:%SZ");
	g_autofree char *what = NULL;
	JsonObject *spec;

	if (plan == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	if (vm != NULL)
		return cluster_fail(cli, g_error_new(FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
						     "--vm: Forklift's Migration has one cutover "
						     "time for all its VMs (spec.cutover); leave "
						     "--vm out in cluster mode"));
	migration = running_migration(cli, kube, name, &error);
	if (migration == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	spec = json_object_new();
	json_object_set_string_member(spec, "cutover", text);
	what = g_strdup_printf("cutover at %s (Plan/%s)", text, name);
	return patch_spec(
		cli, kube, "Migration",
		ferry_json_get_string(
			ferry_json_get_object(json_node_get_object(migration), "metadata"), "name"),
		spec, what);
}

int
ferry_cluster_plan_cancel(FerryCli *cli, const char *name, const char *const *vms)
{
	g_autoptr(GError) error = NULL;
	FerryKubeClient *kube = NULL;
	g_autoptr(JsonNode) plan = cluster_get_plan(cli, &kube, name, &error);
	g_autoptr(JsonNode) migration = NULL;
	JsonArray *plan_vms, *existing, *cancel;
	JsonObject *spec;
	g_autofree char *what = NULL;

	if (plan == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	migration = running_migration(cli, kube, name, &error);
	if (migration == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	plan_vms = ferry_json_get_array(ferry_json_get_object(json_node_get_object(plan), "spec"),
					"vms");
	existing = ferry_json_get_array(
		ferry_json_get_object(json_node_get_object(migration), "spec"), "cancel");
	cancel = json_array_new();
	for (guint i = 0; existing != NULL && i < json_array_get_length(existing); i++)
		json_array_add_element(cancel,
				       json_node_copy(json_array_get_element(existing, i)));
	/* each VM by name, else by id, as the plan lists it */
	for (guint v = 0; vms[v] != NULL; v++) {
		JsonObject *found = NULL;
		gboolean already = FALSE;
		const char *id, *vm_name;
		JsonObject *reference;
		for (guint pass = 0; pass < 2 && found == NULL; pass++) {
			for (guint i = 0; plan_vms != NULL && i < json_array_get_length(plan_vms);
			     i++) {
				JsonObject *candidate = ferry_json_array_object(plan_vms, i);
				if (g_strcmp0(ferry_json_get_string(candidate,
								    pass == 0 ? "name" : "id"),
					      vms[v]) == 0) {
					found = candidate;
					break;
				}
			}
		}
		if (found == NULL) {
			json_array_unref(cancel);
			return cluster_fail(cli, g_error_new(FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
							     "Plan/%s has no VM named or with id "
							     "'%s'",
							     name, vms[v]));
		}
		id = ferry_json_get_string(found, "id");
		vm_name = ferry_json_get_string(found, "name");
		for (guint i = 0; i < json_array_get_length(cancel); i++) {
			JsonObject *c = ferry_json_array_object(cancel, i);
			if ((id != NULL && g_strcmp0(ferry_json_get_string(c, "id"), id) == 0) ||
			    (vm_name != NULL &&
			     g_strcmp0(ferry_json_get_string(c, "name"), vm_name) == 0))
				already = TRUE;
		}
		if (already)
			continue;
		reference = json_object_new();
		if (id != NULL)
			json_object_set_string_member(reference, "id", id);
		if (vm_name != NULL)
			json_object_set_string_member(reference, "name", vm_name);
		json_array_add_object_element(cancel, reference);
	}
	spec = json_object_new();
	json_object_set_array_member(spec, "cancel", cancel);
	{
		g_autofree char *list = g_strjoinv(", ", (GStrv)vms);
		what = g_strdup_printf("canceling %s (Plan/%s)", list, name);
	}
	return patch_spec(
		cli, kube, "Migration",
		ferry_json_get_string(
			ferry_json_get_object(json_node_get_object(migration), "metadata"), "name"),
		spec, what);
}

int
ferry_cluster_plan_archive(FerryCli *cli, const char *name)
{
	g_autoptr(GError) error = NULL;
	FerryKubeClient *kube = NULL;
	g_autoptr(JsonNode) plan = cluster_get_plan(cli, &kube, name, &error);
	JsonObject *spec;

	if (plan == NULL)
		return cluster_fail(cli, g_steal_pointer(&error));
	spec = json_object_new();
	json_object_set_boolean_member(spec, "archived", TRUE);
	return patch_spec(cli, kube, "Plan", name, spec, "archived");
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-resource-kinds.h"
#include "ferry-util-private.h"

/* one class per kind; each only adds typed accessors over the JSON tree */
#define FERRY_DEFINE_KIND(TypeName, type_name, KIND)                                               \
	struct _##TypeName {                                                                       \
		FerryResource parent_instance;                                                     \
	};                                                                                         \
	G_DEFINE_FINAL_TYPE(TypeName, type_name, FERRY_TYPE_RESOURCE)                              \
	static void type_name##_class_init(TypeName##Class *klass)                                 \
	{                                                                                          \
		FERRY_RESOURCE_CLASS(klass)->kind = KIND;                                          \
	}                                                                                          \
	static void type_name##_init(TypeName *self)                                               \
	{                                                                                          \
	}

#define RESOURCE(self) FERRY_RESOURCE(self)

typedef struct {
	const char *kind;
	const char *plural;
	const char *short_name; /* nullable */
	const char *api_version;
	GType (*get_type)(void);
} KindInfo;

/* in the order a batch is applied: what is referred to comes first */
static const KindInfo kinds[] = {
	{"Secret", "secrets", NULL, "v1", ferry_secret_resource_get_type},
	{"Provider", "providers", NULL, FERRY_API_VERSION, ferry_provider_resource_get_type},
	{"Host", "hosts", NULL, FERRY_API_VERSION, ferry_host_get_type},
	{"NetworkMap", "networkmaps", "netmap", FERRY_API_VERSION, ferry_network_map_get_type},
	{"StorageMap", "storagemaps", "storagemap", FERRY_API_VERSION, ferry_storage_map_get_type},
	{"Hook", "hooks", NULL, FERRY_API_VERSION, ferry_hook_get_type},
	{"Plan", "plans", NULL, FERRY_API_VERSION, ferry_plan_get_type},
	{"Migration", "migrations", "migration", FERRY_API_VERSION, ferry_migration_get_type},
	{"ForkliftController", "forkliftcontrollers", "fc", FERRY_API_VERSION,
	 ferry_forklift_controller_get_type},
};

static const KindInfo *
kind_info(const char *kind)
{
	for (guint i = 0; kind != NULL && i < G_N_ELEMENTS(kinds); i++) {
		if (g_strcmp0(kinds[i].kind, kind) == 0)
			return &kinds[i];
	}
	return NULL;
}

/**
 * ferry_resource_kind_lookup:
 * @name: a kind as a user may write it: `Plan`, `plan`, `plans`,
 *   `plans.forklift.konveyor.io`, or a short form such as `netmap`
 *
 * Returns: (transfer none) (nullable): the kind (`Plan`), or %NULL if
 *   @name names none
 *
 * Since: 0.1
 */
const char *
ferry_resource_kind_lookup(const char *name)
{
	g_autofree char *lower = NULL;
	g_autofree char *group = NULL;
	char *dot;

	g_return_val_if_fail(name != NULL, NULL);
	lower = g_ascii_strdown(name, -1);
	dot = strchr(lower, '.');
	if (dot != NULL) {
		group = g_strdup(dot + 1);
		*dot = '\0';
	}
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autofree char *kind_lower = g_ascii_strdown(kinds[i].kind, -1);
		gboolean core = g_strcmp0(kinds[i].api_version, "v1") == 0;
		if (group != NULL && g_strcmp0(group, core ? "v1" : FERRY_API_GROUP) != 0 &&
		    !(core && g_strcmp0(group, "") == 0))
			continue;
		if (g_strcmp0(lower, kind_lower) == 0 || g_strcmp0(lower, kinds[i].plural) == 0 ||
		    (kinds[i].short_name != NULL &&
		     (g_strcmp0(lower, kinds[i].short_name) == 0 ||
		      (g_str_has_suffix(lower, "s") &&
		       strncmp(lower, kinds[i].short_name, strlen(lower) - 1) == 0 &&
		       strlen(lower) - 1 == strlen(kinds[i].short_name)))))
			return kinds[i].kind;
	}
	return NULL;
}

/**
 * ferry_resource_kind_get_plural:
 * @kind: a kind, such as `Plan`
 *
 * Returns: (transfer none) (nullable): its plural resource name (`plans`)
 *
 * Since: 0.1
 */
const char *
ferry_resource_kind_get_plural(const char *kind)
{
	const KindInfo *info = kind_info(kind);
	return info != NULL ? info->plural : NULL;
}

/**
 * ferry_resource_kind_get_api_version:
 * @kind: a kind, such as `Plan`
 *
 * Returns: (transfer none) (nullable): the `apiVersion` it must have, or
 *   %NULL for a kind Ferry does not know
 *
 * Since: 0.1
 */
const char *
ferry_resource_kind_get_api_version(const char *kind)
{
	const KindInfo *info = kind_info(kind);
	return info != NULL ? info->api_version : NULL;
}

/**
 * ferry_resource_kind_get_gtype:
 * @kind: a kind, such as `Plan`
 *
 * Returns: the #FerryResource subclass for @kind, or %G_TYPE_INVALID
 *
 * Since: 0.1
 */
GType
ferry_resource_kind_get_gtype(const char *kind)
{
	const KindInfo *info = kind_info(kind);
	return info != NULL ? info->get_type() : G_TYPE_INVALID;
}

/**
 * ferry_resource_kind_list:
 *
 * Returns: (transfer full): every kind, in the order a batch is applied
 *   (what others refer to first)
 *
 * Since: 0.1
 */
GStrv
ferry_resource_kind_list(void)
{
	GStrv list = g_new0(char *, G_N_ELEMENTS(kinds) + 1);
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
		list[i] = g_strdup(kinds[i].kind);
	return list;
}

typedef struct {
	const char *kind;
	const char *header;
	const char *path;      /* a field, or NULL */
	const char *condition; /* a condition type, or NULL */
} Column;

/* the printer columns of Forklift's CRDs, as `kubectl get` shows them */
static const Column columns[] = {
	{"Secret", "TYPE", "type", NULL},
	{"Provider", "TYPE", "spec.type", NULL},
	{"Provider", "STATUS", "status.phase", NULL},
	{"Provider", "READY", NULL, "Ready"},
	{"Provider", "CONNECTED", NULL, "ConnectionTestSucceeded"},
	{"Provider", "INVENTORY", NULL, "InventoryCreated"},
	{"Provider", "URL", "spec.url", NULL},
	{"Host", "READY", NULL, "Ready"},
	{"Host", "CONNECTED", NULL, "ConnectionTestSucceeded"},
	{"NetworkMap", "READY", NULL, "Ready"},
	{"StorageMap", "READY", NULL, "Ready"},
	{"Hook", "READY", NULL, "Ready"},
	{"Hook", "IMAGE", "spec.image", NULL},
	{"Plan", "READY", NULL, "Ready"},
	{"Plan", "EXECUTING", NULL, "Executing"},
	{"Plan", "SUCCEEDED", NULL, "Succeeded"},
	{"Plan", "FAILED", NULL, "Failed"},
	{"Migration", "READY", NULL, "Ready"},
	{"Migration", "RUNNING", NULL, "Running"},
	{"Migration", "SUCCEEDED", NULL, "Succeeded"},
	{"Migration", "FAILED", NULL, "Failed"},
};

/**
 * ferry_resource_kind_list_columns:
 * @kind: a kind, such as `Plan`
 *
 * Returns: (transfer full): the headers of the columns `ferry get` shows
 *   for @kind between NAME and AGE, as in Forklift's CRDs
 *
 * Since: 0.1
 */
GStrv
ferry_resource_kind_list_columns(const char *kind)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	for (guint i = 0; i < G_N_ELEMENTS(columns); i++) {
		if (g_strcmp0(columns[i].kind, kind) == 0)
			g_strv_builder_add(builder, columns[i].header);
	}
	return g_strv_builder_end(builder);
}

/**
 * ferry_resource_dup_columns:
 * @resource: a #FerryResource
 *
 * Returns: (transfer full): the values of the columns named by
 *   ferry_resource_kind_list_columns(): fields, or the status (`True`,
 *   `False`) of a condition; empty strings for what is not set
 *
 * Since: 0.1
 */
GStrv
ferry_resource_dup_columns(FerryResource *resource)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	const char *kind;

	g_return_val_if_fail(FERRY_IS_RESOURCE(resource), NULL);
	kind = ferry_resource_get_kind(resource);
	for (guint i = 0; i < G_N_ELEMENTS(columns); i++) {
		const char *value = NULL;
		if (g_strcmp0(columns[i].kind, kind) != 0)
			continue;
		if (columns[i].path != NULL) {
			value = ferry_resource_get_string(resource, columns[i].path);
		} else {
			JsonObject *condition =
				ferry_resource_get_condition(resource, columns[i].condition);
			value = condition != NULL ? ferry_json_get_string(condition, "status")
						  : NULL;
		}
		g_strv_builder_add(builder, value != NULL ? value : "");
	}
	return g_strv_builder_end(builder);
}

/* finds the map pair whose source matches by id first, then by name */
static JsonObject *
find_pair_destination(JsonArray *pairs, const char *source_id, const char *source_name)
{
	if (pairs == NULL)
		return NULL;
	for (guint pass = 0; pass < 2; pass++) {
		const char *want = pass == 0 ? source_id : source_name;
		const char *member = pass == 0 ? "id" : "name";
		if (want == NULL || want[0] == '\0')
			continue;
		for (guint i = 0; i < json_array_get_length(pairs); i++) {
			JsonNode *pair = json_array_get_element(pairs, i);
			JsonNode *source;
			JsonNode *destination;
			JsonNode *value;
			if (!JSON_NODE_HOLDS_OBJECT(pair))
				continue;
			source = json_object_get_member(json_node_get_object(pair), "source");
			destination =
				json_object_get_member(json_node_get_object(pair), "destination");
			if (source == NULL || !JSON_NODE_HOLDS_OBJECT(source) ||
			    destination == NULL || !JSON_NODE_HOLDS_OBJECT(destination))
				continue;
			value = json_object_get_member(json_node_get_object(source), member);
			if (value != NULL && JSON_NODE_HOLDS_VALUE(value) &&
			    json_node_get_value_type(value) == G_TYPE_STRING &&
			    g_strcmp0(json_node_get_string(value), want) == 0)
				return json_node_get_object(destination);
		}
	}
	return NULL;
}

static JsonArray *
get_array(FerryResource *self, const char *path)
{
	JsonNode *node = ferry_resource_get_node(self, path);
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
		return NULL;
	return json_node_get_array(node);
}

/* -- Provider -- */

/**
 * FerryProviderResource:
 *
 * A Forklift `Provider`: a source or destination platform, its URL, its
 * credentials Secret and settings. ferry_store_dup_provider_config() turns
 * one into the #FerryProviderConfig a provider plugin connects with.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryProviderResource, ferry_provider_resource, "Provider")

/**
 * ferry_provider_resource_get_provider_type:
 * @self: a #FerryProviderResource
 *
 * Returns: (transfer none) (nullable): `spec.type`, such as `vsphere`
 *
 * Since: 0.1
 */
const char *
ferry_provider_resource_get_provider_type(FerryProviderResource *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.type");
}

/**
 * ferry_provider_resource_get_url:
 * @self: a #FerryProviderResource
 *
 * Returns: (transfer none) (nullable): `spec.url`
 *
 * Since: 0.1
 */
const char *
ferry_provider_resource_get_url(FerryProviderResource *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.url");
}

/**
 * ferry_provider_resource_get_secret:
 * @self: a #FerryProviderResource
 * @name_space: (out) (optional) (transfer none): the Secret's namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.secret`
 *
 * Since: 0.1
 */
const char *
ferry_provider_resource_get_secret(FerryProviderResource *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.secret", name_space);
}

/**
 * ferry_provider_resource_get_setting:
 * @self: a #FerryProviderResource
 * @key: a key of `spec.settings`, such as `sdkEndpoint`
 *
 * Returns: (transfer none) (nullable): its value
 *
 * Since: 0.1
 */
const char *
ferry_provider_resource_get_setting(FerryProviderResource *self, const char *key)
{
	JsonNode *settings = ferry_resource_get_node(RESOURCE(self), "spec.settings");
	JsonNode *value;
	if (settings == NULL || !JSON_NODE_HOLDS_OBJECT(settings))
		return NULL;
	value = json_object_get_member(json_node_get_object(settings), key);
	if (value == NULL || !JSON_NODE_HOLDS_VALUE(value) ||
	    json_node_get_value_type(value) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(value);
}

/**
 * ferry_provider_resource_is_host:
 * @self: a #FerryProviderResource
 *
 * Returns: %TRUE for the local cluster: type `openshift` with no URL
 *
 * Since: 0.1
 */
gboolean
ferry_provider_resource_is_host(FerryProviderResource *self)
{
	const char *url = ferry_provider_resource_get_url(self);
	return g_strcmp0(ferry_provider_resource_get_provider_type(self), "openshift") == 0 &&
	       (url == NULL || url[0] == '\0');
}

/* -- Secret -- */

/**
 * FerrySecretResource:
 *
 * A Kubernetes `Secret` (`v1`) holding credentials in `stringData` or
 * base64 `data`. The store keeps its values apart, in a file only the user
 * can read, and never prints them.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerrySecretResource, ferry_secret_resource, "Secret")

/**
 * ferry_secret_resource_get_secret_type:
 * @self: a #FerrySecretResource
 *
 * Returns: (transfer none) (nullable): `type`, such as `Opaque`
 *
 * Since: 0.1
 */
const char *
ferry_secret_resource_get_secret_type(FerrySecretResource *self)
{
	return ferry_resource_get_string(RESOURCE(self), "type");
}

/**
 * ferry_secret_resource_to_secret:
 * @self: a #FerrySecretResource
 * @error: return location for a #GError
 *
 * Decodes `data` (base64) and `stringData` (which wins, as in Kubernetes)
 * into credentials.
 *
 * Returns: (transfer full): the credentials, or %NULL with @error set when
 *   a value is not valid base64 (the error names the key, never the value)
 *
 * Since: 0.1
 */
FerrySecret *
ferry_secret_resource_to_secret(FerrySecretResource *self, GError **error)
{
	g_autoptr(FerrySecret) secret = NULL;
	JsonNode *data;
	JsonNode *string_data;

	g_return_val_if_fail(FERRY_IS_SECRET_RESOURCE(self), NULL);
	secret = ferry_secret_new(ferry_resource_get_name(RESOURCE(self)));
	data = ferry_resource_get_node(RESOURCE(self), "data");
	if (data != NULL && JSON_NODE_HOLDS_OBJECT(data)) {
		JsonObjectIter iter;
		const char *key;
		JsonNode *value;
		json_object_iter_init(&iter, json_node_get_object(data));
		while (json_object_iter_next(&iter, &key, &value)) {
			const char *text;
			gsize length = 0;
			g_autofree guchar *decoded = NULL;
			g_autoptr(GBytes) bytes = NULL;
			if (JSON_NODE_HOLDS_NULL(value))
				continue;
			text = JSON_NODE_HOLDS_VALUE(value) &&
					       json_node_get_value_type(value) == G_TYPE_STRING
				       ? json_node_get_string(value)
				       : NULL;
			for (const char *p = text; p != NULL && *p != '\0'; p++) {
				if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=' &&
				    !g_ascii_isspace(*p))
					text = NULL;
				if (text == NULL)
					break;
			}
			if (text == NULL) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "data.%s: not valid base64; put plain text under "
					    "stringData instead",
					    key);
				return NULL;
			}
			decoded = g_base64_decode(text, &length);
			bytes = g_bytes_new(decoded, length);
			memset(decoded, 0, length);
			ferry_secret_set(secret, key, bytes);
		}
	}
	string_data = ferry_resource_get_node(RESOURCE(self), "stringData");
	if (string_data != NULL && JSON_NODE_HOLDS_OBJECT(string_data)) {
		JsonObjectIter iter;
		const char *key;
		JsonNode *value;
		json_object_iter_init(&iter, json_node_get_object(string_data));
		while (json_object_iter_next(&iter, &key, &value)) {
			if (JSON_NODE_HOLDS_VALUE(value) &&
			    json_node_get_value_type(value) == G_TYPE_STRING)
				ferry_secret_set_string(secret, key, json_node_get_string(value));
		}
	}
	return g_steal_pointer(&secret);
}

/**
 * ferry_secret_resource_list_keys:
 * @self: a #FerrySecretResource
 *
 * Returns: (transfer full): the keys of `data` and `stringData`, sorted
 *
 * Since: 0.1
 */
GStrv
ferry_secret_resource_list_keys(FerrySecretResource *self)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	const char *const members[] = {"data", "stringData"};

	g_return_val_if_fail(FERRY_IS_SECRET_RESOURCE(self), NULL);
	for (guint m = 0; m < G_N_ELEMENTS(members); m++) {
		JsonNode *node = ferry_resource_get_node(RESOURCE(self), members[m]);
		g_autoptr(GList) names = NULL;
		if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
			continue;
		names = json_object_get_members(json_node_get_object(node));
		for (GList *l = names; l != NULL; l = l->next) {
			gboolean seen = FALSE;
			for (guint i = 0; i < keys->len; i++)
				seen = seen || g_strcmp0(g_ptr_array_index(keys, i), l->data) == 0;
			if (!seen)
				g_ptr_array_add(keys, g_strdup(l->data));
		}
	}
	g_ptr_array_add(keys, NULL);
	{
		GStrv result = (GStrv)g_ptr_array_steal(keys, NULL);
		ferry_strv_sort(result);
		return result;
	}
}

/* -- Host -- */

/**
 * FerryHost:
 *
 * A Forklift `Host`: an ESXi host of a vSphere provider reached at another
 * address (`spec.ipAddress`) and with its own credentials for disk
 * transfers.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryHost, ferry_host, "Host")

/**
 * ferry_host_get_host_id:
 * @self: a #FerryHost
 *
 * Returns: (transfer none) (nullable): `spec.id`, the host's managed object
 *   id such as `host-21`
 *
 * Since: 0.1
 */
const char *
ferry_host_get_host_id(FerryHost *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.id");
}

/**
 * ferry_host_get_ip_address:
 * @self: a #FerryHost
 *
 * Returns: (transfer none) (nullable): `spec.ipAddress`
 *
 * Since: 0.1
 */
const char *
ferry_host_get_ip_address(FerryHost *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.ipAddress");
}

/**
 * ferry_host_get_provider:
 * @self: a #FerryHost
 * @name_space: (out) (optional) (transfer none): the provider's namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.provider`
 *
 * Since: 0.1
 */
const char *
ferry_host_get_provider(FerryHost *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.provider", name_space);
}

/**
 * ferry_host_get_secret:
 * @self: a #FerryHost
 * @name_space: (out) (optional) (transfer none): the Secret's namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.secret`
 *
 * Since: 0.1
 */
const char *
ferry_host_get_secret(FerryHost *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.secret", name_space);
}

/* -- NetworkMap and StorageMap -- */

/**
 * FerryNetworkMap:
 *
 * A Forklift `NetworkMap`: pairs of a source network and a destination
 * (`pod`, `multus` with a NetworkAttachmentDefinition, or `ignored`).
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryNetworkMap, ferry_network_map, "NetworkMap")

/**
 * ferry_network_map_get_source_provider:
 * @self: a #FerryNetworkMap
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.provider.source`
 *
 * Since: 0.1
 */
const char *
ferry_network_map_get_source_provider(FerryNetworkMap *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.provider.source", name_space);
}

/**
 * ferry_network_map_get_destination_provider:
 * @self: a #FerryNetworkMap
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of
 *   `spec.provider.destination`
 *
 * Since: 0.1
 */
const char *
ferry_network_map_get_destination_provider(FerryNetworkMap *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.provider.destination",
					    name_space);
}

/**
 * ferry_network_map_get_pairs:
 * @self: a #FerryNetworkMap
 *
 * Returns: (transfer none) (nullable): `spec.map`, objects with `source`
 *   and `destination`
 *
 * Since: 0.1
 */
JsonArray *
ferry_network_map_get_pairs(FerryNetworkMap *self)
{
	return get_array(RESOURCE(self), "spec.map");
}

/**
 * ferry_network_map_find_destination:
 * @self: a #FerryNetworkMap
 * @source_id: (nullable): the source network's id
 * @source_name: (nullable): its name, used when no pair matches the id
 *
 * Returns: (transfer none) (nullable): the `destination` of the pair for
 *   that source network
 *
 * Since: 0.1
 */
JsonObject *
ferry_network_map_find_destination(FerryNetworkMap *self, const char *source_id,
				   const char *source_name)
{
	return find_pair_destination(ferry_network_map_get_pairs(self), source_id, source_name);
}

/**
 * FerryStorageMap:
 *
 * A Forklift `StorageMap`: pairs of a source datastore or storage domain
 * and a destination storage class with optional volume and access modes.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryStorageMap, ferry_storage_map, "StorageMap")

/**
 * ferry_storage_map_get_source_provider:
 * @self: a #FerryStorageMap
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.provider.source`
 *
 * Since: 0.1
 */
const char *
ferry_storage_map_get_source_provider(FerryStorageMap *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.provider.source", name_space);
}

/**
 * ferry_storage_map_get_destination_provider:
 * @self: a #FerryStorageMap
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of
 *   `spec.provider.destination`
 *
 * Since: 0.1
 */
const char *
ferry_storage_map_get_destination_provider(FerryStorageMap *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.provider.destination",
					    name_space);
}

/**
 * ferry_storage_map_get_pairs:
 * @self: a #FerryStorageMap
 *
 * Returns: (transfer none) (nullable): `spec.map`, objects with `source`
 *   and `destination`
 *
 * Since: 0.1
 */
JsonArray *
ferry_storage_map_get_pairs(FerryStorageMap *self)
{
	return get_array(RESOURCE(self), "spec.map");
}

/**
 * ferry_storage_map_find_destination:
 * @self: a #FerryStorageMap
 * @source_id: (nullable): the source storage's id
 * @source_name: (nullable): its name, used when no pair matches the id
 *
 * Returns: (transfer none) (nullable): the `destination` of the pair for
 *   that source storage (`storageClass`, `volumeMode`, `accessMode`)
 *
 * Since: 0.1
 */
JsonObject *
ferry_storage_map_find_destination(FerryStorageMap *self, const char *source_id,
				   const char *source_name)
{
	return find_pair_destination(ferry_storage_map_get_pairs(self), source_id, source_name);
}

/* -- Plan -- */

/**
 * FerryPlan:
 *
 * A Forklift `Plan`: which VMs move from which provider to which, with
 * which maps and options. Its `status` holds the conditions and, once it
 * runs, the per-VM migration state.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryPlan, ferry_plan, "Plan")

/**
 * ferry_plan_get_target_namespace:
 * @self: a #FerryPlan
 *
 * Returns: (transfer none) (nullable): `spec.targetNamespace`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_target_namespace(FerryPlan *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.targetNamespace");
}

/**
 * ferry_plan_get_source_provider:
 * @self: a #FerryPlan
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.provider.source`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_source_provider(FerryPlan *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.provider.source", name_space);
}

/**
 * ferry_plan_get_destination_provider:
 * @self: a #FerryPlan
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of
 *   `spec.provider.destination`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_destination_provider(FerryPlan *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.provider.destination",
					    name_space);
}

/**
 * ferry_plan_get_network_map:
 * @self: a #FerryPlan
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.map.network`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_network_map(FerryPlan *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.map.network", name_space);
}

/**
 * ferry_plan_get_storage_map:
 * @self: a #FerryPlan
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.map.storage`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_storage_map(FerryPlan *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.map.storage", name_space);
}

/**
 * ferry_plan_get_vms:
 * @self: a #FerryPlan
 *
 * Returns: (transfer none) (nullable): `spec.vms`
 *
 * Since: 0.1
 */
JsonArray *
ferry_plan_get_vms(FerryPlan *self)
{
	return get_array(RESOURCE(self), "spec.vms");
}

/**
 * ferry_plan_get_migration_type:
 * @self: a #FerryPlan
 *
 * `spec.type` wins; without it the deprecated `spec.warm` chooses between
 * `warm` and `cold`.
 *
 * Returns: (transfer none): `cold`, `warm`, `live` or `conversion`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_migration_type(FerryPlan *self)
{
	const char *type = ferry_resource_get_string(RESOURCE(self), "spec.type");
	if (type != NULL && type[0] != '\0')
		return type;
	return ferry_resource_get_boolean(RESOURCE(self), "spec.warm", FALSE) ? "warm" : "cold";
}

/**
 * ferry_plan_is_warm:
 * @self: a #FerryPlan
 *
 * Returns: %TRUE for a warm migration (`type: warm`, or `warm: true`)
 *
 * Since: 0.1
 */
gboolean
ferry_plan_is_warm(FerryPlan *self)
{
	return g_strcmp0(ferry_plan_get_migration_type(self), "warm") == 0;
}

/**
 * ferry_plan_is_archived:
 * @self: a #FerryPlan
 *
 * Returns: `spec.archived`
 *
 * Since: 0.1
 */
gboolean
ferry_plan_is_archived(FerryPlan *self)
{
	return ferry_resource_get_boolean(RESOURCE(self), "spec.archived", FALSE);
}

/**
 * ferry_plan_get_preserve_static_ips:
 * @self: a #FerryPlan
 *
 * Returns: `spec.preserveStaticIPs` (default %TRUE)
 *
 * Since: 0.1
 */
gboolean
ferry_plan_get_preserve_static_ips(FerryPlan *self)
{
	return ferry_resource_get_boolean(RESOURCE(self), "spec.preserveStaticIPs", TRUE);
}

/**
 * ferry_plan_get_migrate_shared_disks:
 * @self: a #FerryPlan
 *
 * Returns: `spec.migrateSharedDisks` (default %TRUE)
 *
 * Since: 0.1
 */
gboolean
ferry_plan_get_migrate_shared_disks(FerryPlan *self)
{
	return ferry_resource_get_boolean(RESOURCE(self), "spec.migrateSharedDisks", TRUE);
}

/**
 * ferry_plan_get_delete_vm_on_fail_migration:
 * @self: a #FerryPlan
 *
 * Returns: `spec.deleteVmOnFailMigration` (default %TRUE, as in the CRD)
 *
 * Since: 0.1
 */
gboolean
ferry_plan_get_delete_vm_on_fail_migration(FerryPlan *self)
{
	return ferry_resource_get_boolean(RESOURCE(self), "spec.deleteVmOnFailMigration", TRUE);
}

/**
 * ferry_plan_get_skip_guest_conversion:
 * @self: a #FerryPlan
 *
 * Returns: `spec.skipGuestConversion` (raw copy mode)
 *
 * Since: 0.1
 */
gboolean
ferry_plan_get_skip_guest_conversion(FerryPlan *self)
{
	return ferry_resource_get_boolean(RESOURCE(self), "spec.skipGuestConversion", FALSE);
}

/**
 * ferry_plan_get_target_power_state:
 * @self: a #FerryPlan
 *
 * Returns: (transfer none): `spec.targetPowerState`: `on`, `off` or `auto`
 *   (the default: match the source)
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_target_power_state(FerryPlan *self)
{
	const char *state = ferry_resource_get_string(RESOURCE(self), "spec.targetPowerState");
	return state != NULL && state[0] != '\0' ? state : "auto";
}

/**
 * ferry_plan_get_pvc_name_template:
 * @self: a #FerryPlan
 *
 * Returns: (transfer none) (nullable): `spec.pvcNameTemplate`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_pvc_name_template(FerryPlan *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.pvcNameTemplate");
}

/**
 * ferry_plan_get_pvc_name_template_use_generate_name:
 * @self: a #FerryPlan
 * @default_value: the value when it is not set (%TRUE for most sources,
 *   %FALSE for an OpenShift source)
 *
 * Returns: `spec.pvcNameTemplateUseGenerateName`
 *
 * Since: 0.1
 */
gboolean
ferry_plan_get_pvc_name_template_use_generate_name(FerryPlan *self, gboolean default_value)
{
	return ferry_resource_get_boolean(RESOURCE(self), "spec.pvcNameTemplateUseGenerateName",
					  default_value);
}

/**
 * ferry_plan_get_volume_name_template:
 * @self: a #FerryPlan
 *
 * Returns: (transfer none) (nullable): `spec.volumeNameTemplate`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_volume_name_template(FerryPlan *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.volumeNameTemplate");
}

/**
 * ferry_plan_get_network_name_template:
 * @self: a #FerryPlan
 *
 * Returns: (transfer none) (nullable): `spec.networkNameTemplate`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_network_name_template(FerryPlan *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.networkNameTemplate");
}

/**
 * ferry_plan_get_transfer_network:
 * @self: a #FerryPlan
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of the
 *   NetworkAttachmentDefinition in `spec.transferNetwork`
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_transfer_network(FerryPlan *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.transferNetwork", name_space);
}

/**
 * ferry_plan_get_name_template:
 * @self: a #FerryPlan
 * @vm_index: the index of the VM in `spec.vms`
 * @kind: which template
 * @controller: (nullable): the ForkliftController, for its PVC templates
 * @ocp_source: whether the source provider is OpenShift/KubeVirt
 *
 * Resolves a name template the way Forklift does: the VM's own template,
 * else the plan's, else (for PVCs) the ForkliftController's
 * `controller_ocp_pvc_name_template` or `controller_pvc_name_template`,
 * else the default. Render it with ferry_naming_render().
 *
 * Returns: (transfer none): the template
 *
 * Since: 0.1
 */
const char *
ferry_plan_get_name_template(FerryPlan *self, guint vm_index, FerryNameTemplateKind kind,
			     FerryForkliftController *controller, gboolean ocp_source)
{
	const char *member = kind == FERRY_NAME_TEMPLATE_VOLUME    ? "volumeNameTemplate"
			     : kind == FERRY_NAME_TEMPLATE_NETWORK ? "networkNameTemplate"
								   : "pvcNameTemplate";
	g_autofree char *vm_path = g_strdup_printf("spec.vms[%u].%s", vm_index, member);
	g_autofree char *plan_path = g_strdup_printf("spec.%s", member);
	const char *text;

	g_return_val_if_fail(FERRY_IS_PLAN(self), NULL);
	text = ferry_resource_get_string(RESOURCE(self), vm_path);
	if (text == NULL || text[0] == '\0')
		text = ferry_resource_get_string(RESOURCE(self), plan_path);
	if ((text == NULL || text[0] == '\0') && kind == FERRY_NAME_TEMPLATE_PVC)
		text = ferry_forklift_controller_get_setting_string(
			controller, ocp_source ? "controller_ocp_pvc_name_template"
					       : "controller_pvc_name_template");
	if (text == NULL || text[0] == '\0')
		text = ferry_naming_get_default_template(kind, ocp_source);
	return text;
}

/* -- Migration -- */

/**
 * FerryMigration:
 *
 * A Forklift `Migration`: one run of a plan, with its cutover time and the
 * VMs to cancel.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryMigration, ferry_migration, "Migration")

/**
 * ferry_migration_get_plan:
 * @self: a #FerryMigration
 * @name_space: (out) (optional) (transfer none): its namespace
 *
 * Returns: (transfer none) (nullable): the name of `spec.plan`
 *
 * Since: 0.1
 */
const char *
ferry_migration_get_plan(FerryMigration *self, const char **name_space)
{
	return ferry_resource_get_reference(RESOURCE(self), "spec.plan", name_space);
}

/**
 * ferry_migration_get_cutover:
 * @self: a #FerryMigration
 *
 * Returns: (transfer none) (nullable): `spec.cutover`, an RFC 3339 time
 *
 * Since: 0.1
 */
const char *
ferry_migration_get_cutover(FerryMigration *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.cutover");
}

/**
 * ferry_migration_get_vm_cutover:
 * @self: a #FerryMigration
 * @vm_id: a VM id
 *
 * Returns: (transfer none) (nullable): the cutover time of that VM: its
 *   `spec.vmCutover[]` entry, else `spec.cutover`
 *
 * Since: 0.1
 */
const char *
ferry_migration_get_vm_cutover(FerryMigration *self, const char *vm_id)
{
	JsonArray *entries = get_array(RESOURCE(self), "spec.vmCutover");
	for (guint i = 0; entries != NULL && i < json_array_get_length(entries); i++) {
		JsonNode *entry = json_array_get_element(entries, i);
		JsonObject *object;
		if (!JSON_NODE_HOLDS_OBJECT(entry))
			continue;
		object = json_node_get_object(entry);
		if (g_strcmp0(ferry_json_get_string(object, "id"), vm_id) == 0)
			return ferry_json_get_string(object, "cutover");
	}
	return ferry_migration_get_cutover(self);
}

/**
 * ferry_migration_get_cancel:
 * @self: a #FerryMigration
 *
 * Returns: (transfer none) (nullable): `spec.cancel`, references of the
 *   VMs to cancel
 *
 * Since: 0.1
 */
JsonArray *
ferry_migration_get_cancel(FerryMigration *self)
{
	return get_array(RESOURCE(self), "spec.cancel");
}

/**
 * ferry_migration_get_resume_conversion:
 * @self: a #FerryMigration
 *
 * Returns: `spec.resumeConversion`
 *
 * Since: 0.1
 */
gboolean
ferry_migration_get_resume_conversion(FerryMigration *self)
{
	return ferry_resource_get_boolean(RESOURCE(self), "spec.resumeConversion", FALSE);
}

/* -- Hook -- */

/**
 * FerryHook:
 *
 * A Forklift `Hook`: an image and optional Ansible playbook run before or
 * after a VM migrates.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryHook, ferry_hook, "Hook")

/**
 * ferry_hook_get_image:
 * @self: a #FerryHook
 *
 * Returns: (transfer none): `spec.image`, by default
 *   `quay.io/konveyor/hook-runner`
 *
 * Since: 0.1
 */
const char *
ferry_hook_get_image(FerryHook *self)
{
	const char *image = ferry_resource_get_string(RESOURCE(self), "spec.image");
	return image != NULL && image[0] != '\0' ? image : "quay.io/konveyor/hook-runner";
}

/**
 * ferry_hook_dup_playbook:
 * @self: a #FerryHook
 * @error: return location for a #GError
 *
 * Decodes `spec.playbook` (base64).
 *
 * Returns: (transfer full) (nullable): the playbook, or %NULL when there
 *   is none (@error unset) or it is not base64 (@error set)
 *
 * Since: 0.1
 */
GBytes *
ferry_hook_dup_playbook(FerryHook *self, GError **error)
{
	const char *text = ferry_resource_get_string(RESOURCE(self), "spec.playbook");
	guchar *decoded;
	gsize length = 0;

	if (text == NULL || text[0] == '\0')
		return NULL;
	for (const char *p = text; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=' &&
		    !g_ascii_isspace(*p)) {
			g_autofree char *name = ferry_resource_dup_display_name(RESOURCE(self));
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: spec.playbook is not base64; encode it with "
				    "'base64 -w0 playbook.yml'",
				    name);
			return NULL;
		}
	}
	decoded = g_base64_decode(text, &length);
	return g_bytes_new_take(decoded, length);
}

/**
 * ferry_hook_get_service_account:
 * @self: a #FerryHook
 *
 * Returns: (transfer none) (nullable): `spec.serviceAccount`
 *
 * Since: 0.1
 */
const char *
ferry_hook_get_service_account(FerryHook *self)
{
	return ferry_resource_get_string(RESOURCE(self), "spec.serviceAccount");
}

/**
 * ferry_hook_get_deadline:
 * @self: a #FerryHook
 *
 * Returns: `spec.deadline` in seconds, 0 for none
 *
 * Since: 0.1
 */
gint64
ferry_hook_get_deadline(FerryHook *self)
{
	return ferry_resource_get_int(RESOURCE(self), "spec.deadline", 0);
}

/* -- ForkliftController -- */

/**
 * FerryForkliftController:
 *
 * A Forklift `ForkliftController`: operator settings in snake_case
 * (`controller_max_vm_inflight`, `feature_copy_offload`, …). Ferry reads
 * them as the engine's defaults; a setting that is not given has
 * Forklift's default.
 *
 * Since: 0.1
 */
FERRY_DEFINE_KIND(FerryForkliftController, ferry_forklift_controller, "ForkliftController")

typedef struct {
	const char *key;
	const char *value;
} Default;

/* Forklift's defaults for the settings the engine reads */
static const Default controller_defaults[] = {
	{"controller_max_vm_inflight", "20"},
	{"controller_max_populator_inflight", "20"},
	{"controller_precopy_interval", "60"},
	{"controller_snapshot_removal_timeout_minuts", "120"},
	{"controller_snapshot_status_check_rate_seconds", "10"},
	{"controller_snapshot_removal_check_retries", "20"},
	{"controller_cleanup_retries", "10"},
	{"controller_max_parent_backing_retries", "10"},
	{"controller_blocker_grace_period_minutes", "5"},
	{"controller_vddk_job_active_deadline_sec", "300"},
	{"controller_tls_connection_timeout_sec", "5"},
	{"controller_windows_reboot_timeout", "1800"},
	{"controller_max_concurrent_reconciles", "10"},
	{"controller_filesystem_overhead", "10"},
	{"controller_block_overhead", "0"},
	{"controller_host_lease_namespace", "openshift-mtv"},
	{"controller_host_lease_duration_seconds", "10"},
	{"controller_pvc_name_template", ""},
	{"controller_ocp_pvc_name_template", ""},
	{"controller_migration_service_account", ""},
	{"controller_ovirt_warm_migration", "true"},
	{"controller_vsphere_incremental_backup", "true"},
	{"controller_retain_precopy_importer_pods", "false"},
	{"controller_retain_populator_pods", "false"},
	{"controller_static_udn_ip_addresses", "true"},
	{"wait_for_final_snapshot_consolidation", "true"},
	{"feature_copy_offload", "false"},
	{"feature_ocp_live_migration", "false"},
	{"feature_volume_populator", "true"},
	{"feature_validation", "true"},
	{"feature_vmware_system_serial_number", "true"},
	{"feature_windows_wait_for_reboot", "true"},
	{"feature_use_conversion_cr", "true"},
	{"feature_vsphere_vmware_driver_removal", "false"},
	{"feature_windows_registry_network_config", "false"},
	{"feature_xfs_repair_ignore", "false"},
	{"validation_policy_agent_search_interval", "120"},
	{"validation_extra_volume_mountpath", "/usr/share/opa/policies/extra"},
	{"aap_timeout", "0"},
};

static const char *
controller_default(const char *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(controller_defaults); i++) {
		if (g_strcmp0(controller_defaults[i].key, key) == 0)
			return controller_defaults[i].value;
	}
	return NULL;
}

/**
 * ferry_forklift_controller_default_int:
 * @key: a setting, such as `controller_max_vm_inflight`
 *
 * Returns: Forklift's default for an integer setting, 0 if it has none
 *
 * Since: 0.1
 */
gint64
ferry_forklift_controller_default_int(const char *key)
{
	const char *value = controller_default(key);
	gint64 number = 0;
	if (value == NULL ||
	    !g_ascii_string_to_signed(value, 10, G_MININT64, G_MAXINT64, &number, NULL))
		return 0;
	return number;
}

static JsonNode *
controller_setting(FerryForkliftController *self, const char *key)
{
	JsonObject *spec;
	if (self == NULL)
		return NULL;
	spec = ferry_resource_get_spec(RESOURCE(self));
	return spec != NULL ? json_object_get_member(spec, key) : NULL;
}

/**
 * ferry_forklift_controller_get_setting_int:
 * @self: (nullable): a #FerryForkliftController, or %NULL for the defaults
 * @key: a setting, such as `controller_max_vm_inflight`
 *
 * Returns: the setting as an integer (numbers written as strings count),
 *   or Forklift's default
 *
 * Since: 0.1
 */
gint64
ferry_forklift_controller_get_setting_int(FerryForkliftController *self, const char *key)
{
	JsonNode *node = controller_setting(self, key);
	gint64 value;
	if (node != NULL && JSON_NODE_HOLDS_VALUE(node)) {
		if (json_node_get_value_type(node) == G_TYPE_INT64)
			return json_node_get_int(node);
		if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
			return (gint64)json_node_get_double(node);
		if (json_node_get_value_type(node) == G_TYPE_STRING &&
		    g_ascii_string_to_signed(json_node_get_string(node), 10, G_MININT64, G_MAXINT64,
					     &value, NULL))
			return value;
	}
	return ferry_forklift_controller_default_int(key);
}

/**
 * ferry_forklift_controller_get_setting_string:
 * @self: (nullable): a #FerryForkliftController, or %NULL for the defaults
 * @key: a setting, such as `vddk_image`
 *
 * Returns: (transfer none) (nullable): the setting, or Forklift's default
 *   (%NULL when it has none)
 *
 * Since: 0.1
 */
const char *
ferry_forklift_controller_get_setting_string(FerryForkliftController *self, const char *key)
{
	JsonNode *node = controller_setting(self, key);
	if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	    json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_get_string(node);
	return controller_default(key);
}

/**
 * ferry_forklift_controller_get_setting_boolean:
 * @self: (nullable): a #FerryForkliftController, or %NULL for the defaults
 * @key: a setting, such as `feature_copy_offload`
 *
 * Returns: the setting (`"true"` or a YAML boolean), or Forklift's default
 *
 * Since: 0.1
 */
gboolean
ferry_forklift_controller_get_setting_boolean(FerryForkliftController *self, const char *key)
{
	JsonNode *node = controller_setting(self, key);
	if (node != NULL && JSON_NODE_HOLDS_VALUE(node)) {
		if (json_node_get_value_type(node) == G_TYPE_BOOLEAN)
			return json_node_get_boolean(node);
		if (json_node_get_value_type(node) == G_TYPE_STRING)
			return g_ascii_strcasecmp(json_node_get_string(node), "true") == 0;
	}
	return g_strcmp0(controller_default(key), "true") == 0;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-platform-private.h"

/**
 * SECTION:ferry-platform
 * @title: Platforms
 * @short_description: what the core knows of each provider type
 *
 * The core never tests a provider type by name: it asks these functions.
 * A provider type a loaded plugin registers answers through the plugin's
 * #FerryProvider (its capabilities, describe_vm, get_map_kinds, check_url
 * and get_secret_keys, called on an unconnected instance). Forklift's
 * provider types that no plugin provides yet answer from the one built-in
 * table below, so their manifests are still checked the way Forklift
 * checks them; a plugin for such a type overrides its row.
 */

typedef enum {
	URL_URI,	  /* required, a URI */
	URL_OPTIONAL_URI, /* may be empty, else a URI */
	URL_NFS_OR_PATH,  /* an NFS export server:/path or a local path */
	URL_ANY,	  /* required, any form */
} UrlRule;

typedef GPtrArray *(*RefsFunc)(JsonObject *vm);
typedef JsonObject *(*DescribeFunc)(JsonObject *vm);

typedef struct {
	const char *type;
	FerryProviderCapabilities capabilities;
	const char *network_kind;
	const char *storage_kind;
	UrlRule url;
	const char *const *secret_keys;
	gboolean secret_needs_ca;
	gboolean local_needs_no_secret;
	const char *change_tracking_member;
	RefsFunc networks; /* NULL: each nics[].network */
	RefsFunc storages; /* NULL: each disks[].datastore */
	DescribeFunc describe;
	const FerryWorkloadExpansion *workload;
} Platform;

/* --- readers of Forklift's inventory shapes, for the table --- */

static const char *
string_member(JsonObject *object, const char *name)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, name) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* a reference's id: a string, or an object's id (or ID, or name) */
static const char *
ref_id(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL)
		return NULL;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_get_string(node);
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *ref = json_node_get_object(node);
		if (string_member(ref, "id") != NULL)
			return string_member(ref, "id");
		if (string_member(ref, "ID") != NULL)
			return string_member(ref, "ID");
		return string_member(ref, "name");
	}
	return NULL;
}

static GPtrArray *
refs_of_array(JsonObject *vm, const char *array, const char *member)
{
	GPtrArray *refs = g_ptr_array_new();
	JsonArray *items = ferry_json_path_array(vm, array);
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonObject *item = json_array_get_object_element(items, i);
		if (item != NULL)
			g_ptr_array_add(refs, (gpointer)ref_id(item, member));
	}
	return refs;
}

static GPtrArray *
ovirt_networks(JsonObject *vm)
{
	GPtrArray *refs = g_ptr_array_new();
	JsonArray *nics = ferry_json_path_array(vm, "nics");
	/* a NIC reaches its network through its vNIC profile */
	for (guint i = 0; nics != NULL && i < json_array_get_length(nics); i++)
		g_ptr_array_add(refs, (gpointer)ref_id(ferry_json_path_object(
							   json_array_get_object_element(nics, i),
							   "profile"),
						       "network"));
	return refs;
}

static GPtrArray *
ovirt_storages(JsonObject *vm)
{
	GPtrArray *refs = g_ptr_array_new();
	JsonArray *attachments = ferry_json_path_array(vm, "diskAttachments");
	for (guint i = 0; attachments != NULL && i < json_array_get_length(attachments); i++) {
		JsonObject *disk =
			ferry_json_path_object(json_array_get_object_element(attachments, i), "disk");
		if (disk != NULL && g_strcmp0(string_member(disk, "storageType"), "lun") != 0)
			g_ptr_array_add(refs, (gpointer)ref_id(disk, "storageDomain"));
	}
	return refs;
}

static GPtrArray *
openstack_networks(JsonObject *vm)
{
	GPtrArray *refs = g_ptr_array_new();
	JsonObject *addresses = ferry_json_path_object(vm, "addresses");
	g_autoptr(GList) names = addresses != NULL ? json_object_get_members(addresses) : NULL;
	for (GList *l = names; l != NULL; l = l->next)
		g_ptr_array_add(refs, l->data);
	return refs;
}

static GPtrArray *
openstack_storages(JsonObject *vm)
{
	GPtrArray *refs = g_ptr_array_new();
	JsonArray *volumes = ferry_json_path_array(vm, "volumes");
	const char *image = string_member(vm, "imageID");
	for (guint i = 0; volumes != NULL && i < json_array_get_length(volumes); i++)
		g_ptr_array_add(refs, (gpointer)string_member(
					      json_array_get_object_element(volumes, i), "volumeType"));
	/* an instance booted from an image needs the `glance` pair */
	if (image != NULL && image[0] != '\0')
		g_ptr_array_add(refs, (gpointer) "glance");
	return refs;
}

static GPtrArray *
ova_storages(JsonObject *vm)
{
	GPtrArray *refs = g_ptr_array_new();
	JsonArray *disks = ferry_json_path_array(vm, "disks");
	/* one storage per OVF disk, with the disk's id */
	for (guint i = 0; disks != NULL && i < json_array_get_length(disks); i++) {
		JsonObject *disk = json_array_get_object_element(disks, i);
		if (disk != NULL)
			g_ptr_array_add(refs, (gpointer)(string_member(disk, "id") != NULL
								 ? string_member(disk, "id")
								 : string_member(disk, "diskId")));
	}
	return refs;
}

/* oVirt's VM shape, for plan checks until an oVirt plugin describes it */
static JsonObject *
ovirt_describe(JsonObject *vm)
{
	JsonObject *out = json_object_new();
	JsonArray *attachments = ferry_json_path_array(vm, "diskAttachments");
	JsonArray *in_nics = ferry_json_path_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	const char *bios = ferry_json_path_string(vm, "bios", "");

	json_object_set_string_member(out, "name", ferry_json_path_string(vm, "name", "vm"));
	json_object_set_int_member(cpu, "sockets", MAX(1, ferry_json_path_int(vm, "cpuSockets", 1)));
	json_object_set_int_member(cpu, "cores", MAX(1, ferry_json_path_int(vm, "cpuCores", 1)));
	json_object_set_int_member(cpu, "threads", MAX(1, ferry_json_path_int(vm, "cpuThreads", 1)));
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   MAX(1, ferry_json_path_int(vm, "memory", 1 << 30) / (1024 * 1024)));
	json_object_set_string_member(firmware, "type",
				      g_str_has_prefix(bios, "q35_ovmf") ||
					      g_str_has_prefix(bios, "q35_secure")
					  ? "efi"
					  : "bios");
	json_object_set_boolean_member(firmware, "secureBoot", g_str_has_prefix(bios, "q35_secure"));
	json_object_set_object_member(out, "firmware", firmware);
	for (guint i = 0; attachments != NULL && i < json_array_get_length(attachments); i++) {
		JsonObject *a = json_array_get_object_element(attachments, i);
		JsonObject *disk = ferry_json_path_object(a, "disk");
		JsonObject *d = json_object_new();
		const char *id = ref_id(a, "disk");
		json_object_set_string_member(d, "id",
					      id != NULL ? id : ferry_json_path_string(a, "id", "disk"));
		json_object_set_int_member(d, "capacity",
					   MAX(ferry_json_path_int(disk, "provisionedSize", 0),
					       ferry_json_path_int(disk, "actualSize", 0)));
		if (ref_id(disk, "storageDomain") != NULL)
			json_object_set_string_member(d, "storage", ref_id(disk, "storageDomain"));
		json_object_set_string_member(d, "bus",
					      ferry_json_path_string(a, "interface", "virtio"));
		json_object_set_boolean_member(d, "shared", ferry_json_path_bool(disk, "shared", FALSE));
		json_array_add_object_element(disks, d);
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		JsonObject *nic = json_object_new();
		if (ferry_json_path_string(n, "mac", NULL) != NULL)
			json_object_set_string_member(nic, "mac", ferry_json_path_string(n, "mac", NULL));
		if (ref_id(n, "profile") != NULL)
			json_object_set_string_member(nic, "network", ref_id(n, "profile"));
		json_object_set_string_member(nic, "model",
					      ferry_json_path_string(n, "interface", "virtio"));
		if (ferry_json_path_string(n, "name", NULL) != NULL)
			json_object_set_string_member(nic, "name", ferry_json_path_string(n, "name", NULL));
		json_array_add_object_element(nics, nic);
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	return out;
}

/* --- Forklift's inventory references, for the workload view --- */

static const FerryWorkloadExpansion vsphere_host[] = {
	{"cluster", FALSE, NULL, "cluster", NULL, NULL},
	{NULL},
};

static const FerryWorkloadExpansion vsphere_workload[] = {
	{"host", FALSE, NULL, "host", NULL, vsphere_host},
	{NULL},
};

static const FerryWorkloadExpansion ovirt_workload[] = {
	{"cluster", FALSE, NULL, "cluster", NULL, NULL},
	{"host", FALSE, NULL, "host", NULL, NULL},
	{"nics", TRUE, "profile", "nicprofile", NULL, NULL},
	{"diskAttachments", TRUE, "disk", "disk", NULL, NULL},
	{NULL},
};

static const FerryWorkloadExpansion openstack_workload[] = {
	{"flavorID", FALSE, NULL, "flavor", "flavor", NULL},
	{"imageID", FALSE, NULL, "image", "image", NULL},
	{"attachedVolumes", TRUE, NULL, "volume", "volumes", NULL},
	{NULL},
};

static const char *const user_password[] = {"user", "password", NULL};
static const char *const token[] = {"token", NULL};
static const char *const nfs_url[] = {"url", NULL};
static const char *const hyperv_keys[] = {"username", "password", "smbUrl", NULL};

#define SRC FERRY_PROVIDER_CAPABILITY_SOURCE
#define CONVERT FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION
#define ON_COPY FERRY_PROVIDER_CAPABILITY_CONVERT_ON_COPY
#define CREDS FERRY_PROVIDER_CAPABILITY_CREDENTIALS

/*
 * THE ONLY PER-TYPE TABLE OF THE CORE. Forklift's provider types, as
 * Forklift's controllers treat them: what their VMs need, what their maps
 * name, what their Provider and Secret must hold, and how their inventory
 * refers to itself. Every other part of the core and the CLI asks the
 * functions of this file, never a type name. A loaded plugin for a type
 * overrides its row with what its provider answers (capabilities,
 * describe_vm, get_map_kinds, check_url, get_secret_keys); a type with
 * neither a row nor a plugin is unknown. Ferry has plugins for vsphere, ova
 * and ovirt (their rows apply when those plugins are not loaded, e.g. in the
 * core's own tests); openstack, ec2, hyperv and nutanix have no plugin yet,
 * so they can be validated but not migrated.
 */
static const Platform platforms[] = {
	{"openshift",
	 SRC | FERRY_PROVIDER_CAPABILITY_DESTINATION | FERRY_PROVIDER_CAPABILITY_LIVE | CREDS,
	 "networkattachmentdefinition", "storageclass", URL_OPTIONAL_URI, token, FALSE, TRUE, NULL,
	 NULL, NULL, NULL, NULL},
	{"vsphere",
	 SRC | FERRY_PROVIDER_CAPABILITY_POWER | FERRY_PROVIDER_CAPABILITY_SNAPSHOT |
		 FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS | FERRY_PROVIDER_CAPABILITY_HOSTS | CONVERT |
		 ON_COPY | FERRY_PROVIDER_CAPABILITY_CONVERSION_ONLY |
		 FERRY_PROVIDER_CAPABILITY_SNAPSHOT_CONSOLIDATION | CREDS |
		 FERRY_PROVIDER_CAPABILITY_CERTIFICATE_PIN,
	 "network", "datastore", URL_URI, user_password, TRUE, FALSE, "changeTrackingEnabled", NULL,
	 NULL, NULL, vsphere_workload},
	{"ovirt",
	 SRC | FERRY_PROVIDER_CAPABILITY_POWER | FERRY_PROVIDER_CAPABILITY_SNAPSHOT |
		 FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS | CREDS,
	 "network", "storagedomain", URL_URI, user_password, TRUE, FALSE, NULL, ovirt_networks,
	 ovirt_storages, ovirt_describe, ovirt_workload},
	{"openstack",
	 SRC | FERRY_PROVIDER_CAPABILITY_POWER | FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER | CREDS,
	 "network", "volumetype", URL_URI, NULL, FALSE, FALSE, NULL, openstack_networks,
	 openstack_storages, NULL, openstack_workload},
	{"ova", SRC | CONVERT | ON_COPY, "network", "storage", URL_NFS_OR_PATH, nfs_url, FALSE,
	 FALSE, NULL, NULL, ova_storages, NULL, NULL},
	{"ec2", SRC | CONVERT | CREDS, "network", "storage", URL_OPTIONAL_URI, NULL, FALSE, FALSE, NULL,
	 NULL, NULL, NULL, NULL},
	{"hyperv", SRC | CONVERT | ON_COPY | CREDS, "network", "storage", URL_ANY, hyperv_keys, TRUE, FALSE,
	 NULL, NULL, NULL, NULL, NULL},
	{"nutanix", SRC | CREDS, "network", "storage", URL_URI, NULL, FALSE, FALSE, NULL, NULL, NULL, NULL,
	 NULL},
};

#undef SRC
#undef CONVERT
#undef ON_COPY
#undef CREDS

static const Platform *
builtin(const char *provider_type)
{
	for (guint i = 0; provider_type != NULL && i < G_N_ELEMENTS(platforms); i++) {
		if (strcmp(platforms[i].type, provider_type) == 0)
			return &platforms[i];
	}
	return NULL;
}

/* --- plugin overrides --- */

static GMutex plugins_lock;
static GHashTable *plugin_types = NULL;	    /* provider type → GType */
static GHashTable *plugin_instances = NULL; /* provider type → unconnected FerryProvider */

void
ferry_platform_register(const char *provider_type, GType type)
{
	g_return_if_fail(provider_type != NULL);
	g_mutex_lock(&plugins_lock);
	if (plugin_types == NULL) {
		plugin_types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		plugin_instances =
			g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	}
	if (!g_hash_table_contains(plugin_types, provider_type))
		g_hash_table_insert(plugin_types, g_strdup(provider_type), GSIZE_TO_POINTER(type));
	g_mutex_unlock(&plugins_lock);
}

/* the plugin's provider for @provider_type, unconnected; NULL without a plugin */
static FerryProvider *
plugin_provider(const char *provider_type)
{
	FerryProvider *provider = NULL;
	if (provider_type == NULL)
		return NULL;
	g_mutex_lock(&plugins_lock);
	if (plugin_types != NULL) {
		provider = g_hash_table_lookup(plugin_instances, provider_type);
		if (provider == NULL && g_hash_table_contains(plugin_types, provider_type)) {
			GType type =
				GPOINTER_TO_SIZE(g_hash_table_lookup(plugin_types, provider_type));
			provider = g_object_new(type, NULL);
			g_hash_table_insert(plugin_instances, g_strdup(provider_type), provider);
		}
		if (provider != NULL)
			g_object_ref(provider);
	}
	g_mutex_unlock(&plugins_lock);
	return provider;
}

/* --- the API --- */

/**
 * ferry_platform_is_known:
 * @provider_type: a Provider `spec.type`
 *
 * Returns: whether a loaded plugin provides @provider_type or it is one of
 *   Forklift's types
 *
 * Since: 0.1
 */
gboolean
ferry_platform_is_known(const char *provider_type)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	return provider != NULL || builtin(provider_type) != NULL;
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/**
 * ferry_platform_dup_types:
 *
 * Returns: (transfer full): every known provider type, sorted
 *
 * Since: 0.1
 */
char **
ferry_platform_dup_types(void)
{
	g_autoptr(GPtrArray) types = g_ptr_array_new();
	for (guint i = 0; i < G_N_ELEMENTS(platforms); i++)
		g_ptr_array_add(types, g_strdup(platforms[i].type));
	g_mutex_lock(&plugins_lock);
	if (plugin_types != NULL) {
		GHashTableIter iter;
		gpointer key;
		g_hash_table_iter_init(&iter, plugin_types);
		while (g_hash_table_iter_next(&iter, &key, NULL)) {
			if (builtin(key) == NULL)
				g_ptr_array_add(types, g_strdup(key));
		}
	}
	g_mutex_unlock(&plugins_lock);
	g_ptr_array_sort(types, compare_strings);
	g_ptr_array_add(types, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&types), FALSE);
}

/**
 * ferry_platform_get_capabilities:
 * @provider_type: a Provider `spec.type`
 *
 * Returns: what a provider of this type implements and what its guests
 *   need: the plugin's answer, else Forklift's for its types, else none
 *
 * Since: 0.1
 */
FerryProviderCapabilities
ferry_platform_get_capabilities(const char *provider_type)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	const Platform *platform;
	if (provider != NULL)
		return ferry_provider_get_capabilities(provider);
	platform = builtin(provider_type);
	return platform != NULL ? platform->capabilities : FERRY_PROVIDER_CAPABILITY_NONE;
}

/**
 * ferry_platform_has_capability:
 * @provider_type: a Provider `spec.type`
 * @capability: one capability
 *
 * Returns: whether the type has all of @capability
 *
 * Since: 0.1
 */
gboolean
ferry_platform_has_capability(const char *provider_type, FerryProviderCapabilities capability)
{
	return (ferry_platform_get_capabilities(provider_type) & capability) == capability;
}

static void
map_kinds(const char *provider_type, const char **network, const char **storage)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	const Platform *platform = builtin(provider_type);
	*network = platform != NULL ? platform->network_kind : "network";
	*storage = platform != NULL ? platform->storage_kind : "storage";
	if (provider != NULL) {
		const char *n = NULL, *s = NULL;
		if (ferry_provider_get_map_kinds(provider, &n, &s)) {
			if (n != NULL)
				*network = n;
			if (s != NULL)
				*storage = s;
		}
	}
}

/**
 * ferry_platform_get_network_kind:
 * @provider_type: a Provider `spec.type`
 *
 * Returns: (transfer none): the inventory kind a NetworkMap source of this
 *   type names (`network` unless told otherwise)
 *
 * Since: 0.1
 */
const char *
ferry_platform_get_network_kind(const char *provider_type)
{
	const char *network, *storage;
	map_kinds(provider_type, &network, &storage);
	return network;
}

/**
 * ferry_platform_get_storage_kind:
 * @provider_type: a Provider `spec.type`
 *
 * Returns: (transfer none): the inventory kind a StorageMap source of this
 *   type names (`storage` unless told otherwise)
 *
 * Since: 0.1
 */
const char *
ferry_platform_get_storage_kind(const char *provider_type)
{
	const char *network, *storage;
	map_kinds(provider_type, &network, &storage);
	return storage;
}

/**
 * ferry_platform_check_url:
 * @provider_type: a Provider `spec.type`
 * @url: (nullable): its `spec.url`
 * @error: return location for a #GError
 *
 * Returns: whether @url is valid for the type (an empty one is valid only
 *   for types that need none)
 *
 * Since: 0.1
 */
gboolean
ferry_platform_check_url(const char *provider_type, const char *url, GError **error)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	const Platform *platform = builtin(provider_type);
	UrlRule rule = platform != NULL ? platform->url : URL_URI;

	if (url == NULL || url[0] == '\0') {
		if (rule == URL_OPTIONAL_URI)
			return TRUE;
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "The `url` is not set; set spec.url.");
		return FALSE;
	}
	if (provider != NULL)
		return ferry_provider_check_url(provider, url, error);
	if (rule == URL_NFS_OR_PATH) {
		/* Forklift's NFS export, and Ferry's local directory or file:// URL */
		if (!g_regex_match_simple("^[^:]+:\\/[^:].*$", url, 0, 0) && !g_path_is_absolute(url)) {
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
					    "The `url` is not valid: write an NFS export as "
					    "server:/path.");
			return FALSE;
		}
		return TRUE;
	}
	if (rule != URL_ANY && !g_uri_is_valid(url, G_URI_FLAGS_NONE, NULL)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "The `url` is not valid: write it as https://host/path.");
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_platform_get_secret_keys:
 * @provider_type: a Provider `spec.type`
 * @url: (nullable): its `spec.url` (empty for the local cluster)
 * @needs_ca: (out) (optional): whether the Secret needs `ca.crt` unless it
 *   sets `insecureSkipVerify`
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the keys a
 *   Provider Secret of this type must hold
 *
 * Since: 0.1
 */
const char *const *
ferry_platform_get_secret_keys(const char *provider_type, const char *url, gboolean *needs_ca)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	const Platform *platform = builtin(provider_type);
	if (provider != NULL)
		return ferry_provider_get_secret_keys(provider, url, needs_ca);
	if (needs_ca != NULL)
		*needs_ca = platform != NULL && platform->secret_needs_ca;
	/* the local cluster and a bundle directory (file://) need no token */
	if (platform != NULL && platform->local_needs_no_secret &&
	    (url == NULL || url[0] == '\0' || g_str_has_prefix(url, "file://")))
		return NULL;
	return platform != NULL ? platform->secret_keys : NULL;
}

/**
 * ferry_platform_supports_migration_type:
 * @provider_type: the source Provider's `spec.type`
 * @migration_type: a Plan `spec.type`: cold, warm, conversion or live
 *
 * Forklift's Validator.MigrationType, from the capabilities: cold always,
 * warm with %FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS, conversion with
 * %FERRY_PROVIDER_CAPABILITY_CONVERSION_ONLY, live with
 * %FERRY_PROVIDER_CAPABILITY_LIVE.
 *
 * Returns: whether plans of @migration_type may migrate from this type
 *
 * Since: 0.1
 */
gboolean
ferry_platform_supports_migration_type(const char *provider_type, const char *migration_type)
{
	FerryProviderCapabilities caps = ferry_platform_get_capabilities(provider_type);
	if (g_strcmp0(migration_type, "cold") == 0)
		return TRUE;
	if (g_strcmp0(migration_type, "warm") == 0)
		return (caps & FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS) != 0;
	if (g_strcmp0(migration_type, "conversion") == 0)
		return (caps & FERRY_PROVIDER_CAPABILITY_CONVERSION_ONLY) != 0;
	if (g_strcmp0(migration_type, "live") == 0)
		return (caps & FERRY_PROVIDER_CAPABILITY_LIVE) != 0;
	return FALSE;
}

/**
 * ferry_platform_get_feature_gate:
 * @provider_type: the source Provider's `spec.type`
 * @migration_type: a Plan `spec.type`
 *
 * The ForkliftController setting that switches plans of @migration_type
 * from this type on and off, as Forklift's Validator.MigrationType reads
 * its feature gates; the type's plugin says which
 * (ferry_provider_get_feature_gate(): the oVirt plugin names
 * `controller_ovirt_warm_migration` for warm plans, Forklift's
 * `FEATURE_OVIRT_WARM_MIGRATION`).
 *
 * Returns: (nullable): the setting, or %NULL when none gates the pair
 *
 * Since: 0.1
 */
const char *
ferry_platform_get_feature_gate(const char *provider_type, const char *migration_type)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	/* the name is static in the plugin, which stays loaded */
	return provider != NULL ? ferry_provider_get_feature_gate(provider, migration_type)
				: NULL;
}

/**
 * ferry_platform_describe_vm:
 * @provider_type: the source Provider's `spec.type`
 * @vm: an inventory VM document of that provider
 * @error: return location for a #GError
 *
 * The plugin's ferry_provider_describe_vm() on an unconnected instance.
 *
 * Returns: (transfer full) (nullable): the normalised description, or
 *   %NULL with @error set when no plugin (and no table row) describes the type
 *
 * Since: 0.1
 */
JsonObject *
ferry_platform_describe_vm(const char *provider_type, JsonObject *vm, GError **error)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	const Platform *platform = builtin(provider_type);
	g_return_val_if_fail(vm != NULL, NULL);
	if (provider != NULL)
		return ferry_provider_describe_vm(provider, vm, error);
	if (platform != NULL && platform->describe != NULL)
		return platform->describe(vm);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
		    "no loaded plugin describes VMs of provider type %s; install its plugin",
		    provider_type != NULL ? provider_type : "(none)");
	return NULL;
}

/* the refs @member names in each element of @array of a description */
static GPtrArray *
described_refs(JsonObject *described, const char *array, const char *member)
{
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	JsonArray *items = ferry_json_path_array(described, array);
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++)
		g_ptr_array_add(refs, g_strdup(ferry_json_path_string(
					      json_array_get_object_element(items, i), member, NULL)));
	return refs;
}

static GPtrArray *
vm_refs(const char *provider_type, JsonObject *vm, gboolean networks)
{
	g_autoptr(FerryProvider) provider = plugin_provider(provider_type);
	const Platform *platform = builtin(provider_type);
	RefsFunc func = platform == NULL ? NULL : networks ? platform->networks : platform->storages;
	GPtrArray *refs;

	if (provider != NULL) {
		g_autoptr(JsonObject) described = ferry_provider_describe_vm(provider, vm, NULL);
		if (described != NULL)
			return described_refs(described, networks ? "nics" : "disks",
					      networks ? "network" : "storage");
	}
	refs = func != NULL	 ? func(vm)
	       : networks	 ? refs_of_array(vm, "nics", "network")
				 : refs_of_array(vm, "disks", "datastore");
	/* the same free function as described_refs(): strings owned */
	for (guint i = 0; i < refs->len; i++)
		refs->pdata[i] = g_strdup(refs->pdata[i]);
	g_ptr_array_set_free_func(refs, g_free);
	return refs;
}

GPtrArray *
ferry_platform_vm_networks(const char *provider_type, JsonObject *vm)
{
	return vm_refs(provider_type, vm, TRUE);
}

GPtrArray *
ferry_platform_vm_storages(const char *provider_type, JsonObject *vm)
{
	return vm_refs(provider_type, vm, FALSE);
}

GPtrArray *
ferry_platform_vm_macs(const char *provider_type, JsonObject *vm)
{
	g_autoptr(JsonObject) described = ferry_platform_describe_vm(provider_type, vm, NULL);
	g_autoptr(GPtrArray) refs =
		described_refs(described != NULL ? described : vm, "nics", "mac");
	GPtrArray *macs = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < refs->len; i++) {
		char *mac;
		if (g_ptr_array_index(refs, i) == NULL)
			continue;
		mac = g_ascii_strdown(g_ptr_array_index(refs, i), -1);
		g_strdelimit(mac, "-", ':');
		g_ptr_array_add(macs, mac);
	}
	return macs;
}

const char *
ferry_platform_get_change_tracking_member(const char *provider_type)
{
	const Platform *platform = builtin(provider_type);
	return platform != NULL ? platform->change_tracking_member : NULL;
}

const FerryWorkloadExpansion *
ferry_platform_get_workload_expansions(const char *provider_type)
{
	const Platform *platform = builtin(provider_type);
	return platform != NULL ? platform->workload : NULL;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry-error.h"
#include "ferry-transfer-description.h"

/**
 * FerryTransferDescription:
 *
 * What one pull transfer does: the JSON document `ferry transfer
 * --description FILE` reads in a transfer pod, and that a destination plugin
 * writes for it. It names the source Provider (type, URL, settings, and the
 * directory where its Secret is mounted as one file per key; credentials are
 * never part of the description), the VM and disk to read (optionally in a
 * snapshot, and only changed areas: a list, or a change id to ask the
 * provider about), the target (a file, created sparse at the disk's size
 * when missing, a block device, or a directory that gets `disk.img` as
 * KubeVirt expects on a Filesystem volume), the copy journal that lets a
 * restarted transfer resume, and the copy's options.
 *
 * ```json
 * {
 *   "source": {"type": "vsphere", "url": "https://vcenter/sdk",
 *              "name": "vsphere-prod", "namespace": "demo",
 *              "settings": {"sdkEndpoint": "vcenter"},
 *              "secretDir": "/var/run/secrets/ferry/source",
 *              "hosts": [{"id": "host-21", "ipAddress": "10.0.0.21",
 *                         "secretDir": "/var/run/secrets/ferry/host-21"}]},
 *   "vm": "vm-42", "disk": "disk-2000",
 *   "snapshot": "snapshot-7", "changeId": "52 1a…/7",
 *   "target": "/data", "journal": "/data/disk.img.ferry-journal",
 *   "verify": true, "targetIsZero": false, "bandwidth": 0
 * }
 * ```
 *
 * `extents` (`[{"offset": N, "length": N}, …]`) may stand in for
 * `changeId`. Unknown members are refused, so a misspelt option never goes
 * unnoticed.
 *
 * Since: 0.1
 */
struct _FerryTransferDescription {
	GObject parent_instance;
	char *source_type;
	char *source_url;
	char *source_name;
	char *source_namespace;
	GHashTable *settings; /* key → value */
	char *secret_dir;
	GPtrArray *hosts; /* of TransferHost, in the order given */
	char *vm_id;
	char *disk_id;
	char *snapshot_id;
	char *change_id;
	FerryExtentList *extents;
	char *target;
	char *journal;
	gboolean verify;
	gboolean target_is_zero;
	guint64 bandwidth;
};

/* a Host resource of the source Provider: a hypervisor the disks are read
 * from directly */
typedef struct {
	char *id;
	char *ip_address;
	char *secret_dir;
} TransferHost;

G_DEFINE_FINAL_TYPE(FerryTransferDescription, ferry_transfer_description, G_TYPE_OBJECT)

static void
transfer_host_free(gpointer data)
{
	TransferHost *host = data;
	g_free(host->id);
	g_free(host->ip_address);
	g_free(host->secret_dir);
	g_free(host);
}

#define TRANSFER_TARGET_FILE "disk.img"
#define TRANSFER_JOURNAL_SUFFIX ".ferry-journal"

static void
ferry_transfer_description_finalize(GObject *object)
{
	FerryTransferDescription *self = FERRY_TRANSFER_DESCRIPTION(object);
	g_free(self->source_type);
	g_free(self->source_url);
	g_free(self->source_name);
	g_free(self->source_namespace);
	g_hash_table_unref(self->settings);
	g_free(self->secret_dir);
	g_ptr_array_unref(self->hosts);
	g_free(self->vm_id);
	g_free(self->disk_id);
	g_free(self->snapshot_id);
	g_free(self->change_id);
	g_clear_pointer(&self->extents, ferry_extent_list_unref);
	g_free(self->target);
	g_free(self->journal);
	G_OBJECT_CLASS(ferry_transfer_description_parent_class)->finalize(object);
}

static void
ferry_transfer_description_class_init(FerryTransferDescriptionClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_transfer_description_finalize;
}

static void
ferry_transfer_description_init(FerryTransferDescription *self)
{
	self->settings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->hosts = g_ptr_array_new_with_free_func(transfer_host_free);
}

/**
 * ferry_transfer_description_new:
 *
 * Returns: (transfer full): an empty description; set at least the source
 *   type, the VM, the disk and the target
 *
 * Since: 0.1
 */
FerryTransferDescription *
ferry_transfer_description_new(void)
{
	return g_object_new(FERRY_TYPE_TRANSFER_DESCRIPTION, NULL);
}

/* -- reading -- */

static const char *const credential_members[] = {
    "user", "username", "password", "token", "secret", "cacert", "ca.crt", "thumbprint", NULL,
};

static gboolean
transfer_check_members(JsonObject *object,
		       const char *where,
		       const char *const *known,
		       GError **error)
{
	g_autoptr(GList) members = json_object_get_members(object);
	for (GList *l = members; l != NULL; l = l->next) {
		const char *name = l->data;
		if (g_strv_contains(known, name))
			continue;
		if (g_strv_contains(credential_members, name)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s%s: credentials do not belong in a transfer description; "
				    "put them in the Provider's Secret and name its mounted "
				    "directory in source.secretDir",
				    where, name);
			return FALSE;
		}
		{
			g_autofree char *list = g_strjoinv(", ", (char **)known);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s%s is not a member of a transfer description; the members "
				    "are %s",
				    where, name, list);
		}
		return FALSE;
	}
	return TRUE;
}

static gboolean
transfer_read_string(JsonObject *object,
		     const char *where,
		     const char *member,
		     char **value,
		     GError **error)
{
	JsonNode *node = json_object_get_member(object, member);
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s%s must be a string", where, member);
		return FALSE;
	}
	g_free(*value);
	*value = json_node_get_string(node)[0] != '\0' ? json_node_dup_string(node) : NULL;
	return TRUE;
}

static gboolean
transfer_read_boolean(JsonObject *object, const char *member, gboolean *value, GError **error)
{
	JsonNode *node = json_object_get_member(object, member);
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s must be true or false", member);
		return FALSE;
	}
	*value = json_node_get_boolean(node);
	return TRUE;
}

static gboolean
transfer_read_number(JsonNode *node, const char *what, guint64 *value, GError **error)
{
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64 || json_node_get_int(node) < 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s must be a whole number of bytes, 0 or more", what);
		return FALSE;
	}
	*value = (guint64)json_node_get_int(node);
	return TRUE;
}

static gboolean
transfer_read_host(FerryTransferDescription *self, JsonNode *node, guint index, GError **error)
{
	static const char *const known[] = {"id", "ipAddress", "secretDir", NULL};
	g_autofree char *where = g_strdup_printf("source.hosts[%u].", index);
	g_autofree char *id = NULL;
	g_autofree char *ip_address = NULL;
	g_autofree char *secret_dir = NULL;
	JsonObject *object;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "source.hosts[%u] must be {\"id\": …, \"ipAddress\": …, "
			    "\"secretDir\": …}",
			    index);
		return FALSE;
	}
	object = json_node_get_object(node);
	if (!transfer_check_members(object, where, known, error) ||
	    !transfer_read_string(object, where, "id", &id, error) ||
	    !transfer_read_string(object, where, "ipAddress", &ip_address, error) ||
	    !transfer_read_string(object, where, "secretDir", &secret_dir, error))
		return FALSE;
	if (id == NULL || ip_address == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s%s is missing: a host needs its inventory id and its address", where,
			    id == NULL ? "id" : "ipAddress");
		return FALSE;
	}
	ferry_transfer_description_add_source_host(self, id, ip_address, secret_dir);
	return TRUE;
}

static gboolean
transfer_read_hosts(FerryTransferDescription *self, JsonNode *node, GError **error)
{
	JsonArray *array;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(node)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "source.hosts must be an array of {\"id\": …, \"ipAddress\": "
				    "…, \"secretDir\": …}");
		return FALSE;
	}
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		if (!transfer_read_host(self, json_array_get_element(array, i), i, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
transfer_read_source(FerryTransferDescription *self, JsonObject *source, GError **error)
{
	static const char *const known[] = {
	    "type", "url", "name", "namespace", "settings", "secretDir", "hosts", NULL,
	};
	JsonNode *settings;

	if (!transfer_check_members(source, "source.", known, error) ||
	    !transfer_read_string(source, "source.", "type", &self->source_type, error) ||
	    !transfer_read_string(source, "source.", "url", &self->source_url, error) ||
	    !transfer_read_string(source, "source.", "name", &self->source_name, error) ||
	    !transfer_read_string(source, "source.", "namespace", &self->source_namespace, error) ||
	    !transfer_read_string(source, "source.", "secretDir", &self->secret_dir, error) ||
	    !transfer_read_hosts(self, json_object_get_member(source, "hosts"), error))
		return FALSE;
	settings = json_object_get_member(source, "settings");
	if (settings == NULL || JSON_NODE_HOLDS_NULL(settings))
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(settings)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "source.settings must be an object of strings, as a "
				    "Provider's spec.settings");
		return FALSE;
	}
	{
		JsonObjectIter iter;
		const char *key;
		JsonNode *value;
		json_object_iter_init(&iter, json_node_get_object(settings));
		while (json_object_iter_next(&iter, &key, &value)) {
			if (!JSON_NODE_HOLDS_VALUE(value) ||
			    json_node_get_value_type(value) != G_TYPE_STRING) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "source.settings.%s must be a string", key);
				return FALSE;
			}
			ferry_transfer_description_set_source_setting(self, key,
								      json_node_get_string(value));
		}
	}
	return TRUE;
}

static gboolean
transfer_read_extents(FerryTransferDescription *self, JsonNode *node, GError **error)
{
	g_autoptr(FerryExtentList) extents = ferry_extent_list_new();
	JsonArray *array;

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(node)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "extents must be an array of {\"offset\": N, \"length\": N}");
		return FALSE;
	}
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		g_autofree char *what_offset = g_strdup_printf("extents[%u].offset", i);
		g_autofree char *what_length = g_strdup_printf("extents[%u].length", i);
		JsonObject *object;
		guint64 offset = 0, length = 0;

		if (!JSON_NODE_HOLDS_OBJECT(element)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "extents[%u] must be {\"offset\": N, \"length\": N}", i);
			return FALSE;
		}
		object = json_node_get_object(element);
		if (!transfer_read_number(json_object_get_member(object, "offset"), what_offset,
					  &offset, error) ||
		    !transfer_read_number(json_object_get_member(object, "length"), what_length,
					  &length, error))
			return FALSE;
		if (!ferry_extent_list_add(extents, offset, length, FERRY_EXTENT_FLAG_NONE,
					   error)) {
			g_prefix_error(error, "extents[%u]: ", i);
			return FALSE;
		}
	}
	ferry_transfer_description_set_extents(self, extents);
	return TRUE;
}

/**
 * ferry_transfer_description_new_from_json:
 * @node: the description, a JSON object
 * @error: return location for a #GError
 *
 * Reads a description and checks it with
 * ferry_transfer_description_validate().
 *
 * Returns: (transfer full): the description, or %NULL with @error set
 *   (%FERRY_ERROR_INVALID_DATA) naming the member at fault
 *
 * Since: 0.1
 */
FerryTransferDescription *
ferry_transfer_description_new_from_json(JsonNode *node, GError **error)
{
	static const char *const known[] = {
	    "source",	"vm",	   "disk",   "snapshot",     "changeId",  "extents",
	    "target",	"journal", "verify", "targetIsZero", "bandwidth", NULL,
	};
	g_autoptr(FerryTransferDescription) self = ferry_transfer_description_new();
	JsonObject *root;
	JsonNode *source, *bandwidth;

	g_return_val_if_fail(node != NULL, NULL);
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "a transfer description is a JSON object");
		return NULL;
	}
	root = json_node_get_object(node);
	source = json_object_get_member(root, "source");
	if (!transfer_check_members(root, "", known, error))
		return NULL;
	if (source == NULL || !JSON_NODE_HOLDS_OBJECT(source)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "source must be an object naming the source Provider: "
				    "{\"type\": …, \"url\": …, \"secretDir\": …}");
		return NULL;
	}
	if (!transfer_read_source(self, json_node_get_object(source), error) ||
	    !transfer_read_string(root, "", "vm", &self->vm_id, error) ||
	    !transfer_read_string(root, "", "disk", &self->disk_id, error) ||
	    !transfer_read_string(root, "", "snapshot", &self->snapshot_id, error) ||
	    !transfer_read_string(root, "", "changeId", &self->change_id, error) ||
	    !transfer_read_extents(self, json_object_get_member(root, "extents"), error) ||
	    !transfer_read_string(root, "", "target", &self->target, error) ||
	    !transfer_read_string(root, "", "journal", &self->journal, error) ||
	    !transfer_read_boolean(root, "verify", &self->verify, error) ||
	    !transfer_read_boolean(root, "targetIsZero", &self->target_is_zero, error))
		return NULL;
	bandwidth = json_object_get_member(root, "bandwidth");
	if (bandwidth != NULL && !JSON_NODE_HOLDS_NULL(bandwidth) &&
	    !transfer_read_number(bandwidth, "bandwidth (bytes per second)", &self->bandwidth,
				  error))
		return NULL;
	if (!ferry_transfer_description_validate(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * ferry_transfer_description_new_from_data:
 * @data: the description as JSON text
 * @length: the length of @data, or -1 when it ends with a NUL
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the description, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryTransferDescription *
ferry_transfer_description_new_from_data(const char *data, gssize length, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_return_val_if_fail(data != NULL, NULL);
	if (!json_parser_load_from_data(parser, data, length, error)) {
		ferry_error_convert(error);
		return NULL;
	}
	if (json_parser_get_root(parser) == NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the transfer description is empty");
		return NULL;
	}
	return ferry_transfer_description_new_from_json(json_parser_get_root(parser), error);
}

/**
 * ferry_transfer_description_new_from_file:
 * @path: a JSON file
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the description, or %NULL with @error set; the
 *   message starts with @path
 *
 * Since: 0.1
 */
FerryTransferDescription *
ferry_transfer_description_new_from_file(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize length = 0;
	FerryTransferDescription *self;

	g_return_val_if_fail(path != NULL, NULL);
	if (!g_file_get_contents(path, &data, &length, error)) {
		ferry_error_convert(error);
		return NULL;
	}
	self = ferry_transfer_description_new_from_data(data, (gssize)length, error);
	if (self == NULL)
		g_prefix_error(error, "transfer description %s: ", path);
	return self;
}

/* -- writing -- */

static void
transfer_add_string(JsonBuilder *builder, const char *member, const char *value)
{
	if (value == NULL)
		return;
	json_builder_set_member_name(builder, member);
	json_builder_add_string_value(builder, value);
}

static void
transfer_add_source(FerryTransferDescription *self, JsonBuilder *builder)
{
	g_autoptr(GList) keys = g_hash_table_get_keys(self->settings);

	json_builder_set_member_name(builder, "source");
	json_builder_begin_object(builder);
	transfer_add_string(builder, "type", self->source_type);
	transfer_add_string(builder, "url", self->source_url);
	transfer_add_string(builder, "name", self->source_name);
	transfer_add_string(builder, "namespace", self->source_namespace);
	if (keys != NULL) {
		keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
		json_builder_set_member_name(builder, "settings");
		json_builder_begin_object(builder);
		for (GList *l = keys; l != NULL; l = l->next)
			transfer_add_string(builder, l->data,
					    g_hash_table_lookup(self->settings, l->data));
		json_builder_end_object(builder);
	}
	transfer_add_string(builder, "secretDir", self->secret_dir);
	if (self->hosts->len > 0) {
		json_builder_set_member_name(builder, "hosts");
		json_builder_begin_array(builder);
		for (guint i = 0; i < self->hosts->len; i++) {
			TransferHost *host = g_ptr_array_index(self->hosts, i);
			json_builder_begin_object(builder);
			transfer_add_string(builder, "id", host->id);
			transfer_add_string(builder, "ipAddress", host->ip_address);
			transfer_add_string(builder, "secretDir", host->secret_dir);
			json_builder_end_object(builder);
		}
		json_builder_end_array(builder);
	}
	json_builder_end_object(builder);
}

/**
 * ferry_transfer_description_to_json:
 * @self: a #FerryTransferDescription
 *
 * Returns: (transfer full): the description as JSON, which
 *   ferry_transfer_description_new_from_json() reads back
 *
 * Since: 0.1
 */
JsonNode *
ferry_transfer_description_to_json(FerryTransferDescription *self)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	json_builder_begin_object(builder);
	transfer_add_source(self, builder);
	transfer_add_string(builder, "vm", self->vm_id);
	transfer_add_string(builder, "disk", self->disk_id);
	transfer_add_string(builder, "snapshot", self->snapshot_id);
	transfer_add_string(builder, "changeId", self->change_id);
	if (self->extents != NULL) {
		json_builder_set_member_name(builder, "extents");
		json_builder_begin_array(builder);
		for (guint i = 0; i < ferry_extent_list_get_length(self->extents); i++) {
			const FerryExtent *extent = ferry_extent_list_get(self->extents, i);
			json_builder_begin_object(builder);
			json_builder_set_member_name(builder, "offset");
			json_builder_add_int_value(builder, (gint64)extent->offset);
			json_builder_set_member_name(builder, "length");
			json_builder_add_int_value(builder, (gint64)extent->length);
			json_builder_end_object(builder);
		}
		json_builder_end_array(builder);
	}
	transfer_add_string(builder, "target", self->target);
	transfer_add_string(builder, "journal", self->journal);
	json_builder_set_member_name(builder, "verify");
	json_builder_add_boolean_value(builder, self->verify);
	json_builder_set_member_name(builder, "targetIsZero");
	json_builder_add_boolean_value(builder, self->target_is_zero);
	if (self->bandwidth > 0) {
		json_builder_set_member_name(builder, "bandwidth");
		json_builder_add_int_value(builder, (gint64)self->bandwidth);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/**
 * ferry_transfer_description_to_data:
 * @self: a #FerryTransferDescription
 * @length: (out) (optional): the length of the text
 *
 * Returns: (transfer full): the description as compact JSON text
 *
 * Since: 0.1
 */
char *
ferry_transfer_description_to_data(FerryTransferDescription *self, gsize *length)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonGenerator) generator = json_generator_new();

	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	root = ferry_transfer_description_to_json(self);
	json_generator_set_root(generator, root);
	return json_generator_to_data(generator, length);
}

static gboolean
transfer_check_path(const char *member, const char *path, GError **error)
{
	if (path == NULL || g_path_is_absolute(path))
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
		    "%s '%s' must be an absolute path (where the volume is mounted in the pod)",
		    member, path);
	return FALSE;
}

static gboolean
transfer_validate(FerryTransferDescription *self, GError **error)
{
	const struct {
		const char *member;
		const char *value;
		const char *what;
	} required[] = {
	    {"source.type", self->source_type, "the source Provider's type, e.g. vsphere"},
	    {"vm", self->vm_id, "the id of the source VM in the provider's inventory"},
	    {"disk", self->disk_id, "the id of the VM's disk to copy"},
	    {"target", self->target, "the disk file, block device or volume directory to write"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
		if (required[i].value == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s is missing: give %s", required[i].member,
				    required[i].what);
			return FALSE;
		}
	}
	if (!transfer_check_path("target", self->target, error) ||
	    !transfer_check_path("journal", self->journal, error) ||
	    !transfer_check_path("source.secretDir", self->secret_dir, error))
		return FALSE;
	for (guint i = 0; i < self->hosts->len; i++) {
		TransferHost *host = g_ptr_array_index(self->hosts, i);
		if (!transfer_check_path("source.hosts[].secretDir", host->secret_dir, error))
			return FALSE;
	}
	if (self->change_id != NULL && self->snapshot_id == NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "changeId needs snapshot: the changed areas are those between "
				    "the change id and a snapshot");
		return FALSE;
	}
	if (self->change_id != NULL && self->extents != NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "give changeId or extents, not both");
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_transfer_description_validate:
 * @self: a #FerryTransferDescription
 * @error: return location for a #GError
 *
 * Checks that the description can be run: the source type, the VM, the disk
 * and the target are set, paths are absolute, a change id comes with the
 * snapshot it is compared against, and changed areas are given one way only.
 *
 * Returns: %TRUE when it can be run, else %FALSE with @error set
 *   (%FERRY_ERROR_INVALID_DATA)
 *
 * Since: 0.1
 */
gboolean
ferry_transfer_description_validate(FerryTransferDescription *self, GError **error)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), FALSE);
	return transfer_validate(self, error);
}

/* -- the source -- */

/**
 * ferry_transfer_description_dup_provider_config:
 * @self: a #FerryTransferDescription
 * @error: return location for a #GError
 *
 * Builds what the source provider's `connect` needs: type, URL, settings,
 * the Secret read from `source.secretDir` with
 * ferry_secret_new_from_directory() (no Secret without it), and the hosts
 * with theirs.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set
 *   when the Secret's directory cannot be read
 *
 * Since: 0.1
 */
FerryProviderConfig *
ferry_transfer_description_dup_provider_config(FerryTransferDescription *self, GError **error)
{
	g_autoptr(FerryProviderConfig) config = NULL;
	GHashTableIter iter;
	gpointer key, value;

	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	if (!ferry_transfer_description_validate(self, error))
		return NULL;
	config = ferry_provider_config_new(self->source_type, self->source_namespace,
					   self->source_name != NULL ? self->source_name
								     : self->source_type);
	ferry_provider_config_set_url(config, self->source_url);
	g_hash_table_iter_init(&iter, self->settings);
	while (g_hash_table_iter_next(&iter, &key, &value))
		ferry_provider_config_set_setting(config, key, value);
	if (self->secret_dir != NULL) {
		g_autoptr(FerrySecret) secret =
		    ferry_secret_new_from_directory(NULL, self->secret_dir, error);
		if (secret == NULL)
			return NULL;
		ferry_provider_config_set_secret(config, secret);
	}
	for (guint i = 0; i < self->hosts->len; i++) {
		TransferHost *host = g_ptr_array_index(self->hosts, i);
		g_autoptr(FerrySecret) secret = NULL;
		if (host->secret_dir != NULL) {
			g_autofree char *name = g_strdup_printf("of Host %s", host->id);
			secret = ferry_secret_new_from_directory(name, host->secret_dir, error);
			if (secret == NULL)
				return NULL;
		}
		ferry_provider_config_add_host(config, host->id, host->ip_address, secret);
	}
	return g_steal_pointer(&config);
}

/* -- accessors -- */

static void
transfer_set(char **field, const char *value)
{
	g_free(*field);
	*field = value != NULL && value[0] != '\0' ? g_strdup(value) : NULL;
}

/**
 * ferry_transfer_description_set_source_type:
 * @self: a #FerryTransferDescription
 * @type: (nullable): the source Provider's `spec.type`, e.g. `vsphere`
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_source_type(FerryTransferDescription *self, const char *type)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->source_type, type);
}

/**
 * ferry_transfer_description_get_source_type:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the source Provider's type
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_source_type(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->source_type;
}

/**
 * ferry_transfer_description_set_source_url:
 * @self: a #FerryTransferDescription
 * @url: (nullable): the source Provider's `spec.url`
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_source_url(FerryTransferDescription *self, const char *url)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->source_url, url);
}

/**
 * ferry_transfer_description_get_source_url:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the source Provider's URL
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_source_url(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->source_url;
}

/**
 * ferry_transfer_description_set_source_name:
 * @self: a #FerryTransferDescription
 * @name_space: (nullable): the source Provider's namespace
 * @name: (nullable): the source Provider's name, used in messages
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_source_name(FerryTransferDescription *self,
					   const char *name_space,
					   const char *name)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->source_namespace, name_space);
	transfer_set(&self->source_name, name);
}

/**
 * ferry_transfer_description_get_source_name:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the source Provider's name
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_source_name(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->source_name;
}

/**
 * ferry_transfer_description_get_source_namespace:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the source Provider's namespace
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_source_namespace(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->source_namespace;
}

/**
 * ferry_transfer_description_set_source_setting:
 * @self: a #FerryTransferDescription
 * @key: a key of the Provider's `spec.settings`
 * @value: (nullable): its value; %NULL removes it
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_source_setting(FerryTransferDescription *self,
					      const char *key,
					      const char *value)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	g_return_if_fail(key != NULL);
	if (value == NULL)
		g_hash_table_remove(self->settings, key);
	else
		g_hash_table_replace(self->settings, g_strdup(key), g_strdup(value));
}

/**
 * ferry_transfer_description_get_source_setting:
 * @self: a #FerryTransferDescription
 * @key: a key of the Provider's `spec.settings`
 *
 * Returns: (nullable): its value
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_source_setting(FerryTransferDescription *self, const char *key)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return g_hash_table_lookup(self->settings, key);
}

/**
 * ferry_transfer_description_set_secret_dir:
 * @self: a #FerryTransferDescription
 * @path: (nullable): where the source Provider's Secret is mounted, one file
 *   per key
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_secret_dir(FerryTransferDescription *self, const char *path)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->secret_dir, path);
}

/**
 * ferry_transfer_description_get_secret_dir:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the Secret's directory
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_secret_dir(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->secret_dir;
}

/**
 * ferry_transfer_description_add_source_host:
 * @self: a #FerryTransferDescription
 * @host_id: the host's inventory id (a Host resource's `spec.id`)
 * @ip_address: its address, as the Host's `spec.ipAddress` (a port may follow)
 * @secret_dir: (nullable): where the Host's Secret is mounted; %NULL for a
 *   Host without one
 *
 * Adds a host the disks of its VMs are read from directly, as a Host
 * resource of the source Provider does.
 *
 * Since: 0.1
 */
void
ferry_transfer_description_add_source_host(FerryTransferDescription *self,
					   const char *host_id,
					   const char *ip_address,
					   const char *secret_dir)
{
	TransferHost *host;

	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	g_return_if_fail(host_id != NULL && ip_address != NULL);
	host = g_new0(TransferHost, 1);
	host->id = g_strdup(host_id);
	host->ip_address = g_strdup(ip_address);
	host->secret_dir = g_strdup(secret_dir);
	g_ptr_array_add(self->hosts, host);
}

/**
 * ferry_transfer_description_list_source_hosts:
 * @self: a #FerryTransferDescription
 *
 * Returns: (transfer full): the ids of the hosts, in the order added
 *
 * Since: 0.1
 */
GStrv
ferry_transfer_description_list_source_hosts(FerryTransferDescription *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	for (guint i = 0; i < self->hosts->len; i++)
		g_strv_builder_add(builder, ((TransferHost *)g_ptr_array_index(self->hosts, i))->id);
	return g_strv_builder_end(builder);
}

static TransferHost *
transfer_find_host(FerryTransferDescription *self, const char *host_id)
{
	for (guint i = 0; i < self->hosts->len; i++) {
		TransferHost *host = g_ptr_array_index(self->hosts, i);
		if (g_strcmp0(host->id, host_id) == 0)
			return host;
	}
	return NULL;
}

/**
 * ferry_transfer_description_get_source_host_address:
 * @self: a #FerryTransferDescription
 * @host_id: a host's id
 *
 * Returns: (nullable): the host's address, or %NULL for an unknown host
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_source_host_address(FerryTransferDescription *self,
						   const char *host_id)
{
	TransferHost *host;
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	host = transfer_find_host(self, host_id);
	return host != NULL ? host->ip_address : NULL;
}

/**
 * ferry_transfer_description_get_source_host_secret_dir:
 * @self: a #FerryTransferDescription
 * @host_id: a host's id
 *
 * Returns: (nullable): where the host's Secret is mounted
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_source_host_secret_dir(FerryTransferDescription *self,
						      const char *host_id)
{
	TransferHost *host;
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	host = transfer_find_host(self, host_id);
	return host != NULL ? host->secret_dir : NULL;
}

/**
 * ferry_transfer_description_set_vm_id:
 * @self: a #FerryTransferDescription
 * @vm_id: (nullable): the source VM's inventory id
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_vm_id(FerryTransferDescription *self, const char *vm_id)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->vm_id, vm_id);
}

/**
 * ferry_transfer_description_get_vm_id:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the source VM's id
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_vm_id(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->vm_id;
}

/**
 * ferry_transfer_description_set_disk_id:
 * @self: a #FerryTransferDescription
 * @disk_id: (nullable): the disk's id, as ferry_provider_open_disk() takes it
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_disk_id(FerryTransferDescription *self, const char *disk_id)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->disk_id, disk_id);
}

/**
 * ferry_transfer_description_get_disk_id:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the disk's id
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_disk_id(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->disk_id;
}

/**
 * ferry_transfer_description_set_snapshot_id:
 * @self: a #FerryTransferDescription
 * @snapshot_id: (nullable): read the disk as it is in this snapshot
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_snapshot_id(FerryTransferDescription *self,
					   const char *snapshot_id)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->snapshot_id, snapshot_id);
}

/**
 * ferry_transfer_description_get_snapshot_id:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the snapshot
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_snapshot_id(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->snapshot_id;
}

/**
 * ferry_transfer_description_set_change_id:
 * @self: a #FerryTransferDescription
 * @change_id: (nullable): copy only what changed since this change id (up to
 *   the snapshot), as ferry_provider_get_changed_areas() answers; `*` means
 *   everything allocated
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_change_id(FerryTransferDescription *self, const char *change_id)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->change_id, change_id);
}

/**
 * ferry_transfer_description_get_change_id:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the change id
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_change_id(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->change_id;
}

/**
 * ferry_transfer_description_set_extents:
 * @self: a #FerryTransferDescription
 * @extents: (nullable): copy only these ranges
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_extents(FerryTransferDescription *self, FerryExtentList *extents)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	if (extents != NULL)
		ferry_extent_list_ref(extents);
	g_clear_pointer(&self->extents, ferry_extent_list_unref);
	self->extents = extents;
}

/**
 * ferry_transfer_description_get_extents:
 * @self: a #FerryTransferDescription
 *
 * Returns: (transfer none) (nullable): the ranges to copy, %NULL for all
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_transfer_description_get_extents(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->extents;
}

/**
 * ferry_transfer_description_set_target:
 * @self: a #FerryTransferDescription
 * @path: (nullable): a disk file, a block device, or the directory of a
 *   Filesystem volume (the disk is then its `disk.img`)
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_target(FerryTransferDescription *self, const char *path)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->target, path);
}

/**
 * ferry_transfer_description_get_target:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the target as given
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_target(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->target;
}

/**
 * ferry_transfer_description_dup_target_file:
 * @self: a #FerryTransferDescription
 *
 * Returns: (transfer full) (nullable): the file or device to write: the
 *   target, or its `disk.img` when the target is a directory
 *
 * Since: 0.1
 */
char *
ferry_transfer_description_dup_target_file(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	if (self->target == NULL)
		return NULL;
	if (g_file_test(self->target, G_FILE_TEST_IS_DIR))
		return g_build_filename(self->target, TRANSFER_TARGET_FILE, NULL);
	return g_strdup(self->target);
}

/**
 * ferry_transfer_description_set_journal:
 * @self: a #FerryTransferDescription
 * @path: (nullable): the copy journal; keep it on the target's volume so that
 *   a restarted transfer finds it
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_journal(FerryTransferDescription *self, const char *path)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	transfer_set(&self->journal, path);
}

/**
 * ferry_transfer_description_get_journal:
 * @self: a #FerryTransferDescription
 *
 * Returns: (nullable): the journal as given
 *
 * Since: 0.1
 */
const char *
ferry_transfer_description_get_journal(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	return self->journal;
}

/**
 * ferry_transfer_description_dup_journal_file:
 * @self: a #FerryTransferDescription
 *
 * The journal as given; without one, `<target file>.ferry-journal` beside a
 * target file (existing or to be made). A block device or any other special
 * file has no default (there is no file beside it):
 * such a transfer does not resume unless a journal is given.
 *
 * Returns: (transfer full) (nullable): the journal to use, or %NULL for none
 *
 * Since: 0.1
 */
char *
ferry_transfer_description_dup_journal_file(FerryTransferDescription *self)
{
	g_autofree char *target = NULL;
	GStatBuf st;

	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), NULL);
	if (self->journal != NULL)
		return g_strdup(self->journal);
	target = ferry_transfer_description_dup_target_file(self);
	if (target == NULL || (g_stat(target, &st) == 0 && !S_ISREG(st.st_mode)))
		return NULL;
	return g_strconcat(target, TRANSFER_JOURNAL_SUFFIX, NULL);
}

/**
 * ferry_transfer_description_set_verify:
 * @self: a #FerryTransferDescription
 * @verify: read every range back and compare it with the source
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_verify(FerryTransferDescription *self, gboolean verify)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	self->verify = verify;
}

/**
 * ferry_transfer_description_get_verify:
 * @self: a #FerryTransferDescription
 *
 * Returns: whether the copy is verified
 *
 * Since: 0.1
 */
gboolean
ferry_transfer_description_get_verify(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), FALSE);
	return self->verify;
}

/**
 * ferry_transfer_description_set_target_is_zero:
 * @self: a #FerryTransferDescription
 * @zero: the target already reads as zeroes (a new volume on the first
 *   round), so zero ranges are not written
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_target_is_zero(FerryTransferDescription *self, gboolean zero)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	self->target_is_zero = zero;
}

/**
 * ferry_transfer_description_get_target_is_zero:
 * @self: a #FerryTransferDescription
 *
 * Returns: whether the target reads as zeroes before the copy
 *
 * Since: 0.1
 */
gboolean
ferry_transfer_description_get_target_is_zero(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), FALSE);
	return self->target_is_zero;
}

/**
 * ferry_transfer_description_set_bandwidth:
 * @self: a #FerryTransferDescription
 * @bytes_per_second: read at most this many bytes per second; 0 for no limit
 *
 * Since: 0.1
 */
void
ferry_transfer_description_set_bandwidth(FerryTransferDescription *self,
					 guint64 bytes_per_second)
{
	g_return_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self));
	self->bandwidth = bytes_per_second;
}

/**
 * ferry_transfer_description_get_bandwidth:
 * @self: a #FerryTransferDescription
 *
 * Returns: the bandwidth limit in bytes per second, 0 for none
 *
 * Since: 0.1
 */
guint64
ferry_transfer_description_get_bandwidth(FerryTransferDescription *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_DESCRIPTION(self), 0);
	return self->bandwidth;
}

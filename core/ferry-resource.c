/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-json-private.h"
#include "ferry-resource-kinds.h"
#include "ferry-resource-private.h"
#include "ferry-resource.h"

/**
 * FerryResource:
 *
 * One Forklift resource (`Provider`, `Plan`, …) or Kubernetes `Secret`:
 * its whole JSON tree, as written in a manifest or stored, with accessors
 * for the metadata every kind has and for `status.conditions`.
 *
 * The tree is kept as it is, so fields Ferry does not know survive a round
 * trip. Subclasses (#FerryPlan, #FerryProviderResource, …) add typed
 * accessors for the fields the engine uses; ferry_resource_new_from_json()
 * picks the right one from `kind`.
 *
 * Field paths, as taken by ferry_resource_get_node(), join members with `.`
 * and write array elements as `[N]`: `spec.vms[0].id`.
 *
 * Since: 0.1
 */

typedef struct {
	JsonNode *root; /* always an object */
} FerryResourcePrivate;

G_DEFINE_TYPE_WITH_PRIVATE(FerryResource, ferry_resource, G_TYPE_OBJECT)

static void
ferry_resource_finalize(GObject *object)
{
	FerryResourcePrivate *priv = ferry_resource_get_instance_private(FERRY_RESOURCE(object));
	g_clear_pointer(&priv->root, json_node_unref);
	G_OBJECT_CLASS(ferry_resource_parent_class)->finalize(object);
}

static void
ferry_resource_class_init(FerryResourceClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_resource_finalize;
}

static void
ferry_resource_init(FerryResource *self)
{
	FerryResourcePrivate *priv = ferry_resource_get_instance_private(self);
	priv->root = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(priv->root, json_object_new());
}

static JsonObject *
ferry_resource_root(FerryResource *self)
{
	FerryResourcePrivate *priv = ferry_resource_get_instance_private(self);
	return json_node_get_object(priv->root);
}

static JsonObject *
ferry_resource_ensure_object_member(JsonObject *object, const char *member)
{
	JsonObject *child = ferry_json_get_object(object, member);
	if (child == NULL) {
		child = json_object_new();
		json_object_set_object_member(object, member, child);
	}
	return child;
}

static JsonObject *
ferry_resource_metadata(FerryResource *self)
{
	return ferry_json_get_object(ferry_resource_root(self), "metadata");
}

/* takes ownership of @root, an object node */
FerryResource *
ferry_resource_new_for_kind(const char *kind, JsonNode *root)
{
	GType type = ferry_resource_kind_get_gtype(kind);
	FerryResource *self;
	FerryResourcePrivate *priv;

	if (type == G_TYPE_INVALID)
		type = FERRY_TYPE_RESOURCE;
	self = g_object_new(type, NULL);
	priv = ferry_resource_get_instance_private(self);
	json_node_unref(priv->root);
	priv->root = root;
	return self;
}

/**
 * ferry_resource_new_from_json:
 * @node: a JSON object with `apiVersion`, `kind` and `metadata.name`
 * @default_namespace: (nullable): the namespace to use when
 *   `metadata.namespace` is not set; %NULL means `default`
 * @error: return location for a #GError
 *
 * Makes a resource of the right subclass for `kind` from a copy of @node.
 * Only the identifying fields are checked here; see #FerrySchema for the
 * rest.
 *
 * Returns: (transfer full): the resource, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryResource *
ferry_resource_new_from_json(JsonNode *node, const char *default_namespace, GError **error)
{
	JsonObject *root;
	JsonObject *metadata;
	const char *kind;
	const char *api_version;
	const char *name;
	const char *expected_version;
	FerryResource *self;

	g_return_val_if_fail(node != NULL, NULL);
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "a resource must be a mapping with apiVersion, kind and "
				    "metadata");
		return NULL;
	}
	root = json_node_get_object(node);
	kind = ferry_json_get_string(root, "kind");
	api_version = ferry_json_get_string(root, "apiVersion");
	if (kind == NULL || kind[0] == '\0') {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "kind: required; set it to one of Provider, Secret, Host, "
				    "NetworkMap, StorageMap, Plan, Migration, Hook, "
				    "ForkliftController");
		return NULL;
	}
	expected_version = ferry_resource_kind_get_api_version(kind);
	if (expected_version == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "kind: '%s' is not a kind Ferry knows; use one of Provider, Secret, "
			    "Host, NetworkMap, StorageMap, Plan, Migration, Hook, "
			    "ForkliftController",
			    kind);
		return NULL;
	}
	if (g_strcmp0(api_version, expected_version) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "apiVersion: '%s' is not valid for %s; expected '%s'",
			    api_version != NULL ? api_version : "", kind, expected_version);
		return NULL;
	}
	metadata = ferry_json_get_object(root, "metadata");
	name = ferry_json_get_string(metadata, "name");
	if (name == NULL || name[0] == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "metadata.name: required; every %s needs a name", kind);
		return NULL;
	}

	self = ferry_resource_new_for_kind(kind, ferry_json_node_deep_copy(node));
	metadata = ferry_resource_metadata(self);
	if (ferry_json_get_string(metadata, "namespace") == NULL)
		json_object_set_string_member(metadata, "namespace",
					      default_namespace != NULL ? default_namespace
									: "default");
	return self;
}

/**
 * ferry_resource_copy:
 * @self: a #FerryResource
 *
 * Returns: (transfer full): a deep copy of @self
 *
 * Since: 0.1
 */
FerryResource *
ferry_resource_copy(FerryResource *self)
{
	FerryResourcePrivate *priv;
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	priv = ferry_resource_get_instance_private(self);
	return ferry_resource_new_for_kind(ferry_resource_get_kind(self),
					   ferry_json_node_deep_copy(priv->root));
}

/**
 * ferry_resource_get_kind:
 * @self: a #FerryResource
 *
 * Returns: (transfer none): the `kind`, such as `Plan`
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_kind(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_string(ferry_resource_root(self), "kind");
}

/**
 * ferry_resource_get_api_version:
 * @self: a #FerryResource
 *
 * Returns: (transfer none): the `apiVersion`
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_api_version(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_string(ferry_resource_root(self), "apiVersion");
}

/**
 * ferry_resource_get_name:
 * @self: a #FerryResource
 *
 * Returns: (transfer none): `metadata.name`
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_name(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_string(ferry_resource_metadata(self), "name");
}

/**
 * ferry_resource_get_namespace:
 * @self: a #FerryResource
 *
 * Returns: (transfer none): `metadata.namespace`
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_namespace(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_string(ferry_resource_metadata(self), "namespace");
}

/**
 * ferry_resource_get_uid:
 * @self: a #FerryResource
 *
 * Returns: (transfer none) (nullable): `metadata.uid`, given by the store
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_uid(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_string(ferry_resource_metadata(self), "uid");
}

/**
 * ferry_resource_get_generation:
 * @self: a #FerryResource
 *
 * Returns: `metadata.generation`: 1 when created, one more at each change of
 *   `spec`; 0 before the resource is stored
 *
 * Since: 0.1
 */
gint64
ferry_resource_get_generation(FerryResource *self)
{
	JsonObject *metadata;
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), 0);
	metadata = ferry_resource_metadata(self);
	if (metadata == NULL || !json_object_has_member(metadata, "generation"))
		return 0;
	return json_object_get_int_member(metadata, "generation");
}

/**
 * ferry_resource_get_resource_version:
 * @self: a #FerryResource
 *
 * Returns: (transfer none) (nullable): `metadata.resourceVersion`, which
 *   changes at every write of the resource, status included
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_resource_version(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_string(ferry_resource_metadata(self), "resourceVersion");
}

/**
 * ferry_resource_get_creation_timestamp:
 * @self: a #FerryResource
 *
 * Returns: (transfer none) (nullable): `metadata.creationTimestamp`
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_creation_timestamp(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_string(ferry_resource_metadata(self), "creationTimestamp");
}

static const char *
ferry_resource_get_metadata_map_value(FerryResource *self, const char *map, const char *key)
{
	JsonObject *metadata = ferry_resource_metadata(self);
	if (metadata == NULL)
		return NULL;
	return ferry_json_get_string(ferry_json_get_object(metadata, map), key);
}

/**
 * ferry_resource_get_label:
 * @self: a #FerryResource
 * @key: a label key
 *
 * Returns: (transfer none) (nullable): the value of the label
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_label(FerryResource *self, const char *key)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_resource_get_metadata_map_value(self, "labels", key);
}

/**
 * ferry_resource_get_annotation:
 * @self: a #FerryResource
 * @key: an annotation key
 *
 * Returns: (transfer none) (nullable): the value of the annotation
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_annotation(FerryResource *self, const char *key)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_resource_get_metadata_map_value(self, "annotations", key);
}

/**
 * ferry_resource_dup_display_name:
 * @self: a #FerryResource
 *
 * Returns: (transfer full): `Kind/name`, with the namespace when it is not
 *   `default`: `Plan/web-tier`, `Plan/migrations/web-tier`
 *
 * Since: 0.1
 */
char *
ferry_resource_dup_display_name(FerryResource *self)
{
	const char *name_space;
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	name_space = ferry_resource_get_namespace(self);
	if (name_space == NULL || g_strcmp0(name_space, "default") == 0)
		return g_strdup_printf("%s/%s", ferry_resource_get_kind(self),
				       ferry_resource_get_name(self));
	return g_strdup_printf("%s/%s/%s", ferry_resource_get_kind(self), name_space,
			       ferry_resource_get_name(self));
}

/**
 * ferry_resource_get_json:
 * @self: a #FerryResource
 *
 * Returns: (transfer none): the whole resource; changing it changes @self
 *
 * Since: 0.1
 */
JsonNode *
ferry_resource_get_json(FerryResource *self)
{
	FerryResourcePrivate *priv;
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	priv = ferry_resource_get_instance_private(self);
	return priv->root;
}

/**
 * ferry_resource_get_spec:
 * @self: a #FerryResource
 *
 * Returns: (transfer none) (nullable): `spec`
 *
 * Since: 0.1
 */
JsonObject *
ferry_resource_get_spec(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_object(ferry_resource_root(self), "spec");
}

/**
 * ferry_resource_get_status:
 * @self: a #FerryResource
 *
 * Returns: (transfer none) (nullable): `status`
 *
 * Since: 0.1
 */
JsonObject *
ferry_resource_get_status(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_json_get_object(ferry_resource_root(self), "status");
}

/**
 * ferry_resource_ensure_status:
 * @self: a #FerryResource
 *
 * Returns: (transfer none): `status`, created empty when missing
 *
 * Since: 0.1
 */
JsonObject *
ferry_resource_ensure_status(FerryResource *self)
{
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	return ferry_resource_ensure_object_member(ferry_resource_root(self), "status");
}

/**
 * ferry_resource_set_status:
 * @self: a #FerryResource
 * @status: (nullable): the new `status`, or %NULL to remove it
 *
 * Replaces `status`. Write it to the store with ferry_store_update_status().
 *
 * Since: 0.1
 */
void
ferry_resource_set_status(FerryResource *self, JsonObject *status)
{
	g_return_if_fail(FERRY_IS_RESOURCE(self));
	if (status == NULL)
		json_object_remove_member(ferry_resource_root(self), "status");
	else
		json_object_set_object_member(ferry_resource_root(self), "status",
					      json_object_ref(status));
}

/* splits `a.b[2].c` or `a[x.y]` into elements: members as-is, indexes as `[N]` */
static GPtrArray *
ferry_resource_split_path(const char *path)
{
	GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
	const char *p = path;
	while (*p != '\0') {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			const char *end = strchr(p, ']');
			if (end == NULL)
				end = p + strlen(p);
			g_ptr_array_add(parts, g_strndup(p, (gsize)(end - p) + 1));
			p = *end != '\0' ? end + 1 : end;
			continue;
		}
		{
			gsize span = strcspn(p, ".[");
			g_ptr_array_add(parts, g_strndup(p, span));
			p += span;
		}
	}
	return parts;
}

/**
 * ferry_resource_get_node:
 * @self: a #FerryResource
 * @path: a field path such as `spec.vms[0].id`
 *
 * Returns: (transfer none) (nullable): the node at @path, if there is one
 *
 * Since: 0.1
 */
JsonNode *
ferry_resource_get_node(FerryResource *self, const char *path)
{
	FerryResourcePrivate *priv;
	g_autoptr(GPtrArray) parts = NULL;
	JsonNode *node;

	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	g_return_val_if_fail(path != NULL, NULL);
	priv = ferry_resource_get_instance_private(self);
	node = priv->root;
	parts = ferry_resource_split_path(path);
	for (guint i = 0; i < parts->len && node != NULL; i++) {
		const char *part = g_ptr_array_index(parts, i);
		gsize length = strlen(part);
		if (part[0] == '[' && JSON_NODE_HOLDS_ARRAY(node)) {
			JsonArray *array = json_node_get_array(node);
			guint64 index = 0;
			g_autofree char *digits = g_strndup(part + 1, length >= 2 ? length - 2 : 0);
			if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT, &index, NULL) ||
			    index >= json_array_get_length(array))
				return NULL;
			node = json_array_get_element(array, (guint)index);
		} else if (JSON_NODE_HOLDS_OBJECT(node)) {
			g_autofree char *member =
				part[0] == '[' ? g_strndup(part + 1, length >= 2 ? length - 2 : 0)
					       : g_strdup(part);
			node = json_object_get_member(json_node_get_object(node), member);
		} else {
			return NULL;
		}
	}
	return node;
}

/**
 * ferry_resource_get_string:
 * @self: a #FerryResource
 * @path: a field path such as `spec.url`
 *
 * Returns: (transfer none) (nullable): the string at @path, or %NULL when
 *   it is missing or not a string
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_string(FerryResource *self, const char *path)
{
	JsonNode *node = ferry_resource_get_node(self, path);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/**
 * ferry_resource_get_boolean:
 * @self: a #FerryResource
 * @path: a field path such as `spec.warm`
 * @default_value: the value when the field is missing or not a boolean
 *
 * Returns: the boolean at @path
 *
 * Since: 0.1
 */
gboolean
ferry_resource_get_boolean(FerryResource *self, const char *path, gboolean default_value)
{
	JsonNode *node = ferry_resource_get_node(self, path);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_BOOLEAN)
		return default_value;
	return json_node_get_boolean(node);
}

/**
 * ferry_resource_get_int:
 * @self: a #FerryResource
 * @path: a field path such as `spec.deadline`
 * @default_value: the value when the field is missing or not a number
 *
 * Returns: the integer at @path (a string holding an integer counts too)
 *
 * Since: 0.1
 */
gint64
ferry_resource_get_int(FerryResource *self, const char *path, gint64 default_value)
{
	JsonNode *node = ferry_resource_get_node(self, path);
	gint64 value;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return default_value;
	switch (json_node_get_value_type(node)) {
	case G_TYPE_INT64:
		return json_node_get_int(node);
	case G_TYPE_DOUBLE:
		return (gint64)json_node_get_double(node);
	case G_TYPE_STRING:
		if (g_ascii_string_to_signed(json_node_get_string(node), 10, G_MININT64, G_MAXINT64,
					     &value, NULL))
			return value;
		return default_value;
	default:
		return default_value;
	}
}

/**
 * ferry_resource_get_reference:
 * @self: a #FerryResource
 * @path: the path of an object reference, such as `spec.provider.source`
 * @name_space: (out) (optional) (transfer none): the namespace it names,
 *   which defaults to the namespace of @self
 *
 * Reads a Kubernetes `ObjectReference` (`{name, namespace}`).
 *
 * Returns: (transfer none) (nullable): the name it refers to, or %NULL when
 *   the reference or its name is not set
 *
 * Since: 0.1
 */
const char *
ferry_resource_get_reference(FerryResource *self, const char *path, const char **name_space)
{
	JsonNode *node = ferry_resource_get_node(self, path);
	JsonObject *object;
	const char *name;
	const char *ns;

	if (name_space != NULL)
		*name_space = NULL;
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	object = json_node_get_object(node);
	name = ferry_json_get_string(object, "name");
	if (name == NULL || name[0] == '\0')
		return NULL;
	ns = ferry_json_get_string(object, "namespace");
	if (ns == NULL || ns[0] == '\0')
		ns = ferry_resource_get_namespace(self);
	if (name_space != NULL)
		*name_space = ns;
	return name;
}

/**
 * ferry_condition_category_to_string:
 * @category: a #FerryConditionCategory
 *
 * Returns: (transfer none): the category as Forklift writes it (`Critical`)
 *
 * Since: 0.1
 */
const char *
ferry_condition_category_to_string(FerryConditionCategory category)
{
	switch (category) {
	case FERRY_CONDITION_CATEGORY_REQUIRED:
		return "Required";
	case FERRY_CONDITION_CATEGORY_ADVISORY:
		return "Advisory";
	case FERRY_CONDITION_CATEGORY_CRITICAL:
		return "Critical";
	case FERRY_CONDITION_CATEGORY_ERROR:
		return "Error";
	case FERRY_CONDITION_CATEGORY_WARN:
		return "Warn";
	default:
		return "Advisory";
	}
}

static JsonArray *
ferry_resource_conditions(FerryResource *self, gboolean create)
{
	JsonObject *status =
		create ? ferry_resource_ensure_status(self) : ferry_resource_get_status(self);
	JsonNode *node;
	if (status == NULL)
		return NULL;
	node = json_object_get_member(status, "conditions");
	if (node != NULL && JSON_NODE_HOLDS_ARRAY(node))
		return json_node_get_array(node);
	if (!create)
		return NULL;
	json_object_set_array_member(status, "conditions", json_array_new());
	return json_object_get_array_member(status, "conditions");
}

static gint
ferry_resource_find_condition(JsonArray *conditions, const char *type)
{
	if (conditions == NULL)
		return -1;
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonNode *node = json_array_get_element(conditions, i);
		if (JSON_NODE_HOLDS_OBJECT(node) &&
		    g_strcmp0(ferry_json_get_string(json_node_get_object(node), "type"), type) == 0)
			return (gint)i;
	}
	return -1;
}

/**
 * ferry_resource_get_condition:
 * @self: a #FerryResource
 * @type: a condition type, such as `Ready`
 *
 * Returns: (transfer none) (nullable): the condition of that type in
 *   `status.conditions`
 *
 * Since: 0.1
 */
JsonObject *
ferry_resource_get_condition(FerryResource *self, const char *type)
{
	JsonArray *conditions;
	gint index;
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), NULL);
	conditions = ferry_resource_conditions(self, FALSE);
	index = ferry_resource_find_condition(conditions, type);
	if (index < 0)
		return NULL;
	return json_array_get_object_element(conditions, (guint)index);
}

/**
 * ferry_resource_has_condition:
 * @self: a #FerryResource
 * @type: a condition type, such as `Ready`
 *
 * Returns: %TRUE if a condition of that type has status `True`
 *
 * Since: 0.1
 */
gboolean
ferry_resource_has_condition(FerryResource *self, const char *type)
{
	JsonObject *condition = ferry_resource_get_condition(self, type);
	return condition != NULL &&
	       g_strcmp0(ferry_json_get_string(condition, "status"), "True") == 0;
}

static char *
ferry_resource_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

/**
 * ferry_resource_set_condition:
 * @self: a #FerryResource
 * @type: the condition type, such as `SecretNotValid`
 * @status: whether the condition holds
 * @category: its category
 * @reason: (nullable): a one-word reason, such as `NotFound`
 * @message: (nullable): what it means for the user
 *
 * Adds or updates a condition in `status.conditions`, Forklift's way:
 * `lastTransitionTime` changes only when the status does.
 *
 * Since: 0.1
 */
void
ferry_resource_set_condition(FerryResource *self, const char *type, gboolean status,
			     FerryConditionCategory category, const char *reason,
			     const char *message)
{
	JsonArray *conditions;
	JsonObject *condition;
	gint index;
	const char *status_text = status ? "True" : "False";

	g_return_if_fail(FERRY_IS_RESOURCE(self));
	g_return_if_fail(type != NULL);
	conditions = ferry_resource_conditions(self, TRUE);
	index = ferry_resource_find_condition(conditions, type);
	if (index < 0) {
		condition = json_object_new();
		json_array_add_object_element(conditions, condition);
	} else {
		condition = json_array_get_object_element(conditions, (guint)index);
	}
	if (g_strcmp0(ferry_json_get_string(condition, "status"), status_text) != 0 ||
	    !json_object_has_member(condition, "lastTransitionTime")) {
		g_autofree char *now = ferry_resource_now();
		json_object_set_string_member(condition, "lastTransitionTime", now);
	}
	json_object_set_string_member(condition, "type", type);
	json_object_set_string_member(condition, "status", status_text);
	json_object_set_string_member(condition, "category",
				      ferry_condition_category_to_string(category));
	if (reason != NULL)
		json_object_set_string_member(condition, "reason", reason);
	else
		json_object_remove_member(condition, "reason");
	if (message != NULL)
		json_object_set_string_member(condition, "message", message);
	else
		json_object_remove_member(condition, "message");
}

/**
 * ferry_resource_set_condition_items:
 * @self: a #FerryResource
 * @type: the type of an existing condition
 * @items: (nullable) (array zero-terminated=1): the items it is about
 *   (missing keys, VM references), or %NULL to remove them
 *
 * Sets the `items` of a condition.
 *
 * Since: 0.1
 */
void
ferry_resource_set_condition_items(FerryResource *self, const char *type, const char *const *items)
{
	JsonObject *condition;
	JsonArray *array;
	g_return_if_fail(FERRY_IS_RESOURCE(self));
	condition = ferry_resource_get_condition(self, type);
	g_return_if_fail(condition != NULL);
	if (items == NULL) {
		json_object_remove_member(condition, "items");
		return;
	}
	array = json_array_new();
	for (guint i = 0; items[i] != NULL; i++)
		json_array_add_string_element(array, items[i]);
	json_object_set_array_member(condition, "items", array);
}

/**
 * ferry_resource_remove_condition:
 * @self: a #FerryResource
 * @type: a condition type
 *
 * Returns: %TRUE if there was such a condition
 *
 * Since: 0.1
 */
gboolean
ferry_resource_remove_condition(FerryResource *self, const char *type)
{
	JsonArray *conditions;
	gint index;
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), FALSE);
	conditions = ferry_resource_conditions(self, FALSE);
	index = ferry_resource_find_condition(conditions, type);
	if (index < 0)
		return FALSE;
	json_array_remove_element(conditions, (guint)index);
	return TRUE;
}

/**
 * ferry_resource_has_blocker:
 * @self: a #FerryResource
 *
 * Returns: %TRUE if a `Critical` or `Error` condition holds
 *
 * Since: 0.1
 */
gboolean
ferry_resource_has_blocker(FerryResource *self)
{
	JsonArray *conditions;
	g_return_val_if_fail(FERRY_IS_RESOURCE(self), FALSE);
	conditions = ferry_resource_conditions(self, FALSE);
	if (conditions == NULL)
		return FALSE;
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonNode *node = json_array_get_element(conditions, i);
		JsonObject *condition;
		const char *category;
		if (!JSON_NODE_HOLDS_OBJECT(node))
			continue;
		condition = json_node_get_object(node);
		category = ferry_json_get_string(condition, "category");
		if ((g_strcmp0(category, "Critical") == 0 || g_strcmp0(category, "Error") == 0) &&
		    g_strcmp0(ferry_json_get_string(condition, "status"), "True") == 0)
			return TRUE;
	}
	return FALSE;
}

/**
 * ferry_resource_update_ready:
 * @self: a #FerryResource
 * @ready_message: the message of the `Ready` condition, such as
 *   `The migration plan is ready.`
 *
 * Sets the `Ready` condition when no blocker holds and removes it
 * otherwise, and sets `status.observedGeneration`.
 *
 * Since: 0.1
 */
void
ferry_resource_update_ready(FerryResource *self, const char *ready_message)
{
	g_return_if_fail(FERRY_IS_RESOURCE(self));
	if (ferry_resource_has_blocker(self))
		ferry_resource_remove_condition(self, "Ready");
	else
		ferry_resource_set_condition(self, "Ready", TRUE, FERRY_CONDITION_CATEGORY_REQUIRED,
					     NULL, ready_message);
	json_object_set_int_member(ferry_resource_ensure_status(self), "observedGeneration",
				   ferry_resource_get_generation(self));
}

/**
 * ferry_resource_set_metadata_string:
 * @self: a #FerryResource
 * @key: a member of `metadata`
 * @value: (nullable): its value, or %NULL to remove it
 *
 * Sets a string in `metadata`. The store uses it for `uid`,
 * `resourceVersion` and `creationTimestamp`.
 *
 * Since: 0.1
 */
void
ferry_resource_set_metadata_string(FerryResource *self, const char *key, const char *value)
{
	JsonObject *metadata;
	g_return_if_fail(FERRY_IS_RESOURCE(self));
	metadata = ferry_resource_ensure_object_member(ferry_resource_root(self), "metadata");
	if (value == NULL)
		json_object_remove_member(metadata, key);
	else
		json_object_set_string_member(metadata, key, value);
}

/**
 * ferry_resource_set_generation:
 * @self: a #FerryResource
 * @generation: the new `metadata.generation`
 *
 * Since: 0.1
 */
void
ferry_resource_set_generation(FerryResource *self, gint64 generation)
{
	g_return_if_fail(FERRY_IS_RESOURCE(self));
	json_object_set_int_member(
		ferry_resource_ensure_object_member(ferry_resource_root(self), "metadata"),
		"generation", generation);
}

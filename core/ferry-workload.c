/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-workload-private.h"

/* where each provider type's VMs refer to other inventory objects; the
 * expansions run in order, so `host` comes before `host.cluster` */
typedef struct {
	const char *provider_type;
	const char *path;   /* dot-separated; `[*]` after a member iterates over it */
	const char *kind;   /* the kind of the object referred to */
	const char *target; /* NULL to replace the reference, else a top-level member to set */
} Expansion;

static const Expansion expansions[] = {
	{"vsphere", "host", "host", NULL},
	{"vsphere", "host.cluster", "cluster", NULL},
	{"ovirt", "cluster", "cluster", NULL},
	{"ovirt", "host", "host", NULL},
	{"ovirt", "nics[*].profile", "nicprofile", NULL},
	{"ovirt", "diskAttachments[*].disk", "disk", NULL},
	{"openstack", "flavorID", "flavor", "flavor"},
	{"openstack", "imageID", "image", "image"},
	{"openstack", "attachedVolumes[*]", "volume", "volumes"},
};

struct _FerryWorkloadBuilder {
	FerryInventory *inventory;
	char *provider;
	char *provider_type;
	GHashTable *cache; /* "kind\x1fid" → JsonObject, or NULL when missing */
};

FerryWorkloadBuilder *
ferry_workload_builder_new(FerryInventory *inventory, const char *provider,
			   const char *provider_type)
{
	FerryWorkloadBuilder *self = g_new0(FerryWorkloadBuilder, 1);
	self->inventory = g_object_ref(inventory);
	self->provider = g_strdup(provider);
	self->provider_type = g_strdup(provider_type);
	self->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)json_object_unref);
	return self;
}

void
ferry_workload_builder_free(FerryWorkloadBuilder *self)
{
	if (self == NULL)
		return;
	g_object_unref(self->inventory);
	g_free(self->provider);
	g_free(self->provider_type);
	g_hash_table_unref(self->cache);
	g_free(self);
}

/* the id a reference holds: a string, or an object's `id` (or `ID`) */
static const char *
reference_id(JsonNode *node)
{
	if (node == NULL)
		return NULL;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_get_string(node);
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *object = json_node_get_object(node);
		const char *member = json_object_has_member(object, "id")   ? "id"
				     : json_object_has_member(object, "ID") ? "ID"
									    : NULL;
		JsonNode *id = member != NULL ? json_object_get_member(object, member) : NULL;
		if (id != NULL && JSON_NODE_HOLDS_VALUE(id) &&
		    json_node_get_value_type(id) == G_TYPE_STRING)
			return json_node_get_string(id);
	}
	return NULL;
}

static JsonObject *
ferry_workload_builder_lookup(FerryWorkloadBuilder *self, const char *kind, const char *id)
{
	g_autofree char *key = g_strdup_printf("%s\x1f%s", kind, id);
	JsonObject *object;

	if (g_hash_table_lookup_extended(self->cache, key, NULL, (gpointer *)&object))
		return object;
	object = ferry_inventory_get(self->inventory, self->provider, kind, id, NULL);
	/* a missing object stays a reference; remember that it is missing */
	g_hash_table_insert(self->cache, g_steal_pointer(&key), object);
	return object;
}

/* follows @segments from @node; at the last one replaces the reference with
 * the object, or adds the object to @collected */
static void
ferry_workload_builder_walk(FerryWorkloadBuilder *self, JsonNode *node, char **segments,
			    const Expansion *expansion, JsonArray *collected)
{
	g_autofree char *name = NULL;
	gboolean iterate;
	JsonObject *object;
	JsonNode *member;

	if (segments[0] == NULL || node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return;
	iterate = g_str_has_suffix(segments[0], "[*]");
	name = iterate ? g_strndup(segments[0], strlen(segments[0]) - 3) : g_strdup(segments[0]);
	object = json_node_get_object(node);
	member = json_object_get_member(object, name);
	if (member == NULL)
		return;

	if (iterate) {
		JsonArray *array;
		if (!JSON_NODE_HOLDS_ARRAY(member))
			return;
		array = json_node_get_array(member);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			JsonNode *element = json_array_get_element(array, i);
			if (segments[1] != NULL) {
				ferry_workload_builder_walk(self, element, segments + 1, expansion,
							    collected);
			} else if (collected != NULL) {
				const char *id = reference_id(element);
				JsonObject *found = id != NULL ? ferry_workload_builder_lookup(
									 self, expansion->kind, id)
							       : NULL;
				if (found != NULL)
					json_array_add_object_element(collected,
								      json_object_ref(found));
			}
		}
		return;
	}
	if (segments[1] != NULL) {
		ferry_workload_builder_walk(self, member, segments + 1, expansion, collected);
	} else {
		const char *id = reference_id(member);
		JsonObject *found =
			id != NULL ? ferry_workload_builder_lookup(self, expansion->kind, id)
				   : NULL;
		if (found == NULL)
			return;
		if (collected != NULL)
			json_array_add_object_element(collected, json_object_ref(found));
		else
			json_object_set_object_member(object, name, json_object_ref(found));
	}
}

void
ferry_workload_builder_expand(FerryWorkloadBuilder *self, JsonObject *vm)
{
	g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), vm);

	for (guint i = 0; i < G_N_ELEMENTS(expansions); i++) {
		const Expansion *expansion = &expansions[i];
		g_auto(GStrv) segments = NULL;
		if (g_strcmp0(expansion->provider_type, self->provider_type) != 0)
			continue;
		segments = g_strsplit(expansion->path, ".", -1);
		if (expansion->target == NULL) {
			ferry_workload_builder_walk(self, root, segments, expansion, NULL);
		} else {
			g_autoptr(JsonArray) collected = json_array_new();
			gboolean many = strstr(expansion->path, "[*]") != NULL;
			ferry_workload_builder_walk(self, root, segments, expansion, collected);
			if (many)
				json_object_set_array_member(vm, expansion->target,
							     g_steal_pointer(&collected));
			else if (json_array_get_length(collected) > 0)
				json_object_set_object_member(
					vm, expansion->target,
					json_object_ref(
						json_array_get_object_element(collected, 0)));
		}
	}
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * FERRY_API_GROUP:
 *
 * The API group of the Forklift kinds.
 *
 * Since: 0.1
 */
#define FERRY_API_GROUP "forklift.konveyor.io"

/**
 * FERRY_API_VERSION:
 *
 * The `apiVersion` of the Forklift kinds Ferry reads and writes.
 *
 * Since: 0.1
 */
#define FERRY_API_VERSION "forklift.konveyor.io/v1beta1"

/**
 * FerryConditionCategory:
 * @FERRY_CONDITION_CATEGORY_REQUIRED: `Required`, such as `Ready`
 * @FERRY_CONDITION_CATEGORY_ADVISORY: `Advisory`: information
 * @FERRY_CONDITION_CATEGORY_CRITICAL: `Critical`: blocks the object
 * @FERRY_CONDITION_CATEGORY_ERROR: `Error`: blocks the object
 * @FERRY_CONDITION_CATEGORY_WARN: `Warn`: a warning
 *
 * The category of a status condition, as Forklift spells it. A `Critical`
 * or `Error` condition is a blocker.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_CONDITION_CATEGORY_REQUIRED,
	FERRY_CONDITION_CATEGORY_ADVISORY,
	FERRY_CONDITION_CATEGORY_CRITICAL,
	FERRY_CONDITION_CATEGORY_ERROR,
	FERRY_CONDITION_CATEGORY_WARN,
} FerryConditionCategory;

#define FERRY_TYPE_RESOURCE (ferry_resource_get_type())
G_DECLARE_DERIVABLE_TYPE(FerryResource, ferry_resource, FERRY, RESOURCE, GObject)

/**
 * FerryResourceClass:
 * @parent_class: the parent class
 * @kind: the `kind` this class stands for, such as `Plan`
 *
 * The class of a resource kind.
 *
 * Since: 0.1
 */
struct _FerryResourceClass {
	GObjectClass parent_class;
	const char *kind;
	/*< private >*/
	gpointer padding[8];
};

FerryResource *ferry_resource_new_from_json(JsonNode *node, const char *default_namespace,
					    GError **error);
FerryResource *ferry_resource_copy(FerryResource *self);
const char *ferry_resource_get_kind(FerryResource *self);
const char *ferry_resource_get_api_version(FerryResource *self);
const char *ferry_resource_get_name(FerryResource *self);
const char *ferry_resource_get_namespace(FerryResource *self);
const char *ferry_resource_get_uid(FerryResource *self);
gint64 ferry_resource_get_generation(FerryResource *self);
const char *ferry_resource_get_resource_version(FerryResource *self);
const char *ferry_resource_get_creation_timestamp(FerryResource *self);
const char *ferry_resource_get_label(FerryResource *self, const char *key);
const char *ferry_resource_get_annotation(FerryResource *self, const char *key);
char *ferry_resource_dup_display_name(FerryResource *self);

JsonNode *ferry_resource_get_json(FerryResource *self);
JsonObject *ferry_resource_get_spec(FerryResource *self);
JsonObject *ferry_resource_get_status(FerryResource *self);
JsonObject *ferry_resource_ensure_status(FerryResource *self);
void ferry_resource_set_status(FerryResource *self, JsonObject *status);

JsonNode *ferry_resource_get_node(FerryResource *self, const char *path);
const char *ferry_resource_get_string(FerryResource *self, const char *path);
gboolean ferry_resource_get_boolean(FerryResource *self, const char *path, gboolean default_value);
gint64 ferry_resource_get_int(FerryResource *self, const char *path, gint64 default_value);
const char *ferry_resource_get_reference(FerryResource *self, const char *path,
					 const char **name_space);

void ferry_resource_set_condition(FerryResource *self, const char *type, gboolean status,
				  FerryConditionCategory category, const char *reason,
				  const char *message);
void ferry_resource_set_condition_items(FerryResource *self, const char *type,
					const char *const *items);
gboolean ferry_resource_remove_condition(FerryResource *self, const char *type);
JsonObject *ferry_resource_get_condition(FerryResource *self, const char *type);
gboolean ferry_resource_has_condition(FerryResource *self, const char *type);
gboolean ferry_resource_has_blocker(FerryResource *self);
void ferry_resource_update_ready(FerryResource *self, const char *ready_message);

const char *ferry_condition_category_to_string(FerryConditionCategory category);

/* set by the store; exposed for it and for tests */
void ferry_resource_set_metadata_string(FerryResource *self, const char *key, const char *value);
void ferry_resource_set_generation(FerryResource *self, gint64 generation);

G_END_DECLS

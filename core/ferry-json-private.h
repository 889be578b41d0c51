/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "ferry-json.h"

G_BEGIN_DECLS

/* a copy that shares nothing with @node (json_node_copy() shares objects
 * and arrays) */
JsonNode *ferry_json_node_deep_copy(JsonNode *node);

/* the typed getters of the SDK (ferry-json.h), and: */
gboolean ferry_json_get_true(JsonObject *object, const char *member);

/* a copy of @object that shares nothing with it */
JsonObject *ferry_json_object_copy(JsonObject *object);
/* typed values at a dotted path of member names, or the default */
const char *ferry_json_path_string(JsonObject *object, const char *path,
				   const char *default_value);
gint64 ferry_json_path_int(JsonObject *object, const char *path, gint64 default_value);
gboolean ferry_json_path_bool(JsonObject *object, const char *path, gboolean default_value);
JsonObject *ferry_json_path_object(JsonObject *object, const char *path);
JsonArray *ferry_json_path_array(JsonObject *object, const char *path);
char *ferry_json_to_string(JsonObject *object);
JsonObject *ferry_json_from_string(const char *text, GError **error);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* a copy that shares nothing with @node (json_node_copy() shares objects
 * and arrays) */
JsonNode *ferry_json_node_deep_copy(JsonNode *node);

/* members of a given type, or NULL/FALSE; @object may be NULL */
const char *ferry_json_get_string(JsonObject *object, const char *member);
JsonObject *ferry_json_get_object(JsonObject *object, const char *member);
gboolean ferry_json_get_true(JsonObject *object, const char *member);

G_END_DECLS

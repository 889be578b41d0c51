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

/* Typed reads of JSON from outside (API replies, manifests, descriptions):
 * a member or element of another type than asked for reads as missing, and
 * never raises a GLib critical as json-glib's getters do. @object and
 * @array may be NULL. */
const char *ferry_json_get_string(JsonObject *object, const char *member);
const char *ferry_json_get_string_or(JsonObject *object, const char *member,
				     const char *default_value);
gint64 ferry_json_get_int_or(JsonObject *object, const char *member, gint64 default_value);
gboolean ferry_json_get_bool_or(JsonObject *object, const char *member, gboolean default_value);
JsonObject *ferry_json_get_object(JsonObject *object, const char *member);
JsonArray *ferry_json_get_array(JsonObject *object, const char *member);
const char *ferry_json_array_string(JsonArray *array, guint index);
JsonObject *ferry_json_array_object(JsonArray *array, guint index);

G_END_DECLS

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

#define FERRY_TYPE_YAML_DOCUMENT (ferry_yaml_document_get_type())
G_DECLARE_FINAL_TYPE(FerryYamlDocument, ferry_yaml_document, FERRY, YAML_DOCUMENT, GObject)

const char *ferry_yaml_document_get_filename(FerryYamlDocument *self);
guint ferry_yaml_document_get_index(FerryYamlDocument *self);
JsonNode *ferry_yaml_document_get_root(FerryYamlDocument *self);
gboolean ferry_yaml_document_get_location(FerryYamlDocument *self, const char *path, guint *line,
					  guint *column);
char *ferry_yaml_document_format_location(FerryYamlDocument *self, const char *path);

GPtrArray *ferry_yaml_parse_data(const char *data, gssize length, const char *filename,
				 GError **error);
GPtrArray *ferry_yaml_parse_file(const char *filename, GError **error);

char *ferry_yaml_path_append_member(const char *path, const char *member);
char *ferry_yaml_path_append_index(const char *path, guint index);

char *ferry_yaml_to_string(JsonNode *node, GError **error);
char *ferry_yaml_to_string_multi(GPtrArray *nodes, GError **error);

G_END_DECLS

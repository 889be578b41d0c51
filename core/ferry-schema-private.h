/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* one problem found in a document: the field path, what is wrong, and
 * whether it is only a warning (an unknown field) */
typedef struct {
	char *path;
	char *message;
	gboolean warning;
} FerrySchemaIssue;

void ferry_schema_issue_free(FerrySchemaIssue *issue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerrySchemaIssue, ferry_schema_issue_free)

#define FERRY_TYPE_SCHEMA (ferry_schema_get_type())
G_DECLARE_FINAL_TYPE(FerrySchema, ferry_schema, FERRY, SCHEMA, GObject)

/* the schema file, data/schema/forklift-v1beta1.yaml */
char *ferry_schema_get_default_path(void);
FerrySchema *ferry_schema_new_from_file(const char *path, GError **error);
/* the default schema, loaded once */
FerrySchema *ferry_schema_get_default(GError **error);
/* appends FerrySchemaIssue to @issues for every problem in @document */
void ferry_schema_validate(FerrySchema *self, JsonNode *document, GPtrArray *issues);
/* sets the schema's defaults in @document, as the Kubernetes API server
 * does: a missing or null field with a default gets it, inside objects
 * that are there */
void
ferry_schema_apply_defaults(FerrySchema *self, JsonNode *document);
/* the schema of @kind's spec (or of the whole Secret) */
JsonObject *ferry_schema_get_kind_schema(FerrySchema *self, const char *kind);
/* checks @node against one schema node (OpenAPI v3, as in a CRD's
 * openAPIV3Schema) */
void ferry_schema_validate_node(FerrySchema *self, JsonObject *schema, JsonNode *node,
				const char *path, GPtrArray *issues);
/* a schema node with any $ref resolved */
JsonObject *ferry_schema_resolve(FerrySchema *self, JsonObject *schema);

G_END_DECLS

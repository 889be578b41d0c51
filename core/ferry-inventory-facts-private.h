/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "ferry-query-private.h"

G_BEGIN_DECLS

/*
 * Facts: a column-per-field projection of the inventory's documents, so
 * queries on scalar fields read SQL columns instead of parsing JSON. Each
 * kind has a table `inventory_facts_N (obj INTEGER PRIMARY KEY, c1, c2, …)`
 * keyed by the object's rowid; a column holds one field reachable through
 * objects only (`memoryMB`, `snapshot.kind`), or with `#` after the path
 * the length of such an array (`disks#`). Columns are added as documents
 * bring new fields, and filled in for the objects already there, so a
 * column always agrees with json_extract() on the document. A trigger
 * removes an object's facts with it.
 *
 * Arrays at such paths (`disks`) have element tables `(obj, key, c1, …)`,
 * a row per element, whose columns hold the element's scalar fields
 * (`disks[*].capacity`) or a scalar element itself (`disks[*]`); queries
 * iterate over them instead of json_each() over the document. Columns and
 * tables are capped, beyond which the JSON is read.
 */

typedef struct _FerryFacts FerryFacts;

FerryFacts *ferry_facts_new(sqlite3 *db, GError **error);
void ferry_facts_free(FerryFacts *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryFacts, ferry_facts_free)

/* the schema the facts need, inside a transaction of the caller */
const char *ferry_facts_get_schema(void);
/* forgets what a rolled-back transaction added */
void ferry_facts_reload(FerryFacts *self);

/* walks a document: the normalised paths of its arrays and objects go to
 * @paths as "kind\x1f(array|object)\x1fpath", and its facts are written
 * for object @rowid of @kind */
gboolean ferry_facts_store(FerryFacts *self, const char *kind, gint64 rowid, JsonNode *document,
			   GHashTable *paths, GError **error);

/* lets a query over objects `o` of @kind read facts as `f`, and the facts
 * of their array elements */
void ferry_facts_setup_context(FerryFacts *self, const char *kind, FerryQContext *context);
/* the facts table of @kind, NULL when none */
const char *ferry_facts_get_table(FerryFacts *self, const char *kind);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-platform-private.h"
#include "ferry-workload-private.h"

typedef FerryWorkloadExpansion Expansion;

/* the id a reference at @path of the JSON @doc holds: a string, or an
 * object's `id` (or `ID`) */
static char *
ref_sql(const char *doc, const char *path)
{
	return g_strdup_printf("COALESCE(json_extract(%s, %s || '.id'), json_extract(%s, %s || "
			       "'.ID'), CASE WHEN json_type(%s, %s) = 'text' THEN json_extract(%s, "
			       "%s) END)",
			       doc, path, doc, path, doc, path, doc, path);
}

static char *expand_sql(const char *doc, const Expansion *expansions, guint depth);

/* the document (as JSON) of the @kind object @id refers to, expanded in turn */
static char *
lookup_sql(const Expansion *expansion, const char *id, guint depth)
{
	g_autofree char *alias = g_strdup_printf("w%u", depth);
	g_autofree char *document = g_strdup_printf("%s.document", alias);
	g_autofree char *expanded = expansion->children != NULL
					    ? expand_sql(document, expansion->children, depth + 1)
					    : g_strdup_printf("json(%s)", document);
	return g_strdup_printf("(SELECT %s FROM inventory_objects AS %s WHERE %s.provider = "
			       "o.provider AND %s.kind = '%s' AND %s.id = %s)",
			       expanded, alias, alias, alias, expansion->kind, alias, id);
}

static char *
expand_sql(const char *doc, const Expansion *expansions, guint depth)
{
	g_autofree char *result = g_strdup(doc);

	for (const Expansion *e = expansions; e->field != NULL; e++) {
		g_autofree char *path = g_strdup_printf("'$.%s'", e->field);
		g_autofree char *target =
			g_strdup_printf("'$.%s'", e->target != NULL ? e->target : e->field);
		g_autofree char *value = NULL;
		char *next;

		if (!e->each) {
			g_autofree char *id = ref_sql(doc, path);
			g_autofree char *found = lookup_sql(e, id, depth);
			/* a reference to nothing stays as it was */
			value = e->target != NULL ? g_strdup(found)
						  : g_strdup_printf("COALESCE(%s, %s -> %s)", found,
								    doc, path);
		} else {
			g_autofree char *element = g_strdup_printf("e%u", depth);
			g_autofree char *key = g_strdup_printf("%s.fullkey", element);
			g_autofree char *inner =
				e->inner != NULL ? g_strdup_printf("%s || '.%s'", key, e->inner)
						 : g_strdup(key);
			g_autofree char *id = ref_sql(doc, inner);
			g_autofree char *found = lookup_sql(e, id, depth);
			g_autofree char *item = NULL;
			if (e->target != NULL)
				/* only the objects found, in a new member */
				item = g_strdup_printf("%s", found);
			else
				/* each element with its reference replaced */
				item = g_strdup_printf(
					"json_set(%s -> %s, '$.%s', COALESCE(%s, %s -> "
					"(%s)))",
					doc, key, e->inner, found, doc, inner);
			value = g_strdup_printf("CASE WHEN json_type(%s, %s) = 'array' THEN "
						"(SELECT json_group_array(%s) "
						"FROM json_each(%s, %s) AS %s WHERE %s IS NOT "
						"NULL) ELSE %s -> %s END",
						doc, path, item, doc, path, element,
						e->target != NULL ? found : "1", doc, path);
		}
		next = g_strdup_printf("json_set(%s, %s, %s)", result, target, value);
		g_free(result);
		result = next;
	}
	return g_steal_pointer(&result);
}

char *
ferry_workload_sql(const char *provider_type, const char *document)
{
	const Expansion *expansions = ferry_platform_get_workload_expansions(provider_type);
	if (expansions != NULL)
		return expand_sql(document, expansions, 1);
	return g_strdup(document);
}

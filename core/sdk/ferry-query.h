/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_TYPE_QUERY (ferry_query_get_type())
G_DECLARE_FINAL_TYPE(FerryQuery, ferry_query, FERRY, QUERY, GObject)

FerryQuery *ferry_query_new(const char *text, GError **error);
const char *ferry_query_get_text(FerryQuery *self);
gboolean ferry_query_has_select(FerryQuery *self);
GStrv ferry_query_dup_select_names(FerryQuery *self);
gint64 ferry_query_get_limit(FerryQuery *self);

G_END_DECLS

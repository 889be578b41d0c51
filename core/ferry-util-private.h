/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the string keys of @table, copied and sorted */
GStrv
ferry_hash_table_dup_sorted_keys(GHashTable *table);
/* sorts a NULL-terminated string vector in place */
void
ferry_strv_sort(GStrv strv);

G_END_DECLS

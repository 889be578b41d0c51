/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	ENTRY_FILE,
	ENTRY_SYMLINK,
	ENTRY_HARDLINK,
	ENTRY_DEVICE,
	ENTRY_DIRECTORY,
} EntryKind;

typedef struct {
	const char *name;
	EntryKind kind;
	const char *data;
} Entry;

/* writes a pax tar (gzip-compressed with @gzip) with exactly @entries */
char *
write_tar(const char *dir, const char *name, const Entry *entries, guint n, gboolean gzip);

G_END_DECLS

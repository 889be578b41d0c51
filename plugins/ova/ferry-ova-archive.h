/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

/* an archive with more members than this is refused */
#define FERRY_OVA_ARCHIVE_MAX_MEMBERS 4096

typedef struct {
	char *name;      /* normalised: no leading ./, never absolute, never .. */
	guint64 offset;  /* where the data starts in the archive (uncompressed tar only) */
	guint64 size;
} FerryOvaMember;

typedef struct {
	char *path;
	gboolean in_place; /* an uncompressed tar: members can be read at their offsets */
	GPtrArray *members; /* FerryOvaMember, in archive order */
} FerryOvaArchive;

void
ferry_ova_archive_free(FerryOvaArchive *archive);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryOvaArchive, ferry_ova_archive_free)

FerryOvaArchive *
ferry_ova_archive_open(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
FerryOvaArchive *
ferry_ova_archive_open_memory(const void *data, gsize size, const char *origin, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
const FerryOvaMember *
ferry_ova_archive_find(FerryOvaArchive *archive, const char *name);
const FerryOvaMember *
ferry_ova_archive_find_suffix(FerryOvaArchive *archive, const char *suffix);
char *
ferry_ova_archive_read_member(FerryOvaArchive *archive,
			      const FerryOvaMember *member,
			      gsize max_size,
			      gsize *length,
			      GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
ferry_ova_archive_extract(const char *path,
			  const char *directory,
			  GCancellable *cancellable,
			  GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS

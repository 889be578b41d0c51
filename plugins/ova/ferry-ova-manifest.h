/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

/* a manifest larger than this is refused */
#define FERRY_OVA_MANIFEST_MAX_SIZE (1024 * 1024)

typedef struct {
	GChecksumType type;
	char *algorithm; /* as the manifest spells it: SHA1, SHA256, SHA512 */
	char *hex;       /* lower case */
} FerryOvaDigest;

GHashTable *
ferry_ova_manifest_parse(const char *data, gsize length, const char *origin, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
ferry_ova_digest_check(const FerryOvaDigest *digest,
		       const char *path,
		       guint64 offset,
		       guint64 size,
		       const char *what,
		       const char *manifest,
		       GCancellable *cancellable,
		       GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS

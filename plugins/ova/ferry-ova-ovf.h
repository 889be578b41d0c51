/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

/* descriptors larger than this are refused before parsing */
#define FERRY_OVA_OVF_MAX_SIZE (8 * 1024 * 1024)

JsonObject *
ferry_ova_ovf_parse(const char *data, gsize length, const char *origin, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
ferry_ova_parse_allocation_units(const char *units, guint64 *multiplier);

G_END_DECLS

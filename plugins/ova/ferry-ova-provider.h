/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

#define FERRY_OVA_TYPE_PROVIDER (ferry_ova_provider_get_type())
G_DECLARE_FINAL_TYPE(FerryOvaProvider, ferry_ova_provider, FERRY_OVA, PROVIDER, GObject)

void
ferry_ova_provider_register(GTypeModule *module);
char *
ferry_ova_hash_id(const char *kind, const char *first, const char *second);

G_END_DECLS

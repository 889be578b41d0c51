/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "ferry-provider.h"

G_BEGIN_DECLS

gboolean
ferry_platform_is_known(const char *provider_type);
char **
ferry_platform_dup_types(void);
FerryProviderCapabilities
ferry_platform_get_capabilities(const char *provider_type);
gboolean
ferry_platform_has_capability(const char *provider_type, FerryProviderCapabilities capability);
const char *
ferry_platform_get_network_kind(const char *provider_type);
const char *
ferry_platform_get_storage_kind(const char *provider_type);
gboolean
ferry_platform_check_url(const char *provider_type, const char *url, GError **error);
const char *const *
ferry_platform_get_secret_keys(const char *provider_type, const char *url, gboolean *needs_ca);
gboolean
ferry_platform_supports_migration_type(const char *provider_type, const char *migration_type);
const char *
ferry_platform_get_feature_gate(const char *provider_type, const char *migration_type);
JsonObject *
ferry_platform_describe_vm(const char *provider_type, JsonObject *vm, GError **error);

G_END_DECLS

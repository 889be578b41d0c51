/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include "ferry-secret.h"

G_BEGIN_DECLS

#define FERRY_TYPE_PROVIDER_CONFIG (ferry_provider_config_get_type())
G_DECLARE_FINAL_TYPE(FerryProviderConfig, ferry_provider_config, FERRY, PROVIDER_CONFIG, GObject)

FerryProviderConfig *
ferry_provider_config_new(const char *provider_type, const char *name_space, const char *name);
const char *
ferry_provider_config_get_provider_type(FerryProviderConfig *self);
const char *
ferry_provider_config_get_namespace(FerryProviderConfig *self);
const char *
ferry_provider_config_get_name(FerryProviderConfig *self);
char *
ferry_provider_config_dup_display_name(FerryProviderConfig *self);
void
ferry_provider_config_set_url(FerryProviderConfig *self, const char *url);
const char *
ferry_provider_config_get_url(FerryProviderConfig *self);
void
ferry_provider_config_set_secret(FerryProviderConfig *self, FerrySecret *secret);
FerrySecret *
ferry_provider_config_get_secret(FerryProviderConfig *self);
void
ferry_provider_config_set_setting(FerryProviderConfig *self, const char *key, const char *value);
const char *
ferry_provider_config_get_setting(FerryProviderConfig *self, const char *key);
GStrv
ferry_provider_config_list_settings(FerryProviderConfig *self);
void
ferry_provider_config_set_state_dir(FerryProviderConfig *self, const char *state_dir);
const char *
ferry_provider_config_get_state_dir(FerryProviderConfig *self);
void
ferry_provider_config_add_host(FerryProviderConfig *self,
			       const char *host_id,
			       const char *ip_address,
			       FerrySecret *secret);
const char *
ferry_provider_config_get_host_address(FerryProviderConfig *self, const char *host_id);
FerrySecret *
ferry_provider_config_get_host_secret(FerryProviderConfig *self, const char *host_id);

G_END_DECLS

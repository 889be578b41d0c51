/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ferry-secret.h"

G_BEGIN_DECLS

#define FERRY_TYPE_KUBE_CONFIG (ferry_kube_config_get_type())
G_DECLARE_FINAL_TYPE(FerryKubeConfig, ferry_kube_config, FERRY, KUBE_CONFIG, GObject)

FerryKubeConfig *
ferry_kube_config_new_from_file(const char *path, const char *context, GError **error);
FerryKubeConfig *
ferry_kube_config_new_from_data(const char *data,
				const char *base_dir,
				const char *context,
				GError **error);
FerryKubeConfig *
ferry_kube_config_new_in_cluster(const char *root, GError **error);
FerryKubeConfig *
ferry_kube_config_new_for_provider(const char *url, FerrySecret *secret, GError **error);

const char *
ferry_kube_config_get_server(FerryKubeConfig *self);
const char *
ferry_kube_config_get_namespace(FerryKubeConfig *self);
const char *
ferry_kube_config_get_context(FerryKubeConfig *self);
const char *
ferry_kube_config_get_origin(FerryKubeConfig *self);
const char *
ferry_kube_config_get_auth_kind(FerryKubeConfig *self);
gboolean
ferry_kube_config_get_insecure(FerryKubeConfig *self);
GList *
ferry_kube_config_get_ca_certificates(FerryKubeConfig *self);
GTlsCertificate *
ferry_kube_config_get_client_certificate(FerryKubeConfig *self);

G_END_DECLS

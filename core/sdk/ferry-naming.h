/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * FerryNameTemplateKind:
 * @FERRY_NAME_TEMPLATE_PVC: `pvcNameTemplate`
 * @FERRY_NAME_TEMPLATE_VOLUME: `volumeNameTemplate`
 * @FERRY_NAME_TEMPLATE_NETWORK: `networkNameTemplate`
 *
 * Which of Forklift's name templates.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_NAME_TEMPLATE_PVC,
	FERRY_NAME_TEMPLATE_VOLUME,
	FERRY_NAME_TEMPLATE_NETWORK,
} FerryNameTemplateKind;

gboolean ferry_naming_is_dns1123_label(const char *name);
gboolean ferry_naming_is_dns1123_subdomain(const char *name);
char *ferry_naming_change_vm_name(const char *name);
char *ferry_naming_make_unique(const char *name, const char *const *taken);
gboolean ferry_naming_validate_target_name(const char *target_name, GError **error);
char *ferry_naming_resolve_target_vm_name(const char *target_name, const char *new_name,
					  const char *vm_name, const char *vm_id,
					  const char *const *taken, GError **error);

const char *ferry_naming_get_default_template(FerryNameTemplateKind kind, gboolean ocp_source);
JsonObject *ferry_naming_new_template_data(FerryNameTemplateKind kind);
char *ferry_naming_render(FerryNameTemplateKind kind, const char *template_text, JsonObject *data,
			  gboolean ocp_source, GError **error);
gboolean ferry_naming_validate_template(FerryNameTemplateKind kind, const char *template_text,
					GError **error);

G_END_DECLS

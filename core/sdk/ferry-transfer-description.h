/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "ferry-extent.h"
#include "ferry-provider-config.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER_DESCRIPTION (ferry_transfer_description_get_type())
G_DECLARE_FINAL_TYPE(FerryTransferDescription,
		     ferry_transfer_description,
		     FERRY,
		     TRANSFER_DESCRIPTION,
		     GObject)

FerryTransferDescription *
ferry_transfer_description_new(void);
FerryTransferDescription *
ferry_transfer_description_new_from_json(JsonNode *node, GError **error);
FerryTransferDescription *
ferry_transfer_description_new_from_data(const char *data, gssize length, GError **error);
FerryTransferDescription *
ferry_transfer_description_new_from_file(const char *path, GError **error);
JsonNode *
ferry_transfer_description_to_json(FerryTransferDescription *self);
char *
ferry_transfer_description_to_data(FerryTransferDescription *self, gsize *length);
gboolean
ferry_transfer_description_validate(FerryTransferDescription *self, GError **error);

void
ferry_transfer_description_set_source_type(FerryTransferDescription *self, const char *type);
const char *
ferry_transfer_description_get_source_type(FerryTransferDescription *self);
void
ferry_transfer_description_set_source_url(FerryTransferDescription *self, const char *url);
const char *
ferry_transfer_description_get_source_url(FerryTransferDescription *self);
void
ferry_transfer_description_set_source_name(FerryTransferDescription *self,
					    const char *name_space,
					    const char *name);
const char *
ferry_transfer_description_get_source_name(FerryTransferDescription *self);
const char *
ferry_transfer_description_get_source_namespace(FerryTransferDescription *self);
void
ferry_transfer_description_set_source_setting(FerryTransferDescription *self,
					      const char *key,
					      const char *value);
const char *
ferry_transfer_description_get_source_setting(FerryTransferDescription *self, const char *key);
void
ferry_transfer_description_set_secret_dir(FerryTransferDescription *self, const char *path);
const char *
ferry_transfer_description_get_secret_dir(FerryTransferDescription *self);
void
ferry_transfer_description_add_source_host(FerryTransferDescription *self,
					   const char *host_id,
					   const char *ip_address,
					   const char *secret_dir);
GStrv
ferry_transfer_description_list_source_hosts(FerryTransferDescription *self);
const char *
ferry_transfer_description_get_source_host_address(FerryTransferDescription *self,
						   const char *host_id);
const char *
ferry_transfer_description_get_source_host_secret_dir(FerryTransferDescription *self,
						      const char *host_id);
FerryProviderConfig *
ferry_transfer_description_dup_provider_config(FerryTransferDescription *self, GError **error);

void
ferry_transfer_description_set_vm_id(FerryTransferDescription *self, const char *vm_id);
const char *
ferry_transfer_description_get_vm_id(FerryTransferDescription *self);
void
ferry_transfer_description_set_disk_id(FerryTransferDescription *self, const char *disk_id);
const char *
ferry_transfer_description_get_disk_id(FerryTransferDescription *self);
void
ferry_transfer_description_set_snapshot_id(FerryTransferDescription *self,
					   const char *snapshot_id);
const char *
ferry_transfer_description_get_snapshot_id(FerryTransferDescription *self);
void
ferry_transfer_description_set_change_id(FerryTransferDescription *self, const char *change_id);
const char *
ferry_transfer_description_get_change_id(FerryTransferDescription *self);
void
ferry_transfer_description_set_extents(FerryTransferDescription *self, FerryExtentList *extents);
FerryExtentList *
ferry_transfer_description_get_extents(FerryTransferDescription *self);

void
ferry_transfer_description_set_target(FerryTransferDescription *self, const char *path);
const char *
ferry_transfer_description_get_target(FerryTransferDescription *self);
char *
ferry_transfer_description_dup_target_file(FerryTransferDescription *self);
void
ferry_transfer_description_set_journal(FerryTransferDescription *self, const char *path);
const char *
ferry_transfer_description_get_journal(FerryTransferDescription *self);
char *
ferry_transfer_description_dup_journal_file(FerryTransferDescription *self);
void
ferry_transfer_description_set_verify(FerryTransferDescription *self, gboolean verify);
gboolean
ferry_transfer_description_get_verify(FerryTransferDescription *self);
void
ferry_transfer_description_set_target_is_zero(FerryTransferDescription *self, gboolean zero);
gboolean
ferry_transfer_description_get_target_is_zero(FerryTransferDescription *self);
void
ferry_transfer_description_set_bandwidth(FerryTransferDescription *self,
					 guint64 bytes_per_second);
guint64
ferry_transfer_description_get_bandwidth(FerryTransferDescription *self);

G_END_DECLS

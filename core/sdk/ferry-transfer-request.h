/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "ferry-disk-endpoint.h"
#include "ferry-extent.h"
#include "ferry-provider-config.h"

G_BEGIN_DECLS

/**
 * FerryTransferFlags:
 * @FERRY_TRANSFER_FLAG_NONE: a plain full copy
 * @FERRY_TRANSFER_FLAG_INCREMENTAL: copy only the request's extents (a precopy delta)
 * @FERRY_TRANSFER_FLAG_CONVERT: convert the guest while copying (virt-v2v one-pass)
 * @FERRY_TRANSFER_FLAG_VERIFY: compare digests of every range after writing it
 * @FERRY_TRANSFER_FLAG_WARM: the copy is part of a warm migration
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	FERRY_TRANSFER_FLAG_NONE = 0,
	FERRY_TRANSFER_FLAG_INCREMENTAL = 1 << 0,
	FERRY_TRANSFER_FLAG_CONVERT = 1 << 1,
	FERRY_TRANSFER_FLAG_VERIFY = 1 << 2,
	FERRY_TRANSFER_FLAG_WARM = 1 << 3,
} FerryTransferFlags;

#define FERRY_TYPE_TRANSFER_REQUEST (ferry_transfer_request_get_type())
G_DECLARE_FINAL_TYPE(FerryTransferRequest, ferry_transfer_request, FERRY, TRANSFER_REQUEST, GObject)

FerryTransferRequest *
ferry_transfer_request_new(FerryDiskEndpoint *source, FerryDiskEndpoint *target);
FerryDiskEndpoint *
ferry_transfer_request_get_source(FerryTransferRequest *self);
FerryDiskEndpoint *
ferry_transfer_request_get_target(FerryTransferRequest *self);
void
ferry_transfer_request_set_flags(FerryTransferRequest *self, FerryTransferFlags flags);
FerryTransferFlags
ferry_transfer_request_get_flags(FerryTransferRequest *self);
void
ferry_transfer_request_set_extents(FerryTransferRequest *self, FerryExtentList *extents);
FerryExtentList *
ferry_transfer_request_get_extents(FerryTransferRequest *self);
void
ferry_transfer_request_set_source_provider_type(FerryTransferRequest *self, const char *type);
const char *
ferry_transfer_request_get_source_provider_type(FerryTransferRequest *self);
void
ferry_transfer_request_set_target_provider_type(FerryTransferRequest *self, const char *type);
const char *
ferry_transfer_request_get_target_provider_type(FerryTransferRequest *self);
void
ferry_transfer_request_set_vm_spec(FerryTransferRequest *self, JsonObject *vm_spec);
JsonObject *
ferry_transfer_request_get_vm_spec(FerryTransferRequest *self);
void
ferry_transfer_request_set_disk_index(FerryTransferRequest *self, guint disk_index);
guint
ferry_transfer_request_get_disk_index(FerryTransferRequest *self);
void
ferry_transfer_request_set_journal(FerryTransferRequest *self, const char *journal);
const char *
ferry_transfer_request_get_journal(FerryTransferRequest *self);
void
ferry_transfer_request_set_bandwidth(FerryTransferRequest *self, guint64 bytes_per_second);
guint64
ferry_transfer_request_get_bandwidth(FerryTransferRequest *self);
void
ferry_transfer_request_set_option(FerryTransferRequest *self, const char *key, const char *value);
const char *
ferry_transfer_request_get_option(FerryTransferRequest *self, const char *key);
void
ferry_transfer_request_set_source_config(FerryTransferRequest *self, FerryProviderConfig *config);
FerryProviderConfig *
ferry_transfer_request_get_source_config(FerryTransferRequest *self);
void
ferry_transfer_request_set_source_disk(FerryTransferRequest *self,
				       const char *vm_id,
				       const char *disk_id,
				       const char *snapshot_id,
				       const char *change_id);
const char *
ferry_transfer_request_get_vm_id(FerryTransferRequest *self);
const char *
ferry_transfer_request_get_disk_id(FerryTransferRequest *self);
const char *
ferry_transfer_request_get_snapshot_id(FerryTransferRequest *self);
const char *
ferry_transfer_request_get_change_id(FerryTransferRequest *self);

G_END_DECLS

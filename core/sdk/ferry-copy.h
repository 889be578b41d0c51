/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ferry-disk-endpoint.h"
#include "ferry-extent.h"
#include "ferry-progress.h"
#include "ferry-transfer-request.h"

G_BEGIN_DECLS

#define FERRY_TYPE_COPY (ferry_copy_get_type())
G_DECLARE_FINAL_TYPE(FerryCopy, ferry_copy, FERRY, COPY, GObject)

FerryCopy *
ferry_copy_new(FerryDiskEndpoint *source, FerryDiskEndpoint *target);
FerryCopy *
ferry_copy_new_for_request(FerryTransferRequest *request, GError **error);
FerryDiskEndpoint *
ferry_copy_get_source(FerryCopy *self);
FerryDiskEndpoint *
ferry_copy_get_target(FerryCopy *self);
void
ferry_copy_set_connections(FerryCopy *self, guint connections);
guint
ferry_copy_get_connections(FerryCopy *self);
void
ferry_copy_set_requests(FerryCopy *self, guint requests);
guint
ferry_copy_get_requests(FerryCopy *self);
void
ferry_copy_set_request_size(FerryCopy *self, guint request_size);
guint
ferry_copy_get_request_size(FerryCopy *self);
void
ferry_copy_set_bandwidth(FerryCopy *self, guint64 bytes_per_second);
guint64
ferry_copy_get_bandwidth(FerryCopy *self);
void
ferry_copy_set_journal(FerryCopy *self, const char *path);
const char *
ferry_copy_get_journal(FerryCopy *self);
void
ferry_copy_set_verify(FerryCopy *self, gboolean verify);
gboolean
ferry_copy_get_verify(FerryCopy *self);
void
ferry_copy_set_retries(FerryCopy *self, guint retries);
guint
ferry_copy_get_retries(FerryCopy *self);
void
ferry_copy_set_timeout(FerryCopy *self, guint seconds);
guint
ferry_copy_get_timeout(FerryCopy *self);
void
ferry_copy_set_extents(FerryCopy *self, FerryExtentList *extents);
FerryExtentList *
ferry_copy_get_extents(FerryCopy *self);
void
ferry_copy_set_extents_from(FerryCopy *self, const char *context);
const char *
ferry_copy_get_extents_from(FerryCopy *self);

gboolean
ferry_copy_run(FerryCopy *self, FerryProgress *progress, GCancellable *cancellable, GError **error);
void
ferry_copy_run_async(FerryCopy *self,
		     FerryProgress *progress,
		     GCancellable *cancellable,
		     GAsyncReadyCallback callback,
		     gpointer user_data);
gboolean
ferry_copy_run_finish(FerryCopy *self, GAsyncResult *result, GError **error);

guint64
ferry_copy_get_bytes_total(FerryCopy *self);
guint64
ferry_copy_get_bytes_read(FerryCopy *self);
guint64
ferry_copy_get_bytes_written(FerryCopy *self);
guint64
ferry_copy_get_bytes_zeroed(FerryCopy *self);
guint64
ferry_copy_get_bytes_skipped(FerryCopy *self);
guint64
ferry_copy_get_bytes_resumed(FerryCopy *self);
guint64
ferry_copy_get_bytes_verified(FerryCopy *self);
guint
ferry_copy_get_retried(FerryCopy *self);
guint
ferry_copy_get_connections_used(FerryCopy *self);

gboolean
ferry_copy_parse_size(const char *text, guint64 *size, GError **error);

G_END_DECLS

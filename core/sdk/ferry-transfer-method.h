/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ferry-progress.h"
#include "ferry-transfer-request.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER_METHOD (ferry_transfer_method_get_type())
G_DECLARE_INTERFACE(FerryTransferMethod, ferry_transfer_method, FERRY, TRANSFER_METHOD, GObject)

/**
 * FerryTransferMethodInterface:
 * @g_iface: the parent interface
 * @get_name: required; the method name, e.g. `nbd`, `virt-v2v`
 * @supports: required; 0 when the method cannot do @request, else a priority
 *   (the engine uses the highest; the core `nbd` method answers 10)
 * @copy: required; copy the disk (the whole disk, or the request's extents
 *   for an incremental copy), resuming from the journal when one is set
 * @convert: optional; convert the guest in place on the written target
 *   disks; returns what was found (`operatingSystem`, `firmware`, …)
 *
 * The vtable of a transfer method. Methods run synchronously in the calling
 * thread; the public `_async` forms call them in a worker thread.
 *
 * Since: 0.1
 */
struct _FerryTransferMethodInterface {
	GTypeInterface g_iface;

	const char *(*get_name)(FerryTransferMethod *self);
	guint (*supports)(FerryTransferMethod *self, FerryTransferRequest *request);
	gboolean (*copy)(FerryTransferMethod *self,
			 FerryTransferRequest *request,
			 FerryProgress *progress,
			 GCancellable *cancellable,
			 GError **error);
	JsonObject *(*convert)(FerryTransferMethod *self,
			       JsonObject *vm_spec,
			       GPtrArray *disks,
			       FerryProgress *progress,
			       GCancellable *cancellable,
			       GError **error);

	/*< private >*/
	gpointer padding[12];
};

const char *
ferry_transfer_method_get_name(FerryTransferMethod *self);
guint
ferry_transfer_method_supports(FerryTransferMethod *self, FerryTransferRequest *request);
gboolean
ferry_transfer_method_can_convert(FerryTransferMethod *self);
gboolean
ferry_transfer_method_copy(FerryTransferMethod *self,
			   FerryTransferRequest *request,
			   FerryProgress *progress,
			   GCancellable *cancellable,
			   GError **error);
void
ferry_transfer_method_copy_async(FerryTransferMethod *self,
				 FerryTransferRequest *request,
				 FerryProgress *progress,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
gboolean
ferry_transfer_method_copy_finish(FerryTransferMethod *self, GAsyncResult *result, GError **error);
JsonObject *
ferry_transfer_method_convert(FerryTransferMethod *self,
			      JsonObject *vm_spec,
			      GPtrArray *disks,
			      FerryProgress *progress,
			      GCancellable *cancellable,
			      GError **error);
void
ferry_transfer_method_convert_async(FerryTransferMethod *self,
				    JsonObject *vm_spec,
				    GPtrArray *disks,
				    FerryProgress *progress,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data);
JsonObject *
ferry_transfer_method_convert_finish(FerryTransferMethod *self,
				     GAsyncResult *result,
				     GError **error);

FerryTransferMethod *
ferry_transfer_method_select(GPtrArray *methods, FerryTransferRequest *request, GError **error);

G_END_DECLS

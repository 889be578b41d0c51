/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-copy-private.h"
#include "ferry-copy.h"
#include "ferry-transfer-method.h"

/* the core's built-in `nbd` transfer method: the copy engine behind the
 * FerryTransferMethod interface */

struct _FerryNbdTransferMethod {
	GObject parent_instance;
};

static void ferry_nbd_transfer_method_iface_init(FerryTransferMethodInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(FerryNbdTransferMethod,
			      ferry_nbd_transfer_method,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(FERRY_TYPE_TRANSFER_METHOD,
						    ferry_nbd_transfer_method_iface_init))

static void
ferry_nbd_transfer_method_class_init(FerryNbdTransferMethodClass *klass)
{
}

static void
ferry_nbd_transfer_method_init(FerryNbdTransferMethod *self)
{
}

static const char *
ferry_nbd_transfer_method_get_name(FerryTransferMethod *method)
{
	return "nbd";
}

static guint
ferry_nbd_transfer_method_supports(FerryTransferMethod *method, FerryTransferRequest *request)
{
	FerryDiskEndpoint *source = ferry_transfer_request_get_source(request);
	FerryDiskEndpoint *target = ferry_transfer_request_get_target(request);

	/* bytes are copied as they are: no guest conversion, no format change */
	if (ferry_transfer_request_get_flags(request) & FERRY_TRANSFER_FLAG_CONVERT)
		return 0;
	if (g_strcmp0(ferry_disk_endpoint_get_format(source),
		      ferry_disk_endpoint_get_format(target)) != 0)
		return 0;
	return 10;
}

static gboolean
ferry_nbd_transfer_method_copy(FerryTransferMethod *method,
			       FerryTransferRequest *request,
			       FerryProgress *progress,
			       GCancellable *cancellable,
			       GError **error)
{
	g_autoptr(FerryCopy) copy = NULL;
	gboolean ok;

	/* a deferred endpoint is served now that its bytes are needed */
	if (!ferry_disk_endpoint_open(ferry_transfer_request_get_source(request), cancellable,
				      error) ||
	    !ferry_disk_endpoint_open(ferry_transfer_request_get_target(request), cancellable,
				      error))
		return FALSE;
	copy = ferry_copy_new_for_request(request, error);
	if (copy == NULL)
		return FALSE;
	ok = ferry_copy_run(copy, progress, cancellable, error);
	/* what a resumed copy sent again shows here (G_MESSAGES_DEBUG=Ferry) */
	g_debug("copy to %s: %s; %" G_GUINT64_FORMAT " bytes to copy, %" G_GUINT64_FORMAT
		" resumed from the journal, %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT
		" written, %" G_GUINT64_FORMAT " zeroed",
		ferry_disk_endpoint_get_description(ferry_transfer_request_get_target(request)),
		ok ? "done" : "failed", ferry_copy_get_bytes_total(copy),
		ferry_copy_get_bytes_resumed(copy), ferry_copy_get_bytes_read(copy),
		ferry_copy_get_bytes_written(copy), ferry_copy_get_bytes_zeroed(copy));
	return ok;
}

static void
ferry_nbd_transfer_method_iface_init(FerryTransferMethodInterface *iface)
{
	iface->get_name = ferry_nbd_transfer_method_get_name;
	iface->supports = ferry_nbd_transfer_method_supports;
	iface->copy = ferry_nbd_transfer_method_copy;
}

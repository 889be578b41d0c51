/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * FerryDiskRole:
 * @FERRY_DISK_ROLE_SOURCE: the copy reads from it
 * @FERRY_DISK_ROLE_TARGET: the copy writes to it
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_DISK_ROLE_SOURCE,
	FERRY_DISK_ROLE_TARGET,
} FerryDiskRole;

/**
 * FerryDiskEndpointCloseFunc:
 * @user_data: the data given to ferry_disk_endpoint_add_close_func()
 * @error: return location for a #GError
 *
 * Releases something that serves the disk and that is not a local process
 * or file: a port-forward, a pod, a remote export.
 *
 * Returns: %FALSE with @error set when it could not be released
 *
 * Since: 0.1
 */
typedef gboolean (*FerryDiskEndpointCloseFunc)(gpointer user_data, GError **error);

#define FERRY_TYPE_DISK_ENDPOINT (ferry_disk_endpoint_get_type())
G_DECLARE_FINAL_TYPE(FerryDiskEndpoint, ferry_disk_endpoint, FERRY, DISK_ENDPOINT, GObject)

/**
 * FerryDiskEndpointOpenFunc:
 * @endpoint: the endpoint to open
 * @user_data: the data given to ferry_disk_endpoint_new_deferred()
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Starts what serves a deferred endpoint's disk and tells @endpoint where
 * it is (ferry_disk_endpoint_set_uri()), registering what closing must
 * release (ferry_disk_endpoint_add_close_func()).
 *
 * Returns: %FALSE with @error set when the disk cannot be served
 *
 * Since: 0.1
 */
typedef gboolean (*FerryDiskEndpointOpenFunc)(FerryDiskEndpoint *endpoint,
					      gpointer user_data,
					      GCancellable *cancellable,
					      GError **error);

FerryDiskEndpoint *
ferry_disk_endpoint_new_nbd(FerryDiskRole role, const char *uri);
FerryDiskEndpoint *
ferry_disk_endpoint_new_file(FerryDiskRole role, const char *path);
FerryDiskEndpoint *
ferry_disk_endpoint_new_raw_target(const char *path,
				   guint64 capacity,
				   const char *display,
				   GError **error);
FerryDiskEndpoint *
ferry_disk_endpoint_new_deferred(FerryDiskRole role,
				 FerryDiskEndpointOpenFunc func,
				 gpointer user_data,
				 GDestroyNotify destroy);
gboolean
ferry_disk_endpoint_open(FerryDiskEndpoint *self, GCancellable *cancellable, GError **error);
gboolean
ferry_disk_endpoint_is_deferred(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_set_uri(FerryDiskEndpoint *self, const char *uri);
FerryDiskRole
ferry_disk_endpoint_get_role(FerryDiskEndpoint *self);
const char *
ferry_disk_endpoint_get_uri(FerryDiskEndpoint *self);
const char *
ferry_disk_endpoint_get_path(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_set_size(FerryDiskEndpoint *self, guint64 size);
guint64
ferry_disk_endpoint_get_size(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_set_format(FerryDiskEndpoint *self, const char *format);
const char *
ferry_disk_endpoint_get_format(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_set_disk_id(FerryDiskEndpoint *self, const char *disk_id);
const char *
ferry_disk_endpoint_get_disk_id(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_set_description(FerryDiskEndpoint *self, const char *description);
const char *
ferry_disk_endpoint_get_description(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_set_zeroed(FerryDiskEndpoint *self, gboolean zeroed);
gboolean
ferry_disk_endpoint_get_zeroed(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_add_process(FerryDiskEndpoint *self, GSubprocess *process);
GPtrArray *
ferry_disk_endpoint_get_processes(FerryDiskEndpoint *self);
GStrv
ferry_disk_endpoint_dup_cleanup_paths(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_add_cleanup_path(FerryDiskEndpoint *self, const char *path);
void
ferry_disk_endpoint_add_artifact(FerryDiskEndpoint *self, const char *kind, const char *id);
guint
ferry_disk_endpoint_get_n_artifacts(FerryDiskEndpoint *self);
void
ferry_disk_endpoint_get_artifact(FerryDiskEndpoint *self,
				 guint index,
				 const char **kind,
				 const char **id);
void
ferry_disk_endpoint_add_close_func(FerryDiskEndpoint *self,
				   FerryDiskEndpointCloseFunc func,
				   gpointer user_data,
				   GDestroyNotify destroy);
gboolean
ferry_disk_endpoint_close(FerryDiskEndpoint *self, GError **error);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ferry-disk-endpoint.h"
#include "ferry-secret.h"

G_BEGIN_DECLS

/**
 * FerryNbdServerProgram:
 * @FERRY_NBD_SERVER_NBDKIT: nbdkit; arguments are a plugin, its parameters
 *   and filters
 * @FERRY_NBD_SERVER_QEMU_NBD: qemu-nbd; arguments are options and the image
 *
 * The program that serves the disk.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_NBD_SERVER_NBDKIT,
	FERRY_NBD_SERVER_QEMU_NBD,
} FerryNbdServerProgram;

#define FERRY_TYPE_NBD_SERVER (ferry_nbd_server_get_type())
G_DECLARE_FINAL_TYPE(FerryNbdServer, ferry_nbd_server, FERRY, NBD_SERVER, GObject)

FerryNbdServer *
ferry_nbd_server_new(FerryNbdServerProgram program, const char *display);
void
ferry_nbd_server_set_read_only(FerryNbdServer *self, gboolean read_only);
void
ferry_nbd_server_set_timeout(FerryNbdServer *self, guint seconds);
void
ferry_nbd_server_set_secret(FerryNbdServer *self, FerrySecret *secret);
void
ferry_nbd_server_setenv(FerryNbdServer *self, const char *name, const char *value);
void
ferry_nbd_server_add_argument(FerryNbdServer *self, const char *argument);
char *
ferry_nbd_server_build_private_path(FerryNbdServer *self, const char *name, GError **error);
gboolean
ferry_nbd_server_add_secret_parameter(FerryNbdServer *self,
				      const char *key,
				      const char *value,
				      GError **error);
gboolean
ferry_nbd_server_start(FerryNbdServer *self, GCancellable *cancellable, GError **error);
const char *
ferry_nbd_server_get_display(FerryNbdServer *self);
const char *
ferry_nbd_server_get_uri(FerryNbdServer *self);
const char *
ferry_nbd_server_get_socket_path(FerryNbdServer *self);
const char *
ferry_nbd_server_get_log_path(FerryNbdServer *self);
guint64
ferry_nbd_server_get_size(FerryNbdServer *self);
GSubprocess *
ferry_nbd_server_get_process(FerryNbdServer *self);
char *
ferry_nbd_server_dup_log(FerryNbdServer *self);
FerryDiskEndpoint *
ferry_nbd_server_new_endpoint(FerryNbdServer *self, FerryDiskRole role);
gboolean
ferry_nbd_server_stop(FerryNbdServer *self, GError **error);

G_END_DECLS

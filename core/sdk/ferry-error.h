/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * FERRY_ERROR:
 *
 * The error domain of every error libferry and its plugins report.
 *
 * Since: 0.1
 */
#define FERRY_ERROR (ferry_error_quark())

/**
 * FerryError:
 * @FERRY_ERROR_FAILED: a failure with no more precise code
 * @FERRY_ERROR_INVALID_ARGUMENT: a caller passed a bad value (a programming or usage error)
 * @FERRY_ERROR_INVALID_DATA: input (a manifest, OVF, SOAP or JSON reply, tar header) is malformed
 * @FERRY_ERROR_NOT_FOUND: the named object, file, plugin or VM does not exist
 * @FERRY_ERROR_EXISTS: the object already exists
 * @FERRY_ERROR_NOT_SUPPORTED: the plugin or platform does not support the operation
 * @FERRY_ERROR_AUTH_FAILED: the credentials were refused
 * @FERRY_ERROR_TLS_FAILED: the peer's certificate could not be verified or did not match the pin
 * @FERRY_ERROR_CONNECTION_FAILED: the peer could not be reached
 * @FERRY_ERROR_TIMED_OUT: the operation did not finish in time
 * @FERRY_ERROR_CANCELLED: the operation was cancelled
 * @FERRY_ERROR_PERMISSION_DENIED: the operating system or peer denied access
 * @FERRY_ERROR_NO_SPACE: the destination is full or too small
 * @FERRY_ERROR_IO: reading or writing data failed
 * @FERRY_ERROR_INVALID_STATE: the object is in the wrong state (for example a VM already off)
 * @FERRY_ERROR_PLUGIN: a plugin could not be loaded or misbehaved
 * @FERRY_ERROR_VERIFY_FAILED: data written did not match the data read
 * @FERRY_ERROR_BUSY: the object is in use; try again later
 *
 * The error codes of %FERRY_ERROR.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_ERROR_FAILED,
	FERRY_ERROR_INVALID_ARGUMENT,
	FERRY_ERROR_INVALID_DATA,
	FERRY_ERROR_NOT_FOUND,
	FERRY_ERROR_EXISTS,
	FERRY_ERROR_NOT_SUPPORTED,
	FERRY_ERROR_AUTH_FAILED,
	FERRY_ERROR_TLS_FAILED,
	FERRY_ERROR_CONNECTION_FAILED,
	FERRY_ERROR_TIMED_OUT,
	FERRY_ERROR_CANCELLED,
	FERRY_ERROR_PERMISSION_DENIED,
	FERRY_ERROR_NO_SPACE,
	FERRY_ERROR_IO,
	FERRY_ERROR_INVALID_STATE,
	FERRY_ERROR_PLUGIN,
	FERRY_ERROR_VERIFY_FAILED,
	FERRY_ERROR_BUSY,
	/*< private >*/
	FERRY_ERROR_LAST
} FerryError;

GQuark
ferry_error_quark(void);
const char *
ferry_error_to_string(FerryError code);
FerryError
ferry_error_from_string(const char *str);
void
ferry_error_convert(GError **perror);
int
ferry_error_to_exit_status(const GError *error);
gboolean
ferry_error_is_untrusted_certificate(const GError *error);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "ferry-error.h"

/**
 * ferry_error_quark:
 *
 * Returns: the quark of the %FERRY_ERROR domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK(ferry-error-quark, ferry_error)

static const char *const error_names[] = {
    [FERRY_ERROR_FAILED] = "failed",
    [FERRY_ERROR_INVALID_ARGUMENT] = "invalid-argument",
    [FERRY_ERROR_INVALID_DATA] = "invalid-data",
    [FERRY_ERROR_NOT_FOUND] = "not-found",
    [FERRY_ERROR_EXISTS] = "exists",
    [FERRY_ERROR_NOT_SUPPORTED] = "not-supported",
    [FERRY_ERROR_AUTH_FAILED] = "auth-failed",
    [FERRY_ERROR_TLS_FAILED] = "tls-failed",
    [FERRY_ERROR_CONNECTION_FAILED] = "connection-failed",
    [FERRY_ERROR_TIMED_OUT] = "timed-out",
    [FERRY_ERROR_CANCELLED] = "cancelled",
    [FERRY_ERROR_PERMISSION_DENIED] = "permission-denied",
    [FERRY_ERROR_NO_SPACE] = "no-space",
    [FERRY_ERROR_IO] = "io",
    [FERRY_ERROR_INVALID_STATE] = "invalid-state",
    [FERRY_ERROR_PLUGIN] = "plugin",
    [FERRY_ERROR_VERIFY_FAILED] = "verify-failed",
    [FERRY_ERROR_BUSY] = "busy",
};
G_STATIC_ASSERT(G_N_ELEMENTS(error_names) == FERRY_ERROR_LAST);

/**
 * ferry_error_to_string:
 * @code: a #FerryError
 *
 * Returns: (transfer none): a short stable name for @code, e.g. `not-found`,
 *   or %NULL when @code is out of range
 *
 * Since: 0.1
 */
const char *
ferry_error_to_string(FerryError code)
{
	if ((guint)code >= FERRY_ERROR_LAST)
		return NULL;
	return error_names[code];
}

/**
 * ferry_error_from_string:
 * @str: (nullable): a name from ferry_error_to_string()
 *
 * Returns: the code, or %FERRY_ERROR_FAILED for an unknown name
 *
 * Since: 0.1
 */
FerryError
ferry_error_from_string(const char *str)
{
	if (str == NULL)
		return FERRY_ERROR_FAILED;
	for (guint i = 0; i < FERRY_ERROR_LAST; i++) {
		if (g_strcmp0(str, error_names[i]) == 0)
			return (FerryError)i;
	}
	return FERRY_ERROR_FAILED;
}

static FerryError
ferry_error_code_from_io(gint code)
{
	switch (code) {
	case G_IO_ERROR_NOT_FOUND:
		return FERRY_ERROR_NOT_FOUND;
	case G_IO_ERROR_EXISTS:
		return FERRY_ERROR_EXISTS;
	case G_IO_ERROR_INVALID_ARGUMENT:
	case G_IO_ERROR_INVALID_FILENAME:
	case G_IO_ERROR_FILENAME_TOO_LONG:
		return FERRY_ERROR_INVALID_ARGUMENT;
	case G_IO_ERROR_INVALID_DATA:
	case G_IO_ERROR_PARTIAL_INPUT:
		return FERRY_ERROR_INVALID_DATA;
	case G_IO_ERROR_NOT_SUPPORTED:
		return FERRY_ERROR_NOT_SUPPORTED;
	case G_IO_ERROR_PERMISSION_DENIED:
	case G_IO_ERROR_READ_ONLY:
		return FERRY_ERROR_PERMISSION_DENIED;
	case G_IO_ERROR_NO_SPACE:
		return FERRY_ERROR_NO_SPACE;
	case G_IO_ERROR_TIMED_OUT:
		return FERRY_ERROR_TIMED_OUT;
	case G_IO_ERROR_CANCELLED:
		return FERRY_ERROR_CANCELLED;
	case G_IO_ERROR_BUSY:
	case G_IO_ERROR_PENDING:
		return FERRY_ERROR_BUSY;
	case G_IO_ERROR_CONNECTION_REFUSED:
	case G_IO_ERROR_HOST_NOT_FOUND:
	case G_IO_ERROR_HOST_UNREACHABLE:
	case G_IO_ERROR_NETWORK_UNREACHABLE:
	case G_IO_ERROR_BROKEN_PIPE:
	case G_IO_ERROR_PROXY_FAILED:
	case G_IO_ERROR_NOT_CONNECTED:
		return FERRY_ERROR_CONNECTION_FAILED;
	case G_IO_ERROR_PROXY_AUTH_FAILED:
		return FERRY_ERROR_AUTH_FAILED;
	default:
		return FERRY_ERROR_IO;
	}
}

static FerryError
ferry_error_code_from_file(gint code)
{
	switch (code) {
	case G_FILE_ERROR_EXIST:
		return FERRY_ERROR_EXISTS;
	case G_FILE_ERROR_NOENT:
	case G_FILE_ERROR_NXIO:
	case G_FILE_ERROR_NODEV:
		return FERRY_ERROR_NOT_FOUND;
	case G_FILE_ERROR_ACCES:
	case G_FILE_ERROR_PERM:
	case G_FILE_ERROR_ROFS:
		return FERRY_ERROR_PERMISSION_DENIED;
	case G_FILE_ERROR_NOSPC:
		return FERRY_ERROR_NO_SPACE;
	case G_FILE_ERROR_INVAL:
	case G_FILE_ERROR_NAMETOOLONG:
	case G_FILE_ERROR_ISDIR:
	case G_FILE_ERROR_NOTDIR:
		return FERRY_ERROR_INVALID_ARGUMENT;
	case G_FILE_ERROR_AGAIN:
	case G_FILE_ERROR_INTR:
		return FERRY_ERROR_BUSY;
	default:
		return FERRY_ERROR_IO;
	}
}

/* a TLS error that is the connection going away under the handshake or the
 * session (the peer reset it, closed it, or stopped), not a verdict on the
 * certificate or the protocol */
static gboolean
ferry_error_tls_is_transport(const GError *error)
{
	return g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_EOF) ||
	       g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_MISC);
}

/**
 * ferry_error_is_untrusted_certificate:
 * @error: (nullable): an error from a TLS connection, or %NULL
 *
 * Whether @error says the peer's certificate was not trusted, the one TLS
 * failure whose fix is a CA (or skipping verification). A handshake the peer
 * broke off (reset, closed, stopped) is a transport failure instead: the fix
 * there is to bring the server back, and an error that named the CA would
 * send the user the wrong way.
 *
 * Returns: %TRUE for an untrusted certificate
 *
 * Since: 0.1
 */
gboolean
ferry_error_is_untrusted_certificate(const GError *error)
{
	return g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
}

/**
 * ferry_error_convert:
 * @perror: (inout) (nullable) (optional): a #GError, or %NULL
 *
 * Converts an error of a foreign domain (GIO, GLib file, key file, TLS,
 * resolver, JSON) into the %FERRY_ERROR domain in place, keeping the message.
 * Errors already in %FERRY_ERROR are left untouched.
 *
 * Since: 0.1
 */
void
ferry_error_convert(GError **perror)
{
	GError *error;

	if (perror == NULL || *perror == NULL)
		return;
	error = *perror;
	if (error->domain == FERRY_ERROR)
		return;

	if (error->domain == G_IO_ERROR)
		error->code = ferry_error_code_from_io(error->code);
	else if (error->domain == G_FILE_ERROR)
		error->code = ferry_error_code_from_file(error->code);
	else if (error->domain == G_RESOLVER_ERROR)
		error->code = FERRY_ERROR_CONNECTION_FAILED;
	else if (error->domain == G_TLS_ERROR)
		error->code = ferry_error_tls_is_transport(error) ? FERRY_ERROR_CONNECTION_FAILED
								  : FERRY_ERROR_TLS_FAILED;
	else if (error->domain == G_KEY_FILE_ERROR)
		error->code = error->code == G_KEY_FILE_ERROR_NOT_FOUND ? FERRY_ERROR_NOT_FOUND
									   : FERRY_ERROR_INVALID_DATA;
	else if (error->domain == G_CONVERT_ERROR || error->domain == G_MARKUP_ERROR ||
		 error->domain == G_REGEX_ERROR || error->domain == G_VARIANT_PARSE_ERROR ||
		 error->domain == g_quark_try_string("json-parser-error-quark") ||
		 error->domain == g_quark_try_string("json-reader-error"))
		error->code = FERRY_ERROR_INVALID_DATA;
	else if (error->domain == G_SPAWN_ERROR)
		error->code = FERRY_ERROR_FAILED;
	else
		error->code = FERRY_ERROR_FAILED;
	error->domain = FERRY_ERROR;
}

/**
 * ferry_error_to_exit_status:
 * @error: (nullable): an error, or %NULL for success
 *
 * The exit status the `ferry` tool uses for @error, so scripts can tell
 * failures apart: 0 success, 1 general failure, 2 usage or input error,
 * 3 not found, 4 authentication or TLS failure, 5 peer unreachable or timed
 * out, 6 cancelled, 7 out of space, 8 verification failure.
 *
 * Returns: an exit status
 *
 * Since: 0.1
 */
int
ferry_error_to_exit_status(const GError *error)
{
	if (error == NULL)
		return 0;
	if (error->domain == G_OPTION_ERROR)
		return 2;
	if (error->domain != FERRY_ERROR)
		return 1;
	switch (error->code) {
	case FERRY_ERROR_INVALID_ARGUMENT:
	case FERRY_ERROR_INVALID_DATA:
		return 2;
	case FERRY_ERROR_NOT_FOUND:
		return 3;
	case FERRY_ERROR_AUTH_FAILED:
	case FERRY_ERROR_TLS_FAILED:
		return 4;
	case FERRY_ERROR_CONNECTION_FAILED:
	case FERRY_ERROR_TIMED_OUT:
		return 5;
	case FERRY_ERROR_CANCELLED:
		return 6;
	case FERRY_ERROR_NO_SPACE:
		return 7;
	case FERRY_ERROR_VERIFY_FAILED:
		return 8;
	default:
		return 1;
	}
}

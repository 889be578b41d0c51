/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gio/gio.h>

#include "ferry.h"

static void
test_error_names_round_trip(void)
{
	for (guint i = 0; i < FERRY_ERROR_LAST; i++) {
		const char *name = ferry_error_to_string((FerryError)i);
		g_assert_nonnull(name);
		g_assert_cmpint(ferry_error_from_string(name), ==, i);
	}
	g_assert_null(ferry_error_to_string(FERRY_ERROR_LAST));
	g_assert_cmpint(ferry_error_from_string("no-such-code"), ==, FERRY_ERROR_FAILED);
	g_assert_cmpint(ferry_error_from_string(NULL), ==, FERRY_ERROR_FAILED);
}

typedef struct {
	GQuark domain;
	gint code;
	gint expected;
} ConvertCase;

/* only a certificate the peer presented and we do not trust is a CA problem;
 * a handshake the server broke off (say it restarted) is not */
static void
test_error_untrusted_certificate_only_for_bad_certificates(void)
{
	g_autoptr(GError) bad = g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
						     "Unacceptable TLS certificate");
	g_autoptr(GError) reset = g_error_new_literal(
	    G_TLS_ERROR, G_TLS_ERROR_MISC,
	    "Peer failed to perform TLS handshake: Error sending data: Connection reset by peer");
	g_autoptr(GError) eof = g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_EOF, "TLS EOF");
	g_autoptr(GError) refused =
	    g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused");

	g_assert_true(ferry_error_is_untrusted_certificate(bad));
	g_assert_false(ferry_error_is_untrusted_certificate(reset));
	g_assert_false(ferry_error_is_untrusted_certificate(eof));
	g_assert_false(ferry_error_is_untrusted_certificate(refused));
	g_assert_false(ferry_error_is_untrusted_certificate(NULL));
}

static void
test_error_convert(void)
{
	const ConvertCase cases[] = {
	    {G_IO_ERROR, G_IO_ERROR_NOT_FOUND, FERRY_ERROR_NOT_FOUND},
	    {G_IO_ERROR, G_IO_ERROR_NO_SPACE, FERRY_ERROR_NO_SPACE},
	    {G_IO_ERROR, G_IO_ERROR_CANCELLED, FERRY_ERROR_CANCELLED},
	    {G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, FERRY_ERROR_CONNECTION_FAILED},
	    {G_IO_ERROR, G_IO_ERROR_TIMED_OUT, FERRY_ERROR_TIMED_OUT},
	    {G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, FERRY_ERROR_PERMISSION_DENIED},
	    {G_IO_ERROR, G_IO_ERROR_INVALID_DATA, FERRY_ERROR_INVALID_DATA},
	    {G_IO_ERROR, G_IO_ERROR_FAILED, FERRY_ERROR_IO},
	    {G_FILE_ERROR, G_FILE_ERROR_NOENT, FERRY_ERROR_NOT_FOUND},
	    {G_FILE_ERROR, G_FILE_ERROR_NOSPC, FERRY_ERROR_NO_SPACE},
	    {G_FILE_ERROR, G_FILE_ERROR_ACCES, FERRY_ERROR_PERMISSION_DENIED},
	    {G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, FERRY_ERROR_TLS_FAILED},
	    {G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED, FERRY_ERROR_TLS_FAILED},
	    /* the peer reset or closed the connection under the handshake */
	    {G_TLS_ERROR, G_TLS_ERROR_MISC, FERRY_ERROR_CONNECTION_FAILED},
	    {G_TLS_ERROR, G_TLS_ERROR_EOF, FERRY_ERROR_CONNECTION_FAILED},
	    {G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, FERRY_ERROR_CONNECTION_FAILED},
	    {G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, FERRY_ERROR_INVALID_DATA},
	    {G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_NOT_FOUND, FERRY_ERROR_NOT_FOUND},
	    {FERRY_ERROR, FERRY_ERROR_AUTH_FAILED, FERRY_ERROR_AUTH_FAILED},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = g_error_new(cases[i].domain, cases[i].code, "case %u", i);
		ferry_error_convert(&error);
		g_assert_error(error, FERRY_ERROR, cases[i].expected);
		{
			g_autofree char *expected = g_strdup_printf("case %u", i);
			g_assert_cmpstr(error->message, ==, expected);
		}
	}
	/* NULL and no-error are harmless */
	ferry_error_convert(NULL);
	{
		GError *none = NULL;
		ferry_error_convert(&none);
		g_assert_null(none);
	}
}

static void
test_error_exit_status(void)
{
	g_autoptr(GError) auth = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_AUTH_FAILED, "x");
	g_autoptr(GError) data = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "x");
	g_autoptr(GError) option = g_error_new_literal(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "x");
	g_autoptr(GError) other = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "x");
	g_assert_cmpint(ferry_error_to_exit_status(NULL), ==, 0);
	g_assert_cmpint(ferry_error_to_exit_status(auth), ==, 4);
	g_assert_cmpint(ferry_error_to_exit_status(data), ==, 2);
	g_assert_cmpint(ferry_error_to_exit_status(option), ==, 2);
	g_assert_cmpint(ferry_error_to_exit_status(other), ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/error/names", test_error_names_round_trip);
	g_test_add_func("/error/convert", test_error_convert);
	g_test_add_func("/error/untrusted-certificate",
			test_error_untrusted_certificate_only_for_bad_certificates);
	g_test_add_func("/error/exit-status", test_error_exit_status);
	return g_test_run();
}

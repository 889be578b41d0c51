/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry.h"

static void
test_secret_values(void)
{
	g_autoptr(FerrySecret) secret = ferry_secret_new("vsphere-credentials");
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *password = NULL;
	g_auto(GStrv) keys = NULL;
	const guint8 binary[] = {0xff, 0x00, 0xfe};

	ferry_secret_set_string(secret, "user", "administrator@vsphere.local");
	ferry_secret_set_string(secret, "password", "Sup3r-Secret!");
	ferry_secret_set_string(secret, "insecureSkipVerify", "True");
	{
		g_autoptr(GBytes) value = g_bytes_new(binary, sizeof(binary));
		ferry_secret_set(secret, "cacert", value);
	}
	g_assert_cmpstr(ferry_secret_get_name(secret), ==, "vsphere-credentials");
	password = ferry_secret_dup_string(secret, "password");
	g_assert_cmpstr(password, ==, "Sup3r-Secret!");
	g_assert_null(ferry_secret_dup_string(secret, "cacert")); /* not UTF-8 */
	bytes = ferry_secret_get(secret, "cacert");
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), binary,
			sizeof(binary));
	g_assert_true(ferry_secret_get_boolean(secret, "insecureSkipVerify", FALSE));
	g_assert_false(ferry_secret_get_boolean(secret, "user", FALSE));
	g_assert_true(ferry_secret_get_boolean(secret, "missing", TRUE));
	keys = ferry_secret_list_keys(secret);
	g_assert_cmpuint(g_strv_length(keys), ==, 4);
	g_assert_cmpstr(keys[0], ==, "cacert");
	g_assert_cmpstr(keys[3], ==, "user");
	ferry_secret_set_string(secret, "password", NULL);
	g_assert_false(ferry_secret_has_key(secret, "password"));
}

static void
test_secret_redact(void)
{
	g_autoptr(FerrySecret) secret = ferry_secret_new(NULL);
	g_autofree char *redacted = NULL;

	ferry_secret_set_string(secret, "user", "admin");
	ferry_secret_set_string(secret, "password", "hunter2-long");
	ferry_secret_set_string(secret, "token", "eyJhbGciOi.abc");
	ferry_secret_set_string(secret, "short", "ab");
	redacted = ferry_secret_redact(
	    secret, "login admin/hunter2-long failed; token eyJhbGciOi.abc; ab; hunter2-long");
	g_assert_null(strstr(redacted, "hunter2-long"));
	g_assert_null(strstr(redacted, "eyJhbGciOi.abc"));
	g_assert_nonnull(strstr(redacted, "admin"));
	g_assert_cmpstr(redacted, ==,
			"login admin/[redacted] failed; token [redacted]; ab; [redacted]");
	g_assert_null(ferry_secret_redact(secret, NULL));
}

/* a CA bundle from a Secret key: written 0600, trusted; bad values are
 * refused with the key, the Secret and the hint */
static void
test_secret_tls_database(void)
{
	g_autoptr(FerrySecret) secret = ferry_secret_new("engine-credentials");
	g_autofree char *ca_path = g_test_build_filename(G_TEST_DIST, "tests", "kube", "ca.pem", NULL);
	g_autofree char *pem = NULL;
	g_autofree char *dir = g_dir_make_tmp("ferry-secret-test-XXXXXX", NULL);
	g_autofree char *file = g_build_filename(dir, "ca.pem", NULL);
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(GError) error = NULL;
	GStatBuf st;

	g_assert_true(g_file_get_contents(ca_path, &pem, NULL, NULL));
	ferry_secret_set_string(secret, "cacert", pem);
	ferry_secret_set_string(secret, "bad", "not a certificate");
	database = ferry_secret_new_tls_database(secret, "cacert", file, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(G_IS_TLS_DATABASE(database));
	g_assert_cmpint(g_stat(file, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_clear_object(&database);

	database = ferry_secret_new_tls_database(secret, "bad", file, "put the CA there", &error);
	g_assert_null(database);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "key bad of Secret engine-credentials"));
	g_assert_nonnull(strstr(error->message, "put the CA there"));
	g_clear_error(&error);

	database = ferry_secret_new_tls_database(secret, "missing", file, NULL, &error);
	g_assert_null(database);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_unlink(file);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/secret/values", test_secret_values);
	g_test_add_func("/secret/redact", test_secret_redact);
	g_test_add_func("/secret/tls-database", test_secret_tls_database);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run by tests/e2e/openstack-test.py against the real Keystone and Glance
 * of scripts/openstack-testbed, with the bed's FERRY_OS_* variables in a
 * key file (group `bed`) named by its only argument, so no password is in
 * an environment:
 * a client authenticates, then its token is revoked (the admin changes the
 * user's password and sets it back: Keystone revokes every token of the
 * user issued before), and the client's next request still succeeds
 * because it authenticates once more. The old token is checked to be
 * refused by Keystone (HTTP 401), so the test proves a real revocation.
 * (Glance's keystonemiddleware caches validations for minutes, so it is
 * Keystone's own API that sees the revocation at once.)
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-openstack-client.h"

static GKeyFile *bed;

static const char *
bed_get(const char *key)
{
	static GHashTable *values;
	char *value;
	if (values == NULL)
		values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	value = g_hash_table_lookup(values, key);
	if (value == NULL) {
		value = g_key_file_get_string(bed, "bed", key, NULL);
		if (value == NULL)
			return NULL;
		g_hash_table_insert(values, g_strdup(key), value);
	}
	return value;
}

static FerryOpenstackClient *
client_for(const char *user, const char *password, const char *project)
{
	g_autoptr(FerrySecret) secret = ferry_secret_new("reauth-test");
	g_autoptr(GError) error = NULL;
	FerryOpenstackClient *client;

	ferry_secret_set_string(secret, "username", user);
	ferry_secret_set_string(secret, "password", password);
	ferry_secret_set_string(secret, "projectName", project);
	ferry_secret_set_string(secret, "userDomainName", "Default");
	ferry_secret_set_string(secret, "projectDomainName", "Default");
	client = ferry_openstack_client_new(bed_get("FERRY_OS_AUTH_URL"), secret,
					    "Provider/test/reauth", &error);
	g_assert_no_error(error);
	g_assert_true(ferry_openstack_client_authenticate(client, NULL, &error));
	g_assert_no_error(error);
	return client;
}

static void
set_password(FerryOpenstackClient *admin, const char *user_id, const char *password)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_strdup_printf("/users/%s", user_id);
	g_autofree char *text =
	    g_strdup_printf("{\"user\": {\"password\": \"%s\"}}", password);
	g_autoptr(JsonNode) body = json_from_string(text, NULL);
	g_autoptr(JsonNode) reply = ferry_openstack_client_request(
	    admin, "identity", "PATCH", path, body, NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(reply);
}

/* the client's current token, through the header file nbdkit reads */
static char *
current_token(FerryOpenstackClient *client, const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "header", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_assert_true(ferry_openstack_client_write_token_header(client, path, &error));
	g_assert_true(g_file_get_contents(path, &text, NULL, &error));
	g_assert_true(g_str_has_prefix(text, "X-Auth-Token: "));
	return g_strstrip(g_strdup(text + strlen("X-Auth-Token: ")));
}

/* Keystone's answer to GET /v3/auth/projects with @token (Glance caches
 * token validations for minutes, Keystone checks revocations at once) */
static guint
keystone_status(const char *token)
{
	g_autofree char *url = g_strconcat(bed_get("FERRY_OS_AUTH_URL"), "/auth/projects", NULL);
	g_autoptr(SoupSession) session = soup_session_new();
	g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
	g_autoptr(GBytes) reply = NULL;
	g_autoptr(GError) error = NULL;
	soup_message_headers_replace(soup_message_get_request_headers(msg), "X-Auth-Token", token);
	reply = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	return soup_message_get_status(msg);
}

int
main(int argc, char **argv)
{
	g_autoptr(FerryOpenstackClient) admin = NULL;
	g_autoptr(FerryOpenstackClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) users = NULL;
	g_autoptr(JsonNode) images = NULL;
	g_autofree char *path = NULL;
	const char *user;
	const char *password;
	const char *user_id;
	guint status = 0;
	g_autofree char *dir = g_dir_make_tmp("ferry-reauth-XXXXXX", NULL);
	g_autofree char *old_token = NULL;
	g_autofree char *new_token = NULL;
	g_autofree char *header = NULL;

	bed = g_key_file_new();
	if (argc != 2 || !g_key_file_load_from_file(bed, argv[1], G_KEY_FILE_NONE, NULL) ||
	    bed_get("FERRY_OS_AUTH_URL") == NULL) {
		g_printerr("usage: %s BED-KEY-FILE (run through tests/e2e/openstack-test.py)\n",
			   argv[0]);
		return 77;
	}
	user = bed_get("FERRY_OS_USER");
	password = bed_get("FERRY_OS_PASSWORD");
	admin = client_for(bed_get("FERRY_OS_ADMIN_USER"), bed_get("FERRY_OS_ADMIN_PASSWORD"),
			   "admin");
	client = client_for(user, password, bed_get("FERRY_OS_PROJECT"));
	path = g_strdup_printf("/users?name=%s", user);
	users = ferry_openstack_client_request(admin, "identity", "GET", path, NULL, NULL, NULL,
					       NULL, &error);
	g_assert_no_error(error);
	user_id = ferry_json_get_string(
	    ferry_json_array_object(ferry_json_get_array(json_node_get_object(users), "users"), 0),
	    "id");
	g_assert_nonnull(user_id);

	/* the client's token works */
	images = ferry_openstack_client_request(client, "image", "GET", "/images", NULL, &status,
						NULL, NULL, &error);
	g_assert_no_error(error);
	g_clear_pointer(&images, json_node_unref);
	old_token = current_token(client, dir);
	g_assert_cmpuint(keystone_status(old_token), ==, 200);

	/* revoke it: a password change revokes the user's tokens */
	set_password(admin, user_id, "ferry-reauth-intermediate");
	set_password(admin, user_id, password);
	/* fernet tokens carry their issue time in seconds */
	g_usleep(1100 * G_USEC_PER_SEC / 1000);
	g_assert_cmpuint(keystone_status(old_token), ==, 401);

	images = ferry_openstack_client_request(client, "identity", "GET", "/auth/projects", NULL,
						&status, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(images);
	g_assert_cmpuint(status, ==, 200);
	new_token = current_token(client, dir);
	g_assert_cmpstr(new_token, !=, old_token);
	header = g_build_filename(dir, "header", NULL);
	g_unlink(header);
	g_rmdir(dir);
	g_print("a revoked token: the client authenticated again and Keystone answered %u\n",
		status);
	return 0;
}

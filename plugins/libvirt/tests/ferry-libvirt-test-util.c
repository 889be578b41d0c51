/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ferry-libvirt-test-util.h"

#include <glib/gstdio.h>
#include <libvirt/virterror.h>

/* deletes a folder the test made, with everything in it */
void
ferry_libvirt_test_remove_tree(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			ferry_libvirt_test_remove_tree(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

JsonObject *
ferry_libvirt_test_parse_spec(const char *json)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	json_parser_load_from_data(parser, json, -1, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

gboolean
ferry_libvirt_test_domain_active(virConnectPtr conn, const char *name)
{
	virDomainPtr domain = virDomainLookupByName(conn, name);
	int active;
	g_assert_nonnull(domain);
	active = virDomainIsActive(domain);
	virDomainFree(domain);
	return active == 1;
}

static void
quiet(void *data, virErrorPtr error)
{
	/* the tests check errors through the API, not on stderr */
}

/* the test's own connection, to read back what the plugin did */
virConnectPtr
ferry_libvirt_test_open(const char *uri)
{
	virConnectPtr conn;
	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen(uri);
	g_assert_nonnull(conn);
	return conn;
}

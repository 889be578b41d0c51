/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ferry-libvirt-test-util.h"

#include <glib/gstdio.h>
#include <libvirt/virterror.h>

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

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fixture plugin whose registration fails, as a plugin does when an
 * external tool it needs is missing.
 */

#include <ferry-plugin-sdk.h>

static gboolean
register_error_register(FerryPluginModule *module, GError **error)
{
	g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "the fixture's external tool is not installed");
	return FALSE;
}

FERRY_PLUGIN_DEFINE(register_error, "register-error", "Broken fixture", register_error_register)

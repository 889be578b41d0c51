/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fixture plugin whose entry symbol has the wrong name.
 */

#include <ferry-plugin-sdk.h>

static gboolean
missing_register(FerryPluginModule *module, GError **error)
{
	return TRUE;
}

/* exported under another plugin's name: the loader looks for
 * ferry_missing_symbol_plugin_describe and does not find it */
FERRY_PLUGIN_DEFINE(somebody_else, "missing-symbol", "Broken fixture", missing_register)

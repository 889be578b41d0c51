/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-builtins-private.h"
#include "ferry-copy-private.h"
#include "ferry-rules-validator.h"

void
ferry_builtins_register(FerryPluginRegistry *registry)
{
	/* each core implementation adds one line here */
	ferry_plugin_registry_add_builtin(registry, FERRY_PLUGIN_KIND_TRANSFER_METHOD, "nbd",
					  FERRY_TYPE_NBD_TRANSFER_METHOD,
					  "Copy engine on libnbd: sparse, incremental, resumable");
	ferry_plugin_registry_add_builtin(registry, FERRY_PLUGIN_KIND_VALIDATOR, "rules",
					  FERRY_TYPE_RULES_VALIDATOR,
					  "Validation rules written as data (data/rules, "
					  "FERRY_RULES_PATH)");
}

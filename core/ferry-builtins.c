/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-builtins-private.h"

void
ferry_builtins_register(FerryPluginRegistry *registry)
{
	/* each core implementation adds one line here */
	(void)registry;
}

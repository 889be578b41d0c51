/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-version.h"

/**
 * ferry_version_string:
 *
 * Returns: (transfer none): the version of the libferry in use at run time
 *
 * Since: 0.1
 */
const char *
ferry_version_string(void)
{
	return FERRY_VERSION_STRING;
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib.h>

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

/**
 * ferry_get_data_dir:
 *
 * The directory of Ferry's installed data: schemas, validation rules,
 * example manifests. `FERRY_DATA_DIR` overrides it (the build tree's
 * `meson devenv` and the tests point it at the source tree's `data/`).
 *
 * Returns: (transfer none): the data directory
 *
 * Since: 0.1
 */
const char *
ferry_get_data_dir(void)
{
	const char *env = g_getenv("FERRY_DATA_DIR");
	if (env != NULL && env[0] != '\0')
		return env;
	return FERRY_DATADIR;
}

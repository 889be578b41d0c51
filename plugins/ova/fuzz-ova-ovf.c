/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: the OVF descriptor parser.
 */

#include "config.h"

#include <stdint.h>

#include "ferry-ova-ovf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) envelope =
	    ferry_ova_ovf_parse((const char *)data, size, "fuzz.ovf", &error);
	g_assert((envelope == NULL) != (error == NULL));
	if (error != NULL)
		g_assert(error->domain == FERRY_ERROR && error->message != NULL);
	return 0;
}

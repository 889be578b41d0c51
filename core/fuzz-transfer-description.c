/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the pull transfer description reader: any input either fails with
 * INVALID_DATA, or is a description that writes and reads back to the same
 * text (what a destination writes, the transfer pod reads unchanged).
 */

#include <stdint.h>

#include "ferry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryTransferDescription) description = NULL;
	g_autoptr(FerryTransferDescription) again = NULL;
	g_autofree char *text = NULL;
	g_autofree char *text_again = NULL;

	if (size > 65536)
		return 0;
	description =
	    ferry_transfer_description_new_from_data((const char *)data, (gssize)size, &error);
	if (description == NULL) {
		g_assert_true(g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA));
		return 0;
	}
	text = ferry_transfer_description_to_data(description, NULL);
	again = ferry_transfer_description_new_from_data(text, -1, &error);
	if (again == NULL)
		g_error("a description written does not read back: %s\n%s", error->message, text);
	text_again = ferry_transfer_description_to_data(again, NULL);
	if (g_strcmp0(text, text_again) != 0)
		g_error("a description changes when read back:\n%s\n%s", text, text_again);
	return 0;
}

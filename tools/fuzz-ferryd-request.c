/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes ferryd's request parsing (path and query routing): any request
 * target either fails with NOT_FOUND or INVALID_ARGUMENT, or parses into a
 * route whose parts are what the path held.
 */

#include <stdint.h>
#include <string.h>

#include "ferryd-server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	char *query = strchr(text, '?');
	FerrydRequest request;
	g_autoptr(GError) error = NULL;

	if (size > 8192)
		return 0;
	if (query != NULL)
		*query++ = '\0';
	if (!ferryd_request_parse(text, query, &request, &error)) {
		g_assert_true(g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) ||
			      g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT));
		ferryd_request_clear(&request);
		return 0;
	}
	switch (request.route) {
	case FERRYD_ROUTE_OBJECT:
	case FERRYD_ROUTE_TREE:
		g_assert_nonnull(request.id);
		/* fall through */
	case FERRYD_ROUTE_COLLECTION:
		g_assert_nonnull(request.collection);
		/* fall through */
	case FERRYD_ROUTE_PROVIDER:
		g_assert_nonnull(request.provider_uid);
		/* fall through */
	case FERRYD_ROUTE_PROVIDER_TYPE:
		g_assert_nonnull(request.provider_type);
		g_assert_true(g_utf8_validate(request.provider_type, -1, NULL));
		break;
	default:
		break;
	}
	g_assert_true(request.limit >= -1 && request.offset >= 0 && request.detail >= 0);
	ferryd_request_clear(&request);
	return 0;
}

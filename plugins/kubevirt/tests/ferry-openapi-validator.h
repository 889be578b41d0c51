/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FerryOpenapiValidator FerryOpenapiValidator;

FerryOpenapiValidator *
ferry_openapi_validator_new_for_swagger(const char *path, GError **error);
FerryOpenapiValidator *
ferry_openapi_validator_new_for_crd(JsonNode *crd, const char *version, GError **error);
GPtrArray *
ferry_openapi_validator_validate(FerryOpenapiValidator *self,
				 const char *definition,
				 JsonNode *document);
char *
ferry_openapi_validator_describe(GPtrArray *problems);
void
ferry_openapi_validator_free(FerryOpenapiValidator *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryOpenapiValidator, ferry_openapi_validator_free)

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-openapi-validator.h"

G_BEGIN_DECLS

/* the real API schemas from ../shared/testdata (FERRY_TESTDATA_DIR) */
typedef struct {
	FerryOpenapiValidator *kubevirt; /* KubeVirt v1.9.0 swagger.json */
	FerryOpenapiValidator *cdi;      /* CDI v1.66.0 swagger.json */
	FerryOpenapiValidator *cdi_crd;  /* CDI's DataVolume CRD (openAPIV3Schema) */
} FerryTestSchemas;

char *
ferry_test_testdata_path(const char *first, ...) G_GNUC_NULL_TERMINATED;
gboolean
ferry_test_schemas_load(FerryTestSchemas *schemas);
void
ferry_test_schemas_clear(FerryTestSchemas *schemas);
void
ferry_test_schemas_assert_valid(FerryOpenapiValidator *validator,
				const char *definition,
				JsonNode *manifest);
void
ferry_test_schemas_assert_vm(FerryTestSchemas *schemas, JsonNode *vm);
void
ferry_test_schemas_assert_data_volume(FerryTestSchemas *schemas, JsonNode *data_volume);

G_END_DECLS

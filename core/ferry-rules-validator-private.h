/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-rules-validator.h"

G_BEGIN_DECLS

/* ferry_validator_validate() on a workload that is already JSON text, as
 * the inventory builds it, without making a JsonObject of it */
GPtrArray *ferry_rules_validator_validate_json(FerryRulesValidator *self, const char *provider_type,
					       const char *workload, GError **error);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include "ferry-validator.h"

G_BEGIN_DECLS

#define FERRY_TYPE_RULES_VALIDATOR (ferry_rules_validator_get_type())
G_DECLARE_FINAL_TYPE(FerryRulesValidator, ferry_rules_validator, FERRY, RULES_VALIDATOR, GObject)

FerryRulesValidator *ferry_rules_validator_new(void);
void ferry_rules_validator_add_directory(FerryRulesValidator *self, const char *directory);
GStrv ferry_rules_validator_dup_directories(FerryRulesValidator *self);
GPtrArray *ferry_rules_validator_list_rules(FerryRulesValidator *self, const char *provider_type);
GStrv ferry_rules_validator_dup_problems(FerryRulesValidator *self, const char *provider_type);
guint ferry_rules_validator_get_rules_version(FerryRulesValidator *self, const char *provider_type);

G_END_DECLS

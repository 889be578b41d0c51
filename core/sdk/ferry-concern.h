/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * FerryConcernCategory:
 * @FERRY_CONCERN_CATEGORY_CRITICAL: the VM cannot be migrated; blocks the plan
 * @FERRY_CONCERN_CATEGORY_WARNING: the VM can be migrated but something will differ or needs care
 * @FERRY_CONCERN_CATEGORY_INFORMATION: worth knowing, changes nothing
 *
 * The categories of a validation concern, as Forklift's rules use them.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_CONCERN_CATEGORY_CRITICAL,
	FERRY_CONCERN_CATEGORY_WARNING,
	FERRY_CONCERN_CATEGORY_INFORMATION,
} FerryConcernCategory;

const char *
ferry_concern_category_to_string(FerryConcernCategory category);
gboolean
ferry_concern_category_from_string(const char *str, FerryConcernCategory *category);

#define FERRY_TYPE_CONCERN (ferry_concern_get_type())
G_DECLARE_FINAL_TYPE(FerryConcern, ferry_concern, FERRY, CONCERN, GObject)

FerryConcern *
ferry_concern_new(const char *id,
		  FerryConcernCategory category,
		  const char *label,
		  const char *assessment);
const char *
ferry_concern_get_id(FerryConcern *self);
FerryConcernCategory
ferry_concern_get_category(FerryConcern *self);
const char *
ferry_concern_get_label(FerryConcern *self);
const char *
ferry_concern_get_assessment(FerryConcern *self);
JsonNode *
ferry_concern_to_json(FerryConcern *self);

G_END_DECLS

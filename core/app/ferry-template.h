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

#define FERRY_TYPE_TEMPLATE (ferry_template_get_type())
G_DECLARE_FINAL_TYPE(FerryTemplate, ferry_template, FERRY, TEMPLATE, GObject)

FerryTemplate *ferry_template_new(const char *text, GError **error);
const char *ferry_template_get_text(FerryTemplate *self);
char *ferry_template_execute(FerryTemplate *self, JsonObject *data, GError **error);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char *
ferry_kubevirt_yaml_dump(JsonNode *document, GError **error);

G_END_DECLS

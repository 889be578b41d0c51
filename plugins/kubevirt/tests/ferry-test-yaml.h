/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonNode *
ferry_test_yaml_load(const char *text, gssize length, GError **error);
JsonNode *
ferry_test_yaml_load_file(const char *path, GError **error);

G_END_DECLS

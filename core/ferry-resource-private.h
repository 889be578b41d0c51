/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-resource.h"

G_BEGIN_DECLS

/* a resource of the class for @kind around @root (an object node, owned) */
FerryResource *ferry_resource_new_for_kind(const char *kind, JsonNode *root);

G_END_DECLS

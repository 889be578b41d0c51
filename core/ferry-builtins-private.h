/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-plugin-registry.h"

G_BEGIN_DECLS

/* adds the implementations compiled into libferry (the nbd copy method, the
 * rules validator, …) to a new registry */
void
ferry_builtins_register(FerryPluginRegistry *registry);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

#define FERRY_TYPE_KUBEVIRT_PROVIDER (ferry_kubevirt_provider_get_type())
G_DECLARE_FINAL_TYPE(FerryKubevirtProvider,
		     ferry_kubevirt_provider,
		     FERRY,
		     KUBEVIRT_PROVIDER,
		     GObject)

void
ferry_kubevirt_provider_register(GTypeModule *module);

G_END_DECLS

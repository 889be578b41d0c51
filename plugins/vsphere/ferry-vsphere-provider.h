/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

#define FERRY_VSPHERE_TYPE_PROVIDER (ferry_vsphere_provider_get_type())
G_DECLARE_FINAL_TYPE(FerryVsphereProvider,
		     ferry_vsphere_provider,
		     FERRY_VSPHERE,
		     PROVIDER,
		     GObject)

void
ferry_vsphere_provider_register(GTypeModule *module);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

#define FERRY_TYPE_LIBVIRT_PROVIDER (ferry_libvirt_provider_get_type())
G_DECLARE_FINAL_TYPE(FerryLibvirtProvider,
		     ferry_libvirt_provider,
		     FERRY,
		     LIBVIRT_PROVIDER,
		     GObject)

void
ferry_libvirt_provider_register(GTypeModule *module);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

#define FERRY_OVIRT_TYPE_PROVIDER (ferry_ovirt_provider_get_type())
G_DECLARE_FINAL_TYPE(FerryOvirtProvider, ferry_ovirt_provider, FERRY_OVIRT, PROVIDER, GObject)

void
ferry_ovirt_provider_register(GTypeModule *module);
extern char *ferry_ovirt_plugin_dir;

G_END_DECLS

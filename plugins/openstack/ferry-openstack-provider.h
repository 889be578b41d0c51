/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

#define FERRY_OPENSTACK_TYPE_PROVIDER (ferry_openstack_provider_get_type())
G_DECLARE_FINAL_TYPE(FerryOpenstackProvider,
		     ferry_openstack_provider,
		     FERRY_OPENSTACK,
		     PROVIDER,
		     GObject)

void
ferry_openstack_provider_register(GTypeModule *module);
char *
ferry_openstack_image_name(const char *vm_id, const char *volume_id);

G_END_DECLS

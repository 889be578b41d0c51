/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-platform.h"
#include "ferry-workload-private.h"

G_BEGIN_DECLS

/* a loaded plugin provides @provider_type with @type: it overrides the
 * built-in table (see ferry-platform.c) from now on */
void
ferry_platform_register(const char *provider_type, GType type);
/* the networks and the storages a source VM's NICs and disks name (ids or
 * names, NULL for one that cannot be told), as the maps must pair them */
GPtrArray *
ferry_platform_vm_networks(const char *provider_type, JsonObject *vm);
GPtrArray *
ferry_platform_vm_storages(const char *provider_type, JsonObject *vm);
/* the MAC addresses of a source VM's NICs, lower case with ':' (from the
 * plugin's description, else the inventory document's nics[].mac) */
GPtrArray *
ferry_platform_vm_macs(const char *provider_type, JsonObject *vm);
/* the member of a source VM that says changed-block tracking is on, or NULL */
const char *
ferry_platform_get_change_tracking_member(const char *provider_type);
const FerryWorkloadExpansion *
ferry_platform_get_workload_expansions(const char *provider_type);

G_END_DECLS

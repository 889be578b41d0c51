/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-engine-private.h"
#include "ferry-vm-spec.h"

G_BEGIN_DECLS

FerryVmSpec *
ferry_engine_describe_source_vm(FerryProvider *provider,
				const char *provider_type,
				JsonObject *vm,
				GError **error);
JsonObject *
ferry_engine_build_vm_spec(JsonObject *context,
			   JsonObject *plan_vm,
			   JsonObject *source_vm,
			   FerryVmSpec *described,
			   const char *migration_uid,
			   GError **error);

G_END_DECLS

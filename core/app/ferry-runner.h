/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include "ferry-engine.h"
#include "ferry-inventory.h"
#include "ferry-plugin-registry.h"
#include "ferry-resource.h"
#include "ferry-store.h"

G_BEGIN_DECLS

#define FERRY_TYPE_RUNNER (ferry_runner_get_type())
G_DECLARE_FINAL_TYPE(FerryRunner, ferry_runner, FERRY, RUNNER, GObject)

FerryRunner *
ferry_runner_new(const char *state_dir, FerryPluginRegistry *registry, GError **error);
FerryStore *
ferry_runner_get_store(FerryRunner *self);
FerryEngine *
ferry_runner_get_engine(FerryRunner *self);
FerryInventory *
ferry_runner_get_inventory(FerryRunner *self);
FerryProvider *
ferry_runner_connect_provider(FerryRunner *self,
			      const char *name_space,
			      const char *name,
			      GCancellable *cancellable,
			      GError **error);
JsonObject *
ferry_runner_test_provider(FerryRunner *self,
			   const char *name_space,
			   const char *name,
			   GCancellable *cancellable,
			   GError **error);
gboolean
ferry_runner_refresh_inventory(FerryRunner *self,
			       const char *name_space,
			       const char *name,
			       GCancellable *cancellable,
			       GError **error);
gboolean
ferry_runner_watch_inventory(FerryRunner *self,
			     const char *name_space,
			     const char *name,
			     GCancellable *cancellable,
			     GError **error);
gboolean
ferry_runner_validate_plan(FerryRunner *self, FerryResource *plan, GError **error);
GPtrArray *
ferry_runner_check_plan_ready(FerryRunner *self,
			      const char *name_space,
			      const char *name,
			      GCancellable *cancellable,
			      GError **error);
JsonObject *
ferry_runner_estimate_plan(FerryRunner *self,
			   const char *name_space,
			   const char *name,
			   guint64 bytes_per_second,
			   GCancellable *cancellable,
			   GError **error);
FerryResource *
ferry_runner_create_migration(FerryRunner *self,
			      const char *plan_namespace,
			      const char *plan_name,
			      GError **error);
gboolean
ferry_runner_start_pending(FerryRunner *self, GCancellable *cancellable, GError **error);
gboolean
ferry_runner_run(FerryRunner *self, GCancellable *cancellable, GError **error);
gboolean
ferry_runner_sync(FerryRunner *self, GError **error);
gboolean
ferry_runner_cancel(FerryRunner *self,
		    const char *plan_namespace,
		    const char *plan_name,
		    const char *const *vms,
		    GError **error);
gboolean
ferry_runner_cutover(FerryRunner *self,
		     const char *plan_namespace,
		     const char *plan_name,
		     const char *vm,
		     GDateTime *when,
		     GError **error);
gboolean
ferry_runner_archive(FerryRunner *self,
		     const char *plan_namespace,
		     const char *plan_name,
		     GCancellable *cancellable,
		     GError **error);
char *
ferry_runner_dup_active_migration(FerryRunner *self,
				  const char *plan_namespace,
				  const char *plan_name);

G_END_DECLS

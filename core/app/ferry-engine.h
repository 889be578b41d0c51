/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ferry-provider.h"
#include "ferry-secret.h"

G_BEGIN_DECLS

/**
 * FerryEngineProviderFunc:
 * @name_space: (nullable): the namespace of the Provider resource
 * @name: the name of the Provider resource
 * @user_data: data given with the function
 * @error: return location for a #GError
 *
 * Returns a connected provider for a Provider resource. The engine calls it
 * whenever it needs a provider, including after a restart, so credentials
 * never have to be stored with the migration.
 *
 * Returns: (transfer full): a connected provider, or %NULL with @error set
 *
 * Since: 0.1
 */
typedef FerryProvider *(*FerryEngineProviderFunc)(const char *name_space,
						  const char *name,
						  gpointer user_data,
						  GError **error);

/**
 * FerryEngineSecretFunc:
 * @name_space: (nullable): the namespace of the Secret resource
 * @name: the name of the Secret resource
 * @user_data: data given with the function
 * @error: return location for a #GError
 *
 * Returns a Secret's contents, read when a phase needs them (the LUKS
 * passphrases a plan VM names in `luks`), so they are never stored with the
 * migration's state.
 *
 * Returns: (transfer full) (nullable): the secret, or %NULL with @error set
 *
 * Since: 0.1
 */
typedef FerrySecret *(*FerryEngineSecretFunc)(const char *name_space,
					      const char *name,
					      gpointer user_data,
					      GError **error);

#define FERRY_TYPE_ENGINE (ferry_engine_get_type())
G_DECLARE_FINAL_TYPE(FerryEngine, ferry_engine, FERRY, ENGINE, GObject)

FerryEngine *
ferry_engine_new(const char *state_dir, GError **error);
const char *
ferry_engine_get_state_dir(FerryEngine *self);
void
ferry_engine_set_provider_func(FerryEngine *self,
			       FerryEngineProviderFunc func,
			       gpointer user_data,
			       GDestroyNotify notify);
void
ferry_engine_set_secret_func(FerryEngine *self,
			     FerryEngineSecretFunc func,
			     gpointer user_data,
			     GDestroyNotify notify);
void
ferry_engine_set_transfer_methods(FerryEngine *self, GPtrArray *methods);
void
ferry_engine_set_settings(FerryEngine *self, JsonObject *settings);
JsonObject *
ferry_engine_get_settings(FerryEngine *self);

gboolean
ferry_engine_recover(FerryEngine *self, GCancellable *cancellable, GError **error);
char *
ferry_engine_start_migration(FerryEngine *self,
			     JsonObject *migration,
			     JsonObject *context,
			     GError **error);
gboolean
ferry_engine_step(FerryEngine *self, gboolean *active, GError **error);
gboolean
ferry_engine_run(FerryEngine *self, GCancellable *cancellable, GError **error);
gboolean
ferry_engine_cancel_vms(FerryEngine *self,
			const char *migration_uid,
			const char *const *vm_ids,
			GError **error);
gboolean
ferry_engine_set_cutover(FerryEngine *self,
			 const char *migration_uid,
			 const char *vm_id,
			 GDateTime *cutover,
			 GError **error);
gboolean
ferry_engine_archive(FerryEngine *self,
		     const char *plan_namespace,
		     const char *plan_name,
		     GCancellable *cancellable,
		     GError **error);
JsonNode *
ferry_engine_get_migration_status(FerryEngine *self, const char *migration_uid, GError **error);
GStrv
ferry_engine_list_migrations(FerryEngine *self, gboolean running_only);
JsonNode *
ferry_engine_get_plan_status(FerryEngine *self,
			     const char *plan_namespace,
			     const char *plan_name,
			     GError **error);
JsonNode *
ferry_engine_list_artifacts(FerryEngine *self);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include "ferry-provider-config.h"
#include "ferry-resource.h"
#include "ferry-secret.h"

G_BEGIN_DECLS

/**
 * FerryApplyOutcome:
 * @FERRY_APPLY_OUTCOME_CREATED: the resource is new
 * @FERRY_APPLY_OUTCOME_CONFIGURED: the resource changed
 * @FERRY_APPLY_OUTCOME_UNCHANGED: the resource was already like that
 *
 * What ferry_store_apply() did to a resource, as `kubectl apply` says it.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_APPLY_OUTCOME_CREATED,
	FERRY_APPLY_OUTCOME_CONFIGURED,
	FERRY_APPLY_OUTCOME_UNCHANGED,
} FerryApplyOutcome;

#define FERRY_TYPE_STORE (ferry_store_get_type())
G_DECLARE_FINAL_TYPE(FerryStore, ferry_store, FERRY, STORE, GObject)

FerryStore *ferry_store_new(const char *state_dir, GError **error);
const char *ferry_store_get_state_dir(FerryStore *self);
GStrv ferry_store_dup_rules_directories(FerryStore *self);
gboolean ferry_store_set_rules_directories(FerryStore *self, const char *const *directories,
					   GError **error);
gboolean ferry_store_apply(FerryStore *self, GPtrArray *resources, GArray **outcomes,
			   GError **error);
FerryResource *ferry_store_get(FerryStore *self, const char *kind, const char *name_space,
			       const char *name, GError **error);
GPtrArray *ferry_store_list(FerryStore *self, const char *kind, const char *name_space,
			    GError **error);
gboolean ferry_store_delete(FerryStore *self, const char *kind, const char *name_space,
			    const char *name, GError **error);
gboolean ferry_store_update_status(FerryStore *self, FerryResource *resource, GError **error);
FerrySecret *ferry_store_get_secret(FerryStore *self, const char *name_space, const char *name,
				    GError **error);
FerryProviderConfig *ferry_store_dup_provider_config(FerryStore *self, const char *name_space,
						     const char *name, GError **error);
FerryResource *ferry_store_dup_controller(FerryStore *self, GError **error);
GStrv ferry_store_list_referrers(FerryStore *self, const char *kind, const char *name_space,
				 const char *name, GError **error);

G_END_DECLS

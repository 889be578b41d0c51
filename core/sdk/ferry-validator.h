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

#include "ferry-concern.h"

G_BEGIN_DECLS

#define FERRY_TYPE_VALIDATOR (ferry_validator_get_type())
G_DECLARE_INTERFACE(FerryValidator, ferry_validator, FERRY, VALIDATOR, GObject)

/**
 * FerryValidatorInterface:
 * @g_iface: the parent interface
 * @get_name: required; the validator name
 * @get_version: optional; a version that changes whenever the validator's
 *   results may change (Forklift's `rules_version`); 0 when absent
 * @validate: required; the concerns about @vm, a VM document of a provider
 *   of type @provider_type (possibly none)
 *
 * Since: 0.1
 */
struct _FerryValidatorInterface {
	GTypeInterface g_iface;

	const char *(*get_name)(FerryValidator *self);
	guint (*get_version)(FerryValidator *self, const char *provider_type);
	GPtrArray *(*validate)(FerryValidator *self,
			       const char *provider_type,
			       JsonObject *vm,
			       GCancellable *cancellable,
			       GError **error);

	/*< private >*/
	gpointer padding[8];
};

const char *
ferry_validator_get_name(FerryValidator *self);
guint
ferry_validator_get_version(FerryValidator *self, const char *provider_type);
GPtrArray *
ferry_validator_validate(FerryValidator *self,
			 const char *provider_type,
			 JsonObject *vm,
			 GCancellable *cancellable,
			 GError **error);

G_END_DECLS

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-error.h"
#include "ferry-validator.h"

/**
 * FerryValidator:
 *
 * Judges a VM before migration and returns concerns (Critical, Warning,
 * Information). The core's rules validator reads rules as data; plugins may
 * add validators that need code.
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE(FerryValidator, ferry_validator, G_TYPE_OBJECT)

static void
ferry_validator_default_init(FerryValidatorInterface *iface)
{
}

/**
 * ferry_validator_get_name:
 * @self: a #FerryValidator
 *
 * Returns: (transfer none): the name
 *
 * Since: 0.1
 */
const char *
ferry_validator_get_name(FerryValidator *self)
{
	FerryValidatorInterface *iface;
	g_return_val_if_fail(FERRY_IS_VALIDATOR(self), NULL);
	iface = FERRY_VALIDATOR_GET_IFACE(self);
	g_return_val_if_fail(iface->get_name != NULL, NULL);
	return iface->get_name(self);
}

/**
 * ferry_validator_get_version:
 * @self: a #FerryValidator
 * @provider_type: the provider type whose VMs are validated
 *
 * Returns: the version of the validator's judgement for that provider type
 *
 * Since: 0.1
 */
guint
ferry_validator_get_version(FerryValidator *self, const char *provider_type)
{
	FerryValidatorInterface *iface;
	g_return_val_if_fail(FERRY_IS_VALIDATOR(self), 0);
	iface = FERRY_VALIDATOR_GET_IFACE(self);
	return iface->get_version != NULL ? iface->get_version(self, provider_type) : 0;
}

/**
 * ferry_validator_validate:
 * @self: a #FerryValidator
 * @provider_type: the provider type the VM comes from, e.g. `vsphere`
 * @vm: the VM's inventory document
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type FerryConcern): the concerns, maybe
 *   none, or %NULL with @error set when the VM could not be judged
 *
 * Since: 0.1
 */
GPtrArray *
ferry_validator_validate(FerryValidator *self,
			 const char *provider_type,
			 JsonObject *vm,
			 GCancellable *cancellable,
			 GError **error)
{
	FerryValidatorInterface *iface;
	g_autoptr(GError) local_error = NULL;
	GPtrArray *result;

	g_return_val_if_fail(FERRY_IS_VALIDATOR(self), NULL);
	g_return_val_if_fail(provider_type != NULL, NULL);
	g_return_val_if_fail(vm != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	iface = FERRY_VALIDATOR_GET_IFACE(self);
	g_return_val_if_fail(iface->validate != NULL, NULL);
	result = iface->validate(self, provider_type, vm, cancellable, &local_error);
	if (result == NULL) {
		if (local_error == NULL)
			g_set_error(&local_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
				    "validator '%s' failed without saying why",
				    ferry_validator_get_name(self));
		ferry_error_convert(&local_error);
		g_propagate_error(error, g_steal_pointer(&local_error));
	}
	return result;
}

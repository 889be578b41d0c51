/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-plugin-private.h"
#include "ferry-plugin.h"
#include "ferry-provider.h"
#include "ferry-transfer-method.h"
#include "ferry-validator.h"

/**
 * FerryPluginModule:
 *
 * The #GTypeModule of one loaded plugin file. Plugins register their dynamic
 * types on it and announce what they implement with
 * ferry_plugin_module_add_provider(),
 * ferry_plugin_module_add_transfer_method() and
 * ferry_plugin_module_add_validator(). Modules stay resident: a module
 * that registered types can never be unloaded.
 *
 * Since: 0.1
 */
struct _FerryPluginModule {
	GTypeModule parent_instance;
	char *path;
	char *name;
	GModule *library;
	const FerryPluginDescriptor *descriptor;
	GPtrArray *registrations; /* of FerryPluginRegistration */
	GError *load_error;
	gboolean loaded;
};

G_DEFINE_TYPE(FerryPluginModule, ferry_plugin_module, G_TYPE_TYPE_MODULE)

static const char *const kind_names[] = {"provider", "transfer-method", "validator"};

/**
 * ferry_plugin_kind_to_string:
 * @kind: a #FerryPluginKind
 *
 * Returns: (transfer none): `provider`, `transfer-method` or `validator`
 *
 * Since: 0.1
 */
const char *
ferry_plugin_kind_to_string(FerryPluginKind kind)
{
	if ((guint)kind >= G_N_ELEMENTS(kind_names))
		return NULL;
	return kind_names[kind];
}

static void
ferry_plugin_registration_free(gpointer data)
{
	FerryPluginRegistration *registration = data;
	g_free(registration->name);
	g_free(registration);
}

char *
ferry_plugin_symbol_for_name(const char *name)
{
	g_autofree char *c_name = g_strdup(name);
	g_strdelimit(c_name, "-.", '_');
	return g_strdup_printf(FERRY_PLUGIN_SYMBOL_FORMAT, c_name);
}

static gboolean
ferry_plugin_module_load(GTypeModule *type_module)
{
	FerryPluginModule *self = FERRY_PLUGIN_MODULE(type_module);
	typedef const FerryPluginDescriptor *(*DescribeFunc)(void);
	DescribeFunc describe = NULL;
	g_autofree char *symbol = NULL;
	const FerryPluginDescriptor *descriptor;
	g_autoptr(GError) error = NULL;

	g_clear_error(&self->load_error);
	if (self->loaded)
		return TRUE;

	/* bind eagerly so missing symbols show now, not in the middle of a migration */
	self->library = g_module_open(self->path, G_MODULE_BIND_LOCAL);
	if (self->library == NULL) {
		g_set_error(&self->load_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
			    "cannot load the library: %s", g_module_error());
		return FALSE;
	}
	symbol = ferry_plugin_symbol_for_name(self->name);
	if (!g_module_symbol(self->library, symbol, (gpointer *)&describe) || describe == NULL) {
		g_set_error(&self->load_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
			    "the library does not export the entry symbol %s "
			    "(was it built with FERRY_PLUGIN_DEFINE for this name?)",
			    symbol);
		g_module_close(self->library);
		self->library = NULL;
		return FALSE;
	}
	/* from here on the library stays mapped: it may have run constructors */
	g_module_make_resident(self->library);
	descriptor = describe();
	if (descriptor == NULL) {
		g_set_error(&self->load_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
			    "%s returned no descriptor", symbol);
		return FALSE;
	}
	if (descriptor->abi_version != FERRY_PLUGIN_ABI_VERSION ||
	    descriptor->struct_size != sizeof(FerryPluginDescriptor)) {
		g_set_error(&self->load_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
			    "built for plugin ABI %u (descriptor size %u), but this Ferry has "
			    "ABI %u (size %u); rebuild the plugin against libferry %s",
			    descriptor->abi_version, descriptor->struct_size,
			    (guint)FERRY_PLUGIN_ABI_VERSION, (guint)sizeof(FerryPluginDescriptor),
			    FERRY_VERSION_STRING);
		return FALSE;
	}
	if (descriptor->register_types == NULL) {
		g_set_error_literal(&self->load_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
				    "the descriptor has no registration function");
		return FALSE;
	}
	self->descriptor = descriptor;
	if (!descriptor->register_types(self, &error)) {
		if (error == NULL)
			g_set_error_literal(&error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
					    "registration failed without saying why");
		g_propagate_prefixed_error(&self->load_error, g_steal_pointer(&error),
					   "registration failed: ");
		g_ptr_array_set_size(self->registrations, 0);
		return FALSE;
	}
	if (self->registrations->len == 0) {
		g_set_error_literal(&self->load_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
				    "the plugin registered no provider, transfer method or "
				    "validator");
		return FALSE;
	}
	self->loaded = TRUE;
	return TRUE;
}

static void
ferry_plugin_module_unload(GTypeModule *type_module)
{
	/* modules are resident; nothing to undo */
}

static void
ferry_plugin_module_finalize(GObject *object)
{
	FerryPluginModule *self = FERRY_PLUGIN_MODULE(object);
	g_free(self->path);
	g_free(self->name);
	g_ptr_array_unref(self->registrations);
	g_clear_error(&self->load_error);
	G_OBJECT_CLASS(ferry_plugin_module_parent_class)->finalize(object);
}

static void
ferry_plugin_module_class_init(FerryPluginModuleClass *klass)
{
	GTypeModuleClass *module_class = G_TYPE_MODULE_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = ferry_plugin_module_finalize;
	module_class->load = ferry_plugin_module_load;
	module_class->unload = ferry_plugin_module_unload;
}

static void
ferry_plugin_module_init(FerryPluginModule *self)
{
	self->registrations = g_ptr_array_new_with_free_func(ferry_plugin_registration_free);
}

FerryPluginModule *
ferry_plugin_module_new(const char *path)
{
	FerryPluginModule *self = g_object_new(FERRY_TYPE_PLUGIN_MODULE, NULL);
	g_autofree char *basename = g_path_get_basename(path);
	self->path = g_strdup(path);
	if (g_str_has_suffix(basename, G_MODULE_SUFFIX))
		basename[strlen(basename) - strlen("." G_MODULE_SUFFIX)] = '\0';
	self->name = g_steal_pointer(&basename);
	g_type_module_set_name(G_TYPE_MODULE(self), self->path);
	return self;
}

gboolean
ferry_plugin_module_load_plugin(FerryPluginModule *self, GError **error)
{
	if (self->loaded)
		return TRUE;
	/* never balanced by g_type_module_unuse(): the module stays resident */
	if (!g_type_module_use(G_TYPE_MODULE(self))) {
		if (self->load_error != NULL)
			g_propagate_error(error, g_error_copy(self->load_error));
		else
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
					    "the module could not be used");
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_plugin_module_get_name:
 * @self: a #FerryPluginModule
 *
 * Returns: (transfer none): the plugin name (the file name without `.so`)
 *
 * Since: 0.1
 */
const char *
ferry_plugin_module_get_name(FerryPluginModule *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_MODULE(self), NULL);
	return self->name;
}

/**
 * ferry_plugin_module_get_path:
 * @self: a #FerryPluginModule
 *
 * Returns: (transfer none): the file the plugin was loaded from
 *
 * Since: 0.1
 */
const char *
ferry_plugin_module_get_path(FerryPluginModule *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_MODULE(self), NULL);
	return self->path;
}

const char *
ferry_plugin_module_get_description(FerryPluginModule *self)
{
	return self->descriptor != NULL ? self->descriptor->description : NULL;
}

const char *
ferry_plugin_module_get_built_version(FerryPluginModule *self)
{
	return self->descriptor != NULL ? self->descriptor->version : NULL;
}

guint32
ferry_plugin_module_get_abi_version(FerryPluginModule *self)
{
	return self->descriptor != NULL ? self->descriptor->abi_version : 0;
}

GPtrArray *
ferry_plugin_module_get_registrations(FerryPluginModule *self)
{
	return self->registrations;
}

static gboolean
ferry_plugin_module_add(FerryPluginModule *self,
			FerryPluginKind kind,
			GType interface_type,
			const char *name,
			GType type,
			GError **error)
{
	FerryPluginRegistration *registration;

	if (name == NULL || name[0] == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "a %s needs a name", ferry_plugin_kind_to_string(kind));
		return FALSE;
	}
	if (!g_type_is_a(type, interface_type) || G_TYPE_IS_ABSTRACT(type)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s '%s': type %s is not an instantiable %s",
			    ferry_plugin_kind_to_string(kind), name, g_type_name(type),
			    g_type_name(interface_type));
		return FALSE;
	}
	for (guint i = 0; i < self->registrations->len; i++) {
		FerryPluginRegistration *other = g_ptr_array_index(self->registrations, i);
		if (other->kind == kind && g_strcmp0(other->name, name) == 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
				    "%s '%s' registered twice", ferry_plugin_kind_to_string(kind),
				    name);
			return FALSE;
		}
	}
	registration = g_new0(FerryPluginRegistration, 1);
	registration->kind = kind;
	registration->name = g_strdup(name);
	registration->type = type;
	g_ptr_array_add(self->registrations, registration);
	return TRUE;
}

/**
 * ferry_plugin_module_add_provider:
 * @self: a #FerryPluginModule
 * @provider_type: the Provider `spec.type` it handles; call again for aliases
 * @type: a type implementing #FerryProvider
 * @error: return location for a #GError
 *
 * Returns: %FALSE when @type does not implement the interface
 *
 * Since: 0.1
 */
gboolean
ferry_plugin_module_add_provider(FerryPluginModule *self,
				 const char *provider_type,
				 GType type,
				 GError **error)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_MODULE(self), FALSE);
	return ferry_plugin_module_add(self, FERRY_PLUGIN_KIND_PROVIDER, FERRY_TYPE_PROVIDER,
				       provider_type, type, error);
}

/**
 * ferry_plugin_module_add_transfer_method:
 * @self: a #FerryPluginModule
 * @name: the method name
 * @type: a type implementing #FerryTransferMethod
 * @error: return location for a #GError
 *
 * Returns: %FALSE when @type does not implement the interface
 *
 * Since: 0.1
 */
gboolean
ferry_plugin_module_add_transfer_method(FerryPluginModule *self,
					const char *name,
					GType type,
					GError **error)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_MODULE(self), FALSE);
	return ferry_plugin_module_add(self, FERRY_PLUGIN_KIND_TRANSFER_METHOD,
				       FERRY_TYPE_TRANSFER_METHOD, name, type, error);
}

/**
 * ferry_plugin_module_add_validator:
 * @self: a #FerryPluginModule
 * @name: the validator name
 * @type: a type implementing #FerryValidator
 * @error: return location for a #GError
 *
 * Returns: %FALSE when @type does not implement the interface
 *
 * Since: 0.1
 */
gboolean
ferry_plugin_module_add_validator(FerryPluginModule *self,
				  const char *name,
				  GType type,
				  GError **error)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_MODULE(self), FALSE);
	return ferry_plugin_module_add(self, FERRY_PLUGIN_KIND_VALIDATOR, FERRY_TYPE_VALIDATOR,
				       name, type, error);
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-builtins-private.h"
#include "ferry-error.h"
#include "ferry-plugin-info-private.h"
#include "ferry-platform-private.h"
#include "ferry-plugin-private.h"
#include "ferry-plugin-registry.h"
#include "ferry-util-private.h"
#include "ferry-version.h"

/**
 * FerryPluginRegistry:
 *
 * Finds and loads plugins. The search path is `FERRY_PLUGIN_PATH`
 * (colon-separated; ignored in setuid programs) followed by the compiled-in
 * plugin directory ([func@Ferry.PluginRegistry.get_default_directory]).
 * Each `NAME.so` found there is one plugin; a plugin name found in an
 * earlier directory hides the same name in later ones. An optional
 * `NAME.plugin` key file beside it describes the plugin without loading it.
 *
 * A plugin that cannot be used (not a shared library, no entry symbol, built
 * for another ABI, registration failed, unsafe file permissions) is skipped
 * with one warning and recorded with its reason; the others still load.
 *
 * Since: 0.1
 */
struct _FerryPluginRegistry {
	GObject parent_instance;
	GPtrArray *search_paths; /* of utf8 */
	GPtrArray *plugins;	 /* of FerryPluginInfo */
	GHashTable *types[3];	 /* per FerryPluginKind: name → GType */
	gboolean loaded;
};

G_DEFINE_TYPE(FerryPluginRegistry, ferry_plugin_registry, G_TYPE_OBJECT)

/* modules are process-wide: a type can be registered once only */
static GMutex modules_lock;
static GHashTable *modules = NULL; /* path → FerryPluginModule, never freed */

static void
ferry_plugin_registry_finalize(GObject *object)
{
	FerryPluginRegistry *self = FERRY_PLUGIN_REGISTRY(object);
	g_ptr_array_unref(self->search_paths);
	g_ptr_array_unref(self->plugins);
	for (guint i = 0; i < G_N_ELEMENTS(self->types); i++)
		g_hash_table_unref(self->types[i]);
	G_OBJECT_CLASS(ferry_plugin_registry_parent_class)->finalize(object);
}

static void
ferry_plugin_registry_class_init(FerryPluginRegistryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_plugin_registry_finalize;
}

static void
ferry_plugin_registry_init(FerryPluginRegistry *self)
{
	self->search_paths = g_ptr_array_new_with_free_func(g_free);
	self->plugins = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < G_N_ELEMENTS(self->types); i++)
		self->types[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ferry_builtins_register(self);
}

/**
 * ferry_plugin_registry_get_default_directory:
 *
 * Returns: (transfer none): the compiled-in plugin directory,
 *   `$libdir/ferry-1/plugins`
 *
 * Since: 0.1
 */
const char *
ferry_plugin_registry_get_default_directory(void)
{
	return FERRY_PLUGINDIR;
}

static gboolean
ferry_plugin_registry_is_secure_process(void)
{
	return getauxval(AT_SECURE) != 0;
}

/**
 * ferry_plugin_registry_new:
 *
 * Creates a registry with the default search path.
 *
 * Returns: (transfer full): a new registry; nothing is loaded yet
 *
 * Since: 0.1
 */
FerryPluginRegistry *
ferry_plugin_registry_new(void)
{
	FerryPluginRegistry *self = g_object_new(FERRY_TYPE_PLUGIN_REGISTRY, NULL);
	const char *env = g_getenv("FERRY_PLUGIN_PATH");

	if (env != NULL && !ferry_plugin_registry_is_secure_process()) {
		g_auto(GStrv) dirs = g_strsplit(env, ":", -1);
		for (guint i = 0; dirs[i] != NULL; i++) {
			if (dirs[i][0] != '\0')
				g_ptr_array_add(self->search_paths, g_strdup(dirs[i]));
		}
	}
	g_ptr_array_add(self->search_paths, g_strdup(FERRY_PLUGINDIR));
	return self;
}

/**
 * ferry_plugin_registry_new_for_paths:
 * @paths: (array zero-terminated=1): directories to search, in order
 *
 * Creates a registry that searches only @paths.
 *
 * Returns: (transfer full): a new registry
 *
 * Since: 0.1
 */
FerryPluginRegistry *
ferry_plugin_registry_new_for_paths(const char *const *paths)
{
	FerryPluginRegistry *self = g_object_new(FERRY_TYPE_PLUGIN_REGISTRY, NULL);
	for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
		g_ptr_array_add(self->search_paths, g_strdup(paths[i]));
	return self;
}

/**
 * ferry_plugin_registry_get_search_paths:
 * @self: a #FerryPluginRegistry
 *
 * Returns: (transfer full): the directories searched, in order
 *
 * Since: 0.1
 */
GStrv
ferry_plugin_registry_get_search_paths(FerryPluginRegistry *self)
{
	GStrv paths;
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), NULL);
	paths = g_new0(char *, self->search_paths->len + 1);
	for (guint i = 0; i < self->search_paths->len; i++)
		paths[i] = g_strdup(g_ptr_array_index(self->search_paths, i));
	return paths;
}

/**
 * ferry_plugin_registry_add_builtin:
 * @self: a #FerryPluginRegistry
 * @kind: what @type implements
 * @name: the provider type or method or validator name
 * @type: the implementing type
 * @description: (nullable): a one-line description
 *
 * Registers an implementation compiled into the program. Built-ins are
 * listed by `ferry plugins` like the others and hide plugins of the same
 * name.
 *
 * Since: 0.1
 */
void
ferry_plugin_registry_add_builtin(FerryPluginRegistry *self,
				  FerryPluginKind kind,
				  const char *name,
				  GType type,
				  const char *description)
{
	FerryPluginInfo *info;

	g_return_if_fail(FERRY_IS_PLUGIN_REGISTRY(self));
	g_return_if_fail((guint)kind < G_N_ELEMENTS(self->types));
	g_return_if_fail(name != NULL);

	if (g_hash_table_contains(self->types[kind], name))
		return;
	info = ferry_plugin_info_new(name, NULL);
	ferry_plugin_info_set_description(info, description);
	ferry_plugin_info_set_builtin(info, TRUE);
	ferry_plugin_info_set_loaded(info, TRUE);
	ferry_plugin_info_set_abi_version(info, FERRY_PLUGIN_ABI_VERSION);
	ferry_plugin_info_add_name(info, kind, name);
	g_ptr_array_add(self->plugins, info);
	g_hash_table_insert(self->types[kind], g_strdup(name), GSIZE_TO_POINTER(type));
	if (kind == FERRY_PLUGIN_KIND_PROVIDER)
		ferry_platform_register(name, type);
}

static FerryPluginInfo *
ferry_plugin_registry_find_info(FerryPluginRegistry *self, const char *name)
{
	for (guint i = 0; i < self->plugins->len; i++) {
		FerryPluginInfo *info = g_ptr_array_index(self->plugins, i);
		if (!ferry_plugin_info_get_builtin(info) &&
		    g_strcmp0(ferry_plugin_info_get_name(info), name) == 0)
			return info;
	}
	return NULL;
}

static void
ferry_plugin_registry_read_metadata(FerryPluginInfo *info, const char *keyfile_path)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GError) error = NULL;
	static const struct {
		FerryPluginKind kind;
		const char *key;
	} keys[] = {
	    {FERRY_PLUGIN_KIND_PROVIDER, "ProviderTypes"},
	    {FERRY_PLUGIN_KIND_TRANSFER_METHOD, "TransferMethods"},
	    {FERRY_PLUGIN_KIND_VALIDATOR, "Validators"},
	};

	if (!g_key_file_load_from_file(keyfile, keyfile_path, G_KEY_FILE_NONE, &error)) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning("plugin metadata %s: %s; ignored", keyfile_path, error->message);
		return;
	}
	if (!g_key_file_has_group(keyfile, "Ferry Plugin")) {
		g_warning("plugin metadata %s: no [Ferry Plugin] group; ignored", keyfile_path);
		return;
	}
	{
		g_autofree char *description =
		    g_key_file_get_locale_string(keyfile, "Ferry Plugin", "Description", NULL, NULL);
		if (description != NULL)
			ferry_plugin_info_set_description(info, description);
	}
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_auto(GStrv) names =
		    g_key_file_get_string_list(keyfile, "Ferry Plugin", keys[i].key, NULL, NULL);
		for (guint j = 0; names != NULL && names[j] != NULL; j++) {
			g_strstrip(names[j]);
			if (names[j][0] != '\0')
				ferry_plugin_info_add_name(info, keys[i].kind, names[j]);
		}
	}
}

/* reject files a less trusted user could have replaced */
static gboolean
ferry_plugin_registry_check_file(const char *path, GError **error)
{
	GStatBuf st;

	if (g_stat(path, &st) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PLUGIN, "cannot stat: %s",
			    g_strerror(saved_errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_PLUGIN, "not a regular file");
		return FALSE;
	}
	if ((st.st_mode & S_IWOTH) != 0) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
				    "the file is world-writable; fix with chmod o-w");
		return FALSE;
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "running as root, but the file is owned by uid %u; only root-owned "
			    "plugins are loaded by root",
			    (guint)st.st_uid);
		return FALSE;
	}
	return TRUE;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* the names of NAME.so and NAME.plugin files in @dir, sorted, without suffix */
static GPtrArray *
ferry_plugin_registry_list_dir(const char *dir, GHashTable **libraries_out)
{
	g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GHashTable *libraries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *entry;

	*libraries_out = libraries;
	if (handle == NULL)
		return g_steal_pointer(&names);
	while ((entry = g_dir_read_name(handle)) != NULL) {
		g_autofree char *name = NULL;
		gboolean is_library = g_str_has_suffix(entry, "." G_MODULE_SUFFIX);
		if (!is_library && !g_str_has_suffix(entry, ".plugin"))
			continue;
		name = g_strndup(entry, strlen(entry) - strlen(is_library ? "." G_MODULE_SUFFIX
									  : ".plugin"));
		if (name[0] == '\0' || name[0] == '.')
			continue;
		if (is_library)
			g_hash_table_add(libraries, g_strdup(name));
		if (!g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
			g_ptr_array_add(names, g_steal_pointer(&name));
	}
	g_ptr_array_sort(names, compare_strings);
	return g_steal_pointer(&names);
}

static void
ferry_plugin_registry_skip(FerryPluginInfo *info, const char *path, const char *message)
{
	ferry_plugin_info_set_error(info, message);
	g_warning("plugin %s (%s): %s; skipped", ferry_plugin_info_get_name(info), path, message);
}

static FerryPluginModule *
ferry_plugin_registry_get_module(const char *path)
{
	FerryPluginModule *module;
	g_mutex_lock(&modules_lock);
	if (modules == NULL)
		modules = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	module = g_hash_table_lookup(modules, path);
	if (module == NULL) {
		module = ferry_plugin_module_new(path);
		g_hash_table_insert(modules, g_strdup(path), module);
	}
	g_mutex_unlock(&modules_lock);
	return module;
}

static void
ferry_plugin_registry_load_one(FerryPluginRegistry *self, FerryPluginInfo *info, const char *path)
{
	FerryPluginModule *module;
	GPtrArray *registrations;
	g_autoptr(GError) error = NULL;
	g_autofree char *real_path = NULL;

	if (!ferry_plugin_registry_check_file(path, &error)) {
		ferry_plugin_registry_skip(info, path, error->message);
		return;
	}
	/* one module per file, however it is reached */
	real_path = realpath(path, NULL);
	if (real_path == NULL) {
		ferry_plugin_registry_skip(info, path, g_strerror(errno));
		return;
	}
	module = ferry_plugin_registry_get_module(real_path);
	g_mutex_lock(&modules_lock);
	if (!ferry_plugin_module_load_plugin(module, &error)) {
		g_mutex_unlock(&modules_lock);
		ferry_plugin_registry_skip(info, path, error->message);
		return;
	}
	g_mutex_unlock(&modules_lock);

	ferry_plugin_info_clear_names(info);
	ferry_plugin_info_set_loaded(info, TRUE);
	ferry_plugin_info_set_abi_version(info, ferry_plugin_module_get_abi_version(module));
	if (ferry_plugin_module_get_description(module) != NULL)
		ferry_plugin_info_set_description(info, ferry_plugin_module_get_description(module));
	registrations = ferry_plugin_module_get_registrations(module);
	for (guint i = 0; i < registrations->len; i++) {
		FerryPluginRegistration *registration = g_ptr_array_index(registrations, i);
		GHashTable *types = self->types[registration->kind];
		ferry_plugin_info_add_name(info, registration->kind, registration->name);
		if (g_hash_table_contains(types, registration->name)) {
			g_warning("plugin %s (%s): %s '%s' is already provided by another plugin; "
				  "this one is ignored",
				  ferry_plugin_info_get_name(info), path,
				  ferry_plugin_kind_to_string(registration->kind),
				  registration->name);
			continue;
		}
		g_hash_table_insert(types, g_strdup(registration->name),
				    GSIZE_TO_POINTER(registration->type));
		if (registration->kind == FERRY_PLUGIN_KIND_PROVIDER)
			ferry_platform_register(registration->name, registration->type);
	}
}

static gboolean
ferry_plugin_registry_walk(FerryPluginRegistry *self, gboolean load, GError **error)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), FALSE);

	/* drop the results of an earlier scan; built-ins stay */
	for (guint i = self->plugins->len; i > 0; i--) {
		FerryPluginInfo *info = g_ptr_array_index(self->plugins, i - 1);
		if (!ferry_plugin_info_get_builtin(info) && !ferry_plugin_info_get_loaded(info))
			g_ptr_array_remove_index(self->plugins, i - 1);
	}
	for (guint d = 0; d < self->search_paths->len; d++) {
		const char *dir = g_ptr_array_index(self->search_paths, d);
		GHashTable *libraries = NULL;
		g_autoptr(GPtrArray) names = ferry_plugin_registry_list_dir(dir, &libraries);

		for (guint i = 0; i < names->len; i++) {
			const char *name = g_ptr_array_index(names, i);
			g_autofree char *library_name = g_strconcat(name, "." G_MODULE_SUFFIX, NULL);
			g_autofree char *metadata_name = g_strconcat(name, ".plugin", NULL);
			g_autofree char *library = g_build_filename(dir, library_name, NULL);
			g_autofree char *metadata = g_build_filename(dir, metadata_name, NULL);
			FerryPluginInfo *info;

			if (ferry_plugin_registry_find_info(self, name) != NULL) {
				g_debug("plugin %s in %s hidden by an earlier one", name, dir);
				continue;
			}
			info = ferry_plugin_info_new(name, library);
			g_ptr_array_add(self->plugins, info);
			ferry_plugin_registry_read_metadata(info, metadata);
			if (!g_hash_table_contains(libraries, name)) {
				ferry_plugin_registry_skip(info, metadata,
							   "metadata without a library beside it");
				continue;
			}
			if (load)
				ferry_plugin_registry_load_one(self, info, library);
		}
		g_hash_table_unref(libraries);
	}
	if (load)
		self->loaded = TRUE;
	return TRUE;
}

/**
 * ferry_plugin_registry_scan:
 * @self: a #FerryPluginRegistry
 * @error: return location for a #GError
 *
 * Lists the plugins of the search path from their files and `.plugin`
 * metadata, without loading any.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_plugin_registry_scan(FerryPluginRegistry *self, GError **error)
{
	return ferry_plugin_registry_walk(self, FALSE, error);
}

/**
 * ferry_plugin_registry_load:
 * @self: a #FerryPluginRegistry
 * @error: return location for a #GError
 *
 * Loads every plugin of the search path. Broken plugins are skipped with a
 * warning and listed with their reason by
 * ferry_plugin_registry_get_plugins(); they do not make this call fail.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_plugin_registry_load(FerryPluginRegistry *self, GError **error)
{
	return ferry_plugin_registry_walk(self, TRUE, error);
}

/**
 * ferry_plugin_registry_get_plugins:
 * @self: a #FerryPluginRegistry
 *
 * Returns: (transfer none) (element-type FerryPluginInfo): the built-ins
 *   and the plugins found, loaded or not
 *
 * Since: 0.1
 */
GPtrArray *
ferry_plugin_registry_get_plugins(FerryPluginRegistry *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), NULL);
	return self->plugins;
}

/**
 * ferry_plugin_registry_list_names:
 * @self: a #FerryPluginRegistry
 * @kind: what kind of implementation
 *
 * Returns: (transfer full): the names usable for @kind, sorted
 *
 * Since: 0.1
 */
GStrv
ferry_plugin_registry_list_names(FerryPluginRegistry *self, FerryPluginKind kind)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), NULL);
	g_return_val_if_fail((guint)kind < G_N_ELEMENTS(self->types), NULL);
	return ferry_hash_table_dup_sorted_keys(self->types[kind]);
}

/**
 * ferry_plugin_registry_lookup:
 * @self: a #FerryPluginRegistry
 * @kind: what kind of implementation
 * @name: its name
 *
 * Returns: the implementing type, or %G_TYPE_INVALID
 *
 * Since: 0.1
 */
GType
ferry_plugin_registry_lookup(FerryPluginRegistry *self, FerryPluginKind kind, const char *name)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), G_TYPE_INVALID);
	g_return_val_if_fail((guint)kind < G_N_ELEMENTS(self->types), G_TYPE_INVALID);
	g_return_val_if_fail(name != NULL, G_TYPE_INVALID);
	return GPOINTER_TO_SIZE(g_hash_table_lookup(self->types[kind], name));
}

static char *
ferry_plugin_registry_dup_available(FerryPluginRegistry *self, FerryPluginKind kind)
{
	g_auto(GStrv) names = ferry_plugin_registry_list_names(self, kind);
	if (names[0] == NULL)
		return g_strdup("none");
	return g_strjoinv(", ", names);
}

/**
 * ferry_plugin_registry_create_provider:
 * @self: a #FerryPluginRegistry
 * @provider_type: a Provider `spec.type`, e.g. `vsphere`
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new unconnected provider, or %NULL with
 *   %FERRY_ERROR_NOT_FOUND naming the available types
 *
 * Since: 0.1
 */
FerryProvider *
ferry_plugin_registry_create_provider(FerryPluginRegistry *self,
				      const char *provider_type,
				      GError **error)
{
	GType type;
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), NULL);
	g_return_val_if_fail(provider_type != NULL, NULL);
	type = ferry_plugin_registry_lookup(self, FERRY_PLUGIN_KIND_PROVIDER, provider_type);
	if (type == G_TYPE_INVALID) {
		g_autofree char *available =
		    ferry_plugin_registry_dup_available(self, FERRY_PLUGIN_KIND_PROVIDER);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "no plugin provides provider type '%s' (available: %s); see `ferry "
			    "plugins` and FERRY_PLUGIN_PATH",
			    provider_type, available);
		return NULL;
	}
	return g_object_new(type, NULL);
}

/**
 * ferry_plugin_registry_create_transfer_method:
 * @self: a #FerryPluginRegistry
 * @name: a transfer method name
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new transfer method, or %NULL with
 *   %FERRY_ERROR_NOT_FOUND
 *
 * Since: 0.1
 */
FerryTransferMethod *
ferry_plugin_registry_create_transfer_method(FerryPluginRegistry *self,
					     const char *name,
					     GError **error)
{
	GType type;
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);
	type = ferry_plugin_registry_lookup(self, FERRY_PLUGIN_KIND_TRANSFER_METHOD, name);
	if (type == G_TYPE_INVALID) {
		g_autofree char *available =
		    ferry_plugin_registry_dup_available(self, FERRY_PLUGIN_KIND_TRANSFER_METHOD);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "no plugin provides transfer method '%s' (available: %s)", name,
			    available);
		return NULL;
	}
	return g_object_new(type, NULL);
}

static GPtrArray *
ferry_plugin_registry_create_all(FerryPluginRegistry *self, FerryPluginKind kind)
{
	g_auto(GStrv) names = ferry_plugin_registry_list_names(self, kind);
	GPtrArray *result = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; names[i] != NULL; i++) {
		GType type = ferry_plugin_registry_lookup(self, kind, names[i]);
		g_ptr_array_add(result, g_object_new(type, NULL));
	}
	return result;
}

/**
 * ferry_plugin_registry_create_transfer_methods:
 * @self: a #FerryPluginRegistry
 *
 * Returns: (transfer container) (element-type FerryTransferMethod): one instance
 *   of every transfer method, by name, for ferry_transfer_method_select()
 *
 * Since: 0.1
 */
GPtrArray *
ferry_plugin_registry_create_transfer_methods(FerryPluginRegistry *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), NULL);
	return ferry_plugin_registry_create_all(self, FERRY_PLUGIN_KIND_TRANSFER_METHOD);
}

/**
 * ferry_plugin_registry_create_validators:
 * @self: a #FerryPluginRegistry
 *
 * Returns: (transfer container) (element-type FerryValidator): one instance of
 *   every validator
 *
 * Since: 0.1
 */
GPtrArray *
ferry_plugin_registry_create_validators(FerryPluginRegistry *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(self), NULL);
	return ferry_plugin_registry_create_all(self, FERRY_PLUGIN_KIND_VALIDATOR);
}

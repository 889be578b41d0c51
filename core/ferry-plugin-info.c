/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-plugin-info-private.h"

/**
 * FerryPluginInfo:
 *
 * What is known about one plugin: its file, description, ABI, what it
 * implements (provider types, transfer methods, validators), whether it
 * loaded and, when not, why.
 *
 * Since: 0.1
 */
struct _FerryPluginInfo {
	GObject parent_instance;
	char *name;
	char *path;
	char *description;
	guint abi_version;
	gboolean builtin;
	gboolean loaded;
	char *error;
	GPtrArray *names[3]; /* per FerryPluginKind, NULL-terminated */
};

G_DEFINE_TYPE(FerryPluginInfo, ferry_plugin_info, G_TYPE_OBJECT)

static void
ferry_plugin_info_finalize(GObject *object)
{
	FerryPluginInfo *self = FERRY_PLUGIN_INFO(object);
	g_free(self->name);
	g_free(self->path);
	g_free(self->description);
	g_free(self->error);
	for (guint i = 0; i < G_N_ELEMENTS(self->names); i++)
		g_ptr_array_unref(self->names[i]);
	G_OBJECT_CLASS(ferry_plugin_info_parent_class)->finalize(object);
}

static void
ferry_plugin_info_class_init(FerryPluginInfoClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_plugin_info_finalize;
}

static void
ferry_plugin_info_init(FerryPluginInfo *self)
{
	for (guint i = 0; i < G_N_ELEMENTS(self->names); i++)
		self->names[i] = g_ptr_array_new_null_terminated(0, g_free, TRUE);
}

FerryPluginInfo *
ferry_plugin_info_new(const char *name, const char *path)
{
	FerryPluginInfo *self = g_object_new(FERRY_TYPE_PLUGIN_INFO, NULL);
	self->name = g_strdup(name);
	self->path = g_strdup(path);
	return self;
}

void
ferry_plugin_info_set_description(FerryPluginInfo *self, const char *description)
{
	g_free(self->description);
	self->description = g_strdup(description);
}

void
ferry_plugin_info_set_abi_version(FerryPluginInfo *self, guint abi_version)
{
	self->abi_version = abi_version;
}

void
ferry_plugin_info_set_builtin(FerryPluginInfo *self, gboolean builtin)
{
	self->builtin = builtin;
}

void
ferry_plugin_info_set_loaded(FerryPluginInfo *self, gboolean loaded)
{
	self->loaded = loaded;
}

void
ferry_plugin_info_set_error(FerryPluginInfo *self, const char *error)
{
	g_free(self->error);
	self->error = g_strdup(error);
}

void
ferry_plugin_info_add_name(FerryPluginInfo *self, FerryPluginKind kind, const char *name)
{
	g_return_if_fail((guint)kind < G_N_ELEMENTS(self->names));
	if (g_ptr_array_find_with_equal_func(self->names[kind], name, g_str_equal, NULL))
		return;
	g_ptr_array_add(self->names[kind], g_strdup(name));
}

void
ferry_plugin_info_clear_names(FerryPluginInfo *self)
{
	for (guint i = 0; i < G_N_ELEMENTS(self->names); i++)
		g_ptr_array_set_size(self->names[i], 0);
}

/**
 * ferry_plugin_info_get_name:
 * @self: a #FerryPluginInfo
 *
 * Returns: (transfer none): the plugin name
 *
 * Since: 0.1
 */
const char *
ferry_plugin_info_get_name(FerryPluginInfo *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), NULL);
	return self->name;
}

/**
 * ferry_plugin_info_get_path:
 * @self: a #FerryPluginInfo
 *
 * Returns: (transfer none) (nullable): the plugin file; %NULL for built-ins
 *
 * Since: 0.1
 */
const char *
ferry_plugin_info_get_path(FerryPluginInfo *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), NULL);
	return self->path;
}

/**
 * ferry_plugin_info_get_description:
 * @self: a #FerryPluginInfo
 *
 * Returns: (transfer none) (nullable): the description
 *
 * Since: 0.1
 */
const char *
ferry_plugin_info_get_description(FerryPluginInfo *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), NULL);
	return self->description;
}

/**
 * ferry_plugin_info_get_abi_version:
 * @self: a #FerryPluginInfo
 *
 * Returns: the ABI the plugin was built for, 0 when unknown
 *
 * Since: 0.1
 */
guint
ferry_plugin_info_get_abi_version(FerryPluginInfo *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), 0);
	return self->abi_version;
}

/**
 * ferry_plugin_info_get_builtin:
 * @self: a #FerryPluginInfo
 *
 * Returns: whether it is built into libferry
 *
 * Since: 0.1
 */
gboolean
ferry_plugin_info_get_builtin(FerryPluginInfo *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), FALSE);
	return self->builtin;
}

/**
 * ferry_plugin_info_get_loaded:
 * @self: a #FerryPluginInfo
 *
 * Returns: whether the plugin is loaded and usable
 *
 * Since: 0.1
 */
gboolean
ferry_plugin_info_get_loaded(FerryPluginInfo *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), FALSE);
	return self->loaded;
}

/**
 * ferry_plugin_info_get_error:
 * @self: a #FerryPluginInfo
 *
 * Returns: (transfer none) (nullable): why the plugin was skipped
 *
 * Since: 0.1
 */
const char *
ferry_plugin_info_get_error(FerryPluginInfo *self)
{
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), NULL);
	return self->error;
}

/**
 * ferry_plugin_info_get_names:
 * @self: a #FerryPluginInfo
 * @kind: what kind of implementation
 *
 * Returns: (transfer none) (array zero-terminated=1): the names the plugin
 *   registered (or declares in its `.plugin` file) for @kind
 *
 * Since: 0.1
 */
const char *const *
ferry_plugin_info_get_names(FerryPluginInfo *self, FerryPluginKind kind)
{
	static const char *const empty[] = {NULL};
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), NULL);
	g_return_val_if_fail((guint)kind < G_N_ELEMENTS(self->names), NULL);
	/* an empty null-terminated GPtrArray may have no storage yet */
	if (self->names[kind]->len == 0)
		return empty;
	return (const char *const *)self->names[kind]->pdata;
}

/**
 * ferry_plugin_info_dup_kinds:
 * @self: a #FerryPluginInfo
 *
 * Returns: (transfer full): the kinds it implements, comma-separated, e.g.
 *   `provider,validator`
 *
 * Since: 0.1
 */
char *
ferry_plugin_info_dup_kinds(FerryPluginInfo *self)
{
	g_autoptr(GString) str = g_string_new(NULL);
	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), NULL);
	for (guint i = 0; i < G_N_ELEMENTS(self->names); i++) {
		if (self->names[i]->len == 0)
			continue;
		if (str->len > 0)
			g_string_append_c(str, ',');
		g_string_append(str, ferry_plugin_kind_to_string((FerryPluginKind)i));
	}
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static void
add_names(JsonBuilder *builder, const char *member, GPtrArray *names)
{
	json_builder_set_member_name(builder, member);
	json_builder_begin_array(builder);
	for (guint i = 0; i < names->len; i++)
		json_builder_add_string_value(builder, g_ptr_array_index(names, i));
	json_builder_end_array(builder);
}

/**
 * ferry_plugin_info_to_json:
 * @self: a #FerryPluginInfo
 *
 * Returns: (transfer full): the plugin as a JSON object, the shape
 *   `ferry plugins -o json` prints
 *
 * Since: 0.1
 */
JsonNode *
ferry_plugin_info_to_json(FerryPluginInfo *self)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree char *kinds = NULL;
	g_auto(GStrv) kind_list = NULL;

	g_return_val_if_fail(FERRY_IS_PLUGIN_INFO(self), NULL);
	kinds = ferry_plugin_info_dup_kinds(self);
	kind_list = g_strsplit(kinds, ",", -1);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, self->name);
	json_builder_set_member_name(builder, "kinds");
	json_builder_begin_array(builder);
	for (guint i = 0; kind_list[i] != NULL; i++) {
		if (kind_list[i][0] != '\0')
			json_builder_add_string_value(builder, kind_list[i]);
	}
	json_builder_end_array(builder);
	add_names(builder, "providerTypes", self->names[FERRY_PLUGIN_KIND_PROVIDER]);
	add_names(builder, "transferMethods", self->names[FERRY_PLUGIN_KIND_TRANSFER_METHOD]);
	add_names(builder, "validators", self->names[FERRY_PLUGIN_KIND_VALIDATOR]);
	json_builder_set_member_name(builder, "description");
	json_builder_add_string_value(builder, self->description != NULL ? self->description : "");
	json_builder_set_member_name(builder, "file");
	if (self->path != NULL)
		json_builder_add_string_value(builder, self->path);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "abi");
	json_builder_add_int_value(builder, self->abi_version);
	json_builder_set_member_name(builder, "builtin");
	json_builder_add_boolean_value(builder, self->builtin);
	json_builder_set_member_name(builder, "loaded");
	json_builder_add_boolean_value(builder, self->loaded);
	json_builder_set_member_name(builder, "error");
	if (self->error != NULL)
		json_builder_add_string_value(builder, self->error);
	else
		json_builder_add_null_value(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A test-only transfer method that "converts" by recording what the engine
 * gave it: the VM description's luksKeyDir, the mode of that folder and the
 * files in it, appended as one JSON line to $FERRY_RECORDER_FILE. It claims
 * conversion requests only, and copies nothing.
 */

#include <ferry-plugin-sdk.h>
#include <glib/gstdio.h>

#define RECORDER_TYPE_METHOD (recorder_method_get_type())
G_DECLARE_FINAL_TYPE(RecorderMethod, recorder_method, RECORDER, METHOD, GObject)

struct _RecorderMethod {
	GObject parent_instance;
};

static void recorder_method_iface_init(FerryTransferMethodInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(RecorderMethod, recorder_method, G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_TRANSFER_METHOD,
							     recorder_method_iface_init))

static void
recorder_method_class_init(RecorderMethodClass *klass)
{
}

static void
recorder_method_class_finalize(RecorderMethodClass *klass)
{
}

static void
recorder_method_init(RecorderMethod *self)
{
}

static const char *
recorder_get_name(FerryTransferMethod *method)
{
	return "recorder";
}

static guint
recorder_supports(FerryTransferMethod *method, FerryTransferRequest *request)
{
	return (ferry_transfer_request_get_flags(request) & FERRY_TRANSFER_FLAG_CONVERT) ? 100 : 0;
}

static gboolean
recorder_record(JsonObject *vm_spec, GError **error)
{
	const char *file = g_getenv("FERRY_RECORDER_FILE");
	const char *key_dir = json_object_get_string_member_with_default(vm_spec, "luksKeyDir",
									 NULL);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *line = NULL;
	g_autoptr(GString) all = g_string_new(NULL);
	g_autofree char *previous = NULL;

	if (file == NULL)
		return TRUE;
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "vm");
	json_builder_add_string_value(builder, json_object_get_string_member(vm_spec, "name"));
	if (key_dir != NULL) {
		g_autoptr(GDir) dir = g_dir_open(key_dir, 0, NULL);
		GStatBuf info;
		const char *name;
		json_builder_set_member_name(builder, "luksKeyDir");
		json_builder_add_string_value(builder, key_dir);
		if (g_stat(key_dir, &info) == 0) {
			json_builder_set_member_name(builder, "dirMode");
			json_builder_add_int_value(builder, info.st_mode & 0777);
		}
		json_builder_set_member_name(builder, "keys");
		json_builder_begin_object(builder);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(key_dir, name, NULL);
			g_autofree char *contents = NULL;
			if (g_stat(path, &info) != 0 ||
			    !g_file_get_contents(path, &contents, NULL, NULL))
				continue;
			json_builder_set_member_name(builder, name);
			json_builder_begin_object(builder);
			json_builder_set_member_name(builder, "mode");
			json_builder_add_int_value(builder, info.st_mode & 0777);
			json_builder_set_member_name(builder, "value");
			json_builder_add_string_value(builder, contents);
			json_builder_end_object(builder);
		}
		json_builder_end_object(builder);
	}
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	line = json_to_string(root, FALSE);
	if (g_file_get_contents(file, &previous, NULL, NULL))
		g_string_append(all, previous);
	g_string_append_printf(all, "%s\n", line);
	return g_file_set_contents(file, all->str, (gssize)all->len, error);
}

static gboolean
recorder_copy(FerryTransferMethod *method,
	      FerryTransferRequest *request,
	      FerryProgress *progress,
	      GCancellable *cancellable,
	      GError **error)
{
	return recorder_record(ferry_transfer_request_get_vm_spec(request), error);
}

static JsonObject *
recorder_convert(FerryTransferMethod *method,
		 JsonObject *vm_spec,
		 GPtrArray *disks,
		 FerryProgress *progress,
		 GCancellable *cancellable,
		 GError **error)
{
	JsonObject *result;
	if (!recorder_record(vm_spec, error))
		return NULL;
	result = json_object_new();
	json_object_set_string_member(result, "operatingSystem", "recorded");
	return result;
}

static void
recorder_method_iface_init(FerryTransferMethodInterface *iface)
{
	iface->get_name = recorder_get_name;
	iface->supports = recorder_supports;
	iface->copy = recorder_copy;
	iface->convert = recorder_convert;
}

static gboolean
recorder_register(FerryPluginModule *module, GError **error)
{
	recorder_method_register_type(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_transfer_method(module, "recorder", RECORDER_TYPE_METHOD,
						       error);
}

FERRY_PLUGIN_DEFINE(recorder, "recorder", "Test converter that records what it is given",
		    recorder_register)

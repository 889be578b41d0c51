/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

#define FERRY_V2V_METHOD_NAME "virt-v2v"

/* the `virt-v2v` transfer method */
#define FERRY_TYPE_V2V_METHOD (ferry_v2v_method_get_type())
G_DECLARE_FINAL_TYPE(FerryV2vMethod, ferry_v2v_method, FERRY, V2V_METHOD, GObject)

void
ferry_v2v_method_register(GTypeModule *module);

/* the work of the method, callable without the type */
JsonArray *
ferry_v2v_parse_disk_list(const char *text, const char *what, GError **error);
gboolean
ferry_v2v_copy_and_convert(JsonObject *vm_spec,
			   JsonArray *sources,
			   JsonArray *targets,
			   const char *work_dir,
			   FerryProgress *progress,
			   guint timeout_seconds,
			   GCancellable *cancellable,
			   JsonObject **result,
			   GError **error);
JsonObject *
ferry_v2v_convert_in_place(JsonObject *vm_spec,
			   JsonArray *disks,
			   const char *work_dir,
			   FerryProgress *progress,
			   guint timeout_seconds,
			   GCancellable *cancellable,
			   GError **error);
char *
ferry_v2v_dup_work_dir(JsonObject *vm_spec);

G_END_DECLS

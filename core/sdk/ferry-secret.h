/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_SECRET (ferry_secret_get_type())
G_DECLARE_FINAL_TYPE(FerrySecret, ferry_secret, FERRY, SECRET, GObject)

FerrySecret *
ferry_secret_new(const char *name);
FerrySecret *
ferry_secret_new_from_directory(const char *name, const char *path, GError **error);
const char *
ferry_secret_get_name(FerrySecret *self);
void
ferry_secret_set(FerrySecret *self, const char *key, GBytes *value);
void
ferry_secret_set_string(FerrySecret *self, const char *key, const char *value);
GBytes *
ferry_secret_get(FerrySecret *self, const char *key);
char *
ferry_secret_dup_string(FerrySecret *self, const char *key);
gboolean
ferry_secret_has_key(FerrySecret *self, const char *key);
GStrv
ferry_secret_list_keys(FerrySecret *self);
gboolean
ferry_secret_get_boolean(FerrySecret *self, const char *key, gboolean default_value);
char *
ferry_secret_redact(FerrySecret *self, const char *text);
GTlsDatabase *
ferry_secret_new_tls_database(FerrySecret *self,
			      const char *key,
			      const char *ca_file,
			      const char *hint,
			      GError **error);

G_END_DECLS

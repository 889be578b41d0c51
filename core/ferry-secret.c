/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-secret.h"
#include "ferry-util-private.h"

/**
 * FerrySecret:
 *
 * Credentials for a provider or host: the keys of a Kubernetes Secret
 * (`user`, `password`, `token`, `cacert`, `thumbprint`, `insecureSkipVerify`,
 * …) with their values. There is deliberately no way to print a secret:
 * #GObject properties expose only its name, and ferry_secret_redact() removes
 * every value from a message before it is shown.
 *
 * Values are kept in memory wiped on release.
 *
 * Since: 0.1
 */
struct _FerrySecret {
	GObject parent_instance;
	char *name;
	GHashTable *values; /* key → GBytes */
};

G_DEFINE_TYPE(FerrySecret, ferry_secret, G_TYPE_OBJECT)

static void
ferry_secret_finalize(GObject *object)
{
	FerrySecret *self = FERRY_SECRET(object);
	g_hash_table_unref(self->values);
	g_free(self->name);
	G_OBJECT_CLASS(ferry_secret_parent_class)->finalize(object);
}

static void
ferry_secret_class_init(FerrySecretClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_secret_finalize;
}

static void
ferry_secret_init(FerrySecret *self)
{
	self->values =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
}

/* GBytes that zero their memory when freed */
static void
ferry_secret_wipe_free(gpointer data)
{
	GByteArray *array = data;
	memset(array->data, 0, array->len);
	g_byte_array_unref(array);
}

static GBytes *
ferry_secret_bytes_new(gconstpointer data, gsize size)
{
	GByteArray *array = g_byte_array_sized_new(size + 1);
	g_byte_array_append(array, data, size);
	return g_bytes_new_with_free_func(array->data, size, ferry_secret_wipe_free, array);
}

/**
 * ferry_secret_new:
 * @name: (nullable): the name of the Secret it came from, used in messages
 *
 * Returns: (transfer full): an empty secret
 *
 * Since: 0.1
 */
FerrySecret *
ferry_secret_new(const char *name)
{
	FerrySecret *self = g_object_new(FERRY_TYPE_SECRET, NULL);
	self->name = g_strdup(name);
	return self;
}

/* Kubernetes caps a whole Secret at 1 MiB */
#define SECRET_MAX_VALUE (1024 * 1024)

static gboolean
ferry_secret_key_is_valid(const char *key)
{
	if (key[0] == '\0' || strlen(key) > 253)
		return FALSE;
	for (const char *c = key; *c != '\0'; c++) {
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
			return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_secret_load_key(FerrySecret *self, const char *dir, const char *key, GError **error)
{
	g_autofree char *path = g_build_filename(dir, key, NULL);
	g_autofree char *data = NULL;
	gsize size = 0;

	/* directories (the `..data` link of a mounted Secret) are not keys */
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return TRUE;
	if (!g_file_get_contents(path, &data, &size, error)) {
		g_prefix_error(error, "Secret %s: ", self->name);
		ferry_error_convert(error);
		return FALSE;
	}
	if (size > SECRET_MAX_VALUE) {
		memset(data, 0, size);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Secret %s: key file %s is larger than 1 MiB, the most a Kubernetes "
			    "Secret holds; mount the Secret's directory, not another one",
			    self->name, path);
		return FALSE;
	}
	g_hash_table_replace(self->values, g_strdup(key), ferry_secret_bytes_new(data, size));
	memset(data, 0, size);
	return TRUE;
}

/**
 * ferry_secret_new_from_directory:
 * @name: (nullable): the name of the Secret, used in messages (default: @path)
 * @path: a directory holding one file per key, as Kubernetes mounts a Secret
 *
 * Reads a Secret mounted as files: each regular file (or link to one) is a
 * key, its contents the value, unchanged (a trailing newline stays). Names
 * starting with `..` (the links Kubernetes uses to swap the files
 * atomically) and names that cannot be Secret keys are skipped.
 *
 * Returns: (transfer full): the secret, or %NULL with @error set when the
 *   directory cannot be read
 *
 * Since: 0.1
 */
FerrySecret *
ferry_secret_new_from_directory(const char *name, const char *path, GError **error)
{
	g_autoptr(FerrySecret) self = NULL;
	g_autoptr(GDir) dir = NULL;
	const char *entry;

	g_return_val_if_fail(path != NULL, NULL);
	self = ferry_secret_new(name != NULL ? name : path);
	dir = g_dir_open(path, 0, error);
	if (dir == NULL) {
		g_prefix_error(error, "Secret %s: cannot read its directory: ", self->name);
		ferry_error_convert(error);
		return NULL;
	}
	while ((entry = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_prefix(entry, "..") || !ferry_secret_key_is_valid(entry))
			continue;
		if (!ferry_secret_load_key(self, path, entry, error))
			return NULL;
	}
	return g_steal_pointer(&self);
}

/**
 * ferry_secret_get_name:
 * @self: a #FerrySecret
 *
 * Returns: (transfer none) (nullable): the name
 *
 * Since: 0.1
 */
const char *
ferry_secret_get_name(FerrySecret *self)
{
	g_return_val_if_fail(FERRY_IS_SECRET(self), NULL);
	return self->name;
}

/**
 * ferry_secret_set:
 * @self: a #FerrySecret
 * @key: the key
 * @value: (nullable): the value; %NULL removes the key
 *
 * Since: 0.1
 */
void
ferry_secret_set(FerrySecret *self, const char *key, GBytes *value)
{
	gconstpointer data;
	gsize size = 0;

	g_return_if_fail(FERRY_IS_SECRET(self));
	g_return_if_fail(key != NULL);
	if (value == NULL) {
		g_hash_table_remove(self->values, key);
		return;
	}
	data = g_bytes_get_data(value, &size);
	g_hash_table_replace(self->values, g_strdup(key), ferry_secret_bytes_new(data, size));
}

/**
 * ferry_secret_set_string:
 * @self: a #FerrySecret
 * @key: the key
 * @value: (nullable): the value; %NULL removes the key
 *
 * Since: 0.1
 */
void
ferry_secret_set_string(FerrySecret *self, const char *key, const char *value)
{
	g_return_if_fail(FERRY_IS_SECRET(self));
	g_return_if_fail(key != NULL);
	if (value == NULL) {
		g_hash_table_remove(self->values, key);
		return;
	}
	g_hash_table_replace(self->values, g_strdup(key),
			     ferry_secret_bytes_new(value, strlen(value)));
}

/**
 * ferry_secret_get:
 * @self: a #FerrySecret
 * @key: the key
 *
 * Returns: (transfer full) (nullable): the value, or %NULL
 *
 * Since: 0.1
 */
GBytes *
ferry_secret_get(FerrySecret *self, const char *key)
{
	GBytes *value;
	g_return_val_if_fail(FERRY_IS_SECRET(self), NULL);
	g_return_val_if_fail(key != NULL, NULL);
	value = g_hash_table_lookup(self->values, key);
	return value != NULL ? g_bytes_ref(value) : NULL;
}

/**
 * ferry_secret_dup_string:
 * @self: a #FerrySecret
 * @key: the key
 *
 * Returns: (transfer full) (nullable): the value as a string, or %NULL when
 *   absent or not valid UTF-8
 *
 * Since: 0.1
 */
char *
ferry_secret_dup_string(FerrySecret *self, const char *key)
{
	GBytes *value;
	gsize size = 0;
	const char *data;

	g_return_val_if_fail(FERRY_IS_SECRET(self), NULL);
	g_return_val_if_fail(key != NULL, NULL);
	value = g_hash_table_lookup(self->values, key);
	if (value == NULL)
		return NULL;
	data = g_bytes_get_data(value, &size);
	if (!g_utf8_validate_len(data, size, NULL))
		return NULL;
	return g_strndup(data, size);
}

/**
 * ferry_secret_has_key:
 * @self: a #FerrySecret
 * @key: the key
 *
 * Returns: whether @key is set
 *
 * Since: 0.1
 */
gboolean
ferry_secret_has_key(FerrySecret *self, const char *key)
{
	g_return_val_if_fail(FERRY_IS_SECRET(self), FALSE);
	g_return_val_if_fail(key != NULL, FALSE);
	return g_hash_table_contains(self->values, key);
}

/**
 * ferry_secret_list_keys:
 * @self: a #FerrySecret
 *
 * Returns: (transfer full): the keys, sorted
 *
 * Since: 0.1
 */
GStrv
ferry_secret_list_keys(FerrySecret *self)
{
	g_return_val_if_fail(FERRY_IS_SECRET(self), NULL);
	return ferry_hash_table_dup_sorted_keys(self->values);
}

/**
 * ferry_secret_get_boolean:
 * @self: a #FerrySecret
 * @key: the key, e.g. `insecureSkipVerify`
 * @default_value: returned when the key is absent
 *
 * Returns: %TRUE for `true`, `yes`, `1` (any case), %FALSE otherwise
 *
 * Since: 0.1
 */
gboolean
ferry_secret_get_boolean(FerrySecret *self, const char *key, gboolean default_value)
{
	g_autofree char *value = NULL;
	g_return_val_if_fail(FERRY_IS_SECRET(self), default_value);
	if (!ferry_secret_has_key(self, key))
		return default_value;
	value = ferry_secret_dup_string(self, key);
	if (value == NULL)
		return FALSE;
	g_strstrip(value);
	return g_ascii_strcasecmp(value, "true") == 0 || g_ascii_strcasecmp(value, "yes") == 0 ||
	       g_strcmp0(value, "1") == 0;
}

/**
 * ferry_secret_redact:
 * @self: a #FerrySecret
 * @text: (nullable): a message that may quote a value of @self
 *
 * Replaces every occurrence of any value of @self of 3 bytes or more
 * (other than the `user` and boolean keys) with `[redacted]`. Use it on any
 * text that comes from a peer or a child process before it reaches a log,
 * an error or a status.
 *
 * Returns: (transfer full) (nullable): the redacted text
 *
 * Since: 0.1
 */
char *
ferry_secret_redact(FerrySecret *self, const char *text)
{
	GHashTableIter iter;
	gpointer key, value;
	GString *result;

	g_return_val_if_fail(FERRY_IS_SECRET(self), NULL);
	if (text == NULL)
		return NULL;
	result = g_string_new(text);
	g_hash_table_iter_init(&iter, self->values);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		gsize size = 0;
		const char *data = g_bytes_get_data(value, &size);
		g_autofree char *needle = NULL;

		if (g_strcmp0(key, "user") == 0 || g_strcmp0(key, "insecureSkipVerify") == 0 ||
		    size < 3)
			continue;
		needle = g_strndup(data, size);
		if (strlen(needle) < 3)
			continue;
		g_string_replace(result, needle, "[redacted]", 0);
	}
	return g_string_free(result, FALSE);
}

/**
 * ferry_secret_new_tls_database:
 * @self: a #FerrySecret
 * @key: the key holding a CA bundle in PEM form, such as `cacert`
 * @ca_file: where to write the bundle (mode 0600), in a private folder of the
 *   caller's; the caller removes it when done (nbdkit or curl may read it)
 * @hint: (nullable): what the user should put in @key, for the error
 * @error: return location for a #GError
 *
 * Writes the value of @key to @ca_file and makes a TLS database that trusts
 * the certificates it holds, for soup_session_set_tls_database(). The error
 * names the key and the Secret (callers prefix their own object).
 *
 * Returns: (transfer full): the database, or %NULL with @error set
 *
 * Since: 0.1
 */
GTlsDatabase *
ferry_secret_new_tls_database(FerrySecret *self,
			      const char *key,
			      const char *ca_file,
			      const char *hint,
			      GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GBytes) pem = NULL;
	GTlsDatabase *database;
	GList *certificates;

	g_return_val_if_fail(FERRY_IS_SECRET(self), NULL);
	g_return_val_if_fail(key != NULL && ca_file != NULL, NULL);
	pem = ferry_secret_get(self, key);
	if (pem == NULL || g_bytes_get_size(pem) == 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "key %s of Secret %s is empty; %s", key, self->name,
			    hint != NULL ? hint : "put the CA certificate there in PEM form");
		return NULL;
	}
	if (!g_file_set_contents_full(ca_file, g_bytes_get_data(pem, NULL), g_bytes_get_size(pem),
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot write %s: %s", ca_file,
			    local_error->message);
		return NULL;
	}
	certificates = g_tls_certificate_list_new_from_file(ca_file, &local_error);
	if (certificates == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "key %s of Secret %s holds no PEM certificate (%s); %s", key,
			    self->name, local_error != NULL ? local_error->message : "empty",
			    hint != NULL ? hint : "put the CA certificate there in PEM form");
		return NULL;
	}
	g_list_free_full(certificates, g_object_unref);
	database = g_tls_file_database_new(ca_file, &local_error);
	if (database == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "cannot use key %s of Secret %s as a CA bundle: %s", key, self->name,
			    local_error->message);
		return NULL;
	}
	return database;
}

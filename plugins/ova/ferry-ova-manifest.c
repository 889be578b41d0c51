/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * OVA manifests (`.mf`): one `ALGORITHM(file)= hex` line per file, as
 * ovftool and VirtualBox write them, also in the spaced form
 * `SHA1 (file) = hex` that older ovftool versions use.
 *
 * Digests of disks are computed with OpenSSL's libcrypto, which uses the
 * processor's SHA instructions: several times faster than GChecksum, which
 * matters for disks of hundreds of GiB.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry-ova-manifest.h"

#define DIGEST_CHUNK (4 * 1024 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_MD_CTX, EVP_MD_CTX_free)

static const EVP_MD *
ova_digest_md(GChecksumType type)
{
	switch (type) {
	case G_CHECKSUM_SHA1:
		return EVP_sha1();
	case G_CHECKSUM_SHA512:
		return EVP_sha512();
	case G_CHECKSUM_SHA256:
	default:
		return EVP_sha256();
	}
}

static void
ferry_ova_digest_free(FerryOvaDigest *digest)
{
	g_free(digest->algorithm);
	g_free(digest->hex);
	g_free(digest);
}

static gboolean
ova_manifest_algorithm(const char *name, GChecksumType *type)
{
	if (g_ascii_strcasecmp(name, "SHA1") == 0)
		*type = G_CHECKSUM_SHA1;
	else if (g_ascii_strcasecmp(name, "SHA256") == 0)
		*type = G_CHECKSUM_SHA256;
	else if (g_ascii_strcasecmp(name, "SHA512") == 0)
		*type = G_CHECKSUM_SHA512;
	else
		return FALSE;
	return TRUE;
}

/**
 * ferry_ova_manifest_parse:
 * @data: the manifest text
 * @length: its size
 * @origin: what to call it in errors
 * @error: return location for a #GError
 *
 * Returns: (transfer full): file name → #FerryOvaDigest, or %NULL when a
 *   line is malformed or names an unknown algorithm
 */
GHashTable *
ferry_ova_manifest_parse(const char *data, gsize length, const char *origin, GError **error)
{
	g_autoptr(GHashTable) digests = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)ferry_ova_digest_free);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (length > FERRY_OVA_MANIFEST_MAX_SIZE) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the manifest is %" G_GSIZE_FORMAT " bytes, over the limit of 1 MiB",
			    origin, length);
		return NULL;
	}
	if (memchr(data, '\0', length) != NULL || !g_utf8_validate(data, (gssize)length, NULL)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the manifest is not text", origin);
		return NULL;
	}
	text = g_strndup(data, length);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);
		char *open = strchr(line, '(');
		char *equals = strrchr(line, '=');
		char *close;
		g_autofree char *algorithm = NULL;
		g_autofree char *name = NULL;
		g_autofree char *hex = NULL;
		GChecksumType type;
		FerryOvaDigest *digest;

		if (*line == '\0')
			continue;
		close = equals != NULL ? equals : NULL;
		while (close != NULL && close > line && g_ascii_isspace(close[-1]))
			close--;
		if (open == NULL || equals == NULL || close == NULL || close <= open + 1 ||
		    close[-1] != ')') {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s:%u: not a manifest line; expected ALGORITHM(file)= digest",
				    origin, i + 1);
			return NULL;
		}
		algorithm = g_strstrip(g_strndup(line, (gsize)(open - line)));
		name = g_strndup(open + 1, (gsize)(close - 1 - (open + 1)));
		hex = g_ascii_strdown(equals + 1, -1);
		g_strstrip(hex);
		if (!ova_manifest_algorithm(algorithm, &type)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s:%u: digest algorithm %s is not supported; use SHA1, SHA256 "
				    "or SHA512",
				    origin, i + 1, algorithm);
			return NULL;
		}
		if (strlen(hex) != (gsize)g_checksum_type_get_length(type) * 2 ||
		    strspn(hex, "0123456789abcdef") != strlen(hex)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s:%u: the %s digest of %s is not %d hex digits", origin,
				    i + 1, algorithm, name, (int)g_checksum_type_get_length(type) * 2);
			return NULL;
		}
		if (g_hash_table_contains(digests, name)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s:%u: %s is listed twice", origin, i + 1, name);
			return NULL;
		}
		digest = g_new0(FerryOvaDigest, 1);
		digest->type = type;
		digest->algorithm = g_ascii_strup(algorithm, -1);
		digest->hex = g_steal_pointer(&hex);
		g_hash_table_insert(digests, g_steal_pointer(&name), digest);
	}
	return g_steal_pointer(&digests);
}

/**
 * ferry_ova_digest_check:
 * @digest: the expected digest
 * @path: the file holding the data
 * @offset: where the data starts in @path
 * @size: how many bytes to hash
 * @what: the data's name in errors (`web.ova:web-disk1.vmdk`)
 * @manifest: the manifest's name in errors
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: %FALSE with %FERRY_ERROR_VERIFY_FAILED when the digest differs
 */
gboolean
ferry_ova_digest_check(const FerryOvaDigest *digest,
		       const char *path,
		       guint64 offset,
		       guint64 size,
		       const char *what,
		       const char *manifest,
		       GCancellable *cancellable,
		       GError **error)
{
	g_autoptr(EVP_MD_CTX) context = EVP_MD_CTX_new();
	g_autofree char *buffer = g_malloc(DIGEST_CHUNK);
	unsigned char value[EVP_MAX_MD_SIZE];
	unsigned int value_length = 0;
	g_autoptr(GString) hex = g_string_new(NULL);
	guint64 done = 0;
	int fd;

	if (context == NULL || EVP_DigestInit_ex(context, ova_digest_md(digest->type), NULL) != 1) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
			    "cannot compute %s digests here", digest->algorithm);
		return FALSE;
	}
	fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", path,
			    g_strerror(saved_errno));
		return FALSE;
	}
	posix_fadvise(fd, (off_t)offset, (off_t)size, POSIX_FADV_SEQUENTIAL);
	while (done < size) {
		ssize_t n = pread(fd, buffer, (size_t)MIN(size - done, DIGEST_CHUNK),
				  (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "reading %s: %s", what,
				    n == 0 ? "the file ended early" : g_strerror(saved_errno));
			close(fd);
			return FALSE;
		}
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			close(fd);
			return FALSE;
		}
		EVP_DigestUpdate(context, buffer, (size_t)n);
		done += (guint64)n;
	}
	close(fd);
	EVP_DigestFinal_ex(context, value, &value_length);
	for (unsigned int i = 0; i < value_length; i++)
		g_string_append_printf(hex, "%02x", value[i]);
	if (g_strcmp0(hex->str, digest->hex) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED,
			    "%s has %s %s but %s says %s: the file is corrupt or was changed "
			    "after export; export the VM again",
			    what, digest->algorithm, hex->str, manifest, digest->hex);
		return FALSE;
	}
	return TRUE;
}

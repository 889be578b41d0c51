/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "ferry-vsphere-client.h"

#define SESSION_COOKIE "vmware_soap_session"

typedef enum {
	TLS_MODE_PLAIN,	   /* http:// */
	TLS_MODE_SYSTEM,   /* the system's CAs */
	TLS_MODE_CA,	   /* the Secret's ca.crt */
	TLS_MODE_PINNED,   /* the Secret's thumbprint only */
	TLS_MODE_INSECURE, /* insecureSkipVerify */
} TlsMode;

struct _FerryVsphereClient {
	GObject parent_instance;

	GUri *uri;
	char *base_url; /* scheme://host:port */
	char *display_name;
	FerrySecret *secret;
	SoupSession *session;

	TlsMode tls_mode;
	char *pinned;	   /* normalised thumbprint, or NULL */
	char *private_dir; /* 0700, holds ca.pem */
	char *ca_file;

	/* set once by login */
	char *api_type;
	char *api_version;
	char *full_name;
	char *root_folder;
	char *property_collector;
	char *view_manager;
	char *session_manager;
	gboolean logged_in;

	GMutex lock; /* protects what follows */
	char *cookie;
	guint generation;
	char *fingerprint;
	char *peer_pem;
	GPtrArray *cookie_files;

	GMutex login_lock;
	guint requests; /* atomic */
};

G_DEFINE_DYNAMIC_TYPE(FerryVsphereClient, ferry_vsphere_client, G_TYPE_OBJECT)

void
ferry_vsphere_client_register(GTypeModule *module)
{
	ferry_vsphere_client_register_type(module);
}

static void
ferry_vsphere_client_finalize(GObject *object)
{
	FerryVsphereClient *self = FERRY_VSPHERE_CLIENT(object);

	if (self->ca_file != NULL)
		g_unlink(self->ca_file);
	if (self->private_dir != NULL)
		g_rmdir(self->private_dir);
	g_clear_object(&self->session);
	g_clear_pointer(&self->uri, g_uri_unref);
	g_clear_object(&self->secret);
	g_free(self->base_url);
	g_free(self->display_name);
	g_free(self->pinned);
	g_free(self->private_dir);
	g_free(self->ca_file);
	g_free(self->api_type);
	g_free(self->api_version);
	g_free(self->full_name);
	g_free(self->root_folder);
	g_free(self->property_collector);
	g_free(self->view_manager);
	g_free(self->session_manager);
	if (self->cookie != NULL)
		memset(self->cookie, 0, strlen(self->cookie));
	g_free(self->cookie);
	g_free(self->fingerprint);
	g_free(self->peer_pem);
	g_ptr_array_unref(self->cookie_files);
	g_mutex_clear(&self->lock);
	g_mutex_clear(&self->login_lock);
	G_OBJECT_CLASS(ferry_vsphere_client_parent_class)->finalize(object);
}

static void
ferry_vsphere_client_class_init(FerryVsphereClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_vsphere_client_finalize;
}

static void
ferry_vsphere_client_class_finalize(FerryVsphereClientClass *klass)
{
}

static void
ferry_vsphere_client_init(FerryVsphereClient *self)
{
	g_mutex_init(&self->lock);
	g_mutex_init(&self->login_lock);
	self->cookie_files = g_ptr_array_new_with_free_func(g_free);
}

/* errors quote peer text: never let a credential through */
static void
ferry_vsphere_client_redact_error(FerryVsphereClient *self, GError *error)
{
	char *redacted;

	if (error == NULL || self->secret == NULL)
		return;
	redacted = ferry_secret_redact(self->secret, error->message);
	g_free(error->message);
	error->message = redacted;
}

static gboolean
ferry_vsphere_client_setup_ca(FerryVsphereClient *self, const char *key, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GTlsDatabase) database = NULL;

	self->private_dir = g_dir_make_tmp("ferry-vsphere-XXXXXX", &local_error);
	if (self->private_dir == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "vsphere: %s: cannot create a private directory for the CA: %s",
			    self->display_name, local_error->message);
		return FALSE;
	}
	self->ca_file = g_build_filename(self->private_dir, "ca.pem", NULL);
	database = ferry_secret_new_tls_database(
	    self->secret, key, self->ca_file, "put the vCenter CA certificate there in PEM form",
	    error);
	if (database == NULL) {
		g_prefix_error(error, "vsphere: %s: ", self->display_name);
		return FALSE;
	}
	soup_session_set_tls_database(self->session, database);
	return TRUE;
}

static gboolean
ferry_vsphere_client_setup_tls(FerryVsphereClient *self, GError **error)
{
	g_autofree char *thumbprint = NULL;
	g_autoptr(GBytes) ca = NULL;
	const char *ca_key = "ca.crt";

	if (g_strcmp0(g_uri_get_scheme(self->uri), "http") == 0) {
		self->tls_mode = TLS_MODE_PLAIN;
		return TRUE;
	}
	if (ferry_secret_get_boolean(self->secret, "insecureSkipVerify", FALSE)) {
		self->tls_mode = TLS_MODE_INSECURE;
		return TRUE;
	}
	thumbprint = ferry_secret_dup_string(self->secret, "thumbprint");
	if (thumbprint != NULL && *g_strstrip(thumbprint) != '\0') {
		self->pinned = ferry_vsphere_normalize_thumbprint(thumbprint);
		if (self->pinned == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "vsphere: %s: key thumbprint of Secret %s is not a SHA-1 "
				    "fingerprint; write it as 20 hex bytes, e.g. AA:BB:…",
				    self->display_name, ferry_secret_get_name(self->secret));
			return FALSE;
		}
	}
	ca = ferry_secret_get(self->secret, "ca.crt");
	if (ca == NULL) {
		ca_key = "cacert";
		ca = ferry_secret_get(self->secret, "cacert");
	}
	if (ca != NULL && g_bytes_get_size(ca) > 0) {
		self->tls_mode = TLS_MODE_CA;
		return ferry_vsphere_client_setup_ca(self, ca_key, error);
	}
	if (self->pinned != NULL) {
		/* no database: every certificate reaches accept-certificate,
		 * where only the pinned one passes */
		self->tls_mode = TLS_MODE_PINNED;
		soup_session_set_tls_database(self->session, NULL);
		return TRUE;
	}
	self->tls_mode = TLS_MODE_SYSTEM;
	return TRUE;
}

/**
 * ferry_vsphere_client_new:
 * @url: the SDK URL, `https://vcenter.example.com/sdk`
 * @secret: the credentials and TLS settings (`user`, `password`, `ca.crt`
 *   or `cacert`, `thumbprint`, `insecureSkipVerify`)
 * @display_name: how errors name the endpoint, e.g. `Provider ns/name`
 * @error: return location for a #GError
 *
 * Checks the URL and the Secret; does not touch the network.
 *
 * Returns: (transfer full): a client, or %NULL with @error set
 */
FerryVsphereClient *
ferry_vsphere_client_new(const char *url,
			 FerrySecret *secret,
			 const char *display_name,
			 GError **error)
{
	g_autoptr(FerryVsphereClient) self = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GUri) parsed = NULL;
	const char *path;
	const char *scheme;

	self = g_object_new(FERRY_VSPHERE_TYPE_CLIENT, NULL);
	self->display_name = g_strdup(display_name);
	if (url == NULL || *url == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "vsphere: %s: spec.url is empty; set it to the SDK URL, e.g. "
			    "https://vcenter.example.com/sdk",
			    display_name);
		return NULL;
	}
	parsed = g_uri_parse(url, G_URI_FLAGS_NONE, &local_error);
	scheme = parsed != NULL ? g_uri_get_scheme(parsed) : NULL;
	if (parsed == NULL || g_uri_get_host(parsed) == NULL || *g_uri_get_host(parsed) == '\0' ||
	    (g_strcmp0(scheme, "https") != 0 && g_strcmp0(scheme, "http") != 0)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "vsphere: %s: spec.url '%s' is not an https URL; write it as "
			    "https://vcenter.example.com/sdk",
			    display_name, url);
		return NULL;
	}
	if (g_uri_get_userinfo(parsed) != NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "vsphere: %s: spec.url carries credentials; remove them and put the "
			    "user and password in the Secret",
			    display_name);
		return NULL;
	}
	path = g_uri_get_path(parsed);
	if (*path == '\0' || g_strcmp0(path, "/") == 0) {
		self->uri = g_uri_build(G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host(parsed),
					g_uri_get_port(parsed), "/sdk", NULL, NULL);
	} else {
		self->uri = g_uri_build(G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host(parsed),
					g_uri_get_port(parsed), path, NULL, NULL);
	}
	self->base_url = g_uri_join(G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host(parsed),
				    g_uri_get_port(parsed), "", NULL, NULL);

	if (secret == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "vsphere: %s has no Secret; set spec.secret to a Secret with user "
			    "and password",
			    display_name);
		return NULL;
	}
	for (guint i = 0; i < 2; i++) {
		const char *key = i == 0 ? "user" : "password";
		if (!ferry_secret_has_key(secret, key)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
				    "vsphere: %s: Secret %s has no key '%s'; add user and "
				    "password",
				    display_name, ferry_secret_get_name(secret), key);
			return NULL;
		}
	}
	self->secret = g_object_ref(secret);
	self->session = soup_session_new_with_options("timeout", 300, "idle-timeout", 60,
						      "max-conns-per-host", 8, "user-agent",
						      "ferry-vsphere/" PACKAGE_VERSION, NULL);
	if (!ferry_vsphere_client_setup_tls(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

const char *
ferry_vsphere_client_get_display_name(FerryVsphereClient *self)
{
	return self->display_name;
}

const char *
ferry_vsphere_client_get_base_url(FerryVsphereClient *self)
{
	return self->base_url;
}

const char *
ferry_vsphere_client_get_host(FerryVsphereClient *self)
{
	return g_uri_get_host(self->uri);
}

char *
ferry_vsphere_client_dup_fingerprint(FerryVsphereClient *self)
{
	char *fingerprint;
	g_mutex_lock(&self->lock);
	fingerprint = g_strdup(self->fingerprint);
	g_mutex_unlock(&self->lock);
	return fingerprint;
}

const char *
ferry_vsphere_client_get_api_type(FerryVsphereClient *self)
{
	return self->api_type;
}

const char *
ferry_vsphere_client_get_api_version(FerryVsphereClient *self)
{
	return self->api_version;
}

const char *
ferry_vsphere_client_get_full_name(FerryVsphereClient *self)
{
	return self->full_name;
}

const char *
ferry_vsphere_client_get_root_folder(FerryVsphereClient *self)
{
	return self->root_folder;
}

const char *
ferry_vsphere_client_get_property_collector(FerryVsphereClient *self)
{
	return self->property_collector;
}

const char *
ferry_vsphere_client_get_view_manager(FerryVsphereClient *self)
{
	return self->view_manager;
}

guint
ferry_vsphere_client_get_request_count(FerryVsphereClient *self)
{
	return (guint)g_atomic_int_get(&self->requests);
}

/* goes up with every login: objects of the session (views, filters) made
 * under an older one are gone */
guint
ferry_vsphere_client_get_generation(FerryVsphereClient *self)
{
	guint generation;
	g_mutex_lock(&self->lock);
	generation = self->generation;
	g_mutex_unlock(&self->lock);
	return generation;
}

FerrySecret *
ferry_vsphere_client_get_secret(FerryVsphereClient *self)
{
	return self->secret;
}

/* compares dotted versions: 6.7 ≥ 6.5, 8.0.2.0 ≥ 7.0 */
gboolean
ferry_vsphere_client_api_at_least(FerryVsphereClient *self, const char *version)
{
	g_auto(GStrv) have = g_strsplit(self->api_version != NULL ? self->api_version : "0", ".", -1);
	g_auto(GStrv) want = g_strsplit(version, ".", -1);

	for (guint i = 0; have[i] != NULL || want[i] != NULL; i++) {
		guint64 a = have[i] != NULL ? g_ascii_strtoull(have[i], NULL, 10) : 0;
		guint64 b = want[i] != NULL ? g_ascii_strtoull(want[i], NULL, 10) : 0;
		if (a != b)
			return a > b;
		if (have[i] == NULL || want[i] == NULL)
			break;
	}
	return TRUE;
}

gboolean
ferry_vsphere_client_get_insecure(FerryVsphereClient *self)
{
	return self->tls_mode == TLS_MODE_INSECURE;
}

/**
 * ferry_vsphere_client_write_trust_file:
 * @self: a client
 * @path: where to write
 * @error: return location for a #GError
 *
 * Writes the certificates a child process must trust to reach the same
 * server: the Secret's CA, or the pinned server certificate itself.
 *
 * Returns: (transfer full) (nullable): @path, or %NULL without an error when
 *   the system's CAs apply or verification is off
 */
char *
ferry_vsphere_client_write_trust_file(FerryVsphereClient *self, const char *path, GError **error)
{
	g_autofree char *pem = NULL;
	g_autoptr(GError) local_error = NULL;

	if (self->tls_mode == TLS_MODE_CA) {
		if (!g_file_get_contents(self->ca_file, &pem, NULL, &local_error)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "vsphere: %s: %s",
				    self->display_name, local_error->message);
			return NULL;
		}
	} else if (self->tls_mode == TLS_MODE_PINNED) {
		g_mutex_lock(&self->lock);
		pem = g_strdup(self->peer_pem);
		g_mutex_unlock(&self->lock);
		if (pem == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
				    "vsphere: %s: the pinned server certificate was not seen yet; "
				    "connect first",
				    self->display_name);
			return NULL;
		}
	} else {
		return NULL;
	}
	if (!g_file_set_contents_full(path, pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "vsphere: %s: cannot write %s: %s",
			    self->display_name, path, local_error->message);
		return NULL;
	}
	return g_strdup(path);
}

static gboolean
ferry_vsphere_client_write_cookie_file(const char *path, const char *cookie, GError **error)
{
	return g_file_set_contents_full(path, cookie != NULL ? cookie : "", -1,
					G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/**
 * ferry_vsphere_client_add_cookie_file:
 * @self: a client
 * @path: a file (created with mode 0600)
 * @error: return location for a #GError
 *
 * Keeps the session cookie in @path, rewritten whenever the client logs in
 * again, so child processes (nbdkit's cookie-script) never see it on a
 * command line and survive a re-login.
 *
 * Returns: %TRUE when the file was written
 */
gboolean
ferry_vsphere_client_add_cookie_file(FerryVsphereClient *self, const char *path, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	gboolean ok;

	g_mutex_lock(&self->lock);
	ok = ferry_vsphere_client_write_cookie_file(path, self->cookie, &local_error);
	if (ok)
		g_ptr_array_add(self->cookie_files, g_strdup(path));
	g_mutex_unlock(&self->lock);
	if (!ok)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "vsphere: %s: %s",
			    self->display_name, local_error->message);
	return ok;
}

void
ferry_vsphere_client_remove_cookie_file(FerryVsphereClient *self, const char *path)
{
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < self->cookie_files->len; i++) {
		if (g_strcmp0(g_ptr_array_index(self->cookie_files, i), path) == 0) {
			g_ptr_array_remove_index(self->cookie_files, i);
			break;
		}
	}
	g_mutex_unlock(&self->lock);
}

/* called with the lock held */
static void
ferry_vsphere_client_set_cookie_locked(FerryVsphereClient *self, const char *cookie)
{
	if (g_strcmp0(self->cookie, cookie) == 0)
		return;
	if (self->cookie != NULL)
		memset(self->cookie, 0, strlen(self->cookie));
	g_free(self->cookie);
	self->cookie = g_strdup(cookie);
	for (guint i = 0; i < self->cookie_files->len;) {
		g_autoptr(GError) error = NULL;
		const char *path = g_ptr_array_index(self->cookie_files, i);
		/* a closed disk removed its file: forget it */
		if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
			g_ptr_array_remove_index(self->cookie_files, i);
			continue;
		}
		if (!ferry_vsphere_client_write_cookie_file(path, cookie, &error))
			g_warning("vsphere: %s: cannot renew the session cookie in %s: %s",
				  self->display_name, path, error->message);
		i++;
	}
}

static void
ferry_vsphere_client_take_cookie(FerryVsphereClient *self, SoupMessage *msg)
{
	GSList *cookies = soup_cookies_from_response(msg);

	for (GSList *l = cookies; l != NULL; l = l->next) {
		SoupCookie *cookie = l->data;
		if (g_strcmp0(soup_cookie_get_name(cookie), SESSION_COOKIE) == 0) {
			g_autofree char *header =
			    g_strdup_printf("%s=%s", SESSION_COOKIE, soup_cookie_get_value(cookie));
			g_mutex_lock(&self->lock);
			ferry_vsphere_client_set_cookie_locked(self, header);
			g_mutex_unlock(&self->lock);
			memset(header, 0, strlen(header));
		}
	}
	g_slist_free_full(cookies, (GDestroyNotify)soup_cookie_free);
}

static void
ferry_vsphere_client_note_certificate(FerryVsphereClient *self, GTlsCertificate *certificate)
{
	g_autoptr(GByteArray) der = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *pem = NULL;

	if (certificate == NULL)
		return;
	g_object_get(certificate, "certificate", &der, "certificate-pem", &pem, NULL);
	if (der == NULL)
		return;
	bytes = g_bytes_new(der->data, der->len);
	g_mutex_lock(&self->lock);
	g_free(self->fingerprint);
	self->fingerprint = ferry_vsphere_format_thumbprint(bytes);
	g_free(self->peer_pem);
	self->peer_pem = g_steal_pointer(&pem);
	g_mutex_unlock(&self->lock);
}

static gboolean
ferry_vsphere_client_accept_certificate_cb(SoupMessage *msg,
					   GTlsCertificate *certificate,
					   GTlsCertificateFlags errors,
					   gpointer user_data)
{
	FerryVsphereClient *self = FERRY_VSPHERE_CLIENT(user_data);
	g_autofree char *fingerprint = NULL;

	ferry_vsphere_client_note_certificate(self, certificate);
	g_object_set_data(G_OBJECT(msg), "ferry-tls-errors", GUINT_TO_POINTER(errors | 0x10000));
	switch (self->tls_mode) {
	case TLS_MODE_INSECURE:
		return TRUE;
	case TLS_MODE_PINNED:
		fingerprint = ferry_vsphere_client_dup_fingerprint(self);
		return g_strcmp0(fingerprint, self->pinned) == 0;
	default:
		return FALSE;
	}
}

static char *
ferry_vsphere_tls_flags_to_string(GTlsCertificateFlags flags)
{
	static const struct {
		GTlsCertificateFlags flag;
		const char *text;
	} names[] = {
	    {G_TLS_CERTIFICATE_UNKNOWN_CA, "signed by an unknown CA"},
	    {G_TLS_CERTIFICATE_BAD_IDENTITY, "issued for another host name"},
	    {G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet"},
	    {G_TLS_CERTIFICATE_EXPIRED, "expired"},
	    {G_TLS_CERTIFICATE_REVOKED, "revoked"},
	    {G_TLS_CERTIFICATE_INSECURE, "insecure"},
	};
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if ((flags & names[i].flag) == 0)
			continue;
		if (text->len > 0)
			g_string_append(text, ", ");
		g_string_append(text, names[i].text);
	}
	if (text->len == 0)
		g_string_append(text, "not trusted");
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
ferry_vsphere_client_set_tls_error(FerryVsphereClient *self,
				   SoupMessage *msg,
				   const char *context,
				   const char *detail,
				   gboolean pin_mismatch,
				   GError **error)
{
	g_autofree char *fingerprint = ferry_vsphere_client_dup_fingerprint(self);
	guint flags = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), "ferry-tls-errors"));
	g_autofree char *reasons = ferry_vsphere_tls_flags_to_string(flags & 0xffff);
	const char *fix;

	switch (pin_mismatch ? TLS_MODE_PINNED : self->tls_mode) {
	case TLS_MODE_PINNED:
		fix = "the Secret's thumbprint does not match it; update the thumbprint if the "
		      "certificate was replaced on purpose";
		break;
	case TLS_MODE_CA:
		fix = "it does not chain to the Secret's ca.crt; put the right CA there, or pin "
		      "the server with thumbprint";
		break;
	default:
		fix = "add the vCenter CA to the Secret as ca.crt, pin the server with "
		      "thumbprint, or set insecureSkipVerify=true to skip verification";
		break;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
		    "%s: the TLS certificate of %s (SHA-1 fingerprint %s) is %s%s%s; %s", context,
		    g_uri_get_host(self->uri), fingerprint != NULL ? fingerprint : "unknown",
		    reasons, detail != NULL ? ": " : "", detail != NULL ? detail : "", fix);
}

static void
ferry_vsphere_client_set_transport_error(FerryVsphereClient *self,
					 SoupMessage *msg,
					 const char *context,
					 GError *transport,
					 GError **error)
{
	if (g_error_matches(transport, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED, "%s: cancelled", context);
		return;
	}
	if (ferry_error_is_untrusted_certificate(transport) ||
	    g_object_get_data(G_OBJECT(msg), "ferry-tls-errors") != NULL) {
		ferry_vsphere_client_set_tls_error(self, msg, context,
						   transport->domain == G_TLS_ERROR
						       ? NULL
						       : transport->message,
						   FALSE, error);
		return;
	}
	if (g_error_matches(transport, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
			    "%s: %s did not answer in time (%s); check that it is up and "
			    "reachable",
			    context, self->base_url, transport->message);
		return;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
		    "%s: cannot reach %s: %s; check spec.url and that the server is reachable "
		    "from here",
		    context, self->base_url, transport->message);
}

static gboolean
ferry_vsphere_client_check_pin(FerryVsphereClient *self,
			       SoupMessage *msg,
			       const char *context,
			       GError **error)
{
	g_autofree char *fingerprint = NULL;

	if (self->tls_mode == TLS_MODE_PLAIN)
		return TRUE;
	ferry_vsphere_client_note_certificate(self, soup_message_get_tls_peer_certificate(msg));
	if (self->pinned == NULL || self->tls_mode == TLS_MODE_INSECURE)
		return TRUE;
	fingerprint = ferry_vsphere_client_dup_fingerprint(self);
	if (g_strcmp0(fingerprint, self->pinned) == 0)
		return TRUE;
	g_object_set_data(G_OBJECT(msg), "ferry-tls-errors", GUINT_TO_POINTER(0x10000));
	ferry_vsphere_client_set_tls_error(self, msg, context, NULL, TRUE, error);
	return FALSE;
}

static SoupMessage *
ferry_vsphere_client_new_message(FerryVsphereClient *self, const char *method, const char *url)
{
	SoupMessage *msg = soup_message_new(method, url);
	g_autofree char *cookie = NULL;

	g_signal_connect(msg, "accept-certificate",
			 G_CALLBACK(ferry_vsphere_client_accept_certificate_cb), self);
	g_mutex_lock(&self->lock);
	cookie = g_strdup(self->cookie);
	g_mutex_unlock(&self->lock);
	if (cookie != NULL) {
		soup_message_headers_replace(soup_message_get_request_headers(msg), "Cookie",
					     cookie);
		memset(cookie, 0, strlen(cookie));
	}
	return msg;
}

/* one POST; a SOAP fault comes back as a response with ->fault set */
static FerryVsphereResponse *
ferry_vsphere_client_post(FerryVsphereClient *self,
			  const char *envelope,
			  const char *context,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autofree char *url = g_uri_to_string(self->uri);
	g_autoptr(SoupMessage) msg = ferry_vsphere_client_new_message(self, "POST", url);
	g_autoptr(GBytes) request = g_bytes_new_static(envelope, strlen(envelope));
	g_autoptr(GBytes) reply = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autofree char *action = NULL;
	FerryVsphereResponse *response;
	const char *data;
	gsize size = 0;
	guint status;
	gint64 started;

	action = g_strdup_printf("\"urn:vim25/%s\"",
				 self->api_version != NULL ? self->api_version : "6.5");
	soup_message_headers_replace(soup_message_get_request_headers(msg), "SOAPAction", action);
	soup_message_set_request_body_from_bytes(msg, "text/xml; charset=utf-8", request);
	g_atomic_int_inc(&self->requests);
	started = g_get_monotonic_time();
	reply = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
	if (reply == NULL) {
		ferry_vsphere_client_set_transport_error(self, msg, context, local_error, error);
		return NULL;
	}
	g_debug("%s: %s answered in %.3f s (%" G_GSIZE_FORMAT " bytes)", context,
		self->base_url, (g_get_monotonic_time() - started) / 1e6, g_bytes_get_size(reply));
	if (!ferry_vsphere_client_check_pin(self, msg, context, error))
		return NULL;
	ferry_vsphere_client_take_cookie(self, msg);
	status = soup_message_get_status(msg);
	data = g_bytes_get_data(reply, &size);
	if (status == SOUP_STATUS_NOT_FOUND) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: %s has no vSphere SDK (HTTP 404); spec.url must be the SDK URL, "
			    "e.g. https://vcenter.example.com/sdk",
			    context, url);
		return NULL;
	}
	if (status != SOUP_STATUS_OK && status != SOUP_STATUS_INTERNAL_SERVER_ERROR) {
		g_set_error(error, FERRY_ERROR,
			    status == SOUP_STATUS_SERVICE_UNAVAILABLE
				? FERRY_ERROR_CONNECTION_FAILED
				: FERRY_ERROR_FAILED,
			    "%s: %s answered HTTP %u %s", context, url, status,
			    soup_message_get_reason_phrase(msg));
		return NULL;
	}
	response = ferry_vsphere_response_parse(data, size, &local_error);
	if (response == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: %s answered HTTP %u with something that is not a vSphere SOAP "
			    "reply: %s; is spec.url a vCenter or ESXi SDK URL?",
			    context, url, status, local_error->message);
		return NULL;
	}
	return response;
}

static gboolean
ferry_vsphere_client_do_login(FerryVsphereClient *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(FerryVsphereRequest) request = NULL;
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autofree char *envelope = NULL;
	g_autofree char *user = ferry_secret_dup_string(self->secret, "user");
	g_autofree char *password = ferry_secret_dup_string(self->secret, "password");
	g_autofree char *context = g_strdup_printf("vsphere: %s: log in", self->display_name);

	request = ferry_vsphere_request_new("Login", "SessionManager", self->session_manager);
	ferry_vsphere_request_add_text(request, "userName", user);
	ferry_vsphere_request_add_text(request, "password", password);
	envelope = ferry_vsphere_request_finish(request);
	if (password != NULL)
		memset(password, 0, strlen(password));
	/* a stale cookie would make the server refuse a second login */
	g_mutex_lock(&self->lock);
	ferry_vsphere_client_set_cookie_locked(self, NULL);
	g_mutex_unlock(&self->lock);
	response = ferry_vsphere_client_post(self, envelope, context, cancellable, error);
	memset(envelope, 0, strlen(envelope));
	if (response == NULL) {
		ferry_vsphere_client_redact_error(self, error != NULL ? *error : NULL);
		return FALSE;
	}
	if (response->fault != NULL) {
		g_autofree char *who = g_strdup_printf("%s: log in as '%s'", context, user);
		ferry_vsphere_fault_set_error(response->fault, who, error);
		ferry_vsphere_client_redact_error(self, error != NULL ? *error : NULL);
		return FALSE;
	}
	g_mutex_lock(&self->lock);
	self->generation++;
	g_mutex_unlock(&self->lock);
	self->logged_in = TRUE;
	return TRUE;
}

/**
 * ferry_vsphere_client_login:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads the service content (API type and version, well-known objects) and
 * logs in with the Secret's user and password.
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_vsphere_client_login(FerryVsphereClient *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(FerryVsphereRequest) request = NULL;
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autofree char *envelope = NULL;
	g_autofree char *context = g_strdup_printf("vsphere: %s: connect", self->display_name);
	xmlNode *content;
	gboolean ok;

	request = ferry_vsphere_request_new("RetrieveServiceContent", "ServiceInstance",
					    "ServiceInstance");
	envelope = ferry_vsphere_request_finish(request);
	response = ferry_vsphere_client_post(self, envelope, context, cancellable, error);
	if (response == NULL)
		return FALSE;
	if (response->fault != NULL) {
		ferry_vsphere_fault_set_error(response->fault, context, error);
		ferry_vsphere_client_redact_error(self, error != NULL ? *error : NULL);
		return FALSE;
	}
	content = ferry_vsphere_response_get_returnval(response);
	g_free(self->api_type);
	self->api_type = ferry_vsphere_xml_dup_path_text(content, "about.apiType");
	g_free(self->api_version);
	self->api_version = ferry_vsphere_xml_dup_path_text(content, "about.apiVersion");
	g_free(self->full_name);
	self->full_name = ferry_vsphere_xml_dup_path_text(content, "about.fullName");
	g_free(self->root_folder);
	self->root_folder = ferry_vsphere_xml_dup_path_text(content, "rootFolder");
	g_free(self->property_collector);
	self->property_collector = ferry_vsphere_xml_dup_path_text(content, "propertyCollector");
	g_free(self->view_manager);
	self->view_manager = ferry_vsphere_xml_dup_path_text(content, "viewManager");
	g_free(self->session_manager);
	self->session_manager = ferry_vsphere_xml_dup_path_text(content, "sessionManager");
	if (self->api_version == NULL || self->root_folder == NULL ||
	    self->property_collector == NULL || self->session_manager == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: %s answered without a vSphere service content; is spec.url a "
			    "vCenter or ESXi SDK URL?",
			    context, self->base_url);
		return FALSE;
	}
	g_mutex_lock(&self->login_lock);
	ok = ferry_vsphere_client_do_login(self, cancellable, error);
	g_mutex_unlock(&self->login_lock);
	return ok;
}

typedef struct {
	GBytes *reply;
	gboolean done;
} LogoutCall;

static void
ferry_vsphere_client_logout_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	LogoutCall *call = user_data;
	call->reply = soup_session_send_and_read_finish(SOUP_SESSION(source), result, NULL);
	call->done = TRUE;
}

static gboolean
ferry_vsphere_client_logout_timeout_cb(gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
	return G_SOURCE_REMOVE;
}

/**
 * ferry_vsphere_client_logout:
 * @self: a client
 *
 * Ends the session on the server (vCenter keeps idle sessions, and a limit
 * applies). Gives up after 5 s, so a server gone away does not hold up
 * whoever drops the provider; errors are ignored.
 */
void
ferry_vsphere_client_logout(FerryVsphereClient *self)
{
	g_autoptr(FerryVsphereRequest) request = NULL;
	g_autoptr(GMainContext) context = NULL;
	g_autoptr(GCancellable) cancellable = NULL;
	g_autoptr(GSource) timeout = NULL;
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree char *envelope = NULL;
	g_autofree char *url = NULL;
	g_autofree char *action = NULL;
	LogoutCall call = {NULL, FALSE};

	if (!self->logged_in)
		return;
	self->logged_in = FALSE;
	request = ferry_vsphere_request_new("Logout", "SessionManager", self->session_manager);
	envelope = ferry_vsphere_request_finish(request);
	url = g_uri_to_string(self->uri);
	msg = ferry_vsphere_client_new_message(self, "POST", url);
	action = g_strdup_printf("\"urn:vim25/%s\"", self->api_version);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "SOAPAction", action);
	body = g_bytes_new(envelope, strlen(envelope));
	soup_message_set_request_body_from_bytes(msg, "text/xml; charset=utf-8", body);

	/* a private main context: this may run in any thread, blocking only here */
	context = g_main_context_new();
	cancellable = g_cancellable_new();
	g_main_context_push_thread_default(context);
	timeout = g_timeout_source_new_seconds(5);
	g_source_set_callback(timeout, ferry_vsphere_client_logout_timeout_cb, cancellable, NULL);
	g_source_attach(timeout, context);
	soup_session_send_and_read_async(self->session, msg, G_PRIORITY_DEFAULT, cancellable,
					 ferry_vsphere_client_logout_cb, &call);
	while (!call.done)
		g_main_context_iteration(context, TRUE);
	g_source_destroy(timeout);
	g_main_context_pop_thread_default(context);
	g_clear_pointer(&call.reply, g_bytes_unref);
	g_mutex_lock(&self->lock);
	ferry_vsphere_client_set_cookie_locked(self, NULL);
	g_mutex_unlock(&self->lock);
}

/* logs in again unless another thread already did since @generation */
static gboolean
ferry_vsphere_client_relogin(FerryVsphereClient *self,
			     guint generation,
			     GCancellable *cancellable,
			     GError **error)
{
	gboolean ok = TRUE;
	guint current;

	g_mutex_lock(&self->login_lock);
	g_mutex_lock(&self->lock);
	current = self->generation;
	g_mutex_unlock(&self->lock);
	if (current == generation) {
		g_debug("vsphere: %s: session expired, logging in again", self->display_name);
		ok = ferry_vsphere_client_do_login(self, cancellable, error);
	}
	g_mutex_unlock(&self->login_lock);
	return ok;
}

/**
 * ferry_vsphere_client_call:
 * @self: a client
 * @request: the request
 * @context: prefix for errors: what was being done, to what
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends @request. When the server says the session is not authenticated
 * (it expired), logs in again once and resends. Faults become errors.
 *
 * Returns: (transfer full): the reply, or %NULL with @error set
 */
FerryVsphereResponse *
ferry_vsphere_client_call(FerryVsphereClient *self,
			  FerryVsphereRequest *request,
			  const char *context,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autofree char *envelope = ferry_vsphere_request_finish(request);

	for (guint attempt = 0;; attempt++) {
		g_autoptr(FerryVsphereResponse) response = NULL;
		guint generation;

		g_mutex_lock(&self->lock);
		generation = self->generation;
		g_mutex_unlock(&self->lock);
		response = ferry_vsphere_client_post(self, envelope, context, cancellable, error);
		if (response == NULL) {
			ferry_vsphere_client_redact_error(self, error != NULL ? *error : NULL);
			return NULL;
		}
		if (response->fault == NULL && !ferry_vsphere_response_is_unauthenticated(response))
			return g_steal_pointer(&response);
		if (attempt == 0 && self->logged_in &&
		    (response->fault == NULL ||
		     g_strcmp0(response->fault->type, "NotAuthenticated") == 0)) {
			if (!ferry_vsphere_client_relogin(self, generation, cancellable, error))
				return NULL;
			continue;
		}
		if (response->fault == NULL) {
			g_autoptr(FerryVsphereFault) fault = g_new0(FerryVsphereFault, 1);
			fault->type = g_strdup("NotAuthenticated");
			ferry_vsphere_fault_set_error(fault, context, error);
		} else {
			ferry_vsphere_fault_set_error(response->fault, context, error);
		}
		ferry_vsphere_client_redact_error(self, error != NULL ? *error : NULL);
		return NULL;
	}
}

void
ferry_vsphere_result_free(FerryVsphereResult *self)
{
	if (self == NULL)
		return;
	/* objects borrow from the response: free them first */
	g_clear_pointer(&self->objects, g_ptr_array_unref);
	ferry_vsphere_response_free(self->response);
	g_free(self->token);
	g_free(self);
}

FerryVsphereObject *
ferry_vsphere_result_get_object(FerryVsphereResult *self, const char *id)
{
	for (guint i = 0; i < self->objects->len; i++) {
		FerryVsphereObject *object = g_ptr_array_index(self->objects, i);
		if (id == NULL || g_strcmp0(object->id, id) == 0)
			return object;
	}
	return NULL;
}

static FerryVsphereResult *
ferry_vsphere_result_new(FerryVsphereResponse *response)
{
	FerryVsphereResult *self = g_new0(FerryVsphereResult, 1);
	self->response = response;
	self->objects = ferry_vsphere_parse_retrieve_result(
	    ferry_vsphere_response_get_returnval(response), &self->token);
	return self;
}

/**
 * ferry_vsphere_client_retrieve:
 * @self: a client
 * @request: a RetrievePropertiesEx request
 * @context: prefix for errors
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the first page of results; ->token is set when
 *   more pages follow
 */
FerryVsphereResult *
ferry_vsphere_client_retrieve(FerryVsphereClient *self,
			      FerryVsphereRequest *request,
			      const char *context,
			      GCancellable *cancellable,
			      GError **error)
{
	FerryVsphereResponse *response =
	    ferry_vsphere_client_call(self, request, context, cancellable, error);
	if (response == NULL)
		return NULL;
	return ferry_vsphere_result_new(response);
}

FerryVsphereResult *
ferry_vsphere_client_continue(FerryVsphereClient *self,
			      const char *token,
			      const char *context,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(FerryVsphereRequest) request = ferry_vsphere_request_new(
	    "ContinueRetrievePropertiesEx", "PropertyCollector", self->property_collector);
	ferry_vsphere_request_add_text(request, "token", token);
	return ferry_vsphere_client_retrieve(self, request, context, cancellable, error);
}

/**
 * ferry_vsphere_client_retrieve_object:
 * @self: a client
 * @type: the managed object type, e.g. `VirtualMachine`
 * @id: its id, e.g. `vm-42`
 * @paths: (array zero-terminated=1): property paths to read
 * @context: prefix for errors
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads some properties of one object.
 *
 * Returns: (transfer full): the result, with exactly one object
 */
FerryVsphereResult *
ferry_vsphere_client_retrieve_object(FerryVsphereClient *self,
				     const char *type,
				     const char *id,
				     const char *const *paths,
				     const char *context,
				     GCancellable *cancellable,
				     GError **error)
{
	g_autoptr(FerryVsphereRequest) request = ferry_vsphere_request_new(
	    "RetrievePropertiesEx", "PropertyCollector", self->property_collector);
	g_autoptr(FerryVsphereResult) result = NULL;

	ferry_vsphere_request_open(request, "specSet", NULL);
	ferry_vsphere_request_open(request, "propSet", NULL);
	ferry_vsphere_request_add_text(request, "type", type);
	for (guint i = 0; paths[i] != NULL; i++)
		ferry_vsphere_request_add_text(request, "pathSet", paths[i]);
	ferry_vsphere_request_close(request, "propSet");
	ferry_vsphere_request_open(request, "objectSet", NULL);
	ferry_vsphere_request_add_moref(request, "obj", type, id);
	ferry_vsphere_request_add_boolean(request, "skip", FALSE);
	ferry_vsphere_request_close(request, "objectSet");
	ferry_vsphere_request_close(request, "specSet");
	ferry_vsphere_request_open(request, "options", NULL);
	ferry_vsphere_request_close(request, "options");
	result = ferry_vsphere_client_retrieve(self, request, context, cancellable, error);
	if (result == NULL)
		return NULL;
	if (ferry_vsphere_result_get_object(result, id) == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: %s %s does not exist on the server; refresh the inventory",
			    context, type, id);
		return NULL;
	}
	return g_steal_pointer(&result);
}

/* sleeps up to @msec, waking early when cancelled */
static gboolean
ferry_vsphere_client_sleep(guint msec, GCancellable *cancellable)
{
	for (guint slept = 0; slept < msec; slept += 20) {
		if (g_cancellable_is_cancelled(cancellable))
			return FALSE;
		g_usleep(20 * 1000);
	}
	return !g_cancellable_is_cancelled(cancellable);
}

static void
ferry_vsphere_client_cancel_task(FerryVsphereClient *self, const char *task)
{
	g_autoptr(FerryVsphereRequest) request =
	    ferry_vsphere_request_new("CancelTask", "Task", task);
	g_autoptr(FerryVsphereResponse) response =
	    ferry_vsphere_client_call(self, request, "vsphere: cancel task", NULL, NULL);
}

/**
 * ferry_vsphere_client_wait_task:
 * @self: a client
 * @task: a Task id
 * @context: prefix for errors
 * @result: (out) (optional) (nullable): the task's result, e.g. the id of
 *   a new snapshot
 * @cancellable: (nullable): cancels the wait, and asks the server to cancel
 *   the task
 * @error: return location for a #GError
 *
 * Polls the task until it succeeds or fails, faster at first.
 *
 * Returns: %TRUE when the task succeeded
 */
gboolean
ferry_vsphere_client_wait_task(FerryVsphereClient *self,
			       const char *task,
			       const char *context,
			       char **result,
			       GCancellable *cancellable,
			       GError **error)
{
	static const char *const paths[] = {"info.state", "info.error", "info.result", NULL};
	guint delay = 50;

	for (;;) {
		g_autoptr(FerryVsphereResult) info = NULL;
		g_autoptr(GError) local_error = NULL;
		g_autofree char *state = NULL;
		FerryVsphereObject *object;

		info = ferry_vsphere_client_retrieve_object(self, "Task", task, paths, context,
							    cancellable, &local_error);
		if (info == NULL) {
			if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_CANCELLED))
				ferry_vsphere_client_cancel_task(self, task);
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		object = ferry_vsphere_result_get_object(info, task);
		state = ferry_vsphere_object_dup_string(object, "info.state");
		if (g_strcmp0(state, "success") == 0) {
			if (result != NULL)
				*result = ferry_vsphere_object_dup_string(object, "info.result");
			return TRUE;
		}
		if (g_strcmp0(state, "error") == 0) {
			xmlNode *fault = ferry_vsphere_object_get(object, "info.error");
			g_autofree char *message =
			    ferry_vsphere_xml_dup_path_text(fault, "localizedMessage");
			g_autoptr(FerryVsphereFault) parsed = ferry_vsphere_fault_new_from_node(
			    ferry_vsphere_xml_child(fault, "fault"), message);
			ferry_vsphere_fault_set_error(parsed, context, error);
			ferry_vsphere_client_redact_error(self, error != NULL ? *error : NULL);
			return FALSE;
		}
		if (!ferry_vsphere_client_sleep(delay, cancellable)) {
			ferry_vsphere_client_cancel_task(self, task);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
				    "%s: cancelled; asked the server to cancel task %s", context,
				    task);
			return FALSE;
		}
		delay = MIN(delay * 2, 1000);
	}
}

/**
 * ferry_vsphere_client_head:
 * @self: a client
 * @path_and_query: e.g. `/folder/web/web-flat.vmdk?dcPath=DC&dsName=ds1`
 * @context: prefix for errors
 * @size: (out) (optional): the Content-Length
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Checks that a file of the datastore file service can be read with the
 * session cookie.
 *
 * Returns: %TRUE when it can
 */
gboolean
ferry_vsphere_client_head(FerryVsphereClient *self,
			  const char *path_and_query,
			  const char *context,
			  guint64 *size,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autofree char *url = g_strconcat(self->base_url, path_and_query, NULL);
	g_autoptr(SoupMessage) msg = ferry_vsphere_client_new_message(self, "HEAD", url);
	g_autoptr(GBytes) reply = NULL;
	g_autoptr(GError) local_error = NULL;
	guint status;

	if (msg == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT, "%s: bad URL %s",
			    context, url);
		return FALSE;
	}
	g_atomic_int_inc(&self->requests);
	reply = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
	if (reply == NULL) {
		ferry_vsphere_client_set_transport_error(self, msg, context, local_error, error);
		return FALSE;
	}
	status = soup_message_get_status(msg);
	if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "%s: the datastore file service refused the session (HTTP %u); the "
			    "user needs the Datastore.Browse and Datastore.FileManagement "
			    "privileges",
			    context, status);
		return FALSE;
	}
	if (status == SOUP_STATUS_NOT_FOUND) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: the datastore has no such file (HTTP 404)", context);
		return FALSE;
	}
	if (status != SOUP_STATUS_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s: HTTP %u %s", context,
			    status, soup_message_get_reason_phrase(msg));
		return FALSE;
	}
	if (size != NULL)
		*size = (guint64)MAX(soup_message_headers_get_content_length(
					 soup_message_get_response_headers(msg)),
				     0);
	return TRUE;
}

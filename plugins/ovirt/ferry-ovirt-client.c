/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The engine's REST API v4, read as XML (libxml2): XML is the engine's own
 * format (its JSON is generated from it, and has been seen invalid where
 * the XML twin was fine), it is what older engines and recorded stubs
 * answer, and libxml2 is already what Ferry reads vSphere's SOAP with. Only
 * the SSO endpoint answers JSON (json-glib), since it knows no XML. */

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <libxml/parser.h>
#include <string.h>

#include "ferry-ovirt-client.h"

struct _FerryOvirtClient {
	SoupSession *session;
	char *api;     /* https://engine/ovirt-engine/api */
	char *engine;  /* https://engine/ovirt-engine */
	char *display; /* Provider ns/name */
	FerrySecret *secret;
	gboolean insecure;
	char *private_dir;
	char *ca_file;
	char *ca_pin;	 /* the Secret's thumbprint of the engine CA, normalised */
	gboolean ca_pinned; /* the CA it pins was fetched and trusted */
	GMutex lock; /* protects token and fingerprint */
	char *token;
	char *fingerprint;
};

const char *
ferry_ovirt_client_get_display(FerryOvirtClient *self)
{
	return self->display;
}

FerrySecret *
ferry_ovirt_client_get_secret(FerryOvirtClient *self)
{
	return self->secret;
}

gboolean
ferry_ovirt_client_get_insecure(FerryOvirtClient *self)
{
	return self->insecure;
}

const char *
ferry_ovirt_client_get_ca_file(FerryOvirtClient *self)
{
	return self->ca_file;
}

char *
ferry_ovirt_client_dup_fingerprint(FerryOvirtClient *self)
{
	char *fingerprint;
	g_mutex_lock(&self->lock);
	fingerprint = g_strdup(self->fingerprint);
	g_mutex_unlock(&self->lock);
	return fingerprint;
}

void
ferry_ovirt_client_free(FerryOvirtClient *self)
{
	if (self == NULL)
		return;
	ferry_ovirt_client_logout(self);
	g_clear_object(&self->session);
	g_clear_object(&self->secret);
	if (self->ca_file != NULL)
		g_unlink(self->ca_file);
	if (self->private_dir != NULL)
		g_rmdir(self->private_dir);
	g_free(self->ca_file);
	g_free(self->ca_pin);
	g_free(self->private_dir);
	g_free(self->api);
	g_free(self->engine);
	g_free(self->display);
	g_free(self->fingerprint);
	g_mutex_clear(&self->lock);
	g_free(self);
}

/* errors may quote what the engine said: never let a credential through */
static void
ferry_ovirt_client_redact(FerryOvirtClient *self, GError *error)
{
	char *redacted;
	if (error == NULL || self->secret == NULL)
		return;
	redacted = ferry_secret_redact(self->secret, error->message);
	g_free(error->message);
	error->message = redacted;
}

/* the Secret's `thumbprint`: the SHA-1 (or SHA-256) fingerprint of the
 * engine's CA certificate, with or without colons, in either case */
static gboolean
ferry_ovirt_client_set_pin(FerryOvirtClient *self, const char *pin, GError **error)
{
	g_autoptr(GString) hex = g_string_new(NULL);

	for (const char *p = pin; *p != '\0'; p++) {
		if (g_ascii_isxdigit(*p))
			g_string_append_c(hex, g_ascii_tolower(*p));
		else if (*p != ':' && *p != ' ')
			break;
	}
	if (hex->len != 40 && hex->len != 64) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "ovirt: %s: the Secret's thumbprint is not a SHA-1 or SHA-256 "
			    "fingerprint; set it to the fingerprint of the engine's CA (openssl "
			    "x509 -noout -fingerprint -sha256 of /ovirt-engine/services/"
			    "pki-resource?resource=ca-certificate&format=X509-PEM-CA), or put "
			    "the CA itself in the cacert key",
			    self->display);
		return FALSE;
	}
	self->ca_pin = g_string_free(g_steal_pointer(&hex), FALSE);
	return TRUE;
}

static gboolean
ferry_ovirt_client_setup_tls(FerryOvirtClient *self, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	const char *key = "cacert";

	if (ferry_secret_get_boolean(self->secret, "insecureSkipVerify", FALSE)) {
		self->insecure = TRUE;
		return TRUE;
	}
	if (!ferry_secret_has_key(self->secret, key))
		key = "ca.crt";
	{
		g_autoptr(GBytes) pem = ferry_secret_get(self->secret, key);

		if (pem == NULL || g_bytes_get_size(pem) == 0) {
			/* a pin of the engine's CA: fetched at the first request */
			g_autofree char *pin = ferry_secret_dup_string(self->secret, "thumbprint");
			if (pin != NULL && *g_strstrip(pin) != '\0')
				return ferry_ovirt_client_set_pin(self, pin, error);
			return TRUE; /* the system's trust store */
		}
	}
	self->private_dir = g_dir_make_tmp("ferry-ovirt-XXXXXX", &local_error);
	if (self->private_dir == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "ovirt: %s: cannot create a private directory for the CA: %s",
			    self->display, local_error->message);
		return FALSE;
	}
	self->ca_file = g_build_filename(self->private_dir, "ca.pem", NULL);
	database = ferry_secret_new_tls_database(
	    self->secret, key, self->ca_file,
	    "put the engine's CA there (from /ovirt-engine/services/pki-resource?resource="
	    "ca-certificate&format=X509-PEM-CA)",
	    error);
	if (database == NULL) {
		g_prefix_error(error, "ovirt: %s: ", self->display);
		return FALSE;
	}
	soup_session_set_tls_database(self->session, database);
	return TRUE;
}

/**
 * ferry_ovirt_client_new:
 * @config: the Provider: its URL (`https://<engine>/ovirt-engine/api`) and
 *   Secret (`user`, `password`, `cacert` or `insecureSkipVerify`)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a client, not logged in yet
 */
FerryOvirtClient *
ferry_ovirt_client_new(FerryProviderConfig *config, GError **error)
{
	g_autoptr(FerryOvirtClient) self = g_new0(FerryOvirtClient, 1);
	g_autofree char *name =
		ferry_provider_config_dup_display_name(config); /* Provider/ns/name */
	const char *url = ferry_provider_config_get_url(config);
	g_autoptr(GUri) uri = NULL;
	g_autofree char *trimmed = NULL;
	FerrySecret *secret = ferry_provider_config_get_secret(config);

	g_mutex_init(&self->lock);
	self->display = g_steal_pointer(&name);
	if (url == NULL || *url == '\0' ||
	    (uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL)) == NULL ||
	    g_uri_get_host(uri) == NULL ||
	    (g_strcmp0(g_uri_get_scheme(uri), "https") != 0 &&
	     g_strcmp0(g_uri_get_scheme(uri), "http") != 0)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "ovirt: %s: spec.url '%s' is not the engine's API URL; set it to "
			    "https://<engine>/ovirt-engine/api",
			    self->display, url != NULL ? url : "");
		return NULL;
	}
	trimmed = g_strdup(url);
	while (g_str_has_suffix(trimmed, "/"))
		trimmed[strlen(trimmed) - 1] = '\0';
	if (!g_str_has_suffix(trimmed, "/api")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "ovirt: %s: spec.url '%s' does not end in /ovirt-engine/api; set it to "
			    "https://<engine>/ovirt-engine/api",
			    self->display, url);
		return NULL;
	}
	if (secret == NULL || !ferry_secret_has_key(secret, "user") ||
	    !ferry_secret_has_key(secret, "password")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "ovirt: %s: its Secret%s%s has no user and password; add the keys "
			    "user (such as admin@internal) and password",
			    self->display, secret != NULL ? " " : "",
			    secret != NULL ? ferry_secret_get_name(secret) : "");
		return NULL;
	}
	self->secret = g_object_ref(secret);
	self->api = g_strdup(trimmed);
	self->engine = g_strndup(trimmed, strlen(trimmed) - strlen("/api"));
	self->session = soup_session_new_with_options("timeout", 120, "idle-timeout", 60,
						      "user-agent", "ferry", NULL);
	if (!ferry_ovirt_client_setup_tls(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

static gboolean
ferry_ovirt_accept_any_certificate(SoupMessage *msg, GTlsCertificate *certificate,
				   GTlsCertificateFlags errors, gpointer user_data)
{
	return TRUE;
}

static void
ferry_ovirt_client_note_certificate(FerryOvirtClient *self, SoupMessage *msg)
{
	GTlsCertificate *certificate = soup_message_get_tls_peer_certificate(msg);
	g_autoptr(GByteArray) der = NULL;
	g_autofree char *hex = NULL;
	GString *out;

	if (certificate == NULL)
		return;
	g_object_get(certificate, "certificate", &der, NULL);
	if (der == NULL)
		return;
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA1, der->data, der->len);
	out = g_string_new(NULL);
	for (guint i = 0; hex[i] != '\0' && hex[i + 1] != '\0'; i += 2)
		g_string_append_printf(out, "%s%c%c", i > 0 ? ":" : "", g_ascii_toupper(hex[i]),
				       g_ascii_toupper(hex[i + 1]));
	g_mutex_lock(&self->lock);
	g_free(self->fingerprint);
	self->fingerprint = g_string_free(out, FALSE);
	g_mutex_unlock(&self->lock);
}

/* one request; a transport failure becomes an error naming the Provider
 * and the fix */
static GBytes *
ferry_ovirt_client_send(FerryOvirtClient *self, SoupMessage *msg, GCancellable *cancellable,
			GError **error)
{
	g_autoptr(GError) local_error = NULL;
	GBytes *body;

	if (self->insecure)
		g_signal_connect(msg, "accept-certificate",
				 G_CALLBACK(ferry_ovirt_accept_any_certificate), NULL);
	body = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
	if (body != NULL) {
		ferry_ovirt_client_note_certificate(self, msg);
		return body;
	}
	if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED, "ovirt: %s: cancelled",
			    self->display);
	} else if (ferry_error_is_untrusted_certificate(local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
			    "ovirt: %s: the engine's certificate at %s could not be verified (%s); "
			    "put the engine's CA (/ovirt-engine/services/pki-resource?resource="
			    "ca-certificate&format=X509-PEM-CA) in the Secret's cacert key, or set "
			    "insecureSkipVerify: \"true\" there to skip verification",
			    self->display, self->engine, local_error->message);
	} else {
		g_set_error(
			error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
			"ovirt: %s: cannot reach the engine at %s (%s); check spec.url and that "
			"the engine is up and reachable from here",
			self->display, self->engine, local_error->message);
	}
	return NULL;
}

/* the engine's SSO says why as {"error_code": "access_denied", "error": "…"};
 * OAuth's own form is {"error": "code", "error_description": "…"} */
static const char *
ferry_ovirt_sso_reason(JsonObject *reply)
{
	if (reply == NULL)
		return "no reason given";
	if (ferry_json_get_string(reply, "error_description") != NULL)
		return ferry_json_get_string(reply, "error_description");
	if (ferry_json_get_string(reply, "error") != NULL)
		return ferry_json_get_string(reply, "error");
	return "no reason given";
}

static gboolean
ferry_ovirt_accept_any_certificate(SoupMessage *msg, GTlsCertificate *certificate,
				   GTlsCertificateFlags errors, gpointer user_data);

/* with a pin and no CA: fetch the engine's CA from pki-resource (it is
 * public, served without login) over an unverified connection, trust it
 * only if its fingerprint is the pin, and verify every request after that
 * against it, as with a CA from the Secret */
static gboolean
ferry_ovirt_client_fetch_pinned_ca(FerryOvirtClient *self, GCancellable *cancellable,
				   GError **error)
{
	g_autofree char *url = g_strconcat(
	    self->engine, "/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA",
	    NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(SOUP_METHOD_GET, url);
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GTlsCertificate) ca = NULL;
	g_autoptr(GByteArray) der = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	g_autofree char *digest = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;

	if (self->ca_pin == NULL || self->ca_pinned)
		return TRUE;
	if (msg == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "ovirt: %s: %s is not a valid URL; check spec.url", self->display, url);
		return FALSE;
	}
	g_signal_connect(msg, "accept-certificate",
			 G_CALLBACK(ferry_ovirt_accept_any_certificate), NULL);
	body = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
	if (body == NULL || soup_message_get_status(msg) != SOUP_STATUS_OK) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
			    "ovirt: %s: cannot fetch the engine's CA from %s (%s) to check it "
			    "against the Secret's thumbprint; check spec.url and that the engine "
			    "is up, or put the CA in the Secret's cacert key",
			    self->display, url,
			    local_error != NULL ? local_error->message
						: soup_message_get_reason_phrase(msg));
		return FALSE;
	}
	text = g_strndup(g_bytes_get_data(body, &len), g_bytes_get_size(body));
	ca = g_tls_certificate_new_from_pem(text, -1, &local_error);
	if (ca == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
			    "ovirt: %s: %s did not answer with a PEM certificate (%s); check "
			    "spec.url, or put the engine's CA in the Secret's cacert key",
			    self->display, url, local_error->message);
		return FALSE;
	}
	g_object_get(ca, "certificate", &der, NULL);
	digest = g_compute_checksum_for_data(strlen(self->ca_pin) == 40 ? G_CHECKSUM_SHA1
									: G_CHECKSUM_SHA256,
					     der->data, der->len);
	if (g_strcmp0(digest, self->ca_pin) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
			    "ovirt: %s: the CA the engine serves at %s has fingerprint %s, not the "
			    "Secret's thumbprint %s; if the engine's CA really changed, put the "
			    "new fingerprint (or the CA itself, key cacert) in the Secret, "
			    "otherwise something between Ferry and the engine is not the engine",
			    self->display, url, digest, self->ca_pin);
		return FALSE;
	}
	if (self->private_dir == NULL)
		self->private_dir = g_dir_make_tmp("ferry-ovirt-XXXXXX", &local_error);
	if (self->private_dir == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "ovirt: %s: cannot create a private directory for the CA: %s",
			    self->display, local_error->message);
		return FALSE;
	}
	g_free(self->ca_file);
	self->ca_file = g_build_filename(self->private_dir, "ca.pem", NULL);
	if (!g_file_set_contents_full(self->ca_file, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
				      0600, &local_error) ||
	    (database = g_tls_file_database_new(self->ca_file, &local_error)) == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "ovirt: %s: cannot keep the engine's CA in %s: %s", self->display,
			    self->ca_file, local_error->message);
		return FALSE;
	}
	soup_session_set_tls_database(self->session, database);
	self->ca_pinned = TRUE;
	g_debug("ovirt: %s: trusting the engine's CA from %s (fingerprint %s, pinned)",
		self->display, url, digest);
	return TRUE;
}

/**
 * ferry_ovirt_client_login:
 *
 * Fetches an SSO bearer token with the Secret's user and password
 * (`/ovirt-engine/sso/oauth/token`, grant_type=password).
 */
gboolean
ferry_ovirt_client_login(FerryOvirtClient *self, GCancellable *cancellable, GError **error)
{
	g_autofree char *user = ferry_secret_dup_string(self->secret, "user");
	g_autofree char *password = ferry_secret_dup_string(self->secret, "password");
	g_autofree char *url = g_strconcat(self->engine, "/sso/oauth/token", NULL);
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) request = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	char *form;
	JsonNode *root;
	JsonObject *reply = NULL;
	const char *token = NULL;
	guint status;

	if (!ferry_ovirt_client_fetch_pinned_ca(self, cancellable, error))
		return FALSE;
	form = soup_form_encode("grant_type", "password", "scope", "ovirt-app-api", "username",
				user != NULL ? user : "", "password",
				password != NULL ? password : "", NULL);
	if (password != NULL)
		memset(password, 0, strlen(password));
	request = g_bytes_new_take(form, strlen(form));
	msg = soup_message_new(SOUP_METHOD_POST, url);
	if (msg == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "ovirt: %s: %s is not a valid URL; check spec.url", self->display, url);
		return FALSE;
	}
	soup_message_headers_append(soup_message_get_request_headers(msg), "Accept",
				    "application/json");
	soup_message_set_request_body_from_bytes(msg, "application/x-www-form-urlencoded", request);
	body = ferry_ovirt_client_send(self, msg, cancellable, error);
	if (body == NULL)
		return FALSE;
	status = soup_message_get_status(msg);
	if (json_parser_load_from_data(parser, g_bytes_get_data(body, NULL),
				       (gssize)g_bytes_get_size(body), NULL) &&
	    (root = json_parser_get_root(parser)) != NULL && JSON_NODE_HOLDS_OBJECT(root))
		reply = json_node_get_object(root);
	if (reply != NULL)
		token = ferry_json_get_string(reply, "access_token");
	if (status == 401 || status == 400 || status == 403 ||
	    (reply != NULL && ferry_json_get_string(reply, "error") != NULL)) {
		g_autoptr(GError) auth = g_error_new(
			FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			"ovirt: %s: the engine refused the credentials of user %s (%s); correct "
			"user (such as admin@internal) and password in Secret %s",
			self->display, user != NULL ? user : "", ferry_ovirt_sso_reason(reply),
			ferry_secret_get_name(self->secret));
		ferry_ovirt_client_redact(self, auth);
		g_propagate_error(error, g_steal_pointer(&auth));
		return FALSE;
	}
	if (status < 200 || status >= 300 || token == NULL || *token == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
			    "ovirt: %s: %s answered HTTP %u without an SSO token; check that "
			    "spec.url names an oVirt engine (https://<engine>/ovirt-engine/api)",
			    self->display, url, status);
		return FALSE;
	}
	g_mutex_lock(&self->lock);
	g_free(self->token);
	self->token = g_strdup(token);
	g_mutex_unlock(&self->lock);
	return TRUE;
}

void
ferry_ovirt_client_logout(FerryOvirtClient *self)
{
	g_mutex_lock(&self->lock);
	if (self->token != NULL)
		memset(self->token, 0, strlen(self->token));
	g_clear_pointer(&self->token, g_free);
	g_mutex_unlock(&self->lock);
}

/**
 * ferry_ovirt_parse_document:
 *
 * Returns: (transfer full): the engine's XML document; never loads
 *   external entities or DTDs
 */
xmlDoc *
ferry_ovirt_parse_document(const char *data, gsize length, GError **error)
{
	xmlDoc *doc;
	if (length > G_MAXINT) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the engine's answer is too large");
		return NULL;
	}
	doc = xmlReadMemory(data, (int)length, "ovirt.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_NOBLANKS);
	if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the engine's answer is not an XML document");
		return NULL;
	}
	return doc;
}

/* the text of a fault: <fault><reason/><detail/></fault> */
static char *
ferry_ovirt_fault_text(const char *data, gsize length)
{
	g_autoptr(xmlDoc) doc = ferry_ovirt_parse_document(data, length, NULL);
	xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	g_autofree char *reason = root != NULL ? ferry_ovirt_xml_text(root, "reason") : NULL;
	g_autofree char *detail = root != NULL ? ferry_ovirt_xml_text(root, "detail") : NULL;
	if (reason == NULL && detail == NULL)
		return g_strndup(data, MIN(length, 200));
	return g_strdup_printf("%s%s%s", reason != NULL ? reason : "",
			       reason != NULL && detail != NULL ? ": " : "",
			       detail != NULL ? detail : "");
}

static xmlDoc *
ferry_ovirt_client_call(FerryOvirtClient *self, const char *method, const char *path,
			const char *payload, GCancellable *cancellable, GError **error)
{
	g_autofree char *url = g_strconcat(self->api, path, NULL);

	for (guint attempt = 0;; attempt++) {
		g_autoptr(SoupMessage) msg = soup_message_new(method, url);
		g_autoptr(GBytes) body = NULL;
		g_autofree char *bearer = NULL;
		SoupMessageHeaders *headers;
		guint status;
		xmlDoc *doc;
		xmlNode *root;

		if (msg == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "ovirt: %s: %s is not a valid URL", self->display, url);
			return NULL;
		}
		g_mutex_lock(&self->lock);
		if (self->token != NULL)
			bearer = g_strdup_printf("Bearer %s", self->token);
		g_mutex_unlock(&self->lock);
		if (bearer == NULL) {
			if (!ferry_ovirt_client_login(self, cancellable, error))
				return NULL;
			continue;
		}
		headers = soup_message_get_request_headers(msg);
		soup_message_headers_append(headers, "Authorization", bearer);
		memset(bearer, 0, strlen(bearer));
		soup_message_headers_append(headers, "Accept", "application/xml");
		soup_message_headers_append(headers, "Version", "4");
		if (payload != NULL) {
			g_autoptr(GBytes) bytes = g_bytes_new(payload, strlen(payload));
			soup_message_set_request_body_from_bytes(msg, "application/xml", bytes);
		}
		body = ferry_ovirt_client_send(self, msg, cancellable, error);
		if (body == NULL)
			return NULL;
		status = soup_message_get_status(msg);
		if (status == 401 && attempt == 0) {
			/* the token expired (or the engine restarted): log in again, once */
			ferry_ovirt_client_logout(self);
			continue;
		}
		if (status == 401) {
			g_set_error(
				error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
				"ovirt: %s: the engine refused a fresh SSO token for %s %s; check "
				"that the user in Secret %s may use the REST API",
				self->display, method, path, ferry_secret_get_name(self->secret));
			return NULL;
		}
		if (status == 404) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "ovirt: %s: the engine has no %s; refresh the inventory",
				    self->display, path);
			return NULL;
		}
		if (status < 200 || status >= 300) {
			g_autofree char *fault = ferry_ovirt_fault_text(
				g_bytes_get_data(body, NULL), g_bytes_get_size(body));
			g_autoptr(GError) failed = g_error_new(
				FERRY_ERROR, status == 409 ? FERRY_ERROR_BUSY : FERRY_ERROR_FAILED,
				"ovirt: %s: %s %s failed with HTTP %u: %s", self->display, method,
				path, status, fault);
			ferry_ovirt_client_redact(self, failed);
			g_propagate_error(error, g_steal_pointer(&failed));
			return NULL;
		}
		/* a DELETE may answer with no body at all */
		if (g_bytes_get_size(body) == 0) {
			doc = xmlNewDoc(BAD_CAST "1.0");
			xmlDocSetRootElement(doc, xmlNewNode(NULL, BAD_CAST "action"));
			return doc;
		}
		doc = ferry_ovirt_parse_document(g_bytes_get_data(body, NULL),
						 g_bytes_get_size(body), error);
		if (doc == NULL) {
			g_prefix_error(error, "ovirt: %s: %s %s: ", self->display, method, path);
			return NULL;
		}
		root = xmlDocGetRootElement(doc);
		/* fakeovirt (and a proxy in front of some engines) answers <error/> */
		if (xmlStrcmp(root->name, BAD_CAST "error") == 0) {
			xmlFreeDoc(doc);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "ovirt: %s: the engine has no %s; refresh the inventory",
				    self->display, path);
			return NULL;
		}
		return doc;
	}
}

xmlDoc *
ferry_ovirt_client_get(FerryOvirtClient *self, const char *path, GCancellable *cancellable,
		       GError **error)
{
	return ferry_ovirt_client_call(self, SOUP_METHOD_GET, path, NULL, cancellable, error);
}

xmlDoc *
ferry_ovirt_client_post(FerryOvirtClient *self, const char *path, const char *body,
			GCancellable *cancellable, GError **error)
{
	return ferry_ovirt_client_call(self, SOUP_METHOD_POST, path,
				       body != NULL ? body : "<action/>", cancellable, error);
}

xmlDoc *
ferry_ovirt_client_delete(FerryOvirtClient *self, const char *path, GCancellable *cancellable,
			  GError **error)
{
	return ferry_ovirt_client_call(self, SOUP_METHOD_DELETE, path, NULL, cancellable, error);
}

/**
 * ferry_ovirt_client_fetch_json:
 * @url: an absolute URL outside the API (imageio's `/extents`), which may
 *   hold a ticket: it never appears in an error
 * @what: what is fetched, for errors
 *
 * A GET through the engine's session (its CA, its TLS choice), read as
 * JSON.
 *
 * Returns: (transfer full): the document's root, or %NULL with @error set
 */
JsonNode *
ferry_ovirt_client_fetch_json(FerryOvirtClient *self, const char *url, const char *what,
			      GCancellable *cancellable, GError **error)
{
	g_autoptr(SoupMessage) msg = soup_message_new(SOUP_METHOD_GET, url);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local_error = NULL;
	guint status;

	if (msg == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "ovirt: %s: %s: the engine gave an invalid imageio URL", self->display,
			    what);
		return NULL;
	}
	if (self->insecure)
		g_signal_connect(msg, "accept-certificate",
				 G_CALLBACK(ferry_ovirt_accept_any_certificate), NULL);
	body = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
	if (body == NULL) {
		g_set_error(error, FERRY_ERROR,
			    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
				    ? FERRY_ERROR_CANCELLED
				    : FERRY_ERROR_CONNECTION_FAILED,
			    "ovirt: %s: %s: cannot reach imageio (%s); check that the host of the "
			    "transfer is reachable from here",
			    self->display, what, local_error->message);
		return NULL;
	}
	status = soup_message_get_status(msg);
	if (status < 200 || status >= 300) {
		g_set_error(error, FERRY_ERROR,
			    status == 404 ? FERRY_ERROR_NOT_SUPPORTED : FERRY_ERROR_FAILED,
			    "ovirt: %s: %s: imageio answered HTTP %u%s", self->display, what,
			    status, status == 404 ? " (the transfer serves no such extents)" : "");
		return NULL;
	}
	if (!json_parser_load_from_data(parser, g_bytes_get_data(body, NULL),
					(gssize)g_bytes_get_size(body), &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "ovirt: %s: %s: imageio's answer is not JSON (%s)", self->display, what,
			    local_error->message);
		return NULL;
	}
	return json_node_copy(json_parser_get_root(parser));
}

/* --- XML --- */

xmlNode *
ferry_ovirt_xml_child(xmlNode *node, const char *name)
{
	for (xmlNode *child = node != NULL ? node->children : NULL; child != NULL;
	     child = child->next) {
		if (child->type == XML_ELEMENT_NODE &&
		    (name == NULL || xmlStrcmp(child->name, BAD_CAST name) == 0))
			return child;
	}
	return NULL;
}

xmlNode *
ferry_ovirt_xml_next(xmlNode *node, const char *name)
{
	for (xmlNode *next = node != NULL ? node->next : NULL; next != NULL; next = next->next) {
		if (next->type == XML_ELEMENT_NODE &&
		    (name == NULL || xmlStrcmp(next->name, BAD_CAST name) == 0))
			return next;
	}
	return NULL;
}

/* `a/b/c`: the first child named a, its first child b, … */
xmlNode *
ferry_ovirt_xml_path(xmlNode *node, const char *path)
{
	g_auto(GStrv) parts = NULL;
	if (path == NULL || *path == '\0')
		return node;
	parts = g_strsplit(path, "/", -1);
	for (guint i = 0; parts[i] != NULL && node != NULL; i++)
		node = ferry_ovirt_xml_child(node, parts[i]);
	return node;
}

char *
ferry_ovirt_xml_text(xmlNode *node, const char *path)
{
	xmlNode *found = ferry_ovirt_xml_path(node, path);
	xmlChar *content;
	char *text;
	if (found == NULL)
		return NULL;
	content = xmlNodeGetContent(found);
	text = g_strdup(content != NULL ? (const char *)content : "");
	xmlFree(content);
	g_strstrip(text);
	return text;
}

char *
ferry_ovirt_xml_id(xmlNode *node, const char *path)
{
	xmlNode *found = ferry_ovirt_xml_path(node, path);
	xmlChar *id = found != NULL ? xmlGetProp(found, BAD_CAST "id") : NULL;
	char *text = id != NULL ? g_strdup((const char *)id) : NULL;
	xmlFree(id);
	return text;
}

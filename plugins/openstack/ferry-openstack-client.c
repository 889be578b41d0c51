/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The OpenStack client: Keystone v3 authentication as Forklift's Secret
 * allows it (password with user and project by name or id and their
 * domains, application credentials, token), the service catalog (interface
 * and region) and JSON requests to the services, with one re-authentication
 * when a token expired. libsoup 3 and json-glib; the token and the password
 * never reach a message, a log or a command line. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-openstack-client.h"

struct _FerryOpenstackClient {
	GObject parent_instance;

	char *url; /* Keystone v3, no trailing slash */
	char *display_name;
	FerrySecret *secret;
	SoupSession *session;
	gboolean insecure;
	GBytes *ca;
	char *ca_dir; /* holds ca.pem while the client lives: GnuTLS reads it lazily */

	GMutex lock;
	char *token;
	JsonNode *catalog; /* token.catalog */
	char *project_id;
	char *project_name;
	gint64 token_obtained; /* monotonic µs */
	gint64 token_lifetime; /* µs, 0 when Keystone did not say */
	guint token_generation;
};

G_DEFINE_FINAL_TYPE(FerryOpenstackClient, ferry_openstack_client, G_TYPE_OBJECT)

static void
ferry_openstack_client_finalize(GObject *object)
{
	FerryOpenstackClient *self = FERRY_OPENSTACK_CLIENT(object);

	g_free(self->url);
	g_free(self->display_name);
	g_clear_object(&self->secret);
	g_clear_object(&self->session);
	g_clear_pointer(&self->ca, g_bytes_unref);
	if (self->ca_dir != NULL) {
		g_autofree char *path = g_build_filename(self->ca_dir, "ca.pem", NULL);
		g_unlink(path);
		g_rmdir(self->ca_dir);
		g_free(self->ca_dir);
	}
	g_mutex_clear(&self->lock);
	g_free(self->token);
	g_clear_pointer(&self->catalog, json_node_unref);
	g_free(self->project_id);
	g_free(self->project_name);
	G_OBJECT_CLASS(ferry_openstack_client_parent_class)->finalize(object);
}

static void
ferry_openstack_client_class_init(FerryOpenstackClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_openstack_client_finalize;
}

static void
ferry_openstack_client_init(FerryOpenstackClient *self)
{
	g_mutex_init(&self->lock);
}

/* a secret key, trimmed; NULL when absent or empty */
static char *
secret_string(FerrySecret *secret, const char *key)
{
	char *value = secret != NULL ? ferry_secret_dup_string(secret, key) : NULL;
	if (value != NULL && *g_strstrip(value) == '\0')
		g_clear_pointer(&value, g_free);
	return value;
}

static gboolean
client_accept_certificate(SoupMessage *msg,
			  GTlsCertificate *certificate,
			  GTlsCertificateFlags errors,
			  gpointer user_data)
{
	FerryOpenstackClient *self = user_data;
	return self->insecure;
}

/**
 * ferry_openstack_client_new:
 * @url: Keystone's v3 URL, `https://keystone.example.com:5000/v3`
 * @secret: the Provider's Secret (Forklift's keys: `authType`, `username`,
 *   `password`, `projectName`, `cacert`, `insecureSkipVerify`, …)
 * @display_name: how errors name the Provider (`Provider ns/name`)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): an unauthenticated client, or %NULL
 */
FerryOpenstackClient *
ferry_openstack_client_new(const char *url,
			   FerrySecret *secret,
			   const char *display_name,
			   GError **error)
{
	g_autoptr(FerryOpenstackClient) self = g_object_new(FERRY_OPENSTACK_TYPE_CLIENT, NULL);
	g_autoptr(GUri) uri = NULL;
	g_autofree char *trimmed = NULL;

	self->display_name = g_strdup(display_name);
	if (url == NULL || *url == '\0' ||
	    (uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL)) == NULL ||
	    (g_strcmp0(g_uri_get_scheme(uri), "https") != 0 &&
	     g_strcmp0(g_uri_get_scheme(uri), "http") != 0)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "openstack: %s: spec.url '%s' is not Keystone's URL; write it as "
			    "https://HOST:5000/v3",
			    display_name, url != NULL ? url : "");
		return NULL;
	}
	trimmed = g_strdup(url);
	while (g_str_has_suffix(trimmed, "/"))
		trimmed[strlen(trimmed) - 1] = '\0';
	/* Forklift accepts the identity URL with or without /v3 */
	self->url = g_str_has_suffix(trimmed, "/v3") ? g_steal_pointer(&trimmed)
						       : g_strconcat(trimmed, "/v3", NULL);
	self->secret = secret != NULL ? g_object_ref(secret) : ferry_secret_new("none");
	self->insecure = ferry_secret_get_boolean(self->secret, "insecureSkipVerify", FALSE);
	self->session = soup_session_new_with_options("timeout", 120, "idle-timeout", 30, NULL);
	self->ca = ferry_secret_get(self->secret, "cacert");
	if (self->ca == NULL)
		self->ca = ferry_secret_get(self->secret, "ca.crt");
	if (self->ca != NULL && g_bytes_get_size(self->ca) == 0)
		g_clear_pointer(&self->ca, g_bytes_unref);
	if (self->ca != NULL && !self->insecure) {
		g_autoptr(GError) local_error = NULL;
		g_autofree char *path = NULL;
		g_autoptr(GTlsDatabase) database = NULL;
		const char *key =
		    ferry_secret_has_key(self->secret, "cacert") ? "cacert" : "ca.crt";

		self->ca_dir = g_dir_make_tmp("ferry-openstack-XXXXXX", &local_error);
		if (self->ca_dir == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
				    "openstack: %s: cannot create a private directory for the CA: %s",
				    display_name, local_error->message);
			return NULL;
		}
		path = g_build_filename(self->ca_dir, "ca.pem", NULL);
		database = ferry_secret_new_tls_database(
		    self->secret, key, path, "put Keystone's CA certificate there in PEM form",
		    error);
		if (database == NULL) {
			g_prefix_error(error, "openstack: %s: ", display_name);
			return NULL;
		}
		soup_session_set_tls_database(self->session, database);
	}
	return g_steal_pointer(&self);
}

const char *
ferry_openstack_client_get_display_name(FerryOpenstackClient *self)
{
	return self->display_name;
}

FerrySecret *
ferry_openstack_client_get_secret(FerryOpenstackClient *self)
{
	return self->secret;
}

gboolean
ferry_openstack_client_get_insecure(FerryOpenstackClient *self)
{
	return self->insecure;
}

const char *
ferry_openstack_client_get_project_id(FerryOpenstackClient *self)
{
	return self->project_id;
}

const char *
ferry_openstack_client_get_project_name(FerryOpenstackClient *self)
{
	return self->project_name;
}

/* {"id": …} or {"name": …, "domain": {…}} for a user or a project */
static JsonObject *
auth_named(const char *id, const char *name, JsonObject *domain)
{
	JsonObject *object = json_object_new();
	if (id != NULL) {
		json_object_set_string_member(object, "id", id);
		if (domain != NULL)
			json_object_unref(domain);
	} else {
		json_object_set_string_member(object, "name", name);
		if (domain != NULL)
			json_object_set_object_member(object, "domain", domain);
	}
	return object;
}

/* the domain of a user or a project: its own keys, else domainID /
 * domainName, else defaultDomain, else the `default` domain */
static JsonObject *
auth_domain(FerrySecret *secret, const char *id_key, const char *name_key)
{
	const char *keys[][2] = {{id_key, "id"}, {name_key, "name"}, {"domainID", "id"},
				 {"domainName", "name"}, {"defaultDomain", "id"}};
	JsonObject *domain = json_object_new();

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autofree char *value = secret_string(secret, keys[i][0]);
		if (value != NULL) {
			json_object_set_string_member(domain, keys[i][1], value);
			return domain;
		}
	}
	json_object_set_string_member(domain, "id", "default");
	return domain;
}

static char *
client_auth_type(FerryOpenstackClient *self)
{
	g_autofree char *type = secret_string(self->secret, "authType");
	if (type == NULL)
		return g_strdup("password");
	return g_ascii_strdown(type, -1);
}

/* the request body of POST /auth/tokens; @scoped FALSE leaves the scope out
 * (to tell a wrong project from wrong credentials) */
static JsonNode *
client_auth_body(FerryOpenstackClient *self, gboolean scoped, GError **error)
{
	FerrySecret *secret = self->secret;
	g_autofree char *type = client_auth_type(self);
	g_autoptr(JsonObject) identity = json_object_new();
	JsonArray *methods = json_array_new();
	JsonObject *auth = json_object_new();
	JsonObject *root = json_object_new();
	gboolean may_scope = TRUE;
	JsonNode *node;

	json_object_set_array_member(identity, "methods", methods);
	if (g_strcmp0(type, "password") == 0) {
		g_autofree char *user_id = secret_string(secret, "userID");
		g_autofree char *user = secret_string(secret, "username");
		g_autofree char *password = secret_string(secret, "password");
		JsonObject *method = json_object_new();
		JsonObject *user_object;

		if ((user == NULL && user_id == NULL) || password == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "openstack: %s: Secret %s has no %s; authType password needs "
				    "username (or userID) and password",
				    self->display_name, ferry_secret_get_name(secret),
				    password == NULL ? "password" : "username");
			json_object_unref(method);
			json_object_unref(auth);
			json_object_unref(root);
			return NULL;
		}
		user_object = auth_named(user_id, user,
					 user_id != NULL ? NULL
							 : auth_domain(secret, "userDomainID",
								       "userDomainName"));
		json_object_set_string_member(user_object, "password", password);
		json_object_set_object_member(method, "user", user_object);
		json_array_add_string_element(methods, "password");
		json_object_set_object_member(identity, "password", method);
	} else if (g_strcmp0(type, "token") == 0) {
		g_autofree char *token = secret_string(secret, "token");
		JsonObject *method;
		if (token == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "openstack: %s: Secret %s has no token; authType token needs it",
				    self->display_name, ferry_secret_get_name(secret));
			json_object_unref(auth);
			json_object_unref(root);
			return NULL;
		}
		method = json_object_new();
		json_object_set_string_member(method, "id", token);
		json_array_add_string_element(methods, "token");
		json_object_set_object_member(identity, "token", method);
	} else if (g_strcmp0(type, "applicationcredential") == 0 ||
		   g_strcmp0(type, "v3applicationcredential") == 0) {
		g_autofree char *id = secret_string(secret, "applicationCredentialID");
		g_autofree char *name = secret_string(secret, "applicationCredentialName");
		g_autofree char *credential = secret_string(secret, "applicationCredentialSecret");
		JsonObject *method = json_object_new();

		if ((id == NULL && name == NULL) || credential == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "openstack: %s: Secret %s needs applicationCredentialSecret and "
				    "applicationCredentialID (or applicationCredentialName with "
				    "username or userID) for authType applicationcredential",
				    self->display_name, ferry_secret_get_name(secret));
			json_object_unref(method);
			json_object_unref(auth);
			json_object_unref(root);
			return NULL;
		}
		if (id != NULL) {
			json_object_set_string_member(method, "id", id);
		} else {
			g_autofree char *user_id = secret_string(secret, "userID");
			g_autofree char *user = secret_string(secret, "username");
			json_object_set_string_member(method, "name", name);
			json_object_set_object_member(
			    method, "user",
			    auth_named(user_id, user,
				       user_id != NULL ? NULL
						       : auth_domain(secret, "userDomainID",
								     "userDomainName")));
		}
		json_object_set_string_member(method, "secret", credential);
		json_array_add_string_element(methods, "application_credential");
		json_object_set_object_member(identity, "application_credential", method);
		/* an application credential carries its own scope */
		may_scope = FALSE;
	} else {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "openstack: %s: authType '%s' of Secret %s is not known; use password, "
			    "token or applicationcredential",
			    self->display_name, type, ferry_secret_get_name(secret));
		json_object_unref(auth);
		json_object_unref(root);
		return NULL;
	}
	json_object_set_object_member(auth, "identity", json_object_ref(identity));
	if (scoped && may_scope) {
		g_autofree char *project_id = secret_string(secret, "projectID");
		g_autofree char *project = secret_string(secret, "projectName");
		g_autofree char *domain_id = secret_string(secret, "domainID");
		g_autofree char *domain_name = secret_string(secret, "domainName");
		g_autofree char *system = secret_string(secret, "systemScope");
		JsonObject *scope = NULL;

		if (project_id != NULL || project != NULL) {
			scope = json_object_new();
			json_object_set_object_member(
			    scope, "project",
			    auth_named(project_id, project,
				       project_id != NULL ? NULL
							  : auth_domain(secret, "projectDomainID",
									"projectDomainName")));
		} else if (system != NULL) {
			JsonObject *all = json_object_new();
			json_object_set_boolean_member(all, "all", TRUE);
			scope = json_object_new();
			json_object_set_object_member(scope, "system", all);
		} else if (domain_id != NULL || domain_name != NULL) {
			scope = json_object_new();
			json_object_set_object_member(scope, "domain",
						      auth_named(domain_id, domain_name, NULL));
		}
		if (scope != NULL)
			json_object_set_object_member(auth, "scope", scope);
	}
	json_object_set_object_member(root, "auth", auth);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, root);
	return node;
}

/* a transport error: the host, the reason and the fix; never the body */
static void
client_set_transport_error(FerryOpenstackClient *self,
			   const char *what,
			   const char *url,
			   GError *cause,
			   GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	const char *host = uri != NULL ? g_uri_get_host(uri) : url;
	gint port = uri != NULL ? g_uri_get_port(uri) : -1;

	if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED, "openstack: %s: cancelled",
			    self->display_name);
	} else if (ferry_error_is_untrusted_certificate(cause)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
			    "openstack: %s: the certificate of %s %s:%d is not trusted (%s); put its "
			    "CA in key cacert of Secret %s, or set insecureSkipVerify: true to skip "
			    "the check",
			    self->display_name, what, host, port, cause->message,
			    ferry_secret_get_name(self->secret));
	} else {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
			    "openstack: %s: cannot reach %s at %s:%d (%s); check that the service "
			    "runs and that spec.url (or the catalog's endpoint) is right",
			    self->display_name, what, host, port, cause->message);
	}
}

static SoupMessage *
client_message(FerryOpenstackClient *self,
	       const char *method,
	       const char *url,
	       JsonNode *body,
	       const char *content_type)
{
	SoupMessage *msg = soup_message_new(method, url);
	SoupMessageHeaders *headers;

	if (msg == NULL)
		return NULL;
	headers = soup_message_get_request_headers(msg);
	soup_message_headers_replace(headers, "Accept", "application/json");
	soup_message_headers_replace(headers, "User-Agent", "ferry-openstack");
	if (body != NULL) {
		char *data = json_to_string(body, FALSE);
		g_autoptr(GBytes) payload = g_bytes_new_take(data, strlen(data));
		soup_message_set_request_body_from_bytes(msg, content_type, payload);
	}
	if (self->insecure)
		g_signal_connect(msg, "accept-certificate", G_CALLBACK(client_accept_certificate),
				 self);
	return msg;
}

/* Keystone's message of an error reply, if it is JSON */
static char *
client_error_message(GBytes *reply)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;
	JsonObject *object;
	const char *message = NULL;

	if (reply == NULL || g_bytes_get_size(reply) == 0 ||
	    !json_parser_load_from_data(parser, g_bytes_get_data(reply, NULL),
					(gssize)g_bytes_get_size(reply), NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	object = json_node_get_object(root);
	/* {"error": {"message"}}, {"itemNotFound": {"message"}}, {"NeutronError": …} */
	{
		g_autoptr(GList) members = json_object_get_members(object);
		for (GList *l = members; l != NULL && message == NULL; l = l->next) {
			JsonObject *inner = ferry_json_get_object(object, l->data);
			if (inner != NULL)
				message = ferry_json_get_string(inner, "message");
		}
	}
	if (message == NULL)
		message = ferry_json_get_string(object, "message");
	return message != NULL ? g_utf8_make_valid(message, MIN((gssize)strlen(message), 300)) : NULL;
}

/* POST /auth/tokens: returns the HTTP status (0 with @error set on a
 * transport error); on 201 keeps the token, the catalog and the project */
/* expires_at - issued_at of a Keystone token, in µs (0 when unknown) */
static gint64
token_lifetime(JsonObject *token)
{
	const char *issued = ferry_json_get_string(token, "issued_at");
	const char *expires = ferry_json_get_string(token, "expires_at");
	g_autoptr(GDateTime) from = NULL;
	g_autoptr(GDateTime) to = NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();

	if (issued == NULL || expires == NULL)
		return 0;
	from = g_date_time_new_from_iso8601(issued, utc);
	to = g_date_time_new_from_iso8601(expires, utc);
	if (from == NULL || to == NULL || g_date_time_difference(to, from) <= 0)
		return 0;
	return g_date_time_difference(to, from);
}

static guint
client_post_auth(FerryOpenstackClient *self,
		 gboolean scoped,
		 char **message,
		 GCancellable *cancellable,
		 GError **error)
{
	g_autoptr(JsonNode) body = client_auth_body(self, scoped, error);
	g_autofree char *url = g_strconcat(self->url, "/auth/tokens", NULL);
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) reply = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *token;
	const char *subject;
	guint status;

	if (body == NULL)
		return 0;
	msg = client_message(self, "POST", url, body, "application/json");
	reply = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
	if (reply == NULL) {
		client_set_transport_error(self, "Keystone", url, local_error, error);
		return 0;
	}
	status = soup_message_get_status(msg);
	if (status != 201) {
		if (message != NULL)
			*message = client_error_message(reply);
		return status;
	}
	subject = soup_message_headers_get_one(soup_message_get_response_headers(msg),
					       "X-Subject-Token");
	parser = json_parser_new();
	if (subject == NULL ||
	    !json_parser_load_from_data(parser, g_bytes_get_data(reply, NULL),
					(gssize)g_bytes_get_size(reply), NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)) ||
	    (token = ferry_json_get_object(json_node_get_object(json_parser_get_root(parser)),
					   "token")) == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "openstack: %s: Keystone at %s answered the authentication without a "
			    "token; is spec.url Keystone's v3 URL?",
			    self->display_name, self->url);
		return 0;
	}
	g_mutex_lock(&self->lock);
	g_free(self->token);
	self->token = g_strdup(subject);
	self->token_obtained = g_get_monotonic_time();
	self->token_lifetime = token_lifetime(token);
	self->token_generation++;
	g_clear_pointer(&self->catalog, json_node_unref);
	if (ferry_json_get_array(token, "catalog") != NULL)
		self->catalog = json_node_copy(json_object_get_member(token, "catalog"));
	g_clear_pointer(&self->project_id, g_free);
	g_clear_pointer(&self->project_name, g_free);
	if (ferry_json_get_object(token, "project") != NULL) {
		JsonObject *project = ferry_json_get_object(token, "project");
		self->project_id = g_strdup(ferry_json_get_string(project, "id"));
		self->project_name = g_strdup(ferry_json_get_string(project, "name"));
	}
	g_mutex_unlock(&self->lock);
	return status;
}

static char *
client_scope_text(FerryOpenstackClient *self)
{
	g_autofree char *project_id = secret_string(self->secret, "projectID");
	g_autofree char *project = secret_string(self->secret, "projectName");
	if (project_id != NULL)
		return g_strdup_printf("project id %s", project_id);
	if (project != NULL)
		return g_strdup_printf("project '%s'", project);
	return g_strdup("the requested scope");
}

/**
 * ferry_openstack_client_authenticate:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Gets a token (and the catalog) from Keystone. A refusal is told apart:
 * credentials Keystone does not accept, or a project the user has no role
 * on (the same credentials unscoped are accepted).
 *
 * Returns: %TRUE when authenticated
 */
gboolean
ferry_openstack_client_authenticate(FerryOpenstackClient *self,
				    GCancellable *cancellable,
				    GError **error)
{
	g_autofree char *message = NULL;
	g_autofree char *type = client_auth_type(self);
	guint status = client_post_auth(self, TRUE, &message, cancellable, error);

	if (status == 201)
		return TRUE;
	if (status == 0)
		return FALSE;
	if (status == 401 && g_strcmp0(type, "password") == 0) {
		/* the same credentials without the scope: a wrong project? */
		g_autofree char *unscoped_message = NULL;
		g_autoptr(GError) unscoped_error = NULL;
		guint unscoped = client_post_auth(self, FALSE, &unscoped_message, cancellable,
						  &unscoped_error);
		g_mutex_lock(&self->lock);
		g_clear_pointer(&self->token, g_free);
		g_clear_pointer(&self->catalog, json_node_unref);
		g_mutex_unlock(&self->lock);
		if (unscoped == 201) {
			g_autofree char *scope = client_scope_text(self);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
				    "openstack: %s: Keystone accepted the credentials but not %s: the "
				    "project does not exist or the user has no role on it; fix "
				    "projectName/projectID (and projectDomainName) in Secret %s",
				    self->display_name, scope, ferry_secret_get_name(self->secret));
			return FALSE;
		}
	}
	if (status == 401) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "openstack: %s: Keystone at %s refused the credentials of Secret %s "
			    "(authType %s)%s%s; check them (username, password, userDomainName, or "
			    "the token or application credential)",
			    self->display_name, self->url, ferry_secret_get_name(self->secret), type,
			    message != NULL ? ": " : "", message != NULL ? message : "");
		return FALSE;
	}
	if (status == 404) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "openstack: %s: %s/auth/tokens does not exist (HTTP 404); spec.url must be "
			    "Keystone's v3 URL, e.g. https://HOST:5000/v3",
			    self->display_name, self->url);
		return FALSE;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
		    "openstack: %s: Keystone at %s answered HTTP %u to the authentication%s%s",
		    self->display_name, self->url, status, message != NULL ? ": " : "",
		    message != NULL ? message : "");
	return FALSE;
}

static const char *
client_interface(FerryOpenstackClient *self, char **owned)
{
	*owned = secret_string(self->secret, "availability");
	return *owned != NULL ? *owned : "public";
}

/* the catalog entry's URL of @service_type for the interface and region */
static char *
client_lookup_endpoint(FerryOpenstackClient *self, const char *service_type)
{
	g_autofree char *owned = NULL;
	g_autofree char *region = secret_string(self->secret, "regionName");
	const char *interface = client_interface(self, &owned);
	JsonArray *services;
	char *found = NULL;

	g_mutex_lock(&self->lock);
	services = self->catalog != NULL && JSON_NODE_HOLDS_ARRAY(self->catalog)
			   ? json_node_get_array(self->catalog)
			   : NULL;
	for (guint i = 0; services != NULL && i < json_array_get_length(services) && !found; i++) {
		JsonObject *service = ferry_json_array_object(services, i);
		JsonArray *endpoints = ferry_json_get_array(service, "endpoints");
		if (g_strcmp0(ferry_json_get_string(service, "type"), service_type) != 0)
			continue;
		for (guint e = 0; endpoints != NULL && e < json_array_get_length(endpoints); e++) {
			JsonObject *endpoint = ferry_json_array_object(endpoints, e);
			const char *endpoint_region = ferry_json_get_string(endpoint, "region_id");
			if (endpoint_region == NULL)
				endpoint_region = ferry_json_get_string(endpoint, "region");
			if (g_strcmp0(ferry_json_get_string(endpoint, "interface"), interface) != 0)
				continue;
			if (region != NULL && g_strcmp0(endpoint_region, region) != 0)
				continue;
			found = g_strdup(ferry_json_get_string(endpoint, "url"));
			break;
		}
	}
	g_mutex_unlock(&self->lock);
	while (found != NULL && g_str_has_suffix(found, "/"))
		found[strlen(found) - 1] = '\0';
	return found;
}

gboolean
ferry_openstack_client_has_service(FerryOpenstackClient *self, const char *service_type)
{
	g_autofree char *url = client_lookup_endpoint(self, service_type);
	return url != NULL;
}

/**
 * ferry_openstack_client_list_services:
 * @self: a client
 *
 * Returns: (transfer full): the catalog's service types, e.g. `image`
 */
GStrv
ferry_openstack_client_list_services(FerryOpenstackClient *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	JsonArray *services;

	g_mutex_lock(&self->lock);
	services = self->catalog != NULL && JSON_NODE_HOLDS_ARRAY(self->catalog)
			   ? json_node_get_array(self->catalog)
			   : NULL;
	for (guint i = 0; services != NULL && i < json_array_get_length(services); i++) {
		const char *type = ferry_json_get_string(ferry_json_array_object(services, i), "type");
		if (type != NULL)
			g_strv_builder_add(builder, type);
	}
	g_mutex_unlock(&self->lock);
	return g_strv_builder_end(builder);
}

/**
 * ferry_openstack_client_dup_endpoint:
 * @self: an authenticated client
 * @service_type: `compute`, `volumev3`, `image`, `network`, `identity`
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the service's URL (no trailing slash), or %NULL
 *   with an error naming what the catalog offers
 */
char *
ferry_openstack_client_dup_endpoint(FerryOpenstackClient *self,
				    const char *service_type,
				    GError **error)
{
	char *url;

	if (g_strcmp0(service_type, "identity") == 0)
		return g_strdup(self->url);
	url = client_lookup_endpoint(self, service_type);
	if (url == NULL && g_strcmp0(service_type, "volumev3") == 0)
		url = client_lookup_endpoint(self, "block-storage");
	if (url == NULL) {
		g_autofree char *owned = NULL;
		g_autofree char *region = secret_string(self->secret, "regionName");
		g_auto(GStrv) services = ferry_openstack_client_list_services(self);
		g_autofree char *offered = g_strjoinv(", ", services);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "openstack: %s: the service catalog has no %s endpoint with interface "
			    "%s%s%s (it offers: %s); register the service in Keystone, or set "
			    "availability/regionName in Secret %s to one the catalog has",
			    self->display_name, service_type, client_interface(self, &owned),
			    region != NULL ? " in region " : "", region != NULL ? region : "",
			    *offered != '\0' ? offered : "nothing", ferry_secret_get_name(self->secret));
	}
	return url;
}

static const char *
service_display(const char *service_type)
{
	if (g_strcmp0(service_type, "compute") == 0)
		return "Nova";
	if (g_strcmp0(service_type, "volumev3") == 0)
		return "Cinder";
	if (g_strcmp0(service_type, "image") == 0)
		return "Glance";
	if (g_strcmp0(service_type, "network") == 0)
		return "Neutron";
	return "Keystone";
}

/* the versioned base of a service: Glance and Neutron's catalog URLs have
 * no version */
static char *
client_service_base(FerryOpenstackClient *self, const char *service_type, GError **error)
{
	g_autofree char *url = ferry_openstack_client_dup_endpoint(self, service_type, error);
	if (url == NULL)
		return NULL;
	if (g_strcmp0(service_type, "image") == 0 && !g_str_has_suffix(url, "/v2"))
		return g_strconcat(url, "/v2", NULL);
	if (g_strcmp0(service_type, "network") == 0 && !g_str_has_suffix(url, "/v2.0"))
		return g_strconcat(url, "/v2.0", NULL);
	return g_steal_pointer(&url);
}

/**
 * ferry_openstack_client_request:
 * @self: an authenticated client
 * @service_type: the catalog service type
 * @method: HTTP method
 * @path: below the service's versioned URL, `/servers/detail`, or an
 *   absolute URL
 * @body: (nullable): a JSON request body
 * @status: (out) (optional): the HTTP status
 * @reply_headers: (out) (optional) (transfer full): the reply's headers
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends one request with the token; on 401 authenticates again once and
 * retries (an expired token). A reply outside 2xx is an error naming the
 * service and the status; 404 is %FERRY_ERROR_NOT_FOUND.
 *
 * Returns: (transfer full) (nullable): the reply's JSON (a null node for an
 *   empty body), or %NULL with @error set
 */
JsonNode *
ferry_openstack_client_request(FerryOpenstackClient *self,
			       const char *service_type,
			       const char *method,
			       const char *path,
			       JsonNode *body,
			       guint *status,
			       SoupMessageHeaders **reply_headers,
			       GCancellable *cancellable,
			       GError **error)
{
	g_autofree char *base = NULL;
	g_autofree char *url = NULL;
	guint code = 0;

	if (g_str_has_prefix(path, "http://") || g_str_has_prefix(path, "https://")) {
		url = g_strdup(path);
	} else {
		base = client_service_base(self, service_type, error);
		if (base == NULL)
			return NULL;
		url = g_strconcat(base, path, NULL);
	}
	for (guint attempt = 0; attempt < 2; attempt++) {
		/* Glance takes JSON patches only with its own media type */
		g_autoptr(SoupMessage) msg = client_message(
		    self, method, url, body,
		    g_strcmp0(method, "PATCH") == 0 && g_strcmp0(service_type, "image") == 0
			? "application/openstack-images-v2.1-json-patch"
			: "application/json");
		g_autoptr(GBytes) reply = NULL;
		g_autoptr(GError) local_error = NULL;
		g_autoptr(JsonParser) parser = NULL;
		SoupMessageHeaders *headers;

		if (msg == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "openstack: %s: '%s' is not a valid URL for %s",
				    self->display_name, url, service_display(service_type));
			return NULL;
		}
		headers = soup_message_get_request_headers(msg);
		g_mutex_lock(&self->lock);
		if (self->token != NULL)
			soup_message_headers_replace(headers, "X-Auth-Token", self->token);
		g_mutex_unlock(&self->lock);
		if (g_strcmp0(service_type, "compute") == 0)
			soup_message_headers_replace(headers, "OpenStack-API-Version", "compute 2.1");
		reply = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
		if (reply == NULL) {
			client_set_transport_error(self, service_display(service_type), url,
						   local_error, error);
			return NULL;
		}
		code = soup_message_get_status(msg);
		if (status != NULL)
			*status = code;
		if (code == 401 && attempt == 0) {
			/* the token expired or was revoked: once more with a new one */
			if (!ferry_openstack_client_authenticate(self, cancellable, error))
				return NULL;
			continue;
		}
		if (code < 200 || code >= 300) {
			g_autofree char *message = client_error_message(reply);
			g_set_error(error, FERRY_ERROR,
				    code == 404   ? FERRY_ERROR_NOT_FOUND
				    : code == 403 ? FERRY_ERROR_PERMISSION_DENIED
				    : code == 401 ? FERRY_ERROR_AUTH_FAILED
				    : code == 409 ? FERRY_ERROR_INVALID_STATE
						  : FERRY_ERROR_FAILED,
				    "openstack: %s: %s %s %s: HTTP %u%s%s", self->display_name,
				    service_display(service_type), method, path, code,
				    message != NULL ? ": " : "", message != NULL ? message : "");
			return NULL;
		}
		if (reply_headers != NULL)
			*reply_headers =
			    soup_message_headers_ref(soup_message_get_response_headers(msg));
		if (g_bytes_get_size(reply) == 0)
			return json_node_new(JSON_NODE_NULL);
		parser = json_parser_new();
		if (!json_parser_load_from_data(parser, g_bytes_get_data(reply, NULL),
						(gssize)g_bytes_get_size(reply), &local_error)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "openstack: %s: %s %s %s: the reply is not JSON (%s)",
				    self->display_name, service_display(service_type), method, path,
				    local_error->message);
			return NULL;
		}
		return json_parser_steal_root(parser);
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
		    "openstack: %s: %s refused a fresh token for %s %s (HTTP 401); the user may "
		    "lack a role on the project",
		    self->display_name, service_display(service_type), method, path);
	return NULL;
}

/**
 * ferry_openstack_client_get_token_age:
 * @self: a client
 * @lifetime: (out) (optional): the token's lifetime in µs as Keystone gave
 *   it (expires_at - issued_at), 0 when unknown
 * @generation: (out) (optional): how many tokens the client has had, so a
 *   holder of a copy knows when it changed
 *
 * Returns: how long ago (µs) the current token was obtained, or -1 when
 *   the client has none
 */
gint64
ferry_openstack_client_get_token_age(FerryOpenstackClient *self,
				     gint64 *lifetime,
				     guint *generation)
{
	gint64 age;

	g_mutex_lock(&self->lock);
	age = self->token != NULL ? g_get_monotonic_time() - self->token_obtained : -1;
	if (lifetime != NULL)
		*lifetime = self->token_lifetime;
	if (generation != NULL)
		*generation = self->token_generation;
	g_mutex_unlock(&self->lock);
	return age;
}

/**
 * ferry_openstack_client_write_token_header:
 * @self: an authenticated client
 * @path: a file in a private (0700) directory
 * @error: return location for a #GError
 *
 * Writes `X-Auth-Token: TOKEN` (mode 0600) for nbdkit's header-script, so
 * the token is on no command line. Call again after a re-authentication.
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_openstack_client_write_token_header(FerryOpenstackClient *self,
					  const char *path,
					  GError **error)
{
	g_autofree char *line = NULL;
	g_autoptr(GError) local_error = NULL;

	g_mutex_lock(&self->lock);
	line = g_strdup_printf("X-Auth-Token: %s\n", self->token != NULL ? self->token : "");
	g_mutex_unlock(&self->lock);
	if (!g_file_set_contents_full(path, line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "openstack: %s: cannot write %s: %s",
			    self->display_name, path, local_error->message);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_openstack_client_write_ca_file:
 * @self: a client
 * @path: where to write the Secret's CA bundle
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): @path when the Secret has a CA (and
 *   insecureSkipVerify is not set), else %NULL without an error
 */
char *
ferry_openstack_client_write_ca_file(FerryOpenstackClient *self, const char *path, GError **error)
{
	g_autoptr(GError) local_error = NULL;

	if (self->ca == NULL || self->insecure)
		return NULL;
	if (!g_file_set_contents_full(path, g_bytes_get_data(self->ca, NULL),
				      (gssize)g_bytes_get_size(self->ca),
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "openstack: %s: cannot write %s: %s",
			    self->display_name, path, local_error->message);
		return NULL;
	}
	return g_strdup(path);
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-kube-client.h"
#include "ferry-json-private.h"
#include "ferry-kube-private.h"

/**
 * FerryKubeClient:
 *
 * A Kubernetes API client on libsoup 3 and json-glib: discovery, get, list
 * (paginated), create, replace, server-side apply, merge and JSON patches,
 * status updates, delete, pod logs, watches ([class@KubeWatch]) and port
 * forwarding ([class@KubePortForward]).
 *
 * Objects are #JsonNode trees as the API server sends them; resources are
 * named by `apiVersion` and `kind` and resolved through discovery.
 *
 * Calls block and may be made from any thread; each takes a #GCancellable
 * and gives up after the client's timeout without a byte from the server.
 * A 429 reply is retried after its `Retry-After` (at most five times, at
 * most ten seconds each). Errors are in %FERRY_ERROR and name the verb,
 * the resource, the namespace and name and the API server's message.
 *
 * Since: 0.1
 */
struct _FerryKubeClient {
	GObject parent_instance;
	FerryKubeConfig *config;
	SoupSession *session;	     /* requests, with the I/O timeout */
	SoupSession *stream_session; /* logs and watches: no I/O timeout */
	guint timeout;
	guint page_size;
	char *field_manager;
	GMutex lock;
	GHashTable *discovery; /* "group/version" → APIResourceList (JsonNode) */
	GStrv api_versions;
};

G_DEFINE_TYPE(FerryKubeClient, ferry_kube_client, G_TYPE_OBJECT)

#define FERRY_KUBE_DEFAULT_TIMEOUT   30
#define FERRY_KUBE_DEFAULT_PAGE_SIZE 500
#define FERRY_KUBE_MAX_RETRIES	     5
#define FERRY_KUBE_MAX_RETRY_AFTER   10
#define FERRY_KUBE_MAX_CONFLICT_RETRIES 10

static void
ferry_kube_client_finalize(GObject *object)
{
	FerryKubeClient *self = FERRY_KUBE_CLIENT(object);

	g_clear_object(&self->session);
	g_clear_object(&self->stream_session);
	g_clear_object(&self->config);
	g_free(self->field_manager);
	g_hash_table_unref(self->discovery);
	g_strfreev(self->api_versions);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_kube_client_parent_class)->finalize(object);
}

static void
ferry_kube_client_class_init(FerryKubeClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_kube_client_finalize;
}

static void
ferry_kube_client_init(FerryKubeClient *self)
{
	g_mutex_init(&self->lock);
	self->timeout = FERRY_KUBE_DEFAULT_TIMEOUT;
	self->page_size = FERRY_KUBE_DEFAULT_PAGE_SIZE;
	self->field_manager = g_strdup("ferry");
	self->discovery =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_node_unref);
}

/**
 * ferry_kube_client_new:
 * @config: where the API server is and how to authenticate
 *
 * Returns: (transfer full): a client; nothing is sent until the first call
 *
 * Since: 0.1
 */
FerryKubeClient *
ferry_kube_client_new(FerryKubeConfig *config)
{
	FerryKubeClient *self;

	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(config), NULL);
	self = g_object_new(FERRY_TYPE_KUBE_CLIENT, NULL);
	self->config = g_object_ref(config);
	self->session = ferry_kube_session_new(config, self->timeout);
	self->stream_session = ferry_kube_session_new(config, 0);
	return self;
}

/**
 * ferry_kube_client_get_config:
 * @self: a #FerryKubeClient
 *
 * Returns: (transfer none): the configuration
 *
 * Since: 0.1
 */
FerryKubeConfig *
ferry_kube_client_get_config(FerryKubeClient *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	return self->config;
}

/**
 * ferry_kube_client_set_timeout:
 * @self: a #FerryKubeClient
 * @seconds: how long a call may wait for the server; 0 for ever
 *
 * Sets the I/O timeout of later calls (default 30 seconds). Call it before
 * the first request. Follow-mode logs and watches have no timeout: the
 * caller stops them.
 *
 * Since: 0.1
 */
void
ferry_kube_client_set_timeout(FerryKubeClient *self, guint seconds)
{
	g_return_if_fail(FERRY_IS_KUBE_CLIENT(self));
	self->timeout = seconds;
	g_object_set(self->session, "timeout", seconds, NULL);
}

/**
 * ferry_kube_client_get_timeout:
 * @self: a #FerryKubeClient
 *
 * Returns: the I/O timeout in seconds
 *
 * Since: 0.1
 */
guint
ferry_kube_client_get_timeout(FerryKubeClient *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), 0);
	return self->timeout;
}

/**
 * ferry_kube_client_set_page_size:
 * @self: a #FerryKubeClient
 * @page_size: the `limit` of each page a list fetches; 0 for no paging
 *
 * Since: 0.1
 */
void
ferry_kube_client_set_page_size(FerryKubeClient *self, guint page_size)
{
	g_return_if_fail(FERRY_IS_KUBE_CLIENT(self));
	self->page_size = page_size;
}

/**
 * ferry_kube_client_set_field_manager:
 * @self: a #FerryKubeClient
 * @field_manager: the field manager of server-side apply (default `ferry`)
 *
 * Since: 0.1
 */
void
ferry_kube_client_set_field_manager(FerryKubeClient *self, const char *field_manager)
{
	g_return_if_fail(FERRY_IS_KUBE_CLIENT(self));
	g_return_if_fail(field_manager != NULL && *field_manager != '\0');
	g_free(self->field_manager);
	self->field_manager = g_strdup(field_manager);
}

void
ferry_kube_resource_free(FerryKubeResource *resource)
{
	if (resource == NULL)
		return;
	g_free(resource->group);
	g_free(resource->version);
	g_free(resource->resource);
	g_free(resource->kind);
	g_free(resource);
}

/* --- errors --- */

static void
ferry_kube_target_describe(GString *text, const FerryKubeTarget *target)
{
	g_string_append_printf(text, "kubernetes: cannot %s ", target->verb);
	g_string_append(text, target->resource != NULL ? target->resource : "resource");
	if (target->group != NULL && *target->group != '\0')
		g_string_append_printf(text, ".%s", target->group);
	if (target->subresource != NULL)
		g_string_append_printf(text, "/%s", target->subresource);
	if (target->name != NULL) {
		g_string_append_c(text, ' ');
		if (target->namespace != NULL)
			g_string_append_printf(text, "%s/", target->namespace);
		g_string_append(text, target->name);
	} else if (target->namespace != NULL) {
		g_string_append_printf(text, " in namespace %s", target->namespace);
	}
}

static JsonObject *
ferry_kube_status_parse(GBytes *body)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	if (body == NULL || g_bytes_get_size(body) == 0)
		return NULL;
	if (!json_parser_load_from_data(parser, g_bytes_get_data(body, NULL),
					(gssize)g_bytes_get_size(body), NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

char *
ferry_kube_status_dup_reason(GBytes *body)
{
	g_autoptr(JsonObject) status = ferry_kube_status_parse(body);

	if (status == NULL)
		return NULL;
	return g_strdup(ferry_json_get_string_or(status, "reason", NULL));
}

static FerryError
ferry_kube_status_to_code(guint http_status, const char *reason)
{
	switch (http_status) {
	case 400:
	case 413:
		return FERRY_ERROR_INVALID_ARGUMENT;
	case 401:
		return FERRY_ERROR_AUTH_FAILED;
	case 403:
		return FERRY_ERROR_PERMISSION_DENIED;
	case 404:
		return FERRY_ERROR_NOT_FOUND;
	case 405:
	case 406:
	case 415:
		return FERRY_ERROR_NOT_SUPPORTED;
	case 409:
		return g_strcmp0(reason, "AlreadyExists") == 0 ? FERRY_ERROR_EXISTS
							       : FERRY_ERROR_BUSY;
	case 410:
		return FERRY_ERROR_INVALID_STATE;
	case 422:
		return FERRY_ERROR_INVALID_DATA;
	case 429:
		return FERRY_ERROR_BUSY;
	case 502:
	case 503:
		return FERRY_ERROR_CONNECTION_FAILED;
	case 504:
		return FERRY_ERROR_TIMED_OUT;
	default:
		return FERRY_ERROR_FAILED;
	}
}

void
ferry_kube_set_status_error(GError **error,
			    FerryKubeConfig *config,
			    const FerryKubeTarget *target,
			    guint http_status,
			    GBytes *body)
{
	g_autoptr(JsonObject) status = ferry_kube_status_parse(body);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree char *raw = NULL;
	const char *reason = NULL;
	const char *message = NULL;

	if (status != NULL) {
		reason = ferry_json_get_string_or(status, "reason", NULL);
		message = ferry_json_get_string_or(status, "message", NULL);
	}
	if ((message == NULL || *message == '\0') && body != NULL && g_bytes_get_size(body) > 0 &&
	    status == NULL) {
		gsize len = MIN(g_bytes_get_size(body), 300);
		raw = g_utf8_make_valid(g_bytes_get_data(body, NULL), (gssize)len);
		message = g_strstrip(raw);
	}
	if ((message == NULL || *message == '\0') && http_status == 429)
		message = "Too Many Requests";
	if (message == NULL || *message == '\0')
		message = soup_status_get_phrase(http_status);
	ferry_kube_target_describe(text, target);
	switch (http_status) {
	case 401:
		g_string_append_printf(
		    text,
		    ": the API server %s refused the credentials of %s (401 Unauthorized); check "
		    "that the token, token file, exec plugin or client certificate belongs to this "
		    "cluster and has not expired",
		    ferry_kube_config_get_server(config), ferry_kube_config_get_origin(config));
		break;
	case 403:
		g_string_append_printf(text, ": %s (403 Forbidden); the user needs an RBAC rule "
					     "allowing verb \"%s\" on resource \"%s",
				       message, target->verb, target->resource);
		if (target->subresource != NULL)
			g_string_append_printf(text, "/%s", target->subresource);
		g_string_append_printf(text, "\" in API group \"%s\" ",
				       target->group != NULL ? target->group : "");
		if (target->namespace != NULL)
			g_string_append_printf(text, "in namespace %s", target->namespace);
		else
			g_string_append(text, "cluster-wide (a ClusterRole)");
		break;
	default:
		g_string_append_printf(text, ": %s (HTTP %u)", message, http_status);
		break;
	}
	g_set_error_literal(error, FERRY_ERROR, ferry_kube_status_to_code(http_status, reason),
			    text->str);
}

void
ferry_kube_set_transport_error(GError **error,
			       FerryKubeConfig *config,
			       const FerryKubeTarget *target,
			       GError *cause)
{
	g_autoptr(GString) text = g_string_new(NULL);
	FerryError code = FERRY_ERROR_CONNECTION_FAILED;

	ferry_kube_target_describe(text, target);
	if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		code = FERRY_ERROR_CANCELLED;
		g_string_append(text, ": cancelled");
	} else if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
		code = FERRY_ERROR_TIMED_OUT;
		g_string_append_printf(text, ": the API server %s did not answer in time (%s)",
				       ferry_kube_config_get_server(config), cause->message);
	} else if (g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS)) {
		/* GnuTLS reports a connection closed in the middle of the handshake
		 * (an API server restarting) as NOT_TLS, like a server that does
		 * not speak TLS at all: transient, and not the CA's fault */
		g_string_append_printf(text,
				       ": the API server %s broke off the TLS handshake (%s): it is "
				       "restarting, or does not speak TLS at that address",
				       ferry_kube_config_get_server(config), cause->message);
	} else if (cause->domain == G_TLS_ERROR &&
		   !g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_MISC) &&
		   !g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_EOF)) {
		/* a handshake the server broke off (a restart) is not the CA's fault */
		code = FERRY_ERROR_TLS_FAILED;
		g_string_append_printf(
		    text,
		    ": TLS with the API server %s failed: %s; check the cluster's CA "
		    "(certificate-authority, cacert) in %s",
		    ferry_kube_config_get_server(config), cause->message,
		    ferry_kube_config_get_origin(config));
	} else if (cause->domain == FERRY_ERROR) {
		code = cause->code;
		g_string_append_printf(text, ": %s", cause->message);
	} else {
		g_string_append_printf(text, ": cannot reach the API server %s: %s",
				       ferry_kube_config_get_server(config), cause->message);
	}
	g_set_error_literal(error, FERRY_ERROR, code, text->str);
}

/* --- requests --- */

void
ferry_kube_append_query(GString *path, const char *name, const char *value)
{
	g_autofree char *escaped = NULL;

	if (value == NULL)
		return;
	escaped = g_uri_escape_string(value, NULL, FALSE);
	g_string_append_c(path, strchr(path->str, '?') != NULL ? '&' : '?');
	g_string_append_printf(path, "%s=%s", name, escaped);
}

char *
ferry_kube_resource_build_path(const FerryKubeResource *resource,
			       const char *namespace,
			       const char *name,
			       const char *subresource)
{
	GString *path = g_string_new(NULL);

	if (resource->group == NULL || *resource->group == '\0')
		g_string_append_printf(path, "/api/%s", resource->version);
	else
		g_string_append_printf(path, "/apis/%s/%s", resource->group, resource->version);
	if (resource->namespaced && namespace != NULL) {
		g_autofree char *escaped = g_uri_escape_string(namespace, NULL, FALSE);
		g_string_append_printf(path, "/namespaces/%s", escaped);
	}
	g_string_append_printf(path, "/%s", resource->resource);
	if (name != NULL) {
		g_autofree char *escaped = g_uri_escape_string(name, NULL, FALSE);
		g_string_append_printf(path, "/%s", escaped);
	}
	if (subresource != NULL)
		g_string_append_printf(path, "/%s", subresource);
	return g_string_free(path, FALSE);
}

/* waits, waking early on cancel; FALSE when cancelled */
static gboolean
ferry_kube_sleep(guint seconds, GCancellable *cancellable)
{
	gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < end) {
		if (g_cancellable_is_cancelled(cancellable))
			return FALSE;
		g_usleep(50 * 1000);
	}
	return !g_cancellable_is_cancelled(cancellable);
}

static guint
ferry_kube_retry_after(SoupMessage *msg)
{
	const char *value =
	    soup_message_headers_get_one(soup_message_get_response_headers(msg), "Retry-After");
	guint64 seconds = 1;

	if (value != NULL && g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT, &seconds, NULL))
		seconds = MAX(seconds, 1);
	return (guint)MIN(seconds, FERRY_KUBE_MAX_RETRY_AFTER);
}

static SoupMessage *
ferry_kube_client_new_message(FerryKubeClient *self,
			      const char *method,
			      const char *path,
			      const FerryKubeTarget *target,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autofree char *url = g_strconcat(ferry_kube_config_get_server(self->config), path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, url);
	g_autoptr(GError) local_error = NULL;

	if (msg == NULL) {
		g_autoptr(GString) text = g_string_new(NULL);
		ferry_kube_target_describe(text, target);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: %s is not a valid URL", text->str, url);
		return NULL;
	}
	if (!ferry_kube_message_prepare(self->config, msg, cancellable, &local_error)) {
		ferry_kube_set_transport_error(error, self->config, target, local_error);
		return NULL;
	}
	return g_steal_pointer(&msg);
}

static GBytes *
ferry_kube_client_send_full(FerryKubeClient *self,
			    const char *method,
			    const char *path,
			    const char *content_type,
			    GBytes *body,
			    const FerryKubeTarget *target,
			    guint *status,
			    GBytes **error_body,
			    GCancellable *cancellable,
			    GError **error)
{
	gboolean refreshed = FALSE;

	for (guint attempt = 0;; attempt++) {
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GBytes) reply = NULL;
		g_autoptr(GError) local_error = NULL;
		guint http_status;

		if (status != NULL)
			*status = 0;
		msg = ferry_kube_client_new_message(self, method, path, target, cancellable, error);
		if (msg == NULL)
			return NULL;
		if (body != NULL)
			soup_message_set_request_body_from_bytes(msg, content_type, body);
		reply = soup_session_send_and_read(self->session, msg, cancellable, &local_error);
		if (reply == NULL) {
			ferry_kube_set_transport_error(error, self->config, target, local_error);
			return NULL;
		}
		http_status = soup_message_get_status(msg);
		if (status != NULL)
			*status = http_status;
		if (SOUP_STATUS_IS_SUCCESSFUL(http_status))
			return g_steal_pointer(&reply);
		if (http_status == 429 && attempt < FERRY_KUBE_MAX_RETRIES) {
			guint wait = ferry_kube_retry_after(msg);
			g_debug("kubernetes: %s %s: too many requests, retrying in %u s",
				target->verb, target->resource, wait);
			if (ferry_kube_sleep(wait, cancellable))
				continue;
		}
		if (http_status == 401 && !refreshed &&
		    g_strcmp0(ferry_kube_config_get_auth_kind(self->config), "exec") == 0) {
			/* the plugin's token may have been revoked before its expiry */
			refreshed = TRUE;
			ferry_kube_config_invalidate_token(self->config);
			continue;
		}
		ferry_kube_set_status_error(error, self->config, target, http_status, reply);
		if (error_body != NULL)
			*error_body = g_steal_pointer(&reply);
		return NULL;
	}
}

GBytes *
ferry_kube_client_send(FerryKubeClient *self,
		       const char *method,
		       const char *path,
		       const char *content_type,
		       GBytes *body,
		       const FerryKubeTarget *target,
		       guint *status,
		       GCancellable *cancellable,
		       GError **error)
{
	return ferry_kube_client_send_full(self, method, path, content_type, body, target, status,
					   NULL, cancellable, error);
}

GInputStream *
ferry_kube_client_open_stream(FerryKubeClient *self,
			      const char *path,
			      const FerryKubeTarget *target,
			      guint *status,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GError) local_error = NULL;
	guint http_status;

	if (status != NULL)
		*status = 0;
	msg = ferry_kube_client_new_message(self, "GET", path, target, cancellable, error);
	if (msg == NULL)
		return NULL;
	stream = soup_session_send(self->stream_session, msg, cancellable, &local_error);
	if (stream == NULL) {
		ferry_kube_set_transport_error(error, self->config, target, local_error);
		return NULL;
	}
	http_status = soup_message_get_status(msg);
	if (status != NULL)
		*status = http_status;
	if (!SOUP_STATUS_IS_SUCCESSFUL(http_status)) {
		g_autoptr(GOutputStream) sink = g_memory_output_stream_new_resizable();
		g_autoptr(GBytes) body = NULL;

		g_output_stream_splice(sink, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, cancellable,
				       NULL);
		body = g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(sink));
		ferry_kube_set_status_error(error, self->config, target, http_status, body);
		return NULL;
	}
	return g_steal_pointer(&stream);
}

static JsonNode *
ferry_kube_parse_bytes(GBytes *bytes, const FerryKubeTarget *target, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local_error = NULL;

	if (!json_parser_load_from_data(parser, g_bytes_get_data(bytes, NULL),
					(gssize)g_bytes_get_size(bytes), &local_error) ||
	    json_parser_get_root(parser) == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "kubernetes: %s %s: the API server's reply is not JSON: %s",
			    target->verb, target->resource,
			    local_error != NULL ? local_error->message : "empty");
		return NULL;
	}
	return json_node_ref(json_parser_get_root(parser));
}

static GBytes *
ferry_kube_node_to_bytes(JsonNode *node)
{
	gsize len = 0;
	char *text = json_to_string(node, FALSE);

	len = strlen(text);
	return g_bytes_new_take(text, len);
}

/* --- discovery --- */

static JsonNode *
ferry_kube_client_get_path(FerryKubeClient *self,
			   const char *path,
			   const FerryKubeTarget *target,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autoptr(GBytes) reply =
	    ferry_kube_client_send(self, "GET", path, NULL, NULL, target, NULL, cancellable, error);

	if (reply == NULL)
		return NULL;
	return ferry_kube_parse_bytes(reply, target, error);
}

static void
ferry_kube_split_api_version(const char *api_version, char **group, char **version)
{
	const char *slash = strchr(api_version, '/');

	if (slash == NULL) {
		*group = g_strdup("");
		*version = g_strdup(api_version);
	} else {
		*group = g_strndup(api_version, (gsize)(slash - api_version));
		*version = g_strdup(slash + 1);
	}
}

static JsonNode *
ferry_kube_client_discover(FerryKubeClient *self,
			   const char *api_version,
			   gboolean refresh,
			   GCancellable *cancellable,
			   GError **error)
{
	FerryKubeTarget target = {.verb = "get", .resource = "API discovery"};
	g_autofree char *path = NULL;
	JsonNode *list;

	g_mutex_lock(&self->lock);
	list = refresh ? NULL : g_hash_table_lookup(self->discovery, api_version);
	if (list != NULL)
		list = json_node_ref(list);
	g_mutex_unlock(&self->lock);
	if (list != NULL)
		return list;
	path = strchr(api_version, '/') != NULL ? g_strdup_printf("/apis/%s", api_version)
						: g_strdup_printf("/api/%s", api_version);
	target.name = api_version;
	list = ferry_kube_client_get_path(self, path, &target, cancellable, error);
	if (list == NULL || !JSON_NODE_HOLDS_OBJECT(list)) {
		if (list != NULL) {
			json_node_unref(list);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "kubernetes: discovery of %s: not an APIResourceList",
				    api_version);
		}
		return NULL;
	}
	g_mutex_lock(&self->lock);
	g_hash_table_replace(self->discovery, g_strdup(api_version), json_node_ref(list));
	g_mutex_unlock(&self->lock);
	return list;
}

static FerryKubeResource *
ferry_kube_resource_find(JsonNode *list, const char *api_version, const char *kind)
{
	JsonObject *object = json_node_get_object(list);
	JsonArray *resources;

	if (!json_object_has_member(object, "resources") ||
	    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(object, "resources")))
		return NULL;
	resources = json_object_get_array_member(object, "resources");
	for (guint i = 0; i < json_array_get_length(resources); i++) {
		JsonObject *entry = ferry_json_array_object(resources, i);
		const char *name;
		FerryKubeResource *resource;

		if (entry == NULL)
			continue;
		name = ferry_json_get_string_or(entry, "name", "");
		if (strchr(name, '/') != NULL ||
		    g_strcmp0(ferry_json_get_string_or(entry, "kind", NULL),
			      kind) != 0)
			continue;
		resource = g_new0(FerryKubeResource, 1);
		ferry_kube_split_api_version(api_version, &resource->group, &resource->version);
		resource->resource = g_strdup(name);
		resource->kind = g_strdup(kind);
		resource->namespaced =
		    ferry_json_get_bool_or(entry, "namespaced", FALSE);
		return resource;
	}
	return NULL;
}

FerryKubeResource *
ferry_kube_client_lookup(FerryKubeClient *self,
			 const char *api_version,
			 const char *kind,
			 GCancellable *cancellable,
			 GError **error)
{
	for (guint pass = 0; pass < 2; pass++) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(JsonNode) list =
		    ferry_kube_client_discover(self, api_version, pass > 0, cancellable, &local_error);
		FerryKubeResource *resource;

		if (list == NULL) {
			if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
					    "kubernetes: the API server %s does not serve %s; is "
					    "the CRD or API group installed?",
					    ferry_kube_config_get_server(self->config),
					    api_version);
				return NULL;
			}
			g_propagate_error(error, g_steal_pointer(&local_error));
			return NULL;
		}
		resource = ferry_kube_resource_find(list, api_version, kind);
		if (resource != NULL)
			return resource;
		/* a CRD installed after the cache was filled: look once more */
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
		    "kubernetes: the API server %s has no kind %s in %s",
		    ferry_kube_config_get_server(self->config), kind, api_version);
	return NULL;
}

/**
 * ferry_kube_client_resolve_resource:
 * @self: a #FerryKubeClient
 * @api_version: `v1`, `kubevirt.io/v1`…
 * @kind: `Pod`, `VirtualMachine`…
 * @namespaced: (out) (optional): whether the resource lives in namespaces
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Finds the resource (plural) name of a kind through discovery, cached
 * per API version.
 *
 * Returns: (transfer full): the resource name, e.g. `virtualmachines`
 *
 * Since: 0.1
 */
char *
ferry_kube_client_resolve_resource(FerryKubeClient *self,
				   const char *api_version,
				   const char *kind,
				   gboolean *namespaced,
				   GCancellable *cancellable,
				   GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(api_version != NULL && kind != NULL, NULL);
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return NULL;
	if (namespaced != NULL)
		*namespaced = resource->namespaced;
	return g_strdup(resource->resource);
}

/**
 * ferry_kube_client_get_api_versions:
 * @self: a #FerryKubeClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists the API versions the server serves, from `/api` and `/apis`
 * (cached): `v1`, `apps/v1`, `kubevirt.io/v1`…
 *
 * Returns: (transfer full): the group versions
 *
 * Since: 0.1
 */
GStrv
ferry_kube_client_get_api_versions(FerryKubeClient *self,
				   GCancellable *cancellable,
				   GError **error)
{
	FerryKubeTarget target = {.verb = "get", .resource = "API discovery"};
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_autoptr(JsonNode) core = NULL;
	g_autoptr(JsonNode) groups = NULL;
	JsonArray *array;
	GStrv result;

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_mutex_lock(&self->lock);
	result = g_strdupv(self->api_versions);
	g_mutex_unlock(&self->lock);
	if (result != NULL)
		return result;
	core = ferry_kube_client_get_path(self, "/api", &target, cancellable, error);
	if (core == NULL)
		return NULL;
	groups = ferry_kube_client_get_path(self, "/apis", &target, cancellable, error);
	if (groups == NULL)
		return NULL;
	if (JSON_NODE_HOLDS_OBJECT(core) &&
	    json_object_has_member(json_node_get_object(core), "versions")) {
		array = json_object_get_array_member(json_node_get_object(core), "versions");
		for (guint i = 0; array != NULL && i < json_array_get_length(array); i++)
			g_strv_builder_add(builder, ferry_json_array_string(array, i));
	}
	if (JSON_NODE_HOLDS_OBJECT(groups) &&
	    json_object_has_member(json_node_get_object(groups), "groups")) {
		array = json_object_get_array_member(json_node_get_object(groups), "groups");
		for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
			JsonObject *group = ferry_json_array_object(array, i);
			JsonArray *versions = group != NULL && json_object_has_member(group, "versions")
						  ? json_object_get_array_member(group, "versions")
						  : NULL;
			for (guint j = 0; versions != NULL && j < json_array_get_length(versions);
			     j++) {
				JsonObject *version = ferry_json_array_object(versions, j);
				if (version != NULL)
					g_strv_builder_add(
					    builder, ferry_json_get_string_or(
							 version, "groupVersion", ""));
			}
		}
	}
	result = g_strv_builder_end(builder);
	g_mutex_lock(&self->lock);
	g_strfreev(self->api_versions);
	self->api_versions = g_strdupv(result);
	g_mutex_unlock(&self->lock);
	return result;
}

/**
 * ferry_kube_client_get_version:
 * @self: a #FerryKubeClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads the API server's `/version`: `gitVersion` (e.g. `v1.31.2`),
 * `major`, `minor`, `platform`, `goVersion`…
 *
 * Returns: (transfer full): the version object
 *
 * Since: 0.1
 */
JsonObject *
ferry_kube_client_get_version(FerryKubeClient *self, GCancellable *cancellable, GError **error)
{
	FerryKubeTarget target = {.verb = "get", .resource = "version"};
	g_autoptr(JsonNode) node = NULL;

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	node = ferry_kube_client_get_path(self, "/version", &target, cancellable, error);
	if (node == NULL)
		return NULL;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "kubernetes: %s/version did not return an object",
			    ferry_kube_config_get_server(self->config));
		return NULL;
	}
	return json_object_ref(json_node_get_object(node));
}

/* --- objects --- */

static const char *
ferry_kube_object_get_string(JsonNode *object, const char *section, const char *member)
{
	JsonObject *o;

	if (object == NULL || !JSON_NODE_HOLDS_OBJECT(object))
		return NULL;
	o = json_node_get_object(object);
	if (section != NULL) {
		if (!json_object_has_member(o, section) ||
		    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, section)))
			return NULL;
		o = json_object_get_object_member(o, section);
	}
	return ferry_json_get_string_or(o, member, NULL);
}

/* the resource, namespace and name of an object given whole */
static FerryKubeResource *
ferry_kube_client_lookup_object(FerryKubeClient *self,
				JsonNode *object,
				const char *verb,
				const char **namespace,
				const char **name,
				GCancellable *cancellable,
				GError **error)
{
	const char *api_version = ferry_kube_object_get_string(object, NULL, "apiVersion");
	const char *kind = ferry_kube_object_get_string(object, NULL, "kind");
	FerryKubeResource *resource;

	if (api_version == NULL || kind == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "kubernetes: cannot %s an object without apiVersion and kind", verb);
		return NULL;
	}
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return NULL;
	*name = ferry_kube_object_get_string(object, "metadata", "name");
	*namespace = ferry_kube_object_get_string(object, "metadata", "namespace");
	if (resource->namespaced && *namespace == NULL)
		*namespace = ferry_kube_config_get_namespace(self->config);
	if (!resource->namespaced)
		*namespace = NULL;
	return resource;
}

/**
 * ferry_kube_client_get:
 * @self: a #FerryKubeClient
 * @api_version: the object's `apiVersion`
 * @kind: the object's `kind`
 * @namespace: (nullable): its namespace; %NULL for the configuration's
 *   (ignored for cluster-scoped kinds)
 * @name: its name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the object; %NULL with %FERRY_ERROR_NOT_FOUND
 *   when it does not exist
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_get(FerryKubeClient *self,
		      const char *api_version,
		      const char *kind,
		      const char *namespace,
		      const char *name,
		      GCancellable *cancellable,
		      GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autofree char *path = NULL;
	FerryKubeTarget target = {.verb = "get", .name = name};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return NULL;
	if (namespace == NULL && resource->namespaced)
		namespace = ferry_kube_config_get_namespace(self->config);
	target.group = resource->group;
	target.resource = resource->resource;
	target.namespace = resource->namespaced ? namespace : NULL;
	path = ferry_kube_resource_build_path(resource, namespace, name, NULL);
	return ferry_kube_client_get_path(self, path, &target, cancellable, error);
}

static gboolean
ferry_kube_list_append_page(JsonNode *list, JsonNode *page)
{
	JsonObject *list_object = json_node_get_object(list);
	JsonObject *page_object = json_node_get_object(page);
	JsonArray *items, *more;

	if (!json_object_has_member(page_object, "items") ||
	    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(page_object, "items")))
		return TRUE;
	more = json_object_get_array_member(page_object, "items");
	items = json_object_get_array_member(list_object, "items");
	for (guint i = 0; i < json_array_get_length(more); i++)
		json_array_add_element(items, json_node_copy(json_array_get_element(more, i)));
	return TRUE;
}

static JsonNode *
ferry_kube_client_list_pages(FerryKubeClient *self,
			     const FerryKubeResource *resource,
			     const char *namespace,
			     const char *label_selector,
			     guint page_size,
			     const FerryKubeTarget *target,
			     guint *status,
			     GCancellable *cancellable,
			     GError **error)
{
	g_autoptr(JsonNode) list = NULL;
	g_autofree char *next = NULL;

	do {
		g_autofree char *base =
		    ferry_kube_resource_build_path(resource, namespace, NULL, NULL);
		g_autoptr(GString) path = g_string_new(base);
		g_autoptr(GBytes) reply = NULL;
		g_autoptr(JsonNode) page = NULL;
		const char *cont;

		ferry_kube_append_query(path, "labelSelector", label_selector);
		if (page_size > 0) {
			g_autofree char *limit = g_strdup_printf("%u", page_size);
			ferry_kube_append_query(path, "limit", limit);
		}
		ferry_kube_append_query(path, "continue", next);
		reply = ferry_kube_client_send(self, "GET", path->str, NULL, NULL, target, status,
					       cancellable, error);
		if (reply == NULL)
			return NULL;
		page = ferry_kube_parse_bytes(reply, target, error);
		if (page == NULL)
			return NULL;
		if (!JSON_NODE_HOLDS_OBJECT(page)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "kubernetes: list %s: the reply is not a list",
				    resource->resource);
			return NULL;
		}
		if (!json_object_has_member(json_node_get_object(page), "items") ||
		    json_object_get_null_member(json_node_get_object(page), "items"))
			json_object_set_array_member(json_node_get_object(page), "items",
						     json_array_new());
		cont = ferry_kube_object_get_string(page, "metadata", "continue");
		g_free(next);
		next = cont != NULL && *cont != '\0' ? g_strdup(cont) : NULL;
		if (list == NULL)
			list = g_steal_pointer(&page);
		else
			ferry_kube_list_append_page(list, page);
	} while (next != NULL);
	{
		JsonObject *object = json_node_get_object(list);
		if (json_object_has_member(object, "metadata") &&
		    JSON_NODE_HOLDS_OBJECT(json_object_get_member(object, "metadata")))
			json_object_remove_member(json_object_get_object_member(object, "metadata"),
						  "continue");
	}
	return g_steal_pointer(&list);
}

JsonNode *
ferry_kube_client_list_resource(FerryKubeClient *self,
				const FerryKubeResource *resource,
				const char *namespace,
				const char *label_selector,
				GCancellable *cancellable,
				GError **error)
{
	g_autoptr(GError) local_error = NULL;
	FerryKubeTarget target = {.verb = "list",
				  .group = resource->group,
				  .resource = resource->resource,
				  .namespace = resource->namespaced ? namespace : NULL};
	guint status = 0;
	JsonNode *list;

	list = ferry_kube_client_list_pages(self, resource, namespace, label_selector,
					    self->page_size, &target, &status, cancellable,
					    &local_error);
	if (list == NULL && status == 410) {
		/* the continue token expired (compaction): one consistent list instead */
		g_clear_error(&local_error);
		list = ferry_kube_client_list_pages(self, resource, namespace, label_selector, 0,
						    &target, NULL, cancellable, &local_error);
	}
	if (list == NULL)
		g_propagate_error(error, g_steal_pointer(&local_error));
	return list;
}

/**
 * ferry_kube_client_list:
 * @self: a #FerryKubeClient
 * @api_version: the objects' `apiVersion`
 * @kind: the objects' `kind`
 * @namespace: (nullable): the namespace; %NULL for all namespaces
 * @label_selector: (nullable): a label selector, `app=web,tier!=db`
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists objects page by page (`limit`/`continue`, see
 * ferry_kube_client_set_page_size()) and returns one list with every item
 * and the first page's `metadata.resourceVersion`, where a watch can start.
 *
 * Returns: (transfer full): the list object (`items`)
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_list(FerryKubeClient *self,
		       const char *api_version,
		       const char *kind,
		       const char *namespace,
		       const char *label_selector,
		       GCancellable *cancellable,
		       GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return NULL;
	return ferry_kube_client_list_resource(self, resource, namespace, label_selector,
					       cancellable, error);
}

static JsonNode *
ferry_kube_client_write(FerryKubeClient *self,
			const char *method,
			const char *path,
			const char *content_type,
			JsonNode *body,
			const FerryKubeTarget *target,
			guint *status,
			GCancellable *cancellable,
			GError **error)
{
	g_autoptr(GBytes) bytes = body != NULL ? ferry_kube_node_to_bytes(body) : NULL;
	g_autoptr(GBytes) reply = ferry_kube_client_send(self, method, path, content_type, bytes,
							 target, status, cancellable, error);

	if (reply == NULL)
		return NULL;
	return ferry_kube_parse_bytes(reply, target, error);
}

/**
 * ferry_kube_client_create:
 * @self: a #FerryKubeClient
 * @object: the object, with `apiVersion`, `kind` and `metadata`; without
 *   `metadata.namespace` a namespaced object goes to the configuration's
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the object as stored; %FERRY_ERROR_EXISTS when
 *   it exists, %FERRY_ERROR_INVALID_DATA with the server's field errors when
 *   the schema rejects it
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_create(FerryKubeClient *self,
			 JsonNode *object,
			 GCancellable *cancellable,
			 GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autofree char *path = NULL;
	const char *namespace = NULL, *name = NULL;
	FerryKubeTarget target = {.verb = "create"};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(object != NULL, NULL);
	resource = ferry_kube_client_lookup_object(self, object, "create", &namespace, &name,
						   cancellable, error);
	if (resource == NULL)
		return NULL;
	target.group = resource->group;
	target.resource = resource->resource;
	target.namespace = namespace;
	target.name = name != NULL ? name
				   : ferry_kube_object_get_string(object, "metadata", "generateName");
	path = ferry_kube_resource_build_path(resource, namespace, NULL, NULL);
	return ferry_kube_client_write(self, "POST", path, "application/json", object, &target, NULL,
				       cancellable, error);
}

/**
 * ferry_kube_client_create_subresource:
 * @self: a #FerryKubeClient
 * @api_version: the parent object's `apiVersion`
 * @kind: the parent object's `kind`
 * @namespace: (nullable): its namespace; %NULL for the configuration's
 * @name: its name
 * @subresource: `token`, `eviction`, `binding`…
 * @body: the request object (a TokenRequest, an Eviction…)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Creates (POST) a subresource, e.g. a service account's token.
 *
 * Returns: (transfer full): the API server's reply
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_create_subresource(FerryKubeClient *self,
				     const char *api_version,
				     const char *kind,
				     const char *namespace,
				     const char *name,
				     const char *subresource,
				     JsonNode *body,
				     GCancellable *cancellable,
				     GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autofree char *path = NULL;
	FerryKubeTarget target = {.verb = "create", .name = name, .subresource = subresource};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(name != NULL && subresource != NULL && body != NULL, NULL);
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return NULL;
	if (namespace == NULL && resource->namespaced)
		namespace = ferry_kube_config_get_namespace(self->config);
	target.group = resource->group;
	target.resource = resource->resource;
	target.namespace = resource->namespaced ? namespace : NULL;
	path = ferry_kube_resource_build_path(resource, namespace, name, subresource);
	return ferry_kube_client_write(self, "POST", path, "application/json", body, &target, NULL,
				       cancellable, error);
}

/**
 * ferry_kube_client_replace:
 * @self: a #FerryKubeClient
 * @object: the whole object, with `metadata.resourceVersion` for an
 *   optimistic update
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Replaces (PUT) an object. A stale `resourceVersion` fails with
 * %FERRY_ERROR_BUSY (409 Conflict): get the object again and retry.
 *
 * Returns: (transfer full): the object as stored
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_replace(FerryKubeClient *self,
			  JsonNode *object,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autofree char *path = NULL;
	const char *namespace = NULL, *name = NULL;
	FerryKubeTarget target = {.verb = "update"};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(object != NULL, NULL);
	resource = ferry_kube_client_lookup_object(self, object, "update", &namespace, &name,
						   cancellable, error);
	if (resource == NULL)
		return NULL;
	if (name == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "kubernetes: cannot update %s: the object has no metadata.name",
			    resource->resource);
		return NULL;
	}
	target = (FerryKubeTarget){.verb = "update",
				   .group = resource->group,
				   .resource = resource->resource,
				   .namespace = namespace,
				   .name = name};
	path = ferry_kube_resource_build_path(resource, namespace, name, NULL);
	return ferry_kube_client_write(self, "PUT", path, "application/json", object, &target, NULL,
				       cancellable, error);
}

/* a 409 of an apply is a field-manager conflict unless the causes say otherwise */
static gboolean
ferry_kube_status_is_manager_conflict(GBytes *body)
{
	g_autoptr(JsonObject) status = ferry_kube_status_parse(body);
	JsonObject *details;
	JsonArray *causes;

	if (status == NULL || !json_object_has_member(status, "details") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(status, "details")))
		return FALSE;
	details = json_object_get_object_member(status, "details");
	if (!json_object_has_member(details, "causes") ||
	    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(details, "causes")))
		return FALSE;
	causes = json_object_get_array_member(details, "causes");
	for (guint i = 0; i < json_array_get_length(causes); i++) {
		JsonObject *cause = ferry_json_array_object(causes, i);
		if (cause != NULL &&
		    g_strcmp0(ferry_json_get_string_or(cause, "type", NULL),
			      "FieldManagerConflict") == 0)
			return TRUE;
	}
	return FALSE;
}

/**
 * ferry_kube_client_apply:
 * @self: a #FerryKubeClient
 * @object: the fields Ferry owns, with `apiVersion`, `kind`, `metadata.name`
 * @force: take over fields another field manager owns
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Server-side apply with field manager `ferry` (see
 * ferry_kube_client_set_field_manager()): creates the object or
 * merges the fields into it. Without @force, fields owned by another
 * manager fail with %FERRY_ERROR_BUSY naming them. A 409 that is not a
 * field conflict (a concurrent write) is retried.
 *
 * Returns: (transfer full): the object as stored
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_apply(FerryKubeClient *self,
			JsonNode *object,
			gboolean force,
			GCancellable *cancellable,
			GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree char *base = NULL;
	g_autoptr(GString) path = NULL;
	const char *namespace = NULL, *name = NULL;
	FerryKubeTarget target = {.verb = "patch"};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(object != NULL, NULL);
	resource = ferry_kube_client_lookup_object(self, object, "apply", &namespace, &name,
						   cancellable, error);
	if (resource == NULL)
		return NULL;
	if (name == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "kubernetes: cannot apply %s: the object has no metadata.name",
			    resource->resource);
		return NULL;
	}
	target = (FerryKubeTarget){.verb = "patch",
				   .group = resource->group,
				   .resource = resource->resource,
				   .namespace = namespace,
				   .name = name};
	base = ferry_kube_resource_build_path(resource, namespace, name, NULL);
	path = g_string_new(base);
	ferry_kube_append_query(path, "fieldManager", self->field_manager);
	if (force)
		ferry_kube_append_query(path, "force", "true");
	/* JSON is YAML: the apply content type takes it as it is */
	body = ferry_kube_node_to_bytes(object);
	for (guint attempt = 0;; attempt++) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(GBytes) reply = NULL;
		g_autoptr(GBytes) error_body = NULL;
		guint status = 0;

		reply = ferry_kube_client_send_full(self, "PATCH", path->str,
						    "application/apply-patch+yaml", body, &target,
						    &status, &error_body, cancellable, &local_error);
		if (reply != NULL)
			return ferry_kube_parse_bytes(reply, &target, error);
		if (status != 409 || attempt >= FERRY_KUBE_MAX_RETRIES ||
		    ferry_kube_status_is_manager_conflict(error_body)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return NULL;
		}
	}
}

static const char *
ferry_kube_patch_content_type(FerryKubePatchType type)
{
	switch (type) {
	case FERRY_KUBE_PATCH_JSON:
		return "application/json-patch+json";
	case FERRY_KUBE_PATCH_STRATEGIC:
		return "application/strategic-merge-patch+json";
	case FERRY_KUBE_PATCH_MERGE:
	default:
		return "application/merge-patch+json";
	}
}

/**
 * ferry_kube_client_patch:
 * @self: a #FerryKubeClient
 * @api_version: the object's `apiVersion`
 * @kind: the object's `kind`
 * @namespace: (nullable): its namespace; %NULL for the configuration's
 * @name: its name
 * @subresource: (nullable): `status`, `scale`, or %NULL for the object
 * @type: the patch format
 * @patch: the patch: an object (merge) or an array of operations (JSON)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the object as stored
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_patch(FerryKubeClient *self,
			const char *api_version,
			const char *kind,
			const char *namespace,
			const char *name,
			const char *subresource,
			FerryKubePatchType type,
			JsonNode *patch,
			GCancellable *cancellable,
			GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autofree char *path = NULL;
	FerryKubeTarget target = {.verb = "patch", .name = name, .subresource = subresource};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(name != NULL && patch != NULL, NULL);
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return NULL;
	if (namespace == NULL && resource->namespaced)
		namespace = ferry_kube_config_get_namespace(self->config);
	target.group = resource->group;
	target.resource = resource->resource;
	target.namespace = resource->namespaced ? namespace : NULL;
	path = ferry_kube_resource_build_path(resource, namespace, name, subresource);
	return ferry_kube_client_write(self, "PATCH", path, ferry_kube_patch_content_type(type),
				       patch, &target, NULL, cancellable, error);
}

/**
 * ferry_kube_client_update_status:
 * @self: a #FerryKubeClient
 * @api_version: the object's `apiVersion`
 * @kind: the object's `kind`
 * @namespace: (nullable): its namespace; %NULL for the configuration's
 * @name: its name
 * @status: the new `status`, merged into the current one (JSON merge patch
 *   semantics: %NULL members remove fields)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Updates the status subresource: gets the object, merges @status into
 * its `status` and replaces it with the `resourceVersion` read, getting it
 * again after a 409 Conflict (at most ten times, after a short random wait).
 *
 * Returns: (transfer full): the object as stored
 *
 * Since: 0.1
 */
JsonNode *
ferry_kube_client_update_status(FerryKubeClient *self,
				const char *api_version,
				const char *kind,
				const char *namespace,
				const char *name,
				JsonNode *status,
				GCancellable *cancellable,
				GError **error)
{
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autofree char *path = NULL;
	FerryKubeTarget target = {.verb = "update", .name = name, .subresource = "status"};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(name != NULL && status != NULL && JSON_NODE_HOLDS_OBJECT(status), NULL);
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return NULL;
	if (namespace == NULL && resource->namespaced)
		namespace = ferry_kube_config_get_namespace(self->config);
	target.group = resource->group;
	target.resource = resource->resource;
	target.namespace = resource->namespaced ? namespace : NULL;
	path = ferry_kube_resource_build_path(resource, namespace, name, "status");
	for (guint attempt = 0;; attempt++) {
		g_autoptr(JsonNode) current = NULL;
		g_autoptr(GError) local_error = NULL;
		JsonObject *object, *merged;
		JsonObjectIter iter;
		const char *member;
		JsonNode *value;
		guint http_status = 0;
		JsonNode *result;

		current = ferry_kube_client_get(self, api_version, kind, namespace, name,
						cancellable, error);
		if (current == NULL)
			return NULL;
		object = json_node_get_object(current);
		if (!json_object_has_member(object, "status") ||
		    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(object, "status")))
			json_object_set_object_member(object, "status", json_object_new());
		merged = json_object_get_object_member(object, "status");
		json_object_iter_init(&iter, json_node_get_object(status));
		while (json_object_iter_next(&iter, &member, &value)) {
			if (JSON_NODE_HOLDS_NULL(value))
				json_object_remove_member(merged, member);
			else
				json_object_set_member(merged, member, json_node_copy(value));
		}
		result = ferry_kube_client_write(self, "PUT", path, "application/json", current,
						 &target, &http_status, cancellable, &local_error);
		if (result != NULL)
			return result;
		if (http_status != 409 || attempt >= FERRY_KUBE_MAX_CONFLICT_RETRIES) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return NULL;
		}
		g_debug("kubernetes: status of %s %s changed meanwhile; reading it again",
			resource->resource, name);
		/* jitter, so that two writers do not collide again in step */
		g_usleep((gulong)g_random_int_range(5, 25) * (attempt + 1) * 1000);
	}
}

/**
 * ferry_kube_client_delete:
 * @self: a #FerryKubeClient
 * @api_version: the object's `apiVersion`
 * @kind: the object's `kind`
 * @namespace: (nullable): its namespace; %NULL for the configuration's
 * @name: its name
 * @propagation: what happens to the objects it owns
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the API server to delete an object; finalizers may keep it a while.
 *
 * Returns: %TRUE when the deletion was accepted; %FALSE with
 *   %FERRY_ERROR_NOT_FOUND when the object does not exist
 *
 * Since: 0.1
 */
gboolean
ferry_kube_client_delete(FerryKubeClient *self,
			 const char *api_version,
			 const char *kind,
			 const char *namespace,
			 const char *name,
			 FerryKubePropagation propagation,
			 GCancellable *cancellable,
			 GError **error)
{
	static const char *const policies[] = {NULL, "Foreground", "Background", "Orphan"};
	g_autoptr(FerryKubeResource) resource = NULL;
	g_autoptr(GBytes) reply = NULL;
	g_autofree char *base = NULL;
	g_autoptr(GString) path = NULL;
	FerryKubeTarget target = {.verb = "delete", .name = name};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), FALSE);
	g_return_val_if_fail(name != NULL, FALSE);
	g_return_val_if_fail(propagation <= FERRY_KUBE_PROPAGATION_ORPHAN, FALSE);
	resource = ferry_kube_client_lookup(self, api_version, kind, cancellable, error);
	if (resource == NULL)
		return FALSE;
	if (namespace == NULL && resource->namespaced)
		namespace = ferry_kube_config_get_namespace(self->config);
	target.group = resource->group;
	target.resource = resource->resource;
	target.namespace = resource->namespaced ? namespace : NULL;
	base = ferry_kube_resource_build_path(resource, namespace, name, NULL);
	path = g_string_new(base);
	ferry_kube_append_query(path, "propagationPolicy", policies[propagation]);
	reply = ferry_kube_client_send(self, "DELETE", path->str, NULL, NULL, &target, NULL,
				       cancellable, error);
	return reply != NULL;
}

/* --- pod logs --- */

static char *
ferry_kube_log_path(const char *namespace, const char *pod, const char *container, gboolean follow)
{
	FerryKubeResource pods = {.group = "", .version = "v1", .resource = "pods", .namespaced = TRUE};
	g_autofree char *base = ferry_kube_resource_build_path(&pods, namespace, pod, "log");
	GString *path = g_string_new(base);

	ferry_kube_append_query(path, "container", container);
	if (follow)
		ferry_kube_append_query(path, "follow", "true");
	return g_string_free(path, FALSE);
}

/**
 * ferry_kube_client_read_log:
 * @self: a #FerryKubeClient
 * @namespace: (nullable): the pod's namespace; %NULL for the configuration's
 * @pod: the pod's name
 * @container: (nullable): the container; %NULL when the pod has one
 * @follow: keep the stream open while the container runs
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Opens a container's log. With @follow the stream ends when the container
 * does; cancel @cancellable to stop reading earlier.
 *
 * Returns: (transfer full): the log stream
 *
 * Since: 0.1
 */
GInputStream *
ferry_kube_client_read_log(FerryKubeClient *self,
			   const char *namespace,
			   const char *pod,
			   const char *container,
			   gboolean follow,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autofree char *path = NULL;
	FerryKubeTarget target = {.verb = "get", .resource = "pods", .subresource = "log"};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(pod != NULL, NULL);
	if (namespace == NULL)
		namespace = ferry_kube_config_get_namespace(self->config);
	target.group = "";
	target.namespace = namespace;
	target.name = pod;
	path = ferry_kube_log_path(namespace, pod, container, follow);
	return ferry_kube_client_open_stream(self, path, &target, NULL, cancellable, error);
}

/**
 * ferry_kube_client_get_log:
 * @self: a #FerryKubeClient
 * @namespace: (nullable): the pod's namespace; %NULL for the configuration's
 * @pod: the pod's name
 * @container: (nullable): the container; %NULL when the pod has one
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the container's log so far, as text
 *
 * Since: 0.1
 */
char *
ferry_kube_client_get_log(FerryKubeClient *self,
			  const char *namespace,
			  const char *pod,
			  const char *container,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autofree char *path = NULL;
	g_autoptr(GBytes) reply = NULL;
	FerryKubeTarget target = {.verb = "get", .resource = "pods", .subresource = "log"};

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(pod != NULL, NULL);
	if (namespace == NULL)
		namespace = ferry_kube_config_get_namespace(self->config);
	target.group = "";
	target.namespace = namespace;
	target.name = pod;
	path = ferry_kube_log_path(namespace, pod, container, FALSE);
	reply = ferry_kube_client_send(self, "GET", path, NULL, NULL, &target, NULL, cancellable,
				       error);
	if (reply == NULL)
		return NULL;
	return g_utf8_make_valid(g_bytes_get_data(reply, NULL), (gssize)g_bytes_get_size(reply));
}

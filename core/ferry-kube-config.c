/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-kube-config.h"
#include "ferry-json-private.h"
#include "ferry-kube-private.h"
#include "ferry-yaml.h"

/**
 * FerryKubeConfig:
 *
 * How to reach one Kubernetes API server: its URL, the CA that signs its
 * certificate and the credentials, read from a kubeconfig file, from the
 * service account of the pod Ferry runs in, or from a Forklift destination
 * Provider's Secret. A [class@KubeClient] talks to the server with it.
 *
 * Credentials stay inside: no getter returns a token or a key.
 *
 * Since: 0.1
 */
struct _FerryKubeConfig {
	GObject parent_instance;
	char *server;
	char *context;
	char *namespace;
	char *origin; /* how errors name this configuration */
	char *auth_kind;
	gboolean insecure;
	GList *ca; /* GTlsCertificate: the anchors the server's chain must reach */
	GTlsCertificate *client_certificate;
	char *token;
	char *token_file;
	/* exec credential plugin */
	char *exec_command;
	GStrv exec_args;
	GStrv exec_env;
	char *exec_api_version;
	GMutex lock;
	char *exec_token;
	GDateTime *exec_expiry; /* NULL: valid until refused */
};

G_DEFINE_TYPE(FerryKubeConfig, ferry_kube_config, G_TYPE_OBJECT)

#define FERRY_KUBE_SA_DIR "var/run/secrets/kubernetes.io/serviceaccount"

static void
ferry_kube_config_finalize(GObject *object)
{
	FerryKubeConfig *self = FERRY_KUBE_CONFIG(object);

	g_free(self->server);
	g_free(self->context);
	g_free(self->namespace);
	g_free(self->origin);
	g_free(self->auth_kind);
	g_list_free_full(self->ca, g_object_unref);
	g_clear_object(&self->client_certificate);
	if (self->token != NULL)
		memset(self->token, 0, strlen(self->token));
	g_free(self->token);
	g_free(self->token_file);
	g_free(self->exec_command);
	g_strfreev(self->exec_args);
	g_strfreev(self->exec_env);
	g_free(self->exec_api_version);
	g_free(self->exec_token);
	g_clear_pointer(&self->exec_expiry, g_date_time_unref);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_kube_config_parent_class)->finalize(object);
}

static void
ferry_kube_config_class_init(FerryKubeConfigClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_kube_config_finalize;
}

static void
ferry_kube_config_init(FerryKubeConfig *self)
{
	g_mutex_init(&self->lock);
	self->namespace = g_strdup("default");
	self->auth_kind = g_strdup("none");
}

static void
ferry_kube_config_set_auth_kind(FerryKubeConfig *self, const char *kind)
{
	g_free(self->auth_kind);
	self->auth_kind = g_strdup(kind);
}

/* the certificates of a PEM bundle, kept in memory: the server's chain is
 * checked against them in accept-certificate, so no file is written */
static gboolean
ferry_kube_config_set_ca(FerryKubeConfig *self, const char *pem, gsize len, const char *what,
			 GError **error)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	g_autofree char *text = g_strndup(pem, len);
	GList *certificates = NULL;
	const char *at = text;

	while ((at = strstr(at, begin)) != NULL) {
		const char *stop = strstr(at, end);
		g_autoptr(GError) local_error = NULL;
		GTlsCertificate *certificate;

		if (stop == NULL)
			break;
		stop += strlen(end);
		certificate = g_tls_certificate_new_from_pem(at, stop - at, &local_error);
		if (certificate == NULL) {
			g_list_free_full(certificates, g_object_unref);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: a certificate of the CA is not valid PEM: %s", what,
				    local_error->message);
			return FALSE;
		}
		certificates = g_list_append(certificates, certificate);
		at = stop;
	}
	if (certificates == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the CA holds no PEM certificate; give the cluster's CA "
			    "certificate (-----BEGIN CERTIFICATE-----)",
			    what);
		return FALSE;
	}
	g_list_free_full(self->ca, g_object_unref);
	self->ca = certificates;
	return TRUE;
}

static char *
ferry_kube_resolve_path(const char *base_dir, const char *path)
{
	if (g_path_is_absolute(path) || base_dir == NULL)
		return g_strdup(path);
	return g_build_filename(base_dir, path, NULL);
}

/* the bytes of `<key>-data` (base64) or of the file `<key>`; NULL with no
 * error when neither is set */
static GBytes *
ferry_kube_read_data_or_file(JsonObject *object,
			     const char *key,
			     const char *base_dir,
			     const char *what,
			     GError **error)
{
	g_autofree char *data_key = g_strdup_printf("%s-data", key);
	const char *data = ferry_json_get_string_or(object, data_key, NULL);
	const char *path = ferry_json_get_string_or(object, key, NULL);

	if (data != NULL && *data != '\0') {
		gsize len = 0;
		guchar *raw;
		g_autofree char *copy = g_strdup(data);

		g_strstrip(copy);
		raw = g_base64_decode(copy, &len);
		if (len == 0) {
			g_free(raw);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: %s is not base64", what, data_key);
			return NULL;
		}
		return g_bytes_new_take(raw, len);
	}
	if (path != NULL && *path != '\0') {
		g_autofree char *file = ferry_kube_resolve_path(base_dir, path);
		g_autoptr(GError) local_error = NULL;
		char *contents = NULL;
		gsize len = 0;

		if (!g_file_get_contents(file, &contents, &len, &local_error)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "%s: cannot read %s %s: %s", what, key, file,
				    local_error->message);
			return NULL;
		}
		return g_bytes_new_take(contents, len);
	}
	return NULL;
}

/* the member named @name of the list @list_key (clusters, users, contexts) */
static JsonObject *
ferry_kube_find_named(JsonObject *root,
		      const char *list_key,
		      const char *member,
		      const char *name,
		      const char *what,
		      GError **error)
{
	JsonArray *list = NULL;

	if (json_object_has_member(root, list_key) &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(root, list_key)))
		list = json_object_get_array_member(root, list_key);
	for (guint i = 0; list != NULL && i < json_array_get_length(list); i++) {
		JsonNode *node = json_array_get_element(list, i);
		JsonObject *entry;

		if (!JSON_NODE_HOLDS_OBJECT(node))
			continue;
		entry = json_node_get_object(node);
		if (g_strcmp0(ferry_json_get_string_or(entry, "name", NULL), name) != 0)
			continue;
		if (!json_object_has_member(entry, member) ||
		    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(entry, member)))
			return json_object_new(); /* e.g. a user with no fields */
		return json_object_ref(json_object_get_object_member(entry, member));
	}
	{
		/* name the ones there are, so a mistyped --context is easy to fix */
		g_autoptr(GString) names = g_string_new(NULL);
		for (guint i = 0; list != NULL && i < json_array_get_length(list); i++) {
			const char *other =
			    ferry_json_get_string_or(ferry_json_array_object(list, i), "name", NULL);
			if (other != NULL)
				g_string_append_printf(names, "%s%s", names->len > 0 ? ", " : "",
						       other);
		}
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: no %s named \"%s\"; it has %s", what, member, name,
			    names->len > 0 ? names->str : "none");
	}
	return NULL;
}

static gboolean
ferry_kube_config_load_cluster(FerryKubeConfig *self,
			       JsonObject *cluster,
			       const char *base_dir,
			       const char *what,
			       GError **error)
{
	const char *server = ferry_json_get_string_or(cluster, "server", NULL);
	g_autoptr(GBytes) ca = NULL;

	if (server == NULL || *server == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the cluster has no server URL", what);
		return FALSE;
	}
	self->server = g_strdup(server);
	while (g_str_has_suffix(self->server, "/"))
		self->server[strlen(self->server) - 1] = '\0';
	self->insecure =
	    ferry_json_get_bool_or(cluster, "insecure-skip-tls-verify", FALSE);
	ca = ferry_kube_read_data_or_file(cluster, "certificate-authority", base_dir, what, error);
	if (ca == NULL && error != NULL && *error != NULL)
		return FALSE;
	if (ca != NULL && !self->insecure) {
		if (!ferry_kube_config_set_ca(self, g_bytes_get_data(ca, NULL),
					      g_bytes_get_size(ca), what, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_kube_config_load_exec(FerryKubeConfig *self,
			    JsonObject *exec,
			    const char *base_dir,
			    const char *what,
			    GError **error)
{
	const char *command = ferry_json_get_string_or(exec, "command", NULL);
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);

	if (command == NULL || *command == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the exec credential plugin has no command", what);
		return FALSE;
	}
	/* as client-go: a relative command with a slash is relative to the kubeconfig */
	if (strchr(command, '/') != NULL)
		self->exec_command = ferry_kube_resolve_path(base_dir, command);
	else
		self->exec_command = g_strdup(command);
	self->exec_api_version = g_strdup(ferry_json_get_string_or(
	    exec, "apiVersion", "client.authentication.k8s.io/v1"));
	if (json_object_has_member(exec, "args") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(exec, "args"))) {
		JsonArray *list = json_object_get_array_member(exec, "args");
		for (guint i = 0; i < json_array_get_length(list); i++) {
			const char *arg = ferry_json_array_string(list, i);
			if (arg == NULL) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "%s: argument %u of the exec credential plugin is not "
					    "a string; quote it",
					    what, i + 1);
				return FALSE;
			}
			g_ptr_array_add(args, g_strdup(arg));
		}
	}
	if (json_object_has_member(exec, "env") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(exec, "env"))) {
		JsonArray *list = json_object_get_array_member(exec, "env");
		for (guint i = 0; i < json_array_get_length(list); i++) {
			JsonObject *var = ferry_json_array_object(list, i);
			const char *name, *value;

			if (var == NULL)
				continue;
			name = ferry_json_get_string_or(var, "name", NULL);
			value = ferry_json_get_string_or(var, "value", "");
			if (name != NULL)
				g_ptr_array_add(env, g_strdup_printf("%s=%s", name, value));
		}
	}
	g_ptr_array_add(args, NULL);
	g_ptr_array_add(env, NULL);
	self->exec_args = (GStrv)g_ptr_array_steal(args, NULL);
	self->exec_env = (GStrv)g_ptr_array_steal(env, NULL);
	ferry_kube_config_set_auth_kind(self, "exec");
	return TRUE;
}

static gboolean
ferry_kube_config_load_user(FerryKubeConfig *self,
			    JsonObject *user,
			    const char *base_dir,
			    const char *what,
			    GError **error)
{
	const char *token = ferry_json_get_string_or(user, "token", NULL);
	const char *token_file = ferry_json_get_string_or(user, "tokenFile", NULL);
	g_autoptr(GBytes) cert = NULL;
	g_autoptr(GBytes) key = NULL;

	cert = ferry_kube_read_data_or_file(user, "client-certificate", base_dir, what, error);
	if (cert == NULL && error != NULL && *error != NULL)
		return FALSE;
	key = ferry_kube_read_data_or_file(user, "client-key", base_dir, what, error);
	if (key == NULL && error != NULL && *error != NULL)
		return FALSE;
	if ((cert == NULL) != (key == NULL)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the user has a client %s but no client %s; give both", what,
			    cert != NULL ? "certificate" : "key",
			    cert != NULL ? "key" : "certificate");
		return FALSE;
	}
	if (cert != NULL) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(GString) pem = g_string_new_len(g_bytes_get_data(cert, NULL),
							  (gssize)g_bytes_get_size(cert));

		g_string_append_c(pem, '\n');
		g_string_append_len(pem, g_bytes_get_data(key, NULL), (gssize)g_bytes_get_size(key));
		self->client_certificate =
		    g_tls_certificate_new_from_pem(pem->str, (gssize)pem->len, &local_error);
		memset(pem->str, 0, pem->len);
		if (self->client_certificate == NULL) {
			/* GLib's message names no key material */
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: the client certificate and key are not a PEM pair: %s",
				    what, local_error->message);
			return FALSE;
		}
		ferry_kube_config_set_auth_kind(self, "client-certificate");
	}
	if (token != NULL && *token != '\0') {
		self->token = g_strdup(token);
		ferry_kube_config_set_auth_kind(self, "token");
	} else if (token_file != NULL && *token_file != '\0') {
		self->token_file = ferry_kube_resolve_path(base_dir, token_file);
		ferry_kube_config_set_auth_kind(self, "token-file");
	}
	if (json_object_has_member(user, "exec") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(user, "exec")))
		return ferry_kube_config_load_exec(
		    self, json_object_get_object_member(user, "exec"), base_dir, what, error);
	if (json_object_has_member(user, "username") || json_object_has_member(user, "auth-provider")) {
		if (self->token == NULL && self->token_file == NULL && self->client_certificate == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "%s: basic authentication and auth-provider users are not "
				    "supported; use a token, a client certificate or an exec plugin",
				    what);
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * ferry_kube_config_new_from_data:
 * @data: the kubeconfig, YAML or JSON
 * @base_dir: (nullable): the folder relative file names are relative to
 * @context: (nullable): the context to use; %NULL for `current-context`
 * @error: return location for a #GError
 *
 * Reads a kubeconfig: the context's cluster (`server`,
 * `certificate-authority[-data]`, `insecure-skip-tls-verify`), user
 * (`token`, `tokenFile`, `client-certificate[-data]` and
 * `client-key[-data]`, or an `exec` credential plugin) and namespace.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryKubeConfig *
ferry_kube_config_new_from_data(const char *data,
				const char *base_dir,
				const char *context,
				GError **error)
{
	g_autoptr(FerryKubeConfig) self = g_object_new(FERRY_TYPE_KUBE_CONFIG, NULL);
	g_autoptr(GPtrArray) documents = NULL;
	g_autoptr(JsonObject) context_object = NULL;
	g_autoptr(JsonObject) cluster = NULL;
	g_autoptr(JsonObject) user = NULL;
	g_autofree char *what = NULL;
	const char *origin = base_dir != NULL ? base_dir : "kubeconfig";
	const char *cluster_name, *user_name, *namespace;
	JsonNode *root;
	JsonObject *root_object;

	g_return_val_if_fail(data != NULL, NULL);

	documents = ferry_yaml_parse_data(data, -1, "kubeconfig", error);
	if (documents == NULL) {
		g_prefix_error(error, "kubeconfig: ");
		return NULL;
	}
	root = documents->len > 0 ? ferry_yaml_document_get_root(g_ptr_array_index(documents, 0))
				  : NULL;
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "kubeconfig: not a kubeconfig (no mapping at the top)");
		return NULL;
	}
	root_object = json_node_get_object(root);
	if (context == NULL || *context == '\0')
		context = ferry_json_get_string_or(root_object,
								     "current-context", NULL);
	if (context == NULL || *context == '\0') {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "kubeconfig: no current-context; name a context");
		return NULL;
	}
	self->context = g_strdup(context);
	what = g_strdup_printf("kubeconfig context %s", context);
	context_object =
	    ferry_kube_find_named(root_object, "contexts", "context", context, "kubeconfig", error);
	if (context_object == NULL)
		return NULL;
	cluster_name = ferry_json_get_string_or(context_object, "cluster", "");
	user_name = ferry_json_get_string_or(context_object, "user", "");
	namespace = ferry_json_get_string_or(context_object, "namespace", NULL);
	if (namespace != NULL && *namespace != '\0') {
		g_free(self->namespace);
		self->namespace = g_strdup(namespace);
	}
	cluster = ferry_kube_find_named(root_object, "clusters", "cluster", cluster_name, what, error);
	if (cluster == NULL || !ferry_kube_config_load_cluster(self, cluster, base_dir, what, error))
		return NULL;
	if (*user_name != '\0') {
		g_autofree char *user_what =
		    g_strdup_printf("kubeconfig context %s user %s", context, user_name);
		user = ferry_kube_find_named(root_object, "users", "user", user_name, what, error);
		if (user == NULL ||
		    !ferry_kube_config_load_user(self, user, base_dir, user_what, error))
			return NULL;
	}
	self->origin = g_strdup_printf("%s (context %s, user %s)", origin, context,
				       *user_name != '\0' ? user_name : "none");
	return g_steal_pointer(&self);
}

/**
 * ferry_kube_config_new_from_file:
 * @path: (nullable): the kubeconfig; %NULL for the first file in
 *   `$KUBECONFIG`, else `~/.kube/config`
 * @context: (nullable): the context to use; %NULL for `current-context`
 * @error: return location for a #GError
 *
 * Reads a kubeconfig file; see ferry_kube_config_new_from_data().
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryKubeConfig *
ferry_kube_config_new_from_file(const char *path, const char *context, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autofree char *file = NULL;
	g_autofree char *contents = NULL;
	g_autofree char *base_dir = NULL;
	FerryKubeConfig *self;

	if (path != NULL && *path != '\0') {
		file = g_strdup(path);
	} else if (g_getenv("KUBECONFIG") != NULL && *g_getenv("KUBECONFIG") != '\0') {
		g_auto(GStrv) paths = g_strsplit(g_getenv("KUBECONFIG"), ":", -1);
		file = g_strdup(paths[0]);
	} else {
		file = g_build_filename(g_get_home_dir(), ".kube", "config", NULL);
	}
	if (!g_file_get_contents(file, &contents, NULL, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "kubeconfig %s: cannot read it: %s", file, local_error->message);
		return NULL;
	}
	base_dir = g_path_get_dirname(file);
	self = ferry_kube_config_new_from_data(contents, base_dir, context, error);
	if (contents != NULL)
		memset(contents, 0, strlen(contents));
	if (self == NULL) {
		if (error != NULL && *error != NULL &&
		    g_str_has_prefix((*error)->message, "kubeconfig")) {
			g_autofree char *rest = g_strdup((*error)->message + strlen("kubeconfig"));
			g_free((*error)->message);
			(*error)->message = g_strdup_printf("kubeconfig %s%s", file, rest);
		}
		return NULL;
	}
	g_free(self->origin);
	self->origin = g_strdup_printf("kubeconfig %s (context %s)", file, self->context);
	return self;
}

/**
 * ferry_kube_config_new_in_cluster:
 * @root: (nullable): the file-system root the service-account files are
 *   under; %NULL for `/` (tests give a folder of their own)
 * @error: return location for a #GError
 *
 * The configuration of a pod: the API server from `KUBERNETES_SERVICE_HOST`
 * and `KUBERNETES_SERVICE_PORT`, the token (re-read before every request,
 * as the kubelet rotates it), CA and namespace from
 * `/var/run/secrets/kubernetes.io/serviceaccount/`.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryKubeConfig *
ferry_kube_config_new_in_cluster(const char *root, GError **error)
{
	g_autoptr(FerryKubeConfig) self = g_object_new(FERRY_TYPE_KUBE_CONFIG, NULL);
	g_autoptr(GError) local_error = NULL;
	g_autofree char *dir = g_build_filename(root != NULL ? root : "/", FERRY_KUBE_SA_DIR, NULL);
	g_autofree char *ca_file = g_build_filename(dir, "ca.crt", NULL);
	g_autofree char *ns_file = g_build_filename(dir, "namespace", NULL);
	g_autofree char *ca = NULL;
	g_autofree char *ns = NULL;
	const char *host = g_getenv("KUBERNETES_SERVICE_HOST");
	const char *port = g_getenv("KUBERNETES_SERVICE_PORT");
	gsize len = 0;

	if (host == NULL || *host == '\0' || port == NULL || *port == '\0') {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "in-cluster configuration: KUBERNETES_SERVICE_HOST and "
				    "KUBERNETES_SERVICE_PORT are not set; Ferry is not running "
				    "in a pod, give a kubeconfig instead");
		return NULL;
	}
	self->server = strchr(host, ':') != NULL ? g_strdup_printf("https://[%s]:%s", host, port)
						 : g_strdup_printf("https://%s:%s", host, port);
	self->token_file = g_build_filename(dir, "token", NULL);
	if (!g_file_test(self->token_file, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "in-cluster configuration: no service-account token at %s; mount "
			    "the pod's service account (automountServiceAccountToken)",
			    self->token_file);
		return NULL;
	}
	ferry_kube_config_set_auth_kind(self, "token-file");
	if (!g_file_get_contents(ca_file, &ca, &len, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "in-cluster configuration: cannot read the cluster CA %s: %s", ca_file,
			    local_error->message);
		return NULL;
	}
	if (!ferry_kube_config_set_ca(self, ca, len, "in-cluster configuration", error))
		return NULL;
	if (g_file_get_contents(ns_file, &ns, NULL, NULL) && *g_strstrip(ns) != '\0') {
		g_free(self->namespace);
		self->namespace = g_steal_pointer(&ns);
	}
	self->origin = g_strdup("in-cluster service account");
	return g_steal_pointer(&self);
}

/**
 * ferry_kube_config_new_for_provider:
 * @url: (nullable): the Provider's `spec.url`; %NULL or empty for the
 *   cluster Ferry runs in (Forklift's host Provider)
 * @secret: (nullable): the Provider's Secret: `token`, `cacert`,
 *   `insecureSkipVerify`
 * @error: return location for a #GError
 *
 * The configuration of a Forklift `openshift` destination Provider.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryKubeConfig *
ferry_kube_config_new_for_provider(const char *url, FerrySecret *secret, GError **error)
{
	g_autoptr(FerryKubeConfig) self = NULL;
	g_autoptr(GBytes) ca = NULL;
	g_autofree char *token = NULL;
	g_autofree char *what = NULL;

	g_return_val_if_fail(secret == NULL || FERRY_IS_SECRET(secret), NULL);

	if (url == NULL || *url == '\0')
		return ferry_kube_config_new_in_cluster(NULL, error);
	what = secret != NULL ? g_strdup_printf("Secret %s", ferry_secret_get_name(secret))
			      : g_strdup("the Provider");
	if (!g_str_has_prefix(url, "https://") && !g_str_has_prefix(url, "http://")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "Provider URL %s is not an http(s) URL of an API server", url);
		return NULL;
	}
	self = g_object_new(FERRY_TYPE_KUBE_CONFIG, NULL);
	self->server = g_strdup(url);
	while (g_str_has_suffix(self->server, "/"))
		self->server[strlen(self->server) - 1] = '\0';
	self->origin = g_strdup_printf("Provider URL %s with %s", self->server, what);
	if (secret == NULL)
		return g_steal_pointer(&self);
	self->insecure = ferry_secret_get_boolean(secret, "insecureSkipVerify", FALSE);
	token = ferry_secret_dup_string(secret, "token");
	if (token != NULL && *g_strstrip(token) != '\0') {
		self->token = g_steal_pointer(&token);
		ferry_kube_config_set_auth_kind(self, "token");
	}
	ca = ferry_secret_get(secret, "cacert");
	if (ca != NULL && g_bytes_get_size(ca) > 0 && !self->insecure) {
		if (!ferry_kube_config_set_ca(self, g_bytes_get_data(ca, NULL),
					      g_bytes_get_size(ca), what, error))
			return NULL;
	}
	return g_steal_pointer(&self);
}

/* runs the exec plugin: no shell, the kubeconfig's env on top of ours */
static gboolean
ferry_kube_config_run_exec(FerryKubeConfig *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
				      G_SUBPROCESS_FLAGS_STDIN_INHERIT);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autofree char *info = NULL;
	JsonObject *root, *status;
	const char *token, *expiry;

	info = g_strdup_printf("{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
			       "\"spec\":{\"interactive\":false}}",
			       self->exec_api_version);
	g_subprocess_launcher_setenv(launcher, "KUBERNETES_EXEC_INFO", info, TRUE);
	for (guint i = 0; self->exec_env[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(self->exec_env[i], "=", 2);
		g_subprocess_launcher_setenv(launcher, pair[0], pair[1] != NULL ? pair[1] : "", TRUE);
	}
	g_ptr_array_add(argv, self->exec_command);
	for (guint i = 0; self->exec_args[i] != NULL; i++)
		g_ptr_array_add(argv, self->exec_args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata,
					       &local_error);
	if (process == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "%s: cannot run the exec credential plugin %s: %s", self->origin,
			    self->exec_command, local_error->message);
		return FALSE;
	}
	if (!g_subprocess_communicate_utf8(process, NULL, cancellable, &out, &err, &local_error)) {
		g_set_error(error, FERRY_ERROR,
			    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
				? FERRY_ERROR_CANCELLED
				: FERRY_ERROR_AUTH_FAILED,
			    "%s: exec credential plugin %s: %s", self->origin, self->exec_command,
			    local_error->message);
		return FALSE;
	}
	if (!g_subprocess_get_if_exited(process) || g_subprocess_get_exit_status(process) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "%s: exec credential plugin %s failed (exit status %d): %s",
			    self->origin, self->exec_command,
			    g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process)
								: -1,
			    err != NULL ? g_strstrip(err) : "");
		return FALSE;
	}
	if (!json_parser_load_from_data(parser, out, -1, NULL) ||
	    json_parser_get_root(parser) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "%s: exec credential plugin %s printed no ExecCredential JSON",
			    self->origin, self->exec_command);
		return FALSE;
	}
	root = json_node_get_object(json_parser_get_root(parser));
	status = json_object_has_member(root, "status") &&
			 JSON_NODE_HOLDS_OBJECT(json_object_get_member(root, "status"))
		     ? json_object_get_object_member(root, "status")
		     : NULL;
	token = status != NULL ? ferry_json_get_string_or(status, "token", NULL)
			       : NULL;
	if (g_strcmp0(ferry_json_get_string_or(root, "kind", NULL),
		      "ExecCredential") != 0 ||
	    token == NULL || *token == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "%s: exec credential plugin %s printed no ExecCredential with "
			    "status.token (client certificates from plugins are not supported)",
			    self->origin, self->exec_command);
		return FALSE;
	}
	expiry = ferry_json_get_string_or(status, "expirationTimestamp", NULL);
	g_free(self->exec_token);
	self->exec_token = g_strdup(token);
	g_clear_pointer(&self->exec_expiry, g_date_time_unref);
	if (expiry != NULL && *expiry != '\0') {
		self->exec_expiry = g_date_time_new_from_iso8601(expiry, NULL);
		if (self->exec_expiry == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
				    "%s: exec credential plugin %s: expirationTimestamp %s is "
				    "not an RFC 3339 time",
				    self->origin, self->exec_command, expiry);
			g_clear_pointer(&self->exec_token, g_free);
			return FALSE;
		}
	}
	memset(out, 0, strlen(out));
	return TRUE;
}

char *
ferry_kube_config_dup_token(FerryKubeConfig *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;

	if (self->token != NULL)
		return g_strdup(self->token);
	if (self->token_file != NULL) {
		g_autoptr(GError) local_error = NULL;
		char *token = NULL;

		if (!g_file_get_contents(self->token_file, &token, NULL, &local_error)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
				    "%s: cannot read the token file %s: %s", self->origin,
				    self->token_file, local_error->message);
			return NULL;
		}
		return g_strstrip(token);
	}
	if (self->exec_command == NULL)
		return NULL;
	locker = g_mutex_locker_new(&self->lock);
	if (self->exec_token != NULL && self->exec_expiry != NULL) {
		g_autoptr(GDateTime) now = g_date_time_new_now_utc();
		/* ten seconds of margin for the request's way to the server */
		if (g_date_time_difference(self->exec_expiry, now) < 10 * G_TIME_SPAN_SECOND)
			g_clear_pointer(&self->exec_token, g_free);
	}
	if (self->exec_token == NULL && !ferry_kube_config_run_exec(self, cancellable, error))
		return NULL;
	return g_strdup(self->exec_token);
}

void
ferry_kube_config_invalidate_token(FerryKubeConfig *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	g_clear_pointer(&self->exec_token, g_free);
}

/**
 * ferry_kube_config_get_server:
 * @self: a #FerryKubeConfig
 *
 * Returns: the API server's URL, without a trailing slash
 *
 * Since: 0.1
 */
const char *
ferry_kube_config_get_server(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), NULL);
	return self->server;
}

/**
 * ferry_kube_config_get_namespace:
 * @self: a #FerryKubeConfig
 *
 * Returns: the default namespace (the context's, the service account's, or `default`)
 *
 * Since: 0.1
 */
const char *
ferry_kube_config_get_namespace(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), NULL);
	return self->namespace;
}

/**
 * ferry_kube_config_get_context:
 * @self: a #FerryKubeConfig
 *
 * Returns: (nullable): the kubeconfig context used, %NULL for other sources
 *
 * Since: 0.1
 */
const char *
ferry_kube_config_get_context(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), NULL);
	return self->context;
}

/**
 * ferry_kube_config_get_origin:
 * @self: a #FerryKubeConfig
 *
 * Returns: where the configuration came from, as errors name it
 *
 * Since: 0.1
 */
const char *
ferry_kube_config_get_origin(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), NULL);
	return self->origin;
}

/**
 * ferry_kube_config_get_auth_kind:
 * @self: a #FerryKubeConfig
 *
 * Returns: how requests authenticate: `token`, `token-file`, `exec`,
 *   `client-certificate` or `none`
 *
 * Since: 0.1
 */
const char *
ferry_kube_config_get_auth_kind(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), NULL);
	return self->auth_kind;
}

/**
 * ferry_kube_config_get_insecure:
 * @self: a #FerryKubeConfig
 *
 * Returns: %TRUE when the server's certificate is not verified
 *
 * Since: 0.1
 */
gboolean
ferry_kube_config_get_insecure(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), FALSE);
	return self->insecure;
}

/**
 * ferry_kube_config_get_ca_certificates:
 * @self: a #FerryKubeConfig
 *
 * Returns: (transfer none) (nullable) (element-type Gio.TlsCertificate): the
 *   CAs the server's certificate must chain to; %NULL for the system's
 *
 * Since: 0.1
 */
GList *
ferry_kube_config_get_ca_certificates(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), NULL);
	return self->ca;
}

/**
 * ferry_kube_config_get_client_certificate:
 * @self: a #FerryKubeConfig
 *
 * Returns: (transfer none) (nullable): the client certificate with its key
 *
 * Since: 0.1
 */
GTlsCertificate *
ferry_kube_config_get_client_certificate(FerryKubeConfig *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CONFIG(self), NULL);
	return self->client_certificate;
}

static gboolean
ferry_kube_verify_certificate_cb(SoupMessage *msg,
				 GTlsCertificate *certificate,
				 GTlsCertificateFlags errors,
				 gpointer user_data)
{
	FerryKubeConfig *config = FERRY_KUBE_CONFIG(user_data);
	GUri *uri = soup_message_get_uri(msg);
	g_autoptr(GSocketConnectable) identity = NULL;

	identity = g_network_address_new(g_uri_get_host(uri),
					 (guint16)(g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : 443));
	for (GList *l = config->ca; l != NULL; l = l->next) {
		GTlsCertificateFlags flags = g_tls_certificate_verify(certificate, identity, l->data);
		if (flags == 0)
			return TRUE;
		g_debug("kubernetes: the certificate of %s fails against a CA of %s (flags 0x%x)",
			g_uri_get_host(uri), config->origin, flags);
	}
	return FALSE;
}

static gboolean
ferry_kube_accept_any_certificate_cb(SoupMessage *msg,
				     GTlsCertificate *certificate,
				     GTlsCertificateFlags errors,
				     gpointer user_data)
{
	return TRUE;
}

SoupSession *
ferry_kube_session_new(FerryKubeConfig *config, guint timeout_seconds)
{
	/* The API server asks for an optional client certificate in every
	 * handshake. Without an interaction of its own, a session gives each
	 * connection libsoup's, which glib-networking's handshake worker calls
	 * in the main context that was the thread's default when the connection
	 * was made: with no loop running there (a thread of the engine, a
	 * command) and two handshakes at once, one worker handed its question to
	 * a context the other had just stopped iterating and waited for good.
	 * A plain GTlsInteraction has no handlers, so the question is answered
	 * "unhandled" at once, in the worker; a kubeconfig's client
	 * certificate is set on each TLS connection before its handshake
	 * (ferry_kube_network_event_cb()), so it is never asked for. */
	g_autoptr(GTlsInteraction) interaction = g_object_new(G_TYPE_TLS_INTERACTION, NULL);
	SoupSession *session =
	    soup_session_new_with_options("timeout", timeout_seconds, "user-agent", "ferry",
					  "tls-interaction", interaction, NULL);
	/* with a CA of its own, every certificate reaches accept-certificate,
	 * which checks it against that CA only */
	if (config->ca != NULL)
		soup_session_set_tls_database(session, NULL);
	return session;
}

/* HTTP/1.1 only: the API server ends an HTTP/2 connection after a 401 with
 * a GOAWAY that libsoup 3.2 reports instead of the reply, and libsoup 3.2
 * has no soup_message_set_force_http1() yet; so ALPN offers only http/1.1 */
static void
ferry_kube_network_event_cb(SoupMessage *msg,
			    GSocketClientEvent event,
			    GIOStream *connection,
			    gpointer user_data)
{
	static const char *const http1[] = {"http/1.1", NULL};

	GTlsCertificate *client_certificate = user_data;

	if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || !G_IS_TLS_CONNECTION(connection))
		return;
	g_tls_connection_set_advertised_protocols(G_TLS_CONNECTION(connection), http1);
	/* on the connection itself: a session with an interaction of its own
	 * ignores soup_message_set_tls_client_certificate() */
	if (client_certificate != NULL)
		g_tls_connection_set_certificate(G_TLS_CONNECTION(connection), client_certificate);
}

gboolean
ferry_kube_message_prepare(FerryKubeConfig *config,
			   SoupMessage *msg,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autofree char *token = ferry_kube_config_dup_token(config, cancellable, &local_error);

	if (local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	if (token != NULL) {
		g_autofree char *value = g_strdup_printf("Bearer %s", token);
		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
					     value);
		memset(value, 0, strlen(value));
		memset(token, 0, strlen(token));
	}
	/* the configuration outlives its client's messages */
	g_signal_connect(msg, "network-event", G_CALLBACK(ferry_kube_network_event_cb),
			 config->client_certificate);
	if (config->insecure)
		g_signal_connect(msg, "accept-certificate",
				 G_CALLBACK(ferry_kube_accept_any_certificate_cb), NULL);
	else if (config->ca != NULL)
		g_signal_connect(msg, "accept-certificate",
				 G_CALLBACK(ferry_kube_verify_certificate_cb), config);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Accept",
				     "application/json");
	return TRUE;
}

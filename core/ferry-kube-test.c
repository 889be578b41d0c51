/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>

#include "ferry-kube-private.h"
#include "ferry.h"

/* the kubeconfig forms, the in-cluster and Provider configurations and the
 * mapping of API-server replies to errors; nothing here needs a cluster
 * (tests/kube/ runs the client against a real one) */

static char *
kube_test_read(const char *name)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "tests", "kube", name, NULL);
	char *contents = NULL;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	return contents;
}

static char *
kube_test_base64(const char *name)
{
	g_autofree char *pem = kube_test_read(name);
	return g_base64_encode((const guchar *)pem, strlen(pem));
}

static char *
kube_test_tmpdir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("ferry-kube-test-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void
kube_test_write(const char *dir, const char *name, const char *contents, int mode)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents_full(path, contents, -1, G_FILE_SET_CONTENTS_NONE, mode,
					       &error));
	g_assert_no_error(error);
}

static void
kube_test_remove_tree(const char *dir)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(ferry_files_remove_tree(dir, &error));
}

static void
test_kube_config_token_and_ca_data(void)
{
	g_autofree char *ca = kube_test_base64("ca.pem");
	g_autofree char *yaml = g_strdup_printf(
	    "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
	    "clusters:\n- name: c1\n  cluster:\n    server: https://127.0.0.1:6443/\n"
	    "    certificate-authority-data: %s\n"
	    "users:\n- name: u1\n  user:\n    token: s3cr3t-token\n"
	    "contexts:\n- name: main\n  context: {cluster: c1, user: u1, namespace: work}\n",
	    ca);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = ferry_kube_config_new_from_data(yaml, NULL, NULL, &error);
	g_autofree char *token = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_server(config), ==, "https://127.0.0.1:6443");
	g_assert_cmpstr(ferry_kube_config_get_namespace(config), ==, "work");
	g_assert_cmpstr(ferry_kube_config_get_context(config), ==, "main");
	g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), ==, "token");
	g_assert_nonnull(ferry_kube_config_get_ca_certificates(config));
	g_assert_false(ferry_kube_config_get_insecure(config));
	g_assert_null(ferry_kube_config_get_client_certificate(config));
	token = ferry_kube_config_dup_token(config, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token, ==, "s3cr3t-token");
	/* the origin names the context, never the token */
	g_assert_nonnull(strstr(ferry_kube_config_get_origin(config), "main"));
	g_assert_null(strstr(ferry_kube_config_get_origin(config), "s3cr3t"));
}

static void
test_kube_config_explicit_context_with_files(void)
{
	g_autofree char *dir = kube_test_tmpdir();
	g_autofree char *ca = kube_test_read("ca.pem");
	g_autofree char *path = g_build_filename(dir, "config", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;

	kube_test_write(dir, "ca.pem", ca, 0644);
	kube_test_write(dir, "token", "file-token-1\n", 0600);
	kube_test_write(dir, "config",
			"current-context: other\n"
			"clusters:\n"
			"- name: other\n  cluster: {server: 'https://other:1'}\n"
			"- name: lab\n  cluster:\n    server: https://lab.example:6443\n"
			"    certificate-authority: ca.pem\n"
			"users:\n- name: robot\n  user: {tokenFile: token}\n- name: nobody\n"
			"contexts:\n- name: other\n  context: {cluster: other, user: nobody}\n"
			"- name: lab\n  context: {cluster: lab, user: robot}\n",
			0600);
	config = ferry_kube_config_new_from_file(path, "lab", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_server(config), ==, "https://lab.example:6443");
	g_assert_cmpstr(ferry_kube_config_get_namespace(config), ==, "default");
	g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), ==, "token-file");
	g_assert_nonnull(ferry_kube_config_get_ca_certificates(config));
	first = ferry_kube_config_dup_token(config, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(first, ==, "file-token-1");
	/* a rotated token is read again */
	kube_test_write(dir, "token", "file-token-2", 0600);
	second = ferry_kube_config_dup_token(config, NULL, &error);
	g_assert_cmpstr(second, ==, "file-token-2");
	g_assert_nonnull(strstr(ferry_kube_config_get_origin(config), path));

	/* the current context, with a user that has nothing */
	g_clear_object(&config);
	config = ferry_kube_config_new_from_file(path, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_server(config), ==, "https://other:1");
	g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), ==, "none");
	g_assert_null(ferry_kube_config_get_ca_certificates(config));

	/* a context that does not exist is named */
	g_clear_object(&config);
	config = ferry_kube_config_new_from_file(path, "staging", &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "\"staging\""));
	g_assert_nonnull(strstr(error->message, path));
	g_assert_null(config);
	kube_test_remove_tree(dir);
}

static void
test_kube_config_insecure_skip_verify(void)
{
	const char *yaml = "current-context: x\n"
			   "clusters: [{name: x, cluster: {server: 'https://h:6443', "
			   "insecure-skip-tls-verify: true}}]\n"
			   "users: [{name: x, user: {token: t}}]\n"
			   "contexts: [{name: x, context: {cluster: x, user: x}}]\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = ferry_kube_config_new_from_data(yaml, NULL, NULL, &error);

	g_assert_no_error(error);
	g_assert_true(ferry_kube_config_get_insecure(config));
	g_assert_null(ferry_kube_config_get_ca_certificates(config));
}

static void
test_kube_config_client_certificate(void)
{
	g_autofree char *dir = kube_test_tmpdir();
	g_autofree char *cert = kube_test_base64("client.pem");
	g_autofree char *key = kube_test_base64("client-key.pem");
	g_autofree char *cert_pem = kube_test_read("client.pem");
	g_autofree char *key_pem = kube_test_read("client-key.pem");
	g_autofree char *yaml = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = NULL;

	/* inline data */
	yaml = g_strdup_printf("current-context: x\n"
			       "clusters: [{name: x, cluster: {server: 'https://h'}}]\n"
			       "users: [{name: x, user: {client-certificate-data: %s, "
			       "client-key-data: %s}}]\n"
			       "contexts: [{name: x, context: {cluster: x, user: x}}]\n",
			       cert, key);
	config = ferry_kube_config_new_from_data(yaml, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), ==, "client-certificate");
	g_assert_nonnull(ferry_kube_config_get_client_certificate(config));
	g_clear_object(&config);

	/* files, relative to the kubeconfig */
	kube_test_write(dir, "c.pem", cert_pem, 0644);
	kube_test_write(dir, "k.pem", key_pem, 0600);
	config = ferry_kube_config_new_from_data(
	    "current-context: x\n"
	    "clusters: [{name: x, cluster: {server: 'https://h'}}]\n"
	    "users: [{name: x, user: {client-certificate: c.pem, client-key: k.pem}}]\n"
	    "contexts: [{name: x, context: {cluster: x, user: x}}]\n",
	    dir, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(ferry_kube_config_get_client_certificate(config));
	g_clear_object(&config);

	/* a certificate without its key */
	config = ferry_kube_config_new_from_data(
	    "current-context: x\n"
	    "clusters: [{name: x, cluster: {server: 'https://h'}}]\n"
	    "users: [{name: x, user: {client-certificate: c.pem}}]\n"
	    "contexts: [{name: x, context: {cluster: x, user: x}}]\n",
	    dir, NULL, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "no client key"));
	g_assert_null(config);
	g_clear_error(&error);

	/* a key file that is missing is named */
	config = ferry_kube_config_new_from_data(
	    "current-context: x\n"
	    "clusters: [{name: x, cluster: {server: 'https://h'}}]\n"
	    "users: [{name: x, user: {client-certificate: c.pem, client-key: gone.pem}}]\n"
	    "contexts: [{name: x, context: {cluster: x, user: x}}]\n",
	    dir, NULL, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "gone.pem"));
	g_clear_error(&error);

	/* a CA that is not PEM */
	config = ferry_kube_config_new_from_data(
	    "current-context: x\n"
	    "clusters: [{name: x, cluster: {server: 'https://h', "
	    "certificate-authority-data: bm90IGEgY2VydA==}}]\n"
	    "contexts: [{name: x, context: {cluster: x}}]\n",
	    dir, NULL, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "no PEM certificate"));
	kube_test_remove_tree(dir);
}

/* a credential plugin as kubectl runs it: no shell, env from the kubeconfig */
static const char exec_plugin[] =
    "#!/bin/sh\n"
    "echo run >> \"$COUNT_FILE\"\n"
    "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 3;; esac\n"
    "[ \"$1\" = --cluster ] && [ \"$2\" = lab ] || exit 4\n"
    "if [ -n \"$FAIL\" ]; then echo 'no credentials for lab' >&2; exit 1; fi\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}' \"$PLUGIN_TOKEN\" "
    "\"$EXPIRY\"\n";

static FerryKubeConfig *
kube_test_exec_config(const char *dir, const char *expiry, gboolean fail)
{
	g_autofree char *count = g_build_filename(dir, "count", NULL);
	g_autofree char *yaml = g_strdup_printf(
	    "current-context: x\n"
	    "clusters: [{name: x, cluster: {server: 'https://h'}}]\n"
	    "users:\n- name: x\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: ./plugin.sh\n      args: [--cluster, lab]\n"
	    "      env:\n      - {name: COUNT_FILE, value: '%s'}\n"
	    "      - {name: PLUGIN_TOKEN, value: exec-token}\n"
	    "      - {name: EXPIRY, value: '%s'}\n"
	    "      - {name: FAIL, value: '%s'}\n"
	    "      interactiveMode: Never\n"
	    "contexts: [{name: x, context: {cluster: x, user: x}}]\n",
	    count, expiry, fail ? "1" : "");
	g_autoptr(GError) error = NULL;
	FerryKubeConfig *config = ferry_kube_config_new_from_data(yaml, dir, NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), ==, "exec");
	return config;
}

static guint
kube_test_count_runs(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "count", NULL);
	g_autofree char *contents = NULL;
	guint runs = 0;

	if (!g_file_get_contents(path, &contents, NULL, NULL))
		return 0;
	for (const char *p = contents; *p != '\0'; p++)
		runs += *p == '\n';
	return runs;
}

static void
test_kube_config_exec_plugin_cached_until_expiry(void)
{
	g_autofree char *dir = kube_test_tmpdir();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) later = g_date_time_add_hours(now, 1);
	g_autoptr(GDateTime) soon = g_date_time_add_seconds(now, 5);
	g_autofree char *later_text = g_date_time_format_iso8601(later);
	g_autofree char *soon_text = g_date_time_format_iso8601(soon);
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(GError) error = NULL;

	kube_test_write(dir, "plugin.sh", exec_plugin, 0755);
	config = kube_test_exec_config(dir, later_text, FALSE);
	for (guint i = 0; i < 3; i++) {
		g_autofree char *token = ferry_kube_config_dup_token(config, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(token, ==, "exec-token");
	}
	g_assert_cmpuint(kube_test_count_runs(dir), ==, 1);
	/* a token refused by the server is fetched again */
	ferry_kube_config_invalidate_token(config);
	g_free(ferry_kube_config_dup_token(config, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(kube_test_count_runs(dir), ==, 2);

	/* a token about to expire is not used */
	g_clear_object(&config);
	config = kube_test_exec_config(dir, soon_text, FALSE);
	g_free(ferry_kube_config_dup_token(config, NULL, &error));
	g_free(ferry_kube_config_dup_token(config, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(kube_test_count_runs(dir), ==, 4);
	kube_test_remove_tree(dir);
}

static void
test_kube_config_exec_plugin_failure(void)
{
	g_autofree char *dir = kube_test_tmpdir();
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *token = NULL;

	kube_test_write(dir, "plugin.sh", exec_plugin, 0755);
	config = kube_test_exec_config(dir, "2099-01-01T00:00:00Z", TRUE);
	token = ferry_kube_config_dup_token(config, NULL, &error);
	g_assert_null(token);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
	g_assert_nonnull(strstr(error->message, "plugin.sh"));
	g_assert_nonnull(strstr(error->message, "exit status 1"));
	g_assert_nonnull(strstr(error->message, "no credentials for lab"));
	kube_test_remove_tree(dir);
}

static void
test_kube_config_in_cluster(void)
{
	g_autofree char *root = kube_test_tmpdir();
	g_autofree char *sa = g_build_filename(root, "var/run/secrets/kubernetes.io/serviceaccount",
					       NULL);
	g_autofree char *ca = kube_test_read("ca.pem");
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *token = NULL;

	g_assert_cmpint(g_mkdir_with_parents(sa, 0700), ==, 0);
	kube_test_write(sa, "token", "sa-token\n", 0600);
	kube_test_write(sa, "ca.crt", ca, 0644);
	kube_test_write(sa, "namespace", "openshift-mtv", 0644);

	g_unsetenv("KUBERNETES_SERVICE_HOST");
	config = ferry_kube_config_new_in_cluster(root, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "KUBERNETES_SERVICE_HOST"));
	g_clear_error(&error);

	g_setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", TRUE);
	g_setenv("KUBERNETES_SERVICE_PORT", "443", TRUE);
	config = ferry_kube_config_new_in_cluster(root, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_server(config), ==, "https://10.96.0.1:443");
	g_assert_cmpstr(ferry_kube_config_get_namespace(config), ==, "openshift-mtv");
	g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), ==, "token-file");
	g_assert_nonnull(ferry_kube_config_get_ca_certificates(config));
	token = ferry_kube_config_dup_token(config, NULL, &error);
	g_assert_cmpstr(token, ==, "sa-token");
	g_clear_object(&config);

	g_setenv("KUBERNETES_SERVICE_HOST", "fd00::1", TRUE);
	config = ferry_kube_config_new_in_cluster(root, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_server(config), ==, "https://[fd00::1]:443");
	g_clear_object(&config);

	/* no token mounted */
	{
		g_autofree char *token_file = g_build_filename(sa, "token", NULL);
		g_unlink(token_file);
	}
	config = ferry_kube_config_new_in_cluster(root, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "automountServiceAccountToken"));
	g_unsetenv("KUBERNETES_SERVICE_HOST");
	g_unsetenv("KUBERNETES_SERVICE_PORT");
	kube_test_remove_tree(root);
}

static void
test_kube_config_provider_secret(void)
{
	g_autofree char *ca = kube_test_read("ca.pem");
	g_autoptr(FerrySecret) secret = ferry_secret_new("openshift-mtv/host-token");
	g_autofree char *other = kube_test_read("client.pem");
	g_autofree char *bundle = g_strconcat(ca, other, NULL);
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *token = NULL;

	ferry_secret_set_string(secret, "token", "provider-token");
	ferry_secret_set_string(secret, "cacert", ca);
	config = ferry_kube_config_new_for_provider("https://api.lab:6443/", secret, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_server(config), ==, "https://api.lab:6443");
	g_assert_nonnull(ferry_kube_config_get_ca_certificates(config));
	g_assert_false(ferry_kube_config_get_insecure(config));
	token = ferry_kube_config_dup_token(config, NULL, &error);
	g_assert_cmpstr(token, ==, "provider-token");
	g_assert_null(strstr(ferry_kube_config_get_origin(config), "provider-token"));
	g_clear_object(&config);

	/* a bundle gives every certificate */
	ferry_secret_set_string(secret, "cacert", bundle);
	config = ferry_kube_config_new_for_provider("https://api.lab:6443", secret, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_list_length(ferry_kube_config_get_ca_certificates(config)), ==, 2);
	g_clear_object(&config);

	ferry_secret_set_string(secret, "insecureSkipVerify", "true");
	config = ferry_kube_config_new_for_provider("https://api.lab:6443", secret, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_kube_config_get_insecure(config));
	g_clear_object(&config);

	ferry_secret_set_string(secret, "insecureSkipVerify", "false");
	ferry_secret_set_string(secret, "cacert", "garbage");
	config = ferry_kube_config_new_for_provider("https://api.lab:6443", secret, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "openshift-mtv/host-token"));
	g_clear_error(&error);

	config = ferry_kube_config_new_for_provider("ftp://x", secret, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
}

typedef struct {
	guint http_status;
	const char *body;
	FerryKubeTarget target;
	FerryError code;
	const char *expect[4];
} StatusCase;

static void
test_kube_status_errors(void)
{
	const StatusCase cases[] = {
	    {401,
	     "{\"kind\":\"Status\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\"}",
	     {"list", "", "pods", NULL, "default", NULL},
	     FERRY_ERROR_AUTH_FAILED,
	     {"cannot list pods in namespace default", "refused the credentials",
	      "https://api.test:6443", "kubeconfig"}},
	    {403,
	     "{\"kind\":\"Status\",\"message\":\"pods is forbidden: User \\\"limited\\\" cannot "
	     "list resource \\\"pods\\\" in API group \\\"\\\" in the namespace "
	     "\\\"kube-system\\\"\",\"reason\":\"Forbidden\"}",
	     {"list", "", "pods", NULL, "kube-system", NULL},
	     FERRY_ERROR_PERMISSION_DENIED,
	     {"User \"limited\" cannot list", "RBAC rule allowing verb \"list\" on resource \"pods\"",
	      "in namespace kube-system", NULL}},
	    {403,
	     "{\"kind\":\"Status\",\"message\":\"forbidden\",\"reason\":\"Forbidden\"}",
	     {"create", "kubevirt.io", "virtualmachines", NULL, NULL, NULL},
	     FERRY_ERROR_PERMISSION_DENIED,
	     {"cannot create virtualmachines.kubevirt.io", "API group \"kubevirt.io\"",
	      "cluster-wide", NULL}},
	    {404,
	     "{\"kind\":\"Status\",\"message\":\"pods \\\"web\\\" not found\",\"reason\":"
	     "\"NotFound\"}",
	     {"get", "", "pods", NULL, "default", "web"},
	     FERRY_ERROR_NOT_FOUND,
	     {"cannot get pods default/web", "pods \"web\" not found", "HTTP 404", NULL}},
	    {409,
	     "{\"kind\":\"Status\",\"message\":\"already exists\",\"reason\":\"AlreadyExists\"}",
	     {"create", "", "configmaps", NULL, "default", "x"},
	     FERRY_ERROR_EXISTS,
	     {"cannot create configmaps default/x", "already exists", NULL, NULL}},
	    {409,
	     "{\"kind\":\"Status\",\"message\":\"the object has been modified\",\"reason\":"
	     "\"Conflict\"}",
	     {"update", "cdi.kubevirt.io", "datavolumes", "status", "ns", "dv"},
	     FERRY_ERROR_BUSY,
	     {"cannot update datavolumes.cdi.kubevirt.io/status ns/dv", "has been modified",
	      NULL, NULL}},
	    {422,
	     "{\"kind\":\"Status\",\"message\":\"VirtualMachine.kubevirt.io \\\"vm\\\" is invalid: "
	     "spec.running: Invalid value: \\\"string\\\": spec.running in body must be of type "
	     "boolean\",\"reason\":\"Invalid\"}",
	     {"create", "kubevirt.io", "virtualmachines", NULL, "ns", "vm"},
	     FERRY_ERROR_INVALID_DATA,
	     {"spec.running", "must be of type boolean", NULL, NULL}},
	    {410,
	     "{\"kind\":\"Status\",\"message\":\"too old resource version\",\"reason\":"
	     "\"Expired\"}",
	     {"watch", "", "pods", NULL, NULL, NULL},
	     FERRY_ERROR_INVALID_STATE,
	     {"too old resource version", NULL, NULL, NULL}},
	    {429, NULL, {"list", "", "pods", NULL, NULL, NULL}, FERRY_ERROR_BUSY,
	     {"Too Many Requests", NULL, NULL, NULL}},
	    {503, "upstream connect error", {"get", "", "pods", NULL, "a", "b"},
	     FERRY_ERROR_CONNECTION_FAILED, {"upstream connect error", NULL, NULL, NULL}},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = ferry_kube_config_new_from_data(
	    "current-context: x\n"
	    "clusters: [{name: x, cluster: {server: 'https://api.test:6443'}}]\n"
	    "users: [{name: x, user: {token: never-shown-token}}]\n"
	    "contexts: [{name: x, context: {cluster: x, user: x}}]\n",
	    NULL, NULL, &error);

	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) body =
		    cases[i].body != NULL ? g_bytes_new_static(cases[i].body, strlen(cases[i].body))
					  : NULL;
		g_autoptr(GError) status_error = NULL;

		ferry_kube_set_status_error(&status_error, config, &cases[i].target,
					    cases[i].http_status, body);
		g_assert_error(status_error, FERRY_ERROR, (gint)cases[i].code);
		for (guint j = 0; j < G_N_ELEMENTS(cases[i].expect) && cases[i].expect[j]; j++) {
			if (strstr(status_error->message, cases[i].expect[j]) == NULL)
				g_error("case %u: \"%s\" lacks \"%s\"", i, status_error->message,
					cases[i].expect[j]);
		}
		g_assert_null(strstr(status_error->message, "never-shown-token"));
	}
}

static void
test_kube_transport_errors(void)
{
	const FerryKubeTarget target = {"get", "", "pods", NULL, "ns", "p"};
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = ferry_kube_config_new_from_data(
	    "current-context: x\n"
	    "clusters: [{name: x, cluster: {server: 'https://api.test:6443'}}]\n"
	    "contexts: [{name: x, context: {cluster: x}}]\n",
	    NULL, NULL, &error);
	struct {
		GQuark domain;
		gint code;
		FerryError expected;
		const char *text;
	} cases[] = {
	    {G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, FERRY_ERROR_TLS_FAILED, "check the cluster's CA"},
	    {G_IO_ERROR, G_IO_ERROR_CANCELLED, FERRY_ERROR_CANCELLED, "cancelled"},
	    {G_IO_ERROR, G_IO_ERROR_TIMED_OUT, FERRY_ERROR_TIMED_OUT, "did not answer in time"},
	    {G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, FERRY_ERROR_CONNECTION_FAILED,
	     "cannot reach the API server https://api.test:6443"},
	    /* a handshake broken off (a restart): tried again, not the CA's fault */
	    {G_TLS_ERROR, G_TLS_ERROR_NOT_TLS, FERRY_ERROR_CONNECTION_FAILED,
	     "broke off the TLS handshake"},
	};

	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) cause = g_error_new_literal(cases[i].domain, cases[i].code, "x");
		g_autoptr(GError) mapped = NULL;

		ferry_kube_set_transport_error(&mapped, config, &target, cause);
		g_assert_error(mapped, FERRY_ERROR, (gint)cases[i].expected);
		g_assert_nonnull(strstr(mapped->message, "cannot get pods ns/p"));
		g_assert_nonnull(strstr(mapped->message, cases[i].text));
	}
}

static void
test_kube_paths(void)
{
	FerryKubeResource vms = {"kubevirt.io", "v1", "virtualmachines", "VirtualMachine", TRUE};
	FerryKubeResource nodes = {"", "v1", "nodes", "Node", FALSE};
	g_autofree char *a = ferry_kube_resource_build_path(&vms, "ns", "vm 1", "status");
	g_autofree char *b = ferry_kube_resource_build_path(&nodes, "ignored", NULL, NULL);
	g_autoptr(GString) query = g_string_new("/api/v1/pods");

	g_assert_cmpstr(a, ==, "/apis/kubevirt.io/v1/namespaces/ns/virtualmachines/vm%201/status");
	g_assert_cmpstr(b, ==, "/api/v1/nodes");
	ferry_kube_append_query(query, "labelSelector", "app=web,tier!=db");
	ferry_kube_append_query(query, "continue", NULL);
	ferry_kube_append_query(query, "limit", "2");
	g_assert_cmpstr(query->str, ==, "/api/v1/pods?labelSelector=app%3Dweb%2Ctier%21%3Ddb&limit=2");
}

/* kubeconfigs of the wrong shape are errors, never warnings (fuzzing) */
static void
test_kube_config_wrong_shapes(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = NULL;
	static const char head[] = "clusters: [{name: c, cluster: {server: 'https://h:6443'}}]\n"
				   "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
				   "current-context: x\n";
	g_autofree char *args = g_strdup_printf(
	    "%susers: [{name: u, user: {exec: {command: plugin, args: [ok, {a: b}, c]}}}]\n", head);
	g_autofree char *env = g_strdup_printf(
	    "%susers: [{name: u, user: {exec: {command: plugin, env: [3, {name: A, value: b}]}}}]\n",
	    head);
	g_autofree char *kinds = g_strdup_printf(
	    "%susers: [{name: u, user: {token: [not, a, string]}}]\n", head);

	config = ferry_kube_config_new_from_data(args, "/nonexistent", NULL, &error);
	g_assert_null(config);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message,
				"argument 2 of the exec credential plugin is not a string"));
	g_clear_error(&error);

	/* an env entry that is not a mapping is skipped */
	config = ferry_kube_config_new_from_data(env, "/nonexistent", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), ==, "exec");
	g_clear_object(&config);

	/* a token that is not a string is no token */
	config = ferry_kube_config_new_from_data(kinds, "/nonexistent", NULL, &error);
	if (config != NULL)
		g_assert_cmpstr(ferry_kube_config_get_auth_kind(config), !=, "token");
	else
		g_clear_error(&error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* first: it sets environment variables, before any thread exists */
	g_test_add_func("/kube/config/in-cluster", test_kube_config_in_cluster);
	g_test_add_func("/kube/config/token-and-ca-data", test_kube_config_token_and_ca_data);
	g_test_add_func("/kube/config/explicit-context-with-files",
			test_kube_config_explicit_context_with_files);
	g_test_add_func("/kube/config/insecure-skip-verify", test_kube_config_insecure_skip_verify);
	g_test_add_func("/kube/config/client-certificate", test_kube_config_client_certificate);
	g_test_add_func("/kube/config/exec-plugin-cached-until-expiry",
			test_kube_config_exec_plugin_cached_until_expiry);
	g_test_add_func("/kube/config/exec-plugin-failure", test_kube_config_exec_plugin_failure);
	g_test_add_func("/kube/config/provider-secret", test_kube_config_provider_secret);
	g_test_add_func("/kube/config/wrong-shapes", test_kube_config_wrong_shapes);
	g_test_add_func("/kube/errors/status", test_kube_status_errors);
	g_test_add_func("/kube/errors/transport", test_kube_transport_errors);
	g_test_add_func("/kube/paths", test_kube_paths);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ferry apply, get, describe and delete, run as a user would run them, and
 * the promise that no secret value is ever printed.
 */

#include <ferry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
	int status;
	char *out;
	char *err;
} RunResult;

static char *state_dir = NULL;
static GPtrArray *all_output = NULL; /* everything ferry printed, for the leak test */

static void
run_result_clear(RunResult *result)
{
	g_free(result->out);
	g_free(result->err);
}

static RunResult
run_ferry_stdin(const char *input, const char *first_arg, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	RunResult result = {0};
	va_list args;

	g_ptr_array_add(argv, (gpointer)g_getenv("FERRY_BIN"));
	g_ptr_array_add(argv, "--state");
	g_ptr_array_add(argv, state_dir);
	va_start(args, first_arg);
	for (const char *arg = first_arg; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	process =
		g_subprocess_newv((const char *const *)argv->pdata,
				  G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
					  (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0),
				  &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, input, NULL, &result.out, &result.err,
						    &error));
	g_assert_no_error(error);
	result.status = g_subprocess_get_exit_status(process);
	g_ptr_array_add(all_output, g_strdup(result.out));
	g_ptr_array_add(all_output, g_strdup(result.err));
	return result;
}

#define run_ferry(...) run_ferry_stdin(NULL, __VA_ARGS__)

static char *
manifest(const char *name)
{
	return g_test_build_filename(G_TEST_DIST, "manifests", name, NULL);
}

static void
apply_docs(void)
{
	g_autofree char *docs = manifest("forklift-docs.yaml");
	RunResult r = run_ferry("apply", "-f", docs, NULL);
	g_assert_cmpint(r.status, ==, 0);
	run_result_clear(&r);
}

static JsonObject *
get_json(const char *kind, const char *name)
{
	RunResult r = run_ferry("get", kind, name, "-n", "openshift-mtv", "-o", "json", NULL);
	JsonNode *node;
	JsonObject *object;
	g_assert_cmpint(r.status, ==, 0);
	node = json_from_string(r.out, NULL);
	g_assert_nonnull(node);
	object = json_object_ref(json_node_get_object(node));
	json_node_unref(node);
	run_result_clear(&r);
	return object;
}

static JsonObject *
condition_of(JsonObject *resource, const char *type)
{
	JsonObject *status = json_object_get_object_member(resource, "status");
	JsonArray *conditions =
		status != NULL && json_object_has_member(status, "conditions")
			? json_object_get_array_member(status, "conditions")
			: NULL;
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *condition = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(condition, "type"), type) == 0)
			return condition;
	}
	return NULL;
}

static void
test_apply_and_get(void)
{
	g_autofree char *docs = manifest("forklift-docs.yaml");
	RunResult r = run_ferry("apply", "-f", docs, NULL);
	g_autoptr(JsonObject) plan = NULL;

	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "secret/vsphere-credentials created\n"));
	g_assert_nonnull(strstr(r.out, "plan.forklift.konveyor.io/web-tier created\n"));
	g_assert_nonnull(strstr(r.out,
				"forkliftcontroller.forklift.konveyor.io/forklift-controller "
				"created\n"));
	g_assert_cmpstr(r.err, ==, "");
	run_result_clear(&r);

	/* the same again changes nothing */
	r = run_ferry("apply", "-f", docs, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "plan.forklift.konveyor.io/web-tier unchanged\n"));
	g_assert_null(strstr(r.out, "created"));
	run_result_clear(&r);

	/* kinds as kubectl accepts them */
	{
		const char *const forms[] = {"plan", "plans", "Plan", "plans.forklift.konveyor.io",
					     NULL};
		for (guint i = 0; forms[i] != NULL; i++) {
			r = run_ferry("get", forms[i], "-n", "openshift-mtv", NULL);
			g_assert_cmpint(r.status, ==, 0);
			g_assert_true(g_str_has_prefix(r.out, "NAME       READY   EXECUTING   "
							      "SUCCEEDED   FAILED   AGE\n"
							      "web-tier   -       -"));
			run_result_clear(&r);
		}
	}
	r = run_ferry("get", "providers", "-n", "openshift-mtv", NULL);
	g_assert_nonnull(strstr(r.out, "vsphere-source   vsphere     Staging"));
	g_assert_nonnull(strstr(r.out, "https://vcenter.example.com/sdk"));
	run_result_clear(&r);
	r = run_ferry("get", "netmaps", "-A", NULL);
	g_assert_true(g_str_has_prefix(r.out, "NAMESPACE       NAME                  READY   AGE\n"
					      "openshift-mtv   vsphere-network-map   True"));
	run_result_clear(&r);
	r = run_ferry("get", "plans", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.err, ==, "No resources found in default namespace.\n");
	run_result_clear(&r);
	r = run_ferry("get", "vms", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "unknown kind 'vms'"));
	run_result_clear(&r);
	r = run_ferry("get", "plan", "nope", "-n", "openshift-mtv", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, "Plan nope not found in namespace openshift-mtv"));
	run_result_clear(&r);

	plan = get_json("plan", "web-tier");
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(plan, "metadata"),
						   "generation"),
			==, 1);
	/* get validates the plan as describe does: the source's inventory is
	 * not loaded, so it is not Ready */
	g_assert_null(condition_of(plan, "Ready"));
	g_assert_nonnull(condition_of(plan, "SourceInventoryNotReady"));

	/* -o yaml of several is a List that reads back */
	r = run_ferry("get", "hosts,", "-n", "openshift-mtv", NULL);
	g_assert_cmpint(r.status, ==, 2);
	run_result_clear(&r);
	r = run_ferry("get", "storagemaps", "-n", "openshift-mtv", "-o", "yaml", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "apiVersion: v1\nitems:\n- apiVersion: "
					      "forklift.konveyor.io/v1beta1\n"));
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) again =
			ferry_manifest_load_data(r.out, -1, "get.yaml", NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(again->len, ==, 1);
	}
	run_result_clear(&r);

	/* describe */
	r = run_ferry("describe", "plan", "web-tier", "-n", "openshift-mtv", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "Name:             web-tier\n"));
	/* describe validates the plan: its source's inventory is not loaded */
	g_assert_nonnull(strstr(r.out, "  SourceInventoryNotReady   True     Critical"));
	g_assert_nonnull(strstr(r.out, "Load it with 'ferry inventory refresh vsphere-source -n "
				       "openshift-mtv'."));
	g_assert_nonnull(
		strstr(r.out, "Used By:          Migration/openshift-mtv/web-tier-run-1\n"));
	run_result_clear(&r);
}

static void
test_apply_broken(void)
{
	g_autofree char *broken = manifest("broken.yaml");
	g_autofree char *expected = NULL;
	RunResult r;

	apply_docs();
	r = run_ferry("apply", "-f", broken, NULL);
	g_assert_cmpint(r.status, !=, 0);
	expected = g_strdup_printf("ferry apply: error: 2 errors in the manifests; nothing was "
				   "applied:\n"
				   "%s:18:13: Plan/web-tier: spec.map.network.name: expected a "
				   "string, got an integer 42\n",
				   broken);
	g_assert_true(g_str_has_prefix(r.err, expected));
	g_assert_cmpstr(r.out, ==, "");
	run_result_clear(&r);
	/* the valid document before the bad one was not applied either */
	r = run_ferry("get", "networkmap", "good-map", NULL);
	g_assert_cmpint(r.status, !=, 0);
	run_result_clear(&r);

	/* standard input, with a reference that does not resolve */
	r = run_ferry_stdin("apiVersion: forklift.konveyor.io/v1beta1\nkind: Migration\n"
			    "metadata: {name: run-2}\nspec: {plan: {name: missing-plan}}\n",
			    "apply", "-f", "-", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "migration.forklift.konveyor.io/run-2 created\n");
	g_assert_nonnull(strstr(r.err, "Warning: Migration/run-2: PlanNotValid: spec.plan names "
				       "Plan default/missing-plan, which does not exist"));
	run_result_clear(&r);
}

static void
test_dry_run_and_directory(void)
{
	g_autofree char *docs = manifest("forklift-docs.yaml");
	g_autofree char *dir = g_build_filename(state_dir, "manifests", NULL);
	g_autofree char *first = g_build_filename(dir, "10-hook.yaml", NULL);
	g_autofree char *second = g_build_filename(dir, "20-hook.json", NULL);
	g_autofree char *ignored = g_build_filename(dir, "notes.txt", NULL);
	RunResult r = run_ferry("apply", "--dry-run", "-f", docs, NULL);

	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "plan.forklift.konveyor.io/web-tier valid (dry run)\n"));
	run_result_clear(&r);
	r = run_ferry("get", "plans", "-A", NULL);
	g_assert_cmpstr(r.err, ==, "No resources found\n");
	run_result_clear(&r);

	/* a directory: its .yaml, .yml and .json files in name order */
	g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(first,
					  "apiVersion: forklift.konveyor.io/v1beta1\nkind: Hook\n"
					  "metadata: {name: first}\nspec: {image: a}\n",
					  -1, NULL));
	g_assert_true(g_file_set_contents(
		second,
		"{\"apiVersion\": \"forklift.konveyor.io/v1beta1\", \"kind\": \"Hook\", "
		"\"metadata\": {\"name\": \"second\"}, \"spec\": {\"image\": \"b\"}}",
		-1, NULL));
	g_assert_true(g_file_set_contents(ignored, "not a manifest", -1, NULL));
	r = run_ferry("apply", "-f", dir, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==,
			"hook.forklift.konveyor.io/first created\n"
			"hook.forklift.konveyor.io/second created\n");
	run_result_clear(&r);
	r = run_ferry("get", "hooks", NULL);
	g_assert_true(g_str_has_prefix(r.out, "NAME     READY   IMAGE   AGE\nfirst    True    a"));
	run_result_clear(&r);
	g_unlink(first);
	g_unlink(second);
	g_unlink(ignored);
	g_rmdir(dir);
}

static void
test_bad_state(void)
{
	g_autofree char *db = g_build_filename(state_dir, "ferry.db", NULL);
	g_autofree char *saved = g_strdup(state_dir);
	RunResult r;

	/* a damaged database says which file and what to do */
	g_assert_true(g_file_set_contents(db,
					  "this is not a database, just text of some length "
					  "so that SQLite reads a header from it\n",
					  -1, NULL));
	r = run_ferry("get", "plans", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, db));
	g_assert_nonnull(strstr(r.err, "move it away, or use another --state directory"));
	run_result_clear(&r);

	/* a state directory that cannot be created */
	g_free(state_dir);
	state_dir = g_strdup("/proc/ferry-cannot-be-here");
	r = run_ferry("get", "plans", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(
		strstr(r.err, "cannot create the state directory /proc/ferry-cannot-be-here"));
	run_result_clear(&r);
	g_free(state_dir);
	state_dir = g_steal_pointer(&saved);
}

static void
test_delete(void)
{
	g_autoptr(JsonObject) provider = NULL;
	JsonArray *conditions;
	gboolean found = FALSE;
	RunResult r;

	apply_docs();
	r = run_ferry("delete", "secret", "vsphere-credentials", "-n", "openshift-mtv", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "secret \"vsphere-credentials\" deleted\n");
	g_assert_nonnull(strstr(r.err,
				"Warning: Provider/openshift-mtv/vsphere-source still refers "
				"to it"));
	run_result_clear(&r);
	provider = get_json("provider", "vsphere-source");
	conditions = json_object_get_array_member(json_object_get_object_member(provider, "status"),
						  "conditions");
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(c, "type"), "SecretNotValid") == 0) {
			g_assert_cmpstr(json_object_get_string_member(c, "reason"), ==, "NotFound");
			found = TRUE;
		}
	}
	g_assert_true(found);
	r = run_ferry("delete", "secret", "vsphere-credentials", "-n", "openshift-mtv", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, "not found"));
	run_result_clear(&r);
}

/* delete -f: what the manifests name, in the reverse order of apply */
static void
test_delete_from_manifests(void)
{
	g_autofree char *docs = manifest("forklift-docs.yaml");
	RunResult r;
	char *plan, *secret;

	apply_docs();
	r = run_ferry("delete", "-f", docs, NULL);
	g_assert_cmpint(r.status, ==, 0);
	plan = strstr(r.out, "plan.forklift.konveyor.io \"web-tier\" deleted\n");
	secret = strstr(r.out, "secret \"vsphere-credentials\" deleted\n");
	g_assert_nonnull(plan);
	g_assert_nonnull(secret);
	g_assert_true(plan < secret);
	run_result_clear(&r);
	r = run_ferry("get", "plans", "-A", NULL);
	g_assert_cmpstr(r.err, ==, "No resources found\n");
	run_result_clear(&r);
	/* gone: an error, unless --ignore-not-found */
	r = run_ferry("delete", "-f", docs, NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, "not found"));
	run_result_clear(&r);
	r = run_ferry("delete", "-f", docs, "--ignore-not-found", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "");
	run_result_clear(&r);
}

/* the verbs that work on the local state only say so in cluster mode,
 * before reading any kubeconfig */
static void
test_cluster_mode_local_only_verbs(void)
{
	RunResult r = run_ferry("--kubeconfig", "/nonexistent/kubeconfig", "run", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, "ferry run works on the local state only"));
	run_result_clear(&r);
	r = run_ferry("copy", "a.img", "b.img", "--context", "elsewhere", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, "ferry copy works on the local state only"));
	run_result_clear(&r);
	/* a verb that works on a cluster reads the kubeconfig, and names it */
	r = run_ferry("--kubeconfig", "/nonexistent/kubeconfig", "get", "plans", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, "kubeconfig /nonexistent/kubeconfig: cannot read it"));
	run_result_clear(&r);
}

/* the values of the Secrets in the manifests, in every form they take */
static const char *const secret_values[] = {
	"Secr3t-Passw0rd-For-Docs", "FakeCertificateForTestsOnly", "RXN4aS1Ib3N0LVBhc3N3b3Jk",
	"Esxi-Host-Password",       "Leaky-Value-9f8e7d",          "TGVha3ktVmFsdWUtOWY4ZTdk",
};

static void
test_no_secret_leaks(void)
{
	const char *const formats[] = {"table", "json", "yaml", NULL};
	const char *const kinds[] = {"secret", "provider", "host", NULL};
	RunResult r;

	apply_docs();
	{
		g_autofree char *providers = manifest("forklift-docs-providers.yaml");
		r = run_ferry("apply", "-f", providers, NULL);
		g_assert_cmpint(r.status, ==, 0);
		run_result_clear(&r);
	}
	for (guint k = 0; kinds[k] != NULL; k++) {
		for (guint f = 0; formats[f] != NULL; f++) {
			r = run_ferry("get", kinds[k], "-n", "openshift-mtv", "-o", formats[f],
				      NULL);
			g_assert_cmpint(r.status, ==, 0);
			run_result_clear(&r);
			r = run_ferry("get", kinds[k], "-A", "-o", formats[f], NULL);
			run_result_clear(&r);
		}
	}
	r = run_ferry("get", "secret", "vsphere-credentials", "-n", "openshift-mtv", "-o", "yaml",
		      NULL);
	/* the keys are shown, the values are not */
	g_assert_nonnull(strstr(r.out, "  password: '[redacted]'\n"));
	g_assert_nonnull(strstr(r.out, "  user: '[redacted]'\n"));
	run_result_clear(&r);
	r = run_ferry("describe", "secret", "vsphere-credentials", "-n", "openshift-mtv", NULL);
	g_assert_nonnull(strstr(r.out, "  password: 24 bytes\n"));
	run_result_clear(&r);
	r = run_ferry("describe", "secret", "esxi-host-credentials", "-n", "openshift-mtv", NULL);
	run_result_clear(&r);
	r = run_ferry("describe", "provider", "vsphere-source", "-n", "openshift-mtv", NULL);
	run_result_clear(&r);
	r = run_ferry("describe", "host", "esxi-21", "-n", "openshift-mtv", NULL);
	run_result_clear(&r);
	{
		const char *const secrets[] = {"ovirt-credentials", "openstack-credentials",
					       "remote-cluster-token", "ova-credentials", NULL};
		for (guint i = 0; secrets[i] != NULL; i++) {
			r = run_ferry("describe", "secret", secrets[i], "-n", "openshift-mtv",
				      NULL);
			g_assert_cmpint(r.status, ==, 0);
			run_result_clear(&r);
			r = run_ferry("get", "secret", secrets[i], "-n", "openshift-mtv", "-o",
				      "json", NULL);
			run_result_clear(&r);
		}
	}

	/* errors about Secrets do not quote them either */
	r = run_ferry_stdin("apiVersion: v1\nkind: Secret\nmetadata: {name: leaky}\n"
			    "data: {password: 'Leaky-Value-9f8e7d'}\n"
			    "stringData: {port: 8443, token: [Leaky-Value-9f8e7d]}\n",
			    "apply", "-f", "-", NULL);
	g_assert_cmpint(r.status, !=, 0);
	g_assert_nonnull(strstr(r.err, "data.password: not valid base64"));
	g_assert_nonnull(strstr(r.err, "stringData.token: expected a string, got a list"));
	run_result_clear(&r);
	r = run_ferry_stdin("apiVersion: v1\nkind: Secret\nmetadata: {name: leaky}\n"
			    "data: {password: TGVha3ktVmFsdWUtOWY4ZTdk}\n"
			    "---\nkind: Plan\n",
			    "apply", "-f", "-", NULL);
	g_assert_cmpint(r.status, !=, 0);
	run_result_clear(&r);
	r = run_ferry_stdin("apiVersion: v1\nkind: Secret\nmetadata: {name: leaky}\n"
			    "data: {password: TGVha3ktVmFsdWUtOWY4ZTdk}\n",
			    "apply", "-v", "-f", "-", NULL);
	g_assert_cmpint(r.status, ==, 0);
	run_result_clear(&r);
	r = run_ferry("get", "secret", "leaky", "-o", "json", NULL);
	run_result_clear(&r);
	r = run_ferry("describe", "secret", "leaky", NULL);
	run_result_clear(&r);

	for (guint i = 0; i < all_output->len; i++) {
		const char *text = g_ptr_array_index(all_output, i);
		for (guint v = 0; v < G_N_ELEMENTS(secret_values); v++) {
			if (text != NULL && strstr(text, secret_values[v]) != NULL)
				g_error("a secret value was printed:\n%s", text);
		}
	}

	/* on disk: only secrets.db (mode 0600) holds them */
	{
		g_autoptr(GDir) dir = g_dir_open(state_dir, 0, NULL);
		const char *name;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(state_dir, name, NULL);
			g_autofree char *contents = NULL;
			gsize length = 0;
			GStatBuf st;
			g_assert_cmpint(g_stat(path, &st), ==, 0);
			if (g_str_has_prefix(name, "secrets.db")) {
				g_assert_cmpint(st.st_mode & 0077, ==, 0);
				continue;
			}
			g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
			for (guint v = 0; v < G_N_ELEMENTS(secret_values); v++)
				g_assert_null(
					g_strstr_len(contents, (gssize)length, secret_values[v]));
		}
	}
}

/* the MTV guide's command-line chapter, written for older Forklift releases:
 * a Host without spec.secret and the `host` Provider without a Secret are
 * accepted, with a warning that says what is missing and when it matters */
static void
test_mtv_guide_cli(void)
{
	g_autofree char *guide = manifest("mtv-guide-cli.yaml");
	RunResult r = run_ferry("apply", "-f", guide, NULL);
	g_autoptr(JsonObject) host_provider = NULL;
	g_autoptr(JsonObject) host = NULL;
	JsonObject *condition;

	if (r.status != 0)
		g_error("apply failed: %s", r.err);
	g_assert_nonnull(strstr(r.err, "Host/openshift-mtv/esxi-guide: spec.secret"));
	g_assert_nonnull(strstr(r.err, "ESXi"));
	run_result_clear(&r);

	host_provider = get_json("provider", "host");
	g_assert_null(condition_of(host_provider, "SecretNotValid"));
	host = get_json("host", "esxi-guide");
	condition = condition_of(host, "SecretNotValid");
	g_assert_nonnull(condition);
	g_assert_cmpstr(json_object_get_string_member(condition, "category"), ==, "Warn");
	g_assert_nonnull(strstr(json_object_get_string_member(condition, "message"),
				"migration network"));
	g_assert_nonnull(condition_of(host, "Ready"));
}

/* every file and directory under @path is private to its owner */
static void
assert_private_tree(const char *path)
{
	struct stat st;
	g_autoptr(GDir) dir = NULL;
	const char *name;

	g_assert_cmpint(g_lstat(path, &st), ==, 0);
	if ((st.st_mode & 077) != 0)
		g_error("%s has mode %04o: others can reach it", path, st.st_mode & 07777);
	if (!S_ISDIR(st.st_mode))
		return;
	dir = g_dir_open(path, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		assert_private_tree(child);
	}
}

static void
test_state_private(void)
{
	g_autofree char *docs = manifest("forklift-docs.yaml");
	g_autofree char *db = g_build_filename(state_dir, "ferry.db", NULL);
	g_autofree char *sub = g_build_filename(state_dir, "journals", NULL);
	g_autofree char *note = g_build_filename(sub, "note", NULL);
	RunResult r = run_ferry("apply", "-f", docs, NULL);

	g_assert_cmpint(r.status, ==, 0);
	run_result_clear(&r);
	assert_private_tree(state_dir);

	/* a state directory opened to others (an old Ferry, a careless chmod)
	 * is tightened, with a warning */
	g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
	g_assert_true(g_file_set_contents(note, "x", -1, NULL));
	g_assert_cmpint(g_chmod(note, 0644), ==, 0);
	g_assert_cmpint(g_chmod(sub, 0755), ==, 0);
	g_assert_cmpint(g_chmod(db, 0644), ==, 0);
	g_assert_cmpint(g_chmod(state_dir, 0755), ==, 0);
	r = run_ferry("get", "plans", "-n", "openshift-mtv", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.err, "could be read by others"));
	g_assert_nonnull(strstr(r.err, state_dir));
	run_result_clear(&r);
	assert_private_tree(state_dir);
}

static void
remove_tree(const char *dir)
{
	g_assert_true(ferry_files_remove_tree(dir, NULL));
}

typedef void (*TestFunc)(void);

static void
run_in_fresh_state(gconstpointer data)
{
	TestFunc func = (TestFunc)data;
	state_dir = g_dir_make_tmp("ferry-resources-XXXXXX", NULL);
	func();
	remove_tree(state_dir);
	g_clear_pointer(&state_dir, g_free);
}

int
main(int argc, char **argv)
{
	int status;
	g_test_init(&argc, &argv, NULL);
	all_output = g_ptr_array_new_with_free_func(g_free);
	g_test_add_data_func("/resources/apply-and-get", (gconstpointer)test_apply_and_get,
			     run_in_fresh_state);
	g_test_add_data_func("/resources/apply-broken", (gconstpointer)test_apply_broken,
			     run_in_fresh_state);
	g_test_add_data_func("/resources/dry-run-and-directory",
			     (gconstpointer)test_dry_run_and_directory, run_in_fresh_state);
	g_test_add_data_func("/resources/bad-state", (gconstpointer)test_bad_state,
			     run_in_fresh_state);
	g_test_add_data_func("/resources/delete", (gconstpointer)test_delete, run_in_fresh_state);
	g_test_add_data_func("/resources/delete-from-manifests",
			     (gconstpointer)test_delete_from_manifests, run_in_fresh_state);
	g_test_add_data_func("/resources/cluster-mode-local-only-verbs",
			     (gconstpointer)test_cluster_mode_local_only_verbs, run_in_fresh_state);
	g_test_add_data_func("/resources/mtv-guide-cli", (gconstpointer)test_mtv_guide_cli,
			     run_in_fresh_state);
	g_test_add_data_func("/resources/state-private", (gconstpointer)test_state_private,
			     run_in_fresh_state);
	g_test_add_data_func("/resources/no-secret-leaks", (gconstpointer)test_no_secret_leaks,
			     run_in_fresh_state);
	status = g_test_run();
	g_ptr_array_unref(all_output);
	return status;
}

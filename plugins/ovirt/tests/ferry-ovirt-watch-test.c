/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Incremental inventory updates from the engine's events, against the
 * engine stand-in (tests/e2e/ovirt/engine-standin.py, a HAND-WRITTEN
 * STAND-IN for fakeovirt, which cannot be built here) serving fakeovirt's
 * recorded stubs and recorded event, started by ovirt-engine-bed.py.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-ovirt-inventory.h"

#define PROVIDER  "ovirt-prod"
#define VM_COLD   "31573c08-717b-43e0-825f-69a36fb0e1a1"
#define VM_RESUME "4db71538-9255-4ba3-a291-1240682dd8c6"
#define VM_LEGACY "basic-network"
#define HOST      "2900d577-63a8-4ec9-acff-8493278346b1"
#define POLL_MS   200

typedef struct {
	GSubprocess *process;
	char *url;
	char *ca;
	char *user;
	char *password;
} Engine;

static void
engine_free(Engine *engine)
{
	if (engine->process != NULL) {
		/* its standard input closes: it stops the stand-in */
		g_output_stream_close(g_subprocess_get_stdin_pipe(engine->process), NULL, NULL);
		g_subprocess_wait(engine->process, NULL, NULL);
		g_object_unref(engine->process);
	}
	g_free(engine->url);
	g_free(engine->ca);
	g_free(engine->user);
	g_free(engine->password);
	g_free(engine);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Engine, engine_free)

static Engine *
engine_start(void)
{
	g_autofree char *script = g_test_build_filename(G_TEST_DIST, "ovirt-engine-bed.py", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDataInputStream) out = NULL;
	Engine *engine = g_new0(Engine, 1);

	engine->process =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
				 &error, "python3", script, NULL);
	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(engine->process));
	for (;;) {
		g_autofree char *line = g_data_input_stream_read_line(out, NULL, NULL, &error);
		g_assert_no_error(error);
		if (line == NULL || g_str_equal(line, "SKIP")) {
			engine_free(engine);
			return NULL;
		}
		if (g_str_equal(line, "READY"))
			break;
		if (g_str_has_prefix(line, "URL="))
			engine->url = g_strdup(line + 4);
		else if (g_str_has_prefix(line, "CA="))
			engine->ca = g_strdup(line + 3);
		else if (g_str_has_prefix(line, "USER="))
			engine->user = g_strdup(line + 5);
		else if (g_str_has_prefix(line, "PASSWORD="))
			engine->password = g_strdup(line + 9);
	}
	g_assert_nonnull(engine->url);
	return engine;
}

static FerryOvirtClient *
engine_client(Engine *engine)
{
	g_autoptr(FerrySecret) secret = ferry_secret_new("ovirt-credentials");
	g_autoptr(FerryProviderConfig) config =
		ferry_provider_config_new("ovirt", "default", PROVIDER);
	g_autofree char *ca = NULL;
	g_autoptr(GError) error = NULL;
	FerryOvirtClient *client;

	g_assert_true(g_file_get_contents(engine->ca, &ca, NULL, NULL));
	ferry_secret_set_string(secret, "user", engine->user);
	ferry_secret_set_string(secret, "password", engine->password);
	ferry_secret_set_string(secret, "cacert", ca);
	ferry_provider_config_set_url(config, engine->url);
	ferry_provider_config_set_secret(config, secret);
	client = ferry_ovirt_client_new(config, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_ovirt_client_login(client, NULL, &error));
	g_assert_no_error(error);
	return client;
}

/* a change of the stand-in's engine (an event, a VM removed) */
static void
engine_post(FerryOvirtClient *client, const char *path, const char *body)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(xmlDoc) reply = ferry_ovirt_client_post(client, path, body, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(reply);
}

typedef struct {
	FerryOvirtClient *client;
	FerryInventory *inventory;
	GCancellable *cancellable;
	GError *error;
	gboolean ok;
} Watch;

/* the watch runs in its own thread, as the engine runs it */
static gpointer
watch_thread(gpointer user_data)
{
	Watch *watch = user_data;
	watch->ok = ferry_ovirt_inventory_watch(watch->client, watch->inventory, PROVIDER, POLL_MS,
						watch->cancellable, &watch->error);
	return NULL;
}

static char *
vm_status(FerryInventory *inventory, const char *id)
{
	g_autoptr(JsonObject) vm = ferry_inventory_get(inventory, PROVIDER, "vm", id, NULL);
	return vm != NULL ? g_strdup(json_object_get_string_member_with_default(vm, "status", ""))
			  : NULL;
}

/* waits up to 20 s until the VM's status is @status (NULL: until it is gone) */
static gboolean
wait_status(FerryInventory *inventory, const char *id, const char *status)
{
	for (guint i = 0; i < 2000; i++) {
		g_autofree char *now = vm_status(inventory, id);
		if (g_strcmp0(now, status) == 0)
			return TRUE;
		g_usleep(10 * 1000);
	}
	return FALSE;
}

static void
test_watch_events(void)
{
	g_autoptr(Engine) engine = engine_start();
	g_autoptr(FerryOvirtClient) client = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *path = NULL;
	g_autofree char *status = NULL;
	Watch watch = {0};
	GThread *thread;
	gint64 cold, resume, legacy;

	if (engine == NULL) {
		g_test_skip("fakeovirt's recorded stubs are not here (scripts/ovirt-testbed env)");
		return;
	}
	client = engine_client(engine);
	dir = g_dir_make_tmp("ferry-ovirt-watch-XXXXXX", &error);
	g_assert_no_error(error);
	path = g_build_filename(dir, "inventory.db", NULL);
	inventory = ferry_inventory_new(path, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_ovirt_inventory_load(client, inventory, PROVIDER, NULL, &error));
	g_assert_no_error(error);
	status = vm_status(inventory, VM_COLD);
	g_assert_cmpstr(status, ==, "down");
	cold = ferry_inventory_get_revision(inventory, PROVIDER, "vm", VM_COLD);
	resume = ferry_inventory_get_revision(inventory, PROVIDER, "vm", VM_RESUME);
	legacy = ferry_inventory_get_revision(inventory, PROVIDER, "vm", VM_LEGACY);
	g_assert_cmpint(cold, >, 0);

	watch.client = client;
	watch.inventory = inventory;
	watch.cancellable = cancellable;
	thread = g_thread_new("ovirt-watch", watch_thread, &watch);

	/* an event naming nothing (a login) changes nothing */
	engine_post(client, "/ferry-standin/event",
		    "{\"code\": 30, \"description\": \"User admin@internal logged in.\"}");
	g_usleep(5 * POLL_MS * 1000);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, PROVIDER, "vm", VM_COLD), ==, cold);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, PROVIDER, "vm", VM_RESUME), ==,
			resume);

	/* the VM is started: the event names it, it is fetched again, and only it */
	engine_post(client, "/vms/" VM_COLD "/start", "<action/>");
	g_assert_true(wait_status(inventory, VM_COLD, "up"));
	g_assert_cmpint(ferry_inventory_get_revision(inventory, PROVIDER, "vm", VM_COLD), >, cold);
	g_assert_cmpint(ferry_inventory_get_revision(inventory, PROVIDER, "vm", VM_RESUME), ==,
			resume);

	/* a VM removed with its event: gone from the inventory */
	engine_post(client, "/ferry-standin/remove-vm", "{\"vm\": \"" VM_LEGACY "\"}");
	g_assert_true(wait_status(inventory, VM_LEGACY, NULL));
	g_assert_cmpint(legacy, >, 0);

	/* a VM removed without an event naming it stays until an event about
	 * a host reloads everything */
	engine_post(client, "/ferry-standin/remove-vm",
		    "{\"vm\": \"" VM_RESUME "\", \"event\": false}");
	g_usleep(5 * POLL_MS * 1000);
	g_free(status);
	status = vm_status(inventory, VM_RESUME);
	g_assert_nonnull(status);
	engine_post(client, "/ferry-standin/event",
		    "{\"code\": 16, \"description\": \"Host is non responsive.\", "
		    "\"refs\": {\"host\": \"" HOST "\"}}");
	g_assert_true(wait_status(inventory, VM_RESUME, NULL));
	/* the reload kept what did not change */
	g_free(status);
	status = vm_status(inventory, VM_COLD);
	g_assert_cmpstr(status, ==, "up");

	/* cancelled: it stops with FERRY_ERROR_CANCELLED */
	g_cancellable_cancel(cancellable);
	g_thread_join(thread);
	g_assert_false(watch.ok);
	g_assert_error(watch.error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	g_clear_error(&watch.error);

	g_clear_object(&inventory);
	g_unlink(path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ovirt/watch/events", test_watch_events);
	return g_test_run();
}

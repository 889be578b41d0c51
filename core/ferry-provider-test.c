/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "ferry.h"

/* a small provider implementing power control only, to test the interface
 * wrappers (capability checks, error fix-ups, async dispatch) */
#define TEST_TYPE_POWER_PROVIDER (test_power_provider_get_type())
G_DECLARE_FINAL_TYPE(TestPowerProvider, test_power_provider, TEST, POWER_PROVIDER, GObject)

struct _TestPowerProvider {
	GObject parent_instance;
	FerryPowerState state;
	GThread *last_thread;
	gboolean forget_error;
};

static void test_power_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_TYPE_WITH_CODE(TestPowerProvider, test_power_provider, G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(FERRY_TYPE_PROVIDER, test_power_provider_iface_init))

static void
test_power_provider_class_init(TestPowerProviderClass *klass)
{
}

static void
test_power_provider_init(TestPowerProvider *self)
{
	self->state = FERRY_POWER_STATE_ON;
}

static const char *
tp_get_provider_type(FerryProvider *provider)
{
	return "test-power";
}

static FerryProviderCapabilities
tp_get_capabilities(FerryProvider *provider)
{
	return FERRY_PROVIDER_CAPABILITY_POWER;
}

static gboolean
tp_connect(FerryProvider *provider, FerryProviderConfig *config, GCancellable *c, GError **error)
{
	FerrySecret *secret = ferry_provider_config_get_secret(config);
	g_autofree char *password = secret ? ferry_secret_dup_string(secret, "password") : NULL;
	if (g_strcmp0(password, "right") != 0) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
				    "wrong user or password");
		return FALSE;
	}
	return TRUE;
}

static FerryPowerState
tp_get_power_state(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	TestPowerProvider *self = TEST_POWER_PROVIDER(provider);
	if (g_strcmp0(vm_id, "vm-1") != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "VM %s not found", vm_id);
		return FERRY_POWER_STATE_UNKNOWN;
	}
	return self->state;
}

static gboolean
tp_power_off(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	TestPowerProvider *self = TEST_POWER_PROVIDER(provider);
	self->last_thread = g_thread_self();
	if (self->forget_error)
		return FALSE;
	if (self->state == FERRY_POWER_STATE_OFF) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE, "VM %s is already off",
			    vm_id);
		return FALSE;
	}
	self->state = FERRY_POWER_STATE_OFF;
	return TRUE;
}

static void
test_power_provider_iface_init(FerryProviderInterface *iface)
{
	iface->get_provider_type = tp_get_provider_type;
	iface->get_capabilities = tp_get_capabilities;
	iface->connect = tp_connect;
	iface->get_power_state = tp_get_power_state;
	iface->power_off = tp_power_off;
}

static void
test_provider_sync(void)
{
	g_autoptr(TestPowerProvider) self = g_object_new(TEST_TYPE_POWER_PROVIDER, NULL);
	FerryProvider *provider = FERRY_PROVIDER(self);
	g_autoptr(FerryProviderConfig) config = ferry_provider_config_new("test-power", "ns", "p");
	g_autoptr(FerrySecret) secret = ferry_secret_new("creds");
	g_autoptr(GError) error = NULL;
	g_autofree char *display = ferry_provider_config_dup_display_name(config);

	g_assert_cmpstr(display, ==, "Provider/ns/p");
	ferry_secret_set_string(secret, "password", "wrong");
	ferry_provider_config_set_secret(config, secret);
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
	g_assert_null(ferry_provider_get_config(provider));
	g_clear_error(&error);

	ferry_secret_set_string(secret, "password", "right");
	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_provider_get_config(provider) == config);

	g_assert_cmpint(ferry_provider_get_power_state(provider, "vm-1", NULL, &error), ==,
			FERRY_POWER_STATE_ON);
	/* foreign error domains are converted */
	g_assert_cmpint(ferry_provider_get_power_state(provider, "vm-2", NULL, &error), ==,
			FERRY_POWER_STATE_UNKNOWN);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* missing capability: a clear error, the plugin is not called */
	g_assert_null(ferry_provider_create_snapshot(provider, "vm-1", "s", 0, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "snapshot"));
	g_assert_nonnull(strstr(error->message, "test-power"));
	g_clear_error(&error);
	g_assert_null(ferry_provider_open_disk(provider, "vm-1", "d", NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);

	/* optional steps without the capability succeed */
	g_assert_true(ferry_provider_pre_transfer(provider, "vm-1", NULL, &error));
	g_assert_true(ferry_provider_finalize_plan(provider, "plan", NULL, NULL, &error));
	g_assert_no_error(error);

	/* a plugin that fails without an error still yields one */
	self->forget_error = TRUE;
	g_assert_false(ferry_provider_power_off(provider, "vm-1", NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PLUGIN);
	g_clear_error(&error);
	self->forget_error = FALSE;

	{
		g_autofree char *caps =
		    ferry_provider_capabilities_to_string(ferry_provider_get_capabilities(provider));
		g_assert_cmpstr(caps, ==, "power");
	}
	g_assert_cmpstr(ferry_power_state_to_string(FERRY_POWER_STATE_OFF), ==, "Off");
}

typedef struct {
	GMainLoop *loop;
	gboolean ok;
	GError *error;
} AsyncData;

static void
power_off_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	AsyncData *data = user_data;
	data->ok = ferry_provider_power_off_finish(FERRY_PROVIDER(source), result, &data->error);
	g_main_loop_quit(data->loop);
}

static void
test_provider_async(void)
{
	g_autoptr(TestPowerProvider) self = g_object_new(TEST_TYPE_POWER_PROVIDER, NULL);
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	AsyncData data = {loop, FALSE, NULL};

	ferry_provider_power_off_async(FERRY_PROVIDER(self), "vm-1", NULL, power_off_cb, &data);
	g_main_loop_run(loop);
	g_assert_no_error(data.error);
	g_assert_true(data.ok);
	g_assert_cmpint(self->state, ==, FERRY_POWER_STATE_OFF);
	/* it ran in a worker thread, not this one */
	g_assert_true(self->last_thread != NULL && self->last_thread != g_thread_self());

	/* a second power-off reports the provider's error through _finish */
	ferry_provider_power_off_async(FERRY_PROVIDER(self), "vm-1", NULL, power_off_cb, &data);
	g_main_loop_run(loop);
	g_assert_false(data.ok);
	g_assert_error(data.error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_clear_error(&data.error);

	/* a call cancelled before it ran is FERRY_ERROR_CANCELLED, not GIO's code */
	{
		g_autoptr(GCancellable) cancellable = g_cancellable_new();
		g_cancellable_cancel(cancellable);
		ferry_provider_power_off_async(FERRY_PROVIDER(self), "vm-1", cancellable,
					       power_off_cb, &data);
		g_main_loop_run(loop);
		g_assert_false(data.ok);
		g_assert_error(data.error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
		g_clear_error(&data.error);
	}
}

static void
test_provider_remove_artifact_fallback(void)
{
	g_autoptr(TestPowerProvider) self = g_object_new(TEST_TYPE_POWER_PROVIDER, NULL);
	g_autoptr(JsonObject) details = json_object_new();
	g_autoptr(GError) error = NULL;

	json_object_set_string_member(details, "vmId", "vm-1");
	/* no snapshot capability: the fallback reports it */
	g_assert_false(ferry_provider_remove_artifact(FERRY_PROVIDER(self), "snapshot", "snap-1",
						      details, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/provider/sync", test_provider_sync);
	g_test_add_func("/provider/async", test_provider_async);
	g_test_add_func("/provider/remove-artifact", test_provider_remove_artifact_fallback);
	return g_test_run();
}

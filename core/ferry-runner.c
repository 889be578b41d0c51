/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-engine-private.h"
#include "ferry-error.h"
#include "ferry-estimate.h"
#include "ferry-plan-validation.h"
#include "ferry-platform.h"
#include "ferry-plugin-registry.h"
#include "ferry-rules-validator.h"
#include "ferry-runner.h"
#include "ferry-transfer-method.h"

/**
 * FerryRunner:
 *
 * Runs the migrations of the resources in a state directory: it ties the
 * resource store (Plans, Migrations, Providers, maps, Hooks), the inventory
 * and the plugin registry to a #FerryEngine. A Migration resource starts a
 * run of its plan, as in Forklift; the runner snapshots what the run needs
 * (plan, maps, hooks, providers, the inventory documents of the plan's VMs),
 * connects providers from their Provider resources and Secrets when the
 * engine asks, and writes the engine's progress back as the `status` of the
 * Plan (`status.migration`) and of the Migration, in Forklift's shape.
 *
 * Since: 0.1
 */
struct _FerryRunner {
	GObject parent_instance;
	char *state_dir;
	FerryPluginRegistry *registry;
	FerryStore *store;
	FerryInventory *inventory;
	FerryEngine *engine;
	gint64 synced_at;
	gboolean dirty;
	GHashTable *changed; /* uids of the migrations changed since the last sync */
};

G_DEFINE_TYPE(FerryRunner, ferry_runner, G_TYPE_OBJECT)

#define SYNC_INTERVAL_US (1 * G_USEC_PER_SEC)

static void
ferry_runner_finalize(GObject *object)
{
	FerryRunner *self = FERRY_RUNNER(object);
	g_clear_object(&self->engine);
	g_clear_object(&self->inventory);
	g_clear_object(&self->store);
	g_clear_object(&self->registry);
	g_free(self->state_dir);
	g_clear_pointer(&self->changed, g_hash_table_unref);
	G_OBJECT_CLASS(ferry_runner_parent_class)->finalize(object);
}

static void
ferry_runner_class_init(FerryRunnerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_runner_finalize;
}

static void
ferry_runner_init(FerryRunner *self)
{
	self->changed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static FerryProvider *
runner_provider_cb(const char *name_space, const char *name, gpointer user_data, GError **error)
{
	return ferry_runner_connect_provider(FERRY_RUNNER(user_data), name_space, name, NULL, error);
}

static FerrySecret *
runner_secret_cb(const char *name_space, const char *name, gpointer user_data, GError **error)
{
	return ferry_store_get_secret(FERRY_RUNNER(user_data)->store, name_space, name, error);
}

static void
runner_vm_changed_cb(FerryEngine *engine,
		     const char *uid,
		     const char *vm_id,
		     JsonObject *status,
		     gpointer user_data)
{
	FerryRunner *self = FERRY_RUNNER(user_data);
	self->dirty = TRUE;
	g_hash_table_add(self->changed, g_strdup(uid));
}

/**
 * ferry_runner_new:
 * @state_dir: the state directory
 * @registry: loaded plugins
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new runner, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryRunner *
ferry_runner_new(const char *state_dir, FerryPluginRegistry *registry, GError **error)
{
	g_autoptr(FerryRunner) self = g_object_new(FERRY_TYPE_RUNNER, NULL);
	g_autofree char *inventory_path = NULL;
	g_autoptr(GPtrArray) methods = NULL;

	g_return_val_if_fail(state_dir != NULL, NULL);
	g_return_val_if_fail(FERRY_IS_PLUGIN_REGISTRY(registry), NULL);
	self->state_dir = g_strdup(state_dir);
	self->registry = g_object_ref(registry);
	self->store = ferry_store_new(state_dir, error);
	if (self->store == NULL)
		return NULL;
	inventory_path = g_build_filename(state_dir, "inventory.db", NULL);
	self->inventory = ferry_inventory_new(inventory_path, error);
	if (self->inventory == NULL)
		return NULL;
	self->engine = ferry_engine_new(state_dir, error);
	if (self->engine == NULL)
		return NULL;
	methods = ferry_plugin_registry_create_transfer_methods(registry);
	ferry_engine_set_transfer_methods(self->engine, methods);
	ferry_engine_set_provider_func(self->engine, runner_provider_cb, self, NULL);
	ferry_engine_set_secret_func(self->engine, runner_secret_cb, self, NULL);
	g_signal_connect(self->engine, "vm-changed", G_CALLBACK(runner_vm_changed_cb), self);
	{
		/* ForkliftController settings become the engine's */
		g_autoptr(GPtrArray) controllers =
		    ferry_store_list(self->store, "ForkliftController", NULL, NULL);
		if (controllers != NULL && controllers->len > 0) {
			JsonObject *spec = ferry_resource_get_spec(g_ptr_array_index(controllers, 0));
			if (spec != NULL)
				ferry_engine_set_settings(self->engine, spec);
		}
	}
	return g_steal_pointer(&self);
}

/**
 * ferry_runner_get_store:
 * @self: a #FerryRunner
 *
 * Returns: (transfer none): the resource store
 *
 * Since: 0.1
 */
FerryStore *
ferry_runner_get_store(FerryRunner *self)
{
	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	return self->store;
}

/**
 * ferry_runner_get_engine:
 * @self: a #FerryRunner
 *
 * Returns: (transfer none): the engine
 *
 * Since: 0.1
 */
FerryEngine *
ferry_runner_get_engine(FerryRunner *self)
{
	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	return self->engine;
}

/**
 * ferry_runner_get_inventory:
 * @self: a #FerryRunner
 *
 * Returns: (transfer none): the inventory
 *
 * Since: 0.1
 */
FerryInventory *
ferry_runner_get_inventory(FerryRunner *self)
{
	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	return self->inventory;
}

/**
 * ferry_runner_connect_provider:
 * @self: a #FerryRunner
 * @name_space: (nullable): the Provider's namespace
 * @name: the Provider's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a provider connected with the Provider
 *   resource's URL, settings and Secret
 *
 * Since: 0.1
 */
FerryProvider *
ferry_runner_connect_provider(FerryRunner *self,
			      const char *name_space,
			      const char *name,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryProvider) provider = NULL;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	config = ferry_store_dup_provider_config(self->store, name_space, name, error);
	if (config == NULL)
		return NULL;
	provider = ferry_plugin_registry_create_provider(
	    self->registry, ferry_provider_config_get_provider_type(config), error);
	if (provider == NULL)
		return NULL;
	if (!ferry_provider_connect(provider, config, cancellable, error)) {
		g_autofree char *display = ferry_provider_config_dup_display_name(config);
		/* plugins name the Provider themselves (as the SDK asks); others get it here */
		if (error != NULL && *error != NULL &&
		    !g_str_has_prefix((*error)->message, display))
			g_prefix_error(error, "%s: ", display);
		return NULL;
	}
	return g_steal_pointer(&provider);
}

/* Provider status after a connection test: Forklift's conditions, the
 * fingerprint, the phase */
static void
runner_record_connection(FerryResource *provider,
			 FerryProviderConfig *config,
			 const char *fingerprint,
			 const GError *failure)
{
	JsonObject *status = ferry_resource_ensure_status(provider);
	FerrySecret *secret = config != NULL ? ferry_provider_config_get_secret(config) : NULL;

	ferry_resource_remove_condition(provider, "ConnectionTestFailed");
	ferry_resource_remove_condition(provider, "ConnectionAuthFailed");
	ferry_resource_remove_condition(provider, "ConnectionInsecure");
	if (failure != NULL) {
		gboolean auth = g_error_matches(failure, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
		ferry_resource_remove_condition(provider, "ConnectionTestSucceeded");
		ferry_resource_remove_condition(provider, "Ready");
		ferry_resource_set_condition(provider,
					     auth ? "ConnectionAuthFailed" : "ConnectionTestFailed",
					     TRUE, FERRY_CONDITION_CATEGORY_CRITICAL,
					     auth ? "AuthFailed" : "Tested", failure->message);
		json_object_set_string_member(status, "phase", "ConnectionFailed");
		return;
	}
	ferry_resource_set_condition(provider, "ConnectionTestSucceeded", TRUE,
				     FERRY_CONDITION_CATEGORY_REQUIRED, "Tested",
				     "Connection test, succeeded.");
	if (secret != NULL && ferry_secret_get_boolean(secret, "insecureSkipVerify", FALSE))
		ferry_resource_set_condition(provider, "ConnectionInsecure", TRUE,
					     FERRY_CONDITION_CATEGORY_WARN, "SkipTLSVerification",
					     "TLS is susceptible to machine-in-the-middle attacks "
					     "when certificate verification is skipped.");
	if (fingerprint != NULL)
		json_object_set_string_member(status, "fingerprint", fingerprint);
	else if (json_object_has_member(status, "fingerprint"))
		json_object_remove_member(status, "fingerprint");
	if (!ferry_resource_has_blocker(provider)) {
		ferry_resource_set_condition(provider, "Ready", TRUE,
					     FERRY_CONDITION_CATEGORY_REQUIRED, NULL,
					     "The provider is ready.");
		json_object_set_string_member(status, "phase", "Ready");
	} else {
		/* connected, but a blocker (e.g. InsufficientPrivileges) remains */
		ferry_resource_remove_condition(provider, "Ready");
		json_object_set_string_member(status, "phase", "ValidationFailed");
	}
}

static FerryConditionCategory
runner_parse_category(const char *text)
{
	static const FerryConditionCategory categories[] = {
		FERRY_CONDITION_CATEGORY_REQUIRED, FERRY_CONDITION_CATEGORY_ADVISORY,
		FERRY_CONDITION_CATEGORY_CRITICAL, FERRY_CONDITION_CATEGORY_ERROR,
		FERRY_CONDITION_CATEGORY_WARN,
	};
	for (guint i = 0; i < G_N_ELEMENTS(categories); i++) {
		if (g_strcmp0(ferry_condition_category_to_string(categories[i]), text) == 0)
			return categories[i];
	}
	return FERRY_CONDITION_CATEGORY_ADVISORY;
}

/* the conditions the provider's own test reported last time go; the new
 * ones are set, and their types kept in status.connectionTest so that the
 * next test can remove them (Forklift's staging of conditions) */
static void
runner_record_test_conditions(FerryResource *provider, JsonObject *test)
{
	JsonObject *status = ferry_resource_ensure_status(provider);
	JsonObject *previous = ferry_json_path_object(status, "connectionTest");
	JsonArray *old_types = ferry_json_path_array(previous, "conditionTypes");
	JsonArray *conditions = test != NULL ? ferry_json_path_array(test, "conditions") : NULL;
	JsonObject *record;
	JsonArray *types;

	for (guint i = 0; old_types != NULL && i < json_array_get_length(old_types); i++)
		ferry_resource_remove_condition(provider,
						json_array_get_string_element(old_types, i));
	if (test == NULL) {
		if (previous != NULL)
			json_object_remove_member(status, "connectionTest");
		return;
	}
	record = json_object_new();
	types = json_array_new();
	json_object_set_object_member(
		record, "details",
		json_object_ref(ferry_json_path_object(test, "details")));
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		const char *type = ferry_json_path_string(c, "type", NULL);
		JsonObject *set;
		if (type == NULL || ferry_json_path_string(c, "message", NULL) == NULL)
			continue;
		ferry_resource_set_condition(
			provider, type,
			g_strcmp0(ferry_json_path_string(c, "status", "True"), "False") != 0,
			runner_parse_category(ferry_json_path_string(c, "category", NULL)),
			ferry_json_path_string(c, "reason", NULL),
			ferry_json_path_string(c, "message", NULL));
		set = ferry_resource_get_condition(provider, type);
		if (ferry_json_path_string(c, "suggestion", NULL) != NULL)
			json_object_set_string_member(set, "suggestion",
						      ferry_json_path_string(c, "suggestion", NULL));
		if (ferry_json_path_array(c, "items") != NULL)
			json_object_set_array_member(
				set, "items", json_array_ref(ferry_json_path_array(c, "items")));
		json_array_add_string_element(types, type);
	}
	json_object_set_array_member(record, "conditionTypes", types);
	json_object_set_object_member(status, "connectionTest", record);
}

/* the namespaces the plans migrating to Provider @name_space/@name put
 * their VMs in, or the Provider's own namespace when no plan does */
static GStrv
runner_dup_target_namespaces(FerryRunner *self, const char *name_space, const char *name)
{
	g_autoptr(GPtrArray) plans = ferry_store_list(self->store, "Plan", NULL, NULL);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; plans != NULL && i < plans->len; i++) {
		FerryResource *plan = g_ptr_array_index(plans, i);
		const char *ns = NULL;
		const char *destination;
		const char *target;
		if (!FERRY_IS_PLAN(plan))
			continue;
		destination = ferry_plan_get_destination_provider(FERRY_PLAN(plan), &ns);
		if (ns == NULL || ns[0] == '\0')
			ns = ferry_resource_get_namespace(plan);
		target = ferry_plan_get_target_namespace(FERRY_PLAN(plan));
		if (g_strcmp0(destination, name) != 0 || g_strcmp0(ns, name_space) != 0 ||
		    target == NULL || target[0] == '\0' || g_hash_table_contains(seen, target))
			continue;
		g_hash_table_add(seen, (gpointer)target);
		g_strv_builder_add(builder, target);
	}
	if (g_hash_table_size(seen) == 0)
		g_strv_builder_add(builder, name_space);
	return g_strv_builder_end(builder);
}

/**
 * ferry_runner_test_provider:
 * @self: a #FerryRunner
 * @name_space: (nullable): the Provider's namespace
 * @name: the Provider's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Connects to the provider with its URL, settings and Secret, as Forklift's
 * provider controller does, and records the result in the Provider's
 * status: `ConnectionTestSucceeded` (or `ConnectionTestFailed` /
 * `ConnectionAuthFailed`), `ConnectionInsecure` when TLS is not verified,
 * `status.fingerprint` (the server certificate's SHA-1 thumbprint) and
 * `status.phase`. Then it asks the provider what else it finds
 * (ferry_provider_test_connection()) about the namespaces the plans
 * migrating to it use (their `spec.targetNamespace`, or the Provider's own
 * namespace when there is no such plan): those conditions (e.g. a cluster's
 * version, the APIs it serves, `InsufficientPrivileges`) replace the ones
 * of the previous test, and the details go to `status.connectionTest`. A
 * blocking one (Critical or Error) leaves the Provider not `Ready`.
 *
 * Returns: (transfer full): what was found (`type`, `url`, `fingerprint`,
 *   `seconds`, the provider's `details` and `conditions`), or %NULL with
 *   @error set when the connection failed (the failure is recorded in the
 *   status too)
 *
 * Since: 0.1
 */
JsonObject *
ferry_runner_test_provider(FerryRunner *self,
			   const char *name_space,
			   const char *name,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autoptr(FerryResource) resource = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(GError) failure = NULL;
	g_autoptr(GError) store_error = NULL;
	g_autofree char *fingerprint = NULL;
	g_autoptr(JsonObject) result = json_object_new();
	g_autoptr(JsonObject) test = NULL;
	gint64 started = g_get_monotonic_time();

	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);
	resource = ferry_store_get(self->store, "Provider", name_space, name, error);
	if (resource == NULL)
		return NULL;
	config = ferry_store_dup_provider_config(self->store, name_space, name, &failure);
	if (config != NULL) {
		provider = ferry_runner_connect_provider(self, name_space, name, cancellable,
							 &failure);
		if (provider != NULL)
			fingerprint = ferry_provider_get_fingerprint(provider);
	}
	if (provider != NULL) {
		g_auto(GStrv) namespaces = runner_dup_target_namespaces(
			self, ferry_resource_get_namespace(resource), name);
		test = ferry_provider_test_connection(provider, (const char *const *)namespaces,
						      cancellable, &failure);
		if (test == NULL)
			g_prefix_error(&failure, "%s: ", ferry_resource_get_name(resource));
	}
	runner_record_test_conditions(resource, failure == NULL ? test : NULL);
	runner_record_connection(resource, config, fingerprint, failure);
	if (!ferry_store_update_status(self->store, resource, &store_error))
		g_debug("the result of the connection test was not recorded: %s",
			store_error->message);
	if (failure != NULL) {
		g_propagate_error(error, g_steal_pointer(&failure));
		return NULL;
	}
	json_object_set_string_member(result, "type", ferry_provider_get_provider_type(provider));
	json_object_set_string_member(result, "url",
				      ferry_provider_config_get_url(config) != NULL
					  ? ferry_provider_config_get_url(config)
					  : "");
	if (fingerprint != NULL)
		json_object_set_string_member(result, "fingerprint", fingerprint);
	json_object_set_double_member(result, "seconds",
				      (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC);
	json_object_set_object_member(result, "details",
				      json_object_ref(ferry_json_path_object(test, "details")));
	json_object_set_array_member(result, "conditions",
				     json_array_ref(ferry_json_path_array(test, "conditions")));
	return g_steal_pointer(&result);
}

/**
 * ferry_runner_refresh_inventory:
 * @self: a #FerryRunner
 * @name_space: (nullable): the Provider's namespace
 * @name: the Provider's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads the provider's whole inventory again: a source's, or what a
 * destination with %FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY holds
 * already.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_runner_refresh_inventory(FerryRunner *self,
			       const char *name_space,
			       const char *name,
			       GCancellable *cancellable,
			       GError **error)
{
	g_autoptr(FerryProvider) provider =
	    ferry_runner_connect_provider(self, name_space, name, cancellable, error);
	if (provider == NULL)
		return FALSE;
	return ferry_provider_load_inventory(provider, self->inventory, cancellable, error);
}

/**
 * ferry_runner_watch_inventory:
 * @self: a #FerryRunner
 * @name_space: (nullable): the Provider's namespace
 * @name: the Provider's name
 * @cancellable: (nullable): ends the watch
 * @error: return location for a #GError
 *
 * Keeps the provider's inventory live: loads it first when it was never
 * loaded, then applies the platform's changes as they happen
 * (%FERRY_PROVIDER_CAPABILITY_WATCH: vSphere's WaitForUpdatesEx, oVirt's
 * events) until @cancellable is cancelled. Each applied update emits
 * #FerryInventory::changed on the runner's inventory, in the calling thread.
 * Blocks: run it in a thread of its own. A provider without the capability
 * gets %FERRY_ERROR_NOT_SUPPORTED, naming the Provider.
 *
 * Returns: %TRUE when @cancellable ended the watch; %FALSE with @error set
 *   when it could not start or the platform failed (the caller retries)
 *
 * Since: 0.1
 */
gboolean
ferry_runner_watch_inventory(FerryRunner *self,
			     const char *name_space,
			     const char *name,
			     GCancellable *cancellable,
			     GError **error)
{
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autofree char *display = NULL;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), FALSE);
	g_return_val_if_fail(name != NULL, FALSE);

	config = ferry_store_dup_provider_config(self->store, name_space, name, error);
	if (config == NULL)
		return FALSE;
	display = ferry_provider_config_dup_display_name(config);
	provider = ferry_plugin_registry_create_provider(
	    self->registry, ferry_provider_config_get_provider_type(config), error);
	if (provider == NULL)
		return FALSE;
	if (!ferry_provider_has_capability(provider, FERRY_PROVIDER_CAPABILITY_WATCH)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s (%s) cannot follow its inventory as it changes; load it "
			    "again with 'ferry inventory refresh %s'",
			    display, ferry_provider_config_get_provider_type(config), name);
		return FALSE;
	}
	if (!ferry_provider_connect(provider, config, cancellable, &local_error) ||
	    (!ferry_inventory_has_parity(self->inventory, name) &&
	     !ferry_provider_load_inventory(provider, self->inventory, cancellable,
					    &local_error)) ||
	    !ferry_provider_watch_inventory(provider, self->inventory, cancellable,
					    &local_error)) {
		if (g_cancellable_is_cancelled(cancellable) ||
		    g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_CANCELLED) ||
		    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return TRUE;
		/* plugins name the Provider themselves (as the SDK asks); others get it here */
		if (strstr(local_error->message, display) == NULL)
			g_prefix_error(&local_error, "%s: ", display);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	/* a watch that ends by itself without being cancelled */
	return TRUE;
}

/* whether the plan's VMs need a guest conversion no loaded method can do */
static gboolean
runner_lacks_converter(FerryRunner *self, FerryResource *plan, const char *source_type)
{
	g_autoptr(GPtrArray) methods = NULL;

	if (ferry_resource_get_boolean(plan, "spec.skipGuestConversion", FALSE) ||
	    source_type == NULL ||
	    !ferry_platform_has_capability(source_type, FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION))
		return FALSE;
	methods = ferry_plugin_registry_create_transfer_methods(self->registry);
	for (guint i = 0; i < methods->len; i++) {
		if (ferry_transfer_method_can_convert(g_ptr_array_index(methods, i)))
			return FALSE;
	}
	return TRUE;
}

/**
 * ferry_runner_validate_plan:
 * @self: a #FerryRunner
 * @plan: a Plan resource, as read from the store; its status is updated
 * @error: return location for a #GError
 *
 * Validates @plan against the inventory as it is (never loading it), as
 * Forklift's plan controller does: references, maps, VMs, the concerns of
 * the loaded validators and of the user's rule directories (part of the
 * state, ferry_store_dup_rules_directories()), and whether a loaded transfer
 * method converts guests when the source's guests need it (the
 * `GuestConversionUnavailable` condition). Saves the conditions in the store;
 * when a running migration wrote the plan's status meanwhile, reads it again
 * and retries. Every read of a plan's conditions (`get plan`, `plan list`,
 * `describe`, `plan start`) goes through here, so they all say the same.
 *
 * Returns: %TRUE when the conditions are current and saved
 *
 * Since: 0.1
 */
gboolean
ferry_runner_validate_plan(FerryRunner *self, FerryResource *plan, GError **error)
{
	g_autoptr(GPtrArray) validators = NULL;
	g_auto(GStrv) rules_dirs = NULL;
	const char *source_ns = NULL;
	const char *source_name;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), FALSE);
	g_return_val_if_fail(FERRY_IS_PLAN(plan), FALSE);

	source_name = ferry_resource_get_reference(plan, "spec.provider.source", &source_ns);
	if (source_ns == NULL || source_ns[0] == '\0')
		source_ns = ferry_resource_get_namespace(plan);
	validators = ferry_plugin_registry_create_validators(self->registry);
	rules_dirs = ferry_store_dup_rules_directories(self->store);
	for (guint i = 0; i < validators->len; i++) {
		if (!FERRY_IS_RULES_VALIDATOR(g_ptr_array_index(validators, i)))
			continue;
		for (guint j = 0; rules_dirs[j] != NULL; j++)
			ferry_rules_validator_add_directory(
			    FERRY_RULES_VALIDATOR(g_ptr_array_index(validators, i)), rules_dirs[j]);
	}
	for (guint attempt = 0;; attempt++) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(FerryResource) source = NULL;
		g_autoptr(FerryResource) fresh = NULL;
		const char *source_type = NULL;

		if (!ferry_plan_validate(FERRY_PLAN(plan), self->store, self->inventory, validators,
					 error))
			return FALSE;
		if (source_name != NULL)
			source = ferry_store_get(self->store, "Provider", source_ns, source_name, NULL);
		if (source != NULL)
			source_type = ferry_resource_get_string(source, "spec.type");
		if (runner_lacks_converter(self, plan, source_type)) {
			ferry_resource_set_condition(
			    plan, "GuestConversionUnavailable", TRUE,
			    FERRY_CONDITION_CATEGORY_CRITICAL, "NotAvailable",
			    "The VMs need guest conversion, but no loaded plugin converts guests.");
			json_object_set_string_member(
			    ferry_resource_get_condition(plan, "GuestConversionUnavailable"),
			    "suggestion",
			    "Install a plugin that converts guests (virt-v2v), or set "
			    "spec.skipGuestConversion: true for a raw copy.");
		} else {
			ferry_resource_remove_condition(plan, "GuestConversionUnavailable");
		}
		ferry_resource_update_ready(plan, "The migration plan is ready.");
		if (ferry_store_update_status(self->store, plan, &local_error))
			return TRUE;
		/* a running migration writes the plan's status too */
		if (attempt == 4 || !g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_BUSY)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		fresh = ferry_store_get(self->store, "Plan", ferry_resource_get_namespace(plan),
					ferry_resource_get_name(plan), error);
		if (fresh == NULL)
			return FALSE;
		ferry_resource_set_metadata_string(plan, "resourceVersion",
						   ferry_resource_get_resource_version(fresh));
		ferry_resource_set_status(plan, ferry_resource_get_status(fresh));
	}
}

/* a destination that can list what it holds is listed again before a plan
 * starts, so that the plan is checked against what is there now; one that
 * has nothing to list (a bundle directory) has no inventory */
static gboolean
runner_refresh_destination(FerryRunner *self,
			   FerryResource *plan,
			   GCancellable *cancellable,
			   GError **error)
{
	const char *name_space = NULL;
	const char *name = ferry_resource_get_reference(plan, "spec.provider.destination",
							&name_space);
	g_autoptr(FerryResource) destination = NULL;
	g_autoptr(GError) local_error = NULL;
	const char *type;

	if (name_space == NULL || name_space[0] == '\0')
		name_space = ferry_resource_get_namespace(plan);
	if (name != NULL)
		destination = ferry_store_get(self->store, "Provider", name_space, name, NULL);
	if (destination == NULL)
		return TRUE;
	type = ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(destination));
	if (!ferry_platform_has_capability(type, FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY))
		return TRUE;
	if (ferry_runner_refresh_inventory(self, name_space, name, cancellable, &local_error))
		return TRUE;
	if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED))
		return ferry_inventory_clear(self->inventory, name, error);
	/* credentials that may work in the target namespace but not list the
	 * whole destination: the plan runs, unchecked against it */
	if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED)) {
		g_warning("Plan/%s is not checked against the destination %s: %s",
			  ferry_resource_get_name(plan), name, local_error->message);
		return ferry_inventory_clear(self->inventory, name, error);
	}
	g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
				   "the destination provider %s could not be listed: ", name);
	return FALSE;
}

/* the Plan @name_space/@name from the store */
static FerryResource *
runner_get_plan(FerryRunner *self, const char *name_space, const char *name, GError **error)
{
	g_autoptr(FerryResource) plan = ferry_store_get(self->store, "Plan", name_space, name,
							error);
	if (plan == NULL)
		return NULL;
	if (!FERRY_IS_PLAN(plan)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "Plan/%s is not a plan",
			    name);
		return NULL;
	}
	return g_steal_pointer(&plan);
}

/**
 * ferry_runner_check_plan_ready:
 * @self: a #FerryRunner
 * @name_space: (nullable): the Plan's namespace
 * @name: the Plan's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Everything `ferry plan start` checks before it starts a plan: loads the
 * source's inventory when it was never loaded, loads the destination's
 * inventory again when it has one
 * (%FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY; when the credentials
 * may not list it, the plan is not checked against it, with a warning),
 * validates the plan as
 * Forklift's plan controller does (references, maps, VMs, concerns of the
 * loaded validators), checks that a loaded transfer method converts guests
 * when the source's guests need it (the `GuestConversionUnavailable`
 * condition), and saves the plan's conditions in the store.
 *
 * Returns: (transfer container) (element-type Json.Object): the blocking
 *   conditions (`Critical` or `Error`, with `type`, `message` and, when
 *   there is one, `suggestion` and `items`), empty when the plan is ready;
 *   %NULL with @error set when the check could not be made
 *
 * Since: 0.1
 */
GPtrArray *
ferry_runner_check_plan_ready(FerryRunner *self,
			      const char *name_space,
			      const char *name,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(FerryResource) plan = NULL;
	g_autoptr(GPtrArray) blockers = NULL;
	const char *source_ns = NULL;
	const char *source_name;
	JsonObject *status;
	JsonNode *conditions;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	plan = runner_get_plan(self, name_space, name, error);
	if (plan == NULL)
		return NULL;
	/* validation reads the source's inventory: load it once if never loaded */
	source_name = ferry_resource_get_reference(plan, "spec.provider.source", &source_ns);
	if (source_ns == NULL)
		source_ns = ferry_resource_get_namespace(plan);
	if (source_name != NULL &&
	    !ferry_inventory_has_parity(self->inventory, source_name) &&
	    !ferry_runner_refresh_inventory(self, source_ns, source_name, cancellable, error))
		return NULL;
	if (!runner_refresh_destination(self, plan, cancellable, error))
		return NULL;
	if (!ferry_runner_validate_plan(self, plan, error))
		return NULL;

	blockers = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	status = ferry_resource_get_status(plan);
	conditions = status != NULL ? json_object_get_member(status, "conditions") : NULL;
	for (guint i = 0; conditions != NULL && JSON_NODE_HOLDS_ARRAY(conditions) &&
			  i < json_array_get_length(json_node_get_array(conditions));
	     i++) {
		JsonObject *c = json_array_get_object_element(json_node_get_array(conditions), i);
		const char *category =
		    c != NULL ? json_object_get_string_member_with_default(c, "category", "") : "";
		if ((g_strcmp0(category, "Critical") == 0 || g_strcmp0(category, "Error") == 0) &&
		    g_strcmp0(json_object_get_string_member_with_default(c, "status", "True"),
			      "True") == 0)
			g_ptr_array_add(blockers, json_object_ref(c));
	}
	return g_steal_pointer(&blockers);
}

/**
 * ferry_runner_estimate_plan:
 * @self: a #FerryRunner
 * @name_space: (nullable): the Plan's namespace
 * @name: the Plan's name
 * @bytes_per_second: the throughput to assume, or 0 for the one this
 *   machine reached in its last migration that copied data
 *   (ferry_estimate_recorded_throughput())
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * What `ferry plan estimate` prints: ferry_plan_estimate() of the plan,
 * after loading the source's inventory when it was never loaded (as
 * ferry_runner_check_plan_ready() does). With @bytes_per_second 0 and no
 * copy recorded, the times are %NULL and `throughput.source` says why.
 *
 * Returns: (transfer full): the estimate, or %NULL with @error set (the
 *   plan does not exist, its source cannot be loaded, VMs of it are not in
 *   the inventory)
 *
 * Since: 0.1
 */
JsonObject *
ferry_runner_estimate_plan(FerryRunner *self, const char *name_space, const char *name,
			   guint64 bytes_per_second, GCancellable *cancellable, GError **error)
{
	g_autoptr(FerryResource) plan = NULL;
	g_autoptr(JsonObject) recorded = NULL;
	g_autoptr(FerryResource) source = NULL;
	g_autofree char *how = NULL;
	const char *source_ns = NULL;
	const char *source_name;
	JsonObject *estimate;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	plan = runner_get_plan(self, name_space, name, error);
	if (plan == NULL)
		return NULL;
	source_name = ferry_resource_get_reference(plan, "spec.provider.source", &source_ns);
	if (source_ns == NULL)
		source_ns = ferry_resource_get_namespace(plan);
	if (source_name != NULL)
		source = ferry_store_get(self->store, "Provider", source_ns, source_name, NULL);
	/* a missing Provider: ferry_plan_estimate() names it */
	if (source != NULL && !ferry_inventory_has_parity(self->inventory, source_name) &&
	    !ferry_runner_refresh_inventory(self, source_ns, source_name, cancellable, error))
		return NULL;
	if (bytes_per_second == 0) {
		recorded = ferry_estimate_recorded_throughput(self->store, error);
		if (recorded == NULL && error != NULL && *error != NULL)
			return NULL;
		if (recorded != NULL) {
			bytes_per_second =
				(guint64)json_object_get_int_member(recorded, "bytesPerSecond");
			how = g_strdup("recorded");
		}
	}
	estimate = ferry_plan_estimate(FERRY_PLAN(plan), self->store, self->inventory,
				       bytes_per_second, how, error);
	if (estimate != NULL && recorded != NULL)
		json_object_set_object_member(json_object_get_object_member(estimate, "throughput"),
					      "recorded", g_steal_pointer(&recorded));
	return estimate;
}

static JsonObject *
resource_object(FerryResource *resource)
{
	return json_node_get_object(ferry_resource_get_json(resource));
}

static JsonObject *
ref_object(FerryResource *resource, const char *type)
{
	JsonObject *ref = json_object_new();
	json_object_set_string_member(ref, "namespace",
				      ferry_resource_get_namespace(resource) != NULL
					  ? ferry_resource_get_namespace(resource)
					  : "");
	json_object_set_string_member(ref, "name", ferry_resource_get_name(resource));
	json_object_set_string_member(ref, "uid", ferry_resource_get_uid(resource));
	json_object_set_int_member(ref, "generation", ferry_resource_get_generation(resource));
	if (type != NULL)
		json_object_set_string_member(ref, "type", type);
	return ref;
}

/* a referenced resource of the plan; the namespace defaults to the plan's */
static FerryResource *
runner_get_ref(FerryRunner *self,
	       FerryResource *plan,
	       const char *kind,
	       const char *path,
	       gboolean required,
	       GError **error)
{
	const char *name_space = NULL;
	const char *name = ferry_resource_get_reference(plan, path, &name_space);
	g_autofree char *display = ferry_resource_dup_display_name(plan);
	if (name == NULL) {
		if (required)
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: %s is not set; set it to the %s to use", display, path,
				    kind);
		return NULL;
	}
	if (name_space == NULL || name_space[0] == '\0')
		name_space = ferry_resource_get_namespace(plan);
	return ferry_store_get(self->store, kind, name_space, name, error);
}

static JsonObject *
runner_find_vm(FerryRunner *self, const char *provider, JsonObject *plan_vm)
{
	const char *id = ferry_json_path_string(plan_vm, "id", NULL);
	const char *name = ferry_json_path_string(plan_vm, "name", NULL);
	if (id != NULL && id[0] != '\0')
		return ferry_inventory_get(self->inventory, provider, "vm", id, NULL);
	if (name != NULL)
		return ferry_inventory_find_by_name(self->inventory, provider, "vm", name, NULL);
	return NULL;
}

/* map pairs may name their source; give them the inventory id too, as
 * Forklift's map references are resolved */
static void
runner_resolve_map(FerryRunner *self,
		   const char *provider,
		   JsonObject *map,
		   const char *const *kinds)
{
	JsonArray *pairs = ferry_json_path_array(map, "spec.map");
	for (guint i = 0; pairs != NULL && i < json_array_get_length(pairs); i++) {
		JsonObject *source = ferry_json_path_object(json_array_get_object_element(pairs, i),
							    "source");
		const char *name = ferry_json_path_string(source, "name", NULL);
		if (source == NULL || name == NULL || json_object_has_member(source, "id"))
			continue;
		for (guint k = 0; kinds[k] != NULL; k++) {
			g_autoptr(JsonObject) object =
			    ferry_inventory_find_by_name(self->inventory, provider, kinds[k], name, NULL);
			if (object != NULL && json_object_has_member(object, "id")) {
				json_object_set_string_member(source, "id",
							      json_object_get_string_member(object,
											    "id"));
				break;
			}
		}
	}
}

/* everything a run needs, snapshotted at its start as Forklift does */
static JsonObject *
runner_build_context(FerryRunner *self, FerryResource *plan, GError **error)
{
	g_autoptr(JsonObject) context = json_object_new();
	g_autoptr(FerryResource) source = NULL;
	g_autoptr(FerryResource) destination = NULL;
	g_autoptr(FerryResource) network_map = NULL;
	g_autoptr(FerryResource) storage_map = NULL;
	JsonObject *hooks = json_object_new();
	JsonObject *vms = json_object_new();
	JsonArray *plan_vms;
	g_autofree char *display = ferry_resource_dup_display_name(plan);
	const char *source_name;

	json_object_set_object_member(context, "hooks", hooks);
	json_object_set_object_member(context, "vms", vms);
	if (ferry_resource_get_boolean(plan, "spec.archived", FALSE)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "%s is archived; archived plans run no more migrations", display);
		return NULL;
	}
	source = runner_get_ref(self, plan, "Provider", "spec.provider.source", TRUE, error);
	if (source == NULL)
		return NULL;
	destination = runner_get_ref(self, plan, "Provider", "spec.provider.destination", TRUE,
				     error);
	if (destination == NULL)
		return NULL;
	network_map = runner_get_ref(self, plan, "NetworkMap", "spec.map.network", FALSE, error);
	if (network_map == NULL && error != NULL && *error != NULL)
		return NULL;
	storage_map = runner_get_ref(self, plan, "StorageMap", "spec.map.storage", FALSE, error);
	if (storage_map == NULL && error != NULL && *error != NULL)
		return NULL;

	json_object_set_object_member(context, "plan", ferry_json_object_copy(resource_object(plan)));
	json_object_set_object_member(context, "source",
				      ref_object(source, ferry_resource_get_string(source, "spec.type")));
	json_object_set_object_member(
	    context, "destination",
	    ref_object(destination, ferry_resource_get_string(destination, "spec.type")));
	if (network_map != NULL)
		json_object_set_object_member(context, "networkMap",
					      ferry_json_object_copy(resource_object(network_map)));
	if (storage_map != NULL)
		json_object_set_object_member(context, "storageMap",
					      ferry_json_object_copy(resource_object(storage_map)));

	/* the inventory documents of the plan's VMs; load the inventory once
	 * when the provider was never loaded */
	source_name = ferry_resource_get_name(source);
	if (!ferry_inventory_has_parity(self->inventory, source_name) &&
	    !ferry_runner_refresh_inventory(self, ferry_resource_get_namespace(source), source_name,
					    NULL, error))
		return NULL;
	{
		static const char *const storage_kinds[] = {"storage", "datastore",
							    "storagedomain", "volumetype", NULL};
		static const char *const network_kinds[] = {"network", "nicprofile", NULL};
		runner_resolve_map(self, source_name, ferry_json_path_object(context, "storageMap"),
				   storage_kinds);
		runner_resolve_map(self, source_name, ferry_json_path_object(context, "networkMap"),
				   network_kinds);
	}
	plan_vms = ferry_json_path_array(resource_object(plan), "spec.vms");
	for (guint i = 0; plan_vms != NULL && i < json_array_get_length(plan_vms); i++) {
		JsonObject *plan_vm = json_array_get_object_element(plan_vms, i);
		g_autoptr(JsonObject) vm = runner_find_vm(self, source_name, plan_vm);
		JsonArray *vm_hooks = ferry_json_path_array(plan_vm, "hooks");
		if (vm != NULL)
			json_object_set_object_member(vms, ferry_json_path_string(vm, "id", "?"),
						      json_object_ref(vm));
		for (guint h = 0; vm_hooks != NULL && h < json_array_get_length(vm_hooks); h++) {
			JsonObject *ref = json_array_get_object_element(vm_hooks, h);
			const char *ns = ferry_json_path_string(ref, "hook.namespace",
							       ferry_resource_get_namespace(plan));
			const char *name = ferry_json_path_string(ref, "hook.name", NULL);
			g_autofree char *key = g_strdup_printf("%s/%s", ns, name);
			g_autoptr(FerryResource) hook = NULL;
			if (name == NULL || json_object_has_member(hooks, key))
				continue;
			hook = ferry_store_get(self->store, "Hook", ns, name, NULL);
			if (hook != NULL)
				json_object_set_object_member(
				    hooks, key, ferry_json_object_copy(resource_object(hook)));
		}
	}
	return g_steal_pointer(&context);
}

/**
 * ferry_runner_create_migration:
 * @self: a #FerryRunner
 * @plan_namespace: (nullable): the plan's namespace
 * @plan_name: the plan
 * @error: return location for a #GError
 *
 * Writes a new Migration resource for the plan, which ferry_runner_run()
 * then starts.
 *
 * Returns: (transfer full): the Migration as stored
 *
 * Since: 0.1
 */
FerryResource *
ferry_runner_create_migration(FerryRunner *self,
			      const char *plan_namespace,
			      const char *plan_name,
			      GError **error)
{
	g_autoptr(FerryResource) plan = NULL;
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(FerryResource) migration = NULL;
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *suffix = g_uuid_string_random();
	g_autofree char *name = NULL;
	const char *ns;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	plan = ferry_store_get(self->store, "Plan", plan_namespace, plan_name, error);
	if (plan == NULL)
		return NULL;
	ns = ferry_resource_get_namespace(plan);
	name = g_strdup_printf("%.40s-%.5s", plan_name, suffix);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "apiVersion");
	json_builder_add_string_value(builder, "forklift.konveyor.io/v1beta1");
	json_builder_set_member_name(builder, "kind");
	json_builder_add_string_value(builder, "Migration");
	json_builder_set_member_name(builder, "metadata");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, name);
	json_builder_set_member_name(builder, "namespace");
	json_builder_add_string_value(builder, ns);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "spec");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "plan");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, plan_name);
	json_builder_set_member_name(builder, "namespace");
	json_builder_add_string_value(builder, ns);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	node = json_builder_get_root(builder);
	migration = ferry_resource_new_from_json(node, ns, error);
	if (migration == NULL)
		return NULL;
	g_ptr_array_add(list, g_object_ref(migration));
	if (!ferry_store_apply(self->store, list, NULL, error))
		return NULL;
	return ferry_store_get(self->store, "Migration", ns, name, error);
}

static gboolean
runner_engine_knows(FerryRunner *self, const char *uid)
{
	g_auto(GStrv) uids = ferry_engine_list_migrations(self->engine, FALSE);
	return g_strv_contains((const char *const *)uids, uid);
}

/**
 * ferry_runner_start_pending:
 * @self: a #FerryRunner
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Starts every Migration resource that has not run yet (oldest first, one
 * per plan at a time). A Migration whose plan cannot run gets a `Failed`
 * condition saying why, and the others still start.
 *
 * Returns: %FALSE when the state could not be read or written
 *
 * Since: 0.1
 */
gboolean
ferry_runner_start_pending(FerryRunner *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(GPtrArray) migrations = NULL;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), FALSE);
	migrations = ferry_store_list(self->store, "Migration", NULL, error);
	if (migrations == NULL)
		return FALSE;
	for (guint i = 0; i < migrations->len; i++) {
		FerryResource *migration = g_ptr_array_index(migrations, i);
		const char *uid = ferry_resource_get_uid(migration);
		g_autoptr(GError) local_error = NULL;
		g_autoptr(FerryResource) plan = NULL;
		g_autoptr(JsonObject) context = NULL;
		g_autofree char *started = NULL;
		JsonObject *status = ferry_resource_get_status(migration);

		if (runner_engine_knows(self, uid) ||
		    (status != NULL && json_object_has_member(status, "completed")))
			continue;
		plan = runner_get_ref(self, migration, "Plan", "spec.plan", TRUE, &local_error);
		if (plan != NULL)
			context = runner_build_context(self, plan, &local_error);
		if (context != NULL)
			started = ferry_engine_start_migration(self->engine, resource_object(migration),
							       context, &local_error);
		if (started == NULL) {
			/* another run of the same plan goes first: try again later */
			if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_BUSY))
				continue;
			g_autofree char *now = ferry_engine_timestamp_now();
			g_autoptr(GError) write_error = NULL;
			ferry_resource_set_condition(migration, "Failed", TRUE,
						     FERRY_CONDITION_CATEGORY_CRITICAL,
						     "PlanNotValid", local_error->message);
			json_object_set_string_member(ferry_resource_ensure_status(migration),
						      "completed", now);
			if (!ferry_store_update_status(self->store, migration, &write_error))
				g_warning("%s", write_error->message);
			g_warning("Migration/%s not started: %s", ferry_resource_get_name(migration),
				  local_error->message);
		}
	}
	return TRUE;
}

static void
runner_mirror_condition(FerryResource *resource, const char *phase, gboolean running)
{
	static const char *const types[] = {"Executing", "Running", "Succeeded", "Failed",
					    "Canceled"};
	for (guint i = 0; i < G_N_ELEMENTS(types); i++)
		ferry_resource_remove_condition(resource, types[i]);
	if (running) {
		ferry_resource_set_condition(resource,
					     g_strcmp0(ferry_resource_get_kind(resource), "Plan") == 0 ? "Executing" : "Running", TRUE,
					     FERRY_CONDITION_CATEGORY_ADVISORY, "Started",
					     "The plan is EXECUTING.");
	} else if (g_strcmp0(phase, "Succeeded") == 0) {
		ferry_resource_set_condition(resource, "Succeeded", TRUE,
					     FERRY_CONDITION_CATEGORY_ADVISORY, "Completed",
					     "The plan execution has SUCCEEDED.");
	} else if (g_strcmp0(phase, "Failed") == 0) {
		/* Advisory, as in Forklift: it records the last run and does not
		 * block a new Migration that retries the failed VMs */
		ferry_resource_set_condition(resource, "Failed", TRUE,
					     FERRY_CONDITION_CATEGORY_ADVISORY, "Completed",
					     "The plan execution has FAILED.");
	} else if (g_strcmp0(phase, "Canceled") == 0) {
		ferry_resource_set_condition(resource, "Canceled", TRUE,
					     FERRY_CONDITION_CATEGORY_ADVISORY, "Completed",
					     "The plan execution has been CANCELED.");
	}
}

/* writes a status, retrying once when the resource changed meanwhile */
static gboolean
runner_write_status(FerryRunner *self,
		    const char *kind,
		    const char *name_space,
		    const char *name,
		    JsonObject *migration_status,
		    GError **error)
{
	for (guint attempt = 0; attempt < 3; attempt++) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(FerryResource) resource =
		    ferry_store_get(self->store, kind, name_space, name, &local_error);
		const char *phase = ferry_json_path_string(migration_status, "phase", "Running");
		gboolean running = g_strcmp0(phase, "Running") == 0;
		JsonObject *status;

		if (resource == NULL) {
			/* the resource was deleted: nothing to write to */
			if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
				return TRUE;
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		status = ferry_resource_ensure_status(resource);
		if (g_strcmp0(kind, "Plan") == 0) {
			json_object_set_object_member(status, "migration",
						      ferry_json_object_copy(migration_status));
		} else {
			static const char *const members[] = {"started", "completed", "vms"};
			for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
				if (json_object_has_member(migration_status, members[i]))
					json_object_set_member(
					    status, members[i],
					    json_node_copy(json_object_get_member(migration_status,
										  members[i])));
			}
		}
		runner_mirror_condition(resource, phase, running);
		if (ferry_store_update_status(self->store, resource, &local_error))
			return TRUE;
		if (!g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_BUSY)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
		    "%s/%s keeps changing; its status was not written", kind, name);
	return FALSE;
}

/**
 * ferry_runner_sync:
 * @self: a #FerryRunner
 * @error: return location for a #GError
 *
 * Writes the engine's state as the status of every Migration and Plan it
 * ran: `status.migration` of the Plan, `status.vms` of the Migration, and
 * the `Executing`/`Running`, `Succeeded`, `Failed`, `Canceled` conditions.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
/* with @only_changed, the migrations this runner's engine changed since the
 * last sync and those running: a run's syncs then cost the same however many
 * migrations the state holds (each one read and rewrote every Migration and
 * Plan the state ever ran: 1.7 s at the end of a run after a few 20-VM plans) */
static gboolean
runner_sync(FerryRunner *self, gboolean only_changed, GError **error)
{
	g_auto(GStrv) uids = NULL;
	g_auto(GStrv) running = NULL;
	g_autoptr(GHashTable) plans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	uids = ferry_engine_list_migrations(self->engine, FALSE);
	if (only_changed)
		running = ferry_engine_list_migrations(self->engine, TRUE);
	for (guint i = 0; uids[i] != NULL; i++) {
		g_autoptr(JsonNode) node = NULL;
		if (only_changed && !g_hash_table_contains(self->changed, uids[i]) &&
		    !g_strv_contains((const char *const *)running, uids[i]))
			continue;
		node = ferry_engine_get_migration_status(self->engine, uids[i], error);
		JsonObject *status;
		const char *plan, *plan_ns;
		g_autoptr(GPtrArray) migrations = NULL;
		if (node == NULL)
			return FALSE;
		status = json_node_get_object(node);
		plan = ferry_json_path_string(status, "plan", NULL);
		plan_ns = ferry_json_path_string(status, "planNamespace", NULL);
		/* the Migration resource with this uid */
		migrations = ferry_store_list(self->store, "Migration", plan_ns, NULL);
		for (guint m = 0; migrations != NULL && m < migrations->len; m++) {
			FerryResource *migration = g_ptr_array_index(migrations, m);
			if (g_strcmp0(ferry_resource_get_uid(migration), uids[i]) == 0 &&
			    !runner_write_status(self, "Migration", plan_ns,
						 ferry_resource_get_name(migration), status, error))
				return FALSE;
		}
		g_hash_table_add(plans, g_strdup_printf("%s\n%s", plan_ns, plan));
	}
	{
		GHashTableIter iter;
		gpointer key;
		g_hash_table_iter_init(&iter, plans);
		while (g_hash_table_iter_next(&iter, &key, NULL)) {
			g_auto(GStrv) parts = g_strsplit(key, "\n", 2);
			g_autoptr(JsonNode) plan_status =
			    ferry_engine_get_plan_status(self->engine, parts[0], parts[1], error);
			JsonObject *object;
			JsonArray *history;
			const char *phase = "Running";
			if (plan_status == NULL)
				return FALSE;
			object = json_node_get_object(plan_status);
			history = ferry_json_path_array(object, "history");
			if (history != NULL && json_array_get_length(history) > 0)
				phase = ferry_json_path_string(
				    json_array_get_object_element(history,
								  json_array_get_length(history) - 1),
				    "phase", "Running");
			json_object_set_string_member(object, "phase", phase);
			if (!runner_write_status(self, "Plan", parts[0], parts[1], object, error))
				return FALSE;
		}
	}
	self->dirty = FALSE;
	self->synced_at = g_get_monotonic_time();
	g_hash_table_remove_all(self->changed);
	return TRUE;
}

gboolean
ferry_runner_sync(FerryRunner *self, GError **error)
{
	g_return_val_if_fail(FERRY_IS_RUNNER(self), FALSE);
	return runner_sync(self, FALSE, error);
}

static void
runner_migration_changed_cb(FerryEngine *engine,
			    const char *uid,
			    const char *phase,
			    gpointer user_data)
{
	FerryRunner *self = user_data;
	g_autoptr(GError) error = NULL;
	g_hash_table_add(self->changed, g_strdup(uid));
	if (!runner_sync(self, TRUE, &error))
		g_warning("%s", error->message);
}

/* Migrations the engine finished whose resource does not say so yet: a
 * process killed after the engine recorded the end and before the status
 * was written (the Migration's, or the Plan's after it). The next run's syncs, which look only at what changed, must
 * write them too, or their Plan would show Executing for ever. */
static void
runner_mark_unsynced(FerryRunner *self)
{
	g_autoptr(GPtrArray) migrations = ferry_store_list(self->store, "Migration", NULL, NULL);
	g_auto(GStrv) known = ferry_engine_list_migrations(self->engine, FALSE);
	g_auto(GStrv) running = ferry_engine_list_migrations(self->engine, TRUE);

	for (guint i = 0; migrations != NULL && i < migrations->len; i++) {
		FerryResource *migration = g_ptr_array_index(migrations, i);
		const char *uid = ferry_resource_get_uid(migration);
		JsonObject *status = ferry_resource_get_status(migration);
		g_autoptr(FerryResource) plan = NULL;

		if (uid == NULL || !g_strv_contains((const char *const *)known, uid) ||
		    g_strv_contains((const char *const *)running, uid))
			continue;
		/* killed between the Migration's status and the Plan's */
		if (status != NULL && json_object_has_member(status, "completed")) {
			plan = runner_get_ref(self, migration, "Plan", "spec.plan", FALSE, NULL);
			if (plan == NULL || !ferry_resource_has_condition(plan, "Executing"))
				continue;
		}
		g_hash_table_add(self->changed, g_strdup(uid));
		self->dirty = TRUE;
	}
}

/**
 * ferry_runner_run:
 * @self: a #FerryRunner
 * @cancellable: (nullable): stops the run; it continues with the next run
 * @error: return location for a #GError
 *
 * Recovers after a crash, starts pending Migrations and runs until no
 * migration is running, writing status as it goes. This is what
 * `ferry run` and `ferry plan start` do.
 *
 * Returns: %TRUE when every migration finished (whatever their outcome)
 *
 * Since: 0.1
 */
gboolean
ferry_runner_run(FerryRunner *self, GCancellable *cancellable, GError **error)
{
	gulong handler;
	gboolean ok = TRUE;
	gboolean active = TRUE;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), FALSE);
	if (!ferry_engine_recover(self->engine, cancellable, error))
		return FALSE;
	runner_mark_unsynced(self);
	if (!ferry_runner_start_pending(self, cancellable, error))
		return FALSE;
	handler = g_signal_connect(self->engine, "migration-changed",
				   G_CALLBACK(runner_migration_changed_cb), self);
	while (ok && active) {
		guint seen = engine_finished_jobs(self->engine);
		ok = ferry_engine_step(self->engine, &active, error);
		if (ok && self->dirty && g_get_monotonic_time() - self->synced_at > SYNC_INTERVAL_US)
			ok = runner_sync(self, TRUE, error);
		if (ok && !active) {
			/* a migration finished: its plan may have another one waiting */
			ok = ferry_runner_start_pending(self, cancellable, error);
			if (ok) {
				g_auto(GStrv) running = ferry_engine_list_migrations(self->engine, TRUE);
				active = running[0] != NULL;
			}
		}
		if (ok && active) {
			if (g_cancellable_is_cancelled(cancellable)) {
				ok = ferry_engine_run(self->engine, cancellable, error);
				break;
			}
			/* let the caller's signal and timeout sources run */
			while (g_main_context_iteration(NULL, FALSE))
				;
			/* the next pass as soon as a phase ends (a VM moves on at
			 * once, not up to 50 ms later at each of its phases), else
			 * in 50 ms for the main context */
			engine_wait_for_job(self->engine, seen, 50 * 1000);
		}
	}
	g_signal_handler_disconnect(self->engine, handler);
	if (ok)
		ok = runner_sync(self, TRUE, error);
	return ok;
}

/**
 * ferry_runner_dup_active_migration:
 * @self: a #FerryRunner
 * @plan_namespace: (nullable): the plan's namespace
 * @plan_name: the plan
 *
 * Returns: (transfer full) (nullable): the uid of the plan's latest
 *   migration, running or not
 *
 * Since: 0.1
 */
char *
ferry_runner_dup_active_migration(FerryRunner *self,
				  const char *plan_namespace,
				  const char *plan_name)
{
	g_autoptr(JsonNode) status = NULL;
	JsonArray *history;

	g_return_val_if_fail(FERRY_IS_RUNNER(self), NULL);
	status = ferry_engine_get_plan_status(self->engine,
					      plan_namespace != NULL ? plan_namespace : "default",
					      plan_name, NULL);
	if (status == NULL)
		return NULL;
	history = ferry_json_path_array(json_node_get_object(status), "history");
	if (history == NULL || json_array_get_length(history) == 0)
		return NULL;
	return g_strdup(ferry_json_path_string(
	    json_array_get_object_element(history, json_array_get_length(history) - 1),
	    "migration.uid", NULL));
}

static char *
runner_require_migration(FerryRunner *self,
			 const char *plan_namespace,
			 const char *plan_name,
			 GError **error)
{
	char *uid = ferry_runner_dup_active_migration(self, plan_namespace, plan_name);
	if (uid == NULL)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "Plan/%s has no migration; start it with `ferry plan start %s`",
			    plan_name, plan_name);
	return uid;
}

/**
 * ferry_runner_cancel:
 * @self: a #FerryRunner
 * @plan_namespace: (nullable): the plan's namespace
 * @plan_name: the plan
 * @vms: (array zero-terminated=1): VM ids or names
 * @error: return location for a #GError
 *
 * Cancels VMs of the plan's latest migration (the Migration's
 * `spec.cancel`); the running engine acts on it at its next pass.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_runner_cancel(FerryRunner *self,
		    const char *plan_namespace,
		    const char *plan_name,
		    const char *const *vms,
		    GError **error)
{
	g_autofree char *uid = runner_require_migration(self, plan_namespace, plan_name, error);
	if (uid == NULL)
		return FALSE;
	return ferry_engine_cancel_vms(self->engine, uid, vms, error) &&
	       ferry_runner_sync(self, error);
}

/**
 * ferry_runner_cutover:
 * @self: a #FerryRunner
 * @plan_namespace: (nullable): the plan's namespace
 * @plan_name: the plan
 * @vm: (nullable): one VM, or %NULL for all
 * @when: the cutover time
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_runner_cutover(FerryRunner *self,
		     const char *plan_namespace,
		     const char *plan_name,
		     const char *vm,
		     GDateTime *when,
		     GError **error)
{
	g_autofree char *uid = runner_require_migration(self, plan_namespace, plan_name, error);
	if (uid == NULL)
		return FALSE;
	return ferry_engine_set_cutover(self->engine, uid, vm, when, error);
}

/**
 * ferry_runner_archive:
 * @self: a #FerryRunner
 * @plan_namespace: (nullable): the plan's namespace
 * @plan_name: the plan
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Cleans up what the plan's migrations still hold and marks the plan
 * `Archived`; migrated VMs stay.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_runner_archive(FerryRunner *self,
		     const char *plan_namespace,
		     const char *plan_name,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(FerryResource) plan = NULL;

	plan = ferry_store_get(self->store, "Plan", plan_namespace, plan_name, error);
	if (plan == NULL)
		return FALSE;
	if (!ferry_engine_archive(self->engine, ferry_resource_get_namespace(plan), plan_name,
				  cancellable, error))
		return FALSE;
	ferry_resource_set_condition(plan, "Archived", TRUE, FERRY_CONDITION_CATEGORY_ADVISORY,
				     "UserRequested", "The migration plan has been archived.");
	return ferry_store_update_status(self->store, plan, error);
}

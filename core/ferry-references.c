/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-json-private.h"
#include "ferry-platform-private.h"
#include "ferry-plugin-private.h"
#include "ferry-references-private.h"
#include "ferry-resource-kinds.h"
#include "ferry-secret.h"

/*
 * References between resources (plan → maps → providers → secrets) are
 * checked every time the store changes, and reported the way Forklift does:
 * as status conditions with a reason (NotSet, NotFound, DataErr), never as a
 * refusal to apply. Only the condition types listed here are owned by this
 * check; the inventory and the engine add others.
 */

typedef struct {
	const char *kind;        /* kind of the resource checked */
	const char *path;        /* its reference field */
	const char *target_kind; /* what it must name */
	const char *condition;   /* the condition set when it does not */
	gboolean required;
} Reference;

static const Reference references[] = {
	{"Provider", "spec.secret", "Secret", "SecretNotValid", TRUE},
	{"Host", "spec.provider", "Provider", "ProviderNotValid", TRUE},
	{"Host", "spec.secret", "Secret", "SecretNotValid", TRUE},
	{"NetworkMap", "spec.provider.source", "Provider", "SourceProviderNotValid", TRUE},
	{"NetworkMap", "spec.provider.destination", "Provider", "DestinationProviderNotValid",
	 TRUE},
	{"StorageMap", "spec.provider.source", "Provider", "SourceProviderNotValid", TRUE},
	{"StorageMap", "spec.provider.destination", "Provider", "DestinationProviderNotValid",
	 TRUE},
	{"Plan", "spec.provider.source", "Provider", "SourceProviderNotValid", TRUE},
	{"Plan", "spec.provider.destination", "Provider", "DestinationProviderNotValid", TRUE},
	{"Plan", "spec.map.network", "NetworkMap", "NetworkMapRefNotValid", TRUE},
	{"Plan", "spec.map.storage", "StorageMap", "StorageRefNotValid", TRUE},
	{"Migration", "spec.plan", "Plan", "PlanNotValid", TRUE},
};

/* conditions this check owns, besides those in references[] */
static const char *const owned_conditions[] = {
	"NetworkMapNotReady", "StorageMapNotReady",    "HookNotValid", "DuplicateVM",
	"PlanNotReady",       "MigrationTypeNotValid", "UrlNotValid",  "ProviderTypeNotSupported",
	"ImageNotValid",      "PlaybookNotValid",      "HookNotReady", NULL,
};

/* Forklift's checks of spec.type and spec.url, as the platform says */
static void
check_provider_url(FerryProviderResource *provider)
{
	FerryResource *resource = FERRY_RESOURCE(provider);
	const char *type = ferry_provider_resource_get_provider_type(provider);
	const char *url = ferry_provider_resource_get_url(provider);
	g_autoptr(GError) error = NULL;

	if (type == NULL || !ferry_platform_is_known(type)) {
		g_auto(GStrv) types = ferry_platform_dup_types();
		g_autofree char *known = g_strjoinv(", ", types);
		g_autofree char *message = g_strdup_printf(
			"The provider type '%s' is not supported; use one of %s.",
			type != NULL ? type : "", known);
		ferry_resource_set_condition(resource, "ProviderTypeNotSupported", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotSupported",
					     message);
		return;
	}
	if (!ferry_platform_check_url(type, url, &error)) {
		ferry_resource_set_condition(resource, "UrlNotValid", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL,
					     url == NULL || url[0] == '\0' ? "NotSet" : "Malformed",
					     error->message);
		return;
	}
	if (url == NULL || url[0] == '\0')
		return;
	/* credentials (a password, a token, then a session cookie) would
	 * cross the network in clear: only on the user's explicit word */
	if (g_ascii_strncasecmp(url, "http://", 7) == 0 &&
	    ferry_provider_resource_get_secret(provider, NULL) != NULL &&
	    g_strcmp0(ferry_resource_get_string(resource, "spec.settings.insecureHTTP"), "true") !=
		0)
		ferry_resource_set_condition(
			resource, "UrlNotValid", TRUE, FERRY_CONDITION_CATEGORY_CRITICAL,
			"InsecureHTTP",
			"The `url` is plain HTTP, which would send the credentials in clear: use "
			"https://, or allow it explicitly with spec.settings.insecureHTTP: \"true\".");
}

static const char *const ready_messages[][2] = {
	{"Host", "The host is ready."},
	{"Hook", "The hook is ready."},
	{"NetworkMap", "The network map is ready."},
	{"StorageMap", "The storage map is ready."},
	{"Plan", "The migration plan is ready."},
	{"Migration", "The migration is ready."},
};

char *
ferry_references_key(const char *kind, const char *name_space, const char *name)
{
	return g_strdup_printf("%s/%s/%s", kind, name_space != NULL ? name_space : "default", name);
}

/* every hook reference in spec.vms[].hooks[] */
static void
list_hook_references(FerryResource *resource, GPtrArray *keys)
{
	JsonNode *vms = ferry_resource_get_node(resource, "spec.vms");
	if (vms == NULL || !JSON_NODE_HOLDS_ARRAY(vms))
		return;
	for (guint i = 0; i < json_array_get_length(json_node_get_array(vms)); i++) {
		g_autofree char *path = g_strdup_printf("spec.vms[%u].hooks", i);
		JsonNode *hooks = ferry_resource_get_node(resource, path);
		if (hooks == NULL || !JSON_NODE_HOLDS_ARRAY(hooks))
			continue;
		for (guint h = 0; h < json_array_get_length(json_node_get_array(hooks)); h++) {
			g_autofree char *hook_path =
				g_strdup_printf("spec.vms[%u].hooks[%u].hook", i, h);
			const char *name_space = NULL;
			const char *name =
				ferry_resource_get_reference(resource, hook_path, &name_space);
			if (name != NULL)
				g_ptr_array_add(keys,
						ferry_references_key("Hook", name_space, name));
		}
	}
}

GPtrArray *
ferry_references_list(FerryResource *resource)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	const char *kind = ferry_resource_get_kind(resource);

	for (guint i = 0; i < G_N_ELEMENTS(references); i++) {
		const char *name_space = NULL;
		const char *name;
		if (g_strcmp0(references[i].kind, kind) != 0)
			continue;
		name = ferry_resource_get_reference(resource, references[i].path, &name_space);
		if (name != NULL)
			g_ptr_array_add(keys, ferry_references_key(references[i].target_kind,
								   name_space, name));
	}
	if (g_strcmp0(kind, "Plan") == 0)
		list_hook_references(resource, keys);
	return keys;
}

static gboolean
secret_has_ca(FerrySecret *secret)
{
	return ferry_secret_has_key(secret, "ca.crt") || ferry_secret_has_key(secret, "cacert");
}

/* the keys a provider's Secret lacks, as the Forklift provider controller
 * checks them */
static GPtrArray *
missing_secret_keys(FerryProviderResource *provider, FerrySecret *secret)
{
	GPtrArray *missing = g_ptr_array_new_with_free_func(g_free);
	const char *type = ferry_provider_resource_get_provider_type(provider);
	gboolean insecure = ferry_secret_get_boolean(secret, "insecureSkipVerify", FALSE);
	const char *url = ferry_provider_resource_get_url(provider);
	gboolean needs_ca = FALSE;
	const char *const *required = ferry_platform_get_secret_keys(type, url, &needs_ca);

	needs_ca = needs_ca && !insecure;
	for (guint i = 0; required != NULL && required[i] != NULL; i++) {
		if (!ferry_secret_has_key(secret, required[i]))
			g_ptr_array_add(missing, g_strdup(required[i]));
	}
	/* a provider that trusts a SHA-1 certificate pin takes it instead */
	if (ferry_platform_has_capability(type, FERRY_PROVIDER_CAPABILITY_CERTIFICATE_PIN) &&
	    ferry_secret_has_key(secret, "thumbprint"))
		needs_ca = FALSE;
	if (needs_ca && !secret_has_ca(secret))
		g_ptr_array_add(missing, g_strdup("ca.crt"));
	return missing;
}

/* whether the provider sends credentials anywhere: a type that connects
 * with credentials (FERRY_PROVIDER_CAPABILITY_CREDENTIALS), except where it
 * asks for no Secret keys at a local address (the cluster Ferry runs in,
 * Forklift's `host` provider, or a bundle directory) */
static gboolean
provider_needs_credentials(FerryProviderResource *provider)
{
	const char *type = ferry_provider_resource_get_provider_type(provider);
	const char *url = ferry_provider_resource_get_url(provider);
	gboolean local = ferry_provider_resource_is_host(provider) || url == NULL ||
			 url[0] == '\0' || g_str_has_prefix(url, "file://");
	gboolean needs_ca = FALSE;

	if (!ferry_platform_has_capability(type, FERRY_PROVIDER_CAPABILITY_CREDENTIALS))
		return FALSE;
	if (local && ferry_platform_get_secret_keys(type, url, &needs_ca) == NULL && !needs_ca)
		return FALSE;
	return TRUE;
}

static void
check_provider_secret(FerryProviderResource *provider, GHashTable *secrets)
{
	FerryResource *resource = FERRY_RESOURCE(provider);
	const char *name_space = NULL;
	const char *name = ferry_provider_resource_get_secret(provider, &name_space);
	g_autofree char *key = NULL;
	FerrySecret *secret;
	g_autoptr(GPtrArray) missing = NULL;

	if (name == NULL) {
		if (provider_needs_credentials(provider))
			ferry_resource_set_condition(
				resource, "SecretNotValid", TRUE, FERRY_CONDITION_CATEGORY_CRITICAL,
				"NotSet",
				"The `secret` is not valid: set spec.secret to the Secret "
				"holding the credentials.");
		return;
	}
	key = g_strdup_printf("%s/%s", name_space, name);
	secret = g_hash_table_lookup(secrets, key);
	if (secret == NULL) {
		g_autofree char *message = g_strdup_printf(
			"The `secret` is not valid: Secret %s/%s does not exist; apply it.",
			name_space, name);
		ferry_resource_set_condition(resource, "SecretNotValid", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotFound",
					     message);
		return;
	}
	missing = missing_secret_keys(provider, secret);
	if (missing->len > 0) {
		g_autofree char *message = NULL;
		g_autofree char *keys = NULL;
		g_ptr_array_add(missing, NULL);
		keys = g_strjoinv(", ", (char **)missing->pdata);
		message = g_strdup_printf(
			"The `secret` is not valid: Secret %s/%s lacks the keys: %s.", name_space,
			name, keys);
		ferry_resource_set_condition(resource, "SecretNotValid", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "DataErr", message);
		ferry_resource_set_condition_items(resource, "SecretNotValid",
						   (const char *const *)missing->pdata);
	}
}

static void
check_reference(FerryResource *resource, const Reference *reference, GHashTable *index)
{
	const char *name_space = NULL;
	const char *name = ferry_resource_get_reference(resource, reference->path, &name_space);
	g_autofree char *key = NULL;
	g_autofree char *message = NULL;

	if (name == NULL) {
		if (!reference->required)
			return;
		message = g_strdup_printf("%s is not set; name a %s there.", reference->path,
					  reference->target_kind);
		ferry_resource_set_condition(resource, reference->condition, TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotSet", message);
		return;
	}
	key = ferry_references_key(reference->target_kind, name_space, name);
	if (!g_hash_table_contains(index, key)) {
		message =
			g_strdup_printf("%s names %s %s/%s, which does not exist; apply it.",
					reference->path, reference->target_kind, name_space, name);
		ferry_resource_set_condition(resource, reference->condition, TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotFound",
					     message);
	}
}

static FerryResource *
lookup(GHashTable *index, FerryResource *resource, const char *path, const char *kind)
{
	const char *name_space = NULL;
	const char *name = ferry_resource_get_reference(resource, path, &name_space);
	g_autofree char *key = NULL;
	if (name == NULL)
		return NULL;
	key = ferry_references_key(kind, name_space, name);
	return g_hash_table_lookup(index, key);
}

/* the ForkliftController the engine reads (the first by namespace and
 * name, as ferry_store_dup_controller()), or NULL */
static FerryResource *
find_controller(GHashTable *index)
{
	GHashTableIter iter;
	gpointer key, value;
	const char *best = NULL;
	FerryResource *found = NULL;

	g_hash_table_iter_init(&iter, index);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (!g_str_has_prefix(key, "ForkliftController/"))
			continue;
		if (best == NULL || strcmp(key, best) < 0) {
			best = key;
			found = value;
		}
	}
	return found;
}

/* a migration type Forklift switches with a feature gate (warm from oVirt:
 * controller_ovirt_warm_migration) is refused while the gate is off */
static void
check_feature_gate(FerryResource *plan, GHashTable *index, const char *provider_type,
		   const char *type)
{
	const char *gate = ferry_platform_get_feature_gate(provider_type, type);
	FerryResource *controller = find_controller(index);
	g_autofree char *message = NULL;

	if (ferry_forklift_controller_get_setting_boolean(
		    FERRY_IS_FORKLIFT_CONTROLLER(controller) ? FERRY_FORKLIFT_CONTROLLER(controller)
							     : NULL,
		    gate))
		return;
	message = g_strdup_printf(
		"Plan/%s: %s migration from %s providers is switched off: ForkliftController/%s "
		"sets %s to false; set it to true there, or use type cold.",
		ferry_resource_get_name(plan), type, provider_type,
		controller != NULL ? ferry_resource_get_name(controller) : "", gate);
	ferry_resource_set_condition(plan, "MigrationTypeNotValid", TRUE,
				     FERRY_CONDITION_CATEGORY_CRITICAL, "FeatureDisabled", message);
}

static void
check_plan(FerryPlan *plan, GHashTable *index)
{
	FerryResource *resource = FERRY_RESOURCE(plan);
	FerryResource *network_map = lookup(index, resource, "spec.map.network", "NetworkMap");
	FerryResource *storage_map = lookup(index, resource, "spec.map.storage", "StorageMap");
	FerryResource *source = lookup(index, resource, "spec.provider.source", "Provider");
	JsonArray *vms = ferry_plan_get_vms(plan);
	g_autoptr(GHashTable) seen_ids = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) seen_targets = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) duplicates = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) bad_hooks = g_ptr_array_new_with_free_func(g_free);
	const char *type = ferry_plan_get_migration_type(plan);
	gboolean hooks_not_ready = FALSE;

	if (network_map != NULL && ferry_resource_has_blocker(network_map))
		ferry_resource_set_condition(resource, "NetworkMapNotReady", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotReady",
					     "Map does not have Ready condition.");
	if (storage_map != NULL && ferry_resource_has_blocker(storage_map))
		ferry_resource_set_condition(resource, "StorageMapNotReady", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotReady",
					     "Map does not have Ready condition.");

	/* what each source platform supports (Forklift's Validator.MigrationType) */
	if (source != NULL) {
		const char *provider_type =
			ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(source));
		gboolean ok = ferry_platform_supports_migration_type(provider_type, type);
		if (!ok) {
			static const char *const types[] = {"cold", "warm", "conversion", "live"};
			g_autoptr(GString) supported = g_string_new(NULL);
			g_autoptr(GPtrArray) names = g_ptr_array_new();
			g_autofree char *message = NULL;
			for (guint t = 0; t < G_N_ELEMENTS(types); t++) {
				if (ferry_platform_supports_migration_type(provider_type, types[t]))
					g_ptr_array_add(names, (gpointer)types[t]);
			}
			for (guint t = 0; t < names->len; t++) {
				if (t > 0)
					g_string_append(supported,
							 t + 1 == names->len ? " or " : ", ");
				g_string_append(supported, g_ptr_array_index(names, t));
			}
			message = g_strdup_printf(
				"Migration type '%s' is not supported for a %s source; use %s.",
				type, provider_type, supported->str);
			ferry_resource_set_condition(resource, "MigrationTypeNotValid", TRUE,
						     FERRY_CONDITION_CATEGORY_CRITICAL, "NotValid",
						     message);
		} else if (ferry_platform_get_feature_gate(provider_type, type) != NULL) {
			check_feature_gate(resource, index, provider_type, type);
		}
	}

	for (guint i = 0; vms != NULL && i < json_array_get_length(vms); i++) {
		JsonNode *node = json_array_get_element(vms, i);
		JsonObject *vm;
		const char *id;
		const char *name;
		const char *target;
		g_autofree char *vm_key = NULL;
		if (!JSON_NODE_HOLDS_OBJECT(node))
			continue;
		vm = json_node_get_object(node);
		id = ferry_json_get_string(vm, "id");
		name = ferry_json_get_string(vm, "name");
		target = ferry_json_get_string(vm, "targetName");
		vm_key = g_strdup_printf("id:%s name:%s", id != NULL ? id : "",
					 name != NULL ? name : "");
		if ((id != NULL && id[0] != '\0' && !g_hash_table_add(seen_ids, (gpointer)id)) ||
		    ((id == NULL || id[0] == '\0') && name != NULL &&
		     !g_hash_table_add(seen_ids, (gpointer)name)) ||
		    (target != NULL && !g_hash_table_add(seen_targets, (gpointer)target)))
			g_ptr_array_add(duplicates, g_strdup(vm_key));
		{
			g_autofree char *hooks_path = g_strdup_printf("spec.vms[%u].hooks", i);
			JsonNode *hooks = ferry_resource_get_node(resource, hooks_path);
			for (guint h = 0; hooks != NULL && JSON_NODE_HOLDS_ARRAY(hooks) &&
					  h < json_array_get_length(json_node_get_array(hooks));
			     h++) {
				g_autofree char *hook_path =
					g_strdup_printf("%s[%u].hook", hooks_path, h);
				FerryResource *hook = lookup(index, resource, hook_path, "Hook");
				if (hook == NULL) {
					g_ptr_array_add(bad_hooks, g_strdup(vm_key));
					break;
				}
				if (ferry_resource_has_blocker(hook))
					hooks_not_ready = TRUE;
			}
		}
	}
	if (duplicates->len > 0) {
		g_ptr_array_add(duplicates, NULL);
		ferry_resource_set_condition(resource, "DuplicateVM", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotUnique",
					     "Duplicate (source) VM or targetName.");
		ferry_resource_set_condition_items(resource, "DuplicateVM",
						   (const char *const *)duplicates->pdata);
	}
	if (hooks_not_ready)
		ferry_resource_set_condition(resource, "HookNotReady", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotReady",
					     "Hook does not have Ready condition.");
	if (bad_hooks->len > 0) {
		g_ptr_array_add(bad_hooks, NULL);
		ferry_resource_set_condition(resource, "HookNotValid", TRUE,
					     FERRY_CONDITION_CATEGORY_CRITICAL, "NotFound",
					     "Hook not found; apply it or fix spec.vms[].hooks.");
		ferry_resource_set_condition_items(resource, "HookNotValid",
						   (const char *const *)bad_hooks->pdata);
	}
}

void
ferry_references_check(FerryResource *resource, GHashTable *index, GHashTable *secrets)
{
	const char *kind = ferry_resource_get_kind(resource);
	const char *ready_message = NULL;

	for (guint i = 0; owned_conditions[i] != NULL; i++)
		ferry_resource_remove_condition(resource, owned_conditions[i]);
	for (guint i = 0; i < G_N_ELEMENTS(references); i++) {
		if (g_strcmp0(references[i].kind, kind) == 0)
			ferry_resource_remove_condition(resource, references[i].condition);
	}

	if (FERRY_IS_PROVIDER_RESOURCE(resource)) {
		check_provider_url(FERRY_PROVIDER_RESOURCE(resource));
		check_provider_secret(FERRY_PROVIDER_RESOURCE(resource), secrets);
		/* a provider is Ready only once it connected; others set that */
		json_object_set_int_member(ferry_resource_ensure_status(resource),
					   "observedGeneration",
					   ferry_resource_get_generation(resource));
		if (ferry_resource_has_blocker(resource)) {
			ferry_resource_remove_condition(resource, "Ready");
			json_object_set_string_member(ferry_resource_ensure_status(resource),
						      "phase", "ValidationFailed");
		} else if (g_strcmp0(ferry_resource_get_string(resource, "status.phase"),
				     "ValidationFailed") == 0 ||
			   ferry_resource_get_string(resource, "status.phase") == NULL) {
			json_object_set_string_member(ferry_resource_ensure_status(resource),
						      "phase", "Staging");
		}
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(references); i++) {
		if (g_strcmp0(references[i].kind, kind) != 0 ||
		    g_strcmp0(references[i].condition, "SecretNotValid") == 0)
			continue;
		check_reference(resource, &references[i], index);
	}
	if (FERRY_IS_HOST(resource)) {
		const char *name_space = NULL;
		const char *name = ferry_host_get_secret(FERRY_HOST(resource), &name_space);
		g_autofree char *key =
			name != NULL ? g_strdup_printf("%s/%s", name_space, name) : NULL;
		/* manifests for older Forklift releases name no Secret: the
		 * Host still names the migration network */
		if (name == NULL)
			ferry_resource_set_condition(
				resource, "SecretNotValid", TRUE, FERRY_CONDITION_CATEGORY_WARN,
				"NotSet",
				"spec.secret is not set: the Host still names the migration "
				"network, but a disk transfer that needs this ESXi host's own "
				"credentials fails its VM; name a Secret with the host's user "
				"and password.");
		else if (!g_hash_table_contains(secrets, key))
			ferry_resource_set_condition(
				resource, "SecretNotValid", TRUE, FERRY_CONDITION_CATEGORY_CRITICAL,
				"NotFound",
				"spec.secret names a Secret that does not exist; apply it.");
	}
	if (FERRY_IS_PLAN(resource))
		check_plan(FERRY_PLAN(resource), index);
	if (FERRY_IS_HOOK(resource)) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) playbook = NULL;
		const char *image = ferry_resource_get_string(resource, "spec.image");
		if ((image == NULL || image[0] == '\0') &&
		    ferry_resource_get_node(resource, "spec.aap") == NULL)
			ferry_resource_set_condition(resource, "ImageNotValid", TRUE,
						     FERRY_CONDITION_CATEGORY_CRITICAL, "NotSet",
						     "Neither spec.image nor spec.aap is set.");
		playbook = ferry_hook_dup_playbook(FERRY_HOOK(resource), &error);
		if (error != NULL)
			ferry_resource_set_condition(resource, "PlaybookNotValid", TRUE,
						     FERRY_CONDITION_CATEGORY_CRITICAL, "NotValid",
						     error->message);
	}
	if (FERRY_IS_MIGRATION(resource)) {
		FerryResource *plan = lookup(index, resource, "spec.plan", "Plan");
		if (plan != NULL && ferry_resource_has_blocker(plan))
			ferry_resource_set_condition(resource, "PlanNotReady", TRUE,
						     FERRY_CONDITION_CATEGORY_CRITICAL, "NotReady",
						     "Plan does not have Ready condition.");
	}
	for (guint i = 0; i < G_N_ELEMENTS(ready_messages); i++) {
		if (g_strcmp0(ready_messages[i][0], kind) == 0)
			ready_message = ready_messages[i][1];
	}
	if (ready_message != NULL)
		ferry_resource_update_ready(resource, ready_message);
}

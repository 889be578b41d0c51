/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-naming.h"
#include "ferry-plan-validation.h"
#include "ferry-platform-private.h"

/*
 * The plan conditions that need the source inventory (Forklift's
 * pkg/controller/plan/validation.go): the VMs exist and are named once,
 * their networks and storage are mapped, at most one NIC per VM goes to the
 * pod network, names are valid, warm migration has CBT, and no VM has a
 * Critical concern. When the destination's inventory is loaded (a provider
 * with FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY), the plan and its
 * maps are checked against it too: the target namespace, the storage
 * classes and networks the maps name, the target VM names and the source
 * NICs' MAC addresses. References between resources (providers, maps,
 * hooks, migration type) are checked by the store whenever it changes.
 */

/* the conditions this validation owns, cleared before each run */
static const char *const owned_conditions[] = {
	"NamespaceNotValid",  "VMRefNotValid",
	"VMNotFound",         "VMNetworksNotMapped",
	"VMStorageNotMapped", "VMMultiplePodNetworkMappings",
	"VMCriticalConcerns", "VMMissingChangedBlockTracking",
	"TargetNameNotValid", "SourceInventoryNotReady",
	"VMAlreadyExists",    "MacConflicts",
	"NetMapDestinationNADNotValid",
};

/* what to do about each condition, for `ferry describe plan` */
static const struct {
	const char *type;
	const char *suggestion;
} suggestions[] = {
	{"SourceProviderNotValid",
	 "Set spec.provider.source to an existing Provider of a source type and apply it."},
	{"DestinationProviderNotValid",
	 "Set spec.provider.destination to an existing openshift Provider (empty url for this "
	 "cluster)."},
	{"NetworkMapRefNotValid", "Set spec.map.network to an existing NetworkMap and apply it."},
	{"StorageRefNotValid", "Set spec.map.storage to an existing StorageMap and apply it."},
	{"NetworkMapNotReady", "Run 'ferry describe networkmap NAME' and fix its conditions."},
	{"StorageMapNotReady", "Run 'ferry describe storagemap NAME' and fix its conditions."},
	{"MigrationTypeNotValid",
	 "Set spec.type to a migration type the source provider supports."},
	{"HookNotValid", "Apply the missing Hook, or remove it from spec.vms[].hooks."},
	{"DuplicateVM", "List each VM once in spec.vms, and give each a distinct targetName."},
	{"NamespaceNotValid",
	 "Set spec.targetNamespace to a DNS-1123 label: lower case letters, digits and '-'."},
	{"VMRefNotValid",
	 "Give each entry of spec.vms an id or a name, and a targetName that is a DNS-1123 "
	 "subdomain."},
	{"VMNotFound",
	 "Fix the id or name of the listed VMs; 'ferry inventory vms PROVIDER' lists the VMs, "
	 "and 'ferry inventory refresh PROVIDER' reloads them."},
	{"SourceInventoryNotReady", "Load it with 'ferry inventory refresh PROVIDER'."},
	{"VMNetworksNotMapped",
	 "Add the listed VMs' networks to the NetworkMap (destination pod, multus or ignored)."},
	{"VMStorageNotMapped", "Add the listed VMs' datastores to the StorageMap."},
	{"VMMultiplePodNetworkMappings",
	 "Map at most one of each VM's networks to the pod network; map the others to multus "
	 "networks or ignore them."},
	{"VMCriticalConcerns",
	 "Fix the VMs at the source, or remove them from the plan; 'ferry inventory vms PROVIDER "
	 "-q \"criticalConcerns > 0\" -o yaml' shows the concerns."},
	{"VMMissingChangedBlockTracking",
	 "Enable Changed Block Tracking on the listed VMs and their disks, or migrate them cold."},
	{"TargetNameNotValid",
	 "Nothing to do, or set spec.vms[].targetName to choose the names yourself."},
	{"VMAlreadyExists",
	 "Set spec.vms[].targetName to a free name, remove the listed VMs from the plan, or "
	 "delete the existing VMs from the target namespace; then run 'ferry inventory refresh "
	 "DESTINATION'."},
	{"MacConflicts",
	 "Remove or change the MAC address of the VM that uses it on the destination, or migrate "
	 "the source VM once that VM is gone; then run 'ferry inventory refresh DESTINATION'."},
	{"NetMapDestinationNADNotValid",
	 "Create the NetworkAttachmentDefinition in the target namespace (or in 'default'), or "
	 "map the network to one that exists; 'ferry inventory networkattachmentdefinitions "
	 "DESTINATION' lists them."},
	{"SecretNotValid", "Create the Secret the resource names, with the keys it needs."},
	{"UrlNotValid", "Fix spec.url of the Provider."},
	{"ProviderTypeNotSupported", "Use a provider type Ferry supports."},
};

static const char *
string_member(JsonObject *object, const char *name)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, name) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static JsonObject *
object_member(JsonObject *object, const char *name)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, name) : NULL;
	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* every id and name the sources of a map's pairs stand for; @pod (if not
 * NULL) gets those whose destination is the pod network */
static void
map_sources(FerryResource *map, FerryInventory *inventory, const char *provider, const char *kind,
	    GHashTable *mapped, GHashTable *pod)
{
	JsonNode *pairs = map != NULL ? ferry_resource_get_node(map, "spec.map") : NULL;
	for (guint i = 0; pairs != NULL && JSON_NODE_HOLDS_ARRAY(pairs) &&
			  i < json_array_get_length(json_node_get_array(pairs));
	     i++) {
		JsonObject *pair = json_array_get_object_element(json_node_get_array(pairs), i);
		JsonObject *source = object_member(pair, "source");
		JsonObject *destination = object_member(pair, "destination");
		const char *id = string_member(source, "id");
		const char *name = string_member(source, "name");
		gboolean to_pod = g_strcmp0(string_member(destination, "type"), "pod") == 0;
		g_autoptr(JsonObject) object = NULL;

		/* a pair names its source by id or by name: know it by both */
		if (id != NULL && id[0] != '\0')
			object = ferry_inventory_get(inventory, provider, kind, id, NULL);
		else if (name != NULL && name[0] != '\0')
			object =
				ferry_inventory_find_by_name(inventory, provider, kind, name, NULL);
		for (guint k = 0; k < 4; k++) {
			const char *key = k == 0   ? id
					  : k == 1 ? name
					  : k == 2 ? string_member(object, "id")
						   : string_member(object, "name");
			if (key == NULL || key[0] == '\0')
				continue;
			g_hash_table_add(mapped, g_strdup(key));
			if (to_pod && pod != NULL)
				g_hash_table_add(pod, g_strdup(key));
		}
	}
}

static char *
vm_item(JsonObject *entry)
{
	const char *id = string_member(entry, "id");
	const char *name = string_member(entry, "name");
	return g_strdup_printf("id:%s name:%s", id != NULL ? id : "", name != NULL ? name : "");
}

static void
set_condition_full(FerryResource *plan, const char *type, FerryConditionCategory category,
		   const char *reason, const char *message, const char *suggestion,
		   GPtrArray *items)
{
	if (items != NULL && items->len == 0)
		return;
	ferry_resource_set_condition(plan, type, TRUE, category, reason, message);
	if (suggestion != NULL)
		json_object_set_string_member(ferry_resource_get_condition(plan, type),
					      "suggestion", suggestion);
	if (items != NULL) {
		g_ptr_array_add(items, NULL);
		ferry_resource_set_condition_items(plan, type, (const char *const *)items->pdata);
		g_ptr_array_remove_index(items, items->len - 1);
	}
}

static void
set_condition(FerryResource *plan, const char *type, FerryConditionCategory category,
	      const char *reason, const char *message, GPtrArray *items)
{
	set_condition_full(plan, type, category, reason, message, NULL, items);
}

/* a suggestion on every condition that has none */
static void
add_suggestions(FerryResource *plan)
{
	JsonNode *conditions = ferry_resource_get_node(plan, "status.conditions");
	for (guint i = 0; conditions != NULL && JSON_NODE_HOLDS_ARRAY(conditions) &&
			  i < json_array_get_length(json_node_get_array(conditions));
	     i++) {
		JsonObject *condition =
			json_array_get_object_element(json_node_get_array(conditions), i);
		const char *type = string_member(condition, "type");
		if (condition == NULL || json_object_has_member(condition, "suggestion"))
			continue;
		for (guint s = 0; s < G_N_ELEMENTS(suggestions); s++) {
			if (g_strcmp0(suggestions[s].type, type) == 0)
				json_object_set_string_member(condition, "suggestion",
							      suggestions[s].suggestion);
		}
	}
}

/* --- the destination inventory --- */

/* sets (when @missing has items) or removes @type on a map in the store,
 * with its Ready condition; writes only when the conditions changed */
static void
update_map_condition(FerryStore *store, const char *kind, const char *name_space,
		     const char *name, const char *type, GPtrArray *missing,
		     const char *message, const char *suggestion, const char *ready_message)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) map = NULL;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;
	JsonNode *conditions;

	for (guint attempt = 0; attempt < 3; attempt++) {
		g_clear_error(&error);
		g_clear_object(&map);
		g_clear_pointer(&before, g_free);
		g_clear_pointer(&after, g_free);
		map = ferry_store_get(store, kind, name_space, name, NULL);
		if (map == NULL)
			return;
		conditions = ferry_resource_get_node(map, "status.conditions");
		before = conditions != NULL ? json_to_string(conditions, FALSE) : g_strdup("");
		ferry_resource_remove_condition(map, type);
		if (missing != NULL && missing->len > 0)
			set_condition_full(map, type, FERRY_CONDITION_CATEGORY_CRITICAL, "NotFound",
					   message, suggestion, missing);
		ferry_resource_update_ready(map, ready_message);
		conditions = ferry_resource_get_node(map, "status.conditions");
		after = conditions != NULL ? json_to_string(conditions, FALSE) : g_strdup("");
		if (g_strcmp0(before, after) == 0)
			return;
		if (ferry_store_update_status(store, map, &error))
			return;
		if (!g_error_matches(error, FERRY_ERROR, FERRY_ERROR_BUSY))
			break;
	}
	g_debug("the conditions of %s/%s were not saved: %s", kind, name, error->message);
}

/* the map's blocker, as the store's reference check says it, now that the
 * maps' destination conditions changed; when it is @destination_type, the
 * plan's condition says what the map lacks and what to do */
static void
update_map_ready(FerryResource *plan, FerryStore *store, const char *kind, const char *name_space,
		 const char *name, const char *type, const char *destination_type)
{
	g_autoptr(FerryResource) map =
		name != NULL ? ferry_store_get(store, kind, name_space, name, NULL) : NULL;
	JsonObject *blocker = map != NULL ? ferry_resource_get_condition(map, destination_type) : NULL;
	JsonNode *items = blocker != NULL ? json_object_get_member(blocker, "items") : NULL;

	ferry_resource_remove_condition(plan, type);
	if (map == NULL || !ferry_resource_has_blocker(map))
		return;
	ferry_resource_set_condition(plan, type, TRUE, FERRY_CONDITION_CATEGORY_CRITICAL,
				     "NotReady", "Map does not have Ready condition.");
	if (blocker == NULL)
		return;
	{
		g_autofree char *message = g_strdup_printf(
			"Map does not have Ready condition: %s %s/%s: %s", kind, name_space, name,
			string_member(blocker, "message"));
		JsonObject *condition = ferry_resource_get_condition(plan, type);
		json_object_set_string_member(condition, "message", message);
		if (string_member(blocker, "suggestion") != NULL)
			json_object_set_string_member(condition, "suggestion",
						      string_member(blocker, "suggestion"));
		if (items != NULL && JSON_NODE_HOLDS_ARRAY(items))
			json_object_set_member(condition, "items", json_node_copy(items));
	}
}

/* the storage classes a StorageMap's pairs name that the destination lacks */
static GPtrArray *
missing_storage(FerryResource *map, FerryInventory *inventory, const char *destination,
		const char *kind)
{
	GPtrArray *missing = g_ptr_array_new_with_free_func(g_free);
	JsonNode *pairs = map != NULL ? ferry_resource_get_node(map, "spec.map") : NULL;
	for (guint i = 0; pairs != NULL && JSON_NODE_HOLDS_ARRAY(pairs) &&
			  i < json_array_get_length(json_node_get_array(pairs));
	     i++) {
		JsonObject *pair = json_array_get_object_element(json_node_get_array(pairs), i);
		const char *name = string_member(object_member(pair, "destination"), "storageClass");
		g_autoptr(JsonObject) found = NULL;
		if (name == NULL || name[0] == '\0')
			continue;
		found = ferry_inventory_get(inventory, destination, kind, name, NULL);
		if (found == NULL && !g_ptr_array_find_with_equal_func(missing, name, g_str_equal,
								       NULL))
			g_ptr_array_add(missing, g_strdup(name));
	}
	return missing;
}

/* the multus networks a NetworkMap's pairs name that the destination lacks
 * (@missing), and those the target namespace cannot use (@elsewhere: a
 * network attachment must be in the VM's namespace or in `default`) */
static void
check_networks(FerryResource *map, FerryInventory *inventory, const char *destination,
	       const char *kind, const char *target_namespace, GPtrArray *missing,
	       GPtrArray *elsewhere)
{
	JsonNode *pairs = map != NULL ? ferry_resource_get_node(map, "spec.map") : NULL;
	for (guint i = 0; pairs != NULL && JSON_NODE_HOLDS_ARRAY(pairs) &&
			  i < json_array_get_length(json_node_get_array(pairs));
	     i++) {
		JsonObject *pair = json_array_get_object_element(json_node_get_array(pairs), i);
		JsonObject *target = object_member(pair, "destination");
		const char *name = string_member(target, "name");
		const char *name_space = string_member(target, "namespace");
		g_autofree char *id = NULL;
		g_autoptr(JsonObject) found = NULL;

		if (g_strcmp0(string_member(target, "type"), "multus") != 0 || name == NULL ||
		    name[0] == '\0')
			continue;
		if (name_space == NULL || name_space[0] == '\0')
			name_space = target_namespace;
		id = g_strdup_printf("%s/%s", name_space != NULL ? name_space : "", name);
		found = ferry_inventory_get(inventory, destination, kind, id, NULL);
		if (found == NULL) {
			if (!g_ptr_array_find_with_equal_func(missing, id, g_str_equal, NULL))
				g_ptr_array_add(missing, g_strdup(id));
		} else if (target_namespace != NULL && g_strcmp0(name_space, target_namespace) != 0 &&
			   g_strcmp0(name_space, "default") != 0 &&
			   !g_ptr_array_find_with_equal_func(elsewhere, id, g_str_equal, NULL)) {
			g_ptr_array_add(elsewhere, g_strdup(id));
		}
	}
}

/* the ids of the plan's VMs its migrations already started: what they
 * created on the destination is theirs, not a conflict */
static GHashTable *
started_vms(FerryResource *plan)
{
	GHashTable *started = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	JsonNode *vms = ferry_resource_get_node(plan, "status.migration.vms");
	for (guint i = 0; vms != NULL && JSON_NODE_HOLDS_ARRAY(vms) &&
			  i < json_array_get_length(json_node_get_array(vms));
	     i++) {
		JsonObject *vm = json_array_get_object_element(json_node_get_array(vms), i);
		if (string_member(vm, "id") != NULL && json_object_has_member(vm, "started"))
			g_hash_table_add(started, g_strdup(string_member(vm, "id")));
	}
	return started;
}

/* MAC address → "NAMESPACE/NAME" of the destination VM that uses it */
static GHashTable *
destination_macs(FerryInventory *inventory, const char *destination)
{
	GHashTable *macs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) vms = ferry_inventory_list(inventory, destination, "vm", NULL);
	for (guint i = 0; vms != NULL && i < vms->len; i++) {
		JsonObject *vm = g_ptr_array_index(vms, i);
		JsonNode *node = json_object_get_member(vm, "macs");
		JsonArray *list = node != NULL && JSON_NODE_HOLDS_ARRAY(node)
					  ? json_node_get_array(node)
					  : NULL;
		for (guint m = 0; list != NULL && m < json_array_get_length(list); m++) {
			const char *mac = json_array_get_string_element(list, m);
			if (mac != NULL)
				g_hash_table_replace(macs, g_ascii_strdown(mac, -1),
						     g_strdup(string_member(vm, "id")));
		}
	}
	return macs;
}

typedef struct {
	FerryInventory *inventory;
	const char *destination;
	const char *target_namespace;
	GHashTable *started;
	GHashTable *macs;
	GPtrArray *taken;
	GPtrArray *conflicts;
} DestinationVms;

/* the checks of one source VM against the destination's VMs */
static void
check_destination_vm(DestinationVms *check, JsonObject *entry, JsonObject *vm,
		     const char *source_type, const char *item)
{
	const char *vm_id = string_member(vm, "id");
	const char *target = string_member(entry, "targetName");
	const char *name = string_member(vm, "name");
	g_autofree char *target_name = NULL;
	g_autofree char *id = NULL;
	g_autoptr(JsonObject) existing = NULL;
	g_autoptr(GPtrArray) macs = NULL;

	if (vm_id != NULL && g_hash_table_contains(check->started, vm_id))
		return;
	if (target != NULL && target[0] != '\0')
		target_name = g_strdup(target);
	else if (name != NULL)
		target_name = ferry_naming_is_dns1123_label(name) ? g_strdup(name)
								  : ferry_naming_change_vm_name(name);
	if (target_name != NULL && check->target_namespace != NULL) {
		id = g_strdup_printf("%s/%s", check->target_namespace, target_name);
		existing = ferry_inventory_get(check->inventory, check->destination, "vm", id, NULL);
		if (existing != NULL)
			g_ptr_array_add(check->taken, g_strdup_printf("%s target:%s", item, id));
	}
	macs = ferry_platform_vm_macs(source_type, vm);
	for (guint m = 0; m < macs->len; m++) {
		const char *user = g_hash_table_lookup(check->macs, g_ptr_array_index(macs, m));
		if (user != NULL)
			g_ptr_array_add(check->conflicts,
					g_strdup_printf("%s mac:%s usedBy:%s", item,
							(char *)g_ptr_array_index(macs, m), user));
	}
}

/* a map's destination checks, against the inventory of the map's own
 * destination provider (plans with other destinations may share the map):
 * the condition is set on the map when that inventory is loaded and lacks
 * something, and removed otherwise */
static void
check_map_destination(FerryStore *store, FerryInventory *inventory, FerryResource *map,
		      const char *target_namespace)
{
	gboolean storage = g_strcmp0(ferry_resource_get_kind(map), "StorageMap") == 0;
	const char *map_ns = ferry_resource_get_namespace(map);
	const char *map_name = ferry_resource_get_name(map);
	const char *name_space = NULL;
	const char *destination =
		ferry_resource_get_reference(map, "spec.provider.destination", &name_space);
	g_autoptr(FerryResource) provider = NULL;
	g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) elsewhere = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *names = NULL;
	g_autofree char *message = NULL;
	g_autofree char *suggestion = NULL;
	const char *kind = NULL;

	if (name_space == NULL || name_space[0] == '\0')
		name_space = map_ns;
	if (destination != NULL)
		provider = ferry_store_get(store, "Provider", name_space, destination, NULL);
	if (provider != NULL && ferry_inventory_has_parity(inventory, destination)) {
		const char *type =
			ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(provider));
		kind = storage ? ferry_platform_get_storage_kind(type)
			       : ferry_platform_get_network_kind(type);
		if (storage) {
			g_autoptr(GPtrArray) found =
				missing_storage(map, inventory, destination, kind);
			g_ptr_array_extend_and_steal(missing, g_steal_pointer(&found));
		} else {
			check_networks(map, inventory, destination, kind, target_namespace,
				       missing, elsewhere);
		}
	}
	if (missing->len > 0) {
		g_ptr_array_add(missing, NULL);
		names = g_strjoinv(", ", (char **)missing->pdata);
		g_ptr_array_remove_index(missing, missing->len - 1);
		message = storage ? g_strdup_printf("The destination provider '%s' has no %s %s; "
						    "the disks cannot be created there.",
						    destination, kind, names)
				  : g_strdup_printf("The destination provider '%s' has no %s %s.",
						    destination, kind, names);
		suggestion = storage ? g_strdup_printf(
					       "Map the storage to a %s that exists ('ferry "
					       "inventory %s %s' lists them), or create it; then "
					       "run 'ferry inventory refresh %s'.",
					       kind, kind, destination, destination)
				     : g_strdup_printf(
					       "Create the %s, or map the network to one that "
					       "exists ('ferry inventory %s %s' lists them); then "
					       "run 'ferry inventory refresh %s'.",
					       kind, kind, destination, destination);
	}
	update_map_condition(store, ferry_resource_get_kind(map), map_ns, map_name,
			     storage ? "DestinationStorageNotValid" : "DestinationNetworkNotValid",
			     missing, message, suggestion,
			     storage ? "The storage map is ready." : "The network map is ready.");
}

/* the plan-level and map checks against the destination inventory; the
 * per-VM ones run in the VM loop through check_destination_vm() */
static void
check_destination(FerryResource *plan, FerryStore *store, FerryInventory *inventory,
		  const char *destination, const char *destination_type, gboolean loaded)
{
	const char *network_kind = ferry_platform_get_network_kind(destination_type);
	const char *target_namespace = ferry_plan_get_target_namespace(FERRY_PLAN(plan));
	const char *storage_ns = NULL;
	const char *network_ns = NULL;
	const char *storage_name = ferry_plan_get_storage_map(FERRY_PLAN(plan), &storage_ns);
	const char *network_name = ferry_plan_get_network_map(FERRY_PLAN(plan), &network_ns);
	g_autoptr(FerryResource) storage_map = NULL;
	g_autoptr(FerryResource) network_map = NULL;
	g_autoptr(GPtrArray) no_network = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) elsewhere = g_ptr_array_new_with_free_func(g_free);

	if (storage_name != NULL)
		storage_map = ferry_store_get(store, "StorageMap", storage_ns, storage_name, NULL);
	if (network_name != NULL)
		network_map = ferry_store_get(store, "NetworkMap", network_ns, network_name, NULL);
	if (storage_map != NULL) {
		check_map_destination(store, inventory, storage_map, target_namespace);
		update_map_ready(plan, store, "StorageMap",
				 ferry_resource_get_namespace(storage_map), storage_name,
				 "StorageMapNotReady", "DestinationStorageNotValid");
	}
	if (network_map != NULL) {
		check_map_destination(store, inventory, network_map, target_namespace);
		update_map_ready(plan, store, "NetworkMap",
				 ferry_resource_get_namespace(network_map), network_name,
				 "NetworkMapNotReady", "DestinationNetworkNotValid");
	}
	if (!loaded)
		return;

	if (network_map != NULL)
		check_networks(network_map, inventory, destination, network_kind, target_namespace,
			       no_network, elsewhere);
	if (no_network->len > 0) {
		g_autofree char *message = g_strdup_printf(
			"NetworkMap %s/%s names networks (%s) that the destination '%s' lacks.",
			ferry_resource_get_namespace(network_map), network_name, network_kind,
			destination);
		g_autofree char *suggestion = g_strdup_printf(
			"Create the %s, or map the network to one that exists ('ferry inventory %s "
			"%s' lists them); then run 'ferry inventory refresh %s'.",
			network_kind, network_kind, destination, destination);
		set_condition_full(plan, "NetMapDestinationNADNotValid",
				   FERRY_CONDITION_CATEGORY_CRITICAL, "NotFound", message,
				   suggestion, no_network);
	} else if (elsewhere->len > 0) {
		g_autofree char *message = g_strdup_printf(
			"NetworkMap %s/%s names networks (%s) outside the target namespace '%s' and "
			"'default'; the VMs cannot use them.",
			ferry_resource_get_namespace(network_map), network_name, network_kind,
			target_namespace);
		set_condition(plan, "NetMapDestinationNADNotValid",
			      FERRY_CONDITION_CATEGORY_CRITICAL, "NotValid", message, elsewhere);
	}
	if (target_namespace != NULL && ferry_naming_is_dns1123_label(target_namespace)) {
		g_autoptr(JsonObject) found =
			ferry_inventory_get(inventory, destination, "namespace", target_namespace, NULL);
		if (found == NULL) {
			g_autofree char *message = g_strdup_printf(
				"The target namespace '%s' does not exist on the destination '%s'.",
				target_namespace, destination);
			g_autofree char *suggestion = g_strdup_printf(
				"Create the namespace '%s' on the destination and run 'ferry "
				"inventory refresh %s', or set spec.targetNamespace to an existing "
				"namespace ('ferry inventory namespaces %s' lists them).",
				target_namespace, destination, destination);
			set_condition_full(plan, "NamespaceNotValid",
					   FERRY_CONDITION_CATEGORY_CRITICAL, "NotFound", message,
					   suggestion, NULL);
		}
	}
}

/**
 * ferry_plan_validate:
 * @plan: a plan read from @store
 * @store: the state store, for the plan's provider and maps
 * @inventory: the inventory of the plan's source provider
 * @validators: (nullable) (element-type FerryValidator): validators to run
 *   first on the source's changed VMs, or %NULL to use the stored concerns
 * @error: return location for a #GError
 *
 * Checks a plan against the source inventory and sets Forklift's plan
 * conditions on it: `VMRefNotValid`, `VMNotFound`, `DuplicateVM` (two entries
 * resolving to one VM), `VMNetworksNotMapped`, `VMStorageNotMapped`,
 * `VMMultiplePodNetworkMappings`, `VMCriticalConcerns`,
 * `VMMissingChangedBlockTracking` (warm), `NamespaceNotValid` (Critical) and
 * `TargetNameNotValid` (Warn: such VMs are renamed), each with the VMs
 * concerned in `items`. When the inventory of the plan's destination
 * provider is loaded, also `NamespaceNotValid` (the target namespace does
 * not exist there), `NetMapDestinationNADNotValid` (a network the
 * NetworkMap names is missing, or outside the target namespace and
 * `default`), `VMAlreadyExists` (a target VM name is taken in the target
 * namespace) and `MacConflicts` (a source NIC's MAC address is used by a
 * VM there), skipping VMs a migration of the plan already started; the
 * maps get `DestinationStorageNotValid` / `DestinationNetworkNotValid`
 * (saved in @store) and the plan `StorageMapNotReady` /
 * `NetworkMapNotReady`. Every condition of the plan gets a `suggestion`;
 * `Ready` is set only without a blocker. The plan is changed in memory; save
 * it with ferry_store_update_status().
 *
 * Returns: %TRUE when the plan was validated (whatever it found), %FALSE
 *   with @error when it could not be
 *
 * Since: 0.1
 */
gboolean
ferry_plan_validate(FerryPlan *plan, FerryStore *store, FerryInventory *inventory,
		    GPtrArray *validators, GError **error)
{
	FerryResource *resource = FERRY_RESOURCE(plan);
	g_autoptr(FerryResource) source = NULL;
	g_autoptr(FerryResource) network_map = NULL;
	g_autoptr(FerryResource) storage_map = NULL;
	g_autoptr(GHashTable) networks =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) pod = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) storages =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) resolved =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) bad_refs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) not_found = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) duplicates = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) unmapped_networks = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) unmapped_storage = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) many_pod = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) critical = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) no_cbt = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) renamed = g_ptr_array_new_with_free_func(g_free);
	const char *name_space = NULL;
	const char *provider = NULL;
	const char *provider_type = NULL;
	const char *cbt_member = NULL;
	const char *network_kind = NULL;
	const char *storage_kind = NULL;
	const char *target_namespace;
	const char *destination = NULL;
	g_autoptr(FerryResource) destination_resource = NULL;
	gboolean destination_loaded = FALSE;
	g_autoptr(GPtrArray) taken = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) destination_started = NULL;
	g_autoptr(GHashTable) destination_mac_users = NULL;
	DestinationVms destination_check = {.taken = taken, .conflicts = conflicts};
	JsonArray *vms;
	gboolean warm;

	g_return_val_if_fail(FERRY_IS_PLAN(plan), FALSE);
	g_return_val_if_fail(FERRY_IS_STORE(store), FALSE);
	g_return_val_if_fail(FERRY_IS_INVENTORY(inventory), FALSE);

	for (guint i = 0; i < G_N_ELEMENTS(owned_conditions); i++)
		ferry_resource_remove_condition(resource, owned_conditions[i]);

	target_namespace = ferry_plan_get_target_namespace(plan);
	if (target_namespace == NULL || !ferry_naming_is_dns1123_label(target_namespace))
		set_condition(resource, "NamespaceNotValid", FERRY_CONDITION_CATEGORY_CRITICAL,
			      target_namespace == NULL ? "NotSet" : "NotValid",
			      target_namespace == NULL
				      ? "The target namespace is not set."
				      : "The target namespace is not a valid DNS-1123 label.",
			      NULL);

	/* the destination's inventory, when it has one that was loaded */
	destination = ferry_plan_get_destination_provider(plan, &name_space);
	if (destination != NULL)
		destination_resource =
			ferry_store_get(store, "Provider", name_space, destination, NULL);
	if (destination_resource != NULL) {
		destination_loaded = ferry_inventory_has_parity(inventory, destination);
		check_destination(resource, store, inventory, destination,
				  ferry_provider_resource_get_provider_type(
					  FERRY_PROVIDER_RESOURCE(destination_resource)),
				  destination_loaded);
	}
	if (destination_loaded) {
		destination_check.inventory = inventory;
		destination_check.destination = destination;
		destination_check.target_namespace = target_namespace;
		destination_started = started_vms(resource);
		destination_mac_users = destination_macs(inventory, destination);
		destination_check.started = destination_started;
		destination_check.macs = destination_mac_users;
	}

	/* without a source provider the store's conditions say it all */
	provider = ferry_plan_get_source_provider(plan, &name_space);
	if (provider != NULL)
		source = ferry_store_get(store, "Provider", name_space, provider, NULL);
	if (source == NULL) {
		add_suggestions(resource);
		ferry_resource_update_ready(resource, "The migration plan is ready.");
		return TRUE;
	}
	provider_type = ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(source));
	/* the inventory kinds the maps name, as the platform says */
	network_kind = ferry_platform_get_network_kind(provider_type);
	cbt_member = ferry_platform_get_change_tracking_member(provider_type);
	storage_kind = ferry_platform_get_storage_kind(provider_type);
	{
		const char *map = ferry_plan_get_network_map(plan, &name_space);
		if (map != NULL)
			network_map = ferry_store_get(store, "NetworkMap", name_space, map, NULL);
		map = ferry_plan_get_storage_map(plan, &name_space);
		if (map != NULL)
			storage_map = ferry_store_get(store, "StorageMap", name_space, map, NULL);
	}
	if (network_kind != NULL) {
		map_sources(network_map, inventory, provider, network_kind, networks, pod);
		map_sources(storage_map, inventory, provider, storage_kind, storages, NULL);
	}

	if (!ferry_inventory_has_parity(inventory, provider)) {
		g_autofree char *message = g_strdup_printf(
			"The inventory of the source provider '%s' has not been loaded.", provider);
		g_autofree char *suggestion =
			g_strdup_printf("Load it with 'ferry inventory refresh %s -n %s'.",
					provider, ferry_resource_get_namespace(source));
		set_condition_full(resource, "SourceInventoryNotReady",
				   FERRY_CONDITION_CATEGORY_CRITICAL, "NotLoaded", message,
				   suggestion, NULL);
		add_suggestions(resource);
		ferry_resource_update_ready(resource, "The migration plan is ready.");
		return TRUE;
	}
	if (validators != NULL && !ferry_inventory_revalidate(inventory, provider, provider_type,
							      validators, FALSE, NULL, NULL, error))
		return FALSE;

	warm = g_strcmp0(ferry_plan_get_migration_type(plan), "warm") == 0;
	vms = ferry_plan_get_vms(plan);
	for (guint i = 0; vms != NULL && i < json_array_get_length(vms); i++) {
		JsonObject *entry = json_array_get_object_element(vms, i);
		const char *id = string_member(entry, "id");
		const char *name = string_member(entry, "name");
		const char *target = string_member(entry, "targetName");
		g_autofree char *item = vm_item(entry);
		g_autoptr(JsonObject) vm = NULL;
		g_autoptr(GPtrArray) nic_networks = NULL;
		g_autoptr(GPtrArray) disk_storages = NULL;
		g_autoptr(GPtrArray) concerns = NULL;
		const char *vm_id;
		guint to_pod = 0;

		if (entry == NULL ||
		    ((id == NULL || id[0] == '\0') && (name == NULL || name[0] == '\0'))) {
			g_ptr_array_add(bad_refs, g_strdup_printf("spec.vms[%u]", i));
			continue;
		}
		if (target != NULL && !ferry_naming_validate_target_name(target, NULL)) {
			g_ptr_array_add(bad_refs, g_strdup(item));
			continue;
		}
		/* by id first, by name when there is no id */
		if (id != NULL && id[0] != '\0') {
			vm = ferry_inventory_get_workload(inventory, provider, provider_type, id,
							  NULL);
		} else {
			g_autoptr(JsonObject) found =
				ferry_inventory_find_by_name(inventory, provider, "vm", name, NULL);
			if (found != NULL && string_member(found, "id") != NULL)
				vm = ferry_inventory_get_workload(inventory, provider,
								  provider_type,
								  string_member(found, "id"), NULL);
		}
		if (vm == NULL) {
			g_ptr_array_add(not_found, g_strdup(item));
			continue;
		}
		vm_id = string_member(vm, "id");
		if (vm_id != NULL) {
			if (g_hash_table_contains(resolved, vm_id)) {
				g_ptr_array_add(duplicates, g_strdup(item));
				continue;
			}
			g_hash_table_insert(resolved, g_strdup(vm_id), g_strdup(item));
		}

		nic_networks = ferry_platform_vm_networks(provider_type, vm);
		for (guint n = 0; n < nic_networks->len; n++) {
			const char *ref = g_ptr_array_index(nic_networks, n);
			if (ref == NULL)
				continue;
			if (!g_hash_table_contains(networks, ref)) {
				g_ptr_array_add(unmapped_networks,
						g_strdup_printf("%s network:%s", item, ref));
				break;
			}
			if (g_hash_table_contains(pod, ref))
				to_pod++;
		}
		if (to_pod > 1)
			g_ptr_array_add(many_pod, g_strdup(item));
		disk_storages = ferry_platform_vm_storages(provider_type, vm);
		for (guint d = 0; d < disk_storages->len; d++) {
			const char *ref = g_ptr_array_index(disk_storages, d);
			if (ref != NULL && !g_hash_table_contains(storages, ref)) {
				g_ptr_array_add(unmapped_storage,
						g_strdup_printf("%s storage:%s", item, ref));
				break;
			}
		}
		concerns = ferry_inventory_get_concerns(inventory, provider, "vm", vm_id, NULL);
		for (guint c = 0; concerns != NULL && c < concerns->len; c++) {
			FerryConcern *concern = g_ptr_array_index(concerns, c);
			if (ferry_concern_get_category(concern) ==
			    FERRY_CONCERN_CATEGORY_CRITICAL) {
				g_ptr_array_add(critical,
						g_strdup_printf("%s concern:%s", item,
								ferry_concern_get_id(concern)));
				break;
			}
		}
		if (warm && cbt_member != NULL &&
		    !json_object_get_boolean_member_with_default(vm, cbt_member, FALSE))
			g_ptr_array_add(no_cbt, g_strdup(item));
		if (destination_loaded)
			check_destination_vm(&destination_check, entry, vm, provider_type, item);
		if ((target == NULL || target[0] == '\0') && string_member(vm, "name") != NULL &&
		    !ferry_naming_is_dns1123_label(string_member(vm, "name"))) {
			g_autofree char *new_name =
				ferry_naming_change_vm_name(string_member(vm, "name"));
			g_ptr_array_add(renamed, g_strdup_printf("%s newName:%s", item, new_name));
		}
	}

	set_condition(
		resource, "VMRefNotValid", FERRY_CONDITION_CATEGORY_CRITICAL, "NotValid",
		"VM references have no id and no name, or a targetName that is not a DNS-1123 "
		"subdomain.",
		bad_refs);
	set_condition(resource, "VMNotFound", FERRY_CONDITION_CATEGORY_CRITICAL, "NotFound",
		      "VMs not found in the source inventory.", not_found);
	if (duplicates->len > 0 && !ferry_resource_has_condition(resource, "DuplicateVM"))
		set_condition(resource, "DuplicateVM", FERRY_CONDITION_CATEGORY_CRITICAL,
			      "NotUnique", "Duplicate (source) VM.", duplicates);
	set_condition(resource, "VMNetworksNotMapped", FERRY_CONDITION_CATEGORY_CRITICAL,
		      "NotValid", "VM networks are not mapped.", unmapped_networks);
	set_condition(resource, "VMStorageNotMapped", FERRY_CONDITION_CATEGORY_CRITICAL, "NotValid",
		      "VM storage is not mapped.", unmapped_storage);
	set_condition(resource, "VMMultiplePodNetworkMappings", FERRY_CONDITION_CATEGORY_CRITICAL,
		      "NotValid", "VMs with more than one interface mapped to the pod network.",
		      many_pod);
	set_condition(resource, "VMCriticalConcerns", FERRY_CONDITION_CATEGORY_CRITICAL, "NotValid",
		      "VMs have critical concerns.", critical);
	set_condition(
		resource, "VMMissingChangedBlockTracking", FERRY_CONDITION_CATEGORY_CRITICAL,
		"NotValid",
		"Changed Block Tracking (CBT) has not been enabled on some VMs; warm migration "
		"needs it.",
		no_cbt);
	set_condition(resource, "TargetNameNotValid", FERRY_CONDITION_CATEGORY_WARN, "NotValid",
		      "VM names are not valid DNS-1123 names; the target VMs will be renamed.",
		      renamed);
	if (destination_loaded) {
		g_autofree char *taken_message = g_strdup_printf(
			"VMs with the target names of the listed VMs already exist in namespace '%s' "
			"of the destination '%s'.",
			target_namespace, destination);
		g_autofree char *taken_suggestion = g_strdup_printf(
			"Set spec.vms[].targetName to a free name, remove the listed VMs from the "
			"plan, or delete the existing VMs; then run 'ferry inventory refresh %s'.",
			destination);
		g_autofree char *mac_message = g_strdup_printf(
			"The listed source VMs have MAC addresses that VMs on the destination '%s' "
			"already use (usedBy).",
			destination);
		g_autofree char *mac_suggestion = g_strdup_printf(
			"Remove the VM that uses the address on the destination or change its MAC, "
			"or leave the source VM out of the plan; then run 'ferry inventory refresh "
			"%s'.",
			destination);
		set_condition_full(resource, "VMAlreadyExists", FERRY_CONDITION_CATEGORY_CRITICAL,
				   "AlreadyExists", taken_message, taken_suggestion, taken);
		set_condition_full(resource, "MacConflicts", FERRY_CONDITION_CATEGORY_CRITICAL,
				   "Conflict", mac_message, mac_suggestion, conflicts);
	}
	add_suggestions(resource);
	ferry_resource_update_ready(resource, "The migration plan is ready.");
	return TRUE;
}

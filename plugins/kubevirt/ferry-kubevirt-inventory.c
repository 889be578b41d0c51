/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a cluster destination tells before anything is created there: the
 * connection test (the Kubernetes version, whether KubeVirt and CDI are
 * served, what the credentials may do in the plans' target namespaces,
 * asked with SelfSubjectAccessReviews) and the destination inventory
 * (namespaces, storage classes and CDI storage profiles, network attachment
 * definitions, the VirtualMachines already there with their MAC addresses,
 * instance types and preferences), which plan validation checks plans
 * against, as Forklift's inventory of an `openshift` provider does.
 */

#include "config.h"

#include <string.h>

#include "ferry-kubevirt-inventory.h"

#define INSTANCETYPE_API "instancetype.kubevirt.io/v1beta1"
#define NAD_API "k8s.cni.cncf.io/v1"
#define CDI_API "cdi.kubevirt.io/v1beta1"

/* what Ferry does in a target namespace: PVCs for the disks, pods that
 * serve or fill them (reached through port-forward), the ConfigMaps and
 * Secrets that describe a pull transfer or a conversion, the VM itself */
static const FerryKubevirtPermission permissions[] = {
	{"", "persistentvolumeclaims", NULL, "create"},
	{"", "persistentvolumeclaims", NULL, "get"},
	{"", "persistentvolumeclaims", NULL, "list"},
	{"", "persistentvolumeclaims", NULL, "delete"},
	{"", "pods", NULL, "create"},
	{"", "pods", NULL, "get"},
	{"", "pods", NULL, "list"},
	{"", "pods", NULL, "delete"},
	/* a websocket port-forward is a GET the API server also checks as create */
	{"", "pods", "portforward", "create"},
	{"", "pods", "portforward", "get"},
	/* why a transfer pod failed: its log and its events */
	{"", "pods", "log", "get"},
	{"", "events", NULL, "list"},
	{"", "configmaps", NULL, "create"},
	{"", "configmaps", NULL, "get"},
	{"", "configmaps", NULL, "list"},
	{"", "configmaps", NULL, "delete"},
	{"", "secrets", NULL, "create"},
	{"", "secrets", NULL, "get"},
	{"", "secrets", NULL, "list"},
	{"", "secrets", NULL, "delete"},
	{"kubevirt.io", "virtualmachines", NULL, "create"},
	{"kubevirt.io", "virtualmachines", NULL, "get"},
	{"kubevirt.io", "virtualmachines", NULL, "list"},
	{"kubevirt.io", "virtualmachines", NULL, "delete"},
};

/* the kinds of the destination inventory and where they come from */
static const struct {
	const char *kind;
	const char *api_version;
	const char *api_kind;
} kinds[] = {
	{"namespace", "v1", "Namespace"},
	{"storageclass", "storage.k8s.io/v1", "StorageClass"},
	{"storageprofile", CDI_API, "StorageProfile"},
	{"networkattachmentdefinition", NAD_API, "NetworkAttachmentDefinition"},
	{"vm", "kubevirt.io/v1", "VirtualMachine"},
	{"instancetype", INSTANCETYPE_API, "VirtualMachineInstancetype"},
	{"clusterinstancetype", INSTANCETYPE_API, "VirtualMachineClusterInstancetype"},
	{"preference", INSTANCETYPE_API, "VirtualMachinePreference"},
	{"clusterpreference", INSTANCETYPE_API, "VirtualMachineClusterPreference"},
};

const FerryKubevirtPermission *
ferry_kubevirt_inventory_get_permissions(guint *n_permissions)
{
	*n_permissions = G_N_ELEMENTS(permissions);
	return permissions;
}

/* "create virtualmachines.kubevirt.io", "get pods/portforward" */
char *
ferry_kubevirt_permission_to_string(const FerryKubevirtPermission *permission)
{
	return g_strdup_printf("%s %s%s%s%s%s", permission->verb, permission->resource,
			       permission->subresource != NULL ? "/" : "",
			       permission->subresource != NULL ? permission->subresource : "",
			       permission->group[0] != '\0' ? "." : "", permission->group);
}

/* --- JSON helpers --- */

static void
copy_member(JsonObject *to, const char *to_name, JsonObject *from, const char *from_name)
{
	JsonNode *node = from != NULL ? json_object_get_member(from, from_name) : NULL;
	if (node != NULL && !JSON_NODE_HOLDS_NULL(node))
		json_object_set_member(to, to_name, json_node_copy(node));
}

static JsonObject *
condition_new(const char *type,
	      gboolean status,
	      const char *category,
	      const char *reason,
	      const char *message)
{
	JsonObject *condition = json_object_new();
	json_object_set_string_member(condition, "type", type);
	json_object_set_string_member(condition, "status", status ? "True" : "False");
	json_object_set_string_member(condition, "category", category);
	json_object_set_string_member(condition, "reason", reason);
	json_object_set_string_member(condition, "message", message);
	return condition;
}

/* --- the connection test --- */

JsonObject *
ferry_kubevirt_inventory_build_test(JsonObject *version,
				    const char *server,
				    gboolean has_cdi,
				    gboolean has_instancetypes,
				    gboolean has_nads,
				    const char *const *namespaces,
				    GPtrArray *denied,
				    GPtrArray *unreadable)
{
	JsonObject *result = json_object_new();
	JsonObject *details = json_object_new();
	JsonObject *apis = json_object_new();
	JsonArray *conditions = json_array_new();
	JsonArray *missing = json_array_new();
	const char *git_version = ferry_json_get_string(version, "gitVersion");
	const char *platform = ferry_json_get_string(version, "platform");
	g_autofree char *namespace_list = g_strjoinv(", ", (char **)namespaces);
	g_autofree char *message = NULL;

	if (version != NULL)
		json_object_set_object_member(details, "version", json_object_ref(version));
	if (server != NULL)
		json_object_set_string_member(details, "server", server);
	json_object_set_boolean_member(apis, "kubevirt", TRUE);
	json_object_set_boolean_member(apis, "cdi", has_cdi);
	json_object_set_boolean_member(apis, "instancetypes", has_instancetypes);
	json_object_set_boolean_member(apis, "networkAttachmentDefinitions", has_nads);
	json_object_set_object_member(details, "apis", apis);

	message = g_strdup_printf("The cluster runs Kubernetes %s%s%s%s.",
				  git_version != NULL ? git_version : "(version not told)",
				  platform != NULL ? " (" : "", platform != NULL ? platform : "",
				  platform != NULL ? ")" : "");
	json_array_add_object_element(conditions, condition_new("ClusterVersion", TRUE, "Advisory",
								 "Found", message));
	json_array_add_object_element(
		conditions,
		condition_new("KubeVirtServed", TRUE, "Advisory", "Served",
			      "KubeVirt (kubevirt.io/v1) is served: VirtualMachines can be "
			      "created."));
	if (has_cdi)
		json_array_add_object_element(
			conditions,
			condition_new("CDIServed", TRUE, "Advisory", "Served",
				      "CDI (cdi.kubevirt.io/v1beta1) is served: its storage "
				      "profiles are part of the inventory."));
	else
		json_array_add_object_element(
			conditions,
			condition_new("CDIServed", FALSE, "Warn", "NotServed",
				      "CDI (cdi.kubevirt.io/v1beta1) is not served: Ferry writes the "
				      "disks into PVCs itself, but DataVolumes and CDI storage "
				      "profiles cannot be used."));

	for (guint i = 0; i < denied->len; i++)
		json_array_add_string_element(missing, g_ptr_array_index(denied, i));
	json_object_set_array_member(details, "namespaces",
				     json_array_sized_new(g_strv_length((char **)namespaces)));
	for (guint i = 0; namespaces[i] != NULL; i++)
		json_array_add_string_element(json_object_get_array_member(details, "namespaces"),
					      namespaces[i]);
	json_object_set_array_member(details, "deniedPermissions", json_array_ref(missing));
	if (denied->len == 0) {
		g_autofree char *text = g_strdup_printf(
			"The credentials may create, get, list and delete PVCs, pods, Secrets and "
			"VirtualMachines, and port-forward to pods, in %s.",
			namespace_list);
		json_array_add_object_element(
			conditions, condition_new("PrivilegesVerified", TRUE, "Advisory",
						  "Allowed", text));
	} else {
		g_autofree char *text = g_strdup_printf(
			"The credentials lack %u of the permissions Ferry needs in %s; the "
			"missing ones are listed in items (NAMESPACE: VERB RESOURCE).",
			denied->len, namespace_list);
		JsonObject *condition = condition_new("InsufficientPrivileges", TRUE, "Critical",
						      "Forbidden", text);
		json_object_set_string_member(
			condition, "suggestion",
			"Grant the listed verbs to the Secret's user or service account with a "
			"Role and a RoleBinding in each namespace (see plugins/kubevirt/README.md), "
			"then run 'ferry provider test' again.");
		json_object_set_array_member(condition, "items", json_array_ref(missing));
		json_array_add_object_element(conditions, condition);
	}
	json_array_unref(missing);
	if (unreadable->len > 0) {
		JsonArray *items = json_array_new();
		JsonObject *condition = condition_new(
			"InventoryNotReadable", TRUE, "Warn", "Forbidden",
			"The credentials may not list, in every namespace, what the destination "
			"inventory holds (listed in items): plans into this cluster are not checked "
			"against it (storage classes, networks, namespaces, VM names, MACs).");
		for (guint i = 0; i < unreadable->len; i++)
			json_array_add_string_element(items, g_ptr_array_index(unreadable, i));
		json_object_set_string_member(
			condition, "suggestion",
			"Grant list on them with a ClusterRole and a ClusterRoleBinding (see "
			"plugins/kubevirt/README.md), then run 'ferry provider test' again.");
		json_object_set_array_member(details, "unreadableInventory", json_array_ref(items));
		json_object_set_array_member(condition, "items", items);
		json_array_add_object_element(conditions, condition);
	} else {
		json_object_set_array_member(details, "unreadableInventory", json_array_new());
	}
	json_object_set_object_member(result, "details", details);
	json_object_set_array_member(result, "conditions", conditions);
	return result;
}

/* whether the credentials may do @permission in @namespace, asked with a
 * SelfSubjectAccessReview (which every authenticated user may create) */
static gboolean
ferry_kubevirt_inventory_can(FerryKubeClient *client,
			     const char *namespace,
			     const FerryKubevirtPermission *permission,
			     gboolean *allowed,
			     GCancellable *cancellable,
			     GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) request = NULL;
	g_autoptr(JsonNode) reply = NULL;
	JsonObject *status;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "apiVersion");
	json_builder_add_string_value(builder, "authorization.k8s.io/v1");
	json_builder_set_member_name(builder, "kind");
	json_builder_add_string_value(builder, "SelfSubjectAccessReview");
	json_builder_set_member_name(builder, "metadata");
	json_builder_begin_object(builder);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "spec");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "resourceAttributes");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "namespace");
	json_builder_add_string_value(builder, namespace);
	json_builder_set_member_name(builder, "verb");
	json_builder_add_string_value(builder, permission->verb);
	json_builder_set_member_name(builder, "group");
	json_builder_add_string_value(builder, permission->group);
	json_builder_set_member_name(builder, "resource");
	json_builder_add_string_value(builder, permission->resource);
	if (permission->subresource != NULL) {
		json_builder_set_member_name(builder, "subresource");
		json_builder_add_string_value(builder, permission->subresource);
	}
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	request = json_builder_get_root(builder);
	reply = ferry_kube_client_create(client, request, cancellable, error);
	if (reply == NULL)
		return FALSE;
	status = JSON_NODE_HOLDS_OBJECT(reply)
		     ? ferry_json_get_object(json_node_get_object(reply), "status")
		     : NULL;
	*allowed = status != NULL &&
		   json_object_get_boolean_member_with_default(status, "allowed", FALSE);
	return TRUE;
}

/* whether each kind of the inventory the cluster serves may be listed in
 * every namespace (what load_inventory does) */
static gboolean
ferry_kubevirt_inventory_check_listing(FerryKubevirtCluster *cluster,
				       const char *const *versions,
				       GPtrArray *unreadable,
				       GCancellable *cancellable,
				       GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autofree char *resource = NULL;
		g_autofree char *group = NULL;
		g_autofree char *text = NULL;
		const char *slash = strchr(kinds[i].api_version, '/');
		FerryKubevirtPermission permission = {NULL};
		gboolean allowed = FALSE;

		if (!g_strv_contains(versions, kinds[i].api_version))
			continue;
		resource = ferry_kube_client_resolve_resource(cluster->client,
							      kinds[i].api_version,
							      kinds[i].api_kind, NULL, cancellable,
							      error);
		if (resource == NULL)
			return FALSE;
		group = slash != NULL ? g_strndup(kinds[i].api_version,
						  (gsize)(slash - kinds[i].api_version))
				      : g_strdup("");
		permission.group = group;
		permission.resource = resource;
		permission.verb = "list";
		/* an empty namespace: all of them */
		if (!ferry_kubevirt_inventory_can(cluster->client, "", &permission, &allowed,
						  cancellable, error)) {
			g_prefix_error(error, "%s: checking the credentials' permissions: ",
				       cluster->display);
			return FALSE;
		}
		text = ferry_kubevirt_permission_to_string(&permission);
		if (!allowed)
			g_ptr_array_add(unreadable, g_steal_pointer(&text));
	}
	return TRUE;
}

JsonObject *
ferry_kubevirt_inventory_test(FerryKubevirtCluster *cluster,
			      const char *const *namespaces,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(JsonObject) version = NULL;
	g_autoptr(GPtrArray) denied = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) unreadable = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) versions = NULL;
	static const char *const no_namespaces[] = {"default", NULL};
	FerryKubeConfig *config = ferry_kube_client_get_config(cluster->client);

	if (namespaces == NULL || namespaces[0] == NULL)
		namespaces = no_namespaces;
	version = ferry_kube_client_get_version(cluster->client, cancellable, error);
	if (version == NULL)
		return NULL;
	versions = ferry_kube_client_get_api_versions(cluster->client, cancellable, error);
	if (versions == NULL)
		return NULL;
	for (guint n = 0; namespaces[n] != NULL; n++) {
		for (guint i = 0; i < G_N_ELEMENTS(permissions); i++) {
			gboolean allowed = FALSE;
			if (!ferry_kubevirt_inventory_can(cluster->client, namespaces[n],
							  &permissions[i], &allowed, cancellable,
							  error)) {
				g_prefix_error(error, "%s: checking the credentials' permissions: ",
					       cluster->display);
				return NULL;
			}
			if (!allowed) {
				g_autofree char *text =
					ferry_kubevirt_permission_to_string(&permissions[i]);
				g_ptr_array_add(denied,
						g_strdup_printf("%s: %s", namespaces[n], text));
			}
		}
	}
	if (!ferry_kubevirt_inventory_check_listing(cluster, (const char *const *)versions,
						    unreadable, cancellable, error))
		return NULL;
	return ferry_kubevirt_inventory_build_test(
		version, ferry_kube_config_get_server(config), cluster->has_cdi,
		g_strv_contains((const char *const *)versions, INSTANCETYPE_API),
		g_strv_contains((const char *const *)versions, NAD_API), namespaces, denied,
		unreadable);
}

/* --- the destination inventory --- */

/* lower case, ':' between the octets, as plan validation compares them */
static char *
normalise_mac(const char *mac)
{
	char *out = g_ascii_strdown(mac, -1);
	g_strdelimit(out, "-", ':');
	return out;
}

JsonObject *
ferry_kubevirt_inventory_vm_document(JsonObject *object)
{
	JsonObject *document = ferry_kubevirt_inventory_document("vm", object);
	JsonObject *spec = ferry_json_get_object(object, "spec");
	JsonObject *template_spec = ferry_json_get_object(ferry_json_get_object(spec, "template"), "spec");
	JsonArray *interfaces =
		ferry_json_get_array(ferry_json_get_object(ferry_json_get_object(template_spec, "domain"), "devices"),
			     "interfaces");
	JsonArray *networks = ferry_json_get_array(template_spec, "networks");
	JsonArray *macs = json_array_new();
	JsonArray *nics = json_array_new();
	JsonArray *nets = json_array_new();
	const char *run_strategy = ferry_json_get_string(spec, "runStrategy");

	if (run_strategy != NULL)
		json_object_set_string_member(document, "runStrategy", run_strategy);
	else if (spec != NULL && json_object_has_member(spec, "running"))
		json_object_set_string_member(
			document, "runStrategy",
			json_object_get_boolean_member_with_default(spec, "running", FALSE)
				? "Always"
				: "Halted");
	for (guint i = 0; interfaces != NULL && i < json_array_get_length(interfaces); i++) {
		JsonObject *interface = json_array_get_object_element(interfaces, i);
		JsonObject *nic = json_object_new();
		const char *mac = ferry_json_get_string(interface, "macAddress");
		copy_member(nic, "name", interface, "name");
		copy_member(nic, "model", interface, "model");
		if (mac != NULL) {
			g_autofree char *normalised = normalise_mac(mac);
			json_object_set_string_member(nic, "macAddress", normalised);
			json_array_add_string_element(macs, normalised);
		}
		json_array_add_object_element(nics, nic);
	}
	for (guint i = 0; networks != NULL && i < json_array_get_length(networks); i++) {
		JsonObject *network = json_array_get_object_element(networks, i);
		JsonObject *net = json_object_new();
		JsonObject *multus = ferry_json_get_object(network, "multus");
		copy_member(net, "name", network, "name");
		if (multus != NULL) {
			json_object_set_string_member(net, "type", "multus");
			copy_member(net, "networkName", multus, "networkName");
		} else if (ferry_json_get_object(network, "pod") != NULL) {
			json_object_set_string_member(net, "type", "pod");
		}
		json_array_add_object_element(nets, net);
	}
	json_object_set_array_member(document, "macs", macs);
	json_object_set_array_member(document, "interfaces", nics);
	json_object_set_array_member(document, "networks", nets);
	copy_member(document, "instancetype", ferry_json_get_object(spec, "instancetype"), "name");
	copy_member(document, "preference", ferry_json_get_object(spec, "preference"), "name");
	copy_member(document, "printableStatus", ferry_json_get_object(object, "status"),
		    "printableStatus");
	return document;
}

/* the cni `type` of a NetworkAttachmentDefinition's config (or of its
 * first plugin), when the config is JSON */
static void
nad_add_type(JsonObject *document, const char *config)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;
	JsonObject *object;
	const char *type;

	if (config == NULL || !json_parser_load_from_data(parser, config, -1, NULL))
		return;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return;
	object = json_node_get_object(root);
	type = ferry_json_get_string(object, "type");
	if (type == NULL && ferry_json_get_array(object, "plugins") != NULL &&
	    json_array_get_length(ferry_json_get_array(object, "plugins")) > 0)
		type = ferry_json_get_string(json_array_get_object_element(ferry_json_get_array(object, "plugins"), 0),
				     "type");
	if (type != NULL)
		json_object_set_string_member(document, "cniType", type);
}

JsonObject *
ferry_kubevirt_inventory_document(const char *kind, JsonObject *object)
{
	JsonObject *document = json_object_new();
	JsonObject *metadata = ferry_json_get_object(object, "metadata");
	JsonObject *spec = ferry_json_get_object(object, "spec");
	JsonObject *status = ferry_json_get_object(object, "status");
	const char *name = ferry_json_get_string(metadata, "name") != NULL
				   ? ferry_json_get_string(metadata, "name")
				   : "";
	const char *namespace = ferry_json_get_string(metadata, "namespace");
	/* objects in a namespace are known as NAMESPACE/NAME */
	g_autofree char *id = namespace != NULL ? g_strdup_printf("%s/%s", namespace, name)
						: g_strdup(name);

	json_object_set_string_member(document, "id", id);
	json_object_set_string_member(document, "name", name);
	if (namespace != NULL)
		json_object_set_string_member(document, "namespace", namespace);
	copy_member(document, "uid", metadata, "uid");
	copy_member(document, "labels", metadata, "labels");
	if (g_strcmp0(kind, "namespace") == 0) {
		copy_member(document, "phase", status, "phase");
	} else if (g_strcmp0(kind, "storageclass") == 0) {
		JsonObject *annotations = ferry_json_get_object(metadata, "annotations");
		copy_member(document, "provisioner", object, "provisioner");
		copy_member(document, "reclaimPolicy", object, "reclaimPolicy");
		copy_member(document, "volumeBindingMode", object, "volumeBindingMode");
		copy_member(document, "allowVolumeExpansion", object, "allowVolumeExpansion");
		copy_member(document, "parameters", object, "parameters");
		json_object_set_boolean_member(
			document, "default",
			g_strcmp0(ferry_json_get_string(annotations,
						"storageclass.kubernetes.io/is-default-class"),
				  "true") == 0);
	} else if (g_strcmp0(kind, "storageprofile") == 0) {
		copy_member(document, "storageClass", status, "storageClass");
		copy_member(document, "provisioner", status, "provisioner");
		copy_member(document, "claimPropertySets", status, "claimPropertySets");
		copy_member(document, "cloneStrategy", status, "cloneStrategy");
	} else if (g_strcmp0(kind, "networkattachmentdefinition") == 0) {
		copy_member(document, "config", spec, "config");
		nad_add_type(document, ferry_json_get_string(spec, "config"));
	} else if (g_strcmp0(kind, "vm") != 0) {
		/* instance types and preferences */
		copy_member(document, "cpu", ferry_json_get_object(spec, "cpu"), "guest");
		copy_member(document, "memory", ferry_json_get_object(spec, "memory"), "guest");
		copy_member(document, "spec", object, "spec");
	}
	return document;
}

static gboolean
ferry_kubevirt_inventory_load_kind(FerryKubevirtCluster *cluster,
				   FerryInventory *inventory,
				   guint index,
				   guint *count,
				   GCancellable *cancellable,
				   GError **error)
{
	g_autoptr(JsonNode) list = NULL;
	JsonArray *items;

	list = ferry_kube_client_list(cluster->client, kinds[index].api_version,
				      kinds[index].api_kind, NULL, NULL, cancellable, error);
	if (list == NULL)
		return FALSE;
	items = JSON_NODE_HOLDS_OBJECT(list) ? ferry_json_get_array(json_node_get_object(list), "items")
					     : NULL;
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonObject *object = json_array_get_object_element(items, i);
		g_autoptr(JsonObject) document = NULL;
		if (object == NULL)
			continue;
		document = g_strcmp0(kinds[index].kind, "vm") == 0
				   ? ferry_kubevirt_inventory_vm_document(object)
				   : ferry_kubevirt_inventory_document(kinds[index].kind, object);
		if (!ferry_inventory_upsert(inventory, kinds[index].kind,
					    ferry_json_get_string(document, "id"),
					    ferry_json_get_string(document, "name"),
					    ferry_json_get_string(document, "namespace"), document, error))
			return FALSE;
		(*count)++;
	}
	return TRUE;
}

gboolean
ferry_kubevirt_inventory_load(FerryKubevirtCluster *cluster,
			      const char *provider,
			      FerryInventory *inventory,
			      GCancellable *cancellable,
			      GError **error)
{
	g_auto(GStrv) versions = NULL;
	g_autoptr(GString) summary = g_string_new(NULL);

	versions = ferry_kube_client_get_api_versions(cluster->client, cancellable, error);
	if (versions == NULL) {
		g_prefix_error(error, "%s: inventory: ", cluster->display);
		return FALSE;
	}
	if (!ferry_inventory_begin_update(inventory, provider, TRUE, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		guint count = 0;
		/* CDI, Multus and instance types are optional on a cluster */
		if (!g_strv_contains((const char *const *)versions, kinds[i].api_version))
			continue;
		if (!ferry_kubevirt_inventory_load_kind(cluster, inventory, i, &count, cancellable,
							error)) {
			ferry_inventory_abort_update(inventory);
			g_prefix_error(error, "%s: inventory: ", cluster->display);
			return FALSE;
		}
		g_string_append_printf(summary, " %u %s,", count, kinds[i].kind);
	}
	if (!ferry_inventory_commit_update(inventory, error))
		return FALSE;
	g_debug("%s: destination inventory:%s", cluster->display, summary->str);
	return TRUE;
}

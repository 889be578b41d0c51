/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The destination inventory documents and the connection test's conditions
 * of the KubeVirt destination, from API objects recorded on the Kubernetes
 * test bed (tests/data/: `kubectl get -o json` of a VirtualMachine with two
 * interfaces, a NetworkAttachmentDefinition, a StorageClass, a Namespace,
 * and `/version`).
 */

#include "config.h"

#include <string.h>

#include "ferry-kubevirt-inventory.h"

static JsonObject *
load_recorded(const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", name, NULL);

	g_assert_true(json_parser_load_from_file(parser, path, &error));
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static char *
strings(JsonArray *array)
{
	GString *text = g_string_new(NULL);
	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++)
		g_string_append_printf(text, "%s%s", i > 0 ? " " : "",
				       json_array_get_string_element(array, i));
	return g_string_free(text, FALSE);
}

/* a VM's document: NAMESPACE/NAME id, its MACs in lower case with ':'
 * (KubeVirt accepts '-' too), interfaces, networks and run strategy */
static void
test_vm_document(void)
{
	g_autoptr(JsonObject) object = load_recorded("virtualmachine.json");
	g_autoptr(JsonObject) vm = ferry_kubevirt_inventory_vm_document(object);
	g_autofree char *macs = strings(json_object_get_array_member(vm, "macs"));
	JsonArray *networks = json_object_get_array_member(vm, "networks");
	JsonObject *multus = json_array_get_object_element(networks, 1);

	g_assert_cmpstr(json_object_get_string_member(vm, "id"), ==, "cluster-inventory-rec/web-01");
	g_assert_cmpstr(json_object_get_string_member(vm, "name"), ==, "web-01");
	g_assert_cmpstr(json_object_get_string_member(vm, "namespace"), ==,
			"cluster-inventory-rec");
	g_assert_nonnull(json_object_get_string_member_with_default(vm, "uid", NULL));
	g_assert_cmpstr(macs, ==, "02:00:00:aa:bb:01 02:00:00:aa:bb:02");
	g_assert_cmpstr(json_object_get_string_member(vm, "runStrategy"), ==, "Halted");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(vm, "interfaces")), ==,
			 2);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(networks, 0),
						      "type"),
			==, "pod");
	g_assert_cmpstr(json_object_get_string_member(multus, "type"), ==, "multus");
	g_assert_cmpstr(json_object_get_string_member(multus, "networkName"), ==,
			"cluster-inventory-rec/vlan-20");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(vm, "labels"),
						      "app"),
			==, "web");

	/* `running: true` is the old form of runStrategy Always; no interfaces: no MACs */
	{
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autoptr(JsonObject) old = NULL;
		g_assert_true(json_parser_load_from_data(
			parser,
			"{\"metadata\":{\"name\":\"old\",\"namespace\":\"ns\"},"
			"\"spec\":{\"running\":true,\"template\":{\"spec\":{}}}}",
			-1, NULL));
		old = ferry_kubevirt_inventory_vm_document(
			json_node_get_object(json_parser_get_root(parser)));
		g_assert_cmpstr(json_object_get_string_member(old, "runStrategy"), ==, "Always");
		g_assert_cmpuint(json_array_get_length(json_object_get_array_member(old, "macs")),
				 ==, 0);
	}
}

/* storage classes, network attachment definitions and namespaces */
static void
test_other_documents(void)
{
	g_autoptr(JsonObject) sc_object = load_recorded("storageclass.json");
	g_autoptr(JsonObject) nad_object = load_recorded("networkattachmentdefinition.json");
	g_autoptr(JsonObject) ns_object = load_recorded("namespace.json");
	g_autoptr(JsonObject) sc = ferry_kubevirt_inventory_document("storageclass", sc_object);
	g_autoptr(JsonObject) nad =
		ferry_kubevirt_inventory_document("networkattachmentdefinition", nad_object);
	g_autoptr(JsonObject) ns = ferry_kubevirt_inventory_document("namespace", ns_object);

	/* cluster-scoped: the id is the name */
	g_assert_cmpstr(json_object_get_string_member(sc, "id"), ==, "local-path");
	g_assert_false(json_object_has_member(sc, "namespace"));
	g_assert_cmpstr(json_object_get_string_member(sc, "provisioner"), ==,
			"rancher.io/local-path");
	g_assert_cmpstr(json_object_get_string_member(sc, "volumeBindingMode"), ==,
			"WaitForFirstConsumer");
	g_assert_true(json_object_get_boolean_member(sc, "default"));

	g_assert_cmpstr(json_object_get_string_member(nad, "id"), ==,
			"cluster-inventory-rec/vlan-20");
	g_assert_cmpstr(json_object_get_string_member(nad, "cniType"), ==, "bridge");
	g_assert_nonnull(strstr(json_object_get_string_member(nad, "config"), "\"vlan\":20"));

	g_assert_cmpstr(json_object_get_string_member(ns, "id"), ==, "cluster-inventory-rec");
	g_assert_cmpstr(json_object_get_string_member(ns, "phase"), ==, "Active");
}

static JsonObject *
find_condition(JsonObject *test, const char *type)
{
	JsonArray *conditions = json_object_get_array_member(test, "conditions");
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(c, "type"), type) == 0)
			return c;
	}
	return NULL;
}

/* the connection test's conditions: the version from /version, CDI served
 * or not, and every permission the credentials lack, named */
static void
test_connection_conditions(void)
{
	g_autoptr(JsonObject) version = load_recorded("version.json");
	g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) denied = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) unreadable = g_ptr_array_new_with_free_func(g_free);
	const char *const namespaces[] = {"vms", "more", NULL};
	g_autoptr(JsonObject) ok = NULL;
	g_autoptr(JsonObject) limited = NULL;
	JsonObject *c;
	guint n_permissions = 0;
	const FerryKubevirtPermission *permissions =
		ferry_kubevirt_inventory_get_permissions(&n_permissions);
	g_autofree char *first = ferry_kubevirt_permission_to_string(&permissions[0]);
	g_autofree char *portforward = NULL;
	g_autofree char *vm = NULL;

	/* the verbs Ferry needs, named as users grant them */
	g_assert_cmpuint(n_permissions, ==, 24);
	g_assert_cmpstr(first, ==, "create persistentvolumeclaims");
	for (guint i = 0; i < n_permissions; i++) {
		g_autofree char *text = ferry_kubevirt_permission_to_string(&permissions[i]);
		if (g_strcmp0(text, "create pods/portforward") == 0)
			portforward = g_strdup(text);
		if (g_strcmp0(text, "delete virtualmachines.kubevirt.io") == 0)
			vm = g_strdup(text);
	}
	g_assert_nonnull(portforward);
	g_assert_nonnull(vm);

	ok = ferry_kubevirt_inventory_build_test(version, "https://127.0.0.1:16443", TRUE, TRUE,
						 TRUE, namespaces, none, none);
	c = find_condition(ok, "ClusterVersion");
	g_assert_nonnull(c);
	g_assert_cmpstr(json_object_get_string_member(c, "message"), ==,
			"The cluster runs Kubernetes v1.37.2 (linux/amd64).");
	g_assert_nonnull(find_condition(ok, "KubeVirtServed"));
	c = find_condition(ok, "CDIServed");
	g_assert_cmpstr(json_object_get_string_member(c, "status"), ==, "True");
	c = find_condition(ok, "PrivilegesVerified");
	g_assert_nonnull(c);
	g_assert_nonnull(strstr(json_object_get_string_member(c, "message"), "in vms, more"));
	g_assert_null(find_condition(ok, "InsufficientPrivileges"));
	g_assert_null(find_condition(ok, "InventoryNotReadable"));
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(json_object_get_object_member(ok,
											    "details"),
							      "version"),
				"gitVersion"),
			==, "v1.37.2");

	g_ptr_array_add(denied, g_strdup("vms: create persistentvolumeclaims"));
	g_ptr_array_add(denied, g_strdup("vms: create pods/portforward"));
	g_ptr_array_add(unreadable, g_strdup("list namespaces"));
	limited = ferry_kubevirt_inventory_build_test(version, NULL, FALSE, FALSE, FALSE,
						      namespaces, denied, unreadable);
	c = find_condition(limited, "CDIServed");
	g_assert_cmpstr(json_object_get_string_member(c, "status"), ==, "False");
	g_assert_cmpstr(json_object_get_string_member(c, "category"), ==, "Warn");
	g_assert_null(find_condition(limited, "PrivilegesVerified"));
	c = find_condition(limited, "InsufficientPrivileges");
	g_assert_nonnull(c);
	g_assert_cmpstr(json_object_get_string_member(c, "category"), ==, "Critical");
	g_assert_nonnull(strstr(json_object_get_string_member(c, "message"), "lack 2 "));
	g_assert_nonnull(json_object_get_string_member_with_default(c, "suggestion", NULL));
	{
		g_autofree char *items = strings(json_object_get_array_member(c, "items"));
		g_assert_cmpstr(items, ==,
				"vms: create persistentvolumeclaims vms: create pods/portforward");
	}
	/* an inventory that cannot be listed is a warning: plans are not checked */
	c = find_condition(limited, "InventoryNotReadable");
	g_assert_nonnull(c);
	g_assert_cmpstr(json_object_get_string_member(c, "category"), ==, "Warn");
	g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(c, "items"), 0),
			==, "list namespaces");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kubevirt/inventory/vm-document", test_vm_document);
	g_test_add_func("/kubevirt/inventory/other-documents", test_other_documents);
	g_test_add_func("/kubevirt/inventory/connection-conditions", test_connection_conditions);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ferry.h"

/* no plugin is loaded here: the answers come from the built-in table of
 * Forklift's types, and a type that is not in it is unknown */

static void
test_platform_table_knows_forklift_types_only(void)
{
	g_auto(GStrv) types = ferry_platform_dup_types();
	g_assert_true(ferry_platform_is_known("ovirt"));
	g_assert_true(ferry_platform_is_known("nutanix"));
	g_assert_false(ferry_platform_is_known("made-up"));
	g_assert_false(ferry_platform_is_known(NULL));
	g_assert_true(g_strv_contains((const char *const *)types, "openstack"));
	g_assert_false(g_strv_contains((const char *const *)types, "made-up"));
	g_assert_cmpuint(ferry_platform_get_capabilities("made-up"), ==,
			 FERRY_PROVIDER_CAPABILITY_NONE);
}

static void
test_platform_capabilities_decide_migration_types(void)
{
	g_assert_true(ferry_platform_has_capability("ec2", FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION));
	g_assert_false(ferry_platform_has_capability("ec2", FERRY_PROVIDER_CAPABILITY_CONVERT_ON_COPY));
	g_assert_false(
	    ferry_platform_has_capability("ovirt", FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION));
	g_assert_true(ferry_platform_has_capability("openstack", FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER));
	g_assert_true(ferry_platform_supports_migration_type("ovirt", "cold"));
	g_assert_true(ferry_platform_supports_migration_type("ovirt", "warm"));
	g_assert_false(ferry_platform_supports_migration_type("ovirt", "conversion"));
	g_assert_false(ferry_platform_supports_migration_type("hyperv", "warm"));
	g_assert_true(ferry_platform_supports_migration_type("made-up", "cold"));
	g_assert_false(ferry_platform_supports_migration_type("made-up", "warm"));
	g_assert_false(ferry_platform_supports_migration_type("ovirt", "sideways"));
}

static void
test_platform_map_kinds_urls_and_secrets(void)
{
	gboolean needs_ca = FALSE;
	const char *const *keys;
	g_autoptr(GError) error = NULL;

	g_assert_cmpstr(ferry_platform_get_storage_kind("ovirt"), ==, "storagedomain");
	g_assert_cmpstr(ferry_platform_get_storage_kind("openstack"), ==, "volumetype");
	g_assert_cmpstr(ferry_platform_get_network_kind("openshift"), ==,
			"networkattachmentdefinition");
	/* a type nobody knows gets the generic kinds */
	g_assert_cmpstr(ferry_platform_get_storage_kind("made-up"), ==, "storage");
	g_assert_cmpstr(ferry_platform_get_network_kind("made-up"), ==, "network");

	g_assert_true(ferry_platform_check_url("ec2", NULL, NULL));
	g_assert_false(ferry_platform_check_url("ovirt", "", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_cmpstr(error->message, ==, "The `url` is not set; set spec.url.");
	g_clear_error(&error);
	g_assert_false(ferry_platform_check_url("ovirt", "not a uri", &error));
	g_assert_nonnull(strstr(error->message, "https://host/path"));
	g_clear_error(&error);
	/* Hyper-V's URL is a share, not a URI */
	g_assert_true(ferry_platform_check_url("hyperv", "\\\\server\\share", NULL));

	keys = ferry_platform_get_secret_keys("hyperv", "https://h", &needs_ca);
	g_assert_true(needs_ca);
	g_assert_cmpstr(keys[0], ==, "username");
	g_assert_cmpstr(keys[2], ==, "smbUrl");
	keys = ferry_platform_get_secret_keys("openshift", "https://api.c:6443", &needs_ca);
	g_assert_false(needs_ca);
	g_assert_cmpstr(keys[0], ==, "token");
	/* the local cluster and a bundle directory need no token */
	g_assert_null(ferry_platform_get_secret_keys("openshift", NULL, NULL));
	g_assert_null(ferry_platform_get_secret_keys("openshift", "file:///srv/bundle", NULL));
	g_assert_null(ferry_platform_get_secret_keys("made-up", "https://h", NULL));
}

static void
test_platform_describes_only_what_it_can(void)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) described = NULL;
	g_autoptr(FerryVmSpec) spec = NULL;
	JsonObject *vm;

	g_assert_true(json_parser_load_from_data(
	    parser,
	    "{\"id\": \"v1\", \"name\": \"db\", \"cpuSockets\": 2, \"cpuCores\": 2,"
	    " \"memory\": 2147483648, \"bios\": \"q35_secure_boot\","
	    " \"diskAttachments\": [{\"id\": \"a1\", \"interface\": \"virtio_scsi\","
	    "   \"disk\": {\"id\": \"d1\", \"provisionedSize\": 1024, \"storageDomain\": \"sd-1\"}}],"
	    " \"nics\": [{\"mac\": \"56:6f:00:00:00:01\", \"profile\": \"p1\"}]}",
	    -1, NULL));
	vm = json_node_get_object(json_parser_get_root(parser));
	/* oVirt has no plugin yet: its row reads Forklift's shape */
	described = ferry_platform_describe_vm("ovirt", vm, &error);
	g_assert_no_error(error);
	spec = ferry_vm_spec_new_from_json(described, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_vm_spec_get_cpu_sockets(spec), ==, 2);
	g_assert_cmpuint(ferry_vm_spec_get_memory_mib(spec), ==, 2048);
	g_assert_cmpint(ferry_vm_spec_get_firmware(spec), ==, FERRY_FIRMWARE_EFI);
	g_assert_true(ferry_vm_spec_get_secure_boot(spec));
	g_assert_cmpstr(ferry_vm_disk_get_storage(ferry_vm_spec_get_disk(spec, 0)), ==, "sd-1");
	g_assert_cmpstr(ferry_vm_nic_get_network_name(ferry_vm_spec_get_nic(spec, 0)), ==, "p1");
	g_clear_pointer(&described, json_object_unref);

	/* a type with neither a plugin nor a describing row is an error */
	described = ferry_platform_describe_vm("made-up", vm, &error);
	g_assert_null(described);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "made-up"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/platform/table-knows-forklift-types-only",
			test_platform_table_knows_forklift_types_only);
	g_test_add_func("/platform/capabilities-decide-migration-types",
			test_platform_capabilities_decide_migration_types);
	g_test_add_func("/platform/map-kinds-urls-and-secrets",
			test_platform_map_kinds_urls_and_secrets);
	g_test_add_func("/platform/describes-only-what-it-can",
			test_platform_describes_only_what_it_can);
	return g_test_run();
}

/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ferry.h"

static JsonObject *
parse(const char *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static const char *const engine_spec =
	"{\"name\": \"web-01\", \"namespace\": \"migrated\", \"plan\": \"web-tier\","
	" \"migration\": \"mig-uid-3\","
	" \"osType\": \"rhel9_64Guest\", \"targetPowerState\": \"on\","
	" \"source\": {\"provider\": \"src\", \"type\": \"sometype\", \"vm\": {\"id\": \"vm-7\"}},"
	" \"cpu\": {\"sockets\": 2, \"cores\": 4, \"threads\": 2}, \"memoryMiB\": 4096,"
	" \"firmware\": {\"type\": \"efi\", \"secureBoot\": true},"
	" \"disks\": [{\"id\": \"2000\", \"name\": \"web-tier-web-01-disk-0\","
	"   \"capacity\": 17179869184, \"format\": \"raw\", \"bus\": \"virtio\","
	"   \"storageClass\": \"fast\", \"fileName\": \"web-01.vmdk\", \"shared\": true,"
	"   \"populatedSize\": 4294967296},"
	"  {\"id\": 2001, \"capacity\": 1048576.0}],"
	" \"nics\": [{\"mac\": \"00:50:56:aa:bb:cc\", \"model\": \"virtio\","
	"   \"network\": {\"type\": \"multus\", \"name\": \"vlan10\", \"namespace\": \"net\"}}],"
	" \"labels\": {\"plan\": \"uid-1\"}}";

static void
test_vm_spec_reads_every_typed_member(void)
{
	g_autoptr(JsonObject) document = parse(engine_spec);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(document, &error);
	FerryVmDisk *disk;
	FerryVmNic *nic;

	g_assert_no_error(error);
	g_assert_cmpstr(ferry_vm_spec_get_name(spec), ==, "web-01");
	g_assert_cmpstr(ferry_vm_spec_get_namespace(spec), ==, "migrated");
	g_assert_cmpstr(ferry_vm_spec_get_plan(spec), ==, "web-tier");
	g_assert_cmpstr(ferry_vm_spec_get_migration(spec), ==, "mig-uid-3");
	g_assert_cmpstr(ferry_vm_spec_get_guest_os(spec), ==, "rhel9_64Guest");
	g_assert_cmpstr(ferry_vm_spec_get_source_type(spec), ==, "sometype");
	g_assert_cmpstr(json_object_get_string_member(ferry_vm_spec_get_source_vm(spec), "id"), ==,
			"vm-7");
	g_assert_cmpstr(ferry_vm_spec_get_target_power_state(spec), ==, "on");
	g_assert_cmpuint(ferry_vm_spec_get_cpu_sockets(spec), ==, 2);
	g_assert_cmpuint(ferry_vm_spec_get_cpu_cores(spec), ==, 4);
	g_assert_cmpuint(ferry_vm_spec_get_cpu_threads(spec), ==, 2);
	g_assert_cmpuint(ferry_vm_spec_get_memory_mib(spec), ==, 4096);
	g_assert_cmpint(ferry_vm_spec_get_firmware(spec), ==, FERRY_FIRMWARE_EFI);
	g_assert_true(ferry_vm_spec_get_secure_boot(spec));

	g_assert_cmpuint(ferry_vm_spec_get_n_disks(spec), ==, 2);
	disk = ferry_vm_spec_get_disk(spec, 0);
	g_assert_cmpstr(ferry_vm_disk_get_id(disk), ==, "2000");
	g_assert_cmpstr(ferry_vm_disk_get_name(disk), ==, "web-tier-web-01-disk-0");
	g_assert_cmpuint(ferry_vm_disk_get_capacity(disk), ==, G_GUINT64_CONSTANT(17179869184));
	g_assert_cmpstr(ferry_vm_disk_get_format(disk), ==, "raw");
	g_assert_cmpstr(ferry_vm_disk_get_bus(disk), ==, "virtio");
	g_assert_cmpstr(ferry_vm_disk_get_storage_class(disk), ==, "fast");
	g_assert_cmpstr(ferry_vm_disk_get_file_name(disk), ==, "web-01.vmdk");
	g_assert_null(ferry_vm_disk_get_path(disk));
	g_assert_true(ferry_vm_disk_get_shared(disk));
	g_assert_cmpuint(ferry_vm_disk_get_populated_size(disk), ==,
			 G_GUINT64_CONSTANT(4294967296));
	/* a key number is an id too, and a whole double a size */
	disk = ferry_vm_spec_get_disk(spec, 1);
	g_assert_cmpstr(ferry_vm_disk_get_id(disk), ==, "2001");
	g_assert_cmpuint(ferry_vm_disk_get_capacity(disk), ==, 1048576);
	g_assert_false(ferry_vm_disk_get_shared(disk));
	/* unknown to the source: 0 */
	g_assert_cmpuint(ferry_vm_disk_get_populated_size(disk), ==, 0);

	g_assert_cmpuint(ferry_vm_spec_get_n_nics(spec), ==, 1);
	nic = ferry_vm_spec_get_nic(spec, 0);
	g_assert_cmpstr(ferry_vm_nic_get_mac(nic), ==, "00:50:56:aa:bb:cc");
	g_assert_cmpstr(ferry_vm_nic_get_model(nic), ==, "virtio");
	g_assert_cmpstr(ferry_vm_nic_get_network_type(nic), ==, "multus");
	g_assert_cmpstr(ferry_vm_nic_get_network_name(nic), ==, "vlan10");
	g_assert_cmpstr(ferry_vm_nic_get_network_namespace(nic), ==, "net");

	/* extras stay reachable through the document */
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(ferry_vm_spec_get_json(spec), "labels"),
			    "plan"),
			==, "uid-1");
}

static void
test_vm_spec_json_round_trip_keeps_the_document(void)
{
	g_autoptr(JsonObject) document = parse(engine_spec);
	g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(document, NULL);
	g_autoptr(JsonObject) back = ferry_vm_spec_to_json(spec);
	g_autoptr(JsonNode) a = json_node_init_object(json_node_alloc(), document);
	g_autoptr(JsonNode) b = json_node_init_object(json_node_alloc(), back);
	g_autoptr(FerryVmSpec) again = NULL;

	g_assert_true(json_node_equal(a, b));
	/* a copy: changing the input later does not change the spec */
	json_object_set_string_member(document, "name", "changed");
	g_assert_cmpstr(ferry_vm_spec_get_name(spec), ==, "web-01");
	again = ferry_vm_spec_new_from_json(back, NULL);
	g_assert_cmpuint(ferry_vm_spec_get_n_disks(again), ==, 2);
}

static void
test_vm_spec_reads_a_source_description(void)
{
	/* what describe_vm returns: a NIC's network is the source network id,
	 * no CPU threads, BIOS by default */
	g_autoptr(JsonObject) document =
		parse("{\"name\": \"db\", \"cpu\": {\"sockets\": 1, \"cores\": 2},"
		      " \"disks\": [{\"id\": \"vol-1\", \"capacity\": 1024, \"storage\": \"pool-1\"}],"
		      " \"nics\": [{\"mac\": \"02:00:00:00:00:01\", \"network\": \"seg-1\"}]}");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(document, &error);
	g_assert_no_error(error);
	g_assert_cmpint(ferry_vm_spec_get_firmware(spec), ==, FERRY_FIRMWARE_BIOS);
	g_assert_false(ferry_vm_spec_get_secure_boot(spec));
	g_assert_cmpuint(ferry_vm_spec_get_cpu_threads(spec), ==, 1);
	g_assert_cmpuint(ferry_vm_spec_get_memory_mib(spec), ==, 0);
	g_assert_cmpstr(ferry_vm_nic_get_network_name(ferry_vm_spec_get_nic(spec, 0)), ==, "seg-1");
	g_assert_null(ferry_vm_nic_get_network_type(ferry_vm_spec_get_nic(spec, 0)));
	g_assert_cmpstr(ferry_vm_disk_get_storage(ferry_vm_spec_get_disk(spec, 0)), ==, "pool-1");
	g_assert_cmpstr(json_object_get_string_member(
			    ferry_vm_disk_get_json(ferry_vm_spec_get_disk(spec, 0)), "storage"),
			==, "pool-1");
}

static void
test_vm_spec_rejects_wrong_types_naming_the_member(void)
{
	static const struct {
		const char *json;
		const char *message;
	} cases[] = {
		{"{\"cpu\": {}}", "the VM description has no name"},
		{"{\"name\": 7}", "name must be a string"},
		{"{\"name\": \"a\", \"memoryMiB\": -1}",
		 "VM a: memoryMiB must be a non-negative whole number"},
		{"{\"name\": \"a\", \"memoryMiB\": 1.5}",
		 "VM a: memoryMiB must be a non-negative whole number"},
		{"{\"name\": \"a\", \"cpu\": {\"cores\": \"two\"}}",
		 "VM a: cpu.cores must be a non-negative whole number"},
		{"{\"name\": \"a\", \"disks\": {}}", "VM a: disks must be an array"},
		{"{\"name\": \"a\", \"disks\": [{\"capacity\": \"big\"}]}",
		 "VM a: disks[0].capacity must be a non-negative whole number"},
		{"{\"name\": \"a\", \"disks\": [{}, 3]}", "VM a: disks[1] must be an object"},
		{"{\"name\": \"a\", \"nics\": [7]}", "VM a: nics[0] must be an object"},
		{"{\"name\": \"a\", \"migration\": 5}", "VM a: migration must be a string"},
		{"{\"name\": \"a\", \"disks\": [{\"populatedSize\": -1}]}",
		 "VM a: disks[0].populatedSize must be a non-negative whole number"},
		{"{\"name\": \"a\", \"nics\": [{\"network\": {\"type\": 1}}]}",
		 "VM a: nics[0].network.type must be a string"},
		{"{\"name\": \"a\", \"nics\": [{\"mac\": false}]}",
		 "VM a: nics[0].mac must be a string"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) document = parse(cases[i].json);
		g_autoptr(GError) error = NULL;
		g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(document, &error);
		g_assert_null(spec);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(error->message, cases[i].message));
	}
}

static void
test_vm_spec_reads_the_firmware_type_in_any_case_and_empty_as_bios(void)
{
	static const struct {
		const char *json;
		FerryFirmware firmware;
	} cases[] = {
		{"{\"name\": \"a\", \"firmware\": {\"type\": \"EFI\"}}", FERRY_FIRMWARE_EFI},
		{"{\"name\": \"a\", \"firmware\": {\"type\": \"Bios\"}}", FERRY_FIRMWARE_BIOS},
		{"{\"name\": \"a\", \"firmware\": {\"type\": \"\"}}", FERRY_FIRMWARE_BIOS},
		{"{\"name\": \"a\", \"firmware\": {\"type\": null}}", FERRY_FIRMWARE_BIOS},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) document = parse(cases[i].json);
		g_autoptr(GError) error = NULL;
		g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(document, &error);
		g_assert_no_error(error);
		g_assert_cmpint(ferry_vm_spec_get_firmware(spec), ==, cases[i].firmware);
	}
}

static void
test_vm_spec_rejects_an_unknown_firmware_as_not_supported(void)
{
	g_autoptr(JsonObject) document =
		parse("{\"name\": \"a\", \"firmware\": {\"type\": \"coreboot\"}}");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(document, &error);
	g_assert_null(spec);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(error->message, ==,
			"VM a: firmware type 'coreboot' is not supported; use bios or efi");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm-spec/reads-every-typed-member", test_vm_spec_reads_every_typed_member);
	g_test_add_func("/vm-spec/json-round-trip-keeps-the-document",
			test_vm_spec_json_round_trip_keeps_the_document);
	g_test_add_func("/vm-spec/reads-a-source-description", test_vm_spec_reads_a_source_description);
	g_test_add_func("/vm-spec/rejects-wrong-types-naming-the-member",
			test_vm_spec_rejects_wrong_types_naming_the_member);
	g_test_add_func("/vm-spec/reads-the-firmware-type-in-any-case-and-empty-as-bios",
			test_vm_spec_reads_the_firmware_type_in_any_case_and_empty_as_bios);
	g_test_add_func("/vm-spec/rejects-an-unknown-firmware-as-not-supported",
			test_vm_spec_rejects_an_unknown_firmware_as_not_supported);
	return g_test_run();
}
